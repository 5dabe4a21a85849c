//! The engine against scripted AWS answers (aws-smithy-mocks), for what the emulator cannot do:
//! provisioned concurrency (moto lacks the API), updates moto ignores (tracing, ephemeral storage,
//! architecture, dead-letter config), throttling, 5xx and ResourceConflictException retries.
//! The responses use the SDK's real output shapes.

mod support;

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_lambda::operation::get_function::GetFunctionOutput;
use aws_sdk_lambda::operation::get_provisioned_concurrency_config::GetProvisionedConcurrencyConfigOutput;
use aws_sdk_lambda::operation::list_aliases::ListAliasesOutput;
use aws_sdk_lambda::operation::list_event_source_mappings::ListEventSourceMappingsOutput;
use aws_sdk_lambda::operation::list_layers::ListLayersOutput;
use aws_sdk_lambda::operation::put_provisioned_concurrency_config::PutProvisionedConcurrencyConfigOutput;
use aws_sdk_lambda::operation::update_function_code::UpdateFunctionCodeOutput;
use aws_sdk_lambda::operation::update_function_configuration::{
    UpdateFunctionConfigurationError, UpdateFunctionConfigurationOutput,
};
use aws_sdk_lambda::types::error::{ResourceConflictException, TooManyRequestsException};
use aws_sdk_lambda::types::ProvisionedConcurrencyStatusEnum;
use aws_sdk_lambda::types::{
    AliasConfiguration, Architecture, Concurrency, EnvironmentResponse, FunctionConfiguration,
    LastUpdateStatus, PackageType, Runtime, State, TracingConfigResponse, TracingMode,
};
use aws_sdk_resourcegroupstagging::operation::get_resources::GetResourcesOutput;
use aws_sdk_resourcegroupstagging::types::{ResourceTagMapping, Tag};
use aws_sdk_sqs::operation::get_queue_attributes::GetQueueAttributesOutput;
use aws_sdk_sqs::types::QueueAttributeName;
use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_types::error::ErrorMetadata;
use aws_smithy_types::retry::RetryConfig;
use slsctl::apply::{apply, Outcome, Quiet};
use slsctl::aws::Clients;
use slsctl::engine::prepare;
use slsctl::kinds::function::aws::{CodeInput, FunctionInput};
use slsctl::plan::{FieldValue, PlanOptions};

const ACCOUNT: &str = "123456789012";

/// CloudWatch as a stack without alarms finds it: the listing of the stack's alarms answers
/// empty, and the alarms a plan creates (every function has its checks) or deletes are done.
/// CloudWatch's answers for a stack with no alarms yet: none listed, each put and delete done.
fn alarm_rules() -> Vec<Rule> {
    use aws_sdk_cloudwatch::operation::{
        delete_alarms::DeleteAlarmsOutput, describe_alarms::DescribeAlarmsOutput,
        put_metric_alarm::PutMetricAlarmOutput,
    };
    vec![
        mock!(aws_sdk_cloudwatch::Client::describe_alarms)
            .then_output(|| DescribeAlarmsOutput::builder().build()),
        mock!(aws_sdk_cloudwatch::Client::put_metric_alarm)
            .then_output(|| PutMetricAlarmOutput::builder().build()),
        mock!(aws_sdk_cloudwatch::Client::delete_alarms)
            .then_output(|| DeleteAlarmsOutput::builder().build()),
    ]
}

fn alarms_client() -> aws_sdk_cloudwatch::Client {
    let rules = alarm_rules();
    let rules: Vec<&Rule> = rules.iter().collect();
    mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, &rules[..])
}

fn retry() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(5))
}

fn clients(lambda: &[&Rule], sqs: &[&Rule], tagging: &[&Rule]) -> Clients {
    clients_with_events(lambda, sqs, tagging, &[])
}

fn clients_with_events(
    lambda: &[&Rule],
    sqs: &[&Rule],
    tagging: &[&Rule],
    events: &[&Rule],
) -> Clients {
    use aws_sdk_applicationautoscaling::operation::{
        describe_scalable_targets::DescribeScalableTargetsOutput,
        describe_scaling_policies::DescribeScalingPoliciesOutput,
        describe_scheduled_actions::DescribeScheduledActionsOutput,
    };
    let sts_rule = mock!(aws_sdk_sts::Client::get_caller_identity)
        .then_output(|| GetCallerIdentityOutput::builder().account(ACCOUNT).build());
    // No REST APIs and no Auto Scaling definitions anywhere: the account-wide listings answer empty.
    let no_apis = mock!(aws_sdk_apigateway::Client::get_rest_apis).then_output(|| {
        aws_sdk_apigateway::operation::get_rest_apis::GetRestApisOutput::builder().build()
    });
    // No roles under the stack's IAM path: these stacks name their roles by ARN.
    let no_roles = mock!(aws_sdk_iam::Client::list_roles).then_output(|| {
        aws_sdk_iam::operation::list_roles::ListRolesOutput::builder()
            .set_roles(Some(Vec::new()))
            .build()
            .unwrap()
    });
    let no_targets = mock!(aws_sdk_applicationautoscaling::Client::describe_scalable_targets)
        .then_output(|| DescribeScalableTargetsOutput::builder().build());
    let no_schedules = mock!(aws_sdk_applicationautoscaling::Client::describe_scheduled_actions)
        .then_output(|| DescribeScheduledActionsOutput::builder().build());
    let no_policies = mock!(aws_sdk_applicationautoscaling::Client::describe_scaling_policies)
        .then_output(|| DescribeScalingPoliciesOutput::builder().build());
    // No log group exists yet; creating one (and its retention) succeeds.
    let no_groups = mock!(aws_sdk_cloudwatchlogs::Client::describe_log_groups).then_output(|| {
        aws_sdk_cloudwatchlogs::operation::describe_log_groups::DescribeLogGroupsOutput::builder()
            .build()
    });
    let create_group = mock!(aws_sdk_cloudwatchlogs::Client::create_log_group).then_output(|| {
        aws_sdk_cloudwatchlogs::operation::create_log_group::CreateLogGroupOutput::builder().build()
    });
    let retention = mock!(aws_sdk_cloudwatchlogs::Client::put_retention_policy).then_output(|| {
        aws_sdk_cloudwatchlogs::operation::put_retention_policy::PutRetentionPolicyOutput::builder()
            .build()
    });
    // No metric filter and no dashboard exist yet; putting them succeeds.
    let no_filters =
        mock!(aws_sdk_cloudwatchlogs::Client::describe_metric_filters).then_output(|| {
            aws_sdk_cloudwatchlogs::operation::describe_metric_filters::DescribeMetricFiltersOutput::builder()
                .build()
        });
    let put_filter = mock!(aws_sdk_cloudwatchlogs::Client::put_metric_filter).then_output(|| {
        aws_sdk_cloudwatchlogs::operation::put_metric_filter::PutMetricFilterOutput::builder()
            .build()
    });
    let no_dashboards = mock!(aws_sdk_cloudwatch::Client::list_dashboards).then_output(|| {
        aws_sdk_cloudwatch::operation::list_dashboards::ListDashboardsOutput::builder().build()
    });
    let put_dashboard = mock!(aws_sdk_cloudwatch::Client::put_dashboard).then_output(|| {
        aws_sdk_cloudwatch::operation::put_dashboard::PutDashboardOutput::builder().build()
    });
    Clients::from_parts(
        mock_client!(aws_sdk_lambda, RuleMode::MatchAny, lambda, |c| c
            .retry_config(retry())),
        mock_client!(aws_sdk_sqs, RuleMode::MatchAny, sqs, |c| c
            .retry_config(retry())),
        mock_client!(
            aws_sdk_resourcegroupstagging,
            RuleMode::MatchAny,
            tagging,
            |c| c.retry_config(retry())
        ),
        mock_client!(aws_sdk_sts, RuleMode::MatchAny, [&sts_rule]),
        mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, &[] as &[&Rule]),
        mock_client!(aws_sdk_eventbridge, RuleMode::MatchAny, events),
        mock_client!(
            aws_sdk_applicationautoscaling,
            RuleMode::MatchAny,
            [&no_targets, &no_schedules, &no_policies]
        ),
        mock_client!(aws_sdk_apigateway, RuleMode::MatchAny, [&no_apis]),
        mock_client!(aws_sdk_iam, RuleMode::MatchAny, [&no_roles]),
        mock_client!(
            aws_sdk_cloudwatchlogs,
            RuleMode::MatchAny,
            [
                &no_groups,
                &create_group,
                &retention,
                &no_filters,
                &put_filter
            ]
        ),
        {
            let alarms = alarm_rules();
            let mut rules: Vec<&Rule> = alarms.iter().collect();
            rules.extend([&no_dashboards, &put_dashboard]);
            mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, &rules[..])
        },
        "us-east-1",
    )
}

/// GetFunction's answer for a function as the spec below describes it.
fn live_function(
    name: &str,
    code_sha: &str,
    memory: i32,
    tags: &[(&str, &str)],
) -> GetFunctionOutput {
    let mut output = GetFunctionOutput::builder()
        .configuration(
            FunctionConfiguration::builder()
                .function_name(name)
                .function_arn(format!(
                    "arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}"
                ))
                .runtime(Runtime::Python312)
                .role(format!("arn:aws:iam::{ACCOUNT}:role/r"))
                .handler("app.handler")
                .code_sha256(code_sha)
                .description("")
                .timeout(3)
                .memory_size(memory)
                .package_type(PackageType::Zip)
                .architectures(Architecture::X8664)
                .tracing_config(
                    TracingConfigResponse::builder()
                        .mode(TracingMode::PassThrough)
                        .build(),
                )
                .environment(EnvironmentResponse::builder().build())
                .state(State::Active)
                .last_update_status(LastUpdateStatus::Successful)
                .build(),
        )
        .concurrency(Concurrency::builder().build());
    for (k, v) in tags {
        output = output.tags(*k, *v);
    }
    output.build()
}

const FUNCTION: &str = "apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {name: worker}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {path: src}\n  role: arn:aws:iam::123456789012:role/r\n  alias:\n    name: live\n    provisionedConcurrency: {baseline: 3}\n";

