//! Helpers for the end-to-end tests: run the `s3dest` binary against the process's
//! moto server, and poke AWS directly (to create drift) with SDK clients.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use s3dest_moto::{Behaviours, MotoGuard};

/// moto through the fidelity layer, behaving as real AWS does where s3dest depends on
/// it: every listing in pages of 2, IAM's documents percent-encoded, a deleted role's
/// principal shown as its unique id, bucket policies evaluated as AWS would for a TLS
/// client (not as moto does). Tests that need more (faults, propagation delay, SSE-KMS)
/// add it to [`realistic`] with [`s3dest_moto::moto_with`].
pub fn moto() -> MotoGuard {
    s3dest_moto::moto_with(realistic())
}

/// The behaviours every end-to-end test runs with.
pub fn realistic() -> Behaviours {
    Behaviours {
        page_size: Some(2),
        encode_iam_documents: true,
        rewrite_deleted_principals: true,
        realistic_bucket_policies: true,
        sse_s3_by_default: true,
        ..Behaviours::default()
    }
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Panics with both streams unless the exit code is `code`.
    #[track_caller]
    pub fn expect(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout:\n{}\n--- stderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// A scratch directory holding one spec file, removed when dropped. It is the root of a
/// git work tree (an empty `.git`), as a spec's repository is: the spec file s3dest
/// records (`s3dest:file`) is `s3dest.yaml` on every machine.
pub struct Workdir {
    pub dir: PathBuf,
}

impl Workdir {
    pub fn new(spec: &str) -> Workdir {
        static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("s3dest-test-{}-{n}", std::process::id()));
        std::fs::create_dir_all(dir.join(".git")).unwrap();
        let w = Workdir { dir };
        w.write_spec(spec);
        w
    }

    pub fn write_spec(&self, spec: &str) {
        std::fs::write(self.dir.join("s3dest.yaml"), spec).unwrap();
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Runs `s3dest ARGS` in this directory against moto, with no terminal and no colour.
    pub fn run(&self, moto: &MotoGuard, args: &[&str]) -> Run {
        Run::from(self.command(moto, args).output().unwrap())
    }

    /// The command [`Workdir::run`] runs (output piped), to change or spawn.
    pub fn command(&self, moto: &MotoGuard, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_s3dest"));
        command
            .args(args)
            .current_dir(&self.dir)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        moto.configure(&mut command);
        command
    }

    /// Like [`Workdir::run`], with extra environment variables.
    pub fn run_with_env(&self, moto: &MotoGuard, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut command = self.command(moto, args);
        command.envs(env.iter().copied());
        Run::from(command.output().unwrap())
    }

    /// Runs without any AWS endpoint or credentials at all.
    pub fn run_offline(&self, args: &[&str]) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_s3dest"));
        command
            .args(args)
            .current_dir(&self.dir)
            .env_clear()
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        Run::from(command.output().unwrap())
    }
}

impl Drop for Workdir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// SDK clients pointed at moto, for setting up and mutating state behind s3dest's back.
pub struct Aws {
    pub iam: aws_sdk_iam::Client,
    pub s3: aws_sdk_s3::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    endpoint: String,
    pub rt: tokio::runtime::Runtime,
}

pub fn aws(moto: &MotoGuard) -> Aws {
    aws_with(
        moto,
        aws_sdk_iam::config::Credentials::new("testing", "testing", None, None, "tests"),
    )
}

/// [`aws`] in another account of moto's (with credentials of a role assumed in it).
pub fn aws_in(moto: &MotoGuard, account: &str) -> Aws {
    let env = account_env(moto, account);
    let get = |name: &str| {
        env.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    let credentials = aws_sdk_iam::config::Credentials::new(
        get("AWS_ACCESS_KEY_ID"),
        get("AWS_SECRET_ACCESS_KEY"),
        Some(get("AWS_SESSION_TOKEN")),
        None,
        "tests",
    );
    aws_with(moto, credentials)
}

fn aws_with(moto: &MotoGuard, credentials: aws_sdk_iam::config::Credentials) -> Aws {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let config = rt.block_on(
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(moto.endpoint())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(credentials)
            .load(),
    );
    let s3_config = aws_sdk_s3::config::Builder::from(&config)
        .force_path_style(true)
        .build();
    Aws {
        iam: aws_sdk_iam::Client::new(&config),
        s3: aws_sdk_s3::Client::from_conf(s3_config),
        secrets: aws_sdk_secretsmanager::Client::new(&config),
        endpoint: moto.endpoint().to_owned(),
        rt,
    }
}

impl Aws {
    /// Signs one request with the given key, as the vendor would (moto records the key's last use).
    pub fn use_key(&self, id: &str, secret: &str) {
        let config = self.rt.block_on(
            aws_config::defaults(aws_config::BehaviorVersion::latest())
                .endpoint_url(&self.endpoint)
                .region(aws_config::Region::new("us-east-1"))
                .credentials_provider(aws_sdk_iam::config::Credentials::new(
                    id, secret, None, None, "vendor",
                ))
                .load(),
        );
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build(),
        );
        self.rt.block_on(s3.list_buckets().send()).unwrap();
    }

    pub fn create_bucket(&self, name: &str) {
        self.rt
            .block_on(self.s3.create_bucket().bucket(name).send())
            .unwrap();
    }

    /// Sets the bucket's default encryption to SSE-KMS with `key`.
    pub fn put_bucket_kms_encryption(&self, bucket: &str, key: &str) {
        use aws_sdk_s3::types::{
            ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
            ServerSideEncryptionRule,
        };
        let by_default = ServerSideEncryptionByDefault::builder()
            .sse_algorithm(ServerSideEncryption::AwsKms)
            .kms_master_key_id(key)
            .build()
            .unwrap();
        let configuration = ServerSideEncryptionConfiguration::builder()
            .rules(
                ServerSideEncryptionRule::builder()
                    .apply_server_side_encryption_by_default(by_default)
                    .build(),
            )
            .build()
            .unwrap();
        self.rt
            .block_on(
                self.s3
                    .put_bucket_encryption()
                    .bucket(bucket)
                    .server_side_encryption_configuration(configuration)
                    .send(),
            )
            .unwrap();
    }

    pub fn bucket_policy(&self, bucket: &str) -> Option<serde_json::Value> {
        let out = self
            .rt
            .block_on(self.s3.get_bucket_policy().bucket(bucket).send())
            .ok()?;
        Some(serde_json::from_str(out.policy()?).unwrap())
    }

    /// The bucket policy's text exactly as S3 returns it.
    pub fn bucket_policy_text(&self, bucket: &str) -> Option<String> {
        let out = self
            .rt
            .block_on(self.s3.get_bucket_policy().bucket(bucket).send())
            .ok()?;
        out.policy().map(str::to_owned)
    }

    pub fn put_bucket_policy(&self, bucket: &str, policy: &serde_json::Value) {
        self.rt
            .block_on(
                self.s3
                    .put_bucket_policy()
                    .bucket(bucket)
                    .policy(policy.to_string())
                    .send(),
            )
            .unwrap();
    }

    pub fn object_exists(&self, bucket: &str, key: &str) -> bool {
        self.rt
            .block_on(self.s3.head_object().bucket(bucket).key(key).send())
            .is_ok()
    }

    pub fn put_object(&self, bucket: &str, key: &str) {
        self.rt
            .block_on(
                self.s3
                    .put_object()
                    .bucket(bucket)
                    .key(key)
                    .body(b"data".to_vec().into())
                    .send(),
            )
            .unwrap();
    }

    pub fn delete_object(&self, bucket: &str, key: &str) {
        self.rt
            .block_on(self.s3.delete_object().bucket(bucket).key(key).send())
            .unwrap();
    }

    pub fn role_exists(&self, name: &str) -> bool {
        self.rt
            .block_on(self.iam.get_role().role_name(name).send())
            .is_ok()
    }

    /// The role's tags, by key.
    pub fn role_tags(&self, name: &str) -> std::collections::BTreeMap<String, String> {
        let out = self
            .rt
            .block_on(self.iam.list_role_tags().role_name(name).send())
            .unwrap();
        out.tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect()
    }

    pub fn role_names(&self) -> Vec<String> {
        let out = self.rt.block_on(self.iam.list_roles().send()).unwrap();
        let mut names: Vec<String> = out
            .roles()
            .iter()
            .map(|r| r.role_name().to_owned())
            .collect();
        names.sort();
        names
    }

    pub fn put_role_policy(&self, role: &str, name: &str, document: &serde_json::Value) {
        let call = self
            .iam
            .put_role_policy()
            .role_name(role)
            .policy_name(name)
            .policy_document(document.to_string());
        self.rt.block_on(call.send()).unwrap();
    }

    pub fn update_trust(&self, role: &str, document: &serde_json::Value) {
        let call = self
            .iam
            .update_assume_role_policy()
            .role_name(role)
            .policy_document(document.to_string());
        self.rt.block_on(call.send()).unwrap();
    }

    pub fn create_role(&self, name: &str, path: &str) {
        let trust = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::758936404074:role/rundeck-worker"}, "Action": "sts:AssumeRole"}]});
        self.create_role_trusting(name, path, &trust);
    }

    /// A role at `path` with this trust policy.
    pub fn create_role_trusting(&self, name: &str, path: &str, trust: &serde_json::Value) {
        let call = self
            .iam
            .create_role()
            .role_name(name)
            .path(path)
            .assume_role_policy_document(trust.to_string());
        self.rt.block_on(call.send()).unwrap();
    }
}

/// Credentials of another AWS account on the same moto server (moto keeps one state
/// per account, and buckets are global): temporary ones from `AssumeRole`, as
/// environment variables for the `s3dest` binary.
pub fn account_env(moto: &MotoGuard, account: &str) -> Vec<(&'static str, String)> {
    let aws = aws(moto);
    let config = aws.rt.block_on(
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(moto.endpoint())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_iam::config::Credentials::new(
                "testing", "testing", None, None, "tests",
            ))
            .load(),
    );
    let sts = aws_sdk_sts::Client::new(&config);
    let out = aws
        .rt
        .block_on(
            sts.assume_role()
                .role_arn(format!("arn:aws:iam::{account}:role/tests"))
                .role_session_name("tests")
                .send(),
        )
        .unwrap();
    let credentials = out.credentials().unwrap();
    vec![
        ("AWS_ACCESS_KEY_ID", credentials.access_key_id().to_owned()),
        (
            "AWS_SECRET_ACCESS_KEY",
            credentials.secret_access_key().to_owned(),
        ),
        ("AWS_SESSION_TOKEN", credentials.session_token().to_owned()),
    ]
}

