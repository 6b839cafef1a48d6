//! A lock around a bucket-policy edit, so that two applies at once (two specs, or two
//! pipelines) cannot lose each other's statements: S3 has no conditional
//! `PutBucketPolicy`, so the read-modify-write is serialized by an object created with
//! `If-None-Match: *` in the same bucket, which only one writer can create.
//!
//! The lock holds a lease, and says who took it (spec, `user@host pid N`, when, and a
//! token unique to the attempt) in its metadata. A live lock is waited for (at most
//! `lock_wait`) and never broken. A lock is not live when:
//! - its owner is provably gone (a process of this host and PID namespace that no
//!   longer runs): it is taken over at once, with a warning;
//! - its lease ran out, or it has none: it was left by an apply that died elsewhere,
//!   and is taken over only when asked to (`break_stale_lock`, `--break-lock`).
//!
//! Nobody can make a lock live for long: s3dest honours at most [`MAX_LEASE`] from the
//! moment S3 wrote the object (its `LastModified`, which no writer chooses), whatever
//! lease the metadata claims. And every grant s3dest writes denies its principal the
//! lock's key (see the presets), so no vendor can plant, read or delete it.
//!
//! Every write here is safe to retry: a conditional create whose reply was lost is
//! recognised by its token when the retry finds the lock in place; a delete whose reply
//! was lost finds the key gone.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_s3::operation::head_object::HeadObjectOutput;
use aws_sdk_s3::primitives::ByteStream;
use tokio::time::Instant;

use s3dest_core::model::{LockVerdict, META_SPEC, ObservedLock};

use crate::objects::Deleted;
use crate::{ApplyConfig, Aws, CloudError};

/// The key of the lock object, at the top of the bucket whose policy is being edited.
/// It exists only while an apply edits that policy (or after an apply died doing so).
pub use s3dest_core::model::LOCK_KEY;
/// The longest lease s3dest honours, counted from the lock's `LastModified`: a lock
/// claiming a longer one (planted, or from a clock far ahead) is stale after this.
pub const MAX_LEASE: Duration = Duration::from_secs(15 * 60);
/// Metadata key holding the lease's end, in seconds since the epoch.
const META_EXPIRES: &str = "s3dest-lock-expires";
/// Metadata key holding when the lock was taken, in seconds since the epoch.
const META_CREATED: &str = "s3dest-lock-created";
/// Metadata key holding who took the lock: `user@host pid N`.
const META_OWNER: &str = "s3dest-lock-owner";
/// Metadata key holding the token of the attempt that wrote the lock.
const META_TOKEN: &str = "s3dest-lock-token";
/// Attempts at releasing a lock before leaving it to its lease.
const RELEASE_ATTEMPTS: u32 = 3;

pub(crate) struct BucketLock {
    s3: aws_sdk_s3::Client,
    bucket: String,
    etag: Option<String>,
}

/// Who holds a lock, as its metadata and S3 say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Holder {
    spec: Option<String>,
    owner: Option<String>,
    token: Option<String>,
    /// When it was taken (its `LastModified` when the metadata does not say).
    created: Option<u64>,
    /// When S3 wrote it.
    written: Option<u64>,
    /// The lease's end as the metadata claims it.
    expires: Option<u64>,
}

impl Holder {
    fn from_head(out: &HeadObjectOutput) -> Holder {
        let meta = |k: &str| out.metadata().and_then(|m| m.get(k)).cloned();
        let number = |k: &str| meta(k).and_then(|v| v.parse::<u64>().ok());
        let written = out
            .last_modified()
            .and_then(|t| u64::try_from(t.secs()).ok());
        Holder {
            spec: meta(META_SPEC),
            owner: meta(META_OWNER),
            token: meta(META_TOKEN),
            created: number(META_CREATED).or(written),
            written,
            expires: number(META_EXPIRES),
        }
    }

