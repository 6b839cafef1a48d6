//! Roles: the destination's role, its s3dest inline policy (and a user's, which works
//! the same way), and deleting roles the spec no longer wants.

use std::collections::BTreeMap;

use s3dest_policy::{PolicyDocument, Statement};

use super::{Action, Address, Change, IdentityKind, Notice, Op, Part, Planner, Resource, users};
use crate::model::{
    DesiredDestination, INLINE_POLICY_NAME, Observed, ObservedRole, Owner, RoleDef,
    TAG_DESTINATION, TAG_FILE, TAG_POLICY, TAG_TRUST,
};

impl<'a> Planner<'a> {
    pub(super) fn role(&mut self, dest: &DesiredDestination) {
        let address = Address::part(&dest.name, Part::Role);
        // A role this destination owned under another name (role_name changed, or auth switched).
        // Never one that a destination of the spec still wants (renamed destinations).
        let previous: Vec<&ObservedRole> = self
            .owned_roles()
            .filter(|r| r.tags.get(TAG_DESTINATION) == Some(&dest.name))
            .filter(|r| !self.role_wanted(&r.name))
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
                    let others: Vec<String> = old
                        .inline_policies
                        .keys()
                        .filter(|n| *n != INLINE_POLICY_NAME)
                        .cloned()
                        .collect();
                    let reason = format!(
                        "role name changes from `{}` to `{}`{}",
                        old.name,
                        want.name,
                        also_removes(&others, &old.managed_policy_arns)
                    );
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
        // IAM cannot move a role, and replacing one would destroy its unique id (every
        // policy naming it would break): an adopted role stays where it is. Pendo's role
        // is looked up by its ARN at `/`, so that one must be there.
        if have.path != want.path {
            if dest.vendor.fixed_role().is_some() {
                let vendor = dest.vendor.description().title;
                return self.error(address, format!("role `{}` is at path `{}`; {vendor} expects it at `{}`. Move it by hand (delete and create it there) before s3dest can manage it", have.name, have.path, want.path));
            }
            let message = format!(
                "role `{}` stays at its path `{}` (IAM cannot move a role; roles s3dest creates live under `{}`)",
                have.name, have.path, want.path
            );
            self.notes.push(Notice::new(address.clone(), message));
        }
        let trust_written = !have.trust.equivalent(&want.trust);
        // The record of the trust s3dest wrote goes with a write of the trust: a role an
        // older s3dest made gets it then, not as a change of its own.
        let mut want_tags = want.tags.clone();
        if !trust_written && !have.tags.contains_key(TAG_TRUST) {
            want_tags.remove(TAG_TRUST);
        }
        users::keep_policy_record(&mut want_tags, &have.tags);
        let moved_from = self.settle_file_record(&mut want_tags, &have.tags, |want| {
            trust_written || users::tags_differ(want, &have.tags)
        });
        // Updated in place: tags someone else added stay.
        let mut after = after;
        if let Some(Resource::Role { tags, .. }) = after.as_mut() {
            *tags = users::tags_after(&want_tags, &have.tags);
        }
        let mut ops = Vec::new();
        let mut reasons = Vec::new();
        if trust_written {
            ops.push(Op::UpdateTrust {
                role: want.name.clone(),
                trust: want.trust.clone(),
            });
            // Not the trust s3dest last wrote: someone changed it, and this restores it.
            let changed_outside = have
                .tags
                .get(TAG_TRUST)
                .is_some_and(|written| *written != have.trust.digest());
            if changed_outside {
                reasons.push(
                    "the trust policy was changed outside s3dest: it is restored to the spec's"
                        .to_owned(),
                );
                self.repairs.push(address.clone());
                self.findings.push(crate::access::trust_drift(
                    dest,
                    self.desired,
                    self.observed,
                ));
            } else {
                reasons.push(trust_reason(dest, have));
                let exposed = crate::access::live_trust_exposure(dest, self.desired, self.observed);
                self.findings.extend(exposed);
            }
        }
        ops.extend(IdentityKind::Role.tag_ops(&want.name, &want_tags, &have.tags));
        // The records change with what they record: that is no reason of their own.
        let (set, unset) = users::tag_changes(&want_tags, &have.tags);
        let other_tags_differ =
            !unset.is_empty() || set.keys().any(|k| k != TAG_TRUST && k != TAG_FILE);
        let trust_record_alone = !trust_written && set.contains_key(TAG_TRUST);
        if other_tags_differ || trust_record_alone {
            reasons.push(if have.owner() == Owner::Unowned {
                "adopting: s3dest ownership tags are added".to_owned()
            } else {
                "tags differ".to_owned()
            });
        }
        if let Some(from) = moved_from {
            reasons.push(super::spec_file::moved_reason(from));
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
        self.foreign_policies_on(have, dest);
    }

    /// Inline and managed policies s3dest did not put on a role it owns: reported, never
    /// touched; but the guide's grant, which `adopt: true` takes over (`inline_policy`).
    pub(super) fn foreign_policies_on(&mut self, role: &ObservedRole, dest: &DesiredDestination) {
        let address = Address::part(&dest.name, Part::Role);
        let adoption = crate::adoption::inline_policies(dest, self.desired, self.observed);
        for name in role
            .inline_policies
            .keys()
            .filter(|n| *n != INLINE_POLICY_NAME)
        {
            let why = match &adoption {
                Some(adoption) if adoption.takes(name) => continue,
                Some(adoption) => adoption.why_kept(name),
                None => None,
            };
            let message = match why {
                Some(why) => kept_policy_warning(IdentityKind::Role, &role.name, name, why),
                None => format!(
                    "role `{}` has an inline policy `{name}` that s3dest does not manage; it is left alone",
                    role.name
                ),
            };
            self.warn(address.clone(), message);
        }
        for arn in &role.managed_policy_arns {
            self.warn(address.clone(), format!("role `{}` has managed policy `{arn}` attached, which s3dest does not manage; it is left alone", role.name));
        }
    }

    /// Deleting an owned role: its s3dest inline policy (a change of its own) and the
    /// role itself, with whatever else hangs on it (IAM refuses to delete it otherwise).
    pub(super) fn delete_role_changes(
        &self,
        dest: &str,
        old: &ObservedRole,
        reason: &str,
    ) -> Vec<Change> {
        let identity = Identity {
            kind: IdentityKind::Role,
            name: &old.name,
            inline_policies: &old.inline_policies,
            managed_policies: &old.managed_policy_arns,
            view: observed_role_view(old),
        };
        identity.delete_changes(dest, reason, |others| Op::DeleteRole {
            name: old.name.clone(),
            inline_policies: others,
            managed_policies: old.managed_policy_arns.clone(),
        })
    }

    /// Whether a destination of the spec wants a role of this name.
    pub(super) fn role_wanted(&self, name: &str) -> bool {
        self.desired
            .destinations
            .values()
            .filter_map(|d| d.role.as_ref())
            .any(|r| r.name == name)
    }

    /// Roles of this spec. The references outlive `self`'s borrow, so callers may keep
    /// them while they record changes.
    pub(super) fn owned_roles(&self) -> impl Iterator<Item = &'a ObservedRole> + 'a {
        let spec: &'a str = &self.desired.spec;
        self.observed
            .roles
            .values()
            .filter(move |r| r.owner().is_spec(spec))
    }

    /// The s3dest inline policy of the destination's role or user.
    pub(super) fn inline_policy(&mut self, dest: &DesiredDestination) {
        let observed: &'a Observed = self.observed;
        let (kind, identity, found) = if let Some(role) = &dest.role {
            let have = observed.roles.get(&role.name);
            (
                IdentityKind::Role,
                &role.name,
                have.map(|r| (&r.inline_policies, &r.tags)),
            )
        } else if let Some(user) = &dest.user {
            let have = observed.users.get(&user.name);
            (
                IdentityKind::User,
                &user.name,
                have.map(|u| (&u.inline_policies, &u.tags)),
            )
        } else {
            return;
        };
        let address = Address::part(&dest.name, kind.policy_part());
        let have = found.and_then(|(policies, _)| policies.get(INLINE_POLICY_NAME));
        let record = found.and_then(|(_, tags)| tags.get(TAG_POLICY));
        let view = |doc: &PolicyDocument| kind.policy_view(identity, doc);
        // On an identity that exists, the policy's record is written after the policy
        // (a new identity is made with it).
        // The spec file's record goes with the policy's.
        let file_record = found.and_then(|(_, tags)| self.file_tag_with_write(Some(tags)));
        let put = |want: &PolicyDocument| {
            let mut ops = vec![kind.put_policy(identity, want)];
            if found.is_some() {
                let mut record = BTreeMap::from([(TAG_POLICY.to_owned(), want.digest())]);
                record.extend(file_record.clone());
                ops.push(kind.tag_op(identity, record));
            }
            ops
        };
        let adoption = crate::adoption::inline_policies(dest, self.desired, observed)
            .filter(|a| !a.taken.is_empty());
        if let (Some(adoption), Some(want)) = (adoption, &dest.inline_policy) {
            // Already s3dest's policy, and recorded: only the hand-made one goes.
            let in_place = have.is_some_and(|h| h.equivalent(want))
                && record.is_some_and(|r| *r == want.digest());
            let ops = if in_place { Vec::new() } else { put(want) };
            return self.take_over_policies(dest, &adoption, INLINE_POLICY_NAME, want, ops);
        }
        match (&dest.inline_policy, have) {
            (Some(want), None) => {
                let reason = match (found, record) {
                    (Some(_), Some(_)) => {
                        self.repairs.push(address.clone());
                        self.findings.push(crate::access::policy_drift(
                            dest, kind, identity, None, want,
                        ));
                        "the inline policy was deleted outside s3dest: it is restored".to_owned()
                    }
                    (Some(_), None) => "inline policy is missing".to_owned(),
                    (None, _) => format!("{} is new", kind.as_str()),
                };
                self.change(
                    address,
                    Action::Create,
                    None,
                    Some(view(want)),
                    reason,
                    put(want),
                );
            }
            (Some(want), Some(have)) if !want.equivalent(have) => {
                // Not the policy s3dest last wrote: someone changed it, and this restores it.
                let changed_outside = record.is_some_and(|r| *r != have.digest());
                let reason = if changed_outside {
                    self.repairs.push(address.clone());
                    self.findings.push(crate::access::policy_drift(
                        dest,
                        kind,
                        identity,
                        Some(have),
                        want,
                    ));
                    "the inline policy was changed outside s3dest: it is restored to the spec's"
                } else {
                    "inline policy differs"
                };
                let (before, after) = (Some(view(have)), Some(view(want)));
                self.change(address, Action::Update, before, after, reason, put(want));
            }
            (None, Some(have)) => {
                let mut ops = vec![kind.delete_policy(identity)];
                if record.is_some() {
                    ops.push(kind.untag_op(identity, vec![TAG_POLICY.to_owned()]));
                }
                let reason = "the vendor needs no permissions policy on the role";
                self.change(address, Action::Delete, Some(view(have)), None, reason, ops);
            }
            _ => {}
        }
    }
}

impl Planner<'_> {
    /// Takes over the inline policies made by hand from the guide (see
    /// `crate::adoption`): one change that writes s3dest's policy `ours` (`ops`, empty
    /// when it is there already) and then deletes them, so that the vendor's access
    /// never lapses.
    pub(super) fn take_over_policies(
        &mut self,
        dest: &DesiredDestination,
        adoption: &crate::adoption::InlineAdoption<'_>,
        ours: &str,
        want: &PolicyDocument,
        mut ops: Vec<Op>,
    ) {
        let (kind, identity) = (adoption.kind, adoption.identity);
        let names: Vec<&str> = adoption.taken.iter().map(|(name, _)| *name).collect();
        ops.extend(
            names
                .iter()
                .map(|name| kind.delete_named_policy(identity, name)),
        );
        // What they granted together, for the plan and the security review.
        let statements: Vec<Statement> = adoption
            .taken
            .iter()
            .flat_map(|(_, policy)| policy.statements.iter().cloned())
            .collect();
        let before = Resource::InlinePolicy {
            kind,
            identity: identity.to_owned(),
            name: names.join(", "),
            policy: PolicyDocument {
                version: adoption.taken[0].1.version.clone(),
                id: None,
                statements,
            },
        };
        let after = Resource::InlinePolicy {
            kind,
            identity: identity.to_owned(),
            name: ours.to_owned(),
            policy: want.clone(),
        };
        let taken: Vec<&Statement> = adoption
            .taken
            .iter()
            .flat_map(|(_, policy)| &policy.statements)
            .collect();
        let fixes =
            crate::adoption::fixes(dest, &taken, &want.statements.iter().collect::<Vec<_>>());
        let (noun, verb, them) = match names.len() {
            1 => ("inline policy", "grants", "it"),
            _ => ("inline policies", "grant", "them"),
        };
        let mut reason = format!(
            "adopting: {noun} {} {verb} what the guide's policy grants; s3dest's policy `{ours}` replaces {them}",
            crate::phrase::code_list(&names)
        );
        if !fixes.is_empty() {
            reason += &format!(" ({})", fixes.join("; "));
        }
        let address = Address::part(&dest.name, kind.policy_part());
        self.change(
            address,
            Action::Replace,
            Some(before),
            Some(after),
            reason,
            ops,
        );
    }
}

