//! `/metrics`: the Prometheus text exposition, written by `prometheus-client`, which escapes
//! label values. Everything but the reconcile durations is read from the controller's status and
//! counters at each scrape.

use std::collections::BTreeMap;

use prometheus_client::encoding::{prometheus_text, EncodeLabelSet};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use super::Controller;

/// `stack="…"`: one stack's series.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StackLabel {
    stack: String,
}

/// `service="…",operation="…"`: one AWS API operation's series.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    service: String,
    operation: String,
}

/// `reason="…"`: why reconciles ran (`poll`, `resync`, `event`, `retry`, `manual`, `webhook`,
/// `leader`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: String,
}

/// `outcome="…"`: what became of an event message.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EventOutcomeLabel {
    outcome: String,
}

/// `stack="…",outcome="…"`: the reconcile duration histogram's series. The outcome is one of a
/// few fixed words (`success` or the failure's class), never a message.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    stack: String,
    outcome: String,
}

/// Reconcile duration buckets, in seconds: a no-change resync of a small stack takes a fraction
/// of a second, a first apply that creates functions and waits for them minutes.
const DURATION_BUCKETS: [f64; 12] = [
    0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0,
];

fn duration_histogram() -> Histogram {
    Histogram::new(DURATION_BUCKETS)
}

/// How long reconciles took, by stack and outcome: the one metric kept between scrapes (the
/// others are read from the controller's status at each scrape).
#[derive(Clone, Debug)]
pub struct Durations(Family<OutcomeLabels, Histogram, fn() -> Histogram>);

impl Default for Durations {
    fn default() -> Self {
        Durations(Family::new_with_constructor(duration_histogram))
    }
}

impl Durations {
    pub fn observe(&self, stack: &str, outcome: &str, took: std::time::Duration) {
        self.0
            .get_or_create(&OutcomeLabels {
                stack: stack.to_string(),
                outcome: outcome.to_string(),
            })
            .observe(took.as_secs_f64());
    }
}

/// What `/metrics` shows besides the durations, read at one scrape.
struct Scrape {
    status: BTreeMap<String, super::StackStatus>,
    calls: BTreeMap<String, u64>,
    throttles: BTreeMap<String, u64>,
    queue_depth: usize,
    leader: bool,
    by_reason: super::schedule::Counts,
    events: BTreeMap<&'static str, u64>,
}

