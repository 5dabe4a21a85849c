//! The plan engine, without AWS: every decision it makes from desired and observed props.

use std::collections::BTreeSet;

use serde_json::json;

use super::*;

fn id(kind: Kind, name: &str) -> ResourceId {
    ResourceId::new(kind, name)
}

fn props(pairs: &[(&str, serde_json::Value)]) -> Props {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), FieldValue::known(v.clone())))
        .collect()
}

fn want(kind: Kind, name: &str, p: Props) -> DesiredResource {
    DesiredResource {
        id: id(kind, name),
        physical_name: format!("s-{name}"),
        props: p,
        sensitive: BTreeSet::new(),
        deletion_policy: kind.default_deletion_policy(),
        ignore_changes: Vec::new(),
        adopt: false,
    }
}

fn have(kind: Kind, name: &str, p: Props) -> ObservedResource {
    ObservedResource {
        id: id(kind, name),
        physical_name: format!("s-{name}"),
        arn: format!("arn:aws:x:us-east-1:1:{name}"),
        props: p,
        owned: true,
        messages: None,
        referenced_by: Vec::new(),
        deletion_policy: None,
    }
}

fn plan(desired: &[DesiredResource], observed: &[ObservedResource], options: PlanOptions) -> Plan {
    let order: Vec<ResourceId> = desired.iter().map(|d| d.id.clone()).collect();
    build_plan(
        "s",
        "us-east-1",
        "1",
        desired,
        observed,
        &order,
        &PlanOptions {
            prune: true,
            rules: crate::kinds::rules,
            ..options
        },
    )
}

/// Assert that one of the plan's refusals says `text`; the refusals there are, when none does.
#[track_caller]
fn assert_refused_with(plan: &Plan, text: &str) {
    assert!(
        plan.refusals.iter().any(|r| r.message.contains(text)),
        "no refusal says {text:?}: {:?}",
        plan.refusals
    );
}

/// The hint of a refusal that must give one.
fn hint_of(refusal: &Refusal) -> &str {
    refusal
        .hint
        .as_deref()
        .unwrap_or_else(|| panic!("a refusal without a hint: {refusal:?}"))
}

/// Options that let a plan delete more than half of the stack, or all of it.
fn mass_delete() -> PlanOptions {
    PlanOptions {
        allow_mass_delete: true,
        ..PlanOptions::default()
    }
}

/// A destroy, past the mass-deletion guard.
fn destroy_all() -> PlanOptions {
    PlanOptions {
        destroy: true,
        ..mass_delete()
    }
}

#[test]
fn identical_props_plan_nothing() {
    let p = props(&[("memorySize", json!(128)), ("tags.team", json!("a"))]);
    let result = plan(
        &[want(Kind::Function, "f", p.clone())],
        &[have(Kind::Function, "f", p)],
        PlanOptions::default(),
    );
    assert!(result.actions.is_empty());
    assert_eq!(result.summary.unchanged, 1);
    assert!(!result.has_changes());
}

#[test]
fn a_changed_field_is_an_update_with_before_and_after() {
    let result = plan(
        &[want(
            Kind::Function,
            "f",
            props(&[("memorySize", json!(512)), ("timeout", json!(3))]),
        )],
        &[have(
            Kind::Function,
            "f",
            props(&[("memorySize", json!(128)), ("timeout", json!(3))]),
        )],
        PlanOptions::default(),
    );
    assert_eq!(result.actions.len(), 1);
    let action = &result.actions[0];
    assert_eq!(action.action, ActionKind::Update);
    assert_eq!(action.changes.len(), 1);
    assert_eq!(action.changes[0].field, "memorySize");
    assert_eq!(action.changes[0].before, Some(FieldValue::known(128)));
    assert_eq!(action.changes[0].after, Some(FieldValue::known(512)));
}

