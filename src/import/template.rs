//! A CloudFormation or SAM template as JSON, with the short-form intrinsic functions of YAML
//! (`!Ref X`, `!GetAtt A.B`, `!Sub …`, `!If […]`) in their long form (`{"Ref": "X"}`,
//! `{"Fn::GetAtt": ["A", "B"]}`…), and the line each resource starts on.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle};

/// A parsed template.
pub struct Template {
    pub root: Value,
    /// The line of each resource's logical id under `Resources`.
    pub lines: BTreeMap<String, u32>,
}

/// Parse a template (YAML, or JSON, which is YAML too).
pub fn parse(text: &str) -> Result<Template, String> {
    let mut stack: Vec<Frame> = Vec::new();
    let mut root = None;
    let mut lines = BTreeMap::new();
    for item in Parser::new_from_str(text) {
        let (event, span) =
            item.map_err(|e| format!("invalid YAML at line {}: {}", e.marker().line(), e.info()))?;
        let line = u32::try_from(span.start.line()).unwrap_or(u32::MAX);
        let node = match event {
            Event::Scalar(value, style, _, tag) => {
                let plain = style == ScalarStyle::Plain;
                let scalar = scalar(&value, plain);
                match tag.as_deref().and_then(short_form) {
                    Some(function) => intrinsic(function, scalar),
                    None => scalar,
                }
            }
            Event::SequenceStart(_, _, tag) => {
                stack.push(Frame::List(Vec::new(), tag.as_deref().and_then(short_form)));
                continue;
            }
            Event::MappingStart(_, _, tag) => {
                stack.push(Frame::Map(
                    Map::new(),
                    None,
                    tag.as_deref().and_then(short_form),
                ));
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = stack.pop() else {
                    continue;
                };
                match frame {
                    Frame::List(items, function) => wrap(function, Value::Array(items)),
                    Frame::Map(map, _, function) => wrap(function, Value::Object(map)),
                }
            }
            Event::Alias(_) => {
                return Err(format!(
                    "line {line}: YAML aliases are not supported in templates"
                ))
            }
            _ => continue,
        };
        // Where a value goes: a list item, a key, or the value of the pending key.
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame::List(items, _)) => items.push(node),
            Some(Frame::Map(map, pending, _)) => match pending.take() {
                None => {
                    *pending = Some(match node {
                        Value::String(key) => key,
                        other => other.to_string(),
                    })
                }
                Some(key) => {
                    map.insert(key, node);
                }
            },
        }
    }
    let root = root.ok_or("the template is empty")?;
    // Resource lines: a second, cheap pass over the text (keys at the indentation of the first
    // resource under `Resources:`).
    let mut in_resources = false;
    let mut indent: Option<usize> = None;
    for (i, raw) in text.lines().enumerate() {
        let trimmed = raw.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let depth = raw.len() - trimmed.len();
        if depth == 0 {
            in_resources = trimmed.starts_with("Resources:");
            indent = None;
            continue;
        }
        if !in_resources {
            continue;
        }
        let at = *indent.get_or_insert(depth);
        if depth == at {
            if let Some((key, _)) = trimmed.split_once(':') {
                lines.insert(key.trim_matches(['"', '\'']).to_string(), i as u32 + 1);
            }
        }
    }
    Ok(Template { root, lines })
}

enum Frame {
    List(Vec<Value>, Option<&'static str>),
    /// The mapping so far, the key waiting for its value, the intrinsic tag.
    Map(Map<String, Value>, Option<String>, Option<&'static str>),
}

/// The long form of a short-form intrinsic function tag (`!Ref` → `Ref`, `!GetAtt` →
/// `Fn::GetAtt`).
fn short_form(tag: &serde_saphyr::granit_parser::Tag) -> Option<&'static str> {
    let text = tag.to_string();
    let name = text.strip_prefix('!')?;
    Some(match name {
        "Ref" => "Ref",
        "GetAtt" => "Fn::GetAtt",
        "Sub" => "Fn::Sub",
        "Join" => "Fn::Join",
        "If" => "Fn::If",
        "Equals" => "Fn::Equals",
        "Not" => "Fn::Not",
        "And" => "Fn::And",
        "Or" => "Fn::Or",
        "Select" => "Fn::Select",
        "Split" => "Fn::Split",
        "FindInMap" => "Fn::FindInMap",
        "GetAZs" => "Fn::GetAZs",
        "ImportValue" => "Fn::ImportValue",
        "Base64" => "Fn::Base64",
        "Cidr" => "Fn::Cidr",
        "Condition" => "Condition",
        _ => return None,
    })
}

fn intrinsic(function: &str, argument: Value) -> Value {
    // `!GetAtt A.B` is the one short form whose scalar the long form splits.
    let argument = match (function, argument) {
        ("Fn::GetAtt", Value::String(text)) => match text.split_once('.') {
            Some((resource, attribute)) => Value::Array(vec![
                Value::String(resource.into()),
                Value::String(attribute.into()),
            ]),
            None => Value::String(text),
        },
        (_, other) => other,
    };
    let mut map = Map::new();
    map.insert(function.to_string(), argument);
    Value::Object(map)
}

fn wrap(function: Option<&'static str>, value: Value) -> Value {
    match function {
        Some(function) => intrinsic(function, value),
        None => value,
    }
}

/// A scalar as YAML 1.2's core schema reads it when plain; quoted scalars stay strings.
fn scalar(text: &str, plain: bool) -> Value {
    if !plain {
        return Value::String(text.to_string());
    }
    match text {
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        "null" | "Null" | "NULL" | "~" | "" => return Value::Null,
        _ => {}
    }
    if let Ok(n) = text.parse::<i64>() {
        return Value::from(n);
    }
    if let Ok(f) = text.parse::<f64>() {
        if f.is_finite() && text.chars().any(|c| c.is_ascii_digit()) {
            return serde_json::Number::from_f64(f)
                .map_or(Value::String(text.into()), Value::Number);
        }
    }
    Value::String(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn short_form_intrinsics_become_their_long_form() {
        let t = parse(
            "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      A: !Ref Table\n      B: !GetAtt Queue.Arn\n      C: !Sub '${AWS::StackName}-x'\n      D: !If [IsProd, 1, 2]\n      E: 512\n      F: 'true'\n",
        )
        .unwrap();
        let p = &t.root["Resources"]["Fn"]["Properties"];
        assert_eq!(p["A"], json!({"Ref": "Table"}));
        assert_eq!(p["B"], json!({"Fn::GetAtt": ["Queue", "Arn"]}));
        assert_eq!(p["C"], json!({"Fn::Sub": "${AWS::StackName}-x"}));
        assert_eq!(p["D"], json!({"Fn::If": ["IsProd", 1, 2]}));
        assert_eq!(p["E"], json!(512));
        assert_eq!(p["F"], json!("true"));
        assert_eq!(t.lines.get("Fn"), Some(&2));
    }
}
