//! What a plan talks about, as types: the address of each thing s3dest manages, and
//! the thing itself as a change shows it before and after. JSON is made from these
//! only by the renderers (`render::view`).

use std::collections::BTreeMap;
use std::fmt;

use jiff::Timestamp;

use s3dest_policy::{PolicyDocument, Statement};

use crate::model::KeyRules;

/// Where a change, a notice or a finding belongs. Shown as a dotted path
/// (`destination.partner.role`, `bucket.acme.statement.partner`): the text every
/// output uses, and the order changes are listed in within a phase.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Address {
    /// A bucket of the spec (or one that an edit of the plan reaches).
    Bucket { bucket: String },
    /// A destination's statement in a bucket's policy.
    BucketStatement { bucket: String, destination: String },
    /// A destination, or one part of it when `part` is given.
    Destination {
        destination: String,
        part: Option<Part>,
    },
}

/// The parts of a destination that s3dest makes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Part {
    Role,
    RolePolicy,
    User,
    UserPolicy,
    Folder,
    /// The destination's access keys as a whole (a new key, what is known of them).
    AccessKey,
    /// One existing access key, by id.
    AccessKeyId(String),
    Secret,
}

impl Address {
    pub fn bucket(bucket: impl Into<String>) -> Address {
        Address::Bucket {
            bucket: bucket.into(),
        }
    }

    pub fn statement(bucket: impl Into<String>, destination: impl Into<String>) -> Address {
        Address::BucketStatement {
            bucket: bucket.into(),
            destination: destination.into(),
        }
    }

    pub fn destination(destination: impl Into<String>) -> Address {
        Address::Destination {
            destination: destination.into(),
            part: None,
        }
    }

    pub fn part(destination: impl Into<String>, part: Part) -> Address {
        Address::Destination {
            destination: destination.into(),
            part: Some(part),
        }
    }

    /// The destination the address belongs to; `None` for a bucket.
    pub fn destination_name(&self) -> Option<&str> {
        match self {
            Address::Bucket { .. } => None,
            Address::BucketStatement { destination, .. }
            | Address::Destination { destination, .. } => Some(destination),
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Bucket { bucket } => write!(f, "bucket.{bucket}"),
            Address::BucketStatement {
                bucket,
                destination,
            } => write!(f, "bucket.{bucket}.statement.{destination}"),
            Address::Destination { destination, part } => {
                write!(f, "destination.{destination}")?;
                match part {
                    None => Ok(()),
                    Some(Part::Role) => f.write_str(".role"),
                    Some(Part::RolePolicy) => f.write_str(".role_policy"),
                    Some(Part::User) => f.write_str(".user"),
                    Some(Part::UserPolicy) => f.write_str(".user_policy"),
                    Some(Part::Folder) => f.write_str(".folder"),
                    Some(Part::AccessKey) => f.write_str(".access_key"),
                    Some(Part::AccessKeyId(id)) => write!(f, ".access_key.{id}"),
                    Some(Part::Secret) => f.write_str(".secret"),
                }
            }
        }
    }
}

/// An address is the text it shows as (which is how tests and readers name one).
impl PartialEq<str> for Address {
    fn eq(&self, text: &str) -> bool {
        // Matched piece by piece as the address is written, without building it.
        struct Rest<'t>(&'t str);
        impl fmt::Write for Rest<'_> {
            fn write_str(&mut self, piece: &str) -> fmt::Result {
                self.0 = self.0.strip_prefix(piece).ok_or(fmt::Error)?;
                Ok(())
            }
        }
        let mut rest = Rest(text);
        fmt::write(&mut rest, format_args!("{self}")).is_ok() && rest.0.is_empty()
    }
}

impl PartialEq<&str> for Address {
    fn eq(&self, text: &&str) -> bool {
        self == *text
    }
}

/// The two kinds of IAM identity s3dest makes: a role (assumed by the vendor) or a
/// user (whose access key the vendor holds). Each carries one s3dest inline policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdentityKind {
    Role,
    User,
}

