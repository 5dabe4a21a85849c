//! The JSON Schema of the spec, generated from the wire types (`slsctl schema`).
//!
//! Editors use it through the YAML language server; the loader uses the same types, so the
//! schema cannot drift from what `slsctl validate` accepts (it is looser only where checks need
//! more than one field, such as references and exclusive choices).

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema};
use serde_json::{json, Map, Value};

use super::wire::*;
use crate::model::Kind;

/// The schema of one document whose `spec` is `S` (the kinds' modules call it for theirs).
pub fn document_schema<S: JsonSchema>(
    generator: &mut schemars::SchemaGenerator,
    kind: Kind,
    description: &str,
) -> Value {
    let metadata = generator.subschema_for::<MetadataWire>();
    let spec = generator.subschema_for::<S>();
    json!({
        "title": kind.as_str(),
        "description": description,
        "type": "object",
        "additionalProperties": false,
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": API_VERSION},
            "kind": {"const": kind.as_str()},
            "metadata": metadata,
            "spec": spec,
        }
    })
}

/// The schema of one spec document of any kind: the Stack document, and each resource kind's
/// (`resource_documents` adds them, given the generator so that definitions are shared).
pub fn json_schema(
    resource_documents: &dyn Fn(&mut schemars::SchemaGenerator) -> Vec<Value>,
) -> Value {
    let mut generator = SchemaSettings::draft2020_12().into_generator();
    let mut documents = vec![document_schema::<StackSpecWire>(
        &mut generator,
        Kind::Stack,
        "Stack-wide settings; exactly one per stack directory.",
    )];
    documents.extend(resource_documents(&mut generator));
    let definitions: Map<String, Value> = generator.take_definitions(true);
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://slsctl.dev/schema/v1alpha1.json",
        "title": "slsctl spec document (slsctl.dev/v1alpha1)",
        "oneOf": documents,
        "$defs": definitions,
    })
}

/// Top-level field names of a `spec` type, e.g. for checking `ignoreChanges` entries.
pub fn field_names<S: JsonSchema>() -> Vec<String> {
    let schema: Schema = SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<S>();
    schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}