#[test]
fn an_immutable_field_forces_a_replace_that_names_it() {
    let result = plan(
        &[want(
            Kind::Function,
            "f",
            props(&[("packageType", json!("Image"))]),
        )],
        &[have(
            Kind::Function,
            "f",
            props(&[("packageType", json!("Zip"))]),
        )],
        PlanOptions::default(),
    );
    assert_eq!(result.actions[0].action, ActionKind::Replace);
    assert!(result.actions[0].changes[0].forces_replacement);
    assert!(
        result.actions[0].reasons[0].starts_with("packageType:"),
        "{:?}",
        result.actions[0].reasons
    );
    assert!(
        result.refusals.is_empty(),
        "a function carries no data: {:?}",
        result.refusals
    );
}

#[test]
fn replacing_a_queue_is_refused_unless_allowed() {
    let desired = [want(Kind::Queue, "q", props(&[("fifo", json!(true))]))];
    let observed = [have(Kind::Queue, "q", props(&[("fifo", json!(false))]))];
    let refused = plan(&desired, &observed, PlanOptions::default());
    assert_eq!(refused.actions[0].action, ActionKind::Replace);
    assert_eq!(refused.refusals.len(), 1);
    assert!(hint_of(&refused.refusals[0]).contains("--allow-replace Queue/q"));

    let allowed = plan(
        &desired,
        &observed,
        PlanOptions {
            allow_replace: [id(Kind::Queue, "q")].into(),
            ..mass_delete()
        },
    );
    assert!(allowed.refusals.is_empty(), "{:?}", allowed.refusals);
}

#[test]
fn ignore_changes_hides_a_field_and_its_children() {
    let mut w = want(
        Kind::Function,
        "f",
        props(&[("description", json!("new")), ("environment.A", json!("1"))]),
    );
    w.ignore_changes = vec!["description".into(), "environment".into()];
    let result = plan(
        &[w],
        &[have(
            Kind::Function,
            "f",
            props(&[("description", json!("old")), ("environment.A", json!("2"))]),
        )],
        PlanOptions::default(),
    );
    assert!(result.actions.is_empty(), "{:?}", result.actions);
}

#[test]
fn a_foreign_resource_with_the_same_name_is_refused_and_never_changed() {
    let mut foreign = have(Kind::Queue, "q", props(&[("delaySeconds", json!(5))]));
    foreign.owned = false;
    let result = plan(
        &[want(Kind::Queue, "q", props(&[("delaySeconds", json!(0))]))],
        &[foreign.clone()],
        PlanOptions::default(),
    );
    assert!(result.actions.is_empty());
    assert_eq!(result.refusals.len(), 1);
    assert!(result.refusals[0]
        .message
        .contains("does not belong to this stack"));
    assert!(hint_of(&result.refusals[0]).contains("slsctl.dev/adopt"));

    // Not even a destroy touches it.
    let destroy = plan(
        &[],
        &[foreign],
        PlanOptions {
            destroy: true,
            ..PlanOptions::default()
        },
    );
    assert!(destroy.actions.is_empty());
}

#[test]
fn adoption_updates_a_foreign_resource_when_asked() {
    let mut foreign = have(Kind::Queue, "q", props(&[("delaySeconds", json!(5))]));
    foreign.owned = false;
    let mut w = want(
        Kind::Queue,
        "q",
        props(&[
            ("delaySeconds", json!(0)),
            ("tags.slsctl:stack", json!("s")),
        ]),
    );
    w.adopt = true;
    let result = plan(&[w], &[foreign], PlanOptions::default());
    assert_eq!(result.actions[0].action, ActionKind::Adopt);
    assert_eq!(result.actions[0].changes.len(), 2);
}

