//! Reading the roles and users that concern a spec, in bulk or one by one, whichever
//! costs fewer calls.
//!
//! - **Bulk**: `GetAccountAuthorizationDetails` returns every role (or user) of the
//!   account with its trust policy, tags, inline and attached policies, about 100 per
//!   page. One call per page, whatever the spec holds, but the pages grow with the
//!   account: 5,000 unrelated roles are 50 calls and megabytes of documents.
//! - **Targeted**: the identities under `/s3dest/` are listed (`ListRoles`/`ListUsers`
//!   with that path prefix, which return no tags), then each one the spec names is read
//!   on its own (`GetRole`/`GetUser`, its inline policies and attachments: 4 calls),
//!   and each other listed one gets a tag check (1 call). Bounded by the spec and by
//!   what s3dest made, never by the rest of the account.
//!
//! A spec naming at most [`SMALL_SPEC`] identities is read targeted: at most about 4
//! calls each, so its cost never depends on the account. A larger spec first asks
//! `GetAccountSummary` how many roles and users the account holds, and reads each kind
//! the cheaper way. The choice is logged at `-v`.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_iam::types::EntityType;
use futures::future::try_join_all;
use tokio::sync::Semaphore;

use s3dest_core::model::{IAM_PATH, IdentityNames, ObservedRole, ObservedUser, TAG_SPEC};
use s3dest_core::presets::fixed_role_names;
use s3dest_policy::PolicyDocument;

use crate::read::limited;
use crate::{Aws, CloudError, IamRead};

/// Identities a spec may name and still be read one by one, whatever the account holds.
pub(crate) const SMALL_SPEC: usize = 20;
/// The page `GetAccountAuthorizationDetails` is asked for (AWS's largest).
const BULK_PAGE_REQUESTED: i32 = 1000;
/// The page it is assumed to return when estimating (AWS may return fewer than asked:
/// 100 is its default page).
const BULK_PAGE_ASSUMED: usize = 100;
/// Calls to read one identity the spec names: get, list inline, get inline, attached.
const CALLS_PER_IDENTITY: usize = 4;
/// IAM requests of a targeted read in flight at once (IAM throttles hard).
const CONCURRENCY: usize = 8;

/// How one kind of identity is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Bulk,
    Targeted,
}

/// Reads the roles and users that concern the spec: those it names, and those tagged
/// for it where s3dest puts them (under `/s3dest/`, or Pendo's fixed role name).
pub(crate) async fn identities(
    aws: &Aws,
    names: &IdentityNames,
) -> Result<
    (
        BTreeMap<String, ObservedRole>,
        BTreeMap<String, ObservedUser>,
    ),
    CloudError,
> {
    let (roles_mode, users_mode) = choose(aws, names).await?;
    let limit = Semaphore::new(CONCURRENCY);
    let read = |kind, mode| {
        let limit = &limit;
        async move {
            match mode {
                Mode::Bulk => {
                    let concerns = |listed: &Listed, tags: &BTreeMap<String, String>| {
                        keep(kind, names, &listed.name, &listed.path, tags)
                    };
                    bulk(aws, kind, &concerns).await
                }
                Mode::Targeted => targeted(aws, limit, names, kind, named(names, kind)).await,
            }
        }
    };
    let (roles, users) =
        tokio::try_join!(read(Kind::Role, roles_mode), read(Kind::User, users_mode))?;
    observed(roles, users)
}

/// Every role and user of the account, in bulk: what someone made from a vendor's
/// guide can have any name and path (`s3dest import`).
pub(crate) async fn whole_account(
    aws: &Aws,
) -> Result<
    (
        BTreeMap<String, ObservedRole>,
        BTreeMap<String, ObservedUser>,
    ),
    CloudError,
> {
    let every = |_: &Listed, _: &BTreeMap<String, String>| true;
    let (roles, users) =
        tokio::try_join!(bulk(aws, Kind::Role, &every), bulk(aws, Kind::User, &every))?;
    observed(roles, users)
}

