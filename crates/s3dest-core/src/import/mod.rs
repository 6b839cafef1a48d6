//! `s3dest import`: the spec of the vendor setups that already exist in an account,
//! made by hand from the vendors' guides. Pure: from the account's roles and users and
//! the bucket policies as read, each vendor is recognised from its description in the
//! catalogue (one place, no second list), and what AWS cannot tell is said in comments
//! of the spec ([`to_yaml`]).
//!
//! - A role whose name a vendor fixes (Pendo's `pendo_datasync`), with its grant in the
//!   bucket policy.
//! - A role trusted by exactly one of a vendor's fixed sets of principals (WalkMe's
//!   current or earlier roles, Segment, Mixpanel).
//! - A role trusted by the principals a vendor's own setup makes its existing role trust
//!   (Datadog's integration role), with a policy granting a bucket.
//! - A role trusted by another account's root with an external ID: the Braze feature
//!   whose actions its grant has (all of them named when several fit), else `custom`.
//! - A bucket statement for a vendor's own principal (Cloudflare's user).
//! - Any other role of another account's with S3 grants: `custom`, with its actions.
//! - An IAM user with S3 grants: a possible access-key destination, commented out (its
//!   vendor cannot be known from AWS).

mod grants;
mod yaml;

use std::collections::{BTreeMap, BTreeSet};

use s3dest_policy::{Effect, Statement, normalize_aws_principal};
use s3dest_spec::vendors::{Folder, Identity, ScopeRule, Trust, TrustVariant, Vendor};

use crate::access::Trusted;
use crate::model::{Observed, ObservedBucket, ObservedRole, Owner};
use crate::phrase::code_list;
pub use grants::{BucketGrant, bucket_grants};
pub use yaml::to_yaml;

/// What `import` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub name: String,
    pub account_id: String,
    /// In name order.
    pub destinations: Vec<Found>,
    /// IAM users with S3 grants, which may be a vendor's access key.
    pub possible_keys: Vec<PossibleKey>,
    /// Roles left out, and why (another spec's, no grant on a read bucket…).
    pub notes: Vec<String>,
}

impl Imported {
    /// The buckets the destinations are in.
    pub fn buckets(&self) -> BTreeSet<&str> {
        self.destinations
            .iter()
            .map(|d| d.bucket.as_str())
            .collect()
    }
}

/// One destination recognised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub name: String,
    pub vendor: Vendor,
    pub bucket: String,
    pub folder: Option<String>,
    /// Why the folder is what it is (it is the grant's, or a guess to check).
    pub folder_note: Option<String>,
    pub principal: Option<String>,
    pub external_id: Option<String>,
    /// The vendor's fixed principals the role trusts, when not its default set.
    pub trust: Option<&'static TrustVariant>,
    pub role_name: Option<String>,
    /// The grant is the destination's folder only (`scope: folder`).
    pub scope_folder: bool,
    /// `custom`: the actions granted.
    pub actions: Vec<String>,
    pub adopt: bool,
    /// What it was recognised from.
    pub seen: Vec<String>,
    /// What the user must check: what AWS cannot tell.
    pub check: Vec<String>,
}

/// An IAM user with S3 grants on a bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PossibleKey {
    pub user: String,
    pub bucket: String,
    pub actions: Vec<String>,
    pub folder: Option<String>,
}

/// The buckets the account's roles and users are granted, and those named (`only`,
/// which when not empty is all that is read): the buckets whose policies `import`
/// reads.
pub fn buckets_to_read(observed: &Observed, only: &BTreeSet<String>) -> BTreeSet<String> {
    if !only.is_empty() {
        return only.clone();
    }
    let roles = observed.roles.values().map(|r| &r.inline_policies);
    let users = observed.users.values().map(|u| &u.inline_policies);
    roles
        .chain(users)
        .flat_map(|policies| policies.values().flat_map(|p| &p.statements))
        .flat_map(|s| bucket_grants([s]).into_keys())
        .collect()
}

