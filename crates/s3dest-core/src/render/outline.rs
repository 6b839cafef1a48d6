//! The plan as a reviewer reads it, shared by the text and markdown plans: the changes
//! grouped (bucket-wide first, then each destination's, by name), and one line per
//! group member saying what happens to it and why.

use std::collections::BTreeMap;

use super::{meaning, symbol, verb};
use crate::plan::{Action, Address, Change, Part, Plan};

/// Whose changes a group holds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Owner {
    /// Buckets themselves: what belongs to no destination.
    BucketWide,
    Destination(String),
}

/// The changes of one owner, in the plan's order (the order apply runs them in).
pub(super) struct Group<'p> {
    pub owner: Owner,
    pub changes: Vec<&'p Change>,
}

impl Group<'_> {
    /// `bucket-wide (1 change)`, `destination.pendo (3 changes)`.
    pub(super) fn title(&self) -> String {
        let n = self.changes.len();
        let name = match &self.owner {
            Owner::BucketWide => "bucket-wide".to_owned(),
            Owner::Destination(name) => Address::destination(name).to_string(),
        };
        format!("{name} ({n} change{})", if n == 1 { "" } else { "s" })
    }
}

fn owner(address: &Address) -> Owner {
    match address.destination_name() {
        Some(name) => Owner::Destination(name.to_owned()),
        None => Owner::BucketWide,
    }
}

/// The plan's changes by owner: bucket-wide first, then destinations by name.
pub(super) fn groups(plan: &Plan) -> Vec<Group<'_>> {
    let mut by_owner: BTreeMap<Owner, Vec<&Change>> = BTreeMap::new();
    for change in &plan.changes {
        by_owner
            .entry(owner(&change.address))
            .or_default()
            .push(change);
    }
    by_owner
        .into_iter()
        .map(|(owner, changes)| Group { owner, changes })
        .collect()
}

/// One line of the summary: `+ destination.pendo: created (role, inline policy)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SummaryLine {
    pub symbol: &'static str,
    pub address: String,
    pub text: String,
}

/// A line per changed destination and per bucket-wide change, in the groups' order,
/// and the line counting the destinations the plan leaves as they are, if any.
pub(super) fn summary(plan: &Plan) -> (Vec<SummaryLine>, Option<String>) {
    let groups = groups(plan);
    let mut lines = Vec::new();
    for group in &groups {
        match &group.owner {
            // Each bucket is its own thing: a line each, named by its address.
            Owner::BucketWide => lines.extend(group.changes.iter().map(|change| SummaryLine {
                symbol: symbol(change.action),
                address: change.address.to_string(),
                text: format!("{}: {}", verb(change.action), change.reason),
            })),
            Owner::Destination(name) => lines.push(SummaryLine {
                symbol: group_symbol(&group.changes),
                address: Address::destination(name).to_string(),
                text: destination_text(&group.changes),
            }),
        }
    }
    let changed: Vec<&Owner> = groups.iter().map(|g| &g.owner).collect();
    let unchanged = plan
        .access
        .iter()
        .filter(|a| !changed.contains(&&Owner::Destination(a.destination.clone())))
        .count();
    let any_changed = changed.iter().any(|o| matches!(o, Owner::Destination(_)));
    (lines, unchanged_line(unchanged, any_changed))
}

/// `2 other destinations unchanged.`
fn unchanged_line(unchanged: usize, any_changed: bool) -> Option<String> {
    let other = if any_changed { "other " } else { "" };
    let s = if unchanged == 1 { "" } else { "s" };
    (unchanged > 0).then(|| format!("{unchanged} {other}destination{s} unchanged."))
}

/// The destination's symbol: its changes' when they agree, else `~`.
fn group_symbol(changes: &[&Change]) -> &'static str {
    match changes.first() {
        Some(first) if changes.iter().all(|c| c.action == first.action) => symbol(first.action),
        _ => symbol(Action::Update),
    }
}

