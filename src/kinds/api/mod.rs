//! The api kind.
pub(crate) mod apply;
pub mod aws;
pub mod checks;
pub mod domain;
pub(crate) mod observe;
pub(crate) mod props;
pub(crate) mod validate;
pub mod wire;

use std::collections::BTreeSet;

use super::desired::{self, Context};
use super::observe::Observer;
use super::{ApplyFn, Checks, TypedKind, ValidateFn};
use crate::model::{Resource, ResourceSpec, Stack};
use crate::plan::{KindRules, Props};

/// The Api kind.
pub struct ApiKind;

impl TypedKind for ApiKind {
    type Wire = wire::ApiSpecWire;
    type Model = crate::model::Api;
    const DESCRIPTION: &'static str = "An API Gateway REST API with Lambda proxy routes.";
    const RULES: KindRules = KindRules {
        delete_rank: 6,
        ..KindRules::PLAIN
    };
    const OBSERVER: &'static Observer = &observe::OBSERVER;
    const VALIDATE: ValidateFn<Self> = validate::validate;
    const SPEC: fn(Self::Model) -> ResourceSpec = ResourceSpec::Api;
    const APPLY: ApplyFn = |ctx, action| Box::pin(apply::run(ctx, action));
    const CHECKS: Checks<Self::Wire> = Checks {
        traffic: Some(checks::traffic),
        cross_checks: Some(checks::cross_checks),
        ..Checks::NONE
    };

    fn desired_props(
        &self,
        stack: &Stack,
        resource: &Resource,
        ctx: &Context,
        props: &mut Props,
        sensitive: &mut BTreeSet<String>,
    ) {
        let _ = sensitive;
        let ResourceSpec::Api(a) = &resource.spec else {
            return;
        };
        props::api_props(stack, ctx, resource, a, props);
        desired::tags(stack, resource, props);
    }
}
