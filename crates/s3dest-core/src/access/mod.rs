//! Who can do what. For each destination: whether its vendor can assume the role (with
//! the right external ID, a wrong one, none), the requests it needs, and probes beyond
//! its need, each evaluated by `s3dest_policy::eval` against the policies of one
//! [`State`]: AWS as read (`s3dest access`), or as apply will leave it (every plan).
//! Pure.
//!
//! The policies are the identity's (its inline policies), the trust policy of the role,
//! and the whole bucket policy (every statement, s3dest's or not). What the evaluation
//! cannot see (managed policies' documents, KMS key policies) is listed with it.

mod drift;
mod findings;
mod probes;
mod public;
mod trust;

pub use drift::{live_trust_exposure, policy_drift, trust_drift};
pub use findings::{beyond_need_finding, findings};
pub use public::public_statements;
pub(crate) use trust::Trusted;

use s3dest_policy::{
    Context, Decision, Labeled, Outcome, PolicyDocument, Request, RequestPrincipal, StatementRef,
    Verdict, evaluate_cross_account, evaluate_same_account, evaluate_trust,
};
use s3dest_spec::vendors::Vendor;

use crate::findings::{Finding, FindingKind, FindingSeverity};
use crate::model::{
    BucketInfo, Desired, DesiredDestination, INLINE_POLICY_NAME, Observed, ObservedBucket,
};
use crate::plan::Address;
use crate::sid;
use probes::Asked;

/// The label of the bucket policy in verdicts.
const BUCKET_POLICY: &str = "the bucket policy";
/// The external ID a probe of the trust passes as the wrong one.
const WRONG_EXTERNAL_ID: &str = "s3dest-probe-wrong-external-id";

/// Which policies an evaluation reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// AWS as read: what the vendor can do now (`s3dest access`).
    Live,
    /// As apply will leave it: this spec's policies as desired, everything else as read
    /// (the plan's findings).
    Planned,
}

/// What one destination's vendor can do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestinationAccess {
    pub destination: String,
    pub vendor: Vendor,
    /// Where the vendor writes: the bucket, and its folder there (`None`: the whole bucket).
    pub bucket: String,
    pub folder: Option<String>,
    /// The role the vendor assumes, when s3dest makes it.
    pub role: Option<String>,
    /// Who makes the vendor's requests: the role, the user, or the vendor's own principal.
    pub principal: Option<String>,
    pub assume: Vec<AssumeCheck>,
    pub requests: Vec<RequestCheck>,
    /// Why nothing was evaluated: the identity or the bucket does not exist.
    pub not_evaluated: Option<String>,
    /// What the verdicts do not include (a managed policy's document, a key policy).
    pub unseen: Vec<String>,
}

impl DestinationAccess {
    /// Whether the vendor can do what it needs and no more than its external ID allows:
    /// the role assumed with the right external ID (and not with a wrong one or none,
    /// where the vendor uses one), every needed request allowed.
    pub fn works(&self) -> bool {
        self.not_evaluated.is_none()
            && self.assume.iter().all(AssumeCheck::as_expected)
            && self
                .requests
                .iter()
                .filter(|r| r.reach.is_needed())
                .all(|r| r.verdict.is_allowed())
    }
}

/// Which external ID an `sts:AssumeRole` probe passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExternalIdCase {
    /// The spec's.
    Right,
    /// Another one.
    Wrong,
    /// None at all.
    None,
}

impl ExternalIdCase {
    pub fn as_str(self) -> &'static str {
        match self {
            ExternalIdCase::Right => "right",
            ExternalIdCase::Wrong => "wrong",
            ExternalIdCase::None => "none",
        }
    }
}

/// One `sts:AssumeRole` of the destination's role by a principal its trust should admit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeCheck {
    /// The principal as the spec's trust names it (an account's root stands for any of
    /// its principals).
    pub principal: String,
    pub external_id: ExternalIdCase,
    /// Whether it should be allowed: with the right external ID, or with none where the
    /// vendor uses none.
    pub should_allow: bool,
    pub verdict: Verdict,
}

