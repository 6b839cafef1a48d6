//! One client request, start to end: find its operation, count it, inject its fault,
//! apply the behaviours before and after moto answers.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body::{Body, Frame};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;

use crate::faults::{self, Injection};
use crate::operation::{self, Operation, Service};
use crate::reply::{self, Reply};
use crate::state::Shared;
use crate::steps;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
pub type ProxyBody = BoxBody<Bytes, BoxError>;

/// Bodies the proxy reads whole (query/JSON requests, bucket policies, answers to
/// rewrite) are small in AWS; anything bigger is refused rather than buffered.
const MAX_BUFFERED: usize = 64 * 1024 * 1024;
/// Header added to the proxy's own requests to moto, so the harness's recorder can
/// leave them out.
pub const INTERNAL_HEADER: &str = "x-fidelity-internal";

/// Returned by the service to make hyper close the connection without a reply.
#[derive(Debug)]
pub struct Abort(pub &'static str);

impl std::fmt::Display for Abort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Abort {}

pub struct Context {
    pub shared: Arc<Shared>,
    pub client: Client<HttpConnector, ProxyBody>,
    /// `http://host:port`, no trailing slash.
    pub upstream: String,
}

/// A request on its way to moto; behaviours may rewrite it.
pub struct Outgoing {
    pub method: Method,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: OutBody,
}

pub enum OutBody {
    Stream(Incoming),
    Full(Bytes),
}

impl Outgoing {
    /// The body, if it has been read (it is for every request a behaviour inspects).
    pub fn bytes(&self) -> Option<&Bytes> {
        match &self.body {
            OutBody::Full(bytes) => Some(bytes),
            OutBody::Stream(_) => None,
        }
    }

    /// Replaces the body with plain bytes: whatever described the old one (its
    /// checksums, aws-chunked framing) no longer applies.
    pub fn replace_body(&mut self, body: Vec<u8>) {
        for name in [
            "content-md5",
            "x-amz-decoded-content-length",
            "x-amz-trailer",
            "x-amz-sdk-checksum-algorithm",
            "content-encoding",
        ] {
            self.headers.remove(name);
        }
        let checksums: Vec<_> = self
            .headers
            .keys()
            .filter(|k| k.as_str().starts_with("x-amz-checksum-"))
            .cloned()
            .collect();
        for name in checksums {
            self.headers.remove(name);
        }
        if self.headers.contains_key("x-amz-content-sha256") {
            self.headers.insert(
                "x-amz-content-sha256",
                HeaderValue::from_static("UNSIGNED-PAYLOAD"),
            );
        }
        self.body = OutBody::Full(Bytes::from(body));
    }
}

pub async fn handle(
    ctx: Arc<Context>,
    request: Request<Incoming>,
) -> Result<Response<ProxyBody>, Abort> {
    let path = request.uri().path();
    if path.starts_with("/_fidelity/") {
        return Ok(crate::control::handle(&ctx.shared, request).await);
    }
    if path.starts_with("/moto-api/") {
        let (parts, body) = request.into_parts();
        let out = Outgoing {
            method: parts.method,
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().unwrap_or("").to_owned(),
            headers: parts.headers,
            body: OutBody::Stream(body),
        };
        return Ok(match forward(&ctx, out).await {
            Ok(response) => streamed(response),
            Err(reply) => full(reply),
        });
    }
    let response = proxy(&ctx, request).await?;
    let shared = ctx.shared.clone();
    Ok(response.map(|body| {
        body.map_frame(move |frame| {
            if let Some(data) = frame.data_ref() {
                shared.count_bytes(data.len());
            }
            frame
        })
        .boxed()
    }))
}

async fn proxy(ctx: &Context, request: Request<Incoming>) -> Result<Response<ProxyBody>, Abort> {
    let (parts, body) = request.into_parts();
    let mut out = Outgoing {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or("").to_owned(),
        headers: parts.headers,
        body: OutBody::Stream(body),
    };
    if operation::needs_body(&out.method, &out.path, &out.headers)
        && let Err(reply) = read_body(&mut out).await
    {
        return Ok(full(reply));
    }
    let empty = Bytes::new();
    let op = operation::detect(
        &out.method,
        &out.path,
        &out.query,
        &out.headers,
        out.bytes().unwrap_or(&empty),
    );
    if steps::needs_s3_body(&op)
        && let Err(reply) = read_body(&mut out).await
    {
        return Ok(full(reply));
    }
    let (behaviours, fault) = {
        let mut state = ctx.shared.lock();
        state.stats.requests += 1;
        *state.stats.operations.entry(op.name.clone()).or_insert(0) += 1;
        let plan = state.behaviours.faults.clone();
        let fault = plan.and_then(|plan| state.faults.decide(&plan, &op));
        if let Some(kind) = fault {
            *state
                .stats
                .faults
                .entry(kind.name().to_owned())
                .or_insert(0) += 1;
        }
        (state.behaviours.clone(), fault)
    };
    let mut after_forward = None;
    match fault.map(|kind| faults::injection(kind, op.service, &op.name)) {
        Some(Injection::Reply(reply)) => return Ok(full(head_aware(reply, &out.method))),
        Some(Injection::CloseBeforeForward) => return Err(Abort("fault: reset before forward")),
        Some(Injection::Delay(duration)) => tokio::time::sleep(duration).await,
        Some(other) => after_forward = Some(other),
        None => {}
    }
    let mut pending = steps::Pending::default();
    if let Some(reply) = steps::before(ctx, &behaviours, &op, &mut out, &mut pending).await {
        return Ok(full(head_aware(reply, &out.method)));
    }
    let is_head = out.method == Method::HEAD;
    let response = match forward(ctx, out).await {
        Ok(response) => response,
        Err(reply) => return Ok(full(reply)),
    };
    if after_forward.is_none() && streams_through(&op) {
        let (mut parts, body) = response.into_parts();
        steps::object_headers(&ctx.shared, &op, parts.status, &mut parts.headers);
        return Ok(Response::from_parts(
            parts,
            body.map_err(BoxError::from).boxed(),
        ));
    }
    let mut reply = collect(response, is_head).await?;
    steps::after(&ctx.shared, &behaviours, &op, &pending, &mut reply);
    match after_forward {
        Some(Injection::CloseAfterForward) => Err(Abort("fault: reset after forward")),
        Some(Injection::CloseMidResponse) if reply.body.len() >= 2 => Ok(cut_short(reply)),
        Some(Injection::CloseMidResponse) => {
            Err(Abort("fault: reset mid-response, no body to cut"))
        }
        _ => Ok(full(reply)),
    }
}

/// Object reads can be large and need only their headers changed.
fn streams_through(op: &Operation) -> bool {
    op.service == Service::S3 && op.is("GetObject")
}

async fn read_body(out: &mut Outgoing) -> Result<(), Reply> {
    let OutBody::Stream(body) = std::mem::replace(&mut out.body, OutBody::Full(Bytes::new()))
    else {
        return Ok(());
    };
    let bytes = Limited::new(body, MAX_BUFFERED)
        .collect()
        .await
        .map_err(|e| {
            reply::s3_error(
                StatusCode::BAD_REQUEST,
                "IncompleteBody",
                &format!("cannot read the request body: {e}"),
            )
        })?
        .to_bytes();
    out.body = OutBody::Full(bytes);
    Ok(())
}

/// Sends a request to moto. Hop-by-hop headers stay behind; `Expect` too, since the
/// proxy has already read what it needed.
pub async fn forward(ctx: &Context, out: Outgoing) -> Result<Response<Incoming>, Reply> {
    let mut uri = format!("{}{}", ctx.upstream, out.path);
    if !out.query.is_empty() {
        uri.push('?');
        uri.push_str(&out.query);
    }
    let mut builder = Request::builder().method(out.method).uri(uri);
    let mut headers = out.headers;
    for name in [
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "te",
        "upgrade",
        "expect",
    ] {
        headers.remove(name);
    }
    let body: ProxyBody = match out.body {
        OutBody::Stream(incoming) => incoming.map_err(BoxError::from).boxed(),
        OutBody::Full(bytes) => {
            headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
            Full::new(bytes)
                .map_err(|never: Infallible| match never {})
                .boxed()
        }
    };
    if let Some(map) = builder.headers_mut() {
        *map = headers;
    }
    let request = builder.body(body).map_err(|e| {
        reply::s3_error(
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            &format!("cannot forward: {e}"),
        )
    })?;
    ctx.client.request(request).await.map_err(|e| {
        reply::s3_error(
            StatusCode::BAD_GATEWAY,
            "BadGateway",
            &format!("moto did not answer: {e}"),
        )
    })
}

/// moto's whole answer. A body cut off by moto is a connection cut off for the client.
pub async fn collect(response: Response<Incoming>, is_head: bool) -> Result<Reply, Abort> {
    let (parts, body) = response.into_parts();
    let body = Limited::new(body, MAX_BUFFERED)
        .collect()
        .await
        .map_err(|_| Abort("moto's answer was cut off"))?
        .to_bytes();
    let mut headers = parts.headers;
    remove_hop_by_hop(&mut headers);
    headers.remove("transfer-encoding");
    if !is_head {
        headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    }
    Ok(Reply {
        status: parts.status,
        headers,
        body,
    })
}

/// moto's answer passed on as it comes. moto closes every connection (`Connection:
/// close`); the client's connection to the proxy stays open all the same.
fn streamed(response: Response<Incoming>) -> Response<ProxyBody> {
    let (mut parts, body) = response.into_parts();
    remove_hop_by_hop(&mut parts.headers);
    Response::from_parts(parts, body.map_err(BoxError::from).boxed())
}

fn remove_hop_by_hop(headers: &mut HeaderMap) {
    for name in ["connection", "keep-alive", "proxy-connection", "upgrade"] {
        headers.remove(name);
    }
}

pub fn full(reply: Reply) -> Response<ProxyBody> {
    let mut response = Response::new(
        Full::new(reply.body)
            .map_err(|never: Infallible| match never {})
            .boxed(),
    );
    *response.status_mut() = reply.status;
    *response.headers_mut() = reply.headers;
    response
}

/// A HEAD answer carries no body (S3 sends errors to HEAD with headers only).
fn head_aware(mut reply: Reply, method: &Method) -> Reply {
    if method == Method::HEAD {
        reply.set_body(Bytes::new());
    }
    reply
}

/// The status line, the headers (with the full Content-Length) and half the body;
/// then the connection is closed.
fn cut_short(reply: Reply) -> Response<ProxyBody> {
    let half = reply.body.slice(..reply.body.len() / 2);
    let mut response = Response::new(
        CutShort {
            first: Some(half),
            pause: None,
        }
        .boxed(),
    );
    *response.status_mut() = reply.status;
    *response.headers_mut() = reply.headers;
    response
}

struct CutShort {
    first: Option<Bytes>,
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Body for CutShort {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        if let Some(first) = this.first.take() {
            return Poll::Ready(Some(Ok(Frame::data(first))));
        }
        // Pause so that hyper flushes the first half before the connection drops.
        let pause = this
            .pause
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(Duration::from_millis(50))));
        match pause.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(Abort("fault: reset mid-response"))))),
        }
    }
}
