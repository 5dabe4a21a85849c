//! A function's event source mappings (its queue triggers): listing, reading back as props,
//! creating at most once, updating and deleting, waiting out their transitions.

use std::time::Duration;

use aws_sdk_lambda::types::{EventSourceMappingConfiguration, FunctionResponseType, ScalingConfig};
use serde_json::Value;

use super::aws::{iam_not_propagated, retry_after_conflict, wait_updated, IAM_PROPAGATION_TIMEOUT};
use crate::aws::error::{gone_is_done, AwsError, Classified, ErrorKind};
use crate::aws::{all_items, Clients};
use crate::kinds::desired::arn_name;
use crate::plan::{Props, SetProp};

/// One event source mapping.
#[derive(Clone, Debug)]
pub struct LiveMapping {
    pub uuid: String,
    pub function_arn: String,
    pub source_arn: String,
}

/// Every event source mapping of the account and region, in pages of 100.
pub async fn list_mappings(
    clients: &Clients,
) -> Result<Vec<(LiveMapping, EventSourceMappingConfiguration)>, AwsError> {
    let mappings = all_items!(clients.lambda.list_event_source_mappings().max_items(100))?;
    Ok(mappings
        .into_iter()
        .filter_map(|mapping| {
            let live = LiveMapping {
                uuid: mapping.uuid()?.to_string(),
                function_arn: mapping.function_arn()?.to_string(),
                source_arn: mapping.event_source_arn()?.to_string(),
            };
            Some((live, mapping))
        })
        .collect())
}

/// The props of one trigger, as `kinds::function::props` writes them.
pub fn mapping_props(mapping: &EventSourceMappingConfiguration, props: &mut Props) {
    let Some(source) = mapping.event_source_arn() else {
        return;
    };
    let base = format!("triggers[{}]", arn_name(source));
    props.set(
        format!("{base}.batchSize"),
        mapping.batch_size().unwrap_or(10),
    );
    props.set(
        format!("{base}.maximumBatchingWindow"),
        mapping.maximum_batching_window_in_seconds().unwrap_or(0),
    );
    props.set(
        format!("{base}.reportBatchItemFailures"),
        mapping
            .function_response_types()
            .contains(&FunctionResponseType::ReportBatchItemFailures),
    );
    props.set(
        format!("{base}.maximumConcurrency"),
        mapping
            .scaling_config()
            .and_then(|s| s.maximum_concurrency())
            .map_or(Value::Null, Value::from),
    );
    let state = mapping.state().unwrap_or("Enabled");
    props.set(
        format!("{base}.enabled"),
        !matches!(state, "Disabled" | "Disabling"),
    );
    let alias = mapping
        .function_arn()
        .and_then(|arn| crate::kinds::desired::function_of_arn(arn).1);
    props.set(
        format!("{base}.alias"),
        alias.map_or(Value::Null, Value::from),
    );
}

/// Settings of one trigger, resolved.
#[derive(Clone, Debug)]
pub struct TriggerInput {
    /// What the mapping invokes: the function's name, or `NAME:ALIAS` for an aliased function.
    pub function: String,
    pub queue_arn: String,
    pub batch_size: i32,
    pub maximum_batching_window: i32,
    pub report_batch_item_failures: bool,
    pub maximum_concurrency: Option<i32>,
    pub enabled: bool,
}

/// Create a trigger at most once (see `create_at_most_once`): AWS allows one mapping per queue
/// and function and answers a second with "already exists"; moto makes a second one.
pub async fn create_mapping(clients: &Clients, t: &TriggerInput) -> Result<(), AwsError> {
    let function = crate::kinds::desired::function_of_arn(&t.function).0;
    let create = || async {
        match send_create_mapping(clients, t).await {
            // An earlier attempt whose answer was lost made it: adopt it below.
            Err(e) if e.kind == ErrorKind::Conflict && e.message.contains("already exists") => {
                Err(AwsError::new(e.operation, ErrorKind::Other, e.message))
            }
            // The function is being updated: refused, nothing made; try again once it settles.
            Err(e) if e.kind == ErrorKind::Conflict => {
                wait_updated(clients, function).await?;
                Err(AwsError::new(e.operation, ErrorKind::Throttled, e.message))
            }
            other => other,
        }
    };
    let existing = || async {
        match find_mapping(clients, &t.function, &t.queue_arn).await? {
            Some(uuid) => update_mapping(clients, &uuid, t).await.map(Some),
            None => Ok(None),
        }
    };
    crate::aws::wait_out(clients, IAM_PROPAGATION_TIMEOUT, iam_not_propagated, || {
        crate::aws::create_at_most_once(create, existing)
    })
    .await
}

