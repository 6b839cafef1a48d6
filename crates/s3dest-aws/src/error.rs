//! One error type for everything the AWS edge does. Each message names the AWS
//! operation, the resource it was about, and AWS's own error code and message; none
//! ever carries a credential (the SDK's error messages do not, and nothing else
//! reaches them).

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{DisplayErrorContext, SdkError};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

#[derive(Debug, Clone, thiserror::Error)]
pub enum CloudError {
    /// An AWS call failed (after the SDK's own retries).
    #[error("{operation} on {resource} failed: {}", aws_reason(.code.as_deref(), .status, .message))]
    Aws {
        /// The API operation, e.g. `PutBucketPolicy`.
        operation: &'static str,
        /// What it was about, e.g. ``bucket `acme-exports` ``.
        resource: String,
        /// AWS's error code (`AccessDenied`, `MalformedPolicy`…); `None` for network
        /// failures and for HEAD responses, which carry no body.
        code: Option<String>,
        /// The HTTP status, when a response came back.
        status: Option<u16>,
        message: String,
    },

    /// AWS answered with a policy document that is not a valid policy.
    #[error("{operation} on {resource} returned a policy that cannot be read: {reason}")]
    Policy {
        operation: &'static str,
        resource: String,
        reason: String,
    },

    /// The AWS configuration (region, credentials chain) could not be loaded.
    #[error("cannot load the AWS configuration: {0}")]
    Config(String),

    /// A check made right before or after a change failed: the change was not made, or
    /// its effect is not what was written.
    #[error("{resource}: {message}")]
    Conflict { resource: String, message: String },

    /// The bucket's policy lock was left by an apply that died (its lease ran out). It
    /// is broken only when asked to (`ApplyConfig::break_stale_lock`).
    #[error(
        "bucket `{bucket}`: its policy is locked by a stale lock `{key}` ({holder}{}); the apply that took it probably died. If no apply is running against this bucket, break the lock with `s3dest apply --break-lock`",
        stale_age(.age, .expired),
        key = crate::LOCK_KEY
    )]
    StaleLock {
        bucket: String,
        /// Who took it and when: spec, `user@host pid N`, time.
        holder: String,
        /// How long ago it was taken, when known.
        age: Option<std::time::Duration>,
        /// How long ago its lease ran out, when it had one.
        expired: Option<std::time::Duration>,
    },

    /// The plan records errors; such a plan is never applied.
    #[error("the plan has {count} error(s) and cannot be applied")]
    PlanHasErrors { count: usize },
}

fn aws_reason(code: Option<&str>, status: &Option<u16>, message: &str) -> String {
    let reason = match (code, status) {
        (Some(code), _) if message.is_empty() => code.to_owned(),
        (Some(code), _) => format!("{code}: {message}"),
        (None, Some(status)) if message.is_empty() => format!("HTTP {status}"),
        (None, Some(status)) => format!("HTTP {status}: {message}"),
        (None, None) => message.to_owned(),
    };
    // S3 answers HEAD requests with a bare 403: say what it usually means.
    let denied = matches!(code, Some("AccessDenied" | "AccessDeniedException"))
        || (code.is_none() && *status == Some(403));
    if denied {
        format!(
            "{reason} (access denied: the credentials s3dest runs with need this permission, and no bucket policy or SCP may deny it; see docs/permissions.md)"
        )
    } else {
        reason
    }
}

fn stale_age(age: &Option<std::time::Duration>, expired: &Option<std::time::Duration>) -> String {
    let mut text = String::new();
    if let Some(age) = age {
        text += &format!(", {} ago", crate::lock::human(*age));
    }
    match expired {
        Some(e) => text += &format!("; it expired {} ago", crate::lock::human(*e)),
        None => text += "; it has no lease",
    }
    text
}

