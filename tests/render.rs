//! Snapshots of the rendered plan, for people and for machines.

use serde_json::json;
use slsctl::model::{Kind, ResourceId};
use slsctl::plan::{ActionKind, FieldChange, FieldValue, Plan, Refusal, ResourceAction, Summary};

const SECRET_DIGEST: &str =
    "sha256:5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8";

fn change(field: &str, before: Option<FieldValue>, after: Option<FieldValue>) -> FieldChange {
    FieldChange {
        field: field.into(),
        before,
        after,
        sensitive: false,
        forces_replacement: false,
    }
}

fn sample() -> Plan {
    let k = |v: serde_json::Value| Some(FieldValue::known(v));
    Plan {
        format_version: 1,
        stack: "orders".into(),
        region: "us-east-1".into(),
        account: "123456789012".into(),
        observed_digest: "0f".into(),
        actions: vec![
            ResourceAction {
                id: ResourceId::new(Kind::Function, "old-report"),
                action: ActionKind::Delete,
                physical_name: "orders-old-report".into(),
                changes: vec![],
                reasons: vec![],
            },
            ResourceAction {
                id: ResourceId::new(Kind::Queue, "audit"),
                action: ActionKind::Release,
                physical_name: "orders-audit".into(),
                changes: vec![],
                reasons: vec!["deletionPolicy retain: the resource stays, without this stack's tags".into()],
            },
            ResourceAction {
                id: ResourceId::new(Kind::Queue, "jobs"),
                action: ActionKind::Create,
                physical_name: "orders-jobs".into(),
                changes: vec![
                    change("visibilityTimeout", None, k(json!(60))),
                    change("deadLetter.queue", None, Some(FieldValue::unknown())),
                ],
                reasons: vec![],
            },
            ResourceAction {
                id: ResourceId::new(Kind::Function, "create-order"),
                action: ActionKind::Update,
                physical_name: "orders-create-order".into(),
                changes: vec![
                    FieldChange {
                        sensitive: true,
                        ..change("environment.API_KEY", k(json!(SECRET_DIGEST)), k(json!("sha256:00")))
                    },
                    change("environment.LOG_LEVEL", k(json!("info")), k(json!("debug"))),
                    change(
                        "layers",
                        k(json!(["arn:aws:lambda:us-east-1:123456789012:layer:orders-shared-libs:1", "arn:aws:lambda:us-east-1:123456789012:layer:x:3"])),
                        k(json!(["arn:aws:lambda:us-east-1:123456789012:layer:orders-shared-libs:2", "arn:aws:lambda:us-east-1:123456789012:layer:x:3"])),
                    ),
                    change("memorySize", k(json!(256)), k(json!(512))),
                    change("reservedConcurrency", k(json!(5)), None),
                ],
                reasons: vec![],
            },
            ResourceAction {
                id: ResourceId::new(Kind::Queue, "events"),
                action: ActionKind::Replace,
                physical_name: "orders-events.fifo".into(),
                changes: vec![FieldChange { forces_replacement: true, ..change("fifo", k(json!(false)), k(json!(true))) }],
                reasons: vec!["fifo: SQS cannot turn a standard queue into a FIFO queue or back".into()],
            },
        ],
        refusals: vec![Refusal {
            id: Some(ResourceId::new(Kind::Queue, "events")),
            message: "Queue/events must be replaced (fifo: SQS cannot turn a standard queue into a FIFO queue or back), which deletes its data".into(),
            hint: Some("allow it explicitly with --allow-replace Queue/events".into()),
        }],
        summary: Summary { create: 1, update: 1, replace: 1, delete: 1, release: 1, adopt: 0, unchanged: 4 },
        notes: vec!["not managed by this version yet (EventBridge, DynamoDB and API Gateway come next): Table/app".into()],
        cost: Some(slsctl::plan::CostChange { before_cents: 4169, after_cents: 5931, budget_cents: Some(10_000) }),
        left_out: Vec::new(),
    }
}

#[test]
fn plan_for_people() {
    let text = slsctl::render::plan_text(&sample());
    assert!(
        !text.contains(SECRET_DIGEST),
        "the digest of a secret is never shown"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn plan_for_machines() {
    let value = slsctl::render::plan_json(&sample());
    let text = serde_json::to_string_pretty(&value).unwrap();
    assert!(
        !text.contains(SECRET_DIGEST),
        "the digest of a secret is never shown"
    );
    // The JSON plan reads back as a plan (`apply PLANFILE`).
    let back: Plan = serde_json::from_value(value).expect("a saved plan loads");
    assert_eq!(back.actions.len(), 5);
    insta::assert_snapshot!(text);
}

#[test]
fn an_empty_plan_says_so() {
    let mut plan = sample();
    plan.actions.clear();
    plan.refusals.clear();
    plan.notes.clear();
    plan.summary = Summary {
        unchanged: 9,
        ..Summary::default()
    };
    insta::assert_snapshot!(slsctl::render::plan_text(&plan));
}

/// The example stack's diagram in every format, with the package sizes left out (they depend on
/// the zip library's bytes, pinned but not the point here).
fn example_diagram() -> slsctl::diagram::Diagram {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/examples/orders");
    let (stack, _) =
        slsctl::kinds::load_stack(&root).unwrap_or_else(|_| panic!("the example loads"));
    slsctl::diagram::of(&stack, &Default::default())
}

#[test]
fn the_example_diagram_as_mermaid() {
    insta::assert_snapshot!(slsctl::diagram::render::mermaid(&example_diagram()));
}

#[test]
fn the_example_diagram_as_drawio_names_every_node_and_edge_once() {
    let d = example_diagram();
    let text = slsctl::diagram::render::drawio(&d);
    // Every edge joins two cells of the file; every resource is one AWS shape.
    for (j, e) in d.edges.iter().enumerate() {
        assert!(text.contains(&format!(
            "id=\"e{j}\" value=\"{}\"",
            e.label.replace('"', "&quot;")
        )));
        assert!(text.contains(&format!("source=\"n{}\" target=\"n{}\"", e.from, e.to)));
    }
    assert_eq!(
        text.matches("shape=mxgraph.aws4.resourceIcon").count(),
        d.nodes.len()
    );
    assert!(text.contains("resIcon=mxgraph.aws4.lambda_function"));
    assert!(text.contains("resIcon=mxgraph.aws4.dynamodb"));
    assert!(text.starts_with("<mxfile") && text.trim_end().ends_with("</mxfile>"));
    insta::assert_snapshot!(text);
}

#[test]
fn the_example_diagram_as_svg_is_the_same_bytes_every_time() {
    let first = slsctl::diagram::render::svg(&example_diagram(), &Default::default());
    let again = slsctl::diagram::render::svg(&example_diagram(), &Default::default());
    assert_eq!(first, again);
    assert_eq!(first.matches("<g>").count(), example_diagram().nodes.len());
    insta::assert_snapshot!(first);
}
