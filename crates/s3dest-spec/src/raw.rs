//! The spec as the YAML deserializer sees it (flat types with spans), and the deserializer's
//! errors turned into diagnostics.
//!
//! Every field is optional here, even required ones: a missing field is reported by
//! `validate` at the key of the thing that lacks it, and with the other problems of the file,
//! instead of by serde at the first key of the mapping. Types stay flat (no flatten, untagged
//! or internally tagged enums) because serde-saphyr loses spans inside those.
//!
//! These types also derive the spec's JSON Schema (`schema.rs`): their doc comments are the
//! descriptions editors show, and every field needs `#[schemars(with = "...")]` because
//! `Spanned` has no schema of its own.

use std::fmt;
use std::marker::PhantomData;

use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_saphyr::{Error as YamlError, MessageFormatter, Spanned, UserMessageFormatter};

use crate::diagnostic::{Diagnostic, SourceText, Span};
use crate::names::MAX_ROLE_NAME;
use crate::schema;
use crate::suggest::did_you_mean;

/// An s3dest spec: the buckets that SaaS vendors export into, and one destination per vendor
/// feature. s3dest creates and updates the IAM roles, policies, bucket-policy statements and
/// folders each destination needs, and touches nothing it does not own.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Spec", transform = schema::require_maps)]
pub(crate) struct RawSpec {
    /// The format version; always `1`.
    #[schemars(with = "schema::SpecVersion")]
    pub version: Option<Spanned<String>>,
    /// The spec's id: everything s3dest creates is tagged `s3dest:spec=<name>`, and nothing
    /// tagged for another spec is ever touched. Letters, digits, `.`, `_` and `-`, starting
    /// with a letter or digit.
    #[schemars(with = "String", length(min = 1, max = 64), pattern(schema::SPEC_NAME))]
    pub name: Option<Spanned<String>>,
    /// The AWS account the spec belongs to, 12 digits, quoted: every command that reads
    /// AWS refuses to run with credentials of another account.
    #[schemars(with = "Option<String>", pattern(schema::ACCOUNT_ID))]
    pub account: Option<Spanned<String>>,
    /// A role for s3dest to assume, `arn:aws:iam::ACCOUNT:role/NAME`: the credentials of
    /// the standard chain assume it (session `s3dest-<name>`), and the spec is planned and
    /// applied in the role's account. The ARN alone, or `{arn: ..., external_id: ...}` when
    /// the role's trust policy asks for an external ID.
    #[schemars(with = "Option<schema::AssumeRoleValue>")]
    pub assume_role: Option<Spanned<RawAssumeRole>>,
    /// The external ID to assume `assume_role` with, when that is written as the ARN alone.
    #[schemars(with = "Option<String>")]
    pub external_id: Option<Spanned<String>>,
    /// Where this spec file was before it was moved or renamed, as s3dest recorded it
    /// (`s3dest:file`): its path relative to the root of its git work tree, such as
    /// `team-a/s3dest.yaml` (absolute when it was in none). One path or a list. What s3dest
    /// made from those files is this spec's, and the next apply records it as made from this
    /// file; the entry can go after that apply.
    #[schemars(with = "Option<schema::MovedFrom>")]
    pub moved_from: Option<Spanned<Paths>>,
    /// The region where buckets with `create: true` are created when they name none, such as
    /// `us-east-1`.
    #[schemars(with = "Option<String>", pattern(schema::REGION))]
    pub region: Option<Spanned<String>>,
    /// The buckets the destinations write into, by bucket name (`{}` for none).
    #[serde(default)]
    #[schemars(extend("propertyNames" = schema::bucket_names()))]
    pub buckets: Maybe<Entries<Option<RawBucket>>>,
    /// The export destinations, by name (`{}` for none). The name is used in the role name
    /// (`s3dest-<name>`), tags and plan addresses: lowercase letters, digits, `-` and `_`.
    #[serde(default)]
    #[schemars(transform = schema::destination_map)]
    pub destinations: Maybe<Entries<Option<RawDestination>>>,
}

/// `assume_role:`, as written: the role's ARN alone, or a mapping. (A hand-written
/// deserializer rather than an untagged enum, which would lose the spans inside.)
#[derive(Debug)]
pub(crate) enum RawAssumeRole {
    Arn(String),
    Mapping(RawAssumeRoleMapping),
}

/// `assume_role:` written as a mapping.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "AssumeRole")]
pub(crate) struct RawAssumeRoleMapping {
    /// The role's ARN, `arn:aws:iam::ACCOUNT:role/NAME`.
    #[schemars(with = "String", pattern(schema::ROLE_ARN))]
    pub arn: Option<Spanned<String>>,
    /// The external ID the role's trust policy asks for.
    #[schemars(with = "Option<String>")]
    pub external_id: Option<Spanned<String>>,
}

