//! Access-key lifecycle: when to make a key, when to retire the old one, when to
//! delete it. Pure, with the clock passed in, so every case is tested without waiting.
//!
//! The rules: a destination always keeps one working key. A key older than
//! `key_max_age_days` is rotated by making a second key (its secret replaces the old
//! one in Secrets Manager). The old key stays active until the vendor has used the new
//! one (its last use is after its creation) or, if the spec sets `key_grace_days`,
//! until that many days after the new key was made. It is then deactivated, and
//! deleted on a later apply.

use jiff::{SignedDuration, Timestamp};

use crate::model::{AccessKey, KeyRules};

/// One step on a destination's keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyStep {
    /// Make a new key and store it in the secret, first deleting `making_room_for` if
    /// the user already holds IAM's maximum of two keys.
    Create {
        reason: String,
        making_room_for: Option<String>,
    },
    Deactivate {
        id: String,
        reason: String,
    },
    Delete {
        id: String,
        reason: String,
    },
}

/// What to do with a user's keys, plus warnings, and one note per key (age, last use).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyPlan {
    pub steps: Vec<KeyStep>,
    pub warnings: Vec<String>,
    pub notes: Vec<String>,
    /// A state s3dest must not resolve by itself.
    pub error: Option<String>,
}

pub fn days(d: SignedDuration) -> i64 {
    d.as_secs() / 86_400
}

/// "1 day", "3 days".
fn n_days(n: i64) -> String {
    if n == 1 {
        "1 day".to_owned()
    } else {
        format!("{n} days")
    }
}

fn age(key: &AccessKey, now: Timestamp) -> SignedDuration {
    now.duration_since(key.created)
}

fn describe(key: &AccessKey, role: &str, now: Timestamp) -> String {
    let used = match key.last_used {
        Some(t) => format!(
            "last used {} ({} ago)",
            t.strftime("%Y-%m-%d"),
            n_days(days(now.duration_since(t)))
        ),
        None => "never used".to_owned(),
    };
    let status = if key.active { "active" } else { "inactive" };
    format!(
        "access key {} ({role}, {status}): {} old, {used}",
        key.id,
        n_days(days(age(key, now)))
    )
}

/// `current` is the key the destination's secret holds (from the secret's tag).
pub fn plan_keys(
    keys: &[AccessKey],
    current: Option<&str>,
    rules: KeyRules,
    now: Timestamp,
) -> KeyPlan {
    let mut plan = KeyPlan::default();
    let current = current.and_then(|id| keys.iter().find(|k| k.id == id));
    let previous: Vec<&AccessKey> = keys
        .iter()
        .filter(|k| Some(k.id.as_str()) != current.map(|c| c.id.as_str()))
        .collect();
    for key in keys {
        let role = if Some(key) == current {
            "in the secret"
        } else {
            "previous"
        };
        plan.notes.push(describe(key, role, now));
    }
    let max_age = SignedDuration::from_hours(24 * i64::from(rules.max_age_days));

    let Some(current) = current.filter(|c| c.active) else {
        // No working key that s3dest can hand out: the secret is missing, names a key
        // that is gone, or its key was deactivated outside s3dest (never re-enabled:
        // someone may have disabled it on purpose). Make a new one.
        let reason = match current {
            Some(c) => format!(
                "the key in the secret, {}, was deactivated outside s3dest",
                c.id
            ),
            None if keys.is_empty() => "the user has no access key".to_owned(),
            None => {
                "the secret holds none of the user's keys, and a key's secret cannot be read back"
                    .to_owned()
            }
        };
        return with_room(plan, keys, current, reason);
    };

    let used = current.last_used.is_some_and(|t| t > current.created);
    let grace_over = rules
        .grace_days
        .is_some_and(|g| age(current, now) >= SignedDuration::from_hours(24 * i64::from(g)));
    for old in &previous {
        if old.created > current.created {
            // Not a key a rotation left behind (those are older than the key in the
            // secret): someone made it by hand. Not s3dest's to retire.
            plan.warnings.push(format!(
                "access key {} was made after the key in the secret ({}), not by s3dest: it is left alone; delete it if nobody uses it",
                old.id, current.id
            ));
            continue;
        }
        if !old.active {
            plan.steps.push(KeyStep::Delete {
                id: old.id.clone(),
                reason: "retired by an earlier rotation (inactive)".to_owned(),
            });
        } else if used {
            let when = current
                .last_used
                .map(|t| t.strftime("%Y-%m-%d").to_string())
                .unwrap_or_default();
            plan.steps.push(KeyStep::Deactivate {
                id: old.id.clone(),
                reason: format!("the vendor has used the new key {} (on {when})", current.id),
            });
        } else if grace_over {
            let g = rules.grace_days.unwrap_or_default();
            plan.steps.push(KeyStep::Deactivate { id: old.id.clone(), reason: format!("the new key {} is older than key_grace_days ({g}) and the vendor has not used it", current.id) });
        } else {
            plan.warnings.push(format!(
                "rotation in progress: old key {} stays active until the vendor uses the new key {} (copy it from the secret into the vendor's UI){}",
                old.id,
                current.id,
                rules.grace_days.map(|g| format!(", or until it is {g} days old")).unwrap_or_default()
            ));
        }
    }
    if previous.is_empty() && age(current, now) > max_age {
        plan.steps.push(KeyStep::Create {
            reason: format!(
                "key {} is {} days old; key_max_age_days is {}",
                current.id,
                days(age(current, now)),
                rules.max_age_days
            ),
            making_room_for: None,
        });
    }
    plan
}