/// The warning about an inline policy `adopt: true` leaves where it is, and why.
pub(super) fn kept_policy_warning(
    kind: IdentityKind,
    identity: &str,
    name: &str,
    why: &crate::adoption::NotGuide,
) -> String {
    format!(
        "{} `{identity}` has an inline policy `{name}` that s3dest does not manage; `adopt: true` does not take it over, as it is not the guide's grant for this destination ({why}); it is left alone",
        kind.as_str()
    )
}

pub(super) fn delete_role_op(role: &ObservedRole) -> Op {
    Op::DeleteRole {
        name: role.name.clone(),
        inline_policies: role.inline_policies.keys().cloned().collect(),
        managed_policies: role.managed_policy_arns.clone(),
    }
}

/// Roles and users both carry one s3dest inline policy.
impl IdentityKind {
    pub(super) fn policy_view(self, identity: &str, policy: &PolicyDocument) -> Resource {
        Resource::InlinePolicy {
            kind: self,
            identity: identity.to_owned(),
            name: INLINE_POLICY_NAME.to_owned(),
            policy: policy.clone(),
        }
    }

    pub(super) fn put_policy(self, identity: &str, policy: &PolicyDocument) -> Op {
        let (name, policy) = (INLINE_POLICY_NAME.to_owned(), policy.clone());
        match self {
            IdentityKind::Role => Op::PutRolePolicy {
                role: identity.to_owned(),
                name,
                policy,
            },
            IdentityKind::User => Op::PutUserPolicy {
                user: identity.to_owned(),
                name,
                policy,
            },
        }
    }

