//! Real-AWS fidelity on the emulator: what AWS does and moto forgives.
//!
//! Traffic reaches the alias that holds provisioned concurrency (triggers, integrations, targets
//! and permissions are alias-qualified, and moving between `$LATEST` and an alias converges), and
//! the strict layer (`support::faults` in strict mode) answers as AWS does where moto does not:
//! backups not ready after CreateTable, a queue name's 60 s cooldown, a table still `DELETING`,
//! method settings that do not exist, a role IAM has not propagated.

mod support;

use std::sync::Arc;
use std::time::Duration;

use slsctl::apply::{apply, Quiet};
use slsctl::aws::Clients;
use slsctl::engine::prepare;
use slsctl::plan::PlanOptions;
use support::faults::{self, FaultProxy};
use support::stacks::{assert_empty_plan, converge, plan, rewrite, stack_dir};
use support::{create_role, unique, Emulator};

const ROLE: &str = "slsctl-fidelity-role";

/// AWS's windows, scaled: long enough that the engine must wait them out, short for a test.
const WINDOW: Duration = Duration::from_secs(2);

/// Clients that reach the emulator through the strict layer, and the proxy that holds it.
async fn strict_clients(seed: u64) -> (Clients, FaultProxy) {
    let emulator = Emulator::shared();
    create_role(&emulator.endpoint, ROLE);
    let proxy = FaultProxy::start(&emulator.endpoint, seed).await;
    proxy.set_strict(WINDOW);
    let sdk = faults::through(
        &emulator.sdk_config().await,
        &proxy,
        Duration::from_secs(20),
    );
    (
        faults::isolated(Clients::new(&sdk), &format!("strict{seed}")),
        proxy,
    )
}

fn stack(name: &str, docs: &str) -> tempfile::TempDir {
    stack_dir(name, "", docs)
}

/// A function `worker` (with `alias`, when given) behind a queue trigger, a rule and an API route.
fn wired(alias: Option<&str>) -> String {
    let alias = alias
        .map(|a| format!("  alias: {{name: {a}}}\n"))
        .unwrap_or_default();
    format!(
        "apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {{name: worker}}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {{path: src}}\n  role: arn:aws:iam::123456789012:role/{ROLE}\n  timeout: 10\n{alias}  triggers:\n    - {{queue: jobs}}\n---\n\
         apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {{name: jobs}}\nspec:\n  visibilityTimeout: 60\n---\n\
         apiVersion: slsctl.dev/v1alpha1\nkind: Rule\nmetadata: {{name: tick}}\nspec:\n  schedule: rate(5 minutes)\n  targets:\n    - {{id: work, function: worker}}\n---\n\
         apiVersion: slsctl.dev/v1alpha1\nkind: Api\nmetadata: {{name: public}}\nspec:\n  stage: live\n  routes:\n    - {{method: GET, path: /jobs, function: worker}}\n    - {{method: POST, path: /jobs, function: worker}}\n"
    )
}

/// Where each invocation path of `function` points, as the live resources say.
struct Wiring {
    mapping: String,
    target: String,
    integrations: Vec<String>,
    /// Statement ids of the function's own policy, and of the alias's.
    function_policy: Vec<String>,
    alias_policy: Vec<String>,
}

