//! Updating a live table: the ordered UpdateTable steps a change takes (shown by the plan) and
//! carrying them out, one index per UpdateTable as AWS requires, waiting for ACTIVE in between.

use std::collections::BTreeSet;

use aws_sdk_dynamodb::operation::update_table::builders::UpdateTableFluentBuilder;
use aws_sdk_dynamodb::types::{
    CreateGlobalSecondaryIndexAction, DeleteGlobalSecondaryIndexAction, GlobalSecondaryIndexUpdate,
    TableClass, UpdateGlobalSecondaryIndexAction,
};
use serde_json::Value;

use super::aws::{
    attribute_definitions, billing, key_schema, projection, set_pitr, sse, stream, throughput,
    ttl_step, wait_active,
};
use crate::aws::error::{AwsError, Classified};
use crate::aws::Clients;
use crate::kinds::context::{built, entry_key};
use crate::model;
use crate::plan::{FieldValue, Props};

/// What a changed `globalSecondaryIndexes[…]` field means for one index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexChange {
    Create,
    Delete,
    /// Keys or projection changed: AWS cannot alter them, so the index is dropped and rebuilt.
    Rebuild,
    /// Only the provisioned throughput changed: updated in place.
    Throughput,
    /// Only the capacity fields appeared or vanished with a billing-mode switch, which the
    /// billing update carries.
    WithBilling,
}

fn without_capacity(value: &Value) -> Value {
    let mut shape = value.clone();
    if let Some(object) = shape.as_object_mut() {
        object.remove("readCapacity");
        object.remove("writeCapacity");
    }
    shape
}

/// Classify the changed index fields, in field order.
pub fn index_changes<'t>(
    changed: &BTreeSet<String>,
    live: &Props,
    table: &'t model::Table,
) -> Vec<(String, IndexChange, Option<&'t model::Gsi>)> {
    let provisioned = matches!(table.billing, model::Billing::Provisioned { .. });
    let billing_switch = live.get("billingMode")
        != Some(&FieldValue::known(if provisioned {
            "PROVISIONED"
        } else {
            "PAY_PER_REQUEST"
        }));
    changed
        .iter()
        .filter_map(|field| {
            let name = entry_key(field, "globalSecondaryIndexes")?;
            let wanted = table
                .global_secondary_indexes
                .iter()
                .find(|g| g.name == name);
            let have = match live.get(field) {
                Some(FieldValue::Known(value)) => Some(value),
                _ => None,
            };
            let change = match (have, wanted) {
                (None, Some(_)) => IndexChange::Create,
                (Some(_), None) => IndexChange::Delete,
                (None, None) => return None,
                (Some(have), Some(want)) => {
                    let want_value = super::props::gsi_value(want, provisioned);
                    if without_capacity(have) != without_capacity(&want_value) {
                        IndexChange::Rebuild
                    } else if billing_switch {
                        IndexChange::WithBilling
                    } else {
                        IndexChange::Throughput
                    }
                }
            };
            Some((name.to_string(), change, wanted))
        })
        .collect()
}

/// The ordered steps an update takes; the plan shows them so that nobody is surprised by a
/// slow, multi-step index change.
pub fn update_steps(changed: &BTreeSet<String>, live: &Props, table: &model::Table) -> Vec<String> {
    let changes = index_changes(changed, live, table);
    let mut steps = Vec::new();
    for (name, change, _) in &changes {
        if matches!(change, IndexChange::Delete | IndexChange::Rebuild) {
            steps.push(format!(
                "delete index {name}, wait until the table is ACTIVE"
            ));
        }
    }
    if changed.contains("billingMode") {
        let carried: Vec<&str> = changes
            .iter()
            .filter(|(_, c, _)| *c == IndexChange::WithBilling)
            .map(|(n, _, _)| n.as_str())
            .collect();
        let mode = match table.billing {
            model::Billing::OnDemand => "PAY_PER_REQUEST",
            model::Billing::Provisioned { .. } => "PROVISIONED",
        };
        if carried.is_empty() || mode == "PAY_PER_REQUEST" {
            steps.push(format!(
                "switch billing to {mode}, wait until the table is ACTIVE"
            ));
        } else {
            steps.push(format!(
                "switch billing to {mode} with the throughput of index {}, wait until the table is ACTIVE",
                carried.join(", ")
            ));
        }
    }
    for (name, change, _) in &changes {
        if *change == IndexChange::Throughput {
            steps.push(format!(
                "update the throughput of index {name}, wait until it is ACTIVE"
            ));
        }
    }
    for (name, change, _) in &changes {
        if matches!(change, IndexChange::Create | IndexChange::Rebuild) {
            steps.push(format!("create index {name}, wait until it is ACTIVE"));
        }
    }
    if let (true, Some(FieldValue::Known(Value::String(old))), Some(new)) = (
        changed.contains("timeToLiveAttribute"),
        live.get("timeToLiveAttribute"),
        &table.time_to_live_attribute,
    ) {
        steps.push(format!(
            "disable TTL on `{old}` now; AWS changes a table's TTL once per hour, so TTL on `{new}` is enabled by the first apply (or controller reconcile) after that"
        ));
    }
    steps
}

fn update_throughput(
    gsi: &model::Gsi,
    capacity: (u32, u32),
) -> Result<GlobalSecondaryIndexUpdate, AwsError> {
    Ok(GlobalSecondaryIndexUpdate::builder()
        .update(built(
            UpdateGlobalSecondaryIndexAction::builder()
                .index_name(&gsi.name)
                .provisioned_throughput(throughput(capacity)?)
                .build(),
        )?)
        .build())
}

