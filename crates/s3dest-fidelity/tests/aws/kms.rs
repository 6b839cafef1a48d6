//! SSE-KMS buckets: ETags that are not the MD5 of the content, and the encryption
//! headers, configured or learned from PutBucketEncryption; GetBucketEncryption as AWS
//! answers it (the configuration's algorithm and key, SSE-S3 without one).

use std::collections::BTreeMap;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
    ServerSideEncryptionRule,
};
use s3dest_moto::{Behaviours, moto_with};

use crate::s3;

const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
/// MD5 of "hello".
const HELLO_MD5: &str = "\"5d41402abc4b2a76b9719d911017c592\"";

#[tokio::test]
async fn kms_buckets_give_etags_that_are_not_md5() {
    let moto = moto_with(Behaviours {
        kms_buckets: BTreeMap::from([("sealed".to_owned(), KEY.to_owned())]),
        ..Behaviours::default()
    });
    let s3 = s3(&moto).await;
    for bucket in ["sealed", "plain"] {
        s3.create_bucket().bucket(bucket).send().await.unwrap();
        s3.put_object()
            .bucket(bucket)
            .key("k")
            .body(ByteStream::from_static(b"hello"))
            .send()
            .await
            .unwrap();
    }
    let plain = s3
        .head_object()
        .bucket("plain")
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(
        plain.e_tag(),
        Some(HELLO_MD5),
        "other buckets are left alone"
    );

    let put = s3
        .put_object()
        .bucket("sealed")
        .key("k")
        .body(ByteStream::from_static(b"hello"))
        .send()
        .await
        .unwrap();
    let etag = put.e_tag().unwrap().to_owned();
    assert_ne!(etag, HELLO_MD5);
    assert_eq!(etag.len(), 34);
    assert_eq!(
        put.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );
    assert_eq!(put.ssekms_key_id(), Some(KEY));

    let head = s3
        .head_object()
        .bucket("sealed")
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(head.e_tag(), Some(etag.as_str()));
    assert_eq!(head.ssekms_key_id(), Some(KEY));
    let listed = s3.list_objects_v2().bucket("sealed").send().await.unwrap();
    assert_eq!(listed.contents()[0].e_tag(), Some(etag.as_str()));
    let got = s3
        .get_object()
        .bucket("sealed")
        .key("k")
        .if_match(&etag)
        .send()
        .await
        .unwrap();
    assert_eq!(got.e_tag(), Some(etag.as_str()));
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        b"hello"
    );

    let copied = s3
        .copy_object()
        .bucket("sealed")
        .key("copy")
        .copy_source("sealed/k")
        .send()
        .await
        .unwrap();
    let copy_etag = copied.copy_object_result().and_then(|r| r.e_tag()).unwrap();
    assert_ne!(copy_etag, HELLO_MD5);

    let encryption = s3
        .get_bucket_encryption()
        .bucket("sealed")
        .send()
        .await
        .unwrap();
    let rule = &encryption
        .server_side_encryption_configuration()
        .unwrap()
        .rules()[0];
    let default = rule.apply_server_side_encryption_by_default().unwrap();
    assert_eq!(default.sse_algorithm(), &ServerSideEncryption::AwsKms);
    assert_eq!(default.kms_master_key_id(), Some(KEY));
}

#[tokio::test]
async fn put_bucket_encryption_with_kms_makes_a_kms_bucket() {
    let moto = moto_with(Behaviours::default());
    let s3 = s3(&moto).await;
    s3.create_bucket().bucket("learns").send().await.unwrap();
    let before = s3
        .put_object()
        .bucket("learns")
        .key("k")
        .body(ByteStream::from_static(b"hello"))
        .send()
        .await
        .unwrap();
    assert_eq!(before.e_tag(), Some(HELLO_MD5));
    let by_default = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(ServerSideEncryption::AwsKms)
        .kms_master_key_id(KEY)
        .build()
        .unwrap();
    let configuration = ServerSideEncryptionConfiguration::builder()
        .rules(
            ServerSideEncryptionRule::builder()
                .apply_server_side_encryption_by_default(by_default)
                .build(),
        )
        .build()
        .unwrap();
    s3.put_bucket_encryption()
        .bucket("learns")
        .server_side_encryption_configuration(configuration)
        .send()
        .await
        .unwrap();
    let after = s3
        .put_object()
        .bucket("learns")
        .key("k")
        .body(ByteStream::from_static(b"hello"))
        .send()
        .await
        .unwrap();
    assert_ne!(after.e_tag(), Some(HELLO_MD5));
    assert_eq!(after.ssekms_key_id(), Some(KEY));
}

