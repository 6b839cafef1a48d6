//! Injected faults as the SDK meets them: throttling it retries, lost replies of
//! writes that happened, connections cut in the middle of a body.

use std::time::{Duration, Instant};

use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use s3dest_moto::{Behaviours, FaultKind, FaultPlan, ScheduledFault, moto_with};

use crate::{Raw, TRUST_EC2, iam, s3_at, sdk_config};

fn scheduled(operation: &str, nth: u64, fault: FaultKind) -> Behaviours {
    Behaviours {
        faults: Some(FaultPlan {
            schedule: vec![ScheduledFault {
                operation: operation.to_owned(),
                nth,
                fault,
            }],
            ..FaultPlan::default()
        }),
        ..Behaviours::default()
    }
}

#[tokio::test]
async fn a_lost_reply_to_create_role_leaves_the_role_created() {
    let moto = moto_with(scheduled("CreateRole", 1, FaultKind::ResetAfterForward));
    let iam = iam(&moto).await;
    let error = iam
        .create_role()
        .role_name("lost-reply")
        .assume_role_policy_document(TRUST_EC2)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error.code(),
        Some("EntityAlreadyExists"),
        "the retry finds it done: {error:?}"
    );
    let role = iam.get_role().role_name("lost-reply").send().await.unwrap();
    assert_eq!(role.role.unwrap().role_name, "lost-reply");
    let stats = moto.fidelity().stats();
    assert_eq!(stats.count("CreateRole"), 2);
    assert_eq!(stats.faults_of("ResetAfterForward"), 1);
}

#[tokio::test]
async fn throttling_is_retried_by_the_sdk_and_counted() {
    let moto = moto_with(scheduled("ListRoles", 1, FaultKind::Throttling));
    iam(&moto).await.list_roles().send().await.unwrap();
    let stats = moto.fidelity().stats();
    assert_eq!(
        (stats.count("ListRoles"), stats.faults_of("Throttling")),
        (2, 1)
    );

    moto.fidelity()
        .set(scheduled("ListRoles", 1, FaultKind::Throttling));
    let once = aws_sdk_iam::Client::new(&sdk_config(moto.endpoint(), 1).await);
    let error = once.list_roles().send().await.unwrap_err();
    assert_eq!(error.code(), Some("Throttling"));
    assert_eq!(error.message(), Some("Rate exceeded"));
}

#[tokio::test]
async fn a_reset_before_forward_never_reaches_moto() {
    let moto = moto_with(scheduled("CreateBucket", 1, FaultKind::ResetBeforeForward));
    let s3 = s3_at(moto.endpoint(), 1).await;
    let error = s3
        .create_bucket()
        .bucket("never-made")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(error, aws_sdk_s3::error::SdkError::DispatchFailure(_)),
        "{error:?}"
    );
    let direct = s3_at(moto.moto_endpoint(), 1).await;
    let buckets = direct.list_buckets().send().await.unwrap();
    assert!(
        buckets
            .buckets()
            .iter()
            .all(|b| b.name() != Some("never-made"))
    );
}

#[tokio::test]
async fn a_reply_cut_mid_body_fails_the_read() {
    let moto = moto_with(Behaviours::default());
    let s3 = s3_at(moto.endpoint(), 1).await;
    s3.create_bucket().bucket("cut").send().await.unwrap();
    let content = vec![b'x'; 64 * 1024];
    s3.put_object()
        .bucket("cut")
        .key("big")
        .body(ByteStream::from(content.clone()))
        .send()
        .await
        .unwrap();
    moto.fidelity()
        .set(scheduled("GetObject", 1, FaultKind::ResetMidResponse));
    let outcome = match s3.get_object().bucket("cut").key("big").send().await {
        Err(e) => Err(format!("{e:?}")),
        Ok(object) => object
            .body
            .collect()
            .await
            .map(|b| b.into_bytes().len())
            .map_err(|e| e.to_string()),
    };
    assert!(
        outcome.is_err(),
        "the body must not arrive whole: {outcome:?}"
    );
    assert_eq!(moto.fidelity().stats().faults_of("ResetMidResponse"), 1);
    let again = s3
        .get_object()
        .bucket("cut")
        .key("big")
        .send()
        .await
        .unwrap();
    assert_eq!(
        again.body.collect().await.unwrap().into_bytes().len(),
        content.len()
    );
}

