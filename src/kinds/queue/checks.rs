//! The Queue kind's checks beyond its own document: the facts other documents' checks need, its
//! traffic assumptions and the checks that need the rest of the stack.

use super::wire::*;
use crate::model::*;
use crate::spec::load::Loaded;
use crate::spec::validate::{Ctx, Entry, Validator};

pub(crate) fn entry_facts(_v: &Validator<'_>, q: &Loaded<QueueSpecWire>, entry: &mut Entry) {
    entry.fifo = q.document.spec.fifo.unwrap_or(false);
    entry.fifo_at = q.value("spec.fifo").or_else(|| q.origin());
    entry.visibility_timeout = q
        .document
        .spec
        .visibility_timeout
        .unwrap_or(30)
        .clamp(0, u32::MAX as i64) as u32;
    entry.visibility_at = q.value("spec.visibilityTimeout").or_else(|| q.origin());
}

pub(crate) fn traffic(
    v: &mut Validator<'_>,
    ctx: &Ctx<'_>,
    l: &Loaded<QueueSpecWire>,
) -> Option<Traffic> {
    let mut t = Traffic::default();
    let w = l.document.spec.traffic.as_ref()?;
    t.messages_per_month = w.messages_per_month.unwrap_or(0);
    t.average_message_size_kb =
        v.traffic_number(ctx, "averageMessageSizeKB", w.average_message_size_kb, 1.0);
    Some(t)
}
