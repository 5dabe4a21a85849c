//! CloudWatch calls for alarms: one DescribeAlarms by the stack's name prefix lists them all
//! (100 per page), ListTagsForResource reads each one's tags, PutMetricAlarm creates or replaces
//! one whole, DeleteAlarms and the tag calls change the rest.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, Metric, MetricAlarm, MetricDataQuery, MetricStat, Statistic, Tag,
};
use serde_json::Value;

use super::props::{self, EXPRESSION_ID};
use crate::aws::error::{AwsError, Classified, ErrorKind};
use crate::aws::Clients;
use crate::kinds::context::{apply_tags, insert_tag_props, listed_tags, tag_list, TagChange};
use crate::plan::{FieldValue, Props, SetProp};

/// DescribeAlarms' largest page.
const PAGE: i32 = 100;

/// One alarm as DescribeAlarms reports it.
#[derive(Clone, Debug)]
pub struct LiveAlarm {
    pub name: String,
    pub arn: String,
    /// `OK`, `ALARM` or `INSUFFICIENT_DATA`.
    pub state: String,
    /// Every field the Alarm kind's props name, tags aside.
    pub props: Props,
}

/// The metric alarms whose names start with `prefix`, every page of 100.
pub async fn list(clients: &Clients, prefix: &str) -> Result<Vec<LiveAlarm>, AwsError> {
    let pages: Vec<_> = clients
        .cloudwatch
        .describe_alarms()
        .alarm_name_prefix(prefix)
        .max_records(PAGE)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .classified()?;
    let mut alarms: Vec<LiveAlarm> = pages
        .iter()
        .flat_map(|page| page.metric_alarms())
        .filter_map(live)
        .collect();
    alarms.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(alarms)
}

fn text(value: Option<&str>) -> FieldValue {
    FieldValue::known(value.unwrap_or_default())
}

fn sorted(list: &[String]) -> FieldValue {
    let mut list = list.to_vec();
    list.sort();
    FieldValue::known(list)
}

fn dimensions_of(dimensions: &[Dimension]) -> Value {
    let pairs: Vec<(String, String)> = dimensions
        .iter()
        .map(|d| {
            (
                d.name().unwrap_or_default().to_string(),
                d.value().unwrap_or_default().to_string(),
            )
        })
        .collect();
    props::dimensions(&pairs)
}

/// An alarm's props as the Alarm kind's props write them.
fn live(alarm: &MetricAlarm) -> Option<LiveAlarm> {
    let name = alarm.alarm_name()?.to_string();
    let mut props = Props::new();
    props.insert("namespace".into(), text(alarm.namespace()));
    props.insert("metricName".into(), text(alarm.metric_name()));
    props.set("dimensions", dimensions_of(alarm.dimensions()));
    let statistic = alarm
        .statistic()
        .map(|s| s.as_str())
        .or(alarm.extended_statistic());
    props.insert("statistic".into(), text(statistic));
    let mut period = alarm.period();
    let mut expressions = Vec::new();
    let mut metrics: Vec<(String, Value)> = Vec::new();
    for query in alarm.metrics() {
        let id = query.id().unwrap_or_default();
        if let Some(expression) = query.expression() {
            expressions.push(props::query_expression(expression));
        } else if let Some(stat) = query.metric_stat() {
            let metric = stat.metric();
            let stat_period = stat.period().unwrap_or_default();
            period = period.or(Some(stat_period));
            metrics.push((
                id.to_string(),
                props::query_metric(
                    id,
                    metric.and_then(|m| m.namespace()).unwrap_or_default(),
                    metric.and_then(|m| m.metric_name()).unwrap_or_default(),
                    dimensions_of(metric.map(|m| m.dimensions()).unwrap_or_default()),
                    stat.stat().unwrap_or_default(),
                    u32::try_from(stat_period).unwrap_or_default(),
                ),
            ));
        }
    }
    metrics.sort_by(|a, b| a.0.cmp(&b.0));
    expressions.extend(metrics.into_iter().map(|(_, query)| query));
    props.set("metrics", Value::Array(expressions));
    props.set("period", period.unwrap_or_default());
    props.set(
        "evaluationPeriods",
        alarm.evaluation_periods().unwrap_or_default(),
    );
    props.set("threshold", alarm.threshold().unwrap_or_default());
    props.insert(
        "comparison".into(),
        text(alarm.comparison_operator().map(|c| c.as_str())),
    );
    // CloudWatch's default when an alarm names none.
    props.set(
        "treatMissingData",
        alarm.treat_missing_data().unwrap_or("missing"),
    );
    props.insert("alarmActions".into(), sorted(alarm.alarm_actions()));
    props.insert("okActions".into(), sorted(alarm.ok_actions()));
    props.insert("description".into(), text(alarm.alarm_description()));
    Some(LiveAlarm {
        arn: alarm.alarm_arn().unwrap_or_default().to_string(),
        state: alarm
            .state_value()
            .map_or("INSUFFICIENT_DATA", |s| s.as_str())
            .to_string(),
        name,
        props,
    })
}

/// Read an alarm's tags into its props.
pub async fn with_tags(clients: &Clients, mut alarm: LiveAlarm) -> Result<LiveAlarm, AwsError> {
    let request = clients.cloudwatch.list_tags_for_resource();
    let output = request.resource_arn(&alarm.arn).send().await.classified()?;
    insert_tag_props(&mut alarm.props, &listed_tags(output.tags()));
    Ok(alarm)
}

