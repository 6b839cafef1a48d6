//! Tests of parsing and validation through `parse`: one test per rule, through `check_err`.

use std::collections::BTreeMap;

use crate::{
    AssumeRole, Auth, BucketSpec, Checked, Destination, Diagnostic, Principal, Scope, Severity,
    Span, Spec, SpecFile, Vendor, parse, render_diagnostics,
};

/// Six lines; the first destination's key is on line 7.
const HEADER: &str = "\
version: 1
name: acme
buckets:
  acme-exports: {}
  acme-raw: { create: true }
destinations:
";

/// Lines 7-12.
const PENDO: &str = "  pendo:
    vendor: pendo-data-sync
    bucket: acme-exports
    folder: pendo
    principal: arn:aws:iam::123456789012:user/pendo-sync
    external_id: 6f1b2c9d-pendo
";

fn with_header(destinations: &str) -> String {
    format!("{HEADER}{destinations}")
}

fn list(diags: &[Diagnostic]) -> String {
    diags
        .iter()
        .map(|d| {
            format!(
                "  {:?} {}:{} {}",
                d.severity, d.span.line, d.span.column, d.message
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn diagnostics(yaml: &str) -> Vec<Diagnostic> {
    match parse("s3dest.yaml", yaml) {
        Ok(checked) => checked.warnings,
        Err(diags) => diags,
    }
}

fn find(yaml: &str, severity: Severity, fragment: &str, line: usize, column: usize) -> Diagnostic {
    let diags = diagnostics(yaml);
    let found = diags
        .iter()
        .find(|d| d.severity == severity && d.message.contains(fragment));
    let Some(diag) = found else {
        panic!(
            "no {severity} containing {fragment:?} in:\n{}\n--- yaml:\n{yaml}",
            list(&diags)
        );
    };
    assert_eq!(
        (diag.span.line, diag.span.column),
        (line, column),
        "{severity} {:?} is at the wrong place; all:\n{}",
        diag.message,
        list(&diags)
    );
    // The span must cover text that starts where line:column says.
    let line_start: usize = yaml
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    let column_offset: usize = yaml[line_start..]
        .chars()
        .take(column - 1)
        .map(char::len_utf8)
        .sum();
    assert_eq!(diag.span.offset, line_start + column_offset);
    diag.clone()
}

/// Asserts that parsing fails with an error containing `fragment` at `line:column`.
fn check_err(yaml: &str, fragment: &str, line: usize, column: usize) -> Diagnostic {
    assert!(
        parse("s3dest.yaml", yaml).is_err(),
        "expected an error, the spec parsed:\n{yaml}"
    );
    find(yaml, Severity::Error, fragment, line, column)
}

/// Asserts that the spec parses, with a warning containing `fragment` at `line:column`.
fn check_warn(yaml: &str, fragment: &str, line: usize, column: usize) -> Diagnostic {
    if let Err(diags) = parse("s3dest.yaml", yaml) {
        panic!(
            "expected success, got:\n{}\n--- yaml:\n{yaml}",
            list(&diags)
        );
    }
    find(yaml, Severity::Warning, fragment, line, column)
}

fn check_ok(yaml: &str) -> Checked {
    match parse("s3dest.yaml", yaml) {
        Ok(checked) => checked,
        Err(diags) => panic!(
            "expected success, got:\n{}\n--- yaml:\n{yaml}",
            list(&diags)
        ),
    }
}

fn destination(yaml: &str, name: &str) -> Destination {
    check_ok(yaml).spec.destinations[name].clone()
}

fn help(diag: &Diagnostic) -> &str {
    diag.help.as_deref().unwrap_or_default()
}

// --- valid specs -------------------------------------------------------------------------

const EXAMPLE: &str = r#"version: 1
name: acme-exports
region: us-east-1          # optional
buckets:
  acme-vendor-exports: {}  # value may be {} or null (empty) too
  acme-braze-raw: { create: true, region: eu-west-1 }
destinations:
  pendo: { vendor: pendo-data-sync, bucket: acme-vendor-exports, folder: pendo, principal: "arn:aws:iam::123456789012:user/pendo-sync", external_id: 6f1b2c9d-pendo }
  braze-currents: { vendor: braze-currents, auth: role, bucket: acme-braze-raw, principal: "987654321098", external_id: braze-ext-42 }
  braze-exports: { vendor: braze-data-export, auth: access-key, bucket: acme-vendor-exports, folder: braze/exports }
  walkme: { vendor: walkme, bucket: acme-vendor-exports, folder: walkme/insights }
  partner: { vendor: custom, bucket: acme-vendor-exports, folder: partner, principal: "arn:aws:iam::111122223333:role/exporter", external_id: xyz-123, actions: [s3:PutObject, s3:GetObject] }
"#;

fn span(line: usize, column: usize, offset: usize, len: usize) -> Span {
    Span {
        line,
        column,
        offset,
        len,
    }
}

#[test]
fn the_example_parses_into_the_expected_spec() {
    let checked = check_ok(EXAMPLE);
    assert_eq!(checked.warnings, vec![]);
    let offset_of = |line: usize, column: usize| -> usize {
        EXAMPLE
            .split_inclusive('\n')
            .take(line - 1)
            .map(str::len)
            .sum::<usize>()
            + column
            - 1
    };
    let at = |line, column, len| span(line, column, offset_of(line, column), len);
    let dest = |name: &str, vendor, line, len| Destination {
        name: name.to_owned(),
        vendor,
        auth: Auth::Role,
        bucket: "acme-vendor-exports".to_owned(),
        folder: Some(name.to_owned()),
        trust: None,
        principal: None,
        external_id: None,
        actions: vec![],
        role_name: None,
        tags: BTreeMap::new(),
        adopt: false,
        scope: None,
        key_max_age_days: None,
        key_grace_days: None,
        span: at(line, 3, len),
    };
    let expected = Spec {
        account: None,
        assume_role: None,
        moved_from: Vec::new(),
        file: None,
        name: "acme-exports".into(),
        region: Some("us-east-1".into()),
        buckets: BTreeMap::from([
            (
                "acme-vendor-exports".into(),
                BucketSpec {
                    name: "acme-vendor-exports".into(),
                    create: false,
                    region: None,
                    span: at(5, 3, 19),
                },
            ),
            (
                "acme-braze-raw".into(),
                BucketSpec {
                    name: "acme-braze-raw".into(),
                    create: true,
                    region: Some("eu-west-1".into()),
                    span: at(6, 3, 14),
                },
            ),
        ]),
        destinations: BTreeMap::from([
            (
                "pendo".into(),
                Destination {
                    principal: Some(Principal::Arn(
                        "arn:aws:iam::123456789012:user/pendo-sync".into(),
                    )),
                    external_id: Some("6f1b2c9d-pendo".into()),
                    ..dest("pendo", Vendor::named("pendo-data-sync"), 8, 5)
                },
            ),
            (
                "braze-currents".into(),
                Destination {
                    bucket: "acme-braze-raw".into(),
                    folder: Some("currents".into()),
                    principal: Some(Principal::Account("987654321098".into())),
                    external_id: Some("braze-ext-42".into()),
                    ..dest("braze-currents", Vendor::named("braze-currents"), 9, 14)
                },
            ),
            (
                "braze-exports".into(),
                Destination {
                    auth: Auth::AccessKey,
                    folder: Some("braze/exports".into()),
                    ..dest("braze-exports", Vendor::named("braze-data-export"), 10, 13)
                },
            ),
            (
                "walkme".into(),
                Destination {
                    folder: Some("walkme/insights".into()),
                    ..dest("walkme", Vendor::named("walkme"), 11, 6)
                },
            ),
            (
                "partner".into(),
                Destination {
                    principal: Some(Principal::Arn(
                        "arn:aws:iam::111122223333:role/exporter".into(),
                    )),
                    external_id: Some("xyz-123".into()),
                    actions: vec!["s3:PutObject".into(), "s3:GetObject".into()],
                    ..dest("partner", Vendor::named("custom"), 12, 7)
                },
            ),
        ]),
    };
    assert_eq!(checked.spec, expected);
}

#[test]
fn optional_fields_parse() {
    let yaml = with_header(
        "  partner:
    vendor: custom
    bucket: acme-raw
    folder: out/partner/
    principal: arn:aws:iam::111122223333:root
    external_id: \"a:b/c\"
    actions: [s3:PutObject, s3:Get*, s3:PutObject]
    role_name: partner-writer
    tags: { team: data, cost center: \"42\", empty: }
    adopt: true
  keys:
    vendor: walkme
    auth: access-key
    bucket: acme-exports
    folder: walkme
    key_max_age_days: 90
",
    );
    let checked = check_ok(&yaml);
    let partner = &checked.spec.destinations["partner"];
    assert_eq!(partner.folder.as_deref(), Some("out/partner"));
    assert_eq!(
        partner.principal,
        Some(Principal::Account("111122223333".into()))
    );
    assert_eq!(partner.actions, ["s3:PutObject", "s3:Get*"]);
    assert_eq!(partner.role_name.as_deref(), Some("partner-writer"));
    assert_eq!(
        partner.effective_role_name().as_deref(),
        Some("partner-writer")
    );
    assert_eq!(
        partner.tags,
        BTreeMap::from([
            ("team".into(), "data".into()),
            ("cost center".into(), "42".into()),
            ("empty".into(), String::new()),
        ])
    );
    assert!(partner.adopt);
    let keys = &checked.spec.destinations["keys"];
    assert_eq!(keys.auth, Auth::AccessKey);
    assert_eq!(keys.key_max_age_days, Some(90));
    assert_eq!(keys.effective_role_name(), None);
    // The repeated action is the only warning.
    assert_eq!(checked.warnings.len(), 1, "{}", list(&checked.warnings));
}

#[test]
fn empty_maps_and_null_values_are_allowed() {
    let checked = check_ok("version: 1\nname: a\nbuckets: {}\ndestinations: {}\n");
    assert!(checked.spec.buckets.is_empty() && checked.spec.destinations.is_empty());
    let checked = check_ok("version: 1\nname: a\nbuckets:\n  b-1:\ndestinations:\n");
    assert!(!checked.spec.buckets["b-1"].create);
    assert!(checked.spec.destinations.is_empty());
}

#[test]
fn several_errors_are_reported_at_once() {
    let yaml = "\
version: 2
name: -acme
buckets:
  Acme: {}
destinations:
  pendo:
    vendor: pendoo
    bucket: nope
    folder: ../up
  partner:
    vendor: custom
    bucket: Acme
    folder: x
    principal: arn:aws:iam::111122223333:role/x
    actions: [PutObject]
";
    let diags = parse("s3dest.yaml", yaml).unwrap_err();
    let found: Vec<(usize, usize, Severity)> = diags
        .iter()
        .map(|d| (d.span.line, d.span.column, d.severity))
        .collect();
    use Severity::{Error, Warning};
    assert_eq!(
        found,
        [
            (1, 10, Error),   // version
            (2, 7, Error),    // name
            (4, 3, Error),    // bucket name
            (7, 13, Error),   // vendor
            (8, 13, Error),   // bucket
            (9, 13, Error),   // folder
            (10, 3, Warning), // no external_id
            (15, 15, Error),  // action
        ],
        "{}",
        list(&diags)
    );
}

// --- top level ---------------------------------------------------------------------------

#[test]
fn version_is_required() {
    check_err(
        "name: a\nbuckets: {}\ndestinations: {}\n",
        "missing field `version`",
        1,
        1,
    );
}

#[test]
fn version_must_be_1() {
    check_err(
        "version: 2\nname: a\nbuckets: {}\ndestinations: {}\n",
        "unsupported spec version `2`",
        1,
        10,
    );
    check_err(
        "version: \"1\"\nname: a\nbuckets: {}\ndestinations: {}\n",
        "`version` must be the integer 1",
        1,
        10,
    );
}

#[test]
fn name_is_required() {
    check_err(
        "# my spec\n\nversion: 1\nbuckets: {}\ndestinations: {}\n",
        "missing field `name`",
        3,
        1,
    );
}

#[test]
fn name_is_checked() {
    check_err(
        "version: 1\nname: -acme\nbuckets: {}\ndestinations: {}\n",
        "invalid spec name `-acme`: it must start with a letter or digit",
        2,
        7,
    );
    check_err(
        "version: 1\nname: acme exports\nbuckets: {}\ndestinations: {}\n",
        "character ` ` is not allowed",
        2,
        7,
    );
    let long = "a".repeat(65);
    check_err(
        &format!("version: 1\nname: {long}\nbuckets: {{}}\ndestinations: {{}}\n"),
        "it has 65 characters, the maximum is 64",
        2,
        7,
    );
    check_ok("version: 1\nname: Acme_exports.v2-1\nbuckets: {}\ndestinations: {}\n");
}

#[test]
fn region_is_checked() {
    check_err(
        "version: 1\nname: a\nregion: US-East-1\nbuckets: {}\ndestinations: {}\n",
        "invalid region `US-East-1`",
        3,
        9,
    );
    check_err(
        "version: 1\nname: a\nbuckets:\n  b-1: { region: eu-west }\ndestinations: {}\n",
        "invalid region `eu-west`",
        4,
        18,
    );
    check_ok("version: 1\nname: a\nregion: us-gov-west-1\nbuckets: {}\ndestinations: {}\n");
}

#[test]
fn moved_from_is_a_path_or_a_list_of_paths() {
    let spec =
        |moved: &str| format!("version: 1\nname: a\n{moved}\nbuckets: {{}}\ndestinations: {{}}\n");
    let files = |moved: &str| -> Vec<String> {
        let checked = check_ok(&spec(moved));
        assert_eq!(checked.spec.file, None, "the parser knows no file");
        checked
            .spec
            .moved_from
            .iter()
            .map(|f| f.as_str().to_owned())
            .collect()
    };
    assert_eq!(
        files("moved_from: team-a/s3dest.yaml"),
        ["team-a/s3dest.yaml"]
    );
    assert_eq!(
        files("moved_from: [old.yaml, \"/srv/specs/acme.yaml\"]"),
        ["old.yaml", "/srv/specs/acme.yaml"]
    );
    assert_eq!(files("moved_from: []"), Vec::<String>::new());
    assert_eq!(files("account: \"123456789012\""), Vec::<String>::new());
    // A path that no tag can hold is recorded as its digest: so is the entry.
    let long = format!("{}/s3dest.yaml", "d".repeat(300));
    assert_eq!(
        files(&format!("moved_from: [{long}]")),
        [SpecFile::from_path(&long).as_str()]
    );
    check_err(
        &spec("moved_from: [a.yaml, ./b.yaml]"),
        "invalid `moved_from` path `./b.yaml`: it has a `.` part",
        3,
        22,
    );
    check_err(
        &spec("moved_from: team-a//s3dest.yaml"),
        "invalid `moved_from` path `team-a//s3dest.yaml`: it has an empty part",
        3,
        13,
    );
    let diag = check_err(
        &spec("moved_from: ['team-a\\s3dest.yaml']"),
        "it has a `\\`",
        3,
        14,
    );
    assert!(help(&diag).contains("git work tree"), "{diag:?}");
    check_err(&spec("moved_from: [\"\"]"), "it is empty", 3, 14);
    // serde reports a wrong type at the field's line.
    check_err(
        &spec("moved_from: 42"),
        "expected a path or a list of paths",
        3,
        1,
    );
}

#[test]
fn a_spec_file_is_its_path_or_a_digest_of_it() {
    for path in [
        "team-a/s3dest.yaml",
        "/srv/specs/acme.yaml",
        "équipe/s3dest.yaml",
    ] {
        let file = SpecFile::from_path(path);
        assert_eq!(file.as_str(), path);
        assert_eq!(file.shown(), format!("`{path}`"));
        assert_eq!(SpecFile::from_tag(path), file);
    }
    let long = format!("/home/{}/team-a/s3dest.yaml", "x".repeat(300));
    let file = SpecFile::from_path(&long);
    assert!(file.as_str().starts_with("fnv1a:"), "{file}");
    assert!(file.as_str().ends_with(":team-a/s3dest.yaml"), "{file}");
    assert_eq!(SpecFile::from_path(&long), file, "stable");
    assert_ne!(SpecFile::from_path(&long.replace("team-a", "team-b")), file);
    assert!(
        file.shown().contains("ends in `team-a/s3dest.yaml`"),
        "{}",
        file.shown()
    );
    // What a tag holds is written back as it is (`moved_from` from a message).
    assert_eq!(SpecFile::from_path(file.as_str()), file);
    // A character IAM refuses in a tag: the parts after it are kept.
    let odd = SpecFile::from_path("/srv/specs (old)/acme/s3dest.yaml");
    assert!(odd.as_str().ends_with(":acme/s3dest.yaml"), "{odd}");
    let odd = SpecFile::from_path("/srv/acme (old).yaml");
    assert!(
        odd.as_str().starts_with("fnv1a:") && odd.as_str().ends_with(':'),
        "{odd}"
    );
    assert!(
        odd.shown().contains("does not fit in a tag"),
        "{}",
        odd.shown()
    );
    for file in [file, odd] {
        assert!(
            crate::names::check_tag_value(file.as_str()).is_ok(),
            "{file}"
        );
    }
}

#[test]
fn buckets_and_destinations_are_required() {
    check_err(
        "version: 1\nname: a\ndestinations: {}\n",
        "missing field `buckets`",
        1,
        1,
    );
    check_err(
        "version: 1\nname: a\nbuckets: {}\n",
        "missing field `destinations`",
        1,
        1,
    );
}

#[test]
fn bucket_names_are_checked() {
    let cases = [
        ("Acme-raw", "uppercase letters are not allowed"),
        ("ab", "the minimum is 3"),
        ("acme_raw", "character `_` is not allowed"),
        ("acme-", "it must end with a letter or digit"),
        ("acme..raw", "`..`"),
        ("192.168.5.4", "formatted like an IP address"),
        ("xn--acme", "the prefix `xn--` is reserved"),
        ("sthree-acme", "the prefix `sthree-` is reserved"),
        ("acme-s3alias", "the suffix `-s3alias` is reserved"),
        ("acme--ol-s3", "the suffix `--ol-s3` is reserved"),
    ];
    for (name, reason) in cases {
        let yaml = format!("version: 1\nname: a\nbuckets:\n  {name}: {{}}\ndestinations: {{}}\n");
        let diag = check_err(&yaml, &format!("invalid bucket name `{name}`"), 4, 3);
        assert!(diag.message.contains(reason), "{}", diag.message);
        assert_eq!(diag.span.len, name.len());
    }
    let long = "a".repeat(64);
    check_err(
        &format!("version: 1\nname: a\nbuckets:\n  {long}:\ndestinations: {{}}\n"),
        "the maximum is 63",
        4,
        3,
    );
}

#[test]
fn bucket_create_is_a_bool() {
    check_err(
        "version: 1\nname: a\nbuckets:\n  b-1: { create: 3 }\ndestinations: {}\n",
        "invalid boolean `3`",
        4,
        18,
    );
}

// --- destination names, vendor, auth, bucket ---------------------------------------------

#[test]
fn destination_names_are_checked() {
    let diag = check_err(
        &with_header("  Pendo: { vendor: walkme, bucket: acme-exports, folder: w }\n"),
        "invalid destination name `Pendo`: character `P` is not allowed",
        7,
        3,
    );
    assert!(help(&diag).contains("`s3dest-<destination>`"));
    assert!(help(&diag).contains("64"));
    check_err(
        &with_header("  _w: { vendor: walkme, bucket: acme-exports, folder: w }\n"),
        "it must start with a lowercase letter or digit",
        7,
        3,
    );
    let long = "d".repeat(58);
    check_err(
        &with_header(&format!(
            "  {long}: {{ vendor: walkme, bucket: acme-exports, folder: w }}\n"
        )),
        "it has 58 characters, the maximum is 57",
        7,
        3,
    );
    let longest = "d".repeat(57);
    check_ok(&with_header(&format!(
        "  {longest}: {{ vendor: walkme, bucket: acme-exports, folder: w }}\n"
    )));
}

#[test]
fn an_empty_destination_is_an_error() {
    check_err(
        &with_header("  pendo:\n"),
        "destination `pendo` is empty",
        7,
        3,
    );
}

#[test]
fn vendor_is_required() {
    check_err(
        &with_header("  w:\n    bucket: acme-exports\n    folder: w\n"),
        "destination `w` has no `vendor`",
        7,
        3,
    );
}

#[test]
fn unknown_vendor_lists_vendors_and_suggests() {
    let diag = check_err(
        &with_header("  p:\n    vendor: pendoo\n    bucket: acme-exports\n    folder: p\n"),
        "unknown vendor `pendoo`",
        8,
        13,
    );
    assert!(
        help(&diag).starts_with("did you mean `pendo-data-sync`?"),
        "{diag:?}"
    );
    assert!(help(&diag).contains("braze-security-events"), "{diag:?}");
    let diag = check_err(
        &with_header("  p:\n    vendor: salesforce\n    bucket: acme-exports\n    folder: p\n"),
        "unknown vendor `salesforce`",
        8,
        13,
    );
    assert!(!help(&diag).contains("did you mean"));
}

#[test]
fn auth_is_role_or_access_key() {
    let diag = check_err(
        &with_header(
            "  w:\n    vendor: walkme\n    auth: access_key\n    bucket: acme-exports\n    folder: w\n",
        ),
        "unknown auth `access_key`",
        9,
        11,
    );
    assert!(help(&diag).contains("did you mean `access-key`?"));
    // No cascade of errors that depend on the auth method.
    let yaml = with_header(
        "  b:\n    vendor: braze-data-export\n    auth: key\n    bucket: acme-exports\n    folder: b\n",
    );
    assert_eq!(parse("s3dest.yaml", &yaml).unwrap_err().len(), 1);
    let w = destination(
        &with_header("  w:\n    vendor: walkme\n    bucket: acme-exports\n    folder: w\n"),
        "w",
    );
    assert_eq!(w.auth, Auth::Role);
}

#[test]
fn bucket_is_required() {
    check_err(
        &with_header("  w:\n    vendor: walkme\n    folder: w\n"),
        "destination `w` has no `bucket`",
        7,
        3,
    );
}

#[test]
fn bucket_must_be_declared() {
    let diag = check_err(
        &with_header("  w:\n    vendor: walkme\n    bucket: acme-export\n    folder: w\n"),
        "unknown bucket `acme-export`",
        9,
        13,
    );
    assert!(help(&diag).contains("did you mean `acme-exports`?"));
    assert!(help(&diag).contains("`acme-raw`"));
}

// --- folder --------------------------------------------------------------------------------

fn walkme_folder(folder: &str) -> String {
    with_header(&format!(
        "  w:\n    vendor: walkme\n    bucket: acme-exports\n    folder: {folder}\n"
    ))
}

#[test]
fn folder_is_required_except_for_braze_currents() {
    check_err(
        &with_header("  w:\n    vendor: walkme\n    bucket: acme-exports\n"),
        "destination `w` has no `folder`",
        7,
        3,
    );
    let currents = destination(
        &with_header(
            "  c:\n    vendor: braze-currents\n    bucket: acme-raw\n    principal: \"987654321098\"\n    external_id: ext-42\n",
        ),
        "c",
    );
    assert_eq!(currents.folder.as_deref(), Some("currents"));
}

#[test]
fn folder_trailing_slash_is_stripped() {
    assert_eq!(
        destination(&walkme_folder("walkme/insights/"), "w")
            .folder
            .as_deref(),
        Some("walkme/insights")
    );
}

#[test]
fn folder_must_not_start_with_a_slash() {
    check_err(
        &walkme_folder("/walkme"),
        "it must not start with `/`",
        10,
        13,
    );
}

#[test]
fn folder_must_not_escape_with_dot_dot() {
    check_err(&walkme_folder("a/../../b"), "it has a `..` segment", 10, 13);
    check_err(&walkme_folder(".."), "it has a `..` segment", 10, 13);
}

#[test]
fn folder_must_not_have_dot_segments() {
    check_err(&walkme_folder("./a"), "it has a `.` segment", 10, 13);
}

#[test]
fn folder_must_not_have_empty_segments() {
    check_err(&walkme_folder("a//b"), "empty segment", 10, 13);
}

#[test]
fn folder_must_not_be_empty() {
    check_err(
        &walkme_folder("\"\""),
        "invalid folder ``: it is empty",
        10,
        13,
    );
}

#[test]
fn folder_characters_are_limited() {
    check_err(
        &walkme_folder("a#b"),
        "character `#` is not allowed",
        10,
        13,
    );
    check_err(
        &walkme_folder("\"a\\\\b\""),
        "character `\\` is not allowed",
        10,
        13,
    );
    check_err(
        &walkme_folder("\"a(1)\""),
        "character `(` is not allowed",
        10,
        13,
    );
    let diag = check_err(
        &walkme_folder("exports/é"),
        "character `é` is not allowed (only ASCII letters",
        10,
        13,
    );
    assert!(help(&diag).contains("at most 256 characters"), "{diag:?}");
    assert!(!help(&diag).contains('*'), "{diag:?}");
    let ok = destination(&walkme_folder("\"Reports daily/it_s.x-y\""), "w");
    assert_eq!(ok.folder.as_deref(), Some("Reports daily/it_s.x-y"));
}

#[test]
fn folder_length_is_limited() {
    check_err(
        &walkme_folder(&"a".repeat(257)),
        "the maximum is 256",
        10,
        13,
    );
    check_ok(&walkme_folder(&"a".repeat(256)));
}

#[test]
fn two_destinations_cannot_share_a_folder() {
    let yaml = with_header(
        "  w:\n    vendor: walkme\n    bucket: acme-exports\n    folder: shared\n  \
         w2:\n    vendor: walkme\n    auth: access-key\n    bucket: acme-exports\n    folder: shared/\n",
    );
    let diag = check_err(
        &yaml,
        "folder `shared` of bucket `acme-exports` is already used by destination `w`",
        15,
        13,
    );
    assert_eq!(diag.span.len, "shared/".len());
    // Same folder, other bucket: fine.
    check_ok(&with_header(
        "  w:\n    vendor: walkme\n    bucket: acme-exports\n    folder: shared\n  \
         w2:\n    vendor: walkme\n    auth: access-key\n    bucket: acme-raw\n    folder: shared\n",
    ));
}

#[test]
fn braze_currents_default_folder_counts_for_collisions() {
    let yaml = with_header(
        "  w:\n    vendor: walkme\n    bucket: acme-raw\n    folder: currents\n  \
         c:\n    vendor: braze-currents\n    auth: access-key\n    bucket: acme-raw\n",
    );
    let diag = check_err(&yaml, "is already used by destination `w`", 11, 3);
    assert!(diag.label.unwrap().contains("by default"));
}

// --- principal ------------------------------------------------------------------------------

fn with_principal(vendor: &str, principal: &str) -> String {
    with_header(&format!(
        "  d:\n    vendor: {vendor}\n    bucket: acme-exports\n    folder: d\n    \
         principal: {principal}\n    external_id: ext-id-1\n    actions: [s3:PutObject]\n"
    ))
    .replace(
        "    actions: [s3:PutObject]\n",
        if vendor == "custom" {
            "    actions: [s3:PutObject]\n"
        } else {
            ""
        },
    )
}

#[test]
fn principal_is_required_for_pendo_braze_and_custom() {
    for vendor in [
        "pendo-data-sync",
        "braze-currents",
        "braze-data-export",
        "braze-security-events",
        "custom",
    ] {
        let yaml = with_principal(vendor, "x").replace("    principal: x\n", "");
        check_err(&yaml, "destination `d` has no `principal`", 7, 3);
    }
}

#[test]
fn pendo_principal_is_a_user_or_role_arn() {
    let d = destination(
        &with_principal(
            "pendo-data-sync",
            "arn:aws:iam::123456789012:user/pendo-sync",
        ),
        "d",
    );
    assert_eq!(
        d.principal,
        Some(Principal::Arn(
            "arn:aws:iam::123456789012:user/pendo-sync".into()
        ))
    );
    check_ok(&with_principal(
        "pendo-data-sync",
        "arn:aws:iam::123456789012:role/path/pendo",
    ));
    check_err(
        &with_principal("pendo-data-sync", "\"123456789012\""),
        "pendo-data-sync needs an IAM user or role ARN, not `123456789012`",
        11,
        16,
    );
    check_err(
        &with_principal("pendo-data-sync", "arn:aws:iam::123456789012:root"),
        "pendo-data-sync needs an IAM user or role ARN",
        11,
        16,
    );
}

#[test]
fn braze_principal_is_an_account() {
    for vendor in [
        "braze-currents",
        "braze-data-export",
        "braze-security-events",
    ] {
        let d = destination(&with_principal(vendor, "\"987654321098\""), "d");
        assert_eq!(d.principal, Some(Principal::Account("987654321098".into())));
        let d = destination(
            &with_principal(vendor, "arn:aws:iam::987654321098:root"),
            "d",
        );
        assert_eq!(d.principal, Some(Principal::Account("987654321098".into())));
        check_err(
            &with_principal(vendor, "arn:aws:iam::987654321098:user/braze"),
            "trusts the Braze AWS account",
            11,
            16,
        );
    }
    // A root ARN outside the `aws` partition stays an ARN.
    let d = destination(
        &with_principal("braze-currents", "arn:aws-cn:iam::987654321098:root"),
        "d",
    );
    assert_eq!(
        d.principal,
        Some(Principal::Arn("arn:aws-cn:iam::987654321098:root".into()))
    );
}

#[test]
fn account_id_may_be_an_unquoted_number() {
    let d = destination(&with_principal("braze-currents", "987654321098"), "d");
    assert_eq!(d.principal, Some(Principal::Account("987654321098".into())));
}

#[test]
fn account_id_with_lost_leading_zeros_is_explained() {
    let diag = check_err(
        &with_principal("braze-currents", "12345678901"),
        "invalid account ID `12345678901`: an AWS account ID has exactly 12 digits, this has 11",
        11,
        16,
    );
    assert!(help(&diag).contains("zeros were lost"), "{diag:?}");
    // Unquoted with its zero kept: accepted, with a warning about other YAML tools.
    let diag = check_warn(
        &with_principal("braze-currents", "012345678901"),
        "account ID `012345678901` is written as a YAML number",
        11,
        16,
    );
    assert!(help(&diag).contains("\"012345678901\""));
}

#[test]
fn custom_principal_may_be_any_form() {
    for principal in [
        "\"111122223333\"",
        "arn:aws:iam::111122223333:root",
        "arn:aws:iam::111122223333:user/u",
        "arn:aws-us-gov:iam::111122223333:role/a/b/c",
    ] {
        check_ok(&with_principal("custom", principal));
    }
}

#[test]
fn invalid_principals_are_rejected() {
    check_err(
        &with_principal("custom", "arn:aws:iam::111122223333:group/g"),
        "invalid principal `arn:aws:iam::111122223333:group/g`",
        11,
        16,
    );
    check_err(
        &with_principal("custom", "arn:aws:iam::1111:root"),
        "`1111` is not a 12-digit account ID",
        11,
        16,
    );
    check_err(
        &with_principal("custom", "braze"),
        "invalid principal `braze`",
        11,
        16,
    );
}

#[test]
fn walkme_takes_no_principal() {
    let diag = check_err(
        &with_header(
            "  w:\n    vendor: walkme\n    bucket: acme-exports\n    folder: w\n    principal: \"111122223333\"\n",
        ),
        "walkme destinations take no `principal`",
        11,
        16,
    );
    assert!(help(&diag).contains("584278441476"));
}

// --- external ID ----------------------------------------------------------------------------

#[test]
fn external_id_is_required_for_pendo_and_braze() {
    for vendor in [
        "pendo-data-sync",
        "braze-currents",
        "braze-data-export",
        "braze-security-events",
    ] {
        let principal = if vendor == "pendo-data-sync" {
            "arn:aws:iam::123456789012:user/p"
        } else {
            "\"123456789012\""
        };
        let yaml = with_principal(vendor, principal).replace("    external_id: ext-id-1\n", "");
        check_err(&yaml, "destination `d` has no `external_id`", 7, 3);
    }
}

#[test]
fn custom_without_external_id_is_a_warning() {
    let yaml =
        with_principal("custom", "\"111122223333\"").replace("    external_id: ext-id-1\n", "");
    let diag = check_warn(&yaml, "destination `d` has no `external_id`", 7, 3);
    assert!(help(&diag).contains("confused-deputy"));
}

#[test]
fn walkme_takes_no_external_id() {
    let diag = check_err(
        &with_header(
            "  w:\n    vendor: walkme\n    bucket: acme-exports\n    folder: w\n    external_id: abc\n",
        ),
        "walkme destinations take no `external_id`",
        11,
        18,
    );
    assert!(help(&diag).contains("WalkMe cannot send an external ID"));
}

#[test]
fn external_id_format_is_checked() {
    let yaml = with_principal("custom", "\"111122223333\"");
    check_err(
        &yaml.replace("ext-id-1", "x"),
        "invalid external ID `x`: it has 1 characters, the minimum is 2",
        12,
        18,
    );
    check_err(
        &yaml.replace("ext-id-1", "\"a b\""),
        "character ` ` is not allowed",
        12,
        18,
    );
    check_err(
        &yaml.replace("ext-id-1", &"e".repeat(1225)),
        "the maximum is 1224",
        12,
        18,
    );
    let d = destination(&yaml.replace("ext-id-1", "\"a_b+c=d,e.f@g:h/i-j\""), "d");
    assert_eq!(d.external_id.as_deref(), Some("a_b+c=d,e.f@g:h/i-j"));
}

// --- auth: access-key ------------------------------------------------------------------------

fn access_key(extra: &str) -> String {
    with_header(&format!(
        "  b:\n    vendor: braze-data-export\n    auth: access-key\n    bucket: acme-exports\n    folder: b\n{extra}"
    ))
}

#[test]
fn access_key_ignores_principal_with_a_warning() {
    check_warn(
        &access_key("    principal: \"987654321098\"\n"),
        "`principal` is not used with `auth: access-key`",
        12,
        16,
    );
    let b = destination(&access_key("    principal: \"987654321098\"\n"), "b");
    assert_eq!(b.principal, None);
}

#[test]
fn access_key_ignores_external_id_with_a_warning() {
    check_warn(
        &access_key("    external_id: abc\n"),
        "`external_id` is not used with `auth: access-key`",
        12,
        18,
    );
}

#[test]
fn access_key_needs_no_principal_even_for_walkme_or_pendo() {
    check_ok(&with_header(
        "  p:\n    vendor: pendo-data-sync\n    auth: access-key\n    bucket: acme-exports\n    folder: p\n",
    ));
}

#[test]
fn access_key_takes_no_role_name() {
    check_err(
        &access_key("    role_name: braze\n"),
        "`role_name` cannot be used with `auth: access-key`",
        12,
        16,
    );
}

#[test]
fn key_max_age_days_needs_access_key() {
    check_err(
        &with_header(
            "  w:\n    vendor: walkme\n    bucket: acme-exports\n    folder: w\n    key_max_age_days: 90\n",
        ),
        "`key_max_age_days` needs `auth: access-key`",
        11,
        23,
    );
}

#[test]
fn key_max_age_days_is_in_range() {
    check_err(
        &access_key("    key_max_age_days: 0\n"),
        "`key_max_age_days` must be from 1 to 3650, not `0`",
        12,
        23,
    );
    check_err(
        &access_key("    key_max_age_days: 3651\n"),
        "not `3651`",
        12,
        23,
    );
    check_err(
        &access_key("    key_max_age_days: -1\n"),
        "invalid number `-1`",
        12,
        23,
    );
    assert_eq!(
        destination(&access_key("    key_max_age_days: 3650\n"), "b").key_max_age_days,
        Some(3650)
    );
}

// --- actions ------------------------------------------------------------------------------------

#[test]
fn actions_are_required_for_custom() {
    let yaml =
        with_principal("custom", "\"111122223333\"").replace("    actions: [s3:PutObject]\n", "");
    check_err(&yaml, "destination `d` has no `actions`", 7, 3);
    let yaml = with_principal("custom", "\"111122223333\"").replace("[s3:PutObject]", "[]");
    check_err(&yaml, "`actions` is empty", 13, 14);
}

#[test]
fn actions_are_rejected_for_other_vendors() {
    check_err(
        &with_header(
            "  w:\n    vendor: walkme\n    bucket: acme-exports\n    folder: w\n    actions: [s3:PutObject]\n",
        ),
        "`actions` is only for `vendor: custom`",
        11,
        14,
    );
}

#[test]
fn each_action_is_checked_at_its_item() {
    let yaml = with_principal("custom", "\"111122223333\"").replace(
        "[s3:PutObject]",
        "[s3:PutObject, PutObject, \"iam:PassRole\"]",
    );
    let diag = check_err(&yaml, "invalid action `PutObject`", 13, 29);
    assert_eq!(help(&diag), "did you mean `s3:PutObject`?");
    check_err(&yaml, "invalid action `iam:PassRole`", 13, 40);
}

#[test]
fn actions_keep_file_order_without_duplicates() {
    let yaml = with_principal("custom", "\"111122223333\"").replace(
        "[s3:PutObject]",
        "[s3:PutObject, s3:GetObject, s3:PutObject]",
    );
    check_warn(&yaml, "action `s3:PutObject` is listed twice", 13, 43);
    assert_eq!(
        destination(&yaml, "d").actions,
        ["s3:PutObject", "s3:GetObject"]
    );
}

// --- role_name ----------------------------------------------------------------------------------

fn walkme_with(extra: &str) -> String {
    with_header(&format!(
        "  w:\n    vendor: walkme\n    bucket: acme-exports\n    folder: w\n{extra}"
    ))
}

#[test]
fn role_name_is_checked() {
    check_err(
        &walkme_with("    role_name: \"walk me\"\n"),
        "invalid role name `walk me`: character ` ` is not allowed",
        11,
        16,
    );
    check_err(
        &walkme_with(&format!("    role_name: {}\n", "r".repeat(65))),
        "it has 65 characters, the maximum is 64",
        11,
        16,
    );
    assert_eq!(
        destination(&walkme_with("    role_name: a+b=c,d.e@f_g-h\n"), "w")
            .role_name
            .as_deref(),
        Some("a+b=c,d.e@f_g-h")
    );
}

#[test]
fn pendo_takes_no_role_name() {
    let yaml = with_header(PENDO).replace(
        "    external_id: 6f1b2c9d-pendo\n",
        "    external_id: 6f1b2c9d-pendo\n    role_name: my-pendo\n",
    );
    let diag = check_err(
        &yaml,
        "pendo-data-sync destinations take no `role_name`",
        13,
        16,
    );
    assert!(help(&diag).contains("`pendo_datasync`"));
    assert_eq!(
        destination(&with_header(PENDO), "pendo")
            .effective_role_name()
            .as_deref(),
        Some("pendo_datasync")
    );
}

#[test]
fn two_destinations_cannot_share_a_role_name() {
    // An explicit name equal to another destination's default name.
    let yaml = with_header(
        "  a:\n    vendor: walkme\n    bucket: acme-exports\n    folder: a\n  \
         b:\n    vendor: walkme\n    bucket: acme-exports\n    folder: b\n    role_name: S3DEST-A\n",
    );
    let diag = check_err(
        &yaml,
        "role name `S3DEST-A` is already used by destination `a`",
        15,
        16,
    );
    assert!(
        help(&diag).contains("set the `role_name` of `b` to another name"),
        "{diag:?}"
    );
    // An explicit name equal to Pendo's fixed one.
    let yaml = with_header(&format!(
        "{PENDO}  w:\n    vendor: walkme\n    bucket: acme-exports\n    folder: w\n    role_name: pendo_datasync\n"
    ));
    let diag = check_err(
        &yaml,
        "role name `pendo_datasync` is already used by destination `pendo`",
        17,
        16,
    );
    assert!(
        help(&diag).contains("set the `role_name` of `w` to another name"),
        "{diag:?}"
    );
    // Pendo's fixed name after an explicit one: only the other destination can change.
    let yaml = with_header(&format!(
        "  w:\n    vendor: walkme\n    bucket: acme-exports\n    folder: w\n    role_name: Pendo_DataSync\n{PENDO}"
    ));
    let diag = check_err(
        &yaml,
        "role name `pendo_datasync` is already used by destination `w`",
        12,
        3,
    );
    assert!(
        help(&diag).contains("set the `role_name` of `w` to another name"),
        "{diag:?}"
    );
    // A default name clashing with an earlier explicit one: blamed on the later key.
    let yaml = with_header(
        "  a:\n    vendor: walkme\n    bucket: acme-exports\n    folder: a\n    role_name: s3dest-b\n  \
         b:\n    vendor: walkme\n    bucket: acme-exports\n    folder: b\n",
    );
    let diag = check_err(
        &yaml,
        "role name `s3dest-b` is already used by destination `a`",
        12,
        3,
    );
    assert!(
        help(&diag).contains("set `role_name` on `b` or on `a`"),
        "{diag:?}"
    );
}

// --- tags --------------------------------------------------------------------------------------

#[test]
fn tags_are_checked() {
    check_err(
        &walkme_with("    tags:\n      s3dest:spec: mine\n"),
        "tag key `s3dest:spec` is reserved",
        12,
        7,
    );
    check_err(
        &walkme_with("    tags:\n      AWS:team: x\n"),
        "tag key `AWS:team` is reserved",
        12,
        7,
    );
    check_err(
        &walkme_with("    tags:\n      \"team#1\": x\n"),
        "invalid tag key `team#1`: character `#` is not allowed",
        12,
        7,
    );
    check_err(
        &walkme_with(&format!("    tags:\n      team: {}\n", "v".repeat(257))),
        "invalid tag value",
        12,
        13,
    );
    check_err(
        &walkme_with(&format!("    tags:\n      {}: x\n", "k".repeat(129))),
        "the maximum is 128",
        12,
        7,
    );
    let w = destination(
        &walkme_with("    tags: { équipe: données, \"a b\": \"x:y/z=1+2-3@4\" }\n"),
        "w",
    );
    assert_eq!(w.tags["équipe"], "données");
}

#[test]
fn at_most_43_tags() {
    // IAM allows 50 tags and s3dest sets seven of its own.
    let tags: String = (0..44).map(|i| format!("      t{i}: v\n")).collect();
    let diag = check_err(
        &walkme_with(&format!("    tags:\n{tags}")),
        "too many tags: 44, at most 43",
        12,
        7,
    );
    assert!(help(&diag).contains("IAM allows 50"), "{diag:?}");
    assert!(help(&diag).contains("`s3dest:file`"), "{diag:?}");
    let tags: String = (0..43).map(|i| format!("      t{i}: v\n")).collect();
    check_ok(&walkme_with(&format!("    tags:\n{tags}")));
}

#[test]
fn adopt_is_a_bool() {
    check_err(
        &walkme_with("    adopt: maybe\n"),
        "invalid boolean `maybe`",
        11,
        12,
    );
    assert!(destination(&walkme_with("    adopt: true\n"), "w").adopt);
}

// --- one Pendo per spec ---------------------------------------------------------------------------

#[test]
fn a_second_pendo_destination_is_an_error() {
    let second = PENDO
        .replace("  pendo:", "  pendo-2:")
        .replace("folder: pendo", "folder: pendo2");
    let yaml = with_header(&format!("{PENDO}{second}"));
    let diag = check_err(
        &yaml,
        "only one pendo-data-sync destination is allowed, and `pendo` is already one",
        14,
        13,
    );
    assert!(help(&diag).contains("pendo_datasync"));
    // Reported once: not again as a role-name clash.
    let diags = parse("s3dest.yaml", &yaml).unwrap_err();
    assert_eq!(diags.len(), 1, "{}", list(&diags));
}

// --- what the deserializer finds ---------------------------------------------------------------

#[test]
fn unknown_field_points_at_the_key_and_suggests() {
    let yaml = with_header("  w:\n    vendor: walkme\n    bucket: acme-exports\n    foldr: w\n");
    let diag = check_err(&yaml, "unknown field `foldr` in a destination", 10, 5);
    assert_eq!(diag.span.len, 5);
    assert!(
        help(&diag).starts_with("did you mean `folder`?"),
        "{diag:?}"
    );
    assert!(help(&diag).contains("`key_max_age_days`"));
    check_err(
        "version: 1\nname: a\nbuckets: {}\ndestinations: {}\nregoin: x\n",
        "unknown field `regoin` at the top level",
        5,
        1,
    );
    check_err(
        "version: 1\nname: a\nbuckets:\n  b-1: { create: true, public: false }\ndestinations: {}\n",
        "unknown field `public` in a bucket",
        4,
        24,
    );
}

#[test]
fn duplicate_keys_are_errors() {
    check_err(
        &with_header(&format!("{PENDO}{PENDO}")),
        "duplicate key `pendo`",
        13,
        3,
    );
    check_err(
        &walkme_with("    folder: again\n"),
        "duplicate key `folder`",
        11,
        5,
    );
}

#[test]
fn wrong_types_are_errors() {
    check_err(
        &with_header("  w: { vendor: [walkme], bucket: acme-exports, folder: w }\n"),
        "expected a string, found a list",
        7,
        16,
    );
    check_err(
        &walkme_with("    tags: [a, b]\n"),
        "expected a mapping",
        11,
        11,
    );
    check_err(
        &walkme_with("    actions: s3:PutObject\n"),
        "expected a list",
        11,
        14,
    );
}

#[test]
fn syntax_errors_have_a_location() {
    check_err(
        "version: 1\nname: a\nbuckets:\n  x: {create: true}\n   y: 1\ndestinations: {}\n",
        "invalid YAML",
        5,
        4,
    );
    check_err(
        "version: 1\nname: a\nbuckets: {}\ndestinations: {\n",
        "invalid YAML: unclosed bracket",
        4,
        15,
    );
}

#[test]
fn an_empty_file_is_an_error() {
    check_err("", "the spec is empty", 1, 1);
    check_err("# nothing yet\n\n", "the spec is empty", 1, 1);
}

#[test]
fn a_top_level_non_mapping_is_an_error() {
    check_err("- a\n- b\n", "the spec must be a YAML mapping", 1, 1);
    check_err(
        "# spec\n---\njust text\n",
        "the spec must be a YAML mapping",
        3,
        1,
    );
}

#[test]
fn a_second_document_is_an_error() {
    check_err(
        "version: 1\nname: a\nbuckets: {}\ndestinations: {}\n---\nversion: 1\n",
        "the spec must be a single YAML document",
        6,
        1,
    );
}

#[test]
fn columns_count_characters() {
    // `é` is two bytes but one column.
    let yaml = walkme_with("    tags: { é: x, s3dest:x: y }\n");
    let diag = check_err(&yaml, "tag key `s3dest:x` is reserved", 11, 19);
    assert_eq!(
        &yaml[diag.span.offset..diag.span.offset + diag.span.len],
        "s3dest:x"
    );
}

// --- structural errors, all at once ------------------------------------------------------------

/// (line, column, message) of every diagnostic.
fn located(diags: &[Diagnostic]) -> Vec<(usize, usize, String)> {
    diags
        .iter()
        .map(|d| (d.span.line, d.span.column, d.message.clone()))
        .collect()
}

fn at(line: usize, column: usize, message: &str) -> (usize, usize, String) {
    (line, column, message.to_owned())
}

/// Three unknown fields and a value of the wrong kind, in two destinations, and a semantic
/// error in a third.
const STRUCTURAL: &str = "\
version: 1
name: acme
buckets:
  acme-exports: { create: true, public: false }
destinations:
  w:
    vendor: walkme
    bucket: acme-exports
    foldr: w
    tags: [team, data]
  pendo:
    vendr: pendo-data-sync
    bucket: acme-exports
    folder: pendo
  x:
    vendor: walkmi
    bucket: acme-exports
    folder: x
";

#[test]
fn every_structural_error_is_reported_with_the_semantic_ones() {
    let diags = parse("s3dest.yaml", STRUCTURAL).unwrap_err();
    assert_eq!(
        located(&diags),
        [
            at(4, 33, "unknown field `public` in a bucket"),
            at(9, 5, "unknown field `foldr` in a destination"),
            at(10, 11, "expected a mapping, found a list"),
            at(12, 5, "unknown field `vendr` in a destination"),
            at(16, 13, "unknown vendor `walkmi`"),
        ],
        "{}",
        list(&diags)
    );
    // Each says what to do.
    assert!(diags.iter().all(|d| d.help.is_some()), "{diags:#?}");
    assert!(help(&diags[2]).starts_with("`tags` is a mapping of tag names to values"));
    insta::assert_snapshot!(rendered(STRUCTURAL));
}

#[test]
fn a_field_that_is_misspelt_or_of_the_wrong_kind_is_not_missing_too() {
    // `foldr` is `folder` misspelt and `vendor` is unreadable: neither is missing as well.
    let yaml = with_header("  w:\n    vendor: [walkme]\n    bucket: acme-exports\n    foldr: w\n");
    let diags = parse("s3dest.yaml", &yaml).unwrap_err();
    assert_eq!(
        located(&diags),
        [
            at(8, 13, "expected a string, found a list"),
            at(10, 5, "unknown field `foldr` in a destination"),
        ],
        "{}",
        list(&diags)
    );
    // A field that is not a misspelling of a missing one does not excuse it.
    let yaml = with_header("  w:\n    vendor: walkme\n    bucket: acme-exports\n    colour: red\n");
    check_err(&yaml, "destination `w` has no `folder`", 7, 3);
    // At the top level too; and a bucket of the wrong kind is still declared.
    let yaml = "version: 1\nnmae: acme\nbuckets:\n  acme-exports: [x]\ndestinations:\n  w: { vendor: walkme, bucket: acme-exports, folder: w }\n";
    let diags = parse("s3dest.yaml", yaml).unwrap_err();
    assert_eq!(
        located(&diags),
        [
            at(2, 1, "unknown field `nmae` at the top level"),
            at(4, 17, "expected a mapping, found a list"),
        ],
        "{}",
        list(&diags)
    );
}

#[test]
fn every_duplicate_key_is_reported() {
    let yaml = with_header(&format!(
        "{PENDO}    folder: again\n  w: {{ vendor: walkme, bucket: acme-exports, folder: w, folder: x }}\n"
    ));
    let diags = parse("s3dest.yaml", &yaml).unwrap_err();
    assert_eq!(
        located(&diags),
        [
            at(13, 5, "duplicate key `folder`"),
            at(14, 57, "duplicate key `folder`"),
        ],
        "{}",
        list(&diags)
    );
}

#[test]
fn a_destination_field_indented_less_is_read_as_a_destination() {
    let yaml = with_header("  w:\n    vendor: walkme\n    folder: w\n  bucket: acme-exports\n");
    let diag = only_error(&yaml);
    assert_eq!(
        (diag.span.line, diag.span.column, diag.message.as_str()),
        (
            10,
            3,
            "`bucket` is indented less than its siblings: it was read as a new destination"
        )
    );
    assert_eq!(
        help(&diag),
        "indent it 4 spaces, as `vendor` is on line 8, to make it a field of destination `w`"
    );
    // A mapping: `tags` indented with what is under it.
    let tags = with_header(
        "  w:\n    vendor: walkme\n    bucket: acme-exports\n    folder: w\n  tags:\n    team: data\n",
    );
    check_err(&tags, "`tags` is indented less than its siblings", 11, 3);
    // Misspelt as well.
    let misspelt = with_header("  w:\n    vendor: walkme\n    bucket: acme-exports\n  foldr: w\n");
    let diag = only_error(&misspelt);
    assert!(
        help(&diag).starts_with("did you mean `folder`? indent it 4 spaces"),
        "{diag:?}"
    );
    // Under a destination written `{ ... }`, or with no destination above it.
    let flow = with_header("  w: { vendor: walkme, folder: w }\n  bucket: acme-exports\n");
    assert_eq!(
        help(&only_error(&flow)),
        "move it into the `{ ... }` of destination `w` on line 7, to make it one of its fields"
    );
    let nameless = with_header("  vendor: walkme\n  bucket: acme-exports\n  folder: w\n");
    let diags = parse("s3dest.yaml", &nameless).unwrap_err();
    assert_eq!(diags.len(), 3, "{}", list(&diags));
    assert!(
        diags.iter().all(|d| d
            .message
            .ends_with("is a field of a destination: it was read as a destination's name")),
        "{}",
        list(&diags)
    );
    // A destination named like a field, with fields, is a destination.
    check_ok(&with_header(
        "  bucket: { vendor: walkme, bucket: acme-exports, folder: b }\n",
    ));
    // Written as its vendor: not a misplaced field.
    let vendor = with_header("  pendo: pendo-data-sync\n");
    let diag = check_err(
        &vendor,
        "expected a mapping, found `pendo-data-sync`",
        7,
        10,
    );
    assert!(help(&diag).starts_with("a destination is a mapping of its fields"));
}

#[test]
fn a_field_indented_less_in_the_middle_of_its_siblings_is_located() {
    // The line after it, indented as it should be, is a syntax error: both are reported.
    let yaml = with_header("  w:\n    vendor: walkme\n  bucket: acme-exports\n    folder: w\n");
    let diags = parse("s3dest.yaml", &yaml).unwrap_err();
    assert_eq!(
        located(&diags),
        [
            at(
                9,
                3,
                "`bucket` is indented less than its siblings: it was read as a new destination"
            ),
            at(
                10,
                11,
                "invalid YAML: mapping values are not allowed in this context"
            ),
        ],
        "{}",
        list(&diags)
    );
}

#[test]
fn fields_at_the_wrong_level_are_located() {
    let top = with_header("  w:\n    vendor: walkme\n    folder: w\nbucket: acme-exports\n");
    let diag = only_error(&top);
    assert_eq!(
        (diag.span.line, diag.span.column, diag.message.as_str()),
        (
            10,
            1,
            "`bucket` is a field of a destination: it is indented too little"
        )
    );
    assert_eq!(
        help(&diag),
        "indent it 4 spaces, as `vendor` is on line 8, to make it a field of destination `w`"
    );
    let region = with_header(
        "  w:\n    vendor: walkme\n    bucket: acme-exports\n    folder: w\n  region: us-east-1\n",
    );
    let diag = only_error(&region);
    assert_eq!(
        diag.message,
        "`region` is a top-level field: it is indented too much, and was read as a destination"
    );
    assert_eq!(
        help(&diag),
        "unindent it to the start of the line, as `destinations:` is on line 6, to make it a \
         top-level field"
    );
    // `destinations:` indented under `buckets:`: not missing as well.
    let nested = "version: 1\nname: acme\nbuckets:\n  acme-exports: {}\n  destinations:\n    w: { vendor: walkme, bucket: acme-exports, folder: w }\n";
    let diag = only_error(nested);
    assert_eq!((diag.span.line, diag.span.column), (5, 3));
    assert_eq!(
        diag.message,
        "`destinations` is a top-level field: it is indented too much, and was read as a bucket"
    );
    // A bucket's field indented less.
    let create =
        "version: 1\nname: acme\nbuckets:\n  acme-exports:\n  create: true\ndestinations: {}\n";
    let diag = only_error(create);
    assert_eq!(
        (diag.span.line, diag.message.as_str()),
        (
            5,
            "`create` is indented less than its siblings: it was read as a new bucket"
        )
    );
    assert_eq!(
        help(&diag),
        "indent it 4 spaces, under `acme-exports:` on line 4, to make it a field of bucket \
         `acme-exports`"
    );
}

#[test]
fn a_tab_is_pointed_at() {
    let yaml = with_header("  w:\n\tvendor: walkme\n");
    let diag = only_error(&yaml);
    assert_eq!((diag.span.line, diag.span.column, diag.span.len), (8, 1, 1));
    assert_eq!(
        diag.message,
        "a tab indents this line: YAML indents with spaces only"
    );
    // After spaces, and after another error.
    let yaml = with_header("  w:\n    vendr: walkme\n  \t  bucket: acme-exports\n");
    let diags = parse("s3dest.yaml", &yaml).unwrap_err();
    assert_eq!(
        located(&diags),
        [
            at(8, 5, "unknown field `vendr` in a destination"),
            at(
                9,
                3,
                "a tab indents this line: YAML indents with spaces only"
            ),
        ],
        "{}",
        list(&diags)
    );
}

#[test]
fn render_a_tab() {
    // The tab shows as spaces on both lines: the carets are under it.
    let rendered = rendered(&with_header(
        "  w:\n    vendor: walkme\n  \t  bucket: acme-exports\n",
    ));
    let lines: Vec<&str> = rendered.lines().collect();
    let source = lines.iter().find(|l| l.contains("bucket:")).unwrap();
    let carets = lines.iter().find(|l| l.contains('^')).unwrap();
    let bar = source.find('|').unwrap();
    assert_eq!(&source[bar..bar + 4], "|   ");
    assert_eq!(carets.find('^'), Some(bar + 4), "{rendered}");
    assert!(!rendered.contains('\t'));
    insta::assert_snapshot!(rendered);
    // A tab before the offending value, where YAML allows one: the carets are under it.
    let yaml = with_header("  w:\n    vendor:\twalkmi\n    bucket: acme-exports\n    folder: w\n");
    let rendered = render_diagnostics("s3dest.yaml", &yaml, &diagnostics(&yaml), false);
    let source = rendered
        .lines()
        .find(|l| l.contains("| ") && l.contains("walkmi"))
        .unwrap();
    let carets = rendered.lines().find(|l| l.contains('^')).unwrap();
    assert_eq!(source.find("walkmi"), carets.find("^^^^^^"), "{rendered}");
}

#[test]
fn syntax_errors_say_what_to_do() {
    let more = with_header("  w:\n    vendor: walkme\n      bucket: acme-exports\n");
    let diag = check_err(&more, "mapping values are not allowed", 9, 13);
    assert!(help(&diag).starts_with("this line is indented more than the line above it"));
    let colon = with_header("  w:\n    vendor: walkme: x\n");
    let diag = check_err(&colon, "mapping values are not allowed", 8, 19);
    assert!(help(&diag).starts_with("a value that holds `: ` must be quoted"));
    let unclosed = with_header("  w: { vendor: walkme\n");
    let diag = check_err(&unclosed, "unclosed bracket", 7, 6);
    assert_eq!(
        help(&diag),
        "close the `{` with a `}` (on the same line, or a later one)"
    );
    let alias = with_header("  w:\n    vendor: *x\n");
    let diag = check_err(&alias, "unknown alias `*x`", 8, 13);
    assert_eq!(diag.span.len, 2);
}

#[test]
fn reading_past_errors_stops_after_a_hundred() {
    let destinations: String = (0..150)
        .map(|i| {
            format!(
                "  w{i}: {{ vendor: walkme, bucket: acme-exports, folder: w{i}, colour: red }}\n"
            )
        })
        .collect();
    let diags = parse("s3dest.yaml", &with_header(&destinations)).unwrap_err();
    // A hundred read past, and the next one; nothing is validated.
    assert_eq!(diags.len(), 101, "{}", list(&diags));
    assert!(
        diags
            .iter()
            .all(|d| d.message == "unknown field `colour` in a destination")
    );
}

/// Bytes of `seed` and on, from a small linear congruential generator: the same inputs
/// every run.
fn pseudo_random(seed: u64) -> impl Iterator<Item = u64> {
    std::iter::successors(Some(seed), |x| {
        Some(
            x.wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407),
        )
    })
    .map(|x| x >> 33)
}

/// Spec texts broken in every way an edit breaks them, for the tests that parsing never
/// panics.
fn mangled(base: &str, count: usize) -> Vec<String> {
    const INSERTS: [&str; 12] = [
        "\t", " ", "  ", ":", "- ", "[", "{", "}", "\n", "&a ", "*a", "x: [1]\n",
    ];
    let mut random = pseudo_random(7);
    let mut next = move |n: usize| (random.next().unwrap_or(0) as usize) % n.max(1);
    (0..count)
        .map(|_| {
            let mut text = base.to_owned();
            for _ in 0..1 + next(3) {
                let chars: Vec<(usize, char)> = text.char_indices().collect();
                let at = chars.get(next(chars.len())).map_or(0, |(i, _)| *i);
                match next(3) {
                    0 => text.insert_str(at, INSERTS[next(INSERTS.len())]),
                    1 => {
                        text.remove(at);
                    }
                    _ => {
                        // Move a line in or out by two spaces.
                        let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
                        if text[line_start..].starts_with("  ") {
                            text.replace_range(line_start..line_start + 2, "");
                        } else {
                            text.insert_str(line_start, "  ");
                        }
                    }
                }
            }
            text
        })
        .collect()
}

#[test]
fn mangled_specs_never_panic_and_always_say_where() {
    for base in [EXAMPLE, STRUCTURAL] {
        for text in mangled(base, 1_000) {
            let diags = match parse("s3dest.yaml", &text) {
                Ok(checked) => checked.warnings,
                Err(diags) => {
                    assert!(diags.iter().any(Diagnostic::is_error), "{text}");
                    diags
                }
            };
            for diag in &diags {
                assert!(diag.span.offset + diag.span.len <= text.len(), "{text}");
                assert!(text.is_char_boundary(diag.span.offset), "{text}");
            }
            let _ = render_diagnostics("s3dest.yaml", &text, &diags, false);
        }
    }
}

// --- rendering -----------------------------------------------------------------------------------

fn rendered(yaml: &str) -> String {
    let diags = diagnostics(yaml);
    assert!(!diags.is_empty());
    render_diagnostics("s3dest.yaml", yaml, &diags, false)
}

#[test]
fn render_unknown_vendor() {
    insta::assert_snapshot!(rendered(&with_header(
        "  pendo:\n    vendor: pendoo\n    bucket: acme-exports\n    folder: pendo\n"
    )));
}

#[test]
fn render_unknown_field() {
    insta::assert_snapshot!(rendered(&with_header(
        "  w:\n    vendor: walkme\n    bucket: acme-exports\n    foldr: w\n"
    )));
}

#[test]
fn render_duplicate_key() {
    insta::assert_snapshot!(rendered(&with_header(&format!("{PENDO}{PENDO}"))));
}

#[test]
fn render_bad_folder_and_a_warning() {
    insta::assert_snapshot!(rendered(&with_header(
        "  w:\n    vendor: walkme\n    bucket: acme-exports\n    folder: exports/../../secrets\n  \
         partner: { vendor: custom, bucket: acme-raw, folder: p, principal: \"111122223333\", actions: [s3:PutObject] }\n"
    )));
}

#[test]
fn render_in_color_uses_ansi_escapes() {
    let yaml = with_header("  w: { vendor: walkmi, bucket: acme-exports, folder: w }\n");
    let diags = diagnostics(&yaml);
    let plain = render_diagnostics("s3dest.yaml", &yaml, &diags, false);
    let color = render_diagnostics("s3dest.yaml", &yaml, &diags, true);
    assert!(!plain.contains('\x1b'));
    assert!(color.contains("\x1b["));
    assert!(plain.contains(" --> s3dest.yaml:7:16"), "{plain}");
}

#[test]
fn key_grace_days_needs_access_key_and_a_range() {
    check_err(
        &with_header(
            "  w:\n    vendor: walkme\n    bucket: acme-exports\n    folder: w\n    key_grace_days: 3\n",
        ),
        "`key_grace_days` needs `auth: access-key`",
        11,
        21,
    );
    check_err(
        &access_key("    key_grace_days: 0\n"),
        "`key_grace_days` must be from 1 to 3650, not `0`",
        12,
        21,
    );
    assert_eq!(
        destination(&access_key("    key_grace_days: 7\n"), "b").key_grace_days,
        Some(7)
    );
}

#[test]
fn scope_is_bucket_or_folder() {
    check_err(
        &with_header(
            "  w:\n    vendor: walkme\n    bucket: acme-exports\n    folder: w\n    scope: everything\n",
        ),
        "unknown scope `everything`",
        11,
        12,
    );
    let w = |scope: &str| {
        destination(
            &with_header(&format!(
                "  w:\n    vendor: walkme\n    bucket: acme-exports\n    folder: w\n{scope}"
            )),
            "w",
        )
        .scope
    };
    assert_eq!(w("    scope: folder\n"), Some(Scope::Folder));
    assert_eq!(w("    scope: bucket\n"), Some(Scope::Bucket));
    assert_eq!(w(""), None);
}

/// The one error of `yaml`, which must fail.
fn only_error(yaml: &str) -> Diagnostic {
    let diags = parse("s3dest.yaml", yaml).expect_err("the spec must be refused");
    assert_eq!(diags.len(), 1, "{}", list(&diags));
    diags.into_iter().next().unwrap()
}

#[test]
fn aliases_cannot_blow_a_spec_up() {
    // A 1 MB value repeated 50 times by aliases: 50 MB once deserialized.
    let actions = vec!["*big"; 50].join(", ");
    let yaml = format!(
        "{HEADER}  c:\n    vendor: custom\n    bucket: acme-exports\n    folder: &big {}\n    \
         principal: \"111122223333\"\n    actions: [{actions}]\n",
        "a".repeat(1 << 20)
    );
    let err = only_error(&yaml);
    assert!(
        err.message
            .starts_with("the spec is too large or too complex to read: its values add up to"),
        "{}",
        err.message
    );
    // Aliases of aliases (a billion laughs): no field of a spec holds a list of lists, so
    // each nested list is refused where it starts, before any alias in it is read.
    let mut laughs = String::from(
        "version: 1\nname: acme\nbuckets: {}\ndestinations:\n  c:\n    vendor: custom\n    bucket: b\n    folder: f\n    tags:\n      l0: &l0 [a, a, a, a, a, a, a, a, a, a]\n",
    );
    for i in 1..10 {
        let prev = vec![format!("*l{}", i - 1); 10].join(", ");
        laughs += &format!("      l{i}: &l{i} [{prev}]\n");
    }
    let diags = parse("s3dest.yaml", &laughs).expect_err("the spec must be refused");
    let lists: Vec<usize> = diags
        .iter()
        .filter(|d| d.message == "expected a string, found a list")
        .map(|d| d.span.line)
        .collect();
    assert_eq!(lists, (10..20).collect::<Vec<_>>(), "{}", list(&diags));
}

/// Nothing in a spec nests deeper than a few levels: deeper YAML stops at the first value
/// of the wrong type, and anything else at the depth limit.
#[test]
fn deep_nesting_is_refused_without_recursing() {
    for (open, close) in [("[", "]"), ("{a: ", "}")] {
        let yaml = format!(
            "version: 1\nname: acme\nbuckets: {{}}\ndestinations:\n  c:\n    tags:\n      t: {}x{}\n",
            open.repeat(100_000),
            close.repeat(100_000)
        );
        let diags = parse("s3dest.yaml", &yaml).expect_err("the spec must be refused");
        assert!(
            diags.iter().all(|d| d.span.line == 7),
            "{open}: {}",
            list(&diags)
        );
    }
    let block: String = (1..5_000)
        .map(|i| format!("{}- \n", "  ".repeat(i)))
        .collect();
    only_error(&format!("version: 1\nname: acme\nbuckets:\n{block}"));
}

#[test]
fn a_spec_over_the_size_limit_is_refused_at_its_start() {
    let yaml = format!("{HEADER}{PENDO}# {}\n", "x".repeat(crate::MAX_SPEC_BYTES));
    let err = only_error(&yaml);
    assert_eq!((err.span.line, err.span.column), (1, 1));
    assert_eq!(
        err.message,
        format!(
            "the spec is {} bytes, more than the 4194304 bytes (4 MiB) s3dest reads",
            yaml.len()
        )
    );
}

#[test]
fn a_large_real_spec_is_within_every_limit() {
    // 2,000 destinations with tags: far beyond any real spec, and accepted.
    let mut yaml = String::from(HEADER);
    for i in 0..2_000 {
        yaml += &format!(
            "  w{i}:\n    vendor: walkme\n    bucket: acme-exports\n    folder: w/{i}\n    tags: {{team: data, cost-center: \"{i}\"}}\n"
        );
    }
    let checked = parse("s3dest.yaml", &yaml).map_err(|d| list(&d)).unwrap();
    assert_eq!(checked.spec.destinations.len(), 2_000);
}

#[test]
fn a_few_aliases_are_fine() {
    let yaml = format!(
        "{HEADER}  a: {{ vendor: braze-currents, bucket: acme-exports, principal: &braze \"987654321098\", external_id: &ext braze-ext }}\n  b: {{ vendor: braze-data-export, bucket: acme-exports, folder: b, principal: *braze, external_id: *ext }}\n"
    );
    parse("s3dest.yaml", &yaml).map_err(|d| list(&d)).unwrap();
}

#[test]
fn render_not_utf8() {
    let mut bytes =
        with_header("  w:\n    vendor: walkme\n    bucket: acme-exports\n").into_bytes();
    bytes.extend_from_slice(b"    folder: caf\xe9\n");
    let err = crate::decode(&bytes).unwrap_err();
    insta::assert_snapshot!(render_diagnostics(
        "s3dest.yaml",
        &err.text,
        &[err.diagnostic],
        false
    ));
}

// --- the catalogue's newer vendors ------------------------------------------------------------
//
// Each rule: where its diagnostic points (line:column, the only diagnostic of the spec), and
// what it says, as rendered (a snapshot of every case of the rule).

/// Seven lines: buckets whose regions some vendors refuse; the first destination's key is
/// on line 8.
const REGIONS_HEADER: &str = "\
version: 1
name: acme
buckets:
  acme-exports: {}
  acme-cape: { region: af-south-1 }
  acme-cn: { region: cn-north-1 }
destinations:
";

fn vendors_spec(destinations: &str) -> String {
    format!("{REGIONS_HEADER}{destinations}")
}

/// Asserts that `yaml` fails with exactly one diagnostic, this error at `line:column`.
#[track_caller]
fn only_at(yaml: &str, message: &str, line: usize, column: usize) -> Diagnostic {
    let diag = only_error(yaml);
    assert_eq!(
        (
            diag.severity,
            diag.message.as_str(),
            diag.span.line,
            diag.span.column
        ),
        (Severity::Error, message, line, column),
        "--- yaml:\n{yaml}"
    );
    // The same check of the span's offset as every other rule's test.
    find(yaml, Severity::Error, message, line, column)
}

/// The rendered diagnostics of each case (title, destinations), for one snapshot per rule.
fn rendered_cases(cases: &[(&str, &str)]) -> String {
    cases
        .iter()
        .map(|(title, destinations)| {
            format!("## {title}\n{}", rendered(&vendors_spec(destinations)))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

const SEGMENT_WITH_PRINCIPAL: &str = "  s:\n    vendor: segment\n    bucket: acme-exports\n    principal: \"987654321098\"\n    external_id: ws-1\n";
const MIXPANEL_WITH_PRINCIPAL: &str = "  m:\n    vendor: mixpanel\n    bucket: acme-exports\n    principal: arn:aws:iam::485438090326:user/mixpanel-export\n    external_id: tok-1\n";
const CLOUDFLARE_WITH_PRINCIPAL: &str = "  c:\n    vendor: cloudflare-logpush\n    bucket: acme-exports\n    folder: logs\n    principal: arn:aws:iam::391854517948:user/cloudflare-logpush\n";
const DATADOG_WITH_PRINCIPAL: &str = "  d:\n    vendor: datadog-log-archives\n    bucket: acme-exports\n    folder: dd\n    principal: \"464622532012\"\n";

#[test]
fn fixed_trust_vendors_take_no_principal() {
    let s = "segment destinations take no `principal`";
    only_at(&vendors_spec(SEGMENT_WITH_PRINCIPAL), s, 11, 16);
    let m = "mixpanel destinations take no `principal`";
    only_at(&vendors_spec(MIXPANEL_WITH_PRINCIPAL), m, 11, 16);
    let c = "cloudflare-logpush destinations take no `principal`";
    only_at(&vendors_spec(CLOUDFLARE_WITH_PRINCIPAL), c, 12, 16);
    let d = "datadog-log-archives destinations take no `principal`";
    only_at(&vendors_spec(DATADOG_WITH_PRINCIPAL), d, 12, 16);
    insta::assert_snapshot!(rendered_cases(&[
        ("segment", SEGMENT_WITH_PRINCIPAL),
        ("mixpanel", MIXPANEL_WITH_PRINCIPAL),
        ("cloudflare-logpush", CLOUDFLARE_WITH_PRINCIPAL),
        ("datadog-log-archives", DATADOG_WITH_PRINCIPAL),
    ]));
}

const SEGMENT_WITHOUT_EXTERNAL_ID: &str = "  s:\n    vendor: segment\n    bucket: acme-exports\n";
const MIXPANEL_WITHOUT_EXTERNAL_ID: &str = "  m:\n    vendor: mixpanel\n    bucket: acme-exports\n";
const CLOUDFLARE_WITH_EXTERNAL_ID: &str = "  c:\n    vendor: cloudflare-logpush\n    bucket: acme-exports\n    folder: logs\n    external_id: abc-123\n";
const DATADOG_WITH_EXTERNAL_ID: &str = "  d:\n    vendor: datadog-log-archives\n    bucket: acme-exports\n    folder: dd\n    external_id: abc-123\n";

#[test]
fn external_id_is_required_by_segment_and_mixpanel_and_refused_by_cloudflare_and_datadog() {
    only_at(
        &vendors_spec(SEGMENT_WITHOUT_EXTERNAL_ID),
        "destination `s` has no `external_id`",
        8,
        3,
    );
    only_at(
        &vendors_spec(MIXPANEL_WITHOUT_EXTERNAL_ID),
        "destination `m` has no `external_id`",
        8,
        3,
    );
    only_at(
        &vendors_spec(CLOUDFLARE_WITH_EXTERNAL_ID),
        "cloudflare-logpush destinations take no `external_id`",
        12,
        18,
    );
    only_at(
        &vendors_spec(DATADOG_WITH_EXTERNAL_ID),
        "datadog-log-archives destinations take no `external_id`",
        12,
        18,
    );
    insta::assert_snapshot!(rendered_cases(&[
        ("segment without one", SEGMENT_WITHOUT_EXTERNAL_ID),
        ("mixpanel without one", MIXPANEL_WITHOUT_EXTERNAL_ID),
        ("cloudflare-logpush with one", CLOUDFLARE_WITH_EXTERNAL_ID),
        ("datadog-log-archives with one", DATADOG_WITH_EXTERNAL_ID),
    ]));
    // Given, they are kept as written.
    let segment = "  s:\n    vendor: segment\n    bucket: acme-exports\n    external_id: ws-1\n";
    assert_eq!(
        destination(&vendors_spec(segment), "s")
            .external_id
            .as_deref(),
        Some("ws-1")
    );
}

const MIXPANEL_WITH_FOLDER: &str = "  m:\n    vendor: mixpanel\n    bucket: acme-exports\n    folder: mixpanel\n    external_id: tok-1\n";

#[test]
fn mixpanel_takes_no_folder() {
    only_at(
        &vendors_spec(MIXPANEL_WITH_FOLDER),
        "mixpanel destinations take no `folder`",
        11,
        13,
    );
    insta::assert_snapshot!(rendered_cases(&[("mixpanel", MIXPANEL_WITH_FOLDER)]));
    let m = destination(
        &vendors_spec(MIXPANEL_WITHOUT_EXTERNAL_ID).replace(
            "bucket: acme-exports\n",
            "bucket: acme-exports\n    external_id: tok-1\n",
        ),
        "m",
    );
    assert_eq!((m.folder.as_deref(), m.data_folder()), (None, None));
}

#[test]
fn segments_folder_is_an_optional_prefix_over_segment_logs() {
    let segment = |folder: &str| {
        destination(
            &vendors_spec(&format!(
                "  s:\n    vendor: segment\n    bucket: acme-exports\n    external_id: ws-1\n{folder}"
            )),
            "s",
        )
    };
    let folders = |d: Destination| (d.folder.clone(), d.data_folder());
    assert_eq!(
        folders(segment("")),
        (None, Some("segment-logs".to_owned()))
    );
    assert_eq!(
        folders(segment("    folder: raw/segment/\n")),
        (
            Some("raw/segment".to_owned()),
            Some("raw/segment/segment-logs".to_owned())
        )
    );
    // An empty prefix (Segment's bucket field holds only the bucket) is no prefix.
    assert_eq!(
        folders(segment("    folder: \"/\"\n")),
        (None, Some("segment-logs".to_owned()))
    );
    // A prefix is still a folder: checked like one.
    only_at(
        &vendors_spec(
            "  s:\n    vendor: segment\n    bucket: acme-exports\n    folder: a/../b\n    external_id: ws-1\n",
        ),
        "invalid folder `a/../b`: it has a `..` segment",
        11,
        13,
    );
}

const SEGMENT_ACCESS_KEY: &str =
    "  s:\n    vendor: segment\n    auth: access-key\n    bucket: acme-exports\n";
const MIXPANEL_ACCESS_KEY: &str =
    "  m:\n    vendor: mixpanel\n    auth: access-key\n    bucket: acme-exports\n";
const CLOUDFLARE_ACCESS_KEY: &str = "  c:\n    vendor: cloudflare-logpush\n    auth: access-key\n    bucket: acme-exports\n    folder: logs\n";
const DATADOG_ACCESS_KEY: &str = "  d:\n    vendor: datadog-log-archives\n    auth: access-key\n    bucket: acme-exports\n    folder: dd\n";

#[test]
fn the_newer_vendors_offer_no_access_key() {
    for (yaml, vendor) in [
        (SEGMENT_ACCESS_KEY, "segment"),
        (MIXPANEL_ACCESS_KEY, "mixpanel"),
        (CLOUDFLARE_ACCESS_KEY, "cloudflare-logpush"),
        (DATADOG_ACCESS_KEY, "datadog-log-archives"),
    ] {
        only_at(
            &vendors_spec(yaml),
            &format!("{vendor} does not offer `auth: access-key`"),
            10,
            11,
        );
    }
    insta::assert_snapshot!(rendered_cases(&[
        ("segment", SEGMENT_ACCESS_KEY),
        ("mixpanel", MIXPANEL_ACCESS_KEY),
        ("cloudflare-logpush", CLOUDFLARE_ACCESS_KEY),
        ("datadog-log-archives", DATADOG_ACCESS_KEY),
    ]));
}

const CLOUDFLARE_ROLE_NAME: &str = "  c:\n    vendor: cloudflare-logpush\n    bucket: acme-exports\n    folder: logs\n    role_name: cloudflare\n";
const WALKME_TAKES_DATADOGS_ROLE: &str = "  w:\n    vendor: walkme\n    bucket: acme-exports\n    folder: w\n    role_name: datadogintegrationrole\n  d:\n    vendor: datadog-log-archives\n    bucket: acme-exports\n    folder: dd\n";

#[test]
fn role_name_is_refused_by_cloudflare_and_names_datadogs_existing_role() {
    only_at(
        &vendors_spec(CLOUDFLARE_ROLE_NAME),
        "cloudflare-logpush destinations take no `role_name`",
        12,
        16,
    );
    let role = |destinations: &str, name: &str| {
        destination(&vendors_spec(destinations), name).effective_role_name()
    };
    let datadog =
        "  d:\n    vendor: datadog-log-archives\n    bucket: acme-exports\n    folder: dd\n";
    assert_eq!(
        role(datadog, "d").as_deref(),
        Some("DatadogIntegrationRole")
    );
    let named = format!("{datadog}    role_name: DatadogAWSIntegrationRole\n");
    assert_eq!(
        role(&named, "d").as_deref(),
        Some("DatadogAWSIntegrationRole")
    );
    // The role is checked like any role name.
    only_at(
        &vendors_spec(&format!("{datadog}    role_name: \"Datadog role\"\n")),
        "invalid role name `Datadog role`: character ` ` is not allowed",
        12,
        16,
    );
    // Several archives add their policies to the one integration role…
    let two = "  d1:\n    vendor: datadog-log-archives\n    bucket: acme-exports\n    folder: dd/1\n  \
               d2:\n    vendor: datadog-log-archives\n    bucket: acme-exports\n    folder: dd/2\n";
    assert_eq!(check_ok(&vendors_spec(two)).spec.destinations.len(), 2);
    // …but a role s3dest makes cannot be it (IAM names ignore case).
    only_at(
        &vendors_spec(WALKME_TAKES_DATADOGS_ROLE),
        "role name `DatadogIntegrationRole` is already used by destination `w`",
        13,
        3,
    );
    // Segment and Mixpanel get a role of s3dest's, which `role_name` names.
    let segment = "  s:\n    vendor: segment\n    bucket: acme-exports\n    external_id: ws-1\n    role_name: segment-export\n";
    assert_eq!(role(segment, "s").as_deref(), Some("segment-export"));
    insta::assert_snapshot!(rendered_cases(&[
        ("cloudflare-logpush", CLOUDFLARE_ROLE_NAME),
        (
            "walkme's role_name is datadog's integration role",
            WALKME_TAKES_DATADOGS_ROLE
        ),
    ]));
}

const SEGMENT_SCOPE: &str = "  s:\n    vendor: segment\n    bucket: acme-exports\n    external_id: ws-1\n    scope: bucket\n";
const MIXPANEL_SCOPE: &str = "  m:\n    vendor: mixpanel\n    bucket: acme-exports\n    external_id: tok-1\n    scope: folder\n";
const CLOUDFLARE_SCOPE: &str = "  c:\n    vendor: cloudflare-logpush\n    bucket: acme-exports\n    folder: logs\n    scope: bucket\n";
const DATADOG_SCOPE: &str = "  d:\n    vendor: datadog-log-archives\n    bucket: acme-exports\n    folder: dd\n    scope: folder\n";

#[test]
fn scope_is_refused_where_the_guide_fixes_it() {
    for (yaml, vendor) in [
        (SEGMENT_SCOPE, "segment"),
        (MIXPANEL_SCOPE, "mixpanel"),
        (CLOUDFLARE_SCOPE, "cloudflare-logpush"),
        (DATADOG_SCOPE, "datadog-log-archives"),
    ] {
        only_at(
            &vendors_spec(yaml),
            &format!("{vendor} destinations take no `scope`"),
            12,
            12,
        );
    }
    insta::assert_snapshot!(rendered_cases(&[
        ("segment", SEGMENT_SCOPE),
        ("mixpanel", MIXPANEL_SCOPE),
        ("cloudflare-logpush", CLOUDFLARE_SCOPE),
        ("datadog-log-archives", DATADOG_SCOPE),
    ]));
}

fn walkme_trust(trust: &str) -> String {
    format!(
        "  w:\n    vendor: walkme\n    bucket: acme-exports\n    folder: w\n    trust: {trust}\n"
    )
}

const SEGMENT_TRUST: &str = "  s:\n    vendor: segment\n    bucket: acme-exports\n    external_id: ws-1\n    trust: production\n";
const CLOUDFLARE_TRUST: &str = "  c:\n    vendor: cloudflare-logpush\n    bucket: acme-exports\n    folder: logs\n    trust: logpush\n";
const DATADOG_TRUST: &str = "  d:\n    vendor: datadog-log-archives\n    bucket: acme-exports\n    folder: dd\n    trust: us\n";
const PENDO_TRUST: &str = "  p:\n    vendor: pendo-data-sync\n    bucket: acme-exports\n    folder: p\n    principal: arn:aws:iam::123456789012:user/pendo-sync\n    external_id: ext-1\n    trust: us\n";

#[test]
fn trust_picks_one_of_walkmes_variants_and_only_walkmes() {
    let variant = |trust: &str| {
        destination(&vendors_spec(&walkme_trust(trust)), "w")
            .trust
            .map(|v| v.name)
    };
    for name in ["us-and-eu", "us", "eu", "legacy"] {
        assert_eq!(variant(name), Some(name));
    }
    let default = "  w:\n    vendor: walkme\n    bucket: acme-exports\n    folder: w\n";
    assert_eq!(destination(&vendors_spec(default), "w").trust, None);
    only_at(
        &vendors_spec(&walkme_trust("legasy")),
        "unknown walkme trust `legasy`",
        12,
        12,
    );
    only_at(
        &vendors_spec(&walkme_trust("asia")),
        "unknown walkme trust `asia`",
        12,
        12,
    );
    // Vendors with one set of principals, their customer's own, or none of s3dest's.
    only_at(
        &vendors_spec(SEGMENT_TRUST),
        "segment destinations take no `trust`",
        12,
        12,
    );
    only_at(
        &vendors_spec(CLOUDFLARE_TRUST),
        "cloudflare-logpush destinations take no `trust`",
        12,
        12,
    );
    only_at(
        &vendors_spec(DATADOG_TRUST),
        "datadog-log-archives destinations take no `trust`",
        12,
        12,
    );
    only_at(
        &vendors_spec(PENDO_TRUST),
        "pendo-data-sync destinations take no `trust`",
        14,
        12,
    );
    // With an access key no role is trusted: a warning, as for `principal`.
    let key = "  w:\n    vendor: walkme\n    auth: access-key\n    bucket: acme-exports\n    folder: w\n    trust: eu\n";
    check_warn(
        &vendors_spec(key),
        "`trust` is not used with `auth: access-key`",
        13,
        12,
    );
    insta::assert_snapshot!(rendered_cases(&[
        ("walkme, a typo", &walkme_trust("legasy")),
        ("walkme, nothing like a variant", &walkme_trust("asia")),
        ("segment", SEGMENT_TRUST),
        ("cloudflare-logpush", CLOUDFLARE_TRUST),
        ("datadog-log-archives", DATADOG_TRUST),
        ("pendo-data-sync", PENDO_TRUST),
        ("walkme with an access key", key),
    ]));
}

const MIXPANEL_IN_CAPE_TOWN: &str =
    "  m:\n    vendor: mixpanel\n    bucket: acme-cape\n    external_id: tok-1\n";
const CLOUDFLARE_IN_BEIJING: &str =
    "  c:\n    vendor: cloudflare-logpush\n    bucket: acme-cn\n    folder: logs\n";

#[test]
fn regions_a_vendor_refuses_are_refused_offline_where_the_spec_declares_them() {
    only_at(
        &vendors_spec(MIXPANEL_IN_CAPE_TOWN),
        "mixpanel does not support buckets in `af-south-1`",
        10,
        13,
    );
    only_at(
        &vendors_spec(CLOUDFLARE_IN_BEIJING),
        "cloudflare-logpush does not support buckets in `cn-north-1`",
        10,
        13,
    );
    // A bucket s3dest creates is in the spec's region when it names none.
    let created = "version: 1\nname: acme\nregion: cn-northwest-1\nbuckets:\n  acme-new: { create: true }\ndestinations:\n  c:\n    vendor: cloudflare-logpush\n    bucket: acme-new\n    folder: logs\n";
    only_at(
        created,
        "cloudflare-logpush does not support buckets in `cn-northwest-1`",
        9,
        13,
    );
    // What each allows: Mixpanel's list (`me-south-1` is on its current guide's), and
    // Cloudflare everywhere but China; a bucket whose region is not declared is `plan`'s
    // to check.
    let mixpanel_in = |bucket: &str| {
        format!("{REGIONS_HEADER}  m:\n    vendor: mixpanel\n    bucket: {bucket}\n    external_id: tok-1\n")
            .replace("af-south-1", "me-south-1")
    };
    check_ok(&mixpanel_in("acme-cape"));
    check_ok(&mixpanel_in("acme-cn"));
    check_ok(&mixpanel_in("acme-exports"));
    check_ok(&vendors_spec(
        "  c:\n    vendor: cloudflare-logpush\n    bucket: acme-cape\n    folder: logs\n",
    ));
    insta::assert_snapshot!(rendered_cases(&[
        ("mixpanel on a bucket in af-south-1", MIXPANEL_IN_CAPE_TOWN),
        (
            "cloudflare-logpush on a bucket in cn-north-1",
            CLOUDFLARE_IN_BEIJING
        ),
    ]));
}

const TWO_SEGMENTS: &str = "  a:\n    vendor: segment\n    bucket: acme-exports\n    external_id: ws-1\n  b:\n    vendor: segment\n    bucket: acme-exports\n    external_id: ws-2\n";
const WALKME_IN_SEGMENT_LOGS: &str = "  w:\n    vendor: walkme\n    bucket: acme-exports\n    folder: segment-logs\n  s:\n    vendor: segment\n    bucket: acme-exports\n    external_id: ws-1\n";

#[test]
fn segment_without_a_folder_writes_to_segment_logs_which_two_cannot_share() {
    only_at(
        &vendors_spec(TWO_SEGMENTS),
        "folder `segment-logs` of bucket `acme-exports` is already used by destination `a`",
        12,
        3,
    );
    only_at(
        &vendors_spec(WALKME_IN_SEGMENT_LOGS),
        "folder `segment-logs` of bucket `acme-exports` is already used by destination `w`",
        12,
        3,
    );
    // A prefix each (or one without) is two folders.
    check_ok(&vendors_spec(&TWO_SEGMENTS.replace(
        "external_id: ws-2\n",
        "external_id: ws-2\n    folder: b\n",
    )));
    // The same prefix is the same folder, blamed on the prefix.
    let same = TWO_SEGMENTS
        .replace("external_id: ws-1\n", "external_id: ws-1\n    folder: p\n")
        .replace("external_id: ws-2\n", "external_id: ws-2\n    folder: p/\n");
    only_at(
        &vendors_spec(&same),
        "folder `p/segment-logs` of bucket `acme-exports` is already used by destination `a`",
        17,
        13,
    );
    insta::assert_snapshot!(rendered_cases(&[
        ("two segment destinations without a folder", TWO_SEGMENTS),
        ("walkme in segment-logs", WALKME_IN_SEGMENT_LOGS),
        ("two segment destinations with the same prefix", &same),
    ]));
}

const MIXPANEL_AFTER_WALKME: &str = "  w:\n    vendor: walkme\n    bucket: acme-exports\n    folder: w\n  m:\n    vendor: mixpanel\n    bucket: acme-exports\n    external_id: tok-1\n";
const WALKME_AFTER_MIXPANEL: &str = "  m:\n    vendor: mixpanel\n    bucket: acme-exports\n    external_id: tok-1\n  w:\n    vendor: walkme\n    bucket: acme-exports\n    folder: w\n";

#[test]
fn mixpanels_whole_bucket_grant_on_a_shared_bucket_is_a_warning() {
    let message = "destination `m` (mixpanel) is granted every object of bucket `acme-exports`, \
                   which destination `w` also writes to";
    // On the later destination's bucket, whichever comes first.
    check_warn(&vendors_spec(MIXPANEL_AFTER_WALKME), message, 14, 13);
    check_warn(&vendors_spec(WALKME_AFTER_MIXPANEL), message, 14, 13);
    assert_eq!(
        check_ok(&vendors_spec(MIXPANEL_AFTER_WALKME))
            .warnings
            .len(),
        1
    );
    // A bucket of its own: nothing to say.
    let alone = "  m:\n    vendor: mixpanel\n    bucket: acme-exports\n    external_id: tok-1\n  \
                 w:\n    vendor: walkme\n    bucket: acme-cape\n    folder: w\n";
    assert_eq!(check_ok(&vendors_spec(alone)).warnings, vec![]);
    insta::assert_snapshot!(rendered_cases(&[
        ("mixpanel after walkme", MIXPANEL_AFTER_WALKME),
        ("walkme after mixpanel", WALKME_AFTER_MIXPANEL),
    ]));
}

// --- accounts: `account`, `assume_role` -----------------------------------------------------

const EMPTY_SPEC: &str = "version: 1\nname: acme\nbuckets: {}\ndestinations: {}\n";

fn with_top(lines: &str) -> String {
    EMPTY_SPEC.replacen("buckets:", &format!("{lines}buckets:"), 1)
}

#[test]
fn assume_role_is_an_arn_alone_or_a_mapping() {
    let arn = "arn:aws:iam::111122223333:role/s3dest";
    let alone = check_ok(&with_top(&format!("assume_role: {arn}\n")));
    let expected = AssumeRole {
        arn: arn.into(),
        account: "111122223333".into(),
        external_id: None,
    };
    assert_eq!(alone.spec.assume_role, Some(expected.clone()));
    let with_id = AssumeRole {
        external_id: Some("ci-7f3a".into()),
        ..expected
    };
    let mapping = with_top(&format!(
        "assume_role: {{arn: {arn}, external_id: ci-7f3a}}\n"
    ));
    assert_eq!(check_ok(&mapping).spec.assume_role, Some(with_id.clone()));
    let next_to_it = with_top(&format!("assume_role: {arn}\nexternal_id: ci-7f3a\n"));
    assert_eq!(
        check_ok(&next_to_it).spec.assume_role,
        Some(with_id.clone())
    );
    let pinned = with_top(&format!(
        "account: \"111122223333\"\nassume_role:\n  arn: {arn}\n  external_id: ci-7f3a\n"
    ));
    assert_eq!(check_ok(&pinned).spec.assume_role, Some(with_id));
}

#[test]
fn assume_role_mistakes_are_located() {
    let user = with_top("assume_role: arn:aws:iam::111122223333:user/ci\n");
    check_err(
        &user,
        "invalid role ARN `arn:aws:iam::111122223333:user/ci`",
        3,
        14,
    );
    let mapping = with_top("assume_role:\n  arn: arn:aws:iam::1111:role/x\n");
    check_err(&mapping, "`1111` is not a 12-digit account ID", 4, 8);
    let no_arn = with_top("assume_role: {external_id: abc}\n");
    check_err(&no_arn, "`assume_role` has no `arn`", 3, 14);
    let unknown = with_top("assume_role: {arn: arn:aws:iam::111122223333:role/x, session: s}\n");
    check_err(&unknown, "unknown field `session`", 3, 54);
    let twice = with_top(
        "assume_role: {arn: arn:aws:iam::111122223333:role/x, external_id: ab}\nexternal_id: cd\n",
    );
    check_err(&twice, "`external_id` is given twice", 4, 14);
    let alone = with_top("external_id: abc\n");
    check_err(
        &alone,
        "a top-level `external_id` goes with `assume_role`",
        3,
        14,
    );
    let short = with_top("assume_role: arn:aws:iam::111122223333:role/x\nexternal_id: a\n");
    check_err(&short, "invalid external ID `a`", 4, 14);
    let elsewhere =
        with_top("account: \"999988887777\"\nassume_role: arn:aws:iam::111122223333:role/x\n");
    let diag = check_err(
        &elsewhere,
        "`assume_role` is a role of account 111122223333, and the spec is pinned to account 999988887777",
        4,
        14,
    );
    assert_eq!(
        help(&diag),
        "the role must be in the account of `account:`: one of them is wrong"
    );
}

#[test]
fn only_a_spec_without_account_gets_the_advice_to_pin_one() {
    let advice = check_ok(EMPTY_SPEC).advice;
    assert_eq!(advice.len(), 1, "{advice:#?}");
    assert_eq!(
        (
            advice[0].severity,
            advice[0].span.line,
            advice[0].span.column
        ),
        (Severity::Warning, 2, 7)
    );
    assert_eq!(
        advice[0].message,
        "spec `acme` is not pinned to an account: `plan` and `apply` work in whatever account \
         the credentials are of"
    );
    let pinned = check_ok(&with_top("account: \"111122223333\"\n"));
    assert_eq!(pinned.advice, Vec::new());
    assert_eq!(pinned.warnings, Vec::new());
}
