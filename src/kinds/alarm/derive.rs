//! The alarms each watched resource derives: its kind's checks ([`checks_of`]), each with a
//! default threshold, period and evaluation periods ([`Check`]), overridden by the Stack's
//! `observability.alarms.<Kind>.<check>` and then by the resource's own `alarms.<check>`, or
//! `disabled`.
//!
//! Periods and evaluation periods follow the CloudWatch User Guide's "Recommended alarms" for
//! each metric where it gives them; thresholds it leaves to the user are chosen here and
//! documented in docs/spec.md (the checks table).

use crate::model::*;

pub use crate::model::checks_of;

/// A function's p99 duration alarms at this share of its timeout: past it, invocations are
/// close to being cut off.
pub const DURATION_SHARE_OF_TIMEOUT: f64 = 0.8;
/// A function's error rate (in %) that alarms.
pub const ERROR_RATE_PERCENT: f64 = 5.0;
/// The age (s) of a queue's oldest message that alarms: a consumer 15 minutes behind is not
/// keeping up (an operational judgement; set `alarms.age.threshold` per queue).
pub const QUEUE_AGE_SECONDS: f64 = 900.0;
/// API Gateway's 5XXError average is the share of requests that failed: 5 % (the CloudWatch
/// User Guide's recommended threshold).
pub const API_5XX_RATE: f64 = 0.05;
/// API Gateway cuts a Lambda integration off after 29 s.
pub const API_INTEGRATION_TIMEOUT_MS: f64 = 29_000.0;
/// The DynamoDB operations whose SystemErrors are summed (the metric has no table-wide series:
/// its dimensions are TableName and Operation); the data-plane operations functions use.
pub const TABLE_OPERATIONS: [&str; 8] = [
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "BatchWriteItem",
];

/// The id of the alarm of `check` on `subject`: `Alarm/<Kind>/<name>/<check>`. A resource name
/// never holds `/`, and kinds and checks are fixed words, so no two alarms share an id.
pub fn alarm_id(subject: &ResourceId, check: &str) -> ResourceId {
    ResourceId::new(
        Kind::Alarm,
        format!("{}/{}/{check}", subject.kind, subject.name),
    )
}

/// `<stack>-<kind>-<name>-<check>`, at most 255 characters (PutMetricAlarm's limit): the
/// start and a digest of the whole when longer, so that long names stay distinct. Every alarm
/// of the stack starts with `<stack>-`, which the observation's one listing filters on.
pub fn alarm_name(stack: &str, subject: &ResourceId, check: &str) -> String {
    let name = format!(
        "{stack}-{}-{}-{check}",
        subject.kind.as_str().to_lowercase(),
        subject.name
    );
    if name.len() <= 255 {
        return name;
    }
    use sha2::{Digest, Sha256};
    let digest = crate::text::hex(&Sha256::digest(name.as_bytes()));
    let mut cut = 255 - 17;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}-{}", &name[..cut], &digest[..16])
}

fn metric(
    namespace: &str,
    name: &str,
    dimensions: &[(&str, &str)],
    statistic: &str,
) -> MetricQuery {
    MetricQuery {
        namespace: namespace.to_string(),
        metric_name: name.to_string(),
        dimensions: dimensions
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        statistic: statistic.to_string(),
    }
}

/// What one check of one resource reads, with its default threshold.
struct Watch {
    check: &'static str,
    metric: AlarmMetric,
    threshold: f64,
}

fn single(check: &'static str, metric: MetricQuery, threshold: f64) -> Watch {
    Watch {
        check,
        metric: AlarmMetric::Single(metric),
        threshold,
    }
}