/// The reads as the core's observed roles and users.
#[allow(clippy::type_complexity)]
fn observed(
    roles: Vec<Read>,
    users: Vec<Read>,
) -> Result<
    (
        BTreeMap<String, ObservedRole>,
        BTreeMap<String, ObservedUser>,
    ),
    CloudError,
> {
    let roles = roles
        .into_iter()
        .map(|read| {
            let resource = Kind::Role.resource(&read.listed.name);
            let role = ObservedRole {
                trust: parse_policy(&resource, "trust policy", read.listed.trust.as_deref())?,
                name: read.listed.name,
                path: read.listed.path,
                arn: read.listed.arn,
                tags: read.tags,
                inline_policies: read.inline_policies,
                managed_policy_arns: read.managed_policy_arns,
            };
            Ok((role.name.clone(), role))
        })
        .collect::<Result<_, CloudError>>()?;
    let users = users
        .into_iter()
        .map(|read| {
            let user = ObservedUser {
                name: read.listed.name,
                path: read.listed.path,
                arn: read.listed.arn,
                tags: read.tags,
                inline_policies: read.inline_policies,
                managed_policy_arns: read.managed_policy_arns,
                access_keys: Vec::new(),
            };
            (user.name.clone(), user)
        })
        .collect();
    Ok((roles, users))
}

/// Bulk or targeted, per kind, from the spec's size and (for a large spec) the
/// account's.
async fn choose(aws: &Aws, names: &IdentityNames) -> Result<(Mode, Mode), CloudError> {
    match aws.read_config.iam {
        IamRead::Bulk => return Ok((Mode::Bulk, Mode::Bulk)),
        IamRead::Targeted => return Ok((Mode::Targeted, Mode::Targeted)),
        IamRead::Auto => {}
    }
    let wanted = names.roles.len() + names.users.len();
    if wanted <= SMALL_SPEC {
        tracing::info!(
            "IAM read: targeted ({wanted} role(s) and user(s) read by name, and those under {IAM_PATH})"
        );
        return Ok((Mode::Targeted, Mode::Targeted));
    }
    let summary =
        aws.iam.get_account_summary().send().await.map_err(|e| {
            CloudError::from_sdk("GetAccountSummary", "the account's IAM summary", e)
        })?;
    let count = |key: &str| {
        summary
            .summary_map()
            .and_then(|m| m.iter().find(|(k, _)| k.as_str() == key).map(|(_, v)| *v))
            .map_or(0, |v| usize::try_from(v).unwrap_or(0))
    };
    let pick = |in_account: usize, named: usize| {
        let bulk = in_account.div_ceil(BULK_PAGE_ASSUMED).max(1);
        let targeted = CALLS_PER_IDENTITY * named + 1;
        let mode = if bulk <= targeted {
            Mode::Bulk
        } else {
            Mode::Targeted
        };
        (mode, bulk, targeted)
    };
    let (roles, role_bulk, role_targeted) = pick(count("Roles"), names.roles.len());
    let (users, user_bulk, user_targeted) = pick(count("Users"), names.users.len());
    tracing::info!(
        "IAM read: roles {roles:?} (account {} roles: ~{role_bulk} bulk calls vs ~{role_targeted} targeted), \
         users {users:?} (account {} users: ~{user_bulk} vs ~{user_targeted})",
        count("Roles"),
        count("Users"),
    );
    Ok((roles, users))
}

