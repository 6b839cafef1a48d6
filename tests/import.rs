//! `s3dest import` end to end against moto through the fidelity layer: setups made by
//! hand with the guides' literal policies, next to a foreign role and a foreign
//! statement; `import` makes no write call, its spec validates, and a plan of it applies
//! and converges, the foreign things unchanged.

mod support;

use serde_json::{Value, json};
use support::{Workdir, aws, moto};

const BUCKET: &str = "acme-exports";

fn trust(principal: &str, external_id: Option<&str>) -> Value {
    let mut statement = json!({"Effect": "Allow", "Principal": {"AWS": principal},
                               "Action": "sts:AssumeRole"});
    if let Some(id) = external_id {
        statement["Condition"] = json!({"StringEquals": {"sts:ExternalId": id}});
    }
    json!({"Version": "2012-10-17", "Statement": [statement]})
}

/// WalkMe, Braze Currents, Pendo and Cloudflare as their guides make them, a CloudTrail
/// statement and an unrelated role of the account's.
fn seed(aws: &support::Aws) -> Value {
    aws.create_bucket(BUCKET);
    aws.create_role_trusting(
        "walkme-s3",
        "/",
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": ["arn:aws:iam::584278441476:role/walkme-s3-integrations-prod",
                                  "arn:aws:iam::584278441476:role/walkme-s3-integrations-eu-prod"]},
            "Action": "sts:AssumeRole"}]}),
    );
    aws.put_role_policy(
        "walkme-s3",
        "WalkMePolicy",
        &json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "AllowWalkMeRole0", "Effect": "Allow", "Action": "s3:ListBucket",
             "Resource": format!("arn:aws:s3:::{BUCKET}/")},
            {"Sid": "AllowWalkMeRole1", "Effect": "Allow",
             "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
             "Resource": format!("arn:aws:s3:::{BUCKET}/walkme/*")}]}),
    );
    aws.create_role_trusting(
        "BrazeCurrents",
        "/",
        &trust("arn:aws:iam::987654321098:root", Some("braze-ext-42")),
    );
    aws.put_role_policy(
        "BrazeCurrents",
        "BrazeCurrentsPolicy",
        &json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
             "Resource": [format!("arn:aws:s3:::{BUCKET}")]},
            {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"],
             "Resource": [format!("arn:aws:s3:::{BUCKET}/currents/*")]}]}),
    );
    aws.create_role_trusting(
        "pendo_datasync",
        "/",
        &trust(
            "arn:aws:iam::999999999999:user/pendo-sync",
            Some("6f1b2c9d-pendo"),
        ),
    );
    aws.create_role_trusting(
        "ops-admin",
        "/",
        &trust("arn:aws:iam::123456789012:root", None),
    );
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Statement1", "Effect": "Allow",
         "Principal": {"AWS": "arn:aws:iam::123456789012:role/pendo_datasync"},
         "Action": "s3:PutObject",
         "Resource": [format!("arn:aws:s3:::{BUCKET}/pendo/*")]},
        {"Sid": "Stmt1506627150918", "Action": ["s3:PutObject"], "Effect": "Allow",
         "Resource": format!("arn:aws:s3:::{BUCKET}/logs/*"),
         "Principal": {"AWS": ["arn:aws:iam::391854517948:user/cloudflare-logpush"]}},
        {"Sid": "AllowCloudTrailLogs", "Effect": "Allow",
         "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject",
         "Resource": format!("arn:aws:s3:::{BUCKET}/AWSLogs/*")}]});
    aws.put_bucket_policy(BUCKET, &policy);
    policy
}

#[test]
fn import_reads_only_and_its_spec_validates_plans_and_converges() {
    let moto = moto();
    let aws = aws(&moto);
    seed(&aws);
    let w = Workdir::new("");
    let args = ["import", "--name", "acme", "--bucket", BUCKET];
    let imported = support::run_read_only(&w, &moto, &args, 0);
    insta::assert_snapshot!("imported", imported.stdout);
    assert_eq!(
        imported.stderr,
        "Found 4 destination(s) in account 123456789012. Save the spec, then run `s3dest plan` on it.\n"
    );

    w.write_spec(&imported.stdout);
    w.run(&moto, &["validate"]).expect(0);
    w.run(&moto, &["plan"]).expect(0);
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    let again = w.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);
    assert!(again.stdout.starts_with("No changes."), "{}", again.stdout);
    // The foreign statement and role are as they were.
    let policy = aws.bucket_policy(BUCKET).expect("a bucket policy");
    let cloudtrail: Vec<&Value> = policy["Statement"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["Sid"] == "AllowCloudTrailLogs")
        .collect();
    assert_eq!(cloudtrail.len(), 1);
    assert!(aws.role_exists("ops-admin"));
}