fn stack_dir() -> tempfile::TempDir {
    support::spec_dir(&[
        ("stack.yaml", "apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {name: pc}\nspec: {region: us-east-1}\n"),
        ("fn.yaml", FUNCTION),
        ("src/app.py", "def handler(e, c):\n    return e\n"),
    ])
}

type Changes = Vec<(String, Option<FieldValue>, Option<FieldValue>)>;

/// Plan and apply the spec's baseline of 3 against a live provisioned-concurrency config: the
/// planned changes and how many PutProvisionedConcurrencyConfig calls the apply made.
async fn provisioned_concurrency_against(
    live: fn() -> GetProvisionedConcurrencyConfigOutput,
) -> (Changes, usize) {
    let dir = stack_dir();
    let (stack, _) = slsctl::kinds::load_stack(dir.path())
        .unwrap_or_else(|(d, s)| panic!("{}", d.render(&|p| s.get(p))));
    // The digest the alias records: computed as the engine computes it for this spec.
    let packages = slsctl::engine::build_packages(&stack).unwrap();
    let code_sha = packages.values().next().unwrap().sha256_base64.clone();
    let mut context = slsctl::kinds::desired::Context {
        account: ACCOUNT.into(),
        region: "us-east-1".into(),
        partition: "aws".into(),
        ..Default::default()
    };
    let function = slsctl::model::ResourceId::new(slsctl::model::Kind::Function, "worker");
    context
        .code_sha256
        .insert(function.clone(), code_sha.clone());
    let desired = slsctl::kinds::desired::desired_resources(&stack, &context);
    let worker = desired.iter().find(|d| d.id == function).unwrap();
    let FieldValue::Known(serde_json::Value::String(digest)) =
        worker.props["alias.live.version"].clone()
    else {
        panic!("the digest is known")
    };

    let tags = [
        ("slsctl:stack", "pc"),
        ("slsctl:resource", "Function/worker"),
        ("slsctl:alias", "live"),
    ];
    let tagging =
        mock!(aws_sdk_resourcegroupstagging::Client::get_resources).then_output(move || {
            let mut mapping = ResourceTagMapping::builder().resource_arn(format!(
                "arn:aws:lambda:us-east-1:{ACCOUNT}:function:pc-worker"
            ));
            for (k, v) in tags {
                mapping = mapping.tags(Tag::builder().key(k).value(v).build().unwrap());
            }
            GetResourcesOutput::builder()
                .resource_tag_mapping_list(mapping.build())
                .build()
        });
    let sha = code_sha.clone();
    let get_function = mock!(aws_sdk_lambda::Client::get_function)
        .then_output(move || live_function("pc-worker", &sha, 128, &tags));
    let mappings = mock!(aws_sdk_lambda::Client::list_event_source_mappings)
        .then_output(|| ListEventSourceMappingsOutput::builder().build());
    let layers = mock!(aws_sdk_lambda::Client::list_layers)
        .then_output(|| ListLayersOutput::builder().build());
    let aliases = mock!(aws_sdk_lambda::Client::list_aliases).then_output(move || {
        ListAliasesOutput::builder()
            .aliases(
                AliasConfiguration::builder()
                    .name("live")
                    .function_version("4")
                    .description(format!("slsctl version={digest}"))
                    .build(),
            )
            .build()
    });
    let get_pc = mock!(aws_sdk_lambda::Client::get_provisioned_concurrency_config)
        .match_requests(|r| r.function_name() == Some("pc-worker") && r.qualifier() == Some("live"))
        .then_output(live);
    let put_pc = mock!(aws_sdk_lambda::Client::put_provisioned_concurrency_config)
        .match_requests(|r| {
            r.function_name() == Some("pc-worker")
                && r.qualifier() == Some("live")
                && r.provisioned_concurrent_executions() == Some(3)
        })
        .then_output(|| {
            PutProvisionedConcurrencyConfigOutput::builder()
                .requested_provisioned_concurrent_executions(3)
                .build()
        });
    let clients = clients(
        &[
            &get_function,
            &mappings,
            &layers,
            &aliases,
            &get_pc,
            &put_pc,
        ],
        &[],
        &[&tagging],
    );

    let prepared = prepare(stack, &clients, &PlanOptions::default())
        .await
        .expect("plan");
    // The function's own log group is not in these answers, so it is created alongside; what
    // is checked here is the function's.
    let changes: Changes = prepared
        .plan
        .actions
        .iter()
        .filter(|a| a.id == function)
        .flat_map(|a| &a.changes)
        .map(|c| (c.field.clone(), c.before.clone(), c.after.clone()))
        .collect();
    let report = apply(Arc::new(prepared), &clients, Arc::new(Quiet)).await;
    assert_eq!(report.failed(), 0, "{report:?}");
    (changes, put_pc.num_calls())
}

#[tokio::test]
async fn provisioned_concurrency_on_the_alias_is_observed_planned_and_applied() {
    // Someone lowered it by hand: the live value is 2, the spec says 3.
    let (changes, puts) = provisioned_concurrency_against(|| {
        GetProvisionedConcurrencyConfigOutput::builder()
            .requested_provisioned_concurrent_executions(2)
            .allocated_provisioned_concurrent_executions(2)
            .status(ProvisionedConcurrencyStatusEnum::Ready)
            .build()
    })
    .await;
    assert_eq!(
        changes,
        [(
            "alias.live.provisionedConcurrency".to_string(),
            Some(FieldValue::known(2)),
            Some(FieldValue::known(3))
        )],
        "only the provisioned concurrency differs"
    );
    assert_eq!(
        puts, 1,
        "PutProvisionedConcurrencyConfig(pc-worker:live, 3)"
    );
}

/// A FAILED allocation (AWS could not provision it: account concurrency, a broken version) is
/// shown with AWS's reason and requested again, not taken for the value it asked for.
#[tokio::test]
async fn a_failed_provisioned_concurrency_allocation_is_reported_and_requested_again() {
    let (changes, puts) = provisioned_concurrency_against(|| {
        GetProvisionedConcurrencyConfigOutput::builder()
            .requested_provisioned_concurrent_executions(3)
            .allocated_provisioned_concurrent_executions(0)
            .status(ProvisionedConcurrencyStatusEnum::Failed)
            .status_reason("FUNCTION_ERROR_INIT_FAILURE")
            .build()
    })
    .await;
    assert_eq!(
        changes,
        [(
            "alias.live.provisionedConcurrency".to_string(),
            Some(FieldValue::known(
                "FAILED (3 requested): FUNCTION_ERROR_INIT_FAILURE"
            )),
            Some(FieldValue::known(3))
        )]
    );
    assert_eq!(puts, 1);
}

/// An allocation still in progress is the value asked for: no change.
#[tokio::test]
async fn a_provisioned_concurrency_allocation_in_progress_is_no_change() {
    let (changes, puts) = provisioned_concurrency_against(|| {
        GetProvisionedConcurrencyConfigOutput::builder()
            .requested_provisioned_concurrent_executions(3)
            .allocated_provisioned_concurrent_executions(1)
            .status(ProvisionedConcurrencyStatusEnum::InProgress)
            .build()
    })
    .await;
    assert!(changes.is_empty(), "{changes:?}");
    assert_eq!(puts, 0);
}

#[tokio::test]
async fn throttled_reads_are_retried() {
    let throttled = mock!(aws_sdk_lambda::Client::get_function)
        .sequence()
        .error(|| {
            aws_sdk_lambda::operation::get_function::GetFunctionError::TooManyRequestsException(
                TooManyRequestsException::builder()
                    .message("Rate exceeded")
                    .meta(
                        ErrorMetadata::builder()
                            .code("TooManyRequestsException")
                            .message("Rate exceeded")
                            .build(),
                    )
                    .build(),
            )
        })
        .times(2)
        .output(|| live_function("f", "x", 128, &[]))
        .build();
    let clients = clients(&[&throttled], &[], &[]);
    let found = slsctl::kinds::function::aws::get_function(&clients, "f")
        .await
        .expect("retried until it succeeds");
    assert!(found.is_some());
    assert_eq!(throttled.num_calls(), 3);
}

#[tokio::test]
async fn server_errors_are_retried_and_then_classified() {
    let flaky = mock!(aws_sdk_sqs::Client::get_queue_attributes)
        .sequence()
        .http_status(503, None)
        .output(|| {
            GetQueueAttributesOutput::builder()
                .attributes(
                    QueueAttributeName::QueueArn,
                    format!("arn:aws:sqs:us-east-1:{ACCOUNT}:q"),
                )
                .attributes(QueueAttributeName::VisibilityTimeout, "45")
                .build()
        })
        .build();
    let clients = clients(&[], &[&flaky], &[]);
    let queue = slsctl::kinds::queue::aws::get_queue(
        &clients,
        "https://sqs.us-east-1.amazonaws.com/123456789012/q",
        Some(Default::default()),
    )
    .await
    .expect("one 503 is retried")
    .expect("found");
    assert_eq!(queue.props["visibilityTimeout"], FieldValue::known(45));
    assert_eq!(flaky.num_calls(), 2);

    let down = mock!(aws_sdk_sqs::Client::get_queue_attributes)
        .sequence()
        .http_status(503, None)
        .times(3)
        .build();
    let clients = self::clients(&[], &[&down], &[]);
    let error = slsctl::kinds::queue::aws::get_queue(
        &clients,
        "https://sqs.us-east-1.amazonaws.com/123456789012/q",
        Some(Default::default()),
    )
    .await
    .expect_err("still failing after the SDK's attempts");
    assert_eq!(error.kind, slsctl::aws::ErrorKind::Other);
    assert!(error.kind.is_transient());
}

fn input() -> FunctionInput {
    FunctionInput {
        name: "f".into(),
        package_type: "Zip".into(),
        handler: Some("app.handler".into()),
        runtime: Some("python3.12".into()),
        role: format!("arn:aws:iam::{ACCOUNT}:role/r"),
        memory_size: 256,
        timeout: 10,
        architecture: "arm64".into(),
        ephemeral_storage: 2048,
        tracing: "Active".into(),
        description: "d".into(),
        layers: Vec::new(),
        environment: [("K".to_string(), "v".to_string())].into(),
        dead_letter: Some(format!("arn:aws:sqs:us-east-1:{ACCOUNT}:dlq")),
        log_format: "Text".into(),
        application_log_level: None,
        system_log_level: None,
        log_group: "/aws/lambda/f".into(),
        code: CodeInput::Zip(b"zip".to_vec()),
        tags: Default::default(),
    }
}

