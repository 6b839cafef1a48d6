//! Who can do what, on the pure core: a spec converged in the in-memory AWS, then AWS
//! changed by hand, and `access::report` (what `s3dest access` shows) and the plan's
//! findings read from it. Whole outputs are snapshots.

use s3dest_core::access::{self, ExternalIdCase, Reach};
use s3dest_core::model::{
    BucketEncryption, BucketInfo, KmsAlgorithm, KmsKey, KmsKeyId, Observed, ObservedBucket,
};
use s3dest_core::plan::{Plan, diff};
use s3dest_core::{presets, render};
use s3dest_policy::{Decision, PolicyDocument};
use s3dest_testkit::{simulate, spec};
use serde_json::json;

const ACCOUNT: &str = "123456789012";
const BUCKET: &str = "acme-exports";

const SPEC: &str = r#"
version: 1
name: acme
buckets:
  acme-exports: {}
destinations:
  pendo: { vendor: pendo-data-sync, bucket: acme-exports, folder: pendo, principal: "arn:aws:iam::999999999999:user/pendo-sync", external_id: ext-pendo, scope: folder }
  currents: { vendor: braze-currents, bucket: acme-exports, principal: "987654321098", external_id: braze-1 }
  cloudflare: { vendor: cloudflare-logpush, bucket: acme-exports, folder: logs }
"#;

fn desired(yaml: &str) -> s3dest_core::model::Desired {
    presets::expand(&spec(yaml), ACCOUNT)
}

fn plan(yaml: &str, world: &Observed) -> Plan {
    diff(&desired(yaml), world)
}

/// The spec applied to an account holding its bucket.
fn converged(yaml: &str) -> Observed {
    let mut world = s3dest_testkit::account_with_buckets(ACCOUNT, &[BUCKET]);
    let first = plan(yaml, &world);
    assert!(
        !first.has_errors(),
        "{:?} {:?}",
        first.errors,
        first.findings
    );
    simulate::apply(&first, &mut world);
    assert!(plan(yaml, &world).is_empty());
    world
}

fn bucket(world: &mut Observed) -> &mut BucketInfo {
    match world.buckets.get_mut(BUCKET) {
        Some(ObservedBucket::Present(info)) => info,
        _ => panic!("no bucket"),
    }
}

/// Adds foreign statements to the bucket policy.
fn add_foreign(world: &mut Observed, statements: serde_json::Value) {
    let info = bucket(world);
    let mut policy = info
        .policy
        .clone()
        .unwrap_or_else(|| PolicyDocument::new(vec![]));
    let more =
        PolicyDocument::from_value(&json!({"Version": "2012-10-17", "Statement": statements}))
            .expect("valid statements");
    policy.statements.extend(more.statements);
    info.policy = Some(policy);
}

/// Braze's trust statement with another external ID than the spec's.
fn another_external_id() -> serde_json::Value {
    json!({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::987654321098:root"},
           "Action": "sts:AssumeRole",
           "Condition": {"StringEquals": {"sts:ExternalId": "someone-elses-id"}}})
}

/// Replaces the trust of Braze's role by one statement, as a hand change would.
fn set_currents_trust(world: &mut Observed, statement: serde_json::Value) {
    let role = world.roles.get_mut("s3dest-currents").expect("role");
    role.trust =
        PolicyDocument::from_value(&json!({"Version": "2012-10-17", "Statement": [statement]}))
            .expect("trust");
}

fn report_text(yaml: &str, world: &Observed) -> String {
    render::access_text(&access::report(&desired(yaml), world), false)
}

#[test]
fn a_converged_spec_gives_each_vendor_its_need_and_refuses_wrong_external_ids() {
    let world = converged(SPEC);
    let report = access::report(&desired(SPEC), &world);
    assert!(report.works());
    insta::assert_snapshot!("converged_text", render::access_text(&report, false));
    insta::assert_json_snapshot!("converged_json", render::access_json(&report));
}

#[test]
fn before_apply_nothing_is_there_and_each_destination_says_why() {
    let mut world = Observed {
        account_id: ACCOUNT.into(),
        ..Observed::default()
    };
    world.buckets.insert(
        BUCKET.into(),
        ObservedBucket::Present(BucketInfo {
            region: "us-east-1".into(),
            ..BucketInfo::default()
        }),
    );
    let report = access::report(&desired(SPEC), &world);
    assert!(!report.works());
    insta::assert_snapshot!("before_apply", render::access_text(&report, false));
}

