//! Bucket policies evaluated as real AWS would for a TLS client, where moto would get
//! them wrong: the statements for everyone (`Principal: "*"`) stay with the proxy,
//! which evaluates the common deny statements on object writes itself.
//!
//! The evaluator understands, and evaluates, only statements that are all of:
//! - `Effect: Deny` with an `AWS` principal of `"*"` (the ones kept from moto);
//! - `Action` (string or list; `*` and `?` wildcards) matching `s3:PutObject`, the
//!   action of PutObject, CopyObject and CreateMultipartUpload;
//! - `Resource` (string or list, wildcards) matching the object's ARN;
//! - a `Condition` whose every operator and key is one of: `Bool`/`BoolIfExists` on
//!   `aws:SecureTransport` (the client is taken to use TLS); `Null` on
//!   `s3:x-amz-server-side-encryption`; `StringEquals`, `StringNotEquals`,
//!   `StringEqualsIfExists`, `StringNotEqualsIfExists` on
//!   `s3:x-amz-server-side-encryption` (value or list).
//!
//! Any other statement (`NotAction`, `NotResource`, other keys or operators) is not
//! evaluated: it neither allows nor denies.

use serde_json::{Map, Value};

use crate::principals::statement_aws_principals;

/// The object write being evaluated.
#[derive(Debug, Clone, Copy)]
pub struct ObjectWrite<'a> {
    pub bucket: &'a str,
    pub key: &'a str,
    /// The `x-amz-server-side-encryption` request header.
    pub encryption: Option<&'a str>,
}

fn is_for_everyone(statement: &Value) -> bool {
    statement_aws_principals(statement).iter().any(|p| p == "*")
}

fn statements(policy: &Value) -> Vec<Value> {
    match policy.get("Statement") {
        Some(Value::Array(list)) => list.clone(),
        Some(statement @ Value::Object(_)) => vec![statement.clone()],
        _ => Vec::new(),
    }
}

/// The policy to give moto: the statements that are not for everyone; `None` when no
/// statement is left (moto then holds no policy). `Err` when the text is not a
/// policy: moto is then given it unchanged, to answer as it does.
pub fn for_moto(policy_text: &str) -> Result<Option<String>, String> {
    let policy: Value =
        serde_json::from_str(policy_text).map_err(|e| format!("not a JSON policy: {e}"))?;
    let kept: Vec<Value> = statements(&policy)
        .into_iter()
        .filter(|s| !is_for_everyone(s))
        .collect();
    if kept.is_empty() {
        return Ok(None);
    }
    let mut out = policy.clone();
    if let Some(object) = out.as_object_mut() {
        object.insert("Statement".into(), Value::Array(kept));
    }
    Ok(Some(out.to_string()))
}

/// The statement (its Sid, or its position) that denies the write, if any.
pub fn denies(policy_text: &str, write: ObjectWrite) -> Option<String> {
    let policy: Value = serde_json::from_str(policy_text).ok()?;
    statements(&policy)
        .iter()
        .enumerate()
        .find(|(_, s)| evaluate_deny(s, write) == Some(true))
        .map(|(index, s)| {
            s.get("Sid")
                .and_then(Value::as_str)
                .map_or_else(|| format!("#{index}"), str::to_owned)
        })
}

/// `Some(true)`: the statement denies the write; `None`: not understood.
fn evaluate_deny(statement: &Value, write: ObjectWrite) -> Option<bool> {
    if statement.get("Effect")?.as_str()? != "Deny" || !is_for_everyone(statement) {
        return None;
    }
    if statement.get("NotAction").is_some() || statement.get("NotResource").is_some() {
        return None;
    }
    let action = strings(statement.get("Action")?)?
        .iter()
        .any(|pattern| glob(&pattern.to_ascii_lowercase(), "s3:putobject"));
    let arn = format!("arn:aws:s3:::{}/{}", write.bucket, write.key);
    let resource = strings(statement.get("Resource")?)?
        .iter()
        .any(|pattern| glob(pattern, &arn));
    let condition = match statement.get("Condition") {
        None => true,
        Some(Value::Object(operators)) => conditions(operators, write)?,
        Some(_) => return None,
    };
    Some(action && resource && condition)
}

/// All operators and keys must hold (AND), and all must be understood.
fn conditions(operators: &Map<String, Value>, write: ObjectWrite) -> Option<bool> {
    let mut all = true;
    for (operator, keys) in operators {
        for (key, values) in keys.as_object()? {
            let values = strings(values)?;
            all &= condition(operator, &key.to_ascii_lowercase(), &values, write)?;
        }
    }
    Some(all)
}