fn known<'a>(props: &'a Props, field: &str) -> Option<&'a Value> {
    match props.get(field) {
        Some(FieldValue::Known(value)) => Some(value),
        _ => None,
    }
}

fn string<'a>(props: &'a Props, field: &str) -> &'a str {
    known(props, field)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn number(props: &Props, field: &str) -> Option<i32> {
    known(props, field)
        .and_then(Value::as_i64)
        .and_then(|n| i32::try_from(n).ok())
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn dimensions_from(value: Option<&Value>) -> Vec<Dimension> {
    value
        .and_then(Value::as_object)
        .map(|object| {
            object
                .iter()
                .map(|(name, value)| {
                    Dimension::builder()
                        .name(name)
                        .value(value.as_str().unwrap_or_default())
                        .build()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `Sum`, `Maximum`… go to Statistic, percentiles (`p99`) to ExtendedStatistic.
fn is_percentile(statistic: &str) -> bool {
    statistic.starts_with('p') || statistic.starts_with("tm")
}

/// Create or replace the alarm `name` as `want` (the Alarm kind's props) says: PutMetricAlarm
/// replaces every field at once. Tags go with a create only (`tags`); an existing alarm's tags
/// are changed by the tag calls.
pub async fn put(
    clients: &Clients,
    name: &str,
    want: &Props,
    tags: Option<HashMap<String, String>>,
) -> Result<(), AwsError> {
    let actions = strings(known(want, "alarmActions"));
    let ok_actions = strings(known(want, "okActions"));
    let mut put = clients
        .cloudwatch
        .put_metric_alarm()
        .alarm_name(name)
        .alarm_description(string(want, "description"))
        .actions_enabled(true)
        .set_alarm_actions(Some(actions))
        .set_ok_actions(Some(ok_actions))
        .evaluation_periods(number(want, "evaluationPeriods").unwrap_or(1))
        .threshold(
            known(want, "threshold")
                .and_then(Value::as_f64)
                .unwrap_or_default(),
        )
        .comparison_operator(ComparisonOperator::from(string(want, "comparison")))
        .treat_missing_data(string(want, "treatMissingData"));
    let period = number(want, "period").unwrap_or(60);
    let queries = known(want, "metrics")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if queries.is_empty() {
        let statistic = string(want, "statistic");
        put = put
            .namespace(string(want, "namespace"))
            .metric_name(string(want, "metricName"))
            .set_dimensions(Some(dimensions_from(known(want, "dimensions"))))
            .period(period);
        put = if is_percentile(statistic) {
            put.extended_statistic(statistic)
        } else {
            put.statistic(Statistic::from(statistic))
        };
    } else {
        for query in &queries {
            put = put.metrics(metric_query(query));
        }
    }
    if let Some(tags) = tags {
        let mut sorted: Vec<(String, String)> = tags.into_iter().collect();
        sorted.sort();
        for (key, value) in sorted {
            put = put.tags(Tag::builder().key(key).value(value).build());
        }
    }
    put.send().await.done()
}

/// One query of the `metrics` prop as PutMetricAlarm takes it: the expression is the alarm's
/// value (`ReturnData`), the metrics only feed it.
fn metric_query(query: &Value) -> MetricDataQuery {
    let field = |name: &str| query.get(name).and_then(Value::as_str).unwrap_or_default();
    let id = field("id");
    let builder = MetricDataQuery::builder().id(id);
    if let Some(expression) = query.get("expression").and_then(Value::as_str) {
        return builder
            .expression(expression)
            .return_data(id == EXPRESSION_ID)
            .build();
    }
    let metric = Metric::builder()
        .namespace(field("namespace"))
        .metric_name(field("metricName"))
        .set_dimensions(Some(dimensions_from(query.get("dimensions"))))
        .build();
    builder
        .metric_stat(
            MetricStat::builder()
                .metric(metric)
                .stat(field("stat"))
                .period(
                    query
                        .get("period")
                        .and_then(Value::as_i64)
                        .and_then(|p| i32::try_from(p).ok())
                        .unwrap_or(60),
                )
                .build(),
        )
        .return_data(false)
        .build()
}

/// Delete alarms by name (DeleteAlarms takes up to 100; one already gone is done).
pub async fn delete(clients: &Clients, names: &[&str]) -> Result<(), AwsError> {
    clients
        .cloudwatch
        .delete_alarms()
        .set_alarm_names(Some(names.iter().map(|n| n.to_string()).collect()))
        .send()
        .await
        .done_or_gone()
}

/// Tag changes (see [`TagChange::apply`]) on the alarm's ARN.
pub async fn tag(clients: &Clients, arn: &str, change: TagChange) -> Result<(), AwsError> {
    if arn.is_empty() {
        return Err(AwsError::new(
            "TagResource",
            ErrorKind::Other,
            "the alarm's ARN is unknown: it was not observed",
        ));
    }
    apply_tags!(
        change.try_map(tag_list)?,
        clients.cloudwatch,
        tag_resource / untag_resource,
        resource_arn(arn)
    )
}

/// The state of each alarm whose name starts with the stack's prefix (`<stack>-`), by name: the
/// controller's health reads it after an apply, one listing per 100 alarms; it matches the
/// names to the stack's own alarms itself.
pub async fn states(clients: &Clients, stack: &str) -> Result<BTreeMap<String, String>, AwsError> {
    Ok(list(clients, &super::observe::prefix(stack))
        .await?
        .into_iter()
        .map(|a| (a.name, a.state))
        .collect())
}
