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
use std::future::Future;

use aws_sdk_iam::types::EntityType;
use futures::future::try_join_all;
use tokio::sync::Semaphore;

use s3dest_core::model::{IAM_PATH, IdentityNames, ObservedRole, ObservedUser, TAG_SPEC};
use s3dest_core::presets::PENDO_ROLE_NAME;
use s3dest_policy::PolicyDocument;

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
    let roles = async {
        match roles_mode {
            Mode::Bulk => bulk_roles(aws, names).await,
            Mode::Targeted => targeted_roles(aws, &limit, names).await,
        }
    };
    let users = async {
        match users_mode {
            Mode::Bulk => bulk_users(aws, names).await,
            Mode::Targeted => targeted_users(aws, &limit, names).await,
        }
    };
    tokio::try_join!(roles, users)
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
            "IAM read: targeted ({wanted} role(s) and user(s) named by the spec, and those under {IAM_PATH})"
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

/// Whether a role concerns the spec: named by it, or tagged for it where s3dest puts
/// roles (a tag alone, which anyone may add, is not enough to own).
fn keep_role(
    names: &IdentityNames,
    name: &str,
    path: &str,
    tags: &BTreeMap<String, String>,
) -> bool {
    let where_ours = path.starts_with(IAM_PATH) || name == PENDO_ROLE_NAME;
    (where_ours && tags.get(TAG_SPEC) == Some(&names.spec)) || names.roles.contains(name)
}

/// The same for users (no fixed names).
fn keep_user(
    names: &IdentityNames,
    name: &str,
    path: &str,
    tags: &BTreeMap<String, String>,
) -> bool {
    (path.starts_with(IAM_PATH) && tags.get(TAG_SPEC) == Some(&names.spec))
        || names.users.contains(name)
}

async fn bulk_roles(
    aws: &Aws,
    names: &IdentityNames,
) -> Result<BTreeMap<String, ObservedRole>, CloudError> {
    let mut pages = aws
        .iam
        .get_account_authorization_details()
        .filter(EntityType::Role)
        .max_items(BULK_PAGE_REQUESTED)
        .into_paginator()
        .send();
    let mut roles = BTreeMap::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            CloudError::from_sdk("GetAccountAuthorizationDetails", "the account's roles", e)
        })?;
        for detail in page.role_detail_list() {
            let Some(name) = detail.role_name() else {
                continue;
            };
            let tags = tag_map(detail.tags().iter().map(|t| (t.key(), t.value())));
            let path = detail.path().unwrap_or("/");
            if !keep_role(names, name, path, &tags) {
                continue;
            }
            let resource = format!("role `{name}`");
            let inline = detail
                .role_policy_list()
                .iter()
                .map(|p| (p.policy_name(), p.policy_document()));
            let role = ObservedRole {
                name: name.to_owned(),
                path: path.to_owned(),
                arn: detail.arn().unwrap_or_default().to_owned(),
                trust: parse_policy(
                    &resource,
                    "trust policy",
                    detail.assume_role_policy_document(),
                )?,
                tags,
                inline_policies: inline_policies(&resource, inline)?,
                managed_policy_arns: attached(detail.attached_managed_policies()),
            };
            roles.insert(role.name.clone(), role);
        }
    }
    Ok(roles)
}

async fn bulk_users(
    aws: &Aws,
    names: &IdentityNames,
) -> Result<BTreeMap<String, ObservedUser>, CloudError> {
    let mut pages = aws
        .iam
        .get_account_authorization_details()
        .filter(EntityType::User)
        .max_items(BULK_PAGE_REQUESTED)
        .into_paginator()
        .send();
    let mut users = BTreeMap::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            CloudError::from_sdk("GetAccountAuthorizationDetails", "the account's users", e)
        })?;
        for detail in page.user_detail_list() {
            let Some(name) = detail.user_name() else {
                continue;
            };
            let tags = tag_map(detail.tags().iter().map(|t| (t.key(), t.value())));
            let path = detail.path().unwrap_or("/");
            if !keep_user(names, name, path, &tags) {
                continue; // another spec's users (and their keys) are none of our business
            }
            let resource = format!("user `{name}`");
            let inline = detail
                .user_policy_list()
                .iter()
                .map(|p| (p.policy_name(), p.policy_document()));
            let user = ObservedUser {
                name: name.to_owned(),
                path: path.to_owned(),
                arn: detail.arn().unwrap_or_default().to_owned(),
                tags,
                inline_policies: inline_policies(&resource, inline)?,
                managed_policy_arns: attached(detail.attached_managed_policies()),
                access_keys: Vec::new(),
            };
            users.insert(user.name.clone(), user);
        }
    }
    Ok(users)
}

