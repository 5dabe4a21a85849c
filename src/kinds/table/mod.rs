//! The table kind.
mod apply;
pub mod aws;
pub mod checks;
pub(crate) mod observe;
mod props;
mod update;
mod validate;
pub mod wire;

use super::{holding, kind_module, ArnOf, Checks, DeriveFn, EventKey, TypedKind};
use crate::aws::permissions::Through;
use crate::plan::KindRules;

kind_module! {
    /// A DynamoDB table.
    // DynamoDB TableName.
    pub struct TableKind: wire::TableSpecWire => Table, arn "dynamodb", name_limit 255;
}

impl TypedKind for TableKind {
    const ARN: ArnOf<Self> = ArnOf::Named("table/");
    const EVENT_KEY: Option<EventKey> = Some(EventKey::Name("dynamodb:table"));
    const CHANGES_THROUGH: &'static [Through] = &[Through::Service("dynamodb")];
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