#[tokio::test]
async fn a_conflicting_update_waits_for_the_function_and_is_retried() {
    let update = mock!(aws_sdk_lambda::Client::update_function_configuration)
        .sequence()
        .error(|| {
            UpdateFunctionConfigurationError::ResourceConflictException(
                ResourceConflictException::builder()
                    .message("The operation cannot be performed at this time. An update is in progress for resource")
                    .meta(ErrorMetadata::builder().code("ResourceConflictException").build())
                    .build(),
            )
        })
        .output(|| UpdateFunctionConfigurationOutput::builder().build())
        .build();
    // The waiter reads LastUpdateStatus through GetFunction.
    let settled = mock!(aws_sdk_lambda::Client::get_function)
        .then_output(|| live_function("f", "x", 256, &[]));
    let clients = clients(&[&update, &settled], &[], &[]);
    slsctl::kinds::function::aws::update_configuration(&clients, &input())
        .await
        .expect("retried after the conflict");
    assert_eq!(update.num_calls(), 2);
    assert!(
        settled.num_calls() >= 2,
        "waited before the retry and after the update"
    );
}

/// moto ignores these fields on update; here the requests are checked field by field.
#[tokio::test]
async fn updates_carry_tracing_storage_dead_letter_and_architecture() {
    let configuration = mock!(aws_sdk_lambda::Client::update_function_configuration)
        .match_requests(|r| {
            r.tracing_config().and_then(|t| t.mode()) == Some(&TracingMode::Active)
                && r.ephemeral_storage().map(|e| e.size()) == Some(2048)
                && r.dead_letter_config().and_then(|d| d.target_arn())
                    == Some("arn:aws:sqs:us-east-1:123456789012:dlq")
                && r.environment()
                    .and_then(|e| e.variables())
                    .and_then(|v| v.get("K"))
                    .map(String::as_str)
                    == Some("v")
        })
        .then_output(|| UpdateFunctionConfigurationOutput::builder().build());
    let code = mock!(aws_sdk_lambda::Client::update_function_code)
        .match_requests(|r| {
            r.architectures() == [Architecture::Arm64]
                && r.zip_file().map(|b| b.as_ref()) == Some(b"zip".as_slice())
        })
        .then_output(|| UpdateFunctionCodeOutput::builder().build());
    let settled = mock!(aws_sdk_lambda::Client::get_function)
        .then_output(|| live_function("f", "x", 256, &[]));
    let clients = clients(&[&configuration, &code, &settled], &[], &[]);
    slsctl::kinds::function::aws::update_configuration(&clients, &input())
        .await
        .expect("the request matched");
    slsctl::kinds::function::aws::update_code(&clients, "f", &input().code, "arm64")
        .await
        .expect("the request matched");
    assert_eq!(configuration.num_calls(), 1);
    assert_eq!(code.num_calls(), 1);
}

/// Code from S3 and from a container image: the create requests carry the source, and the S3
/// location is remembered in a tag (Lambda reports only a hash), so the next plan is empty.
#[tokio::test]
async fn s3_and_image_code_sources_are_created_and_read_back() {
    use aws_sdk_lambda::operation::create_function::CreateFunctionOutput;
    use aws_sdk_lambda::operation::get_function::GetFunctionError;
    use aws_sdk_lambda::types::error::ResourceNotFoundException;
    use aws_sdk_lambda::types::FunctionCodeLocation;

    let dir = support::spec_dir(&[
        ("stack.yaml", "apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {name: src}\nspec: {region: us-east-1}\n"),
        (
            "fn.yaml",
            "apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {name: from-s3}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {s3: {bucket: artifacts, key: app.zip, objectVersion: v7}}\n  role: arn:aws:iam::123456789012:role/r\n---\n\
             apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {name: from-image}\nspec:\n  code: {imageUri: \"123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:abc\"}\n  role: arn:aws:iam::123456789012:role/r\n",
        ),
    ]);
    let (stack, _) = slsctl::kinds::load_stack(dir.path())
        .unwrap_or_else(|(d, s)| panic!("{}", d.render(&|p| s.get(p))));
    let not_found = || {
        GetFunctionError::ResourceNotFoundException(
            ResourceNotFoundException::builder()
                .meta(
                    ErrorMetadata::builder()
                        .code("ResourceNotFoundException")
                        .build(),
                )
                .build(),
        )
    };
    let active = |name: &str, image: bool| {
        let mut output = live_function(name, "hash", 128, &[]);
        if image {
            let mut c = output.configuration.take().unwrap();
            c.package_type = Some(PackageType::Image);
            output.configuration = Some(c);
            output.code = Some(
                FunctionCodeLocation::builder()
                    .image_uri("123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:abc")
                    .build(),
            );
        }
        output
    };
    // Observe: neither exists; after the create, the waiter sees them Active.
    let get_s3 = mock!(aws_sdk_lambda::Client::get_function)
        .match_requests(|r| r.function_name() == Some("src-from-s3"))
        .sequence()
        .error(not_found)
        .output(move || active("src-from-s3", false))
        .repeatedly()
        .build();
    let get_image = mock!(aws_sdk_lambda::Client::get_function)
        .match_requests(|r| r.function_name() == Some("src-from-image"))
        .sequence()
        .error(not_found)
        .output(move || active("src-from-image", true))
        .repeatedly()
        .build();
    let create_s3 = mock!(aws_sdk_lambda::Client::create_function)
        .match_requests(|r| {
            let code = r.code().unwrap();
            code.s3_bucket() == Some("artifacts")
                && code.s3_key() == Some("app.zip")
                && code.s3_object_version() == Some("v7")
                && r.tags()
                    .and_then(|t| t.get("slsctl:code-source"))
                    .map(String::as_str)
                    == Some("s3://artifacts/app.zip?versionId=v7")
        })
        .then_output(|| {
            CreateFunctionOutput::builder()
                .function_arn("arn:aws:lambda:us-east-1:123456789012:function:src-from-s3")
                .build()
        });
    let create_image = mock!(aws_sdk_lambda::Client::create_function)
        .match_requests(|r| {
            r.package_type() == Some(&PackageType::Image)
                && r.code().and_then(|c| c.image_uri())
                    == Some("123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:abc")
                && r.handler().is_none()
                && r.runtime().is_none()
        })
        .then_output(|| {
            CreateFunctionOutput::builder()
                .function_arn("arn:aws:lambda:us-east-1:123456789012:function:src-from-image")
                .build()
        });
    let tagging = mock!(aws_sdk_resourcegroupstagging::Client::get_resources)
        .then_output(|| GetResourcesOutput::builder().build());
    let mappings = mock!(aws_sdk_lambda::Client::list_event_source_mappings)
        .then_output(|| ListEventSourceMappingsOutput::builder().build());
    let layers = mock!(aws_sdk_lambda::Client::list_layers)
        .then_output(|| ListLayersOutput::builder().build());
    let clients = clients(
        &[
            &get_s3,
            &get_image,
            &create_s3,
            &create_image,
            &mappings,
            &layers,
        ],
        &[],
        &[&tagging],
    );

    let prepared = prepare(stack, &clients, &PlanOptions::default())
        .await
        .expect("plan");
    // The two functions, their own log groups and cold-start metric filters, their three alarms
    // each, and the stack's dashboard.
    assert_eq!(prepared.plan.summary.create, 13);
    let report = apply(Arc::new(prepared), &clients, Arc::new(Quiet)).await;
    assert_eq!(report.failed(), 0, "{report:?}");
    assert_eq!(create_s3.num_calls(), 1);
    assert_eq!(create_image.num_calls(), 1);

    // Reading them back: the S3 source comes from the tag, the image from the code location.
    let mut tags = std::collections::BTreeMap::new();
    tags.insert(
        "slsctl:code-source".to_string(),
        "s3://artifacts/app.zip?versionId=v7".to_string(),
    );
    let s3_props = slsctl::kinds::function::aws::function_props(
        active("x", false).configuration().unwrap(),
        &tags,
        None,
        None,
    );
    assert_eq!(
        s3_props["code.s3"],
        FieldValue::known("s3://artifacts/app.zip?versionId=v7")
    );
    assert!(!s3_props.contains_key("tags.slsctl:code-source"));
    let image = active("y", true);
    let image_props = slsctl::kinds::function::aws::function_props(
        image.configuration().unwrap(),
        &Default::default(),
        None,
        image.code().and_then(|c| c.image_uri()).map(str::to_string),
    );
    assert_eq!(
        image_props["code.imageUri"],
        FieldValue::known("123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:abc")
    );
    assert!(!image_props.contains_key("handler"));
}