#[tokio::test]
async fn errors_come_in_each_services_format() {
    let moto = moto_with(scheduled("ListBuckets", 1, FaultKind::InternalError));
    let s3 = s3_at(moto.endpoint(), 1).await;
    let error = s3.list_buckets().send().await.unwrap_err();
    assert_eq!(error.code(), Some("InternalError"));
    moto.fidelity()
        .set(scheduled("HeadBucket", 1, FaultKind::SlowDown));
    s3.create_bucket().bucket("slow").send().await.unwrap();
    let error = s3.head_bucket().bucket("slow").send().await.unwrap_err();
    assert_eq!(error.raw_response().map(|r| r.status().as_u16()), Some(503));

    moto.fidelity().set(Behaviours {
        faults: Some(FaultPlan {
            rate: 1.0,
            operations: ["ListSecrets".to_owned()].into(),
            kinds: vec![FaultKind::ThrottlingException],
            ..FaultPlan::default()
        }),
        ..Behaviours::default()
    });
    let sm = aws_sdk_secretsmanager::Client::new(&sdk_config(moto.endpoint(), 1).await);
    let error = sm.list_secrets().send().await.unwrap_err();
    assert_eq!(error.code(), Some("ThrottlingException"));
    sm.create_secret()
        .name("out-of-scope")
        .secret_string("v")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn latency_delays_without_failing() {
    let moto = moto_with(scheduled(
        "*",
        1,
        FaultKind::Latency(Duration::from_millis(400)),
    ));
    let s3 = s3_at(moto.endpoint(), 1).await;
    let started = Instant::now();
    s3.list_buckets().send().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(moto.fidelity().stats().faults_of("Latency"), 1);
}

#[tokio::test]
async fn a_seeded_rate_gives_the_same_faults_each_run() {
    let moto = moto_with(Behaviours::default());
    let plan = Behaviours {
        faults: Some(FaultPlan {
            rate: 0.5,
            seed: 11,
            kinds: vec![FaultKind::ServiceUnavailable],
            ..FaultPlan::default()
        }),
        ..Behaviours::default()
    };
    let mut runs = Vec::new();
    for _ in 0..2 {
        moto.fidelity().set(plan.clone());
        let mut raw = Raw::connect(moto.endpoint());
        let statuses: Vec<u16> = (0..20)
            .map(|_| raw.request("GET", "/", &[], b"").unwrap().status)
            .collect();
        runs.push(statuses);
    }
    assert_eq!(runs[0], runs[1]);
    let faults = runs[0].iter().filter(|&&s| s == 503).count();
    assert!((3..=17).contains(&faults), "{:?}", runs[0]);
}

#[tokio::test]
async fn sts_is_told_apart_from_iam() {
    let moto = moto_with(scheduled("GetCallerIdentity", 1, FaultKind::InternalError));
    let sts = aws_sdk_sts::Client::new(&sdk_config(moto.endpoint(), 1).await);
    let error = sts.get_caller_identity().send().await.unwrap_err();
    assert_eq!(
        error.code(),
        Some("InternalFailure"),
        "STS's own code: {error:?}"
    );
    let identity = sts.get_caller_identity().send().await.unwrap();
    assert_eq!(identity.account(), Some(crate::ACCOUNT));
    let stats = moto.fidelity().stats();
    assert_eq!(
        (
            stats.count("GetCallerIdentity"),
            stats.faults_of("InternalError")
        ),
        (2, 1)
    );
}
