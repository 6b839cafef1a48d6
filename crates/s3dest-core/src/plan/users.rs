//! The access-key method: the destination's IAM user, its access keys and the secret
//! that holds the current key. Keys' secrets never pass through here: the plan only
//! says "make a key and store it", and the AWS edge does both in one operation.

use std::collections::BTreeMap;

use super::keys::{KeyStep, absorb_orphans, orphaned_keys, plan_keys};
use super::roles::Identity;
use super::{
    Action, Address, Change, IdentityKind, Notice, Op, Part, Planner, Resource, SecretDef,
    SecretFound, UserKeys,
};
use crate::model::{
    AccessKey, DesiredDestination, ObservedSecret, ObservedUser, Owner, SECRET_RECOVERY_DAYS,
    TAG_DESTINATION, TAG_FILE, TAG_KEY_PENDING, TAG_POLICY, TAG_SPEC, UserDef, pending_key_ids,
};

impl<'a> Planner<'a> {
    pub(super) fn user(&mut self, dest: &DesiredDestination) {
        let address = Address::part(&dest.name, Part::User);
        let spec = self.desired.spec.clone();
        let observed = self.observed;
        // A user this destination owned before (auth switched to role, or renamed).
        let previous: Vec<&ObservedUser> = observed
            .users
            .values()
            .filter(|u| u.owner().is_spec(&spec) && u.tags.get(TAG_DESTINATION) == Some(&dest.name))
            .filter(|u| !self.user_wanted(&u.name))
            .collect();
        for old in previous {
            let reason = if dest.role.is_some() {
                "auth changes from access-key to role: the role replaces the IAM user and its keys"
            } else {
                "an older user of this destination"
            };
            let changes = self.delete_user_changes(&dest.name, old, reason);
            self.changes.extend(changes);
        }
        let Some(want) = &dest.user else { return };
        let after = Some(user_view(want, &self.desired.account_id));
        let Some(have) = observed.users.get(&want.name) else {
            let op = Op::CreateUser { user: want.clone() };
            return self.change(
                address,
                Action::Create,
                None,
                after,
                "user does not exist",
                vec![op],
            );
        };
        if !self.owned_or_adopted(&address, "user", &want.name, &have.owner(), dest) {
            return;
        }
        // What `adopt: true` leaves of the user's own policies, and why (what it takes
        // over is the inline policy's change).
        if let Some(adoption) = crate::adoption::inline_policies(dest, self.desired, observed) {
            for (name, _, why) in &adoption.kept {
                let message =
                    super::roles::kept_policy_warning(IdentityKind::User, &have.name, name, why);
                self.warn(address.clone(), message);
            }
        }
        let mut want_tags = want.tags.clone();
        keep_policy_record(&mut want_tags, &have.tags);
        let moved_from = self.settle_file_record(&mut want_tags, &have.tags, |want| {
            tags_differ(want, &have.tags)
        });
        let ops = IdentityKind::User.tag_ops(&want.name, &want_tags, &have.tags);
        if !ops.is_empty() {
            let (set, unset) = tag_changes(&want_tags, &have.tags);
            let other_tags_differ = !unset.is_empty() || set.keys().any(|k| k != TAG_FILE);
            let mut reasons = Vec::new();
            if other_tags_differ {
                reasons.push(if have.owner() == Owner::Unowned {
                    "adopting: s3dest ownership tags are added".to_owned()
                } else {
                    "tags differ".to_owned()
                });
            }
            reasons.extend(moved_from.map(super::spec_file::moved_reason));
            let reason = reasons.join("; ");
            let before = Some(observed_user_view(have));
            let mut after = after;
            if let Some(Resource::User { tags, .. }) = after.as_mut() {
                *tags = tags_after(&want_tags, &have.tags);
            }
            self.change(address, Action::Update, before, after, reason, ops);
        }
    }

    /// Whether a destination of the spec wants a user of this name.
    fn user_wanted(&self, name: &str) -> bool {
        self.desired
            .destinations
            .values()
            .filter_map(|d| d.user.as_ref())
            .any(|u| u.name == name)
    }

