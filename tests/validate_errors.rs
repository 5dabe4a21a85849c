//! Snapshot tests of `slsctl validate`'s full error output, one bad spec per check.
//!
//! Each case writes a small stack into a temporary directory and renders every diagnostic the
//! loader reports, exactly as the CLI prints it (with `<root>` in place of the temp path).

mod support;

use std::path::Path;

use support::spec_dir;

const STACK: &str = "\
apiVersion: slsctl.dev/v1alpha1
kind: Stack
metadata: {name: shop}
spec:
  region: us-east-1
";

const ROLE: &str = "arn:aws:iam::123456789012:role/shop";

/// Render the diagnostics of a spec tree; panics if the tree is valid.
fn errors_in(root: &Path) -> String {
    match slsctl::kinds::load_stack(root) {
        Ok((stack, _)) => panic!("expected errors, but stack `{}` is valid", stack.name),
        Err((diagnostics, sources)) => {
            let rendered = diagnostics.render(&|p| sources.get(p));
            rendered.replace(&root.display().to_string(), "<root>")
        }
    }
}

/// A stack of `files` plus the Stack document and a code directory.
fn errors(files: &[(&str, &str)]) -> String {
    let mut all = vec![
        ("stack.yaml", STACK),
        ("src/app.py", "def handler(e, c):\n    return e\n"),
    ];
    all.extend_from_slice(files);
    let dir = spec_dir(&all);
    errors_in(dir.path())
}

fn function(name: &str, extra: &str) -> String {
    format!(
        "apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {{name: {name}}}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {{path: src}}\n  role: {ROLE}\n{extra}"
    )
}

fn queue(name: &str, extra: &str) -> String {
    format!(
        "apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {{name: {name}}}\nspec:\n{extra}"
    )
}

#[test]
fn unknown_field_suggests_the_closest() {
    insta::assert_snapshot!(errors(&[(
        "fn.yaml",
        &function("create-order", "  memroySize: 512\n")
    )]));
}

#[test]
fn unknown_kind() {
    insta::assert_snapshot!(errors(&[(
        "fn.yaml",
        "apiVersion: slsctl.dev/v1alpha1\nkind: Functon\nmetadata: {name: a}\nspec: {}\n"
    )]));
}

#[test]
fn wrong_api_version() {
    insta::assert_snapshot!(errors(&[(
        "q.yaml",
        "apiVersion: slsctl.dev/v1\nkind: Queue\nmetadata: {name: a}\nspec: {}\n"
    )]));
}

#[test]
fn wrong_type() {
    insta::assert_snapshot!(errors(&[(
        "fn.yaml",
        &function("a", "  memorySize: large\n")
    )]));
}

#[test]
fn duplicate_key() {
    insta::assert_snapshot!(errors(&[(
        "q.yaml",
        &queue("a", "  delaySeconds: 1\n  delaySeconds: 2\n")
    )]));
}

#[test]
fn yaml11_boolean_where_a_string_is_expected() {
    insta::assert_snapshot!(errors(&[(
        "fn.yaml",
        &function("a", "  environment:\n    FEATURE_X: on\n    LEGACY: no\n")
    )]));
}

#[test]
fn yaml11_boolean_where_a_boolean_is_expected() {
    insta::assert_snapshot!(errors(&[("q.yaml", &queue("a", "  fifo: yes\n"))]));
}

#[test]
fn alias_expansion_bomb() {
    let mut bomb = String::from("apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {name: a}\nspec: {}\nx0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let prev = i - 1;
        bomb.push_str(&format!("x{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"));
    }
    insta::assert_snapshot!(errors(&[("bomb.yaml", &bomb)]));
}

