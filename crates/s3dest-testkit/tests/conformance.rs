//! The conformance suite (`s3dest_testkit::conformance`), run four ways, one test per
//! case and way:
//! - `memory`: against `MemoryCloud`, which is its own scene;
//! - `moto`: against `Aws` on the process's moto server, the scene set with plain SDK
//!   clients;
//! - `fidelity`: the same through the fidelity proxy, which makes moto page (2 items
//!   a page), percent-encode IAM documents, rewrite deleted principals, keep bucket
//!   policies as S3 does and answer SSE-S3 for a bucket without an encryption
//!   configuration;
//! - `faults`: as `fidelity` (the scene talking to moto directly), first without
//!   faults, then on a fresh moto with 5 % of the cloud's requests faulted (throttling, 5xx, resets before or
//!   after moto acted, latency; seeded per case). A case may then fail with an error,
//!   but when it succeeds its outcome must be exactly the fault-free one.
//!
//! Tests using moto hold its guard for their whole run (one at a time per process).

use s3dest_aws::Aws;
use s3dest_moto::{Behaviours, FaultPlan, MotoGuard, moto, moto_with};
use s3dest_testkit::{MemoryCloud, SdkScene, conformance, for_each_case};

fn realistic() -> Behaviours {
    Behaviours {
        page_size: Some(2),
        encode_iam_documents: true,
        rewrite_deleted_principals: true,
        realistic_bucket_policies: true,
        sse_s3_by_default: true,
        ..Behaviours::default()
    }
}

/// The fault plan of one case: the same seed every run, a different one per case.
fn faulty(case: &str) -> Behaviours {
    let seed = case.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    Behaviours {
        faults: Some(FaultPlan {
            rate: 0.05,
            seed,
            ..FaultPlan::default()
        }),
        ..realistic()
    }
}

async fn aws(moto: &MotoGuard) -> Aws {
    Aws::from_endpoint(moto.endpoint(), "us-east-1")
        .await
        .expect("clients for moto")
}

macro_rules! memory_runs {
    ($($case:ident),* $(,)?) => {
        mod memory {
            use super::*;
            $(
                #[tokio::test]
                async fn $case() {
                    let cloud = MemoryCloud::new();
                    conformance::$case(&cloud, &cloud)
                        .await
                        .expect("no error without faults");
                }
            )*
        }
    };
}

macro_rules! moto_runs {
    ($($case:ident),* $(,)?) => {
        mod moto {
            use super::*;
            $(
                #[tokio::test]
                async fn $case() {
                    let moto = moto();
                    let scene = SdkScene::new(moto.endpoint()).await;
                    conformance::$case(&aws(&moto).await, &scene)
                        .await
                        .expect("no error without faults");
                }
            )*
        }
    };
}

macro_rules! fidelity_runs {
    ($($case:ident),* $(,)?) => {
        mod fidelity {
            use super::*;
            $(
                #[tokio::test]
                async fn $case() {
                    let moto = moto_with(realistic());
                    let scene = SdkScene::new(moto.endpoint()).await;
                    conformance::$case(&aws(&moto).await, &scene)
                        .await
                        .expect("no error without faults");
                }
            )*
        }
    };
}

macro_rules! fault_runs {
    ($($case:ident),* $(,)?) => {
        mod faults {
            use super::*;
            $(
                #[tokio::test]
                async fn $case() {
                    // The scene's own requests are not under test: they go to moto
                    // directly, in both runs, and never meet a fault.
                    let expected = {
                        let moto = moto_with(realistic());
                        let scene = SdkScene::new(moto.moto_endpoint()).await;
                        conformance::$case(&aws(&moto).await, &scene)
                            .await
                            .expect("no error without faults")
                    };
                    let moto = moto_with(faulty(stringify!($case)));
                    let fidelity = moto.fidelity();
                    let scene = SdkScene::new(moto.moto_endpoint()).await;
                    match conformance::$case(&aws(&moto).await, &scene).await {
                        Ok(outcome) => assert_eq!(outcome, expected, "a wrong result under faults"),
                        Err(_) => assert!(
                            fidelity.stats().faults.values().sum::<u64>() > 0,
                            "an error, but no fault was injected"
                        ),
                    }
                }
            )*
        }
    };
}

for_each_case!(memory_runs);
for_each_case!(moto_runs);
for_each_case!(fidelity_runs);
for_each_case!(fault_runs);