/// Every identity of `kind` in the account, page by page, of which those `concerns`
/// keeps are kept (for a spec: another spec's users, and their keys, are none of its
/// business).
async fn bulk(
    aws: &Aws,
    kind: Kind,
    concerns: &(dyn Fn(&Listed, &BTreeMap<String, String>) -> bool + Sync),
) -> Result<Vec<Read>, CloudError> {
    let filter = match kind {
        Kind::Role => EntityType::Role,
        Kind::User => EntityType::User,
    };
    let mut pages = aws
        .iam
        .get_account_authorization_details()
        .filter(filter)
        .max_items(BULK_PAGE_REQUESTED)
        .into_paginator()
        .send();
    let mut reads = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            let what = format!("the account's {}s", kind.word());
            CloudError::from_sdk("GetAccountAuthorizationDetails", what, e)
        })?;
        let tags =
            |tags: &[aws_sdk_iam::types::Tag]| tag_map(tags.iter().map(|t| (t.key(), t.value())));
        match kind {
            Kind::Role => {
                for d in page.role_detail_list() {
                    let listed = Listed {
                        name: d.role_name().unwrap_or_default().to_owned(),
                        path: d.path().unwrap_or("/").to_owned(),
                        arn: d.arn().unwrap_or_default().to_owned(),
                        trust: d.assume_role_policy_document().map(str::to_owned),
                    };
                    let inline = d
                        .role_policy_list()
                        .iter()
                        .map(|p| (p.policy_name(), p.policy_document()));
                    let attached = attached(d.attached_managed_policies());
                    reads.extend(kept(
                        kind,
                        concerns,
                        listed,
                        tags(d.tags()),
                        inline,
                        attached,
                    )?);
                }
            }
            Kind::User => {
                for d in page.user_detail_list() {
                    let listed = Listed {
                        name: d.user_name().unwrap_or_default().to_owned(),
                        path: d.path().unwrap_or("/").to_owned(),
                        arn: d.arn().unwrap_or_default().to_owned(),
                        trust: None,
                    };
                    let inline = d
                        .user_policy_list()
                        .iter()
                        .map(|p| (p.policy_name(), p.policy_document()));
                    let attached = attached(d.attached_managed_policies());
                    reads.extend(kept(
                        kind,
                        concerns,
                        listed,
                        tags(d.tags()),
                        inline,
                        attached,
                    )?);
                }
            }
        }
    }
    Ok(reads)
}

/// An identity of a bulk read, when it concerns the spec.
fn kept<'p>(
    kind: Kind,
    concerns: &(dyn Fn(&Listed, &BTreeMap<String, String>) -> bool + Sync),
    listed: Listed,
    tags: BTreeMap<String, String>,
    inline: impl Iterator<Item = (Option<&'p str>, Option<&'p str>)>,
    managed_policy_arns: Vec<String>,
) -> Result<Option<Read>, CloudError> {
    if listed.name.is_empty() || !concerns(&listed, &tags) {
        return Ok(None);
    }
    let inline_policies = inline_policies(&kind.resource(&listed.name), inline)?;
    Ok(Some(Read {
        listed,
        tags,
        inline_policies,
        managed_policy_arns,
    }))
}

/// Roles or users: what differs between reading one kind and the other is only which
/// IAM calls are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Role,
    User,
}

impl Kind {
    fn word(self) -> &'static str {
        match self {
            Kind::Role => "role",
            Kind::User => "user",
        }
    }

    fn resource(self, name: &str) -> String {
        format!("{} `{name}`", self.word())
    }
}

/// Whether an identity concerns the spec: named by it, or tagged for it where s3dest
/// puts identities (a tag alone, which anyone may add, is not enough to own).
fn keep(
    kind: Kind,
    names: &IdentityNames,
    name: &str,
    path: &str,
    tags: &BTreeMap<String, String>,
) -> bool {
    // Only roles whose name a vendor fixes (Pendo's) live outside the path.
    let (where_ours, named) = match kind {
        Kind::Role => (
            path.starts_with(IAM_PATH) || fixed_role_names().any(|n| n == name),
            names.roles.contains(name),
        ),
        Kind::User => (path.starts_with(IAM_PATH), names.users.contains(name)),
    };
    (where_ours && tags.get(TAG_SPEC) == Some(&names.spec)) || named
}

/// What a listing by path or a get says of an identity.
struct Listed {
    name: String,
    path: String,
    arn: String,
    /// A role's trust policy, as IAM sent it.
    trust: Option<String>,
}

