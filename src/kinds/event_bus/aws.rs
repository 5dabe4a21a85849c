//! EventBridge calls that change a bus and its archive. Archives cannot be tagged; a bus's
//! archive carries the bus's name and belongs to it. Reading a bus and tagging it go through
//! the EventBridge calls it shares with rules (`kinds::rule::aws`).

use std::collections::HashMap;

use serde_json::Value;

use crate::aws::error::{AwsError, Classified};
use crate::aws::Clients;
use crate::kinds::context::tag_list;
use crate::kinds::rule::aws::{describe_bus, list_tags};
use crate::plan::FieldValue;

pub async fn create_bus(
    clients: &Clients,
    name: &str,
    description: &str,
    tags: &HashMap<String, String>,
) -> Result<String, AwsError> {
    let created = clients
        .events
        .create_event_bus()
        .name(name)
        .set_description((!description.is_empty()).then(|| description.to_string()))
        .set_tags(Some(tag_list(tags)?))
        .send()
        .await
        .classified();
    match created {
        Ok(output) => Ok(output.event_bus_arn().unwrap_or_default().to_string()),
        // The SDK's retry of a create whose answer was lost: a bus with this stack's ownership
        // tags is that first attempt's (or an earlier run's), adopted with the spec's description.
        Err(error) if error.already_exists() => {
            let Some(bus) = describe_bus(clients, name).await? else {
                return Err(error);
            };
            let live = list_tags(clients, &bus.arn).await?;
            if !crate::kinds::desired::same_owner(&live, tags) {
                return Err(error);
            }
            let live_description = bus.props.get("description");
            if live_description != Some(&FieldValue::known(description)) {
                update_bus(clients, name, description).await?;
            }
            Ok(bus.arn)
        }
        Err(error) => Err(error),
    }
}

pub async fn update_bus(clients: &Clients, name: &str, description: &str) -> Result<(), AwsError> {
    clients
        .events
        .update_event_bus()
        .name(name)
        .description(description)
        .send()
        .await
        .done()
}

/// Create, update or delete the bus's archive (named after the bus).
pub async fn put_archive(
    clients: &Clients,
    name: &str,
    bus_arn: &str,
    archive: Option<&(Value, i32)>,
    exists: bool,
) -> Result<(), AwsError> {
    match (archive, exists) {
        (Some((pattern, days)), false) => {
            let days = *days;
            let created = clients
                .events
                .create_archive()
                .archive_name(name)
                .event_source_arn(bus_arn)
                .set_event_pattern((!pattern.is_null()).then(|| pattern.to_string()))
                .retention_days(days)
                .send()
                .await
                .done();
            match created {
                // Archives cannot be tagged: one named after this stack's bus and archiving
                // that bus is its archive (after a lost answer, the first attempt's), brought
                // to the spec's settings.
                Err(error) if error.already_exists() => {
                    let live = clients
                        .events
                        .describe_archive()
                        .archive_name(name)
                        .send()
                        .await
                        .classified()?;
                    if live.event_source_arn() != Some(bus_arn) {
                        return Err(error);
                    }
                    update_archive(clients, name, pattern, days).await
                }
                other => other,
            }
        }
        (Some((pattern, days)), true) => update_archive(clients, name, pattern, *days).await,
        (None, true) => clients
            .events
            .delete_archive()
            .archive_name(name)
            .send()
            .await
            .done_or_gone(),
        (None, false) => Ok(()),
    }
}

/// Bring the archive `name` to the spec's pattern (null: every event) and retention.
async fn update_archive(
    clients: &Clients,
    name: &str,
    pattern: &Value,
    days: i32,
) -> Result<(), AwsError> {
    clients
        .events
        .update_archive()
        .archive_name(name)
        .set_event_pattern((!pattern.is_null()).then(|| pattern.to_string()))
        .retention_days(days)
        .send()
        .await
        .done()
}

pub async fn delete_bus(clients: &Clients, name: &str) -> Result<(), AwsError> {
    put_archive(clients, name, "", None, true).await?;
    clients
        .events
        .delete_event_bus()
        .name(name)
        .send()
        .await
        .done_or_gone()
}
