//! Setting the scene for a conformance case: what the `Cloud` trait cannot create
//! (someone else's roles, statements and objects), and looking at what it never reads
//! (a policy's exact text, a secret's value).

use std::future::Future;

use aws_config::{BehaviorVersion, Region};
use aws_sdk_s3::config::Credentials;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use s3dest_core::model::{BucketEncryption, KmsKey, ObjectLock};
use serde_json::Value;

use crate::MemoryCloud;

/// The world around the cloud under test. Its steps are not under test: they panic
/// when they fail.
pub trait Scene {
    /// A bucket made outside s3dest.
    fn create_bucket(&self, bucket: &str, region: &str) -> impl Future<Output = ()>;
    /// A bucket made outside s3dest with Object Lock enabled.
    fn create_bucket_with_object_lock(
        &self,
        bucket: &str,
        region: &str,
    ) -> impl Future<Output = ()>;
    /// Sets the bucket's default encryption (`None`: deletes its configuration;
    /// `Unknown` cannot be set).
    fn put_bucket_encryption(
        &self,
        bucket: &str,
        encryption: &BucketEncryption,
    ) -> impl Future<Output = ()>;
    /// Replaces the bucket's policy with this text, as another tool would.
    fn put_bucket_policy(&self, bucket: &str, policy: &str) -> impl Future<Output = ()>;
    /// The bucket's policy as stored (`None` without one), to compare exactly.
    fn bucket_policy(&self, bucket: &str) -> impl Future<Output = Option<Value>>;
    /// A role made outside s3dest (trusting account 111122223333).
    fn create_role(
        &self,
        name: &str,
        path: &str,
        tags: &[(&str, &str)],
    ) -> impl Future<Output = ()>;
    /// An object put by someone else.
    fn put_object(&self, bucket: &str, key: &str, body: &[u8]) -> impl Future<Output = ()>;
    fn object_exists(&self, bucket: &str, key: &str) -> impl Future<Output = bool>;
    /// The ids of a user's access keys, as IAM lists them.
    fn access_key_ids(&self, user: &str) -> impl Future<Output = Vec<String>>;
    /// A secret's current value (which s3dest never reads), `None` without one.
    fn secret_value(&self, name: &str) -> impl Future<Output = Option<String>>;
}

impl Scene for MemoryCloud {
    async fn create_bucket(&self, bucket: &str, region: &str) {
        MemoryCloud::create_bucket(self, bucket, region);
    }

    async fn create_bucket_with_object_lock(&self, bucket: &str, region: &str) {
        MemoryCloud::create_bucket(self, bucket, region);
        MemoryCloud::set_object_lock(self, bucket, ObjectLock::Enabled);
    }

    async fn put_bucket_encryption(&self, bucket: &str, encryption: &BucketEncryption) {
        assert_ne!(
            *encryption,
            BucketEncryption::Unknown,
            "`Unknown` is what a read denied gives, not a setting"
        );
        MemoryCloud::set_bucket_encryption(self, bucket, encryption.clone());
    }

    async fn put_bucket_policy(&self, bucket: &str, policy: &str) {
        MemoryCloud::put_bucket_policy(self, bucket, policy);
    }

    async fn bucket_policy(&self, bucket: &str) -> Option<Value> {
        let text = MemoryCloud::bucket_policy(self, bucket)?;
        Some(serde_json::from_str(&text).expect("stored policies are JSON"))
    }

    async fn create_role(&self, name: &str, path: &str, tags: &[(&str, &str)]) {
        MemoryCloud::create_role(self, name, path, tags);
    }

    async fn put_object(&self, bucket: &str, key: &str, body: &[u8]) {
        MemoryCloud::put_object(self, bucket, key, body, &[]);
    }

    async fn object_exists(&self, bucket: &str, key: &str) -> bool {
        MemoryCloud::object_exists(self, bucket, key)
    }

    async fn access_key_ids(&self, user: &str) -> Vec<String> {
        MemoryCloud::access_key_ids(self, user)
    }

    async fn secret_value(&self, name: &str) -> Option<String> {
        MemoryCloud::secret_value(self, name)
    }
}

/// A [`Scene`] over plain AWS SDK clients (path-style S3, dummy credentials), for an
/// emulator such as moto at a loopback endpoint.
pub struct SdkScene {
    iam: aws_sdk_iam::Client,
    s3: aws_sdk_s3::Client,
    secrets: aws_sdk_secretsmanager::Client,
    config: aws_config::SdkConfig,
}

impl SdkScene {
    pub async fn new(endpoint: &str) -> SdkScene {
        let config = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(endpoint)
            .credentials_provider(Credentials::new("testing", "testing", None, None, "scene"))
            .load()
            .await;
        SdkScene {
            iam: aws_sdk_iam::Client::new(&config),
            s3: s3_client(&config, "us-east-1"),
            secrets: aws_sdk_secretsmanager::Client::new(&config),
            config,
        }
    }
}

