//! The bucket-policy lock against moto server: many applies at once keep every
//! statement (and without the lock they do not: the race it exists for); a stale lock
//! stops an apply before it changes anything, naming its owner, unless breaking it was
//! asked for; a live lock is waited for and never broken.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_config::{BehaviorVersion, Region};
use aws_sdk_s3::config::Credentials;
use aws_sdk_s3::primitives::ByteStream;
use serde_json::Value;

use s3dest_aws::{ApplyConfig, ApplyEvent, ApplyReport, Aws, Cloud, CloudError, LOCK_KEY};
use s3dest_core::model::{RoleDef, TAG_DESTINATION, TAG_SPEC};
use s3dest_core::plan::{Action, Address, Change, Op, Part, Plan};
use s3dest_moto::{MotoGuard, moto};
use s3dest_policy::{PolicyDocument, Statement};

const ACCOUNT: &str = "123456789012";
const BUCKET: &str = "shared";
/// Someone else's statement, in a spelling s3dest would never write.
const FOREIGN: &str = r#"{"Sid":"HandWritten","Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/reports/*"}"#;
/// The owner written into the locks these tests plant.
const OTHER_OWNER: &str = "bob@ci-runner-3 pid 4242";

async fn sdk_config(moto: &MotoGuard) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(moto.endpoint())
        .credentials_provider(Credentials::new(
            "testing", "testing", None, None, "fixture",
        ))
        .load()
        .await
}

async fn iam(moto: &MotoGuard) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(&sdk_config(moto).await)
}

async fn s3(moto: &MotoGuard) -> aws_sdk_s3::Client {
    let config = sdk_config(moto).await;
    let conf = aws_sdk_s3::config::Builder::from(&config)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// A bucket holding a policy with the foreign statement.
async fn setup(moto: &MotoGuard) -> aws_sdk_s3::Client {
    let s3 = s3(moto).await;
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    s3.put_bucket_policy()
        .bucket(BUCKET)
        .policy(format!(
            r#"{{"Version":"2012-10-17","Statement":[{FOREIGN}]}}"#
        ))
        .send()
        .await
        .unwrap();
    s3
}

/// A separate client, as a separate process would have.
async fn cloud(moto: &MotoGuard, config: ApplyConfig) -> Aws {
    Aws::from_endpoint(moto.endpoint(), "us-east-1")
        .await
        .unwrap()
        .with_apply_config(config)
}

fn statement(sid: &str) -> Statement {
    Statement::allow()
        .with_sid(sid)
        .with_principal_aws([format!("arn:aws:iam::111122223333:role/{sid}")])
        .with_actions(["s3:PutObject"])
        .with_resources([format!("arn:aws:s3:::{BUCKET}/{sid}/*")])
}

fn change(address: Address, action: Action, ops: Vec<Op>) -> Change {
    Change {
        address,
        action,
        before: None,
        after: None,
        reason: "test".to_owned(),
        ops,
    }
}

/// One change per Sid: put each of `puts`, delete each of `deletes`.
fn statements_plan(spec: &str, puts: &[String], deletes: &[String]) -> Plan {
    let mut changes: Vec<Change> = puts
        .iter()
        .map(|sid| {
            change(
                Address::statement(BUCKET, sid),
                Action::Create,
                vec![Op::PutStatement {
                    bucket: BUCKET.to_owned(),
                    statement: statement(sid),
                }],
            )
        })
        .collect();
    changes.extend(deletes.iter().map(|sid| {
        change(
            Address::statement(BUCKET, sid),
            Action::Delete,
            vec![Op::DeleteStatement {
                bucket: BUCKET.to_owned(),
                sid: sid.clone(),
            }],
        )
    }));
    Plan {
        spec: spec.to_owned(),
        account_id: ACCOUNT.to_owned(),
        changes,
        warnings: vec![],
        notes: vec![],
        errors: vec![],
        findings: vec![],
        access: vec![],
    }
}

/// A role, then a statement naming it: a plan with a change before the policy phase.
fn role_then_statement_plan() -> Plan {
    let trust = PolicyDocument::new(vec![
        Statement::allow()
            .with_principal_aws(["arn:aws:iam::111122223333:root"])
            .with_actions(["sts:AssumeRole"]),
    ]);
    let role = RoleDef {
        name: "s3dest-d".to_owned(),
        path: "/s3dest/".to_owned(),
        trust,
        tags: [(TAG_SPEC, "acme"), (TAG_DESTINATION, "d")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    };
    let mut plan = statements_plan("acme", &["S3destAcmeD".to_owned()], &[]);
    plan.changes.insert(
        0,
        change(
            Address::part("d", Part::Role),
            Action::Create,
            vec![Op::CreateRole { role }],
        ),
    );
    plan
}

/// Applies and records every event as `"<kind> <address or message>"`.
async fn apply(cloud: &Aws, plan: &Plan) -> (Result<ApplyReport, CloudError>, Vec<String>) {
    let events = Mutex::new(Vec::new());
    let record = |event: ApplyEvent<'_>| {
        let line = match event {
            ApplyEvent::Started(c) => format!("started {}", c.address),
            ApplyEvent::Done(c) => format!("done {}", c.address),
            ApplyEvent::Failed(c, e) => format!("failed {}: {e}", c.address),
            ApplyEvent::Warning(message) => format!("warning {message}"),
        };
        events.lock().unwrap().push(line);
    };
    let result = cloud.apply(plan, &record).await;
    (result, events.into_inner().unwrap())
}

async fn policy(s3: &aws_sdk_s3::Client) -> Value {
    let out = s3.get_bucket_policy().bucket(BUCKET).send().await.unwrap();
    serde_json::from_str(out.policy().unwrap()).unwrap()
}

async fn sids(s3: &aws_sdk_s3::Client) -> BTreeSet<String> {
    policy(s3).await["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Sid"].as_str().unwrap().to_owned())
        .collect()
}

