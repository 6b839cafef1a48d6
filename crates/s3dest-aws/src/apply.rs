//! Applying a plan: phases in order, changes of a phase at once (bounded), the
//! operations of one change in order; bucket-policy edits grouped per bucket into one
//! locked read-modify-write; a narrow retry for IAM not yet knowing a new role.
//!
//! Phases come from [`Op::phase`], with one adjustment: an operation never runs after
//! an operation that follows it in its change. A change that replaces a role lists
//! `DeleteRole` before `CreateRole` of the same name; `DeleteRole` alone belongs to the
//! last phase, but here it runs with the `CreateRole` after it.
//!
//! Every operation is written to converge when run again after an interruption:
//! deleting what is already gone succeeds, a folder marker that exists is left alone,
//! a statement already in place is not written again.
//!
//! Calls per operation:
//! - `CreateBucket`: 3 (`CreateBucket`, `PutPublicAccessBlock`, `PutBucketEncryption`);
//! - `CreateRole`, `UpdateTrust`, `TagRole`, `UntagRole`, `PutRolePolicy`,
//!   `DeleteRolePolicy`: 1 each (plus retries of a new principal, see [`ApplyConfig`]);
//! - `DeleteRole`: 1 + one per inline policy and attached managed policy listed;
//! - bucket-policy edits, per bucket and phase whatever their number: `GetBucketPolicy`,
//!   `PutBucketPolicy` (or `DeleteBucketPolicy`), `GetBucketPolicy` to verify, and 2
//!   for the lock (`PutObject`, `DeleteObject`; more while another apply holds it);
//!   only the first read (and the lock) when the policy already holds the edits;
//!   plus, before the first phase, one `HeadObject` of the lock per such bucket (a
//!   stale lock stops the apply before it changes anything), unless breaking stale
//!   locks was asked for or the plan creates the bucket;
//! - `CreateFolder`: 1 `PutObject`; `DeleteFolder`: `ListObjectsV2` + `DeleteObject`;
//! - `GetBucketLocation` once per bucket whose region this `Aws` has not yet learned
//!   (a read before the apply teaches it every bucket's region).

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use futures::StreamExt;
use tokio::time::Instant;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, PublicAccessBlockConfiguration,
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
    ServerSideEncryptionRule,
};
use s3dest_core::model::{BucketEncryption, META_DESTINATION, META_SPEC, RoleDef, role_arn};
use s3dest_core::plan::{Op, Phase, Plan};
use s3dest_policy::{PolicyDocument, Statement};

use crate::aws::DEFAULT_REGION;
use crate::bucket_policy::{self, PolicyWrite};
use crate::objects::Deleted;
use crate::{
    ApplyConfig, ApplyEvent, ApplyReport, Aws, Cloud, CloudError, is_principal_propagation_error,
    lock,
};

/// The longest pause between two retries of a principal rejected by IAM.
const MAX_PROPAGATION_BACKOFF: Duration = Duration::from_secs(8);

