//! The reviewers' picture in the markdown comment: per bucket, a Mermaid flowchart of
//! which vendor principals can write where once the plan is applied (the plan's
//! [`DestinationAccess`], evaluated against the policies as apply will leave them).
//!
//! Each destination's principal points at its own folder (or the whole bucket): solid
//! when every object request it needs is allowed, dotted and red (`✗ blocked`) when one
//! is denied, dotted and amber (`? might be blocked`) when one is undecided. What it can
//! do beyond its need (another destination's folder, any other folder, a bucket whose
//! name starts with this one's, the bucket policy) is a thick orange arrow (`also …`),
//! dotted when undecided (`might also …`). Bucket requests (listing, location) and
//! `kms:` requests are not drawn: the findings report them.
//!
//! Node ids come from indexes and fixed words, never from names; labels are escaped
//! with Mermaid's entity codes, so nothing of a spec can break the diagram or its fence.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use s3dest_policy::Decision;

use crate::access::{DestinationAccess, Reach, RequestCheck};

/// Mermaid's defaults, which GitHub keeps: a longer diagram or one with more edges is
/// not drawn at all.
const MERMAID_MAX_TEXT: usize = 50_000;
const MERMAID_MAX_EDGES: usize = 500;

/// The longest vendor title in a node, in characters: the destination's name says the rest.
const MAX_TITLE: usize = 40;
/// The longest reason for not evaluating, in characters.
const MAX_REASON: usize = 60;

/// One bucket's flowchart: Mermaid's source, without the code fence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Diagram {
    pub bucket: String,
    pub text: String,
    edges: usize,
}

impl Diagram {
    /// Whether GitHub's Mermaid would draw it.
    pub fn drawable(&self) -> bool {
        self.text.len() <= MERMAID_MAX_TEXT && self.edges <= MERMAID_MAX_EDGES
    }
}

/// One diagram per bucket (in name order) where some destination has requests
/// evaluated; none when no destination has.
pub(super) fn diagrams(access: &[DestinationAccess]) -> Vec<Diagram> {
    let mut by_bucket: BTreeMap<&str, Vec<&DestinationAccess>> = BTreeMap::new();
    for dest in access {
        by_bucket.entry(&dest.bucket).or_default().push(dest);
    }
    by_bucket
        .into_iter()
        .filter(|(_, dests)| dests.iter().any(|d| !d.requests.is_empty()))
        .map(|(bucket, dests)| diagram(bucket, &dests))
        .collect()
}

/// Where an arrow points.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    Folder(String),
    WholeBucket,
    OtherFolders,
    PrefixBuckets,
    BucketPolicy,
}

/// What an arrow means, in the order its `linkStyle` lines come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// Every needed object request allowed.
    Allowed,
    /// A needed object request denied.
    Blocked,
    /// A needed object request undecided.
    MightBeBlocked,
    /// A probe beyond the need allowed.
    BeyondNeed,
    /// A probe beyond the need undecided.
    MightBeyondNeed,
}

impl Style {
    const ALL: [Style; 5] = [
        Style::Allowed,
        Style::Blocked,
        Style::MightBeBlocked,
        Style::BeyondNeed,
        Style::MightBeyondNeed,
    ];

    fn arrow(self) -> &'static str {
        match self {
            Style::Allowed => "-->",
            Style::BeyondNeed => "==>",
            Style::Blocked | Style::MightBeBlocked | Style::MightBeyondNeed => "-.->",
        }
    }

    /// GitHub's colours for success, danger, attention and severe: readable in light
    /// and dark mode alike.
    fn color(self) -> &'static str {
        match self {
            Style::Allowed => "#1a7f37",
            Style::Blocked => "#cf222e",
            Style::MightBeBlocked => "#9a6700",
            Style::BeyondNeed | Style::MightBeyondNeed => "#bc4c00",
        }
    }
}

struct Edge {
    /// The index of the destination among the bucket's.
    from: usize,
    to: Target,
    style: Style,
    label: String,
}