/// The lock's ETag, `None` when there is no lock.
async fn lock_etag(s3: &aws_sdk_s3::Client) -> Option<String> {
    let out = s3
        .head_object()
        .bucket(BUCKET)
        .key(LOCK_KEY)
        .send()
        .await
        .ok()?;
    out.e_tag().map(str::to_owned)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Plants a lock as another apply (`OTHER_OWNER`, spec `other-team`) would have
/// written it: taken `age` seconds ago, with a lease to `now + remaining` (negative:
/// ran out).
async fn plant_lock(s3: &aws_sdk_s3::Client, age: u64, remaining: i64) {
    let created = now() - age;
    let expires = now().saturating_add_signed(remaining);
    s3.put_object()
        .bucket(BUCKET)
        .key(LOCK_KEY)
        .if_none_match("*")
        .metadata("s3dest-spec", "other-team")
        .metadata("s3dest-lock-owner", OTHER_OWNER)
        .metadata("s3dest-lock-created", created.to_string())
        .metadata("s3dest-lock-expires", expires.to_string())
        .body(ByteStream::from_static(b"{}"))
        .send()
        .await
        .unwrap();
}

fn quick(wait: Duration) -> ApplyConfig {
    ApplyConfig {
        lock_wait: wait,
        ..ApplyConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn six_applies_at_once_keep_every_statement() {
    let moto = moto();
    let s3 = setup(&moto).await;
    let mut clouds = Vec::new();
    for _ in 0..6 {
        clouds.push(cloud(&moto, ApplyConfig::default()).await);
    }
    let sid = |i: usize, round: usize, n: usize| format!("S3destT{i}R{round}N{n}");
    let mut expected: BTreeSet<String> = BTreeSet::from(["HandWritten".to_owned()]);
    for round in 0..3 {
        // Each apply puts two statements; from the second round on it also deletes one
        // of its own from the round before.
        let plans: Vec<Plan> = (0..clouds.len())
            .map(|i| {
                let puts = [sid(i, round, 0), sid(i, round, 1)];
                let deletes: Vec<String> = match round {
                    0 => vec![],
                    _ => vec![sid(i, round - 1, 0)],
                };
                expected.extend(puts.iter().cloned());
                for d in &deletes {
                    expected.remove(d);
                }
                statements_plan(&format!("team{i}"), &puts, &deletes)
            })
            .collect();
        let runs = clouds.iter().zip(&plans).map(|(c, p)| apply(c, p));
        for (result, events) in futures::future::join_all(runs).await {
            let report = result.unwrap();
            assert!(report.is_success(), "{report:#?} {events:#?}");
        }
        assert_eq!(sids(&s3).await, expected, "after round {round}");
    }
    assert_eq!(
        policy(&s3).await["Statement"][0],
        serde_json::from_str::<Value>(FOREIGN).unwrap(),
        "someone else's statement is kept byte for byte, in its place"
    );
    assert_eq!(lock_etag(&s3).await, None, "every lock was released");
}

/// The test above can fail: with the lock off, the same applies lose statements (each
/// reads the policy, and the last to write drops what the others added in between).
/// moto serves requests on threads, so the race shows at once (in the first round, in
/// every run tried while writing this); the loop stops at the first loss.
#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn without_the_lock_applies_at_once_lose_statements() {
    let moto = moto();
    let s3 = setup(&moto).await;
    let unlocked = ApplyConfig {
        lock_bucket_policies: false,
        ..ApplyConfig::default()
    };
    let mut clouds = Vec::new();
    for _ in 0..6 {
        clouds.push(cloud(&moto, unlocked.clone()).await);
    }
    let mut expected: BTreeSet<String> = BTreeSet::from(["HandWritten".to_owned()]);
    let mut lost = Vec::new();
    for round in 0..20 {
        let plans: Vec<Plan> = (0..clouds.len())
            .map(|i| {
                let sid = format!("S3destT{i}R{round}");
                expected.insert(sid.clone());
                statements_plan(&format!("team{i}"), &[sid], &[])
            })
            .collect();
        let runs = clouds.iter().zip(&plans).map(|(c, p)| apply(c, p));
        // Some applies may see the loss in their read back; all that matters here is
        // what the policy holds after.
        futures::future::join_all(runs).await;
        lost = expected.difference(&sids(&s3).await).cloned().collect();
        if !lost.is_empty() {
            break;
        }
    }
    assert!(
        !lost.is_empty(),
        "20 rounds of 6 unlocked applies at once lost nothing: the race the lock exists for did not show"
    );
    assert_eq!(lock_etag(&s3).await, None, "no lock was taken");
}

#[tokio::test]
async fn the_lock_is_taken_before_the_read_and_released_after_the_read_back() {
    let moto = moto();
    let s3 = setup(&moto).await;
    let cloud = cloud(&moto, ApplyConfig::default()).await;
    let plan = statements_plan("acme", &["S3destAcmeD".to_owned()], &[]);
    moto.start_recording();
    let (result, _) = apply(&cloud, &plan).await;
    moto.stop_recording();
    assert!(result.unwrap().is_success());
    let calls = moto.recorded_calls();
    let header = |call: &Value, name: &str| {
        call["headers"]
            .as_object()
            .unwrap()
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str().unwrap().to_owned())
    };
    let ops: Vec<String> = calls
        .iter()
        .map(|call| {
            let url = call["url"].as_str().unwrap();
            let what = if url.contains(LOCK_KEY) {
                "lock"
            } else if url.contains("policy") {
                "policy"
            } else {
                "other"
            };
            format!("{} {what}", call["method"].as_str().unwrap())
        })
        .filter(|op| !op.ends_with("other"))
        .collect();
    assert_eq!(
        ops,
        [
            "HEAD lock",   // no stale lock in the way
            "PUT lock",    // take it (If-None-Match: *)
            "GET policy",  // read inside the lock
            "PUT policy",  // write
            "GET policy",  // verify
            "DELETE lock", // release (If-Match)
        ]
    );
    let take = calls
        .iter()
        .find(|c| c["method"] == "PUT" && c["url"].as_str().unwrap().contains(LOCK_KEY))
        .unwrap();
    assert_eq!(header(take, "If-None-Match").as_deref(), Some("*"));
    assert_eq!(
        header(take, "x-amz-meta-s3dest-spec").as_deref(),
        Some("acme")
    );
    let owner = header(take, "x-amz-meta-s3dest-lock-owner").unwrap();
    assert!(
        owner.contains('@') && owner.ends_with(&format!(" pid {}", std::process::id())),
        "{owner}"
    );
    let created: u64 = header(take, "x-amz-meta-s3dest-lock-created")
        .unwrap()
        .parse()
        .unwrap();
    let expires: u64 = header(take, "x-amz-meta-s3dest-lock-expires")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(expires - created, 120, "the default lease");
    let release = calls
        .iter()
        .find(|c| c["method"] == "DELETE" && c["url"].as_str().unwrap().contains(LOCK_KEY))
        .unwrap();
    assert!(header(release, "If-Match").is_some());
    assert_eq!(lock_etag(&s3).await, None);
}

#[tokio::test]
async fn a_stale_lock_stops_the_apply_before_any_change_naming_its_owner() {
    let moto = moto();
    let s3 = setup(&moto).await;
    plant_lock(&s3, 600, -480).await;
    let etag = lock_etag(&s3).await;
    let before = policy(&s3).await;
    let cloud = cloud(&moto, ApplyConfig::default()).await;
    let (result, events) = apply(&cloud, &role_then_statement_plan()).await;
    let err = result.unwrap_err();
    assert!(matches!(err, CloudError::StaleLock { .. }), "{err}");
    let message = err.to_string();
    for part in [
        "bucket `shared`",
        LOCK_KEY,
        "spec `other-team`",
        OTHER_OWNER,
        // Ages to the minute: the seconds depend on how busy the machine is.
        ", 10m ",
        "its lease ran out 8m ",
        "s3dest apply --break-lock",
    ] {
        assert!(
            message.contains(part),
            "`{part}` is missing from: {message}"
        );
    }
    assert!(events.is_empty(), "{events:#?}");
    // GetBucketLocation (this client did not read first) and the lock's HeadObject.
    assert_eq!(cloud.calls(), 2);
    assert_eq!(policy(&s3).await, before);
    assert_eq!(lock_etag(&s3).await, etag, "the lock is left alone");
    assert!(
        iam(&moto)
            .await
            .get_role()
            .role_name("s3dest-d")
            .send()
            .await
            .is_err(),
        "the role of the first phase was not created"
    );
}

#[tokio::test]
async fn break_stale_lock_takes_the_lock_over_with_a_warning() {
    let moto = moto();
    let s3 = setup(&moto).await;
    plant_lock(&s3, 600, -480).await;
    let config = ApplyConfig {
        break_stale_lock: true,
        ..ApplyConfig::default()
    };
    let cloud = cloud(&moto, config).await;
    let (result, events) = apply(&cloud, &role_then_statement_plan()).await;
    let report = result.unwrap();
    assert!(report.is_success(), "{report:#?}");
    let warnings: Vec<&String> = events.iter().filter(|e| e.starts_with("warning")).collect();
    assert_eq!(warnings.len(), 1, "{events:#?}");
    for part in [
        "broke the stale bucket-policy lock of bucket `shared`",
        "spec `other-team`",
        OTHER_OWNER,
        ", 10m ",
    ] {
        assert!(
            warnings[0].contains(part),
            "`{part}` is missing: {}",
            warnings[0]
        );
    }
    assert!(sids(&s3).await.contains("S3destAcmeD"));
    assert_eq!(lock_etag(&s3).await, None, "taken over, then released");
}

#[tokio::test]
async fn a_live_lock_is_waited_for_then_the_apply_fails_and_it_is_never_broken() {
    let moto = moto();
    let s3 = setup(&moto).await;
    plant_lock(&s3, 5, 600).await;
    let etag = lock_etag(&s3).await;
    // Breaking stale locks allowed: a live one is still not broken.
    let config = ApplyConfig {
        break_stale_lock: true,
        ..quick(Duration::from_secs(1))
    };
    let cloud = cloud(&moto, config).await;
    let plan = statements_plan("acme", &["S3destAcmeD".to_owned()], &[]);
    let started = Instant::now();
    let (result, events) = apply(&cloud, &plan).await;
    let elapsed = started.elapsed();
    let report = result.unwrap();
    assert_eq!(report.failed.len(), 1, "{report:#?}");
    let err = &report.failed[0].1;
    assert!(matches!(err, CloudError::Conflict { .. }), "{err}");
    let message = err.to_string();
    for part in [
        "bucket `shared`",
        "being changed by another apply",
        "spec `other-team`",
        OTHER_OWNER,
        "waited ",
    ] {
        assert!(
            message.contains(part),
            "`{part}` is missing from: {message}"
        );
    }
    assert!(
        !events.iter().any(|e| e.starts_with("warning")),
        "{events:#?}"
    );
    assert!(
        elapsed >= Duration::from_millis(600) && elapsed < Duration::from_secs(10),
        "{elapsed:?}"
    );
    assert_eq!(lock_etag(&s3).await, etag, "the live lock is untouched");
    assert!(!sids(&s3).await.contains("S3destAcmeD"));
}

#[tokio::test]
async fn a_live_lock_released_meanwhile_is_then_taken() {
    let moto = moto();
    let s3 = setup(&moto).await;
    plant_lock(&s3, 5, 600).await;
    let cloud = cloud(&moto, quick(Duration::from_secs(30))).await;
    let plan = statements_plan("acme", &["S3destAcmeD".to_owned()], &[]);
    let holder = s3.clone();
    let release = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(800)).await;
        holder
            .delete_object()
            .bucket(BUCKET)
            .key(LOCK_KEY)
            .send()
            .await
            .unwrap();
    });
    let started = Instant::now();
    let (result, _) = apply(&cloud, &plan).await;
    release.await.unwrap();
    let report = result.unwrap();
    assert!(report.is_success(), "{report:#?}");
    assert!(started.elapsed() >= Duration::from_millis(800));
    assert!(sids(&s3).await.contains("S3destAcmeD"));
    assert_eq!(lock_etag(&s3).await, None);
}

