//! `slsctl import sam|cloudformation`: a template turned into specs, formatted like hand-written
//! ones. What cannot be converted is listed with its template line and the reason, never
//! dropped silently.
//!
//! Pure apart from the caller's file writes: the template's text in, documents (and the code
//! directories to copy) out.

pub mod discover;
pub mod live;
pub mod template;
mod yaml;

use yaml::yaml;

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

/// What the conversion made.
#[derive(Debug, Default)]
pub struct Imported {
    /// File name → YAML text.
    pub files: BTreeMap<String, String>,
    /// Code and layer directories, template-relative → output-relative.
    pub copies: Vec<(String, String)>,
    /// What was not converted.
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub logical_id: String,
    pub line: Option<u32>,
    pub reason: String,
}

/// `CreateOrderFunction` → `create-order-function`: a logical id as a spec name.
pub fn spec_name(logical_id: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = logical_id.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let after_lower =
                i > 0 && (chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit());
            let acronym_end = i > 0
                && chars[i - 1].is_ascii_uppercase()
                && chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if after_lower || acronym_end {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(*c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed = out.trim_matches('-').to_string();
    if trimmed.starts_with(|c: char| c.is_ascii_lowercase()) {
        trimmed
    } else {
        format!("r-{trimmed}")
    }
}

struct Converter<'t> {
    resources: &'t Map<String, Value>,
    lines: &'t BTreeMap<String, u32>,
    parameters: BTreeMap<String, Value>,
    stack: String,
    out: Imported,
    documents: BTreeMap<&'static str, Vec<Value>>,
    /// Api logical id → routes found on functions.
    routes: BTreeMap<String, Vec<Value>>,
}

/// Convert a SAM or CloudFormation template's text into a stack named `stack`.
pub fn convert(text: &str, stack: &str) -> Result<Imported, String> {
    let parsed = template::parse(text)?;
    let empty = Map::new();
    let resources = parsed.root["Resources"].as_object().unwrap_or(&empty);
    if resources.is_empty() {
        return Err("the template has no Resources".into());
    }
    let parameters = parsed.root["Parameters"]
        .as_object()
        .map(|p| {
            p.iter()
                .filter_map(|(name, spec)| Some((name.clone(), spec.get("Default")?.clone())))
                .collect()
        })
        .unwrap_or_default();
    let mut c = Converter {
        resources,
        lines: &parsed.lines,
        parameters,
        stack: stack.to_string(),
        out: Imported::default(),
        documents: BTreeMap::new(),
        routes: BTreeMap::new(),
    };
    let globals = parsed.root["Globals"]["Function"].clone();
    for (id, resource) in resources {
        let properties = resource["Properties"].clone();
        match resource["Type"].as_str().unwrap_or("") {
            "AWS::Serverless::Function" => c.function(id, &properties, &globals),
            "AWS::SQS::Queue" => c.queue(id, &properties),
            "AWS::DynamoDB::Table" => c.table(id, &properties),
            "AWS::Serverless::SimpleTable" => c.simple_table(id, &properties),
            "AWS::Events::EventBus" => c.bus(id, &properties),
            "AWS::Events::Rule" => c.rule(id, &properties),
            "AWS::Serverless::LayerVersion" => c.layer(id, &properties),
            "AWS::Serverless::Api" | "AWS::ApiGateway::RestApi" => {}
            other => c.skip(id, format!("{other} has no slsctl kind")),
        }
    }
    c.apis(&globals);
    c.finish(&globals);
    Ok(c.out)
}

impl Converter<'_> {
    fn skip(&mut self, id: &str, reason: impl Into<String>) {
        self.out.skipped.push(Skipped {
            logical_id: id.to_string(),
            line: self.lines.get(id).copied(),
            reason: reason.into(),
        });
    }

    fn kind_of(&self, id: &str) -> Option<&'static str> {
        Some(match self.resources.get(id)?["Type"].as_str()? {
            "AWS::Serverless::Function" => "Function",
            "AWS::SQS::Queue" => "Queue",
            "AWS::DynamoDB::Table" | "AWS::Serverless::SimpleTable" => "Table",
            "AWS::Events::EventBus" => "EventBus",
            "AWS::Events::Rule" => "Rule",
            "AWS::Serverless::LayerVersion" => "Layer",
            "AWS::Serverless::Api" => "Api",
            _ => return None,
        })
    }

    /// The resource a `Ref` or `Fn::GetAtt` names, with the attribute (`None` for `Ref`).
    fn target(&self, value: &Value) -> Option<(String, Option<String>)> {
        if let Some(id) = value.get("Ref").and_then(Value::as_str) {
            return self
                .resources
                .contains_key(id)
                .then(|| (id.to_string(), None));
        }
        let parts = value.get("Fn::GetAtt")?.as_array()?;
        let id = parts.first()?.as_str()?;
        let attribute = parts.get(1)?.as_str()?;
        self.resources
            .contains_key(id)
            .then(|| (id.to_string(), Some(attribute.to_string())))
    }

    /// A literal value: a string or number as written, a parameter's default, or a `Fn::Sub`
    /// over parameters and the stack's name.
    fn literal(&self, value: &Value) -> Option<Value> {
        match value {
            Value::String(_) | Value::Number(_) | Value::Bool(_) => Some(value.clone()),
            Value::Object(map) if map.len() == 1 => {
                if let Some(name) = map.get("Ref").and_then(Value::as_str) {
                    if name == "AWS::StackName" {
                        return Some(json!(self.stack));
                    }
                    return self.parameters.get(name).cloned();
                }
                let text = map.get("Fn::Sub")?.as_str()?;
                let mut out = text.replace("${AWS::StackName}", &self.stack);
                for (name, default) in &self.parameters {
                    let value = match default {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    out = out.replace(&format!("${{{name}}}"), &value);
                }
                (!out.contains("${")).then(|| json!(out))
            }
            _ => None,
        }
    }

    fn text(&self, value: &Value) -> Option<String> {
        match self.literal(value)? {
            Value::String(s) => Some(s),
            other => Some(other.to_string()),
        }
    }

    fn number(&self, value: &Value) -> Option<i64> {
        match self.literal(value)? {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
    }

    /// A reference to a resource of `kind` as a spec writes it (its name), else a literal ARN.
    fn reference(&self, value: &Value, kind: &str) -> Option<String> {
        match self.target(value) {
            Some((id, _)) if self.kind_of(&id) == Some(kind) => Some(spec_name(&id)),
            Some(_) => None,
            None => self.text(value).filter(|t| t.starts_with("arn:")),
        }
    }

    fn push(&mut self, file: &'static str, kind: &str, id: &str, spec: Map<String, Value>) {
        self.documents.entry(file).or_default().push(json!({
            "apiVersion": "slsctl.dev/v1alpha1",
            "kind": kind,
            "metadata": {"name": spec_name(id)},
            "spec": Value::Object(spec),
        }));
    }

    fn copy(&mut self, id: &str, from: &str, to_dir: &str) -> Option<String> {
        if from.starts_with("s3://") || from.contains("://") {
            self.skip(
                id,
                format!("code at {from}: only local directories are copied"),
            );
            return None;
        }
        let to = format!("{to_dir}/{}", spec_name(id));
        self.out.copies.push((from.to_string(), to.clone()));
        Some(to)
    }

    fn function(&mut self, id: &str, p: &Value, globals: &Value) {
        let setting = |key: &str| {
            p.get(key)
                .or_else(|| globals.get(key))
                .cloned()
                .unwrap_or(Value::Null)
        };
        let mut spec = Map::new();
        match (p.get("CodeUri"), p.get("ImageUri"), p.get("InlineCode")) {
            (Some(Value::String(dir)), _, _) => {
                if let Some(path) = self.copy(id, dir, "functions") {
                    spec.insert("code".into(), json!({"path": path}));
                }
            }
            (Some(Value::Object(s3)), _, _) => {
                spec.insert(
                    "code".into(),
                    json!({"s3": {"bucket": s3.get("Bucket"), "key": s3.get("Key")}}),
                );
            }
            (_, Some(image), _) => {
                if let Some(uri) = self.text(image) {
                    spec.insert("code".into(), json!({"imageUri": uri}));
                }
            }
            (_, _, Some(_)) => {
                return self.skip(
                    id,
                    "InlineCode: put the code in a directory and name it in CodeUri",
                )
            }
            _ => return self.skip(id, "no CodeUri"),
        }
        for (from, to) in [
            ("Handler", "handler"),
            ("Runtime", "runtime"),
            ("Description", "description"),
        ] {
            if let Some(text) = self.text(&setting(from)) {
                spec.insert(to.into(), json!(text));
            }
        }
        for (from, to) in [
            ("MemorySize", "memorySize"),
            ("Timeout", "timeout"),
            ("ReservedConcurrentExecutions", "reservedConcurrency"),
        ] {
            if let Some(n) = self.number(&setting(from)) {
                spec.insert(to.into(), json!(n));
            }
        }
        if let Some(arch) = setting("Architectures").get(0).and_then(|a| self.text(a)) {
            spec.insert("architecture".into(), json!(arch));
        }
        if let Some(tracing) = self.text(&setting("Tracing")) {
            spec.insert("tracing".into(), json!(tracing));
        }
        if let Some(role) = p.get("Role") {
            match self.text(role) {
                Some(arn) => {
                    spec.insert("role".into(), json!(arn));
                }
                None => self.skip(id, "Role: a role of the template; slsctl derives the function's role from its wiring instead"),
            }
        }
        if p.get("Policies").is_some() {
            self.skip(id, "Policies: slsctl derives the role's policy from the wiring; add what it cannot tell under `permissions`");
        }
        let mut layers = Vec::new();
        for layer in setting("Layers").as_array().into_iter().flatten() {
            match self.reference(layer, "Layer") {
                Some(name) => layers.push(json!(name)),
                None => self.skip(id, "a layer neither of the template nor an ARN"),
            }
        }
        if !layers.is_empty() {
            spec.insert("layers".into(), Value::Array(layers));
        }
        let mut environment = Map::new();
        let variables = [
            globals["Environment"]["Variables"].clone(),
            p["Environment"]["Variables"].clone(),
        ];
        for vars in variables.iter().filter_map(Value::as_object) {
            for (name, value) in vars {
                let converted = match self.target(value) {
                    Some((target, attribute)) => self.kind_of(&target).map(|kind| {
                        let attr = match (kind, attribute.as_deref()) {
                            (_, Some("Arn")) => "arn",
                            ("Queue", None) => "url",
                            ("Table", Some("StreamArn")) => "streamArn",
                            _ => "name",
                        };
                        let mut r = json!({"ref": format!("{kind}/{}", spec_name(&target))});
                        if attr != "name" {
                            r["attr"] = json!(attr);
                        }
                        r
                    }),
                    None => self.text(value).map(Value::String),
                };
                match converted {
                    Some(v) => {
                        environment.insert(name.clone(), v);
                    }
                    None => self.skip(
                        id,
                        format!("Environment.Variables.{name}: a value slsctl cannot resolve"),
                    ),
                }
            }
        }
        if !environment.is_empty() {
            spec.insert("environment".into(), Value::Object(environment));
        }
        if let Some(target) = p["DeadLetterQueue"].get("TargetArn") {
            match self.reference(target, "Queue") {
                Some(queue) if p["DeadLetterQueue"]["Type"] == "SQS" => {
                    spec.insert("deadLetter".into(), json!({"queue": queue}));
                }
                _ => self.skip(
                    id,
                    "DeadLetterQueue: only an SQS queue of the template or its ARN",
                ),
            }
        }
        if let Some(alias) = self.text(&setting("AutoPublishAlias")) {
            let mut a = json!({"name": alias});
            let pc = &setting("ProvisionedConcurrencyConfig")["ProvisionedConcurrentExecutions"];
            if let Some(n) = self.number(pc) {
                a["provisionedConcurrency"] = json!({"baseline": n});
            }
            spec.insert("alias".into(), a);
        }
        let mut triggers = Vec::new();
        for (event, e) in p["Events"].as_object().into_iter().flatten() {
            let ep = &e["Properties"];
            match e["Type"].as_str().unwrap_or("") {
                "Api" => {
                    let api = ep
                        .get("RestApiId")
                        .and_then(|r| self.target(r))
                        .map_or_else(|| "ServerlessRestApi".to_string(), |(id, _)| id);
                    let method = ep["Method"].as_str().unwrap_or("ANY").to_ascii_uppercase();
                    let path = ep["Path"].as_str().unwrap_or("/").to_string();
                    self.routes
                        .entry(api)
                        .or_default()
                        .push(json!({"method": method, "path": path, "function": spec_name(id)}));
                }
                "SQS" => match self.reference(&ep["Queue"], "Queue") {
                    Some(queue) => {
                        let mut t = json!({"queue": queue});
                        if let Some(n) = self.number(&ep["BatchSize"]) {
                            t["batchSize"] = json!(n);
                        }
                        if let Some(n) = self.number(&ep["MaximumBatchingWindowInSeconds"]) {
                            t["maximumBatchingWindow"] = json!(n);
                        }
                        if ep["FunctionResponseTypes"]
                            .as_array()
                            .is_some_and(|a| a.iter().any(|t| t == "ReportBatchItemFailures"))
                        {
                            t["reportBatchItemFailures"] = json!(true);
                        }
                        if ep["Enabled"] == json!(false) {
                            t["enabled"] = json!(false);
                        }
                        triggers.push(t);
                    }
                    None => self.skip(
                        id,
                        format!("Events.{event}: an SQS queue neither of the template nor an ARN"),
                    ),
                },
                kind @ ("EventBridgeRule" | "Schedule") => {
                    let mut rule = Map::new();
                    if kind == "Schedule" {
                        match self.text(&ep["Schedule"]) {
                            Some(expression) => {
                                rule.insert("schedule".into(), json!(expression));
                            }
                            None => {
                                self.skip(
                                    id,
                                    format!("Events.{event}: a schedule without an expression"),
                                );
                                continue;
                            }
                        }
                    } else {
                        rule.insert("pattern".into(), ep["Pattern"].clone());
                        if let Some(bus) = ep.get("EventBusName") {
                            match self.reference(bus, "EventBus").or_else(|| self.text(bus)) {
                                Some(bus) if bus != "default" => {
                                    rule.insert("bus".into(), json!(bus));
                                }
                                _ => {}
                            }
                        }
                    }
                    if ep["Enabled"] == json!(false) || ep["State"] == json!("DISABLED") {
                        rule.insert("state".into(), json!("DISABLED"));
                    }
                    rule.insert(
                        "targets".into(),
                        json!([{"id": spec_name(id), "function": spec_name(id)}]),
                    );
                    self.push("events.yaml", "Rule", &format!("{id}{event}"), rule);
                }
                other => self.skip(
                    id,
                    format!("Events.{event}: event type {other} has no slsctl equivalent"),
                ),
            }
        }
        if !triggers.is_empty() {
            spec.insert("triggers".into(), Value::Array(triggers));
        }
        self.push("functions.yaml", "Function", id, spec);
    }

    fn queue(&mut self, id: &str, p: &Value) {
        let mut spec = Map::new();
        if p["FifoQueue"] == json!(true) {
            spec.insert("fifo".into(), json!(true));
        }
        if p["ContentBasedDeduplication"] == json!(true) {
            spec.insert("contentBasedDeduplication".into(), json!(true));
        }
        for (from, to) in [
            ("VisibilityTimeout", "visibilityTimeout"),
            ("MessageRetentionPeriod", "messageRetentionPeriod"),
            ("DelaySeconds", "delaySeconds"),
            ("MaximumMessageSize", "maximumMessageSize"),
            ("ReceiveMessageWaitTimeSeconds", "receiveMessageWaitTime"),
        ] {
            if let Some(n) = self.number(&p[from]) {
                spec.insert(to.into(), json!(n));
            }
        }
        if let Some(key) = self.text(&p["KmsMasterKeyId"]) {
            spec.insert("kmsMasterKeyId".into(), json!(key));
        }
        let redrive = &p["RedrivePolicy"];
        if !redrive.is_null() {
            match (
                self.reference(&redrive["deadLetterTargetArn"], "Queue"),
                self.number(&redrive["maxReceiveCount"]),
            ) {
                (Some(queue), Some(count)) => {
                    spec.insert(
                        "deadLetter".into(),
                        json!({"queue": queue, "maxReceiveCount": count}),
                    );
                }
                _ => self.skip(
                    id,
                    "RedrivePolicy: a dead-letter queue slsctl cannot resolve",
                ),
            }
        }
        if let Some(name) = self.text(&p["QueueName"]) {
            spec.insert("physicalName".into(), json!(name));
        }
        self.push("messaging.yaml", "Queue", id, spec);
    }

    fn key(&self, name: &str, definitions: &Value) -> Value {
        let ty = definitions
            .as_array()
            .into_iter()
            .flatten()
            .find(|d| d["AttributeName"] == name)
            .and_then(|d| d["AttributeType"].as_str())
            .unwrap_or("S");
        json!({"name": name, "type": ty})
    }

    fn table(&mut self, id: &str, p: &Value) {
        let mut spec = Map::new();
        let definitions = &p["AttributeDefinitions"];
        let keys = |schema: &Value| -> (Option<String>, Option<String>) {
            let mut hash = None;
            let mut range = None;
            for k in schema.as_array().into_iter().flatten() {
                let name = k["AttributeName"].as_str().map(String::from);
                match k["KeyType"].as_str() {
                    Some("HASH") => hash = name,
                    Some("RANGE") => range = name,
                    _ => {}
                }
            }
            (hash, range)
        };
        let (Some(hash), range) = keys(&p["KeySchema"]) else {
            return self.skip(id, "KeySchema without a HASH key");
        };
        spec.insert("partitionKey".into(), self.key(&hash, definitions));
        if let Some(range) = range {
            spec.insert("sortKey".into(), self.key(&range, definitions));
        }
        let billing = p["BillingMode"].as_str().unwrap_or("PROVISIONED");
        spec.insert("billingMode".into(), json!(billing));
        if billing == "PROVISIONED" {
            if let (Some(r), Some(w)) = (
                self.number(&p["ProvisionedThroughput"]["ReadCapacityUnits"]),
                self.number(&p["ProvisionedThroughput"]["WriteCapacityUnits"]),
            ) {
                spec.insert("readCapacity".into(), json!(r));
                spec.insert("writeCapacity".into(), json!(w));
            }
        }
        let mut indexes = Vec::new();
        for gsi in p["GlobalSecondaryIndexes"].as_array().into_iter().flatten() {
            let (Some(hash), range) = keys(&gsi["KeySchema"]) else {
                continue;
            };
            let mut index = json!({
                "name": gsi["IndexName"],
                "partitionKey": self.key(&hash, definitions),
                "projection": gsi["Projection"]["ProjectionType"].as_str().unwrap_or("ALL"),
            });
            if let Some(range) = range {
                index["sortKey"] = self.key(&range, definitions);
            }
            if let Some(attributes) = gsi["Projection"]["NonKeyAttributes"].as_array() {
                index["nonKeyAttributes"] = Value::Array(attributes.clone());
            }
            indexes.push(index);
        }
        if !indexes.is_empty() {
            spec.insert("globalSecondaryIndexes".into(), Value::Array(indexes));
        }
        if p["TimeToLiveSpecification"]["Enabled"] == json!(true) {
            spec.insert(
                "timeToLiveAttribute".into(),
                p["TimeToLiveSpecification"]["AttributeName"].clone(),
            );
        }
        if p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] == json!(true) {
            spec.insert("pointInTimeRecovery".into(), json!(true));
        }
        if let Some(view) = p["StreamSpecification"]["StreamViewType"].as_str() {
            spec.insert("stream".into(), json!(view));
        }
        if let Some(class) = p["TableClass"].as_str() {
            spec.insert("tableClass".into(), json!(class));
        }
        // CloudFormation's default: unprotected; slsctl's default is protected.
        spec.insert(
            "deletionProtection".into(),
            json!(p["DeletionProtectionEnabled"] == json!(true)),
        );
        if let Some(name) = self.text(&p["TableName"]) {
            spec.insert("physicalName".into(), json!(name));
        }
        self.push("data.yaml", "Table", id, spec);
    }

    fn simple_table(&mut self, id: &str, p: &Value) {
        let key = &p["PrimaryKey"];
        let name = key["Name"].as_str().unwrap_or("id");
        let ty = match key["Type"].as_str().unwrap_or("String") {
            "Number" => "N",
            "Binary" => "B",
            _ => "S",
        };
        let mut spec = Map::new();
        spec.insert("partitionKey".into(), json!({"name": name, "type": ty}));
        match (
            self.number(&p["ProvisionedThroughput"]["ReadCapacityUnits"]),
            self.number(&p["ProvisionedThroughput"]["WriteCapacityUnits"]),
        ) {
            (Some(r), Some(w)) => {
                spec.insert("billingMode".into(), json!("PROVISIONED"));
                spec.insert("readCapacity".into(), json!(r));
                spec.insert("writeCapacity".into(), json!(w));
            }
            _ => {
                spec.insert("billingMode".into(), json!("PAY_PER_REQUEST"));
            }
        }
        spec.insert("deletionProtection".into(), json!(false));
        self.push("data.yaml", "Table", id, spec);
    }

    fn bus(&mut self, id: &str, p: &Value) {
        let mut spec = Map::new();
        if let Some(name) = self.text(&p["Name"]) {
            spec.insert("physicalName".into(), json!(name));
        }
        if let Some(description) = self.text(&p["Description"]) {
            spec.insert("description".into(), json!(description));
        }
        self.push("events.yaml", "EventBus", id, spec);
    }

    fn rule(&mut self, id: &str, p: &Value) {
        let mut spec = Map::new();
        if !p["EventPattern"].is_null() {
            spec.insert("pattern".into(), p["EventPattern"].clone());
        }
        if let Some(expression) = self.text(&p["ScheduleExpression"]) {
            spec.insert("schedule".into(), json!(expression));
        }
        if let Some(bus) = p.get("EventBusName") {
            if let Some(bus) = self.reference(bus, "EventBus").or_else(|| self.text(bus)) {
                if bus != "default" {
                    spec.insert("bus".into(), json!(bus));
                }
            }
        }
        if p["State"] == json!("DISABLED") {
            spec.insert("state".into(), json!("DISABLED"));
        }
        let mut targets = Vec::new();
        for t in p["Targets"].as_array().into_iter().flatten() {
            let target_id = t["Id"].as_str().unwrap_or("target").to_string();
            let mut target = json!({"id": target_id});
            match self
                .target(&t["Arn"])
                .and_then(|(to, _)| Some((self.kind_of(&to)?, to)))
            {
                Some(("Queue", to)) => target["queue"] = json!(spec_name(&to)),
                Some(("Function", to)) => target["function"] = json!(spec_name(&to)),
                Some(("EventBus", to)) => target["bus"] = json!(spec_name(&to)),
                _ => match self.text(&t["Arn"]) {
                    Some(arn) => target["arn"] = json!(arn),
                    None => {
                        self.skip(
                            id,
                            format!("Targets[{target_id}]: a target slsctl cannot resolve"),
                        );
                        continue;
                    }
                },
            }
            if let Some(path) = self.text(&t["InputPath"]) {
                target["inputPath"] = json!(path);
            }
            targets.push(target);
        }
        spec.insert("targets".into(), Value::Array(targets));
        self.push("events.yaml", "Rule", id, spec);
    }

    fn layer(&mut self, id: &str, p: &Value) {
        let mut spec = Map::new();
        match p["ContentUri"].as_str() {
            Some(dir) => match self.copy(id, dir, "layers") {
                Some(path) => {
                    spec.insert("content".into(), json!({"path": path}));
                }
                None => return,
            },
            None => return self.skip(id, "ContentUri: only a local directory"),
        }
        for (from, to) in [
            ("CompatibleRuntimes", "compatibleRuntimes"),
            ("CompatibleArchitectures", "compatibleArchitectures"),
        ] {
            if p[from].is_array() {
                spec.insert(to.into(), p[from].clone());
            }
        }
        for (from, to) in [
            ("Description", "description"),
            ("LicenseInfo", "licenseInfo"),
        ] {
            if let Some(text) = self.text(&p[from]) {
                spec.insert(to.into(), json!(text));
            }
        }
        self.push("functions.yaml", "Layer", id, spec);
    }

    /// The APIs the functions' `Api` events route through: an explicit `AWS::Serverless::Api`
    /// with its stage, tracing and domain, or SAM's implicit one (stage `Prod`).
    fn apis(&mut self, _globals: &Value) {
        let routes = std::mem::take(&mut self.routes);
        for (api, routes) in routes {
            let mut spec = Map::new();
            let p = self
                .resources
                .get(&api)
                .map(|r| r["Properties"].clone())
                .unwrap_or(Value::Null);
            spec.insert(
                "stage".into(),
                json!(self.text(&p["StageName"]).unwrap_or_else(|| "Prod".into())),
            );
            if p["TracingEnabled"] == json!(true) {
                spec.insert("tracing".into(), json!(true));
            }
            if let Some(endpoint) = p["EndpointConfiguration"]["Type"]
                .as_str()
                .or(p["EndpointConfiguration"].as_str())
            {
                spec.insert("endpointType".into(), json!(endpoint));
            }
            let domain = &p["Domain"];
            if let (Some(name), Some(certificate)) = (
                self.text(&domain["DomainName"]),
                self.text(&domain["CertificateArn"]),
            ) {
                let mut d = json!({"name": name, "certificateArn": certificate});
                if let Some(base) = domain["BasePath"].get(0).and_then(|b| self.text(b)) {
                    d["basePath"] = json!(base.trim_start_matches('/'));
                }
                spec.insert("domain".into(), d);
            }
            spec.insert("routes".into(), Value::Array(routes));
            let name = if api == "ServerlessRestApi" {
                "Api".to_string()
            } else {
                api
            };
            self.push("api.yaml", "Api", &name, spec);
        }
    }

    fn finish(&mut self, globals: &Value) {
        let mut stack = json!({
            "apiVersion": "slsctl.dev/v1alpha1",
            "kind": "Stack",
            "metadata": {"name": self.stack},
            "spec": {},
        });
        // Globals are applied to each function (as SAM does), so the Stack needs no defaults.
        let _ = globals;
        let _ = &mut stack;
        self.out.files.insert("stack.yaml".into(), yaml(&[stack]));
        for (file, documents) in std::mem::take(&mut self.documents) {
            self.out.files.insert(file.to_string(), yaml(&documents));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logical_ids_become_spec_names() {
        assert_eq!(spec_name("CreateOrderFunction"), "create-order-function");
        assert_eq!(spec_name("OrdersAPIHandler"), "orders-api-handler");
        assert_eq!(spec_name("Queue2"), "queue2");
        assert_eq!(spec_name("DLQ"), "dlq");
    }
}