/// The destinations of the account's hand-made vendor setups, in the buckets of
/// `only` (all read buckets when empty).
pub fn recognise(name: &str, observed: &Observed, only: &BTreeSet<String>) -> Imported {
    let in_scope = |bucket: &str| only.is_empty() || only.contains(bucket);
    let mut found: Vec<Found> = Vec::new();
    let mut notes = Vec::new();
    for role in observed.roles.values() {
        if let Owner::Spec { spec, .. } = role.owner() {
            notes.push(format!(
                "role `{}` is managed by s3dest spec `{spec}`: not imported",
                role.name
            ));
            continue;
        }
        if role.path.starts_with("/aws-service-role/") {
            continue;
        }
        let mut grants = bucket_grants(role.inline_policies.values().flat_map(|p| &p.statements));
        for (bucket, statements) in statements_naming(observed, &role.arn) {
            for (b, g) in bucket_grants(statements)
                .into_iter()
                .filter(|(b, _)| *b == bucket)
            {
                merge(grants.entry(b).or_default(), g);
            }
        }
        grants.retain(|bucket, _| in_scope(bucket));
        if grants.is_empty() {
            continue;
        }
        let trust = Trusted::of(&role.trust);
        if let Some(recognised) = recognise_role(role, &trust, &observed.account_id) {
            for (bucket, grant) in &grants {
                found.push(recognised.destination(role, bucket, grant, &trust));
            }
        }
    }
    found.extend(vendor_statements(observed, &in_scope));
    name_destinations(&mut found);
    found.sort_by(|a, b| a.name.cmp(&b.name));
    let possible_keys = possible_keys(observed, &in_scope);
    Imported {
        name: name.to_owned(),
        account_id: observed.account_id.clone(),
        destinations: found,
        possible_keys,
        notes,
    }
}

fn merge(into: &mut BucketGrant, from: BucketGrant) {
    into.actions.extend(from.actions);
    into.folders.extend(from.folders);
    into.prefix_mistake |= from.prefix_mistake;
    into.irregular |= from.irregular;
}

/// The statements of each read bucket's policy whose `AWS` principal is `arn`.
fn statements_naming<'o>(observed: &'o Observed, arn: &str) -> Vec<(String, Vec<&'o Statement>)> {
    observed
        .buckets
        .iter()
        .filter_map(|(bucket, read)| match read {
            ObservedBucket::Present(info) => info.policy.as_ref().map(|p| (bucket, p)),
            ObservedBucket::Missing => None,
        })
        .map(|(bucket, policy)| {
            let naming = policy
                .statements
                .iter()
                .filter(|s| s.effect == Effect::Allow && s.aws_principals().any(|p| p == arn))
                .collect();
            (bucket.clone(), naming)
        })
        .collect()
}

/// Which vendor a role is, and how it was told.
struct Recognised {
    vendor: Vendor,
    /// Other vendors it could be (Braze features with the same grants).
    also: Vec<Vendor>,
    trust: Option<&'static TrustVariant>,
    seen: String,
}

fn recognise_role(role: &ObservedRole, trust: &Trusted, account: &str) -> Option<Recognised> {
    let by = |vendor, seen: String| Recognised {
        vendor,
        also: Vec::new(),
        trust: None,
        seen,
    };
    // A role name the vendor fixes.
    if let Some(vendor) =
        Vendor::all().find(|v| v.fixed_role().is_some_and(|f| f.name == role.name))
    {
        let seen = format!(
            "role `{}`: {} looks its role up by this name",
            role.name,
            vendor.description().title
        );
        return Some(by(vendor, seen));
    }
    // The principals a vendor's own setup makes its existing role trust.
    for vendor in Vendor::all() {
        if let Identity::ExistingRole {
            default_name,
            trusted_by,
            ..
        } = vendor.description().identity
        {
            let trusted = trusted_by.iter().all(|p| trust.principals.contains(*p));
            if (trusted && !trusted_by.is_empty()) || role.name == default_name {
                let seen = format!(
                    "role `{}`, trusted by {}: {}",
                    role.name,
                    code_list(trusted_by.iter()),
                    vendor.description().title
                );
                return Some(by(vendor, seen));
            }
        }
    }
    // Exactly one of a vendor's fixed sets of principals.
    for vendor in Vendor::all() {
        let Trust::Fixed { variants, default } = vendor.description().trust else {
            continue;
        };
        if !matches!(vendor.description().identity, Identity::OwnRole { .. }) {
            continue;
        }
        for variant in variants {
            let set: BTreeSet<String> =
                variant.principals.iter().map(|p| (*p).to_owned()).collect();
            if set == trust.principals {
                let seen = format!("role `{}`, trusted by {}", role.name, variant.summary);
                return Some(Recognised {
                    vendor,
                    also: Vec::new(),
                    trust: (variant.name != default).then_some(variant),
                    seen,
                });
            }
        }
    }
    // Another account's principal the customer enters: by the actions granted.
    let foreign = trust.accounts().iter().any(|a| *a != account);
    if !foreign || trust.principals.len() != 1 {
        return None;
    }
    let principal = trust
        .principals
        .first()
        .map(String::as_str)
        .unwrap_or_default();
    let is_account = principal.ends_with(":root");
    let granted: BTreeSet<String> = role
        .inline_policies
        .values()
        .flat_map(|p| bucket_grants(&p.statements).into_values())
        .flat_map(|g| g.actions)
        .collect();
    let fits: Vec<Vendor> = Vendor::all()
        .filter(|v| {
            let d = v.description();
            let accepts = match d.trust {
                Trust::Customer { accepts, .. } => {
                    if is_account {
                        accepts.account
                    } else {
                        accepts.user_or_role
                    }
                }
                _ => false,
            };
            let actions: BTreeSet<String> = d.grants.actions().map(str::to_owned).collect();
            accepts && !d.grants.from_spec && v.fixed_role().is_none() && actions == granted
        })
        .collect();
    match fits.split_first() {
        Some((first, rest)) => Some(Recognised {
            vendor: *first,
            also: rest.to_vec(),
            trust: None,
            seen: format!(
                "role `{}`, trusted by `{principal}` with an external ID; its grant is {}'s",
                role.name,
                first.description().title
            ),
        }),
        None => Some(by(
            Vendor::named("custom"),
            format!(
                "role `{}`, trusted by `{principal}` of another account: no vendor of the catalogue grants exactly {}",
                role.name,
                code_list(&granted)
            ),
        )),
    }
}

