//! `s3dest apply` processes at once on one bucket policy, and the bucket-policy lock as
//! the binary reports it: a stale lock stops apply (exit 1, nothing changed) naming its
//! owner and `--break-lock`; with `--break-lock` it is taken over and apply converges.
//!
//! Only the Pendo preset writes bucket-policy statements, and one account holds one
//! Pendo role, so the concurrent applies each run in an account of their own (moto keeps
//! one state per account and its buckets are global, as in AWS), all on one bucket.

mod support;

use std::process::Child;

use serde_json::{Value, json};
use support::{Run, Workdir, account_env, aws, moto};

const BUCKET: &str = "shared-exports";
const TEAMS: usize = 5;
/// The lock object s3dest writes while it edits a bucket policy.
const LOCK_KEY: &str = ".s3dest-bucket-policy.lock";
/// The owner written into the lock these tests plant.
const OTHER_OWNER: &str = "bob@ci-runner-3 pid 4242";

fn team_spec(i: usize, with_pendo: bool) -> String {
    let destinations = if with_pendo {
        format!(
            "destinations:\n  pendo: {{ vendor: pendo-data-sync, bucket: {BUCKET}, folder: team-{i}, principal: \"arn:aws:iam::123456789012:user/pendo-sync\", external_id: ext-{i} }}\n"
        )
    } else {
        "destinations: {}\n".to_owned()
    };
    format!("version: 1\nname: team-{i}\nbuckets: {{{BUCKET}: {{}}}}\n{destinations}")
}

fn foreign() -> Value {
    json!({"Sid": "DenyBucketDeletion", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket", "Resource": format!("arn:aws:s3:::{BUCKET}")})
}

/// Runs `args` in every workdir at once, each with its account's credentials.
fn all_at_once(
    moto: &s3dest_moto::MotoGuard,
    teams: &[(Workdir, Vec<(&'static str, String)>)],
    args: &[&str],
) -> Vec<Run> {
    let children: Vec<Child> = teams
        .iter()
        .map(|(w, env)| {
            let mut command = w.command(moto, args);
            command.envs(env.iter().map(|(k, v)| (*k, v)));
            command.spawn().unwrap()
        })
        .collect();
    children
        .into_iter()
        .map(|child| Run::from(child.wait_with_output().unwrap()))
        .collect()
}

#[test]
fn applies_at_once_keep_every_statement_of_a_shared_bucket_policy() {
    let moto = moto();
    let aws = aws(&moto);
    aws.create_bucket(BUCKET);
    aws.put_bucket_policy(
        BUCKET,
        &json!({"Version": "2012-10-17", "Statement": [foreign()]}),
    );
    let teams: Vec<(Workdir, Vec<(&'static str, String)>)> = (0..TEAMS)
        .map(|i| {
            let env = account_env(&moto, &format!("10000000000{i}"));
            (Workdir::new(&team_spec(i, true)), env)
        })
        .collect();

    for run in all_at_once(&moto, &teams, &["apply", "--auto-approve"]) {
        run.expect(0);
    }
    let policy = aws.bucket_policy(BUCKET).unwrap();
    let statements = policy["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), TEAMS + 1, "{policy:#}");
    assert_eq!(statements[0], foreign(), "kept exactly, in its place");
    for i in 0..TEAMS {
        assert!(
            statements.iter().any(|s| s["Principal"]["AWS"]
                .to_string()
                .contains(&format!("arn:aws:iam::10000000000{i}:role/pendo_datasync"))),
            "team-{i}'s statement is missing: {policy:#}"
        );
        assert!(aws.object_exists(BUCKET, &format!("team-{i}/")));
    }
    assert!(!aws.object_exists(BUCKET, LOCK_KEY));
    for run in all_at_once(&moto, &teams, &["plan", "--detailed-exitcode"]) {
        run.expect(0);
    }

    // Every team removes its destination at once: only the foreign statement is left.
    for (i, (w, _)) in teams.iter().enumerate() {
        w.write_spec(&team_spec(i, false));
    }
    for run in all_at_once(&moto, &teams, &["apply", "--auto-approve"]) {
        run.expect(0);
    }
    let policy = aws.bucket_policy(BUCKET).unwrap();
    assert_eq!(policy["Statement"], json!([foreign()]));
    for run in all_at_once(&moto, &teams, &["plan", "--detailed-exitcode"]) {
        run.expect(0);
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A lock as an apply that died 10 minutes ago left it (its lease ran out 8 minutes ago).
fn plant_stale_lock(aws: &support::Aws) {
    let put = aws
        .s3
        .put_object()
        .bucket(BUCKET)
        .key(LOCK_KEY)
        .metadata("s3dest-spec", "other-team")
        .metadata("s3dest-lock-owner", OTHER_OWNER)
        .metadata("s3dest-lock-created", (now() - 600).to_string())
        .metadata("s3dest-lock-expires", (now() - 480).to_string())
        .body(b"{}".to_vec().into());
    aws.rt.block_on(put.send()).unwrap();
}

#[test]
fn a_stale_lock_stops_apply_naming_its_owner_until_broken_with_break_lock() {
    let moto = moto();
    let aws = aws(&moto);
    aws.create_bucket(BUCKET);
    plant_stale_lock(&aws);
    let w = Workdir::new(&team_spec(0, true));

    let refused = w.run(&moto, &["apply", "--auto-approve"]).expect(1);
    // Its age, to the minute (seconds depend on how busy the machine is).
    assert!(refused.stderr.contains(", 10m "), "{}", refused.stderr);
    for part in [
        "nothing was changed",
        &format!("bucket `{BUCKET}`"),
        "spec `other-team`",
        OTHER_OWNER,
        " ago; its lease ran out ",
        "s3dest apply --break-lock",
    ] {
        assert!(
            refused.stderr.contains(part),
            "`{part}` is missing from:\n{}",
            refused.stderr
        );
    }
    assert!(!aws.role_exists("pendo_datasync"), "nothing was changed");
    assert_eq!(aws.bucket_policy(BUCKET), None);
    assert!(!aws.object_exists(BUCKET, "team-0/"));
    assert!(aws.object_exists(BUCKET, LOCK_KEY));

    let broken = w
        .run(&moto, &["apply", "--auto-approve", "--break-lock"])
        .expect(0);
    assert!(
        broken
            .stderr
            .contains("warning: broke the stale bucket-policy lock of bucket `shared-exports`")
            && broken.stderr.contains(OTHER_OWNER),
        "{}",
        broken.stderr
    );
    assert!(!aws.object_exists(BUCKET, LOCK_KEY));
    w.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn a_saved_plan_is_stopped_by_a_stale_lock_too_and_still_applies_after() {
    let moto = moto();
    let aws = aws(&moto);
    aws.create_bucket(BUCKET);
    let w = Workdir::new(&team_spec(0, true));
    w.run(&moto, &["plan", "--out", "tfplan"]).expect(0);
    plant_stale_lock(&aws);
    let refused = w.run(&moto, &["apply", "tfplan"]).expect(1);
    assert!(
        refused.stderr.contains("--break-lock") && refused.stderr.contains(OTHER_OWNER),
        "{}",
        refused.stderr
    );
    // Nothing changed, so the saved plan is not stale.
    w.run(&moto, &["apply", "tfplan", "--break-lock"]).expect(0);
    w.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);
}
