//! The docs cannot drift from the binary: the committed JSON Schema, the example spec, the
//! README's CLI reference, the help texts and the shell completions are checked here.
//! Offline: no AWS, no moto.

use std::path::PathBuf;
use std::process::Command;

use clap::CommandFactory;
use serde_json::{Value, json};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const SCHEMA_FILE: &str = "docs/s3dest.schema.json";
const REGENERATE: &str = "cargo run -q -- schema > docs/s3dest.schema.json";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_s3dest"))
        .args(args)
        .current_dir(ROOT)
        .env("NO_COLOR", "1")
        .output()
        .expect("run s3dest");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Stdout of a command that must succeed.
fn s3dest(args: &[&str]) -> String {
    let run = run(args);
    assert_eq!(
        run.code, 0,
        "s3dest {args:?}\n--- stdout:\n{}\n--- stderr:\n{}",
        run.stdout, run.stderr
    );
    run.stdout
}

fn read(path: &str) -> String {
    std::fs::read_to_string(PathBuf::from(ROOT).join(path))
        .unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

fn schema() -> Value {
    serde_json::from_str(&s3dest(&["schema"])).expect("`s3dest schema` prints JSON")
}

/// The errors of `instance` against `schema`, one line each.
fn schema_errors(schema: &Value, instance: &Value) -> Vec<String> {
    let validator = jsonschema::draft7::new(schema).expect("a valid draft-07 schema");
    validator
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// YAML as the JSON an editor's schema validator sees.
fn yaml_to_json(text: &str) -> Value {
    serde_saphyr::from_str(text).expect("valid YAML")
}

#[test]
fn committed_schema_is_current() {
    let generated = s3dest(&["schema"]);
    let committed = read(SCHEMA_FILE);
    assert!(
        committed == generated,
        "{SCHEMA_FILE} differs from what `s3dest schema` prints (the spec types changed).\n\
         Regenerate it with:\n\n    {REGENERATE}\n"
    );
}

#[test]
fn schema_is_draft_07_and_says_what_the_parser_requires() {
    let schema = schema();
    if let Err(e) = jsonschema::meta::validate(&schema) {
        panic!("not a valid JSON Schema: {e}");
    }
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    assert_eq!(
        schema["required"],
        json!(["version", "name", "buckets", "destinations"])
    );
    assert_eq!(schema["additionalProperties"], false);
    let defs = &schema["definitions"];
    assert_eq!(defs["Bucket"]["additionalProperties"], false);
    let destination = &defs["Destination"];
    assert_eq!(destination["additionalProperties"], false);
    assert_eq!(destination["required"], json!(["vendor", "bucket"]));
    assert_eq!(
        destination["properties"]["vendor"]["enum"],
        json!([
            "pendo-data-sync",
            "braze-currents",
            "braze-data-export",
            "braze-security-events",
            "walkme",
            "segment",
            "mixpanel",
            "cloudflare-logpush",
            "datadog-log-archives",
            "custom"
        ])
    );
    assert_eq!(
        destination["properties"]["auth"]["enum"],
        json!(["role", "access-key", null])
    );
    for field in ["vendor", "bucket", "folder", "principal", "external_id"] {
        let description = destination["properties"][field]["description"]
            .as_str()
            .unwrap_or_default();
        assert!(!description.is_empty(), "`{field}` has no description");
    }
}

#[test]
fn example_spec_points_editors_at_the_schema_and_follows_it() {
    let example = read("specs/acme.yaml");
    assert_eq!(
        example.lines().next(),
        Some("# yaml-language-server: $schema=../docs/s3dest.schema.json"),
        "the first line of specs/acme.yaml tells editors where the schema is"
    );
    let schema = schema();
    let errors = schema_errors(&schema, &yaml_to_json(&example));
    assert!(errors.is_empty(), "specs/acme.yaml:\n{}", errors.join("\n"));

    // The spec shown in the README too.
    let readme = read("README.md");
    let section = &readme[readme
        .find("## The spec")
        .expect("README has `## The spec`")..];
    let start = section.find("```yaml\n").expect("a yaml block") + "```yaml\n".len();
    let block = &section[start..start + section[start..].find("```").expect("closed")];
    let errors = schema_errors(&schema, &yaml_to_json(block));
    assert!(errors.is_empty(), "README spec:\n{}", errors.join("\n"));
}

const HEADER: &str = "version: 1\nname: acme\nbuckets:\n  acme-exports: {}\ndestinations:\n";

/// (case, destinations yaml, valid?): the schema and `s3dest validate` must agree on each.
const CASES: &[(&str, &str, bool)] = &[
    (
        "walkme",
        "  w: { vendor: walkme, bucket: acme-exports, folder: w }\n",
        true,
    ),
    (
        "braze-currents without folder",
        "  c: { vendor: braze-currents, bucket: acme-exports, principal: \"987654321098\", external_id: ext-42 }\n",
        true,
    ),
    (
        "custom without external id (a warning)",
        "  p: { vendor: custom, bucket: acme-exports, folder: p, principal: \"arn:aws:iam::111122223333:role/x\", actions: [s3:PutObject] }\n",
        true,
    ),
    (
        "access key",
        "  b: { vendor: braze-data-export, auth: access-key, bucket: acme-exports, folder: b, key_max_age_days: 90 }\n",
        true,
    ),
    (
        "tags with a number",
        "  w: { vendor: walkme, bucket: acme-exports, folder: w, tags: { cost-center: 1234, team: data } }\n",
        true,
    ),
    (
        "walkme trusting only its EU role",
        "  w: { vendor: walkme, bucket: acme-exports, folder: w, trust: eu }\n",
        true,
    ),
    (
        "walkme with an unknown trust",
        "  w: { vendor: walkme, bucket: acme-exports, folder: w, trust: asia }\n",
        false,
    ),
    (
        "segment without a prefix",
        "  s: { vendor: segment, bucket: acme-exports, external_id: ws-123 }\n",
        true,
    ),
    (
        "segment with a principal",
        "  s: { vendor: segment, bucket: acme-exports, external_id: ws-123, principal: \"987654321098\" }\n",
        false,
    ),
    (
        "segment with an access key",
        "  s: { vendor: segment, bucket: acme-exports, auth: access-key }\n",
        false,
    ),
    (
        "mixpanel",
        "  m: { vendor: mixpanel, bucket: acme-exports, external_id: token-1 }\n",
        true,
    ),
    (
        "mixpanel with a folder",
        "  m: { vendor: mixpanel, bucket: acme-exports, folder: m, external_id: token-1 }\n",
        false,
    ),
    (
        "cloudflare-logpush",
        "  c: { vendor: cloudflare-logpush, bucket: acme-exports, folder: logs }\n",
        true,
    ),
    (
        "cloudflare-logpush with a role name",
        "  c: { vendor: cloudflare-logpush, bucket: acme-exports, folder: logs, role_name: x }\n",
        false,
    ),
    (
        "datadog-log-archives on a named role",
        "  d: { vendor: datadog-log-archives, bucket: acme-exports, folder: dd, role_name: DatadogAWSIntegrationRole }\n",
        true,
    ),
    (
        "datadog-log-archives with an external id",
        "  d: { vendor: datadog-log-archives, bucket: acme-exports, folder: dd, external_id: abc }\n",
        false,
    ),
    ("no destinations", "  {}\n", true),
    ("an empty destination", "  w:\n", false),
    (
        "unknown field",
        "  w: { vendor: walkme, bucket: acme-exports, folder: w, colour: red }\n",
        false,
    ),
    (
        "unknown vendor",
        "  w: { vendor: pendoo, bucket: acme-exports, folder: w }\n",
        false,
    ),
    (
        "no folder",
        "  w: { vendor: walkme, bucket: acme-exports }\n",
        false,
    ),
    ("no bucket", "  w: { vendor: walkme, folder: w }\n", false),
    (
        "walkme with a principal",
        "  w: { vendor: walkme, bucket: acme-exports, folder: w, principal: \"987654321098\" }\n",
        false,
    ),
    (
        "pendo without external id",
        "  p: { vendor: pendo-data-sync, bucket: acme-exports, folder: p, principal: \"arn:aws:iam::123456789012:user/pendo\" }\n",
        false,
    ),
    (
        "pendo with a role name",
        "  p: { vendor: pendo-data-sync, bucket: acme-exports, folder: p, principal: \"arn:aws:iam::123456789012:user/pendo\", external_id: ext-1, role_name: other }\n",
        false,
    ),
    (
        "custom without actions",
        "  p: { vendor: custom, bucket: acme-exports, folder: p, principal: \"111122223333\" }\n",
        false,
    ),
    (
        "actions on walkme",
        "  w: { vendor: walkme, bucket: acme-exports, folder: w, actions: [s3:PutObject] }\n",
        false,
    ),
    (
        "key age with a role",
        "  w: { vendor: walkme, bucket: acme-exports, folder: w, key_max_age_days: 90 }\n",
        false,
    ),
    (
        "unknown auth",
        "  w: { vendor: walkme, auth: password, bucket: acme-exports, folder: w }\n",
        false,
    ),
    (
        "bad destination name",
        "  Bad.Name: { vendor: walkme, bucket: acme-exports, folder: w }\n",
        false,
    ),
    (
        "folder escapes",
        "  w: { vendor: walkme, bucket: acme-exports, folder: a/../b }\n",
        false,
    ),
    (
        "short account id",
        "  c: { vendor: braze-currents, bucket: acme-exports, principal: \"98765\", external_id: ext-42 }\n",
        false,
    ),
    (
        "short external id",
        "  c: { vendor: braze-currents, bucket: acme-exports, principal: \"987654321098\", external_id: x }\n",
        false,
    ),
];

#[test]
fn schema_and_validate_agree() {
    let schema = schema();
    let dir = std::env::temp_dir().join(format!("s3dest-docs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut disagreements = Vec::new();
    let mut specs: Vec<(String, String, bool)> = CASES
        .iter()
        .map(|(case, destinations, valid)| {
            (case.to_string(), format!("{HEADER}{destinations}"), *valid)
        })
        .collect();
    specs.extend([
        (
            "version 2".into(),
            HEADER.replace("version: 1", "version: 2") + "  {}\n",
            false,
        ),
        (
            "no name".into(),
            HEADER.replace("name: acme\n", "") + "  {}\n",
            false,
        ),
        (
            "bad bucket name".into(),
            HEADER.replace("acme-exports", "Acme_Exports") + "  {}\n",
            false,
        ),
        (
            "a bucket without settings".into(),
            HEADER.replace("acme-exports: {}", "acme-exports:") + "  {}\n",
            true,
        ),
        (
            "moved from one file".into(),
            HEADER.replace(
                "name: acme\n",
                "name: acme\nmoved_from: team-a/s3dest.yaml\n",
            ) + "  {}\n",
            true,
        ),
        (
            "moved from files".into(),
            HEADER.replace(
                "name: acme\n",
                "name: acme\nmoved_from: [old.yaml, /srv/specs/acme.yaml]\n",
            ) + "  {}\n",
            true,
        ),
        (
            "moved from a dot part".into(),
            HEADER.replace("name: acme\n", "name: acme\nmoved_from: [./old.yaml]\n") + "  {}\n",
            false,
        ),
        (
            "moved from an empty path".into(),
            HEADER.replace("name: acme\n", "name: acme\nmoved_from: \"\"\n") + "  {}\n",
            false,
        ),
        (
            "unknown bucket field".into(),
            HEADER.replace("acme-exports: {}", "acme-exports: { versioning: true }") + "  {}\n",
            false,
        ),
    ]);
    for (i, (case, text, valid)) in specs.iter().enumerate() {
        let errors = schema_errors(&schema, &yaml_to_json(text));
        if errors.is_empty() != *valid {
            disagreements.push(format!("schema on `{case}`: {errors:?}\n{text}"));
        }
        let path = dir.join(format!("case{i}.yaml"));
        std::fs::write(&path, text).unwrap();
        let validate = run(&["validate", path.to_str().unwrap()]);
        if (validate.code == 0) != *valid {
            disagreements.push(format!("validate on `{case}`: {}\n{text}", validate.stderr));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

fn subcommands() -> Vec<String> {
    s3dest_cli::Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .collect()
}

/// The help of the binary and of every subcommand. When one changes on purpose, accept the
/// new snapshots (`cargo insta review`, or `INSTA_UPDATE=always cargo test --test docs`) and
/// check the README's CLI reference.
#[test]
fn help_texts() {
    insta::assert_snapshot!("help", s3dest(&["--help"]));
    for name in subcommands() {
        insta::assert_snapshot!(format!("help_{name}"), s3dest(&[&name, "--help"]));
    }
}

#[test]
fn readme_cli_reference_lists_every_command() {
    let readme = read("README.md");
    let start = readme
        .find("## CLI reference")
        .expect("README has `## CLI reference`");
    let section = &readme[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    for name in subcommands() {
        assert!(
            section.contains(&format!("| `s3dest {name}")),
            "README's CLI reference table has no row for `s3dest {name}`"
        );
    }
}

#[test]
fn bash_completions_know_the_commands_and_flags() {
    let script = s3dest(&["completions", "bash"]);
    for word in [
        "plan",
        "apply",
        "schema",
        "--detailed-exitcode",
        "--auto-approve",
    ] {
        assert!(script.contains(word), "no `{word}` in the bash completions");
    }
}

#[test]
fn every_shell_gets_completions() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = s3dest(&["completions", shell]);
        assert!(script.contains("s3dest"), "{shell}: {script}");
    }
    assert_ne!(run(&["completions", "tcsh"]).code, 0);
}

/// Every vendor of the catalogue (the schema's `vendor` values) is in the README's list
/// and has its section in `docs/presets.md`.
#[test]
fn readme_and_presets_name_every_vendor() {
    let schema = schema();
    let vendors = schema["definitions"]["Destination"]["properties"]["vendor"]["enum"]
        .as_array()
        .unwrap()
        .clone();
    let readme = read("README.md");
    let presets = read("docs/presets.md");
    let headings: Vec<&str> = presets.lines().filter(|l| l.starts_with("## ")).collect();
    for vendor in vendors {
        let vendor = vendor.as_str().unwrap();
        assert!(
            readme.contains(&format!("`{vendor}`")),
            "README does not list `{vendor}`"
        );
        assert!(
            headings
                .iter()
                .any(|h| h.split([' ', '/']).any(|word| word == vendor)),
            "docs/presets.md has no section for `{vendor}`: {headings:?}"
        );
    }
}
