//! WalkMe Integration Center, "IAM role - customer-side bucket": a role that WalkMe's fixed
//! roles assume, with no external ID (WalkMe sends none), and an inline policy. The guide's
//! `arn:aws:s3:::BUCKET/` for `s3:ListBucket` matches nothing: the bucket ARN is used.
//!
//! WalkMe changed its roles: the current guide trusts two roles in account 584278441476
//! (US and EU data centres); the older guide trusted four roles in 758936404074. A setup
//! made from the older guide keeps them with `trust: legacy`. The current guide's
//! sample JSON is invalid as printed (`//` comments, a missing comma); s3dest writes the
//! valid policy it means.

use crate::description::*;

const US: &str = "arn:aws:iam::584278441476:role/walkme-s3-integrations-prod";
const EU: &str = "arn:aws:iam::584278441476:role/walkme-s3-integrations-eu-prod";

pub(crate) static DESCRIPTION: Description = Description {
    name: "walkme",
    title: "WalkMe Integration Center",
    source: Source {
        guide: "WalkMe Support, \"Comment configurer une destination Amazon S3 dans le Centre \
                d'intégration\" (support.walkme.com, IAM role - customer-side bucket)",
        url: "",
        checked: "2026-11-30",
    },
    identity: Identity::OwnRole { fixed: None },
    trust: Trust::Fixed {
        variants: &[
            TrustVariant {
                name: "us-and-eu",
                principals: &[US, EU],
                summary: "WalkMe's current US and EU roles (account 584278441476)",
            },
            TrustVariant {
                name: "us",
                principals: &[US],
                summary: "WalkMe's current US role (account 584278441476)",
            },
            TrustVariant {
                name: "eu",
                principals: &[EU],
                summary: "WalkMe's current EU role (account 584278441476)",
            },
            TrustVariant {
                name: "legacy",
                principals: &[
                    "arn:aws:iam::758936404074:role/integrateme-ecs-instance-production",
                    "arn:aws:iam::758936404074:role/rundeck-worker",
                    "arn:aws:iam::758936404074:role/chatbot-asg-prodeu",
                    "arn:aws:iam::758936404074:role/rundeck-worker-eu",
                ],
                summary: "the four roles of WalkMe's earlier guide (account 758936404074)",
            },
        ],
        default: "us-and-eu",
    },
    external_id: ExternalId::Impossible {
        reason: "WalkMe cannot send an external ID when it assumes the role, so the trust \
                 policy cannot require one",
        warning: "WalkMe's roles assume this role without an external ID: any WalkMe customer \
                  who learns the role ARN could point WalkMe at this bucket (confused deputy). \
                  Keep the role ARN private.",
    },
    folder: Folder::Required,
    grants: Grants {
        bucket_actions: &["s3:ListBucket"],
        object_actions: &["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        objects_also_on_bucket: false,
        bucket_sid: None,
        object_sid: None,
        from_spec: false,
    },
    placement: Placement::IdentityPolicy,
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
                label: "Role ARN",
                value: OutputValue::RoleArn,
            },
            OutputField {
                label: "Bucket name",
                value: OutputValue::BucketName,
            },
            OutputField {
                label: "Region",
                value: OutputValue::Region,
            },
            OutputField {
                label: "Bucket path",
                value: OutputValue::FolderPath,
            },
        ],
        notes: &[],
        role_notes: &[],
    },
    sends: Sends::UNDOCUMENTED,
};
