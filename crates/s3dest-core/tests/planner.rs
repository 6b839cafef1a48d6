//! The pure planner against an in-memory AWS (`s3dest_testkit::simulate`): every scenario of the
//! safety contract that does not need a server, including what moto cannot show.

use s3dest_core::model::{BucketInfo, Observed, ObservedBucket, Owner};
use s3dest_core::plan::{Action, Plan, diff};
use s3dest_core::presets;
use s3dest_policy::{PolicyDocument, Statement};
use s3dest_testkit::{simulate, spec};

const ACCOUNT: &str = "123456789012";

const ALL_VENDORS: &str = r#"
version: 1
name: acme
buckets:
  acme-exports: {}
  acme-braze: { create: true, region: eu-west-1 }
destinations:
  pendo: { vendor: pendo-data-sync, bucket: acme-exports, folder: pendo, principal: "arn:aws:iam::999999999999:user/pendo-sync", external_id: ext-pendo }
  currents: { vendor: braze-currents, bucket: acme-braze, principal: "987654321098", external_id: braze-1 }
  exports: { vendor: braze-data-export, bucket: acme-braze, folder: exports, principal: "987654321098", external_id: braze-2 }
  security: { vendor: braze-security-events, bucket: acme-exports, folder: security, principal: "arn:aws:iam::987654321098:root", external_id: braze-3 }
  walkme: { vendor: walkme, bucket: acme-exports, folder: walkme/insights }
  partner: { vendor: custom, bucket: acme-exports, folder: partner, principal: "arn:aws:iam::111122223333:role/exporter", external_id: xyz-123, actions: [s3:PutObject, s3:GetObject] }
"#;

/// An account holding the given (empty) buckets in us-east-1.
fn world(buckets: &[&str]) -> Observed {
    s3dest_testkit::account_with_buckets(ACCOUNT, buckets)
}

fn plan(yaml: &str, world: &Observed) -> Plan {
    diff(&presets::expand(&spec(yaml), ACCOUNT), world)
}

/// Plans, checks the plan has no errors, applies it to the world, and checks the next plan is empty.
fn converge(yaml: &str, world: &mut Observed) -> Plan {
    let first = plan(yaml, world);
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    simulate::apply(&first, world);
    let second = plan(yaml, world);
    assert!(second.is_empty(), "not converged: {:#?}", second.changes);
    first
}

fn actions(plan: &Plan) -> Vec<(String, Action)> {
    plan.changes
        .iter()
        .map(|c| (c.address.to_string(), c.action))
        .collect()
}

fn bucket_mut<'a>(world: &'a mut Observed, name: &str) -> &'a mut BucketInfo {
    match world.buckets.get_mut(name) {
        Some(ObservedBucket::Present(info)) => info,
        _ => panic!("no bucket {name}"),
    }
}

#[test]
fn every_vendor_from_empty_converges() {
    let mut w = world(&["acme-exports"]);
    let first = converge(ALL_VENDORS, &mut w);
    let s = first.summary();
    // 1 bucket, 6 roles, 6 inline policies (Pendo's holds only the lock guard), 1
    // statement (Pendo), 6 folders.
    assert_eq!(
        (s.create, s.update, s.replace, s.delete),
        (20, 0, 0, 0),
        "{:#?}",
        actions(&first)
    );
    assert!(
        first
            .changes
            .iter()
            .any(|c| c.address == "bucket.acme-exports.statement.pendo")
    );
    // Dependency order: bucket before roles before policies before statements before folders.
    let phases: Vec<_> = first.changes.iter().map(|c| c.phase()).collect();
    assert!(phases.windows(2).all(|w| w[0] <= w[1]));
    assert!(
        first
            .warnings
            .iter()
            .any(|w| w.address == "destination.walkme")
    );
}

