//! A foreign bucket-policy statement that blocks a vendor, against moto through the
//! fidelity layer: the plan names the statement in a `vendor-blocked` error finding in
//! every format and exits 1, and apply makes nothing.

mod support;

use serde_json::json;
use support::{Workdir, aws, moto, stopped_plan};

const BUCKET: &str = "acme-vendor-exports";

#[test]
fn a_foreign_deny_on_the_vendors_folder_stops_the_plan() {
    let moto = moto();
    let aws = aws(&moto);
    aws.create_bucket(BUCKET);
    let foreign = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [format!("arn:aws:s3:::{BUCKET}"), format!("arn:aws:s3:::{BUCKET}/*")],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "NoDeletesUnderExports", "Effect": "Deny", "Principal": "*",
         "Action": "s3:DeleteObject", "Resource": format!("arn:aws:s3:::{BUCKET}/exports/*")}]});
    aws.put_bucket_policy(BUCKET, &foreign);
    let w = Workdir::new(&format!(
        "version: 1\nname: acme\nbuckets:\n  {BUCKET}: {{}}\ndestinations:\n  walkme:\n    vendor: walkme\n    bucket: {BUCKET}\n    folder: exports/walkme\n"
    ));
    let (blocked, errors) = stopped_plan(&w, &moto, "vendor-blocked");
    insta::assert_json_snapshot!("walkme_blocked", blocked);
    insta::assert_snapshot!("walkme_blocked_text", errors);
    assert!(!aws.role_exists("s3dest-walkme"));
    assert_eq!(aws.bucket_policy(BUCKET), Some(foreign));
}