impl AssumeCheck {
    pub fn as_expected(&self) -> bool {
        if self.should_allow {
            self.verdict.is_allowed()
        } else {
            self.verdict.is_denied()
        }
    }
}

/// Why a request is asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// The vendor needs it.
    Needed,
    /// An object in another folder of the bucket: another destination's, or any other.
    OtherFolder {
        folder: String,
        destination: Option<String>,
    },
    /// An object in another bucket whose name starts with this bucket's (what a
    /// `BUCKET*` resource reaches).
    PrefixBucket,
    /// s3dest's bucket-policy lock object.
    Lock,
    /// Rewriting the bucket policy.
    BucketPolicy,
}

impl Reach {
    pub fn is_needed(&self) -> bool {
        *self == Reach::Needed
    }

    /// The name of a probe in the JSON report; `None` for a needed request.
    pub fn probe(&self) -> Option<&'static str> {
        match self {
            Reach::Needed => None,
            Reach::OtherFolder { .. } => Some("other-folder"),
            Reach::PrefixBucket => Some("prefix-bucket"),
            Reach::Lock => Some("lock-object"),
            Reach::BucketPolicy => Some("bucket-policy"),
        }
    }
}

/// One request a vendor makes (or a probe beyond its need), and what the policies decide of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestCheck {
    pub action: String,
    pub resource: String,
    pub reach: Reach,
    pub verdict: Verdict,
}

/// Evaluates what `dest`'s vendor can do in `state`. `desired` is the plan's (with the
/// bucket facts: a key grant is part of what apply leaves).
pub fn evaluate(
    dest: &DesiredDestination,
    desired: &Desired,
    observed: &Observed,
    state: State,
) -> DestinationAccess {
    let mut access = DestinationAccess {
        destination: dest.name.clone(),
        vendor: dest.vendor,
        bucket: dest.bucket.clone(),
        folder: dest.folder.clone(),
        role: dest.role.as_ref().map(|r| r.name.clone()),
        principal: None,
        assume: Vec::new(),
        requests: Vec::new(),
        not_evaluated: None,
        unseen: Vec::new(),
    };
    let bucket = match observed.buckets.get(&dest.bucket) {
        Some(ObservedBucket::Present(info)) => Some(info),
        Some(ObservedBucket::Missing) if state == State::Planned => None,
        Some(ObservedBucket::Missing) => {
            access.not_evaluated = Some(format!("bucket `{}` does not exist", dest.bucket));
            return access;
        }
        // Not read: nothing to evaluate against.
        None => return access,
    };
    let who = match principal(dest, desired, observed, state) {
        Ok(who) => who,
        Err(missing) => {
            access.not_evaluated = Some(missing);
            return access;
        }
    };
    access.principal = Some(who.principal.arn.clone());
    access.assume = assume_checks(dest, desired, observed, state);
    let identity = identity_policies(dest, desired, observed, state);
    access
        .unseen
        .extend(unseen_managed_policies(dest, observed));
    let identity: Vec<Labeled<&PolicyDocument>> = identity
        .iter()
        .map(|(label, policy)| Labeled::new(label.clone(), *policy))
        .collect();
    let bucket_policy = match state {
        State::Live => bucket.and_then(|b| b.policy.clone()),
        State::Planned => planned_bucket_policy(dest, desired, bucket),
    };
    let resource_policy = bucket_policy
        .as_ref()
        .map(|p| Labeled::new(BUCKET_POLICY, p));
    let asked = probes::asked(dest, desired, bucket);
    if asked.iter().any(|a| a.on_key) {
        access.unseen.push(
            "the KMS key policy, which must also let the account's IAM policies grant its use"
                .to_owned(),
        );
    }
    for Asked {
        action,
        resource,
        reach,
        on_key,
        other_bucket,
    } in asked
    {
        let request = Request::new(who.principal.clone(), action.clone(), resource.clone())
            .with_context(probes::context(dest, &action));
        // The bucket policy applies only to its own bucket; a key's policy is not read.
        let resource_policy = (!on_key && !other_bucket)
            .then(|| resource_policy.clone())
            .flatten();
        let mut verdict = if who.same_account {
            evaluate_same_account(&request, &identity, resource_policy)
        } else {
            evaluate_cross_account(&request, None, resource_policy)
        };
        if on_key && verdict.is_denied() && !verdict.is_explicitly_denied() {
            verdict = key_policy_decides(verdict);
        }
        access.requests.push(RequestCheck {
            action,
            resource,
            reach,
            verdict,
        });
    }
    access
}

