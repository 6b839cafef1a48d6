//! The planner: desired + observed → an ordered list of changes. Pure: no I/O, no
//! clock, no AWS types; every decision about what to change, and why, is made here.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use s3dest_policy::{PolicyDocument, Statement};

use crate::model::{
    BucketInfo, Desired, DesiredBucket, DesiredDestination, INLINE_POLICY_NAME, Observed,
    ObservedBucket, ObservedRole, Owner, RoleDef, TAG_BUCKET, TAG_DESTINATION, TAG_FOLDER, UserDef,
};
use crate::sid;

pub mod keys;
mod users;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    Create,
    Update,
    Replace,
    Delete,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Delete => "delete",
        }
    }
}

/// One AWS operation that apply performs. A change holds the operations that make it
/// true, in the order they must run.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    CreateBucket {
        bucket: String,
        region: String,
    },
    CreateRole {
        role: RoleDef,
    },
    /// Delete the role after removing what hangs on it (IAM refuses otherwise).
    DeleteRole {
        name: String,
        inline_policies: Vec<String>,
        managed_policies: Vec<String>,
    },
    UpdateTrust {
        role: String,
        trust: PolicyDocument,
    },
    TagRole {
        role: String,
        tags: BTreeMap<String, String>,
    },
    UntagRole {
        role: String,
        keys: Vec<String>,
    },
    PutRolePolicy {
        role: String,
        name: String,
        policy: PolicyDocument,
    },
    DeleteRolePolicy {
        role: String,
        name: String,
    },
    /// Add or replace the statement with this Sid in the bucket policy.
    PutStatement {
        bucket: String,
        statement: Statement,
    },
    DeleteStatement {
        bucket: String,
        sid: String,
    },
    CreateFolder {
        bucket: String,
        key: String,
        spec: String,
        destination: String,
    },
    DeleteFolder {
        bucket: String,
        key: String,
    },
    CreateUser {
        user: UserDef,
    },
    /// Delete the user after its keys and policies (IAM refuses otherwise).
    DeleteUser {
        name: String,
        inline_policies: Vec<String>,
        managed_policies: Vec<String>,
        access_keys: Vec<String>,
    },
    TagUser {
        user: String,
        tags: BTreeMap<String, String>,
    },
    UntagUser {
        user: String,
        keys: Vec<String>,
    },
    PutUserPolicy {
        user: String,
        name: String,
        policy: PolicyDocument,
    },
    DeleteUserPolicy {
        user: String,
        name: String,
    },
    /// Make an access key and put it, with its id, into the secret (created, or
    /// restored and updated). The key's secret exists only inside this operation.
    CreateAccessKey {
        user: String,
        secret: SecretDef,
    },
    SetAccessKeyStatus {
        user: String,
        key_id: String,
        active: bool,
    },
    DeleteAccessKey {
        user: String,
        key_id: String,
    },
    /// Schedule the secret's deletion, recoverable for `recovery_days`.
    DeleteSecret {
        name: String,
        recovery_days: i64,
    },
}

/// Where an access-key destination's key goes: a Secrets Manager secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretDef {
    pub name: String,
    pub tags: BTreeMap<String, String>,
    /// What the read found, so the edge knows to create, update, or restore first.
    pub found: SecretFound,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretFound {
    Missing,
    Present,
    ScheduledForDeletion,
}

/// Apply runs phases in this order; operations in one phase are independent of each
/// other (except within a change, which runs its operations in order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    Buckets,
    Roles,
    RolePolicies,
    BucketPolicies,
    Folders,
    Keys,
    DeleteKeys,
    DeleteFolders,
    DeleteRolePolicies,
    DeleteRoles,
}

