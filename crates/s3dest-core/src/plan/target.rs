//! `--target destination.NAME`: a plan limited to some destinations, for exceptional use
//! (one broken destination must not hold back an urgent fix to another).

use std::collections::BTreeSet;

use super::{Address, Plan};
use crate::model::Desired;

impl Plan {
    /// The plan limited to the changes of `destinations` and of the buckets they write
    /// into (a bucket to create comes with the destination that needs it), with the
    /// errors, findings and notices of those only. What is left out stays as it is in
    /// AWS: other destinations' changes, and the pruning of destinations the spec no
    /// longer has.
    pub fn targeted(mut self, destinations: &BTreeSet<String>, desired: &Desired) -> Plan {
        let buckets: BTreeSet<&str> = destinations
            .iter()
            .filter_map(|name| desired.destinations.get(name))
            .map(|dest| dest.bucket.as_str())
            .collect();
        let kept = |address: &Address| match address {
            Address::Bucket { bucket } => buckets.contains(bucket.as_str()),
            Address::BucketStatement { destination, .. }
            | Address::Destination { destination, .. } => destinations.contains(destination),
        };
        self.changes.retain(|c| kept(&c.address));
        self.warnings.retain(|n| kept(&n.address));
        self.notes.retain(|n| kept(&n.address));
        self.errors.retain(|n| kept(&n.address));
        self.findings.retain(|f| kept(&f.address));
        self.access
            .retain(|a| destinations.contains(&a.destination));
        self
    }
}
