//! The EventBus kind's checks beyond its own document: the facts other documents' checks need, its
//! traffic assumptions and the checks that need the rest of the stack.

#[allow(unused_imports)]
use super::wire::*;
#[allow(unused_imports)]
use crate::model::*;
#[allow(unused_imports)]
use crate::spec::load::Loaded;
#[allow(unused_imports)]
use crate::spec::validate::{Ctx, Entry, Validator};

pub(crate) fn traffic(
    v: &mut Validator<'_>,
    ctx: &Ctx<'_>,
    l: &Loaded<EventBusSpecWire>,
) -> Option<Traffic> {
    let _ = (&v, ctx);
    let mut t = Traffic::default();
    let w = l.document.spec.traffic.as_ref()?;
    t.events_per_month = w.events_per_month.unwrap_or(0);
    t.average_event_size_kb =
        v.traffic_number(ctx, "averageEventSizeKB", w.average_event_size_kb, 1.0);
    Some(t)
}
