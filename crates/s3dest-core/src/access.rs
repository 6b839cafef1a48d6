//! Who can do what: the requests each destination's vendor makes, evaluated against the
//! policies as they will be after apply (the identity's policies, and the whole bucket
//! policy: the foreign statements as read, this spec's as desired). Pure; the evaluator
//! is `s3dest_policy::eval`.
//!
//! A needed request that the policies deny is a `vendor-blocked` error of the plan; one
//! they might deny (a condition on what s3dest cannot know of the vendor's request: its
//! source IP or VPC endpoint, a header its guide does not document) is a warning.

use s3dest_policy::eval::keys;
use s3dest_policy::{
    Context, ContextValue, Decision, Labeled, Outcome, PolicyDocument, Request, RequestPrincipal,
    Verdict, evaluate_cross_account, evaluate_same_account,
};
use s3dest_spec::vendors::Header;

use crate::model::{BucketInfo, Desired, DesiredDestination, Observed, ObservedBucket};
use crate::sid;

/// The object a probe of the vendor's writes names under its folder.
const PROBE_OBJECT: &str = "s3dest-probe";
/// The label of the bucket policy in verdicts.
const BUCKET_POLICY: &str = "the bucket policy";

/// One request a vendor makes, and what the policies decide of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestCheck {
    pub action: String,
    pub resource: String,
    /// A request the vendor needs (as opposed to a probe beyond its need).
    pub needed: bool,
    pub verdict: Verdict,
}

/// The requests a destination's vendor needs, each evaluated; empty when its bucket was
/// not read (or does not exist yet and has no policy to evaluate).
pub fn needed_requests(
    dest: &DesiredDestination,
    desired: &Desired,
    observed: &Observed,
) -> Vec<RequestCheck> {
    let bucket = match observed.buckets.get(&dest.bucket) {
        Some(ObservedBucket::Present(info)) => Some(info),
        Some(ObservedBucket::Missing) => None,
        None => return Vec::new(),
    };
    let Some((principal, same_account)) = principal(dest, desired, observed) else {
        return Vec::new();
    };
    let bucket_policy = effective_bucket_policy(dest, desired, bucket);
    let identity = identity_policies(dest, observed);
    let identity: Vec<Labeled<&PolicyDocument>> = identity
        .iter()
        .map(|(label, policy)| Labeled::new(label.clone(), *policy))
        .collect();
    requests(dest)
        .into_iter()
        .map(|(action, resource)| {
            let request = Request::new(principal.clone(), action.clone(), resource.clone())
                .with_context(context(dest, &action));
            let resource_policy = bucket_policy
                .as_ref()
                .map(|p| Labeled::new(BUCKET_POLICY, p));
            let verdict = if same_account {
                evaluate_same_account(&request, &identity, resource_policy)
            } else {
                evaluate_cross_account(&request, None, resource_policy)
            };
            RequestCheck {
                action,
                resource,
                needed: true,
                verdict,
            }
        })
        .collect()
}

/// What a needed request's verdict means for the plan: an error when it is denied, a
/// warning when it might be; `None` when it is allowed.
pub fn blocked_message(dest: &DesiredDestination, check: &RequestCheck) -> Option<(bool, String)> {
    let deciding = |outcomes: &[Outcome]| {
        check
            .verdict
            .decided_by
            .iter()
            .filter(|r| outcomes.contains(&r.outcome))
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    };
    let what = format!("{} on `{}`", check.action, check.resource);
    match check.verdict.decision {
        Decision::Allowed => None,
        Decision::Denied => Some((
            true,
            format!(
                "{} cannot {what}: {}. Remove or narrow that statement (s3dest does not \
                 change statements it did not write), or use another bucket",
                dest.vendor,
                deciding(&[Outcome::ExplicitDeny, Outcome::ImplicitDeny])
            ),
        )),
        Decision::Unknown => Some((
            false,
            format!(
                "{} might be denied {what}: {} (s3dest cannot know this of the vendor's \
                 requests; check with the vendor)",
                dest.vendor,
                deciding(&[Outcome::MightDeny, Outcome::MightAllow])
            ),
        )),
    }
}