#[test]
fn pruning_follows_deletion_policies() {
    let keep = have(Kind::Function, "keep", Props::new());
    let gone_fn = have(Kind::Function, "gone", Props::new());
    let table = have(Kind::Table, "t", Props::new());
    let mut full_queue = have(Kind::Queue, "full", Props::new());
    full_queue.messages = Some(3);
    let mut empty_queue = have(Kind::Queue, "empty", Props::new());
    empty_queue.messages = Some(0);
    let desired: Vec<DesiredResource> = ["keep", "a", "b", "c", "d", "e"]
        .iter()
        .map(|n| want(Kind::Function, n, Props::new()))
        .collect();
    let mut observed = vec![keep, gone_fn, table, full_queue, empty_queue];
    for n in ["a", "b", "c", "d", "e"] {
        observed.push(have(Kind::Function, n, Props::new()));
    }
    let result = plan(&desired, &observed, PlanOptions::default());
    let by_id = |name: &str| {
        result
            .actions
            .iter()
            .find(|a| a.id.name == name)
            .map(|a| a.action)
    };
    assert_eq!(by_id("gone"), Some(ActionKind::Delete));
    assert_eq!(
        by_id("t"),
        Some(ActionKind::Release),
        "tables default to retain"
    );
    assert_eq!(by_id("empty"), Some(ActionKind::Delete));
    assert_eq!(
        by_id("full"),
        None,
        "a queue holding messages is not deleted"
    );
    assert_refused_with(&result, "holds 3 messages");
    // Consumers are deleted before queues.
    let position = |name: &str| {
        result
            .actions
            .iter()
            .position(|a| a.id.name == name)
            .unwrap()
    };
    assert!(position("gone") < position("empty"));
}

/// Queues `a` and `b`, wanted and in AWS alike: enough of a stack that one more resource's
/// deletion is not a mass deletion.
fn two_queues_in_sync() -> (Vec<DesiredResource>, Vec<ObservedResource>) {
    let names = ["a", "b"];
    (
        names.map(|n| want(Kind::Queue, n, Props::new())).to_vec(),
        names.map(|n| have(Kind::Queue, n, Props::new())).to_vec(),
    )
}

#[test]
fn a_retain_policy_recorded_on_the_resource_outlives_its_document() {
    let mut kept = have(Kind::Queue, "kept", Props::new());
    kept.deletion_policy = Some(DeletionPolicy::Retain);
    kept.messages = Some(0);
    let (desired, others) = two_queues_in_sync();
    let observed = [vec![kept], others].concat();
    let result = plan(&desired, &observed, PlanOptions::default());
    assert_eq!(result.actions.len(), 1);
    assert_eq!(result.actions[0].action, ActionKind::Release);
}

#[test]
fn a_table_holding_items_is_released_by_default_and_its_items_named_when_deleted() {
    let full = |policy: Option<DeletionPolicy>| {
        let mut table = have(Kind::Table, "orders", Props::new());
        table.messages = Some(42);
        table.deletion_policy = policy;
        table
    };
    let (desired, others) = two_queues_in_sync();
    let observed = [vec![full(None)], others.clone()].concat();
    let result = plan(&desired, &observed, PlanOptions::default());
    assert_eq!(result.actions.len(), 1);
    assert_eq!(result.actions[0].action, ActionKind::Release);

    let observed = [vec![full(Some(DeletionPolicy::Delete))], others].concat();
    let result = plan(&desired, &observed, PlanOptions::default());
    assert_eq!(result.actions[0].action, ActionKind::Delete);
    assert_eq!(
        result.actions[0].reasons,
        ["deletionPolicy delete: its 42 items are deleted with it"]
    );
}

#[test]
fn prune_false_keeps_what_left_the_spec() {
    let result = build_plan(
        "s",
        "r",
        "1",
        &[want(Kind::Function, "a", Props::new())],
        &[
            have(Kind::Function, "a", Props::new()),
            have(Kind::Function, "old", Props::new()),
        ],
        &[id(Kind::Function, "a")],
        &PlanOptions {
            prune: false,
            ..PlanOptions::default()
        },
    );
    assert!(result.actions.is_empty());
}

