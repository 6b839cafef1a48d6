//! The spec file each resource records (`s3dest:file`), against an in-memory AWS
//! (`s3dest_testkit::simulate`): a second spec file with the same name is refused, a
//! resource of an earlier release is none, a declared move is retagged once.

use std::collections::BTreeMap;

use s3dest_core::model::{Observed, TAG_FILE};
use s3dest_core::plan::{Action, Plan, diff};
use s3dest_core::presets;
use s3dest_spec::SpecFile;
use s3dest_testkit::{simulate, spec};

const ACCOUNT: &str = "123456789012";

/// A role, and a user with its secret: every kind of resource that records its file.
const ACME: &str = r#"
version: 1
name: acme
buckets:
  acme-exports: {}
destinations:
  walkme: { vendor: walkme, bucket: acme-exports, folder: walkme }
  keys: { vendor: walkme, auth: access-key, bucket: acme-exports, folder: keys }
"#;

/// Team B's spec: the same name, another destination.
const ACME_B: &str = r#"
version: 1
name: acme
buckets:
  acme-exports: {}
destinations:
  partner: { vendor: custom, bucket: acme-exports, folder: partner, principal: "arn:aws:iam::111122223333:role/exporter", external_id: xyz-123, actions: [s3:PutObject] }
"#;

fn world() -> Observed {
    s3dest_testkit::account_with_buckets(ACCOUNT, &["acme-exports"])
}

/// Plans `yaml` read from `file` (none: a spec that is not a file).
fn plan(yaml: &str, file: Option<&str>, world: &Observed) -> Plan {
    let mut spec = spec(yaml);
    spec.file = file.map(SpecFile::from_path);
    diff(&presets::expand(&spec, ACCOUNT), world)
}

/// Plans, applies, and checks the next plan is empty.
fn converge(yaml: &str, file: Option<&str>, world: &mut Observed) -> Plan {
    let first = plan(yaml, file, world);
    assert!(!first.has_errors(), "{:#?}", first.errors);
    simulate::apply(&first, world);
    let second = plan(yaml, file, world);
    assert!(second.is_empty(), "not converged: {:#?}", second.changes);
    assert!(!second.has_errors(), "{:#?}", second.errors);
    first
}

/// The file each role, user and secret records, by name.
fn recorded(world: &Observed) -> BTreeMap<String, Option<String>> {
    let roles = world.roles.values().map(|r| (&r.name, &r.tags));
    let users = world.users.values().map(|u| (&u.name, &u.tags));
    let secrets = world.secrets.values().map(|s| (&s.name, &s.tags));
    roles
        .chain(users)
        .chain(secrets)
        .map(|(name, tags)| (name.clone(), tags.get(TAG_FILE).cloned()))
        .collect()
}

fn everything_records(world: &Observed, file: Option<&str>) {
    let expected = file.map(str::to_owned);
    for (name, recorded) in recorded(world) {
        assert_eq!(recorded, expected, "{name}");
    }
}

#[test]
fn what_a_spec_makes_records_its_file() {
    let mut w = world();
    converge(ACME, Some("team-a/s3dest.yaml"), &mut w);
    assert_eq!(recorded(&w).len(), 3, "{:?}", recorded(&w));
    everything_records(&w, Some("team-a/s3dest.yaml"));
}

