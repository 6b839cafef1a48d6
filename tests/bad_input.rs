//! Bad input through the binary: a clear error naming FILE:LINE:COL, exit 1, and no
//! AWS call at all (moto's recorder sees nothing; `validate` runs with no AWS setup).

mod support;

use support::{Workdir, moto};

const HEADER: &str = "version: 1\nname: acme\nbuckets:\n  acme-exports: {}\ndestinations:\n";

/// (what is wrong, destinations yaml, expected message fragment, line, column)
const CASES: &[(&str, &str, &str, usize, usize)] = &[
    (
        "malformed yaml",
        "  w: { vendor: walkme, bucket: acme-exports, folder: w\n",
        "",
        0,
        0,
    ),
    (
        "unknown vendor",
        "  w:\n    vendor: pendoo\n    bucket: acme-exports\n    folder: w\n",
        "unknown vendor `pendoo`",
        7,
        13,
    ),
    (
        "unknown field",
        "  w:\n    vendor: walkme\n    bucket: acme-exports\n    folder: w\n    colour: red\n",
        "colour",
        10,
        5,
    ),
    (
        "duplicate key",
        "  w:\n    vendor: walkme\n    bucket: acme-exports\n    folder: w\n    folder: x\n",
        "duplicate",
        10,
        5,
    ),
    (
        "invalid account id",
        "  c:\n    vendor: braze-currents\n    bucket: acme-exports\n    principal: \"12345\"\n    external_id: ext-1\n",
        "12345",
        9,
        16,
    ),
    (
        "invalid principal arn",
        "  p:\n    vendor: pendo-data-sync\n    bucket: acme-exports\n    folder: p\n    principal: arn:aws:iam::123:user/x\n    external_id: ext-1\n",
        "principal",
        10,
        16,
    ),
    (
        "invalid role name",
        "  w:\n    vendor: walkme\n    bucket: acme-exports\n    folder: w\n    role_name: \"bad role!\"\n",
        "role",
        10,
        16,
    ),
    (
        "folder escapes with ..",
        "  w:\n    vendor: walkme\n    bucket: acme-exports\n    folder: a/../../b\n",
        "..",
        9,
        13,
    ),
    (
        "two destinations on one folder",
        "  w:\n    vendor: walkme\n    bucket: acme-exports\n    folder: same\n  x:\n    vendor: walkme\n    bucket: acme-exports\n    folder: same/\n",
        "same",
        13,
        13,
    ),
    (
        "a second pendo destination",
        "  p1: { vendor: pendo-data-sync, bucket: acme-exports, folder: a, principal: \"arn:aws:iam::123456789012:user/p\", external_id: ext-1 }\n  p2: { vendor: pendo-data-sync, bucket: acme-exports, folder: b, principal: \"arn:aws:iam::123456789012:user/p\", external_id: ext-2 }\n",
        "pendo",
        7,
        0,
    ),
    (
        "undeclared bucket",
        "  w:\n    vendor: walkme\n    bucket: nowhere\n    folder: w\n",
        "nowhere",
        8,
        13,
    ),
];

#[test]
fn every_bad_input_is_located_exits_1_and_makes_no_aws_call() {
    let moto = moto();
    for (what, destinations, fragment, line, column) in CASES {
        let w = Workdir::new(&format!("{HEADER}{destinations}"));
        for command in [
            &["validate"][..],
            &["plan"],
            &["apply", "--auto-approve"],
            &["outputs"],
        ] {
            moto.start_recording();
            let run = w.run(&moto, command);
            moto.stop_recording();
            assert_eq!(
                run.code, 1,
                "{what}: `{command:?}` exit code\n{}",
                run.stderr
            );
            assert!(
                run.stderr.contains(fragment),
                "{what}: no `{fragment}` in\n{}",
                run.stderr
            );
            let place = if *line == 0 {
                " --> s3dest.yaml:".to_owned()
            } else {
                format!(" --> s3dest.yaml:{line}:")
            };
            assert!(
                run.stderr.contains(&place),
                "{what}: no `{place}` in\n{}",
                run.stderr
            );
            if *column != 0 {
                assert!(
                    run.stderr.contains(&format!("{place}{column}")),
                    "{what}: wrong column in\n{}",
                    run.stderr
                );
            }
            assert_eq!(
                moto.recorded_calls().len(),
                0,
                "{what}: `{command:?}` called AWS"
            );
        }
        // validate needs no AWS setup at all.
        w.run_offline(&["validate"]).expect(1);
    }
}