impl Recognised {
    fn destination(
        &self,
        role: &ObservedRole,
        bucket: &str,
        grant: &BucketGrant,
        trust: &Trusted,
    ) -> Found {
        let vendor = self.vendor;
        let d = vendor.description();
        let mut check = Vec::new();
        if !self.also.is_empty() {
            check.push(format!(
                "its grant is also that of {}: set `vendor:` to the feature this role exports",
                code_list(&self.also)
            ));
        }
        let (folder, scope_folder, folder_note) = folder_of(vendor, bucket, grant);
        let customer_trust = matches!(d.trust, Trust::Customer { .. });
        let principal = customer_trust
            .then(|| trust.principals.first().cloned())
            .flatten()
            .map(|p| {
                match p
                    .strip_prefix("arn:aws:iam::")
                    .and_then(|r| r.strip_suffix(":root"))
                {
                    Some(account) => account.to_owned(),
                    None => p,
                }
            });
        let external_id = match &d.identity {
            Identity::OwnRole { .. }
                if !matches!(
                    d.external_id,
                    s3dest_spec::vendors::ExternalId::Impossible { .. }
                ) =>
            {
                trust.external_ids.first().cloned()
            }
            _ => None,
        };
        if trust.external_ids.len() > 1 {
            check.push(format!(
                "the trust accepts several external IDs ({}): the spec keeps the first, and apply removes the others",
                code_list(&trust.external_ids)
            ));
        }
        let fixed_name = vendor.fixed_role().is_some();
        let existing = matches!(d.identity, Identity::ExistingRole { default_name, .. } if default_name == role.name);
        let role_name = (!fixed_name && !existing).then(|| role.name.clone());
        let actions = if d.grants.from_spec {
            grant.actions.iter().cloned().collect()
        } else {
            Vec::new()
        };
        if grant.prefix_mistake {
            check.push(format!(
                "the grant names `arn:aws:s3:::{bucket}*`, every bucket whose name starts so: s3dest's names `arn:aws:s3:::{bucket}/*`"
            ));
        }
        if grant.irregular {
            check.push(
                "a statement of the grant has a condition, a `Not…` element or a `Deny`: s3dest's policy has none of them, so compare it with the plan"
                    .to_owned(),
            );
        }
        Found {
            name: String::new(),
            vendor,
            bucket: bucket.to_owned(),
            folder,
            folder_note,
            principal,
            external_id,
            trust: self.trust,
            role_name,
            scope_folder,
            actions,
            adopt: true,
            seen: vec![self.seen.clone()],
            check,
        }
    }
}

/// The destination's folder as the grant names it, whether the grant is the folder's
/// only, and a note on it. A whole-bucket grant does not say where the vendor writes.
fn folder_of(
    vendor: Vendor,
    bucket: &str,
    grant: &BucketGrant,
) -> (Option<String>, bool, Option<String>) {
    let d = vendor.description();
    let named: Vec<&String> = grant.folders.iter().flatten().collect();
    let whole = grant.folders.is_empty() || grant.folders.contains(&None);
    let choice = matches!(d.scope, ScopeRule::Choice { .. });
    let from_grant = |f: &str| Some(format!("from the grant on `arn:aws:s3:::{bucket}/{f}/*`"));
    let unknown = "the grant covers the whole bucket, so AWS does not say where the vendor \
                   writes: set the folder entered in the vendor's settings";
    match d.folder {
        Folder::Unknown { .. } => (None, false, None),
        Folder::Prefix { subfolder } => match named.as_slice() {
            [one] if one.as_str() == subfolder => (None, false, None),
            [one] => match one.strip_suffix(&format!("/{subfolder}")) {
                Some(prefix) => (Some(prefix.to_owned()), false, from_grant(one)),
                None => (
                    None,
                    false,
                    Some(format!(
                        "the grant's folder `{one}/` is not `…/{subfolder}/`, where the vendor writes"
                    )),
                ),
            },
            _ => (None, false, None),
        },
        Folder::Required | Folder::Default(_) => {
            if let ([one], false) = (named.as_slice(), whole) {
                return (Some((*one).clone()), choice, from_grant(one));
            }
            let (folder, note) = match d.folder {
                Folder::Default(default) => (
                    default.to_owned(),
                    format!("{unknown} (`{default}` is {}'s default)", d.title),
                ),
                _ => (
                    named
                        .first()
                        .map_or_else(|| vendor_folder(vendor), |f| (*f).clone()),
                    unknown.to_owned(),
                ),
            };
            (Some(folder), false, Some(note))
        }
    }
}