#[tokio::test]
async fn a_lock_whose_lease_runs_out_while_waited_for_is_reported_not_taken() {
    let moto = moto();
    let s3 = setup(&moto).await;
    // Live when the apply starts; its holder never comes back.
    plant_lock(&s3, 100, 1).await;
    let etag = lock_etag(&s3).await;
    let cloud = cloud(&moto, quick(Duration::from_secs(30))).await;
    let plan = statements_plan("acme", &["S3destAcmeD".to_owned()], &[]);
    let started = Instant::now();
    let (result, _) = apply(&cloud, &plan).await;
    let report = result.unwrap();
    assert_eq!(report.failed.len(), 1, "{report:#?}");
    let err = &report.failed[0].1;
    assert!(matches!(err, CloudError::StaleLock { .. }), "{err}");
    assert!(err.to_string().contains("--break-lock"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(15));
    assert_eq!(lock_etag(&s3).await, etag);
}

/// A lock claiming a lease of years (planted, or written by a clock far ahead) would
/// block every apply forever, as a live lock is never broken: only `MAX_LEASE` of it
/// is honoured, counted from when it was written at the latest.
#[tokio::test]
async fn a_lock_claiming_a_lease_past_the_cap_is_stale_and_broken_with_break_lock() {
    let moto = moto();
    let s3 = setup(&moto).await;
    plant_lock(&s3, 20 * 60, 10 * 365 * 86_400).await;
    let plan = statements_plan("acme", &["S3destAcmeD".to_owned()], &[]);
    let cloud = cloud(&moto, quick(Duration::from_secs(5))).await;
    let (result, _) = apply(&cloud, &plan).await;
    let err = result.unwrap_err();
    assert!(matches!(err, CloudError::StaleLock { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains(
            "; it claims a lease longer than the 15m 0s s3dest honours, which ran out 5m "
        ),
        "{message}"
    );
    let config = ApplyConfig {
        break_stale_lock: true,
        ..quick(Duration::from_secs(5))
    };
    let cloud = self::cloud(&moto, config).await;
    let (result, events) = apply(&cloud, &plan).await;
    assert!(result.unwrap().is_success(), "{events:#?}");
    assert!(sids(&s3).await.contains("S3destAcmeD"));
    assert_eq!(lock_etag(&s3).await, None, "taken over, then released");
}
