//! Diagnostics as JSON, for CI and editors: a contract, `format_version` 1 (documented in
//! the README).
//!
//! ```json
//! {"format_version": "1", "valid": false,
//!  "diagnostics": [{"severity": "error", "message": "...", "file": "s3dest.yaml",
//!                   "line": 8, "column": 13, "help": "...", "label": "..."}]}
//! ```
//!
//! `severity` is `error` or `warning`; `line` and `column` are 1-based, the column in
//! characters; `help` and `label` are `null` when there is none. `valid` is true when no
//! diagnostic is an error.

use serde_json::{Value, json};

use crate::diagnostic::{Diagnostic, shorten};

/// The version of the object [`diagnostics_json`] makes.
pub const DIAGNOSTICS_FORMAT_VERSION: &str = "1";

/// The diagnostics of the spec `file` as the JSON object above, in the order given.
pub fn diagnostics_json(file: &str, diags: &[Diagnostic]) -> Value {
    let diagnostics: Vec<Value> = diags.iter().map(|d| diagnostic_json(file, d)).collect();
    json!({
        "format_version": DIAGNOSTICS_FORMAT_VERSION,
        "valid": !diags.iter().any(Diagnostic::is_error),
        "diagnostics": diagnostics,
    })
}

fn diagnostic_json(file: &str, diag: &Diagnostic) -> Value {
    json!({
        "severity": diag.severity.to_string(),
        "message": shorten(&diag.message),
        "file": file,
        "line": diag.span.line,
        "column": diag.span.column,
        "help": diag.help,
        "label": diag.label,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    #[test]
    fn an_invalid_spec_lists_its_errors_and_warnings() {
        let yaml = "version: 1\nname: acme\nbuckets: {}\ndestinations:\n  w: { vendor: walkmi }\n  c: { vendor: custom, bucket: b, folder: c, principal: \"111122223333\", actions: [s3:PutObject] }\n";
        let diags = parse("s3dest.yaml", yaml).unwrap_err();
        let value = diagnostics_json("specs/s3dest.yaml", &diags);
        assert_eq!(value["format_version"], "1");
        assert_eq!(value["valid"], false);
        let vendor = diags.iter().position(|d| d.message.contains("walkmi"));
        assert_eq!(
            value["diagnostics"].as_array().map(Vec::len),
            Some(diags.len())
        );
        assert_eq!(
            &value["diagnostics"][vendor.unwrap_or_default()],
            &json!({
                "severity": "error",
                "message": "unknown vendor `walkmi`",
                "file": "specs/s3dest.yaml",
                "line": 5,
                "column": 16,
                "help": "did you mean `walkme`? vendors: pendo-data-sync, braze-currents, \
                         braze-data-export, braze-security-events, walkme, segment, mixpanel, \
                         cloudflare-logpush, datadog-log-archives, custom",
                "label": "unknown vendor",
            })
        );
        let severities: Vec<&str> = value["diagnostics"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| d["severity"].as_str())
            .collect();
        assert!(severities.contains(&"warning"), "{value}");
        // The keys in the contract's order.
        let keys: Vec<&String> = value
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        assert_eq!(keys, ["format_version", "valid", "diagnostics"]);
    }

    #[test]
    fn warnings_alone_are_valid_and_help_may_be_null() {
        let checked = parse(
            "s3dest.yaml",
            "version: 1\nname: acme\nbuckets: {}\ndestinations: {}\n",
        )
        .unwrap();
        let mut advice = checked.advice;
        advice[0].help = None;
        let value = diagnostics_json("s3dest.yaml", &advice);
        assert_eq!(value["valid"], true);
        assert_eq!(value["diagnostics"][0]["severity"], "warning");
        assert_eq!(value["diagnostics"][0]["help"], Value::Null);
        assert_eq!(
            diagnostics_json("s3dest.yaml", &[]),
            json!({"format_version": "1", "valid": true, "diagnostics": []})
        );
    }
}
