//! `slsctl import live`: specs from resources that exist, read back the way observation reads
//! them (each kind's own `aws.rs`), written so that the first plan adopts each of them with no
//! change to any of its fields.
//!
//! Pure: the live resources' props in, documents out. The reads and the code downloads are
//! `discover`'s. Each spec field is written from the very prop the plan compares it with, so a
//! field written here and the field read back agree by construction; what a spec cannot say (a
//! value slsctl does not model) is listed with its reason, never dropped silently.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use super::yaml::yaml;
use super::{spec_name, Imported, Skipped};
use crate::kinds::desired::{queue_url_from_arn, TAG_RESOURCE, TAG_STACK};
use crate::model::Kind;
use crate::plan::{FieldValue, Props};
use crate::spec::validate::ADOPT_ANNOTATION;

/// One live resource, as its kind's read returned it.
#[derive(Clone, Debug)]
pub struct LiveResource {
    pub kind: Kind,
    pub physical_name: String,
    pub arn: String,
    pub props: Props,
    /// A function's code, as the zip file written beside the specs (output-relative).
    pub code_file: Option<String>,
    /// A function's own log group (`/aws/lambda/<name>`) as it exists, which slsctl adopts as
    /// the group it derives: its retention goes into the spec so that adopting changes nothing.
    pub log_group: Option<Props>,
}

/// The spec file each kind goes to, as `import sam` writes them.
fn file_of(kind: Kind) -> &'static str {
    match kind {
        Kind::Function | Kind::Layer => "functions.yaml",
        Kind::Queue => "messaging.yaml",
        Kind::Table => "data.yaml",
        Kind::EventBus | Kind::Rule => "events.yaml",
        _ => "other.yaml",
    }
}

/// The spec names of the live resources: the physical name without the common prefix (when
/// discovery was by prefix), as a spec name, made unique per kind.
pub fn spec_names(resources: &[LiveResource], prefix: Option<&str>) -> Vec<String> {
    let mut taken: BTreeSet<(Kind, String)> = BTreeSet::new();
    resources
        .iter()
        .map(|r| {
            let short = prefix
                .and_then(|p| r.physical_name.strip_prefix(p))
                .map(|rest| rest.trim_start_matches(['-', '_', '.']))
                .filter(|rest| !rest.is_empty())
                .unwrap_or(&r.physical_name);
            let short = short.strip_suffix(".fifo").unwrap_or(short);
            let base = spec_name(short);
            let mut name = base.clone();
            let mut n = 2;
            while !taken.insert((r.kind, name.clone())) {
                name = format!("{base}-{n}");
                n += 1;
            }
            name
        })
        .collect()
}

struct Converter<'a> {
    region: &'a str,
    /// ARN → (kind, spec name) of every imported resource, for references.
    by_arn: BTreeMap<String, (Kind, String)>,
    /// (kind, physical name) → spec name.
    by_name: BTreeMap<(Kind, String), String>,
    skipped: Vec<Skipped>,
}

fn known<'p>(props: &'p Props, field: &str) -> Option<&'p Value> {
    match props.get(field) {
        Some(FieldValue::Known(v)) => Some(v),
        _ => None,
    }
}

/// A policy rule the live resources fail as they are: the Stack opts out of it for them, with
/// the reason, so that adopting them is not refused (`spec.policy.exceptions`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exception {
    pub rule: String,
    pub resources: Vec<String>,
}