#[test]
fn validate_accepts_the_example_spec_offline() {
    let example =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/specs/acme.yaml")).unwrap();
    let w = Workdir::new(&example);
    let run = w.run_offline(&["validate"]).expect(0);
    assert!(run.stdout.contains("is valid"), "{}", run.stdout);
}

#[test]
fn a_missing_spec_file_is_a_clear_error() {
    let w = Workdir::new("");
    let run = w.run_offline(&["validate", "nope.yaml"]).expect(1);
    assert!(
        run.stderr.contains("cannot read `nope.yaml`"),
        "{}",
        run.stderr
    );
}

#[test]
fn all_errors_are_reported_at_once() {
    let w = Workdir::new(&format!(
        "{HEADER}  a:\n    vendor: pendoo\n    bucket: acme-exports\n    folder: a\n  b:\n    vendor: walkme\n    bucket: nowhere\n    folder: /b\n"
    ));
    let run = w.run_offline(&["validate"]).expect(1);
    for fragment in ["pendoo", "nowhere", "`/`"] {
        assert!(
            run.stderr.contains(fragment),
            "no `{fragment}` in\n{}",
            run.stderr
        );
    }
}

#[test]
fn a_usage_error_exits_1_never_2() {
    let w = Workdir::new("");
    for args in [
        &["plan", "--detailed-exitcode", "--format", "yml"][..],
        &["plan", "--formt", "json"],
        &["bogus"],
        &[],
    ] {
        let run = w.run_offline(args);
        assert_eq!(
            run.code, 1,
            "{args:?}: exit 2 means `changes present`\n{}",
            run.stderr
        );
    }
    w.run_offline(&["--help"]).expect(0);
    w.run_offline(&["--version"]).expect(0);
}

/// The commands that read a spec, each as `bad_input` runs it.
const SPEC_COMMANDS: [&[&str]; 4] = [
    &["validate"],
    &["plan"],
    &["apply", "--auto-approve"],
    &["outputs"],
];

