//! The pure core of s3dest: the resource model, the vendor presets, the planner and
//! the renderers. Nothing here does I/O or knows about the AWS SDK.

pub mod findings;
pub mod fingerprint;
pub mod model;
pub mod outputs;
pub mod plan;
pub mod presets;
pub mod render;
pub mod security;
pub mod sid;

use std::collections::BTreeMap;

use model::{BucketRead, Desired, IdentityNames, ReadRequest, TAG_BUCKET, TAG_FOLDER};

/// The role and user names a spec wants, known before the account id (the IAM read needs them).
pub fn wanted_identities(spec: &s3dest_spec::Spec) -> IdentityNames {
    IdentityNames {
        spec: spec.name.clone(),
        roles: spec
            .destinations
            .values()
            .filter_map(presets::role_name)
            .collect(),
        users: spec
            .destinations
            .values()
            .filter_map(presets::user_name)
            .collect(),
    }
}

/// What to read from S3 once the IAM side is known: every bucket of the spec with its
/// folder markers, plus the buckets and folders that prune may delete, named by the
/// tags of the roles and users this spec owns (`owned_tags`).
pub fn read_request<'t>(
    desired: &Desired,
    owned_tags: impl IntoIterator<Item = &'t BTreeMap<String, String>>,
) -> ReadRequest {
    let mut buckets: BTreeMap<String, BucketRead> = desired
        .buckets
        .values()
        .map(|b| {
            (
                b.name.clone(),
                BucketRead {
                    settings: b.create,
                    expected_region: b.region.clone(),
                    ..BucketRead::default()
                },
            )
        })
        .collect();
    for dest in desired.destinations.values() {
        let read = buckets.entry(dest.bucket.clone()).or_default();
        read.folders.insert(dest.folder.clone());
        read.lock |= dest.bucket_statement.is_some();
    }
    for tags in owned_tags {
        let (Some(bucket), Some(folder)) = (tags.get(TAG_BUCKET), tags.get(TAG_FOLDER)) else {
            continue;
        };
        let wanted = desired
            .destinations
            .values()
            .any(|d| &d.bucket == bucket && &d.folder == folder);
        if !wanted {
            let read = buckets.entry(bucket.clone()).or_default();
            read.folders.insert(folder.clone());
            read.prune_folders.insert(folder.clone());
        }
    }
    ReadRequest {
        spec: desired.spec.clone(),
        role_names: desired
            .destinations
            .values()
            .filter_map(|d| d.role.as_ref())
            .map(|r| r.name.clone())
            .collect(),
        buckets,
    }
}