/// A `kms:` request no identity policy allows: the key policy, which s3dest does not
/// read, may still allow the role by name. Unknown, never a guess.
fn key_policy_decides(mut verdict: Verdict) -> Verdict {
    verdict.decision = Decision::Unknown;
    verdict.decided_by.push(StatementRef {
        policy: "the key policy (not read)".to_owned(),
        statement: None,
        outcome: Outcome::MightAllow,
        uncertain: Vec::new(),
    });
    verdict
}

/// Who makes the vendor's requests.
struct Who {
    principal: RequestPrincipal,
    /// In the bucket's account (a role or user of the customer's).
    same_account: bool,
}

/// The principal of the vendor's requests in `state`, or why there is none yet.
fn principal(
    dest: &DesiredDestination,
    desired: &Desired,
    observed: &Observed,
    state: State,
) -> Result<Who, String> {
    let same_account = |principal| Who {
        principal,
        same_account: true,
    };
    if let Some(user) = &dest.user {
        return match (observed.users.get(&user.name), state) {
            (Some(found), _) => Ok(same_account(RequestPrincipal::user(found.arn.clone()))),
            (None, State::Planned) => Ok(same_account(RequestPrincipal::user(
                user.arn(&desired.account_id),
            ))),
            (None, State::Live) => Err(format!("user `{}` does not exist", user.name)),
        };
    }
    if let Some(role) = &dest.role {
        return match (observed.roles.get(&role.name), state) {
            (Some(found), _) => Ok(same_account(RequestPrincipal::role_session(
                found.arn.clone(),
                None,
            ))),
            (None, State::Planned) => Ok(same_account(RequestPrincipal::role_session(
                role.arn(&desired.account_id),
                None,
            ))),
            (None, State::Live) => Err(format!("role `{}` does not exist", role.name)),
        };
    }
    if let Some(existing) = &dest.existing_role {
        return match observed.roles.get(&existing.name) {
            Some(found) => Ok(same_account(RequestPrincipal::role_session(
                found.arn.clone(),
                None,
            ))),
            None => Err(format!("role `{}` does not exist", existing.name)),
        };
    }
    // No identity of the customer's: the principal the preset named in the bucket
    // statement (Cloudflare's user), in another account.
    let arn = dest
        .bucket_statement
        .as_ref()
        .and_then(|s| s.aws_principals().next())
        .ok_or_else(|| "the destination names no principal".to_owned())?
        .to_owned();
    Ok(Who {
        principal: caller(&arn),
        same_account: false,
    })
}

/// A request principal standing for what a policy names: a user, a role's session, or
/// for an account any principal of it (a role session there).
fn caller(named: &str) -> RequestPrincipal {
    if named.contains(":user/") {
        RequestPrincipal::user(named)
    } else if let Some(account) = named
        .strip_prefix("arn:aws:iam::")
        .and_then(|rest| rest.strip_suffix(":root"))
    {
        RequestPrincipal::role_session(format!("arn:aws:iam::{account}:role/vendor"), None)
    } else {
        RequestPrincipal::role_session(named, None)
    }
}

