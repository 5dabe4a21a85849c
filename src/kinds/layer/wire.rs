//! The layer kind's wire types: its spec exactly as written in YAML (see `crate::spec::wire`).

use crate::spec::wire::*;

resource_spec_wire! {
    kind: Layer,
    #[schemars(rename = "LayerSpec")]
    pub struct LayerSpecWire {
        pub content: LayerContentWire,
        #[serde(default)]
        pub compatible_runtimes: Vec<String>,
        #[serde(default)]
        pub compatible_architectures: Vec<ArchitectureWire>,
        pub description: Option<String>,
        pub license_info: Option<String>,
    }
}

wire_struct! {
    #[schemars(rename = "LayerContent")]
    pub struct LayerContentWire {
        /// A directory relative to this file, inside the spec root.
        pub path: String,
    }
}
