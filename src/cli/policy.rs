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
    Eval(EvalArgs),
}

#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// A stack directory whose `policies/*.rego` are tested with the default pack.
    #[arg(short = 'f', long = "file", value_name = "DIR")]
    pub dir: Option<PathBuf>,
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub output: Output,
}

#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    #[arg(short = 'f', long = "file", value_name = "DIR")]
    pub dir: PathBuf,
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
            match test.output {
                Output::Json | Output::Yaml => print!(
                    "{}",
                    super::data(
                        test.output,
                        &serde_json::json!({"tests": results, "failed": failed})
                    )?
                ),
                Output::Text => {
                    for r in &results {
                        let mark = if r.passed { "PASS" } else { "FAIL" };
                        match &r.error {
                            Some(e) => println!("{mark} {} ({e})", r.name),
                            None => println!("{mark} {}", r.name),
                        }
                    }
                    println!(
                        "{} tests, {} passed, {failed} failed",
                        results.len(),
                        results.len() - failed
                    );
                }
            }
            Ok(if failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
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
            match eval.output {
                Output::Json | Output::Yaml => print!(
                    "{}",
                    super::data(
                        eval.output,
                        &serde_json::json!({"findings": findings, "denied": denied})
                    )?
                ),
                Output::Text => {
                    for f in &findings {
                        let label = match (f.severity, &f.waived) {
                            (_, Some(_)) => "exception",
                            (Severity::Deny, None) => "deny",
                            (Severity::Warn, None) => "warning",
                        };
                        println!("{label}: {f}");
                    }
                    println!(
                        "{} denied, {} warnings, {waived} waived",
                        denied,
                        findings.len() - denied - waived
                    );
                }
            }
            Ok(if denied == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}