/// moto ignores a table's class and cannot re-enable a stream; here the UpdateTable calls are
/// checked: the class in its own update, the stream switched off and then on with the new view.
#[tokio::test]
async fn table_class_and_stream_view_changes_are_separate_updates() {
    use aws_sdk_dynamodb::operation::describe_table::DescribeTableOutput;
    use aws_sdk_dynamodb::operation::update_table::UpdateTableOutput;
    use aws_sdk_dynamodb::types::{StreamViewType, TableClass, TableDescription, TableStatus};

    let class = mock!(aws_sdk_dynamodb::Client::update_table)
        .match_requests(|r| {
            r.table_class() == Some(&TableClass::StandardInfrequentAccess)
                && r.stream_specification().is_none()
        })
        .then_output(|| UpdateTableOutput::builder().build());
    let stream_off = mock!(aws_sdk_dynamodb::Client::update_table)
        .match_requests(|r| {
            r.stream_specification()
                .is_some_and(|s| !s.stream_enabled() && s.stream_view_type().is_none())
        })
        .then_output(|| UpdateTableOutput::builder().build());
    let stream_on = mock!(aws_sdk_dynamodb::Client::update_table)
        .match_requests(|r| {
            r.stream_specification().is_some_and(|s| {
                s.stream_enabled() && s.stream_view_type() == Some(&StreamViewType::KeysOnly)
            })
        })
        .then_output(|| UpdateTableOutput::builder().build());
    let active = mock!(aws_sdk_dynamodb::Client::describe_table).then_output(|| {
        DescribeTableOutput::builder()
            .table(
                TableDescription::builder()
                    .table_name("t")
                    .table_status(TableStatus::Active)
                    .build(),
            )
            .build()
    });
    let sts_rule = mock!(aws_sdk_sts::Client::get_caller_identity)
        .then_output(|| GetCallerIdentityOutput::builder().account(ACCOUNT).build());
    let clients = Clients::from_parts(
        mock_client!(aws_sdk_lambda, RuleMode::MatchAny, &[] as &[&Rule]),
        mock_client!(aws_sdk_sqs, RuleMode::MatchAny, &[] as &[&Rule]),
        mock_client!(
            aws_sdk_resourcegroupstagging,
            RuleMode::MatchAny,
            &[] as &[&Rule]
        ),
        mock_client!(aws_sdk_sts, RuleMode::MatchAny, [&sts_rule]),
        mock_client!(
            aws_sdk_dynamodb,
            RuleMode::MatchAny,
            [&class, &stream_off, &stream_on, &active]
        ),
        mock_client!(aws_sdk_eventbridge, RuleMode::MatchAny, &[] as &[&Rule]),
        mock_client!(
            aws_sdk_applicationautoscaling,
            RuleMode::MatchAny,
            &[] as &[&Rule]
        ),
        mock_client!(aws_sdk_apigateway, RuleMode::MatchAny, &[] as &[&Rule]),
        mock_client!(aws_sdk_iam, RuleMode::MatchAny, &[] as &[&Rule]),
        mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, &[] as &[&Rule]),
        alarms_client(),
        "us-east-1",
    );
    let table = slsctl::model::Table {
        partition_key: slsctl::model::Key {
            name: "pk".into(),
            key_type: slsctl::model::KeyType::S,
        },
        sort_key: None,
        billing: slsctl::model::Billing::OnDemand,
        global_secondary_indexes: Vec::new(),
        time_to_live_attribute: None,
        point_in_time_recovery: false,
        stream: Some("KEYS_ONLY".into()),
        table_class: "STANDARD_INFREQUENT_ACCESS".into(),
        deletion_protection: true,
        sse: slsctl::model::TableSse::AwsOwned,
        alarms: Default::default(),
    };
    let changed = ["stream".to_string(), "tableClass".to_string()].into();
    let live: slsctl::plan::Props = [(
        "stream".to_string(),
        FieldValue::known("NEW_AND_OLD_IMAGES"),
    )]
    .into();
    slsctl::kinds::table::aws::update(&clients, "t", &table, &changed, &live)
        .await
        .expect("updated");
    assert_eq!(
        (
            class.num_calls(),
            stream_off.num_calls(),
            stream_on.num_calls()
        ),
        (1, 1, 1)
    );
    assert!(
        active.num_calls() >= 3,
        "waited for ACTIVE after each update"
    );
}

/// moto has no UpdateEventBus: the description change is checked against the request.
#[tokio::test]
async fn a_bus_description_change_is_an_update_event_bus() {
    use aws_sdk_eventbridge::operation::update_event_bus::UpdateEventBusOutput;
    let update = mock!(aws_sdk_eventbridge::Client::update_event_bus)
        .match_requests(|r| {
            r.name() == Some("shop-events") && r.description() == Some("all domain events")
        })
        .then_output(|| UpdateEventBusOutput::builder().build());
    let sts_rule = mock!(aws_sdk_sts::Client::get_caller_identity)
        .then_output(|| GetCallerIdentityOutput::builder().account(ACCOUNT).build());
    let clients = Clients::from_parts(
        mock_client!(aws_sdk_lambda, RuleMode::MatchAny, &[] as &[&Rule]),
        mock_client!(aws_sdk_sqs, RuleMode::MatchAny, &[] as &[&Rule]),
        mock_client!(
            aws_sdk_resourcegroupstagging,
            RuleMode::MatchAny,
            &[] as &[&Rule]
        ),
        mock_client!(aws_sdk_sts, RuleMode::MatchAny, [&sts_rule]),
        mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, &[] as &[&Rule]),
        mock_client!(aws_sdk_eventbridge, RuleMode::MatchAny, [&update]),
        mock_client!(
            aws_sdk_applicationautoscaling,
            RuleMode::MatchAny,
            &[] as &[&Rule]
        ),
        mock_client!(aws_sdk_apigateway, RuleMode::MatchAny, &[] as &[&Rule]),
        mock_client!(aws_sdk_iam, RuleMode::MatchAny, &[] as &[&Rule]),
        mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, &[] as &[&Rule]),
        alarms_client(),
        "us-east-1",
    );
    slsctl::kinds::event_bus::aws::update_bus(&clients, "shop-events", "all domain events")
        .await
        .expect("the request matched");
    assert_eq!(update.num_calls(), 1);
}

/// moto has no UpdateDomainName: a regional domain's certificate change is checked on the request.
#[tokio::test]
async fn a_domain_certificate_change_is_an_update_domain_name() {
    use aws_sdk_apigateway::operation::update_domain_name::UpdateDomainNameOutput;
    let update = mock!(aws_sdk_apigateway::Client::update_domain_name)
        .match_requests(|r| {
            r.domain_name() == Some("api.example.com")
                && r.patch_operations().iter().any(|p| {
                    p.path() == Some("/regionalCertificateArn")
                        && p.value() == Some("arn:aws:acm:us-east-1:123456789012:certificate/b")
                })
        })
        .then_output(|| UpdateDomainNameOutput::builder().build());
    let sts_rule = mock!(aws_sdk_sts::Client::get_caller_identity)
        .then_output(|| GetCallerIdentityOutput::builder().account(ACCOUNT).build());
    let clients = Clients::from_parts(
        mock_client!(aws_sdk_lambda, RuleMode::MatchAny, &[] as &[&Rule]),
        mock_client!(aws_sdk_sqs, RuleMode::MatchAny, &[] as &[&Rule]),
        mock_client!(
            aws_sdk_resourcegroupstagging,
            RuleMode::MatchAny,
            &[] as &[&Rule]
        ),
        mock_client!(aws_sdk_sts, RuleMode::MatchAny, [&sts_rule]),
        mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, &[] as &[&Rule]),
        mock_client!(aws_sdk_eventbridge, RuleMode::MatchAny, &[] as &[&Rule]),
        mock_client!(
            aws_sdk_applicationautoscaling,
            RuleMode::MatchAny,
            &[] as &[&Rule]
        ),
        mock_client!(aws_sdk_apigateway, RuleMode::MatchAny, [&update]),
        mock_client!(aws_sdk_iam, RuleMode::MatchAny, &[] as &[&Rule]),
        mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, &[] as &[&Rule]),
        alarms_client(),
        "us-east-1",
    );
    slsctl::kinds::api::domain::set_domain_certificate(
        &clients,
        "api.example.com",
        "arn:aws:acm:us-east-1:123456789012:certificate/b",
        "REGIONAL",
    )
    .await
    .expect("the request matched");
    assert_eq!(update.num_calls(), 1);
}

/// A switch to PROVISIONED on a table with indexes carries every index's throughput in the same
/// UpdateTable (AWS refuses it otherwise), never rebuilds the indexes, and a key change is its
/// own UpdateTable. moto accepts either shape and ignores SSE updates, so the requests are checked.
#[tokio::test]
async fn a_billing_switch_carries_index_throughput_and_sse_is_its_own_update() {
    use aws_sdk_dynamodb::operation::describe_table::DescribeTableOutput;
    use aws_sdk_dynamodb::operation::update_table::UpdateTableOutput;
    use aws_sdk_dynamodb::types::{BillingMode, SseType, TableDescription, TableStatus};

    const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let billing = mock!(aws_sdk_dynamodb::Client::update_table)
        .match_requests(|r| {
            let throughput = |name: &str| {
                r.global_secondary_index_updates().iter().any(|u| {
                    u.update().is_some_and(|u| {
                        u.index_name() == name
                            && u.provisioned_throughput().is_some_and(|t| {
                                (t.read_capacity_units(), t.write_capacity_units()) == (7, 3)
                            })
                    })
                })
            };
            r.billing_mode() == Some(&BillingMode::Provisioned)
                && r.provisioned_throughput()
                    .is_some_and(|t| (t.read_capacity_units(), t.write_capacity_units()) == (5, 5))
                && r.global_secondary_index_updates().len() == 2
                && throughput("gsi1")
                && throughput("gsi2")
                && r.sse_specification().is_none()
        })
        .then_output(|| UpdateTableOutput::builder().build());
    let sse = mock!(aws_sdk_dynamodb::Client::update_table)
        .match_requests(|r| {
            r.billing_mode().is_none()
                && r.global_secondary_index_updates().is_empty()
                && r.sse_specification().is_some_and(|s| {
                    s.enabled() == Some(true)
                        && s.sse_type() == Some(&SseType::Kms)
                        && s.kms_master_key_id() == Some(KEY)
                })
        })
        .then_output(|| UpdateTableOutput::builder().build());
    let active = mock!(aws_sdk_dynamodb::Client::describe_table).then_output(|| {
        DescribeTableOutput::builder()
            .table(
                TableDescription::builder()
                    .table_name("t")
                    .table_status(TableStatus::Active)
                    .build(),
            )
            .build()
    });
    let clients = Clients::from_parts(
        mock_client!(aws_sdk_lambda, RuleMode::MatchAny, &[] as &[&Rule]),
        mock_client!(aws_sdk_sqs, RuleMode::MatchAny, &[] as &[&Rule]),
        mock_client!(
            aws_sdk_resourcegroupstagging,
            RuleMode::MatchAny,
            &[] as &[&Rule]
        ),
        mock_client!(aws_sdk_sts, RuleMode::MatchAny, &[] as &[&Rule]),
        mock_client!(
            aws_sdk_dynamodb,
            RuleMode::MatchAny,
            [&billing, &sse, &active]
        ),
        mock_client!(aws_sdk_eventbridge, RuleMode::MatchAny, &[] as &[&Rule]),
        mock_client!(
            aws_sdk_applicationautoscaling,
            RuleMode::MatchAny,
            &[] as &[&Rule]
        ),
        mock_client!(aws_sdk_apigateway, RuleMode::MatchAny, &[] as &[&Rule]),
        mock_client!(aws_sdk_iam, RuleMode::MatchAny, &[] as &[&Rule]),
        mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, &[] as &[&Rule]),
        alarms_client(),
        "us-east-1",
    );
    let key = |name: &str| slsctl::model::Key {
        name: name.into(),
        key_type: slsctl::model::KeyType::S,
    };
    let index = |name: &str| slsctl::model::Gsi {
        name: name.into(),
        partition_key: key(&format!("{name}pk")),
        sort_key: None,
        projection: slsctl::model::Projection::All,
        capacity: Some((7, 3)),
    };
    let table = slsctl::model::Table {
        partition_key: key("pk"),
        sort_key: None,
        billing: slsctl::model::Billing::Provisioned { read: 5, write: 5 },
        global_secondary_indexes: vec![index("gsi1"), index("gsi2")],
        time_to_live_attribute: None,
        point_in_time_recovery: false,
        stream: None,
        table_class: "STANDARD".into(),
        deletion_protection: true,
        sse: slsctl::model::TableSse::CustomerManaged(KEY.into()),
        alarms: Default::default(),
    };
    // The live table, on demand, as the observer reads it.
    let on_demand_index = |name: &str| {
        FieldValue::known(serde_json::json!({
            "partitionKey": {"name": format!("{name}pk"), "type": "S"}, "projection": "ALL"
        }))
    };
    let live: slsctl::plan::Props = [
        (
            "billingMode".to_string(),
            FieldValue::known("PAY_PER_REQUEST"),
        ),
        (
            "globalSecondaryIndexes[gsi1]".to_string(),
            on_demand_index("gsi1"),
        ),
        (
            "globalSecondaryIndexes[gsi2]".to_string(),
            on_demand_index("gsi2"),
        ),
        ("sse".to_string(), FieldValue::known("AWS_OWNED")),
    ]
    .into();
    let changed: std::collections::BTreeSet<String> = [
        "billingMode",
        "readCapacity",
        "writeCapacity",
        "globalSecondaryIndexes[gsi1]",
        "globalSecondaryIndexes[gsi2]",
        "sse",
    ]
    .map(String::from)
    .into();
    assert_eq!(
        slsctl::kinds::table::aws::update_steps(&changed, &live, &table),
        ["switch billing to PROVISIONED with the throughput of index gsi1, gsi2, wait until the table is ACTIVE"]
    );
    slsctl::kinds::table::aws::update(&clients, "t", &table, &changed, &live)
        .await
        .expect("every request matched a rule");
    assert_eq!((billing.num_calls(), sse.num_calls()), (1, 1));
}

