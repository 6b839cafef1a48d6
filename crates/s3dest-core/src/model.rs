//! The resource model shared by both sides of a diff: what the spec asks for
//! (`Desired`, built by the presets) and what AWS holds (`Observed`, built by the
//! AWS edge). Policies are typed documents, never strings.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use s3dest_policy::{PolicyDocument, Statement};
use s3dest_spec::{Auth, SpecFile, Vendor};

/// Tag keys that mark what s3dest owns. Values are the spec and destination names.
pub const TAG_SPEC: &str = "s3dest:spec";
pub const TAG_DESTINATION: &str = "s3dest:destination";
/// Where a destination's folder lives, so that prune can find its marker without a state file.
pub const TAG_BUCKET: &str = "s3dest:bucket";
pub const TAG_FOLDER: &str = "s3dest:folder";
/// Tag on a role: the digest ([`s3dest_policy::PolicyDocument::digest`]) of the trust
/// policy s3dest last wrote, so that a plan tells a trust changed outside s3dest
/// (drift, repaired) from one the spec changes. Someone who can change the trust can
/// change the tag too: it catches mistakes, not attackers.
pub const TAG_TRUST: &str = "s3dest:trust";
/// Tag on a role or user: the digest of the s3dest inline policy it last wrote there
/// (see [`TAG_TRUST`]), written with the policy.
pub const TAG_POLICY: &str = "s3dest:policy";
/// Tag on a role, user or secret: the spec file that made it ([`s3dest_spec::SpecFile`]),
/// so that two spec files with the same name are told apart: one's plan would delete the
/// other's destinations, and is refused instead. Written with the resource's next write
/// (see `plan::spec_file`).
pub const TAG_FILE: &str = "s3dest:file";
/// Object metadata keys (`x-amz-meta-…`) on a folder marker s3dest created.
pub const META_SPEC: &str = "s3dest-spec";
pub const META_DESTINATION: &str = "s3dest-destination";
/// The key of the bucket-policy lock object, at the top of a bucket whose policy an
/// apply is editing (see the AWS edge's `lock` module).
pub const LOCK_KEY: &str = ".s3dest-bucket-policy.lock";
/// The Sid of the statement that denies a destination's identity the lock object.
pub const LOCK_GUARD_SID: &str = "DenyS3destLock";
/// IAM path for every role and user s3dest names itself.
pub const IAM_PATH: &str = "/s3dest/";
/// The name of the one inline policy s3dest puts on a role or user.
pub const INLINE_POLICY_NAME: &str = "s3dest";
/// Tag on an access-key secret naming the key it holds, so that the secret's value
/// never has to be read to know which key is current.
pub const TAG_ACCESS_KEY_ID: &str = "s3dest:access-key-id";
/// Tag on a user while s3dest makes it an access key: the ids of the keys it had
/// before (space-separated, `-` for none). A key made since that is not in the secret
/// was left by an interrupted apply, and nobody holds its secret.
pub const TAG_KEY_PENDING: &str = "s3dest:key-pending";

/// The key ids a [`TAG_KEY_PENDING`] value records.
pub fn pending_key_ids(value: &str) -> BTreeSet<String> {
    value
        .split(' ')
        .filter(|id| !id.is_empty() && *id != "-")
        .map(str::to_owned)
        .collect()
}

/// The [`TAG_KEY_PENDING`] value recording `ids`.
pub fn pending_key_tag<'i>(ids: impl IntoIterator<Item = &'i str>) -> String {
    let text = ids.into_iter().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        "-".to_owned()
    } else {
        text
    }
}

/// Default `key_max_age_days`.
pub const DEFAULT_KEY_MAX_AGE_DAYS: u32 = 90;
/// Days a deleted destination's secret stays recoverable (AWS's default window).
pub const SECRET_RECOVERY_DAYS: i64 = 30;

/// The version id s3dest gives a secret value holding access key `key_id`: the key id
/// travels atomically with the value (a tag is a separate call), and `ListSecrets`
/// returns version ids without values. `unique` makes each write's id new (32-64 chars).
pub fn secret_version_id(key_id: &str, unique: &str) -> String {
    format!("s3dest-{key_id}-{unique}")
}

/// The access key id in a version id made by [`secret_version_id`].
pub fn key_id_of_version(version: &str) -> Option<&str> {
    let rest = version.strip_prefix("s3dest-")?;
    let (key_id, _) = rest.rsplit_once('-')?;
    (!key_id.is_empty()).then_some(key_id)
}

