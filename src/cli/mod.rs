//! The command line: each command resolves its settings once and calls the library.

mod ask;
pub mod color;
mod completions;
pub mod controller;
pub mod cost;
pub mod diagram;
mod doctor;
pub mod error;
mod get;
mod iam_policy;
pub mod import;
mod policy;
mod progress;
mod reconcile;
mod schema;
mod tune;
mod validate;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use error::CliError;

const EXAMPLES: &str = "\
Examples:
  slsctl validate -f specs/examples/orders        check a stack; errors name file:line:column
  slsctl validate -f specs/examples/orders -o json
  slsctl plan -f specs/examples/orders            what would change in AWS
  slsctl apply -f specs/examples/orders           make AWS match the spec
  slsctl get -f specs/examples/orders             each resource, its physical id, in sync or not
  slsctl schema > slsctl.schema.json              JSON Schema for editor completion
  slsctl completions bash > ~/.local/share/bash-completion/completions/slsctl

Colour: on a terminal unless NO_COLOR is set; --color always|never overrides.
Logs: SLSCTL_LOG=debug (error, warn, info, debug, trace) prints logs on stderr, for every command.
Quotas: SLSCTL_QUOTA_SHARE=0.5 caps slsctl at half of each AWS control-plane quota (default 0.9).
Exit codes: 0 success (or no changes), 1 error, refusal, failed action or usage error,
2 changes present (plan --detailed-exitcode).";

/// Reconcile AWS serverless stacks (Lambda, SQS, EventBridge, DynamoDB, API Gateway) from YAML
/// specs, with no state file.
#[derive(Debug, Parser)]
#[command(name = "slsctl", version, about, after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Colour plan markers and diagnostics: `auto` on a terminal without `NO_COLOR`.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t)]
    pub color: color::ColorChoice,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a stack directory: syntax, fields, ranges, references and cross-resource rules.
    #[command(after_help = "\
Examples:
  slsctl validate -f specs/examples/orders
  slsctl validate -f stacks/payments -o json | jq '.diagnostics[].message'

Every problem of every file is reported, sorted by file and line. Nothing is applied from an
invalid spec. With -o json or yaml the result is printed on stdout, valid or not.
Exit code 0 when the stack is valid, 1 otherwise.")]
    Validate(StackArgs),
    /// Compare the spec with live AWS and show what would change.
    #[command(after_help = "\
Examples:
  slsctl plan -f specs/examples/orders
  slsctl plan -f specs/examples/orders --detailed-exitcode   # CI: 0 no changes, 2 changes, 1 error
  slsctl plan -f specs/examples/orders -o json --out plan.json
  slsctl plan -f specs/examples/orders --target Function/create-order   # it and what it uses
  slsctl plan -f specs/examples/orders --refresh-only --detailed-exitcode  # drift only

--target KIND/NAME (repeatable) plans only those resources and what they depend on: nothing
outside them is created, changed or deleted. --refresh-only shows drift only: resources the
stack owns that exist in AWS and differ from the spec; missing resources (not created yet, or
deleted outside slsctl) and resources that left the spec are counted, not planned.")]
    Plan(reconcile::PlanArgs),
    /// Make AWS match the spec: shows the plan, asks, then applies it.
    #[command(after_help = "\
Examples:
  slsctl apply -f specs/examples/orders
  slsctl apply -f specs/examples/orders --auto-approve
  slsctl apply -f specs/examples/orders plan.json     # exactly a saved plan, refused if AWS changed
  slsctl apply -f specs/examples/orders --target Queue/order-events --auto-approve
  slsctl apply -f specs/examples/orders --parallelism 1 --auto-approve -o json > report.json

With -o json or -o yaml, stdout carries one document (the plan and the apply report); the plan
text, the prompt and the progress go to stderr. A saved plan made with --target must be applied
with the same --target flags. Exit code 0 when every action succeeded, 1 otherwise.")]
    Apply(reconcile::ApplyArgs),
    /// Delete the stack's resources, honouring deletion policies (tables are kept by default).
    #[command(after_help = "\
Examples:
  slsctl destroy -f specs/examples/orders
  slsctl destroy -f specs/examples/orders --auto-approve -o json > report.json")]
    Destroy(reconcile::DestroyArgs),
    /// Each resource of the stack, its physical id, and whether AWS is in sync with the spec.
    #[command(
        visible_alias = "status",
        after_help = "\
Examples:
  slsctl get -f specs/examples/orders
  slsctl status -f specs/examples/orders -o json | jq '.resources[] | select(.inSync | not)'

