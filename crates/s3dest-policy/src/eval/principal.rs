//! `Principal` and `NotPrincipal` of resource-based policies (IAM User Guide, "AWS JSON
//! policy elements: Principal" and "…: NotPrincipal").
//!
//! - `"*"` (or `{"AWS": "*"}`) is everyone, anonymous callers included.
//! - An account (`ACCOUNT` or `arn:aws:iam::ACCOUNT:root`) is every principal of that
//!   account, but only by delegation: the account's own identity policies must allow
//!   it too (the root user aside, which is the account).
//! - A role ARN names the role's sessions (a role makes requests as a session); a
//!   session ARN names one session; a user ARN one user. Values compare exactly: IAM
//!   accepts no partial wildcard in a principal.
//! - A unique ID (`AROA…`) stands for a principal deleted since, so names none.

use std::collections::BTreeMap;

use super::arn::{RoleArn, SessionArn, account_principal, is_unique_id};
use super::request::{PrincipalKind, RequestPrincipal};
use super::truth::Truth;
use super::verdict::Uncertainty;
use crate::Principal;

/// How a `Principal` element matches: naming the principal itself (`direct`), or
/// naming it or its account (`any`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PrincipalMatch {
    pub direct: Truth,
    pub any: Truth,
}

impl PrincipalMatch {
    fn direct(t: Truth) -> Self {
        PrincipalMatch {
            direct: t.clone(),
            any: t,
        }
    }

    fn none() -> Self {
        Self::direct(Truth::No)
    }

    fn or(self, other: PrincipalMatch) -> Self {
        PrincipalMatch {
            direct: self.direct.or(other.direct),
            any: self.any.or(other.any),
        }
    }
}

/// Whether a statement's `Principal` names the request's principal.
pub(crate) fn principal_matches(principal: &Principal, who: &RequestPrincipal) -> PrincipalMatch {
    match principal {
        Principal::Any => PrincipalMatch::direct(Truth::Yes),
        Principal::Map(map) => map
            .iter()
            .flat_map(|(kind, values)| values.iter().map(move |v| value_matches(kind, v, who)))
            .fold(PrincipalMatch::none(), PrincipalMatch::or),
    }
}

fn value_matches(kind: &str, value: &str, who: &RequestPrincipal) -> PrincipalMatch {
    match kind {
        "AWS" => aws_value_matches(value, who),
        "Service" => PrincipalMatch::direct(Truth::from_bool(
            who.kind == PrincipalKind::Service && value.eq_ignore_ascii_case(&who.arn),
        )),
        "Federated" => PrincipalMatch::direct(Truth::from_bool(
            who.kind == PrincipalKind::Federated && value == who.arn,
        )),
        _ => PrincipalMatch::direct(unsupported_for_aws(kind, value, who)),
    }
}

/// A principal type s3dest cannot compare (`CanonicalUser`, which names an account by
/// its S3 canonical ID): unknown for IAM identities, false for anything else.
fn unsupported_for_aws(kind: &str, value: &str, who: &RequestPrincipal) -> Truth {
    if who.is_aws_identity() {
        Truth::unknown(Uncertainty::UnsupportedPrincipal {
            kind: kind.to_owned(),
            value: value.to_owned(),
        })
    } else {
        Truth::No
    }
}

fn aws_value_matches(value: &str, who: &RequestPrincipal) -> PrincipalMatch {
    if value == "*" {
        return PrincipalMatch::direct(Truth::Yes);
    }
    if !who.is_aws_identity() || is_unique_id(value) {
        return PrincipalMatch::none();
    }
    if let Some(account) = account_principal(value) {
        let same = who.account.as_deref() == Some(account);
        return if who.kind == PrincipalKind::Root {
            PrincipalMatch::direct(Truth::from_bool(same))
        } else {
            PrincipalMatch {
                direct: Truth::No,
                any: Truth::from_bool(same),
            }
        };
    }
    if value.contains(['*', '?']) {
        return PrincipalMatch::direct(unsupported_for_aws("AWS", value, who));
    }
    PrincipalMatch::direct(names_identity(value, who))
}