/// The requests the vendor's grant is for: each object action on an object under its
/// folder, each bucket action on the bucket. Wildcard actions (`custom`) are not requests.
fn requests(dest: &DesiredDestination) -> Vec<(String, String)> {
    let grants = &dest.vendor.description().grants;
    let bucket = format!("arn:aws:s3:::{}", dest.bucket);
    let object = match &dest.folder {
        Some(folder) => format!("{bucket}/{folder}/{PROBE_OBJECT}"),
        None => format!("{bucket}/{PROBE_OBJECT}"),
    };
    let mut requests: Vec<(String, String)> = Vec::new();
    for action in grants.bucket_actions {
        requests.push(((*action).to_owned(), bucket.clone()));
    }
    for action in grants.object_actions {
        requests.push(((*action).to_owned(), object.clone()));
    }
    if grants.from_spec {
        let allows = dest
            .inline_policy
            .iter()
            .flat_map(|p| &p.statements)
            .filter(|s| s.effect == s3dest_policy::Effect::Allow);
        for statement in allows {
            let on_bucket = statement.resource.iter().flatten().any(|r| *r == bucket);
            let resource = if on_bucket { &bucket } else { &object };
            for action in statement.action.iter().flatten() {
                if !action.contains('*') && !action.starts_with("kms:") {
                    requests.push((action.clone(), resource.clone()));
                }
            }
        }
    }
    requests
}

/// Who makes the vendor's requests, and whether it is in the bucket's account.
fn principal(
    dest: &DesiredDestination,
    desired: &Desired,
    observed: &Observed,
) -> Option<(RequestPrincipal, bool)> {
    if let Some(user) = &dest.user {
        return Some((RequestPrincipal::user(user.arn(&desired.account_id)), true));
    }
    if let Some(role) = &dest.role {
        let arn = observed
            .roles
            .get(&role.name)
            .map_or_else(|| role.arn(&desired.account_id), |r| r.arn.clone());
        return Some((RequestPrincipal::role_session(arn, None), true));
    }
    if let Some(existing) = &dest.existing_role {
        let role = observed.roles.get(&existing.name)?;
        return Some((RequestPrincipal::role_session(role.arn.clone(), None), true));
    }
    // No identity of the customer's: the principal the preset named in the bucket
    // statement (Cloudflare's user), in another account.
    let arn = dest
        .bucket_statement
        .as_ref()?
        .aws_principals()
        .next()?
        .to_owned();
    let principal = if arn.contains(":role/") {
        RequestPrincipal::role_session(arn, None)
    } else {
        RequestPrincipal::user(arn)
    };
    Some((principal, false))
}

/// The identity's policies as they will be: s3dest's own as desired, and any other
/// inline policy it was found with (left alone, and still in force).
fn identity_policies<'a>(
    dest: &'a DesiredDestination,
    observed: &'a Observed,
) -> Vec<(String, &'a PolicyDocument)> {
    let ours = dest
        .existing_role
        .as_ref()
        .map_or(crate::model::INLINE_POLICY_NAME, |e| e.policy_name.as_str());
    let mut policies: Vec<(String, &PolicyDocument)> = dest
        .inline_policy
        .iter()
        .map(|p| (format!("inline policy `{ours}`"), p))
        .collect();
    let found = dest
        .role
        .as_ref()
        .map(|r| &r.name)
        .or(dest.existing_role.as_ref().map(|e| &e.name))
        .and_then(|name| observed.roles.get(name))
        .map(|r| &r.inline_policies)
        .or_else(|| {
            dest.user
                .as_ref()
                .and_then(|u| observed.users.get(&u.name))
                .map(|u| &u.inline_policies)
        });
    for (name, policy) in found.into_iter().flatten() {
        if name != ours {
            policies.push((format!("inline policy `{name}`"), policy));
        }
    }
    policies
}

