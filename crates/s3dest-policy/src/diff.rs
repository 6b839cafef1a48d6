//! What changed in meaning between two policy documents: statements added, removed or
//! changed, and within a changed statement which actions, resources, principals and
//! conditions. Both sides are compared in [canonical form](PolicyDocument::canonical),
//! so reordering, a string for a one-element list or an account ID for its root ARN is
//! no change (see the crate documentation for all that equality ignores).
//!
//! Statements are paired before they are compared, so that a statement added beside
//! others reads as one added statement and not as edits of its neighbours:
//! 1. by equal grant (the statement moved, or only its Sid changed), the same Sid
//!    first: no change;
//! 2. by Sid, when both sides carry the same one;
//! 3. the most alike of the rest: same effect, and resources in common (or none on
//!    either side, as in trust policies); most values in common first.
//!
//! What is left unpaired was added or removed, unless the other side grants it too
//! (a duplicate under another Sid). The diff is empty exactly when the documents are
//! [equivalent](PolicyDocument::equivalent).

use std::collections::{BTreeMap, BTreeSet};

use crate::{Effect, PolicyDocument, Principal, Statement};

/// How the second document differs from the first in what it grants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyDiff {
    /// The effective `Version` before and after, when it changed.
    pub version: Option<(String, String)>,
    /// Statements of the second document only, in canonical form.
    pub added: Vec<Statement>,
    /// Statements of the first document only, in canonical form.
    pub removed: Vec<Statement>,
    /// Statements on both sides that grant differently.
    pub changed: Vec<StatementChange>,
}

impl PolicyDiff {
    /// The difference from `before` to `after`.
    pub fn between(before: &PolicyDocument, after: &PolicyDocument) -> PolicyDiff {
        // Equivalent documents differ in nothing, whichever statements carry which Sid.
        if before.equivalent(after) {
            return PolicyDiff::default();
        }
        let (before, after) = (before.canonical(), after.canonical());
        let version = (before.effective_version() != after.effective_version()).then(|| {
            (
                before.effective_version().to_owned(),
                after.effective_version().to_owned(),
            )
        });
        let pairs = pair(&before.statements, &after.statements);
        let paired_before: BTreeSet<usize> = pairs.iter().map(|&(b, _)| b).collect();
        let paired_after: BTreeSet<usize> = pairs.iter().map(|&(_, a)| a).collect();
        // A statement left over that the other side also grants (a duplicate under
        // another Sid) adds or removes nothing.
        let unpaired = |statements: &[Statement], paired: &BTreeSet<usize>, other: &[Statement]| {
            statements
                .iter()
                .enumerate()
                .filter(|(i, s)| !paired.contains(i) && !other.iter().any(|o| o.equivalent(s)))
                .map(|(_, s)| s.clone())
                .collect()
        };
        let mut changed: Vec<(usize, StatementChange)> = pairs
            .iter()
            .filter_map(|&(b, a)| {
                StatementChange::between(&before.statements[b], &after.statements[a])
                    .map(|change| (a, change))
            })
            .collect();
        // In the order of the new document, as a reader of the new policy expects.
        changed.sort_by_key(|(a, _)| *a);
        PolicyDiff {
            version,
            added: unpaired(&after.statements, &paired_after, &before.statements),
            removed: unpaired(&before.statements, &paired_before, &after.statements),
            changed: changed.into_iter().map(|(_, c)| c).collect(),
        }
    }

    /// Whether both documents grant the same thing.
    pub fn is_empty(&self) -> bool {
        self.version.is_none()
            && self.added.is_empty()
            && self.removed.is_empty()
            && self.changed.is_empty()
    }
}

/// One statement on both sides that grants differently: what it gains and loses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementChange {
    /// The statement before and after, in canonical form.
    pub before: Statement,
    pub after: Statement,
    /// The effect before and after, when it changed (only statements paired by Sid
    /// can change their effect).
    pub effect: Option<(Effect, Effect)>,
    pub actions: Delta<String>,
    pub not_actions: Delta<String>,
    pub resources: Delta<String>,
    pub not_resources: Delta<String>,
    pub principals: Delta<PrincipalValue>,
    pub not_principals: Delta<PrincipalValue>,
    /// Each condition key whose values changed, by operator then key.
    pub conditions: Vec<ConditionChange>,
}

