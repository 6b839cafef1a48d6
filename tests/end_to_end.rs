//! `s3dest` end to end against moto server: every preset from empty to an empty
//! re-plan, drift, formatting-only rewrites, prune, two specs side by side, foreign
//! statements, ownership errors, approval, saved plans, outputs.

mod support;

use serde_json::json;
use support::{Run, Workdir, aws, moto};

const BUCKET: &str = "acme-vendor-exports";

fn spec(destinations: &str) -> String {
    format!(
        "version: 1\nname: acme\nbuckets:\n  {BUCKET}: {{}}\n  acme-created: {{create: true, region: eu-west-1}}\ndestinations:\n{destinations}"
    )
}

const PENDO: &str = "  pendo:\n    vendor: pendo-data-sync\n    bucket: acme-vendor-exports\n    folder: pendo\n    principal: arn:aws:iam::123456789012:user/pendo-sync\n    external_id: 6f1b2c9d-pendo\n";
const CURRENTS: &str = "  currents:\n    vendor: braze-currents\n    bucket: acme-created\n    principal: \"987654321098\"\n    external_id: braze-ext-42\n";
const EXPORTS: &str = "  exports:\n    vendor: braze-data-export\n    bucket: acme-vendor-exports\n    folder: braze/exports\n    principal: arn:aws:iam::987654321098:root\n    external_id: braze-ext-42\n";
const SECURITY: &str = "  security:\n    vendor: braze-security-events\n    bucket: acme-vendor-exports\n    folder: braze/security\n    principal: \"987654321098\"\n    external_id: braze-ext-42\n";
const WALKME: &str =
    "  walkme:\n    vendor: walkme\n    bucket: acme-vendor-exports\n    folder: walkme/insights\n";
const PARTNER: &str = "  partner:\n    vendor: custom\n    bucket: acme-vendor-exports\n    folder: partner\n    principal: arn:aws:iam::111122223333:role/exporter\n    external_id: xyz-123\n    actions: [s3:PutObject, s3:GetObject]\n";

/// Applies `destinations` from an account holding only the one existing bucket, then
/// checks that the next plan is empty (exit 0 with --detailed-exitcode).
fn from_empty(destinations: &str) -> (s3dest_moto::MotoGuard, Workdir) {
    let moto = moto();
    aws(&moto).create_bucket(BUCKET);
    let w = Workdir::new(&spec(destinations));
    let plan = w.run(&moto, &["plan", "--detailed-exitcode"]).expect(2);
    assert!(plan.stdout.contains("Plan: "), "{}", plan.stdout);
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    let again = w.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);
    assert!(again.stdout.contains("No changes"), "{}", again.stdout);
    (moto, w)
}

#[test]
fn pendo_from_empty_converges() {
    let (moto, _w) = from_empty(PENDO);
    let aws = aws(&moto);
    assert!(aws.role_exists("pendo_datasync"));
    assert!(aws.object_exists(BUCKET, "pendo/"));
    let policy = aws.bucket_policy(BUCKET).unwrap();
    let statement = &policy["Statement"][0];
    assert!(statement["Sid"].as_str().unwrap().starts_with("S3dest"));
    // moto's account is 123456789012.
    assert!(
        statement["Principal"]["AWS"]
            .to_string()
            .contains("arn:aws:iam::123456789012:role/pendo_datasync"),
        "{policy:#}"
    );
    assert!(
        statement["Action"].to_string().contains("s3:PutObject"),
        "{policy:#}"
    );
}

#[test]
fn braze_currents_from_empty_converges_and_creates_its_bucket() {
    let (moto, _w) = from_empty(CURRENTS);
    let aws = aws(&moto);
    assert!(aws.role_exists("s3dest-currents"));
    assert!(aws.object_exists("acme-created", "currents/"));
    let pab = aws
        .rt
        .block_on(
            aws.s3
                .get_public_access_block()
                .bucket("acme-created")
                .send(),
        )
        .unwrap();
    let cfg = pab.public_access_block_configuration().unwrap();
    assert_eq!(
        (
            cfg.block_public_acls(),
            cfg.ignore_public_acls(),
            cfg.block_public_policy(),
            cfg.restrict_public_buckets()
        ),
        (Some(true), Some(true), Some(true), Some(true))
    );
    let enc = aws
        .rt
        .block_on(aws.s3.get_bucket_encryption().bucket("acme-created").send());
    assert!(enc.is_ok(), "default encryption is on");
    let location = aws
        .rt
        .block_on(aws.s3.get_bucket_location().bucket("acme-created").send())
        .unwrap();
    assert_eq!(
        location.location_constraint().map(|c| c.as_str()),
        Some("eu-west-1")
    );
}

