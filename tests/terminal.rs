//! What `s3dest` writes depending on where it writes: no escape byte at all into pipes
//! (with or without `NO_COLOR`); on a terminal a progress bar during apply, and colour
//! unless `NO_COLOR`; `-v` logs with the number of AWS calls, `-vv` debug logs.

mod support;

use std::path::Path;
use std::process::Command;

use support::{Run, Workdir, aws, moto};

const BUCKET: &str = "acme-vendor-exports";

fn spec(folders: &[&str]) -> String {
    let mut text = format!("version: 1\nname: acme\nbuckets:\n  {BUCKET}: {{}}\ndestinations:\n");
    for folder in folders {
        text += &format!(
            "  {folder}:\n    vendor: walkme\n    bucket: {BUCKET}\n    folder: {folder}\n"
        );
    }
    text += &format!(
        "  pendo:\n    vendor: pendo-data-sync\n    bucket: {BUCKET}\n    folder: pendo\n    principal: arn:aws:iam::123456789012:user/pendo-sync\n    external_id: 6f1b2c9d-pendo\n"
    );
    text
}

#[track_caller]
fn assert_no_escape(run: &Run, what: &str) {
    for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        assert!(
            !text.contains('\x1b'),
            "{what}: an escape byte in {stream}:\n{text:?}"
        );
    }
}

#[test]
fn piped_output_has_no_escape_byte_with_or_without_no_color() {
    let moto = moto();
    aws(&moto).create_bucket(BUCKET);
    let w = Workdir::new(&spec(&["wa"]));
    for no_color in [true, false] {
        let run = |args: &[&str]| {
            let mut command = w.command(&moto, args);
            if !no_color {
                command.env_remove("NO_COLOR");
            }
            Run::from(command.output().unwrap())
        };
        let what = |args: &str| format!("{args} (NO_COLOR set: {no_color})");
        assert_no_escape(&run(&["plan"]).expect(0), &what("plan"));
        assert_no_escape(&run(&["plan", "-vv"]).expect(0), &what("plan -vv"));
        // A plan with an error, rendered as diagnostics.
        w.write_spec("version: 1\nname: acme\nbuckets: {}\ndestinations: {x: {vendor: nope}}\n");
        assert_no_escape(&run(&["plan"]).expect(1), &what("plan of a bad spec"));
        let folders: &[&str] = if no_color { &["wa"] } else { &["wb"] };
        w.write_spec(&spec(folders));
        let apply = run(&["apply", "--auto-approve", "-v"]).expect(0);
        assert!(apply.stderr.contains("done"), "{}", apply.stderr);
        assert_no_escape(&apply, &what("apply -v"));
        assert_no_escape(&run(&["outputs"]).expect(0), &what("outputs"));
    }
}

#[test]
fn verbose_logs_count_the_aws_calls_of_every_command() {
    let moto = moto();
    aws(&moto).create_bucket(BUCKET);
    let w = Workdir::new(&spec(&["wa"]));
    let calls = |run: &Run| -> Vec<u64> {
        run.stderr
            .lines()
            .filter_map(|l| l.split_once("AWS calls made: ").map(|(_, n)| n))
            .map(|n| n.trim().parse().unwrap())
            .collect()
    };
    let quiet = w.run(&moto, &["plan"]).expect(0);
    assert!(!quiet.stderr.contains("AWS calls"), "{}", quiet.stderr);
    assert!(!quiet.stderr.contains("INFO"), "{}", quiet.stderr);

    let plan = w.run(&moto, &["plan", "-v"]).expect(0);
    assert!(plan.stderr.contains("INFO"), "{}", plan.stderr);
    assert!(matches!(calls(&plan)[..], [n] if n > 0), "{}", plan.stderr);

    let apply = w.run(&moto, &["apply", "--auto-approve", "-v"]).expect(0);
    assert!(
        matches!(calls(&apply)[..], [n] if n > 0),
        "{}",
        apply.stderr
    );
    assert!(
        apply
            .stderr
            .contains("AWS calls made by the apply itself: "),
        "{}",
        apply.stderr
    );
    // Nothing to do: counted all the same.
    let noop = w.run(&moto, &["apply", "--auto-approve", "-v"]).expect(0);
    assert!(matches!(calls(&noop)[..], [n] if n > 0), "{}", noop.stderr);

    let outputs = w.run(&moto, &["outputs", "-v"]).expect(0);
    assert!(
        matches!(calls(&outputs)[..], [n] if n > 0),
        "{}",
        outputs.stderr
    );

    let debug = w.run(&moto, &["plan", "-vv"]).expect(0);
    assert!(debug.stderr.contains("DEBUG"), "{}", debug.stderr);
    assert!(!calls(&debug).is_empty(), "{}", debug.stderr);
}

