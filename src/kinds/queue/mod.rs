//! The queue kind.
mod apply;
pub mod aws;
pub mod checks;
pub(crate) mod observe;
mod props;
mod validate;
pub mod wire;

use super::{holding, kind_module, Checks, PropsFn, TypedKind};
use crate::plan::KindRules;

/// The Queue kind.
pub struct QueueKind;

kind_module!(QueueKind: wire::QueueSpecWire => Queue);

impl TypedKind for QueueKind {
    const DESCRIPTION: &'static str = "An SQS queue.";
    const RULES: KindRules = holding(
        "messages",
        1,
        &[(
            "fifo",
            "SQS cannot turn a standard queue into a FIFO queue or back",
        )],
    );
    const PROPS: PropsFn<Self> =
        |w, props, _| props::queue_props(w.stack, w.resource, w.model, w.ctx, props);
    const CHECKS: Checks<Self::Wire> = Checks {
        physical_name: Some(checks::physical_name),
        entry_facts: Some(checks::entry_facts),
        traffic: Some(checks::traffic),
        ..Checks::NONE
    };
}
