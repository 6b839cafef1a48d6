//! Bucket policies evaluated as AWS evaluates them for a TLS client, and conditional
//! deletes refused as LocalStack refuses them.

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use s3dest_moto::{Behaviours, moto_with};
use serde_json::Value;

use crate::{allow_role, bucket_policy, create_role, iam, s3, s3_at};

const BUCKET: &str = "guarded";

fn seeded_policy(vendor_role: &str) -> String {
    bucket_policy(&[
        format!(
            r#"{{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::{BUCKET}","arn:aws:s3:::{BUCKET}/*"],"Condition":{{"Bool":{{"aws:SecureTransport":"false"}}}}}}"#
        ),
        format!(
            r#"{{"Sid":"DenyUnencryptedUploads","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::{BUCKET}/*","Condition":{{"StringNotEquals":{{"s3:x-amz-server-side-encryption":"AES256"}}}}}}"#
        ),
        allow_role("Vendor", vendor_role, BUCKET),
    ])
}

#[tokio::test]
async fn deny_statements_are_evaluated_for_a_tls_client() {
    let moto = moto_with(Behaviours {
        realistic_bucket_policies: true,
        ..Behaviours::default()
    });
    let (iam, s3) = (iam(&moto).await, s3(&moto).await);
    let vendor = create_role(&iam, "vendor").await.arn;
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    let policy = seeded_policy(&vendor);
    s3.put_bucket_policy()
        .bucket(BUCKET)
        .policy(&policy)
        .send()
        .await
        .unwrap();

    s3.put_object()
        .bucket(BUCKET)
        .key("exports/ok.csv")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .body(ByteStream::from_static(b"a,b"))
        .send()
        .await
        .expect("an encrypted upload over TLS is allowed");
    let error = s3
        .put_object()
        .bucket(BUCKET)
        .key("exports/plain.csv")
        .body(ByteStream::from_static(b"a,b"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("AccessDenied"));
    assert_eq!(error.raw_response().map(|r| r.status().as_u16()), Some(403));
    s3.get_object()
        .bucket(BUCKET)
        .key("exports/ok.csv")
        .send()
        .await
        .expect("reads are not denied");

    let shown = s3.get_bucket_policy().bucket(BUCKET).send().await.unwrap();
    let shown: Value = serde_json::from_str(shown.policy().unwrap()).unwrap();
    assert_eq!(
        shown,
        serde_json::from_str::<Value>(&policy).unwrap(),
        "the whole policy, as put"
    );
    let direct = s3_at(moto.moto_endpoint(), 1).await;
    let at_moto = direct
        .get_bucket_policy()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    let at_moto: Value = serde_json::from_str(at_moto.policy().unwrap()).unwrap();
    let sids: Vec<_> = at_moto["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Sid"].clone())
        .collect();
    assert_eq!(
        sids,
        ["Vendor"],
        "moto holds only the statements for named principals"
    );

    s3.delete_bucket_policy()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    let error = s3
        .get_bucket_policy()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("NoSuchBucketPolicy"));
    s3.put_object()
        .bucket(BUCKET)
        .key("exports/plain.csv")
        .body(ByteStream::from_static(b"a,b"))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_policy_only_for_everyone_leaves_moto_without_one() {
    let moto = moto_with(Behaviours {
        realistic_bucket_policies: true,
        ..Behaviours::default()
    });
    let s3 = s3(&moto).await;
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    let only_public = bucket_policy(&[format!(
        r#"{{"Sid":"DenyNull","Effect":"Deny","Principal":{{"AWS":"*"}},"Action":"s3:PutObject","Resource":"arn:aws:s3:::{BUCKET}/*","Condition":{{"Null":{{"s3:x-amz-server-side-encryption":"true"}}}}}}"#
    )]);
    s3.put_bucket_policy()
        .bucket(BUCKET)
        .policy(&only_public)
        .send()
        .await
        .unwrap();
    let direct = s3_at(moto.moto_endpoint(), 1).await;
    let error = direct
        .get_bucket_policy()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("NoSuchBucketPolicy"));
    assert!(s3.get_bucket_policy().bucket(BUCKET).send().await.is_ok());
    let error = s3
        .put_object()
        .bucket(BUCKET)
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("AccessDenied"));
    s3.put_object()
        .bucket(BUCKET)
        .key("k")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn conditional_deletes_are_not_implemented() {
    let moto = moto_with(Behaviours {
        conditional_delete_not_implemented: true,
        ..Behaviours::default()
    });
    let s3 = s3_at(moto.endpoint(), 1).await;
    s3.create_bucket().bucket("markers").send().await.unwrap();
    let put = s3
        .put_object()
        .bucket("markers")
        .key("folder/")
        .body(ByteStream::from_static(b""))
        .send()
        .await
        .unwrap();
    let error = s3
        .delete_object()
        .bucket("markers")
        .key("folder/")
        .if_match(put.e_tag().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("NotImplemented"));
    assert_eq!(error.raw_response().map(|r| r.status().as_u16()), Some(501));
    s3.head_object()
        .bucket("markers")
        .key("folder/")
        .send()
        .await
        .expect("not deleted");
    s3.delete_object()
        .bucket("markers")
        .key("folder/")
        .send()
        .await
        .expect("plain deletes still work");
}

/// Why the behaviour exists: without it, the same upload fails.
#[tokio::test]
async fn moto_alone_denies_what_aws_would_allow() {
    let moto = moto_with(Behaviours::default());
    let (iam, s3) = (iam(&moto).await, s3(&moto).await);
    let vendor = create_role(&iam, "vendor").await.arn;
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    s3.put_bucket_policy()
        .bucket(BUCKET)
        .policy(seeded_policy(&vendor))
        .send()
        .await
        .unwrap();
    let outcome = s3
        .put_object()
        .bucket(BUCKET)
        .key("exports/ok.csv")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .body(ByteStream::from_static(b"a,b"))
        .send()
        .await;
    let status = outcome
        .err()
        .and_then(|e| e.raw_response().map(|r| r.status().as_u16()));
    assert_eq!(
        status,
        Some(403),
        "moto evaluates the TLS deny against plain HTTP"
    );
}
