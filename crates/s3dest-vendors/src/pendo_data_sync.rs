//! Pendo Data Sync to S3, IAM role method: a role named exactly `pendo_datasync` that
//! Pendo's user assumes with an external ID, no permissions policy, and write access from
//! one statement in the bucket policy (the guide's `Statement1`, under s3dest's own Sid).

use crate::description::*;

pub(crate) static DESCRIPTION: Description = Description {
    name: "pendo-data-sync",
    title: "Pendo Data Sync",
    source: Source {
        guide: "Pendo Help Center, Data Sync to Amazon S3 with an IAM role (Japanese edition)",
        url: "",
        checked: "2026-11-30",
    },
    identity: Identity::OwnRole {
        fixed: Some(FixedRole {
            name: "pendo_datasync",
            path: "/",
            reason: "Pendo looks the role up by the name `pendo_datasync`",
        }),
    },
    trust: Trust::Customer {
        accepts: PrincipalKinds {
            account: false,
            user_or_role: true,
        },
        who: "Pendo's IAM user",
        help: "Pendo shows the IAM user ARN to trust on its Data Sync settings page, such as \
               `arn:aws:iam::123456789012:user/pendo-sync`",
    },
    external_id: ExternalId::Required {
        help: "Pendo shows the external ID next to its user ARN on the Data Sync settings page",
    },
    folder: Folder::Required,
    grants: Grants {
        bucket_actions: &[],
        object_actions: &["s3:PutObject"],
        objects_also_on_bucket: true,
        bucket_sid: None,
        object_sid: None,
        from_spec: false,
    },
    placement: Placement::BucketStatement,
    scope: ScopeRule::Choice {
        default: Scope::Bucket,
    },
    encryption: Encryption::Unverified,
    preflight: Preflight {
        object_lock_unsupported: None,
        regions: Regions::Any,
    },
    access_key: Some(AccessKeyMethod {
        when_key_stops: None,
    }),
    outputs: Outputs {
        fields: &[
            OutputField {
                label: "S3 URI",
                value: OutputValue::S3Uri,
            },
            OutputField {
                label: "Role ARN",
                value: OutputValue::RoleArn,
            },
        ],
        notes: &[
            "Then choose \"Validate Destination\" in Pendo, then \"Create Destination\".",
            "Pendo Feedback data is not exported; Data Sync must be enabled by Pendo and set up by a Pendo subscription admin.",
        ],
        role_notes: &[],
    },
    sends: Sends::UNDOCUMENTED,
};
