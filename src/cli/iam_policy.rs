//! `slsctl iam-policy`: the least IAM policy a user needs to plan or apply a stack, from the
//! same list of actions the deploy check proves against the code (`aws::permissions`).

use std::path::PathBuf;
use std::process::ExitCode;

use super::error::CliError;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The stack directory.
    #[arg(short = 'f', long = "file", value_name = "DIR")]
    pub dir: PathBuf,
    /// Only what `plan` needs: reads, no changes.
    #[arg(long)]
    pub read_only: bool,
}

pub fn run(args: &Args) -> Result<ExitCode, CliError> {
    let stack = super::load(&args.dir)?;
    let policy = crate::aws::permissions::stack_policy(
        &stack,
        args.read_only,
        crate::kinds::changes_through,
    );
    println!(
        "{}",
        serde_json::to_string_pretty(&policy).map_err(|e| CliError::Internal(e.to_string()))?
    );
    eprintln!(
        "note: {} for stack `{}`: every read (observing lists account-wide), {}",
        if args.read_only {
            "what `slsctl plan` needs"
        } else {
            "what `slsctl plan`, `apply` and `destroy` need"
        },
        stack.name,
        if args.read_only {
            "no changes"
        } else {
            "and changes for the kinds the stack holds; a stack that drops its last resource of a kind needs that kind's changes until the deletion is applied"
        }
    );
    Ok(ExitCode::SUCCESS)
}
