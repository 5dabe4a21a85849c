//! Validation of an Alarm document: refused, since alarms come from the resources they watch.

use super::wire::AlarmSpecWire;
use crate::model::{Alarm, Reference};
use crate::spec::kind::Check;

/// An Alarm document is always refused: alarms are derived (see `derive`).
pub(crate) fn validate(c: Check<'_, '_, AlarmSpecWire>) -> Option<Alarm> {
    let Check { v, ctx, .. } = c;
    v.diagnostics.push(
        ctx.error(
            "kind",
            "alarms are derived from the resources they watch and cannot be written",
        )
        .hint("set thresholds in the resource's `alarms:` or the Stack's `observability.alarms`, and remove this document"),
    );
    None
}

/// An alarm refers to nothing it must be created after (its subject is found by name).
pub(crate) fn references(_: &Alarm) -> Vec<&Reference> {
    Vec::new()
}

pub(crate) use crate::spec::alarms::of_resource;
