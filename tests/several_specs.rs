//! Several specs in one run, against moto, which keeps accounts apart by the account of
//! assumed-role credentials: each spec assumes a role in its own account
//! (`assume_role:`), is planned and applied on its own, and the outputs combine (text
//! sections, JSON Lines, one markdown comment, one exit code). A spec that cannot run
//! (credentials of another account than its `account:`) makes the whole apply change
//! nothing.

mod support;

use support::{Workdir, aws, aws_in, moto};

/// A spec of one WalkMe destination in `account`, reached through `assume_role`.
fn spec(name: &str, account: &str, bucket: &str) -> String {
    format!(
        "version: 1\nname: {name}\naccount: \"{account}\"\n\
         assume_role: arn:aws:iam::{account}:role/s3dest-deployer\n\
         buckets:\n  {bucket}: {{ create: true }}\n\
         destinations:\n  walkme: {{ vendor: walkme, bucket: {bucket}, folder: walkme }}\n"
    )
}

/// A work directory with `specs/NAME.yaml` for each (name, account) of `specs`.
fn workdir(specs: &[(&str, &str)], bucket_prefix: &str) -> Workdir {
    let w = Workdir::new("");
    std::fs::create_dir_all(w.path("specs")).unwrap();
    for (name, account) in specs {
        let bucket = format!("{bucket_prefix}-{name}");
        std::fs::write(
            w.path(&format!("specs/{name}.yaml")),
            spec(name, account, &bucket),
        )
        .unwrap();
    }
    w
}

