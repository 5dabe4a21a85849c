//! `slsctl plan` / `apply` / `destroy` as a CI job runs them: exit codes, saved plans,
//! confirmation, against the emulator.

mod support;

use std::process::Stdio;

use support::{create_role, slsctl, spec_dir, unique, Emulator};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn stack(name: &str, delay: u32) -> tempfile::TempDir {
    create_role(&Emulator::shared().endpoint, "cli-role");
    spec_dir(&[
        ("stack.yaml", &format!("apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {{name: {name}}}\nspec: {{region: us-east-1}}\n")),
        (
            "r.yaml",
            &format!(
                "apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {{name: jobs}}\nspec: {{delaySeconds: {delay}}}\n---\n\
                 apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {{name: worker}}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {{path: src}}\n  role: arn:aws:iam::123456789012:role/cli-role\n  environment: {{TOKEN: hunter2-canary}}\n  sensitiveEnvironment: [TOKEN]\n"
            ),
        ),
        ("src/app.py", "def handler(e, c):\n    return e\n"),
    ])
}

#[test]
fn plan_apply_plan_with_the_exit_codes_ci_uses() {
    let dir = stack(&unique("cli"), 0);
    let path = dir.path().to_str().unwrap();

    let planned = slsctl(&["plan", "-f", path, "--detailed-exitcode"]);
    assert_eq!(
        planned.status.code(),
        Some(2),
        "changes present: {}",
        text(&planned.stderr)
    );
    let stdout = text(&planned.stdout);
    assert!(
        stdout.contains("+ Queue/jobs") && stdout.contains("Plan: 2 to create"),
        "{stdout}"
    );
    assert!(
        stdout.contains("environment.TOKEN = (sensitive)"),
        "{stdout}"
    );

    let json = slsctl(&["plan", "-f", path, "-o", "json"]);
    assert_eq!(json.status.code(), Some(0));
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON plan");
    assert_eq!(value["summary"]["create"], 2);

    // No confirmation possible without a terminal: refused, nothing created.
    let refused = slsctl(&["apply", "-f", path]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("--auto-approve"),
        "{}",
        text(&refused.stderr)
    );
    assert_eq!(
        slsctl(&["plan", "-f", path, "--detailed-exitcode"])
            .status
            .code(),
        Some(2)
    );

    let applied = slsctl(&["apply", "-f", path, "--auto-approve"]);
    assert_eq!(applied.status.code(), Some(0), "{}", text(&applied.stderr));
    assert!(
        text(&applied.stderr).contains("Apply: 2 done, 0 failed, 0 skipped."),
        "{}",
        text(&applied.stderr)
    );

    let empty = slsctl(&["plan", "-f", path, "--detailed-exitcode"]);
    assert_eq!(empty.status.code(), Some(0), "{}", text(&empty.stdout));
    assert!(text(&empty.stdout).contains("No changes."));

    // The secret never appears in any output.
    for output in [&planned, &json, &refused, &applied, &empty] {
        assert!(!text(&output.stdout).contains("hunter2-canary"));
        assert!(!text(&output.stderr).contains("hunter2-canary"));
    }
}

