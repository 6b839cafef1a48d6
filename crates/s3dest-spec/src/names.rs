//! Pure checks of names and identifiers (buckets, roles, regions, folders, ARNs, tags, actions).
//!
//! Each check returns `Err(reason)` with a lower-case reason that completes a sentence such as
//! ``invalid bucket name `X`: REASON``; the `is_valid_*` wrappers are the public yes/no form.

/// Most characters in an IAM role name.
pub const MAX_ROLE_NAME: usize = 64;
/// The prefix of a role named after its destination: `s3dest-<destination>`.
pub const ROLE_NAME_PREFIX: &str = "s3dest-";
/// Longest destination name: `s3dest-` plus the name must fit in [`MAX_ROLE_NAME`].
pub const MAX_DESTINATION_NAME: usize = MAX_ROLE_NAME - ROLE_NAME_PREFIX.len();
/// Longest folder path inside a bucket.
pub const MAX_FOLDER: usize = 256; // an IAM tag value holds at most 256
/// Tags a destination may set: IAM allows 50 per role or user and s3dest sets up to seven
/// itself ([`OWN_TAGS`]).
pub const MAX_TAGS: usize = 50 - 7;
/// The tags s3dest sets itself on a role or user, for messages: on both `s3dest:spec`,
/// `s3dest:destination`, `s3dest:bucket`, `s3dest:folder`, `s3dest:policy` and
/// `s3dest:file`, and `s3dest:trust` on a role or `s3dest:key-pending` on a user.
pub(crate) const OWN_TAGS: &str = "`s3dest:spec`, `s3dest:destination`, `s3dest:bucket`, \
     `s3dest:folder`, `s3dest:policy`, `s3dest:file`, and `s3dest:trust` on a role or \
     `s3dest:key-pending` on a user";
/// Most characters in an IAM tag value.
pub(crate) const MAX_TAG_VALUE: usize = 256;

/// True when `s` is a valid general-purpose S3 bucket name.
pub fn is_valid_bucket_name(s: &str) -> bool {
    check_bucket_name(s).is_ok()
}

/// True when `s` is a valid IAM role name: 1-64 characters `[A-Za-z0-9_+=,.@-]`.
pub fn is_valid_role_name(s: &str) -> bool {
    check_role_name(s).is_ok()
}

pub(crate) fn check_bucket_name(s: &str) -> Result<(), String> {
    let len = s.chars().count();
    if len < 3 {
        return Err(format!("it has {len} characters, the minimum is 3"));
    }
    if len > 63 {
        return Err(format!("it has {len} characters, the maximum is 63"));
    }
    if s.chars().any(|c| c.is_ascii_uppercase()) {
        return Err("uppercase letters are not allowed".into());
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '.' || *c == '-'))
    {
        return Err(format!(
            "character `{c}` is not allowed (only lowercase letters, digits, `.` and `-`)"
        ));
    }
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !alnum(s.chars().next()) {
        return Err("it must start with a letter or digit".into());
    }
    if !alnum(s.chars().last()) {
        return Err("it must end with a letter or digit".into());
    }
    if s.contains("..") {
        return Err("it must not contain `..`".into());
    }
    if looks_like_ipv4(s) {
        return Err("it must not be formatted like an IP address".into());
    }
    for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] {
        if s.starts_with(prefix) {
            return Err(format!("the prefix `{prefix}` is reserved by AWS"));
        }
    }
    for suffix in ["-s3alias", "--ol-s3", "--x-s3", "--table-s3", ".mrap"] {
        if s.ends_with(suffix) {
            return Err(format!("the suffix `{suffix}` is reserved by AWS"));
        }
    }
    Ok(())
}

fn looks_like_ipv4(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 4
        && parts
            .iter()
            .all(|p| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
}

/// `[\w+=,.@-]` as IAM means it (ASCII word characters).
fn is_iam_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

pub(crate) fn check_role_name(s: &str) -> Result<(), String> {
    let len = s.chars().count();
    if len == 0 {
        return Err("it is empty".into());
    }
    if len > MAX_ROLE_NAME {
        return Err(format!(
            "it has {len} characters, the maximum is {MAX_ROLE_NAME}"
        ));
    }
    if let Some(c) = s.chars().find(|c| !is_iam_name_char(*c)) {
        return Err(format!("character `{c}` is not allowed"));
    }
    Ok(())
}

/// A spec name: 1-64 characters `[A-Za-z0-9._-]`, starting with a letter or digit.
/// Why `s` cannot be a spec's `name`, if it cannot.
pub fn check_spec_name(s: &str) -> Result<(), String> {
    let len = s.chars().count();
    if len == 0 {
        return Err("it is empty".into());
    }
    if len > 64 {
        return Err(format!("it has {len} characters, the maximum is 64"));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "._-".contains(*c)))
    {
        return Err(format!("character `{c}` is not allowed"));
    }
    if !s.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err("it must start with a letter or digit".into());
    }
    Ok(())
}