/// SGR sequences (`ESC [ … m`): colour and bold, not the cursor moves of a progress bar.
fn has_colour(text: &str) -> bool {
    text.split('\x1b').skip(1).any(|rest| {
        let Some(params) = rest.strip_prefix('[') else {
            return false;
        };
        let end = params.find(|c: char| !(c.is_ascii_digit() || c == ';'));
        end.is_some_and(|i| params[i..].starts_with('m'))
    })
}

/// Runs `s3dest ARGS` with stdin, stdout and stderr on a terminal, with `script`
/// (util-linux); `None` when there is no `script` to run.
fn on_terminal(moto: &s3dest_moto::MotoGuard, w: &Workdir, args: &[&str], no_color: bool) -> Run {
    on_terminal_typing(moto, w, args, no_color, "")
}

/// Like [`on_terminal`], with `typed` typed at the terminal.
fn on_terminal_typing(
    moto: &s3dest_moto::MotoGuard,
    w: &Workdir,
    args: &[&str],
    no_color: bool,
    typed: &str,
) -> Run {
    // No skipping: a terminal test that skips proves nothing. `scripts/test.sh`
    // installs util-linux's `script` where it is missing.
    assert!(
        Path::new("/usr/bin/script").exists() || Path::new("/bin/script").exists(),
        "util-linux's `script` is needed to run s3dest on a terminal: run ./scripts/test.sh, which installs it"
    );
    let mut line = String::from(env!("CARGO_BIN_EXE_s3dest"));
    for arg in args {
        line += &format!(" '{arg}'");
    }
    let mut command = Command::new("script");
    command
        .args(["-qefc", &line, "/dev/null"])
        .current_dir(&w.dir)
        .env("TERM", "xterm-256color")
        .env("COLUMNS", "120")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    moto.configure(&mut command);
    if no_color {
        command.env("NO_COLOR", "1");
    } else {
        command.env_remove("NO_COLOR");
    }
    let mut child = command.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    std::io::Write::write_all(&mut stdin, typed.as_bytes()).unwrap();
    drop(stdin);
    Run::from(child.wait_with_output().unwrap())
}

#[test]
fn apply_on_a_terminal_asks_and_only_yes_applies() {
    let moto = moto();
    let aws = aws(&moto);
    aws.create_bucket(BUCKET);
    let w = Workdir::new(&spec(&["wa"]));
    let run = on_terminal_typing(&moto, &w, &["apply"], true, "no\n");
    let run = run.expect(1);
    assert!(
        run.stdout.contains("Only 'yes' will be accepted"),
        "{:?}",
        run.stdout
    );
    assert!(run.stdout.contains("Apply cancelled"), "{:?}", run.stdout);
    assert!(!aws.role_exists("s3dest-wa"), "nothing was changed");
    let run = on_terminal_typing(&moto, &w, &["apply"], true, "yes\n").expect(0);
    assert!(run.stdout.contains("Apply complete"), "{:?}", run.stdout);
    assert!(aws.role_exists("s3dest-wa"));
}

