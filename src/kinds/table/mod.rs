//! The table kind.
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

/// The Table kind.
pub struct TableKind;

impl ResourceKind for TableKind {
    fn kind(&self) -> Kind {
        Kind::Table
    }

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
        document: &AnyDocument,
        physical_name: &mut String,
    ) -> Option<ResourceSpec> {
        let AnyDocument::Table(l) = document else {
            return None;
        };
        if physical_name.len() < 3 {
            v.diagnostics.push(ctx.error(
                "spec.physicalName",
                "DynamoDB table names have at least 3 characters",
            ));
        }
        Some(ResourceSpec::Table(v.table(ctx, l)?))
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
        desired::table_props(t, ctx, props);
        desired::tags(stack, resource, props);
    }

    fn apply<'a>(
        &'a self,
        ctx: &'a ApplyCtx,
        action: &'a ResourceAction,
    ) -> BoxFuture<'a, Result<(), AwsError>> {
        Box::pin(crate::apply::run_table(ctx, action))
    }

    fn tagged_types(&self) -> &'static [&'static str] {
        &["dynamodb:table"]
    }

    fn observe<'a>(
        &'a self,
        ctx: &'a super::observe::ObserveCtx,
    ) -> BoxFuture<'a, Result<(), AwsError>> {
        Box::pin(observe::observe(ctx))
    }
}