/// moto tags API Gateway stages only after creation: a REST API's tag change is checked on the
/// requests (its ARN, the tags added, the keys removed).
#[tokio::test]
async fn a_rest_api_tag_change_tags_and_untags_the_api() {
    use aws_sdk_apigateway::operation::tag_resource::TagResourceOutput;
    use aws_sdk_apigateway::operation::untag_resource::UntagResourceOutput;
    const ARN: &str = "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3";
    let tag = mock!(aws_sdk_apigateway::Client::tag_resource)
        .match_requests(|r| {
            r.resource_arn() == Some(ARN)
                && r.tags().is_some_and(|t| {
                    t.len() == 1 && t.get("team").map(String::as_str) == Some("payments")
                })
        })
        .then_output(|| TagResourceOutput::builder().build());
    let untag = mock!(aws_sdk_apigateway::Client::untag_resource)
        .match_requests(|r| r.resource_arn() == Some(ARN) && r.tag_keys() == ["cost-centre"])
        .then_output(|| UntagResourceOutput::builder().build());
    let clients = Clients::from_parts(
        mock_client!(aws_sdk_lambda, RuleMode::MatchAny, &[] as &[&Rule]),
        mock_client!(aws_sdk_sqs, RuleMode::MatchAny, &[] as &[&Rule]),
        mock_client!(
            aws_sdk_resourcegroupstagging,
            RuleMode::MatchAny,
            &[] as &[&Rule]
        ),
        mock_client!(aws_sdk_sts, RuleMode::MatchAny, &[] as &[&Rule]),
        mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, &[] as &[&Rule]),
        mock_client!(aws_sdk_eventbridge, RuleMode::MatchAny, &[] as &[&Rule]),
        mock_client!(
            aws_sdk_applicationautoscaling,
            RuleMode::MatchAny,
            &[] as &[&Rule]
        ),
        mock_client!(aws_sdk_apigateway, RuleMode::MatchAny, [&tag, &untag]),
        mock_client!(aws_sdk_iam, RuleMode::MatchAny, &[] as &[&Rule]),
        mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, &[] as &[&Rule]),
        alarms_client(),
        "eu-west-1",
    );
    slsctl::kinds::api::aws::tag(
        &clients,
        "aws",
        "eu-west-1",
        "a1b2c3",
        slsctl::kinds::context::TagChange {
            add: [("team".to_string(), "payments".to_string())].into(),
            remove: vec!["cost-centre".to_string()],
        },
    )
    .await
    .expect("both requests matched");
    assert_eq!((tag.num_calls(), untag.num_calls()), (1, 1));
}