/// Apply the changed fields to a live table, one UpdateTable per change, waiting in between.
pub async fn update(
    clients: &Clients,
    name: &str,
    table: &model::Table,
    changed: &BTreeSet<String>,
    live: &Props,
) -> Result<(), AwsError> {
    let touched = |f: &str| changed.contains(f);
    let update_table = || clients.dynamodb.update_table().table_name(name);
    // One UpdateTable, then the wait until the table is ACTIVE again: DynamoDB refuses the next
    // update of a table until then.
    // (The parameter is one of `update_table`'s builders, and named so: tests/deploy.rs reads
    // which operation each `send()` is off the source.)
    let update_and_wait = |update_table: UpdateTableFluentBuilder| async move {
        update_table.send().await.classified()?;
        wait_active(clients, name).await
    };
    let index_changes = index_changes(changed, live, table);
    // Indexes: one per UpdateTable, each followed by a wait. Deletions come first so that a
    // switch to PROVISIONED carries the throughput of the remaining indexes only.
    for (index, change, _) in &index_changes {
        if !matches!(change, IndexChange::Delete | IndexChange::Rebuild) {
            continue;
        }
        update_and_wait(
            update_table().global_secondary_index_updates(
                GlobalSecondaryIndexUpdate::builder()
                    .delete(built(
                        DeleteGlobalSecondaryIndexAction::builder()
                            .index_name(index)
                            .build(),
                    )?)
                    .build(),
            ),
        )
        .await?;
    }
    if touched("billingMode") || touched("readCapacity") || touched("writeCapacity") {
        let (mode, capacity) = billing(table)?;
        // Switching to PROVISIONED needs every remaining index's throughput in the same call.
        let carried: Vec<GlobalSecondaryIndexUpdate> = if touched("billingMode") {
            index_changes
                .iter()
                .filter(|(_, c, _)| *c == IndexChange::WithBilling)
                .filter_map(|(_, _, gsi)| *gsi)
                .filter_map(|gsi| Some((gsi, gsi.capacity?)))
                .map(|(gsi, capacity)| update_throughput(gsi, capacity))
                .collect::<Result<_, _>>()?
        } else {
            Vec::new()
        };
        update_and_wait(
            update_table()
                .billing_mode(mode)
                .set_provisioned_throughput(capacity)
                .set_global_secondary_index_updates((!carried.is_empty()).then_some(carried)),
        )
        .await?;
    }
    for (_, change, gsi) in &index_changes {
        let (IndexChange::Throughput, Some(gsi)) = (change, gsi) else {
            continue;
        };
        let Some(capacity) = gsi.capacity else {
            continue;
        };
        update_and_wait(
            update_table().global_secondary_index_updates(update_throughput(gsi, capacity)?),
        )
        .await?;
    }
    if touched("sse") {
        update_and_wait(update_table().sse_specification(sse(&table.sse))).await?;
    }
    if touched("tableClass") {
        update_and_wait(update_table().table_class(TableClass::from(table.table_class.as_str())))
            .await?;
    }
    if touched("stream") {
        // A stream's view type cannot change in place: disable it, then enable the new one.
        if live.contains_key("stream") {
            update_and_wait(update_table().stream_specification(stream(None)?)).await?;
        }
        if table.stream.is_some() {
            update_and_wait(update_table().stream_specification(stream(table.stream.as_deref())?))
                .await?;
        }
    }
    for (_, change, gsi) in &index_changes {
        let (IndexChange::Create | IndexChange::Rebuild, Some(gsi)) = (change, gsi) else {
            continue;
        };
        update_and_wait(
            update_table()
                .set_attribute_definitions(Some(attribute_definitions(
                    table,
                    std::iter::once(*gsi),
                )?))
                .global_secondary_index_updates(
                    GlobalSecondaryIndexUpdate::builder()
                        .create(built(
                            CreateGlobalSecondaryIndexAction::builder()
                                .index_name(&gsi.name)
                                .set_key_schema(Some(key_schema(
                                    &gsi.partition_key,
                                    &gsi.sort_key,
                                )?))
                                .projection(projection(&gsi.projection))
                                .set_provisioned_throughput(
                                    gsi.capacity.map(throughput).transpose()?,
                                )
                                .build(),
                        )?)
                        .build(),
                ),
        )
        .await?;
    }
    if touched("timeToLiveAttribute") {
        // The old attribute is switched off before a new one is switched on. AWS allows one TTL
        // change per table per hour: a refused change is not a failure of the apply, it is left
        // for a later one (the plan keeps showing it until then, and the controller retries).
        let mut settled = true;
        if let Some(FieldValue::Known(Value::String(old))) = live.get("timeToLiveAttribute") {
            settled = ttl_step(clients, name, old, false).await?;
        }
        if let (true, Some(attribute)) = (settled, &table.time_to_live_attribute) {
            ttl_step(clients, name, attribute, true).await?;
        }
    }
    if touched("pointInTimeRecovery") {
        set_pitr(clients, name, table.point_in_time_recovery).await?;
    }
    // Deletion protection last: switching it on protects the finished table, and switching it
    // off is the explicit first step of a deletion.
    if touched("deletionProtection") {
        update_and_wait(update_table().deletion_protection_enabled(table.deletion_protection))
            .await?;
    }
    Ok(())
}