impl CloudError {
    /// AWS's error code, when the failure was AWS answering with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            CloudError::Aws { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// The HTTP status of AWS's answer, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            CloudError::Aws { status, .. } => *status,
            _ => None,
        }
    }

    /// Whether AWS answered with this error code.
    pub fn is_code(&self, code: &str) -> bool {
        self.code() == Some(code)
    }

    /// Converts an SDK error; `resource` says what the call was about.
    pub(crate) fn from_sdk<E>(
        operation: &'static str,
        resource: impl Into<String>,
        err: SdkError<E, HttpResponse>,
    ) -> CloudError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let code = err.code().map(str::to_owned);
        let status = err.raw_response().map(|r| r.status().as_u16());
        let message = match &err {
            SdkError::ServiceError(_) => err.message().unwrap_or_default().to_owned(),
            // Network, timeout and credential-chain failures: the whole chain of causes
            // is the useful part (none of them holds a secret).
            _ => DisplayErrorContext(&err).to_string(),
        };
        CloudError::Aws {
            operation,
            resource: resource.into(),
            code,
            status,
            message,
        }
    }
}

/// Whether an error is IAM not yet knowing a role that was just created: real AWS
/// rejects a policy naming it as a principal for a few seconds after `CreateRole`.
///
/// `PutBucketPolicy` answers `MalformedPolicy` "Invalid principal in policy";
/// `CreateRole` and `UpdateAssumeRolePolicy` answer `MalformedPolicyDocument`
/// "Invalid principal in policy: …". Nothing else matches: the same codes with any
/// other message are real mistakes in the document and must surface at once.
pub fn is_principal_propagation_error(err: &CloudError) -> bool {
    let CloudError::Aws {
        code: Some(code),
        message,
        ..
    } = err
    else {
        return false;
    };
    matches!(code.as_str(), "MalformedPolicy" | "MalformedPolicyDocument")
        && message.to_ascii_lowercase().contains("invalid principal")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aws(operation: &'static str, code: Option<&str>, message: &str) -> CloudError {
        CloudError::Aws {
            operation,
            resource: "bucket `b`".to_owned(),
            code: code.map(str::to_owned),
            status: Some(400),
            message: message.to_owned(),
        }
    }

    #[test]
    fn principal_propagation_errors_are_recognized() {
        assert!(is_principal_propagation_error(&aws(
            "PutBucketPolicy",
            Some("MalformedPolicy"),
            "Invalid principal in policy"
        )));
        assert!(is_principal_propagation_error(&aws(
            "UpdateAssumeRolePolicy",
            Some("MalformedPolicyDocument"),
            r#"Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:role/s3dest/x""#
        )));
        assert!(is_principal_propagation_error(&aws(
            "CreateRole",
            Some("MalformedPolicyDocument"),
            "Invalid principal in policy: \"AWS\":\"arn:aws:iam::123456789012:role/r\""
        )));
    }

    #[test]
    fn other_errors_are_not_propagation_errors() {
        let cases = [
            aws(
                "PutBucketPolicy",
                Some("MalformedPolicy"),
                "Policy has invalid resource",
            ),
            aws(
                "PutBucketPolicy",
                Some("MalformedPolicy"),
                "Action does not apply to any resource(s) in statement",
            ),
            aws(
                "UpdateAssumeRolePolicy",
                Some("MalformedPolicyDocument"),
                "Has prohibited field Resource",
            ),
            aws(
                "PutBucketPolicy",
                Some("AccessDenied"),
                "Invalid principal in policy",
            ),
            aws("PutBucketPolicy", Some("Throttling"), "Rate exceeded"),
            aws("PutBucketPolicy", None, "Invalid principal in policy"),
            CloudError::Conflict {
                resource: "x".to_owned(),
                message: "Invalid principal".to_owned(),
            },
        ];
        for case in cases {
            assert!(!is_principal_propagation_error(&case), "{case}");
        }
    }

    #[test]
    fn messages_name_the_operation_resource_and_code() {
        let e = aws(
            "PutBucketPolicy",
            Some("MalformedPolicy"),
            "Invalid principal in policy",
        );
        assert_eq!(
            e.to_string(),
            "PutBucketPolicy on bucket `b` failed: MalformedPolicy: Invalid principal in policy"
        );
        let e = aws("HeadObject", None, "");
        assert_eq!(e.to_string(), "HeadObject on bucket `b` failed: HTTP 400");
    }
}
