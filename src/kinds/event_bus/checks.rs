//! The EventBus kind's checks beyond its own document: the facts other documents' checks need, its
//! traffic assumptions and the checks that need the rest of the stack.

use super::wire::*;
use crate::model::*;
use crate::spec::kind::Check;

pub(crate) fn traffic(mut c: Check<'_, '_, EventBusSpecWire>) -> Option<Traffic> {
    let w = c.spec().traffic.as_ref()?;
    let average_event_size_kb =
        c.traffic_number("averageEventSizeKB", w.average_event_size_kb, 1.0);
    Some(Traffic {
        events_per_month: w.events_per_month.unwrap_or(0),
        average_event_size_kb,
        ..Traffic::default()
    })
}

/// The bus's name: not the account's default bus, and short enough to name its archive.
pub(crate) fn physical_name(c: Check<'_, '_, EventBusSpecWire>, physical_name: &mut String) {
    let Check { v, ctx, l } = c;
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
