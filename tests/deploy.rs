//! deploy/: the IAM task-role policy grants exactly the AWS operations the code calls, the ECS
//! task definition and service register with the emulator's ECS API, the Dockerfile's shape, and
//! the example controller configuration loads.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use slsctl::aws::permissions::{Needed, PERMISSIONS};
use support::Emulator;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The fields of `slsctl::aws::Clients` (and the S3 source's client), with their IAM prefix.
const CLIENTS: [(&str, &str); 12] = [
    ("lambda", "lambda"),
    ("sqs", "sqs"),
    ("tagging", "tag"),
    ("sts", "sts"),
    ("dynamodb", "dynamodb"),
    ("events", "events"),
    ("autoscaling", "application-autoscaling"),
    ("apigateway", "apigateway"),
    ("s3", "s3"),
    ("iam", "iam"),
    ("logs", "logs"),
    ("cloudwatch", "cloudwatch"),
];

fn pascal(op: &str) -> String {
    op.split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The IAM action an SDK operation needs; None for the one that needs no permission.
fn iam_action(client: &str, prefix: &str, op: &str) -> Option<String> {
    Some(match (client, op) {
        // GetCallerIdentity is allowed for every principal; no policy grants or denies it.
        ("sts", "get_caller_identity") => return None,
        ("s3", "list_objects_v2") => "s3:ListBucket".into(),
        // A batch is authorised as its single-message action.
        ("sqs", "delete_message_batch") => "sqs:DeleteMessage".into(),
        ("lambda", w) if w.starts_with("wait_until_function_") => "lambda:GetFunction".into(),
        ("lambda", "invoke") => "lambda:InvokeFunction".into(),
        ("dynamodb", "wait_until_table_exists" | "wait_until_table_not_exists") => {
            "dynamodb:DescribeTable".into()
        }
        // API Gateway's control plane is authorised by HTTP verb on resource paths.
        ("apigateway", "tag_resource") => "apigateway:PUT".into(),
        ("apigateway", "untag_resource") => "apigateway:DELETE".into(),
        ("apigateway", op) => {
            let verb = match op.split('_').next().unwrap() {
                "get" => "GET",
                "create" => "POST",
                "put" => "PUT",
                "update" => "PATCH",
                "delete" => "DELETE",
                // Shows up as an action the policy lacks, naming the operation.
                _ => return Some(format!("apigateway:<no verb known for {op}>")),
            };
            format!("apigateway:{verb}")
        }
        _ => format!("{prefix}:{}", pascal(op)),
    })
}

/// Every SDK call in src/: `<client>.<operation>(…)…send()` (or a waiter's `.wait(`), with the
/// file it is in. Every `.send()` in src/ must belong to one, so a client held under another
/// name cannot hide a call from this test.
fn sdk_operations() -> BTreeMap<String, BTreeSet<String>> {
    let mut files = vec![];
    rust_files(&root().join("src"), &mut files);
    let mut actions: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut uncovered = vec![];
    for file in files {
        let place = file.strip_prefix(root()).unwrap().display().to_string();
        let text: String = std::fs::read_to_string(&file)
            .unwrap()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        // Calls sent in their own chain, and builders bound to a name to be sent later.
        let mut sent: Vec<(usize, usize)> = vec![];
        let mut builders: Vec<(String, Option<String>)> = vec![];
        for (client, prefix) in CLIENTS {
            let needle = format!("{client}.");
            for (at, _) in text.match_indices(&needle) {
                let before = text[..at].chars().next_back();
                if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                    continue;
                }
                let rest = &text[at + needle.len()..];
                let op: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !rest[op.len()..].starts_with('(') {
                    continue;
                }
                let action = iam_action(client, prefix, &op);
                // The chain runs to the first `.await` or `;`; an SDK call sends or waits in it.
                let end = [rest.find(".await"), rest.find(';')]
                    .into_iter()
                    .flatten()
                    .min()
                    .unwrap_or(rest.len());
                let chain = &rest[..end];
                // `all_items!(clients.x.op()…)` sends through the SDK's paginator (src/aws/mod.rs).
                let paginated = text[..at]
                    .rsplit_once("all_items!(")
                    .is_some_and(|(_, to)| {
                        to.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
                    });
                if chain.contains(".send()") || chain.contains(".wait(") || paginated {
                    sent.push((at, at + needle.len() + end));
                    if let Some(action) = action {
                        actions.entry(action).or_default().insert(place.clone());
                    }
                } else if let Some(name) = builder_name(&text, at) {
                    builders.push((name, action));
                }
            }
        }
        // `apply_tags!(change, clients.x, tag_op / untag_op, …)` sends both calls
        // (src/kinds/context.rs).
        for (at, _) in text.match_indices("apply_tags!(") {
            let args = &text[at..];
            for (client, prefix) in CLIENTS {
                let Some(from) = args.find(&format!(".{client},")) else {
                    continue;
                };
                let ops = &args[from + client.len() + 2..];
                let ops = &ops[..ops.find(',').unwrap_or(ops.len())];
                for op in ops.split('/') {
                    if let Some(action) = iam_action(client, prefix, op) {
                        actions.entry(action).or_default().insert(place.clone());
                    }
                }
            }
        }
        for (at, _) in text.match_indices(".send()") {
            if sent.iter().any(|(from, to)| (*from..=*to).contains(&at)) {
                continue;
            }
            // Sent through a bound builder: the statement starts with its name.
            let mut statement = &text[text[..at].rfind([';', '{', '}']).map_or(0, |i| i + 1)..at];
            // Inside a macro's definition (a `$request` or `$client` of it): its calls are
            // counted where the macro is used.
            if statement.starts_with('$') {
                continue;
            }
            if let Some((_, value)) = statement
                .strip_prefix("let")
                .and_then(|s| s.split_once('='))
            {
                statement = value;
            }
            statement = statement.strip_prefix("self.").unwrap_or(statement);
            let through = builders.iter().find(|(name, _)| {
                statement
                    .strip_prefix(name.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '(']))
            });
            match through {
                Some((_, action)) => {
                    if let Some(action) = action {
                        actions
                            .entry(action.clone())
                            .or_default()
                            .insert(place.clone());
                    }
                }
                None => uncovered.push(format!(
                    "{place}: …{}",
                    &text[at.saturating_sub(80)..at + 7]
                )),
            }
        }
    }
    assert!(
        uncovered.is_empty(),
        "SDK calls this test cannot attribute to a client (add the client to CLIENTS):\n{}",
        uncovered.join("\n")
    );
    actions
}

