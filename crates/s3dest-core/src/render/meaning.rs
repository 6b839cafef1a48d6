//! What an update means, before its textual diff: for a policy document (a trust
//! policy, an inline policy, a bucket-policy statement) the statements added, removed
//! or changed and, within a changed one, the actions, resources, principals and
//! conditions it gains or loses ([`s3dest_policy::PolicyDiff`]); for a role or user,
//! the tags added, removed or changed (names only: a tag's value is never shown here);
//! for an access key, its status.
//!
//! The text and markdown plans print the same lines; each renderer draws the sign.

use std::collections::{BTreeMap, BTreeSet};

use s3dest_policy::{
    ConditionChange, Delta, PolicyDiff, PolicyDocument, Principal, PrincipalValue, Statement,
    StatementChange,
};

use crate::phrase::and_list;
use crate::plan::{Action, Change, Resource};

/// What a line says happens: something gained, lost, or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sign {
    Added,
    Removed,
    Changed,
}

impl Sign {
    pub(super) fn as_char(self) -> char {
        match self {
            Sign::Added => '+',
            Sign::Removed => '-',
            Sign::Changed => '~',
        }
    }
}

/// One line of meaning, `depth` levels under its heading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Line {
    pub depth: usize,
    pub sign: Sign,
    pub text: String,
}

impl Line {
    fn new(depth: usize, sign: Sign, text: impl Into<String>) -> Line {
        Line {
            depth,
            sign,
            text: text.into(),
        }
    }
}

/// The lines of meaning of a change: only for an update or replace of something both
/// sides hold; nothing when no policy or tag differs.
pub(super) fn lines(change: &Change) -> Vec<Line> {
    if !matches!(change.action, Action::Update | Action::Replace) {
        return Vec::new();
    }
    let (Some(before), Some(after)) = (&change.before, &change.after) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some((what, old, new)) = document(before, after) {
        out.extend(policy_lines(what, &PolicyDiff::between(&old, &new)));
    }
    if let Some(line) = tag_line(before, after) {
        out.push(line);
    }
    if let Some(line) = key_status_line(before, after) {
        out.push(line);
    }
    out
}

/// `~ status `Active` → `Inactive``: an access key switched on or off.
fn key_status_line(before: &Resource, after: &Resource) -> Option<Line> {
    let (Resource::AccessKey { active: old, .. }, Resource::AccessKey { active: new, .. }) =
        (before, after)
    else {
        return None;
    };
    let status = |active: bool| code(if active { "Active" } else { "Inactive" });
    (old != new).then(|| {
        Line::new(
            0,
            Sign::Changed,
            format!("status {} → {}", status(*old), status(*new)),
        )
    })
}

/// A few words on what an update changes, for the summary of its destination:
/// `trust policy updated: external ID changed`. `None` when there is nothing to say
/// beyond its reason.
pub(super) fn headline(change: &Change) -> Option<String> {
    let (Some(before), Some(after)) = (&change.before, &change.after) else {
        return None;
    };
    if let Some((what, old, new)) = document(before, after) {
        let diff = PolicyDiff::between(&old, &new);
        if !diff.is_empty() {
            return Some(format!("{what} updated: {}", policy_headline(&diff)));
        }
    }
    let (old, new) = (tags(before)?, tags(after)?);
    let changes = tag_changes(old, new, true);
    (!changes.is_empty()).then(|| format!("tags updated: {}", changes.join(", ")))
}

/// The policy document a resource holds, before and after, with what a reader calls
/// it; a bucket statement as a document of one statement.
fn document(
    before: &Resource,
    after: &Resource,
) -> Option<(&'static str, PolicyDocument, PolicyDocument)> {
    match (before, after) {
        (Resource::Role { trust: old, .. }, Resource::Role { trust: new, .. }) => {
            Some(("trust policy", old.clone(), new.clone()))
        }
        (
            Resource::InlinePolicy { policy: old, .. },
            Resource::InlinePolicy { policy: new, .. },
        ) => Some(("inline policy", old.clone(), new.clone())),
        (
            Resource::BucketStatement { statement: old, .. },
            Resource::BucketStatement { statement: new, .. },
        ) => Some((
            BUCKET_STATEMENT,
            PolicyDocument::new(vec![old.clone()]),
            PolicyDocument::new(vec![new.clone()]),
        )),
        _ => None,
    }
}

