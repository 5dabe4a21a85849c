//! The event_bus kind.
pub(crate) mod apply;
pub mod aws;
pub mod checks;
pub(crate) mod observe;
pub(crate) mod props;
pub(crate) mod validate;
pub mod wire;

use super::{kind_module, stateless, Checks, PropsFn, TypedKind};
use crate::plan::KindRules;

/// The EventBus kind.
pub struct EventBusKind;

kind_module!(EventBusKind: wire::EventBusSpecWire => EventBus);

impl TypedKind for EventBusKind {
    const DESCRIPTION: &'static str = "An EventBridge bus, with an optional archive.";
    const RULES: KindRules = stateless(3, &[]);
    const PROPS: PropsFn<Self> = |w, props, _| props::event_bus_props(w.model, props);
    const CHECKS: Checks<Self::Wire> = Checks {
        physical_name: Some(checks::physical_name),
        traffic: Some(checks::traffic),
        ..Checks::NONE
    };
}
