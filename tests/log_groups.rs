//! Log groups against the emulator: each function's own group with a bounded retention,
//! retention changes, adoption of the group Lambda made by itself, release or deletion when the
//! function leaves, and the strict layer's retention check. Through the strict layer (see
//! tests/engine.rs), so a request AWS would refuse fails here too.

mod support;

use std::collections::BTreeMap;

use slsctl::aws::Clients;
use slsctl::plan::{ActionKind, PlanOptions};
use support::faults::{self, FaultProxy};
use support::stacks::{assert_empty_plan, converge, converge_with, plan, rewrite, stack_dir};
use support::{create_role, unique, Emulator};

const ROLE: &str = "slsctl-test-role";

async fn clients() -> Clients {
    let emulator = Emulator::shared();
    create_role(&emulator.endpoint, ROLE);
    let proxy = FaultProxy::start(&emulator.endpoint, 1).await;
    proxy.set_strict(std::time::Duration::from_millis(300));
    let sdk = faults::through(
        &emulator.sdk_config().await,
        &proxy,
        std::time::Duration::from_secs(20),
    );
    let endpoint = proxy.endpoint.clone();
    Box::leak(Box::new(proxy));
    faults::isolated(Clients::new(&sdk), &format!("logs-{endpoint}"))
}

fn function(name: &str, extra: &str) -> String {
    format!(
        "apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {{name: {name}}}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {{path: src}}\n  role: arn:aws:iam::123456789012:role/{ROLE}\n{extra}---\n"
    )
}

fn queue(name: &str) -> String {
    format!("apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {{name: {name}}}\nspec: {{}}\n---\n")
}

/// The group named exactly `name`: its retention (none: never expires) and its tags.
async fn group(clients: &Clients, name: &str) -> Option<(Option<i32>, BTreeMap<String, String>)> {
    let found = clients
        .logs
        .describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await
        .unwrap();
    let g = found
        .log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(name))?
        .clone();
    let arn = g.log_group_arn().unwrap().to_string();
    let tags = clients
        .logs
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap()
        .tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    Some((g.retention_in_days(), tags))
}

#[tokio::test]
async fn a_function_gets_its_own_group_with_30_days_and_ownership_tags() {
    let clients = clients().await;
    let name = unique("lg-own");
    let dir = stack_dir(&name, "", &function("worker", ""));
    let planned = plan(&dir, &clients).await;
    let mut planned_ids: Vec<String> = planned
        .plan
        .actions
        .iter()
        .map(|a| format!("{:?} {}", a.action, a.id))
        .collect();
    planned_ids.sort();
    // The function's cold-start metric filter and its alarms watch it; the stack's dashboard
    // comes with every stack.
    assert_eq!(
        planned_ids,
        [
            "Create Alarm/Function/worker/duration".to_string(),
            "Create Alarm/Function/worker/errorRate".to_string(),
            "Create Alarm/Function/worker/throttles".to_string(),
            format!("Create Dashboard/{name}"),
            "Create Function/worker".to_string(),
            "Create LogGroup/worker".to_string(),
            "Create MetricFilter/worker".to_string(),
        ]
    );
    // Nothing in the stack runs this function, so it does not wait for its group (issue 18's
    // apply throughput); the filter, which goes on the group, does.
    assert_eq!(
        depends_on(&planned, "Function/worker"),
        Vec::<String>::new()
    );
    assert_eq!(
        depends_on(&planned, "MetricFilter/worker"),
        ["LogGroup/worker", "Function/worker"]
    );
    converge(&dir, &clients).await;
    let (retention, tags) = group(&clients, &format!("/aws/lambda/{name}-worker"))
        .await
        .expect("the function's group exists");
    assert_eq!(retention, Some(30));
    assert_eq!(tags.get("slsctl:stack"), Some(&name));
    assert_eq!(
        tags.get("slsctl:resource").map(String::as_str),
        Some("LogGroup/worker")
    );
    // Retain is a log group's default: no policy tag.
    assert_eq!(tags.get("slsctl:deletion-policy"), None);
    assert_empty_plan(&dir, &clients).await;
}

/// What `id` waits for in the apply.
fn depends_on(planned: &slsctl::engine::Prepared, id: &str) -> Vec<String> {
    planned
        .stack
        .resources
        .iter()
        .find(|r| r.id.to_string() == id)
        .unwrap_or_else(|| panic!("{id} is in the stack"))
        .dependencies()
        .iter()
        .map(|d| d.to_string())
        .collect()
}

