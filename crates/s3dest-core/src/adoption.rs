//! What `adopt: true` takes over besides the role or user: the grant a setup made by
//! hand from the vendor's guide holds. An inline policy of the destination's identity
//! (or of the existing role it names, Datadog's), or a bucket-policy statement naming
//! exactly the destination's principal, that grants only what the guide grants for this
//! bucket and folder is replaced by s3dest's own, so that an adopted setup converges to
//! exactly the preset. One that grants anything else (another bucket or service, a
//! `Deny`, a condition) is left alone, and the plan says why.
//!
//! Pure. The planner makes the changes from it (`plan::roles`, `plan::vendor`,
//! `plan::buckets`); the planned access evaluation leaves out what they delete.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use s3dest_policy::{Effect, PolicyDocument, Statement, wildcard_matches};

use crate::model::{Desired, DesiredDestination, INLINE_POLICY_NAME, Observed, Owner};
use crate::plan::IdentityKind;
use crate::sid;

/// Why a grant found is not the guide's grant for a destination: a clause about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotGuide {
    Empty,
    Deny,
    Condition,
    /// `NotPrincipal`, `NotAction` or `NotResource`: it allows what it does not list.
    Negated(&'static str),
    /// A `Principal` in an identity policy.
    Principal,
    NoResource,
    /// An action the vendor is not granted.
    Action(String),
    /// A resource that is none of the ARNs the guides write for the bucket and folder.
    Resource {
        resource: String,
        bucket: String,
        folder: Option<String>,
    },
}

impl fmt::Display for NotGuide {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotGuide::Empty => f.write_str("it has no statement"),
            NotGuide::Deny => f.write_str("it has a `Deny` statement"),
            NotGuide::Condition => f.write_str("it has a condition"),
            NotGuide::Negated(element) => write!(f, "it uses `{element}`"),
            NotGuide::Principal => f.write_str("it names a principal"),
            NotGuide::NoResource => f.write_str("a statement has no `Resource`"),
            NotGuide::Action(action) => write!(
                f,
                "it grants `{action}`, which the guide does not grant the vendor"
            ),
            NotGuide::Resource {
                resource,
                bucket,
                folder,
            } => {
                write!(
                    f,
                    "it grants on `{resource}`, which is not an ARN the guide writes for bucket `{bucket}`"
                )?;
                match folder {
                    Some(folder) => write!(f, " and folder `{folder}`"),
                    None => Ok(()),
                }
            }
        }
    }
}

/// What `adopt: true` finds among the inline policies of the destination's identity.
#[derive(Debug)]
pub struct InlineAdoption<'o> {
    pub kind: IdentityKind,
    pub identity: &'o str,
    /// The guide's grant for this destination: deleted, s3dest's policy in their place.
    pub taken: Vec<(&'o str, &'o PolicyDocument)>,
    /// The others (not s3dest's), with why each stays.
    pub kept: Vec<(&'o str, &'o PolicyDocument, NotGuide)>,
}

impl InlineAdoption<'_> {
    pub fn takes(&self, name: &str) -> bool {
        self.taken.iter().any(|(n, _)| *n == name)
    }

    pub fn why_kept(&self, name: &str) -> Option<&NotGuide> {
        self.kept
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, _, why)| why)
    }
}

/// The inline policies that `adopt: true` takes over on the destination's identity, and
/// those it leaves; `None` when it takes over nothing there (no `adopt`, no policy of
/// s3dest's to put in their place, no identity as read, or one of another spec).
pub fn inline_policies<'o>(
    dest: &DesiredDestination,
    desired: &Desired,
    observed: &'o Observed,
) -> Option<InlineAdoption<'o>> {
    if !adopts_policy(dest) {
        return None;
    }
    let (kind, identity, policies) = identity(dest, &desired.spec, observed)?;
    let ours = our_policy_name(dest);
    let mut adoption = InlineAdoption {
        kind,
        identity,
        taken: Vec::new(),
        kept: Vec::new(),
    };
    for (name, policy) in policies {
        if name == ours || sid::is_s3dest(name) {
            continue;
        }
        // A policy on a role that two destinations adopt (Datadog's) is taken over
        // once, by the first whose guide it is.
        let taker = desired
            .destinations
            .values()
            .filter(|d| adopts_policy(d) && holds(d, kind, identity))
            .find(|d| guide_policy(d, policy).is_ok());
        match (taker, guide_policy(dest, policy)) {
            (Some(taker), _) if taker.name == dest.name => adoption.taken.push((name, policy)),
            (None, Err(why)) => adoption.kept.push((name, policy, why)),
            _ => {}
        }
    }
    Some(adoption)
}

