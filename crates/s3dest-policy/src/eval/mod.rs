//! Who can do what: a pure evaluator of IAM and S3 policies for one request.
//!
//! It follows AWS's documented evaluation logic (IAM User Guide, "Policy evaluation
//! logic", "Determining whether a request is allowed or denied within an account",
//! "Cross-account policy evaluation logic"; element and operator semantics from "IAM
//! JSON policy elements: Principal / NotPrincipal / NotAction / NotResource /
//! Condition operators", "Creating a condition with multiple keys or values" and "AWS
//! global condition context keys"):
//!
//! 1. **An explicit deny wins.** A `Deny` statement that applies, in any policy
//!    evaluated, denies the request.
//! 2. **Same account** ([`evaluate_same_account`]): otherwise an `Allow` in an identity
//!    policy *or* in the resource policy suffices — when the resource policy names the
//!    principal itself (its user ARN, its role ARN, which covers the role's sessions,
//!    its session ARN, or `"*"`). A resource policy naming only the *account*
//!    delegates to the account's identity policies, which must then allow it. The
//!    account's root user is allowed what no policy denies.
//! 3. **Cross account** ([`evaluate_cross_account`]): the resource policy must allow it
//!    (naming the principal or its account) *and* the principal's identity policies
//!    must. When those are not given (a vendor's policies are out of sight), the
//!    verdict is the resource account's decision, with
//!    [`Note::PrincipalAccountMustAllow`].
//! 4. **Assuming a role** ([`evaluate_assume_role`], [`evaluate_trust`]): the trust
//!    policy is the role's resource policy and must allow the caller explicitly; a
//!    caller in another account also needs its own permission (out of sight: same note).
//! 5. Otherwise the request is **implicitly denied**.
//!
//! # Three-valued
//! A condition on a key whose value is [`ContextValue::Unknown`], an operator s3dest
//! does not implement, a policy variable, or a principal it cannot compare make a
//! statement's applicability *unknown*. The result is `allow AND NOT deny` in Kleene
//! logic: [`Decision::Denied`] when a `Deny` surely applies or the allows surely do not
//! hold; [`Decision::Allowed`] when the allows surely hold and no `Deny` might apply;
//! [`Decision::Unknown`] otherwise, naming the statements that might deny or allow it
//! and why. It never guesses: a definite decision stays the same whatever the unknown
//! values turn out to be.
//!
//! Guarantees, with `Denied` < `Unknown` < `Allowed` ([`Decision::rank`]): adding a
//! `Deny` statement never raises the decision (it never turns `Denied` or `Unknown`
//! into `Allowed`, nor `Denied` into anything else); adding an `Allow` statement never
//! lowers it (never `Allowed` into `Unknown` or `Denied`, nor `Unknown` into `Denied`).
//!
//! # What it does not see
//! Service control and resource control policies, permissions boundaries, session
//! policies, S3 ACLs and Object Ownership, S3 Block Public Access, access points, and
//! KMS key policies (an SSE-KMS upload also needs the key to allow `kms:GenerateDataKey`)
//! are out of its sight. Each of these can only *deny* further, so read `Allowed` as
//! "allowed by these policies, unless one of those denies it", and `Denied` as final.
//! It does not substitute policy variables (`${aws:username}`: unknown), does not know
//! which condition keys a service puts in a request (the caller says, through
//! [`Context`]), and treats an account's root user as a principal like any other in a
//! resource policy's `Deny`.

mod arn;
mod combine;
mod condition;
mod principal;
mod request;
mod statement;
mod truth;
mod values;
mod verdict;

#[cfg(test)]
mod tests;

pub use request::{Context, ContextValue, PrincipalKind, Request, RequestPrincipal, keys};
pub use verdict::{
    Decision, Labeled, Note, Outcome, StatementId, StatementRef, Uncertainty, Verdict,
};

use combine::{Grant, Scan, Side, allows, any_allows, decide, scan};
use statement::PolicyKind;

use crate::PolicyDocument;

/// A request within one account: the principal and the resource are in the same
/// account (IAM User Guide, "Determining whether a request is allowed or denied
/// within an account").
///
/// `identity_policies` are all the principal's identity policies (for a role session,
/// the role's). Either they or the resource policy may allow it; a resource policy
/// naming the principal itself allows it alone, one naming only the account does not.
pub fn evaluate_same_account(
    request: &Request,
    identity_policies: &[Labeled<&PolicyDocument>],
    resource_policy: Option<Labeled<&PolicyDocument>>,
) -> Verdict {
    let identity: Vec<Scan> = identity_policies
        .iter()
        .map(|p| scan(p, PolicyKind::Identity, request))
        .collect();
    let resource = resource_policy.map(|p| scan(&p, PolicyKind::Resource, request));
    let root = request.principal.kind == PrincipalKind::Root;
    let allow = if root {
        Side::granted()
    } else {
        let by_resource = resource
            .as_ref()
            .map_or_else(Side::refused, |r| allows(r, Grant::Direct));
        any_allows(&identity, Grant::Any).or(by_resource)
    };
    let verdict = decide(identity.iter().chain(&resource), allow);
    if root {
        verdict.note_unless_denied(Note::RootUser)
    } else {
        verdict
    }
}