/// The bucket's policy as apply will leave it: the statements of others as read, and
/// this spec's statements for the bucket as desired.
fn effective_bucket_policy(
    dest: &DesiredDestination,
    desired: &Desired,
    bucket: Option<&BucketInfo>,
) -> Option<PolicyDocument> {
    let foreign = bucket
        .and_then(|b| b.policy.as_ref())
        .map(|p| {
            p.statements
                .iter()
                .filter(|s| {
                    s.sid
                        .as_deref()
                        .is_none_or(|sid| sid::owned_destination(&desired.spec, sid).is_none())
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

/// What s3dest knows of the vendor's request: TLS always; the headers its guide
/// documents on uploads; the prefix it lists. Everything else (source IP, VPC
/// endpoint, …) is unknown.
fn context(dest: &DesiredDestination, action: &str) -> Context {
    let sends = dest.vendor.description().sends;
    let header = |h: Header| match h {
        Header::Sent(v) => ContextValue::known(v),
        Header::NotSent => ContextValue::Absent,
        Header::Unknown => ContextValue::Unknown,
    };
    let upload = action.eq_ignore_ascii_case("s3:PutObject");
    let (sse, acl) = if upload {
        (header(sends.encryption_header), header(sends.acl))
    } else {
        (ContextValue::Absent, ContextValue::Absent)
    };
    let prefix = if action.eq_ignore_ascii_case("s3:ListBucket") {
        ContextValue::from_option(dest.folder.as_deref().map(|f| format!("{f}/")).as_deref())
    } else {
        ContextValue::Absent
    };
    let key_id = if upload {
        ContextValue::Unknown
    } else {
        ContextValue::Absent
    };
    Context::new()
        .with_secure_transport(true)
        .with(keys::SERVER_SIDE_ENCRYPTION, sse)
        .with(keys::SSE_KMS_KEY_ID, key_id)
        .with(keys::ACL, acl)
        .with(keys::PREFIX, prefix)
}

/// Requests that stand for what a public statement may grant.
const PUBLIC_PROBES: [&str; 4] = [
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "s3:DeleteObject",
];

/// The statements of a bucket's policy, owned or not, that grant anyone (`"*"`) an S3
/// request with no condition that narrows who: each evaluated on its own for an
/// anonymous caller over TLS, everything else about the request unknown, so a
/// statement is reported only when it surely allows. Each is one message.
pub fn public_statements(bucket: &str, policy: &PolicyDocument) -> Vec<String> {
    let mut found = Vec::new();
    for (index, statement) in policy.statements.iter().enumerate() {
        let for_everyone = matches!(&statement.principal, Some(s3dest_policy::Principal::Any))
            || statement.aws_principals().any(|p| p == "*");
        if statement.effect != s3dest_policy::Effect::Allow || !for_everyone {
            continue;
        }
        let alone = PolicyDocument::new(vec![statement.clone()]);
        let resources: Vec<String> = statement
            .resource
            .iter()
            .flatten()
            .map(|r| r.replace('*', PROBE_OBJECT))
            .collect();
        let granted: Vec<String> = PUBLIC_PROBES
            .iter()
            .filter(|action| {
                resources.iter().any(|resource| {
                    let request =
                        Request::new(RequestPrincipal::anonymous(), **action, resource.clone())
                            .with_context(Context::new().with_secure_transport(true));
                    evaluate_cross_account(
                        &request,
                        None,
                        Some(Labeled::new(BUCKET_POLICY, &alone)),
                    )
                    .is_allowed()
                })
            })
            .map(|a| (*a).to_owned())
            .collect();
        if granted.is_empty() {
            continue;
        }
        let which = statement.sid.as_ref().map_or_else(
            || format!("statement {}", index + 1),
            |sid| format!("sid `{sid}`"),
        );
        found.push(format!(
            "the policy of bucket `{bucket}` lets anyone (`\"*\"`) {} ({which}, with no \
             condition that narrows who): every vendor's folder in it is public to that extent",
            granted.join(", ")
        ));
    }
    found
}
