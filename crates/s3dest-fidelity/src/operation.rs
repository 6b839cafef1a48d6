//! Which AWS operation a request is, from what the SDK sends: IAM and STS use the
//! query protocol (form body with `Action`), Secrets Manager JSON with
//! `X-Amz-Target`, S3 path-style REST.

use http::{HeaderMap, Method};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Iam,
    Sts,
    SecretsManager,
    S3,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    pub service: Service,
    pub name: String,
    /// For S3: the bucket and the key of path-style requests.
    pub bucket: Option<String>,
    pub key: Option<String>,
}

impl Operation {
    pub fn is(&self, name: &str) -> bool {
        self.name == name
    }

    /// Whether the operation changes something (for fault scopes).
    pub fn is_write(&self) -> bool {
        const READS: &[&str] = &[
            "Get", "List", "Head", "Describe", "Simulate", "Generate", "Batch",
        ];
        !READS.iter().any(|prefix| self.name.starts_with(prefix))
            || self.name.starts_with("BatchDelete")
    }
}

const STS_ACTIONS: &[&str] = &[
    "AssumeRole",
    "AssumeRoleWithSAML",
    "AssumeRoleWithWebIdentity",
    "AssumeRoot",
    "DecodeAuthorizationMessage",
    "GetAccessKeyInfo",
    "GetCallerIdentity",
    "GetFederationToken",
    "GetSessionToken",
];

/// Whether the request's operation is in its body (query or JSON protocol), so that
/// the body must be read to know it. Such bodies are small.
pub fn needs_body(method: &Method, path: &str, headers: &HeaderMap) -> bool {
    headers.contains_key("x-amz-target") || is_query_protocol(method, path, headers)
}

/// A form posted to `/`: IAM and STS. (An S3 object upload may carry any content
/// type, but never goes to `/`.)
fn is_query_protocol(method: &Method, path: &str, headers: &HeaderMap) -> bool {
    method == Method::POST
        && path == "/"
        && header(headers, "content-type")
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"))
}

pub fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The value of a query parameter (raw, as sent) in a query string.
pub fn query_param<'q>(query: &'q str, name: &str) -> Option<&'q str> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then_some(v)
    })
}

pub fn query_has(query: &str, name: &str) -> bool {
    query_param(query, name).is_some()
}

/// The form fields of a query-protocol body.
pub fn form_fields(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

pub fn form_field<'f>(fields: &'f [(String, String)], name: &str) -> Option<&'f str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