    /// The operations that make an identity's tags `want`'s (see [`users::tag_changes`]).
    pub(super) fn tag_ops(
        self,
        identity: &str,
        want: &BTreeMap<String, String>,
        have: &BTreeMap<String, String>,
    ) -> Vec<Op> {
        let (set, unset) = users::tag_changes(want, have);
        let mut ops = Vec::new();
        if !set.is_empty() {
            ops.push(self.tag_op(identity, set));
        }
        if !unset.is_empty() {
            ops.push(self.untag_op(identity, unset));
        }
        ops
    }

    /// Sets these tags on the role or user.
    pub(super) fn tag_op(self, identity: &str, tags: BTreeMap<String, String>) -> Op {
        let name = identity.to_owned();
        match self {
            IdentityKind::Role => Op::TagRole { role: name, tags },
            IdentityKind::User => Op::TagUser { user: name, tags },
        }
    }

    /// Removes these tag keys from the role or user.
    pub(super) fn untag_op(self, identity: &str, keys: Vec<String>) -> Op {
        let name = identity.to_owned();
        match self {
            IdentityKind::Role => Op::UntagRole { role: name, keys },
            IdentityKind::User => Op::UntagUser { user: name, keys },
        }
    }

    pub(super) fn delete_policy(self, identity: &str) -> Op {
        self.delete_named_policy(identity, INLINE_POLICY_NAME)
    }