/// What `adopt: true` finds in the bucket policy of a destination whose grant lives there.
#[derive(Debug, Default)]
pub struct StatementAdoption<'o> {
    /// The guide's grant to the destination's principal, by Sid: deleted, s3dest's
    /// statement in their place.
    pub taken: Vec<(&'o str, &'o Statement)>,
    /// The guide's grant without a Sid, by position (from 1): s3dest deletes only by Sid.
    pub without_sid: Vec<usize>,
    /// Other statements naming exactly that principal (as `statement `Sid`` or
    /// `statement N (no Sid)`), with why each stays.
    pub kept: Vec<(String, NotGuide)>,
}

/// The foreign statements of `policy` (the bucket's, as read) that `adopt: true` takes
/// over for the destination; `None` when it takes over nothing there.
pub fn bucket_statements<'o>(
    dest: &DesiredDestination,
    desired: &Desired,
    policy: Option<&'o PolicyDocument>,
) -> Option<StatementAdoption<'o>> {
    if !adopts_statement(dest) {
        return None;
    }
    let mut adoption = StatementAdoption::default();
    for (i, statement) in policy.iter().flat_map(|p| p.statements.iter().enumerate()) {
        if statement.sid.as_deref().is_some_and(sid::is_s3dest) || !names_principal(dest, statement)
        {
            continue;
        }
        // Two destinations granting one principal on one bucket (Cloudflare's user):
        // the first whose guide it is takes it over.
        let taker = desired
            .destinations
            .values()
            .filter(|d| adopts_statement(d) && d.bucket == dest.bucket)
            .filter(|d| names_principal(d, statement))
            .find(|d| guide_statement(d, statement, false).is_ok());
        match (
            taker,
            guide_statement(dest, statement, false),
            &statement.sid,
        ) {
            (Some(taker), _, Some(sid)) if taker.name == dest.name => {
                adoption.taken.push((sid.as_str(), statement));
            }
            (Some(taker), _, None) if taker.name == dest.name => adoption.without_sid.push(i + 1),
            (None, Err(why), sid) => {
                let which = match sid {
                    Some(sid) => format!("statement `{sid}`"),
                    None => format!("statement {} (no Sid)", i + 1),
                };
                adoption.kept.push((which, why));
            }
            _ => {}
        }
    }
    Some(adoption)
}

/// The Sids of `bucket`'s statements that the destinations' takeovers delete.
pub fn taken_over_sids(
    desired: &Desired,
    bucket: &str,
    policy: Option<&PolicyDocument>,
) -> BTreeSet<String> {
    desired
        .destinations
        .values()
        .filter(|d| d.bucket == bucket)
        .filter_map(|d| bucket_statements(d, desired, policy))
        .flat_map(|a| a.taken.into_iter().map(|(sid, _)| sid.to_owned()))
        .collect()
}

/// Whether a policy grants anything on the destination's bucket (or its prefix): worth
/// a word when it stays on a role shared with other uses (Datadog's).
pub fn mentions_bucket(dest: &DesiredDestination, policy: &PolicyDocument) -> bool {
    let bucket = format!("arn:aws:s3:::{}", dest.bucket);
    policy
        .statements
        .iter()
        .flat_map(|s| s.resource.iter().chain(&s.not_resource).flatten())
        .filter_map(|r| r.strip_prefix(&bucket))
        .any(|rest| rest.is_empty() || rest.starts_with(['/', '*', '?']))
}

