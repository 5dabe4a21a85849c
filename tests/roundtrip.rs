//! Normalisation round trips, field by field: what slsctl sends AWS for a fully specified
//! resource, read back the way AWS answers, gives exactly the desired props. This is the "empty
//! plan after apply" property for every field, including those the emulator cannot store.

use std::collections::BTreeMap;

use aws_sdk_lambda::types::{
    ApplicationLogLevel, Architecture, DeadLetterConfig, EnvironmentResponse, EphemeralStorage,
    EventSourceMappingConfiguration, FunctionConfiguration, FunctionResponseType, Layer, LogFormat,
    LoggingConfig, PackageType, Runtime, ScalingConfig, SystemLogLevel, TracingConfigResponse,
    TracingMode,
};
use slsctl::kinds::desired::{desired_resources, Context};
use slsctl::plan::{FieldValue, Props};

mod support;

fn stack(docs: &str) -> slsctl::model::Stack {
    let dir = support::spec_dir(&[
        ("stack.yaml", "apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {name: rt}\nspec:\n  region: eu-west-1\n  tags: {team: a}\n"),
        ("r.yaml", docs),
        ("src/app.py", "x = 1\n"),
    ]);
    slsctl::kinds::load_stack(dir.path())
        .unwrap_or_else(|(d, s)| panic!("{}", d.render(&|p| s.get(p))))
        .0
}

fn context(stack: &slsctl::model::Stack) -> Context {
    let mut context = Context {
        account: "111122223333".into(),
        region: "eu-west-1".into(),
        partition: "aws".into(),
        ..Context::default()
    };
    for r in &stack.resources {
        context.code_sha256.insert(r.id.clone(), "c2hhMjU2".into());
        context.layer_version_arn.insert(
            r.id.clone(),
            "arn:aws:lambda:eu-west-1:111122223333:layer:rt-libs:4".into(),
        );
    }
    context
}

fn text(props: &Props, field: &str) -> String {
    match &props[field] {
        FieldValue::Known(serde_json::Value::String(s)) => s.clone(),
        other => panic!("{field}: {other:?}"),
    }
}

#[test]
fn every_function_field_reads_back_as_written() {
    let stack = stack(
        "apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {name: f}\nspec:\n  handler: app.main\n  runtime: python3.13\n  code: {path: src}\n  role: arn:aws:iam::111122223333:role/r\n  memorySize: 1769\n  timeout: 77\n  architecture: arm64\n  ephemeralStorage: 4096\n  tracing: Active\n  description: all fields\n  layers: [libs, \"arn:aws:lambda:eu-west-1:999999999999:layer:ext:2\"]\n  environment: {MODE: \"1\", QUEUE_URL: {ref: Queue/q, attr: url}, SECRET: s3cr3t}\n  sensitiveEnvironment: [SECRET]\n  reservedConcurrency: 9\n  deadLetter: {queue: q}\n  triggers:\n    - {queue: q, batchSize: 25, maximumBatchingWindow: 4, reportBatchItemFailures: true, maximumConcurrency: 12, enabled: false}\n  logging: {format: JSON, systemLogLevel: WARN}\n---\napiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {name: q}\nspec: {visibilityTimeout: 600}\n---\napiVersion: slsctl.dev/v1alpha1\nkind: Layer\nmetadata: {name: libs}\nspec: {content: {path: src}}\n",
    );
    let desired = desired_resources(&stack, &context(&stack));
    let want = desired
        .iter()
        .find(|d| d.id.kind == slsctl::model::Kind::Function)
        .unwrap();
    let env = |k: &str| text(&want.props, &format!("environment.{k}"));
    let queue_arn = "arn:aws:sqs:eu-west-1:111122223333:rt-q";

    // What Lambda answers after CreateFunction with these values.
    let configuration = FunctionConfiguration::builder()
        .function_name("rt-f")
        .runtime(Runtime::from("python3.13"))
        .role("arn:aws:iam::111122223333:role/r")
        .handler("app.main")
        .code_sha256("c2hhMjU2")
        .description("all fields")
        .timeout(77)
        .memory_size(1769)
        .package_type(PackageType::Zip)
        .architectures(Architecture::Arm64)
        .ephemeral_storage(EphemeralStorage::builder().size(4096).build().unwrap())
        .tracing_config(
            TracingConfigResponse::builder()
                .mode(TracingMode::Active)
                .build(),
        )
        .layers(
            Layer::builder()
                .arn("arn:aws:lambda:eu-west-1:111122223333:layer:rt-libs:4")
                .build(),
        )
        .layers(
            Layer::builder()
                .arn("arn:aws:lambda:eu-west-1:999999999999:layer:ext:2")
                .build(),
        )
        .environment(
            EnvironmentResponse::builder()
                .variables("MODE", env("MODE"))
                .variables("QUEUE_URL", env("QUEUE_URL"))
                // The live value is the secret itself; the engine compares it by digest.
                .variables("SECRET", "s3cr3t")
                .build(),
        )
        .dead_letter_config(DeadLetterConfig::builder().target_arn(queue_arn).build())
        // The application level was left unset: Lambda reports its default, INFO.
        .logging_config(
            LoggingConfig::builder()
                .log_format(LogFormat::Json)
                .application_log_level(ApplicationLogLevel::Info)
                .system_log_level(SystemLogLevel::Warn)
                .log_group("/aws/lambda/rt-f")
                .build(),
        )
        .build();
    let tags: BTreeMap<String, String> = want
        .props
        .iter()
        .filter_map(|(k, v)| {
            Some((
                k.strip_prefix("tags.")?.to_string(),
                match v {
                    FieldValue::Known(serde_json::Value::String(s)) => s.clone(),
                    _ => return None,
                },
            ))
        })
        .collect();
    let mut props =
        slsctl::kinds::function::aws::function_props(&configuration, &tags, Some(9), None);
    let mapping = EventSourceMappingConfiguration::builder()
        .uuid("u")
        .event_source_arn(queue_arn)
        .function_arn("arn:aws:lambda:eu-west-1:111122223333:function:rt-f")
        .batch_size(25)
        .maximum_batching_window_in_seconds(4)
        .function_response_types(FunctionResponseType::ReportBatchItemFailures)
        .scaling_config(ScalingConfig::builder().maximum_concurrency(12).build())
        .state("Disabled")
        .build();
    slsctl::kinds::function::mappings::mapping_props(&mapping, &mut props);
    slsctl::engine::mask_sensitive_props(want, &mut props);
    assert_eq!(
        props["environment.SECRET"],
        want.props["environment.SECRET"]
    );
    assert_ne!(
        text(&props, "environment.SECRET"),
        "s3cr3t",
        "never the secret itself"
    );
    assert_eq!(
        env("QUEUE_URL"),
        "https://sqs.eu-west-1.amazonaws.com/111122223333/rt-q"
    );
    assert_eq!(props, want.props, "every field reads back as written");
}

