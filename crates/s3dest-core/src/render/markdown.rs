//! The plan as a pull-request comment. In order:
//! 1. one line: the counts, "no changes", or that the plan cannot be applied;
//! 2. errors, which stop the plan from being applied (`[!CAUTION]`): the plan's own,
//!    then the findings' ([`crate::findings`]);
//! 3. the findings' warnings (what widens access among them, `[!WARNING]`);
//! 4. the security review: what is destroyed or replaced (`[!WARNING]`);
//! 5. the other warnings (those that are findings are shown as findings), the
//!    findings for information and the notes;
//! 6. a line per changed destination (and per bucket-wide change): what happens to it
//!    and why ([`super::outline`]);
//! 7. who can write where: per bucket, a Mermaid diagram of the vendors' principals and
//!    the folders their requests reach once applied ([`super::picture`]);
//! 8. the changes grouped by destination, bucket-wide first, each in a collapsible
//!    `<details>` with its reason, what an update means ([`super::meaning`]) and a
//!    unified diff.
//!
//! GitHub refuses a comment over 65,536 characters, so the comment is measured as it
//! is built (in bytes, which are never fewer than characters): the lists of 2–6 get at
//! most half of the room and end with "… and N more" when cut; the picture comes whole
//! in the room left or is replaced by one line saying so (a half-drawn picture would
//! mislead); the changes' details stop before the next one would not fit, and a note
//! says how many were left out and where to see them. What comes first is never cut
//! away for what comes after.

use std::fmt::Write;

use super::meaning;
use super::outline::{self, Owner};
use super::{diff_lines, picture, symbol};
use crate::findings::{Finding, FindingSeverity};
use crate::plan::{Action, Change, Notice, Plan};

/// GitHub's limit on the body of an issue or pull-request comment, in characters.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;

/// The longest single item of a list (an error, a finding), in bytes.
const MAX_ITEM: usize = 2_000;

pub fn markdown(plan: &Plan) -> String {
    markdown_with_limit(plan, GITHUB_COMMENT_LIMIT)
}