/// The name a builder made at `at` is bound to: `let request = clients.x.op()…`, a closure
/// `let update = || { …; clients.x.op()… }`, or a helper `fn put(…) -> …FluentBuilder {…}`.
fn builder_name(text: &str, at: usize) -> Option<String> {
    let statement_start = text[..at].rfind([';', '{', '}']).map_or(0, |i| i + 1);
    let bound = text[statement_start..at]
        .strip_prefix("let")
        .and_then(|s| s.split_once('='))
        .map(|(name, _)| name.trim_start_matches("mut").to_string());
    bound
        .or_else(|| {
            let from = text[..at].rfind("let")?;
            let (name, rest) = text[from + 3..at].split_once('=')?;
            rest.starts_with('|')
                .then(|| name.trim_start_matches("mut").to_string())
        })
        .or_else(|| {
            let from = text[..at].rfind("fn")?;
            let head = &text[from + 2..at];
            head.contains("FluentBuilder{")
                .then(|| head.split('(').next().unwrap_or("").to_string())
        })
}

/// Permissions AWS checks beyond the operation itself, each with the call that needs it: from
/// the list `slsctl iam-policy` prints from.
fn implied() -> Vec<(&'static str, &'static str)> {
    PERMISSIONS
        .iter()
        .filter_map(|(action, needed)| match needed {
            Needed::Implied(why) => Some((*action, *why)),
            _ => None,
        })
        .collect()
}

