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
use super::observe::Observer;
use super::{ApplyFn, Checks, TypedKind, ValidateFn};
use crate::model::{Resource, ResourceSpec, Stack};
use crate::plan::{KindRules, Props};
use crate::spec::load::Loaded;
use crate::spec::validate::{Ctx, Validator};

/// The Table kind.
pub struct TableKind;

impl TypedKind for TableKind {
    type Wire = wire::TableSpecWire;
    type Model = crate::model::Table;
    const DESCRIPTION: &'static str = "A DynamoDB table.";
    const RULES: KindRules = KindRules {
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
    };
    const OBSERVER: &'static Observer = &observe::OBSERVER;
    const VALIDATE: ValidateFn<Self> = validate::validate;
    const SPEC: fn(Self::Model) -> ResourceSpec = ResourceSpec::Table;
    const APPLY: ApplyFn = |ctx, action| Box::pin(apply::run(ctx, action));
    const CHECKS: Checks<Self::Wire> = Checks {
        entry_facts: Some(checks::entry_facts),
        traffic: Some(checks::traffic),
        ..Checks::NONE
    };

    fn check_physical_name(
        &self,
        v: &mut Validator<'_>,
        ctx: &Ctx<'_>,
        _l: &Loaded<wire::TableSpecWire>,
        physical_name: &mut String,
    ) {
        if physical_name.len() < 3 {
            v.diagnostics.push(ctx.error(
                "spec.physicalName",
                "DynamoDB table names have at least 3 characters",
            ));
        }
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
}
