//! The dashboard kind's wire type. The dashboard is derived, never written: a document of this
//! kind is refused (`validate`); the type exists because every kind has one.

use crate::spec::wire::*;

resource_spec_wire! {
    kind: Dashboard,
    #[schemars(rename = "DashboardSpec")]
    pub struct DashboardSpecWire {
    }
}