#[test]
fn braze_data_export_from_empty_converges() {
    let (moto, _w) = from_empty(EXPORTS);
    assert!(aws(&moto).object_exists(BUCKET, "braze/exports/"));
}

#[test]
fn braze_security_events_from_empty_converges() {
    let (moto, _w) = from_empty(SECURITY);
    assert!(aws(&moto).role_exists("s3dest-security"));
}

#[test]
fn walkme_from_empty_converges_and_warns() {
    let (moto, w) = from_empty(WALKME);
    let plan = w.run(&moto, &["plan"]).expect(0);
    assert!(
        plan.stdout
            .contains("warning[missing-external-id]: destination.walkme:"),
        "{}",
        plan.stdout
    );
}

#[test]
fn custom_from_empty_converges() {
    let (moto, _w) = from_empty(PARTNER);
    assert!(aws(&moto).role_exists("s3dest-partner"));
}

#[test]
fn all_vendors_together_converge_and_outputs_name_what_to_paste() {
    let all = [PENDO, CURRENTS, EXPORTS, SECURITY, WALKME, PARTNER].concat();
    let (moto, w) = from_empty(&all);
    let out = w.run(&moto, &["outputs", "--format", "json"]).expect(0);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let pendo = &v["destinations"]["pendo"];
    assert_eq!(
        pendo["role_arn"],
        "arn:aws:iam::123456789012:role/pendo_datasync"
    );
    assert_eq!(pendo["s3_uri"], "s3://acme-vendor-exports/pendo/");
    assert_eq!(v["destinations"]["currents"]["region"], "eu-west-1");
    assert_eq!(v["destinations"]["currents"]["folder"], "currents");
    assert_eq!(
        v["destinations"]["walkme"]["role_arn"],
        "arn:aws:iam::123456789012:role/s3dest/s3dest-walkme"
    );
    let text = w.run(&moto, &["outputs"]).expect(0);
    assert!(
        text.stdout.contains("Bucket path") && text.stdout.contains("/walkme/insights"),
        "{}",
        text.stdout
    );
}

#[test]
fn drift_is_shown_and_repaired() {
    let (moto, w) = from_empty(&[PENDO, WALKME, PARTNER].concat());
    let aws = aws(&moto);
    // Inline policy widened by hand.
    aws.put_role_policy("s3dest-walkme", "s3dest", &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}));
    // Trust principal changed by hand.
    aws.update_trust("s3dest-partner", &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "sts:AssumeRole"}]}));
    // Folder marker deleted, owned statement removed.
    aws.delete_object(BUCKET, "walkme/insights/");
    aws.rt
        .block_on(aws.s3.delete_bucket_policy().bucket(BUCKET).send())
        .unwrap();
    let plan = w.run(&moto, &["plan", "--detailed-exitcode"]).expect(2);
    for address in [
        "~ destination.walkme.role_policy",
        "~ destination.partner.role",
        "+ destination.walkme.folder",
        "+ bucket.acme-vendor-exports.statement.pendo",
    ] {
        assert!(
            plan.stdout.contains(address),
            "missing {address} in\n{}",
            plan.stdout
        );
    }
    assert!(
        plan.stdout
            .contains("-             \"arn:aws:iam::444455556666:root\""),
        "{}",
        plan.stdout
    );
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    w.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn formatting_only_rewrites_by_hand_give_an_empty_plan() {
    let (moto, w) = from_empty(&[PENDO, CURRENTS].concat());
    let aws = aws(&moto);
    // Same grants, written differently: reordered, strings for lists, account id for :root.
    aws.put_role_policy("s3dest-currents", "s3dest", &json!({"Statement": [
        {"Resource": "arn:aws:s3:::acme-created/*", "Action": ["s3:GetObject", "s3:putobject"], "Effect": "Allow"},
        {"Effect": "Allow", "Action": ["s3:GetBucketLocation", "s3:ListBucket"], "Resource": "arn:aws:s3:::acme-created"},
        {"Resource": "arn:aws:s3:::acme-created/.s3dest-bucket-policy.lock", "Sid": "DenyS3destLock", "Action": "s3:*", "Effect": "Deny"}], "Version": "2012-10-17"}));
    aws.update_trust("s3dest-currents", &json!({"Version": "2012-10-17", "Statement": {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"AWS": "987654321098"}, "Condition": {"StringEquals": {"sts:ExternalId": "braze-ext-42"}}}}));
    let mut policy = aws.bucket_policy(BUCKET).unwrap();
    let statement = &mut policy["Statement"][0];
    statement["Resource"] = json!([
        format!("arn:aws:s3:::{BUCKET}"),
        format!("arn:aws:s3:::{BUCKET}/*")
    ]);
    statement["Action"] = json!(["s3:PutObject"]);
    aws.put_bucket_policy(BUCKET, &policy);
    let plan = w.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);
    assert!(plan.stdout.contains("No changes"), "{}", plan.stdout);
}

