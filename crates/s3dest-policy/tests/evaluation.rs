//! The evaluator against AWS's documented examples, one table per topic: the IAM User
//! Guide's policy evaluation logic and element pages, and the S3 User Guide's bucket
//! policy examples. Each row is a request and the decision AWS documents for it.

use s3dest_policy::eval::keys;
use s3dest_policy::{
    Context, ContextValue, Decision, Labeled, Note, Outcome, PolicyDocument, Request,
    RequestPrincipal, StatementId, Uncertainty, Verdict, evaluate_assume_role,
    evaluate_cross_account, evaluate_same_account, evaluate_trust,
};
use serde_json::{Value, json};

use Decision::{Allowed, Denied, Unknown};

const CUSTOMER: &str = "111122223333";
const VENDOR: &str = "444455556666";
const BUCKET: &str = "arn:aws:s3:::amzn-s3-demo-bucket";
const OBJECT: &str = "arn:aws:s3:::amzn-s3-demo-bucket/exports/part-0.csv";
const VENDOR_ROLE: &str = "arn:aws:iam::444455556666:role/vendor-writer";

fn doc(v: Value) -> PolicyDocument {
    PolicyDocument::from_value(&v).unwrap_or_else(|e| panic!("{e}\n{v:#}"))
}

fn policy(statements: Value) -> PolicyDocument {
    doc(json!({"Version": "2012-10-17", "Statement": statements}))
}

fn vendor_session() -> RequestPrincipal {
    RequestPrincipal::role_session(VENDOR_ROLE, Some("export"))
}

/// A vendor's request (identity policies out of sight) on the customer's bucket.
fn cross(request: &Request, bucket: &PolicyDocument) -> Verdict {
    evaluate_cross_account(request, None, Some(Labeled::new("bucket policy", bucket)))
}

fn same(
    request: &Request,
    identity: &[&PolicyDocument],
    bucket: Option<&PolicyDocument>,
) -> Verdict {
    let identity: Vec<_> = identity
        .iter()
        .enumerate()
        .map(|(i, p)| Labeled::new(format!("identity policy {}", i + 1), *p))
        .collect();
    evaluate_same_account(
        request,
        &identity,
        bucket.map(|b| Labeled::new("bucket policy", b)),
    )
}

#[track_caller]
fn expect(name: &str, verdict: &Verdict, decision: Decision) {
    assert_eq!(verdict.decision, decision, "{name}: {verdict}");
}

/// A statement that allows the vendor role everything on the bucket: the `Deny`
/// under test decides.
fn allow_vendor() -> Value {
    json!({"Sid": "AllowVendor", "Effect": "Allow", "Principal": {"AWS": VENDOR_ROLE},
           "Action": "s3:*", "Resource": [BUCKET, format!("{BUCKET}/*")]})
}

#[test]
fn explicit_deny_wins() {
    // IAM User Guide, "Policy evaluation logic": Carlos and his logs bucket.
    let carlos = "arn:aws:iam::123456789012:user/carlossalazar";
    let identity = policy(json!([
        {"Sid": "AllowS3ListRead", "Effect": "Allow",
         "Action": ["s3:GetBucketLocation", "s3:GetAccountPublicAccessBlock", "s3:ListAccessPoints", "s3:ListAllMyBuckets"],
         "Resource": "arn:aws:s3:::*"},
        {"Sid": "AllowS3Self", "Effect": "Allow", "Action": "s3:*",
         "Resource": ["arn:aws:s3:::carlossalazar/*", "arn:aws:s3:::carlossalazar"]},
        {"Sid": "DenyS3Logs", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::*log*"}
    ]));
    let bucket = policy(
        json!([{"Effect": "Allow", "Principal": {"AWS": carlos}, "Action": "s3:*",
        "Resource": ["arn:aws:s3:::carlossalazar/*", "arn:aws:s3:::carlossalazar"]}]),
    );
    let allow_everything = policy(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]));
    let put = |bucket: &str| {
        Request::new(
            RequestPrincipal::user(carlos),
            "s3:PutObject",
            format!("arn:aws:s3:::{bucket}/f.txt"),
        )
    };
    for (name, request, identity, bucket_policy, decision) in [
        (
            "logs bucket: the identity policy's deny",
            put("carlossalazar-logs"),
            vec![&identity],
            Some(&bucket),
            Denied,
        ),
        (
            "deny wins over another allow-all policy",
            put("carlossalazar-logs"),
            vec![&identity, &allow_everything],
            Some(&bucket),
            Denied,
        ),
        (
            "own bucket: both allow",
            put("carlossalazar"),
            vec![&identity],
            Some(&bucket),
            Allowed,
        ),
        (
            "own bucket, bucket policy alone",
            put("carlossalazar"),
            vec![],
            Some(&bucket),
            Allowed,
        ),
        (
            "own bucket, identity policy alone",
            put("carlossalazar"),
            vec![&identity],
            None,
            Allowed,
        ),
        (
            "another bucket: nothing allows it",
            put("other"),
            vec![&identity],
            Some(&bucket),
            Denied,
        ),
        (
            "list read on any bucket",
            Request::new(
                RequestPrincipal::user(carlos),
                "s3:GetBucketLocation",
                "arn:aws:s3:::other",
            ),
            vec![&identity],
            None,
            Allowed,
        ),
    ] {
        let verdict = same(
            &request.with_context(Context::exhaustive()),
            &identity,
            bucket_policy,
        );
        expect(name, &verdict, decision);
    }
    let verdict = same(&put("carlossalazar-logs"), &[&identity], Some(&bucket));
    let deny = verdict
        .with_outcome(Outcome::ExplicitDeny)
        .next()
        .expect("an explicit deny");
    assert_eq!(deny.policy, "identity policy 1");
    assert_eq!(deny.statement, Some(StatementId::Sid("DenyS3Logs".into())));
    assert!(verdict.is_explicitly_denied());
    let verdict = same(&put("other"), &[&identity], Some(&bucket));
    assert!(!verdict.is_explicitly_denied());
    assert!(
        verdict
            .decided_by
            .iter()
            .all(|r| r.outcome == Outcome::ImplicitDeny && r.statement.is_none())
    );
    assert_eq!(verdict.decided_by.len(), 2, "{verdict}");
}

#[test]
fn not_action() {
    // IAM User Guide, "IAM JSON policy elements: NotAction": allow everything but IAM.
    let identity = policy(json!([{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]));
    let deny_not = policy(json!([
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Sid": "DenyAllButS3", "Effect": "Deny", "NotAction": ["s3:*", "sts:GetCallerIdentity"], "Resource": "*"}
    ]));
    let user = RequestPrincipal::user("arn:aws:iam::111122223333:user/u");
    for (name, doc, action, decision) in [
        (
            "allow NotAction iam:*: s3",
            &identity,
            "s3:GetObject",
            Allowed,
        ),
        (
            "allow NotAction iam:*: iam",
            &identity,
            "iam:CreateUser",
            Denied,
        ),
        (
            "allow NotAction iam:*: case",
            &identity,
            "IAM:CreateUser",
            Denied,
        ),
        (
            "deny NotAction: s3 not denied",
            &deny_not,
            "s3:PutObject",
            Allowed,
        ),
        (
            "deny NotAction: sts:GetCallerIdentity not denied",
            &deny_not,
            "sts:GetCallerIdentity",
            Allowed,
        ),
        (
            "deny NotAction: ec2 denied",
            &deny_not,
            "ec2:RunInstances",
            Denied,
        ),
    ] {
        let request = Request::new(user.clone(), action, "arn:aws:s3:::b/k");
        expect(name, &same(&request, &[doc], None), decision);
    }
}

#[test]
fn not_resource() {
    // Allow S3, but deny everything outside one bucket (NotResource with Deny).
    let identity = policy(json!([
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Sid": "OnlyThisBucket", "Effect": "Deny", "Action": "s3:*",
         "NotResource": [BUCKET, format!("{BUCKET}/*")]}
    ]));
    let allow_not = policy(
        json!([{"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::secret/*"}]),
    );
    let user = RequestPrincipal::user("arn:aws:iam::111122223333:user/u");
    for (name, doc, resource, decision) in [
        ("inside the bucket", &identity, OBJECT, Allowed),
        ("the bucket itself", &identity, BUCKET, Allowed),
        (
            "another bucket is denied",
            &identity,
            "arn:aws:s3:::amzn-s3-demo-bucket2/x",
            Denied,
        ),
        (
            "allow NotResource: elsewhere",
            &allow_not,
            "arn:aws:s3:::public/x",
            Allowed,
        ),
        (
            "allow NotResource: the excluded one",
            &allow_not,
            "arn:aws:s3:::secret/x",
            Denied,
        ),
    ] {
        let request = Request::new(user.clone(), "s3:GetObject", resource);
        expect(name, &same(&request, &[doc], None), decision);
    }
}

