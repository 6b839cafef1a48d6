//! Presets: a spec destination → the resources its vendor needs, derived from the
//! vendor's description in the catalogue (`s3dest-vendors`). Nothing here names a vendor:
//! what differs between vendors is data there (see `docs/presets.md`).

mod bucket_facts;
mod custom;

pub use bucket_facts::{KMS_GRANT_SID, key_policy_note, unsupported, with_bucket_facts};

use std::collections::BTreeMap;

use s3dest_policy::{Effect, PolicyDocument, Statement, wildcard_matches};
use s3dest_spec::vendors::{Description, ExternalId, Identity, Placement, ScopeRule, Trust};
use s3dest_spec::{Auth, Destination, Scope, Spec, SpecFile};

use crate::model::{
    Concern, DEFAULT_KEY_MAX_AGE_DAYS, Desired, DesiredBucket, DesiredDestination, ExistingRole,
    IAM_PATH, KeyRules, LOCK_GUARD_SID, LOCK_KEY, RoleDef, TAG_BUCKET, TAG_DESTINATION, TAG_FILE,
    TAG_FOLDER, TAG_POLICY, TAG_SPEC, TAG_TRUST, UserDef, secret_name,
};
use crate::sid::statement_sid;

/// What every preset needs besides the destination itself.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub spec: &'a str,
    pub account_id: &'a str,
    /// The spec file, when known: recorded in the ownership tags.
    pub file: Option<&'a SpecFile>,
}

/// The region s3dest creates buckets in when neither the bucket nor the spec names one.
pub const DEFAULT_REGION: &str = "us-east-1";

/// Expands a whole spec into desired resources.
pub fn expand(spec: &Spec, account_id: &str) -> Desired {
    let ctx = Context {
        spec: &spec.name,
        account_id,
        file: spec.file.as_ref(),
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
        file: spec.file.clone(),
        moved_from: spec.moved_from.clone(),
        buckets,
        destinations,
    }
}

/// The name of the role s3dest makes for a destination (not an existing role it only
/// adds a policy to), known before the account id is.
pub fn role_name(dest: &Destination) -> Option<String> {
    match dest.vendor.description().identity {
        Identity::OwnRole { .. } => dest.effective_role_name(),
        Identity::ExistingRole { .. } | Identity::None => None,
    }
}

/// Role names that vendors fix (Pendo's `pendo_datasync`, at `/`): s3dest's roles outside
/// `/s3dest/`, read by name whatever the spec holds, so that one left by a removed
/// destination is found.
pub fn fixed_role_names() -> impl Iterator<Item = &'static str> {
    s3dest_spec::Vendor::all().filter_map(|v| v.fixed_role().map(|f| f.name))
}

/// The default names of the customer's roles that vendors add a policy to (Datadog's
/// `DatadogIntegrationRole`).
pub fn existing_role_default_names() -> impl Iterator<Item = &'static str> {
    s3dest_spec::Vendor::all().filter_map(|v| match v.description().identity {
        Identity::ExistingRole { default_name, .. } => Some(default_name),
        _ => None,
    })
}

/// The IAM user name of an access-key destination.
pub fn user_name(dest: &Destination) -> Option<String> {
    (dest.auth == Auth::AccessKey).then(|| default_name(dest))
}

fn default_name(dest: &Destination) -> String {
    format!("s3dest-{}", dest.name)
}

/// The statements a vendor is granted, before they are placed (identity policy or
/// bucket policy).
fn grant_statements(d: &Description, dest: &Destination, bucket: Bucket) -> Vec<Statement> {
    if d.grants.from_spec {
        return custom::statements(&dest.actions, bucket);
    }
    let mut statements = Vec::new();
    if !d.grants.bucket_actions.is_empty() {
        let mut s = Statement::allow()
            .with_actions(d.grants.bucket_actions.iter().copied())
            .with_resources([bucket.arn()]);
        if let Some(sid) = d.grants.bucket_sid {
            s = s.with_sid(sid);
        }
        statements.push(s);
    }
    if !d.grants.object_actions.is_empty() {
        let mut resources = vec![bucket.objects()];
        if d.grants.objects_also_on_bucket {
            resources.push(bucket.arn());
        }
        let mut s = Statement::allow()
            .with_actions(d.grants.object_actions.iter().copied())
            .with_resources(resources);
        if let Some(sid) = d.grants.object_sid {
            s = s.with_sid(sid);
        }
        statements.push(s);
    }
    statements
}

