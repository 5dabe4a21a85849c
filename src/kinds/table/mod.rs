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
use super::{ApplyCtx, BoxFuture, ResourceKind};
use crate::aws::AwsError;
use crate::model::{Kind, Resource, ResourceSpec, Stack};
use crate::plan::{KindRules, Props, ResourceAction};
use crate::spec::load::ResourceDocument;
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
        document: &dyn ResourceDocument,
        physical_name: &mut String,
    ) -> Option<ResourceSpec> {
        let l = super::typed::<wire::TableSpecWire>(document)?;
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

    fn parse(
        &self,
        padded: &str,
        file: &std::sync::Arc<std::path::Path>,
        dir: &std::path::Path,
        map: &crate::spec::yaml::SourceMap,
    ) -> Result<Box<dyn ResourceDocument>, Box<crate::spec::diag::Diagnostic>> {
        super::parse_as::<wire::TableSpecWire>(padded, file, dir, map)
    }

    fn document_schema(&self, generator: &mut schemars::SchemaGenerator) -> serde_json::Value {
        crate::spec::schema::document_schema::<wire::TableSpecWire>(
            generator,
            Kind::Table,
            "A DynamoDB table.",
        )
    }

    fn spec_field_names(&self) -> Vec<String> {
        crate::spec::schema::field_names::<wire::TableSpecWire>()
    }

    fn entry_facts(
        &self,
        v: &Validator<'_>,
        document: &dyn ResourceDocument,
        entry: &mut crate::spec::validate::Entry,
    ) {
        let _ = v;
        if let Some(l) = super::typed::<wire::TableSpecWire>(document) {
            checks::entry_facts(l, entry);
        }
    }

    fn traffic(
        &self,
        v: &mut Validator<'_>,
        ctx: &Ctx<'_>,
        document: &dyn ResourceDocument,
    ) -> Option<crate::model::Traffic> {
        checks::traffic(v, ctx, super::typed::<wire::TableSpecWire>(document)?)
    }

    fn observer(&self) -> &'static super::observe::Observer {
        &observe::OBSERVER
    }
}
