//! Secret canaries: values listed in `sensitiveEnvironment` appear in no output — human and JSON
//! plans, saved plan files, apply and destroy output, validation errors, cost and policy
//! output, and the controller's logs (at trace level), metrics, API and status page. (The AWS
//! error that echoes the environment is in tests/engine_mocked.rs.)

mod support;

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use support::{create_role, slsctl, unique, write, Emulator};

const FIRST: &str = "canary-first-6d1f0b";
const SECOND: &str = "canary-second-93ac27";

fn function(secret: &str) -> String {
    format!(
        "apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {{name: payments}}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {{path: src}}\n  role: arn:aws:iam::123456789012:role/canary-role\n  environment: {{API_KEY: {secret}, LOG_LEVEL: info}}\n  sensitiveEnvironment: [API_KEY]\n"
    )
}

fn stack_yaml(name: &str) -> String {
    format!("apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {{name: {name}}}\nspec: {{region: us-east-1}}\n")
}

fn assert_clean(what: &str, text: &str) {
    for canary in [FIRST, SECOND] {
        assert!(
            !text.contains(canary),
            "{what} shows a secret ({canary}):\n{text}"
        );
    }
}

fn assert_output_clean(what: &str, output: &Output) {
    assert_clean(
        &format!("{what} stdout"),
        &String::from_utf8_lossy(&output.stdout),
    );
    assert_clean(
        &format!("{what} stderr"),
        &String::from_utf8_lossy(&output.stderr),
    );
}

/// Every CLI command over a function whose secret is created and then changed.
#[test]
fn no_cli_output_shows_a_sensitive_value() {
    create_role(&Emulator::shared().endpoint, "canary-role");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let path = root.to_str().unwrap();
    write(root, "stack.yaml", &stack_yaml(&unique("canary")));
    write(root, "fn.yaml", &function(FIRST));
    write(root, "src/app.py", "def handler(e, c):\n    return e\n");
    let saved = root.join("plan.json");
    let saved_path = saved.to_str().unwrap();

    let mut outputs = vec![
        ("validate", slsctl(&["validate", "-f", path])),
        (
            "validate -o json",
            slsctl(&["validate", "-f", path, "-o", "json"]),
        ),
        ("plan", slsctl(&["plan", "-f", path])),
        ("plan -o json", slsctl(&["plan", "-f", path, "-o", "json"])),
        (
            "plan --out",
            slsctl(&["plan", "-f", path, "--out", saved_path]),
        ),
    ];
    assert_clean("the saved plan", &std::fs::read_to_string(&saved).unwrap());
    let applied = slsctl(&["apply", "-f", path, "--auto-approve", saved_path]);
    assert_eq!(
        applied.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&applied.stderr)
    );
    outputs.push(("apply PLANFILE", applied));
    outputs.push((
        "plan after apply",
        slsctl(&["plan", "-f", path, "-o", "json"]),
    ));

    // The secret changes: the plan says so without showing either value.
    write(root, "fn.yaml", &function(SECOND));
    let changed = slsctl(&["plan", "-f", path]);
    let text = String::from_utf8_lossy(&changed.stdout).into_owned();
    assert!(text.contains("environment.API_KEY"), "{text}");
    assert!(text.contains("(sensitive)"), "{text}");
    outputs.push(("plan of a changed secret", changed));
    outputs.push((
        "plan -o json of a changed secret",
        slsctl(&["plan", "-f", path, "-o", "json"]),
    ));
    outputs.push((
        "plan -o yaml of a changed secret",
        slsctl(&["plan", "-f", path, "-o", "yaml"]),
    ));
    outputs.push(("get of a changed secret", slsctl(&["get", "-f", path])));
    // The apply of the new secret, with every log the SDK and slsctl write, and its report.
    outputs.push((
        "apply -o json with SLSCTL_LOG=trace",
        support::slsctl_command()
            .args(["apply", "-f", path, "--auto-approve", "-o", "json"])
            .env("SLSCTL_LOG", "trace")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap(),
    ));
    outputs.push(("get -o yaml", slsctl(&["get", "-f", path, "-o", "yaml"])));
    outputs.push(("cost", slsctl(&["cost", "-f", path, "--explain"])));
    outputs.push(("cost -o json", slsctl(&["cost", "-f", path, "-o", "json"])));
    outputs.push((
        "policy eval",
        slsctl(&["policy", "eval", "-f", path, "-o", "json"]),
    ));
    outputs.push((
        "destroy",
        slsctl(&["destroy", "-f", path, "--auto-approve"]),
    ));
    for (what, output) in &outputs {
        assert_output_clean(what, output);
    }

    // A validation error on the secret's own line: the snippet is masked, columns kept.
    let padded = function(SECOND).replace(
        "LOG_LEVEL: info",
        &format!("LOG_LEVEL: {}", "x".repeat(4200)),
    );
    write(root, "fn.yaml", &padded);
    for args in [
        vec!["validate", "-f", path],
        vec!["plan", "-f", path],
        vec!["validate", "-f", path, "-o", "json"],
    ] {
        let output = slsctl(&args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            stderr.contains("4 KB") || stdout.contains("4 KB"),
            "{args:?}: {stderr}{stdout}"
        );
        assert_output_clean(&format!("{args:?} with an invalid environment"), &output);
    }
    let shown = slsctl(&["validate", "-f", path]);
    assert!(
        String::from_utf8_lossy(&shown.stderr).contains(&"*".repeat(SECOND.len())),
        "the snippet masks the value in place: {}",
        String::from_utf8_lossy(&shown.stderr)
    );
}

