//! Unit tests of the evaluator's parts that the public API shows only indirectly.

use super::condition;
use super::request::{Context, Request, RequestPrincipal};
use super::truth::Truth;
use crate::PolicyDocument;

fn holds(operator: &str, key: &str, values: &[&str], context: Context) -> Truth {
    let mut conditions = std::collections::BTreeMap::new();
    conditions.insert(
        operator.to_owned(),
        [(
            key.to_owned(),
            values.iter().map(|v| (*v).to_owned()).collect(),
        )]
        .into_iter()
        .collect(),
    );
    let request = Request::new(
        RequestPrincipal::user("arn:aws:iam::111122223333:user/u"),
        "s3:GetObject",
        "*",
    )
    .with_context(context);
    condition::holds(&conditions, &request, true)
}

/// A key missing from the request, for every kind of operator (IAM User Guide,
/// "Condition operators": false, except negated operators, `…IfExists`, `Null` and
/// `ForAllValues:`).
#[test]
fn a_missing_key() {
    let absent = || Context::new().with_absent("k");
    for (operator, expected) in [
        ("StringEquals", false),
        ("StringLike", false),
        ("StringNotEquals", true),
        ("StringNotLike", true),
        ("StringNotEqualsIgnoreCase", true),
        ("ArnLike", false),
        ("ArnNotEquals", true),
        ("NumericEquals", false),
        ("NumericNotEquals", true),
        ("NumericLessThan", false),
        ("DateEquals", false),
        ("DateNotEquals", true),
        ("IpAddress", false),
        ("NotIpAddress", true),
        ("Bool", false),
        ("StringEqualsIfExists", true),
        ("NumericLessThanIfExists", true),
        ("StringNotEqualsIfExists", true),
        ("ForAnyValue:StringEquals", false),
        ("ForAnyValue:StringNotEquals", false),
        ("ForAllValues:StringEquals", true),
        ("ForAllValues:StringNotLike", true),
    ] {
        assert_eq!(
            holds(operator, "k", &["1"], absent()),
            Truth::from_bool(expected),
            "{operator} on a missing key"
        );
    }
    assert_eq!(holds("Null", "k", &["true"], absent()), Truth::Yes);
    assert_eq!(holds("Null", "k", &["false"], absent()), Truth::No);
}

/// Whatever the operator, an unknown key is unknown, an empty condition holds.
#[test]
fn an_unknown_key() {
    for operator in [
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIfExists",
        "ForAllValues:StringLike",
        "ForAnyValue:StringLike",
        "Null",
        "Bool",
        "NotIpAddress",
    ] {
        let t = holds(operator, "k", &["1"], Context::new());
        assert!(matches!(t, Truth::Unknown(_)), "{operator}: {t:?}");
    }
    let request = Request::new(RequestPrincipal::anonymous(), "s3:GetObject", "*");
    assert_eq!(
        condition::holds(&Default::default(), &request, true),
        Truth::Yes
    );
}

/// Several request values against several policy values (IAM User Guide, "Creating a
/// condition with multiple keys or values": the PostDateTime/UserName tables).
#[test]
fn set_operators() {
    let request = || Context::new().with_known("k", ["PostDateTime", "UserName"]);
    let policy = ["PostDateTime", "Message", "Tags"];
    assert_eq!(
        holds("ForAllValues:StringLike", "k", &policy, request()),
        Truth::No
    );
    assert_eq!(
        holds("ForAnyValue:StringLike", "k", &policy, request()),
        Truth::Yes
    );
    assert_eq!(
        holds("ForAllValues:StringNotEquals", "k", &["ID"], request()),
        Truth::Yes
    );
    assert_eq!(
        holds("ForAnyValue:StringNotEquals", "k", &["UserName"], request()),
        Truth::Yes
    );
    assert_eq!(
        holds(
            "ForAllValues:StringNotEquals",
            "k",
            &["UserName"],
            request()
        ),
        Truth::No
    );
    assert!(matches!(
        holds("StringLike", "k", &policy, request()),
        Truth::Unknown(_)
    ));
}

#[test]
fn documents_without_version_have_no_variables() {
    let doc = PolicyDocument::parse(
        r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}"}]}"#,
    )
    .unwrap();
    let request = Request::new(
        RequestPrincipal::user("arn:aws:iam::1:user/u"),
        "s3:GetObject",
        "arn:aws:s3:::b/${aws:username}",
    );
    let verdict = super::evaluate_same_account(&request, &[super::Labeled::new("p", &doc)], None);
    assert!(verdict.is_allowed(), "{verdict}");
}
