//! `custom`: any exporter. The role trusts the given principal (with the external ID when
//! one is set) and the inline policy grants the spec's `actions`, scoped to the
//! destination's folder for object actions and to the bucket for the bucket actions named
//! explicitly.

use crate::description::*;

pub(crate) static DESCRIPTION: Description = Description {
    name: "custom",
    title: "Any other exporter",
    source: Source {
        guide: "the exporter's own documentation (the spec lists its actions)",
        url: "",
        checked: "2026-11-30",
    },
    identity: Identity::OwnRole { fixed: None },
    trust: Trust::Customer {
        accepts: PrincipalKinds {
            account: true,
            user_or_role: true,
        },
        who: "the exporter's principal",
        help: "an AWS account ID (`\"123456789012\"`), its `arn:aws:iam::123456789012:root` \
               ARN, or an IAM user or role ARN such as `arn:aws:iam::123456789012:role/exporter`",
    },
    external_id: ExternalId::Optional {
        warning: "no external_id: the trusted principal can be tricked into using this role on \
                  someone else's behalf (confused deputy). Set one if the exporter supports it.",
    },
    folder: Folder::Required,
    grants: Grants {
        bucket_actions: &[],
        object_actions: &[],
        objects_also_on_bucket: false,
        bucket_sid: None,
        object_sid: None,
        from_spec: true,
    },
    placement: Placement::IdentityPolicy,
    scope: ScopeRule::Choice {
        default: Scope::Folder,
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
                label: "Role ARN",
                value: OutputValue::RoleArn,
            },
            OutputField {
                label: "Bucket",
                value: OutputValue::BucketName,
            },
            OutputField {
                label: "S3 URI",
                value: OutputValue::S3Uri,
            },
            OutputField {
                label: "Region",
                value: OutputValue::Region,
            },
        ],
        notes: &[],
        role_notes: &[],
    },
    sends: Sends::UNDOCUMENTED,
};
