//! Bad AWS environments through the binary: each is one clear line with a hint, exit 1,
//! never a panic or the SDK's debug dump. Settings that are wrong on their face (an empty
//! endpoint URL or region, a profile that does not exist, no credentials) stop s3dest
//! before any request; an endpoint that is not AWS is named as such.
//!
//! No test here reaches AWS: every run has its endpoint on a loopback port of the test's
//! own (a listener that counts connections, or a tiny server that answers as AWS never
//! does), or fails before any request.

#[allow(unused_imports)] // moto: these tests start servers of their own
mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use support::{Run, Workdir};

/// A spec of roles only: reading it calls IAM and STS, not Secrets Manager.
const SPEC: &str = "version: 1\nname: acme\nbuckets:\n  acme-exports: {}\ndestinations:\n  w: { vendor: walkme, bucket: acme-exports, folder: w }\n";

/// The commands that call AWS.
const COMMANDS: [&[&str]; 3] = [&["plan"], &["apply", "--auto-approve"], &["outputs"]];

/// How the loopback server answers every request.
#[derive(Clone, Copy)]
enum Answer {
    /// Closes the connection at once (a port where nothing should be asked).
    Nothing,
    /// A web server's welcome page, 200.
    Html,
    /// A web server's 404 page.
    NotFound,
    /// Bytes that are not HTTP.
    Garbage,
}

/// A loopback server on a free port, answering `answer` to every request; counts the
/// connections made to it.
struct Server {
    port: u16,
    connections: Arc<AtomicUsize>,
}

impl Server {
    fn start(answer: Answer) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let count = connections.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                count.fetch_add(1, Ordering::SeqCst);
                std::thread::spawn(move || respond(stream, answer));
            }
        });
        Server { port, connections }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

fn respond(mut stream: TcpStream, answer: Answer) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    if let Answer::Nothing = answer {
        return;
    }
    // The request's head and body, so that closing does not reset the connection.
    let mut request = Vec::new();
    let mut buf = [0u8; 8192];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    let head_end = request.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&request[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let mut body = request.len() - head_end;
    while body < length {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => body += n,
        }
    }
    let page = |status: &str, body: &str| {
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    let response = match answer {
        Answer::Nothing => unreachable!(),
        Answer::Html => page(
            "200 OK",
            "<!DOCTYPE html>\n<html><head><title>Welcome</title></head><body>It works!</body></html>\n",
        ),
        Answer::NotFound => page(
            "404 Not Found",
            "<html><body><h1>404 Not Found</h1></body></html>\n",
        ),
        Answer::Garbage => "\x00\x01 this is not HTTP\r\n\r\n".to_owned(),
    };
    let _ = stream.write_all(response.as_bytes());
}

/// The environment every case starts from: working dummy settings, nothing from the
/// machine's own AWS setup, the endpoint on `server`.
fn base_env(server: &Server) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", server.endpoint()),
        ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ("AWS_CONFIG_FILE", "/dev/null".to_owned()),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".to_owned()),
        // No retries: the answers never change.
        ("AWS_MAX_ATTEMPTS", "1".to_owned()),
    ]
}

