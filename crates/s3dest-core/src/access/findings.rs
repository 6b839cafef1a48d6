//! What an evaluation means for a reviewer: the findings of one destination's access.

use s3dest_policy::{Decision, Effect, Outcome, Verdict, wildcard_matches};
use s3dest_spec::vendors::{Encryption, ScopeRule};

use super::{AssumeCheck, DestinationAccess, ExternalIdCase, Reach, RequestCheck, State};
use crate::findings::{Finding, FindingKind, FindingSeverity};
use crate::model::{DesiredDestination, LOCK_KEY};
use crate::phrase::{and_list, code_list};
use crate::plan::{Address, Part};

/// The findings of `access` (evaluated in `state`): a needed request denied is a
/// `vendor-blocked` error, one that might be a warning; a role its vendor cannot
/// assume with the spec's external ID is an error, one that others can assume with a
/// wrong one or none a `missing-external-id` warning; what it can do beyond its need is
/// one `beyond-need` info.
pub fn findings(
    dest: &DesiredDestination,
    access: &DestinationAccess,
    state: State,
) -> Vec<Finding> {
    let mut found = Vec::new();
    let at = Address::destination(&dest.name);
    if let Some(missing) = &access.not_evaluated {
        // The plan reports a missing identity or bucket as its own error or change.
        if state == State::Live {
            found.push(Finding::new(
                FindingSeverity::Error,
                FindingKind::VendorBlocked,
                at,
                format!(
                    "{} can do nothing: {missing} (run `s3dest apply`)",
                    dest.vendor
                ),
            ));
        }
        return found;
    }
    found.extend(assume_findings(dest, &access.assume));
    for check in access.requests.iter().filter(|r| r.reach.is_needed()) {
        if let Some((severity, message)) =
            blocked_message(dest, check, access.principal.as_deref(), state)
        {
            found.push(Finding::new(
                severity,
                FindingKind::VendorBlocked,
                at.clone(),
                message,
            ));
        }
    }
    found.extend(beyond_need_finding(dest, access));
    found
}