/// What s3dest's grant (`ours`) changes of the grant it takes over (`taken`), in words:
/// each resource it writes otherwise (`arn:aws:s3:::b*` becomes `arn:aws:s3:::b/*`,
/// which matches no other bucket), each action it adds. Empty when it is the same.
pub fn fixes(dest: &DesiredDestination, taken: &[&Statement], ours: &[&Statement]) -> Vec<String> {
    let ours: Vec<&Statement> = ours
        .iter()
        .copied()
        .filter(|s| s.effect == Effect::Allow)
        .collect();
    let written: BTreeSet<&str> = ours
        .iter()
        .flat_map(|s| s.resource.iter().flatten())
        .map(String::as_str)
        .collect();
    let mut fixes: Vec<String> = Vec::new();
    for statement in taken.iter().filter(|s| s.effect == Effect::Allow) {
        let actions: Vec<&String> = statement.action.iter().flatten().collect();
        // Where s3dest grants these actions instead.
        let mut targets: Vec<&str> = Vec::new();
        for s in ours.iter().filter(|s| {
            s.action
                .iter()
                .flatten()
                .any(|o| actions.iter().any(|a| action_covers(o, a)))
        }) {
            for r in s.resource.iter().flatten() {
                if !targets.contains(&r.as_str()) {
                    targets.push(r);
                }
            }
        }
        let becomes = match targets.as_slice() {
            [] => "is left out".to_owned(),
            targets => {
                let shown: Vec<String> = targets.iter().map(|t| format!("`{t}`")).collect();
                format!("becomes {}", shown.join(" and "))
            }
        };
        for resource in statement.resource.iter().flatten() {
            if written.contains(resource.as_str()) {
                continue;
            }
            let fix = match form(dest, resource) {
                Some(Form::Prefix) if !targets.is_empty() => {
                    format!("`{resource}` {becomes}, which matches no other bucket")
                }
                Some(Form::TrailingSlash) => {
                    format!("`{resource}`, which matches nothing, {becomes}")
                }
                _ => format!("`{resource}` {becomes}"),
            };
            if !fixes.contains(&fix) {
                fixes.push(fix);
            }
        }
    }
    let mut added: Vec<&str> = Vec::new();
    for action in ours.iter().flat_map(|s| s.action.iter().flatten()) {
        let held = taken
            .iter()
            .flat_map(|s| s.action.iter().flatten())
            .any(|t| action_covers(t, action));
        if !held && !added.contains(&action.as_str()) {
            added.push(action);
        }
    }
    fixes.extend(added.into_iter().map(|a| format!("`{a}` is added")));
    fixes
}

/// Who a destination's bucket statement grants, in words: its role, or the vendor's
/// principal.
pub fn grantee(dest: &DesiredDestination) -> String {
    if let Some(role) = &dest.role {
        return format!("role `{}`", role.name);
    }
    let principals: Vec<&str> = dest
        .bucket_statement
        .iter()
        .flat_map(Statement::aws_principals)
        .collect();
    crate::phrase::code_list(&principals)
}

/// The name of s3dest's inline policy on the destination's identity.
pub fn our_policy_name(dest: &DesiredDestination) -> &str {
    dest.existing_role
        .as_ref()
        .map_or(INLINE_POLICY_NAME, |e| e.policy_name.as_str())
}

/// Whether `adopt: true` takes over inline policies for this destination: s3dest puts a
/// policy of its own in their place.
fn adopts_policy(dest: &DesiredDestination) -> bool {
    dest.adopt && dest.inline_policy.is_some()
}

/// Whether `adopt: true` takes over bucket statements for this destination: its grant
/// lives in the bucket policy, for a principal.
fn adopts_statement(dest: &DesiredDestination) -> bool {
    dest.adopt
        && dest
            .bucket_statement
            .as_ref()
            .is_some_and(|s| s.principal.is_some())
}

/// Whether the statement names exactly the principal of the destination's statement.
fn names_principal(dest: &DesiredDestination, statement: &Statement) -> bool {
    let want = dest
        .bucket_statement
        .as_ref()
        .and_then(|s| s.principal.as_ref());
    match (want, &statement.principal) {
        (Some(want), Some(have)) => want.equivalent(have),
        _ => false,
    }
}

type Policies = BTreeMap<String, PolicyDocument>;

/// The identity holding the destination's inline policy, as read: the role or user
/// s3dest adopts (not one of another spec), or the existing role it adds a policy to
/// (not one s3dest made).
fn identity<'o>(
    dest: &DesiredDestination,
    spec: &str,
    observed: &'o Observed,
) -> Option<(IdentityKind, &'o str, &'o Policies)> {
    let ours_to_adopt = |owner: Owner| owner == Owner::Unowned || owner.is_spec(spec);
    if let Some(role) = &dest.role {
        let found = observed.roles.get(&role.name)?;
        return ours_to_adopt(found.owner()).then_some((
            IdentityKind::Role,
            found.name.as_str(),
            &found.inline_policies,
        ));
    }
    if let Some(user) = &dest.user {
        let found = observed.users.get(&user.name)?;
        return ours_to_adopt(found.owner()).then_some((
            IdentityKind::User,
            found.name.as_str(),
            &found.inline_policies,
        ));
    }
    let existing = dest.existing_role.as_ref()?;
    let found = observed.roles.get(&existing.name)?;
    let made_by_s3dest = matches!(found.owner(), Owner::Spec { .. });
    (!made_by_s3dest).then_some((
        IdentityKind::Role,
        found.name.as_str(),
        &found.inline_policies,
    ))
}

