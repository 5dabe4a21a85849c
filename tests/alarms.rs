//! Alarms against the emulator: the example stack's alarms as CloudWatch holds them (metric,
//! dimensions, statistic, threshold), a threshold change planned as exactly one update, alarms
//! leaving with their function or with `disabled`. Through the strict layer (see
//! tests/engine.rs), so a request AWS would refuse fails here too.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use slsctl::apply::{apply, Quiet};
use slsctl::aws::Clients;
use slsctl::engine::prepare;
use slsctl::plan::{ActionKind, PlanOptions};
use support::stacks::{assert_empty_plan, converge, plan, rewrite, stack_dir};
use support::{create_role, unique, Emulator};

const ROLE: &str = "slsctl-test-role";

async fn clients() -> Clients {
    create_role(&Emulator::shared().endpoint, ROLE);
    support::stacks::strict_clients("alarms").await
}

fn function(name: &str, extra: &str) -> String {
    format!(
        "apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {{name: {name}}}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {{path: src}}\n  timeout: 20\n  role: arn:aws:iam::123456789012:role/{ROLE}\n{extra}---\n"
    )
}

/// One alarm as DescribeAlarms reports it: what the tests assert.
#[derive(Debug, PartialEq)]
struct Seen {
    /// `Namespace/MetricName` of a single-metric alarm; for metric math, the expression and
    /// each metric as `id=Namespace/MetricName stat`.
    metric: String,
    dimensions: BTreeMap<String, String>,
    statistic: String,
    threshold: f64,
    tags: BTreeMap<String, String>,
}

/// An alarm's metric, dimensions, statistic and threshold, as [`Seen`] shows them.
type Expected = (String, BTreeMap<String, String>, String, f64);