impl Op {
    pub fn phase(&self) -> Phase {
        match self {
            Op::CreateBucket { .. } => Phase::Buckets,
            Op::CreateRole { .. }
            | Op::UpdateTrust { .. }
            | Op::TagRole { .. }
            | Op::UntagRole { .. }
            | Op::CreateUser { .. }
            | Op::TagUser { .. }
            | Op::UntagUser { .. } => Phase::Roles,
            Op::PutRolePolicy { .. } | Op::PutUserPolicy { .. } => Phase::RolePolicies,
            Op::PutStatement { .. } | Op::DeleteStatement { .. } => Phase::BucketPolicies,
            Op::CreateFolder { .. } => Phase::Folders,
            Op::CreateAccessKey { .. } | Op::SetAccessKeyStatus { active: true, .. } => Phase::Keys,
            Op::SetAccessKeyStatus { active: false, .. }
            | Op::DeleteAccessKey { .. }
            | Op::DeleteSecret { .. } => Phase::DeleteKeys,
            Op::DeleteFolder { .. } => Phase::DeleteFolders,
            Op::DeleteRolePolicy { .. } | Op::DeleteUserPolicy { .. } => Phase::DeleteRolePolicies,
            Op::DeleteRole { .. } | Op::DeleteUser { .. } => Phase::DeleteRoles,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub address: String,
    pub action: Action,
    /// Canonical JSON views of the resource, for rendering; `None` when absent.
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub reason: String,
    pub ops: Vec<Op>,
}

impl Change {
    /// The phase a change belongs to, for display order: its first operation's.
    pub fn phase(&self) -> Phase {
        self.ops
            .iter()
            .map(Op::phase)
            .min()
            .unwrap_or(Phase::Buckets)
    }

    /// The phase each operation runs in: its own, or an earlier one so that it never
    /// runs after an operation that follows it in the change. (A replace lists
    /// `DeleteRole` before `CreateRole`: the delete runs with the create.)
    pub fn op_phases(&self) -> Vec<Phase> {
        let mut phases: Vec<Phase> = self.ops.iter().map(Op::phase).collect();
        for i in (0..phases.len().saturating_sub(1)).rev() {
            phases[i] = phases[i].min(phases[i + 1]);
        }
        phases
    }
}

/// A message tied to a resource address (or to the whole spec).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub address: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub spec: String,
    pub account_id: String,
    pub changes: Vec<Change>,
    pub warnings: Vec<Notice>,
    /// Facts worth knowing that need no action (access keys' age and last use).
    pub notes: Vec<Notice>,
    /// Conflicts that make the plan impossible to apply (unowned resources, missing
    /// buckets…). A plan with errors is never applied.
    pub errors: Vec<Notice>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
}

impl Plan {
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for change in &self.changes {
            match change.action {
                Action::Create => s.create += 1,
                Action::Update => s.update += 1,
                Action::Replace => s.replace += 1,
                Action::Delete => s.delete += 1,
            }
        }
        s
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// Diffs what the spec wants against what AWS holds.
pub fn diff(desired: &Desired, observed: &Observed) -> Plan {
    let mut planner = Planner {
        desired,
        observed,
        changes: Vec::new(),
        warnings: Vec::new(),
        notes: Vec::new(),
        errors: Vec::new(),
        replaced_roles: BTreeSet::new(),
    };
    for bucket in desired.buckets.values() {
        planner.bucket(bucket);
    }
    for dest in desired.destinations.values() {
        for warning in &dest.warnings {
            planner.warn(format!("destination.{}", dest.name), warning.clone());
        }
        planner.role(dest);
        planner.user(dest);
        planner.inline_policy(dest);
        planner.folder(dest);
        planner.keys(dest);
    }
    // Statements come after roles: a replaced role invalidates its statement.
    for dest in desired.destinations.values() {
        planner.statement(dest);
    }
    planner.prune();
    planner.check_limits();
    let Planner {
        mut changes,
        warnings,
        notes,
        errors,
        ..
    } = planner;
    changes.sort_by(|a, b| (a.phase(), &a.address).cmp(&(b.phase(), &b.address)));
    Plan {
        spec: desired.spec.clone(),
        account_id: desired.account_id.clone(),
        changes,
        warnings,
        notes,
        errors,
    }
}

struct Planner<'a> {
    desired: &'a Desired,
    observed: &'a Observed,
    changes: Vec<Change>,
    warnings: Vec<Notice>,
    notes: Vec<Notice>,
    errors: Vec<Notice>,
    /// Roles deleted and created again by this plan: statements naming them must be rewritten.
    replaced_roles: BTreeSet<String>,
}

impl<'a> Planner<'a> {
    fn spec(&self) -> &str {
        &self.desired.spec
    }

    fn warn(&mut self, address: String, message: String) {
        self.warnings.push(Notice { address, message });
    }

    fn error(&mut self, address: String, message: String) {
        self.errors.push(Notice { address, message });
    }

