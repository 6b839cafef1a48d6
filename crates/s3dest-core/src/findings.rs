//! Findings: what a reviewer must know about a plan, beyond its changes. A finding says
//! how serious it is (an `error` means the destination cannot work as specified, and
//! such a plan is never applied), what it is about (a stable kind, for tools), where it
//! belongs, and in words what was found. Every output shows each finding once.

use crate::model::Concern;
use crate::plan::Address;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FindingSeverity {
    /// The destination cannot work as specified: the plan is not applied.
    Error,
    Warning,
    Info,
}

impl FindingSeverity {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingSeverity::Error => "error",
            FindingSeverity::Warning => "warning",
            FindingSeverity::Info => "info",
        }
    }
}

/// What a finding is about. The order is the order findings of one severity are shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FindingKind {
    /// A request the vendor needs is denied (an error) or might be (a warning).
    VendorBlocked,
    /// s3dest cannot set up what the spec asks for (a vendor with a bucket setting it
    /// cannot export to).
    Unsupported,
    /// A change lets more principals in, or grants more (see [`crate::security`]).
    AccessWidens,
    /// A role that can be assumed without an external ID, or with a wrong one
    /// (confused deputy).
    MissingExternalId,
    /// A bucket whose public access is not fully blocked, or a statement of its policy
    /// that lets anyone in.
    PublicAccess,
    /// AWS holds something other than what s3dest last wrote (a role's trust).
    Drift,
    /// What the vendor can do beyond its need (other folders and buckets, s3dest's
    /// lock, the bucket policy).
    BeyondNeed,
}

impl FindingKind {
    /// The kind's name in the JSON plan (kebab-case).
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::VendorBlocked => "vendor-blocked",
            FindingKind::Unsupported => "unsupported",
            FindingKind::AccessWidens => "access-widens",
            FindingKind::MissingExternalId => "missing-external-id",
            FindingKind::PublicAccess => "public-access",
            FindingKind::Drift => "drift",
            FindingKind::BeyondNeed => "beyond-need",
        }
    }

    /// The finding a warning of this concern is also reported as, if any.
    pub fn of_concern(concern: Concern) -> Option<FindingKind> {
        match concern {
            Concern::General => None,
            Concern::MissingExternalId => Some(FindingKind::MissingExternalId),
            Concern::PublicAccess => Some(FindingKind::PublicAccess),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: FindingSeverity,
    pub kind: FindingKind,
    pub address: Address,
    /// The destination it is about; `None` for a bucket as a whole.
    pub destination: Option<String>,
    pub message: String,
}

impl Finding {
    /// A finding at `address`, about the destination the address belongs to.
    pub fn new(
        severity: FindingSeverity,
        kind: FindingKind,
        address: Address,
        message: impl Into<String>,
    ) -> Finding {
        Finding {
            severity,
            kind,
            destination: address.destination_name().map(str::to_owned),
            address,
            message: message.into(),
        }
    }
}

/// The order findings are shown in: by severity, then by kind; otherwise as found.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by_key(|f| (f.severity, f.kind));
}