#[test]
fn the_mass_deletion_guard_refuses_an_empty_spec_and_more_than_half() {
    let observed: Vec<ObservedResource> = (0..4)
        .map(|i| have(Kind::Function, &format!("f{i}"), Props::new()))
        .collect();
    let empty = plan(&[], &observed, PlanOptions::default());
    assert_refused_with(&empty, "holds no resources");

    // A spec whose only resource is derived from the stack as a whole (its dashboard) holds
    // nothing: still refused.
    let only_the_dashboard = plan(
        &[want(Kind::Dashboard, "s", Props::new())],
        &observed,
        PlanOptions {
            rules: crate::kinds::rules,
            ..PlanOptions::default()
        },
    );
    assert_refused_with(&only_the_dashboard, "holds no resources");

    let one_left = plan(
        &[want(Kind::Function, "f0", Props::new())],
        &observed,
        PlanOptions::default(),
    );
    assert_refused_with(&one_left, "3 of the stack's 4");

    let half = plan(
        &[
            want(Kind::Function, "f0", Props::new()),
            want(Kind::Function, "f1", Props::new()),
        ],
        &observed,
        PlanOptions::default(),
    );
    assert!(
        half.refusals.is_empty(),
        "exactly half is allowed: {:?}",
        half.refusals
    );

    let allowed = plan(&[], &observed, mass_delete());
    assert!(allowed.refusals.is_empty());
    assert_eq!(allowed.summary.delete, 4);
}

#[test]
fn sensitive_changes_are_flagged() {
    let mut w = want(
        Kind::Function,
        "f",
        props(&[("environment.KEY", json!("sha256:new"))]),
    );
    w.sensitive.insert("environment.KEY".into());
    let result = plan(
        &[w],
        &[have(
            Kind::Function,
            "f",
            props(&[("environment.KEY", json!("sha256:old"))]),
        )],
        PlanOptions::default(),
    );
    assert!(result.actions[0].changes[0].sensitive);
}

#[test]
fn creates_follow_the_dependency_order_and_deletes_come_first() {
    let desired = [
        want(Kind::Queue, "dlq", Props::new()),
        want(Kind::Queue, "main", Props::new()),
    ];
    let observed = [
        have(Kind::Function, "old", Props::new()),
        have(Kind::Function, "x", Props::new()),
        have(Kind::Function, "y", Props::new()),
    ];
    let result = plan(&desired, &observed, mass_delete());
    let names: Vec<&str> = result.actions.iter().map(|a| a.id.name.as_str()).collect();
    assert_eq!(names, ["old", "x", "y", "dlq", "main"]);
}

#[test]
fn the_observed_digest_changes_with_observed_state_only() {
    let a = [have(Kind::Queue, "q", props(&[("delaySeconds", json!(0))]))];
    let mut b = a.clone();
    b[0].messages = Some(10);
    assert_eq!(
        digest_observed(&a),
        digest_observed(&b),
        "message counts move all the time"
    );
    b[0].props.set("delaySeconds", 5);
    assert_ne!(digest_observed(&a), digest_observed(&b));
}

#[test]
fn only_the_same_stack_and_resource_count_as_the_same_owner() {
    use crate::kinds::desired::{same_owner, TAG_RESOURCE, TAG_STACK};
    let wanted: std::collections::HashMap<String, String> = [
        (TAG_STACK.to_string(), "shop".to_string()),
        (TAG_RESOURCE.to_string(), "Api/public".to_string()),
    ]
    .into();
    let live = |stack: &str, resource: &str| -> std::collections::BTreeMap<String, String> {
        [
            (TAG_STACK.to_string(), stack.to_string()),
            (TAG_RESOURCE.to_string(), resource.to_string()),
            ("team".to_string(), "payments".to_string()),
        ]
        .into()
    };
    assert!(same_owner(&live("shop", "Api/public"), &wanted));
    assert!(!same_owner(&live("shop", "Api/admin"), &wanted));
    assert!(!same_owner(&live("other", "Api/public"), &wanted));
    // Nothing to recognise ours by: an untagged API is never taken for ours.
    assert!(!same_owner(&Default::default(), &Default::default()));
}

