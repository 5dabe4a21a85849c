//! `slsctl tune` against scripted Lambda answers (aws-smithy-mocks): moto cannot run function
//! code without docker, so Invoke is answered here with the real response shape — a base64
//! `LogResult` holding Lambda's REPORT line. The other calls (configuration, versions, aliases)
//! are answered by a small model of one function, so that the tests can check what is left
//! in "AWS" after a run, a failed invocation or a Ctrl-C: the memory as it was, no alias, no
//! version tuning published.

mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_lambda::operation::create_alias::{CreateAliasError, CreateAliasOutput};
use aws_sdk_lambda::operation::delete_alias::DeleteAliasOutput;
use aws_sdk_lambda::operation::delete_function::{DeleteFunctionError, DeleteFunctionOutput};
use aws_sdk_lambda::operation::get_alias::{GetAliasError, GetAliasOutput};
use aws_sdk_lambda::operation::get_function::GetFunctionOutput;
use aws_sdk_lambda::operation::invoke::InvokeOutput;
use aws_sdk_lambda::operation::list_versions_by_function::ListVersionsByFunctionOutput;
use aws_sdk_lambda::operation::publish_version::PublishVersionOutput;
use aws_sdk_lambda::operation::update_alias::UpdateAliasOutput;
use aws_sdk_lambda::operation::update_function_configuration::{
    UpdateFunctionConfigurationError, UpdateFunctionConfigurationOutput,
};
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::error::{ResourceConflictException, ResourceNotFoundException};
use aws_sdk_lambda::types::{
    Architecture, FunctionConfiguration, LastUpdateStatus, LogType, State,
};
use aws_smithy_mocks::{mock, mock_client, MockResponse, Rule, RuleMode};
use aws_smithy_types::error::ErrorMetadata;
use base64::Engine;
use slsctl::aws::Clients;
use slsctl::tune::report::{self, Choice};
use slsctl::tune::{tune, TuneError, TuneRequest, ALIAS, MARKER};

const NAME: &str = "orders-create-order";
const STACK: &str = "orders";

/// One Lambda function as the tests' "AWS" holds it.
#[derive(Debug)]
struct Function {
    memory: i32,
    tags: BTreeMap<String, String>,
    /// Number → (memory, description).
    versions: BTreeMap<u64, (i32, String)>,
    /// Name → (version, description).
    aliases: BTreeMap<String, (u64, String)>,
    /// Whether `$LATEST` changed since the last version was published.
    changed_since_publish: bool,
    /// The next UpdateFunctionConfiguration is refused as an update in progress.
    conflict_once: bool,
    /// Invocations at this memory fail (FunctionError Unhandled).
    failing_memory: Option<i32>,
    /// What happened, in order: `memory 256`, `publish 3`, `invoke 3`, `delete version 3`, …
    events: Vec<String>,
    /// The invocations answered, and the payloads they carried.
    invocations: usize,
    payloads: Vec<Vec<u8>>,
    /// After this many invocations, `cancel` is notified (a Ctrl-C mid-run).
    cancel_after: Option<usize>,
    cancel: Arc<tokio::sync::Notify>,
    /// Versions already invoked, for their first invocation's cold start.
    warm: Vec<u64>,
}

type Shared = Arc<Mutex<Function>>;

fn meta(code: &str) -> ErrorMetadata {
    ErrorMetadata::builder().code(code).message(code).build()
}

fn lambda_function(tags: &[(&str, &str)], memory: i32) -> Shared {
    Arc::new(Mutex::new(Function {
        memory,
        tags: tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        // Version 1 is the stack's own, behind its alias `live`: tuning must leave both alone.
        versions: BTreeMap::from([(1, (memory, String::new()))]),
        aliases: BTreeMap::from([("live".to_string(), (1, "slsctl version=abc".to_string()))]),
        changed_since_publish: false,
        conflict_once: true,
        failing_memory: None,
        events: Vec::new(),
        invocations: 0,
        payloads: Vec::new(),
        cancel_after: None,
        cancel: Arc::new(tokio::sync::Notify::new()),
        warm: Vec::new(),
    }))
}

