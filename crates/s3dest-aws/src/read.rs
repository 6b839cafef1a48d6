//! Reading AWS into the core's model, cheaply: one paginated IAM call for every role,
//! a fixed set of calls per bucket, one bounded call per folder, all at once.
//!
//! Calls per read (a no-op plan pays exactly this):
//! - IAM: `GetCallerIdentity`, then the identities as [`crate::read_iam`] chooses: for a
//!   spec of up to 20 roles and users, `ListRoles` + `ListUsers` under `/s3dest/` and 4
//!   calls per identity the spec names (1 for one that does not exist), 1 per other
//!   identity under `/s3dest/`; for a larger spec, `GetAccountSummary` and whichever is
//!   cheaper per kind, the above or one `GetAccountAuthorizationDetails` per page;
//! - per bucket: `GetBucketLocation` (only call for a missing bucket; none when the
//!   expected region answers) and `GetBucketPolicy`; `GetBucketEncryption` for a
//!   bucket a destination uses; `GetObjectLockConfiguration` where a destination needs
//!   it; `GetPublicAccessBlock` when its settings are asked for; the lock's
//!   `HeadObject` where the spec edits the policy;
//! - per folder: one `HeadObject` of its marker, + one `ListObjectsV2` (at most 2 keys)
//!   when prune may delete it.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use futures::future::try_join_all;
use tokio::sync::Semaphore;

use aws_sdk_iam::types::StatusType;
use aws_sdk_s3::types::ObjectLockEnabled;
use s3dest_core::model::{
    AccessKey, BucketEncryption, BucketInfo, BucketRead, FolderInfo, IdentityNames,
    META_DESTINATION, META_SPEC, ObjectLock, ObservedBucket, ObservedRole, ObservedSecret,
    ObservedUser, Owner, ReadRequest,
};
use s3dest_core::sid;
use s3dest_policy::PolicyDocument;

use crate::read_iam::tag_map;
use crate::{Aws, CloudError, IamSnapshot, lock};

pub(crate) async fn iam(aws: &Aws, names: &IdentityNames) -> Result<IamSnapshot, CloudError> {
    let (account_id, (roles, users)) = tokio::try_join!(account_id(aws), identities(aws, names))?;
    Ok(IamSnapshot {
        account_id,
        roles,
        users,
    })
}

/// Every role and user of the account with their policies (no access keys): what
/// `s3dest import` recognises vendor setups in.
pub(crate) async fn whole_account_iam(aws: &Aws) -> Result<IamSnapshot, CloudError> {
    let (account_id, (roles, users)) =
        tokio::try_join!(account_id(aws), crate::read_iam::whole_account(aws))?;
    Ok(IamSnapshot {
        account_id,
        roles,
        users,
    })
}

pub(crate) async fn account_id(aws: &Aws) -> Result<String, CloudError> {
    let out = aws
        .sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| CloudError::from_sdk("GetCallerIdentity", "the caller's identity", e))?;
    out.account()
        .map(str::to_owned)
        .ok_or_else(|| CloudError::Conflict {
            resource: "the caller's identity".to_owned(),
            message: "GetCallerIdentity returned no account id".to_owned(),
        })
}

/// The roles and users that concern the spec (see [`crate::read_iam`]); then, for the
/// spec's users only, their access keys and when each was last used.
async fn identities(
    aws: &Aws,
    names: &IdentityNames,
) -> Result<
    (
        BTreeMap<String, ObservedRole>,
        BTreeMap<String, ObservedUser>,
    ),
    CloudError,
> {
    let (roles, mut users) = crate::read_iam::identities(aws, names).await?;
    let key_reads = users.keys().map(|name| async move {
        Ok::<_, CloudError>((name.clone(), access_keys(aws, name).await?))
    });
    for (name, keys) in try_join_all(key_reads).await? {
        if let Some(user) = users.get_mut(&name) {
            user.access_keys = keys;
        }
    }
    Ok((roles, users))
}

/// A user's keys (`ListAccessKeys`) and each one's last use (`GetAccessKeyLastUsed`):
/// 1 + (at most 2) calls, and only for access-key destinations.
async fn access_keys(aws: &Aws, user: &str) -> Result<Vec<AccessKey>, CloudError> {
    let resource = format!("user `{user}`");
    let listed = aws
        .iam
        .list_access_keys()
        .user_name(user)
        .send()
        .await
        .map_err(|e| CloudError::from_sdk("ListAccessKeys", resource.clone(), e))?;
    let reads = listed.access_key_metadata().iter().map(|meta| {
        let resource = resource.clone();
        async move {
            let id = meta.access_key_id().unwrap_or_default().to_owned();
            let used = aws
                .iam
                .get_access_key_last_used()
                .access_key_id(&id)
                .send()
                .await
                .map_err(|e| CloudError::from_sdk("GetAccessKeyLastUsed", resource, e))?;
            let last_used = used
                .access_key_last_used()
                .and_then(|u| u.last_used_date())
                .map(timestamp);
            Ok::<_, CloudError>(AccessKey {
                active: meta.status() == Some(&StatusType::Active),
                created: meta.create_date().map(timestamp).unwrap_or_default(),
                last_used,
                id,
            })
        }
    });
    try_join_all(reads).await
}

