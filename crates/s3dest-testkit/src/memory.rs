//! [`MemoryCloud`]: one AWS account in memory behind the `Cloud` trait.
//!
//! IAM and Secrets Manager are an `Observed` holding every role, user and secret of
//! the account, whoever owns them, to which [`crate::simulate::apply_op`] applies the
//! operations once the checks AWS (and the AWS edge) would make have passed. S3 is
//! kept as AWS keeps it: buckets of objects with metadata, and each bucket policy as
//! the text that was written, so that statements s3dest does not own come back
//! exactly as they were put.
//!
//! What it leaves out: concurrency (one apply at a time, so no bucket-policy lock is
//! taken or reported), IAM's propagation delay, and faults.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde_json::Value;

use s3dest_aws::{ApplyEvent, ApplyReport, Cloud, CloudError, IamSnapshot};
use s3dest_core::model::{
    BucketEncryption, BucketInfo, FolderInfo, IAM_PATH, IdentityNames, META_DESTINATION, META_SPEC,
    ObjectLock, Observed, ObservedBucket, ObservedRole, ObservedSecret, ObservedUser, Owner,
    ReadRequest, RoleDef, TAG_SPEC,
};
use s3dest_core::plan::{Op, Phase, Plan};
use s3dest_core::presets::fixed_role_names;
use s3dest_policy::{PolicyDocument, Statement};

use crate::conformance::ACCOUNT;
use crate::simulate;

/// An in-memory AWS account (moto's account id by default) behind `Cloud`.
///
/// Set the scene with [`MemoryCloud::create_bucket`], [`MemoryCloud::put_bucket_policy`],
/// [`MemoryCloud::set_bucket_encryption`], [`MemoryCloud::set_object_lock`],
/// [`MemoryCloud::create_role`] and [`MemoryCloud::put_object`] (or through its
/// [`crate::Scene`] implementation); then read and apply as with `Aws`.
pub struct MemoryCloud {
    world: Mutex<World>,
    calls: AtomicU64,
}

#[derive(Debug, Default)]
struct World {
    /// Every role, user and secret of the account (`buckets` unused: see below).
    iam: Observed,
    buckets: BTreeMap<String, Bucket>,
    /// Secret values by secret name: what a read must never return.
    secret_values: BTreeMap<String, String>,
    /// Access keys made so far, for unique ids and values.
    keys_made: u64,
}

#[derive(Debug)]
struct Bucket {
    region: String,
    public_access_blocked: bool,
    /// The policy text as last written.
    policy: Option<String>,
    objects: BTreeMap<String, Object>,
    /// What `GetBucketEncryption` answers (`Unknown`: as if it were denied).
    encryption: BucketEncryption,
    object_lock: ObjectLock,
}

impl Default for Bucket {
    /// A new bucket as AWS makes it: SSE-S3 (every bucket since January 2023), no
    /// Object Lock.
    fn default() -> Self {
        Bucket {
            region: String::new(),
            public_access_blocked: false,
            policy: None,
            objects: BTreeMap::new(),
            encryption: BucketEncryption::SseS3,
            object_lock: ObjectLock::Disabled,
        }
    }
}

#[derive(Debug, Default)]
struct Object {
    body: Vec<u8>,
    metadata: BTreeMap<String, String>,
}

impl Default for MemoryCloud {
    fn default() -> Self {
        MemoryCloud::new()
    }
}

impl MemoryCloud {
    /// An empty account with moto's account id.
    pub fn new() -> MemoryCloud {
        MemoryCloud::with_account(ACCOUNT)
    }

    pub fn with_account(account_id: &str) -> MemoryCloud {
        let iam = Observed {
            account_id: account_id.to_owned(),
            ..Observed::default()
        };
        MemoryCloud {
            world: Mutex::new(World {
                iam,
                ..World::default()
            }),
            calls: AtomicU64::new(0),
        }
    }

    fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn count(&self, requests: usize) {
        self.calls.fetch_add(requests as u64, Ordering::Relaxed);
    }