impl<'de> Deserialize<'de> for RawAssumeRole {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AssumeRoleVisitor;
        impl<'de> Visitor<'de> for AssumeRoleVisitor {
            type Value = RawAssumeRole;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a role ARN, or a mapping with `arn` and `external_id`")
            }
            fn visit_str<E: de::Error>(self, arn: &str) -> Result<Self::Value, E> {
                Ok(RawAssumeRole::Arn(arn.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let fields = de::value::MapAccessDeserializer::new(map);
                RawAssumeRoleMapping::deserialize(fields).map(RawAssumeRole::Mapping)
            }
        }
        deserializer.deserialize_any(AssumeRoleVisitor)
    }
}

/// A bucket the destinations use. By default it must already exist, and s3dest only edits its
/// own statements in the bucket policy.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Bucket")]
pub(crate) struct RawBucket {
    /// Create the bucket when it is missing (all public access blocked, SSE-S3 encryption).
    /// s3dest never deletes a bucket.
    pub create: Option<bool>,
    /// The bucket's region: where it is created, and checked on an existing bucket.
    #[schemars(with = "Option<String>", pattern(schema::REGION))]
    pub region: Option<Spanned<String>>,
}

/// One export destination: a vendor writing into a folder of a bucket.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Destination", transform = schema::destination_rules)]
pub(crate) struct RawDestination {
    /// The vendor feature, whose preset decides the role, policies and bucket statement:
    /// `pendo-data-sync`, `braze-currents`, `braze-data-export`, `braze-security-events`,
    /// `walkme`, or `custom` (with `actions`).
    #[schemars(with = "schema::VendorName")]
    pub vendor: Option<Spanned<String>>,
    /// How the vendor authenticates: `role` (default; it assumes an IAM role) or `access-key`
    /// (an IAM user with an access key, whose secret goes to Secrets Manager).
    #[schemars(with = "Option<schema::AuthName>")]
    pub auth: Option<Spanned<String>>,
    /// The bucket, one of those declared under `buckets`.
    #[schemars(with = "String")]
    pub bucket: Option<Spanned<String>>,
    /// The path inside the bucket the vendor writes under, such as `exports/pendo` (marker
    /// object `exports/pendo/`). Required, except for `braze-currents` (default `currents`).
    #[schemars(with = "Option<schema::FolderPath>")]
    pub folder: Option<Spanned<String>>,
    /// Who assumes the role: Pendo's user ARN (`pendo-data-sync`), the vendor's 12-digit AWS
    /// account ID or its `:root` ARN (Braze), or a user or role ARN (`custom`). Quote an
    /// account ID: YAML drops leading zeros of numbers. Not for `walkme`.
    #[schemars(with = "Option<schema::PrincipalValue>")]
    pub principal: Option<Spanned<String>>,
    /// The external ID the vendor shows next to its principal; the trust policy requires it.
    /// Required for Pendo and Braze with `auth: role`, optional for `custom`, not for `walkme`.
    #[schemars(
        with = "Option<String>",
        length(min = 2, max = 1224),
        pattern(schema::EXTERNAL_ID)
    )]
    pub external_id: Option<Spanned<String>>,
    /// `custom` only: the S3 actions to grant, such as `[s3:PutObject]`; object actions are
    /// scoped to the folder.
    #[schemars(
        with = "Option<Vec<String>>",
        length(min = 1),
        inner(pattern(schema::ACTION))
    )]
    pub actions: Option<Spanned<Vec<Spanned<String>>>>,
    /// The role's name instead of `s3dest-<destination>` (path `/s3dest/`). Not for
    /// `pendo-data-sync` (its role is always `pendo_datasync`) nor `auth: access-key`.
    #[schemars(
        with = "Option<String>",
        length(min = 1, max = MAX_ROLE_NAME),
        pattern(schema::ROLE_NAME)
    )]
    pub role_name: Option<Spanned<String>>,
    /// `walkme` only: which of WalkMe's documented roles the role trusts: `us-and-eu` (the
    /// default: the current guide's US and EU roles), `us`, `eu`, or `legacy` (the four
    /// roles of WalkMe's earlier guide, for a setup made from it).
    #[schemars(with = "Option<schema::TrustName>")]
    pub trust: Option<Spanned<String>>,
    /// Extra tags on the role or user s3dest creates (keys `s3dest:` and `aws:` are reserved).
    #[schemars(with = "Option<schema::TagMap>")]
    pub tags: Option<Spanned<Entries<Option<Spanned<String>>>>>,
    /// Take over an existing role (or user) of that name that s3dest did not create, and
    /// the grant made by hand from the vendor's guide (its inline policy, or its
    /// bucket-policy statement), which s3dest's own replaces.
    pub adopt: Option<bool>,
    /// Where object grants apply: `bucket` (every object, as the vendors' guides write it;
    /// the default except for `custom`) or `folder` (only objects under the folder: a
    /// tightening, safe when the vendor writes only there, as Pendo does).
    #[schemars(with = "Option<schema::ScopeName>")]
    pub scope: Option<Spanned<String>>,
    /// `auth: access-key` only: rotate the access key when it is older than this many days.
    #[schemars(with = "Option<schema::Days>")]
    pub key_max_age_days: Option<Spanned<u32>>,
    /// `auth: access-key` only: during a rotation, deactivate the old key this many days
    /// after the new one was made, even if the vendor has not used the new one yet.
    #[schemars(with = "Option<schema::Days>")]
    pub key_grace_days: Option<Spanned<u32>>,
}