/// A queue `name` holding `messages`, pointed at by `referrers` (resource names of `have`).
fn queue_with(name: &str, messages: u64, referrers: &[(&str, &str)]) -> ObservedResource {
    let mut queue = have(Kind::Queue, name, Props::new());
    queue.messages = Some(messages);
    queue.referenced_by = referrers
        .iter()
        .map(|(referrer, what)| Referrer {
            arn: format!("arn:aws:x:us-east-1:1:{referrer}"),
            what: format!("the {what} of s-{referrer}"),
        })
        .collect();
    queue
}

/// The stack of the destroy tests: `jobs` triggers `worker` and redrives into `dlq`.
fn redrive_and_trigger(jobs_messages: u64) -> (Vec<DesiredResource>, Vec<ObservedResource>) {
    let desired = vec![
        want(Kind::Queue, "dlq", Props::new()),
        want(Kind::Queue, "jobs", Props::new()),
        want(Kind::Function, "worker", Props::new()),
    ];
    let observed = vec![
        queue_with("dlq", 0, &[("jobs", "redrive")]),
        queue_with("jobs", jobs_messages, &[("worker", "trigger")]),
        have(Kind::Function, "worker", Props::new()),
    ];
    (desired, observed)
}

#[test]
fn destroy_deletes_queues_that_only_the_plans_own_deletions_point_at_in_one_run() {
    let (desired, observed) = redrive_and_trigger(0);
    let result = plan(&desired, &observed, destroy_all());
    assert!(result.refusals.is_empty(), "{:?}", result.refusals);
    let order: Vec<(String, ActionKind)> = result
        .actions
        .iter()
        .map(|a| (a.id.to_string(), a.action))
        .collect();
    // Referrers first: the function (its trigger), the queue (its redrive), then the DLQ.
    assert_eq!(
        order,
        [
            ("Function/worker".to_string(), ActionKind::Delete),
            ("Queue/jobs".to_string(), ActionKind::Delete),
            ("Queue/dlq".to_string(), ActionKind::Delete),
        ]
    );
}

#[test]
fn deletions_wait_for_their_referrers_even_when_the_spec_no_longer_orders_them() {
    // Everything left the spec (prune): no creation order, and all three are queues or
    // functions named so that alphabetical order is the wrong one.
    let observed = vec![
        queue_with("a-dlq", 0, &[("b-jobs", "redrive")]),
        queue_with("b-jobs", 0, &[("c-more", "redrive")]),
        queue_with("c-more", 0, &[]),
    ];
    let result = plan(&[], &observed, mass_delete());
    assert!(result.refusals.is_empty(), "{:?}", result.refusals);
    let order: Vec<&str> = result.actions.iter().map(|a| a.id.name.as_str()).collect();
    assert_eq!(order, ["c-more", "b-jobs", "a-dlq"]);
}

#[test]
fn a_queue_holding_messages_keeps_itself_and_its_dead_letter_queue_with_fitting_hints() {
    let (desired, observed) = redrive_and_trigger(3);
    let result = plan(&desired, &observed, destroy_all());
    let deleted: Vec<String> = result.actions.iter().map(|a| a.id.to_string()).collect();
    assert_eq!(deleted, ["Function/worker"], "the function still goes");
    let refusal = |name: &str| {
        result
            .refusals
            .iter()
            .find(|r| r.id.as_ref().is_some_and(|id| id.name == name))
            .unwrap_or_else(|| panic!("{name} is kept: {:?}", result.refusals))
    };
    let jobs = refusal("jobs");
    assert_eq!(
        jobs.message,
        "Queue/jobs is not deleted: it holds 3 messages"
    );
    assert!(hint_of(jobs).starts_with("drain it first"), "{jobs:?}");
    let dlq = refusal("dlq");
    assert_eq!(
        dlq.message,
        "Queue/dlq is not deleted: the redrive of s-jobs still points at it (Queue/jobs not deleted)"
    );
    assert!(
        !hint_of(dlq).contains("drain"),
        "an empty queue is not told to drain: {dlq:?}"
    );
    assert_eq!(result.refusals.len(), 2, "{:?}", result.refusals);
}

