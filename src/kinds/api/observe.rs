//! Observing REST APIs: one listing (500 a page, with tags), then each owned API's resources,
//! stage, deployment, custom domain, and the invoke permissions of the functions its routes call.

use crate::plan::SetProp;
use std::collections::BTreeSet;

use super::aws as apigateway;
use crate::aws::AwsError;
use crate::kinds::desired::{api_permission_id, function_of_arn, TAG_RESOURCE, TAG_STACK};
use crate::kinds::function::permissions;
use crate::kinds::observe::{parse_id, tag_policy, ObserveCtx, Observer};
use crate::plan::{FieldValue, ObservedResource, Props};

/// How the observation driver reads REST APIs.
pub(crate) static OBSERVER: Observer = Observer {
    tagged_types: &[],
    observe: |ctx| Box::pin(observe(ctx)),
};

async fn observe(ctx: &ObserveCtx) -> Result<(), AwsError> {
    let (clients, desired, stack_name) = (&ctx.clients, &ctx.desired, ctx.stack_name.as_str());
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
        let routed = |props: &Props| -> Vec<(String, Option<String>)> {
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
                permissions::get_permissions(clients, &function, qualifier.as_deref(), &ours)
                    .await?
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
            api.props.set("domain", value);
        }
        ctx.record(|observed| {
            observed.api_ids.insert(id.clone(), api.id.clone());
            observed
                .api_resources
                .insert(id.clone(), api.resources.clone());
        });
        let deletion_policy = tag_policy(&api.props);
        ctx.add(ObservedResource {
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
    Ok(())
}
