//! The `Condition` element (IAM User Guide, "IAM JSON policy elements: Condition
//! operators" and "Creating a condition with multiple keys or values").
//!
//! - Operators, and the keys within one operator, are ANDed; several values for one key
//!   are ORed — except with a negated operator (`StringNotEquals`, `NotIpAddress`, …),
//!   which is true when the request value matches *none* of them.
//! - A key missing from the request makes an operator false, except a negated one
//!   (true), one with `IfExists` (true), `Null`, and `ForAllValues:` (true;
//!   `ForAnyValue:` is false).
//! - `ForAnyValue:`: some request value satisfies the operator; `ForAllValues:`: every
//!   one does. Without either, a key with several request values is unknown (AWS
//!   documents set operators as required for multivalued keys).
//! - An unknown key, an operator s3dest does not implement, a policy variable or an
//!   unreadable value make the condition unknown.

use std::cmp::Ordering;

use super::request::{ContextValue, Request};
use super::truth::Truth;
use super::values::{self, Cidr};
use super::verdict::Uncertainty;
use crate::wildcard_matches;

type Conditions =
    std::collections::BTreeMap<String, std::collections::BTreeMap<String, Vec<String>>>;

/// Whether every condition of a statement holds for the request.
pub(crate) fn holds(conditions: &Conditions, request: &Request, variables: bool) -> Truth {
    Truth::all(conditions.iter().flat_map(|(operator, keys)| {
        keys.iter()
            .map(move |(key, values)| one(operator, key, values, request, variables))
    }))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Qualifier {
    Single,
    ForAnyValue,
    ForAllValues,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StringMatch {
    Exact,
    IgnoreCase,
    Like,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    Equals,
    LessThan,
    LessThanEquals,
    GreaterThan,
    GreaterThanEquals,
}

impl Comparison {
    fn holds(self, ordering: Ordering) -> bool {
        match self {
            Comparison::Equals => ordering == Ordering::Equal,
            Comparison::LessThan => ordering == Ordering::Less,
            Comparison::LessThanEquals => ordering != Ordering::Greater,
            Comparison::GreaterThan => ordering == Ordering::Greater,
            Comparison::GreaterThanEquals => ordering != Ordering::Less,
        }
    }
}

/// The positive test an operator makes; its negated form is the negation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Test {
    String(StringMatch),
    /// `ArnEquals` and `ArnLike` "behave identically".
    Arn,
    Bool,
    Numeric(Comparison),
    Date(Comparison),
    IpAddress,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operator {
    Null,
    Compare {
        qualifier: Qualifier,
        test: Test,
        negated: bool,
        if_exists: bool,
    },
}

impl Operator {
    fn parse(name: &str) -> Option<Operator> {
        let (qualifier, rest) = if let Some(rest) = name.strip_prefix("ForAnyValue:") {
            (Qualifier::ForAnyValue, rest)
        } else if let Some(rest) = name.strip_prefix("ForAllValues:") {
            (Qualifier::ForAllValues, rest)
        } else {
            (Qualifier::Single, name)
        };
        let (if_exists, base) = match rest.strip_suffix("IfExists") {
            Some(base) => (true, base),
            None => (false, rest),
        };
        if base == "Null" {
            // `IfExists` does not apply to `Null`; nor does a set qualifier.
            return (!if_exists && qualifier == Qualifier::Single).then_some(Operator::Null);
        }
        let (test, negated) = test(base)?;
        Some(Operator::Compare {
            qualifier,
            test,
            negated,
            if_exists,
        })
    }
}

fn test(base: &str) -> Option<(Test, bool)> {
    use Comparison::*;
    use StringMatch::*;
    Some(match base {
        "StringEquals" => (Test::String(Exact), false),
        "StringNotEquals" => (Test::String(Exact), true),
        "StringEqualsIgnoreCase" => (Test::String(IgnoreCase), false),
        "StringNotEqualsIgnoreCase" => (Test::String(IgnoreCase), true),
        "StringLike" => (Test::String(Like), false),
        "StringNotLike" => (Test::String(Like), true),
        "ArnEquals" | "ArnLike" => (Test::Arn, false),
        "ArnNotEquals" | "ArnNotLike" => (Test::Arn, true),
        "Bool" => (Test::Bool, false),
        "NumericEquals" => (Test::Numeric(Equals), false),
        "NumericNotEquals" => (Test::Numeric(Equals), true),
        "NumericLessThan" => (Test::Numeric(LessThan), false),
        "NumericLessThanEquals" => (Test::Numeric(LessThanEquals), false),
        "NumericGreaterThan" => (Test::Numeric(GreaterThan), false),
        "NumericGreaterThanEquals" => (Test::Numeric(GreaterThanEquals), false),
        "DateEquals" => (Test::Date(Equals), false),
        "DateNotEquals" => (Test::Date(Equals), true),
        "DateLessThan" => (Test::Date(LessThan), false),
        "DateLessThanEquals" => (Test::Date(LessThanEquals), false),
        "DateGreaterThan" => (Test::Date(GreaterThan), false),
        "DateGreaterThanEquals" => (Test::Date(GreaterThanEquals), false),
        "IpAddress" => (Test::IpAddress, false),
        "NotIpAddress" => (Test::IpAddress, true),
        _ => return None,
    })
}

/// One operator on one key with its policy values.
fn one(operator: &str, key: &str, policy: &[String], request: &Request, variables: bool) -> Truth {
    let Some(op) = Operator::parse(operator) else {
        return Truth::unknown(Uncertainty::UnsupportedOperator {
            operator: operator.to_owned(),
        });
    };
    let value = request.value(key);
    if value == ContextValue::Unknown {
        return Truth::unknown(Uncertainty::UnknownKey {
            key: key.to_owned(),
        });
    }
    match op {
        Operator::Null => null(operator, policy, &value),
        Operator::Compare {
            qualifier,
            test,
            negated,
            if_exists,
        } => {
            let values = match value {
                ContextValue::Known(values) => values,
                ContextValue::Absent | ContextValue::Unknown => {
                    return Truth::from_bool(missing(qualifier, negated, if_exists));
                }
            };
            let each = |v: &String| {
                let matched = Truth::any(
                    policy
                        .iter()
                        .map(|p| compare(test, operator, p, v, variables)),
                );
                if negated { matched.not() } else { matched }
            };
            match qualifier {
                Qualifier::ForAnyValue => Truth::any(values.iter().map(each)),
                Qualifier::ForAllValues => Truth::all(values.iter().map(each)),
                Qualifier::Single => match values.as_slice() {
                    [v] => each(v),
                    _ => Truth::unknown(Uncertainty::MultipleValuesWithoutSetOperator {
                        key: key.to_owned(),
                    }),
                },
            }
        }
    }
}

/// The result for a key missing from the request.
fn missing(qualifier: Qualifier, negated: bool, if_exists: bool) -> bool {
    if if_exists {
        return true;
    }
    match qualifier {
        Qualifier::ForAllValues => true,
        Qualifier::ForAnyValue => false,
        Qualifier::Single => negated,
    }
}

/// `Null`: `true` holds when the key is absent, `false` when it is present.
fn null(operator: &str, policy: &[String], value: &ContextValue) -> Truth {
    let present = matches!(value, ContextValue::Known(_));
    Truth::any(policy.iter().map(|p| match bool_value(p) {
        Some(wants_absent) => Truth::from_bool(wants_absent != present),
        None => unreadable(operator, p),
    }))
}

/// The positive test of one policy value against one request value.
fn compare(test: Test, operator: &str, policy: &str, value: &str, variables: bool) -> Truth {
    let takes_variables = matches!(test, Test::String(_) | Test::Arn | Test::Bool);
    if variables && takes_variables && policy.contains("${") {
        return Truth::unknown(Uncertainty::PolicyVariable {
            text: policy.to_owned(),
        });
    }
    let read = |ok: Option<bool>, bad: &str| {
        ok.map_or_else(|| unreadable(operator, bad), Truth::from_bool)
    };
    match test {
        Test::String(StringMatch::Exact) => Truth::from_bool(policy == value),
        Test::String(StringMatch::IgnoreCase) => {
            Truth::from_bool(policy.to_lowercase() == value.to_lowercase())
        }
        Test::String(StringMatch::Like) => Truth::from_bool(wildcard_matches(policy, value)),
        Test::Arn => read(values::arn_like(policy, value), policy),
        Test::Bool => match (bool_value(policy), bool_value(value)) {
            (Some(p), Some(v)) => Truth::from_bool(p == v),
            (None, _) => unreadable(operator, policy),
            (_, None) => unreadable(operator, value),
        },
        Test::Numeric(cmp) => match (values::number(policy), values::number(value)) {
            (Some(p), Some(v)) => read(values::compare_numbers(v, p).map(|o| cmp.holds(o)), value),
            (None, _) => unreadable(operator, policy),
            (_, None) => unreadable(operator, value),
        },
        Test::Date(cmp) => match (values::date(policy), values::date(value)) {
            (Some(p), Some(v)) => Truth::from_bool(cmp.holds(v.cmp(&p))),
            (None, _) => unreadable(operator, policy),
            (_, None) => unreadable(operator, value),
        },
        Test::IpAddress => match (Cidr::parse(policy), values::ip(value)) {
            (Some(range), Some(ip)) => Truth::from_bool(range.contains(ip)),
            (None, _) => unreadable(operator, policy),
            (_, None) => unreadable(operator, value),
        },
    }
}

fn bool_value(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn unreadable(operator: &str, value: &str) -> Truth {
    Truth::unknown(Uncertainty::UnreadableValue {
        operator: operator.to_owned(),
        value: value.to_owned(),
    })
}
