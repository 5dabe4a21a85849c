//! The EventBus kind's validation: its spec document → an [`EventBus`].

use super::wire::EventBusSpecWire;
use crate::kinds::rule::validate::check_event_pattern;
use crate::model::{Archive, EventBus, Reference};
use crate::spec::kind::Check;
use crate::spec::validate::within;

pub(crate) fn validate(c: Check<'_, '_, EventBusSpecWire>) -> Option<EventBus> {
    let Check { v, ctx, l } = c;
    let s = &l.document.spec;
    let archive = s.archive.as_ref().map(|a| {
        if let Some(pattern) = &a.pattern {
            if let Err((path, message)) = check_event_pattern(pattern) {
                v.diagnostics.push(
                    ctx.error(&format!("spec.archive.pattern{path}"), message)
                        .hint(
                            "leaf values of an event pattern are lists, e.g. source: [orders.api]",
                        ),
                );
            }
        }
        Archive {
            retention_days: v.int(
                ctx,
                "spec.archive.retentionDays",
                a.retention_days,
                within(0, 0, i64::from(u32::MAX), " days"),
            ),
            pattern: a.pattern.clone(),
        }
    });
    Some(EventBus {
        description: s.description.clone().unwrap_or_default(),
        archive,
    })
}

/// What a bus refers to: nothing.
pub(crate) fn references(_: &EventBus) -> Vec<&Reference> {
    Vec::new()
}
