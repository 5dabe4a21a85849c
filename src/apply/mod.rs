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
use crate::kinds::desired::{arn_name, OWNERSHIP_TAGS};
use crate::kinds::function::autoscaling;
use crate::kinds::function::aws::{self as lambda, CodeInput, FunctionInput, TriggerInput};
use crate::kinds::{self, ApplyCtx, Deferred, Prepared};
use crate::model::{Code, EnvValue, ResourceId, ResourceSpec};
use crate::plan::{ActionKind, DesiredResource, FieldValue, ResourceAction};

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
// Layers

pub(crate) async fn run_layer(shared: &ApplyCtx, action: &ResourceAction) -> Result<(), AwsError> {
    let clients = &shared.clients;
    match action.action {
        ActionKind::Delete => lambda::delete_layer(clients, &action.physical_name).await,
        // Layer versions cannot be untagged: retaining a layer leaves it as it is.
        ActionKind::Release => Ok(()),
        _ => {
            let resource = shared
                .prepared
                .stack
                .get(&action.id)
                .ok_or_else(|| unresolved(&action.id, "spec"))?;
            let ResourceSpec::Layer(layer) = &resource.spec else {
                return Ok(());
            };
            let package = shared
                .prepared
                .packages
                .get(&action.id)
                .ok_or_else(|| unresolved(&action.id, "content"))?;
            let description = lambda::layer_description(
                &layer.description,
                &shared.prepared.stack.name,
                &action.id.to_string(),
                &package.sha256_hex,
            );
            let architectures: Vec<String> = layer
                .compatible_architectures
                .iter()
                .map(|a| match a {
                    crate::model::Architecture::Arm64 => "arm64".to_string(),
                    crate::model::Architecture::X86_64 => "x86_64".to_string(),
                })
                .collect();
            let arn = lambda::publish_layer(
                clients,
                &resource.physical_name,
                package.bytes.clone(),
                &description,
                &layer.compatible_runtimes,
                &architectures,
                layer.license_info.as_deref(),
            )
            .await?;
            shared
                .context
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .layer_version_arn
                .insert(action.id.clone(), arn);
            let pruned = crate::kinds::function::versions::prune_layer_versions(
                clients,
                &resource.physical_name,
                &shared.prepared.stack.name,
                &action.id.to_string(),
                shared.prepared.stack.keep_versions as usize,
            )
            .await;
            housekeeping(clients, pruned);
            Ok(())
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Functions

fn function_input(
    shared: &ApplyCtx,
    id: &ResourceId,
    want: &DesiredResource,
) -> Result<FunctionInput, AwsError> {
    let resource = shared
        .prepared
        .stack
        .get(id)
        .ok_or_else(|| unresolved(id, "spec"))?;
    let ResourceSpec::Function(f) = &resource.spec else {
        return Err(unresolved(id, "spec"));
    };
    let props = &want.props;
    let mut environment = HashMap::new();
    for (key, value) in &f.environment {
        let resolved = match value {
            // Literal values come from the spec itself: sensitive ones are only hashed in props.
            EnvValue::Literal(text) => text.clone(),
            EnvValue::Ref { .. } => text(props, &format!("environment.{key}"))
                .ok_or_else(|| unresolved(id, &format!("environment.{key}")))?,
        };
        environment.insert(key.clone(), resolved);
    }
    let layers = match props.get("layers") {
        None => Vec::new(),
        Some(FieldValue::Known(Value::Array(items))) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(_) => return Err(unresolved(id, "layers")),
    };
    let dead_letter = match props.get("deadLetter") {
        None => None,
        Some(FieldValue::Known(Value::String(arn))) => Some(arn.clone()),
        Some(_) => return Err(unresolved(id, "deadLetter")),
    };
    let code = match &f.code {
        Code::Directory(_) => CodeInput::Zip(
            shared
                .prepared
                .packages
                .get(id)
                .map(|p| p.bytes.clone())
                .ok_or_else(|| unresolved(id, "code"))?,
        ),
        Code::S3 {
            bucket,
            key,
            object_version,
        } => CodeInput::S3 {
            bucket: bucket.clone(),
            key: key.clone(),
            version: object_version.clone(),
        },
        Code::Image(uri) => CodeInput::Image(uri.clone()),
    };
    let mut tags = tags_of(props);
    if let Some(source) = text(props, "code.s3") {
        tags.insert(lambda::TAG_CODE_SOURCE.to_string(), source);
    }
    Ok(FunctionInput {
        name: want.physical_name.clone(),
        package_type: text(props, "packageType").unwrap_or_else(|| "Zip".into()),
        handler: text(props, "handler"),
        runtime: text(props, "runtime"),
        role: text(props, "role").unwrap_or_default(),
        memory_size: int(props, "memorySize").unwrap_or(128),
        timeout: int(props, "timeout").unwrap_or(3),
        architecture: text(props, "architecture").unwrap_or_else(|| "x86_64".into()),
        ephemeral_storage: int(props, "ephemeralStorage").unwrap_or(512),
        tracing: text(props, "tracing").unwrap_or_else(|| "PassThrough".into()),
        description: text(props, "description").unwrap_or_default(),
        layers,
        environment,
        dead_letter,
        code,
        tags,
    })
}

/// The triggers the props want, by queue name.
fn wanted_triggers(
    shared: &ApplyCtx,
    id: &ResourceId,
    want: &DesiredResource,
) -> Result<BTreeMap<String, TriggerInput>, AwsError> {
    let mut out = BTreeMap::new();
    let Some(resource) = shared.prepared.stack.get(id) else {
        return Ok(out);
    };
    let ResourceSpec::Function(f) = &resource.spec else {
        return Ok(out);
    };
    let context = shared
        .context
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    for trigger in &f.triggers {
        let arn = match crate::kinds::desired::reference_arn(
            &shared.prepared.stack,
            &context,
            &trigger.queue,
        ) {
            FieldValue::Known(Value::String(arn)) => arn,
            _ => return Err(unresolved(id, "triggers")),
        };
        let base = format!("triggers[{}]", arn_name(&arn));
        out.insert(
            arn_name(&arn).to_string(),
            TriggerInput {
                function: match &f.alias {
                    Some(alias) => format!("{}:{}", want.physical_name, alias.name),
                    None => want.physical_name.clone(),
                },
                queue_arn: arn.clone(),
                batch_size: int(&want.props, &format!("{base}.batchSize")).unwrap_or(10),
                maximum_batching_window: int(&want.props, &format!("{base}.maximumBatchingWindow"))
                    .unwrap_or(0),
                report_batch_item_failures: trigger.report_batch_item_failures,
                maximum_concurrency: trigger.maximum_concurrency.map(|n| n as i32),
                enabled: trigger.enabled,
            },
        );
    }
    Ok(out)
}

async fn delete_function_and_mappings(
    shared: &ApplyCtx,
    id: &ResourceId,
    name: &str,
) -> Result<(), AwsError> {
    if let Some(mappings) = shared.prepared.observed.mappings.get(id) {
        for mapping in mappings.values() {
            lambda::delete_mapping(&shared.clients, &mapping.uuid).await?;
        }
    }
    lambda::delete_function(&shared.clients, name).await
}

pub(crate) async fn run_function(
    shared: &ApplyCtx,
    action: &ResourceAction,
) -> Result<(), AwsError> {
    let clients = &shared.clients;
    let observed = &shared.prepared.observed;
    match action.action {
        ActionKind::Delete => {
            delete_function_and_mappings(shared, &action.id, &action.physical_name).await
        }
        ActionKind::Release => {
            let arn = observed
                .function_arns
                .get(&action.id)
                .cloned()
                .unwrap_or_default();
            lambda::tag(
                clients,
                &arn,
                HashMap::new(),
                OWNERSHIP_TAGS.map(String::from).to_vec(),
            )
            .await
        }
        ActionKind::Create | ActionKind::Replace => {
            if action.action == ActionKind::Replace {
                let old = observed
                    .resources
                    .iter()
                    .find(|o| o.id == action.id)
                    .map(|o| o.physical_name.clone())
                    .unwrap_or_default();
                delete_function_and_mappings(shared, &action.id, &old).await?;
            }
            let want =
                desired_now(shared, &action.id).ok_or_else(|| unresolved(&action.id, "spec"))?;
            let input = function_input(shared, &action.id, &want)?;
            lambda::create_function(clients, &input).await?;
            if let Some(n) = int(&want.props, "reservedConcurrency") {
                lambda::set_reserved_concurrency(clients, &input.name, Some(n)).await?;
            }
            // The alias first: triggers and permissions name it.
            sync_aliases(
                shared,
                &action.id,
                &input.name,
                &want,
                &crate::plan::Props::new(),
                true,
            )
            .await?;
            for trigger in wanted_triggers(shared, &action.id, &want)?.values() {
                lambda::create_mapping(clients, trigger).await?;
            }
            sync_permissions(
                shared,
                &action.id,
                &input.name,
                &want.props,
                &crate::plan::Props::new(),
            )
            .await
        }
        ActionKind::Update | ActionKind::Adopt => {
            let want =
                desired_now(shared, &action.id).ok_or_else(|| unresolved(&action.id, "spec"))?;
            let input = function_input(shared, &action.id, &want)?;
            let changed = |prefix: &str| {
                action
                    .changes
                    .iter()
                    .any(|c| c.field == prefix || c.field.starts_with(&format!("{prefix}.")))
            };
            // The architecture travels with the code (UpdateFunctionCode), the rest with the
            // configuration; Lambda refuses the second while the first is in progress, so each
            // call waits for the function to settle.
            if changed("code") || changed("architecture") {
                lambda::update_code(clients, &input.name, &input.code, &input.architecture).await?;
            }
            let configuration = [
                "handler",
                "runtime",
                "role",
                "memorySize",
                "timeout",
                "ephemeralStorage",
                "tracing",
                "description",
                "layers",
                "environment",
                "deadLetter",
            ];
            if configuration.iter().any(|f| changed(f)) {
                lambda::update_configuration(clients, &input).await?;
            }
            if changed("reservedConcurrency") {
                lambda::set_reserved_concurrency(
                    clients,
                    &input.name,
                    int(&want.props, "reservedConcurrency"),
                )
                .await?;
            }
            let live_props = observed
                .resources
                .iter()
                .find(|o| o.id == action.id)
                .map(|o| o.props.clone())
                .unwrap_or_default();
            // A new or moved alias before the triggers and permissions that name it; an alias
            // that left the spec only after them (see `Deferred`).
            if changed("alias") {
                sync_aliases(shared, &action.id, &input.name, &want, &live_props, false).await?;
            }
            if action
                .changes
                .iter()
                .any(|c| c.field.starts_with("triggers["))
            {
                let wanted = wanted_triggers(shared, &action.id, &want)?;
                let live = observed
                    .mappings
                    .get(&action.id)
                    .cloned()
                    .unwrap_or_default();
                for (queue, mapping) in &live {
                    match wanted.get(queue) {
                        Some(trigger) => {
                            lambda::update_mapping(clients, &mapping.uuid, trigger).await?
                        }
                        None => lambda::delete_mapping(clients, &mapping.uuid).await?,
                    }
                }
                for (queue, trigger) in &wanted {
                    if !live.contains_key(queue) {
                        lambda::create_mapping(clients, trigger).await?;
                    }
                }
            }
            if changed("permissions")
                || action
                    .changes
                    .iter()
                    .any(|c| c.field.starts_with("permissions["))
            {
                sync_permissions(shared, &action.id, &input.name, &want.props, &live_props).await?;
            }
            let (mut add, mut remove) = tag_changes(action);
            // Lambda keeps no record of where S3 code came from: the code-source tag is that
            // record, rewritten with the code (or dropped when the code no longer comes from S3).
            if changed("code") {
                match input.tags.get(lambda::TAG_CODE_SOURCE) {
                    Some(source) => {
                        add.insert(lambda::TAG_CODE_SOURCE.to_string(), source.clone());
                    }
                    None if live_props.contains_key("code.s3") => {
                        remove.push(lambda::TAG_CODE_SOURCE.to_string())
                    }
                    None => {}
                }
            }
            let arn = observed
                .function_arns
                .get(&action.id)
                .cloned()
                .unwrap_or_default();
            lambda::tag(clients, &arn, add, remove).await
        }
    }
}

/// Add the invoke permissions the spec derives and remove slsctl's ones it no longer does.
///
/// A statement moving between the function's policy and its alias's (the function gained or lost
/// its alias) is added where it goes now, and removed from where it was only at the end of the
/// apply, after the rule that invokes it has moved too: no window without permission.
async fn sync_permissions(
    shared: &ApplyCtx,
    id: &ResourceId,
    function: &str,
    want: &crate::plan::Props,
    live: &crate::plan::Props,
) -> Result<(), AwsError> {
    let ours = |props: &crate::plan::Props| -> BTreeMap<String, Value> {
        props
            .iter()
            .filter_map(|(k, v)| {
                let sid = k.strip_prefix("permissions[")?.strip_suffix(']')?;
                match v {
                    FieldValue::Known(value) => Some((sid.to_string(), value.clone())),
                    FieldValue::Unknown(_) => None,
                }
            })
            .collect()
    };
    let (wanted, existing) = (ours(want), ours(live));
    let mut moved = Vec::new();
    for (sid, value) in &existing {
        match wanted.get(sid) {
            Some(new) if new == value => {}
            Some(new) if qualifier_of(new) != qualifier_of(value) => {
                let (function, sid) = (function.to_string(), sid.clone());
                let qualifier = qualifier_of(value).map(str::to_string);
                moved.push(Deferred {
                    id: id.clone(),
                    run: Box::new(move |clients: Clients| {
                        Box::pin(async move {
                            lambda::remove_permission(
                                &clients,
                                &function,
                                &sid,
                                qualifier.as_deref(),
                            )
                            .await
                        })
                    }),
                })
            }
            _ => {
                lambda::remove_permission(&shared.clients, function, sid, qualifier_of(value))
                    .await?
            }
        }
    }
    for (sid, value) in &wanted {
        if existing.get(sid) != Some(value) {
            lambda::add_permission(&shared.clients, function, sid, value).await?;
        }
    }
    shared
        .deferred
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .extend(moved);
    Ok(())
}

/// Old versions that could not be deleted do not fail the action that published a new one:
/// the deletion is housekeeping, said and retried at the next publish.
fn housekeeping(clients: &Clients, pruned: Result<Vec<u64>, AwsError>) {
    if let Err(e) = pruned {
        clients.notify(&format!("old versions were not deleted: {e}"));
    }
}

/// The alias whose policy holds a permission statement (none: the function's own policy).
fn qualifier_of(value: &Value) -> Option<&str> {
    value.get("qualifier").and_then(Value::as_str)
}

/// Bring the function's managed aliases to the spec: publish a version and move the alias when
/// the version digest differs, set or remove provisioned concurrency, delete aliases that left the
/// spec. `live` holds the observed `alias.*` props (empty for a new function).
async fn sync_aliases(
    shared: &ApplyCtx,
    id: &ResourceId,
    function: &str,
    want: &DesiredResource,
    live: &crate::plan::Props,
    created: bool,
) -> Result<(), AwsError> {
    let clients = &shared.clients;
    let alias_names = |props: &crate::plan::Props| -> BTreeSet<String> {
        props
            .keys()
            .filter_map(|k| {
                k.strip_prefix("alias.")?
                    .split_once('.')
                    .map(|(n, _)| n.to_string())
            })
            .collect()
    };
    let wanted = alias_names(&want.props);
    // An alias that left the spec may still be what a rule or an API invokes until their own
    // actions move them to the function: deleted at the end of the apply.
    shared
        .deferred
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .extend(alias_names(live).difference(&wanted).map(|name| {
            let (function, alias) = (function.to_string(), name.clone());
            Deferred {
                id: id.clone(),
                run: Box::new(move |clients: Clients| {
                    Box::pin(async move { lambda::delete_alias(&clients, &function, &alias).await })
                }),
            }
        }));
    for name in &wanted {
        let version_field = format!("alias.{name}.version");
        let digest =
            text(&want.props, &version_field).ok_or_else(|| unresolved(id, &version_field))?;
        let exists = live.contains_key(&version_field);
        if created || live.get(&version_field) != want.props.get(&version_field) {
            // Lambda publishes a new version only when code or configuration changed since the
            // last one; otherwise it returns that one, so this is safe to repeat after a crash.
            let version = lambda::publish_version(clients, function).await?;
            lambda::put_alias(clients, function, name, &version, &digest, exists).await?;
            let keep = shared.prepared.stack.keep_versions as usize;
            housekeeping(
                clients,
                crate::kinds::function::versions::prune_function_versions(clients, function, keep)
                    .await,
            );
        }
        // Auto Scaling first: leaving it deregisters the target, which leaves the provisioned
        // value where it was (AWS does not remove it), so the config is set or removed after.
        sync_autoscaling(shared, id, function, name, want, live).await?;
        let pc_field = format!("alias.{name}.provisionedConcurrency");
        let autoscaled = want
            .props
            .contains_key(&format!("alias.{name}.autoscaling"));
        if live.get(&pc_field) != want.props.get(&pc_field) && !autoscaled {
            lambda::set_provisioned_concurrency(
                clients,
                function,
                name,
                int(&want.props, &pc_field),
            )
            .await?;
        }
    }
    Ok(())
}

/// The alias's Auto Scaling definitions: the scalable target, its scheduled actions and its
/// tracking policy, as the spec has them.
async fn sync_autoscaling(
    shared: &ApplyCtx,
    id: &ResourceId,
    function: &str,
    alias: &str,
    want: &DesiredResource,
    live: &crate::plan::Props,
) -> Result<(), AwsError> {
    let clients = &shared.clients;
    let base = format!("alias.{alias}.");
    let ours = |props: &crate::plan::Props| -> BTreeMap<String, FieldValue> {
        props
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix(&base)?.to_string(), v.clone())))
            .filter(|(k, _)| {
                k == "autoscaling" || k == "targetUtilization" || k.starts_with("schedules[")
            })
            .collect()
    };
    let (wanted, existing) = (ours(&want.props), ours(live));
    if wanted == existing {
        return Ok(());
    }
    let target = autoscaling::resource_id(function, alias);
    if !wanted.contains_key("autoscaling") {
        // AWS removes a target's schedules and policies with it; removing them first as well
        // keeps the result the same wherever deregistration is less thorough (moto).
        for key in existing.keys() {
            if let Some(name) = key
                .strip_prefix("schedules[")
                .and_then(|r| r.strip_suffix(']'))
            {
                autoscaling::delete_schedule(clients, &target, name).await?;
            }
        }
        if existing.contains_key("targetUtilization") {
            autoscaling::delete_tracking(clients, &target).await?;
        }
        if existing.contains_key("autoscaling") {
            autoscaling::deregister(clients, &target).await?;
        }
        return Ok(());
    }
    if !existing.contains_key("autoscaling") {
        let resource = shared.prepared.stack.get(id);
        let pc = resource.and_then(|r| match &r.spec {
            ResourceSpec::Function(f) => f
                .alias
                .as_ref()
                .and_then(|a| a.provisioned_concurrency.clone()),
            _ => None,
        });
        let baseline = pc.as_ref().map_or(0, |p| p.baseline);
        let peak = pc.as_ref().map_or(0, |p| p.registered_max());
        autoscaling::register(clients, &target, baseline as i32, peak as i32).await?;
    }
    for key in existing.keys().filter(|k| !wanted.contains_key(*k)) {
        if let Some(name) = key
            .strip_prefix("schedules[")
            .and_then(|r| r.strip_suffix(']'))
        {
            autoscaling::delete_schedule(clients, &target, name).await?;
        }
    }
    for (key, value) in &wanted {
        if let (Some(name), FieldValue::Known(value)) = (
            key.strip_prefix("schedules[")
                .and_then(|r| r.strip_suffix(']')),
            value,
        ) {
            if existing.get(key) != wanted.get(key) {
                autoscaling::put_schedule(clients, &target, name, value).await?;
            }
        }
    }
    match (
        wanted.get("targetUtilization"),
        existing.get("targetUtilization"),
    ) {
        (Some(FieldValue::Known(Value::Number(n))), current)
            if current != wanted.get("targetUtilization") =>
        {
            autoscaling::put_tracking(clients, &target, n.as_f64().unwrap_or(0.7)).await?;
        }
        (None, Some(_)) => autoscaling::delete_tracking(clients, &target).await?,
        _ => {}
    }
    Ok(())
}