const BUCKET_STATEMENT: &str = "bucket statement";

fn policy_lines(what: &str, diff: &PolicyDiff) -> Vec<Line> {
    if diff.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    // One statement changed and nothing else: its changes straight under the heading.
    if let ([change], [], [], None) = (
        diff.changed.as_slice(),
        diff.added.as_slice(),
        diff.removed.as_slice(),
        &diff.version,
    ) {
        // A bucket statement is one statement: it needs no second name.
        let heading = if what == BUCKET_STATEMENT {
            format!("{what} {}:", changed_label(change))
        } else {
            format!("{what}: statement {} changed:", changed_label(change))
        };
        out.push(Line::new(0, Sign::Changed, heading));
        out.extend(statement_lines(1, change));
        return out;
    }
    out.push(Line::new(
        0,
        Sign::Changed,
        format!("{what}: {}", statement_counts(diff)),
    ));
    if let Some((old, new)) = &diff.version {
        out.push(Line::new(
            1,
            Sign::Changed,
            format!("Version {} → {}", code(old), code(new)),
        ));
    }
    for statement in &diff.added {
        out.push(Line::new(
            1,
            Sign::Added,
            format!("statement{}", described(statement)),
        ));
    }
    for statement in &diff.removed {
        out.push(Line::new(
            1,
            Sign::Removed,
            format!("statement{}", described(statement)),
        ));
    }
    for change in &diff.changed {
        out.push(Line::new(
            1,
            Sign::Changed,
            format!("statement {} changed:", changed_label(change)),
        ));
        out.extend(statement_lines(2, change));
    }
    out
}

/// `1 statement added, 2 changed`: the noun once, after the first count.
fn statement_counts(diff: &PolicyDiff) -> String {
    let counts = [
        (diff.added.len(), "added"),
        (diff.removed.len(), "removed"),
        (diff.changed.len(), "changed"),
    ];
    let mut parts: Vec<String> = Vec::new();
    for (n, verb) in counts.into_iter().filter(|(n, _)| *n > 0) {
        parts.push(if parts.is_empty() {
            format!("{n} statement{} {verb}", plural(n))
        } else {
            format!("{n} {verb}")
        });
    }
    if diff.version.is_some() {
        parts.push("Version changed".to_owned());
    }
    parts.join(", ")
}

/// What a changed statement is known by: its Sid, else what it keeps of its grant
/// (what changed is listed under it).
fn changed_label(change: &StatementChange) -> String {
    if let Some(sid) = change.sid() {
        return code(sid);
    }
    let mut kept = change.before.clone();
    if !change.actions.is_empty() || !change.not_actions.is_empty() {
        (kept.action, kept.not_action) = (None, None);
    }
    if !change.resources.is_empty() || !change.not_resources.is_empty() {
        (kept.resource, kept.not_resource) = (None, None);
    }
    if !change.principals.is_empty() || !change.not_principals.is_empty() {
        (kept.principal, kept.not_principal) = (None, None);
    }
    // Nothing kept but the effect: what it granted before tells it best.
    let only_effect = [
        &kept.action,
        &kept.not_action,
        &kept.resource,
        &kept.not_resource,
    ]
    .iter()
    .all(|list| list.is_none())
        && kept.principal.is_none()
        && kept.not_principal.is_none();
    let label = if only_effect {
        identified(&change.before)
    } else {
        identified(&kept)
    };
    format!("({label})")
}

/// `` `Sid`: Allow `s3:*` on `*` ``, or without a Sid `: Allow …`.
fn described(statement: &Statement) -> String {
    let sid = statement
        .sid
        .as_deref()
        .map_or(String::new(), |s| format!(" {}", code(s)));
    format!("{sid}: {}", description(statement))
}

/// A statement in a few words: its effect, actions, resources and who, and how many
/// conditions it has.
fn description(statement: &Statement) -> String {
    let mut out = identified(statement);
    let conditions = statement
        .condition
        .values()
        .map(BTreeMap::len)
        .sum::<usize>();
    if conditions > 0 {
        out.push_str(&format!(
            " with {conditions} condition{}",
            plural(conditions)
        ));
    }
    out
}

