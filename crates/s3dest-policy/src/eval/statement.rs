//! Whether one statement applies to a request: `Action`/`NotAction`,
//! `Resource`/`NotResource`, `Principal`/`NotPrincipal`, then `Condition`, all ANDed
//! (IAM User Guide, "IAM JSON policy elements: NotAction", "…: NotResource").

use super::condition;
use super::principal::{not_principal_applies, principal_matches};
use super::request::Request;
use super::truth::Truth;
use super::verdict::Uncertainty;
use crate::{PolicyDocument, Statement, wildcard_matches};

/// Where a policy sits, which decides the elements its statements have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PolicyKind {
    /// Attached to the principal: no `Principal`, a `Resource`.
    Identity,
    /// Attached to the resource (a bucket policy): a `Principal` and a `Resource`.
    Resource,
    /// A role's trust policy: a `Principal`, no `Resource` (the role is the resource).
    Trust,
}

/// Whether the statement applies (`any`), and whether it does by naming the principal
/// itself rather than its account (`direct`); the same in identity policies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Applies {
    pub any: Truth,
    pub direct: Truth,
}

pub(crate) fn applies(
    statement: &Statement,
    document: &PolicyDocument,
    kind: PolicyKind,
    request: &Request,
) -> Applies {
    let no = || Applies {
        any: Truth::No,
        direct: Truth::No,
    };
    let action = action_matches(statement, &request.action);
    if action.is_no() {
        return no();
    }
    // Policy variables exist from version 2012-10-17 on (IAM User Guide, "IAM policy
    // elements: Variables and tags"); before, `${` is plain text.
    let variables = document.effective_version() == PolicyDocument::VERSION;
    let resource = resource_matches(statement, kind, &request.resource, variables);
    if resource.is_no() {
        return no();
    }
    let principal = principal_part(statement, kind, request);
    if principal.any.is_no() {
        return no();
    }
    let rest = action
        .and(resource)
        .and(condition::holds(&statement.condition, request, variables));
    Applies {
        any: rest.clone().and(principal.any),
        direct: rest.and(principal.direct),
    }
}

fn malformed(reason: &'static str) -> Truth {
    Truth::unknown(Uncertainty::MalformedStatement { reason })
}

/// Actions compare case-insensitively, with `*` and `?` (IAM User Guide, "IAM JSON
/// policy elements: Action").
fn action_matches(statement: &Statement, action: &str) -> Truth {
    let action = action.to_lowercase();
    let any = |patterns: &[String]| {
        patterns
            .iter()
            .any(|p| wildcard_matches(&p.to_lowercase(), &action))
    };
    match (&statement.action, &statement.not_action) {
        (Some(patterns), None) => Truth::from_bool(any(patterns)),
        (None, Some(patterns)) => Truth::from_bool(!any(patterns)),
        _ => malformed("a statement has exactly one of `Action` and `NotAction`"),
    }
}

/// Resources compare case-sensitively, with `*` and `?`.
fn resource_matches(
    statement: &Statement,
    kind: PolicyKind,
    resource: &str,
    variables: bool,
) -> Truth {
    let any = |patterns: &[String]| {
        Truth::any(patterns.iter().map(|p| {
            if variables && p.contains("${") {
                Truth::unknown(Uncertainty::PolicyVariable { text: p.clone() })
            } else {
                Truth::from_bool(wildcard_matches(p, resource))
            }
        }))
    };
    match (kind, &statement.resource, &statement.not_resource) {
        (PolicyKind::Trust, None, None) => Truth::Yes,
        (PolicyKind::Trust, _, _) => malformed("a trust policy statement has no `Resource`"),
        (_, Some(patterns), None) => any(patterns),
        (_, None, Some(patterns)) => any(patterns).not(),
        _ => malformed("a statement has exactly one of `Resource` and `NotResource`"),
    }
}

fn principal_part(statement: &Statement, kind: PolicyKind, request: &Request) -> Applies {
    let who = &request.principal;
    let both = |t: Truth| Applies {
        any: t.clone(),
        direct: t,
    };
    match (kind, &statement.principal, &statement.not_principal) {
        (PolicyKind::Identity, None, None) => both(Truth::Yes),
        (PolicyKind::Identity, _, _) => {
            both(malformed("an identity policy statement has no `Principal`"))
        }
        (_, Some(principal), None) => {
            let m = principal_matches(principal, who);
            Applies {
                any: m.any,
                direct: m.direct,
            }
        }
        (_, None, Some(not)) => both(not_principal_applies(not, who)),
        _ => both(malformed(
            "a resource-based policy statement has exactly one of `Principal` and `NotPrincipal`",
        )),
    }
}
