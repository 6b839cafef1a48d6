//! Segment, "AWS S3 with IAM Role Support" destination: a role that Segment's role assumes
//! with the Segment workspace ID as external ID, allowed `s3:PutObject` and
//! `s3:PutObjectAcl` under `segment-logs/`. A prefix entered in Segment's bucket field
//! (`BUCKET/PREFIX`) puts the data under `PREFIX/segment-logs/` (the guide's "Custom Path
//! Prefix": `mytestbucket/path/prefix` copies to `/path/prefix/segment-logs/...`; its
//! migration steps test with `BUCKET/segment-logs/test` and find the data in
//! `segment-logs/test/segment-logs`), so the grant follows the spec's `folder`: the guide's
//! policy with `<YOUR_BUCKET_NAME>` read as what is typed into that field.

use crate::description::*;

pub(crate) static DESCRIPTION: Description = Description {
    name: "segment",
    title: "Segment AWS S3 destination (IAM role)",
    source: Source {
        guide: "Segment docs, \"AWS S3 with IAM Role Support Destination\" (segmentio/segment-docs, \
                src/connections/storage/catalog/aws-s3/index.md)",
        url: "https://segment.com/docs/connections/storage/catalog/aws-s3/",
        checked: "2026-11-30",
    },
    identity: Identity::OwnRole { fixed: None },
    trust: Trust::Fixed {
        variants: &[TrustVariant {
            name: "production",
            principals: &[
                "arn:aws:iam::595280932656:role/segment-s3-integration-production-access",
            ],
            summary: "Segment's production integration role (account 595280932656)",
        }],
        default: "production",
    },
    external_id: ExternalId::Required {
        help: "Segment's external ID is your Segment workspace ID (Settings > Workspace settings)",
    },
    folder: Folder::Prefix {
        subfolder: "segment-logs",
    },
    grants: Grants {
        bucket_actions: &[],
        object_actions: &["s3:PutObject", "s3:PutObjectAcl"],
        objects_also_on_bucket: false,
        bucket_sid: None,
        object_sid: Some("PutObjectsInBucket"),
        from_spec: false,
    },
    placement: Placement::IdentityPolicy,
    scope: ScopeRule::Fixed {
        scope: Scope::Folder,
        reason: "Segment's guide already grants only under `segment-logs/`",
    },
    encryption: Encryption::GrantOnKey(&["kms:GenerateDataKey", "kms:Decrypt"]),
    preflight: Preflight {
        object_lock_unsupported: None,
        regions: Regions::Any,
    },
    access_key: None,
    outputs: Outputs {
        fields: &[
            OutputField {
                label: "Region",
                value: OutputValue::Region,
            },
            OutputField {
                label: "Bucket Name",
                value: OutputValue::BucketAndPrefix,
            },
            OutputField {
                label: "IAM Role ARN",
                value: OutputValue::RoleArn,
            },
        ],
        notes: &[
            "Enter the Bucket Name as shown (the bucket's name, with the prefix when there is one), not its URI. Segment copies data about once an hour: it appears under {folder}/ within about an hour.",
            "Segment assumes the role through AWS STS in US West (Oregon) for US workspaces and EU West (Ireland) for EU workspaces: keep that region's STS endpoint active in this account (IAM > Account settings).",
        ],
        role_notes: &[],
    },
    sends: Sends::UNDOCUMENTED,
};
