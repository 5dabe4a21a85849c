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
    /// Resources that exist in an account (made by hand or by another tool), found by tag or
    /// by name prefix, written with the adoption annotation.
    #[command(after_help = "\
Examples:
  slsctl import live --region eu-west-1 --prefix legacy- --out stacks/legacy
  slsctl import live --region eu-west-1 --tag team=payments --out stacks/payments --stack payments

Functions (with their SQS triggers), queues, tables, event buses and rules are written with
their name in physicalName and `slsctl.dev/adopt: \"true\"`, so that the first plan adopts each
without changing it; each function's deployed code is downloaded to functions/<name>.zip and
used as it is. What is not imported (REST APIs, layers, aliases, …) is listed with the reason.")]
    Live(LiveArgs),
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("select").required(true).args(["tag", "prefix"])))]
pub struct LiveArgs {
    /// The region the resources are in.
    #[arg(long = "region", value_name = "REGION")]
    pub region: String,
    /// Every resource carrying this tag.
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tag: Option<String>,
    /// Every resource whose name starts with this.
    #[arg(long = "prefix", value_name = "NAME")]
    pub prefix: Option<String>,
    /// Where the specs go (created; each function's deployed code goes to functions/<name>.zip).
    #[arg(long = "out", value_name = "DIR")]
    pub out: PathBuf,
    /// The stack's name (default: the output directory's name).
    #[arg(long = "stack", value_name = "NAME")]
    pub stack: Option<String>,
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
    let t = match &args.source {
        Source::Sam(t) | Source::Cloudformation(t) => t,
        Source::Live(live) => return run_live(live),
    };
    let text = std::fs::read_to_string(&t.template).map_err(|e| CliError::read(&t.template, e))?;
    let stack = stack_name(t.stack.as_ref(), &t.out);
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
    validated(&t.out, imported.skipped.len())
}

fn stack_name(given: Option<&String>, out: &Path) -> String {
    given.cloned().unwrap_or_else(|| {
        crate::import::spec_name(
            &out.file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_else(|| "imported".into()),
        )
    })
}

/// `import live`: find, read, convert, write; then validate the output like `validate`.
fn run_live(args: &LiveArgs) -> Result<ExitCode, CliError> {
    use crate::import::discover::{discover, Selector};
    let selector = match (&args.tag, &args.prefix) {
        (Some(tag), _) => match tag.split_once('=') {
            Some((key, value)) if !key.is_empty() => Selector::Tag {
                key: key.to_string(),
                value: value.to_string(),
            },
            _ => {
                return Err(CliError::Usage(format!(
                    "--tag {tag}: expected KEY=VALUE, e.g. --tag team=payments"
                )))
            }
        },
        (None, Some(prefix)) if !prefix.is_empty() => Selector::Prefix(prefix.clone()),
        _ => {
            return Err(CliError::Usage(
                "--prefix needs a name prefix, e.g. --prefix orders-".into(),
            ))
        }
    };
    let stack = stack_name(args.stack.as_ref(), &args.out);
    std::fs::create_dir_all(&args.out).map_err(|e| CliError::write(&args.out, e))?;
    let runtime = super::runtime()?;
    let discovered = runtime.block_on(async {
        let config = crate::aws::load_config(Some(&args.region)).await;
        let clients = crate::aws::Clients::new(&config);
        discover(&clients, &selector, &args.out).await.map_err(|e| {
            let around = crate::aws::setup::Surroundings::from_env(None);
            let explanation = crate::aws::error::explain(&e, &around, Some(&args.region));
            CliError::aws(e, explanation)
        })
    })?;
    if discovered.resources.is_empty() {
        for skipped in &discovered.skipped {
            eprintln!("not converted: {}: {}", skipped.logical_id, skipped.reason);
        }
        return Err(CliError::Usage(format!(
            "no Lambda function, SQS queue, DynamoDB table, event bus or rule in {} {}",
            args.region,
            match &selector {
                Selector::Tag { key, value } => format!("carries the tag {key}={value}"),
                Selector::Prefix(prefix) => format!("has a name starting with `{prefix}`"),
            }
        )));
    }
    for (relative, bytes) in &discovered.code {
        let path = args.out.join(relative);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| CliError::write(dir, e))?;
        }
        std::fs::write(&path, bytes).map_err(|e| CliError::write(&path, e))?;
    }
    let prefix = match &selector {
        Selector::Prefix(p) => Some(p.as_str()),
        Selector::Tag { .. } => None,
    };
    let convert = |exceptions: &[crate::import::live::Exception]| {
        crate::import::live::convert(
            &stack,
            &args.region,
            &discovered.resources,
            prefix,
            exceptions,
        )
    };
    let mut imported = convert(&[]);
    write_files(&args.out, &imported.files)?;
    // The policies deny what the live resources are (a table without point-in-time recovery):
    // the Stack opts out of those rules for them, each said, so that adopting is not refused
    // and fixing them stays a later, visible change.
    let exceptions = live_exceptions(&args.out);
    if !exceptions.is_empty() {
        for e in &exceptions {
            eprintln!(
                "policy exception written to stack.yaml: rule {} for {}",
                e.rule,
                e.resources.join(", ")
            );
        }
        imported = convert(&exceptions);
        write_files(&args.out, &imported.files)?;
    }
    imported.skipped.splice(0..0, discovered.skipped);
    for skipped in &imported.skipped {
        eprintln!("not converted: {}: {}", skipped.logical_id, skipped.reason);
    }
    eprintln!(
        "each resource is adopted by the first apply (slsctl.dev/adopt); it also creates what slsctl derives: each function's log group (adopted if Lambda made it), alarms and the dashboard"
    );
    validated(&args.out, imported.skipped.len())
}

fn write_files(
    out: &Path,
    files: &std::collections::BTreeMap<String, String>,
) -> Result<(), CliError> {
    for (name, body) in files {
        let path = out.join(name);
        std::fs::write(&path, body).map_err(|e| CliError::write(&path, e))?;
    }
    Ok(())
}

/// The policy rules the written stack is denied by, grouped by rule (none when it does not load:
/// `validated` reports that).
fn live_exceptions(out: &Path) -> Vec<crate::import::live::Exception> {
    let Ok((stack, _)) = crate::kinds::load_stack(out) else {
        return Vec::new();
    };
    let Ok(set) = crate::policy::PolicySet::for_stack(&stack.root) else {
        return Vec::new();
    };
    let findings = set
        .evaluate(&crate::policy::input(&stack, None), &stack)
        .unwrap_or_default();
    let mut by_rule: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for finding in findings.iter().filter(|f| f.denies()) {
        if let (Some(rule), Some(resource)) = (&finding.rule, &finding.resource) {
            let resources = by_rule.entry(rule.clone()).or_default();
            if !resources.contains(resource) {
                resources.push(resource.clone());
            }
        }
    }
    by_rule
        .into_iter()
        .map(|(rule, resources)| crate::import::live::Exception { rule, resources })
        .collect()
}

/// The output must be a valid stack: checked the way `validate` checks it.
fn validated(out: &Path, skipped: usize) -> Result<ExitCode, CliError> {
    match crate::kinds::load_stack(out) {
        Ok((stack, _)) => {
            eprintln!(
                "wrote stack `{}` to {} ({} resources, {} items not converted)",
                stack.name,
                out.display(),
                stack
                    .resources
                    .iter()
                    .filter(|r| r.derived_from.is_none())
                    .count(),
                skipped
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
