//! A spec pinned to its account (`account:`), against moto: with credentials of another
//! account every command that reads AWS refuses after the STS call and before any
//! other, and changes nothing (`import` with `--account`); with the right account it
//! works as before.

mod support;

use support::{Workdir, account_env, aws, moto};

const SPEC: &str = "version: 1\nname: acme\naccount: \"123456789012\"\nbuckets:\n  acme-exports: {}\ndestinations:\n  walkme: { vendor: walkme, bucket: acme-exports, folder: walkme }\n";

#[test]
fn credentials_of_another_account_are_refused_before_any_other_call() {
    let moto = moto();
    aws(&moto).create_bucket("acme-exports");
    let w = Workdir::new(SPEC);
    let other = account_env(&moto, "210987654321");
    let env: Vec<(&str, &str)> = other.iter().map(|(k, v)| (*k, v.as_str())).collect();
    // A plan saved with the right credentials, applied with the wrong ones.
    w.run(&moto, &["plan", "--out", "tfplan"]).expect(0);
    let mut refused = String::new();
    for args in [
        &["plan"][..],
        &["apply", "--auto-approve"],
        &["apply", "tfplan"],
        &["outputs"],
        &["access"],
        &["import", "--account", "123456789012"],
    ] {
        moto.start_recording();
        let run = w.run_with_env(&moto, args, &env).expect(1);
        moto.stop_recording();
        let operations: Vec<String> = moto
            .recorded_calls()
            .iter()
            .map(support::operation)
            .collect();
        assert_eq!(operations, ["GetCallerIdentity"], "{args:?}");
        refused += &format!("$ s3dest {}\n{}{}", args.join(" "), run.stdout, run.stderr);
    }
    insta::assert_snapshot!("refused", refused);
    assert!(!aws(&moto).role_exists("s3dest-walkme"));
    // The pinned account's own credentials work as before.
    w.run(&moto, &["apply", "--auto-approve"]).expect(0);
    w.run(&moto, &["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn an_account_that_is_not_twelve_digits_is_a_spec_error() {
    let w = Workdir::new(&SPEC.replace("\"123456789012\"", "\"12345\""));
    let run = w.run_offline(&["validate"]).expect(1);
    insta::assert_snapshot!("bad_account", run.stderr);
}