/// The comment, at most `limit` bytes long (for any `limit` from a few thousand up;
/// below that, the summary and the first item of each list still come out whole).
pub fn markdown_with_limit(plan: &Plan, limit: usize) -> String {
    let mut out = summary_line(plan);
    // Room kept for the truncation note, whatever the lists and details take.
    let reserve = (limit / 10).clamp(600, 6_000);
    let body = limit.saturating_sub(reserve);

    let finding_line = |f: &Finding| {
        format!(
            "`{}` ({}): {}",
            f.address,
            f.kind.as_str(),
            one_line(&f.message)
        )
    };
    let findings_of = |severity: FindingSeverity| -> Vec<String> {
        plan.findings
            .iter()
            .filter(|f| f.severity == severity)
            .map(finding_line)
            .collect()
    };
    let (errors, warnings, infos) = (
        findings_of(FindingSeverity::Error),
        findings_of(FindingSeverity::Warning),
        findings_of(FindingSeverity::Info),
    );
    let notice_line = |n: &Notice| format!("`{}`: {}", n.address, one_line(&n.message));
    // What a reviewer must not miss that is a change, not a finding.
    let destructive: Vec<String> = plan
        .changes
        .iter()
        .filter_map(|c| {
            let what = match c.action {
                Action::Delete => "destroyed",
                Action::Replace => "destroyed and created again",
                Action::Create | Action::Update => return None,
            };
            Some(format!("`{}`: {what}: {}", c.address, one_line(&c.reason)))
        })
        .collect();
    let other_warnings: Vec<&Notice> = plan.warnings.iter().filter(|w| !w.is_finding()).collect();
    let (summary, unchanged) = outline::summary(plan);
    let mut summary: Vec<String> = summary
        .into_iter()
        .map(|line| {
            format!(
                "`{} {}`: {}",
                line.symbol,
                line.address,
                one_line(&line.text)
            )
        })
        .collect();
    if let Some(unchanged) = unchanged.filter(|_| !summary.is_empty()) {
        summary.push(unchanged);
    }
    let blocks: [(Option<&str>, String, Vec<String>); 8] = [
        (
            Some("CAUTION"),
            format!(
                "**This plan cannot be applied** ({}):",
                count(plan.errors.len(), "error")
            ),
            plan.errors.iter().map(notice_line).collect(),
        ),
        (
            Some("CAUTION"),
            format!(
                "**Findings: this plan cannot work as specified** ({}):",
                count(errors.len(), "error")
            ),
            errors,
        ),
        (
            Some("WARNING"),
            format!(
                "**Findings** ({}). Review before merging:",
                count(warnings.len(), "warning")
            ),
            warnings,
        ),
        (
            Some("WARNING"),
            format!(
                "**Security review** ({}):",
                count(destructive.len(), "finding")
            ),
            destructive,
        ),
        (
            Some("WARNING"),
            format!("**Warnings** ({}):", other_warnings.len()),
            other_warnings.iter().map(|n| notice_line(n)).collect(),
        ),
        (
            Some("NOTE"),
            format!("**Findings for information** ({}):", infos.len()),
            infos,
        ),
        (
            Some("NOTE"),
            format!("**Notes** ({}):", plan.notes.len()),
            plan.notes.iter().map(notice_line).collect(),
        ),
        (None, "**Summary by destination**:".to_owned(), summary),
    ];
    let blocks: Vec<_> = blocks
        .into_iter()
        .filter(|(_, _, items)| !items.is_empty())
        .collect();

    // The lists share half of the body: each gets an equal part of what is left.
    let mut head_room = (body / 2).saturating_sub(out.len());
    let mut blocks_left = blocks.len();
    for (alert, title, items) in &blocks {
        let share = head_room / blocks_left.max(1);
        let block = list_block(*alert, title, items, share);
        head_room = head_room.saturating_sub(block.len());
        blocks_left -= 1;
        out.push_str(&block);
    }
    out.push_str(&picture_section(
        plan,
        limit,
        body.saturating_sub(out.len()),
    ));

    // The changes by destination; a group's heading goes with its first change.
    let ordered: Vec<(Option<String>, &Change)> = outline::groups(plan)
        .into_iter()
        .flat_map(|group| {
            let heading = group_heading(&group.owner, group.changes.len());
            group
                .changes
                .into_iter()
                .enumerate()
                .map(move |(i, change)| ((i == 0).then(|| heading.clone()), change))
        })
        .collect();
    let mut shown = 0;
    for (heading, change) in &ordered {
        let block = heading.clone().unwrap_or_default() + &details(change);
        if out.len() + block.len() > body {
            break;
        }
        out.push_str(&block);
        shown += 1;
    }
    if shown < ordered.len() {
        let omitted: Vec<&Change> = ordered[shown..].iter().map(|(_, c)| *c).collect();
        out.push_str(&truncation_note(&omitted, ordered.len(), limit, out.len()));
    }
    out
}

/// `**Changes to `destination.pendo`** (2):` above a destination's changes.
fn group_heading(owner: &Owner, n: usize) -> String {
    let whose = match owner {
        Owner::BucketWide => "bucket-wide resources".to_owned(),
        Owner::Destination(name) => format!("`destination.{name}`"),
    };
    format!("\n**Changes to {whose}** ({n}):\n")
}

fn summary_line(plan: &Plan) -> String {
    let errors = plan.errors.len()
        + plan
            .findings
            .iter()
            .filter(|f| f.severity == FindingSeverity::Error)
            .count();
    let s = plan.summary();
    let counts = format!(
        "**{}** to create, **{}** to update, **{}** to replace, **{}** to destroy",
        s.create, s.update, s.replace, s.delete
    );
    match (errors, plan.changes.is_empty()) {
        (0, true) => format!("**s3dest** `{}`: no changes.\n", plan.spec),
        (0, false) => format!("**s3dest** `{}`: {counts}.\n", plan.spec),
        (n, true) => format!(
            "**s3dest** `{}`: **this plan cannot be applied** ({}).\n",
            plan.spec,
            count(n, "error")
        ),
        (n, false) => format!(
            "**s3dest** `{}`: **this plan cannot be applied** ({}). Shown for review: {counts}.\n",
            plan.spec,
            count(n, "error")
        ),
    }
}

