//! The shape of a vendor's description: plain data, `'static`, no behaviour beyond
//! small lookups. Everything s3dest derives from a vendor (validation, the JSON Schema,
//! presets, outputs, the docs' table) reads these types.

/// Everything s3dest knows about one vendor feature, and where it comes from.
#[derive(Debug)]
pub struct Description {
    /// The spelling in the spec's `vendor:` field.
    pub name: &'static str,
    /// The product and feature, as the vendor names them.
    pub title: &'static str,
    pub source: Source,
    /// Who ends up holding the grant.
    pub identity: Identity,
    /// Who acts: who may assume the role, or the bucket statement's principal.
    pub trust: Trust,
    pub external_id: ExternalId,
    pub folder: Folder,
    pub grants: Grants,
    /// Where the grant lives.
    pub placement: Placement,
    /// May `scope:` narrow the object grants to the folder?
    pub scope: ScopeRule,
    pub encryption: Encryption,
    pub preflight: Preflight,
    /// The access-key method (`auth: access-key`), when the vendor's guide documents one.
    pub access_key: Option<AccessKeyMethod>,
    /// What the vendor's UI asks for, in its order and with its labels.
    pub outputs: Outputs,
    /// What the vendor's requests carry, as far as its guide says: what a bucket
    /// policy's conditions see.
    pub sends: Sends,
}

/// What a vendor's requests carry. Every vendor calls S3 over TLS.
#[derive(Debug, Clone, Copy)]
pub struct Sends {
    /// `x-amz-server-side-encryption` on its uploads.
    pub encryption_header: Header,
    /// `x-amz-acl` on its uploads.
    pub acl: Header,
}

/// A header on the vendor's uploads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Header {
    /// Always sent, with this value.
    Sent(&'static str),
    /// Never sent.
    NotSent,
    /// The guide does not say, or it is a setting in the vendor's UI: a condition on it
    /// cannot be decided.
    Unknown,
}

impl Sends {
    /// What a guide that says nothing about headers leaves s3dest to assume: nothing.
    pub const UNDOCUMENTED: Sends = Sends {
        encryption_header: Header::Unknown,
        acl: Header::Unknown,
    };
}

/// The guide a description follows.
#[derive(Debug)]
pub struct Source {
    /// The guide's title, or where it lives (repository and path).
    pub guide: &'static str,
    pub url: &'static str,
    /// When the facts were last checked against it (YYYY-MM-DD).
    pub checked: &'static str,
}

/// The identity that holds the vendor's grant.
#[derive(Debug)]
pub enum Identity {
    /// A role s3dest makes and owns: `s3dest-<destination>` at `/s3dest/` unless the
    /// spec sets `role_name`, or a name the vendor requires.
    OwnRole { fixed: Option<FixedRole> },
    /// An existing role of the customer's that s3dest does not own: it adds one inline
    /// policy, owned by its name, and changes nothing else on the role. `role_name`
    /// names the role.
    ExistingRole {
        default_name: &'static str,
        /// What the role is, for messages ("your Datadog AWS integration role").
        what: &'static str,
        /// How to make it when it is missing.
        hint: &'static str,
        /// The principals the vendor's own setup makes the role trust: how `import`
        /// recognises the role when it has another name.
        trusted_by: &'static [&'static str],
    },
    /// No role and no user: the vendor's own principal writes, allowed by one statement
    /// in the bucket policy.
    None,
}

/// A role name the vendor looks the role up by.
#[derive(Debug)]
pub struct FixedRole {
    pub name: &'static str,
    pub path: &'static str,
    /// Why the name is fixed (for the error on `role_name`).
    pub reason: &'static str,
}

/// Who acts on the bucket.
#[derive(Debug)]
pub enum Trust {
    /// A principal the customer copies from the vendor's UI into `principal`.
    Customer {
        accepts: PrincipalKinds,
        /// Who it is ("the Braze AWS account").
        who: &'static str,
        /// Where the vendor shows it, with an example.
        help: &'static str,
    },
    /// The vendor's own fixed principals, in one or more variants (`trust:` picks one).
    Fixed {
        variants: &'static [TrustVariant],
        /// The `name` of the variant used without `trust:`.
        default: &'static str,
    },
    /// Not s3dest's to decide: the existing role's trust is left as it is.
    Unchanged,
}

/// The kinds of principal a vendor may be given.
#[derive(Debug, Clone, Copy)]
pub struct PrincipalKinds {
    /// A 12-digit account id or its `:root` ARN.
    pub account: bool,
    /// An IAM user or role ARN.
    pub user_or_role: bool,
}

/// One set of fixed principals the vendor has documented.
#[derive(Debug, PartialEq, Eq)]
pub struct TrustVariant {
    /// The value of `trust:` that selects it.
    pub name: &'static str,
    pub principals: &'static [&'static str],
    /// What it is, for docs and plan reasons ("WalkMe's current US and EU roles").
    pub summary: &'static str,
}

