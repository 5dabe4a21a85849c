//! `slsctl tune FUNCTION -f DIR`: memory power tuning of one function of the stack.
//!
//! For each memory size: set `$LATEST`'s memory, wait for the update to finish, publish a
//! version, point the temporary alias [`ALIAS`] at it, invoke the alias `--invocations` times
//! with `LogType=Tail`, and read each invocation's REPORT line. Afterwards — whether the run
//! finished, failed or was cancelled (Ctrl-C) — the memory is set back, the alias deleted and
//! the versions tuning published deleted. The alias and the versions carry [`MARKER`] in their
//! descriptions, so that a version whose publication was interrupted before its answer arrived,
//! or one left by a run that was killed, is still recognised and removed.
//!
//! While it runs, `$LATEST` has the size being measured: callers of the unqualified function
//! (not of an alias) see it. Aliases of the stack keep their versions.

pub mod aws;
pub mod report;
pub mod spec_edit;

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::future::Future;

use crate::aws::error::{AwsError, ErrorKind};
use crate::aws::Clients;
pub use crate::cost::Prices;
use crate::kinds::desired::{same_owner, TAG_RESOURCE, TAG_STACK};
use report::{Invocation, SizeResult, TuneReport};

/// The temporary alias the sizes are invoked through.
pub const ALIAS: &str = "slsctl-tune";
/// The start of the description of everything tuning creates: what cleanup looks for.
pub const MARKER: &str = "slsctl tune (temporary):";
/// The memory ladder when `--memory` is not given: Lambda's smallest size, powers of two, one
/// full vCPU (1769 MB) and 3008 MB.
pub const DEFAULT_SIZES: [u32; 6] = [128, 256, 512, 1024, 1769, 3008];
/// Lambda's memory range, in MB.
pub const MEMORY_RANGE: std::ops::RangeInclusive<u32> = 128..=10_240;

/// What to tune.
#[derive(Clone, Debug)]
pub struct TuneRequest {
    pub stack: String,
    /// The name in the spec (`Function/<function>`).
    pub function: String,
    /// The Lambda function's name.
    pub physical_name: String,
    /// The stack's `accountId`, when pinned.
    pub account_id: Option<String>,
    pub memory_sizes: Vec<u32>,
    pub invocations: u32,
    pub payload: Vec<u8>,
}

/// Why a run stopped.
#[derive(Debug)]
pub enum TuneError {
    NotFound {
        physical_name: String,
    },
    /// The live function does not carry this stack's ownership tags.
    NotOwned {
        physical_name: String,
        stack: String,
    },
    WrongAccount {
        pinned: String,
        actual: String,
    },
    /// An alias of that name exists and is not tuning's.
    AliasTaken {
        physical_name: String,
    },
    Aws(AwsError),
    /// An invocation answered with `FunctionError`.
    FunctionFailed {
        memory_mb: u32,
        invocation: u32,
        kind: String,
        error_type: Option<String>,
        message: Option<String>,
    },
    /// An invocation's answer had no usable REPORT line.
    NoReport {
        memory_mb: u32,
        reason: String,
    },
    Cancelled,
    /// The run ended (well or not) and putting the function back failed in part: what is left.
    CleanupFailed {
        run: Option<Box<TuneError>>,
        leftovers: Vec<String>,
    },
}

impl From<AwsError> for TuneError {
    fn from(error: AwsError) -> Self {
        TuneError::Aws(error)
    }
}

/// An error's own message, cut to a length that fits a terminal line or two.
fn shortened(text: &str) -> String {
    const MAX: usize = 300;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

impl fmt::Display for TuneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TuneError::NotFound { physical_name } => write!(
                f,
                "function {physical_name} does not exist\n  hint: run `slsctl apply` first; tune measures the deployed function"
            ),
            TuneError::NotOwned { physical_name, stack } => write!(
                f,
                "function {physical_name} is not stack {stack}'s (its ownership tags name another stack or none); nothing was changed\n  hint: slsctl tunes only functions it manages; adopt it with `adopt: true` and `slsctl apply` first"
            ),
            TuneError::WrongAccount { pinned, actual } => write!(
                f,
                "the credentials are for account {actual}, but the stack is pinned to account {pinned} (spec.accountId); nothing was changed"
            ),
            TuneError::AliasTaken { physical_name } => write!(
                f,
                "function {physical_name} already has an alias `{ALIAS}` that tuning did not make; nothing was changed\n  hint: rename or delete that alias; tuning needs the name for its temporary alias"
            ),
            TuneError::Aws(error) => write!(f, "{error}"),
            TuneError::FunctionFailed {
                memory_mb,
                invocation,
                kind,
                error_type,
                message,
            } => {
                write!(
                    f,
                    "invocation {invocation} at {memory_mb} MB failed ({kind} error"
                )?;
                if let Some(error_type) = error_type {
                    write!(f, " {error_type}")?;
                }
                f.write_str(")")?;
                if let Some(message) = message {
                    write!(f, ": {}", shortened(message))?;
                }
                write!(
                    f,
                    "; the run stopped and the function was restored\n  hint: check --payload is an event the function accepts, or the function's memory need (a size too small runs out of memory or time)"
                )
            }
            TuneError::NoReport { memory_mb, reason } => write!(
                f,
                "cannot read the duration of an invocation at {memory_mb} MB: {reason}; the function was restored\n  hint: Lambda writes the REPORT line last in the log tail; a log-processing extension that rewrites it hides it"
            ),
            TuneError::Cancelled => {
                f.write_str("interrupted; the function was restored and the temporary alias and versions deleted")
            }
            TuneError::CleanupFailed { run, leftovers } => {
                if let Some(run) = run {
                    writeln!(f, "{run}")?;
                }
                f.write_str("the function could not be fully restored; what is left:")?;
                for leftover in leftovers {
                    write!(f, "\n  - {leftover}")?;
                }
                write!(
                    f,
                    "\n  hint: run the commands above, or `slsctl tune` again later: it removes what an earlier run left"
                )
            }
        }
    }
}

