//! Applying the access-key method: users, their policies and keys, and the secrets
//! holding the keys. A new key's secret goes from `CreateAccessKey` straight into
//! Secrets Manager inside [`create_access_key`], wrapped in [`Secret`] on the way.

use std::collections::{BTreeMap, BTreeSet};

use aws_smithy_types::retry::RetryConfig;

use aws_sdk_iam::types::StatusType;
use aws_sdk_secretsmanager::types::Tag;
use s3dest_core::model::{
    TAG_ACCESS_KEY_ID, TAG_KEY_PENDING, UserDef, pending_key_tag, secret_version_id,
};
use s3dest_core::plan::{Op, SecretDef, SecretFound};
use serde_json::json;

use crate::apply::{has_tags, iam_tag, ignore_missing};
use crate::secret::Secret;
use crate::{Aws, CloudError};

/// Runs one user, key or secret operation; `None` when `op` is not one.
pub(crate) async fn apply(aws: &Aws, op: &Op) -> Option<Result<(), CloudError>> {
    Some(match op {
        Op::CreateUser { user } => create_user(aws, user).await,
        Op::DeleteUser {
            name,
            inline_policies,
            managed_policies,
            access_keys,
        } => delete_user(aws, name, inline_policies, managed_policies, access_keys).await,
        Op::TagUser { user, tags } => tag_user(aws, user, tags.clone()).await,
        Op::UntagUser { user, keys } => untag_user(aws, user, keys.clone()).await,
        Op::PutUserPolicy { user, name, policy } => {
            let call = aws
                .iam
                .put_user_policy()
                .user_name(user)
                .policy_name(name)
                .policy_document(policy.to_json());
            call.send().await.map(drop).map_err(|e| {
                CloudError::from_sdk(
                    "PutUserPolicy",
                    format!("inline policy `{name}` of user `{user}`"),
                    e,
                )
            })
        }
        Op::DeleteUserPolicy { user, name } => delete_user_policy(aws, user, name).await,
        Op::CreateAccessKey { user, secret } => create_access_key(aws, user, secret).await,
        Op::SetAccessKeyStatus {
            user,
            key_id,
            active,
        } => {
            let status = if *active {
                StatusType::Active
            } else {
                StatusType::Inactive
            };
            let call = aws
                .iam
                .update_access_key()
                .user_name(user)
                .access_key_id(key_id)
                .status(status);
            call.send().await.map(drop).map_err(|e| {
                CloudError::from_sdk(
                    "UpdateAccessKey",
                    format!("access key `{key_id}` of user `{user}`"),
                    e,
                )
            })
        }
        Op::DeleteAccessKey { user, key_id } => delete_access_key(aws, user, key_id).await,
        Op::TagSecret { name, tags } => {
            let tags: Vec<Tag> = tags
                .iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build())
                .collect();
            let call = aws
                .secrets
                .tag_resource()
                .secret_id(name)
                .set_tags(Some(tags));
            call.send()
                .await
                .map(drop)
                .map_err(|e| CloudError::from_sdk("TagResource", format!("secret `{name}`"), e))
        }
        Op::DeleteSecret {
            name,
            recovery_days,
        } => {
            let call = aws
                .secrets
                .delete_secret()
                .secret_id(name)
                .recovery_window_in_days(*recovery_days);
            match call.send().await {
                Ok(_) => Ok(()),
                Err(e) => {
                    let err = CloudError::from_sdk("DeleteSecret", format!("secret `{name}`"), e);
                    // Gone, or already scheduled (a retry of a call whose reply was lost).
                    let scheduled = err.is_code("InvalidRequestException")
                        && err.to_string().contains("marked for deletion");
                    if err.is_code("ResourceNotFoundException") || scheduled {
                        Ok(())
                    } else {
                        Err(err)
                    }
                }
            }
        }
        _ => return None,
    })
}

async fn create_user(aws: &Aws, user: &UserDef) -> Result<(), CloudError> {
    let tags = user.tags.iter().map(|(k, v)| iam_tag(k, v)).collect();
    let call = aws
        .iam
        .create_user()
        .user_name(&user.name)
        .path(&user.path)
        .set_tags(Some(tags));
    // A user that appeared since the plan read is an error, like a role: it may not be
    // ours (a re-run after an interruption reads it first and plans no creation). But
    // the retry of a create whose reply was lost finds the user it made: same path, tags.
    let resource = format!("user `{}`", user.name);
    let err = match call.send().await {
        Ok(_) => return Ok(()),
        Err(e) => CloudError::from_sdk("CreateUser", resource.clone(), e),
    };
    if !err.is_code("EntityAlreadyExists") {
        return Err(err);
    }
    let found = aws
        .iam
        .get_user()
        .user_name(&user.name)
        .send()
        .await
        .map_err(|e| CloudError::from_sdk("GetUser", resource, e))?;
    let made_by_us = found
        .user()
        .is_some_and(|have| have.path() == user.path && has_tags(have.tags(), &user.tags));
    if made_by_us { Ok(()) } else { Err(err) }
}

