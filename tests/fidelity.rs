//! `s3dest` end to end through the fidelity layer, meeting what real AWS does and moto
//! does not: injected faults and lost replies, IAM's propagation delay, SSE-KMS
//! buckets, bucket policies that deny unencrypted uploads, a deleted role's unique id
//! in someone else's statement, and an endpoint without conditional deletes.
//!
//! (Every other end-to-end test runs through the layer too, with pagination at 2: see
//! `support::realistic`.)

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::{Run, Workdir, aws, realistic};

use s3dest_moto::{Behaviours, FaultKind, FaultPlan, MotoGuard, ScheduledFault, moto_with};

const BUCKET: &str = "acme-vendor-exports";
const LOCK_KEY: &str = ".s3dest-bucket-policy.lock";

fn spec(destinations: &str) -> String {
    format!(
        "version: 1\nname: acme\nbuckets:\n  {BUCKET}: {{}}\n  acme-created: {{create: true, region: eu-west-1}}\ndestinations:\n{destinations}"
    )
}

/// Every preset, both methods: roles, a bucket statement, users with keys.
const EVERY_PRESET: &str = "  pendo:\n    vendor: pendo-data-sync\n    bucket: acme-vendor-exports\n    folder: pendo\n    principal: arn:aws:iam::123456789012:user/pendo-sync\n    external_id: 6f1b2c9d-pendo\n  currents:\n    vendor: braze-currents\n    bucket: acme-created\n    principal: \"987654321098\"\n    external_id: braze-ext-42\n  exports:\n    vendor: braze-data-export\n    bucket: acme-vendor-exports\n    folder: braze/exports\n    principal: arn:aws:iam::987654321098:root\n    external_id: braze-ext-42\n  security:\n    vendor: braze-security-events\n    auth: access-key\n    bucket: acme-vendor-exports\n    folder: braze/security\n  walkme:\n    vendor: walkme\n    bucket: acme-vendor-exports\n    folder: walkme/insights\n  walkme-keys:\n    vendor: walkme\n    auth: access-key\n    bucket: acme-created\n    folder: walkme\n  partner:\n    vendor: custom\n    bucket: acme-vendor-exports\n    folder: partner\n    principal: arn:aws:iam::111122223333:role/exporter\n    external_id: xyz-123\n    actions: [s3:PutObject, s3:GetObject]\n";