/// An identity read whole.
struct Read {
    listed: Listed,
    tags: BTreeMap<String, String>,
    inline_policies: BTreeMap<String, PolicyDocument>,
    managed_policy_arns: Vec<String>,
}

/// The identities of `kind` the spec names, read whole in a targeted read; for roles
/// Pendo's fixed name too (a Pendo role the spec no longer names may still be its own).
fn named(names: &IdentityNames, kind: Kind) -> BTreeSet<&str> {
    match kind {
        Kind::Role => {
            let mut named: BTreeSet<&str> = names.roles.iter().map(String::as_str).collect();
            for name in fixed_role_names() {
                named.insert(name);
            }
            named
        }
        Kind::User => names.users.iter().map(String::as_str).collect(),
    }
}

/// The identities of `kind` that concern the spec: each `named` one read whole, and
/// every other one under `/s3dest/` read whole if its tags say it is the spec's.
async fn targeted(
    aws: &Aws,
    limit: &Semaphore,
    names: &IdentityNames,
    kind: Kind,
    named: BTreeSet<&str>,
) -> Result<Vec<Read>, CloudError> {
    let listed = list_by_path(aws, kind).await?;
    let named_reads = named.iter().map(|name| async move {
        let Some((found, tags)) = limited(limit, get(aws, kind, name)).await? else {
            return Ok(None);
        };
        if !keep(kind, names, &found.name, &found.path, &tags) {
            return Ok(None);
        }
        details(aws, limit, kind, found, tags).await.map(Some)
    });
    let other_reads = listed
        .into_iter()
        .filter(|l| !named.contains(l.name.as_str()))
        .map(|found| async move {
            let tags = limited(limit, tags(aws, kind, &found.name)).await?;
            if !keep(kind, names, &found.name, &found.path, &tags) {
                return Ok(None);
            }
            details(aws, limit, kind, found, tags).await.map(Some)
        });
    let (named_reads, other_reads) =
        tokio::try_join!(try_join_all(named_reads), try_join_all(other_reads))?;
    Ok(named_reads
        .into_iter()
        .chain(other_reads)
        .flatten()
        .collect())
}

/// `ListRoles`/`ListUsers` under `/s3dest/` (no tags: AWS leaves them out of listings).
async fn list_by_path(aws: &Aws, kind: Kind) -> Result<Vec<Listed>, CloudError> {
    let resource = format!("{}s under `{IAM_PATH}`", kind.word());
    let mut listed = Vec::new();
    match kind {
        Kind::Role => {
            let mut pages = aws
                .iam
                .list_roles()
                .path_prefix(IAM_PATH)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page =
                    page.map_err(|e| CloudError::from_sdk("ListRoles", resource.clone(), e))?;
                listed.extend(page.roles().iter().map(|r| Listed {
                    name: r.role_name().to_owned(),
                    path: r.path().to_owned(),
                    arn: r.arn().to_owned(),
                    trust: r.assume_role_policy_document().map(str::to_owned),
                }));
            }
        }
        Kind::User => {
            let mut pages = aws
                .iam
                .list_users()
                .path_prefix(IAM_PATH)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page =
                    page.map_err(|e| CloudError::from_sdk("ListUsers", resource.clone(), e))?;
                listed.extend(page.users().iter().map(|u| Listed {
                    name: u.user_name().to_owned(),
                    path: u.path().to_owned(),
                    arn: u.arn().to_owned(),
                    trust: None,
                }));
            }
        }
    }
    Ok(listed)
}