    /// The lease s3dest honours: the claimed one, cut at [`MAX_LEASE`] after the lock
    /// was written (or claims to have been taken, if that is earlier).
    fn honoured_expiry(&self) -> Option<u64> {
        let cap = [self.written, self.created]
            .into_iter()
            .flatten()
            .min()
            .map(|t| t + MAX_LEASE.as_secs());
        match (self.expires, cap) {
            (Some(e), Some(c)) => Some(e.min(c)),
            (e, None) => e,
            (None, Some(_)) => None,
        }
    }

    /// Whether the lock may be waited for (live), taken over at once (its owner is
    /// gone), or only with `--break-lock` (stale: its lease ran out, or it has none, or
    /// it claims more than [`MAX_LEASE`]).
    fn state(&self, now: u64) -> LockVerdict {
        if let Some(pid) = self.owner.as_deref().and_then(gone_pid) {
            return LockVerdict::OwnerGone {
                reason: format!(
                    "the apply that took it (pid {pid} on this host) is no longer running"
                ),
            };
        }
        match (self.expires, self.honoured_expiry()) {
            (None, _) | (_, None) => LockVerdict::Stale {
                reason: "it has no lease".to_owned(),
            },
            (Some(claimed), Some(honoured)) if honoured < now => LockVerdict::Stale {
                reason: if claimed > honoured {
                    format!(
                        "it claims a lease longer than the {} s3dest honours, which ran out {} ago",
                        human(MAX_LEASE),
                        human(Duration::from_secs(now - honoured))
                    )
                } else {
                    format!(
                        "its lease ran out {} ago",
                        human(Duration::from_secs(now - honoured))
                    )
                },
            },
            _ => LockVerdict::Live,
        }
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
/// A lock whose owner is provably gone is taken over, and `warn` is told. A lock whose
/// lease ran out is an error ([`CloudError::StaleLock`]) unless
/// `config.break_stale_lock`; then it is taken over and `warn` is told, naming its holder.
pub(crate) async fn acquire(
    aws: &Aws,
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    spec: &str,
    config: &ApplyConfig,
    warn: &(dyn Fn(&str) + Sync),
) -> Result<BucketLock, CloudError> {
    let resource = format!("lock `s3://{bucket}/{LOCK_KEY}`");
    let waited_from = Instant::now();
    let deadline = waited_from + config.lock_wait;
    let owner = owner();
    let encryption = aws.default_encryption(s3, bucket).await?;
    let mut pause = Duration::from_millis(200);
    let mut last_holder = None;
    loop {
        let created = unix_now();
        let expires = created + config.lock_lease.as_secs().min(MAX_LEASE.as_secs());
        let token = token();
        let body = serde_json::json!({
            "spec": spec,
            "owner": owner,
            "created": utc(created),
            "expires": utc(expires),
            "token": token,
        });
        let put = s3
            .put_object()
            .bucket(bucket)
            .key(LOCK_KEY)
            .if_none_match("*")
            .metadata(META_SPEC, spec)
            .metadata(META_OWNER, &owner)
            .metadata(META_TOKEN, &token)
            .metadata(META_CREATED, created.to_string())
            .metadata(META_EXPIRES, expires.to_string())
            .content_type("application/json")
            .body(ByteStream::from(body.to_string().into_bytes()));
        let err = match crate::objects::with_encryption_header(&encryption, put)
            .send()
            .await
        {
            Ok(out) => {
                return Ok(BucketLock {
                    s3: s3.clone(),
                    bucket: bucket.to_owned(),
                    etag: out.e_tag().map(str::to_owned),
                });
            }
            Err(e) => CloudError::from_sdk("PutObject", resource.clone(), e),
        };
        // 412: someone holds it. 409: someone is creating it at this very moment. No
        // answer at all: our own create may have happened.
        let held = matches!(err.status(), Some(412 | 409));
        if !held && !err.may_have_happened() {
            return Err(err);
        }
        let out_of_time = || Instant::now() > deadline;
        let found = head(s3, bucket).await?;
        if let Some((holder, etag)) = &found
            && holder.token.as_deref() == Some(token.as_str())
        {
            // Our own create, whose reply was lost (the SDK's retry then met our lock).
            return Ok(BucketLock {
                s3: s3.clone(),
                bucket: bucket.to_owned(),
                etag: etag.clone(),
            });
        }
        if !held {
            return Err(err);
        }
        // Locks taken and released (or taken over) over and over by others end here too.
        let Some((holder, etag)) = found else {
            if out_of_time() {
                return Err(busy(bucket, last_holder.as_ref(), waited_from.elapsed()));
            }
            continue; // released in between: try again at once
        };
        let now = unix_now();
        let take_over = match holder.state(now) {
            LockVerdict::Live => None,
            LockVerdict::OwnerGone { reason } => Some(format!(
                "took over the bucket-policy lock of bucket `{bucket}` ({}{}): {reason}",
                holder.describe(),
                age_text(&holder, now)
            )),
            LockVerdict::Stale { reason } if config.break_stale_lock => Some(format!(
                "broke the stale bucket-policy lock of bucket `{bucket}` ({}{}; {reason})",
                holder.describe(),
                age_text(&holder, now)
            )),
            LockVerdict::Stale { reason } => return Err(stale(bucket, &holder, reason)),
        };
        if let Some(message) = take_over {
            // Left behind by an apply that died: take it over, unless it changed meanwhile.
            let deleted = aws
                .delete_if_unchanged(s3, bucket, LOCK_KEY, etag.as_deref(), "lock", warn)
                .await?;
            if deleted == Deleted::Yes {
                tracing::debug!("{message}");
                warn(&message);
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
        Some((holder, _)) => match holder.state(unix_now()) {
            LockVerdict::Stale { reason } => Err(stale(bucket, &holder, reason)),
            LockVerdict::Live | LockVerdict::OwnerGone { .. } => Ok(()),
        },
        None => Ok(()),
    }
}

/// A lock found by a read, for the plan to mention: its holder and what the next apply
/// will do about it. `None` when there is no lock.
pub(crate) async fn observe(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<Option<ObservedLock>, CloudError> {
    let Some((holder, _)) = head(s3, bucket).await? else {
        return Ok(None);
    };
    let now = unix_now();
    Ok(Some(ObservedLock {
        holder: format!("{}{}", holder.describe(), age_text(&holder, now)),
        verdict: holder.state(now),
    }))
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

fn stale(bucket: &str, holder: &Holder, reason: String) -> CloudError {
    let now = unix_now();
    CloudError::StaleLock {
        bucket: bucket.to_owned(),
        holder: holder.describe(),
        age: holder
            .created
            .map(|t| Duration::from_secs(now.saturating_sub(t))),
        reason,
    }
}

fn busy(bucket: &str, holder: Option<&Holder>, waited: Duration) -> CloudError {
    let now = unix_now();
    let (by, expiry) = match holder {
        Some(h) => (
            format!(" ({}{})", h.describe(), age_text(h, now)),
            h.honoured_expiry()
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
    /// Deletes the lock if it is still ours, retrying a few times. A lock that cannot
    /// be released is reported through `warn`: its lease frees it in time, and the
    /// next apply from this host takes it over at once (its owner is then gone).
    pub(crate) async fn release(self, aws: &Aws, warn: &(dyn Fn(&str) + Sync)) {
        let mut last = None;
        for attempt in 0..RELEASE_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
            }
            let result = aws
                .delete_if_unchanged(
                    &self.s3,
                    &self.bucket,
                    LOCK_KEY,
                    self.etag.as_deref(),
                    "lock",
                    warn,
                )
                .await;
            match result {
                // `Changed`: not ours any more (taken over after our lease ran out).
                Ok(_) => return,
                Err(err) => last = Some(err),
            }
        }
        if let Some(err) = last {
            warn(&format!(
                "could not release the bucket-policy lock of bucket `{}` ({err}); its lease \
                 frees it within {}",
                self.bucket,
                human(MAX_LEASE)
            ));
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
    // something only within its namespace (see `gone_pid`).
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

/// The pid of `owner` (as [`owner`] writes it) when it names a process of this host
/// and PID namespace that no longer runs. Only Linux's `/proc` is asked; anywhere else,
/// or when unsure, the answer is `None`.
fn gone_pid(owner: &str) -> Option<String> {
    let (user_host, pid) = owner.rsplit_once(" pid ")?;
    let this = self::owner();
    let this_host = this.rsplit_once(" pid ").map(|(uh, _)| uh);
    let proc = std::path::Path::new("/proc");
    let gone = Some(user_host) == this_host
        && pid.parse::<u32>().is_ok_and(|p| p != std::process::id())
        && proc.join("self").exists()
        && !proc.join(pid).exists();
    gone.then(|| pid.to_owned())
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
    fn a_lock_of_a_dead_process_of_this_host_is_taken_over_at_once() {
        let me = owner();
        let (user_host, _) = me.rsplit_once(" pid ").unwrap();
        assert_eq!(gone_pid(&me), None, "this process runs");
        assert_eq!(
            gone_pid(&format!("{user_host} pid 4294967")).as_deref(),
            Some("4294967"),
            "no such pid"
        );
        assert_eq!(
            gone_pid("someone@elsewhere pid 4294967"),
            None,
            "another host: cannot tell"
        );
        assert_eq!(gone_pid("garbage"), None);
        let holder = Holder {
            owner: Some(format!("{user_host} pid 4294967")),
            expires: Some(u64::MAX),
            ..Holder::default()
        };
        assert_eq!(
            holder.state(0),
            LockVerdict::OwnerGone {
                reason: "the apply that took it (pid 4294967 on this host) is no longer running"
                    .to_owned()
            }
        );
    }

    #[test]
    fn no_lease_longer_than_the_cap_is_honoured() {
        let written = 1_000_000;
        let planted = Holder {
            owner: Some("vendor@elsewhere pid 1".to_owned()),
            written: Some(written),
            created: Some(written),
            expires: Some(u64::MAX),
            ..Holder::default()
        };
        let cap = written + MAX_LEASE.as_secs();
        assert_eq!(planted.state(cap), LockVerdict::Live);
        let LockVerdict::Stale { reason } = planted.state(cap + 61) else {
            panic!("a far-future lease is not honoured past the cap")
        };
        assert_eq!(
            reason,
            "it claims a lease longer than the 15m 0s s3dest honours, which ran out 1m 1s ago"
        );
        // A lease within the cap is honoured as written.
        let normal = Holder {
            expires: Some(written + 120),
            ..planted.clone()
        };
        assert_eq!(normal.state(written + 100), LockVerdict::Live);
        let LockVerdict::Stale { reason } = normal.state(written + 130) else {
            panic!("expired")
        };
        assert_eq!(reason, "its lease ran out 10s ago");
        // Claiming to have been written later than S3 wrote it does not help either.
        let backdated_write = Holder {
            created: Some(written + 10_000),
            ..planted
        };
        assert!(matches!(
            backdated_write.state(cap + 1),
            LockVerdict::Stale { .. }
        ));
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
            ..Holder::default()
        };
        assert_eq!(
            holder.describe(),
            "spec `acme`, taken by alice@build-7 pid 4242 at 2025-01-02T03:04:05Z"
        );
        assert!(matches!(
            holder.state(1_735_787_166),
            LockVerdict::Stale { .. }
        ));
        assert_eq!(holder.state(1_735_787_100), LockVerdict::Live);
        assert_eq!(
            Holder::default().state(0),
            LockVerdict::Stale {
                reason: "it has no lease".to_owned()
            }
        );
        assert_eq!(Holder::default().describe(), "taken by an unknown owner");
    }
}