/// The statements of a verdict with these outcomes, as one phrase.
fn deciding(verdict: &Verdict, outcomes: &[Outcome]) -> String {
    verdict
        .decided_by
        .iter()
        .filter(|r| outcomes.contains(&r.outcome))
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// What a needed request's verdict means: an error when it is denied, a warning when it
/// might be; `None` when it is allowed.
fn blocked_message(
    dest: &DesiredDestination,
    check: &RequestCheck,
    access_principal: Option<&str>,
    state: State,
) -> Option<(FindingSeverity, String)> {
    let what = format!("{} on `{}`", check.action, check.resource);
    match check.verdict.decision {
        Decision::Allowed => None,
        Decision::Denied if check.verdict.is_explicitly_denied() => Some((
            FindingSeverity::Error,
            format!(
                "{} cannot {what}: {}. Remove or narrow that statement (s3dest does not \
                 change statements it did not write), or use another bucket",
                dest.vendor,
                deciding(&check.verdict, &[Outcome::ExplicitDeny])
            ),
        )),
        Decision::Denied => Some((
            FindingSeverity::Error,
            format!(
                "{} cannot {what}: no policy allows it ({}){}",
                dest.vendor,
                deciding(&check.verdict, &[Outcome::ImplicitDeny]),
                match state {
                    State::Live => "; if `s3dest plan` shows changes, apply them first",
                    State::Planned => "",
                }
            ),
        )),
        Decision::Unknown if check.action.starts_with("kms:") => {
            // A key whose policy must grant it: the plan's note for the vendor says how.
            let noted = matches!(
                dest.vendor.description().encryption,
                Encryption::KeyPolicy(_)
            );
            (state == State::Live || !noted).then(|| {
                (
                    FindingSeverity::Warning,
                    format!(
                        "{} needs {} on the bucket's key `{}`: no IAM policy of its \
                         identity grants it, so the key's own policy must (s3dest does not \
                         read key policies); check that it allows {}",
                        dest.vendor,
                        check.action,
                        check.resource,
                        access_principal.unwrap_or("the identity")
                    ),
                )
            })
        }
        Decision::Unknown => Some((
            FindingSeverity::Warning,
            format!(
                "{} might be denied {what}: {} (s3dest cannot know this of the vendor's \
                 requests; check with the vendor)",
                dest.vendor,
                deciding(&check.verdict, &[Outcome::MightDeny, Outcome::MightAllow])
            ),
        )),
    }
}

/// The role's trust as the vendor meets it: refused with the right external ID (an
/// error), or admitting a wrong one or none (a warning), once per principal.
pub(super) fn assume_findings(dest: &DesiredDestination, checks: &[AssumeCheck]) -> Vec<Finding> {
    let role = dest.role.as_ref().map_or("", |r| r.name.as_str());
    let at = Address::part(&dest.name, Part::Role);
    let mut found = Vec::new();
    let mut principals: Vec<&str> = checks.iter().map(|c| c.principal.as_str()).collect();
    principals.dedup();
    for principal in principals {
        let of = |case| {
            checks
                .iter()
                .find(|c| c.principal == principal && c.external_id == case)
        };
        if let Some(right) = of(ExternalIdCase::Right).filter(|c| !c.as_expected()) {
            let how = if right.verdict.decision == Decision::Unknown {
                "might not be able to"
            } else {
                "cannot"
            };
            found.push(Finding::new(
                FindingSeverity::Error,
                FindingKind::VendorBlocked,
                at.clone(),
                format!(
                    "{} ({principal}) {how} assume role `{role}` with the spec's external ID: {}",
                    dest.vendor,
                    deciding(
                        &right.verdict,
                        &[
                            Outcome::ExplicitDeny,
                            Outcome::ImplicitDeny,
                            Outcome::MightDeny,
                            Outcome::MightAllow
                        ]
                    )
                ),
            ));
        }
        let admitted: Vec<&AssumeCheck> = [ExternalIdCase::Wrong, ExternalIdCase::None]
            .into_iter()
            .filter_map(of)
            .filter(|c| !c.should_allow && !c.verdict.is_denied())
            .collect();
        if let Some(first) = admitted.first() {
            let cases: Vec<&str> = admitted
                .iter()
                .map(|c| match c.external_id {
                    ExternalIdCase::Wrong => "with a wrong external ID",
                    _ => "with no external ID",
                })
                .collect();
            let may = if admitted.iter().all(|c| c.verdict.is_allowed()) {
                "can"
            } else {
                "might"
            };
            found.push(Finding::new(
                FindingSeverity::Warning,
                FindingKind::MissingExternalId,
                at.clone(),
                format!(
                    "role `{role}` {may} be assumed by {principal} {}: {} (the external ID \
                     is what keeps another customer of the vendor out)",
                    cases.join(" and "),
                    deciding(&first.verdict, &[Outcome::Allow, Outcome::MightAllow])
                ),
            ));
        }
    }
    found
}

/// What the vendor can do beyond its need, as one `info` finding: writes into other
/// destinations' folders or other folders, other buckets whose name starts with its
/// bucket's, s3dest's lock, the bucket policy. With the whole-bucket grant of a guide
/// that lets `scope: folder` narrow it, says so.
pub fn beyond_need_finding(
    dest: &DesiredDestination,
    access: &DestinationAccess,
) -> Option<Finding> {
    let allowed: Vec<&RequestCheck> = access
        .requests
        .iter()
        .filter(|r| !r.reach.is_needed() && r.verdict.is_allowed())
        .collect();
    if allowed.is_empty() {
        return None;
    }
    // The places each set of actions reaches, in the order probed.
    let mut places: Vec<(&Reach, Vec<&str>)> = Vec::new();
    for check in &allowed {
        match places.iter_mut().find(|(reach, _)| **reach == check.reach) {
            Some((_, actions)) => actions.push(&check.action),
            None => places.push((&check.reach, vec![&check.action])),
        }
    }
    let mut groups: Vec<(Vec<&str>, Vec<&Reach>)> = Vec::new();
    for (reach, actions) in places {
        match groups.iter_mut().find(|(a, _)| *a == actions) {
            Some((_, reaches)) => reaches.push(reach),
            None => groups.push((actions, vec![reach])),
        }
    }
    let own = dest.folder.as_ref().map(|f| format!("its folder `{f}/`"));
    let parts: Vec<String> = groups
        .iter()
        .map(|(actions, reaches)| {
            format!(
                "{} {}",
                code_list(actions),
                where_(reaches, &dest.bucket, own.as_deref())
            )
        })
        .collect();
    let mut message = format!(
        "{} can do more than it needs: {}",
        dest.vendor,
        parts.join("; ")
    );
    let own_grant_reaches_folders = allowed.iter().any(|c| {
        matches!(c.reach, Reach::OtherFolder { .. }) && own_grant_covers(dest, &c.resource)
    });
    let can_narrow = matches!(dest.vendor.description().scope, ScopeRule::Choice { .. });
    if let Some(own) = own.filter(|_| own_grant_reaches_folders && can_narrow) {
        message.push_str(&format!(
            ". The guide grants the whole bucket; `scope: folder` keeps it to {own}"
        ));
    }
    Some(Finding::new(
        FindingSeverity::Info,
        FindingKind::BeyondNeed,
        Address::destination(&dest.name),
        message,
    ))
}

/// Where a set of probes reached, in words: the folders outside its own together.
fn where_(reaches: &[&Reach], bucket: &str, own: Option<&str>) -> String {
    let mut folders: Vec<String> = Vec::new();
    let mut others: Vec<String> = Vec::new();
    for reach in reaches {
        match reach {
            Reach::OtherFolder {
                folder,
                destination: Some(destination),
            } => folders.push(format!("`{folder}/` (destination `{destination}`)")),
            Reach::OtherFolder { .. } => {
                folders.push(format!("any other folder of bucket `{bucket}`"))
            }
            Reach::PrefixBucket => {
                others.push(format!(
                    "in other buckets whose name starts with `{bucket}`"
                ));
            }
            Reach::Lock => others.push(format!("on s3dest's lock object `{LOCK_KEY}`")),
            Reach::BucketPolicy => others.push(format!(
                "on bucket `{bucket}` (it can rewrite the bucket policy)"
            )),
            Reach::Needed => {}
        }
    }
    if !folders.is_empty() {
        let outside = match own {
            Some(own) => format!("outside {own}: in"),
            None => "in the folders of other destinations:".to_owned(),
        };
        others.insert(0, format!("{outside} {}", and_list(folders)));
    }
    and_list(others)
}

/// Whether the destination's own grant (its inline policy or bucket statement) allows
/// something on `resource`.
fn own_grant_covers(dest: &DesiredDestination, resource: &str) -> bool {
    dest.inline_policy
        .iter()
        .flat_map(|p| &p.statements)
        .chain(&dest.bucket_statement)
        .filter(|s| s.effect == Effect::Allow)
        .any(|s| {
            s.resource
                .iter()
                .flatten()
                .any(|r| wildcard_matches(r, resource))
        })
}
