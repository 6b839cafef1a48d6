//! A resource as JSON: the `before`/`after` of the JSON plan, and the text the diffs
//! of the text and markdown plans are made from. Policies in their canonical form, so
//! that a formatting-only difference shows no diff; keys in a fixed order.

use serde_json::{Value, json};

use crate::model::{TAG_FILE, TAG_KEY_PENDING};
use crate::plan::{Resource, UserKeys};

pub fn view(resource: &Resource) -> Value {
    match resource {
        Resource::Bucket { name, region } => json!({
            "name": name,
            "region": region,
            "public_access_block": "all blocked",
            "default_encryption": "SSE-S3 (AES256)",
        }),
        Resource::Role {
            name,
            path,
            arn,
            trust,
            tags,
        } => json!({
            "name": name,
            "path": path,
            "arn": arn,
            "trust_policy": trust.canonical().to_value(),
            "tags": tags,
        }),
        Resource::InlinePolicy {
            kind,
            identity,
            name,
            policy,
        } => json!({
            kind.as_str(): identity,
            "name": name,
            "policy": policy.canonical().to_value(),
        }),
        Resource::BucketStatement {
            bucket,
            sid,
            statement,
        } => json!({
            "bucket": bucket,
            "sid": sid,
            "statement": statement.canonical().to_value(),
        }),
        Resource::Folder { bucket, key } => json!({"bucket": bucket, "key": key}),
        Resource::User {
            name,
            path,
            arn,
            tags,
            keys: UserKeys::Wanted { secret, rules },
        } => json!({
            "name": name,
            "path": path,
            "arn": arn,
            "tags": tags,
            "secret": secret,
            "key_max_age_days": rules.max_age_days,
            "key_grace_days": rules.grace_days,
        }),
        Resource::User {
            name,
            path,
            arn,
            tags,
            keys: UserKeys::Held { ids },
        } => json!({
            "name": name,
            "path": path,
            "arn": arn,
            "tags": tags,
            "access_keys": ids,
        }),
        Resource::AccessKey {
            user,
            id,
            active,
            created,
            age_days,
            last_used,
        } => json!({
            "user": user,
            "access_key_id": id,
            "status": if *active { "Active" } else { "Inactive" },
            "created": created.map(|t| t.to_string()),
            "age_days": age_days,
            "last_used": last_used.map(|t| t.to_string()),
        }),
        Resource::NewAccessKey { user, secret } => json!({
            "user": user,
            "access_key_id": "(known after apply)",
            "secret": secret,
            "secret_value": "(sensitive: written only to Secrets Manager)",
        }),
        Resource::KeyPendingTag { user, present } => json!({
            "user": user,
            TAG_KEY_PENDING: present.then_some("present"),
        }),
        Resource::SecretFileTag { secret, file } => json!({
            "secret": secret,
            TAG_FILE: file,
        }),
        Resource::Secret {
            name,
            arn,
            access_key_id,
        } => json!({"name": name, "arn": arn, "access_key_id": access_key_id}),
    }
}
