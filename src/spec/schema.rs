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

fn document_schema<S: JsonSchema>(
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

/// The schema of one spec document of any kind.
pub fn json_schema() -> Value {
    let mut generator = SchemaSettings::draft2020_12().into_generator();
    let documents = vec![
        document_schema::<StackSpecWire>(
            &mut generator,
            Kind::Stack,
            "Stack-wide settings; exactly one per stack directory.",
        ),
        document_schema::<FunctionSpecWire>(
            &mut generator,
            Kind::Function,
            "A Lambda function with its alias, provisioned concurrency and triggers.",
        ),
        document_schema::<LayerSpecWire>(
            &mut generator,
            Kind::Layer,
            "A Lambda layer built from a directory.",
        ),
        document_schema::<QueueSpecWire>(&mut generator, Kind::Queue, "An SQS queue."),
        document_schema::<EventBusSpecWire>(
            &mut generator,
            Kind::EventBus,
            "An EventBridge bus, with an optional archive.",
        ),
        document_schema::<RuleSpecWire>(
            &mut generator,
            Kind::Rule,
            "An EventBridge rule and its targets.",
        ),
        document_schema::<TableSpecWire>(&mut generator, Kind::Table, "A DynamoDB table."),
        document_schema::<ApiSpecWire>(
            &mut generator,
            Kind::Api,
            "An API Gateway REST API with Lambda proxy routes.",
        ),
    ];
    let definitions: Map<String, Value> = generator.take_definitions(true);
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://slsctl.dev/schema/v1alpha1.json",
        "title": "slsctl spec document (slsctl.dev/v1alpha1)",
        "oneOf": documents,
        "$defs": definitions,
    })
}

/// Top-level field names of a kind's `spec`, e.g. for checking `ignoreChanges` entries.
pub fn spec_field_names(kind: Kind) -> Vec<String> {
    fn names<S: JsonSchema>() -> Vec<String> {
        let schema: Schema = SchemaSettings::draft2020_12()
            .into_generator()
            .into_root_schema_for::<S>();
        schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    }
    match kind {
        Kind::Stack => names::<StackSpecWire>(),
        Kind::Function => names::<FunctionSpecWire>(),
        Kind::Layer => names::<LayerSpecWire>(),
        Kind::Queue => names::<QueueSpecWire>(),
        Kind::EventBus => names::<EventBusSpecWire>(),
        Kind::Rule => names::<RuleSpecWire>(),
        Kind::Table => names::<TableSpecWire>(),
        Kind::Api => names::<ApiSpecWire>(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_has_one_branch_per_kind_and_closed_objects() {
        let schema = json_schema();
        let branches = schema["oneOf"].as_array().unwrap();
        assert_eq!(branches.len(), Kind::ALL.len());
        let function = &schema["$defs"]["FunctionSpec"];
        assert_eq!(function["additionalProperties"], json!(false));
        assert!(function["properties"]["memorySize"].is_object());
        assert_eq!(
            function["properties"]["memorySize"]["maximum"],
            json!(10240)
        );
    }

    #[test]
    fn spec_fields_come_from_the_wire_types() {
        let fields = spec_field_names(Kind::Queue);
        assert!(fields.iter().any(|f| f == "visibilityTimeout"));
        assert!(fields.iter().any(|f| f == "deadLetter"));
    }
}
