//! The metric filter kind's wire type. Metric filters are derived, never written: a document of
//! this kind is refused (`validate`); the type exists because every kind has one.

use crate::spec::wire::*;

resource_spec_wire! {
    kind: MetricFilter,
    #[schemars(rename = "MetricFilterSpec")]
    pub struct MetricFilterSpecWire {
    }
}