#[test]
fn the_task_role_policy_grants_exactly_the_operations_the_code_calls() {
    let used = sdk_operations();
    // The scan must see the calls we know are there, or it proves nothing.
    for known in [
        "lambda:GetFunction",
        "sqs:GetQueueAttributes",
        "dynamodb:UpdateItem",
        "events:PutEvents",
        "tag:GetResources",
        "s3:GetObject",
        "apigateway:PATCH",
        "application-autoscaling:PutScheduledAction",
    ] {
        assert!(
            used.contains_key(known),
            "the scan missed {known}: {used:?}"
        );
    }
    let policy: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("deploy/iam/task-role-policy.json")).unwrap(),
    )
    .unwrap();
    let mut granted = BTreeSet::new();
    for statement in policy["Statement"].as_array().unwrap() {
        assert_eq!(statement["Effect"], "Allow");
        match &statement["Action"] {
            serde_json::Value::String(a) => {
                granted.insert(a.clone());
            }
            serde_json::Value::Array(list) => {
                granted.extend(list.iter().map(|a| a.as_str().unwrap().to_string()))
            }
            other => panic!("Action {other}"),
        }
    }
    assert!(
        !granted.iter().any(|a| a.contains('*')),
        "no wildcard actions: {granted:?}"
    );
    // `slsctl tune`, `cost --recommend` and `import live` are run by a person, never by the
    // controller: the task role leaves them out.
    let person_only: BTreeSet<&str> = PERMISSIONS
        .iter()
        .filter(|(_, needed)| matches!(needed, Needed::Tune | Needed::Recommend | Needed::Import))
        .map(|(action, _)| *action)
        .collect();
    let missing: Vec<String> = used
        .iter()
        .filter(|(action, _)| !granted.contains(*action) && !person_only.contains(action.as_str()))
        .map(|(action, files)| format!("{action} (called in {files:?})"))
        .collect();
    assert!(
        missing.is_empty(),
        "the policy lacks operations the code calls:\n{}",
        missing.join("\n")
    );
    let implied_actions: BTreeSet<&str> = implied().iter().map(|(a, _)| *a).collect();
    let person_granted: Vec<&&str> = person_only
        .iter()
        .filter(|a| granted.contains(**a))
        .collect();
    assert!(
        person_granted.is_empty(),
        "the task role grants what only `slsctl tune` or `import live` needs: {person_granted:?}"
    );
    let extra: Vec<&String> = granted
        .iter()
        .filter(|a| !used.contains_key(*a) && !implied_actions.contains(a.as_str()))
        .collect();
    assert!(
        extra.is_empty(),
        "the policy grants operations no code calls: {extra:?}"
    );
    for (action, why) in implied() {
        assert!(granted.contains(action), "{action} is needed: {why}");
    }
}

/// `slsctl iam-policy` and the access-denied messages read `aws::permissions::PERMISSIONS`:
/// it must name exactly the operations the code calls (and the implied ones), in both
/// directions, so that the policy a user is given is the one the code needs.
#[test]
fn the_shared_list_of_actions_is_exactly_the_operations_the_code_calls() {
    let used = sdk_operations();
    let listed: BTreeSet<&str> = PERMISSIONS
        .iter()
        .filter(|(_, needed)| !matches!(needed, Needed::Implied(_)))
        .map(|(action, _)| *action)
        .collect();
    let unlisted: Vec<String> = used
        .iter()
        .filter(|(action, _)| !listed.contains(action.as_str()))
        .map(|(action, files)| format!("{action} (called in {files:?})"))
        .collect();
    assert!(
        unlisted.is_empty(),
        "src/aws/permissions.rs lacks operations the code calls:\n{}",
        unlisted.join("\n")
    );
    let uncalled: Vec<&&str> = listed
        .iter()
        .filter(|action| !used.contains_key(**action))
        .collect();
    assert!(
        uncalled.is_empty(),
        "src/aws/permissions.rs lists operations no code calls: {uncalled:?}"
    );
    // Import-only actions are called only from `import live`'s own code.
    for (action, needed) in PERMISSIONS {
        if *needed == Needed::Import {
            let files = &used[*action];
            assert!(
                files.iter().all(|f| f.starts_with("src/import")),
                "{action} is listed for import only but is called in {files:?}"
            );
        }
    }
    // Controller-only actions are called only from the controller's own code, tune-only ones
    // only from tune's.
    for (action, needed) in PERMISSIONS {
        if *needed == Needed::Tune {
            let files = &used[*action];
            assert!(
                files.iter().all(|f| f.starts_with("src/tune")),
                "{action} is listed for `slsctl tune` only but is called in {files:?}"
            );
        }
        if *needed == Needed::Recommend {
            let files = &used[*action];
            assert!(
                files.iter().all(|f| f == "src/aws/metric_data.rs"),
                "{action} is listed for `slsctl cost --recommend` only but is called in {files:?}"
            );
        }
        if *needed == Needed::Controller {
            let files = &used[*action];
            assert!(
                files
                    .iter()
                    .all(|f| f.starts_with("src/controller") || f.starts_with("src/source")),
                "{action} is listed for the controller only but is called in {files:?}"
            );
        }
    }
}