    /// A bucket made outside s3dest (no public-access block, no policy).
    pub fn create_bucket(&self, name: &str, region: &str) {
        self.world().buckets.insert(
            name.to_owned(),
            Bucket {
                region: region.to_owned(),
                ..Bucket::default()
            },
        );
    }

    /// Sets what the bucket's `GetBucketEncryption` answers; `Unknown` answers as if the
    /// caller may not read it.
    ///
    /// # Panics
    /// When the bucket does not exist.
    pub fn set_bucket_encryption(&self, bucket: &str, encryption: BucketEncryption) {
        let mut world = self.world();
        let bucket = world.buckets.get_mut(bucket).expect("no such bucket");
        bucket.encryption = encryption;
    }

    /// Sets what the bucket's `GetObjectLockConfiguration` answers; `Unknown` answers
    /// as if the caller may not read it.
    ///
    /// # Panics
    /// When the bucket does not exist.
    pub fn set_object_lock(&self, bucket: &str, object_lock: ObjectLock) {
        let mut world = self.world();
        let bucket = world.buckets.get_mut(bucket).expect("no such bucket");
        bucket.object_lock = object_lock;
    }

    /// Replaces a bucket's policy with this text, as another tool would.
    ///
    /// # Panics
    /// When the bucket does not exist or the text is not a JSON object.
    pub fn put_bucket_policy(&self, bucket: &str, policy: &str) {
        let parsed: Value = serde_json::from_str(policy).expect("a bucket policy is JSON");
        assert!(parsed.is_object(), "a bucket policy is a JSON object");
        let mut world = self.world();
        let bucket = world.buckets.get_mut(bucket).expect("no such bucket");
        bucket.policy = Some(policy.to_owned());
    }

    /// The bucket's policy text as stored, `None` without one.
    pub fn bucket_policy(&self, bucket: &str) -> Option<String> {
        self.world().buckets.get(bucket)?.policy.clone()
    }

    /// A role made outside s3dest, trusting another account.
    ///
    /// # Panics
    /// When a role of that name exists.
    pub fn create_role(&self, name: &str, path: &str, tags: &[(&str, &str)]) {
        let mut world = self.world();
        let account = world.iam.account_id.clone();
        let trust = PolicyDocument::new(vec![
            Statement::allow()
                .with_principal_aws(["arn:aws:iam::111122223333:root"])
                .with_actions(["sts:AssumeRole"]),
        ]);
        let role = ObservedRole {
            name: name.to_owned(),
            path: path.to_owned(),
            arn: s3dest_core::model::role_arn(&account, path, name),
            trust,
            tags: tags
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            inline_policies: BTreeMap::new(),
            managed_policy_arns: Vec::new(),
        };
        let old = world.iam.roles.insert(name.to_owned(), role);
        assert!(old.is_none(), "role {name} exists");
    }