    fn change(
        &mut self,
        address: String,
        action: Action,
        before: Option<Value>,
        after: Option<Value>,
        reason: impl Into<String>,
        ops: Vec<Op>,
    ) {
        self.changes.push(Change {
            address,
            action,
            before,
            after,
            reason: reason.into(),
            ops,
        });
    }

    fn bucket_info(&self, bucket: &str) -> Option<&BucketInfo> {
        match self.observed.buckets.get(bucket) {
            Some(ObservedBucket::Present(info)) => Some(info),
            _ => None,
        }
    }

    fn bucket(&mut self, bucket: &DesiredBucket) {
        let address = format!("bucket.{}", bucket.name);
        match self.observed.buckets.get(&bucket.name) {
            Some(ObservedBucket::Present(info)) => {
                if let Some(region) = bucket.region.as_ref().filter(|_| bucket.region_declared)
                    && &info.region != region
                {
                    self.error(
                        address.clone(),
                        format!("bucket `{}` is in region `{}`, but the spec says `{region}`", bucket.name, info.region),
                    );
                }
                if bucket.create && info.public_access_blocked == Some(false) {
                    self.warn(address, "public access is not fully blocked on this bucket (s3dest did not create it and leaves its settings alone)".to_owned());
                }
            }
            Some(ObservedBucket::Missing) | None if bucket.create => {
                let region = bucket.region.clone().unwrap_or_else(|| crate::presets::DEFAULT_REGION.to_owned());
                let after = json!({
                    "name": bucket.name,
                    "region": region,
                    "public_access_block": "all blocked",
                    "default_encryption": "SSE-S3 (AES256)",
                });
                self.change(address, Action::Create, None, Some(after), "bucket does not exist and the spec sets `create: true`", vec![Op::CreateBucket { bucket: bucket.name.clone(), region }]);
            }
            Some(ObservedBucket::Missing) | None => self.error(
                address,
                format!("bucket `{}` does not exist; create it, or set `create: true` on it in the spec", bucket.name),
            ),
        }
    }

    fn role(&mut self, dest: &DesiredDestination) {
        let address = format!("destination.{}.role", dest.name);
        // A role this destination owned under another name (role_name changed, or auth switched).
        let previous: Vec<&ObservedRole> = self
            .owned_roles()
            .filter(|r| r.tags.get(TAG_DESTINATION) == Some(&dest.name))
            .filter(|r| dest.role.as_ref().is_none_or(|want| want.name != r.name))
            .collect();
        let Some(want) = &dest.role else {
            for old in previous {
                let reason = if dest.user.is_some() {
                    "auth changes from role to access-key: an IAM user replaces the role"
                } else {
                    "the destination no longer uses a role"
                };
                let changes = self.delete_role_changes(&dest.name, old, reason);
                self.changes.extend(changes);
            }
            return;
        };
        let after = Some(role_view(want, &self.desired.account_id));
        let observed: &'a Observed = self.observed;
        let Some(have) = observed.roles.get(&want.name) else {
            let mut ops: Vec<Op> = previous.iter().map(|old| delete_role_op(old)).collect();
            ops.push(Op::CreateRole { role: want.clone() });
            match previous.first() {
                Some(old) => {
                    let before = Some(observed_role_view(old));
                    let reason =
                        format!("role name changes from `{}` to `{}`", old.name, want.name);
                    self.change(address, Action::Replace, before, after, reason, ops);
                }
                None => self.change(
                    address,
                    Action::Create,
                    None,
                    after,
                    "role does not exist",
                    ops,
                ),
            }
            return;
        };
        if !self.owned_or_adopted(&address, "role", &want.name, &have.owner(), dest) {
            return;
        }
        let before = Some(observed_role_view(have));
        if have.path != want.path {
            self.replaced_roles.insert(want.name.clone());
            let ops = vec![delete_role_op(have), Op::CreateRole { role: want.clone() }];
            let reason = format!(
                "role path changes from `{}` to `{}` (IAM cannot move a role)",
                have.path, want.path
            );
            return self.change(address, Action::Replace, before, after, reason, ops);
        }
        let mut ops = Vec::new();
        let mut reasons = Vec::new();
        if !have.trust.equivalent(&want.trust) {
            ops.push(Op::UpdateTrust {
                role: want.name.clone(),
                trust: want.trust.clone(),
            });
            reasons.push("trust policy differs");
        }
        let (set, unset) = users::tag_changes(&want.tags, &have.tags);
        if !set.is_empty() {
            ops.push(Op::TagRole {
                role: want.name.clone(),
                tags: set,
            });
        }
        if !unset.is_empty() {
            ops.push(Op::UntagRole {
                role: want.name.clone(),
                keys: unset,
            });
        }
        if ops.len() > usize::from(!reasons.is_empty()) {
            reasons.push(if have.owner() == Owner::Unowned {
                "adopting: s3dest ownership tags are added"
            } else {
                "tags differ"
            });
        }
        if !ops.is_empty() {
            self.change(
                address,
                Action::Update,
                before,
                after,
                reasons.join("; "),
                ops,
            );
        }
        for old in previous {
            let changes =
                self.delete_role_changes(&dest.name, old, "an older role of this destination");
            self.changes.extend(changes);
        }
        self.foreign_policies_on(have, &dest.name);
    }

