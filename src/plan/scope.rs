//! Narrower plans: `--target` (a subset of the stack with what it depends on) and
//! `--refresh-only` (drift only). Pure: no I/O, no async.

use std::collections::BTreeSet;

use super::{ActionKind, Plan};
use crate::model::{ResourceId, Stack};

/// The targets and everything they depend on in the spec, transitively: what a targeted plan
/// may create or change so that the targets work. Targets that are not in the spec (an owned
/// resource that left it, to be pruned) are kept as they are; dependents of a target are not
/// added (they are outside the target set, and nothing outside it is planned).
pub fn with_dependencies(stack: &Stack, targets: &BTreeSet<ResourceId>) -> BTreeSet<ResourceId> {
    let mut scope: BTreeSet<ResourceId> = BTreeSet::new();
    let mut pending: Vec<&ResourceId> = targets.iter().collect();
    while let Some(id) = pending.pop() {
        if !scope.insert(id.clone()) {
            continue;
        }
        if let Some(resource) = stack.get(id) {
            pending.extend(
                resource
                    .dependencies()
                    .into_iter()
                    .filter(|d| !scope.contains(*d)),
            );
        }
    }
    scope
}

/// What a drift-only plan left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeftOut {
    /// In the spec, absent from AWS: never created, or deleted outside slsctl (without a state
    /// file the two cannot be told apart).
    pub missing: usize,
    /// Owned in AWS, no longer in the spec (a full plan prunes or releases them).
    pub leaving: usize,
    /// Resources of that name that the stack does not own (a full plan refuses or adopts them).
    pub foreign: usize,
}

