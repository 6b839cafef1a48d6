//! Tests only (`publish = false`): what the tests of several crates share to stand in
//! for AWS, and to check that whatever stands in for it behaves like it.
//!
//! - [`simulate`]: applies a plan's operations to an `Observed`, the way the AWS edge
//!   applies them to AWS (the pure planner's convergence tests).
//! - [`MemoryCloud`]: an in-memory account behind the `s3dest_aws::Cloud` trait, over
//!   [`simulate`], honouring the trait's contract; it is also its own [`Scene`].
//! - [`conformance`]: one suite of async test cases, generic over the `Cloud` under
//!   test and a [`Scene`] that sets up what the trait cannot create; run against
//!   `MemoryCloud`, against `Aws` on moto, and against `Aws` on moto through the
//!   fidelity proxy (with and without faults) by this crate's `tests/conformance.rs`.
//! - [`SdkScene`]: a [`Scene`] over plain AWS SDK clients, for moto.

//!
//! Everything but `simulate` is behind the default feature `cloud` (it needs the AWS
//! SDK); the pure crates' tests use the crate without it.

#[cfg(feature = "cloud")]
pub mod conformance;
#[cfg(feature = "cloud")]
mod memory;
#[cfg(feature = "cloud")]
mod scene;
pub mod simulate;

/// The spec of a test's YAML, which must be valid: its diagnostics are the panic's
/// message otherwise.
pub fn spec(yaml: &str) -> s3dest_spec::Spec {
    match s3dest_spec::parse("s3dest.yaml", yaml) {
        Ok(checked) => checked.spec,
        Err(d) => panic!(
            "{}",
            s3dest_spec::render_diagnostics("s3dest.yaml", yaml, &d, false)
        ),
    }
}

#[cfg(feature = "cloud")]
pub use memory::MemoryCloud;
#[cfg(feature = "cloud")]
pub use scene::{Scene, SdkScene};

/// An account holding the given empty buckets in us-east-1, and nothing else.
pub fn account_with_buckets(account: &str, buckets: &[&str]) -> s3dest_core::model::Observed {
    use s3dest_core::model::{BucketInfo, Observed, ObservedBucket};
    let mut world = Observed {
        account_id: account.into(),
        ..Observed::default()
    };
    for bucket in buckets {
        let info = BucketInfo {
            region: "us-east-1".into(),
            ..BucketInfo::default()
        };
        world
            .buckets
            .insert((*bucket).into(), ObservedBucket::Present(info));
    }
    world
}

/// A vendor guide's policy snippet (`crates/s3dest-core/tests/guides/FILE`) with its
/// placeholders filled for `bucket`: Pendo's role in account 123456789012, Datadog's
/// path `datadog`, Cloudflare's example bucket, and stand-in IDs.
pub fn guide_snippet(file: &str, bucket: &str) -> String {
    let path = format!(
        "{}/../s3dest-core/tests/guides/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let datadog = format!("{bucket}/datadog");
    text.replace("BUCKET_ARN", &format!("arn:aws:s3:::{bucket}"))
        .replace("ROLE_ARN", "arn:aws:iam::123456789012:role/pendo_datasync")
        .replace("INSERTBUCKETNAME", bucket)
        .replace("<bucket-name>", bucket)
        .replace("<YOUR_BUCKET_NAME>", bucket)
        .replace("<BUCKET_NAME>", bucket)
        .replace("<YOUR_WORKSPACE_ID>", "ws-8f2a")
        .replace("<MIXPANEL_PROJECT_TOKEN>", "mp-token-1")
        .replace("<POLICY_ID>", "CloudflarePolicy")
        .replace("burritobot", bucket)
        .replace("<MY_BUCKET_NAME_1_/_MY_OPTIONAL_BUCKET_PATH_1>", &datadog)
        .replace("<MY_BUCKET_NAME_2_/_MY_OPTIONAL_BUCKET_PATH_2>", &datadog)
        .replace("<MY_BUCKET_NAME_1>", bucket)
        .replace("<MY_BUCKET_NAME_2>", bucket)
}

/// A trust policy letting `principal` assume the role, with this external ID if any.
pub fn trust_policy(principal: &str, external_id: Option<&str>) -> s3dest_policy::PolicyDocument {
    let mut statement = s3dest_policy::Statement::allow()
        .with_principal_aws([principal])
        .with_actions(["sts:AssumeRole"]);
    if let Some(id) = external_id {
        statement = statement.with_condition("StringEquals", "sts:ExternalId", [id]);
    }
    s3dest_policy::PolicyDocument::new(vec![statement])
}

/// A role of `account` made by hand (or by a vendor's template) at `/`, without
/// s3dest's tags, with these inline policies.
pub fn hand_role(
    account: &str,
    name: &str,
    trust: s3dest_policy::PolicyDocument,
    policies: &[(&str, s3dest_policy::PolicyDocument)],
) -> s3dest_core::model::ObservedRole {
    s3dest_core::model::ObservedRole {
        name: name.to_owned(),
        path: "/".to_owned(),
        arn: format!("arn:aws:iam::{account}:role/{name}"),
        trust,
        tags: std::collections::BTreeMap::new(),
        inline_policies: policies
            .iter()
            .map(|(n, p)| ((*n).to_owned(), p.clone()))
            .collect(),
        managed_policy_arns: Vec::new(),
    }
}
