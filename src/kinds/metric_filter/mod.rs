//! The metric filter kind: the cold-start metric of a function, a CloudWatch Logs metric filter
//! on the function's own log group that turns the `Init Duration` of its REPORT records into a
//! custom metric (see `pattern`). Always derived (`function::derive`), never written.
//!
//! Metric filters cannot be tagged: the stack's own are those named `slsctl-<stack>-…` on the
//! log groups the stack owns, and slsctl never touches a filter of another name.
mod apply;
pub mod aws;
pub(crate) mod observe;
pub mod pattern;
mod props;
mod validate;
pub mod wire;

use super::{kind_module, stateless, EventKey, TypedKind};
use crate::aws::permissions::Through;
use crate::model::{
    DerivedOrder, Function, Kind, MetricFilter, Resource, ResourceId, ResourceSpec, Stack,
};
use crate::plan::KindRules;

kind_module! {
    /// A function's cold-start metric filter (derived by slsctl; not written in a spec).
    // PutMetricFilter filterName: 1–512 characters.
    pub struct MetricFilterKind: wire::MetricFilterSpecWire => MetricFilter, arn "logs", name_limit 512;
}

impl TypedKind for MetricFilterKind {
    const EVENT_KEY: Option<EventKey> = Some(EventKey::Name("logs:metric-filter"));
    const CHANGES_THROUGH: &'static [Through] = &[Through::Service("logs")];
    // A filter lives on its log group: moving it to another group is a new filter.
    const RULES: KindRules = stateless(
        5,
        &[("logGroup", "a metric filter belongs to one log group")],
    );
    const TAGGED: bool = false;
    const WRITABLE: bool = false;
}

/// What starts the name of every metric filter slsctl makes for `stack`: how its own are told
/// from anyone else's on a log group.
pub fn name_prefix(stack: &str) -> String {
    format!("slsctl-{stack}-cold-start-")
}

/// The namespace of the stack's custom metrics.
pub fn namespace(stack: &str) -> String {
    format!("slsctl/{stack}")
}

/// The custom metric of a function's cold starts: one sample per cold start, its value the
/// init duration in milliseconds, so its `SampleCount` counts cold starts and its average and
/// percentiles measure them. Named per function rather than given a `FunctionName` dimension:
/// a metric filter takes a dimension's value from a field of the log event, and a REPORT
/// record does not carry the function's name.
pub fn metric_name(function_physical_name: &str) -> String {
    format!("InitDuration/{function_physical_name}")
}

/// `MetricFilter/<function>`: the cold-start filter on the function's own log group
/// (`LogGroup/<function>`), created after that group and after the function it measures: the
/// function needs its log group before it runs, not the filter, so a filter (or CloudWatch
/// Logs' quota for its call) never holds up the function. A function that logs to a shared group
/// (`logging.logGroup`) gets none: its REPORT records cannot be told from those of the other
/// functions writing there, so the metric would count theirs too.
pub(crate) fn for_function(stack: &Stack, resource: &Resource, f: &Function) -> Vec<Resource> {
    if f.logging.log_group.is_some() {
        return Vec::new();
    }
    let log_group = ResourceId::new(Kind::LogGroup, resource.id.name.clone());
    vec![Resource {
        id: ResourceId::new(Kind::MetricFilter, resource.id.name.clone()),
        physical_name: format!("{}{}", name_prefix(&stack.name), resource.id.name),
        deletion_policy: crate::model::DeletionPolicy::Delete,
        ignore_changes: Vec::new(),
        adopt: false,
        labels: resource.labels.clone(),
        origin: resource.origin.clone(),
        spec: ResourceSpec::MetricFilter(MetricFilter {
            log_group: crate::kinds::function::derive::default_log_group_name(
                &resource.physical_name,
            ),
            function_name: resource.physical_name.clone(),
            log_format: f.logging.format,
        }),
        traffic: None,
        depends_on: vec![log_group],
        order: DerivedOrder::After,
        derived_from: Some(resource.id.clone()),
    }]
}
