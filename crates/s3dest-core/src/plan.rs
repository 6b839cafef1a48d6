//! The planner: desired + observed → an ordered list of changes. Pure: no I/O, no
//! clock, no AWS types; every decision about what to change, and why, is made here.

use std::collections::{BTreeMap, BTreeSet};

use s3dest_policy::{PolicyDocument, Statement};

use crate::access::DestinationAccess;
use crate::findings::{self, Finding, FindingKind, FindingSeverity};
use crate::model::{
    BucketInfo, Concern, Desired, DesiredDestination, Observed, ObservedBucket, ObservedRole,
    RoleDef, TAG_BUCKET, TAG_DESTINATION, TAG_FOLDER, UserDef,
};
use crate::sid;

mod buckets;
pub mod keys;
mod resource;
mod roles;
mod spec_file;
mod target;
mod users;
mod vendor;

pub use resource::{Address, IdentityKind, Part, Resource, UserKeys};

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
    /// Set these tags on the secret (the others stay).
    TagSecret {
        name: String,
        tags: BTreeMap<String, String>,
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
            Op::CreateAccessKey { .. }
            | Op::SetAccessKeyStatus { active: true, .. }
            | Op::TagSecret { .. } => Phase::Keys,
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
    pub address: Address,
    pub action: Action,
    /// The resource as AWS holds it and as the plan makes it; `None` when absent.
    pub before: Option<Resource>,
    pub after: Option<Resource>,
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
    pub address: Address,
    pub message: String,
    pub concern: Concern,
}

impl Notice {
    pub fn new(address: Address, message: impl Into<String>) -> Notice {
        Notice {
            address,
            message: message.into(),
            concern: Concern::General,
        }
    }

    /// Whether this warning is also a finding of the plan. It stays among the warnings
    /// (the JSON plan has always listed it there); outputs for people show it once,
    /// as the finding.
    pub fn is_finding(&self) -> bool {
        FindingKind::of_concern(self.concern).is_some()
    }
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
    /// What a reviewer must know (see [`crate::findings`]), in the order shown. A plan
    /// with an `error` finding is never applied either.
    pub findings: Vec<Finding>,
    /// What each destination's vendor can do once the plan is applied, in name order
    /// (the reviewers' picture).
    pub access: Vec<DestinationAccess>,
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

    /// Whether the plan must not be applied: it has errors, or an `error` finding.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
            || self
                .findings
                .iter()
                .any(|f| f.severity == FindingSeverity::Error)
    }
}

/// Diffs what the spec wants against what AWS holds.
pub fn diff(desired: &Desired, observed: &Observed) -> Plan {
    // What the grants need of the buckets as read (a key's `kms:` grant).
    let completed = crate::presets::with_bucket_facts(desired, observed);
    let desired = &completed;
    let mut planner = Planner {
        desired,
        observed,
        changes: Vec::new(),
        warnings: Vec::new(),
        notes: Vec::new(),
        errors: Vec::new(),
        findings: Vec::new(),
        access: Vec::new(),
        repairs: Vec::new(),
    };
    for bucket in desired.buckets.values() {
        planner.bucket(bucket);
    }
    for dest in desired.destinations.values() {
        for (concern, message) in &dest.warnings {
            let address = Address::destination(&dest.name);
            planner.concern_warning(address, *concern, message.clone());
        }
        planner.unsupported(dest);
        planner.access(dest);
        planner.role(dest);
        planner.user(dest);
        planner.existing_role_policy(dest);
        planner.folder(dest);
        // Not ours to change: the error says so, and nothing of it is planned.
        if !planner.identity_refused(dest) {
            planner.inline_policy(dest);
            planner.keys(dest);
        }
    }
    // Statements come after roles: a replaced role invalidates its statement.
    for dest in desired.destinations.values() {
        if !planner.identity_refused(dest) {
            planner.statement(dest);
        }
    }
    planner.prune();
    planner.prune_existing_role_policies();
    planner.public_access();
    planner.check_limits();
    planner.check_policy_writes();
    planner.file_conflicts();
    let Planner {
        mut changes,
        warnings,
        notes,
        errors,
        mut findings,
        access,
        repairs,
        ..
    } = planner;
    // By address as shown, so that the order reads alphabetically.
    changes.sort_by_cached_key(|c| (c.phase(), c.address.to_string()));
    // A repair of drift gives back what the spec had: it is reported as drift, never
    // as access that widens.
    let widens = crate::security::access_findings(&changes);
    findings.extend(widens.into_iter().filter(|f| !repairs.contains(&f.address)));
    findings::sort(&mut findings);
    Plan {
        spec: desired.spec.clone(),
        account_id: desired.account_id.clone(),
        changes,
        warnings,
        notes,
        errors,
        findings,
        access,
    }
}

