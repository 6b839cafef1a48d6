//! The starter spec `s3dest init` writes: a commented spec with one destination per
//! chosen vendor, made from the vendor catalogue. What only the vendor's UI can tell
//! (its account, its external ID) is left as a `<...>` placeholder marked `# fill in:`,
//! which `validate` refuses until it is filled in: a starter spec cannot be applied by
//! mistake with a stand-in principal.

use std::fmt::Write;

use s3dest_vendors::{ExternalId, Folder, Identity, Trust, Vendor};

/// The schema file the starter spec's first line points editors at.
pub const SCHEMA_FILE: &str = "s3dest.schema.json";

/// The bucket a starter names when none is given.
pub const EXAMPLE_BUCKET: &str = "acme-vendor-exports";

/// The starter spec for `vendors` (in the order given; a vendor named twice gets a
/// second destination, `NAME-2`), writing into `bucket`.
pub fn starter(vendors: &[Vendor], bucket: Option<&str>) -> String {
    let mut out = format!(
        "# yaml-language-server: $schema={SCHEMA_FILE}\n\
         # An s3dest spec: the buckets SaaS vendors export into, and one destination per\n\
         # vendor feature. Replace each `<...>` marked `# fill in:`, then run\n\
         # `s3dest validate` and `s3dest plan`. Every field: `s3dest schema`.\n\
         version: 1\n\
         name: exports                   # the spec's id: s3dest tags all it makes with it\n\
         # account: \"123456789012\"       # recommended: refuse credentials of another account\n\
         # assume_role: arn:aws:iam::123456789012:role/s3dest   # optional: work in that role's account\n"
    );
    let bucket_given = bucket.is_some();
    let bucket = bucket.unwrap_or(EXAMPLE_BUCKET);
    out.push_str("buckets:\n");
    let _ = writeln!(
        out,
        "  {bucket}: {{}}{}",
        match bucket_given {
            true => "         # must exist; `{ create: true }` has s3dest make it",
            false => "   # your bucket: it must exist; `{ create: true }` has s3dest make it",
        }
    );
    if vendors.is_empty() {
        let names: Vec<&str> = Vendor::all().map(Vendor::as_str).collect();
        out.push_str(
            "# One destination per vendor feature: `s3dest init --vendor NAME`, with NAME\n",
        );
        let _ = writeln!(out, "# one of: {}.", names.join(", "));
        out.push_str("destinations: {}\n");
        return out;
    }
    out.push_str("destinations:\n");
    let mut used: Vec<String> = Vec::new();
    for vendor in vendors {
        let base = vendor.as_str().to_owned();
        let count = used.iter().filter(|n| n.starts_with(&base)).count();
        let name = match count {
            0 => base,
            n => format!("{base}-{}", n + 1),
        };
        destination(&mut out, &name, *vendor, bucket);
        used.push(name);
    }
    out
}

/// One destination's lines.
fn destination(out: &mut String, name: &str, vendor: Vendor, bucket: &str) {
    let d = vendor.description();
    let _ = writeln!(out, "  {name}:");
    let _ = writeln!(out, "    vendor: {}    # {}", d.name, d.title);
    let _ = writeln!(out, "    bucket: {bucket}");
    match d.folder {
        Folder::Required | Folder::Prefix { .. } => {
            let _ = writeln!(
                out,
                "    folder: {name}    # the path in the bucket it writes under"
            );
        }
        Folder::Default(folder) => {
            let _ = writeln!(out, "    # folder: {folder}    (the default)");
        }
        Folder::Unknown { reason } => {
            let _ = writeln!(out, "    # no folder: {reason}");
        }
    }
    if let Identity::ExistingRole {
        default_name, what, ..
    } = d.identity
    {
        let _ = writeln!(out, "    role_name: {default_name}    # {what}");
    }
    match &d.trust {
        Trust::Customer { who, help, .. } => {
            let _ = writeln!(out, "    principal: \"<{who}>\"    # fill in: {help}");
        }
        Trust::Fixed { variants, default } if variants.len() > 1 => {
            let others: Vec<&str> = variants
                .iter()
                .map(|v| v.name)
                .filter(|n| n != default)
                .collect();
            let _ = writeln!(
                out,
                "    # trust: {default}    (the default; also: {})",
                others.join(", ")
            );
        }
        Trust::Fixed { .. } | Trust::Unchanged => {}
    }
    if let ExternalId::Required { help } | ExternalId::Optional { warning: help } = d.external_id {
        let _ = writeln!(
            out,
            "    external_id: \"<external ID>\"    # fill in: {}",
            one_line(help)
        );
    }
    if d.grants.from_spec {
        out.push_str("    actions: [s3:PutObject]    # what it may do in its folder\n");
    }
    if d.access_key.is_some() {
        out.push_str("    # auth: access-key    (an IAM user and key instead of a role)\n");
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Severity, parse};

    /// Each error of an unfilled starter is on a `# fill in:` line; filled in, the
    /// starter validates.
    #[test]
    fn a_starter_validates_once_its_placeholders_are_filled_in() {
        for vendor in Vendor::all() {
            let text = starter(&[vendor], Some("my-exports"));
            if let Err(diags) = parse("s3dest.yaml", &text) {
                for diag in diags.iter().filter(|d| d.severity == Severity::Error) {
                    let line = text.lines().nth(diag.span.line - 1).unwrap_or_default();
                    assert!(
                        line.contains("# fill in:"),
                        "{}: {} on `{line}`\n{text}",
                        vendor.as_str(),
                        diag.message
                    );
                }
            }
            let filled = fill_in(&text, vendor);
            if let Err(diags) = parse("s3dest.yaml", &filled) {
                panic!("{}: {diags:#?}\n{filled}", vendor.as_str());
            }
        }
    }

    /// The placeholders, as a user copying from the vendor's UI would fill them in.
    fn fill_in(text: &str, vendor: Vendor) -> String {
        let principal = match &vendor.description().trust {
            Trust::Customer { accepts, .. } if accepts.account => "\"987654321098\"",
            _ => "arn:aws:iam::987654321098:role/vendor",
        };
        text.lines()
            .map(|line| match line.split_once("    # fill in:") {
                Some((value, _)) if value.contains("principal:") => {
                    format!("    principal: {principal}")
                }
                Some((value, _)) => value.replace("<external ID>", "ext-1234"),
                None => line.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    }

    #[test]
    fn a_vendor_named_twice_gets_a_second_destination() {
        let walkme = Vendor::named("walkme");
        let text = starter(&[walkme, walkme], None);
        assert!(
            text.contains("\n  walkme:\n") && text.contains("\n  walkme-2:\n"),
            "{text}"
        );
        parse("s3dest.yaml", &text).unwrap();
    }

    #[test]
    fn a_starter_of_no_vendor_lists_them_and_validates() {
        let text = starter(&[], None);
        assert!(text.contains("# one of: pendo-data-sync, "), "{text}");
        assert!(text.starts_with("# yaml-language-server: $schema=s3dest.schema.json\n"));
        parse("s3dest.yaml", &text).unwrap();
    }

    #[test]
    fn the_braze_currents_starter_reads_as_the_guide_asks() {
        let text = starter(&[Vendor::named("braze-currents")], None);
        insta::assert_snapshot!(text);
    }
}