const PICTURE_TITLE: &str = "**Who can write where**";

/// The reviewers' picture, whole within `room` bytes, or one line saying why it is left
/// out; nothing when no destination has requests evaluated.
fn picture_section(plan: &Plan, limit: usize, room: usize) -> String {
    let diagrams = picture::diagrams(&plan.access);
    if diagrams.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "\n{PICTURE_TITLE} once this plan is applied, per bucket: each destination's vendor \
         and where its object requests reach. Solid: what it needs, allowed. `✗ blocked` or \
         `? might be blocked`: a request it needs is denied or undecided (see the findings). \
         Thick orange: what it can do beyond its need (dotted: might).\n"
    );
    for diagram in &diagrams {
        let _ = write!(out, "\n```mermaid\n{}```\n", diagram.text);
    }
    let why = match diagrams.iter().find(|d| !d.drawable()) {
        Some(big) => format!(
            "bucket `{}` has more than GitHub draws in one diagram",
            big.bucket
        ),
        None if out.len() <= room => return out,
        None => format!(
            "it would not fit in this comment's {} characters",
            thousands(limit)
        ),
    };
    let line = format!(
        "\n{PICTURE_TITLE}: the picture is left out: {why}. Run `s3dest access` once applied \
         to see who can do what.\n"
    );
    if line.len() <= room {
        line
    } else {
        String::new()
    }
}

/// A title and a bulleted list, in a GitHub alert when `alert` is given, within
/// `budget` bytes when the title and the first item allow; items that do not fit are
/// counted instead.
fn list_block(alert: Option<&str>, title: &str, items: &[String], budget: usize) -> String {
    let (mut out, quote) = match alert {
        Some(alert) => (format!("\n> [!{alert}]\n> {title}\n"), "> "),
        None => (format!("\n{title}\n\n"), ""),
    };
    for (i, item) in items.iter().enumerate() {
        let line = format!("{quote}- {}\n", clip(item, MAX_ITEM));
        let rest = items.len() - i - 1;
        // Room for this line and, if more follow, the line counting what is left out.
        let more = if rest > 0 {
            more_line(quote, rest).len()
        } else {
            0
        };
        if i > 0 && out.len() + line.len() + more > budget {
            out.push_str(&more_line(quote, items.len() - i));
            break;
        }
        out.push_str(&line);
    }
    out
}

fn more_line(quote: &str, n: usize) -> String {
    format!("{quote}- … and {n} more: run `s3dest plan` (or see the CI log) for all of them.\n")
}

/// One change: a collapsible section with its reason, what it means and its diff.
fn details(change: &Change) -> String {
    let lines: Vec<String> = diff_lines(change)
        .into_iter()
        .map(|(sign, line)| {
            if sign == '@' {
                line
            } else {
                format!("{sign} {line}")
            }
        })
        .collect();
    let fence = fence_for(&lines);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n<details><summary><code>{} {}</code>: {}</summary>\n",
        symbol(change.action),
        escape_html(&change.address.to_string()),
        escape_html(&one_line(&change.reason))
    );
    let meaning = meaning::lines(change);
    for line in &meaning {
        let indent = "  ".repeat(line.depth);
        let sign = line.sign.as_char();
        let _ = writeln!(out, "{indent}- `{sign}` {}", one_line(&line.text));
    }
    if !meaning.is_empty() {
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "{fence}diff");
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(out, "{fence}\n</details>");
    out
}

/// A code fence longer than any run of backticks in the text, so it cannot be closed early.
fn fence_for(lines: &[String]) -> String {
    let longest = lines
        .iter()
        .flat_map(|l| l.split(|c| c != '`'))
        .map(str::len)
        .max()
        .unwrap_or(0);
    "`".repeat((longest + 1).max(3))
}