    /// An object put by someone else (an export, a file by hand).
    ///
    /// # Panics
    /// When the bucket does not exist.
    pub fn put_object(&self, bucket: &str, key: &str, body: &[u8], metadata: &[(&str, &str)]) {
        let mut world = self.world();
        let bucket = world.buckets.get_mut(bucket).expect("no such bucket");
        let object = Object {
            body: body.to_vec(),
            metadata: metadata
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        bucket.objects.insert(key.to_owned(), object);
    }

    pub fn object_exists(&self, bucket: &str, key: &str) -> bool {
        self.world()
            .buckets
            .get(bucket)
            .is_some_and(|b| b.objects.contains_key(key))
    }

    /// The ids of a user's access keys, as IAM holds them.
    pub fn access_key_ids(&self, user: &str) -> Vec<String> {
        let world = self.world();
        let Some(user) = world.iam.users.get(user) else {
            return Vec::new();
        };
        user.access_keys.iter().map(|k| k.id.clone()).collect()
    }

    /// A secret's current value: what s3dest stores and never reads.
    pub fn secret_value(&self, name: &str) -> Option<String> {
        self.world().secret_values.get(name).cloned()
    }
}

/// The same rule as the AWS edge's IAM read: named by the spec, or tagged for it where
/// s3dest puts roles (a tag alone is not enough).
fn keep_role(names: &IdentityNames, role: &ObservedRole) -> bool {
    let where_ours = role.path.starts_with(IAM_PATH) || fixed_role_names().any(|n| n == role.name);
    (where_ours && role.tags.get(TAG_SPEC) == Some(&names.spec)) || names.roles.contains(&role.name)
}

fn keep_user(names: &IdentityNames, user: &ObservedUser) -> bool {
    (user.path.starts_with(IAM_PATH) && user.tags.get(TAG_SPEC) == Some(&names.spec))
        || names.users.contains(&user.name)
}

fn aws_error(
    operation: &'static str,
    resource: String,
    code: &str,
    status: u16,
    message: &str,
) -> CloudError {
    CloudError::Aws {
        operation,
        resource,
        code: Some(code.to_owned()),
        status: Some(status),
        message: message.to_owned(),
    }
}

fn no_such_role(operation: &'static str, role: &str) -> CloudError {
    let message = format!("The role with name {role} cannot be found.");
    aws_error(
        operation,
        format!("role `{role}`"),
        "NoSuchEntity",
        404,
        &message,
    )
}

fn no_such_user(operation: &'static str, user: &str) -> CloudError {
    let message = format!("The user with name {user} cannot be found.");
    aws_error(
        operation,
        format!("user `{user}`"),
        "NoSuchEntity",
        404,
        &message,
    )
}

fn no_such_bucket(operation: &'static str, bucket: &str) -> CloudError {
    aws_error(
        operation,
        format!("bucket `{bucket}`"),
        "NoSuchBucket",
        404,
        "The specified bucket does not exist",
    )
}

/// What to do with an operation once checked.
enum Verdict {
    /// Hand it to `simulate`.
    Simulate,
    /// Already true (a retry, a delete of what is gone): nothing to do.
    Done,
}

impl World {
    /// Checks an IAM or Secrets Manager operation as AWS and the edge would.
    fn check(&self, op: &Op) -> Result<Verdict, CloudError> {
        let iam = &self.iam;
        let role = |op: &'static str, name: &str| {
            iam.roles
                .get(name)
                .map(|_| Verdict::Simulate)
                .ok_or_else(|| no_such_role(op, name))
        };
        let user = |op: &'static str, name: &str| {
            iam.users
                .get(name)
                .map(|_| Verdict::Simulate)
                .ok_or_else(|| no_such_user(op, name))
        };
        match op {
            Op::CreateRole { role } => match iam.roles.get(&role.name) {
                None => Ok(Verdict::Simulate),
                // The retry of a create whose reply was lost finds the role it made.
                Some(have) if made_by(have, role) => Ok(Verdict::Done),
                Some(_) => Err(aws_error(
                    "CreateRole",
                    format!("role `{}`", role.name),
                    "EntityAlreadyExists",
                    409,
                    &format!("Role with name {} already exists.", role.name),
                )),
            },
            Op::DeleteRole {
                name,
                inline_policies,
                managed_policies,
            } => match iam.roles.get(name) {
                None => Ok(Verdict::Done),
                Some(have) => {
                    let left_inline = have
                        .inline_policies
                        .keys()
                        .any(|p| !inline_policies.contains(p));
                    let left_managed = have
                        .managed_policy_arns
                        .iter()
                        .any(|p| !managed_policies.contains(p));
                    if left_inline || left_managed {
                        return Err(aws_error(
                            "DeleteRole",
                            format!("role `{name}`"),
                            "DeleteConflict",
                            409,
                            "Cannot delete entity, must delete policies first.",
                        ));
                    }
                    Ok(Verdict::Simulate)
                }
            },
            Op::UpdateTrust { role: name, .. } => role("UpdateAssumeRolePolicy", name),
            Op::TagRole { role: name, .. } => role("TagRole", name),
            Op::UntagRole { role: name, .. } => role("UntagRole", name),
            Op::PutRolePolicy { role: name, .. } => role("PutRolePolicy", name),
            Op::DeleteRolePolicy { role: name, .. } => match iam.roles.contains_key(name) {
                true => Ok(Verdict::Simulate),
                false => Ok(Verdict::Done),
            },
            Op::CreateUser { user: want } => match iam.users.get(&want.name) {
                None => Ok(Verdict::Simulate),
                Some(have)
                    if have.path == want.path
                        && want.tags.iter().all(|(k, v)| have.tags.get(k) == Some(v)) =>
                {
                    Ok(Verdict::Done)
                }
                Some(_) => Err(aws_error(
                    "CreateUser",
                    format!("user `{}`", want.name),
                    "EntityAlreadyExists",
                    409,
                    &format!("User with name {} already exists.", want.name),
                )),
            },
            Op::DeleteUser {
                name,
                inline_policies,
                managed_policies,
                access_keys,
            } => match iam.users.get(name) {
                None => Ok(Verdict::Done),
                Some(have) => {
                    let left = have
                        .inline_policies
                        .keys()
                        .any(|p| !inline_policies.contains(p))
                        || have
                            .managed_policy_arns
                            .iter()
                            .any(|p| !managed_policies.contains(p))
                        || have
                            .access_keys
                            .iter()
                            .any(|k| !access_keys.contains(&k.id));
                    if left {
                        return Err(aws_error(
                            "DeleteUser",
                            format!("user `{name}`"),
                            "DeleteConflict",
                            409,
                            "Cannot delete entity, must delete policies and keys first.",
                        ));
                    }
                    Ok(Verdict::Simulate)
                }
            },
            Op::TagUser { user: name, .. } => user("TagUser", name),
            Op::UntagUser { user: name, .. } => user("UntagUser", name),
            Op::PutUserPolicy { user: name, .. } => user("PutUserPolicy", name),
            Op::DeleteUserPolicy { user: name, .. } => match iam.users.contains_key(name) {
                true => Ok(Verdict::Simulate),
                false => Ok(Verdict::Done),
            },
            Op::CreateAccessKey { user: name, .. } => {
                let have = iam
                    .users
                    .get(name)
                    .ok_or_else(|| no_such_user("CreateAccessKey", name))?;
                if have.access_keys.len() >= 2 {
                    return Err(aws_error(
                        "CreateAccessKey",
                        format!("user `{name}`"),
                        "LimitExceeded",
                        409,
                        "Cannot exceed quota for AccessKeysPerUser: 2",
                    ));
                }
                Ok(Verdict::Simulate)
            }
            Op::SetAccessKeyStatus {
                user: name, key_id, ..
            } => {
                let have = iam
                    .users
                    .get(name)
                    .ok_or_else(|| no_such_user("UpdateAccessKey", name))?;
                match have.access_keys.iter().any(|k| &k.id == key_id) {
                    true => Ok(Verdict::Simulate),
                    false => Err(aws_error(
                        "UpdateAccessKey",
                        format!("access key `{key_id}`"),
                        "NoSuchEntity",
                        404,
                        "The Access Key with id cannot be found",
                    )),
                }
            }
            Op::DeleteAccessKey { user: name, .. } => match iam.users.contains_key(name) {
                true => Ok(Verdict::Simulate),
                false => Ok(Verdict::Done),
            },
            Op::DeleteSecret { name, .. } => match iam.secrets.get(name) {
                Some(secret) if !secret.pending_deletion => Ok(Verdict::Simulate),
                _ => Ok(Verdict::Done),
            },
            Op::TagSecret { name, .. } => match iam.secrets.contains_key(name) {
                true => Ok(Verdict::Simulate),
                false => Err(aws_error(
                    "TagResource",
                    format!("secret `{name}`"),
                    "ResourceNotFoundException",
                    400,
                    "Secrets Manager can't find the specified secret.",
                )),
            },
            Op::CreateBucket { .. }
            | Op::PutStatement { .. }
            | Op::DeleteStatement { .. }
            | Op::CreateFolder { .. }
            | Op::DeleteFolder { .. } => unreachable!("S3 operations are not simulated"),
        }
    }

    fn op(&mut self, op: &Op) -> Result<(), CloudError> {
        match op {
            Op::CreateBucket { bucket, region } => {
                let entry = self
                    .buckets
                    .entry(bucket.clone())
                    .or_insert_with(|| Bucket {
                        region: region.clone(),
                        ..Bucket::default()
                    });
                // `BucketAlreadyOwnedByYou` is success; the settings are put again.
                entry.public_access_blocked = true;
                entry.encryption = BucketEncryption::SseS3;
                Ok(())
            }
            Op::PutStatement { bucket, statement } => {
                self.edit_policy(bucket, Some(statement), None)
            }
            Op::DeleteStatement { bucket, sid } => self.edit_policy(bucket, None, Some(sid)),
            Op::CreateFolder {
                bucket,
                key,
                spec,
                destination,
            } => {
                let b = self
                    .buckets
                    .get_mut(bucket)
                    .ok_or_else(|| no_such_bucket("PutObject", bucket))?;
                // `If-None-Match: *`: a marker that exists is left as it is.
                b.objects.entry(key.clone()).or_insert_with(|| Object {
                    body: Vec::new(),
                    metadata: BTreeMap::from([
                        (META_SPEC.to_owned(), spec.clone()),
                        (META_DESTINATION.to_owned(), destination.clone()),
                    ]),
                });
                Ok(())
            }
            Op::DeleteFolder { bucket, key } => {
                let b = self
                    .buckets
                    .get_mut(bucket)
                    .ok_or_else(|| no_such_bucket("ListObjectsV2", bucket))?;
                let others = b
                    .objects
                    .keys()
                    .any(|k| k.starts_with(key.as_str()) && k != key);
                if others {
                    return Err(CloudError::Conflict {
                        resource: format!("folder `s3://{bucket}/{key}`"),
                        message: "the folder is not empty; its marker is kept".to_owned(),
                    });
                }
                match b.objects.get(key) {
                    None => Ok(()),
                    Some(marker) if !marker.body.is_empty() => Err(CloudError::Conflict {
                        resource: format!("folder marker `s3://{bucket}/{key}`"),
                        message: "it is no longer an empty marker object; it is kept".to_owned(),
                    }),
                    Some(_) => {
                        b.objects.remove(key);
                        Ok(())
                    }
                }
            }
            iam_op => {
                if let Verdict::Done = self.check(iam_op)? {
                    return Ok(());
                }
                // Keys are dated now: the planner's clock is the read's.
                self.iam.read_at = jiff::Timestamp::now();
                simulate::apply_op(iam_op, &mut self.iam);
                if let Op::CreateAccessKey { user, secret } = iam_op {
                    self.keys_made += 1;
                    let key = self.iam.users[user]
                        .access_keys
                        .last()
                        .expect("simulate made a key");
                    let value = serde_json::json!({
                        "access_key_id": key.id,
                        "secret_access_key": format!("memory/secret/{:08}", self.keys_made),
                    });
                    self.secret_values
                        .insert(secret.name.clone(), value.to_string());
                }
                Ok(())
            }
        }
    }

    /// Puts or deletes one statement by Sid in the policy text, keeping every other
    /// statement, and the document's other keys, as they were.
    fn edit_policy(
        &mut self,
        bucket: &str,
        put: Option<&Statement>,
        delete: Option<&str>,
    ) -> Result<(), CloudError> {
        let b = self
            .buckets
            .get_mut(bucket)
            .ok_or_else(|| no_such_bucket("GetBucketPolicy", bucket))?;
        let mut doc = match &b.policy {
            Some(text) => serde_json::from_str::<Value>(text).map_err(|e| CloudError::Policy {
                operation: "GetBucketPolicy",
                resource: format!("bucket `{bucket}`"),
                reason: e.to_string(),
            })?,
            None => serde_json::json!({"Version": PolicyDocument::VERSION, "Statement": []}),
        };
        let statements = match doc.get_mut("Statement") {
            Some(Value::Array(list)) => std::mem::take(list),
            Some(one @ Value::Object(_)) => vec![one.take()],
            _ => Vec::new(),
        };
        let sid_of = |s: &Value| s.get("Sid").and_then(Value::as_str).map(str::to_owned);
        let target = put
            .and_then(|s| s.sid.clone())
            .or(delete.map(str::to_owned));
        let mut kept: Vec<Value> = Vec::with_capacity(statements.len() + 1);
        let mut placed = false;
        for statement in statements.iter() {
            if sid_of(statement).is_some() && sid_of(statement) == target {
                if let (Some(put), false) = (put, placed) {
                    kept.push(put.to_value());
                    placed = true;
                }
            } else {
                kept.push(statement.clone());
            }
        }
        if let (Some(put), false) = (put, placed) {
            kept.push(put.to_value());
        }
        if kept == statements {
            return Ok(());
        }
        if kept.is_empty() {
            b.policy = None;
            return Ok(());
        }
        doc["Statement"] = Value::Array(kept);
        b.policy = Some(doc.to_string());
        Ok(())
    }

    /// One bucket as the edge reads it (no lock: one apply at a time in memory).
    fn read_bucket(
        &self,
        name: &str,
        read: &s3dest_core::model::BucketRead,
    ) -> Result<(ObservedBucket, usize), CloudError> {
        let Some(bucket) = self.buckets.get(name) else {
            return Ok((ObservedBucket::Missing, 1));
        };
        let policy = match &bucket.policy {
            Some(text) => {
                Some(
                    PolicyDocument::parse_aws(text).map_err(|e| CloudError::Policy {
                        operation: "GetBucketPolicy",
                        resource: format!("bucket `{name}`"),
                        reason: e.to_string(),
                    })?,
                )
            }
            None => None,
        };
        let mut calls = 2;
        let folders: BTreeSet<&String> = read.folders.iter().chain(&read.prune_folders).collect();
        let folders = folders
            .into_iter()
            .map(|folder| {
                let key = format!("{folder}/");
                let marker = bucket
                    .objects
                    .get(&key)
                    .map(|o| match o.metadata.get(META_SPEC) {
                        Some(spec) => Owner::Spec {
                            spec: spec.clone(),
                            destination: o.metadata.get(META_DESTINATION).cloned(),
                        },
                        None => Owner::Unowned,
                    });
                calls += 1;
                let has_other_objects = read.prune_folders.contains(folder).then(|| {
                    calls += 1;
                    bucket
                        .objects
                        .keys()
                        .any(|k| k.starts_with(&key) && *k != key)
                });
                (
                    folder.clone(),
                    FolderInfo {
                        marker,
                        has_other_objects,
                    },
                )
            })
            .collect();
        let public_access_blocked = read.settings.then(|| {
            calls += 1;
            bucket.public_access_blocked
        });
        let encryption = read.encryption.then(|| {
            calls += 1;
            bucket.encryption.clone()
        });
        let object_lock = read.object_lock.then(|| {
            calls += 1;
            bucket.object_lock
        });
        let info = BucketInfo {
            region: bucket.region.clone(),
            policy,
            public_access_blocked,
            folders,
            lock: None,
            encryption,
            object_lock,
        };
        Ok((ObservedBucket::Present(info), calls))
    }
}

