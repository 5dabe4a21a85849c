//! The stack as it runs now, for the "before" side of a plan's cost: the spec with the
//! cost-deciding fields AWS reports. The one part of `cost` that reads the plan's observations.

use crate::model::arn::function_of_arn;
use crate::model::{Architecture, Billing, LogGroupClass, ResourceId, ResourceSpec, Stack};

/// Whether everything that invokes a live function does so through an alias: its triggers, its
/// rule permissions and the API routes to it are all qualified.
fn live_traffic_reaches_alias(
    function: &crate::plan::ObservedResource,
    observed: &[crate::plan::ObservedResource],
) -> bool {
    use crate::plan::FieldValue;
    let known = |v: &FieldValue| match v {
        FieldValue::Known(v) => Some(v.clone()),
        FieldValue::Unknown(_) => None,
    };
    let triggers_qualified = function
        .props
        .iter()
        .filter(|(k, _)| k.starts_with("triggers[") && k.ends_with("].alias"))
        .all(|(_, v)| known(v).is_some_and(|v| !v.is_null()));
    let permissions_qualified = function
        .props
        .iter()
        .filter(|(k, _)| k.starts_with("permissions["))
        .all(|(_, v)| known(v).is_some_and(|v| v.get("qualifier").is_some()));
    let routes_qualified = observed
        .iter()
        .flat_map(|o| o.props.iter())
        .filter(|(k, _)| k.starts_with("routes["))
        .filter_map(|(_, v)| known(v))
        .filter_map(|v| v.as_str().map(str::to_string))
        .filter(|arn| function_of_arn(arn).0 == function.physical_name)
        .all(|arn| function_of_arn(&arn).1.is_some());
    triggers_qualified && permissions_qualified && routes_qualified
}

/// The stack as it runs now, for the "before" side of a plan's cost: resources the plan creates
/// are left out, and the fields that decide cost (memory, architecture, ephemeral storage,
/// provisioned concurrency, billing and capacity, PITR, a log group's retention and class) are
/// taken from what AWS reports.
/// Traffic assumptions are the spec's on both sides.
pub fn as_live(
    stack: &Stack,
    actions: &[crate::plan::ResourceAction],
    observed: &[crate::plan::ObservedResource],
) -> Stack {
    use crate::plan::{ActionKind, FieldValue};
    let mut live = stack.clone();
    let created: Vec<&ResourceId> = actions
        .iter()
        .filter(|a| a.action == ActionKind::Create)
        .map(|a| &a.id)
        .collect();
    live.resources.retain(|r| !created.contains(&&r.id));
    for resource in &mut live.resources {
        let Some(have) = observed.iter().find(|o| o.id == resource.id) else {
            continue;
        };
        let number = |field: &str| match have.props.get(field) {
            Some(FieldValue::Known(v)) => v.as_u64().and_then(|n| u32::try_from(n).ok()),
            _ => None,
        };
        let text = |field: &str| match have.props.get(field) {
            Some(FieldValue::Known(serde_json::Value::String(s))) => Some(s.clone()),
            _ => None,
        };
        // Provisioned concurrency serves only invocations of its alias: while the live
        // triggers, rule permissions or API routes still invoke `$LATEST`, none of the traffic
        // is served by it (it is billed all the same).
        let aliased = matches!(&resource.spec, ResourceSpec::Function(f) if f.alias.is_some());
        if aliased && !live_traffic_reaches_alias(have, observed) {
            if let Some(traffic) = &mut resource.traffic {
                traffic.provisioned_requests_per_month = Some(0);
            }
        }
        match &mut resource.spec {
            ResourceSpec::Function(f) => {
                if let Some(memory) = number("memorySize") {
                    f.memory_size = memory;
                }
                if let Some(storage) = number("ephemeralStorage") {
                    f.ephemeral_storage = storage;
                }
                match text("architecture").as_deref() {
                    Some("arm64") => f.architecture = Architecture::Arm64,
                    Some("x86_64") => f.architecture = Architecture::X86_64,
                    _ => {}
                }
                if let Some(alias) = &mut f.alias {
                    let base = format!("alias.{}", alias.name);
                    let schedules: Vec<crate::model::PcSchedule> = have
                        .props
                        .iter()
                        .filter_map(|(k, v)| {
                            let name = k
                                .strip_prefix(&format!("{base}.schedules["))?
                                .strip_suffix(']')?;
                            let FieldValue::Known(v) = v else { return None };
                            Some(crate::model::PcSchedule {
                                name: name.to_string(),
                                expression: v.get("schedule")?.as_str()?.to_string(),
                                timezone: v
                                    .get("timezone")
                                    .and_then(|t| t.as_str())
                                    .map(str::to_string),
                                min: u32::try_from(v.get("min")?.as_u64()?).ok()?,
                                max: u32::try_from(v.get("max")?.as_u64()?).ok()?,
                            })
                        })
                        .collect();
                    let baseline = number(&format!("{base}.provisionedConcurrency"));
                    alias.provisioned_concurrency = match (baseline, schedules.is_empty()) {
                        (None, true) => None,
                        (baseline, _) => Some(crate::model::ProvisionedConcurrency {
                            baseline: baseline.unwrap_or_else(|| {
                                alias
                                    .provisioned_concurrency
                                    .as_ref()
                                    .map_or(0, |pc| pc.baseline)
                            }),
                            schedules,
                            target_utilization: None,
                            max: None,
                        }),
                    };
                }
            }
            ResourceSpec::Table(t) => {
                t.billing = match (
                    text("billingMode").as_deref(),
                    number("readCapacity"),
                    number("writeCapacity"),
                ) {
                    (Some("PROVISIONED"), Some(read), Some(write)) => {
                        Billing::Provisioned { read, write }
                    }
                    (Some("PAY_PER_REQUEST"), _, _) => Billing::OnDemand,
                    _ => t.billing.clone(),
                };
                if let Some(FieldValue::Known(serde_json::Value::Bool(pitr))) =
                    have.props.get("pointInTimeRecovery")
                {
                    t.point_in_time_recovery = *pitr;
                }
                for index in &mut t.global_secondary_indexes {
                    let field = format!("globalSecondaryIndexes[{}]", index.name);
                    if let Some(FieldValue::Known(v)) = have.props.get(&field) {
                        let capacity = |k: &str| {
                            v.get(k)
                                .and_then(|n| n.as_u64())
                                .and_then(|n| u32::try_from(n).ok())
                        };
                        index.capacity = capacity("readCapacity").zip(capacity("writeCapacity"));
                    }
                }
            }
            ResourceSpec::LogGroup(g) => {
                // Retention and class decide what the logs cost; "never" is no retention.
                match (number("retentionDays"), text("retentionDays")) {
                    (Some(days), _) => g.retention_days = Some(days),
                    (None, Some(_)) => g.retention_days = None,
                    (None, None) => {}
                }
                match text("class").as_deref() {
                    Some("INFREQUENT_ACCESS") => g.class = LogGroupClass::InfrequentAccess,
                    Some("STANDARD") => g.class = LogGroupClass::Standard,
                    _ => {}
                }
            }
            _ => {}
        }
    }
    live
}