/// What a warning is about, so that the planner can make the warnings that matter to a
/// reviewer findings too (`FindingKind::of_concern`) without matching on their words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Concern {
    #[default]
    General,
    /// A role that can be assumed without an external ID (confused deputy).
    MissingExternalId,
    /// A bucket whose public access is not fully blocked.
    PublicAccess,
}

/// The Secrets Manager secret holding an access-key destination's key.
pub fn secret_name(spec: &str, destination: &str) -> String {
    format!("s3dest/{spec}/{destination}")
}

/// Everything the spec asks for, fully resolved (ARNs need the account id).
#[derive(Debug, Clone, PartialEq)]
pub struct Desired {
    pub spec: String,
    pub account_id: String,
    /// The spec file, recorded on what the spec makes ([`TAG_FILE`]); `None` when not
    /// known, and then nothing is checked.
    pub file: Option<SpecFile>,
    /// The spec file's earlier paths (`moved_from`): what they made is this spec's.
    pub moved_from: Vec<SpecFile>,
    pub buckets: BTreeMap<String, DesiredBucket>,
    pub destinations: BTreeMap<String, DesiredDestination>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DesiredBucket {
    pub name: String,
    /// s3dest creates the bucket when it is missing.
    pub create: bool,
    /// Region to create it in (`create`) or to check it is in (declared by the user).
    pub region: Option<String>,
    /// Whether `region` was declared on the bucket itself (then an existing bucket is checked).
    pub region_declared: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DesiredDestination {
    pub name: String,
    pub vendor: Vendor,
    pub auth: Auth,
    pub bucket: String,
    /// Where the vendor writes: a path without leading or trailing slash, whose marker key
    /// is `folder + "/"`; `None` for a vendor that takes no folder (no marker).
    pub folder: Option<String>,
    /// The role s3dest makes and owns for the destination.
    pub role: Option<RoleDef>,
    /// The external ID the role's trust requires of the vendor.
    pub external_id: Option<String>,
    /// An existing role of the customer's that s3dest only adds its one inline policy to
    /// (Datadog's integration role).
    pub existing_role: Option<ExistingRole>,
    /// The IAM user of an access-key destination, its key rules and its secret's name.
    pub user: Option<UserDef>,
    /// The role's (or user's) inline policy, when the vendor's grant lives on the identity.
    pub inline_policy: Option<PolicyDocument>,
    /// The destination's own statement in the bucket policy, when the grant lives there.
    pub bucket_statement: Option<Statement>,
    /// The S3 actions the vendor is granted: its description's bucket and object
    /// actions, or the spec's `actions` (`custom`). A grant made by hand from the guide
    /// holds no other to be taken over by `adopt: true` (`crate::adoption`).
    pub vendor_actions: Vec<String>,
    pub adopt: bool,
    /// Preset warnings (e.g. no external ID possible): shown in every plan.
    pub warnings: Vec<(Concern, String)>,
}

impl DesiredDestination {
    /// The folder marker's key: for a destination with a folder and an identity s3dest
    /// owns, whose tags remember the folder so that prune finds the marker again. A
    /// vendor that takes no folder, or writes as its own principal (Cloudflare) or
    /// through a role s3dest does not own (Datadog), gets no marker: nothing is left
    /// behind when the destination goes.
    pub fn marker_key(&self) -> Option<String> {
        let remembered = self.role.is_some() || self.user.is_some();
        self.folder
            .as_ref()
            .filter(|_| remembered)
            .map(|f| format!("{f}/"))
    }

    /// Whether the plan must know if the bucket has Object Lock: its vendor cannot
    /// write into such a bucket (Braze Currents).
    pub fn needs_object_lock_check(&self) -> bool {
        let preflight = &self.vendor.description().preflight;
        preflight.object_lock_unsupported.is_some()
    }

    /// Whether the plan must know the bucket's default encryption: its vendor does not
    /// work with SSE-KMS, or needs a grant or a key-policy statement for the key. For the
    /// others nothing depends on it (apply reads it when it writes an object).
    pub fn needs_encryption_check(&self) -> bool {
        !matches!(
            self.vendor.description().encryption,
            s3dest_spec::vendors::Encryption::Unverified
        )
    }
}

/// A role s3dest does not own and only writes one inline policy to, by its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingRole {
    pub name: String,
    /// The inline policy's name: the destination's statement id, so that it says which
    /// spec and destination it belongs to (see `sid`).
    pub policy_name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoleDef {
    pub name: String,
    pub path: String,
    pub trust: PolicyDocument,
    pub tags: BTreeMap<String, String>,
}

impl RoleDef {
    pub fn arn(&self, account_id: &str) -> String {
        role_arn(account_id, &self.path, &self.name)
    }
}

pub fn role_arn(account_id: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account_id}:role{path}{name}")
}

#[derive(Debug, Clone, PartialEq)]
pub struct UserDef {
    pub name: String,
    pub path: String,
    pub tags: BTreeMap<String, String>,
    pub secret_name: String,
    pub key_rules: KeyRules,
}

impl UserDef {
    pub fn arn(&self, account_id: &str) -> String {
        format!("arn:aws:iam::{account_id}:user{}{}", self.path, self.name)
    }
}

/// When an access key is rotated, and when the old one is retired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyRules {
    pub max_age_days: u32,
    /// Deactivate the old key this long after the new one was made, used or not.
    pub grace_days: Option<u32>,
}