    /// Whether a resource found under a name the spec wants may be changed; records the
    /// error when not.
    pub(super) fn owned_or_adopted(
        &mut self,
        address: &Address,
        kind: &str,
        name: &str,
        owner: &Owner,
        dest: &DesiredDestination,
    ) -> bool {
        match owner {
            owner if owner.is_spec(&self.desired.spec) => true,
            Owner::Unowned if dest.adopt => true,
            Owner::Unowned => {
                self.error(address.clone(), format!("{kind} `{name}` already exists and is not managed by s3dest; set `adopt: true` on destination `{}` to take it over", dest.name));
                false
            }
            Owner::Spec { spec, .. } => {
                let fixed = dest.vendor.fixed_role().is_some_and(|f| f.name == name);
                let hint = match kind {
                    "secret" => "",
                    _ if fixed => {
                        "; the vendor requires this one role name, so one spec per account manages it"
                    }
                    _ => {
                        "; give this destination its own `role_name`, or rename it (default names are `s3dest-<destination>`, per account)"
                    }
                };
                self.error(address.clone(), format!("{kind} `{name}` is managed by another s3dest spec, `{spec}`; s3dest never changes another spec's resources{hint}"));
                false
            }
        }
    }

    pub(super) fn keys(&mut self, dest: &DesiredDestination) {
        let Some(user) = &dest.user else { return };
        let address = Address::part(&dest.name, Part::AccessKey);
        let observed = self.observed;
        let user_address = Address::part(&dest.name, Part::User);
        if self.errors.iter().any(|e| e.address == user_address) {
            return; // the user is not ours: neither are its keys
        }
        let secret = observed.secrets.get(&user.secret_name);
        if let Some(secret) = secret
            && !self.owned_or_adopted(
                &Address::part(&dest.name, Part::Secret),
                "secret",
                &secret.name,
                &secret.owner(),
                dest,
            )
        {
            return;
        }
        let observed_user = observed.users.get(&user.name);
        let keys: &[AccessKey] = observed_user.map_or(&[], |u| &u.access_keys);
        let current = secret
            .filter(|s| !s.pending_deletion)
            .and_then(ObservedSecret::access_key_id);
        let pending = observed_user
            .and_then(|u| u.tags.get(TAG_KEY_PENDING))
            .map(|v| pending_key_ids(v));
        let orphans = orphaned_keys(keys, current, pending.as_ref());
        let kept: Vec<AccessKey> = keys
            .iter()
            .filter(|k| !orphans.contains(&k.id))
            .cloned()
            .collect();
        let mut plan = plan_keys(&kept, current, user.key_rules, observed.read_at);
        absorb_orphans(&mut plan, &orphans);
        for note in plan.notes {
            self.notes.push(Notice::new(address.clone(), note));
        }
        for warning in plan.warnings {
            self.warn(address.clone(), warning);
        }
        // A new key to paste, or an old one retired: what the vendor does when its key
        // stops working (Braze drops events for good after 5 days).
        let key_changes = plan
            .steps
            .iter()
            .any(|s| matches!(s, KeyStep::Create { .. } | KeyStep::Deactivate { .. }));
        let stops = dest
            .vendor
            .description()
            .access_key
            .as_ref()
            .and_then(|m| m.when_key_stops);
        if let (true, Some(stops), false) = (key_changes, stops, keys.is_empty()) {
            self.warn(address.clone(), stops.to_owned());
        }
        if let Some(error) = plan.error {
            return self.error(address, error);
        }
        let creates = plan
            .steps
            .iter()
            .any(|s| matches!(s, KeyStep::Create { .. }));
        let mut changes: Vec<Change> = plan
            .steps
            .into_iter()
            .map(|step| self.key_change(dest, user, keys, &address, step))
            .collect();
        // A new key rewrites the secret's tags; else a move rewrites its file's record.
        if let Some(secret) = secret.filter(|s| !s.pending_deletion && !creates) {
            let secret_address = Address::part(&dest.name, Part::Secret);
            self.retag_moved_secret(secret_address, &secret.name, &secret.tags);
        }
        // A new key rewrites the record and clears it when stored; else it is cleared
        // with the orphans' deletion, or on its own (a creation that failed cleanly).
        if pending.is_some() && !creates {
            let untag = Op::UntagUser {
                user: user.name.clone(),
                keys: vec![TAG_KEY_PENDING.to_owned()],
            };
            match changes.last_mut() {
                Some(change) => change.ops.push(untag),
                None => changes.push(Change {
                    address: address.clone(),
                    action: Action::Update,
                    before: Some(Resource::KeyPendingTag {
                        user: user.name.clone(),
                        present: true,
                    }),
                    after: Some(Resource::KeyPendingTag {
                        user: user.name.clone(),
                        present: false,
                    }),
                    reason: "an earlier apply's key creation stopped before it made a key; its record is cleared".to_owned(),
                    ops: vec![untag],
                }),
            }
        }
        self.changes.extend(changes);
    }

