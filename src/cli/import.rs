//! `slsctl import sam|cloudformation TEMPLATE --out DIR`: specs from a template.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::error::CliError;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub source: Source,
}

#[derive(Debug, clap::Subcommand)]
pub enum Source {
    /// A SAM template (`Transform: AWS::Serverless-2016-10-31`).
    Sam(TemplateArgs),
    /// A CloudFormation template (its Lambda-less SQS, DynamoDB and EventBridge resources, and
    /// any SAM resources in it).
    Cloudformation(TemplateArgs),
}

#[derive(Debug, clap::Args)]
pub struct TemplateArgs {
    /// The template, YAML or JSON.
    pub template: PathBuf,
    /// Where the specs go (created; code and layer directories are copied into it).
    #[arg(long = "out", value_name = "DIR")]
    pub out: PathBuf,
    /// The stack's name (default: the output directory's name).
    #[arg(long = "stack", value_name = "NAME")]
    pub stack: Option<String>,
}

pub fn run(args: &Args) -> Result<ExitCode, CliError> {
    let (Source::Sam(t) | Source::Cloudformation(t)) = &args.source;
    let text = std::fs::read_to_string(&t.template).map_err(|e| CliError::read(&t.template, e))?;
    let stack = t.stack.clone().unwrap_or_else(|| {
        crate::import::spec_name(
            &t.out
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_else(|| "imported".into()),
        )
    });
    let imported = crate::import::convert(&text, &stack)
        .map_err(|why| CliError::Usage(format!("{}: {why}", t.template.display())))?;
    std::fs::create_dir_all(&t.out).map_err(|e| CliError::write(&t.out, e))?;
    let base = t.template.parent().unwrap_or(Path::new("."));
    for (from, to) in &imported.copies {
        copy_dir(&base.join(from), &t.out.join(to))?;
    }
    for (name, body) in &imported.files {
        let path = t.out.join(name);
        std::fs::write(&path, body).map_err(|e| CliError::write(&path, e))?;
    }
    for skipped in &imported.skipped {
        let at = skipped
            .line
            .map_or_else(String::new, |line| format!(":{line}"));
        eprintln!(
            "not converted: {}{at}: {}: {}",
            t.template.display(),
            skipped.logical_id,
            skipped.reason
        );
    }
    // The output must be a valid stack: checked the way `validate` checks it.
    match crate::kinds::load_stack(&t.out) {
        Ok((stack, _)) => {
            eprintln!(
                "wrote stack `{}` to {} ({} resources, {} items not converted)",
                stack.name,
                t.out.display(),
                stack
                    .resources
                    .iter()
                    .filter(|r| r.derived_from.is_none())
                    .count(),
                imported.skipped.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err((diagnostics, sources)) => {
            eprint!("{}", diagnostics.render(&|p| sources.get(p)));
            eprintln!("the converted specs are not valid yet: fix the problems above by hand");
            Ok(ExitCode::from(1))
        }
    }
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), CliError> {
    std::fs::create_dir_all(to).map_err(|e| CliError::write(to, e))?;
    let entries = std::fs::read_dir(from).map_err(|e| CliError::read(from, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| CliError::read(from, e))?;
        let path = entry.path();
        let target = to.join(entry.file_name());
        let kind = entry.file_type().map_err(|e| CliError::read(&path, e))?;
        if kind.is_dir() {
            copy_dir(&path, &target)?;
        } else if kind.is_file() {
            std::fs::copy(&path, &target).map_err(|e| CliError::write(&target, e))?;
        }
    }
    Ok(())
}
