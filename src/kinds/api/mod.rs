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
use super::{ApplyCtx, BoxFuture, TypedKind};
use crate::aws::AwsError;
use crate::model::{Resource, ResourceSpec, Stack};
use crate::plan::{KindRules, Props, ResourceAction};
use crate::spec::load::Loaded;
use crate::spec::validate::{Ctx, Validator};

/// The Api kind.
pub struct ApiKind;

impl TypedKind for ApiKind {
    type Wire = wire::ApiSpecWire;
    const DESCRIPTION: &'static str = "An API Gateway REST API with Lambda proxy routes.";

    fn rules(&self) -> KindRules {
        KindRules {
            delete_rank: 6,
            ..KindRules::PLAIN
        }
    }

    fn validate(
        &self,
        v: &mut Validator<'_>,
        ctx: &Ctx<'_>,
        l: &Loaded<wire::ApiSpecWire>,
        physical_name: &mut String,
    ) -> Option<ResourceSpec> {
        let _ = physical_name;
        Some(ResourceSpec::Api(validate::validate(v, ctx, l)?))
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
        let ResourceSpec::Api(a) = &resource.spec else {
            return;
        };
        props::api_props(stack, ctx, resource, a, props);
        desired::tags(stack, resource, props);
    }

    fn apply<'a>(
        &'a self,
        ctx: &'a ApplyCtx,
        action: &'a ResourceAction,
    ) -> BoxFuture<'a, Result<(), AwsError>> {
        Box::pin(apply::run(ctx, action))
    }

    fn traffic(
        &self,
        v: &mut Validator<'_>,
        ctx: &Ctx<'_>,
        l: &Loaded<wire::ApiSpecWire>,
    ) -> Option<crate::model::Traffic> {
        checks::traffic(v, ctx, l)
    }

    fn cross_checks(
        &self,
        v: &mut Validator<'_>,
        ctx: &Ctx<'_>,
        stack: &Stack,
        resource: &Resource,
        l: &Loaded<wire::ApiSpecWire>,
    ) {
        let _ = stack;
        checks::cross_checks(v, ctx, resource, l);
    }

    fn observer(&self) -> &'static super::observe::Observer {
        &observe::OBSERVER
    }
}
