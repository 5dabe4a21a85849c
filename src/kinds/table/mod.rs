//! The table kind.
mod apply;
pub mod aws;
pub mod checks;
pub(crate) mod observe;
mod props;
mod update;
mod validate;
pub mod wire;

use super::{holding, kind_module, Checks, PropsFn, TypedKind};
use crate::plan::KindRules;

/// The Table kind.
pub struct TableKind;

kind_module!(TableKind: wire::TableSpecWire => Table);

impl TypedKind for TableKind {
    const DESCRIPTION: &'static str = "A DynamoDB table.";
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
    const PROPS: PropsFn<Self> = |w, props, _| props::table_props(w.model, w.ctx, props);
    const CHECKS: Checks<Self::Wire> = Checks {
        physical_name: Some(checks::physical_name),
        entry_facts: Some(checks::entry_facts),
        traffic: Some(checks::traffic),
        ..Checks::NONE
    };
}
