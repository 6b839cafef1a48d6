//! The CLI as a user meets it, one whole transcript per step (exit status, stdout and
//! stderr together, with the emulator's address, scratch paths, times and ids filtered
//! out), for the main path of every command: `init`, `validate`, `plan` (and `-` for
//! standard input, `--target`), `show`, `apply`, `outputs`, `access`, `import`, and
//! colour forced for CI logs.

mod support;

use support::{Workdir, aws, moto};

const BUCKET: &str = "acme-vendor-exports";

const SPEC: &str = "version: 1
name: acme
account: \"123456789012\"
buckets:
  acme-vendor-exports: {}
destinations:
  walkme:
    vendor: walkme
    bucket: acme-vendor-exports
    folder: walkme
  partner:
    vendor: custom
    bucket: acme-vendor-exports
    folder: partner
    principal: \"111122223333\"
    external_id: partner-7
    actions: [s3:PutObject]
";

#[test]
fn init_writes_a_starter_once_and_validate_asks_for_what_is_left_to_fill_in() {
    let w = Workdir::new("");
    std::fs::remove_file(w.path("s3dest.yaml")).unwrap();
    let run = w.run_offline(&["init", "--vendor", "braze-currents", "--bucket", BUCKET]);
    cli_snapshot!("init", w, run);
    assert!(w.path("s3dest.schema.json").exists());
    let again = w.run_offline(&["init"]);
    cli_snapshot!("init_again", w, again);
    let validate = w.run_offline(&["validate"]);
    cli_snapshot!("init_validate", w, validate);
    let printed = w.run_offline(&["init", "-", "--vendor", "walkme"]);
    cli_snapshot!("init_printed", w, printed);
}

#[test]
fn a_spec_from_plan_to_show_to_apply_to_no_changes() {
    let moto = moto();
    aws(&moto).create_bucket(BUCKET);
    let w = Workdir::new(SPEC);
    cli_snapshot!("validate", w, w.run_offline(&["validate"]));
    cli_snapshot!("plan", w, w.run(&moto, &["plan", "--out", "tfplan"]));
    // `show` renders the saved plan as `plan` did, without AWS.
    cli_snapshot!("show", w, w.run_offline(&["show", "tfplan"]));
    let json = w.run_offline(&["show", "tfplan", "--format", "json"]);
    let plan_json = w.run(&moto, &["plan", "--format", "json"]);
    assert_eq!(
        json.stdout, plan_json.stdout,
        "show --format json is plan's JSON"
    );
    let markdown = w.run_offline(&["show", "tfplan", "--format", "markdown"]);
    let plan_markdown = w.run(&moto, &["plan", "--format", "markdown"]);
    assert_eq!(markdown.stdout, plan_markdown.stdout);
    cli_snapshot!("apply_saved", w, w.run(&moto, &["apply", "tfplan"]));
    cli_snapshot!(
        "plan_no_changes",
        w,
        w.run(&moto, &["plan", "--detailed-exitcode"])
    );
    cli_snapshot!("outputs", w, w.run(&moto, &["outputs"]));
    cli_snapshot!("access", w, w.run(&moto, &["access"]));
    cli_snapshot!("import", w, w.run(&moto, &["import", "--name", "acme"]));
    cli_snapshot!(
        "show_not_a_plan",
        w,
        w.run_offline(&["show", "s3dest.yaml"])
    );
}

#[test]
fn a_spec_on_standard_input_and_a_targeted_apply() {
    let moto = moto();
    aws(&moto).create_bucket(BUCKET);
    let w = Workdir::new("");
    let plan = w.run_with_input(&moto, &["plan", "-", "--detailed-exitcode"], SPEC);
    cli_snapshot!("stdin_plan", w, plan);
    let bad = w.run_with_input(&moto, &["validate", "-"], "version: 1\nname: [a\n");
    cli_snapshot!("stdin_bad", w, bad);
    // A plan of a spec read from standard input applies the spec it saved.
    w.run_with_input(&moto, &["plan", "-", "--out", "stdin.plan"], SPEC)
        .expect(0);
    let applied = w.run(&moto, &["apply", "stdin.plan"]).expect(0);
    assert!(
        applied
            .stderr
            .starts_with("note: the plan was made from a spec read from standard input"),
        "{}",
        applied.stderr
    );
    // Back to nothing made, for the targeted apply.
    std::fs::write(
        w.path("s3dest.yaml"),
        "version: 1\nname: acme\nbuckets:\n  acme-vendor-exports: {}\ndestinations: {}\n",
    )
    .unwrap();
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    std::fs::write(w.path("s3dest.yaml"), SPEC).unwrap();
    let targeted = w.run(
        &moto,
        &["apply", "--auto-approve", "--target", "destination.partner"],
    );
    cli_snapshot!("target_apply", w, targeted);
    assert!(aws(&moto).role_exists("s3dest-partner"));
    assert!(!aws(&moto).role_exists("s3dest-walkme"));
    let unknown = w.run_offline(&["plan", "--target", "destination.nope"]);
    cli_snapshot!("target_unknown", w, unknown);
    let rest = w.run(&moto, &["plan", "--detailed-exitcode"]);
    assert_eq!(rest.code, 2, "walkme is still to create: {}", rest.stdout);
}

#[test]
fn diagnostics_as_json_for_validate_and_for_a_plan_of_an_invalid_spec() {
    let w = Workdir::new(SPEC);
    cli_snapshot!(
        "validate_json",
        w,
        w.run_offline(&["validate", "--format", "json"])
    );
    w.write_spec(&SPEC.replace("    folder: walkme\n", "    foldr: walkme\n"));
    cli_snapshot!(
        "validate_json_invalid",
        w,
        w.run_offline(&["validate", "--format", "json"])
    );
    cli_snapshot!(
        "plan_json_invalid",
        w,
        w.run_offline(&["plan", "--format", "json"])
    );
}

#[test]
fn colour_is_forced_for_ci_logs_unless_no_color() {
    let moto = moto();
    aws(&moto).create_bucket(BUCKET);
    let w = Workdir::new(SPEC);
    let mut forced = w.command(&moto, &["plan"]);
    forced.env_remove("NO_COLOR").env("FORCE_COLOR", "1");
    let forced = support::Run::from(forced.output().unwrap());
    assert!(forced.stdout.contains("\x1b["), "{}", forced.stdout);
    let mut clicolor = w.command(&moto, &["plan"]);
    clicolor.env_remove("NO_COLOR").env("CLICOLOR_FORCE", "1");
    let clicolor = support::Run::from(clicolor.output().unwrap());
    assert_eq!(clicolor.stdout, forced.stdout);
    for (name, value) in [("FORCE_COLOR", "0"), ("CLICOLOR_FORCE", "0")] {
        let mut off = w.command(&moto, &["plan"]);
        off.env_remove("NO_COLOR").env(name, value);
        let off = support::Run::from(off.output().unwrap());
        assert!(!off.stdout.contains('\x1b'), "{name}={value}");
    }
    // NO_COLOR is the user's own refusal: it wins.
    let mut refused = w.command(&moto, &["plan"]);
    refused.env("FORCE_COLOR", "1");
    let refused = support::Run::from(refused.output().unwrap());
    assert!(!refused.stdout.contains('\x1b'));
}