/// A destination name: `^[a-z0-9][a-z0-9_-]*$`, at most [`MAX_DESTINATION_NAME`] characters.
pub(crate) fn check_destination_name(s: &str) -> Result<(), String> {
    let len = s.chars().count();
    if len == 0 {
        return Err("it is empty".into());
    }
    if len > MAX_DESTINATION_NAME {
        return Err(format!(
            "it has {len} characters, the maximum is {MAX_DESTINATION_NAME}"
        ));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-'))
    {
        return Err(format!(
            "character `{c}` is not allowed (only lowercase letters, digits, `-` and `_`)"
        ));
    }
    if !s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit()) {
        return Err("it must start with a lowercase letter or digit".into());
    }
    Ok(())
}

/// An AWS region code: `^[a-z]{2}(-[a-z]+)+-[0-9]+$`.
pub(crate) fn is_valid_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let lower = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase());
    parts.len() >= 3
        && parts[0].len() == 2
        && lower(parts[0])
        && parts[1..parts.len() - 1].iter().all(|p| lower(p))
        && parts
            .last()
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Checks a folder and returns it normalized (one trailing `/` stripped).
pub(crate) fn normalize_folder(s: &str) -> Result<String, String> {
    if s.is_empty() {
        return Err("it is empty".into());
    }
    let len = s.chars().count();
    if len > MAX_FOLDER {
        return Err(format!(
            "it has {len} characters, the maximum is {MAX_FOLDER}"
        ));
    }
    if s.starts_with('/') {
        return Err("it must not start with `/`".into());
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_./ -".contains(*c)))
    {
        // The folder is recorded in an IAM tag (for prune), and tags allow only these.
        return Err(format!(
            "character `{c}` is not allowed (only ASCII letters, digits, spaces and `_ . / -`)"
        ));
    }
    let trimmed = s.strip_suffix('/').unwrap_or(s);
    for segment in trimmed.split('/') {
        match segment {
            "" => return Err("it has an empty segment (`//`)".into()),
            "." => return Err("it has a `.` segment".into()),
            ".." => return Err("it has a `..` segment".into()),
            _ => {}
        }
    }
    Ok(trimmed.to_owned())
}

/// What a principal string is, before the vendor decides whether it fits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PrincipalForm {
    /// Exactly 12 digits.
    Account(String),
    /// `arn:PARTITION:iam::ACCOUNT:root`.
    Root { partition: String, account: String },
    /// `arn:PARTITION:iam::ACCOUNT:user/...` or `:role/...`.
    UserOrRole,
}

pub(crate) fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

const PARTITIONS: [&str; 3] = ["aws", "aws-cn", "aws-us-gov"];

/// Classifies a principal; `Err` says what is wrong with it.
pub(crate) fn principal_form(s: &str) -> Result<PrincipalForm, String> {
    if s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty() {
        if is_account_id(s) {
            return Ok(PrincipalForm::Account(s.to_owned()));
        }
        return Err(format!(
            "an AWS account ID has exactly 12 digits, this has {}",
            s.len()
        ));
    }
    let Some(rest) = s.strip_prefix("arn:") else {
        return Err("expected a 12-digit account ID or an `arn:aws:iam::...` ARN".into());
    };
    // arn:PARTITION:iam::ACCOUNT:RESOURCE (the resource may itself contain ':'? not in IAM).
    let mut fields = rest.splitn(5, ':');
    let partition = fields.next().unwrap_or_default();
    let service = fields.next().unwrap_or_default();
    let region = fields.next().unwrap_or_default();
    let account = fields.next().unwrap_or_default();
    let Some(resource) = fields.next() else {
        return Err("an IAM ARN has the form `arn:aws:iam::ACCOUNT:user/NAME`".into());
    };
    if !PARTITIONS.contains(&partition) {
        return Err(format!(
            "unknown partition `{partition}` (expected aws, aws-cn or aws-us-gov)"
        ));
    }
    if service != "iam" {
        return Err(format!("expected an `iam` ARN, not `{service}`"));
    }
    if !region.is_empty() {
        return Err("an IAM ARN has no region (`arn:aws:iam::ACCOUNT:...`)".into());
    }
    if !is_account_id(account) {
        return Err(format!("`{account}` is not a 12-digit account ID"));
    }
    if resource == "root" {
        return Ok(PrincipalForm::Root {
            partition: partition.to_owned(),
            account: account.to_owned(),
        });
    }
    let Some(path_and_name) = resource
        .strip_prefix("user/")
        .or_else(|| resource.strip_prefix("role/"))
    else {
        return Err(format!(
            "expected `root`, `user/NAME` or `role/NAME` after the account, not `{resource}`"
        ));
    };
    let segments: Vec<&str> = path_and_name.split('/').collect();
    let name = segments.last().copied().unwrap_or_default();
    let path_ok = segments[..segments.len() - 1]
        .iter()
        .all(|p| !p.is_empty() && p.chars().all(is_iam_name_char));
    let name_ok = (1..=64).contains(&name.chars().count()) && name.chars().all(is_iam_name_char);
    if !path_ok || !name_ok {
        return Err("the user or role name is not a valid IAM name".into());
    }
    Ok(PrincipalForm::UserOrRole)
}

