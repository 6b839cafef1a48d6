//! Mixpanel Data Pipelines to S3: a role that Mixpanel's user assumes with the Mixpanel
//! project token as external ID, allowed put, get, list and delete on the bucket (the
//! guide's one statement, split: bucket actions on the bucket ARN, object actions on its
//! objects, which is equivalent). Mixpanel's docs name no key prefix, so none is guessed:
//! the grant covers the bucket, as the guide writes it.

use crate::description::*;

pub(crate) static DESCRIPTION: Description = Description {
    name: "mixpanel",
    title: "Mixpanel Data Pipelines",
    source: Source {
        guide: "Mixpanel docs, Data Pipelines, \"AWS S3\" (mixpanel/docs, \
                docs/data-pipelines/integrations/aws-s3.mdx)",
        url: "https://docs.mixpanel.com/docs/data-pipelines/integrations/aws-s3",
        checked: "2026-11-30",
    },
    identity: Identity::OwnRole { fixed: None },
    trust: Trust::Fixed {
        variants: &[TrustVariant {
            name: "export",
            principals: &["arn:aws:iam::485438090326:user/mixpanel-export"],
            summary: "Mixpanel's export user (account 485438090326)",
        }],
        default: "export",
    },
    external_id: ExternalId::Required {
        help: "Mixpanel's external ID is your Mixpanel project token (Project Settings)",
    },
    folder: Folder::Unknown {
        reason: "Mixpanel's documentation names no key prefix for its exports, so s3dest grants \
                 the bucket, as the guide does",
    },
    grants: Grants {
        bucket_actions: &["s3:ListBucket"],
        object_actions: &["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
        objects_also_on_bucket: false,
        bucket_sid: None,
        object_sid: None,
        from_spec: false,
    },
    placement: Placement::IdentityPolicy,
    scope: ScopeRule::Fixed {
        scope: Scope::Bucket,
        reason: "Mixpanel's documentation names no prefix to narrow the grant to",
    },
    encryption: Encryption::GrantOnKey(&[
        "kms:Decrypt",
        "kms:Encrypt",
        "kms:GenerateDataKey",
        "kms:ReEncryptTo",
        "kms:GenerateDataKeyWithoutPlaintext",
        "kms:DescribeKey",
        "kms:ReEncryptFrom",
    ]),
    preflight: Preflight {
        object_lock_unsupported: None,
        regions: Regions::Only(&[
            "us-east-1",
            "us-east-2",
            "us-west-1",
            "us-west-2",
            "ap-northeast-1",
            "ap-northeast-2",
            "ap-northeast-3",
            "ap-southeast-1",
            "ap-southeast-2",
            "ap-south-1",
            "ca-central-1",
            "cn-north-1",
            "cn-northwest-1",
            "eu-central-1",
            "eu-north-1",
            "eu-west-1",
            "eu-west-2",
            "eu-west-3",
            "sa-east-1",
            "me-south-1",
        ]),
    },
    access_key: None,
    outputs: Outputs {
        fields: &[
            OutputField {
                label: "Bucket",
                value: OutputValue::BucketName,
            },
            OutputField {
                label: "Region",
                value: OutputValue::Region,
            },
            OutputField {
                label: "Role",
                value: OutputValue::RoleArn,
            },
        ],
        notes: &[
            "Encryption: choose what the bucket uses (SSE-S3, or SSE-KMS with its key ID when it is a customer managed key).",
        ],
        role_notes: &[],
    },
    sends: Sends::UNDOCUMENTED,
};