/// Whether the destination's inline policy goes on this identity.
fn holds(dest: &DesiredDestination, kind: IdentityKind, identity: &str) -> bool {
    match kind {
        IdentityKind::Role => {
            dest.role.as_ref().is_some_and(|r| r.name == identity)
                || dest
                    .existing_role
                    .as_ref()
                    .is_some_and(|e| e.name == identity)
        }
        IdentityKind::User => dest.user.as_ref().is_some_and(|u| u.name == identity),
    }
}

/// Whether an inline policy is the guide's grant for the destination.
fn guide_policy(dest: &DesiredDestination, policy: &PolicyDocument) -> Result<(), NotGuide> {
    if policy.statements.is_empty() {
        return Err(NotGuide::Empty);
    }
    policy
        .statements
        .iter()
        .try_for_each(|s| guide_statement(dest, s, true))
}

/// Whether a statement is (part of) the guide's grant for the destination: an `Allow`
/// without conditions or `Not*` elements, of the vendor's actions, on the ARNs the
/// guides write for its bucket and folder. Its principal, in a bucket policy, is
/// checked by the caller.
fn guide_statement(
    dest: &DesiredDestination,
    statement: &Statement,
    identity_policy: bool,
) -> Result<(), NotGuide> {
    if statement.effect == Effect::Deny {
        return Err(NotGuide::Deny);
    }
    let negated = [
        (statement.not_principal.is_some(), "NotPrincipal"),
        (statement.not_action.is_some(), "NotAction"),
        (statement.not_resource.is_some(), "NotResource"),
    ];
    if let Some((_, element)) = negated.into_iter().find(|(present, _)| *present) {
        return Err(NotGuide::Negated(element));
    }
    if identity_policy && statement.principal.is_some() {
        return Err(NotGuide::Principal);
    }
    // An empty `Condition` (as the guides' trust snippets write) is none.
    if !statement.canonical().condition.is_empty() {
        return Err(NotGuide::Condition);
    }
    for action in statement.action.iter().flatten() {
        let granted = dest.vendor_actions.iter().any(|v| action_covers(v, action));
        if !granted {
            return Err(NotGuide::Action(action.clone()));
        }
    }
    let Some(resources) = &statement.resource else {
        return Err(NotGuide::NoResource);
    };
    if let Some(resource) = resources.iter().find(|r| form(dest, r).is_none()) {
        return Err(NotGuide::Resource {
            resource: resource.clone(),
            bucket: dest.bucket.clone(),
            folder: dest.folder.clone(),
        });
    }
    Ok(())
}

/// How the guides write the bucket's ARNs, their mistakes included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// `arn:aws:s3:::BUCKET`.
    Bucket,
    /// `arn:aws:s3:::BUCKET/`, WalkMe's `s3:ListBucket` resource: it matches nothing.
    TrailingSlash,
    /// `arn:aws:s3:::BUCKET*`, Braze's access-key guide: it also matches every bucket
    /// whose name starts with BUCKET.
    Prefix,
    /// `arn:aws:s3:::BUCKET/*`.
    Objects,
    /// `arn:aws:s3:::BUCKET/FOLDER/*` (Segment's `PREFIX/segment-logs` included).
    FolderObjects,
}

fn form(dest: &DesiredDestination, resource: &str) -> Option<Form> {
    let rest = resource
        .strip_prefix("arn:aws:s3:::")?
        .strip_prefix(dest.bucket.as_str())?;
    match rest {
        "" => Some(Form::Bucket),
        "/" => Some(Form::TrailingSlash),
        "*" => Some(Form::Prefix),
        "/*" => Some(Form::Objects),
        _ => {
            let folder = dest.folder.as_deref()?;
            let objects = rest.strip_prefix('/')?.strip_suffix("/*")?;
            (objects == folder).then_some(Form::FolderObjects)
        }
    }
}