/// Runs `s3dest ARGS`, expecting exit `code`, with moto's recorder on, and checks that it
/// read AWS and wrote nothing.
#[track_caller]
pub fn run_read_only(w: &Workdir, moto: &MotoGuard, args: &[&str], code: i32) -> Run {
    moto.start_recording();
    let run = w.run(moto, args);
    moto.stop_recording();
    let run = run.expect(code);
    let calls = moto.recorded_calls();
    assert!(!calls.is_empty(), "{args:?} read nothing");
    assert_eq!(
        writes(&calls),
        Vec::<String>::new(),
        "{args:?} is read-only"
    );
    run
}

/// The operations of recorded calls that are not reads (`Get…`, `List…`, S3's `GET`
/// and `HEAD`).
pub fn writes(calls: &[serde_json::Value]) -> Vec<String> {
    let is_read = |op: &String| {
        op.starts_with("Get")
            || op.starts_with("List")
            || op.starts_with("GET ")
            || op.starts_with("HEAD ")
    };
    calls
        .iter()
        .map(operation)
        .filter(|op| !is_read(op))
        .collect()
}

/// The AWS operation of a call moto recorded: the `Action=` of a query-protocol body
/// (IAM, STS), the `X-Amz-Target` of a JSON-protocol call (Secrets Manager), or
/// `METHOD path` for S3's REST calls.
pub fn operation(call: &serde_json::Value) -> String {
    if let Some(target) = call["headers"]["X-Amz-Target"].as_str() {
        return target.rsplit('.').next().unwrap_or(target).to_owned();
    }
    let raw = call["body"].as_str().unwrap_or_default();
    let body = if call["body_encoded"].as_bool() == Some(true) {
        base64_decode(raw)
    } else {
        raw.to_owned()
    };
    match body.split('&').find_map(|kv| kv.strip_prefix("Action=")) {
        Some(action) => action.to_owned(),
        None => format!(
            "{} {}",
            call["method"].as_str().unwrap_or_default(),
            call["url"].as_str().unwrap_or_default()
        ),
    }
}

