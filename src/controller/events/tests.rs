//! The events' matching, judged on bodies in CloudTrail's documented shape.
use super::*;
use serde_json::json;

/// An event in the shape EventBridge delivers CloudTrail's records (see the module's doc).
fn event(source: &str, name: &str, identity: Value, request: Value, response: Value) -> String {
    json!({
        "version": "0",
        "id": "6f1b0c43-1d5e-4a8c-9a4b-3c6f1e2d7a90",
        "detail-type": DETAIL_TYPE,
        "source": format!("aws.{}", source.split('.').next().unwrap()),
        "account": "123456789012",
        "time": "2026-11-30T05:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "eventVersion": "1.08",
            "userIdentity": identity,
            "eventTime": "2026-11-30T05:00:00Z",
            "eventSource": source,
            "eventName": name,
            "awsRegion": "us-east-1",
            "requestParameters": request,
            "responseElements": response,
            "eventType": "AwsApiCall",
            "managementEvent": true,
            "readOnly": false,
        }
    })
    .to_string()
}

fn someone() -> Value {
    json!({
        "type": "AssumedRole",
        "principalId": "AROAEXAMPLE:alice",
        "arn": "arn:aws:sts::123456789012:assumed-role/ops/alice",
        "accountId": "123456789012",
        "sessionContext": {"sessionIssuer": {
            "type": "Role", "principalId": "AROAEXAMPLE",
            "arn": "arn:aws:iam::123456789012:role/ops", "accountId": "123456789012",
            "userName": "ops"}}
    })
}