/// The actions a vendor is granted, wherever they apply.
fn vendor_actions(d: &Description, dest: &Destination) -> Vec<String> {
    if d.grants.from_spec {
        return dest.actions.clone();
    }
    d.grants.actions().map(str::to_owned).collect()
}

/// Who acts for the vendor: the principals a role trusts, or a bucket statement names.
fn acting_principals(d: &Description, dest: &Destination) -> Vec<String> {
    match &d.trust {
        Trust::Customer { .. } => dest.principal.iter().map(|p| p.to_arn()).collect(),
        Trust::Fixed { .. } => dest
            .trust
            .or_else(|| dest.vendor.default_trust_variant())
            .map(|v| v.principals.iter().map(|p| (*p).to_owned()).collect())
            .unwrap_or_default(),
        Trust::Unchanged => Vec::new(),
    }
}

/// The preset's warnings about the trust of a role s3dest makes.
fn trust_warnings(d: &Description, dest: &Destination) -> Vec<(Concern, String)> {
    let mut warnings = Vec::new();
    match d.external_id {
        ExternalId::Impossible { warning, .. } => {
            warnings.push((Concern::MissingExternalId, warning.to_owned()));
        }
        ExternalId::Optional { warning } if dest.external_id.is_none() => {
            warnings.push((Concern::MissingExternalId, warning.to_owned()));
        }
        _ => {}
    }
    warnings
}

fn expand_destination(dest: &Destination, ctx: &Context) -> DesiredDestination {
    let d = dest.vendor.description();
    let folder = dest.data_folder();
    let scope = match d.scope {
        ScopeRule::Choice { default } => dest.scope.unwrap_or(default),
        ScopeRule::Fixed { scope, .. } => scope,
    };
    let bucket = Bucket {
        name: &dest.bucket,
        folder: folder.as_deref().filter(|_| scope == Scope::Folder),
    };
    let statements = grant_statements(d, dest, bucket);
    let principals = acting_principals(d, dest);
    let role = role_name(dest).map(|name| {
        let trust = trust(principals.clone(), dest.external_id.as_deref());
        let mut tags = ownership_tags(dest, ctx);
        tags.insert(TAG_TRUST.to_owned(), trust.digest());
        RoleDef {
            path: dest
                .vendor
                .fixed_role()
                .map_or(IAM_PATH, |f| f.path)
                .to_owned(),
            name,
            trust,
            tags,
        }
    });
    let existing_role = match (&d.identity, dest.auth) {
        (Identity::ExistingRole { .. }, Auth::Role) => {
            dest.effective_role_name().map(|name| ExistingRole {
                name,
                policy_name: statement_sid(ctx.spec, &dest.name),
            })
        }
        _ => None,
    };
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
    let sid = statement_sid(ctx.spec, &dest.name);
    let (mut inline_policy, bucket_statement) = match (d.placement, &role, &user) {
        // The role method's bucket-policy grant (Pendo) names the role as principal.
        (Placement::BucketStatement, Some(role), _) => {
            let principal = role.arn(ctx.account_id);
            let statement = merge(statements)
                .with_sid(sid)
                .with_principal_aws([principal]);
            (None, Some(statement))
        }
        // An IAM user in this account needs no bucket-policy statement: the same grant
        // goes into its own policy, and the shared bucket policy stays untouched.
        (Placement::BucketStatement, None, Some(_)) => {
            (Some(PolicyDocument::new(statements)), None)
        }
        // No identity at all (Cloudflare): the vendor's own principal in the bucket policy.
        (Placement::BucketStatement, None, None) => {
            let statement = merge(statements)
                .with_sid(sid)
                .with_principal_aws(principals);
            (None, Some(statement))
        }
        (Placement::IdentityPolicy, _, _) => (Some(PolicyDocument::new(statements)), None),
    };
    // Whoever holds this grant must not be able to plant, read or delete s3dest's
    // bucket-policy lock (it would block every apply, or break the lock of a running
    // one): an explicit Deny in the identity's own policy wins over any Allow. A
    // vendor's own principal (no identity of the customer's) cannot be given one.
    let lock = format!("arn:aws:s3:::{}/{LOCK_KEY}", dest.bucket);
    let covers_lock = |s: &Statement| {
        s.effect == Effect::Allow
            && s.resource
                .iter()
                .flatten()
                .any(|r| wildcard_matches(r, &lock))
    };
    let has_identity = role.is_some() || user.is_some() || existing_role.is_some();
    let grants_lock = inline_policy
        .iter()
        .flat_map(|p| &p.statements)
        .chain(&bucket_statement)
        .any(covers_lock);
    if grants_lock && has_identity {
        let guard = Statement::deny()
            .with_sid(LOCK_GUARD_SID)
            .with_actions(["s3:*"])
            .with_resources([lock]);
        inline_policy
            .get_or_insert_with(|| PolicyDocument::new(Vec::new()))
            .statements
            .push(guard);
    }
    // The presets' warnings concern roles s3dest makes.
    let mut warnings = Vec::new();
    if role.is_some() {
        if d.grants.from_spec {
            warnings.extend(custom::warnings(&dest.actions, bucket));
        }
        warnings.extend(trust_warnings(d, dest));
    }
    let mut expanded = DesiredDestination {
        name: dest.name.clone(),
        vendor: dest.vendor,
        auth: dest.auth,
        bucket: dest.bucket.clone(),
        folder,
        external_id: role.as_ref().and(dest.external_id.clone()),
        role,
        existing_role,
        user,
        inline_policy,
        bucket_statement,
        vendor_actions: vendor_actions(d, dest),
        adopt: dest.adopt,
        warnings,
    };
    record_policy(&mut expanded);
    expanded
}