/// One path or a list of them (`moved_from`), each with its span; a single one has the
/// span of the whole field.
#[derive(Debug)]
pub(crate) enum Paths {
    One(String),
    Many(Vec<Spanned<String>>),
}

impl<'de> Deserialize<'de> for Paths {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PathsVisitor;
        impl<'de> Visitor<'de> for PathsVisitor {
            type Value = Paths;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a path or a list of paths")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Paths::One(v.to_owned()))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut paths = Vec::new();
                while let Some(path) = seq.next_element()? {
                    paths.push(path);
                }
                Ok(Paths::Many(paths))
            }
        }
        deserializer.deserialize_any(PathsVisitor)
    }
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

/// Deserializes the text as it is: the deserializer stops at the first problem, which
/// [`yaml_error`] turns into a diagnostic (`recover` takes it from there).
pub(crate) fn deserialize(text: &str) -> Result<RawSpec, YamlError> {
    deserialize_as::<RawSpec>(text)
}

/// The first error of the text as YAML, whatever its shape (a syntax error, a limit).
pub(crate) fn yaml_syntax_error(text: &str) -> Option<YamlError> {
    deserialize_as::<de::IgnoredAny>(text).err()
}

fn deserialize_as<T: de::DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    let mut options = serde_saphyr::Options::default();
    options.with_snippet = false;
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::Error;
    options.budget = Some(budget());
    options.alias_limits = serde_saphyr::alias_limits! {
        max_total_replayed_events: MAX_NODES,
        max_replay_stack_depth: MAX_DEPTH,
    };
    // Comments are never read: not keeping their text saves memory.
    options.emit_comments = false;
    serde_saphyr::from_str_with_options::<T>(text, options)
}

/// The error for a text that holds no YAML node.
pub(crate) fn empty_spec(source: &SourceText<'_>) -> Diagnostic {
    Diagnostic::error(source.span(0, 0), "the spec is empty").with_help(
        "a spec is a YAML mapping with `version: 1`, `name`, `buckets` and `destinations`",
    )
}

/// The fields of a raw type, as its `Deserialize` derive declares them: the one list of
/// them, that the messages about fields in the wrong place use too.
pub(crate) fn field_names<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    let mut fields: &'static [&'static str] = &[];
    // It always fails: it only records what the derive asks for.
    let _ = T::deserialize(FieldNames(&mut fields));
    fields
}

/// The fields of the top level, a bucket, a destination and an `assume_role` mapping.
pub(crate) fn top_level_fields() -> &'static [&'static str] {
    field_names::<RawSpec>()
}
pub(crate) fn bucket_fields() -> &'static [&'static str] {
    field_names::<RawBucket>()
}
pub(crate) fn destination_fields() -> &'static [&'static str] {
    field_names::<RawDestination>()
}
pub(crate) fn assume_role_fields() -> &'static [&'static str] {
    field_names::<RawAssumeRoleMapping>()
}

/// A deserializer that records the fields a struct asks for, and fails.
struct FieldNames<'a>(&'a mut &'static [&'static str]);