fn configuration(
    algorithm: ServerSideEncryption,
    key: Option<&str>,
) -> ServerSideEncryptionConfiguration {
    let by_default = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(algorithm)
        .set_kms_master_key_id(key.map(str::to_owned))
        .build()
        .unwrap();
    ServerSideEncryptionConfiguration::builder()
        .rules(
            ServerSideEncryptionRule::builder()
                .apply_server_side_encryption_by_default(by_default)
                .build(),
        )
        .build()
        .unwrap()
}

/// The first rule's algorithm and key, or the error code.
async fn default_encryption(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<(ServerSideEncryption, Option<String>), String> {
    let out = s3
        .get_bucket_encryption()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| e.code().unwrap_or("no code").to_owned())?;
    let rule = &out.server_side_encryption_configuration().unwrap().rules()[0];
    let default = rule.apply_server_side_encryption_by_default().unwrap();
    Ok((
        default.sse_algorithm().clone(),
        default.kms_master_key_id().map(str::to_owned),
    ))
}

#[tokio::test]
async fn get_bucket_encryption_names_the_algorithm_and_only_a_named_key() {
    let moto = moto_with(Behaviours::default());
    let s3 = s3(&moto).await;
    let cases = [
        ("managed", ServerSideEncryption::AwsKms, None),
        ("dual", ServerSideEncryption::AwsKmsDsse, Some(KEY)),
    ];
    for (bucket, algorithm, key) in cases {
        s3.create_bucket().bucket(bucket).send().await.unwrap();
        s3.put_bucket_encryption()
            .bucket(bucket)
            .server_side_encryption_configuration(configuration(algorithm.clone(), key))
            .send()
            .await
            .unwrap();
        // AWS names no key for `aws/s3`, and keeps DSSE-KMS as it was put.
        assert_eq!(
            default_encryption(&s3, bucket).await,
            Ok((algorithm.clone(), key.map(str::to_owned))),
            "{bucket}"
        );
        let put = s3
            .put_object()
            .bucket(bucket)
            .key("k")
            .body(ByteStream::from_static(b"hello"))
            .send()
            .await
            .unwrap();
        assert_eq!(put.server_side_encryption(), Some(&algorithm), "{bucket}");
        assert!(put.ssekms_key_id().is_some(), "objects name their key");
    }
}

#[tokio::test]
async fn sse_s3_by_default_answers_as_aws_for_a_bucket_without_configuration() {
    let moto = moto_with(Behaviours::default());
    let s3 = s3(&moto).await;
    s3.create_bucket().bucket("fresh").send().await.unwrap();
    assert_eq!(
        default_encryption(&s3, "fresh").await,
        Err("ServerSideEncryptionConfigurationNotFoundError".to_owned()),
        "moto, left alone"
    );
    moto.fidelity().set(Behaviours {
        sse_s3_by_default: true,
        ..Behaviours::default()
    });
    assert_eq!(
        default_encryption(&s3, "fresh").await,
        Ok((ServerSideEncryption::Aes256, None))
    );
    s3.put_bucket_encryption()
        .bucket("fresh")
        .server_side_encryption_configuration(configuration(
            ServerSideEncryption::AwsKms,
            Some(KEY),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        default_encryption(&s3, "fresh").await,
        Ok((ServerSideEncryption::AwsKms, Some(KEY.to_owned()))),
        "a configuration wins"
    );
    let missing = s3.get_bucket_encryption().bucket("absent").send().await;
    assert_eq!(
        missing.unwrap_err().code(),
        Some("NoSuchBucket"),
        "a missing bucket is still missing"
    );
}
