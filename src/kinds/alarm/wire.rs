//! The alarm kind's wire type. Alarms are derived, never written: the type exists so that a
//! document of kind Alarm gets a clear refusal rather than "unknown kind".

use crate::spec::wire::*;

resource_spec_wire! {
    kind: Alarm,
    #[schemars(rename = "AlarmSpec")]
    pub struct AlarmSpecWire {}
}
