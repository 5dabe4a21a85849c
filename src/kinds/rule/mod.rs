//! The rule kind.
pub(crate) mod apply;
pub mod aws;
pub(crate) mod observe;
pub(crate) mod props;
pub(crate) mod validate;
pub mod wire;

use std::collections::BTreeSet;

use super::desired::{self, Context};
use super::observe::Observer;
use super::{ApplyFn, TypedKind, ValidateFn};
use crate::model::{Resource, ResourceSpec, Stack};
use crate::plan::{KindRules, Props};

/// The Rule kind.
pub struct RuleKind;

impl TypedKind for RuleKind {
    type Wire = wire::RuleSpecWire;
    type Model = crate::model::Rule;
    const DESCRIPTION: &'static str = "An EventBridge rule and its targets.";
    const RULES: KindRules = KindRules {
        immutable_fields: &[("bus", "EventBridge cannot move a rule to another bus")],
        data_bearing: false,
        held_unit: "messages",
        delete_rank: 5,
    };
    const OBSERVER: &'static Observer = &observe::OBSERVER;
    const VALIDATE: ValidateFn<Self> = validate::validate;
    const SPEC: fn(Self::Model) -> ResourceSpec = ResourceSpec::Rule;
    const APPLY: ApplyFn = |ctx, action| Box::pin(apply::run(ctx, action));

    fn desired_props(
        &self,
        stack: &Stack,
        resource: &Resource,
        ctx: &Context,
        props: &mut Props,
        sensitive: &mut BTreeSet<String>,
    ) {
        let _ = sensitive;
        let ResourceSpec::Rule(r) = &resource.spec else {
            return;
        };
        props::rule_props(stack, ctx, r, props);
        desired::tags(stack, resource, props);
    }
}