/// `GetRole`/`GetUser`: the identity with its tags (and a role's trust policy); `None`
/// when there is none.
async fn get(
    aws: &Aws,
    kind: Kind,
    name: &str,
) -> Result<Option<(Listed, BTreeMap<String, String>)>, CloudError> {
    let missing_or = |err: CloudError| {
        if err.is_code("NoSuchEntity") {
            Ok(None)
        } else {
            Err(err)
        }
    };
    let resource = kind.resource(name);
    match kind {
        Kind::Role => {
            let out = match aws.iam.get_role().role_name(name).send().await {
                Ok(out) => out,
                Err(e) => return missing_or(CloudError::from_sdk("GetRole", resource, e)),
            };
            Ok(out.role().map(|r| {
                let listed = Listed {
                    name: r.role_name().to_owned(),
                    path: r.path().to_owned(),
                    arn: r.arn().to_owned(),
                    trust: r.assume_role_policy_document().map(str::to_owned),
                };
                (
                    listed,
                    tag_map(r.tags().iter().map(|t| (t.key(), t.value()))),
                )
            }))
        }
        Kind::User => {
            let out = match aws.iam.get_user().user_name(name).send().await {
                Ok(out) => out,
                Err(e) => return missing_or(CloudError::from_sdk("GetUser", resource, e)),
            };
            Ok(out.user().map(|u| {
                let listed = Listed {
                    name: u.user_name().to_owned(),
                    path: u.path().to_owned(),
                    arn: u.arn().to_owned(),
                    trust: None,
                };
                (
                    listed,
                    tag_map(u.tags().iter().map(|t| (t.key(), t.value()))),
                )
            }))
        }
    }
}

/// `ListRoleTags`/`ListUserTags`, every page.
async fn tags(aws: &Aws, kind: Kind, name: &str) -> Result<BTreeMap<String, String>, CloudError> {
    let resource = kind.resource(name);
    let mut tags = BTreeMap::new();
    match kind {
        Kind::Role => {
            let mut pages = aws
                .iam
                .list_role_tags()
                .role_name(name)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page =
                    page.map_err(|e| CloudError::from_sdk("ListRoleTags", resource.clone(), e))?;
                tags.extend(tag_map(page.tags().iter().map(|t| (t.key(), t.value()))));
            }
        }
        Kind::User => {
            let mut pages = aws
                .iam
                .list_user_tags()
                .user_name(name)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page =
                    page.map_err(|e| CloudError::from_sdk("ListUserTags", resource.clone(), e))?;
                tags.extend(tag_map(page.tags().iter().map(|t| (t.key(), t.value()))));
            }
        }
    }
    Ok(tags)
}

/// The names of an identity's inline policies, every page.
async fn policy_names(
    aws: &Aws,
    limit: &Semaphore,
    kind: Kind,
    name: &str,
) -> Result<Vec<String>, CloudError> {
    let resource = kind.resource(name);
    let mut names = Vec::new();
    match kind {
        Kind::Role => {
            let mut pages = aws
                .iam
                .list_role_policies()
                .role_name(name)
                .into_paginator()
                .send();
            while let Some(page) = limited(limit, pages.next()).await {
                names.extend(
                    page.map_err(|e| {
                        CloudError::from_sdk("ListRolePolicies", resource.clone(), e)
                    })?
                    .policy_names()
                    .iter()
                    .cloned(),
                );
            }
        }
        Kind::User => {
            let mut pages = aws
                .iam
                .list_user_policies()
                .user_name(name)
                .into_paginator()
                .send();
            while let Some(page) = limited(limit, pages.next()).await {
                names.extend(
                    page.map_err(|e| {
                        CloudError::from_sdk("ListUserPolicies", resource.clone(), e)
                    })?
                    .policy_names()
                    .iter()
                    .cloned(),
                );
            }
        }
    }
    Ok(names)
}

/// One inline policy's document, as IAM sent it (percent-encoded).
async fn policy_document(
    aws: &Aws,
    kind: Kind,
    name: &str,
    policy: &str,
) -> Result<String, CloudError> {
    let resource = format!("inline policy `{policy}` of {}", kind.resource(name));
    match kind {
        Kind::Role => {
            let out = aws
                .iam
                .get_role_policy()
                .role_name(name)
                .policy_name(policy)
                .send()
                .await;
            Ok(out
                .map_err(|e| CloudError::from_sdk("GetRolePolicy", resource, e))?
                .policy_document()
                .to_owned())
        }
        Kind::User => {
            let out = aws
                .iam
                .get_user_policy()
                .user_name(name)
                .policy_name(policy)
                .send()
                .await;
            Ok(out
                .map_err(|e| CloudError::from_sdk("GetUserPolicy", resource, e))?
                .policy_document()
                .to_owned())
        }
    }
}