    fn key_change(
        &self,
        dest: &DesiredDestination,
        user: &UserDef,
        keys: &[AccessKey],
        address: &Address,
        step: KeyStep,
    ) -> Change {
        let now = self.observed.read_at;
        let key_view = |id: &str, active: bool| {
            let key = keys.iter().find(|k| k.id == id);
            Resource::AccessKey {
                user: user.name.clone(),
                id: id.to_owned(),
                active,
                created: key.map(|k| k.created),
                age_days: key.map(|k| super::keys::days(now.duration_since(k.created))),
                last_used: key.and_then(|k| k.last_used),
            }
        };
        let key_address = |id: &str| Address::part(&dest.name, Part::AccessKeyId(id.to_owned()));
        match step {
            KeyStep::Create {
                reason,
                making_room_for,
            } => {
                let mut tags = BTreeMap::new();
                tags.insert(TAG_SPEC.to_owned(), self.desired.spec.clone());
                tags.insert(TAG_DESTINATION.to_owned(), dest.name.clone());
                let observed_secret = self.observed.secrets.get(&user.secret_name);
                tags.extend(self.file_tag_with_write(observed_secret.map(|s| &s.tags)));
                let found = match observed_secret {
                    None => SecretFound::Missing,
                    Some(s) if s.pending_deletion => SecretFound::ScheduledForDeletion,
                    Some(_) => SecretFound::Present,
                };
                let secret = SecretDef {
                    name: user.secret_name.clone(),
                    tags,
                    found,
                };
                let mut ops: Vec<Op> = making_room_for
                    .iter()
                    .map(|id| Op::DeleteAccessKey {
                        user: user.name.clone(),
                        key_id: id.clone(),
                    })
                    .collect();
                ops.push(Op::CreateAccessKey {
                    user: user.name.clone(),
                    secret,
                });
                let reason = if found == SecretFound::ScheduledForDeletion {
                    format!(
                        "the secret `{}` is scheduled for deletion: it is restored and given a new key",
                        user.secret_name
                    )
                } else {
                    reason
                };
                let reason = match &making_room_for {
                    Some(id) => format!(
                        "{reason}; inactive key {id} is deleted first (IAM allows two keys)"
                    ),
                    None => reason,
                };
                let after = Resource::NewAccessKey {
                    user: user.name.clone(),
                    secret: user.secret_name.clone(),
                };
                Change {
                    address: address.clone(),
                    action: Action::Create,
                    before: None,
                    after: Some(after),
                    reason,
                    ops,
                }
            }
            KeyStep::Deactivate { id, reason } => Change {
                address: key_address(&id),
                action: Action::Update,
                before: Some(key_view(&id, true)),
                after: Some(key_view(&id, false)),
                reason,
                ops: vec![Op::SetAccessKeyStatus {
                    user: user.name.clone(),
                    key_id: id,
                    active: false,
                }],
            },
            KeyStep::Delete { id, reason } => Change {
                address: key_address(&id),
                action: Action::Delete,
                before: Some(key_view(&id, false)),
                after: None,
                reason,
                ops: vec![Op::DeleteAccessKey {
                    user: user.name.clone(),
                    key_id: id,
                }],
            },
        }
    }

    /// Deleting an owned user: its s3dest inline policy (a change of its own), then the
    /// user with its keys and anything else hanging on it.
    fn delete_user_changes(&self, dest: &str, old: &ObservedUser, reason: &str) -> Vec<Change> {
        let identity = Identity {
            kind: IdentityKind::User,
            name: &old.name,
            inline_policies: &old.inline_policies,
            managed_policies: &old.managed_policy_arns,
            view: observed_user_view(old),
        };
        identity.delete_changes(dest, reason, |others| Op::DeleteUser {
            name: old.name.clone(),
            inline_policies: others,
            managed_policies: old.managed_policy_arns.clone(),
            access_keys: old.access_keys.iter().map(|k| k.id.clone()).collect(),
        })
    }

