//! The layer kind's wire types: its spec exactly as written in YAML (see `crate::spec::wire`).

use schemars::JsonSchema;
use serde::Deserialize;

use crate::spec::wire::*;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "LayerSpec")]
pub struct LayerSpecWire {
    pub physical_name: Option<String>,
    pub deletion_policy: Option<DeletionPolicyWire>,
    #[serde(default)]
    pub ignore_changes: Vec<String>,

    pub content: LayerContentWire,
    #[serde(default)]
    pub compatible_runtimes: Vec<String>,
    #[serde(default)]
    pub compatible_architectures: Vec<ArchitectureWire>,
    pub description: Option<String>,
    pub license_info: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "LayerContent")]
pub struct LayerContentWire {
    /// A directory relative to this file, inside the spec root.
    pub path: String,
}

crate::spec::load::resource_spec_wire!(LayerSpecWire, Layer);