#[test]
fn a_second_spec_file_with_the_same_name_is_refused() {
    let mut w = world();
    converge(ACME, Some("team-a/s3dest.yaml"), &mut w);
    let before = w.clone();
    let p = plan(ACME_B, Some("team-b/s3dest.yaml"), &w);
    assert!(p.has_errors());
    // One error for the one other file, at its first resource, naming all of them.
    let errors: Vec<String> = p
        .errors
        .iter()
        .map(|e| format!("{}: {}", e.address, e.message))
        .collect();
    insta::assert_snapshot!(errors.join("\n"), @r#"destination.walkme.role: spec `acme` in account 123456789012 was applied from another spec file, `team-a/s3dest.yaml` (the `s3dest:file` tag of its role `s3dest-walkme`, user `s3dest-keys` and secret `s3dest/acme/keys`), and this spec is `team-b/s3dest.yaml`: two specs with one name would delete each other's destinations, so this plan is not applied. Give one of them another `name:`; or, if `team-a/s3dest.yaml` was moved or renamed to this file on purpose, add `moved_from: ["team-a/s3dest.yaml"]` to this spec"#);
    // What it would have done: delete team A's destinations.
    assert!(
        p.changes
            .iter()
            .any(|c| c.action == Action::Delete && c.address == "destination.walkme.role")
    );
    // The same spec from its own file is fine, and so is team A's, untouched.
    assert!(plan(ACME, Some("team-a/s3dest.yaml"), &w).is_empty());
    assert_eq!(w, before);
}

#[test]
fn resources_of_an_earlier_release_are_no_conflict_and_get_the_record_with_their_next_write() {
    let mut w = world();
    // Made without a file: as by a release before the record.
    converge(ACME, None, &mut w);
    everything_records(&w, None);
    // The record alone is no change, and no conflict.
    let p = plan(ACME_B, Some("team-b/s3dest.yaml"), &w);
    assert!(!p.has_errors(), "{:#?}", p.errors);
    assert!(plan(ACME, Some("team-a/s3dest.yaml"), &w).is_empty());
    // A change of the role's and the user's tags writes it with them.
    let tagged = ACME
        .replace("folder: walkme }", "folder: walkme, tags: { team: a } }")
        .replace("folder: keys }", "folder: keys, tags: { team: a } }");
    let first = converge(&tagged, Some("team-a/s3dest.yaml"), &mut w);
    let reasons: Vec<&str> = first.changes.iter().map(|c| c.reason.as_str()).collect();
    assert!(reasons.iter().all(|r| *r == "tags differ"), "{reasons:?}");
    assert_eq!(
        w.roles["s3dest-walkme"].tags[TAG_FILE],
        "team-a/s3dest.yaml"
    );
    assert_eq!(w.users["s3dest-keys"].tags[TAG_FILE], "team-a/s3dest.yaml");
    // The secret gets it with its next write: the next key.
    assert_eq!(recorded(&w)["s3dest/acme/keys"], None);
}

#[test]
fn a_write_of_the_inline_policy_writes_the_record_too() {
    let custom = "version: 1\nname: acme\nbuckets:\n  acme-exports: {}\ndestinations:\n  partner: { vendor: custom, bucket: acme-exports, folder: partner, principal: \"arn:aws:iam::111122223333:role/exporter\", external_id: xyz-123, actions: [s3:PutObject] }\n";
    let mut w = world();
    converge(custom, None, &mut w);
    let wider = custom.replace("[s3:PutObject]", "[s3:PutObject, s3:GetObject]");
    let first = converge(&wider, Some("specs/partner.yaml"), &mut w);
    let changed: Vec<String> = first
        .changes
        .iter()
        .map(|c| c.address.to_string())
        .collect();
    assert_eq!(changed, ["destination.partner.role_policy"]);
    assert_eq!(
        w.roles["s3dest-partner"].tags[TAG_FILE],
        "specs/partner.yaml"
    );
}

#[test]
fn a_declared_move_is_retagged_once_and_then_moved_from_can_go() {
    let mut w = world();
    converge(ACME, Some("team-a/s3dest.yaml"), &mut w);
    let moved = ACME.replace(
        "name: acme\n",
        "name: acme\nmoved_from: [old/path.yaml, team-a/s3dest.yaml]\n",
    );
    let first = converge(&moved, Some("exports/s3dest.yaml"), &mut w);
    let changes: Vec<(String, Action, &str)> = first
        .changes
        .iter()
        .map(|c| (c.address.to_string(), c.action, c.reason.as_str()))
        .collect();
    let reason = "the spec file moved from `team-a/s3dest.yaml`: its `s3dest:file` tag is updated, after which `moved_from` can be removed";
    assert_eq!(
        changes,
        [
            ("destination.keys.user".to_owned(), Action::Update, reason),
            ("destination.walkme.role".to_owned(), Action::Update, reason),
            ("destination.keys.secret".to_owned(), Action::Update, reason),
        ]
    );
    everything_records(&w, Some("exports/s3dest.yaml"));
    // Without `moved_from` now: nothing to do, nothing refused.
    let after = plan(ACME, Some("exports/s3dest.yaml"), &w);
    assert!(after.is_empty() && !after.has_errors(), "{after:#?}");
    // And the old file, if it is still there, is refused: the move was declared.
    let old = plan(ACME, Some("team-a/s3dest.yaml"), &w);
    assert!(old.has_errors());
    assert!(
        old.errors[0].message.contains("`exports/s3dest.yaml`"),
        "{:?}",
        old.errors
    );
}

#[test]
fn a_move_retags_what_it_writes_anyway_in_the_same_change() {
    let mut w = world();
    converge(ACME, Some("team-a/s3dest.yaml"), &mut w);
    let moved = ACME
        .replace(
            "name: acme\n",
            "name: acme\nmoved_from: team-a/s3dest.yaml\n",
        )
        .replace("folder: walkme }", "folder: walkme, tags: { team: a } }");
    let first = converge(&moved, Some("exports/s3dest.yaml"), &mut w);
    let role = first
        .changes
        .iter()
        .find(|c| c.address == "destination.walkme.role")
        .expect("the role changes");
    assert!(
        role.reason
            .starts_with("tags differ; the spec file moved from `team-a/s3dest.yaml`"),
        "{}",
        role.reason
    );
    everything_records(&w, Some("exports/s3dest.yaml"));
}

#[test]
fn other_specs_and_unknown_files_are_not_checked() {
    let mut w = world();
    converge(ACME, Some("team-a/s3dest.yaml"), &mut w);
    // Another spec's resources, whichever file made them.
    let other = ACME_B.replace("name: acme", "name: other");
    converge(&other, Some("team-b/s3dest.yaml"), &mut w);
    assert!(plan(ACME, Some("team-a/s3dest.yaml"), &w).is_empty());
    // A spec that is no file checks nothing and leaves the records as they are.
    let tagged = ACME.replace("folder: walkme }", "folder: walkme, tags: { team: a } }");
    converge(&tagged, None, &mut w);
    let team_a = Some("team-a/s3dest.yaml".to_owned());
    for name in ["s3dest-walkme", "s3dest-keys", "s3dest/acme/keys"] {
        assert_eq!(recorded(&w)[name], team_a, "{name}");
    }
    // Nor does a secret scheduled for deletion count: its destination is gone.
    let mut w = world();
    converge(ACME, Some("team-a/s3dest.yaml"), &mut w);
    let roles_only = ACME.replace(
        "  keys: { vendor: walkme, auth: access-key, bucket: acme-exports, folder: keys }\n",
        "",
    );
    converge(&roles_only, Some("team-a/s3dest.yaml"), &mut w);
    assert!(w.secrets["s3dest/acme/keys"].pending_deletion);
    let b = plan(&roles_only, Some("team-b/s3dest.yaml"), &w);
    assert_eq!(b.errors.len(), 1, "{:#?}", b.errors);
    assert!(
        b.errors[0]
            .message
            .contains("tag of its role `s3dest-walkme`)"),
        "{:?}",
        b.errors
    );
}

#[test]
fn a_path_too_long_for_a_tag_is_named_by_its_end() {
    let long = format!("{}/team-a/s3dest.yaml", "deep/".repeat(60));
    let mut w = world();
    converge(ACME, Some(&long), &mut w);
    let recorded = w.roles["s3dest-walkme"].tags[TAG_FILE].clone();
    assert!(recorded.starts_with("fnv1a:"), "{recorded}");
    let p = plan(ACME, Some("team-b/s3dest.yaml"), &w);
    let message = &p.errors[0].message;
    assert!(
        message.contains("the file whose path ends in `")
            && message.contains("team-a/s3dest.yaml` (recorded as `fnv1a:"),
        "{message}"
    );
    // What the message says to write is accepted as it is.
    let moved = ACME.replace(
        "name: acme\n",
        &format!("name: acme\nmoved_from: [\"{recorded}\"]\n"),
    );
    converge(&moved, Some("team-b/s3dest.yaml"), &mut w);
    everything_records(&w, Some("team-b/s3dest.yaml"));
}
