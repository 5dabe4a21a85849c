//! Stacks on the emulator for the engine tests: a spec directory, plan, apply, and the oracle
//! that the plan right after an apply is empty.

use std::sync::Arc;

use slsctl::apply::{apply, Outcome, Quiet};
use slsctl::aws::Clients;
use slsctl::engine::{prepare, Prepared};
use slsctl::plan::PlanOptions;

/// A stack directory: the Stack document (with `stack_spec` lines under `spec:`), `docs` as
/// `resources.yaml`, and a code directory `src/`.
pub fn stack_dir(name: &str, stack_spec: &str, docs: &str) -> tempfile::TempDir {
    let stack = format!("apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {{name: {name}}}\nspec:\n  region: us-east-1\n{stack_spec}");
    super::spec_dir(&[
        ("stack.yaml", &stack),
        ("resources.yaml", docs),
        (
            "src/app.py",
            "def handler(event, context):\n    return event\n",
        ),
    ])
}

/// Clients that reach the emulator through the strict layer (AWS's behaviours that moto lacks,
/// with AWS's windows scaled to 300 ms, and every request checked against AWS's service models),
/// with limiters of their own (`scope` names them).
pub async fn strict_clients(scope: &str) -> Clients {
    let emulator = super::Emulator::shared();
    let proxy = super::faults::FaultProxy::start(&emulator.endpoint, 1).await;
    proxy.set_strict(std::time::Duration::from_millis(300));
    let sdk = super::faults::through(
        &emulator.sdk_config().await,
        &proxy,
        std::time::Duration::from_secs(20),
    );
    // The proxy serves this test's runtime and ends with it.
    let endpoint = proxy.endpoint.clone();
    Box::leak(Box::new(proxy));
    super::faults::isolated(Clients::new(&sdk), &format!("{scope}-{endpoint}"))
}

pub fn rewrite(dir: &tempfile::TempDir, docs: &str) {
    std::fs::write(dir.path().join("resources.yaml"), docs).unwrap();
}

pub async fn plan_with(
    dir: &tempfile::TempDir,
    clients: &Clients,
    options: PlanOptions,
) -> Prepared {
    let (stack, _) = slsctl::kinds::load_stack(dir.path())
        .unwrap_or_else(|(d, s)| panic!("{}", d.render(&|p| s.get(p))));
    prepare(stack, clients, &options).await.expect("plan")
}

pub async fn plan(dir: &tempfile::TempDir, clients: &Clients) -> Prepared {
    plan_with(dir, clients, PlanOptions::default()).await
}

/// Plan and apply in one run; every action must succeed.
pub async fn converge_with(
    dir: &tempfile::TempDir,
    clients: &Clients,
    options: PlanOptions,
) -> Prepared {
    let prepared = plan_with(dir, clients, options).await;
    assert!(
        prepared.plan.refusals.is_empty(),
        "refused: {:?}",
        prepared.plan.refusals
    );
    let prepared = Arc::new(prepared);
    let report = apply(prepared.clone(), clients, Arc::new(Quiet)).await;
    for entry in &report.actions {
        assert_eq!(
            entry.outcome,
            Outcome::Done,
            "{} {:?}",
            entry.id,
            entry.action
        );
    }
    Arc::try_unwrap(prepared).expect("apply keeps no reference")
}

pub async fn converge(dir: &tempfile::TempDir, clients: &Clients) -> Prepared {
    converge_with(dir, clients, PlanOptions::default()).await
}

pub async fn assert_empty_plan(dir: &tempfile::TempDir, clients: &Clients) {
    let prepared = plan(dir, clients).await;
    assert!(
        prepared.plan.actions.is_empty() && prepared.plan.refusals.is_empty(),
        "the plan after apply is not empty:\n{}",
        slsctl::render::plan_text(&prepared.plan)
    );
}
