//! The catalogue's newer vendors end to end against moto (through the fidelity layer):
//! Segment, Mixpanel and Cloudflare Logpush each validated, planned (snapshot), applied,
//! planned again with no changes, and their `outputs` in the words of each vendor's UI
//! (text and JSON snapshots); Cloudflare's one statement among foreign ones; WalkMe's
//! current roles by default and the earlier guide's with `trust: legacy`.
//!
//! Datadog Log Archives is not here: the planner does not write a policy onto an existing
//! role yet (its preset is tested in `s3dest-core`).

mod support;

use serde_json::{Value, json};
use support::{Workdir, aws, moto};

const BUCKET: &str = "acme-vendor-exports";

fn spec(destinations: &str) -> String {
    format!(
        "version: 1\nname: acme\naccount: \"123456789012\"\nbuckets:\n  {BUCKET}: {{ region: us-east-1 }}\ndestinations:\n{destinations}"
    )
}

/// Everything one vendor's setup shows: validate, the plan, the empty re-plan, and the
/// outputs, as one report for a snapshot.
struct Converged {
    moto: s3dest_moto::MotoGuard,
    w: Workdir,
    plan: String,
    outputs_text: String,
    outputs_json: Value,
}

/// From an account holding only the bucket (and, when given, a bucket policy of
/// someone else's): validate, plan, apply, plan again (no changes), outputs.
fn converge(destinations: &str, foreign_policy: Option<&Value>) -> Converged {
    let moto = moto();
    let aws = aws(&moto);
    aws.create_bucket(BUCKET);
    if let Some(policy) = foreign_policy {
        aws.put_bucket_policy(BUCKET, policy);
    }
    let w = Workdir::new(&spec(destinations));
    let validate = w.run_offline(&["validate"]).expect(0);
    assert!(validate.stderr.is_empty(), "{}", validate.stderr);
    let plan = w.run(&moto, &["plan", "--detailed-exitcode"]).expect(2);
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    let again = w.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);
    assert!(again.stdout.contains("No changes"), "{}", again.stdout);
    let outputs_text = w.run(&moto, &["outputs"]).expect(0).stdout;
    let outputs_json = w.run(&moto, &["outputs", "--format", "json"]).expect(0);
    let outputs_json = serde_json::from_str(&outputs_json.stdout).unwrap();
    Converged {
        moto,
        w,
        plan: plan.stdout,
        outputs_text,
        outputs_json,
    }
}

/// The role's inline policies and trust, as moto holds them.
fn role(aws: &support::Aws, name: &str) -> (Value, Vec<(String, Value)>) {
    let role = aws
        .rt
        .block_on(aws.iam.get_role().role_name(name).send())
        .unwrap();
    let decode = |text: &str| -> Value {
        let decoded = percent_decode(text);
        serde_json::from_str(&decoded).unwrap()
    };
    let trust = decode(role.role().unwrap().assume_role_policy_document().unwrap());
    let names = aws
        .rt
        .block_on(aws.iam.list_role_policies().role_name(name).send())
        .unwrap();
    let policies = names
        .policy_names()
        .iter()
        .map(|policy| {
            let out = aws
                .rt
                .block_on(
                    aws.iam
                        .get_role_policy()
                        .role_name(name)
                        .policy_name(policy)
                        .send(),
                )
                .unwrap();
            (policy.clone(), decode(out.policy_document()))
        })
        .collect();
    (trust, policies)
}

/// A policy field that is one string or a list of them, as a sorted list.
fn strings(value: &Value) -> Vec<String> {
    let mut list: Vec<String> = match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a.iter().map(|v| v.as_str().unwrap().to_owned()).collect(),
        other => panic!("not a string or a list of strings: {other}"),
    };
    list.sort();
    list
}

/// IAM's documents come percent-encoded (RFC 3986), as the fidelity layer sends them.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// Two Segment workspaces: one with a prefix in Segment's bucket field, one without.
const SEGMENT: &str = "  segment:\n    vendor: segment\n    bucket: acme-vendor-exports\n    folder: raw\n    external_id: ws-7f3a9\n  \
                       segment-eu:\n    vendor: segment\n    bucket: acme-vendor-exports\n    external_id: ws-eu-19c2\n";

