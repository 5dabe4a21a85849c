//! One reconcile of one stack, whatever queued it: fetch the source, validate, observe, plan,
//! check the policies, apply (fenced by the stack's lease) and record the status, with the
//! alarms' states and the notifications that go with it.

use super::*;

impl Controller {
    /// Reconcile one stack: the same steps whatever queued it (counted as `manual`).
    pub async fn reconcile(&self, name: &str) -> Result<(), ReconcileError> {
        self.reconcile_because(name, Reason::Manual).await
    }

    /// Reconcile one stack, counting it and its AWS calls under `reason` (`/metrics`). The calls
    /// are counted apart first (concurrent reconciles share the clients), then added to the
    /// clients' own counts.
    pub async fn reconcile_because(
        &self,
        name: &str,
        reason: Reason,
    ) -> Result<(), ReconcileError> {
        let clients = self.clients.with_fresh_counts();
        let result = self.reconcile_with(name, &clients).await;
        let calls = clients.calls.snapshot();
        for (operation, n) in &calls {
            self.clients.calls.add(operation, *n);
        }
        self.schedule.reconciled(reason, calls.values().sum());
        result
    }

    async fn reconcile_with(&self, name: &str, clients: &Clients) -> Result<(), ReconcileError> {
        let Some(config) = self.config.stacks.iter().find(|s| s.name == name).cloned() else {
            return Ok(());
        };
        if config.suspended {
            return Ok(());
        }
        let last_good = self.states().get(name).and_then(|s| s.last_good.clone());
        let fetched = self.fetch(&config).await;
        // What this fetch saw is what the next poll compares with: a revision it is acting on
        // is not queued again.
        self.schedule.saw(
            name,
            match &fetched {
                Ok(snapshot) => Seen::Revision(snapshot.revision.clone()),
                Err(error) => Seen::Error(error.to_string()),
            },
        );
        // A broken source keeps the last good revision in force (its drift is still corrected).
        let (snapshot, mut degraded_by) = match fetched {
            Ok(snapshot) => (snapshot, None),
            Err(error) => match &last_good {
                Some(good) => (good.clone(), Some(error.to_string())),
                None => return self.record_error(name, ReconcileError::Source(error)),
            },
        };
        let stack = match crate::kinds::load_stack(&snapshot.dir) {
            Ok((stack, _)) => stack,
            Err((diagnostics, sources)) => {
                let why = ReconcileError::InvalidSpec {
                    revision: snapshot.revision.clone(),
                    diagnostics: diagnostics.render(&|p| sources.get(p)),
                };
                let good = last_good.filter(|g| g.revision != snapshot.revision);
                let Some(good) = good else {
                    return self.record_error(name, why);
                };
                match crate::kinds::load_stack(&good.dir) {
                    Ok((stack, _)) => {
                        degraded_by = Some(why.to_string());
                        return self
                            .reconcile_stack(name, &config, clients, stack, good, degraded_by)
                            .await;
                    }
                    Err(_) => return self.record_error(name, why),
                }
            }
        };
        self.reconcile_stack(name, &config, clients, stack, snapshot, degraded_by)
            .await
    }

