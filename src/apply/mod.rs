//! The executor: runs a plan's actions against AWS in dependency order, with bounded
//! parallelism, and reports every action's outcome (partial failure is a report, not a bare
//! error: independent actions carry on after one fails; dependents of a failed action are
//! skipped and say why).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::task::JoinSet;

use crate::aws::{AwsError, Clients, ErrorKind};
use crate::kinds::{self, ApplyCtx, Prepared};
use crate::model::ResourceId;
use crate::plan::{ActionKind, ResourceAction};

/// How many actions run at once. AWS's quotas are the real bound, enforced by the limiters; this
/// only keeps the number of in-flight uploads and waiters reasonable.
pub const MAX_PARALLEL: usize = 16;

/// How many actions of one kind run at once (within [`MAX_PARALLEL`] or the parallelism asked
/// for). Each kind has a lane of its own because kinds call services whose quotas differ by
/// ten times (a function's alarms wait on CloudWatch's few calls a second, the function on
/// Lambda's 15): without lanes, actions queued on a slow service's limiter hold every slot and
/// the fast service idles behind them.
pub const KIND_PARALLEL: usize = 4;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "status", content = "detail")]
pub enum Outcome {
    Done,
    Failed(String),
    Skipped(String),
}

#[derive(Clone, Debug, Serialize)]
pub struct ActionReport {
    pub id: ResourceId,
    pub action: ActionKind,
    pub outcome: Outcome,
    pub seconds: f64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct ApplyReport {
    pub actions: Vec<ActionReport>,
}

impl ApplyReport {
    pub fn failed(&self) -> usize {
        self.actions
            .iter()
            .filter(|a| matches!(a.outcome, Outcome::Failed(_)))
            .count()
    }
    pub fn skipped(&self) -> usize {
        self.actions
            .iter()
            .filter(|a| matches!(a.outcome, Outcome::Skipped(_)))
            .count()
    }
    pub fn done(&self) -> usize {
        self.actions
            .iter()
            .filter(|a| a.outcome == Outcome::Done)
            .count()
    }
}

/// Told about each action as it starts and ends (the CLI prints progress with it).
pub trait Progress: Send + Sync {
    fn started(&self, action: &ResourceAction);
    fn finished(&self, report: &ActionReport);
    /// Asked right before each action starts: an `Err` skips it and says why. The controller
    /// answers with its lease fence, so a replica that lost leadership stops mutating.
    fn proceed(&self) -> Result<(), String> {
        Ok(())
    }
    /// An action waits for AWS to reach a state it documents as passing (backups becoming
    /// available, a queue name's cooldown, IAM propagation); `what` says which.
    fn waiting(&self, _id: &ResourceId, _what: &str) {}
}

/// A progress sink that says nothing.
pub struct Quiet;

impl Progress for Quiet {
    fn started(&self, _: &ResourceAction) {}
    fn finished(&self, _: &ActionReport) {}
}

/// The executor's view: the kinds' context, and where progress goes.
#[derive(Clone)]
struct Shared {
    ctx: ApplyCtx,
    progress: Arc<dyn Progress>,
}

impl Shared {
    /// What an action's run came to; an error is redacted and worded for people.
    fn outcome(&self, result: Result<(), AwsError>) -> Outcome {
        match result {
            Ok(()) => Outcome::Done,
            Err(e) => Outcome::Failed(
                e.redact(&self.ctx.secrets)
                    .for_people(&self.ctx.clients.region),
            ),
        }
    }
}

/// The apply's record so far: the report, told to progress as it grows, and the actions that
/// did not get done (failed or skipped), whose dependents are skipped in turn.
struct Ledger<'a> {
    progress: &'a dyn Progress,
    report: ApplyReport,
    failed: BTreeSet<ResourceId>,
}

impl Ledger<'_> {
    fn push(&mut self, entry: ActionReport) {
        self.progress.finished(&entry);
        self.report.actions.push(entry);
    }

    /// Record how `action` ended after `seconds`.
    fn record(&mut self, action: &ResourceAction, outcome: Outcome, seconds: f64) {
        if outcome != Outcome::Done {
            self.failed.insert(action.id.clone());
        }
        self.push(ActionReport {
            id: action.id.clone(),
            action: action.action,
            outcome,
            seconds,
        });
    }

    /// Record an action that did not start (the fence closed, or what it depends on failed).
    fn skip(&mut self, action: &ResourceAction, why: String) {
        self.record(action, Outcome::Skipped(why), 0.0);
    }
}

