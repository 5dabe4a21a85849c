//! The event_bus kind.
pub(crate) mod apply;
pub mod aws;
pub mod checks;
pub(crate) mod observe;
pub(crate) mod props;
pub(crate) mod validate;
pub mod wire;

use std::collections::BTreeSet;

use super::desired::{self, Context};
use super::observe::Observer;
use super::{ApplyFn, Checks, TypedKind, ValidateFn};
use crate::model::{Resource, ResourceSpec, Stack};
use crate::plan::{KindRules, Props};
use crate::spec::load::Loaded;
use crate::spec::validate::{Ctx, Validator};

/// The EventBus kind.
pub struct EventBusKind;

impl TypedKind for EventBusKind {
    type Wire = wire::EventBusSpecWire;
    type Model = crate::model::EventBus;
    const DESCRIPTION: &'static str = "An EventBridge bus, with an optional archive.";
    const RULES: KindRules = KindRules {
        delete_rank: 3,
        ..KindRules::PLAIN
    };
    const OBSERVER: &'static Observer = &observe::OBSERVER;
    const VALIDATE: ValidateFn<Self> = validate::validate;
    const SPEC: fn(Self::Model) -> ResourceSpec = ResourceSpec::EventBus;
    const APPLY: ApplyFn = |ctx, action| Box::pin(apply::run(ctx, action));
    const CHECKS: Checks<Self::Wire> = Checks {
        traffic: Some(checks::traffic),
        ..Checks::NONE
    };

    fn check_physical_name(
        &self,
        v: &mut Validator<'_>,
        ctx: &Ctx<'_>,
        l: &Loaded<wire::EventBusSpecWire>,
        physical_name: &mut String,
    ) {
        if physical_name == "default" {
            v.diagnostics.push(
                ctx.error(
                    "spec.physicalName",
                    "`default` is the account's own bus; it cannot be managed as an EventBus",
                )
                .hint("omit `bus:` on a Rule to use the default bus"),
            );
        }
        if l.document.spec.archive.is_some() && physical_name.len() > 48 {
            v.diagnostics.push(
                ctx.error("spec.archive", format!("the archive is named after the bus (`{}`), and archive names have at most 48 characters", physical_name))
                    .hint("shorten the stack or bus name, or set spec.physicalName"),
            );
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
        let _ = (ctx, sensitive);
        let ResourceSpec::EventBus(b) = &resource.spec else {
            return;
        };
        props::event_bus_props(b, props);
        desired::tags(stack, resource, props);
    }
}
