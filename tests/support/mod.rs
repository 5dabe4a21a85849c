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

pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn free_port() -> u16 {
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
