//! Test harness for moto server: one server per test process on a free loopback port,
//! shared by the tests of that process one at a time, reset before each.
//!
//! ```no_run
//! let moto = s3dest_moto::moto(); // waits for the other tests using moto, then resets it
//! let endpoint = moto.endpoint(); // http://127.0.0.1:PORT
//! moto.start_recording();
//! // … talk to AWS at `endpoint` …
//! assert!(moto.recorded_calls().is_empty());
//! ```
//!
//! A test that needs moto to behave like real AWS (pages, throttling, lost replies,
//! IAM propagation delay, …) goes through the process's fidelity proxy instead:
//!
//! ```no_run
//! use s3dest_moto::{Behaviours, moto_with};
//! let moto = moto_with(Behaviours { page_size: Some(2), ..Behaviours::default() });
//! let endpoint = moto.endpoint(); // the proxy's http://127.0.0.1:PORT
//! let stats = moto.fidelity().stats(); // what the proxy saw
//! ```
//!
//! The proxy (crate `s3dest-fidelity`) is started once per process, on first use, in
//! front of the process's moto. Every new guard, from [`moto`] or [`moto_with`],
//! resets its behaviours, what it learned and its stats, as it resets moto. [`moto`]
//! alone does not go through it.
//!
//! moto is installed into `<workspace>/.venv` by `scripts/setup-moto.sh`, which runs
//! once when the virtualenv is missing. Its output goes to
//! `<target>/moto/moto-<test pid>.log`, not into the test's output.
//!
//! The server lives in a `static`, which is never dropped. So that it still dies with
//! the test process, the Python wrapper blocks on its stdin in a daemon thread and
//! exits when that pipe closes, which the OS does when the test process ends (however
//! it ends).

mod http;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use serde_json::Value;

pub use s3dest_fidelity::{
    Behaviours, FaultKind, FaultPlan, Fidelity, INTERNAL_HEADER, ScheduledFault, Stats,
};

/// How long moto may take to answer after it is spawned (its imports are slow).
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// Ports are picked by binding port 0 and releasing it: another process may take it
/// before moto binds it, so a failed start is retried on a new port.
const STARTUP_ATTEMPTS: usize = 3;

/// Runs moto in-process with a watchdog on stdin. `sys.argv[1]` is the port.
const WRAPPER: &str = r#"
import os, sys, threading

def watchdog():
    # The parent holds our stdin open for its whole life: EOF means it has gone.
    try:
        sys.stdin.buffer.read()
    finally:
        os._exit(0)

threading.Thread(target=watchdog, daemon=True).start()
from moto.server import main
main(["-H", "127.0.0.1", "-p", sys.argv[1]])
"#;

/// Environment variables that would make an AWS client ignore the ones [`MotoGuard::env`]
/// sets (other credentials, other endpoints), removed by [`MotoGuard::configure`].
pub const ENV_REMOVE: &[&str] = &[
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_IAM",
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL_SECRETS_MANAGER",
    "AWS_DEFAULT_REGION",
];

/// Serializes the tests of one process that use moto: they share its state.
static LOCK: Mutex<()> = Mutex::new(());
static SERVER: OnceLock<Server> = OnceLock::new();
/// The fidelity proxy in front of [`SERVER`], started on first use.
static PROXY: OnceLock<Fidelity> = OnceLock::new();

struct Server {
    endpoint: String,
    addr: String,
    log: PathBuf,
    /// Never dropped: see the module docs. Held so that the pipe stays open.
    _stdin: Mutex<ChildStdin>,
    _child: Mutex<Child>,
}

/// Exclusive use of the process's moto server, reset when it was handed out.
///
/// Other tests calling [`moto`] wait until this guard is dropped.
pub struct MotoGuard {
    server: &'static Server,
    /// Set when the guard goes through the fidelity proxy.
    proxy: Option<&'static Fidelity>,
    /// Where clients are to connect: moto, or the proxy.
    endpoint: String,
    _lock: MutexGuard<'static, ()>,
}