#[test]
fn every_queue_attribute_reads_back_as_written() {
    let stack = stack(
        "apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {name: jobs}\nspec:\n  fifo: true\n  contentBasedDeduplication: true\n  deduplicationScope: messageGroup\n  fifoThroughputLimit: perMessageGroupId\n  visibilityTimeout: 901\n  messageRetentionPeriod: 7200\n  delaySeconds: 15\n  maximumMessageSize: 2048\n  receiveMessageWaitTime: 19\n  kmsMasterKeyId: alias/sqs\n  kmsDataKeyReusePeriod: 600\n  deadLetter: {queue: dlq, maxReceiveCount: 7}\n---\napiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {name: dlq}\nspec: {fifo: true, restrictRedriveSources: true}\n",
    );
    let desired = desired_resources(&stack, &context(&stack));
    // The queues (not their alarms, tests/alarms.rs; the stack's dashboard is derived beside
    // them).
    for want in desired
        .iter()
        .filter(|d| d.id.kind == slsctl::model::Kind::Queue)
    {
        // SQS stores every attribute as a string and answers GetQueueAttributes the same way;
        // maxReceiveCount comes back as a string inside the JSON redrive policy.
        let mut attributes: BTreeMap<String, String> =
            slsctl::kinds::queue::aws::attributes_from_props(&want.props)
                .into_iter()
                .map(|(k, v)| (k.as_str().to_string(), v))
                .filter(|(_, v)| !v.is_empty())
                .collect();
        if let Some(policy) = attributes.get_mut("RedrivePolicy") {
            *policy = policy.replace(":7}", ":\"7\"}");
        }
        if want.props.get("fifo") == Some(&FieldValue::known(true)) {
            attributes.insert("FifoQueue".into(), "true".into());
        }
        attributes.insert(
            "QueueArn".into(),
            format!("arn:aws:sqs:eu-west-1:111122223333:{}", want.physical_name),
        );
        let tags: BTreeMap<String, String> = want
            .props
            .iter()
            .filter_map(|(k, v)| {
                Some((
                    k.strip_prefix("tags.")?.to_string(),
                    match v {
                        FieldValue::Known(serde_json::Value::String(s)) => s.clone(),
                        _ => return None,
                    },
                ))
            })
            .collect();
        let live = slsctl::kinds::queue::aws::queue_from_attributes("u", &attributes, &tags);
        assert_eq!(live.props, want.props, "{}", want.id);
    }
    // The dead-letter queue names its one source in its redrive-allow policy.
    let dlq = desired.iter().find(|d| d.id.name == "dlq").unwrap();
    assert_eq!(
        dlq.props["redriveAllow.sourceQueueArns"],
        FieldValue::known(serde_json::json!([
            "arn:aws:sqs:eu-west-1:111122223333:rt-jobs.fifo"
        ]))
    );
}
