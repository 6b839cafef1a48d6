//! Cloudflare Logpush to Amazon S3: no role and no user. Cloudflare's own user writes,
//! allowed by one bucket-policy statement on `BUCKET/PATH/*` (owned by its Sid, like
//! Pendo's). Cloudflare writes with the ACL `bucket-owner-full-control` and proves
//! ownership with a challenge file in the destination.

use crate::description::*;

pub(crate) static DESCRIPTION: Description = Description {
    name: "cloudflare-logpush",
    title: "Cloudflare Logpush",
    source: Source {
        guide: "Cloudflare docs, Logpush, \"Enable Amazon S3\" (cloudflare/cloudflare-docs, \
                src/content/docs/logs/logpush/logpush-job/enable-destinations/aws-s3.mdx)",
        url: "https://developers.cloudflare.com/logs/logpush/logpush-job/enable-destinations/aws-s3/",
        checked: "2026-11-30",
    },
    identity: Identity::None,
    trust: Trust::Fixed {
        variants: &[TrustVariant {
            name: "logpush",
            principals: &["arn:aws:iam::391854517948:user/cloudflare-logpush"],
            summary: "Cloudflare's Logpush user (account 391854517948)",
        }],
        default: "logpush",
    },
    external_id: ExternalId::NotUsed {
        reason: "Cloudflare writes as its own user, allowed by the bucket policy; no role is \
                 assumed, so there is no external ID",
    },
    folder: Folder::Required,
    grants: Grants {
        bucket_actions: &[],
        object_actions: &["s3:PutObject"],
        objects_also_on_bucket: false,
        bucket_sid: None,
        object_sid: None,
        from_spec: false,
    },
    placement: Placement::BucketStatement,
    scope: ScopeRule::Fixed {
        scope: Scope::Folder,
        reason: "Cloudflare's guide grants only under the destination's path",
    },
    encryption: Encryption::Unverified,
    preflight: Preflight {
        object_lock_unsupported: None,
        regions: Regions::Except(&["cn-north-1", "cn-northwest-1"]),
    },
    access_key: None,
    outputs: Outputs {
        fields: &[
            OutputField {
                label: "Bucket",
                value: OutputValue::BucketName,
            },
            OutputField {
                label: "Path",
                value: OutputValue::Folder,
            },
            OutputField {
                label: "Bucket region",
                value: OutputValue::Region,
            },
            OutputField {
                label: "Destination (API)",
                value: OutputValue::S3UriWithRegion,
            },
        ],
        notes: &[
            "Cloudflare proves you own the bucket by writing an ownership-challenge file into {folder}/: open it (the bucket policy lets Cloudflare only write; read it with your own access) and paste its token into the Cloudflare dashboard.",
            "Cloudflare recommends a lifecycle rule on the bucket that aborts incomplete multipart uploads.",
        ],
        role_notes: &[],
    },
    sends: Sends {
        // The guide: objects are written with the ACL `bucket-owner-full-control`; SSE-S3
        // is an option of the job.
        encryption_header: Header::Unknown,
        acl: Header::Sent("bucket-owner-full-control"),
    },
};