impl StatementChange {
    /// The change from `before` to `after` (both canonical); `None` when they grant
    /// the same thing.
    fn between(before: &Statement, after: &Statement) -> Option<StatementChange> {
        if before.equivalent(after) {
            return None;
        }
        Some(StatementChange {
            effect: (before.effect != after.effect).then_some((before.effect, after.effect)),
            actions: Delta::of(&before.action, &after.action),
            not_actions: Delta::of(&before.not_action, &after.not_action),
            resources: Delta::of(&before.resource, &after.resource),
            not_resources: Delta::of(&before.not_resource, &after.not_resource),
            principals: Delta::between(
                principal_values(&before.principal),
                principal_values(&after.principal),
            ),
            not_principals: Delta::between(
                principal_values(&before.not_principal),
                principal_values(&after.not_principal),
            ),
            conditions: condition_changes(before, after),
            before: before.clone(),
            after: after.clone(),
        })
    }

    /// The Sid the statement is known by: its new one, else its old one.
    pub fn sid(&self) -> Option<&str> {
        self.after.sid.as_deref().or(self.before.sid.as_deref())
    }

    /// The change of the `sts:ExternalId` condition, if any: the values a trust
    /// policy requires of whoever assumes the role.
    pub fn external_id(&self) -> Option<&ConditionChange> {
        self.conditions.iter().find(|c| c.is_external_id())
    }
}

/// Values one side has and the other has not, each sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delta<T> {
    pub added: Vec<T>,
    pub removed: Vec<T>,
}

impl<T: Ord + Clone> Delta<T> {
    fn between(before: BTreeSet<T>, after: BTreeSet<T>) -> Delta<T> {
        Delta {
            added: after.difference(&before).cloned().collect(),
            removed: before.difference(&after).cloned().collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }
}

impl Delta<String> {
    fn of(before: &Option<Vec<String>>, after: &Option<Vec<String>>) -> Delta<String> {
        let set = |list: &Option<Vec<String>>| list.iter().flatten().cloned().collect();
        Delta::between(set(before), set(after))
    }
}

/// One principal of a `Principal` (or `NotPrincipal`): its type (`AWS`, `Service`,
/// `Federated`, `CanonicalUser`) and value. `"*"` is the `AWS` principal `*`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PrincipalValue {
    pub kind: String,
    pub value: String,
}

impl PrincipalValue {
    /// The values of a principal in canonical form (see [`Principal::canonical`]).
    pub fn all_of(principal: &Principal) -> BTreeSet<PrincipalValue> {
        principal_values(&Some(principal.canonical()))
    }

    /// Whether this is everyone (`"*"`).
    pub fn is_anyone(&self) -> bool {
        self.kind == "AWS" && self.value == "*"
    }
}

/// A canonical principal as a set of values.
fn principal_values(principal: &Option<Principal>) -> BTreeSet<PrincipalValue> {
    match principal {
        None => BTreeSet::new(),
        Some(Principal::Any) => BTreeSet::from([PrincipalValue {
            kind: "AWS".to_owned(),
            value: "*".to_owned(),
        }]),
        Some(Principal::Map(map)) => map
            .iter()
            .flat_map(|(kind, values)| {
                values.iter().map(|value| PrincipalValue {
                    kind: kind.clone(),
                    value: value.clone(),
                })
            })
            .collect(),
    }
}

/// The values of one condition key under one operator, before and after; an empty
/// side is a condition added or removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionChange {
    pub operator: String,
    pub key: String,
    pub before: Vec<String>,
    pub after: Vec<String>,
}

impl ConditionChange {
    /// Whether this is the external ID a trust policy requires (condition keys are
    /// case-insensitive in IAM).
    pub fn is_external_id(&self) -> bool {
        self.key.eq_ignore_ascii_case("sts:ExternalId")
    }
}

type Conditions = BTreeMap<(String, String), Vec<String>>;

fn conditions(statement: &Statement) -> Conditions {
    statement
        .condition
        .iter()
        .flat_map(|(operator, keys)| {
            keys.iter()
                .map(|(key, values)| ((operator.clone(), key.clone()), values.clone()))
        })
        .collect()
}

fn condition_changes(before: &Statement, after: &Statement) -> Vec<ConditionChange> {
    let (before, after) = (conditions(before), conditions(after));
    let keys: BTreeSet<&(String, String)> = before.keys().chain(after.keys()).collect();
    keys.into_iter()
        .filter_map(|entry| {
            let old = before.get(entry).cloned().unwrap_or_default();
            let new = after.get(entry).cloned().unwrap_or_default();
            (old != new).then(|| ConditionChange {
                operator: entry.0.clone(),
                key: entry.1.clone(),
                before: old,
                after: new,
            })
        })
        .collect()
}