#[test]
fn a_referrer_outside_the_plan_still_keeps_a_delete_if_empty_queue() {
    // The function stays in the spec; the queue it consumes is removed from it.
    let desired = [want(Kind::Function, "worker", Props::new())];
    let observed = [
        queue_with("jobs", 0, &[("worker", "trigger")]),
        have(Kind::Function, "worker", Props::new()),
    ];
    let result = plan(&desired, &observed, mass_delete());
    assert!(result.actions.is_empty(), "{:?}", result.actions);
    assert_eq!(result.refusals.len(), 1);
    let hint = hint_of(&result.refusals[0]);
    assert!(hint.starts_with("remove what points at it first"), "{hint}");
}

#[test]
fn a_long_s3_code_location_is_recorded_as_its_digest() {
    use crate::kinds::function::props::code_source_record;
    let short = "s3://artifacts/v1/app.zip";
    assert_eq!(code_source_record(short), short);
    let long = format!("s3://artifacts/{}/app.zip", "k".repeat(300));
    let record = code_source_record(&long);
    assert!(
        record.starts_with("sha256:") && record.len() == 7 + 64,
        "{record}"
    );
    assert_ne!(record, code_source_record(&format!("{long}2")));
}

#[test]
fn statement_ids_keep_to_what_add_permission_allows() {
    use crate::kinds::desired::statement_id;
    assert_eq!(
        statement_id("slsctl-events-", "orders-tick"),
        "slsctl-events-orders-tick"
    );
    for name in ["orders.tick", &"r".repeat(120)] {
        let id = statement_id("slsctl-events-", name);
        assert!(
            id.len() <= 100
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "{id}"
        );
    }
    assert_ne!(
        statement_id("slsctl-events-", "a.b"),
        statement_id("slsctl-events-", "a_b.")
    );
}

/// A log group leaving the spec is released by default (logs are data), and the plan says that
/// its retention still bounds it, or that nothing does.
#[test]
fn a_log_group_is_released_by_default_and_the_plan_says_whether_its_events_expire() {
    let (desired, others) = two_queues_in_sync();
    for (retention, said) in [
        (
            serde_json::json!(30),
            "its events still expire after 30 days, which bounds what it costs",
        ),
        (
            serde_json::json!("never"),
            "its events never expire: it is billed for them until it is deleted",
        ),
    ] {
        let group = have(
            Kind::LogGroup,
            "worker",
            props(&[("retentionDays", retention)]),
        );
        let observed = [vec![group], others.clone()].concat();
        let result = plan(&desired, &observed, PlanOptions::default());
        assert_eq!(result.actions.len(), 1);
        assert_eq!(result.actions[0].action, ActionKind::Release);
        assert_eq!(
            result.actions[0].reasons,
            [format!(
                "deletionPolicy retain: the resource stays, without this stack's tags; {said}"
            )]
        );
    }
}

#[test]
fn set_writes_a_known_value_over_what_the_field_held() {
    let mut props = Props::new();
    props.insert("memorySize".into(), FieldValue::unknown());
    props.set("memorySize", 256);
    props.set(format!("tags.{}", "team"), "orders");
    assert_eq!(props["memorySize"], FieldValue::Known(json!(256)));
    assert_eq!(props["tags.team"], FieldValue::Known(json!("orders")));
    assert_eq!(props.len(), 2);
}
