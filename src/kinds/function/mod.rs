//! The Function kind.
mod aliases;
mod apply;
pub mod autoscaling;
pub mod aws;
pub mod checks;
mod mappings;
pub(crate) mod observe;
mod permissions;
pub(crate) mod props;
mod validate;
pub mod versions;
pub mod wire;

use std::collections::BTreeSet;

use super::desired::{self, Context};
use super::{ApplyCtx, BoxFuture, TypedKind};
use crate::aws::AwsError;
use crate::model::{Resource, ResourceSpec, Stack};
use crate::plan::{KindRules, Props, ResourceAction};
use crate::spec::load::Loaded;
use crate::spec::validate::{Ctx, Validator};

/// The Function kind.
pub struct FunctionKind;

impl TypedKind for FunctionKind {
    type Wire = wire::FunctionSpecWire;
    const DESCRIPTION: &'static str =
        "A Lambda function with its alias, provisioned concurrency and triggers.";

    fn rules(&self) -> KindRules {
        KindRules {
            immutable_fields: &[(
                "packageType",
                "Lambda cannot switch a function between zip and image packaging",
            )],
            data_bearing: false,
            held_unit: "messages",
            delete_rank: 4,
        }
    }

    fn validate(
        &self,
        v: &mut Validator<'_>,
        ctx: &Ctx<'_>,
        l: &Loaded<wire::FunctionSpecWire>,
        physical_name: &mut String,
    ) -> Option<ResourceSpec> {
        let _ = physical_name;
        Some(ResourceSpec::Function(validate::validate(v, ctx, l)?))
    }

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

    fn apply<'a>(
        &'a self,
        ctx: &'a ApplyCtx,
        action: &'a ResourceAction,
    ) -> BoxFuture<'a, Result<(), AwsError>> {
        Box::pin(apply::run(ctx, action))
    }

    fn sensitive_values<'d>(&self, l: &'d Loaded<wire::FunctionSpecWire>) -> Vec<&'d str> {
        checks::sensitive_values(l)
    }

    fn entry_facts(
        &self,
        v: &Validator<'_>,
        l: &Loaded<wire::FunctionSpecWire>,
        entry: &mut crate::spec::validate::Entry,
    ) {
        checks::entry_facts(v, l, entry);
    }

    fn traffic(
        &self,
        v: &mut Validator<'_>,
        ctx: &Ctx<'_>,
        l: &Loaded<wire::FunctionSpecWire>,
    ) -> Option<crate::model::Traffic> {
        checks::traffic(v, ctx, l)
    }

    fn cross_checks(
        &self,
        v: &mut Validator<'_>,
        ctx: &Ctx<'_>,
        stack: &Stack,
        resource: &Resource,
        l: &Loaded<wire::FunctionSpecWire>,
    ) {
        checks::cross_checks(v, ctx, stack, resource, l);
    }

    fn observer(&self) -> &'static super::observe::Observer {
        &observe::OBSERVER
    }
}
