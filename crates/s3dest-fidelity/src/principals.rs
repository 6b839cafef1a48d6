//! Principals in policy documents: reading them (for IAM propagation and for refusing
//! unique ids), and replacing a deleted role's ARN by its unique id, as IAM does.

use std::collections::BTreeMap;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde_json::Value;

/// RFC 3986: everything but the unreserved characters is encoded, as IAM does.
const IAM_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub fn percent_encode(text: &str) -> String {
    utf8_percent_encode(text, IAM_ENCODE).to_string()
}

/// A policy document as IAM or S3 hold it: plain JSON, or IAM's percent-encoding.
pub fn parse_document(text: &str) -> Option<(Value, bool)> {
    let trimmed = text.trim();
    if trimmed.starts_with('{') {
        return serde_json::from_str(trimmed).ok().map(|v| (v, false));
    }
    let decoded = percent_decode_str(trimmed).decode_utf8().ok()?;
    serde_json::from_str(&decoded).ok().map(|v| (v, true))
}

fn statements(policy: &Value) -> Vec<&Value> {
    match policy.get("Statement") {
        Some(Value::Array(list)) => list.iter().collect(),
        Some(statement @ Value::Object(_)) => vec![statement],
        _ => Vec::new(),
    }
}

fn statements_mut(policy: &mut Value) -> Vec<&mut Value> {
    match policy.get_mut("Statement") {
        Some(Value::Array(list)) => list.iter_mut().collect(),
        Some(statement @ Value::Object(_)) => vec![statement],
        _ => Vec::new(),
    }
}

/// The `AWS` principals of one statement, from `Principal` and `NotPrincipal`:
/// `"*"` stands for itself.
pub fn statement_aws_principals(statement: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for field in ["Principal", "NotPrincipal"] {
        match statement.get(field) {
            Some(Value::String(s)) => out.push(s.clone()),
            Some(Value::Object(map)) => match map.get("AWS") {
                Some(Value::String(s)) => out.push(s.clone()),
                Some(Value::Array(list)) => {
                    out.extend(list.iter().filter_map(Value::as_str).map(str::to_owned));
                }
                _ => {}
            },
            _ => {}
        }
    }
    out
}

/// Every `AWS` principal named in a policy.
pub fn aws_principals(policy: &Value) -> Vec<String> {
    statements(policy)
        .into_iter()
        .flat_map(statement_aws_principals)
        .collect()
}