#[test]
fn not_principal_with_deny() {
    // IAM User Guide, "AWS JSON policy elements: NotPrincipal": deny everyone except Bob
    // (and his account), and except the cross-account-audit-app session.
    let bob = "arn:aws:iam::444455556666:user/Bob";
    let audit_role = "arn:aws:iam::444455556666:role/cross-account-read-only-role";
    let audit_session = "arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/cross-account-audit-app";
    let root = "arn:aws:iam::444455556666:root";
    let resources = json!([BUCKET, format!("{BUCKET}/*")]);
    let allow = |who: &str| json!({"Effect": "Allow", "Principal": {"AWS": who}, "Action": "s3:*", "Resource": resources});
    let deny_except = |except: Value| json!({"Sid": "DenyAllExcept", "Effect": "Deny", "NotPrincipal": {"AWS": except}, "Action": "s3:*", "Resource": resources});
    let bob_policy = policy(json!([allow(bob), deny_except(json!([bob, root]))]));
    let bob_only = policy(json!([allow(bob), deny_except(json!([bob]))]));
    let audit_policy = policy(json!([
        allow(audit_role),
        deny_except(json!([audit_session, audit_role, root]))
    ]));
    let audit_no_role = policy(json!([
        allow(audit_role),
        deny_except(json!([audit_session, root]))
    ]));
    let session = |name: Option<&str>| RequestPrincipal::role_session(audit_role, name);
    for (name, doc, who, decision) in [
        (
            "Bob is excepted",
            &bob_policy,
            RequestPrincipal::user(bob),
            Allowed,
        ),
        (
            "Alice, same account, is denied",
            &bob_policy,
            RequestPrincipal::user("arn:aws:iam::444455556666:user/Alice"),
            Denied,
        ),
        (
            "another account is denied",
            &bob_policy,
            RequestPrincipal::user("arn:aws:iam::999999999999:user/Bob"),
            Denied,
        ),
        (
            "the account's root: excepted, but nothing allows it",
            &bob_policy,
            RequestPrincipal::root(VENDOR),
            Denied,
        ),
        (
            "Bob without his account: AWS might deny",
            &bob_only,
            RequestPrincipal::user(bob),
            Unknown,
        ),
        (
            "the audit session is excepted",
            &audit_policy,
            session(Some("cross-account-audit-app")),
            Allowed,
        ),
        (
            "another session of the role is denied",
            &audit_policy,
            session(Some("someone-else")),
            Denied,
        ),
        (
            "unknown session name: might be denied",
            &audit_policy,
            session(None),
            Unknown,
        ),
        (
            "the role's ARN missing: AWS might deny",
            &audit_no_role,
            session(Some("cross-account-audit-app")),
            Unknown,
        ),
        (
            "anonymous is denied",
            &bob_policy,
            RequestPrincipal::anonymous(),
            Denied,
        ),
    ] {
        let request = Request::new(who, "s3:GetObject", OBJECT);
        expect(name, &cross(&request, doc), decision);
    }
    let alice = RequestPrincipal::user("arn:aws:iam::444455556666:user/Alice");
    assert!(
        cross(&Request::new(alice, "s3:GetObject", OBJECT), &bob_policy).is_explicitly_denied()
    );
    let root_verdict = cross(
        &Request::new(RequestPrincipal::root(VENDOR), "s3:GetObject", OBJECT),
        &bob_policy,
    );
    assert!(!root_verdict.is_explicitly_denied(), "{root_verdict}");
    let verdict = cross(
        &Request::new(RequestPrincipal::user(bob), "s3:GetObject", OBJECT),
        &bob_only,
    );
    let might = verdict
        .with_outcome(Outcome::MightDeny)
        .next()
        .expect("a might-deny");
    assert_eq!(
        might.uncertain,
        vec![Uncertainty::NotPrincipalIncomplete {
            missing: root.into()
        }]
    );
    // The documented replacement: Principal "*" with ArnNotEquals on aws:PrincipalArn.
    let arn_not_equals = policy(json!([
        {"Effect": "Allow", "Principal": {"AWS": VENDOR}, "Action": "s3:*", "Resource": resources},
        {"Sid": "UsePrincipalArnInsteadOfNotPrincipalWithDeny", "Effect": "Deny", "Action": "s3:*", "Principal": "*",
         "Resource": resources, "Condition": {"ArnNotEquals": {"aws:PrincipalArn": bob}}}
    ]));
    for (name, who, decision) in [
        ("ArnNotEquals: Bob", RequestPrincipal::user(bob), Allowed),
        (
            "ArnNotEquals: Alice",
            RequestPrincipal::user("arn:aws:iam::444455556666:user/Alice"),
            Denied,
        ),
    ] {
        expect(
            name,
            &cross(&Request::new(who, "s3:GetObject", OBJECT), &arn_not_equals),
            decision,
        );
    }
}

#[test]
fn wildcard_and_case_insensitive_actions() {
    let user = RequestPrincipal::user("arn:aws:iam::111122223333:user/u");
    for (pattern, action, decision) in [
        ("s3:Put*", "s3:PutObject", Allowed),
        ("s3:Put*", "s3:PutObjectAcl", Allowed),
        ("s3:Put*", "s3:GetObject", Denied),
        ("s3:*Object", "s3:GetObject", Allowed),
        ("s3:*Object", "s3:DeleteObject", Allowed),
        ("s3:*Object", "s3:GetObjectAcl", Denied),
        ("s3:Get?bject", "s3:GetObject", Allowed),
        ("s3:*", "sts:AssumeRole", Denied),
        ("*", "sts:AssumeRole", Allowed),
        ("S3:PUTOBJECT", "s3:PutObject", Allowed),
        ("s3:putobject", "S3:PutObject", Allowed),
        ("s3:PutObject", "s3:PutObjectTagging", Denied),
    ] {
        let doc = policy(json!([{"Effect": "Allow", "Action": pattern, "Resource": "*"}]));
        let request = Request::new(user.clone(), action, OBJECT);
        expect(
            &format!("{pattern} vs {action}"),
            &same(&request, &[&doc], None),
            decision,
        );
    }
}

#[test]
fn resource_wildcards() {
    let user = RequestPrincipal::user("arn:aws:iam::111122223333:user/u");
    for (pattern, resource, decision) in [
        ("arn:aws:s3:::amzn-s3-demo-bucket/*", OBJECT, Allowed),
        // Objects, not the bucket: ListBucket is on the bucket ARN.
        ("arn:aws:s3:::amzn-s3-demo-bucket/*", BUCKET, Denied),
        ("arn:aws:s3:::amzn-s3-demo-bucket", OBJECT, Denied),
        ("arn:aws:s3:::amzn-s3-demo-bucket", BUCKET, Allowed),
        // A missing slash covers other buckets too.
        (
            "arn:aws:s3:::amzn-s3-demo-bucket*",
            "arn:aws:s3:::amzn-s3-demo-bucket-other/x",
            Allowed,
        ),
        (
            "arn:aws:s3:::amzn-s3-demo-bucket/exports/*",
            OBJECT,
            Allowed,
        ),
        ("arn:aws:s3:::amzn-s3-demo-bucket/imports/*", OBJECT, Denied),
        // Resources are case-sensitive.
        ("arn:aws:s3:::AMZN-S3-DEMO-BUCKET/*", OBJECT, Denied),
        (
            "arn:aws:s3:::amzn-s3-demo-bucket/exports/part-?.csv",
            OBJECT,
            Allowed,
        ),
        ("*", OBJECT, Allowed),
    ] {
        let doc = policy(json!([{"Effect": "Allow", "Action": "s3:*", "Resource": pattern}]));
        let request = Request::new(user.clone(), "s3:ListBucket", resource);
        expect(
            &format!("{pattern} vs {resource}"),
            &same(&request, &[&doc], None),
            decision,
        );
    }
}

