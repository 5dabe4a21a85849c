//! Roles from the spec alone (issue 15): a stack that names no role stands up on an emulator
//! with no IAM made by hand, its derived policies hold exactly what the wiring needs on exactly
//! the resources it names, they follow the wiring when it changes, and `destroy` removes the
//! roles slsctl made and nothing else.

mod support;

use std::collections::BTreeMap;

use serde_json::{json, Value};
use slsctl::aws::Clients;
use slsctl::kinds::role::policy::{canonical, document_of, role_path, statements_of};
use slsctl::model::Kind;
use slsctl::plan::{ActionKind, PlanOptions};
use support::stacks::{assert_empty_plan, converge, converge_with, plan, rewrite, stack_dir};
use support::unique;

const ACCOUNT: &str = "123456789012";

/// The stack: every kind of wiring a role is derived from. The worker ignores changes to its
/// `deadLetter` because moto ignores a function's DeadLetterConfig (tests/engine.rs); the grant
/// it implies is what is checked here.
fn documents(stack: &str, with_trigger: bool) -> String {
    let trigger = if with_trigger {
        "  triggers: [{queue: jobs}]\n"
    } else {
        ""
    };
    let _ = stack;
    [
        "kind: Table\nmetadata: {name: data}\nspec:\n  partitionKey: {name: pk, type: S}\n  deletionProtection: false\n  deletionPolicy: delete\n".to_string(),
        "kind: Queue\nmetadata: {name: jobs}\nspec: {}\n".to_string(),
        "kind: Queue\nmetadata: {name: failed}\nspec: {}\n".to_string(),
        "kind: EventBus\nmetadata: {name: events}\nspec: {}\n".to_string(),
        "kind: EventBus\nmetadata: {name: sink}\nspec: {}\n".to_string(),
        format!(
            "kind: Function\nmetadata: {{name: worker}}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {{path: src}}\n  tracing: Active\n  environment:\n    TABLE: {{ref: Table/data, access: read}}\n    BUS: {{ref: EventBus/events}}\n  deadLetter: {{queue: failed}}\n  ignoreChanges: [deadLetter]\n  permissions:\n    - statement: {{Effect: Allow, Action: [s3:GetObject], Resource: [\"arn:aws:s3:::reports/*\"]}}\n{trigger}"
        ),
        "kind: Function\nmetadata: {name: api}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {path: src}\n  alias: {name: live}\n".to_string(),
        "kind: Function\nmetadata: {name: caller}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {path: src}\n  environment:\n    API: {ref: Function/api, attr: arn}\n".to_string(),
        "kind: Rule\nmetadata: {name: mirror}\nspec:\n  bus: events\n  pattern: {source: [orders]}\n  targets:\n    - {id: to-sink, bus: sink}\n".to_string(),
    ]
    .iter()
    .map(|d| format!("apiVersion: slsctl.dev/v1alpha1\n{d}"))
    .collect::<Vec<_>>()
    .join("---\n")
}

/// The statements of slsctl's policy on role `name`, as IAM holds them.
async fn statements(clients: &Clients, name: &str) -> BTreeMap<String, Value> {
    let answer = clients
        .iam
        .get_role_policy()
        .role_name(name)
        .policy_name("slsctl")
        .send()
        .await
        .unwrap_or_else(|e| panic!("GetRolePolicy {name}: {e:?}"));
    statements_of(answer.policy_document()).expect("a policy document")
}

fn allow(actions: &[&str], resources: &[&str]) -> Value {
    canonical(&json!({"Effect": "Allow", "Action": actions, "Resource": resources}))
}

