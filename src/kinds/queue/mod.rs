//! The queue kind.
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

/// The Queue kind.
pub struct QueueKind;

impl ResourceKind for QueueKind {
    fn kind(&self) -> Kind {
        Kind::Queue
    }

    fn rules(&self) -> KindRules {
        KindRules {
            immutable_fields: &[(
                "fifo",
                "SQS cannot turn a standard queue into a FIFO queue or back",
            )],
            data_bearing: true,
            held_unit: "messages",
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
        let AnyDocument::Queue(l) = document else {
            return None;
        };
        if l.document.spec.fifo == Some(true) {
            if l.document.spec.physical_name.is_none() {
                physical_name.push_str(".fifo");
                if physical_name.len() > Kind::Queue.max_physical_name_len() {
                    v.diagnostics.push(
                        ctx.error(
                            "metadata.name",
                            format!(
                                "physical name `{}` is longer than the 80 characters SQS allows",
                                physical_name
                            ),
                        )
                        .hint("shorten the stack or queue name, or set spec.physicalName"),
                    );
                }
            } else if !physical_name.ends_with(".fifo") {
                v.diagnostics.push(
                    ctx.error(
                        "spec.physicalName",
                        "the name of a FIFO queue must end in `.fifo`",
                    )
                    .hint(format!("use `{}.fifo`", physical_name)),
                );
            }
        }
        Some(ResourceSpec::Queue(v.queue(ctx, l)?))
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
        let ResourceSpec::Queue(q) = &resource.spec else {
            return;
        };
        desired::queue_props(stack, resource, q, ctx, props);
        desired::tags(stack, resource, props);
    }

    fn apply<'a>(
        &'a self,
        ctx: &'a ApplyCtx,
        action: &'a ResourceAction,
    ) -> BoxFuture<'a, Result<(), AwsError>> {
        Box::pin(crate::apply::run_queue(ctx, action))
    }

    fn tagged_types(&self) -> &'static [&'static str] {
        &["sqs"]
    }

    fn observe<'a>(
        &'a self,
        ctx: &'a super::observe::ObserveCtx,
    ) -> BoxFuture<'a, Result<(), AwsError>> {
        Box::pin(observe::observe(ctx))
    }
}