pub(crate) async fn apply(
    aws: &Aws,
    plan: &Plan,
    events: &(dyn Fn(ApplyEvent<'_>) + Sync),
) -> Result<ApplyReport, CloudError> {
    if !plan.errors.is_empty() {
        return Err(CloudError::PlanHasErrors {
            count: plan.errors.len(),
        });
    }
    let calls_before = aws.calls();
    check_locks(aws, plan).await?;
    let run = Run {
        aws,
        plan,
        events,
        started: plan
            .changes
            .iter()
            .map(|_| AtomicBool::new(false))
            .collect(),
        created_roles: Mutex::new(BTreeSet::new()),
    };
    let schedule: Vec<Vec<Phase>> = plan.changes.iter().map(|c| c.op_phases()).collect();
    let phases: BTreeSet<Phase> = schedule.iter().flatten().copied().collect();
    let mut remaining: Vec<usize> = plan.changes.iter().map(|c| c.ops.len()).collect();
    let mut failed: BTreeMap<usize, CloudError> = BTreeMap::new();

    // A change without operations has nothing to wait for.
    for (i, change) in plan
        .changes
        .iter()
        .enumerate()
        .filter(|(_, c)| c.ops.is_empty())
    {
        run.start(i);
        events(ApplyEvent::Done(change));
    }
    for phase in phases {
        // Collected first: a stream over a closure trips the compiler's `Send` check.
        let mut tasks = Vec::new();
        for unit in units_of_phase(plan, &schedule, phase) {
            tasks.push(run.unit(unit));
        }
        let mut results =
            futures::stream::iter(tasks).buffer_unordered(aws.apply_config.concurrency.max(1));
        while let Some((changes, ops, result)) = results.next().await {
            for (&i, &n) in changes.iter().zip(&ops) {
                match &result {
                    Ok(()) => {
                        remaining[i] -= n;
                        if remaining[i] == 0 && !failed.contains_key(&i) {
                            events(ApplyEvent::Done(&plan.changes[i]));
                        }
                    }
                    Err(e) => {
                        if let std::collections::btree_map::Entry::Vacant(slot) = failed.entry(i) {
                            events(ApplyEvent::Failed(&plan.changes[i], e));
                            slot.insert(e.clone());
                        }
                    }
                }
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
        aws.calls() - calls_before,
    ))
}

/// Refuses to start when a bucket whose policy the plan edits holds a stale lock that
/// may not be broken (see [`lock::check_not_stale`]): better than stopping halfway.
async fn check_locks(aws: &Aws, plan: &Plan) -> Result<(), CloudError> {
    let config = &aws.apply_config;
    if !config.lock_bucket_policies || config.break_stale_lock {
        return Ok(());
    }
    let ops = || plan.changes.iter().flat_map(|c| &c.ops);
    let created: BTreeSet<&str> = ops()
        .filter_map(|op| match op {
            Op::CreateBucket { bucket, .. } => Some(bucket.as_str()),
            _ => None,
        })
        .collect();
    let edited: BTreeSet<&str> = ops()
        .filter_map(|op| match op {
            Op::PutStatement { bucket, .. } | Op::DeleteStatement { bucket, .. } => {
                Some(bucket.as_str())
            }
            _ => None,
        })
        .filter(|bucket| !created.contains(bucket))
        .collect();
    let checks = edited.into_iter().map(|bucket| async move {
        let s3 = aws.s3_for_bucket(bucket).await?;
        lock::check_not_stale(&s3, bucket, config).await
    });
    futures::future::try_join_all(checks).await?;
    Ok(())
}

/// Work that runs as one task within a phase.
enum Unit<'p> {
    /// Operations of one change, in order.
    Ops { change: usize, ops: Vec<&'p Op> },
    /// All statement edits of the phase for one bucket, as one read-modify-write.
    BucketPolicy {
        bucket: &'p str,
        changes: Vec<usize>,
        /// Per entry of `changes`: its puts and deletes (for the count of operations).
        ops: Vec<usize>,
        puts: Vec<&'p Statement>,
        deletes: Vec<&'p str>,
    },
}

fn units_of_phase<'p>(plan: &'p Plan, schedule: &[Vec<Phase>], phase: Phase) -> Vec<Unit<'p>> {
    let mut units = Vec::new();
    let mut policies: BTreeMap<&str, Unit<'p>> = BTreeMap::new();
    for (i, change) in plan.changes.iter().enumerate() {
        let mut ops = Vec::new();
        for (op, _) in change
            .ops
            .iter()
            .zip(&schedule[i])
            .filter(|(_, p)| **p == phase)
        {
            let (bucket, put, delete) = match op {
                Op::PutStatement { bucket, statement } => (bucket, Some(statement), None),
                Op::DeleteStatement { bucket, sid } => (bucket, None, Some(sid.as_str())),
                _ => {
                    ops.push(op);
                    continue;
                }
            };
            let unit = policies
                .entry(bucket)
                .or_insert_with(|| Unit::BucketPolicy {
                    bucket,
                    changes: Vec::new(),
                    ops: Vec::new(),
                    puts: Vec::new(),
                    deletes: Vec::new(),
                });
            let Unit::BucketPolicy {
                changes,
                ops: counts,
                puts,
                deletes,
                ..
            } = unit
            else {
                unreachable!()
            };
            match changes.iter().position(|c| *c == i) {
                Some(at) => counts[at] += 1,
                None => {
                    changes.push(i);
                    counts.push(1);
                }
            }
            puts.extend(put);
            deletes.extend(delete);
        }
        if !ops.is_empty() {
            units.push(Unit::Ops { change: i, ops });
        }
    }
    units.extend(policies.into_values());
    units
}

struct Run<'a> {
    aws: &'a Aws,
    plan: &'a Plan,
    events: &'a (dyn Fn(ApplyEvent<'_>) + Sync),
    started: Vec<AtomicBool>,
    /// ARNs of the roles this apply created: the only principals whose rejection by
    /// IAM is retried.
    created_roles: Mutex<BTreeSet<String>>,
}

