//! The JSON Schema of the spec, for editors (yaml-language-server, JetBrains) and linters.
//!
//! It is generated from the raw types the parser deserializes: `raw.rs` derives `JsonSchema`,
//! so the fields, which of them are required and `additionalProperties: false` (from
//! `deny_unknown_fields`) are those of the parser and cannot drift from it. The descriptions
//! are the doc comments of those fields. What this file adds is what JSON Schema can say of the
//! rules `validate` checks, where it is cheap: the enums of `vendor` and `auth` (built from the
//! model, so a new vendor appears here by itself), patterns and lengths of names, and the
//! per-vendor required and forbidden fields. `validate` stays the authority: a file the
//! schema accepts can still fail it (a bucket that is not declared, two destinations on one
//! folder, ...), and on scalars the schema asks for the form every YAML tool reads alike (a
//! string where s3dest would also take `external_id: 123`).
//!
//! Draft-07, the draft editors support best. `s3dest schema` prints it; the copy in
//! `docs/s3dest.schema.json` is checked against it by a test.

use std::borrow::Cow;

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde_json::{Value, json};

use s3dest_vendors::{ExternalId, Folder, Identity, ScopeRule, Trust};

use crate::model::{Auth, Vendor};
use crate::names::{MAX_DESTINATION_NAME, MAX_FOLDER, MAX_TAGS};
use crate::raw::{Entries, Maybe, RawSpec};

/// The JSON Schema (draft-07) of an `s3dest.yaml` spec.
pub fn json_schema() -> Value {
    let generator = SchemaSettings::draft07().into_generator();
    let mut schema = generator.into_root_schema_for::<RawSpec>().to_value();
    unwrap_descriptions(&mut schema);
    // `$schema`, `title` and `description` first, for whoever reads the file.
    let mut ordered = serde_json::Map::new();
    if let Value::Object(mut rest) = schema {
        for key in ["$schema", "title", "description"] {
            if let Some(value) = rest.remove(key) {
                ordered.insert(key.to_owned(), value);
            }
        }
        ordered.insert("title".to_owned(), "s3dest spec".into());
        ordered.extend(rest);
    }
    Value::Object(ordered)
}

/// Doc comments are wrapped at 100 columns; a description is one paragraph per line.
fn unwrap_descriptions(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                match value {
                    Value::String(text) if key == "description" => {
                        *text = text
                            .split("\n\n")
                            .map(|p| p.split('\n').map(str::trim).collect::<Vec<_>>().join(" "))
                            .collect::<Vec<_>>()
                            .join("\n\n");
                    }
                    _ => unwrap_descriptions(value),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(unwrap_descriptions),
        _ => {}
    }
}

// Patterns: ECMA-262 regular expressions without look-around, as JSON Schema asks.

/// A spec name: 1-64 characters, letters, digits, `.`, `_`, `-`, starting with a letter or digit.
pub(crate) const ACCOUNT_ID: &str = "^[0-9]{12}$";
pub(crate) const ROLE_ARN: &str = "^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:role/";
pub(crate) const SPEC_NAME: &str = "^[A-Za-z0-9][A-Za-z0-9._-]*$";
/// An AWS region code.
pub(crate) const REGION: &str = "^[a-z]{2}(-[a-z]+)+-[0-9]+$";
/// An IAM role name (1-64 characters).
pub(crate) const ROLE_NAME: &str = "^[A-Za-z0-9_+=,.@-]+$";
/// An `sts:ExternalId` (2-1224 characters).
pub(crate) const EXTERNAL_ID: &str = "^[A-Za-z0-9_+=,.@:/-]+$";
/// An S3 action as IAM writes it.
pub(crate) const ACTION: &str = "^s3:[A-Za-z*]+$";
/// A folder inside a bucket: no leading `/`, the characters an IAM tag value allows.
pub(crate) const FOLDER: &str = "^[A-Za-z0-9_. -][A-Za-z0-9_./ -]*$";
/// A 12-digit account ID, or an IAM `:root`, user or role ARN.
pub(crate) const PRINCIPAL: &str = "^([0-9]{12}|arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:(root|(user|role)/([A-Za-z0-9_+=,.@-]+/)*[A-Za-z0-9_+=,.@-]{1,64}))$";

