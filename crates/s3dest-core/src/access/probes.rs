//! What is asked of the policies for one destination: the requests its vendor needs,
//! and probes of what it could do beyond them. Each request's context is what s3dest
//! knows of the vendor's requests; everything else is unknown.

use s3dest_policy::eval::keys;
use s3dest_policy::{Context, ContextValue, Effect};
use s3dest_spec::vendors::{Encryption, Header};

use super::Reach;
use crate::model::{BucketEncryption, BucketInfo, Desired, DesiredDestination, LOCK_KEY};

/// The object a request under a folder names.
pub(super) const PROBE_OBJECT: &str = "s3dest-probe";
/// How many other destinations' folders are probed one by one (in name order).
pub(super) const OTHER_DESTINATIONS_PROBED: usize = 10;
/// A folder no destination uses, for the probe of "any other folder".
const OTHER_FOLDER: &str = "s3dest-probe-other-folder";
/// What is appended to the bucket's name for the probe of a bucket whose name starts with it.
const PREFIX_BUCKET_SUFFIX: &str = "-s3dest-probe";

/// One request to evaluate.
pub(super) struct Asked {
    pub action: String,
    pub resource: String,
    pub reach: Reach,
    /// On the bucket's KMS key (its key policy is not read).
    pub on_key: bool,
    /// On another bucket (this bucket's policy does not apply to it).
    pub other_bucket: bool,
}

impl Asked {
    fn new(action: &str, resource: impl Into<String>, reach: Reach) -> Asked {
        Asked {
            action: action.to_owned(),
            resource: resource.into(),
            reach,
            on_key: false,
            other_bucket: false,
        }
    }
}

/// The requests to evaluate for `dest`: those its vendor needs, then the probes.
pub(super) fn asked(
    dest: &DesiredDestination,
    desired: &Desired,
    bucket: Option<&BucketInfo>,
) -> Vec<Asked> {
    let bucket_arn = format!("arn:aws:s3:::{}", dest.bucket);
    let object_in = |bucket: &str, folder: Option<&str>| match folder {
        Some(folder) => format!("arn:aws:s3:::{bucket}/{folder}/{PROBE_OBJECT}"),
        None => format!("arn:aws:s3:::{bucket}/{PROBE_OBJECT}"),
    };
    let own_object = object_in(&dest.bucket, dest.folder.as_deref());
    let (bucket_actions, object_actions) = needed_actions(dest, &bucket_arn);
    let mut asked: Vec<Asked> = Vec::new();
    for action in &bucket_actions {
        asked.push(Asked::new(action, &bucket_arn, Reach::Needed));
    }
    for action in &object_actions {
        asked.push(Asked::new(action, &own_object, Reach::Needed));
    }
    asked.extend(key_requests(dest, desired, bucket, &object_actions));

    let probe_actions: Vec<String> = if object_actions.is_empty() {
        vec!["s3:PutObject".to_owned()]
    } else {
        object_actions.clone()
    };
    let mut probe = |resource: &str, reach: Reach, other_bucket: bool| {
        for action in &probe_actions {
            let mut a = Asked::new(action, resource, reach.clone());
            a.other_bucket = other_bucket;
            asked.push(a);
        }
    };
    let inside_own = |folder: &str| match &dest.folder {
        Some(own) => folder == own || folder.starts_with(&format!("{own}/")),
        None => false,
    };
    // The folders of the bucket's other destinations, at most a few one by one: the
    // probe of a folder no destination uses stands for the rest, and the number of
    // requests stays linear in the spec's size.
    let others = desired
        .destinations
        .values()
        .filter(|o| o.name != dest.name && o.bucket == dest.bucket)
        .filter(|o| o.folder.as_deref().is_some_and(|f| !inside_own(f)))
        .take(OTHER_DESTINATIONS_PROBED);
    for other in others {
        let Some(folder) = other.folder.as_deref() else {
            continue;
        };
        let reach = Reach::OtherFolder {
            folder: folder.to_owned(),
            destination: Some(other.name.clone()),
        };
        probe(&object_in(&dest.bucket, Some(folder)), reach, false);
    }
    if dest.folder.is_some() && !inside_own(OTHER_FOLDER) {
        let reach = Reach::OtherFolder {
            folder: OTHER_FOLDER.to_owned(),
            destination: None,
        };
        probe(&object_in(&dest.bucket, Some(OTHER_FOLDER)), reach, false);
    }
    let prefix_bucket = format!("{}{PREFIX_BUCKET_SUFFIX}", dest.bucket);
    probe(
        &object_in(&prefix_bucket, dest.folder.as_deref()),
        Reach::PrefixBucket,
        true,
    );
    let lock = format!("{bucket_arn}/{LOCK_KEY}");
    for action in ["s3:PutObject", "s3:DeleteObject"] {
        asked.push(Asked::new(action, &lock, Reach::Lock));
    }
    asked.push(Asked::new(
        "s3:PutBucketPolicy",
        &bucket_arn,
        Reach::BucketPolicy,
    ));
    asked
}