/// On AWS the tagging query returns rules (moto's leaves them out): a rule that left the spec is
/// found by its ownership tags, planned as a deletion, and deleted after its targets.
#[tokio::test]
async fn a_rule_that_left_the_spec_is_found_by_its_tags_and_deleted() {
    use aws_sdk_eventbridge::operation::delete_rule::DeleteRuleOutput;
    use aws_sdk_eventbridge::operation::describe_rule::DescribeRuleOutput;
    use aws_sdk_eventbridge::operation::list_targets_by_rule::ListTargetsByRuleOutput;
    use aws_sdk_eventbridge::operation::remove_targets::RemoveTargetsOutput;
    use aws_sdk_eventbridge::types::RuleState;

    let dir = support::spec_dir(&[(
        "stack.yaml",
        "apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {name: shop}\nspec: {region: us-east-1}\n",
    )]);
    let (stack, _) = slsctl::kinds::load_stack(dir.path())
        .unwrap_or_else(|(d, s)| panic!("{}", d.render(&|p| s.get(p))));
    let rule_arn = format!("arn:aws:events:us-east-1:{ACCOUNT}:rule/shop-events/shop-old");
    let tagging = {
        let rule_arn = rule_arn.clone();
        mock!(aws_sdk_resourcegroupstagging::Client::get_resources).then_output(move || {
            let mut mapping = ResourceTagMapping::builder().resource_arn(&rule_arn);
            for (k, v) in [("slsctl:stack", "shop"), ("slsctl:resource", "Rule/old")] {
                mapping = mapping.tags(Tag::builder().key(k).value(v).build().unwrap());
            }
            GetResourcesOutput::builder()
                .resource_tag_mapping_list(mapping.build())
                .build()
        })
    };
    let describe = {
        let rule_arn = rule_arn.clone();
        mock!(aws_sdk_eventbridge::Client::describe_rule)
            .match_requests(|r| {
                r.name() == Some("shop-old") && r.event_bus_name() == Some("shop-events")
            })
            .then_output(move || {
                DescribeRuleOutput::builder()
                    .name("shop-old")
                    .arn(&rule_arn)
                    .event_bus_name("shop-events")
                    .event_pattern(r#"{"source":["shop"]}"#)
                    .state(RuleState::Enabled)
                    .build()
            })
    };
    let targets = mock!(aws_sdk_eventbridge::Client::list_targets_by_rule).then_output(|| {
        ListTargetsByRuleOutput::builder()
            .targets(
                aws_sdk_eventbridge::types::Target::builder()
                    .id("to-queue")
                    .arn(format!("arn:aws:sqs:us-east-1:{ACCOUNT}:shop-inbox"))
                    .build()
                    .unwrap(),
            )
            .build()
    });
    let remove = mock!(aws_sdk_eventbridge::Client::remove_targets)
        .match_requests(|r| {
            r.rule() == Some("shop-old")
                && r.event_bus_name() == Some("shop-events")
                && r.ids() == ["to-queue"]
        })
        .then_output(|| RemoveTargetsOutput::builder().build());
    let delete = mock!(aws_sdk_eventbridge::Client::delete_rule)
        .match_requests(|r| {
            r.name() == Some("shop-old") && r.event_bus_name() == Some("shop-events")
        })
        .then_output(|| DeleteRuleOutput::builder().build());
    // Layers are listed always: an owned layer that left the spec would be pruned too.
    let layers = mock!(aws_sdk_lambda::Client::list_layers)
        .then_output(|| ListLayersOutput::builder().build());
    let clients = clients_with_events(
        &[&layers],
        &[],
        &[&tagging],
        &[&describe, &targets, &remove, &delete],
    );
    let options = PlanOptions {
        allow_mass_delete: true,
        ..Default::default()
    };
    let prepared = prepare(stack, &clients, &options).await.expect("plan");
    let actions: Vec<(String, slsctl::plan::ActionKind)> = prepared
        .plan
        .actions
        .iter()
        .map(|a| (a.id.to_string(), a.action))
        .collect();
    // (The stack's dashboard does not exist in these answers, so it is created too.)
    assert_eq!(
        actions,
        [
            ("Rule/old".to_string(), slsctl::plan::ActionKind::Delete),
            (
                "Dashboard/shop".to_string(),
                slsctl::plan::ActionKind::Create
            )
        ]
    );
    let report = apply(Arc::new(prepared), &clients, Arc::new(Quiet)).await;
    assert!(
        report.actions.iter().all(|a| a.outcome == Outcome::Done),
        "{report:?}"
    );
    assert_eq!((remove.num_calls(), delete.num_calls()), (1, 1));
}

/// A create whose answer is lost (a 503 after AWS may have made it) is never sent again blindly:
/// the mapping is looked up, found, and brought to the desired settings, so a flaky network
/// cannot double a queue's consumers. When the lookup finds nothing, the create is retried.
#[tokio::test]
async fn a_trigger_is_created_at_most_once_when_an_answer_is_lost() {
    use aws_sdk_lambda::operation::create_event_source_mapping::CreateEventSourceMappingOutput;
    use aws_sdk_lambda::operation::update_event_source_mapping::UpdateEventSourceMappingOutput;
    use aws_sdk_lambda::types::EventSourceMappingConfiguration;
    let queue_arn = format!("arn:aws:sqs:us-east-1:{ACCOUNT}:jobs");
    let trigger = slsctl::kinds::function::mappings::TriggerInput {
        function: "worker".into(),
        queue_arn: queue_arn.clone(),
        batch_size: 5,
        maximum_batching_window: 0,
        report_batch_item_failures: true,
        maximum_concurrency: None,
        enabled: true,
    };

    // The answer is lost, but the mapping was made: found, updated, not created again.
    let lost = mock!(aws_sdk_lambda::Client::create_event_source_mapping)
        .sequence()
        .http_status(503, None)
        .output(|| {
            CreateEventSourceMappingOutput::builder()
                .uuid("second")
                .build()
        })
        .build();
    let queue = queue_arn.clone();
    let found = mock!(aws_sdk_lambda::Client::list_event_source_mappings)
        .match_requests(move |r| {
            r.function_name() == Some("worker") && r.event_source_arn() == Some(queue.as_str())
        })
        .then_output(|| {
            ListEventSourceMappingsOutput::builder()
                .event_source_mappings(
                    EventSourceMappingConfiguration::builder()
                        .uuid("first")
                        .build(),
                )
                .build()
        });
    let update = mock!(aws_sdk_lambda::Client::update_event_source_mapping)
        .match_requests(|r| r.uuid() == Some("first") && r.batch_size() == Some(5))
        .then_output(|| UpdateEventSourceMappingOutput::builder().build());
    let clients = clients(&[&lost, &found, &update], &[], &[]);
    slsctl::kinds::function::mappings::create_mapping(&clients, &trigger)
        .await
        .expect("adopted");
    assert_eq!(lost.num_calls(), 1, "not sent a second time");
    assert_eq!(found.num_calls(), 1);
    assert_eq!(update.num_calls(), 1);

    // Lost and not made: the lookup is empty, so the create is sent again (once).
    let retried = mock!(aws_sdk_lambda::Client::create_event_source_mapping)
        .sequence()
        .http_status(503, None)
        .output(|| {
            CreateEventSourceMappingOutput::builder()
                .uuid("only")
                .build()
        })
        .build();
    let none = mock!(aws_sdk_lambda::Client::list_event_source_mappings)
        .then_output(|| ListEventSourceMappingsOutput::builder().build());
    let clients = self::clients(&[&retried, &none], &[], &[]);
    slsctl::kinds::function::mappings::create_mapping(&clients, &trigger)
        .await
        .expect("created on the second attempt");
    assert_eq!(retried.num_calls(), 2);
    assert_eq!(none.num_calls(), 1);
}

/// AWS echoes the environment in its error when the variables exceed 4 KB ("String measured:
/// {…}"); references resolved at apply time can push a spec that validated over it. The secret
/// in the message must reach neither the action's outcome nor the printed report.
#[tokio::test]
async fn a_secret_echoed_by_an_aws_error_is_redacted_everywhere() {
    use aws_sdk_lambda::operation::create_function::CreateFunctionError;
    use aws_sdk_lambda::operation::get_function::GetFunctionError;
    use aws_sdk_lambda::types::error::{InvalidParameterValueException, ResourceNotFoundException};

    let canary = "canary-7f3e9c";
    let padding = "p".repeat(3000);
    let dir = support::spec_dir(&[
        ("stack.yaml", "apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {name: big}\nspec: {region: us-east-1}\n"),
        (
            "fn.yaml",
            &format!("apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {{name: worker}}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {{s3: {{bucket: artifacts, key: app.zip}}}}\n  role: arn:aws:iam::123456789012:role/r\n  environment: {{TOKEN: {canary}, PADDING: {padding}}}\n  sensitiveEnvironment: [TOKEN]\n"),
        ),
    ]);
    let (stack, _) = slsctl::kinds::load_stack(dir.path())
        .unwrap_or_else(|(d, s)| panic!("{}", d.render(&|p| s.get(p))));
    let missing = mock!(aws_sdk_lambda::Client::get_function).then_error(|| {
        GetFunctionError::ResourceNotFoundException(
            ResourceNotFoundException::builder()
                .meta(
                    ErrorMetadata::builder()
                        .code("ResourceNotFoundException")
                        .build(),
                )
                .build(),
        )
    });
    // Lambda's own wording, which quotes the variables back.
    let echoed = format!(
        "Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: {{\"TOKEN\":\"{canary}\",\"PADDING\":\"{padding}\"}}"
    );
    let message = echoed.clone();
    let too_large = mock!(aws_sdk_lambda::Client::create_function).then_error(move || {
        CreateFunctionError::InvalidParameterValueException(
            InvalidParameterValueException::builder()
                .message(message.clone())
                .meta(
                    ErrorMetadata::builder()
                        .code("InvalidParameterValueException")
                        .message(message.clone())
                        .build(),
                )
                .build(),
        )
    });
    let tagging = mock!(aws_sdk_resourcegroupstagging::Client::get_resources)
        .then_output(|| GetResourcesOutput::builder().build());
    let mappings = mock!(aws_sdk_lambda::Client::list_event_source_mappings)
        .then_output(|| ListEventSourceMappingsOutput::builder().build());
    let layers = mock!(aws_sdk_lambda::Client::list_layers)
        .then_output(|| ListLayersOutput::builder().build());
    let clients = clients(
        &[&missing, &too_large, &mappings, &layers],
        &[],
        &[&tagging],
    );
    let prepared = prepare(stack, &clients, &PlanOptions::default())
        .await
        .expect("plan");
    let plan_text = slsctl::render::plan_text(&prepared.plan);
    let plan_json = slsctl::render::plan_json(&prepared.plan).to_string();
    let report = apply(Arc::new(prepared), &clients, Arc::new(Quiet)).await;
    assert_eq!(too_large.num_calls(), 1);
    // The function's log group is created first; the function's own action is the one failing.
    let function = report
        .actions
        .iter()
        .find(|a| a.id.kind == slsctl::model::Kind::Function)
        .expect("the function's action is reported");
    let Outcome::Failed(why) = &function.outcome else {
        panic!("{report:?}")
    };
    assert!(
        why.contains("exceeded the 4KB limit"),
        "the error is kept: {why}"
    );
    let printed = slsctl::render::report_text(&report);
    for (output, text) in [
        ("plan", &plan_text),
        ("plan JSON", &plan_json),
        ("the failed outcome", why),
        ("the report", &printed),
        ("the report's debug form", &format!("{report:?}")),
    ] {
        assert!(!text.contains(canary), "{output} shows the secret: {text}");
    }
}

/// A bug that panics inside one action fails that action's resource, by name, and its
/// dependents are reported as skipped; none of them vanishes from the report.
#[tokio::test]
async fn a_panicking_action_is_reported_against_its_resource_and_its_dependents_skipped() {
    let dir = support::spec_dir(&[
        ("stack.yaml", "apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {name: px}\nspec: {region: us-east-1}\n"),
        (
            "r.yaml",
            "apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {name: jobs}\nspec: {}\n---\n\
             apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {name: worker}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {path: src}\n  role: arn:aws:iam::123456789012:role/r\n  triggers:\n    - queue: jobs\n",
        ),
        ("src/app.py", "def handler(e, c):\n    return e\n"),
    ]);
    let (stack, _) = slsctl::kinds::load_stack(dir.path())
        .unwrap_or_else(|(d, s)| panic!("{}", d.render(&|p| s.get(p))));
    let packages = slsctl::engine::build_packages(&stack).unwrap();
    let mut context = slsctl::kinds::desired::Context {
        account: ACCOUNT.into(),
        region: "us-east-1".into(),
        partition: "aws".into(),
        ..Default::default()
    };
    for (id, package) in &packages {
        context
            .code_sha256
            .insert(id.clone(), package.sha256_base64.clone());
    }
    let desired = slsctl::kinds::desired::desired_resources(&stack, &context);
    let order = slsctl::model::graph::creation_order(&stack).unwrap();
    // Nothing exists yet: the plan creates the queue and the function's log group, then the
    // function, then what watches them (the function's cold-start metric filter, three alarms
    // of the function's checks, the queue's age alarm), and the stack's dashboard.
    let plan = slsctl::plan::build_plan(
        "px",
        "us-east-1",
        ACCOUNT,
        &desired,
        &[],
        &order,
        &PlanOptions {
            rules: slsctl::kinds::rules,
            ..PlanOptions::default()
        },
    );
    assert_eq!(plan.summary.create, 9, "{plan:?}");
    let prepared = slsctl::engine::Prepared {
        stack,
        context,
        packages,
        observed: Default::default(),
        desired,
        order,
        plan,
    };
    // The bug: something in the queue's creation panics.
    let create_queue = mock!(aws_sdk_sqs::Client::create_queue).then_output(
        || -> aws_sdk_sqs::operation::create_queue::CreateQueueOutput {
            panic!("injected bug while creating px-jobs")
        },
    );
    let clients = clients(&[], &[&create_queue], &[]);

    let report = apply(Arc::new(prepared), &clients, Arc::new(Quiet)).await;
    let outcomes: Vec<(String, Outcome)> = report
        .actions
        .iter()
        .map(|a| (a.id.to_string(), a.outcome.clone()))
        .collect();
    assert_eq!(outcomes.len(), 9, "every action is reported: {outcomes:?}");
    match &outcomes[0] {
        (id, Outcome::Failed(why)) if id == "Queue/jobs" => assert!(
            why.contains("panicked") && why.contains("injected bug while creating px-jobs"),
            "{why}"
        ),
        other => panic!("the queue's action fails with the panic: {other:?}"),
    }
    let outcome_of = |id: &str| {
        outcomes
            .iter()
            .find(|(i, _)| i == id)
            .map(|(_, o)| o.clone())
    };
    // The log group and the dashboard depend on nothing that failed.
    assert_eq!(outcome_of("LogGroup/worker"), Some(Outcome::Done));
    assert_eq!(outcome_of("Dashboard/px"), Some(Outcome::Done));
    assert_eq!(
        outcome_of("Function/worker"),
        Some(Outcome::Skipped(
            "depends on Queue/jobs, which failed".to_string()
        ))
    );
    // What watches the function comes after it: its metric filter, and its three alarms, as
    // the queue's alarm comes after the queue.
    assert!(
        matches!(outcome_of("MetricFilter/worker"), Some(Outcome::Skipped(_))),
        "{outcomes:?}"
    );
    assert_eq!(
        outcome_of("Alarm/Queue/jobs/age"),
        Some(Outcome::Skipped(
            "depends on Queue/jobs, which failed".to_string()
        ))
    );
    assert!(
        matches!(
            outcome_of("Alarm/Function/worker/errorRate"),
            Some(Outcome::Skipped(_))
        ),
        "{outcomes:?}"
    );
    assert_eq!(report.failed(), 1);
    assert_eq!(report.skipped(), 6);
}

/// Old function versions go beyond the newest `keep`, except the ones an alias uses (its
/// version and its routing weights); one in use outside slsctl (a conflict) is kept, not fought.
#[tokio::test]
async fn old_function_versions_are_deleted_except_the_newest_and_the_aliases() {
    use aws_sdk_lambda::operation::delete_function::{DeleteFunctionError, DeleteFunctionOutput};
    use aws_sdk_lambda::operation::list_versions_by_function::ListVersionsByFunctionOutput;
    use aws_sdk_lambda::types::{AliasRoutingConfiguration, FunctionConfiguration};
    let aliases = mock!(aws_sdk_lambda::Client::list_aliases).then_output(|| {
        ListAliasesOutput::builder()
            .aliases(
                AliasConfiguration::builder()
                    .name("live")
                    .function_version("7")
                    .routing_config(
                        AliasRoutingConfiguration::builder()
                            .additional_version_weights("2", 0.1)
                            .build(),
                    )
                    .build(),
            )
            .build()
    });
    // Two pages, as ListVersionsByFunction pages at 50.
    let versions = mock!(aws_sdk_lambda::Client::list_versions_by_function)
        .sequence()
        .output(|| {
            ListVersionsByFunctionOutput::builder()
                .set_versions(Some(
                    ["$LATEST", "1", "2", "3"]
                        .iter()
                        .map(|v| FunctionConfiguration::builder().version(*v).build())
                        .collect(),
                ))
                .next_marker("page2")
                .build()
        })
        .output(|| {
            ListVersionsByFunctionOutput::builder()
                .set_versions(Some(
                    ["4", "5", "6", "7"]
                        .iter()
                        .map(|v| FunctionConfiguration::builder().version(*v).build())
                        .collect(),
                ))
                .build()
        })
        .build();
    // Version 3 is used by a mapping someone else made: Lambda refuses.
    let in_use = mock!(aws_sdk_lambda::Client::delete_function)
        .match_requests(|r| r.qualifier() == Some("3"))
        .sequence()
        .error(|| {
            DeleteFunctionError::ResourceConflictException(
                ResourceConflictException::builder()
                    .message("Cannot delete function version because it is in use")
                    .meta(
                        ErrorMetadata::builder()
                            .code("ResourceConflictException")
                            .build(),
                    )
                    .build(),
            )
        })
        .repeatedly()
        .build();
    let deleted = mock!(aws_sdk_lambda::Client::delete_function)
        .match_requests(|r| {
            r.function_name() == Some("worker") && matches!(r.qualifier(), Some("1" | "4"))
        })
        .sequence()
        .output(|| DeleteFunctionOutput::builder().build())
        .repeatedly()
        .build();
    let clients = clients(&[&aliases, &versions, &in_use, &deleted], &[], &[]);
    let gone = slsctl::kinds::function::versions::prune_function_versions(&clients, "worker", 3)
        .await
        .unwrap();
    // Newest three 7, 6, 5 stay; 2 is routed to; 3 is in use elsewhere.
    assert_eq!(gone, [4, 1]);
    assert_eq!(deleted.num_calls(), 2);
    assert!(in_use.num_calls() >= 1, "version 3 was asked for");
}

/// The tagging API lags behind tag changes: right after an apply it may still report a queue's
/// old tags. Tags that differ from the spec's are read again from SQS itself before a change is
/// planned; tags that agree cost no extra call.
#[tokio::test]
async fn tags_the_tagging_api_reports_stale_are_confirmed_with_the_service() {
    use aws_sdk_sqs::operation::list_queue_tags::ListQueueTagsOutput;
    let dir = support::spec_dir(&[
        ("stack.yaml", "apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {name: lag}\nspec: {region: us-east-1, tags: {team: payments}}\n"),
        ("q.yaml", "apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {name: jobs}\nspec: {}\n"),
    ]);
    for (reported, confirmations) in [("orders", 1), ("payments", 0)] {
        let (stack, _) = slsctl::kinds::load_stack(dir.path())
            .unwrap_or_else(|(d, s)| panic!("{}", d.render(&|p| s.get(p))));
        let tagging =
            mock!(aws_sdk_resourcegroupstagging::Client::get_resources).then_output(move || {
                let mut mapping = ResourceTagMapping::builder()
                    .resource_arn(format!("arn:aws:sqs:us-east-1:{ACCOUNT}:lag-jobs"));
                for (k, v) in [
                    ("slsctl:stack", "lag"),
                    ("slsctl:resource", "Queue/jobs"),
                    ("team", reported),
                ] {
                    mapping = mapping.tags(Tag::builder().key(k).value(v).build().unwrap());
                }
                GetResourcesOutput::builder()
                    .resource_tag_mapping_list(mapping.build())
                    .build()
            });
        let attributes = mock!(aws_sdk_sqs::Client::get_queue_attributes).then_output(|| {
            GetQueueAttributesOutput::builder()
                .attributes(
                    QueueAttributeName::QueueArn,
                    format!("arn:aws:sqs:us-east-1:{ACCOUNT}:lag-jobs"),
                )
                .build()
        });
        let current = mock!(aws_sdk_sqs::Client::list_queue_tags).then_output(|| {
            ListQueueTagsOutput::builder()
                .tags("slsctl:stack", "lag")
                .tags("slsctl:resource", "Queue/jobs")
                .tags("team", "payments")
                .build()
        });
        let layers = mock!(aws_sdk_lambda::Client::list_layers)
            .then_output(|| ListLayersOutput::builder().build());
        let clients = clients(&[&layers], &[&attributes, &current], &[&tagging]);
        let prepared = prepare(stack, &clients, &PlanOptions::default())
            .await
            .expect("plan");
        // The queue's own tags (its age alarm, which does not exist in these mocks, is a
        // create with its tags).
        let tag_changes: Vec<&str> = prepared
            .plan
            .actions
            .iter()
            .filter(|a| a.id.kind == slsctl::model::Kind::Queue)
            .flat_map(|a| &a.changes)
            .map(|c| c.field.as_str())
            .filter(|f| f.starts_with("tags."))
            .collect();
        assert!(tag_changes.is_empty(), "{reported}: {tag_changes:?}");
        assert_eq!(current.num_calls(), confirmations, "{reported}");
    }
}

/// A mapping in transition (`Creating`, `Updating`) refuses changes with
/// `ResourceInUseException`: the update waits for it to settle and goes through.
#[tokio::test]
async fn a_mapping_in_transition_is_waited_for_before_it_is_updated() {
    use aws_sdk_lambda::operation::get_event_source_mapping::GetEventSourceMappingOutput;
    use aws_sdk_lambda::operation::update_event_source_mapping::{
        UpdateEventSourceMappingError, UpdateEventSourceMappingOutput,
    };
    let update = mock!(aws_sdk_lambda::Client::update_event_source_mapping)
        .sequence()
        .error(|| {
            UpdateEventSourceMappingError::ResourceInUseException(
                aws_sdk_lambda::types::error::ResourceInUseException::builder()
                    .message("The resource is currently in use: Updating")
                    .meta(
                        ErrorMetadata::builder()
                            .code("ResourceInUseException")
                            .build(),
                    )
                    .build(),
            )
        })
        .output(|| UpdateEventSourceMappingOutput::builder().build())
        .build();
    let state = mock!(aws_sdk_lambda::Client::get_event_source_mapping)
        .sequence()
        .output(|| {
            GetEventSourceMappingOutput::builder()
                .state("Updating")
                .build()
        })
        .output(|| {
            GetEventSourceMappingOutput::builder()
                .state("Enabled")
                .build()
        })
        .build();
    let clients = clients(&[&update, &state], &[], &[]);
    let trigger = slsctl::kinds::function::mappings::TriggerInput {
        function: "worker:live".into(),
        queue_arn: format!("arn:aws:sqs:us-east-1:{ACCOUNT}:jobs"),
        batch_size: 10,
        maximum_batching_window: 0,
        report_batch_item_failures: false,
        maximum_concurrency: None,
        enabled: true,
    };
    slsctl::kinds::function::mappings::update_mapping(&clients, "uuid-1", &trigger)
        .await
        .expect("updated once the mapping settled");
    assert_eq!((update.num_calls(), state.num_calls()), (2, 2));
}

/// RemoveTargets answers 200 with `FailedEntryCount > 0` when a target was not removed: that
/// is a failure, not a success.
#[tokio::test]
async fn remove_targets_with_failed_entries_is_a_failure() {
    use aws_sdk_eventbridge::operation::remove_targets::RemoveTargetsOutput;
    use aws_sdk_eventbridge::types::RemoveTargetsResultEntry;
    let partial = mock!(aws_sdk_eventbridge::Client::remove_targets).then_output(|| {
        RemoveTargetsOutput::builder()
            .failed_entry_count(1)
            .failed_entries(
                RemoveTargetsResultEntry::builder()
                    .target_id("to-queue")
                    .error_code("ConcurrentModificationException")
                    .error_message("Rule is being modified")
                    .build(),
            )
            .build()
    });
    let clients = clients_with_events(&[], &[], &[], &[&partial]);
    let error = slsctl::kinds::rule::aws::remove_targets(
        &clients,
        "placed",
        "default",
        vec!["to-queue".into()],
    )
    .await
    .expect_err("a failed entry fails the call");
    assert_eq!(error.operation, "RemoveTargets");
    assert_eq!(
        error.kind,
        slsctl::aws::ErrorKind::Conflict,
        "worth a retry"
    );
    assert!(
        error.message.contains("to-queue: Rule is being modified"),
        "{error}"
    );
}

/// ARNs are built in the credentials' partition, read from the caller's ARN, not assumed.
#[tokio::test]
async fn the_partition_comes_from_the_callers_arn() {
    let sts = mock!(aws_sdk_sts::Client::get_caller_identity).then_output(|| {
        GetCallerIdentityOutput::builder()
            .account(ACCOUNT)
            .arn(format!("arn:aws-cn:iam::{ACCOUNT}:user/ci"))
            .build()
    });
    let clients = Clients::from_parts(
        mock_client!(aws_sdk_lambda, RuleMode::MatchAny, &[] as &[&Rule]),
        mock_client!(aws_sdk_sqs, RuleMode::MatchAny, &[] as &[&Rule]),
        mock_client!(
            aws_sdk_resourcegroupstagging,
            RuleMode::MatchAny,
            &[] as &[&Rule]
        ),
        mock_client!(aws_sdk_sts, RuleMode::MatchAny, [&sts]),
        mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, &[] as &[&Rule]),
        mock_client!(aws_sdk_eventbridge, RuleMode::MatchAny, &[] as &[&Rule]),
        mock_client!(
            aws_sdk_applicationautoscaling,
            RuleMode::MatchAny,
            &[] as &[&Rule]
        ),
        mock_client!(aws_sdk_apigateway, RuleMode::MatchAny, &[] as &[&Rule]),
        mock_client!(aws_sdk_iam, RuleMode::MatchAny, &[] as &[&Rule]),
        mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, &[] as &[&Rule]),
        alarms_client(),
        "us-east-1",
    );
    let identity = clients.identity().await.unwrap();
    assert_eq!(
        identity.partition, "aws-cn",
        "even in a region the name does not tell"
    );
}