#[test]
fn foreign_statements_are_kept_and_never_shown() {
    let moto = moto();
    let aws = aws(&moto);
    aws.create_bucket(BUCKET);
    // (moto evaluates Deny statements, so this one denies nothing s3dest does.)
    let foreign = json!({"Sid": "DenyBucketDeletion", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket", "Resource": format!("arn:aws:s3:::{BUCKET}"), "Condition": {"Bool": {"aws:SecureTransport": "false"}}});
    aws.put_bucket_policy(
        BUCKET,
        &json!({"Version": "2012-10-17", "Statement": [foreign.clone()]}),
    );
    let w = Workdir::new(&spec(PENDO));
    let plan = w.run(&moto, &["plan", "--format", "json"]).expect(0);
    assert!(!plan.stdout.contains("DenyBucketDeletion"));
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    let policy = aws.bucket_policy(BUCKET).unwrap();
    let statements = policy["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 2);
    assert!(statements.contains(&foreign), "{policy:#}");
    // Prune everything: the foreign statement stays, exactly.
    w.write_spec(&spec(""));
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    let policy = aws.bucket_policy(BUCKET).unwrap();
    assert_eq!(policy["Statement"], json!([foreign]));
}

#[test]
fn prune_removes_what_left_the_spec_and_keeps_folders_with_data() {
    let (moto, w) = from_empty(&[PENDO, WALKME, PARTNER].concat());
    let aws = aws(&moto);
    aws.put_object(BUCKET, "walkme/insights/report.csv");
    w.write_spec(&spec(PARTNER));
    let plan = w.run(&moto, &["plan", "--format", "json"]).expect(0);
    let v: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    let deletes: Vec<&str> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] == "delete")
        .map(|c| c["address"].as_str().unwrap())
        .collect();
    // pendo: statement, folder, role policy, role; walkme: role policy, role (its
    // folder holds data and stays).
    assert_eq!(deletes.len(), 6, "{deletes:?}");
    assert!(
        deletes.contains(&"destination.pendo.folder")
            && !deletes.contains(&"destination.walkme.folder")
    );
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    assert_eq!(aws.role_names(), ["s3dest-partner"]);
    assert!(!aws.object_exists(BUCKET, "pendo/"));
    assert!(
        aws.object_exists(BUCKET, "walkme/insights/"),
        "a folder holding data is never deleted"
    );
    assert!(aws.object_exists(BUCKET, "walkme/insights/report.csv"));
    w.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn two_specs_side_by_side_never_touch_each_other() {
    let moto = moto();
    let aws = aws(&moto);
    aws.create_bucket("shared-exports");
    let a = Workdir::new(
        "version: 1\nname: team-a\nbuckets: {shared-exports: {}}\ndestinations:\n  pendo: { vendor: pendo-data-sync, bucket: shared-exports, folder: a, principal: \"arn:aws:iam::123456789012:user/p\", external_id: ext-a }\n  wa: { vendor: walkme, bucket: shared-exports, folder: wa }\n",
    );
    let b = Workdir::new(
        "version: 1\nname: team-b\nbuckets: {shared-exports: {}}\ndestinations:\n  wb: { vendor: walkme, bucket: shared-exports, folder: wb }\n",
    );
    a.run(&moto, &["apply", "--auto-approve"]).expect(0);
    b.run(&moto, &["apply", "--auto-approve"]).expect(0);
    a.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);
    b.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);
    // team-b empties its spec: team-a's role, statement and folders stay.
    b.write_spec("version: 1\nname: team-b\nbuckets: {}\ndestinations: {}\n");
    b.run(&moto, &["apply", "--auto-approve"]).expect(0);
    a.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);
    assert_eq!(aws.role_names(), ["pendo_datasync", "s3dest-wa"]);
    // team-b asking for Pendo's fixed role is refused at plan, naming team-a.
    b.write_spec("version: 1\nname: team-b\nbuckets: {shared-exports: {}}\ndestinations:\n  pendo: { vendor: pendo-data-sync, bucket: shared-exports, folder: b, principal: \"arn:aws:iam::123456789012:user/p\", external_id: ext-b }\n");
    let refused = b.run(&moto, &["apply", "--auto-approve"]).expect(1);
    assert!(refused.stdout.contains("team-a"), "{}", refused.stdout);
}