/// The mapping from `queue_arn` to `function`, if there is one.
async fn find_mapping(
    clients: &Clients,
    function: &str,
    queue_arn: &str,
) -> Result<Option<String>, AwsError> {
    let page = clients
        .lambda
        .list_event_source_mappings()
        .function_name(function)
        .event_source_arn(queue_arn)
        .send()
        .await
        .classified()?;
    Ok(page
        .event_source_mappings()
        .iter()
        .find_map(|m| m.uuid().map(str::to_string)))
}

async fn send_create_mapping(clients: &Clients, t: &TriggerInput) -> Result<(), AwsError> {
    clients
        .lambda
        .create_event_source_mapping()
        .function_name(&t.function)
        .event_source_arn(&t.queue_arn)
        .batch_size(t.batch_size)
        .maximum_batching_window_in_seconds(t.maximum_batching_window)
        .set_function_response_types(
            t.report_batch_item_failures
                .then(|| vec![FunctionResponseType::ReportBatchItemFailures]),
        )
        .set_scaling_config(
            t.maximum_concurrency
                .map(|n| ScalingConfig::builder().maximum_concurrency(n).build()),
        )
        .enabled(t.enabled)
        .customize()
        .config_override(crate::aws::lambda_without_retries())
        .send()
        .await
        .done()
}

/// Update a trigger in place, including what it invokes: moving a mapping between `$LATEST` and
/// the alias is one UpdateEventSourceMapping, so the queue is never without a consumer nor
/// consumed twice.
pub async fn update_mapping(
    clients: &Clients,
    uuid: &str,
    t: &TriggerInput,
) -> Result<(), AwsError> {
    // While Lambda refuses it because the mapping is in transition (`ResourceInUseException`),
    // wait for the mapping to settle and try again.
    let settled = || wait_mapping_settled(clients, uuid);
    retry_after_conflict(settled, || async {
        clients
            .lambda
            .update_event_source_mapping()
            .uuid(uuid)
            .function_name(&t.function)
            .batch_size(t.batch_size)
            .maximum_batching_window_in_seconds(t.maximum_batching_window)
            // An empty list switches partial batch responses off.
            .set_function_response_types(Some(if t.report_batch_item_failures {
                vec![FunctionResponseType::ReportBatchItemFailures]
            } else {
                Vec::new()
            }))
            .set_scaling_config(Some(match t.maximum_concurrency {
                Some(n) => ScalingConfig::builder().maximum_concurrency(n).build(),
                None => ScalingConfig::builder().build(),
            }))
            .enabled(t.enabled)
            .send()
            .await
            .done()
    })
    .await
}

pub async fn delete_mapping(clients: &Clients, uuid: &str) -> Result<(), AwsError> {
    let settled = || wait_mapping_settled(clients, uuid);
    gone_is_done(
        retry_after_conflict(settled, || async {
            clients
                .lambda
                .delete_event_source_mapping()
                .uuid(uuid)
                .send()
                .await
                .done()
        })
        .await,
    )
}

/// How long a mapping may stay in `Creating`, `Updating`, `Enabling` or `Disabling`.
const MAPPING_SETTLE_TIMEOUT: Duration = Duration::from_secs(180);

/// Wait until a mapping is in a steady state (`Enabled` or `Disabled`), or gone.
pub async fn wait_mapping_settled(clients: &Clients, uuid: &str) -> Result<(), AwsError> {
    let deadline = tokio::time::Instant::now() + MAPPING_SETTLE_TIMEOUT;
    let mut delay = Duration::from_millis(500);
    let mut told = false;
    loop {
        let state = match clients
            .lambda
            .get_event_source_mapping()
            .uuid(uuid)
            .send()
            .await
            .classified()
        {
            Ok(mapping) => mapping.state().unwrap_or("Enabled").to_string(),
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        if matches!(state.as_str(), "Enabled" | "Disabled") {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            return Err(AwsError::new(
                "wait for event source mapping",
                ErrorKind::Other,
                format!(
                    "mapping {uuid} stayed {state} for {} s",
                    MAPPING_SETTLE_TIMEOUT.as_secs()
                ),
            ));
        }
        if !told {
            clients.notify(&format!("waiting for trigger {uuid} to leave {state}"));
            told = true;
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(10));
    }
}