/// Starts moto if this process has not yet, waits for exclusive use of it, and resets
/// its state (all backends, and the request recorder, which is left stopped).
///
/// A test that panicked while holding the guard does not block the others (the lock
/// ignores poisoning: the state is reset anyway).
///
/// # Panics
/// When moto cannot be installed or started, or does not answer the reset.
pub fn moto() -> MotoGuard {
    let lock = LOCK.lock().unwrap_or_else(PoisonError::into_inner);
    let server = SERVER.get_or_init(|| Server::start().unwrap_or_else(|e| panic!("{e}")));
    let guard = MotoGuard {
        server,
        proxy: None,
        endpoint: server.endpoint.clone(),
        _lock: lock,
    };
    // Stop first so that the reset itself is not recorded.
    guard.post("/moto-api/recorder/stop-recording");
    guard.post("/moto-api/reset");
    guard.post("/moto-api/recorder/reset-recording");
    if let Some(proxy) = PROXY.get() {
        proxy.reset();
    }
    guard
}

/// [`moto`], through the fidelity proxy with these behaviours on.
///
/// # Panics
/// As [`moto`], and when the proxy cannot start.
pub fn moto_with(behaviours: Behaviours) -> MotoGuard {
    moto().through(behaviours)
}

impl MotoGuard {
    /// Sends this guard's clients through the fidelity proxy, with `behaviours` (and
    /// nothing else: the proxy is reset first). [`MotoGuard::endpoint`], `env` and
    /// `configure` then point at the proxy.
    ///
    /// # Panics
    /// When the proxy cannot start.
    pub fn through(mut self, behaviours: Behaviours) -> MotoGuard {
        let proxy = PROXY.get_or_init(|| {
            Fidelity::start(&self.server.endpoint).unwrap_or_else(|e| panic!("fidelity proxy: {e}"))
        });
        proxy.reset();
        proxy.set(behaviours);
        self.endpoint = proxy.endpoint();
        self.proxy = Some(proxy);
        self
    }

    /// The proxy this guard goes through, to change behaviours or read its stats.
    ///
    /// # Panics
    /// When the guard does not go through it (use [`moto_with`] or
    /// [`MotoGuard::through`]).
    pub fn fidelity(&self) -> &'static Fidelity {
        self.proxy
            .expect("this guard does not go through the fidelity proxy: use moto_with")
    }

    /// `http://127.0.0.1:PORT`: moto's, or the proxy's when the guard goes through it.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// moto's own endpoint, past the proxy (to look at moto's state as it is).
    pub fn moto_endpoint(&self) -> &str {
        &self.server.endpoint
    }

    /// The environment under which an AWS SDK client (or the `s3dest` binary) talks to
    /// this server with dummy credentials and nothing from the user's own AWS setup.
    /// Also remove the variables in [`ENV_REMOVE`] (see [`MotoGuard::configure`]).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
            ("AWS_CONFIG_FILE", "/dev/null".to_owned()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".to_owned()),
        ]
    }

    /// Sets [`MotoGuard::env`] on a command and removes [`ENV_REMOVE`].
    pub fn configure<'c>(&self, command: &'c mut Command) -> &'c mut Command {
        for name in ENV_REMOVE {
            command.env_remove(name);
        }
        command.envs(self.env())
    }

    /// Forgets what was recorded and records every request from now on.
    pub fn start_recording(&self) {
        self.post("/moto-api/recorder/reset-recording");
        self.post("/moto-api/recorder/start-recording");
    }

    /// Stops recording; what was recorded stays available.
    pub fn stop_recording(&self) {
        self.post("/moto-api/recorder/stop-recording");
    }

    /// The requests recorded since [`MotoGuard::start_recording`]: one JSON object per
    /// request, with `method`, `url`, `headers` and `body` (base64 when `body_encoded`).
    /// Requests the fidelity proxy made on its own (marked with [`INTERNAL_HEADER`])
    /// are left out: the clients did not make them.
    pub fn recorded_calls(&self) -> Vec<Value> {
        let body = self.request("GET", "/moto-api/recorder/download-recording");
        String::from_utf8_lossy(&body)
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("moto recording line is not json ({e}): {line}"))
            })
            .filter(|call: &Value| !is_internal(call))
            .collect()
    }

    /// Where moto writes its output, for a failing test to point at.
    pub fn log_path(&self) -> &Path {
        &self.server.log
    }

    fn post(&self, path: &str) {
        self.request("POST", path);
    }

    fn request(&self, method: &str, path: &str) -> Vec<u8> {
        let response = http::request(&self.server.addr, method, path).unwrap_or_else(|e| {
            panic!(
                "moto: {method} {path}: {e} (log: {})",
                self.server.log.display()
            )
        });
        if response.status != 200 {
            panic!(
                "moto: {method} {path} answered {}: {} (log: {})",
                response.status,
                String::from_utf8_lossy(&response.body),
                self.server.log.display()
            );
        }
        response.body
    }
}