#[test]
fn formatting_only_rewrites_give_an_empty_plan() {
    let mut w = world(&["acme-exports"]);
    converge(ALL_VENDORS, &mut w);
    // Rewrite every document the way IAM/S3 or a human might: reordered, strings for
    // one-element lists, the account id instead of its root ARN, URL-encoded.
    let currents = w.roles.get_mut("s3dest-currents").unwrap();
    let trust = r#"{"Statement":[{"Condition":{"StringEquals":{"sts:ExternalId":"braze-1"}},"Action":"sts:AssumeRole","Principal":{"AWS":"987654321098"},"Effect":"Allow"}],"Version":"2012-10-17"}"#;
    let encoded: String = trust
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    currents.trust = PolicyDocument::parse_aws(&encoded).unwrap();
    currents.inline_policies.insert(
        "s3dest".into(),
        PolicyDocument::parse(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:getobject","s3:PutObject"],"Resource":"arn:aws:s3:::acme-braze/*"},{"Effect":"Allow","Action":["s3:GetBucketLocation","s3:ListBucket"],"Resource":["arn:aws:s3:::acme-braze"]},{"Resource":"arn:aws:s3:::acme-braze/.s3dest-bucket-policy.lock","Action":"S3:*","Effect":"Deny","Sid":"DenyS3destLock"}]}"#).unwrap(),
    );
    let policy = bucket_mut(&mut w, "acme-exports").policy.as_mut().unwrap();
    let pendo = &mut policy.statements[0];
    *pendo = Statement::from_value(&serde_json::json!({
        "Sid": pendo.sid, "Effect": "Allow", "Principal": {"AWS": [format!("arn:aws:iam::{ACCOUNT}:role/pendo_datasync")]},
        "Action": ["s3:PutObject"], "Resource": ["arn:aws:s3:::acme-exports", "arn:aws:s3:::acme-exports/*"]
    }))
    .unwrap();
    let p = plan(ALL_VENDORS, &w);
    assert!(p.is_empty(), "{:#?}", p.changes);
}

#[test]
fn drift_is_shown_and_repaired() {
    let mut w = world(&["acme-exports"]);
    converge(ALL_VENDORS, &mut w);
    // Inline policy widened by hand.
    let walkme = w.roles.get_mut("s3dest-walkme").unwrap();
    walkme.inline_policies.get_mut("s3dest").unwrap().statements[1] = Statement::allow()
        .with_actions(["s3:*"])
        .with_resources(["arn:aws:s3:::*"]);
    // Trust principal rewritten by AWS to a unique id (the trusted role was deleted).
    let partner = w.roles.get_mut("s3dest-partner").unwrap();
    partner.trust.statements[0] = partner.trust.statements[0]
        .clone()
        .with_principal_aws(Vec::<String>::new());
    partner.trust.statements[0].principal = Statement::allow()
        .with_principal_aws(["AROAEXAMPLEID1234567"])
        .principal;
    let info = bucket_mut(&mut w, "acme-exports");
    info.folders.get_mut("security").unwrap().marker = None; // folder marker deleted
    info.policy = None; // owned statement removed
    let p = plan(ALL_VENDORS, &w);
    assert_eq!(
        actions(&p),
        [
            ("destination.partner.role".to_owned(), Action::Update),
            ("destination.walkme.role_policy".to_owned(), Action::Update),
            (
                "bucket.acme-exports.statement.pendo".to_owned(),
                Action::Create
            ),
            ("destination.security.folder".to_owned(), Action::Create),
        ]
    );
    assert!(p.changes[0].reason.contains("trust"));
    converge(ALL_VENDORS, &mut w);
}

#[test]
fn prune_removes_only_what_this_spec_owns_and_keeps_non_empty_folders() {
    let mut w = world(&["acme-exports"]);
    converge(ALL_VENDORS, &mut w);
    // Drop pendo (statement + role + folder) and walkme (role + policy + folder with data).
    let fewer = ALL_VENDORS
        .lines()
        .filter(|l| !l.contains("pendo-data-sync") && !l.contains("vendor: walkme"))
        .collect::<Vec<_>>()
        .join("\n");
    bucket_mut(&mut w, "acme-exports")
        .folders
        .get_mut("walkme/insights")
        .unwrap()
        .has_other_objects = Some(true);
    let p = plan(&fewer, &w);
    assert_eq!(
        actions(&p),
        [
            (
                "bucket.acme-exports.statement.pendo".to_owned(),
                Action::Delete
            ),
            ("destination.pendo.folder".to_owned(), Action::Delete),
            ("destination.pendo.role_policy".to_owned(), Action::Delete),
            ("destination.walkme.role_policy".to_owned(), Action::Delete),
            ("destination.pendo.role".to_owned(), Action::Delete),
            ("destination.walkme.role".to_owned(), Action::Delete),
        ]
    );
    assert!(
        p.warnings
            .iter()
            .any(|n| n.address == "destination.walkme.folder" && n.message.contains("not empty"))
    );
    converge(&fewer, &mut w);
    assert!(
        bucket_mut(&mut w, "acme-exports").folders["walkme/insights"]
            .marker
            .is_some()
    );
}

#[test]
fn foreign_statements_never_appear_and_survive() {
    let mut w = world(&["acme-exports"]);
    let foreign = Statement::allow()
        .with_sid("CloudTrailWrite")
        .with_actions(["s3:PutObject"])
        .with_resources(["arn:aws:s3:::acme-exports/AWSLogs/*"]);
    let foreign = Statement {
        principal: Statement::allow()
            .with_principal_service(["cloudtrail.amazonaws.com"])
            .principal,
        ..foreign
    };
    bucket_mut(&mut w, "acme-exports").policy = Some(PolicyDocument::new(vec![foreign.clone()]));
    let p = converge(ALL_VENDORS, &mut w);
    assert!(
        p.changes
            .iter()
            .all(|c| !c.address.to_string().contains("CloudTrail"))
    );
    let policy = bucket_mut(&mut w, "acme-exports").policy.clone().unwrap();
    assert_eq!(policy.statement_by_sid("CloudTrailWrite"), Some(&foreign));
    // Removing everything from the spec removes our statement only.
    let empty = "version: 1\nname: acme\nbuckets: {}\ndestinations: {}\n";
    converge(empty, &mut w);
    let policy = bucket_mut(&mut w, "acme-exports").policy.clone().unwrap();
    assert_eq!(policy.statements, vec![foreign]);
    assert!(w.roles.is_empty());
}

#[test]
fn two_specs_side_by_side_never_touch_each_other() {
    let a = "version: 1\nname: team-a\nbuckets: {shared: {}}\ndestinations:\n  w: { vendor: walkme, bucket: shared, folder: a }\n  p: { vendor: pendo-data-sync, bucket: shared, folder: pa, principal: \"arn:aws:iam::999999999999:user/p\", external_id: e1 }\n";
    // Destination names are per spec, but default role names are per account: team-b names its role.
    let b = "version: 1\nname: team-b\nbuckets: {shared: {}}\ndestinations:\n  w: { vendor: walkme, bucket: shared, folder: b, role_name: team-b-walkme }\n";
    let mut w = world(&["shared"]);
    converge(a, &mut w);
    converge(b, &mut w);
    assert!(plan(a, &w).is_empty());
    // team-b removing its destination leaves team-a's alone.
    converge(
        "version: 1\nname: team-b\nbuckets: {}\ndestinations: {}\n",
        &mut w,
    );
    assert!(plan(a, &w).is_empty());
    assert!(w.roles.contains_key("s3dest-w") && w.roles["s3dest-w"].owner().is_spec("team-a"));
    // A second spec asking for Pendo's fixed role is refused at plan.
    let b_pendo = "version: 1\nname: team-b\nbuckets: {shared: {}}\ndestinations:\n  p: { vendor: pendo-data-sync, bucket: shared, folder: pb, principal: \"arn:aws:iam::999999999999:user/p\", external_id: e2 }\n";
    let p = plan(b_pendo, &w);
    assert_eq!(p.errors.len(), 1);
    assert!(p.errors[0].message.contains("team-a"), "{:?}", p.errors);
}

#[test]
fn unowned_roles_are_errors_unless_adopted() {
    let yaml = "version: 1\nname: acme\nbuckets: {bkt1: {}}\ndestinations:\n  w: { vendor: walkme, bucket: bkt1, folder: w }\n";
    let mut w = world(&["bkt1"]);
    converge(yaml, &mut w);
    let role = w.roles.get_mut("s3dest-w").unwrap();
    role.tags.clear(); // as if someone created it by hand
    let p = plan(yaml, &w);
    assert_eq!(p.errors.len(), 1);
    assert!(p.errors[0].message.contains("adopt: true"));
    let adopt = yaml.replace("folder: w }", "folder: w, adopt: true }");
    let p = plan(&adopt, &w);
    assert_eq!(
        actions(&p),
        [("destination.w.role".to_owned(), Action::Update)]
    );
    assert!(p.changes[0].reason.contains("adopting"));
    converge(&adopt, &mut w);
    assert_eq!(
        w.roles["s3dest-w"].owner(),
        Owner::Spec {
            spec: "acme".into(),
            destination: Some("w".into())
        }
    );
}

#[test]
fn buckets_must_exist_unless_created_and_regions_are_checked() {
    let yaml = "version: 1\nname: acme\nbuckets: {gone: {}, made: {create: true}, far: {region: eu-west-1}}\ndestinations: {}\n";
    let mut w = world(&["far"]);
    let p = plan(yaml, &w);
    let errors: Vec<_> = p.errors.iter().map(|e| e.address.to_string()).collect();
    assert_eq!(errors, ["bucket.far", "bucket.gone"]);
    assert_eq!(actions(&p), [("bucket.made".to_owned(), Action::Create)]);
    bucket_mut(&mut w, "far").region = "eu-west-1".into();
    w.buckets.insert(
        "gone".into(),
        ObservedBucket::Present(BucketInfo {
            region: "us-east-1".into(),
            ..Default::default()
        }),
    );
    converge(yaml, &mut w);
}

#[test]
fn renaming_a_role_replaces_it_and_rewrites_nothing_else() {
    let yaml = "version: 1\nname: acme\nbuckets: {bkt1: {}}\ndestinations:\n  c: { vendor: braze-currents, bucket: bkt1, principal: \"987654321098\", external_id: ext }\n";
    let mut w = world(&["bkt1"]);
    converge(yaml, &mut w);
    let renamed = yaml.replace(
        "external_id: ext }",
        "external_id: ext, role_name: braze-currents-v2 }",
    );
    let p = plan(&renamed, &w);
    assert_eq!(
        actions(&p),
        [
            ("destination.c.role".to_owned(), Action::Replace),
            ("destination.c.role_policy".to_owned(), Action::Create)
        ]
    );
    converge(&renamed, &mut w);
    assert!(!w.roles.contains_key("s3dest-c"));
}

#[test]
fn moving_a_folder_replaces_the_marker_when_the_old_one_is_empty() {
    let yaml = "version: 1\nname: acme\nbuckets: {bkt1: {}}\ndestinations:\n  w: { vendor: walkme, bucket: bkt1, folder: old }\n";
    let mut w = world(&["bkt1"]);
    converge(yaml, &mut w);
    let moved = yaml.replace("folder: old", "folder: new");
    let p = plan(&moved, &w);
    assert_eq!(
        actions(&p),
        // The role's folder tag follows; WalkMe's grant is bucket-wide, so the policy stays.
        [
            ("destination.w.role".to_owned(), Action::Update),
            ("destination.w.folder".to_owned(), Action::Replace)
        ]
    );
    converge(&moved, &mut w);
    let info = bucket_mut(&mut w, "bkt1");
    assert!(info.folders["old"].marker.is_none() && info.folders["new"].marker.is_some());
}

#[test]
fn a_deleted_pendo_role_rewritten_to_a_unique_id_in_the_bucket_policy_is_drift() {
    let mut w = world(&["acme-exports"]);
    converge(ALL_VENDORS, &mut w);
    let policy = bucket_mut(&mut w, "acme-exports").policy.as_mut().unwrap();
    policy.statements[0].principal = Statement::allow()
        .with_principal_aws(["AROA1234567890EXAMPLE"])
        .principal;
    let p = plan(ALL_VENDORS, &w);
    assert_eq!(
        actions(&p),
        [(
            "bucket.acme-exports.statement.pendo".to_owned(),
            Action::Update
        )]
    );
}

#[test]
fn an_operation_never_runs_after_a_later_one_of_its_change() {
    use s3dest_core::plan::{Address, Change, Op, Phase};
    let change = |ops| Change {
        address: Address::bucket("a"),
        action: Action::Replace,
        before: None,
        after: None,
        reason: String::new(),
        ops,
    };
    let role = presets::expand(&spec(ALL_VENDORS), ACCOUNT).destinations["walkme"]
        .role
        .clone()
        .unwrap();
    let replace = change(vec![
        Op::DeleteRole {
            name: role.name.clone(),
            inline_policies: vec![],
            managed_policies: vec![],
        },
        Op::CreateRole { role },
    ]);
    assert_eq!(replace.op_phases(), [Phase::Roles, Phase::Roles]);
    let moved = change(vec![
        Op::CreateFolder {
            bucket: "b".into(),
            key: "new/".into(),
            spec: "s".into(),
            destination: "d".into(),
        },
        Op::DeleteFolder {
            bucket: "b".into(),
            key: "old/".into(),
        },
    ]);
    assert_eq!(moved.op_phases(), [Phase::Folders, Phase::DeleteFolders]);
    assert!(change(vec![]).op_phases().is_empty());
}

/// ALL_VENDORS with every destination on the access-key method.
fn all_access_keys() -> String {
    ALL_VENDORS
        .lines()
        .map(|l| {
            let l = l.replace("vendor: ", "auth: access-key, vendor: ");
            // Principals and external ids are not used by access keys (they would warn).
            let cut = |l: &str, field: &str| match l.find(field) {
                Some(i) => {
                    let end = l[i..].find(", ").map_or(l.len() - 2, |j| i + j + 2);
                    format!("{}{}", &l[..i], &l[end..])
                }
                None => l.to_owned(),
            };
            cut(&cut(&l, "principal: "), "external_id: ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn days_later(world: &mut Observed, days: i64) {
    world.read_at = world
        .read_at
        .checked_add(jiff::SignedDuration::from_hours(24 * days))
        .unwrap();
}

#[test]
fn every_vendor_with_access_keys_from_empty_converges_without_bucket_statements() {
    let yaml = all_access_keys();
    let mut w = world(&["acme-exports"]);
    let first = converge(&yaml, &mut w);
    let addresses: Vec<_> = first
        .changes
        .iter()
        .map(|c| c.address.to_string())
        .collect();
    for dest in [
        "pendo", "currents", "exports", "security", "walkme", "partner",
    ] {
        for part in ["user", "user_policy", "access_key", "folder"] {
            assert!(
                addresses.contains(&format!("destination.{dest}.{part}")),
                "{dest}.{part}: {addresses:?}"
            );
        }
    }
    assert!(w.roles.is_empty());
    assert_eq!(
        bucket_mut(&mut w, "acme-exports").policy,
        None,
        "a user needs no bucket-policy statement"
    );
    // Pendo's user gets the grant the role method puts in the bucket policy.
    let pendo = &w.users["s3dest-pendo"].inline_policies["s3dest"];
    assert!(pendo.to_canonical_pretty().contains("s3:PutObject"));
    assert_eq!(w.secrets.len(), 6);
    assert!(
        first
            .warnings
            .iter()
            .all(|n| !n.message.contains("external ID")),
        "{:?}",
        first.warnings
    );
}

#[test]
fn rotation_never_leaves_a_destination_without_a_working_key() {
    let yaml = "version: 1\nname: acme\nbuckets: {bkt1: {}}\ndestinations:\n  c: { vendor: braze-currents, auth: access-key, bucket: bkt1, key_max_age_days: 30 }\n";
    let mut w = world(&["bkt1"]);
    converge(yaml, &mut w);
    let first_key = w.users["s3dest-c"].access_keys[0].id.clone();
    days_later(&mut w, 20);
    let p = plan(yaml, &w);
    assert!(p.is_empty());
    assert!(
        p.notes
            .iter()
            .any(|n| n.message.contains("20 days old, never used")),
        "{:?}",
        p.notes
    );
    // Past the maximum age: a second key, and the secret moves to it.
    days_later(&mut w, 11);
    let p = plan(yaml, &w);
    assert_eq!(
        actions(&p),
        [("destination.c.access_key".to_owned(), Action::Create)]
    );
    simulate::apply(&p, &mut w);
    let new_key = w.secrets["s3dest/acme/c"]
        .access_key_id()
        .unwrap()
        .to_owned();
    assert_ne!(new_key, first_key);
    // The vendor has not switched yet: both keys stay active, and the plan says so.
    days_later(&mut w, 3);
    let p = plan(yaml, &w);
    assert!(p.is_empty());
    assert!(
        p.warnings
            .iter()
            .any(|n| n.message.contains("rotation in progress"))
    );
    // The vendor uses the new key: the old one is deactivated…
    days_later(&mut w, 1);
    let used = w.read_at;
    w.users
        .get_mut("s3dest-c")
        .unwrap()
        .access_keys
        .iter_mut()
        .find(|k| k.id == new_key)
        .unwrap()
        .last_used = Some(used);
    let p = plan(yaml, &w);
    assert_eq!(
        actions(&p),
        [(
            format!("destination.c.access_key.{first_key}"),
            Action::Update
        )]
    );
    simulate::apply(&p, &mut w);
    // …and deleted on a later apply.
    let p = plan(yaml, &w);
    assert_eq!(
        actions(&p),
        [(
            format!("destination.c.access_key.{first_key}"),
            Action::Delete
        )]
    );
    simulate::apply(&p, &mut w);
    assert!(plan(yaml, &w).is_empty());
    assert_eq!(w.users["s3dest-c"].access_keys.len(), 1);
}

#[test]
fn switching_between_role_and_access_key_shows_the_replacement() {
    let role = "version: 1\nname: acme\nbuckets: {bkt1: {}}\ndestinations:\n  w: { vendor: walkme, bucket: bkt1, folder: w }\n";
    let key = role.replace("vendor: walkme", "vendor: walkme, auth: access-key");
    let mut w = world(&["bkt1"]);
    converge(role, &mut w);
    let p = plan(&key, &w);
    assert_eq!(
        actions(&p),
        [
            ("destination.w.user".to_owned(), Action::Create),
            ("destination.w.user_policy".to_owned(), Action::Create),
            ("destination.w.access_key".to_owned(), Action::Create),
            ("destination.w.role_policy".to_owned(), Action::Delete),
            ("destination.w.role".to_owned(), Action::Delete),
        ]
    );
    assert!(
        p.changes[4]
            .reason
            .contains("auth changes from role to access-key")
    );
    converge(&key, &mut w);
    let p = plan(role, &w);
    let deletes: Vec<_> = p
        .changes
        .iter()
        .filter(|c| c.action == Action::Delete)
        .map(|c| c.address.to_string())
        .collect();
    assert_eq!(
        deletes,
        [
            "destination.w.secret",
            "destination.w.user_policy",
            "destination.w.user"
        ]
    );
    assert!(
        p.changes
            .iter()
            .any(|c| c.reason.contains("auth changes from access-key to role"))
    );
    converge(role, &mut w);
    assert!(w.users.is_empty() && w.secrets["s3dest/acme/w"].pending_deletion);
}

#[test]
fn pruning_an_access_key_destination_removes_keys_policy_user_and_schedules_the_secret() {
    let yaml = "version: 1\nname: acme\nbuckets: {bkt1: {}}\ndestinations:\n  e: { vendor: braze-data-export, auth: access-key, bucket: bkt1, folder: e }\n";
    let mut w = world(&["bkt1"]);
    converge(yaml, &mut w);
    let empty = "version: 1\nname: acme\nbuckets: {bkt1: {}}\ndestinations: {}\n";
    let p = plan(empty, &w);
    assert_eq!(
        actions(&p),
        [
            ("destination.e.secret".to_owned(), Action::Delete),
            ("destination.e.folder".to_owned(), Action::Delete),
            ("destination.e.user_policy".to_owned(), Action::Delete),
            ("destination.e.user".to_owned(), Action::Delete),
        ]
    );
    assert!(p.changes[0].reason.contains("recoverable for 30 days"));
    converge(empty, &mut w);
    // Another spec's secret and user are never touched.
    assert!(w.users.is_empty());
}

#[test]
fn an_unowned_user_or_secret_is_an_error_until_adopted() {
    let yaml = "version: 1\nname: acme\nbuckets: {bkt1: {}}\ndestinations:\n  e: { vendor: walkme, auth: access-key, bucket: bkt1, folder: e }\n";
    let mut w = world(&["bkt1"]);
    converge(yaml, &mut w);
    w.users.get_mut("s3dest-e").unwrap().tags.clear();
    let p = plan(yaml, &w);
    assert_eq!(p.errors.len(), 1, "{:?}", p.errors);
    assert_eq!(p.errors[0].address, "destination.e.user");
    let adopt = yaml.replace("folder: e }", "folder: e, adopt: true }");
    converge(&adopt, &mut w);
    w.secrets
        .get_mut("s3dest/acme/e")
        .unwrap()
        .tags
        .retain(|k, _| k == "s3dest:access-key-id");
    let p = plan(yaml, &w);
    assert_eq!(p.errors[0].address, "destination.e.secret");
}

#[test]
fn a_plan_that_would_break_an_aws_size_limit_is_an_error() {
    // A bucket policy already near S3's 20 KB: adding Pendo's statement would overflow it.
    let mut w = world(&["acme-exports"]);
    let filler: Vec<Statement> = (0..120)
        .map(|i| {
            Statement::allow()
                .with_sid(format!("Other{i}"))
                .with_principal_aws([format!(
                    "arn:aws:iam::111122223333:role/some-rather-long-role-name-{i}"
                )])
                .with_actions(["s3:GetObject"])
                .with_resources([format!("arn:aws:s3:::acme-exports/team-{i}/*")])
        })
        .collect();
    bucket_mut(&mut w, "acme-exports").policy = Some(PolicyDocument::new(filler));
    let pendo = "version: 1\nname: acme\nbuckets: {acme-exports: {}}\ndestinations:\n  p: { vendor: pendo-data-sync, bucket: acme-exports, folder: p, principal: \"arn:aws:iam::999999999999:user/p\", external_id: ext-1 }\n";
    let p = plan(pendo, &w);
    assert!(
        p.errors
            .iter()
            .any(|e| e.address == "bucket.acme-exports" && e.message.contains("20480")),
        "{:?}",
        p.errors
    );
    // A custom destination with hundreds of actions overflows IAM's inline policy limit.
    let letters = |i: usize| -> String {
        [i / 26 / 26, i / 26 % 26, i % 26]
            .iter()
            .map(|d| char::from(b'a' + *d as u8))
            .collect()
    };
    let actions: Vec<String> = (0..700)
        .map(|i| format!("s3:GetObjectVariant{}", letters(i)))
        .collect();
    let custom = format!(
        "version: 1\nname: acme\nbuckets: {{acme-exports: {{}}}}\ndestinations:\n  c: {{ vendor: custom, bucket: acme-exports, folder: c, principal: \"111122223333\", external_id: ext-1, actions: [{}] }}\n",
        actions.join(", ")
    );
    let p = plan(&custom, &world(&["acme-exports"]));
    assert!(
        p.errors
            .iter()
            .any(|e| e.address == "destination.c" && e.message.contains("10240")),
        "{:?}",
        p.errors
    );
}

#[test]
fn deleting_a_role_names_the_policies_someone_else_put_on_it_and_tags_they_added_stay() {
    let yaml = "version: 1\nname: acme\nbuckets: {bkt1: {}}\ndestinations:\n  w: { vendor: walkme, bucket: bkt1, folder: w }\n";
    let mut w = world(&["bkt1"]);
    converge(yaml, &mut w);
    let role = w.roles.get_mut("s3dest-w").unwrap();
    role.tags.insert("cost-center".into(), "42".into());
    assert!(
        plan(yaml, &w).is_empty(),
        "a tag someone added is not drift to undo"
    );
    let role = w.roles.get_mut("s3dest-w").unwrap();
    role.inline_policies.insert(
        "extra".into(),
        PolicyDocument::new(vec![
            Statement::allow()
                .with_actions(["s3:GetObject"])
                .with_resources(["*"]),
        ]),
    );
    role.managed_policy_arns
        .push("arn:aws:iam::123456789012:policy/audit".into());
    let p = plan(
        "version: 1\nname: acme\nbuckets: {bkt1: {}}\ndestinations: {}\n",
        &w,
    );
    let delete = p
        .changes
        .iter()
        .find(|c| c.address == "destination.w.role")
        .unwrap();
    assert!(
        delete.reason.contains("inline policy `extra`"),
        "{}",
        delete.reason
    );
    assert!(
        delete
            .reason
            .contains("managed policy `arn:aws:iam::123456789012:policy/audit`"),
        "{}",
        delete.reason
    );
}

#[test]
fn renaming_a_destination_keeps_a_role_whose_name_it_still_wants() {
    let before = "version: 1\nname: acme\nbuckets: {bkt1: {}}\ndestinations:\n  pendo: { vendor: pendo-data-sync, bucket: bkt1, folder: p, principal: \"arn:aws:iam::999999999999:user/p\", external_id: ext-1 }\n  w: { vendor: walkme, bucket: bkt1, folder: w, role_name: keep-me }\n";
    let after = before
        .replace("  pendo:", "  pendo-sync:")
        .replace("  w:", "  walkme:");
    let mut w = world(&["bkt1"]);
    converge(before, &mut w);
    let p = plan(&after, &w);
    let role_deletes: Vec<_> = p
        .changes
        .iter()
        .filter(|c| {
            c.ops
                .iter()
                .any(|op| matches!(op, s3dest_core::plan::Op::DeleteRole { .. }))
        })
        .map(|c| c.address.clone())
        .collect();
    assert!(
        role_deletes.is_empty(),
        "a wanted role is never deleted: {role_deletes:?}"
    );
    converge(&after, &mut w);
    assert_eq!(
        w.roles["pendo_datasync"].tags["s3dest:destination"],
        "pendo-sync"
    );
    assert_eq!(w.roles["keep-me"].tags["s3dest:destination"], "walkme");
}

#[test]
fn an_adopted_role_stays_at_its_path_and_is_never_replaced() {
    let yaml = "version: 1\nname: acme\nbuckets: {bkt1: {}}\ndestinations:\n  w: { vendor: walkme, bucket: bkt1, folder: w, adopt: true }\n";
    let mut w = world(&["bkt1"]);
    converge(yaml, &mut w);
    // As if the role had been made by hand at `/`, with a policy of its own.
    let mut role = w.roles.remove("s3dest-w").unwrap();
    role.path = "/".into();
    role.arn = format!("arn:aws:iam::{ACCOUNT}:role/s3dest-w");
    role.tags.clear();
    role.inline_policies.insert(
        "their-own".into(),
        PolicyDocument::new(vec![
            Statement::allow()
                .with_actions(["s3:GetObject"])
                .with_resources(["*"]),
        ]),
    );
    w.roles.insert("s3dest-w".into(), role);
    let p = plan(yaml, &w);
    assert!(
        p.changes
            .iter()
            .all(|c| c.action != Action::Replace && c.action != Action::Delete),
        "{:#?}",
        p.changes
    );
    assert!(
        p.notes
            .iter()
            .any(|n| n.message.contains("stays at its path `/`")),
        "{:?}",
        p.notes
    );
    converge(yaml, &mut w);
    assert!(
        w.roles["s3dest-w"]
            .inline_policies
            .contains_key("their-own")
    );
    let desired = presets::expand(&spec(yaml), ACCOUNT);
    let outputs = s3dest_core::outputs::outputs(&desired, &w);
    assert_eq!(
        outputs[0].role_arn.as_deref(),
        Some("arn:aws:iam::123456789012:role/s3dest-w")
    );
}

/// A foreign statement naming a deleted role's unique id: AWS refuses every bucket
/// policy containing one, so a plan that must write that policy says so at once.
#[test]
fn a_foreign_unique_id_principal_is_an_error_only_where_the_plan_writes_the_policy() {
    let foreign = Statement::allow()
        .with_sid("Legacy")
        .with_principal_aws(["AROA3XFRBF535EXAMPLE1"])
        .with_actions(["s3:GetObject"])
        .with_resources(["arn:aws:s3:::acme-exports/reports/*"]);
    let mut w = world(&["acme-exports"]);
    bucket_mut(&mut w, "acme-exports").policy = Some(PolicyDocument::new(vec![foreign]));
    let p = plan(ALL_VENDORS, &w);
    let errors: Vec<(String, &str)> = p
        .errors
        .iter()
        .map(|e| (e.address.to_string(), e.message.as_str()))
        .collect();
    assert_eq!(
        errors,
        [(
            "bucket.acme-exports".to_owned(),
            "statement `Legacy` of this bucket's policy, which s3dest does not own, names \
             `AROA3XFRBF535EXAMPLE1`: the unique id AWS puts in place of a role or user that was \
             deleted. AWS refuses every bucket policy that contains one, so s3dest cannot change \
             this policy. Remove that principal (it grants nothing any more) or the statement by \
             hand, then plan again"
        )]
    );
    // A spec that does not touch that bucket policy is not stopped by it.
    let no_statement = ALL_VENDORS.replace(
        "  pendo: { vendor: pendo-data-sync, bucket: acme-exports, folder: pendo, principal: \"arn:aws:iam::999999999999:user/pendo-sync\", external_id: ext-pendo }\n",
        "",
    );
    assert!(plan(&no_statement, &w).errors.is_empty());
}

#[test]
fn plans_say_what_the_next_apply_does_about_a_lock_left_in_the_bucket() {
    use s3dest_core::model::{LockVerdict, ObservedLock};
    let mut w = world(&["acme-exports"]);
    let holder = "spec `acme`, taken by ci@runner pid 42 at 2026-01-02T03:04:05Z, 3m 0s ago";
    let cases = [
        (
            LockVerdict::OwnerGone {
                reason: "the apply that took it (pid 42 on this host) is no longer running"
                    .to_owned(),
            },
            "warning",
            format!(
                "a bucket-policy lock was left behind ({holder}): the apply that took it (pid 42 \
                 on this host) is no longer running; the next apply takes it over"
            ),
        ),
        (
            LockVerdict::Stale {
                reason: "its lease ran out 1m 0s ago".to_owned(),
            },
            "warning",
            format!(
                "a stale bucket-policy lock was left behind ({holder}; its lease ran out 1m 0s \
                 ago): apply refuses to edit this policy until it is run with `--break-lock` \
                 (when no other apply is running against this bucket)"
            ),
        ),
        (
            LockVerdict::Live,
            "note",
            format!(
                "an apply is editing this bucket's policy right now (lock {holder}); the next \
                 apply waits for it"
            ),
        ),
    ];
    for (verdict, kind, message) in cases {
        bucket_mut(&mut w, "acme-exports").lock = Some(ObservedLock {
            holder: holder.to_owned(),
            verdict,
        });
        let p = plan(ALL_VENDORS, &w);
        let list = match kind {
            "warning" => &p.warnings,
            _ => &p.notes,
        };
        let found: Vec<&str> = list
            .iter()
            .filter(|n| n.address == "bucket.acme-exports")
            .map(|n| n.message.as_str())
            .collect();
        assert_eq!(found, [message.as_str()], "{kind}");
    }
}

const NEW_VENDORS: &str = r#"
version: 1
name: acme
buckets:
  acme-exports: {}
destinations:
  segment: { vendor: segment, bucket: acme-exports, folder: events, external_id: ws-1 }
  mixpanel: { vendor: mixpanel, bucket: acme-exports, external_id: token-1 }
  logpush: { vendor: cloudflare-logpush, bucket: acme-exports, folder: logs/http }
  archives: { vendor: datadog-log-archives, bucket: acme-exports, folder: datadog }
"#;

/// The customer's Datadog integration role, as Datadog's own setup makes it.
fn datadog_role(world: &mut Observed, name: &str) {
    let trust = PolicyDocument::new(vec![
        Statement::allow()
            .with_principal_aws(["arn:aws:iam::464622532012:root"])
            .with_actions(["sts:AssumeRole"])
            .with_condition("StringEquals", "sts:ExternalId", ["dd-generated"]),
    ]);
    let integration = PolicyDocument::new(vec![
        Statement::allow()
            .with_actions(["cloudwatch:Get*", "ec2:Describe*"])
            .with_resources(["*"]),
    ]);
    world.roles.insert(
        name.into(),
        s3dest_core::model::ObservedRole {
            name: name.into(),
            path: "/".into(),
            arn: format!("arn:aws:iam::{ACCOUNT}:role/{name}"),
            trust,
            tags: [("team".to_owned(), "observability".to_owned())].into(),
            inline_policies: [("DatadogAWSIntegrationPolicy".to_owned(), integration)].into(),
            managed_policy_arns: vec!["arn:aws:iam::aws:policy/SecurityAudit".into()],
        },
    );
}

#[test]
fn new_vendors_converge_and_datadog_touches_only_its_policy_on_the_role() {
    let mut world = world(&["acme-exports"]);
    datadog_role(&mut world, "DatadogIntegrationRole");
    let before = world.roles["DatadogIntegrationRole"].clone();
    let first = converge(NEW_VENDORS, &mut world);
    assert_eq!(
        actions(&first),
        [
            ("destination.mixpanel.role", Action::Create),
            ("destination.segment.role", Action::Create),
            ("destination.archives.role_policy", Action::Create),
            ("destination.mixpanel.role_policy", Action::Create),
            ("destination.segment.role_policy", Action::Create),
            ("bucket.acme-exports.statement.logpush", Action::Create),
            ("destination.segment.folder", Action::Create),
        ]
        .map(|(a, b)| (a.to_owned(), b))
    );
    // The role keeps its trust, tags and other policies; one policy is added.
    let after = &world.roles["DatadogIntegrationRole"];
    assert_eq!((&after.trust, &after.tags), (&before.trust, &before.tags));
    assert_eq!(after.managed_policy_arns, before.managed_policy_arns);
    let names: Vec<&str> = after.inline_policies.keys().map(String::as_str).collect();
    let ours = s3dest_core::sid::statement_sid("acme", "archives");
    assert_eq!(names, ["DatadogAWSIntegrationPolicy", ours.as_str()]);
    // Cloudflare's user is named in the bucket policy, with no lock guard (no identity).
    let policy = bucket_mut(&mut world, "acme-exports")
        .policy
        .clone()
        .unwrap();
    let logpush = policy
        .statements
        .iter()
        .find(|s| s.sid.as_deref() == Some(&s3dest_core::sid::statement_sid("acme", "logpush")))
        .unwrap();
    assert_eq!(
        logpush.aws_principals().collect::<Vec<_>>(),
        ["arn:aws:iam::391854517948:user/cloudflare-logpush"]
    );

    // Removing the destinations removes exactly what s3dest added.
    let removed = plan(
        "version: 1\nname: acme\nbuckets:\n  acme-exports: {}\ndestinations: {}\n",
        &world,
    );
    simulate::apply(&removed, &mut world);
    assert_eq!(world.roles["DatadogIntegrationRole"], before);
    assert!(!world.roles.contains_key("s3dest-segment"));
}

#[test]
fn a_missing_datadog_role_is_an_error_with_a_hint() {
    let world = world(&["acme-exports"]);
    let plan = plan(NEW_VENDORS, &world);
    let errors: Vec<String> = plan
        .errors
        .iter()
        .map(|e| format!("{}: {}", e.address, e.message))
        .collect();
    assert_eq!(
        errors,
        [
            "destination.archives.role: role `DatadogIntegrationRole` does not exist: \
          datadog-log-archives adds its policy to your Datadog AWS integration role, which \
          s3dest does not create; set up Datadog's AWS integration first (it makes the role), \
          or set `role_name` to the name of the role it made"
        ]
    );
}

#[test]
fn findings_name_their_destination_and_come_once_in_order() {
    use s3dest_core::findings::{FindingKind, FindingSeverity};
    let yaml = "version: 1\nname: acme\nbuckets:\n  acme-exports: { create: true }\ndestinations:\n  \
                walkme: { vendor: walkme, bucket: acme-exports, folder: walkme }\n";
    let mut w = world(&["acme-exports"]);
    // A bucket the spec would create, found with public access not fully blocked.
    bucket_mut(&mut w, "acme-exports").public_access_blocked = Some(false);
    let p = plan(yaml, &w);
    let found: Vec<(FindingSeverity, FindingKind, String, Option<&str>)> = p
        .findings
        .iter()
        .map(|f| {
            let destination = f.destination.as_deref();
            (f.severity, f.kind, f.address.to_string(), destination)
        })
        .collect();
    let warning = FindingSeverity::Warning;
    assert_eq!(
        found,
        [
            (
                warning,
                FindingKind::AccessWidens,
                "destination.walkme.role".to_owned(),
                Some("walkme")
            ),
            (
                warning,
                FindingKind::MissingExternalId,
                "destination.walkme".to_owned(),
                Some("walkme")
            ),
            (
                warning,
                FindingKind::PublicAccess,
                "bucket.acme-exports".to_owned(),
                None
            ),
            // The guide's whole-bucket grant reaches every other folder.
            (
                FindingSeverity::Info,
                FindingKind::BeyondNeed,
                "destination.walkme".to_owned(),
                Some("walkme")
            ),
        ]
    );
    // Warnings and an info only: the plan can be applied. The two warnings stay warnings too.
    assert!(!p.has_errors());
    assert_eq!(p.warnings.iter().filter(|w| w.is_finding()).count(), 2);
}
