//! Specs as YAML, formatted like hand-written ones: the header first, then a spec's telling
//! fields, lists of scalars inline, strings quoted only when YAML needs it.

use serde_json::{Map, Value};

/// Documents as YAML, `---` between them, keys in the order people write them (see
/// [`KEY_ORDER`]), lists of scalars inline, strings quoted only when YAML needs it.
pub(super) fn yaml(documents: &[Value]) -> String {
    documents
        .iter()
        .map(|d| {
            let mut out = String::new();
            emit_map(d.as_object().map_or(&Map::new(), |m| m), 0, &mut out);
            out
        })
        .collect::<Vec<_>>()
        .join("---\n")
}

/// Keys first in this order, the rest alphabetically: a document's header, then a spec's most
/// telling fields.
const KEY_ORDER: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "name",
    "id",
    "spec",
    "description",
    "physicalName",
    "handler",
    "runtime",
    "code",
    "content",
    "role",
    "memorySize",
    "timeout",
    "architecture",
    "layers",
    "environment",
    "partitionKey",
    "sortKey",
    "billingMode",
    "bus",
    "pattern",
    "schedule",
    "stage",
    "routes",
    "method",
    "path",
    "function",
    "queue",
    "alias",
];

fn ordered(map: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    let rank = |k: &str| {
        KEY_ORDER
            .iter()
            .position(|o| *o == k)
            .unwrap_or(KEY_ORDER.len())
    };
    entries.sort_by(|a, b| (rank(a.0), a.0).cmp(&(rank(b.0), b.0)));
    entries
}

fn emit_map(map: &Map<String, Value>, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    for (key, value) in ordered(map) {
        out.push_str(&format!(
            "{pad}{}:",
            scalar_text(&Value::String(key.clone()))
        ));
        emit_value(value, indent, out);
    }
}

/// A value after its `key:` (or `- `): inline when it is a scalar or a list of scalars.
fn emit_value(value: &Value, indent: usize, out: &mut String) {
    match value {
        Value::Object(map) if map.is_empty() => out.push_str(" {}\n"),
        Value::Object(map) => {
            out.push('\n');
            emit_map(map, indent + 2, out);
        }
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            let inline: Vec<String> = items.iter().map(scalar_text).collect();
            out.push_str(&format!(" [{}]\n", inline.join(", ")));
        }
        Value::Array(items) => {
            out.push('\n');
            let pad = " ".repeat(indent + 2);
            for item in items {
                match item {
                    Value::Object(map) if !map.is_empty() => {
                        let mut inner = String::new();
                        emit_map(map, indent + 4, &mut inner);
                        // The first key goes on the dash's line.
                        let trimmed = inner.trim_start().to_string();
                        out.push_str(&format!("{pad}- {trimmed}"));
                    }
                    other => {
                        out.push_str(&format!("{pad}-"));
                        emit_value(other, indent + 2, out);
                    }
                }
            }
        }
        scalar => out.push_str(&format!(" {}\n", scalar_text(scalar))),
    }
}

/// A scalar as YAML: plain when it reads back as the same string, else double-quoted (JSON's
/// quoting is valid YAML).
fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => {
            let plain = !text.is_empty()
                && text
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || " _./-@()?*".contains(c))
                && text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '_')
                && !text.ends_with(' ')
                && !matches!(
                    text.to_ascii_lowercase().as_str(),
                    "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n"
                );
            if plain {
                text.clone()
            } else {
                Value::String(text.clone()).to_string()
            }
        }
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml_reads_back_as_the_same_values() {
        let doc = json!({"apiVersion": "slsctl.dev/v1alpha1", "kind": "Rule", "metadata": {"name": "r"},
            "spec": {"pattern": {"source": ["orders.api"], "detail": {"n": [1, "yes"]}}, "schedule": "cron(0 3 * * ? *)",
                     "targets": [{"id": "a", "function": "f"}, {"id": "b:c", "queue": "q"}], "empty": {}}});
        let text = yaml(std::slice::from_ref(&doc));
        assert!(
            text.starts_with(
                "apiVersion: slsctl.dev/v1alpha1\nkind: Rule\nmetadata:\n  name: r\nspec:\n"
            ),
            "{text}"
        );
        let back: Value = serde_saphyr::from_str(&text).unwrap();
        assert_eq!(back, doc, "{text}");
    }
}
