//! The command line: each command resolves its settings once and calls the library.

pub mod controller;
pub mod cost;
mod doctor;
mod iam_policy;
mod policy;
mod reconcile;
mod schema;
mod validate;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  slsctl validate -f specs/examples/orders        check a stack; errors name file:line:column
  slsctl validate -f specs/examples/orders -o json
  slsctl plan -f specs/examples/orders            what would change in AWS
  slsctl apply -f specs/examples/orders           make AWS match the spec
  slsctl schema > slsctl.schema.json              JSON Schema for editor completion

Exit codes: 0 success (or no changes), 1 error, 2 changes present (plan --detailed-exitcode).";

/// Reconcile AWS serverless stacks (Lambda, SQS, EventBridge, DynamoDB, API Gateway) from YAML
/// specs, with no state file.
#[derive(Debug, Parser)]
#[command(name = "slsctl", version, about, after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a stack directory: syntax, fields, ranges, references and cross-resource rules.
    #[command(after_help = "\
Examples:
  slsctl validate -f specs/examples/orders
  slsctl validate -f stacks/payments -o json | jq '.diagnostics[].message'

Every problem of every file is reported, sorted by file and line. Nothing is applied from an
invalid spec. Exit code 0 when the stack is valid, 1 otherwise.")]
    Validate(validate::Args),
    /// Compare the spec with live AWS and show what would change.
    #[command(after_help = "\
Examples:
  slsctl plan -f specs/examples/orders
  slsctl plan -f specs/examples/orders --detailed-exitcode   # CI: 0 no changes, 2 changes, 1 error
  slsctl plan -f specs/examples/orders -o json --out plan.json")]
    Plan(reconcile::PlanArgs),
    /// Make AWS match the spec: shows the plan, asks, then applies it.
    #[command(after_help = "\
Examples:
  slsctl apply -f specs/examples/orders
  slsctl apply -f specs/examples/orders --auto-approve
  slsctl apply -f specs/examples/orders plan.json     # exactly a saved plan, refused if AWS changed")]
    Apply(reconcile::ApplyArgs),
    /// Delete the stack's resources, honouring deletion policies (tables are kept by default).
    #[command(after_help = "\
Examples:
  slsctl destroy -f specs/examples/orders")]
    Destroy(reconcile::DestroyArgs),
    /// Print the JSON Schema of the spec format, generated from the same types the loader uses.
    #[command(after_help = "\
Examples:
  slsctl schema > .slsctl.schema.json
  # then, at the top of each spec file, for the YAML language server:
  # yaml-language-server: $schema=.slsctl.schema.json")]
    Schema(schema::Args),
    /// Estimate the stack's monthly cost from its spec and traffic assumptions, or compare a
    /// function with and without provisioned concurrency (`cost pc`).
    #[command(after_help = "\
Examples:
  slsctl cost -f specs/examples/orders
  slsctl cost -f specs/examples/orders --explain      # the arithmetic of every line
  slsctl cost -f specs/examples/orders -o json
  slsctl cost pc --memory 1536 --concurrency 100 --hours 8 --requests 3000000 --duration-ms 120

Prices are us-east-1 list prices from a versioned table (data/prices-us-east-1.json); the free
tier is applied once per month over the stack's pooled usage. Exit code 1 when the estimate
exceeds `budget.monthlyUSD`.")]
    Cost(cost::Args),
    /// Policies as code (Rego): run their unit tests, or evaluate them against a stack.
    /// `plan` and `apply` evaluate them too: a deny refuses the plan, a warning is shown.
    Policy(policy::Args),
    /// Run the GitOps controller: watch the stacks' sources, reconcile them continuously.
    #[command(after_help = "\
Examples:
  slsctl controller --config controller.yaml

controller.yaml:
  stacks:
    - name: orders
      s3: {bucket: my-specs, prefix: stacks/orders/}
      intervalSeconds: 60
      mode: heal            # or report: plan only, expose drift
  resyncSeconds: 300        # drift is corrected at least this often
  lease: {table: slsctl-leases, durationSeconds: 30, renewDeadlineSeconds: 20}

A source that is unreachable, empty or invalid never deletes anything: the last good revision
stays in force. With a lease, only the replica holding it reconciles. SIGTERM finishes the
in-flight reconciles and releases the lease.")]
    Controller(controller::Args),
    /// Ask a running controller to reconcile a stack now.
    #[command(after_help = "\
Examples:
  slsctl reconcile orders
  slsctl reconcile orders --controller http://10.0.3.17:8080")]
    Reconcile(controller::ReconcileArgs),
    /// Check a running controller's health (exit 0 when healthy): the container health check.
    #[command(after_help = "\
Examples:
  slsctl health                       # GET http://127.0.0.1:8080/healthz
  slsctl health --ready --controller http://10.0.3.17:8080")]
    Health(controller::HealthArgs),
    /// Print the least IAM policy a user needs to plan (`--read-only`) or apply a stack.
    #[command(after_help = "\
Examples:
  slsctl iam-policy -f specs/examples/orders --read-only > plan-policy.json   # for `plan`
  slsctl iam-policy -f specs/examples/orders > apply-policy.json              # plan, apply, destroy
  aws iam put-user-policy --user-name ci --policy-name slsctl-orders \\
    --policy-document file://apply-policy.json

Derived from the same list of IAM actions that tests/deploy.rs proves against every AWS call in
the code. Reads cover every service (observing lists account-wide); changes cover the kinds the
stack holds.")]
    IamPolicy(iam_policy::Args),
    /// Check what slsctl needs before its first plan: credentials, region, account, endpoint,
    /// the local emulator, and git/gpg/ssh for the controller's sources.
    #[command(after_help = "\
Examples:
  slsctl doctor
  slsctl doctor -f specs/examples/orders      # also the stack's region and accountId
  AWS_PROFILE=prod slsctl doctor

Each missing piece is printed with its fix. Exit code 1 when something required is missing
(git, gpg and ssh are needed only by the controller, and only warn).")]
    Doctor(doctor::Args),
}

/// Output format for commands that print results.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Output {
    #[default]
    Text,
    Json,
}

/// Parse the command line and run the command; the exit code is the process's.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            // clap exits 2 on usage errors; 2 means "changes present" for `plan
            // --detailed-exitcode`, so a usage error must be 1 for CI scripts to tell them apart.
            return match error.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(1),
            };
        }
    };
    let result = match cli.command {
        Command::Validate(args) => validate::run(&args),
        Command::Plan(args) => reconcile::plan(&args),
        Command::Apply(args) => reconcile::apply(&args),
        Command::Destroy(args) => reconcile::destroy(&args),
        Command::Schema(args) => schema::run(&args),
        Command::Cost(args) => cost::run(&args),
        Command::Policy(args) => policy::run(&args),
        Command::Controller(args) => controller::run(&args),
        Command::Reconcile(args) => controller::reconcile(&args),
        Command::Health(args) => controller::health(&args),
        Command::IamPolicy(args) => iam_policy::run(&args),
        Command::Doctor(args) => doctor::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
    }
}
