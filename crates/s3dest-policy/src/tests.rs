//! Unit tests of policy equality, parsing and canonical output, through one helper each.

use serde_json::json;

use crate::{PolicyDocument, Statement, normalize_aws_principal};

fn parse(text: &str) -> PolicyDocument {
    PolicyDocument::parse_aws(text).unwrap_or_else(|e| panic!("{e}\nin {text}"))
}

fn without_sids(doc: &PolicyDocument) -> PolicyDocument {
    let mut doc = doc.clone();
    doc.id = None;
    for s in &mut doc.statements {
        s.sid = None;
    }
    doc
}

/// Whether two policy texts (JSON or percent-encoded JSON) are equivalent; also checks
/// that equality is symmetric, that equal documents print the same canonical text
/// once Sids are set aside, and that both survive a trip through `to_value`.
fn eq(a: &str, b: &str) -> bool {
    let (a, b) = (parse(a), parse(b));
    let result = a.equivalent(&b);
    assert_eq!(result, b.equivalent(&a), "equality must be symmetric");
    assert_eq!(result, a == b);
    if result {
        assert_eq!(
            without_sids(&a).to_canonical_pretty(),
            without_sids(&b).to_canonical_pretty()
        );
    }
    for doc in [&a, &b] {
        let back = PolicyDocument::from_value(&doc.to_value()).unwrap();
        assert!(back.equivalent(doc));
        assert_eq!(back.to_canonical_pretty(), doc.to_canonical_pretty());
        let canonical = doc.canonical();
        assert_eq!(canonical.to_canonical_pretty(), doc.to_canonical_pretty());
        assert!(canonical.equivalent(doc));
    }
    result
}

/// The error message for a policy text that must not parse.
fn err(text: &str) -> String {
    match PolicyDocument::parse_aws(text) {
        Ok(doc) => panic!("parsed, expected an error: {doc:?}"),
        Err(e) => e.to_string(),
    }
}

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole",
    "Condition":{"StringEquals":{"sts:ExternalId":"ext-123"}}}]}"#;

/// Percent-encodes like IAM: every byte but unreserved characters becomes `%XX`.
fn url_encode(text: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(text, SET).to_string()
}