/// Runs one request once a slot is free.
async fn limited<T>(limit: &Semaphore, call: impl Future<Output = T>) -> T {
    let _permit = limit
        .acquire()
        .await
        .expect("the semaphore is never closed");
    call.await
}

/// What a listing by path says of an identity (no tags).
struct Listed {
    name: String,
    path: String,
    arn: String,
    trust: Option<String>,
}

async fn targeted_roles(
    aws: &Aws,
    limit: &Semaphore,
    names: &IdentityNames,
) -> Result<BTreeMap<String, ObservedRole>, CloudError> {
    let mut listed = Vec::new();
    let mut pages = aws
        .iam
        .list_roles()
        .path_prefix(IAM_PATH)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            CloudError::from_sdk("ListRoles", format!("roles under `{IAM_PATH}`"), e)
        })?;
        listed.extend(page.roles().iter().map(|r| Listed {
            name: r.role_name().to_owned(),
            path: r.path().to_owned(),
            arn: r.arn().to_owned(),
            trust: r.assume_role_policy_document().map(str::to_owned),
        }));
    }
    // Named by the spec, or Pendo's fixed name (a Pendo role the spec no longer names
    // may still be its own): read whole. Every other role under the path: tags first.
    let mut named: BTreeSet<&str> = names.roles.iter().map(String::as_str).collect();
    named.insert(PENDO_ROLE_NAME);
    let whole = named.iter().map(|name| async move {
        let Some(found) = limited(limit, get_role(aws, name)).await? else {
            return Ok(None);
        };
        if !keep_role(names, &found.0.name, &found.0.path, &found.1) {
            return Ok(None);
        }
        role_details(aws, limit, found.0, found.1).await.map(Some)
    });
    let others = listed
        .into_iter()
        .filter(|l| !named.contains(l.name.as_str()))
        .map(|role| async move {
            let tags = limited(limit, role_tags(aws, &role.name)).await?;
            if !keep_role(names, &role.name, &role.path, &tags) {
                return Ok(None);
            }
            role_details(aws, limit, role, tags).await.map(Some)
        });
    let (whole, others) = tokio::try_join!(try_join_all(whole), try_join_all(others))?;
    Ok(whole
        .into_iter()
        .chain(others)
        .flatten()
        .map(|r| (r.name.clone(), r))
        .collect())
}

/// `GetRole`: the role with its trust policy and tags; `None` when there is none.
async fn get_role(
    aws: &Aws,
    name: &str,
) -> Result<Option<(Listed, BTreeMap<String, String>)>, CloudError> {
    let out = match aws.iam.get_role().role_name(name).send().await {
        Ok(out) => out,
        Err(e) => {
            let err = CloudError::from_sdk("GetRole", format!("role `{name}`"), e);
            return if err.is_code("NoSuchEntity") {
                Ok(None)
            } else {
                Err(err)
            };
        }
    };
    let Some(role) = out.role() else {
        return Ok(None);
    };
    let tags = tag_map(role.tags().iter().map(|t| (t.key(), t.value())));
    let listed = Listed {
        name: role.role_name().to_owned(),
        path: role.path().to_owned(),
        arn: role.arn().to_owned(),
        trust: role.assume_role_policy_document().map(str::to_owned),
    };
    Ok(Some((listed, tags)))
}