/// A request from a principal of another account (IAM User Guide, "Cross-account
/// policy evaluation logic"): the resource policy must allow it, naming the principal
/// or its account, and so must the principal's identity policies.
///
/// `identity_policies: None` means they are not known (a vendor's): the verdict is
/// then the resource account's decision — an explicit deny there still denies, an
/// allow there is `Allowed` with [`Note::PrincipalAccountMustAllow`].
pub fn evaluate_cross_account(
    request: &Request,
    identity_policies: Option<&[Labeled<&PolicyDocument>]>,
    resource_policy: Option<Labeled<&PolicyDocument>>,
) -> Verdict {
    let identity: Option<Vec<Scan>> = identity_policies.map(|policies| {
        policies
            .iter()
            .map(|p| scan(p, PolicyKind::Identity, request))
            .collect()
    });
    let resource = resource_policy.map(|p| scan(&p, PolicyKind::Resource, request));
    let by_resource = resource
        .as_ref()
        .map_or_else(Side::refused, |r| allows(r, Grant::Any));
    let allow = match &identity {
        Some(_) if request.principal.kind == PrincipalKind::Root => by_resource,
        Some(scans) => by_resource.and(any_allows(scans, Grant::Any)),
        None => by_resource,
    };
    let scans = identity.iter().flatten().chain(&resource);
    let mut verdict = decide(scans, allow);
    if resource.is_none() {
        verdict = verdict.note(Note::NoResourcePolicy);
    }
    if identity.is_none() && request.principal.is_aws_identity() {
        verdict = verdict.note_unless_denied(Note::PrincipalAccountMustAllow {
            account: request.principal.account.clone(),
        });
    }
    verdict
}

/// `sts:AssumeRole` of a role with this trust policy by `caller`, passing
/// `external_id` (`None`: no external ID). Condition keys other than the external ID
/// and the caller's own are unknown; use [`evaluate_trust`] to give them.
///
/// The role's account is not known here, so the caller is judged as from another
/// account (a vendor, the case s3dest has): an allow comes with
/// [`Note::PrincipalAccountMustAllow`], since the caller's own policies must also allow
/// `sts:AssumeRole` on the role.
pub fn evaluate_assume_role(
    trust: &PolicyDocument,
    caller: RequestPrincipal,
    external_id: Option<&str>,
) -> Verdict {
    let request = Request::new(caller, "sts:AssumeRole", "")
        .with_context(Context::new().with_external_id(external_id));
    evaluate_trust(Labeled::new("trust policy", trust), &request, None)
}

/// A request on a role's trust policy: `request.resource` is the role's ARN (empty if
/// unknown: the caller is then judged as from another account, and identity policies
/// naming the role cannot match it), `request.action` `sts:AssumeRole` (or
/// `sts:TagSession`, `sts:AssumeRoleWithWebIdentity`, …).
///
/// The trust policy must allow the caller explicitly. A caller of the role's account
/// named directly needs nothing else; one allowed through its account, or from another
/// account, also needs its identity policies to allow it: `caller_identity_policies`,
/// or [`Note::PrincipalAccountMustAllow`] when `None`. The root user cannot assume a role.
pub fn evaluate_trust(
    trust: Labeled<&PolicyDocument>,
    request: &Request,
    caller_identity_policies: Option<&[Labeled<&PolicyDocument>]>,
) -> Verdict {
    let who = &request.principal;
    if who.kind == PrincipalKind::Root && request.action.eq_ignore_ascii_case("sts:AssumeRole") {
        return Verdict {
            decision: Decision::Denied,
            decided_by: vec![],
            notes: vec![Note::RootCannotAssumeRole],
        };
    }
    let trust = scan(&trust, PolicyKind::Trust, request);
    let identity: Option<Vec<Scan>> = caller_identity_policies.map(|policies| {
        policies
            .iter()
            .map(|p| scan(p, PolicyKind::Identity, request))
            .collect()
    });
    let role_account = arn::Arn::parse(&request.resource)
        .map(|a| a.account)
        .filter(|a| !a.is_empty());
    let same_account = role_account.is_some() && role_account == who.account.as_deref();
    let direct = allows(&trust, Grant::Direct);
    let named_in_own_account = same_account && direct.is_yes();
    let any = allows(&trust, Grant::Any);
    let allow = match &identity {
        Some(scans) if same_account => direct.or(any.and(any_allows(scans, Grant::Any))),
        Some(scans) => any.and(any_allows(scans, Grant::Any)),
        None => any,
    };
    let verdict = decide(identity.iter().flatten().chain([&trust]), allow);
    if identity.is_none() && who.is_aws_identity() && !named_in_own_account {
        verdict.note_unless_denied(Note::PrincipalAccountMustAllow {
            account: who.account.clone(),
        })
    } else {
        verdict
    }
}