    /// Inline and managed policies s3dest did not put on a role it owns: reported, never touched.
    fn foreign_policies_on(&mut self, role: &ObservedRole, dest: &str) {
        let address = format!("destination.{dest}.role");
        for name in role
            .inline_policies
            .keys()
            .filter(|n| *n != INLINE_POLICY_NAME)
        {
            self.warn(address.clone(), format!("role `{}` has an inline policy `{name}` that s3dest does not manage; it is left alone", role.name));
        }
        for arn in &role.managed_policy_arns {
            self.warn(address.clone(), format!("role `{}` has managed policy `{arn}` attached, which s3dest does not manage; it is left alone", role.name));
        }
    }

    /// Deleting an owned role: its s3dest inline policy (a change of its own) and the
    /// role itself, with whatever else hangs on it (IAM refuses to delete it otherwise).
    fn delete_role_changes(&self, dest: &str, old: &ObservedRole, reason: &str) -> Vec<Change> {
        let mut changes = Vec::new();
        if let Some(policy) = old.inline_policies.get(INLINE_POLICY_NAME) {
            changes.push(Change {
                address: format!("destination.{dest}.role_policy"),
                action: Action::Delete,
                before: Some(Kind::Role.policy_view(&old.name, policy)),
                after: None,
                reason: reason.to_owned(),
                ops: vec![Op::DeleteRolePolicy {
                    role: old.name.clone(),
                    name: INLINE_POLICY_NAME.to_owned(),
                }],
            });
        }
        let others: Vec<String> = old
            .inline_policies
            .keys()
            .filter(|n| *n != INLINE_POLICY_NAME)
            .cloned()
            .collect();
        changes.push(Change {
            address: format!("destination.{dest}.role"),
            action: Action::Delete,
            before: Some(observed_role_view(old)),
            after: None,
            reason: reason.to_owned(),
            ops: vec![Op::DeleteRole {
                name: old.name.clone(),
                inline_policies: others,
                managed_policies: old.managed_policy_arns.clone(),
            }],
        });
        changes
    }

    /// AWS's size limits, checked here so that a plan that cannot be applied says so
    /// instead of failing half-way: an inline policy (10,240 characters per role or
    /// user, whitespace not counted) and a bucket policy after our edits (20 KB).
    fn check_limits(&mut self) {
        const INLINE_LIMIT: usize = 10_240;
        const BUCKET_POLICY_LIMIT: usize = 20 * 1024;
        let mut errors = Vec::new();
        for dest in self.desired.destinations.values() {
            if let Some(policy) = &dest.inline_policy {
                let size = policy.to_json().len();
                if size > INLINE_LIMIT {
                    errors.push((format!("destination.{}", dest.name), format!("its inline policy would be {size} characters; IAM allows {INLINE_LIMIT} per role or user")));
                }
            }
        }
        let mut edits: BTreeMap<&str, (Vec<&Statement>, Vec<&str>)> = BTreeMap::new();
        for op in self.changes.iter().flat_map(|c| &c.ops) {
            match op {
                Op::PutStatement { bucket, statement } => {
                    edits.entry(bucket).or_default().0.push(statement)
                }
                Op::DeleteStatement { bucket, sid } => edits.entry(bucket).or_default().1.push(sid),
                _ => {}
            }
        }
        for (bucket, (puts, deletes)) in edits {
            let mut policy = self
                .bucket_info(bucket)
                .and_then(|b| b.policy.clone())
                .unwrap_or_else(|| PolicyDocument::new(Vec::new()));
            policy.statements.retain(|s| {
                let sid = s.sid.as_deref();
                !puts.iter().any(|p| p.sid.as_deref() == sid)
                    && !deletes.iter().any(|d| sid == Some(*d))
            });
            policy.statements.extend(puts.into_iter().cloned());
            let size = policy.to_json().len();
            if size > BUCKET_POLICY_LIMIT {
                errors.push((
                    format!("bucket.{bucket}"),
                    format!(
                        "its bucket policy would be {size} bytes; S3 allows {BUCKET_POLICY_LIMIT}"
                    ),
                ));
            }
        }
        for (address, message) in errors {
            self.error(address, message);
        }
    }

