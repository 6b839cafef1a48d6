//! Buckets a vendor cannot work with, against moto: Braze on an SSE-KMS bucket and Braze
//! Currents on an Object Lock bucket are `unsupported` error findings in every output;
//! the plan exits 1 and apply changes nothing.

mod support;

use serde_json::Value;
use support::{Workdir, aws, moto};

const BUCKET: &str = "acme-braze";

const SPEC: &str = "version: 1\nname: acme\nbuckets:\n  acme-braze: {}\ndestinations:\n  currents:\n    vendor: braze-currents\n    bucket: acme-braze\n    principal: \"987654321098\"\n    external_id: braze-ext-42\n";

#[test]
fn braze_on_an_sse_kms_bucket_is_an_error_and_nothing_is_made() {
    let moto = moto();
    let aws = aws(&moto);
    aws.create_bucket(BUCKET);
    aws.put_bucket_kms_encryption(
        BUCKET,
        "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    );
    let w = Workdir::new(SPEC);
    let json = w.run(&moto, &["plan", "--format", "json"]).expect(1);
    let plan: Value = serde_json::from_str(&json.stdout).expect("the plan is printed");
    insta::assert_json_snapshot!("braze_kms_findings", plan["findings"]);
    let text = w.run(&moto, &["plan"]).expect(1);
    let errors: Vec<&str> = text
        .stdout
        .lines()
        .filter(|l| l.starts_with("error"))
        .collect();
    insta::assert_snapshot!("braze_kms_text", errors.join("\n"));
    let markdown = w.run(&moto, &["plan", "--format", "markdown"]).expect(1);
    assert_eq!(
        markdown.stdout.matches("(unsupported)").count(),
        1,
        "{}",
        markdown.stdout
    );

    let apply = w.run(&moto, &["apply", "--auto-approve"]).expect(1);
    assert_eq!(
        apply.stderr,
        "error: the plan has errors; nothing was changed\n"
    );
    assert!(!aws.role_exists("s3dest-currents"));
    assert!(!aws.object_exists(BUCKET, "currents/"));
}

#[test]
fn braze_currents_on_an_object_lock_bucket_is_an_error() {
    let moto = moto();
    let aws = aws(&moto);
    let create = aws
        .s3
        .create_bucket()
        .bucket(BUCKET)
        .object_lock_enabled_for_bucket(true);
    aws.rt.block_on(create.send()).unwrap();
    let w = Workdir::new(SPEC);
    let json = w.run(&moto, &["plan", "--format", "json"]).expect(1);
    let plan: Value = serde_json::from_str(&json.stdout).expect("the plan is printed");
    insta::assert_json_snapshot!("braze_object_lock_findings", plan["findings"]);
    w.run(&moto, &["apply", "--auto-approve"]).expect(1);
    assert!(!aws.role_exists("s3dest-currents"));
}