/// Whether an existing role is the one this create made (same path, its tags, its
/// trust), as the AWS edge decides after `EntityAlreadyExists`.
fn made_by(have: &ObservedRole, want: &RoleDef) -> bool {
    have.path == want.path
        && want.tags.iter().all(|(k, v)| have.tags.get(k) == Some(v))
        && have.trust.equivalent(&want.trust)
}

impl Cloud for MemoryCloud {
    async fn caller_account(&self) -> Result<String, CloudError> {
        Ok(self.world().iam.account_id.clone())
    }

    async fn read_iam(&self, names: &IdentityNames) -> Result<IamSnapshot, CloudError> {
        let world = self.world();
        let roles: BTreeMap<String, ObservedRole> = world
            .iam
            .roles
            .values()
            .filter(|r| keep_role(names, r))
            .map(|r| (r.name.clone(), r.clone()))
            .collect();
        let users: BTreeMap<String, ObservedUser> = world
            .iam
            .users
            .values()
            .filter(|u| keep_user(names, u))
            .map(|u| (u.name.clone(), u.clone()))
            .collect();
        // GetCallerIdentity, ListRoles, ListUsers, then each identity kept.
        self.count(3 + roles.len() + users.len());
        Ok(IamSnapshot {
            account_id: world.iam.account_id.clone(),
            roles,
            users,
        })
    }

