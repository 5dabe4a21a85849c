//! The domain types of alarms: the settings a spec writes (`alarms:`, the Stack's
//! `observability.alarms`) and the alarms derived from them (`kinds::alarm::derive`).

use std::collections::BTreeMap;

use serde::Serialize;

use super::ResourceId;

/// Settings of alarm checks by check name, as a Stack's `observability.alarms` or a resource's
/// `alarms:` write them.
pub type AlarmOverrides = BTreeMap<String, AlarmOverride>;

/// What a spec changes of one alarm check; `None` keeps the default (or the Stack's).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmOverride {
    pub threshold: Option<f64>,
    pub period: Option<u32>,
    pub evaluation_periods: Option<u32>,
    pub disabled: bool,
}

/// A CloudWatch metric alarm on one resource of the stack, derived from it (never written): one
/// check (`errorRate`, `age`...) of its subject with the threshold, period and evaluation
/// periods the defaults, the Stack and the subject's `alarms:` give.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Alarm {
    /// The resource it watches.
    pub subject: ResourceId,
    /// The check's name, as `alarms:` keys it.
    pub check: String,
    pub description: String,
    pub metric: AlarmMetric,
    /// Seconds per datapoint (60 or a multiple of it: standard resolution).
    pub period: u32,
    pub evaluation_periods: u32,
    pub threshold: f64,
    /// As PutMetricAlarm spells it (`GreaterThanThreshold`).
    pub comparison: String,
    /// As PutMetricAlarm spells it (`notBreaching`).
    pub treat_missing_data: String,
    /// ARNs notified on ALARM and on OK (the Stack's `observability.alarmActions`).
    pub actions: Vec<String>,
}

/// What an alarm reads: one metric with a statistic, or an expression over several metrics
/// (metric math; the expression's id is `e`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum AlarmMetric {
    Single(MetricQuery),
    Math {
        expression: String,
        metrics: Vec<(String, MetricQuery)>,
    },
}

impl AlarmMetric {
    /// The metrics it reads, each billed as one alarm metric.
    pub fn metric_count(&self) -> usize {
        match self {
            AlarmMetric::Single(_) => 1,
            AlarmMetric::Math { metrics, .. } => metrics.len(),
        }
    }
}

/// One CloudWatch metric and the statistic read of it (`Sum`, `Maximum`, `Average`, or a
/// percentile such as `p99`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricQuery {
    pub namespace: String,
    pub metric_name: String,
    /// In the order AWS documents them for the metric.
    pub dimensions: Vec<(String, String)>,
    pub statistic: String,
}
