use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use crate::aws::error::Explanation;
use crate::controller::error::RunError;
use crate::controller::lease::LeaseConfig;
use crate::controller::{Controller, ControllerConfig, Mode, SourceKind, StackConfig};
use crate::source::git::{GitCredentials, GitSource, SignaturePolicy};
use crate::source::s3::S3Source;

use super::ask::{ask_controller, Ask};
use super::error::CliError;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The controller's configuration (YAML): stacks and their sources, lease, resync.
    #[arg(
        short = 'c',
        long = "config",
        value_name = "FILE",
        required_unless_present = "config_yaml"
    )]
    pub config: Option<PathBuf>,
    /// The configuration itself rather than a file (how ECS injects it from SSM or Secrets
    /// Manager, with a read-only root filesystem).
    #[arg(
        long,
        env = "SLSCTL_CONFIG_YAML",
        hide_env_values = true,
        conflicts_with = "config"
    )]
    pub config_yaml: Option<String>,
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
    /// The SQS queue CloudTrail's API-call events arrive on (drift in seconds).
    events: Option<EventsWire>,
    /// Environment variable holding the bearer token for `/` and `/api/*` (open without one).
    #[serde(default = "default_token_env")]
    api_token_env: String,
    /// Or a file holding it (a mounted secret); it wins over the environment.
    api_token_file: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct EventsWire {
    /// The queue's URL or name.
    queue: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct StackWire {
    name: String,
    /// Exactly one of `git` and `s3`.
    git: Option<GitWire>,
    s3: Option<S3Wire>,
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct GitWire {
    url: String,
    /// A branch or tag (or a full `refs/…` name).
    #[serde(default = "default_ref", rename = "ref")]
    reference: String,
    /// The stack's directory inside the repository.
    #[serde(default)]
    path: String,
    username: Option<String>,
    token_env: Option<String>,
    token_file: Option<PathBuf>,
    ssh_key_file: Option<PathBuf>,
    known_hosts_file: Option<PathBuf>,
    verify: Option<VerifyWire>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct VerifyWire {
    ssh_allowed_signers_file: Option<PathBuf>,
    #[serde(default)]
    gpg_public_key_files: Vec<PathBuf>,
}

fn default_ref() -> String {
    "main".into()
}

impl StackWire {
    fn source(&self, file: &std::path::Path) -> Result<SourceKind, CliError> {
        match (&self.git, &self.s3) {
            (Some(git), None) => {
                let verify = match &git.verify {
                    Some(v) if v.ssh_allowed_signers_file.is_none() && v.gpg_public_key_files.is_empty() => {
                        return Err(CliError::Input(format!(
                            "{}: stack `{}`: git.verify needs sshAllowedSignersFile or gpgPublicKeyFiles (or remove it)",
                            file.display(),
                            self.name
                        )))
                    }
                    Some(v) => Some(SignaturePolicy {
                        ssh_allowed_signers: v.ssh_allowed_signers_file.clone(),
                        gpg_public_keys: v.gpg_public_key_files.clone(),
                    }),
                    None => None,
                };
                Ok(SourceKind::Git(GitSource {
                    url: git.url.clone(),
                    reference: git.reference.clone(),
                    path: git.path.clone(),
                    credentials: GitCredentials {
                        username: git.username.clone(),
                        token_env: git.token_env.clone(),
                        token_file: git.token_file.clone(),
                        ssh_key_file: git.ssh_key_file.clone(),
                        known_hosts_file: git.known_hosts_file.clone(),
                    },
                    verify,
                }))
            }
            (None, Some(s3)) => Ok(SourceKind::S3(S3Source {
                bucket: s3.bucket.clone(),
                prefix: s3.prefix.clone(),
            })),
            _ => Err(CliError::Input(format!(
                "{}: stack `{}` needs exactly one source: `git:` or `s3:`",
                file.display(),
                self.name
            ))),
        }
    }
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
fn default_token_env() -> String {
    "SLSCTL_API_TOKEN".into()
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
    /// The bearer token `/` and `/api/*` require; open when None.
    pub api_token: Option<Vec<u8>>,
}

/// A secret from `file` if set (trimmed), else from the environment variable `env`; None when
/// empty or absent.
fn read_secret(file: Option<&PathBuf>, env: &str) -> Result<Option<Vec<u8>>, CliError> {
    let secret = match file {
        Some(file) => Some(
            std::fs::read(file)
                .map_err(|e| CliError::read(file, e))?
                .trim_ascii()
                .to_vec(),
        ),
        None => std::env::var(env)
            .ok()
            .map(|s| s.trim().as_bytes().to_vec()),
    };
    Ok(secret.filter(|s| !s.is_empty()))
}

/// Where `stacks[i].name` is in the configuration's text, as `file:line:column`.
fn name_location(text: &str, path: &std::path::Path, index: usize) -> String {
    field_location(text, path, &format!("stacks[{index}].name"))
}

/// Where the value of `field` (a path like `events.queue`) is in the configuration's text, as
/// `file:line:column` (the file alone when it cannot be told).
fn field_location(text: &str, path: &std::path::Path, field: &str) -> String {
    let file: std::sync::Arc<std::path::Path> = std::sync::Arc::from(path);
    crate::spec::yaml::scan(&file, text)
        .documents
        .first()
        .and_then(|d| d.source_map.value(field))
        .map_or_else(|| path.display().to_string(), |l| l.to_string())
}

pub fn load_config(path: &std::path::Path) -> Result<(ControllerConfig, Serving), CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::read(path, e))?;
    parse_config(&text, path)
}

/// Parse a configuration; `path` names it in messages.
pub fn parse_config(
    text: &str,
    path: &std::path::Path,
) -> Result<(ControllerConfig, Serving), CliError> {
    let wire: ConfigWire = serde_saphyr::from_str(text)
        .map_err(|e| CliError::Input(format!("{}: {e}", path.display())))?;
    if wire.stacks.is_empty() {
        return Err(CliError::Input(format!("{}: no stacks", path.display())));
    }
    let lease = match wire.lease {
        Some(l) if l.renew_deadline_seconds >= l.duration_seconds => {
            return Err(CliError::Input(format!(
                "{}: lease.renewDeadlineSeconds must be less than lease.durationSeconds, so that a replica stops before its lease can pass to another",
                path.display()
            )))
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
    let events = match wire.events {
        Some(e) if e.queue.trim().is_empty() => {
            return Err(CliError::Input(format!(
                "{}: events.queue is empty\nhint: the URL or name of the SQS queue the CloudTrail rule delivers to (deploy/events/cloudtrail-events.json), or remove `events:` to find drift by the resync only",
                field_location(text, path, "events.queue")
            )))
        }
        Some(e) => Some(crate::controller::events::EventsConfig {
            queue: e.queue.trim().to_string(),
        }),
        None => None,
    };
    let serving = Serving {
        listen: wire.listen.clone(),
        webhook_secret: read_secret(wire.webhook_secret_file.as_ref(), &wire.webhook_secret_env)?,
        api_token: read_secret(wire.api_token_file.as_ref(), &wire.api_token_env)?,
    };
    let mut stacks = Vec::with_capacity(wire.stacks.len());
    for (index, s) in wire.stacks.into_iter().enumerate() {
        // The name keys the cache directory (`cacheDir/NAME`), status and metrics: held to the
        // spec's name rule, so that it cannot leave the cache directory or break a label.
        if !crate::spec::validate::valid_stack_name(&s.name) {
            return Err(CliError::Input(format!(
                "{}: invalid stack name `{}`\nhint: {}",
                name_location(text, path, index),
                s.name.escape_debug(),
                crate::spec::validate::NAME_RULE
            )));
        }
        let source = s.source(path)?;
        if stacks
            .iter()
            .any(|known: &StackConfig| known.name == s.name)
        {
            return Err(CliError::Input(format!(
                "{}: two stacks are named `{}`",
                path.display(),
                s.name
            )));
        }
        stacks.push(StackConfig {
            name: s.name,
            source,
            interval: Duration::from_secs(s.interval_seconds.max(1)),
            mode: match s.mode {
                ModeWire::Heal => Mode::Heal,
                ModeWire::Report => Mode::Report,
            },
            suspended: s.suspended,
        });
    }
    Ok((
        ControllerConfig {
            stacks,
            cache_dir: wire.cache_dir,
            resync: Duration::from_secs(wire.resync_seconds.max(1)),
            concurrency: wire.concurrency,
            lease,
            events_bus: wire.events_bus,
            events,
        },
        serving,
    ))
}

pub fn run(args: &Args) -> Result<ExitCode, CliError> {
    let (config, serving) = match (&args.config, &args.config_yaml) {
        (Some(file), _) => load_config(file)?,
        (None, Some(text)) => parse_config(text, std::path::Path::new("$SLSCTL_CONFIG_YAML"))?,
        (None, None) => {
            return Err(CliError::Usage(
                "--config FILE or SLSCTL_CONFIG_YAML is required".into(),
            ))
        }
    };
    init_logging(args.log_format);
    let runtime = tokio::runtime::Runtime::new().map_err(|e| CliError::Internal(e.to_string()))?;
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
            .map_err(|e| {
                CliError::Setup(Explanation::new(format!(
                    "cannot listen on {}: {e}",
                    serving.listen
                )))
            })?;
        tracing::info!(
            address = %listener
                .local_addr()
                .map_err(|e| CliError::Internal(e.to_string()))?,
            webhook = serving.webhook_secret.is_some(),
            api_token = serving.api_token.is_some(),
            "serving HTTP"
        );
        tokio::spawn(crate::controller::http::serve_with(
            controller.clone(),
            listener,
            crate::controller::http::Access {
                webhook_secret: serving.webhook_secret,
                api_token: serving.api_token,
            },
            stopped.clone(),
        ));
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!(
                "shutting down: finishing in-flight reconciles, then releasing the lease"
            );
            let _ = stop.send(true);
        });
        controller.run(stopped).await.map_err(|e| match e {
            // The lease table: AWS's words, as they were printed before the types.
            RunError::Lease(error) => {
                let explanation = Explanation::new(error.to_string());
                CliError::aws(error, explanation)
            }
            RunError::Permits(error) => CliError::Internal(error.to_string()),
        })
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
    /// A file holding the controller's API token (else `$SLSCTL_API_TOKEN`; a token is never
    /// taken on the command line, where `ps` would show it).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Give up when the controller has not answered within this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub timeout: u64,
}

#[derive(Debug, clap::Args)]
pub struct HealthArgs {
    /// The controller's HTTP address.
    #[arg(
        long,
        default_value = "http://127.0.0.1:8080",
        env = "SLSCTL_CONTROLLER"
    )]
    pub controller: String,
    /// Ask `/readyz` instead of `/healthz`.
    #[arg(long)]
    pub ready: bool,
    /// Give up when the controller has not answered within this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub timeout: u64,
}