/// boto3 (installed with moto in .venv) takes the JSON files exactly as
/// `aws ecs register-task-definition --cli-input-json` and `aws ecs create-service` do.
#[test]
fn the_task_definition_and_service_register_with_the_emulators_ecs() {
    let endpoint = &Emulator::shared().endpoint;
    let script = r#"
import json, sys, boto3
endpoint, root = sys.argv[1], sys.argv[2]
ecs = boto3.client("ecs", endpoint_url=endpoint, region_name="us-east-1",
                   aws_access_key_id="testing", aws_secret_access_key="testing")
task = json.load(open(root + "/deploy/ecs/task-definition.json"))
registered = ecs.register_task_definition(**task)["taskDefinition"]
service = json.load(open(root + "/deploy/ecs/service.json"))
# The file's subnets and security group are placeholders a user replaces; here, the emulator's.
ec2 = boto3.client("ec2", endpoint_url=endpoint, region_name="us-east-1",
                   aws_access_key_id="testing", aws_secret_access_key="testing")
vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24")["Subnet"]["SubnetId"] for i in (1, 2)]
group = ec2.create_security_group(GroupName="slsctl", Description="slsctl", VpcId=vpc)["GroupId"]
network = service["networkConfiguration"]["awsvpcConfiguration"]
assert len(network["subnets"]) == 2 and len(network["securityGroups"]) == 1
network["subnets"], network["securityGroups"] = subnets, [group]
ecs.create_cluster(clusterName=service["cluster"])
created = ecs.create_service(**service)["service"]
described = ecs.describe_task_definition(taskDefinition=task["family"])["taskDefinition"]
container = described["containerDefinitions"][0]
print(json.dumps({
    "revision": registered["revision"],
    "compatibilities": described.get("requiresCompatibilities"),
    "user": container.get("user"),
    "health": container.get("healthCheck", {}).get("command"),
    "stopTimeout": container.get("stopTimeout"),
    "readonly": container.get("readonlyRootFilesystem"),
    "secrets": sorted(s["name"] for s in container.get("secrets", [])),
    "desired": created["desiredCount"],
    "launchType": created.get("launchType"),
    "status": created.get("status"),
    # moto does not echo the deployment configuration back; these are the file's values.
    "minHealthy": service["deploymentConfiguration"]["minimumHealthyPercent"],
    "maxPercent": service["deploymentConfiguration"]["maximumPercent"],
}))
"#;
    let out = std::process::Command::new(root().join(".venv/bin/python"))
        .args(["-c", script, endpoint, root().to_str().unwrap()])
        .output()
        .expect("the emulator's python runs (scripts/emulator.sh install)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(got["revision"], 1);
    assert_eq!(got["compatibilities"], serde_json::json!(["FARGATE"]));
    assert_eq!(got["user"], "10001:10001", "not root");
    assert_eq!(
        got["health"],
        serde_json::json!(["CMD", "slsctl", "health"])
    );
    assert_eq!(got["readonly"], true);
    assert_eq!(
        got["secrets"],
        serde_json::json!([
            "GIT_TOKEN",
            "SLSCTL_API_TOKEN",
            "SLSCTL_CONFIG_YAML",
            "SLSCTL_WEBHOOK_SECRET"
        ])
    );
    assert_eq!(got["desired"], 2, "two replicas behind the lease");
    assert_eq!(got["launchType"], "FARGATE");
    assert_eq!(got["status"], "ACTIVE");
    // The new task starts (as a follower) before the old one stops, and the old one gets its
    // stop timeout to finish an action and release the lease.
    assert_eq!(
        (got["minHealthy"].as_i64(), got["maxPercent"].as_i64()),
        (Some(100), Some(200))
    );
    assert_eq!(got["stopTimeout"], 120);
}

/// The health check is `slsctl health`, so it must exist with that shape.
#[test]
fn the_health_check_command_exists() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_slsctl"))
        .args(["health", "--controller", "http://127.0.0.1:9"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "unreachable is unhealthy");
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot reach the controller"));
}

#[test]
fn the_dockerfile_builds_in_one_stage_and_runs_unprivileged_in_a_slim_one() {
    let text = std::fs::read_to_string(root().join("deploy/Dockerfile")).unwrap();
    let stages: Vec<&str> = text.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert_eq!(stages.len(), 2, "multi-stage: {stages:?}");
    assert!(stages[0].contains(" AS build"));
    assert!(
        stages[1].contains("-slim"),
        "a small final image: {}",
        stages[1]
    );
    let user = text
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("a USER line");
    assert!(
        !user.starts_with('0') && !user.starts_with("root"),
        "{user}"
    );
    assert!(text.contains("--no-install-recommends") && text.contains("rm -rf /var/lib/apt/lists"));
    assert!(text.contains("cargo build --release --locked"));
}

#[test]
fn the_example_controller_configuration_loads() {
    let file = root().join("deploy/controller.yaml");
    let (config, serving) = slsctl::cli::controller::load_config(&file).unwrap();
    assert_eq!(config.stacks.len(), 2);
    assert_eq!(serving.listen, "0.0.0.0:8080");
    let lease = config.lease.expect("a lease: two replicas run");
    assert!(lease.renew_deadline < lease.duration);
    assert_eq!(
        lease.table, "slsctl-leases",
        "the table the policy's LeaseItemOnly names"
    );
    let events = config.events.expect("events on: drift in seconds");
    assert_eq!(
        events.queue, "slsctl-events",
        "the queue the template makes and the policy's ReadCloudTrailEvents names"
    );
    assert_eq!(
        config.resync,
        std::time::Duration::from_secs(3600),
        "with events on, the full resync can be hourly"
    );
}

/// deploy/events: the template's rule selects exactly the services whose events the controller
/// matches and leaves out the same data-plane calls; the task role reads the queue it makes;
/// and on the emulator (CloudFormation, EventBridge, SQS) a CloudTrail-shaped event of a
/// managed service reaches the queue while another service's, or a PutEvents, does not.
#[test]
fn the_cloudtrail_rule_delivers_the_managed_services_api_calls_to_the_queue() {
    use slsctl::controller::events::{DATA_CALLS, EVENT_SOURCES};
    let path = root().join("deploy/events/cloudtrail-events.json");
    let template: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let pattern = &template["Resources"]["CloudTrailApiCalls"]["Properties"]["EventPattern"];
    assert_eq!(
        pattern["detail-type"],
        serde_json::json!([slsctl::controller::events::DETAIL_TYPE])
    );
    assert_eq!(
        pattern["detail"]["eventSource"],
        serde_json::json!(EVENT_SOURCES)
    );
    assert_eq!(
        pattern["detail"]["eventName"][0]["anything-but"],
        serde_json::json!(DATA_CALLS)
    );
    let queue = template["Parameters"]["QueueName"]["Default"]
        .as_str()
        .unwrap();
    let policy: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("deploy/iam/task-role-policy.json")).unwrap(),
    )
    .unwrap();
    let read = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == "ReadCloudTrailEvents")
        .expect("the task role reads the events queue");
    assert_eq!(
        read["Resource"].as_str(),
        Some(format!("arn:aws:sqs:*:*:{queue}").as_str())
    );

    let endpoint = &Emulator::shared().endpoint;
    let script = r#"
