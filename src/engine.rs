//! The reconcile pipeline for one stack: package code, observe AWS, build the desired state and
//! the plan. Commands (`plan`, `apply`, `destroy`) and, later, the controller call this; it never
//! asks why it was called.

use std::collections::BTreeMap;

use crate::artifact::{self, Package};
use crate::aws::{partition_of, AwsError, Clients};
use crate::kinds::desired::{desired_resources, sensitive_digest, Context};
use crate::kinds::observe::{observe, Observed};
use crate::model::{graph, ResourceId, Stack};
use crate::plan::{
    build_plan, ActionKind, DesiredResource, FieldValue, Plan, PlanOptions, SetProp,
};

pub use crate::kinds::Prepared;

#[derive(Debug)]
pub enum EngineError {
    Aws(AwsError),
    /// The credentials are for another account than the stack's `accountId`.
    WrongAccount {
        stack: String,
        pinned: String,
        actual: String,
    },
    /// Something other than AWS: packaging, a dependency cycle.
    Other(String),
}

impl std::fmt::Display for EngineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EngineError::Aws(e) => write!(f, "{e}"),
            EngineError::WrongAccount {
                stack,
                pinned,
                actual,
            } => write!(
                f,
                "the credentials are for account {actual}, but stack `{stack}` is pinned to account {pinned} (spec.accountId); nothing was done"
            ),
            EngineError::Other(m) => f.write_str(m),
        }
    }
}

impl From<AwsError> for EngineError {
    fn from(e: AwsError) -> Self {
        EngineError::Aws(e)
    }
}

/// Zip every code directory and layer content of the stack.
pub fn build_packages(stack: &Stack) -> Result<BTreeMap<ResourceId, Package>, EngineError> {
    let mut packages = BTreeMap::new();
    for resource in &stack.resources {
        let Some(dir) = crate::kinds::of(resource.id.kind).and_then(|k| k.package_dir(resource))
        else {
            continue;
        };
        let package = artifact::package(dir)
            .map_err(|e| EngineError::Other(format!("{}: {e}", resource.id)))?;
        packages.insert(resource.id.clone(), package);
    }
    Ok(packages)
}

/// Observe, derive the desired state, and plan.
pub async fn prepare(
    stack: Stack,
    clients: &Clients,
    options: &PlanOptions,
) -> Result<Prepared, EngineError> {
    let packages = build_packages(&stack)?;
    let region = stack
        .region
        .clone()
        .unwrap_or_else(|| clients.region.clone());
    let mut context = Context {
        region: region.clone(),
        partition: partition_of(&region).to_string(),
        ..Context::default()
    };
    for (id, package) in &packages {
        if let Some(kind) = crate::kinds::of(id.kind) {
            kind.learn_package(&mut context, id, package);
        }
    }
    // Whose credentials these are, before anything else is read: a stack pinned to another
    // account is refused with no call beyond this one.
    let identity = clients.identity().await?;
    if let Some(expected) = &stack.account_id {
        if *expected != identity.account {
            return Err(EngineError::WrongAccount {
                stack: stack.name.clone(),
                pinned: expected.clone(),
                actual: identity.account,
            });
        }
    }
    // Names and physical names are all observe needs; the account is not in the names yet.
    let provisional = desired_resources(&stack, &context);
    let mut observed = observe(clients, identity, &stack.name, &provisional).await?;
    context.account = observed.account.clone();
    context.partition = observed.partition.clone();
    context.api_ids = observed.api_ids.clone();
    for resource in &observed.resources {
        if let Some(kind) = crate::kinds::of(resource.id.kind) {
            kind.learn_observed(&mut context, resource);
        }
    }
    let desired = desired_resources(&stack, &context);
    mask_sensitive(&desired, &mut observed);
    settle_observed(&desired, &mut observed);
    let order = graph::creation_order(&stack).map_err(|cycles| {
        EngineError::Other(format!(
            "dependency cycle: {:?}",
            cycles.first().cloned().unwrap_or_default()
        ))
    })?;
    let options = PlanOptions {
        prune: stack.prune,
        rules: crate::kinds::rules,
        ..options.clone()
    };
    let mut plan = build_plan(
        &stack.name,
        &region,
        &observed.account,
        &desired,
        &observed.resources,
        &order,
        &options,
    );
    leave_out_unreadable(&stack, &observed, &mut plan);
    derived_adoptions(&stack, &mut plan);
    explain_updates(&stack, &observed, &mut plan);
    price_the_plan(&stack, &observed, &mut plan);
    Ok(Prepared {
        stack,
        context,
        packages,
        observed,
        desired,
        order,
        plan,
    })
}

/// A derived resource is adopted without any annotation (a function's own log group, which
/// Lambda creates untagged when the function runs before it exists): the plan says why.
fn derived_adoptions(stack: &Stack, plan: &mut Plan) {
    for action in &mut plan.actions {
        if action.action != ActionKind::Adopt {
            continue;
        }
        if let Some(from) = stack.get(&action.id).and_then(|r| r.derived_from.as_ref()) {
            action.reasons = vec![format!(
                "adopted: it is {from}'s own, found without an owner (as AWS creates it when {from} runs before it exists)"
            )];
        }
    }
}

