//! The pure core of s3dest: the resource model, the vendor presets, the planner and
//! the renderers. Nothing here does I/O or knows about the AWS SDK.

pub mod access;
pub mod adoption;
pub mod findings;
pub mod fingerprint;
pub mod import;
pub mod model;
pub mod outputs;
pub mod phrase;
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
        // Existing roles' default names (Datadog's) always: a removed destination's
        // policy on one is found there.
        roles: spec
            .destinations
            .values()
            .filter_map(|d| d.effective_role_name())
            .chain(presets::existing_role_default_names().map(str::to_owned))
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
        if dest.marker_key().is_some() {
            read.folders.extend(dest.folder.clone());
        }
        read.lock |= dest.bucket_statement.is_some();
        // Asked once per bucket, where a vendor on it depends on the answer.
        read.encryption |= dest.needs_encryption_check();
        read.object_lock |= dest.needs_object_lock_check();
    }
    for tags in owned_tags {
        let (Some(bucket), Some(folder)) = (tags.get(TAG_BUCKET), tags.get(TAG_FOLDER)) else {
            continue;
        };
        let wanted = desired
            .destinations
            .values()
            .any(|d| &d.bucket == bucket && d.folder.as_ref() == Some(folder));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_reads_what_its_vendors_depend_on() {
        let text = r#"
version: 1
name: acme
buckets:
  events: {}
  exports: {}
  idle: {}
  logs: {}
destinations:
  currents: { vendor: braze-currents, bucket: events, principal: "987654321098", external_id: ext }
  walkme: { vendor: walkme, auth: access-key, bucket: exports, folder: walkme }
  segment: { vendor: segment, bucket: logs, external_id: ws-1 }
"#;
        let spec = match s3dest_spec::parse("s3dest.yaml", text) {
            Ok(checked) => checked.spec,
            Err(d) => panic!("{d:?}"),
        };
        let desired = presets::expand(&spec, "123456789012");
        let request = read_request(&desired, []);
        let asked = |b: &str| {
            let read = &request.buckets[b];
            (read.encryption, read.object_lock)
        };
        // Braze: no SSE-KMS, and Currents no Object Lock.
        assert_eq!(asked("events"), (true, true));
        // WalkMe's guide says nothing about SSE-KMS: nothing depends on it.
        assert_eq!(asked("exports"), (false, false));
        // Segment needs a grant on a customer key.
        assert_eq!(asked("logs"), (true, false));
        // No destination uses it: nothing depends on its encryption.
        assert_eq!(asked("idle"), (false, false));
    }
}
