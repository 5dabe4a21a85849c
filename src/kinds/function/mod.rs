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

use std::collections::BTreeSet;

use super::desired::{self, Context};
use super::observe::Observer;
use super::{ApplyFn, Checks, TypedKind, ValidateFn};
use crate::model::{Resource, ResourceSpec, Stack};
use crate::plan::{KindRules, Props};

/// The Function kind.
pub struct FunctionKind;

impl TypedKind for FunctionKind {
    type Wire = wire::FunctionSpecWire;
    type Model = crate::model::Function;
    const DESCRIPTION: &'static str =
        "A Lambda function with its alias, provisioned concurrency and triggers.";
    const RULES: KindRules = KindRules {
        immutable_fields: &[(
            "packageType",
            "Lambda cannot switch a function between zip and image packaging",
        )],
        data_bearing: false,
        held_unit: "messages",
        delete_rank: 4,
    };
    const OBSERVER: &'static Observer = &observe::OBSERVER;
    const VALIDATE: ValidateFn<Self> = validate::validate;
    const SPEC: fn(Self::Model) -> ResourceSpec = ResourceSpec::Function;
    const APPLY: ApplyFn = |ctx, action| Box::pin(apply::run(ctx, action));
    const CHECKS: Checks<Self::Wire> = Checks {
        sensitive_values: Some(checks::sensitive_values),
        entry_facts: Some(checks::entry_facts),
        traffic: Some(checks::traffic),
        cross_checks: Some(checks::cross_checks),
    };

    fn desired_props(
        &self,
        stack: &Stack,
        resource: &Resource,
        ctx: &Context,
        props: &mut Props,
        sensitive: &mut BTreeSet<String>,
    ) {
        let ResourceSpec::Function(f) = &resource.spec else {
            return;
        };
        props::function_props(stack, f, ctx, props, sensitive, &resource.id);
        desired::tags(stack, resource, props);
        if let Some(alias) = &f.alias {
            props.insert(
                format!("tags.{}", desired::TAG_ALIAS),
                crate::plan::FieldValue::known(alias.name.clone()),
            );
        }
    }
}
