//! The Table kind's checks beyond its own document: the facts other documents' checks need, its
//! traffic assumptions and the checks that need the rest of the stack.

use super::wire::*;
use crate::model::*;
use crate::spec::kind::Check;
use crate::spec::load::Loaded;
use crate::spec::validate::{Entry, Validator};

pub(crate) fn entry_facts(_v: &Validator<'_>, t: &Loaded<TableSpecWire>, entry: &mut Entry) {
    entry.has_stream = t.document.spec.stream.is_some();
}

pub(crate) fn traffic(c: Check<'_, '_, TableSpecWire>) -> Option<Traffic> {
    let Check { v, ctx, l } = c;
    let mut t = Traffic::default();
    let w = l.document.spec.traffic.as_ref()?;
    t.writes_per_month = w.writes_per_month.unwrap_or(0);
    t.reads_per_month = w.reads_per_month.unwrap_or(0);
    t.average_item_size_kb =
        v.traffic_number(ctx, "averageItemSizeKB", w.average_item_size_kb, 1.0);
    t.strongly_consistent_reads = w.strongly_consistent_reads.unwrap_or(false);
    t.storage_gb = v.traffic_number(ctx, "storageGB", w.storage_gb, 0.0);
    Some(t)
}

/// DynamoDB table names have at least 3 characters.
#[allow(clippy::ptr_arg)] // the signature every kind's physical-name check shares
pub(crate) fn physical_name(c: Check<'_, '_, TableSpecWire>, physical_name: &mut String) {
    if physical_name.len() < 3 {
        c.v.diagnostics.push(c.ctx.error(
            "spec.physicalName",
            "DynamoDB table names have at least 3 characters",
        ));
    }
}