/// `version: 1`, the integer (the parser rejects `"1"`).
pub(crate) struct SpecVersion;

impl JsonSchema for SpecVersion {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "SpecVersion".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "integer", "const": 1 })
    }
}

/// The vendors, from [`Vendor::ALL`].
pub(crate) struct VendorName;

impl JsonSchema for VendorName {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Vendor".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "enum": vendors(|_| true) })
    }
}

/// A name of a vendor's set of fixed principals (`trust:`); which names, per vendor, is in
/// the destination's rules.
pub(crate) struct TrustName;

impl JsonSchema for TrustName {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Trust".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let mut names: Vec<&str> = Vendor::all()
            .flat_map(|v| v.trust_variants().iter().map(|t| t.name))
            .collect();
        names.sort_unstable();
        names.dedup();
        json_schema!({ "type": "string", "enum": names })
    }
}

/// `role` | `access-key`.
pub(crate) struct AuthName;

impl JsonSchema for AuthName {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Auth".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        // Exhaustive: a new `Auth` variant does not compile until it is listed here.
        let names: Vec<&str> = [Auth::Role, Auth::AccessKey]
            .into_iter()
            .map(|auth| match auth {
                Auth::Role | Auth::AccessKey => auth.as_str(),
            })
            .collect();
        json_schema!({ "type": "string", "enum": names })
    }
}

/// `bucket` | `folder`.
pub(crate) struct ScopeName;

impl JsonSchema for ScopeName {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Scope".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let names: Vec<&str> = crate::model::Scope::ALL
            .iter()
            .map(|s| s.as_str())
            .collect();
        json_schema!({ "type": "string", "enum": names })
    }
}

/// `assume_role:`: the role's ARN, or a mapping with `arn` and `external_id`.
pub(crate) struct AssumeRoleValue;

impl JsonSchema for AssumeRoleValue {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "AssumeRoleValue".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mapping = generator.subschema_for::<crate::raw::RawAssumeRoleMapping>();
        json_schema!({ "oneOf": [{ "type": "string", "pattern": ROLE_ARN }, mapping] })
    }
}

/// A principal: a string, or the account ID written as a YAML number (accepted, but quoting
/// it keeps leading zeros for every other YAML tool).
pub(crate) struct PrincipalValue;

impl JsonSchema for PrincipalValue {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Principal".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": ["string", "integer"], "pattern": PRINCIPAL })
    }
}

/// A folder: the pattern, and no empty, `.` or `..` segment.
pub(crate) struct FolderPath;

impl JsonSchema for FolderPath {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Folder".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_FOLDER,
            "pattern": FOLDER,
            "not": { "type": "string", "pattern": "(^|/)\\.\\.?(/|$)|//" },
        })
    }
}

/// `moved_from`: a spec file's path as s3dest records it, or a list of them. No empty, `.`
/// or `..` part, no `\`.
pub(crate) struct MovedFrom;

impl JsonSchema for MovedFrom {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "MovedFrom".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let path = json!({
            "type": "string",
            "minLength": 1,
            "not": { "type": "string", "pattern": SPEC_FILE_NOT },
        });
        // One schema for both forms: each keyword applies to the type it is about.
        json_schema!({
            "type": ["string", "array"],
            "minLength": 1,
            "not": { "type": "string", "pattern": SPEC_FILE_NOT },
            "items": path,
        })
    }
}

/// What a `moved_from` path must not match: an empty, `.` or `..` part (a leading `/` is
/// allowed), or a backslash.
pub(crate) const SPEC_FILE_NOT: &str = r"(^|/)\.\.?(/|$)|//|/$|\\";

/// A number of days, 1 to 3650 (ten years).
pub(crate) struct Days;

impl JsonSchema for Days {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Days".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "integer", "minimum": 1, "maximum": 3650 })
    }
}

/// A destination's extra tags: IAM's limits, and no reserved key.
pub(crate) struct TagMap;

