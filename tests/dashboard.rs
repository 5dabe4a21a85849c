//! The stack's dashboard and its functions' cold-start metric filters against the emulator:
//! the example stack with both plans empty after its apply, the dashboard names every resource
//! of the stack (its body read back with GetDashboard), removing a function removes its widgets
//! and its filter, and `observability.dashboard: false` removes the dashboard. Through the
//! strict layer (see tests/engine.rs), so a request AWS would refuse fails here too.

mod support;

use std::sync::Arc;

use serde_json::Value;
use slsctl::apply::{apply, Quiet};
use slsctl::aws::Clients;
use slsctl::engine::prepare;
use slsctl::model::{Kind, ResourceSpec};
use slsctl::plan::{ActionKind, PlanOptions};
use support::stacks::{assert_empty_plan, converge, plan, rewrite, stack_dir, strict_clients};
use support::{create_role, unique, Emulator};

const ROLE: &str = "slsctl-test-role";

async fn clients() -> Clients {
    create_role(&Emulator::shared().endpoint, ROLE);
    strict_clients("dashboard").await
}

fn function(name: &str, extra: &str) -> String {
    format!(
        "apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {{name: {name}}}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {{path: src}}\n  role: arn:aws:iam::123456789012:role/{ROLE}\n{extra}---\n"
    )
}

fn queue(name: &str) -> String {
    format!("apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {{name: {name}}}\nspec: {{}}\n---\n")
}

/// The dashboard's body as GetDashboard returns it, parsed; none when there is no dashboard.
async fn dashboard_body(clients: &Clients, name: &str) -> Option<Value> {
    let output = clients
        .cloudwatch
        .get_dashboard()
        .dashboard_name(name)
        .send()
        .await
        .ok()?;
    Some(serde_json::from_str(output.dashboard_body().unwrap()).unwrap())
}

