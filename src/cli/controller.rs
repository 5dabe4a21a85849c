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

pub fn load_config(path: &std::path::Path) -> Result<ControllerConfig, String> {
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
    Ok(ControllerConfig {
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
    })
}

pub fn run(args: &Args) -> Result<ExitCode, String> {
    let config = load_config(&args.config)?;
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let sdk = crate::aws::load_config(None).await;
        let controller = Arc::new(Controller::new(
            config,
            crate::aws::Clients::new(&sdk),
            crate::source::s3::client(&sdk),
        ));
        let (stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            wait_for_signal().await;
            eprintln!("slsctl controller: shutting down (finishing in-flight reconciles)");
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
