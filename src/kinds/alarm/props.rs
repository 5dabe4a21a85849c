//! The props an Alarm wants, written the way observation reads DescribeAlarms back: one prop per
//! field of PutMetricAlarm, so that any difference plans one Update (one PutMetricAlarm with
//! everything, which replaces the whole alarm).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use crate::kinds::desired::Wanted;
use crate::model::{Alarm, AlarmMetric, MetricQuery};
use crate::plan::{Props, SetProp};

/// The id of a metric-math alarm's expression among its queries.
pub const EXPRESSION_ID: &str = "e";

/// The props the spec wants for one Alarm, ownership tags aside.
pub(crate) fn props(w: &Wanted<'_, Alarm>, props: &mut Props, _sensitive: &mut BTreeSet<String>) {
    let a = w.model;
    let single = match &a.metric {
        AlarmMetric::Single(m) => Some(m),
        AlarmMetric::Math { .. } => None,
    };
    props.set("namespace", single.map_or("", |m| m.namespace.as_str()));
    props.set("metricName", single.map_or("", |m| m.metric_name.as_str()));
    props.set(
        "dimensions",
        single.map_or_else(|| json!({}), |m| dimensions(&m.dimensions)),
    );
    props.set("statistic", single.map_or("", |m| m.statistic.as_str()));
    props.set(
        "metrics",
        match &a.metric {
            AlarmMetric::Single(_) => json!([]),
            AlarmMetric::Math {
                expression,
                metrics,
            } => math(expression, metrics, a.period),
        },
    );
    props.set("period", a.period);
    props.set("evaluationPeriods", a.evaluation_periods);
    props.set("threshold", a.threshold);
    props.set("comparison", a.comparison.as_str());
    props.set("treatMissingData", a.treat_missing_data.as_str());
    let mut actions = a.actions.clone();
    actions.sort();
    props.set("alarmActions", actions.clone());
    props.set("okActions", actions);
    props.set("description", a.description.as_str());
}

/// Dimensions as one object: CloudWatch matches them as a set, and answers in its own order.
pub fn dimensions(dimensions: &[(String, String)]) -> Value {
    let sorted: BTreeMap<&str, &str> = dimensions
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    json!(sorted)
}

/// A metric-math alarm's queries as the `metrics` prop holds them: the expression first, then
/// each metric by id (ids sorted), as observation rebuilds them from DescribeAlarms.
pub fn math(expression: &str, metrics: &[(String, MetricQuery)], period: u32) -> Value {
    let mut queries = vec![query_expression(expression)];
    let mut sorted: Vec<&(String, MetricQuery)> = metrics.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    for (id, m) in sorted {
        queries.push(query_metric(
            id,
            &m.namespace,
            &m.metric_name,
            dimensions(&m.dimensions),
            &m.statistic,
            period,
        ));
    }
    Value::Array(queries)
}

pub fn query_expression(expression: &str) -> Value {
    json!({"id": EXPRESSION_ID, "expression": expression})
}

pub fn query_metric(
    id: &str,
    namespace: &str,
    metric_name: &str,
    dimensions: Value,
    stat: &str,
    period: u32,
) -> Value {
    json!({
        "id": id,
        "namespace": namespace,
        "metricName": metric_name,
        "dimensions": dimensions,
        "stat": stat,
        "period": period,
    })
}