/// Execute the plan. Deletions and releases run first, one at a time in the plan's order
/// (dependents before what they use); creates and updates then run as soon as what they depend
/// on is done, up to [`MAX_PARALLEL`] at once and [`KIND_PARALLEL`] of each kind.
pub async fn apply(
    prepared: Arc<Prepared>,
    clients: &Clients,
    progress: Arc<dyn Progress>,
) -> ApplyReport {
    apply_with_parallelism(prepared, clients, progress, MAX_PARALLEL).await
}

/// [`apply`], with up to `parallelism` creates and updates at once (at least one), and no more
/// than [`KIND_PARALLEL`] of one kind.
pub async fn apply_with_parallelism(
    prepared: Arc<Prepared>,
    clients: &Clients,
    progress: Arc<dyn Progress>,
    parallelism: usize,
) -> ApplyReport {
    let parallelism = parallelism.max(1);
    let lane = parallelism.min(KIND_PARALLEL);
    let secrets = prepared
        .stack
        .resources
        .iter()
        .filter_map(|r| crate::kinds::of(r.id.kind).map(|k| k.secrets(r)))
        .flatten()
        .collect();
    let shared = Arc::new(Shared {
        ctx: ApplyCtx {
            clients: clients.clone(),
            context: Arc::new(Mutex::new(prepared.context.clone())),
            prepared: prepared.clone(),
            secrets: Arc::new(secrets),
            deferred: Arc::new(Mutex::new(Vec::new())),
        },
        progress: progress.clone(),
    });
    let mut ledger = Ledger {
        progress: &*progress,
        report: ApplyReport::default(),
        failed: BTreeSet::new(),
    };

    let (backward, forward): (Vec<&ResourceAction>, Vec<&ResourceAction>) = prepared
        .plan
        .actions
        .iter()
        .partition(|a| matches!(a.action, ActionKind::Delete | ActionKind::Release));
    let observed = &prepared.observed.resources;
    for action in backward {
        if let Err(why) = progress.proceed() {
            ledger.skip(action, why);
            continue;
        }
        // What still points at it was to be deleted first; if that failed, it still does.
        if let Some(referrer) = failed_referrer(observed, action, &ledger.failed) {
            let why = format!("{referrer} still points at it: its deletion did not happen");
            ledger.skip(action, why);
            continue;
        }
        progress.started(action);
        let started = Instant::now();
        let outcome = shared.outcome(run(&shared, action).await);
        ledger.record(action, outcome, started.elapsed().as_secs_f64());
    }

    // Forward actions wait for the forward actions of what they reference.
    let planned: BTreeSet<ResourceId> = forward.iter().map(|a| a.id.clone()).collect();
    let dependencies: BTreeMap<ResourceId, Vec<ResourceId>> = forward
        .iter()
        .map(|a| {
            let deps = prepared
                .stack
                .get(&a.id)
                .map(|r| {
                    r.dependencies()
                        .into_iter()
                        .filter(|d| planned.contains(d))
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            (a.id.clone(), deps)
        })
        .collect();
    let mut pending: Vec<&ResourceAction> = forward;
    let mut finished: BTreeSet<ResourceId> = BTreeSet::new();
    let mut running: JoinSet<(ResourceAction, Result<(), AwsError>, Duration)> = JoinSet::new();
    // Which action each task runs, so that a task that panics is reported against its resource.
    let mut running_actions: HashMap<tokio::task::Id, (ResourceAction, Instant)> = HashMap::new();
    // How many of each kind's actions are running: its lane's occupancy.
    let mut running_of_kind: HashMap<crate::model::Kind, usize> = HashMap::new();
    loop {
        // Skip what depends on a failure; start what is ready.
        let mut index = 0;
        while index < pending.len() {
            let action = pending[index];
            let deps = &dependencies[&action.id];
            if let Some(bad) = deps.iter().find(|d| ledger.failed.contains(*d)) {
                ledger.skip(action, format!("depends on {bad}, which failed"));
                pending.remove(index);
                continue;
            }
            let lane_free = running_of_kind.get(&action.id.kind).copied().unwrap_or(0) < lane;
            if running.len() < parallelism && lane_free && deps.iter().all(|d| finished.contains(d))
            {
                let action = pending.remove(index).clone();
                if let Err(why) = progress.proceed() {
                    ledger.skip(&action, why);
                    continue;
                }
                progress.started(&action);
                *running_of_kind.entry(action.id.kind).or_default() += 1;
                let shared = shared.clone();
                let task_action = action.clone();
                let task = running.spawn(async move {
                    let started = Instant::now();
                    let result = run(&shared, &task_action).await;
                    (task_action, result, started.elapsed())
                });
                running_actions.insert(task.id(), (action, Instant::now()));
                continue;
            }
            index += 1;
        }
        let Some(joined) = running.join_next_with_id().await else {
            break;
        };
        let task = match &joined {
            Ok((task, _)) => *task,
            Err(error) => error.id(),
        };
        if let Some((action, _)) = running_actions.get(&task) {
            if let Some(count) = running_of_kind.get_mut(&action.id.kind) {
                *count = count.saturating_sub(1);
            }
        }
        let (action, result, elapsed) = match joined {
            Ok((task, done)) => {
                running_actions.remove(&task);
                done
            }
            Err(error) => {
                // A panicking action is a bug: it fails its own resource (so its dependents are
                // skipped) rather than abort the others.
                let Some((action, started)) = running_actions.remove(&error.id()) else {
                    continue;
                };
                let why = crate::text::scrub(&panic_message(error), &shared.ctx.secrets);
                ledger.record(
                    &action,
                    Outcome::Failed(why),
                    started.elapsed().as_secs_f64(),
                );
                continue;
            }
        };
        let outcome = shared.outcome(result);
        if outcome == Outcome::Done {
            finished.insert(action.id.clone());
        }
        ledger.record(&action, outcome, elapsed.as_secs_f64());
    }
    let deferred = std::mem::take(
        &mut *shared
            .ctx
            .deferred
            .lock()
            .unwrap_or_else(|e| e.into_inner()),
    );
    if ledger.report.failed() == 0 && ledger.report.skipped() == 0 {
        for cleanup in deferred {
            let (id, result) = (cleanup.id, (cleanup.run)(clients.clone()).await);
            if let Err(e) = result {
                ledger.push(ActionReport {
                    id,
                    action: ActionKind::Update,
                    outcome: Outcome::Failed(format!("clean-up after the apply: {e}")),
                    seconds: 0.0,
                });
            }
        }
    }
    ledger.report
}

/// What a failed task says: the panic's message when it carries text.
fn panic_message(error: tokio::task::JoinError) -> String {
    if !error.is_panic() {
        return "internal error: the action was cancelled".to_string();
    }
    let payload = error.into_panic();
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_string());
    format!("internal error (a bug in slsctl, please report it): the action panicked: {text}")
}

/// A live referrer of `action`'s resource (redrive source, triggered function) whose deletion in
/// this apply failed or was skipped.
fn failed_referrer<'a>(
    observed: &'a [crate::plan::ObservedResource],
    action: &ResourceAction,
    failed: &BTreeSet<ResourceId>,
) -> Option<&'a ResourceId> {
    if action.action != ActionKind::Delete {
        return None;
    }
    let have = observed.iter().find(|o| o.id == action.id)?;
    have.referenced_by.iter().find_map(|r| {
        observed
            .iter()
            .find(|o| o.arn == r.arn && failed.contains(&o.id))
            .map(|o| &o.id)
    })
}

async fn run(shared: &Shared, action: &ResourceAction) -> Result<(), AwsError> {
    // Waits inside this action are announced as this action's progress.
    let (progress, id) = (shared.progress.clone(), action.id.clone());
    let ctx = ApplyCtx {
        clients: shared
            .ctx
            .clients
            .with_notices(Arc::new(move |what: &str| progress.waiting(&id, what))),
        ..shared.ctx.clone()
    };
    match kinds::of(action.id.kind) {
        Some(kind) => kind.apply(&ctx, action).await,
        None => Err(AwsError::new(
            "apply",
            ErrorKind::Validation,
            format!("{} is not supported by the engine yet", action.id.kind),
        )),
    }
}