impl<'a> Run<'a> {
    fn start(&self, change: usize) {
        if !self.started[change].swap(true, Ordering::Relaxed) {
            (self.events)(ApplyEvent::Started(&self.plan.changes[change]));
        }
    }

    /// Runs a unit; returns the changes it served, how many of their operations it ran
    /// (when it succeeded), and the outcome.
    async fn unit(&self, unit: Unit<'a>) -> (Vec<usize>, Vec<usize>, Result<(), CloudError>) {
        match unit {
            Unit::Ops { change, ops } => {
                self.start(change);
                let n = ops.len();
                let mut result = Ok(());
                for op in ops {
                    result = self.op(op).await;
                    if result.is_err() {
                        break;
                    }
                }
                (vec![change], vec![n], result)
            }
            Unit::BucketPolicy {
                bucket,
                changes,
                ops,
                puts,
                deletes,
            } => {
                for &change in &changes {
                    self.start(change);
                }
                let result = self.bucket_policy(bucket, &puts, &deletes).await;
                (changes, ops, result)
            }
        }
    }

    async fn op(&self, op: &Op) -> Result<(), CloudError> {
        tracing::debug!(?op, "apply");
        match op {
            Op::CreateBucket { bucket, region } => self.create_bucket(bucket, region).await,
            Op::CreateRole { role } => self.create_role(role).await,
            Op::DeleteRole {
                name,
                inline_policies,
                managed_policies,
            } => {
                for policy in inline_policies {
                    self.delete_role_policy(name, policy).await?;
                }
                for arn in managed_policies {
                    let result = self
                        .aws
                        .iam
                        .detach_role_policy()
                        .role_name(name)
                        .policy_arn(arn)
                        .send()
                        .await;
                    ignore_missing(result.map_err(|e| {
                        CloudError::from_sdk(
                            "DetachRolePolicy",
                            format!("policy `{arn}` on role `{name}`"),
                            e,
                        )
                    }))?;
                }
                let result = self.aws.iam.delete_role().role_name(name).send().await;
                ignore_missing(
                    result.map_err(|e| {
                        CloudError::from_sdk("DeleteRole", format!("role `{name}`"), e)
                    }),
                )
            }
            Op::UpdateTrust { role, trust } => {
                let text = trust.to_json();
                self.retry_new_principals(document_principals(trust), || async {
                    let result = self
                        .aws
                        .iam
                        .update_assume_role_policy()
                        .role_name(role)
                        .policy_document(&text)
                        .send()
                        .await;
                    result.map(drop).map_err(|e| {
                        CloudError::from_sdk("UpdateAssumeRolePolicy", format!("role `{role}`"), e)
                    })
                })
                .await
            }
            Op::TagRole { role, tags } => {
                let tags = tags.iter().map(|(k, v)| iam_tag(k, v)).collect();
                let result = self
                    .aws
                    .iam
                    .tag_role()
                    .role_name(role)
                    .set_tags(Some(tags))
                    .send()
                    .await;
                result
                    .map(drop)
                    .map_err(|e| CloudError::from_sdk("TagRole", format!("role `{role}`"), e))
            }
            Op::UntagRole { role, keys } => {
                let result = self
                    .aws
                    .iam
                    .untag_role()
                    .role_name(role)
                    .set_tag_keys(Some(keys.clone()))
                    .send()
                    .await;
                result
                    .map(drop)
                    .map_err(|e| CloudError::from_sdk("UntagRole", format!("role `{role}`"), e))
            }
            Op::PutRolePolicy { role, name, policy } => {
                let result = self
                    .aws
                    .iam
                    .put_role_policy()
                    .role_name(role)
                    .policy_name(name)
                    .policy_document(policy.to_json())
                    .send()
                    .await;
                result.map(drop).map_err(|e| {
                    CloudError::from_sdk(
                        "PutRolePolicy",
                        format!("inline policy `{name}` of role `{role}`"),
                        e,
                    )
                })
            }
            Op::DeleteRolePolicy { role, name } => self.delete_role_policy(role, name).await,
            Op::PutStatement { bucket, statement } => {
                self.bucket_policy(bucket, &[statement], &[]).await
            }
            Op::DeleteStatement { bucket, sid } => self.bucket_policy(bucket, &[], &[sid]).await,
            Op::CreateFolder {
                bucket,
                key,
                spec,
                destination,
            } => self.create_folder(bucket, key, spec, destination).await,
            Op::DeleteFolder { bucket, key } => self.delete_folder(bucket, key).await,
            user_key_or_secret => crate::access_keys::apply(self.aws, user_key_or_secret)
                .await
                .expect("every other operation is a user, key or secret one"),
        }
    }

