//! What a vendor needs of its bucket as read, against moto through the fidelity layer:
//! Segment's `kms:` grant on the bucket's customer managed key; and buckets a vendor
//! cannot work with (Braze on SSE-KMS, Braze Currents with Object Lock), `unsupported`
//! error findings in every output, with which the plan exits 1 and apply changes nothing.

mod support;

use serde_json::Value;
use support::{Workdir, aws, moto, stopped_plan};

const BUCKET: &str = "acme-braze";

const SPEC: &str = "version: 1\nname: acme\nbuckets:\n  acme-braze: {}\ndestinations:\n  currents:\n    vendor: braze-currents\n    bucket: acme-braze\n    principal: \"987654321098\"\n    external_id: braze-ext-42\n";

#[test]
fn braze_on_an_sse_kms_bucket_is_an_error_and_nothing_is_made() {
    let moto = moto();
    let aws = aws(&moto);
    aws.create_bucket(BUCKET);
    aws.put_bucket_kms_encryption(BUCKET, KEY);
    let w = Workdir::new(SPEC);
    let (findings, errors) = stopped_plan(&w, &moto, "unsupported");
    insta::assert_json_snapshot!("braze_kms_findings", findings);
    insta::assert_snapshot!("braze_kms_text", errors);
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
    let (findings, _) = stopped_plan(&w, &moto, "unsupported");
    insta::assert_json_snapshot!("braze_object_lock_findings", findings);
    assert!(!aws.role_exists("s3dest-currents"));
}

const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

#[test]
fn segment_on_a_customer_key_bucket_is_granted_the_key_and_converges() {
    let moto = moto();
    let aws = aws(&moto);
    aws.create_bucket("acme-segment");
    aws.put_bucket_kms_encryption("acme-segment", KEY);
    let w = Workdir::new(
        "version: 1\nname: acme\nbuckets:\n  acme-segment: {}\ndestinations:\n  segment:\n    vendor: segment\n    bucket: acme-segment\n    external_id: ws-8f2a\n",
    );
    let plan = w.run(&moto, &["plan", "--format", "json"]).expect(0);
    let plan: Value = serde_json::from_str(&plan.stdout).expect("a JSON plan");
    let policy = plan["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["address"] == "destination.segment.role_policy")
        .map(|c| c["after"]["policy"].clone())
        .expect("the role's policy");
    insta::assert_json_snapshot!("segment_kms_policy", policy);
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    w.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);

    // The bucket moves to SSE-S3: the grant on the key goes.
    let put = aws
        .s3
        .put_bucket_encryption()
        .bucket("acme-segment")
        .server_side_encryption_configuration(
            aws_sdk_s3::types::ServerSideEncryptionConfiguration::builder()
                .rules(
                    aws_sdk_s3::types::ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(
                            aws_sdk_s3::types::ServerSideEncryptionByDefault::builder()
                                .sse_algorithm(aws_sdk_s3::types::ServerSideEncryption::Aes256)
                                .build()
                                .unwrap(),
                        )
                        .build(),
                )
                .build()
                .unwrap(),
        );
    aws.rt.block_on(put.send()).unwrap();
    let moved = w.run(&moto, &["plan", "--detailed-exitcode"]).expect(2);
    insta::assert_snapshot!("segment_kms_to_sse_s3", moved.stdout);
}
