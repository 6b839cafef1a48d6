//! The AWS edge of s3dest: reading what AWS holds into the core's `Observed` model and
//! applying a `Plan`, behind the small [`Cloud`] trait so that the CLI and its tests can
//! run against a fake as well as against AWS (or moto server).
//!
//! Everything AWS-specific stays here: SDK clients and their retry configuration, the
//! per-region S3 clients, error codes, the bucket-policy read-modify-write and the
//! narrow retry for IAM's eventual consistency.

mod access_keys;
mod apply;
mod aws;
mod bucket_policy;
mod error;
mod lock;
mod objects;
mod read;
mod read_iam;
mod secret;

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use s3dest_core::model::{
    IdentityNames, ObservedBucket, ObservedRole, ObservedSecret, ObservedUser, ReadRequest,
};
use s3dest_core::plan::{Address, Change, Plan};

pub use aws::Aws;
pub use error::{CloudError, is_principal_propagation_error};
pub use lock::LOCK_KEY;

/// The cloud s3dest reads from and applies to.
///
/// # Contract
/// - Reads never change anything, and read only what they are asked for: their cost
///   does not grow with the number of objects in a bucket or of roles the spec does
///   not name.
/// - `read_iam` returns the account id, the roles and users whose names the spec wants
///   (whoever owns them: the planner decides), and those tagged `s3dest:spec` = the
///   spec where s3dest puts them (under `/s3dest/`, or Pendo's fixed role name), with
///   the users' access keys; nothing else.
/// - `read_secrets` returns the spec's secrets (`s3dest/<spec>/…`): names, ARNs and
///   tags, never a value.
/// - `read_buckets` returns one entry for every bucket of the request: `Missing` when
///   it does not exist, otherwise its region, its policy, the settings, default
///   encryption and Object Lock each when asked for (never guessed: `Unknown` when
///   reading it is denied), and exactly the folders asked for.
/// - `apply` runs the plan's changes phase by phase ([`s3dest_core::plan::Phase`]),
///   reports each change through `events` as it starts, finishes or fails, and stops
///   after the first phase with a failure. It returns what it did; an `Err` means it
///   did not start (a plan with errors is refused, and so is a plan that edits the
///   policy of a bucket holding a stale lock, unless `break_stale_lock`). A change it
///   did not finish is left in a state that a new read and plan converge.
/// - In a bucket policy only statements whose Sid a plan names are changed; every
///   other statement is kept as it was. Each bucket's policy is read, written and read
///   back under the bucket's lock ([`LOCK_KEY`]), so concurrent applies lose nothing.
/// - `calls` counts the AWS requests sent so far, each attempt of a retried call
///   included (the figure reported per plan).
pub trait Cloud {
    /// The account the credentials resolve to (`GetCallerIdentity`).
    fn caller_account(&self) -> impl Future<Output = Result<String, CloudError>> + Send;

    fn read_iam(
        &self,
        names: &IdentityNames,
    ) -> impl Future<Output = Result<IamSnapshot, CloudError>> + Send;

    /// The spec's access-key secrets: names, ARNs and tags, never their values.
    fn read_secrets(
        &self,
        spec: &str,
    ) -> impl Future<Output = Result<BTreeMap<String, ObservedSecret>, CloudError>> + Send;

    fn read_buckets(
        &self,
        request: &ReadRequest,
    ) -> impl Future<Output = Result<BTreeMap<String, ObservedBucket>, CloudError>> + Send;

