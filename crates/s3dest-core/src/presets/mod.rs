//! Presets: one file per vendor, each turning a spec destination into the
//! resources that vendor's setup guide asks for (see `docs/presets.md`).
//! Adding a vendor is adding one file here and one arm in [`expand_destination`].

mod braze;
mod custom;
mod pendo;

pub use pendo::ROLE_NAME as PENDO_ROLE_NAME;
mod walkme;

use std::collections::BTreeMap;

use s3dest_policy::{Effect, PolicyDocument, Statement, wildcard_matches};
use s3dest_spec::{Auth, Destination, Scope, Spec, Vendor};

use crate::model::{
    Concern, DEFAULT_KEY_MAX_AGE_DAYS, Desired, DesiredBucket, DesiredDestination, IAM_PATH,
    KeyRules, LOCK_GUARD_SID, LOCK_KEY, RoleDef, TAG_BUCKET, TAG_DESTINATION, TAG_FOLDER, TAG_SPEC,
    UserDef, secret_name,
};
use crate::sid::statement_sid;

/// What every preset needs besides the destination itself.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub spec: &'a str,
    pub account_id: &'a str,
}

/// The region s3dest creates buckets in when neither the bucket nor the spec names one.
pub const DEFAULT_REGION: &str = "us-east-1";

/// Expands a whole spec into desired resources.
pub fn expand(spec: &Spec, account_id: &str) -> Desired {
    let ctx = Context {
        spec: &spec.name,
        account_id,
    };
    let buckets = spec
        .buckets
        .values()
        .map(|b| {
            let region = b.region.clone().or_else(|| {
                b.create.then(|| {
                    spec.region
                        .clone()
                        .unwrap_or_else(|| DEFAULT_REGION.to_owned())
                })
            });
            let desired = DesiredBucket {
                name: b.name.clone(),
                create: b.create,
                region,
                region_declared: b.region.is_some(),
            };
            (b.name.clone(), desired)
        })
        .collect();
    let destinations = spec
        .destinations
        .values()
        .map(|d| (d.name.clone(), expand_destination(d, &ctx)))
        .collect();
    Desired {
        spec: spec.name.clone(),
        account_id: account_id.to_owned(),
        buckets,
        destinations,
    }
}

/// The role name a destination gets, known before the account id is.
pub fn role_name(dest: &Destination) -> Option<String> {
    match (dest.auth, dest.vendor) {
        (Auth::AccessKey, _) => None,
        (Auth::Role, Vendor::PendoDataSync) => Some(pendo::ROLE_NAME.to_owned()),
        (Auth::Role, _) => Some(dest.role_name.clone().unwrap_or_else(|| default_name(dest))),
    }
}

/// The IAM user name of an access-key destination.
pub fn user_name(dest: &Destination) -> Option<String> {
    (dest.auth == Auth::AccessKey).then(|| default_name(dest))
}

fn default_name(dest: &Destination) -> String {
    format!("s3dest-{}", dest.name)
}

/// What a preset decides: who may assume the role, and where the grant lives.
struct Grant {
    trust: PolicyDocument,
    /// The identity's inline policy (Braze, WalkMe, custom).
    inline_policy: Option<PolicyDocument>,
    /// The destination's bucket-policy statement, without Sid (Pendo).
    bucket_statement: Option<Statement>,
    warnings: Vec<(Concern, String)>,
}

