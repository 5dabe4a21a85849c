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
    // Ten written; each function's own log group, its cold-start metric filter and its execution
    // role, derived from them; the alarms of the functions, queues, API, table and rule; and the
    // stack's dashboard, derived from the stack.
    assert!(
        text(&out.stdout).contains("stack `orders` is valid (38 resources"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stdout).contains(
            ", 3 Role, 3 LogGroup, 18 Alarm, 3 MetricFilter, 1 Dashboard; 28 derived from the wiring)"
        ),
        "{}",
        text(&out.stdout)
    );
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
    let resources = value["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 38);
    let alarms = resources.iter().filter(|r| r["kind"] == "Alarm");
    assert!(alarms.clone().all(|a| a["derivedFrom"]
        .as_str()
        .is_some_and(|from| a["name"].as_str().unwrap().starts_with(from))));
    assert_eq!(alarms.count(), 18);
    let derived: Vec<(&str, &str, &str)> = resources
        .iter()
        .filter(|r| r["kind"] != "Alarm")
        .filter_map(|r| {
            Some((
                r["kind"].as_str()?,
                r["name"].as_str()?,
                r["derivedFrom"].as_str()?,
            ))
        })
        .collect();
    assert_eq!(
        derived,
        [
            // In the stack's order: by kind (`Kind`'s order), then name.
            ("LogGroup", "create-order", "Function/create-order"),
            ("LogGroup", "fulfil-order", "Function/fulfil-order"),
            ("LogGroup", "get-order", "Function/get-order"),
            ("Role", "create-order", "Function/create-order"),
            ("Role", "fulfil-order", "Function/fulfil-order"),
            ("Role", "get-order", "Function/get-order"),
            ("MetricFilter", "create-order", "Function/create-order"),
            ("MetricFilter", "fulfil-order", "Function/fulfil-order"),
            ("MetricFilter", "get-order", "Function/get-order"),
            ("Dashboard", "orders", "Stack/orders"),
        ]
    );
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
        [
            "Stack", "Function", "Layer", "Queue", "EventBus", "Rule", "Table", "Api", "Role",
            "LogGroup", "Alarm"
        ]
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

/// AWS's second provisioned-concurrency example (4,096 MB, 7 for 24 hours, 2M requests of
/// 280 ms served by it): published $32.26, the free tier not applying while it is on; and the
/// recommendation says 92.6% is above the 60% break-even, and why on demand is still cheaper.
#[test]
fn cost_pc_reproduces_the_pricing_pages_second_provisioned_example() {
    let out = slsctl(&[
        "cost",
        "pc",
        "--memory",
        "4096",
        "--concurrency",
        "7",
        "--hours",
        "24",
        "--requests",
        "2000000",
        "--duration-ms",
        "280",
        "--provisioned-requests",
        "2000000",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for expected in [
        "forecast utilisation    92.6%",
        "requests: 2,000,000 requests × $0.0000002 = $0.40",
        "provisioned concurrency: 2,419,200 GB-s × $0.0000041667 = $10.08",
        "duration under provisioned concurrency: 2,240,000 GB-s × $0.0000097222 = $21.78",
        "$     32.26",
        "recommendation: on demand is $1.39 a month cheaper: 92.6% utilisation is above the 60% break-even, but the free tier",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in\n{stdout}"
        );
    }
    assert!(!stdout.contains("below"), "{stdout}");
}

/// `cost --traffic`: the blueprint's profile prices the reference stack, says where it stands
/// against the budget and what a million API requests cost; a bad profile names file:line:column.
#[test]
fn cost_with_a_traffic_profile_prices_the_blueprint_and_locates_mistakes() {
    let profile = "specs/examples/traffic/blueprint-8m-calls-a-day.yaml";
    let out = slsctl(&["cost", "-f", "specs/examples/orders", "--traffic", profile]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("per million API requests (243.3M a month)"),
        "{stdout}"
    );
    assert!(stdout.contains("the estimate is within it"), "{stdout}");
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "callsPerDay: 10\npath:\n  - {resource: Api/pub, requests: 1}\n",
    )
    .unwrap();
    let out = slsctl(&[
        "cost",
        "-f",
        "specs/examples/orders",
        "--traffic",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("bad.yaml:3:16: error: `Api/pub` is not a resource of stack `orders`"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: the ones with traffic:"), "{stderr}");
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

/// A stack directory with one error, for the diagnostics' colour.
fn bad_spec() -> tempfile::TempDir {
    support::spec_dir(&[
        ("stack.yaml", "apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {name: s}\nspec: {}\n"),
        ("q.yaml", "apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {name: q}\nspec: {delaySecond: 5}\n"),
    ])
}

fn slsctl_with_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_slsctl"));
    command
        .args(args)
        .current_dir(support::project_root())
        .env_remove("NO_COLOR")
        .env_remove("SLSCTL_LOG");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("run slsctl")
}

/// `slsctl ARGS` with stdout and stderr on a pseudo-terminal (Python's `pty`, which the
/// emulator's Python brings anyway): what a person at a terminal sees.
fn slsctl_on_a_terminal(args: &[&str], env: &[(&str, &str)]) -> String {
    let venv = support::project_root().join(".venv/bin/python");
    let python = if venv.exists() {
        venv.into_os_string()
    } else {
        "python3".into()
    };
    let script = "import os, pty, sys\n\
pid, fd = pty.fork()\n\
if pid == 0:\n    os.execv(sys.argv[1], sys.argv[1:])\n\
out = b''\n\
while True:\n    try:\n        chunk = os.read(fd, 65536)\n    except OSError:\n        break\n    if not chunk:\n        break\n    out += chunk\n\
os.waitpid(pid, 0)\n\
sys.stdout.buffer.write(out)\n";
    let mut command = Command::new(python);
    command
        .args(["-c", script, env!("CARGO_BIN_EXE_slsctl")])
        .args(args)
        .current_dir(support::project_root())
        .env_remove("NO_COLOR")
        .env_remove("SLSCTL_LOG");
    for (key, value) in env {
        command.env(key, value);
    }
    let out = command.output().expect("run slsctl on a pseudo-terminal");
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn diagnostics_are_coloured_on_a_terminal_unless_no_color_or_never() {
    let dir = bad_spec();
    let path = dir.path().to_str().unwrap();
    let painted_error = "\x1b[1;31merror:\x1b[0m";

    let terminal = slsctl_on_a_terminal(&["validate", "-f", path], &[]);
    assert!(terminal.contains(painted_error), "{terminal:?}");
    assert!(
        terminal.contains("\x1b[36mhint:\x1b[0m did you mean `delaySeconds`?"),
        "{terminal:?}"
    );
    let no_color = slsctl_on_a_terminal(&["validate", "-f", path], &[("NO_COLOR", "1")]);
    assert!(no_color.contains("error: unknown field"), "{no_color:?}");
    assert!(!no_color.contains('\x1b'), "{no_color:?}");
    let never = slsctl_on_a_terminal(&["validate", "-f", path, "--color", "never"], &[]);
    assert!(never.contains("error: unknown field"), "{never:?}");
    assert!(!never.contains('\x1b'), "{never:?}");

    // Into a pipe: no colour, unless asked for, and then even with NO_COLOR.
    let piped = slsctl_with_env(&["validate", "-f", path], &[]);
    assert_eq!(piped.status.code(), Some(1));
    assert!(!piped.stderr.contains(&0x1b), "{}", text(&piped.stderr));
    let always = slsctl_with_env(
        &["--color", "always", "validate", "-f", path],
        &[("NO_COLOR", "1")],
    );
    assert_eq!(always.status.code(), Some(1));
    let stderr = text(&always.stderr);
    assert!(stderr.contains(painted_error), "{stderr:?}");
    assert!(
        stderr.contains("q.yaml:4:8:\x1b[0m \x1b[1;31merror:\x1b[0m unknown field `delaySecond`"),
        "{stderr:?}"
    );
    // clap's own usage errors follow the flag too.
    let usage = slsctl_with_env(&["--color", "always", "validate"], &[]);
    assert_eq!(usage.status.code(), Some(1));
    assert!(usage.stderr.contains(&0x1b), "{}", text(&usage.stderr));
    let usage = slsctl_on_a_terminal(&["--color", "never", "validate"], &[]);
    assert!(
        usage.contains("--file") && !usage.contains('\x1b'),
        "{usage:?}"
    );
    // The flag is global: after the subcommand too.
    let after = slsctl_with_env(&["validate", "-f", path, "--color=always"], &[]);
    assert!(text(&after.stderr).contains(painted_error));
}

#[test]
fn completions_are_scripts_for_bash_zsh_and_fish() {
    let bash = slsctl(&["completions", "bash"]);
    assert_eq!(bash.status.code(), Some(0));
    let script = text(&bash.stdout);
    assert!(script.contains("--refresh-only") && script.contains("completions"));
    // bash accepts it and registers the completion function.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("slsctl.bash");
    std::fs::write(&file, &script).unwrap();
    let registered = Command::new("bash")
        .args(["--norc", "-c", "source \"$1\" && complete -p slsctl", "_"])
        .arg(&file)
        .output()
        .expect("bash");
    assert!(registered.status.success(), "{}", text(&registered.stderr));
    assert!(
        text(&registered.stdout).contains("_slsctl")
            && text(&registered.stdout).ends_with("slsctl\n"),
        "{}",
        text(&registered.stdout)
    );

    let zsh = text(&slsctl(&["completions", "zsh"]).stdout);
    assert!(zsh.starts_with("#compdef slsctl"), "{zsh}");
    assert!(
        zsh.contains("--parallelism") && zsh.contains("status"),
        "{zsh}"
    );
    let fish = text(&slsctl(&["completions", "fish"]).stdout);
    assert!(
        fish.contains("complete -c slsctl") && fish.contains("-l target"),
        "{fish}"
    );

    let unknown = slsctl(&["completions", "tcsh"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        text(&unknown.stderr).contains("bash, zsh, fish"),
        "{}",
        text(&unknown.stderr)
    );
}

/// Every `-o json` has an `-o yaml` carrying the same document.
#[test]
fn yaml_output_is_the_json_document_in_yaml() {
    let dir = bad_spec();
    let cases: Vec<Vec<&str>> = vec![
        vec!["validate", "-f", "specs/examples/orders"],
        vec!["validate", "-f", dir.path().to_str().unwrap()],
        vec!["cost", "-f", "specs/examples/orders"],
        vec!["policy", "eval", "-f", "specs/examples/orders"],
        vec![
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
        ],
    ];
    for args in cases {
        let json = slsctl(&[args.as_slice(), &["-o", "json"]].concat());
        let yaml = slsctl(&[args.as_slice(), &["-o", "yaml"]].concat());
        assert_eq!(json.status.code(), yaml.status.code(), "{args:?}");
        serde_json::from_slice::<serde_json::Value>(&json.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}"));
        // JSON is YAML too: read both with the same parser, so that floats compare exactly
        // (serde_json's default float parsing may round the last digit differently).
        let from_json: serde_json::Value =
            serde_saphyr::from_slice(&json.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        let from_yaml: serde_json::Value = serde_saphyr::from_slice(&yaml.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}\n{}", text(&yaml.stdout)));
        assert_eq!(from_json, from_yaml, "{args:?}");
        assert!(
            !text(&yaml.stdout).trim_start().starts_with('{'),
            "{args:?}: block YAML"
        );
    }
}

#[test]
fn slsctl_log_prints_logs_on_stderr_for_any_command() {
    let quiet = slsctl_with_env(&["validate", "-f", "specs/examples/orders"], &[]);
    // Without SLSCTL_LOG no log line: only the example's policy warning (validate evaluates the
    // policy pack) reaches stderr.
    assert!(
        text(&quiet.stderr)
            .lines()
            .all(|l| l.starts_with("warning: policy: ")),
        "{}",
        text(&quiet.stderr)
    );
    let debug = slsctl_with_env(
        &["validate", "-f", "specs/examples/orders"],
        &[("SLSCTL_LOG", "debug")],
    );
    assert_eq!(debug.status.code(), Some(0));
    let stderr = text(&debug.stderr);
    assert!(
        stderr.contains("DEBUG")
            && stderr.contains("slsctl started")
            && stderr.contains("command=validate"),
        "{stderr}"
    );
    assert!(
        !text(&debug.stdout).contains("DEBUG"),
        "logs stay off stdout"
    );
    let info = slsctl_with_env(
        &["validate", "-f", "specs/examples/orders"],
        &[("SLSCTL_LOG", "info")],
    );
    assert!(
        !text(&info.stderr).contains("DEBUG"),
        "{}",
        text(&info.stderr)
    );
    let typo = slsctl_with_env(
        &["validate", "-f", "specs/examples/orders"],
        &[("SLSCTL_LOG", "loud")],
    );
    assert_eq!(typo.status.code(), Some(0));
    assert!(
        text(&typo.stderr).contains("SLSCTL_LOG=\"loud\" is not a level"),
        "{}",
        text(&typo.stderr)
    );
}

#[test]
fn a_quota_share_outside_zero_to_one_is_refused_with_a_hint() {
    for bad in ["1.5", "0", "half"] {
        let refused = slsctl_with_env(
            &["validate", "-f", "specs/examples/orders"],
            &[("SLSCTL_QUOTA_SHARE", bad)],
        );
        let stderr = text(&refused.stderr);
        assert_eq!(refused.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains(&format!("SLSCTL_QUOTA_SHARE={bad:?} is not a share")),
            "{stderr}"
        );
        assert!(stderr.contains("hint: use a number above 0"), "{stderr}");
    }
    let taken = slsctl_with_env(
        &["validate", "-f", "specs/examples/orders"],
        &[("SLSCTL_QUOTA_SHARE", "0.5")],
    );
    assert_eq!(taken.status.code(), Some(0), "{}", text(&taken.stderr));
}

#[test]
fn new_flags_are_checked_before_anything_is_read() {
    let zero = slsctl(&["apply", "-f", "specs/examples/orders", "--parallelism", "0"]);
    assert_eq!(zero.status.code(), Some(1));
    assert!(
        text(&zero.stderr).contains("--parallelism"),
        "{}",
        text(&zero.stderr)
    );
    let target = slsctl(&[
        "plan",
        "-f",
        "specs/examples/orders",
        "--target",
        "create-order",
    ]);
    assert_eq!(target.status.code(), Some(1));
    let stderr = text(&target.stderr);
    assert!(
        stderr.contains("--target takes KIND/NAME, not `create-order`")
            && stderr.contains("hint: KIND is one of Function, Layer, Queue"),
        "{stderr}"
    );
    let saved = slsctl(&[
        "plan",
        "-f",
        "specs/examples/orders",
        "--refresh-only",
        "--out",
        "plan.json",
    ]);
    assert_eq!(
        saved.status.code(),
        Some(1),
        "a drift report cannot be saved for apply"
    );
}

#[test]
fn every_new_command_and_flag_has_help_with_examples() {
    for (args, expected) in [
        (
            &["plan", "--help"][..],
            &[
                "--target Function/create-order",
                "--refresh-only --detailed-exitcode",
                "drift only",
            ][..],
        ),
        (
            &["apply", "--help"][..],
            &["--parallelism 1", "-o json", "--target Queue/order-events"][..],
        ),
        (&["destroy", "--help"][..], &["-o json"][..]),
        (
            &["get", "--help"][..],
            &["slsctl get -f", "slsctl status -f", "not-in-spec"][..],
        ),
        (
            &["completions", "--help"][..],
            &["completions bash", "completions zsh", "completions fish"][..],
        ),
        (&["--help"][..], &["NO_COLOR", "SLSCTL_LOG", "--color"][..]),
    ] {
        let help = text(&slsctl(args).stdout);
        for want in expected {
            assert!(help.contains(want), "{args:?} lacks {want:?}: {help}");
        }
    }
}

#[test]
fn diagram_draws_the_example_in_every_format() {
    let out = slsctl(&["diagram", "-f", "specs/examples/orders"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mermaid = text(&out.stdout);
    assert!(mermaid.starts_with("flowchart LR\n"), "{mermaid}");
    assert!(mermaid.contains("|\"POST /orders\"|"), "{mermaid}");
    let dir = tempfile::tempdir().unwrap();
    for (format, start) in [("drawio", "<mxfile"), ("svg", "<svg ")] {
        let path = dir.path().join(format!("orders.{format}"));
        let out = slsctl(&[
            "diagram",
            "-f",
            "specs/examples/orders",
            "-o",
            format,
            "--out",
            path.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let written = std::fs::read_to_string(&path).unwrap();
        assert!(written.starts_with(start), "{format}: {}", &written[..40]);
        // The package sizes are measured from the code directories.
        assert!(written.contains("code "), "{format}");
    }
    let invalid = slsctl(&["diagram", "-f", "tests/no-such-dir"]);
    assert_eq!(invalid.status.code(), Some(1));
}

/// A SAM template in the blueprint's shape becomes a valid stack: functions with their events,
/// Globals, layers, alias and provisioned concurrency; tables, queues with their redrive, a bus
/// and rules; the API the routes go through. What has no equivalent is listed with its line.
#[test]
fn import_sam_writes_a_valid_stack_and_lists_what_it_did_not_convert() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("orders");
    let imported = slsctl(&[
        "import",
        "sam",
        "tests/data/sam/template.yaml",
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = text(&imported.stderr);
    assert_eq!(imported.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(
            "tests/data/sam/template.yaml:117: Alerts: AWS::SNS::Topic has no slsctl kind"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("template.yaml:27: CreateOrderFunction: Policies:"),
        "{stderr}"
    );
    let (stack, _) = slsctl::kinds::load_stack(&out)
        .unwrap_or_else(|(d, s)| panic!("{}", d.render(&|p| s.get(p))));
    assert_eq!(stack.name, "orders");
    let written: Vec<String> = stack
        .resources
        .iter()
        .filter(|r| r.derived_from.is_none())
        .map(|r| r.id.to_string())
        .collect();
    assert_eq!(
        written,
        [
            "Layer/shared-layer",
            "Queue/order-events",
            "Queue/order-events-dlq",
            "Table/orders-table",
            "Table/sessions",
            "EventBus/orders-bus",
            "Function/create-order-function",
            "Function/worker-function",
            "Rule/worker-function-nightly",
            "Rule/worker-function-placed",
            "Api/orders-api",
        ]
    );
    let function = |name: &str| match &stack
        .get(&slsctl::model::ResourceId::new(
            slsctl::model::Kind::Function,
            name,
        ))
        .unwrap()
        .spec
    {
        slsctl::model::ResourceSpec::Function(f) => f.clone(),
        _ => unreachable!(),
    };
    let create = function("create-order-function");
    // Globals reach the function; its own settings win.
    assert_eq!((create.memory_size, create.timeout), (512, 10));
    assert_eq!(
        create
            .alias
            .as_ref()
            .and_then(|a| a.provisioned_concurrency.as_ref())
            .map(|pc| pc.baseline),
        Some(2)
    );
    assert_eq!(create.environment.len(), 4, "{:?}", create.environment);
    let worker = function("worker-function");
    assert_eq!(worker.triggers.len(), 1);
    assert!(worker.triggers[0].report_batch_item_failures);
    // The code was copied into the stack, so it is zipped from there.
    assert!(out.join("functions/worker-function/app.py").exists());
    assert!(out.join("layers/shared-layer/python/common.py").exists());
    // Formatted like a hand-written spec: the header first, lists of scalars inline.
    let functions = std::fs::read_to_string(out.join("functions.yaml")).unwrap();
    assert!(
        functions.starts_with("apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata:\n  name: create-order-function\nspec:\n  handler: app.handler\n"),
        "{functions}"
    );
    assert!(
        functions.contains("  layers: [shared-layer]\n"),
        "{functions}"
    );
}
