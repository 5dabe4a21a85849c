//! Application Auto Scaling of provisioned concurrency on an alias: the scalable target, the
//! scheduled actions and the optional target-tracking policy.
//!
//! slsctl owns the definitions (which schedules exist, their times and bounds, the tracking
//! target), never the values they produce: the scalable target's current min and max move every
//! time a schedule fires, and the provisioned value moves with tracking, so neither is compared.
//! Registration sets the bounds to the baseline and the largest scheduled maximum.

use std::collections::BTreeMap;

use aws_sdk_applicationautoscaling::types::{
    MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension, ScalableTargetAction,
    ServiceNamespace, TargetTrackingScalingPolicyConfiguration,
};
use serde_json::{json, Value};

use crate::aws::error::{AwsError, Classified};
use crate::aws::{all_items, Clients};
use crate::kinds::context::{built, entry_key};
use crate::kinds::ApplyCtx;
use crate::model::{ResourceId, ResourceSpec};
use crate::plan::{DesiredResource, FieldValue, Props, SetProp};

/// The name of the target-tracking policy slsctl manages on an alias.
pub const TRACKING_POLICY: &str = "slsctl-utilization";

pub fn resource_id(function: &str, alias: &str) -> String {
    format!("function:{function}:{alias}")
}

fn dimension() -> ScalableDimension {
    ScalableDimension::LambdaFunctionProvisionedConcurrency
}

/// Props per resource id (`function:<name>:<alias>`), without the `alias.<name>.` prefix:
/// `autoscaling`, `schedules[<name>]`, `targetUtilization`. Three listings for the whole account
/// (paged), whatever the number of aliases.
pub async fn observe(
    clients: &Clients,
    resource_ids: &[String],
) -> Result<BTreeMap<String, Props>, AwsError> {
    let mut out: BTreeMap<String, Props> = BTreeMap::new();
    if resource_ids.is_empty() {
        return Ok(out);
    }
    for chunk in resource_ids.chunks(50) {
        let targets = all_items!(clients
            .autoscaling
            .describe_scalable_targets()
            .service_namespace(ServiceNamespace::Lambda)
            .set_resource_ids(Some(chunk.to_vec()))
            .scalable_dimension(dimension()))?;
        for target in targets {
            out.entry(target.resource_id().to_string())
                .or_default()
                .set("autoscaling", "registered");
        }
    }
    let wanted: std::collections::BTreeSet<&str> =
        resource_ids.iter().map(String::as_str).collect();
    let actions = all_items!(clients
        .autoscaling
        .describe_scheduled_actions()
        .service_namespace(ServiceNamespace::Lambda))?;
    for action in actions {
        if !wanted.contains(action.resource_id()) {
            continue;
        }
        let bounds = action.scalable_target_action();
        out.entry(action.resource_id().to_string())
            .or_default()
            .set(
                format!("schedules[{}]", action.scheduled_action_name()),
                json!({
                    "schedule": action.schedule(),
                    "timezone": action.timezone().unwrap_or("UTC"),
                    "min": bounds.and_then(|b| b.min_capacity()),
                    "max": bounds.and_then(|b| b.max_capacity()),
                }),
            );
    }
    let policies = all_items!(clients
        .autoscaling
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Lambda))?;
    for policy in policies {
        if !wanted.contains(policy.resource_id()) || policy.policy_name() != TRACKING_POLICY {
            continue;
        }
        if let Some(target) = policy.target_tracking_scaling_policy_configuration() {
            out.entry(policy.resource_id().to_string())
                .or_default()
                .set("targetUtilization", target.target_value());
        }
    }
    Ok(out)
}

pub async fn register(clients: &Clients, id: &str, min: i32, max: i32) -> Result<(), AwsError> {
    clients
        .autoscaling
        .register_scalable_target()
        .service_namespace(ServiceNamespace::Lambda)
        .resource_id(id)
        .scalable_dimension(dimension())
        .min_capacity(min)
        .max_capacity(max)
        .send()
        .await
        .done()
}

/// Deregistering also removes the target's scheduled actions and policies.
pub async fn deregister(clients: &Clients, id: &str) -> Result<(), AwsError> {
    clients
        .autoscaling
        .deregister_scalable_target()
        .service_namespace(ServiceNamespace::Lambda)
        .resource_id(id)
        .scalable_dimension(dimension())
        .send()
        .await
        .done_or_gone()
}

