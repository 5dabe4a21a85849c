//! AWS's request constraints, from the service models botocore ships (the emulator's Python
//! environment has them: `botocore/data/<service>/<version>/service-2.json.gz`).
//!
//! The strict layer checks every request against its operation's input shape: required members,
//! string lengths, patterns and enums, number ranges, list and map sizes. AWS refuses a request
//! that breaks one with a `ValidationException`; moto mostly accepts it, so without this check a
//! request AWS would refuse passes every emulator test.
//!
//! Covered: the JSON protocols (DynamoDB, SQS, EventBridge, Application Auto Scaling, the tagging
//! API), where the body is the input shape, and REST-JSON (Lambda, API Gateway), where members
//! come from the URI labels, the query string and the body. Headers, blobs and timestamps are not
//! checked; STS (query protocol) is not checked. A pattern the regex engine cannot compile is
//! skipped and counted.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use serde_json::{Map, Value};

/// The services slsctl calls, by the botocore directory and the SigV4 name the proxy sees.
const SERVICES: [(&str, &str); 8] = [
    ("lambda", "lambda"),
    ("apigateway", "apigateway"),
    ("sqs", "sqs"),
    ("dynamodb", "dynamodb"),
    ("events", "events"),
    ("application-autoscaling", "application-autoscaling"),
    ("resourcegroupstaggingapi", "tagging"),
    ("logs", "logs"),
];

pub struct Models {
    services: BTreeMap<&'static str, Service>,
    patterns: std::sync::Mutex<BTreeMap<String, Option<regex_lite::Regex>>>,
}

struct Service {
    rest: bool,
    operations: Map<String, Value>,
    shapes: Map<String, Value>,
}

