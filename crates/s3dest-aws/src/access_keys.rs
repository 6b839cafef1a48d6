//! Applying the access-key method: users, their policies and keys, and the secrets
//! holding the keys. A new key's secret goes from `CreateAccessKey` straight into
//! Secrets Manager inside [`create_access_key`], wrapped in [`Secret`] on the way.

use std::collections::BTreeMap;

use aws_sdk_iam::types::StatusType;
use aws_sdk_secretsmanager::types::Tag;
use s3dest_core::model::{TAG_ACCESS_KEY_ID, UserDef, secret_version_id};
use s3dest_core::plan::{Op, SecretDef, SecretFound};
use serde_json::json;

use crate::apply::{iam_tag, ignore_missing};
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
        Op::TagUser { user, tags } => {
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
        Op::UntagUser { user, keys } => {
            let result = aws
                .iam
                .untag_user()
                .user_name(user)
                .set_tag_keys(Some(keys.clone()))
                .send()
                .await;
            result
                .map(drop)
                .map_err(|e| CloudError::from_sdk("UntagUser", format!("user `{user}`"), e))
        }
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
                    if err.is_code("ResourceNotFoundException") {
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
    // ours (a re-run after an interruption reads it first and plans no creation).
    call.send()
        .await
        .map(drop)
        .map_err(|e| CloudError::from_sdk("CreateUser", format!("user `{}`", user.name), e))
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
async fn create_access_key(aws: &Aws, user: &str, target: &SecretDef) -> Result<(), CloudError> {
    let created = aws
        .iam
        .create_access_key()
        .user_name(user)
        .send()
        .await
        .map_err(|e| CloudError::from_sdk("CreateAccessKey", format!("user `{user}`"), e))?;
    let key = created.access_key().ok_or_else(|| CloudError::Conflict {
        resource: format!("user `{user}`"),
        message: "CreateAccessKey returned no key".to_owned(),
    })?;
    let key_id = key.access_key_id().to_owned();
    let value = Secret::new(
        json!({"access_key_id": key_id, "secret_access_key": key.secret_access_key()}).to_string(),
    );
    drop(created);
    if let Err(err) = store_secret(aws, target, &key_id, &value).await {
        let _ = delete_access_key(aws, user, &key_id).await;
        return Err(err);
    }
    tracing::info!(secret = %target.name, access_key_id = %key_id, "stored a new access key");
    Ok(())
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
        // A secret that appeared since the plan read is an error: it may not be ours.
        return created
            .map(drop)
            .map_err(|e| CloudError::from_sdk("CreateSecret", resource, e));
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
