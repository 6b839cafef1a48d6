//! Renderers: the plan as human text, as versioned JSON (the contract of
//! `--format json`), and as markdown for a pull-request comment (one spec's, or one for
//! several specs).

mod access;
mod json;
mod markdown;
mod meaning;
mod outline;
mod picture;
mod several;
mod text;
mod view;

pub use access::{access_json, access_text};
pub use json::{FORMAT_VERSION, json};
pub use markdown::{GITHUB_COMMENT_LIMIT, markdown, markdown_with_limit};
pub use several::{SpecSection, markdown_several, markdown_several_with_limit};
pub use text::text;
pub use view::view;

use serde_json::Value;
use similar::TextDiff;

use crate::plan::{Action, Change, Resource};

/// Terraform's symbols, so the plan reads the way reviewers already know.
pub fn symbol(action: Action) -> &'static str {
    match action {
        Action::Create => "+",
        Action::Update => "~",
        Action::Replace => "-/+",
        Action::Delete => "-",
    }
}

pub fn verb(action: Action) -> &'static str {
    match action {
        Action::Create => "created",
        Action::Update => "updated in place",
        Action::Replace => "replaced",
        Action::Delete => "destroyed",
    }
}

fn pretty(resource: &Option<Resource>) -> String {
    match resource {
        // A `Value` has only string keys: its serialization cannot fail.
        Some(r) => {
            serde_json::to_string_pretty(&without_secret_tags(view(r))).unwrap_or_default() + "\n"
        }
        None => String::new(),
    }
}

/// The view with the value of any tag named like a secret hidden: people read the
/// text and markdown plans in terminals and CI logs. (The JSON plan, a contract, is
/// left as it is; s3dest writes no such tag.)
fn without_secret_tags(mut view: Value) -> Value {
    if let Some(Value::Object(tags)) = view.get_mut("tags") {
        for (key, value) in tags.iter_mut() {
            if looks_secret(key) {
                *value = Value::String("(sensitive)".to_owned());
            }
        }
    }
    view
}

/// Whether a tag's name says its value is a secret.
fn looks_secret(name: &str) -> bool {
    const WORDS: [&str; 6] = [
        "secret",
        "password",
        "passwd",
        "token",
        "credential",
        "private",
    ];
    let name = name.to_ascii_lowercase();
    WORDS.iter().any(|word| name.contains(word))
}

/// A unified diff of the canonical pretty JSON views before and after: every line of a new
/// or deleted resource, only the changed hunks of an update.
pub fn diff_lines(change: &Change) -> Vec<(char, String)> {
    let before = pretty(&change.before);
    let after = pretty(&change.after);
    if before.is_empty() || after.is_empty() {
        let (sign, text) = if before.is_empty() {
            ('+', after)
        } else {
            ('-', before)
        };
        return text.lines().map(|l| (sign, l.to_owned())).collect();
    }
    let diff = TextDiff::from_lines(&before, &after);
    let mut lines = Vec::new();
    for hunk in diff.unified_diff().context_radius(3).iter_hunks() {
        lines.push(('@', hunk.header().to_string()));
        for change in hunk.iter_changes() {
            let sign = match change.tag() {
                similar::ChangeTag::Delete => '-',
                similar::ChangeTag::Insert => '+',
                similar::ChangeTag::Equal => ' ',
            };
            lines.push((sign, change.value().trim_end_matches('\n').to_owned()));
        }
    }
    lines
}

#[cfg(test)]
mod tests;
