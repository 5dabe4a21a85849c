//! `slsctl doctor`: everything slsctl needs before its first plan, checked in one go, each
//! missing piece with its fix. AWS is asked one thing only: whose credentials these are.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use super::error::CliError;
use crate::aws::error::{classify, explain, Cause, Explanation};
use crate::aws::setup::Surroundings;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A stack directory: its `region` and `accountId` are checked too.
    #[arg(short = 'f', long = "file", value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Ok,
    /// Required, and missing or wrong: exit code 1.
    Missing,
    /// Needed only for some uses (the controller's git sources).
    Optional,
    /// Not checked, because something it needs is missing.
    Skipped,
}

struct Check {
    name: &'static str,
    state: State,
    detail: String,
    hints: Vec<String>,
}

impl Check {
    fn ok(name: &'static str, detail: impl Into<String>) -> Self {
        Check {
            name,
            state: State::Ok,
            detail: detail.into(),
            hints: Vec::new(),
        }
    }

    fn missing(name: &'static str, explanation: Explanation) -> Self {
        Check {
            name,
            state: State::Missing,
            detail: explanation.what,
            hints: explanation.hints,
        }
    }
}

/// `name` on the PATH, if it is there.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// The first line a program prints about its version (stdout or stderr).
fn version_of(program: &Path, flag: &str) -> Option<String> {
    let out = std::process::Command::new(program)
        .arg(flag)
        .output()
        .ok()?;
    let text = if out.stdout.is_empty() {
        out.stderr
    } else {
        out.stdout
    };
    String::from_utf8_lossy(&text)
        .lines()
        .next()
        .map(|l| l.trim().to_string())
}

fn tools() -> Vec<Check> {
    [
        (
            "git",
            "--version",
            "git",
            "fetches the controller's git sources",
        ),
        (
            "gpg",
            "--version",
            "gnupg",
            "verifies GPG-signed commits (`verify.gpgPublicKeyFiles`)",
        ),
        (
            "ssh",
            "-V",
            "openssh-client",
            "reaches ssh:// and git@ remotes",
        ),
        (
            "ssh-keygen",
            "",
            "openssh-client",
            "verifies SSH-signed commits (`verify.sshAllowedSignersFile`)",
        ),
    ]
    .into_iter()
    .map(|(name, flag, package, why)| match on_path(name) {
        Some(path) => {
            let version = (!flag.is_empty())
                .then(|| version_of(&path, flag))
                .flatten()
                .unwrap_or_else(|| path.display().to_string());
            Check::ok(name, version)
        }
        None => Check {
            name,
            state: State::Optional,
            detail: format!("not found on PATH; only the controller needs it: it {why}"),
            hints: vec![format!(
                "install it (Debian/Ubuntu: apt-get install {package}; macOS: brew install {})",
                if package == "gnupg" { "gnupg" } else { name }
            )],
        },
    })
    .collect()
}

/// Whether something listens at the host and port of `url` (the local emulator).
async fn listening(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or(rest);
    let address = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        authority.to_string()
    } else if url.starts_with("https") {
        format!("{authority}:443")
    } else {
        format!("{authority}:80")
    };
    matches!(
        tokio::time::timeout(
            Duration::from_secs(2),
            tokio::net::TcpStream::connect(address)
        )
        .await,
        Ok(Ok(_))
    )
}