#[test]
fn a_terminal_gets_a_progress_bar_and_colour_unless_no_color() {
    let moto = moto();
    aws(&moto).create_bucket(BUCKET);
    let w = Workdir::new(&spec(&["wa"]));
    let run = on_terminal(&moto, &w, &["apply", "--auto-approve"], false);
    let run = run.expect(0);
    // walkme: role, role policy, folder; pendo: role, role policy (the lock guard),
    // statement, folder.
    assert!(run.stdout.contains("/7 changes"), "{:?}", run.stdout);
    assert!(run.stdout.contains("7/7 changes"), "{:?}", run.stdout);
    assert!(run.stdout.contains("destination."), "{:?}", run.stdout);
    assert!(has_colour(&run.stdout), "{:?}", run.stdout);
    assert!(run.stdout.contains("Apply complete"), "{:?}", run.stdout);

    w.write_spec(&spec(&["wa", "wb"]));
    let run = on_terminal(&moto, &w, &["apply", "--auto-approve"], true).expect(0);
    assert!(run.stdout.contains("/3 changes"), "{:?}", run.stdout);
    assert!(!has_colour(&run.stdout), "{:?}", run.stdout);

    let plan = on_terminal(&moto, &w, &["plan", "-v"], true).expect(0);
    assert!(
        plan.stdout.contains("AWS calls made: "),
        "{:?}",
        plan.stdout
    );
    assert!(!has_colour(&plan.stdout), "{:?}", plan.stdout);
}

/// A change that fails during apply is reported once, on a terminal or not: the line
/// of the change that failed, then the closing line.
#[test]
fn a_failed_change_is_printed_once_on_and_off_a_terminal() {
    let moto = moto();
    let aws = aws(&moto);
    aws.create_bucket(BUCKET);
    // moto evaluates bucket policies' Deny statements: writing the folder marker fails,
    // at apply time. The statement denies that one key, not the vendor's objects under
    // the folder, so the plan finds the vendor unblocked.
    let deny = serde_json::json!({"Sid": "NoMarkers", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": format!("arn:aws:s3:::{BUCKET}/wa/")});
    aws.put_bucket_policy(
        BUCKET,
        &serde_json::json!({"Version": "2012-10-17", "Statement": [deny]}),
    );
    let w = Workdir::new(&format!(
        "version: 1\nname: acme\nbuckets:\n  {BUCKET}: {{}}\ndestinations:\n  wa: {{ vendor: walkme, bucket: {BUCKET}, folder: wa }}\n"
    ));
    let run = w.run(&moto, &["apply", "--auto-approve"]).expect(1);
    insta::assert_snapshot!(
        "failed_change_off_a_terminal",
        format!("--- stdout\n{}--- stderr\n{}", run.stdout, run.stderr)
    );

    // The role exists now: the second apply has the folder marker left to write.
    let run = on_terminal(&moto, &w, &["apply", "--auto-approve"], true);
    let run = run.expect(1);
    let failures = run.stdout.matches("PutObject on folder marker").count();
    assert_eq!(failures, 1, "{:?}", run.stdout);
    assert!(
        run.stdout.contains("apply stopped after"),
        "{:?}",
        run.stdout
    );
}

#[test]
fn an_apply_of_several_specs_asks_once_for_all_of_them() {
    let moto = moto();
    let aws = aws(&moto);
    aws.create_bucket(BUCKET);
    let w = Workdir::new(&spec(&["wa"]));
    let two = format!(
        "version: 1\nname: acme-two\nbuckets:\n  {BUCKET}: {{}}\ndestinations:\n  \
         wb: {{ vendor: walkme, bucket: {BUCKET}, folder: wb }}\n"
    );
    std::fs::write(w.path("two.yaml"), two).unwrap();
    let run = on_terminal_typing(
        &moto,
        &w,
        &["apply", "s3dest.yaml", "two.yaml"],
        true,
        "no\n",
    );
    let run = run.expect(1);
    assert_eq!(
        run.stdout
            .matches("Do you want to perform these actions in 2 specs? Only 'yes' will be accepted")
            .count(),
        1,
        "{:?}",
        run.stdout
    );
    assert!(!aws.role_exists("s3dest-wa") && !aws.role_exists("s3dest-wb"));
    let run = on_terminal_typing(
        &moto,
        &w,
        &["apply", "s3dest.yaml", "two.yaml"],
        true,
        "yes\n",
    );
    let run = run.expect(0);
    assert!(
        run.stdout.contains("Applied 2 of 2 specs with changes."),
        "{:?}",
        run.stdout
    );
    assert!(aws.role_exists("s3dest-wa") && aws.role_exists("s3dest-wb"));
}
