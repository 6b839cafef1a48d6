//! `custom`: the spec's `actions`, granted on the destination's folder for object actions
//! and on the bucket for the bucket actions named explicitly. A wildcard is granted on
//! the folder's objects only: on the bucket, `s3:Put*` would also grant
//! `s3:PutBucketPolicy`.

use s3dest_policy::Statement;

use super::Bucket;
use crate::model::Concern;

pub(super) fn statements(actions: &[String], bucket: Bucket) -> Vec<Statement> {
    let on_bucket: Vec<&String> = actions.iter().filter(|a| acts_on_bucket(a)).collect();
    let on_objects: Vec<&String> = actions.iter().filter(|a| !acts_on_bucket(a)).collect();
    let mut statements = Vec::new();
    if !on_bucket.is_empty() {
        statements.push(
            Statement::allow()
                .with_actions(on_bucket)
                .with_resources([bucket.arn()]),
        );
    }
    if !on_objects.is_empty() {
        statements.push(
            Statement::allow()
                .with_actions(on_objects)
                .with_resources([bucket.objects()]),
        );
    }
    statements
}

/// Where the spec's wildcards were granted, and why not on the bucket.
pub(super) fn warnings(actions: &[String], bucket: Bucket) -> Vec<(Concern, String)> {
    let wildcards: Vec<String> = actions
        .iter()
        .filter(|a| a.contains('*'))
        .map(|w| format!("`{w}`"))
        .collect();
    if wildcards.is_empty() {
        return Vec::new();
    }
    let message = format!(
        "{} granted on objects (`{}`) only, never on the bucket itself (where `s3:Put*` would include s3:PutBucketPolicy); name bucket-level actions such as s3:ListBucket explicitly",
        wildcards.join(", "),
        bucket.objects()
    );
    vec![(Concern::General, message)]
}

/// Bucket-level S3 actions, named explicitly, act on `arn:aws:s3:::BUCKET`; every other
/// action, wildcards included, on the folder's objects.
fn acts_on_bucket(action: &str) -> bool {
    // IAM action names are case-insensitive.
    let name = action.to_ascii_lowercase();
    let name = name.strip_prefix("s3:").unwrap_or(&name);
    !name.contains('*')
        && ["listbucket", "getbucket", "putbucket", "deletebucket"]
            .iter()
            .any(|prefix| name.starts_with(prefix))
}