fn condition(operator: &str, key: &str, values: &[String], write: ObjectWrite) -> Option<bool> {
    const SSE: &str = "s3:x-amz-server-side-encryption";
    let lower: Vec<String> = values.iter().map(|v| v.to_ascii_lowercase()).collect();
    match (operator, key) {
        ("Bool" | "BoolIfExists", "aws:securetransport") => {
            // The client is treated as using TLS: the key is always "true".
            Some(lower.iter().any(|v| v == "true"))
        }
        ("Null", SSE) => {
            let missing = write.encryption.is_none();
            Some(lower.iter().any(|v| (v == "true") == missing))
        }
        ("StringEquals" | "StringEqualsIfExists", SSE) => Some(match write.encryption {
            Some(value) => values.iter().any(|v| v == value),
            None => operator.ends_with("IfExists"),
        }),
        ("StringNotEquals" | "StringNotEqualsIfExists", SSE) => Some(match write.encryption {
            Some(value) => !values.iter().any(|v| v == value),
            // A missing key satisfies a negated operator, with or without IfExists.
            None => true,
        }),
        _ => None,
    }
}

fn strings(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Bool(b) => Some(vec![b.to_string()]),
        Value::Array(list) => list
            .iter()
            .map(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Bool(b) => Some(b.to_string()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// IAM's wildcards: `*` any run of characters, `?` any one.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            backtrack = Some((pi, ti));
            pi += 1;
        } else if let Some((star, matched)) = backtrack {
            pi = star + 1;
            ti = matched + 1;
            backtrack = Some((star, matched + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = r#"{
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            {"Sid": "DenyUnencrypted", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:PutObject",
             "Resource": "arn:aws:s3:::b/*",
             "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": ["AES256", "aws:kms"]}}},
            {"Sid": "Vendor", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:role/v"},
             "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"}
        ]
    }"#;

    fn write(encryption: Option<&str>) -> ObjectWrite<'_> {
        ObjectWrite {
            bucket: "b",
            key: "exports/x.csv",
            encryption,
        }
    }

    #[test]
    fn moto_gets_only_the_statements_for_named_principals() {
        let forwarded = for_moto(POLICY).unwrap().unwrap();
        let v: Value = serde_json::from_str(&forwarded).unwrap();
        assert_eq!(v["Statement"].as_array().unwrap().len(), 1);
        assert_eq!(v["Statement"][0]["Sid"], "Vendor");
        let public_only = r#"{"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}"#;
        assert_eq!(for_moto(public_only).unwrap(), None);
        assert!(for_moto("nonsense").is_err());
    }

    #[test]
    fn unencrypted_uploads_are_denied_and_tls_is_assumed() {
        assert_eq!(denies(POLICY, write(Some("AES256"))), None);
        assert_eq!(denies(POLICY, write(Some("aws:kms"))), None);
        assert_eq!(
            denies(POLICY, write(None)).as_deref(),
            Some("DenyUnencrypted")
        );
        assert_eq!(
            denies(POLICY, write(Some("aws:kms:dsse"))).as_deref(),
            Some("DenyUnencrypted")
        );
        let other_bucket = ObjectWrite {
            bucket: "c",
            ..write(None)
        };
        assert_eq!(denies(POLICY, other_bucket), None);
    }

    #[test]
    fn null_condition_denies_a_missing_header() {
        let policy = r#"{"Statement": {"Effect": "Deny", "Principal": "*", "Action": ["s3:Put*"],
            "Resource": "arn:aws:s3:::b/exports/*",
            "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}}}}"#;
        assert_eq!(denies(policy, write(None)).as_deref(), Some("#0"));
        assert_eq!(denies(policy, write(Some("AES256"))), None);
    }

    #[test]
    fn statements_not_understood_are_not_evaluated() {
        let unknown_key = r#"{"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}}]}"#;
        assert_eq!(denies(unknown_key, write(None)), None);
        let not_action = r#"{"Statement": [{"Effect": "Deny", "Principal": "*", "NotAction": "s3:GetObject", "Resource": "*"}]}"#;
        assert_eq!(denies(not_action, write(None)), None);
        let unconditional = r#"{"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}]}"#;
        assert_eq!(
            denies(unconditional, write(Some("AES256"))).as_deref(),
            Some("#0")
        );
    }

    #[test]
    fn globs_match_as_iam_does() {
        assert!(glob("arn:aws:s3:::b/*", "arn:aws:s3:::b/a/b"));
        assert!(glob("s3:*object", "s3:putobject"));
        assert!(glob("a?c", "abc"));
        assert!(!glob("arn:aws:s3:::b", "arn:aws:s3:::b/x"));
        assert!(glob("*", ""));
        assert!(!glob("a*b*c", "abx"));
    }
}