fn diagram(bucket: &str, dests: &[&DestinationAccess]) -> Diagram {
    let mut edges = Vec::new();
    for (from, dest) in dests.iter().enumerate() {
        if dest.not_evaluated.is_some() {
            continue;
        }
        let own = dest
            .folder
            .clone()
            .map_or(Target::WholeBucket, Target::Folder);
        if let Some((style, label)) = own_edge(&needed_on_objects(dest)) {
            edges.push(Edge {
                from,
                to: own,
                style,
                label,
            });
        }
        for (to, style, label) in beyond_need_edges(dest) {
            edges.push(Edge {
                from,
                to,
                style,
                label,
            });
        }
    }

    // The bucket's folders, whether an arrow reaches them or not: its layout.
    let mut folders: BTreeSet<&str> = dests.iter().filter_map(|d| d.folder.as_deref()).collect();
    let mut others: BTreeSet<&Target> = BTreeSet::new();
    for edge in &edges {
        match &edge.to {
            Target::Folder(folder) => {
                folders.insert(folder);
            }
            other => {
                others.insert(other);
            }
        }
    }
    let folder_ids: BTreeMap<&str, String> = folders
        .iter()
        .enumerate()
        .map(|(i, f)| (*f, format!("folder{i}")))
        .collect();
    let id = |target: &Target| -> String {
        match target {
            Target::Folder(folder) => folder_ids[folder.as_str()].clone(),
            Target::WholeBucket => "wholeBucket".to_owned(),
            Target::OtherFolders => "otherFolders".to_owned(),
            Target::PrefixBuckets => "prefixBuckets".to_owned(),
            Target::BucketPolicy => "bucketPolicy".to_owned(),
        }
    };

    let mut text = String::from("flowchart LR\n");
    for (i, dest) in dests.iter().enumerate() {
        let _ = writeln!(text, "  dest{i}(\"{}\")", principal_label(dest));
    }
    let _ = writeln!(text, "  subgraph bucket[\"bucket {}\"]", escape(bucket));
    for (folder, node) in &folder_ids {
        let _ = writeln!(text, "    {node}[\"{}/\"]", escape(folder));
    }
    for target in &others {
        let label = match target {
            Target::WholeBucket => "whole bucket",
            Target::OtherFolders => "other folders",
            Target::BucketPolicy => "bucket policy",
            // Other buckets are drawn outside this one, below.
            Target::PrefixBuckets | Target::Folder(_) => continue,
        };
        let _ = writeln!(text, "    {}[\"{label}\"]", id(target));
    }
    let _ = writeln!(text, "  end");
    // Outside the bucket: other buckets.
    if others.contains(&Target::PrefixBuckets) {
        let _ = writeln!(
            text,
            "  prefixBuckets[\"buckets named {}*\"]",
            escape(bucket)
        );
    }
    for edge in &edges {
        let _ = writeln!(
            text,
            "  dest{} {}|\"{}\"| {}",
            edge.from,
            edge.style.arrow(),
            escape(&edge.label),
            id(&edge.to)
        );
    }
    // One line per colour, in the order of the styles.
    let mut colors: Vec<&str> = Vec::new();
    for style in Style::ALL {
        if edges.iter().any(|e| e.style == style) && !colors.contains(&style.color()) {
            colors.push(style.color());
        }
    }
    for color in colors {
        let indexes: Vec<String> = (0..edges.len())
            .filter(|i| edges[*i].style.color() == color)
            .map(|i| i.to_string())
            .collect();
        let _ = writeln!(
            text,
            "  linkStyle {} stroke:{color},color:{color}",
            indexes.join(",")
        );
    }
    // Places no destination is given: drawn dashed.
    let elsewhere: Vec<String> = others
        .iter()
        .filter(|t| matches!(t, Target::OtherFolders | Target::PrefixBuckets))
        .map(|t| id(t))
        .collect();
    if !elsewhere.is_empty() {
        let _ = writeln!(text, "  classDef elsewhere stroke-dasharray:4 4");
        let _ = writeln!(text, "  class {} elsewhere", elsewhere.join(","));
    }
    Diagram {
        bucket: bucket.to_owned(),
        text,
        edges: edges.len(),
    }
}

/// The destination's name and its vendor's title, and why it has no arrows if so.
fn principal_label(dest: &DestinationAccess) -> String {
    let mut label = format!(
        "{}<br/>{}",
        escape(&dest.destination),
        escape(&shorten(dest.vendor.description().title, MAX_TITLE))
    );
    match &dest.not_evaluated {
        Some(why) => {
            let _ = write!(
                label,
                "<br/>not evaluated: {}",
                escape(&shorten(why, MAX_REASON))
            );
        }
        None if dest.requests.is_empty() => label.push_str("<br/>not evaluated"),
        // A grant of wildcards only: no request s3dest can name, so no arrow of its own.
        None if needed_on_objects(dest).is_empty() => {
            label.push_str("<br/>no object request it needs is known");
        }
        None => {}
    }
    label
}

