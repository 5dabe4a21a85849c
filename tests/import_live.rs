//! `slsctl import live` against the emulator: resources made by hand with the SDK (as another
//! tool or a console would make them) are imported, and the first plan only adopts them.

mod support;

use support::{create_role, slsctl, unique, Emulator};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const ROLE: &str = "import-live-role";

/// A secret in the hand-made function's environment: it must appear in no output.
const SECRET: &str = "canary-imported-token";

/// What slsctl derives from the imported resources (log groups, alarms, metric filters, the
/// dashboard): the only resources a first plan may create.
const DERIVED_KINDS: &[&str] = &["LogGroup", "MetricFilter", "Alarm", "Dashboard"];

#[tokio::test]
async fn hand_made_resources_are_imported_and_the_first_plan_only_adopts_them() {
    let emulator = Emulator::shared();
    create_role(&emulator.endpoint, ROLE);
    let sdk = emulator.sdk_config().await;
    let lambda = aws_sdk_lambda::Client::new(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let events = aws_sdk_eventbridge::Client::new(&sdk);
    let prefix = unique("hand");
    let name = |n: &str| format!("{prefix}-{n}");

    // A queue with a dead-letter queue.
    let dlq_url = sqs
        .create_queue()
        .queue_name(name("jobs-dlq"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let dlq_arn = format!("arn:aws:sqs:us-east-1:123456789012:{}", name("jobs-dlq"));
    let jobs_url = sqs
        .create_queue()
        .queue_name(name("jobs"))
        .attributes(
            aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout,
            "60",
        )
        .attributes(
            aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy,
            format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"4"}}"#),
        )
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let jobs_arn = format!("arn:aws:sqs:us-east-1:123456789012:{}", name("jobs"));

    // A table with a global secondary index.
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
        LocalSecondaryIndex, Projection, ProjectionType, ScalarAttributeType,
    };
    let key = |n: &str, t: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(n)
            .key_type(t)
            .build()
            .unwrap()
    };
    let attribute = |n: &str| {
        AttributeDefinition::builder()
            .attribute_name(n)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .unwrap()
    };
    dynamodb
        .create_table()
        .table_name(name("orders"))
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .attribute_definitions(attribute("pk"))
        .attribute_definitions(attribute("sk"))
        .attribute_definitions(attribute("gsi1pk"))
        .attribute_definitions(attribute("created"))
        // Not modelled by slsctl: listed, left as it is.
        .local_secondary_indexes(
            LocalSecondaryIndex::builder()
                .index_name("by-created")
                .key_schema(key("pk", KeyType::Hash))
                .key_schema(key("created", KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::KeysOnly)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("gsi1")
                .key_schema(key("gsi1pk", KeyType::Hash))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    // A function with environment variables and the queue as its trigger.
    let code = tempfile::tempdir().unwrap();
    std::fs::write(
        code.path().join("app.py"),
        "def handler(e, c):\n    return e\n",
    )
    .unwrap();
    let zip = slsctl::artifact::zip_directory(code.path()).unwrap();
    let worker = name("worker");
    lambda
        .create_function()
        .function_name(&worker)
        .runtime(aws_sdk_lambda::types::Runtime::Python312)
        .handler("app.handler")
        .role(format!("arn:aws:iam::123456789012:role/{ROLE}"))
        .timeout(10)
        .memory_size(256)
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(zip.bytes.clone().into())
                .build(),
        )
        .environment(
            aws_sdk_lambda::types::Environment::builder()
                .variables("TABLE_NAME", name("orders"))
                .variables("JOBS_URL", &jobs_url)
                .variables("LOG_LEVEL", "info")
                .variables("API_TOKEN", SECRET)
                .build(),
        )
        .send()
        .await
        .unwrap();
    // Its log group, as Lambda makes it on the first run, with a retention someone set.
    let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk);
    let group = format!("/aws/lambda/{worker}");
    logs.create_log_group()
        .log_group_name(&group)
        .send()
        .await
        .unwrap();
    logs.put_retention_policy()
        .log_group_name(&group)
        .retention_in_days(14)
        .send()
        .await
        .unwrap();
    lambda
        .create_event_source_mapping()
        .function_name(&worker)
        .event_source_arn(&jobs_arn)
        .batch_size(5)
        .send()
        .await
        .unwrap();

    // A bus, and a rule on it delivering to the queue.
    events
        .create_event_bus()
        .name(name("bus"))
        .send()
        .await
        .unwrap();
    events
        .put_rule()
        .name(name("placed"))
        .event_bus_name(name("bus"))
        .event_pattern(r#"{"source":["orders.api"]}"#)
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule(name("placed"))
        .event_bus_name(name("bus"))
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("to-jobs")
                .arn(&jobs_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let _ = dlq_url;

    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("imported");
    // The emulator's GetFunction gives a location on AWS itself, which cannot be downloaded
    // here; the zip that was deployed is put where the import looks first, and is used only
    // because its SHA-256 is the function's CodeSha256 (the download is tested on its own).
    std::fs::create_dir_all(dir.join("functions")).unwrap();
    std::fs::write(dir.join(format!("functions/{worker}.zip")), &zip.bytes).unwrap();
    let path = dir.to_str().unwrap();
    let imported = slsctl(&[
        "import",
        "live",
        "--region",
        "us-east-1",
        "--prefix",
        &format!("{prefix}-"),
        "--out",
        path,
        "--stack",
        &prefix,
    ]);
    let stderr = text(&imported.stderr);
    assert_eq!(imported.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("(6 resources"), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "not converted: Table/{}: local secondary index by-created",
            name("orders")
        )),
        "{stderr}"
    );
    let functions = std::fs::read_to_string(dir.join("functions.yaml")).unwrap();
    // Wiring becomes references to the imported resources.
    assert!(
        functions.contains("TABLE_NAME:\n      ref: Table/orders"),
        "{functions}"
    );
    assert!(functions.contains("queue: jobs\n"), "{functions}");
    assert!(
        functions.contains(&format!("code:\n    path: functions/{worker}.zip")),
        "{functions}"
    );
    assert!(functions.contains("logRetentionDays: 14"), "{functions}");
    let messaging = std::fs::read_to_string(dir.join("messaging.yaml")).unwrap();
    assert!(messaging.contains("queue: jobs-dlq"), "{messaging}");
    let events_yaml = std::fs::read_to_string(dir.join("events.yaml")).unwrap();
    assert!(events_yaml.contains("bus: bus\n"), "{events_yaml}");

    let planned = slsctl(&["plan", "-f", path, "-o", "json"]);
    assert_eq!(
        planned.status.code(),
        Some(0),
        "{}{}",
        text(&planned.stderr),
        text(&planned.stdout)
    );
    let plan: serde_json::Value = serde_json::from_slice(&planned.stdout).expect("JSON plan");
    let actions = plan["actions"].as_array().unwrap();
    let mut adopted: Vec<String> = Vec::new();
    for action in actions {
        let id = action["id"].as_str().unwrap();
        match action["action"].as_str().unwrap() {
            "adopt" => {
                adopted.push(id.to_string());
                for change in action["changes"].as_array().into_iter().flatten() {
                    let field = change["field"].as_str().unwrap();
                    // Only slsctl's ownership tags are set, and the statements slsctl keeps
                    // for the rule's delivery are added beside the hand-made ones: nothing
                    // the import read is changed.
                    let ownership = field.starts_with("tags.slsctl:");
                    let derived_statement =
                        field.starts_with("permissions[") && change.get("before").is_none();
                    assert!(
                        ownership || derived_statement,
                        "{id}: {field} changes: {change}"
                    );
                }
            }
            "create" => {
                let kind = id.split('/').next().unwrap();
                assert!(DERIVED_KINDS.contains(&kind), "creates {id}");
            }
            other => panic!("{id}: {other}"),
        }
    }
    adopted.sort();
    assert_eq!(
        adopted,
        [
            "EventBus/bus",
            "Function/worker",
            // Derived, and adopted as Lambda's own group of the function, its retention kept.
            "LogGroup/worker",
            "Queue/jobs",
            "Queue/jobs-dlq",
            "Rule/placed",
            "Table/orders"
        ]
    );

    let applied = slsctl(&["apply", "-f", path, "--auto-approve"]);
    assert_eq!(applied.status.code(), Some(0), "{}", text(&applied.stderr));
    let again = slsctl(&["plan", "-f", path, "--detailed-exitcode"]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stdout));
    // The secret is compared by digest (sensitiveEnvironment) and printed nowhere.
    assert!(
        functions.contains("sensitiveEnvironment: [API_TOKEN]"),
        "{functions}"
    );
    for output in [&imported, &planned, &applied, &again] {
        assert!(!text(&output.stdout).contains(SECRET));
        assert!(!text(&output.stderr).contains(SECRET));
    }
}

