//! The EventBus kind's checks beyond its own document: the facts other documents' checks need, its
//! traffic assumptions and the checks that need the rest of the stack.

use super::wire::*;
use crate::model::*;
use crate::spec::load::Loaded;
use crate::spec::validate::{Ctx, Validator};

pub(crate) fn traffic(
    v: &mut Validator<'_>,
    ctx: &Ctx<'_>,
    l: &Loaded<EventBusSpecWire>,
) -> Option<Traffic> {
    let mut t = Traffic::default();
    let w = l.document.spec.traffic.as_ref()?;
    t.events_per_month = w.events_per_month.unwrap_or(0);
    t.average_event_size_kb =
        v.traffic_number(ctx, "averageEventSizeKB", w.average_event_size_kb, 1.0);
    Some(t)
}