struct Planner<'a> {
    desired: &'a Desired,
    observed: &'a Observed,
    changes: Vec<Change>,
    warnings: Vec<Notice>,
    notes: Vec<Notice>,
    errors: Vec<Notice>,
    findings: Vec<Finding>,
    access: Vec<DestinationAccess>,
    /// Changes that restore what AWS changed outside s3dest (drift).
    repairs: Vec<Address>,
}

impl<'a> Planner<'a> {
    fn spec(&self) -> &str {
        &self.desired.spec
    }

    fn warn(&mut self, address: Address, message: String) {
        self.warnings.push(Notice::new(address, message));
    }

    fn error(&mut self, address: Address, message: String) {
        self.errors.push(Notice::new(address, message));
    }

    /// Records a finding (the security review's are added once the changes are known).
    fn finding(
        &mut self,
        severity: FindingSeverity,
        kind: FindingKind,
        address: Address,
        message: impl Into<String>,
    ) {
        self.findings
            .push(Finding::new(severity, kind, address, message));
    }

    /// A warning about `concern`, which is also a finding when the concern is one
    /// (a missing external ID, public access).
    fn concern_warning(&mut self, address: Address, concern: Concern, message: String) {
        if let Some(kind) = FindingKind::of_concern(concern) {
            self.finding(FindingSeverity::Warning, kind, address.clone(), &message);
        }
        self.warnings.push(Notice {
            concern,
            ..Notice::new(address, message)
        });
    }

    fn change(
        &mut self,
        address: Address,
        action: Action,
        before: Option<Resource>,
        after: Option<Resource>,
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

    /// Whether the destination's role or user exists but is not this spec's to change.
    fn identity_refused(&self, dest: &DesiredDestination) -> bool {
        let role = Address::part(&dest.name, Part::Role);
        let user = Address::part(&dest.name, Part::User);
        self.errors
            .iter()
            .any(|e| e.address == role || e.address == user)
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

    /// Removes what this spec owns and no longer wants: roles of destinations that left
    /// the spec, their folder markers, and their bucket-policy statements.
    fn prune(&mut self) {
        let gone: Vec<ObservedRole> = self
            .owned_roles()
            .filter(|r| {
                let dest = r.tags.get(TAG_DESTINATION);
                dest.is_none_or(|d| !self.desired.destinations.contains_key(d))
                    && !self.role_wanted(&r.name)
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
                let before = Resource::Folder {
                    key: format!("{folder}/"),
                    bucket,
                };
                let reason = "the destination is no longer in the spec and its folder is empty";
                let address = Address::part(dest, Part::Folder);
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
            let address = Address::statement(&bucket, dest);
            let op = Op::DeleteStatement {
                bucket: bucket.clone(),
                sid: sid.clone(),
            };
            let before = Resource::BucketStatement {
                bucket,
                sid,
                statement,
            };
            self.change(
                address,
                Action::Delete,
                Some(before),
                None,
                "the destination no longer grants access through this bucket",
                vec![op],
            );
        }
    }
}
