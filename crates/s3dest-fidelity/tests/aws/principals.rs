//! Principals as IAM knows them: not yet for a role just created, by unique id for a
//! role deleted; and IAM's percent-encoded documents.

use std::time::{Duration, Instant};

use aws_sdk_iam::error::ProvideErrorMetadata;
use s3dest_moto::{Behaviours, moto_with};
use serde_json::Value;

use crate::{allow_role, bucket_policy, create_role, iam, role_arn, s3};

fn trusting(principal: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"sts:AssumeRole"}}]}}"#
    )
}

#[tokio::test]
async fn a_new_role_is_not_a_principal_until_it_has_propagated() {
    let delay = Duration::from_secs(2);
    let moto = moto_with(Behaviours {
        propagation_delay: Some(delay),
        ..Behaviours::default()
    });
    let (iam, s3) = (iam(&moto).await, s3(&moto).await);
    s3.create_bucket()
        .bucket("propagation")
        .send()
        .await
        .unwrap();
    let created = Instant::now();
    let arn = create_role(&iam, "fresh").await.arn;
    let policy = bucket_policy(&[allow_role("Fresh", &arn, "propagation")]);
    let error = s3
        .put_bucket_policy()
        .bucket("propagation")
        .policy(&policy)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("MalformedPolicy"));
    assert_eq!(error.message(), Some("Invalid principal in policy"));

    create_role(&iam, "truster").await;
    let error = iam
        .update_assume_role_policy()
        .role_name("truster")
        .policy_document(trusting(&arn))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("MalformedPolicyDocument"));
    assert_eq!(
        error.message(),
        Some(format!("Invalid principal in policy: \"AWS\":\"{arn}\"").as_str())
    );

    tokio::time::sleep(delay.saturating_sub(created.elapsed()) + Duration::from_millis(100)).await;
    s3.put_bucket_policy()
        .bucket("propagation")
        .policy(&policy)
        .send()
        .await
        .unwrap();
    iam.update_assume_role_policy()
        .role_name("truster")
        .policy_document(trusting(&arn))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_deleted_role_shows_as_its_unique_id() {
    let moto = moto_with(Behaviours {
        rewrite_deleted_principals: true,
        ..Behaviours::default()
    });
    let (iam, s3) = (iam(&moto).await, s3(&moto).await);
    s3.create_bucket().bucket("orphans").send().await.unwrap();
    let role = create_role(&iam, "doomed").await;
    assert!(role.role_id.starts_with("AROA"), "{}", role.role_id);
    assert_eq!(role.arn, role_arn("doomed"));
    let policy = bucket_policy(&[allow_role("Doomed", &role.arn, "orphans")]);
    s3.put_bucket_policy()
        .bucket("orphans")
        .policy(&policy)
        .send()
        .await
        .unwrap();
    iam.create_role()
        .role_name("truster")
        .assume_role_policy_document(trusting(&role.arn))
        .send()
        .await
        .unwrap();

    moto.start_recording();
    iam.delete_role().role_name("doomed").send().await.unwrap();
    moto.stop_recording();
    assert_eq!(
        moto.recorded_calls().len(),
        1,
        "the proxy's GetRole is not the client's"
    );
    assert_eq!(moto.fidelity().stats().count("GetRole"), 0);

    let shown = s3
        .get_bucket_policy()
        .bucket("orphans")
        .send()
        .await
        .unwrap();
    let shown: Value = serde_json::from_str(shown.policy().unwrap()).unwrap();
    assert_eq!(
        shown["Statement"][0]["Principal"]["AWS"],
        role.role_id.as_str()
    );
    let trust = iam
        .get_role()
        .role_name("truster")
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    let document = trust.assume_role_policy_document.unwrap();
    let decoded = percent_encoding::percent_decode_str(&document)
        .decode_utf8()
        .unwrap()
        .into_owned();
    assert!(decoded.contains(&role.role_id), "{decoded}");
    assert!(!decoded.contains(&role.arn), "{decoded}");

    let again = s3
        .put_bucket_policy()
        .bucket("orphans")
        .policy(shown.to_string())
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        again.code(),
        Some("MalformedPolicy"),
        "a unique id is not a valid principal"
    );
}

#[tokio::test]
async fn account_details_carry_percent_encoded_documents() {
    let moto = moto_with(Behaviours::default());
    let iam = iam(&moto).await;
    create_role(&iam, "encoded").await;
    let document = |details: aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsOutput| {
        details.role_detail_list()[0].assume_role_policy_document().unwrap().to_owned()
    };
    let plain = document(
        iam.get_account_authorization_details()
            .send()
            .await
            .unwrap(),
    );
    assert!(plain.starts_with('{'), "moto sends them plain: {plain}");
    moto.fidelity().set(Behaviours {
        encode_iam_documents: true,
        ..Behaviours::default()
    });
    let encoded = document(
        iam.get_account_authorization_details()
            .send()
            .await
            .unwrap(),
    );
    assert!(encoded.starts_with("%7B%22Version%22"), "{encoded}");
    let decoded = percent_encoding::percent_decode_str(&encoded)
        .decode_utf8()
        .unwrap();
    let (a, b): (Value, Value) = (
        serde_json::from_str(&decoded).unwrap(),
        serde_json::from_str(&plain).unwrap(),
    );
    assert_eq!(a, b);
}