/// `sts:AssumeRole` of the destination's own role by each principal the spec's trust
/// names: with the right external ID, a wrong one, none (only "none" when the spec has
/// no external ID). Empty for a destination without a role of s3dest's.
fn assume_checks(
    dest: &DesiredDestination,
    desired: &Desired,
    observed: &Observed,
    state: State,
) -> Vec<AssumeCheck> {
    let Some(role) = &dest.role else {
        return Vec::new();
    };
    let (trust, arn) = match (state, observed.roles.get(&role.name)) {
        (State::Live, Some(found)) => (&found.trust, found.arn.clone()),
        (State::Live, None) => return Vec::new(),
        (State::Planned, _) => (&role.trust, role.arn(&desired.account_id)),
    };
    let cases: Vec<(ExternalIdCase, Option<&str>, bool)> = match dest.external_id.as_deref() {
        Some(right) => vec![
            (ExternalIdCase::Right, Some(right), true),
            (ExternalIdCase::Wrong, Some(wrong_external_id(right)), false),
            (ExternalIdCase::None, None, false),
        ],
        None => vec![(ExternalIdCase::None, None, true)],
    };
    let named: Vec<String> = role
        .trust
        .statements
        .iter()
        .flat_map(|s| s.aws_principals().map(str::to_owned).collect::<Vec<_>>())
        .collect();
    let mut checks = Vec::new();
    for principal in named {
        for (case, id, should_allow) in &cases {
            let request = Request::new(caller(&principal), "sts:AssumeRole", arn.clone())
                .with_context(Context::new().with_external_id(*id));
            checks.push(AssumeCheck {
                principal: principal.clone(),
                external_id: *case,
                should_allow: *should_allow,
                verdict: evaluate_trust(Labeled::new("the trust policy", trust), &request, None),
            });
        }
    }
    checks
}

fn wrong_external_id(right: &str) -> &'static str {
    if right == WRONG_EXTERNAL_ID {
        "s3dest-probe-another-external-id"
    } else {
        WRONG_EXTERNAL_ID
    }
}

/// The identity's inline policies in `state`, labelled. Planned: s3dest's own as
/// desired, and every other inline policy as read (left alone, and still in force)
/// but those `adopt: true` takes over (deleted). Live: all of them as read.
fn identity_policies<'a>(
    dest: &'a DesiredDestination,
    desired: &Desired,
    observed: &'a Observed,
    state: State,
) -> Vec<(String, &'a PolicyDocument)> {
    let ours = dest
        .existing_role
        .as_ref()
        .map_or(INLINE_POLICY_NAME, |e| e.policy_name.as_str());
    let label = |name: &str| format!("inline policy `{name}`");
    let mut policies: Vec<(String, &PolicyDocument)> = match state {
        State::Planned => dest
            .inline_policy
            .iter()
            .map(|p| (label(ours), p))
            .collect(),
        State::Live => Vec::new(),
    };
    let found = identity_found(dest, observed).map(|(inline, _)| inline);
    let adoption = match state {
        State::Planned => crate::adoption::inline_policies(dest, desired, observed),
        State::Live => None,
    };
    let taken_over = |name: &str| adoption.as_ref().is_some_and(|a| a.takes(name));
    for (name, policy) in found.into_iter().flatten() {
        if state == State::Live || (name != ours && !taken_over(name)) {
            policies.push((label(name), policy));
        }
    }
    policies
}

/// The inline policies and managed policy ARNs of the destination's identity as read.
fn identity_found<'a>(
    dest: &DesiredDestination,
    observed: &'a Observed,
) -> Option<(
    &'a std::collections::BTreeMap<String, PolicyDocument>,
    &'a [String],
)> {
    let role = dest
        .role
        .as_ref()
        .map(|r| &r.name)
        .or(dest.existing_role.as_ref().map(|e| &e.name))
        .and_then(|name| observed.roles.get(name));
    if let Some(role) = role {
        return Some((&role.inline_policies, &role.managed_policy_arns));
    }
    dest.user
        .as_ref()
        .and_then(|u| observed.users.get(&u.name))
        .map(|u| (&u.inline_policies, u.managed_policy_arns.as_slice()))
}

