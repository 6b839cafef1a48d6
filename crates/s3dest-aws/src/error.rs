//! One error type for everything the AWS edge does. Each message names the AWS
//! operation, the resource it was about, and AWS's own error code and message; none
//! ever carries a credential (the SDK's error messages do not, and nothing else
//! reaches them).

use std::error::Error;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ConnectorError, SdkError};
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

    /// The bucket's policy lock was left by an apply that died elsewhere (its lease ran
    /// out). It is broken only when asked to (`ApplyConfig::break_stale_lock`).
    #[error(
        "bucket `{bucket}`: its policy is locked by a stale lock `{key}` ({holder}{}; {reason}); the apply that took it probably died. If no apply is running against this bucket, break the lock with `s3dest apply --break-lock`",
        stale_age(.age),
        key = crate::LOCK_KEY
    )]
    StaleLock {
        bucket: String,
        /// Who took it and when: spec, `user@host pid N`, time.
        holder: String,
        /// How long ago it was taken, when known.
        age: Option<std::time::Duration>,
        /// Why it is stale: its lease ran out (how long ago), or it has none.
        reason: String,
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

fn stale_age(age: &Option<std::time::Duration>) -> String {
    age.map(|age| format!(", {} ago", crate::lock::human(age)))
        .unwrap_or_default()
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

    /// Whether the failed call may still have been done: no answer came back (a lost
    /// reply, a reset connection, a timeout) or AWS failed on its side (5xx). A write
    /// that fails so must be checked before it is made again.
    pub fn may_have_happened(&self) -> bool {
        match self {
            CloudError::Aws { status, .. } => status.is_none_or(|s| s >= 500),
            _ => false,
        }
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
        let endpoint = configured_endpoint();
        // AWS's every error answer has a code: an answer without one (but to a HEAD
        // request, which has no body) may not come from AWS at all.
        let foreign = match code {
            None => err
                .raw_response()
                .and_then(|raw| not_aws(raw, endpoint.as_deref())),
            Some(_) => None,
        };
        let message = match (&err, foreign) {
            (_, Some(foreign)) => foreign,
            (SdkError::ServiceError(_), None) => err.message().unwrap_or_default().to_owned(),
            // Network, timeout and credential-chain failures: the whole chain of causes
            // is the useful part (none of them holds a secret).
            _ => unanswered(&err, endpoint.as_deref()),
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

/// The hint for a request that found no credentials to sign it with.
const NO_CREDENTIALS: &str = "no AWS credentials found: set AWS_PROFILE, \
                              AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or use web identity (CI OIDC)";
/// Where to see each place the credential chain looked (logged at `-v`).
const WHERE_LOOKED: &str = "`-v` shows where s3dest looked";

/// The message for an answer that is not AWS's: a web page, a proxy's error page, a
/// success without the body the operation returns. `None` when it may be AWS's.
fn not_aws(raw: &HttpResponse, endpoint: Option<&str>) -> Option<String> {
    let body = raw.body().bytes().unwrap_or_default();
    let start = body.trim_ascii_start();
    let content_type = raw
        .headers()
        .get("content-type")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let starts_with = |prefix: &str| {
        start.len() >= prefix.len() && start[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
    };
    let html =
        content_type.starts_with("text/html") || starts_with("<!doctype") || starts_with("<html");
    // AWS answers in XML or JSON.
    let structured = start.starts_with(b"<") || start.starts_with(b"{");
    let foreign = raw.status().is_success() || (!start.is_empty() && (html || !structured));
    if !foreign {
        return None;
    }
    let excerpt = excerpt(start);
    let shown = match excerpt.is_empty() {
        true => "an empty body".to_owned(),
        false => format!("`{excerpt}`"),
    };
    let kind = match content_type.is_empty() {
        true => String::new(),
        false => format!(" ({content_type})"),
    };
    Some(match endpoint {
        Some(url) => format!(
            "{url} answered with something other than AWS{kind}: {shown}; check AWS_ENDPOINT_URL"
        ),
        None => format!(
            "the answer did not come from AWS{kind}: {shown}; a proxy may be in the way: \
             check the network and HTTPS_PROXY"
        ),
    })
}

/// The start of a body, on one line, printable, without backticks.
fn excerpt(body: &[u8]) -> String {
    const MAX_CHARS: usize = 80;
    let text = String::from_utf8_lossy(&body[..body.len().min(4 * MAX_CHARS)]);
    let mut out = String::new();
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().map(|c| match c {
            '`' => '\'',
            c if c.is_control() => '?',
            c => c,
        }));
    }
    match out.chars().count() > MAX_CHARS {
        true => out.chars().take(MAX_CHARS).collect::<String>() + "…",
        false => out,
    }
}

/// The endpoint every client was pointed at (an emulator, a VPC endpoint), if any. Read
/// from the environment as the SDK reads it in [`crate::Aws::from_env`].
fn configured_endpoint() -> Option<String> {
    std::env::var("AWS_ENDPOINT_URL")
        .ok()
        .filter(|url| !url.trim().is_empty())
}

/// The message of a failure that is not AWS answering with an error code (the network,
/// a timeout, no credentials, a request that could not be built): a hint for the
/// common cases, then the chain of causes on one line, never the SDK's `Debug` dump.
fn unanswered<E>(err: &SdkError<E, HttpResponse>, endpoint: Option<&str>) -> String
where
    E: Error + 'static,
{
    let chain = cause_chain(err);
    let at = endpoint.map(|url| format!(" at {url}")).unwrap_or_default();
    let check = if endpoint.is_some() {
        "check AWS_ENDPOINT_URL / network"
    } else {
        "check the network"
    };
    let hint = match credentials_failure(err) {
        // Every provider of the chain saying it had nothing is noise: shown at -v only.
        Some(Credentials::Missing) => {
            tracing::info!("where s3dest looked for AWS credentials: {chain}");
            return format!("{NO_CREDENTIALS} ({WHERE_LOOKED})");
        }
        Some(Credentials::Failed) => Some("the AWS credentials could not be loaded".to_owned()),
        None => match err {
            SdkError::TimeoutError(_) => Some(format!("AWS did not answer in time{at}: {check}")),
            SdkError::DispatchFailure(failure) if failure.is_timeout() => {
                Some(format!("AWS did not answer in time{at}: {check}"))
            }
            // Something answered, but not in HTTP: hyper's parse errors.
            SdkError::DispatchFailure(failure)
                if failure.is_other()
                    && (chain.contains("invalid HTTP")
                        || chain.contains("message head is too large")) =>
            {
                Some(format!(
                    "what answered{at} does not speak HTTP as AWS does: {check}"
                ))
            }
            SdkError::DispatchFailure(failure) if !failure.is_user() => {
                Some(format!("cannot reach AWS{at}: {check}"))
            }
            _ => None,
        },
    };
    match hint {
        Some(hint) => format!("{hint} ({chain})"),
        None => chain,
    }
}

/// An error and its sources, joined by `: ` on one line: multi-line messages (the
/// credential chain lists every provider it tried) are folded, and links that add
/// nothing (a repeat, the connector's bare `other`) are left out.
fn cause_chain(err: &(dyn Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        next = e.source();
        if e.downcast_ref::<ConnectorError>()
            .is_some_and(ConnectorError::is_other)
        {
            continue;
        }
        let text = one_line(&e.to_string());
        if text.is_empty() || parts.last().is_some_and(|last| last.contains(&text)) {
            continue;
        }
        parts.push(text);
    }
    parts.join(": ")
}

/// Folds a multi-line message: `Attempted:` + indented lines become `Attempted: a; b`.
fn one_line(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if !out.is_empty() {
            out.push_str(if out.ends_with(':') { " " } else { "; " });
        }
        out.push_str(line);
    }
    out
}

/// How loading credentials failed, when that is why the request was never sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Credentials {
    /// No provider of the chain had any (`CredentialsNotLoaded`).
    Missing,
    /// A provider was configured but failed (a bad profile, web identity refused…).
    Failed,
}

/// Recognizes the credential provider's errors in the chain by their messages:
/// `aws-credential-types`' `CredentialsError` is not re-exported by the SDK crates
/// s3dest depends on, so it cannot be downcast to.
fn credentials_failure(err: &(dyn Error + 'static)) -> Option<Credentials> {
    const FAILED: [&str; 4] = [
        "credentials provider timed out",
        "the credentials provider was not properly configured",
        "an error occurred while loading credentials",
        "unexpected credentials error",
    ];
    let mut next = Some(err);
    while let Some(e) = next {
        // The outermost verdict wins: a chain of providers that all had nothing says
        // so first, and a provider that failed is reported as it is.
        let text = e.to_string();
        if text == "the credential provider was not enabled"
            || text.starts_with("no credentials found in chain")
        {
            return Some(Credentials::Missing);
        }
        if FAILED.iter().any(|f| text.starts_with(f)) {
            return Some(Credentials::Failed);
        }
        next = e.source();
    }
    None
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

    type StsError = aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityError;

    fn from(err: SdkError<StsError, HttpResponse>, endpoint: Option<&str>) -> String {
        assert!(!matches!(err, SdkError::ServiceError(_)));
        unanswered(&err, endpoint)
    }

    fn refused() -> SdkError<StsError, HttpResponse> {
        let io = std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "Connection refused (os error 111)",
        );
        SdkError::dispatch_failure(ConnectorError::io(io.into()))
    }

    /// No `Debug` dump of the SDK's types: no `DispatchFailure(`, `ConnectorError {`…
    fn assert_readable(message: &str) {
        for dump in ["Failure(", "ConnectorError", "{ ", "Some(", "\n"] {
            assert!(!message.contains(dump), "{dump:?} in {message}");
        }
    }

    #[test]
    fn a_refused_connection_names_the_endpoint() {
        let message = from(refused(), Some("http://127.0.0.1:9"));
        assert_eq!(
            message,
            "cannot reach AWS at http://127.0.0.1:9: check AWS_ENDPOINT_URL / network \
             (dispatch failure: io error: Connection refused (os error 111))"
        );
        let message = from(refused(), None);
        assert!(
            message.starts_with("cannot reach AWS: check the network (dispatch failure"),
            "{message}"
        );
    }

    #[test]
    fn from_sdk_keeps_the_operation_and_drops_the_debug_dump() {
        let err = CloudError::from_sdk("GetCallerIdentity", "the caller's identity", refused());
        assert_eq!((err.code(), err.status()), (None, None));
        let text = err.to_string();
        assert!(
            text.starts_with("GetCallerIdentity on the caller's identity failed: cannot reach AWS"),
            "{text}"
        );
        assert!(
            text.ends_with("Connection refused (os error 111))"),
            "{text}"
        );
        assert_readable(&text);
    }

    #[test]
    fn timeouts_and_construction_failures_are_readable() {
        let message = from(
            SdkError::timeout_error(
                "operation timeout (all attempts including retries) occurred after 30s",
            ),
            Some("http://127.0.0.1:9"),
        );
        assert_eq!(
            message,
            "AWS did not answer in time at http://127.0.0.1:9: check AWS_ENDPOINT_URL / network \
             (request has timed out: operation timeout (all attempts including retries) \
             occurred after 30s)"
        );
        let timeout = ConnectorError::timeout("HTTP read timeout".into());
        let message = from(SdkError::dispatch_failure(timeout), None);
        assert!(
            message.starts_with("AWS did not answer in time: check the network"),
            "{message}"
        );
        // Building the request failed: nothing was sent, so no network hint.
        let message = from(
            SdkError::construction_failure("invalid endpoint: not a URL"),
            Some("http://127.0.0.1:9"),
        );
        assert_eq!(
            message,
            "failed to construct request: invalid endpoint: not a URL"
        );
    }

    #[test]
    fn causes_are_folded_onto_one_line() {
        let chain = "no credentials found in chain. Attempted:\n  Environment: not set\n  \
                     Profile: not enabled\n";
        let other = ConnectorError::other(chain.into(), None);
        let err = SdkError::<StsError, HttpResponse>::dispatch_failure(other);
        assert_eq!(
            cause_chain(&err),
            "dispatch failure: no credentials found in chain. Attempted: Environment: not set; \
             Profile: not enabled"
        );
        // Where the chain looked is logged at -v, not part of the message.
        assert_eq!(
            from(err, None),
            format!("{NO_CREDENTIALS} ({WHERE_LOOKED})")
        );
    }

    fn response(status: u16, content_type: Option<&str>, body: &str) -> HttpResponse {
        let mut raw = HttpResponse::new(
            status.try_into().unwrap(),
            aws_smithy_types::body::SdkBody::from(body.to_owned()),
        );
        if let Some(content_type) = content_type {
            raw.headers_mut()
                .insert("content-type", content_type.to_owned());
        }
        raw
    }

    #[test]
    fn answers_that_are_not_aws_are_named() {
        let at = Some("http://127.0.0.1:8080");
        let html = response(
            200,
            Some("text/html; charset=utf-8"),
            "<h1>It\n works`</h1>",
        );
        assert_eq!(
            not_aws(&html, at).unwrap(),
            "http://127.0.0.1:8080 answered with something other than AWS (text/html; \
             charset=utf-8): `<h1>It works'</h1>`; check AWS_ENDPOINT_URL"
        );
        let page = response(404, None, "  <!DOCTYPE html><p>Not Found</p>");
        assert!(not_aws(&page, None).unwrap().starts_with(
            "the answer did not come from AWS: `<!DOCTYPE html><p>Not Found</p>`; a proxy"
        ));
        let text = response(502, Some("text/plain"), &"Bad Gateway ".repeat(20));
        let message = not_aws(&text, at).unwrap();
        assert!(
            message.contains("(text/plain): `Bad Gateway Bad"),
            "{message}"
        );
        assert!(message.contains("…`"), "{message}");
        // A success without the body the operation returns.
        let empty = response(200, None, "");
        assert!(not_aws(&empty, at).unwrap().contains(": an empty body;"));
        // What AWS answers: XML or JSON errors, and bodiless HEAD answers.
        for raw in [
            response(
                403,
                Some("application/xml"),
                "<Error><Code>AccessDenied</Code></Error>",
            ),
            response(
                400,
                Some("application/x-amz-json-1.1"),
                r#"{"__type": "X"}"#,
            ),
            response(404, Some("application/xml"), ""),
            response(404, Some("text/html"), ""),
            response(301, None, ""),
        ] {
            assert_eq!(not_aws(&raw, at), None, "{raw:?}");
        }
    }

    /// A real SDK request with a credential chain that finds nothing: it fails before
    /// anything is sent (the endpoint is a closed loopback port anyway).
    #[tokio::test]
    async fn no_credentials_says_where_to_set_them() {
        #[allow(deprecated)] // aws-config's aliases of aws-runtime's types
        let files = {
            use aws_config::profile::profile_file::{ProfileFileKind, ProfileFiles};
            ProfileFiles::builder()
                .include_default_config_file(false)
                .include_default_credentials_file(false)
                .with_contents(ProfileFileKind::Credentials, "")
                .build()
        };
        let profile = aws_config::profile::ProfileFileCredentialsProvider::builder()
            .profile_files(files)
            .profile_name("s3dest-none")
            .build();
        let chain =
            aws_config::meta::credentials::CredentialsProviderChain::first_try("Profile", profile);
        let config = aws_sdk_sts::Config::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url("http://127.0.0.1:9")
            .credentials_provider(chain)
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .build();
        let err = aws_sdk_sts::Client::from_conf(config)
            .get_caller_identity()
            .send()
            .await
            .expect_err("there are no credentials");
        let chain = cause_chain(&err);
        assert!(
            chain.contains("Profile: the credential provider was not enabled"),
            "{chain}"
        );
        let message = from(err, Some("http://127.0.0.1:9"));
        assert_eq!(message, format!("{NO_CREDENTIALS} ({WHERE_LOOKED})"));
        assert!(!message.contains("cannot reach"), "{message}");
        assert_readable(&message);
    }

    /// A real SDK request to a loopback port that nothing listens on.
    #[tokio::test]
    async fn a_closed_port_is_unreachable() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let endpoint = format!("http://127.0.0.1:{port}");
        let config = aws_sdk_sts::Config::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(&endpoint)
            .credentials_provider(aws_sdk_sts::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .build();
        let err = aws_sdk_sts::Client::from_conf(config)
            .get_caller_identity()
            .send()
            .await
            .expect_err("nothing listens");
        let message = from(err, Some(&endpoint));
        assert!(
            message.starts_with(&format!(
                "cannot reach AWS at {endpoint}: check AWS_ENDPOINT_URL / network (dispatch failure: "
            )),
            "{message}"
        );
        assert!(message.contains("Connection refused"), "{message}");
        assert_readable(&message);
    }

    #[test]
    fn service_errors_keep_aws_code_and_message() {
        let meta = aws_smithy_types::error::ErrorMetadata::builder()
            .code("AccessDenied")
            .message("User is not authorized to perform: sts:GetCallerIdentity")
            .build();
        let raw = HttpResponse::new(
            403.try_into().unwrap(),
            aws_smithy_types::body::SdkBody::empty(),
        );
        let sdk = SdkError::service_error(StsError::generic(meta), raw);
        let err = CloudError::from_sdk("GetCallerIdentity", "the caller's identity", sdk);
        assert_eq!(
            (err.code(), err.status()),
            (Some("AccessDenied"), Some(403))
        );
        let text = err.to_string();
        assert!(
            text.starts_with(
                "GetCallerIdentity on the caller's identity failed: AccessDenied: User is not \
                 authorized to perform: sts:GetCallerIdentity (access denied: "
            ),
            "{text}"
        );
        assert!(!text.contains("service error"), "{text}");
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
