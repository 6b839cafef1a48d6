//! The checked spec: what the user wrote, validated and normalized; no serde, no spans inside values.

use std::collections::BTreeMap;
use std::fmt;

use crate::diagnostic::Span;
use crate::names::ROLE_NAME_PREFIX;

/// The fixed role name Pendo requires (at IAM path `/`).
pub const PENDO_ROLE_NAME: &str = "pendo_datasync";

/// A validated spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// The spec's id: the value of the `s3dest:spec` tag on everything it owns.
    pub name: String,
    /// Region for buckets that s3dest creates, when the bucket gives none.
    pub region: Option<String>,
    pub buckets: BTreeMap<String, BucketSpec>,
    pub destinations: BTreeMap<String, Destination>,
}

/// A bucket the destinations use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketSpec {
    pub name: String,
    /// s3dest creates it when missing (public access blocked, SSE-S3); otherwise it must exist.
    pub create: bool,
    /// As written on the bucket (the top-level region is not copied here).
    pub region: Option<String>,
    /// Of the bucket's key in `buckets`.
    pub span: Span,
}

/// One export destination: a vendor writing into a folder of a bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub name: String,
    pub vendor: Vendor,
    /// Default [`Auth::Role`].
    pub auth: Auth,
    /// A key of [`Spec::buckets`].
    pub bucket: String,
    /// Normalized: no leading or trailing `/`, never empty; braze-currents defaults to `currents`.
    pub folder: String,
    /// Only with [`Auth::Role`] (ignored with a warning for access keys); never for walkme.
    pub principal: Option<Principal>,
    /// Only with [`Auth::Role`]; never for walkme.
    pub external_id: Option<String>,
    /// `custom` only, in file order, deduplicated.
    pub actions: Vec<String>,
    /// As written; see [`Destination::effective_role_name`] for the name actually used.
    pub role_name: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub adopt: bool,
    /// Where object grants apply; `None` for the vendor's default.
    pub scope: Option<Scope>,
    /// Only with `auth: access-key` (1..=3650): rotate the key when it is older.
    pub key_max_age_days: Option<u32>,
    /// Only with `auth: access-key` (1..=3650): during a rotation, deactivate the old
    /// key this many days after the new one was made even if the vendor has not used
    /// the new one yet. Without it, the old key stays active until the new one is used.
    pub key_grace_days: Option<u32>,
    /// Of the destination's key, for later errors.
    pub span: Span,
}

impl Destination {
    /// The name of the role s3dest manages for this destination: `None` for access keys,
    /// `pendo_datasync` for Pendo, else `role_name` or `s3dest-<destination>`.
    pub fn effective_role_name(&self) -> Option<String> {
        effective_role_name(
            &self.name,
            self.vendor,
            self.auth,
            self.role_name.as_deref(),
        )
    }
}

pub(crate) fn effective_role_name(
    destination: &str,
    vendor: Vendor,
    auth: Auth,
    role_name: Option<&str>,
) -> Option<String> {
    match (auth, vendor) {
        (Auth::AccessKey, _) => None,
        (Auth::Role, Vendor::PendoDataSync) => Some(PENDO_ROLE_NAME.to_owned()),
        (Auth::Role, _) => Some(
            role_name
                .map(str::to_owned)
                .unwrap_or_else(|| format!("{ROLE_NAME_PREFIX}{destination}")),
        ),
    }
}

/// The vendor feature a destination is for; each has a preset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Vendor {
    PendoDataSync,
    BrazeCurrents,
    BrazeDataExport,
    BrazeSecurityEvents,
    Walkme,
    Custom,
}

impl Vendor {
    pub const ALL: [Vendor; 6] = [
        Vendor::PendoDataSync,
        Vendor::BrazeCurrents,
        Vendor::BrazeDataExport,
        Vendor::BrazeSecurityEvents,
        Vendor::Walkme,
        Vendor::Custom,
    ];

    /// The spelling in the spec: `pendo-data-sync`, `braze-currents`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Vendor::PendoDataSync => "pendo-data-sync",
            Vendor::BrazeCurrents => "braze-currents",
            Vendor::BrazeDataExport => "braze-data-export",
            Vendor::BrazeSecurityEvents => "braze-security-events",
            Vendor::Walkme => "walkme",
            Vendor::Custom => "custom",
        }
    }

    /// The inverse of [`Vendor::as_str`] (exact spelling only).
    pub fn parse(s: &str) -> Option<Vendor> {
        Vendor::ALL.into_iter().find(|v| v.as_str() == s)
    }

    pub(crate) fn is_braze(self) -> bool {
        matches!(
            self,
            Vendor::BrazeCurrents | Vendor::BrazeDataExport | Vendor::BrazeSecurityEvents
        )
    }
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a destination's object grants apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `arn:aws:s3:::BUCKET/*`, as the vendors' guides write it.
    Bucket,
    /// `arn:aws:s3:::BUCKET/FOLDER/*`.
    Folder,
}

impl Scope {
    pub const ALL: [Scope; 2] = [Scope::Bucket, Scope::Folder];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Bucket => "bucket",
            Scope::Folder => "folder",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// How the vendor authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Auth {
    /// The vendor assumes an IAM role (trust policy with principal and external ID).
    #[default]
    Role,
    /// An IAM user with an access key; the secret goes to Secrets Manager.
    AccessKey,
}

impl Auth {
    /// `role` | `access-key`.
    pub fn as_str(self) -> &'static str {
        match self {
            Auth::Role => "role",
            Auth::AccessKey => "access-key",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Auth> {
        [Auth::Role, Auth::AccessKey]
            .into_iter()
            .find(|a| a.as_str() == s)
    }
}

impl fmt::Display for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A principal as the user wrote it, normalized: a 12-digit account ID, or an
/// `arn:aws:iam::ACCOUNT:root` ARN becomes `Account(ACCOUNT)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Account(String),
    /// An IAM user or role ARN, or a `:root` ARN outside the `aws` partition.
    Arn(String),
}

impl Principal {
    /// The 12-digit account; for an ARN, its account field.
    pub fn account_id(&self) -> &str {
        match self {
            Principal::Account(id) => id,
            Principal::Arn(arn) => arn.split(':').nth(4).unwrap_or_default(),
        }
    }

    /// `Account(ID)` becomes `arn:aws:iam::ID:root`; an ARN is returned as is.
    pub fn to_arn(&self) -> String {
        match self {
            Principal::Account(id) => format!("arn:aws:iam::{id}:root"),
            Principal::Arn(arn) => arn.clone(),
        }
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Principal::Account(id) => f.write_str(id),
            Principal::Arn(arn) => f.write_str(arn),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_round_trip() {
        for v in Vendor::ALL {
            assert_eq!(Vendor::parse(v.as_str()), Some(v));
        }
        assert_eq!(Vendor::parse("pendo"), None);
    }

    #[test]
    fn principal_accessors() {
        let account = Principal::Account("987654321098".into());
        assert_eq!(account.account_id(), "987654321098");
        assert_eq!(account.to_arn(), "arn:aws:iam::987654321098:root");
        let arn = Principal::Arn("arn:aws:iam::123456789012:user/pendo-sync".into());
        assert_eq!(arn.account_id(), "123456789012");
        assert_eq!(arn.to_arn(), "arn:aws:iam::123456789012:user/pendo-sync");
    }
}