fn is_internal(call: &Value) -> bool {
    call["headers"].as_object().is_some_and(|headers| {
        headers
            .keys()
            .any(|k| k.eq_ignore_ascii_case(INTERNAL_HEADER))
    })
}

impl Server {
    fn start() -> Result<Server, String> {
        let root = workspace_root()?;
        let venv = root.join(".venv");
        if !venv.join("bin/moto_server").exists() {
            install(&root)?;
        }
        let dir = target_dir(&root).join("moto");
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let pid = std::process::id();
        let log = dir.join(format!("moto-{pid}.log"));
        let recording = dir.join(format!("recording-{pid}.jsonl"));
        let mut last_error = String::new();
        for _ in 0..STARTUP_ATTEMPTS {
            match Server::spawn(&venv, &log, &recording) {
                Ok(server) => return Ok(server),
                Err(e) => last_error = e,
            }
        }
        Err(format!(
            "moto server did not start after {STARTUP_ATTEMPTS} attempts: {last_error} (log: {})",
            log.display()
        ))
    }

    fn spawn(venv: &Path, log: &Path, recording: &Path) -> Result<Server, String> {
        let port = free_port()?;
        let addr = format!("127.0.0.1:{port}");
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| format!("cannot open {}: {e}", log.display()))?;
        let err = out
            .try_clone()
            .map_err(|e| format!("cannot open {}: {e}", log.display()))?;
        let mut child = Command::new(venv.join("bin/python"))
            .arg("-c")
            .arg(WRAPPER)
            .arg(port.to_string())
            .env("MOTO_ENABLE_RECORDING", "True")
            .env("MOTO_RECORDER_FILEPATH", recording)
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::piped())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", venv.join("bin/python").display()))?;
        let stdin = child.stdin.take().expect("stdin is piped");
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("moto on port {port} exited with {status}"));
            }
            if TcpStream::connect(&addr).is_ok()
                && http::request(&addr, "GET", "/moto-api/").is_ok()
            {
                break;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "moto on port {port} did not answer within {STARTUP_TIMEOUT:?}"
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(Server {
            endpoint: format!("http://{addr}"),
            addr,
            log: log.to_owned(),
            _stdin: Mutex::new(stdin),
            _child: Mutex::new(child),
        })
    }
}

/// The workspace root: the nearest ancestor of this crate holding `.venv`, or a
/// `Cargo.toml` with a `[workspace]` table.
fn workspace_root() -> Result<PathBuf, String> {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .ancestors()
        .find(|dir| {
            dir.join(".venv").is_dir()
                || std::fs::read_to_string(dir.join("Cargo.toml"))
                    .is_ok_and(|toml| toml.lines().any(|line| line.trim() == "[workspace]"))
        })
        .map(Path::to_path_buf)
        .ok_or_else(|| format!("no workspace root above {}", manifest_dir.display()))
}

fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}

