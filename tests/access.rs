//! Who can do what, end to end against moto through the fidelity layer: buckets with
//! foreign `Deny` statements (no TLS, no encryption header), a public statement, an
//! SSE-KMS bucket with a customer key, and a role's external ID changed by hand. Every
//! plan shows the findings in every format, and `s3dest access` gives the verdicts and
//! exit codes (DESIGN: exit 0 only when every needed request is allowed and no wrong or
//! missing external ID is admitted).

mod support;

use serde_json::{Value, json};
use support::{Workdir, aws, moto};

const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

/// Braze Currents on a bucket that denies non-TLS requests and has a public statement,
/// Segment on an SSE-KMS bucket, Pendo on a bucket that denies uploads without an
/// encryption header.
const SPEC: &str = r#"version: 1
name: acme
buckets:
  acme-exports: {}
  acme-segment: {}
  acme-strict: {}
destinations:
  currents:
    vendor: braze-currents
    bucket: acme-exports
    principal: "987654321098"
    external_id: braze-ext-42
  segment:
    vendor: segment
    bucket: acme-segment
    external_id: ws-8f2a
  pendo:
    vendor: pendo-data-sync
    bucket: acme-strict
    folder: pendo
    principal: arn:aws:iam::999999999999:user/pendo-sync
    external_id: pendo-ext
    scope: folder
"#;

/// The same spec without Pendo: every vendor in it can do what it needs.
fn without_pendo() -> String {
    let end = SPEC.find("  pendo:").expect("pendo is in the spec");
    SPEC[..end].to_owned()
}