/// A new destination is `created (role, inline policy, folder)`, one that left the
/// spec `destroyed (…): why`; otherwise each change's phrase.
fn destination_text(changes: &[&Change]) -> String {
    let identity = changes.iter().find(|c| is_identity(&c.address)).copied();
    let all = |action: Action| changes.iter().all(|c| c.action == action);
    match identity {
        Some(identity) if identity.action == Action::Create && all(Action::Create) => {
            format!("created ({})", parts(changes))
        }
        Some(identity) if identity.action == Action::Delete && all(Action::Delete) => {
            format!("destroyed ({}): {}", parts(changes), identity.reason)
        }
        _ => changes
            .iter()
            .map(|c| phrase(c))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// What happens to one thing and why: an update by what it changes
/// (`trust policy updated: external ID changed`), anything else by its reason.
fn phrase(change: &Change) -> String {
    let part = part_name(&change.address);
    match change.action {
        Action::Update => meaning::headline(change)
            .unwrap_or_else(|| format!("{part} updated: {}", first_clause(&change.reason))),
        Action::Create => format!("{part} created: {}", first_clause(&change.reason)),
        Action::Replace => format!("{part} replaced: {}", first_clause(&change.reason)),
        Action::Delete => format!("{part} destroyed: {}", first_clause(&change.reason)),
    }
}

/// The reason up to its first `;` (outside backquotes), at most [`SHORT`] bytes, cut
/// after a word: a summary line stays short; the change below gives the whole reason.
fn first_clause(reason: &str) -> String {
    let mut ticks = 0;
    let mut end = reason.len();
    for (i, c) in reason.char_indices() {
        match c {
            '`' => ticks += 1,
            ';' if ticks % 2 == 0 => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    let clause = &reason[..end];
    if clause.len() <= SHORT {
        return clause.to_owned();
    }
    let mut cut = SHORT;
    while !clause.is_char_boundary(cut) {
        cut -= 1;
    }
    // At a word's end, where there is one.
    if let Some(space) = clause[..cut].rfind(' ') {
        cut = space;
    }
    let mut short = clause[..cut].trim_end().to_owned();
    // An odd number of backquotes would leave a code span open.
    if short.matches('`').count() % 2 == 1 {
        short.push('`');
    }
    short + "…"
}

const SHORT: usize = 120;

/// The role or user a destination's vendor acts as.
fn is_identity(address: &Address) -> bool {
    matches!(
        address,
        Address::Destination {
            part: Some(Part::Role | Part::User),
            ..
        }
    )
}

/// `role, inline policy, folder`: the parts changed, each once, in the order a
/// destination is built (the identity first).
fn parts(changes: &[&Change]) -> String {
    let mut addresses: Vec<&Address> = changes.iter().map(|c| &c.address).collect();
    addresses.sort_by_key(|a| part_rank(a));
    let mut names: Vec<String> = Vec::new();
    for address in addresses {
        let name = part_name(address);
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names.join(", ")
}

fn part_rank(address: &Address) -> u8 {
    match address {
        Address::Destination { part: None, .. } => 0,
        Address::Destination {
            part: Some(part), ..
        } => match part {
            Part::Role | Part::User => 1,
            Part::RolePolicy | Part::UserPolicy => 2,
            Part::Folder => 4,
            Part::AccessKey | Part::AccessKeyId(_) => 5,
            Part::Secret => 6,
        },
        Address::BucketStatement { .. } => 3,
        Address::Bucket { .. } => 7,
    }
}

/// A part as a reviewer calls it.
fn part_name(address: &Address) -> String {
    let name = match address {
        Address::Bucket { .. } => "bucket",
        Address::BucketStatement { .. } => "bucket statement",
        Address::Destination { part, .. } => match part {
            None => "destination",
            Some(Part::Role) => "role",
            Some(Part::User) => "user",
            Some(Part::RolePolicy | Part::UserPolicy) => "inline policy",
            Some(Part::Folder) => "folder",
            Some(Part::AccessKey) => "access key",
            Some(Part::AccessKeyId(id)) => return format!("access key {}", meaning::code(id)),
            Some(Part::Secret) => "secret",
        },
    };
    name.to_owned()
}