/// The vendor's bucket actions and object actions: its grant's, or for a grant the spec
/// lists (`custom`), the spec's allowed actions without wildcards, each on the bucket or
/// on objects as its statement's resources say.
fn needed_actions(dest: &DesiredDestination, bucket_arn: &str) -> (Vec<String>, Vec<String>) {
    let grants = &dest.vendor.description().grants;
    let mut bucket: Vec<String> = grants
        .bucket_actions
        .iter()
        .map(|a| (*a).to_owned())
        .collect();
    let mut objects: Vec<String> = grants
        .object_actions
        .iter()
        .map(|a| (*a).to_owned())
        .collect();
    if grants.from_spec {
        let allows = dest
            .inline_policy
            .iter()
            .flat_map(|p| &p.statements)
            .filter(|s| s.effect == Effect::Allow);
        for statement in allows {
            let on_bucket = statement.resource.iter().flatten().any(|r| r == bucket_arn);
            let list = if on_bucket { &mut bucket } else { &mut objects };
            for action in statement.action.iter().flatten() {
                if !action.contains('*') && !action.starts_with("kms:") && !list.contains(action) {
                    list.push(action.clone());
                }
            }
        }
    }
    (bucket, objects)
}

/// What an upload or a read needs of the bucket's customer managed key, for an identity
/// in the customer's account (`kms:GenerateDataKey` to write, `kms:Decrypt` to read).
/// None for a vendor that cannot work with SSE-KMS (that is an error of its own), for
/// the vendor's own principal, or for a key named by an alias (it cannot be resolved).
fn key_requests(
    dest: &DesiredDestination,
    desired: &Desired,
    bucket: Option<&BucketInfo>,
    object_actions: &[String],
) -> Vec<Asked> {
    let has_identity = dest.role.is_some() || dest.user.is_some() || dest.existing_role.is_some();
    if !has_identity
        || matches!(
            dest.vendor.description().encryption,
            Encryption::Unsupported { .. }
        )
    {
        return Vec::new();
    }
    let Some(bucket) = bucket else {
        return Vec::new();
    };
    let Some(arn) = bucket
        .encryption
        .as_ref()
        .and_then(BucketEncryption::customer_key)
        .and_then(|key| key.key_arn(&bucket.region, &desired.account_id))
    else {
        return Vec::new();
    };
    let has = |action: &str| {
        object_actions
            .iter()
            .any(|a| a.eq_ignore_ascii_case(action))
    };
    let mut asked = Vec::new();
    if has("s3:PutObject") {
        asked.push(Asked::new("kms:GenerateDataKey", &arn, Reach::Needed));
    }
    if has("s3:GetObject") {
        asked.push(Asked::new("kms:Decrypt", &arn, Reach::Needed));
    }
    for a in &mut asked {
        a.on_key = true;
    }
    asked
}

/// What s3dest knows of the vendor's request: TLS always; the headers its guide
/// documents on uploads; the prefix it lists. Everything else (source IP, VPC
/// endpoint, …) is unknown.
pub(super) fn context(dest: &DesiredDestination, action: &str) -> Context {
    let sends = dest.vendor.description().sends;
    let header = |h: Header| match h {
        Header::Sent(v) => ContextValue::known(v),
        Header::NotSent => ContextValue::Absent,
        Header::Unknown => ContextValue::Unknown,
    };
    let upload = action.eq_ignore_ascii_case("s3:PutObject");
    let (sse, acl) = if upload {
        (header(sends.encryption_header), header(sends.acl))
    } else {
        (ContextValue::Absent, ContextValue::Absent)
    };
    let prefix = if action.eq_ignore_ascii_case("s3:ListBucket") {
        ContextValue::from_option(dest.folder.as_deref().map(|f| format!("{f}/")).as_deref())
    } else {
        ContextValue::Absent
    };
    let key_id = if upload {
        ContextValue::Unknown
    } else {
        ContextValue::Absent
    };
    Context::new()
        .with_secure_transport(true)
        .with(keys::SERVER_SIDE_ENCRYPTION, sse)
        .with(keys::SSE_KMS_KEY_ID, key_id)
        .with(keys::ACL, acl)
        .with(keys::PREFIX, prefix)
}