/// Convert live resources into a stack named `stack` in `region`. `prefix` is the discovery's
/// name prefix (names are shortened by it).
pub fn convert(
    stack: &str,
    region: &str,
    resources: &[LiveResource],
    prefix: Option<&str>,
    exceptions: &[Exception],
) -> Imported {
    let names = spec_names(resources, prefix);
    let mut c = Converter {
        region,
        by_arn: BTreeMap::new(),
        by_name: BTreeMap::new(),
        skipped: Vec::new(),
    };
    for (r, name) in resources.iter().zip(&names) {
        c.by_arn.insert(r.arn.clone(), (r.kind, name.clone()));
        c.by_name
            .insert((r.kind, r.physical_name.clone()), name.clone());
    }
    // Tags every resource carries become the stack's (slsctl sets those on each resource);
    // slsctl's own ownership tags are never copied.
    let tag_sets: Vec<BTreeMap<String, String>> =
        resources.iter().map(|r| tags(&r.props)).collect();
    let common: BTreeMap<String, String> = tag_sets
        .first()
        .map(|first| {
            first
                .iter()
                .filter(|(k, v)| tag_sets.iter().all(|t| t.get(*k) == Some(*v)))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    let mut documents: BTreeMap<&'static str, Vec<Value>> = BTreeMap::new();
    for ((r, name), live_tags) in resources.iter().zip(&names).zip(&tag_sets) {
        // Named as discovery names them: by the physical name people know.
        let who = format!("{}/{}", r.kind, r.physical_name);
        for (key, value) in live_tags {
            if !common.contains_key(key) {
                c.skip(
                    &who,
                    format!("tag {key}={value}: only the stack's tags (on every resource) are modelled; the first apply removes it"),
                );
            }
        }
        let spec = match r.kind {
            Kind::Function => c.function(&who, r),
            Kind::Queue => Some(c.queue(&who, r)),
            Kind::Table => Some(c.table(&who, r)),
            Kind::EventBus => Some(c.bus(r)),
            Kind::Rule => Some(c.rule(&who, r)),
            other => {
                c.skip(&who, format!("{other}: not imported from a live account"));
                None
            }
        };
        let Some(mut spec) = spec else { continue };
        spec.insert("physicalName".into(), json!(r.physical_name));
        documents.entry(file_of(r.kind)).or_default().push(json!({
            "apiVersion": "slsctl.dev/v1alpha1",
            "kind": r.kind.to_string(),
            "metadata": {"name": name, "annotations": {ADOPT_ANNOTATION: "true"}},
            "spec": Value::Object(spec),
        }));
    }
    let mut stack_spec = json!({"region": region});
    if !common.is_empty() {
        stack_spec["tags"] = json!(common);
    }
    if !exceptions.is_empty() {
        let list: Vec<Value> = exceptions
            .iter()
            .map(|e| {
                json!({
                    "rule": e.rule,
                    "resources": e.resources,
                    "reason": "imported as it is from the live account; fix it, then remove this exception",
                })
            })
            .collect();
        stack_spec["policy"] = json!({"exceptions": list});
    }
    let mut out = Imported::default();
    out.files.insert(
        "stack.yaml".into(),
        yaml(&[json!({
            "apiVersion": "slsctl.dev/v1alpha1",
            "kind": "Stack",
            "metadata": {"name": stack},
            "spec": stack_spec,
        })]),
    );
    for (file, docs) in documents {
        out.files.insert(file.to_string(), yaml(&docs));
    }
    out.skipped = c.skipped;
    out
}

/// An environment variable whose name says it holds a secret (`API_KEY`, `DB_PASSWORD`).
fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    [
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "TOKEN",
        "API_KEY",
        "APIKEY",
        "PRIVATE",
        "CREDENTIAL",
    ]
    .iter()
    .any(|word| upper.contains(word))
}

/// A resource's own tags (`aws:` tags are never in props; slsctl's own are left out).
fn tags(props: &Props) -> BTreeMap<String, String> {
    props
        .iter()
        .filter_map(|(k, v)| {
            let key = k.strip_prefix("tags.")?;
            if key == TAG_STACK || key == TAG_RESOURCE || key.starts_with("slsctl:") {
                return None;
            }
            match v {
                FieldValue::Known(Value::String(s)) => Some((key.to_string(), s.clone())),
                _ => None,
            }
        })
        .collect()
}

impl Converter<'_> {
    fn skip(&mut self, who: &str, reason: impl Into<String>) {
        self.skipped.push(Skipped {
            logical_id: who.to_string(),
            line: None,
            reason: reason.into(),
        });
    }

    /// A reference to another imported resource of `kind` by its spec name, else the ARN.
    fn reference(&self, arn: &str, kind: Kind) -> String {
        match self.by_arn.get(arn) {
            Some((k, name)) if *k == kind => name.clone(),
            _ => arn.to_string(),
        }
    }

    /// An environment value as a `{ref}` when it is exactly what the reference resolves to
    /// (an imported queue's URL as slsctl builds it, a name or an ARN); else the literal.
    fn env_value(&self, value: &str) -> Value {
        if let Some((kind, name)) = self.by_arn.get(value) {
            return json!({"ref": format!("{kind}/{name}"), "attr": "arn"});
        }
        for (arn, (kind, name)) in &self.by_arn {
            if *kind == Kind::Queue && queue_url_from_arn(arn).as_deref() == Some(value) {
                return json!({"ref": format!("Queue/{name}"), "attr": "url"});
            }
        }
        let by_name: Vec<&(Kind, String)> = self
            .by_name
            .keys()
            .filter(|(k, physical)| {
                physical == value && matches!(k, Kind::Queue | Kind::Table | Kind::EventBus)
            })
            .collect();
        if let [(kind, physical)] = by_name.as_slice() {
            let name = &self.by_name[&(*kind, physical.clone())];
            return json!({"ref": format!("{kind}/{name}")});
        }
        json!(value)
    }

    fn copy_fields(&self, props: &Props, spec: &mut Map<String, Value>, fields: &[&str]) {
        for field in fields {
            if let Some(value) = known(props, field) {
                spec.insert((*field).to_string(), value.clone());
            }
        }
    }

    fn function(&mut self, who: &str, r: &LiveResource) -> Option<Map<String, Value>> {
        let p = &r.props;
        let mut spec = Map::new();
        if known(p, "packageType") == Some(&json!("Image")) {
            spec.insert(
                "code".into(),
                json!({"imageUri": known(p, "code.imageUri").cloned().unwrap_or_default()}),
            );
        } else if let Some(file) = &r.code_file {
            spec.insert("code".into(), json!({"path": file}));
        } else {
            self.skip(
                who,
                "code: Lambda's copy of the code could not be downloaded; not converted (put the deployed zip beside the specs and name it in code.path)",
            );
            return None;
        }
        self.copy_fields(
            p,
            &mut spec,
            &[
                "handler",
                "runtime",
                "role",
                "memorySize",
                "timeout",
                "architecture",
                "ephemeralStorage",
                "tracing",
                "reservedConcurrency",
            ],
        );
        if let Some(text) = known(p, "description").and_then(Value::as_str) {
            if !text.is_empty() {
                spec.insert("description".into(), json!(text));
            }
        }
        if let Some(layers) = known(p, "layers") {
            spec.insert("layers".into(), layers.clone());
        }
        let mut environment = Map::new();
        let mut sensitive = Vec::new();
        for (field, value) in p {
            let (Some(key), FieldValue::Known(Value::String(text))) =
                (field.strip_prefix("environment."), value)
            else {
                continue;
            };
            if looks_secret(key) {
                sensitive.push(json!(key));
                self.skip(
                    who,
                    format!("environment.{key}: its name says secret; its value is written to functions.yaml (under sensitiveEnvironment, so no plan prints it): move it out before committing the specs"),
                );
            }
            environment.insert(key.to_string(), self.env_value(text));
        }
        if !environment.is_empty() {
            spec.insert("environment".into(), Value::Object(environment));
        }
        if !sensitive.is_empty() {
            spec.insert("sensitiveEnvironment".into(), Value::Array(sensitive));
        }
        if let Some(target) = known(p, "deadLetter").and_then(Value::as_str) {
            if target.split(':').nth(2) == Some("sqs") {
                spec.insert(
                    "deadLetter".into(),
                    json!({"queue": self.reference(target, Kind::Queue)}),
                );
            } else {
                self.skip(
                    who,
                    format!("deadLetter {target}: only an SQS queue is modelled; the first apply removes it"),
                );
            }
        }
        let mut logging = Map::new();
        let format = known(p, "logging.format").and_then(Value::as_str);
        if format == Some("JSON") {
            logging.insert("format".into(), json!("JSON"));
            for (from, to) in [
                ("logging.applicationLogLevel", "applicationLogLevel"),
                ("logging.systemLogLevel", "systemLogLevel"),
            ] {
                if let Some(level) = known(p, from) {
                    logging.insert(to.into(), level.clone());
                }
            }
        }
        let default_group =
            crate::kinds::function::derive::default_log_group_name(&r.physical_name);
        if let Some(group) = known(p, "logging.logGroup").and_then(Value::as_str) {
            if group != default_group {
                let mut parts = r.arn.split(':');
                let (partition, account) =
                    (parts.nth(1).unwrap_or("aws"), parts.nth(2).unwrap_or(""));
                logging.insert(
                    "logGroup".into(),
                    json!(format!(
                        "arn:{partition}:logs:{}:{account}:log-group:{group}",
                        self.region
                    )),
                );
            }
        }
        if !logging.is_empty() {
            spec.insert("logging".into(), Value::Object(logging));
        }
        if let Some(group) = &r.log_group {
            if let Some(retention) = known(group, "retentionDays") {
                spec.insert("logRetentionDays".into(), retention.clone());
            }
            if let Some(class) = known(group, "class").filter(|c| *c != &json!("STANDARD")) {
                self.skip(
                    who,
                    format!("its log group's class {class}: a function's own log group is STANDARD; the first apply cannot change a class and will say so"),
                );
            }
        }
        let mut triggers: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
        for (field, value) in p {
            let Some(rest) = field.strip_prefix("triggers[") else {
                continue;
            };
            let Some((queue, setting)) = rest.split_once("].") else {
                continue;
            };
            let FieldValue::Known(value) = value else {
                continue;
            };
            let trigger = triggers.entry(queue.to_string()).or_default();
            match setting {
                "alias" if !value.is_null() => {
                    self.skip(
                        who,
                        format!(
                            "the trigger from {queue} invokes an alias; aliases are not imported"
                        ),
                    );
                }
                "maximumConcurrency" if value.is_null() => {}
                "alias" => {}
                other => {
                    trigger.insert(other.to_string(), value.clone());
                }
            }
        }
        if !triggers.is_empty() {
            let list: Vec<Value> = triggers
                .into_iter()
                .map(|(queue, mut t)| {
                    let queue_ref = self
                        .by_name
                        .get(&(Kind::Queue, queue.clone()))
                        .cloned()
                        .unwrap_or_else(|| {
                            let mut parts = r.arn.split(':');
                            let (partition, account) =
                                (parts.nth(1).unwrap_or("aws"), parts.nth(2).unwrap_or(""));
                            format!("arn:{partition}:sqs:{}:{account}:{queue}", self.region)
                        });
                    t.insert("queue".into(), json!(queue_ref));
                    Value::Object(t)
                })
                .collect();
            spec.insert("triggers".into(), Value::Array(list));
        }
        Some(spec)
    }

    fn queue(&mut self, who: &str, r: &LiveResource) -> Map<String, Value> {
        let p = &r.props;
        let mut spec = Map::new();
        self.copy_fields(
            p,
            &mut spec,
            &[
                "fifo",
                "visibilityTimeout",
                "messageRetentionPeriod",
                "delaySeconds",
                "maximumMessageSize",
                "receiveMessageWaitTime",
                "contentBasedDeduplication",
                "deduplicationScope",
                "fifoThroughputLimit",
                "sqsManagedSse",
                "kmsMasterKeyId",
                "kmsDataKeyReusePeriod",
            ],
        );
        if let (Some(target), Some(count)) = (
            known(p, "deadLetter.queue").and_then(Value::as_str),
            known(p, "deadLetter.maxReceiveCount"),
        ) {
            spec.insert(
                "deadLetter".into(),
                json!({"queue": self.reference(target, Kind::Queue), "maxReceiveCount": count}),
            );
        }
        if p.contains_key("redriveAllow.sourceQueueArns") {
            // slsctl restricts a dead-letter queue to exactly the stack's queues using it.
            spec.insert("restrictRedriveSources".into(), json!(true));
            self.skip(
                who,
                "RedriveAllowPolicy byQueue: written as restrictRedriveSources, which allows exactly the stack's queues that use it",
            );
        }
        spec
    }

    fn table(&mut self, _who: &str, r: &LiveResource) -> Map<String, Value> {
        let p = &r.props;
        let mut spec = Map::new();
        self.copy_fields(
            p,
            &mut spec,
            &[
                "partitionKey",
                "sortKey",
                "billingMode",
                "readCapacity",
                "writeCapacity",
                "stream",
                "tableClass",
                "deletionProtection",
                "timeToLiveAttribute",
                "pointInTimeRecovery",
            ],
        );
        let mut indexes = Vec::new();
        for (field, value) in p {
            let (Some(name), FieldValue::Known(Value::Object(index))) = (
                field
                    .strip_prefix("globalSecondaryIndexes[")
                    .and_then(|r| r.strip_suffix(']')),
                value,
            ) else {
                continue;
            };
            let mut index = index.clone();
            index.insert("name".into(), json!(name));
            indexes.push(Value::Object(index));
        }
        if !indexes.is_empty() {
            spec.insert("globalSecondaryIndexes".into(), Value::Array(indexes));
        }
        if let Some(sse) = known(p, "sse").and_then(Value::as_str) {
            if let Some(key) = sse.strip_prefix("KMS:") {
                spec.insert("sse".into(), json!({"type": "KMS", "kmsMasterKeyId": key}));
            }
        }
        spec
    }

    fn bus(&mut self, r: &LiveResource) -> Map<String, Value> {
        let p = &r.props;
        let mut spec = Map::new();
        if let Some(text) = known(p, "description").and_then(Value::as_str) {
            if !text.is_empty() {
                spec.insert("description".into(), json!(text));
            }
        }
        if let Some(days) = known(p, "archive.retentionDays") {
            let mut archive = json!({"retentionDays": days});
            if let Some(pattern) = known(p, "archive.pattern").filter(|v| !v.is_null()) {
                archive["pattern"] = pattern.clone();
            }
            spec.insert("archive".into(), archive);
        }
        spec
    }

    fn rule(&mut self, who: &str, r: &LiveResource) -> Map<String, Value> {
        let p = &r.props;
        let mut spec = Map::new();
        if let Some(bus) = known(p, "bus").and_then(Value::as_str) {
            if bus != "default" {
                let name = self
                    .by_name
                    .get(&(Kind::EventBus, bus.to_string()))
                    .cloned()
                    .unwrap_or_else(|| {
                        // A bus outside the import: its ARN, built from the rule's.
                        let arn = r.arn.split(":rule/").next().unwrap_or_default();
                        format!("{arn}:event-bus/{bus}")
                    });
                spec.insert("bus".into(), json!(name));
            }
        }
        self.copy_fields(p, &mut spec, &["pattern", "schedule", "state"]);
        if let Some(text) = known(p, "description").and_then(Value::as_str) {
            if !text.is_empty() {
                spec.insert("description".into(), json!(text));
            }
        }
        let mut targets = Vec::new();
        for (field, value) in p {
            let (Some(id), FieldValue::Known(t)) = (
                field
                    .strip_prefix("targets[")
                    .and_then(|r| r.strip_suffix(']')),
                value,
            ) else {
                continue;
            };
            let arn = t["arn"].as_str().unwrap_or_default();
            let mut target = json!({"id": id});
            match self.by_arn.get(arn) {
                Some((Kind::Queue, name)) => target["queue"] = json!(name),
                Some((Kind::Function, name)) => target["function"] = json!(name),
                Some((Kind::EventBus, name)) => target["bus"] = json!(name),
                _ => target["arn"] = json!(arn),
            }
            for key in [
                "inputPath",
                "inputTransformer",
                "messageGroupId",
                "retryPolicy",
            ] {
                if let Some(v) = t.get(key) {
                    target[key] = v.clone();
                }
            }
            if let Some(role) = t["roleArn"].as_str() {
                target["role"] = json!(role);
            }
            if let Some(dlq) = t["deadLetter"].as_str() {
                target["deadLetter"] = json!({"queue": self.reference(dlq, Kind::Queue)});
            }
            targets.push(target);
        }
        if targets.is_empty() {
            self.skip(who, "a rule without targets");
        }
        spec.insert("targets".into(), Value::Array(targets));
        spec
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(kind: Kind, name: &str, arn: &str, props: &[(&str, Value)]) -> LiveResource {
        LiveResource {
            kind,
            physical_name: name.into(),
            arn: arn.into(),
            props: props
                .iter()
                .map(|(k, v)| (k.to_string(), FieldValue::known(v.clone())))
                .collect(),
            code_file: None,
            log_group: None,
        }
    }

    #[test]
    fn an_environment_value_named_like_a_secret_is_marked_sensitive_and_listed() {
        let resources = [live(
            Kind::Function,
            "legacy-worker",
            "arn:aws:lambda:eu-west-1:123456789012:function:legacy-worker",
            &[
                ("packageType", json!("Zip")),
                ("environment.STRIPE_API_KEY", json!("sk_live_canary")),
                ("environment.LOG_LEVEL", json!("info")),
            ],
        )];
        let mut resources = resources;
        resources[0].code_file = Some("functions/legacy-worker.zip".into());
        let out = convert("legacy", "eu-west-1", &resources, Some("legacy-"), &[]);
        let functions = &out.files["functions.yaml"];
        assert!(
            functions.contains("sensitiveEnvironment: [STRIPE_API_KEY]"),
            "{functions}"
        );
        assert_eq!(out.skipped.len(), 1);
        assert!(out.skipped[0].reason.contains("STRIPE_API_KEY"));
        // The listing names the variable, never its value.
        assert!(!out.skipped[0].reason.contains("sk_live_canary"));
    }

    #[test]
    fn names_lose_the_prefix_and_stay_unique_per_kind() {
        let resources = [
            live(Kind::Queue, "legacy-orders", "q1", &[]),
            live(Kind::Queue, "legacy_Orders", "q2", &[]),
            live(Kind::Table, "legacy-orders", "t1", &[]),
            live(Kind::Queue, "legacy-jobs.fifo", "q3", &[]),
        ];
        assert_eq!(
            spec_names(&resources, Some("legacy")),
            ["orders", "orders-2", "orders", "jobs"]
        );
    }

    #[test]
    fn references_become_spec_names_and_the_adopt_annotation_is_written() {
        let queue_arn = "arn:aws:sqs:eu-west-1:123456789012:legacy-jobs";
        let dlq_arn = "arn:aws:sqs:eu-west-1:123456789012:legacy-jobs-dlq";
        let resources = [
            live(
                Kind::Queue,
                "legacy-jobs",
                queue_arn,
                &[
                    ("visibilityTimeout", json!(60)),
                    ("deadLetter.queue", json!(dlq_arn)),
                    ("deadLetter.maxReceiveCount", json!(4)),
                    ("tags.team", json!("payments")),
                ],
            ),
            live(
                Kind::Queue,
                "legacy-jobs-dlq",
                dlq_arn,
                &[("tags.team", json!("payments")), ("tags.tier", json!("x"))],
            ),
        ];
        let out = convert("legacy", "eu-west-1", &resources, Some("legacy-"), &[]);
        let messaging = &out.files["messaging.yaml"];
        assert!(
            messaging.contains("slsctl.dev/adopt: \"true\""),
            "{messaging}"
        );
        assert!(
            messaging.contains("physicalName: legacy-jobs\n"),
            "{messaging}"
        );
        assert!(messaging.contains("queue: jobs-dlq"), "{messaging}");
        assert!(out.files["stack.yaml"].contains("team: payments"));
        // The tag on one resource only is not a stack tag: listed, not dropped silently.
        assert_eq!(out.skipped.len(), 1);
        assert!(out.skipped[0].reason.contains("tier=x"));
    }
}