/// Runs the project's installer (idempotent). Once per process: `Server::start` is
/// only called under the `OnceLock`.
fn install(root: &Path) -> Result<(), String> {
    let script = root.join("scripts/setup-moto.sh");
    let output = Command::new("bash")
        .arg(&script)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} failed ({}): {}",
            script.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(())
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|e| format!("cannot bind a loopback port: {e}"))?;
    let port = listener
        .local_addr()
        .map_err(|e| format!("cannot read the bound port: {e}"))?
        .port();
    Ok(port)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// S3 through plain HTTP: moto serves unsigned path-style requests as S3.
    fn s3(guard: &MotoGuard, method: &str, path: &str) -> (u16, String) {
        let r = http::request(&guard.server.addr, method, path).unwrap();
        (r.status, String::from_utf8_lossy(&r.body).into_owned())
    }

    #[test]
    fn starts_and_answers() {
        let moto = moto();
        assert!(moto.endpoint().starts_with("http://127.0.0.1:"));
        let (status, _) = s3(&moto, "GET", "/");
        assert_eq!(status, 200);
        assert!(moto.log_path().exists());
        let env = moto.env();
        assert!(env.contains(&("AWS_ENDPOINT_URL", moto.endpoint().to_owned())));
    }

    #[test]
    fn reset_clears_state() {
        {
            let moto = moto();
            assert_eq!(s3(&moto, "PUT", "/harness-reset-test").0, 200);
            assert!(s3(&moto, "GET", "/").1.contains("harness-reset-test"));
        }
        let moto = moto();
        assert!(!s3(&moto, "GET", "/").1.contains("harness-reset-test"));
    }

    #[test]
    fn recorder_counts_requests_between_start_and_stop() {
        let moto = moto();
        s3(&moto, "PUT", "/before-recording");
        assert!(
            moto.recorded_calls().is_empty(),
            "the guard starts with an empty recording"
        );
        moto.start_recording();
        s3(&moto, "PUT", "/harness-recorder-test");
        s3(&moto, "GET", "/");
        moto.stop_recording();
        s3(&moto, "GET", "/");
        let calls = moto.recorded_calls();
        assert_eq!(calls.len(), 2, "{calls:#?}");
        assert_eq!(calls[0]["method"], "PUT");
        assert!(
            calls[0]["url"]
                .as_str()
                .unwrap()
                .ends_with("/harness-recorder-test")
        );
        // A new recording forgets the old one.
        moto.start_recording();
        assert!(moto.recorded_calls().is_empty());
    }

    #[test]
    fn a_panicking_test_does_not_block_the_others() {
        let result = std::thread::spawn(|| {
            let _moto = moto();
            panic!("test failure while holding moto");
        })
        .join();
        assert!(result.is_err());
        let moto = moto();
        assert_eq!(s3(&moto, "GET", "/").0, 200);
    }

    #[test]
    fn moto_alone_does_not_go_through_the_proxy() {
        {
            let through = moto_with(Behaviours::default());
            assert_ne!(through.endpoint(), through.moto_endpoint());
            assert!(
                through
                    .env()
                    .contains(&("AWS_ENDPOINT_URL", through.endpoint().to_owned()))
            );
            let addr = through.endpoint().trim_start_matches("http://").to_owned();
            assert_eq!(http::request(&addr, "GET", "/").unwrap().status, 200);
            assert_eq!(through.fidelity().stats().count("ListBuckets"), 1);
        }
        let plain = moto();
        assert_eq!(plain.endpoint(), plain.moto_endpoint());
        let proxy = PROXY.get().expect("started by the guard above");
        assert_eq!(proxy.stats().requests, 0, "a new guard resets the proxy");
    }

    #[test]
    fn a_guard_resets_the_proxys_behaviours() {
        {
            let _first = moto_with(Behaviours {
                page_size: Some(1),
                ..Behaviours::default()
            });
        }
        let second = moto_with(Behaviours::default());
        assert_eq!(second.fidelity().behaviours(), Behaviours::default());
    }

    #[test]
    fn internal_requests_are_not_recorded() {
        let internal = serde_json::json!({"headers": {"X-Fidelity-Internal": "1"}});
        let client = serde_json::json!({"headers": {"Host": "127.0.0.1"}});
        assert!(is_internal(&internal));
        assert!(!is_internal(&client));
    }

    #[test]
    fn finds_the_workspace_root() {
        let root = workspace_root().unwrap();
        assert!(root.join("crates/s3dest-moto").is_dir());
        assert!(root.join("scripts/setup-moto.sh").exists());
    }
}
