//! The Function kind.
pub mod autoscaling;
pub mod aws;
pub(crate) mod observe;
pub mod versions;

use std::collections::BTreeSet;

use super::desired::{self, Context};
use super::{ApplyCtx, BoxFuture, ResourceKind};
use crate::aws::AwsError;
use crate::model::{Kind, Resource, ResourceSpec, Stack};
use crate::plan::{KindRules, Props, ResourceAction};
use crate::spec::load::AnyDocument;
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
        document: &AnyDocument,
        physical_name: &mut String,
    ) -> Option<ResourceSpec> {
        let AnyDocument::Function(l) = document else {
            return None;
        };
        let _ = physical_name;
        Some(ResourceSpec::Function(v.function(ctx, l)?))
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
        desired::function_props(stack, f, ctx, props, sensitive, &resource.id);
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
        Box::pin(crate::apply::run_function(ctx, action))
    }

    fn tagged_types(&self) -> &'static [&'static str] {
        &["lambda:function"]
    }

    fn observe<'a>(
        &'a self,
        ctx: &'a super::observe::ObserveCtx,
    ) -> BoxFuture<'a, Result<(), AwsError>> {
        Box::pin(observe::observe(ctx))
    }
}
