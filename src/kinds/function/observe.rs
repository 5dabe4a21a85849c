//! Observing functions: each one's configuration, its event source mappings (one listing for all),
//! its managed aliases with their provisioned concurrency and Auto Scaling, and the invoke
//! permissions the spec's rules need.

use std::collections::{BTreeMap, BTreeSet};

use super::autoscaling;
use super::aws as lambda;
use super::mappings::{self, LiveMapping};
use super::{aliases, permissions};
use crate::aws::AwsError;
use crate::kinds::desired::{arn_name, TAG_ALIAS, TAG_DELETION_POLICY, TAG_RESOURCE, TAG_STACK};
use crate::kinds::observe::{join_error, ObserveCtx, Observer};
use crate::model::{DeletionPolicy, ResourceId};
use crate::plan::{FieldValue, ObservedResource, Props, Referrer, SetProp};
use tokio::task::JoinSet;

/// The managed aliases of one function, each with its provisioned concurrency (unless Auto
/// Scaling sets it).
type FunctionAliases = (
    ResourceId,
    Vec<(aliases::LiveAlias, Option<serde_json::Value>)>,
);

/// How the observation driver reads functions.
pub(crate) static OBSERVER: Observer = Observer {
    tagged_types: &["lambda:function"],
    observe: |ctx| Box::pin(observe(ctx)),
};