/// Every dimension value and text the body's widgets show.
fn shown(body: &Value) -> String {
    body["widgets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["properties"].to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The metric filters on `group` (name, pattern, metric name).
async fn filters(clients: &Clients, group: &str) -> Vec<(String, String, String)> {
    clients
        .logs
        .describe_metric_filters()
        .log_group_name(group)
        .send()
        .await
        .unwrap()
        .metric_filters()
        .iter()
        .map(|f| {
            (
                f.filter_name().unwrap().to_string(),
                f.filter_pattern().unwrap_or_default().to_string(),
                f.metric_transformations()[0].metric_name().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_example_stack_has_a_dashboard_naming_every_resource_and_a_cold_start_filter_per_function(
) {
    let clients = clients().await;
    let root = support::project_root().join("specs/examples/orders");
    // A stack of its own on the shared emulator: the example under another stack name, so that
    // its physical names are its own.
    let name = unique("dash-ex");
    let (stack, _dir) = {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&root, dir.path());
        let text = std::fs::read_to_string(dir.path().join("stack.yaml"))
            .unwrap()
            .replace("name: orders", &format!("name: {name}"));
        std::fs::write(dir.path().join("stack.yaml"), text).unwrap();
        let loaded = slsctl::kinds::load_stack(dir.path())
            .unwrap_or_else(|(d, s)| panic!("{}", d.render(&|p| s.get(p))));
        (loaded.0, dir)
    };
    let prepared = Arc::new(
        prepare(stack.clone(), &clients, &PlanOptions::default())
            .await
            .unwrap(),
    );
    let report = apply(prepared, &clients, Arc::new(Quiet)).await;
    assert_eq!(report.failed() + report.skipped(), 0, "{report:?}");
    let again = prepare(stack.clone(), &clients, &PlanOptions::default())
        .await
        .unwrap();
    assert!(
        again.plan.actions.is_empty(),
        "{}",
        slsctl::render::plan_text(&again.plan)
    );

    let body = dashboard_body(&clients, &format!("slsctl-{name}"))
        .await
        .expect("the stack's dashboard exists");
    let text = shown(&body);
    let mut watched = 0;
    for resource in &stack.resources {
        if matches!(
            resource.id.kind,
            Kind::Function | Kind::Queue | Kind::Api | Kind::Table | Kind::Rule
        ) {
            watched += 1;
            assert!(
                text.contains(&format!("\"{}\"", resource.physical_name)),
                "{} ({}) is not on the dashboard:\n{text}",
                resource.id,
                resource.physical_name
            );
        }
    }
    assert!(watched >= 8, "the example has resources of every kind");

    for resource in &stack.resources {
        let ResourceSpec::Function(f) = &resource.spec else {
            continue;
        };
        if f.logging.log_group.is_some() {
            continue;
        }
        let group = format!("/aws/lambda/{}", resource.physical_name);
        let found = filters(&clients, &group).await;
        assert_eq!(
            found.len(),
            1,
            "one cold-start filter on {group}: {found:?}"
        );
        let (filter, pattern, metric) = &found[0];
        assert_eq!(
            filter,
            &format!("slsctl-{name}-cold-start-{}", resource.id.name)
        );
        assert!(pattern.contains("Init"), "{pattern}");
        assert_eq!(metric, &format!("InitDuration/{}", resource.physical_name));
        // Its cold starts are on the dashboard.
        assert!(text.contains(metric.as_str()), "{metric} on the dashboard");
    }
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[tokio::test]
async fn removing_a_function_removes_its_widgets_and_its_filter_and_the_plan_shows_the_body_diff() {
    let clients = clients().await;
    let name = unique("dash-rm");
    let both = [function("keep", ""), function("gone", ""), queue("jobs")].concat();
    let dir = stack_dir(&name, "", &both);
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;
    let dashboard = format!("slsctl-{name}");
    let gone_group = format!("/aws/lambda/{name}-gone");
    let body = dashboard_body(&clients, &dashboard).await.unwrap();
    assert!(shown(&body).contains(&format!("\"{name}-gone\"")));
    assert_eq!(filters(&clients, &gone_group).await.len(), 1);

    rewrite(&dir, &[function("keep", ""), queue("jobs")].concat());
    let planned = plan(&dir, &clients).await;
    let actions: Vec<(ActionKind, String)> = planned
        .plan
        .actions
        .iter()
        .map(|a| (a.action, a.id.to_string()))
        .collect();
    assert!(
        actions.contains(&(ActionKind::Update, format!("Dashboard/{name}"))),
        "{actions:?}"
    );
    assert!(
        actions.contains(&(ActionKind::Delete, "MetricFilter/gone".to_string())),
        "{actions:?}"
    );
    // The plan shows the body as a line diff: the removed function's widgets are `-` lines.
    let text = slsctl::render::plan_text(&planned.plan);
    assert!(text.contains("~ body:"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with('-') && l.contains(&format!("{name}-gone"))),
        "{text}"
    );
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;
    let body = dashboard_body(&clients, &dashboard).await.unwrap();
    assert!(!shown(&body).contains(&format!("{name}-gone")), "{body}");
    assert!(shown(&body).contains(&format!("\"{name}-keep\"")));
    // The released log group keeps no filter of the stack's.
    assert!(filters(&clients, &gone_group).await.is_empty());
    assert_eq!(
        filters(&clients, &format!("/aws/lambda/{name}-keep"))
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn a_stack_that_turns_its_dashboard_off_deletes_it_and_never_touches_another() {
    let clients = clients().await;
    let name = unique("dash-off");
    // Someone else's dashboard whose name starts like the stack's.
    let other = format!("slsctl-{name}-theirs");
    clients
        .cloudwatch
        .put_dashboard()
        .dashboard_name(&other)
        .dashboard_body("{\"widgets\":[]}")
        .send()
        .await
        .unwrap();
    let dir = stack_dir(&name, "", &queue("jobs"));
    converge(&dir, &clients).await;
    assert!(dashboard_body(&clients, &format!("slsctl-{name}"))
        .await
        .is_some());

    std::fs::write(
        dir.path().join("stack.yaml"),
        format!("apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {{name: {name}}}\nspec:\n  region: us-east-1\n  observability: {{dashboard: false}}\n"),
    )
    .unwrap();
    let planned = plan(&dir, &clients).await;
    let actions: Vec<(ActionKind, String)> = planned
        .plan
        .actions
        .iter()
        .map(|a| (a.action, a.id.to_string()))
        .collect();
    assert_eq!(actions, [(ActionKind::Delete, format!("Dashboard/{name}"))]);
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;
    assert!(dashboard_body(&clients, &format!("slsctl-{name}"))
        .await
        .is_none());
    assert!(
        dashboard_body(&clients, &other).await.is_some(),
        "another's dashboard stays"
    );
}

// ---------------------------------------------------------------------------------------------
// The body and the derivation, without the emulator.

use slsctl::kinds::dashboard::body::body;
use slsctl::model::Stack;

/// A stack of every watched kind: a function on its own log group with an alias holding
/// provisioned concurrency, one on a shared group, a queue with its DLQ, a table, a rule on a
/// custom bus and an Api.
fn small_stack_docs() -> String {
    [
        function("api", "  alias: {name: live, provisionedConcurrency: {baseline: 2}}\n"),
        function("audit", "  logging: {logGroup: shared}\n"),
        "apiVersion: slsctl.dev/v1alpha1\nkind: LogGroup\nmetadata: {name: shared}\nspec: {}\n---\n".to_string(),
        "apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {name: jobs}\nspec: {deadLetter: {queue: jobs-dlq, maxReceiveCount: 3}}\n---\n".to_string(),
        queue("jobs-dlq"),
        "apiVersion: slsctl.dev/v1alpha1\nkind: Table\nmetadata: {name: app}\nspec: {partitionKey: {name: pk, type: S}, billingMode: PAY_PER_REQUEST}\n---\n".to_string(),
        "apiVersion: slsctl.dev/v1alpha1\nkind: EventBus\nmetadata: {name: bus}\nspec: {}\n---\n".to_string(),
        "apiVersion: slsctl.dev/v1alpha1\nkind: Rule\nmetadata: {name: placed}\nspec: {bus: bus, pattern: {source: [shop]}, targets: [{id: q, queue: jobs}]}\n---\n".to_string(),
        "apiVersion: slsctl.dev/v1alpha1\nkind: Api\nmetadata: {name: public}\nspec: {routes: [{method: GET, path: /x, function: api}]}\n---\n".to_string(),
    ]
    .concat()
}

fn load(stack_spec: &str, docs: &str) -> Stack {
    let dir = stack_dir("shop", stack_spec, docs);
    slsctl::kinds::load_stack(dir.path())
        .unwrap_or_else(|(d, s)| panic!("{}", d.render(&|p| s.get(p))))
        .0
}

#[test]
fn the_body_of_a_small_stack_has_a_row_per_watched_resource() {
    let stack = load("", &small_stack_docs());
    insta::assert_snapshot!(serde_json::to_string_pretty(&body(&stack, "eu-west-1")).unwrap());
}

#[test]
fn the_same_spec_gives_the_same_body_bytes() {
    let one = body(&load("", &small_stack_docs()), "eu-west-1").to_string();
    let two = body(&load("", &small_stack_docs()), "eu-west-1").to_string();
    assert_eq!(one, two);
}

#[test]
fn only_a_function_with_its_own_group_gets_a_cold_start_filter_and_widget() {
    let stack = load("", &small_stack_docs());
    let filters: Vec<String> = stack
        .resources
        .iter()
        .filter(|r| r.id.kind == Kind::MetricFilter)
        .map(|r| format!("{} {}", r.id, r.physical_name))
        .collect();
    assert_eq!(filters, ["MetricFilter/api slsctl-shop-cold-start-api"]);
    let text = body(&stack, "eu-west-1").to_string();
    assert!(text.contains("InitDuration/shop-api"));
    assert!(!text.contains("InitDuration/shop-audit"));
    // The provisioned-concurrency graph only for the function whose alias has it.
    assert!(text.contains("shop-api:live"));
    assert_eq!(text.matches("ProvisionedConcurrencyUtilization").count(), 1);
}

#[test]
fn the_stack_can_turn_its_dashboard_off() {
    let on = load("", &queue("jobs"));
    let dashboard: Vec<String> = on
        .resources
        .iter()
        .filter(|r| r.id.kind == Kind::Dashboard)
        .map(|r| {
            format!(
                "{} {} from {:?}",
                r.id,
                r.physical_name,
                r.derived_from.as_ref().map(ToString::to_string)
            )
        })
        .collect();
    assert_eq!(
        dashboard,
        ["Dashboard/shop slsctl-shop from Some(\"Stack/shop\")"]
    );
    let off = load("  observability: {dashboard: false}\n", &queue("jobs"));
    assert!(off.resources.iter().all(|r| r.id.kind != Kind::Dashboard));
}

/// The stage's `tracing` as the plan wants it.
fn stage_tracing(stack: &Stack) -> serde_json::Value {
    let context = slsctl::kinds::desired::Context {
        account: "123456789012".into(),
        region: "us-east-1".into(),
        partition: "aws".into(),
        ..Default::default()
    };
    let desired = slsctl::kinds::desired::desired_resources(stack, &context);
    let api = desired.iter().find(|d| d.id.kind == Kind::Api).unwrap();
    match api.props.get("stage.tracing") {
        Some(slsctl::plan::FieldValue::Known(v)) => v.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn api_stages_follow_the_stacks_tracing_unless_they_write_their_own() {
    let api = |extra: &str| {
        [
            function("api", ""),
            format!("apiVersion: slsctl.dev/v1alpha1\nkind: Api\nmetadata: {{name: public}}\nspec: {{routes: [{{method: GET, path: /x, function: api}}]{extra}}}\n---\n"),
        ]
        .concat()
    };
    let traced = "  observability: {tracing: true}\n";
    assert_eq!(stage_tracing(&load("", &api(""))), serde_json::json!(false));
    assert_eq!(
        stage_tracing(&load(traced, &api(""))),
        serde_json::json!(true)
    );
    // An Api's own `false` wins over the Stack's `true`, and its own `true` needs no Stack.
    assert_eq!(
        stage_tracing(&load(traced, &api(", tracing: false"))),
        serde_json::json!(false)
    );
    assert_eq!(
        stage_tracing(&load("", &api(", tracing: true"))),
        serde_json::json!(true)
    );
}

#[test]
fn a_written_dashboard_or_metric_filter_is_refused_with_a_hint() {
    for kind in ["Dashboard", "MetricFilter"] {
        let dir = stack_dir(
            "shop",
            "",
            &format!("apiVersion: slsctl.dev/v1alpha1\nkind: {kind}\nmetadata: {{name: mine}}\nspec: {{}}\n"),
        );
        let Err((diagnostics, sources)) = slsctl::kinds::load_stack(dir.path()) else {
            panic!("a written {kind} is refused");
        };
        let text = diagnostics.render(&|p| sources.get(p));
        assert!(
            text.contains(&format!(
                "{kind} resources are derived by slsctl, not written"
            )),
            "{text}"
        );
        assert!(
            text.contains("resources.yaml:2:"),
            "where it is written: {text}"
        );
        assert!(text.contains("hint:"), "{text}");
    }
}

/// `cost --recommend` reads what CloudWatch holds: metric data put into the emulator
/// (Invocations and Duration of one function, two hours of it) comes back through the batched
/// GetMetricData as hourly points; the function without data has none.
#[tokio::test]
async fn recommendations_read_the_metric_data_cloudwatch_holds() {
    use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit};
    let clients = clients().await;
    let name = unique("reco");
    let dir = stack_dir(&name, "", &(function("busy", "") + &function("quiet", "")));
    let (stack, _) = slsctl::kinds::load_stack(dir.path())
        .unwrap_or_else(|(d, s)| panic!("{}", d.render(&|p| s.get(p))));
    let physical = |n: &str| {
        stack
            .resources
            .iter()
            .find(|r| r.id.kind == Kind::Function && r.id.name == n)
            .unwrap()
            .physical_name
            .clone()
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let end = now - now.rem_euclid(3600);
    let datum = |metric: &str, at: i64, value: f64, unit: StandardUnit| {
        MetricDatum::builder()
            .metric_name(metric)
            .dimensions(
                Dimension::builder()
                    .name("FunctionName")
                    .value(physical("busy"))
                    .build(),
            )
            .timestamp(aws_smithy_types::DateTime::from_secs(at))
            .value(value)
            .unit(unit)
            .build()
    };
    clients
        .cloudwatch
        .put_metric_data()
        .namespace("AWS/Lambda")
        .metric_data(datum(
            "Invocations",
            end - 7200 + 60,
            40.0,
            StandardUnit::Count,
        ))
        .metric_data(datum(
            "Invocations",
            end - 3600 + 60,
            2.0,
            StandardUnit::Count,
        ))
        .metric_data(datum(
            "Duration",
            end - 3600 + 60,
            120.0,
            StandardUnit::Milliseconds,
        ))
        .send()
        .await
        .expect("PutMetricData");
    let observed = slsctl::cli::cost::observe_for_recommendations(&stack, &clients.cloudwatch, end)
        .await
        .expect("GetMetricData");
    let busy = observed
        .functions
        .iter()
        .find(|f| f.id.name == "busy")
        .unwrap();
    let invocations: f64 = busy.invocations.iter().map(|p| p.1).sum();
    assert_eq!(invocations, 42.0, "{:?}", busy.invocations);
    assert_eq!(
        busy.duration_ms.iter().map(|p| p.1).collect::<Vec<_>>(),
        vec![120.0]
    );
    assert_eq!(busy.max_memory_used_mb, None);
    // No data for the other function: what `recommend` reads as idle (a unit test there).
    let quiet = observed
        .functions
        .iter()
        .find(|f| f.id.name == "quiet")
        .unwrap();
    assert!(quiet.invocations.is_empty(), "{:?}", quiet.invocations);
}