/// The alarms of `resource` (a Function, Queue, Api, Table or Rule) in `stack`: each of its
/// checks that applies to it and is not disabled.
pub(crate) fn alarms_for(stack: &Stack, resource: &Resource) -> Vec<Resource> {
    let name = resource.physical_name.as_str();
    let (watches, own): (Vec<Watch>, &AlarmOverrides) = match &resource.spec {
        ResourceSpec::Function(f) => (function(name, f), &f.alarms),
        ResourceSpec::Queue(q) => (queue(stack, resource, name), &q.alarms),
        ResourceSpec::Api(a) => (api(stack, name, a), &a.alarms),
        ResourceSpec::Table(t) => (table(name), &t.alarms),
        ResourceSpec::Rule(r) => (rule(stack, name, r), &r.alarms),
        _ => return Vec::new(),
    };
    let stack_wide = stack.observability.alarms.get(&resource.id.kind);
    let mut alarms = Vec::new();
    for watch in watches {
        let Some(def) = checks_of(resource.id.kind)
            .iter()
            .find(|c| c.name == watch.check)
        else {
            continue;
        };
        let layers = [
            stack_wide.and_then(|s| s.get(watch.check)),
            own.get(watch.check),
        ];
        let mut threshold = watch.threshold;
        let (mut period, mut evaluation_periods) = (def.period, def.evaluation_periods);
        let mut disabled = false;
        for layer in layers.into_iter().flatten() {
            threshold = layer.threshold.unwrap_or(threshold);
            period = layer.period.unwrap_or(period);
            evaluation_periods = layer.evaluation_periods.unwrap_or(evaluation_periods);
            disabled = layer.disabled;
        }
        if disabled {
            continue;
        }
        let id = alarm_id(&resource.id, watch.check);
        alarms.push(Resource {
            physical_name: alarm_name(&stack.name, &resource.id, watch.check),
            id,
            deletion_policy: DeletionPolicy::Delete,
            ignore_changes: Vec::new(),
            adopt: false,
            labels: resource.labels.clone(),
            origin: resource.origin.clone(),
            spec: ResourceSpec::Alarm(Alarm {
                subject: resource.id.clone(),
                check: watch.check.to_string(),
                description: format!("{} of {} above {threshold} (slsctl)", def.what, resource.id),
                metric: watch.metric,
                period,
                evaluation_periods,
                threshold,
                comparison: def.comparison.to_string(),
                treat_missing_data: "notBreaching".to_string(),
                actions: stack.observability.alarm_actions.clone(),
            }),
            traffic: None,
            depends_on: Vec::new(),
            derived_from: Some(resource.id.clone()),
            // Created after what it watches: an alarm that cannot be made never holds up its
            // subject, and a subject that could not be made gets no alarm.
            order: DerivedOrder::After,
        });
    }
    alarms
}

/// [`alarms_for`] as each watched kind's `DERIVE` (or part of it) takes it.
pub(crate) fn for_resource<M>(stack: &Stack, resource: &Resource, _: &M) -> Vec<Resource> {
    alarms_for(stack, resource)
}

/// The `DERIVE` of a kind whose only derived resources are its alarms.
pub(crate) const fn its_alarms<K: crate::kinds::KindModule>() -> Option<crate::kinds::DeriveFn<K>> {
    Some(for_resource::<K::Model>)
}

fn function(name: &str, f: &Function) -> Vec<Watch> {
    let dims = [("FunctionName", name)];
    let mut watches = vec![
        Watch {
            check: "errorRate",
            metric: AlarmMetric::Math {
                // No invocations: no datapoint (a division by zero), which is not breaching.
                expression: "100 * errors / invocations".to_string(),
                metrics: vec![
                    (
                        "errors".to_string(),
                        metric("AWS/Lambda", "Errors", &dims, "Sum"),
                    ),
                    (
                        "invocations".to_string(),
                        metric("AWS/Lambda", "Invocations", &dims, "Sum"),
                    ),
                ],
            },
            threshold: ERROR_RATE_PERCENT,
        },
        single(
            "throttles",
            metric("AWS/Lambda", "Throttles", &dims, "Sum"),
            0.0,
        ),
        single(
            "duration",
            metric("AWS/Lambda", "Duration", &dims, "p99"),
            f64::from(f.timeout) * 1000.0 * DURATION_SHARE_OF_TIMEOUT,
        ),
    ];
    if let Some(alias) = f
        .alias
        .as_ref()
        .filter(|a| a.provisioned_concurrency.is_some())
    {
        let qualified = format!("{name}:{}", alias.name);
        watches.push(single(
            "spillover",
            metric(
                "AWS/Lambda",
                "ProvisionedConcurrencySpilloverInvocations",
                &[("FunctionName", name), ("Resource", &qualified)],
                "Sum",
            ),
            0.0,
        ));
    }
    watches
}