    /// Deletes the inline policy `name` (one made by hand, taken over on adoption).
    pub(super) fn delete_named_policy(self, identity: &str, name: &str) -> Op {
        let name = name.to_owned();
        match self {
            IdentityKind::Role => Op::DeleteRolePolicy {
                role: identity.to_owned(),
                name,
            },
            IdentityKind::User => Op::DeleteUserPolicy {
                user: identity.to_owned(),
                name,
            },
        }
    }
}

pub(super) fn role_view(role: &RoleDef, account_id: &str) -> Resource {
    Resource::Role {
        name: role.name.clone(),
        path: role.path.clone(),
        arn: role.arn(account_id),
        trust: role.trust.clone(),
        tags: role.tags.clone(),
    }
}

pub(super) fn observed_role_view(role: &ObservedRole) -> Resource {
    Resource::Role {
        name: role.name.clone(),
        path: role.path.clone(),
        arn: role.arn.clone(),
        trust: role.trust.clone(),
        tags: role.tags.clone(),
    }
}

/// An owned role or user about to be deleted.
pub(super) struct Identity<'o> {
    pub kind: IdentityKind,
    pub name: &'o str,
    pub inline_policies: &'o BTreeMap<String, PolicyDocument>,
    pub managed_policies: &'o [String],
    /// How the identity is shown as `before`.
    pub view: Resource,
}