/// A function of the stack, deployed with `memory` MB as version 1.
fn owned(memory: i32) -> Shared {
    lambda_function(
        &[
            ("slsctl:stack", STACK),
            ("slsctl:resource", "Function/create-order"),
        ],
        memory,
    )
}

/// How long the model function runs at a memory size: CPU scales with memory up to 1769 MB
/// (one vCPU), beyond which this single-threaded handler gains nothing.
fn duration_ms(memory: i32) -> f64 {
    let cpu = f64::from(memory.min(1769)) / 1769.0;
    20.0 + 80.0 / cpu / 10.0
}

/// The REPORT line Lambda writes at the end of an invocation, as it appears in the log tail.
fn report_line(memory: i32, cold: bool) -> String {
    let duration = duration_ms(memory);
    let init = 180.0;
    // Since August 2025 the INIT phase of on-demand functions is billed with the invocation.
    let billed = if cold {
        (duration + init).ceil()
    } else {
        duration.ceil()
    };
    let mut line = format!(
        "REPORT RequestId: 5a9e2c1f-xmpl-4b3a-9d3e-2f0c7e1b8a42\tDuration: {duration:.2} ms\tBilled Duration: {billed} ms\tMemory Size: {memory} MB\tMax Memory Used: 74 MB\t"
    );
    if cold {
        line.push_str(&format!("Init Duration: {init:.2} ms\t"));
    }
    format!(
        "START RequestId: 5a9e2c1f-xmpl-4b3a-9d3e-2f0c7e1b8a42 Version: 2\n\
         [INFO]\t2024-05-01T10:00:00.118Z\t5a9e2c1f-xmpl-4b3a-9d3e-2f0c7e1b8a42\torder accepted\n\
         END RequestId: 5a9e2c1f-xmpl-4b3a-9d3e-2f0c7e1b8a42\n{line}\n"
    )
}

fn configuration(f: &Function) -> FunctionConfiguration {
    FunctionConfiguration::builder()
        .function_name(NAME)
        .function_arn(format!(
            "arn:aws:lambda:us-east-1:123456789012:function:{NAME}"
        ))
        .memory_size(f.memory)
        .architectures(Architecture::X8664)
        .state(State::Active)
        .last_update_status(LastUpdateStatus::Successful)
        .build()
}