/// Statements someone else keeps in the shared bucket policy: the two guards real
/// buckets carry (deny insecure transport, deny uploads without the encryption
/// header), which moto alone would wrongly apply to s3dest's plain-HTTP calls, and a
/// grant to another account.
fn foreign_statements() -> Vec<Value> {
    vec![
        json!({"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
               "Resource": [format!("arn:aws:s3:::{BUCKET}"), format!("arn:aws:s3:::{BUCKET}/*")],
               "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
        json!({"Sid": "DenyUnencryptedUploads", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
               "Resource": format!("arn:aws:s3:::{BUCKET}/*"),
               "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}}}),
        json!({"Sid": "Reports", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
               "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{BUCKET}/reports/*")}),
    ]
}

/// The account before s3dest: the export bucket with the foreign statements, and a
/// role that is none of s3dest's business.
fn seed(moto: &MotoGuard) -> support::Aws {
    let aws = aws(moto);
    aws.create_bucket(BUCKET);
    aws.put_bucket_policy(
        BUCKET,
        &json!({"Version": "2012-10-17", "Statement": foreign_statements()}),
    );
    aws.create_role("someone-elses", "/");
    aws
}

/// Checks what s3dest must never touch, and that every access-key user holds exactly
/// the one key its secret names (no orphan made by a lost reply).
fn assert_nothing_foreign_changed_and_no_orphan_keys(aws: &support::Aws) {
    assert_foreign_statements_kept(aws);
    for user in ["s3dest-security", "s3dest-walkme-keys"] {
        let ids = access_key_ids(aws, user);
        assert_eq!(ids.len(), 1, "user {user} has keys {ids:?}");
    }
}

fn access_key_ids(aws: &support::Aws, user: &str) -> Vec<String> {
    let keys = aws
        .rt
        .block_on(aws.iam.list_access_keys().user_name(user).send())
        .unwrap();
    keys.access_key_metadata()
        .iter()
        .filter_map(|k| k.access_key_id().map(str::to_owned))
        .collect()
}

fn assert_foreign_statements_kept(aws: &support::Aws) {
    let policy = aws.bucket_policy(BUCKET).unwrap();
    let statements = policy["Statement"].as_array().unwrap();
    for foreign in foreign_statements() {
        assert!(
            statements.contains(&foreign),
            "{foreign} changed: {policy:#}"
        );
    }
    assert!(aws.role_exists("someone-elses"));
}

/// A failed command says why in one sentence (its last line), never a dump.
fn assert_one_clear_error(run: &Run) {
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let last = run.stderr.lines().last().unwrap_or_default();
    assert!(last.starts_with("error: "), "{}", run.stderr);
    for dump in ["panicked", "DispatchFailure", "ConnectorError", "Some("] {
        assert!(!run.stderr.contains(dump), "{dump} in {}", run.stderr);
    }
}

fn faults(rate: f64, seed: u64) -> Behaviours {
    Behaviours {
        faults: Some(FaultPlan {
            rate,
            seed,
            ..FaultPlan::default()
        }),
        ..realistic()
    }
}

/// Under 5% injected faults (throttling, 5xx, resets before and after a write took
/// effect), an apply either succeeds or fails with one clear sentence; a plain re-run
/// converges; nothing foreign is touched and no access key is orphaned.
#[test]
fn under_faults_apply_converges_on_a_plain_rerun() {
    for fault_seed in [1, 2, 3] {
        let moto = moto_with(realistic());
        let aws = seed(&moto);
        let w = Workdir::new(&spec(EVERY_PRESET));
        moto.fidelity().set(faults(0.05, fault_seed));
        let mut succeeded = false;
        for _ in 0..6 {
            let run = w.run(&moto, &["apply", "--auto-approve"]);
            if run.code == 0 {
                succeeded = true;
                break;
            }
            assert_one_clear_error(&run);
        }
        assert!(succeeded, "seed {fault_seed}: no apply succeeded in 6 runs");
        assert!(
            moto.fidelity().stats().faults.values().sum::<u64>() > 0,
            "seed {fault_seed}: no fault was injected"
        );
        moto.fidelity().set(realistic());
        w.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);
        assert_nothing_foreign_changed_and_no_orphan_keys(&aws);
    }
}

/// A failed read is never taken for "missing": under faults a plan is exactly the
/// fault-free plan, or an error.
#[test]
fn under_faults_a_plan_is_the_fault_free_plan_or_an_error() {
    let moto = moto_with(realistic());
    seed(&moto);
    let w = Workdir::new(&spec(EVERY_PRESET));
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    // Some drift, so that the plan is not empty.
    w.write_spec(&spec(&EVERY_PRESET.replace("braze-ext-42", "braze-ext-43")));
    let clean = w.run(&moto, &["plan", "--format", "json"]).expect(0);
    let mut errors = 0;
    for fault_seed in 0..12 {
        moto.fidelity().set(faults(0.08, fault_seed));
        let run = w.run(&moto, &["plan", "--format", "json"]);
        match run.code {
            0 => assert_eq!(run.stdout, clean.stdout, "seed {fault_seed}"),
            _ => {
                assert_one_clear_error(&run);
                errors += 1;
            }
        }
    }
    assert!(
        errors < 12,
        "every plan failed: the SDK's retries should absorb most"
    );
}

/// Replies lost after AWS did the write: the create of a role, a user, an access key,
/// the lock, a folder marker, and the lock's release. One apply still converges, with
/// no second key and no lock left behind.
#[test]
fn lost_replies_of_writes_that_happened_are_recognised() {
    let moto = moto_with(realistic());
    let aws = seed(&moto);
    let w = Workdir::new(&spec(EVERY_PRESET));
    let lost = |operation: &str, nth| ScheduledFault {
        operation: operation.to_owned(),
        nth,
        fault: FaultKind::ResetAfterForward,
    };
    moto.fidelity().set(Behaviours {
        faults: Some(FaultPlan {
            schedule: vec![
                lost("CreateRole", 1),
                lost("CreateUser", 1),
                lost("CreateAccessKey", 1),
                lost("CreateAccessKey", 2),
                lost("CreateSecret", 1),
                lost("PutObject", 1),
                lost("PutObject", 2),
                lost("DeleteObject", 1),
            ],
            ..FaultPlan::default()
        }),
        ..realistic()
    });
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    let stats = moto.fidelity().stats();
    assert_eq!(stats.faults_of("ResetAfterForward"), 8, "{stats:#?}");
    moto.fidelity().set(realistic());
    w.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);
    assert!(!aws.object_exists(BUCKET, LOCK_KEY));
    assert_nothing_foreign_changed_and_no_orphan_keys(&aws);
}

/// IAM takes seconds before a new role is accepted as a principal: the bucket
/// statement naming Pendo's new role is retried until it is.
#[test]
fn a_new_role_is_retried_until_iam_accepts_it_as_a_principal() {
    let moto = moto_with(Behaviours {
        propagation_delay: Some(Duration::from_secs(3)),
        ..realistic()
    });
    seed(&moto);
    let pendo = EVERY_PRESET.split("  currents:").next().unwrap();
    let w = Workdir::new(&spec(pendo));
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    w.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);
}

