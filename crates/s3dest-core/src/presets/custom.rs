//! `custom`: any exporter. The role trusts the given principal (with the external ID
//! when one is set) and the inline policy grants the listed actions, scoped to the
//! destination's folder for object actions and to the bucket for bucket actions.

use s3dest_policy::{PolicyDocument, Statement};
use s3dest_spec::Destination;

use super::{Bucket, Grant, dest_trust};

pub(super) fn grant(dest: &Destination, bucket: Bucket) -> Grant {
    let on_bucket: Vec<&String> = dest.actions.iter().filter(|a| scope(a).bucket).collect();
    let on_objects: Vec<&String> = dest.actions.iter().filter(|a| scope(a).objects).collect();
    let mut statements = Vec::new();
    if !on_bucket.is_empty() {
        statements.push(
            Statement::allow()
                .with_actions(on_bucket)
                .with_resources([bucket.arn()]),
        );
    }
    if !on_objects.is_empty() {
        let objects = bucket.folder_objects(&dest.folder);
        statements.push(
            Statement::allow()
                .with_actions(on_objects)
                .with_resources([objects]),
        );
    }
    let mut warnings = Vec::new();
    if dest.external_id.is_none() {
        warnings.push(
            "no external_id: the trusted principal can be tricked into using this role on \
             someone else's behalf (confused deputy). Set one if the exporter supports it."
                .to_owned(),
        );
    }
    Grant {
        trust: dest_trust(dest),
        inline_policy: Some(PolicyDocument::new(statements)),
        bucket_statement: None,
        warnings,
    }
}

struct Scope {
    bucket: bool,
    objects: bool,
}

/// Bucket-level S3 actions act on `arn:aws:s3:::BUCKET`, the rest on objects. A
/// wildcard such as `s3:*` or `s3:Get*` may mean either, so it is granted on both.
fn scope(action: &str) -> Scope {
    // IAM action names are case-insensitive.
    let name = action.to_ascii_lowercase();
    let name = name.strip_prefix("s3:").unwrap_or(&name);
    if name.contains('*') {
        return Scope {
            bucket: true,
            objects: true,
        };
    }
    let bucket = ["listbucket", "getbucket", "putbucket", "deletebucket"]
        .iter()
        .any(|prefix| name.starts_with(prefix));
    Scope {
        bucket,
        objects: !bucket,
    }
}