/// The account of an IAM role's ARN (`arn:aws:iam::ACCOUNT:role/NAME`).
pub(crate) fn role_arn_account(s: &str) -> Result<String, String> {
    match principal_form(s)? {
        PrincipalForm::UserOrRole
            if s.split(':').nth(5).is_some_and(|r| r.starts_with("role/")) =>
        {
            Ok(s.split(':').nth(4).unwrap_or_default().to_owned())
        }
        _ => Err("it is not a role's ARN".to_owned()),
    }
}

/// An `sts:ExternalId`: 2-1224 characters `[\w+=,.@:/-]`.
pub(crate) fn check_external_id(s: &str) -> Result<(), String> {
    let len = s.chars().count();
    if len < 2 {
        return Err(format!("it has {len} characters, the minimum is 2"));
    }
    if len > 1224 {
        return Err(format!("it has {len} characters, the maximum is 1224"));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(is_iam_name_char(*c) || ":/".contains(*c)))
    {
        return Err(format!("character `{c}` is not allowed"));
    }
    Ok(())
}

/// An S3 action as IAM writes it: `^s3:[A-Za-z*]+$`.
pub(crate) fn is_valid_action(s: &str) -> bool {
    s.strip_prefix("s3:")
        .is_some_and(|a| !a.is_empty() && a.chars().all(|c| c.is_ascii_alphabetic() || c == '*'))
}

/// `[\p{L}\p{Z}\p{N}_.:/=+\-@]`, the characters IAM accepts in tag keys and values.
fn is_tag_char(c: char) -> bool {
    c.is_alphabetic()
        || c.is_numeric()
        || (c.is_whitespace() && !c.is_control())
        || "_.:/=+-@".contains(c)
}

pub(crate) fn check_tag_key(s: &str) -> Result<(), String> {
    let len = s.chars().count();
    if len == 0 {
        return Err("it is empty".into());
    }
    if len > 128 {
        return Err(format!("it has {len} characters, the maximum is 128"));
    }
    if let Some(c) = s.chars().find(|c| !is_tag_char(*c)) {
        return Err(format!("character `{c}` is not allowed"));
    }
    Ok(())
}

pub(crate) fn check_tag_value(s: &str) -> Result<(), String> {
    let len = s.chars().count();
    if len > MAX_TAG_VALUE {
        return Err(format!(
            "it has {len} characters, the maximum is {MAX_TAG_VALUE}"
        ));
    }
    if let Some(c) = s.chars().find(|c| !is_tag_char(*c)) {
        return Err(format!("character `{c}` is not allowed"));
    }
    Ok(())
}

/// A spec file's path as s3dest records it (`moved_from`): `/`-separated, relative or
/// absolute, with no empty, `.` or `..` part.
pub(crate) fn check_spec_file_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("it is empty".into());
    }
    if path.contains('\\') {
        return Err("it has a `\\`: s3dest records paths with `/` separators".into());
    }
    let relative = path.strip_prefix('/').unwrap_or(path);
    match relative
        .split('/')
        .find(|part| matches!(*part, "" | "." | ".."))
    {
        Some("") => Err("it has an empty part (`//`, or a `/` at the end)".into()),
        Some(part) => Err(format!(
            "it has a `{part}` part: s3dest records paths without them"
        )),
        None => Ok(()),
    }
}

