//! What a preset can only decide once the bucket is read: the `kms:` grant a vendor
//! needs on the bucket's customer managed key, and what the vendor cannot work with
//! (SSE-KMS, Object Lock, the bucket's region).

use s3dest_policy::Statement;
use s3dest_spec::vendors::Encryption;

use crate::model::{
    BucketEncryption, BucketInfo, Concern, Desired, DesiredDestination, ObjectLock, Observed,
    ObservedBucket,
};

/// The Sid of the statement granting a vendor its `kms:` actions on the bucket's key.
pub const KMS_GRANT_SID: &str = "S3destBucketKey";

/// `desired`, with each destination's grant completed by what its bucket needs.
pub fn with_bucket_facts(desired: &Desired, observed: &Observed) -> Desired {
    let mut completed = desired.clone();
    for dest in completed.destinations.values_mut() {
        let Some(ObservedBucket::Present(bucket)) = observed.buckets.get(&dest.bucket) else {
            continue;
        };
        complete(dest, bucket, &desired.account_id);
        super::record_policy(dest);
    }
    completed
}

/// Adds the `kms:` grant on the bucket's customer managed key, for a vendor that needs
/// one (none for the AWS managed `aws/s3` key, which the bucket's own account uses
/// through S3 without a grant).
fn complete(dest: &mut DesiredDestination, bucket: &BucketInfo, account_id: &str) {
    let Encryption::GrantOnKey(actions) = dest.vendor.description().encryption else {
        return;
    };
    let Some(key) = bucket
        .encryption
        .as_ref()
        .and_then(BucketEncryption::customer_key)
    else {
        return;
    };
    let Some(policy) = dest.inline_policy.as_mut() else {
        return;
    };
    match key.key_arn(&bucket.region, account_id) {
        Some(arn) => policy.statements.push(
            Statement::allow()
                .with_sid(KMS_GRANT_SID)
                .with_actions(actions.iter().copied())
                .with_resources([arn]),
        ),
        None => dest.warnings.push((
            Concern::General,
            format!(
                "bucket `{}` encrypts with the KMS key `{key}`, named by an alias: s3dest \
                 cannot scope a grant to a key it cannot resolve, so {} gets none. Name the \
                 key by its ARN in the bucket's default encryption, or allow it {} on the key \
                 yourself",
                dest.bucket,
                dest.vendor,
                actions.join(", ")
            ),
        )),
    }
}

/// The statement a vendor's role needs in the policy of the bucket's customer managed
/// key, for a vendor that needs one there (Datadog); s3dest does not edit key policies,
/// so the plan and the outputs show it.
pub fn key_policy_note(
    dest: &DesiredDestination,
    bucket: &BucketInfo,
    observed: &Observed,
    account_id: &str,
) -> Option<String> {
    let Encryption::KeyPolicy(actions) = dest.vendor.description().encryption else {
        return None;
    };
    let key = bucket.encryption.as_ref()?.customer_key()?;
    let role = dest.existing_role.as_ref()?;
    let arn = observed.roles.get(&role.name).map_or_else(
        || format!("arn:aws:iam::{account_id}:role/{}", role.name),
        |r| r.arn.clone(),
    );
    let key = key
        .key_arn(&bucket.region, account_id)
        .unwrap_or_else(|| key.to_string());
    let actions = actions
        .iter()
        .map(|a| format!("\"{a}\""))
        .collect::<Vec<_>>()
        .join(", ");
    Some(format!(
        "bucket `{}` encrypts with the KMS key `{key}`: add to that key's policy (s3dest does \
         not edit key policies) {{\"Effect\": \"Allow\", \"Principal\": {{\"AWS\": \"{arn}\"}}, \
         \"Action\": [{actions}], \"Resource\": \"*\"}}",
        dest.bucket
    ))
}

/// Why the destination's vendor cannot work with its bucket as read (each an
/// `unsupported` error of the plan); empty when it can, or when it is not known.
pub fn unsupported(dest: &DesiredDestination, bucket: &BucketInfo) -> Vec<String> {
    let d = dest.vendor.description();
    let name = &dest.bucket;
    let mut problems = Vec::new();
    if let (Encryption::Unsupported { reason }, Some(BucketEncryption::Kms { algorithm, .. })) =
        (&d.encryption, &bucket.encryption)
    {
        problems.push(format!(
            "bucket `{name}` encrypts new objects with {} by default: {reason}. Switch \
             its default encryption to SSE-S3, or use another bucket",
            match algorithm {
                crate::model::KmsAlgorithm::SseKms => "SSE-KMS",
                crate::model::KmsAlgorithm::DsseKms => "DSSE-KMS",
            }
        ));
    }
    if let (Some(reason), Some(ObjectLock::Enabled)) =
        (d.preflight.object_lock_unsupported, &bucket.object_lock)
    {
        problems.push(format!(
            "bucket `{name}` has Object Lock enabled: {reason}. Use a bucket without Object Lock"
        ));
    }
    if !d.preflight.regions.allows(&bucket.region) {
        problems.push(format!(
            "bucket `{name}` is in `{}`, and {} {}. Use a bucket in another region",
            bucket.region,
            d.title,
            d.preflight.regions.phrase()
        ));
    }
    problems
}