States: in-sync; drifted (the fields that differ are listed); missing (in the spec, not in
AWS); not-owned (the name is taken by a resource without this stack's tags); not-in-spec (owned,
no longer in the spec). Nothing is changed. Exit code 0 when it could look, whatever it found."
    )]
    Get(StackArgs),
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
  slsctl cost -f specs/examples/orders --traffic specs/examples/traffic/blueprint-8m-calls-a-day.yaml
  slsctl cost -f specs/examples/orders --recommend   # savings from 14 days of CloudWatch metrics
  slsctl cost pc --memory 1536 --concurrency 100 --hours 8 --requests 3000000 --duration-ms 120

Prices are us-east-1 list prices from a versioned table (data/prices-us-east-1.json); the free
tier is applied once per month over the stack's pooled usage. Exit code 1 when the estimate
exceeds `budget.monthlyUSD`.")]
    Cost(cost::Args),
    /// Draw the stack's architecture from its spec: Mermaid, draw.io or SVG.
    #[command(after_help = "\
Examples:
  slsctl diagram -f specs/examples/orders                       # Mermaid, for a README
  slsctl diagram -f specs/examples/orders -o drawio --out orders.drawio
  slsctl diagram -f specs/examples/orders -o svg --out orders.svg

Edges follow the wiring: routes to functions, queues to their consumers, functions to what
their environment names, rules to their targets, redrives and dead-letter queues, layers. A
function behind an Api route is marked with its provisioned concurrency, or flagged (red) when it
has none; a queue's consumer is marked as buffered. The same spec always gives the same bytes.")]
    Diagram(diagram::Args),
    /// Measure a deployed function at several memory sizes and recommend one (power tuning).
    #[command(after_help = "\
Examples:
  slsctl tune create-order -f specs/examples/orders
  slsctl tune create-order -f specs/examples/orders --memory 256,512,1024 --invocations 20 \\
      --payload @events/order.json
  slsctl tune create-order -f specs/examples/orders --apply            # writes the balanced size
  slsctl tune create-order -f specs/examples/orders --apply=cheapest -o json

For each size: $LATEST's memory is set, a version published behind the temporary alias
slsctl-tune and invoked --invocations times; durations come from each invocation's REPORT line.
Afterwards the memory is set back and the alias and versions deleted, also after a failed
invocation or Ctrl-C. Callers of the unqualified function see the sizes while it runs.
--apply writes memorySize into the spec file, keeping its comments; `slsctl apply` deploys it.")]
    Tune(tune::Args),
    /// Turn a SAM or CloudFormation template, or resources that exist, into specs.
    #[command(after_help = "\
Examples:
  slsctl import sam template.yaml --out stacks/orders
  slsctl import cloudformation infra.json --out stacks/orders --stack orders
  slsctl import live --region eu-west-1 --prefix legacy- --out stacks/legacy
  slsctl import live --region eu-west-1 --tag team=payments --out stacks/payments

Functions (with their Api, SQS, EventBridgeRule and Schedule events, Globals, layers,
AutoPublishAlias and provisioned concurrency), SQS queues, DynamoDB and simple tables, event
buses and rules, and the APIs the routes go through are converted; !Ref, !GetAtt and !Sub become
references, parameters their defaults. Code and layer directories are copied into the output.
What cannot be converted is listed with its template line and the reason. The output is
validated like `slsctl validate`: exit code 0 when it is a valid stack, 1 otherwise.

`import live` writes each resource found with its name in `physicalName` and the
`slsctl.dev/adopt` annotation, so that the first plan adopts it without changing it; each
function's deployed code is downloaded to functions/<name>.zip and used as it is.")]
    Import(import::Args),
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
stays in force. With a lease, replicas share the stacks (one lease per stack in the table, each
replica taking its fair share), and a stack is reconciled only by the replica holding its lease.
SIGTERM finishes the in-flight reconciles and releases the leases.")]
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
    /// Print a shell completion script (bash, zsh or fish) on stdout.
    #[command(after_help = "\
Examples:
  slsctl completions bash > ~/.local/share/bash-completion/completions/slsctl
  slsctl completions zsh > \"${fpath[1]}/_slsctl\"
  slsctl completions fish > ~/.config/fish/completions/slsctl.fish")]
    Completions(completions::Args),
}

/// Output format for commands that print results.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Output {
    #[default]
    Text,
    Json,
    Yaml,
}

/// The arguments of a command that reads one stack and prints what it finds (`validate`, `get`,
/// `policy eval`).
#[derive(Debug, clap::Args)]
pub struct StackArgs {
    /// The stack directory: every *.yaml / *.yml below it is read.
    #[arg(short = 'f', long = "file", value_name = "DIR")]
    pub dir: std::path::PathBuf,
    /// `text` for people, `json` or `yaml` for machines.
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub output: Output,
}

