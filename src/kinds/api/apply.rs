//! The Api kind's apply: the REST API, its routes and the invoke permissions they need, the
//! deployment and stage, and the custom domain.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::{aws as apigateway, domain};
use crate::aws::{AwsError, Clients, ErrorKind};
use crate::kinds::context::{
    entry_key, observed_of, qualifier_of, tags_of, text, unresolved, wanted_now, TagChange,
};
use crate::kinds::desired::{TAG_RESOURCE, TAG_STACK};
use crate::kinds::function::permissions;
use crate::kinds::ApplyCtx;
use crate::plan::{ActionKind, FieldValue, ResourceAction};

/// `permissions[<function>/<sid>]` props, by (function, sid).
fn route_permissions(props: &crate::plan::Props) -> BTreeMap<(String, String), Value> {
    props
        .iter()
        .filter_map(|(k, v)| {
            let (function, sid) = entry_key(k, "permissions")?.split_once('/')?;
            match v {
                FieldValue::Known(value) => {
                    Some(((function.to_string(), sid.to_string()), value.clone()))
                }
                FieldValue::Unknown(_) => None,
            }
        })
        .collect()
}

pub(crate) async fn run(shared: &ApplyCtx, action: &ResourceAction) -> Result<(), AwsError> {
    let clients = &shared.clients;
    let observed = &shared.prepared.observed;
    let live = observed_of(shared, &action.id)
        .map(|o| o.props.clone())
        .unwrap_or_default();
    let live_id = observed.api_ids.get(&action.id).cloned();
    let region = shared.prepared.context.region.clone();
    match action.action {
        ActionKind::Delete => {
            for ((function, sid), value) in route_permissions(&live) {
                permissions::remove_permission(clients, &function, &sid, qualifier_of(&value))
                    .await?;
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
                    TagChange::release(),
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
            let want = wanted_now(shared, &action.id)?;
            let id = if fresh {
                let id = apigateway::create(
                    clients,
                    &want.physical_name,
                    &text(&want.props, "description").unwrap_or_default(),
                    &text(&want.props, "endpointType").unwrap_or_else(|| "REGIONAL".into()),
                    tags_of(&want.props),
                )
                .await?;
                shared.learn(|context| {
                    context.api_ids.insert(action.id.clone(), id.clone());
                });
                id
            } else {
                live_id
                    .clone()
                    .ok_or_else(|| unresolved(&action.id, "api id"))?
            };
            // With the id known, the permissions resolve.
            let want = wanted_now(shared, &action.id)?;
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
                    let (method, path) = entry_key(k, "routes")?.split_once(' ')?;
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
                        permissions::remove_permission(clients, &key.0, &key.1, qualifier_of(value))
                            .await?
                    }
                    _ => stale.push((key.clone(), value.clone())),
                }
            }
            for (key, value) in &wanted {
                if granted.get(key) != Some(value) {
                    permissions::add_permission(clients, &key.0, &key.1, value).await?;
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
                permissions::remove_permission(clients, &function, &sid, qualifier_of(&value))
                    .await?;
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
                apigateway::tag(
                    clients,
                    &shared.prepared.context.partition,
                    &region,
                    &id,
                    TagChange::of(action),
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
        domain::delete_mapping(clients, field(domain, "name"), base).await?;
    }
    domain::delete_domain(clients, field(domain, "name")).await
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
            if let Some(found) = domain::domain_tags(clients, name).await? {
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
            domain::create_domain(clients, name, field(want, "certificateArn"), endpoint, tags)
                .await?;
            domain::create_mapping(clients, name, api_id, stage, field(want, "basePath")).await
        }
        Some(live) => {
            if field(live, "certificateArn") != field(want, "certificateArn") {
                domain::set_domain_certificate(
                    clients,
                    name,
                    field(want, "certificateArn"),
                    endpoint,
                )
                .await?;
            }
            if live.get("basePath") != want.get("basePath") {
                if let Some(old) = live.get("basePath").and_then(Value::as_str) {
                    domain::delete_mapping(clients, name, old).await?;
                }
                domain::create_mapping(clients, name, api_id, stage, field(want, "basePath"))
                    .await?;
            }
            Ok(())
        }
    }
}