async fn checks(args: &Args) -> Vec<Check> {
    let mut checks = Vec::new();
    let stack = match &args.dir {
        Some(dir) => match crate::kinds::load_stack(dir) {
            Ok((stack, _)) => {
                checks.push(Check::ok(
                    "stack",
                    format!("`{}` in {} is valid", stack.name, dir.display()),
                ));
                Some(stack)
            }
            Err(_) => {
                checks.push(Check::missing(
                    "stack",
                    Explanation {
                        what: format!("{} is not a valid stack", dir.display()),
                        hints: vec![format!("see why: slsctl validate -f {}", dir.display())],
                        notes: Vec::new(),
                    },
                ));
                None
            }
        },
        None => None,
    };
    let around = Surroundings::from_env(args.dir.as_deref());

    // The profile, when one is selected by name.
    if let Some(profile) = &around.profile_variable {
        if around.profile_settings().is_none() {
            checks.push(Check::missing(
                "profile",
                Explanation {
                    what: format!(
                        "profile `{profile}` (AWS_PROFILE) is not defined in {}",
                        around.config_file_phrase()
                    ),
                    hints: vec![
                        "`aws configure list-profiles` lists the defined profiles".into(),
                        format!("create it: `aws configure --profile {profile}` or `aws configure sso --profile {profile}`; or unset AWS_PROFILE"),
                    ],
                    notes: Vec::new(),
                },
            ));
        } else {
            checks.push(Check::ok("profile", format!("`{profile}` (AWS_PROFILE)")));
        }
    }

    // The region, and where it comes from.
    let stack_region = stack.as_ref().and_then(|s| s.region.clone());
    let config = crate::aws::load_config(stack_region.as_deref()).await;
    let region = config.region().map(|r| r.to_string());
    match &region {
        Some(region) => {
            let source = if stack_region.is_some() {
                "the Stack's `region`".to_string()
            } else if let Some((name, _)) = &around.region_variable {
                name.to_string()
            } else if around.profile_setting("region").is_some() {
                around.profile_phrase()
            } else {
                "the SDK's chain (instance metadata)".to_string()
            };
            checks.push(Check::ok("region", format!("{region} (from {source})")));
        }
        None => checks.push(Check::missing("region", around.no_region())),
    }

    // Where calls go.
    let proxies: Vec<String> = around
        .proxies
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    let through = if proxies.is_empty() {
        String::new()
    } else {
        format!(", through {}", proxies.join(", "))
    };
    let endpoint_check = match &around.endpoint_url {
        Some(url) => Check::ok(
            "endpoint",
            format!("{url} (AWS_ENDPOINT_URL: every call goes there){through}"),
        ),
        None => Check::ok(
            "endpoint",
            format!(
                "AWS's public endpoints ({}){through}",
                around.endpoint_for("sts", region.as_deref())
            ),
        ),
    };
    let endpoint_at = checks.len();
    checks.push(endpoint_check);
    if around.endpoint_is_local() {
        let url = around.endpoint_url.clone().unwrap_or_default();
        checks.push(if listening(&url).await {
            Check::ok("emulator", format!("answers at {url}"))
        } else {
            Check::missing(
                "emulator",
                Explanation {
                    what: format!("nothing listens at {url} (AWS_ENDPOINT_URL)"),
                    hints: vec![
                        "start the local emulator: scripts/emulator.sh start (it prints the endpoint to export)".into(),
                        "or unset AWS_ENDPOINT_URL to use AWS".into(),
                    ],
                    notes: Vec::new(),
                },
            )
        });
    }

    // Credentials and account: one GetCallerIdentity, with few retries (a doctor should answer
    // quickly).
    if region.is_some() {
        let sts = aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::config::Builder::from(&config)
                .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(2))
                .build(),
        );
        let identity = sts.get_caller_identity().send().await;
        match identity {
            Ok(identity) => {
                let account = identity.account().unwrap_or_default().to_string();
                checks.push(Check::ok(
                    "credentials",
                    identity.arn().unwrap_or("valid").to_string(),
                ));
                match stack.as_ref().and_then(|s| s.account_id.as_ref()) {
                    Some(pinned) if *pinned != account => checks.push(Check::missing(
                        "account",
                        Explanation {
                            what: format!(
                                "the credentials are for account {account}, but the stack is pinned to account {pinned} (spec.accountId)"
                            ),
                            hints: vec![format!(
                                "use credentials for account {pinned}: another profile (AWS_PROFILE) or `aws sso login --profile NAME`"
                            )],
                            notes: Vec::new(),
                        },
                    )),
                    Some(_) => checks.push(Check::ok("account", format!("{account} (the stack's accountId)"))),
                    None => checks.push(Check::ok("account", account)),
                }
            }
            Err(error) => {
                let error = classify(error);
                let explanation = explain(&error, &around, region.as_deref());
                if matches!(error.cause.as_deref(), Some(Cause::Unreachable { .. })) {
                    // A local emulator that is down is already reported, with its fix.
                    let emulator_down = checks
                        .iter()
                        .any(|c| c.name == "emulator" && c.state == State::Missing);
                    if !emulator_down {
                        checks[endpoint_at] = Check::missing("endpoint", explanation);
                    }
                    checks.push(Check {
                        name: "credentials",
                        state: State::Skipped,
                        detail: "not checked: AWS did not answer".into(),
                        hints: Vec::new(),
                    });
                } else {
                    checks.push(Check::missing("credentials", explanation));
                }
            }
        }
    } else {
        checks.push(Check {
            name: "credentials",
            state: State::Skipped,
            detail: "not checked: STS needs a region".into(),
            hints: Vec::new(),
        });
    }
    checks.extend(tools());
    checks
}

pub fn run(args: &Args) -> Result<ExitCode, CliError> {
    let runtime = super::runtime()?;
    let checks = runtime.block_on(checks(args));
    let mut missing = 0;
    for check in &checks {
        let mark = match check.state {
            State::Ok => "ok  ",
            State::Missing => {
                missing += 1;
                "FAIL"
            }
            State::Optional => "warn",
            State::Skipped => "skip",
        };
        println!("{mark} {}: {}", check.name, check.detail);
        for hint in &check.hints {
            println!("       hint: {hint}");
        }
    }
    if missing == 0 {
        println!("Everything slsctl needs is in place.");
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "{missing} required {} missing or wrong; fix {} and run `slsctl doctor` again.",
            if missing == 1 {
                "thing is"
            } else {
                "things are"
            },
            if missing == 1 { "it" } else { "them" }
        );
        Ok(ExitCode::from(1))
    }
}