/// The object requests the vendor needs: neither on the bucket itself (listing,
/// location) nor on its key (`kms:`), which the findings report.
fn needed_on_objects(dest: &DestinationAccess) -> Vec<&RequestCheck> {
    let bucket_arn = format!("arn:aws:s3:::{}", dest.bucket);
    dest.requests
        .iter()
        .filter(|r| r.reach.is_needed() && r.resource != bucket_arn && !is_kms(&r.action))
        .collect()
}

/// The arrow to the destination's own folder: what the needed object requests do, or
/// which of them are blocked. None when it needs no object request.
fn own_edge(needed: &[&RequestCheck]) -> Option<(Style, String)> {
    if needed.is_empty() {
        return None;
    }
    let denied = verbs(needed, Decision::Denied);
    let unknown = verbs(needed, Decision::Unknown);
    Some(if !denied.is_empty() {
        (
            Style::Blocked,
            format!("✗ blocked: {}", base_forms(&denied)),
        )
    } else if !unknown.is_empty() {
        (
            Style::MightBeBlocked,
            format!("? might be blocked: {}", base_forms(&unknown)),
        )
    } else {
        (
            Style::Allowed,
            third_person(&verbs(needed, Decision::Allowed)),
        )
    })
}

/// The arrows beyond the need: one per place a probe is allowed or undecided, in the
/// order the probes come. Denied probes are not drawn.
fn beyond_need_edges(dest: &DestinationAccess) -> Vec<(Target, Style, String)> {
    let mut places: Vec<(Target, Vec<&RequestCheck>)> = Vec::new();
    for check in &dest.requests {
        let target = match &check.reach {
            Reach::OtherFolder {
                folder,
                destination: Some(_),
            } => Target::Folder(folder.clone()),
            Reach::OtherFolder {
                destination: None, ..
            } => Target::OtherFolders,
            Reach::PrefixBucket => Target::PrefixBuckets,
            Reach::BucketPolicy => Target::BucketPolicy,
            // s3dest's own lock is for the findings; the needed requests are drawn apart.
            Reach::Lock | Reach::Needed => continue,
        };
        match places.iter_mut().find(|(t, _)| *t == target) {
            Some((_, checks)) => checks.push(check),
            None => places.push((target, vec![check])),
        }
    }
    places
        .into_iter()
        .filter_map(|(target, checks)| {
            let allowed = verbs(&checks, Decision::Allowed);
            let unknown = verbs(&checks, Decision::Unknown);
            let (style, label) = match (allowed.is_empty(), unknown.is_empty()) {
                (true, true) => return None,
                (false, true) => (
                    Style::BeyondNeed,
                    format!("also {}", third_person(&allowed)),
                ),
                (false, false) => (
                    Style::BeyondNeed,
                    format!(
                        "also {}; might also {}",
                        third_person(&allowed),
                        base_forms(&unknown)
                    ),
                ),
                (true, false) => (
                    Style::MightBeyondNeed,
                    format!("might also {}", base_forms(&unknown)),
                ),
            };
            Some((target, style, label))
        })
        .collect()
}

fn is_kms(action: &str) -> bool {
    action
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("kms:"))
}

/// What an action does, as "it writes" and "write"; an action without a plain word is
/// named as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Verb {
    third_person: String,
    base: String,
}

/// The actions with a plain word, in the order a label lists them: whatever the
/// vendor's grant order, a label reads the same.
const WORDS: [(&str, &str, &str); 5] = [
    ("s3:putobject", "writes", "write"),
    ("s3:getobject", "reads", "read"),
    ("s3:deleteobject", "deletes", "delete"),
    ("s3:putobjectacl", "sets ACLs", "set ACLs"),
    ("s3:putbucketpolicy", "rewrites", "rewrite"),
];

/// The action's verb, and its place in a label (the plain words first).
fn verb(action: &str) -> (usize, Verb) {
    let lower = action.to_ascii_lowercase();
    match WORDS.iter().position(|(a, _, _)| *a == lower) {
        Some(rank) => (
            rank,
            Verb {
                third_person: WORDS[rank].1.to_owned(),
                base: WORDS[rank].2.to_owned(),
            },
        ),
        None => (
            WORDS.len(),
            Verb {
                third_person: action.to_owned(),
                base: action.to_owned(),
            },
        ),
    }
}

