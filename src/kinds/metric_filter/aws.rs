//! CloudWatch Logs metric filters: read them back as props, put and delete them.

use aws_sdk_cloudwatchlogs::types::{MetricTransformation, StandardUnit};

use crate::aws::error::{found_or_none, AwsError, Classified};
use crate::aws::{all_items, Clients};
use crate::kinds::context::built;
use crate::plan::{Props, SetProp};

/// A metric filter as DescribeMetricFilters reports it.
#[derive(Clone, Debug)]
pub struct LiveFilter {
    pub name: String,
    pub log_group: String,
    pub props: Props,
}

/// The filters on `log_group` whose names start with `prefix`. A log group that is gone has
/// none.
pub async fn describe(
    clients: &Clients,
    log_group: &str,
    prefix: &str,
) -> Result<Vec<LiveFilter>, AwsError> {
    let listed = found_or_none(all_items!(clients
        .logs
        .describe_metric_filters()
        .log_group_name(log_group)
        .filter_name_prefix(prefix)))?
    .unwrap_or_default();
    let mut filters: Vec<LiveFilter> = Vec::new();
    for f in listed {
        let Some(name) = f.filter_name() else {
            continue;
        };
        let mut props = Props::new();
        props.set("logGroup", log_group);
        props.set("filterPattern", f.filter_pattern().unwrap_or_default());
        if let Some(t) = f.metric_transformations().first() {
            let mut metric =
                super::props::metric(t.metric_namespace(), t.metric_name(), t.metric_value());
            // No unit reads as `None`, what PutMetricFilter sets when given none.
            metric["unit"] = t.unit().map_or("None", |u| u.as_str()).into();
            props.set("metric", metric);
        }
        // The emulator keeps every PutMetricFilter of one name where CloudWatch Logs replaces
        // the filter: the last one put is the one in force.
        filters.retain(|seen| seen.name != name);
        filters.push(LiveFilter {
            name: name.to_string(),
            log_group: log_group.to_string(),
            props,
        });
    }
    Ok(filters)
}

/// Put (create or replace) the filter `name` on `log_group`: the pattern and the one metric
/// transformation the props hold.
pub async fn put(
    clients: &Clients,
    log_group: &str,
    name: &str,
    pattern: &str,
    namespace: &str,
    metric: &str,
    value: &str,
) -> Result<(), AwsError> {
    let transformation = built(
        MetricTransformation::builder()
            .metric_namespace(namespace)
            .metric_name(metric)
            .metric_value(value)
            .unit(StandardUnit::Milliseconds)
            .build(),
    )?;
    clients
        .logs
        .put_metric_filter()
        .log_group_name(log_group)
        .filter_name(name)
        .filter_pattern(pattern)
        .metric_transformations(transformation)
        .send()
        .await
        .done()
}

/// Delete the filter; one already gone (or whose log group is) is done.
pub async fn delete(clients: &Clients, log_group: &str, name: &str) -> Result<(), AwsError> {
    clients
        .logs
        .delete_metric_filter()
        .log_group_name(log_group)
        .filter_name(name)
        .send()
        .await
        .done_or_gone()
}
