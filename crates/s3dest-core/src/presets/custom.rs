//! `custom`: any exporter. The role trusts the given principal (with the external ID
//! when one is set) and the inline policy grants the listed actions, scoped to the
//! destination's folder for object actions and to the bucket for the bucket actions
//! named explicitly. A wildcard is granted on the folder's objects only: on the bucket,
//! `s3:Put*` would also grant `s3:PutBucketPolicy`.

use s3dest_policy::{PolicyDocument, Statement};
use s3dest_spec::Destination;

use super::{Bucket, Grant, dest_trust};
use crate::model::Concern;

pub(super) fn grant(dest: &Destination, bucket: Bucket) -> Grant {
    let on_bucket: Vec<&String> = dest.actions.iter().filter(|a| acts_on_bucket(a)).collect();
    let on_objects: Vec<&String> = dest.actions.iter().filter(|a| !acts_on_bucket(a)).collect();
    let mut statements = Vec::new();
    if !on_bucket.is_empty() {
        statements.push(
            Statement::allow()
                .with_actions(on_bucket)
                .with_resources([bucket.arn()]),
        );
    }
    if !on_objects.is_empty() {
        let objects = bucket.objects();
        statements.push(
            Statement::allow()
                .with_actions(on_objects)
                .with_resources([objects]),
        );
    }
    let mut warnings = Vec::new();
    let wildcards: Vec<&str> = dest
        .actions
        .iter()
        .map(String::as_str)
        .filter(|a| a.contains('*'))
        .collect();
    if !wildcards.is_empty() {
        let message = format!(
            "{} granted on objects (`{}`) only, never on the bucket itself (where `s3:Put*` would include s3:PutBucketPolicy); name bucket-level actions such as s3:ListBucket explicitly",
            wildcards
                .iter()
                .map(|w| format!("`{w}`"))
                .collect::<Vec<_>>()
                .join(", "),
            bucket.objects()
        );
        warnings.push((Concern::General, message));
    }
    if dest.external_id.is_none() {
        let message = "no external_id: the trusted principal can be tricked into using this role \
             on someone else's behalf (confused deputy). Set one if the exporter supports it.";
        warnings.push((Concern::MissingExternalId, message.to_owned()));
    }
    Grant {
        trust: dest_trust(dest),
        inline_policy: Some(PolicyDocument::new(statements)),
        bucket_statement: None,
        warnings,
    }
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