/// The external ID the trust policy requires.
#[derive(Debug)]
pub enum ExternalId {
    /// `external_id` is required with the role method.
    Required { help: &'static str },
    /// Optional; without it the plan warns (confused deputy).
    Optional { warning: &'static str },
    /// The vendor sends none: `external_id` is refused, and the plan warns.
    Impossible {
        reason: &'static str,
        warning: &'static str,
    },
    /// Not part of what s3dest writes (no trust policy of s3dest's).
    NotUsed { reason: &'static str },
}

/// The folder (the path in the bucket the vendor writes under).
#[derive(Debug)]
pub enum Folder {
    Required,
    /// Used when `folder` is not given.
    Default(&'static str),
    /// The prefix the customer enters in the vendor's UI, empty allowed; the vendor
    /// always writes under `subfolder` beneath it.
    Prefix {
        subfolder: &'static str,
    },
    /// The vendor's documentation names no prefix: `folder` is refused and the grant
    /// covers the bucket, as the guide writes it.
    Unknown {
        reason: &'static str,
    },
}

/// What the vendor is granted on the bucket.
#[derive(Debug)]
pub struct Grants {
    /// Actions on `arn:aws:s3:::BUCKET`.
    pub bucket_actions: &'static [&'static str],
    /// Actions on the objects (`BUCKET/*`, or `BUCKET/FOLDER/*` when scoped).
    pub object_actions: &'static [&'static str],
    /// The guide also lists the bucket ARN for the object actions (it grants nothing,
    /// but is what the vendor documents).
    pub objects_also_on_bucket: bool,
    /// The Sids the guide gives its statements (bucket, objects), kept for recognition.
    pub bucket_sid: Option<&'static str>,
    pub object_sid: Option<&'static str>,
    /// `custom`: the spec's `actions` are granted instead (required there).
    pub from_spec: bool,
}

impl Grants {
    /// Every action of the grant, bucket actions first (none for a grant the spec lists).
    pub fn actions(&self) -> impl Iterator<Item = &'static str> {
        self.bucket_actions
            .iter()
            .chain(self.object_actions)
            .copied()
    }
}

/// Where the grant is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// The identity's inline policy.
    IdentityPolicy,
    /// A statement of the shared bucket policy, owned by its Sid.
    BucketStatement,
}

/// Whether `scope:` applies.
#[derive(Debug)]
pub enum ScopeRule {
    /// Object grants cover `default` unless `scope:` says otherwise.
    Choice { default: Scope },
    /// The guide already fixes where the grant applies.
    Fixed { scope: Scope, reason: &'static str },
}

/// Where object grants apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `arn:aws:s3:::BUCKET/*`, as most guides write it.
    Bucket,
    /// `arn:aws:s3:::BUCKET/FOLDER/*`.
    Folder,
}

impl Scope {
    pub const ALL: [Scope; 2] = [Scope::Bucket, Scope::Folder];

    /// The spelling in the spec's `scope:` field.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Bucket => "bucket",
            Scope::Folder => "folder",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// What the vendor needs of a bucket encrypted with SSE-KMS.
#[derive(Debug)]
pub enum Encryption {
    /// The vendor documents nothing about SSE-KMS: nothing is added or refused.
    Unverified,
    /// Works; with a customer managed key the identity also needs these actions on the
    /// key (granted, scoped to the key). The AWS managed `aws/s3` key needs nothing.
    GrantOnKey(&'static [&'static str]),
    /// Works when the key's policy allows the identity these actions; s3dest does not
    /// edit key policies, so the plan shows the statement to add.
    KeyPolicy(&'static [&'static str]),
    /// Does not work on an SSE-KMS bucket.
    Unsupported { reason: &'static str },
}

/// Checks of the bucket before anything is made.
#[derive(Debug)]
pub struct Preflight {
    /// Set when the vendor cannot write into a bucket with Object Lock: why.
    pub object_lock_unsupported: Option<&'static str>,
    pub regions: Regions,
}

/// The bucket regions a vendor supports.
#[derive(Debug)]
pub enum Regions {
    Any,
    Only(&'static [&'static str]),
    Except(&'static [&'static str]),
}

impl Regions {
    /// What the vendor supports, for messages: "supports only us-east-1, …".
    pub fn phrase(&self) -> String {
        match self {
            Regions::Any => "supports every region".to_owned(),
            Regions::Only(list) => format!("supports only {}", list.join(", ")),
            Regions::Except(list) => format!("does not support {}", list.join(", ")),
        }
    }

    pub fn allows(&self, region: &str) -> bool {
        match self {
            Regions::Any => true,
            Regions::Only(list) => list.contains(&region),
            Regions::Except(list) => !list.contains(&region),
        }
    }
}

/// The access-key method.
#[derive(Debug)]
pub struct AccessKeyMethod {
    /// What happens when the key stops working, shown where a plan retires a key.
    pub when_key_stops: Option<&'static str>,
}

/// What to enter in the vendor's UI.
#[derive(Debug)]
pub struct Outputs {
    pub fields: &'static [OutputField],
    /// Shown under the fields; `{folder}` stands for where the vendor writes (the
    /// destination's folder, beneath its prefix for a vendor such as Segment's).
    pub notes: &'static [&'static str],
    /// Shown only with the role method (a new role's eventual consistency, say).
    pub role_notes: &'static [&'static str],
}

/// One field of the vendor's form.
#[derive(Debug)]
pub struct OutputField {
    pub label: &'static str,
    pub value: OutputValue,
}

/// What goes into a field of the vendor's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputValue {
    /// The role's ARN (replaced by the access key with `auth: access-key`).
    RoleArn,
    /// The role's name (an existing role the vendor picks by name).
    RoleName,
    /// The AWS account id.
    AccountId,
    BucketName,
    /// `BUCKET`, or `BUCKET/FOLDER` when the spec gives a folder (Segment's form).
    BucketAndPrefix,
    /// `FOLDER`, as written.
    Folder,
    /// `/FOLDER`.
    FolderPath,
    /// `s3://BUCKET/FOLDER/`.
    S3Uri,
    /// `s3://BUCKET/FOLDER?region=REGION` (Cloudflare's destination form).
    S3UriWithRegion,
    Region,
}
