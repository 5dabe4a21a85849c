//! Validation of a Dashboard document: there is none to write.

use super::wire::DashboardSpecWire;
use crate::model::{Dashboard, Reference};
use crate::spec::kind::Check;

/// Refuse a written Dashboard: slsctl generates the stack's dashboard from its wiring.
pub(crate) fn validate(c: Check<'_, '_, DashboardSpecWire>) -> Option<Dashboard> {
    let Check { v, ctx, .. } = c;
    v.diagnostics.push(
        ctx.error("kind", "Dashboard resources are derived by slsctl, not written")
            .hint("the stack's dashboard is generated from its resources (`observability.dashboard` in the Stack turns it off); remove this document"),
    );
    None
}

/// The dashboard refers to nothing it must wait for: it names metrics, not resources.
pub(crate) fn references(_: &Dashboard) -> Vec<&Reference> {
    Vec::new()
}
