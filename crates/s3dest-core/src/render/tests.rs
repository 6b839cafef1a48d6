//! Renderer details; whole plans are covered by the folder cases in `tests/cases/`.

use std::collections::BTreeMap;

use super::diff_lines;
use crate::findings::{Finding, FindingKind, FindingSeverity};
use crate::model::Concern;
use crate::plan::{Action, Address, Change, Notice, Part, Plan, Resource, UserKeys};

fn change(before: Option<Resource>, after: Option<Resource>) -> Change {
    Change {
        address: Address::bucket("a"),
        action: Action::Update,
        before,
        after,
        reason: "r".into(),
        ops: vec![],
    }
}

/// A user with tags `a`…`i` set to 1…9: a view of many lines.
fn user(tags: BTreeMap<String, String>) -> Resource {
    Resource::User {
        name: "u".into(),
        path: "/s3dest/".into(),
        arn: "arn:aws:iam::111111111111:user/s3dest/u".into(),
        tags,
        keys: UserKeys::Held { ids: Vec::new() },
    }
}

#[test]
fn update_shows_only_the_changed_hunk() {
    let before: BTreeMap<String, String> = ('a'..='i')
        .zip(1..)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut after = before.clone();
    after.insert("i".into(), "10".into());
    let lines = diff_lines(&change(Some(user(before)), Some(user(after))));
    let signs: String = lines.iter().map(|(s, _)| *s).collect();
    assert_eq!(signs, "@   -+   ", "{lines:?}");
    assert!(lines.contains(&('-', "    \"i\": \"9\"".to_owned())));
    assert!(lines.contains(&('+', "    \"i\": \"10\"".to_owned())));
}

#[test]
fn create_and_delete_show_every_line() {
    let folder = Resource::Folder {
        bucket: "b".into(),
        key: "x/".into(),
    };
    let created = diff_lines(&change(None, Some(folder.clone())));
    assert!(created.iter().all(|(s, _)| *s == '+') && created.len() == 4);
    let deleted = diff_lines(&change(Some(folder), None));
    assert!(deleted.iter().all(|(s, _)| *s == '-') && deleted.len() == 4);
}

/// A plan that cannot work as specified: an `error` finding (nothing produces one yet,
/// so it is made here), a warning that is a finding, another warning and a note.
fn plan_with_an_error_finding() -> Plan {
    let walkme = "WalkMe's roles assume this role without an external ID";
    Plan {
        spec: "acme".into(),
        account_id: "111111111111".into(),
        changes: vec![Change {
            address: Address::part("braze-currents", Part::Folder),
            action: Action::Create,
            before: None,
            after: Some(Resource::Folder {
                bucket: "acme".into(),
                key: "currents/".into(),
            }),
            reason: "folder marker is missing".into(),
            ops: vec![],
        }],
        warnings: vec![
            Notice {
                concern: Concern::MissingExternalId,
                ..Notice::new(Address::destination("walkme"), walkme)
            },
            Notice::new(Address::part("old", Part::Folder), "folder is kept"),
        ],
        notes: vec![Notice::new(Address::bucket("acme"), "a lock is held")],
        errors: vec![],
        access: vec![],
        findings: vec![
            Finding::new(
                FindingSeverity::Error,
                FindingKind::Unsupported,
                Address::destination("braze-currents"),
                "Braze cannot export to a bucket encrypted with SSE-KMS",
            ),
            Finding::new(
                FindingSeverity::Warning,
                FindingKind::MissingExternalId,
                Address::destination("walkme"),
                walkme,
            ),
            Finding::new(
                FindingSeverity::Info,
                FindingKind::BeyondNeed,
                Address::bucket("acme"),
                "the bucket allows more than the vendors need",
            ),
        ],
    }
}

#[test]
fn an_error_finding_blocks_the_plan_and_every_renderer_shows_each_finding_once() {
    let plan = plan_with_an_error_finding();
    assert!(plan.has_errors(), "an error finding blocks the plan");
    let unsupported = "Braze cannot export to a bucket encrypted with SSE-KMS";
    let walkme = "WalkMe's roles assume this role without an external ID";

    let json = super::json(&plan);
    assert_eq!(
        json["findings"],
        serde_json::json!([
            {"severity": "error", "kind": "unsupported", "address": "destination.braze-currents",
             "destination": "braze-currents", "message": unsupported},
            {"severity": "warning", "kind": "missing-external-id", "address": "destination.walkme",
             "destination": "walkme", "message": walkme},
            {"severity": "info", "kind": "beyond-need", "address": "bucket.acme",
             "destination": null, "message": "the bucket allows more than the vendors need"},
        ])
    );
    // The JSON's warnings stay as they always were: every warning, findings included.
    assert_eq!(json["warnings"].as_array().map(Vec::len), Some(2));
    assert_eq!(json["format_version"], "1");

    let text = super::text(&plan, false);
    assert_eq!(
        text.lines()
            .skip_while(|l| !l.starts_with("note:"))
            .collect::<Vec<_>>(),
        [
            "note: bucket.acme: a lock is held",
            "warning: destination.old.folder: folder is kept",
            &format!("warning[missing-external-id]: destination.walkme: {walkme}"),
            "info[beyond-need]: bucket.acme: the bucket allows more than the vendors need",
            "",
            "Plan: 1 to create, 0 to update, 0 to replace, 0 to destroy.",
            &format!("error[unsupported]: destination.braze-currents: {unsupported}"),
            "This plan has 1 error(s) and cannot be applied; nothing was changed.",
        ]
    );
    let coloured = super::text(&plan, true);
    assert!(coloured.contains(&format!(
        "\x1b[31merror[unsupported]:\x1b[0m destination.braze-currents: {unsupported}"
    )));

    let md = super::markdown(&plan);
    assert!(
        md.starts_with(&format!(
            "**s3dest** `acme`: **1** to create, **0** to update, **0** to replace, **0** to destroy.\n\
             \n> [!CAUTION]\n> **Findings: this plan cannot work as specified** (1 error):\n\
             > - `destination.braze-currents` (unsupported): {unsupported}\n\
             \n> [!WARNING]\n> **Findings** (1 warning). Review before merging:\n\
             > - `destination.walkme` (missing-external-id): {walkme}\n\
             \n> [!NOTE]\n> **Findings for information** (1):\n\
             > - `bucket.acme` (beyond-need): the bucket allows more than the vendors need\n\
             \n> [!WARNING]\n> **Warnings** (1):\n> - `destination.old.folder`: folder is kept\n"
        )),
        "{md}"
    );
    for output in [&text, &md] {
        for message in [unsupported, walkme] {
            assert_eq!(output.matches(message).count(), 1, "{message} in {output}");
        }
    }
}