/// What the AWS edge found. Only what the read request asked for is present.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Observed {
    pub account_id: String,
    /// Roles that are owned by this spec (by tag) or that carry a name the spec wants.
    pub roles: BTreeMap<String, ObservedRole>,
    /// Users owned by this spec (by tag) or that carry a name the spec wants.
    pub users: BTreeMap<String, ObservedUser>,
    /// Secrets under `s3dest/<spec>/`, by name.
    pub secrets: BTreeMap<String, ObservedSecret>,
    pub buckets: BTreeMap<String, ObservedBucket>,
    /// When AWS was read: the planner's clock (key ages), injectable for tests.
    pub read_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObservedUser {
    pub name: String,
    pub path: String,
    pub arn: String,
    pub tags: BTreeMap<String, String>,
    pub inline_policies: BTreeMap<String, PolicyDocument>,
    pub managed_policy_arns: Vec<String>,
    pub access_keys: Vec<AccessKey>,
}

impl ObservedUser {
    pub fn owner(&self) -> Owner {
        Owner::from_tags(&self.tags)
    }
}

/// An access key's metadata. Its secret is never read: only `CreateAccessKey` returns
/// it, and the AWS edge moves it straight into Secrets Manager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    pub id: String,
    pub active: bool,
    pub created: Timestamp,
    pub last_used: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedSecret {
    pub name: String,
    pub arn: String,
    pub tags: BTreeMap<String, String>,
    /// Scheduled for deletion (restorable until the window ends).
    pub pending_deletion: bool,
    /// The version id of its current value (`AWSCURRENT`).
    pub current_version: Option<String>,
}

impl ObservedSecret {
    pub fn owner(&self) -> Owner {
        Owner::from_tags(&self.tags)
    }

    /// The access key the secret holds: from its current value's version id, written
    /// with the value; else from its tag (a secret made by hand, or an older s3dest).
    pub fn access_key_id(&self) -> Option<&str> {
        let from_version = self.current_version.as_deref().and_then(key_id_of_version);
        from_version.or_else(|| self.tags.get(TAG_ACCESS_KEY_ID).map(String::as_str))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObservedRole {
    pub name: String,
    pub path: String,
    pub arn: String,
    pub trust: PolicyDocument,
    pub tags: BTreeMap<String, String>,
    pub inline_policies: BTreeMap<String, PolicyDocument>,
    pub managed_policy_arns: Vec<String>,
}

impl ObservedRole {
    pub fn owner(&self) -> Owner {
        Owner::from_tags(&self.tags)
    }
}

// One per bucket, kept in a map: boxing `Present` would only add an indirection.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum ObservedBucket {
    Missing,
    Present(BucketInfo),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct BucketInfo {
    pub region: String,
    pub policy: Option<PolicyDocument>,
    /// Read only for buckets the spec creates: all four public-access-block flags on.
    pub public_access_blocked: Option<bool>,
    /// Folder markers that were asked for, by folder path (no trailing slash).
    pub folders: BTreeMap<String, FolderInfo>,
    /// The bucket-policy lock found in the bucket, when it was asked for and is there.
    pub lock: Option<ObservedLock>,
    /// Its default encryption (`GetBucketEncryption`); `None` when not asked for.
    pub encryption: Option<BucketEncryption>,
    /// Whether Object Lock is enabled (`GetObjectLockConfiguration`); `None` when not
    /// asked for.
    pub object_lock: Option<ObjectLock>,
}

/// A bucket's default encryption, as `GetBucketEncryption` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BucketEncryption {
    /// No default encryption configured (`ServerSideEncryptionConfigurationNotFoundError`).
    /// AWS gives every bucket SSE-S3 since January 2023; emulators still answer this.
    None,
    /// SSE-S3 (`AES256`).
    SseS3,
    /// SSE-KMS (`aws:kms`) or DSSE-KMS (`aws:kms:dsse`), with the key objects get.
    Kms {
        algorithm: KmsAlgorithm,
        key: KmsKey,
    },
    /// Not known: reading it was denied, or AWS named an algorithm s3dest does not
    /// know. Never guessed.
    Unknown,
}

/// The two ways S3 encrypts with KMS keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KmsAlgorithm {
    /// `aws:kms`.
    SseKms,
    /// `aws:kms:dsse` (dual-layer).
    DsseKms,
}

