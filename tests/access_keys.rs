//! The access-key method end to end against moto: every preset, the secret's safety,
//! rotation, prune, and switching methods.

mod support;

use serde_json::{Value, json};
use support::{Workdir, aws, moto};

const BUCKET: &str = "acme-vendor-exports";

fn spec(destinations: &str) -> String {
    format!("version: 1\nname: acme\nbuckets:\n  {BUCKET}: {{}}\ndestinations:\n{destinations}")
}

const ALL: &str = "  pendo: { vendor: pendo-data-sync, auth: access-key, bucket: acme-vendor-exports, folder: pendo }
  currents: { vendor: braze-currents, auth: access-key, bucket: acme-vendor-exports }
  exports: { vendor: braze-data-export, auth: access-key, bucket: acme-vendor-exports, folder: braze/exports }
  security: { vendor: braze-security-events, auth: access-key, bucket: acme-vendor-exports, folder: braze/security }
  walkme: { vendor: walkme, auth: access-key, bucket: acme-vendor-exports, folder: walkme }
  partner: { vendor: custom, auth: access-key, bucket: acme-vendor-exports, folder: partner, actions: [s3:PutObject] }
";

fn secret_value(aws: &support::Aws, name: &str) -> Value {
    let out = aws
        .rt
        .block_on(aws.secrets.get_secret_value().secret_id(name).send())
        .unwrap();
    serde_json::from_str(out.secret_string().unwrap()).unwrap()
}

fn user_keys(aws: &support::Aws, user: &str) -> Vec<(String, bool)> {
    let out = aws
        .rt
        .block_on(aws.iam.list_access_keys().user_name(user).send())
        .unwrap();
    let mut keys: Vec<(String, bool)> = out
        .access_key_metadata()
        .iter()
        .map(|k| {
            (
                k.access_key_id().unwrap().to_owned(),
                k.status() == Some(&aws_sdk_iam::types::StatusType::Active),
            )
        })
        .collect();
    keys.sort();
    keys
}

#[test]
fn every_preset_with_access_keys_converges_and_stores_keys_only_in_secrets_manager() {
    let moto = moto();
    let aws = aws(&moto);
    aws.create_bucket(BUCKET);
    let w = Workdir::new(&spec(ALL));
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    w.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);
    assert_eq!(
        aws.bucket_policy(BUCKET),
        None,
        "users need no bucket-policy statement"
    );
    let outputs: Value = serde_json::from_str(
        &w.run(&moto, &["outputs", "--format", "json"])
            .expect(0)
            .stdout,
    )
    .unwrap();
    for dest in [
        "pendo", "currents", "exports", "security", "walkme", "partner",
    ] {
        let name = format!("s3dest/acme/{dest}");
        let value = secret_value(&aws, &name);
        let keys = user_keys(&aws, &format!("s3dest-{dest}"));
        assert_eq!(keys.len(), 1);
        assert_eq!(value["access_key_id"], json!(keys[0].0));
        assert_eq!(
            value["secret_access_key"].as_str().unwrap().len(),
            40,
            "{dest}"
        );
        // The key id travels with the value, as its version id.
        let described = aws
            .rt
            .block_on(aws.secrets.describe_secret().secret_id(&name).send())
            .unwrap();
        let versions = described.version_ids_to_stages().unwrap();
        let (current, _) = versions
            .iter()
            .find(|(_, stages)| stages.iter().any(|s| s == "AWSCURRENT"))
            .unwrap();
        assert!(
            current.starts_with(&format!("s3dest-{}-", keys[0].0)),
            "{current}"
        );
        let out = &outputs["destinations"][dest]["access_key"];
        assert_eq!(out["secret_name"], json!(name));
        assert_eq!(out["access_key_id"], json!(keys[0].0));
        assert!(
            out["secret_arn"]
                .as_str()
                .unwrap()
                .starts_with("arn:aws:secretsmanager:")
        );
    }
}

#[test]
fn no_command_ever_prints_a_secret() {
    let moto = moto();
    let aws = aws(&moto);
    aws.create_bucket(BUCKET);
    let w = Workdir::new(&spec(
        "  e: { vendor: braze-data-export, auth: access-key, bucket: acme-vendor-exports, folder: e, key_max_age_days: 1 }\n",
    ));
    let mut everything = String::new();
    let mut run = |args: &[&str], env_now: Option<&str>| {
        let mut full = vec!["-vvv"];
        full.extend_from_slice(args);
        let r = match env_now {
            Some(now) => w.run_with_env(&moto, &full, &[("S3DEST_NOW", now)]),
            None => w.run(&moto, &full),
        };
        everything.push_str(&r.stdout);
        everything.push_str(&r.stderr);
    };
    run(&["validate"], None);
    run(&["plan"], None);
    run(&["apply", "--auto-approve"], None);
    // A rotation (the key is "2 days old"), with a saved plan and every format.
    let later = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(48)).to_string();
    run(&["plan", "--format", "json"], Some(&later));
    run(&["plan", "--format", "markdown"], Some(&later));
    run(&["plan", "--out", "saved.plan"], Some(&later));
    run(&["apply", "saved.plan"], Some(&later));
    run(&["outputs"], None);
    run(&["outputs", "--format", "json"], None);
    everything.push_str(&std::fs::read_to_string(w.path("saved.plan")).unwrap_or_default());
    let secret = secret_value(&aws, "s3dest/acme/e");
    let value = secret["secret_access_key"].as_str().unwrap();
    assert_eq!(
        user_keys(&aws, "s3dest-e").len(),
        2,
        "the rotation ran: {everything}"
    );
    assert!(
        everything.contains("AWS calls made"),
        "full verbosity was on"
    );
    assert!(!everything.contains(value), "a secret was printed");
    // Nor the first key's secret, nor any 40-character secret-looking word next to a key id.
    assert!(
        !everything.contains("secret_access_key\":\""),
        "{everything}"
    );
}

