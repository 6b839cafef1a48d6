//! The few objects s3dest itself writes into a bucket (its bucket-policy lock and the
//! folder markers), written the way the bucket's guards expect, and deleted only when
//! they are still what s3dest saw.
//!
//! - **Encryption header.** A common bucket policy denies every upload without an
//!   `x-amz-server-side-encryption` header (or with another one than the bucket's). So
//!   s3dest sends the header that matches the bucket's default encryption: as the read
//!   found it, else read once per bucket with `GetBucketEncryption`. With SSE-KMS it
//!   also names the bucket's key: without it S3 would use the account's `aws/s3` key,
//!   not the bucket's.
//! - **Checked deletes.** A delete carries `If-Match` with the ETag that was checked, so
//!   that nothing written in between is deleted. Where the endpoint does not implement
//!   conditional deletes (LocalStack answers `NotImplemented`), s3dest falls back to a
//!   check right before a plain delete, and says so once.

use std::sync::atomic::Ordering;

use aws_sdk_s3::operation::put_object::builders::PutObjectFluentBuilder;
use aws_sdk_s3::types::ServerSideEncryption;
use s3dest_core::model::{BucketEncryption, KmsKey};

use crate::{Aws, CloudError};

/// Adds the encryption headers matching the bucket's default to an upload.
pub(crate) fn with_encryption_header(
    encryption: &BucketEncryption,
    put: PutObjectFluentBuilder,
) -> PutObjectFluentBuilder {
    match encryption {
        // S3 applies SSE-S3 to every bucket without a configuration (since January
        // 2023): the header says the same, for policies that demand one.
        BucketEncryption::None | BucketEncryption::SseS3 => {
            put.server_side_encryption(ServerSideEncryption::Aes256)
        }
        BucketEncryption::Kms { algorithm, key } => {
            let put = put.server_side_encryption(ServerSideEncryption::from(algorithm.as_str()));
            match key {
                // Without a key id S3 uses `aws/s3`, as the bucket does.
                KmsKey::AwsManaged => put,
                KmsKey::Customer(id) => put.ssekms_key_id(id.as_str()),
            }
        }
        // Not readable: no header, S3 applies the default.
        BucketEncryption::Unknown => put,
    }
}

impl Aws {
    /// The bucket's default encryption: what this process's read found, else asked
    /// once and remembered.
    pub(crate) async fn default_encryption(
        &self,
        s3: &aws_sdk_s3::Client,
        bucket: &str,
    ) -> Result<BucketEncryption, CloudError> {
        if let Some(known) = self.known_encryption(bucket) {
            return Ok(known);
        }
        let found = crate::read::encryption(s3, bucket).await?;
        if found == BucketEncryption::Unknown {
            // Without `s3:GetEncryptionConfiguration` the upload goes without a header:
            // fine unless a bucket policy demands one (then it says so).
            tracing::debug!("bucket `{bucket}`: uploads go without an encryption header");
        }
        self.remember_encryption(bucket, &found);
        Ok(found)
    }

    /// Deletes `key` if it still has `etag`: with `If-Match` where the endpoint
    /// implements it, else (once it said `NotImplemented`) by comparing the ETag
    /// right before a plain delete. A key already gone counts as deleted. `warn` is told
    /// once per process that conditional deletes are not available.
    pub(crate) async fn delete_if_unchanged(
        &self,
        s3: &aws_sdk_s3::Client,
        bucket: &str,
        key: &str,
        etag: Option<&str>,
        what: &str,
        warn: &(dyn Fn(&str) + Sync),
    ) -> Result<Deleted, CloudError> {
        let resource = format!("{what} `s3://{bucket}/{key}`");
        if self.conditional_deletes.load(Ordering::Relaxed) {
            let mut delete = s3.delete_object().bucket(bucket).key(key);
            if let Some(etag) = etag {
                delete = delete.if_match(etag);
            }
            let err = match delete.send().await {
                Ok(_) => return Ok(Deleted::Yes),
                Err(e) => CloudError::from_sdk("DeleteObject", resource.clone(), e),
            };
            match err.status() {
                // Gone already (a retry of a delete whose reply was lost, or a prune run twice).
                Some(404) => return Ok(Deleted::Yes),
                Some(412) => return Ok(Deleted::Changed),
                Some(501) if etag.is_some() => {
                    // Said once: by the task that turns conditional deletes off.
                    if self.conditional_deletes.swap(false, Ordering::Relaxed) {
                        warn(&format!(
                            "this S3 endpoint does not implement conditional deletes (`If-Match`, {}); \
                             s3dest checks each object right before deleting it instead",
                            err.code().unwrap_or("NotImplemented")
                        ));
                    }
                }
                _ => return Err(err),
            }
        }
        // The fallback: the object's ETag now, then a plain delete. A write between the
        // two is possible, but only there; the endpoint offers nothing better.
        let head = s3.head_object().bucket(bucket).key(key).send().await;
        let now = match head {
            Ok(out) => out.e_tag().map(str::to_owned),
            Err(e) => {
                let err = CloudError::from_sdk("HeadObject", resource.clone(), e);
                return if err.status() == Some(404) {
                    Ok(Deleted::Yes)
                } else {
                    Err(err)
                };
            }
        };
        if etag.is_some() && now.as_deref() != etag {
            return Ok(Deleted::Changed);
        }
        match s3.delete_object().bucket(bucket).key(key).send().await {
            Ok(_) => Ok(Deleted::Yes),
            Err(e) => {
                let err = CloudError::from_sdk("DeleteObject", resource, e);
                if err.status() == Some(404) {
                    Ok(Deleted::Yes)
                } else {
                    Err(err)
                }
            }
        }
    }
}

/// What a checked delete did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Deleted {
    /// Deleted, or already gone.
    Yes,
    /// Left alone: the object is no longer the one that was checked.
    Changed,
}