/// The keys an interrupted key creation left behind, given the ids the user's
/// [`crate::model::TAG_KEY_PENDING`] tag recorded before it (`pending`): made since, and
/// not the key in the secret. Their secret was returned only to the apply that died,
/// so nobody holds it. Without the tag no key is an orphan (one made by hand is not).
pub fn orphaned_keys(
    keys: &[AccessKey],
    current: Option<&str>,
    pending: Option<&std::collections::BTreeSet<String>>,
) -> Vec<String> {
    let Some(before) = pending else {
        return Vec::new();
    };
    keys.iter()
        .filter(|k| !before.contains(&k.id) && Some(k.id.as_str()) != current)
        .map(|k| k.id.clone())
        .collect()
}

/// Adds the deletion of `orphans` to a plan made without them: the first makes room
/// for a new key when one is made, the others are deleted on their own.
pub fn absorb_orphans(plan: &mut KeyPlan, orphans: &[String]) {
    const WHY: &str = "made by an apply that was interrupted before it stored the key's secret: nobody holds its secret";
    let mut orphans = orphans.iter();
    let create = plan.steps.iter_mut().find_map(|step| match step {
        KeyStep::Create {
            making_room_for: room @ None,
            reason,
        } => Some((room, reason)),
        _ => None,
    });
    if let Some((room, reason)) = create
        && let Some(orphan) = orphans.next()
    {
        *room = Some(orphan.clone());
        *reason = format!("{reason}; key {orphan} was {WHY}");
    }
    for orphan in orphans {
        plan.steps.push(KeyStep::Delete {
            id: orphan.clone(),
            reason: WHY.to_owned(),
        });
    }
}