/// By tag: everything carrying it is found through the tagging API (the rules on a tagged bus
/// too, which the emulator's tagging API leaves out); the tag becomes the stack's; what slsctl
/// has no kind for is listed with the reason, not dropped.
#[tokio::test]
async fn resources_found_by_tag_carry_it_as_the_stack_s_tag_and_others_are_listed() {
    let emulator = Emulator::shared();
    let sdk = emulator.sdk_config().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let events = aws_sdk_eventbridge::Client::new(&sdk);
    let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk);
    let team = unique("team");
    let name = |n: &str| format!("{team}-{n}");
    sqs.create_queue()
        .queue_name(name("inbox"))
        .tags("team", &team)
        .send()
        .await
        .unwrap();
    let bus_arn = events
        .create_event_bus()
        .name(name("bus"))
        .tags(
            aws_sdk_eventbridge::types::Tag::builder()
                .key("team")
                .value(&team)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .event_bus_arn
        .unwrap();
    let rule_arn = events
        .put_rule()
        .name(name("audit"))
        .event_bus_name(name("bus"))
        .event_pattern(r#"{"source":["audit"]}"#)
        .tags(
            aws_sdk_eventbridge::types::Tag::builder()
                .key("team")
                .value(&team)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .rule_arn
        .unwrap();
    events
        .put_targets()
        .rule(name("audit"))
        .event_bus_name(name("bus"))
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("to-inbox")
                .arn(format!(
                    "arn:aws:sqs:us-east-1:123456789012:{}",
                    name("inbox")
                ))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    // Tagged, but of no slsctl kind.
    logs.create_log_group()
        .log_group_name(name("audit-log"))
        .tags("team", &team)
        .send()
        .await
        .unwrap();
    let _ = (bus_arn, rule_arn);

    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join(&team);
    let path = dir.to_str().unwrap();
    let imported = slsctl(&[
        "import",
        "live",
        "--region",
        "us-east-1",
        "--tag",
        &format!("team={team}"),
        "--out",
        path,
    ]);
    let stderr = text(&imported.stderr);
    assert_eq!(imported.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("(3 resources"), "{stderr}");
    assert!(
        stderr.contains(&format!("log-group:{}", name("audit-log")))
            && stderr.contains("a logs resource: no slsctl kind"),
        "{stderr}"
    );
    let stack = std::fs::read_to_string(dir.join("stack.yaml")).unwrap();
    assert!(
        stack.contains(&format!("tags:\n    team: {team}")),
        "{stack}"
    );
    // Found by tag, names stay whole; the rule's target is the imported queue.
    let events_yaml = std::fs::read_to_string(dir.join("events.yaml")).unwrap();
    assert!(
        events_yaml.contains(&format!("name: {team}-audit"))
            && events_yaml.contains(&format!("queue: {team}-inbox")),
        "{events_yaml}"
    );

    let planned = slsctl(&["plan", "-f", path, "-o", "json"]);
    assert_eq!(
        planned.status.code(),
        Some(0),
        "{}{}",
        text(&planned.stderr),
        text(&planned.stdout)
    );
    let plan: serde_json::Value = serde_json::from_slice(&planned.stdout).expect("JSON plan");
    assert_eq!(plan["summary"]["adopt"], 3, "{plan}");
    assert_eq!(plan["summary"]["update"], 0, "{plan}");
    for action in plan["actions"].as_array().unwrap() {
        if action["action"] == "adopt" {
            for change in action["changes"].as_array().into_iter().flatten() {
                let field = change["field"].as_str().unwrap();
                assert!(
                    field.starts_with("tags.slsctl:")
                        || (field.starts_with("permissions[") && change.get("before").is_none()),
                    "{}: {change}",
                    action["id"]
                );
            }
        }
    }
}

#[test]
fn the_command_has_examples_and_refuses_a_malformed_selection() {
    let help = text(&slsctl(&["import", "live", "--help"]).stdout);
    for want in ["--prefix legacy-", "--tag team=payments", "physicalName"] {
        assert!(help.contains(want), "lacks {want:?}: {help}");
    }
    let out = tempfile::tempdir().unwrap();
    let path = out.path().to_str().unwrap();
    // Neither a tag nor a prefix: a usage error (exit 1, as every usage error).
    let neither = slsctl(&["import", "live", "--region", "us-east-1", "--out", path]);
    assert_eq!(neither.status.code(), Some(1));
    assert!(
        text(&neither.stderr).contains("--tag"),
        "{}",
        text(&neither.stderr)
    );
    let malformed = slsctl(&[
        "import",
        "live",
        "--region",
        "us-east-1",
        "--tag",
        "team",
        "--out",
        path,
    ]);
    assert_eq!(malformed.status.code(), Some(1));
    assert!(
        text(&malformed.stderr).contains("expected KEY=VALUE"),
        "{}",
        text(&malformed.stderr)
    );
    // Nothing found is said, not an empty stack written.
    let nothing = slsctl(&[
        "import",
        "live",
        "--region",
        "us-east-1",
        "--prefix",
        &unique("nothing-here"),
        "--out",
        path,
    ]);
    assert_eq!(nothing.status.code(), Some(1));
    assert!(
        text(&nothing.stderr).contains("has a name starting with"),
        "{}",
        text(&nothing.stderr)
    );
    assert!(!out.path().join("stack.yaml").exists());
}