impl KmsAlgorithm {
    /// The `SSEAlgorithm` (and `x-amz-server-side-encryption` header) value.
    pub fn as_str(self) -> &'static str {
        match self {
            KmsAlgorithm::SseKms => "aws:kms",
            KmsAlgorithm::DsseKms => "aws:kms:dsse",
        }
    }
}

/// Which KMS key a bucket's default encryption uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KmsKey {
    /// The account's AWS managed key `aws/s3`: no `KMSMasterKeyID`, or that alias.
    /// Its key policy cannot be edited, so other accounts can never be granted it.
    AwsManaged,
    /// A customer managed key, as the configuration names it.
    Customer(KmsKeyId),
}

/// A `KMSMasterKeyID` as AWS reports it: a key ARN, a bare key id, or an alias
/// (`alias/NAME` or its ARN). Kept as written: an alias can only be resolved by KMS.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct KmsKeyId(String);

/// The AWS managed key's alias name.
const AWS_MANAGED_ALIAS: &str = "alias/aws/s3";

impl KmsKeyId {
    pub fn new(id: impl Into<String>) -> KmsKeyId {
        KmsKeyId(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether it names the key by an alias (`alias/NAME` or `arn:…:alias/NAME`).
    pub fn is_alias(&self) -> bool {
        self.0.starts_with("alias/") || (self.is_arn() && self.resource().starts_with("alias/"))
    }

    /// The key's ARN: itself when it is a key ARN, built from the bucket's region and
    /// account when it is a bare key id (S3 resolves those there); `None` for an alias,
    /// which only KMS can resolve.
    pub fn key_arn(&self, region: &str, account_id: &str) -> Option<String> {
        if self.is_alias() || self.0.is_empty() {
            return None;
        }
        if self.is_arn() {
            return self.resource().starts_with("key/").then(|| self.0.clone());
        }
        Some(format!("arn:aws:kms:{region}:{account_id}:key/{}", self.0))
    }

    fn is_arn(&self) -> bool {
        self.0.starts_with("arn:")
    }

    /// The part of an ARN after `arn:PARTITION:kms:REGION:ACCOUNT:`.
    fn resource(&self) -> &str {
        self.0.splitn(6, ':').nth(5).unwrap_or("")
    }

    /// The AWS managed key `aws/s3`, named by its alias.
    fn is_aws_managed(&self) -> bool {
        self.0 == AWS_MANAGED_ALIAS || (self.is_arn() && self.resource() == AWS_MANAGED_ALIAS)
    }
}

impl std::fmt::Display for KmsKeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl BucketEncryption {
    /// From the first rule of a `GetBucketEncryption` answer: its `SSEAlgorithm` and
    /// `KMSMasterKeyID`. The one place AWS's spelling becomes this type.
    pub fn from_aws(algorithm: &str, key_id: Option<&str>) -> BucketEncryption {
        let algorithm = match algorithm {
            "AES256" => return BucketEncryption::SseS3,
            "aws:kms" => KmsAlgorithm::SseKms,
            "aws:kms:dsse" => KmsAlgorithm::DsseKms,
            _ => return BucketEncryption::Unknown,
        };
        let key = match key_id.map(str::trim).filter(|k| !k.is_empty()) {
            None => KmsKey::AwsManaged,
            Some(id) => {
                let id = KmsKeyId::new(id);
                match id.is_aws_managed() {
                    true => KmsKey::AwsManaged,
                    false => KmsKey::Customer(id),
                }
            }
        };
        BucketEncryption::Kms { algorithm, key }
    }

    /// The customer managed key new objects are encrypted with, if any.
    pub fn customer_key(&self) -> Option<&KmsKeyId> {
        match self {
            BucketEncryption::Kms {
                key: KmsKey::Customer(id),
                ..
            } => Some(id),
            _ => None,
        }
    }

    /// Whether new objects are encrypted with a KMS key (SSE-KMS or DSSE-KMS).
    pub fn is_kms(&self) -> bool {
        matches!(self, BucketEncryption::Kms { .. })
    }
}

/// A bucket's Object Lock state, as `GetObjectLockConfiguration` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectLock {
    /// `ObjectLockConfigurationNotFoundError`, or a configuration not `Enabled`.
    Disabled,
    /// `ObjectLockEnabled` = `Enabled`: objects may be unremovable for a retention period.
    Enabled,
    /// Reading it was denied: never guessed.
    Unknown,
}

impl ObjectLock {
    /// `Some(enabled)` when known.
    pub fn is_enabled(self) -> Option<bool> {
        match self {
            ObjectLock::Disabled => Some(false),
            ObjectLock::Enabled => Some(true),
            ObjectLock::Unknown => None,
        }
    }
}

/// A bucket-policy lock found by a read: an apply editing the policy right now, or one
/// left behind by an apply that died.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedLock {
    /// Who took it and when (spec, `user@host pid N`, time, age).
    pub holder: String,
    pub verdict: LockVerdict,
}

