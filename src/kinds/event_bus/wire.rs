//! The event_bus kind's wire types: its spec exactly as written in YAML (see `crate::spec::wire`).

use crate::spec::wire::*;

wire_struct! {
    /// For the cost estimate only.
    #[schemars(rename = "EventBusTraffic")]
    pub struct EventBusTrafficWire {
        pub events_per_month: Option<u64>,
        /// Default 1 KB; each 64 KB is one event.
        #[serde(rename = "averageEventSizeKB")]
        #[schemars(rename = "averageEventSizeKB")]
        pub average_event_size_kb: Option<f64>,
    }
}

resource_spec_wire! {
    kind: EventBus,
    #[schemars(rename = "EventBusSpec")]
    pub struct EventBusSpecWire {
        pub description: Option<String>,
        /// An archive of the bus's events, for replay.
        pub archive: Option<ArchiveWire>,
        /// Assumptions for the cost estimate only.
        pub traffic: Option<EventBusTrafficWire>,
    }
}

wire_struct! {
    #[schemars(rename = "Archive")]
    pub struct ArchiveWire {
        /// Days to keep events; 0 or omitted keeps them forever.
        #[schemars(range(min = 0))]
        pub retention_days: Option<i64>,
        /// Event pattern selecting the events to archive; all events when omitted.
        pub pattern: Option<serde_json::Value>,
    }
}
