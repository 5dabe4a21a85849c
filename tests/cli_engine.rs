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
        // The queue, the function, the function's own log group and its cold-start metric filter,
        // their alarms (the queue's age, the function's three checks), and the stack's dashboard.
        stdout.contains("+ Queue/jobs") && stdout.contains("Plan: 9 to create"),
        "{stdout}"
    );
    assert!(
        stdout.contains("environment.TOKEN = (sensitive)"),
        "{stdout}"
    );

    let json = slsctl(&["plan", "-f", path, "-o", "json"]);
    assert_eq!(json.status.code(), Some(0));
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON plan");
    assert_eq!(value["summary"]["create"], 9);

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
        text(&applied.stderr).contains("Apply: 9 done, 0 failed, 0 skipped."),
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
    change_visibility_behind_the_spec(&name);
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
    // The queue, the function, its metric filter and the dashboard (its log group is
    // released).
    assert!(
        // The queue and the function, their four alarms, the function's metric filter and the
        // stack's dashboard.
        text(&destroyed.stdout).contains("8 to delete"),
        "{}",
        text(&destroyed.stdout)
    );
    let after = slsctl(&["plan", "-f", path, "-o", "json"]);
    let value: serde_json::Value = serde_json::from_slice(&after.stdout).unwrap();
    assert_eq!(
        value["summary"]["create"], 8,
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
    // The function's log group is released (logs are data: `retain`), the rest deleted, with
    // five alarms (the function's three, each queue's one), the function's metric filter and
    // the stack's dashboard.
    assert!(stdout.contains("10 to delete, 1 to release"), "{stdout}");
    assert!(
        !stdout.contains("Refused") && !stdout.contains("not deleted"),
        "{stdout}"
    );
    assert!(
        stderr.contains("Apply: 11 done, 0 failed, 0 skipped."),
        "{stderr}"
    );
    // Everything is gone after one destroy but the released log group, which the next apply
    // adopts again (it is the function's own `/aws/lambda/` group).
    assert_eq!(live_creates(), 10, "everything is gone after one destroy");

    // Again, with a message waiting in `jobs`.
    apply_all();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let clients = slsctl::aws::Clients::new(&Emulator::shared().sdk_config().await);
        let url = slsctl::kinds::queue::aws::get_queue_url(&clients, &format!("{name}-jobs"))
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
    // The function deleted, its log group released, the five alarms deleted (a kept queue's
    // alarm too: destroy removes every alarm of the stack), its metric filter and the dashboard.
    assert!(
        stderr.contains("Apply: 9 done, 0 failed, 0 skipped."),
        "{stderr}"
    );
    assert!(
        stderr.contains("Destroy incomplete: 2 resources were kept"),
        "{stderr}"
    );
    assert_eq!(
        live_creates(),
        8,
        "only the function, the alarms, its metric filter and the dashboard are gone"
    );
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
    // Its log group: 11M × 1000 B = 10.2445 GB − 5 free = 5.2445 × $0.50 = $2.62, and 30 days
    // of it stored at 0.15 compressed = 1.5367 GB-months × $0.03 = $0.05. The stack's dashboard
    // $3.00 and the function's cold-start metric $0.30.
    let tight = doc(5);
    let path = tight.path().to_str().unwrap();
    let planned = slsctl(&["plan", "-f", path]);
    assert_eq!(planned.status.code(), Some(1), "{}", text(&planned.stderr));
    let stdout = text(&planned.stdout);
    assert!(
        stdout.contains(&format!("the estimated cost, $19.64 a month, exceeds the budget of $5.00 (largest: Function/worker $13.67, Dashboard/{name} $3.00, LogGroup/worker $2.67, MetricFilter/worker $0.30)")),
        "{stdout}"
    );
    assert!(
        stdout.contains("Cost: $0.00 → $19.64 a month (+$19.64; budget $5.00)"),
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
        // On a loaded machine the apply may finish the actions still in flight before the
        // signal lands: then nothing was interrupted, and k is tried again on a fresh stack.
        const TRIES: usize = 3;
        let mut tries = 0;
        let (name, dir) = loop {
            tries += 1;
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
            let killed = std::os::unix::process::ExitStatusExt::signal(&status) == Some(9);
            assert!(
                killed || (status.success() && tries < TRIES),
                "killed, not finished (try {tries} of {TRIES}, {status}): {lines:?}"
            );
            if killed {
                break (name, dir);
            }
        };
        let path = dir.path().to_str().unwrap();

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

/// A stack of queues and a function: `jobs` redrives to `dlq`, `worker` consumes `jobs`,
/// `other` stands alone. `extra` documents are appended.
fn wired_stack(name: &str, jobs_delay: u32, extra: &str) -> tempfile::TempDir {
    create_role(&Emulator::shared().endpoint, "cli-role");
    spec_dir(&[
        ("stack.yaml", &format!("apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {{name: {name}}}\nspec: {{region: us-east-1}}\n")),
        (
            "r.yaml",
            &format!(
                "apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {{name: dlq}}\nspec: {{}}\n---\n\
                 apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {{name: jobs}}\nspec: {{delaySeconds: {jobs_delay}, deadLetter: {{queue: dlq, maxReceiveCount: 3}}}}\n---\n\
                 apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {{name: worker}}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {{path: src}}\n  role: arn:aws:iam::123456789012:role/cli-role\n  triggers: [{{queue: jobs}}]\n  environment: {{TOKEN: hunter2-canary}}\n  sensitiveEnvironment: [TOKEN]\n{extra}"
            ),
        ),
        ("src/app.py", "def handler(e, c):\n    return e\n"),
    ])
}

const OTHER: &str =
    "---\napiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {name: other}\nspec: {}\n";

fn planned_actions(output: &std::process::Output) -> Vec<(String, String)> {
    let value: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&output.stdout), text(&output.stderr)));
    value["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["id"].as_str().unwrap().to_string(),
                a["action"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// `--target` plans and applies a target with what it depends on, and never prunes or changes
/// anything outside the target set.
#[test]
fn target_limits_plan_and_apply_to_the_target_and_its_dependencies() {
    let name = unique("target");
    let dir = wired_stack(&name, 0, OTHER);
    let path = dir.path().to_str().unwrap();

    let planned = slsctl(&["plan", "-f", path, "--target", "Queue/jobs", "-o", "json"]);
    assert_eq!(planned.status.code(), Some(0), "{}", text(&planned.stderr));
    assert_eq!(
        planned_actions(&planned),
        pairs(&[("Queue/dlq", "create"), ("Queue/jobs", "create")]),
        "jobs and the queue it redrives to; not its consumer, not the unrelated queue"
    );
    let applied = slsctl(&[
        "apply",
        "-f",
        path,
        "--target",
        "Queue/jobs",
        "--auto-approve",
    ]);
    assert_eq!(applied.status.code(), Some(0), "{}", text(&applied.stderr));
    assert!(
        text(&applied.stdout).contains("the plan is limited to --target Queue/jobs and what it depends on (2 of the stack's resources)"),
        "{}",
        text(&applied.stdout)
    );
    let rest = slsctl(&["plan", "-f", path, "-o", "json"]);
    assert_eq!(
        planned_actions(&rest),
        pairs(&[
            ("Queue/other", "create"),
            ("LogGroup/worker", "create"),
            ("Function/worker", "create"),
            // Alarms and metric filters come after what they watch: a target never brings them.
            ("Alarm/Function/worker/duration", "create"),
            ("Alarm/Function/worker/errorRate", "create"),
            ("Alarm/Function/worker/throttles", "create"),
            ("Alarm/Queue/dlq/deadLetters", "create"),
            ("Alarm/Queue/jobs/age", "create"),
            ("Alarm/Queue/other/age", "create"),
            ("MetricFilter/worker", "create"),
            (format!("Dashboard/{name}").as_str(), "create"),
        ]),
    );

    // Everything applied; then `other` leaves the spec and `jobs` changes. A plan targeting
    // `jobs` changes it and prunes nothing.
    assert_eq!(
        slsctl(&["apply", "-f", path, "--auto-approve"])
            .status
            .code(),
        Some(0)
    );
    let changed = wired_stack(&name, 5, "");
    let changed_path = changed.path().to_str().unwrap();
    let targeted = slsctl(&[
        "plan",
        "-f",
        changed_path,
        "--target",
        "Queue/jobs",
        "-o",
        "json",
    ]);
    assert_eq!(
        planned_actions(&targeted),
        pairs(&[("Queue/jobs", "update")])
    );
    let full = slsctl(&["plan", "-f", changed_path, "-o", "json"]);
    assert_eq!(
        planned_actions(&full),
        // The dashboard loses the pruned queue's row.
        pairs(&[
            ("Queue/other", "delete"),
            ("Alarm/Queue/other/age", "delete"),
            ("Queue/jobs", "update"),
            (format!("Dashboard/{name}").as_str(), "update")
        ]),
        "the full plan prunes `other`, and its alarm"
    );
    // The owned resource that left the spec can itself be the target.
    let prune = slsctl(&[
        "plan",
        "-f",
        changed_path,
        "--target",
        "Queue/other",
        "-o",
        "json",
    ]);
    assert_eq!(planned_actions(&prune), pairs(&[("Queue/other", "delete")]));
    let unknown = slsctl(&["plan", "-f", changed_path, "--target", "Queue/nope"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        text(&unknown.stderr).contains("--target Queue/nope: no such resource"),
        "{}",
        text(&unknown.stderr)
    );

    // A saved targeted plan is applied with its own --target flags, and only with them.
    let plan_file = changed.path().join("plan.json");
    let plan_file = plan_file.to_str().unwrap();
    let saved = slsctl(&[
        "plan",
        "-f",
        changed_path,
        "--target",
        "Queue/jobs",
        "--out",
        plan_file,
    ]);
    assert_eq!(saved.status.code(), Some(0), "{}", text(&saved.stderr));
    let untargeted = slsctl(&["apply", "-f", changed_path, plan_file]);
    assert_eq!(untargeted.status.code(), Some(1));
    assert!(
        text(&untargeted.stderr).contains("the plan was saved with other --target flags (the plan is limited to --target Queue/jobs and"),
        "{}",
        text(&untargeted.stderr)
    );
    let applied = slsctl(&[
        "apply",
        "-f",
        changed_path,
        "--target",
        "Queue/jobs",
        plan_file,
    ]);
    assert_eq!(applied.status.code(), Some(0), "{}", text(&applied.stderr));
    let after = slsctl(&["plan", "-f", changed_path, "-o", "json"]);
    assert_eq!(
        planned_actions(&after),
        // The dashboard was outside the target too: it still shows `other`.
        pairs(&[
            ("Queue/other", "delete"),
            ("Alarm/Queue/other/age", "delete"),
            (format!("Dashboard/{name}").as_str(), "update")
        ]),
        "jobs was updated, other still waits for its prune"
    );
}

/// `--refresh-only` shows what AWS changed behind the spec, and neither creations of missing
/// resources nor deletions of ones that left the spec; `get` says the same per resource.
#[test]
fn refresh_only_shows_drift_only_and_get_lists_each_resources_state() {
    let name = unique("drift");
    let dir = wired_stack(&name, 0, "");
    let path = dir.path().to_str().unwrap();
    assert_eq!(
        slsctl(&["apply", "-f", path, "--auto-approve"])
            .status
            .code(),
        Some(0)
    );

    let clean = slsctl(&["plan", "-f", path, "--refresh-only", "--detailed-exitcode"]);
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean.stdout));
    let status = slsctl(&["get", "-f", path, "-o", "json"]);
    assert_eq!(status.status.code(), Some(0), "{}", text(&status.stderr));
    let value: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    // The two queues, the function, its own log group and its metric filter, five alarms (the
    // function's three, the queue's age, the dead-letter queue's messages), and the dashboard.
    assert_eq!(value["summary"]["inSync"], 11, "{value}");
    for row in value["resources"].as_array().unwrap() {
        assert_eq!(row["state"], "in-sync", "{row}");
        assert!(
            row["arn"].as_str().unwrap().starts_with("arn:aws:"),
            "{row}"
        );
    }

    // AWS moves behind the spec; the spec gains a queue that does not exist yet.
    change_visibility_behind_the_spec(&name);
    let grown = wired_stack(&name, 0, OTHER);
    let grown_path = grown.path().to_str().unwrap();
    let drift = slsctl(&["plan", "-f", grown_path, "--refresh-only", "-o", "json"]);
    assert_eq!(drift.status.code(), Some(0), "{}", text(&drift.stderr));
    // The dashboard's body follows the spec's new queue: refresh-only cannot tell a derived
    // resource's change from drift (as for a derived role's policy), so it shows it too.
    assert_eq!(
        planned_actions(&drift),
        pairs(&[
            ("Queue/jobs", "update"),
            (format!("Dashboard/{name}").as_str(), "update")
        ])
    );
    let value: serde_json::Value = serde_json::from_slice(&drift.stdout).unwrap();
    let fields: Vec<&str> = value["actions"][0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["visibilityTimeout"]);
    assert_eq!(value["summary"]["create"], 0);
    let text_plan = slsctl(&[
        "plan",
        "-f",
        grown_path,
        "--refresh-only",
        "--detailed-exitcode",
    ]);
    assert_eq!(text_plan.status.code(), Some(2), "drift present");
    let stdout = text(&text_plan.stdout);
    assert!(
        stdout.contains("~ Queue/jobs") && !stdout.contains("+ Queue/other"),
        "{stdout}"
    );
    assert!(
        // `other` and its alarm.
        stdout.contains("refresh-only: resources of the spec missing from AWS (not created yet, or deleted outside slsctl): 2;"),
        "{stdout}"
    );

    let status = slsctl(&["get", "-f", grown_path]);
    assert_eq!(status.status.code(), Some(0), "{}", text(&status.stderr));
    let table = text(&status.stdout);
    let line = |resource: &str| {
        table
            .lines()
            .find(|l| l.starts_with(resource))
            .unwrap_or_else(|| panic!("{resource}: {table}"))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    assert_eq!(line("Queue/jobs")[1], "drifted");
    assert!(
        line("Queue/jobs").contains(&"(visibilityTimeout)"),
        "{table}"
    );
    assert_eq!(line("Queue/other")[1..], ["missing", "-"]);
    assert_eq!(line("Queue/dlq")[1], "in-sync");
    assert!(
        line("Function/worker")[2].starts_with("arn:aws:lambda:"),
        "{table}"
    );
    assert_eq!(line("LogGroup/worker")[1], "in-sync");
    assert_eq!(line("Alarm/Queue/jobs/age")[1], "in-sync");
    assert_eq!(line("Alarm/Queue/other/age")[1..], ["missing", "-"]);
    assert_eq!(line("MetricFilter/worker")[1], "in-sync");
    // The dashboard's body wants the spec's new queue (see above).
    assert_eq!(line("Dashboard/")[1], "drifted");
    // Six alarms, the metric filter and the dashboard besides the five resources: `other`'s
    // alarm missing and the dashboard drifted among them.
    assert!(table.contains("13 resources: 9 in sync, 4 not."), "{table}");
    assert!(!table.contains("hunter2-canary"));

    // `status` is `get`; `-o yaml` is the `-o json` document (both read with one parser, so
    // that floats compare exactly), for `get` and for `plan`.
    for args in [
        vec!["get", "-f", grown_path],
        vec!["plan", "-f", grown_path, "--refresh-only"],
    ] {
        let json = slsctl(&[args.as_slice(), &["-o", "json"]].concat());
        let mut yaml_args = args.clone();
        if yaml_args[0] == "get" {
            yaml_args[0] = "status";
        }
        let yaml = slsctl(&[yaml_args.as_slice(), &["-o", "yaml"]].concat());
        assert_eq!(yaml.status.code(), Some(0), "{}", text(&yaml.stderr));
        let from_json: serde_json::Value = serde_saphyr::from_slice(&json.stdout).unwrap();
        let from_yaml: serde_json::Value = serde_saphyr::from_slice(&yaml.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", text(&yaml.stdout)));
        assert_eq!(from_json, from_yaml, "{args:?}");
        assert!(!text(&yaml.stdout).starts_with('{'), "block YAML");
    }
}

/// `-o json` and `-o yaml` on apply and destroy: one document on stdout with the plan and the
/// report; the people's output goes to stderr. `--parallelism 1` runs one action at a time.
#[test]
fn apply_and_destroy_report_as_json_or_yaml_and_parallelism_bounds_the_actions() {
    let name = unique("report");
    let dir = wired_stack(&name, 0, OTHER);
    let path = dir.path().to_str().unwrap();
    let applied = slsctl(&[
        "apply",
        "-f",
        path,
        "--auto-approve",
        "--parallelism",
        "1",
        "-o",
        "json",
    ]);
    assert_eq!(applied.status.code(), Some(0), "{}", text(&applied.stderr));
    let value: serde_json::Value = serde_json::from_slice(&applied.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&applied.stdout)));
    // Three queues, the function, its own log group and its metric filter, six alarms (the
    // function's three checks, two queues' age, the dead-letter queue's messages) and the
    // dashboard.
    assert_eq!(value["plan"]["summary"]["create"], 13);
    assert_eq!(value["report"]["done"], 13);
    assert_eq!(value["report"]["failed"], 0);
    let statuses: Vec<&str> = value["report"]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["outcome"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["done"; 13]);
    let stderr = text(&applied.stderr);
    assert!(
        stderr.contains("+ Queue/jobs (") && stderr.contains("will be created"),
        "the plan for people: {stderr}"
    );
    // One at a time: every start is followed by its end before the next start.
    let progress: Vec<&str> = stderr
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with("+ ") && l.ends_with("Create…") || l.starts_with('✓'))
        .collect();
    assert_eq!(progress.len(), 26, "{stderr}");
    for pair in progress.chunks(2) {
        let started = pair[0].trim_start_matches("+ ").split(':').next().unwrap();
        assert!(
            pair[1].starts_with(&format!("✓ {started} (")),
            "{progress:?}"
        );
    }
    assert!(
        !text(&applied.stdout).contains("hunter2-canary") && !stderr.contains("hunter2-canary")
    );

    let again = slsctl(&["apply", "-f", path, "--auto-approve", "-o", "yaml"]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    let value: serde_json::Value = serde_saphyr::from_slice(&again.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&again.stdout)));
    assert_eq!(value["plan"]["summary"]["unchanged"], 13, "{value}");
    assert_eq!(value["report"]["done"], 0);

    let destroyed = slsctl(&["destroy", "-f", path, "--auto-approve", "-o", "json"]);
    assert_eq!(
        destroyed.status.code(),
        Some(0),
        "{}",
        text(&destroyed.stderr)
    );
    let value: serde_json::Value = serde_json::from_slice(&destroyed.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&destroyed.stdout)));
    let report = value["report"]["actions"].as_array().unwrap();
    assert!(
        report.iter().any(|a| a["id"] == "Function/worker"
            && a["action"] == "delete"
            && a["outcome"]["status"] == "done"),
        "{value}"
    );
}

