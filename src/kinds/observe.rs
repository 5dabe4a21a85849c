//! Observe a stack's live resources with as few calls as AWS allows: one tagging query finds
//! everything the stack owns (100 per page), then one describe per resource where AWS offers no
//! list that carries configuration (GetFunction, GetQueueAttributes), one listing for all event
//! source mappings and one for all layers. Names that the spec wants but the stack does not own
//! are looked up one by one, to find collisions with foreign resources before anything is created.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_resourcegroupstagging::types::TagFilter;
use tokio::task::JoinSet;

use crate::aws::error::{classify, AwsError, ErrorKind};
use crate::aws::Clients;
use crate::kinds::desired::{
    api_permission_id, arn_name, function_of_arn, queue_url_from_arn, TAG_ALIAS,
    TAG_DELETION_POLICY, TAG_RESOURCE, TAG_STACK,
};
use crate::kinds::function::aws::{self as lambda, LiveMapping};
use crate::kinds::queue::aws as sqs;
use crate::kinds::{
    api::aws as apigateway, function::autoscaling, rule::aws as events, table::aws as dynamodb,
};
use crate::model::DeletionPolicy;
use crate::model::{Kind, ResourceId};
use crate::plan::{DesiredResource, FieldValue, ObservedResource, Referrer};

/// Everything observed, plus what apply needs to address the live resources.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    pub account: String,
    /// The credentials' partition (`aws`, `aws-cn`, `aws-us-gov`), for the ARNs slsctl builds.
    pub partition: String,
    pub resources: Vec<ObservedResource>,
    pub queue_urls: BTreeMap<ResourceId, String>,
    pub function_arns: BTreeMap<ResourceId, String>,
    /// Event source mappings per function, by the queue name they read.
    pub mappings: BTreeMap<ResourceId, BTreeMap<String, LiveMapping>>,
    /// The id of each owned REST API.
    pub api_ids: BTreeMap<ResourceId, String>,
    /// Each owned REST API's resources, by path.
    pub api_resources: BTreeMap<ResourceId, BTreeMap<String, String>>,
    /// Resources whose reads still failed after their retries, with why: the plan leaves them
    /// and what depends on them out (never creating or pruning what could not be read).
    pub unreadable: BTreeMap<ResourceId, String>,
    /// Latest version ARN per owned layer.
    pub layer_versions: BTreeMap<ResourceId, String>,
}

/// A read that failed after its retries for a reason that may pass (throttling, a lost answer,
/// a 5xx) makes its resource unreadable for this plan; access denied or a bad request still ends
/// the observation, since every other read would fail the same way.
fn unreadable_if_transient(
    observed: &mut Observed,
    id: ResourceId,
    read: Result<Option<ObservedPart>, AwsError>,
) -> Result<Option<ObservedPart>, AwsError> {
    match read {
        Ok(part) => {
            if part.is_some() {
                observed.unreadable.remove(&id);
            }
            Ok(part)
        }
        Err(error) if error.kind.is_transient() => {
            observed.unreadable.insert(id, error.to_string());
            Ok(None)
        }
        Err(error) => Err(error),
    }
}

/// Whether the tags the tagging API reports are the ones the spec wants. The Resource Groups
/// Tagging API lags behind tag changes, so right after an apply it can still show the old tags;
/// when they differ from the spec's, the service's own tag call (always current) is asked before
/// a difference is planned. In the steady state they agree, and that call is saved.
fn tags_as_wanted(
    tags: &BTreeMap<String, String>,
    desired: &[DesiredResource],
    id: &ResourceId,
) -> bool {
    let Some(want) = desired.iter().find(|d| &d.id == id) else {
        return true;
    };
    let wanted: BTreeMap<&str, &FieldValue> = want
        .props
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("tags.")?, v)))
        .collect();
    let live: BTreeMap<&str, FieldValue> = tags
        .iter()
        .filter(|(k, _)| !k.starts_with("aws:"))
        .map(|(k, v)| (k.as_str(), FieldValue::known(v.clone())))
        .collect();
    wanted.len() == live.len()
        && wanted
            .iter()
            .all(|(k, v)| live.get(k).is_some_and(|l| l == *v))
}