async fn wiring(clients: &Clients, stack: &str, alias: &str) -> Wiring {
    let function = format!("{stack}-worker");
    let mappings = clients
        .lambda
        .list_event_source_mappings()
        .event_source_arn(format!("arn:aws:sqs:us-east-1:123456789012:{stack}-jobs"))
        .send()
        .await
        .unwrap();
    let mapping = match mappings.event_source_mappings() {
        [one] => one.function_arn().unwrap_or_default().to_string(),
        other => panic!("expected one mapping, found {}", other.len()),
    };
    let targets = clients
        .events
        .list_targets_by_rule()
        .rule(format!("{stack}-tick"))
        .send()
        .await
        .unwrap();
    let target = match targets.targets() {
        [one] => one.arn().to_string(),
        other => panic!("expected one target, found {}", other.len()),
    };
    let apis = clients.apigateway.get_rest_apis().send().await.unwrap();
    let api = apis
        .items()
        .iter()
        .find(|a| a.name() == Some(&format!("{stack}-public")))
        .expect("the API");
    let resources = clients
        .apigateway
        .get_resources()
        .rest_api_id(api.id().unwrap())
        .embed("methods")
        .send()
        .await
        .unwrap();
    let mut integrations = Vec::new();
    for resource in resources.items() {
        for method in resource
            .resource_methods()
            .into_iter()
            .flatten()
            .map(|(m, _)| m)
        {
            let integration = clients
                .apigateway
                .get_integration()
                .rest_api_id(api.id().unwrap())
                .resource_id(resource.id().unwrap())
                .http_method(method)
                .send()
                .await
                .unwrap();
            integrations.push(integration.uri().unwrap_or_default().to_string());
        }
    }
    let statements = |qualifier: Option<&str>| {
        let clients = clients.clone();
        let function = function.clone();
        let qualifier = qualifier.map(str::to_string);
        async move {
            let props = slsctl::kinds::function::permissions::get_permissions(
                &clients,
                &function,
                qualifier.as_deref(),
                &|sid| sid.starts_with("slsctl-"),
            )
            .await
            .unwrap();
            props
                .keys()
                .map(|k| {
                    k.trim_start_matches("permissions[")
                        .trim_end_matches(']')
                        .to_string()
                })
                .collect::<Vec<_>>()
        }
    };
    Wiring {
        mapping,
        target,
        integrations,
        function_policy: statements(None).await,
        alias_policy: statements(Some(alias)).await,
    }
}

/// Provisioned concurrency serves only the alias that holds it, so every trigger, route, target
/// and permission of an aliased function names the alias; moving to the alias and back converges
/// in one apply each, with one mapping and one target all along.
#[tokio::test]
async fn an_aliased_function_is_invoked_through_its_alias_and_moves_back_and_forth() {
    // Through the strict layer: a mapping reports the alias ARN it was made with, as on AWS.
    let (clients, _proxy) = strict_clients(1).await;
    let name = unique("als");
    let function_arn = format!("arn:aws:lambda:us-east-1:123456789012:function:{name}-worker");
    let api_sid = format!("slsctl-api-{name}-public");
    let rule_sid = format!("slsctl-events-{name}-tick");

    let dir = stack(&name, &wired(Some("live")));
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;
    let live = wiring(&clients, &name, "live").await;
    let qualified = format!("{function_arn}:live");
    assert_eq!(live.mapping, qualified);
    assert_eq!(live.target, qualified);
    assert_eq!(live.integrations.len(), 2);
    for uri in &live.integrations {
        assert!(
            uri.ends_with(&format!("/functions/{qualified}/invocations")),
            "{uri}"
        );
    }
    // One statement per API and function (not one per route), on the alias.
    assert_eq!(live.alias_policy, [api_sid.clone(), rule_sid.clone()]);
    assert!(
        live.function_policy.is_empty(),
        "{:?}",
        live.function_policy
    );

    // Without the alias: everything moves to the function, and the alias goes.
    rewrite(&dir, &wired(None));
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;
    let plain = wiring(&clients, &name, "live").await;
    assert_eq!(plain.mapping, function_arn);
    assert_eq!(plain.target, function_arn);
    for uri in &plain.integrations {
        assert!(
            uri.ends_with(&format!("/functions/{function_arn}/invocations")),
            "{uri}"
        );
    }
    assert_eq!(plain.function_policy, [api_sid.clone(), rule_sid.clone()]);
    assert!(plain.alias_policy.is_empty(), "{:?}", plain.alias_policy);
    let aliases = clients
        .lambda
        .list_aliases()
        .function_name(format!("{name}-worker"))
        .send()
        .await
        .unwrap();
    assert!(aliases.aliases().is_empty(), "{:?}", aliases.aliases());

    // And back to the alias.
    rewrite(&dir, &wired(Some("live")));
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;
    let again = wiring(&clients, &name, "live").await;
    assert_eq!(again.mapping, qualified);
    assert_eq!(again.target, qualified);
    assert_eq!(again.alias_policy, [api_sid, rule_sid]);
    assert!(
        again.function_policy.is_empty(),
        "{:?}",
        again.function_policy
    );
}

