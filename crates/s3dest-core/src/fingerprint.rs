//! Fingerprints of every AWS object a plan read, so that a saved plan can tell
//! whether anything it depends on changed before it is applied.

use std::collections::BTreeMap;

use serde_json::json;

use crate::model::{Observed, ObservedBucket};

/// FNV-1a, 64 bits, as 16 hex digits: stable across versions and platforms.
fn hash(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        h ^= u64::from(byte);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// One entry per object read: `role NAME`, `bucket NAME` (its region, settings and
/// whole policy, statements of others included), `folder s3://BUCKET/FOLDER/`.
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
