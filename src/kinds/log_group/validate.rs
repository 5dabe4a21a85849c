//! Validation of a LogGroup document: its wire spec to the domain type.

use super::wire::{LogGroupClassWire, LogGroupSpecWire};
use crate::model::{LogGroup, LogGroupClass, Reference};
use crate::spec::kind::Check;
use crate::spec::validate::DEFAULT_LOG_RETENTION_DAYS;

/// Check a LogGroup document's spec and build its domain type.
pub(crate) fn validate(c: Check<'_, '_, LogGroupSpecWire>) -> Option<LogGroup> {
    let Check { v, ctx, l } = c;
    let s = &l.document.spec;
    let retention_days = v.log_retention(
        ctx,
        "spec.retentionDays",
        s.retention_days,
        Some(DEFAULT_LOG_RETENTION_DAYS),
    );
    Some(LogGroup {
        retention_days,
        class: match s.class {
            Some(LogGroupClassWire::InfrequentAccess) => LogGroupClass::InfrequentAccess,
            _ => LogGroupClass::Standard,
        },
    })
}

/// A log group refers to nothing.
pub(crate) fn references(_: &LogGroup) -> Vec<&Reference> {
    Vec::new()
}