#[test]
fn absurdly_deep_document() {
    let deep = format!(
        "apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {{name: a}}\nspec: {}{}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    insta::assert_snapshot!(errors(&[("deep.yaml", &deep)]));
}

#[test]
fn missing_reference_suggests_a_name() {
    insta::assert_snapshot!(errors(&[
        (
            "fn.yaml",
            &function(
                "a",
                "  timeout: 10\n  triggers:\n    - queue: order-event\n"
            )
        ),
        (
            "q.yaml",
            &queue("order-events", "  visibilityTimeout: 60\n")
        ),
    ]));
}

#[test]
fn reference_to_the_wrong_kind() {
    insta::assert_snapshot!(errors(&[
        ("fn.yaml", &function("a", "  deadLetter: {queue: app}\n")),
        (
            "t.yaml",
            "apiVersion: slsctl.dev/v1alpha1\nkind: Table\nmetadata: {name: app}\nspec:\n  partitionKey: {name: pk, type: S}\n"
        ),
    ]));
}

#[test]
fn dependency_cycle() {
    insta::assert_snapshot!(errors(&[
        (
            "a.yaml",
            &queue("a", "  deadLetter: {queue: b, maxReceiveCount: 3}\n")
        ),
        (
            "b.yaml",
            &queue("b", "  deadLetter: {queue: a, maxReceiveCount: 3}\n")
        ),
    ]));
}

#[test]
fn duplicate_names() {
    insta::assert_snapshot!(errors(&[
        ("a.yaml", &queue("jobs", "  delaySeconds: 0\n")),
        ("b.yaml", &queue("jobs", "  delaySeconds: 5\n")),
    ]));
}

#[test]
fn physical_name_too_long() {
    let name = format!("a{}-abcd", "-handler".repeat(7));
    insta::assert_snapshot!(errors(&[("fn.yaml", &function(&name, ""))]));
}

#[test]
fn memory_out_of_range() {
    insta::assert_snapshot!(errors(&[(
        "fn.yaml",
        &function("a", "  memorySize: 20000\n")
    )]));
}

#[test]
fn timeout_out_of_range() {
    insta::assert_snapshot!(errors(&[("fn.yaml", &function("a", "  timeout: 901\n"))]));
}

#[test]
fn api_route_to_a_slow_function() {
    insta::assert_snapshot!(errors(&[
        ("fn.yaml", &function("report", "  timeout: 60\n")),
        (
            "api.yaml",
            "apiVersion: slsctl.dev/v1alpha1\nkind: Api\nmetadata: {name: public}\nspec:\n  routes:\n    - {method: GET, path: /report, function: report}\n"
        ),
    ]));
}

#[test]
fn fifo_trigger_with_a_batching_window() {
    insta::assert_snapshot!(errors(&[
        (
            "fn.yaml",
            &function(
                "a",
                "  triggers:\n    - queue: jobs\n      maximumBatchingWindow: 5\n"
            )
        ),
        ("q.yaml", &queue("jobs", "  fifo: true\n")),
    ]));
}

#[test]
fn queue_visibility_shorter_than_the_function_timeout() {
    insta::assert_snapshot!(errors(&[
        (
            "fn.yaml",
            &function("a", "  timeout: 120\n  triggers:\n    - queue: jobs\n")
        ),
        ("q.yaml", &queue("jobs", "  visibilityTimeout: 30\n")),
    ]));
}

#[test]
fn rule_with_more_than_five_targets() {
    let mut rule = String::from("apiVersion: slsctl.dev/v1alpha1\nkind: Rule\nmetadata: {name: fan-out}\nspec:\n  pattern: {source: [shop]}\n  targets:\n");
    for i in 0..6 {
        rule.push_str(&format!("    - {{id: t{i}, queue: q}}\n"));
    }
    insta::assert_snapshot!(errors(&[
        ("rule.yaml", &rule),
        ("q.yaml", &queue("q", "  delaySeconds: 0\n"))
    ]));
}

#[test]
fn code_path_escaping_with_dotdot() {
    let f = function("a", "").replace("code: {path: src}", "code: {path: ../../etc}");
    insta::assert_snapshot!(errors(&[("fn.yaml", &f)]));
}

/// A file is a package only when it is a zip (what `import live` downloads); a lone source file
/// is refused rather than uploaded as if it were one.
#[test]
fn code_path_naming_a_file_that_is_not_a_zip() {
    let f = function("a", "").replace("code: {path: src}", "code: {path: src/app.py}");
    insta::assert_snapshot!(errors(&[("fn.yaml", &f)]));
}

#[cfg(unix)]
#[test]
fn layer_content_escaping_through_a_symlink() {
    let outside = tempfile::tempdir().unwrap();
    let dir = spec_dir(&[
        ("stack.yaml", STACK),
        (
            "layer.yaml",
            "apiVersion: slsctl.dev/v1alpha1\nkind: Layer\nmetadata: {name: libs}\nspec:\n  content: {path: vendor}\n",
        ),
    ]);
    std::os::unix::fs::symlink(outside.path(), dir.path().join("vendor")).unwrap();
    let out = errors_in(dir.path()).replace(&outside.path().display().to_string(), "<outside>");
    insta::assert_snapshot!(out);
}

#[test]
fn no_stack_document() {
    let dir = spec_dir(&[("q.yaml", &queue("a", "  delaySeconds: 0\n"))]);
    insta::assert_snapshot!(errors_in(dir.path()));
}

#[test]
fn two_stack_documents() {
    insta::assert_snapshot!(errors(&[(
        "other.yaml",
        "apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {name: other}\nspec: {}\n"
    )]));
}

#[test]
fn unquoted_number_in_environment() {
    insta::assert_snapshot!(errors(&[(
        "fn.yaml",
        &function("a", "  environment:\n    PORT: 8080\n")
    )]));
}

#[test]
fn invalid_logical_name() {
    insta::assert_snapshot!(errors(&[(
        "q.yaml",
        &queue("Order_Events", "  delaySeconds: 0\n")
    )]));
}

#[test]
fn missing_required_field() {
    insta::assert_snapshot!(errors(&[(
        "fn.yaml",
        &format!("apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {{name: a}}\nspec:\n  handler: app.handler\n  role: {ROLE}\n")
    )]));
}

#[test]
fn yaml_syntax_error() {
    insta::assert_snapshot!(errors(&[(
        "q.yaml",
        "apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {name: a\nspec: {}\n"
    )]));
}

#[test]
fn non_utf8_file() {
    let dir = spec_dir(&[("stack.yaml", STACK)]);
    std::fs::write(
        dir.path().join("bad.yaml"),
        b"apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {name: caf\xe9}\n",
    )
    .unwrap();
    insta::assert_snapshot!(errors_in(dir.path()));
}

#[test]
fn reference_attribute_the_kind_lacks() {
    insta::assert_snapshot!(errors(&[
        (
            "fn.yaml",
            &function(
                "a",
                "  environment:\n    JOBS: {ref: Queue/jobs, attr: streamArn}\n"
            )
        ),
        ("q.yaml", &queue("jobs", "  delaySeconds: 0\n")),
    ]));
}

#[test]
fn stream_arn_of_a_table_without_a_stream() {
    insta::assert_snapshot!(errors(&[
        ("fn.yaml", &function("a", "  environment:\n    STREAM: {ref: Table/app, attr: streamArn}\n")),
        (
            "t.yaml",
            "apiVersion: slsctl.dev/v1alpha1\nkind: Table\nmetadata: {name: app}\nspec:\n  partitionKey: {name: pk, type: S}\n"
        ),
    ]));
}

#[test]
fn scheduled_rule_on_a_custom_bus() {
    insta::assert_snapshot!(errors(&[(
        "events.yaml",
        "apiVersion: slsctl.dev/v1alpha1\nkind: EventBus\nmetadata: {name: orders}\nspec: {}\n---\napiVersion: slsctl.dev/v1alpha1\nkind: Rule\nmetadata: {name: nightly}\nspec:\n  bus: orders\n  schedule: rate(1 day)\n"
    )]));
}

#[test]
fn event_pattern_leaf_that_is_not_a_list() {
    insta::assert_snapshot!(errors(&[(
        "rule.yaml",
        "apiVersion: slsctl.dev/v1alpha1\nkind: Rule\nmetadata: {name: placed}\nspec:\n  pattern:\n    source: orders.api\n"
    )]));
}

#[test]
fn provisioned_table_without_capacity() {
    insta::assert_snapshot!(errors(&[(
        "t.yaml",
        "apiVersion: slsctl.dev/v1alpha1\nkind: Table\nmetadata: {name: app}\nspec:\n  partitionKey: {name: pk, type: S}\n  billingMode: PROVISIONED\n"
    )]));
}

/// A bus target without a role delivers through the rule's derived role (no error); a role that
/// is not a role is refused.
#[test]
fn event_bus_target_role_must_be_a_role() {
    insta::assert_snapshot!(errors(&[(
        "events.yaml",
        "apiVersion: slsctl.dev/v1alpha1\nkind: EventBus\nmetadata: {name: audit}\nspec: {}\n---\napiVersion: slsctl.dev/v1alpha1\nkind: Rule\nmetadata: {name: copy}\nspec:\n  pattern: {source: [shop]}\n  targets:\n    - {id: to-audit, bus: audit}\n    - {id: to-partner, arn: \"arn:aws:events:us-east-1:210987654321:event-bus/partner\", role: \"arn:aws:iam::123456789012:user/ops\"}\n"
    )]));
}

#[test]
fn table_encryption_with_a_key_alias() {
    insta::assert_snapshot!(errors(&[(
        "t.yaml",
        "apiVersion: slsctl.dev/v1alpha1\nkind: Table\nmetadata: {name: app}\nspec:\n  partitionKey: {name: pk, type: S}\n  sse: {type: KMS, kmsMasterKeyId: alias/orders}\n---\napiVersion: slsctl.dev/v1alpha1\nkind: Table\nmetadata: {name: audit}\nspec:\n  partitionKey: {name: pk, type: S}\n  sse: {type: AWS_OWNED, kmsMasterKeyId: 1234abcd-12ab-34cd-56ef-1234567890ab}\n"
    )]));
}

#[test]
fn provisioned_concurrency_above_reserved_concurrency() {
    insta::assert_snapshot!(errors(&[(
        "fn.yaml",
        &function("a", "  reservedConcurrency: 10\n  alias:\n    name: live\n    provisionedConcurrency:\n      baseline: 2\n      schedules:\n        - {name: peak, cron: \"cron(0 8 ? * MON-FRI *)\", min: 5, max: 20}\n")
    )]));
}

#[test]
fn ignore_changes_naming_an_unknown_field() {
    insta::assert_snapshot!(errors(&[(
        "fn.yaml",
        &function("a", "  ignoreChanges: [descripton]\n")
    )]));
}

#[test]
fn adoption_without_a_physical_name() {
    insta::assert_snapshot!(errors(&[(
        "q.yaml",
        "apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata:\n  name: legacy\n  annotations: {slsctl.dev/adopt: \"true\"}\nspec: {}\n"
    )]));
}

#[test]
fn every_problem_of_every_file_sorted_by_file_and_line() {
    let out = errors(&[
        (
            "b.yaml",
            &queue("b", "  delaySeconds: 901\n  visibilityTimeout: -1\n"),
        ),
        ("a.yaml", &function("a", "  memorySize: 64\n  timeout: 0\n")),
    ]);
    let positions: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("<root>/"))
        .map(|l| l.split(": error").next().unwrap())
        .collect();
    assert_eq!(
        positions,
        [
            "<root>/a.yaml:9:15",
            "<root>/a.yaml:10:12",
            "<root>/b.yaml:5:17",
            "<root>/b.yaml:6:22"
        ],
        "{out}"
    );
    assert!(
        out.ends_with("error: 4 problems in 2 files; nothing was applied\n"),
        "{out}"
    );
}