    async fn create_bucket(&self, bucket: &str, region: &str) -> Result<(), CloudError> {
        let s3 = self.aws.s3(region);
        let resource = format!("bucket `{bucket}`");
        let mut create = s3.create_bucket().bucket(bucket);
        if region != DEFAULT_REGION {
            let location = BucketLocationConstraint::from(region);
            create = create.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(location)
                    .build(),
            );
        }
        match create.send().await {
            Ok(_) => {}
            Err(e) => {
                let err = CloudError::from_sdk("CreateBucket", resource.clone(), e);
                // Ours already, from an apply that was interrupted: go on with its settings.
                if !err.is_code("BucketAlreadyOwnedByYou") {
                    return Err(err);
                }
            }
        }
        self.aws.remember_region(bucket, region);
        let block = PublicAccessBlockConfiguration::builder()
            .block_public_acls(true)
            .ignore_public_acls(true)
            .block_public_policy(true)
            .restrict_public_buckets(true)
            .build();
        s3.put_public_access_block()
            .bucket(bucket)
            .public_access_block_configuration(block)
            .send()
            .await
            .map_err(|e| CloudError::from_sdk("PutPublicAccessBlock", resource.clone(), e))?;
        let sse_s3 = ServerSideEncryptionByDefault::builder()
            .sse_algorithm(ServerSideEncryption::Aes256)
            .build()
            .expect("the algorithm is set");
        let rule = ServerSideEncryptionRule::builder()
            .apply_server_side_encryption_by_default(sse_s3)
            .build();
        let encryption = ServerSideEncryptionConfiguration::builder()
            .rules(rule)
            .build()
            .expect("the rules are set");
        s3.put_bucket_encryption()
            .bucket(bucket)
            .server_side_encryption_configuration(encryption)
            .send()
            .await
            .map_err(|e| CloudError::from_sdk("PutBucketEncryption", resource, e))?;
        self.aws
            .remember_encryption(bucket, &BucketEncryption::SseS3);
        Ok(())
    }

    async fn create_role(&self, role: &RoleDef) -> Result<(), CloudError> {
        let trust = role.trust.to_json();
        let tags: Vec<_> = role.tags.iter().map(|(k, v)| iam_tag(k, v)).collect();
        let out = self
            .retry_new_principals(document_principals(&role.trust), || async {
                let result = self
                    .aws
                    .iam
                    .create_role()
                    .role_name(&role.name)
                    .path(&role.path)
                    .assume_role_policy_document(&trust)
                    .set_tags(Some(tags.clone()))
                    .send()
                    .await;
                result
                    .map(|out| out.role().map(|r| r.arn().to_owned()))
                    .map_err(|e| {
                        CloudError::from_sdk("CreateRole", format!("role `{}`", role.name), e)
                    })
            })
            .await;
        let arn = match out {
            Ok(arn) => arn,
            // A retry of a create whose reply was lost: the role is there, and it is the
            // one this apply made (same path, tags and trust). Anything else is an error.
            Err(err) if err.is_code("EntityAlreadyExists") && self.made_by_us(role).await? => None,
            Err(err) => return Err(err),
        };
        let mut created = self
            .created_roles
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        created.insert(role_arn(&self.plan.account_id, &role.path, &role.name));
        created.extend(arn);
        Ok(())
    }

    /// Whether the role of this name is exactly the one `CreateRole` would have made.
    async fn made_by_us(&self, want: &RoleDef) -> Result<bool, CloudError> {
        let resource = format!("role `{}`", want.name);
        let out = self
            .aws
            .iam
            .get_role()
            .role_name(&want.name)
            .send()
            .await
            .map_err(|e| CloudError::from_sdk("GetRole", resource.clone(), e))?;
        let Some(have) = out.role() else {
            return Ok(false);
        };
        let same_tags = has_tags(have.tags(), &want.tags);
        let same_trust = have
            .assume_role_policy_document()
            .and_then(|text| PolicyDocument::parse_aws(text).ok())
            .is_some_and(|trust| trust.equivalent(&want.trust));
        Ok(same_tags && same_trust && have.path() == want.path)
    }

    async fn delete_role_policy(&self, role: &str, name: &str) -> Result<(), CloudError> {
        let result = self
            .aws
            .iam
            .delete_role_policy()
            .role_name(role)
            .policy_name(name)
            .send()
            .await;
        ignore_missing(result.map_err(|e| {
            CloudError::from_sdk(
                "DeleteRolePolicy",
                format!("inline policy `{name}` of role `{role}`"),
                e,
            )
        }))
    }

    /// The marker is written only if no object has its key (`If-None-Match: *`): an
    /// existing marker, whoever made it, is never overwritten.
    async fn create_folder(
        &self,
        bucket: &str,
        key: &str,
        spec: &str,
        destination: &str,
    ) -> Result<(), CloudError> {
        let s3 = self.aws.s3_for_bucket(bucket).await?;
        let encryption = self.aws.default_encryption(&s3, bucket).await?;
        let put = s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .if_none_match("*")
            .metadata(META_SPEC, spec)
            .metadata(META_DESTINATION, destination)
            .body(ByteStream::from_static(b""));
        let result = crate::objects::with_encryption_header(&encryption, put)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) => {
                let err = CloudError::from_sdk(
                    "PutObject",
                    format!("folder marker `s3://{bucket}/{key}`"),
                    e,
                );
                if err.status() == Some(412) || err.is_code("PreconditionFailed") {
                    Ok(())
                } else {
                    Err(err)
                }
            }
        }
    }

    /// Deletes a folder marker only if it is still there and still alone in its folder,
    /// checked right before (the plan may be old), and only if the marker is the one
    /// seen then (`If-Match`). A marker is an empty object: its size says so, not its
    /// ETag (which is no MD5 in an SSE-KMS bucket).
    async fn delete_folder(&self, bucket: &str, key: &str) -> Result<(), CloudError> {
        let s3 = self.aws.s3_for_bucket(bucket).await?;
        let listing = crate::read::list_folder(&s3, bucket, key).await?;
        if listing.iter().any(|o| o.key != key) {
            return Err(CloudError::Conflict {
                resource: format!("folder `s3://{bucket}/{key}`"),
                message: "the folder is not empty; its marker is kept".to_owned(),
            });
        }
        let Some(marker) = listing.into_iter().find(|o| o.key == key) else {
            return Ok(()); // already gone
        };
        // If someone wrote content to `FOLDER/` since, it is no longer a marker, and not
        // s3dest's to delete.
        if marker.size.is_some_and(|size| size > 0) {
            return Err(CloudError::Conflict {
                resource: format!("folder marker `s3://{bucket}/{key}`"),
                message: "it is no longer an empty marker object; it is kept".to_owned(),
            });
        }
        let warn = |message: &str| (self.events)(ApplyEvent::Warning(message));
        let deleted = self
            .aws
            .delete_if_unchanged(
                &s3,
                bucket,
                key,
                marker.etag.as_deref(),
                "folder marker",
                &warn,
            )
            .await?;
        match deleted {
            Deleted::Yes => Ok(()),
            Deleted::Changed => Err(CloudError::Conflict {
                resource: format!("folder marker `s3://{bucket}/{key}`"),
                message: "it was rewritten while being deleted; it is kept".to_owned(),
            }),
        }
    }

    /// One read-modify-write of a bucket's policy for all its statement edits, under the
    /// bucket's lock, then a read back to check that the edits are there.
    async fn bucket_policy(
        &self,
        bucket: &str,
        puts: &[&Statement],
        deletes: &[&str],
    ) -> Result<(), CloudError> {
        let s3 = self.aws.s3_for_bucket(bucket).await?;
        let config = &self.aws.apply_config;
        let warn = |message: &str| (self.events)(ApplyEvent::Warning(message));
        let lock = match config.lock_bucket_policies {
            true => {
                Some(lock::acquire(self.aws, &s3, bucket, &self.plan.spec, config, &warn).await?)
            }
            false => None,
        };
        let result = self.edit_bucket_policy(&s3, bucket, puts, deletes).await;
        if let Some(lock) = lock {
            lock.release(self.aws, &warn).await;
        }
        result
    }

    async fn edit_bucket_policy(
        &self,
        s3: &aws_sdk_s3::Client,
        bucket: &str,
        puts: &[&Statement],
        deletes: &[&str],
    ) -> Result<(), CloudError> {
        let resource = format!("bucket `{bucket}`");
        let principals = puts.iter().flat_map(|s| statement_principals(s)).collect();
        let written = self
            .retry_new_principals(principals, || async {
                let current = crate::read::policy_text(s3, bucket).await?;
                let write =
                    bucket_policy::merge(current.as_deref(), puts, deletes).map_err(|message| {
                        CloudError::Conflict {
                            resource: resource.clone(),
                            message,
                        }
                    })?;
                // AWS refuses the whole policy, and no retry changes that: say why at once.
                if let PolicyWrite::Put(text) = &write
                    && let Some((which, id)) = bucket_policy::unique_id_principal(text)
                {
                    return Err(CloudError::Conflict {
                        resource: resource.clone(),
                        message: format!(
                            "{which} of its policy names `{id}`, the unique id AWS puts in place of a deleted \
                             role or user; AWS refuses any bucket policy containing one. Remove that principal \
                             (it grants nothing any more) or the statement by hand, then run apply again"
                        ),
                    });
                }
                match &write {
                    PolicyWrite::Unchanged => {}
                    PolicyWrite::Put(text) => {
                        s3.put_bucket_policy()
                            .bucket(bucket)
                            .policy(text)
                            .send()
                            .await
                            .map_err(|e| {
                                CloudError::from_sdk("PutBucketPolicy", resource.clone(), e)
                            })?;
                    }
                    PolicyWrite::Delete => {
                        s3.delete_bucket_policy()
                            .bucket(bucket)
                            .send()
                            .await
                            .map_err(|e| {
                                CloudError::from_sdk("DeleteBucketPolicy", resource.clone(), e)
                            })?;
                    }
                }
                Ok(write != PolicyWrite::Unchanged)
            })
            .await?;
        if written {
            let back = crate::read::policy_text(s3, bucket).await?;
            bucket_policy::verify(back.as_deref(), puts, deletes)
                .map_err(|message| CloudError::Conflict { resource, message })?;
        }
        Ok(())
    }

    /// Runs `call`, retrying while AWS rejects a principal that is a role this apply
    /// created (see [`retry_new_principals`]).
    async fn retry_new_principals<T, F, Fut>(
        &self,
        principals: Vec<String>,
        call: F,
    ) -> Result<T, CloudError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, CloudError>>,
    {
        let names_new_role = || {
            let created = self
                .created_roles
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            principals.iter().any(|p| created.contains(p))
        };
        retry_new_principals(&self.aws.apply_config, names_new_role, call).await
    }
}