/// The behaviours of the strict layer each answered at least once in a run.
fn assert_met(proxy: &FaultProxy, behaviours: &[&str]) {
    let refused = proxy.strict_refusals();
    for behaviour in behaviours {
        assert!(
            refused.get(behaviour).copied().unwrap_or(0) > 0,
            "the strict layer never answered `{behaviour}`: {refused:?}"
        );
    }
}

/// The reference stack stands up in one apply on AWS's terms (backups not ready right after
/// CreateTable, roles not yet assumable, a stage without throttling) and plans empty.
#[tokio::test]
async fn the_example_stack_applies_in_one_run_through_the_strict_layer() {
    let (clients, proxy) = strict_clients(2).await;
    // Its own copy under a unique stack name: other test binaries use the example too.
    let name = unique("ord");
    let source = support::project_root().join("specs/examples/orders");
    let copy = tempfile::tempdir().unwrap();
    copy_tree(&source, copy.path());
    let stack_file = copy.path().join("stack.yaml");
    let text = std::fs::read_to_string(&stack_file).unwrap();
    std::fs::write(
        &stack_file,
        text.replacen("name: orders", &format!("name: {name}"), 1),
    )
    .unwrap();
    let dir = copy;
    let (stack, _) = slsctl::kinds::load_stack(dir.path())
        .unwrap_or_else(|(d, s)| panic!("{}", d.render(&|p| s.get(p))));
    let prepared = prepare(stack.clone(), &clients, &PlanOptions::default())
        .await
        .unwrap();
    let report = apply(Arc::new(prepared), &clients, Arc::new(Quiet)).await;
    assert_eq!(report.failed() + report.skipped(), 0, "{report:?}");
    let again = prepare(stack, &clients, &PlanOptions::default())
        .await
        .unwrap();
    assert!(
        again.plan.actions.is_empty(),
        "{}",
        slsctl::render::plan_text(&again.plan)
    );
    assert_met(
        &proxy,
        &[
            "backups-unavailable",
            "role-not-assumable",
            "mapping-permissions-not-propagated",
        ],
    );
    // Every request went through AWS's service models: none refused, and the writes of every
    // service were among them.
    assert!(
        proxy.model_violations().is_empty(),
        "{:?}",
        proxy.model_violations()
    );
    let checked = proxy.model_checked();
    for operation in [
        "iam:CreateRole",
        "iam:PutRolePolicy",
        "lambda:CreateFunction",
        "lambda:AddPermission",
        "lambda:CreateAlias",
        "lambda:PublishLayerVersion",
        "apigateway:PutIntegration",
        "apigateway:CreateDeployment",
        "apigateway:UpdateStage",
        "dynamodb:CreateTable",
        "dynamodb:UpdateContinuousBackups",
        "sqs:CreateQueue",
        "events:PutRule",
        "events:PutTargets",
        "events:CreateArchive",
        "application-autoscaling:PutScheduledAction",
        "tagging:GetResources",
    ] {
        assert!(
            checked.contains_key(operation),
            "{operation} was not checked: {checked:?}"
        );
    }
    // The rule target's dead-letter queue lets EventBridge send to it on the rule's behalf.
    let dlq = clients
        .sqs
        .get_queue_url()
        .queue_name(format!("{name}-order-events-dlq"))
        .send()
        .await
        .unwrap();
    let attributes = clients
        .sqs
        .get_queue_attributes()
        .queue_url(dlq.queue_url().unwrap())
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::Policy)
        .send()
        .await
        .unwrap();
    let policy = attributes
        .attributes()
        .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::Policy))
        .cloned()
        .unwrap_or_default();
    assert!(
        policy.contains("events.amazonaws.com")
            && policy.contains(&format!("rule/{name}-orders/{name}-order-placed")),
        "{policy}"
    );
}

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn table(key: &str) -> String {
    format!(
        "apiVersion: slsctl.dev/v1alpha1\nkind: Table\nmetadata: {{name: data}}\nspec:\n  partitionKey: {{name: {key}, type: S}}\n  pointInTimeRecovery: true\n  timeToLiveAttribute: expiresAt\n  deletionProtection: false\n"
    )
}

