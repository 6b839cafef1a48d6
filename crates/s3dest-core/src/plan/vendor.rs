//! What depends on a vendor's facts beyond its grant: the bucket it cannot work with,
//! and destinations that add one inline policy to a role of the customer's (Datadog's
//! integration role). s3dest owns that policy, by its name (the destination's statement
//! id, which names spec and destination), and nothing else of the role: never its trust,
//! tags, or other policies.

use s3dest_spec::vendors::Identity;

use super::{Action, Address, IdentityKind, Op, Part, Planner, Resource};
use crate::access::State;
use crate::findings::{FindingKind, FindingSeverity};
use crate::model::ObservedBucket;
use crate::model::{DesiredDestination, ObservedRole};
use crate::sid;

impl Planner<'_> {
    /// What the destination's vendor cannot work with in its bucket as read (SSE-KMS
    /// for Braze, Object Lock for Braze Currents, a region it does not serve): an
    /// `unsupported` error, which stops the plan from being applied.
    pub(super) fn unsupported(&mut self, dest: &DesiredDestination) {
        let Some(ObservedBucket::Present(bucket)) = self.observed.buckets.get(&dest.bucket) else {
            return;
        };
        for message in crate::presets::unsupported(dest, bucket) {
            self.finding(
                FindingSeverity::Error,
                FindingKind::Unsupported,
                Address::destination(&dest.name),
                message,
            );
        }
    }

    /// Statements of a destination bucket's policy that grant anyone an S3 request:
    /// `public-access` warnings, once per bucket (see `crate::access`).
    pub(super) fn public_access(&mut self) {
        let found = crate::access::public_findings(self.desired, self.observed);
        self.findings.extend(found);
    }

    /// What the vendor can do once apply is done (see `crate::access`): a needed
    /// request denied is a `vendor-blocked` error, one that might be a warning; what it
    /// can do beyond its need is a `beyond-need` info.
    pub(super) fn access(&mut self, dest: &DesiredDestination) {
        let access = crate::access::evaluate(dest, self.desired, self.observed, State::Planned);
        self.findings
            .extend(crate::access::findings(dest, &access, State::Planned));
        self.access.push(access);
    }

    /// The destination's policy on the existing role it names.
    pub(super) fn existing_role_policy(&mut self, dest: &DesiredDestination) {
        let Some(existing) = &dest.existing_role else {
            return;
        };
        let address = Address::part(&dest.name, Part::RolePolicy);
        let Some(role) = self.observed.roles.get(&existing.name) else {
            let (what, hint) = match &dest.vendor.description().identity {
                Identity::ExistingRole { what, hint, .. } => (*what, *hint),
                _ => ("the role", "create it first"),
            };
            return self.error(
                Address::part(&dest.name, Part::Role),
                format!(
                    "role `{}` does not exist: {} adds its policy to {what}, which s3dest does not create; {hint}",
                    existing.name, dest.vendor
                ),
            );
        };
        if let crate::model::Owner::Spec { spec, destination } = role.owner() {
            let whose = destination.map_or(String::new(), |d| format!(" of destination `{d}`"));
            return self.error(
                Address::part(&dest.name, Part::Role),
                format!(
                    "role `{}` is a role s3dest made (spec `{spec}`{whose}), not {}; set `role_name` to the role Datadog's integration made",
                    role.name,
                    match &dest.vendor.description().identity {
                        Identity::ExistingRole { what, .. } => *what,
                        _ => "the role this destination needs",
                    }
                ),
            );
        }
        let note = match self.observed.buckets.get(&dest.bucket) {
            Some(ObservedBucket::Present(bucket)) => crate::presets::key_policy_note(
                dest,
                bucket,
                self.observed,
                &self.desired.account_id,
            ),
            _ => None,
        };
        if let Some(note) = note {
            self.notes.push(super::Notice::new(address.clone(), note));
        }
        let Some(want) = &dest.inline_policy else {
            return;
        };
        let view = |policy| Resource::InlinePolicy {
            kind: IdentityKind::Role,
            identity: role.name.clone(),
            name: existing.policy_name.clone(),
            policy,
        };
        let put = Op::PutRolePolicy {
            role: role.name.clone(),
            name: existing.policy_name.clone(),
            policy: want.clone(),
        };
        if let Some(adoption) = crate::adoption::inline_policies(dest, self.desired, self.observed)
        {
            // The role serves other uses: only what touches the bucket is worth a word.
            for (name, policy, why) in &adoption.kept {
                if crate::adoption::mentions_bucket(dest, policy) {
                    let message = super::roles::kept_policy_warning(
                        IdentityKind::Role,
                        &role.name,
                        name,
                        why,
                    );
                    self.warn(Address::part(&dest.name, Part::Role), message);
                }
            }
            if !adoption.taken.is_empty() {
                let have = role.inline_policies.get(&existing.policy_name);
                let in_place = have.is_some_and(|h| h.equivalent(want));
                let ops = if in_place { Vec::new() } else { vec![put] };
                let ours = &existing.policy_name;
                return self.take_over_policies(dest, &adoption, ours, want, ops);
            }
        }
        match role.inline_policies.get(&existing.policy_name) {
            None => self.change(
                address,
                Action::Create,
                None,
                Some(view(want.clone())),
                format!(
                    "the destination's policy is added to role `{}` (nothing else of the role is changed)",
                    role.name
                ),
                vec![put],
            ),
            Some(have) if !have.equivalent(want) => self.change(
                address,
                Action::Update,
                Some(view(have.clone())),
                Some(view(want.clone())),
                "inline policy differs",
                vec![put],
            ),
            Some(_) => {}
        }
    }

    /// This spec's policies on roles it does not own whose destination is gone, or no
    /// longer uses that role.
    pub(super) fn prune_existing_role_policies(&mut self) {
        let spec = self.desired.spec.clone();
        let observed = self.observed;
        let stale: Vec<(&ObservedRole, String, String)> = observed
            .roles
            .values()
            .filter(|r| !r.owner().is_spec(&spec))
            .flat_map(|role| {
                role.inline_policies
                    .keys()
                    .filter_map(|name| {
                        Some((role, name.clone(), sid::owned_destination(&spec, name)?))
                    })
                    .collect::<Vec<_>>()
            })
            .filter(|(role, _, dest)| {
                !self.desired.destinations.get(dest).is_some_and(|d| {
                    d.existing_role
                        .as_ref()
                        .is_some_and(|e| e.name == role.name)
                })
            })
            .collect();
        for (role, policy_name, dest) in stale {
            let Some(have) = role.inline_policies.get(&policy_name) else {
                continue;
            };
            let before = Resource::InlinePolicy {
                kind: IdentityKind::Role,
                identity: role.name.clone(),
                name: policy_name.clone(),
                policy: have.clone(),
            };
            let reason = if self.desired.destinations.contains_key(&dest) {
                "the destination no longer uses this role"
            } else {
                "the destination is no longer in the spec"
            };
            self.change(
                Address::part(&dest, Part::RolePolicy),
                Action::Delete,
                Some(before),
                None,
                format!("{reason}; nothing else of role `{}` is changed", role.name),
                vec![Op::DeleteRolePolicy {
                    role: role.name.clone(),
                    name: policy_name,
                }],
            );
        }
    }
}
