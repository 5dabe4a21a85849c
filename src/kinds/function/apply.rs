//! Apply of a Function: create, update, replace, release or delete it with its triggers,
//! permissions and aliases.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::aliases::sync_aliases;
use super::aws::{self as lambda, CodeInput, FunctionInput};
use super::mappings::{create_mapping, delete_mapping, update_mapping, TriggerInput};
use super::permissions::sync_permissions;
use crate::aws::AwsError;
use crate::kinds::context::{int, observed_of, tags_of, text, unresolved, wanted_now, TagChange};
use crate::kinds::desired::arn_name;
use crate::kinds::ApplyCtx;
use crate::model::{Code, EnvValue, ResourceId, ResourceSpec};
use crate::plan::{ActionKind, DesiredResource, FieldValue, ResourceAction};

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
        log_format: text(props, "logging.format").unwrap_or_else(|| "Text".into()),
        application_log_level: text(props, "logging.applicationLogLevel"),
        system_log_level: text(props, "logging.systemLogLevel"),
        log_group: text(props, "logging.logGroup")
            .ok_or_else(|| unresolved(id, "logging.logGroup"))?,
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
    let context = shared.context_now();
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
            delete_mapping(&shared.clients, &mapping.uuid).await?;
        }
    }
    lambda::delete_function(&shared.clients, name).await
}

pub(crate) async fn run(shared: &ApplyCtx, action: &ResourceAction) -> Result<(), AwsError> {
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
            lambda::tag(clients, &arn, TagChange::release()).await
        }
        ActionKind::Create | ActionKind::Replace => {
            if action.action == ActionKind::Replace {
                let old = observed_of(shared, &action.id)
                    .map(|o| o.physical_name.clone())
                    .unwrap_or_default();
                delete_function_and_mappings(shared, &action.id, &old).await?;
            }
            let want = wanted_now(shared, &action.id)?;
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
                create_mapping(clients, trigger).await?;
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
            let want = wanted_now(shared, &action.id)?;
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
                "logging",
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
            let live_props = observed_of(shared, &action.id)
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
                        Some(trigger) => update_mapping(clients, &mapping.uuid, trigger).await?,
                        None => delete_mapping(clients, &mapping.uuid).await?,
                    }
                }
                for (queue, trigger) in &wanted {
                    if !live.contains_key(queue) {
                        create_mapping(clients, trigger).await?;
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
            let mut tags = TagChange::of(action);
            // Lambda keeps no record of where S3 code came from: the code-source tag is that
            // record, rewritten with the code (or dropped when the code no longer comes from S3).
            if changed("code") {
                match input.tags.get(lambda::TAG_CODE_SOURCE) {
                    Some(source) => {
                        tags.add
                            .insert(lambda::TAG_CODE_SOURCE.to_string(), source.clone());
                    }
                    None if live_props.contains_key("code.s3") => {
                        tags.remove.push(lambda::TAG_CODE_SOURCE.to_string())
                    }
                    None => {}
                }
            }
            let arn = observed
                .function_arns
                .get(&action.id)
                .cloned()
                .unwrap_or_default();
            lambda::tag(clients, &arn, tags).await
        }
    }
}