/// A table with point-in-time recovery is created (backups become available a while after
/// CreateTable), then replaced with the user's opt-in: the new table is created only once the old
/// one has finished deleting.
#[tokio::test]
async fn a_table_with_pitr_is_created_and_replaced_in_one_run_each() {
    let (clients, proxy) = strict_clients(3).await;
    let dir = stack(&unique("tbl"), &table("pk"));
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;
    assert_met(&proxy, &["backups-unavailable"]);

    rewrite(&dir, &table("id"));
    let prepared = plan(&dir, &clients).await;
    let id = prepared.plan.actions[0].id.clone();
    let options = PlanOptions {
        allow_replace: [id].into(),
        ..PlanOptions::default()
    };
    let (stack, _) = slsctl::kinds::load_stack(dir.path()).unwrap_or_else(|_| panic!("spec"));
    let prepared = prepare(stack, &clients, &options).await.unwrap();
    let report = apply(Arc::new(prepared), &clients, Arc::new(Quiet)).await;
    assert_eq!(report.failed() + report.skipped(), 0, "{report:?}");
    assert_empty_plan(&dir, &clients).await;
    assert_met(&proxy, &["table-deleting"]);
}

/// A queue removed and added back within SQS's 60 s name cooldown: the second apply waits the
/// cooldown out instead of failing.
#[tokio::test]
async fn a_queue_removed_and_added_back_waits_out_the_name_cooldown() {
    let (clients, proxy) = strict_clients(4).await;
    let queue = "apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {name: jobs}\nspec:\n  visibilityTimeout: 60\n";
    let keep = "apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {name: keep}\nspec: {}\n";
    let dir = stack(&unique("qcd"), &format!("{queue}---\n{keep}"));
    converge(&dir, &clients).await;
    rewrite(&dir, keep);
    converge(&dir, &clients).await;
    rewrite(&dir, &format!("{queue}---\n{keep}"));
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;
    assert_met(&proxy, &["queue-deleted-recently"]);
}

/// An API without throttling: its stage has no method settings to remove, and AWS refuses to
/// remove what does not exist; throttling added later converges too.
#[tokio::test]
async fn an_api_without_throttling_deploys_and_plans_empty() {
    let (clients, proxy) = strict_clients(5).await;
    let api = |extra: &str| {
        format!(
            "apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {{name: worker}}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {{path: src}}\n  role: arn:aws:iam::123456789012:role/{ROLE}\n  timeout: 10\n---\n\
             apiVersion: slsctl.dev/v1alpha1\nkind: Api\nmetadata: {{name: public}}\nspec:\n  stage: live\n  routes:\n    - {{method: GET, path: /jobs, function: worker}}\n{extra}"
        )
    };
    let dir = stack(&unique("thr"), &api(""));
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;
    rewrite(
        &dir,
        &api("  throttling: {rateLimit: 10, burstLimit: 20}\n"),
    );
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;
    // (Taking throttling away again sends the remove; moto ignores removals of method settings,
    // so that step cannot plan empty on the emulator and is not asserted here.)
    // The layer was in force: every function's first CreateFunction met an unpropagated role,
    // and no remove of a missing method setting reached it.
    assert_met(&proxy, &["role-not-assumable"]);
    assert_eq!(
        proxy.strict_refusals().get("remove-missing-method-setting"),
        None
    );
}

