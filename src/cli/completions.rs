//! `slsctl completions SHELL`: the completion script clap generates from the same definitions
//! the parser uses, so it never falls behind a new command or flag.

use std::process::ExitCode;

use clap::CommandFactory;

use super::error::CliError;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

pub fn run(args: &Args) -> Result<ExitCode, CliError> {
    let shell = match args.shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    let mut command = super::Cli::command();
    clap_complete::generate(shell, &mut command, "slsctl", &mut std::io::stdout());
    Ok(ExitCode::SUCCESS)
}