/// The note ending a cut comment: how many changes are left out, and which, as far as
/// `limit` allows.
fn truncation_note(omitted: &[&Change], total: usize, limit: usize, used: usize) -> String {
    let mut out = format!(
        "\n> [!NOTE]\n> **{} of {total} changes are not shown** to keep this comment under \
         {} characters. Run `s3dest plan` (or see the CI log) for the full plan.\n>\n> Not shown:\n",
        omitted.len(),
        thousands(limit)
    );
    for (i, change) in omitted.iter().enumerate() {
        let line = format!("> - `{} {}`\n", symbol(change.action), change.address);
        let rest = omitted.len() - i - 1;
        let more = if rest > 0 {
            more_line("> ", rest).len()
        } else {
            0
        };
        if used + out.len() + line.len() + more > limit {
            out.push_str(&more_line("> ", omitted.len() - i));
            break;
        }
        out.push_str(&line);
    }
    out
}

fn one_line(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// At most `max` bytes of `s`, cut on a character boundary, with `…` when cut.
fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    // An odd number of backticks would leave a code span open.
    let mut cut = s[..end].to_owned();
    if cut.matches('`').count() % 2 == 1 {
        cut.push('`');
    }
    cut + "…"
}

fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let head = match digits.len() % 3 {
        0 => 3,
        r => r,
    };
    let mut out = digits[..head.min(digits.len())].to_owned();
    for group in digits.as_bytes()[head.min(digits.len())..].chunks(3) {
        out.push(',');
        out.push_str(std::str::from_utf8(group).expect("ASCII digits"));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use s3dest_policy::{Decision, PolicyDocument, Statement, Verdict};

    use super::*;
    use crate::access::{DestinationAccess, Reach, RequestCheck};
    use crate::plan::{Action, Address, IdentityKind, Part, Resource};

    /// A plan of `changes` with the findings the planner gives them.
    fn plan(changes: Vec<Change>) -> Plan {
        Plan {
            spec: "acme".into(),
            account_id: "111111111111".into(),
            findings: crate::security::access_findings(&changes),
            changes,
            warnings: Vec::new(),
            notes: Vec::new(),
            errors: Vec::new(),
            access: Vec::new(),
        }
    }

    fn change(
        address: Address,
        action: Action,
        before: Option<Resource>,
        after: Option<Resource>,
    ) -> Change {
        Change {
            address,
            action,
            before,
            after,
            reason: "because".into(),
            ops: Vec::new(),
        }
    }

    /// An inline policy of `n` resources: a few kilobytes of diff.
    fn big_policy(i: usize, n: usize) -> Resource {
        let resources: Vec<String> = (0..n)
            .map(|r| format!("arn:aws:s3:::acme-bucket-{i}/some/long/prefix/number/{r}/*"))
            .collect();
        let statement = Statement::allow()
            .with_actions(["s3:PutObject"])
            .with_resources(resources);
        Resource::InlinePolicy {
            kind: IdentityKind::Role,
            identity: format!("role-{i}"),
            name: "s3dest".into(),
            policy: PolicyDocument::new(vec![statement]),
        }
    }

    fn trust(principal: &str) -> Resource {
        let statement = Statement::allow()
            .with_principal_aws([principal])
            .with_actions(["sts:AssumeRole"]);
        Resource::Role {
            name: "r".into(),
            path: "/s3dest/".into(),
            arn: "arn:aws:iam::111111111111:role/s3dest/r".into(),
            trust: PolicyDocument::new(vec![statement]),
            tags: BTreeMap::new(),
        }
    }

    fn folder(key: String) -> Resource {
        Resource::Folder {
            bucket: "acme".into(),
            key,
        }
    }

    /// A plan with a trust widened, a delete, and `n` big new inline policies.
    fn big_plan(n: usize) -> Plan {
        let mut changes = vec![
            change(
                Address::part("d", Part::Role),
                Action::Update,
                Some(trust("arn:aws:iam::222222222222:root")),
                Some(trust("*")),
            ),
            change(
                Address::part("gone", Part::Folder),
                Action::Delete,
                Some(folder("gone/".into())),
                None,
            ),
        ];
        changes.extend((0..n).map(|i| {
            change(
                Address::part(format!("d{i}"), Part::RolePolicy),
                Action::Create,
                None,
                Some(big_policy(i, 60)),
            )
        }));
        let mut plan = plan(changes);
        plan.errors.push(Notice::new(
            Address::bucket("missing"),
            "bucket `missing` does not exist",
        ));
        plan
    }

    /// Balanced `<details>`, closed code fences, every fence inside a section.
    fn assert_well_formed(md: &str) {
        assert_eq!(
            md.matches("<details>").count(),
            md.matches("</details>").count(),
            "{md}"
        );
        let mut open: Option<String> = None;
        let mut in_details = false;
        for line in md.lines() {
            match &open {
                Some(fence) if line == fence => open = None,
                Some(_) => {}
                // The picture's diagrams stand on their own.
                None if line == "```mermaid" => open = Some("```".to_owned()),
                None if line.starts_with("```") => {
                    assert!(in_details, "a code fence outside a <details>: {line}");
                    open = Some(line.trim_end_matches("diff").to_owned());
                }
                None if line.starts_with("<details>") => {
                    assert!(!in_details, "nested <details>");
                    in_details = true;
                }
                None if line == "</details>" => {
                    assert!(in_details, "</details> without <details>");
                    in_details = false;
                }
                None => {}
            }
        }
        assert!(open.is_none(), "an unclosed code fence");
        assert!(!in_details, "an unclosed <details>");
    }

    /// `n` destinations of bucket `acme`, each allowed to write its own folder.
    fn writers(n: usize) -> Vec<DestinationAccess> {
        (0..n)
            .map(|i| DestinationAccess {
                destination: format!("d{i:04}"),
                vendor: s3dest_spec::vendors::Vendor::named("pendo-data-sync"),
                bucket: "acme".into(),
                folder: Some(format!("d{i:04}")),
                role: None,
                principal: Some(format!("arn:aws:iam::111111111111:role/s3dest/d{i:04}")),
                assume: Vec::new(),
                requests: vec![RequestCheck {
                    action: "s3:PutObject".into(),
                    resource: format!("arn:aws:s3:::acme/d{i:04}/s3dest-probe"),
                    reach: Reach::Needed,
                    verdict: Verdict {
                        decision: Decision::Allowed,
                        decided_by: Vec::new(),
                        notes: Vec::new(),
                    },
                }],
                not_evaluated: None,
                unseen: Vec::new(),
            })
            .collect()
    }

    #[test]
    fn the_picture_comes_after_the_lists_and_before_the_details() {
        let mut plan = big_plan(2);
        plan.access = writers(2);
        let md = markdown_with_limit(&plan, 30_000);
        assert_well_formed(&md);
        let picture = md
            .find("\n**Who can write where** once this plan is applied")
            .unwrap();
        assert!(md.rfind("> - ").unwrap() < picture);
        assert!(picture < md.find("<details>").unwrap());
        assert_eq!(md.matches("\n```mermaid\nflowchart LR\n").count(), 1);
        assert!(md.contains("  dest1 -->|\"writes\"| folder1\n"), "{md}");
        // Without any evaluated request, no section at all.
        plan.access[0].requests.clear();
        plan.access[1].requests.clear();
        assert!(!markdown(&plan).contains("Who can write where"));
    }

    #[test]
    fn a_picture_too_big_for_the_room_left_is_one_line() {
        let mut plan = big_plan(40);
        plan.access = writers(400);
        let limit = 30_000;
        let md = markdown_with_limit(&plan, limit);
        assert!(md.len() <= limit, "{} > {limit}", md.len());
        assert_well_formed(&md);
        assert!(!md.contains("```mermaid"));
        assert!(md.contains(
            "\n**Who can write where**: the picture is left out: it would not fit in this comment's 30,000 characters. Run `s3dest access` once applied to see who can do what.\n"
        ), "{md}");
        // The details still get the rest of the room.
        assert!(md.contains("<details>"));
        // With room enough it is drawn.
        let md = markdown_with_limit(&plan, 200_000);
        assert!(md.contains("```mermaid") && md.contains("dest399 -->"));
    }

    #[test]
    fn a_picture_more_than_mermaid_draws_is_one_line() {
        let mut plan = plan(Vec::new());
        plan.access = writers(501);
        let md = markdown_with_limit(&plan, 1_000_000);
        assert!(!md.contains("```mermaid"));
        assert!(md.contains(
            "**Who can write where**: the picture is left out: bucket `acme` has more than GitHub draws in one diagram."
        ), "{md}");
    }

    #[test]
    fn a_big_plan_is_cut_under_the_limit_with_a_note() {
        let plan = big_plan(40);
        let limit = 30_000;
        let md = markdown_with_limit(&plan, limit);
        assert!(md.len() <= limit, "{} > {limit}", md.len());
        assert_well_formed(&md);
        // The summary first, then findings and errors, before any change.
        assert!(md.starts_with("**s3dest** `acme`: **this plan cannot be applied** (1 error). Shown for review: **40** to create, **1** to update, **0** to replace, **1** to destroy.\n"));
        let first_details = md.find("<details>").unwrap();
        for must in [
            "> [!WARNING]\n> **Findings** (1 warning). Review before merging:",
            "`destination.d.role` (access-widens): trust policy of role `r` widens: now trusts `*` (anyone) without an external ID",
            "**This plan cannot be applied** (1 error):",
            "`bucket.missing`: bucket `missing` does not exist",
            "> [!WARNING]\n> **Security review** (1 finding):",
            "> - `destination.gone.folder`: destroyed: because",
        ] {
            let at = md
                .find(must)
                .unwrap_or_else(|| panic!("missing {must:?} in\n{md}"));
            assert!(at < first_details, "{must:?} comes after the details");
        }
        // The note counts what is left out, and the shown and the omitted add up.
        let shown = md.matches("<details>").count();
        assert!(shown >= 2 && shown < plan.changes.len(), "{shown}");
        let omitted = plan.changes.len() - shown;
        let note = format!(
            "> [!NOTE]\n> **{omitted} of {} changes are not shown** to keep this comment under 30,000 characters. Run `s3dest plan` (or see the CI log) for the full plan.",
            plan.changes.len()
        );
        assert!(md.contains(&note), "{}", &md[md.len() - 2_000..]);
        // The first left out is not among the details shown.
        let marker = "> Not shown:\n> - `";
        let not_shown = &md[md.find(marker).unwrap() + marker.len()..];
        let first_omitted = &not_shown[..not_shown.find('`').unwrap()];
        assert!(
            first_omitted.starts_with("+ destination.d"),
            "{first_omitted}"
        );
        assert!(
            !md.contains(&format!("<code>{first_omitted}</code>")),
            "{first_omitted}"
        );
        let at_note = md.find("> [!NOTE]").unwrap();
        assert!(md.rfind("</details>").unwrap() < at_note, "{md}");
        // Details stop well before the limit, so a note always fits.
        assert!(at_note <= limit - (limit / 10).clamp(600, 6_000));
    }

    #[test]
    fn the_default_limit_is_github_s() {
        let plan = big_plan(1_000);
        let md = markdown(&plan);
        assert!(md.len() <= GITHUB_COMMENT_LIMIT);
        assert!(md.len() > GITHUB_COMMENT_LIMIT - 10_000, "{}", md.len());
        assert_well_formed(&md);
        assert!(
            md.contains("changes are not shown** to keep this comment under 65,536 characters.")
        );
        // 1,000 omitted names do not fit in the note: it counts the rest.
        assert!(md.ends_with(" more: run `s3dest plan` (or see the CI log) for all of them.\n"));
    }

    #[test]
    fn a_small_plan_is_whole() {
        let plan = big_plan(2);
        let md = markdown_with_limit(&plan, 30_000);
        assert!(!md.contains("[!NOTE]"));
        assert_eq!(md.matches("<details>").count(), 4);
        assert_well_formed(&md);
    }

    #[test]
    fn a_huge_list_of_findings_is_capped_and_the_summary_kept() {
        let changes = (0..3_000)
            .map(|i| {
                change(
                    Address::part(format!("d{i:04}"), Part::Folder),
                    Action::Delete,
                    Some(folder(format!("d{i}/"))),
                    None,
                )
            })
            .collect();
        let md = markdown(&plan(changes));
        assert!(md.len() <= GITHUB_COMMENT_LIMIT, "{}", md.len());
        assert_well_formed(&md);
        assert!(md.starts_with("**s3dest** `acme`: **0** to create, **0** to update, **0** to replace, **3000** to destroy.\n"));
        assert!(md.contains(
            "> **Security review** (3000 findings):\n> - `destination.d0000.folder`: destroyed"
        ));
        let first_details = md.find("<details>").expect("some details still fit");
        let more = md.find("more: run `s3dest plan`").unwrap();
        assert!(more < first_details);
        assert!(md.contains("changes are not shown"));
    }

    #[test]
    fn no_changes() {
        let md = markdown(&plan(Vec::new()));
        assert_eq!(md, "**s3dest** `acme`: no changes.\n");
    }

    #[test]
    fn other_warnings_and_notes_are_listed_apart_from_findings() {
        let mut p = plan(Vec::new());
        let notice = |address: Address, message: &str| Notice::new(address, message);
        // A warning that is a finding, as the planner records it: both.
        p.warnings.push(Notice {
            concern: crate::model::Concern::MissingExternalId,
            ..notice(Address::destination("walkme"), "no external ID is possible")
        });
        p.findings.push(Finding::new(
            FindingSeverity::Warning,
            crate::findings::FindingKind::MissingExternalId,
            Address::destination("walkme"),
            "no external ID is possible",
        ));
        p.warnings.push(notice(
            Address::part("x", Part::Folder),
            "folder kept:\nit is not empty",
        ));
        p.notes.push(notice(
            Address::part("k", Part::AccessKey),
            "key is 12 days old",
        ));
        let md = markdown(&p);
        assert_eq!(
            md,
            "**s3dest** `acme`: no changes.\n\
             \n> [!WARNING]\n> **Findings** (1 warning). Review before merging:\n> - `destination.walkme` (missing-external-id): no external ID is possible\n\
             \n> [!WARNING]\n> **Warnings** (1):\n> - `destination.x.folder`: folder kept: it is not empty\n\
             \n> [!NOTE]\n> **Notes** (1):\n> - `destination.k.access_key`: key is 12 days old\n"
        );
    }

    #[test]
    fn fences_outgrow_backticks_and_summaries_are_escaped() {
        let bucket = Resource::Bucket {
            name: "a ```` b".into(),
            region: "us-east-1".into(),
        };
        let mut c = change(Address::bucket("b"), Action::Create, None, Some(bucket));
        c.reason = "x <y> & z".into();
        let md = details(&c);
        assert!(
            md.contains("\n`````diff\n") && md.contains("\n`````\n</details>"),
            "{md}"
        );
        assert!(
            md.contains("</code>: x &lt;y&gt; &amp; z</summary>"),
            "{md}"
        );
        assert_well_formed(&md);
    }

    #[test]
    fn helpers() {
        assert_eq!(thousands(65_536), "65,536");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(clip("abc", 10), "abc");
        let clipped = clip(&format!("`{}`", "é".repeat(100)), 20);
        assert!(clipped.len() <= 21 && clipped.ends_with("`…"), "{clipped}");
    }
}
