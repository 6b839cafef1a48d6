//! The control API on the proxy itself, for subprocesses and scripts:
//! `POST /_fidelity/config` (JSON [`Behaviours`]), `POST /_fidelity/reset`,
//! `GET /_fidelity/stats` (JSON [`crate::Stats`]), `GET /_fidelity/config`.

use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;

use crate::config::Behaviours;
use crate::proxy::{ProxyBody, full};
use crate::reply::Reply;
use crate::state::Shared;

const MAX_CONFIG: usize = 1024 * 1024;

pub async fn handle(shared: &Shared, request: Request<Incoming>) -> Response<ProxyBody> {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let reply = match (method, path.as_str()) {
        (Method::POST, "/_fidelity/config") => match Limited::new(request.into_body(), MAX_CONFIG)
            .collect()
            .await
        {
            Err(e) => text(
                StatusCode::BAD_REQUEST,
                &format!("cannot read the body: {e}"),
            ),
            Ok(body) => match serde_json::from_slice::<Behaviours>(&body.to_bytes()) {
                Err(e) => text(StatusCode::BAD_REQUEST, &format!("invalid behaviours: {e}")),
                Ok(behaviours) => {
                    shared.set(behaviours);
                    json(r#"{"ok":true}"#.to_owned())
                }
            },
        },
        (Method::GET, "/_fidelity/config") => {
            json(serde_json::to_string(&shared.lock().behaviours).unwrap_or_default())
        }
        (Method::POST, "/_fidelity/reset") => {
            shared.reset();
            json(r#"{"ok":true}"#.to_owned())
        }
        (Method::GET, "/_fidelity/stats") => {
            json(serde_json::to_string(&shared.stats()).unwrap_or_default())
        }
        (_, path) => text(
            StatusCode::NOT_FOUND,
            &format!("no such control endpoint: {path}"),
        ),
    };
    full(reply)
}

fn json(body: String) -> Reply {
    Reply::new(StatusCode::OK, "application/json", body)
}

fn text(status: StatusCode, message: &str) -> Reply {
    Reply::new(status, "text/plain; charset=utf-8", message.to_owned())
}
