//! The reconcile engine against the emulator: create, then plan empty; every updatable field;
//! replacement; drift; foreign resources; pruning and its guards; interrupted applies.
//!
//! The oracle after each scenario: a second plan is empty, nothing without this stack's tags was
//! touched, and no data-bearing resource was deleted without opt-in.
//!
//! Every test talks to the emulator through the strict layer (`support::strict`): AWS's
//! behaviours that moto lacks, with AWS's windows scaled to 300 ms, and every request checked
//! against AWS's service models, so a request AWS would refuse fails here too.

mod support;

use std::sync::Arc;

use aws_sdk_sqs::types::QueueAttributeName;
use slsctl::apply::{apply, Outcome, Quiet};
use slsctl::aws::Clients;
use slsctl::engine::prepare;
use slsctl::plan::{ActionKind, PlanOptions};
use support::stacks::{
    assert_empty_plan, converge, converge_with, plan, plan_with, rewrite, stack_dir,
};
use support::{create_role, unique, Emulator};

const ROLE: &str = "slsctl-test-role";

/// Clients through the strict layer (see `support::stacks::strict_clients`), with the role the
/// tests' functions name.
async fn clients() -> Clients {
    create_role(&Emulator::shared().endpoint, ROLE);
    support::stacks::strict_clients("engine").await
}

/// The plan's actions but its alarms'. Alarms follow what they watch: a change that moves a
/// threshold (a function's timeout) or a check (a queue becoming a dead-letter queue, a rule
/// target getting a DLQ) also changes an alarm, which tests/alarms.rs covers; the tests here
/// check the watched resources' own fields.
fn without_alarms(plan: &slsctl::plan::Plan) -> Vec<&slsctl::plan::ResourceAction> {
    plan.actions
        .iter()
        .filter(|a| a.id.kind != slsctl::model::Kind::Alarm)
        .collect()
}

/// A stack directory: the Stack document (tagged `team: test`), `docs`, and a code directory.
fn stack(name: &str, docs: &str) -> tempfile::TempDir {
    stack_dir(name, "  tags: {team: test}\n", docs)
}

/// The same without the stack's dashboard, for the tests that plan one resource's fields
/// alone: the dashboard follows the wiring (a dead-letter queue, a provisioned alias, a
/// resource leaving change its body), which tests/dashboard.rs checks.
fn stack_without_dashboard(name: &str, docs: &str) -> tempfile::TempDir {
    stack_dir(
        name,
        "  tags: {team: test}\n  observability: {dashboard: false}\n",
        docs,
    )
}

fn function(extra: &str) -> String {
    format!(
        "apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {{name: worker}}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {{path: src}}\n  role: arn:aws:iam::123456789012:role/{ROLE}\n{extra}"
    )
}

fn queue(name: &str, extra: &str) -> String {
    format!(
        "apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {{name: {name}}}\nspec:\n{extra}"
    )
}