fn lambda_rules(function: &Shared) -> Vec<Rule> {
    let f = function.clone();
    let get_function = mock!(aws_sdk_lambda::Client::get_function).then_compute_output(move |_| {
        let f = f.lock().unwrap();
        let mut output = GetFunctionOutput::builder().configuration(configuration(&f));
        for (k, v) in &f.tags {
            output = output.tags(k, v);
        }
        output.build()
    });
    let f = function.clone();
    let update = mock!(aws_sdk_lambda::Client::update_function_configuration)
        .then_compute_response(move |input| {
            let mut f = f.lock().unwrap();
            if std::mem::take(&mut f.conflict_once) {
                f.events.push("conflict".into());
                return MockResponse::Error(
                    UpdateFunctionConfigurationError::ResourceConflictException(
                        ResourceConflictException::builder()
                            .message("The operation cannot be performed at this time. An update is in progress for resource: arn:aws:lambda:us-east-1:123456789012:function:orders-create-order")
                            .meta(meta("ResourceConflictException"))
                            .build(),
                    ),
                );
            }
            let memory = input.memory_size().unwrap();
            if memory != f.memory {
                f.memory = memory;
                f.changed_since_publish = true;
            }
            f.events.push(format!("memory {memory}"));
            MockResponse::Output(UpdateFunctionConfigurationOutput::builder().build())
        });
    let f = function.clone();
    let publish =
        mock!(aws_sdk_lambda::Client::publish_version).then_compute_output(move |input| {
            let mut f = f.lock().unwrap();
            // Lambda publishes nothing new when nothing changed since the last version.
            let version = if f.changed_since_publish {
                let next = f.versions.keys().max().copied().unwrap_or(0) + 1;
                let memory = f.memory;
                let description = input.description().unwrap_or_default().to_string();
                f.versions.insert(next, (memory, description));
                f.changed_since_publish = false;
                next
            } else {
                *f.versions.keys().max().unwrap()
            };
            f.events.push(format!("publish {version}"));
            PublishVersionOutput::builder()
                .version(version.to_string())
                .build()
        });
    let f = function.clone();
    let list_versions = mock!(aws_sdk_lambda::Client::list_versions_by_function)
        .then_compute_output(move |_| {
            let f = f.lock().unwrap();
            let mut versions = vec![FunctionConfiguration::builder()
                .function_name(NAME)
                .version("$LATEST")
                .memory_size(f.memory)
                .build()];
            for (number, (memory, description)) in &f.versions {
                versions.push(
                    FunctionConfiguration::builder()
                        .function_name(NAME)
                        .version(number.to_string())
                        .memory_size(*memory)
                        .description(description)
                        .build(),
                );
            }
            ListVersionsByFunctionOutput::builder()
                .set_versions(Some(versions))
                .build()
        });
    let f = function.clone();
    let get_alias = mock!(aws_sdk_lambda::Client::get_alias).then_compute_response(move |input| {
        let f = f.lock().unwrap();
        match f.aliases.get(input.name().unwrap()) {
            Some((version, description)) => MockResponse::Output(
                GetAliasOutput::builder()
                    .name(input.name().unwrap())
                    .function_version(version.to_string())
                    .description(description)
                    .build(),
            ),
            None => MockResponse::Error(GetAliasError::ResourceNotFoundException(
                ResourceNotFoundException::builder()
                    .meta(meta("ResourceNotFoundException"))
                    .build(),
            )),
        }
    });
    let f = function.clone();
    let create_alias =
        mock!(aws_sdk_lambda::Client::create_alias).then_compute_response(move |input| {
            let mut f = f.lock().unwrap();
            let name = input.name().unwrap().to_string();
            if f.aliases.contains_key(&name) {
                return MockResponse::Error(CreateAliasError::ResourceConflictException(
                    ResourceConflictException::builder()
                        .message(format!("Alias already exists: {name}"))
                        .meta(meta("ResourceConflictException"))
                        .build(),
                ));
            }
            let version: u64 = input.function_version().unwrap().parse().unwrap();
            let description = input.description().unwrap_or_default().to_string();
            f.events.push(format!("alias {name} -> {version}"));
            f.aliases.insert(name, (version, description));
            MockResponse::Output(CreateAliasOutput::builder().build())
        });
    let f = function.clone();
    let update_alias =
        mock!(aws_sdk_lambda::Client::update_alias).then_compute_output(move |input| {
            let mut f = f.lock().unwrap();
            let name = input.name().unwrap().to_string();
            let version: u64 = input.function_version().unwrap().parse().unwrap();
            f.events.push(format!("alias {name} -> {version}"));
            f.aliases.get_mut(&name).expect("the alias exists").0 = version;
            UpdateAliasOutput::builder().build()
        });
    let f = function.clone();
    let delete_alias =
        mock!(aws_sdk_lambda::Client::delete_alias).then_compute_output(move |input| {
            let mut f = f.lock().unwrap();
            let name = input.name().unwrap().to_string();
            f.events.push(format!("delete alias {name}"));
            f.aliases.remove(&name);
            DeleteAliasOutput::builder().build()
        });
    let f = function.clone();
    let delete_version =
        mock!(aws_sdk_lambda::Client::delete_function).then_compute_response(move |input| {
            let mut f = f.lock().unwrap();
            let version: u64 = input
                .qualifier()
                .expect("tuning deletes versions, never the function")
                .parse()
                .unwrap();
            // Lambda refuses to delete a version an alias points at.
            if f.aliases.values().any(|(v, _)| *v == version) {
                return MockResponse::Error(DeleteFunctionError::ResourceConflictException(
                    ResourceConflictException::builder()
                        .meta(meta("ResourceConflictException"))
                        .build(),
                ));
            }
            f.events.push(format!("delete version {version}"));
            f.versions.remove(&version);
            MockResponse::Output(DeleteFunctionOutput::builder().build())
        });
    let f = function.clone();
    let invoke = mock!(aws_sdk_lambda::Client::invoke).then_compute_output(move |input| {
        let mut f = f.lock().unwrap();
        let version = f.aliases[input.qualifier().expect("invoked through the alias")].0;
        let memory = f.versions[&version].0;
        f.invocations += 1;
        f.payloads
            .push(input.payload().map(|p| p.as_ref().to_vec()).unwrap_or_default());
        f.events.push(format!("invoke {version}"));
        if f.cancel_after == Some(f.invocations) {
            f.cancel.notify_one();
        }
        let cold = !f.warm.contains(&version);
        f.warm.push(version);
        let mut output = InvokeOutput::builder().status_code(200).executed_version(version.to_string());
        if input.log_type() == Some(&LogType::Tail) {
            output = output.log_result(
                base64::engine::general_purpose::STANDARD.encode(report_line(memory, cold)),
            );
        }
        if f.failing_memory == Some(memory) {
            output
                .function_error("Unhandled")
                .payload(Blob::new(
                    r#"{"errorType":"Runtime.OutOfMemory","errorMessage":"RequestId: 5a9e2c1f Error: Runtime exited with error: signal: killed"}"#,
                ))
                .build()
        } else {
            output.payload(Blob::new(r#"{"statusCode":201}"#)).build()
        }
    });
    vec![
        get_function,
        update,
        publish,
        list_versions,
        get_alias,
        create_alias,
        update_alias,
        delete_alias,
        delete_version,
        invoke,
    ]
}

fn clients(function: &Shared) -> Clients {
    let rules = lambda_rules(function);
    let rules: Vec<&Rule> = rules.iter().collect();
    let none: &[&Rule] = &[];
    Clients::from_parts(
        mock_client!(aws_sdk_lambda, RuleMode::MatchAny, &rules[..]),
        mock_client!(aws_sdk_sqs, RuleMode::MatchAny, none),
        mock_client!(aws_sdk_resourcegroupstagging, RuleMode::MatchAny, none),
        mock_client!(aws_sdk_sts, RuleMode::MatchAny, none),
        mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, none),
        mock_client!(aws_sdk_eventbridge, RuleMode::MatchAny, none),
        mock_client!(aws_sdk_applicationautoscaling, RuleMode::MatchAny, none),
        mock_client!(aws_sdk_apigateway, RuleMode::MatchAny, none),
        mock_client!(aws_sdk_iam, RuleMode::MatchAny, none),
        mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, none),
        mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, none),
        "us-east-1",
    )
}

