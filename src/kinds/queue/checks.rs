//! The Queue kind's checks beyond its own document: the facts other documents' checks need, its
//! traffic assumptions and the checks that need the rest of the stack.

use super::wire::*;
use crate::kinds::KindModule;
use crate::model::*;
use crate::spec::kind::Check;
use crate::spec::load::Loaded;
use crate::spec::validate::{Entry, Validator};

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

pub(crate) fn traffic(mut c: Check<'_, '_, QueueSpecWire>) -> Option<Traffic> {
    let w = c.spec().traffic.as_ref()?;
    Some(Traffic {
        messages_per_month: w.messages_per_month.unwrap_or(0),
        average_message_size_kb: c.traffic_number(
            "averageMessageSizeKB",
            w.average_message_size_kb,
            1.0,
        ),
        ..Traffic::default()
    })
}

/// A FIFO queue's name ends in `.fifo`: added to a derived name (which must still fit), required
/// of one written in `spec.physicalName`.
pub(crate) fn physical_name(c: Check<'_, '_, QueueSpecWire>, physical_name: &mut String) {
    let Check { v, ctx, l } = c;
    if l.document.spec.fifo == Some(true) {
        if l.document.spec.physical_name.is_none() {
            physical_name.push_str(".fifo");
            if physical_name.len() > <super::QueueKind as KindModule>::NAME_LIMIT {
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