#[test]
fn an_unowned_role_is_an_error_until_adopted() {
    let moto = moto();
    let aws = aws(&moto);
    aws.create_bucket(BUCKET);
    aws.create_role("s3dest-walkme", "/s3dest/");
    let w = Workdir::new(&spec(WALKME));
    let plan = w.run(&moto, &["plan"]).expect(1);
    assert!(plan.stdout.contains("adopt: true"), "{}", plan.stdout);
    w.run(&moto, &["apply", "--auto-approve"]).expect(1);
    w.write_spec(&spec(&format!("{WALKME}    adopt: true\n")));
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    w.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);
}

/// Pendo's setup made by hand from its guide (the role at `/`, the guide's
/// `Statement1` in the bucket policy next to someone else's statement), adopted: the
/// guide's statement is replaced by s3dest's in one policy write, and the other
/// statement stays byte for byte.
#[test]
fn adopting_pendos_hand_made_setup_takes_over_its_statement() {
    let moto = moto();
    let aws = aws(&moto);
    aws.create_bucket(BUCKET);
    aws.create_role("pendo_datasync", "/");
    aws.update_trust(
        "pendo_datasync",
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:user/pendo-sync"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "6f1b2c9d-pendo"}}}]}),
    );
    aws.create_role("analytics", "/");
    let foreign = json!({"Sid": "AnalyticsRead", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/analytics"}, "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{BUCKET}/reports/*")});
    let guide = include_str!("../crates/s3dest-core/tests/guides/pendo-bucket-policy.json")
        .replace("ROLE_ARN", "arn:aws:iam::123456789012:role/pendo_datasync")
        .replace("BUCKET_ARN", &format!("arn:aws:s3:::{BUCKET}"));
    let guide: serde_json::Value = serde_json::from_str(&guide).unwrap();
    aws.put_bucket_policy(
        BUCKET,
        &json!({"Version": "2012-10-17", "Statement": [foreign.clone(), guide["Statement"][0].clone()]}),
    );
    let foreign_text = foreign.to_string();
    assert!(
        aws.bucket_policy_text(BUCKET)
            .unwrap()
            .contains(&foreign_text)
    );

    let w = Workdir::new(&spec(&format!("{PENDO}    adopt: true\n")));
    let plan = w.run(&moto, &["plan", "--detailed-exitcode"]).expect(2);
    assert!(
        plan.stdout.contains("bucket.acme-vendor-exports.statement.pendo will be replaced: adopting: statement `Statement1` grants role `pendo_datasync` what the guide's statement grants; it is replaced by s3dest's statement `S3dest"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("adopting: s3dest ownership tags are added"),
        "{}",
        plan.stdout
    );
    moto.start_recording();
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    moto.stop_recording();
    let policy_writes: Vec<String> = support::writes(&moto.recorded_calls())
        .into_iter()
        .filter(|op| op.ends_with("?policy"))
        .collect();
    assert_eq!(
        policy_writes.len(),
        1,
        "one PutBucketPolicy: {policy_writes:?}"
    );
    assert!(policy_writes[0].starts_with("PUT "), "{policy_writes:?}");
    w.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);

    let text = aws.bucket_policy_text(BUCKET).unwrap();
    assert!(text.contains(&foreign_text), "{text}");
    let policy: serde_json::Value = serde_json::from_str(&text).unwrap();
    let sids: Vec<&str> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Sid"].as_str().unwrap())
        .collect();
    assert_eq!(sids.len(), 2, "{text}");
    assert_eq!(sids[0], "AnalyticsRead");
    assert!(sids[1].starts_with("S3dest"), "{text}");
}

#[test]
fn a_missing_bucket_is_an_error() {
    let moto = moto();
    let w = Workdir::new(&spec(WALKME));
    let plan = w.run(&moto, &["plan"]).expect(1);
    assert!(
        plan.stdout
            .contains("bucket `acme-vendor-exports` does not exist"),
        "{}",
        plan.stdout
    );
}

#[test]
fn apply_without_a_terminal_or_approval_refuses_and_changes_nothing() {
    let moto = moto();
    aws(&moto).create_bucket(BUCKET);
    let w = Workdir::new(&spec(WALKME));
    moto.start_recording();
    let run = w.run(&moto, &["apply"]).expect(1);
    moto.stop_recording();
    assert!(run.stderr.contains("--auto-approve"), "{}", run.stderr);
    let operations: Vec<String> = moto
        .recorded_calls()
        .iter()
        .map(support::operation)
        .collect();
    assert!(
        operations.iter().any(|op| op == "ListRoles"),
        "the plan was read and shown: {operations:?}"
    );
    let writes = support::writes(&moto.recorded_calls());
    assert!(writes.is_empty(), "{writes:?}");
    assert!(!aws(&moto).role_exists("s3dest-walkme"));
}

#[test]
fn a_saved_plan_applies_when_nothing_changed_and_refuses_when_stale() {
    let moto = moto();
    let aws = aws(&moto);
    aws.create_bucket(BUCKET);
    let w = Workdir::new(&spec(&[PENDO, WALKME].concat()));
    w.run(&moto, &["plan", "--out", "tfplan"]).expect(0);
    w.run(&moto, &["apply", "tfplan"]).expect(0);
    w.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);
    // A new plan, then someone edits the bucket policy (a statement s3dest does not own).
    w.write_spec(&spec(PENDO));
    w.run(&moto, &["plan", "--out", "tfplan"]).expect(0);
    let mut policy = aws.bucket_policy(BUCKET).unwrap();
    policy["Statement"].as_array_mut().unwrap().push(json!({"Sid": "Other", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket", "Resource": format!("arn:aws:s3:::{BUCKET}")}));
    aws.put_bucket_policy(BUCKET, &policy);
    let stale = w.run(&moto, &["apply", "tfplan"]).expect(1);
    assert!(
        stale.stderr.contains("bucket acme-vendor-exports"),
        "{}",
        stale.stderr
    );
    assert!(aws.role_exists("s3dest-walkme"), "nothing was changed");
}

#[test]
fn a_saved_plan_is_refused_when_the_buckets_encryption_changed() {
    let moto = moto();
    let aws = aws(&moto);
    aws.create_bucket(BUCKET);
    let w = Workdir::new(&spec(EXPORTS));
    w.run(&moto, &["plan", "--out", "tfplan"]).expect(0);
    // What Braze needs depends on it (it cannot work with SSE-KMS).
    let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    aws.put_bucket_kms_encryption(BUCKET, key);
    let stale = w.run(&moto, &["apply", "tfplan"]).expect(1);
    assert!(
        stale.stderr.contains("bucket acme-vendor-exports"),
        "{}",
        stale.stderr
    );
    assert!(!aws.role_exists("s3dest-exports"), "nothing was changed");
}

#[test]
fn an_interrupted_apply_converges_when_run_again() {
    let moto = moto();
    aws(&moto).create_bucket(BUCKET);
    let mut destinations = String::from(PENDO);
    for i in 0..24 {
        let auth = if i % 3 == 0 { "access-key" } else { "role" };
        destinations += &format!(
            "  w{i}: {{ vendor: walkme, auth: {auth}, bucket: {BUCKET}, folder: w/{i} }}\n"
        );
    }
    let w = Workdir::new(&spec(&destinations));
    // Kill apply part-way, at a different point each time; whatever it left, the next
    // apply finishes the job and the plan after it is empty.
    for delay_ms in [150, 400, 900] {
        let mut child = w
            .command(&moto, &["apply", "--auto-approve"])
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
    }
    // A kill during a bucket-policy edit leaves its lock, owned by a process of this
    // host that is gone: the next apply takes it over by itself.
    let rerun = w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    assert!(!rerun.stderr.contains("--break-lock"), "{}", rerun.stderr);
    w.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);
}

/// `apply PLANFILE` makes no AWS call, changes nothing and says why, when the plan file
/// is not exactly what `plan --out` wrote or its spec file changed since.
#[test]
fn a_saved_plan_is_refused_when_its_spec_changed_or_the_file_was_edited() {
    let moto = moto();
    let aws = aws(&moto);
    aws.create_bucket(BUCKET);
    let w = Workdir::new(&spec(WALKME));
    std::fs::create_dir(w.path("plans")).unwrap();
    w.run(&moto, &["plan", "--out", "plans/tfplan"]).expect(0);
    let saved = std::fs::read_to_string(w.path("plans/tfplan")).unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&saved).unwrap();
    assert_eq!(
        value["spec_path"], "../s3dest.yaml",
        "relative to the plan file"
    );
    let mut report = String::new();
    let mut refused = |what: &str, w: &Workdir| {
        moto.start_recording();
        let run = w.run(&moto, &["apply", "plans/tfplan"]);
        moto.stop_recording();
        assert_eq!(run.code, 1, "{what}:\n{}", run.stderr);
        assert_eq!(moto.recorded_calls().len(), 0, "{what}: AWS was called");
        report += &format!("## {what}\n{}{}\n", run.stdout, run.stderr);
    };
    // The spec changed (a comment is enough: the plan was reviewed for the other text).
    w.write_spec(&format!("{}# reviewed\n", spec(WALKME)));
    refused("the spec file changed", &w);
    w.write_spec(&spec(WALKME));
    // The plan file edited by hand: one change's action.
    let edited = saved.replacen("\"action\": \"create\"", "\"action\": \"update\"", 1);
    assert_ne!(edited, saved);
    std::fs::write(w.path("plans/tfplan"), edited).unwrap();
    refused("a change edited by hand", &w);
    // Its digest taken out.
    value.as_object_mut().unwrap().remove("digest");
    std::fs::write(w.path("plans/tfplan"), value.to_string()).unwrap();
    refused("no digest", &w);
    // A file of the format before digests.
    value["s3dest_plan"] = serde_json::json!(1);
    std::fs::write(w.path("plans/tfplan"), value.to_string()).unwrap();
    refused("the old format", &w);
    insta::assert_snapshot!(report);
    assert!(!aws.role_exists("s3dest-walkme"), "nothing was changed");

    // Untouched, it applies from any folder: the spec is found next to it as it was.
    std::fs::write(w.path("plans/tfplan"), &saved).unwrap();
    let mut command = w.command(&moto, &["apply", "tfplan"]);
    command.current_dir(w.path("plans"));
    let run = Run::from(command.output().unwrap()).expect(0);
    assert!(!run.stderr.contains("note:"), "{}", run.stderr);
    assert!(aws.role_exists("s3dest-walkme"));

    // A plan file copied alone applies the spec saved in it, and says so.
    w.write_spec(&spec(&[WALKME, PARTNER].concat()));
    w.run(&moto, &["plan", "--out", "plans/tfplan"]).expect(0);
    std::fs::remove_file(w.path("s3dest.yaml")).unwrap();
    let run = w.run(&moto, &["apply", "plans/tfplan"]).expect(0);
    assert!(
        run.stderr.contains(
            "note: `s3dest.yaml`, which the plan was made from, is not there; applying the spec saved in the plan."
        ),
        "{}",
        run.stderr
    );
    assert!(aws.role_exists("s3dest-partner"));
}

/// `-v` says how IAM was read: a small spec reads only its own roles and users.
#[test]
fn verbose_plans_report_how_iam_was_read() {
    let moto = moto();
    aws(&moto).create_bucket(BUCKET);
    let w = Workdir::new(&spec(&[PENDO, WALKME].concat()));
    let plan = w.run(&moto, &["plan", "-v"]).expect(0);
    let line = plan
        .stderr
        .lines()
        .find(|l| l.contains("IAM read:"))
        .unwrap_or_else(|| panic!("{}", plan.stderr));
    assert!(
        line.ends_with(
            // Pendo's and WalkMe's roles, and Datadog's default integration role, which is
            // always read (a removed archive's policy on it is found there).
            "IAM read: targeted (3 role(s) and user(s) read by name, and those under /s3dest/)"
        ),
        "{line}"
    );
}