/// In an SSE-KMS bucket object ETags are not MD5 digests: a folder marker is still
/// known for empty, and pruned; the objects s3dest writes carry the KMS header.
#[test]
fn markers_in_an_sse_kms_bucket_are_pruned() {
    let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let moto = moto_with(Behaviours {
        kms_buckets: [(BUCKET.to_owned(), key.to_owned())].into(),
        ..realistic()
    });
    let aws = seed(&moto);
    let walkme = "  walkme:\n    vendor: walkme\n    bucket: acme-vendor-exports\n    folder: walkme/insights\n";
    let w = Workdir::new(&spec(walkme));
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    assert!(aws.object_exists(BUCKET, "walkme/insights/"));
    let head = aws
        .rt
        .block_on(
            aws.s3
                .head_object()
                .bucket(BUCKET)
                .key("walkme/insights/")
                .send(),
        )
        .unwrap();
    assert_ne!(
        head.e_tag(),
        Some("\"d41d8cd98f00b204e9800998ecf8427e\""),
        "the layer gives KMS ETags"
    );
    w.write_spec(&spec(""));
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    assert!(
        !aws.object_exists(BUCKET, "walkme/insights/"),
        "the empty marker is pruned"
    );
    w.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);
}

/// A bucket policy denying uploads without the encryption header: the lock and the
/// folder markers carry the header of the bucket's default encryption, so apply works.
#[test]
fn a_policy_denying_unencrypted_uploads_does_not_stop_apply() {
    let moto = moto_with(realistic());
    let aws = seed(&moto);
    // Without the header, the layer denies an upload as AWS would.
    let denied = aws.rt.block_on(
        aws.s3
            .put_object()
            .bucket(BUCKET)
            .key("probe")
            .body(b"x".to_vec().into())
            .send(),
    );
    assert!(denied.is_err(), "the guard is in force");
    let pendo = EVERY_PRESET.split("  currents:").next().unwrap();
    let w = Workdir::new(&spec(pendo));
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    assert!(aws.object_exists(BUCKET, "pendo/"));
    w.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);
    assert_foreign_statements_kept(&aws);
}

/// When a role named by someone else's statement is deleted, AWS shows its unique id
/// there and refuses every policy containing it: the plan says so at once, exit 1.
#[test]
fn a_deleted_roles_unique_id_in_a_foreign_statement_is_a_clear_plan_error() {
    let moto = moto_with(realistic());
    let aws = seed(&moto);
    aws.create_role("reporting", "/");
    let mut policy = aws.bucket_policy(BUCKET).unwrap();
    policy["Statement"].as_array_mut().unwrap().push(json!({
        "Sid": "Reporting", "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:role/reporting"},
        "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{BUCKET}/reports/*")}));
    aws.put_bucket_policy(BUCKET, &policy);
    aws.rt
        .block_on(aws.iam.delete_role().role_name("reporting").send())
        .unwrap();
    let pendo = EVERY_PRESET.split("  currents:").next().unwrap();
    let w = Workdir::new(&spec(pendo));
    let plan = w.run(&moto, &["plan"]).expect(1);
    assert!(
        plan.stdout.contains(
            "statement `Reporting` of this bucket's policy, which s3dest does not own, names `AROA"
        ),
        "{}",
        plan.stdout
    );
    let apply = w.run(&moto, &["apply", "--auto-approve"]).expect(1);
    assert!(
        apply.stderr.contains("nothing was changed"),
        "{}",
        apply.stderr
    );
}

