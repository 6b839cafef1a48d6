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
    insta::assert_snapshot!("error_plan_text", text);
    // The errors open the plan: it never says it will make changes it cannot make.
    assert!(
        text.starts_with("This plan cannot be applied: 1 error(s); nothing will be changed.\n"),
        "{text}"
    );
    assert!(!text.contains("will make"), "{text}");
    let first_change = text.find("  # destination.braze-currents.folder").unwrap();
    for diagnostic in [
        "\nerror[unsupported]: destination.braze-currents: ",
        "\nwarning[missing-external-id]: destination.walkme: ",
        "\nwarning: destination.old.folder: folder is kept\n",
        "\ninfo[beyond-need]: bucket.acme: ",
        "\nnote: bucket.acme: a lock is held\n",
    ] {
        let at = text
            .find(diagnostic)
            .unwrap_or_else(|| panic!("{diagnostic} in {text}"));
        assert!(at < first_change, "{diagnostic} after the changes");
    }
    assert!(text.ends_with(
        "Plan: 1 to create, 0 to update, 0 to replace, 0 to destroy.\n\
         This plan has 1 error(s) (listed at the top) and cannot be applied; nothing was changed.\n"
    ));
    let coloured = super::text(&plan, true);
    assert!(coloured.contains(&format!(
        "\x1b[31merror[unsupported]:\x1b[0m destination.braze-currents: {unsupported}"
    )));

    let md = super::markdown(&plan);
    insta::assert_snapshot!("error_plan_markdown", md);
    assert!(
        md.starts_with(&format!(
            "**s3dest** `acme`: **this plan cannot be applied** (1 error). Shown for review: **1** to create, **0** to update, **0** to replace, **0** to destroy.\n\
             \n> [!CAUTION]\n> **Findings: this plan cannot work as specified** (1 error):\n\
             > - `destination.braze-currents` (unsupported): {unsupported}\n\
             \n> [!WARNING]\n> **Findings** (1 warning). Review before merging:\n\
             > - `destination.walkme` (missing-external-id): {walkme}\n\
             \n> [!WARNING]\n> **Warnings** (1):\n> - `destination.old.folder`: folder is kept\n\
             \n> [!NOTE]\n> **Findings for information** (1):\n\
             > - `bucket.acme` (beyond-need): the bucket allows more than the vendors need\n"
        )),
        "{md}"
    );
    for output in [&text, &md] {
        for message in [unsupported, walkme] {
            assert_eq!(output.matches(message).count(), 1, "{message} in {output}");
        }
    }
}

fn role(trust: serde_json::Value, tags: &[(&str, &str)]) -> Resource {
    Resource::Role {
        name: "r".into(),
        path: "/s3dest/".into(),
        arn: "arn:aws:iam::111111111111:role/s3dest/r".into(),
        trust: s3dest_policy::PolicyDocument::from_value(&trust).unwrap(),
        tags: tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

fn inline(policy: serde_json::Value) -> Resource {
    Resource::InlinePolicy {
        kind: crate::plan::IdentityKind::Role,
        identity: "r".into(),
        name: "s3dest".into(),
        policy: s3dest_policy::PolicyDocument::from_value(&policy).unwrap(),
    }
}

/// The lines of meaning as the text plan prints them, without indentation.
fn meaning_of(change: &Change) -> Vec<String> {
    super::meaning::lines(change)
        .into_iter()
        .map(|l| format!("{}{} {}", "  ".repeat(l.depth), l.sign.as_char(), l.text))
        .collect()
}

#[test]
fn a_reordered_trust_policy_shows_no_change_only_the_tags_that_did() {
    let before = role(
        serde_json::json!({"Statement": [{"Action": "sts:AssumeRole", "Principal": {"AWS": "987654321098"},
            "Effect": "Allow", "Condition": {"StringEquals": {"sts:ExternalId": "x"}}}], "Version": "2012-10-17"}),
        &[("s3dest:spec", "acme")],
    );
    let after = role(
        serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": ["arn:aws:iam::987654321098:root"]}, "Action": ["sts:AssumeRole"],
            "Condition": {"StringEquals": {"sts:ExternalId": ["x"]}}}]}),
        &[("s3dest:spec", "acme"), ("s3dest:trust", "0123")],
    );
    let change = change(Some(before), Some(after));
    assert_eq!(meaning_of(&change), ["~ tags: `s3dest:trust` added"]);
    // Nor does the textual diff, made of the canonical forms, show the trust policy.
    let lines = diff_lines(&change);
    let changed: Vec<&str> = lines
        .iter()
        .filter(|(sign, _)| matches!(sign, '+' | '-'))
        .map(|(_, l)| l.trim())
        .collect();
    assert_eq!(
        changed,
        [
            r#""s3dest:spec": "acme""#,
            r#""s3dest:spec": "acme","#,
            r#""s3dest:trust": "0123""#
        ]
    );
    assert_eq!(
        super::meaning::headline(&change).as_deref(),
        Some("tags updated: `s3dest:trust` added")
    );
}