impl JsonSchema for TagMap {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Tags".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "object",
            "maxProperties": MAX_TAGS,
            "propertyNames": {
                "minLength": 1,
                "maxLength": 128,
                "not": { "pattern": "^(s3dest:|[Aa][Ww][Ss]:)" },
            },
            "additionalProperties": {
                "type": ["string", "number", "boolean", "null"],
                "maxLength": 256,
            },
        })
    }
}

/// A mapping of names to values, kept in file order by the parser.
impl<V: JsonSchema> JsonSchema for Entries<V> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        format!("Map_of_{}", V::schema_name()).into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "object", "additionalProperties": generator.subschema_for::<V>() })
    }
}

/// Absent or null (`buckets:` alone) reads as empty.
impl<T: JsonSchema> JsonSchema for Maybe<T> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        <Option<T>>::schema_name()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        <Option<T>>::json_schema(generator)
    }
}

/// The keys of `buckets`: S3 bucket names.
pub(crate) fn bucket_names() -> Value {
    json!({
        "minLength": 3,
        "maxLength": 63,
        "pattern": "^[a-z0-9][a-z0-9.-]*[a-z0-9]$",
    })
}

/// `destinations`: the names, and no empty destination (the parser reads `name:` alone as
/// null, and `validate` rejects it), unlike a bucket, where it means the defaults.
pub(crate) fn destination_map(schema: &mut Schema) {
    schema.insert(
        "propertyNames".into(),
        json!({
            "minLength": 1,
            "maxLength": MAX_DESTINATION_NAME,
            "pattern": "^[a-z0-9][a-z0-9_-]*$",
        }),
    );
    let Some(Value::Object(value)) = schema.get_mut("additionalProperties") else {
        return;
    };
    let non_null = match value
        .get("anyOf")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    {
        Some([destination, null]) if *null == json!({ "type": "null" }) => {
            destination.as_object().cloned()
        }
        _ => None,
    };
    if let Some(destination) = non_null {
        *value = destination;
    }
}

/// Top-level fields the parser defaults (to report them missing with the rest) but the spec
/// requires.
pub(crate) fn require_maps(schema: &mut Schema) {
    if let Some(Value::Array(required)) = schema.get_mut("required") {
        for field in ["buckets", "destinations"] {
            if !required.iter().any(|r| r == field) {
                required.push(field.into());
            }
        }
    }
}

