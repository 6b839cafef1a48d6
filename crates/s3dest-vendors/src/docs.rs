//! The vendor table of `docs/vendors.md`, generated from the catalogue (a test of the
//! workspace fails when the committed file is stale).

use crate::description::*;
use crate::{CATALOGUE, Vendor};

/// The whole of `docs/vendors.md`.
pub fn docs_table() -> String {
    let mut out = String::from(
        "# Vendors\n\n\
         <!-- Generated from the catalogue in crates/s3dest-vendors: do not edit by hand. \
         Regenerate with `S3DEST_UPDATE_DOCS=1 cargo test -p s3dest-vendors --test docs_table`. -->\n\n\
         What each `vendor:` of a spec makes, from the catalogue in `crates/s3dest-vendors` (one \
         file per vendor). `docs/presets.md` explains each preset and where it departs from its \
         guide.\n\n\
         | vendor | method | who acts | external ID | folder | grants | SSE-KMS | checks |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for d in CATALOGUE {
        let row = [
            format!("`{}`<br>{}", d.name, d.title),
            method(d),
            trust(Vendor(d)),
            external_id(d),
            folder(d),
            grants(d),
            encryption(d),
            checks(d),
        ];
        out.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    out.push_str("\n## Sources\n\n| vendor | guide | facts checked |\n| --- | --- | --- |\n");
    for d in CATALOGUE {
        let guide = if d.source.url.is_empty() {
            d.source.guide.to_owned()
        } else {
            format!("[{}]({})", d.source.guide, d.source.url)
        };
        out.push_str(&format!(
            "| `{}` | {guide} | {} |\n",
            d.name, d.source.checked
        ));
    }
    out
}

fn method(d: &Description) -> String {
    let main = match (&d.identity, d.placement) {
        (Identity::OwnRole { fixed: Some(f) }, Placement::BucketStatement) => format!(
            "role `{}` (path `{}`), grant in the bucket policy",
            f.name, f.path
        ),
        (Identity::OwnRole { fixed: Some(f) }, Placement::IdentityPolicy) => {
            format!(
                "role `{}` (path `{}`) with an inline policy",
                f.name, f.path
            )
        }
        (Identity::OwnRole { fixed: None }, Placement::BucketStatement) => {
            "role, grant in the bucket policy".to_owned()
        }
        (Identity::OwnRole { fixed: None }, Placement::IdentityPolicy) => {
            "role with an inline policy".to_owned()
        }
        (Identity::ExistingRole { default_name, .. }, _) => format!(
            "one inline policy on your existing role (default `{default_name}`), nothing else of it"
        ),
        (Identity::None, _) => "one bucket-policy statement, no role".to_owned(),
    };
    if d.access_key.is_some() {
        format!("{main}; or `auth: access-key`")
    } else {
        main
    }
}

fn trust(vendor: Vendor) -> String {
    match &vendor.description().trust {
        Trust::Customer { accepts, .. } => match (accepts.account, accepts.user_or_role) {
            (true, true) => "`principal`: an account or a user or role ARN".to_owned(),
            (true, false) => "`principal`: the vendor's account ID".to_owned(),
            _ => "`principal`: the vendor's user or role ARN".to_owned(),
        },
        Trust::Fixed { variants, default } => {
            if variants.len() == 1 {
                variants[0]
                    .principals
                    .iter()
                    .map(|p| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join("<br>")
            } else {
                variants
                    .iter()
                    .map(|v| {
                        let mark = if v.name == *default { " (default)" } else { "" };
                        format!("`trust: {}`{mark}: {}", v.name, v.summary)
                    })
                    .collect::<Vec<_>>()
                    .join("<br>")
            }
        }
        Trust::Unchanged => "the role's own trust, left as it is".to_owned(),
    }
}

fn external_id(d: &Description) -> String {
    match d.external_id {
        ExternalId::Required { .. } => "required".to_owned(),
        ExternalId::Optional { .. } => "optional (warning without)".to_owned(),
        ExternalId::Impossible { .. } => "none possible (warning)".to_owned(),
        ExternalId::NotUsed { .. } => "not used".to_owned(),
    }
}

fn folder(d: &Description) -> String {
    match d.folder {
        Folder::Required => "required".to_owned(),
        Folder::Default(f) => format!("default `{f}`"),
        Folder::Prefix { subfolder } => format!("optional prefix; data under `…/{subfolder}/`"),
        Folder::Unknown { .. } => "none (the guide names no prefix)".to_owned(),
    }
}

fn grants(d: &Description) -> String {
    if d.grants.from_spec {
        return "the spec's `actions`".to_owned();
    }
    let list = |actions: &[&str]| {
        actions
            .iter()
            .map(|a| format!("`{a}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let objects = match &d.scope {
        ScopeRule::Choice {
            default: Scope::Bucket,
        } => "`BUCKET/*` (`scope: folder` narrows)",
        ScopeRule::Choice {
            default: Scope::Folder,
        } => "`BUCKET/FOLDER/*` (`scope: bucket` widens)",
        ScopeRule::Fixed {
            scope: Scope::Folder,
            ..
        } => "`BUCKET/FOLDER/*`",
        ScopeRule::Fixed {
            scope: Scope::Bucket,
            ..
        } => "`BUCKET/*`",
    };
    let under_prefix;
    let objects = match d.folder {
        Folder::Prefix { subfolder } => {
            under_prefix =
                format!("`BUCKET/PREFIX/{subfolder}/*` (`BUCKET/{subfolder}/*` without a prefix)");
            under_prefix.as_str()
        }
        _ => objects,
    };
    let mut parts = Vec::new();
    if !d.grants.bucket_actions.is_empty() {
        parts.push(format!("{} on the bucket", list(d.grants.bucket_actions)));
    }
    if !d.grants.object_actions.is_empty() {
        parts.push(format!("{} on {objects}", list(d.grants.object_actions)));
    }
    parts.join("; ")
}

fn encryption(d: &Description) -> String {
    match d.encryption {
        Encryption::Unverified => "not documented".to_owned(),
        Encryption::GrantOnKey(actions) => format!(
            "customer key: {} granted on the key",
            actions
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Encryption::KeyPolicy(_) => {
            "the key policy must allow the role (shown as a note)".to_owned()
        }
        Encryption::Unsupported { .. } => "**not supported** (error)".to_owned(),
    }
}

fn checks(d: &Description) -> String {
    let mut checks = Vec::new();
    if d.preflight.object_lock_unsupported.is_some() {
        checks.push("no Object Lock".to_owned());
    }
    match d.preflight.regions {
        Regions::Any => {}
        Regions::Only(list) => checks.push(format!("{} regions only", list.len())),
        Regions::Except(list) => checks.push(format!(
            "not in {}",
            list.iter()
                .map(|r| format!("`{r}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
    if let Identity::ExistingRole { .. } = d.identity {
        checks.push("the role must exist".to_owned());
    }
    if checks.is_empty() {
        "none".to_owned()
    } else {
        checks.join("; ")
    }
}
