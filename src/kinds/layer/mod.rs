//! The layer kind.
mod apply;
pub mod aws;
pub(crate) mod observe;
mod props;
mod validate;
pub mod wire;

use std::collections::BTreeSet;

use super::desired::Context;
use super::{ApplyCtx, BoxFuture, TypedKind};
use crate::aws::AwsError;
use crate::model::{Resource, ResourceSpec, Stack};
use crate::plan::{KindRules, Props, ResourceAction};
use crate::spec::load::Loaded;
use crate::spec::validate::{Ctx, Validator};

/// The Layer kind.
pub struct LayerKind;

impl TypedKind for LayerKind {
    type Wire = wire::LayerSpecWire;
    const DESCRIPTION: &'static str = "A Lambda layer built from a directory.";

    fn rules(&self) -> KindRules {
        KindRules {
            delete_rank: 2,
            ..KindRules::PLAIN
        }
    }

    fn validate(
        &self,
        v: &mut Validator<'_>,
        ctx: &Ctx<'_>,
        l: &Loaded<wire::LayerSpecWire>,
        physical_name: &mut String,
    ) -> Option<ResourceSpec> {
        let _ = physical_name;
        Some(ResourceSpec::Layer(validate::validate(v, ctx, l)?))
    }

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

    fn apply<'a>(
        &'a self,
        ctx: &'a ApplyCtx,
        action: &'a ResourceAction,
    ) -> BoxFuture<'a, Result<(), AwsError>> {
        Box::pin(apply::run(ctx, action))
    }

    fn observer(&self) -> &'static super::observe::Observer {
        &observe::OBSERVER
    }
}
