use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use crate::controller::lease::LeaseConfig;
use crate::controller::{Controller, ControllerConfig, Mode, SourceKind, StackConfig};
use crate::source::s3::S3Source;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The controller's configuration (YAML): stacks and their sources, lease, resync.
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    pub config: PathBuf,
    /// Log lines as JSON objects (one per line, with the stack's span) or as text.
    #[arg(long = "log-format", value_enum, default_value = "text")]
    pub log_format: LogFormat,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Logs to stderr; `SLSCTL_LOG` sets the level (error, warn, info (default), debug, trace).
fn init_logging(format: LogFormat) {
    let level = std::env::var("SLSCTL_LOG")
        .ok()
        .and_then(|l| l.parse::<tracing::Level>().ok())
        .unwrap_or(tracing::Level::INFO);
    let builder = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().with_current_span(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ConfigWire {
    stacks: Vec<StackWire>,
    #[serde(default = "default_resync")]
    resync_seconds: u64,
    #[serde(default = "default_concurrency")]
    concurrency: usize,
    #[serde(default = "default_cache")]
    cache_dir: PathBuf,
    lease: Option<LeaseWire>,
    /// Address of the HTTP server (health, metrics, status, webhook).
    #[serde(default = "default_listen")]
    listen: String,
    /// Environment variable holding the GitHub webhook secret (no webhook without one).
    #[serde(default = "default_secret_env")]
    webhook_secret_env: String,
    /// Or a file holding it (a mounted secret); it wins over the environment.
    webhook_secret_file: Option<PathBuf>,
    /// EventBridge bus for reconcile outcomes (`source: slsctl`); `default` is the account's.
    events_bus: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct StackWire {
    name: String,
    s3: S3Wire,
    #[serde(default = "default_interval")]
    interval_seconds: u64,
    #[serde(default)]
    mode: ModeWire,
    #[serde(default)]
    suspended: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct S3Wire {
    bucket: String,
    #[serde(default)]
    prefix: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
enum ModeWire {
    #[default]
    Heal,
    Report,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct LeaseWire {
    table: String,
    #[serde(default = "default_lease_name")]
    name: String,
    #[serde(default = "default_lease_seconds")]
    duration_seconds: u64,
    #[serde(default = "default_renew_seconds")]
    renew_deadline_seconds: u64,
}

fn default_listen() -> String {
    "0.0.0.0:8080".into()
}
fn default_secret_env() -> String {
    "SLSCTL_WEBHOOK_SECRET".into()
}
fn default_resync() -> u64 {
    300
}
fn default_concurrency() -> usize {
    4
}
fn default_cache() -> PathBuf {
    std::env::temp_dir().join("slsctl-controller")
}
fn default_interval() -> u64 {
    60
}
fn default_lease_name() -> String {
    "slsctl".into()
}
fn default_lease_seconds() -> u64 {
    30
}
fn default_renew_seconds() -> u64 {
    20
}

/// This replica's identity in the lease: `SLSCTL_REPLICA_ID`, else the host name, else the pid.
fn replica_id() -> String {
    std::env::var("SLSCTL_REPLICA_ID")
        .ok()
        .or_else(|| {
            std::fs::read_to_string("/proc/sys/kernel/hostname")
                .ok()
                .map(|h| h.trim().to_string())
        })
        .filter(|s| !s.is_empty())
        .map_or_else(
            || format!("pid-{}", std::process::id()),
            |h| format!("{h}-{}", std::process::id()),
        )
}

/// What the HTTP side needs besides the controller.
pub struct Serving {
    pub listen: String,
    pub webhook_secret: Option<Vec<u8>>,
}

pub fn load_config(path: &std::path::Path) -> Result<(ControllerConfig, Serving), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let wire: ConfigWire =
        serde_saphyr::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    if wire.stacks.is_empty() {
        return Err(format!("{}: no stacks", path.display()));
    }
    let lease = match wire.lease {
        Some(l) if l.renew_deadline_seconds >= l.duration_seconds => {
            return Err(format!(
                "{}: lease.renewDeadlineSeconds must be less than lease.durationSeconds, so that a replica stops before its lease can pass to another",
                path.display()
            ))
        }
        Some(l) => Some(LeaseConfig {
            table: l.table,
            name: l.name,
            holder: replica_id(),
            duration: Duration::from_secs(l.duration_seconds),
            renew_deadline: Duration::from_secs(l.renew_deadline_seconds),
        }),
        None => None,
    };
    let webhook_secret = match &wire.webhook_secret_file {
        Some(file) => Some(
            std::fs::read(file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?
                .trim_ascii()
                .to_vec(),
        ),
        None => std::env::var(&wire.webhook_secret_env)
            .ok()
            .map(|s| s.trim().as_bytes().to_vec()),
    }
    .filter(|s| !s.is_empty());
    let serving = Serving {
        listen: wire.listen.clone(),
        webhook_secret,
    };
    Ok((
        ControllerConfig {
            stacks: wire
                .stacks
                .into_iter()
                .map(|s| StackConfig {
                    name: s.name,
                    source: SourceKind::S3(S3Source {
                        bucket: s.s3.bucket,
                        prefix: s.s3.prefix,
                    }),
                    interval: Duration::from_secs(s.interval_seconds.max(1)),
                    mode: match s.mode {
                        ModeWire::Heal => Mode::Heal,
                        ModeWire::Report => Mode::Report,
                    },
                    suspended: s.suspended,
                })
                .collect(),
            cache_dir: wire.cache_dir,
            resync: Duration::from_secs(wire.resync_seconds.max(1)),
            concurrency: wire.concurrency,
            lease,
            events_bus: wire.events_bus,
        },
        serving,
    ))
}

pub fn run(args: &Args) -> Result<ExitCode, String> {
    let (config, serving) = load_config(&args.config)?;
    init_logging(args.log_format);
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let sdk = crate::aws::load_config(None).await;
        let controller = Arc::new(Controller::new(
            config,
            crate::aws::Clients::new(&sdk),
            crate::source::s3::client(&sdk),
        ));
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let listener = tokio::net::TcpListener::bind(&serving.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", serving.listen))?;
        tracing::info!(
            address = %listener.local_addr().map_err(|e| e.to_string())?,
            webhook = serving.webhook_secret.is_some(),
            "serving HTTP"
        );
        tokio::spawn(crate::controller::http::serve(
            controller.clone(),
            listener,
            serving.webhook_secret,
            stopped.clone(),
        ));
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!(
                "shutting down: finishing in-flight reconciles, then releasing the lease"
            );
            let _ = stop.send(true);
        });
        controller.run(stopped).await
    })?;
    Ok(ExitCode::SUCCESS)
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

#[derive(Debug, clap::Args)]
pub struct ReconcileArgs {
    /// The stack to reconcile now.
    pub stack: String,
    /// The controller's HTTP address.
    #[arg(
        long,
        default_value = "http://127.0.0.1:8080",
        env = "SLSCTL_CONTROLLER"
    )]
    pub controller: String,
}

/// `slsctl reconcile STACK`: ask a running controller to queue the stack now.
pub fn reconcile(args: &ReconcileArgs) -> Result<ExitCode, String> {
    use std::io::{Read, Write};
    let address = args
        .controller
        .strip_prefix("http://")
        .ok_or("--controller takes an http:// address (the controller serves plain HTTP inside its task network)")?
        .trim_end_matches('/');
    if !args
        .stack
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(format!("`{}` is not a stack name", args.stack));
    }
    let mut stream = std::net::TcpStream::connect(address)
        .map_err(|e| format!("cannot reach the controller at {address}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "POST /api/stacks/{}/reconcile HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        args.stack
    )
    .map_err(|e| e.to_string())?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .map_err(|e| e.to_string())?;
    let status = response.split_whitespace().nth(1).unwrap_or("");
    match status {
        "202" => {
            eprintln!("queued: stack `{}` reconciles now", args.stack);
            Ok(ExitCode::SUCCESS)
        }
        "404" => Err(format!("the controller has no stack `{}`", args.stack)),
        other => Err(format!("the controller answered {other}")),
    }
}
