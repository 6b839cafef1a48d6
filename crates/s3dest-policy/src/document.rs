//! A whole policy document: parsing (plain or IAM's percent-encoded JSON), canonical
//! form and semantic equality.

use std::collections::BTreeSet;

use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

use crate::{PolicyError, Statement};

/// An IAM or S3 policy document.
///
/// Equality ([`PolicyDocument::equivalent`], also `==`) is semantic: see the crate
/// documentation for what does and does not count.
#[derive(Debug, Clone)]
pub struct PolicyDocument {
    /// `None` when the document has no `Version`, which AWS reads as `2008-10-17`.
    pub version: Option<String>,
    pub id: Option<String>,
    pub statements: Vec<Statement>,
}

impl PolicyDocument {
    /// The current policy language version, used by [`PolicyDocument::new`].
    pub const VERSION: &str = "2012-10-17";
    /// The version AWS assumes when a document has none.
    pub const DEFAULT_VERSION: &str = "2008-10-17";

    /// A document with the current `Version` and these statements.
    pub fn new(statements: Vec<Statement>) -> Self {
        PolicyDocument {
            version: Some(Self::VERSION.to_owned()),
            id: None,
            statements,
        }
    }

    /// Reads a JSON policy document. A string is accepted wherever AWS accepts one in
    /// place of a list; unknown keys, wrong types, a missing `Effect` or `Action`, both
    /// `Action` and `NotAction`, and duplicate Sids are errors.
    pub fn parse(json: &str) -> Result<Self, PolicyError> {
        let value: Value = serde_json::from_str(json).map_err(PolicyError::Json)?;
        Self::from_value(&value)
    }

    /// Reads a document as AWS returns it: JSON, or JSON percent-encoded as IAM sends it
    /// (`%7B%22Version%22…`). Text that parses as JSON is never decoded. Decoding is
    /// plain `%XX` decoding: a `+` stays a `+`.
    pub fn parse_aws(text: &str) -> Result<Self, PolicyError> {
        let json_error = match serde_json::from_str::<Value>(text) {
            Ok(value) => return Self::from_value(&value),
            Err(e) => e,
        };
        if !text.contains('%') {
            return Err(PolicyError::Json(json_error));
        }
        let decoded = percent_decode_str(text)
            .decode_utf8()
            .map_err(|e| PolicyError::NotJson {
                reason: format!("the percent-decoded text is not utf-8 ({e})"),
            })?;
        let value: Value = serde_json::from_str(&decoded).map_err(|e| PolicyError::NotJson {
            reason: format!("after percent-decoding: {e}"),
        })?;
        Self::from_value(&value)
    }

    pub fn from_value(v: &Value) -> Result<Self, PolicyError> {
        crate::parse::document(v)
    }

    /// AWS-shaped JSON: keys in the order `Version`, `Id`, `Statement`; `Statement`
    /// always a list; absent fields left out.
    pub fn to_value(&self) -> Value {
        let mut out = Map::new();
        if let Some(version) = &self.version {
            out.insert("Version".to_owned(), Value::String(version.clone()));
        }
        if let Some(id) = &self.id {
            out.insert("Id".to_owned(), Value::String(id.clone()));
        }
        out.insert(
            "Statement".to_owned(),
            Value::Array(self.statements.iter().map(Statement::to_value).collect()),
        );
        Value::Object(out)
    }

    /// Compact JSON, as sent to AWS.
    pub fn to_json(&self) -> String {
        self.to_value().to_string()
    }

    /// The `Version` AWS applies: the document's, or `2008-10-17` when it has none.
    pub fn effective_version(&self) -> &str {
        self.version.as_deref().unwrap_or(Self::DEFAULT_VERSION)
    }

    /// The normalized document: `Version` filled in, every statement in its
    /// [canonical form](Statement::canonical), statements sorted by Sid (statements
    /// without one first) and then by their canonical JSON, exact duplicates removed.
    ///
    /// Sorting by Sid first keeps a statement in place when its grant changes, which
    /// keeps plan diffs small.
    pub fn canonical(&self) -> PolicyDocument {
        let mut keyed: Vec<(String, Statement)> = self
            .statements
            .iter()
            .map(|s| {
                let canonical = s.canonical();
                (canonical.grant_key(), canonical)
            })
            .collect();
        keyed.sort_by(|(ka, a), (kb, b)| (&a.sid, ka).cmp(&(&b.sid, kb)));
        keyed.dedup_by(|(ka, a), (kb, b)| a.sid == b.sid && ka == kb);
        PolicyDocument {
            version: Some(self.effective_version().to_owned()),
            id: self.id.clone(),
            statements: keyed.into_iter().map(|(_, s)| s).collect(),
        }
    }

    /// Pretty JSON of the canonical form. Two equivalent documents whose statements
    /// carry the same Sids (and the same `Id`) give the same text.
    pub fn to_canonical_pretty(&self) -> String {
        serde_json::to_string_pretty(&self.canonical().to_value())
            .expect("a serde_json::Value always serializes")
    }

    /// What the document grants: the set of its statements'
    /// [grant keys](Statement::grant_key). Statements in one set and not the other are
    /// what a change adds or removes.
    pub fn grant_keys(&self) -> BTreeSet<String> {
        self.statements.iter().map(Statement::grant_key).collect()
    }

    /// A short digest of what the document grants (its effective `Version` and grant
    /// keys): equal for [equivalent](Self::equivalent) documents, whatever their
    /// formatting, statement order or Sids. Not a security measure: it tells s3dest
    /// whether a document is still the one it wrote.
    pub fn digest(&self) -> String {
        let mut text = self.effective_version().to_owned();
        for key in self.grant_keys() {
            text.push('\n');
            text.push_str(&key);
        }
        crate::fnv1a_hex(&text)
    }

    /// Whether both documents grant the same thing: same effective `Version` and the
    /// same set of statements, each compared as in [`Statement::equivalent`].
    /// Sids and the `Id` take no part.
    pub fn equivalent(&self, other: &Self) -> bool {
        self.effective_version() == other.effective_version()
            && self.grant_keys() == other.grant_keys()
    }

    /// The first statement with this Sid.
    pub fn statement_by_sid(&self, sid: &str) -> Option<&Statement> {
        self.statements
            .iter()
            .find(|s| s.sid.as_deref() == Some(sid))
    }
}

impl PartialEq for PolicyDocument {
    fn eq(&self, other: &Self) -> bool {
        self.equivalent(other)
    }
}

impl Eq for PolicyDocument {}
