//! IAM and S3 policy documents as types, with equality that compares what they grant,
//! and an evaluator of who they let do what ([`eval`]).
//!
//! Pure: no I/O, no AWS SDK. Serialization is by hand over [`serde_json::Value`]
//! (`to_value` / `from_value`), in the shape AWS uses.
//!
//! # What equality ignores
//! Two documents are [equivalent](PolicyDocument::equivalent) when they grant the
//! same thing, so these differences do not count:
//! - the order of statements, actions, resources, principal values and condition
//!   values, and duplicates in any of them;
//! - a string versus a one-element list;
//! - `arn:aws:iam::ACCOUNT:root` versus the bare `ACCOUNT` as an `AWS` principal;
//! - `"Principal": "*"` versus `{"AWS": "*"}`;
//! - the case of action names (`s3:putobject` is `s3:PutObject`);
//! - condition values written as booleans or numbers versus strings (`false`/`"false"`);
//! - an empty `Condition` (or condition operator) versus none;
//! - Sids and the document `Id`, which grant nothing;
//! - IAM's percent-encoded form versus plain JSON ([`PolicyDocument::parse_aws`]).
//!
//! Everything else counts: a missing `Version` is `2008-10-17`, which differs from
//! `2012-10-17`; an `AROA…` unique ID that AWS wrote in place of a deleted role's ARN
//! differs from that ARN (it is drift); resource ARNs and condition keys compare
//! exactly. Equality is on the text of a grant, not on its meaning as evaluated by
//! IAM: `s3:*` is not equal to the list of every S3 action, and two statements are
//! not merged.

mod action;
mod diff;
mod document;
mod error;
pub mod eval;
mod parse;
mod statement;
mod wildcard;

#[cfg(test)]
mod tests;

pub use diff::{ConditionChange, Delta, PolicyDiff, PrincipalValue, StatementChange};
pub use document::PolicyDocument;
pub use error::PolicyError;
pub use eval::{
    Context, ContextValue, Decision, Labeled, Note, Outcome, PrincipalKind, Request,
    RequestPrincipal, StatementId, StatementRef, Uncertainty, Verdict, evaluate_assume_role,
    evaluate_cross_account, evaluate_same_account, evaluate_trust,
};
pub use statement::{Effect, Principal, Statement};
pub use wildcard::wildcard_matches;

/// The root ARN of an account: `arn:aws:iam::ACCOUNT:root`.
pub fn account_root_arn(account: &str) -> String {
    format!("arn:aws:iam::{account}:root")
}

/// Whether `s` is a 12-digit AWS account ID.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// An `AWS` principal in canonical form: a bare 12-digit account ID becomes its root
/// ARN; anything else (ARNs, `*`, `AROA…` unique IDs) is returned unchanged.
pub fn normalize_aws_principal(p: &str) -> String {
    if is_account_id(p) {
        account_root_arn(p)
    } else {
        p.to_owned()
    }
}

/// FNV-1a, 64 bits, as 16 hex digits: a digest stable across versions and platforms
/// (for telling whether something changed, not for security).
pub fn fnv1a_hex(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        h ^= u64::from(byte);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}
