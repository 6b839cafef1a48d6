//! Pendo Data Sync (guide `seeds/000`): a role named exactly `pendo_datasync` that
//! Pendo's user assumes with an external ID, no permissions policy, and write access
//! granted by one statement in the bucket policy.

use s3dest_policy::Statement;
use s3dest_spec::Destination;

use super::{Bucket, Grant, dest_trust};

/// Pendo looks the role up by this name; it cannot be changed.
pub const ROLE_NAME: &str = "pendo_datasync";

pub(super) fn grant(dest: &Destination, bucket: Bucket) -> Grant {
    Grant {
        trust: dest_trust(dest),
        inline_policy: None,
        // The guide's statement, as written: `s3:PutObject` on `BUCKET_ARN/*` and `BUCKET_ARN`
        // (the second grants nothing but is what Pendo documents).
        bucket_statement: Some(
            Statement::allow()
                .with_actions(["s3:PutObject"])
                .with_resources([bucket.objects(), bucket.arn()]),
        ),
        warnings: Vec::new(),
    }
}
