//! Editing a shared bucket policy by Sid: the pure part of apply's read-modify-write.
//!
//! A bucket policy is one document shared by every tool and person. s3dest works on
//! the JSON it read, not on a re-serialized typed document, so that every statement it
//! does not own comes back byte for byte as AWS gave it (key order, spelling, list or
//! string), and the document's own `Version` and `Id` are kept.

use std::collections::BTreeSet;

use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

use s3dest_policy::{PolicyDocument, Statement};

/// What to write after merging.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PolicyWrite {
    /// The policy already holds exactly this: no call needed.
    Unchanged,
    /// `PutBucketPolicy` with this compact JSON.
    Put(String),
    /// `DeleteBucketPolicy`: the last statements were ours and are gone.
    Delete,
}

/// Replaces the statements with these Sids in `current` (the policy text as
/// `GetBucketPolicy` returned it, `None` when the bucket has none): each put statement
/// takes the place of the statement with its Sid, or is appended; each deleted Sid is
/// removed. Every other statement is kept as it was.
pub(crate) fn merge(
    current: Option<&str>,
    puts: &[&Statement],
    deletes: &[&str],
) -> Result<PolicyWrite, String> {
    let put_sids: BTreeSet<&str> = puts.iter().filter_map(|s| s.sid.as_deref()).collect();
    if put_sids.len() != puts.len() {
        return Err("a statement to put has no sid, or two have the same sid".to_owned());
    }
    let (mut doc, old_statements) = match current {
        Some(text) => {
            let Value::Object(mut doc) = parse_json(text)? else {
                return Err("the policy is not a json object".to_owned());
            };
            let statements = match doc.remove("Statement") {
                Some(Value::Array(list)) => list,
                // AWS accepts a lone statement object; a list of one means the same.
                Some(one @ Value::Object(_)) => vec![one],
                None => Vec::new(),
                Some(_) => return Err("`Statement` is neither a list nor an object".to_owned()),
            };
            // Put the key back now so that it keeps its place among the others.
            doc.insert("Statement".to_owned(), Value::Null);
            (doc, statements)
        }
        None => {
            let mut doc = Map::new();
            doc.insert(
                "Version".to_owned(),
                Value::String(PolicyDocument::VERSION.to_owned()),
            );
            doc.insert("Statement".to_owned(), Value::Null);
            (doc, Vec::new())
        }
    };
    let mut pending: Vec<&Statement> = puts.to_vec();
    let mut statements = Vec::with_capacity(old_statements.len() + puts.len());
    for statement in &old_statements {
        let sid = statement.get("Sid").and_then(Value::as_str);
        match sid {
            Some(sid) if put_sids.contains(sid) => {
                // The first statement with this Sid becomes ours; any duplicate is dropped.
                if let Some(i) = pending.iter().position(|s| s.sid.as_deref() == Some(sid)) {
                    statements.push(pending.remove(i).to_value());
                }
            }
            Some(sid) if deletes.contains(&sid) => {}
            _ => statements.push(statement.clone()),
        }
    }
    statements.extend(pending.into_iter().map(Statement::to_value));
    if statements == old_statements {
        return Ok(PolicyWrite::Unchanged);
    }
    if statements.is_empty() {
        // Only our statements were there (everything else is always kept).
        return Ok(PolicyWrite::Delete);
    }
    doc.insert("Statement".to_owned(), Value::Array(statements));
    Ok(PolicyWrite::Put(Value::Object(doc).to_string()))
}

/// Checks a policy read back after writing: every put statement is there under its
/// Sid and grants what was written, and every deleted Sid is gone.
pub(crate) fn verify(
    read_back: Option<&str>,
    puts: &[&Statement],
    deletes: &[&str],
) -> Result<(), String> {
    let doc = match read_back {
        Some(text) => PolicyDocument::parse_aws(text)
            .map_err(|e| format!("the policy read back cannot be read: {e}"))?,
        None => PolicyDocument::new(Vec::new()),
    };
    for put in puts {
        let sid = put.sid.as_deref().unwrap_or_default();
        match doc.statement_by_sid(sid) {
            None => {
                return Err(format!(
                    "statement `{sid}` is missing from the policy read back (another writer at the same time?)"
                ));
            }
            Some(have) if !have.equivalent(put) => {
                return Err(format!(
                    "statement `{sid}` in the policy read back differs from what was written (another writer at the same time?)"
                ));
            }
            Some(_) => {}
        }
    }
    for sid in deletes
        .iter()
        .filter(|sid| !puts.iter().any(|p| p.sid.as_deref() == Some(**sid)))
    {
        if doc.statement_by_sid(sid).is_some() {
            return Err(format!(
                "statement `{sid}` is still in the policy read back"
            ));
        }
    }
    Ok(())
}