async fn role_tags(aws: &Aws, name: &str) -> Result<BTreeMap<String, String>, CloudError> {
    let mut tags = BTreeMap::new();
    let mut marker = None;
    loop {
        let out = aws
            .iam
            .list_role_tags()
            .role_name(name)
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| CloudError::from_sdk("ListRoleTags", format!("role `{name}`"), e))?;
        tags.extend(
            out.tags()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned())),
        );
        marker = out
            .marker()
            .filter(|_| out.is_truncated())
            .map(str::to_owned);
        if marker.is_none() {
            return Ok(tags);
        }
    }
}

/// A role's inline policies (each read) and attached managed policies.
async fn role_details(
    aws: &Aws,
    limit: &Semaphore,
    role: Listed,
    tags: BTreeMap<String, String>,
) -> Result<ObservedRole, CloudError> {
    let name = role.name.as_str();
    let resource = format!("role `{name}`");
    let inline = async {
        let mut policy_names = Vec::new();
        let mut pages = aws
            .iam
            .list_role_policies()
            .role_name(name)
            .into_paginator()
            .send();
        while let Some(page) = limited(limit, pages.next()).await {
            let page =
                page.map_err(|e| CloudError::from_sdk("ListRolePolicies", resource.clone(), e))?;
            policy_names.extend(page.policy_names().iter().cloned());
        }
        let reads = policy_names.into_iter().map(|policy| async move {
            let out = limited(
                limit,
                aws.iam
                    .get_role_policy()
                    .role_name(name)
                    .policy_name(&policy)
                    .send(),
            )
            .await
            .map_err(|e| {
                CloudError::from_sdk(
                    "GetRolePolicy",
                    format!("inline policy `{policy}` of role `{name}`"),
                    e,
                )
            })?;
            let what = format!("inline policy `{policy}`");
            let document = parse_policy(
                &format!("role `{name}`"),
                &what,
                Some(out.policy_document()),
            )?;
            Ok::<_, CloudError>((policy, document))
        });
        Ok::<_, CloudError>(
            try_join_all(reads)
                .await?
                .into_iter()
                .collect::<BTreeMap<_, _>>(),
        )
    };
    let attached = async {
        let mut arns = Vec::new();
        let mut pages = aws
            .iam
            .list_attached_role_policies()
            .role_name(name)
            .into_paginator()
            .send();
        while let Some(page) = limited(limit, pages.next()).await {
            let page = page.map_err(|e| {
                CloudError::from_sdk("ListAttachedRolePolicies", resource.clone(), e)
            })?;
            arns.extend(self::attached(page.attached_policies()));
        }
        Ok::<_, CloudError>(arns)
    };
    let (inline_policies, managed_policy_arns) = tokio::try_join!(inline, attached)?;
    Ok(ObservedRole {
        trust: parse_policy(&resource, "trust policy", role.trust.as_deref())?,
        name: role.name,
        path: role.path,
        arn: role.arn,
        tags,
        inline_policies,
        managed_policy_arns,
    })
}

