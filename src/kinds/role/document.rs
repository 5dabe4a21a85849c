//! Policy documents as IAM reads and writes them: URL-encoded JSON in every answer (raw in
//! moto's ListRoles), compared in one canonical form so that what IAM hands back and what the
//! spec wants reduce to the same JSON, and a plan after apply is empty.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

/// A whole policy document from statements by `Sid`.
pub fn policy_document(statements: &BTreeMap<String, Value>) -> Value {
    let statements: Vec<Value> = statements
        .iter()
        .map(|(sid, statement)| {
            let mut with_sid = Map::new();
            with_sid.insert("Sid".into(), json!(sid));
            if let Value::Object(fields) = statement {
                with_sid.extend(fields.clone());
            }
            Value::Object(with_sid)
        })
        .collect();
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// The statements of a policy document IAM returned (URL-encoded JSON), by `Sid`, canonical. A
/// statement without a `Sid` (written by hand) is keyed by its place.
pub fn statements_of(document: &str) -> Option<BTreeMap<String, Value>> {
    let parsed: Value = serde_json::from_str(&percent_decode(document)).ok()?;
    let list = match parsed.get("Statement")? {
        Value::Array(many) => many.clone(),
        one => vec![one.clone()],
    };
    let mut out = BTreeMap::new();
    for (i, statement) in list.into_iter().enumerate() {
        let Value::Object(mut fields) = statement else {
            continue;
        };
        let sid = match fields.remove("Sid") {
            Some(Value::String(sid)) if !sid.is_empty() => sid,
            _ => format!("(statement {})", i + 1),
        };
        out.insert(sid, canonical(&Value::Object(fields)));
    }
    Some(out)
}

/// A policy document IAM returned (URL-encoded JSON), canonical.
pub fn document_of(document: &str) -> Option<Value> {
    serde_json::from_str(&percent_decode(document))
        .ok()
        .map(|v: Value| canonical(&v))
}

/// The characters IAM counts against a role's inline-policy limit: all but white space.
pub fn policy_size(document: &Value) -> usize {
    document
        .to_string()
        .chars()
        .filter(|c| !c.is_whitespace())
        .count()
}

/// One form for equal policies: the elements IAM accepts as a string or a list
/// (`Action`, `Resource`, principals, condition values) always sorted lists without repeats;
/// a document's statements in a fixed order.
pub fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(fields) => {
            let mut out = Map::new();
            for (key, value) in fields {
                let value = match key.as_str() {
                    "Action" | "NotAction" | "Resource" | "NotResource" => sorted_list(value),
                    "Principal" | "NotPrincipal" => match value {
                        Value::Object(by_type) => Value::Object(
                            by_type
                                .iter()
                                .map(|(k, v)| (k.clone(), sorted_list(v)))
                                .collect(),
                        ),
                        other => other.clone(),
                    },
                    "Condition" => match value {
                        Value::Object(operators) => Value::Object(
                            operators
                                .iter()
                                .map(|(op, keys)| {
                                    let keys = match keys {
                                        Value::Object(keys) => Value::Object(
                                            keys.iter()
                                                .map(|(k, v)| (k.clone(), sorted_list(v)))
                                                .collect(),
                                        ),
                                        other => other.clone(),
                                    };
                                    (op.clone(), keys)
                                })
                                .collect(),
                        ),
                        other => other.clone(),
                    },
                    "Statement" => {
                        let mut statements: Vec<Value> = match value {
                            Value::Array(many) => many.iter().map(canonical).collect(),
                            one => vec![canonical(one)],
                        };
                        statements.sort_by_key(|s| s.to_string());
                        Value::Array(statements)
                    }
                    _ => canonical(value),
                };
                out.insert(key.clone(), value);
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

fn sorted_list(value: &Value) -> Value {
    let mut items: Vec<Value> = match value {
        Value::Array(many) => many.clone(),
        one => vec![one.clone()],
    };
    items.sort_by_key(|v| v.to_string());
    items.dedup();
    Value::Array(items)
}

/// Percent-decoding as RFC 3986 has it, for IAM's URL-encoded policy documents: `+` stays a
/// plus (a form decoder would make it a space and corrupt `kms:GenerateDataKey+`-like text),
/// and text with no `%` (moto's ListRoles) passes unchanged.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(byte) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}
