//! What Braze's three S3 exports share: the Braze AWS account's trust with Braze's
//! external ID, the form's fields, the access-key method, and the current docs' refusal
//! of SSE-KMS. The access-key guides' `arn:aws:s3:::BUCKET*` would match every bucket
//! whose name starts with BUCKET: the role guides' `BUCKET/*` is granted instead.

use crate::description::*;

pub(crate) const SOURCE: Source = Source {
    guide: "Braze docs, Amazon S3 partner page (braze-inc/braze-docs, \
            _docs/_partners/data_and_analytics/cloud_storage/amazon_s3.md)",
    url: "https://www.braze.com/docs/partners/data_and_analytics/cloud_storage/amazon_s3/",
    checked: "2026-11-30",
};

pub(crate) const TRUST: Trust = Trust::Customer {
    accepts: PrincipalKinds {
        account: true,
        user_or_role: false,
    },
    who: "the Braze AWS account",
    help: "give the Braze AWS account ID shown in the Braze dashboard, such as \
           `\"123456789012\"` or `arn:aws:iam::123456789012:root`",
};

pub(crate) const EXTERNAL_ID: ExternalId = ExternalId::Required {
    help: "the Braze dashboard shows the external ID next to the Braze AWS account ID",
};

pub(crate) const ENCRYPTION: Encryption = Encryption::Unsupported {
    reason: "Braze does not support SSE-KMS buckets (its current docs: \"disable SSE-KMS in \
             your S3 bucket\"; SSE-S3 works): its writes fail with `not authorized to perform: \
             kms:GenerateDataKey`",
};

pub(crate) const ACCESS_KEY: Option<AccessKeyMethod> = Some(AccessKeyMethod {
    when_key_stops: Some(
        "Braze drops the connector's events for good when its key has not worked for 5 days \
         (Braze's current docs; older guides said 48 hours): paste the new key into Braze \
         before the old one is retired",
    ),
});

pub(crate) const OUTPUTS: Outputs = Outputs {
    fields: &[
        OutputField {
            label: "AWS Role ARN",
            value: OutputValue::RoleArn,
        },
        OutputField {
            label: "AWS S3 Bucket Name",
            value: OutputValue::BucketName,
        },
        OutputField {
            label: "Folder Path",
            value: OutputValue::Folder,
        },
    ],
    notes: &[],
    role_notes: &[
        "\"Invalid S3 credentials\" right after setup: IAM is eventually consistent; retry in a minute.",
    ],
};

/// Currents: list and location on the bucket, get and put on objects.
pub(crate) const CURRENTS_GRANTS: Grants = Grants {
    bucket_actions: &["s3:ListBucket", "s3:GetBucketLocation"],
    object_actions: &["s3:PutObject", "s3:GetObject"],
    objects_also_on_bucket: false,
    bucket_sid: None,
    object_sid: None,
    from_spec: false,
};

/// Dashboard data export and security-event export: the same, and delete.
pub(crate) const EXPORT_GRANTS: Grants = Grants {
    object_actions: &["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
    ..CURRENTS_GRANTS
};

/// A Braze export: what all three share, with what differs.
pub(crate) const fn export(
    name: &'static str,
    title: &'static str,
    folder: Folder,
    grants: Grants,
    object_lock_unsupported: Option<&'static str>,
) -> Description {
    Description {
        name,
        title,
        source: SOURCE,
        identity: Identity::OwnRole { fixed: None },
        trust: TRUST,
        external_id: EXTERNAL_ID,
        folder,
        grants,
        placement: Placement::IdentityPolicy,
        scope: ScopeRule::Choice {
            default: Scope::Bucket,
        },
        encryption: ENCRYPTION,
        preflight: Preflight {
            object_lock_unsupported,
            regions: Regions::Any,
        },
        access_key: ACCESS_KEY,
        outputs: OUTPUTS,
        // Currents' AES-256 option (off by default) is a setting in Braze's UI.
        sends: Sends::UNDOCUMENTED,
    }
}