/// The ARNs of the managed policies attached to an identity, every page.
async fn attached_policies(
    aws: &Aws,
    limit: &Semaphore,
    kind: Kind,
    name: &str,
) -> Result<Vec<String>, CloudError> {
    let resource = kind.resource(name);
    let mut arns = Vec::new();
    match kind {
        Kind::Role => {
            let mut pages = aws
                .iam
                .list_attached_role_policies()
                .role_name(name)
                .into_paginator()
                .send();
            while let Some(page) = limited(limit, pages.next()).await {
                arns.extend(attached(
                    page.map_err(|e| {
                        CloudError::from_sdk("ListAttachedRolePolicies", resource.clone(), e)
                    })?
                    .attached_policies(),
                ));
            }
        }
        Kind::User => {
            let mut pages = aws
                .iam
                .list_attached_user_policies()
                .user_name(name)
                .into_paginator()
                .send();
            while let Some(page) = limited(limit, pages.next()).await {
                arns.extend(attached(
                    page.map_err(|e| {
                        CloudError::from_sdk("ListAttachedUserPolicies", resource.clone(), e)
                    })?
                    .attached_policies(),
                ));
            }
        }
    }
    Ok(arns)
}

/// An identity's inline policies (each read) and attached managed policies.
async fn details(
    aws: &Aws,
    limit: &Semaphore,
    kind: Kind,
    listed: Listed,
    tags: BTreeMap<String, String>,
) -> Result<Read, CloudError> {
    let name = listed.name.as_str();
    let resource = kind.resource(name);
    let inline = async {
        let reads = policy_names(aws, limit, kind, name)
            .await?
            .into_iter()
            .map(|policy| {
                let resource = &resource;
                async move {
                    let text = limited(limit, policy_document(aws, kind, name, &policy)).await?;
                    let document =
                        parse_policy(resource, &format!("inline policy `{policy}`"), Some(&text))?;
                    Ok::<_, CloudError>((policy, document))
                }
            });
        Ok::<_, CloudError>(
            try_join_all(reads)
                .await?
                .into_iter()
                .collect::<BTreeMap<_, _>>(),
        )
    };
    let (inline_policies, managed_policy_arns) =
        tokio::try_join!(inline, attached_policies(aws, limit, kind, name))?;
    Ok(Read {
        listed,
        tags,
        inline_policies,
        managed_policy_arns,
    })
}

fn attached(policies: &[aws_sdk_iam::types::AttachedPolicy]) -> Vec<String> {
    policies
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_owned))
        .collect()
}

pub(crate) fn tag_map<'t>(
    tags: impl Iterator<Item = (&'t str, &'t str)>,
) -> BTreeMap<String, String> {
    tags.map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
}

fn parse_policy(
    resource: &str,
    what: &str,
    text: Option<&str>,
) -> Result<PolicyDocument, CloudError> {
    let text = text.ok_or_else(|| policy_error(resource, format!("{what} is missing")))?;
    PolicyDocument::parse_aws(text).map_err(|e| policy_error(resource, format!("{what}: {e}")))
}

fn inline_policies<'p>(
    resource: &str,
    policies: impl Iterator<Item = (Option<&'p str>, Option<&'p str>)>,
) -> Result<BTreeMap<String, PolicyDocument>, CloudError> {
    policies
        .map(|(name, document)| {
            let name = name.unwrap_or_default();
            Ok((
                name.to_owned(),
                parse_policy(resource, &format!("inline policy `{name}`"), document)?,
            ))
        })
        .collect()
}

fn policy_error(resource: &str, reason: String) -> CloudError {
    CloudError::Policy {
        operation: "reading IAM",
        resource: resource.to_owned(),
        reason,
    }
}