impl<'de> Deserializer<'de> for FieldNames<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(de::Error::custom("fields recorded"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// The most that the values of a spec may add up to, counting each alias (`*name`) as the
/// text it repeats: twice the largest file. Aliases may repeat a value, not blow a spec up
/// (a 2 MB value repeated 50,000 times would be 100 GB once deserialized).
pub(crate) const MAX_EXPANDED_BYTES: usize = 2 * crate::MAX_SPEC_BYTES;
/// YAML nodes (scalars, lists, mappings), aliases expanded: a spec of 1,000 destinations
/// has about 20,000.
pub(crate) const MAX_NODES: usize = 250_000;
/// Nesting: a spec nests 5 levels deep (top level, `destinations`, a destination, `tags`, a
/// value); deeper is never a spec, and the deserializer recurses per level.
pub(crate) const MAX_DEPTH: usize = 16;

/// serde-saphyr's limits, set so that no text within [`crate::MAX_SPEC_BYTES`] makes
/// parsing take more than a few hundred MB, or overflow the stack: what aliases replay
/// counts against them as if it were written out.
fn budget() -> serde_saphyr::Budget {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_reader_input_bytes = Some(crate::MAX_SPEC_BYTES);
    budget.max_total_scalar_bytes = MAX_EXPANDED_BYTES;
    budget.max_nodes = MAX_NODES;
    budget.max_events = 4 * MAX_NODES;
    budget.max_depth = MAX_DEPTH;
    budget.flow_nesting_limit = MAX_DEPTH;
    budget.max_aliases = 10_000;
    budget.max_anchors = 10_000;
    budget.max_merge_keys = 1_000;
    budget.max_documents = 2;
    budget.max_inclusion_depth = 0;
    budget
}

/// True when the text holds no YAML node: only blank lines, comments and document markers.
pub(crate) fn is_blank(text: &str) -> bool {
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

/// What a deserializer error says, located in the original text.
pub(crate) fn yaml_error(err: &YamlError, text: &str, source: &SourceText<'_>) -> Diagnostic {
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
            let place = if expected == top_level_fields() {
                "at the top level"
            } else if expected == bucket_fields() {
                "in a bucket"
            } else if expected == destination_fields() {
                "in a destination"
            } else if expected == assume_role_fields() {
                "in `assume_role`"
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
        YamlError::MultipleDocuments { .. } => multiple_documents(span),
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
        YamlError::SerdeInvalidType {
            unexpected,
            expected,
            ..
        } if matches!(unexpected.as_str(), "sequence" | "map") => {
            let found = if unexpected == "sequence" {
                "a list"
            } else {
                "a mapping"
            };
            Diagnostic::error(span, format!("expected {expected}, found {found}"))
        }
        YamlError::UnknownAnchor { .. } => {
            let alias = alias_at(text, span.offset);
            let name = alias.trim_start_matches('*');
            Diagnostic::error(
                source.span(span.offset, alias.len()),
                format!("unknown alias `{alias}`"),
            )
            .with_help(format!(
                "`{alias}` repeats the value marked `&{name}` before it, and no value is marked so"
            ))
        }
        YamlError::Budget { breach, .. } => too_complex(breach, span),
        YamlError::AliasReplayLimitExceeded { .. }
        | YamlError::AliasExpansionLimitExceeded { .. }
        | YamlError::AliasReplayStackDepthExceeded { .. }
        | YamlError::AliasReplayCounterOverflow { .. } => too_complex_help(
            span,
            format!("its aliases expand to more than {MAX_NODES} YAML nodes"),
        ),
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

/// A spec over one of the limits of [`budget`].
fn too_complex(breach: &serde_saphyr::budget::BudgetBreach, span: Span) -> Diagnostic {
    use serde_saphyr::budget::BudgetBreach as B;
    let what = match breach {
        B::ScalarBytes { .. } => format!(
            "its values add up to more than {MAX_EXPANDED_BYTES} bytes, counting each alias as \
             the value it repeats"
        ),
        B::Nodes { .. } | B::Events { .. } => {
            format!("it has more than {MAX_NODES} YAML nodes, counting what aliases repeat")
        }
        B::Depth { .. } => format!("it nests more than {MAX_DEPTH} levels deep"),
        B::Aliases { .. }
        | B::Anchors { .. }
        | B::AliasAnchorRatio { .. }
        | B::RecordedAnchorEvents { .. }
        | B::RecordedAnchorBytes { .. }
        | B::MergeKeys { .. } => "it has too many aliases, anchors or merge keys".to_owned(),
        B::Documents { .. } => return multiple_documents(span),
        B::InputBytes { .. } => format!("it is larger than {} bytes", crate::MAX_SPEC_BYTES),
        _ => "it breaks a YAML parsing limit".to_owned(),
    };
    too_complex_help(span, what)
}

pub(crate) fn too_complex_help(span: Span, what: String) -> Diagnostic {
    Diagnostic::error(
        span,
        format!("the spec is too large or too complex to read: {what}"),
    )
    .with_help(
        "a spec is a small YAML mapping; aliases (`*name`) may repeat a value, not multiply \
             the spec",
    )
}

fn multiple_documents(span: Span) -> Diagnostic {
    Diagnostic::error(span, "the spec must be a single YAML document")
        .with_help("remove the `---` line and what follows it, or move it to its own file")
}

/// The alias token (`*name`) at byte `offset`.
fn alias_at(text: &str, offset: usize) -> &str {
    let rest = text.get(offset..).unwrap_or_default();
    let end = rest
        .char_indices()
        .skip(1)
        .find(|&(_, c)| c.is_whitespace() || matches!(c, ',' | '[' | ']' | '{' | '}'))
        .map_or(rest.len(), |(i, _)| i);
    &rest[..end]
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
