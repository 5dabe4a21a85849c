//! The table kind.
mod apply;
pub mod aws;
pub mod checks;
pub(crate) mod observe;
mod props;
mod update;
mod validate;
pub mod wire;

use std::collections::BTreeSet;

use super::desired::{self, Context};
use super::{ApplyCtx, BoxFuture, TypedKind};
use crate::aws::AwsError;
use crate::model::{Resource, ResourceSpec, Stack};
use crate::plan::{KindRules, Props, ResourceAction};
use crate::spec::load::Loaded;
use crate::spec::validate::{Ctx, Validator};

/// The Table kind.
pub struct TableKind;

impl TypedKind for TableKind {
    type Wire = wire::TableSpecWire;
    const DESCRIPTION: &'static str = "A DynamoDB table.";

    fn rules(&self) -> KindRules {
        KindRules {
            immutable_fields: &[
                (
                    "partitionKey",
                    "DynamoDB cannot change a table's key schema",
                ),
                ("sortKey", "DynamoDB cannot change a table's key schema"),
            ],
            data_bearing: true,
            held_unit: "items",
            delete_rank: 1,
        }
    }

    fn validate(
        &self,
        v: &mut Validator<'_>,
        ctx: &Ctx<'_>,
        l: &Loaded<wire::TableSpecWire>,
        physical_name: &mut String,
    ) -> Option<ResourceSpec> {
        if physical_name.len() < 3 {
            v.diagnostics.push(ctx.error(
                "spec.physicalName",
                "DynamoDB table names have at least 3 characters",
            ));
        }
        Some(ResourceSpec::Table(validate::validate(v, ctx, l)?))
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
        let ResourceSpec::Table(t) = &resource.spec else {
            return;
        };
        props::table_props(t, ctx, props);
        desired::tags(stack, resource, props);
    }

    fn apply<'a>(
        &'a self,
        ctx: &'a ApplyCtx,
        action: &'a ResourceAction,
    ) -> BoxFuture<'a, Result<(), AwsError>> {
        Box::pin(apply::run(ctx, action))
    }

    fn entry_facts(
        &self,
        v: &Validator<'_>,
        l: &Loaded<wire::TableSpecWire>,
        entry: &mut crate::spec::validate::Entry,
    ) {
        let _ = v;
        checks::entry_facts(l, entry);
    }

    fn traffic(
        &self,
        v: &mut Validator<'_>,
        ctx: &Ctx<'_>,
        l: &Loaded<wire::TableSpecWire>,
    ) -> Option<crate::model::Traffic> {
        checks::traffic(v, ctx, l)
    }

    fn observer(&self) -> &'static super::observe::Observer {
        &observe::OBSERVER
    }
}