/// An endpoint without conditional deletes (LocalStack answers `NotImplemented`): the
/// lock is released and prune works, by a check right before a plain delete, said
/// once.
#[test]
fn without_conditional_deletes_the_lock_is_released_and_prune_works() {
    let moto = moto_with(Behaviours {
        conditional_delete_not_implemented: true,
        ..realistic()
    });
    let aws = seed(&moto);
    let pendo = EVERY_PRESET.split("  currents:").next().unwrap();
    let w = Workdir::new(&spec(pendo));
    let apply = w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    let said = apply
        .stderr
        .matches("does not implement conditional deletes")
        .count();
    assert_eq!(said, 1, "{}", apply.stderr);
    assert!(!aws.object_exists(BUCKET, LOCK_KEY));
    w.write_spec(&spec(""));
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    assert!(!aws.object_exists(BUCKET, "pendo/"), "pruned");
    assert!(!aws.object_exists(BUCKET, LOCK_KEY));
    w.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);
}

/// The state an apply leaves when it dies between `CreateAccessKey` and storing the
/// key: a key nobody holds the secret of (here: every attempt to store it, and to
/// delete the key again, is cut off). The next plain apply recognises it as the orphan
/// of an interrupted creation (not a key made by hand), deletes it, and makes the key
/// again: the user ends with exactly the one key its secret names.
#[test]
fn a_key_whose_secret_was_never_stored_is_deleted_by_the_next_apply() {
    let moto = moto_with(realistic());
    let aws = seed(&moto);
    let keys = "  security:\n    vendor: braze-security-events\n    auth: access-key\n    bucket: acme-vendor-exports\n    folder: braze/security\n";
    let w = Workdir::new(&spec(keys));
    let cut = |operation: &'static str| {
        (1..=5).map(move |nth| ScheduledFault {
            operation: operation.to_owned(),
            nth,
            fault: FaultKind::ResetBeforeForward,
        })
    };
    moto.fidelity().set(Behaviours {
        faults: Some(FaultPlan {
            schedule: cut("CreateSecret").chain(cut("DeleteAccessKey")).collect(),
            ..FaultPlan::default()
        }),
        ..realistic()
    });
    let failed = w.run(&moto, &["apply", "--auto-approve"]);
    assert_one_clear_error(&failed);
    let listed = aws
        .rt
        .block_on(
            aws.iam
                .list_access_keys()
                .user_name("s3dest-security")
                .send(),
        )
        .unwrap();
    assert_eq!(listed.access_key_metadata().len(), 1, "the orphan is there");
    let orphan = listed.access_key_metadata()[0]
        .access_key_id()
        .unwrap()
        .to_owned();
    moto.fidelity().set(realistic());
    let plan = w.run(&moto, &["plan"]).expect(0);
    assert!(
        plan.stdout.contains(&format!(
            "key {orphan} was made by an apply that was interrupted before it stored the key's secret"
        )),
        "{}",
        plan.stdout
    );
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    w.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);
    let listed = aws
        .rt
        .block_on(
            aws.iam
                .list_access_keys()
                .user_name("s3dest-security")
                .send(),
        )
        .unwrap();
    let ids: Vec<&str> = listed
        .access_key_metadata()
        .iter()
        .filter_map(|k| k.access_key_id())
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_ne!(ids[0], orphan, "the orphan was deleted");
}

/// Runs `args` until it succeeds (at most 6 times), each failure one clear sentence.
fn until_success(moto: &MotoGuard, w: &Workdir, args: &[&str]) {
    for _ in 0..6 {
        let run = w.run(moto, args);
        if run.code == 0 {
            return;
        }
        assert_one_clear_error(&run);
    }
    panic!("`s3dest {}` did not succeed in 6 runs", args.join(" "));
}

