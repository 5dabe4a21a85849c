//! `plan`, `apply` and `destroy`: thin wrappers around `engine` and `apply`.

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use super::error::CliError;
use super::progress::{Lines, Live};
use super::{color, load, runtime, Output};
use crate::apply::{self, Progress};
use crate::aws::error::{explain, Explanation};
use crate::aws::setup::Surroundings;
use crate::aws::{load_config, Clients};
use crate::engine::{prepare, EngineError, Prepared};
use crate::model::{ResourceId, Stack};
use crate::plan::{Plan, PlanOptions};
use crate::render;

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// The stack directory.
    #[arg(short = 'f', long = "file", value_name = "DIR")]
    pub dir: PathBuf,
    /// Exit 2 when the plan has changes (0: none, 1: error).
    #[arg(long)]
    pub detailed_exitcode: bool,
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub output: Output,
    /// Save the plan (JSON) for `slsctl apply PLANFILE`.
    #[arg(long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub safety: SafetyArgs,
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Drift only: resources the stack owns that exist in AWS and differ from the spec. Missing
    /// and leaving resources are counted, not planned; nothing can be applied from it.
    #[arg(long, conflicts_with = "out")]
    pub refresh_only: bool,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ScopeArgs {
    /// Plan only this resource (Kind/name) and what it depends on; repeatable. Nothing outside
    /// the targets is created, changed or deleted.
    #[arg(long = "target", value_name = "KIND/NAME")]
    pub targets: Vec<String>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct SafetyArgs {
    /// Allow a plan that deletes everything, or more than half of the stack.
    #[arg(long)]
    pub allow_mass_delete: bool,
    /// Allow replacing this data-bearing resource (Kind/name); repeatable.
    #[arg(long = "allow-replace", value_name = "KIND/NAME")]
    pub allow_replace: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// The stack directory.
    #[arg(short = 'f', long = "file", value_name = "DIR")]
    pub dir: PathBuf,
    /// A plan saved by `slsctl plan --out`; refused if AWS or the spec changed since.
    #[arg(value_name = "PLANFILE")]
    pub plan_file: Option<PathBuf>,
    /// Apply without asking for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    #[command(flatten)]
    pub safety: SafetyArgs,
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// How many actions run at once, at most 4 of one kind (dependencies still come first).
    #[arg(long, value_name = "N", default_value_t = apply::MAX_PARALLEL as u16,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallelism: u16,
    /// `json` or `yaml`: the plan and the apply report as one document on stdout.
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub output: Output,
}

#[derive(Debug, clap::Args)]
pub struct DestroyArgs {
    /// The stack directory.
    #[arg(short = 'f', long = "file", value_name = "DIR")]
    pub dir: PathBuf,
    /// Destroy without asking for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// `json` or `yaml`: the plan and the report as one document on stdout.
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub output: Output,
}

fn options(safety: &SafetyArgs) -> Result<PlanOptions, CliError> {
    let mut allow_replace = std::collections::BTreeSet::new();
    for text in &safety.allow_replace {
        let (kind, name) = text.split_once('/').ok_or_else(|| {
            CliError::Usage(format!("--allow-replace takes Kind/name, not `{text}`"))
        })?;
        let kind = crate::model::Kind::parse(kind)
            .ok_or_else(|| CliError::Usage(format!("unknown kind in --allow-replace {text}")))?;
        allow_replace.insert(ResourceId::new(kind, name));
    }
    Ok(PlanOptions {
        allow_mass_delete: safety.allow_mass_delete,
        allow_replace,
        ..PlanOptions::default()
    })
}

/// The `--target` ids, parsed; `None` without any.
fn parse_targets(scope: &ScopeArgs) -> Result<Option<BTreeSet<ResourceId>>, CliError> {
    if scope.targets.is_empty() {
        return Ok(None);
    }
    let kinds: Vec<&str> = crate::model::Kind::ALL
        .into_iter()
        .filter(|k| *k != crate::model::Kind::Stack)
        .map(|k| k.as_str())
        .collect();
    let mut targets = BTreeSet::new();
    for text in &scope.targets {
        let id = text
            .split_once('/')
            .and_then(|(kind, name)| {
                let kind = crate::model::Kind::parse(kind)?;
                (kind != crate::model::Kind::Stack && !name.is_empty())
                    .then(|| ResourceId::new(kind, name))
            })
            .ok_or_else(|| {
                CliError::Usage(format!(
                    "--target takes KIND/NAME, not `{text}`\nhint: KIND is one of {}; for example --target Function/create-order",
                    kinds.join(", ")
                ))
            })?;
        targets.insert(id);
    }
    Ok(Some(targets))
}

/// The targets with what they depend on, into the plan options; a target neither in the spec
/// nor owned in AWS is an error (checked once AWS has been read, see [`check_targets`]).
fn scope_options(options: &mut PlanOptions, stack: &Stack, targets: &Option<BTreeSet<ResourceId>>) {
    options.targets = targets
        .as_ref()
        .map(|targets| crate::plan::scope::with_dependencies(stack, targets));
}

/// How a targeted plan says so; a saved plan is matched to its `--target` flags by it.
const TARGET_NOTE: &str = "the plan is limited to --target";

/// Refuse unknown targets, and say in the plan that it is partial.
fn check_targets(
    prepared: &mut Prepared,
    targets: &Option<BTreeSet<ResourceId>>,
    scope: &Option<BTreeSet<ResourceId>>,
) -> Result<(), CliError> {
    let (Some(targets), Some(scope)) = (targets, scope) else {
        return Ok(());
    };
    for target in targets {
        let known = prepared.stack.get(target).is_some()
            || prepared
                .observed
                .resources
                .iter()
                .any(|o| o.owned && &o.id == target);
        if !known {
            return Err(CliError::Refused(format!(
                "--target {target}: no such resource in the spec, and none owned by stack `{}` in AWS\nhint: `slsctl get -f DIR` lists the stack's resources",
                prepared.stack.name
            )));
        }
    }
    let names: Vec<String> = targets.iter().map(ToString::to_string).collect();
    prepared.plan.notes.push(format!(
        "{TARGET_NOTE} {} and what it depends on ({} of the stack's resources); nothing else was planned",
        names.join(", "),
        scope.len()
    ));
    Ok(())
}

/// The plan for people: on stdout with text output, on stderr when stdout carries a document.
fn show_plan(plan: &Plan, output: Output) {
    show_text(&render::plan_text(plan), output);
}

/// A rendered plan: on stdout for people, on stderr when stdout carries `-o json|yaml`.
fn show_text(text: &str, output: Output) {
    match output {
        Output::Text => print!("{}", color::plan_for_stdout(text)),
        Output::Json | Output::Yaml => eprint!("{}", color::plan_for_stderr(text)),
    }
}

/// The plan and the report, as one document, for `apply -o json|yaml` and `destroy -o json|yaml`.
fn print_outcome(
    output: Output,
    plan: &Plan,
    report: Option<&apply::ApplyReport>,
) -> Result<(), CliError> {
    if output == Output::Text {
        return Ok(());
    }
    let report = report.map(|r| {
        serde_json::json!({
            "actions": r.actions,
            "done": r.done(),
            "failed": r.failed(),
            "skipped": r.skipped(),
        })
    });
    let value = serde_json::json!({"plan": render::plan_json(plan), "report": report});
    print!("{}", super::data(output, &value)?);
    Ok(())
}

/// The SDK clients for the stack's account and region, and the environment they came from;
/// no region anywhere is an error that says where to set one.
pub(super) async fn clients_for(stack: &Stack, dir: &std::path::Path) -> Result<Reach, CliError> {
    let around = Surroundings::from_env(Some(dir));
    let config = load_config(stack.region.as_deref()).await;
    if config.region().is_none() {
        return Err(CliError::Setup(around.no_region()));
    }
    Ok(Reach {
        clients: Clients::new(&config),
        around,
    })
}

/// Clients, and what the environment says about them (for explaining their errors).
pub(super) struct Reach {
    pub(super) clients: Clients,
    around: Surroundings,
}

impl Reach {
    /// An engine error as the user reads it: what is wrong, then what to do.
    pub(super) fn explain(&self, error: EngineError) -> CliError {
        match error {
            EngineError::Aws(e) => {
                let explanation = explain(&e, &self.around, Some(self.clients.region.as_str()));
                CliError::aws(e, explanation)
            }
            EngineError::WrongAccount {
                ref stack,
                ref pinned,
                ref actual,
            } => {
                let mut explanation = Explanation::new(error.to_string());
                explanation.hints.push(format!(
                    "use credentials for account {pinned}: another profile (AWS_PROFILE) or `aws sso login --profile NAME` for that account"
                ));
                explanation.hints.push(format!(
                    "if stack `{stack}` has moved to account {actual}, change spec.accountId in its Stack document"
                ));
                CliError::Setup(explanation)
            }
            // Packaging the code, a dependency cycle: what slsctl was given.
            EngineError::Other(message) => CliError::Input(message),
        }
    }
}

fn print_calls(clients: &Clients) {
    let calls = clients.calls.snapshot();
    let total: u64 = calls.values().sum();
    let detail: Vec<String> = calls.iter().map(|(op, n)| format!("{op} {n}")).collect();
    eprintln!("AWS calls: {total} ({})", detail.join(", "));
}

pub fn plan(args: &PlanArgs) -> Result<ExitCode, CliError> {
    let mut options = options(&args.safety)?;
    let targets = parse_targets(&args.scope)?;
    let stack = load(&args.dir)?;
    scope_options(&mut options, &stack, &targets);
    let runtime = runtime()?;
    let (prepared, reach) = runtime.block_on(async {
        let reach = clients_for(&stack, &args.dir).await?;
        Ok::<_, CliError>((prepare(stack, &reach.clients, &options).await, reach))
    })?;
    let clients = &reach.clients;
    let mut prepared = prepared.map_err(|e| reach.explain(e))?;
    check_targets(&mut prepared, &targets, &options.targets)?;
    if args.refresh_only {
        refresh_only(&mut prepared.plan);
    } else {
        crate::policy::check_plan(&prepared.stack, &mut prepared.plan).map_err(CliError::Input)?;
    }
    tracing::debug!(
        stack = %prepared.plan.stack,
        actions = prepared.plan.actions.len(),
        refusals = prepared.plan.refusals.len(),
        "planned"
    );
    let plan = &prepared.plan;
    match args.output {
        Output::Text => {
            print!("{}", color::plan_for_stdout(&render::plan_text(plan)));
            print_calls(clients);
        }
        Output::Json | Output::Yaml => {
            print!("{}", super::data(args.output, &render::plan_json(plan))?);
        }
    }
    if let Some(path) = &args.out {
        let text = serde_json::to_string_pretty(&render::plan_json(plan))
            .map_err(|e| CliError::Internal(e.to_string()))?;
        std::fs::write(path, text).map_err(|e| CliError::write(path, e))?;
        eprintln!(
            "Plan saved to {}; apply it with: slsctl apply -f {} {}",
            path.display(),
            args.dir.display(),
            path.display()
        );
    }
    // A plan that left resources out unread says nothing about them: not a "no changes".
    if !plan.refusals.is_empty() || !plan.is_complete() {
        return Ok(ExitCode::from(1));
    }
    Ok(if args.detailed_exitcode && plan.has_changes() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// `plan --refresh-only`: drift alone, with a note of what was left out and why.
fn refresh_only(plan: &mut Plan) {
    let left_out = crate::plan::scope::drift_only(plan);
    plan.notes.push(
        "refresh-only: only resources this stack owns that exist in AWS and differ from the spec are shown (without a state file, a difference is drift whichever side moved)".to_string(),
    );
    if left_out.missing > 0 {
        plan.notes.push(format!(
            "refresh-only: resources of the spec missing from AWS (not created yet, or deleted outside slsctl): {}; `slsctl plan` creates them",
            left_out.missing
        ));
    }
    if left_out.leaving > 0 {
        plan.notes.push(format!(
            "refresh-only: resources the stack owns that are no longer in the spec: {}; `slsctl plan` shows what happens to them",
            left_out.leaving
        ));
    }
    if left_out.foreign > 0 {
        plan.notes.push(format!(
            "refresh-only: names of the spec taken by resources this stack does not own: {}",
            left_out.foreign
        ));
    }
}

/// Ask on the terminal; the question goes to stdout, or to stderr when stdout carries a document.
fn confirm(question: &str, output: Output) -> Result<bool, CliError> {
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Refused("refusing to change AWS without confirmation: stdin is not a terminal; pass --auto-approve".into()));
    }
    if output == Output::Text {
        print!("{question} Only 'yes' will be accepted: ");
        std::io::stdout().flush().map_err(CliError::Console)?;
    } else {
        eprint!("{question} Only 'yes' will be accepted: ");
    }
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(CliError::Console)?;
    Ok(answer.trim() == "yes")
}

/// How `execute` runs and reports.
#[derive(Clone, Copy)]
struct Execution {
    output: Output,
    parallelism: usize,
}

fn execute(
    prepared: Prepared,
    clients: &Clients,
    runtime: &tokio::runtime::Runtime,
    how: Execution,
) -> Result<ExitCode, CliError> {
    let live = std::io::stderr()
        .is_terminal()
        .then(|| Live::start(prepared.plan.actions.len()));
    let progress: Arc<dyn Progress> = match &live {
        Some(live) => live.clone(),
        None => Arc::new(Lines),
    };
    let prepared = Arc::new(prepared);
    let report = runtime.block_on(apply::apply_with_parallelism(
        prepared.clone(),
        clients,
        progress,
        how.parallelism,
    ));
    if let Some(live) = &live {
        live.stop();
    }
    eprint!("{}", render::report_text(&report));
    if report.failed() > 0 {
        // Every action is idempotent and the next run plans from what AWS has then.
        eprintln!(
            "  hint: the apply can be re-run safely: it plans again from what AWS has now and does only what is left"
        );
    }
    print_calls(clients);
    print_outcome(how.output, &prepared.plan, Some(&report))?;
    // Resources AWS did not answer for were left out: the stack is not converged yet.
    Ok(
        if report.failed() + report.skipped() > 0 || !prepared.plan.is_complete() {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        },
    )
}

pub fn apply(args: &ApplyArgs) -> Result<ExitCode, CliError> {
    let mut options = options(&args.safety)?;
    let targets = parse_targets(&args.scope)?;
    let saved: Option<Plan> = match &args.plan_file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| CliError::read(path, e))?;
            Some(serde_json::from_str(&text).map_err(|e| {
                CliError::Input(format!("{} is not a slsctl plan: {e}", path.display()))
            })?)
        }
        None => None,
    };
    let stack = load(&args.dir)?;
    scope_options(&mut options, &stack, &targets);
    let runtime = runtime()?;
    let reach = runtime.block_on(clients_for(&stack, &args.dir))?;
    let clients = &reach.clients;
    let mut prepared = runtime
        .block_on(prepare(stack, clients, &options))
        .map_err(|e| reach.explain(e))?;
    check_targets(&mut prepared, &targets, &options.targets)?;
    crate::policy::check_plan(&prepared.stack, &mut prepared.plan).map_err(CliError::Input)?;
    if let Some(saved) = &saved {
        if saved.observed_digest != prepared.plan.observed_digest {
            return Err(CliError::Refused(
                "AWS changed since the plan was made (the observed state differs); make a new plan"
                    .into(),
            ));
        }
        let scope_note = |plan: &Plan| {
            plan.notes
                .iter()
                .find(|n| n.starts_with(TARGET_NOTE))
                .cloned()
        };
        if scope_note(saved) != scope_note(&prepared.plan) {
            return Err(CliError::Refused(format!(
                "the plan was saved with other --target flags ({}); apply it with the same ones",
                scope_note(saved).unwrap_or_else(|| "none".to_string())
            )));
        }
        if render::plan_json(saved) != render::plan_json(&prepared.plan) {
            return Err(CliError::Refused(
                "the spec changed since the plan was made (the plan differs); make a new plan"
                    .into(),
            ));
        }
    } else {
        show_plan(&prepared.plan, args.output);
    }
    if !prepared.plan.refusals.is_empty() {
        if saved.is_some() {
            show_plan(&prepared.plan, args.output);
        }
        print_outcome(args.output, &prepared.plan, None)?;
        return Ok(ExitCode::from(1));
    }
    if !prepared.plan.has_changes() {
        if saved.is_some() && args.output == Output::Text {
            println!("No changes.");
        }
        print_outcome(
            args.output,
            &prepared.plan,
            Some(&apply::ApplyReport::default()),
        )?;
        return Ok(if prepared.plan.is_complete() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    if saved.is_none() && !args.auto_approve && !confirm("Apply these changes?", args.output)? {
        eprintln!("Apply cancelled; nothing was changed.");
        return Ok(ExitCode::from(1));
    }
    let how = Execution {
        output: args.output,
        parallelism: usize::from(args.parallelism),
    };
    execute(prepared, clients, &runtime, how)
}

pub fn destroy(args: &DestroyArgs) -> Result<ExitCode, CliError> {
    let stack = load(&args.dir)?;
    let runtime = runtime()?;
    let reach = runtime.block_on(clients_for(&stack, &args.dir))?;
    let clients = &reach.clients;
    let options = PlanOptions {
        destroy: true,
        allow_mass_delete: true,
        ..PlanOptions::default()
    };
    let prepared = runtime
        .block_on(prepare(stack, clients, &options))
        .map_err(|e| reach.explain(e))?;
    show_text(&render::destroy_text(&prepared.plan), args.output);
    // What the destroy meant to delete but keeps (a queue holding messages, a protected table)
    // makes it exit 1 even when everything else went: the stack is not gone.
    let kept = prepared.plan.refusals.len();
    if !prepared.plan.has_changes() {
        print_outcome(
            args.output,
            &prepared.plan,
            Some(&apply::ApplyReport::default()),
        )?;
        return Ok(if kept == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    let question = format!("Destroy stack `{}`?", prepared.plan.stack);
    if !args.auto_approve && !confirm(&question, args.output)? {
        eprintln!("Destroy cancelled; nothing was changed.");
        return Ok(ExitCode::from(1));
    }
    // Refusals (a queue still holding messages) do not stop the rest of a destroy: what can go,
    // goes, and what must stay is listed.
    let how = Execution {
        output: args.output,
        parallelism: apply::MAX_PARALLEL,
    };
    let code = execute(prepared, clients, &runtime, how)?;
    if kept > 0 {
        eprintln!("Destroy incomplete: {kept} resources were kept (see above).");
        return Ok(ExitCode::from(1));
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::error::{AwsError, ErrorKind};

    fn reach() -> Reach {
        let config = aws_config::SdkConfig::builder()
            .region(aws_config::Region::new("eu-west-1"))
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        Reach {
            clients: Clients::new(&config),
            around: Surroundings::from_env(None),
        }
    }

    #[test]
    fn an_engine_error_is_classified_and_reads_as_it_did() {
        let reach = reach();
        let throttled = AwsError::new("ListQueues", ErrorKind::Throttled, "Rate exceeded");
        let before = explain(&throttled, &reach.around, Some("eu-west-1")).to_string();
        let error = reach.explain(EngineError::Aws(throttled));
        assert!(matches!(error, CliError::Aws { .. }), "{error:?}");
        assert!(error.is_transient());
        assert_eq!(error.to_string(), before);

        let invalid = AwsError::new("CreateQueue", ErrorKind::Validation, "bad attribute");
        assert!(!reach.explain(EngineError::Aws(invalid)).is_transient());

        let error = reach.explain(EngineError::WrongAccount {
            stack: "orders".into(),
            pinned: "111111111111".into(),
            actual: "222222222222".into(),
        });
        assert!(matches!(error, CliError::Setup(_)), "{error:?}");
        assert!(!error.is_transient());
        assert_eq!(
            error.to_string(),
            "the credentials are for account 222222222222, but stack `orders` is pinned to account 111111111111 (spec.accountId); nothing was done\n  hint: use credentials for account 111111111111: another profile (AWS_PROFILE) or `aws sso login --profile NAME` for that account\n  hint: if stack `orders` has moved to account 222222222222, change spec.accountId in its Stack document"
        );

        let error = reach.explain(EngineError::Other("a dependency cycle".into()));
        assert!(matches!(error, CliError::Input(_)), "{error:?}");
        assert_eq!(error.to_string(), "a dependency cycle");
    }

    #[test]
    fn malformed_flags_are_usage_errors_with_their_texts() {
        let scope = ScopeArgs {
            targets: vec!["Queue".into()],
        };
        let error = parse_targets(&scope).unwrap_err();
        assert!(matches!(error, CliError::Usage(_)), "{error:?}");
        assert_eq!(error.exit_status(), 1);
        assert!(
            error
                .to_string()
                .starts_with("--target takes KIND/NAME, not `Queue`\nhint: KIND is one of "),
            "{error}"
        );
        let safety = SafetyArgs {
            allow_mass_delete: false,
            allow_replace: vec!["Nope/x".into()],
        };
        let error = options(&safety).unwrap_err();
        assert!(matches!(error, CliError::Usage(_)), "{error:?}");
        assert_eq!(error.to_string(), "unknown kind in --allow-replace Nope/x");
    }
}
