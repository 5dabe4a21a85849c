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

impl crate::spec::load::ResourceSpecWire for LayerSpecWire {
    const KIND: crate::model::Kind = crate::model::Kind::Layer;
    fn physical_name(&self) -> Option<&String> {
        self.physical_name.as_ref()
    }
    fn deletion_policy(&self) -> Option<DeletionPolicyWire> {
        self.deletion_policy
    }
    fn ignore_changes(&self) -> &[String] {
        &self.ignore_changes
    }
}
