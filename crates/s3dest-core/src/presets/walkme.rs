//! WalkMe Integration Center (guide `seeds/003`): a role that four fixed WalkMe roles
//! assume, with no external ID (WalkMe sends none), and an inline policy. The guide's
//! `arn:aws:s3:::BUCKET/` for `s3:ListBucket` matches nothing: the bucket ARN is used.

use s3dest_policy::{PolicyDocument, Statement};

use super::{Bucket, Grant, trust};
use crate::model::Concern;

/// The WalkMe roles that assume the customer's role (account 758936404074).
pub const PRINCIPALS: [&str; 4] = [
    "arn:aws:iam::758936404074:role/integrateme-ecs-instance-production",
    "arn:aws:iam::758936404074:role/rundeck-worker",
    "arn:aws:iam::758936404074:role/chatbot-asg-prodeu",
    "arn:aws:iam::758936404074:role/rundeck-worker-eu",
];

pub(super) fn grant(bucket: Bucket) -> Grant {
    let principals = PRINCIPALS.iter().map(|p| (*p).to_owned()).collect();
    Grant {
        trust: trust(principals, None),
        inline_policy: Some(PolicyDocument::new(vec![
            Statement::allow()
                .with_actions(["s3:ListBucket"])
                .with_resources([bucket.arn()]),
            Statement::allow()
                .with_actions(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"])
                .with_resources([bucket.objects()]),
        ])),
        bucket_statement: None,
        warnings: vec![(
            Concern::MissingExternalId,
            "WalkMe's roles assume this role without an external ID: any WalkMe customer who \
             learns the role ARN could point WalkMe at this bucket (confused deputy). Keep the \
             role ARN private."
                .to_owned(),
        )],
    }
}