/// The first statement of a policy text naming an IAM unique id as a principal, as
/// (``statement `Sid` `` or `statement N`, the id).
pub(crate) fn unique_id_principal(text: &str) -> Option<(String, String)> {
    let doc = PolicyDocument::parse_aws(text).ok()?;
    doc.statements.iter().enumerate().find_map(|(i, s)| {
        let id = s.unique_id_principal()?;
        let which = match &s.sid {
            Some(sid) => format!("statement `{sid}`"),
            None => format!("statement {}", i + 1),
        };
        Some((which, id.to_owned()))
    })
}

/// S3 returns bucket policies as plain JSON; percent-encoded JSON is accepted too, as
/// [`PolicyDocument::parse_aws`] does.
fn parse_json(text: &str) -> Result<Value, String> {
    match serde_json::from_str(text) {
        Ok(value) => Ok(value),
        Err(e) if !text.contains('%') => Err(format!("the policy is not valid json: {e}")),
        Err(_) => {
            let decoded = percent_decode_str(text)
                .decode_utf8()
                .map_err(|e| format!("the policy is neither json nor percent-encoded json: {e}"))?;
            serde_json::from_str(&decoded).map_err(|e| format!("the policy is not valid json: {e}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ours(sid: &str, principal: &str) -> Statement {
        Statement::allow()
            .with_sid(sid)
            .with_principal_aws([principal])
            .with_actions(["s3:PutObject"])
            .with_resources(["arn:aws:s3:::b/x/*"])
    }

    const FOREIGN: &str = r#"{"Sid":"Legacy","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":false}}}"#;

    fn put_text(write: PolicyWrite) -> Value {
        match write {
            PolicyWrite::Put(text) => serde_json::from_str(&text).unwrap(),
            other => panic!("expected a put, got {other:?}"),
        }
    }

    #[test]
    fn adds_to_a_missing_policy() {
        let s = ours("S3destAcmePendo", "arn:aws:iam::111122223333:user/p");
        let doc = put_text(merge(None, &[&s], &[]).unwrap());
        assert_eq!(
            doc,
            json!({"Version": "2012-10-17", "Statement": [s.to_value()]})
        );
    }

    #[test]
    fn keeps_foreign_statements_byte_for_byte_and_replaces_ours_in_place() {
        let old = ours("S3destAcmePendo", "arn:aws:iam::111122223333:user/old");
        let current = format!(
            r#"{{"Version":"2012-10-17","Id":"Keep","Statement":[{},{FOREIGN}]}}"#,
            old.to_value()
        );
        let new = ours("S3destAcmePendo", "arn:aws:iam::111122223333:user/new");
        let added = ours("S3destAcmeBraze", "arn:aws:iam::444455556666:root");
        let PolicyWrite::Put(text) = merge(Some(&current), &[&new, &added], &[]).unwrap() else {
            panic!()
        };
        let expected = format!(
            r#"{{"Version":"2012-10-17","Id":"Keep","Statement":[{},{FOREIGN},{}]}}"#,
            new.to_value(),
            added.to_value()
        );
        assert_eq!(text, expected);
    }

    #[test]
    fn a_lone_statement_object_is_read_as_a_list() {
        let current = format!(r#"{{"Version":"2012-10-17","Statement":{FOREIGN}}}"#);
        let s = ours("S3destAcmePendo", "arn:aws:iam::111122223333:user/p");
        let doc = put_text(merge(Some(&current), &[&s], &[]).unwrap());
        let foreign: Value = serde_json::from_str(FOREIGN).unwrap();
        assert_eq!(doc["Statement"], json!([foreign, s.to_value()]));
    }

    #[test]
    fn deleting_the_last_statement_deletes_the_policy() {
        let s = ours("S3destAcmePendo", "arn:aws:iam::111122223333:user/p");
        let current = json!({"Version": "2012-10-17", "Statement": [s.to_value()]}).to_string();
        assert_eq!(
            merge(Some(&current), &[], &["S3destAcmePendo"]).unwrap(),
            PolicyWrite::Delete
        );
    }

    #[test]
    fn deleting_keeps_foreign_statements() {
        let s = ours("S3destAcmePendo", "arn:aws:iam::111122223333:user/p");
        let current = format!(
            r#"{{"Version":"2012-10-17","Statement":[{FOREIGN},{}]}}"#,
            s.to_value()
        );
        let PolicyWrite::Put(text) = merge(Some(&current), &[], &["S3destAcmePendo"]).unwrap()
        else {
            panic!()
        };
        assert_eq!(
            text,
            format!(r#"{{"Version":"2012-10-17","Statement":[{FOREIGN}]}}"#)
        );
    }

    #[test]
    fn a_takeover_deletes_theirs_and_puts_ours_in_one_write() {
        // `adopt: true`: the guide's statement goes, s3dest's comes, the rest stays as read.
        let guide = r#"{"Sid":"Statement1","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/pendo_datasync"},"Action":"s3:PutObject","Resource":["arn:aws:s3:::b/*","arn:aws:s3:::b"]}"#;
        let current = format!(r#"{{"Version":"2012-10-17","Statement":[{FOREIGN},{guide}]}}"#);
        let s = ours(
            "S3destAcmePendo",
            "arn:aws:iam::111122223333:role/pendo_datasync",
        );
        let PolicyWrite::Put(text) = merge(Some(&current), &[&s], &["Statement1"]).unwrap() else {
            panic!()
        };
        assert_eq!(
            text,
            format!(
                r#"{{"Version":"2012-10-17","Statement":[{FOREIGN},{}]}}"#,
                s.to_value()
            )
        );
        assert!(verify(Some(&text), &[&s], &["Statement1"]).is_ok());
    }

    #[test]
    fn nothing_to_do_is_unchanged() {
        let s = ours("S3destAcmePendo", "arn:aws:iam::111122223333:user/p");
        let current = json!({"Version": "2012-10-17", "Statement": [s.to_value()]}).to_string();
        assert_eq!(
            merge(Some(&current), &[&s], &[]).unwrap(),
            PolicyWrite::Unchanged
        );
        assert_eq!(merge(None, &[], &["Gone"]).unwrap(), PolicyWrite::Unchanged);
        assert_eq!(
            merge(Some(&current), &[], &["Gone"]).unwrap(),
            PolicyWrite::Unchanged
        );
    }

    #[test]
    fn rejects_unreadable_policies_and_statements_without_sid() {
        assert!(merge(Some("not json"), &[], &["X"]).is_err());
        assert!(merge(Some(r#"{"Statement": 3}"#), &[], &["X"]).is_err());
        let no_sid = Statement::allow().with_actions(["s3:GetObject"]);
        assert!(merge(None, &[&no_sid], &[]).is_err());
    }

    #[test]
    fn verify_checks_puts_and_deletes() {
        let s = ours("S3destAcmePendo", "arn:aws:iam::111122223333:user/p");
        let other = ours("S3destAcmePendo", "arn:aws:iam::111122223333:user/other");
        let good = json!({"Version": "2012-10-17", "Statement": [s.to_value()]}).to_string();
        let changed = json!({"Version": "2012-10-17", "Statement": [other.to_value()]}).to_string();
        assert!(verify(Some(&good), &[&s], &["S3destAcmeOld"]).is_ok());
        assert!(
            verify(Some(&changed), &[&s], &[])
                .unwrap_err()
                .contains("differs")
        );
        assert!(verify(None, &[&s], &[]).unwrap_err().contains("missing"));
        assert!(
            verify(Some(&good), &[], &["S3destAcmePendo"])
                .unwrap_err()
                .contains("still")
        );
        assert!(verify(None, &[], &["S3destAcmePendo"]).is_ok());
    }
}