async fn targeted_users(
    aws: &Aws,
    limit: &Semaphore,
    names: &IdentityNames,
) -> Result<BTreeMap<String, ObservedUser>, CloudError> {
    let mut listed = Vec::new();
    let mut pages = aws
        .iam
        .list_users()
        .path_prefix(IAM_PATH)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            CloudError::from_sdk("ListUsers", format!("users under `{IAM_PATH}`"), e)
        })?;
        listed.extend(page.users().iter().map(|u| Listed {
            name: u.user_name().to_owned(),
            path: u.path().to_owned(),
            arn: u.arn().to_owned(),
            trust: None,
        }));
    }
    let named: BTreeSet<&str> = names.users.iter().map(String::as_str).collect();
    let whole = named.iter().map(|name| async move {
        let out = match limited(limit, aws.iam.get_user().user_name(*name).send()).await {
            Ok(out) => out,
            Err(e) => {
                let err = CloudError::from_sdk("GetUser", format!("user `{name}`"), e);
                return if err.is_code("NoSuchEntity") {
                    Ok(None)
                } else {
                    Err(err)
                };
            }
        };
        let Some(user) = out.user() else {
            return Ok(None);
        };
        let tags = tag_map(user.tags().iter().map(|t| (t.key(), t.value())));
        let listed = Listed {
            name: user.user_name().to_owned(),
            path: user.path().to_owned(),
            arn: user.arn().to_owned(),
            trust: None,
        };
        user_details(aws, limit, listed, tags).await.map(Some)
    });
    let others = listed
        .into_iter()
        .filter(|l| !named.contains(l.name.as_str()))
        .map(|user| async move {
            let tags = limited(limit, user_tags(aws, &user.name)).await?;
            if !keep_user(names, &user.name, &user.path, &tags) {
                return Ok(None);
            }
            user_details(aws, limit, user, tags).await.map(Some)
        });
    let (whole, others) = tokio::try_join!(try_join_all(whole), try_join_all(others))?;
    Ok(whole
        .into_iter()
        .chain(others)
        .flatten()
        .map(|u| (u.name.clone(), u))
        .collect())
}

async fn user_tags(aws: &Aws, name: &str) -> Result<BTreeMap<String, String>, CloudError> {
    let mut tags = BTreeMap::new();
    let mut marker = None;
    loop {
        let out = aws
            .iam
            .list_user_tags()
            .user_name(name)
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| CloudError::from_sdk("ListUserTags", format!("user `{name}`"), e))?;
        tags.extend(
            out.tags()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned())),
        );
        marker = out
            .marker()
            .filter(|_| out.is_truncated())
            .map(str::to_owned);
        if marker.is_none() {
            return Ok(tags);
        }
    }
}

async fn user_details(
    aws: &Aws,
    limit: &Semaphore,
    user: Listed,
    tags: BTreeMap<String, String>,
) -> Result<ObservedUser, CloudError> {
    let name = user.name.as_str();
    let resource = format!("user `{name}`");
    let inline = async {
        let mut policy_names = Vec::new();
        let mut pages = aws
            .iam
            .list_user_policies()
            .user_name(name)
            .into_paginator()
            .send();
        while let Some(page) = limited(limit, pages.next()).await {
            let page =
                page.map_err(|e| CloudError::from_sdk("ListUserPolicies", resource.clone(), e))?;
            policy_names.extend(page.policy_names().iter().cloned());
        }
        let reads = policy_names.into_iter().map(|policy| async move {
            let out = limited(
                limit,
                aws.iam
                    .get_user_policy()
                    .user_name(name)
                    .policy_name(&policy)
                    .send(),
            )
            .await
            .map_err(|e| {
                CloudError::from_sdk(
                    "GetUserPolicy",
                    format!("inline policy `{policy}` of user `{name}`"),
                    e,
                )
            })?;
            let what = format!("inline policy `{policy}`");
            let document = parse_policy(
                &format!("user `{name}`"),
                &what,
                Some(out.policy_document()),
            )?;
            Ok::<_, CloudError>((policy, document))
        });
        Ok::<_, CloudError>(
            try_join_all(reads)
                .await?
                .into_iter()
                .collect::<BTreeMap<_, _>>(),
        )
    };
    let attached = async {
        let mut arns = Vec::new();
        let mut pages = aws
            .iam
            .list_attached_user_policies()
            .user_name(name)
            .into_paginator()
            .send();
        while let Some(page) = limited(limit, pages.next()).await {
            let page = page.map_err(|e| {
                CloudError::from_sdk("ListAttachedUserPolicies", resource.clone(), e)
            })?;
            arns.extend(self::attached(page.attached_policies()));
        }
        Ok::<_, CloudError>(arns)
    };
    let (inline_policies, managed_policy_arns) = tokio::try_join!(inline, attached)?;
    Ok(ObservedUser {
        name: user.name,
        path: user.path,
        arn: user.arn,
        tags,
        inline_policies,
        managed_policy_arns,
        access_keys: Vec::new(),
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
