//! The behaviours, hooked in before a request goes to moto and after it answers.
//! Each hook is a thin edge over the pure modules (pagination, principals,
//! bucket_policy, kms).

use std::time::Instant;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};

use crate::bucket_policy::{self, ObjectWrite};
use crate::config::Behaviours;
use crate::kms;
use crate::operation::{self, Operation, Service, form_field, form_fields};
use crate::pagination::{iam, s3, secrets};
use crate::principals::{self, aws_principals, is_unique_id, parse_document};
use crate::proxy::{self, Context, INTERNAL_HEADER, OutBody, Outgoing};
use crate::reply::{self, Reply};
use crate::state::{KmsDefault, Shared};
use crate::xml;

/// What a hook before forwarding leaves for the hooks after.
#[derive(Debug, Default)]
pub struct Pending {
    iam_page: Option<iam::Page>,
    s3_page: Option<s3::Page>,
    secrets_page: Option<secrets::Page>,
    /// The role being deleted: its ARN and unique id.
    deleting_role: Option<(String, String)>,
    /// What PutBucketEncryption asked for.
    encryption: Option<(String, Option<String>)>,
    /// The whole policy of a PutBucketPolicy, kept when moto accepts its part.
    policy_put: Option<String>,
}

/// S3 operations whose request body a behaviour reads.
pub fn needs_s3_body(op: &Operation) -> bool {
    op.service == Service::S3 && (op.is("PutBucketPolicy") || op.is("PutBucketEncryption"))
}

fn is_object_write(op: &Operation) -> bool {
    op.service == Service::S3
        && (op.is("PutObject") || op.is("CopyObject") || op.is("CreateMultipartUpload"))
}

pub async fn before(
    ctx: &Context,
    b: &Behaviours,
    op: &Operation,
    out: &mut Outgoing,
    pending: &mut Pending,
) -> Option<Reply> {
    if b.conditional_delete_not_implemented
        && op.is("DeleteObject")
        && out.headers.contains_key("if-match")
    {
        return Some(reply::s3_error(
            StatusCode::NOT_IMPLEMENTED,
            "NotImplemented",
            "A header you provided implies functionality that is not implemented",
        ));
    }
    if let Some(refusal) = check_principals(&ctx.shared, b, op, out) {
        return Some(refusal);
    }
    if b.realistic_bucket_policies
        && let Some(denied) = keep_public_statements(&ctx.shared, op, out, pending)
    {
        return Some(denied);
    }
    kms_before(&ctx.shared, op, out, pending);
    if b.rewrite_deleted_principals && op.is("DeleteRole") {
        pending.deleting_role = lookup_role(ctx, out).await;
    }
    if let Some(size) = b.page_size(op.service) {
        return paginate_request(op, out, size, pending);
    }
    None
}

pub fn after(
    shared: &Shared,
    b: &Behaviours,
    op: &Operation,
    pending: &Pending,
    reply: &mut Reply,
) {
    learn_identities(shared, op, pending, reply);
    if b.realistic_bucket_policies {
        answer_whole_policy(shared, op, pending, reply);
    }
    kms_after(shared, op, pending, reply);
    if b.rewrite_deleted_principals {
        show_deleted_principals(shared, op, reply);
    }
    cut_page(pending, reply);
    if b.encode_iam_documents && op.is("GetAccountAuthorizationDetails") && reply.is_success() {
        let encoded = reply.text().and_then(|text| {
            principals::map_iam_documents(text, |doc| {
                doc.trim_start()
                    .starts_with('{')
                    .then(|| principals::percent_encode(doc))
            })
        });
        if let Some(body) = encoded {
            reply.set_body(body);
        }
    }
}

