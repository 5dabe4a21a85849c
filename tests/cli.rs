//! The `slsctl` binary: exit codes, streams and output formats.

mod support;

use std::process::{Command, Output};

fn slsctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_slsctl"))
        .args(args)
        .current_dir(support::project_root())
        .output()
        .expect("run slsctl")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn validate_accepts_the_example_stack() {
    let out = slsctl(&["validate", "-f", "specs/examples/orders"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("stack `orders` is valid (10 resources"));
    // Validate evaluates the policy pack as plan does: the example's one policy warning (its
    // provisioned concurrency is forecast below break-even) is shown, and nothing else.
    let stderr = text(&out.stderr);
    assert!(
        stderr.lines().all(|l| l.starts_with("warning: policy: ")),
        "{stderr}"
    );
    assert!(stderr.contains("rule pc-break-even"), "{stderr}");
}

/// `validate` refuses what the policy pack would refuse at apply (a table without PITR), at the
/// table's place with the rule and the way to opt out; a Stack exception with a reason waives
/// it, and the reason is shown.
#[test]
fn validate_runs_the_policy_pack_and_honours_a_stacks_exception() {
    let table = ("t.yaml", "apiVersion: slsctl.dev/v1alpha1\nkind: Table\nmetadata: {name: app}\nspec:\n  partitionKey: {name: pk, type: S}\n");
    let stack = |policy: &str| {
        format!(
            "apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {{name: s}}\nspec:\n{policy}"
        )
    };
    let plain = support::spec_dir(&[("stack.yaml", &stack("  region: us-east-1\n")), table]);
    let out = slsctl(&["validate", "-f", plain.path().to_str().unwrap()]);
    let stderr = text(&out.stderr).replace(plain.path().to_str().unwrap(), "<root>");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("<root>/t.yaml:3:12: error: policy slsctl.policies.blueprint: table `app` has no point-in-time recovery; set pointInTimeRecovery: true"),
        "{stderr}"
    );
    assert!(
        stderr.contains("at: Table/app spec.pointInTimeRecovery"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: fix the spec, or opt out on the Stack: spec.policy.exceptions: [{rule: table-pitr, resources: [Table/app], reason: \"why\"}]"),
        "{stderr}"
    );

    let waived = support::spec_dir(&[
        (
            "stack.yaml",
            &stack("  policy:\n    exceptions:\n      - {rule: table-pitr, resources: [Table/app], reason: sessions only live a day}\n"),
        ),
        table,
    ]);
    let out = slsctl(&["validate", "-f", waived.path().to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("note: policy exception: ")
            && stderr.contains("waived by the stack: sessions only live a day"),
        "{stderr}"
    );
    // `policy eval` lists the waived deny as an exception and does not fail on it.
    let eval = slsctl(&["policy", "eval", "-f", waived.path().to_str().unwrap()]);
    let stdout = text(&eval.stdout);
    assert_eq!(eval.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("exception: ") && stdout.contains("0 denied, 0 warnings, 1 waived"),
        "{stdout}"
    );

    // An exception without a reason is itself an error, at its place.
    let unexplained = support::spec_dir(&[
        (
            "stack.yaml",
            &stack("  policy:\n    exceptions:\n      - {rule: table-pitr, reason: \"\"}\n"),
        ),
        table,
    ]);
    let out = slsctl(&["validate", "-f", unexplained.path().to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error: an exception needs a reason"),
        "{stderr}"
    );
    assert!(
        stderr.contains("at: Stack/s spec.policy.exceptions[0].reason"),
        "{stderr}"
    );
}

#[test]
fn validate_reports_errors_on_stderr_with_exit_code_1() {
    let dir = support::spec_dir(&[
        ("stack.yaml", "apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {name: s}\nspec: {}\n"),
        ("q.yaml", "apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {name: q}\nspec: {delaySecond: 5}\n"),
    ]);
    let out = slsctl(&["validate", "-f", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("q.yaml:4:8: error: unknown field `delaySecond`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: did you mean `delaySeconds`?"),
        "{stderr}"
    );
}

#[test]
fn validate_json_output_is_machine_readable() {
    let dir = support::spec_dir(&[
        ("stack.yaml", "apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {name: s}\nspec: {}\n"),
        ("q.yaml", "apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {name: q}\nspec: {delaySeconds: 9000}\n"),
    ]);
    let out = slsctl(&["validate", "-f", dir.path().to_str().unwrap(), "-o", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(value["valid"], false);
    let first = &value["diagnostics"][0];
    assert_eq!(first["line"], 4);
    assert_eq!(first["field"], "spec.delaySeconds");
    assert_eq!(first["resource"], "Queue/q");

    let ok = slsctl(&["validate", "-f", "specs/examples/orders", "-o", "json"]);
    let value: serde_json::Value = serde_json::from_slice(&ok.stdout).expect("JSON on stdout");
    assert_eq!(value["valid"], true);
    assert_eq!(value["resources"].as_array().unwrap().len(), 10);
}

#[test]
fn schema_is_json_and_covers_every_kind() {
    let out = slsctl(&["schema"]);
    assert_eq!(out.status.code(), Some(0));
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON schema");
    let kinds: Vec<&str> = schema["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["properties"]["kind"]["const"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["Stack", "Function", "Layer", "Queue", "EventBus", "Rule", "Table", "Api"]
    );
}

#[test]
fn help_has_examples_and_version_is_printed() {
    let help = text(&slsctl(&["--help"]).stdout);
    assert!(
        help.contains("Examples:") && help.contains("slsctl validate -f"),
        "{help}"
    );
    let validate_help = text(&slsctl(&["validate", "--help"]).stdout);
    assert!(
        validate_help.contains("Exit code 0 when the stack is valid"),
        "{validate_help}"
    );
    let version = text(&slsctl(&["--version"]).stdout);
    assert_eq!(
        version.trim(),
        format!("slsctl {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn usage_errors_exit_with_1() {
    let out = slsctl(&["validate"]);
    // 1, not clap's 2: `plan --detailed-exitcode` uses 2 for "changes present".
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--file"));
}

#[test]
fn cost_pc_reproduces_the_lambda_pricing_pages_launch_example() {
    let out = slsctl(&[
        "cost",
        "pc",
        "--memory",
        "1536",
        "--concurrency",
        "100",
        "--hours",
        "8",
        "--requests",
        "3000000",
        "--duration-ms",
        "120",
        "--provisioned-requests",
        "500000",
        "--provisioned-duration-ms",
        "100",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for expected in [
        "break-even utilisation  60.0%",
        "provisioned concurrency: 4,320,000 GB-s × $0.0000041667 = $18.00",
        "requests: 3,000,000 requests − 1,000,000 free = 2,000,000 × $0.0000002 = $0.40",
        "duration under provisioned concurrency: 75,000 GB-s × $0.0000097222 = $0.73",
        "duration: 450,000 GB-s − 400,000 free = 50,000 × $0.0000166667 = $0.83",
        "$     19.96",
        "recommendation: on demand is $17.48 a month cheaper",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in\n{stdout}"
        );
    }
    let json = slsctl(&[
        "cost",
        "pc",
        "--memory",
        "1536",
        "--concurrency",
        "100",
        "--hours",
        "8",
        "--requests",
        "3000000",
        "--duration-ms",
        "120",
        "-o",
        "json",
    ]);
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert!((value["break_even_utilisation"].as_f64().unwrap() - 0.6).abs() < 0.001);
}

#[test]
fn cost_estimates_the_example_stack_and_enforces_the_budget() {
    let out = slsctl(&["cost", "-f", "specs/examples/orders", "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let total = value["estimate"]["total_usd"].as_f64().unwrap();
    assert!(total > 0.0 && total < 3200.0, "{total}");
    assert_eq!(value["overBudget"], false);

    let dir = support::spec_dir(&[
        ("stack.yaml", "apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {name: s}\nspec: {budget: {monthlyUSD: 1}}\n"),
        ("q.yaml", "apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {name: q}\nspec: {traffic: {messagesPerMonth: 10000000}}\n"),
    ]);
    let over = slsctl(&["cost", "-f", dir.path().to_str().unwrap(), "--explain"]);
    assert_eq!(over.status.code(), Some(1));
    // 10M messages × 3 requests − 1M free = 29M × $0.40/M.
    assert!(
        text(&over.stdout).contains(
            "requests: 30,000,000 requests − 1,000,000 free = 29,000,000 × $0.0000004 = $11.60"
        ),
        "{}",
        text(&over.stdout)
    );
    assert!(
        text(&over.stderr).contains("exceeds the stack's budget of $1.00"),
        "{}",
        text(&over.stderr)
    );
}

#[test]
fn policy_test_runs_the_default_packs_tests() {
    let out = slsctl(&["policy", "test"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("9 tests, 9 passed, 0 failed"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn policies_deny_with_the_resources_location_and_users_add_their_own() {
    let dir = support::spec_dir(&[
        ("stack.yaml", "apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {name: s}\nspec:\n  policy: {requiredTags: [team]}\n"),
        ("t.yaml", "apiVersion: slsctl.dev/v1alpha1\nkind: Table\nmetadata: {name: app}\nspec:\n  partitionKey: {name: pk, type: S}\n"),
        ("q.yaml", "apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {name: jobs}\nspec: {delaySeconds: 5}\n"),
        (
            "policies/no_delay.rego",
            "package mine.queues\nimport rego.v1\n\nwarn contains {\"resource\": q.id, \"msg\": \"queues should not delay\"} if {\n  some q in input.resources\n  q.kind == \"Queue\"\n  q.spec.delay_seconds > 0\n}\n\ntest_a_delay_warns if {\n  count(warn) == 1 with input as {\"resources\": [{\"id\": \"Queue/q\", \"kind\": \"Queue\", \"spec\": {\"delay_seconds\": 3}}]}\n}\n",
        ),
    ]);
    let path = dir.path().to_str().unwrap();
    let out = slsctl(&["policy", "eval", "-f", path]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout).replace(path, "<root>");
    assert!(
        stdout.contains("deny: <root>/t.yaml:3:12: table `app` has no point-in-time recovery; set pointInTimeRecovery: true (slsctl.policies.blueprint, rule table-pitr)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("deny: the stack has no `team` tag, which the policy requires"),
        "{stdout}"
    );
    assert!(
        stdout.contains("warning: <root>/q.yaml:3:12: queues should not delay (mine.queues)"),
        "{stdout}"
    );
    let tests = slsctl(&["policy", "test", "-f", path]);
    assert_eq!(tests.status.code(), Some(0));
    assert!(
        text(&tests.stdout).contains("10 tests, 10 passed"),
        "{}",
        text(&tests.stdout)
    );
}

#[test]
fn controller_refuses_a_bad_configuration_before_starting() {
    let dir = support::spec_dir(&[
        ("lease.yaml", "stacks:\n  - {name: s, s3: {bucket: b, prefix: p/}}\nlease: {table: t, durationSeconds: 10, renewDeadlineSeconds: 10}\n"),
        ("typo.yaml", "stacks:\n  - {name: s, s3: {bucket: b}, intervalSecond: 5}\n"),
        ("empty.yaml", "stacks: []\n"),
    ]);
    for (file, expected) in [
        (
            "lease.yaml",
            "renewDeadlineSeconds must be less than lease.durationSeconds",
        ),
        ("typo.yaml", "intervalSecond"),
        ("empty.yaml", "no stacks"),
    ] {
        let path = dir.path().join(file);
        let out = slsctl(&["controller", "--config", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{file}");
        assert!(
            text(&out.stderr).contains(expected),
            "{file}: {}",
            text(&out.stderr)
        );
    }
}
