//! The proxy as a proxy: transparent when nothing is on, keep-alive, large and
//! aws-chunked uploads, malformed requests, the control API and the binary.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use aws_sdk_s3::primitives::ByteStream;
use s3dest_fidelity::{Behaviours, Fidelity, Stats};
use s3dest_moto::{moto, moto_with};

use crate::{Raw, body_text, s3};

#[tokio::test]
async fn large_and_streamed_uploads_pass_through_untouched() {
    let moto = moto_with(Behaviours::default());
    let s3 = s3(&moto).await;
    s3.create_bucket().bucket("large").send().await.unwrap();
    let content: Vec<u8> = (0..6 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    let path = std::env::temp_dir().join(format!("fidelity-upload-{}", std::process::id()));
    std::fs::write(&path, &content).unwrap();
    // A body from a file streams, which the SDK sends aws-chunked with a trailing checksum.
    let body = ByteStream::from_path(&path).await.unwrap();
    s3.put_object()
        .bucket("large")
        .key("blob")
        .body(body)
        .send()
        .await
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    let got = s3
        .get_object()
        .bucket("large")
        .key("blob")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        content.as_slice()
    );
    let stats = moto.fidelity().stats();
    assert_eq!((stats.count("PutObject"), stats.count("GetObject")), (1, 1));
    assert!(stats.bytes_sent >= content.len() as u64, "{stats:?}");
}

#[test]
fn keep_alive_connections_serve_many_requests() {
    let moto = moto_with(Behaviours::default());
    let mut raw = Raw::connect(moto.endpoint());
    for _ in 0..3 {
        let response = raw
            .request("GET", "/", &[], b"")
            .expect("an answer on the same connection");
        assert_eq!(response.status, 200);
        assert!(body_text(&response).contains("ListAllMyBucketsResult"));
    }
    assert_eq!(moto.fidelity().stats().requests, 3);
}

#[test]
fn malformed_requests_get_an_http_error_not_a_hang() {
    let moto = moto_with(Behaviours {
        page_size: Some(2),
        ..Behaviours::default()
    });
    let mut raw = Raw::connect(moto.endpoint());
    raw.write_raw(b"NOT HTTP AT ALL\r\n\r\n");
    let response = raw.read_response();
    assert!(response.is_none_or(|r| r.status == 400));
    let mut raw = Raw::connect(moto.endpoint());
    let form = ("content-type", "application/x-www-form-urlencoded");
    let response = raw
        .request("POST", "/", &[form], b"Action=ListRoles&Marker=%ZZ%")
        .unwrap();
    assert_eq!(response.status, 400, "{}", body_text(&response));
    assert!(body_text(&response).contains("ValidationError"));
    let target = ("x-amz-target", "secretsmanager.ListSecrets");
    let response = raw.request("POST", "/", &[target], b"{not json").unwrap();
    assert_eq!(response.status, 400);
    let response = raw.request("GET", "/", &[], b"").unwrap();
    assert_eq!(response.status, 200, "the proxy still serves");
}

#[test]
fn reset_before_forward_closes_without_a_reply() {
    let moto = moto_with(Behaviours::default());
    let plan = r#"{"faults": {"schedule": [{"operation": "ListBuckets", "nth": 1, "fault": "ResetBeforeForward"}]}}"#;
    let mut raw = Raw::connect(moto.endpoint());
    assert_eq!(
        raw.request("POST", "/_fidelity/config", &[], plan.as_bytes())
            .unwrap()
            .status,
        200
    );
    raw.send("GET", "/", &[], b"");
    assert!(raw.read_response().is_none());
    assert!(raw.is_closed());
}

#[test]
fn reset_mid_response_sends_the_head_and_half_the_body() {
    let moto = moto_with(Behaviours::default());
    let plan = r#"{"faults": {"schedule": [{"operation": "ListBuckets", "nth": 1, "fault": "ResetMidResponse"}]}}"#;
    let mut raw = Raw::connect(moto.endpoint());
    assert_eq!(
        raw.request("POST", "/_fidelity/config", &[], plan.as_bytes())
            .unwrap()
            .status,
        200
    );
    raw.send("GET", "/", &[], b"");
    let (head, body) = raw.read_head_and_rest();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .and_then(|n| n.trim().parse().ok())
        .expect("the full length is announced");
    assert!(
        !body.is_empty() && body.len() < length,
        "{} of {length} bytes",
        body.len()
    );
}