fn expand_destination(dest: &Destination, ctx: &Context) -> DesiredDestination {
    // Object grants cover the bucket, as the guides write them, unless the spec scopes
    // them to the folder (custom's default).
    let default_scope = if dest.vendor == Vendor::Custom {
        Scope::Folder
    } else {
        Scope::Bucket
    };
    let bucket = Bucket {
        name: &dest.bucket,
        folder: (dest.scope.unwrap_or(default_scope) == Scope::Folder)
            .then_some(dest.folder.as_str()),
    };
    let grant = match dest.vendor {
        Vendor::PendoDataSync => pendo::grant(dest, bucket),
        Vendor::BrazeCurrents => braze::grant(dest, bucket, braze::Feature::Currents),
        Vendor::BrazeDataExport => braze::grant(dest, bucket, braze::Feature::DataExport),
        Vendor::BrazeSecurityEvents => braze::grant(dest, bucket, braze::Feature::SecurityEvents),
        Vendor::Walkme => walkme::grant(bucket),
        Vendor::Custom => custom::grant(dest, bucket),
    };
    let role = role_name(dest).map(|name| RoleDef {
        path: if dest.vendor == Vendor::PendoDataSync {
            "/".to_owned()
        } else {
            IAM_PATH.to_owned()
        },
        name,
        trust: grant.trust,
        tags: ownership_tags(dest, ctx),
    });
    let user = user_name(dest).map(|name| UserDef {
        name,
        path: IAM_PATH.to_owned(),
        tags: ownership_tags(dest, ctx),
        secret_name: secret_name(ctx.spec, &dest.name),
        key_rules: KeyRules {
            max_age_days: dest.key_max_age_days.unwrap_or(DEFAULT_KEY_MAX_AGE_DAYS),
            grace_days: dest.key_grace_days,
        },
    });
    let mut inline_policy = grant.inline_policy;
    let mut bucket_statement = None;
    match (&role, grant.bucket_statement) {
        // The role method's bucket-policy grant (Pendo) names the role as principal.
        (Some(role), Some(s)) => {
            let principal = role.arn(ctx.account_id);
            bucket_statement = Some(
                s.with_sid(statement_sid(ctx.spec, &dest.name))
                    .with_principal_aws([principal]),
            );
        }
        // An IAM user in this account needs no bucket-policy statement: the same grant
        // goes into its own policy, and the shared bucket policy stays untouched.
        (None, Some(s)) => inline_policy = Some(PolicyDocument::new(vec![s])),
        (_, None) => {}
    }
    // Whoever holds this grant must not be able to plant, read or delete s3dest's
    // bucket-policy lock (it would block every apply, or break the lock of a running
    // one): an explicit Deny in the identity's own policy wins over any Allow.
    let lock = format!("arn:aws:s3:::{}/{LOCK_KEY}", dest.bucket);
    let covers_lock = |s: &Statement| {
        s.effect == Effect::Allow
            && s.resource
                .iter()
                .flatten()
                .any(|r| wildcard_matches(r, &lock))
    };
    let grants_lock = inline_policy
        .iter()
        .flat_map(|p| &p.statements)
        .chain(&bucket_statement)
        .any(covers_lock);
    if grants_lock {
        let guard = Statement::deny()
            .with_sid(LOCK_GUARD_SID)
            .with_actions(["s3:*"])
            .with_resources([lock]);
        inline_policy
            .get_or_insert_with(|| PolicyDocument::new(Vec::new()))
            .statements
            .push(guard);
    }
    // Trust warnings (no external ID) concern roles only.
    let warnings = if role.is_some() {
        grant.warnings
    } else {
        Vec::new()
    };
    DesiredDestination {
        name: dest.name.clone(),
        vendor: dest.vendor,
        auth: dest.auth,
        bucket: dest.bucket.clone(),
        folder: dest.folder.clone(),
        role,
        user,
        inline_policy,
        bucket_statement,
        adopt: dest.adopt,
        warnings,
    }
}

/// The user's tags plus the ones that make ownership and prune work without state.
pub fn ownership_tags(dest: &Destination, ctx: &Context) -> BTreeMap<String, String> {
    let mut tags = dest.tags.clone();
    tags.insert(TAG_SPEC.to_owned(), ctx.spec.to_owned());
    tags.insert(TAG_DESTINATION.to_owned(), dest.name.clone());
    tags.insert(TAG_BUCKET.to_owned(), dest.bucket.clone());
    tags.insert(TAG_FOLDER.to_owned(), dest.folder.clone());
    tags
}

/// ARNs of a bucket, as the guides write them.
#[derive(Debug, Clone, Copy)]
struct Bucket<'a> {
    name: &'a str,
    /// Set when object grants are scoped to this folder.
    folder: Option<&'a str>,
}

impl Bucket<'_> {
    fn arn(self) -> String {
        format!("arn:aws:s3:::{}", self.name)
    }

    /// The objects a grant covers: the guides' `arn:aws:s3:::BUCKET/*` (never `BUCKET*`,
    /// which matches other buckets), or `arn:aws:s3:::BUCKET/FOLDER/*` when scoped.
    fn objects(self) -> String {
        match self.folder {
            Some(folder) => format!("arn:aws:s3:::{}/{folder}/*", self.name),
            None => format!("arn:aws:s3:::{}/*", self.name),
        }
    }
}

/// The trust policy of a destination that names its principal and external ID.
fn dest_trust(dest: &Destination) -> PolicyDocument {
    let principal = dest.principal.iter().map(|p| p.to_arn()).collect();
    trust(principal, dest.external_id.as_deref())
}

/// A trust policy letting `principals` assume the role, with the external-ID condition if any.
fn trust(principals: Vec<String>, external_id: Option<&str>) -> PolicyDocument {
    let mut statement = Statement::allow()
        .with_principal_aws(principals)
        .with_actions(["sts:AssumeRole"]);
    if let Some(id) = external_id {
        statement = statement.with_condition("StringEquals", "sts:ExternalId", [id]);
    }
    PolicyDocument::new(vec![statement])
}

#[cfg(test)]
mod tests;