#[test]
fn order_does_not_matter() {
    let a = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":["s3:ListBucket","s3:GetBucketLocation"],"Resource":"arn:aws:s3:::b"},
        {"Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"Resource":["arn:aws:s3:::b/*","arn:aws:s3:::b/x/*"]}]}"#;
    let b = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":["arn:aws:s3:::b/x/*","arn:aws:s3:::b/*"]},
        {"Effect":"Allow","Action":["s3:GetBucketLocation","s3:ListBucket"],"Resource":"arn:aws:s3:::b"}]}"#;
    assert!(eq(a, b));
}

#[test]
fn principal_and_condition_value_order_does_not_matter() {
    let a = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
        "Principal":{"AWS":["arn:aws:iam::1:role/a","arn:aws:iam::1:role/b"]},"Action":"sts:AssumeRole",
        "Condition":{"StringEquals":{"sts:ExternalId":["x","y"]}}}]}"#;
    let b = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
        "Principal":{"AWS":["arn:aws:iam::1:role/b","arn:aws:iam::1:role/a"]},"Action":"sts:AssumeRole",
        "Condition":{"StringEquals":{"sts:ExternalId":["y","x"]}}}]}"#;
    assert!(eq(a, b));
}

#[test]
fn duplicates_do_not_matter() {
    let a = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":["s3:GetObject","s3:GetObject"],"Resource":["r","r"]},
        {"Effect":"Allow","Action":"s3:GetObject","Resource":"r"}]}"#;
    let b = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"r"}}"#;
    assert!(eq(a, b));
}

#[test]
fn string_equals_one_element_list() {
    let a = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
        "Principal":{"AWS":"arn:aws:iam::123456789012:role/r"},"Action":"sts:AssumeRole","Resource":"*",
        "Condition":{"StringEquals":{"sts:ExternalId":"e"}}}]}"#;
    let b = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
        "Principal":{"AWS":["arn:aws:iam::123456789012:role/r"]},"Action":["sts:AssumeRole"],"Resource":["*"],
        "Condition":{"StringEquals":{"sts:ExternalId":["e"]}}}]}"#;
    assert!(eq(a, b));
    // A single statement object is a one-element statement list.
    let single = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow",
        "Principal":{"AWS":"arn:aws:iam::123456789012:role/r"},"Action":"sts:AssumeRole","Resource":"*",
        "Condition":{"StringEquals":{"sts:ExternalId":"e"}}}}"#;
    assert!(eq(a, single));
}

#[test]
fn account_id_equals_root_arn() {
    let bare = TRUST.replace("arn:aws:iam::123456789012:root", "123456789012");
    assert!(eq(TRUST, &bare));
    // ...but another account, or a role in the same account, is a different principal.
    assert!(!eq(TRUST, &TRUST.replace("123456789012", "123456789013")));
    assert!(!eq(
        TRUST,
        &TRUST.replace(
            "arn:aws:iam::123456789012:root",
            "arn:aws:iam::123456789012:role/r"
        )
    ));
    assert_eq!(
        normalize_aws_principal("123456789012"),
        "arn:aws:iam::123456789012:root"
    );
    assert_eq!(normalize_aws_principal("12345678901"), "12345678901");
    assert_eq!(normalize_aws_principal("*"), "*");
    assert_eq!(normalize_aws_principal("AROAEXAMPLE"), "AROAEXAMPLE");
}

#[test]
fn star_principal_equals_aws_star() {
    let star = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*",
        "Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
    assert!(eq(
        star,
        &star.replace(r#""Principal":"*""#, r#""Principal":{"AWS":"*"}"#)
    ));
    assert!(eq(
        star,
        &star.replace(r#""Principal":"*""#, r#""Principal":{"AWS":["*","*"]}"#)
    ));
    assert!(!eq(
        star,
        &star.replace(
            r#""Principal":"*""#,
            r#""Principal":{"AWS":"123456789012"}"#
        )
    ));
    assert!(!eq(
        star,
        &star.replace(r#""Principal":"*""#, r#""NotPrincipal":"*""#)
    ));
}

#[test]
fn actions_compare_case_insensitively() {
    let a = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","S3:GETOBJECT"],"Resource":"r"}]}"#;
    let b = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:putobject","s3:GetObject"],"Resource":"r"}]}"#;
    assert!(eq(a, b));
    // Resources are case-sensitive.
    assert!(!eq(a, &a.replace(r#""r""#, r#""R""#)));
}

#[test]
fn sid_and_id_do_not_matter() {
    let with = r#"{"Version":"2012-10-17","Id":"doc","Statement":[{"Sid":"One","Effect":"Allow","Action":"s3:GetObject","Resource":"r"}]}"#;
    let other = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Two","Effect":"Allow","Action":"s3:GetObject","Resource":"r"}]}"#;
    let without = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"r"}]}"#;
    assert!(eq(with, other));
    assert!(eq(with, without));
    // The Sid is kept all the same.
    let doc = parse(with);
    assert_eq!(doc.canonical().statements[0].sid.as_deref(), Some("One"));
    assert!(doc.statement_by_sid("One").is_some());
    assert!(doc.statement_by_sid("Two").is_none());
    assert_eq!(doc.canonical().id.as_deref(), Some("doc"));
}

#[test]
fn missing_version_is_2008() {
    let v2012 = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"r"}]}"#;
    let v2008 = r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"r"}]}"#;
    let none = r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"r"}]}"#;
    assert!(eq(none, v2008));
    assert!(!eq(none, v2012));
    assert!(!eq(v2008, v2012));
    assert_eq!(
        parse(none).canonical().version.as_deref(),
        Some("2008-10-17")
    );
}

#[test]
fn url_encoded_form_equals_json() {
    // As IAM returns it from GetRole (AssumeRolePolicyDocument).
    let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C\
                   %22Principal%22%3A%7B%22AWS%22%3A%22arn%3Aaws%3Aiam%3A%3A123456789012%3Aroot%22%7D%2C\
                   %22Action%22%3A%22sts%3AAssumeRole%22%2C%22Condition%22%3A%7B%22StringEquals%22%3A%7B\
                   %22sts%3AExternalId%22%3A%22ext-123%22%7D%7D%7D%5D%7D";
    assert!(eq(TRUST, encoded));
    assert!(eq(TRUST, &url_encode(TRUST)));
    // With spaces and newlines encoded too.
    let pretty = serde_json::to_string_pretty(&parse(TRUST).to_value()).unwrap();
    assert!(pretty.contains(' '));
    assert!(eq(&url_encode(&pretty), TRUST));
    // An encoded document that differs is still different.
    assert!(!eq(
        &url_encode(&TRUST.replace("ext-123", "ext-124")),
        TRUST
    ));
}

#[test]
fn url_decoding_is_not_form_decoding() {
    let plus = TRUST.replace("ext-123", "a+b");
    // `+` left as is by the encoder: it must stay a `+`, not become a space.
    let encoded = url_encode(&TRUST.replace("ext-123", "aPLUSb")).replace("PLUS", "+");
    assert!(eq(&encoded, &plus));
    assert!(!eq(&encoded, &TRUST.replace("ext-123", "a b")));
    // `%2B` is a `+` too.
    assert!(eq(&url_encode(&plus), &plus));
}

#[test]
fn json_is_not_decoded_again() {
    // A document that parses as JSON is taken as is, even when it contains `%`.
    let doc = TRUST.replace("ext-123", "100%25");
    let parsed = parse(&doc);
    let value = parsed.to_value();
    assert_eq!(
        value["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"],
        json!(["100%25"])
    );
}

#[test]
fn aroa_unique_id_is_drift() {
    let role = TRUST.replace(
        "arn:aws:iam::123456789012:root",
        "arn:aws:iam::123456789012:role/vendor",
    );
    let rewritten = TRUST.replace("arn:aws:iam::123456789012:root", "AROA3XFRBF535EXAMPLE1");
    assert!(!eq(&role, &rewritten));
    assert!(eq(
        &rewritten,
        &rewritten.replace(r#""AROA3XFRBF535EXAMPLE1""#, r#"["AROA3XFRBF535EXAMPLE1"]"#)
    ));
}

#[test]
fn bool_and_number_conditions_equal_their_text() {
    let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*",
        "Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"},"NumericLessThan":{"s3:TlsVersion":"1.2"}}}]}"#;
    let typed = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*",
        "Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false},"NumericLessThan":{"s3:TlsVersion":[1.2]}}}]}"#;
    assert!(eq(text, typed));
    assert!(!eq(typed, &typed.replace("false", "true")));
    assert!(!eq(typed, &typed.replace("1.2", "1.3")));
}

#[test]
fn empty_condition_equals_none() {
    let none = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"r"}]}"#;
    let empty = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"r","Condition":{}}]}"#;
    let empty_op = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"r","Condition":{"StringEquals":{}}}]}"#;
    assert!(eq(none, empty));
    assert!(eq(none, empty_op));
}

#[test]
fn grant_changes_break_equality() {
    let base = r#"{"Version":"2012-10-17","Statement":[
        {"Sid":"A","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/r"},
         "Action":["s3:PutObject","s3:GetObject"],"Resource":["arn:aws:s3:::b/*","arn:aws:s3:::b"],
         "Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}}]}"#;
    let changes = [
        (r#""s3:GetObject""#, r#""s3:GetObject","s3:DeleteObject""#),
        (r#""s3:PutObject","#, ""),
        (r#","arn:aws:s3:::b""#, ""),
        (r#""arn:aws:s3:::b/*","#, r#""arn:aws:s3:::b/x/*","#),
        (r#""Allow""#, r#""Deny""#),
        ("role/r", "role/s"),
        ("bucket-owner-full-control", "private"),
        ("s3:x-amz-acl", "s3:x-amz-grant-full-control"),
        ("StringEquals", "StringLike"),
        (r#""Action""#, r#""NotAction""#),
        (r#""Resource""#, r#""NotResource""#),
        (r#""Principal""#, r#""NotPrincipal""#),
    ];
    for (from, to) in changes {
        let changed = base.replacen(from, to, 1);
        assert_ne!(changed, base, "{from} not found");
        assert!(!eq(base, &changed), "{from} -> {to} must be a change");
    }
    // A statement more is a change, even when it repeats another's grant but one.
    let more = format!(
        r#"{}, {{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}]}}"#,
        base.strip_suffix("]}").unwrap()
    );
    assert!(!eq(base, &more));
}

#[test]
fn statement_equivalence_ignores_sid() {
    let a = Statement::allow()
        .with_sid("A")
        .with_actions(["s3:GetObject", "s3:PutObject"])
        .with_resources(["r"]);
    let b = Statement::allow()
        .with_sid("B")
        .with_actions(["s3:putobject", "s3:getobject", "s3:GetObject"])
        .with_resources(["r"]);
    assert!(a.equivalent(&b));
    assert_eq!(a, b);
    assert_ne!(a, b.clone().with_resources(["s"]));
    let c = Statement::deny()
        .with_actions(["s3:GetObject", "s3:PutObject"])
        .with_resources(["r"]);
    assert_ne!(a, c);
    let back = Statement::from_value(&a.to_value()).unwrap();
    assert_eq!(back.sid.as_deref(), Some("A"));
    assert_eq!(back, a);
}

#[test]
fn builders_produce_aws_json() {
    let doc = PolicyDocument::new(vec![
        Statement::allow()
            .with_principal_aws(["123456789012"])
            .with_actions(["sts:AssumeRole"])
            .with_condition("StringEquals", "sts:ExternalId", ["ext-123"]),
    ]);
    assert_eq!(
        doc.to_value(),
        json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": ["123456789012"]},
            "Action": ["sts:AssumeRole"],
            "Condition": {"StringEquals": {"sts:ExternalId": ["ext-123"]}}
        }]})
    );
    assert_eq!(doc, parse(TRUST));
    let json = doc.to_json();
    assert!(
        json.starts_with(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal""#)
    );
}

#[test]
fn to_value_key_order() {
    let text = r#"{"Statement":[{"Condition":{"Bool":{"aws:SecureTransport":false}},"NotResource":"x",
        "NotAction":"s3:GetObject","NotPrincipal":{"AWS":"*"},"Effect":"Deny","Sid":"S"}],"Id":"I","Version":"2012-10-17"}"#;
    let value = parse(text).to_value();
    let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["Version", "Id", "Statement"]);
    let keys: Vec<&String> = value["Statement"][0].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "Sid",
            "Effect",
            "NotPrincipal",
            "NotAction",
            "NotResource",
            "Condition"
        ]
    );
    let text = r#"{"Statement":[{"Resource":"r","Action":"s3:GetObject","Principal":"*","Effect":"Allow"}]}"#;
    let value = parse(text).to_value();
    let keys: Vec<&String> = value["Statement"][0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["Effect", "Principal", "Action", "Resource"]);
}

#[test]
fn canonical_pretty_is_stable() {
    let text = r#"{"Statement":[
        {"Sid":"Write","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:role/b","111122223333"]},
         "Action":["s3:putobject","s3:PutObject","S3:GetObject*"],"Resource":["arn:aws:s3:::b/*","arn:aws:s3:::b"]},
        {"Effect":"Deny","Principal":{"AWS":"*"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*",
         "Condition":{"Bool":{"aws:SecureTransport":false}}}]}"#;
    let expect = r#"{
  "Version": "2008-10-17",
  "Statement": [
    {
      "Effect": "Deny",
      "Principal": "*",
      "Action": [
        "s3:*"
      ],
      "Resource": [
        "arn:aws:s3:::b/*"
      ],
      "Condition": {
        "Bool": {
          "aws:SecureTransport": [
            "false"
          ]
        }
      }
    },
    {
      "Sid": "Write",
      "Effect": "Allow",
      "Principal": {
        "AWS": [
          "arn:aws:iam::111122223333:role/b",
          "arn:aws:iam::111122223333:root"
        ]
      },
      "Action": [
        "s3:GetObject*",
        "s3:PutObject"
      ],
      "Resource": [
        "arn:aws:s3:::b",
        "arn:aws:s3:::b/*"
      ]
    }
  ]
}"#;
    assert_eq!(parse(text).to_canonical_pretty(), expect);
    assert_eq!(
        PolicyDocument::parse(expect).unwrap().to_canonical_pretty(),
        expect
    );
}

#[test]
fn parse_errors_name_the_place() {
    let cases = [
        ("[]", "policy must be a json object, found a list"),
        (
            r#"{"Version":"2012-10-17","Statment":[]}"#,
            "policy: unknown key `Statment` (expected one of `Version`, `Id`, `Statement`)",
        ),
        (r#"{"Version":"2012-10-17"}"#, "policy: missing `Statement`"),
        (
            r#"{"Version":"2012-10-18","Statement":[]}"#,
            "policy: `Version` is `2012-10-18`, expected `2012-10-17` or `2008-10-17`",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"a"},{"Sid":"S","Effect":"allow","Action":"a"}]}"#,
            "statement 2 (sid `S`): `Effect` is `allow`, expected `Allow` or `Deny`",
        ),
        (
            r#"{"Statement":[{"Sid":"S","Effect":"Allow","Actions":"a"}]}"#,
            "statement 1 (sid `S`): unknown key `Actions` (expected one of `Sid`, `Effect`, \
             `Principal`, `NotPrincipal`, `Action`, `NotAction`, `Resource`, `NotResource`, `Condition`)",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Resource":"r"}]}"#,
            "statement 1: missing `Action` or `NotAction`",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"a","NotAction":"b"}]}"#,
            "statement 1: `Action` and `NotAction` cannot be used together",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":["a",1]}]}"#,
            "statement 1: `Action[1]` must be a string, found a number",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"a","Principal":"arn:aws:iam::123456789012:root"}]}"#,
            "statement 1: `Principal` is `arn:aws:iam::123456789012:root`, expected `\"*\"` or an \
             object such as `{\"AWS\": \"arn:aws:iam::123456789012:root\"}`",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"a","Principal":{"Aws":"*"}}]}"#,
            "statement 1, `Principal`: unknown key `Aws` (expected one of `AWS`, `Service`, \
             `Federated`, `CanonicalUser`)",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"a","Condition":{"Null":{"k":null}}}]}"#,
            "statement 1: `Condition.Null.k` must be a string, boolean or number, or a list of \
             them, found null",
        ),
        (
            r#"{"Statement":[{"Sid":"S","Effect":"Allow","Action":"a"},{"Sid":"S","Effect":"Deny","Action":"a"}]}"#,
            "statements 1 and 2 both have sid `S`; a sid must be unique in a policy",
        ),
        (
            "%7B%22Version",
            "policy is neither json nor percent-encoded json: after percent-decoding: EOF while parsing a string at line 1 column 9",
        ),
        (
            "%FF",
            "policy is neither json nor percent-encoded json: the percent-decoded text is not utf-8 (invalid utf-8 sequence of 1 bytes from index 0)",
        ),
        (
            "{",
            "policy is not valid json: EOF while parsing an object at line 1 column 1",
        ),
    ];
    for (text, expect) in cases {
        assert_eq!(err(text), expect, "for {text}");
    }
    let statement = Statement::from_value(&json!("s3:GetObject")).unwrap_err();
    assert_eq!(
        statement.to_string(),
        "statement must be a json object, found a string"
    );
}

#[test]
fn strict_parse_does_not_decode() {
    assert!(PolicyDocument::parse(&url_encode(TRUST)).is_err());
    assert!(PolicyDocument::parse(TRUST).is_ok());
}
