//! `slsctl diagram`: the stack's architecture drawn from its spec.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;

use super::error::CliError;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A Mermaid `flowchart LR`, for READMEs and pull requests.
    #[default]
    Mermaid,
    /// A draw.io file with the AWS 2021 shapes (opens in diagrams.net).
    Drawio,
    /// A self-contained SVG.
    Svg,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The stack directory: every *.yaml / *.yml below it is read.
    #[arg(short = 'f', long = "file", value_name = "DIR")]
    pub dir: PathBuf,
    /// The drawing's format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub format: Format,
    /// Write the drawing to this file instead of stdout.
    #[arg(long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub fn run(args: &Args) -> Result<ExitCode, CliError> {
    let stack = super::load(&args.dir)?;
    let sizes = crate::diagram::package_sizes(&stack);
    let diagram = crate::diagram::of(&stack, &sizes);
    let text = match args.format {
        Format::Mermaid => crate::diagram::render::mermaid(&diagram),
        Format::Drawio => crate::diagram::render::drawio(&diagram),
        Format::Svg => crate::diagram::render::svg(&diagram, &Default::default()),
    };
    match &args.out {
        Some(path) => std::fs::write(path, text).map_err(|e| CliError::write(path, e))?,
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
