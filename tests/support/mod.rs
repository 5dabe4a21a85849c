//! Test support: the local AWS emulator (moto's server) and small helpers.
//!
//! `Emulator::shared()` starts one moto server per test binary, on a free loopback port, the
//! first time a test asks for it; tests stay isolated by using unique stack names, so they can
//! run in parallel against it. Set `SLSCTL_TEST_ENDPOINT` to use an emulator that is already
//! running instead. The server is installed by `scripts/emulator.sh install` (the test command in
//! the README runs it first); a missing install is a test failure with the command to run.
//!
//! Guarantees: the server is stopped when the test process exits, even when it is killed, because
//! a small watchdog shell ends it once the test process is gone.
#![allow(dead_code)]

pub mod faults;
pub mod models;
pub mod stacks;
pub mod strict;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub struct Emulator {
    pub endpoint: String,
    /// The watchdog shell; it ends by itself with the test process (see `start`).
    _watchdog: Option<std::process::Child>,
}

impl Emulator {
    pub fn shared() -> &'static Emulator {
        static EMULATOR: OnceLock<Emulator> = OnceLock::new();
        EMULATOR.get_or_init(|| match std::env::var("SLSCTL_TEST_ENDPOINT") {
            Ok(endpoint) if !endpoint.is_empty() => Emulator {
                endpoint,
                _watchdog: None,
            },
            _ => Emulator::start(),
        })
    }

    fn start() -> Emulator {
        let root = project_root();
        let server = root.join(".venv/bin/moto_server");
        assert!(
            server.exists(),
            "moto_server is not installed at {}; run `scripts/emulator.sh install` first",
            server.display()
        );
        let port = free_port();
        let log = root.join("target").join(format!("moto-{port}.log"));
        std::fs::create_dir_all(root.join("target")).expect("create target/");
        // The watchdog: run moto in the background and kill it as soon as this test process is
        // gone, so that no emulator outlives the tests (statics are never dropped in Rust).
        let script = format!(
            "'{server}' -H 127.0.0.1 -p {port} >'{log}' 2>&1 & child=$!; \
             while kill -0 {parent} 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 0.5; done; \
             kill $child 2>/dev/null",
            server = server.display(),
            log = log.display(),
            parent = std::process::id(),
        );
        let watchdog = Command::new("sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let address: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto_server did not listen on {address} within 60 s; see {}",
                log.display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Emulator {
            endpoint: format!("http://{address}"),
            _watchdog: Some(watchdog),
        }
    }

    /// SDK configuration pointed at the emulator with dummy credentials, through the same
    /// environment variables a user would set (`AWS_ENDPOINT_URL`), read by slsctl's own loader.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        // Every test of a binary writes the same values, so whichever thread wins, the SDK reads
        // the emulator's endpoint (set_var racing a getenv elsewhere is the known caveat; the
        // values never change once set).
        std::env::set_var("AWS_ENDPOINT_URL", &self.endpoint);
        std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
        std::env::remove_var("AWS_PROFILE");
        slsctl::aws::load_config(Some("us-east-1")).await
    }
}

/// The `slsctl` binary under test, with the emulator's endpoint and dummy credentials in its
/// environment, set the way a user sets them.
pub fn slsctl_command() -> Command {
    slsctl_command_of(Path::new(env!("CARGO_BIN_EXE_slsctl")))
}