async fn delete_user(
    aws: &Aws,
    name: &str,
    inline_policies: &[String],
    managed_policies: &[String],
    access_keys: &[String],
) -> Result<(), CloudError> {
    for key in access_keys {
        delete_access_key(aws, name, key).await?;
    }
    for policy in inline_policies {
        delete_user_policy(aws, name, policy).await?;
    }
    for arn in managed_policies {
        let result = aws
            .iam
            .detach_user_policy()
            .user_name(name)
            .policy_arn(arn)
            .send()
            .await;
        ignore_missing(result.map_err(|e| {
            CloudError::from_sdk(
                "DetachUserPolicy",
                format!("policy `{arn}` on user `{name}`"),
                e,
            )
        }))?;
    }
    let result = aws.iam.delete_user().user_name(name).send().await;
    ignore_missing(
        result.map_err(|e| CloudError::from_sdk("DeleteUser", format!("user `{name}`"), e)),
    )
}

async fn delete_user_policy(aws: &Aws, user: &str, name: &str) -> Result<(), CloudError> {
    let result = aws
        .iam
        .delete_user_policy()
        .user_name(user)
        .policy_name(name)
        .send()
        .await;
    ignore_missing(result.map_err(|e| {
        CloudError::from_sdk(
            "DeleteUserPolicy",
            format!("inline policy `{name}` of user `{user}`"),
            e,
        )
    }))
}

async fn delete_access_key(aws: &Aws, user: &str, key_id: &str) -> Result<(), CloudError> {
    let result = aws
        .iam
        .delete_access_key()
        .user_name(user)
        .access_key_id(key_id)
        .send()
        .await;
    ignore_missing(result.map_err(|e| {
        CloudError::from_sdk(
            "DeleteAccessKey",
            format!("access key `{key_id}` of user `{user}`"),
            e,
        )
    }))
}

/// Makes a key and stores it in the secret. If it cannot be stored, the key is deleted
/// again: a key whose secret nobody holds would only take one of the user's two slots.
///
/// `CreateAccessKey` is the one write that cannot be made twice safely: a retry after a
/// lost reply makes a second key, whose secret was returned only to the lost reply. So
/// the SDK does not retry it; s3dest does, after deleting any key the lost call made.
/// And before the call the user is tagged with the keys it had ([`TAG_KEY_PENDING`]):
/// if the apply dies before the secret is stored, the next plan knows the new key for
/// an orphan (nobody holds its secret) rather than for one made by hand.
async fn create_access_key(aws: &Aws, user: &str, target: &SecretDef) -> Result<(), CloudError> {
    let before = list_key_ids(aws, user).await?;
    let record = pending_key_tag(before.iter().map(String::as_str));
    tag_user(aws, user, [(TAG_KEY_PENDING.to_owned(), record)].into()).await?;
    let (key_id, value) = new_key(aws, user, &before).await?;
    if let Err(err) = store_secret(aws, target, &key_id, &value).await {
        let _ = delete_access_key(aws, user, &key_id).await;
        return Err(err);
    }
    drop(value);
    tracing::info!(secret = %target.name, access_key_id = %key_id, "stored a new access key");
    untag_user(aws, user, vec![TAG_KEY_PENDING.to_owned()]).await
}

/// Attempts at `CreateAccessKey` (each checked for a key made by the one before).
const CREATE_KEY_ATTEMPTS: u32 = 4;

/// `CreateAccessKey`, without the SDK's retries: a failed attempt that may have made a
/// key (no answer, or a 5xx) is followed by deleting every key not in `before`.
async fn new_key(
    aws: &Aws,
    user: &str,
    before: &BTreeSet<String>,
) -> Result<(String, Secret), CloudError> {
    let resource = format!("user `{user}`");
    let mut pause = std::time::Duration::from_millis(500);
    let mut attempt = 1;
    loop {
        let result = aws
            .iam
            .create_access_key()
            .user_name(user)
            .customize()
            .config_override(
                aws_sdk_iam::config::Builder::default().retry_config(RetryConfig::disabled()),
            )
            .send()
            .await;
        let err = match result {
            Ok(created) => {
                let key = created.access_key().ok_or_else(|| CloudError::Conflict {
                    resource: resource.clone(),
                    message: "CreateAccessKey returned no key".to_owned(),
                })?;
                let key_id = key.access_key_id().to_owned();
                let value = Secret::new(
                    json!({"access_key_id": key_id, "secret_access_key": key.secret_access_key()})
                        .to_string(),
                );
                return Ok((key_id, value));
            }
            Err(e) => CloudError::from_sdk("CreateAccessKey", resource.clone(), e),
        };
        let throttled = err.is_code("Throttling") || err.is_code("ThrottlingException");
        if !(throttled || err.may_have_happened()) || attempt == CREATE_KEY_ATTEMPTS {
            if err.may_have_happened() {
                delete_keys_made_since(aws, user, before).await?;
            }
            return Err(err);
        }
        if err.may_have_happened() {
            delete_keys_made_since(aws, user, before).await?;
        }
        tracing::info!("{err}; trying again in {pause:?}");
        tokio::time::sleep(pause).await;
        pause *= 2;
        attempt += 1;
    }
}