async fn observe(ctx: &ObserveCtx) -> Result<(), AwsError> {
    let functions = ctx
        .read_each(
            |arn| arn.contains(":function:"),
            |clients, tagged| async move {
                let name = arn_name(&tagged.arn).to_string();
                lambda::get_function(&clients, &name).await
            },
            |clients, want| async move { lambda::get_function(&clients, &want.physical_name).await },
        )
        .await?;
    let clients = &ctx.clients;
    let desired = &ctx.desired;

    // Event source mappings, all of them in one listing, attached to their functions.
    let wants_triggers = desired
        .iter()
        .any(|d| d.props.keys().any(|k| k.starts_with("triggers[")));
    let has_functions = !functions.is_empty();
    let mut mappings_by_function: BTreeMap<
        String,
        Vec<(
            LiveMapping,
            aws_sdk_lambda::types::EventSourceMappingConfiguration,
        )>,
    > = BTreeMap::new();
    if wants_triggers || has_functions {
        for (mapping, configuration) in mappings::list_mappings(clients).await? {
            // slsctl makes SQS triggers only. A stream mapping (DynamoDB, Kinesis) is someone
            // else's: never keyed (its ARN ends in a timestamp), compared or deleted.
            if mapping.source_arn.split(':').nth(2) != Some("sqs") {
                continue;
            }
            // A mapping on an alias carries the qualifier; it still belongs to the function.
            let function_arn = mapping
                .function_arn
                .split(':')
                .take(7)
                .collect::<Vec<_>>()
                .join(":");
            ctx.refer(
                mapping.source_arn.clone(),
                Referrer {
                    what: format!("the trigger of {}", arn_name(&function_arn)),
                    arn: function_arn.clone(),
                },
            );
            mappings_by_function
                .entry(function_arn)
                .or_default()
                .push((mapping, configuration));
        }
    }

    // Managed aliases (the function's `slsctl:alias` tag, or an alias in the spec) and their
    // provisioned concurrency: only functions that have one pay these calls.
    let mut alias_tasks: JoinSet<Result<FunctionAliases, AwsError>> = JoinSet::new();
    for (id, f) in &functions {
        let in_spec = desired
            .iter()
            .any(|d| &d.id == id && d.props.keys().any(|k| k.starts_with("alias.")));
        if !in_spec && !f.tags.contains_key(TAG_ALIAS) {
            continue;
        }
        // Aliases the spec puts under Auto Scaling: their provisioned value is Auto Scaling's to
        // set and is never compared, so it is not read either.
        let autoscaled: Vec<String> = desired
            .iter()
            .filter(|d| &d.id == id)
            .flat_map(|d| d.props.keys())
            .filter_map(|k| {
                k.strip_prefix("alias.")?
                    .strip_suffix(".autoscaling")
                    .map(str::to_string)
            })
            .collect();
        let clients = clients.clone();
        let (id, name) = (id.clone(), f.name.clone());
        alias_tasks.spawn(async move {
            let mut found = Vec::new();
            for alias in aliases::list_aliases(&clients, &name).await? {
                let pc = if autoscaled.contains(&alias.name) {
                    None
                } else {
                    aliases::get_provisioned_concurrency(&clients, &name, &alias.name).await?
                };
                found.push((alias, pc));
            }
            Ok((id, found))
        });
    }
    let mut aliases: BTreeMap<ResourceId, Vec<(aliases::LiveAlias, Option<serde_json::Value>)>> =
        BTreeMap::new();
    while let Some(joined) = alias_tasks.join_next().await {
        let (id, found) = joined.map_err(join_error)??;
        aliases.insert(id, found);
    }
    // Their Auto Scaling definitions: three account-wide listings, only when aliases exist.
    let mut scaling_ids: Vec<String> = Vec::new();
    for (id, f) in &functions {
        for (alias, _) in aliases.get(id).into_iter().flatten() {
            scaling_ids.push(autoscaling::resource_id(&f.name, &alias.name));
        }
    }
    let mut scaling = autoscaling::observe(clients, &scaling_ids).await?;

    // Invoke permissions, for the functions the spec wires to a rule (GetPolicy each).
    let mut permission_tasks: JoinSet<Result<(ResourceId, Props), AwsError>> = JoinSet::new();
    for (id, f) in &functions {
        let wired = desired
            .iter()
            .any(|d| &d.id == id && d.props.keys().any(|k| k.starts_with("permissions[")));
        if wired {
            // The function's own policy, and the policy of each alias that may hold statements:
            // the spec's alias and the aliases slsctl manages today.
            let mut qualifiers: BTreeSet<Option<String>> = BTreeSet::from([None]);
            qualifiers.extend(
                desired
                    .iter()
                    .filter(|d| &d.id == id)
                    .flat_map(|d| d.props.values())
                    .filter_map(|v| match v {
                        FieldValue::Known(v) => v.get("qualifier")?.as_str().map(str::to_string),
                        FieldValue::Unknown(_) => None,
                    })
                    .map(Some),
            );
            qualifiers.extend(
                aliases
                    .get(id)
                    .into_iter()
                    .flatten()
                    .map(|(a, _)| Some(a.name.clone())),
            );
            let clients = clients.clone();
            let (id, name) = (id.clone(), f.name.clone());
            permission_tasks.spawn(async move {
                let mut props = Props::new();
                for qualifier in qualifiers {
                    props.extend(
                        permissions::get_permissions(
                            &clients,
                            &name,
                            qualifier.as_deref(),
                            &|sid| sid.starts_with("slsctl-events-"),
                        )
                        .await?,
                    );
                }
                Ok((id, props))
            });
        }
    }
    let mut permissions: BTreeMap<ResourceId, Props> = BTreeMap::new();
    while let Some(joined) = permission_tasks.join_next().await {
        let (id, props) = joined.map_err(join_error)??;
        permissions.insert(id, props);
    }

    for (id, f) in functions {
        let mut props = f.props.clone();
        props.extend(permissions.remove(&id).unwrap_or_default());
        for (alias, pc) in aliases.remove(&id).unwrap_or_default() {
            props.set(
                format!("alias.{}.version", alias.name),
                alias.digest.clone(),
            );
            let scaled = scaling
                .remove(&autoscaling::resource_id(&f.name, &alias.name))
                .unwrap_or_default();
            let autoscaled = scaled.contains_key("autoscaling");
            for (key, value) in scaled {
                props.insert(format!("alias.{}.{key}", alias.name), value);
            }
            // Under Auto Scaling the provisioned value is its to set, not a drift.
            if let (Some(n), false) = (pc, autoscaled) {
                props.set(format!("alias.{}.provisionedConcurrency", alias.name), n);
            }
        }
        let mut by_queue = BTreeMap::new();
        for (mapping, configuration) in mappings_by_function.remove(&f.arn).unwrap_or_default() {
            mappings::mapping_props(&configuration, &mut props);
            by_queue.insert(arn_name(&mapping.source_arn).to_string(), mapping);
        }
        let owned = f.tags.get(TAG_STACK).map(String::as_str) == Some(ctx.stack_name.as_str())
            && f.tags.get(TAG_RESOURCE).map(String::as_str) == Some(id.to_string().as_str());
        ctx.record(|observed| {
            observed.function_arns.insert(id.clone(), f.arn.clone());
            observed.mappings.insert(id.clone(), by_queue);
        });
        let deletion_policy = f
            .tags
            .get(TAG_DELETION_POLICY)
            .and_then(|p| DeletionPolicy::parse(p));
        ctx.add(ObservedResource {
            id,
            physical_name: f.name,
            arn: f.arn,
            props,
            owned,
            messages: None,
            referenced_by: Vec::new(),
            deletion_policy,
        });
    }
    Ok(())
}
