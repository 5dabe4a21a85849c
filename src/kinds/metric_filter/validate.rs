//! Validation of a MetricFilter document: there is none to write.

use super::wire::MetricFilterSpecWire;
use crate::model::{MetricFilter, Reference};
use crate::spec::kind::Check;

/// Refuse a written MetricFilter: slsctl derives each function's cold-start filter itself.
pub(crate) fn validate(c: Check<'_, '_, MetricFilterSpecWire>) -> Option<MetricFilter> {
    let Check { v, ctx, .. } = c;
    v.diagnostics.push(
        ctx.error(
            "kind",
            "MetricFilter resources are derived by slsctl, not written",
        )
        .hint("each function gets its cold-start metric filter on its own log group; remove this document"),
    );
    None
}

/// A metric filter refers to nothing it must wait for beyond its log group, which derivation
/// records.
pub(crate) fn references(_: &MetricFilter) -> Vec<&Reference> {
    Vec::new()
}
