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

pub(crate) fn traffic(mut c: Check<'_, '_, TableSpecWire>) -> Option<Traffic> {
    let w = c.spec().traffic.as_ref()?;
    Some(Traffic {
        writes_per_month: w.writes_per_month.unwrap_or(0),
        reads_per_month: w.reads_per_month.unwrap_or(0),
        average_item_size_kb: c.traffic_number("averageItemSizeKB", w.average_item_size_kb, 1.0),
        strongly_consistent_reads: w.strongly_consistent_reads.unwrap_or(false),
        storage_gb: c.traffic_number("storageGB", w.storage_gb, 0.0),
        ..Traffic::default()
    })
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