fn seed(aws: &support::Aws) {
    for bucket in ["acme-exports", "acme-segment", "acme-strict"] {
        aws.create_bucket(bucket);
    }
    aws.put_bucket_policy(
        "acme-exports",
        &json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": ["arn:aws:s3:::acme-exports", "arn:aws:s3:::acme-exports/*"],
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            {"Sid": "PublicReports", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::acme-exports/reports/*"}]}),
    );
    aws.put_bucket_policy(
        "acme-strict",
        &json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "DenyUnencryptedUploads", "Effect": "Deny", "Principal": "*",
             "Action": "s3:PutObject", "Resource": "arn:aws:s3:::acme-strict/*",
             "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}}}]}),
    );
    aws.put_bucket_kms_encryption("acme-segment", KEY);
}

/// The findings of a plan in every format: the JSON plan's, and the text plan's and
/// markdown comment's lines naming each of them once.
fn plan_findings(w: &Workdir, moto: &s3dest_moto::MotoGuard, code: i32) -> Vec<Value> {
    let json = w.run(moto, &["plan", "--format", "json"]).expect(code);
    let plan: Value = serde_json::from_str(&json.stdout).expect("a JSON plan");
    let findings = plan["findings"].as_array().cloned().unwrap_or_default();
    let text = w.run(moto, &["plan"]).expect(code).stdout;
    let markdown = w
        .run(moto, &["plan", "--format", "markdown"])
        .expect(code)
        .stdout;
    for f in &findings {
        let (severity, kind) = (f["severity"].as_str().unwrap(), f["kind"].as_str().unwrap());
        let address = f["address"].as_str().unwrap();
        let line = format!(
            "{severity}[{kind}]: {address}: {}",
            f["message"].as_str().unwrap()
        );
        assert_eq!(text.matches(&line).count(), 1, "{line}\n{text}");
        let item = format!("`{address}` ({kind}):");
        let items = findings
            .iter()
            .filter(|g| g["address"] == f["address"] && g["kind"] == f["kind"])
            .count();
        assert_eq!(markdown.matches(&item).count(), items, "{item}\n{markdown}");
    }
    findings
}

/// A request as `(action and resource, needed, verdict)`.
type Verdict = (String, bool, String);

/// `(destination, works, requests)`: the needed requests and the probes that are not
/// denied.
fn verdicts(report: &Value) -> Vec<(String, bool, Vec<Verdict>)> {
    report["destinations"]
        .as_object()
        .expect("destinations")
        .iter()
        .map(|(name, d)| {
            let requests = d["requests"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| r["needed"] == true || r["verdict"] != "denied")
                .map(|r| {
                    (
                        format!(
                            "{} {}",
                            r["action"].as_str().unwrap(),
                            r["resource"].as_str().unwrap()
                        ),
                        r["needed"] == true,
                        r["verdict"].as_str().unwrap().to_owned(),
                    )
                })
                .collect();
            (name.clone(), d["works"] == true, requests)
        })
        .collect()
}

#[test]
fn every_plan_and_access_show_who_can_do_what() {
    let moto = moto();
    let aws = aws(&moto);
    seed(&aws);
    let w = Workdir::new(SPEC);

    // Before apply: nothing of s3dest's is there.
    let before = w.run(&moto, &["access"]).expect(1);
    insta::assert_snapshot!("before_apply", before.stdout);

    // The plan: a public statement, uploads that a foreign Deny might block (the
    // vendors do not document an encryption header), the whole-bucket grant of Braze.
    // Warnings and information only: it can be applied.
    let findings = plan_findings(&w, &moto, 0);
    insta::assert_json_snapshot!("plan_findings", findings);
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);

    // After apply: the TLS Deny never applies to a vendor (every vendor uses TLS), and
    // Segment's role may use the bucket's key; Pendo's uploads might be denied.
    let after = support::run_read_only(&w, &moto, &["access", "--format", "json"], 1);
    let report: Value = serde_json::from_str(&after.stdout).expect("a JSON report");
    assert_eq!(report["format_version"], "1");
    insta::assert_debug_snapshot!("after_apply_verdicts", verdicts(&report));
    insta::assert_json_snapshot!("after_apply_findings", report["findings"]);
    let text = w.run(&moto, &["access"]).expect(1);
    insta::assert_snapshot!("after_apply_text", text.stdout);

    // Without Pendo, every vendor can do what it needs: exit 0.
    w.write_spec(&without_pendo());
    let fine = w.run(&moto, &["access", "--format", "json"]).expect(0);
    let fine: Value = serde_json::from_str(&fine.stdout).expect("a JSON report");
    assert_eq!(fine["works"], true);
    let assume: Vec<(String, String)> = fine["destinations"]["currents"]["assume"]
        .as_array()
        .expect("assume checks")
        .iter()
        .map(|a| {
            (
                a["external_id"].as_str().unwrap().to_owned(),
                a["verdict"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        assume,
        [
            ("right".to_owned(), "allowed".to_owned()),
            ("wrong".to_owned(), "denied".to_owned()),
            ("none".to_owned(), "denied".to_owned()),
        ]
    );
}

#[test]
fn a_trust_or_policy_changed_by_hand_is_drift_and_the_repair_converges() {
    let moto = moto();
    let aws = aws(&moto);
    seed(&aws);
    let w = Workdir::new(&without_pendo());
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    w.run(&moto, &["access"]).expect(0);

    aws.update_trust(
        "s3dest-currents",
        &json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::987654321098:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "someone-elses-id"}}}]}),
    );
    // Braze, with the spec's external ID, is refused now.
    let access = w.run(&moto, &["access", "--format", "json"]).expect(1);
    let report: Value = serde_json::from_str(&access.stdout).expect("a JSON report");
    let errors: Vec<&Value> = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["severity"] == "error")
        .collect();
    insta::assert_json_snapshot!("locked_out", errors);

    // The plan calls it drift, in every format, and its repair no widening.
    let findings = plan_findings(&w, &moto, 0);
    let on_role: Vec<&Value> = findings
        .iter()
        .filter(|f| f["address"] == "destination.currents.role")
        .collect();
    insta::assert_json_snapshot!("drift", on_role);
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    w.run(&moto, &["access"]).expect(0);
    let plan = w.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);
    assert!(plan.stdout.starts_with("No changes."), "{}", plan.stdout);

    // The inline policy widened by hand: drift too, and the repair narrows it.
    aws.put_role_policy(
        "s3dest-currents",
        "s3dest",
        &json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
    );
    let findings = plan_findings(&w, &moto, 0);
    let on_policy: Vec<&Value> = findings
        .iter()
        .filter(|f| f["address"] == "destination.currents.role_policy")
        .collect();
    insta::assert_json_snapshot!("policy_drift", on_policy);
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    w.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);
}