    fn apply(
        &self,
        plan: &Plan,
        events: &(dyn Fn(ApplyEvent<'_>) + Sync),
    ) -> impl Future<Output = Result<ApplyReport, CloudError>> + Send;

    fn calls(&self) -> u64;
}

/// The IAM side of a read: who we are and the roles that matter to the spec.
#[derive(Debug, Clone, PartialEq)]
pub struct IamSnapshot {
    pub account_id: String,
    pub roles: BTreeMap<String, ObservedRole>,
    /// The spec's users (by tag) and users of wanted names, with their access keys.
    pub users: BTreeMap<String, ObservedUser>,
}

/// Progress of an apply, one event per change and state, for the CLI to print.
#[derive(Debug, Clone, Copy)]
pub enum ApplyEvent<'a> {
    /// The change's first operation is about to be sent.
    Started(&'a Change),
    /// All of the change's operations succeeded.
    Done(&'a Change),
    /// One of its operations failed; the change's remaining operations are not run.
    Failed(&'a Change, &'a CloudError),
    /// Something the person running the apply must know, not tied to one change (a
    /// stale bucket-policy lock that was broken).
    Warning(&'a str),
}

/// What an apply did.
#[derive(Debug, Clone, Default)]
pub struct ApplyReport {
    /// Addresses of the changes made in full, in plan order.
    pub applied: Vec<Address>,
    /// Changes that failed, in plan order, with the error. When any failed, apply
    /// stopped after the phase it was in.
    pub failed: Vec<(Address, CloudError)>,
    /// Changes not made, or made only in part, because an earlier phase failed.
    pub skipped: Vec<Address>,
    /// AWS requests sent by this apply.
    pub calls: u64,
}

impl ApplyReport {
    /// The report of running `plan`: per change (by index), the error it `failed` with,
    /// else applied when none of its operations is `remaining`, else skipped.
    pub fn tally(
        plan: &Plan,
        mut failed: BTreeMap<usize, CloudError>,
        remaining: &[usize],
        calls: u64,
    ) -> ApplyReport {
        let mut report = ApplyReport {
            calls,
            ..ApplyReport::default()
        };
        for (i, change) in plan.changes.iter().enumerate() {
            if let Some(e) = failed.remove(&i) {
                report.failed.push((change.address.clone(), e));
            } else if remaining[i] == 0 {
                report.applied.push(change.address.clone());
            } else {
                report.skipped.push(change.address.clone());
            }
        }
        report
    }

    pub fn is_success(&self) -> bool {
        self.failed.is_empty() && self.skipped.is_empty()
    }
}

/// How reads behave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadConfig {
    /// S3 requests in flight at once, over all buckets. Default 16.
    pub concurrency: usize,
    /// How IAM is read. Default [`IamRead::Auto`].
    pub iam: IamRead,
}

/// How `read_iam` reads roles and users (see the `read_iam` module).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IamRead {
    /// Targeted for a small spec; else whichever costs fewer calls in this account.
    #[default]
    Auto,
    /// `GetAccountAuthorizationDetails`, page by page.
    Bulk,
    /// Each identity the spec names, and a tag check of every other one under `/s3dest/`.
    Targeted,
}

impl Default for ReadConfig {
    fn default() -> Self {
        ReadConfig {
            concurrency: 16,
            iam: IamRead::Auto,
        }
    }
}

/// How `apply` behaves. Throttling and 5xx errors are retried by the SDK itself (see
/// [`Aws::from_env`]); the settings here are for what the SDK cannot know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyConfig {
    /// Changes of one phase run at once. Default 8.
    pub concurrency: usize,
    /// How long to keep retrying a policy that AWS rejects as naming an invalid
    /// principal, when that principal is a role this apply created (IAM takes a few
    /// seconds to make a new role usable). Default 60 s. No other error is retried.
    pub propagation_timeout: Duration,
    /// First pause between those retries; it doubles up to 8 s. Default 1 s.
    pub propagation_backoff: Duration,
    /// Serialize bucket-policy edits between concurrent applies with a lock object
    /// ([`LOCK_KEY`]) created with `If-None-Match: *` in the bucket. Default on.
    pub lock_bucket_policies: bool,
    /// How long to wait for another apply's lock. Default 120 s.
    pub lock_wait: Duration,
    /// How long a lock is valid: a lock older than this is left over from an apply that
    /// died. Default 120 s (longer than `propagation_timeout`, the longest an edit can
    /// take).
    pub lock_lease: Duration,
    /// What to do with a lock whose lease ran out: `false` (the default) fails the
    /// apply, before its first change, with [`CloudError::StaleLock`] naming the lock's
    /// owner and age; `true` takes it over and reports an [`ApplyEvent::Warning`]
    /// (the CLI's `--break-lock`). A live lock is waited for and never broken.
    pub break_stale_lock: bool,
}

impl Default for ApplyConfig {
    fn default() -> Self {
        ApplyConfig {
            concurrency: 8,
            propagation_timeout: Duration::from_secs(60),
            propagation_backoff: Duration::from_secs(1),
            lock_bucket_policies: true,
            lock_wait: Duration::from_secs(120),
            lock_lease: Duration::from_secs(120),
            break_stale_lock: false,
        }
    }
}
