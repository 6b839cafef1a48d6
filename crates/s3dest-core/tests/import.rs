//! `s3dest import` on the pure core: every catalogue vendor's setup made by hand with
//! its guide's literal policies (the snippets of `tests/guides/`), next to foreign
//! roles, users and statements, recognised into a spec that validates. Whole-output
//! snapshots.

use std::collections::{BTreeMap, BTreeSet};

use s3dest_core::import;
use s3dest_core::model::{BucketInfo, Observed, ObservedBucket, ObservedRole, ObservedUser};
use s3dest_policy::PolicyDocument;

const ACCOUNT: &str = "123456789012";
const BUCKET: &str = "acme-exports";

/// A guide's snippet with its placeholders filled for `BUCKET`.
fn guide(file: &str) -> PolicyDocument {
    PolicyDocument::parse(&s3dest_testkit::guide_snippet(file, BUCKET))
        .unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn document(json: serde_json::Value) -> PolicyDocument {
    PolicyDocument::from_value(&json).expect("a policy")
}

/// A role trusted by `principal` (with an external ID when given).
fn trust(principal: &str, external_id: Option<&str>) -> PolicyDocument {
    s3dest_testkit::trust_policy(principal, external_id)
}

fn role(name: &str, trust: PolicyDocument, policies: &[(&str, PolicyDocument)]) -> ObservedRole {
    s3dest_testkit::hand_role(ACCOUNT, name, trust, policies)
}

/// Every catalogue vendor's setup, as its guide has it, and foreign things around them.
fn account() -> Observed {
    let mut world = Observed {
        account_id: ACCOUNT.into(),
        ..Observed::default()
    };
    let roles = [
        role(
            "walkme-s3",
            guide("walkme-trust-current.json"),
            &[("WalkMePolicy", guide("walkme-policy.json"))],
        ),
        role(
            "BrazeCurrents",
            trust("arn:aws:iam::987654321098:root", Some("braze-ext-42")),
            &[("BrazeCurrentsPolicy", guide("braze-currents-role.json"))],
        ),
        role(
            "BrazeExport",
            trust("arn:aws:iam::987654321098:root", Some("braze-ext-42")),
            &[("BrazeExportPolicy", guide("braze-export-role.json"))],
        ),
        role(
            "pendo_datasync",
            trust(
                "arn:aws:iam::999999999999:user/pendo-sync",
                Some("6f1b2c9d-pendo"),
            ),
            &[],
        ),
        role(
            "segment-s3",
            guide("segment-trust.json"),
            &[("SegmentPolicy", guide("segment-policy.json"))],
        ),
        role(
            "mixpanel-export",
            guide("mixpanel-trust.json"),
            &[("MixpanelPolicy", guide("mixpanel-policy.json"))],
        ),
        role(
            "DatadogIntegrationRole",
            trust(
                "arn:aws:iam::464622532012:root",
                Some("datadog-generated-id"),
            ),
            &[("DatadogLogArchives", guide("datadog-policy.json"))],
        ),
        role(
            "partner-exporter",
            trust("arn:aws:iam::111122223333:role/exporter", Some("xyz-123")),
            &[(
                "PartnerPolicy",
                document(serde_json::json!({"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"],
                     "Resource": format!("arn:aws:s3:::{BUCKET}/partner/*")}]})),
            )],
        ),
        // Foreign: an EC2 instance role reading the bucket, and a role of this account's.
        role(
            "app-instance",
            document(serde_json::json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                 "Action": "sts:AssumeRole"}]})),
            &[(
                "ReadExports",
                document(serde_json::json!({"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": "s3:GetObject",
                     "Resource": format!("arn:aws:s3:::{BUCKET}/*")}]})),
            )],
        ),
        role(
            "ops-admin",
            trust(&format!("arn:aws:iam::{ACCOUNT}:root"), None),
            &[],
        ),
    ];
    for r in roles {
        world.roles.insert(r.name.clone(), r);
    }
    world.users.insert(
        "legacy-uploader".into(),
        ObservedUser {
            name: "legacy-uploader".into(),
            path: "/".into(),
            arn: format!("arn:aws:iam::{ACCOUNT}:user/legacy-uploader"),
            tags: BTreeMap::new(),
            inline_policies: BTreeMap::from([(
                "Upload".to_owned(),
                document(serde_json::json!({"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": "s3:PutObject",
                     "Resource": format!("arn:aws:s3:::{BUCKET}/legacy/*")}]})),
            )]),
            managed_policy_arns: Vec::new(),
            access_keys: Vec::new(),
        },
    );
    // The bucket policy: Pendo's and Cloudflare's statements, and a foreign one.
    let mut policy = guide("pendo-bucket-policy.json");
    policy
        .statements
        .extend(guide("cloudflare-bucket-policy.json").statements);
    policy.statements.extend(
        document(serde_json::json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "AllowCloudTrailLogs", "Effect": "Allow",
             "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject",
             "Resource": format!("arn:aws:s3:::{BUCKET}/AWSLogs/*")}]}))
        .statements,
    );
    world.buckets.insert(
        BUCKET.into(),
        ObservedBucket::Present(BucketInfo {
            region: "us-east-1".into(),
            policy: Some(policy),
            ..BucketInfo::default()
        }),
    );
    world
}

#[test]
fn every_vendors_hand_made_setup_is_recognised_into_a_spec_that_validates() {
    let world = account();
    let only = BTreeSet::new();
    assert_eq!(
        import::buckets_to_read(&world, &only),
        BTreeSet::from([BUCKET.to_owned()])
    );
    let imported = import::recognise("acme", &world, &only);
    let text = import::to_yaml(&imported);
    insta::assert_snapshot!("every_vendor", text);
    match s3dest_spec::parse("s3dest.yaml", &text) {
        Ok(_) => {}
        Err(d) => panic!(
            "{}",
            s3dest_spec::render_diagnostics("s3dest.yaml", &text, &d, false)
        ),
    }
}

#[test]
fn only_the_named_buckets_are_imported() {
    let world = account();
    let only = BTreeSet::from(["another-bucket".to_owned()]);
    let imported = import::recognise("acme", &world, &only);
    assert!(imported.destinations.is_empty());
    assert!(imported.possible_keys.is_empty());
    insta::assert_snapshot!("nothing_found", import::to_yaml(&imported));
}
