//! The layer kind.
mod apply;
pub mod aws;
pub(crate) mod observe;
mod props;
mod validate;
pub mod wire;

use std::collections::BTreeSet;

use super::desired::Context;
use super::{ApplyCtx, BoxFuture, ResourceKind};
use crate::aws::AwsError;
use crate::model::{Kind, Resource, ResourceSpec, Stack};
use crate::plan::{KindRules, Props, ResourceAction};
use crate::spec::load::ResourceDocument;
use crate::spec::validate::{Ctx, Validator};

/// The Layer kind.
pub struct LayerKind;

impl ResourceKind for LayerKind {
    fn kind(&self) -> Kind {
        Kind::Layer
    }

    fn rules(&self) -> KindRules {
        KindRules {
            delete_rank: 2,
            ..KindRules::PLAIN
        }
    }

    fn validate(
        &self,
        v: &mut Validator<'_>,
        ctx: &Ctx<'_>,
        document: &dyn ResourceDocument,
        physical_name: &mut String,
    ) -> Option<ResourceSpec> {
        let l = super::typed::<wire::LayerSpecWire>(document)?;
        let _ = physical_name;
        Some(ResourceSpec::Layer(validate::validate(v, ctx, l)?))
    }

    fn desired_props(
        &self,
        stack: &Stack,
        resource: &Resource,
        ctx: &Context,
        props: &mut Props,
        sensitive: &mut BTreeSet<String>,
    ) {
        let _ = (stack, sensitive);
        let ResourceSpec::Layer(l) = &resource.spec else {
            return;
        };
        props::layer_props(l, ctx, &resource.id, props);
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
        super::parse_as::<wire::LayerSpecWire>(padded, file, dir, map)
    }

    fn document_schema(&self, generator: &mut schemars::SchemaGenerator) -> serde_json::Value {
        crate::spec::schema::document_schema::<wire::LayerSpecWire>(
            generator,
            Kind::Layer,
            "A Lambda layer built from a directory.",
        )
    }

    fn spec_field_names(&self) -> Vec<String> {
        crate::spec::schema::field_names::<wire::LayerSpecWire>()
    }

    fn observer(&self) -> &'static super::observe::Observer {
        &observe::OBSERVER
    }
}