/// What tells a statement without a Sid from its neighbours: its effect, actions,
/// resources and who.
fn identified(statement: &Statement) -> String {
    let mut out = statement.effect.as_str().to_owned();
    out.push_str(&listed(
        " ",
        "every action but ",
        &statement.action,
        &statement.not_action,
    ));
    out.push_str(&listed(
        " on ",
        "everything but ",
        &statement.resource,
        &statement.not_resource,
    ));
    let who = |p: &Option<Principal>| -> Option<Vec<String>> {
        let values = principal_values(p);
        (!values.is_empty()).then(|| values.iter().map(principal).collect())
    };
    if let Some(who) = who(&statement.principal) {
        out.push_str(&format!(" for {}", few(who)));
    } else if let Some(who) = who(&statement.not_principal) {
        out.push_str(&format!(" for everyone but {}", few(who)));
    }
    out
}

/// ` on `a` and `b``, or for the `Not` form ` on everything but `c``; nothing when
/// the statement has neither.
fn listed(
    prefix: &str,
    all_but: &str,
    list: &Option<Vec<String>>,
    not: &Option<Vec<String>>,
) -> String {
    let shown = |values: &[String]| few(values.iter().map(|v| code(v)).collect());
    match (list, not) {
        (Some(list), _) => format!("{prefix}{}", shown(list)),
        (None, Some(not)) => format!("{prefix}{all_but}{}", shown(not)),
        (None, None) => String::new(),
    }
}

/// The changes within one statement, a line each.
fn statement_lines(depth: usize, change: &StatementChange) -> Vec<Line> {
    let mut out = Vec::new();
    if let Some((old, new)) = change.effect {
        out.push(Line::new(
            depth,
            Sign::Changed,
            format!("effect {} → {}", code(old.as_str()), code(new.as_str())),
        ));
    }
    let lists = [
        ("action", &change.actions),
        ("NotAction", &change.not_actions),
        ("resource", &change.resources),
        ("NotResource", &change.not_resources),
    ];
    for (noun, delta) in lists {
        out.extend(delta_lines(depth, noun, delta, |v| code(v)));
    }
    out.extend(delta_lines(
        depth,
        "principal",
        &change.principals,
        principal,
    ));
    out.extend(delta_lines(
        depth,
        "NotPrincipal",
        &change.not_principals,
        principal,
    ));
    out.extend(change.conditions.iter().map(|c| condition_line(depth, c)));
    out
}

/// `+ actions `a` and `b``, `- resource `r``.
fn delta_lines<T>(
    depth: usize,
    noun: &str,
    delta: &Delta<T>,
    show: impl Fn(&T) -> String,
) -> Vec<Line> {
    [(Sign::Added, &delta.added), (Sign::Removed, &delta.removed)]
        .into_iter()
        .filter(|(_, values)| !values.is_empty())
        .map(|(sign, values)| {
            let shown: Vec<String> = values.iter().map(&show).collect();
            Line::new(
                depth,
                sign,
                format!("{noun}{} {}", plural(values.len()), limited(shown)),
            )
        })
        .collect()
}

/// An external ID reads as itself; other conditions by operator and key.
fn condition_line(depth: usize, c: &ConditionChange) -> Line {
    let (old, new) = (codes(&c.before), codes(&c.after));
    if c.is_external_id() {
        let (sign, text) = match (c.before.is_empty(), c.after.is_empty()) {
            (true, _) => (Sign::Added, format!("external ID {new} required")),
            (false, true) => (
                Sign::Removed,
                format!("external ID {old} no longer required"),
            ),
            (false, false) => (Sign::Changed, format!("external ID {old} → {new}")),
        };
        return Line::new(depth, sign, text);
    }
    let what = format!("condition {} {}", code(&c.operator), code(&c.key));
    let (sign, text) = match (c.before.is_empty(), c.after.is_empty()) {
        (true, _) => (Sign::Added, format!("{what}: {new}")),
        (false, true) => (Sign::Removed, format!("{what}: {old}")),
        (false, false) => (Sign::Changed, format!("{what}: {old} → {new}")),
    };
    Line::new(depth, sign, text)
}

