//! The rule kind.
pub mod aws;
pub(crate) mod observe;

use std::collections::BTreeSet;

use super::desired::{self, Context};
use super::{ApplyCtx, BoxFuture, ResourceKind};
use crate::aws::AwsError;
use crate::model::{Kind, Resource, ResourceSpec, Stack};
use crate::plan::{KindRules, Props, ResourceAction};
use crate::spec::load::AnyDocument;
use crate::spec::validate::{Ctx, Validator};

/// The Rule kind.
pub struct RuleKind;

impl ResourceKind for RuleKind {
    fn kind(&self) -> Kind {
        Kind::Rule
    }

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
        document: &AnyDocument,
        physical_name: &mut String,
    ) -> Option<ResourceSpec> {
        let AnyDocument::Rule(l) = document else {
            return None;
        };
        let _ = physical_name;
        Some(ResourceSpec::Rule(v.rule(ctx, l)?))
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
        desired::rule_props(stack, ctx, r, props);
        desired::tags(stack, resource, props);
    }

    fn apply<'a>(
        &'a self,
        ctx: &'a ApplyCtx,
        action: &'a ResourceAction,
    ) -> BoxFuture<'a, Result<(), AwsError>> {
        Box::pin(crate::apply::run_rule(ctx, action))
    }

    fn tagged_types(&self) -> &'static [&'static str] {
        &["events:rule"]
    }

    fn observe<'a>(
        &'a self,
        ctx: &'a super::observe::ObserveCtx,
    ) -> BoxFuture<'a, Result<(), AwsError>> {
        Box::pin(observe::observe(ctx))
    }
}