pub fn detect(
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Operation {
    if let Some(target) = header(headers, "x-amz-target") {
        let name = target.rsplit('.').next().unwrap_or(target).to_owned();
        return Operation {
            service: Service::SecretsManager,
            name,
            bucket: None,
            key: None,
        };
    }
    if is_query_protocol(method, path, headers) {
        let fields = form_fields(body);
        if let Some(action) = form_field(&fields, "Action") {
            let scope_is_sts =
                header(headers, "authorization").is_some_and(|a| a.contains("/sts/"));
            let service = if scope_is_sts || STS_ACTIONS.contains(&action) {
                Service::Sts
            } else {
                Service::Iam
            };
            return Operation {
                service,
                name: action.to_owned(),
                bucket: None,
                key: None,
            };
        }
    }
    s3(method, path, query, headers)
}

fn s3(method: &Method, path: &str, query: &str, headers: &HeaderMap) -> Operation {
    let trimmed = path.trim_start_matches('/');
    let (bucket, key) = match trimmed.split_once('/') {
        Some((bucket, key)) if !key.is_empty() => (bucket, Some(decode_path(key))),
        Some((bucket, _)) => (bucket, None),
        None => (trimmed, None),
    };
    let bucket = (!bucket.is_empty()).then(|| decode_path(bucket));
    let name = query_param(query, "x-id")
        .map(str::to_owned)
        .unwrap_or_else(|| s3_name(method, bucket.is_some(), key.is_some(), query, headers));
    Operation {
        service: Service::S3,
        name,
        bucket,
        key,
    }
}

fn decode_path(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

/// S3 REST: the operation from the method and the sub-resource in the query.
fn s3_name(
    method: &Method,
    has_bucket: bool,
    has_key: bool,
    query: &str,
    headers: &HeaderMap,
) -> String {
    let verb = match *method {
        Method::GET => "Get",
        Method::PUT => "Put",
        Method::DELETE => "Delete",
        Method::HEAD => "Head",
        Method::POST => "Post",
        _ => "Other",
    };
    if !has_bucket {
        return if verb == "Get" {
            "ListBuckets"
        } else {
            "Unknown"
        }
        .to_owned();
    }
    if has_key {
        let name = if query_has(query, "uploads") {
            "CreateMultipartUpload"
        } else if query_has(query, "uploadId") {
            match verb {
                "Put" => "UploadPart",
                "Post" => "CompleteMultipartUpload",
                "Delete" => "AbortMultipartUpload",
                _ => "ListParts",
            }
        } else if query_has(query, "tagging") {
            return format!("{verb}ObjectTagging");
        } else if query_has(query, "acl") {
            return format!("{verb}ObjectAcl");
        } else {
            match verb {
                "Put" if headers.contains_key("x-amz-copy-source") => "CopyObject",
                "Put" => "PutObject",
                "Get" => "GetObject",
                "Head" => "HeadObject",
                "Delete" => "DeleteObject",
                _ => "Unknown",
            }
        };
        return name.to_owned();
    }
    const SUBRESOURCES: &[(&str, &str)] = &[
        ("policy", "BucketPolicy"),
        ("policyStatus", "BucketPolicyStatus"),
        ("encryption", "BucketEncryption"),
        ("object-lock", "ObjectLockConfiguration"),
        ("tagging", "BucketTagging"),
        ("versioning", "BucketVersioning"),
        ("publicAccessBlock", "PublicAccessBlock"),
        ("ownershipControls", "BucketOwnershipControls"),
        ("acl", "BucketAcl"),
        ("cors", "BucketCors"),
        ("lifecycle", "BucketLifecycleConfiguration"),
        ("notification", "BucketNotificationConfiguration"),
        ("location", "BucketLocation"),
        ("logging", "BucketLogging"),
        ("website", "BucketWebsite"),
    ];
    if verb == "Post" && query_has(query, "delete") {
        return "DeleteObjects".to_owned();
    }
    if query_has(query, "uploads") {
        return "ListMultipartUploads".to_owned();
    }
    if query_has(query, "versions") {
        return "ListObjectVersions".to_owned();
    }
    if let Some((_, resource)) = SUBRESOURCES.iter().find(|(q, _)| query_has(query, q)) {
        return format!("{verb}{resource}");
    }
    match verb {
        "Get" if query_param(query, "list-type") == Some("2") => "ListObjectsV2",
        "Get" => "ListObjects",
        "Put" => "CreateBucket",
        "Delete" => "DeleteBucket",
        "Head" => "HeadBucket",
        _ => "Unknown",
    }
    .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    const FORM: (&str, &str) = (
        "content-type",
        "application/x-www-form-urlencoded; charset=utf-8",
    );

    #[test]
    fn query_protocol_names_iam_and_sts() {
        let op = detect(
            &Method::POST,
            "/",
            "",
            &headers(&[FORM]),
            b"Action=CreateRole&Version=2010-05-08",
        );
        assert_eq!((op.service, op.name.as_str()), (Service::Iam, "CreateRole"));
        let op = detect(
            &Method::POST,
            "/",
            "",
            &headers(&[FORM]),
            b"Action=GetCallerIdentity",
        );
        assert_eq!(op.service, Service::Sts);
        let auth = (
            "authorization",
            "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/sts/aws4_request",
        );
        let op = detect(
            &Method::POST,
            "/",
            "",
            &headers(&[FORM, auth]),
            b"Action=GetSomethingNew",
        );
        assert_eq!(op.service, Service::Sts);
    }

    #[test]
    fn a_form_uploaded_to_s3_is_an_object() {
        let op = detect(
            &Method::PUT,
            "/b/k",
            "",
            &headers(&[FORM]),
            b"Action=CreateRole",
        );
        assert_eq!((op.service, op.name.as_str()), (Service::S3, "PutObject"));
        assert!(!needs_body(&Method::PUT, "/b/k", &headers(&[FORM])));
        assert!(needs_body(&Method::POST, "/", &headers(&[FORM])));
    }

    #[test]
    fn json_protocol_names_secrets_manager() {
        let op = detect(
            &Method::POST,
            "/",
            "",
            &headers(&[("x-amz-target", "secretsmanager.ListSecrets")]),
            b"{}",
        );
        assert_eq!(
            (op.service, op.name.as_str()),
            (Service::SecretsManager, "ListSecrets")
        );
    }

    #[test]
    fn s3_rest_names() {
        let none = HeaderMap::new();
        let name = |m: Method, p: &str, q: &str, h: &HeaderMap| detect(&m, p, q, h, b"").name;
        assert_eq!(name(Method::GET, "/", "", &none), "ListBuckets");
        assert_eq!(name(Method::PUT, "/b", "policy", &none), "PutBucketPolicy");
        assert_eq!(
            name(Method::GET, "/b", "list-type=2&prefix=a", &none),
            "ListObjectsV2"
        );
        assert_eq!(name(Method::PUT, "/b/k", "", &none), "PutObject");
        assert_eq!(
            name(
                Method::PUT,
                "/b/k",
                "",
                &headers(&[("x-amz-copy-source", "/b/j")])
            ),
            "CopyObject"
        );
        assert_eq!(
            name(Method::POST, "/b/k", "uploads", &none),
            "CreateMultipartUpload"
        );
        assert_eq!(
            name(Method::DELETE, "/b/k", "x-id=DeleteObject", &none),
            "DeleteObject"
        );
        assert_eq!(
            name(Method::GET, "/b", "encryption", &none),
            "GetBucketEncryption"
        );
        assert_eq!(
            name(Method::GET, "/b", "object-lock", &none),
            "GetObjectLockConfiguration"
        );
        let op = detect(&Method::HEAD, "/my-bucket/a%20b/c", "", &none, b"");
        assert_eq!(
            (op.bucket.as_deref(), op.key.as_deref()),
            (Some("my-bucket"), Some("a b/c"))
        );
    }

    #[test]
    fn writes_are_anything_but_reads() {
        let op = |name: &str| Operation {
            service: Service::Iam,
            name: name.into(),
            bucket: None,
            key: None,
        };
        assert!(op("CreateAccessKey").is_write());
        assert!(op("PutBucketPolicy").is_write());
        assert!(!op("GetRole").is_write());
        assert!(!op("ListObjectsV2").is_write());
        assert!(!op("HeadObject").is_write());
    }
}
