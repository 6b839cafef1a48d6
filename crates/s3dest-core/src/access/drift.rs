//! Drift of a role's trust: a trust policy changed outside s3dest, described by what it
//! lets the vendor's principals (and others) do now.

use std::collections::BTreeSet;

use s3dest_policy::{PolicyDocument, normalize_aws_principal};

use super::{AssumeCheck, ExternalIdCase, State, assume_checks};
use crate::findings::{Finding, FindingKind, FindingSeverity};
use crate::model::{Desired, DesiredDestination, Observed};
use crate::plan::{Address, IdentityKind, Part};

/// The `drift` warning of a destination whose role's trust is not the one s3dest
/// wrote: who can assume the role now, evaluated on the trust as read, and what the
/// repair (apply restores the spec's trust) does about it.
pub fn trust_drift(dest: &DesiredDestination, desired: &Desired, observed: &Observed) -> Finding {
    let address = Address::part(&dest.name, Part::Role);
    let role = dest.role.as_ref().map_or("", |r| r.name.as_str());
    let live = observed.roles.get(role).map(|r| &r.trust);
    let checks = assume_checks(dest, desired, observed, State::Live);
    let mut now: Vec<String> = Vec::new();
    let mut exposed = false;
    let mut locked_out = false;
    let mut named: Vec<&str> = checks.iter().map(|c| c.principal.as_str()).collect();
    named.dedup();
    for principal in &named {
        let of = |case| {
            checks
                .iter()
                .find(|c: &&AssumeCheck| c.principal == *principal && c.external_id == case)
        };
        let admits = |case| of(case).is_some_and(|c| !c.should_allow && !c.verdict.is_denied());
        if admits(ExternalIdCase::Wrong) || admits(ExternalIdCase::None) {
            exposed = true;
            let how = if admits(ExternalIdCase::None) {
                "without the external ID"
            } else {
                "with another external ID"
            };
            now.push(format!("{principal} can assume it {how}"));
        }
        if of(ExternalIdCase::Right)
            .or(of(ExternalIdCase::None).filter(|c| c.should_allow))
            .is_some_and(|c| !c.as_expected())
        {
            locked_out = true;
            now.push(format!(
                "{principal} cannot assume it with the spec's external ID"
            ));
        }
    }
    if let Some(live) = live {
        let spec_ids: BTreeSet<&str> = dest.external_id.as_deref().into_iter().collect();
        let live = super::Trusted::of(live);
        let sorted: BTreeSet<&String> = live.external_ids.iter().collect();
        let ids: Vec<String> = sorted
            .into_iter()
            .filter(|id| !spec_ids.contains(id.as_str()))
            .map(|id| format!("`{id}`"))
            .collect();
        if !ids.is_empty() {
            exposed = true;
            now.push(format!("it accepts external ID {}", ids.join(", ")));
        }
        let others: Vec<String> = live
            .principals
            .iter()
            .filter(|p| !named.iter().any(|n| normalize_aws_principal(n) == **p))
            .cloned()
            .collect();
        if !others.is_empty() {
            exposed = true;
            now.push(format!("it also trusts {}", others.join(", ")));
        }
    }
    if now.is_empty() {
        now.push("its statements differ from the spec's".to_owned());
    }
    let repair = match (exposed, locked_out) {
        (true, true) => format!(" and lets {} in again", dest.vendor),
        (true, false) => ", which narrows who can assume it".to_owned(),
        (false, true) => format!(", which lets {} in again", dest.vendor),
        (false, false) => String::new(),
    };
    Finding::new(
        FindingSeverity::Warning,
        FindingKind::Drift,
        address,
        format!(
            "the trust policy of role `{role}` was changed outside s3dest (it is not the one \
             s3dest wrote): now {}. Apply restores the spec's trust{repair}",
            now.join("; ")
        ),
    )
}

/// The `missing-external-id` warnings of a role whose trust, as read, admits the
/// vendor's principals with a wrong external ID or none, where the spec has one: what
/// a trust update ends, whoever made the trust so.
pub fn live_trust_exposure(
    dest: &DesiredDestination,
    desired: &Desired,
    observed: &Observed,
) -> Vec<Finding> {
    let checks = assume_checks(dest, desired, observed, State::Live);
    super::findings::assume_findings(dest, &checks)
        .into_iter()
        .filter(|f| f.kind == FindingKind::MissingExternalId)
        .map(|mut f| {
            f.message = format!("{}. Apply restores the spec's trust", f.message);
            f
        })
        .collect()
}

/// The `drift` warning of a destination whose s3dest inline policy is not the one
/// s3dest wrote (`live`: as read; `None`: deleted): what it grants beyond the spec's
/// policy, whether the vendor lacks what it needs, and what the repair does.
pub fn policy_drift(
    dest: &DesiredDestination,
    kind: IdentityKind,
    identity: &str,
    live: Option<&PolicyDocument>,
    spec: &PolicyDocument,
) -> Finding {
    let address = Address::part(&dest.name, kind.policy_part());
    let what = format!("the inline policy of {} `{identity}`", kind.as_str());
    let message = match live {
        None => format!(
            "{what} was deleted outside s3dest: {} can do nothing. Apply restores the \
             spec's policy",
            dest.vendor
        ),
        Some(live) => {
            let beyond = crate::security::grants_beyond(spec, live);
            let lacking = crate::security::grants_beyond(live, spec).is_some();
            let mut now = Vec::new();
            if let Some(beyond) = &beyond {
                now.push(format!("compared with the spec's, it {beyond}"));
            }
            if lacking {
                now.push(format!(
                    "it no longer grants {} all that the spec's policy grants",
                    dest.vendor
                ));
            }
            if now.is_empty() {
                now.push("its statements differ from the spec's".to_owned());
            }
            let repair = match (beyond.is_some(), lacking) {
                (true, true) => format!(
                    ", which narrows it and gives {} its grant again",
                    dest.vendor
                ),
                (true, false) => ", which narrows what it grants".to_owned(),
                (false, true) => format!(", which gives {} its grant again", dest.vendor),
                (false, false) => String::new(),
            };
            format!(
                "{what} was changed outside s3dest (it is not the one s3dest wrote): {}. \
                 Apply restores the spec's policy{repair}",
                now.join("; ")
            )
        }
    };
    Finding::new(
        FindingSeverity::Warning,
        FindingKind::Drift,
        address,
        message,
    )
}