    /// Tags of the roles and users this spec owns.
    fn owned_identity_tags(&self) -> impl Iterator<Item = &'a BTreeMap<String, String>> + 'a {
        let spec: &'a str = &self.desired.spec;
        let roles = self
            .observed
            .roles
            .values()
            .filter(move |r| r.owner().is_spec(spec))
            .map(|r| &r.tags);
        let users = self
            .observed
            .users
            .values()
            .filter(move |u| u.owner().is_spec(spec))
            .map(|u| &u.tags);
        roles.chain(users)
    }

    /// Roles of this spec. The references outlive `self`'s borrow, so callers may keep
    /// them while they record changes.
    fn owned_roles(&self) -> impl Iterator<Item = &'a ObservedRole> + 'a {
        let spec: &'a str = &self.desired.spec;
        self.observed
            .roles
            .values()
            .filter(move |r| r.owner().is_spec(spec))
    }

    /// The s3dest inline policy of the destination's role or user.
    fn inline_policy(&mut self, dest: &DesiredDestination) {
        let observed: &'a Observed = self.observed;
        let (kind, identity, existing) = if let Some(role) = &dest.role {
            let have = observed
                .roles
                .get(&role.name)
                .filter(|r| r.path == role.path && !self.replaced_roles.contains(&role.name));
            (Kind::Role, &role.name, have.map(|r| &r.inline_policies))
        } else if let Some(user) = &dest.user {
            let have = observed.users.get(&user.name);
            (Kind::User, &user.name, have.map(|u| &u.inline_policies))
        } else {
            return;
        };
        let address = format!("destination.{}.{}_policy", dest.name, kind.as_str());
        let have = existing.and_then(|p| p.get(INLINE_POLICY_NAME));
        let view = |doc: &PolicyDocument| kind.policy_view(identity, doc);
        match (&dest.inline_policy, have) {
            (Some(want), None) => {
                let reason = if existing.is_some() {
                    "inline policy is missing".to_owned()
                } else {
                    format!("{} is new", kind.as_str())
                };
                let op = kind.put_policy(identity, want);
                self.change(
                    address,
                    Action::Create,
                    None,
                    Some(view(want)),
                    reason,
                    vec![op],
                );
            }
            (Some(want), Some(have)) if !want.equivalent(have) => {
                let op = kind.put_policy(identity, want);
                let (before, after) = (Some(view(have)), Some(view(want)));
                self.change(
                    address,
                    Action::Update,
                    before,
                    after,
                    "inline policy differs",
                    vec![op],
                );
            }
            (None, Some(have)) => {
                let op = kind.delete_policy(identity);
                let reason = "the vendor needs no permissions policy on the role";
                self.change(
                    address,
                    Action::Delete,
                    Some(view(have)),
                    None,
                    reason,
                    vec![op],
                );
            }
            _ => {}
        }
    }