#[test]
fn an_s3_star_statement_added_between_two_others_is_one_statement_added() {
    let listing = serde_json::json!({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::acme"});
    let grant = serde_json::json!({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::acme/p/*"});
    let everything =
        serde_json::json!({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::acme/*"});
    let change = change(
        Some(inline(
            serde_json::json!({"Version": "2012-10-17", "Statement": [listing, grant]}),
        )),
        Some(inline(
            serde_json::json!({"Version": "2012-10-17", "Statement": [grant, everything, listing]}),
        )),
    );
    assert_eq!(
        meaning_of(&change),
        [
            "~ inline policy: 1 statement added",
            "  + statement: Allow `s3:*` on `arn:aws:s3:::acme/*`",
        ]
    );
    assert_eq!(
        super::meaning::headline(&change).as_deref(),
        Some("inline policy updated: 1 statement added")
    );
}

#[test]
fn a_trust_policy_update_reads_as_what_it_changes() {
    let trust = |principal: &str, id: &str| {
        serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": principal}, "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": id}}}]})
    };
    let change = change(
        Some(role(trust("AROAEXAMPLEUNIQUEID1", "old-id"), &[])),
        Some(role(trust("arn:aws:iam::123456789012:root", "new-id"), &[])),
    );
    assert_eq!(
        meaning_of(&change),
        [
            "~ trust policy: statement (Allow `sts:AssumeRole`) changed:",
            "  + principal `arn:aws:iam::123456789012:root`",
            "  - principal `AROAEXAMPLEUNIQUEID1`",
            "  ~ external ID `old-id` → `new-id`",
        ]
    );
    assert_eq!(
        super::meaning::headline(&change).as_deref(),
        Some("trust policy updated: principals changed, external ID changed")
    );
}

#[test]
fn tags_named_like_secrets_show_no_value() {
    let tags = |value: &str| -> BTreeMap<String, String> {
        [("vendor-api-token", value), ("team", "data")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    };
    let mut plan = plan_with_an_error_finding();
    plan.findings.clear();
    plan.changes = vec![Change {
        address: Address::part("d", Part::User),
        ..change(Some(user(tags("hunter2"))), Some(user(tags("hunter3"))))
    }];
    let text = super::text(&plan, false);
    let md = super::markdown(&plan);
    for output in [&text, &md] {
        assert!(!output.contains("hunter"), "{output}");
        assert!(
            output.contains("tags: `vendor-api-token` changed"),
            "{output}"
        );
    }
    // Both values hidden alike: the textual diff has nothing to show.
    assert!(!text.contains("@@"), "{text}");
    // The JSON plan, a contract, is unchanged.
    let json = super::json(&plan).to_string();
    assert!(json.contains("hunter2"));
}