#[tokio::test]
async fn the_example_stack_applies_and_then_plans_empty() {
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

    let counting = clients.with_fresh_counts();
    let again = prepare(stack, &counting, &PlanOptions::default())
        .await
        .unwrap();
    assert!(
        again.plan.actions.is_empty(),
        "{}",
        slsctl::render::plan_text(&again.plan)
    );
    // A no-change plan reads each resource once (GetFunction, GetQueueAttributes, DescribeLogGroups; layers come
    // with their listing), a table three times (it, its TTL, its backups: no call returns all
    // three), a bus and its archive, a rule and its targets, the managed alias and its
    // provisioned concurrency, plus four calls for the whole stack: STS, the tagging pages, one
    // mapping listing, one layer listing.
    let expected: std::collections::BTreeMap<String, u64> = [
        // The REST API: one listing of all APIs (with tags), its resources, stage and deployment.
        ("apigateway:GetBasePathMappings", 1),
        ("apigateway:GetDeployment", 1),
        ("apigateway:GetDomainNames", 1),
        ("apigateway:GetResources", 1),
        ("apigateway:GetRestApis", 1),
        ("apigateway:GetStages", 1),
        // The alias's Auto Scaling definitions: three account-wide listings.
        ("application-autoscaling:DescribeScalableTargets", 1),
        ("application-autoscaling:DescribeScalingPolicies", 1),
        ("application-autoscaling:DescribeScheduledActions", 1),
        // The stack's 18 alarms: one listing by the stack's name prefix (up to 100 a page);
        // their tags come with the tagging query (DescribeAlarms returns none), so no alarm
        // costs a call of its own.
        ("cloudwatch:DescribeAlarms", 1),
        // The stack's dashboard: dashboards cannot be tagged, so one listing by its name
        // finds it, and its body is read.
        ("cloudwatch:GetDashboard", 1),
        ("cloudwatch:ListDashboards", 1),
        ("dynamodb:DescribeContinuousBackups", 1),
        ("dynamodb:DescribeTable", 1),
        ("dynamodb:DescribeTimeToLive", 1),
        ("events:DescribeArchive", 1),
        ("events:DescribeEventBus", 1),
        ("events:DescribeRule", 1),
        // moto's tagging query does not return rules, so the rule is found by name and its tags
        // read separately; on AWS the tagging query carries them.
        ("events:ListTagsForResource", 1),
        ("events:ListTargetsByRule", 1),
        // The three functions' derived roles: one listing of the stack's IAM path, then each
        // role, its inline policies, slsctl's policy and its managed policies (IAM is not in
        // the tagging API, and no call returns more of a role).
        ("iam:GetRole", 3),
        ("iam:GetRolePolicy", 3),
        ("iam:ListAttachedRolePolicies", 3),
        ("iam:ListRolePolicies", 3),
        ("iam:ListRoles", 1),
        ("lambda:GetFunction", 3),
        // The invoke permissions of the two functions behind the API's routes. (The alias's
        // provisioned value is Auto Scaling's, so it is not read.)
        ("lambda:GetPolicy", 2),
        ("lambda:ListAliases", 1),
        ("lambda:ListEventSourceMappings", 1),
        ("lambda:ListLayers", 1),
        // The functions' own log groups, with their retention and class: one listing of the
        // stack's `/aws/lambda/<stack>-` prefix (their tags come with the tagging query).
        ("logs:DescribeLogGroups", 1),
        // The cold-start metric filters (which cannot be tagged) on each of those groups, by
        // the stack's filter-name prefix.
        ("logs:DescribeMetricFilters", 3),
        ("sqs:GetQueueAttributes", 2),
        ("sts:GetCallerIdentity", 1),
        // Two pages: the emulator ends a page at 100 tags (TagsPerPage's default), and the
        // stack's ~30 tagged resources carry three or four tags each.
        ("tagging:GetResources", 2),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(counting.calls.snapshot(), expected);
}

#[tokio::test]
async fn a_fresh_stack_is_created_and_then_plans_empty() {
    let clients = clients().await;
    let name = unique("fresh");
    let dir = stack(
        &name,
        &[
            function("  memorySize: 256\n  timeout: 20\n  environment: {MODE: \"1\", QUEUE_URL: {ref: Queue/jobs, attr: url}}\n  reservedConcurrency: 5\n  triggers:\n    - {queue: jobs, batchSize: 5, maximumBatchingWindow: 2, reportBatchItemFailures: true, maximumConcurrency: 10}\n"),
            queue("jobs", "  visibilityTimeout: 120\n  deadLetter: {queue: dlq, maxReceiveCount: 3}\n"),
            queue("dlq", "  messageRetentionPeriod: 1209600\n  restrictRedriveSources: false\n"),
            queue("ordered", "  fifo: true\n  contentBasedDeduplication: true\n  deduplicationScope: messageGroup\n  fifoThroughputLimit: perMessageGroupId\n"),
        ]
        .join("---\n"),
    );
    let first = plan(&dir, &clients).await;
    // Three queues, the function, its own log group and its cold-start metric filter, their
    // alarms (the function's three checks, two queues' age and the dead-letter queue's
    // messages), and the stack's dashboard.
    assert_eq!(first.plan.summary.create, 13);
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;
}

/// For each change: exactly the expected fields are planned as an update, and after the apply
/// the plan is empty again.
#[tokio::test]
async fn each_updatable_field_is_planned_alone_and_converges() {
    let clients = clients().await;
    let name = unique("fields");
    create_role(&Emulator::shared().endpoint, "slsctl-test-role-2");
    let base_function = "  memorySize: 128\n  timeout: 10\n  description: one\n  environment: {MODE: \"1\"}\n  triggers:\n    - {queue: jobs, batchSize: 10}\n";
    let base_queue = "  visibilityTimeout: 60\n  deadLetter: {queue: dlq, maxReceiveCount: 5}\n";
    // `f` is the whole Function document, so that any of its lines can be changed.
    let docs = |f: &str, q: &str| {
        [
            f.to_string(),
            queue("jobs", q),
            queue("dlq", "  delaySeconds: 0\n"),
        ]
        .join("---\n")
    };
    let base = function(base_function);
    let dir = stack_without_dashboard(&name, &docs(&base, base_queue));
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;

    let function_cases: &[(&str, &str, &[&str])] = &[
        ("memorySize: 128", "memorySize: 512", &["memorySize"]),
        ("timeout: 10", "timeout: 30", &["timeout"]),
        ("description: one", "description: two", &["description"]),
        (
            "{MODE: \"1\"}",
            "{MODE: \"2\", LEVEL: \"3\"}",
            &["environment.LEVEL", "environment.MODE"],
        ),
        (
            "memorySize: 128",
            "memorySize: 128\n  reservedConcurrency: 3",
            &["reservedConcurrency"],
        ),
        // tracing, ephemeralStorage, architecture and deadLetter: moto ignores their updates,
        // so tests/engine_mocked.rs checks those calls against the real response shapes.
        ("handler: app.handler", "handler: app.main", &["handler"]),
        ("runtime: python3.12", "runtime: python3.13", &["runtime"]),
        (
            "role/slsctl-test-role",
            "role/slsctl-test-role-2",
            &["role"],
        ),
        (
            "batchSize: 10}",
            "batchSize: 7}",
            &["triggers[NAME-jobs].batchSize"],
        ),
    ];
    for (from, to, fields) in function_cases {
        let changed = base.replace(from, to);
        assert_ne!(changed, base, "the case {from} → {to} changes nothing");
        rewrite(&dir, &docs(&changed, base_queue));
        let prepared = plan(&dir, &clients).await;
        let actions = without_alarms(&prepared.plan);
        assert_eq!(
            actions.len(),
            1,
            "{to}: {}",
            slsctl::render::plan_text(&prepared.plan)
        );
        assert_eq!(actions[0].action, ActionKind::Update);
        let planned: Vec<String> = actions[0].changes.iter().map(|c| c.field.clone()).collect();
        let expected: Vec<String> = fields.iter().map(|f| f.replace("NAME", &name)).collect();
        assert_eq!(planned, expected, "{to}");
        converge(&dir, &clients).await;
        assert_empty_plan(&dir, &clients).await;
        // Back to the base, which is itself one more update of the same fields.
        rewrite(&dir, &docs(&base, base_queue));
        converge(&dir, &clients).await;
    }

    let queue_cases: &[(&str, &[&str])] = &[
        ("  visibilityTimeout: 90\n  deadLetter: {queue: dlq, maxReceiveCount: 5}\n", &["visibilityTimeout"]),
        ("  visibilityTimeout: 60\n  delaySeconds: 5\n  deadLetter: {queue: dlq, maxReceiveCount: 5}\n", &["delaySeconds"]),
        ("  visibilityTimeout: 60\n  messageRetentionPeriod: 86400\n  deadLetter: {queue: dlq, maxReceiveCount: 5}\n", &["messageRetentionPeriod"]),
        ("  visibilityTimeout: 60\n  maximumMessageSize: 1024\n  deadLetter: {queue: dlq, maxReceiveCount: 5}\n", &["maximumMessageSize"]),
        ("  visibilityTimeout: 60\n  receiveMessageWaitTime: 20\n  deadLetter: {queue: dlq, maxReceiveCount: 5}\n", &["receiveMessageWaitTime"]),
        ("  visibilityTimeout: 60\n  deadLetter: {queue: dlq, maxReceiveCount: 9}\n", &["deadLetter.maxReceiveCount"]),
        ("  visibilityTimeout: 60\n", &["deadLetter.maxReceiveCount", "deadLetter.queue"]),
        ("  visibilityTimeout: 60\n  sqsManagedSse: false\n  deadLetter: {queue: dlq, maxReceiveCount: 5}\n", &["sqsManagedSse"]),
    ];
    for (changed, fields) in queue_cases {
        rewrite(&dir, &docs(&base, changed));
        let prepared = plan(&dir, &clients).await;
        let actions = without_alarms(&prepared.plan);
        assert_eq!(
            actions.len(),
            1,
            "{changed}: {}",
            slsctl::render::plan_text(&prepared.plan)
        );
        let planned: Vec<&str> = actions[0]
            .changes
            .iter()
            .map(|c| c.field.as_str())
            .collect();
        assert_eq!(planned, *fields, "{changed}");
        converge(&dir, &clients).await;
        assert_empty_plan(&dir, &clients).await;
        rewrite(&dir, &docs(&base, base_queue));
        converge(&dir, &clients).await;
    }
}

#[tokio::test]
async fn a_code_change_updates_the_code_and_unchanged_code_never_shows() {
    let clients = clients().await;
    let dir = stack(&unique("code"), &function(""));
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;
    // Same content, new modification time: no diff.
    std::fs::write(
        dir.path().join("src/app.py"),
        "def handler(event, context):\n    return event\n",
    )
    .unwrap();
    assert_empty_plan(&dir, &clients).await;
    std::fs::write(
        dir.path().join("src/app.py"),
        "def handler(event, context):\n    return {}\n",
    )
    .unwrap();
    let prepared = plan(&dir, &clients).await;
    let fields: Vec<&str> = prepared.plan.actions[0]
        .changes
        .iter()
        .map(|c| c.field.as_str())
        .collect();
    assert_eq!(fields, ["code.sha256"]);
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;
}

#[tokio::test]
async fn an_immutable_change_is_a_replace_with_its_reason_and_needs_opt_in_for_a_queue() {
    let clients = clients().await;
    let dir = stack(&unique("immut"), &queue("events", "  delaySeconds: 0\n"));
    converge(&dir, &clients).await;
    rewrite(&dir, &queue("events", "  fifo: true\n"));
    let prepared = plan(&dir, &clients).await;
    let action = &prepared.plan.actions[0];
    assert_eq!(action.action, ActionKind::Replace);
    assert!(
        action.reasons.iter().any(|r| r.starts_with("fifo:")),
        "{:?}",
        action.reasons
    );
    assert_eq!(prepared.plan.refusals.len(), 1, "a queue is data-bearing");
    let options = PlanOptions {
        allow_replace: [action.id.clone()].into(),
        ..PlanOptions::default()
    };
    converge_with(&dir, &clients, options).await;
    assert_empty_plan(&dir, &clients).await;
}

#[tokio::test]
async fn drift_is_shown_and_healed() {
    let clients = clients().await;
    let name = unique("drift");
    let dir = stack(
        &name,
        &[
            function("  memorySize: 256\n  environment: {MODE: live}\n"),
            queue("jobs", "  visibilityTimeout: 60\n"),
        ]
        .join("---\n"),
    );
    let applied = converge(&dir, &clients).await;
    // Out-of-band changes, as a person in the console would make them.
    clients
        .lambda
        .update_function_configuration()
        .function_name(format!("{name}-worker"))
        .memory_size(1024)
        .send()
        .await
        .unwrap();
    let url = applied
        .observed
        .queue_urls
        .values()
        .next()
        .cloned()
        .unwrap_or_else(|| {
            slsctl::kinds::desired::queue_url_from_arn(&format!(
                "arn:aws:sqs:us-east-1:123456789012:{name}-jobs"
            ))
            .unwrap()
        });
    clients
        .sqs
        .set_queue_attributes()
        .queue_url(&url)
        .attributes(QueueAttributeName::VisibilityTimeout, "5")
        .send()
        .await
        .unwrap();
    clients
        .sqs
        .untag_queue()
        .queue_url(&url)
        .tag_keys("team")
        .send()
        .await
        .unwrap();

    let prepared = plan(&dir, &clients).await;
    let changes: Vec<(String, String)> = prepared
        .plan
        .actions
        .iter()
        .flat_map(|a| {
            a.changes
                .iter()
                .map(move |c| (a.id.to_string(), c.field.clone()))
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("Queue/jobs".to_string(), "tags.team".to_string()),
            ("Queue/jobs".to_string(), "visibilityTimeout".to_string()),
            ("Function/worker".to_string(), "memorySize".to_string()),
        ]
    );
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;
}

/// Out-of-band changes to a table, a bus's archive, a rule and its targets, and an API's stage
/// are shown field by field and healed by the next apply.
#[tokio::test]
async fn drift_on_tables_buses_rules_and_apis_is_shown_and_healed() {
    let clients = clients().await;
    let name = unique("drift2");
    let docs = [
        table("  pointInTimeRecovery: true\n  timeToLiveAttribute: expiresAt\n  deletionProtection: false\n"),
        "apiVersion: slsctl.dev/v1alpha1\nkind: EventBus\nmetadata: {name: events}\nspec:\n  archive: {retentionDays: 30}\n".to_string(),
        "apiVersion: slsctl.dev/v1alpha1\nkind: Rule\nmetadata: {name: placed}\nspec:\n  bus: events\n  pattern: {source: [shop]}\n  targets:\n    - {id: to-queue, queue: inbox}\n".to_string(),
        queue("inbox", "  visibilityTimeout: 60\n"),
        api(
            "    - {method: POST, path: /orders, function: worker}\n",
            "  throttling: {rateLimit: 50, burstLimit: 100}\n  tracing: true\n",
        ),
    ]
    .join("---\n");
    let dir = stack(&name, &docs);
    converge(&dir, &clients).await;
    let applied = plan(&dir, &clients).await;
    assert!(!applied.plan.has_changes());

    // Out-of-band changes, as a person in the console would make them.
    clients
        .dynamodb
        .update_continuous_backups()
        .table_name(format!("{name}-app"))
        .point_in_time_recovery_specification(
            aws_sdk_dynamodb::types::PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(false)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    clients
        .events
        .update_archive()
        .archive_name(format!("{name}-events"))
        .retention_days(7)
        .send()
        .await
        .unwrap();
    let bus = format!("{name}-events");
    let rule = format!("{name}-placed");
    clients
        .events
        .disable_rule()
        .name(&rule)
        .event_bus_name(&bus)
        .send()
        .await
        .unwrap();
    clients
        .events
        .remove_targets()
        .rule(&rule)
        .event_bus_name(&bus)
        .ids("to-queue")
        .send()
        .await
        .unwrap();
    let api_id = applied
        .observed
        .api_ids
        .get(&slsctl::model::ResourceId::new(
            slsctl::model::Kind::Api,
            "public",
        ))
        .cloned()
        .expect("the API's id");
    clients
        .apigateway
        .update_stage()
        .rest_api_id(&api_id)
        .stage_name("live")
        .patch_operations(
            aws_sdk_apigateway::types::PatchOperation::builder()
                .op(aws_sdk_apigateway::types::Op::Replace)
                .path("/tracingEnabled")
                .value("false")
                .build(),
        )
        .send()
        .await
        .unwrap();

    let prepared = plan(&dir, &clients).await;
    let mut changes: Vec<(String, String)> = prepared
        .plan
        .actions
        .iter()
        .flat_map(|a| {
            a.changes
                .iter()
                .map(move |c| (a.id.to_string(), c.field.clone()))
        })
        .collect();
    changes.sort();
    let expected: Vec<(String, String)> = [
        ("Api/public", "stage.tracing"),
        ("EventBus/events", "archive.retentionDays"),
        ("Rule/placed", "state"),
        ("Rule/placed", "targets[to-queue]"),
        ("Table/app", "pointInTimeRecovery"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(
        changes,
        expected,
        "{}",
        slsctl::render::plan_text(&prepared.plan)
    );
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;
}

#[tokio::test]
async fn a_foreign_resource_with_the_same_name_is_refused_and_untouched() {
    let clients = clients().await;
    let name = unique("foreign");
    let created = clients
        .sqs
        .create_queue()
        .queue_name(format!("{name}-jobs"))
        .attributes(QueueAttributeName::DelaySeconds, "7")
        .send()
        .await
        .unwrap();
    let url = created.queue_url().unwrap().to_string();
    let dir = stack(&name, &queue("jobs", "  delaySeconds: 0\n"));
    let prepared = plan(&dir, &clients).await;
    // Nothing touches the queue: only the queue's alarm and the stack's own dashboard are
    // planned (a plan with a refusal is not applied at all).
    let mut planned: Vec<String> = prepared
        .plan
        .actions
        .iter()
        .map(|a| a.id.to_string())
        .collect();
    planned.sort();
    assert_eq!(
        planned,
        [
            "Alarm/Queue/jobs/age".to_string(),
            format!("Dashboard/{name}")
        ]
    );
    assert_eq!(prepared.plan.refusals.len(), 1);
    assert!(prepared.plan.refusals[0]
        .message
        .contains("does not belong to this stack"));
    // Applying what was planned never touches the queue.
    let report = apply(Arc::new(prepared), &clients, Arc::new(Quiet)).await;
    assert!(report
        .actions
        .iter()
        .all(|a| a.id.kind != slsctl::model::Kind::Queue));
    let attributes = clients
        .sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .unwrap();
    assert_eq!(
        attributes
            .attributes()
            .unwrap()
            .get(&QueueAttributeName::DelaySeconds)
            .map(String::as_str),
        Some("7")
    );
    let tags = clients
        .sqs
        .list_queue_tags()
        .queue_url(&url)
        .send()
        .await
        .unwrap();
    assert!(
        tags.tags().is_none_or(|t| t.is_empty()),
        "no tag was added: {tags:?}"
    );

    // With explicit adoption, it becomes the stack's.
    rewrite(
        &dir,
        &format!("apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata:\n  name: jobs\n  annotations: {{slsctl.dev/adopt: \"true\"}}\nspec:\n  physicalName: {name}-jobs\n  delaySeconds: 0\n"),
    );
    let prepared = plan(&dir, &clients).await;
    assert_eq!(prepared.plan.actions[0].action, ActionKind::Adopt);
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;
}

#[tokio::test]
async fn pruning_honours_policies_and_the_guards() {
    let clients = clients().await;
    let name = unique("prune");
    let all = [
        function(""),
        queue("empty", "  delaySeconds: 0\n"),
        queue(
            "busy",
            "  delaySeconds: 0\n  deletionPolicy: delete-if-empty\n",
        ),
        queue("kept", "  delaySeconds: 0\n  deletionPolicy: retain\n"),
        queue("other", "  delaySeconds: 0\n"),
    ];
    let dir = stack(&name, &all.join("---\n"));
    let applied = converge(&dir, &clients).await;
    let _ = applied;
    let busy_url = slsctl::kinds::queue::aws::get_queue_url(&clients, &format!("{name}-busy"))
        .await
        .unwrap()
        .unwrap();
    clients
        .sqs
        .send_message()
        .queue_url(&busy_url)
        .message_body("order 1")
        .send()
        .await
        .unwrap();

    // Remove three queues: the empty one goes, the busy one stays (refused), the retained one is
    // released (kept, untagged).
    rewrite(&dir, &[all[0].clone(), all[4].clone()].join("---\n"));
    let prepared = plan_with(
        &dir,
        &clients,
        PlanOptions {
            allow_mass_delete: true,
            ..PlanOptions::default()
        },
    )
    .await;
    let actions: Vec<(String, ActionKind)> = prepared
        .plan
        .actions
        .iter()
        .map(|a| (a.id.to_string(), a.action))
        .collect();
    assert!(
        actions.contains(&("Queue/empty".into(), ActionKind::Delete)),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("Queue/kept".into(), ActionKind::Release)),
        "{actions:?}"
    );
    assert!(
        !actions.iter().any(|(id, _)| id == "Queue/busy"),
        "{actions:?}"
    );
    assert!(
        prepared
            .plan
            .refusals
            .iter()
            .any(|r| r.message.contains("holds 1 messages")),
        "{:?}",
        prepared.plan.refusals
    );
    // Apply what can be applied (destroy-style), then check the live state.
    let report = apply(Arc::new(prepared), &clients, Arc::new(Quiet)).await;
    assert_eq!(report.failed(), 0, "{report:?}");
    assert!(
        slsctl::kinds::queue::aws::get_queue_url(&clients, &format!("{name}-empty"))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        slsctl::kinds::queue::aws::get_queue_url(&clients, &format!("{name}-busy"))
            .await
            .unwrap()
            .is_some()
    );
    let kept_url = slsctl::kinds::queue::aws::get_queue_url(&clients, &format!("{name}-kept"))
        .await
        .unwrap()
        .expect("retained");
    let kept_tags = slsctl::kinds::queue::aws::list_tags(&clients, &kept_url)
        .await
        .unwrap();
    assert!(!kept_tags.contains_key("slsctl:stack"), "{kept_tags:?}");

    // An empty spec would delete everything: refused without --allow-mass-delete.
    rewrite(&dir, "");
    let prepared = plan(&dir, &clients).await;
    assert!(
        prepared
            .plan
            .refusals
            .iter()
            .any(|r| r.message.contains("holds no resources")),
        "{:?}",
        prepared.plan.refusals
    );
}

/// An apply killed between two actions leaves a state from which the next apply converges,
/// with no duplicates: the crash is simulated by applying only the first k actions.
#[tokio::test]
async fn an_interrupted_apply_converges_on_the_next_run() {
    let clients = clients().await;
    let docs = [
        function("  triggers:\n    - {queue: jobs}\n"),
        queue("jobs", "  deadLetter: {queue: dlq, maxReceiveCount: 2}\n"),
        queue("dlq", "  delaySeconds: 0\n"),
    ]
    .join("---\n");
    // The two queues, the function's own log group and its cold-start metric filter, then the
    // function, then the alarms (the function's three checks, the queue's age and the
    // dead-letter queue's messages), and the stack's dashboard.
    let total = 11;
    for k in 0..total {
        let name = unique("crash");
        let dir = stack(&name, &docs);
        let mut prepared = plan(&dir, &clients).await;
        assert_eq!(prepared.plan.actions.len(), total);
        prepared.plan.actions.truncate(k);
        let report = apply(Arc::new(prepared), &clients, Arc::new(Quiet)).await;
        assert_eq!(report.failed(), 0);
        let rest = plan(&dir, &clients).await;
        assert_eq!(rest.plan.summary.create, total - k, "after {k} actions");
        converge(&dir, &clients).await;
        assert_empty_plan(&dir, &clients).await;
        let mappings = slsctl::kinds::function::mappings::list_mappings(&clients)
            .await
            .unwrap();
        let ours = mappings
            .iter()
            .filter(|(m, _)| m.function_arn.ends_with(&format!(":{name}-worker")))
            .count();
        assert_eq!(ours, 1, "exactly one trigger after k = {k}");
    }
}

fn table(extra: &str) -> String {
    format!("apiVersion: slsctl.dev/v1alpha1\nkind: Table\nmetadata: {{name: app}}\nspec:\n  partitionKey: {{name: pk, type: S}}\n  sortKey: {{name: sk, type: S}}\n{extra}")
}

/// Every table field: planned alone, applied (one index per update), then an empty plan.
#[tokio::test]
async fn each_table_field_is_planned_alone_and_converges() {
    let clients = clients().await;
    let base = "  globalSecondaryIndexes:\n    - {name: gsi1, partitionKey: {name: gsi1pk, type: S}, sortKey: {name: gsi1sk, type: S}}\n  timeToLiveAttribute: expiresAt\n  pointInTimeRecovery: true\n  deletionProtection: false\n";
    let dir = stack(&unique("table"), &table(base));
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;

    // A TTL attribute change: AWS changes a table's TTL once per window (300 ms here, an hour on
    // AWS), so the old attribute is disabled by one apply and the new one enabled by the next.
    for (from, to) in [("expiresAt", "ttl"), ("ttl", "expiresAt")] {
        tokio::time::sleep(std::time::Duration::from_millis(350)).await;
        rewrite(&dir, &table(&base.replace(from, to)));
        let prepared = plan(&dir, &clients).await;
        let fields: Vec<&str> = prepared.plan.actions[0]
            .changes
            .iter()
            .map(|c| c.field.as_str())
            .collect();
        assert_eq!(fields, ["timeToLiveAttribute"]);
        assert!(
            prepared.plan.actions[0]
                .reasons
                .iter()
                .any(|r| r.contains(&format!("disable TTL on `{from}` now"))),
            "{:?}",
            prepared.plan.actions[0].reasons
        );
        converge(&dir, &clients).await;
        let pending = plan(&dir, &clients).await;
        assert_eq!(
            pending.plan.actions.len(),
            1,
            "the enable is left for later"
        );
        tokio::time::sleep(std::time::Duration::from_millis(350)).await;
        converge(&dir, &clients).await;
        assert_empty_plan(&dir, &clients).await;
    }

    let cases: &[(&str, &str, &[&str])] = &[
        ("  pointInTimeRecovery: true\n", "  pointInTimeRecovery: false\n", &["pointInTimeRecovery"]),
        ("  deletionProtection: false\n", "  deletionProtection: true\n", &["deletionProtection"]),
        (
            "  timeToLiveAttribute",
            "    - {name: gsi2, partitionKey: {name: gsi2pk, type: N}, projection: KEYS_ONLY}\n  timeToLiveAttribute",
            &["globalSecondaryIndexes[gsi2]"],
        ),
        (
            "    - {name: gsi1, partitionKey: {name: gsi1pk, type: S}, sortKey: {name: gsi1sk, type: S}}\n",
            "    - {name: gsi1, partitionKey: {name: gsi1pk, type: S}, sortKey: {name: gsi1sk, type: S}, projection: INCLUDE, nonKeyAttributes: [total]}\n",
            &["globalSecondaryIndexes[gsi1]"],
        ),
        // Last: moto refuses to enable a stream on a table that ever had one, so the stream is
        // switched on once (and off by the revert); the view-type change, which disables and
        // re-enables, is checked against scripted responses in tests/engine_mocked.rs.
        ("  pointInTimeRecovery: true\n", "  pointInTimeRecovery: true\n  stream: NEW_AND_OLD_IMAGES\n", &["stream"]),
    ];
    for (from, to, fields) in cases {
        let changed = base.replace(from, to);
        assert_ne!(changed, base);
        rewrite(&dir, &table(&changed));
        let prepared = plan(&dir, &clients).await;
        let actions = without_alarms(&prepared.plan);
        assert_eq!(
            actions.len(),
            1,
            "{to}: {}",
            slsctl::render::plan_text(&prepared.plan)
        );
        assert_eq!(actions[0].action, ActionKind::Update);
        let planned: Vec<&str> = actions[0]
            .changes
            .iter()
            .map(|c| c.field.as_str())
            .collect();
        assert_eq!(planned, *fields, "{to}");
        if fields[0].starts_with("globalSecondaryIndexes") {
            assert!(
                actions[0].reasons.iter().any(|r| r.starts_with("step 1:")),
                "{:?}",
                actions[0].reasons
            );
        }
        converge(&dir, &clients).await;
        assert_empty_plan(&dir, &clients).await;
        rewrite(&dir, &table(base));
        converge(&dir, &clients).await;
        assert_empty_plan(&dir, &clients).await;
    }
}

/// Capacity and billing changes keep the indexes (updated in place, never rebuilt), and
/// encryption with the AWS-managed or a customer key plans empty after creation.
#[tokio::test]
async fn billing_and_index_throughput_change_in_place_and_encryption_plans_empty() {
    let clients = clients().await;
    let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let provisioned = "  billingMode: PROVISIONED\n  readCapacity: 5\n  writeCapacity: 5\n  globalSecondaryIndexes:\n    - {name: gsi1, partitionKey: {name: gsi1pk, type: S}, readCapacity: 5, writeCapacity: 5}\n  deletionProtection: false\n  sse: {type: KMS}\n";
    let customer = table(&format!(
        "  deletionProtection: false\n  sse: {{type: KMS, kmsMasterKeyId: \"{key}\"}}\n"
    ))
    .replace("name: app", "name: sealed");
    let docs = |app: &str| [table(app), customer.clone()].join("---\n");
    let dir = stack(&unique("billing"), &docs(provisioned));
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;

    let on_demand = provisioned
        .replace(
            "  billingMode: PROVISIONED\n  readCapacity: 5\n  writeCapacity: 5\n",
            "",
        )
        .replace(", readCapacity: 5, writeCapacity: 5", "");
    let cases: &[(String, &[&str], &str)] = &[
        (
            provisioned.replace(
                "gsi1pk, type: S}, readCapacity: 5",
                "gsi1pk, type: S}, readCapacity: 9",
            ),
            &["globalSecondaryIndexes[gsi1]"],
            "step 1: update the throughput of index gsi1, wait until it is ACTIVE",
        ),
        (
            on_demand.clone(),
            &[
                "billingMode",
                "globalSecondaryIndexes[gsi1]",
                "readCapacity",
                "writeCapacity",
            ],
            "step 1: switch billing to PAY_PER_REQUEST, wait until the table is ACTIVE",
        ),
    ];
    for (changed, fields, step) in cases {
        rewrite(&dir, &docs(changed));
        let prepared = plan(&dir, &clients).await;
        let actions = without_alarms(&prepared.plan);
        assert_eq!(
            actions.len(),
            1,
            "{}",
            slsctl::render::plan_text(&prepared.plan)
        );
        let planned: Vec<&str> = actions[0]
            .changes
            .iter()
            .map(|c| c.field.as_str())
            .collect();
        assert_eq!(planned, *fields);
        assert_eq!(
            actions[0].reasons,
            [step.to_string()],
            "no index is rebuilt"
        );
        converge(&dir, &clients).await;
        assert_empty_plan(&dir, &clients).await;
    }
    // And back to PROVISIONED: one update that carries the index's throughput.
    rewrite(&dir, &docs(provisioned));
    let prepared = plan(&dir, &clients).await;
    assert_eq!(
        prepared.plan.actions[0].reasons,
        ["step 1: switch billing to PROVISIONED with the throughput of index gsi1, wait until the table is ACTIVE"]
    );
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;
}

#[tokio::test]
async fn table_keys_protection_and_policies_guard_the_data() {
    let clients = clients().await;
    let name = unique("tkeys");
    let other = queue("other", "  delaySeconds: 0\n");
    let doomed = |protection: bool| {
        table(&format!(
            "  deletionProtection: {protection}\n  deletionPolicy: delete\n"
        ))
    };
    let kept = table("  deletionProtection: false\n").replace("name: app", "name: kept");
    let dir = stack_without_dashboard(
        &name,
        &[doomed(true), kept.clone(), other.clone()].join("---\n"),
    );
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;

    // A key change needs a new table: a replace, refused without explicit opt-in.
    let rekeyed = doomed(true).replace("{name: sk, type: S}", "{name: sk, type: N}");
    rewrite(&dir, &[rekeyed, kept.clone(), other.clone()].join("---\n"));
    let prepared = plan(&dir, &clients).await;
    let action = prepared
        .plan
        .actions
        .iter()
        .find(|a| a.id.name == "app")
        .unwrap();
    assert_eq!(action.action, ActionKind::Replace);
    assert!(
        action.reasons.iter().any(|r| r.starts_with("sortKey:")),
        "{:?}",
        action.reasons
    );
    assert!(prepared.plan.refusals.iter().any(|r| r
        .hint
        .as_deref()
        .is_some_and(|h| h.contains("--allow-replace Table/app"))));

    // Removed while protected: refused even with deletionPolicy delete.
    rewrite(&dir, &[kept.clone(), other.clone()].join("---\n"));
    let prepared = plan(&dir, &clients).await;
    assert!(
        prepared
            .plan
            .refusals
            .iter()
            .any(|r| r.message.contains("deletion protection is on")),
        "{:?}",
        prepared.plan.refusals
    );

    // Protection off first, then removed: deleted, as its (tagged) policy says.
    rewrite(
        &dir,
        &[doomed(false), kept.clone(), other.clone()].join("---\n"),
    );
    converge(&dir, &clients).await;
    rewrite(&dir, &[kept.clone(), other.clone()].join("---\n"));
    let prepared = plan(&dir, &clients).await;
    // The table, and its alarms with it.
    assert_eq!(
        without_alarms(&prepared.plan).len(),
        1,
        "{}",
        slsctl::render::plan_text(&prepared.plan)
    );
    assert_eq!(without_alarms(&prepared.plan)[0].action, ActionKind::Delete);
    assert_eq!(prepared.plan.summary.delete, 3);
    converge(&dir, &clients).await;
    assert!(slsctl::kinds::table::aws::describe(
        &clients,
        &format!("{name}-app"),
        Default::default()
    )
    .await
    .unwrap()
    .is_none());

    // A table with the default policy (retain) that leaves the spec is released and kept.
    rewrite(&dir, &other);
    let prepared = plan(&dir, &clients).await;
    assert_eq!(prepared.plan.actions[0].action, ActionKind::Release);
    converge(&dir, &clients).await;
    let live =
        slsctl::kinds::table::aws::describe(&clients, &format!("{name}-kept"), Default::default())
            .await
            .unwrap();
    assert!(live.is_some(), "a released table is kept");
    assert_empty_plan(&dir, &clients).await;
}

fn bus_and_rule(bus_extra: &str, rule_extra: &str, target: &str) -> String {
    [
        format!("apiVersion: slsctl.dev/v1alpha1\nkind: EventBus\nmetadata: {{name: events}}\nspec:\n{bus_extra}"),
        format!("apiVersion: slsctl.dev/v1alpha1\nkind: Rule\nmetadata: {{name: placed}}\nspec:\n  bus: events\n{rule_extra}  targets:\n    - {target}\n"),
        "apiVersion: slsctl.dev/v1alpha1\nkind: EventBus\nmetadata: {name: mirror}\nspec: {}\n".to_string(),
        queue("inbox", "  visibilityTimeout: 60\n"),
        queue("dlq", "  delaySeconds: 0\n"),
        function("  timeout: 10\n"),
    ]
    .join("---\n")
}

/// Buses, archives, rules and targets: every field planned alone and converging, and the
/// permissions a target needs derived from the wiring, merged into what is already there.
#[tokio::test]
async fn each_eventbridge_field_is_planned_alone_and_converges() {
    let clients = clients().await;
    let name = unique("events");
    let bus =
        "  description: domain events\n  archive: {retentionDays: 30, pattern: {source: [shop]}}\n";
    let rule = "  description: placed orders\n  pattern: {source: [shop], detail-type: [OrderPlaced]}\n  state: ENABLED\n";
    let target = "{id: to-queue, queue: inbox, inputPath: $.detail}";
    let dir = stack(&name, &bus_and_rule(bus, rule, target));
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;

    // A statement somebody else added to the queue's policy survives slsctl's changes.
    let url = slsctl::kinds::queue::aws::get_queue_url(&clients, &format!("{name}-inbox"))
        .await
        .unwrap()
        .unwrap();
    let live = slsctl::kinds::queue::aws::get_policy(&clients, &url)
        .await
        .unwrap()
        .expect("the rule's permission");
    let mut policy: serde_json::Value = serde_json::from_str(&live).unwrap();
    policy["Statement"].as_array_mut().unwrap().push(serde_json::json!({
        "Sid": "OpsRead", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
        "Action": "sqs:ReceiveMessage", "Resource": format!("arn:aws:sqs:us-east-1:123456789012:{name}-inbox")
    }));
    clients
        .sqs
        .set_queue_attributes()
        .queue_url(&url)
        .attributes(QueueAttributeName::Policy, policy.to_string())
        .send()
        .await
        .unwrap();
    assert_empty_plan(&dir, &clients).await;

    // (bus text to replace, replacement, which rule change, expected (resource, field) changes)
    type Case<'a> = (&'a str, &'a str, &'a str, &'a [(&'a str, &'a str)]);
    let cases: &[Case] = &[
        // A bus's description: moto has no UpdateEventBus; tests/engine_mocked.rs checks it.
        (
            "retentionDays: 30",
            "retentionDays: 90",
            "",
            &[("EventBus/events", "archive.retentionDays")],
        ),
        (
            "pattern: {source: [shop]}}",
            "pattern: {source: [shop, admin]}}",
            "",
            &[("EventBus/events", "archive.pattern")],
        ),
        (
            "",
            "",
            "detail-type: [OrderPlaced]",
            &[("Rule/placed", "pattern")],
        ),
        ("", "", "state: ENABLED", &[("Rule/placed", "state")]),
        (
            "",
            "",
            "description: placed orders",
            &[("Rule/placed", "description")],
        ),
        (
            "",
            "",
            "inputPath: $.detail",
            &[("Rule/placed", "targets[to-queue]")],
        ),
        ("", "", "retry", &[("Rule/placed", "targets[to-queue]")]),
        // A target's dead-letter queue is sent to on the rule's behalf: it gets the rule's
        // statement in its policy, like a target queue.
        (
            "",
            "",
            "dlq",
            &[
                ("Queue/dlq", "permissions[slsctlNAMEplaced]"),
                ("Rule/placed", "targets[to-queue]"),
            ],
        ),
        (
            "",
            "",
            "bus",
            &[
                ("Queue/inbox", "permissions[slsctlNAMEplaced]"),
                ("Rule/placed", "targets[to-queue]"),
            ],
        ),
        (
            "",
            "",
            "function",
            &[
                ("Queue/inbox", "permissions[slsctlNAMEplaced]"),
                ("Function/worker", "permissions[slsctl-events-NAME-placed]"),
                ("Rule/placed", "targets[to-queue]"),
            ],
        ),
    ];
    for (bus_from, bus_to, rule_case, expected) in cases {
        let (changed_bus, changed_rule, changed_target) = match *rule_case {
            "" => (
                bus.replace(bus_from, bus_to),
                rule.to_string(),
                target.to_string(),
            ),
            "detail-type: [OrderPlaced]" => (
                bus.to_string(),
                rule.replace("[OrderPlaced]", "[OrderPlaced, OrderPaid]"),
                target.to_string(),
            ),
            "state: ENABLED" => (
                bus.to_string(),
                rule.replace("ENABLED", "DISABLED"),
                target.to_string(),
            ),
            "description: placed orders" => (
                bus.to_string(),
                rule.replace("placed orders", "every placed order"),
                target.to_string(),
            ),
            "inputPath: $.detail" => (
                bus.to_string(),
                rule.to_string(),
                target.replace("$.detail", "$.detail.order"),
            ),
            "retry" => (
                bus.to_string(),
                rule.to_string(),
                target.replace(
                    "}",
                    ", retryPolicy: {maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600}}",
                ),
            ),
            "dlq" => (
                bus.to_string(),
                rule.to_string(),
                target.replace("}", ", deadLetter: {queue: dlq}}"),
            ),
            "bus" => (
                bus.to_string(),
                rule.to_string(),
                "{id: to-queue, bus: mirror, role: \"arn:aws:iam::123456789012:role/events-mirror\"}"
                    .to_string(),
            ),
            _ => (
                bus.to_string(),
                rule.to_string(),
                "{id: to-queue, function: worker}".to_string(),
            ),
        };
        rewrite(
            &dir,
            &bus_and_rule(&changed_bus, &changed_rule, &changed_target),
        );
        let prepared = plan(&dir, &clients).await;
        let planned: Vec<(String, String)> = without_alarms(&prepared.plan)
            .into_iter()
            .flat_map(|a| {
                a.changes
                    .iter()
                    .map(move |c| (a.id.to_string(), c.field.clone()))
            })
            .collect();
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(id, f)| (id.to_string(), f.replace("NAME", &name)))
            .collect();
        assert_eq!(
            planned,
            expected,
            "{rule_case}{bus_to}: {}",
            slsctl::render::plan_text(&prepared.plan)
        );
        converge(&dir, &clients).await;
        assert_empty_plan(&dir, &clients).await;
        rewrite(&dir, &bus_and_rule(bus, rule, target));
        converge(&dir, &clients).await;
        assert_empty_plan(&dir, &clients).await;
    }

    // The target queue's own attribute changes: one write carries the policy with it, and the
    // rule's permission survives (moto forgets a policy a SetQueueAttributes leaves out).
    rewrite(
        &dir,
        &bus_and_rule(bus, rule, target).replace("visibilityTimeout: 60", "visibilityTimeout: 75"),
    );
    let prepared = plan(&dir, &clients).await;
    let fields: Vec<String> = prepared
        .plan
        .actions
        .iter()
        .flat_map(|a| a.changes.iter().map(|c| format!("{}.{}", a.id, c.field)))
        .collect();
    assert_eq!(fields, vec!["Queue/inbox.visibilityTimeout".to_string()]);
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;

    // The foreign statement is still there after all of it.
    let live = slsctl::kinds::queue::aws::get_policy(&clients, &url)
        .await
        .unwrap()
        .unwrap();
    assert!(live.contains("OpsRead"), "{live}");
}

/// Provisioned-concurrency schedules: slsctl owns the scheduled actions and the tracking policy,
/// never the bounds and values Auto Scaling sets from them.
#[tokio::test]
async fn provisioned_concurrency_schedules_converge_without_fighting_auto_scaling() {
    let clients = clients().await;
    let name = unique("sched");
    let pc = |schedules: &str, tracking: &str| {
        function(&format!("  alias:\n    name: live\n    provisionedConcurrency:\n      baseline: 2\n      schedules:\n{schedules}{tracking}"))
    };
    let peak = "        - {name: peak, cron: \"cron(0 8 ? * MON-FRI *)\", timezone: Europe/Berlin, min: 10, max: 20}\n";
    let calm = "        - {name: calm, cron: \"cron(0 20 ? * MON-FRI *)\", timezone: Europe/Berlin, min: 2, max: 2}\n";
    let tracking = "      targetUtilization: 0.7\n";
    let dir = stack_without_dashboard(&name, &pc(&format!("{peak}{calm}"), tracking));
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;

    // Auto Scaling acts: a schedule fires and moves the bounds. That is not drift.
    clients
        .autoscaling
        .register_scalable_target()
        .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Lambda)
        .resource_id(format!("function:{name}-worker:live"))
        .scalable_dimension(aws_sdk_applicationautoscaling::types::ScalableDimension::LambdaFunctionProvisionedConcurrency)
        .min_capacity(10)
        .max_capacity(20)
        .send()
        .await
        .unwrap();
    assert_empty_plan(&dir, &clients).await;

    let cases: &[(String, &[&str])] = &[
        (
            pc(
                &format!("{}{calm}", peak.replace("max: 20", "max: 40")),
                tracking,
            ),
            &["alias.live.schedules[peak]"],
        ),
        (pc(peak, tracking), &["alias.live.schedules[calm]"]),
        (
            pc(&format!("{peak}{calm}"), "      targetUtilization: 0.5\n"),
            &["alias.live.targetUtilization"],
        ),
        (
            pc(&format!("{peak}{calm}"), ""),
            &["alias.live.targetUtilization"],
        ),
    ];
    for (doc, fields) in cases {
        rewrite(&dir, doc);
        let prepared = plan(&dir, &clients).await;
        let planned: Vec<&str> = prepared
            .plan
            .actions
            .iter()
            .flat_map(|a| a.changes.iter().map(|c| c.field.as_str()))
            .collect();
        assert_eq!(
            planned,
            *fields,
            "{}",
            slsctl::render::plan_text(&prepared.plan)
        );
        converge(&dir, &clients).await;
        assert_empty_plan(&dir, &clients).await;
        rewrite(&dir, &pc(&format!("{peak}{calm}"), tracking));
        converge(&dir, &clients).await;
        assert_empty_plan(&dir, &clients).await;
    }

    // No schedules and no tracking any more: the scalable target goes, the baseline stays as a
    // plain provisioned-concurrency config (which moto cannot store, so only the plan is checked).
    rewrite(&dir, &function("  alias:\n    name: live\n"));
    let prepared = plan(&dir, &clients).await;
    let planned: Vec<&str> = prepared
        .plan
        .actions
        .iter()
        .flat_map(|a| a.changes.iter().map(|c| c.field.as_str()))
        .collect();
    assert_eq!(
        planned,
        [
            "alias.live.autoscaling",
            "alias.live.schedules[calm]",
            "alias.live.schedules[peak]",
            "alias.live.targetUtilization"
        ]
    );
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;
}

fn api(routes: &str, extra: &str) -> String {
    [
        format!("apiVersion: slsctl.dev/v1alpha1\nkind: Api\nmetadata: {{name: public}}\nspec:\n  stage: live\n  routes:\n{routes}{extra}"),
        function("  timeout: 10\n"),
        function("  timeout: 10\n").replace("name: worker", "name: reader"),
    ]
    .join("---\n")
}

/// REST APIs: routes added, moved to another function and removed, the stage's settings, and the
/// invoke permissions per route, each planned alone and converging; a deployment only when the
/// routes change.
#[tokio::test]
async fn each_api_field_is_planned_alone_and_converges() {
    let clients = clients().await;
    let name = unique("api");
    let routes = "    - {method: POST, path: /orders, function: worker}\n    - {method: GET, path: \"/orders/{id}\", function: reader}\n";
    let settings = "  throttling: {rateLimit: 50, burstLimit: 100}\n  tracing: true\n  description: public API\n";
    let dir = stack_without_dashboard(&name, &api(routes, settings));
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;

    let extra_route =
        format!("{routes}    - {{method: DELETE, path: \"/orders/{{id}}\", function: worker}}\n");
    let moved = routes.replace(
        "GET, path: \"/orders/{id}\", function: reader",
        "GET, path: \"/orders/{id}\", function: worker",
    );
    let cases: Vec<(String, String, Vec<&str>)> = vec![
        // One invoke permission per API and function (a resource policy holds 20 KB): a
        // second route to a function needs none, a function left without routes loses its own.
        (
            extra_route,
            settings.to_string(),
            vec!["routes[DELETE /orders/{id}]", "stage.deployment"],
        ),
        (
            moved,
            settings.to_string(),
            vec![
                "permissions[NAME-reader/SID]",
                "routes[GET /orders/{id}]",
                "stage.deployment",
            ],
        ),
        (
            routes.to_string(),
            settings.replace("rateLimit: 50", "rateLimit: 75"),
            vec!["stage.throttling"],
        ),
        (
            routes.to_string(),
            settings.replace("tracing: true", "tracing: false"),
            vec!["stage.tracing"],
        ),
        (
            routes.to_string(),
            settings.replace("public API", "the public API"),
            vec!["description"],
        ),
    ];
    for (changed_routes, changed_settings, fields) in &cases {
        rewrite(&dir, &api(changed_routes, changed_settings));
        let prepared = plan(&dir, &clients).await;
        assert_eq!(
            without_alarms(&prepared.plan).len(),
            1,
            "{}",
            slsctl::render::plan_text(&prepared.plan)
        );
        // Compare the permission fields' shape, not the statement id.
        let planned: Vec<String> = without_alarms(&prepared.plan)[0]
            .changes
            .iter()
            .map(|c| match c.field.split_once("/slsctl-api-") {
                Some((head, _)) => format!("{head}/SID]"),
                None => c.field.clone(),
            })
            .collect();
        let expected: Vec<String> = fields.iter().map(|f| f.replace("NAME", &name)).collect();
        assert_eq!(
            planned,
            expected,
            "{}",
            slsctl::render::plan_text(&prepared.plan)
        );
        converge(&dir, &clients).await;
        assert_empty_plan(&dir, &clients).await;
        rewrite(&dir, &api(routes, settings));
        converge(&dir, &clients).await;
        assert_empty_plan(&dir, &clients).await;
    }

    // Removing the API removes it and the permissions it gave.
    rewrite(
        &dir,
        &[
            function("  timeout: 10\n"),
            function("  timeout: 10\n").replace("name: worker", "name: reader"),
        ]
        .join("---\n"),
    );
    let prepared = plan(&dir, &clients).await;
    let actions = without_alarms(&prepared.plan);
    assert_eq!(actions.len(), 1);
    assert_eq!(actions[0].action, ActionKind::Delete);
    // Its two alarms leave with it.
    assert_eq!(prepared.plan.summary.delete, 3);
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;
    let left = slsctl::kinds::function::permissions::get_permissions(
        &clients,
        &format!("{name}-worker"),
        None,
        &|sid| sid.starts_with("slsctl-api-"),
    )
    .await
    .unwrap();
    assert!(left.is_empty(), "{left:?}");
}

/// An API's custom domain and base-path mapping: created, changed and removed with the spec; a
/// domain that belongs to someone else is never touched.
#[tokio::test]
async fn an_api_custom_domain_converges_and_a_foreign_one_is_left_alone() {
    let clients = clients().await;
    let name = unique("dom");
    let routes = "    - {method: GET, path: /health, function: worker}\n";
    let domain = |host: &str, base: &str, cert: &str| {
        format!("  domain: {{name: {host}, certificateArn: \"arn:aws:acm:us-east-1:123456789012:certificate/{cert}\", basePath: {base}}}\n")
    };
    let host = format!("{name}.example.com");
    let dir = stack(&name, &api(routes, &domain(&host, "v1", "a")));
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;

    // A certificate change (UpdateDomainName, which moto lacks) is checked in tests/engine_mocked.rs.
    for changed in [domain(&host, "v2", "a"), String::new()] {
        rewrite(&dir, &api(routes, &changed));
        let prepared = plan(&dir, &clients).await;
        let fields: Vec<&str> = prepared.plan.actions[0]
            .changes
            .iter()
            .map(|c| c.field.as_str())
            .collect();
        assert!(fields.contains(&"domain"), "{fields:?}");
        converge(&dir, &clients).await;
        assert_empty_plan(&dir, &clients).await;
        rewrite(&dir, &api(routes, &domain(&host, "v1", "a")));
        converge(&dir, &clients).await;
        assert_empty_plan(&dir, &clients).await;
    }

    // Someone else's domain: the apply fails on that action and the domain stays as it was.
    let foreign = format!("other-{name}.example.com");
    clients
        .apigateway
        .create_domain_name()
        .domain_name(&foreign)
        .regional_certificate_arn("arn:aws:acm:us-east-1:123456789012:certificate/theirs")
        .send()
        .await
        .unwrap();
    rewrite(&dir, &api(routes, &domain(&foreign, "v1", "a")));
    let prepared = plan(&dir, &clients).await;
    let report = apply(Arc::new(prepared), &clients, Arc::new(Quiet)).await;
    assert!(
        report.actions.iter().any(|a| matches!(&a.outcome, Outcome::Failed(why) if why.contains("does not belong to this stack"))),
        "{report:?}"
    );
    let theirs = clients
        .apigateway
        .get_domain_name()
        .domain_name(&foreign)
        .send()
        .await
        .unwrap();
    assert_eq!(
        theirs.regional_certificate_arn(),
        Some("arn:aws:acm:us-east-1:123456789012:certificate/theirs")
    );
}

/// When each action of an apply started and finished.
#[derive(Default)]
struct Timeline {
    started: std::sync::Mutex<Vec<(slsctl::model::ResourceId, std::time::Instant)>>,
    finished: std::sync::Mutex<Vec<(slsctl::model::ResourceId, std::time::Instant)>>,
}

impl slsctl::apply::Progress for Timeline {
    fn started(&self, action: &slsctl::plan::ResourceAction) {
        let now = std::time::Instant::now();
        self.started.lock().unwrap().push((action.id.clone(), now));
    }
    fn finished(&self, report: &slsctl::apply::ActionReport) {
        let now = std::time::Instant::now();
        self.finished.lock().unwrap().push((report.id.clone(), now));
    }
}

/// A slow service does not hold up another: while the log groups (created before their
/// functions) wait on CloudWatch Logs, made slower here, the functions whose groups exist
/// already run beside them instead of queueing behind the rest of the groups. Without the
/// executor's lanes by kind, the groups (ready from the start) took every slot until the last
/// one had started, and the first function was done only after that.
#[tokio::test]
async fn functions_run_beside_log_groups_waiting_on_a_slow_service() {
    use slsctl::model::Kind;
    use support::faults::{Fault, FaultProxy, Rule};
    let emulator = Emulator::shared();
    create_role(&emulator.endpoint, ROLE);
    let proxy = FaultProxy::start(&emulator.endpoint, 1).await;
    proxy.set_rules(vec![Rule {
        service: Some("logs".into()),
        operation: Some("CreateLogGroup".into()),
        fault: Fault::Latency(std::time::Duration::from_millis(1500)),
        rate: 1.0,
    }]);
    let sdk = support::faults::through(
        &emulator.sdk_config().await,
        &proxy,
        std::time::Duration::from_secs(20),
    );
    let clients = support::faults::isolated(Clients::new(&sdk), "lanes");
    let name = unique("lanes");
    // Twelve functions without alarms (only the groups and the functions matter here), each
    // with its log group: three rounds of four groups at a time, 1.5 s apart. The first
    // functions' groups are done after the first round; those functions are done well before
    // the third round starts. (Eight were enough while every CloudWatch Logs call shared one
    // 4/s limiter, which spaced the second round out; `CreateLogGroup` has its own now.)
    let mut docs = String::new();
    for i in 0..12 {
        docs.push_str(&format!("apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {{name: f{i}}}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {{path: src}}\n  role: arn:aws:iam::123456789012:role/{ROLE}\n---\n"));
    }
    let dir = stack_dir(
        &name,
        "  observability:\n    dashboard: false\n    alarms: {Function: {errorRate: {disabled: true}, throttles: {disabled: true}, duration: {disabled: true}}}\n",
        &docs,
    );
    let prepared = plan(&dir, &clients).await;
    let timeline = Arc::new(Timeline::default());
    let report = apply(Arc::new(prepared), &clients, timeline.clone()).await;
    assert_eq!(report.failed() + report.skipped(), 0, "{report:?}");
    let started = timeline.started.lock().unwrap().clone();
    let finished = timeline.finished.lock().unwrap().clone();
    let last_group_started = started
        .iter()
        .filter(|(id, _)| id.kind == Kind::LogGroup)
        .map(|(_, at)| *at)
        .max()
        .expect("log groups were created");
    let first_function_done = finished
        .iter()
        .filter(|(id, _)| id.kind == Kind::Function)
        .map(|(_, at)| *at)
        .min()
        .expect("functions were created");
    assert!(
        first_function_done < last_group_started,
        "the first function was done {:?} after the last log group started",
        first_function_done - last_group_started
    );
    assert_empty_plan(&dir, &clients).await;
}
