//! A whole response held in memory, and the AWS error responses the proxy makes up,
//! each in its service's format.

use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};

use crate::operation::Service;
use crate::xml::escape;

#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn new(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Reply {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(content_type) {
            headers.insert(http::header::CONTENT_TYPE, value);
        }
        let mut reply = Reply {
            status,
            headers,
            body: Bytes::new(),
        };
        reply.set_body(body);
        reply
    }

    /// Replaces the body and the headers that describe it.
    pub fn set_body(&mut self, body: impl Into<Bytes>) {
        self.body = body.into();
        self.headers.remove(http::header::TRANSFER_ENCODING);
        self.headers.insert(
            http::header::CONTENT_LENGTH,
            HeaderValue::from(self.body.len()),
        );
    }

    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }

    pub fn text(&self) -> Option<&str> {
        std::str::from_utf8(&self.body).ok()
    }

    pub fn set_header(&mut self, name: &'static str, value: &str) {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.insert(name, value);
        }
    }
}

/// A request id for made-up errors: unique within the process, AWS-shaped enough.
pub fn request_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("f1de1117-0000-4000-8000-{n:012x}")
}

/// IAM and STS (query protocol): `<ErrorResponse><Error><Type>…`.
pub fn query_error(status: StatusCode, code: &str, message: &str) -> Reply {
    let kind = if status.is_server_error() {
        "Receiver"
    } else {
        "Sender"
    };
    let body = format!(
        "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>{kind}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
        escape(code),
        escape(message),
        request_id()
    );
    Reply::new(status, "text/xml", body)
}

/// S3 (REST-XML): `<Error><Code>…`. HEAD responses carry no body, as S3's.
pub fn s3_error(status: StatusCode, code: &str, message: &str) -> Reply {
    let id = request_id();
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message><RequestId>{id}</RequestId><HostId>fidelity</HostId></Error>",
        escape(code),
        escape(message)
    );
    let mut reply = Reply::new(status, "application/xml", body);
    reply.set_header("x-amz-request-id", &id);
    reply
}

/// Secrets Manager (JSON 1.1): `{"__type": …, "message": …}`.
pub fn json_error(status: StatusCode, code: &str, message: &str) -> Reply {
    let body = serde_json::json!({ "__type": code, "message": message }).to_string();
    let mut reply = Reply::new(status, "application/x-amz-json-1.1", body);
    reply.set_header("x-amzn-requestid", &request_id());
    reply
}

/// An error in the format of `service`.
pub fn error(service: Service, status: StatusCode, code: &str, message: &str) -> Reply {
    match service {
        Service::Iam | Service::Sts => query_error(status, code, message),
        Service::S3 => s3_error(status, code, message),
        Service::SecretsManager => json_error(status, code, message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_in_each_services_format() {
        let iam = query_error(StatusCode::BAD_REQUEST, "Throttling", "Rate exceeded");
        let text = iam.text().unwrap();
        assert!(text.starts_with("<ErrorResponse"), "{text}");
        assert!(text.contains(
            "<Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message>"
        ));
        let s3 = s3_error(StatusCode::SERVICE_UNAVAILABLE, "SlowDown", "a < b");
        assert!(
            s3.text()
                .unwrap()
                .contains("<Code>SlowDown</Code><Message>a &lt; b</Message>")
        );
        let sm = json_error(
            StatusCode::BAD_REQUEST,
            "ThrottlingException",
            "Rate exceeded",
        );
        let json: serde_json::Value = serde_json::from_slice(&sm.body).unwrap();
        assert_eq!(json["__type"], "ThrottlingException");
        assert_eq!(
            sm.headers["content-length"],
            sm.body.len().to_string().as_str()
        );
    }
}
