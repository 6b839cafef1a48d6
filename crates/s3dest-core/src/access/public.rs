//! Public statements: what a bucket policy lets anyone do, each statement alone.

use s3dest_policy::{
    Context, Labeled, PolicyDocument, Request, RequestPrincipal, evaluate_cross_account,
};

use super::BUCKET_POLICY;
use super::probes::PROBE_OBJECT;

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
