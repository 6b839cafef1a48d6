//! A lock around a bucket-policy edit, so that two applies at once (two specs, or two
//! pipelines) cannot lose each other's statements: S3 has no conditional
//! `PutBucketPolicy`, so the read-modify-write is serialized by an object created with
//! `If-None-Match: *` in the same bucket, which only one writer can create.
//!
//! The lock holds a lease, and says who took it (spec, `user@host pid N`, when) in its
//! metadata. A live lock is waited for (at most `lock_wait`) and never broken. A lock
//! whose lease ran out was left by an apply that died: it is reported with its owner
//! and age, and taken over only when asked to (`break_stale_lock`, the CLI's
//! `--break-lock`). Taking over and releasing delete with `If-Match` on the lock's
//! ETag (its body is unique), so that nobody deletes a lock another apply has just
//! created.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_s3::operation::head_object::HeadObjectOutput;
use aws_sdk_s3::primitives::ByteStream;
use tokio::time::Instant;

use s3dest_core::model::META_SPEC;

use crate::{ApplyConfig, CloudError};

/// The key of the lock object, at the top of the bucket whose policy is being edited.
/// It exists only while an apply edits that policy (or after an apply died doing so).
pub const LOCK_KEY: &str = ".s3dest-bucket-policy.lock";
/// Metadata key holding the lease's end, in seconds since the epoch.
const META_EXPIRES: &str = "s3dest-lock-expires";
/// Metadata key holding when the lock was taken, in seconds since the epoch.
const META_CREATED: &str = "s3dest-lock-created";
/// Metadata key holding who took the lock: `user@host pid N`.
const META_OWNER: &str = "s3dest-lock-owner";

pub(crate) struct BucketLock {
    s3: aws_sdk_s3::Client,
    bucket: String,
    etag: Option<String>,
}

/// Who holds a lock, as its metadata says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Holder {
    spec: Option<String>,
    owner: Option<String>,
    /// When it was taken (its `LastModified` when the metadata does not say).
    created: Option<u64>,
    expires: Option<u64>,
}

impl Holder {
    fn from_head(out: &HeadObjectOutput) -> Holder {
        let meta = |k: &str| out.metadata().and_then(|m| m.get(k)).cloned();
        let number = |k: &str| meta(k).and_then(|v| v.parse::<u64>().ok());
        let modified = out
            .last_modified()
            .and_then(|t| u64::try_from(t.secs()).ok());
        Holder {
            spec: meta(META_SPEC),
            owner: meta(META_OWNER),
            created: number(META_CREATED).or(modified),
            expires: number(META_EXPIRES),
        }
    }

    /// A lock without a readable lease is not ours to trust: it counts as expired. So
    /// does one taken by a process of this host that is gone (an apply that was killed),
    /// without waiting for its lease.
    fn is_expired(&self, now: u64) -> bool {
        self.expires.is_none_or(|t| t < now) || self.owner.as_deref().is_some_and(owner_is_gone)
    }

    /// ``spec `acme`, taken by alice@build-7 pid 4242 at 2025-01-02T03:04:05Z``.
    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(spec) = &self.spec {
            parts.push(format!("spec `{spec}`"));
        }
        let by = self.owner.as_deref().unwrap_or("an unknown owner");
        match self.created {
            Some(t) => parts.push(format!("taken by {by} at {}", utc(t))),
            None => parts.push(format!("taken by {by}")),
        }
        parts.join(", ")
    }
}