/// Each line of `stdout` as a JSON value (JSON Lines).
fn json_lines(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

const THREE: [(&str, &str); 3] = [
    ("dev", "333333333333"),
    ("prod", "111111111111"),
    ("staging", "222222222222"),
];

#[test]
fn three_specs_in_three_accounts_in_one_run() {
    let moto = moto();
    let w = workdir(&THREE, "three");
    // JSON Lines: one object per spec, in the order of the arguments (a directory's
    // specs in name order), each planned in its own account.
    let json = w
        .run(
            &moto,
            &["plan", "specs", "--format", "json", "--detailed-exitcode"],
        )
        .expect(2);
    let lines = json_lines(&json.stdout);
    let summary: Vec<(String, String, String, usize)> = lines
        .iter()
        .map(|l| {
            (
                l["spec"].as_str().unwrap().to_owned(),
                l["account_id"].as_str().unwrap().to_owned(),
                l["file"].as_str().unwrap().to_owned(),
                l["changes"].as_array().unwrap().len(),
            )
        })
        .collect();
    let expected: Vec<(String, String, String, usize)> = THREE
        .iter()
        .map(|(name, account)| {
            let file = format!("specs/{name}.yaml");
            (name.to_string(), account.to_string(), file, 4)
        })
        .collect();
    assert_eq!(summary, expected, "{}", json.stdout);
    // The markdown comment: a table of the three, then each spec's section.
    let markdown = w
        .run(&moto, &["plan", "specs", "--format", "markdown"])
        .expect(0);
    insta::assert_snapshot!("markdown", markdown.stdout);
    let applied = w
        .run(&moto, &["apply", "specs", "--auto-approve"])
        .expect(0);
    insta::assert_snapshot!("apply", applied.stdout);
    for (name, account) in THREE {
        let them = aws_in(&moto, account);
        assert!(them.role_exists("s3dest-walkme"), "{name} in {account}");
    }
    assert!(
        !aws(&moto).role_exists("s3dest-walkme"),
        "nothing in the account of the credentials themselves"
    );
    let again = w
        .run(&moto, &["plan", "specs", "--detailed-exitcode"])
        .expect(0);
    insta::assert_snapshot!("plan_again", again.stdout);
    // `outputs` and `access` of the three: one JSON line each, in the same order.
    for command in ["outputs", "access"] {
        let run = w
            .run(&moto, &[command, "specs", "--format", "json"])
            .expect(0);
        let specs: Vec<(String, String)> = json_lines(&run.stdout)
            .iter()
            .map(|l| {
                (
                    l["spec"].as_str().unwrap().to_owned(),
                    l["file"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let expected: Vec<(String, String)> = THREE
            .iter()
            .map(|(name, _)| (name.to_string(), format!("specs/{name}.yaml")))
            .collect();
        assert_eq!(specs, expected, "{command}: {}", run.stdout);
    }
}

#[test]
fn a_pinned_account_mismatch_in_one_spec_makes_the_apply_change_nothing() {
    let moto = moto();
    let w = workdir(&[("prod", "111111111111")], "pinned");
    // Pinned to an account the run's credentials (123456789012) are not of, and with no
    // role to assume.
    std::fs::write(
        w.path("specs/wrong.yaml"),
        "version: 1\nname: wrong\naccount: \"999999999999\"\nbuckets:\n  pinned-wrong: { create: true }\ndestinations: {}\n",
    )
    .unwrap();
    moto.start_recording();
    let run = w
        .run(&moto, &["apply", "specs", "--auto-approve"])
        .expect(1);
    moto.stop_recording();
    assert_eq!(
        support::writes(&moto.recorded_calls()),
        ["AssumeRole"],
        "nothing but the role's credentials was asked for"
    );
    insta::assert_snapshot!(
        "mismatch_apply",
        format!("{}--- stderr\n{}", run.stdout, run.stderr)
    );
    assert!(!aws_in(&moto, "111111111111").role_exists("s3dest-walkme"));
    // In a plan the other spec is planned; the exit is 1, which wins over 2.
    let json = w
        .run(
            &moto,
            &["plan", "specs", "--format", "json", "--detailed-exitcode"],
        )
        .expect(1);
    let lines = json_lines(&json.stdout);
    assert_eq!(lines.len(), 2, "{}", json.stdout);
    assert_eq!(lines[0]["changes"].as_array().map(Vec::len), Some(4));
    assert_eq!(
        lines[1],
        serde_json::json!({
            "format_version": "1",
            "spec": "wrong",
            "file": "specs/wrong.yaml",
            "error": "the credentials are of account 123456789012, and spec `wrong` is pinned to \
                      account 999999999999 (`account:`): nothing was read or changed; use \
                      credentials of account 999999999999",
        })
    );
}

#[test]
fn saved_plans_of_several_specs_apply_back_from_a_directory_or_one_file() {
    let moto = moto();
    let w = workdir(&THREE[..2], "saved");
    let saved = w
        .run(&moto, &["plan", "specs", "--out", "plans/"])
        .expect(0);
    assert!(
        saved
            .stderr
            .contains("Saved the plans of 2 specs to plans/"),
        "{}",
        saved.stderr
    );
    let mut files: Vec<String> = std::fs::read_dir(w.path("plans"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["dev.plan", "prod.plan"]);
    w.run(&moto, &["apply", "plans"]).expect(0);
    w.run(&moto, &["plan", "specs", "--detailed-exitcode"])
        .expect(0);
    // One file holding both plans: a second destination in each spec.
    for (name, account) in &THREE[..2] {
        let path = w.path(&format!("specs/{name}.yaml"));
        let text = spec(name, account, &format!("saved-{name}"))
            + "  walkme-two: { vendor: walkme, bucket: saved-"
            + name
            + ", folder: two }\n";
        std::fs::write(path, text).unwrap();
    }
    w.run(&moto, &["plan", "specs", "--out", "all.plan"])
        .expect(0);
    let bundle = std::fs::read_to_string(w.path("all.plan")).unwrap();
    // A plan taken out of the file is refused like any edit.
    let mut edited: serde_json::Value = serde_json::from_str(&bundle).unwrap();
    edited["plans"].as_array_mut().unwrap().pop();
    std::fs::write(w.path("edited.plan"), edited.to_string()).unwrap();
    let refused = w.run(&moto, &["apply", "edited.plan"]).expect(1);
    assert!(
        refused
            .stderr
            .contains("was changed after `s3dest plan --out` wrote it"),
        "{}",
        refused.stderr
    );
    let applied = w.run(&moto, &["apply", "all.plan"]).expect(0);
    assert!(
        applied
            .stdout
            .ends_with("\nApplied 2 of 2 specs with changes.\n"),
        "{}",
        applied.stdout
    );
    for (_, account) in &THREE[..2] {
        assert!(aws_in(&moto, account).role_exists("s3dest-walkme-two"));
    }
}

#[test]
fn two_specs_of_one_name_in_one_account_are_refused_before_any_aws_call() {
    let w = Workdir::new("");
    let same = "version: 1\nname: exports\nbuckets: {}\ndestinations: {}\n";
    std::fs::write(w.path("a.yaml"), same).unwrap();
    std::fs::write(w.path("b.yaml"), same).unwrap();
    let run = w.run_offline(&["plan", "a.yaml", "b.yaml"]).expect(1);
    insta::assert_snapshot!("same_name", run.stderr);
    // `validate` checks each spec, advises pinning each to its account, and refuses the
    // two names as well.
    let run = w.run_offline(&["validate", "a.yaml", "b.yaml"]).expect(1);
    insta::assert_snapshot!(
        "validate",
        format!("{}--- stderr\n{}", run.stdout, run.stderr)
    );
}

/// Real AWS refuses `AssumeRole` when the role's trust policy does not admit the caller;
/// moto never does, so the fidelity layer answers the first `AssumeRole` with AWS's
/// `AccessDenied`.
#[test]
fn a_role_that_cannot_be_assumed_is_one_error_naming_it_and_nothing_else_is_called() {
    use s3dest_moto::{Behaviours, FaultKind, FaultPlan, ScheduledFault};
    let moto = s3dest_moto::moto_with(Behaviours {
        faults: Some(FaultPlan {
            schedule: vec![ScheduledFault {
                operation: "AssumeRole".to_owned(),
                nth: 1,
                fault: FaultKind::AccessDenied,
            }],
            ..FaultPlan::default()
        }),
        ..support::realistic()
    });
    let w = Workdir::new(&spec("prod", "111111111111", "denied-prod"));
    moto.start_recording();
    let run = w.run(&moto, &["plan"]).expect(1);
    moto.stop_recording();
    assert_eq!(run.stdout, "");
    insta::assert_snapshot!("cannot_assume", run.stderr);
    let operations: Vec<String> = moto
        .recorded_calls()
        .iter()
        .map(support::operation)
        .collect();
    assert_eq!(
        operations,
        Vec::<String>::new(),
        "the denied call never reached moto"
    );
}