impl IdentityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityKind::Role => "role",
            IdentityKind::User => "user",
        }
    }

    /// The part of a destination that is an identity of this kind.
    pub fn part(self) -> Part {
        match self {
            IdentityKind::Role => Part::Role,
            IdentityKind::User => Part::User,
        }
    }

    /// The part of a destination that is the inline policy of its identity of this kind.
    pub fn policy_part(self) -> Part {
        match self {
            IdentityKind::Role => Part::RolePolicy,
            IdentityKind::User => Part::UserPolicy,
        }
    }
}

/// One thing s3dest manages, as a change shows it: what AWS holds (`before`) or what
/// the spec makes of it (`after`).
#[derive(Debug, Clone, PartialEq)]
pub enum Resource {
    /// A bucket s3dest creates; it always blocks all public access and encrypts with
    /// SSE-S3 (see the AWS edge's `CreateBucket`).
    Bucket { name: String, region: String },
    Role {
        name: String,
        path: String,
        arn: String,
        trust: PolicyDocument,
        tags: BTreeMap<String, String>,
    },
    /// The s3dest inline policy of a role or user.
    InlinePolicy {
        kind: IdentityKind,
        identity: String,
        name: String,
        policy: PolicyDocument,
    },
    /// A destination's statement in a bucket's policy.
    BucketStatement {
        bucket: String,
        sid: String,
        statement: Statement,
    },
    /// A folder marker object; `key` ends with `/`.
    Folder { bucket: String, key: String },
    User {
        name: String,
        path: String,
        arn: String,
        tags: BTreeMap<String, String>,
        keys: UserKeys,
    },
    /// An existing access key. What is known of it is `None` when the read did not
    /// find it.
    AccessKey {
        user: String,
        id: String,
        active: bool,
        created: Option<Timestamp>,
        age_days: Option<i64>,
        last_used: Option<Timestamp>,
    },
    /// A key to be made: its id is known only after apply, its secret only to the
    /// Secrets Manager secret it is written to.
    NewAccessKey { user: String, secret: String },
    /// The record on a user that a key creation is under way (`TAG_KEY_PENDING`).
    KeyPendingTag { user: String, present: bool },
    /// The record on a secret of the spec file that made it (`TAG_FILE`), rewritten on
    /// its own after the spec file moved.
    SecretFileTag { secret: String, file: String },
    /// The Secrets Manager secret of an access-key destination.
    Secret {
        name: String,
        arn: String,
        access_key_id: Option<String>,
    },
}

/// The keys side of a user: how the spec wants them kept, or which AWS holds.
#[derive(Debug, Clone, PartialEq)]
pub enum UserKeys {
    /// The spec's user: where its key goes and when it is rotated.
    Wanted { secret: String, rules: KeyRules },
    /// The user as read: the ids of its access keys.
    Held { ids: Vec<String> },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_show_as_dotted_paths() {
        let shown = [
            (Address::bucket("acme"), "bucket.acme"),
            (
                Address::statement("acme", "pendo"),
                "bucket.acme.statement.pendo",
            ),
            (Address::destination("p"), "destination.p"),
            (Address::part("p", Part::Role), "destination.p.role"),
            (
                Address::part("p", Part::RolePolicy),
                "destination.p.role_policy",
            ),
            (Address::part("p", Part::User), "destination.p.user"),
            (
                Address::part("p", Part::UserPolicy),
                "destination.p.user_policy",
            ),
            (Address::part("p", Part::Folder), "destination.p.folder"),
            (
                Address::part("p", Part::AccessKey),
                "destination.p.access_key",
            ),
            (
                Address::part("p", Part::AccessKeyId("AKIA1".into())),
                "destination.p.access_key.AKIA1",
            ),
            (Address::part("p", Part::Secret), "destination.p.secret"),
        ];
        for (address, text) in shown {
            assert_eq!(address.to_string(), text);
            assert_eq!(address, text);
        }
        let role = Address::part("p", Part::Role);
        for other in [
            "destination.p",
            "destination.p.role.x",
            "destination.p.rol",
            "",
        ] {
            assert_ne!(role, other);
        }
        assert_eq!(role.destination_name(), Some("p"));
        assert_eq!(Address::bucket("acme").destination_name(), None);
    }
}