async fn role_names(clients: &Clients, path: &str) -> Vec<String> {
    let mut names: Vec<String> = clients
        .iam
        .list_roles()
        .path_prefix(path)
        .send()
        .await
        .unwrap()
        .roles()
        .iter()
        .map(|r| r.role_name().to_string())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn derived_roles_grant_exactly_the_wiring_follow_it_and_leave_with_destroy() {
    let clients = support::stacks::strict_clients("roles").await;
    let stack = unique("roles");
    let dir = stack_dir(&stack, "", &documents(&stack, true));
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;

    let arn =
        |service: &str, resource: &str| format!("arn:aws:{service}:us-east-1:{ACCOUNT}:{resource}");
    let (table, jobs, failed) = (
        arn("dynamodb", &format!("table/{stack}-data")),
        arn("sqs", &format!("{stack}-jobs")),
        arn("sqs", &format!("{stack}-failed")),
    );
    let consume = [
        "sqs:ChangeMessageVisibility",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ReceiveMessage",
    ];
    let mut worker: BTreeMap<String, Value> = [
        (
            "WorkerLogs",
            allow(
                &["logs:CreateLogStream", "logs:PutLogEvents"],
                &[&arn(
                    "logs",
                    &format!("log-group:/aws/lambda/{stack}-worker:*"),
                )],
            ),
        ),
        (
            "WorkerTracing",
            allow(
                &["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
                &["*"],
            ),
        ),
        ("WorkerTriggerJobs", allow(&consume, &[&jobs])),
        (
            "WorkerDeadLetterFailed",
            allow(&["sqs:SendMessage"], &[&failed]),
        ),
        (
            // `access: read` narrows the table to reads, on the table and its indexes.
            "WorkerTableData",
            allow(
                &[
                    "dynamodb:BatchGetItem",
                    "dynamodb:ConditionCheckItem",
                    "dynamodb:DescribeTable",
                    "dynamodb:GetItem",
                    "dynamodb:Query",
                    "dynamodb:Scan",
                ],
                &[&table, &format!("{table}/index/*")],
            ),
        ),
        (
            "WorkerBusEvents",
            allow(
                &["events:PutEvents"],
                &[&arn("events", &format!("event-bus/{stack}-events"))],
            ),
        ),
        (
            "WorkerStatement1",
            allow(&["s3:GetObject"], &["arn:aws:s3:::reports/*"]),
        ),
    ]
    .into_iter()
    .map(|(sid, s)| (sid.to_string(), s))
    .collect();
    assert_eq!(
        statements(&clients, &format!("{stack}-worker")).await,
        worker
    );

    // A function with an alias is invoked through it, and the grant names that ARN.
    let caller = statements(&clients, &format!("{stack}-caller")).await;
    assert_eq!(
        caller.get("CallerInvokeApi"),
        Some(&allow(
            &["lambda:InvokeFunction"],
            &[&arn("lambda", &format!("function:{stack}-api:live"))]
        )),
        "{caller:#?}"
    );
    assert_eq!(caller.len(), 2, "logs and the invoke grant: {caller:#?}");

    // The rule's bus target delivers through a role trusted by EventBridge alone.
    let delivery = format!("{stack}-mirror-delivery");
    assert_eq!(
        statements(&clients, &delivery).await,
        [(
            "MirrorTargetToSink".to_string(),
            allow(
                &["events:PutEvents"],
                &[&arn("events", &format!("event-bus/{stack}-sink"))]
            )
        )]
        .into()
    );
    let role = clients
        .iam
        .get_role()
        .role_name(&delivery)
        .send()
        .await
        .unwrap();
    let role = role.role().unwrap();
    assert_eq!(role.path(), role_path(&stack));
    assert_eq!(
        role.assume_role_policy_document().and_then(document_of),
        Some(canonical(&json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": ["events.amazonaws.com"]}, "Action": "sts:AssumeRole"}],
        })))
    );

    // Removing the trigger removes exactly its statement.
    rewrite(&dir, &documents(&stack, false));
    let prepared = plan(&dir, &clients).await;
    let role_change = prepared
        .plan
        .actions
        .iter()
        .find(|a| a.id.kind == Kind::Role)
        .expect("the worker's role changes");
    assert_eq!(role_change.action, ActionKind::Update);
    let fields: Vec<&str> = role_change
        .changes
        .iter()
        .map(|c| c.field.as_str())
        .collect();
    assert_eq!(fields, ["policy.WorkerTriggerJobs"]);
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;
    worker.remove("WorkerTriggerJobs");
    assert_eq!(
        statements(&clients, &format!("{stack}-worker")).await,
        worker
    );

    // Destroy removes the roles slsctl made, and a role someone put under the same path without
    // this stack's tags stays.
    let path = role_path(&stack);
    clients
        .iam
        .create_role()
        .role_name(format!("{stack}-by-hand"))
        .path(&path)
        .assume_role_policy_document(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}).to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(role_names(&clients, &path).await.len(), 5);
    let options = PlanOptions {
        destroy: true,
        allow_mass_delete: true,
        ..PlanOptions::default()
    };
    converge_with(&dir, &clients, options).await;
    assert_eq!(
        role_names(&clients, &path).await,
        [format!("{stack}-by-hand")]
    );
}