/// The text of the request body, with S3's aws-chunked framing removed.
fn body_text(out: &Outgoing) -> Option<String> {
    let bytes = out.bytes()?;
    let chunked = operation::header(&out.headers, "content-encoding")
        .is_some_and(|e| e.contains("aws-chunked"));
    let plain = if chunked {
        decode_aws_chunked(bytes)?
    } else {
        bytes.to_vec()
    };
    String::from_utf8(plain).ok()
}

/// `size[;chunk-signature=…]\r\ndata\r\n … 0\r\n[trailers]\r\n`.
fn decode_aws_chunked(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = rest.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&rest[..eol]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[eol + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

/// The policy document a request carries, where principals matter.
fn policy_in_request(op: &Operation, out: &Outgoing) -> Option<String> {
    let field = match (op.service, op.name.as_str()) {
        (Service::S3, "PutBucketPolicy") => return body_text(out),
        (Service::Iam, "CreateRole") => "AssumeRolePolicyDocument",
        (Service::Iam, "UpdateAssumeRolePolicy") => "PolicyDocument",
        _ => return None,
    };
    let fields = form_fields(out.bytes()?);
    form_field(&fields, field).map(str::to_owned)
}

/// Refuses principals that real AWS would not accept: unique ids, and (within the
/// propagation delay) roles and users just created.
fn check_principals(
    shared: &Shared,
    b: &Behaviours,
    op: &Operation,
    out: &Outgoing,
) -> Option<Reply> {
    if !b.rewrite_deleted_principals && b.propagation_delay.is_none() {
        return None;
    }
    let (policy, _) = parse_document(&policy_in_request(op, out)?)?;
    let all = aws_principals(&policy);
    let unique_id = all
        .iter()
        .find(|p| b.rewrite_deleted_principals && is_unique_id(p));
    let not_yet = || {
        let delay = b.propagation_delay?;
        let state = shared.lock();
        all.iter()
            .find(|p| {
                state
                    .learned
                    .created
                    .get(*p)
                    .is_some_and(|at| at.elapsed() < delay)
            })
            .cloned()
    };
    let invalid = unique_id.cloned().or_else(not_yet)?;
    Some(match op.service {
        Service::S3 => reply::s3_error(
            StatusCode::BAD_REQUEST,
            "MalformedPolicy",
            "Invalid principal in policy",
        ),
        _ => reply::query_error(
            StatusCode::BAD_REQUEST,
            "MalformedPolicyDocument",
            &format!("Invalid principal in policy: \"AWS\":\"{invalid}\""),
        ),
    })
}

/// `realistic_bucket_policies` before forwarding: moto gets only the statements for
/// named principals; object writes are evaluated against the rest.
fn keep_public_statements(
    shared: &Shared,
    op: &Operation,
    out: &mut Outgoing,
    pending: &mut Pending,
) -> Option<Reply> {
    let bucket = op.bucket.as_deref()?;
    if op.is("PutBucketPolicy") {
        let text = body_text(out)?;
        match bucket_policy::for_moto(&text) {
            Ok(Some(named)) => out.replace_body(named.into_bytes()),
            Ok(None) => {
                out.method = Method::DELETE;
                out.query = "policy".to_owned();
                out.replace_body(Vec::new());
            }
            Err(_) => return None,
        }
        pending.policy_put = Some(text);
        return None;
    }
    if !is_object_write(op) {
        return None;
    }
    let policy = shared.lock().learned.bucket_policies.get(bucket).cloned()?;
    let write = ObjectWrite {
        bucket,
        key: op.key.as_deref().unwrap_or(""),
        encryption: operation::header(&out.headers, "x-amz-server-side-encryption"),
    };
    bucket_policy::denies(&policy, write)
        .map(|_| reply::s3_error(StatusCode::FORBIDDEN, "AccessDenied", "Access Denied"))
}

fn answer_whole_policy(shared: &Shared, op: &Operation, pending: &Pending, reply: &mut Reply) {
    let Some(bucket) = op.bucket.as_deref() else {
        return;
    };
    let mut state = shared.lock();
    let policies = &mut state.learned.bucket_policies;
    match op.name.as_str() {
        "PutBucketPolicy" if reply.is_success() => {
            if let Some(text) = &pending.policy_put {
                policies.insert(bucket.to_owned(), text.clone());
            }
        }
        "DeleteBucketPolicy" if reply.is_success() => {
            policies.remove(bucket);
        }
        "GetBucketPolicy" => {
            let moto_has_none = reply.status == StatusCode::NOT_FOUND
                && reply
                    .text()
                    .is_some_and(|t| t.contains("NoSuchBucketPolicy"));
            if let Some(text) = policies.get(bucket) {
                if reply.is_success() || moto_has_none {
                    *reply = Reply::new(StatusCode::OK, "application/json", text.clone());
                } else if reply.status == StatusCode::NOT_FOUND {
                    policies.remove(bucket); // the bucket itself is gone
                }
            }
        }
        _ => {}
    }
}

fn kms_before(shared: &Shared, op: &Operation, out: &mut Outgoing, pending: &mut Pending) {
    if op.is("PutBucketEncryption") {
        pending.encryption = body_text(out).and_then(|text| kms::requested_encryption(&text));
    }
    let state = shared.lock();
    if state.learned.kms_etags.is_empty() {
        return;
    }
    for name in [
        "if-match",
        "if-none-match",
        "x-amz-copy-source-if-match",
        "x-amz-copy-source-if-none-match",
    ] {
        let real = operation::header(&out.headers, name)
            .and_then(|shown| state.learned.kms_etags.get(shown));
        if let Some(value) = real.and_then(|r| HeaderValue::from_str(r).ok()) {
            out.headers.insert(name, value);
        }
    }
}

fn kms_after(shared: &Shared, op: &Operation, pending: &Pending, reply: &mut Reply) {
    if op.service != Service::S3 {
        return;
    }
    let Some(bucket) = op.bucket.as_deref() else {
        return;
    };
    let mut state = shared.lock();
    match op.name.as_str() {
        "PutBucketEncryption" if reply.is_success() => match &pending.encryption {
            Some((algorithm, key)) if algorithm.starts_with("aws:kms") => {
                let default = KmsDefault {
                    algorithm: algorithm.clone(),
                    named_key: key.clone(),
                };
                state.learned.kms_buckets.insert(bucket.to_owned(), default);
            }
            _ => {
                state.learned.kms_buckets.remove(bucket);
            }
        },
        "DeleteBucketEncryption" if reply.is_success() => {
            state.learned.kms_buckets.remove(bucket);
        }
        "GetBucketEncryption" => {
            let moto_has_none = reply.status == StatusCode::NOT_FOUND
                && reply
                    .text()
                    .is_some_and(|t| t.contains("ServerSideEncryptionConfigurationNotFound"));
            let kms = state
                .kms_default(bucket)
                .filter(|_| reply.is_success() || moto_has_none);
            let answer = match kms {
                Some(kms) => Some((kms.algorithm, kms.named_key)),
                // Every AWS bucket has SSE-S3 at least (since January 2023).
                None if moto_has_none && state.behaviours.sse_s3_by_default => {
                    Some(("AES256".to_owned(), None))
                }
                None => None,
            };
            if let Some((algorithm, key)) = answer {
                *reply = Reply::new(
                    StatusCode::OK,
                    "application/xml",
                    kms::encryption_configuration(&algorithm, key.as_deref()),
                );
            }
        }
        "ListObjectsV2" | "ListObjects" | "CopyObject"
            if reply.is_success() && state.kms_default(bucket).is_some() =>
        {
            let rewritten = reply.text().and_then(|text| match op.key.as_deref() {
                Some(key) if op.is("CopyObject") => kms::rewrite_copy_result(text, bucket, key),
                _ => kms::rewrite_listing(text, bucket),
            });
            if let Some((body, pairs)) = rewritten {
                reply.set_body(body);
                state.learned.kms_etags.extend(pairs);
            }
        }
        _ => {}
    }
    drop(state);
    object_headers(shared, op, reply.status, &mut reply.headers);
}

/// SSE-KMS object answers: the KMS ETag and the encryption headers.
pub fn object_headers(
    shared: &Shared,
    op: &Operation,
    status: StatusCode,
    headers: &mut HeaderMap,
) {
    let object_op =
        ["PutObject", "HeadObject", "GetObject", "CopyObject"].contains(&op.name.as_str());
    if op.service != Service::S3 || !object_op || !status.is_success() {
        return;
    }
    let (Some(bucket), Some(key)) = (op.bucket.as_deref(), op.key.as_deref()) else {
        return;
    };
    let mut state = shared.lock();
    let Some(kms) = state.kms_default(bucket) else {
        return;
    };
    if let Some(real) = operation::header(headers, "etag").map(str::to_owned) {
        let fake = kms::kms_etag(bucket, key, &real);
        if let Ok(value) = HeaderValue::from_str(&fake) {
            headers.insert(http::header::ETAG, value);
        }
        state.learned.kms_etags.insert(fake, real);
    }
    if let Ok(value) = HeaderValue::from_str(&kms.algorithm) {
        headers.insert("x-amz-server-side-encryption", value);
    }
    if let Ok(value) = HeaderValue::from_str(kms.object_key()) {
        headers.insert("x-amz-server-side-encryption-aws-kms-key-id", value);
    }
}

/// Before a DeleteRole: the role's ARN and unique id, from moto (one GetRole, sent
/// with the client's credentials so moto picks the same account).
async fn lookup_role(ctx: &Context, out: &Outgoing) -> Option<(String, String)> {
    let fields = form_fields(out.bytes()?);
    let name = form_field(&fields, "RoleName")?;
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("Action", "GetRole")
        .append_pair("Version", "2010-05-08")
        .append_pair("RoleName", name)
        .finish();
    let mut headers = HeaderMap::new();
    for name in ["authorization", "host", "x-amz-date"] {
        if let Some(value) = out.headers.get(name) {
            headers.insert(name, value.clone());
        }
    }
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
    );
    headers.insert(INTERNAL_HEADER, HeaderValue::from_static("1"));
    let request = Outgoing {
        method: Method::POST,
        path: out.path.clone(),
        query: String::new(),
        headers,
        body: OutBody::Full(Bytes::from(body)),
    };
    let response = proxy::forward(ctx, request).await.ok()?;
    let reply = proxy::collect(response, false).await.ok()?;
    if !reply.is_success() {
        return None;
    }
    let doc = xml::parse(reply.text()?).ok()?;
    let role = xml::descendants(&doc, "Role").next()?;
    Some((
        xml::child_text(role, "Arn")?.to_owned(),
        xml::child_text(role, "RoleId")?.to_owned(),
    ))
}

fn learn_identities(shared: &Shared, op: &Operation, pending: &Pending, reply: &Reply) {
    if op.service != Service::Iam || !reply.is_success() {
        return;
    }
    let mut state = shared.lock();
    let learned = &mut state.learned;
    match op.name.as_str() {
        "CreateRole" | "CreateUser" => {
            let arn = reply.text().and_then(|text| {
                let doc = xml::parse(text).ok()?;
                let entity = xml::descendants(&doc, "Role")
                    .chain(xml::descendants(&doc, "User"))
                    .next()?;
                xml::child_text(entity, "Arn").map(str::to_owned)
            });
            if let Some(arn) = arn {
                // A new role of the same name is a new principal.
                learned.deleted_roles.remove(&arn);
                learned.created.insert(arn, Instant::now());
            }
        }
        "DeleteRole" => {
            if let Some((arn, id)) = &pending.deleting_role {
                learned.created.remove(arn);
                learned.deleted_roles.insert(arn.clone(), id.clone());
            }
        }
        _ => {}
    }
}

/// IAM, and S3 bucket policies, show a deleted role by its unique id.
fn show_deleted_principals(shared: &Shared, op: &Operation, reply: &mut Reply) {
    const IAM_READS: &[&str] = &[
        "GetRole",
        "GetRolePolicy",
        "GetUserPolicy",
        "ListRoles",
        "GetAccountAuthorizationDetails",
    ];
    let shows_policies = (op.service == Service::S3 && op.is("GetBucketPolicy"))
        || (op.service == Service::Iam && IAM_READS.contains(&op.name.as_str()));
    if !shows_policies || !reply.is_success() {
        return;
    }
    let ids = shared.lock().learned.deleted_roles.clone();
    let Some(text) = reply.text() else { return };
    let rewritten = if op.service == Service::S3 {
        principals::rewrite_document(text, &ids)
    } else {
        principals::map_iam_documents(text, |doc| principals::rewrite_document(doc, &ids))
    };
    if let Some(body) = rewritten {
        reply.set_body(body);
    }
}

fn paginate_request(
    op: &Operation,
    out: &mut Outgoing,
    size: usize,
    pending: &mut Pending,
) -> Option<Reply> {
    match op.service {
        Service::Iam if iam::is_paged(&op.name) => {
            let fields = form_fields(out.bytes()?);
            match iam::prepare(&op.name, &fields, size) {
                Err(message) => {
                    return Some(reply::query_error(
                        StatusCode::BAD_REQUEST,
                        "ValidationError",
                        &message,
                    ));
                }
                Ok((forwarded, page)) => {
                    let body = form_urlencoded::Serializer::new(String::new())
                        .extend_pairs(forwarded)
                        .finish();
                    out.replace_body(body.into_bytes());
                    pending.iam_page = Some(page);
                }
            }
        }
        Service::S3 if op.is("ListObjectsV2") => {
            match s3::prepare(op.bucket.as_deref()?, &out.query, size) {
                Err(message) => {
                    return Some(reply::s3_error(
                        StatusCode::BAD_REQUEST,
                        "InvalidArgument",
                        &message,
                    ));
                }
                Ok((query, page)) => {
                    out.query = query;
                    pending.s3_page = Some(page);
                }
            }
        }
        Service::SecretsManager if op.is("ListSecrets") => {
            match secrets::prepare(out.bytes()?, size) {
                Err(message) => {
                    return Some(reply::json_error(
                        StatusCode::BAD_REQUEST,
                        "InvalidNextTokenException",
                        &message,
                    ));
                }
                Ok((body, page)) => {
                    out.replace_body(body);
                    pending.secrets_page = Some(page);
                }
            }
        }
        _ => {}
    }
    None
}

/// Cuts the page; an answer that cannot be cut is passed on as moto sent it.
fn cut_page(pending: &Pending, reply: &mut Reply) {
    if !reply.is_success() {
        return;
    }
    let cut = if let Some(page) = &pending.iam_page {
        reply
            .text()
            .and_then(|t| iam::cut(page, t).ok())
            .map(String::into_bytes)
    } else if let Some(page) = &pending.s3_page {
        reply
            .text()
            .and_then(|t| s3::cut(page, t).ok())
            .map(String::into_bytes)
    } else if let Some(page) = &pending.secrets_page {
        secrets::cut(page, &reply.body).ok()
    } else {
        None
    };
    if let Some(body) = cut {
        reply.set_body(body);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_chunked_bodies_are_decoded() {
        let framed = b"5;chunk-signature=abc\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAA\r\n\r\n";
        assert_eq!(
            decode_aws_chunked(framed).as_deref(),
            Some(&b"hello world"[..])
        );
        assert_eq!(decode_aws_chunked(b"zz\r\n"), None);
        assert_eq!(decode_aws_chunked(b"5\r\nhi"), None);
    }
}
