//! Braze (guides `seeds/001`, `002`, `004`): a role that Braze's AWS account assumes
//! with Braze's external ID, and an inline policy. Currents needs list/location on
//! the bucket and get/put on objects; dashboard data export and security-event export
//! also need delete. The access-key guides' `arn:aws:s3:::BUCKET*` would match every
//! bucket whose name starts with BUCKET: the role guides' `BUCKET/*` is used instead.

use s3dest_policy::{PolicyDocument, Statement};
use s3dest_spec::Destination;

use super::{Bucket, Grant, dest_trust};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Feature {
    Currents,
    DataExport,
    SecurityEvents,
}

pub(super) fn grant(dest: &Destination, bucket: Bucket, feature: Feature) -> Grant {
    Grant {
        trust: dest_trust(dest),
        inline_policy: Some(policy(bucket, feature)),
        bucket_statement: None,
        warnings: Vec::new(),
    }
}

fn policy(bucket: Bucket, feature: Feature) -> PolicyDocument {
    let mut object_actions = vec!["s3:PutObject", "s3:GetObject"];
    if feature != Feature::Currents {
        object_actions.push("s3:DeleteObject");
    }
    PolicyDocument::new(vec![
        Statement::allow()
            .with_actions(["s3:ListBucket", "s3:GetBucketLocation"])
            .with_resources([bucket.arn()]),
        Statement::allow()
            .with_actions(object_actions)
            .with_resources([bucket.objects()]),
    ])
}
