//! Fingerprints of every AWS object a plan read, so that a saved plan can tell
//! whether anything it depends on changed before it is applied.

use std::collections::BTreeMap;

use serde_json::json;

use crate::model::{BucketEncryption, KmsKey, ObjectLock, Observed, ObservedBucket};

use s3dest_policy::fnv1a_hex as hash;

/// A stable spelling of a bucket's default encryption (not its `Debug` form, which
/// may change with the type).
fn encryption_view(encryption: &BucketEncryption) -> String {
    match encryption {
        BucketEncryption::None => "none".to_owned(),
        BucketEncryption::SseS3 => "AES256".to_owned(),
        BucketEncryption::Kms { algorithm, key } => match key {
            KmsKey::AwsManaged => format!("{} aws/s3", algorithm.as_str()),
            KmsKey::Customer(id) => format!("{} {id}", algorithm.as_str()),
        },
        BucketEncryption::Unknown => "unknown".to_owned(),
    }
}

/// One entry per object read: `role NAME`, `bucket NAME` (its region, settings,
/// default encryption, Object Lock and whole policy, statements of others included),
/// `folder s3://BUCKET/FOLDER/`.
pub fn fingerprints(observed: &Observed) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    out.insert("account".to_owned(), hash(&observed.account_id));
    for role in observed.roles.values() {
        let policies: BTreeMap<&String, _> = role
            .inline_policies
            .iter()
            .map(|(k, v)| (k, v.to_value()))
            .collect();
        let view = json!({
            "path": role.path, "arn": role.arn, "trust": role.trust.to_value(), "tags": role.tags,
            "inline": policies, "managed": role.managed_policy_arns,
        });
        out.insert(format!("role {}", role.name), hash(&view.to_string()));
    }
    for user in observed.users.values() {
        let policies: BTreeMap<&String, _> = user
            .inline_policies
            .iter()
            .map(|(k, v)| (k, v.to_value()))
            .collect();
        let keys: Vec<_> = user
            .access_keys
            .iter()
            // Not `last_used`: the vendor uses its key all the time, and when a use matters
            // (it retires an old key) the plan itself changes, which a saved plan checks.
            .map(|k| format!("{}/{}/{}", k.id, k.active, k.created))
            .collect();
        let view = json!({"path": user.path, "tags": user.tags, "inline": policies, "managed": user.managed_policy_arns, "keys": keys});
        out.insert(format!("user {}", user.name), hash(&view.to_string()));
    }
    for secret in observed.secrets.values() {
        let view = json!({"arn": secret.arn, "tags": secret.tags, "pending_deletion": secret.pending_deletion});
        out.insert(format!("secret {}", secret.name), hash(&view.to_string()));
    }
    for (name, bucket) in &observed.buckets {
        let ObservedBucket::Present(info) = bucket else {
            out.insert(format!("bucket {name}"), hash("missing"));
            continue;
        };
        let view = json!({
            "region": info.region,
            "policy": info.policy.as_ref().map(|p| p.to_value()),
            "public_access_blocked": info.public_access_blocked,
            // A saved plan is refused when these change: the vendors' grants and errors
            // depend on them.
            "encryption": info.encryption.as_ref().map(encryption_view),
            "object_lock": info.object_lock.map(|l| match l {
                ObjectLock::Disabled => "disabled",
                ObjectLock::Enabled => "enabled",
                ObjectLock::Unknown => "unknown",
            }),
        });
        out.insert(format!("bucket {name}"), hash(&view.to_string()));
        for (folder, state) in &info.folders {
            let view = format!("{:?}/{:?}", state.marker, state.has_other_objects);
            out.insert(format!("folder s3://{name}/{folder}/"), hash(&view));
        }
    }
    out
}

/// The objects whose fingerprint differs between two reads (added, removed or changed).
pub fn changed(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> Vec<String> {
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| before.get(*k) != after.get(*k))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BucketInfo, KmsAlgorithm, KmsKeyId};

    fn with_bucket(info: BucketInfo) -> BTreeMap<String, String> {
        let mut observed = Observed::default();
        observed
            .buckets
            .insert("b".to_owned(), ObservedBucket::Present(info));
        fingerprints(&observed)
    }

    #[test]
    fn a_bucket_changes_with_its_encryption_and_object_lock() {
        let base = BucketInfo {
            region: "us-east-1".to_owned(),
            encryption: Some(BucketEncryption::SseS3),
            object_lock: Some(ObjectLock::Disabled),
            ..BucketInfo::default()
        };
        let before = with_bucket(base.clone());
        let kms = |id: &str| BucketEncryption::Kms {
            algorithm: KmsAlgorithm::SseKms,
            key: KmsKey::Customer(KmsKeyId::new(id)),
        };
        let variants = [
            BucketInfo {
                encryption: Some(kms("k1")),
                ..base.clone()
            },
            BucketInfo {
                encryption: Some(BucketEncryption::Unknown),
                ..base.clone()
            },
            BucketInfo {
                object_lock: Some(ObjectLock::Enabled),
                ..base.clone()
            },
        ];
        for info in variants {
            assert_eq!(
                changed(&before, &with_bucket(info.clone())),
                ["bucket b"],
                "{info:?}"
            );
        }
        let key_one = with_bucket(BucketInfo {
            encryption: Some(kms("k1")),
            ..base.clone()
        });
        let key_two = with_bucket(BucketInfo {
            encryption: Some(kms("k2")),
            ..base
        });
        assert_eq!(changed(&key_one, &key_two), ["bucket b"], "another key");
        assert_eq!(changed(&key_one, &key_one.clone()), Vec::<String>::new());
    }
}