/// The controller binary, logging JSON at trace level, reconciling a function whose secret is
/// created and then changed: nothing it prints or serves shows either value.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_controller_output_shows_a_sensitive_value() {
    let emulator = Emulator::shared();
    create_role(&emulator.endpoint, "canary-role");
    let sdk = emulator.sdk_config().await;
    let s3 = slsctl::source::s3::client(&sdk);
    let bucket = unique("specs");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let name = unique("ctlcanary");
    let put = |key: &'static str, body: String| {
        let s3 = s3.clone();
        let bucket = bucket.clone();
        async move {
            s3.put_object()
                .bucket(bucket)
                .key(key)
                .body(body.into_bytes().into())
                .send()
                .await
                .unwrap();
        }
    };
    put("s/stack.yaml", stack_yaml(&name)).await;
    put("s/fn.yaml", function(FIRST)).await;
    put("s/src/app.py", "def handler(e, c):\n    return e\n".into()).await;

    let dir = tempfile::tempdir().unwrap();
    let (mut command, port) = support::controller(
        dir.path(),
        &format!("stacks:\n  - {{name: s, s3: {{bucket: {bucket}, prefix: s/}}, intervalSeconds: 1}}\neventsBus: default\n"),
    );
    let mut child = command
        .env("SLSCTL_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Drained while it runs: trace logs would fill the pipe and stall the controller.
    let drain = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout_reader = drain(Box::new(child.stdout.take().unwrap()));
    let stderr_reader = drain(Box::new(child.stderr.take().unwrap()));
    let get = |path: &'static str| support::http_get(port, path);
    let revision_of = |api: &str| -> Option<String> {
        let value: serde_json::Value = serde_json::from_str(api).ok()?;
        value["s"]["revision"].as_str().map(str::to_string)
    };
    let wait_synced = |previous: Option<String>| async move {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(api) = get("/api/stacks").await {
                let revision = revision_of(&api);
                if revision.is_some() && revision != previous && api.contains("\"synced\":true") {
                    return revision;
                }
            }
            assert!(tokio::time::Instant::now() < deadline, "never reconciled");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    let first = wait_synced(None).await;
    put("s/fn.yaml", function(SECOND)).await;
    wait_synced(first).await;

    for path in ["/api/stacks", "/metrics", "/"] {
        let body = get(path).await.expect("served");
        assert_clean(path, &body);
    }
    let page = get("/").await.unwrap();
    assert!(
        page.contains("(sensitive)"),
        "the diff is on the page, masked: {page}"
    );
    sigterm(child.id());
    child.wait().unwrap();
    let stdout = stdout_reader.join().unwrap();
    let logs = stderr_reader.join().unwrap();
    assert!(logs.lines().count() > 20, "trace logs were written: {logs}");
    assert_clean("the controller's stdout", &stdout);
    assert_clean("the controller's trace logs", &logs);
}

fn sigterm(pid: u32) {
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}
