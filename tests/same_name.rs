//! Two spec files with the same `name` in one account, against moto: everything s3dest
//! makes records its spec file (`s3dest:file`), so the second file's plan, which would
//! delete the first one's destinations, is refused and its apply changes nothing; a file
//! moved on purpose says so with `moved_from`, is retagged once, and then plans nothing.

mod support;

use std::path::Path;

use support::{Run, Workdir, aws, moto};

/// Team A's spec: a role, and a user with its secret.
const TEAM_A: &str = "version: 1\nname: acme\nbuckets:\n  acme-exports: {}\ndestinations:\n  walkme: { vendor: walkme, bucket: acme-exports, folder: walkme }\n  keys: { vendor: walkme, auth: access-key, bucket: acme-exports, folder: keys }\n";
/// Team B's: the same name, its own destination.
const TEAM_B: &str = "version: 1\nname: acme\nbuckets:\n  acme-exports: {}\ndestinations:\n  insights: { vendor: walkme, bucket: acme-exports, folder: insights }\n";

fn write(w: &Workdir, path: &str, text: &str) {
    let path = w.path(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// What a run printed, for a snapshot: its command, exit code and both streams.
fn shown(args: &[&str], run: &Run) -> String {
    format!(
        "$ s3dest {}\nexit {}\n{}{}",
        args.join(" "),
        run.code,
        run.stdout,
        run.stderr
    )
}

/// The text with the access key ids and secret ARN suffixes moto makes up replaced.
fn stable(text: &str) -> String {
    let made_up = |word: &str| {
        let id = word.len() == 20
            && word.starts_with("AKIA")
            && word
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        // `arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX`
        let arn = word.starts_with("arn:aws:secretsmanager:");
        match (id, arn) {
            (true, _) => "[access key id]".to_owned(),
            (_, true) => match word.rsplit_once('-') {
                Some((name, suffix)) if suffix.len() == 6 => format!("{name}-[suffix]"),
                _ => word.to_owned(),
            },
            _ => word.to_owned(),
        }
    };
    let mut out = String::new();
    let mut word = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || ":/-_".contains(c) {
            word.push(c);
        } else {
            out += &made_up(&word);
            word.clear();
            out.push(c);
        }
    }
    out + &made_up(&word)
}

#[test]
fn a_second_spec_file_with_the_same_name_is_refused_and_a_moved_one_retagged() {
    let moto = moto();
    let aws = aws(&moto);
    aws.create_bucket("acme-exports");
    // One repository (`.git` at its root), two teams' folders.
    let w = Workdir::new(TEAM_A);
    write(&w, "team-a/s3dest.yaml", TEAM_A);
    write(&w, "team-b/s3dest.yaml", TEAM_B);
    w.run(&moto, &["apply", "team-a/s3dest.yaml", "--auto-approve"])
        .expect(0);
    assert_eq!(
        aws.role_tags("s3dest-walkme")["s3dest:file"],
        "team-a/s3dest.yaml"
    );

    let plan_b = ["plan", "team-b/s3dest.yaml"];
    let refused = w.run(&moto, &plan_b).expect(1);
    insta::assert_snapshot!("refused", stable(&shown(&plan_b, &refused)));
    // Apply shows the same plan, and changes nothing.
    let apply = w
        .run(&moto, &["apply", "team-b/s3dest.yaml", "--auto-approve"])
        .expect(1);
    assert_eq!(apply.stdout, refused.stdout);
    assert_eq!(
        apply.stderr,
        "error: the plan has errors; nothing was changed\n"
    );
    // Every format says so.
    let json = w
        .run(&moto, &["plan", "team-b/s3dest.yaml", "--format", "json"])
        .expect(1);
    let plan: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let errors = plan["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let message = errors[0]["message"].as_str().unwrap();
    assert!(
        message.contains("would delete each other's destinations"),
        "{message}"
    );
    let markdown = w
        .run(
            &moto,
            &["plan", "team-b/s3dest.yaml", "--format", "markdown"],
        )
        .expect(1);
    assert!(
        markdown
            .stdout
            .contains("`moved_from: [\"team-a/s3dest.yaml\"]`"),
        "{}",
        markdown.stdout
    );
    // Team A's destinations are as they were, and team B's was never made.
    w.run(
        &moto,
        &["plan", "team-a/s3dest.yaml", "--detailed-exitcode"],
    )
    .expect(0);
    assert!(aws.role_exists("s3dest-walkme"));
    assert!(!aws.role_exists("s3dest-insights"));

    // Team A's file moves, and says where from.
    std::fs::remove_file(w.path("team-a/s3dest.yaml")).unwrap();
    let moved = TEAM_A.replace(
        "name: acme\n",
        "name: acme\nmoved_from: [team-a/s3dest.yaml]\n",
    );
    write(&w, "exports/s3dest.yaml", &moved);
    let plan_moved = ["plan", "exports/s3dest.yaml"];
    let retag = w.run(&moto, &plan_moved).expect(0);
    insta::assert_snapshot!("retagged", stable(&shown(&plan_moved, &retag)));
    let apply = w
        .run(&moto, &["apply", "exports/s3dest.yaml", "--auto-approve"])
        .expect(0);
    let applied = apply.stdout.strip_prefix(&retag.stdout);
    assert_eq!(
        applied,
        Some("Apply complete: 0 created, 3 updated, 0 replaced, 0 destroyed.\n"),
        "{}",
        apply.stdout
    );
    assert_eq!(
        aws.role_tags("s3dest-walkme")["s3dest:file"],
        "exports/s3dest.yaml"
    );
    w.run(
        &moto,
        &["plan", "exports/s3dest.yaml", "--detailed-exitcode"],
    )
    .expect(0);
    // After one apply `moved_from` can go.
    write(&w, "exports/s3dest.yaml", TEAM_A);
    w.run(
        &moto,
        &["plan", "exports/s3dest.yaml", "--detailed-exitcode"],
    )
    .expect(0);
    // Team B is still refused, now naming the moved file.
    let b = w.run(&moto, &["plan", "team-b/s3dest.yaml"]).expect(1);
    assert!(
        b.stdout
            .contains("another spec file, `exports/s3dest.yaml`"),
        "{}",
        b.stdout
    );
}

#[test]
fn a_saved_plan_records_the_file_it_was_made_from() {
    let moto = moto();
    aws(&moto).create_bucket("acme-exports");
    let w = Workdir::new(TEAM_A);
    write(&w, "team-a/s3dest.yaml", TEAM_A);
    std::fs::create_dir(w.path("plans")).unwrap();
    w.run(
        &moto,
        &["plan", "team-a/s3dest.yaml", "--out", "plans/a.plan"],
    )
    .expect(0);
    // The spec file is gone: the path the plan file records still names it.
    std::fs::remove_file(w.path("team-a/s3dest.yaml")).unwrap();
    w.run(&moto, &["apply", "plans/a.plan"]).expect(0);
    assert_eq!(
        aws(&moto).role_tags("s3dest-walkme")["s3dest:file"],
        "team-a/s3dest.yaml"
    );
}

#[test]
fn outside_a_work_tree_the_file_is_its_absolute_path() {
    let moto = moto();
    let aws = aws(&moto);
    aws.create_bucket("acme-exports");
    let w = Workdir::new(TEAM_A);
    // A folder of its own beside the work tree, in none.
    let loose = w.dir.with_extension("loose");
    std::fs::create_dir_all(&loose).unwrap();
    let spec = loose.join("s3dest.yaml");
    std::fs::write(&spec, TEAM_A).unwrap();
    let run = w.run(&moto, &["apply", spec.to_str().unwrap(), "--auto-approve"]);
    let canonical = spec.canonicalize().unwrap();
    let _ = std::fs::remove_dir_all(&loose);
    run.expect(0);
    let recorded = aws.role_tags("s3dest-walkme")["s3dest:file"].clone();
    if !in_work_tree(&canonical) {
        assert_eq!(recorded, canonical.to_str().unwrap());
    }
    // The same file from the work tree is another file.
    let refused = w.run(&moto, &["plan"]).expect(1);
    assert!(
        refused
            .stdout
            .contains(&format!("another spec file, `{recorded}`")),
        "{}",
        refused.stdout
    );
}

/// Whether a folder above `file` holds `.git` (the temporary folder might be in a work tree).
fn in_work_tree(file: &Path) -> bool {
    file.ancestors().skip(1).any(|d| d.join(".git").exists())
}