/// Deletes the keys a `CreateAccessKey` whose answer was lost may have made.
async fn delete_keys_made_since(
    aws: &Aws,
    user: &str,
    before: &BTreeSet<String>,
) -> Result<(), CloudError> {
    for id in list_key_ids(aws, user).await?.difference(before) {
        tracing::info!(
            "deleting access key {id} of user `{user}`: a lost reply made it, and nobody holds its secret"
        );
        delete_access_key(aws, user, id).await?;
    }
    Ok(())
}

async fn list_key_ids(aws: &Aws, user: &str) -> Result<BTreeSet<String>, CloudError> {
    let mut pages = aws
        .iam
        .list_access_keys()
        .user_name(user)
        .into_paginator()
        .send();
    let mut ids = BTreeSet::new();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| CloudError::from_sdk("ListAccessKeys", format!("user `{user}`"), e))?;
        ids.extend(
            page.access_key_metadata()
                .iter()
                .filter_map(|k| k.access_key_id().map(str::to_owned)),
        );
    }
    Ok(ids)
}

async fn tag_user(aws: &Aws, user: &str, tags: BTreeMap<String, String>) -> Result<(), CloudError> {
    let tags = tags.iter().map(|(k, v)| iam_tag(k, v)).collect();
    let result = aws
        .iam
        .tag_user()
        .user_name(user)
        .set_tags(Some(tags))
        .send()
        .await;
    result
        .map(drop)
        .map_err(|e| CloudError::from_sdk("TagUser", format!("user `{user}`"), e))
}

async fn untag_user(aws: &Aws, user: &str, keys: Vec<String>) -> Result<(), CloudError> {
    let result = aws
        .iam
        .untag_user()
        .user_name(user)
        .set_tag_keys(Some(keys))
        .send()
        .await;
    result
        .map(drop)
        .map_err(|e| CloudError::from_sdk("UntagUser", format!("user `{user}`"), e))
}

/// Creates the secret, or restores and updates it. The key's id goes into the value's
/// version id, written with the value in one call (a tag, a separate call, is set
/// first, for people): whatever fails half-way, the secret never names a key it does
/// not hold.
async fn store_secret(
    aws: &Aws,
    target: &SecretDef,
    key_id: &str,
    value: &Secret,
) -> Result<(), CloudError> {
    let resource = format!("secret `{}`", target.name);
    let version = secret_version_id(key_id, &unique());
    let mut tags: BTreeMap<String, String> = target.tags.clone();
    tags.insert(TAG_ACCESS_KEY_ID.to_owned(), key_id.to_owned());
    let sm_tags: Vec<Tag> = tags
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    if target.found == SecretFound::Missing {
        let created = aws
            .secrets
            .create_secret()
            .name(&target.name)
            .description("An access key for a SaaS export destination, managed by s3dest. JSON: access_key_id, secret_access_key.")
            .client_request_token(&version)
            .secret_string(value.expose())
            .set_tags(Some(sm_tags.clone()))
            .send()
            .await;
        // A secret that appeared since the plan read is an error: it may not be ours. But
        // the retry of a create whose reply was lost finds our own value's version there.
        let err = match created {
            Ok(_) => return Ok(()),
            Err(e) => CloudError::from_sdk("CreateSecret", resource.clone(), e),
        };
        if !err.is_code("ResourceExistsException") {
            return Err(err);
        }
        let described = aws
            .secrets
            .describe_secret()
            .secret_id(&target.name)
            .send()
            .await
            .map_err(|e| CloudError::from_sdk("DescribeSecret", resource, e))?;
        let ours = described
            .version_ids_to_stages()
            .is_some_and(|versions| versions.contains_key(&version));
        return if ours { Ok(()) } else { Err(err) };
    }
    if target.found == SecretFound::ScheduledForDeletion {
        aws.secrets
            .restore_secret()
            .secret_id(&target.name)
            .send()
            .await
            .map_err(|e| CloudError::from_sdk("RestoreSecret", resource.clone(), e))?;
    }
    aws.secrets
        .tag_resource()
        .secret_id(&target.name)
        .set_tags(Some(sm_tags))
        .send()
        .await
        .map_err(|e| CloudError::from_sdk("TagResource", resource.clone(), e))?;
    aws.secrets
        .put_secret_value()
        .secret_id(&target.name)
        .client_request_token(&version)
        .secret_string(value.expose())
        .send()
        .await
        .map(drop)
        .map_err(|e| CloudError::from_sdk("PutSecretValue", resource, e))
}

/// 16 hex digits, new for every write (a version id must be unique per secret).
fn unique() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "{:016x}",
        (nanos as u64) ^ u64::from(std::process::id()).rotate_left(32)
    )
}