/// Drift repaired, destinations pruned and a saved plan applied, all under 5% faults:
/// each command succeeds or fails with one sentence, and plain re-runs converge with
/// nothing foreign changed.
#[test]
fn drift_prune_and_saved_plans_converge_under_faults() {
    let moto = moto_with(realistic());
    let aws = seed(&moto);
    let w = Workdir::new(&spec(EVERY_PRESET));
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    // Drift: a widened inline policy, a deleted folder marker.
    aws.put_role_policy(
        "s3dest-walkme",
        "s3dest",
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
    );
    aws.delete_object(BUCKET, "partner/");
    moto.fidelity().set(faults(0.05, 7));
    until_success(&moto, &w, &["apply", "--auto-approve"]);
    // A saved plan (prune half the destinations), applied as saved; when a fault stops
    // it, a new plan and apply finish the job.
    let fewer = EVERY_PRESET.split("  walkme:").next().unwrap();
    w.write_spec(&spec(fewer));
    let mut applied = false;
    for _ in 0..6 {
        let plan = w.run(&moto, &["plan", "--out", "tfplan"]);
        if plan.code != 0 {
            assert_one_clear_error(&plan);
            continue;
        }
        let apply = w.run(&moto, &["apply", "tfplan"]);
        if apply.code == 0 {
            applied = true;
            break;
        }
        assert_one_clear_error(&apply);
    }
    assert!(applied, "the saved plan never applied");
    moto.fidelity().set(realistic());
    w.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);
    assert!(!aws.role_exists("s3dest-walkme"), "pruned");
    assert!(!aws.role_exists("s3dest-partner"), "pruned");
    assert_foreign_statements_kept(&aws);
    assert_eq!(access_key_ids(&aws, "s3dest-security").len(), 1);
}

/// Four specs in four accounts putting their statements into one shared bucket policy
/// at once, under 5% faults: re-runs converge and no statement, theirs or anyone's, is
/// lost.
#[test]
fn concurrent_applies_under_faults_lose_no_statement() {
    let moto = moto_with(realistic());
    let aws = seed(&moto);
    let teams: Vec<(Workdir, Vec<(&'static str, String)>)> = (0..4)
        .map(|i| {
            let spec = format!(
                "version: 1\nname: team-{i}\nbuckets: {{{BUCKET}: {{}}}}\ndestinations:\n  \
                 pendo: {{ vendor: pendo-data-sync, bucket: {BUCKET}, folder: team-{i}, principal: \"arn:aws:iam::123456789012:user/pendo-sync\", external_id: ext-{i} }}\n"
            );
            let env = support::account_env(&moto, &format!("10000000000{i}"));
            (Workdir::new(&spec), env)
        })
        .collect();
    moto.fidelity().set(faults(0.05, 11));
    let mut converged = false;
    for _round in 0..6 {
        let children: Vec<std::process::Child> = teams
            .iter()
            .map(|(w, env)| {
                let mut command = w.command(&moto, &["apply", "--auto-approve"]);
                command.envs(env.iter().map(|(k, v)| (*k, v)));
                command.spawn().unwrap()
            })
            .collect();
        let runs: Vec<Run> = children
            .into_iter()
            .map(|c| Run::from(c.wait_with_output().unwrap()))
            .collect();
        for run in runs.iter().filter(|r| r.code != 0) {
            assert_one_clear_error(run);
        }
        if runs.iter().all(|r| r.code == 0) {
            converged = true;
            break;
        }
    }
    assert!(converged, "the applies did not all succeed in 6 rounds");
    moto.fidelity().set(realistic());
    for (w, env) in &teams {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        w.run_with_env(&moto, &["plan", "--detailed-exitcode"], &env)
            .expect(0);
    }
    assert_foreign_statements_kept(&aws);
    let policy = aws.bucket_policy(BUCKET).unwrap();
    for i in 0..4 {
        let role = format!("arn:aws:iam::10000000000{i}:role/pendo_datasync");
        assert!(
            policy["Statement"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["Principal"]["AWS"].to_string().contains(&role)),
            "team-{i}'s statement is missing: {policy:#}"
        );
    }
    assert!(!aws.object_exists(BUCKET, LOCK_KEY));
}