pub(crate) fn timestamp(t: &aws_smithy_types::DateTime) -> jiff::Timestamp {
    jiff::Timestamp::from_second(t.secs()).unwrap_or_default()
}

/// The spec's access-key secrets (`s3dest/<spec>/…`), scheduled deletions included,
/// in one paginated `ListSecrets` that never reads a secret's value.
pub(crate) async fn secrets(
    aws: &Aws,
    spec: &str,
) -> Result<BTreeMap<String, ObservedSecret>, CloudError> {
    let prefix = format!("s3dest/{spec}/");
    let filter = aws_sdk_secretsmanager::types::Filter::builder()
        .key(aws_sdk_secretsmanager::types::FilterNameStringType::Name)
        .values(&prefix)
        .build();
    let mut pages = aws
        .secrets
        .list_secrets()
        .filters(filter)
        .include_planned_deletion(true)
        .into_paginator()
        .send();
    let mut secrets = BTreeMap::new();
    while let Some(page) = pages.next().await {
        let page = page
            .map_err(|e| CloudError::from_sdk("ListSecrets", format!("secrets `{prefix}*`"), e))?;
        for entry in page.secret_list() {
            let Some(name) = entry.name().filter(|n| n.starts_with(&prefix)) else {
                continue;
            };
            let secret = ObservedSecret {
                name: name.to_owned(),
                arn: entry.arn().unwrap_or_default().to_owned(),
                tags: tag_map(
                    entry
                        .tags()
                        .iter()
                        .filter_map(|t| Some((t.key()?, t.value()?))),
                ),
                pending_deletion: entry.deleted_date().is_some(),
                current_version: entry.secret_versions_to_stages().and_then(|versions| {
                    let current = versions
                        .iter()
                        .find(|(_, stages)| stages.iter().any(|s| s == "AWSCURRENT"));
                    current.map(|(version, _)| version.clone())
                }),
            };
            secrets.insert(secret.name.clone(), secret);
        }
    }
    Ok(secrets)
}

pub(crate) async fn buckets(
    aws: &Aws,
    request: &ReadRequest,
) -> Result<BTreeMap<String, ObservedBucket>, CloudError> {
    // One budget for all requests: a spec with one huge bucket is as fast as one with many.
    let limit = Semaphore::new(aws.read_config.concurrency.max(1));
    let reads =
        request.buckets.iter().map(|(name, read)| {
            let limit = &limit;
            let spec = request.spec.as_str();
            async move {
                Ok::<_, CloudError>((name.clone(), bucket(aws, limit, spec, name, read).await?))
            }
        });
    Ok(try_join_all(reads).await?.into_iter().collect())
}

/// Runs one request once a slot is free.
pub(crate) async fn limited<T>(limit: &Semaphore, call: impl Future<Output = T>) -> T {
    let _permit = limit
        .acquire()
        .await
        .expect("the semaphore is never closed");
    call.await
}