/// Runs every command that reads a spec on `w`'s spec: each must exit 1, print nothing on
/// stdout and call no AWS (and `validate` must say the same with no AWS setup at all).
/// Returns their stderr, each different one once, under the commands that printed it.
fn refused_by_every_command(w: &Workdir) -> String {
    let moto = moto();
    let mut outputs: Vec<(Vec<String>, String)> = Vec::new();
    for command in SPEC_COMMANDS {
        moto.start_recording();
        let run = w.run(&moto, command);
        moto.stop_recording();
        assert_eq!(run.code, 1, "`{command:?}`\n{}", run.stderr);
        assert_eq!(moto.recorded_calls().len(), 0, "`{command:?}` called AWS");
        assert_eq!(run.stdout, "", "`{command:?}`");
        let name = format!("s3dest {}", command.join(" "));
        match outputs.iter_mut().find(|(_, stderr)| *stderr == run.stderr) {
            Some((names, _)) => names.push(name),
            None => outputs.push((vec![name], run.stderr)),
        }
    }
    let offline = w.run_offline(&["validate"]).expect(1).stderr;
    assert_eq!(offline, outputs[0].1, "validate without any AWS setup");
    outputs
        .iter()
        .map(|(names, stderr)| format!("$ {}\n{stderr}", names.join("\n$ ")))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_spec_that_is_not_utf8_is_located_at_its_first_bad_byte() {
    let w = Workdir::new("");
    let mut bytes =
        format!("{HEADER}  w:\n    vendor: walkme\n    bucket: acme-exports\n").into_bytes();
    bytes.extend_from_slice(b"    folder: caf\xe9\n");
    std::fs::write(w.path("s3dest.yaml"), bytes).unwrap();
    insta::assert_snapshot!(refused_by_every_command(&w));
}

#[test]
fn a_huge_spec_is_refused_before_it_is_read() {
    let w = Workdir::new("");
    // 64 MiB (sparse: nothing is written).
    let file = std::fs::File::create(w.path("s3dest.yaml")).unwrap();
    file.set_len(64 << 20).unwrap();
    insta::assert_snapshot!(refused_by_every_command(&w));
}

#[test]
fn aliases_that_would_blow_a_spec_up_are_refused() {
    // 1 MB repeated 50 times by aliases: 50 MB if it were expanded.
    let actions = vec!["*big"; 50].join(", ");
    let w = Workdir::new(&format!(
        "{HEADER}  c:\n    vendor: custom\n    bucket: acme-exports\n    folder: &big {}\n    principal: \"111122223333\"\n    actions: [{actions}]\n",
        "a".repeat(1 << 20)
    ));
    insta::assert_snapshot!(refused_by_every_command(&w));
}

/// A run as a whole: its exit code, stdout and stderr.
fn whole(run: &support::Run) -> String {
    format!(
        "exit: {}\n--- stdout:\n{}--- stderr:\n{}",
        run.code, run.stdout, run.stderr
    )
}

/// Two unknown fields, a value of the wrong kind, a field indented less than its siblings,
/// and a semantic error: all reported at once.
const MANY_PROBLEMS: &str = "  w:\n    vendor: walkme\n    foldr: w\n    tags: [team]\n  bucket: acme-exports\n  x:\n    vendor: walkmi\n    bucket: acme-exports\n    folder: x\n    colour: red\n";

#[test]
fn validate_format_json_prints_the_diagnostics_object() {
    let w = Workdir::new(&format!("{HEADER}{MANY_PROBLEMS}"));
    let run = w.run_offline(&["validate", "--format", "json"]).expect(1);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(value["valid"], false);
    assert_eq!(value["diagnostics"].as_array().map(Vec::len), Some(5));
    insta::assert_snapshot!(whole(&run));
}

#[test]
fn validate_format_json_of_several_specs_prints_one_line_each() {
    let w = Workdir::new(&format!("{HEADER}{MANY_PROBLEMS}"));
    std::fs::write(
        w.path("ok.yaml"),
        "version: 1\nname: ok\naccount: \"111122223333\"\nbuckets: {}\ndestinations: {}\n",
    )
    .unwrap();
    std::fs::write(
        w.path("unpinned.yaml"),
        "version: 1\nname: unpinned\nbuckets: {}\ndestinations: {}\n",
    )
    .unwrap();
    let run = w.run_offline(&[
        "validate",
        "ok.yaml",
        "s3dest.yaml",
        "unpinned.yaml",
        "--format",
        "json",
    ]);
    let lines: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let summary: Vec<(&str, bool, usize)> = lines
        .iter()
        .map(|v| {
            (
                v["file"].as_str().unwrap_or_default(),
                v["valid"].as_bool().unwrap_or_default(),
                v["diagnostics"].as_array().map_or(0, Vec::len),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("ok.yaml", true, 0),
            ("s3dest.yaml", false, 5),
            ("unpinned.yaml", true, 1),
        ]
    );
    assert_eq!(lines[2]["diagnostics"][0]["severity"], "warning");
    assert_eq!(run.code, 1);
}

#[test]
fn plan_format_json_of_an_invalid_spec_prints_the_diagnostics_object() {
    let w = Workdir::new(&format!("{HEADER}{MANY_PROBLEMS}"));
    // Offline: the spec is refused before anything would call AWS.
    let run = w.run_offline(&["plan", "--format", "json"]).expect(1);
    let validate = w.run_offline(&["validate", "--format", "json"]);
    assert_eq!(run.stdout, validate.stdout);
    insta::assert_snapshot!(whole(&run));
}
