//! The s3dest spec: parse and validate `s3dest.yaml` into a [`Spec`], with diagnostics that point into the file.
//!
//! Pure: no I/O beyond the text the caller passes in, no AWS, no async. Parsing happens in
//! two stages: serde-saphyr deserializes the text into flat raw types that keep the span of
//! every value; an unknown field, a value of the wrong kind or a duplicate key is reported
//! and blanked out of the text, and the rest deserialized again (`recover`), so that every
//! one is reported (a syntax error or a limit stops it there). Then validation turns the raw
//! types into a [`Spec`], collecting every semantic problem at once, each pointing at the
//! offending value (or at the key of what lacks a required field).

mod diagnostic;
mod json;
mod model;
mod names;
mod raw;
mod recover;
mod schema;
pub mod starter;
mod suggest;
mod tree;
mod validate;

#[cfg(test)]
mod tests;

pub use diagnostic::{Diagnostic, NotUtf8, Severity, Span, decode, render_diagnostics};
pub use json::{DIAGNOSTICS_FORMAT_VERSION, diagnostics_json};
pub use model::{
    AssumeRole, Auth, BucketSpec, Destination, Principal, Scope, Spec, SpecFile, TrustVariant,
    Vendor, data_folder,
};
pub use names::{
    MAX_DESTINATION_NAME, MAX_ROLE_NAME, MAX_TAGS, ROLE_NAME_PREFIX, check_spec_name,
    is_valid_bucket_name, is_valid_role_name,
};
pub use s3dest_vendors as vendors;
pub use schema::json_schema;

/// The largest spec s3dest reads: 4 MiB. A spec of 1,000 destinations is about 300 KB, so
/// this is over ten times the largest real spec; a bigger file is the wrong file (a log, a
/// dump) or an attack. Parsing costs many times the text's size in memory (a 64 MB value
/// took 1.7 GB), so the limit is checked before the file is read, and the YAML budget in
/// `raw.rs` bounds what aliases can expand it to.
pub const MAX_SPEC_BYTES: usize = 4 * 1024 * 1024;

/// A spec that passed every check, and the warnings found on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub spec: Spec,
    pub warnings: Vec<Diagnostic>,
    /// Warnings about the spec as a whole that only `s3dest validate` shows, since every
    /// other command would repeat them on every run (a spec pinned to no account).
    pub advice: Vec<Diagnostic>,
}

/// Parses and validates a spec.
///
/// `file_name` is only used in messages (it is kept for symmetry with
/// [`render_diagnostics`]). On failure the vector holds every error found, and the warnings
/// found with them, in file order; it is never empty and holds at least one
/// [`Severity::Error`].
pub fn parse(file_name: &str, text: &str) -> Result<Checked, Vec<Diagnostic>> {
    let _ = file_name;
    let source = diagnostic::SourceText::new(text);
    if text.len() > MAX_SPEC_BYTES {
        return Err(vec![too_large(text.len(), &source)]);
    }
    if raw::is_blank(text) {
        return Err(vec![raw::empty_spec(&source)]);
    }
    let read = recover::read(text, &source);
    let mut diags = read.diagnostics;
    let Some(raw) = read.raw else {
        diags.sort_by_key(|d| d.span.offset);
        return Err(diags);
    };
    let (spec, semantic, advice) = validate::validate(raw, text, &source, &read.unreadable);
    diags.extend(semantic);
    diags.sort_by_key(|d| d.span.offset);
    match spec {
        Some(spec) if !diags.iter().any(Diagnostic::is_error) => Ok(Checked {
            spec,
            warnings: diags,
            advice,
        }),
        _ => Err(diags),
    }
}

/// The error for a spec over [`MAX_SPEC_BYTES`], at its start.
fn too_large(len: usize, source: &diagnostic::SourceText<'_>) -> Diagnostic {
    Diagnostic::error(
        source.span(0, 0),
        format!(
            "the spec is {len} bytes, more than the {MAX_SPEC_BYTES} bytes (4 MiB) s3dest reads"
        ),
    )
    .with_help("a spec of 1,000 destinations is about 300 KB: is this the right file?")
}