#[test]
fn the_control_api_drives_the_proxy() {
    let moto = moto_with(Behaviours::default());
    let mut raw = Raw::connect(moto.endpoint());
    let config = r#"{"page_size": 3, "propagation_delay": "1.5s", "faults": {"rate": 0.0, "kinds": [{"Latency": 10}]}}"#;
    let response = raw
        .request("POST", "/_fidelity/config", &[], config.as_bytes())
        .unwrap();
    assert_eq!(response.status, 200, "{}", body_text(&response));
    let behaviours = moto.fidelity().behaviours();
    assert_eq!(behaviours.page_size, Some(3));
    assert_eq!(
        behaviours.propagation_delay,
        Some(std::time::Duration::from_millis(1500))
    );
    let shown = raw.request("GET", "/_fidelity/config", &[], b"").unwrap();
    assert!(
        body_text(&shown).contains(r#""propagation_delay":1500"#),
        "{}",
        body_text(&shown)
    );

    raw.request("GET", "/", &[], b"").unwrap();
    let stats = raw.request("GET", "/_fidelity/stats", &[], b"").unwrap();
    let stats: Stats = serde_json::from_slice(&stats.body).unwrap();
    assert_eq!((stats.requests, stats.count("ListBuckets")), (1, 1));
    assert!(stats.bytes_sent > 0);

    let bad = raw
        .request("POST", "/_fidelity/config", &[], br#"{"page_sise": 1}"#)
        .unwrap();
    assert_eq!(bad.status, 400);
    assert!(body_text(&bad).contains("page_sise"));
    assert_eq!(
        raw.request("GET", "/_fidelity/nothing", &[], b"")
            .unwrap()
            .status,
        404
    );
    assert_eq!(
        raw.request("POST", "/_fidelity/reset", &[], b"")
            .unwrap()
            .status,
        200
    );
    assert_eq!(moto.fidelity().behaviours(), Behaviours::default());
    assert_eq!(moto.fidelity().stats(), Stats::default());
}

#[test]
fn moto_api_paths_are_forwarded_and_not_counted() {
    let moto = moto_with(Behaviours {
        faults: Some(s3dest_fidelity::FaultPlan {
            rate: 1.0,
            kinds: vec![s3dest_fidelity::FaultKind::InternalError],
            ..Default::default()
        }),
        ..Behaviours::default()
    });
    let mut raw = Raw::connect(moto.endpoint());
    let response = raw.request("GET", "/moto-api/data.json", &[], b"").unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(moto.fidelity().stats().requests, 0);
    assert_eq!(raw.request("GET", "/", &[], b"").unwrap().status, 500);
}

#[tokio::test]
async fn a_proxy_starts_and_stops_inside_a_runtime() {
    let moto = moto();
    let proxy = Fidelity::start(moto.endpoint()).unwrap();
    let s3 = crate::s3_at(&proxy.endpoint(), 1).await;
    s3.list_buckets().send().await.unwrap();
    assert_eq!(proxy.stats().count("ListBuckets"), 1);
    drop(proxy);
    assert!(
        Fidelity::start("http://example.com").is_err(),
        "loopback only"
    );
}

#[test]
fn the_binary_prints_its_endpoint_and_stops_with_its_stdin() {
    let moto = moto();
    let mut child = Command::new(env!("CARGO_BIN_EXE_s3dest-fidelity"))
        .args([
            "--upstream",
            moto.endpoint(),
            "--config",
            r#"{"page_size": 2}"#,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let endpoint = line.trim();
    assert!(endpoint.starts_with("http://127.0.0.1:"), "{line}");
    let mut raw = Raw::connect(endpoint);
    let config = raw.request("GET", "/_fidelity/config", &[], b"").unwrap();
    assert!(body_text(&config).contains(r#""page_size":2"#));
    assert_eq!(raw.request("GET", "/", &[], b"").unwrap().status, 200);
    drop(child.stdin.take());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");

    let bad = Command::new(env!("CARGO_BIN_EXE_s3dest-fidelity"))
        .arg("--nonsense")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}