/// What each vendor requires or forbids, as `validate` does (errors only, not warnings).
pub(crate) fn destination_rules(schema: &mut Schema) {
    let key_fields: Vec<String> = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| {
            p.keys()
                .filter(|k| k.starts_with("key_"))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let not_access_key = json!({ "not": { "const": Auth::AccessKey.as_str() } });
    let when = |vendors: Vec<Value>, role: bool| {
        let mut properties = json!({ "vendor": { "enum": vendors } });
        if role {
            properties["auth"] = not_access_key.clone();
        }
        json!({ "required": ["vendor"], "properties": properties })
    };
    let d = |v: &Vendor| v.description();
    let mut rules = vec![
        json!({
            "if": when(vendors(|v| matches!(d(v).folder, Folder::Required)), false),
            "then": { "required": ["folder"] },
        }),
        json!({
            "if": when(vendors(|v| matches!(d(v).folder, Folder::Unknown { .. })), false),
            "then": forbid(&["folder"]),
        }),
        // A role trusts the principal the customer enters, or the vendor's fixed ones.
        json!({
            "if": when(vendors(|v| matches!(d(v).trust, Trust::Customer { .. })), true),
            "then": { "required": ["principal"] },
        }),
        json!({
            "if": when(vendors(|v| !matches!(d(v).trust, Trust::Customer { .. })), true),
            "then": forbid(&["principal"]),
        }),
        json!({
            "if": when(vendors(|v| matches!(d(v).external_id, ExternalId::Required { .. })), true),
            "then": { "required": ["external_id"] },
        }),
        json!({
            "if": when(
                vendors(|v| matches!(d(v).external_id, ExternalId::Impossible { .. } | ExternalId::NotUsed { .. })),
                true,
            ),
            "then": forbid(&["external_id"]),
        }),
        // `actions` is for custom only, and required there.
        json!({
            "if": when(vendors(|v| d(v).grants.from_spec), false),
            "then": { "required": ["actions"] },
        }),
        json!({
            "if": when(vendors(|v| !d(v).grants.from_spec), false),
            "then": forbid(&["actions"]),
        }),
        // A role name the vendor fixes, or no role at all.
        json!({
            "if": when(
                vendors(|v| v.fixed_role().is_some() || matches!(d(v).identity, Identity::None)),
                false,
            ),
            "then": forbid(&["role_name"]),
        }),
        json!({
            "if": when(vendors(|v| matches!(d(v).scope, ScopeRule::Fixed { .. })), false),
            "then": forbid(&["scope"]),
        }),
        json!({
            "if": when(vendors(|v| v.trust_variants().len() < 2), false),
            "then": forbid(&["trust"]),
        }),
        json!({
            "if": when(vendors(|v| !v.offers_access_key()), false),
            "then": { "properties": { "auth": not_access_key } },
        }),
        // Access keys have no role; the `key_*` settings are for access keys only.
        json!({
            "if": {
                "required": ["auth"],
                "properties": { "auth": { "const": Auth::AccessKey.as_str() } },
            },
            "then": forbid(&["role_name"]),
            "else": forbid(&key_fields),
        }),
    ];
    // Each vendor's own `trust` values.
    for vendor in Vendor::all().filter(|v| v.trust_variants().len() >= 2) {
        let names: Vec<&str> = vendor.trust_variants().iter().map(|t| t.name).collect();
        rules.push(json!({
            "if": when(vec![Value::from(vendor.as_str())], false),
            "then": { "properties": { "trust": { "enum": names } } },
        }));
    }
    schema.insert("allOf".into(), Value::Array(rules));
}

/// `properties: {field: false}` for each field.
fn forbid(fields: &[impl AsRef<str>]) -> Value {
    let properties: serde_json::Map<String, Value> = fields
        .iter()
        .map(|f| (f.as_ref().to_owned(), Value::Bool(false)))
        .collect();
    json!({ "properties": properties })
}

fn vendors(keep: impl Fn(&Vendor) -> bool) -> Vec<Value> {
    Vendor::all()
        .filter(|v| keep(v))
        .map(|v| Value::from(v.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_has_what_the_parser_has() {
        let schema = json_schema();
        assert_eq!(
            schema["required"],
            json!(["version", "name", "buckets", "destinations"])
        );
        assert_eq!(schema["additionalProperties"], json!(false));
        let destination = &schema["definitions"]["Destination"];
        assert_eq!(destination["additionalProperties"], json!(false));
        assert_eq!(destination["required"], json!(["vendor", "bucket"]));
        let vendor = &destination["properties"]["vendor"]["enum"];
        assert_eq!(vendor.as_array().map(Vec::len), Some(Vendor::all().count()));
    }

    /// The field names the messages about misplaced fields use are the schema's.
    #[test]
    fn the_field_lists_are_the_schemas_properties() {
        use crate::raw::{assume_role_fields, bucket_fields, destination_fields, top_level_fields};
        let schema = json_schema();
        let properties = |schema: &Value| -> Vec<String> {
            let mut keys: Vec<String> = schema["properties"]
                .as_object()
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default();
            keys.sort();
            keys
        };
        let sorted = |fields: &[&str]| -> Vec<String> {
            let mut fields: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
            fields.sort();
            fields
        };
        let definitions = &schema["definitions"];
        assert_eq!(sorted(top_level_fields()), properties(&schema));
        assert_eq!(sorted(bucket_fields()), properties(&definitions["Bucket"]));
        assert_eq!(
            sorted(destination_fields()),
            properties(&definitions["Destination"])
        );
        assert_eq!(
            sorted(assume_role_fields()),
            properties(&definitions["AssumeRole"])
        );
        assert!(destination_fields().contains(&"vendor"));
    }
}