fn dims(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Every alarm whose name starts with `prefix`, by name, read back from CloudWatch.
async fn alarms(clients: &Clients, prefix: &str) -> BTreeMap<String, Seen> {
    let listed = clients
        .cloudwatch
        .describe_alarms()
        .alarm_name_prefix(prefix)
        .send()
        .await
        .unwrap();
    let mut seen = BTreeMap::new();
    for a in listed.metric_alarms() {
        let dimensions_of = |d: &[aws_sdk_cloudwatch::types::Dimension]| {
            d.iter()
                .map(|d| {
                    (
                        d.name().unwrap().to_string(),
                        d.value().unwrap().to_string(),
                    )
                })
                .collect::<BTreeMap<_, _>>()
        };
        let (metric, dimensions, statistic) = if a.metrics().is_empty() {
            (
                format!("{}/{}", a.namespace().unwrap(), a.metric_name().unwrap()),
                dimensions_of(a.dimensions()),
                a.statistic()
                    .map(|s| s.as_str().to_string())
                    .or(a.extended_statistic().map(String::from))
                    .unwrap(),
            )
        } else {
            let mut parts = Vec::new();
            let mut dimensions = BTreeMap::new();
            for q in a.metrics() {
                if let Some(e) = q.expression() {
                    parts.insert(0, e.to_string());
                } else {
                    let stat = q.metric_stat().unwrap();
                    let m = stat.metric().unwrap();
                    let mut own = dimensions_of(m.dimensions());
                    // The one dimension that differs between a math alarm's metrics.
                    let operation = own
                        .remove("Operation")
                        .map(|o| format!(" Operation={o}"))
                        .unwrap_or_default();
                    parts.push(format!(
                        "{}={}/{} {}{operation}",
                        q.id().unwrap(),
                        m.namespace().unwrap(),
                        m.metric_name().unwrap(),
                        stat.stat().unwrap()
                    ));
                    dimensions.extend(own);
                }
            }
            parts[1..].sort();
            (parts.join("; "), dimensions, String::new())
        };
        let tags = clients
            .cloudwatch
            .list_tags_for_resource()
            .resource_arn(a.alarm_arn().unwrap())
            .send()
            .await
            .unwrap()
            .tags()
            .iter()
            .map(|t| (t.key().unwrap().to_string(), t.value().unwrap().to_string()))
            .collect();
        assert_eq!(a.treat_missing_data(), Some("notBreaching"));
        assert_eq!(
            a.comparison_operator().map(|c| c.as_str()),
            Some("GreaterThanThreshold")
        );
        seen.insert(
            a.alarm_name().unwrap().to_string(),
            Seen {
                metric,
                dimensions,
                statistic,
                threshold: a.threshold().unwrap(),
                tags,
            },
        );
    }
    seen
}

#[tokio::test]
async fn the_example_stack_gets_every_alarm_with_its_metric_and_threshold_and_plans_empty() {
    let clients = clients().await;
    let root = support::project_root().join("specs/examples/orders");
    let (stack, _) = slsctl::kinds::load_stack(&root)
        .unwrap_or_else(|(d, s)| panic!("{}", d.render(&|p| s.get(p))));
    let prepared = Arc::new(
        prepare(stack.clone(), &clients, &PlanOptions::default())
            .await
            .unwrap(),
    );
    let report = apply(prepared, &clients, Arc::new(Quiet)).await;
    assert_eq!(report.failed() + report.skipped(), 0, "{report:?}");
    let again = prepare(stack, &clients, &PlanOptions::default())
        .await
        .unwrap();
    assert!(
        again.plan.actions.is_empty(),
        "{}",
        slsctl::render::plan_text(&again.plan)
    );

    let seen = alarms(&clients, "orders-").await;
    let single = |metric: &str, d: &[(&str, &str)], statistic: &str, threshold: f64| {
        (
            metric.to_string(),
            dims(d),
            statistic.to_string(),
            threshold,
        )
    };
    fn f(name: &str) -> (&str, &str) {
        ("FunctionName", name)
    }
    let lambda_errors = |name: &str| {
        (
            "100 * errors / invocations; errors=AWS/Lambda/Errors Sum; invocations=AWS/Lambda/Invocations Sum".to_string(),
            dims(&[f(name)]),
            String::new(),
            5.0,
        )
    };
    let system_errors = format!(
        "SUM([getitem, putitem, updateitem, deleteitem, query, scan, batchgetitem, batchwriteitem]); {}",
        [
            "batchgetitem=AWS/DynamoDB/SystemErrors Sum Operation=BatchGetItem",
            "batchwriteitem=AWS/DynamoDB/SystemErrors Sum Operation=BatchWriteItem",
            "deleteitem=AWS/DynamoDB/SystemErrors Sum Operation=DeleteItem",
            "getitem=AWS/DynamoDB/SystemErrors Sum Operation=GetItem",
            "putitem=AWS/DynamoDB/SystemErrors Sum Operation=PutItem",
            "query=AWS/DynamoDB/SystemErrors Sum Operation=Query",
            "scan=AWS/DynamoDB/SystemErrors Sum Operation=Scan",
            "updateitem=AWS/DynamoDB/SystemErrors Sum Operation=UpdateItem",
        ]
        .join("; ")
    );
    let bus_rule = [
        ("EventBusName", "orders-orders"),
        ("RuleName", "orders-order-placed"),
    ];
    let api = [("ApiName", "orders-public"), ("Stage", "prod")];
    // Durations: 80 % of each function's timeout (create-order 10 s, get-order 5 s, fulfil-order
    // 30 s); the API's latency: 80 % of its slowest route's function (10 s).
    let expected: BTreeMap<&str, Expected> = [
        ("orders-function-create-order-errorRate", lambda_errors("orders-create-order")),
        ("orders-function-create-order-throttles", single("AWS/Lambda/Throttles", &[f("orders-create-order")], "Sum", 0.0)),
        ("orders-function-create-order-duration", single("AWS/Lambda/Duration", &[f("orders-create-order")], "p99", 8000.0)),
        // Its alias `live` has provisioned concurrency.
        ("orders-function-create-order-spillover", single("AWS/Lambda/ProvisionedConcurrencySpilloverInvocations", &[f("orders-create-order"), ("Resource", "orders-create-order:live")], "Sum", 0.0)),
        ("orders-function-get-order-errorRate", lambda_errors("orders-get-order")),
        ("orders-function-get-order-throttles", single("AWS/Lambda/Throttles", &[f("orders-get-order")], "Sum", 0.0)),
        ("orders-function-get-order-duration", single("AWS/Lambda/Duration", &[f("orders-get-order")], "p99", 4000.0)),
        ("orders-function-fulfil-order-errorRate", lambda_errors("orders-fulfil-order")),
        ("orders-function-fulfil-order-throttles", single("AWS/Lambda/Throttles", &[f("orders-fulfil-order")], "Sum", 0.0)),
        ("orders-function-fulfil-order-duration", single("AWS/Lambda/Duration", &[f("orders-fulfil-order")], "p99", 24000.0)),
        ("orders-queue-order-events-age", single("AWS/SQS/ApproximateAgeOfOldestMessage", &[("QueueName", "orders-order-events")], "Maximum", 900.0)),
        // The DLQ of the queue's redrive and of the rule's target: any message alarms.
        ("orders-queue-order-events-dlq-deadLetters", single("AWS/SQS/ApproximateNumberOfMessagesVisible", &[("QueueName", "orders-order-events-dlq")], "Maximum", 0.0)),
        ("orders-api-public-serverErrors", single("AWS/ApiGateway/5XXError", &api, "Average", 0.05)),
        ("orders-api-public-latency", single("AWS/ApiGateway/Latency", &api, "p99", 8000.0)),
        ("orders-table-app-throttles", (
            "SUM([reads, writes]); reads=AWS/DynamoDB/ReadThrottleEvents Sum; writes=AWS/DynamoDB/WriteThrottleEvents Sum".to_string(),
            dims(&[("TableName", "orders-app")]),
            String::new(),
            0.0,
        )),
        ("orders-table-app-systemErrors", (
            system_errors,
            dims(&[("TableName", "orders-app")]),
            String::new(),
            0.0,
        )),
        ("orders-rule-order-placed-failedInvocations", single("AWS/Events/FailedInvocations", &bus_rule, "Sum", 0.0)),
        // Its target has a DLQ.
        ("orders-rule-order-placed-sentToDeadLetter", single("AWS/Events/InvocationsSentToDlq", &bus_rule, "Sum", 0.0)),
    ]
    .into_iter()
    .collect();
    let names: Vec<&str> = seen.keys().map(String::as_str).collect();
    let wanted: Vec<&str> = expected.keys().copied().collect();
    assert_eq!(names, wanted);
    for (name, (metric, dimensions, statistic, threshold)) in expected {
        let alarm = &seen[name];
        assert_eq!(alarm.metric, metric, "{name}");
        assert_eq!(alarm.dimensions, dimensions, "{name}");
        assert_eq!(alarm.statistic, statistic, "{name}");
        assert_eq!(alarm.threshold, threshold, "{name}");
        assert_eq!(
            alarm.tags.get("slsctl:stack").map(String::as_str),
            Some("orders"),
            "{name}"
        );
    }
}

#[tokio::test]
async fn one_threshold_change_plans_exactly_one_alarm_update() {
    let clients = clients().await;
    let name = unique("alarm-threshold");
    let dir = stack_dir(&name, "", &function("worker", ""));
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;

    rewrite(
        &dir,
        &function(
            "worker",
            "  alarms:\n    throttles: {threshold: 3, evaluationPeriods: 2}\n",
        ),
    );
    let planned = plan(&dir, &clients).await;
    let actions: Vec<(String, ActionKind)> = planned
        .plan
        .actions
        .iter()
        .map(|a| (a.id.to_string(), a.action))
        .collect();
    assert_eq!(
        actions,
        [(
            "Alarm/Function/worker/throttles".to_string(),
            ActionKind::Update
        )]
    );
    let mut fields: Vec<&str> = planned.plan.actions[0]
        .changes
        .iter()
        .map(|c| c.field.as_str())
        .collect();
    fields.sort();
    // The description names the threshold.
    assert_eq!(fields, ["description", "evaluationPeriods", "threshold"]);
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;
    let seen = alarms(&clients, &format!("{name}-function-worker-throttles")).await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen.values().next().unwrap().threshold, 3.0);

    // A longer timeout moves the duration alarm's threshold with it: the function's update and
    // that one alarm's.
    rewrite(
        &dir,
        &function(
            "worker",
            "  alarms:\n    throttles: {threshold: 3, evaluationPeriods: 2}\n",
        )
        .replace("timeout: 20", "timeout: 40"),
    );
    let planned = plan(&dir, &clients).await;
    let actions: Vec<(String, ActionKind, Vec<String>)> = planned
        .plan
        .actions
        .iter()
        .map(|a| {
            let mut fields: Vec<String> = a.changes.iter().map(|c| c.field.clone()).collect();
            fields.sort();
            (a.id.to_string(), a.action, fields)
        })
        .collect();
    assert_eq!(
        actions,
        [
            (
                "Function/worker".to_string(),
                ActionKind::Update,
                vec!["timeout".to_string()]
            ),
            (
                "Alarm/Function/worker/duration".to_string(),
                ActionKind::Update,
                vec!["description".to_string(), "threshold".to_string()]
            ),
        ]
    );
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;
    let seen = alarms(&clients, &format!("{name}-function-worker-duration")).await;
    assert_eq!(seen.values().next().unwrap().threshold, 32_000.0);
}