fn gauge_value(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Scrape {
    /// The Prometheus text exposition (format 0.0.4), written by `prometheus-client`, which
    /// escapes label values (a stack or operation name with `"`, `\` or a newline cannot break
    /// the output). Counters are registered without `_total`: the encoder adds it.
    fn encode(&self, durations: &Durations) -> String {
        let mut registry = Registry::default();
        let per_stack = |value: &dyn Fn(&super::StackStatus) -> u64| {
            let family = Family::<StackLabel, Counter>::default();
            for (name, s) in &self.status {
                family
                    .get_or_create(&StackLabel {
                        stack: name.clone(),
                    })
                    .inc_by(value(s));
            }
            family
        };
        registry.register(
            "slsctl_reconciles",
            "Reconciles that completed, per stack",
            per_stack(&|s| s.reconciles),
        );
        registry.register(
            "slsctl_reconcile_failures",
            "Reconciles that failed, per stack",
            per_stack(&|s| s.failures),
        );
        registry.register(
            "slsctl_reconcile_duration_seconds",
            "How long reconciles took, per stack and outcome (success, or the class of failure)",
            durations.0.clone(),
        );
        let drifted = Family::<StackLabel, Gauge>::default();
        for (name, s) in &self.status {
            drifted
                .get_or_create(&StackLabel {
                    stack: name.clone(),
                })
                .set(gauge_value(s.last_plan.as_ref().map_or(0, |p| p.changes())));
        }
        registry.register(
            "slsctl_drifted_resources",
            "Resources the last plan would change, per stack",
            drifted,
        );
        registry.register(
            "slsctl_aws_calls",
            "AWS API calls, by service and operation",
            by_operation(&self.calls),
        );
        registry.register(
            "slsctl_aws_throttles",
            "AWS throttling answers, by service and operation (every attempt, retried ones included)",
            by_operation(&self.throttles),
        );
        let by_reason = |counts: &BTreeMap<super::schedule::Reason, u64>| {
            let family = Family::<ReasonLabel, Counter>::default();
            // Every reason, zeros included: a rate over a series that appears late is wrong.
            for reason in super::schedule::Reason::ALL {
                family
                    .get_or_create(&ReasonLabel {
                        reason: reason.as_str().to_string(),
                    })
                    .inc_by(counts.get(&reason).copied().unwrap_or(0));
            }
            family
        };
        registry.register(
            "slsctl_reconciles_by_reason",
            "Reconciles run, by why: poll (a new revision), resync, event (CloudTrail), retry (after a failure), manual, webhook, leader (at start, or on taking the stack's lease)",
            by_reason(&self.by_reason.reconciles),
        );
        registry.register(
            "slsctl_aws_calls_by_reason",
            "AWS API calls reconciles made, by why they ran (as slsctl_reconciles_by_reason)",
            by_reason(&self.by_reason.calls),
        );
        let polls = Counter::<u64>::default();
        polls.inc_by(self.by_reason.polls);
        registry.register(
            "slsctl_source_polls",
            "Polls of the stacks' sources (one git ls-remote or one S3 listing each)",
            polls,
        );
        let events = Family::<EventOutcomeLabel, Counter>::default();
        for (outcome, count) in &self.events {
            events
                .get_or_create(&EventOutcomeLabel {
                    outcome: outcome.to_string(),
                })
                .inc_by(*count);
        }
        registry.register(
            "slsctl_events",
            "CloudTrail event messages handled, by outcome: queued, own (the controller's calls), failed_call, unowned, other, malformed",
            events,
        );
        let depth = Gauge::<i64>::default();
        depth.set(gauge_value(self.queue_depth));
        registry.register(
            "slsctl_queue_depth",
            "Stacks waiting in the work queue",
            depth,
        );
        let leader = Gauge::<i64>::default();
        leader.set(i64::from(self.leader));
        registry.register(
            "slsctl_leader",
            "1 when this replica holds the lease",
            leader,
        );
        let mut out = String::new();
        // Writing to a String does not fail; an encoder error would be a bug in the crate.
        if let Err(e) = prometheus_text::encode(&mut out, &registry) {
            tracing::warn!(error = %e, "cannot encode the metrics");
        }
        out
    }
}

/// Prometheus text exposition.
pub fn metrics(controller: &Controller) -> String {
    Scrape {
        status: controller.status(),
        calls: controller.clients.calls.snapshot(),
        throttles: controller.clients.throttles.snapshot(),
        queue_depth: controller.queue_depth(),
        leader: controller.is_leader(),
        by_reason: controller.schedule_counts(),
        events: controller.event_counts(),
    }
    .encode(&controller.durations)
}

/// Counts of `service:Operation` keys as one counter family with both labels.
fn by_operation(counts: &BTreeMap<String, u64>) -> Family<OperationLabels, Counter> {
    let family = Family::<OperationLabels, Counter>::default();
    for (key, count) in counts {
        let (service, operation) = key.split_once(':').unwrap_or(("aws", key.as_str()));
        family
            .get_or_create(&OperationLabels {
                service: service.to_string(),
                operation: operation.to_string(),
            })
            .inc_by(*count);
    }
    family
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrape(stack: &str, operation: &str) -> Scrape {
        let status = super::super::StackStatus {
            reconciles: 3,
            failures: 1,
            ..Default::default()
        };
        Scrape {
            status: BTreeMap::from([(stack.to_string(), status)]),
            calls: BTreeMap::from([(operation.to_string(), 7)]),
            throttles: BTreeMap::from([(operation.to_string(), 2)]),
            queue_depth: 2,
            leader: true,
            by_reason: super::super::schedule::Counts {
                reconciles: BTreeMap::from([(super::super::schedule::Reason::Event, 4)]),
                calls: BTreeMap::from([(super::super::schedule::Reason::Event, 90)]),
                polls: 12,
            },
            events: BTreeMap::from([("queued", 4), ("own", 9)]),
        }
    }

    /// One sample line of the text format: a name, optional `{name="value",…}` with `\\`,
    /// `\"` and `\n` the only escapes, a space and a number.
    fn is_sample(line: &str) -> bool {
        let name_end = line
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(line.len());
        let (name, mut rest) = line.split_at(name_end);
        if name.is_empty() {
            return false;
        }
        if let Some(labels) = rest.strip_prefix('{') {
            rest = labels;
            loop {
                let Some((label, value)) = rest.split_once("=\"") else {
                    return false;
                };
                if label.is_empty() || !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    return false;
                }
                let mut chars = value.char_indices();
                let end = loop {
                    match chars.next() {
                        Some((_, '\\')) => match chars.next() {
                            Some((_, '\\' | '"' | 'n')) => {}
                            _ => return false,
                        },
                        Some((i, '"')) => break i,
                        Some((_, '\n')) | None => return false,
                        Some(_) => {}
                    }
                };
                rest = &value[end + 1..];
                if let Some(more) = rest.strip_prefix(',') {
                    rest = more;
                } else if let Some(after) = rest.strip_prefix('}') {
                    rest = after;
                    break;
                } else {
                    return false;
                }
            }
        }
        rest.strip_prefix(' ')
            .is_some_and(|v| v == "+Inf" || v.parse::<f64>().is_ok())
    }

    #[test]
    fn the_exposition_keeps_its_names_and_adds_the_duration_histogram() {
        let durations = Durations::default();
        durations.observe("s", "success", std::time::Duration::from_millis(300));
        durations.observe("s", "invalid_spec", std::time::Duration::from_secs(20));
        let text = scrape("s", "sqs:GetQueueUrl").encode(&durations);
        for line in [
            "# TYPE slsctl_reconciles_total counter",
            "slsctl_reconciles_total{stack=\"s\"} 3",
            "slsctl_reconcile_failures_total{stack=\"s\"} 1",
            "slsctl_drifted_resources{stack=\"s\"} 0",
            "slsctl_aws_calls_total{service=\"sqs\",operation=\"GetQueueUrl\"} 7",
            "slsctl_aws_throttles_total{service=\"sqs\",operation=\"GetQueueUrl\"} 2",
            "slsctl_queue_depth 2",
            "slsctl_leader 1",
            "slsctl_reconciles_by_reason_total{reason=\"event\"} 4",
            "slsctl_reconciles_by_reason_total{reason=\"poll\"} 0",
            "slsctl_aws_calls_by_reason_total{reason=\"event\"} 90",
            "slsctl_aws_calls_by_reason_total{reason=\"resync\"} 0",
            "slsctl_source_polls_total 12",
            "slsctl_events_total{outcome=\"queued\"} 4",
            "slsctl_events_total{outcome=\"own\"} 9",
            "# TYPE slsctl_reconcile_duration_seconds histogram",
            "slsctl_reconcile_duration_seconds_bucket{stack=\"s\",outcome=\"success\",le=\"0.25\"} 0",
            "slsctl_reconcile_duration_seconds_bucket{stack=\"s\",outcome=\"success\",le=\"0.5\"} 1",
            "slsctl_reconcile_duration_seconds_bucket{stack=\"s\",outcome=\"invalid_spec\",le=\"10\"} 0",
            "slsctl_reconcile_duration_seconds_bucket{stack=\"s\",outcome=\"invalid_spec\",le=\"30\"} 1",
            "slsctl_reconcile_duration_seconds_bucket{stack=\"s\",outcome=\"invalid_spec\",le=\"+Inf\"} 1",
            "slsctl_reconcile_duration_seconds_count{stack=\"s\",outcome=\"success\"} 1",
            "slsctl_reconcile_duration_seconds_sum{stack=\"s\",outcome=\"invalid_spec\"} 20.0",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
        assert!(
            text.lines().all(|l| l.starts_with("# ") || is_sample(l)),
            "{text}"
        );
    }

    #[test]
    fn label_values_with_quotes_backslashes_and_newlines_are_escaped() {
        let stack = "we\"ird\\stack\nname";
        let durations = Durations::default();
        durations.observe(stack, "success", std::time::Duration::from_millis(300));
        let text = scrape(stack, "sqs:Get\"Queue\\Url\nX").encode(&durations);
        let escaped = r#"we\"ird\\stack\nname"#;
        for line in [
            format!("slsctl_reconciles_total{{stack=\"{escaped}\"}} 3"),
            format!("slsctl_drifted_resources{{stack=\"{escaped}\"}} 0"),
            format!("slsctl_reconcile_duration_seconds_count{{stack=\"{escaped}\",outcome=\"success\"}} 1"),
            r#"slsctl_aws_calls_total{service="sqs",operation="Get\"Queue\\Url\nX"} 7"#.to_string(),
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
        // Nothing a value holds ends a line or a value early: every line is still a comment or
        // one whole sample.
        for line in text.lines() {
            assert!(
                line.starts_with("# ") || is_sample(line),
                "{line:?} in\n{text}"
            );
        }
        assert!(
            !is_sample("slsctl_reconciles_total{stack=\"we\"ird\"} 3"),
            "the checker checks"
        );
    }
}
