//! The spec as the YAML deserializer sees it (flat types with spans), and the deserializer's
//! errors turned into diagnostics.
//!
//! Every field is optional here, even required ones: a missing field is reported by
//! `validate` at the key of the thing that lacks it, and with the other problems of the file,
//! instead of by serde at the first key of the mapping. Types stay flat (no flatten, untagged
//! or internally tagged enums) because serde-saphyr loses spans inside those.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_saphyr::{Error as YamlError, MessageFormatter, Spanned, UserMessageFormatter};

use crate::diagnostic::{Diagnostic, SourceText, Span};
use crate::suggest::did_you_mean;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSpec {
    pub version: Option<Spanned<String>>,
    pub name: Option<Spanned<String>>,
    pub region: Option<Spanned<String>>,
    #[serde(default)]
    pub buckets: Maybe<Entries<Option<RawBucket>>>,
    #[serde(default)]
    pub destinations: Maybe<Entries<Option<RawDestination>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBucket {
    pub create: Option<bool>,
    pub region: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDestination {
    pub vendor: Option<Spanned<String>>,
    pub auth: Option<Spanned<String>>,
    pub bucket: Option<Spanned<String>>,
    pub folder: Option<Spanned<String>>,
    pub principal: Option<Spanned<String>>,
    pub external_id: Option<Spanned<String>>,
    pub actions: Option<Spanned<Vec<Spanned<String>>>>,
    pub role_name: Option<Spanned<String>>,
    pub tags: Option<Spanned<Entries<Option<Spanned<String>>>>>,
    pub adopt: Option<bool>,
    pub key_max_age_days: Option<Spanned<u32>>,
}

/// A field that may be absent (`Missing`), present but empty (`key:` alone, `Null`), or set.
#[derive(Debug, Default)]
pub(crate) enum Maybe<T> {
    #[default]
    Missing,
    Null,
    Value(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Maybe<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MaybeVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for MaybeVisitor<T> {
            type Value = Maybe<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Maybe::Null)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Maybe::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                T::deserialize(d).map(Maybe::Value)
            }
        }
        deserializer.deserialize_option(MaybeVisitor(PhantomData))
    }
}

/// A mapping kept in file order, with the span of each key (serde-saphyr rejects duplicate
/// keys before they get here).
#[derive(Debug)]
pub(crate) struct Entries<V>(pub Vec<(Spanned<String>, V)>);

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Entries<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for EntriesVisitor<V> {
            type Value = Entries<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor(PhantomData))
    }
}

/// Deserializes the text; a failure is one diagnostic located where the deserializer stopped.
pub(crate) fn from_yaml(text: &str, source: &SourceText<'_>) -> Result<RawSpec, Diagnostic> {
    if is_blank(text) {
        return Err(
            Diagnostic::error(source.span(0, 0), "the spec is empty").with_help(
                "a spec is a YAML mapping with `version: 1`, `name`, `buckets` and `destinations`",
            ),
        );
    }
    let mut options = serde_saphyr::Options::default();
    options.with_snippet = false;
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::Error;
    serde_saphyr::from_str_with_options::<RawSpec>(text, options)
        .map_err(|err| yaml_error(&err, text, source))
}

/// True when the text holds no YAML node: only blank lines, comments and document markers.
fn is_blank(text: &str) -> bool {
    text.lines().all(|line| {
        let line = line.trim();
        line.is_empty() || line.starts_with('#') || line == "---" || line == "..."
    })
}

/// Byte offset of the first YAML node (after blank lines, comments, directives and `---`).
pub(crate) fn first_node_offset(text: &str) -> usize {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        let skip = trimmed.is_empty()
            || trimmed.starts_with('#')
            || trimmed.starts_with('%')
            || trimmed == "---";
        if !skip {
            return offset + (line.len() - line.trim_start().len());
        }
        offset += line.len();
    }
    offset
}

