//! A security review of a plan's changes: the grants and trust they widen, computed
//! from the changes' typed `before`/`after` resources. Pure. Each widening is a finding
//! of the plan (`access-widens`); what a plan destroys or replaces is in its changes.
//!
//! What counts:
//! - a trust policy that lets more principals assume a role: a principal added, an
//!   external-ID (or other) condition removed or changed, a new role whose trust has
//!   no external-ID condition;
//! - a grant that widens access: an inline policy or bucket-policy statement whose
//!   update adds a principal, action or resource (or relaxes a condition), or a new one
//!   granting a wildcard (`*`, `s3:*`, every bucket, everyone). A takeover on adoption
//!   shows the hand-made grant it replaces as its `before`: it is judged against that.
//!
//! Widening is decided grant by grant: after a change, every (principal, action,
//! resource) it allows must be allowed by a statement before it, with conditions at
//! least as strict, or it is new. A formatting-only or narrowing change finds nothing.

use std::collections::{BTreeMap, BTreeSet};

use s3dest_policy::{Effect, PolicyDocument, Principal, Statement};

use crate::findings::{Finding, FindingKind, FindingSeverity};
use crate::plan::{Address, Change, Resource};

/// How a widening ranks: `Caution` (trust, wildcards, what cannot be enumerated)
/// before `Warning` (a named action or resource more).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Emphasis {
    Caution,
    Warning,
}

/// What widens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Kind {
    /// An existing trust policy lets more principals assume the role, or under weaker conditions.
    TrustWidened,
    /// A new trust policy lets a principal assume the role without an external ID.
    NoExternalId,
    /// An existing policy or statement grants more.
    GrantWidened,
    /// A new policy or statement grants a wildcard.
    WildcardGrant,
}

/// One change's widening.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Widened {
    address: Address,
    emphasis: Emphasis,
    kind: Kind,
    message: String,
}

/// The `access-widens` findings of `changes` (in plan order): those to be read with
/// caution first, then in plan order.
pub fn access_findings(changes: &[Change]) -> Vec<Finding> {
    widenings(changes)
        .into_iter()
        .map(|w| {
            Finding::new(
                FindingSeverity::Warning,
                FindingKind::AccessWidens,
                w.address,
                w.message,
            )
        })
        .collect()
}

fn widenings(changes: &[Change]) -> Vec<Widened> {
    let mut found: Vec<Widened> = changes.iter().filter_map(widened).collect();
    found.sort_by_key(|w| w.emphasis);
    found
}

fn widened(change: &Change) -> Option<Widened> {
    // Removing a resource only narrows access.
    let after = change.after.as_ref()?;
    let after_statements = grants(after)?;
    // A resource of another kind before (never, today) grants nothing to compare with.
    let before_statements = change
        .before
        .as_ref()
        .filter(|before| std::mem::discriminant(*before) == std::mem::discriminant(after))
        .and_then(grants);
    let before_statements = before_statements.as_deref();
    let found = match after {
        Resource::Role { name, .. } => trust_finding(name, before_statements, &after_statements),
        Resource::InlinePolicy { .. } => {
            grant_finding("inline policy", before_statements, &after_statements)
        }
        Resource::BucketStatement { .. } => grant_finding(
            "bucket-policy statement",
            before_statements,
            &after_statements,
        ),
        _ => None,
    };
    found.map(|(emphasis, kind, message)| Widened {
        address: change.address.clone(),
        emphasis,
        kind,
        message,
    })
}

/// The canonical statements of what a resource grants: a role's trust policy (who may
/// assume it), an inline policy, a bucket-policy statement; `None` for the rest.
fn grants(resource: &Resource) -> Option<Vec<Statement>> {
    match resource {
        Resource::Role { trust, .. } => Some(trust.canonical().statements),
        Resource::InlinePolicy { policy, .. } => Some(policy.canonical().statements),
        Resource::BucketStatement { statement, .. } => Some(vec![statement.canonical()]),
        _ => None,
    }
}

type Found = Option<(Emphasis, Kind, String)>;