/// Waits until this apply holds the lock of `bucket`, at most `config.lock_wait`.
///
/// A lock whose lease ran out is an error ([`CloudError::StaleLock`]) unless
/// `config.break_stale_lock`; then it is taken over and `on_break` is told, with a
/// message naming its holder.
pub(crate) async fn acquire(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    spec: &str,
    config: &ApplyConfig,
    on_break: &(dyn Fn(&str) + Sync),
) -> Result<BucketLock, CloudError> {
    let resource = format!("lock `s3://{bucket}/{LOCK_KEY}`");
    let waited_from = Instant::now();
    let deadline = waited_from + config.lock_wait;
    let owner = owner();
    let mut pause = Duration::from_millis(200);
    let mut last_holder = None;
    loop {
        let created = unix_now();
        let expires = created + config.lock_lease.as_secs();
        let body = serde_json::json!({
            "spec": spec,
            "owner": owner,
            "created": utc(created),
            "expires": utc(expires),
            "token": token(),
        });
        let put = s3
            .put_object()
            .bucket(bucket)
            .key(LOCK_KEY)
            .if_none_match("*")
            .metadata(META_SPEC, spec)
            .metadata(META_OWNER, &owner)
            .metadata(META_CREATED, created.to_string())
            .metadata(META_EXPIRES, expires.to_string())
            .content_type("application/json")
            .body(ByteStream::from(body.to_string().into_bytes()))
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
        // Locks taken and released (or taken over) over and over by others end here too.
        let out_of_time = || Instant::now() > deadline;
        let Some((holder, etag)) = head(s3, bucket).await? else {
            if out_of_time() {
                return Err(busy(bucket, last_holder.as_ref(), waited_from.elapsed()));
            }
            continue; // released in between: try again at once
        };
        if holder.is_expired(unix_now()) {
            if !config.break_stale_lock {
                return Err(stale(bucket, &holder));
            }
            // Left behind by an apply that died: take it over, unless it changed meanwhile.
            let mut delete = s3.delete_object().bucket(bucket).key(LOCK_KEY);
            if let Some(etag) = &etag {
                delete = delete.if_match(etag);
            }
            match delete.send().await {
                Ok(_) => {
                    let message = format!(
                        "broke the stale bucket-policy lock of bucket `{bucket}` ({}{})",
                        holder.describe(),
                        age_text(&holder, unix_now())
                    );
                    tracing::debug!("{message}");
                    on_break(&message);
                }
                Err(e) => {
                    let err = CloudError::from_sdk("DeleteObject", resource.clone(), e);
                    if !matches!(err.status(), Some(404 | 412)) {
                        return Err(err);
                    }
                }
            }
            if out_of_time() {
                return Err(busy(bucket, last_holder.as_ref(), waited_from.elapsed()));
            }
            continue;
        }
        tracing::debug!(
            "bucket `{bucket}`: waiting for the policy lock ({})",
            holder.describe()
        );
        last_holder = Some(holder);
        // One last try after the last pause, then give up.
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(busy(bucket, last_holder.as_ref(), waited_from.elapsed()));
        }
        tokio::time::sleep(pause.min(left)).await;
        pause = (pause * 2).min(Duration::from_secs(2));
    }
}

/// Fails when `bucket` holds a lock whose lease ran out and `config` does not allow
/// breaking it. Run before an apply changes anything, so that such a lock stops the
/// apply before its first change rather than halfway. One `HeadObject`.
pub(crate) async fn check_not_stale(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    config: &ApplyConfig,
) -> Result<(), CloudError> {
    if !config.lock_bucket_policies || config.break_stale_lock {
        return Ok(());
    }
    match head(s3, bucket).await? {
        Some((holder, _)) if holder.is_expired(unix_now()) => Err(stale(bucket, &holder)),
        _ => Ok(()),
    }
}

