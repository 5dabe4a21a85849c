//! The executor: runs a plan's actions against AWS in dependency order, with bounded
//! parallelism, and reports every action's outcome (partial failure is a report, not a bare
//! error: independent actions carry on after one fails; dependents of a failed action are
//! skipped and say why).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;
use tokio::task::JoinSet;

use crate::aws::{AwsError, Clients, ErrorKind};
use crate::kinds::context::{desired_now, int, tag_changes, tags_of, text, unresolved};
use crate::kinds::desired::{OWNERSHIP_TAGS, TAG_RESOURCE, TAG_STACK};
use crate::kinds::function::aws as lambda;
use crate::kinds::function::permissions::qualifier_of;
use crate::kinds::{self, ApplyCtx, Prepared};
use crate::kinds::{
    api::aws as apigateway, queue::aws as sqs, rule::aws as events, table::aws as dynamodb,
};
use crate::model::{DeletionPolicy, EnvValue, ResourceId, ResourceSpec};
use crate::plan::{ActionKind, FieldValue, ResourceAction};

/// How many actions run at once. Lambda's shared 15 requests/s is the real bound, enforced by the
/// limiters; this only keeps the number of in-flight uploads and waiters reasonable.
pub const MAX_PARALLEL: usize = 4;

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

/// Record an action that did not start (the fence closed), so its dependents are skipped too.
fn skip(
    progress: &dyn Progress,
    report: &mut ApplyReport,
    failed: &mut BTreeSet<ResourceId>,
    action: &ResourceAction,
    why: String,
) {
    failed.insert(action.id.clone());
    let entry = ActionReport {
        id: action.id.clone(),
        action: action.action,
        outcome: Outcome::Skipped(why),
        seconds: 0.0,
    };
    progress.finished(&entry);
    report.actions.push(entry);
}

/// Execute the plan. Deletions and releases run first, one at a time in the plan's order
/// (dependents before what they use); creates and updates then run as soon as what they depend
/// on is done, up to [`MAX_PARALLEL`] at once.
pub async fn apply(
    prepared: Arc<Prepared>,
    clients: &Clients,
    progress: Arc<dyn Progress>,
) -> ApplyReport {
    apply_with_parallelism(prepared, clients, progress, MAX_PARALLEL).await
}

