//! Datadog Log Archives to S3: no new role. Datadog uses the customer's existing AWS
//! integration role (made by Datadog's integration setup, trusting Datadog's account with
//! a Datadog-generated external ID); the archive only adds a policy to it. s3dest owns
//! that one inline policy, by its name, and never changes the role's trust, tags or other
//! policies. `s3:PutObject` uploads; `s3:GetObject` and `s3:ListBucket` rehydrate.

use crate::description::*;

pub(crate) static DESCRIPTION: Description = Description {
    name: "datadog-log-archives",
    title: "Datadog Log Archives",
    source: Source {
        guide: "Datadog docs, \"Log Archives\" (DataDog/documentation, \
                content/en/logs/log_configuration/archives.md); DataDog/cloudformation-template, \
                aws/datadog_integration_role.yaml",
        url: "https://docs.datadoghq.com/logs/log_configuration/archives/",
        checked: "2026-11-30",
    },
    identity: Identity::ExistingRole {
        default_name: "DatadogIntegrationRole",
        what: "your Datadog AWS integration role",
        hint: "set up Datadog's AWS integration first (it makes the role), or set `role_name` \
               to the name of the role it made",
        // Datadog's integration account, with Datadog's external ID
        // (DataDog/cloudformation-template, aws/datadog_integration_role.yaml).
        trusted_by: &["arn:aws:iam::464622532012:root"],
    },
    trust: Trust::Unchanged,
    external_id: ExternalId::NotUsed {
        reason: "the integration role's trust (with Datadog's external ID) belongs to Datadog's \
                 AWS integration, and s3dest leaves it as it is",
    },
    folder: Folder::Required,
    grants: Grants {
        bucket_actions: &["s3:ListBucket"],
        object_actions: &["s3:PutObject", "s3:GetObject"],
        objects_also_on_bucket: false,
        bucket_sid: Some("DatadogRehydrateLogArchivesListBucket"),
        object_sid: Some("DatadogUploadAndRehydrateLogArchives"),
        from_spec: false,
    },
    placement: Placement::IdentityPolicy,
    scope: ScopeRule::Fixed {
        scope: Scope::Folder,
        reason: "Datadog's guide grants only under the archive's path",
    },
    encryption: Encryption::KeyPolicy(&[
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:DescribeKey",
    ]),
    preflight: Preflight {
        object_lock_unsupported: None,
        regions: Regions::Any,
    },
    access_key: None,
    outputs: Outputs {
        fields: &[
            OutputField {
                label: "AWS Account",
                value: OutputValue::AccountId,
            },
            OutputField {
                label: "AWS Role",
                value: OutputValue::RoleName,
            },
            OutputField {
                label: "S3 Bucket",
                value: OutputValue::BucketName,
            },
            OutputField {
                label: "Path",
                value: OutputValue::Folder,
            },
        ],
        notes: &[
            "In Datadog: Log Archiving & Forwarding > Archives > Add a new archive > Amazon S3; pick the AWS account and role above, and enter the bucket and path.",
        ],
        role_notes: &[],
    },
    sends: Sends::UNDOCUMENTED,
};