/// A role's or user's unique id (`AROA…`, `AIDA…`), which IAM shows for a deleted
/// principal and refuses in new policies.
pub fn is_unique_id(principal: &str) -> bool {
    let prefixed = principal.starts_with("AROA") || principal.starts_with("AIDA");
    prefixed
        && principal.len() >= 16
        && principal
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// Replaces ARNs by unique ids among the `AWS` principals. Whether anything changed.
pub fn replace_principals(policy: &mut Value, ids: &BTreeMap<String, String>) -> bool {
    let mut changed = false;
    let mut swap = |value: &mut Value| {
        if let Some(id) = value.as_str().and_then(|arn| ids.get(arn)) {
            *value = Value::String(id.clone());
            changed = true;
        }
    };
    for statement in statements_mut(policy) {
        for field in ["Principal", "NotPrincipal"] {
            let Some(Value::Object(map)) = statement.get_mut(field) else {
                continue;
            };
            match map.get_mut("AWS") {
                Some(Value::Array(list)) => list.iter_mut().for_each(&mut swap),
                Some(value) => swap(value),
                None => {}
            }
        }
    }
    changed
}

/// A policy document's text with deleted principals replaced, in the form it came
/// in (plain or percent-encoded); `None` when nothing changed.
pub fn rewrite_document(text: &str, ids: &BTreeMap<String, String>) -> Option<String> {
    if ids.is_empty() {
        return None;
    }
    let (mut policy, encoded) = parse_document(text)?;
    if !replace_principals(&mut policy, ids) {
        return None;
    }
    let json = policy.to_string();
    Some(if encoded { percent_encode(&json) } else { json })
}

/// The elements of an IAM answer that hold policy documents.
const IAM_DOCUMENTS: &[&str] = &["AssumeRolePolicyDocument", "PolicyDocument", "Document"];

/// Applies `change` to every policy document in an IAM XML answer; `None` when no
/// document changed.
pub fn map_iam_documents(body: &str, change: impl Fn(&str) -> Option<String>) -> Option<String> {
    let doc = crate::xml::parse(body).ok()?;
    let mut edits = crate::xml::Splices::default();
    for node in doc.descendants().filter(|n| n.is_element()) {
        let name = node.tag_name().name();
        if !IAM_DOCUMENTS.contains(&name) {
            continue;
        }
        if let Some(new) = change(node.text().unwrap_or("")) {
            edits.replace(node, crate::xml::element(name, &new));
        }
    }
    (!edits.is_empty()).then(|| edits.apply(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLE: &str = "arn:aws:iam::123456789012:role/s3dest/vendor";

    fn policy() -> Value {
        serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "A", "Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "s3:GetObject", "Resource": "*"},
                {"Sid": "B", "Effect": "Allow", "Principal": {"AWS": [ROLE, "arn:aws:iam::123456789012:root"]},
                 "Action": "s3:*", "Resource": "*", "Condition": {"ArnEquals": {"aws:PrincipalArn": ROLE}}},
                {"Sid": "C", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"},
                {"Sid": "D", "Effect": "Deny", "NotPrincipal": {"AWS": "AIDAEXAMPLEEXAMPLE01"}, "Action": "s3:*", "Resource": "*"}
            ]
        })
    }

    #[test]
    fn reads_every_form_of_principal() {
        assert_eq!(
            aws_principals(&policy()),
            [
                ROLE,
                ROLE,
                "arn:aws:iam::123456789012:root",
                "*",
                "AIDAEXAMPLEEXAMPLE01"
            ]
        );
        let single =
            serde_json::json!({"Statement": {"Principal": {"Service": "s3.amazonaws.com"}}});
        assert!(aws_principals(&single).is_empty());
    }

    #[test]
    fn unique_ids_are_recognised() {
        assert!(is_unique_id("AROA1234567890EXAMPLE"));
        assert!(is_unique_id("AIDAEXAMPLEEXAMPLE01"));
        assert!(!is_unique_id(ROLE));
        assert!(!is_unique_id("AROA"));
        assert!(!is_unique_id("*"));
    }

    #[test]
    fn replaces_principals_but_not_conditions() {
        let ids = BTreeMap::from([(ROLE.to_owned(), "AROA1234567890EXAMPLE".to_owned())]);
        let mut p = policy();
        assert!(replace_principals(&mut p, &ids));
        assert_eq!(
            p["Statement"][0]["Principal"]["AWS"],
            "AROA1234567890EXAMPLE"
        );
        assert_eq!(
            p["Statement"][1]["Principal"]["AWS"][0],
            "AROA1234567890EXAMPLE"
        );
        assert_eq!(
            p["Statement"][1]["Condition"]["ArnEquals"]["aws:PrincipalArn"],
            ROLE
        );
        assert!(!replace_principals(&mut p, &ids), "nothing left to replace");
    }

    #[test]
    fn documents_keep_their_encoding() {
        let ids = BTreeMap::from([(ROLE.to_owned(), "AROA1234567890EXAMPLE".to_owned())]);
        let plain = policy().to_string();
        let rewritten = rewrite_document(&plain, &ids).unwrap();
        assert!(rewritten.starts_with('{') && rewritten.contains("AROA1234567890EXAMPLE"));
        let encoded = percent_encode(&plain);
        assert!(
            encoded.starts_with("%7B%22Version%22%3A%222012-10-17%22"),
            "{encoded}"
        );
        let rewritten = rewrite_document(&encoded, &ids).unwrap();
        assert!(rewritten.starts_with("%7B"));
        let (decoded, was_encoded) = parse_document(&rewritten).unwrap();
        assert!(was_encoded);
        assert_eq!(
            decoded["Statement"][0]["Principal"]["AWS"],
            "AROA1234567890EXAMPLE"
        );
        assert_eq!(rewrite_document("{}", &ids), None);
        assert_eq!(rewrite_document("not json", &ids), None);
    }

    #[test]
    fn maps_the_documents_of_an_iam_answer() {
        let doc = xml_text(&policy().to_string());
        let body = format!(
            "<GetRoleResponse><GetRoleResult><Role><RoleName>x</RoleName><AssumeRolePolicyDocument>{doc}</AssumeRolePolicyDocument></Role></GetRoleResult></GetRoleResponse>"
        );
        let ids = BTreeMap::from([(ROLE.to_owned(), "AROA1234567890EXAMPLE".to_owned())]);
        let out = map_iam_documents(&body, |d| rewrite_document(d, &ids)).unwrap();
        assert!(out.contains("AROA1234567890EXAMPLE") && out.contains("<RoleName>x</RoleName>"));
        assert_eq!(map_iam_documents(&body, |_| None), None);
    }

    fn xml_text(text: &str) -> String {
        crate::xml::escape(text)
    }
}