/// The lock's holder and ETag, `None` when there is no lock.
async fn head(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<Option<(Holder, Option<String>)>, CloudError> {
    match s3.head_object().bucket(bucket).key(LOCK_KEY).send().await {
        Ok(out) => Ok(Some((
            Holder::from_head(&out),
            out.e_tag().map(str::to_owned),
        ))),
        Err(e) => {
            let err =
                CloudError::from_sdk("HeadObject", format!("lock `s3://{bucket}/{LOCK_KEY}`"), e);
            if err.status() == Some(404) {
                Ok(None)
            } else {
                Err(err)
            }
        }
    }
}

fn stale(bucket: &str, holder: &Holder) -> CloudError {
    let now = unix_now();
    CloudError::StaleLock {
        bucket: bucket.to_owned(),
        holder: holder.describe(),
        age: holder
            .created
            .map(|t| Duration::from_secs(now.saturating_sub(t))),
        expired: holder
            .expires
            .map(|t| Duration::from_secs(now.saturating_sub(t))),
    }
}

fn busy(bucket: &str, holder: Option<&Holder>, waited: Duration) -> CloudError {
    let now = unix_now();
    let (by, expiry) = match holder {
        Some(h) => (
            format!(" ({}{})", h.describe(), age_text(h, now)),
            h.expires
                .map(|t| format!(", and its lease runs out at {}", utc(t)))
                .unwrap_or_default(),
        ),
        None => (String::new(), String::new()),
    };
    CloudError::Conflict {
        resource: format!("bucket `{bucket}`"),
        message: format!(
            "its policy is being changed by another apply: lock `{LOCK_KEY}` is held{by}; \
             waited {}{expiry}. Try again when that apply is done",
            human(waited)
        ),
    }
}

fn age_text(holder: &Holder, now: u64) -> String {
    holder
        .created
        .map(|t| {
            format!(
                ", {} ago",
                human(Duration::from_secs(now.saturating_sub(t)))
            )
        })
        .unwrap_or_default()
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

/// `user@host pid N`: who takes a lock, for whoever finds it in the way. Printable
/// ASCII only (it travels in an HTTP header).
fn owner() -> String {
    let env = |names: &[&str]| {
        names
            .iter()
            .filter_map(|n| std::env::var(n).ok())
            .map(|v| v.trim().to_owned())
            .find(|v| !v.is_empty())
    };
    let user = env(&["USER", "LOGNAME", "USERNAME"]).unwrap_or_else(|| "unknown".to_owned());
    let host = env(&["HOSTNAME", "COMPUTERNAME"])
        .or_else(|| {
            ["/proc/sys/kernel/hostname", "/etc/hostname"]
                .iter()
                .filter_map(|p| std::fs::read_to_string(p).ok())
                .map(|v| v.trim().to_owned())
                .find(|v| !v.is_empty())
        })
        .unwrap_or_else(|| "unknown-host".to_owned());
    // The PID namespace too: containers can share a host name, and a pid means
    // something only within its namespace (see `owner_is_gone`).
    let namespace = std::fs::read_link("/proc/self/ns/pid")
        .map(|ns| format!(" {}", ns.display()))
        .unwrap_or_default();
    let text = format!("{user}@{host}{namespace} pid {}", std::process::id());
    text.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .take(200)
        .collect()
}

/// Whether `owner` (as [`owner`] writes it) names a process of this host and PID
/// namespace that no longer runs. Only Linux's `/proc` is asked; anywhere else, or when
/// unsure, the answer is no.
fn owner_is_gone(owner: &str) -> bool {
    let Some((user_host, pid)) = owner.rsplit_once(" pid ") else {
        return false;
    };
    let this = self::owner();
    let this_host = this.rsplit_once(" pid ").map(|(uh, _)| uh);
    let proc = std::path::Path::new("/proc");
    Some(user_host) == this_host
        && pid.parse::<u32>().is_ok_and(|p| p != std::process::id())
        && proc.join("self").exists()
        && !proc.join(pid).exists()
}

/// Unique per lock attempt, so that two locks never share an ETag.
fn token() -> String {
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

/// Seconds since the epoch as `2025-01-02T03:04:05Z`.
fn utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}

/// A duration for people: `42s`, `3m 12s`, `2h 5m`, `3d 4h`.
pub(crate) fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3_600 => format!("{}m {}s", s / 60, s % 60),
        3_600..86_400 => format!("{}h {}m", s / 3_600, s % 3_600 / 60),
        _ => format!("{}d {}h", s / 86_400, s % 86_400 / 3_600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc_iso_8601() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc(1_735_787_045), "2025-01-02T03:04:05Z");
        assert_eq!(utc(4_102_444_799), "2099-12-31T23:59:59Z");
    }

    #[test]
    fn durations_are_for_people() {
        let h = |s| human(Duration::from_secs(s));
        assert_eq!(h(42), "42s");
        assert_eq!(h(192), "3m 12s");
        assert_eq!(h(7_500), "2h 5m");
        assert_eq!(h(273_600), "3d 4h");
    }

    #[test]
    fn a_lock_of_a_dead_process_of_this_host_is_stale_at_once() {
        let me = owner();
        let (user_host, _) = me.rsplit_once(" pid ").unwrap();
        assert!(!owner_is_gone(&me), "this process runs");
        assert!(
            owner_is_gone(&format!("{user_host} pid 4294967")),
            "no such pid"
        );
        assert!(
            !owner_is_gone("someone@elsewhere pid 4294967"),
            "another host: cannot tell"
        );
        assert!(!owner_is_gone("garbage"));
        let holder = Holder {
            owner: Some(format!("{user_host} pid 4294967")),
            expires: Some(u64::MAX),
            ..Holder::default()
        };
        assert!(holder.is_expired(0));
    }

    #[test]
    fn the_owner_names_user_host_and_pid() {
        let owner = owner();
        let (user_host, pid) = owner.split_once(" pid ").unwrap();
        assert!(user_host.contains('@'), "{owner}");
        assert_eq!(pid, std::process::id().to_string());
        assert!(owner.chars().all(|c| c.is_ascii_graphic() || c == ' '));
    }

    #[test]
    fn a_holder_is_described_with_spec_owner_and_time() {
        let holder = Holder {
            spec: Some("acme".to_owned()),
            owner: Some("alice@build-7 pid 4242".to_owned()),
            created: Some(1_735_787_045),
            expires: Some(1_735_787_165),
        };
        assert_eq!(
            holder.describe(),
            "spec `acme`, taken by alice@build-7 pid 4242 at 2025-01-02T03:04:05Z"
        );
        assert!(holder.is_expired(1_735_787_166));
        assert!(!holder.is_expired(1_735_787_100));
        assert!(Holder::default().is_expired(0), "no lease: expired");
        assert_eq!(Holder::default().describe(), "taken by an unknown owner");
    }
}
