//! What the proxy holds between requests: the behaviours in force, what it learned
//! from the requests that passed, the fault counters and the stats.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use crate::config::{Behaviours, Stats};
use crate::faults::FaultState;

pub struct Shared {
    state: Mutex<State>,
    bytes_sent: AtomicU64,
}

pub struct State {
    pub behaviours: Behaviours,
    pub learned: Learned,
    pub faults: FaultState,
    pub stats: Stats,
}

/// Cleared by `reset`, kept across `set`.
#[derive(Debug, Default)]
pub struct Learned {
    /// Role and user ARNs → when CreateRole/CreateUser returned them.
    pub created: BTreeMap<String, Instant>,
    /// Deleted roles' ARNs → their unique ids.
    pub deleted_roles: BTreeMap<String, String>,
    /// Buckets whose PutBucketEncryption asked for SSE-KMS or DSSE-KMS.
    pub kms_buckets: BTreeMap<String, KmsDefault>,
    /// ETags shown for SSE-KMS objects → moto's, for conditional requests.
    pub kms_etags: BTreeMap<String, String>,
    /// Whole bucket policies, as put (with `realistic_bucket_policies`).
    pub bucket_policies: BTreeMap<String, String>,
}

/// A bucket's default encryption with a KMS key, as the proxy reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmsDefault {
    /// `aws:kms` or `aws:kms:dsse`.
    pub algorithm: String,
    /// The `KMSMasterKeyID` the configuration names; `None`: the AWS managed `aws/s3`.
    pub named_key: Option<String>,
}

impl KmsDefault {
    /// The key an object's headers name.
    pub fn object_key(&self) -> &str {
        self.named_key
            .as_deref()
            .unwrap_or(crate::kms::AWS_MANAGED_KEY)
    }
}

impl State {
    /// The KMS default of a bucket: configured (SSE-KMS with that key), or learned.
    pub fn kms_default(&self, bucket: &str) -> Option<KmsDefault> {
        match self.behaviours.kms_buckets.get(bucket) {
            Some(key) => Some(KmsDefault {
                algorithm: "aws:kms".to_owned(),
                named_key: Some(key.clone()),
            }),
            None => self.learned.kms_buckets.get(bucket).cloned(),
        }
    }
}

impl Shared {
    pub fn new() -> Shared {
        Shared {
            state: Mutex::new(State {
                behaviours: Behaviours::default(),
                learned: Learned::default(),
                faults: FaultState::new(None),
                stats: Stats::default(),
            }),
            bytes_sent: AtomicU64::new(0),
        }
    }

    /// A request that panicked while holding the lock leaves consistent enough
    /// state (plain maps): carry on rather than fail every later request.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn set(&self, behaviours: Behaviours) {
        let mut state = self.lock();
        state.faults = FaultState::new(behaviours.faults.as_ref());
        state.behaviours = behaviours;
    }

    pub fn reset(&self) {
        let mut state = self.lock();
        state.behaviours = Behaviours::default();
        state.learned = Learned::default();
        state.faults = FaultState::new(None);
        state.stats = Stats::default();
        self.bytes_sent.store(0, Ordering::Relaxed);
    }

    pub fn stats(&self) -> Stats {
        let mut stats = self.lock().stats.clone();
        stats.bytes_sent = self.bytes_sent.load(Ordering::Relaxed);
        stats
    }

    pub fn count_bytes(&self, n: usize) {
        self.bytes_sent.fetch_add(n as u64, Ordering::Relaxed);
    }
}