/// Resources AWS did not answer for (after their retries) are left out of the plan, with every
/// resource that depends on them: what could not be read is never created, changed or pruned,
/// and the rest of the stack goes ahead. The plan says what was left out and why; the next
/// reconcile reads them again.
fn leave_out_unreadable(stack: &Stack, observed: &Observed, plan: &mut Plan) {
    if observed.unreadable.is_empty() {
        return;
    }
    let mut left_out: BTreeMap<ResourceId, String> = observed.unreadable.clone();
    // Dependents, to a fixed point (the graph is acyclic and small).
    loop {
        let more: Vec<(ResourceId, String)> = stack
            .resources
            .iter()
            .filter(|r| !left_out.contains_key(&r.id))
            .filter_map(|r| {
                let blocked = r
                    .dependencies()
                    .into_iter()
                    .find(|d| left_out.contains_key(*d))?;
                Some((
                    r.id.clone(),
                    format!("depends on {blocked}, which could not be read"),
                ))
            })
            .collect();
        if more.is_empty() {
            break;
        }
        left_out.extend(more);
    }
    let summary = &mut plan.summary;
    plan.actions.retain(|action| {
        if !left_out.contains_key(&action.id) {
            return true;
        }
        let count = match action.action {
            ActionKind::Create => &mut summary.create,
            ActionKind::Update => &mut summary.update,
            ActionKind::Replace => &mut summary.replace,
            ActionKind::Delete => &mut summary.delete,
            ActionKind::Release => &mut summary.release,
            ActionKind::Adopt => &mut summary.adopt,
        };
        *count = count.saturating_sub(1);
        false
    });
    for (id, why) in &left_out {
        plan.notes.push(format!(
            "{id} is left out of this plan: {why}; the next plan reads it again"
        ));
    }
    plan.left_out = left_out.into_keys().collect();
}

/// The monthly cost before and after the plan; an estimate above the stack's budget is a
/// refusal that names the biggest items.
fn price_the_plan(stack: &Stack, observed: &Observed, plan: &mut Plan) {
    let prices = crate::cost::Prices::us_east_1();
    let after = crate::cost::estimate(stack, prices);
    let before = crate::cost::estimate(
        &crate::cost::as_live(stack, &plan.actions, &observed.resources),
        prices,
    );
    let cents = |usd: f64| (usd * 100.0).round() as i64;
    let budget = stack.budget_monthly_usd;
    plan.cost = Some(crate::plan::CostChange {
        before_cents: cents(before.total_usd),
        after_cents: cents(after.total_usd),
        budget_cents: budget.map(cents),
    });
    if let Some(budget) = budget.filter(|b| after.total_usd > *b) {
        let mut biggest: Vec<(&crate::model::ResourceId, f64)> = after
            .by_resource
            .iter()
            .map(|(id, usd)| (id, *usd))
            .collect();
        biggest.sort_by(|a, b| b.1.total_cmp(&a.1));
        let breakdown: Vec<String> = biggest
            .iter()
            .take(5)
            .filter(|(_, usd)| *usd > 0.0)
            .map(|(id, usd)| format!("{id} ${usd:.2}"))
            .collect();
        plan.refusals.push(crate::plan::Refusal {
            id: None,
            message: format!(
                "the estimated cost, ${:.2} a month, exceeds the budget of ${budget:.2} (largest: {})",
                after.total_usd,
                breakdown.join(", ")
            ),
            hint: Some(
                "see `slsctl cost -f DIR --explain` for the arithmetic; lower the cost or raise spec.budget.monthlyUSD"
                    .to_string(),
            ),
        });
    }
}

/// What each kind's plan says of an update beyond the changed fields (a table's index steps).
fn explain_updates(stack: &Stack, observed: &Observed, plan: &mut Plan) {
    let nothing = crate::plan::Props::new();
    for action in plan
        .actions
        .iter_mut()
        .filter(|a| a.action == ActionKind::Update)
    {
        let (Some(resource), Some(kind)) =
            (stack.get(&action.id), crate::kinds::of(action.id.kind))
        else {
            continue;
        };
        let live = observed
            .resources
            .iter()
            .find(|o| o.id == action.id)
            .map_or(&nothing, |o| &o.props);
        kind.explain_update(resource, live, action);
    }
}

/// Each kind reads what AWS reports the way its spec says it, where the two differ in form
/// only, before the diff (see `TypedKind::SETTLE_OBSERVED`).
fn settle_observed(desired: &[DesiredResource], observed: &mut Observed) {
    let wanted: BTreeMap<&ResourceId, &DesiredResource> =
        desired.iter().map(|d| (&d.id, d)).collect();
    for have in &mut observed.resources {
        if let (Some(want), Some(kind)) = (wanted.get(&have.id), crate::kinds::of(have.id.kind)) {
            kind.settle_observed(want, have);
        }
    }
}

/// Observed values of sensitive fields are compared by digest, as the desired side stores them,
/// so that no secret ever reaches a plan.
fn mask_sensitive(desired: &[DesiredResource], observed: &mut Observed) {
    for want in desired {
        if let Some(have) = observed.resources.iter_mut().find(|o| o.id == want.id) {
            mask_sensitive_props(want, &mut have.props);
        }
    }
}

/// Replace the live values of `want`'s sensitive fields by their digests.
pub fn mask_sensitive_props(want: &DesiredResource, props: &mut crate::plan::Props) {
    for field in &want.sensitive {
        if let Some(FieldValue::Known(serde_json::Value::String(value))) = props.get(field) {
            let digest = sensitive_digest(value);
            props.set(field.clone(), digest);
        }
    }
}