/// moto keeps no LoggingConfig, so the JSON path is checked here: the configuration AWS reports
/// after a JSON update (an unset level reads back as INFO) is what the spec's props say, and a
/// Text answer (no levels) is what a function without `logging` wants.
#[tokio::test]
async fn json_logging_reads_back_as_the_spec_wants_it_with_lambdas_default_levels() {
    use aws_sdk_lambda::types::{ApplicationLogLevel, LogFormat, LoggingConfig, SystemLogLevel};
    let dir = support::spec_dir(&[
        ("stack.yaml", "apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {name: lj}\nspec: {region: us-east-1}\n"),
        (
            "r.yaml",
            "apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {name: json}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {path: src}\n  role: arn:aws:iam::123456789012:role/r\n  logging: {format: JSON, applicationLogLevel: DEBUG}\n---\n\
             apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {name: text}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {path: src}\n  role: arn:aws:iam::123456789012:role/r\n",
        ),
        ("src/app.py", "def handler(e, c):\n    return e\n"),
    ]);
    let (stack, _) = slsctl::kinds::load_stack(dir.path())
        .unwrap_or_else(|(d, s)| panic!("{}", d.render(&|p| s.get(p))));
    let context = slsctl::kinds::desired::Context {
        account: ACCOUNT.into(),
        region: "us-east-1".into(),
        partition: "aws".into(),
        ..Default::default()
    };
    let desired = slsctl::kinds::desired::desired_resources(&stack, &context);
    let logging_of = |props: &slsctl::plan::Props| -> Vec<(String, FieldValue)> {
        props
            .iter()
            .filter(|(k, _)| k.starts_with("logging."))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    let wanted = |name: &str| {
        let id = slsctl::model::ResourceId::new(slsctl::model::Kind::Function, name);
        logging_of(&desired.iter().find(|d| d.id == id).unwrap().props)
    };
    assert_eq!(
        wanted("json"),
        [
            (
                "logging.applicationLogLevel".to_string(),
                FieldValue::known("DEBUG")
            ),
            ("logging.format".to_string(), FieldValue::known("JSON")),
            (
                "logging.logGroup".to_string(),
                FieldValue::known("/aws/lambda/lj-json")
            ),
            (
                "logging.systemLogLevel".to_string(),
                FieldValue::known("INFO")
            ),
        ]
    );
    // Only the logging fields are compared, so the configuration holds only those and the name.
    let live = |name: &str, logging: LoggingConfig| {
        let configuration = FunctionConfiguration::builder()
            .function_name(name)
            .logging_config(logging)
            .build();
        logging_of(&slsctl::kinds::function::aws::function_props(
            &configuration,
            &Default::default(),
            None,
            None,
        ))
    };
    // GetFunction after UpdateFunctionConfiguration(LogFormat JSON, ApplicationLogLevel DEBUG).
    let json = LoggingConfig::builder()
        .log_format(LogFormat::Json)
        .application_log_level(ApplicationLogLevel::Debug)
        .system_log_level(SystemLogLevel::Info)
        .log_group("/aws/lambda/lj-json")
        .build();
    assert_eq!(live("lj-json", json), wanted("json"));
    // A JSON answer that leaves the levels out still means INFO.
    let bare_json = LoggingConfig::builder()
        .log_format(LogFormat::Json)
        .log_group("/aws/lambda/lj-json")
        .build();
    assert_eq!(
        live("lj-json", bare_json)[..1],
        [(
            "logging.applicationLogLevel".to_string(),
            FieldValue::known("INFO")
        )]
    );
    // Text, as AWS reports a function never configured otherwise: no levels.
    let text = LoggingConfig::builder()
        .log_format(LogFormat::Text)
        .log_group("/aws/lambda/lj-text")
        .build();
    assert_eq!(live("lj-text", text), wanted("text"));
}

/// The whole LoggingConfig goes with every configuration update: levels with JSON only (Lambda
/// refuses them with Text), and the group the logs go to.
#[tokio::test]
async fn updates_carry_the_logging_config_with_levels_only_for_json() {
    use aws_sdk_lambda::types::{ApplicationLogLevel, LogFormat, SystemLogLevel};
    let json = mock!(aws_sdk_lambda::Client::update_function_configuration)
        .match_requests(|r| {
            r.logging_config().is_some_and(|l| {
                l.log_format() == Some(&LogFormat::Json)
                    && l.application_log_level() == Some(&ApplicationLogLevel::Debug)
                    && l.system_log_level() == Some(&SystemLogLevel::Warn)
                    && l.log_group() == Some("shared-logs")
            })
        })
        .then_output(|| UpdateFunctionConfigurationOutput::builder().build());
    let text = mock!(aws_sdk_lambda::Client::update_function_configuration)
        .match_requests(|r| {
            r.logging_config().is_some_and(|l| {
                l.log_format() == Some(&LogFormat::Text)
                    && l.application_log_level().is_none()
                    && l.system_log_level().is_none()
                    && l.log_group() == Some("/aws/lambda/f")
            })
        })
        .then_output(|| UpdateFunctionConfigurationOutput::builder().build());
    let settled = mock!(aws_sdk_lambda::Client::get_function)
        .then_output(|| live_function("f", "x", 256, &[]));
    let clients = clients(&[&json, &text, &settled], &[], &[]);
    let mut input = input();
    input.log_format = "JSON".into();
    input.application_log_level = Some("DEBUG".into());
    input.system_log_level = Some("WARN".into());
    input.log_group = "shared-logs".into();
    slsctl::kinds::function::aws::update_configuration(&clients, &input)
        .await
        .expect("the JSON request matched");
    // Levels left in the input are not sent with Text.
    input.log_format = "Text".into();
    input.log_group = "/aws/lambda/f".into();
    slsctl::kinds::function::aws::update_configuration(&clients, &input)
        .await
        .expect("the Text request matched");
    assert_eq!((json.num_calls(), text.num_calls()), (1, 1));
}

/// A tagging page whose token has expired (after 15 minutes on AWS; moto's serve once, so a
/// page whose answer was lost cannot be asked again) starts the listing again from its first
/// page, instead of failing the whole observation.
#[tokio::test]
async fn an_expired_tagging_page_token_starts_the_listing_again() {
    use aws_sdk_resourcegroupstagging::operation::get_resources::GetResourcesError;
    use aws_sdk_resourcegroupstagging::types::error::PaginationTokenExpiredException;
    let page = |name: &'static str, next: Option<&'static str>| {
        move || {
            let mapping = ResourceTagMapping::builder()
                .resource_arn(format!(
                    "arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}"
                ))
                .tags(
                    Tag::builder()
                        .key("slsctl:stack")
                        .value("pages")
                        .build()
                        .unwrap(),
                )
                .tags(
                    Tag::builder()
                        .key("slsctl:resource")
                        .value(format!("Function/{name}"))
                        .build()
                        .unwrap(),
                )
                .build();
            GetResourcesOutput::builder()
                .resource_tag_mapping_list(mapping)
                .set_pagination_token(next.map(str::to_string))
                .build()
        }
    };
    let expired = || {
        GetResourcesError::PaginationTokenExpiredException(
            PaginationTokenExpiredException::builder()
                .message("Token does not exist")
                .meta(
                    ErrorMetadata::builder()
                        .code("PaginationTokenExpiredException")
                        .message("Token does not exist")
                        .build(),
                )
                .build(),
        )
    };
    let tagging = mock!(aws_sdk_resourcegroupstagging::Client::get_resources)
        .sequence()
        .output(page("a", Some("t1")))
        .error(expired)
        .output(page("a", Some("t1")))
        .output(page("b", None))
        .build();
    let get_function = mock!(aws_sdk_lambda::Client::get_function).then_output(|| {
        live_function(
            "a",
            "x",
            128,
            &[("slsctl:stack", "pages"), ("slsctl:resource", "Function/a")],
        )
    });
    let mappings = mock!(aws_sdk_lambda::Client::list_event_source_mappings)
        .then_output(|| ListEventSourceMappingsOutput::builder().build());
    let layers = mock!(aws_sdk_lambda::Client::list_layers)
        .then_output(|| ListLayersOutput::builder().build());
    let aliases = mock!(aws_sdk_lambda::Client::list_aliases)
        .then_output(|| ListAliasesOutput::builder().build());
    let clients = clients(
        &[&get_function, &mappings, &layers, &aliases],
        &[],
        &[&tagging],
    );
    let observed = slsctl::kinds::observe::observe(
        &clients,
        slsctl::aws::Identity {
            account: ACCOUNT.into(),
            partition: "aws".into(),
        },
        "pages",
        &[],
    )
    .await
    .expect("the listing starts again and completes");
    assert_eq!(tagging.num_calls(), 4, "page 1, expired, page 1, page 2");
    let ids: Vec<String> = observed
        .resources
        .iter()
        .map(|r| r.id.to_string())
        .collect();
    assert_eq!(ids, ["Function/a", "Function/b"]);
}