    fn statement(&mut self, dest: &DesiredDestination) {
        let Some(want) = &dest.bucket_statement else {
            return;
        };
        let sid = want.sid.clone().unwrap_or_default();
        let address = format!("bucket.{}.statement.{}", dest.bucket, dest.name);
        let have = self
            .bucket_info(&dest.bucket)
            .and_then(|b| b.policy.as_ref())
            .and_then(|p| p.statement_by_sid(&sid))
            .cloned();
        let view = |s: &Statement| json!({"bucket": dest.bucket, "sid": sid, "statement": s.canonical().to_value()});
        let op = Op::PutStatement {
            bucket: dest.bucket.clone(),
            statement: want.clone(),
        };
        let role_replaced = dest
            .role
            .as_ref()
            .is_some_and(|r| self.replaced_roles.contains(&r.name));
        match have {
            None => self.change(
                address,
                Action::Create,
                None,
                Some(view(want)),
                "statement is missing from the bucket policy",
                vec![op],
            ),
            Some(have) if !have.equivalent(want) => self.change(
                address,
                Action::Update,
                Some(view(&have)),
                Some(view(want)),
                "statement differs",
                vec![op],
            ),
            Some(have) if role_replaced => self.change(
                address,
                Action::Update,
                Some(view(&have)),
                Some(view(want)),
                "the role it names is replaced: AWS invalidates principals of a deleted role",
                vec![op],
            ),
            Some(_) => {}
        }
    }

    fn folder(&mut self, dest: &DesiredDestination) {
        let address = format!("destination.{}.folder", dest.name);
        let view =
            |bucket: &str, folder: &str| json!({"bucket": bucket, "key": format!("{folder}/")});
        let exists = self
            .bucket_info(&dest.bucket)
            .and_then(|b| b.folders.get(&dest.folder))
            .is_some_and(|f| f.marker.is_some());
        // The folder this destination had before, if it moved (known from its identity's tags).
        let old = self
            .owned_identity_tags()
            .filter(|tags| tags.get(TAG_DESTINATION) == Some(&dest.name))
            .find_map(|tags| {
                let (bucket, folder) = (tags.get(TAG_BUCKET)?, tags.get(TAG_FOLDER)?);
                (bucket != &dest.bucket || folder != &dest.folder)
                    .then(|| (bucket.clone(), folder.clone()))
            });
        let delete_old = old
            .as_ref()
            .and_then(|(bucket, folder)| self.prunable_folder(bucket, folder, &dest.name));
        if exists {
            if let (Some((bucket, folder)), Some(op)) = (&old, delete_old) {
                self.change(
                    address,
                    Action::Delete,
                    Some(view(bucket, folder)),
                    None,
                    "the destination moved to another folder; the old one is empty",
                    vec![op],
                );
            }
            return;
        }
        let create = Op::CreateFolder {
            bucket: dest.bucket.clone(),
            key: dest.marker_key(),
            spec: self.spec().to_owned(),
            destination: dest.name.clone(),
        };
        let after = Some(view(&dest.bucket, &dest.folder));
        match (&old, delete_old) {
            (Some((bucket, folder)), Some(op)) => self.change(
                address,
                Action::Replace,
                Some(view(bucket, folder)),
                after,
                "the destination moved to another folder; the old one is empty",
                vec![create, op],
            ),
            _ => self.change(
                address,
                Action::Create,
                None,
                after,
                "folder marker is missing",
                vec![create],
            ),
        }
    }

    /// The operation deleting `folder`'s marker, if this spec created it and nothing else is in the folder.
    fn prunable_folder(&mut self, bucket: &str, folder: &str, dest: &str) -> Option<Op> {
        let info = self.bucket_info(bucket)?.folders.get(folder)?.clone();
        let marker = info.marker?;
        if !marker.is_spec(self.spec()) {
            return None;
        }
        if info.has_other_objects != Some(false) {
            self.warn(
                format!("destination.{dest}.folder"),
                format!("folder `s3://{bucket}/{folder}/` is kept: it is not empty"),
            );
            return None;
        }
        Some(Op::DeleteFolder {
            bucket: bucket.to_owned(),
            key: format!("{folder}/"),
        })
    }