impl Models {
    /// Load the models from the emulator's virtualenv under `root`.
    pub fn load(root: &Path) -> Models {
        let lib = root.join(".venv/lib");
        let site = std::fs::read_dir(&lib)
            .unwrap_or_else(|e| panic!("{}: {e}; run scripts/emulator.sh install", lib.display()))
            .filter_map(Result::ok)
            .map(|e| e.path().join("site-packages/botocore/data"))
            .find(|p| p.exists())
            .expect("botocore's service models in .venv (scripts/emulator.sh install)");
        let mut services = BTreeMap::new();
        for (directory, signing) in SERVICES {
            let mut versions: Vec<_> = std::fs::read_dir(site.join(directory))
                .unwrap_or_else(|e| panic!("botocore has no {directory}: {e}"))
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.join("service-2.json.gz").exists())
                .collect();
            versions.sort();
            let newest = versions.last().expect("a model version");
            let mut text = String::new();
            flate2::read::GzDecoder::new(
                std::fs::File::open(newest.join("service-2.json.gz")).unwrap(),
            )
            .read_to_string(&mut text)
            .unwrap();
            let model: Value = serde_json::from_str(&text).unwrap();
            services.insert(
                signing,
                Service {
                    rest: model["metadata"]["protocol"] == "rest-json",
                    operations: model["operations"].as_object().cloned().unwrap_or_default(),
                    shapes: model["shapes"].as_object().cloned().unwrap_or_default(),
                },
            );
        }
        Models {
            services,
            patterns: Default::default(),
        }
    }

    /// What AWS would refuse in this request, one line per violation (empty: nothing).
    pub fn violations(
        &self,
        service: &str,
        target: Option<&str>,
        method: &str,
        path_and_query: &str,
        body: &[u8],
    ) -> Vec<String> {
        self.check_request(service, target, method, path_and_query, body)
            .map(|(_, violations)| violations)
            .unwrap_or_default()
    }

    /// The operation the request was checked as, and its violations; `None` when the request is
    /// not one the models cover (another service, another protocol, an unknown route).
    pub fn check_request(
        &self,
        service: &str,
        target: Option<&str>,
        method: &str,
        path_and_query: &str,
        body: &[u8],
    ) -> Option<(String, Vec<String>)> {
        let model = self.services.get(service)?;
        let mut out = Vec::new();
        if model.rest {
            let (name, labels) = model.route(method, path_and_query)?;
            let operation = &model.operations[&name];
            let Some(input) = operation["input"]["shape"].as_str() else {
                return Some((name, out));
            };
            let input_shape = &model.shapes[input];
            let mut members = Map::new();
            let payload = input_shape["payload"].as_str();
            let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            let query = query_of(path_and_query);
            for (member, spec) in input_shape["members"].as_object().into_iter().flatten() {
                let location_name = spec["locationName"].as_str().unwrap_or(member);
                let value = match spec["location"].as_str() {
                    Some("uri") => labels.get(location_name).cloned().map(Value::String),
                    Some("querystring") => query
                        .get(location_name)
                        .map(|v| coerce(&model.shapes[spec["shape"].as_str().unwrap_or("")], v)),
                    Some(_) => None,
                    None if payload == Some(member.as_str()) => {
                        (!json.is_null()).then(|| json.clone())
                    }
                    None => json.get(location_name).cloned(),
                };
                if let Some(value) = value {
                    members.insert(member.clone(), value);
                }
            }
            self.check(model, input, &Value::Object(members), &name, &mut out);
            Some((name, out))
        } else {
            let name = target.and_then(|t| t.rsplit('.').next())?;
            let input = model.operations.get(name)?["input"]["shape"].as_str()?;
            let json = serde_json::from_slice::<Value>(body).ok()?;
            self.check(model, input, &json, name, &mut out);
            Some((name.to_string(), out))
        }
    }

    fn check(
        &self,
        model: &Service,
        shape_name: &str,
        value: &Value,
        path: &str,
        out: &mut Vec<String>,
    ) {
        let Some(shape) = model.shapes.get(shape_name) else {
            return;
        };
        let number = |key: &str| shape.get(key).and_then(Value::as_f64);
        match shape["type"].as_str().unwrap_or("") {
            "structure" => {
                let Some(object) = value.as_object() else {
                    return;
                };
                for required in shape["required"].as_array().into_iter().flatten() {
                    let required = required.as_str().unwrap_or("");
                    if !object.contains_key(required) {
                        out.push(format!("{path}.{required}: a required member is missing"));
                    }
                }
                for (member, spec) in shape["members"].as_object().into_iter().flatten() {
                    let key = spec["locationName"]
                        .as_str()
                        .filter(|_| !model.rest)
                        .unwrap_or(member);
                    if let (Some(inner), Some(member_shape)) = (
                        object.get(key).or_else(|| object.get(member)),
                        spec["shape"].as_str(),
                    ) {
                        self.check(model, member_shape, inner, &format!("{path}.{member}"), out);
                    }
                }
            }
            "list" => {
                let Some(items) = value.as_array() else {
                    return;
                };
                self.size(items.len(), number("min"), number("max"), path, out);
                if let Some(member) = shape["member"]["shape"].as_str() {
                    for (i, item) in items.iter().enumerate() {
                        self.check(model, member, item, &format!("{path}[{i}]"), out);
                    }
                }
            }
            "map" => {
                let Some(entries) = value.as_object() else {
                    return;
                };
                self.size(entries.len(), number("min"), number("max"), path, out);
                for (key, inner) in entries {
                    if let Some(key_shape) = shape["key"]["shape"].as_str() {
                        self.check(
                            model,
                            key_shape,
                            &Value::String(key.clone()),
                            &format!("{path}.{key}(key)"),
                            out,
                        );
                    }
                    if let Some(value_shape) = shape["value"]["shape"].as_str() {
                        self.check(model, value_shape, inner, &format!("{path}.{key}"), out);
                    }
                }
            }
            "string" => {
                let Some(text) = value.as_str() else {
                    return;
                };
                self.size(
                    text.chars().count(),
                    number("min"),
                    number("max"),
                    path,
                    out,
                );
                if let Some(allowed) = shape["enum"].as_array() {
                    if !allowed.iter().any(|a| a == value) {
                        out.push(format!("{path}: `{text}` is not one of the enum's values"));
                    }
                }
                if let Some(pattern) = shape["pattern"].as_str() {
                    if self.mismatch(pattern, text) {
                        out.push(format!(
                            "{path}: `{text}` does not match the pattern {pattern}"
                        ));
                    }
                }
            }
            "integer" | "long" | "double" | "float" => {
                let Some(n) = value.as_f64() else {
                    return;
                };
                if number("min").is_some_and(|min| n < min)
                    || number("max").is_some_and(|max| n > max)
                {
                    out.push(format!(
                        "{path}: {n} is outside {}..={}",
                        number("min").map_or("-".into(), |m| m.to_string()),
                        number("max").map_or("-".into(), |m| m.to_string())
                    ));
                }
            }
            _ => {}
        }
    }

    fn size(
        &self,
        len: usize,
        min: Option<f64>,
        max: Option<f64>,
        path: &str,
        out: &mut Vec<String>,
    ) {
        let len = len as f64;
        if min.is_some_and(|m| len < m) || max.is_some_and(|m| len > m) {
            out.push(format!(
                "{path}: length {len} is outside {}..={}",
                min.map_or("0".into(), |m| m.to_string()),
                max.map_or("-".into(), |m| m.to_string())
            ));
        }
    }

    /// Whether `text` fails the pattern as a whole (AWS matches the entire value).
    fn mismatch(&self, pattern: &str, text: &str) -> bool {
        let mut compiled = self.patterns.lock().unwrap_or_else(|e| e.into_inner());
        let regex = compiled
            .entry(pattern.to_string())
            .or_insert_with(|| regex_lite::Regex::new(&format!("^(?:{pattern})$")).ok());
        regex.as_ref().is_some_and(|r| !r.is_match(text))
    }

    /// Patterns the regex engine could not compile, so not checked.
    pub fn skipped_patterns(&self) -> usize {
        self.patterns
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .filter(|r| r.is_none())
            .count()
    }
}