fn s3_client(config: &aws_config::SdkConfig, region: &str) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(config)
        .region(Region::new(region.to_owned()))
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

impl SdkScene {
    async fn make_bucket(&self, bucket: &str, region: &str, object_lock: bool) {
        let s3 = s3_client(&self.config, region);
        let mut create = s3.create_bucket().bucket(bucket);
        if region != "us-east-1" {
            create = create.create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(region.into())
                    .build(),
            );
        }
        if object_lock {
            create = create.object_lock_enabled_for_bucket(true);
        }
        create.send().await.expect("CreateBucket");
    }
}

impl Scene for SdkScene {
    async fn create_bucket(&self, bucket: &str, region: &str) {
        self.make_bucket(bucket, region, false).await;
    }

    async fn create_bucket_with_object_lock(&self, bucket: &str, region: &str) {
        self.make_bucket(bucket, region, true).await;
    }

    async fn put_bucket_encryption(&self, bucket: &str, encryption: &BucketEncryption) {
        use aws_sdk_s3::types::{
            ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
            ServerSideEncryptionRule,
        };
        let (algorithm, key) = match encryption {
            BucketEncryption::None => {
                self.s3
                    .delete_bucket_encryption()
                    .bucket(bucket)
                    .send()
                    .await
                    .expect("DeleteBucketEncryption");
                return;
            }
            BucketEncryption::SseS3 => (ServerSideEncryption::Aes256, None),
            BucketEncryption::Kms { algorithm, key } => (
                ServerSideEncryption::from(algorithm.as_str()),
                match key {
                    KmsKey::AwsManaged => None,
                    KmsKey::Customer(id) => Some(id.as_str().to_owned()),
                },
            ),
            BucketEncryption::Unknown => {
                panic!("`Unknown` is what a read denied gives, not a setting")
            }
        };
        let default = ServerSideEncryptionByDefault::builder()
            .sse_algorithm(algorithm)
            .set_kms_master_key_id(key)
            .build()
            .expect("the algorithm is set");
        let configuration = ServerSideEncryptionConfiguration::builder()
            .rules(
                ServerSideEncryptionRule::builder()
                    .apply_server_side_encryption_by_default(default)
                    .build(),
            )
            .build()
            .expect("the rules are set");
        self.s3
            .put_bucket_encryption()
            .bucket(bucket)
            .server_side_encryption_configuration(configuration)
            .send()
            .await
            .expect("PutBucketEncryption");
    }

    async fn put_bucket_policy(&self, bucket: &str, policy: &str) {
        {
            self.s3
                .put_bucket_policy()
                .bucket(bucket)
                .policy(policy)
                .send()
                .await
                .expect("PutBucketPolicy");
        }
    }

    async fn bucket_policy(&self, bucket: &str) -> Option<Value> {
        {
            match self.s3.get_bucket_policy().bucket(bucket).send().await {
                Ok(out) => Some(serde_json::from_str(out.policy()?).expect("policy JSON")),
                Err(e) => {
                    assert_eq!(e.code(), Some("NoSuchBucketPolicy"), "{e:?}");
                    None
                }
            }
        }
    }

    async fn create_role(&self, name: &str, path: &str, tags: &[(&str, &str)]) {
        {
            let tags = tags
                .iter()
                .map(|(k, v)| {
                    aws_sdk_iam::types::Tag::builder()
                        .key(*k)
                        .value(*v)
                        .build()
                        .expect("key and value")
                })
                .collect();
            let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}"#;
            self.iam
                .create_role()
                .role_name(name)
                .path(path)
                .assume_role_policy_document(trust)
                .set_tags(Some(tags))
                .send()
                .await
                .expect("CreateRole");
        }
    }

    async fn put_object(&self, bucket: &str, key: &str, body: &[u8]) {
        {
            self.s3
                .put_object()
                .bucket(bucket)
                .key(key)
                .body(ByteStream::from(body.to_vec()))
                .send()
                .await
                .expect("PutObject");
        }
    }

    async fn object_exists(&self, bucket: &str, key: &str) -> bool {
        {
            match self.s3.head_object().bucket(bucket).key(key).send().await {
                Ok(_) => true,
                Err(e) => {
                    let status = e.raw_response().map(|r| r.status().as_u16());
                    assert_eq!(status, Some(404), "HeadObject: {e:?}");
                    false
                }
            }
        }
    }

    async fn access_key_ids(&self, user: &str) -> Vec<String> {
        {
            let out = self
                .iam
                .list_access_keys()
                .user_name(user)
                .send()
                .await
                .expect("ListAccessKeys");
            out.access_key_metadata()
                .iter()
                .filter_map(|k| k.access_key_id().map(str::to_owned))
                .collect()
        }
    }

    async fn secret_value(&self, name: &str) -> Option<String> {
        {
            let out = self
                .secrets
                .get_secret_value()
                .secret_id(name)
                .send()
                .await
                .ok()?;
            out.secret_string().map(str::to_owned)
        }
    }
}
