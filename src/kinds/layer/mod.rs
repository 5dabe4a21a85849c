//! The layer kind.
mod apply;
pub mod aws;
pub(crate) mod observe;
mod props;
mod validate;
pub mod wire;

use std::collections::BTreeSet;

use super::desired::Context;
use super::observe::Observer;
use super::{ApplyFn, TypedKind, ValidateFn};
use crate::model::{Resource, ResourceSpec, Stack};
use crate::plan::{KindRules, Props};

/// The Layer kind.
pub struct LayerKind;

impl TypedKind for LayerKind {
    type Wire = wire::LayerSpecWire;
    type Model = crate::model::Layer;
    const DESCRIPTION: &'static str = "A Lambda layer built from a directory.";
    const RULES: KindRules = KindRules {
        delete_rank: 2,
        ..KindRules::PLAIN
    };
    const OBSERVER: &'static Observer = &observe::OBSERVER;
    const VALIDATE: ValidateFn<Self> = validate::validate;
    const SPEC: fn(Self::Model) -> ResourceSpec = ResourceSpec::Layer;
    const APPLY: ApplyFn = |ctx, action| Box::pin(apply::run(ctx, action));

    fn desired_props(
        &self,
        stack: &Stack,
        resource: &Resource,
        ctx: &Context,
        props: &mut Props,
        sensitive: &mut BTreeSet<String>,
    ) {
        let _ = (stack, sensitive);
        let ResourceSpec::Layer(l) = &resource.spec else {
            return;
        };
        props::layer_props(l, ctx, &resource.id, props);
    }
}
