//! Reading policy JSON by hand: strict about keys and types, lenient where AWS is
//! (a string wherever a list is allowed, booleans and numbers as condition values).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::{Effect, PolicyDocument, PolicyError, Principal, Statement};

const DOCUMENT_KEYS: &str = "`Version`, `Id`, `Statement`";
const STATEMENT_KEYS: &str = "`Sid`, `Effect`, `Principal`, `NotPrincipal`, `Action`, \
                              `NotAction`, `Resource`, `NotResource`, `Condition`";
const PRINCIPAL_KEYS: &str = "`AWS`, `Service`, `Federated`, `CanonicalUser`";

/// How a JSON value is named in error messages.
fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn wrong_type(location: &str, field: &str, expected: &'static str, v: &Value) -> PolicyError {
    PolicyError::WrongType {
        location: location.to_owned(),
        field: field.to_owned(),
        expected,
        found: describe(v),
    }
}

pub(crate) fn document(v: &Value) -> Result<PolicyDocument, PolicyError> {
    const LOCATION: &str = "policy";
    let Value::Object(obj) = v else {
        return Err(PolicyError::NotAnObject {
            location: LOCATION.to_owned(),
            found: describe(v),
        });
    };
    if let Some(key) = obj
        .keys()
        .find(|k| !matches!(k.as_str(), "Version" | "Id" | "Statement"))
    {
        return Err(PolicyError::UnknownKey {
            location: LOCATION.to_owned(),
            key: key.clone(),
            expected: DOCUMENT_KEYS,
        });
    }
    let version = match obj.get("Version") {
        None => None,
        Some(Value::String(s))
            if s == PolicyDocument::VERSION || s == PolicyDocument::DEFAULT_VERSION =>
        {
            Some(s.clone())
        }
        Some(Value::String(s)) => {
            return Err(PolicyError::InvalidValue {
                location: LOCATION.to_owned(),
                field: "Version".to_owned(),
                value: s.clone(),
                expected: "`2012-10-17` or `2008-10-17`",
            });
        }
        Some(other) => return Err(wrong_type(LOCATION, "Version", "a string", other)),
    };
    let id = optional_string(obj.get("Id"), LOCATION, "Id")?;
    let items: Vec<&Value> = match obj.get("Statement") {
        None => {
            return Err(PolicyError::Missing {
                location: LOCATION.to_owned(),
                field: "Statement",
            });
        }
        Some(one @ Value::Object(_)) => vec![one],
        Some(Value::Array(items)) => items.iter().collect(),
        Some(other) => {
            return Err(wrong_type(
                LOCATION,
                "Statement",
                "an object or a list of objects",
                other,
            ));
        }
    };
    let statements = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| statement(item, Some(i + 1)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let sids = statements
        .iter()
        .enumerate()
        .filter_map(|(i, s)| Some((i + 1, s.sid.as_ref()?)));
    for (position, sid) in sids {
        if let Some(first) = seen.insert(sid, position) {
            return Err(PolicyError::DuplicateSid {
                sid: sid.clone(),
                first,
                second: position,
            });
        }
    }
    Ok(PolicyDocument {
        version,
        id,
        statements,
    })
}

/// Reads a statement; `index` is its 1-based position in a document, if any.
pub(crate) fn statement(v: &Value, index: Option<usize>) -> Result<Statement, PolicyError> {
    let mut location = match index {
        Some(i) => format!("statement {i}"),
        None => "statement".to_owned(),
    };
    let Value::Object(obj) = v else {
        return Err(PolicyError::NotAnObject {
            location,
            found: describe(v),
        });
    };
    // Read the Sid first so that every later error can name it.
    let sid = optional_string(obj.get("Sid"), &location, "Sid")?;
    if let Some(sid) = &sid {
        location = format!("{location} (sid `{sid}`)");
    }
    let location = location.as_str();
    if let Some(key) = obj.keys().find(|k| {
        !matches!(
            k.as_str(),
            "Sid"
                | "Effect"
                | "Principal"
                | "NotPrincipal"
                | "Action"
                | "NotAction"
                | "Resource"
                | "NotResource"
                | "Condition"
        )
    }) {
        return Err(PolicyError::UnknownKey {
            location: location.to_owned(),
            key: key.clone(),
            expected: STATEMENT_KEYS,
        });
    }
    let effect = match obj.get("Effect") {
        None => {
            return Err(PolicyError::Missing {
                location: location.to_owned(),
                field: "Effect",
            });
        }
        Some(Value::String(s)) if s == "Allow" => Effect::Allow,
        Some(Value::String(s)) if s == "Deny" => Effect::Deny,
        Some(Value::String(s)) => {
            return Err(PolicyError::InvalidValue {
                location: location.to_owned(),
                field: "Effect".to_owned(),
                value: s.clone(),
                expected: "`Allow` or `Deny`",
            });
        }
        Some(other) => return Err(wrong_type(location, "Effect", "a string", other)),
    };
    for (first, second) in [
        ("Principal", "NotPrincipal"),
        ("Action", "NotAction"),
        ("Resource", "NotResource"),
    ] {
        if obj.contains_key(first) && obj.contains_key(second) {
            return Err(PolicyError::Conflict {
                location: location.to_owned(),
                first,
                second,
            });
        }
    }
    if !obj.contains_key("Action") && !obj.contains_key("NotAction") {
        return Err(PolicyError::Missing {
            location: location.to_owned(),
            field: "Action` or `NotAction",
        });
    }
    let list = |field: &str| {
        obj.get(field)
            .map(|v| strings(v, location, field))
            .transpose()
    };
    let principal_of = |field: &str| {
        obj.get(field)
            .map(|v| principal(v, location, field))
            .transpose()
    };
    let condition = match obj.get("Condition") {
        None => BTreeMap::new(),
        Some(v) => condition(v, location)?,
    };
    Ok(Statement {
        sid,
        effect,
        principal: principal_of("Principal")?,
        not_principal: principal_of("NotPrincipal")?,
        action: list("Action")?,
        not_action: list("NotAction")?,
        resource: list("Resource")?,
        not_resource: list("NotResource")?,
        condition,
    })
}

fn optional_string(
    v: Option<&Value>,
    location: &str,
    field: &str,
) -> Result<Option<String>, PolicyError> {
    match v {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(wrong_type(location, field, "a string", other)),
    }
}

/// A string or a list of strings, as a list.
fn strings(v: &Value, location: &str, field: &str) -> Result<Vec<String>, PolicyError> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) => Ok(s.clone()),
                other => Err(wrong_type(
                    location,
                    &format!("{field}[{i}]"),
                    "a string",
                    other,
                )),
            })
            .collect(),
        other => Err(wrong_type(
            location,
            field,
            "a string or a list of strings",
            other,
        )),
    }
}