/// The verbs of the checks decided `decision`, each once: the plain words in their
/// order, then the other actions in the checks' order.
fn verbs(checks: &[&RequestCheck], decision: Decision) -> Vec<Verb> {
    let mut found: Vec<(usize, Verb)> = Vec::new();
    for check in checks.iter().filter(|c| c.verdict.decision == decision) {
        let verb = verb(&check.action);
        if !found.contains(&verb) {
            found.push(verb);
        }
    }
    // Stable: the other actions keep their order.
    found.sort_by_key(|(rank, _)| *rank);
    found.into_iter().map(|(_, verb)| verb).collect()
}

fn third_person(verbs: &[Verb]) -> String {
    let words: Vec<&str> = verbs.iter().map(|v| v.third_person.as_str()).collect();
    words.join(", ")
}

fn base_forms(verbs: &[Verb]) -> String {
    let words: Vec<&str> = verbs.iter().map(|v| v.base.as_str()).collect();
    words.join(", ")
}

/// At most `max` characters of `s`, with `…` when cut.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut cut: String = s.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Text for inside a quoted Mermaid label: Mermaid's entity codes for what could end
/// the label, start markup, an entity or a markdown string, or close the code fence.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '`' => out.push_str("#96;"),
            '|' => out.push_str("#124;"),
            '\r' | '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use s3dest_policy::{Decision, Verdict};
    use s3dest_spec::vendors::Vendor;

    use super::*;

    const BUCKET: &str = "acme-exports";

    fn check(action: &str, resource: &str, reach: Reach, decision: Decision) -> RequestCheck {
        RequestCheck {
            action: action.to_owned(),
            resource: resource.to_owned(),
            reach,
            verdict: Verdict {
                decision,
                decided_by: Vec::new(),
                notes: Vec::new(),
            },
        }
    }

    fn object(folder: &str) -> String {
        format!("arn:aws:s3:::{BUCKET}/{folder}/s3dest-probe")
    }

    fn other_folder(folder: &str, destination: Option<&str>) -> Reach {
        Reach::OtherFolder {
            folder: folder.to_owned(),
            destination: destination.map(str::to_owned),
        }
    }

    fn dest(
        name: &str,
        vendor: &str,
        folder: Option<&str>,
        requests: Vec<RequestCheck>,
    ) -> DestinationAccess {
        DestinationAccess {
            destination: name.to_owned(),
            vendor: Vendor::named(vendor),
            bucket: BUCKET.to_owned(),
            folder: folder.map(str::to_owned),
            role: Some(format!("s3dest-{name}")),
            principal: Some(format!(
                "arn:aws:iam::111111111111:role/s3dest/s3dest-{name}"
            )),
            assume: Vec::new(),
            requests,
            not_evaluated: None,
            unseen: Vec::new(),
        }
    }

    /// Four destinations in one bucket: one that works (its listing and key requests
    /// are not drawn) and reaches beyond its need, one blocked, one that might be, one
    /// not evaluated; and a destination of another bucket.
    fn small_plan() -> Vec<DestinationAccess> {
        use Decision::{Allowed, Denied, Unknown};
        let bucket_arn = format!("arn:aws:s3:::{BUCKET}");
        let currents = dest(
            "currents",
            "braze-currents",
            Some("currents"),
            vec![
                check("s3:ListBucket", &bucket_arn, Reach::Needed, Denied),
                check("s3:PutObject", &object("currents"), Reach::Needed, Allowed),
                check("s3:GetObject", &object("currents"), Reach::Needed, Allowed),
                check(
                    "kms:GenerateDataKey",
                    "arn:aws:kms:us-east-1:111111111111:key/k",
                    Reach::Needed,
                    Unknown,
                ),
                check(
                    "s3:PutObject",
                    &object("exports"),
                    other_folder("exports", Some("exports")),
                    Allowed,
                ),
                check(
                    "s3:GetObject",
                    &object("exports"),
                    other_folder("exports", Some("exports")),
                    Unknown,
                ),
                check(
                    "s3:PutObject",
                    &object("walkme"),
                    other_folder("walkme", Some("walkme")),
                    Denied,
                ),
                check(
                    "s3:PutObject",
                    &object("s3dest-probe-other-folder"),
                    other_folder("s3dest-probe-other-folder", None),
                    Allowed,
                ),
                check(
                    "s3:GetObject",
                    &object("s3dest-probe-other-folder"),
                    other_folder("s3dest-probe-other-folder", None),
                    Allowed,
                ),
                check(
                    "s3:PutObject",
                    "arn:aws:s3:::acme-exports-s3dest-probe/currents/s3dest-probe",
                    Reach::PrefixBucket,
                    Unknown,
                ),
                check(
                    "s3:PutObject",
                    &format!("{bucket_arn}/.s3dest-bucket-policy.lock"),
                    Reach::Lock,
                    Allowed,
                ),
                check(
                    "s3:PutBucketPolicy",
                    &bucket_arn,
                    Reach::BucketPolicy,
                    Denied,
                ),
            ],
        );
        let exports = dest(
            "exports",
            "braze-data-export",
            Some("exports"),
            vec![
                check("s3:PutObject", &object("exports"), Reach::Needed, Allowed),
                check("s3:GetObject", &object("exports"), Reach::Needed, Allowed),
                check("s3:DeleteObject", &object("exports"), Reach::Needed, Denied),
                check(
                    "s3:PutObject",
                    &object("currents"),
                    other_folder("currents", Some("currents")),
                    Denied,
                ),
            ],
        );
        let walkme = dest(
            "walkme",
            "walkme",
            Some("walkme"),
            vec![
                check("s3:GetObject", &object("walkme"), Reach::Needed, Allowed),
                check("s3:PutObject", &object("walkme"), Reach::Needed, Unknown),
                check(
                    "s3:PutBucketPolicy",
                    &bucket_arn,
                    Reach::BucketPolicy,
                    Allowed,
                ),
            ],
        );
        let mut datadog = dest(
            "a \"quoted\" <name> #1",
            "datadog-log-archives",
            None,
            Vec::new(),
        );
        datadog.not_evaluated = Some("role `Datadog|Integration` does not exist".to_owned());
        let mut elsewhere = dest("logs", "cloudflare-logpush", None, Vec::new());
        elsewhere.bucket = "acme-logs".to_owned();
        vec![datadog, currents, exports, walkme, elsewhere]
    }

    #[test]
    fn the_diagram_of_a_small_plan() {
        let diagrams = diagrams(&small_plan());
        // The other bucket's only destination has nothing evaluated: no diagram.
        assert_eq!(diagrams.len(), 1);
        assert_eq!(diagrams[0].bucket, BUCKET);
        assert!(diagrams[0].drawable());
        insta::assert_snapshot!(diagrams[0].text);
    }

    #[test]
    fn a_destination_without_a_folder_writes_the_whole_bucket() {
        let bucket_arn = format!("arn:aws:s3:::{BUCKET}");
        let whole = dest(
            "segment",
            "segment",
            None,
            vec![
                check(
                    "s3:PutObject",
                    &format!("{bucket_arn}/s3dest-probe"),
                    Reach::Needed,
                    Decision::Allowed,
                ),
                check(
                    "s3:PutObjectAcl",
                    &format!("{bucket_arn}/s3dest-probe"),
                    Reach::Needed,
                    Decision::Allowed,
                ),
                check(
                    "s3:AbortMultipartUpload",
                    &format!("{bucket_arn}/s3dest-probe"),
                    Reach::Needed,
                    Decision::Allowed,
                ),
            ],
        );
        let text = &diagrams(&[whole])[0].text;
        assert!(
            text.contains("    wholeBucket[\"whole bucket\"]\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "  dest0 -->|\"writes, sets ACLs, s3:AbortMultipartUpload\"| wholeBucket\n"
            ),
            "{text}"
        );
        assert!(!text.contains("classDef"), "{text}");
    }

    #[test]
    fn no_diagram_without_requests() {
        let mut d = dest("x", "walkme", Some("walkme"), Vec::new());
        assert!(diagrams(&[d.clone()]).is_empty());
        d.not_evaluated = Some("role `x` does not exist".into());
        assert!(diagrams(&[d]).is_empty());
        assert!(diagrams(&[]).is_empty());
    }

    #[test]
    fn labels_cannot_break_out() {
        assert_eq!(
            escape("a\"b<c>d&e`f#g|h\ni"),
            "a#quot;b#lt;c#gt;d#amp;e#96;f#35;g#124;h i"
        );
        assert_eq!(shorten("abcdef", 4), "abc…");
        assert_eq!(shorten("abcd", 4), "abcd");
        assert!(is_kms("KMS:Decrypt") && !is_kms("s3") && !is_kms("s3:GetObject"));
    }
}
