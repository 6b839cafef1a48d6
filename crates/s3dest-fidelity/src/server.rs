//! The proxy's own thread and runtime, the accept loop, and the handle tests hold.

use std::net::{IpAddr, TcpListener as StdListener};
use std::sync::Arc;
use std::thread::JoinHandle;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::sync::oneshot;

use crate::config::{Behaviours, Stats};
use crate::proxy::{self, Context};
use crate::state::Shared;

/// A running proxy. Dropping it stops it.
pub struct Fidelity {
    endpoint: String,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Fidelity {
    /// Starts a proxy on a free loopback port in front of `upstream` (`http://` on a
    /// loopback address: the proxy never talks to anything else). Runs on its own
    /// thread with its own runtime, so it works inside and outside a tokio runtime.
    pub fn start(upstream: &str) -> Result<Fidelity, String> {
        let upstream = loopback_upstream(upstream)?;
        let listener = StdListener::bind("127.0.0.1:0")
            .map_err(|e| format!("cannot bind a loopback port: {e}"))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("cannot read the bound port: {e}"))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| format!("cannot make the listener non-blocking: {e}"))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot build the proxy's runtime: {e}"))?;
        let shared = Arc::new(Shared::new());
        let ctx = Arc::new(Context {
            shared: shared.clone(),
            client: Client::builder(TokioExecutor::new()).build_http(),
            upstream,
        });
        let (stop, stopped) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("s3dest-fidelity".into())
            .spawn(move || runtime.block_on(serve(listener, ctx, stopped)))
            .map_err(|e| format!("cannot start the proxy's thread: {e}"))?;
        Ok(Fidelity {
            endpoint: format!("http://{addr}"),
            shared,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        self.endpoint.clone()
    }

    /// Replaces the behaviours; the next request sees them. Fault counters restart.
    pub fn set(&self, behaviours: Behaviours) {
        self.shared.set(behaviours);
    }

    pub fn behaviours(&self) -> Behaviours {
        self.shared.lock().behaviours.clone()
    }

    /// Behaviours off, and everything learned and counted forgotten.
    pub fn reset(&self) {
        self.shared.reset();
    }

    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }
}

impl Drop for Fidelity {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn loopback_upstream(upstream: &str) -> Result<String, String> {
    let uri: http::Uri = upstream
        .parse()
        .map_err(|e| format!("upstream `{upstream}` is not a URL: {e}"))?;
    if uri.scheme_str() != Some("http") {
        return Err(format!("upstream `{upstream}` must be http://"));
    }
    let host = uri
        .host()
        .ok_or_else(|| format!("upstream `{upstream}` has no host"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if !loopback {
        return Err(format!("upstream `{upstream}` is not on loopback"));
    }
    let authority = uri.authority().map(|a| a.as_str()).unwrap_or(host);
    Ok(format!("http://{authority}"))
}

async fn serve(listener: StdListener, ctx: Arc<Context>, mut stopped: oneshot::Receiver<()>) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(listener) => listener,
        Err(_) => return,
    };
    loop {
        let accepted = tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of descriptors or similar: wait instead of spinning.
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| proxy::handle(ctx.clone(), request));
            // An error here is a closed or reset connection: nothing to report to.
            let _ = http1::Builder::new()
                .timer(TokioTimer::new())
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstreams_must_be_loopback_http() {
        assert_eq!(
            loopback_upstream("http://127.0.0.1:5000").unwrap(),
            "http://127.0.0.1:5000"
        );
        assert_eq!(
            loopback_upstream("http://localhost:5000/").unwrap(),
            "http://localhost:5000"
        );
        assert!(loopback_upstream("http://[::1]:5000").is_ok());
        assert!(loopback_upstream("https://127.0.0.1:5000").is_err());
        assert!(loopback_upstream("http://iam.amazonaws.com").is_err());
        assert!(loopback_upstream("http://10.0.0.1:80").is_err());
        assert!(loopback_upstream("nonsense").is_err());
    }
}
