//! `plan`, `apply` and `destroy`: thin wrappers around `engine` and `apply`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use super::Output;
use crate::apply::{self, ActionReport, Outcome, Progress};
use crate::aws::error::{explain, Explanation};
use crate::aws::setup::Surroundings;
use crate::aws::{load_config, Clients};
use crate::engine::{prepare, EngineError, Prepared};
use crate::model::{ResourceId, Stack};
use crate::plan::{Plan, PlanOptions, ResourceAction};
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
}

#[derive(Debug, clap::Args)]
pub struct DestroyArgs {
    /// The stack directory.
    #[arg(short = 'f', long = "file", value_name = "DIR")]
    pub dir: PathBuf,
    /// Destroy without asking for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
}

fn options(safety: &SafetyArgs) -> Result<PlanOptions, String> {
    let mut allow_replace = std::collections::BTreeSet::new();
    for text in &safety.allow_replace {
        let (kind, name) = text
            .split_once('/')
            .ok_or_else(|| format!("--allow-replace takes Kind/name, not `{text}`"))?;
        let kind = crate::model::Kind::parse(kind)
            .ok_or_else(|| format!("unknown kind in --allow-replace {text}"))?;
        allow_replace.insert(ResourceId::new(kind, name));
    }
    Ok(PlanOptions {
        allow_mass_delete: safety.allow_mass_delete,
        allow_replace,
        ..PlanOptions::default()
    })
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

/// Load and validate the spec, printing diagnostics; `None` means invalid (exit 1).
fn load(dir: &std::path::Path) -> Option<Stack> {
    match crate::spec::load_stack(dir) {
        Ok((stack, _)) => Some(stack),
        Err((diagnostics, sources)) => {
            eprint!("{}", diagnostics.render(&|p| sources.get(p)));
            None
        }
    }
}

/// The SDK clients for the stack's account and region, and the environment they came from;
/// no region anywhere is an error that says where to set one.
async fn clients_for(stack: &Stack, dir: &std::path::Path) -> Result<Reach, String> {
    let around = Surroundings::from_env(Some(dir));
    let config = load_config(stack.region.as_deref()).await;
    if config.region().is_none() {
        return Err(around.no_region().to_string());
    }
    Ok(Reach {
        clients: Clients::new(&config),
        around,
    })
}

/// Clients, and what the environment says about them (for explaining their errors).
struct Reach {
    clients: Clients,
    around: Surroundings,
}

impl Reach {
    /// An engine error as the user reads it: what is wrong, then what to do.
    fn explain(&self, error: EngineError) -> String {
        match error {
            EngineError::Aws(e) => {
                explain(&e, &self.around, Some(self.clients.region.as_str())).to_string()
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
                explanation.to_string()
            }
            other => other.to_string(),
        }
    }
}

fn print_calls(clients: &Clients) {
    let calls = clients.calls.snapshot();
    let total: u64 = calls.values().sum();
    let detail: Vec<String> = calls.iter().map(|(op, n)| format!("{op} {n}")).collect();
    eprintln!("AWS calls: {total} ({})", detail.join(", "));
}

pub fn plan(args: &PlanArgs) -> Result<ExitCode, String> {
    let options = options(&args.safety)?;
    let Some(stack) = load(&args.dir) else {
        return Ok(ExitCode::from(1));
    };
    let runtime = runtime()?;
    let (prepared, reach) = runtime.block_on(async {
        let reach = clients_for(&stack, &args.dir).await?;
        Ok::<_, String>((prepare(stack, &reach.clients, &options).await, reach))
    })?;
    let clients = &reach.clients;
    let mut prepared = prepared.map_err(|e| reach.explain(e))?;
    crate::policy::check_plan(&prepared.stack, &mut prepared.plan)?;
    let plan = &prepared.plan;
    match args.output {
        Output::Text => {
            print!("{}", render::plan_text(plan));
            print_calls(clients);
        }
        Output::Json => println!("{}", render::plan_json(plan)),
    }
    if let Some(path) = &args.out {
        let text =
            serde_json::to_string_pretty(&render::plan_json(plan)).map_err(|e| e.to_string())?;
        std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!(
            "Plan saved to {}; apply it with: slsctl apply -f {} {}",
            path.display(),
            args.dir.display(),
            path.display()
        );
    }
    if !plan.refusals.is_empty() {
        return Ok(ExitCode::from(1));
    }
    Ok(if args.detailed_exitcode && plan.has_changes() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// Progress as plain lines on stderr (one when an action starts, one when it ends).
struct Lines;

impl Progress for Lines {
    fn started(&self, action: &ResourceAction) {
        eprintln!(
            "  {} {}: {:?}…",
            action.action.marker(),
            action.id,
            action.action
        );
    }
    fn finished(&self, report: &ActionReport) {
        match &report.outcome {
            Outcome::Done => eprintln!("  ✓ {} ({:.1}s)", report.id, report.seconds),
            Outcome::Failed(why) => eprintln!("  ✗ {}: {why}", report.id),
            Outcome::Skipped(why) => eprintln!("  - {} skipped: {why}", report.id),
        }
    }
}

/// Progress on a terminal: finished actions scroll by, and one status line at the bottom shows
/// how many are done and which are running.
struct Live {
    total: usize,
    state: std::sync::Mutex<(usize, std::collections::BTreeSet<String>)>,
}

impl Live {
    fn redraw(&self, state: &(usize, std::collections::BTreeSet<String>)) {
        let running: Vec<&str> = state.1.iter().map(String::as_str).collect();
        let mut line = format!("[{}/{}] {}", state.0, self.total, running.join(", "));
        line.truncate(120);
        eprint!("\r\x1b[K{line}");
    }
}

impl Progress for Live {
    fn started(&self, action: &ResourceAction) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state
            .1
            .insert(format!("{} {}", action.action.marker(), action.id));
        self.redraw(&state);
    }
    fn finished(&self, report: &ActionReport) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.0 += 1;
        state.1.retain(|r| !r.ends_with(&format!(" {}", report.id)));
        eprint!("\r\x1b[K");
        Lines.finished(report);
        self.redraw(&state);
        if state.0 == self.total {
            eprint!("\r\x1b[K");
        }
    }
}

fn confirm(question: &str) -> Result<bool, String> {
    if !std::io::stdin().is_terminal() {
        return Err("refusing to change AWS without confirmation: stdin is not a terminal; pass --auto-approve".into());
    }
    print!("{question} Only 'yes' will be accepted: ");
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| e.to_string())?;
    Ok(answer.trim() == "yes")
}