/// A new key when IAM's limit of two keys may be in the way: delete an inactive key
/// first (never an active one: the vendor may be using it).
fn with_room(
    mut plan: KeyPlan,
    keys: &[AccessKey],
    current: Option<&AccessKey>,
    reason: String,
) -> KeyPlan {
    if keys.len() < 2 {
        plan.steps.push(KeyStep::Create {
            reason,
            making_room_for: None,
        });
        return plan;
    }
    // Prefer the deactivated key the secret held, then the oldest inactive one.
    let mut inactive: Vec<&AccessKey> = keys.iter().filter(|k| !k.active).collect();
    inactive.sort_by_key(|k| {
        (
            Some(k.id.as_str()) != current.map(|c| c.id.as_str()),
            k.created,
        )
    });
    match inactive.first() {
        Some(victim) => plan.steps.push(KeyStep::Create {
            reason,
            making_room_for: Some(victim.id.clone()),
        }),
        None => {
            plan.error = Some(format!(
                "{reason}, and the user already has two active keys ({}): s3dest cannot tell which one the vendor uses. Deactivate or delete one by hand",
                keys.iter()
                    .map(|k| k.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: KeyRules = KeyRules {
        max_age_days: 90,
        grace_days: None,
    };

    fn at(day: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + day * 86_400).unwrap()
    }

    fn key(id: &str, active: bool, created_day: i64, used_day: Option<i64>) -> AccessKey {
        AccessKey {
            id: id.into(),
            active,
            created: at(created_day),
            last_used: used_day.map(at),
        }
    }

    fn kinds(plan: &KeyPlan) -> Vec<String> {
        plan.steps
            .iter()
            .map(|s| match s {
                KeyStep::Create {
                    making_room_for: None,
                    ..
                } => "create".to_owned(),
                KeyStep::Create {
                    making_room_for: Some(id),
                    ..
                } => format!("delete {id} + create"),
                KeyStep::Deactivate { id, .. } => format!("deactivate {id}"),
                KeyStep::Delete { id, .. } => format!("delete {id}"),
            })
            .collect()
    }

    #[test]
    fn keys_left_by_an_interrupted_creation_are_deleted_never_hand_made_ones() {
        let old = key("AKIAOLD", true, 0, Some(1));
        let orphan = key("AKIAORPHAN", true, 100, None);
        let keys = [old.clone(), orphan.clone()];
        let before = std::collections::BTreeSet::from(["AKIAOLD".to_owned()]);
        // Without the record of a pending creation, a newer key is someone's own.
        assert!(orphaned_keys(&keys, Some("AKIAOLD"), None).is_empty());
        let orphans = orphaned_keys(&keys, Some("AKIAOLD"), Some(&before));
        assert_eq!(orphans, ["AKIAORPHAN"]);
        // The rotation that was interrupted is made again, in the orphan's place.
        let mut plan = plan_keys(std::slice::from_ref(&old), Some("AKIAOLD"), RULES, at(100));
        absorb_orphans(&mut plan, &orphans);
        assert_eq!(kinds(&plan), ["delete AKIAORPHAN + create"]);
        let KeyStep::Create { reason, .. } = &plan.steps[0] else {
            unreachable!()
        };
        assert_eq!(
            reason,
            "key AKIAOLD is 100 days old; key_max_age_days is 90; key AKIAORPHAN was made by an \
             apply that was interrupted before it stored the key's secret: nobody holds its secret"
        );
        // A young key needs no new one: the orphan is only deleted.
        let mut plan = plan_keys(&[old], Some("AKIAOLD"), RULES, at(10));
        absorb_orphans(&mut plan, &orphans);
        assert_eq!(kinds(&plan), ["delete AKIAORPHAN"]);
        // The key in the secret is never an orphan, whatever the record says.
        assert!(orphaned_keys(&[orphan], Some("AKIAORPHAN"), Some(&before)).is_empty());
    }

    #[test]
    fn a_new_user_gets_a_key() {
        assert_eq!(kinds(&plan_keys(&[], None, RULES, at(0))), ["create"]);
    }

    #[test]
    fn a_young_key_is_left_alone_and_described() {
        let keys = [key("AKIA1", true, 0, Some(3))];
        let plan = plan_keys(&keys, Some("AKIA1"), RULES, at(10));
        assert!(plan.steps.is_empty() && plan.warnings.is_empty());
        assert_eq!(
            plan.notes,
            [
                "access key AKIA1 (in the secret, active): 10 days old, last used 2023-11-17 (7 days ago)"
            ]
        );
    }

    #[test]
    fn an_old_key_is_rotated_by_making_a_second_one() {
        let keys = [key("AKIA1", true, 0, Some(80))];
        assert!(
            plan_keys(&keys, Some("AKIA1"), RULES, at(90))
                .steps
                .is_empty(),
            "90 days is not past 90"
        );
        let plan = plan_keys(&keys, Some("AKIA1"), RULES, at(91));
        assert_eq!(kinds(&plan), ["create"]);
        assert!(
            matches!(&plan.steps[0], KeyStep::Create { reason, .. } if reason.contains("91 days old"))
        );
    }

    #[test]
    fn the_old_key_stays_active_until_the_vendor_uses_the_new_one() {
        let keys = [key("OLD", true, 0, Some(99)), key("NEW", true, 91, None)];
        let waiting = plan_keys(&keys, Some("NEW"), RULES, at(120));
        assert!(waiting.steps.is_empty(), "never left without a working key");
        assert!(waiting.warnings[0].contains("rotation in progress"));
        // A use before creation (clock skew, or no use at all) does not count.
        let used = [
            key("OLD", true, 0, Some(99)),
            key("NEW", true, 91, Some(92)),
        ];
        assert_eq!(
            kinds(&plan_keys(&used, Some("NEW"), RULES, at(92))),
            ["deactivate OLD"]
        );
    }

    #[test]
    fn a_grace_period_retires_the_old_key_without_use() {
        let rules = KeyRules {
            max_age_days: 90,
            grace_days: Some(7),
        };
        let keys = [key("OLD", true, 0, Some(99)), key("NEW", true, 91, None)];
        assert!(
            plan_keys(&keys, Some("NEW"), rules, at(97))
                .steps
                .is_empty()
        );
        assert_eq!(
            kinds(&plan_keys(&keys, Some("NEW"), rules, at(98))),
            ["deactivate OLD"]
        );
    }

    #[test]
    fn a_deactivated_old_key_is_deleted_on_a_later_apply() {
        let keys = [
            key("OLD", false, 0, Some(99)),
            key("NEW", true, 91, Some(95)),
        ];
        assert_eq!(
            kinds(&plan_keys(&keys, Some("NEW"), RULES, at(100))),
            ["delete OLD"]
        );
        // And once it is gone, nothing until the new key is old in turn.
        let keys = [key("NEW", true, 91, Some(95))];
        assert!(
            plan_keys(&keys, Some("NEW"), RULES, at(181))
                .steps
                .is_empty()
        );
        assert_eq!(
            kinds(&plan_keys(&keys, Some("NEW"), RULES, at(182))),
            ["create"]
        );
    }

    #[test]
    fn no_rotation_starts_while_one_is_in_progress() {
        let keys = [key("OLD", true, 0, None), key("NEW", true, 91, None)];
        let plan = plan_keys(&keys, Some("NEW"), RULES, at(400));
        assert!(plan.steps.is_empty());
    }

    #[test]
    fn a_lost_secret_gets_a_new_key_and_keeps_the_active_one_until_used() {
        let keys = [key("AKIA1", true, 0, None)];
        let plan = plan_keys(&keys, None, RULES, at(5));
        assert_eq!(kinds(&plan), ["create"]);
        assert!(
            matches!(&plan.steps[0], KeyStep::Create { reason, .. } if reason.contains("cannot be read back"))
        );
    }

    #[test]
    fn a_key_deactivated_outside_s3dest_is_replaced_not_reenabled() {
        let keys = [key("AKIA1", false, 0, None)];
        let plan = plan_keys(&keys, Some("AKIA1"), RULES, at(5));
        assert_eq!(kinds(&plan), ["create"]);
        let two = [key("AKIA1", false, 0, None), key("OTHER", true, 1, None)];
        assert_eq!(
            kinds(&plan_keys(&two, Some("AKIA1"), RULES, at(5))),
            ["delete AKIA1 + create"]
        );
    }

    #[test]
    fn a_key_made_by_hand_after_the_current_one_is_left_alone() {
        let rules = KeyRules {
            max_age_days: 90,
            grace_days: Some(1),
        };
        let keys = [
            key("CURRENT", true, 0, Some(5)),
            key("MANUAL", true, 3, None),
        ];
        let plan = plan_keys(&keys, Some("CURRENT"), rules, at(30));
        assert!(plan.steps.is_empty(), "{:?}", plan.steps);
        assert!(plan.warnings[0].contains("MANUAL was made after the key in the secret"));
    }

    #[test]
    fn two_active_keys_the_secret_does_not_hold_are_an_error() {
        let keys = [key("A", true, 0, None), key("B", true, 1, None)];
        let plan = plan_keys(&keys, None, RULES, at(5));
        assert!(plan.steps.is_empty());
        assert!(plan.error.unwrap().contains("two active keys (A, B)"));
    }
}
