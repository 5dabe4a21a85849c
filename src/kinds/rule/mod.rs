//! The rule kind.
pub(crate) mod apply;
pub mod aws;
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
        document: &dyn ResourceDocument,
        physical_name: &mut String,
    ) -> Option<ResourceSpec> {
        let l = super::typed::<wire::RuleSpecWire>(document)?;
        let _ = physical_name;
        Some(ResourceSpec::Rule(validate::validate(v, ctx, l)?))
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
        props::rule_props(stack, ctx, r, props);
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
        super::parse_as::<wire::RuleSpecWire>(padded, file, dir, map)
    }

    fn document_schema(&self, generator: &mut schemars::SchemaGenerator) -> serde_json::Value {
        crate::spec::schema::document_schema::<wire::RuleSpecWire>(
            generator,
            Kind::Rule,
            "An EventBridge rule and its targets.",
        )
    }

    fn spec_field_names(&self) -> Vec<String> {
        crate::spec::schema::field_names::<wire::RuleSpecWire>()
    }

    fn observer(&self) -> &'static super::observe::Observer {
        &observe::OBSERVER
    }
}
