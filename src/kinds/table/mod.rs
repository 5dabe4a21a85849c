//! The table kind.
mod apply;
pub mod aws;
pub mod checks;
pub(crate) mod observe;
mod props;
mod update;
mod validate;
pub mod wire;

use super::{holding, kind_module, ArnOf, Checks, DeriveFn, EventKey, ExplainUpdateFn, TypedKind};
use crate::aws::permissions::Through;
use crate::plan::{
    DesiredResource, FieldValue, KindRules, ObservedResource, Props, ResourceAction, SetProp,
};

kind_module! {
    /// A DynamoDB table.
    // DynamoDB TableName.
    pub struct TableKind: wire::TableSpecWire => Table, arn "dynamodb", name_limit 255;
}

impl TypedKind for TableKind {
    const ARN: ArnOf<Self> = ArnOf::Named("table/");
    const EVENT_KEY: Option<EventKey> = Some(EventKey::Name("dynamodb:table"));
    const CHANGES_THROUGH: &'static [Through] = &[Through::Service("dynamodb")];
    const SETTLE_OBSERVED: Option<fn(&DesiredResource, &mut ObservedResource)> =
        Some(accept_aws_managed_key);
    const EXPLAIN_UPDATE: Option<ExplainUpdateFn<Self>> = Some(index_steps);
    const RULES: KindRules = holding(
        "items",
        1,
        &[
            (
                "partitionKey",
                "DynamoDB cannot change a table's key schema",
            ),
            ("sortKey", "DynamoDB cannot change a table's key schema"),
        ],
    );
    const CHECKS: Checks<Self::Wire> = Checks {
        physical_name: Some(checks::physical_name),
        entry_facts: Some(checks::entry_facts),
        traffic: Some(checks::traffic),
        ..Checks::NONE
    };
    const DERIVE: Option<DeriveFn<Self>> = crate::kinds::alarm::derive::its_alarms::<Self>();
}

/// DynamoDB names the AWS-managed key (`aws/dynamodb`) by its key ARN, which slsctl cannot
/// derive without KMS; where the spec asks for that key (`sse: KMS`), any KMS key ARN the table
/// reports is taken as it. A switch to a customer key by ARN, or back to AWS-owned, still shows.
fn accept_aws_managed_key(want: &DesiredResource, have: &mut ObservedResource) {
    if want.props.get("sse") != Some(&FieldValue::known("KMS")) {
        return;
    }
    if let Some(FieldValue::Known(serde_json::Value::String(value))) = have.props.get("sse") {
        if value.starts_with("KMS:") {
            have.props.set("sse", "KMS");
        }
    }
}

/// Index changes take several slow, ordered steps; the plan spells them out.
fn index_steps(table: &crate::model::Table, live: &Props, action: &mut ResourceAction) {
    let changed = action.changes.iter().map(|c| c.field.clone()).collect();
    for (i, step) in aws::update_steps(&changed, live, table)
        .into_iter()
        .enumerate()
    {
        action.reasons.push(format!("step {}: {step}", i + 1));
    }
}