#[test]
fn a_saved_plan_is_refused_when_aws_changed_since() {
    let name = unique("saved");
    let dir = stack(&name, 0);
    let path = dir.path().to_str().unwrap();
    assert_eq!(
        slsctl(&["apply", "-f", path, "--auto-approve"])
            .status
            .code(),
        Some(0)
    );

    std::fs::write(
        dir.path().join("r.yaml"),
        std::fs::read_to_string(dir.path().join("r.yaml"))
            .unwrap()
            .replace("delaySeconds: 0", "delaySeconds: 5"),
    )
    .unwrap();
    let plan_file = dir.path().join("plan.json");
    let saved = slsctl(&["plan", "-f", path, "--out", plan_file.to_str().unwrap()]);
    assert_eq!(saved.status.code(), Some(0));

    // Someone changes the queue between plan and apply.
    let emulator = Emulator::shared();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let clients = slsctl::aws::Clients::new(&emulator.sdk_config().await);
        let url = slsctl::aws::sqs::get_queue_url(&clients, &format!("{name}-jobs"))
            .await
            .unwrap()
            .unwrap();
        clients
            .sqs
            .set_queue_attributes()
            .queue_url(url)
            .attributes(
                aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout,
                "99",
            )
            .send()
            .await
            .unwrap();
    });
    let stale = slsctl(&["apply", "-f", path, plan_file.to_str().unwrap()]);
    assert_eq!(stale.status.code(), Some(1));
    assert!(
        text(&stale.stderr).contains("AWS changed since the plan was made"),
        "{}",
        text(&stale.stderr)
    );

    // A fresh plan, saved and applied right away, goes through.
    let saved = slsctl(&["plan", "-f", path, "--out", plan_file.to_str().unwrap()]);
    assert_eq!(saved.status.code(), Some(0));
    let applied = slsctl(&["apply", "-f", path, plan_file.to_str().unwrap()]);
    assert_eq!(applied.status.code(), Some(0), "{}", text(&applied.stderr));
    assert_eq!(
        slsctl(&["plan", "-f", path, "--detailed-exitcode"])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn destroy_removes_what_the_stack_owns() {
    let dir = stack(&unique("destroy"), 0);
    let path = dir.path().to_str().unwrap();
    assert_eq!(
        slsctl(&["apply", "-f", path, "--auto-approve"])
            .status
            .code(),
        Some(0)
    );
    let destroyed = slsctl(&["destroy", "-f", path, "--auto-approve"]);
    assert_eq!(
        destroyed.status.code(),
        Some(0),
        "{}",
        text(&destroyed.stderr)
    );
    assert!(
        text(&destroyed.stdout).contains("2 to delete"),
        "{}",
        text(&destroyed.stdout)
    );
    let after = slsctl(&["plan", "-f", path, "-o", "json"]);
    let value: serde_json::Value = serde_json::from_slice(&after.stdout).unwrap();
    assert_eq!(
        value["summary"]["create"], 2,
        "everything is gone, so a plan recreates it"
    );
}

/// A queue with a dead-letter queue (redrive) that triggers a function: one `destroy` removes
/// all three, referrers first, and exits 0. A queue holding a message is kept, with its DLQ; the
/// rest goes, and destroy exits 1 with a hint that fits each kept queue.
#[test]
fn one_destroy_removes_a_stack_with_redrive_and_a_trigger() {
    create_role(&Emulator::shared().endpoint, "cli-role");
    let name = unique("redrive");
    let dir = spec_dir(&[
        ("stack.yaml", &format!("apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {{name: {name}}}\nspec: {{region: us-east-1}}\n")),
        (
            "r.yaml",
            "apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {name: dlq}\nspec: {}\n---\n\
             apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {name: jobs}\nspec:\n  deadLetter: {queue: dlq, maxReceiveCount: 3}\n---\n\
             apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {name: worker}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {path: src}\n  role: arn:aws:iam::123456789012:role/cli-role\n  triggers:\n    - queue: jobs\n",
        ),
        ("src/app.py", "def handler(e, c):\n    return e\n"),
    ]);
    let path = dir.path().to_str().unwrap();
    let apply_all = || {
        let applied = slsctl(&["apply", "-f", path, "--auto-approve"]);
        assert_eq!(applied.status.code(), Some(0), "{}", text(&applied.stderr));
    };
    let live_creates = || {
        let after = slsctl(&["plan", "-f", path, "-o", "json"]);
        let value: serde_json::Value = serde_json::from_slice(&after.stdout).unwrap();
        value["summary"]["create"].as_u64().unwrap()
    };

    apply_all();
    let destroyed = slsctl(&["destroy", "-f", path, "--auto-approve"]);
    let (stdout, stderr) = (text(&destroyed.stdout), text(&destroyed.stderr));
    assert_eq!(destroyed.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("3 to delete"), "{stdout}");
    assert!(
        !stdout.contains("Refused") && !stdout.contains("not deleted"),
        "{stdout}"
    );
    assert!(
        stderr.contains("Apply: 3 done, 0 failed, 0 skipped."),
        "{stderr}"
    );
    assert_eq!(live_creates(), 3, "everything is gone after one destroy");

    // Again, with a message waiting in `jobs`.
    apply_all();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let clients = slsctl::aws::Clients::new(&Emulator::shared().sdk_config().await);
        let url = slsctl::aws::sqs::get_queue_url(&clients, &format!("{name}-jobs"))
            .await
            .unwrap()
            .unwrap();
        clients
            .sqs
            .send_message()
            .queue_url(url)
            .message_body("order 1")
            .send()
            .await
            .unwrap();
    });
    let destroyed = slsctl(&["destroy", "-f", path, "--auto-approve"]);
    let (stdout, stderr) = (text(&destroyed.stdout), text(&destroyed.stderr));
    assert_eq!(
        destroyed.status.code(),
        Some(1),
        "something it meant to delete is left: {stdout}{stderr}"
    );
    assert!(
        !stdout.contains("nothing will be applied"),
        "the function is deleted in this run: {stdout}"
    );
    assert!(stdout.contains("- Function/worker"), "{stdout}");
    assert!(
        stdout.contains("Queue/jobs is not deleted: it holds 1 messages\n    hint: drain it first"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "Queue/dlq is not deleted: the redrive of {name}-jobs still points at it (Queue/jobs not deleted)\n    hint: it is deleted once what points at it can be deleted"
        )),
        "an empty queue is not told to drain: {stdout}"
    );
    assert!(
        stderr.contains("Apply: 1 done, 0 failed, 0 skipped."),
        "{stderr}"
    );
    assert!(
        stderr.contains("Destroy incomplete: 2 resources were kept"),
        "{stderr}"
    );
    assert_eq!(live_creates(), 1, "only the function is gone");
}