/// A trust policy: who can assume the role.
fn trust_finding(role: &str, before: Option<&[Statement]>, after: &[Statement]) -> Found {
    let Some(before) = before else {
        let mut without: BTreeSet<String> = BTreeSet::new();
        for s in after.iter().filter(|s| is_plain_allow(s)) {
            for p in principals(s).into_iter().flatten() {
                if (p == ANY || p.starts_with("AWS:")) && external_ids(after, &p).is_none() {
                    without.insert(p);
                }
            }
        }
        let w = widening(&[], after);
        let mut parts = Vec::new();
        if !without.is_empty() {
            parts.push(format!(
                "can be assumed by {} without an external ID",
                list(without.iter().map(|p| show_principal(p)))
            ));
        }
        if !w.opaque.is_empty() {
            parts.push(format!("allows {}", list(w.opaque.iter().cloned())));
        }
        if w.principals.contains(ANY) && without.is_empty() {
            parts.push(format!("can be assumed by {}", show_principal(ANY)));
        }
        if parts.is_empty() {
            return None;
        }
        return Some((
            Emphasis::Caution,
            Kind::NoExternalId,
            format!("new role `{role}` {}", parts.join("; ")),
        ));
    };
    let w = widening(before, after);
    if w.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    for p in &w.principals {
        let condition = match external_ids(after, p) {
            None => " without an external ID".to_owned(),
            Some(ids) => format!(" with external ID {}", list(ids.iter().map(|i| code(i)))),
        };
        parts.push(format!("now trusts {}{condition}", show_principal(p)));
    }
    for p in &w.relaxed_principals {
        let shown = show_principal(p);
        parts.push(match (external_ids(before, p), external_ids(after, p)) {
            (Some(_), None) => format!("no longer requires an external ID from {shown}"),
            (Some(was), Some(now)) if !now.is_subset(&was) => format!(
                "the external ID required from {shown} changes from {} to {}",
                list(was.iter().map(|i| code(i))),
                list(now.iter().map(|i| code(i)))
            ),
            _ => format!("relaxes the conditions under which {shown} can assume it"),
        });
    }
    parts.extend(w.other_parts());
    Some((
        Emphasis::Caution,
        Kind::TrustWidened,
        format!("trust policy of role `{role}` widens: {}", parts.join("; ")),
    ))
}

/// An inline policy or a bucket-policy statement: what is granted, and to whom.
fn grant_finding(what: &str, before: Option<&[Statement]>, after: &[Statement]) -> Found {
    let Some(before) = before else {
        let w = widening(&[], after);
        if w.wildcards.is_empty() && w.opaque.is_empty() {
            return None;
        }
        let mut granted: Vec<String> = w.wildcards.iter().map(|x| code(x)).collect();
        granted.extend(w.opaque.iter().cloned());
        return Some((
            Emphasis::Caution,
            Kind::WildcardGrant,
            format!("new {what} grants {}", list(granted.into_iter())),
        ));
    };
    let w = widening(before, after);
    if w.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    if !w.principals.is_empty() {
        parts.push(format!(
            "adds principal {}",
            list(w.principals.iter().map(|p| show_principal(p)))
        ));
    }
    parts.extend(w.other_parts());
    if !w.relaxed_principals.is_empty() || w.relaxed {
        parts.push("relaxes its conditions or combines existing actions and resources anew".into());
    }
    let emphasis = if w.wildcards.is_empty() && w.opaque.is_empty() {
        Emphasis::Warning
    } else {
        Emphasis::Caution
    };
    Some((
        emphasis,
        Kind::GrantWidened,
        format!("{what} widens: {}", parts.join("; ")),
    ))
}

/// What the grants of `after` allow that those of `before` did not, in words ("adds
/// action `s3:DeleteObject`; removes or changes 1 `Deny` statement"); `None` when
/// nothing. For a policy changed outside s3dest: what it allows beyond the spec's.
pub fn grants_beyond(before: &PolicyDocument, after: &PolicyDocument) -> Option<String> {
    let (before, after) = (before.canonical().statements, after.canonical().statements);
    grant_finding("the policy", Some(&before), &after).map(|(_, _, message)| {
        message
            .strip_prefix("the policy widens: ")
            .map_or(message.clone(), str::to_owned)
    })
}

/// The principal value meaning everyone.
const ANY: &str = "*";

/// What `after` allows that `before` did not.
#[derive(Debug, Default)]
struct Widening {
    /// Principals no statement of `before` allowed anything to.
    principals: BTreeSet<String>,
    actions: BTreeSet<String>,
    resources: BTreeSet<String>,
    /// Principals already trusted whose grants are newly allowed (conditions relaxed…).
    relaxed_principals: BTreeSet<String>,
    /// A grant without principal, with known action and resource, newly allowed.
    relaxed: bool,
    /// New statements using `NotPrincipal`, `NotAction` or `NotResource`.
    opaque: Vec<String>,
    /// Deny statements of `before` that are gone or changed.
    removed_denies: usize,
    /// Wildcards among what is newly allowed.
    wildcards: BTreeSet<String>,
}

impl Widening {
    fn is_empty(&self) -> bool {
        self.principals.is_empty()
            && self.actions.is_empty()
            && self.resources.is_empty()
            && self.relaxed_principals.is_empty()
            && !self.relaxed
            && self.opaque.is_empty()
            && self.removed_denies == 0
    }

    /// The parts of a message not about principals.
    fn other_parts(&self) -> Vec<String> {
        let mut parts = Vec::new();
        if !self.actions.is_empty() {
            parts.push(format!(
                "adds action {}",
                list(self.actions.iter().map(|a| code(a)))
            ));
        }
        if !self.resources.is_empty() {
            parts.push(format!(
                "adds resource {}",
                list(self.resources.iter().map(|r| code(r)))
            ));
        }
        if !self.opaque.is_empty() {
            parts.push(format!("adds {}", list(self.opaque.iter().cloned())));
        }
        if self.removed_denies > 0 {
            parts.push(format!(
                "removes or changes {} `Deny` statement{}",
                self.removed_denies,
                plural(self.removed_denies)
            ));
        }
        // Wildcards not already named above (an old action on a new wildcard resource…).
        let wild: Vec<String> = self
            .wildcards
            .iter()
            .filter(|w| {
                w.as_str() != ANY && !self.actions.contains(*w) && !self.resources.contains(*w)
            })
            .map(|w| code(w))
            .collect();
        if !wild.is_empty() {
            parts.push(format!("grants the wildcard {}", list(wild.into_iter())));
        }
        parts
    }
}