/// `--color always` paints the plan's markers; the default into a pipe does not. `SLSCTL_LOG`
/// logs a plan and an apply on stderr, and sensitive values stay out of the logs even at trace.
#[test]
fn plan_colours_and_logs_on_request() {
    let name = unique("colour");
    let dir = stack(&name, 0);
    let path = dir.path().to_str().unwrap();
    let plain = slsctl(&["plan", "-f", path]);
    assert!(!plain.stdout.contains(&0x1b), "{}", text(&plain.stdout));
    let painted = slsctl(&["plan", "-f", path, "--color", "always"]);
    let stdout = text(&painted.stdout);
    assert!(
        stdout.contains("  \x1b[32m+\x1b[0m Queue/jobs ("),
        "{stdout:?}"
    );
    assert!(
        stdout.contains("      \x1b[32m+\x1b[0m delaySeconds = 0"),
        "{stdout:?}"
    );

    let logged = support::slsctl_command()
        .args(["apply", "-f", path, "--auto-approve"])
        .env("SLSCTL_LOG", "trace")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(logged.status.code(), Some(0), "{}", text(&logged.stderr));
    let stderr = text(&logged.stderr);
    assert!(
        stderr.contains("TRACE") && stderr.contains("DEBUG"),
        "logs on stderr"
    );
    assert!(
        !stderr.contains("hunter2-canary"),
        "a sensitive value reached the logs"
    );
    assert!(!text(&logged.stdout).contains("TRACE"));
    let planned = support::slsctl_command()
        .args(["plan", "-f", path])
        .env("SLSCTL_LOG", "debug")
        .output()
        .unwrap();
    let stderr = text(&planned.stderr);
    assert!(
        stderr.contains("DEBUG") && stderr.contains("planned"),
        "{stderr}"
    );
}

/// Set the stack's queue `jobs` to a 99 s visibility timeout out of band, as a person in the
/// console would.
fn change_visibility_behind_the_spec(stack: &str) {
    let emulator = Emulator::shared();
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let clients = slsctl::aws::Clients::new(&emulator.sdk_config().await);
        let url = slsctl::kinds::queue::aws::get_queue_url(&clients, &format!("{stack}-jobs"))
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
}