fn execute(prepared: Prepared, clients: &Clients, runtime: &tokio::runtime::Runtime) -> ExitCode {
    let progress: Arc<dyn Progress> = if std::io::stderr().is_terminal() {
        Arc::new(Live {
            total: prepared.plan.actions.len(),
            state: Default::default(),
        })
    } else {
        Arc::new(Lines)
    };
    let prepared = Arc::new(prepared);
    let report = runtime.block_on(apply::apply(prepared, clients, progress));
    eprint!("{}", render::report_text(&report));
    if report.failed() > 0 {
        // Every action is idempotent and the next run plans from what AWS has then.
        eprintln!(
            "  hint: the apply can be re-run safely: it plans again from what AWS has now and does only what is left"
        );
    }
    print_calls(clients);
    if report.failed() + report.skipped() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

pub fn apply(args: &ApplyArgs) -> Result<ExitCode, String> {
    let options = options(&args.safety)?;
    let saved: Option<Plan> = match &args.plan_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            Some(
                serde_json::from_str(&text)
                    .map_err(|e| format!("{} is not a slsctl plan: {e}", path.display()))?,
            )
        }
        None => None,
    };
    let Some(stack) = load(&args.dir) else {
        return Ok(ExitCode::from(1));
    };
    let runtime = runtime()?;
    let reach = runtime.block_on(clients_for(&stack, &args.dir))?;
    let clients = &reach.clients;
    let mut prepared = runtime
        .block_on(prepare(stack, clients, &options))
        .map_err(|e| reach.explain(e))?;
    crate::policy::check_plan(&prepared.stack, &mut prepared.plan)?;
    if let Some(saved) = &saved {
        if saved.observed_digest != prepared.plan.observed_digest {
            return Err(
                "AWS changed since the plan was made (the observed state differs); make a new plan"
                    .into(),
            );
        }
        if render::plan_json(saved) != render::plan_json(&prepared.plan) {
            return Err(
                "the spec changed since the plan was made (the plan differs); make a new plan"
                    .into(),
            );
        }
    } else {
        print!("{}", render::plan_text(&prepared.plan));
    }
    if !prepared.plan.refusals.is_empty() {
        if saved.is_some() {
            print!("{}", render::plan_text(&prepared.plan));
        }
        return Ok(ExitCode::from(1));
    }
    if !prepared.plan.has_changes() {
        if saved.is_some() {
            println!("No changes.");
        }
        return Ok(ExitCode::SUCCESS);
    }
    if saved.is_none() && !args.auto_approve && !confirm("Apply these changes?")? {
        eprintln!("Apply cancelled; nothing was changed.");
        return Ok(ExitCode::from(1));
    }
    Ok(execute(prepared, clients, &runtime))
}

pub fn destroy(args: &DestroyArgs) -> Result<ExitCode, String> {
    let Some(stack) = load(&args.dir) else {
        return Ok(ExitCode::from(1));
    };
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
    print!("{}", render::plan_text(&prepared.plan));
    if !prepared.plan.has_changes() {
        return Ok(if prepared.plan.refusals.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    if !args.auto_approve && !confirm(&format!("Destroy stack `{}`?", prepared.plan.stack))? {
        eprintln!("Destroy cancelled; nothing was changed.");
        return Ok(ExitCode::from(1));
    }
    // Refusals (a queue still holding messages) do not stop the rest of a destroy: what can go,
    // goes, and what must stay is listed.
    Ok(execute(prepared, clients, &runtime))
}
