//! CloudWatch: what each log group costs from the traffic of the functions that write to it
//! (CloudWatch Logs), and what each alarm costs by the metrics it reads ([`alarm_lines`]).
//!
//! Ingested GB a month = Σ invocations × `logBytesPerInvocation` of its functions. Stored GB at
//! steady state = ingested GB × retention / 30 days × the compression assumption of the price
//! table (CloudWatch bills compressed bytes). A group that never expires has no steady state:
//! it is priced as it stands after a year, with a note. The account's free GB are shared among
//! the groups in proportion to their ingestion, like SQS's free requests.

use super::{CostLine, Prices};
use crate::model::{LogGroupClass, Reference, ResourceId, ResourceSpec, Stack};

/// Months of events a never-expiring group is priced with.
const NEVER_EXPIRE_MONTHS: f64 = 12.0;

/// The GB a month each log group ingests, from its functions' traffic.
fn ingested_gb(stack: &Stack, group: &ResourceId, prices: &Prices) -> f64 {
    let derived_from = stack.get(group).and_then(|g| g.derived_from.as_ref());
    let shared = Reference::Stack(group.clone());
    stack
        .resources
        .iter()
        .filter(|r| match &r.spec {
            ResourceSpec::Function(f) => {
                Some(&r.id) == derived_from || f.logging.log_group.as_ref() == Some(&shared)
            }
            _ => false,
        })
        .filter_map(|r| r.traffic.as_ref())
        .map(|t| t.requests_per_month as f64 * t.log_bytes_per_invocation)
        .sum::<f64>()
        / prices.logs.bytes_per_gb
}

pub(super) fn log_lines(stack: &Stack, prices: &Prices, notes: &mut Vec<String>) -> Vec<CostLine> {
    let p = &prices.logs;
    let groups: Vec<(&ResourceId, f64, LogGroupClass, Option<u32>)> = stack
        .resources
        .iter()
        .filter_map(|r| match &r.spec {
            ResourceSpec::LogGroup(g) => Some((
                &r.id,
                ingested_gb(stack, &r.id, prices),
                g.class,
                g.retention_days,
            )),
            _ => None,
        })
        .collect();
    let total: f64 = groups.iter().map(|g| g.1).sum();
    let free = p.free_gb.min(total);
    let mut lines = Vec::new();
    for (id, gb, class, retention) in groups {
        if gb <= 0.0 {
            continue;
        }
        let ingestion = match class {
            LogGroupClass::Standard => p.ingestion_per_gb,
            LogGroupClass::InfrequentAccess => p.infrequent_access_ingestion_per_gb,
        };
        lines.push(
            CostLine::new(id, "log ingestion", gb, "GB", ingestion).with_free(free * gb / total),
        );
        let months = match retention {
            Some(days) => f64::from(days) / 30.0,
            None => {
                notes.push(format!(
                    "{id} never expires: its storage grows by {:.3} GB every month; priced as it stands after a year",
                    gb * p.stored_bytes_per_ingested_byte
                ));
                NEVER_EXPIRE_MONTHS
            }
        };
        lines.push(CostLine::new(
            id,
            "log storage (compressed)",
            gb * months * p.stored_bytes_per_ingested_byte,
            "GB-months",
            p.storage_per_gb_month,
        ));
    }
    lines
}

/// CloudWatch alarms: each alarm's metrics a month (a metric-math alarm reads several); the
/// account's free alarm metrics are shared among the alarms in proportion, like the free GB.
pub(super) fn alarm_lines(stack: &Stack, prices: &Prices) -> Vec<CostLine> {
    let p = &prices.alarms;
    let alarms: Vec<(&ResourceId, f64)> = stack
        .resources
        .iter()
        .filter_map(|r| match &r.spec {
            ResourceSpec::Alarm(a) => Some((&r.id, a.metric.metric_count() as f64)),
            _ => None,
        })
        .collect();
    let total: f64 = alarms.iter().map(|a| a.1).sum();
    let free = p.free_metrics.min(total);
    alarms
        .into_iter()
        .map(|(id, metrics)| {
            CostLine::new(id, "alarm metrics", metrics, "metrics", p.per_metric_month)
                .with_free(free * metrics / total)
        })
        .collect()
}
