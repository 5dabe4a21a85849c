//! `slsctl tune FUNCTION -f DIR`: memory power tuning of one function (see `crate::tune`).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use super::error::CliError;
use super::Output;
use crate::aws::error::explain;
use crate::aws::setup::Surroundings;
use crate::aws::{load_config, Clients};
use crate::cost::Prices;
use crate::model::{Kind, ResourceId};
use crate::tune::report::{self, Choice};
use crate::tune::{self as tuning, TuneError, TuneRequest};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The function's name in the spec (`Function/<FUNCTION>`).
    #[arg(value_name = "FUNCTION")]
    pub function: String,
    /// The stack directory: every *.yaml / *.yml below it is read.
    #[arg(short = 'f', long = "file", value_name = "DIR")]
    pub dir: PathBuf,
    /// Memory sizes to measure, in MB, comma-separated (128 to 10240).
    #[arg(
        long,
        value_name = "MB,…",
        default_value = "128,256,512,1024,1769,3008"
    )]
    pub memory: String,
    /// Invocations per memory size (1 to 1000).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub invocations: u32,
    /// The event each invocation gets: JSON, or `@FILE` to read it from a file.
    #[arg(long, value_name = "JSON|@FILE", default_value = "{}")]
    pub payload: String,
    /// Write the recommended size (`balanced` unless named) into the spec file.
    #[arg(
        long,
        value_enum,
        value_name = "WHICH",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "balanced"
    )]
    pub apply: Option<Choice>,
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub output: Output,
}

/// The event to send: the flag's JSON, or the file's after `@`; it must be JSON, as Lambda's
/// synchronous Invoke takes.
fn payload(text: &str) -> Result<Vec<u8>, CliError> {
    let (bytes, from) = match text.strip_prefix('@') {
        Some(file) => (
            std::fs::read(file).map_err(|e| CliError::read(file, e))?,
            file.to_string(),
        ),
        None => (text.as_bytes().to_vec(), "--payload".to_string()),
    };
    if let Err(e) = serde_json::from_slice::<serde_json::Value>(&bytes) {
        // serde_json's text ends with the position, which leads the line here instead.
        let message = e.to_string();
        let message = message
            .rsplit_once(" at line ")
            .map_or(message.as_str(), |(m, _)| m);
        return Err(CliError::Input(format!(
            "{from}:{}:{}: the payload is not JSON: {message}\n  hint: Lambda's Invoke takes a JSON event, e.g. --payload '{{\"id\": \"42\"}}' or --payload @event.json",
            e.line(),
            e.column()
        )));
    }
    Ok(bytes)
}

pub fn run(args: &Args) -> Result<ExitCode, CliError> {
    let memory_sizes = tuning::memory_sizes(&args.memory)
        .map_err(|e| CliError::Usage(format!("--memory: {e}")))?;
    let payload = payload(&args.payload)?;
    let stack = super::load(&args.dir)?;
    let id = ResourceId::new(Kind::Function, &args.function);
    let Some(resource) = stack.get(&id).filter(|r| r.derived_from.is_none()) else {
        let names: Vec<&str> = stack
            .resources
            .iter()
            .filter(|r| r.id.kind == Kind::Function)
            .map(|r| r.id.name.as_str())
            .collect();
        return Err(CliError::Usage(format!(
            "stack {} has no Function/{}\n  hint: the functions of this stack: {}",
            stack.name,
            args.function,
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        )));
    };
    let request = TuneRequest {
        stack: stack.name.clone(),
        function: args.function.clone(),
        physical_name: resource.physical_name.clone(),
        account_id: stack.account_id.clone(),
        memory_sizes,
        invocations: args.invocations,
        payload,
    };
    let runtime = super::runtime()?;
    let around = Surroundings::from_env(Some(&args.dir));
    let outcome = runtime.block_on(async {
        let config = load_config(stack.region.as_deref()).await;
        if config.region().is_none() {
            return Err(CliError::Setup(around.no_region()));
        }
        let clients = Clients::new(&config);
        // Ctrl-C stops the run at its next step and the function is restored; should the
        // handler not install, the run simply cannot be interrupted that way.
        let cancel = async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        let progress = |line: &str| eprintln!("tune: {line}");
        tuning::tune(&clients, &request, Prices::us_east_1(), cancel, &progress)
            .await
            .map_err(|e| explained(e, &around, &clients.region))
    });
    let report = outcome?;
    let mut out = std::io::stdout().lock();
    let edit = match (args.apply, &report.recommendations) {
        (Some(choice), Some(recommended)) => {
            let memory = recommended.pick(choice);
            let edit =
                tuning::spec_edit::write_memory_size(&args.dir, &stack, &args.function, memory)
                    .map_err(CliError::Input)?;
            Some((choice, memory, edit))
        }
        _ => None,
    };
    match args.output {
        Output::Json | Output::Yaml => {
            let applied = edit.as_ref().map(|(choice, memory, edit)| {
                serde_json::json!({
                    "choice": choice,
                    "memorySize": memory,
                    "file": edit.file.display().to_string(),
                    "line": edit.line,
                    "previous": edit.previous_mb,
                })
            });
            let value = serde_json::json!({"tune": report, "applied": applied});
            write!(out, "{}", super::data(args.output, &value)?).map_err(CliError::Console)?;
        }
        Output::Text => {
            write!(out, "{}", report::render(&report)).map_err(CliError::Console)?;
            if let Some((choice, memory, edit)) = &edit {
                let choice = serde_json::to_value(choice)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                let place = format!("{}:{}", edit.file.display(), edit.line);
                let line = match edit.previous_mb {
                    Some(before) if before == *memory => {
                        format!("\nThe spec already has memorySize: {memory} ({choice}) at {place}.")
                    }
                    before => format!(
                        "\nWrote memorySize: {memory} ({choice}; was {}) to {place}. Run `slsctl plan` to see the change.",
                        before.map_or_else(|| "unset".to_string(), |m| format!("{m} MB"))
                    ),
                };
                writeln!(out, "{line}").map_err(CliError::Console)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A run's failure as the user reads it: AWS errors get the same explanation as a plan's.
fn explained(error: TuneError, around: &Surroundings, region: &str) -> CliError {
    match error {
        TuneError::Aws(e) => {
            let explanation = explain(&e, around, Some(region));
            CliError::aws(e, explanation)
        }
        TuneError::WrongAccount { .. }
        | TuneError::NotOwned { .. }
        | TuneError::AliasTaken { .. } => CliError::Refused(error.to_string()),
        other => CliError::Refused(other.to_string()),
    }
}