/// A written Role shared by two functions: its policy is the union of their wiring and its own
/// grants, it carries its managed policies and the stack's permissions boundary, and dropping
/// them converges.
#[tokio::test]
async fn a_shared_role_carries_both_functions_wiring_its_managed_policies_and_the_boundary() {
    let clients = support::stacks::strict_clients("roles").await;
    let stack = unique("shared");
    let policy_document = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}).to_string();
    let mut policies = Vec::new();
    for name in ["boundary", "reports"] {
        let created = clients
            .iam
            .create_policy()
            .policy_name(format!("{stack}-{name}"))
            .policy_document(&policy_document)
            .send()
            .await
            .unwrap();
        policies.push(created.policy().unwrap().arn().unwrap().to_string());
    }
    let docs = |managed: &str| {
        [
            "kind: Queue\nmetadata: {name: jobs}\nspec: {}\n".to_string(),
            "kind: Queue\nmetadata: {name: out}\nspec: {}\n".to_string(),
            format!("kind: Role\nmetadata: {{name: shared}}\nspec:\n  permissions: [{{ref: Queue/out, access: read}}]\n{managed}"),
            "kind: Function\nmetadata: {name: a}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {path: src}\n  role: shared\n  environment: {OUT: {ref: Queue/out, attr: url}}\n".to_string(),
            "kind: Function\nmetadata: {name: b}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {path: src}\n  role: shared\n  triggers: [{queue: jobs}]\n".to_string(),
        ]
        .iter()
        .map(|d| format!("apiVersion: slsctl.dev/v1alpha1\n{d}"))
        .collect::<Vec<_>>()
        .join("---\n")
    };
    let dir = stack_dir(
        &stack,
        &format!("  permissionsBoundary: {}\n", policies[0]),
        &docs(&format!("  managedPolicies: [\"{}\"]\n", policies[1])),
    );
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;

    let name = format!("{stack}-shared");
    let sids: Vec<String> = statements(&clients, &name).await.into_keys().collect();
    assert_eq!(
        sids,
        [
            "ALogs",
            "AQueueOut",
            "BLogs",
            "BTriggerJobs",
            "SharedQueueOut"
        ],
        "each function's wiring under its own name, and the role's own grant"
    );
    let out = format!("arn:aws:sqs:us-east-1:{ACCOUNT}:{stack}-out");
    assert_eq!(
        statements(&clients, &name).await["AQueueOut"],
        allow(&["sqs:SendMessage"], &[&out])
    );
    let role = clients
        .iam
        .get_role()
        .role_name(&name)
        .send()
        .await
        .unwrap();
    let boundary = role
        .role()
        .and_then(|r| r.permissions_boundary())
        .and_then(|b| b.permissions_boundary_arn());
    assert_eq!(boundary, Some(policies[0].as_str()));
    let attached = clients
        .iam
        .list_attached_role_policies()
        .role_name(&name)
        .send()
        .await
        .unwrap();
    let arns: Vec<&str> = attached
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn())
        .collect();
    assert_eq!(arns, [policies[1].as_str()]);

    // Without them: the policy is detached and the boundary removed, in place.
    let dir2 = stack_dir(&stack, "", &docs(""));
    let prepared = plan(&dir2, &clients).await;
    let fields: Vec<&str> = prepared
        .plan
        .actions
        .iter()
        .filter(|a| a.id.kind == Kind::Role)
        .flat_map(|a| a.changes.iter().map(|c| c.field.as_str()))
        .collect();
    assert_eq!(fields, ["managedPolicies", "permissionsBoundary"]);
    converge(&dir2, &clients).await;
    assert_empty_plan(&dir2, &clients).await;
}