/// `external ID changed, principal added`: what kinds of thing a diff changes.
fn policy_headline(diff: &PolicyDiff) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut push = |part: String| {
        if !parts.contains(&part) {
            parts.push(part);
        }
    };
    for (n, verb) in [(diff.added.len(), "added"), (diff.removed.len(), "removed")] {
        if n > 0 {
            push(format!("{n} statement{} {verb}", plural(n)));
        }
    }
    for change in &diff.changed {
        if change.effect.is_some() {
            push("effect changed".to_owned());
        }
        let deltas = [
            (
                "action",
                change.actions.added.len() + change.not_actions.added.len(),
                change.actions.removed.len() + change.not_actions.removed.len(),
            ),
            (
                "resource",
                change.resources.added.len() + change.not_resources.added.len(),
                change.resources.removed.len() + change.not_resources.removed.len(),
            ),
            (
                "principal",
                change.principals.added.len() + change.not_principals.added.len(),
                change.principals.removed.len() + change.not_principals.removed.len(),
            ),
        ];
        for (noun, added, removed) in deltas {
            let verb = match (added > 0, removed > 0) {
                (true, true) => "changed",
                (true, false) => "added",
                (false, true) => "removed",
                (false, false) => continue,
            };
            let n = if added > 0 && removed > 0 {
                2
            } else {
                added + removed
            };
            push(format!("{noun}{} {verb}", plural(n)));
        }
        for c in &change.conditions {
            let what = if c.is_external_id() {
                "external ID"
            } else {
                "condition"
            };
            let verb = match (c.before.is_empty(), c.after.is_empty()) {
                (true, _) => "added",
                (false, true) => "removed",
                (false, false) => "changed",
            };
            push(format!("{what} {verb}"));
        }
    }
    if diff.version.is_some() {
        push("Version changed".to_owned());
    }
    parts.join(", ")
}

/// `~ tags: `s3dest:trust` added, `s3dest:x` changed`: tag names, never their values.
fn tag_line(before: &Resource, after: &Resource) -> Option<Line> {
    let changes = tag_changes(tags(before)?, tags(after)?, false);
    (!changes.is_empty())
        .then(|| Line::new(0, Sign::Changed, format!("tags: {}", changes.join(", "))))
}

fn tags(resource: &Resource) -> Option<&BTreeMap<String, String>> {
    match resource {
        Resource::Role { tags, .. } | Resource::User { tags, .. } => Some(tags),
        _ => None,
    }
}

/// `` `a` and `b` added, `c` changed ``; with `brief`, more than two names of a kind
/// are counted (`4 added`).
fn tag_changes(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
    brief: bool,
) -> Vec<String> {
    let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    let mut by_verb: BTreeMap<u8, (&str, Vec<String>)> = BTreeMap::new();
    for key in keys {
        let (rank, verb) = match (before.get(key), after.get(key)) {
            (None, Some(_)) => (0, "added"),
            (Some(_), None) => (1, "removed"),
            (Some(old), Some(new)) if old != new => (2, "changed"),
            _ => continue,
        };
        by_verb
            .entry(rank)
            .or_insert((verb, Vec::new()))
            .1
            .push(code(key));
    }
    by_verb
        .into_values()
        .map(|(verb, names)| {
            if brief && names.len() > 2 {
                format!("{} {verb}", names.len())
            } else {
                format!("{} {verb}", and_list(names))
            }
        })
        .collect()
}

fn principal_values(principal: &Option<Principal>) -> Vec<PrincipalValue> {
    principal.iter().flat_map(PrincipalValue::all_of).collect()
}

/// A principal as the findings show one: `` `arn` ``, `` `*` (anyone) ``, or
/// `` `logs.amazonaws.com` (Service) ``.
fn principal(p: &PrincipalValue) -> String {
    if p.is_anyone() {
        "`*` (anyone)".to_owned()
    } else if p.kind == "AWS" {
        code(&p.value)
    } else {
        format!("{} ({})", code(&p.value), p.kind)
    }
}

fn codes(values: &[String]) -> String {
    limited(values.iter().map(|v| code(v)).collect())
}

/// `a`, `a and b`, … at most 10 items and then how many more: what changed is named
/// (the diff below shows it all).
fn limited(items: Vec<String>) -> String {
    at_most(10, items)
}

/// At most 3 items: enough to tell a statement from its neighbours.
fn few(items: Vec<String>) -> String {
    at_most(3, items)
}

fn at_most(named: usize, items: Vec<String>) -> String {
    if items.len() <= named {
        return and_list(items);
    }
    let more = items.len() - named;
    format!("{} and {more} more", items[..named].join(", "))
}

/// A value in backquotes, on one line, that no backquote inside can close early.
pub(super) fn code(s: &str) -> String {
    format!("`{}`", s.replace('`', "'").replace(['\r', '\n'], " "))
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