impl Service {
    /// The REST operation of a method and path, with its URI labels.
    fn route(
        &self,
        method: &str,
        path_and_query: &str,
    ) -> Option<(String, BTreeMap<String, String>)> {
        let path = path_and_query.split('?').next().unwrap_or_default();
        let segments: Vec<String> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(percent_decode)
            .collect();
        let query = query_of(path_and_query);
        let mut best: Option<(usize, String, BTreeMap<String, String>)> = None;
        for (name, operation) in &self.operations {
            if operation["http"]["method"] != method {
                continue;
            }
            let uri = operation["http"]["requestUri"].as_str().unwrap_or("");
            let (template, literal_query) = uri.split_once('?').unwrap_or((uri, ""));
            // A template's own query (`?versions`) must be present too.
            if !literal_query.is_empty()
                && !literal_query
                    .split('&')
                    .all(|kv| query.contains_key(kv.split('=').next().unwrap_or(kv)))
            {
                continue;
            }
            let parts: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
            let mut labels = BTreeMap::new();
            let mut literal = 0;
            let mut matched = true;
            let mut i = 0;
            for (j, part) in parts.iter().enumerate() {
                if let Some(label) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                    if let Some(greedy) = label.strip_suffix('+') {
                        let rest = segments.get(i..).unwrap_or_default().join("/");
                        matched &= !rest.is_empty() && j == parts.len() - 1;
                        labels.insert(greedy.to_string(), rest);
                        i = segments.len();
                        break;
                    }
                    match segments.get(i) {
                        Some(value) => labels.insert(label.to_string(), value.clone()),
                        None => {
                            matched = false;
                            break;
                        }
                    };
                } else if segments.get(i).map(String::as_str) == Some(*part) {
                    literal += 1;
                } else {
                    matched = false;
                    break;
                }
                i += 1;
            }
            if matched && i == segments.len() && best.as_ref().is_none_or(|(l, _, _)| literal > *l)
            {
                best = Some((literal, name.clone(), labels));
            }
        }
        best.map(|(_, name, labels)| (name, labels))
    }
}

fn query_of(path_and_query: &str) -> BTreeMap<String, String> {
    path_and_query
        .split_once('?')
        .map(|(_, q)| q)
        .unwrap_or_default()
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// A query value as the member's type: numbers and booleans are not strings.
fn coerce(shape: &Value, text: &str) -> Value {
    match shape["type"].as_str() {
        Some("integer" | "long") => text.parse::<i64>().map(Value::from).unwrap_or(Value::Null),
        Some("boolean") => Value::Bool(text == "true"),
        _ => Value::String(text.to_string()),
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(byte) = u8::from_str_radix(&text[i + 1..i + 3], 16) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