#[test]
fn the_example_stack_is_valid() {
    let root = support::project_root().join("specs/examples/orders");
    let (stack, _) = slsctl::kinds::load_stack(&root)
        .unwrap_or_else(|(d, s)| panic!("{}", d.render(&|p| s.get(p))));
    assert_eq!(stack.name, "orders");
    // Ten written; derived: three log groups, three roles, three cold-start metric filters,
    // the alarms of the functions, queues, API, table and rule (tests/alarms.rs), and the
    // stack's dashboard.
    assert_eq!(stack.resources.len(), 38);
    assert_eq!(stack.count(slsctl::model::Kind::LogGroup), 3);
    assert_eq!(stack.count(slsctl::model::Kind::Alarm), 18);
    assert_eq!(stack.count(slsctl::model::Kind::MetricFilter), 3);
    assert_eq!(stack.count(slsctl::model::Kind::Dashboard), 1);
    let derived: Vec<String> = stack
        .resources
        .iter()
        .filter(|r| r.derived_from.is_some() && r.id.kind != slsctl::model::Kind::Alarm)
        .map(|r| r.id.to_string())
        .collect();
    assert_eq!(
        derived,
        [
            "LogGroup/create-order",
            "LogGroup/fulfil-order",
            "LogGroup/get-order",
            "Role/create-order",
            "Role/fulfil-order",
            "Role/get-order",
            "MetricFilter/create-order",
            "MetricFilter/fulfil-order",
            "MetricFilter/get-order",
            "Dashboard/orders"
        ]
    );
}