/// The plan prices the change, and a plan whose estimate exceeds the stack's budget is refused
/// with the largest items; nothing is applied from it.
#[test]
fn a_plan_shows_its_cost_and_one_over_budget_is_refused() {
    create_role(&Emulator::shared().endpoint, "cli-role");
    let name = unique("budget");
    let doc = |budget: u32| {
        spec_dir(&[
            ("stack.yaml", &format!("apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {{name: {name}}}\nspec: {{region: us-east-1, budget: {{monthlyUSD: {budget}}}}}\n")),
            (
                "f.yaml",
                "apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {name: worker}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {path: src}\n  role: arn:aws:iam::123456789012:role/cli-role\n  memorySize: 1024\n  traffic: {requestsPerMonth: 11000000, averageDurationMs: 100}\n",
            ),
            ("src/app.py", "def handler(e, c):\n    return e\n"),
        ])
    };
    // 10M billable requests × $0.20/M = $2.00; 1.1M GB-s − 400,000 free = 700,000 × $0.0000166667 = $11.67.
    let tight = doc(5);
    let path = tight.path().to_str().unwrap();
    let planned = slsctl(&["plan", "-f", path]);
    assert_eq!(planned.status.code(), Some(1), "{}", text(&planned.stderr));
    let stdout = text(&planned.stdout);
    assert!(
        stdout.contains("the estimated cost, $13.67 a month, exceeds the budget of $5.00 (largest: Function/worker $13.67)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Cost: $0.00 → $13.67 a month (+$13.67; budget $5.00)"),
        "{stdout}"
    );
    let refused = slsctl(&["apply", "-f", path, "--auto-approve"]);
    assert_eq!(refused.status.code(), Some(1));
    let roomy = doc(50);
    let planned = slsctl(&[
        "plan",
        "-f",
        roomy.path().to_str().unwrap(),
        "--detailed-exitcode",
    ]);
    assert_eq!(planned.status.code(), Some(2), "{}", text(&planned.stdout));
    assert!(
        text(&planned.stdout).contains("+ Function/worker"),
        "nothing was created by the refused apply: {}",
        text(&planned.stdout)
    );
}

/// A policy deny fails the plan with the resource's file:line, and apply refuses it.
#[test]
fn a_policy_deny_fails_the_plan_and_apply_refuses_it() {
    let name = unique("policy");
    let dir = spec_dir(&[
        ("stack.yaml", &format!("apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {{name: {name}}}\nspec: {{region: us-east-1}}\n")),
        ("t.yaml", "apiVersion: slsctl.dev/v1alpha1\nkind: Table\nmetadata: {name: app}\nspec:\n  partitionKey: {name: pk, type: S}\n  deletionProtection: false\n"),
    ]);
    let path = dir.path().to_str().unwrap();
    let planned = slsctl(&["plan", "-f", path]);
    assert_eq!(planned.status.code(), Some(1));
    let stdout = text(&planned.stdout).replace(path, "<root>");
    assert!(
        stdout.contains("! policy: <root>/t.yaml:3:12: table `app` has no point-in-time recovery"),
        "{stdout}"
    );
    let refused = slsctl(&["apply", "-f", path, "--auto-approve"]);
    assert_eq!(refused.status.code(), Some(1));
    // Fixed in the spec: the plan goes through.
    std::fs::write(
        dir.path().join("t.yaml"),
        "apiVersion: slsctl.dev/v1alpha1\nkind: Table\nmetadata: {name: app}\nspec:\n  partitionKey: {name: pk, type: S}\n  deletionProtection: false\n  pointInTimeRecovery: true\n",
    )
    .unwrap();
    let planned = slsctl(&["plan", "-f", path, "--detailed-exitcode"]);
    assert_eq!(planned.status.code(), Some(2), "{}", text(&planned.stdout));
    assert!(
        text(&planned.stdout).contains("+ Table/app"),
        "nothing was created before"
    );
}

