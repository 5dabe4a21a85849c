//! The Function kind.
pub mod aliases;
mod apply;
pub mod autoscaling;
pub mod aws;
pub mod checks;
pub mod mappings;
pub(crate) mod observe;
pub mod permissions;
pub(crate) mod props;
mod validate;
pub mod versions;
pub mod wire;

use super::{desired, kind_module, stateless, Checks, PropsFn, TypedKind};
use crate::plan::KindRules;

/// The Function kind.
pub struct FunctionKind;

kind_module!(FunctionKind: wire::FunctionSpecWire => Function);

impl TypedKind for FunctionKind {
    const DESCRIPTION: &'static str =
        "A Lambda function with its alias, provisioned concurrency and triggers.";
    const RULES: KindRules = stateless(
        4,
        &[(
            "packageType",
            "Lambda cannot switch a function between zip and image packaging",
        )],
    );
    const PROPS: PropsFn<Self> = |w, props, sensitive| {
        props::function_props(w.stack, w.model, w.ctx, props, sensitive, &w.resource.id);
        if let Some(alias) = &w.model.alias {
            props.insert(
                format!("tags.{}", desired::TAG_ALIAS),
                crate::plan::FieldValue::known(alias.name.clone()),
            );
        }
    };
    const CHECKS: Checks<Self::Wire> = Checks {
        sensitive_values: Some(checks::sensitive_values),
        entry_facts: Some(checks::entry_facts),
        traffic: Some(checks::traffic),
        cross_checks: Some(checks::cross_checks),
        physical_name: None,
    };
}