#[test]
fn rotation_keeps_a_working_key_until_the_vendor_uses_the_new_one() {
    let moto = moto();
    let aws = aws(&moto);
    aws.create_bucket(BUCKET);
    let w = Workdir::new(&spec(
        "  c: { vendor: braze-currents, auth: access-key, bucket: acme-vendor-exports, key_max_age_days: 30 }\n",
    ));
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    let first = secret_value(&aws, "s3dest/acme/c")["access_key_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let in_days =
        |d: i64| (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * d)).to_string();
    let plan = w
        .run_with_env(&moto, &["plan"], &[("S3DEST_NOW", &in_days(10))])
        .expect(0);
    assert!(
        plan.stdout.contains("never used"),
        "the plan reports key age and last use: {}",
        plan.stdout
    );
    // Past key_max_age_days: a second key, and the secret moves to it.
    let plan = w
        .run_with_env(
            &moto,
            &["plan", "--detailed-exitcode"],
            &[("S3DEST_NOW", &in_days(31))],
        )
        .expect(2);
    assert!(
        plan.stdout.contains("+ destination.c.access_key"),
        "{}",
        plan.stdout
    );
    w.run_with_env(
        &moto,
        &["apply", "--auto-approve"],
        &[("S3DEST_NOW", &in_days(31))],
    )
    .expect(0);
    let second = secret_value(&aws, "s3dest/acme/c");
    let second_id = second["access_key_id"].as_str().unwrap().to_owned();
    assert_ne!(second_id, first);
    assert_eq!(
        user_keys(&aws, "s3dest-c").iter().filter(|k| k.1).count(),
        2,
        "both keys work"
    );
    // From here on the real clock: moto dates the new key now, so in simulated time
    // it would age too. Not used yet: nothing to do but wait, and the plan says so.
    let plan = w.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);
    assert!(
        plan.stdout.contains("rotation in progress"),
        "{}",
        plan.stdout
    );
    // The vendor uses the new key (moto records the last use of a key that signs a request).
    std::thread::sleep(std::time::Duration::from_millis(1100));
    aws.use_key(&second_id, second["secret_access_key"].as_str().unwrap());
    let plan = w.run(&moto, &["plan"]).expect(0);
    assert!(
        plan.stdout
            .contains(&format!("~ destination.c.access_key.{first}")),
        "{}",
        plan.stdout
    );
    let apply = w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    assert!(
        apply
            .stdout
            .contains(&format!("Next apply: - destination.c.access_key.{first}")),
        "{}",
        apply.stdout
    );
    assert_eq!(user_keys(&aws, "s3dest-c"), {
        let mut k = vec![(first.clone(), false), (second_id.clone(), true)];
        k.sort();
        k
    });
    // Deleted on a later apply.
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    assert_eq!(user_keys(&aws, "s3dest-c"), [(second_id, true)]);
    w.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn pruning_removes_user_keys_and_policy_and_schedules_the_secret() {
    let moto = moto();
    let aws = aws(&moto);
    aws.create_bucket(BUCKET);
    let w = Workdir::new(&spec(
        "  w: { vendor: walkme, auth: access-key, bucket: acme-vendor-exports, folder: w }\n",
    ));
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    w.write_spec(&spec(""));
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    assert!(
        aws.rt
            .block_on(aws.iam.get_user().user_name("s3dest-w").send())
            .is_err()
    );
    let described = aws
        .rt
        .block_on(
            aws.secrets
                .describe_secret()
                .secret_id("s3dest/acme/w")
                .send(),
        )
        .unwrap();
    assert!(
        described.deleted_date().is_some(),
        "scheduled for deletion, recoverable"
    );
    w.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);
    // Coming back restores the secret with a new key.
    w.write_spec(&spec(
        "  w: { vendor: walkme, auth: access-key, bucket: acme-vendor-exports, folder: w }\n",
    ));
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    w.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);
    assert_eq!(
        secret_value(&aws, "s3dest/acme/w")["access_key_id"],
        json!(user_keys(&aws, "s3dest-w")[0].0)
    );
}

#[test]
fn switching_methods_replaces_the_identity_both_ways() {
    let moto = moto();
    let aws = aws(&moto);
    aws.create_bucket(BUCKET);
    let role = spec("  w: { vendor: walkme, bucket: acme-vendor-exports, folder: w }\n");
    let key =
        spec("  w: { vendor: walkme, auth: access-key, bucket: acme-vendor-exports, folder: w }\n");
    let w = Workdir::new(&role);
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    w.write_spec(&key);
    let plan = w.run(&moto, &["plan"]).expect(0);
    assert!(
        plan.stdout.contains("auth changes from role to access-key"),
        "{}",
        plan.stdout
    );
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    assert!(!aws.role_exists("s3dest-w"));
    w.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);
    w.write_spec(&role);
    let plan = w.run(&moto, &["plan"]).expect(0);
    assert!(
        plan.stdout.contains("auth changes from access-key to role"),
        "{}",
        plan.stdout
    );
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    w.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);
    assert!(aws.role_exists("s3dest-w"));
}