fn keys(body: &str) -> Vec<String> {
    match parse(body).unwrap() {
        Message::Call(call) => call.keys.into_iter().collect(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_function_is_found_by_name_partial_or_full_arn_qualified_or_not() {
    for name in [
        "orders-create",
        "orders-create:live",
        "123456789012:function:orders-create",
        "arn:aws:lambda:us-east-1:123456789012:function:orders-create",
        "arn:aws:lambda:us-east-1:123456789012:function:orders-create:7",
    ] {
        let body = event(
            "lambda.amazonaws.com",
            "UpdateFunctionConfiguration20150331v2",
            someone(),
            json!({"functionName": name, "memorySize": 256}),
            Value::Null,
        );
        assert_eq!(keys(&body), ["lambda:function:orders-create"], "{name}");
    }
    // A tag call names the function by ARN in `resource`; a mapping's update only in the
    // response.
    let body = event(
        "lambda.amazonaws.com",
        "UpdateEventSourceMapping20150331",
        someone(),
        json!({"uUID": "a1b2"}),
        json!({"functionArn": "arn:aws:lambda:us-east-1:123456789012:function:worker",
               "eventSourceArn": "arn:aws:sqs:us-east-1:123456789012:jobs"}),
    );
    assert_eq!(keys(&body), ["lambda:function:worker", "sqs:queue:jobs"]);
}

#[test]
fn each_service_names_its_resources_its_own_way() {
    let cases = [
        (
            "sqs.amazonaws.com",
            "SetQueueAttributes",
            json!({"queueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/orders-jobs", "attributes": {"DelaySeconds": "9"}}),
            "sqs:queue:orders-jobs",
        ),
        (
            "dynamodb.amazonaws.com",
            "UpdateTable",
            json!({"tableName": "orders-app"}),
            "dynamodb:table:orders-app",
        ),
        (
            "events.amazonaws.com",
            "PutRule",
            json!({"name": "orders-placed", "eventBusName": "orders"}),
            "events:rule:orders-placed",
        ),
        (
            "events.amazonaws.com",
            "PutTargets",
            json!({"rule": "orders-placed", "targets": []}),
            "events:rule:orders-placed",
        ),
        (
            "events.amazonaws.com",
            "UpdateEventBus",
            json!({"name": "orders-bus"}),
            "events:event-bus:orders-bus",
        ),
        (
            "apigateway.amazonaws.com",
            "UpdateStage",
            json!({"restApiId": "a1b2c3", "stageName": "prod"}),
            "apigateway:restapi:a1b2c3",
        ),
        (
            "iam.amazonaws.com",
            "PutRolePolicy",
            json!({"roleName": "orders-worker", "policyName": "p"}),
            "iam:role:orders-worker",
        ),
        (
            "logs.amazonaws.com",
            "PutRetentionPolicy",
            json!({"logGroupName": "/aws/lambda/orders-worker", "retentionInDays": 1}),
            "logs:log-group:/aws/lambda/orders-worker",
        ),
        (
            "monitoring.amazonaws.com",
            "DeleteAlarms",
            json!({"alarmNames": ["orders-queue-jobs-age"]}),
            "cloudwatch:alarm:orders-queue-jobs-age",
        ),
        (
            "application-autoscaling.amazonaws.com",
            "PutScheduledAction",
            json!({"serviceNamespace": "lambda", "resourceId": "function:orders-create:live"}),
            "lambda:function:orders-create",
        ),
    ];
    for (source, name, request, want) in cases {
        let body = event(source, name, someone(), request, Value::Null);
        assert!(
            keys(&body).contains(&want.to_string()),
            "{source} {name}: {:?}",
            keys(&body)
        );
    }
    // A rule's `name` is not taken for a bus, nor a bus's for a rule.
    let body = event(
        "events.amazonaws.com",
        "PutRule",
        someone(),
        json!({"name": "x"}),
        Value::Null,
    );
    assert_eq!(keys(&body), ["events:rule:x"]);
}

/// Each kind's event key (its module's `EVENT_KEY`) against the key CloudTrail's ARN of the same
/// resource gives: a kind keyed under a misspelt type would never be healed from its events.
#[test]
fn every_kind_with_a_computed_arn_is_keyed_alike_by_its_name_and_its_arn() {
    let (stack, _) = crate::kinds::load_stack(std::path::Path::new("specs/examples/orders"))
        .unwrap_or_else(|_| panic!("the example loads"));
    let ctx = crate::kinds::Context {
        account: "123456789012".into(),
        region: "us-east-1".into(),
        partition: "aws".into(),
        ..Default::default()
    };
    let mut kinds = std::collections::BTreeSet::new();
    for resource in &stack.resources {
        let Some(kind) = crate::kinds::of(resource.id.kind) else {
            continue;
        };
        let crate::plan::FieldValue::Known(serde_json::Value::String(arn)) =
            kind.arn(&stack, resource, &ctx)
        else {
            continue;
        };
        let keys = keys_of_resource(resource.id.kind, &resource.physical_name, &arn);
        assert_eq!(keys.len(), 2, "{}: {keys:?}", resource.id);
        assert_eq!(keys[0], keys[1], "{} ({arn})", resource.id);
        kinds.insert(resource.id.kind);
    }
    // The example holds every kind whose ARN is computed but the layer (its version's ARN is
    // known once published).
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        [
            Kind::Queue,
            Kind::Table,
            Kind::EventBus,
            Kind::LogGroup,
            Kind::Function,
            Kind::Rule,
            Kind::Role,
            Kind::Alarm
        ]
    );
}

#[test]
fn stack_resources_and_events_meet_on_the_same_keys() {
    assert_eq!(
        keys_of_resource(
            Kind::Function,
            "orders-create",
            "arn:aws:lambda:us-east-1:1:function:orders-create"
        ),
        [
            "lambda:function:orders-create",
            "lambda:function:orders-create"
        ]
    );
    assert_eq!(
        keys_of_resource(Kind::Api, "orders-public", "a1b2c3"),
        ["apigateway:restapi:a1b2c3"]
    );
    assert_eq!(
        key_of_arn("arn:aws:events:us-east-1:1:rule/orders/placed").as_deref(),
        Some("events:rule:placed")
    );
    assert_eq!(
        key_of_arn("arn:aws:iam::1:role/slsctl/orders/worker").as_deref(),
        Some("iam:role:worker")
    );
    assert_eq!(
        key_of_arn("arn:aws:logs:us-east-1:1:log-group:/aws/lambda/f:*").as_deref(),
        Some("logs:log-group:/aws/lambda/f")
    );
    assert_eq!(key_of_arn("arn:aws:s3:::bucket"), None);
    assert_eq!(key_of_arn("not an arn"), None);
}

#[test]
fn the_controller_s_own_calls_are_told_by_its_role_or_its_arn() {
    // An ECS task: STS names the role without its path, the event's issuer with it.
    let me =
        Principal::from_caller_arn("arn:aws:sts::123456789012:assumed-role/slsctl-task/abc123");
    let own = json!({
        "type": "AssumedRole",
        "arn": "arn:aws:sts::123456789012:assumed-role/slsctl-task/def456",
        "sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::123456789012:role/service/slsctl-task"}}
    });
    assert!(me.made(&own), "another session of the same role");
    assert!(!me.made(&someone()));
    let other_account = json!({"sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::999999999999:role/slsctl-task"}}});
    assert!(!me.made(&other_account));
    // A user: the same ARN.
    let user = Principal::from_caller_arn("arn:aws:iam::123456789012:user/ci");
    assert!(user.made(&json!({"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/ci"})));
    assert!(!user.made(&json!({"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/cid"})));
    assert!(!user.made(&Value::Null));
}