/// An allow statement made only of `Principal`, `Action` and `Resource` (each of
/// which may be absent except `Action`): one that can be split into grants.
fn is_plain_allow(s: &Statement) -> bool {
    s.effect == Effect::Allow
        && s.not_principal.is_none()
        && s.not_action.is_none()
        && s.not_resource.is_none()
        && s.action.is_some()
}

/// A statement's principals as `TYPE:value` (`AWS:arn:…`), `*` for everyone;
/// `[None]` when it has no `Principal` (an identity policy).
fn principals(s: &Statement) -> Vec<Option<String>> {
    match &s.principal {
        None => vec![None],
        Some(Principal::Any) => vec![Some(ANY.to_owned())],
        Some(Principal::Map(map)) => map
            .iter()
            .flat_map(|(kind, values)| {
                values.iter().map(move |v| {
                    Some(if kind == "AWS" && v == "*" {
                        ANY.to_owned()
                    } else {
                        format!("{kind}:{v}")
                    })
                })
            })
            .collect(),
    }
}

fn show_principal(p: &str) -> String {
    if p == ANY {
        "`*` (anyone)".to_owned()
    } else if let Some(arn) = p.strip_prefix("AWS:") {
        code(arn)
    } else {
        let (kind, value) = p.split_once(':').unwrap_or(("", p));
        format!("{} ({kind})", code(value))
    }
}

/// Whether principal `q` of a statement includes principal `p`.
fn principal_covers(q: &str, p: &str) -> bool {
    if q == ANY || q == p {
        return true;
    }
    let Some(account) = q
        .strip_prefix("AWS:arn:aws:iam::")
        .and_then(|rest| rest.strip_suffix(":root"))
    else {
        return false;
    };
    // An account's root ARN trusts every principal of that account.
    p.strip_prefix("AWS:arn:aws:iam::")
        .or_else(|| p.strip_prefix("AWS:arn:aws:sts::"))
        .and_then(|rest| rest.split_once(':'))
        .is_some_and(|(acct, _)| acct == account)
}