/// Managed policies attached to the identity: their documents are not read.
fn unseen_managed_policies(dest: &DesiredDestination, observed: &Observed) -> Vec<String> {
    identity_found(dest, observed)
        .map(|(_, managed)| managed)
        .unwrap_or_default()
        .iter()
        .map(|arn| format!("managed policy `{arn}` (attached, not read)"))
        .collect()
}

/// The bucket's policy as apply will leave it: the statements of others as read, and
/// this spec's statements for the bucket as desired.
fn planned_bucket_policy(
    dest: &DesiredDestination,
    desired: &Desired,
    bucket: Option<&BucketInfo>,
) -> Option<PolicyDocument> {
    let policy = bucket.and_then(|b| b.policy.as_ref());
    // What the destinations' takeovers delete is gone.
    let taken_over = crate::adoption::taken_over_sids(desired, &dest.bucket, policy);
    let foreign = policy
        .map(|p| {
            p.statements
                .iter()
                .filter(|s| {
                    s.sid.as_deref().is_none_or(|sid| {
                        sid::owned_destination(&desired.spec, sid).is_none()
                            && !taken_over.contains(sid)
                    })
                })
                .cloned()
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let ours = desired
        .destinations
        .values()
        .filter(|d| d.bucket == dest.bucket)
        .filter_map(|d| d.bucket_statement.clone());
    let statements: Vec<_> = foreign.into_iter().chain(ours).collect();
    (!statements.is_empty()).then(|| PolicyDocument::new(statements))
}

/// What `s3dest access` reports: every destination evaluated against AWS as read, and
/// the findings of that state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessReport {
    pub spec: String,
    pub account_id: String,
    /// In name order.
    pub destinations: Vec<DestinationAccess>,
    pub findings: Vec<Finding>,
}

impl AccessReport {
    /// Whether every vendor can do what it needs, and no wrong or missing external ID
    /// is admitted where the vendor uses one (exit 0).
    pub fn works(&self) -> bool {
        self.destinations.iter().all(DestinationAccess::works)
    }
}

/// Evaluates every destination of the spec against AWS as read. The findings are those
/// of the live state: the vendors blocked or exposed, what they can do beyond their
/// need, the bucket settings a vendor cannot work with, public statements.
pub fn report(desired: &Desired, observed: &Observed) -> AccessReport {
    let mut findings = Vec::new();
    let mut destinations = Vec::new();
    for dest in desired.destinations.values() {
        let access = evaluate(dest, desired, observed, State::Live);
        if let Some(ObservedBucket::Present(bucket)) = observed.buckets.get(&dest.bucket) {
            for message in crate::presets::unsupported(dest, bucket) {
                findings.push(Finding::new(
                    FindingSeverity::Error,
                    FindingKind::Unsupported,
                    Address::destination(&dest.name),
                    message,
                ));
            }
        }
        findings.extend(self::findings(dest, &access, State::Live));
        destinations.push(access);
    }
    findings.extend(public_findings(desired, observed));
    crate::findings::sort(&mut findings);
    AccessReport {
        spec: desired.spec.clone(),
        account_id: observed.account_id.clone(),
        destinations,
        findings,
    }
}

/// The `public-access` warnings of the spec's buckets as read, once per bucket.
pub fn public_findings(desired: &Desired, observed: &Observed) -> Vec<Finding> {
    let buckets: std::collections::BTreeSet<&str> = desired
        .destinations
        .values()
        .map(|d| d.bucket.as_str())
        .collect();
    let mut found = Vec::new();
    for bucket in buckets {
        let Some(ObservedBucket::Present(info)) = observed.buckets.get(bucket) else {
            continue;
        };
        let Some(policy) = &info.policy else { continue };
        for message in public_statements(bucket, policy) {
            found.push(Finding::new(
                FindingSeverity::Warning,
                FindingKind::PublicAccess,
                Address::bucket(bucket),
                message,
            ));
        }
    }
    found
}
