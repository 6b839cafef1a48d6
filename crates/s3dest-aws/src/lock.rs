//! A lock around a bucket-policy edit, so that two applies at once (two specs, or two
//! pipelines) cannot lose each other's statements: S3 has no conditional
//! `PutBucketPolicy`, so the read-modify-write is serialized by an object created with
//! `If-None-Match: *` in the same bucket, which only one writer can create.
//!
//! The lock holds a lease: an apply that died leaves it behind, and it is taken over
//! once the lease (written in its metadata) has run out. Taking over and releasing
//! delete with `If-Match` on the lock's ETag (its body is unique), so that nobody
//! deletes a lock another apply has just created.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_s3::primitives::ByteStream;
use tokio::time::Instant;

use s3dest_core::model::META_SPEC;

use crate::{ApplyConfig, CloudError};

/// The key of the lock object, at the top of the bucket whose policy is being edited.
/// It exists only while an apply edits that policy.
pub const LOCK_KEY: &str = ".s3dest-bucket-policy.lock";
/// Metadata key holding the lease's end, in seconds since the epoch.
const META_EXPIRES: &str = "s3dest-lock-expires";

pub(crate) struct BucketLock {
    s3: aws_sdk_s3::Client,
    bucket: String,
    etag: Option<String>,
}

/// Waits until this apply holds the lock of `bucket`, at most `config.lock_wait`.
pub(crate) async fn acquire(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    spec: &str,
    config: &ApplyConfig,
) -> Result<BucketLock, CloudError> {
    let resource = format!("lock `s3://{bucket}/{LOCK_KEY}`");
    let deadline = Instant::now() + config.lock_wait;
    let mut pause = Duration::from_millis(200);
    loop {
        // Locks taken and released (or taken over) over and over by others end here too.
        if Instant::now() > deadline {
            return Err(busy(bucket, None, config));
        }
        let expires = unix_now() + config.lock_lease.as_secs();
        let body = format!(
            r#"{{"spec":{},"holder":"{}","expires":{expires}}}"#,
            serde_json::Value::String(spec.to_owned()),
            holder_token()
        );
        let put = s3
            .put_object()
            .bucket(bucket)
            .key(LOCK_KEY)
            .if_none_match("*")
            .metadata(META_SPEC, spec)
            .metadata(META_EXPIRES, expires.to_string())
            .content_type("application/json")
            .body(ByteStream::from(body.into_bytes()))
            .send()
            .await;
        let err = match put {
            Ok(out) => {
                return Ok(BucketLock {
                    s3: s3.clone(),
                    bucket: bucket.to_owned(),
                    etag: out.e_tag().map(str::to_owned),
                });
            }
            Err(e) => CloudError::from_sdk("PutObject", resource.clone(), e),
        };
        // 412: someone holds it. 409: someone is creating it at this very moment.
        if !(err.status() == Some(412) || err.status() == Some(409)) {
            return Err(err);
        }
        let holder = match s3.head_object().bucket(bucket).key(LOCK_KEY).send().await {
            Ok(out) => out,
            Err(e) => {
                let err = CloudError::from_sdk("HeadObject", resource.clone(), e);
                if err.status() == Some(404) {
                    continue; // released in between: try again at once
                }
                return Err(err);
            }
        };
        let meta = |k: &str| holder.metadata().and_then(|m| m.get(k)).cloned();
        let held_until: Option<u64> = meta(META_EXPIRES).and_then(|v| v.parse().ok());
        if held_until.is_none_or(|t| t < unix_now()) {
            // Left behind by an apply that died: take it over, unless it changed meanwhile.
            let mut delete = s3.delete_object().bucket(bucket).key(LOCK_KEY);
            if let Some(etag) = holder.e_tag() {
                delete = delete.if_match(etag);
            }
            match delete.send().await {
                Ok(_) => {}
                Err(e) => {
                    let err = CloudError::from_sdk("DeleteObject", resource.clone(), e);
                    if !matches!(err.status(), Some(404 | 412)) {
                        return Err(err);
                    }
                }
            }
            continue;
        }
        if Instant::now() + pause > deadline {
            return Err(busy(bucket, meta(META_SPEC), config));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(2));
    }
}

fn busy(bucket: &str, holder: Option<String>, config: &ApplyConfig) -> CloudError {
    let by = holder
        .map(|s| format!(" by spec `{s}`"))
        .unwrap_or_default();
    CloudError::Conflict {
        resource: format!("bucket `{bucket}`"),
        message: format!(
            "its policy is being changed by another apply (lock object `{LOCK_KEY}` held{by}); \
             waited {:?}; try again later, or delete the object if no apply is running",
            config.lock_wait
        ),
    }
}

impl BucketLock {
    /// Deletes the lock if it is still ours. A failure is only logged: the lease frees
    /// the lock in time anyway, and the policy edit itself is already done or failed.
    pub(crate) async fn release(self) {
        let mut delete = self.s3.delete_object().bucket(&self.bucket).key(LOCK_KEY);
        if let Some(etag) = &self.etag {
            delete = delete.if_match(etag);
        }
        if let Err(e) = delete.send().await {
            let err = CloudError::from_sdk(
                "DeleteObject",
                format!("lock `s3://{}/{LOCK_KEY}`", self.bucket),
                e,
            );
            tracing::warn!("cannot release the bucket-policy lock: {err}");
        }
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Unique per lock attempt, so that two locks never share an ETag.
fn holder_token() -> String {
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "{}-{nanos}-{}",
        std::process::id(),
        SEQUENCE.fetch_add(1, Ordering::Relaxed)
    )
}
