//! Errors from reading a policy document: each names the statement and the field.

/// Why a policy document could not be read.
///
/// `location` is `policy` for the top level, or `statement N` (1-based, in document
/// order) followed by its Sid when it has one, e.g. ``statement 2 (sid `Pendo`)``.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("policy is not valid json: {0}")]
    Json(#[source] serde_json::Error),

    #[error("policy is neither json nor percent-encoded json: {reason}")]
    NotJson { reason: String },

    #[error("{location} must be a json object, found {found}")]
    NotAnObject {
        location: String,
        found: &'static str,
    },

    #[error("{location}: unknown key `{key}` (expected one of {expected})")]
    UnknownKey {
        location: String,
        key: String,
        expected: &'static str,
    },

    #[error("{location}: missing `{field}`")]
    Missing {
        location: String,
        field: &'static str,
    },

    #[error("{location}: `{field}` must be {expected}, found {found}")]
    WrongType {
        location: String,
        field: String,
        expected: &'static str,
        found: &'static str,
    },

    #[error("{location}: `{field}` is `{value}`, expected {expected}")]
    InvalidValue {
        location: String,
        field: String,
        value: String,
        expected: &'static str,
    },

    #[error("{location}: `{first}` and `{second}` cannot be used together")]
    Conflict {
        location: String,
        first: &'static str,
        second: &'static str,
    },

    #[error(
        "statements {first} and {second} both have sid `{sid}`; a sid must be unique in a policy"
    )]
    DuplicateSid {
        sid: String,
        first: usize,
        second: usize,
    },
}