/// Pairs of (index before, index after) of the statements that are one statement
/// seen twice, by the rules of the module documentation.
fn pair(before: &[Statement], after: &[Statement]) -> Vec<(usize, usize)> {
    let mut pairing = Pairing {
        free_before: vec![true; before.len()],
        free_after: vec![true; after.len()],
        pairs: Vec::new(),
    };
    let same_sid = |b: &Statement, a: &Statement| a.sid.is_some() && a.sid == b.sid;
    // An equal grant first (with the same Sid, then any): a statement that moved is no
    // change, even where another statement took its Sid.
    pairing.first_match(before, after, |b, a| same_sid(b, a) && b.equivalent(a));
    pairing.first_match(before, after, Statement::equivalent);
    pairing.first_match(before, after, same_sid);
    // The most alike, greedily: the highest score first, ties in document order.
    let mut candidates: Vec<(usize, usize, usize)> = Vec::new();
    for (b, old) in free_statements(before, &pairing.free_before) {
        for (a, new) in free_statements(after, &pairing.free_after) {
            if let Some(score) = likeness(old, new) {
                candidates.push((score, b, a));
            }
        }
    }
    candidates.sort_by(|x, y| y.0.cmp(&x.0).then((x.1, x.2).cmp(&(y.1, y.2))));
    for (_, b, a) in candidates {
        if pairing.free_before[b] && pairing.free_after[a] {
            pairing.take(b, a);
        }
    }
    pairing.pairs
}

fn free_statements<'s>(statements: &'s [Statement], free: &[bool]) -> Vec<(usize, &'s Statement)> {
    statements
        .iter()
        .enumerate()
        .filter(|(i, _)| free[*i])
        .collect()
}

/// The statements paired so far, and those still free on each side.
struct Pairing {
    free_before: Vec<bool>,
    free_after: Vec<bool>,
    pairs: Vec<(usize, usize)>,
}

impl Pairing {
    fn take(&mut self, b: usize, a: usize) {
        self.free_before[b] = false;
        self.free_after[a] = false;
        self.pairs.push((b, a));
    }

    /// Each free statement after with the first free statement before that `matches` it.
    fn first_match(
        &mut self,
        before: &[Statement],
        after: &[Statement],
        matches: impl Fn(&Statement, &Statement) -> bool,
    ) {
        for (a, new) in after.iter().enumerate() {
            if !self.free_after[a] {
                continue;
            }
            let found =
                (0..before.len()).find(|&b| self.free_before[b] && matches(&before[b], new));
            if let Some(b) = found {
                self.take(b, a);
            }
        }
    }
}

/// How alike two statements are (the number of values they share), or `None` when
/// they are not one statement edited: another effect, or resources none in common.
fn likeness(before: &Statement, after: &Statement) -> Option<usize> {
    if before.effect != after.effect {
        return None;
    }
    let resources = |s: &Statement| -> BTreeSet<String> {
        s.resource
            .iter()
            .chain(&s.not_resource)
            .flatten()
            .cloned()
            .collect()
    };
    let (old, new) = (resources(before), resources(after));
    // Trust policies name no resources: their statements may still be one edited.
    let shared_resources = old.intersection(&new).count();
    if shared_resources == 0 && !(old.is_empty() && new.is_empty()) {
        return None;
    }
    let shared = |x: BTreeSet<String>, y: BTreeSet<String>| x.intersection(&y).count();
    let actions = |s: &Statement| -> BTreeSet<String> {
        s.action
            .iter()
            .chain(&s.not_action)
            .flatten()
            .cloned()
            .collect()
    };
    let principals = |s: &Statement| -> BTreeSet<PrincipalValue> {
        principal_values(&s.principal)
            .into_iter()
            .chain(principal_values(&s.not_principal))
            .collect()
    };
    let (old_conditions, new_conditions) = (conditions(before), conditions(after));
    let same_conditions = old_conditions
        .iter()
        .filter(|(k, v)| new_conditions.get(*k) == Some(*v))
        .count();
    Some(
        shared_resources
            + shared(actions(before), actions(after))
            + principals(before).intersection(&principals(after)).count()
            + same_conditions,
    )
}

#[cfg(test)]
mod tests;
