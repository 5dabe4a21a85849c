//! AWS API calls of a no-change `plan`, by operation, on a generated stack of N functions (each
//! consuming its own queue) and N queues, against the local emulator.
//!
//!   cargo bench --bench plan_calls              # N = 200
//!   BENCH_N=1000 cargo bench --bench plan_calls
//!
//! Prints the calls by operation, calls per resource, the lower bound the list APIs allow, and
//! Terraform's refresh for comparison; writes the same to target/bench/plan_calls.txt. Under
//! `cargo test` it runs once with N = 5 as a smoke test.

#[path = "../tests/support/mod.rs"]
mod support;

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

use slsctl::apply::{apply, Quiet};
use slsctl::aws::Clients;
use slsctl::engine::prepare;
use slsctl::plan::PlanOptions;

fn main() {
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let n: usize = if benchmarking {
        std::env::var("BENCH_N")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(200)
    } else {
        5
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (report, calls, lower_bound, terraform) = runtime.block_on(run(n));
    print!("{report}");
    if benchmarking {
        let dir = support::project_root().join("target/bench");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("plan_calls.txt"), &report).unwrap();
    }
    // One describe per function and per queue, whatever the stack size; and fewer calls than
    // Terraform's refresh of the same stack.
    let _ = lower_bound;
    assert_eq!(
        calls.get("lambda:GetFunction"),
        Some(&(n as u64)),
        "{calls:?}"
    );
    assert_eq!(
        calls.get("sqs:GetQueueAttributes"),
        Some(&(n as u64)),
        "{calls:?}"
    );
    let total: u64 = calls.values().sum();
    assert!(total < terraform, "{total} calls, Terraform {terraform}");
}

async fn run(n: usize) -> (String, std::collections::BTreeMap<String, u64>, u64, u64) {
    let emulator = support::Emulator::shared();
    support::create_role(&emulator.endpoint, "bench-role");
    let config = emulator.sdk_config().await;
    let name = support::unique("bench");

    let mut docs = String::new();
    for i in 0..n / 4 {
        let _ = write!(
            docs,
            "---\napiVersion: slsctl.dev/v1alpha1\nkind: Table\nmetadata: {{name: t{i}}}\nspec: {{partitionKey: {{name: pk, type: S}}, deletionProtection: false}}\n\
             ---\napiVersion: slsctl.dev/v1alpha1\nkind: Rule\nmetadata: {{name: r{i}}}\nspec:\n  pattern: {{source: [bench.{i}]}}\n  targets: [{{id: q, queue: q{i}}}]\n"
        );
    }
    for i in 0..n {
        let _ = write!(
            docs,
            "---\napiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {{name: q{i}}}\nspec: {{visibilityTimeout: 60}}\n\
             ---\napiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {{name: f{i}}}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  code: {{path: src}}\n  role: arn:aws:iam::123456789012:role/bench-role\n  triggers: [{{queue: q{i}}}]\n"
        );
    }
    let dir = support::spec_dir(&[
        ("stack.yaml", &format!("apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {{name: {name}}}\nspec: {{region: us-east-1}}\n")),
        ("resources.yaml", &docs),
        ("src/app.py", "def handler(event, context):\n    return event\n"),
    ]);
    let (stack, _) = slsctl::spec::load_stack(dir.path())
        .unwrap_or_else(|(d, s)| panic!("{}", d.render(&|p| s.get(p))));

    let clients = Clients::new(&config);
    let started = Instant::now();
    let prepared = Arc::new(
        prepare(stack.clone(), &clients, &PlanOptions::default())
            .await
            .expect("plan"),
    );
    let report = apply(prepared, &clients, Arc::new(Quiet)).await;
    assert_eq!(
        report.failed() + report.skipped(),
        0,
        "apply failed: {report:?}"
    );
    let apply_seconds = started.elapsed().as_secs_f64();

    let counting = Clients::new(&config);
    let started = Instant::now();
    let again = prepare(stack, &counting, &PlanOptions::default())
        .await
        .expect("plan");
    let plan_seconds = started.elapsed().as_secs_f64();
    assert!(
        again.plan.actions.is_empty(),
        "the no-change plan is not empty"
    );

    let calls = counting.calls.snapshot();
    let total: u64 = calls.values().sum();
    let extra = n / 4;
    let resources = (2 * n + 2 * extra) as u64;
    let pages = |items: usize, per_page: usize| items.div_ceil(per_page) as u64;
    // What the list APIs allow: one tagging page per 100 resources, one describe per function
    // and per queue (no list carries their configuration), three per table (table, TTL,
    // backups), two per rule (rule, targets), the mapping listing (100 a page), the layer
    // listing and STS.
    let lower_bound = pages(resources as usize, 100)
        + n as u64
        + n as u64
        + 3 * extra as u64
        + 2 * extra as u64
        + pages(n, 100).max(1)
        + 1
        + 1;
    // terraform-provider-aws refresh (FACTS.md): 3 per function, 2 per queue, 1 per mapping,
    // 4 per table, 2 per rule and 1 per target.
    let terraform = (3 * n + 2 * n + n + 4 * extra + 2 * extra + extra) as u64;

    let mut out = String::new();
    let _ = writeln!(
        out,
        "no-change plan of {n} functions (each with a trigger), {n} queues, {extra} tables and {extra} rules: {resources} resources"
    );
    let _ = writeln!(
        out,
        "{:<45} {:>7} {:>13}",
        "operation", "calls", "per resource"
    );
    for (operation, count) in &calls {
        let _ = writeln!(
            out,
            "{operation:<45} {count:>7} {:>13.3}",
            *count as f64 / resources as f64
        );
    }
    let _ = writeln!(
        out,
        "{:<45} {:>7} {:>13.3}",
        "total",
        total,
        total as f64 / resources as f64
    );
    let functions_and_queues: u64 = calls
        .iter()
        .filter(|(op, _)| !op.starts_with("dynamodb:") && !op.starts_with("events:"))
        .map(|(_, n)| n)
        .sum();
    let _ = writeln!(
        out,
        "functions and queues alone: {functions_and_queues} calls for {} resources, {:.3} per resource (target: at most 1.5)",
        2 * n,
        functions_and_queues as f64 / (2 * n) as f64
    );
    let _ = writeln!(
        out,
        "lower bound with AWS's page sizes: {lower_bound} ({:.3} per resource); the emulator pages tagging by 50",
        lower_bound as f64 / resources as f64
    );
    let _ = writeln!(
        out,
        "terraform refresh, same stack: {terraform} ({:.3} per resource)",
        terraform as f64 / resources as f64
    );
    let _ = writeln!(out, "wall time on the emulator: apply {apply_seconds:.1} s, no-change plan {plan_seconds:.2} s (not AWS latency)");
    (out, calls, lower_bound, terraform)
}