/// A folder name to start from when AWS does not tell.
fn vendor_folder(vendor: Vendor) -> String {
    vendor
        .as_str()
        .split('-')
        .next()
        .unwrap_or("exports")
        .to_owned()
}

/// Destinations that are one bucket statement for a vendor's own principal (Cloudflare).
fn vendor_statements(observed: &Observed, in_scope: &dyn Fn(&str) -> bool) -> Vec<Found> {
    let mut found = Vec::new();
    for (bucket, read) in &observed.buckets {
        let ObservedBucket::Present(info) = read else {
            continue;
        };
        let Some(policy) = &info.policy else { continue };
        if !in_scope(bucket) {
            continue;
        }
        for vendor in Vendor::all() {
            let d = vendor.description();
            let (Identity::None, Trust::Fixed { variants, .. }) = (&d.identity, &d.trust) else {
                continue;
            };
            for statement in &policy.statements {
                if statement.sid.as_deref().is_some_and(crate::sid::is_s3dest) {
                    continue;
                }
                let principals: BTreeSet<String> = statement
                    .aws_principals()
                    .map(normalize_aws_principal)
                    .collect();
                let ours = variants.iter().any(|v| {
                    v.principals
                        .iter()
                        .map(|p| (*p).to_owned())
                        .collect::<BTreeSet<_>>()
                        == principals
                });
                if statement.effect != Effect::Allow || !ours {
                    continue;
                }
                let grants = bucket_grants([statement]);
                let Some(grant) = grants.get(bucket) else {
                    continue;
                };
                let (folder, _, folder_note) = folder_of(vendor, bucket, grant);
                let which = statement.sid.as_ref().map_or_else(
                    || "a statement".to_owned(),
                    |sid| format!("statement `{sid}`"),
                );
                found.push(Found {
                    name: String::new(),
                    vendor,
                    bucket: bucket.clone(),
                    folder,
                    folder_note,
                    principal: None,
                    external_id: None,
                    trust: None,
                    role_name: None,
                    scope_folder: false,
                    actions: Vec::new(),
                    adopt: true,
                    seen: vec![format!(
                        "{which} of bucket `{bucket}`'s policy, for {}'s own principal",
                        d.title
                    )],
                    check: Vec::new(),
                });
            }
        }
    }
    found
}

/// IAM users (not s3dest's) granted S3 on a bucket: possibly a vendor's access key.
fn possible_keys(observed: &Observed, in_scope: &dyn Fn(&str) -> bool) -> Vec<PossibleKey> {
    let mut keys = Vec::new();
    for user in observed.users.values() {
        if user.owner() != Owner::Unowned {
            continue;
        }
        let grants = bucket_grants(user.inline_policies.values().flat_map(|p| &p.statements));
        for (bucket, grant) in grants.into_iter().filter(|(b, _)| in_scope(b)) {
            keys.push(PossibleKey {
                user: user.name.clone(),
                folder: grant.folders.iter().flatten().next().cloned(),
                actions: grant.actions.into_iter().collect(),
                bucket,
            });
        }
    }
    keys
}

/// Names each destination by its vendor (`walkme`, `braze-currents`), then by its
/// bucket, then numbered, so that names are unique.
fn name_destinations(found: &mut [Found]) {
    let short = |f: &Found| match f.vendor.as_str() {
        "pendo-data-sync" => "pendo".to_owned(),
        other => other.to_owned(),
    };
    let mut taken: BTreeMap<String, usize> = BTreeMap::new();
    for f in found.iter() {
        *taken.entry(short(f)).or_default() += 1;
    }
    let mut used: BTreeSet<String> = BTreeSet::new();
    for f in found.iter_mut() {
        let base = short(f);
        let mut name = if taken[&base] > 1 {
            format!("{base}-{}", f.bucket)
        } else {
            base.clone()
        };
        let mut n = 2;
        while used.contains(&name) {
            name = format!("{base}-{n}");
            n += 1;
        }
        used.insert(name.clone());
        f.name = name;
    }
}
