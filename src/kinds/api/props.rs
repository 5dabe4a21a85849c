//! The Api kind's desired props: routes, the invoke permissions they need, the deployment's
//! digest, the stage and the custom domain.

use std::collections::BTreeSet;

use crate::kinds::desired::Wanted;
use serde_json::{json, Value};

use crate::kinds::desired::{
    api_permission_id, function_of_arn, invoke_arn, permission_value, Context,
};
use crate::model::Api;
use crate::plan::{FieldValue, Props, SetProp};

/// The execute-api ARN an API's invocations come from, any stage, method and route.
pub fn api_source_arn(ctx: &Context, api_id: &str) -> String {
    format!(
        "arn:{}:execute-api:{}:{}:{api_id}/*",
        ctx.partition, ctx.region, ctx.account
    )
}

/// The props the spec wants for one Api, ownership tags aside.
pub(crate) fn props(w: &Wanted<'_, Api>, props: &mut Props, _sensitive: &mut BTreeSet<String>) {
    let Wanted {
        stack,
        ctx,
        resource,
        model: a,
    } = *w;
    props.set("description", a.description.clone());
    props.set("endpointType", a.endpoint_type.clone());
    let api_id = ctx.api_ids.get(&resource.id);
    let mut routes = serde_json::Map::new();
    let mut known = true;
    for route in &a.routes {
        let target = invoke_arn(stack, ctx, &route.function);
        let key = format!("{} {}", route.method, route.path);
        match &target {
            FieldValue::Known(arn) => {
                routes.insert(key.clone(), arn.clone());
            }
            FieldValue::Unknown(_) => known = false,
        }
        props.insert(format!("routes[{key}]"), target.clone());
        // One invoke permission per function, scoped to this API, on the alias it routes to.
        let (function, qualifier) = match &target {
            FieldValue::Known(Value::String(arn)) => function_of_arn(arn),
            _ => continue,
        };
        let sid = api_permission_id(&resource.physical_name);
        let value = match api_id {
            Some(id) => FieldValue::known(permission_value(
                "apigateway.amazonaws.com",
                &api_source_arn(ctx, id),
                qualifier,
            )),
            None => FieldValue::unknown(),
        };
        props.insert(format!("permissions[{function}/{sid}]"), value);
    }
    // The deployment records the digest of the routes it serves; a new one is made when the
    // routes change.
    let digest = if known {
        use sha2::{Digest, Sha256};
        FieldValue::known(
            crate::text::hex(&Sha256::digest(
                Value::Object(routes).to_string().as_bytes(),
            ))[..16]
                .to_string(),
        )
    } else {
        FieldValue::unknown()
    };
    if let Some(domain) = &a.domain {
        props.set(
            "domain",
            json!({
                "name": domain.name,
                "certificateArn": domain.certificate_arn,
                "basePath": domain.base_path.clone().unwrap_or_else(|| "(none)".into()),
            }),
        );
    }
    props.set("stage.name", a.stage.clone());
    props.insert("stage.deployment".into(), digest);
    // An Api that writes `tracing` decides for itself; one that does not follows the Stack.
    let tracing = a.tracing.unwrap_or(w.stack.observability.tracing);
    props.set("stage.tracing", tracing);
    if let Some(t) = &a.throttling {
        props.set(
            "stage.throttling",
            json!({"rateLimit": t.rate_limit, "burstLimit": t.burst_limit}),
        );
    }
}