/// Code from S3: the location is recorded in the function's code-source tag (Lambda keeps no
/// record of it), so a new key redeploys once and the next plan is empty, not a redeploy on
/// every plan.
#[tokio::test]
async fn an_s3_code_source_change_redeploys_once() {
    let (clients, _proxy) = strict_clients(6).await;
    let sdk = Emulator::shared().sdk_config().await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    let name = unique("s3c");
    let bucket = format!("{name}-artifacts");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let code = tempfile::tempdir().unwrap();
    std::fs::write(
        code.path().join("app.py"),
        "def handler(e, c):\n    return e\n",
    )
    .unwrap();
    let zip = slsctl::artifact::zip_directory(code.path()).unwrap();
    for key in ["v1/app.zip", "v2/app.zip"] {
        s3.put_object()
            .bucket(&bucket)
            .key(key)
            .body(zip.bytes.clone().into())
            .send()
            .await
            .unwrap();
    }
    let function = |key: &str| {
        format!("apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {{name: worker}}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {{s3: {{bucket: {bucket}, key: {key}}}}}\n  role: arn:aws:iam::123456789012:role/{ROLE}\n")
    };
    let dir = stack(&name, &function("v1/app.zip"));
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;

    rewrite(&dir, &function("v2/app.zip"));
    let prepared = plan(&dir, &clients).await;
    let fields: Vec<&str> = prepared.plan.actions[0]
        .changes
        .iter()
        .map(|c| c.field.as_str())
        .collect();
    assert_eq!(fields, ["code.s3"]);
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;
}

/// Target tracking without schedules: the alias's scalable target is registered with the spec's
/// `max`, so tracking can move above the baseline.
#[tokio::test]
async fn target_tracking_without_schedules_registers_room_to_move() {
    let (clients, _proxy) = strict_clients(7).await;
    let name = unique("trk");
    let function = format!("apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {{name: worker}}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {{path: src}}\n  role: arn:aws:iam::123456789012:role/{ROLE}\n  alias:\n    name: live\n    provisionedConcurrency:\n      baseline: 2\n      targetUtilization: 0.6\n      max: 12\n");
    let dir = stack(&name, &function);
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;
    let targets = clients
        .autoscaling
        .describe_scalable_targets()
        .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Lambda)
        .resource_ids(format!("function:{name}-worker:live"))
        .send()
        .await
        .unwrap();
    let bounds: Vec<(i32, i32)> = targets
        .scalable_targets()
        .iter()
        .map(|t| (t.min_capacity(), t.max_capacity()))
        .collect();
    assert_eq!(bounds, [(2, 12)]);
}

/// A TTL attribute change is two changes, and AWS allows one per table per hour (scaled to the
/// strict layer's window): the plan says so, the first apply disables the old attribute and
/// succeeds, the plan then shows the enable still to do, and an apply after the window does it.
#[tokio::test]
async fn a_ttl_attribute_change_is_disabled_now_and_enabled_when_aws_allows() {
    let (clients, proxy) = strict_clients(8).await;
    let ttl = |attribute: &str| {
        format!("apiVersion: slsctl.dev/v1alpha1\nkind: Table\nmetadata: {{name: data}}\nspec:\n  partitionKey: {{name: pk, type: S}}\n  timeToLiveAttribute: {attribute}\n  deletionProtection: false\n")
    };
    let dir = stack(&unique("ttl"), &ttl("expiresAt"));
    converge(&dir, &clients).await;
    // Past the window of the TTL set at creation.
    tokio::time::sleep(WINDOW + Duration::from_millis(200)).await;

    rewrite(&dir, &ttl("deleteAfter"));
    let prepared = plan(&dir, &clients).await;
    let reasons = &prepared.plan.actions[0].reasons;
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("disable TTL on `expiresAt` now") && r.contains("once per hour")),
        "{reasons:?}"
    );
    converge(&dir, &clients).await;
    assert_met(&proxy, &["ttl-once-per-hour"]);
    let pending = plan(&dir, &clients).await;
    let fields: Vec<(&str, Option<&slsctl::plan::FieldValue>)> = pending.plan.actions[0]
        .changes
        .iter()
        .map(|c| (c.field.as_str(), c.before.as_ref()))
        .collect();
    assert_eq!(
        fields,
        [("timeToLiveAttribute", None)],
        "the enable is left"
    );

    tokio::time::sleep(WINDOW + Duration::from_millis(200)).await;
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;
}