    // One more argument than clippy likes: the clients this reconcile counts its calls with.
    #[allow(clippy::too_many_arguments)]
    async fn reconcile_stack(
        &self,
        name: &str,
        config: &StackConfig,
        clients: &Clients,
        stack: crate::model::Stack,
        snapshot: Snapshot,
        degraded_by: Option<String>,
    ) -> Result<(), ReconcileError> {
        tracing::Span::current().record("revision", snapshot.revision.as_str());
        let mut prepared =
            match crate::engine::prepare(stack, clients, &PlanOptions::default()).await {
                Ok(p) => p,
                Err(e) => return self.record_error(name, ReconcileError::Prepare(e)),
            };
        if let Err(e) = crate::policy::check_plan(&prepared.stack, &mut prepared.plan) {
            return self.record_error(name, ReconcileError::Policy(e));
        }
        if !prepared.plan.refusals.is_empty() {
            let why: Vec<String> = prepared
                .plan
                .refusals
                .iter()
                .map(|r| r.message.clone())
                .collect();
            return self.record_error(name, ReconcileError::Refused(why));
        }
        let summary = prepared.plan.summary.clone();
        let drifted = prepared.plan.has_changes();
        // The stack's alarms by name, for the health read after the apply.
        let alarm_names: std::collections::BTreeMap<String, String> = prepared
            .stack
            .resources
            .iter()
            .filter(|r| r.id.kind == crate::model::Kind::Alarm)
            .map(|r| (r.physical_name.clone(), r.id.to_string()))
            .collect();
        let stack_name = prepared.stack.name.clone();
        // What the stack holds, for matching events: recorded before the apply consumes the plan.
        self.owned
            .record(name, &snapshot.revision, Some(owned_keys(&prepared)));
        let region = prepared.context.region.clone();
        let dashboard = prepared
            .stack
            .resources
            .iter()
            .find(|r| r.id.kind == crate::model::Kind::Dashboard)
            .map(|r| r.physical_name.clone());
        // Resources AWS did not answer for are left out of this plan; the rest is applied, and
        // the reconcile counts as failed so that it is retried with backoff.
        let left_out: Vec<String> = prepared
            .plan
            .left_out
            .iter()
            .map(|id| id.to_string())
            .collect();
        let diff =
            drifted.then(|| super::status::kept_diff(crate::render::plan_text(&prepared.plan)));
        // Drawn before the apply consumes the plan: what each resource was found to be.
        let mut states = diagram_states(&prepared.plan);
        let picture = crate::diagram::of(&prepared.stack, &Default::default());
        let mut failed = Vec::new();
        if drifted && config.mode == Mode::Heal {
            // The stack's lease is re-checked right before mutating, and by every action again.
            if let Some(lease) = &self.lease {
                lease.fence(name).map_err(ReconcileError::Fenced)?;
            }
            let report = crate::apply::apply(
                Arc::new(prepared),
                clients,
                Arc::new(Fenced {
                    leases: self.lease.clone(),
                    stack: name.to_string(),
                }),
            )
            .await;
            failed = error::unapplied(&report.actions);
            for action in &report.actions {
                let state = match action.outcome {
                    crate::apply::Outcome::Done => "in-sync",
                    _ => "failed",
                };
                states.insert(action.id.to_string(), state.to_string());
            }
        }
        if !left_out.is_empty() {
            failed.push(format!(
                "could not be read, left out: {}",
                left_out.join(", ")
            ));
        }
        let diagram = std::sync::Arc::new(super::status::StatePicture {
            diagram: picture,
            states,
        });
        let alarms = self.alarm_states(clients, &stack_name, &alarm_names).await;
        let mut states = self.states();
        let state = states.entry(name.to_string()).or_default();
        state.status.diagram = Some(diagram);
        state.status.reconciles += 1;
        state.status.last_plan = Some(summary);
        state.status.region = (!region.is_empty()).then_some(region);
        state.status.dashboard = dashboard;
        if diff.is_some() {
            state.status.last_diff = diff;
        }
        if !failed.is_empty() {
            let why = ReconcileError::Incomplete(failed);
            state.status.degraded = true;
            state.status.synced = false;
            state.status.failures += 1;
            state.status.last_error = Some(why.to_string());
            return Err(why);
        }
        state.last_good = Some(snapshot.clone());
        state.status.revision = Some(snapshot.revision);
        state.status.ready = true;
        state.status.drifted = drifted && config.mode == Mode::Report;
        state.status.synced = !state.status.drifted;
        if let Some(alarms) = alarms {
            state.status.alarms = alarms;
        }
        state.status.degraded = degraded_by.is_some() || !state.status.alarms_firing().is_empty();
        state.status.last_error = degraded_by;
        Ok(())
    }

