//! The event_bus kind.
pub(crate) mod observe;

use std::collections::BTreeSet;

use super::desired::{self, Context};
use super::{ApplyCtx, BoxFuture, ResourceKind};
use crate::aws::AwsError;
use crate::model::{Kind, Resource, ResourceSpec, Stack};
use crate::plan::{KindRules, Props, ResourceAction};
use crate::spec::load::AnyDocument;
use crate::spec::validate::{Ctx, Validator};

/// The EventBus kind.
pub struct EventBusKind;

impl ResourceKind for EventBusKind {
    fn kind(&self) -> Kind {
        Kind::EventBus
    }

    fn rules(&self) -> KindRules {
        KindRules {
            delete_rank: 3,
            ..KindRules::PLAIN
        }
    }

    fn validate(
        &self,
        v: &mut Validator<'_>,
        ctx: &Ctx<'_>,
        document: &AnyDocument,
        physical_name: &mut String,
    ) -> Option<ResourceSpec> {
        let AnyDocument::EventBus(l) = document else {
            return None;
        };
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
        Some(ResourceSpec::EventBus(v.event_bus(ctx, l)?))
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
        props.insert(
            "description".into(),
            crate::plan::FieldValue::known(b.description.clone()),
        );
        if let Some(archive) = &b.archive {
            props.insert(
                "archive.retentionDays".into(),
                crate::plan::FieldValue::known(archive.retention_days),
            );
            props.insert(
                "archive.pattern".into(),
                crate::plan::FieldValue::known(
                    archive.pattern.clone().unwrap_or(serde_json::Value::Null),
                ),
            );
        }
        desired::tags(stack, resource, props);
    }

    fn apply<'a>(
        &'a self,
        ctx: &'a ApplyCtx,
        action: &'a ResourceAction,
    ) -> BoxFuture<'a, Result<(), AwsError>> {
        Box::pin(crate::apply::run_bus(ctx, action))
    }

    fn tagged_types(&self) -> &'static [&'static str] {
        &["events:event-bus"]
    }

    fn observe<'a>(
        &'a self,
        ctx: &'a super::observe::ObserveCtx,
    ) -> BoxFuture<'a, Result<(), AwsError>> {
        Box::pin(observe::observe(ctx))
    }
}