#[tokio::test]
async fn a_function_the_stack_runs_waits_for_its_group() {
    let clients = clients().await;
    let name = unique("lg-runs");
    // An SQS trigger, provisioned concurrency, or a rule that targets it: each can run the
    // function as soon as it exists, and Lambda would then make the group itself.
    let resources = format!(
        "{}{}{}{}apiVersion: slsctl.dev/v1alpha1\nkind: Rule\nmetadata: {{name: nightly}}\nspec:\n  schedule: rate(1 day)\n  targets: [{{id: run, function: targeted}}]\n---\n",
        queue("jobs"),
        function("triggered", "  triggers: [{queue: jobs}]\n"),
        function(
            "warm",
            "  alias: {name: live, provisionedConcurrency: {baseline: 1}}\n"
        ),
        function("targeted", ""),
    );
    let dir = stack_dir(&name, "", &resources);
    let planned = plan(&dir, &clients).await;
    for function in ["triggered", "warm", "targeted"] {
        assert!(
            depends_on(&planned, &format!("Function/{function}"))
                .contains(&format!("LogGroup/{function}")),
            "Function/{function} is created before its group"
        );
    }
    let position = |id: &str| {
        planned
            .plan
            .actions
            .iter()
            .position(|a| a.id.to_string() == id)
            .unwrap_or_else(|| panic!("{id} is planned"))
    };
    assert!(position("LogGroup/triggered") < position("Function/triggered"));
}

/// Plan a stack of one plain function (its group planned as a create), then, before the apply,
/// let a group of that name appear with `tags` (none: what Lambda makes when the function runs
/// before its group exists); apply the plan. The stack's name, its directory, the group's name,
/// and the apply.
async fn group_appears_between_plan_and_apply(
    clients: &Clients,
    prefix: &str,
    tags: &[(&str, &str)],
) -> (
    String,
    tempfile::TempDir,
    String,
    slsctl::apply::ApplyReport,
) {
    let name = unique(prefix);
    let group_name = format!("/aws/lambda/{name}-worker");
    let dir = stack_dir(&name, "", &function("worker", ""));
    let planned = plan(&dir, clients).await;
    let create = planned
        .plan
        .actions
        .iter()
        .find(|a| a.id.to_string() == "LogGroup/worker")
        .expect("the group is planned");
    assert_eq!(create.action, ActionKind::Create);
    let mut made = clients.logs.create_log_group().log_group_name(&group_name);
    for (key, value) in tags {
        made = made.tags(*key, *value);
    }
    made.send().await.unwrap();
    let report = slsctl::apply::apply(
        std::sync::Arc::new(planned),
        clients,
        std::sync::Arc::new(slsctl::apply::Quiet),
    )
    .await;
    (name, dir, group_name, report)
}

#[tokio::test]
async fn a_group_lambda_makes_between_the_plan_and_the_apply_is_adopted_by_the_create() {
    let clients = clients().await;
    // The function was invoked after the plan, before its group was created: Lambda made the
    // group, untagged and never expiring, and CreateLogGroup answers that it exists.
    let (name, dir, group_name, report) =
        group_appears_between_plan_and_apply(&clients, "lg-race", &[]).await;
    assert_eq!(
        report.failed() + report.skipped(),
        0,
        "{:?}",
        report.actions
    );
    let (retention, tags) = group(&clients, &group_name).await.unwrap();
    assert_eq!(retention, Some(30));
    assert_eq!(tags.get("slsctl:stack"), Some(&name));
    assert_eq!(
        tags.get("slsctl:resource").map(String::as_str),
        Some("LogGroup/worker")
    );
    assert_empty_plan(&dir, &clients).await;
}

#[tokio::test]
async fn a_create_never_takes_over_a_group_another_stack_owns() {
    let clients = clients().await;
    let theirs = [
        ("slsctl:stack", "someone-else"),
        ("slsctl:resource", "LogGroup/worker"),
    ];
    let (_, _dir, group_name, report) =
        group_appears_between_plan_and_apply(&clients, "lg-theirs", &theirs).await;
    let failed: Vec<String> = report
        .actions
        .iter()
        .filter(|a| a.outcome != slsctl::apply::Outcome::Done)
        .map(|a| a.id.to_string())
        .collect();
    assert!(
        failed.contains(&"LogGroup/worker".to_string()),
        "{failed:?}"
    );
    let (_, tags) = group(&clients, &group_name).await.unwrap();
    assert_eq!(
        tags.get("slsctl:stack").map(String::as_str),
        Some("someone-else")
    );
}

