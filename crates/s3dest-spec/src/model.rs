//! The checked spec: what the user wrote, validated and normalized; no serde, no spans inside values.

use std::collections::BTreeMap;
use std::fmt;

pub use s3dest_vendors::{Scope, TrustVariant, Vendor};

use crate::diagnostic::Span;
use crate::names::{MAX_TAG_VALUE, ROLE_NAME_PREFIX, check_tag_value};
use s3dest_vendors::Identity;

/// A validated spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// The spec's id: the value of the `s3dest:spec` tag on everything it owns.
    pub name: String,
    /// The AWS account the spec belongs to (`account:`): reading AWS with credentials
    /// of another account is refused.
    pub account: Option<String>,
    /// The role s3dest assumes to work in the spec's account (`assume_role:`).
    pub assume_role: Option<AssumeRole>,
    /// The files this spec was read from before it was moved or renamed (`moved_from:`):
    /// what s3dest made from them is this spec's, and is recorded as made from
    /// [`Spec::file`] at its next apply.
    pub moved_from: Vec<SpecFile>,
    /// The file the spec was read from, which everything it makes records
    /// (`s3dest:file`). Set by whoever read the file, after parsing (the parser sees only
    /// text); `None` when unknown (a spec that is not a file), and then not checked.
    pub file: Option<SpecFile>,
    /// Region for buckets that s3dest creates, when the bucket gives none.
    pub region: Option<String>,
    pub buckets: BTreeMap<String, BucketSpec>,
    pub destinations: BTreeMap<String, Destination>,
}

/// A role s3dest assumes, with the credentials of the standard chain, to read and
/// change the spec's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRole {
    pub arn: String,
    /// The account in the ARN: where the spec's resources are.
    pub account: String,
    pub external_id: Option<String>,
}

/// Which spec file a spec was read from, as the `s3dest:file` tag records it, so that two
/// spec files with the same `name` are told apart: the file's path relative to the root of
/// the git work tree holding it, else its absolute path, with `/` separators. A path that is
/// no valid IAM tag value (over 256 characters, or a character IAM refuses) is recorded as
/// `fnv1a:<digest of the path>:<its end>` ([`SpecFile::from_path`]): still one value per
/// path, and its end still says which file it is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SpecFile(String);

/// How a [`SpecFile`] that holds a digest starts.
const DIGEST_PREFIX: &str = "fnv1a:";

impl SpecFile {
    /// The file at `path` (`/`-separated: relative to its git work tree's root, or
    /// absolute). A value recorded earlier (a digest too) gives itself back, so that what
    /// a message shows can be written into `moved_from` as it is.
    pub fn from_path(path: &str) -> SpecFile {
        if !path.is_empty() && check_tag_value(path).is_ok() {
            return SpecFile(path.to_owned());
        }
        let digest = format!("{DIGEST_PREFIX}{}", s3dest_policy::fnv1a_hex(path));
        // The last parts of the path that fit after the digest, whole: a hint for people.
        let room = MAX_TAG_VALUE - digest.chars().count() - 1;
        let mut end: Vec<&str> = Vec::new();
        let mut used = 0;
        for part in path.rsplit('/') {
            let len = part.chars().count() + usize::from(!end.is_empty());
            if part.is_empty() || check_tag_value(part).is_err() || used + len > room {
                break;
            }
            used += len;
            end.push(part);
        }
        end.reverse();
        SpecFile(format!("{digest}:{}", end.join("/")))
    }

    /// A value as a tag holds it.
    pub fn from_tag(value: &str) -> SpecFile {
        SpecFile(value.to_owned())
    }

    /// The tag value.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// How messages name the file: its path, or for a digest the end of its path.
    pub fn shown(&self) -> String {
        let digest = self.0.strip_prefix(DIGEST_PREFIX);
        match digest.and_then(|rest| rest.split_once(':')) {
            Some((_, "")) => format!(
                "a file whose path does not fit in a tag (recorded as `{}`)",
                self.0
            ),
            Some((_, end)) => format!(
                "the file whose path ends in `{end}` (recorded as `{}`: its path does not fit in a tag)",
                self.0
            ),
            None => format!("`{}`", self.0),
        }
    }
}

impl fmt::Display for SpecFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
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
    /// Normalized: no leading or trailing `/`, never empty; the vendor's default when it
    /// has one. `None` only for a vendor whose folder is an optional prefix (Segment) or
    /// that takes none (Mixpanel).
    pub folder: Option<String>,
    /// Only with [`Auth::Role`] (ignored with a warning for access keys), for vendors whose
    /// principal the customer enters.
    pub principal: Option<Principal>,
    /// Only with [`Auth::Role`], for vendors whose trust takes one.
    pub external_id: Option<String>,
    /// Which of the vendor's fixed principals the role trusts (`trust:`), for vendors
    /// that have variants; `None` for the vendor's default.
    pub trust: Option<&'static TrustVariant>,
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
    /// Where the vendor writes (see [`data_folder`]).
    pub fn data_folder(&self) -> Option<String> {
        data_folder(self.vendor, self.folder.as_deref())
    }

    /// The name of the role s3dest writes to for this destination: `None` for access keys
    /// and for vendors without a role, the vendor's fixed name (Pendo's `pendo_datasync`),
    /// the existing role's (`role_name`, or the vendor's default such as Datadog's), else
    /// `role_name` or `s3dest-<destination>`.
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
    if auth == Auth::AccessKey {
        return None;
    }
    match &vendor.description().identity {
        Identity::None => None,
        Identity::OwnRole { fixed: Some(fixed) } => Some(fixed.name.to_owned()),
        Identity::OwnRole { fixed: None } => Some(
            role_name
                .map(str::to_owned)
                .unwrap_or_else(|| format!("{ROLE_NAME_PREFIX}{destination}")),
        ),
        Identity::ExistingRole { default_name, .. } => {
            Some(role_name.unwrap_or(default_name).to_owned())
        }
    }
}

/// The folder a vendor writes under, from the spec's `folder`: the folder itself, or for
/// a vendor that always writes beneath a subfolder of the prefix the customer enters
/// (Segment's `segment-logs`), that subfolder under it. `None` for a vendor that takes
/// no folder.
pub fn data_folder(vendor: Vendor, folder: Option<&str>) -> Option<String> {
    match (&vendor.description().folder, folder) {
        (s3dest_vendors::Folder::Prefix { subfolder }, Some(prefix)) => {
            Some(format!("{prefix}/{subfolder}"))
        }
        (s3dest_vendors::Folder::Prefix { subfolder }, None) => Some((*subfolder).to_owned()),
        (_, folder) => folder.map(str::to_owned),
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
    fn principal_accessors() {
        let account = Principal::Account("987654321098".into());
        assert_eq!(account.account_id(), "987654321098");
        assert_eq!(account.to_arn(), "arn:aws:iam::987654321098:root");
        let arn = Principal::Arn("arn:aws:iam::123456789012:user/pendo-sync".into());
        assert_eq!(arn.account_id(), "123456789012");
        assert_eq!(arn.to_arn(), "arn:aws:iam::123456789012:user/pendo-sync");
    }
}