#[test]
fn a_trust_changed_by_hand_to_another_external_id_locks_the_vendor_out() {
    let mut world = converged(SPEC);
    set_currents_trust(&mut world, another_external_id());
    let report = access::report(&desired(SPEC), &world);
    let currents = &report.destinations[1];
    let verdicts: Vec<(ExternalIdCase, Decision)> = currents
        .assume
        .iter()
        .map(|a| (a.external_id, a.verdict.decision))
        .collect();
    assert_eq!(
        verdicts,
        [
            (ExternalIdCase::Right, Decision::Denied),
            (ExternalIdCase::Wrong, Decision::Denied),
            (ExternalIdCase::None, Decision::Denied),
        ]
    );
    assert!(!report.works());
    insta::assert_snapshot!("trust_other_external_id", report_text(SPEC, &world));
}

#[test]
fn a_trust_without_its_condition_admits_any_external_id() {
    let mut world = converged(SPEC);
    set_currents_trust(
        &mut world,
        json!({
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::987654321098:root"},
        "Action": "sts:AssumeRole"}),
    );
    let report = access::report(&desired(SPEC), &world);
    assert!(!report.works());
    let findings: Vec<String> = report
        .findings
        .iter()
        .map(|f| {
            format!(
                "{}[{}] {}: {}",
                f.severity.as_str(),
                f.kind.as_str(),
                f.address,
                f.message
            )
        })
        .collect();
    insta::assert_debug_snapshot!("trust_without_condition", findings);
}