#[test]
fn segment_converges_and_outputs_what_segments_form_asks() {
    let c = converge(SEGMENT, None);
    insta::assert_snapshot!("segment_plan", c.plan);
    insta::assert_snapshot!("segment_outputs", c.outputs_text);
    insta::assert_json_snapshot!("segment_outputs_json", c.outputs_json);
    let aws = aws(&c.moto);
    let (trust, policies) = role(&aws, "s3dest-segment");
    assert_eq!(
        strings(&trust["Statement"][0]["Principal"]["AWS"]),
        ["arn:aws:iam::595280932656:role/segment-s3-integration-production-access"],
        "{trust:#}"
    );
    assert_eq!(
        strings(&trust["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"]),
        ["ws-7f3a9"]
    );
    // The guide's one statement, under the prefix, and no lock guard (it does not reach
    // the lock key).
    assert_eq!(policies.len(), 1, "{policies:?}");
    let statements = policies[0].1["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 1, "{policies:?}");
    assert_eq!(statements[0]["Sid"], "PutObjectsInBucket");
    assert_eq!(
        strings(&statements[0]["Resource"]),
        ["arn:aws:s3:::acme-vendor-exports/raw/segment-logs/*"],
        "{policies:?}"
    );
    // The folder Segment writes: under the prefix typed into its bucket field, or at the
    // top without one.
    assert!(aws.object_exists(BUCKET, "raw/segment-logs/"));
    assert!(aws.object_exists(BUCKET, "segment-logs/"));
    let (_, policies) = role(&aws, "s3dest-segment-eu");
    assert_eq!(
        strings(&policies[0].1["Statement"][0]["Resource"]),
        ["arn:aws:s3:::acme-vendor-exports/segment-logs/*"]
    );
    // No bucket policy: the grant is on the role.
    assert_eq!(aws.bucket_policy(BUCKET), None);
}

const MIXPANEL: &str = "  mixpanel:\n    vendor: mixpanel\n    bucket: acme-vendor-exports\n    external_id: 3f9c2e7a41b8d6f0\n";

#[test]
fn mixpanel_converges_without_a_folder_and_outputs_what_mixpanels_form_asks() {
    let c = converge(MIXPANEL, None);
    insta::assert_snapshot!("mixpanel_plan", c.plan);
    insta::assert_snapshot!("mixpanel_outputs", c.outputs_text);
    insta::assert_json_snapshot!("mixpanel_outputs_json", c.outputs_json);
    let aws = aws(&c.moto);
    let (trust, policies) = role(&aws, "s3dest-mixpanel");
    assert_eq!(
        strings(&trust["Statement"][0]["Principal"]["AWS"]),
        ["arn:aws:iam::485438090326:user/mixpanel-export"],
        "{trust:#}"
    );
    assert_eq!(
        strings(&trust["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"]),
        ["3f9c2e7a41b8d6f0"]
    );
    let statements = policies[0].1["Statement"].as_array().unwrap().clone();
    // Bucket actions on the bucket, object actions on its objects, and the lock guard.
    assert_eq!(statements.len(), 3, "{statements:#?}");
    // Mixpanel names no folder: no marker object, nothing in the bucket at all.
    let listed = aws
        .rt
        .block_on(aws.s3.list_objects_v2().bucket(BUCKET).send())
        .unwrap();
    assert_eq!(listed.key_count(), Some(0), "{listed:?}");
}

const CLOUDFLARE: &str = "  logpush:\n    vendor: cloudflare-logpush\n    bucket: acme-vendor-exports\n    folder: logs/http_requests\n";

/// Someone else's statements in the bucket policy: a Deny for everyone (kept by the
/// fidelity layer, which evaluates it) and an Allow for another account.
fn foreign_statements() -> Vec<Value> {
    vec![
        json!({"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [format!("arn:aws:s3:::{BUCKET}"), format!("arn:aws:s3:::{BUCKET}/*")], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
        json!({"Sid": "AnalyticsRead", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:role/analytics"}, "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{BUCKET}/reports/*")}),
    ]
}

#[test]
fn cloudflare_converges_to_one_statement_among_foreign_ones() {
    let foreign = foreign_statements();
    let c = converge(
        CLOUDFLARE,
        Some(&json!({"Version": "2012-10-17", "Statement": foreign.clone()})),
    );
    insta::assert_snapshot!("cloudflare_plan", c.plan);
    insta::assert_snapshot!("cloudflare_outputs", c.outputs_text);
    insta::assert_json_snapshot!("cloudflare_outputs_json", c.outputs_json);
    let aws = aws(&c.moto);
    // No role, no user: Cloudflare's own user writes.
    assert_eq!(aws.role_names(), Vec::<String>::new());
    let policy = aws.bucket_policy(BUCKET).unwrap();
    let statements = policy["Statement"].as_array().unwrap();
    let (ours, theirs): (Vec<&Value>, Vec<&Value>) = statements
        .iter()
        .partition(|s| s["Sid"].as_str().unwrap().starts_with("S3dest"));
    // The foreign statements exactly as written, and exactly one of s3dest's.
    assert_eq!(theirs.len(), 2, "{policy:#}");
    for statement in &foreign {
        assert!(statements.contains(statement), "{policy:#}");
    }
    assert_eq!(ours.len(), 1, "{policy:#}");
    assert_eq!(
        strings(&ours[0]["Principal"]["AWS"]),
        ["arn:aws:iam::391854517948:user/cloudflare-logpush"]
    );
    assert_eq!(strings(&ours[0]["Action"]), ["s3:PutObject"]);
    assert_eq!(
        strings(&ours[0]["Resource"]),
        ["arn:aws:s3:::acme-vendor-exports/logs/http_requests/*"]
    );
    // No folder marker: no role or user of s3dest's remembers the folder for prune.
    assert!(!aws.object_exists(BUCKET, "logs/http_requests/"));

    // Removed from the spec, only s3dest's statement goes.
    c.w.write_spec(&spec(""));
    c.w.run(&c.moto, &["apply", "--auto-approve"]).expect(0);
    let policy = aws.bucket_policy(BUCKET).unwrap();
    assert_eq!(policy["Statement"], json!(foreign));
    c.w.run(&c.moto, &["plan", "--detailed-exitcode"]).expect(0);
}

const WALKME_CURRENT: [&str; 2] = [
    "arn:aws:iam::584278441476:role/walkme-s3-integrations-eu-prod",
    "arn:aws:iam::584278441476:role/walkme-s3-integrations-prod",
];
const WALKME_LEGACY: [&str; 4] = [
    "arn:aws:iam::758936404074:role/chatbot-asg-prodeu",
    "arn:aws:iam::758936404074:role/integrateme-ecs-instance-production",
    "arn:aws:iam::758936404074:role/rundeck-worker",
    "arn:aws:iam::758936404074:role/rundeck-worker-eu",
];

fn trusted(aws: &support::Aws, role_name: &str) -> Vec<String> {
    let (trust, _) = role(aws, role_name);
    strings(&trust["Statement"][0]["Principal"]["AWS"])
}

/// WalkMe's current two roles by default; `trust: legacy` keeps a setup made from the
/// earlier guide's four; switching between them is one trust update, and converges.
#[test]
fn walkme_trusts_its_current_roles_by_default_and_the_earlier_ones_with_trust_legacy() {
    let moto = moto();
    let aws = aws(&moto);
    aws.create_bucket(BUCKET);
    let destinations = "  current:\n    vendor: walkme\n    bucket: acme-vendor-exports\n    folder: walkme/current\n  \
                        legacy:\n    vendor: walkme\n    bucket: acme-vendor-exports\n    folder: walkme/legacy\n    trust: legacy\n";
    let w = Workdir::new(&spec(destinations));
    w.run_offline(&["validate"]).expect(0);
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    w.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);
    assert_eq!(trusted(&aws, "s3dest-current"), WALKME_CURRENT);
    assert_eq!(trusted(&aws, "s3dest-legacy"), WALKME_LEGACY);

    // The legacy setup moves to the current roles: its trust, and nothing else, changes.
    w.write_spec(&spec(&destinations.replace("    trust: legacy\n", "")));
    let plan = w.run(&moto, &["plan", "--format", "json"]).expect(0);
    let plan: Value = serde_json::from_str(&plan.stdout).unwrap();
    let changes: Vec<(&str, &str)> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["address"].as_str().unwrap(),
                c["action"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(changes, [("destination.legacy.role", "update")], "{plan:#}");
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    w.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);
    assert_eq!(trusted(&aws, "s3dest-legacy"), WALKME_CURRENT);
}