/// Runs `args` in `w` with exactly `env` (and no other variable but `HOME`, the workdir).
fn run(w: &Workdir, args: &[&str], env: &[(&'static str, String)]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_s3dest"))
        .args(args)
        .current_dir(&w.dir)
        .env_clear()
        .env("HOME", &w.dir)
        .env("NO_COLOR", "1")
        .envs(env.iter().map(|(k, v)| (*k, v)))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    Run::from(output)
}

/// The outcome of every command under `env`: each exits 1 with nothing on stdout; their
/// stderr, each different one once under the commands that printed it, ports and the
/// read that happened to fail first made constant.
fn refused(w: &Workdir, env: &[(&'static str, String)], server: &Server) -> String {
    let mut outputs: Vec<(Vec<String>, String)> = Vec::new();
    for command in COMMANDS {
        let run = run(w, command, env);
        assert_eq!(run.code, 1, "`{command:?}`\n{}", run.stderr);
        assert_eq!(run.stdout, "", "`{command:?}`");
        let stderr = normalize(&run.stderr, server.port);
        assert!(!stderr.contains("panicked"), "{stderr}");
        let name = format!("s3dest {}", command.join(" "));
        match outputs.iter_mut().find(|(_, s)| *s == stderr) {
            Some((names, _)) => names.push(name),
            None => outputs.push((vec![name], stderr)),
        }
    }
    outputs
        .iter()
        .map(|(names, stderr)| format!("$ {}\n{stderr}", names.join("\n$ ")))
        .collect::<Vec<_>>()
        .join("")
}

/// The port made `PORT`; the read that failed first (reads run at once, so which one
/// it is varies) made `READ on WHAT`.
fn normalize(stderr: &str, port: u16) -> String {
    let text = stderr.replace(&port.to_string(), "PORT");
    text.lines()
        .map(
            |line| match (line.strip_prefix("error: "), line.find(" failed: ")) {
                (Some(_), Some(at)) if line[..at].contains(" on ") => {
                    format!("error: READ on WHAT{}\n", &line[at..])
                }
                _ => format!("{line}\n"),
            },
        )
        .collect()
}

fn with(
    mut env: Vec<(&'static str, String)>,
    set: &[(&'static str, &str)],
    remove: &[&str],
) -> Vec<(&'static str, String)> {
    env.retain(|(k, _)| !remove.contains(k) && !set.iter().any(|(s, _)| s == k));
    env.extend(set.iter().map(|(k, v)| (*k, (*v).to_owned())));
    env
}

const CONFIG: &str = "[default]\nregion = us-east-1\n\n[profile dev]\nregion = eu-west-1\n\n[profile blank-region]\nregion =\n";
const CREDENTIALS: &str = "[default]\naws_access_key_id = testing\naws_secret_access_key = testing\n\n[dev]\naws_access_key_id = testing\naws_secret_access_key = testing\n";

#[test]
fn settings_wrong_on_their_face_stop_before_any_request() {
    let server = Server::start(Answer::Nothing);
    let w = Workdir::new(SPEC);
    std::fs::write(w.path("config"), CONFIG).unwrap();
    std::fs::write(w.path("credentials"), CREDENTIALS).unwrap();
    let config = w.path("config").display().to_string();
    let credentials = w.path("credentials").display().to_string();
    let profiles = |profile: &'static str| {
        with(
            base_env(&server),
            &[
                ("AWS_PROFILE", profile),
                ("AWS_CONFIG_FILE", &config),
                ("AWS_SHARED_CREDENTIALS_FILE", &credentials),
            ],
            &["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"],
        )
    };
    let no_scheme = format!("127.0.0.1:{}", server.port);
    let cases: Vec<(&str, Vec<(&'static str, String)>)> = vec![
        (
            "AWS_ENDPOINT_URL set but empty (the SDK panics on it)",
            with(base_env(&server), &[("AWS_ENDPOINT_URL", "")], &[]),
        ),
        (
            "AWS_ENDPOINT_URL_S3 set but empty",
            with(base_env(&server), &[("AWS_ENDPOINT_URL_S3", "")], &[]),
        ),
        (
            "AWS_ENDPOINT_URL without a scheme",
            with(base_env(&server), &[("AWS_ENDPOINT_URL", &no_scheme)], &[]),
        ),
        (
            "AWS_REGION set but empty",
            with(base_env(&server), &[("AWS_REGION", "")], &[]),
        ),
        (
            "AWS_DEFAULT_REGION set but empty, and no AWS_REGION",
            with(
                base_env(&server),
                &[("AWS_DEFAULT_REGION", "")],
                &["AWS_REGION"],
            ),
        ),
        (
            "AWS_REGION not a region name",
            with(base_env(&server), &[("AWS_REGION", "us east 1")], &[]),
        ),
        (
            "no credentials anywhere",
            with(
                base_env(&server),
                &[],
                &["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
            ),
        ),
        ("AWS_PROFILE naming no profile", profiles("prod")),
        (
            "AWS_PROFILE set but empty",
            with(base_env(&server), &[("AWS_PROFILE", "")], &[]),
        ),
        ("a profile with an empty region", profiles("blank-region")),
    ];
    let mut report = String::new();
    for (what, env) in &cases {
        report += &format!("## {what}\n{}\n", refused(&w, env, &server));
    }
    assert_eq!(server.connections(), 0, "a request was made:\n{report}");
    insta::assert_snapshot!(report);
    // The profile that exists is used (and reaches the endpoint, which answers nothing).
    let dev = run(&w, &["plan"], &profiles("dev")).expect(1);
    assert!(dev.stderr.contains("cannot reach AWS at"), "{}", dev.stderr);
    assert!(server.connections() > 0);
    // `default` need not exist (it means "no profile"): the environment's keys are used.
    let env = with(base_env(&server), &[("AWS_PROFILE", "default")], &[]);
    let default = run(&w, &["plan"], &env).expect(1);
    assert!(
        default.stderr.contains("cannot reach AWS at"),
        "{}",
        default.stderr
    );
}

#[test]
fn an_endpoint_that_is_not_aws_is_named() {
    let w = Workdir::new(SPEC);
    let mut report = String::new();
    for (what, answer) in [
        ("a web server's page (200)", Answer::Html),
        ("a web server's 404 page", Answer::NotFound),
        ("bytes that are not HTTP", Answer::Garbage),
    ] {
        let server = Server::start(answer);
        report += &format!("## {what}\n{}\n", refused(&w, &base_env(&server), &server));
        assert!(server.connections() > 0, "{what}: nothing was asked");
    }
    insta::assert_snapshot!(report);
}