    async fn read_secrets(
        &self,
        spec: &str,
    ) -> Result<BTreeMap<String, ObservedSecret>, CloudError> {
        let prefix = format!("s3dest/{spec}/");
        let world = self.world();
        self.count(1);
        Ok(world
            .iam
            .secrets
            .range(prefix.clone()..)
            .take_while(|(name, _)| name.starts_with(&prefix))
            .map(|(name, secret)| (name.clone(), secret.clone()))
            .collect())
    }

    async fn read_buckets(
        &self,
        request: &ReadRequest,
    ) -> Result<BTreeMap<String, ObservedBucket>, CloudError> {
        let world = self.world();
        let mut out = BTreeMap::new();
        for (name, read) in &request.buckets {
            let (bucket, calls) = world.read_bucket(name, read)?;
            self.count(calls);
            out.insert(name.clone(), bucket);
        }
        Ok(out)
    }

    async fn apply(
        &self,
        plan: &Plan,
        events: &(dyn Fn(ApplyEvent<'_>) + Sync),
    ) -> Result<ApplyReport, CloudError> {
        if !plan.errors.is_empty() {
            return Err(CloudError::PlanHasErrors {
                count: plan.errors.len(),
            });
        }
        let calls_before = self.calls();
        let schedule: Vec<Vec<Phase>> = plan.changes.iter().map(|c| c.op_phases()).collect();
        let phases: BTreeSet<Phase> = schedule.iter().flatten().copied().collect();
        let mut started = vec![false; plan.changes.len()];
        let mut remaining: Vec<usize> = plan.changes.iter().map(|c| c.ops.len()).collect();
        let mut failed: BTreeMap<usize, CloudError> = BTreeMap::new();
        for (i, change) in plan.changes.iter().enumerate() {
            if change.ops.is_empty() {
                started[i] = true;
                events(ApplyEvent::Started(change));
                events(ApplyEvent::Done(change));
            }
        }
        for phase in phases {
            for (i, change) in plan.changes.iter().enumerate() {
                let ops: Vec<&Op> = change
                    .ops
                    .iter()
                    .zip(&schedule[i])
                    .filter(|(_, p)| **p == phase)
                    .map(|(op, _)| op)
                    .collect();
                if ops.is_empty() {
                    continue;
                }
                if !std::mem::replace(&mut started[i], true) {
                    events(ApplyEvent::Started(change));
                }
                for op in ops {
                    self.count(1);
                    // The lock is held for one operation only: events run without it.
                    let result = self.world().op(op);
                    match result {
                        Ok(()) => remaining[i] -= 1,
                        Err(e) => {
                            events(ApplyEvent::Failed(change, &e));
                            failed.insert(i, e);
                            break;
                        }
                    }
                }
                if remaining[i] == 0 && !failed.contains_key(&i) {
                    events(ApplyEvent::Done(change));
                }
            }
            if !failed.is_empty() {
                break;
            }
        }
        Ok(ApplyReport::tally(
            plan,
            failed,
            &remaining,
            self.calls() - calls_before,
        ))
    }

    fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }
}