fn parse_id(text: &str) -> Option<ResourceId> {
    let (kind, name) = text.split_once('/')?;
    Some(ResourceId::new(Kind::parse(kind)?, name))
}

/// Observe the stack `stack_name` as `identity` (the credentials' own, checked by the caller);
/// `desired` names the resources the spec wants.
///
/// Only reads: they are retried harder than writes (`Clients::for_reads`), and an error that
/// outlasted those retries says how many attempts it took.
pub async fn observe(
    clients: &Clients,
    identity: crate::aws::Identity,
    stack_name: &str,
    desired: &[DesiredResource],
) -> Result<Observed, AwsError> {
    let reads = clients.for_reads();
    observe_with(&reads, identity, stack_name, desired)
        .await
        .map_err(|error| AwsError {
            attempts: error.attempts.or_else(|| {
                (error.kind.is_transient() && error.kind != ErrorKind::Conflict)
                    .then(|| reads.read_attempts())
            }),
            ..error
        })
}

async fn observe_with(
    clients: &Clients,
    identity: crate::aws::Identity,
    stack_name: &str,
    desired: &[DesiredResource],
) -> Result<Observed, AwsError> {
    let mut observed = Observed {
        account: identity.account,
        partition: identity.partition,
        ..Observed::default()
    };

    // 1. Everything tagged with this stack, functions and queues, 100 per page.
    let mut function_arns: Vec<(ResourceId, String)> = Vec::new();
    let mut queue_arns: Vec<(ResourceId, String, BTreeMap<String, String>)> = Vec::new();
    let mut table_arns: Vec<(ResourceId, String, BTreeMap<String, String>)> = Vec::new();
    let mut events_arns: Vec<(ResourceId, String, BTreeMap<String, String>)> = Vec::new();
    let mut pages = clients
        .tagging
        .get_resources()
        .tag_filters(
            TagFilter::builder()
                .key(TAG_STACK)
                .values(stack_name)
                .build(),
        )
        .resource_type_filters("lambda:function")
        .resource_type_filters("sqs")
        .resource_type_filters("dynamodb:table")
        .resource_type_filters("events:event-bus")
        .resource_type_filters("events:rule")
        .resources_per_page(100)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify("GetResources", e))?;
        for mapping in page.resource_tag_mapping_list() {
            let Some(arn) = mapping.resource_arn() else {
                continue;
            };
            let tags: BTreeMap<String, String> = mapping
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
            let Some(id) = tags.get(TAG_RESOURCE).and_then(|t| parse_id(t)) else {
                continue;
            };
            match id.kind {
                Kind::Function if arn.contains(":function:") => {
                    function_arns.push((id, arn.to_string()))
                }
                Kind::Queue if arn.starts_with("arn:") && arn.contains(":sqs:") => {
                    queue_arns.push((id, arn.to_string(), tags))
                }
                Kind::Table if arn.contains(":table/") => {
                    table_arns.push((id, arn.to_string(), tags))
                }
                Kind::EventBus | Kind::Rule if arn.contains(":events:") => {
                    events_arns.push((id, arn.to_string(), tags))
                }
                _ => {}
            }
        }
    }

    // 2. Describe each owned function and queue, concurrently (the limiters pace the calls).
    // Each describe answers for its resource alone: a read that still fails after its retries
    // leaves that resource unreadable (see `Observed::unreadable`), not the whole observation.
    let mut tasks: JoinSet<(ResourceId, Result<Option<ObservedPart>, AwsError>)> = JoinSet::new();
    for (id, arn) in function_arns {
        let clients = clients.clone();
        let task_id = id.clone();
        tasks.spawn(async move {
            let read = async move {
                let name = arn_name(&arn).to_string();
                Ok(lambda::get_function(&clients, &name)
                    .await?
                    .map(|f| ObservedPart::Function(id, f)))
            };
            (task_id, read.await)
        });
    }
    for (id, arn, tags) in queue_arns {
        let clients = clients.clone();
        // Tags that look changed are read again from SQS itself (see `tags_as_wanted`).
        let tags = tags_as_wanted(&tags, desired, &id).then_some(tags);
        let task_id = id.clone();
        tasks.spawn(async move {
            let read = async move {
                let Some(url) = queue_url_from_arn(&arn) else {
                    return Ok(None);
                };
                Ok(sqs::get_queue(&clients, &url, tags)
                    .await?
                    .map(|q| ObservedPart::Queue(id, q)))
            };
            (task_id, read.await)
        });
    }
    for (id, arn, tags) in events_arns {
        let clients = clients.clone();
        let confirmed = tags_as_wanted(&tags, desired, &id);
        let task_id = id.clone();
        tasks.spawn(async move {
            let read = async move {
                let tags = if confirmed {
                    tags
                } else {
                    events::list_tags(&clients, &arn).await?
                };
                // event-bus/<name>, rule/<name> (default bus) or rule/<bus>/<name>.
                let path = arn
                    .split_once(":event-bus/")
                    .map(|(_, n)| ("bus", n.to_string()))
                    .or_else(|| {
                        arn.split_once(":rule/")
                            .map(|(_, n)| ("rule", n.to_string()))
                    });
                let found = match path {
                    Some(("bus", name)) => events::describe_bus(&clients, &name).await?,
                    Some((_, rest)) => {
                        let (bus, name) =
                            rest.rsplit_once('/').unwrap_or(("default", rest.as_str()));
                        events::describe_rule(&clients, name, bus).await?
                    }
                    None => None,
                };
                Ok(found.map(|mut live| {
                    for (key, value) in tags {
                        live.props
                            .insert(format!("tags.{key}"), FieldValue::known(value));
                    }
                    ObservedPart::Events(id, live)
                }))
            };
            (task_id, read.await)
        });
    }
    for (id, arn, tags) in table_arns {
        let clients = clients.clone();
        let confirmed = tags_as_wanted(&tags, desired, &id);
        let task_id = id.clone();
        tasks.spawn(async move {
            let read = async move {
                let tags = if confirmed {
                    tags
                } else {
                    dynamodb::list_tags(&clients, &arn).await?
                };
                let name = arn.rsplit('/').next().unwrap_or_default().to_string();
                Ok(dynamodb::describe(&clients, &name, tags)
                    .await?
                    .map(|t| ObservedPart::Table(id, t)))
            };
            (task_id, read.await)
        });
    }
    // 3. Names the spec wants that the stack does not own: a foreign resource there is a
    //    collision (or an adoption), never something to overwrite.
    let mut parts = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (id, read) = joined
            .map_err(|e| AwsError::new("observe", crate::aws::ErrorKind::Other, e.to_string()))?;
        if let Some(part) = unreadable_if_transient(&mut observed, id, read)? {
            parts.push(part);
        }
    }
    let owned: BTreeSet<ResourceId> = parts.iter().map(ObservedPart::id).cloned().collect();
    for want in desired.iter().filter(|d| !owned.contains(&d.id)) {
        let clients = clients.clone();
        let want = want.clone();
        match want.id.kind {
            Kind::Function => {
                let task_id = want.id.clone();
                tasks.spawn(async move {
                    let read = async move {
                        let found = lambda::get_function(&clients, &want.physical_name).await?;
                        Ok(found.map(|f| ObservedPart::Function(want.id.clone(), f)))
                    };
                    (task_id, read.await)
                });
            }
            Kind::Queue => {
                let task_id = want.id.clone();
                tasks.spawn(async move {
                    let read = async move {
                        let Some(url) = sqs::get_queue_url(&clients, &want.physical_name).await?
                        else {
                            return Ok(None);
                        };
                        let found = sqs::get_queue(&clients, &url, None).await?;
                        Ok(found.map(|q| ObservedPart::Queue(want.id.clone(), q)))
                    };
                    (task_id, read.await)
                });
            }
            Kind::Table => {
                let task_id = want.id.clone();
                tasks.spawn(async move {
                    let read = async move {
                        let Some(mut table) =
                            dynamodb::describe(&clients, &want.physical_name, BTreeMap::new())
                                .await?
                        else {
                            return Ok(None);
                        };
                        for (key, value) in dynamodb::list_tags(&clients, &table.arn).await? {
                            table
                                .props
                                .insert(format!("tags.{key}"), FieldValue::known(value));
                        }
                        Ok(Some(ObservedPart::Table(want.id.clone(), table)))
                    };
                    (task_id, read.await)
                });
            }
            Kind::EventBus | Kind::Rule => {
                let task_id = want.id.clone();
                tasks.spawn(async move {
                    let read = async move {
                        let found = if want.id.kind == Kind::EventBus {
                            events::describe_bus(&clients, &want.physical_name).await?
                        } else {
                            let bus = match want.props.get("bus") {
                                Some(FieldValue::Known(serde_json::Value::String(b))) => b.clone(),
                                _ => "default".to_string(),
                            };
                            events::describe_rule(&clients, &want.physical_name, &bus).await?
                        };
                        let Some(mut live) = found else {
                            return Ok(None);
                        };
                        for (key, value) in events::list_tags(&clients, &live.arn).await? {
                            live.props
                                .insert(format!("tags.{key}"), FieldValue::known(value));
                        }
                        Ok(Some(ObservedPart::Events(want.id.clone(), live)))
                    };
                    (task_id, read.await)
                });
            }
            _ => {}
        }
    }
    while let Some(joined) = tasks.join_next().await {
        let (id, read) = joined
            .map_err(|e| AwsError::new("observe", crate::aws::ErrorKind::Other, e.to_string()))?;
        if let Some(part) = unreadable_if_transient(&mut observed, id, read)? {
            parts.push(part);
        }
    }

    // 4. Event source mappings, all of them in one listing, attached to their functions.
    let wants_triggers = desired
        .iter()
        .any(|d| d.props.keys().any(|k| k.starts_with("triggers[")));
    let has_functions = parts
        .iter()
        .any(|p| matches!(p, ObservedPart::Function(..)));
    let mut mappings_by_function: BTreeMap<
        String,
        Vec<(
            LiveMapping,
            aws_sdk_lambda::types::EventSourceMappingConfiguration,
        )>,
    > = BTreeMap::new();
    let mut mapping_sources: BTreeMap<String, Vec<Referrer>> = BTreeMap::new();
    if wants_triggers || has_functions {
        for (mapping, configuration) in lambda::list_mappings(clients).await? {
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
            mapping_sources
                .entry(mapping.source_arn.clone())
                .or_default()
                .push(Referrer {
                    what: format!("the trigger of {}", arn_name(&function_arn)),
                    arn: function_arn.clone(),
                });
            mappings_by_function
                .entry(function_arn)
                .or_default()
                .push((mapping, configuration));
        }
    }

    // 5. Managed aliases (the function's `slsctl:alias` tag, or an alias in the spec) and their
    //    provisioned concurrency: only functions that have one pay these calls.
    type FunctionAliases = (
        ResourceId,
        Vec<(lambda::LiveAlias, Option<serde_json::Value>)>,
    );
    let mut alias_tasks: JoinSet<Result<FunctionAliases, AwsError>> = JoinSet::new();
    for part in &parts {
        let ObservedPart::Function(id, f) = part else {
            continue;
        };
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
            for alias in lambda::list_aliases(&clients, &name).await? {
                let pc = if autoscaled.contains(&alias.name) {
                    None
                } else {
                    lambda::get_provisioned_concurrency(&clients, &name, &alias.name).await?
                };
                found.push((alias, pc));
            }
            Ok((id, found))
        });
    }
    let mut aliases: BTreeMap<ResourceId, Vec<(lambda::LiveAlias, Option<serde_json::Value>)>> =
        BTreeMap::new();
    while let Some(joined) = alias_tasks.join_next().await {
        let (id, found) = joined
            .map_err(|e| AwsError::new("observe", crate::aws::ErrorKind::Other, e.to_string()))??;
        aliases.insert(id, found);
    }
    // Their Auto Scaling definitions: three account-wide listings, only when aliases exist.
    let mut scaling_ids: Vec<String> = Vec::new();
    for part in &parts {
        let ObservedPart::Function(id, f) = part else {
            continue;
        };
        for (alias, _) in aliases.get(id).into_iter().flatten() {
            scaling_ids.push(autoscaling::resource_id(&f.name, &alias.name));
        }
    }
    let mut scaling = autoscaling::observe(clients, &scaling_ids).await?;

    // 6. Invoke permissions, for the functions the spec wires to a rule (GetPolicy each).
    let mut permission_tasks: JoinSet<Result<(ResourceId, crate::plan::Props), AwsError>> =
        JoinSet::new();
    for part in &parts {
        let ObservedPart::Function(id, f) = part else {
            continue;
        };
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
                let mut props = crate::plan::Props::new();
                for qualifier in qualifiers {
                    props.extend(
                        lambda::get_permissions(&clients, &name, qualifier.as_deref(), &|sid| {
                            sid.starts_with("slsctl-events-")
                        })
                        .await?,
                    );
                }
                Ok((id, props))
            });
        }
    }
    let mut permissions: BTreeMap<ResourceId, crate::plan::Props> = BTreeMap::new();
    while let Some(joined) = permission_tasks.join_next().await {
        let (id, props) = joined
            .map_err(|e| AwsError::new("observe", crate::aws::ErrorKind::Other, e.to_string()))??;
        permissions.insert(id, props);
    }

    // 7. REST APIs: one listing (500 a page, with tags), then each owned API's resources, stage,
    //    deployment, and the invoke permissions of the functions its routes call.
    let apis = apigateway::list(clients).await?;
    let wants_domain = desired.iter().any(|d| d.props.contains_key("domain"));
    let has_api = apis
        .iter()
        .any(|a| a.tags.get(TAG_STACK).map(String::as_str) == Some(stack_name));
    let domains = if wants_domain || has_api {
        apigateway::list_domains(clients).await?
    } else {
        Vec::new()
    };
    for api in apis {
        if api.tags.get(TAG_STACK).map(String::as_str) != Some(stack_name) {
            continue;
        }
        let Some(id) = api.tags.get(TAG_RESOURCE).and_then(|t| parse_id(t)) else {
            continue;
        };
        let want = desired.iter().find(|d| d.id == id);
        let stage = match want.and_then(|d| d.props.get("stage.name")) {
            Some(FieldValue::Known(serde_json::Value::String(s))) => s.clone(),
            _ => "prod".to_string(),
        };
        let mut api = api;
        apigateway::describe(clients, &mut api, &stage).await?;
        // The functions its live routes and the spec's routes invoke, each with the alias it
        // is invoked through: that alias's policy holds the API's statement.
        // (The spec's routes are read rather than its permissions: this is the provisional
        // desired state, whose permissions are unknown until the account is.)
        let routed = |props: &crate::plan::Props| -> Vec<(String, Option<String>)> {
            props
                .iter()
                .filter(|(k, _)| k.starts_with("routes["))
                .filter_map(|(_, v)| match v {
                    FieldValue::Known(serde_json::Value::String(arn)) if !arn.is_empty() => {
                        let (name, qualifier) = function_of_arn(arn);
                        Some((name.to_string(), qualifier.map(str::to_string)))
                    }
                    _ => None,
                })
                .collect()
        };
        let mut functions: BTreeSet<(String, Option<String>)> =
            routed(&api.props).into_iter().collect();
        if let Some(want) = want {
            functions.extend(routed(&want.props));
        }
        let statement = api_permission_id(&api.name);
        let per_route = format!("slsctl-api-{}-", api.name);
        // Statements of this API: today's one per function, and the one-per-route statements of
        // earlier versions (`<prefix><12 hex>`), which are found so that they are removed.
        let ours = |sid: &str| {
            sid == statement
                || sid.strip_prefix(&per_route).is_some_and(|rest| {
                    rest.len() == 12 && rest.chars().all(|c| c.is_ascii_hexdigit())
                })
        };
        for (function, qualifier) in functions {
            for (key, value) in
                lambda::get_permissions(clients, &function, qualifier.as_deref(), &ours).await?
            {
                let sid = key.trim_start_matches("permissions[").trim_end_matches(']');
                api.props
                    .insert(format!("permissions[{function}/{sid}]"), value);
            }
        }
        // The domain this API's tags name, or the one the spec names (which may be foreign).
        let ours = domains.iter().find(|d| {
            d.tags.get(TAG_STACK).map(String::as_str) == Some(stack_name)
                && d.tags.get(TAG_RESOURCE).map(String::as_str) == Some(id.to_string().as_str())
        });
        let wanted_name = match want.and_then(|d| d.props.get("domain")) {
            Some(FieldValue::Known(v)) => {
                v.get("name").and_then(|n| n.as_str()).map(str::to_string)
            }
            _ => None,
        };
        let named = wanted_name.and_then(|n| domains.iter().find(|d| d.name == n));
        if let Some(domain) = ours.or(named) {
            let value =
                apigateway::describe_domain(clients, domain, &api.id, ours.is_some()).await?;
            api.props.insert("domain".into(), FieldValue::known(value));
        }
        observed.api_ids.insert(id.clone(), api.id.clone());
        observed
            .api_resources
            .insert(id.clone(), api.resources.clone());
        let deletion_policy = tag_policy(&api.props);
        observed.resources.push(ObservedResource {
            id,
            physical_name: api.name.clone(),
            arn: api.id.clone(),
            props: api.props,
            owned: true,
            messages: None,
            referenced_by: Vec::new(),
            deletion_policy,
        });
    }

    // 8. Layers, in one listing; ownership is in the version description.
    let layers = lambda::list_layers(clients, stack_name).await?;

    let mut redrive_sources: BTreeMap<String, Vec<Referrer>> = BTreeMap::new();
    for part in &parts {
        if let ObservedPart::Queue(_, q) = part {
            if let Some(target) = &q.dead_letter_arn {
                redrive_sources
                    .entry(target.clone())
                    .or_default()
                    .push(Referrer {
                        what: format!("the redrive of {}", arn_name(&q.arn)),
                        arn: q.arn.clone(),
                    });
            }
        }
    }

    for part in parts {
        match part {
            ObservedPart::Function(id, f) => {
                let mut props = f.props.clone();
                props.extend(permissions.remove(&id).unwrap_or_default());
                for (alias, pc) in aliases.remove(&id).unwrap_or_default() {
                    props.insert(
                        format!("alias.{}.version", alias.name),
                        FieldValue::known(alias.digest.clone()),
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
                        props.insert(
                            format!("alias.{}.provisionedConcurrency", alias.name),
                            FieldValue::known(n),
                        );
                    }
                }
                let mut by_queue = BTreeMap::new();
                for (mapping, configuration) in
                    mappings_by_function.remove(&f.arn).unwrap_or_default()
                {
                    lambda::mapping_props(&configuration, &mut props);
                    by_queue.insert(arn_name(&mapping.source_arn).to_string(), mapping);
                }
                let owned = f.tags.get(TAG_STACK).map(String::as_str) == Some(stack_name)
                    && f.tags.get(TAG_RESOURCE).map(String::as_str)
                        == Some(id.to_string().as_str());
                observed.function_arns.insert(id.clone(), f.arn.clone());
                observed.mappings.insert(id.clone(), by_queue);
                let deletion_policy = f
                    .tags
                    .get(TAG_DELETION_POLICY)
                    .and_then(|p| DeletionPolicy::parse(p));
                observed.resources.push(ObservedResource {
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
            ObservedPart::Queue(id, q) => {
                let owned = owned_by_tags(&q.props, stack_name, &id);
                let mut referenced_by = redrive_sources.get(&q.arn).cloned().unwrap_or_default();
                referenced_by.extend(mapping_sources.get(&q.arn).cloned().unwrap_or_default());
                observed.queue_urls.insert(id.clone(), q.url.clone());
                let deletion_policy = tag_policy(&q.props);
                observed.resources.push(ObservedResource {
                    id,
                    physical_name: arn_name(&q.arn).to_string(),
                    arn: q.arn,
                    props: q.props,
                    owned,
                    messages: Some(q.messages),
                    referenced_by,
                    deletion_policy,
                });
            }
            ObservedPart::Events(id, e) => {
                let owned = owned_by_tags(&e.props, stack_name, &id);
                let deletion_policy = tag_policy(&e.props);
                observed.resources.push(ObservedResource {
                    id,
                    physical_name: e.name,
                    arn: e.arn,
                    props: e.props,
                    owned,
                    messages: None,
                    referenced_by: Vec::new(),
                    deletion_policy,
                });
            }
            ObservedPart::Table(id, t) => {
                let owned = owned_by_tags(&t.props, stack_name, &id);
                let deletion_policy = tag_policy(&t.props);
                observed.resources.push(ObservedResource {
                    id,
                    physical_name: t.name,
                    arn: t.arn,
                    props: t.props,
                    owned,
                    messages: Some(t.items),
                    referenced_by: Vec::new(),
                    deletion_policy,
                });
            }
        }
    }
    for layer in layers {
        let Some(id) = parse_id(&layer.resource) else {
            continue;
        };
        observed
            .layer_versions
            .insert(id.clone(), layer.version_arn.clone());
        observed.resources.push(ObservedResource {
            id,
            physical_name: layer.name,
            arn: layer.version_arn,
            props: layer.props,
            owned: true,
            messages: None,
            referenced_by: Vec::new(),
            deletion_policy: None,
        });
    }
    observed.resources.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(observed)
}

enum ObservedPart {
    Function(ResourceId, lambda::LiveFunction),
    Queue(ResourceId, sqs::LiveQueue),
    Table(ResourceId, dynamodb::LiveTable),
    Events(ResourceId, events::LiveEvents),
}

impl ObservedPart {
    fn id(&self) -> &ResourceId {
        match self {
            ObservedPart::Function(id, _)
            | ObservedPart::Queue(id, _)
            | ObservedPart::Table(id, _)
            | ObservedPart::Events(id, _) => id,
        }
    }
}

/// Whether `tags.*` props carry this stack's ownership tags for `id`.
fn owned_by_tags(props: &crate::plan::Props, stack: &str, id: &ResourceId) -> bool {
    matches!(props.get(&format!("tags.{TAG_STACK}")), Some(FieldValue::Known(v)) if v == stack)
        && matches!(props.get(&format!("tags.{TAG_RESOURCE}")), Some(FieldValue::Known(v)) if *v == id.to_string())
}

/// The deletion policy a resource carries in its tags.
fn tag_policy(props: &crate::plan::Props) -> Option<DeletionPolicy> {
    match props.get(&format!("tags.{TAG_DELETION_POLICY}")) {
        Some(FieldValue::Known(serde_json::Value::String(p))) => DeletionPolicy::parse(p),
        _ => None,
    }
}