/// Every content change publishes a layer version; the old ones are deleted beyond
/// `keepVersions`, so the code storage quota never fills. (Function versions are pruned the same
/// way; moto reuses deleted version numbers, which AWS never does, so that half is a scripted
/// test in tests/engine_mocked.rs.)
#[tokio::test]
async fn old_layer_versions_are_deleted_beyond_keep_versions() {
    let (clients, _proxy) = strict_clients(9).await;
    let name = unique("gc");
    let docs = format!("apiVersion: slsctl.dev/v1alpha1\nkind: Layer\nmetadata: {{name: libs}}\nspec:\n  content: {{path: layer}}\n---\napiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {{name: worker}}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {{path: src}}\n  role: arn:aws:iam::123456789012:role/{ROLE}\n  layers: [libs]\n");
    let dir = support::stacks::stack_dir(&name, "  keepVersions: 2\n", &docs);
    let layer_file = dir.path().join("layer/python/libs.py");
    std::fs::create_dir_all(layer_file.parent().unwrap()).unwrap();
    for n in 0..5 {
        std::fs::write(&layer_file, format!("VERSION = {n}\n")).unwrap();
        converge(&dir, &clients).await;
        assert_empty_plan(&dir, &clients).await;
    }
    let layers = clients
        .lambda
        .list_layer_versions()
        .layer_name(format!("{name}-libs"))
        .send()
        .await
        .unwrap();
    let mut numbers: Vec<i64> = layers
        .layer_versions()
        .iter()
        .map(|v| v.version())
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, [4, 5], "the newest two");
}

