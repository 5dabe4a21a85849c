//! The event_bus kind.
pub(crate) mod apply;
pub mod aws;
pub mod checks;
pub(crate) mod observe;
pub(crate) mod props;
pub(crate) mod validate;
pub mod wire;

use super::{kind_module, stateless, ArnOf, Checks, EventKey, TypedKind};
use crate::aws::permissions::Through;
use crate::plan::KindRules;

kind_module! {
    /// An EventBridge bus, with an optional archive.
    // EventBridge bus Name.
    pub struct EventBusKind: wire::EventBusSpecWire => EventBus, arn "events", name_limit 256;
}

impl TypedKind for EventBusKind {
    const ARN: ArnOf<Self> = ArnOf::Named("event-bus/");
    const EVENT_KEY: Option<EventKey> = Some(EventKey::Name("events:event-bus"));
    const CHANGES_THROUGH: &'static [Through] = &[Through::Service("events")];
    const RULES: KindRules = stateless(3, &[]);
    const CHECKS: Checks<Self::Wire> = Checks {
        physical_name: Some(checks::physical_name),
        traffic: Some(checks::traffic),
        ..Checks::NONE
    };
}