#[test]
fn each_message_is_queued_ignored_dropped_or_deleted_as_malformed() {
    let owned = Owned::default();
    owned.replace(
        "orders",
        ["lambda:function:orders-create".to_string()].into(),
    );
    owned.replace("billing", ["sqs:queue:billing-jobs".to_string()].into());
    let me = Principal::from_caller_arn("arn:aws:sts::123456789012:assumed-role/slsctl-task/s");
    let change = |identity: Value, function: &str| {
        event(
            "lambda.amazonaws.com",
            "UpdateFunctionConfiguration20150331v2",
            identity,
            json!({"functionName": function}),
            Value::Null,
        )
    };
    assert_eq!(
        judge(&change(someone(), "orders-create"), &me, &owned),
        Verdict::Queue(["orders".to_string()].into())
    );
    let own = json!({"arn": "arn:aws:sts::123456789012:assumed-role/slsctl-task/t",
                     "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::123456789012:role/slsctl-task"}}});
    assert_eq!(
        judge(&change(own, "orders-create"), &me, &owned),
        Verdict::Own
    );
    assert_eq!(
        judge(&change(someone(), "elsewhere"), &me, &owned),
        Verdict::Unowned
    );
    let mut failed: Value = serde_json::from_str(&change(someone(), "orders-create")).unwrap();
    failed["detail"]["errorCode"] = json!("AccessDenied");
    assert_eq!(judge(&failed.to_string(), &me, &owned), Verdict::Failed);
    assert_eq!(
        judge(
            &json!({"detail-type": "Scheduled Event", "detail": {}}).to_string(),
            &me,
            &owned
        ),
        Verdict::Other
    );
    // An application publishing to a bus the stack owns changes nothing of it.
    owned.replace("bus", ["events:event-bus:orders".to_string()].into());
    let publish = event(
        "events.amazonaws.com",
        "PutEvents",
        someone(),
        json!({"entries": [{"eventBusName": "arn:aws:events:us-east-1:123456789012:event-bus/orders"}]}),
        Value::Null,
    );
    assert_eq!(judge(&publish, &me, &owned), Verdict::Other);
    // Nor does a function's runtime opening a log stream in the stack's log group (every
    // cold start), while a change to the group itself does queue the stack.
    owned.replace(
        "logs",
        ["logs:log-group:/aws/lambda/orders-create".to_string()].into(),
    );
    let stream = |name: &str| {
        event(
            "logs.amazonaws.com",
            name,
            someone(),
            json!({"logGroupName": "/aws/lambda/orders-create", "logStreamName": "2026/11/30/[$LATEST]ab12"}),
            Value::Null,
        )
    };
    assert_eq!(
        judge(&stream("CreateLogStream"), &me, &owned),
        Verdict::Other
    );
    assert_eq!(
        judge(&stream("PutRetentionPolicy"), &me, &owned),
        Verdict::Queue(["logs".to_string()].into())
    );
    let mut read: Value = serde_json::from_str(&change(someone(), "orders-create")).unwrap();
    read["detail"]["readOnly"] = json!(true);
    assert_eq!(judge(&read.to_string(), &me, &owned), Verdict::Other);
    for bad in [
        "",
        "{",
        "[1,2]",
        "{\"detail-type\": \"AWS API Call via CloudTrail\"}",
        "{\"detail-type\": \"AWS API Call via CloudTrail\", \"detail\": {}}",
    ] {
        assert!(
            matches!(judge(bad, &me, &owned), Verdict::Malformed(_)),
            "{bad:?}"
        );
    }
    let huge = change(someone(), &"f".repeat(MAX_EVENT_BYTES));
    assert!(matches!(judge(&huge, &me, &owned), Verdict::Malformed(why) if why.contains("bytes")));
    // A stack that no longer holds a resource is no longer queued for it.
    owned.replace("orders", BTreeSet::new());
    assert_eq!(
        judge(&change(someone(), "orders-create"), &me, &owned),
        Verdict::Unowned
    );
}
