//! The queue kind.
mod apply;
pub mod aws;
pub mod checks;
pub(crate) mod observe;
mod props;
mod validate;
pub mod wire;

use super::{holding, kind_module, ArnOf, Checks, DeriveFn, EventKey, TypedKind};
use crate::aws::permissions::Through;
use crate::plan::KindRules;

kind_module! {
    /// An SQS queue.
    // SQS QueueName, `.fifo` included.
    pub struct QueueKind: wire::QueueSpecWire => Queue, arn "sqs", name_limit 80;
}

impl TypedKind for QueueKind {
    const ARN: ArnOf<Self> = ArnOf::Named("");
    const EVENT_KEY: Option<EventKey> = Some(EventKey::Name("sqs:queue"));
    const CHANGES_THROUGH: &'static [Through] = &[Through::Service("sqs")];
    const RULES: KindRules = holding(
        "messages",
        1,
        &[(
            "fifo",
            "SQS cannot turn a standard queue into a FIFO queue or back",
        )],
    );
    const CHECKS: Checks<Self::Wire> = Checks {
        physical_name: Some(checks::physical_name),
        entry_facts: Some(checks::entry_facts),
        traffic: Some(checks::traffic),
        ..Checks::NONE
    };
    const DERIVE: Option<DeriveFn<Self>> = crate::kinds::alarm::derive::its_alarms::<Self>();
}