pub async fn put_schedule(
    clients: &Clients,
    id: &str,
    name: &str,
    value: &Value,
) -> Result<(), AwsError> {
    let int = |k: &str| value.get(k).and_then(Value::as_i64).map(|v| v as i32);
    clients
        .autoscaling
        .put_scheduled_action()
        .service_namespace(ServiceNamespace::Lambda)
        .resource_id(id)
        .scalable_dimension(dimension())
        .scheduled_action_name(name)
        .schedule(
            value
                .get("schedule")
                .and_then(Value::as_str)
                .unwrap_or_default(),
        )
        .set_timezone(
            value
                .get("timezone")
                .and_then(Value::as_str)
                .map(str::to_string),
        )
        .scalable_target_action(
            ScalableTargetAction::builder()
                .set_min_capacity(int("min"))
                .set_max_capacity(int("max"))
                .build(),
        )
        .send()
        .await
        .done()
}

pub async fn delete_schedule(clients: &Clients, id: &str, name: &str) -> Result<(), AwsError> {
    clients
        .autoscaling
        .delete_scheduled_action()
        .service_namespace(ServiceNamespace::Lambda)
        .resource_id(id)
        .scalable_dimension(dimension())
        .scheduled_action_name(name)
        .send()
        .await
        .done_or_gone()
}

pub async fn put_tracking(clients: &Clients, id: &str, target: f64) -> Result<(), AwsError> {
    let metric = PredefinedMetricSpecification::builder()
        .predefined_metric_type(MetricType::LambdaProvisionedConcurrencyUtilization)
        .build();
    let configuration = built(
        TargetTrackingScalingPolicyConfiguration::builder()
            .target_value(target)
            .predefined_metric_specification(built(metric)?)
            .build(),
    )?;
    clients
        .autoscaling
        .put_scaling_policy()
        .service_namespace(ServiceNamespace::Lambda)
        .resource_id(id)
        .scalable_dimension(dimension())
        .policy_name(TRACKING_POLICY)
        .policy_type(PolicyType::TargetTrackingScaling)
        .target_tracking_scaling_policy_configuration(configuration)
        .send()
        .await
        .done()
}

pub async fn delete_tracking(clients: &Clients, id: &str) -> Result<(), AwsError> {
    clients
        .autoscaling
        .delete_scaling_policy()
        .service_namespace(ServiceNamespace::Lambda)
        .resource_id(id)
        .scalable_dimension(dimension())
        .policy_name(TRACKING_POLICY)
        .send()
        .await
        .done_or_gone()
}

/// The alias's Auto Scaling definitions: the scalable target, its scheduled actions and its
/// tracking policy, as the spec has them.
pub(super) async fn sync_autoscaling(
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
    let target = resource_id(function, alias);
    if !wanted.contains_key("autoscaling") {
        // AWS removes a target's schedules and policies with it; removing them first as well
        // keeps the result the same wherever deregistration is less thorough (moto).
        for key in existing.keys() {
            if let Some(name) = entry_key(key, "schedules") {
                delete_schedule(clients, &target, name).await?;
            }
        }
        if existing.contains_key("targetUtilization") {
            delete_tracking(clients, &target).await?;
        }
        if existing.contains_key("autoscaling") {
            deregister(clients, &target).await?;
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
        register(clients, &target, baseline as i32, peak as i32).await?;
    }
    for key in existing.keys().filter(|k| !wanted.contains_key(*k)) {
        if let Some(name) = entry_key(key, "schedules") {
            delete_schedule(clients, &target, name).await?;
        }
    }
    for (key, value) in &wanted {
        if let (Some(name), FieldValue::Known(value)) = (entry_key(key, "schedules"), value) {
            if existing.get(key) != wanted.get(key) {
                put_schedule(clients, &target, name, value).await?;
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
            put_tracking(clients, &target, n.as_f64().unwrap_or(0.7)).await?;
        }
        (None, Some(_)) => delete_tracking(clients, &target).await?,
        _ => {}
    }
    Ok(())
}