/// `slsctl apply` SIGKILLed right after its k-th action finished (others may be in flight),
/// for every k: the next `apply` converges, the plan after it is empty, and the queue has
/// exactly one consumer.
#[test]
fn an_apply_sigkilled_at_every_action_boundary_converges_on_the_next_run() {
    use std::io::BufRead;
    create_role(&Emulator::shared().endpoint, "cli-role");
    let resources = "apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {name: jobs}\nspec: {deadLetter: {queue: dlq, maxReceiveCount: 3}}\n---\n\
        apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {name: dlq}\nspec: {}\n---\n\
        apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {name: worker}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {path: src}\n  role: arn:aws:iam::123456789012:role/cli-role\n  triggers: [{queue: jobs}]\n---\n\
        apiVersion: slsctl.dev/v1alpha1\nkind: Table\nmetadata: {name: orders}\nspec: {partitionKey: {name: pk, type: S}, deletionProtection: false, pointInTimeRecovery: true}\n---\n\
        apiVersion: slsctl.dev/v1alpha1\nkind: EventBus\nmetadata: {name: events}\nspec: {}\n---\n\
        apiVersion: slsctl.dev/v1alpha1\nkind: Rule\nmetadata: {name: placed}\nspec:\n  bus: events\n  pattern: {source: [shop]}\n  targets: [{id: q, queue: jobs}]\n";
    let total = 6;
    let emulator = Emulator::shared();
    for k in 1..total {
        let name = unique("kill");
        let dir = spec_dir(&[
            ("stack.yaml", &format!("apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {{name: {name}}}\nspec: {{region: us-east-1}}\n")),
            ("r.yaml", resources),
            ("src/app.py", "def handler(e, c):\n    return e\n"),
        ]);
        let path = dir.path().to_str().unwrap();
        let mut child = support::slsctl_command()
            .args(["apply", "-f", path, "--auto-approve"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
        let mut done = 0;
        let mut lines = vec![];
        for line in stderr.lines() {
            let line = line.unwrap();
            if line.trim_start().starts_with('✓') {
                done += 1;
            }
            lines.push(line);
            if done == k {
                child.kill().unwrap(); // SIGKILL: no cleanup, no summary
                break;
            }
        }
        let status = child.wait().unwrap();
        assert_eq!(done, k, "the apply reached action {k}: {lines:?}");
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(9),
            "killed, not finished"
        );

        let resumed = slsctl(&["apply", "-f", path, "--auto-approve"]);
        assert_eq!(
            resumed.status.code(),
            Some(0),
            "after a kill at k = {k}: {}",
            text(&resumed.stderr)
        );
        let again = slsctl(&["plan", "-f", path, "--detailed-exitcode"]);
        assert_eq!(
            again.status.code(),
            Some(0),
            "empty plan after k = {k}: {}",
            text(&again.stdout)
        );
        let consumers = std::process::Command::new(support::project_root().join(".venv/bin/python"))
            .args([
                "-c",
                "import sys, boto3; l = boto3.client('lambda', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='t', aws_secret_access_key='t'); print(len(l.list_event_source_mappings(FunctionName=sys.argv[2])['EventSourceMappings']))",
                &emulator.endpoint,
                &format!("{name}-worker"),
            ])
            .output()
            .unwrap();
        assert_eq!(
            text(&consumers.stdout).trim(),
            "1",
            "one trigger after k = {k}: {}",
            text(&consumers.stderr)
        );
    }
}