/// Runs `call`, and runs it again while AWS rejects a principal and `names_new_role`
/// (asked at each failure: roles are created concurrently) says the document names a
/// role this apply created, until `propagation_timeout`: IAM takes a few seconds to
/// accept a new role as a principal. Any other error, or a rejected principal that is
/// not new, is returned at once.
async fn retry_new_principals<T, F, Fut>(
    config: &ApplyConfig,
    names_new_role: impl Fn() -> bool,
    mut call: F,
) -> Result<T, CloudError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, CloudError>>,
{
    let deadline = Instant::now() + config.propagation_timeout;
    let mut pause = config.propagation_backoff;
    loop {
        let err = match call().await {
            Ok(value) => return Ok(value),
            Err(err) => err,
        };
        if !is_principal_propagation_error(&err)
            || !names_new_role()
            || Instant::now() + pause > deadline
        {
            return Err(err);
        }
        tracing::info!(
            "{err}; a role created by this apply is not usable yet, retrying in {pause:?}"
        );
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_PROPAGATION_BACKOFF);
    }
}

fn document_principals(doc: &PolicyDocument) -> Vec<String> {
    doc.statements
        .iter()
        .flat_map(statement_principals)
        .collect()
}

/// The `AWS` principals a statement names (its `NotPrincipal` too).
fn statement_principals(statement: &Statement) -> Vec<String> {
    statement.aws_principals().map(str::to_owned).collect()
}

