//! The vendor catalogue: every vendor s3dest knows, each described once, in one file.
//!
//! A [`Description`] says which spec fields a vendor takes, who it trusts, what it is
//! granted and where, what it needs of an encrypted bucket, which buckets it cannot use,
//! and what its UI asks for, with the guide the facts come from and the date they were
//! checked. The spec's validation and JSON Schema, the presets, the outputs and the docs'
//! vendor table (`docs/vendors.md`, [`docs_table`]) are all derived from it.
//!
//! Adding a vendor: one file here (its `Description`), its line in [`CATALOGUE`], and its
//! tests (see `docs/ARCHITECTURE.md`).

mod description;
mod docs;

mod braze;
mod braze_currents;
mod braze_data_export;
mod braze_security_events;
mod cloudflare_logpush;
mod custom;
mod datadog_log_archives;
mod mixpanel;
mod pendo_data_sync;
mod segment;
mod walkme;

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

pub use description::*;
pub use docs::docs_table;

/// Every vendor, in the order the docs list them.
pub static CATALOGUE: [&Description; 10] = [
    &pendo_data_sync::DESCRIPTION,
    &braze_currents::DESCRIPTION,
    &braze_data_export::DESCRIPTION,
    &braze_security_events::DESCRIPTION,
    &walkme::DESCRIPTION,
    &segment::DESCRIPTION,
    &mixpanel::DESCRIPTION,
    &cloudflare_logpush::DESCRIPTION,
    &datadog_log_archives::DESCRIPTION,
    &custom::DESCRIPTION,
];

/// A vendor of the catalogue: a handle on its description, compared by name.
#[derive(Clone, Copy)]
pub struct Vendor(&'static Description);

impl Vendor {
    /// Every vendor, in catalogue order.
    pub fn all() -> impl Iterator<Item = Vendor> {
        CATALOGUE.iter().map(|d| Vendor(d))
    }

    /// The vendor spelled `name` in a spec (exact spelling only).
    pub fn parse(name: &str) -> Option<Vendor> {
        Vendor::all().find(|v| v.as_str() == name)
    }

    /// The vendor spelled `name`; for vendors the code itself names.
    ///
    /// # Panics
    /// When `name` is not in the catalogue: a typo in s3dest's own code, caught by its tests.
    pub fn named(name: &str) -> Vendor {
        Vendor::parse(name).unwrap_or_else(|| panic!("`{name}` is not in the vendor catalogue"))
    }

    /// The spelling in the spec: `pendo-data-sync`, `braze-currents`, ...
    pub fn as_str(self) -> &'static str {
        self.0.name
    }

    pub fn description(self) -> &'static Description {
        self.0
    }

    /// The variant of its fixed principals called `name`, when it has any.
    pub fn trust_variant(self, name: &str) -> Option<&'static TrustVariant> {
        self.trust_variants().iter().find(|v| v.name == name)
    }

    /// Its fixed principals' variants (empty unless [`Trust::Fixed`]).
    pub fn trust_variants(self) -> &'static [TrustVariant] {
        match &self.0.trust {
            Trust::Fixed { variants, .. } => variants,
            _ => &[],
        }
    }

    /// The variant used without `trust:`.
    pub fn default_trust_variant(self) -> Option<&'static TrustVariant> {
        match &self.0.trust {
            Trust::Fixed { default, .. } => self.trust_variant(default),
            _ => None,
        }
    }

    /// Whether `auth: access-key` is one of the vendor's documented methods.
    pub fn offers_access_key(self) -> bool {
        self.0.access_key.is_some()
    }

    /// The role name the vendor requires, if any.
    pub fn fixed_role(self) -> Option<&'static FixedRole> {
        match &self.0.identity {
            Identity::OwnRole { fixed } => fixed.as_ref(),
            _ => None,
        }
    }
}

impl PartialEq for Vendor {
    fn eq(&self, other: &Vendor) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Vendor {}

impl PartialOrd for Vendor {
    fn partial_cmp(&self, other: &Vendor) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Vendor {
    fn cmp(&self, other: &Vendor) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for Vendor {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Vendor({})", self.as_str())
    }
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests;