/// Whether an `AWS` value (not `*`, not an account) is the user, the role, or the role
/// session making the request.
fn names_identity(value: &str, who: &RequestPrincipal) -> Truth {
    if value == who.arn {
        return Truth::from_bool(matches!(
            who.kind,
            PrincipalKind::User | PrincipalKind::Role { .. }
        ));
    }
    match (
        &who.kind,
        SessionArn::parse(value),
        RoleArn::parse(&who.arn),
    ) {
        (PrincipalKind::Role { session_name }, Some(session), Some(role))
            if session.of_role(&role) =>
        {
            match session_name {
                Some(name) => Truth::from_bool(name == session.session),
                None => Truth::unknown(Uncertainty::UnknownSessionName {
                    principal: value.to_owned(),
                }),
            }
        }
        _ => Truth::No,
    }
}

/// One of the identities AWS may evaluate a principal as, most specific first.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Identity {
    Session,
    Named(String),
    Account(String),
    Service(String),
    Federated(String),
    Anonymous,
}

impl Identity {
    fn describe(&self, who: &RequestPrincipal) -> String {
        match self {
            Identity::Session => who
                .session_arn()
                .unwrap_or_else(|| format!("the session of {}", who.arn)),
            Identity::Named(arn) => arn.clone(),
            Identity::Account(account) => crate::account_root_arn(account),
            Identity::Service(name) | Identity::Federated(name) => name.clone(),
            Identity::Anonymous => "anonymous".to_owned(),
        }
    }
}

fn identities(who: &RequestPrincipal) -> Vec<Identity> {
    let account = who.account.clone().map(Identity::Account);
    let mut out = match who.kind {
        PrincipalKind::Root => vec![],
        PrincipalKind::User => vec![Identity::Named(who.arn.clone())],
        PrincipalKind::Role { .. } => vec![Identity::Session, Identity::Named(who.arn.clone())],
        PrincipalKind::Service => vec![Identity::Service(who.arn.clone())],
        PrincipalKind::Federated => vec![Identity::Federated(who.arn.clone())],
        PrincipalKind::Anonymous => vec![Identity::Anonymous],
    };
    if who.is_aws_identity() {
        out.extend(account);
    }
    out
}

/// Whether a `NotPrincipal` statement applies to the principal, i.e. the principal is
/// not among those it excepts.
///
/// AWS "might validate the account first, then the role, and then the assumed-role
/// user" (IAM User Guide, "AWS JSON policy elements: NotPrincipal"), so the exception
/// holds only when every identity is listed: the most specific one missing means the
/// statement applies; it listed but its role or account missing means it might.
pub(crate) fn not_principal_applies(not: &Principal, who: &RequestPrincipal) -> Truth {
    let Principal::Map(map) = not else {
        return Truth::No;
    };
    let identities = identities(who);
    let Some((first, rest)) = identities.split_first() else {
        return Truth::Yes;
    };
    match listed(map, first, who) {
        Truth::No => Truth::Yes,
        first_listed => {
            let rest = Truth::all(
                rest.iter()
                    .map(|identity| match listed(map, identity, who) {
                        Truth::No => Truth::unknown(Uncertainty::NotPrincipalIncomplete {
                            missing: identity.describe(who),
                        }),
                        t => t,
                    }),
            );
            // Excepted for sure only when everything is listed.
            match first_listed.and(rest) {
                Truth::Yes => Truth::No,
                Truth::No => Truth::Yes,
                unknown => unknown,
            }
        }
    }
}

/// Whether one identity is among a `NotPrincipal`'s values.
fn listed(
    map: &BTreeMap<String, Vec<String>>,
    identity: &Identity,
    who: &RequestPrincipal,
) -> Truth {
    Truth::any(map.iter().flat_map(|(kind, values)| {
        values
            .iter()
            .map(move |value| lists(kind, value, identity, who))
    }))
}

fn lists(kind: &str, value: &str, identity: &Identity, who: &RequestPrincipal) -> Truth {
    match (kind, identity) {
        ("AWS", _) if value == "*" => Truth::Yes,
        ("AWS", Identity::Account(account)) => {
            Truth::from_bool(account_principal(value) == Some(account.as_str()))
        }
        ("AWS", Identity::Named(arn)) => Truth::from_bool(value == arn),
        ("AWS", Identity::Session) => match names_identity(value, who) {
            // The role's own ARN is the next identity, not the session.
            Truth::Yes if value == who.arn => Truth::No,
            t => t,
        },
        ("Service", Identity::Service(name)) => Truth::from_bool(value.eq_ignore_ascii_case(name)),
        ("Federated", Identity::Federated(provider)) => Truth::from_bool(value == provider),
        ("AWS" | "Service" | "Federated", _) => Truth::No,
        _ => unsupported_for_aws(kind, value, who),
    }
}
