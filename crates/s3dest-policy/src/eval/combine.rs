//! From statements to a verdict: explicit deny first, then the allows each kind of
//! request needs, in three-valued logic.

use super::request::Request;
use super::statement::{Applies, PolicyKind, applies};
use super::truth::Truth;
use super::verdict::{Decision, Labeled, Note, Outcome, StatementId, StatementRef, Verdict};
use crate::{Effect, PolicyDocument};

/// The statements of one policy that apply or might apply.
pub(crate) struct Scan {
    label: String,
    statements: Vec<Scanned>,
}

struct Scanned {
    id: StatementId,
    effect: Effect,
    applies: Applies,
}

pub(crate) fn scan(policy: &Labeled<&PolicyDocument>, kind: PolicyKind, request: &Request) -> Scan {
    let document = policy.policy;
    let statements = document
        .statements
        .iter()
        .enumerate()
        .map(|(i, s)| Scanned {
            id: s
                .sid
                .clone()
                .map_or(StatementId::Index(i + 1), StatementId::Sid),
            effect: s.effect,
            applies: applies(s, document, kind, request),
        })
        .filter(|s| !s.applies.any.is_no())
        .collect();
    Scan {
        label: policy.label.clone(),
        statements,
    }
}

/// Which grants count for an allow: only statements naming the principal itself, or
/// also those naming its account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Grant {
    Direct,
    Any,
}

/// An allow requirement: whether it holds, and the statements that say so.
#[derive(Debug, Clone)]
pub(crate) struct Side {
    truth: Truth,
    refs: Vec<StatementRef>,
}

impl Side {
    /// Holds, with no statement to show (the root user).
    pub(crate) fn granted() -> Side {
        Side {
            truth: Truth::Yes,
            refs: vec![],
        }
    }

    /// Does not hold, with no statement to show (no policy at all).
    pub(crate) fn refused() -> Side {
        Side {
            truth: Truth::No,
            refs: vec![],
        }
    }

    pub(crate) fn is_yes(&self) -> bool {
        self.truth.is_yes()
    }

    /// Either requirement.
    pub(crate) fn or(self, other: Side) -> Side {
        let truth = self.truth.clone().or(other.truth.clone());
        let refs = match truth {
            Truth::Yes => keep(&[self, other], Truth::is_yes),
            Truth::No => keep(&[self, other], |_| true),
            Truth::Unknown(_) => keep(&[self, other], |t| matches!(t, Truth::Unknown(_))),
        };
        Side { truth, refs }
    }

    /// Both requirements.
    pub(crate) fn and(self, other: Side) -> Side {
        let truth = self.truth.clone().and(other.truth.clone());
        let refs = match truth {
            Truth::No => keep(&[self, other], Truth::is_no),
            Truth::Yes | Truth::Unknown(_) => keep(&[self, other], |_| true),
        };
        Side { truth, refs }
    }

    /// Any of the requirements (none: does not hold).
    pub(crate) fn any(sides: impl IntoIterator<Item = Side>) -> Side {
        sides.into_iter().fold(Side::refused(), Side::or)
    }
}

fn keep(sides: &[Side; 2], pick: impl Fn(&Truth) -> bool) -> Vec<StatementRef> {
    sides
        .iter()
        .filter(|s| pick(&s.truth))
        .flat_map(|s| s.refs.iter().cloned())
        .collect()
}

fn reference(
    label: &str,
    id: Option<&StatementId>,
    outcome: Outcome,
    truth: &Truth,
) -> StatementRef {
    StatementRef {
        policy: label.to_owned(),
        statement: id.cloned(),
        outcome,
        uncertain: truth.reasons().to_vec(),
    }
}

/// Whether the policy allows the request, counting the grants `grant` selects.
pub(crate) fn allows(scan: &Scan, grant: Grant) -> Side {
    let candidates: Vec<(&StatementId, &Truth)> = scan
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow)
        .map(|s| {
            let t = match grant {
                Grant::Direct => &s.applies.direct,
                Grant::Any => &s.applies.any,
            };
            (&s.id, t)
        })
        .collect();
    let truth = Truth::any(candidates.iter().map(|(_, t)| (*t).clone()));
    let select = |outcome: Outcome, pick: fn(&Truth) -> bool| {
        candidates
            .iter()
            .filter(|(_, t)| pick(t))
            .map(|(id, t)| reference(&scan.label, Some(id), outcome, t))
            .collect()
    };
    let refs = match truth {
        Truth::Yes => select(Outcome::Allow, Truth::is_yes),
        Truth::Unknown(_) => select(Outcome::MightAllow, |t| matches!(t, Truth::Unknown(_))),
        Truth::No => vec![reference(
            &scan.label,
            None,
            Outcome::ImplicitDeny,
            &Truth::No,
        )],
    };
    Side { truth, refs }
}

/// Any of the policies allows it.
pub(crate) fn any_allows<'a>(scans: impl IntoIterator<Item = &'a Scan>, grant: Grant) -> Side {
    Side::any(scans.into_iter().map(|s| allows(s, grant)))
}

/// The verdict: denied if a `Deny` applies; else allowed if `allow` holds and no
/// `Deny` might apply; denied if `allow` does not hold (explicitly or implicitly, it
/// is denied either way); unknown otherwise. That is `allow AND NOT deny` in Kleene
/// logic, read as Allowed / Unknown / Denied.
pub(crate) fn decide<'a>(scans: impl IntoIterator<Item = &'a Scan>, allow: Side) -> Verdict {
    let mut definite = vec![];
    let mut maybe = vec![];
    for scan in scans {
        for s in scan.statements.iter().filter(|s| s.effect == Effect::Deny) {
            match &s.applies.any {
                Truth::Yes => definite.push(reference(
                    &scan.label,
                    Some(&s.id),
                    Outcome::ExplicitDeny,
                    &Truth::Yes,
                )),
                t @ Truth::Unknown(_) => {
                    maybe.push(reference(&scan.label, Some(&s.id), Outcome::MightDeny, t))
                }
                Truth::No => {}
            }
        }
    }
    let (decision, decided_by) = if !definite.is_empty() {
        (Decision::Denied, definite)
    } else {
        match allow.truth {
            Truth::No => (Decision::Denied, allow.refs),
            Truth::Yes if maybe.is_empty() => (Decision::Allowed, allow.refs),
            Truth::Yes | Truth::Unknown(_) => {
                maybe.extend(allow.refs);
                (Decision::Unknown, maybe)
            }
        }
    };
    Verdict {
        decision,
        decided_by,
        notes: vec![],
    }
}

impl Verdict {
    /// Adds a note unless the request is denied anyway.
    pub(crate) fn note_unless_denied(mut self, note: Note) -> Verdict {
        if self.decision != Decision::Denied && !self.notes.contains(&note) {
            self.notes.push(note);
        }
        self
    }

    pub(crate) fn note(mut self, note: Note) -> Verdict {
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
        self
    }
}
