use std::path::PathBuf;
use std::process::ExitCode;

use super::error::CliError;
use super::Output;
use crate::policy::{self, PolicySet, Severity};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: PolicyCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum PolicyCommand {
    /// Run the Rego unit tests (`test_` rules) of the default pack and the stack's policies.
    #[command(after_help = "\
Examples:
  slsctl policy test                          # the default pack
  slsctl policy test -f specs/examples/orders # and the stack's policies/*.rego")]
    Test(TestArgs),
    /// Evaluate the policies against a stack's spec (no AWS access, no plan).
    #[command(after_help = "\
Examples:
  slsctl policy eval -f specs/examples/orders
  slsctl policy eval -f specs/examples/orders -o json")]
    Eval(super::StackArgs),
}

#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// A stack directory whose `policies/*.rego` are tested with the default pack.
    #[arg(short = 'f', long = "file", value_name = "DIR")]
    pub dir: Option<PathBuf>,
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub output: Output,
}

pub fn run(args: &Args) -> Result<ExitCode, CliError> {
    match &args.command {
        PolicyCommand::Test(test) => {
            let set = match &test.dir {
                Some(dir) => PolicySet::for_stack(dir).map_err(CliError::Input)?,
                None => PolicySet::default_pack(),
            };
            let results = set.run_tests().map_err(CliError::Input)?;
            let failed = results.iter().filter(|r| !r.passed).count();
            let mut lines: Vec<String> = results
                .iter()
                .map(|r| {
                    let mark = if r.passed { "PASS" } else { "FAIL" };
                    match &r.error {
                        Some(e) => format!("{mark} {} ({e})", r.name),
                        None => format!("{mark} {}", r.name),
                    }
                })
                .collect();
            lines.push(format!(
                "{} tests, {} passed, {failed} failed",
                results.len(),
                results.len() - failed
            ));
            let document = serde_json::json!({"tests": results, "failed": failed});
            finish(test.output, &document, &lines, failed)
        }
        PolicyCommand::Eval(eval) => {
            let stack = super::load(&eval.dir)?;
            let set = PolicySet::for_stack(&stack.root).map_err(CliError::Input)?;
            let findings = set
                .evaluate(&policy::input(&stack, None), &stack)
                .map_err(CliError::Input)?;
            // A deny the stack waives (spec.policy.exceptions) is listed, but refuses nothing.
            let denied = findings.iter().filter(|f| f.denies()).count();
            let waived = findings.iter().filter(|f| f.waived.is_some()).count();
            let mut lines: Vec<String> = findings
                .iter()
                .map(|f| {
                    let label = match (f.severity, &f.waived) {
                        (_, Some(_)) => "exception",
                        (Severity::Deny, None) => "deny",
                        (Severity::Warn, None) => "warning",
                    };
                    format!("{label}: {f}")
                })
                .collect();
            lines.push(format!(
                "{} denied, {} warnings, {waived} waived",
                denied,
                findings.len() - denied - waived
            ));
            let document = serde_json::json!({"findings": findings, "denied": denied});
            finish(eval.output, &document, &lines, denied)
        }
    }
}

/// Print the outcome, as `document` for machines or `lines` for people; exit 1 when any of
/// the `failures` (failed tests, denies) is counted.
fn finish(
    output: Output,
    document: &serde_json::Value,
    lines: &[String],
    failures: usize,
) -> Result<ExitCode, CliError> {
    match output {
        Output::Json | Output::Yaml => print!("{}", super::data(output, document)?),
        Output::Text => {
            for line in lines {
                println!("{line}");
            }
        }
    }
    Ok(if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