#[tokio::test]
async fn a_retention_change_is_one_update_of_the_group_and_never_removes_the_policy() {
    let clients = clients().await;
    let name = unique("lg-ret");
    let dir = stack_dir(&name, "", &function("worker", ""));
    converge(&dir, &clients).await;
    let group_name = format!("/aws/lambda/{name}-worker");

    rewrite(&dir, &function("worker", "  logRetentionDays: 7\n"));
    let planned = plan(&dir, &clients).await;
    let actions: Vec<(ActionKind, String, Vec<String>)> = planned
        .plan
        .actions
        .iter()
        .map(|a| {
            (
                a.action,
                a.id.to_string(),
                a.changes.iter().map(|c| c.field.clone()).collect(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [(
            ActionKind::Update,
            "LogGroup/worker".to_string(),
            vec!["retentionDays".to_string()]
        )]
    );
    converge(&dir, &clients).await;
    assert_eq!(group(&clients, &group_name).await.unwrap().0, Some(7));
    assert_empty_plan(&dir, &clients).await;

    rewrite(&dir, &function("worker", "  logRetentionDays: never\n"));
    converge(&dir, &clients).await;
    assert_eq!(group(&clients, &group_name).await.unwrap().0, None);
    assert_empty_plan(&dir, &clients).await;
}

#[tokio::test]
async fn the_stack_default_retention_reaches_every_function_without_its_own() {
    let clients = clients().await;
    let name = unique("lg-def");
    let docs = [function("a", ""), function("b", "  logRetentionDays: 90\n")].concat();
    let dir = stack_dir(
        &name,
        "  defaults:\n    function:\n      logRetentionDays: 14\n",
        &docs,
    );
    converge(&dir, &clients).await;
    let retention = |f: &'static str| {
        let clients = clients.clone();
        let name = name.clone();
        async move {
            group(&clients, &format!("/aws/lambda/{name}-{f}"))
                .await
                .unwrap()
                .0
        }
    };
    assert_eq!(retention("a").await, Some(14));
    assert_eq!(retention("b").await, Some(90));
    assert_empty_plan(&dir, &clients).await;
}

#[tokio::test]
async fn the_untagged_group_lambda_made_is_adopted_and_bounded() {
    let clients = clients().await;
    let name = unique("lg-adopt");
    let group_name = format!("/aws/lambda/{name}-worker");
    // What Lambda leaves when a function ran before its group existed: untagged, never expiring.
    clients
        .logs
        .create_log_group()
        .log_group_name(&group_name)
        .send()
        .await
        .unwrap();
    let dir = stack_dir(&name, "", &function("worker", ""));
    let planned = plan(&dir, &clients).await;
    let adopted = planned
        .plan
        .actions
        .iter()
        .find(|a| a.id.to_string() == "LogGroup/worker")
        .expect("the group is planned");
    assert_eq!(adopted.action, ActionKind::Adopt);
    assert_eq!(
        adopted.reasons,
        ["adopted: it is Function/worker's own, found without an owner (as AWS creates it when Function/worker runs before it exists)"]
    );
    assert!(
        planned.plan.refusals.is_empty(),
        "{:?}",
        planned.plan.refusals
    );
    converge(&dir, &clients).await;
    let (retention, tags) = group(&clients, &group_name).await.unwrap();
    assert_eq!(retention, Some(30));
    assert_eq!(tags.get("slsctl:stack"), Some(&name));
    assert_empty_plan(&dir, &clients).await;
}

#[tokio::test]
async fn a_function_leaving_releases_its_group_unless_its_policy_is_delete() {
    let clients = clients().await;
    let name = unique("lg-leave");
    let docs = [
        queue("stays"),
        function("kept", ""),
        function("gone", "  logging: {deletionPolicy: delete}\n"),
    ]
    .concat();
    let dir = stack_dir(&name, "", &docs);
    converge(&dir, &clients).await;
    let (kept, gone) = (
        format!("/aws/lambda/{name}-kept"),
        format!("/aws/lambda/{name}-gone"),
    );
    assert_eq!(
        group(&clients, &gone)
            .await
            .unwrap()
            .1
            .get("slsctl:deletion-policy")
            .map(String::as_str),
        Some("delete")
    );

    rewrite(&dir, &queue("stays"));
    let planned = plan(&dir, &clients).await;
    let of = |id: &str| {
        planned
            .plan
            .actions
            .iter()
            .find(|a| a.id.to_string() == id)
            .unwrap_or_else(|| panic!("{id} is planned"))
    };
    assert_eq!(of("LogGroup/kept").action, ActionKind::Release);
    assert!(
        of("LogGroup/kept").reasons[0].contains("its events still expire after 30 days"),
        "{:?}",
        of("LogGroup/kept").reasons
    );
    assert_eq!(of("LogGroup/gone").action, ActionKind::Delete);
    let options = PlanOptions {
        allow_mass_delete: true,
        ..PlanOptions::default()
    };
    converge_with(&dir, &clients, options).await;

    let (retention, tags) = group(&clients, &kept)
        .await
        .expect("a released group stays");
    assert_eq!(retention, Some(30));
    assert!(
        !tags.keys().any(|k| k.starts_with("slsctl:")),
        "released: {tags:?}"
    );
    assert!(group(&clients, &gone).await.is_none(), "deleted");
    assert_empty_plan(&dir, &clients).await;
}

#[tokio::test]
async fn destroy_follows_the_groups_deletion_policy() {
    let clients = clients().await;
    let name = unique("lg-destroy");
    let docs = [
        function("kept", ""),
        function("gone", "  logging: {deletionPolicy: delete}\n"),
    ]
    .concat();
    let dir = stack_dir(&name, "", &docs);
    converge(&dir, &clients).await;
    let options = PlanOptions {
        destroy: true,
        allow_mass_delete: true,
        ..PlanOptions::default()
    };
    converge_with(&dir, &clients, options).await;
    let (_, tags) = group(&clients, &format!("/aws/lambda/{name}-kept"))
        .await
        .expect("retained");
    assert!(!tags.keys().any(|k| k.starts_with("slsctl:")), "{tags:?}");
    assert!(group(&clients, &format!("/aws/lambda/{name}-gone"))
        .await
        .is_none());
}

#[tokio::test]
async fn functions_sharing_a_written_group_get_no_group_of_their_own() {
    let clients = clients().await;
    let name = unique("lg-shared");
    let docs = [
        "apiVersion: slsctl.dev/v1alpha1\nkind: LogGroup\nmetadata: {name: shared}\nspec: {retentionDays: 60, deletionPolicy: delete}\n---\n".to_string(),
        function("a", "  logging: {logGroup: shared}\n"),
    ]
    .concat();
    let dir = stack_dir(&name, "", &docs);
    let planned = plan(&dir, &clients).await;
    let ids: Vec<String> = planned
        .plan
        .actions
        .iter()
        .map(|a| a.id.to_string())
        .filter(|id| !id.starts_with("Alarm/"))
        .collect();
    // No cold-start metric filter on a shared group (its REPORT lines cannot be told apart by
    // function); the stack's dashboard comes with every stack.
    assert_eq!(
        ids,
        [
            "LogGroup/shared".to_string(),
            "Function/a".to_string(),
            format!("Dashboard/{name}")
        ]
    );
    let create = &planned.plan.actions[1];
    let group_change = create
        .changes
        .iter()
        .find(|c| c.field == "logging.logGroup")
        .expect("the function names its group");
    assert_eq!(
        group_change.after,
        Some(slsctl::plan::FieldValue::known(format!("{name}-shared")))
    );
    converge(&dir, &clients).await;
    assert_eq!(
        group(&clients, &format!("{name}-shared")).await.unwrap().0,
        Some(60)
    );
    assert!(group(&clients, &format!("/aws/lambda/{name}-a"))
        .await
        .is_none());
}

#[tokio::test]
async fn the_strict_layer_refuses_a_retention_cloudwatch_logs_does_not_accept() {
    let clients = clients().await;
    let group_name = format!("/slsctl/{}", unique("lg-strict"));
    clients
        .logs
        .create_log_group()
        .log_group_name(&group_name)
        .send()
        .await
        .unwrap();
    let error = slsctl::kinds::log_group::aws::set_retention(&clients, &group_name, Some(31))
        .await
        .expect_err("31 is not a retention CloudWatch Logs accepts");
    assert_eq!(error.code.as_deref(), Some("InvalidParameterException"));
    slsctl::kinds::log_group::aws::set_retention(&clients, &group_name, Some(30))
        .await
        .expect("30 is");
}