/// A machine-readable document (`-o json`: one line of JSON; `-o yaml`: a YAML document); the
/// text form is each command's own.
pub fn data(output: Output, value: &serde_json::Value) -> Result<String, CliError> {
    match output {
        Output::Yaml => serde_saphyr::to_string(value)
            .map_err(|e| CliError::Internal(format!("cannot write YAML: {e}"))),
        Output::Json | Output::Text => Ok(format!("{value}\n")),
    }
}

/// The runtime of a command that calls AWS.
fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Internal(format!("cannot start the async runtime: {e}")))
}

/// Load and validate the spec, printing diagnostics; invalid is [`CliError::InvalidSpec`].
fn load(dir: &std::path::Path) -> Result<crate::model::Stack, CliError> {
    match crate::kinds::load_stack(dir) {
        Ok((stack, _)) => Ok(stack),
        Err((diagnostics, sources)) => {
            eprint!(
                "{}",
                color::diagnostics_for_stderr(&diagnostics.render(&|p| sources.get(p)))
            );
            Err(CliError::InvalidSpec)
        }
    }
}

/// `SLSCTL_LOG=LEVEL`: the library's and the AWS SDK's logs on stderr, for every command (the
/// controller sets up its own, with `--log-format`). Unset: no logs.
fn init_logging() {
    let Ok(text) = std::env::var("SLSCTL_LOG") else {
        return;
    };
    let Ok(level) = text.parse::<tracing::Level>() else {
        eprintln!(
            "warning: SLSCTL_LOG={text:?} is not a level; use error, warn, info, debug or trace"
        );
        return;
    };
    // Colour follows `--color` and `NO_COLOR` like the rest of stderr, whatever features of
    // tracing-subscriber the build happens to enable.
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(color::stderr_enabled())
        .try_init();
}

/// The `--color` choice for clap's own output, from the raw arguments (`auto` when absent or
/// not one of the three words; the parser then reports the bad value).
fn clap_color(args: &[std::ffi::OsString]) -> clap::ColorChoice {
    let mut value = None;
    let mut iter = args.iter().skip(1).filter_map(|a| a.to_str());
    while let Some(arg) = iter.next() {
        if arg == "--" {
            break;
        }
        if let Some(v) = arg.strip_prefix("--color=") {
            value = Some(v);
        } else if arg == "--color" {
            value = iter.next();
        }
    }
    match value {
        Some("always") => clap::ColorChoice::Always,
        Some("never") => clap::ColorChoice::Never,
        _ => clap::ColorChoice::Auto,
    }
}

/// Parse the command line and run the command; the exit code is the process's.
pub fn run() -> ExitCode {
    // clap prints its own help and usage errors before `--color` is parsed; it is told the
    // choice from a first look at the arguments, so that `--color never` holds for them too.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let command = <Cli as clap::CommandFactory>::command().color(clap_color(&args));
    let parsed = command
        .try_get_matches_from(args)
        .and_then(|matches| <Cli as clap::FromArgMatches>::from_arg_matches(&matches));
    let cli = match parsed {
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
    color::init(cli.color);
    if !matches!(cli.command, Command::Controller(_)) {
        init_logging();
    }
    tracing::debug!(
        command = %std::env::args().nth(1).unwrap_or_default(),
        version = env!("CARGO_PKG_VERSION"),
        "slsctl started"
    );
    // Every command that calls AWS builds its limiters from it; a bad value is refused before
    // any of them starts rather than replaced by the default unseen.
    if let Err(message) = crate::aws::limits::quota_share() {
        eprintln!("{}", color::error_line(&message));
        return ExitCode::from(1);
    }
    let result = match cli.command {
        Command::Validate(args) => validate::run(&args),
        Command::Plan(args) => reconcile::plan(&args),
        Command::Apply(args) => reconcile::apply(&args),
        Command::Destroy(args) => reconcile::destroy(&args),
        Command::Schema(args) => schema::run(&args),
        Command::Cost(args) => cost::run(&args),
        Command::Diagram(args) => diagram::run(&args),
        Command::Tune(args) => tune::run(&args),
        Command::Import(args) => import::run(&args),
        Command::Policy(args) => policy::run(&args),
        Command::Controller(args) => controller::run(&args),
        Command::Reconcile(args) => controller::reconcile(&args),
        Command::Health(args) => controller::health(&args),
        Command::IamPolicy(args) => iam_policy::run(&args),
        Command::Doctor(args) => doctor::run(&args),
        Command::Get(args) => get::run(&args),
        Command::Completions(args) => completions::run(&args),
    };
    match result {
        Ok(code) => code,
        // The diagnostics of an invalid spec are printed already.
        Err(error) if error.already_reported() => ExitCode::from(error.exit_status()),
        Err(error) => {
            eprintln!("{}", color::error_line(&error.to_string()));
            ExitCode::from(error.exit_status())
        }
    }
}