impl Identity<'_> {
    /// Its s3dest inline policy's deletion (a change of its own), then its own, made by
    /// `delete` from the names of the other inline policies, which go with it.
    pub(super) fn delete_changes(
        self,
        dest: &str,
        reason: &str,
        delete: impl FnOnce(Vec<String>) -> Op,
    ) -> Vec<Change> {
        let mut changes = Vec::new();
        if let Some(policy) = self.inline_policies.get(INLINE_POLICY_NAME) {
            changes.push(Change {
                address: Address::part(dest, self.kind.policy_part()),
                action: Action::Delete,
                before: Some(self.kind.policy_view(self.name, policy)),
                after: None,
                reason: reason.to_owned(),
                ops: vec![self.kind.delete_policy(self.name)],
            });
        }
        let others: Vec<String> = self
            .inline_policies
            .keys()
            .filter(|n| *n != INLINE_POLICY_NAME)
            .cloned()
            .collect();
        let reason = reason.to_owned() + &also_removes(&others, self.managed_policies);
        changes.push(Change {
            address: Address::part(dest, self.kind.part()),
            action: Action::Delete,
            before: Some(self.view),
            after: None,
            reason,
            ops: vec![delete(others)],
        });
        changes
    }
}

/// What deleting an identity also removes that s3dest did not put there: IAM refuses
/// to delete a role or user that still has policies, so the plan must say so.
pub(super) fn also_removes(inline: &[String], managed: &[String]) -> String {
    let mut parts: Vec<String> = inline
        .iter()
        .map(|n| format!("inline policy `{n}`"))
        .collect();
    parts.extend(
        managed
            .iter()
            .map(|arn| format!("the attachment of managed policy `{arn}`")),
    );
    if parts.is_empty() {
        return String::new();
    }
    format!(
        "; IAM deletes nothing that still has policies, so this also removes {}, which s3dest did not create",
        parts.join(", ")
    )
}

/// Why a role's trust is rewritten: when it trusts another of the vendor's documented
/// sets of principals (WalkMe's earlier roles), which one, and how to keep it.
fn trust_reason(dest: &DesiredDestination, have: &ObservedRole) -> String {
    let trusted: std::collections::BTreeSet<&str> = have
        .trust
        .statements
        .iter()
        .flat_map(|s| s.aws_principals())
        .collect();
    let wanted = dest
        .role
        .as_ref()
        .map(|r| {
            r.trust
                .statements
                .iter()
                .flat_map(|s| s.aws_principals())
                .collect::<std::collections::BTreeSet<&str>>()
        })
        .unwrap_or_default();
    let variants = dest.vendor.trust_variants();
    let as_set = |v: &s3dest_spec::TrustVariant| -> std::collections::BTreeSet<&str> {
        v.principals.iter().copied().collect()
    };
    let found = variants.iter().find(|v| as_set(v) == trusted);
    let asked = variants.iter().find(|v| as_set(v) == wanted);
    match (found, asked) {
        (Some(found), Some(asked)) if found.name != asked.name => format!(
            "the role trusts {}, and the spec asks for {} (`trust: {}`); to keep the \
             principals it trusts now, set `trust: {}`",
            found.summary, asked.summary, asked.name, found.name
        ),
        _ => "trust policy differs".to_owned(),
    }
}