#[tokio::test]
async fn alarms_leave_with_their_function_or_when_disabled() {
    let clients = clients().await;
    let name = unique("alarm-prune");
    let two = format!("{}{}", function("stays", ""), function("goes", ""));
    let dir = stack_dir(&name, "", &two);
    converge(&dir, &clients).await;
    let before = alarms(&clients, &format!("{name}-")).await;
    assert_eq!(
        before.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            format!("{name}-function-goes-duration"),
            format!("{name}-function-goes-errorRate"),
            format!("{name}-function-goes-throttles"),
            format!("{name}-function-stays-duration"),
            format!("{name}-function-stays-errorRate"),
            format!("{name}-function-stays-throttles"),
        ]
    );

    // `goes` leaves the spec, and `stays` turns its duration check off.
    rewrite(
        &dir,
        &function("stays", "  alarms:\n    duration: {disabled: true}\n"),
    );
    let planned = plan(&dir, &clients).await;
    let mut deletes: Vec<String> = planned
        .plan
        .actions
        .iter()
        .filter(|a| a.action == ActionKind::Delete && a.id.kind == slsctl::model::Kind::Alarm)
        .map(|a| a.id.name.clone())
        .collect();
    deletes.sort();
    assert_eq!(
        deletes,
        [
            "Function/goes/duration",
            "Function/goes/errorRate",
            "Function/goes/throttles",
            "Function/stays/duration",
        ]
    );
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;
    let after = alarms(&clients, &format!("{name}-")).await;
    assert_eq!(
        after.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            format!("{name}-function-stays-errorRate"),
            format!("{name}-function-stays-throttles"),
        ]
    );
}