/// Whether IAM's `have` tags include every one of `want` (others may have been added).
pub(crate) fn has_tags(have: &[aws_sdk_iam::types::Tag], want: &BTreeMap<String, String>) -> bool {
    let have: BTreeMap<&str, &str> = have.iter().map(|t| (t.key(), t.value())).collect();
    want.iter()
        .all(|(k, v)| have.get(k.as_str()) == Some(&v.as_str()))
}

pub(crate) fn iam_tag(key: &str, value: &str) -> aws_sdk_iam::types::Tag {
    aws_sdk_iam::types::Tag::builder()
        .key(key)
        .value(value)
        .build()
        .expect("key and value are set")
}

/// Deleting what is already gone succeeds: an interrupted apply, run again, converges.
pub(crate) fn ignore_missing<T>(result: Result<T, CloudError>) -> Result<(), CloudError> {
    match result {
        Ok(_) => Ok(()),
        Err(e) if e.is_code("NoSuchEntity") => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statement_principals_are_the_aws_ones() {
        let s = Statement::allow()
            .with_principal_aws(["arn:aws:iam::111122223333:role/s3dest/a", "444455556666"])
            .with_principal_service(["s3.amazonaws.com"])
            .with_actions(["s3:PutObject"]);
        assert_eq!(
            statement_principals(&s),
            ["arn:aws:iam::111122223333:role/s3dest/a", "444455556666"]
        );
        assert!(statement_principals(&Statement::allow().with_principal_any()).is_empty());
    }

    fn invalid_principal() -> CloudError {
        CloudError::Aws {
            operation: "PutBucketPolicy",
            resource: "bucket `b`".to_owned(),
            code: Some("MalformedPolicy".to_owned()),
            status: Some(400),
            message: "Invalid principal in policy".to_owned(),
        }
    }

    fn quick() -> ApplyConfig {
        ApplyConfig {
            propagation_timeout: Duration::from_millis(500),
            propagation_backoff: Duration::from_millis(5),
            ..ApplyConfig::default()
        }
    }

    /// Fails with `err` `failures` times, then succeeds; counts the calls.
    async fn flaky(
        config: &ApplyConfig,
        names_new_role: bool,
        failures: usize,
        err: CloudError,
    ) -> (Result<(), CloudError>, usize) {
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let result = retry_new_principals(
            config,
            || names_new_role,
            || async {
                let n = calls.fetch_add(1, Ordering::Relaxed);
                if n < failures {
                    Err(err.clone())
                } else {
                    Ok(())
                }
            },
        )
        .await;
        (result, calls.into_inner())
    }

    #[tokio::test]
    async fn a_new_role_rejected_as_principal_is_retried() {
        let (result, calls) = flaky(&quick(), true, 3, invalid_principal()).await;
        assert!(result.is_ok());
        assert_eq!(calls, 4);
    }

    #[tokio::test]
    async fn a_principal_that_is_not_new_is_not_retried() {
        let (result, calls) = flaky(&quick(), false, 3, invalid_principal()).await;
        assert!(is_principal_propagation_error(&result.unwrap_err()));
        assert_eq!(calls, 1);
    }

    #[tokio::test]
    async fn other_errors_are_not_retried() {
        let mut malformed = invalid_principal();
        if let CloudError::Aws { message, .. } = &mut malformed {
            *message = "Policy has invalid resource".to_owned();
        }
        let (result, calls) = flaky(&quick(), true, 3, malformed).await;
        assert!(result.is_err());
        assert_eq!(calls, 1);
    }

    #[tokio::test]
    async fn retries_stop_at_the_deadline() {
        let config = ApplyConfig {
            propagation_timeout: Duration::from_millis(60),
            ..quick()
        };
        let started = Instant::now();
        let (result, calls) = flaky(&config, true, usize::MAX, invalid_principal()).await;
        assert!(result.is_err());
        assert!(calls > 1);
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}