/// Records the digest of the destination's inline policy in the tags its new role or
/// user is made with ([`TAG_POLICY`]): a plan then tells a policy changed outside
/// s3dest from one the spec changes.
pub(super) fn record_policy(dest: &mut DesiredDestination) {
    let digest = dest.inline_policy.as_ref().map(PolicyDocument::digest);
    let tags = match (&mut dest.role, &mut dest.user) {
        (Some(role), _) => &mut role.tags,
        (None, Some(user)) => &mut user.tags,
        (None, None) => return,
    };
    match digest {
        Some(digest) => tags.insert(TAG_POLICY.to_owned(), digest),
        None => tags.remove(TAG_POLICY),
    };
}

/// One bucket-policy statement from a preset's statements (its bucket actions and object
/// actions together, as the guides that use the bucket policy write them).
fn merge(statements: Vec<Statement>) -> Statement {
    let mut actions: Vec<String> = Vec::new();
    let mut resources: Vec<String> = Vec::new();
    for s in statements {
        for a in s.action.into_iter().flatten() {
            if !actions.contains(&a) {
                actions.push(a);
            }
        }
        for r in s.resource.into_iter().flatten() {
            if !resources.contains(&r) {
                resources.push(r);
            }
        }
    }
    Statement::allow()
        .with_actions(actions)
        .with_resources(resources)
}

/// The user's tags plus the ones that make ownership and prune work without state.
pub fn ownership_tags(dest: &Destination, ctx: &Context) -> BTreeMap<String, String> {
    let mut tags = dest.tags.clone();
    tags.insert(TAG_SPEC.to_owned(), ctx.spec.to_owned());
    tags.insert(TAG_DESTINATION.to_owned(), dest.name.clone());
    tags.insert(TAG_BUCKET.to_owned(), dest.bucket.clone());
    if let Some(folder) = dest.data_folder() {
        tags.insert(TAG_FOLDER.to_owned(), folder);
    }
    if let Some(file) = ctx.file {
        tags.insert(TAG_FILE.to_owned(), file.as_str().to_owned());
    }
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