#[test]
fn cron_field_out_of_range_in_a_rule_schedule() {
    insta::assert_snapshot!(errors(&[(
        "rule.yaml",
        "apiVersion: slsctl.dev/v1alpha1\nkind: Rule\nmetadata: {name: nightly}\nspec:\n  schedule: cron(99 8 * * ? *)\n"
    )]));
}

#[test]
fn rate_with_the_wrong_unit_in_a_rule_schedule() {
    insta::assert_snapshot!(errors(&[(
        "rule.yaml",
        "apiVersion: slsctl.dev/v1alpha1\nkind: Rule\nmetadata: {name: often}\nspec:\n  schedule: rate(5 minute)\n"
    )]));
}

#[test]
fn provisioned_concurrency_schedule_with_a_bad_cron_and_an_unknown_time_zone() {
    insta::assert_snapshot!(errors(&[(
        "fn.yaml",
        &function("a", "  alias:\n    name: live\n    provisionedConcurrency:\n      baseline: 2\n      schedules:\n        - {name: peak, cron: \"cron(0 8 * * MON-FRI *)\", timezone: Foo/Bar, min: 5, max: 20}\n        - {name: calm, cron: \"cron(0 20 ? JAN-XYZ MON-FRI *)\", timezone: Europe/Berlin, min: 2, max: 2}\n")
    )]));
}