impl std::error::Error for TuneError {}

/// What the run created, kept up to date as it goes so that cleanup knows what to undo even
/// when the run is dropped mid-call.
#[derive(Debug, Default)]
struct Temporary {
    /// Set before the first memory change is sent.
    memory_changed: bool,
    /// Set before the alias is created.
    alias_may_exist: bool,
    alias_created: bool,
}

/// Measure every size and put the function back; the report, or why it stopped. `cancel`
/// resolving (Ctrl-C) stops the run at its next step; cleanup runs in every case.
pub async fn tune(
    clients: &Clients,
    request: &TuneRequest,
    prices: &Prices,
    cancel: impl Future<Output = ()>,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<TuneReport, TuneError> {
    let name = request.physical_name.as_str();
    if let Some(pinned) = &request.account_id {
        let identity = clients.identity().await?;
        if *pinned != identity.account {
            return Err(TuneError::WrongAccount {
                pinned: pinned.clone(),
                actual: identity.account,
            });
        }
    }
    let live = aws::read_function(clients, name)
        .await?
        .ok_or_else(|| TuneError::NotFound {
            physical_name: name.to_string(),
        })?;
    let wanted = HashMap::from([
        (TAG_STACK.to_string(), request.stack.clone()),
        (
            TAG_RESOURCE.to_string(),
            format!("Function/{}", request.function),
        ),
    ]);
    if !same_owner(&live.tags, &wanted) {
        return Err(TuneError::NotOwned {
            physical_name: name.to_string(),
            stack: request.stack.clone(),
        });
    }
    let mut temporary = Temporary::default();
    match aws::alias_description(clients, name, ALIAS).await? {
        Some(description) if description.starts_with(MARKER) => {
            // An earlier run was killed before its cleanup: its alias goes with this run's.
            progress("removing what an earlier tuning run left");
            temporary.alias_may_exist = true;
            aws::delete_alias(clients, name, ALIAS).await?;
        }
        Some(_) => {
            return Err(TuneError::AliasTaken {
                physical_name: name.to_string(),
            })
        }
        None => {}
    }
    let outcome = {
        let work = measure(clients, request, prices, &live, &mut temporary, progress);
        tokio::select! {
            // Checked first: a Ctrl-C is honoured at the next step even while calls keep
            // completing.
            biased;
            () = cancel => Err(TuneError::Cancelled),
            result = work => result,
        }
    };
    if matches!(outcome, Err(TuneError::Cancelled)) {
        progress("interrupted: restoring the function");
    } else {
        progress("restoring the function");
    }
    let leftovers = restore(clients, name, live.memory_mb, &temporary).await;
    let sizes = match (outcome, leftovers.is_empty()) {
        (Ok(sizes), true) => sizes,
        (Err(error), true) => return Err(error),
        (outcome, false) => {
            return Err(TuneError::CleanupFailed {
                run: outcome.err().map(Box::new),
                leftovers,
            })
        }
    };
    Ok(TuneReport {
        function: request.function.clone(),
        physical_name: name.to_string(),
        architecture: live.architecture,
        invocations_per_size: request.invocations,
        original_memory_mb: live.memory_mb,
        recommendations: report::recommend(&sizes),
        sizes,
        price_version: prices.version.clone(),
    })
}

/// The measuring itself: every size in turn.
async fn measure(
    clients: &Clients,
    request: &TuneRequest,
    prices: &Prices,
    live: &aws::LiveFunction,
    temporary: &mut Temporary,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<Vec<SizeResult>, TuneError> {
    let name = request.physical_name.as_str();
    let mut results = Vec::new();
    for &memory_mb in &request.memory_sizes {
        progress(&format!(
            "{memory_mb} MB: setting the memory and publishing"
        ));
        temporary.memory_changed = true;
        aws::set_memory(clients, name, memory_mb).await?;
        let version = aws::publish(clients, name, &format!("{MARKER} {memory_mb} MB")).await?;
        aws::wait_version_active(clients, name, version).await?;
        if temporary.alias_created {
            aws::move_alias(clients, name, ALIAS, version).await?;
        } else {
            temporary.alias_may_exist = true;
            aws::create_alias(
                clients,
                name,
                ALIAS,
                version,
                &format!("{MARKER} deleted when the run ends"),
            )
            .await?;
            temporary.alias_created = true;
        }
        progress(&format!(
            "{memory_mb} MB: invoking version {version} {} times",
            request.invocations
        ));
        let mut runs: Vec<Invocation> = Vec::new();
        for invocation in 1..=request.invocations {
            let answer = aws::invoke(clients, name, ALIAS, &request.payload).await?;
            if let Some(kind) = answer.function_error {
                let document: Option<serde_json::Value> =
                    serde_json::from_slice(&answer.payload).ok();
                let field = |key: &str| {
                    document
                        .as_ref()
                        .and_then(|d| d.get(key))
                        .and_then(|v| v.as_str())
                        .map(str::to_string)
                };
                return Err(TuneError::FunctionFailed {
                    memory_mb,
                    invocation,
                    kind,
                    error_type: field("errorType"),
                    message: field("errorMessage"),
                });
            }
            let tail = answer.log_result.ok_or_else(|| TuneError::NoReport {
                memory_mb,
                reason: "Lambda returned no log tail".to_string(),
            })?;
            runs.push(
                report::parse_log_tail(&tail)
                    .map_err(|reason| TuneError::NoReport { memory_mb, reason })?,
            );
        }
        results.push(report::summarise(memory_mb, &runs, |mb, billed| {
            report::cost_per_invocation(
                prices,
                live.architecture,
                mb,
                live.ephemeral_storage_mb,
                billed,
            )
        }));
    }
    Ok(results)
}

/// Put the function back: its memory, then the alias (a version an alias points at cannot be
/// deleted), then every version tuning published. Each step is tried whatever the others did;
/// what could not be undone is returned, with the command that undoes it.
async fn restore(
    clients: &Clients,
    name: &str,
    original_memory_mb: u32,
    temporary: &Temporary,
) -> Vec<String> {
    let mut leftovers = Vec::new();
    if temporary.memory_changed {
        if let Err(e) = aws::set_memory(clients, name, original_memory_mb).await {
            leftovers.push(format!(
                "the memory of {name} is not back to {original_memory_mb} MB ({e}): aws lambda update-function-configuration --function-name {name} --memory-size {original_memory_mb}"
            ));
        }
    }
    if temporary.alias_may_exist {
        if let Err(e) = aws::delete_alias(clients, name, ALIAS).await {
            leftovers.push(format!(
                "alias {ALIAS} ({e}): aws lambda delete-alias --function-name {name} --name {ALIAS}"
            ));
        }
    }
    match aws::versions(clients, name).await {
        Ok(versions) => {
            let ours: BTreeSet<u64> = versions
                .into_iter()
                .filter(|(_, description)| description.starts_with(MARKER))
                .map(|(number, _)| number)
                .collect();
            for version in ours {
                match aws::delete_version(clients, name, version).await {
                    Ok(()) => {}
                    Err(e) if e.kind == ErrorKind::Conflict => leftovers.push(format!(
                        "version {version} is in use (an alias or mapping outside tuning points at it): aws lambda delete-function --function-name {name} --qualifier {version}"
                    )),
                    Err(e) => leftovers.push(format!(
                        "version {version} ({e}): aws lambda delete-function --function-name {name} --qualifier {version}"
                    )),
                }
            }
        }
        Err(e) => leftovers.push(format!(
            "the versions tuning published could not be listed ({e}); delete those described `{MARKER} …`: aws lambda list-versions-by-function --function-name {name}"
        )),
    }
    leftovers
}

/// The memory sizes from `--memory`: each within Lambda's range, sorted, without repeats.
pub fn memory_sizes(text: &str) -> Result<Vec<u32>, String> {
    let mut sizes = BTreeSet::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let size: u32 = part
            .parse()
            .map_err(|_| format!("`{part}` is not a memory size in MB"))?;
        if !MEMORY_RANGE.contains(&size) {
            return Err(format!(
                "{size} MB is outside Lambda's range of {} to {} MB",
                MEMORY_RANGE.start(),
                MEMORY_RANGE.end()
            ));
        }
        sizes.insert(size);
    }
    if sizes.is_empty() {
        return Err("no memory size given".to_string());
    }
    Ok(sizes.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_sizes_are_checked_sorted_and_unique() {
        assert_eq!(
            memory_sizes("1024, 128,1024,512").unwrap(),
            [128, 512, 1024]
        );
        assert!(memory_sizes("64")
            .unwrap_err()
            .contains("outside Lambda's range"));
        assert!(memory_sizes("10241").is_err());
        assert!(memory_sizes("1GB")
            .unwrap_err()
            .contains("not a memory size"));
        assert!(memory_sizes(" , ").is_err());
    }
}