    /// Removes what this spec owns and no longer wants: roles of destinations that left
    /// the spec, their folder markers, and their bucket-policy statements.
    fn prune(&mut self) {
        let gone: Vec<ObservedRole> = self
            .owned_roles()
            .filter(|r| {
                r.tags
                    .get(TAG_DESTINATION)
                    .is_none_or(|d| !self.desired.destinations.contains_key(d))
            })
            .cloned()
            .collect();
        for role in gone {
            let dest = role
                .tags
                .get(TAG_DESTINATION)
                .cloned()
                .unwrap_or_else(|| role.name.clone());
            let changes =
                self.delete_role_changes(&dest, &role, "the destination is no longer in the spec");
            self.changes.extend(changes);
        }
        self.prune_users();
        // Folders of destinations that left, from their roles' and users' tags, once each.
        let folders: BTreeSet<(String, String, String)> = self
            .owned_identity_tags()
            .filter_map(|tags| {
                let dest = tags.get(TAG_DESTINATION)?;
                let gone = !self.desired.destinations.contains_key(dest);
                gone.then(|| {
                    Some((
                        dest.clone(),
                        tags.get(TAG_BUCKET)?.clone(),
                        tags.get(TAG_FOLDER)?.clone(),
                    ))
                })?
            })
            .collect();
        for (dest, bucket, folder) in folders {
            if let Some(op) = self.prunable_folder(&bucket, &folder, &dest) {
                let before = json!({"bucket": bucket, "key": format!("{folder}/")});
                let reason = "the destination is no longer in the spec and its folder is empty";
                let address = format!("destination.{dest}.folder");
                self.change(
                    address,
                    Action::Delete,
                    Some(before),
                    None,
                    reason,
                    vec![op],
                );
            }
        }
        let wanted: BTreeSet<(String, String)> = self
            .desired
            .destinations
            .values()
            .filter(|d| d.bucket_statement.is_some())
            .map(|d| (d.bucket.clone(), d.name.clone()))
            .collect();
        let mut stale = Vec::new();
        for (bucket, observed) in &self.observed.buckets {
            let ObservedBucket::Present(BucketInfo {
                policy: Some(policy),
                ..
            }) = observed
            else {
                continue;
            };
            for statement in &policy.statements {
                let Some(sid) = &statement.sid else { continue };
                let Some(dest) = sid::owned_destination(self.spec(), sid) else {
                    continue;
                };
                if !wanted.contains(&(bucket.clone(), dest.clone())) {
                    stale.push((bucket.clone(), dest, sid.clone(), statement.clone()));
                }
            }
        }
        for (bucket, dest, sid, statement) in stale {
            let before = json!({"bucket": bucket, "sid": sid, "statement": statement.canonical().to_value()});
            let op = Op::DeleteStatement {
                bucket: bucket.clone(),
                sid,
            };
            self.change(
                format!("bucket.{bucket}.statement.{dest}"),
                Action::Delete,
                Some(before),
                None,
                "the destination no longer grants access through this bucket",
                vec![op],
            );
        }
    }
}

fn delete_role_op(role: &ObservedRole) -> Op {
    Op::DeleteRole {
        name: role.name.clone(),
        inline_policies: role.inline_policies.keys().cloned().collect(),
        managed_policies: role.managed_policy_arns.clone(),
    }
}

/// Roles and users both carry one s3dest inline policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Role,
    User,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Role => "role",
            Kind::User => "user",
        }
    }

    fn policy_view(self, identity: &str, policy: &PolicyDocument) -> Value {
        json!({self.as_str(): identity, "name": INLINE_POLICY_NAME, "policy": policy.canonical().to_value()})
    }

    fn put_policy(self, identity: &str, policy: &PolicyDocument) -> Op {
        let (name, policy) = (INLINE_POLICY_NAME.to_owned(), policy.clone());
        match self {
            Kind::Role => Op::PutRolePolicy {
                role: identity.to_owned(),
                name,
                policy,
            },
            Kind::User => Op::PutUserPolicy {
                user: identity.to_owned(),
                name,
                policy,
            },
        }
    }

    fn delete_policy(self, identity: &str) -> Op {
        let name = INLINE_POLICY_NAME.to_owned();
        match self {
            Kind::Role => Op::DeleteRolePolicy {
                role: identity.to_owned(),
                name,
            },
            Kind::User => Op::DeleteUserPolicy {
                user: identity.to_owned(),
                name,
            },
        }
    }
}

fn role_view(role: &RoleDef, account_id: &str) -> Value {
    json!({
        "name": role.name,
        "path": role.path,
        "arn": role.arn(account_id),
        "trust_policy": role.trust.canonical().to_value(),
        "tags": role.tags,
    })
}

fn observed_role_view(role: &ObservedRole) -> Value {
    json!({
        "name": role.name,
        "path": role.path,
        "arn": role.arn,
        "trust_policy": role.trust.canonical().to_value(),
        "tags": role.tags,
    })
}