    /// The states of the stack's alarms (`names`: physical name → resource id): one
    /// DescribeAlarms by the stack's prefix, 100 a page, matched by exact name, so another
    /// stack's alarm under the same prefix is never counted. `None` when CloudWatch could not be
    /// read: the health from alarms stays as it was, and the reconcile itself is not failed.
    async fn alarm_states(
        &self,
        clients: &Clients,
        stack: &str,
        names: &std::collections::BTreeMap<String, String>,
    ) -> Option<Vec<AlarmStatus>> {
        if names.is_empty() {
            return Some(Vec::new());
        }
        match crate::kinds::alarm::aws::states(clients, stack).await {
            Ok(states) => Some(
                states
                    .into_iter()
                    .filter_map(|(name, state)| {
                        let resource = names.get(&name)?.clone();
                        Some(AlarmStatus {
                            name,
                            resource,
                            state,
                        })
                    })
                    .collect(),
            ),
            Err(error) => {
                tracing::warn!(stack, %error, "cannot read the stack's alarm states");
                None
            }
        }
    }

    /// Publish the outcome of a reconcile to EventBridge: `ReconcileFailed`, `StackReconciled`
    /// (a new revision was applied) or `DriftDetected` (the same revision, but AWS had moved).
    /// A failure to publish is reported and never fails the reconcile.
    pub(super) async fn notify(
        &self,
        name: &str,
        before: &StackStatus,
        after: &StackStatus,
        result: &Result<(), ReconcileError>,
    ) {
        let Some(bus) = &self.config.events_bus else {
            return;
        };
        // Events are capped at 256 KB; an error is summarised, not shipped whole.
        let failed = |why: &str| serde_json::json!({"stack": name, "revision": after.revision, "error": why.chars().take(2000).collect::<String>()});
        let (detail_type, detail) = match result {
            Err(why) => ("ReconcileFailed", failed(&why.to_string())),
            // A source gone bad: the last good revision stays, and people need to know.
            Ok(()) if after.degraded && after.last_error != before.last_error => (
                "ReconcileFailed",
                failed(after.last_error.as_deref().unwrap_or("")),
            ),
            Ok(()) if before.revision != after.revision => (
                "StackReconciled",
                serde_json::json!({"stack": name, "revision": after.revision, "previousRevision": before.revision, "plan": after.last_plan}),
            ),
            Ok(()) if after.last_plan.as_ref().is_some_and(|p| p.changes() > 0) => (
                "DriftDetected",
                serde_json::json!({"stack": name, "revision": after.revision, "plan": after.last_plan, "healed": !after.drifted}),
            ),
            Ok(()) => return,
        };
        let entry = aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
            .source("slsctl")
            .detail_type(detail_type)
            .detail(detail.to_string())
            .event_bus_name(bus)
            .build();
        let sent = self.clients.events.put_events().entries(entry).send().await;
        match sent {
            Ok(out) if out.failed_entry_count() == 0 => {}
            Ok(_) => tracing::warn!(detail_type, "EventBridge refused the event"),
            Err(e) => tracing::warn!(
                detail_type,
                error = %crate::aws::error::classify(e),
                "cannot publish the outcome"
            ),
        }
    }

    pub(super) fn record_error(
        &self,
        name: &str,
        why: ReconcileError,
    ) -> Result<(), ReconcileError> {
        let mut states = self.states();
        let state = states.entry(name.to_string()).or_default();
        state.status.degraded = true;
        state.status.failures += 1;
        state.status.last_error = Some(why.to_string());
        Err(why)
    }
}

/// Each resource's state as the plan found it, for the status page's diagram: in sync unless the
/// plan creates it (missing) or changes it (drifted). An apply then updates what it did.
fn diagram_states(plan: &crate::plan::Plan) -> BTreeMap<String, String> {
    use crate::plan::ActionKind;
    plan.actions
        .iter()
        .filter_map(|a| {
            let state = match a.action {
                ActionKind::Create => "missing",
                ActionKind::Update | ActionKind::Replace | ActionKind::Adopt => "drifted",
                ActionKind::Delete | ActionKind::Release => return None,
            };
            Some((a.id.to_string(), state.to_string()))
        })
        .collect()
}