#[test]
fn s3_deny_without_tls() {
    // S3 User Guide, bucket policy examples: "Managing access based on HTTP or HTTPS requests".
    let bucket = policy(json!([allow_vendor(),
        {"Sid": "RestrictToTLSRequestsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [BUCKET, format!("{BUCKET}/*")], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]));
    let bool_false = policy(json!([allow_vendor(),
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [BUCKET, format!("{BUCKET}/*")],
         "Condition": {"Bool": {"aws:SecureTransport": false}}}]));
    for (name, doc, context, decision) in [
        (
            "TLS",
            &bucket,
            Context::new().with_secure_transport(true),
            Allowed,
        ),
        (
            "plain HTTP",
            &bucket,
            Context::new().with_secure_transport(false),
            Denied,
        ),
        ("transport unknown", &bucket, Context::new(), Unknown),
        (
            "a JSON boolean reads like the string",
            &bool_false,
            Context::new().with_secure_transport(false),
            Denied,
        ),
    ] {
        let request = Request::new(vendor_session(), "s3:PutObject", OBJECT).with_context(context);
        let verdict = cross(&request, doc);
        expect(name, &verdict, decision);
        if decision == Allowed {
            assert_eq!(
                verdict.notes,
                vec![Note::PrincipalAccountMustAllow {
                    account: Some(VENDOR.into())
                }]
            );
        }
    }
}

#[test]
fn s3_require_sse_kms() {
    // S3 User Guide: "Require SSE-KMS for all objects written to a bucket", and the
    // `Null` pattern denying uploads without an encryption header.
    let not_equals = policy(json!([allow_vendor(),
        {"Sid": "DenyObjectsThatAreNotSSEKMS", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
         "Resource": format!("{BUCKET}/*"),
         "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}}]));
    let null = policy(json!([allow_vendor(),
        {"Sid": "DenyUnencrypted", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
         "Resource": format!("{BUCKET}/*"),
         "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}}}]));
    let with = |sse: Option<&str>| Context::new().with_server_side_encryption(sse);
    for (name, doc, context, decision) in [
        ("aws:kms", &not_equals, with(Some("aws:kms")), Allowed),
        ("AES256", &not_equals, with(Some("AES256")), Denied),
        (
            "no header: StringNotEquals on a missing key is true",
            &not_equals,
            with(None),
            Denied,
        ),
        ("unknown", &not_equals, Context::new(), Unknown),
        ("Null: no header", &null, with(None), Denied),
        (
            "Null: AES256 is a header",
            &null,
            with(Some("AES256")),
            Allowed,
        ),
        ("Null: unknown", &null, Context::new(), Unknown),
    ] {
        let request = Request::new(vendor_session(), "s3:PutObject", OBJECT).with_context(context);
        expect(name, &cross(&request, doc), decision);
    }
    // A GetObject is not concerned.
    let get = Request::new(vendor_session(), "s3:GetObject", OBJECT);
    expect("GetObject", &cross(&get, &not_equals), Allowed);
}

#[test]
fn s3_vpc_endpoint_and_network() {
    // S3 User Guide: "Restricting access to a specific VPC endpoint" and "Managing
    // access based on specific IP addresses".
    let vpce = policy(json!([allow_vendor(),
        {"Sid": "Access-to-specific-VPCE-only", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [BUCKET, format!("{BUCKET}/*")],
         "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}}]));
    let ip = policy(json!([allow_vendor(),
        {"Sid": "IPAllow", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [BUCKET, format!("{BUCKET}/*")],
         "Condition": {"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "2001:DB8:1234:5678::/64"]}}}]));
    for (name, doc, context, decision) in [
        (
            "vpce: a vendor's endpoint is unknown",
            &vpce,
            Context::new(),
            Unknown,
        ),
        (
            "vpce: the endpoint",
            &vpce,
            Context::new().with_source_vpce(Some("vpce-1a2b3c4d")),
            Allowed,
        ),
        (
            "vpce: another endpoint",
            &vpce,
            Context::new().with_source_vpce(Some("vpce-9999")),
            Denied,
        ),
        (
            "vpce: over the internet",
            &vpce,
            Context::new().with_source_vpce(None),
            Denied,
        ),
        (
            "ip: inside IPv4",
            &ip,
            Context::new().with_source_ip(Some("192.0.2.17")),
            Allowed,
        ),
        (
            "ip: inside IPv6",
            &ip,
            Context::new().with_source_ip(Some("2001:db8:1234:5678::42")),
            Allowed,
        ),
        (
            "ip: outside",
            &ip,
            Context::new().with_source_ip(Some("198.51.100.1")),
            Denied,
        ),
        (
            "ip: outside IPv6",
            &ip,
            Context::new().with_source_ip(Some("2001:db8:1234:5679::1")),
            Denied,
        ),
        (
            "ip: a vendor's address is unknown",
            &ip,
            Context::new(),
            Unknown,
        ),
        (
            "ip: none (through a VPC endpoint)",
            &ip,
            Context::new().with_source_ip(None),
            Denied,
        ),
    ] {
        let request = Request::new(vendor_session(), "s3:PutObject", OBJECT).with_context(context);
        expect(name, &cross(&request, doc), decision);
    }
    let verdict = cross(
        &Request::new(vendor_session(), "s3:PutObject", OBJECT),
        &vpce,
    );
    let might = verdict
        .with_outcome(Outcome::MightDeny)
        .next()
        .expect("a might-deny");
    assert_eq!(
        might.statement,
        Some(StatementId::Sid("Access-to-specific-VPCE-only".into()))
    );
    assert_eq!(
        might.uncertain,
        vec![Uncertainty::UnknownKey {
            key: "aws:SourceVpce".into()
        }]
    );
    assert!(
        verdict
            .with_outcome(Outcome::Allow)
            .any(|r| r.statement == Some(StatementId::Sid("AllowVendor".into())))
    );
}

#[test]
fn s3_principal_org_id() {
    // S3 User Guide: "Granting permissions to all principals in an organization".
    let bucket = policy(
        json!([{"Sid": "AllowGetObject", "Effect": "Allow", "Principal": "*",
        "Action": "s3:GetObject", "Resource": format!("{BUCKET}/*"),
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": ["o-aa111bb222"]}}}]),
    );
    for (name, who, context, decision) in [
        (
            "in the organization",
            vendor_session().with_org_id("o-aa111bb222"),
            Context::new(),
            Allowed,
        ),
        (
            "another organization",
            vendor_session().with_org_id("o-zz999"),
            Context::new(),
            Denied,
        ),
        (
            "organization unknown",
            vendor_session(),
            Context::new(),
            Unknown,
        ),
        (
            "in no organization",
            vendor_session(),
            Context::new().with_principal_org_id(None),
            Denied,
        ),
        (
            "anonymous: no principal keys",
            RequestPrincipal::anonymous(),
            Context::new(),
            Denied,
        ),
    ] {
        let request = Request::new(who, "s3:GetObject", OBJECT).with_context(context);
        expect(name, &cross(&request, &bucket), decision);
    }
}

#[test]
fn s3_bucket_owner_full_control() {
    // S3 User Guide: "Granting cross-account permissions to upload objects while
    // ensuring that the bucket owner has full control".
    let bucket = policy(
        json!([{"Sid": "AllowVendorUploads", "Effect": "Allow", "Principal": {"AWS": VENDOR},
        "Action": "s3:PutObject", "Resource": format!("{BUCKET}/*"),
        "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}}]),
    );
    for (name, acl, decision) in [
        ("with the ACL", Some("bucket-owner-full-control"), Allowed),
        ("without an ACL", None, Denied),
        ("another ACL", Some("public-read"), Denied),
    ] {
        let request = Request::new(vendor_session(), "s3:PutObject", OBJECT)
            .with_context(Context::new().with_acl(acl));
        let verdict = cross(&request, &bucket);
        expect(name, &verdict, decision);
        if decision == Denied {
            assert!(!verdict.is_explicitly_denied());
            assert_eq!(verdict.decided_by[0].outcome, Outcome::ImplicitDeny);
        }
    }
}

#[test]
fn same_account_resource_policy() {
    // IAM User Guide, "Determining whether a request is allowed or denied within an
    // account": a resource policy naming the role (or session, or user) allows it by
    // itself; one naming the account delegates to identity policies.
    let role = "arn:aws:iam::111122223333:role/service/exporter";
    let session = |name: Option<&str>| RequestPrincipal::role_session(role, name);
    let named = |who: &str| {
        policy(
            json!([{"Effect": "Allow", "Principal": {"AWS": who}, "Action": "s3:PutObject", "Resource": format!("{BUCKET}/*")}]),
        )
    };
    let by_role = named(role);
    let by_account = named(CUSTOMER);
    let by_session = named("arn:aws:sts::111122223333:assumed-role/exporter/nightly");
    let public = policy(
        json!([{"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": format!("{BUCKET}/*")}]),
    );
    let identity = policy(
        json!([{"Effect": "Allow", "Action": "s3:PutObject", "Resource": format!("{BUCKET}/*")}]),
    );
    let deny_root = policy(
        json!([{"Effect": "Deny", "Principal": {"AWS": CUSTOMER}, "Action": "s3:*", "Resource": format!("{BUCKET}/*")}]),
    );
    for (name, who, identity, bucket, decision) in [
        (
            "role ARN: its sessions, no identity policy",
            session(Some("nightly")),
            vec![],
            Some(&by_role),
            Allowed,
        ),
        (
            "role ARN, session name unknown",
            session(None),
            vec![],
            Some(&by_role),
            Allowed,
        ),
        (
            "account only: not by itself",
            session(Some("nightly")),
            vec![],
            Some(&by_account),
            Denied,
        ),
        (
            "account and identity policy",
            session(Some("nightly")),
            vec![&identity],
            Some(&by_account),
            Allowed,
        ),
        (
            "session ARN: that session",
            session(Some("nightly")),
            vec![],
            Some(&by_session),
            Allowed,
        ),
        (
            "session ARN: another session",
            session(Some("manual")),
            vec![],
            Some(&by_session),
            Denied,
        ),
        (
            "session ARN: session unknown",
            session(None),
            vec![],
            Some(&by_session),
            Unknown,
        ),
        (
            "principal *: no identity policy needed",
            session(Some("nightly")),
            vec![],
            Some(&public),
            Allowed,
        ),
        (
            "another role is not named",
            RequestPrincipal::role_session("arn:aws:iam::111122223333:role/other", Some("x")),
            vec![],
            Some(&by_role),
            Denied,
        ),
        (
            "root: what no policy denies",
            RequestPrincipal::root(CUSTOMER),
            vec![],
            None,
            Allowed,
        ),
        (
            "root: a bucket policy deny applies to it",
            RequestPrincipal::root(CUSTOMER),
            vec![],
            Some(&deny_root),
            Denied,
        ),
        (
            "anonymous and a public bucket",
            RequestPrincipal::anonymous(),
            vec![],
            Some(&public),
            Allowed,
        ),
        (
            "anonymous and no policy",
            RequestPrincipal::anonymous(),
            vec![],
            None,
            Denied,
        ),
    ] {
        let request = Request::new(who, "s3:PutObject", OBJECT);
        expect(name, &same(&request, &identity, bucket), decision);
    }
    let root = same(
        &Request::new(RequestPrincipal::root(CUSTOMER), "s3:PutObject", OBJECT),
        &[],
        None,
    );
    assert_eq!(root.notes, vec![Note::RootUser]);
}

#[test]
fn cross_account_needs_both_sides() {
    // IAM User Guide, "Cross-account policy evaluation logic".
    let bucket = policy(
        json!([{"Sid": "VendorAccount", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{VENDOR}:root")},
        "Action": "s3:PutObject", "Resource": format!("{BUCKET}/*")}]),
    );
    let vendor_allows = policy(
        json!([{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*"}]),
    );
    let vendor_other = policy(
        json!([{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::vendor-own/*"}]),
    );
    let vendor_denies = policy(json!([vendor_allows.to_value()["Statement"][0].clone(),
        {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]));
    let request = Request::new(vendor_session(), "s3:PutObject", OBJECT);
    fn labeled(p: &PolicyDocument) -> Vec<Labeled<&PolicyDocument>> {
        vec![Labeled::new("vendor policy", p)]
    }
    for (name, identity, bucket_policy, decision) in [
        (
            "both allow",
            Some(labeled(&vendor_allows)),
            Some(&bucket),
            Allowed,
        ),
        (
            "the vendor's policy does not",
            Some(labeled(&vendor_other)),
            Some(&bucket),
            Denied,
        ),
        (
            "the vendor's policy denies",
            Some(labeled(&vendor_denies)),
            Some(&bucket),
            Denied,
        ),
        (
            "no bucket policy",
            Some(labeled(&vendor_allows)),
            None,
            Denied,
        ),
        (
            "the vendor's policies out of sight",
            None,
            Some(&bucket),
            Allowed,
        ),
        ("out of sight, no bucket policy", None, None, Denied),
    ] {
        let verdict = evaluate_cross_account(
            &request,
            identity.as_deref(),
            bucket_policy.map(|b| Labeled::new("bucket policy", b)),
        );
        expect(name, &verdict, decision);
        let note = Note::PrincipalAccountMustAllow {
            account: Some(VENDOR.into()),
        };
        assert_eq!(
            verdict.notes.contains(&note),
            identity.is_none() && decision != Denied,
            "{name}: {verdict}"
        );
    }
    let verdict = evaluate_cross_account(
        &request,
        Some(&labeled(&vendor_other)),
        Some(Labeled::new("bucket policy", &bucket)),
    );
    assert_eq!(verdict.decided_by.len(), 1, "{verdict}");
    assert_eq!(verdict.decided_by[0].policy, "vendor policy");
    let verdict = evaluate_cross_account(&request, None, None);
    assert_eq!(verdict.notes, vec![Note::NoResourcePolicy]);
}

#[test]
fn trust_policies() {
    let vendor_root = format!("arn:aws:iam::{VENDOR}:root");
    let trust = |condition: Value| {
        let mut statement = json!({"Effect": "Allow", "Principal": {"AWS": vendor_root}, "Action": "sts:AssumeRole"});
        if !condition.is_null() {
            statement["Condition"] = condition;
        }
        policy(json!([statement]))
    };
    let exact = trust(json!({"StringEquals": {"sts:ExternalId": "ext-123"}}));
    let changed = trust(json!({"StringEquals": {"sts:ExternalId": ["ext-123", "ext-attacker"]}}));
    let like = trust(json!({"StringLike": {"sts:ExternalId": "ext-*"}}));
    let open = trust(Value::Null);
    let by_ip = trust(json!({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}));
    let role_only = policy(
        json!([{"Effect": "Allow", "Principal": {"AWS": VENDOR_ROLE}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": "ext-123"}}}]),
    );
    let tag_only = policy(
        json!([{"Effect": "Allow", "Principal": {"AWS": vendor_root}, "Action": "sts:TagSession"}]),
    );
    for (name, doc, who, external_id, decision) in [
        (
            "right external ID",
            &exact,
            vendor_session(),
            Some("ext-123"),
            Allowed,
        ),
        (
            "wrong external ID",
            &exact,
            vendor_session(),
            Some("ext-124"),
            Denied,
        ),
        (
            "external IDs are case-sensitive",
            &exact,
            vendor_session(),
            Some("EXT-123"),
            Denied,
        ),
        ("no external ID", &exact, vendor_session(), None, Denied),
        (
            "hand-changed: a second ID accepted",
            &changed,
            vendor_session(),
            Some("ext-attacker"),
            Allowed,
        ),
        (
            "StringLike: matching",
            &like,
            vendor_session(),
            Some("ext-9"),
            Allowed,
        ),
        (
            "StringLike: not matching",
            &like,
            vendor_session(),
            Some("other"),
            Denied,
        ),
        (
            "no condition: any ID",
            &open,
            vendor_session(),
            Some("anything"),
            Allowed,
        ),
        (
            "no condition: no ID",
            &open,
            vendor_session(),
            None,
            Allowed,
        ),
        (
            "another account",
            &open,
            RequestPrincipal::role_session("arn:aws:iam::999999999999:role/x", Some("s")),
            None,
            Denied,
        ),
        (
            "a condition on an unknown key",
            &by_ip,
            vendor_session(),
            None,
            Unknown,
        ),
        (
            "role principal: that role",
            &role_only,
            vendor_session(),
            Some("ext-123"),
            Allowed,
        ),
        (
            "role principal: another role of the vendor",
            &role_only,
            RequestPrincipal::role_session("arn:aws:iam::444455556666:role/other", Some("s")),
            Some("ext-123"),
            Denied,
        ),
        (
            "role principal: a user of the vendor",
            &role_only,
            RequestPrincipal::user("arn:aws:iam::444455556666:user/u"),
            Some("ext-123"),
            Denied,
        ),
        (
            "the root user cannot assume roles",
            &open,
            RequestPrincipal::root(VENDOR),
            None,
            Denied,
        ),
        (
            "only sts:TagSession allowed",
            &tag_only,
            vendor_session(),
            None,
            Denied,
        ),
    ] {
        let verdict = evaluate_assume_role(doc, who, external_id);
        expect(name, &verdict, decision);
        if decision == Allowed {
            assert_eq!(
                verdict.notes,
                vec![Note::PrincipalAccountMustAllow {
                    account: Some(VENDOR.into())
                }],
                "{name}"
            );
            assert_eq!(verdict.decided_by[0].policy, "trust policy");
        }
    }
    let root = evaluate_assume_role(&open, RequestPrincipal::root(VENDOR), None);
    assert_eq!(root.notes, vec![Note::RootCannotAssumeRole]);
}

#[test]
fn trust_in_the_same_account() {
    // A same-account caller named directly needs no identity policy; one allowed
    // through the account needs its identity policy too.
    let role = "arn:aws:iam::111122223333:role/s3dest-export";
    let caller = "arn:aws:iam::111122223333:role/ci";
    let by_account = policy(
        json!([{"Effect": "Allow", "Principal": {"AWS": CUSTOMER}, "Action": "sts:AssumeRole"}]),
    );
    let by_role = policy(
        json!([{"Effect": "Allow", "Principal": {"AWS": caller}, "Action": "sts:AssumeRole"}]),
    );
    let may_assume =
        policy(json!([{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role}]));
    let nothing = policy(json!([{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]));
    let request = Request::new(
        RequestPrincipal::role_session(caller, Some("ci")),
        "sts:AssumeRole",
        role,
    );
    fn ci(p: &PolicyDocument) -> Vec<Labeled<&PolicyDocument>> {
        vec![Labeled::new("ci role policy", p)]
    }
    for (name, trust, identity, decision, noted) in [
        (
            "account + identity allows",
            &by_account,
            Some(ci(&may_assume)),
            Allowed,
            false,
        ),
        (
            "account, identity silent",
            &by_account,
            Some(ci(&nothing)),
            Denied,
            false,
        ),
        (
            "account, identity unknown",
            &by_account,
            None,
            Allowed,
            true,
        ),
        (
            "named directly, identity silent",
            &by_role,
            Some(ci(&nothing)),
            Allowed,
            false,
        ),
        (
            "named directly, identity unknown",
            &by_role,
            None,
            Allowed,
            false,
        ),
    ] {
        let verdict = evaluate_trust(
            Labeled::new("trust policy", trust),
            &request,
            identity.as_deref(),
        );
        expect(name, &verdict, decision);
        assert_eq!(!verdict.notes.is_empty(), noted, "{name}: {verdict}");
    }
}

#[test]
fn if_exists() {
    // IAM User Guide, "…IfExists condition operators".
    let allow_types = policy(
        json!([{"Sid": "RunInstance", "Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*",
        "Condition": {"StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}}}]),
    );
    let deny_unless_kms = policy(
        json!([{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:PutObject", "Resource": "*",
         "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}}}]),
    );
    let user = RequestPrincipal::user("arn:aws:iam::111122223333:user/u");
    let key = "ec2:InstanceType";
    for (name, doc, action, context, decision) in [
        (
            "no instance type: true",
            &allow_types,
            "ec2:RunInstances",
            Context::new().with_absent(key),
            Allowed,
        ),
        (
            "t2.micro",
            &allow_types,
            "ec2:RunInstances",
            Context::new().with_known(key, ["t2.micro"]),
            Allowed,
        ),
        (
            "m5.large",
            &allow_types,
            "ec2:RunInstances",
            Context::new().with_known(key, ["m5.large"]),
            Denied,
        ),
        (
            "unknown",
            &allow_types,
            "ec2:RunInstances",
            Context::new(),
            Unknown,
        ),
        (
            "negated IfExists, key missing: still denied",
            &deny_unless_kms,
            "s3:PutObject",
            Context::new().with_server_side_encryption(None),
            Denied,
        ),
        (
            "negated IfExists, aws:kms",
            &deny_unless_kms,
            "s3:PutObject",
            Context::new().with_server_side_encryption(Some("aws:kms")),
            Allowed,
        ),
        (
            "negated IfExists, AES256",
            &deny_unless_kms,
            "s3:PutObject",
            Context::new().with_server_side_encryption(Some("AES256")),
            Denied,
        ),
    ] {
        let request = Request::new(
            user.clone(),
            action,
            "arn:aws:ec2:us-east-1:111122223333:instance/*",
        )
        .with_context(context);
        expect(name, &same(&request, &[doc], None), decision);
    }
}

#[test]
fn set_operators_on_multivalued_keys() {
    // IAM User Guide, "Multivalued context key examples" and "Creating a condition with
    // multiple keys or values".
    let tag_keys = "aws:TagKeys";
    let deny_tags = policy(
        json!([{"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
        {"Sid": "DenyRestrictedTags", "Effect": "Deny", "Action": ["iam:Tag*", "iam:UnTag*"], "Resource": ["*"],
         "Condition": {"ForAllValues:StringNotLike": {tag_keys: "key1*"}}}]),
    );
    let attrs = "dynamodb:requestedAttributes";
    let allow_some = policy(
        json!([{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*",
        "Condition": {"ForAllValues:StringLike": {attrs: ["PostDateTime", "Message", "Tags"]}}}]),
    );
    let deny_any = policy(
        json!([{"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": "*"},
        {"Effect": "Deny", "Action": "dynamodb:PutItem", "Resource": "*",
         "Condition": {"ForAnyValue:StringLike": {attrs: ["ID", "PostDateTime"]}}}]),
    );
    let no_set_operator = policy(
        json!([{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*",
        "Condition": {"StringLike": {attrs: ["PostDateTime", "Message", "Tags"]}}}]),
    );
    let user = RequestPrincipal::user("arn:aws:iam::111122223333:user/u");
    let ctx = |key: &str, values: &[&str]| Context::new().with_known(key, values.iter().copied());
    for (name, doc, action, context, decision) in [
        (
            "ForAllValues:StringNotLike: key1:legal",
            &deny_tags,
            "iam:TagUser",
            ctx(tag_keys, &["key1:legal"]),
            Allowed,
        ),
        (
            "…: key1:hr, key1:personnel",
            &deny_tags,
            "iam:TagUser",
            ctx(tag_keys, &["key1:hr", "key1:personnel"]),
            Allowed,
        ),
        (
            "…: key2:audit",
            &deny_tags,
            "iam:TagUser",
            ctx(tag_keys, &["key2:audit"]),
            Denied,
        ),
        (
            "…: key1:a, key2:b",
            &deny_tags,
            "iam:TagUser",
            ctx(tag_keys, &["key1:a", "key2:b"]),
            Allowed,
        ),
        (
            "…: no tag keys: ForAllValues is true",
            &deny_tags,
            "iam:TagUser",
            Context::new().with_absent(tag_keys),
            Denied,
        ),
        (
            "ForAllValues:StringLike: all listed",
            &allow_some,
            "dynamodb:GetItem",
            ctx(attrs, &["PostDateTime", "Message"]),
            Allowed,
        ),
        (
            "ForAllValues:StringLike: one not listed",
            &allow_some,
            "dynamodb:GetItem",
            ctx(attrs, &["PostDateTime", "UserName"]),
            Denied,
        ),
        (
            "ForAllValues:StringLike: none requested",
            &allow_some,
            "dynamodb:GetItem",
            ctx(attrs, &[]),
            Allowed,
        ),
        (
            "ForAnyValue:StringLike: one forbidden",
            &deny_any,
            "dynamodb:PutItem",
            ctx(attrs, &["UserName", "Message", "PostDateTime"]),
            Denied,
        ),
        (
            "ForAnyValue:StringLike: none forbidden",
            &deny_any,
            "dynamodb:PutItem",
            ctx(attrs, &["UserName"]),
            Allowed,
        ),
        (
            "ForAnyValue:StringLike: key missing is false",
            &deny_any,
            "dynamodb:PutItem",
            Context::new().with_absent(attrs),
            Allowed,
        ),
        (
            "no set operator, one value",
            &no_set_operator,
            "dynamodb:GetItem",
            ctx(attrs, &["Tags"]),
            Allowed,
        ),
        (
            "no set operator, several values",
            &no_set_operator,
            "dynamodb:GetItem",
            ctx(attrs, &["Tags", "ID"]),
            Unknown,
        ),
    ] {
        let request = Request::new(
            user.clone(),
            action,
            "arn:aws:dynamodb:us-east-1:111122223333:table/Thread",
        )
        .with_context(context);
        expect(name, &same(&request, &[doc], None), decision);
    }
}

/// Evaluates a one-condition `Allow` for an identity (same account, no resource policy).
fn condition_allows(operator: &str, key: &str, policy_values: Value, context: Context) -> Decision {
    let doc = policy(
        json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "*",
        "Condition": {operator: {key: policy_values}}}]),
    );
    let request = Request::new(
        RequestPrincipal::user("arn:aws:iam::111122223333:user/u"),
        "s3:ListBucket",
        BUCKET,
    )
    .with_context(context);
    same(&request, &[&doc], None).decision
}

#[test]
fn date_and_numeric_operators() {
    let at = |t: &str| Context::new().with_known("aws:TokenIssueTime", [t]);
    let keys = |n: &str| Context::new().with_known("s3:max-keys", [n]);
    for (operator, key, policy_values, context, decision) in [
        // IAM User Guide, "Date condition operators": credentials issued after 2020-01-01T00:00:01Z.
        (
            "DateGreaterThan",
            "aws:TokenIssueTime",
            json!("2020-01-01T00:00:01Z"),
            at("2021-06-01T12:00:00Z"),
            Allowed,
        ),
        (
            "DateGreaterThan",
            "aws:TokenIssueTime",
            json!("2020-01-01T00:00:01Z"),
            at("2019-12-31T23:59:59Z"),
            Denied,
        ),
        (
            "DateGreaterThan",
            "aws:TokenIssueTime",
            json!("2020-01-01T00:00:01Z"),
            at("2020-01-01T00:00:01Z"),
            Denied,
        ),
        (
            "DateGreaterThanEquals",
            "aws:TokenIssueTime",
            json!("2020-01-01T00:00:01Z"),
            at("2020-01-01T00:00:01Z"),
            Allowed,
        ),
        (
            "DateGreaterThan",
            "aws:TokenIssueTime",
            json!("2020-01-01T00:00:01Z"),
            Context::new().with_absent("aws:TokenIssueTime"),
            Denied,
        ),
        (
            "DateLessThan",
            "aws:CurrentTime",
            json!("2030-01-01"),
            Context::new().with_known("aws:CurrentTime", ["2029-12-31T23:59:59+00:00"]),
            Allowed,
        ),
        (
            "DateLessThan",
            "aws:CurrentTime",
            json!("2030-01-01"),
            Context::new().with_known("aws:CurrentTime", ["2030-01-01T00:30:00+01:00"]),
            Allowed,
        ),
        (
            "DateLessThan",
            "aws:EpochTime",
            json!("1700000000"),
            Context::new().with_known("aws:EpochTime", ["1699999999"]),
            Allowed,
        ),
        (
            "DateEquals",
            "aws:CurrentTime",
            json!("2020-01-01T00:00:00Z"),
            Context::new().with_known("aws:CurrentTime", ["1577836800"]),
            Allowed,
        ),
        (
            "DateNotEquals",
            "aws:CurrentTime",
            json!("2020-01-01T00:00:00Z"),
            Context::new().with_known("aws:CurrentTime", ["1577836800"]),
            Denied,
        ),
        (
            "DateLessThan",
            "aws:CurrentTime",
            json!("next tuesday"),
            Context::new().with_known("aws:CurrentTime", ["2020-01-01"]),
            Unknown,
        ),
        // "Numeric condition operators": list at most 10 keys.
        (
            "NumericLessThanEquals",
            "s3:max-keys",
            json!("10"),
            keys("5"),
            Allowed,
        ),
        (
            "NumericLessThanEquals",
            "s3:max-keys",
            json!("10"),
            keys("10"),
            Allowed,
        ),
        (
            "NumericLessThanEquals",
            "s3:max-keys",
            json!("10"),
            keys("11"),
            Denied,
        ),
        (
            "NumericLessThanEquals",
            "s3:max-keys",
            json!(10),
            keys("10.0"),
            Allowed,
        ),
        (
            "NumericLessThan",
            "s3:max-keys",
            json!("10"),
            keys("10"),
            Denied,
        ),
        (
            "NumericGreaterThan",
            "s3:max-keys",
            json!("10"),
            keys("10.5"),
            Allowed,
        ),
        (
            "NumericGreaterThanEquals",
            "s3:max-keys",
            json!("10"),
            keys("9"),
            Denied,
        ),
        (
            "NumericEquals",
            "s3:max-keys",
            json!(["1", "2"]),
            keys("2"),
            Allowed,
        ),
        (
            "NumericNotEquals",
            "s3:max-keys",
            json!(["1", "2"]),
            keys("2"),
            Denied,
        ),
        (
            "NumericNotEquals",
            "s3:max-keys",
            json!(["1", "2"]),
            keys("3"),
            Allowed,
        ),
        (
            "NumericLessThanEquals",
            "s3:max-keys",
            json!("10"),
            keys("ten"),
            Unknown,
        ),
        (
            "NumericLessThanEquals",
            "s3:max-keys",
            json!("10"),
            Context::new().with_absent("s3:max-keys"),
            Denied,
        ),
    ] {
        assert_eq!(
            condition_allows(operator, key, policy_values.clone(), context.clone()),
            decision,
            "{operator} {key} {policy_values} with {context:?}"
        );
    }
}

#[test]
fn string_arn_bool_and_ip_operators() {
    let v = |key: &str, value: &str| Context::new().with_known(key, [value]);
    let absent = |key: &str| Context::new().with_absent(key);
    for (operator, key, policy_values, context, decision) in [
        (
            "StringEquals",
            "s3:prefix",
            json!("exports/"),
            v("s3:prefix", "exports/"),
            Allowed,
        ),
        (
            "StringEquals",
            "s3:prefix",
            json!("exports/"),
            v("s3:prefix", "Exports/"),
            Denied,
        ),
        (
            "StringEquals",
            "s3:prefix",
            json!("exports/*"),
            v("s3:prefix", "exports/x"),
            Denied,
        ),
        (
            "StringEqualsIgnoreCase",
            "s3:prefix",
            json!("exports/"),
            v("s3:prefix", "EXPORTS/"),
            Allowed,
        ),
        (
            "StringNotEqualsIgnoreCase",
            "s3:prefix",
            json!("exports/"),
            v("s3:prefix", "EXPORTS/"),
            Denied,
        ),
        (
            "StringLike",
            "s3:prefix",
            json!(["", "home/", "home/*"]),
            v("s3:prefix", "home/alice/"),
            Allowed,
        ),
        (
            "StringLike",
            "s3:prefix",
            json!(["", "home/"]),
            v("s3:prefix", ""),
            Allowed,
        ),
        (
            "StringNotLike",
            "s3:prefix",
            json!("home/*"),
            v("s3:prefix", "home/x"),
            Denied,
        ),
        // Negated operators with several values: true when none matches.
        (
            "StringNotEquals",
            "s3:prefix",
            json!(["a", "b"]),
            v("s3:prefix", "a"),
            Denied,
        ),
        (
            "StringNotEquals",
            "s3:prefix",
            json!(["a", "b"]),
            v("s3:prefix", "c"),
            Allowed,
        ),
        (
            "StringNotEquals",
            "s3:prefix",
            json!(["a", "b"]),
            absent("s3:prefix"),
            Allowed,
        ),
        (
            "StringNotLike",
            "s3:prefix",
            json!(["a*", "b*"]),
            absent("s3:prefix"),
            Allowed,
        ),
        (
            "StringEquals",
            "s3:prefix",
            json!(["a", "b"]),
            absent("s3:prefix"),
            Denied,
        ),
        (
            "StringLike",
            "s3:prefix",
            json!("*"),
            absent("s3:prefix"),
            Denied,
        ),
        // Condition keys are case-insensitive.
        (
            "StringEquals",
            "S3:Prefix",
            json!("x"),
            v("s3:prefix", "x"),
            Allowed,
        ),
        (
            "ArnLike",
            "aws:SourceArn",
            json!("arn:aws:sns:*:111122223333:topic-*"),
            v(
                "aws:SourceArn",
                "arn:aws:sns:us-east-1:111122223333:topic-a",
            ),
            Allowed,
        ),
        (
            "ArnEquals",
            "aws:SourceArn",
            json!("arn:aws:sns:*:111122223333:topic-*"),
            v(
                "aws:SourceArn",
                "arn:aws:sns:us-east-1:111122223333:topic-a",
            ),
            Allowed,
        ),
        (
            "ArnLike",
            "aws:SourceArn",
            json!("arn:aws:sns:*:111122223333:topic-*"),
            v(
                "aws:SourceArn",
                "arn:aws:sns:us-east-1:999999999999:topic-a",
            ),
            Denied,
        ),
        (
            "ArnNotLike",
            "aws:SourceArn",
            json!("arn:aws:sns:*:111122223333:*"),
            v("aws:SourceArn", "arn:aws:sns:us-east-1:999999999999:t"),
            Allowed,
        ),
        (
            "ArnNotEquals",
            "aws:SourceArn",
            json!("arn:aws:sns:*:111122223333:*"),
            absent("aws:SourceArn"),
            Allowed,
        ),
        (
            "ArnLike",
            "aws:SourceArn",
            json!("*"),
            v("aws:SourceArn", "arn:aws:sns:us-east-1:1:t"),
            Unknown,
        ),
        (
            "Bool",
            "aws:SecureTransport",
            json!(true),
            v("aws:SecureTransport", "true"),
            Allowed,
        ),
        (
            "Bool",
            "aws:SecureTransport",
            json!("True"),
            v("aws:SecureTransport", "true"),
            Allowed,
        ),
        (
            "Bool",
            "aws:SecureTransport",
            json!("true"),
            v("aws:SecureTransport", "false"),
            Denied,
        ),
        (
            "Bool",
            "aws:SecureTransport",
            json!("maybe"),
            v("aws:SecureTransport", "false"),
            Unknown,
        ),
        (
            "Bool",
            "aws:MultiFactorAuthPresent",
            json!("true"),
            absent("aws:MultiFactorAuthPresent"),
            Denied,
        ),
        (
            "BoolIfExists",
            "aws:MultiFactorAuthPresent",
            json!("true"),
            absent("aws:MultiFactorAuthPresent"),
            Allowed,
        ),
        (
            "Null",
            "aws:TokenIssueTime",
            json!("true"),
            absent("aws:TokenIssueTime"),
            Allowed,
        ),
        (
            "Null",
            "aws:TokenIssueTime",
            json!("false"),
            absent("aws:TokenIssueTime"),
            Denied,
        ),
        (
            "Null",
            "aws:TokenIssueTime",
            json!("false"),
            v("aws:TokenIssueTime", "2020-01-01T00:00:00Z"),
            Allowed,
        ),
        (
            "IpAddress",
            "aws:SourceIp",
            json!("203.0.113.0/24"),
            v("aws:SourceIp", "203.0.113.9"),
            Allowed,
        ),
        (
            "IpAddress",
            "aws:SourceIp",
            json!("203.0.113.0/24"),
            v("aws:SourceIp", "203.0.112.9"),
            Denied,
        ),
        (
            "IpAddress",
            "aws:SourceIp",
            json!("203.0.113.9"),
            v("aws:SourceIp", "203.0.113.9"),
            Allowed,
        ),
        (
            "IpAddress",
            "aws:SourceIp",
            json!("203.0.113.0/24"),
            absent("aws:SourceIp"),
            Denied,
        ),
        (
            "NotIpAddress",
            "aws:SourceIp",
            json!(["203.0.113.0/24", "2001:DB8::/32"]),
            v("aws:SourceIp", "2001:db8::1"),
            Denied,
        ),
        (
            "IpAddress",
            "aws:SourceIp",
            json!("not-a-cidr"),
            v("aws:SourceIp", "203.0.113.9"),
            Unknown,
        ),
        // Operators s3dest does not implement, or IAM does not have.
        (
            "BinaryEquals",
            "aws:x",
            json!("QmluYXJ5"),
            v("aws:x", "Binary"),
            Unknown,
        ),
        (
            "StringEqualsMaybe",
            "s3:prefix",
            json!("x"),
            v("s3:prefix", "x"),
            Unknown,
        ),
        (
            "NullIfExists",
            "s3:prefix",
            json!("true"),
            absent("s3:prefix"),
            Unknown,
        ),
        (
            "ForAnyValue:Null",
            "s3:prefix",
            json!("true"),
            absent("s3:prefix"),
            Unknown,
        ),
        // Policy variables are not substituted.
        (
            "StringEquals",
            "s3:prefix",
            json!("home/${aws:username}/"),
            v("s3:prefix", "home/u/"),
            Unknown,
        ),
    ] {
        assert_eq!(
            condition_allows(operator, key, policy_values.clone(), context.clone()),
            decision,
            "{operator} {key} {policy_values} with {context:?}"
        );
    }
}

#[test]
fn several_operators_and_keys_are_anded() {
    let doc = policy(
        json!([{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*", "Condition": {
        "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "s3:x-amz-server-side-encryption": "aws:kms"},
        "Bool": {"aws:SecureTransport": "true"}}}]),
    );
    let user = RequestPrincipal::user("arn:aws:iam::111122223333:user/u");
    let full = || {
        Context::new()
            .with_acl(Some("bucket-owner-full-control"))
            .with_server_side_encryption(Some("aws:kms"))
            .with_secure_transport(true)
    };
    for (name, context, decision) in [
        ("all hold", full(), Allowed),
        ("one key fails", full().with_acl(Some("private")), Denied),
        (
            "the other operator fails",
            full().with_secure_transport(false),
            Denied,
        ),
        (
            "one unknown, the rest hold",
            full().with_unknown(keys::ACL),
            Unknown,
        ),
        (
            "one unknown, another fails",
            full().with_unknown(keys::ACL).with_secure_transport(false),
            Denied,
        ),
    ] {
        let request = Request::new(user.clone(), "s3:PutObject", OBJECT).with_context(context);
        expect(name, &same(&request, &[&doc], None), decision);
    }
}

#[test]
fn unknowns_propagate_and_never_guess() {
    let user = RequestPrincipal::user("arn:aws:iam::111122223333:user/u");
    let allow = json!({"Sid": "Allow", "Effect": "Allow", "Action": "s3:*", "Resource": "*"});
    let might_allow = json!({"Sid": "MightAllow", "Effect": "Allow", "Action": "s3:*", "Resource": "*",
        "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}});
    let deny = json!({"Sid": "Deny", "Effect": "Deny", "Action": "s3:*", "Resource": "*"});
    let might_deny = json!({"Sid": "MightDeny", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}});
    for (name, statements, decision) in [
        (
            "might deny, allowed otherwise",
            json!([allow, might_deny]),
            Unknown,
        ),
        (
            "might deny, nothing allows: denied either way",
            json!([might_deny]),
            Denied,
        ),
        (
            "might deny, might allow",
            json!([might_allow, might_deny]),
            Unknown,
        ),
        (
            "denies for sure, might allow",
            json!([might_allow, deny, might_deny]),
            Denied,
        ),
        (
            "might allow, another allow is sure",
            json!([might_allow, allow]),
            Allowed,
        ),
        ("might allow only", json!([might_allow]), Unknown),
    ] {
        let doc = policy(statements);
        let request = Request::new(user.clone(), "s3:GetObject", OBJECT);
        let verdict = same(&request, &[&doc], None);
        expect(name, &verdict, decision);
        if decision == Unknown {
            assert!(
                verdict.decided_by.iter().all(|r| matches!(
                    r.outcome,
                    Outcome::MightDeny | Outcome::MightAllow | Outcome::Allow
                )),
                "{verdict}"
            );
            assert!(
                verdict.decided_by.iter().any(|r| !r.uncertain.is_empty()),
                "{verdict}"
            );
        }
    }
    // An exhaustive context: keys never set are absent, not unknown.
    let doc = policy(json!([allow, might_deny]));
    let request =
        Request::new(user.clone(), "s3:GetObject", OBJECT).with_context(Context::exhaustive());
    expect(
        "exhaustive: no endpoint, denied",
        &same(&request, &[&doc], None),
        Denied,
    );
    // Version 2008-10-17 has no policy variables: `${` is text.
    let old = doc_version("2008-10-17");
    let new = doc_version("2012-10-17");
    let prefix = Context::new().with_prefix(Some("home/${aws:username}"));
    let request = Request::new(user, "s3:ListBucket", BUCKET).with_context(prefix);
    expect("2008: literal", &same(&request, &[&old], None), Allowed);
    expect("2012: a variable", &same(&request, &[&new], None), Unknown);
}

fn doc_version(version: &str) -> PolicyDocument {
    doc(
        json!({"Version": version, "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*",
        "Condition": {"StringEquals": {"s3:prefix": "home/${aws:username}"}}}]}),
    )
}

#[test]
fn service_principals() {
    // A service writing into a bucket on behalf of an account (aws:SourceAccount).
    let bucket = policy(
        json!([{"Sid": "AWSLogDeliveryWrite", "Effect": "Allow", "Principal": {"Service": "delivery.logs.amazonaws.com"},
        "Action": "s3:PutObject", "Resource": format!("{BUCKET}/AWSLogs/*"),
        "Condition": {"StringEquals": {"aws:SourceAccount": CUSTOMER}}}]),
    );
    let object = format!("{BUCKET}/AWSLogs/x.gz");
    for (name, who, context, decision) in [
        (
            "the service for the account",
            RequestPrincipal::service("delivery.logs.amazonaws.com"),
            Context::new().with_source_account(Some(CUSTOMER)),
            Allowed,
        ),
        (
            "for another account",
            RequestPrincipal::service("delivery.logs.amazonaws.com"),
            Context::new().with_source_account(Some(VENDOR)),
            Denied,
        ),
        (
            "source account unknown",
            RequestPrincipal::service("delivery.logs.amazonaws.com"),
            Context::new(),
            Unknown,
        ),
        (
            "another service",
            RequestPrincipal::service("cloudtrail.amazonaws.com"),
            Context::new().with_source_account(Some(CUSTOMER)),
            Denied,
        ),
        (
            "a role is not the service",
            vendor_session(),
            Context::new().with_source_account(Some(CUSTOMER)),
            Denied,
        ),
    ] {
        let request = Request::new(who, "s3:PutObject", object.clone()).with_context(context);
        let verdict = cross(&request, &bucket);
        expect(name, &verdict, decision);
        assert!(
            verdict
                .notes
                .iter()
                .all(|n| !matches!(n, Note::PrincipalAccountMustAllow { .. })
                    || request.principal.is_aws_identity())
        );
    }
}

#[test]
fn principal_values_s3dest_cannot_compare() {
    let with = |principal: Value| {
        policy(
            json!([{"Effect": "Allow", "Principal": principal, "Action": "s3:GetObject", "Resource": format!("{BUCKET}/*")}]),
        )
    };
    for (name, principal, decision) in [
        (
            "a canonical user might be the vendor's account",
            json!({"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}),
            Unknown,
        ),
        (
            "a partial wildcard, which IAM refuses",
            json!({"AWS": "arn:aws:iam::444455556666:role/vendor-*"}),
            Unknown,
        ),
        (
            "a deleted role's unique ID names nobody",
            json!({"AWS": "AROA3XFRBF535EXAMPLE1"}),
            Denied,
        ),
        ("the bare account ID", json!({"AWS": VENDOR}), Allowed),
        (
            "the role among others",
            json!({"AWS": ["arn:aws:iam::999999999999:root", VENDOR_ROLE]}),
            Allowed,
        ),
    ] {
        let request = Request::new(vendor_session(), "s3:GetObject", OBJECT);
        expect(name, &cross(&request, &with(principal)), decision);
    }
    // Statements a resource policy or an identity policy cannot have.
    let no_principal =
        policy(json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]));
    let request = Request::new(vendor_session(), "s3:GetObject", OBJECT);
    let verdict = cross(&request, &no_principal);
    expect(
        "a bucket policy statement without a principal",
        &verdict,
        Unknown,
    );
    assert!(matches!(
        verdict.decided_by[0].uncertain[0],
        Uncertainty::MalformedStatement { .. }
    ));
}

#[test]
fn principal_condition_keys_come_from_the_principal() {
    let request = Request::new(vendor_session().with_org_id("o-1"), "s3:GetObject", OBJECT);
    assert_eq!(
        request.value("aws:principalarn"),
        ContextValue::known(VENDOR_ROLE)
    );
    assert_eq!(
        request.value(keys::PRINCIPAL_ACCOUNT),
        ContextValue::known(VENDOR)
    );
    assert_eq!(
        request.value(keys::PRINCIPAL_ORG_ID),
        ContextValue::known("o-1")
    );
    assert_eq!(
        request.value(keys::PRINCIPAL_TYPE),
        ContextValue::known("AssumedRole")
    );
    assert_eq!(
        request.value(keys::PRINCIPAL_SERVICE_NAME),
        ContextValue::Absent
    );
    assert_eq!(request.value(keys::SOURCE_IP), ContextValue::Unknown);
    let overridden = request
        .clone()
        .with_context(Context::new().with_principal_org_id(None));
    assert_eq!(
        overridden.value(keys::PRINCIPAL_ORG_ID),
        ContextValue::Absent
    );
    let anonymous = Request::new(RequestPrincipal::anonymous(), "s3:GetObject", OBJECT);
    assert_eq!(anonymous.value(keys::PRINCIPAL_ARN), ContextValue::Absent);
    assert_eq!(
        vendor_session().session_arn().as_deref(),
        Some("arn:aws:sts::444455556666:assumed-role/vendor-writer/export")
    );
    let statement_index = policy(json!([
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}]));
    let verdict = same(
        &Request::new(
            RequestPrincipal::user("arn:aws:iam::1:user/u"),
            "s3:GetObject",
            OBJECT,
        ),
        &[&statement_index],
        None,
    );
    assert_eq!(verdict.decided_by[0].statement, Some(StatementId::Index(2)));
    assert_eq!(
        verdict.decided_by[0].to_string(),
        "identity policy 1, statement 2, denies it"
    );
}
