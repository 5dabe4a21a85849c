//! The rule kind.
pub(crate) mod apply;
pub mod aws;
pub(crate) mod observe;
pub(crate) mod props;
pub(crate) mod validate;
pub mod wire;

use std::collections::BTreeSet;

use super::desired::{self, Context};
use super::{ApplyCtx, BoxFuture, TypedKind};
use crate::aws::AwsError;
use crate::model::{Resource, ResourceSpec, Stack};
use crate::plan::{KindRules, Props, ResourceAction};
use crate::spec::load::Loaded;
use crate::spec::validate::{Ctx, Validator};

/// The Rule kind.
pub struct RuleKind;

impl TypedKind for RuleKind {
    type Wire = wire::RuleSpecWire;
    const DESCRIPTION: &'static str = "An EventBridge rule and its targets.";

    fn rules(&self) -> KindRules {
        KindRules {
            immutable_fields: &[("bus", "EventBridge cannot move a rule to another bus")],
            data_bearing: false,
            held_unit: "messages",
            delete_rank: 5,
        }
    }

    fn validate(
        &self,
        v: &mut Validator<'_>,
        ctx: &Ctx<'_>,
        l: &Loaded<wire::RuleSpecWire>,
        physical_name: &mut String,
    ) -> Option<ResourceSpec> {
        let _ = physical_name;
        Some(ResourceSpec::Rule(validate::validate(v, ctx, l)?))
    }

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