#[test]
fn foreign_denies_block_uploads_and_unknown_conditions_are_never_guessed() {
    let mut world = converged(SPEC);
    add_foreign(
        &mut world,
        json!([
            {"Sid": "DenyUnencryptedUploads", "Effect": "Deny", "Principal": "*",
             "Action": "s3:PutObject", "Resource": format!("arn:aws:s3:::{BUCKET}/*"),
             "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}}},
            {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": [format!("arn:aws:s3:::{BUCKET}"), format!("arn:aws:s3:::{BUCKET}/*")],
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            {"Sid": "OnlyThroughOurEndpoint", "Effect": "Deny", "Principal": "*",
             "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{BUCKET}/*"),
             "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}},
            {"Sid": "FreezeLogs", "Effect": "Deny", "Principal": "*",
             "Action": "s3:PutObject", "Resource": format!("arn:aws:s3:::{BUCKET}/logs/*")}
        ]),
    );
    let report = access::report(&desired(SPEC), &world);
    let decision = |dest: &str, action: &str| {
        report
            .destinations
            .iter()
            .find(|d| d.destination == dest)
            .and_then(|d| {
                d.requests
                    .iter()
                    .find(|r| r.reach == Reach::Needed && r.action == action)
            })
            .map(|r| r.verdict.decision)
    };
    // Pendo's and Braze's guides do not say whether they send an encryption header:
    // unknown, never a guess. TLS is always used: that Deny never applies.
    assert_eq!(decision("pendo", "s3:PutObject"), Some(Decision::Unknown));
    assert_eq!(
        decision("currents", "s3:PutObject"),
        Some(Decision::Unknown)
    );
    // A Deny that applies whatever the request carries is final.
    assert_eq!(
        decision("cloudflare", "s3:PutObject"),
        Some(Decision::Denied)
    );
    // Its VPC endpoint is not known of Braze's requests: unknown.
    assert_eq!(
        decision("currents", "s3:GetObject"),
        Some(Decision::Unknown)
    );
    assert_eq!(
        decision("currents", "s3:ListBucket"),
        Some(Decision::Allowed)
    );
    assert!(!report.works());
    // The plan shows the same: the error stops it.
    let plan = plan(SPEC, &world);
    assert!(plan.has_errors());
    insta::assert_snapshot!("foreign_denies", report_text(SPEC, &world));
}

#[test]
fn a_customer_key_is_needed_and_its_key_policy_is_unseen() {
    let mut world = converged(SPEC);
    bucket(&mut world).encryption = Some(BucketEncryption::Kms {
        algorithm: KmsAlgorithm::SseKms,
        key: KmsKey::Customer(KmsKeyId::new(
            "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        )),
    });
    let report = access::report(&desired(SPEC), &world);
    let pendo = &report.destinations[2];
    let on_key: Vec<(&str, Decision)> = pendo
        .requests
        .iter()
        .filter(|r| r.action.starts_with("kms:"))
        .map(|r| (r.action.as_str(), r.verdict.decision))
        .collect();
    // No identity policy of Pendo's role grants the key: only the key policy could.
    assert_eq!(on_key, [("kms:GenerateDataKey", Decision::Unknown)]);
    insta::assert_snapshot!("customer_key", report_text(SPEC, &world));
}

#[test]
fn whole_bucket_grants_reach_other_destinations_folders() {
    let yaml = SPEC.replace(", scope: folder", "");
    let world = converged(&yaml);
    let plan = plan(&yaml, &world);
    let beyond: Vec<String> = plan
        .findings
        .iter()
        .filter(|f| f.kind == s3dest_core::findings::FindingKind::BeyondNeed)
        .map(|f| format!("{}: {}", f.address, f.message))
        .collect();
    insta::assert_debug_snapshot!("whole_bucket_beyond_need", beyond);
    // With `scope: folder`, Pendo reaches no other folder.
    let scoped = plan_findings_for(SPEC, "pendo");
    assert_eq!(scoped, Vec::<String>::new());
}

fn plan_findings_for(yaml: &str, destination: &str) -> Vec<String> {
    let world = converged(yaml);
    plan(yaml, &world)
        .findings
        .iter()
        .filter(|f| f.destination.as_deref() == Some(destination))
        .map(|f| f.message.clone())
        .collect()
}

/// The plan's findings at `address`, as the text plan shows them.
fn findings_at(plan: &Plan, address: &str) -> Vec<String> {
    plan.findings
        .iter()
        .filter(|f| f.address == address)
        .map(|f| {
            format!(
                "{}[{}]: {}",
                f.severity.as_str(),
                f.kind.as_str(),
                f.message
            )
        })
        .collect()
}

/// What the plan reports of Braze's role.
fn role_findings(plan: &Plan) -> Vec<String> {
    findings_at(plan, "destination.currents.role")
}

#[test]
fn a_trust_changed_outside_s3dest_is_drift_and_its_repair_never_widens() {
    let mut world = converged(SPEC);
    set_currents_trust(
        &mut world,
        json!({
        "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::987654321098:root", "arn:aws:iam::444455556666:root"]},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": ["braze-1", "someone-elses-id"]}}}),
    );
    let plan = plan(SPEC, &world);
    let change = plan
        .changes
        .iter()
        .find(|c| c.address == "destination.currents.role")
        .expect("the trust is repaired");
    assert_eq!(
        change.reason,
        "the trust policy was changed outside s3dest: it is restored to the spec's"
    );
    insta::assert_debug_snapshot!("trust_drift", role_findings(&plan));
    // Repaired, the role carries the record of the trust again: nothing more to do.
    simulate::apply(&plan, &mut world);
    assert!(self::plan(SPEC, &world).is_empty());
}

#[test]
fn an_external_id_replaced_by_hand_is_drift_that_locks_the_vendor_out() {
    let mut world = converged(SPEC);
    set_currents_trust(&mut world, another_external_id());
    insta::assert_debug_snapshot!(
        "trust_drift_replaced_id",
        role_findings(&plan(SPEC, &world))
    );
}

#[test]
fn a_spec_that_changes_the_external_id_widens_and_is_no_drift() {
    let world = converged(SPEC);
    let changed = SPEC.replace("external_id: braze-1", "external_id: braze-2");
    let plan = plan(&changed, &world);
    insta::assert_debug_snapshot!("external_id_changed_by_spec", role_findings(&plan));
}

#[test]
fn a_role_an_older_s3dest_made_gets_the_trust_record_with_its_next_trust_write() {
    let mut world = converged(SPEC);
    let role = world.roles.get_mut("s3dest-currents").expect("role");
    role.tags.remove(s3dest_core::model::TAG_TRUST);
    // No change of its own for the record.
    assert!(plan(SPEC, &world).is_empty());
    // A trust changed by hand on such a role cannot be told from a spec change; what
    // it admits now is still said.
    set_currents_trust(
        &mut world,
        json!({
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::987654321098:root"},
        "Action": "sts:AssumeRole"}),
    );
    let plan = plan(SPEC, &world);
    insta::assert_debug_snapshot!("untracked_trust_exposed", role_findings(&plan));
    simulate::apply(&plan, &mut world);
    let role = &world.roles["s3dest-currents"];
    assert!(role.tags.contains_key(s3dest_core::model::TAG_TRUST));
}

#[test]
fn a_few_other_folders_are_probed_one_by_one_and_one_stands_for_the_rest() {
    let mut yaml =
        String::from("version: 1\nname: acme\nbuckets:\n  acme-exports: {}\ndestinations:\n");
    for i in 0..15 {
        yaml += &format!(
            "  d{i:02}: {{ vendor: braze-data-export, bucket: acme-exports, folder: f{i:02}, principal: \"987654321098\", external_id: e{i} }}\n"
        );
    }
    let world = converged(&yaml);
    let report = access::report(&desired(&yaml), &world);
    let first = &report.destinations[0];
    let probed: Vec<Option<&str>> = first
        .requests
        .iter()
        .filter_map(|r| match &r.reach {
            Reach::OtherFolder { destination, .. } => Some(destination.as_deref()),
            _ => None,
        })
        .collect();
    // Three object actions each: ten other destinations by name, then any other folder.
    let mut expected: Vec<Option<&str>> = Vec::new();
    let names: Vec<String> = (1..=10).map(|i| format!("d{i:02}")).collect();
    for name in &names {
        expected.extend([Some(name.as_str()); 3]);
    }
    expected.extend([None; 3]);
    assert_eq!(probed, expected);
}

/// What the plan reports of Braze's inline policy.
fn policy_findings(plan: &Plan) -> Vec<String> {
    findings_at(plan, "destination.currents.role_policy")
}

fn currents_policy(world: &mut Observed) -> &mut PolicyDocument {
    let role = world.roles.get_mut("s3dest-currents").expect("role");
    role.inline_policies.get_mut("s3dest").expect("policy")
}

#[test]
fn an_inline_policy_changed_outside_s3dest_is_drift_whichever_way_it_went() {
    // Widened by hand: the repair narrows it.
    let mut world = converged(SPEC);
    currents_policy(&mut world).statements.push(
        s3dest_policy::Statement::allow()
            .with_actions(["s3:*"])
            .with_resources(["*"]),
    );
    let widened = plan(SPEC, &world);
    // Narrowed by hand: the repair gives the grant back, and is no widening.
    let mut narrowed_world = converged(SPEC);
    currents_policy(&mut narrowed_world).statements.remove(0);
    let narrowed = plan(SPEC, &narrowed_world);
    // Deleted by hand.
    let mut deleted_world = converged(SPEC);
    let role = deleted_world
        .roles
        .get_mut("s3dest-currents")
        .expect("role");
    role.inline_policies.clear();
    let deleted = plan(SPEC, &deleted_world);
    insta::assert_debug_snapshot!(
        "policy_drift",
        [
            policy_findings(&widened),
            policy_findings(&narrowed),
            policy_findings(&deleted)
        ]
    );
    for (plan, mut world) in [
        (widened, world),
        (narrowed, narrowed_world),
        (deleted, deleted_world),
    ] {
        simulate::apply(&plan, &mut world);
        assert!(self::plan(SPEC, &world).is_empty());
    }
}

#[test]
fn a_spec_that_widens_the_inline_policy_is_no_drift() {
    let world = converged(SPEC);
    let widened = SPEC.replace(
        "  cloudflare:",
        "  partner: { vendor: custom, bucket: acme-exports, folder: partner, principal: \"111122223333\", external_id: x-1, actions: [s3:PutObject] }\n  cloudflare:",
    );
    let mut world2 = world.clone();
    simulate::apply(&plan(&widened, &world), &mut world2);
    let more = widened.replace(
        "actions: [s3:PutObject]",
        "actions: [s3:PutObject, s3:DeleteObject]",
    );
    let findings: Vec<String> = plan(&more, &world2)
        .findings
        .iter()
        .filter(|f| f.address == "destination.partner.role_policy")
        .map(|f| format!("{}[{}]", f.severity.as_str(), f.kind.as_str()))
        .collect();
    assert_eq!(findings, ["warning[access-widens]"]);
}
