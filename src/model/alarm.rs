//! The domain types of alarms: the settings a spec writes (`alarms:`, the Stack's
//! `observability.alarms`) and the alarms derived from them (`kinds::alarm::derive`).

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Kind, ResourceId};

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

// The checks each watched kind has: shared vocabulary, read by the Stack's checks (`spec`) and
// by the alarms' derivation (`kinds::alarm`).

/// One check of a kind: what it reads and its defaults.
pub struct CheckDef {
    pub name: &'static str,
    /// What it watches, for the alarm's description.
    pub what: &'static str,
    pub comparison: &'static str,
    pub period: u32,
    pub evaluation_periods: u32,
}

const fn check(
    name: &'static str,
    what: &'static str,
    period: u32,
    evaluation_periods: u32,
) -> CheckDef {
    CheckDef {
        name,
        what,
        comparison: "GreaterThanThreshold",
        period,
        evaluation_periods,
    }
}

/// A function's checks.
pub const FUNCTION_CHECKS: &[CheckDef] = &[
    check("errorRate", "error rate (%)", 60, 3),
    check("throttles", "throttled invocations", 60, 5),
    check("duration", "p99 duration (ms)", 60, 15),
    check(
        "spillover",
        "provisioned-concurrency spillover invocations",
        60,
        5,
    ),
];
pub const QUEUE_CHECKS: &[CheckDef] = &[
    check("age", "age of the oldest message (s)", 60, 15),
    check("deadLetters", "messages in the dead-letter queue", 60, 1),
];
pub const API_CHECKS: &[CheckDef] = &[
    check(
        "serverErrors",
        "5XX error rate (fraction of requests)",
        60,
        3,
    ),
    check("latency", "p99 latency (ms)", 60, 5),
];
pub const TABLE_CHECKS: &[CheckDef] = &[
    check("throttles", "read and write throttle events", 60, 5),
    check("systemErrors", "system errors", 60, 15),
];
pub const RULE_CHECKS: &[CheckDef] = &[
    check("failedInvocations", "failed invocations", 60, 1),
    check("sentToDeadLetter", "events sent to the target's DLQ", 60, 1),
];

/// The checks of a kind (none for a kind that is not watched).
pub fn checks_of(kind: Kind) -> &'static [CheckDef] {
    match kind {
        Kind::Function => FUNCTION_CHECKS,
        Kind::Queue => QUEUE_CHECKS,
        Kind::Api => API_CHECKS,
        Kind::Table => TABLE_CHECKS,
        Kind::Rule => RULE_CHECKS,
        _ => &[],
    }
}