/// Whether `queue` is a dead-letter queue of anything in the stack: a queue's redrive, a
/// function's `deadLetter`, a rule target's DLQ.
pub fn is_dead_letter_queue(stack: &Stack, queue: &ResourceId) -> bool {
    let is = |reference: Option<&Reference>| matches!(reference, Some(Reference::Stack(id)) if id == queue);
    stack.resources.iter().any(|r| match &r.spec {
        ResourceSpec::Queue(q) => is(q.dead_letter.as_ref().map(|d| &d.queue)),
        ResourceSpec::Function(f) => is(f.dead_letter.as_ref()),
        ResourceSpec::Rule(rule) => rule.targets.iter().any(|t| is(t.dead_letter.as_ref())),
        _ => false,
    })
}

fn queue(stack: &Stack, resource: &Resource, name: &str) -> Vec<Watch> {
    let dims = [("QueueName", name)];
    // A dead-letter queue's messages wait for someone by design, so their age says nothing;
    // that it holds any is what matters.
    if is_dead_letter_queue(stack, &resource.id) {
        vec![single(
            "deadLetters",
            metric(
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                &dims,
                "Maximum",
            ),
            0.0,
        )]
    } else {
        vec![single(
            "age",
            metric("AWS/SQS", "ApproximateAgeOfOldestMessage", &dims, "Maximum"),
            QUEUE_AGE_SECONDS,
        )]
    }
}

fn api(stack: &Stack, name: &str, a: &Api) -> Vec<Watch> {
    let dims = [("ApiName", name), ("Stage", a.stage.as_str())];
    // The slowest route's function bounds the latency a healthy API shows; API Gateway's own
    // 29 s bounds the rest (a function outside the stack, or none).
    let slowest_ms = a
        .routes
        .iter()
        .filter_map(|route| match &route.function {
            Reference::Stack(id) => match stack.get(id).map(|r| &r.spec) {
                Some(ResourceSpec::Function(f)) => Some(f64::from(f.timeout) * 1000.0),
                _ => None,
            },
            Reference::Arn(_) => None,
        })
        .fold(None, |max: Option<f64>, t| {
            Some(max.map_or(t, |m| m.max(t)))
        })
        .unwrap_or(API_INTEGRATION_TIMEOUT_MS)
        .min(API_INTEGRATION_TIMEOUT_MS);
    vec![
        single(
            "serverErrors",
            metric("AWS/ApiGateway", "5XXError", &dims, "Average"),
            API_5XX_RATE,
        ),
        single(
            "latency",
            metric("AWS/ApiGateway", "Latency", &dims, "p99"),
            slowest_ms * DURATION_SHARE_OF_TIMEOUT,
        ),
    ]
}

fn table(name: &str) -> Vec<Watch> {
    let dims = [("TableName", name)];
    let errors: Vec<(String, MetricQuery)> = TABLE_OPERATIONS
        .iter()
        .map(|operation| {
            (
                operation.to_lowercase(),
                metric(
                    "AWS/DynamoDB",
                    "SystemErrors",
                    &[("TableName", name), ("Operation", operation)],
                    "Sum",
                ),
            )
        })
        .collect();
    let ids: Vec<&str> = errors.iter().map(|(id, _)| id.as_str()).collect();
    vec![
        Watch {
            check: "throttles",
            metric: AlarmMetric::Math {
                expression: "SUM([reads, writes])".to_string(),
                metrics: vec![
                    (
                        "reads".to_string(),
                        metric("AWS/DynamoDB", "ReadThrottleEvents", &dims, "Sum"),
                    ),
                    (
                        "writes".to_string(),
                        metric("AWS/DynamoDB", "WriteThrottleEvents", &dims, "Sum"),
                    ),
                ],
            },
            threshold: 0.0,
        },
        Watch {
            check: "systemErrors",
            metric: AlarmMetric::Math {
                expression: format!("SUM([{}])", ids.join(", ")),
                metrics: errors,
            },
            threshold: 0.0,
        },
    ]
}

