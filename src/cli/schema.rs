use std::path::PathBuf;
use std::process::ExitCode;

use super::error::CliError;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Write the schema to this file instead of stdout.
    #[arg(long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub fn run(args: &Args) -> Result<ExitCode, CliError> {
    let schema = crate::kinds::json_schema();
    let text = serde_json::to_string_pretty(&schema)
        .map_err(|e| CliError::Internal(e.to_string()))?
        + "\n";
    match &args.out {
        Some(path) => std::fs::write(path, text).map_err(|e| CliError::write(path, e))?,
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