fn request(sizes: &[u32], invocations: u32) -> TuneRequest {
    TuneRequest {
        stack: STACK.into(),
        function: "create-order".into(),
        physical_name: NAME.into(),
        account_id: None,
        memory_sizes: sizes.to_vec(),
        invocations,
        payload: br#"{"customerId":"c-42","items":[{"sku":"A1","quantity":2}]}"#.to_vec(),
    }
}

async fn run(
    function: &Shared,
    sizes: &[u32],
    invocations: u32,
) -> Result<report::TuneReport, TuneError> {
    let cancel = function.lock().unwrap().cancel.clone();
    tune(
        &clients(function),
        &request(sizes, invocations),
        slsctl_prices(),
        async move { cancel.notified().await },
        &|_| {},
    )
    .await
}

fn slsctl_prices() -> &'static slsctl::tune::Prices {
    slsctl::tune::Prices::us_east_1()
}

/// The function as it was before the run: its memory, only the stack's version, and only the
/// stack's alias on it.
fn assert_restored(function: &Shared, memory: i32) {
    let f = function.lock().unwrap();
    assert_eq!(f.memory, memory, "memory restored: {:?}", f.events);
    assert_eq!(
        f.versions.keys().copied().collect::<Vec<_>>(),
        [1],
        "only the stack's version is left: {:?}",
        f.events
    );
    assert_eq!(
        f.aliases.keys().cloned().collect::<Vec<_>>(),
        ["live"],
        "only the stack's alias is left: {:?}",
        f.events
    );
    assert_eq!(
        f.aliases["live"].0, 1,
        "the stack's alias still points at its version"
    );
}

