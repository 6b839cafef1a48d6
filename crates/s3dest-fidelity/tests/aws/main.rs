//! The fidelity proxy against moto, driven by the real AWS SDK for Rust: each
//! behaviour shown as a client sees it. Every test holds the harness's guard (the
//! tests of this process share one moto and one proxy).

mod bucket_policies;
mod faults;
mod kms;
mod pagination;
mod principals;
mod proxy;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::config::Credentials;
use s3dest_moto::MotoGuard;

pub const ACCOUNT: &str = "123456789012";

pub const TRUST_EC2: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// The SDK's standard retries, with short waits so that tests stay quick.
pub async fn sdk_config(endpoint: &str, attempts: u32) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(
            "testing", "testing", None, None, "fixture",
        ))
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(attempts)
                .with_initial_backoff(Duration::from_millis(10)),
        )
        .load()
        .await
}

pub async fn iam(moto: &MotoGuard) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(&sdk_config(moto.endpoint(), 3).await)
}

pub async fn s3_at(endpoint: &str, attempts: u32) -> aws_sdk_s3::Client {
    let config = sdk_config(endpoint, attempts).await;
    let conf = aws_sdk_s3::config::Builder::from(&config)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

pub async fn s3(moto: &MotoGuard) -> aws_sdk_s3::Client {
    s3_at(moto.endpoint(), 3).await
}

pub async fn secrets(moto: &MotoGuard) -> aws_sdk_secretsmanager::Client {
    aws_sdk_secretsmanager::Client::new(&sdk_config(moto.endpoint(), 3).await)
}

pub fn role_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/{name}")
}

pub async fn create_role(iam: &aws_sdk_iam::Client, name: &str) -> aws_sdk_iam::types::Role {
    iam.create_role()
        .role_name(name)
        .assume_role_policy_document(TRUST_EC2)
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateRole {name}: {e:?}"))
        .role
        .expect("CreateRole returns the role")
}

pub fn bucket_policy(statements: &[String]) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    )
}

pub fn allow_role(sid: &str, role: &str, bucket: &str) -> String {
    format!(
        r#"{{"Sid":"{sid}","Effect":"Allow","Principal":{{"AWS":"{role}"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/*"}}"#
    )
}

/// A raw HTTP/1.1 exchange on an open connection: for what the SDK hides (keep-alive,
/// malformed requests, the control API).
pub struct Raw {
    stream: TcpStream,
}

pub struct RawResponse {
    pub status: u16,
    pub headers: String,
    pub body: Vec<u8>,
}

impl Raw {
    pub fn connect(endpoint: &str) -> Raw {
        let stream = TcpStream::connect(endpoint.trim_start_matches("http://"))
            .expect("connect to the proxy");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        Raw { stream }
    }

    pub fn send(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        self.stream.write_all(head.as_bytes()).unwrap();
        self.stream.write_all(body).unwrap();
    }

    pub fn write_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    /// One response (Content-Length bodies only, as the proxy sends); `None` when the
    /// connection closed first.
    pub fn read_response(&mut self) -> Option<RawResponse> {
        let mut raw = Vec::new();
        let mut byte = [0u8; 1];
        while !raw.ends_with(b"\r\n\r\n") {
            match self.stream.read(&mut byte) {
                Ok(1) => raw.push(byte[0]),
                _ => return None,
            }
        }
        let head = String::from_utf8_lossy(&raw).into_owned();
        let status = head.split(' ').nth(1)?.parse().ok()?;
        let length: usize = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().ok())?
            })
            .unwrap_or(0);
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body).ok()?;
        Some(RawResponse {
            status,
            headers: head,
            body,
        })
    }

    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Option<RawResponse> {
        self.send(method, path, headers, body);
        self.read_response()
    }

    /// The head of a response, then whatever body arrives before the connection closes.
    pub fn read_head_and_rest(&mut self) -> (String, Vec<u8>) {
        let mut raw = Vec::new();
        let _ = self.stream.read_to_end(&mut raw);
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(raw.len(), |p| p + 4);
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        (head, raw[split..].to_vec())
    }

    /// Whether the other side has closed the connection (reads EOF).
    pub fn is_closed(&mut self) -> bool {
        let mut byte = [0u8; 1];
        matches!(self.stream.read(&mut byte), Ok(0) | Err(_))
    }
}

pub fn body_text(response: &RawResponse) -> String {
    String::from_utf8_lossy(&response.body).into_owned()
}