/// AWS refuses to deploy a PRIVATE API without a resource policy; slsctl cannot write one yet.
#[test]
fn private_api_without_a_resource_policy() {
    insta::assert_snapshot!(errors(&[
        ("fn.yaml", &function("worker", "  timeout: 10\n")),
        (
            "api.yaml",
            "apiVersion: slsctl.dev/v1alpha1\nkind: Api\nmetadata: {name: internal}\nspec:\n  endpointType: PRIVATE\n  routes:\n    - {method: GET, path: /x, function: worker}\n",
        ),
    ]));
}

/// 50 tags per resource on AWS, slsctl's own included.
#[test]
fn more_stack_tags_than_fit_beside_slsctls_own() {
    let tags: Vec<String> = (0..46).map(|i| format!("t{i}: v")).collect();
    let stack = format!("{STACK}  tags: {{{}}}\n", tags.join(", "));
    let dir = spec_dir(&[
        ("stack.yaml", &stack),
        ("q.yaml", &queue("jobs", "  delaySeconds: 0\n")),
    ]);
    insta::assert_snapshot!(errors_in(dir.path()));
}

/// A layer version's description holds its ownership marker too, within AWS's 256 characters.
#[test]
fn layer_description_too_long_for_the_ownership_marker() {
    let description = "d".repeat(160);
    insta::assert_snapshot!(errors(&[
        ("layer/python/x.py", "X = 1\n"),
        (
            "layer.yaml",
            &format!("apiVersion: slsctl.dev/v1alpha1\nkind: Layer\nmetadata: {{name: shared}}\nspec:\n  content: {{path: layer}}\n  description: {description}\n"),
        ),
    ]));
}