fn principal(v: &Value, location: &str, field: &str) -> Result<Principal, PolicyError> {
    match v {
        Value::String(s) if s == "*" => Ok(Principal::Any),
        Value::String(s) => Err(PolicyError::InvalidValue {
            location: location.to_owned(),
            field: field.to_owned(),
            value: s.clone(),
            expected: "`\"*\"` or an object such as `{\"AWS\": \"arn:aws:iam::123456789012:root\"}`",
        }),
        Value::Object(obj) => {
            let mut map = BTreeMap::new();
            for (kind, values) in obj {
                if !Principal::TYPES.contains(&kind.as_str()) {
                    return Err(PolicyError::UnknownKey {
                        location: format!("{location}, `{field}`"),
                        key: kind.clone(),
                        expected: PRINCIPAL_KEYS,
                    });
                }
                let values = strings(values, location, &format!("{field}.{kind}"))?;
                map.insert(kind.clone(), values);
            }
            Ok(Principal::Map(map))
        }
        other => Err(wrong_type(location, field, "`\"*\"` or an object", other)),
    }
}

type Conditions = BTreeMap<String, BTreeMap<String, Vec<String>>>;

fn condition(v: &Value, location: &str) -> Result<Conditions, PolicyError> {
    let Value::Object(ops) = v else {
        return Err(wrong_type(location, "Condition", "an object", v));
    };
    let mut out = Conditions::new();
    for (op, keys) in ops {
        let field = format!("Condition.{op}");
        let Value::Object(keys) = keys else {
            return Err(wrong_type(location, &field, "an object", keys));
        };
        let entry = out.entry(op.clone()).or_default();
        for (key, values) in keys {
            let field = format!("{field}.{key}");
            let values = match values {
                Value::Array(items) => items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        condition_value(item).ok_or_else(|| {
                            wrong_type(
                                location,
                                &format!("{field}[{i}]"),
                                "a string, boolean or number",
                                item,
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?,
                other => vec![condition_value(other).ok_or_else(|| {
                    wrong_type(
                        location,
                        &field,
                        "a string, boolean or number, or a list of them",
                        other,
                    )
                })?],
            };
            entry.insert(key.clone(), values);
        }
    }
    Ok(out)
}

/// A condition value as text: AWS compares `false` and `"false"` alike.
fn condition_value(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