import json, sys, time, uuid, boto3
endpoint, path = sys.argv[1], sys.argv[2]
kw = dict(endpoint_url=endpoint, region_name="us-east-1",
          aws_access_key_id="testing", aws_secret_access_key="testing")
cfn, events, sqs = (boto3.client(s, **kw) for s in ("cloudformation", "events", "sqs"))
name = "slsctl-events-" + uuid.uuid4().hex[:8]
cfn.create_stack(StackName=name, TemplateBody=open(path).read(),
                 Parameters=[{"ParameterKey": "QueueName", "ParameterValue": name}])
assert cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
def call(source, event_name, marker):
    return {"Source": "aws." + source.split(".")[0], "DetailType": "AWS API Call via CloudTrail",
            "Detail": json.dumps({"eventSource": source, "eventName": event_name,
                                  "requestParameters": {"marker": marker}})}
events.put_events(Entries=[
    call("lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2", "lambda"),
    call("iam.amazonaws.com", "PutRolePolicy", "iam"),
    call("s3.amazonaws.com", "PutBucketPolicy", "s3"),
    call("events.amazonaws.com", "PutEvents", "publish"),
])
got = []
deadline = time.time() + 5
while time.time() < deadline and len(got) < 2:
    for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
        got.append(json.loads(m["Body"])["detail"]["requestParameters"]["marker"])
# Whatever else was delivered is there by now (moto delivers within put_events).
for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", []):
    got.append(json.loads(m["Body"])["detail"]["requestParameters"]["marker"])
print(json.dumps({"got": sorted(got)}))
"#;
    let out = std::process::Command::new(root().join(".venv/bin/python"))
        .args(["-c", script, endpoint, path.to_str().unwrap()])
        .output()
        .expect("the emulator's python runs (scripts/emulator.sh install)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(got["got"], serde_json::json!(["iam", "lambda"]), "{got}");
}
