//! The queue kind.
mod apply;
pub mod aws;
pub mod checks;
pub(crate) mod observe;
mod props;
mod validate;
pub mod wire;

use std::collections::BTreeSet;

use super::desired::{self, Context};
use super::observe::Observer;
use super::{ApplyFn, Checks, TypedKind, ValidateFn};
use crate::model::{Kind, Resource, ResourceSpec, Stack};
use crate::plan::{KindRules, Props};
use crate::spec::load::Loaded;
use crate::spec::validate::{Ctx, Validator};

/// The Queue kind.
pub struct QueueKind;

impl TypedKind for QueueKind {
    type Wire = wire::QueueSpecWire;
    type Model = crate::model::Queue;
    const DESCRIPTION: &'static str = "An SQS queue.";
    const RULES: KindRules = KindRules {
        immutable_fields: &[(
            "fifo",
            "SQS cannot turn a standard queue into a FIFO queue or back",
        )],
        data_bearing: true,
        held_unit: "messages",
        delete_rank: 1,
    };
    const OBSERVER: &'static Observer = &observe::OBSERVER;
    const VALIDATE: ValidateFn<Self> = validate::validate;
    const SPEC: fn(Self::Model) -> ResourceSpec = ResourceSpec::Queue;
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
        l: &Loaded<wire::QueueSpecWire>,
        physical_name: &mut String,
    ) {
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
        props::queue_props(stack, resource, q, ctx, props);
        desired::tags(stack, resource, props);
    }
}
