//! The imported spec as YAML, with comments: what each destination was recognised
//! from, what to check, and the IAM users that may be access keys (commented out).

use std::fmt::Write;

use super::{Found, Imported};

/// The spec text. It passes `s3dest validate`; every value from AWS is quoted where
/// YAML could read it as something else.
pub fn to_yaml(imported: &Imported) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# The vendor setups found in account {} by `s3dest import`.",
        imported.account_id
    );
    out.push_str(
        "# Each destination says what it was recognised from; `# check:` lines are what AWS\n\
         # cannot tell. `adopt: true` lets s3dest take over what exists. Run `s3dest plan`\n\
         # and read each change's reason before `s3dest apply`.\n",
    );
    out.push_str("version: 1\n");
    let _ = writeln!(out, "name: {}", scalar(&imported.name));
    // Pinned to the account read: a plan with other credentials is refused.
    let _ = writeln!(out, "account: \"{}\"", imported.account_id);
    let buckets = imported.buckets();
    if buckets.is_empty() {
        out.push_str("buckets: {}\n");
    } else {
        out.push_str("buckets:\n");
        for bucket in buckets {
            let _ = writeln!(out, "  {}: {{}}", scalar(bucket));
        }
    }
    if imported.destinations.is_empty() {
        out.push_str("# No vendor setup was found in the roles and bucket policies read.\n");
        out.push_str("destinations: {}\n");
    } else {
        out.push_str("destinations:\n");
        for (i, found) in imported.destinations.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            destination(&mut out, found);
        }
    }
    if !imported.possible_keys.is_empty() {
        out.push_str(
            "\n# IAM users with S3 grants: each may be a vendor's access key (`auth: access-key`),\n\
             # but AWS does not say whose. To manage one, uncomment it under `destinations:`,\n\
             # set its vendor, and add its bucket under `buckets:`.\n",
        );
        for key in &imported.possible_keys {
            let _ = writeln!(
                out,
                "# user `{}` is granted {} on bucket `{}`:",
                comment(&key.user),
                key.actions.join(", "),
                comment(&key.bucket)
            );
            let _ = writeln!(out, "#  {}:", scalar(&key.user));
            out.push_str("#    vendor: VENDOR\n#    auth: access-key\n");
            let _ = writeln!(out, "#    bucket: {}", scalar(&key.bucket));
            if let Some(folder) = &key.folder {
                let _ = writeln!(out, "#    folder: {}", scalar(folder));
            }
            let _ = writeln!(
                out,
                "#    # s3dest makes its own user (`s3dest-DESTINATION` under `/s3dest/`) and \
                 key: give the vendor the new key, then remove `{}`",
                comment(&key.user)
            );
        }
    }
    if !imported.notes.is_empty() {
        out.push('\n');
        for note in &imported.notes {
            let _ = writeln!(out, "# {}", comment(note));
        }
    }
    out
}

fn destination(out: &mut String, found: &Found) {
    for seen in &found.seen {
        let _ = writeln!(out, "  # {}", comment(seen));
    }
    for check in &found.check {
        let _ = writeln!(out, "  # check: {}", comment(check));
    }
    let _ = writeln!(out, "  {}:", scalar(&found.name));
    let _ = writeln!(out, "    vendor: {}", found.vendor);
    let _ = writeln!(out, "    bucket: {}", scalar(&found.bucket));
    if let Some(folder) = &found.folder {
        match &found.folder_note {
            Some(note) => {
                let _ = writeln!(out, "    # {}", comment(note));
                let _ = writeln!(out, "    folder: {}", scalar(folder));
            }
            None => {
                let _ = writeln!(out, "    folder: {}", scalar(folder));
            }
        }
    }
    if let Some(principal) = &found.principal {
        let _ = writeln!(out, "    principal: {}", quoted(principal));
    }
    if let Some(id) = &found.external_id {
        let _ = writeln!(out, "    external_id: {}", quoted(id));
    }
    if let Some(trust) = found.trust {
        let _ = writeln!(out, "    trust: {}", trust.name);
    }
    if let Some(role) = &found.role_name {
        let _ = writeln!(out, "    role_name: {}", scalar(role));
    }
    if !found.actions.is_empty() {
        let actions: Vec<String> = found.actions.iter().map(|a| scalar(a)).collect();
        let _ = writeln!(out, "    actions: [{}]", actions.join(", "));
    }
    if found.scope_folder {
        out.push_str("    scope: folder\n");
    }
    if found.adopt {
        out.push_str("    adopt: true\n");
    }
}

/// A plain scalar when YAML reads it back as this same string, else a double-quoted
/// one (JSON's escapes are YAML's).
fn scalar(value: &str) -> String {
    let plain = value
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ':'))
        && !value.contains("::")
        && !matches!(
            value.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n"
        );
    if plain {
        value.to_owned()
    } else {
        quoted(value)
    }
}

fn quoted(value: &str) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "\"\"".to_owned())
}

/// Text for a comment: on one line.
fn comment(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}