/// Target tracking moves the value between the scalable target's bounds: without schedules it
/// needs a `max` above the baseline.
#[test]
fn target_tracking_without_room_to_move() {
    insta::assert_snapshot!(errors(&[(
        "fn.yaml",
        &function(
            "worker",
            "  alias:\n    name: live\n    provisionedConcurrency:\n      baseline: 2\n      targetUtilization: 0.7\n"
        )
    )]));
}

/// Each rule that targets a function is a statement of its resource policy, which AWS caps at
/// 20 KB: 52 rules are more than fit.
#[test]
fn more_rules_invoke_a_function_than_its_resource_policy_holds() {
    let rules: Vec<String> = (0..52)
        .map(|i| format!("apiVersion: slsctl.dev/v1alpha1\nkind: Rule\nmetadata: {{name: tick-{i}}}\nspec:\n  schedule: rate(5 minutes)\n  targets:\n    - {{id: work, function: worker}}\n"))
        .collect();
    insta::assert_snapshot!(errors(&[
        ("fn.yaml", &function("worker", "")),
        ("rules.yaml", &rules.join("---\n")),
    ]));
}

/// A function's `role` names a Role of the stack or a role ARN; grants go only to roles slsctl
/// creates.
#[test]
fn a_function_role_is_a_role_of_the_stack_or_an_arn() {
    insta::assert_snapshot!(errors(&[
        (
            "a.yaml",
            "apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {name: a}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {path: src}\n  role: shraed\n",
        ),
        (
            "b.yaml",
            &function("b", "  permissions:\n    - {ref: Table/app}\n  managedPolicies: [\"arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess\"]\n"),
        ),
        (
            "shared.yaml",
            "apiVersion: slsctl.dev/v1alpha1\nkind: Role\nmetadata: {name: shared}\nspec: {}\n---\napiVersion: slsctl.dev/v1alpha1\nkind: Table\nmetadata: {name: app}\nspec:\n  partitionKey: {name: pk, type: S}\n",
        ),
    ]));
}

/// What IAM refuses, and what is not least privilege, in a role's grants.
#[test]
fn role_permissions_are_checked() {
    insta::assert_snapshot!(errors(&[
        (
            "role.yaml",
            "apiVersion: slsctl.dev/v1alpha1\nkind: Role\nmetadata: {name: shared}\nspec:\n  trust: [lambda]\n  maxSessionDuration: 60\n  managedPolicies: [AWSXRayDaemonWriteAccess]\n  permissions:\n    - {ref: EventBus/bus, access: read}\n    - statement: {Sid: Reports, Effect: Allow, Action: [s3:GetObject], Resource: [\"arn:aws:s3:::reports/*\"]}\n    - statement: {Effect: Allow, NotAction: [iam:*], Resource: \"*\"}\n    - {ref: Layer/libs}\n",
        ),
        (
            "fn.yaml",
            "apiVersion: slsctl.dev/v1alpha1\nkind: EventBus\nmetadata: {name: bus}\nspec: {}\n---\napiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {name: f}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {path: src}\n  environment:\n    BUS: {ref: EventBus/bus, access: read}\n",
        ),
    ]));
}

/// The role slsctl derives for a function is `Role/<function>`; a written Role of that name
/// would be a second source for it.
#[test]
fn a_written_role_cannot_take_a_derived_roles_name() {
    insta::assert_snapshot!(errors(&[(
        "fn.yaml",
        "apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {name: worker}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {path: src}\n---\napiVersion: slsctl.dev/v1alpha1\nkind: Role\nmetadata: {name: worker}\nspec: {}\n",
    )]));
}