/// The reserved prefix a tag key starts with, if any (`aws:` in any case, as AWS reserves it).
pub(crate) fn reserved_tag_prefix(key: &str) -> Option<&'static str> {
    if key.starts_with("s3dest:") {
        Some("s3dest:")
    } else if key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:")) {
        Some("aws:")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names() {
        for ok in [
            "abc",
            "acme-vendor-exports",
            "a.b.c",
            "1bucket",
            &"a".repeat(63),
        ] {
            assert!(is_valid_bucket_name(ok), "{ok}");
        }
        for bad in [
            "ab",
            &"a".repeat(64),
            "Acme",
            "acme_raw",
            "-acme",
            "acme-",
            "a..b",
            "192.168.5.4",
            "xn--acme",
            "sthree-acme",
            "acme-s3alias",
            "acme--ol-s3",
        ] {
            assert!(!is_valid_bucket_name(bad), "{bad}");
        }
    }

    #[test]
    fn role_names() {
        assert!(is_valid_role_name("pendo_datasync"));
        assert!(is_valid_role_name("a+b=c,d.e@f-g"));
        assert!(is_valid_role_name(&"r".repeat(64)));
        assert!(!is_valid_role_name(""));
        assert!(!is_valid_role_name(&"r".repeat(65)));
        assert!(!is_valid_role_name("has space"));
        assert!(!is_valid_role_name("a/b"));
    }

    #[test]
    fn regions() {
        for ok in ["us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1"] {
            assert!(is_valid_region(ok), "{ok}");
        }
        for bad in [
            "US-EAST-1",
            "us-east",
            "useast1",
            "usa-east-1",
            "us--1",
            "us-east-1a",
        ] {
            assert!(!is_valid_region(bad), "{bad}");
        }
    }

    #[test]
    fn folders() {
        assert_eq!(normalize_folder("pendo/").unwrap(), "pendo");
        assert_eq!(normalize_folder("a b/c_1.x-y").unwrap(), "a b/c_1.x-y");
        for bad in [
            "",
            "/a",
            "a/../b",
            "..",
            "./a",
            "a//b",
            "a//",
            "a#b",
            &"a".repeat(513),
        ] {
            assert!(normalize_folder(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn principals() {
        assert_eq!(
            principal_form("987654321098"),
            Ok(PrincipalForm::Account("987654321098".into()))
        );
        assert!(matches!(
            principal_form("arn:aws-cn:iam::987654321098:root"),
            Ok(PrincipalForm::Root { .. })
        ));
        for ok in [
            "arn:aws:iam::123456789012:user/pendo-sync",
            "arn:aws:iam::123456789012:role/path/to/exporter",
            "arn:aws-us-gov:iam::123456789012:role/x",
        ] {
            assert_eq!(principal_form(ok), Ok(PrincipalForm::UserOrRole), "{ok}");
        }
        for bad in [
            "",
            "12345678901",
            "arn:aws:iam::12345678901:root",
            "arn:aws:s3:::bucket",
            "arn:aws:iam::123456789012:group/x",
            "arn:aws:iam::123456789012:user/",
            "arn:aws:iam::123456789012:user//x",
            "arn:azure:iam::123456789012:root",
            "arn:aws:iam:us-east-1:123456789012:root",
        ] {
            assert!(principal_form(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn external_ids_actions_tags() {
        assert!(check_external_id("6f1b2c9d-pendo").is_ok());
        assert!(check_external_id("a:b/c@d").is_ok());
        assert!(check_external_id("x").is_err());
        assert!(check_external_id("has space").is_err());
        assert!(is_valid_action("s3:PutObject"));
        assert!(is_valid_action("s3:Get*"));
        assert!(!is_valid_action("PutObject"));
        assert!(!is_valid_action("s3:"));
        assert!(!is_valid_action("iam:PassRole"));
        assert!(check_tag_key("team name").is_ok());
        assert!(check_tag_key("équipe").is_ok());
        assert!(check_tag_key("").is_err());
        assert!(check_tag_key("a#b").is_err());
        assert!(check_tag_value("").is_ok());
        assert_eq!(reserved_tag_prefix("AWS:x"), Some("aws:"));
        assert_eq!(reserved_tag_prefix("s3dest:spec"), Some("s3dest:"));
        assert_eq!(reserved_tag_prefix("team"), None);
    }
}