/// What the next apply that edits the bucket's policy does about a lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockVerdict {
    /// Held by a running apply: waited for.
    Live,
    /// Its owner is provably gone: taken over at once. `reason` says how it is known.
    OwnerGone { reason: String },
    /// Left by an apply that died elsewhere: refused until `--break-lock`.
    Stale { reason: String },
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct FolderInfo {
    /// The marker object `folder/`, if it exists, with the owner its metadata names.
    pub marker: Option<Owner>,
    /// Whether anything other than the marker lives under the folder. Read only for
    /// folders that prune may delete.
    pub has_other_objects: Option<bool>,
}

/// Who a resource belongs to, from its tags or metadata. `Unowned` means no s3dest tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    Unowned,
    Spec {
        spec: String,
        destination: Option<String>,
    },
}

impl Owner {
    pub fn from_tags(tags: &BTreeMap<String, String>) -> Owner {
        match tags.get(TAG_SPEC) {
            Some(spec) => Owner::Spec {
                spec: spec.clone(),
                destination: tags.get(TAG_DESTINATION).cloned(),
            },
            None => Owner::Unowned,
        }
    }

    pub fn is_spec(&self, name: &str) -> bool {
        matches!(self, Owner::Spec { spec, .. } if spec == name)
    }
}

/// The IAM identities a spec wants by name (to find unowned ones of the same name);
/// the IAM read also returns every identity tagged for any s3dest spec.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IdentityNames {
    /// The spec: access keys are read only for its users (and for wanted names).
    pub spec: String,
    pub roles: BTreeSet<String>,
    pub users: BTreeSet<String>,
}