/// [`slsctl_command`] with another build of slsctl (the benchmarks measure a release build).
pub fn slsctl_command_of(binary: &Path) -> Command {
    let emulator = Emulator::shared();
    let mut command = Command::new(binary);
    command
        .env("AWS_ENDPOINT_URL", &emulator.endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE");
    command
}

/// `slsctl controller --log-format json` against the emulator, configured with `settings`
/// (YAML: stacks, lease, …) plus its own cache directory under `dir` and a free loopback port to
/// listen on. Returns the command, for the caller's environment and stdio, and the port.
pub fn controller(dir: &Path, settings: &str) -> (Command, u16) {
    controller_of(Path::new(env!("CARGO_BIN_EXE_slsctl")), dir, settings)
}

/// [`controller`] with another build of slsctl.
pub fn controller_of(binary: &Path, dir: &Path, settings: &str) -> (Command, u16) {
    let port = free_port();
    let config = dir.join(format!("controller-{port}.yaml"));
    std::fs::write(
        &config,
        format!(
            "{settings}cacheDir: {}\nlisten: 127.0.0.1:{port}\n",
            dir.join(format!("cache-{port}")).display()
        ),
    )
    .expect("write the controller's configuration");
    let mut command = slsctl_command_of(binary);
    command
        .args(["controller", "--config"])
        .arg(&config)
        .args(["--log-format", "json"]);
    (command, port)
}

/// Run `slsctl ARGS` against the emulator, without a terminal, to completion.
pub fn slsctl(args: &[&str]) -> std::process::Output {
    slsctl_command()
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run slsctl")
}

/// One raw HTTP/1.1 exchange with a controller: (status, body); status 0 when nothing answered.
pub async fn http(addr: SocketAddr, request: &[u8]) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else {
        return (0, String::new());
    };
    let _ = stream.write_all(request).await;
    let mut response = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response)).await;
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// `GET path` on a controller listening on loopback `port`: the body of a 200, else None.
pub async fn http_get(port: u16, path: &str) -> Option<String> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    match http(addr, request.as_bytes()).await {
        (200, body) => Some(body),
        _ => None,
    }
}

/// Someone else's identity in a CloudTrail record: a person's session in the `ops` role.
pub fn someone_elses_identity() -> serde_json::Value {
    serde_json::json!({
        "type": "AssumedRole",
        "arn": "arn:aws:sts::123456789012:assumed-role/ops/alice",
        "sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::123456789012:role/ops"}}
    })
}

/// "AWS API Call via CloudTrail" for an `UpdateFunctionConfiguration` of `function` to `memory`
/// MB by `identity`, in the documented shape EventBridge delivers to the controller's queue.
pub fn cloudtrail_lambda_event(identity: serde_json::Value, function: &str, memory: i32) -> String {
    serde_json::json!({
        "version": "0",
        "id": "7bf73129-1428-4cd3-a780-95db273d1602",
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.lambda",
        "account": "123456789012",
        "time": "2026-11-30T05:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "eventVersion": "1.08",
            "userIdentity": identity,
            "eventTime": "2026-11-30T05:00:00Z",
            "eventSource": "lambda.amazonaws.com",
            "eventName": "UpdateFunctionConfiguration20150331v2",
            "awsRegion": "us-east-1",
            "sourceIPAddress": "203.0.113.7",
            "userAgent": "aws-cli/2.15.0",
            "requestParameters": {"functionName": function, "memorySize": memory},
            "responseElements": {"functionName": function, "memorySize": memory},
            "requestID": "f2a3b4c5-0000-4000-8000-000000000000",
            "eventID": "0a1b2c3d-0000-4000-8000-000000000000",
            "readOnly": false,
            "eventType": "AwsApiCall",
            "managementEvent": true,
            "recipientAccountId": "123456789012",
            "eventCategory": "Management"
        }
    })
    .to_string()
}

/// GitHub's `X-Hub-Signature-256` of `body` with `secret`.
pub fn github_signature(secret: &[u8], body: &[u8]) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    format!(
        "sha256={}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("find a free port")
}

/// Write `files` (relative path → content) into a fresh temporary directory.
pub fn spec_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (path, content) in files {
        write(dir.path(), path, content);
    }
    dir
}

pub fn write(root: &Path, path: &str, content: &str) {
    let full = root.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, content).unwrap();
}

/// A name no other test uses: tests share one emulator, so stacks must not collide.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}{n}x{:x}", (nanos ^ std::process::id()) & 0xfffff)
}

/// Create an IAM role in the emulator (moto refuses CreateFunction without an existing role).
/// A fixture, so it speaks IAM's query protocol directly rather than pulling in the IAM SDK.
pub fn create_role(endpoint: &str, name: &str) {
    use std::io::{Read, Write};
    let address = endpoint.trim_start_matches("http://");
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let encode = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    let body = format!(
        "Action=CreateRole&Version=2010-05-08&RoleName={}&AssumeRolePolicyDocument={}",
        encode(name),
        encode(policy)
    );
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(address).expect("connect to the emulator");
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(
        response.starts_with("HTTP/1.1 200") || response.contains("EntityAlreadyExists"),
        "CreateRole {name}: {response}"
    );
}
