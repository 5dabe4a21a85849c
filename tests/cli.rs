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
    assert!(out.stderr.is_empty());
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