    /// Users of destinations that left the spec, and secrets no destination uses any more.
    pub(super) fn prune_users(&mut self) {
        let spec = self.desired.spec.clone();
        let observed = self.observed;
        let wanted = |dest: Option<&String>| dest.and_then(|d| self.desired.destinations.get(d));
        for user in observed.users.values().filter(|u| u.owner().is_spec(&spec)) {
            if wanted(user.tags.get(TAG_DESTINATION)).is_none() && !self.user_wanted(&user.name) {
                let dest = user
                    .tags
                    .get(TAG_DESTINATION)
                    .cloned()
                    .unwrap_or_else(|| user.name.clone());
                let changes = self.delete_user_changes(
                    &dest,
                    user,
                    "the destination is no longer in the spec",
                );
                self.changes.extend(changes);
            }
        }
        for secret in observed
            .secrets
            .values()
            .filter(|s| s.owner().is_spec(&spec) && !s.pending_deletion)
        {
            let uses_it = wanted(secret.tags.get(TAG_DESTINATION))
                .and_then(|d| d.user.as_ref())
                .is_some_and(|u| u.secret_name == secret.name);
            if !uses_it {
                let dest = secret
                    .tags
                    .get(TAG_DESTINATION)
                    .cloned()
                    .unwrap_or_else(|| secret.name.clone());
                let before = Resource::Secret {
                    name: secret.name.clone(),
                    arn: secret.arn.clone(),
                    access_key_id: secret.access_key_id().map(str::to_owned),
                };
                let reason = format!(
                    "no access-key destination uses it any more; recoverable for {SECRET_RECOVERY_DAYS} days"
                );
                let op = Op::DeleteSecret {
                    name: secret.name.clone(),
                    recovery_days: SECRET_RECOVERY_DAYS,
                };
                self.change(
                    Address::part(dest, Part::Secret),
                    Action::Delete,
                    Some(before),
                    None,
                    reason,
                    vec![op],
                );
            }
        }
    }
}

/// The tags an identity will have: the spec's, and the ones someone else added (kept).
pub(super) fn tags_after(
    want: &BTreeMap<String, String>,
    have: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let kept = have
        .iter()
        .filter(|(k, _)| !k.starts_with("s3dest:") && !want.contains_key(*k));
    want.iter()
        .chain(kept)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The record of the inline policy ([`TAG_POLICY`]) is written with the policy, never
/// by a change of the role or user: `want` keeps what the identity has.
pub(super) fn keep_policy_record(
    want: &mut BTreeMap<String, String>,
    have: &BTreeMap<String, String>,
) {
    match have.get(TAG_POLICY) {
        Some(record) => want.insert(TAG_POLICY.to_owned(), record.clone()),
        None => want.remove(TAG_POLICY),
    };
}

/// Whether `have` must be tagged or untagged to match `want` ([`tag_changes`]).
pub(super) fn tags_differ(
    want: &BTreeMap<String, String>,
    have: &BTreeMap<String, String>,
) -> bool {
    let (set, unset) = tag_changes(want, have);
    !set.is_empty() || !unset.is_empty()
}

/// Tags to set and tag keys to remove so that `have` matches `want`. Only `s3dest:`
/// tags are removed: a tag someone else added (a cost centre, an organization's tag
/// policy) is not s3dest's to take away, so a tag dropped from the spec stays too.
pub(super) fn tag_changes(
    want: &BTreeMap<String, String>,
    have: &BTreeMap<String, String>,
) -> (BTreeMap<String, String>, Vec<String>) {
    let set = want
        .iter()
        .filter(|(k, v)| have.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let unset = have
        .keys()
        // The record of a key being made belongs to the key lifecycle (see `keys`).
        .filter(|k| k.starts_with("s3dest:") && *k != TAG_KEY_PENDING && !want.contains_key(*k))
        .cloned()
        .collect();
    (set, unset)
}

fn user_view(user: &UserDef, account_id: &str) -> Resource {
    Resource::User {
        name: user.name.clone(),
        path: user.path.clone(),
        arn: user.arn(account_id),
        tags: user.tags.clone(),
        keys: UserKeys::Wanted {
            secret: user.secret_name.clone(),
            rules: user.key_rules,
        },
    }
}

fn observed_user_view(user: &ObservedUser) -> Resource {
    Resource::User {
        name: user.name.clone(),
        path: user.path.clone(),
        arn: user.arn.clone(),
        tags: user.tags.clone(),
        keys: UserKeys::Held {
            ids: user.access_keys.iter().map(|k| k.id.clone()).collect(),
        },
    }
}