async fn bucket(
    aws: &Aws,
    limit: &Semaphore,
    spec: &str,
    name: &str,
    read: &BucketRead,
) -> Result<ObservedBucket, CloudError> {
    // Where the bucket should be, its policy is asked of that region at once: the answer
    // also says whether it exists. Only an answer from elsewhere (a redirect to the
    // bucket's real region) costs a `GetBucketLocation`.
    // (region, policy text) when the expected region answered.
    let mut early = None;
    let expected = read
        .expected_region
        .as_deref()
        .filter(|_| aws.known_region(name).is_none());
    if let Some(expected) = expected {
        match limited(limit, policy_text(&aws.s3(expected), name)).await {
            Ok(text) => {
                aws.remember_region(name, expected);
                early = Some((expected.to_owned(), text));
            }
            Err(err) if err.is_code("NoSuchBucket") => return Ok(ObservedBucket::Missing),
            Err(err) => tracing::debug!("{err}; asking for the bucket's region"),
        }
    }
    let (region, policy_read_early) = match early {
        Some((region, text)) => (region, Some(text)),
        None => match limited(limit, aws.bucket_location(name)).await? {
            Some(region) => (region, None),
            None => return Ok(ObservedBucket::Missing),
        },
    };
    let s3 = aws.s3(&region);
    let folders: BTreeSet<&String> = read.folders.iter().chain(&read.prune_folders).collect();
    let folder_reads = folders.into_iter().map(|folder| {
        let s3 = &s3;
        let prune = read.prune_folders.contains(folder);
        async move {
            Ok::<_, CloudError>((
                folder.clone(),
                self::folder(s3, limit, name, folder, prune).await?,
            ))
        }
    });
    // Vendors differ on encryption (SSE-KMS needs `kms:` grants, or is refused); what is
    // found also gives apply its upload headers, so it need not ask again.
    let encryption = async {
        if !read.encryption {
            return Ok(None);
        }
        let found = limited(limit, encryption(&s3, name)).await?;
        aws.remember_encryption(name, &found);
        Ok(Some(found))
    };
    let object_lock = async {
        match read.object_lock {
            true => limited(limit, object_lock(&s3, name)).await.map(Some),
            false => Ok(None),
        }
    };
    let settings = async {
        if !read.settings {
            return Ok(None);
        }
        limited(limit, public_access_blocked(&s3, name))
            .await
            .map(Some)
    };
    // The lock is looked for where the spec edits the policy: where it wants a
    // statement (known before), or where the policy holds one of its own (prune).
    let policy_and_lock = async {
        let text = match policy_read_early {
            Some(text) => text,
            None => limited(limit, policy_text(&s3, name)).await?,
        };
        let policy = parse_policy_text(name, text)?;
        let ours = |p: &PolicyDocument| {
            p.statements.iter().any(|s| {
                s.sid
                    .as_deref()
                    .is_some_and(|sid| sid::owned_destination(spec, sid).is_some())
            })
        };
        let lock = match read.lock || policy.as_ref().is_some_and(ours) {
            true => limited(limit, lock::observe(&s3, name)).await?,
            false => None,
        };
        Ok::<_, CloudError>((policy, lock))
    };
    let ((policy, lock), public_access_blocked, encryption, object_lock, folders) = tokio::try_join!(
        policy_and_lock,
        settings,
        encryption,
        object_lock,
        try_join_all(folder_reads)
    )?;
    Ok(ObservedBucket::Present(BucketInfo {
        region,
        policy,
        public_access_blocked,
        folders: folders.into_iter().collect(),
        lock,
        encryption,
        object_lock,
    }))
}