#[test]
fn a_permissions_boundary_is_a_policy_arn() {
    let dir = spec_dir(&[(
        "stack.yaml",
        "apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {name: shop}\nspec:\n  permissionsBoundary: arn:aws:iam::123456789012:role/boundary\n",
    )]);
    insta::assert_snapshot!(errors_in(dir.path()));
}

fn log_group(name: &str, spec: &str) -> String {
    format!(
        "apiVersion: slsctl.dev/v1alpha1\nkind: LogGroup\nmetadata: {{name: {name}}}\nspec:\n{spec}"
    )
}

#[test]
fn log_retention_cloudwatch_logs_does_not_accept() {
    insta::assert_snapshot!(errors(&[(
        "fn.yaml",
        &function("create-order", "  logRetentionDays: 31\n")
    )]));
}

#[test]
fn log_levels_without_the_json_format() {
    insta::assert_snapshot!(errors(&[(
        "fn.yaml",
        &function(
            "create-order",
            "  logging:\n    applicationLogLevel: DEBUG\n    systemLogLevel: WARN\n"
        )
    )]));
}

#[test]
fn log_level_lambda_does_not_know() {
    insta::assert_snapshot!(errors(&[(
        "fn.yaml",
        &function(
            "create-order",
            "  logging: {format: JSON, applicationLogLevel: VERBOSE}\n"
        )
    )]));
}

#[test]
fn a_shared_log_group_that_is_missing_or_overridden() {
    insta::assert_snapshot!(errors(&[
        (
            "fn.yaml",
            &format!(
                "{}---\n{}",
                function("create-order", "  logging: {logGroup: order-log}\n"),
                function(
                    "get-order",
                    "  logRetentionDays: 7\n  logging: {logGroup: orders, deletionPolicy: delete}\n"
                )
            )
        ),
        ("logs.yaml", &log_group("orders", "  retentionDays: 90\n")),
    ]));
}

#[test]
fn log_group_name_and_retention() {
    insta::assert_snapshot!(errors(&[(
        "logs.yaml",
        &log_group(
            "orders",
            "  physicalName: \"orders logs\"\n  retentionDays: 0\n"
        )
    )]));
}

#[test]
fn stack_default_log_retention() {
    let stack = format!("{STACK}  defaults:\n    function:\n      logRetentionDays: 45\n");
    let dir = spec_dir(&[
        ("stack.yaml", &stack),
        ("src/app.py", "def handler(e, c):\n    return e\n"),
        ("fn.yaml", &function("create-order", "")),
    ]);
    insta::assert_snapshot!(errors_in(dir.path()));
}

#[test]
fn alarm_settings_name_known_checks_and_values_cloudwatch_takes() {
    insta::assert_snapshot!(errors(&[
        (
            "fn.yaml",
            &function(
                "a",
                "  alarms:\n    errorRte: {threshold: 2}\n    duration: {period: 90, evaluationPeriods: 2000}\n    throttles: {threshold: -1}\n"
            )
        ),
        (
            "q.yaml",
            &queue("jobs", "  alarms:\n    errorRate: {disabled: true}\n")
        ),
    ]));
}

#[test]
fn stack_alarm_defaults_name_watched_kinds_and_their_checks() {
    let stack = format!(
        "{STACK}  observability:\n    alarms:\n      Layer: {{age: {{threshold: 1}}}}\n      Queue: {{age: {{threshold: 60, period: 120, evaluationPeriods: 721}}}}\n"
    );
    let dir = spec_dir(&[
        ("stack.yaml", &stack),
        ("src/app.py", "def handler(e, c):\n    return e\n"),
    ]);
    insta::assert_snapshot!(errors_in(dir.path()));
}

#[test]
fn an_alarm_cannot_be_written() {
    insta::assert_snapshot!(errors(&[(
        "alarm.yaml",
        "apiVersion: slsctl.dev/v1alpha1\nkind: Alarm\nmetadata: {name: mine}\nspec: {}\n"
    )]));
}
