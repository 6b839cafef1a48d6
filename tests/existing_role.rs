//! `datadog-log-archives` end to end against moto: s3dest adds one inline policy to the
//! customer's existing Datadog integration role and changes nothing else of it: not its
//! trust, not its tags, not its other policies; removing the destination removes exactly
//! that policy; a missing role is an error with a hint, before any write.

mod support;

use serde_json::json;
use support::{Aws, Workdir, aws, moto};

const BUCKET: &str = "acme-logs";
const ROLE: &str = "DatadogIntegrationRole";

fn spec(destinations: &str) -> String {
    format!("version: 1\nname: acme\nbuckets:\n  {BUCKET}: {{}}\ndestinations:\n{destinations}")
}

const ARCHIVES: &str = "  archives:\n    vendor: datadog-log-archives\n    bucket: acme-logs\n    folder: datadog/archives\n";

/// The role as Datadog's own integration setup leaves it.
fn integration_role(aws: &Aws) {
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::464622532012:root"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": "dd-generated-external-id"}}}]});
    let call = aws
        .iam
        .create_role()
        .role_name(ROLE)
        .assume_role_policy_document(trust.to_string())
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key("team")
                .value("observability")
                .build()
                .unwrap(),
        );
    aws.rt.block_on(call.send()).unwrap();
    let integration = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": ["cloudwatch:Get*", "ec2:Describe*"], "Resource": "*"}]});
    aws.put_role_policy(ROLE, "DatadogAWSIntegrationPolicy", &integration);
}

/// Everything of the role that s3dest must leave alone, and its inline policies' names.
fn role_state(aws: &Aws) -> (String, Vec<(String, String)>, Vec<String>) {
    let role = aws
        .rt
        .block_on(aws.iam.get_role().role_name(ROLE).send())
        .unwrap();
    let role = role.role().unwrap();
    let trust = role
        .assume_role_policy_document()
        .unwrap_or_default()
        .to_owned();
    let tags = role
        .tags()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect();
    let policies = aws
        .rt
        .block_on(aws.iam.list_role_policies().role_name(ROLE).send())
        .unwrap()
        .policy_names()
        .to_vec();
    (trust, tags, policies)
}

#[test]
fn datadog_adds_one_policy_to_the_existing_role_and_removes_exactly_it() {
    let moto = moto();
    let aws = aws(&moto);
    aws.create_bucket(BUCKET);
    integration_role(&aws);
    let (trust, tags, policies) = role_state(&aws);
    let w = Workdir::new(&spec(ARCHIVES));

    let plan = w.run(&moto, &["plan", "--detailed-exitcode"]).expect(2);
    insta::assert_snapshot!("datadog_plan", plan.stdout);
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    w.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);

    let (trust_now, tags_now, policies_now) = role_state(&aws);
    assert_eq!((trust_now, tags_now), (trust.clone(), tags.clone()));
    let ours = policies_now
        .iter()
        .find(|p| !policies.contains(p))
        .expect("s3dest's policy on the role")
        .clone();
    assert!(ours.starts_with("S3dest"), "{ours}");
    assert_eq!(policies_now.len(), policies.len() + 1);
    let document = aws
        .rt
        .block_on(
            aws.iam
                .get_role_policy()
                .role_name(ROLE)
                .policy_name(&ours)
                .send(),
        )
        .unwrap();
    let document = s3dest_policy_json(document.policy_document());
    assert_eq!(
        document,
        json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "DatadogRehydrateLogArchivesListBucket", "Effect": "Allow",
             "Action": ["s3:ListBucket"], "Resource": ["arn:aws:s3:::acme-logs"]},
            {"Sid": "DatadogUploadAndRehydrateLogArchives", "Effect": "Allow",
             "Action": ["s3:PutObject", "s3:GetObject"],
             "Resource": ["arn:aws:s3:::acme-logs/datadog/archives/*"]}]})
    );
    // No folder marker: no identity of s3dest's remembers it.
    assert!(!aws.object_exists(BUCKET, "datadog/archives/"));
    let outputs = w.run(&moto, &["outputs"]).expect(0);
    insta::assert_snapshot!("datadog_outputs", outputs.stdout);

    // On an SSE-KMS bucket, the statement the key's policy needs is shown, not written.
    aws.put_bucket_kms_encryption(
        BUCKET,
        "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    );
    let kms = w.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);
    insta::assert_snapshot!("datadog_kms_note", kms.stdout);

    w.write_spec(&spec("  {}\n"));
    let removal = w.run(&moto, &["plan", "--detailed-exitcode"]).expect(2);
    insta::assert_snapshot!("datadog_removal", removal.stdout);
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    assert_eq!(role_state(&aws), (trust, tags, policies));
}

#[test]
fn a_missing_integration_role_is_an_error_and_nothing_is_written() {
    let moto = moto();
    aws(&moto).create_bucket(BUCKET);
    let w = Workdir::new(&spec(ARCHIVES));
    let plan = w.run(&moto, &["plan"]).expect(1);
    insta::assert_snapshot!("datadog_missing_role", plan.stdout);
    let apply = w.run(&moto, &["apply", "--auto-approve"]).expect(1);
    assert_eq!(
        apply.stderr,
        "error: the plan has errors; nothing was changed\n"
    );
    assert!(!aws(&moto).role_exists(ROLE));
}

/// IAM hands policy documents back percent-encoded.
fn s3dest_policy_json(document: &str) -> serde_json::Value {
    let decoded = percent_encoding::percent_decode_str(document).decode_utf8_lossy();
    serde_json::from_str(&decoded).expect("a policy document")
}