fn base64_decode(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes().filter(|c| *c != b'=') {
        let Some(v) = ALPHABET.iter().position(|a| *a == c) else {
            continue;
        };
        bits = (bits << 6) | v as u32;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What a plan stopped by error findings shows, in every format: the JSON plan's
/// findings of `kind`, and the text plan's `error` lines; the markdown comment names
/// each of them once, and apply changes nothing (exit 1 each time).
#[allow(dead_code)] // Not every test file stops a plan.
pub fn stopped_plan(w: &Workdir, moto: &MotoGuard, kind: &str) -> (Vec<serde_json::Value>, String) {
    let json = w.run(moto, &["plan", "--format", "json"]).expect(1);
    let plan: serde_json::Value = serde_json::from_str(&json.stdout).expect("the plan is printed");
    let findings: Vec<serde_json::Value> = plan["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["kind"] == kind)
        .cloned()
        .collect();
    let text = w.run(moto, &["plan"]).expect(1);
    let errors: Vec<&str> = text
        .stdout
        .lines()
        .filter(|l| l.starts_with("error"))
        .collect();
    let markdown = w.run(moto, &["plan", "--format", "markdown"]).expect(1);
    let errors_found = findings.iter().filter(|f| f["severity"] == "error").count();
    assert_eq!(
        markdown.stdout.matches(&format!("({kind})")).count(),
        findings.len(),
        "{}",
        markdown.stdout
    );
    assert!(
        errors_found > 0,
        "no error finding of kind {kind}: {findings:?}"
    );
    let apply = w.run(moto, &["apply", "--auto-approve"]).expect(1);
    assert_eq!(
        apply.stderr,
        "error: the plan has errors; nothing was changed\n"
    );
    (findings, errors.join("\n"))
}

/// A whole run as the CLI snapshot tests show it: the exit status, then stdout and
/// stderr, each whole.
pub fn transcript(run: &Run) -> String {
    format!(
        "exit: {}\n----- stdout -----\n{}----- stderr -----\n{}",
        run.code,
        run.stdout,
        in_step_order(&run.stderr)
    )
}

/// Apply's lines `ADDRESS: ACTION done`, sorted within each run of them: changes of one
/// phase run at once, and the order they finish in varies from run to run.
fn in_step_order(stderr: &str) -> String {
    let is_step = |line: &str| line.ends_with(" done") && line.contains(": ");
    let mut out = Vec::new();
    let mut steps: Vec<&str> = Vec::new();
    for line in stderr.lines() {
        if is_step(line) {
            steps.push(line);
            continue;
        }
        steps.sort_unstable();
        out.append(&mut steps);
        out.push(line);
    }
    steps.sort_unstable();
    out.append(&mut steps);
    let mut text = out.join("\n");
    if stderr.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// Snapshot settings under which a transcript is the same on every machine and run: the
/// emulator's address, the scratch folder, times, access-key ids and request ids are
/// replaced by names.
pub fn stable(w: &Workdir) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    let dir = regex::escape(&w.dir.display().to_string());
    settings.add_filter(&dir, "[WORKDIR]");
    settings.add_filter(r"https?://127\.0\.0\.1:\d+", "[ENDPOINT]");
    settings.add_filter(
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})",
        "[TIME]",
    );
    settings.add_filter(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b", "[KEY_ID]");
    settings.add_filter(
        r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",
        "[UUID]",
    );
    settings
}

/// Asserts a snapshot of the whole of `run` (exit status, stdout, stderr) under
/// [`stable`] filters: the CLI tests' one assertion.
#[macro_export]
macro_rules! cli_snapshot {
    ($name:expr, $w:expr, $run:expr) => {
        support::stable(&$w).bind(|| insta::assert_snapshot!($name, support::transcript(&$run)))
    };
}

impl Workdir {
    /// Runs `s3dest ARGS` against moto with `input` on its standard input.
    pub fn run_with_input(&self, moto: &MotoGuard, args: &[&str], input: &str) -> Run {
        let mut command = self.command(moto, args);
        command.stdin(Stdio::piped());
        let mut child = command.spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        std::io::Write::write_all(&mut stdin, input.as_bytes()).unwrap();
        drop(stdin);
        Run::from(child.wait_with_output().unwrap())
    }
}