/// Keep only drift: resources this stack owns that exist in AWS and differ from the spec
/// (updates, and replacements forced by an immutable field). Creations, deletions, releases and
/// adoptions are changes of the spec's, not AWS's, and leave the plan; so do its refusals and
/// its cost change, which are about applying a plan that drift-only never applies.
pub fn drift_only(plan: &mut Plan) -> LeftOut {
    let left_out = LeftOut {
        missing: plan.summary.create,
        leaving: plan.summary.delete + plan.summary.release,
        foreign: plan.summary.adopt
            + plan
                .refusals
                .iter()
                .filter(|r| r.message.contains("does not belong to this stack"))
                .count(),
    };
    plan.actions
        .retain(|a| matches!(a.action, ActionKind::Update | ActionKind::Replace));
    plan.summary.create = 0;
    plan.summary.delete = 0;
    plan.summary.release = 0;
    plan.summary.adopt = 0;
    plan.refusals.clear();
    plan.cost = None;
    left_out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{FieldChange, FieldValue, Refusal, ResourceAction, Summary};

    fn action(kind: crate::model::Kind, name: &str, action: ActionKind) -> ResourceAction {
        ResourceAction {
            id: ResourceId::new(kind, name),
            action,
            physical_name: name.to_string(),
            changes: vec![FieldChange {
                field: "delaySeconds".into(),
                before: Some(FieldValue::known(0)),
                after: Some(FieldValue::known(5)),
                sensitive: false,
                forces_replacement: false,
            }],
            reasons: Vec::new(),
        }
    }

    #[test]
    fn drift_only_keeps_updates_and_replacements_of_existing_resources() {
        use crate::model::Kind::*;
        let mut plan = Plan {
            format_version: 1,
            stack: "s".into(),
            region: "us-east-1".into(),
            account: "1".into(),
            observed_digest: String::new(),
            actions: vec![
                action(Queue, "gone", ActionKind::Delete),
                action(Queue, "kept", ActionKind::Release),
                action(Queue, "new", ActionKind::Create),
                action(Queue, "drifted", ActionKind::Update),
                action(Queue, "fifo", ActionKind::Replace),
                action(Queue, "theirs", ActionKind::Adopt),
            ],
            refusals: vec![Refusal {
                id: Some(ResourceId::new(Queue, "fifo")),
                message: "Queue/fifo must be replaced".into(),
                hint: None,
            }],
            summary: Summary {
                create: 1,
                update: 1,
                replace: 1,
                delete: 1,
                release: 1,
                adopt: 1,
                unchanged: 3,
            },
            notes: Vec::new(),
            cost: None,
            left_out: Vec::new(),
        };
        let left_out = drift_only(&mut plan);
        let kept: Vec<&str> = plan.actions.iter().map(|a| a.id.name.as_str()).collect();
        assert_eq!(kept, ["drifted", "fifo"]);
        assert_eq!(
            left_out,
            LeftOut {
                missing: 1,
                leaving: 2,
                foreign: 1
            }
        );
        assert_eq!(plan.summary.changes(), 2);
        assert_eq!(plan.summary.unchanged, 3);
        assert!(plan.refusals.is_empty());
    }

    fn desired(kind: crate::model::Kind, name: &str) -> crate::plan::DesiredResource {
        crate::plan::DesiredResource {
            id: ResourceId::new(kind, name),
            physical_name: format!("s-{name}"),
            props: [("delaySeconds".to_string(), FieldValue::known(5))].into(),
            sensitive: BTreeSet::new(),
            deletion_policy: kind.default_deletion_policy(),
            ignore_changes: Vec::new(),
            adopt: false,
        }
    }

    fn observed(kind: crate::model::Kind, name: &str) -> crate::plan::ObservedResource {
        crate::plan::ObservedResource {
            id: ResourceId::new(kind, name),
            physical_name: format!("s-{name}"),
            arn: format!("arn:aws:sqs:us-east-1:1:s-{name}"),
            props: [("delaySeconds".to_string(), FieldValue::known(0))].into(),
            owned: true,
            messages: None,
            referenced_by: Vec::new(),
            deletion_policy: Some(crate::model::DeletionPolicy::Delete),
        }
    }

    #[test]
    fn a_targeted_plan_creates_changes_and_prunes_nothing_outside_its_targets() {
        use crate::model::Kind::Queue;
        let want = [
            desired(Queue, "dlq"),
            desired(Queue, "jobs"),
            desired(Queue, "other"),
            desired(Queue, "fresh"),
        ];
        let have = [
            observed(Queue, "jobs"),
            observed(Queue, "other"),
            observed(Queue, "removed"),
            observed(Queue, "removed-too"),
        ];
        let order: Vec<ResourceId> = want.iter().map(|d| d.id.clone()).collect();
        // The plan of `targets`, or of the whole stack for `None`, with the same options otherwise.
        let build = |targets: Option<&[&str]>| {
            crate::plan::build_plan(
                "s",
                "us-east-1",
                "1",
                &want,
                &have,
                &order,
                &crate::plan::PlanOptions {
                    prune: true,
                    allow_mass_delete: true,
                    rules: crate::kinds::rules,
                    targets: targets
                        .map(|names| names.iter().map(|n| ResourceId::new(Queue, *n)).collect()),
                    ..crate::plan::PlanOptions::default()
                },
            )
        };
        let names = |plan: &Plan| -> Vec<(String, ActionKind)> {
            plan.actions
                .iter()
                .map(|a| (a.id.name.clone(), a.action))
                .collect()
        };
        let targeted = build(Some(&["jobs", "dlq"]));
        assert_eq!(
            names(&targeted),
            [
                ("dlq".to_string(), ActionKind::Create),
                ("jobs".to_string(), ActionKind::Update)
            ],
            "`other` drifted and `removed` left the spec, but neither is a target"
        );
        assert_eq!(targeted.summary.changes(), 2);
        // A resource that left the spec is pruned only when it is itself a target.
        let pruned = build(Some(&["removed"]));
        assert_eq!(
            names(&pruned),
            [("removed".to_string(), ActionKind::Delete)]
        );
        // Without targets, everything is planned.
        let all = build(None);
        assert_eq!(all.summary.changes(), 6);
    }

    #[test]
    fn targets_bring_their_dependencies_transitively_but_not_their_dependents() {
        let dir = tempfile::tempdir().unwrap();
        let doc = |kind: &str, name: &str, spec: &str| {
            format!("apiVersion: slsctl.dev/v1alpha1\nkind: {kind}\nmetadata: {{name: {name}}}\nspec: {spec}\n---\n")
        };
        let text = [
            doc("Stack", "s", "{}"),
            doc("Queue", "dlq", "{}"),
            doc("Queue", "jobs", "{deadLetter: {queue: dlq, maxReceiveCount: 3}}"),
            doc("Queue", "unrelated", "{}"),
            doc("Function", "worker", "{handler: app.handler, runtime: python3.12, code: {path: src}, role: arn:aws:iam::123456789012:role/r, triggers: [{queue: jobs}]}"),
        ]
        .concat();
        std::fs::write(dir.path().join("s.yaml"), text).unwrap();
        std::fs::create_dir(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/app.py"), "").unwrap();
        let (stack, _) = crate::kinds::load_stack(dir.path()).unwrap_or_else(|_| panic!("valid"));
        let scope = |targets: &[(crate::model::Kind, &str)]| -> Vec<String> {
            with_dependencies(
                &stack,
                &targets
                    .iter()
                    .map(|(k, n)| ResourceId::new(*k, *n))
                    .collect(),
            )
            .iter()
            .map(ToString::to_string)
            .collect::<BTreeSet<String>>()
            .into_iter()
            .collect()
        };
        use crate::model::Kind::{Function, Queue};
        assert_eq!(
            scope(&[(Function, "worker")]),
            // Its own log group is derived from it and created before it; its cold-start metric
            // filter watches it and comes after it, so a target does not bring it.
            [
                "Function/worker",
                "LogGroup/worker",
                "Queue/dlq",
                "Queue/jobs"
            ]
        );
        assert_eq!(scope(&[(Queue, "jobs")]), ["Queue/dlq", "Queue/jobs"]);
        // Not in the spec (left it): kept as it is, for its prune.
        assert_eq!(scope(&[(Queue, "gone")]), ["Queue/gone"]);
    }
}
