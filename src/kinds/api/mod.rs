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
use super::{ApplyCtx, BoxFuture, ResourceKind};
use crate::aws::AwsError;
use crate::model::{Kind, Resource, ResourceSpec, Stack};
use crate::plan::{KindRules, Props, ResourceAction};
use crate::spec::load::ResourceDocument;
use crate::spec::validate::{Ctx, Validator};

/// The Api kind.
pub struct ApiKind;

impl ResourceKind for ApiKind {
    fn kind(&self) -> Kind {
        Kind::Api
    }

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
        document: &dyn ResourceDocument,
        physical_name: &mut String,
    ) -> Option<ResourceSpec> {
        let l = super::typed::<wire::ApiSpecWire>(document)?;
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

    fn parse(
        &self,
        padded: &str,
        file: &std::sync::Arc<std::path::Path>,
        dir: &std::path::Path,
        map: &crate::spec::yaml::SourceMap,
    ) -> Result<Box<dyn ResourceDocument>, Box<crate::spec::diag::Diagnostic>> {
        super::parse_as::<wire::ApiSpecWire>(padded, file, dir, map)
    }

    fn document_schema(&self, generator: &mut schemars::SchemaGenerator) -> serde_json::Value {
        crate::spec::schema::document_schema::<wire::ApiSpecWire>(
            generator,
            Kind::Api,
            "An API Gateway REST API with Lambda proxy routes.",
        )
    }

    fn spec_field_names(&self) -> Vec<String> {
        crate::spec::schema::field_names::<wire::ApiSpecWire>()
    }

    fn traffic(
        &self,
        v: &mut Validator<'_>,
        ctx: &Ctx<'_>,
        document: &dyn ResourceDocument,
    ) -> Option<crate::model::Traffic> {
        checks::traffic(v, ctx, super::typed::<wire::ApiSpecWire>(document)?)
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
        if let Some(l) = super::typed::<wire::ApiSpecWire>(document) {
            checks::cross_checks(v, ctx, resource, l);
        }
    }

    fn observer(&self) -> &'static super::observe::Observer {
        &observe::OBSERVER
    }
}