// Paused time: the waiters' poll delays (LastUpdateStatus) pass at once.
#[tokio::test(start_paused = true)]
async fn every_size_is_measured_from_the_report_lines_and_the_function_is_put_back() {
    let function = owned(128);
    let report = run(&function, &[128, 512, 1024, 1769, 3008], 4)
        .await
        .unwrap();
    assert_restored(&function, 128);
    let f = function.lock().unwrap();
    // The update in progress was waited out, then every size set, published and invoked four
    // times through the alias, with the payload given.
    assert_eq!(f.events[0], "conflict");
    assert_eq!(f.invocations, 20);
    assert!(f
        .payloads
        .iter()
        .all(|p| p == br#"{"customerId":"c-42","items":[{"sku":"A1","quantity":2}]}"#));
    // 128 MB is the deployed configuration: Lambda answered the publication with version 1,
    // which tuning measured and did not delete.
    let at_128 = f.events.iter().position(|e| e == "memory 128").unwrap();
    assert_eq!(f.events[at_128 + 1], "publish 1");
    assert!(!f.events.contains(&"delete version 1".to_string()));
    drop(f);

    assert_eq!(
        report.sizes.iter().map(|s| s.memory_mb).collect::<Vec<_>>(),
        [128, 512, 1024, 1769, 3008]
    );
    for size in &report.sizes {
        let memory = size.memory_mb as i32;
        // One cold start per version; the warm ones make the figures.
        assert_eq!((size.invocations, size.cold_starts), (4, 1));
        let expected = (duration_ms(memory) * 100.0).round() / 100.0;
        assert!((size.average_ms - expected).abs() < 1e-9, "{size:?}");
        assert_eq!(size.average_billed_ms, duration_ms(memory).ceil());
        assert_eq!(size.average_init_ms, Some(180.0));
        assert_eq!(size.max_memory_used_mb, Some(74));
        // x86_64 list price: GB-seconds billed plus the request.
        let cost = f64::from(size.memory_mb) / 1024.0 * size.average_billed_ms / 1000.0
            * 0.0000166667
            + 0.0000002;
        assert!(
            (size.cost_per_invocation_usd - cost).abs() < 1e-15,
            "{size:?}"
        );
    }
    let recommended = report.recommendations.unwrap();
    // 128 MB: 0.125 GB × 0.156 s; 512 MB: 0.5 GB × 0.048 s — the smallest size is cheapest.
    assert_eq!(recommended.cheapest, 128);
    // Beyond one vCPU nothing is faster; of the equally fast, the cheaper.
    assert_eq!(recommended.fastest, 1769);
    assert_eq!(recommended.pick(Choice::Balanced), recommended.balanced);
    assert_eq!(report.original_memory_mb, 128);
    insta::assert_snapshot!("tune_report", report::render(&report));
}

#[tokio::test(start_paused = true)]
async fn a_failed_invocation_midway_stops_the_run_and_the_function_is_put_back() {
    let function = owned(512);
    function.lock().unwrap().failing_memory = Some(1024);
    let error = run(&function, &[256, 512, 1024, 2048], 3)
        .await
        .unwrap_err();
    match &error {
        TuneError::FunctionFailed {
            memory_mb,
            invocation,
            kind,
            error_type,
            message,
        } => {
            assert_eq!((*memory_mb, *invocation), (1024, 1));
            assert_eq!(kind, "Unhandled");
            assert_eq!(error_type.as_deref(), Some("Runtime.OutOfMemory"));
            assert!(message.as_deref().unwrap().contains("signal: killed"));
        }
        other => panic!("{other:?}"),
    }
    let text = error.to_string();
    assert!(
        text.contains("invocation 1 at 1024 MB failed (Unhandled error Runtime.OutOfMemory)"),
        "{text}"
    );
    assert!(text.contains("hint:"), "{text}");
    assert_restored(&function, 512);
    let f = function.lock().unwrap();
    // Nothing after the failure was measured: 3 + 3 + 1 invocations, 2048 MB never set.
    assert_eq!(f.invocations, 7);
    assert!(!f.events.contains(&"memory 2048".to_string()));
    // The restore order Lambda needs: the alias before the versions it pointed at.
    let alias_gone = f
        .events
        .iter()
        .position(|e| e == "delete alias slsctl-tune")
        .unwrap();
    let first_version_gone = f
        .events
        .iter()
        .position(|e| e.starts_with("delete version"))
        .unwrap();
    assert!(alias_gone < first_version_gone, "{:?}", f.events);
}

#[tokio::test(start_paused = true)]
async fn ctrl_c_midway_stops_the_run_and_the_function_is_put_back() {
    let function = owned(512);
    function.lock().unwrap().cancel_after = Some(5);
    let error = run(&function, &[128, 256, 1024, 2048], 3)
        .await
        .unwrap_err();
    assert!(matches!(error, TuneError::Cancelled), "{error:?}");
    assert!(error.to_string().contains("restored"));
    assert_restored(&function, 512);
    let f = function.lock().unwrap();
    // Cancelled during the second size: nothing was invoked after the fifth answer.
    assert_eq!(f.invocations, 5, "{:?}", f.events);
    assert!(!f.events.contains(&"memory 1024".to_string()));
}

#[tokio::test(start_paused = true)]
async fn a_function_of_another_stack_is_refused_before_anything_changes() {
    for tags in [
        vec![
            ("slsctl:stack", "payments"),
            ("slsctl:resource", "Function/create-order"),
        ],
        vec![],
    ] {
        let function = lambda_function(&tags, 512);
        let error = run(&function, &[128], 1).await.unwrap_err();
        assert!(matches!(error, TuneError::NotOwned { .. }), "{error:?}");
        assert!(error.to_string().contains("nothing was changed"));
        let f = function.lock().unwrap();
        assert!(f.events.is_empty(), "{:?}", f.events);
    }
}

#[tokio::test(start_paused = true)]
async fn an_alias_of_that_name_made_by_someone_else_is_refused() {
    let function = owned(512);
    function.lock().unwrap().aliases.insert(
        ALIAS.to_string(),
        (1, "canary for the mobile team".to_string()),
    );
    let error = run(&function, &[128], 1).await.unwrap_err();
    assert!(matches!(error, TuneError::AliasTaken { .. }), "{error:?}");
    let f = function.lock().unwrap();
    assert!(f.events.is_empty(), "{:?}", f.events);
    assert!(f.aliases.contains_key(ALIAS));
}

#[tokio::test(start_paused = true)]
async fn what_a_killed_run_left_is_removed_by_the_next() {
    let function = owned(512);
    {
        let mut f = function.lock().unwrap();
        f.versions.insert(2, (128, format!("{MARKER} 128 MB")));
        f.aliases.insert(
            ALIAS.to_string(),
            (2, format!("{MARKER} deleted when the run ends")),
        );
    }
    run(&function, &[256], 1).await.unwrap();
    assert_restored(&function, 512);
}

/// `--apply`'s edit: the value replaced where it is written, or the field inserted under `spec:`,
/// every comment and blank line kept; the stack still loads, with the new size.
#[test]
fn apply_writes_memory_size_into_the_spec_keeping_its_comments() {
    let dir = support::spec_dir(&[
        (
            "stack.yaml",
            "apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {name: orders}\nspec: {region: us-east-1}\n",
        ),
        (
            "functions.yaml",
            "\
# The order service's functions.
apiVersion: slsctl.dev/v1alpha1
kind: Function
metadata:
  name: create-order
spec:
  handler: app.handler        # entry point
  runtime: python3.12
  code: {path: src}
  memorySize: 512             # tuned 2024-05: p95 under 80 ms

  timeout: 10
---
apiVersion: slsctl.dev/v1alpha1
kind: Function
metadata:
  name: get-order
spec:   # read path
    # no memorySize yet: Lambda's default
    handler: app.handler
    runtime: python3.12
    code: {path: src}
",
        ),
        ("src/app.py", "def handler(event, context):\n    return event\n"),
    ]);
    let load = || {
        slsctl::kinds::load_stack(dir.path())
            .unwrap_or_else(|(d, s)| panic!("{}", d.render(&|p| s.get(p))))
            .0
    };
    let stack = load();
    let replaced =
        slsctl::tune::spec_edit::write_memory_size(dir.path(), &stack, "create-order", 1024)
            .unwrap();
    assert_eq!((replaced.line, replaced.previous_mb), (10, Some(512)));
    let inserted =
        slsctl::tune::spec_edit::write_memory_size(dir.path(), &load(), "get-order", 256).unwrap();
    assert_eq!((inserted.line, inserted.previous_mb), (19, None));
    let memory = |name: &str| match &load()
        .get(&slsctl::model::ResourceId::new(
            slsctl::model::Kind::Function,
            name,
        ))
        .unwrap()
        .spec
    {
        slsctl::model::ResourceSpec::Function(f) => f.memory_size,
        other => panic!("{other:?}"),
    };
    assert_eq!((memory("create-order"), memory("get-order")), (1024, 256));
    insta::assert_snapshot!(
        "tune_apply_edit",
        std::fs::read_to_string(dir.path().join("functions.yaml")).unwrap()
    );
}

/// The reference stack's own file: only the one value changes, byte for byte.
#[test]
fn apply_on_the_example_changes_only_the_value() {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/examples/orders");
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&example, dir.path());
    let before = std::fs::read_to_string(dir.path().join("functions.yaml")).unwrap();
    let (stack, _) = slsctl::kinds::load_stack(dir.path())
        .unwrap_or_else(|(d, s)| panic!("{}", d.render(&|p| s.get(p))));
    slsctl::tune::spec_edit::write_memory_size(dir.path(), &stack, "create-order", 1769).unwrap();
    let after = std::fs::read_to_string(dir.path().join("functions.yaml")).unwrap();
    assert_eq!(
        after,
        before.replacen("  memorySize: 512\n", "  memorySize: 1769\n", 1)
    );
    assert_ne!(after, before);
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

fn slsctl(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_slsctl"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// Bad input is refused before AWS is asked anything, each with what to do about it.
#[test]
fn the_command_checks_its_input_before_calling_aws() {
    let cases: [(&[&str], &[&str]); 4] = [
        (
            &["tune", "nope", "-f", "specs/examples/orders"],
            &[
                "stack orders has no Function/nope",
                "hint: the functions of this stack: create-order, fulfil-order, get-order",
            ],
        ),
        (
            &[
                "tune",
                "create-order",
                "-f",
                "specs/examples/orders",
                "--payload",
                "{\"id\": 4",
            ],
            &[
                "--payload:1:8: the payload is not JSON: EOF while parsing an object\n",
                "hint: Lambda's Invoke takes a JSON event",
            ],
        ),
        (
            &[
                "tune",
                "create-order",
                "-f",
                "specs/examples/orders",
                "--memory",
                "128,64",
            ],
            &["--memory: 64 MB is outside Lambda's range of 128 to 10240 MB"],
        ),
        (
            &[
                "tune",
                "create-order",
                "-f",
                "specs/examples/orders",
                "--payload",
                "@missing.json",
            ],
            &["cannot read missing.json"],
        ),
    ];
    for (args, expected) in cases {
        let out = slsctl(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        for want in expected {
            assert!(stderr.contains(want), "{args:?} lacks {want:?}: {stderr}");
        }
    }
    let help = String::from_utf8_lossy(&slsctl(&["tune", "--help"]).stdout).to_string();
    for want in [
        "slsctl tune create-order -f",
        "--apply=cheapest",
        "Ctrl-C",
        "--payload @",
    ] {
        assert!(help.contains(want), "tune --help lacks {want:?}: {help}");
    }
}