/// The bucket's default encryption (`GetBucketEncryption`): `None` without a
/// configuration, `Unknown` when the caller may not read it.
pub(crate) async fn encryption(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<BucketEncryption, CloudError> {
    match s3.get_bucket_encryption().bucket(bucket).send().await {
        Ok(out) => {
            let rule = out
                .server_side_encryption_configuration()
                .and_then(|c| c.rules().first())
                .and_then(|r| r.apply_server_side_encryption_by_default());
            Ok(match rule {
                Some(rule) => BucketEncryption::from_aws(
                    rule.sse_algorithm().as_str(),
                    rule.kms_master_key_id(),
                ),
                None => BucketEncryption::None,
            })
        }
        Err(e) => {
            let err = CloudError::from_sdk("GetBucketEncryption", format!("bucket `{bucket}`"), e);
            if err.is_code("ServerSideEncryptionConfigurationNotFoundError") {
                Ok(BucketEncryption::None)
            } else if err.status() == Some(403) {
                // Without `s3:GetEncryptionConfiguration`: not known, and never guessed.
                tracing::debug!("{err}; its default encryption is not known");
                Ok(BucketEncryption::Unknown)
            } else {
                Err(err)
            }
        }
    }
}

/// Whether the bucket has Object Lock (`GetObjectLockConfiguration`): `Disabled`
/// without a configuration, `Unknown` when the caller may not read it.
async fn object_lock(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<ObjectLock, CloudError> {
    match s3
        .get_object_lock_configuration()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(out) => {
            let enabled = out
                .object_lock_configuration()
                .and_then(|c| c.object_lock_enabled());
            Ok(match enabled {
                Some(ObjectLockEnabled::Enabled) => ObjectLock::Enabled,
                None => ObjectLock::Disabled,
                // A value this SDK does not know: not guessed.
                Some(_) => ObjectLock::Unknown,
            })
        }
        Err(e) => {
            let err = CloudError::from_sdk(
                "GetObjectLockConfiguration",
                format!("bucket `{bucket}`"),
                e,
            );
            if err.is_code("ObjectLockConfigurationNotFoundError") {
                Ok(ObjectLock::Disabled)
            } else if err.status() == Some(403) {
                // Without `s3:GetBucketObjectLockConfiguration`: not known, never guessed.
                tracing::debug!("{err}; whether it has Object Lock is not known");
                Ok(ObjectLock::Unknown)
            } else {
                Err(err)
            }
        }
    }
}

/// The bucket policy as text, `None` when the bucket has none.
pub(crate) async fn policy_text(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<Option<String>, CloudError> {
    match s3.get_bucket_policy().bucket(bucket).send().await {
        Ok(out) => Ok(out.policy().map(str::to_owned)),
        Err(e) => {
            let err = CloudError::from_sdk("GetBucketPolicy", format!("bucket `{bucket}`"), e);
            if err.is_code("NoSuchBucketPolicy") {
                Ok(None)
            } else {
                Err(err)
            }
        }
    }
}

fn parse_policy_text(
    bucket: &str,
    text: Option<String>,
) -> Result<Option<PolicyDocument>, CloudError> {
    let Some(text) = text else {
        return Ok(None);
    };
    PolicyDocument::parse_aws(&text)
        .map(Some)
        .map_err(|e| CloudError::Policy {
            operation: "GetBucketPolicy",
            resource: format!("bucket `{bucket}`"),
            reason: e.to_string(),
        })
}

async fn public_access_blocked(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<bool, CloudError> {
    match s3.get_public_access_block().bucket(bucket).send().await {
        Ok(out) => Ok(out.public_access_block_configuration().is_some_and(|c| {
            [
                c.block_public_acls(),
                c.ignore_public_acls(),
                c.block_public_policy(),
                c.restrict_public_buckets(),
            ]
            .iter()
            .all(|flag| *flag == Some(true))
        })),
        Err(e) => {
            let err = CloudError::from_sdk("GetPublicAccessBlock", format!("bucket `{bucket}`"), e);
            if err.is_code("NoSuchPublicAccessBlockConfiguration") {
                Ok(false)
            } else {
                Err(err)
            }
        }
    }
}

/// One `HeadObject` of the marker; for a folder prune may delete, also one listing of
/// at most two keys under it (the marker and one other are enough to know).
async fn folder(
    s3: &aws_sdk_s3::Client,
    limit: &Semaphore,
    bucket: &str,
    folder: &str,
    prune: bool,
) -> Result<FolderInfo, CloudError> {
    let marker_key = format!("{folder}/");
    let marker = async { limited(limit, marker_owner(s3, bucket, &marker_key)).await };
    let others = async {
        if !prune {
            return Ok(None);
        }
        let listing = limited(limit, list_folder(s3, bucket, &marker_key)).await?;
        Ok(Some(listing.iter().any(|o| o.key != marker_key)))
    };
    let (marker, has_other_objects) = tokio::try_join!(marker, others)?;
    Ok(FolderInfo {
        marker,
        has_other_objects,
    })
}

/// The owner named by a folder marker's metadata; `None` when there is no marker.
async fn marker_owner(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<Option<Owner>, CloudError> {
    let out = match s3.head_object().bucket(bucket).key(key).send().await {
        Ok(out) => out,
        Err(e) => {
            let err =
                CloudError::from_sdk("HeadObject", format!("object `s3://{bucket}/{key}`"), e);
            // HEAD answers carry no body: a missing key is a bare 404.
            return if err.status() == Some(404) || err.is_code("NotFound") {
                Ok(None)
            } else {
                Err(err)
            };
        }
    };
    let metadata = out.metadata();
    let get = |k: &str| metadata.and_then(|m| m.get(k)).cloned();
    Ok(Some(match get(META_SPEC) {
        Some(spec) => Owner::Spec {
            spec,
            destination: get(META_DESTINATION),
        },
        None => Owner::Unowned,
    }))
}

/// An object of a folder listing.
pub(crate) struct Listed {
    pub(crate) key: String,
    pub(crate) size: Option<i64>,
    pub(crate) etag: Option<String>,
}

/// Up to two keys under `prefix` with their sizes and ETags.
pub(crate) async fn list_folder(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
) -> Result<Vec<Listed>, CloudError> {
    let out = s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .max_keys(2)
        .send()
        .await
        .map_err(|e| {
            CloudError::from_sdk(
                "ListObjectsV2",
                format!("folder `s3://{bucket}/{prefix}`"),
                e,
            )
        })?;
    Ok(out
        .contents()
        .iter()
        .filter_map(|o| {
            Some(Listed {
                key: o.key()?.to_owned(),
                size: o.size(),
                etag: o.e_tag().map(str::to_owned),
            })
        })
        .collect())
}
