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
use super::{ApplyCtx, BoxFuture, ResourceKind};
use crate::aws::AwsError;
use crate::model::{Kind, Resource, ResourceSpec, Stack};
use crate::plan::{KindRules, Props, ResourceAction};
use crate::spec::load::ResourceDocument;
use crate::spec::validate::{Ctx, Validator};

/// The Function kind.
pub struct FunctionKind;

impl ResourceKind for FunctionKind {
    fn kind(&self) -> Kind {
        Kind::Function
    }

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
        document: &dyn ResourceDocument,
        physical_name: &mut String,
    ) -> Option<ResourceSpec> {
        let l = super::typed::<wire::FunctionSpecWire>(document)?;
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

    fn parse(
        &self,
        padded: &str,
        file: &std::sync::Arc<std::path::Path>,
        dir: &std::path::Path,
        map: &crate::spec::yaml::SourceMap,
    ) -> Result<Box<dyn ResourceDocument>, Box<crate::spec::diag::Diagnostic>> {
        super::parse_as::<wire::FunctionSpecWire>(padded, file, dir, map)
    }

    fn document_schema(&self, generator: &mut schemars::SchemaGenerator) -> serde_json::Value {
        crate::spec::schema::document_schema::<wire::FunctionSpecWire>(
            generator,
            Kind::Function,
            "A Lambda function with its alias, provisioned concurrency and triggers.",
        )
    }

    fn spec_field_names(&self) -> Vec<String> {
        crate::spec::schema::field_names::<wire::FunctionSpecWire>()
    }

    fn sensitive_values<'d>(&self, document: &'d dyn ResourceDocument) -> Vec<&'d str> {
        super::typed::<wire::FunctionSpecWire>(document)
            .map_or_else(Vec::new, checks::sensitive_values)
    }

    fn entry_facts(
        &self,
        v: &Validator<'_>,
        document: &dyn ResourceDocument,
        entry: &mut crate::spec::validate::Entry,
    ) {
        let _ = v;
        if let Some(l) = super::typed::<wire::FunctionSpecWire>(document) {
            checks::entry_facts(v, l, entry);
        }
    }

    fn traffic(
        &self,
        v: &mut Validator<'_>,
        ctx: &Ctx<'_>,
        document: &dyn ResourceDocument,
    ) -> Option<crate::model::Traffic> {
        checks::traffic(v, ctx, super::typed::<wire::FunctionSpecWire>(document)?)
    }

    fn cross_checks(
        &self,
        v: &mut Validator<'_>,
        ctx: &Ctx<'_>,
        stack: &Stack,
        resource: &Resource,
        document: &dyn ResourceDocument,
    ) {
        let _ = stack;
        if let Some(l) = super::typed::<wire::FunctionSpecWire>(document) {
            checks::cross_checks(v, ctx, stack, resource, l);
        }
    }

    fn observer(&self) -> &'static super::observe::Observer {
        &observe::OBSERVER
    }
}
