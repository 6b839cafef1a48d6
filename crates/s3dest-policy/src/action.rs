//! The canonical spelling of an IAM action name, which IAM compares case-insensitively.
//!
//! Equal actions must print the same, so the spelling is a function of the lower-cased
//! name only. Lower case everywhere would be correct but makes plans hard to read, so
//! well-known actions take their documented spelling (`s3:PutObject`), a wildcard over
//! them takes the spelling of the names it covers (`s3:GetObject*`), and anything else
//! is lower case with a capital first letter (`s3:Get*` for an unknown `s3:GET*`).

/// Action names as AWS documents them, by service prefix. Only the spelling matters:
/// an action missing here still works, it just prints less nicely.
const KNOWN: &[(&str, &[&str])] = &[
    (
        "s3",
        &[
            "AbortMultipartUpload",
            "BypassGovernanceRetention",
            "CreateAccessPoint",
            "CreateBucket",
            "CreateJob",
            "DeleteAccessPoint",
            "DeleteBucket",
            "DeleteBucketOwnershipControls",
            "DeleteBucketPolicy",
            "DeleteBucketWebsite",
            "DeleteObject",
            "DeleteObjectTagging",
            "DeleteObjectVersion",
            "DeleteObjectVersionTagging",
            "GetAccelerateConfiguration",
            "GetAccessPoint",
            "GetAccountPublicAccessBlock",
            "GetAnalyticsConfiguration",
            "GetBucketAcl",
            "GetBucketCORS",
            "GetBucketLocation",
            "GetBucketLogging",
            "GetBucketNotification",
            "GetBucketObjectLockConfiguration",
            "GetBucketOwnershipControls",
            "GetBucketPolicy",
            "GetBucketPolicyStatus",
            "GetBucketPublicAccessBlock",
            "GetBucketRequestPayment",
            "GetBucketTagging",
            "GetBucketVersioning",
            "GetBucketWebsite",
            "GetEncryptionConfiguration",
            "GetIntelligentTieringConfiguration",
            "GetInventoryConfiguration",
            "GetLifecycleConfiguration",
            "GetMetricsConfiguration",
            "GetObject",
            "GetObjectAcl",
            "GetObjectAttributes",
            "GetObjectLegalHold",
            "GetObjectRetention",
            "GetObjectTagging",
            "GetObjectTorrent",
            "GetObjectVersion",
            "GetObjectVersionAcl",
            "GetObjectVersionAttributes",
            "GetObjectVersionTagging",
            "GetReplicationConfiguration",
            "ListAccessPoints",
            "ListAllMyBuckets",
            "ListBucket",
            "ListBucketMultipartUploads",
            "ListBucketVersions",
            "ListJobs",
            "ListMultipartUploadParts",
            "PutAccelerateConfiguration",
            "PutAccountPublicAccessBlock",
            "PutAnalyticsConfiguration",
            "PutBucketAcl",
            "PutBucketCORS",
            "PutBucketLogging",
            "PutBucketNotification",
            "PutBucketObjectLockConfiguration",
            "PutBucketOwnershipControls",
            "PutBucketPolicy",
            "PutBucketPublicAccessBlock",
            "PutBucketRequestPayment",
            "PutBucketTagging",
            "PutBucketVersioning",
            "PutBucketWebsite",
            "PutEncryptionConfiguration",
            "PutIntelligentTieringConfiguration",
            "PutInventoryConfiguration",
            "PutLifecycleConfiguration",
            "PutMetricsConfiguration",
            "PutObject",
            "PutObjectAcl",
            "PutObjectLegalHold",
            "PutObjectRetention",
            "PutObjectTagging",
            "PutObjectVersionAcl",
            "PutObjectVersionTagging",
            "PutReplicationConfiguration",
            "ReplicateDelete",
            "ReplicateObject",
            "ReplicateTags",
            "RestoreObject",
        ],
    ),
    (
        "sts",
        &[
            "AssumeRole",
            "AssumeRoleWithSAML",
            "AssumeRoleWithWebIdentity",
            "GetCallerIdentity",
            "SetSourceIdentity",
            "TagSession",
        ],
    ),
    (
        "kms",
        &[
            "Decrypt",
            "DescribeKey",
            "Encrypt",
            "GenerateDataKey",
            "GenerateDataKeyWithoutPlaintext",
            "ReEncryptFrom",
            "ReEncryptTo",
        ],
    ),
    ("iam", &["GetRole", "PassRole"]),
];

/// The canonical spelling of `action`; two actions are equal exactly when their
/// canonical spellings are.
pub(crate) fn canonical_action(action: &str) -> String {
    let Some((prefix, name)) = action.split_once(':') else {
        // `*`, or something IAM would reject anyway.
        return action.to_lowercase();
    };
    let prefix = prefix.to_lowercase();
    let lower = name.to_lowercase();
    let known: &[&str] = KNOWN
        .iter()
        .find(|(p, _)| *p == prefix)
        .map_or(&[], |(_, names)| names);
    if let Some(name) = known.iter().find(|n| n.to_lowercase() == lower) {
        return format!("{prefix}:{name}");
    }
    let stem = lower
        .strip_suffix('*')
        .filter(|stem| !stem.is_empty() && !stem.contains(['*', '?']));
    let wildcard = stem.and_then(|stem| {
        known
            .iter()
            .find(|n| n.to_lowercase().starts_with(stem))
            // `stem` is ASCII here, since every known name is.
            .map(|name| &name[..stem.len()])
    });
    if let Some(spelled) = wildcard {
        return format!("{prefix}:{spelled}*");
    }
    let mut chars = lower.chars();
    let spelled: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    format!("{prefix}:{spelled}")
}

#[cfg(test)]
mod tests {
    use super::canonical_action;

    fn check(input: &str, expect: &str) {
        assert_eq!(
            canonical_action(input),
            expect,
            "canonical_action({input:?})"
        );
    }

    #[test]
    fn spelling() {
        check("s3:putobject", "s3:PutObject");
        check("S3:PUTOBJECT", "s3:PutObject");
        check("s3:GetBucketCors", "s3:GetBucketCORS");
        check("STS:assumerole", "sts:AssumeRole");
        check("s3:getobject*", "s3:GetObject*");
        check("s3:GET*", "s3:Get*");
        check("s3:*", "s3:*");
        check("*", "*");
        check("s3:*object", "s3:*object");
        check("ec2:DescribeInstances", "ec2:Describeinstances");
        check("s3:Nonexistent*", "s3:Nonexistent*");
    }

    #[test]
    fn known_names_are_unique_ignoring_case() {
        for (_, names) in super::KNOWN {
            for (i, a) in names.iter().enumerate() {
                assert!(a.is_ascii());
                for b in &names[i + 1..] {
                    assert!(!a.eq_ignore_ascii_case(b), "{a} and {b}");
                }
            }
        }
    }
}