/// Whether action pattern `pattern` covers `action` (IAM compares actions ignoring case).
fn action_covers(pattern: &str, action: &str) -> bool {
    wildcard_matches(&pattern.to_ascii_lowercase(), &action.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn destination(yaml: &str) -> DesiredDestination {
        let text = format!(
            "version: 1\nname: acme\nbuckets:\n  bkt: {{}}\ndestinations:\n  d:\n    bucket: bkt\n    adopt: true\n{yaml}"
        );
        let spec = match s3dest_spec::parse("s3dest.yaml", &text) {
            Ok(checked) => checked.spec,
            Err(d) => panic!("{d:?}"),
        };
        crate::presets::expand(&spec, "123456789012").destinations["d"].clone()
    }

    fn statement(value: serde_json::Value) -> Statement {
        Statement::from_value(&value).unwrap()
    }

    #[test]
    fn the_guides_arns_and_nothing_else_are_the_guides_grant() {
        let braze = destination(
            "    vendor: braze-data-export\n    folder: f\n    principal: \"987654321098\"\n    external_id: e1\n",
        );
        for resource in [
            "arn:aws:s3:::bkt",
            "arn:aws:s3:::bkt/",
            "arn:aws:s3:::bkt*",
            "arn:aws:s3:::bkt/*",
            "arn:aws:s3:::bkt/f/*",
        ] {
            let s = statement(
                serde_json::json!({"Effect": "Allow", "Action": "s3:putobject", "Resource": resource}),
            );
            assert_eq!(guide_statement(&braze, &s, true), Ok(()), "{resource}");
        }
        let refused = [
            (
                serde_json::json!({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::bkt2/*"}),
                "arn:aws:s3:::bkt2/*",
            ),
            (
                serde_json::json!({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::bkt/g/*"}),
                "bkt/g/*",
            ),
            (
                serde_json::json!({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}),
                "`*`",
            ),
            (
                serde_json::json!({"Effect": "Allow", "Action": "s3:PutObjectAcl", "Resource": "arn:aws:s3:::bkt/*"}),
                "`s3:PutObjectAcl`, which the guide",
            ),
            (
                serde_json::json!({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::bkt/*"}),
                "`s3:*`",
            ),
            (
                serde_json::json!({"Effect": "Deny", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::bkt/*"}),
                "`Deny`",
            ),
            (
                serde_json::json!({"Effect": "Allow", "NotAction": "s3:PutObject", "Resource": "arn:aws:s3:::bkt/*"}),
                "`NotAction`",
            ),
            (
                serde_json::json!({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::bkt/*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}}),
                "condition",
            ),
        ];
        for (value, why) in refused {
            let s = statement(value);
            let found = guide_statement(&braze, &s, true).unwrap_err().to_string();
            assert!(found.contains(why), "{found}");
        }
        // An empty `Condition` is none.
        let s = statement(
            serde_json::json!({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::bkt/*", "Condition": {}}),
        );
        assert_eq!(guide_statement(&braze, &s, true), Ok(()));
    }

    #[test]
    fn custom_takes_the_specs_actions_wildcards_included() {
        let custom = destination(
            "    vendor: custom\n    folder: f\n    principal: \"111122223333\"\n    external_id: e1\n    actions: [\"s3:Put*\", s3:ListBucket]\n",
        );
        let s = |action: &str| {
            statement(
                serde_json::json!({"Effect": "Allow", "Action": action, "Resource": "arn:aws:s3:::bkt/f/*"}),
            )
        };
        assert_eq!(guide_statement(&custom, &s("s3:PutObject"), true), Ok(()));
        assert_eq!(guide_statement(&custom, &s("s3:listbucket"), true), Ok(()));
        assert!(guide_statement(&custom, &s("s3:GetObject"), true).is_err());
    }

    #[test]
    fn fixes_name_each_resource_written_otherwise_and_each_action_added() {
        let walkme = destination("    vendor: walkme\n    folder: w\n");
        let hand = [
            statement(
                serde_json::json!({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::bkt/"}),
            ),
            statement(
                serde_json::json!({"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::bkt*"}),
            ),
        ];
        let ours: Vec<&Statement> = walkme
            .inline_policy
            .as_ref()
            .unwrap()
            .statements
            .iter()
            .collect();
        let taken: Vec<&Statement> = hand.iter().collect();
        assert_eq!(
            fixes(&walkme, &taken, &ours),
            [
                "`arn:aws:s3:::bkt/`, which matches nothing, becomes `arn:aws:s3:::bkt`",
                "`arn:aws:s3:::bkt*` becomes `arn:aws:s3:::bkt/*`, which matches no other bucket",
                "`s3:DeleteObject` is added",
            ]
        );
        assert!(fixes(&walkme, &ours, &ours).is_empty());
    }
}