fn rule(stack: &Stack, name: &str, r: &Rule) -> Vec<Watch> {
    let bus = crate::kinds::desired::rule_bus_name(stack, r);
    // A rule on a custom bus reports under the bus's name and its own.
    let mut dims = vec![("RuleName", name)];
    if bus != "default" {
        dims.insert(0, ("EventBusName", bus.as_str()));
    }
    let mut watches = vec![single(
        "failedInvocations",
        metric("AWS/Events", "FailedInvocations", &dims, "Sum"),
        0.0,
    )];
    if r.targets.iter().any(|t| t.dead_letter.is_some()) {
        watches.push(single(
            "sentToDeadLetter",
            metric("AWS/Events", "InvocationsSentToDlq", &dims, "Sum"),
            0.0,
        ));
    }
    watches
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(docs: &str) -> Stack {
        crate::kinds::test_stack(docs)
    }

    fn alarm<'a>(stack: &'a Stack, name: &str) -> Option<&'a Alarm> {
        match &stack.get(&ResourceId::new(Kind::Alarm, name))?.spec {
            ResourceSpec::Alarm(a) => Some(a),
            _ => None,
        }
    }

    const FUNCTION: &str = "apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {name: f}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {path: src}\n  role: \"arn:aws:iam::123456789012:role/r\"\n  timeout: 30\n";

    #[test]
    fn the_resource_overrides_the_stack_which_overrides_the_defaults() {
        let stack = load(&format!(
            "apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {{name: s}}\nspec:\n  observability:\n    alarmActions: [\"arn:aws:sns:us-east-1:123456789012:ops\"]\n    alarms:\n      Function: {{throttles: {{threshold: 2, period: 300}}, errorRate: {{threshold: 1}}, duration: {{disabled: true}}}}\n---\n{FUNCTION}  alarms:\n    errorRate: {{threshold: 3}}\n    duration: {{disabled: false}}\n"
        ));
        let throttles = alarm(&stack, "Function/f/throttles").unwrap();
        // The Stack's threshold and period, the default evaluation periods.
        assert_eq!(
            (
                throttles.threshold,
                throttles.period,
                throttles.evaluation_periods
            ),
            (2.0, 300, 5)
        );
        assert_eq!(
            throttles.actions,
            ["arn:aws:sns:us-east-1:123456789012:ops"]
        );
        // The resource's threshold over the Stack's.
        assert_eq!(
            alarm(&stack, "Function/f/errorRate").unwrap().threshold,
            3.0
        );
        // Disabled by the Stack, enabled again by the resource: 80 % of 30 s.
        assert_eq!(
            alarm(&stack, "Function/f/duration").unwrap().threshold,
            24_000.0
        );
        // No provisioned concurrency: no spillover alarm.
        assert!(alarm(&stack, "Function/f/spillover").is_none());
    }

    #[test]
    fn a_queue_is_watched_for_age_or_as_a_dead_letter_queue() {
        let stack = load(&format!(
            "apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {{name: s}}\nspec: {{}}\n---\n{FUNCTION}  deadLetter: {{queue: failed}}\n---\napiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {{name: jobs}}\nspec: {{}}\n---\napiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {{name: failed}}\nspec: {{}}\n"
        ));
        assert!(alarm(&stack, "Queue/jobs/age").is_some());
        assert!(alarm(&stack, "Queue/jobs/deadLetters").is_none());
        // A function's dead-letter queue.
        assert!(alarm(&stack, "Queue/failed/age").is_none());
        let dead = alarm(&stack, "Queue/failed/deadLetters").unwrap();
        assert_eq!(
            dead.metric,
            AlarmMetric::Single(metric(
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                &[("QueueName", "s-failed")],
                "Maximum"
            ))
        );
        // Alarms come after what they watch.
        let queue = stack.get(&ResourceId::new(Kind::Alarm, "Queue/failed/deadLetters"));
        assert_eq!(
            queue.unwrap().depends_on,
            [ResourceId::new(Kind::Queue, "failed")]
        );
    }

    #[test]
    fn alarm_names_are_bounded_and_distinct() {
        let subject = ResourceId::new(Kind::Function, "a".repeat(240));
        let a = alarm_name("orders", &subject, "errorRate");
        let b = alarm_name("orders", &subject, "throttles");
        assert_eq!(a.len(), 255);
        assert_ne!(a, b);
        assert!(a.starts_with("orders-function-"));
        let short = ResourceId::new(Kind::Queue, "jobs");
        assert_eq!(alarm_name("orders", &short, "age"), "orders-queue-jobs-age");
    }
}