pub(crate) fn span_of(location: serde_saphyr::Location, source: &SourceText<'_>) -> Span {
    let span = location.span();
    let offset = match span.byte_offset() {
        Some(offset) => offset as usize,
        None => source.offset_of(location.line() as usize, location.column() as usize),
    };
    let len = match span.byte_len() {
        Some(len) => len as usize,
        None => source.byte_len(offset, span.len() as usize),
    };
    source.span(offset, len)
}

const TOP_FIELDS: &str = "version";
const BUCKET_FIELDS: &str = "create";
const DESTINATION_FIELDS: &str = "vendor";

fn yaml_error(err: &YamlError, text: &str, source: &SourceText<'_>) -> Diagnostic {
    let mut err = err.without_snippet();
    if let YamlError::AliasError { error, .. } = err {
        err = error.without_snippet();
    }
    let span = err
        .location()
        .map_or_else(|| source.span(0, 0), |loc| span_of(loc, source));
    let found = source.slice(span);
    match err {
        YamlError::SerdeUnknownField {
            field, expected, ..
        } => {
            let place = if expected.contains(&TOP_FIELDS) {
                "at the top level"
            } else if expected.contains(&BUCKET_FIELDS) {
                "in a bucket"
            } else if expected.contains(&DESTINATION_FIELDS) {
                "in a destination"
            } else {
                "here"
            };
            let allowed = expected
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let help = match did_you_mean(field, expected.iter().copied()) {
                Some(s) => format!("did you mean `{s}`? fields allowed {place}: {allowed}"),
                None => format!("fields allowed {place}: {allowed}"),
            };
            Diagnostic::error(span, format!("unknown field `{field}` {place}"))
                .with_label("unknown field")
                .with_help(help)
        }
        YamlError::DuplicateMappingKey { key, .. } => {
            let key = key.clone().unwrap_or_else(|| found.to_owned());
            Diagnostic::error(span, format!("duplicate key `{key}`"))
                .with_label("already given above")
                .with_help("a key may appear only once in a mapping: remove or rename one of them")
        }
        YamlError::MultipleDocuments { .. } => {
            Diagnostic::error(span, "the spec must be a single YAML document")
                .with_help("remove the `---` line and what follows it, or move it to its own file")
        }
        YamlError::Eof { .. } => Diagnostic::error(span, "unexpected end of file"),
        YamlError::Unexpected { expected, .. } => {
            let what = match *expected {
                "mapping start" => "a mapping",
                "sequence start" => "a list",
                "string scalar" => "a string",
                other => other,
            };
            if *expected == "mapping start" && span.offset == first_node_offset(text) {
                return Diagnostic::error(span, "the spec must be a YAML mapping").with_help(
                    "a spec is a YAML mapping with `version: 1`, `name`, `buckets` and \
                     `destinations`",
                );
            }
            let message = match found.chars().next() {
                None | Some(' ' | '\n' | '\r') => format!("expected {what}"),
                Some('[' | '-') => format!("expected {what}, found a list"),
                Some('{') => format!("expected {what}, found a mapping"),
                Some(_) => format!("expected {what}, found `{found}`"),
            };
            Diagnostic::error(span, message)
        }
        YamlError::InvalidScalar { ty: "boolean", .. } | YamlError::InvalidBooleanStrict { .. } => {
            Diagnostic::error(span, format!("invalid boolean `{found}`"))
                .with_help("write `true` or `false`")
        }
        YamlError::InvalidScalar { ty, .. } if ty.starts_with('u') || ty.starts_with('i') => {
            Diagnostic::error(span, format!("invalid number `{found}`"))
                .with_help("expected a whole number, such as `90`")
        }
        YamlError::ExternalMessage { .. } => {
            let message = UserMessageFormatter.format_message(err);
            Diagnostic::error(span, format!("invalid YAML: {message}"))
        }
        other => {
            let message = UserMessageFormatter.format_message(other);
            Diagnostic::error(span, lower_first(&message))
        }
    }
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