/// What the AWS edge must read for one plan. Built by [`crate::read_request`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReadRequest {
    pub spec: String,
    /// Role names the spec wants (to detect unowned roles of the same name).
    pub role_names: BTreeSet<String>,
    /// Buckets to read, with the folder markers to check in each.
    pub buckets: BTreeMap<String, BucketRead>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct BucketRead {
    /// Read the public-access block too (buckets the spec creates).
    pub settings: bool,
    /// Folder markers to check (one bounded call each).
    pub folders: BTreeSet<String>,
    /// Folders that prune may delete: also check whether they hold anything else.
    pub prune_folders: BTreeSet<String>,
    /// Look for a bucket-policy lock (the spec puts statements into this bucket's
    /// policy). The edge also looks when the policy holds statements of the spec.
    pub lock: bool,
    /// The region the bucket should be in (declared, or where s3dest creates it): its
    /// policy can be asked of that region at once, which also tells if it exists.
    pub expected_region: Option<String>,
    /// Read its default encryption (one `GetBucketEncryption`).
    pub encryption: bool,
    /// Read whether Object Lock is on (one `GetObjectLockConfiguration`): a destination
    /// in it needs to know ([`DesiredDestination::needs_object_lock_check`]).
    pub object_lock: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_encryption_keeps_what_aws_names() {
        let kms = |key: KmsKey| BucketEncryption::Kms {
            algorithm: KmsAlgorithm::SseKms,
            key,
        };
        assert_eq!(
            BucketEncryption::from_aws("AES256", None),
            BucketEncryption::SseS3
        );
        assert_eq!(
            BucketEncryption::from_aws("aws:kms", None),
            kms(KmsKey::AwsManaged)
        );
        assert_eq!(
            BucketEncryption::from_aws("aws:kms", Some(" ")),
            kms(KmsKey::AwsManaged)
        );
        for alias in [
            "alias/aws/s3",
            "arn:aws:kms:eu-west-1:123456789012:alias/aws/s3",
        ] {
            assert_eq!(
                BucketEncryption::from_aws("aws:kms", Some(alias)),
                kms(KmsKey::AwsManaged),
                "{alias}"
            );
        }
        let dsse = BucketEncryption::from_aws("aws:kms:dsse", Some("k-1"));
        assert_eq!(
            dsse,
            BucketEncryption::Kms {
                algorithm: KmsAlgorithm::DsseKms,
                key: KmsKey::Customer(KmsKeyId::new("k-1")),
            }
        );
        assert_eq!(dsse.customer_key().map(KmsKeyId::as_str), Some("k-1"));
        assert!(dsse.is_kms());
        assert_eq!(
            BucketEncryption::from_aws("aws:fancy", Some("k")),
            BucketEncryption::Unknown,
            "an algorithm s3dest does not know is not guessed"
        );
        assert_eq!(BucketEncryption::SseS3.customer_key(), None);
    }

    #[test]
    fn a_kms_key_id_gives_its_arn_unless_it_is_an_alias() {
        let arn = "arn:aws:kms:us-east-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        let of = |id: &str| KmsKeyId::new(id).key_arn("eu-west-1", "123456789012");
        assert_eq!(
            of(arn).as_deref(),
            Some(arn),
            "a key ARN, even of another account"
        );
        assert_eq!(
            of("1234abcd-12ab-34cd-56ef-1234567890ab").as_deref(),
            Some("arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")
        );
        assert_eq!(
            of("mrk-1234abcd12ab34cd56ef1234567890ab").as_deref(),
            Some("arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab")
        );
        assert_eq!(of("alias/exports"), None);
        assert_eq!(of("arn:aws:kms:us-east-2:111122223333:alias/exports"), None);
        assert_eq!(of(""), None);
        assert!(KmsKeyId::new("alias/exports").is_alias());
        assert!(!KmsKeyId::new(arn).is_alias());
    }

    #[test]
    fn object_lock_is_known_or_not() {
        assert_eq!(ObjectLock::Enabled.is_enabled(), Some(true));
        assert_eq!(ObjectLock::Disabled.is_enabled(), Some(false));
        assert_eq!(ObjectLock::Unknown.is_enabled(), None);
    }

    #[test]
    fn a_secret_version_carries_its_access_key_id() {
        let version = secret_version_id("AKIAEXAMPLE12345678", "0123456789abcdef");
        assert!((32..=64).contains(&version.len()), "{version}");
        assert_eq!(key_id_of_version(&version), Some("AKIAEXAMPLE12345678"));
        assert_eq!(key_id_of_version("3f2a-uuid-made-by-someone-else"), None);
        let mut secret = ObservedSecret {
            name: "s".into(),
            arn: "a".into(),
            tags: BTreeMap::from([(
                TAG_ACCESS_KEY_ID.to_owned(),
                "AKIAOLDTAG0000000000".to_owned(),
            )]),
            pending_deletion: false,
            current_version: Some(version),
        };
        // The value's version wins over a tag that a failed write left behind.
        assert_eq!(secret.access_key_id(), Some("AKIAEXAMPLE12345678"));
        secret.current_version = None;
        assert_eq!(secret.access_key_id(), Some("AKIAOLDTAG0000000000"));
    }
}