#[test]
fn a_bad_name_or_bucket_is_refused_before_any_aws_call() {
    let moto = moto();
    let w = Workdir::new("");
    moto.start_recording();
    let bad_name = w
        .run(&moto, &["import", "--name", "acme exports"])
        .expect(1);
    let bad_bucket = w
        .run(&moto, &["import", "--bucket", "Not_A_Bucket"])
        .expect(1);
    moto.stop_recording();
    assert_eq!(moto.recorded_calls().len(), 0);
    insta::assert_snapshot!(
        "refused",
        format!("{}{}", bad_name.stderr, bad_bucket.stderr)
    );
}

/// A guide's snippet (`crates/s3dest-core/tests/guides/`) with its placeholders filled.
fn guide(file: &str) -> Value {
    serde_json::from_str(&s3dest_testkit::guide_snippet(file, BUCKET))
        .unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// A role to make: its name, its trust, and the inline policy the guide gives it.
type HandRole = (&'static str, Value, Option<(&'static str, Value)>);

#[test]
fn every_vendors_guide_setup_imports_plans_only_the_fixes_and_converges() {
    let moto = moto();
    let aws = aws(&moto);
    aws.create_bucket(BUCKET);
    let braze = trust("arn:aws:iam::987654321098:root", Some("braze-ext-42"));
    let roles: [HandRole; 9] = [
        (
            "walkme-s3",
            guide("walkme-trust-current.json"),
            Some(("WalkMePolicy", guide("walkme-policy.json"))),
        ),
        (
            "BrazeCurrents",
            braze.clone(),
            Some(("BrazeCurrentsPolicy", guide("braze-currents-role.json"))),
        ),
        (
            "BrazeSecurity",
            braze,
            Some(("BrazeSecurityPolicy", guide("braze-security-role.json"))),
        ),
        (
            "pendo_datasync",
            trust(
                "arn:aws:iam::999999999999:user/pendo-sync",
                Some("6f1b2c9d-pendo"),
            ),
            None,
        ),
        (
            "segment-s3",
            guide("segment-trust.json"),
            Some(("SegmentPolicy", guide("segment-policy.json"))),
        ),
        (
            "mixpanel-export",
            guide("mixpanel-trust.json"),
            Some(("MixpanelPolicy", guide("mixpanel-policy.json"))),
        ),
        (
            "DatadogIntegrationRole",
            trust(
                "arn:aws:iam::464622532012:root",
                Some("datadog-generated-id"),
            ),
            Some(("DatadogLogArchives", guide("datadog-policy.json"))),
        ),
        (
            "partner-exporter",
            trust("arn:aws:iam::111122223333:role/exporter", Some("xyz-123")),
            Some((
                "PartnerPolicy",
                json!({"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"],
                     "Resource": format!("arn:aws:s3:::{BUCKET}/partner/*")}]}),
            )),
        ),
        (
            "ops-admin",
            trust("arn:aws:iam::123456789012:root", None),
            None,
        ),
    ];
    for (name, trust, policy) in &roles {
        aws.create_role_trusting(name, "/", trust);
        if let Some((policy_name, document)) = policy {
            aws.put_role_policy(name, policy_name, document);
        }
    }
    let mut policy = guide("pendo-bucket-policy.json");
    let mut statements = policy["Statement"].as_array().cloned().unwrap_or_default();
    statements.extend(
        guide("cloudflare-bucket-policy.json")["Statement"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
    );
    statements.push(json!({"Sid": "AllowCloudTrailLogs", "Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject",
        "Resource": format!("arn:aws:s3:::{BUCKET}/AWSLogs/*")}));
    policy["Statement"] = Value::Array(statements);
    aws.put_bucket_policy(BUCKET, &policy);
    let cloudtrail_before = aws.bucket_policy(BUCKET).expect("a policy")["Statement"][2].clone();

    let w = Workdir::new("");
    let imported = w
        .run(&moto, &["import", "--name", "acme", "--bucket", BUCKET])
        .expect(0);
    insta::assert_snapshot!("every_vendor_imported", imported.stdout);
    w.write_spec(&imported.stdout);
    w.run(&moto, &["validate"]).expect(0);
    // Only the guides' fixes and the takeovers, each with its reason.
    let plan = w.run(&moto, &["plan"]).expect(0);
    insta::assert_snapshot!("every_vendor_plan", plan.stdout);
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    let again = w.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);
    assert!(again.stdout.starts_with("No changes."), "{}", again.stdout);
    let after = aws.bucket_policy(BUCKET).expect("a policy");
    let cloudtrail: Vec<&Value> = after["Statement"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["Sid"] == "AllowCloudTrailLogs")
        .collect();
    assert_eq!(cloudtrail, [&cloudtrail_before]);
    assert!(aws.role_exists("ops-admin"));
}