/// `*` and `?` wildcards, as IAM matches actions and resources.
fn glob(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let norm = |s: &str| -> Vec<char> {
        if ignore_case {
            s.to_ascii_lowercase().chars().collect()
        } else {
            s.chars().collect()
        }
    };
    let (p, t) = (norm(pattern), norm(text));
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

fn is_wild_action(a: &str) -> bool {
    a == "*" || a.ends_with(":*")
}

fn is_wild_resource(r: &str) -> bool {
    r == "*" || r.starts_with("arn:aws:s3:::*")
}

type Conditions = BTreeMap<String, BTreeMap<String, Vec<String>>>;

/// Whether a statement with conditions `strict` is at most as permissive as one with
/// `loose`: every condition of `loose` is in `strict`, with values that match no more.
fn conditions_cover(loose: &Conditions, strict: &Conditions) -> bool {
    loose.iter().all(|(op, keys)| {
        let ops: Vec<&str> = match op.strip_suffix("IfExists") {
            Some(base) => vec![op.as_str(), base],
            None => vec![op.as_str()],
        };
        keys.iter().all(|(key, loose_values)| {
            ops.iter().any(|op| {
                let Some(strict_keys) = strict.get(*op) else {
                    return false;
                };
                strict_keys
                    .iter()
                    .filter(|(k, _)| k.eq_ignore_ascii_case(key))
                    .any(|(_, strict_values)| values_cover(op, loose_values, strict_values))
            })
        })
    })
}

fn values_cover(op: &str, loose: &[String], strict: &[String]) -> bool {
    let loose: BTreeSet<&String> = loose.iter().collect();
    let strict: BTreeSet<&String> = strict.iter().collect();
    let base = op.rsplit(':').next().unwrap_or(op);
    if op.contains(':') || base.starts_with("Bool") || base.starts_with("Null") {
        // Set operators (`ForAllValues:`), booleans and null checks: only the same values.
        loose == strict
    } else if base.contains("Not") {
        // A negated operator excludes more values with more of them.
        strict.is_superset(&loose)
    } else if base.starts_with("Numeric") || base.starts_with("Date") {
        loose == strict
    } else {
        strict.is_subset(&loose)
    }
}

/// Whether `s` (of the old document) allows the grant (`principal`, `action`,
/// `resource`) of statement `from`, under conditions no stricter than `from`'s.
fn covers(
    s: &Statement,
    principal: &Option<String>,
    action: &str,
    resource: &Option<String>,
    from: &Statement,
) -> bool {
    let principal_ok = match (principals(s).as_slice(), principal) {
        ([None], None) => true,
        (qs, Some(p)) => qs.iter().flatten().any(|q| principal_covers(q, p)),
        _ => false,
    };
    let action_ok = s.action.iter().flatten().any(|a| glob(a, action, true));
    let resource_ok = match (&s.resource, resource) {
        (None, None) => true,
        (Some(rs), Some(r)) => rs.iter().any(|q| glob(q, r, false)),
        _ => false,
    };
    principal_ok && action_ok && resource_ok && conditions_cover(&s.condition, &from.condition)
}

fn resources(s: &Statement) -> Vec<Option<String>> {
    match &s.resource {
        None => vec![None],
        Some(list) => list.iter().cloned().map(Some).collect(),
    }
}

fn widening(before: &[Statement], after: &[Statement]) -> Widening {
    let old: Vec<&Statement> = before.iter().filter(|s| is_plain_allow(s)).collect();
    let old_keys: BTreeSet<String> = before.iter().map(Statement::grant_key).collect();
    let new_keys: BTreeSet<String> = after.iter().map(Statement::grant_key).collect();
    let mut w = Widening::default();
    for s in after.iter().filter(|s| s.effect == Effect::Allow) {
        if !is_plain_allow(s) {
            if !old_keys.contains(&s.grant_key()) {
                let which: Vec<&str> = [
                    (s.not_principal.is_some(), "`NotPrincipal`"),
                    (s.not_action.is_some(), "`NotAction`"),
                    (s.not_resource.is_some(), "`NotResource`"),
                ]
                .into_iter()
                .filter_map(|(on, name)| on.then_some(name))
                .collect();
                w.opaque.push(format!(
                    "a statement with {} (allows everything not listed)",
                    which.join(" and ")
                ));
            }
            continue;
        }
        for principal in principals(s) {
            for action in s.action.iter().flatten() {
                for resource in resources(s) {
                    if old
                        .iter()
                        .any(|o| covers(o, &principal, action, &resource, s))
                    {
                        continue;
                    }
                    let mut new = false;
                    if let Some(p) = &principal {
                        if p == ANY {
                            w.wildcards.insert(ANY.to_owned());
                        }
                        let known = old.iter().any(|o| {
                            principals(o)
                                .iter()
                                .flatten()
                                .any(|q| principal_covers(q, p))
                        });
                        if !known {
                            w.principals.insert(p.clone());
                            new = true;
                        }
                    }
                    if is_wild_action(action) {
                        w.wildcards.insert(action.clone());
                    }
                    if !old
                        .iter()
                        .flat_map(|o| o.action.iter().flatten())
                        .any(|a| glob(a, action, true))
                    {
                        w.actions.insert(action.clone());
                        new = true;
                    }
                    if let Some(r) = &resource {
                        if is_wild_resource(r) {
                            w.wildcards.insert(r.clone());
                        }
                        if !old
                            .iter()
                            .flat_map(|o| o.resource.iter().flatten())
                            .any(|q| glob(q, r, false))
                        {
                            w.resources.insert(r.clone());
                            new = true;
                        }
                    }
                    if !new {
                        match &principal {
                            Some(p) => {
                                w.relaxed_principals.insert(p.clone());
                            }
                            None => w.relaxed = true,
                        }
                    }
                }
            }
        }
    }
    // A principal new to the policy is reported as such, not as relaxed too.
    let new_principals = w.principals.clone();
    w.relaxed_principals.retain(|p| !new_principals.contains(p));
    w.removed_denies = before
        .iter()
        .filter(|s| s.effect == Effect::Deny && !new_keys.contains(&s.grant_key()))
        .count();
    w
}

/// The external IDs a principal must present to use the statements of `doc` that
/// trust it: `None` when one of them requires none.
fn external_ids(doc: &[Statement], principal: &str) -> Option<BTreeSet<String>> {
    let mut ids = BTreeSet::new();
    for s in doc.iter().filter(|s| is_plain_allow(s)) {
        if !principals(s)
            .iter()
            .flatten()
            .any(|q| principal_covers(q, principal))
        {
            continue;
        }
        let values: Vec<&String> = s
            .condition
            .iter()
            .filter(|(op, _)| matches!(op.as_str(), "StringEquals" | "StringLike"))
            .flat_map(|(_, keys)| keys.iter())
            .filter(|(key, _)| key.eq_ignore_ascii_case("sts:ExternalId"))
            .flat_map(|(_, values)| values.iter())
            .collect();
        if values.is_empty() {
            return None;
        }
        ids.extend(values.into_iter().cloned());
    }
    Some(ids)
}

fn code(s: &str) -> String {
    format!("`{}`", s.replace('`', "'"))
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A comma-separated list, at most a few items then how many more.
fn list(items: impl Iterator<Item = String>) -> String {
    const SHOWN: usize = 5;
    let items: Vec<String> = items.collect();
    if items.len() <= SHOWN {
        items.join(", ")
    } else {
        format!(
            "{} and {} more",
            items[..SHOWN].join(", "),
            items.len() - SHOWN
        )
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::{Value, json};

    use s3dest_policy::PolicyDocument;

    use super::*;
    use crate::plan::{Action, Change, IdentityKind, Part};

    const ROLE: &str = "s3dest-partner";
    const VENDOR: &str = "arn:aws:iam::111122223333:role/exporter";

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

    fn of(changes: Vec<Change>) -> Vec<Widened> {
        widenings(&changes)
    }

    /// A trust policy: one statement per (principals, external IDs).
    fn trust(statements: &[(&[&str], &[&str])]) -> Value {
        let statements: Vec<Value> = statements
            .iter()
            .map(|(principals, ids)| {
                let mut s = json!({"Effect": "Allow", "Principal": {"AWS": principals}, "Action": "sts:AssumeRole"});
                if !ids.is_empty() {
                    s["Condition"] = json!({"StringEquals": {"sts:ExternalId": ids}});
                }
                s
            })
            .collect();
        json!({"Version": "2012-10-17", "Statement": statements})
    }

    fn document(value: Value) -> PolicyDocument {
        PolicyDocument::from_value(&value).expect("a test policy parses")
    }

    fn role_view(trust: Value) -> Resource {
        Resource::Role {
            name: ROLE.into(),
            path: "/s3dest/".into(),
            arn: format!("arn:aws:iam::111111111111:role/s3dest/{ROLE}"),
            trust: document(trust),
            tags: BTreeMap::new(),
        }
    }

    fn folder(key: &str) -> Resource {
        Resource::Folder {
            bucket: "acme".into(),
            key: key.into(),
        }
    }

    fn role_change(before: Option<Value>, after: Value) -> Change {
        let action = if before.is_some() {
            Action::Update
        } else {
            Action::Create
        };
        change(
            Address::part("partner", Part::Role),
            action,
            before.map(role_view),
            Some(role_view(after)),
        )
    }

    fn policy_view(statements: Value) -> Resource {
        Resource::InlinePolicy {
            kind: IdentityKind::Role,
            identity: ROLE.into(),
            name: "s3dest".into(),
            policy: document(json!({"Version": "2012-10-17", "Statement": statements})),
        }
    }

    fn policy_change(before: Option<Value>, after: Value) -> Change {
        let action = if before.is_some() {
            Action::Update
        } else {
            Action::Create
        };
        change(
            Address::part("partner", Part::RolePolicy),
            action,
            before.map(policy_view),
            Some(policy_view(after)),
        )
    }

    fn statement_view(statement: Value) -> Resource {
        Resource::BucketStatement {
            bucket: "acme".into(),
            sid: "S3destX".into(),
            statement: Statement::from_value(&statement).expect("a test statement parses"),
        }
    }

    fn statement_change(before: Option<Value>, after: Value) -> Change {
        let action = if before.is_some() {
            Action::Update
        } else {
            Action::Create
        };
        change(
            Address::statement("acme", "partner"),
            action,
            before.map(statement_view),
            Some(statement_view(after)),
        )
    }

    fn allow(actions: &[&str], resources: &[&str]) -> Value {
        json!({"Effect": "Allow", "Action": actions, "Resource": resources})
    }

    fn one(found: &[Widened], kind: Kind, emphasis: Emphasis) -> &Widened {
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(
            (found[0].kind, found[0].emphasis),
            (kind, emphasis),
            "{found:#?}"
        );
        &found[0]
    }

    #[test]
    fn removing_or_moving_finds_nothing() {
        let before = Some(folder("partner/"));
        let policy = policy_view(json!([allow(&["s3:*"], &["*"])]));
        let found = of(vec![
            change(
                Address::part("partner", Part::Folder),
                Action::Delete,
                before.clone(),
                None,
            ),
            change(
                Address::part("other", Part::Folder),
                Action::Replace,
                before.clone(),
                before,
            ),
            // Deleting even a wide policy only narrows access.
            change(
                Address::part("p", Part::RolePolicy),
                Action::Delete,
                Some(policy),
                None,
            ),
        ]);
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn trust_principal_added() {
        let before = trust(&[(&[VENDOR], &["x"])]);
        let after = trust(&[(&[VENDOR, "arn:aws:iam::444455556666:root"], &["x"])]);
        let found = of(vec![role_change(Some(before), after)]);
        let f = one(&found, Kind::TrustWidened, Emphasis::Caution);
        assert_eq!(f.address, "destination.partner.role");
        assert!(
            f.message
                .contains("now trusts `arn:aws:iam::444455556666:root` with external ID `x`"),
            "{}",
            f.message
        );
        assert!(!f.message.contains(VENDOR), "{}", f.message);
    }

    #[test]
    fn trust_principal_added_without_external_id() {
        let before = trust(&[(&[VENDOR], &["x"])]);
        let after = trust(&[(&[VENDOR], &["x"]), (&["444455556666"], &[])]);
        let found = of(vec![role_change(Some(before), after)]);
        let f = one(&found, Kind::TrustWidened, Emphasis::Caution);
        assert!(
            f.message
                .contains("`arn:aws:iam::444455556666:root` without an external ID"),
            "{}",
            f.message
        );
    }

    #[test]
    fn trust_external_id_removed() {
        let before = trust(&[(&[VENDOR], &["x"])]);
        let after = trust(&[(&[VENDOR], &[])]);
        let found = of(vec![role_change(Some(before), after)]);
        let f = one(&found, Kind::TrustWidened, Emphasis::Caution);
        assert!(
            f.message.contains(&format!(
                "no longer requires an external ID from `{VENDOR}`"
            )),
            "{}",
            f.message
        );
    }

    #[test]
    fn trust_external_id_changed_or_added_to() {
        let before = trust(&[(&[VENDOR], &["old"])]);
        let found = of(vec![role_change(
            Some(before.clone()),
            trust(&[(&[VENDOR], &["new"])]),
        )]);
        let f = one(&found, Kind::TrustWidened, Emphasis::Caution);
        assert!(f.message.contains("from `old` to `new`"), "{}", f.message);
        // Accepting a second ID widens too.
        let found = of(vec![role_change(
            Some(before),
            trust(&[(&[VENDOR], &["old", "new"])]),
        )]);
        one(&found, Kind::TrustWidened, Emphasis::Caution);
    }

    #[test]
    fn trust_to_everyone() {
        let before = trust(&[(&[VENDOR], &["x"])]);
        let found = of(vec![role_change(Some(before), trust(&[(&["*"], &["x"])]))]);
        let f = one(&found, Kind::TrustWidened, Emphasis::Caution);
        assert!(f.message.contains("`*` (anyone)"), "{}", f.message);
    }

    #[test]
    fn new_role_without_external_id() {
        let after = trust(&[(&[VENDOR, "arn:aws:iam::444455556666:role/b"], &[])]);
        let found = of(vec![role_change(None, after)]);
        let f = one(&found, Kind::NoExternalId, Emphasis::Caution);
        assert!(
            f.message
                .starts_with(&format!("new role `{ROLE}` can be assumed by")),
            "{}",
            f.message
        );
        assert!(
            f.message.contains(VENDOR) && f.message.contains("role/b"),
            "{}",
            f.message
        );
        // Only the principal without one is named.
        let after = trust(&[
            (&[VENDOR], &["x"]),
            (&["arn:aws:iam::444455556666:role/b"], &[]),
        ]);
        let f = &of(vec![role_change(None, after)])[0];
        assert!(!f.message.contains(VENDOR), "{}", f.message);
    }

    #[test]
    fn new_role_with_external_id_is_fine() {
        let found = of(vec![role_change(None, trust(&[(&[VENDOR], &["x"])]))]);
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn new_role_for_a_service_needs_no_external_id() {
        let after = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
        assert!(of(vec![role_change(None, after)]).is_empty());
    }

    #[test]
    fn trust_formatting_only_finds_nothing() {
        let before = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": ["444455556666", VENDOR]}, "Action": ["sts:assumerole"],
             "Condition": {"StringEquals": {"sts:ExternalId": ["b", "a"]}}}]});
        let after = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": [VENDOR, "arn:aws:iam::444455556666:root", VENDOR]}, "Action": "sts:AssumeRole",
             "Condition": {"StringEquals": {"sts:externalid": ["a", "b"]}}}]});
        let found = of(vec![role_change(Some(before), after)]);
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn trust_narrowing_finds_nothing() {
        let before = trust(&[(&[VENDOR, "arn:aws:iam::444455556666:root"], &["a", "b"])]);
        // A principal removed, one external ID dropped, the account root narrowed to one role.
        let after = trust(&[(&["arn:aws:iam::444455556666:role/b"], &["a"])]);
        let found = of(vec![role_change(Some(before), after)]);
        assert!(found.is_empty(), "{found:#?}");
        // Adding an external ID where there was none narrows too.
        let found = of(vec![role_change(
            Some(trust(&[(&[VENDOR], &[])])),
            trust(&[(&[VENDOR], &["a"])]),
        )]);
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn root_covers_only_its_own_account() {
        let before = trust(&[(&["arn:aws:iam::444455556666:root"], &["a"])]);
        let after = trust(&[(&["arn:aws:iam::444455556667:role/b"], &["a"])]);
        one(
            &of(vec![role_change(Some(before), after)]),
            Kind::TrustWidened,
            Emphasis::Caution,
        );
    }

    #[test]
    fn aroa_drift_repaired_is_a_new_principal() {
        let before = trust(&[(&["AROAEXAMPLEUNIQUEID1"], &["x"])]);
        let after = trust(&[(&["987654321098"], &["x"])]);
        let f = &of(vec![role_change(Some(before), after)])[0];
        assert_eq!(f.kind, Kind::TrustWidened);
        assert!(
            f.message
                .contains("now trusts `arn:aws:iam::987654321098:root`"),
            "{}",
            f.message
        );
    }

    #[test]
    fn tag_only_role_update_finds_nothing() {
        let t = trust(&[(&[VENDOR], &["x"])]);
        let mut after = role_view(t.clone());
        if let Resource::Role { tags, .. } = &mut after {
            tags.insert("owner".into(), "me".into());
        }
        let c = change(
            Address::part("partner", Part::Role),
            Action::Update,
            Some(role_view(t)),
            Some(after),
        );
        assert!(of(vec![c]).is_empty());
    }

    #[test]
    fn inline_policy_action_added() {
        let before = json!([allow(&["s3:PutObject"], &["arn:aws:s3:::acme/p/*"])]);
        let after = json!([allow(
            &["s3:PutObject", "s3:DeleteObject"],
            &["arn:aws:s3:::acme/p/*"]
        )]);
        let found = of(vec![policy_change(Some(before), after)]);
        let f = one(&found, Kind::GrantWidened, Emphasis::Warning);
        assert_eq!(
            f.message,
            "inline policy widens: adds action `s3:DeleteObject`"
        );
    }

    #[test]
    fn inline_policy_resource_added() {
        let before = json!([allow(&["s3:PutObject"], &["arn:aws:s3:::acme/p/*"])]);
        let after = json!([allow(
            &["s3:PutObject"],
            &["arn:aws:s3:::acme/p/*", "arn:aws:s3:::acme/q/*"]
        )]);
        let f = &of(vec![policy_change(Some(before), after)])[0];
        assert_eq!(
            f.message,
            "inline policy widens: adds resource `arn:aws:s3:::acme/q/*`"
        );
    }

    #[test]
    fn existing_action_on_existing_resource_combined_anew() {
        let before = json!([
            allow(&["s3:ListBucket"], &["arn:aws:s3:::acme"]),
            allow(&["s3:GetObject"], &["arn:aws:s3:::acme/*"])
        ]);
        let after = json!([allow(
            &["s3:ListBucket", "s3:GetObject"],
            &["arn:aws:s3:::acme", "arn:aws:s3:::acme/*"]
        )]);
        let f = &of(vec![policy_change(Some(before), after)])[0];
        assert_eq!(f.kind, Kind::GrantWidened);
        assert!(
            f.message
                .contains("combines existing actions and resources anew"),
            "{}",
            f.message
        );
    }

    #[test]
    fn wildcard_update_is_a_caution() {
        let before = json!([allow(&["s3:PutObject"], &["arn:aws:s3:::acme/p/*"])]);
        let after = json!([allow(&["s3:*"], &["arn:aws:s3:::acme/p/*"])]);
        let f = &of(vec![policy_change(Some(before), after)])[0];
        assert_eq!(
            (f.kind, f.emphasis),
            (Kind::GrantWidened, Emphasis::Caution)
        );
        assert_eq!(f.message, "inline policy widens: adds action `s3:*`");
        // An old wildcard on a new resource is named as such.
        let before = json!([allow(&["s3:*"], &["arn:aws:s3:::acme/p/*"])]);
        let after = json!([allow(&["s3:*"], &["arn:aws:s3:::acme/*"])]);
        let f = &of(vec![policy_change(Some(before), after)])[0];
        assert_eq!(f.emphasis, Emphasis::Caution);
        assert_eq!(
            f.message,
            "inline policy widens: adds resource `arn:aws:s3:::acme/*`; grants the wildcard `s3:*`"
        );
    }

    #[test]
    fn inline_policy_formatting_and_narrowing_find_nothing() {
        let before = json!([allow(
            &["s3:Get*", "s3:PutObject"],
            &["arn:aws:s3:::acme/*"]
        )]);
        // Case, order, string-for-list; a wildcard replaced by what it covers; a resource narrowed.
        let after = json!([
            {"Effect": "Allow", "Action": "s3:getobject", "Resource": "arn:aws:s3:::acme/p/*"},
            allow(&["s3:PutObject"], &["arn:aws:s3:::acme/*"])
        ]);
        let found = of(vec![policy_change(Some(before), after)]);
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn new_inline_policy_with_wildcards() {
        let f = &of(vec![policy_change(None, json!([allow(&["s3:*"], &["*"])]))])[0];
        assert_eq!(
            (f.kind, f.emphasis),
            (Kind::WildcardGrant, Emphasis::Caution)
        );
        assert_eq!(f.message, "new inline policy grants `*`, `s3:*`");
        let found = of(vec![policy_change(
            None,
            json!([allow(&["*"], &["arn:aws:s3:::acme/*"])]),
        )]);
        one(&found, Kind::WildcardGrant, Emphasis::Caution);
    }

    #[test]
    fn new_inline_policy_without_wildcards_is_fine() {
        let after = json!([allow(
            &["s3:PutObject", "s3:Get*"],
            &["arn:aws:s3:::acme/p/*"]
        )]);
        assert!(of(vec![policy_change(None, after)]).is_empty());
    }

    #[test]
    fn new_bucket_statement_to_everyone() {
        let after = json!({"Sid": "S3destX", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme/*"});
        let f = &of(vec![statement_change(None, after)])[0];
        assert_eq!(
            (f.kind, f.emphasis),
            (Kind::WildcardGrant, Emphasis::Caution)
        );
        assert_eq!(f.message, "new bucket-policy statement grants `*`");
    }

    #[test]
    fn bucket_statement_resource_added_and_formatting() {
        let before = json!({"Sid": "S3destX", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:role/r"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::acme/*"});
        let mut after = before.clone();
        after["Resource"] = json!(["arn:aws:s3:::acme", "arn:aws:s3:::acme/*"]);
        let f = &of(vec![statement_change(Some(before.clone()), after)])[0];
        assert_eq!(
            (f.kind, f.emphasis),
            (Kind::GrantWidened, Emphasis::Warning)
        );
        assert_eq!(
            f.message,
            "bucket-policy statement widens: adds resource `arn:aws:s3:::acme`"
        );
        let mut same = before.clone();
        same["Principal"] = json!({"AWS": ["arn:aws:iam::111111111111:role/r"]});
        same["Sid"] = json!("Other");
        assert!(of(vec![statement_change(Some(before), same)]).is_empty());
    }

    #[test]
    fn bucket_statement_principal_added() {
        let before = json!({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:role/r"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::acme/*"});
        let mut after = before.clone();
        after["Principal"] = json!({"AWS": ["arn:aws:iam::111111111111:role/r", "222233334444"]});
        let f = &of(vec![statement_change(Some(before), after)])[0];
        assert_eq!(
            f.message,
            "bucket-policy statement widens: adds principal `arn:aws:iam::222233334444:root`"
        );
    }

    #[test]
    fn condition_removed_or_relaxed() {
        let before = json!({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:role/r"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::acme/*",
            "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}});
        let mut after = before.clone();
        after["Condition"] =
            json!({"StringEqualsIfExists": {"s3:x-amz-acl": "bucket-owner-full-control"}});
        let f = &of(vec![statement_change(Some(before.clone()), after)])[0];
        assert_eq!(f.kind, Kind::GrantWidened);
        assert!(
            f.message.contains("relaxes its conditions"),
            "{}",
            f.message
        );
        let mut without = before.clone();
        without.as_object_mut().unwrap().remove("Condition");
        assert_eq!(
            of(vec![statement_change(Some(before.clone()), without)]).len(),
            1
        );
        // The other way round is stricter.
        let mut strict = before.clone();
        strict["Condition"]["Bool"] = json!({"aws:SecureTransport": "true"});
        assert!(of(vec![statement_change(Some(before), strict)]).is_empty());
    }

    #[test]
    fn not_action_and_removed_deny() {
        let before = json!([allow(&["s3:PutObject"], &["arn:aws:s3:::acme/*"]),
            {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::acme/*"}]);
        let after = json!([allow(&["s3:PutObject"], &["arn:aws:s3:::acme/*"]),
            {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]);
        let f = &of(vec![policy_change(Some(before), after)])[0];
        assert_eq!(
            (f.kind, f.emphasis),
            (Kind::GrantWidened, Emphasis::Caution)
        );
        assert!(f.message.contains("`NotAction`"), "{}", f.message);
        assert!(
            f.message.contains("removes or changes 1 `Deny` statement"),
            "{}",
            f.message
        );
    }

    #[test]
    fn cautions_come_first_then_plan_order() {
        let narrow = |dest: &str| {
            let mut c = policy_change(
                Some(json!([allow(
                    &["s3:PutObject"],
                    &["arn:aws:s3:::acme/p/*"]
                )])),
                json!([allow(
                    &["s3:PutObject", "s3:GetObject"],
                    &["arn:aws:s3:::acme/p/*"]
                )]),
            );
            c.address = Address::part(dest, Part::RolePolicy);
            c
        };
        let found = of(vec![
            narrow("a"),
            role_change(None, trust(&[(&[VENDOR], &[])])),
            policy_change(None, json!([allow(&["s3:*"], &["arn:aws:s3:::acme/*"])])),
            narrow("b"),
        ]);
        let order: Vec<(String, Emphasis)> = found
            .iter()
            .map(|f| (f.address.to_string(), f.emphasis))
            .collect();
        let expected = [
            ("destination.partner.role", Emphasis::Caution),
            ("destination.partner.role_policy", Emphasis::Caution),
            ("destination.a.role_policy", Emphasis::Warning),
            ("destination.b.role_policy", Emphasis::Warning),
        ]
        .map(|(address, emphasis)| (address.to_owned(), emphasis));
        assert_eq!(order, expected);
    }

    #[test]
    fn each_widening_is_an_access_widens_warning_of_its_destination() {
        let changes = vec![
            statement_change(
                None,
                json!({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme/*"}),
            ),
            role_change(None, trust(&[(&[VENDOR], &["x"])])),
        ];
        let found = access_findings(&changes);
        assert_eq!(
            found,
            [Finding {
                severity: FindingSeverity::Warning,
                kind: FindingKind::AccessWidens,
                address: Address::statement("acme", "partner"),
                destination: Some("partner".into()),
                message: "new bucket-policy statement grants `*`".into(),
            }]
        );
    }

    #[test]
    fn globs() {
        assert!(glob("s3:Get*", "s3:getobject", true));
        assert!(glob("s3:*", "s3:Get*", true));
        assert!(!glob("s3:GetObject", "s3:Get*", true));
        assert!(glob("arn:aws:s3:::a/*", "arn:aws:s3:::a/b/c", false));
        assert!(!glob("arn:aws:s3:::a/*", "arn:aws:s3:::a", false));
        assert!(glob("a?c*", "abcdef", false));
        assert!(!glob("A*", "abc", false));
        assert!(glob("*", "", false));
    }
}