/// The strict layer's model check refuses what AWS's service models refuse, and accepts what
/// they allow (the check every request of these tests passes through).
#[test]
fn the_service_models_refuse_what_aws_refuses() {
    let models = support::models::Models::load(&support::project_root());
    let add_permission = |sid: &str| {
        models.violations(
            "lambda",
            None,
            "POST",
            "/2015-03-31/functions/orders-worker/policy?Qualifier=live",
            format!(r#"{{"StatementId":"{sid}","Action":"lambda:InvokeFunction","Principal":"events.amazonaws.com"}}"#).as_bytes(),
        )
    };
    assert!(add_permission("slsctl-events-orders-tick").is_empty());
    let dotted = add_permission("slsctl-events-orders.tick");
    assert!(
        dotted.len() == 1 && dotted[0].contains("StatementId") && dotted[0].contains("pattern"),
        "{dotted:?}"
    );
    assert!(add_permission(&"s".repeat(101))
        .iter()
        .any(|v| v.contains("length 101")));
    // JSON protocols: the body is the input shape; an enum and a missing required member.
    let put_rule = models.violations(
        "events",
        Some("PutRule"),
        "POST",
        "/",
        br#"{"Name":"tick","State":"ON"}"#,
    );
    assert!(
        put_rule
            .iter()
            .any(|v| v.contains("State") && v.contains("enum")),
        "{put_rule:?}"
    );
    let create_queue = models.violations("sqs", Some("CreateQueue"), "POST", "/", b"{}");
    assert!(
        create_queue
            .iter()
            .any(|v| v.contains("QueueName") && v.contains("required")),
        "{create_queue:?}"
    );
}

/// A resource AWS does not answer for (every read of it fails, retries included) is left out of
/// the plan with what depends on it; the rest of the stack is applied, and nothing that could
/// not be read is created or pruned. Once AWS answers again, the next run finishes the stack.
#[tokio::test]
async fn a_resource_that_cannot_be_read_is_left_out_with_its_dependents_not_the_whole_plan() {
    use slsctl::model::{Kind, ResourceId};
    use support::faults::{Fault, Rule};
    let (clients, proxy) = strict_clients(10).await;
    let docs = |with_table: bool| {
        let table = if with_table {
            "apiVersion: slsctl.dev/v1alpha1\nkind: Table\nmetadata: {name: data}\nspec:\n  partitionKey: {name: pk, type: S}\n  deletionProtection: false\n---\n"
        } else {
            ""
        };
        format!("{table}apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {{name: reader}}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {{path: src}}\n  role: arn:aws:iam::123456789012:role/{ROLE}\n  environment: {{TABLE_NAME: {{ref: Table/data}}}}\n---\napiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {{name: jobs}}\nspec: {{}}\n")
    };
    let name = unique("unr");
    let dir = stack(&name, &docs(true));
    let down = |on: bool| {
        proxy.set_rules(if on {
            vec![Rule {
                service: Some("dynamodb".into()),
                operation: Some("DescribeTable".into()),
                fault: Fault::Status503,
                rate: 1.0,
            }]
        } else {
            Vec::new()
        })
    };
    down(true);
    let prepared = plan(&dir, &clients).await;
    let table = ResourceId::new(Kind::Table, "data");
    let reader = ResourceId::new(Kind::Function, "reader");
    // With their alarms and the function's cold-start metric filter, which watch them and
    // come after them.
    let alarm = |subject: &str| ResourceId::new(Kind::Alarm, subject);
    assert_eq!(
        prepared.plan.left_out,
        [
            table.clone(),
            reader.clone(),
            alarm("Function/reader/duration"),
            alarm("Function/reader/errorRate"),
            alarm("Function/reader/throttles"),
            alarm("Table/data/systemErrors"),
            alarm("Table/data/throttles"),
            ResourceId::new(Kind::MetricFilter, "reader"),
        ]
    );
    let planned: Vec<&ResourceId> = prepared.plan.actions.iter().map(|a| &a.id).collect();
    // The function's own log group depends on nothing unreadable: it is created before the
    // function. The dashboard names metrics, not resources, so it depends on nothing either.
    assert_eq!(
        planned,
        [
            &ResourceId::new(Kind::Queue, "jobs"),
            &ResourceId::new(Kind::LogGroup, "reader"),
            &alarm("Queue/jobs/age"),
            &ResourceId::new(Kind::Dashboard, name.clone())
        ]
    );
    assert!(
        slsctl::render::plan_text(&prepared.plan).contains("Table/data is left out of this plan"),
        "{}",
        slsctl::render::plan_text(&prepared.plan)
    );
    let report = apply(Arc::new(prepared), &clients, Arc::new(Quiet)).await;
    assert_eq!(report.failed() + report.skipped(), 0, "{report:?}");
    assert_eq!(
        proxy.stats().requests.get("dynamodb:CreateTable"),
        None,
        "what could not be read is not created"
    );

    down(false);
    converge(&dir, &clients).await;
    assert_empty_plan(&dir, &clients).await;

    // Unreadable and gone from the spec: never pruned on a guess.
    down(true);
    rewrite(
        &dir,
        &docs(false).replace("  environment: {TABLE_NAME: {ref: Table/data}}\n", ""),
    );
    let prepared = plan(&dir, &clients).await;
    assert!(
        prepared.plan.actions.iter().all(|a| a.id != table),
        "{}",
        slsctl::render::plan_text(&prepared.plan)
    );
    assert!(prepared.plan.left_out.contains(&table));
    down(false);
}

/// slsctl makes SQS triggers only; a stream mapping someone else put on the function (DynamoDB,
/// Kinesis) is never keyed by its ARN's timestamp, compared or deleted.
#[tokio::test]
async fn a_stream_mapping_slsctl_did_not_make_is_left_alone() {
    let (clients, _proxy) = strict_clients(11).await;
    let name = unique("stm");
    let docs = format!("apiVersion: slsctl.dev/v1alpha1\nkind: Table\nmetadata: {{name: data}}\nspec:\n  partitionKey: {{name: pk, type: S}}\n  stream: NEW_IMAGE\n  deletionProtection: false\n---\napiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {{name: worker}}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {{path: src}}\n  role: arn:aws:iam::123456789012:role/{ROLE}\n");
    let dir = stack(&name, &docs);
    converge(&dir, &clients).await;
    let table = clients
        .dynamodb
        .describe_table()
        .table_name(format!("{name}-data"))
        .send()
        .await
        .unwrap();
    let stream = table
        .table()
        .and_then(|t| t.latest_stream_arn())
        .unwrap()
        .to_string();
    let theirs = clients
        .lambda
        .create_event_source_mapping()
        .function_name(format!("{name}-worker"))
        .event_source_arn(&stream)
        .starting_position(aws_sdk_lambda::types::EventSourcePosition::Latest)
        .send()
        .await
        .unwrap();
    assert_empty_plan(&dir, &clients).await;
    let still = clients
        .lambda
        .get_event_source_mapping()
        .uuid(theirs.uuid().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(still.event_source_arn(), Some(stream.as_str()));
}