fn timeout(seconds: u64) -> Result<Duration, CliError> {
    if seconds == 0 {
        return Err(CliError::Usage(
            "--timeout must be at least 1 second".into(),
        ));
    }
    Ok(Duration::from_secs(seconds))
}

/// `slsctl health`: exit 0 when the controller answers 200 (the container health check, so the
/// image needs no curl).
pub fn health(args: &HealthArgs) -> Result<ExitCode, CliError> {
    let path = if args.ready { "/readyz" } else { "/healthz" };
    let ask = Ask {
        token: None,
        timeout: timeout(args.timeout)?,
    };
    match ask_controller(&args.controller, "GET", path, &ask)?.as_str() {
        "200" => Ok(ExitCode::SUCCESS),
        other => Err(CliError::ControllerSaid(format!("{path} answered {other}"))),
    }
}

/// `slsctl reconcile STACK`: ask a running controller to queue the stack now.
pub fn reconcile(args: &ReconcileArgs) -> Result<ExitCode, CliError> {
    if !crate::spec::validate::valid_stack_name(&args.stack) {
        return Err(CliError::Usage(format!(
            "`{}` is not a stack name\nhint: {}",
            args.stack.escape_debug(),
            crate::spec::validate::NAME_RULE
        )));
    }
    let token = read_secret(args.token_file.as_ref(), "SLSCTL_API_TOKEN")?;
    // It goes into a header line: a control character would end the line early.
    if token
        .as_ref()
        .is_some_and(|t| t.iter().any(|b| !b.is_ascii_graphic()))
    {
        return Err(CliError::Input(
            "the API token must be printable ASCII without spaces".into(),
        ));
    }
    let ask = Ask {
        token: token.as_deref(),
        timeout: timeout(args.timeout)?,
    };
    let path = format!("/api/stacks/{}/reconcile", args.stack);
    match ask_controller(&args.controller, "POST", &path, &ask)?.as_str() {
        "202" => {
            eprintln!("queued: stack `{}` reconciles now", args.stack);
            Ok(ExitCode::SUCCESS)
        }
        "404" => Err(CliError::ControllerSaid(format!(
            "the controller has no stack `{}`",
            args.stack
        ))),
        "401" if token.is_some() => Err(CliError::ControllerSaid(
            "the controller refused the API token\nhint: use the token the controller reads (its apiTokenFile or apiTokenEnv)".into(),
        )),
        "401" => Err(CliError::ControllerSaid(
            "the controller requires an API token\nhint: set SLSCTL_API_TOKEN or pass --token-file FILE".into(),
        )),
        "503" => Err(CliError::ControllerSaid(
            "the controller could not hand the trigger to the stack's holder; retry".into(),
        )),
        other => Err(CliError::ControllerSaid(format!(
            "the controller answered {other}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<ControllerConfig, String> {
        // The tests read the error as it is printed.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("controller.yaml");
        std::fs::write(&file, text).unwrap();
        load_config(&file)
            .map(|(config, _)| config)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_git_stack_reads_its_ref_path_credentials_and_signature_policy() {
        let config = load(
            "stacks:\n- name: shop\n  git:\n    url: https://github.com/acme/infra.git\n    ref: v2\n    path: stacks/shop\n    tokenFile: /run/secrets/token\n    verify: {sshAllowedSignersFile: /etc/slsctl/allowed_signers}\n",
        )
        .unwrap();
        let SourceKind::Git(git) = &config.stacks[0].source else {
            panic!("a git source")
        };
        assert_eq!(git.reference, "v2");
        assert_eq!(git.path, "stacks/shop");
        assert_eq!(
            git.credentials.token_file.as_deref(),
            Some(std::path::Path::new("/run/secrets/token"))
        );
        assert!(git.verify.as_ref().unwrap().ssh_allowed_signers.is_some());
        let defaults = load("stacks:\n- name: a\n  git: {url: 'file:///srv/repo'}\n").unwrap();
        let SourceKind::Git(git) = &defaults.stacks[0].source else {
            panic!("a git source")
        };
        assert_eq!((git.reference.as_str(), git.path.as_str()), ("main", ""));
    }

    #[test]
    fn a_stack_needs_exactly_one_source_and_a_verify_needs_keys() {
        let both = load("stacks:\n- name: a\n  git: {url: x}\n  s3: {bucket: b}\n").unwrap_err();
        assert!(both.contains("exactly one source"), "{both}");
        let none = load("stacks:\n- name: a\n").unwrap_err();
        assert!(none.contains("exactly one source"), "{none}");
        let keyless = load("stacks:\n- name: a\n  git: {url: x, verify: {}}\n").unwrap_err();
        assert!(keyless.contains("git.verify needs"), "{keyless}");
        let twice = load("stacks:\n- name: a\n  s3: {bucket: b}\n- name: a\n  s3: {bucket: c}\n")
            .unwrap_err();
        assert!(twice.contains("two stacks are named `a`"), "{twice}");
    }

    #[test]
    fn a_stack_name_outside_the_name_rule_is_refused_where_it_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("controller.yaml");
        for bad in ["../../etc", "Shop", "a/b", "1st", "-x", ""] {
            let text = format!(
                "resyncSeconds: 60\nstacks:\n- name: ok\n  s3: {{bucket: b}}\n- {{s3: {{bucket: b}}, name: '{bad}'}}\n"
            );
            std::fs::write(&file, &text).unwrap();
            let error = load_config(&file).map(|_| ()).unwrap_err().to_string();
            assert!(
                error.starts_with(&format!("{}:5:", file.display())),
                "{bad}: {error}"
            );
            assert!(
                error.contains("invalid stack name") && error.contains("\nhint: names use a-z"),
                "{bad}: {error}"
            );
        }
        let long = "a".repeat(65);
        let error = load(&format!("stacks:\n- name: {long}\n  s3: {{bucket: b}}\n")).unwrap_err();
        assert!(error.contains(":2:9: invalid stack name"), "{error}");
        assert!(load(&format!(
            "stacks:\n- name: {}\n  s3: {{bucket: b}}\n",
            &long[1..]
        ))
        .is_ok());
    }

    #[test]
    fn the_api_token_comes_from_its_file_or_its_environment_variable() {
        let dir = tempfile::tempdir().unwrap();
        let token = dir.path().join("token");
        std::fs::write(&token, "t0ken\n").unwrap();
        let text = format!(
            "stacks:\n- name: a\n  s3: {{bucket: b}}\napiTokenFile: {}\n",
            token.display()
        );
        let (_, serving) = parse_config(&text, std::path::Path::new("c.yaml")).unwrap();
        assert_eq!(serving.api_token.as_deref(), Some(&b"t0ken"[..]));
        let variable = format!("SLSCTL_TEST_TOKEN_{}", std::process::id());
        std::env::set_var(&variable, " from-env ");
        let text = format!("stacks:\n- name: a\n  s3: {{bucket: b}}\napiTokenEnv: {variable}\n");
        let (_, serving) = parse_config(&text, std::path::Path::new("c.yaml")).unwrap();
        assert_eq!(serving.api_token.as_deref(), Some(&b"from-env"[..]));
        let text = "stacks:\n- name: a\n  s3: {bucket: b}\napiTokenEnv: SLSCTL_TEST_TOKEN_UNSET\n";
        let (_, serving) = parse_config(text, std::path::Path::new("c.yaml")).unwrap();
        assert!(serving.api_token.is_none(), "open without a token");
    }

    #[test]
    fn a_bad_configuration_is_input_a_zero_timeout_is_usage_and_neither_is_transient() {
        let error = parse_config("stacks: []\n", std::path::Path::new("c.yaml"))
            .map(|_| ())
            .unwrap_err();
        assert!(matches!(error, CliError::Input(_)), "{error:?}");
        assert_eq!(error.to_string(), "c.yaml: no stacks");
        assert!(!error.is_transient());
        let error = timeout(0).unwrap_err();
        assert!(matches!(error, CliError::Usage(_)), "{error:?}");
        assert_eq!(error.to_string(), "--timeout must be at least 1 second");
        assert_eq!(error.exit_status(), 1);
        let missing = std::path::Path::new("/nonexistent/slsctl/controller.yaml");
        let error = load_config(missing).map(|_| ()).unwrap_err();
        assert!(matches!(error, CliError::Io { .. }), "{error:?}");
        assert!(
            error
                .to_string()
                .starts_with("cannot read /nonexistent/slsctl/controller.yaml: "),
            "{error}"
        );
    }

    #[test]
    fn events_name_their_queue_and_an_empty_one_is_refused_where_it_is_written() {
        let stacks = "stacks:\n  - name: a\n    s3: {bucket: b}\n";
        let (config, _) = parse_config(
            &format!("{stacks}events: {{queue: slsctl-events}}\n"),
            std::path::Path::new("c.yaml"),
        )
        .unwrap();
        assert_eq!(
            config.events.map(|e| e.queue).as_deref(),
            Some("slsctl-events")
        );
        let (config, _) = parse_config(stacks, std::path::Path::new("c.yaml")).unwrap();
        assert_eq!(config.events, None, "off unless configured");
        let error = parse_config(
            &format!("{stacks}events:\n  queue: \"\"\n"),
            std::path::Path::new("c.yaml"),
        )
        .map(|_| ())
        .unwrap_err();
        let text = error.to_string();
        assert!(
            text.starts_with("c.yaml:5:10: events.queue is empty\nhint: "),
            "{text}"
        );
        let error = parse_config(
            &format!("{stacks}events: {{queue: q, wait: 3}}\n"),
            std::path::Path::new("c.yaml"),
        )
        .map(|_| ())
        .unwrap_err();
        assert!(error.to_string().contains("wait"), "{error}");
    }
}