/// [`apply`], with up to `parallelism` creates and updates at once (at least one).
pub async fn apply_with_parallelism(
    prepared: Arc<Prepared>,
    clients: &Clients,
    progress: Arc<dyn Progress>,
    parallelism: usize,
) -> ApplyReport {
    let parallelism = parallelism.max(1);
    let secrets = prepared
        .stack
        .resources
        .iter()
        .filter_map(|r| match &r.spec {
            ResourceSpec::Function(f) => Some(
                f.sensitive_environment
                    .iter()
                    .filter_map(|k| match f.environment.get(k) {
                        Some(EnvValue::Literal(v)) => Some(v.clone()),
                        _ => None,
                    })
                    .collect::<Vec<_>>(),
            ),
            _ => None,
        })
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
    let mut report = ApplyReport::default();
    let mut failed: BTreeSet<ResourceId> = BTreeSet::new();

    let (backward, forward): (Vec<&ResourceAction>, Vec<&ResourceAction>) = prepared
        .plan
        .actions
        .iter()
        .partition(|a| matches!(a.action, ActionKind::Delete | ActionKind::Release));
    for action in backward {
        if let Err(why) = progress.proceed() {
            skip(&*progress, &mut report, &mut failed, action, why);
            continue;
        }
        // What still points at it was to be deleted first; if that failed, it still does.
        if let Some(referrer) = failed_referrer(&prepared.observed.resources, action, &failed) {
            let why = format!("{referrer} still points at it: its deletion did not happen");
            skip(&*progress, &mut report, &mut failed, action, why);
            continue;
        }
        progress.started(action);
        let started = Instant::now();
        let outcome = match run(&shared, action).await {
            Ok(()) => Outcome::Done,
            Err(e) => {
                failed.insert(action.id.clone());
                Outcome::Failed(
                    e.redact(&shared.ctx.secrets)
                        .for_people(&shared.ctx.clients.region),
                )
            }
        };
        let entry = ActionReport {
            id: action.id.clone(),
            action: action.action,
            outcome,
            seconds: started.elapsed().as_secs_f64(),
        };
        progress.finished(&entry);
        report.actions.push(entry);
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
    loop {
        // Skip what depends on a failure; start what is ready.
        let mut index = 0;
        while index < pending.len() {
            let action = pending[index];
            let deps = &dependencies[&action.id];
            if let Some(bad) = deps.iter().find(|d| failed.contains(*d)) {
                let entry = ActionReport {
                    id: action.id.clone(),
                    action: action.action,
                    outcome: Outcome::Skipped(format!("depends on {bad}, which failed")),
                    seconds: 0.0,
                };
                progress.finished(&entry);
                report.actions.push(entry);
                failed.insert(action.id.clone());
                pending.remove(index);
                continue;
            }
            if running.len() < parallelism && deps.iter().all(|d| finished.contains(d)) {
                let action = pending.remove(index).clone();
                if let Err(why) = progress.proceed() {
                    skip(&*progress, &mut report, &mut failed, &action, why);
                    continue;
                }
                progress.started(&action);
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
                let why = crate::render::scrub(&panic_message(error), &shared.ctx.secrets);
                failed.insert(action.id.clone());
                let entry = ActionReport {
                    id: action.id.clone(),
                    action: action.action,
                    outcome: Outcome::Failed(why),
                    seconds: started.elapsed().as_secs_f64(),
                };
                progress.finished(&entry);
                report.actions.push(entry);
                continue;
            }
        };
        let outcome = match result {
            Ok(()) => {
                finished.insert(action.id.clone());
                Outcome::Done
            }
            Err(e) => {
                failed.insert(action.id.clone());
                Outcome::Failed(
                    e.redact(&shared.ctx.secrets)
                        .for_people(&shared.ctx.clients.region),
                )
            }
        };
        let entry = ActionReport {
            id: action.id.clone(),
            action: action.action,
            outcome,
            seconds: elapsed.as_secs_f64(),
        };
        progress.finished(&entry);
        report.actions.push(entry);
    }
    let deferred = std::mem::take(
        &mut *shared
            .ctx
            .deferred
            .lock()
            .unwrap_or_else(|e| e.into_inner()),
    );
    if report.failed() == 0 && report.skipped() == 0 {
        for cleanup in deferred {
            let (id, result) = (cleanup.id, (cleanup.run)(clients.clone()).await);
            if let Err(e) = result {
                let entry = ActionReport {
                    id,
                    action: ActionKind::Update,
                    outcome: Outcome::Failed(format!("clean-up after the apply: {e}")),
                    seconds: 0.0,
                };
                progress.finished(&entry);
                report.actions.push(entry);
            }
        }
    }
    report
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

// ---------------------------------------------------------------------------------------------
// Queues

pub(crate) async fn run_queue(shared: &ApplyCtx, action: &ResourceAction) -> Result<(), AwsError> {
    let clients = &shared.clients;
    let observed = &shared.prepared.observed;
    let live_url = observed.queue_urls.get(&action.id).cloned();
    match action.action {
        ActionKind::Delete => {
            let url = live_url.ok_or_else(|| {
                AwsError::new("DeleteQueue", ErrorKind::NotFound, "queue URL unknown")
            })?;
            // Re-check at the last moment: messages may have arrived since the plan.
            // The same policy the plan used: the spec's, else the one the queue carries.
            let policy = shared
                .prepared
                .stack
                .get(&action.id)
                .map(|r| r.deletion_policy)
                .or_else(|| {
                    observed
                        .resources
                        .iter()
                        .find(|o| o.id == action.id)
                        .and_then(|o| o.deletion_policy)
                })
                .unwrap_or(DeletionPolicy::DeleteIfEmpty);
            if policy == DeletionPolicy::DeleteIfEmpty {
                if let Some(live) = sqs::get_queue(clients, &url, Some(BTreeMap::new())).await? {
                    if live.messages > 0 {
                        return Err(AwsError::new(
                            "DeleteQueue",
                            ErrorKind::Conflict,
                            format!("refused: the queue now holds {} messages", live.messages),
                        ));
                    }
                }
            }
            sqs::delete_queue(clients, &url).await
        }
        ActionKind::Release => {
            let url = live_url.ok_or_else(|| {
                AwsError::new("UntagQueue", ErrorKind::NotFound, "queue URL unknown")
            })?;
            sqs::tag(
                clients,
                &url,
                HashMap::new(),
                OWNERSHIP_TAGS.map(String::from).to_vec(),
            )
            .await
        }
        ActionKind::Create | ActionKind::Replace => {
            if action.action == ActionKind::Replace {
                if let Some(url) = &live_url {
                    sqs::delete_queue(clients, url).await?;
                }
            }
            let want =
                desired_now(shared, &action.id).ok_or_else(|| unresolved(&action.id, "spec"))?;
            let fifo = matches!(
                want.props.get("fifo"),
                Some(FieldValue::Known(Value::Bool(true)))
            );
            if want.props.values().any(FieldValue::is_unknown) {
                return Err(unresolved(&action.id, "deadLetter.queue"));
            }
            let mut attributes = sqs::attributes_from_props(&want.props);
            let policy = sqs::merged_policy(None, &want.props);
            if !policy.is_empty() {
                attributes.insert(aws_sdk_sqs::types::QueueAttributeName::Policy, policy);
            }
            sqs::create_queue(
                clients,
                &want.physical_name,
                fifo,
                attributes,
                tags_of(&want.props),
            )
            .await
            .map(|_| ())
        }
        ActionKind::Update | ActionKind::Adopt => {
            let url = live_url.ok_or_else(|| {
                AwsError::new(
                    "SetQueueAttributes",
                    ErrorKind::NotFound,
                    "queue URL unknown",
                )
            })?;
            let want =
                desired_now(shared, &action.id).ok_or_else(|| unresolved(&action.id, "spec"))?;
            let attributes_changed = action
                .changes
                .iter()
                .any(|c| !c.field.starts_with("tags.") && !c.field.starts_with("permissions["));
            let permissions_changed = action
                .changes
                .iter()
                .any(|c| c.field.starts_with("permissions["));
            let has_permissions = want.props.keys().any(|k| k.starts_with("permissions["));
            let mut attributes = if attributes_changed {
                sqs::attributes_from_props(&want.props)
            } else {
                HashMap::new()
            };
            // The policy goes in the same write as the other attributes: one call, and moto
            // (unlike SQS) forgets a policy that a SetQueueAttributes call leaves out.
            if permissions_changed || (attributes_changed && has_permissions) {
                // Merge: statements slsctl does not own stay as they are.
                let live = sqs::get_policy(clients, &url).await?;
                let policy = sqs::merged_policy(live.as_deref(), &want.props);
                attributes.insert(aws_sdk_sqs::types::QueueAttributeName::Policy, policy);
            }
            if !attributes.is_empty() {
                sqs::set_attributes(clients, &url, attributes).await?;
            }
            let (add, remove) = tag_changes(action);
            sqs::tag(clients, &url, add, remove).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Tables

pub(crate) async fn run_table(shared: &ApplyCtx, action: &ResourceAction) -> Result<(), AwsError> {
    let clients = &shared.clients;
    let observed = shared
        .prepared
        .observed
        .resources
        .iter()
        .find(|o| o.id == action.id);
    let arn = observed.map(|o| o.arn.clone()).unwrap_or_default();
    match action.action {
        ActionKind::Delete => dynamodb::delete(clients, &action.physical_name).await,
        ActionKind::Release => {
            dynamodb::tag(
                clients,
                &arn,
                HashMap::new(),
                OWNERSHIP_TAGS.map(String::from).to_vec(),
            )
            .await
        }
        ActionKind::Create | ActionKind::Replace => {
            if action.action == ActionKind::Replace {
                if let Some(old) = observed {
                    dynamodb::delete(clients, &old.physical_name).await?;
                    dynamodb::wait_deleted(clients, &old.physical_name).await?;
                }
            }
            let want =
                desired_now(shared, &action.id).ok_or_else(|| unresolved(&action.id, "spec"))?;
            let table = table_model(shared, &action.id)?;
            dynamodb::create(clients, &want.physical_name, table, &tags_of(&want.props)).await
        }
        ActionKind::Update | ActionKind::Adopt => {
            let table = table_model(shared, &action.id)?;
            let changed: BTreeSet<String> = action
                .changes
                .iter()
                .filter(|c| !c.field.starts_with("tags."))
                .map(|c| c.field.clone())
                .collect();
            let live = observed.map(|o| o.props.clone()).unwrap_or_default();
            dynamodb::update(clients, &action.physical_name, table, &changed, &live).await?;
            let (add, remove) = tag_changes(action);
            dynamodb::tag(clients, &arn, add, remove).await
        }
    }
}

fn table_model<'a>(
    shared: &'a ApplyCtx,
    id: &ResourceId,
) -> Result<&'a crate::model::Table, AwsError> {
    match shared.prepared.stack.get(id).map(|r| &r.spec) {
        Some(ResourceSpec::Table(table)) => Ok(table),
        _ => Err(unresolved(id, "spec")),
    }
}

// ---------------------------------------------------------------------------------------------
// EventBridge

fn archive_of(props: &crate::plan::Props) -> Option<(Value, i32)> {
    let days = int(props, "archive.retentionDays")?;
    let pattern = match props.get("archive.pattern") {
        Some(FieldValue::Known(pattern)) => pattern.clone(),
        _ => Value::Null,
    };
    Some((pattern, days))
}

pub(crate) async fn run_bus(shared: &ApplyCtx, action: &ResourceAction) -> Result<(), AwsError> {
    let clients = &shared.clients;
    let observed = shared
        .prepared
        .observed
        .resources
        .iter()
        .find(|o| o.id == action.id);
    match action.action {
        ActionKind::Delete => events::delete_bus(clients, &action.physical_name).await,
        ActionKind::Release => {
            let arn = observed.map(|o| o.arn.clone()).unwrap_or_default();
            events::tag(
                clients,
                &arn,
                HashMap::new(),
                OWNERSHIP_TAGS.map(String::from).to_vec(),
            )
            .await
        }
        ActionKind::Create | ActionKind::Replace => {
            let want =
                desired_now(shared, &action.id).ok_or_else(|| unresolved(&action.id, "spec"))?;
            let description = text(&want.props, "description").unwrap_or_default();
            let arn = events::create_bus(
                clients,
                &want.physical_name,
                &description,
                &tags_of(&want.props),
            )
            .await?;
            let archive = archive_of(&want.props);
            events::put_archive(
                clients,
                &want.physical_name,
                &arn,
                archive.as_ref().map(|(p, d)| (p, *d)),
                false,
            )
            .await
        }
        ActionKind::Update | ActionKind::Adopt => {
            let want =
                desired_now(shared, &action.id).ok_or_else(|| unresolved(&action.id, "spec"))?;
            let arn = observed.map(|o| o.arn.clone()).unwrap_or_default();
            let changed = |prefix: &str| action.changes.iter().any(|c| c.field.starts_with(prefix));
            if changed("description") {
                events::update_bus(
                    clients,
                    &action.physical_name,
                    &text(&want.props, "description").unwrap_or_default(),
                )
                .await?;
            }
            if changed("archive.") {
                let exists =
                    observed.is_some_and(|o| o.props.contains_key("archive.retentionDays"));
                let archive = archive_of(&want.props);
                events::put_archive(
                    clients,
                    &action.physical_name,
                    &arn,
                    archive.as_ref().map(|(p, d)| (p, *d)),
                    exists,
                )
                .await?;
            }
            let (add, remove) = tag_changes(action);
            events::tag(clients, &arn, add, remove).await
        }
    }
}

pub(crate) async fn run_rule(shared: &ApplyCtx, action: &ResourceAction) -> Result<(), AwsError> {
    let clients = &shared.clients;
    let observed = shared
        .prepared
        .observed
        .resources
        .iter()
        .find(|o| o.id == action.id);
    let live_targets: Vec<String> = observed
        .map(|o| {
            o.props
                .keys()
                .filter_map(|k| Some(k.strip_prefix("targets[")?.strip_suffix(']')?.to_string()))
                .collect()
        })
        .unwrap_or_default();
    let live_bus = observed
        .and_then(|o| text(&o.props, "bus"))
        .unwrap_or_else(|| "default".into());
    match action.action {
        ActionKind::Delete => {
            events::delete_rule(clients, &action.physical_name, &live_bus, live_targets).await
        }
        ActionKind::Release => {
            let arn = observed.map(|o| o.arn.clone()).unwrap_or_default();
            events::tag(
                clients,
                &arn,
                HashMap::new(),
                OWNERSHIP_TAGS.map(String::from).to_vec(),
            )
            .await
        }
        _ => {
            if action.action == ActionKind::Replace {
                events::delete_rule(
                    clients,
                    &action.physical_name,
                    &live_bus,
                    live_targets.clone(),
                )
                .await?;
            }
            let want =
                desired_now(shared, &action.id).ok_or_else(|| unresolved(&action.id, "spec"))?;
            let bus = text(&want.props, "bus").unwrap_or_else(|| "default".into());
            let rule = events::RuleInput {
                name: want.physical_name.clone(),
                bus: bus.clone(),
                pattern: match want.props.get("pattern") {
                    Some(FieldValue::Known(p)) => Some(p.clone()),
                    _ => None,
                },
                schedule: text(&want.props, "schedule"),
                enabled: text(&want.props, "state").as_deref() != Some("DISABLED"),
                description: text(&want.props, "description").unwrap_or_default(),
                tags: tags_of(&want.props),
            };
            let arn = events::put_rule(clients, &rule).await?;
            let mut targets = Vec::new();
            let mut wanted_ids = BTreeSet::new();
            for (field, value) in &want.props {
                let Some(id) = field
                    .strip_prefix("targets[")
                    .and_then(|r| r.strip_suffix(']'))
                else {
                    continue;
                };
                let FieldValue::Known(value) = value else {
                    return Err(unresolved(&action.id, field));
                };
                wanted_ids.insert(id.to_string());
                targets.push(events::target_from_value(id, value)?);
            }
            let stale: Vec<String> = if action.action == ActionKind::Replace {
                Vec::new()
            } else {
                live_targets
                    .into_iter()
                    .filter(|t| !wanted_ids.contains(t))
                    .collect()
            };
            events::remove_targets(clients, &want.physical_name, &bus, stale).await?;
            events::put_targets(clients, &want.physical_name, &bus, targets).await?;
            // PutRule sets tags only when it creates the rule.
            if matches!(action.action, ActionKind::Update | ActionKind::Adopt) {
                let (add, remove) = tag_changes(action);
                events::tag(clients, &arn, add, remove).await?;
            }
            Ok(())
        }
    }
}

// ---------------------------------------------------------------------------------------------
// API Gateway

/// `permissions[<function>/<sid>]` props, by (function, sid).
fn route_permissions(props: &crate::plan::Props) -> BTreeMap<(String, String), Value> {
    props
        .iter()
        .filter_map(|(k, v)| {
            let (function, sid) = k
                .strip_prefix("permissions[")?
                .strip_suffix(']')?
                .split_once('/')?;
            match v {
                FieldValue::Known(value) => {
                    Some(((function.to_string(), sid.to_string()), value.clone()))
                }
                FieldValue::Unknown(_) => None,
            }
        })
        .collect()
}

pub(crate) async fn run_api(shared: &ApplyCtx, action: &ResourceAction) -> Result<(), AwsError> {
    let clients = &shared.clients;
    let observed = &shared.prepared.observed;
    let live = observed
        .resources
        .iter()
        .find(|o| o.id == action.id)
        .map(|o| o.props.clone())
        .unwrap_or_default();
    let live_id = observed.api_ids.get(&action.id).cloned();
    let region = shared.prepared.context.region.clone();
    match action.action {
        ActionKind::Delete => {
            for ((function, sid), value) in route_permissions(&live) {
                lambda::remove_permission(clients, &function, &sid, qualifier_of(&value)).await?;
            }
            if let Some(FieldValue::Known(domain)) = live.get("domain") {
                remove_domain(clients, domain).await?;
            }
            match live_id {
                Some(id) => apigateway::delete(clients, &id).await,
                None => Ok(()),
            }
        }
        ActionKind::Release => match live_id {
            Some(id) => {
                apigateway::tag(
                    clients,
                    &shared.prepared.context.partition,
                    &region,
                    &id,
                    HashMap::new(),
                    OWNERSHIP_TAGS.map(String::from).to_vec(),
                )
                .await
            }
            None => Ok(()),
        },
        _ => {
            let fresh = matches!(action.action, ActionKind::Create | ActionKind::Replace);
            if action.action == ActionKind::Replace {
                if let Some(id) = &live_id {
                    apigateway::delete(clients, id).await?;
                }
            }
            let want =
                desired_now(shared, &action.id).ok_or_else(|| unresolved(&action.id, "spec"))?;
            let id = if fresh {
                let id = apigateway::create(
                    clients,
                    &want.physical_name,
                    &text(&want.props, "description").unwrap_or_default(),
                    &text(&want.props, "endpointType").unwrap_or_else(|| "REGIONAL".into()),
                    tags_of(&want.props),
                )
                .await?;
                shared
                    .context
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .api_ids
                    .insert(action.id.clone(), id.clone());
                id
            } else {
                live_id
                    .clone()
                    .ok_or_else(|| unresolved(&action.id, "api id"))?
            };
            // With the id known, the permissions resolve.
            let want =
                desired_now(shared, &action.id).ok_or_else(|| unresolved(&action.id, "spec"))?;
            let live = if fresh {
                crate::plan::Props::new()
            } else {
                live
            };
            if !fresh && live.get("description") != want.props.get("description") {
                apigateway::set_description(
                    clients,
                    &id,
                    &text(&want.props, "description").unwrap_or_default(),
                )
                .await?;
            }
            // Routes: resources (parents first), methods and their proxy integrations.
            let routes: Vec<(String, String, String)> = want
                .props
                .iter()
                .filter_map(|(k, v)| {
                    let (method, path) = k
                        .strip_prefix("routes[")?
                        .strip_suffix(']')?
                        .split_once(' ')?;
                    match v {
                        FieldValue::Known(Value::String(arn)) => {
                            Some((method.to_string(), path.to_string(), arn.clone()))
                        }
                        _ => None,
                    }
                })
                .collect();
            let paths: Vec<String> = routes.iter().map(|(_, p, _)| p.clone()).collect();
            let existing = if fresh {
                BTreeMap::new()
            } else {
                observed
                    .api_resources
                    .get(&action.id)
                    .cloned()
                    .unwrap_or_default()
            };
            // Invoke permissions, one per function this API routes to, granted before any
            // integration names them; the ones no longer wanted go once the new deployment serves.
            let (wanted, granted) = (route_permissions(&want.props), route_permissions(&live));
            let mut stale = Vec::new();
            for (key, value) in &granted {
                match wanted.get(key) {
                    Some(new) if new == value => {}
                    // Same policy, other source (a replaced API): the statement id is reused.
                    Some(new) if qualifier_of(new) == qualifier_of(value) => {
                        lambda::remove_permission(clients, &key.0, &key.1, qualifier_of(value))
                            .await?
                    }
                    _ => stale.push((key.clone(), value.clone())),
                }
            }
            for (key, value) in &wanted {
                if granted.get(key) != Some(value) {
                    lambda::add_permission(clients, &key.0, &key.1, value).await?;
                }
            }
            let resources = apigateway::ensure_resources(clients, &id, &existing, &paths).await?;
            for (method, path, function) in &routes {
                let key = format!("routes[{method} {path}]");
                if live.get(&key) != want.props.get(&key) {
                    let resource = resources.get(path).cloned().unwrap_or_default();
                    let uri = apigateway::integration_uri(&region, function);
                    apigateway::put_route(
                        clients,
                        &id,
                        &resource,
                        method,
                        &uri,
                        live.contains_key(&key),
                    )
                    .await?;
                }
            }
            for key in live
                .keys()
                .filter(|k| k.starts_with("routes[") && !want.props.contains_key(*k))
            {
                if let Some((method, path)) = key
                    .trim_start_matches("routes[")
                    .trim_end_matches(']')
                    .split_once(' ')
                {
                    if let Some(resource) = resources.get(path) {
                        apigateway::delete_route(clients, &id, resource, method).await?;
                    }
                }
            }
            // A deployment only when the routes changed, then the stage's settings.
            let stage = text(&want.props, "stage.name").unwrap_or_else(|| "prod".into());
            let deployed = live.get("stage.deployment") != want.props.get("stage.deployment")
                || live.get("stage.name") != want.props.get("stage.name");
            if deployed {
                let digest = text(&want.props, "stage.deployment")
                    .ok_or_else(|| unresolved(&action.id, "stage.deployment"))?;
                apigateway::deploy(clients, &id, &stage, &digest).await?;
            }
            let settings_changed = ["stage.tracing", "stage.throttling"]
                .iter()
                .any(|f| live.get(*f) != want.props.get(*f));
            if settings_changed || deployed {
                let throttling = match want.props.get("stage.throttling") {
                    Some(FieldValue::Known(t)) => Some(t.clone()),
                    _ => None,
                };
                let tracing = matches!(
                    want.props.get("stage.tracing"),
                    Some(FieldValue::Known(Value::Bool(true)))
                );
                // A new deployment keeps its stage's method settings; a stage that is new (or
                // renamed) has none.
                let throttled_now = live.contains_key("stage.throttling")
                    && live.get("stage.name") == want.props.get("stage.name");
                apigateway::update_stage(
                    clients,
                    &id,
                    &stage,
                    throttling.as_ref(),
                    throttled_now,
                    tracing,
                )
                .await?;
            }
            for ((function, sid), value) in stale {
                lambda::remove_permission(clients, &function, &sid, qualifier_of(&value)).await?;
            }
            if live.get("domain") != want.props.get("domain") {
                let endpoint =
                    text(&want.props, "endpointType").unwrap_or_else(|| "REGIONAL".into());
                sync_domain(
                    clients,
                    &id,
                    &stage,
                    &endpoint,
                    live.get("domain"),
                    want.props.get("domain"),
                    tags_of(&want.props),
                )
                .await?;
            }
            if !fresh {
                let (add, remove) = tag_changes(action);
                apigateway::tag(
                    clients,
                    &shared.prepared.context.partition,
                    &region,
                    &id,
                    add,
                    remove,
                )
                .await?;
            }
            Ok(())
        }
    }
}

fn field<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// Remove a domain slsctl owns (its mapping first); a foreign one is refused.
async fn remove_domain(clients: &Clients, domain: &Value) -> Result<(), AwsError> {
    if domain.get("foreign").is_some() {
        return Err(AwsError::new(
            "custom domain",
            ErrorKind::Validation,
            format!(
                "domain {} does not belong to this stack; it is left as it is",
                field(domain, "name")
            ),
        ));
    }
    if let Some(base) = domain.get("basePath").and_then(Value::as_str) {
        apigateway::delete_mapping(clients, field(domain, "name"), base).await?;
    }
    apigateway::delete_domain(clients, field(domain, "name")).await
}

/// Bring the API's custom domain and base-path mapping to the spec.
async fn sync_domain(
    clients: &Clients,
    api_id: &str,
    stage: &str,
    endpoint: &str,
    live: Option<&FieldValue>,
    want: Option<&FieldValue>,
    tags: HashMap<String, String>,
) -> Result<(), AwsError> {
    let live = match live {
        Some(FieldValue::Known(v)) => Some(v),
        _ => None,
    };
    let want = match want {
        Some(FieldValue::Known(v)) => Some(v),
        _ => None,
    };
    if let Some(live) = live {
        if live.get("foreign").is_some() {
            return remove_domain(clients, live).await;
        }
        let renamed = want.is_none_or(|w| field(w, "name") != field(live, "name"));
        if renamed {
            remove_domain(clients, live).await?;
        }
    }
    let Some(want) = want else { return Ok(()) };
    let name = field(want, "name");
    let existing = live.filter(|l| field(l, "name") == name);
    match existing {
        None => {
            // Never create over a domain someone else owns (some endpoints would overwrite it).
            if let Some(found) = apigateway::domain_tags(clients, name).await? {
                if found.get(TAG_STACK) != tags.get(TAG_STACK)
                    || found.get(TAG_RESOURCE) != tags.get(TAG_RESOURCE)
                {
                    return Err(AwsError::new(
                        "custom domain",
                        ErrorKind::Validation,
                        format!("domain {name} does not belong to this stack; it is left as it is"),
                    ));
                }
            }
            apigateway::create_domain(clients, name, field(want, "certificateArn"), endpoint, tags)
                .await?;
            apigateway::create_mapping(clients, name, api_id, stage, field(want, "basePath")).await
        }
        Some(live) => {
            if field(live, "certificateArn") != field(want, "certificateArn") {
                apigateway::set_domain_certificate(
                    clients,
                    name,
                    field(want, "certificateArn"),
                    endpoint,
                )
                .await?;
            }
            if live.get("basePath") != want.get("basePath") {
                if let Some(old) = live.get("basePath").and_then(Value::as_str) {
                    apigateway::delete_mapping(clients, name, old).await?;
                }
                apigateway::create_mapping(clients, name, api_id, stage, field(want, "basePath"))
                    .await?;
            }
            Ok(())
        }
    }
}
