//! The strict layer: AWS's documented behaviours that moto does not reproduce, answered in
//! AWS's own error shapes, statefully, inside the fault proxy (`FaultProxy::set_strict`).
//!
//! Each behaviour is from the AWS API reference (see FACTS.md, "AWS behaviours moto does not
//! reproduce"); the time windows are AWS's, scaled down by [`Strict::window`] so tests stay fast:
//! - DynamoDB: `UpdateContinuousBackups` right after `CreateTable` answers
//!   `ContinuousBackupsUnavailableException`; a deleted table stays `DELETING` (DescribeTable
//!   says so, CreateTable of the name is `ResourceInUseException`); `UpdateTimeToLive` changes a
//!   table at most once per window.
//! - CloudWatch Logs: `PutRetentionPolicy` accepts only its 22 retention periods
//!   (`InvalidParameterException`); moto stores any integer.
//! - SQS: a deleted queue's name cannot be reused for the window (`QueueDeletedRecently`).
//! - API Gateway: `UpdateStage` removing method settings that do not exist is a
//!   `BadRequestException`.
//! - Lambda: a function's first `CreateFunction` is refused as if its new role had not
//!   propagated yet; an event source mapping reports the function ARN it was created with (an
//!   alias ARN stays an alias ARN; moto reports the version behind it); resource policies are
//!   kept per function and per alias (moto keeps an alias's on the version behind it and removes
//!   from `$LATEST` whatever the qualifier), with AWS's statement-id rules and 20 KB limit; the
//!   first `CreateEventSourceMapping` of a function after its role's policy was put is refused
//!   as if the new permissions on the queue had not propagated yet.
//! - IAM: a role's inline policy over 10,240 characters is `LimitExceeded`.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::Response;
use serde_json::{json, Value};

use super::faults::response;

/// The retention periods CloudWatch Logs accepts (PutRetentionPolicy API reference).
const LOG_RETENTION_DAYS: [i64; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// One request, as the strict layer sees it.
#[derive(Clone, Copy)]
pub struct Call<'a> {
    pub service: &'a str,
    pub operation: &'a str,
    pub method: &'a str,
    /// The path with its query string.
    pub path: &'a str,
    pub body: &'a [u8],
}

/// What the strict layer remembers between requests.
#[derive(Debug)]
pub struct Strict {
    /// AWS's windows (60 s for a queue name, minutes for backups, an hour for TTL), scaled.
    pub window: Duration,
    tables_created: BTreeMap<String, Instant>,
    tables_deleted: BTreeMap<String, Instant>,
    ttl_changed: BTreeMap<String, Instant>,
    queues_deleted: BTreeMap<String, Instant>,
    /// Stages with `*/*` method settings, by (API id, stage).
    stage_settings: BTreeSet<(String, String)>,
    /// Functions whose first CreateFunction was already refused.
    roles_propagated: BTreeSet<String>,
    /// The role each function was created with, by function name.
    function_roles: BTreeMap<String, String>,
    /// The last PutRolePolicy of each role, as a number that grows with every put.
    policies_put: BTreeMap<String, u64>,
    puts: u64,
    /// (function, put) pairs whose first CreateEventSourceMapping was already refused.
    mapping_permissions_propagated: BTreeSet<(String, u64)>,
    /// The function ARN each mapping was created or last updated with, by UUID.
    mapping_functions: BTreeMap<String, String>,
    /// Lambda resource policies: statements by sid, per (function name, qualifier).
    policies: BTreeMap<(String, String), BTreeMap<String, Value>>,
    /// How many requests were answered by the strict layer, by behaviour.
    pub refused: BTreeMap<&'static str, u32>,
    /// Requests AWS's service models refuse: `service operation: what`.
    pub violations: Vec<String>,
    /// Requests checked against the models, by `service:Operation`.
    pub checked: BTreeMap<String, u32>,
}

/// AWS's service models, loaded once per test binary.
fn models() -> &'static super::models::Models {
    static MODELS: std::sync::OnceLock<super::models::Models> = std::sync::OnceLock::new();
    MODELS.get_or_init(|| super::models::Models::load(&super::project_root()))
}

impl Strict {
    pub fn new(window: Duration) -> Strict {
        Strict {
            window,
            tables_created: BTreeMap::new(),
            tables_deleted: BTreeMap::new(),
            ttl_changed: BTreeMap::new(),
            queues_deleted: BTreeMap::new(),
            stage_settings: BTreeSet::new(),
            roles_propagated: BTreeSet::new(),
            function_roles: BTreeMap::new(),
            policies_put: BTreeMap::new(),
            puts: 0,
            mapping_permissions_propagated: BTreeSet::new(),
            mapping_functions: BTreeMap::new(),
            policies: BTreeMap::new(),
            refused: BTreeMap::new(),
            violations: Vec::new(),
            checked: BTreeMap::new(),
        }
    }

    fn within(&self, since: Option<&Instant>) -> bool {
        since.is_some_and(|t| t.elapsed() < self.window)
    }

    /// Answer a request the way AWS would refuse it, or `None` to forward it.
    pub fn before(&mut self, call: &Call) -> Option<Response<Full<Bytes>>> {
        let Call {
            service,
            operation,
            method,
            path,
            body,
        } = *call;
        // A request AWS's model refuses is refused here too, in the protocol's error shape.
        let checked = models().check_request(service, Some(operation), method, path, body);
        let broken = match checked {
            Some((name, broken)) => {
                *self.checked.entry(format!("{service}:{name}")).or_default() += 1;
                broken
            }
            None => Vec::new(),
        };
        if !broken.is_empty() {
            let message = format!(
                "{} validation error(s) detected: {}",
                broken.len(),
                broken.join("; ")
            );
            self.violations
                .extend(broken.iter().map(|b| format!("{service} {operation}: {b}")));
            *self.refused.entry("model-violation").or_default() += 1;
            return Some(if matches!(service, "lambda" | "apigateway") {
                rest_error(400, "ValidationException", &message)
            } else if service == "iam" {
                query_error(400, "ValidationError", &message)
            } else {
                json_error(400, "ValidationException", message)
            });
        }
        let request: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let text = |key: &str| request.get(key).and_then(Value::as_str).unwrap_or_default();
        let (behaviour, answer) = match (service, operation) {
            ("dynamodb", "UpdateContinuousBackups")
                if self.within(self.tables_created.get(text("TableName"))) =>
            (
                "backups-unavailable",
                json_error(400, "ContinuousBackupsUnavailableException", "Backups are being enabled for the table: ".to_string() + text("TableName") + ". Please retry later"),
            ),
            ("dynamodb", "CreateTable") if self.within(self.tables_deleted.get(text("TableName"))) => (
                "table-deleting",
                json_error(400, "ResourceInUseException", format!("Table already exists: {}", text("TableName"))),
            ),
            ("dynamodb", "DescribeTable") if self.within(self.tables_deleted.get(text("TableName"))) => (
                "table-deleting",
                response(200, &[], &json!({"Table": {"TableName": text("TableName"), "TableStatus": "DELETING"}}).to_string()),
            ),
            ("dynamodb", "UpdateTimeToLive") if self.within(self.ttl_changed.get(text("TableName"))) => (
                "ttl-once-per-hour",
                json_error(400, "ValidationException", "Time to live has been modified multiple times within a fixed interval".to_string()),
            ),
            ("sqs", "CreateQueue") if self.within(self.queues_deleted.get(text("QueueName"))) => (
                "queue-deleted-recently",
                {
                    let mut r = json_error(400, "com.amazonaws.sqs#QueueDeletedRecently", "You must wait 60 seconds after deleting a queue before you can create another queue with the same name.".to_string());
                    r.headers_mut().insert("x-amzn-query-error", "AWS.SimpleQueueService.QueueDeletedRecently;Sender".parse().unwrap());
                    r
                },
            ),
            ("apigateway", _) if method == "PATCH" && stage_of(path).is_some() => {
                let key = stage_of(path)?;
                let removes_missing = request
                    .get("patchOperations")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .any(|op| op["op"] == "remove" && op["path"].as_str().is_some_and(|p| p.starts_with("/*/*")))
                    && !self.stage_settings.contains(&key);
                if !removes_missing {
                    return None;
                }
                (
                    "remove-missing-method-setting",
                    rest_error(400, "BadRequestException", "Cannot remove method setting */* because there is no method setting for this method "),
                )
            }
            ("logs", "PutRetentionPolicy")
                if !LOG_RETENTION_DAYS.contains(&request["retentionInDays"].as_i64().unwrap_or(0)) =>
            (
                "retention-not-allowed",
                json_error(400, "InvalidParameterException", format!("1 validation error detected: Value '{}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]", request["retentionInDays"])),
            ),
            ("lambda", _) if policy_path(path).is_some() => {
                return Some(self.policy(method, path, &request));
            }
            // AWS counts a role's inline policies against 10,240 characters (white space aside);
            // moto does not (FACTS.md).
            ("iam", "PutRolePolicy") => {
                let form = String::from_utf8_lossy(body);
                let field = |name: &str| {
                    form.split('&')
                        .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                        .map(form_decode)
                        .unwrap_or_default()
                };
                let size = field("PolicyDocument")
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .count();
                if size <= 10_240 {
                    self.puts += 1;
                    self.policies_put.insert(field("RoleName"), self.puts);
                    return None;
                }
                (
                    "policy-too-large",
                    query_error(409, "LimitExceeded", "Maximum policy size of 10240 bytes exceeded for role"),
                )
            }
            // Lambda checks the role's permissions on the queue when the mapping is made, and a
            // policy just put is not visible to it yet: the first mapping after each put of the
            // function's role policy is refused.
            ("lambda", "CreateEventSourceMapping") => {
                let function = last_name(text("FunctionName"));
                let put = self
                    .function_roles
                    .get(&function)
                    .and_then(|role| self.policies_put.get(role))
                    .copied()?;
                if !self.mapping_permissions_propagated.insert((function, put)) {
                    return None;
                }
                (
                    "mapping-permissions-not-propagated",
                    rest_error(400, "InvalidParameterValueException", "The provided execution role does not have permissions to call ReceiveMessage on SQS"),
                )
            }
            ("lambda", "CreateFunction") => {
                let name = text("FunctionName").to_string();
                let role = text("Role").rsplit('/').next().unwrap_or_default().to_string();
                self.function_roles.insert(name.clone(), role);
                if !self.roles_propagated.insert(name) {
                    return None;
                }
                (
                    "role-not-assumable",
                    rest_error(400, "InvalidParameterValueException", "The role defined for the function cannot be assumed by Lambda."),
                )
            }
            _ => return None,
        };
        *self.refused.entry(behaviour).or_default() += 1;
        Some(answer)
    }

    /// Record what a forwarded request did, and correct moto's answer where it differs from AWS's.
    pub fn after(&mut self, call: &Call, status: u16, answer: Bytes) -> Bytes {
        let Call {
            service,
            operation,
            method,
            path,
            body,
        } = *call;
        if !(200..300).contains(&status) {
            return answer;
        }
        let request: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let text = |key: &str| {
            request
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let now = Instant::now();
        match (service, operation) {
            ("dynamodb", "CreateTable") => {
                self.tables_created.insert(text("TableName"), now);
            }
            ("dynamodb", "DeleteTable") => {
                self.tables_deleted.insert(text("TableName"), now);
            }
            ("dynamodb", "UpdateTimeToLive") => {
                self.ttl_changed.insert(text("TableName"), now);
            }
            ("sqs", "DeleteQueue") => {
                let url = text("QueueUrl");
                self.queues_deleted
                    .insert(url.rsplit('/').next().unwrap_or_default().to_string(), now);
            }
            ("apigateway", _) if method == "PATCH" => {
                if let Some(key) = stage_of(path) {
                    for op in request
                        .get("patchOperations")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        let p = op["path"].as_str().unwrap_or_default();
                        if p.starts_with("/*/*") {
                            if op["op"] == "remove" {
                                self.stage_settings.remove(&key);
                            } else {
                                self.stage_settings.insert(key.clone());
                            }
                        }
                    }
                }
            }
            ("lambda", "DeleteFunction") => {
                let name = function_segment(path);
                self.policies.retain(|(function, _), _| *function != name);
            }
            // An alias's policy goes with the alias.
            ("lambda", _) if method == "DELETE" && path.contains("/aliases/") => {
                let alias = segments(path).last().copied().unwrap_or_default();
                self.policies
                    .remove(&(function_segment(path), alias.to_string()));
            }
            ("lambda", op) if op.contains("EventSourceMapping") => {
                return self.mapping_answer(op, &request, answer);
            }
            _ => {}
        }
        answer
    }

    /// AWS reports a mapping's FunctionArn as it was given (an alias ARN for an alias); moto
    /// reports the version the alias pointed at.
    fn mapping_answer(&mut self, operation: &str, request: &Value, answer: Bytes) -> Bytes {
        let Ok(mut value) = serde_json::from_slice::<Value>(&answer) else {
            return answer;
        };
        let mut fix = |mapping: &mut Value| {
            let uuid = mapping["UUID"].as_str().unwrap_or_default().to_string();
            let reported = mapping["FunctionArn"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if let Some(given) = request.get("FunctionName").and_then(Value::as_str) {
                if matches!(
                    operation,
                    "CreateEventSourceMapping" | "UpdateEventSourceMapping"
                ) {
                    // The ARN AWS stores: a name or `name:qualifier` is completed from the
                    // reported ARN's prefix.
                    let prefix: Vec<&str> = reported.split(':').take(6).collect();
                    let full = if given.starts_with("arn:") {
                        given.to_string()
                    } else {
                        format!("{}:{given}", prefix.join(":"))
                    };
                    self.mapping_functions.insert(uuid.clone(), full);
                }
            }
            if let Some(arn) = self.mapping_functions.get(&uuid) {
                mapping["FunctionArn"] = json!(arn);
            }
        };
        match value
            .get_mut("EventSourceMappings")
            .and_then(Value::as_array_mut)
        {
            Some(list) => list.iter_mut().for_each(&mut fix),
            None => fix(&mut value),
        }
        Bytes::from(value.to_string())
    }
}

impl Strict {
    /// AddPermission, RemovePermission and GetPolicy, answered from the layer's own policies.
    fn policy(&mut self, method: &str, path: &str, request: &Value) -> Response<Full<Bytes>> {
        let (function, sid) = policy_path(path).unwrap_or_default();
        let qualifier = path
            .split_once("Qualifier=")
            .map(|(_, q)| q.split('&').next().unwrap_or_default().to_string())
            .unwrap_or_default();
        let key = (function.clone(), qualifier);
        match method {
            "POST" => {
                let sid = request["StatementId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                if sid.is_empty()
                    || sid.len() > 100
                    || !sid
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                {
                    return rest_error(400, "ValidationException", "1 validation error detected: Value at 'statementId' failed to satisfy constraint: Member must satisfy regular expression pattern: ([a-zA-Z0-9-_.]+) and have length less than or equal to 100");
                }
                let statements = self.policies.entry(key).or_default();
                if statements.contains_key(&sid) {
                    return rest_error(409, "ResourceConflictException", &format!("The statement id ({sid}) provided already exists. Please provide a new statement id, or remove the existing statement."));
                }
                let mut statement = json!({
                    "Sid": sid,
                    "Effect": "Allow",
                    "Principal": {"Service": request["Principal"]},
                    "Action": request["Action"],
                    "Resource": format!("arn:aws:lambda:us-east-1:123456789012:function:{function}"),
                });
                if let Some(source) = request["SourceArn"].as_str() {
                    statement["Condition"] = json!({"ArnLike": {"AWS:SourceArn": source}});
                }
                statements.insert(sid, statement.clone());
                let size: usize = statements.values().map(|s| s.to_string().len()).sum();
                if size > 20 * 1024 {
                    let sid = statement["Sid"].as_str().unwrap_or_default().to_string();
                    statements.remove(&sid);
                    *self.refused.entry("policy-over-20kb").or_default() += 1;
                    return rest_error(
                        400,
                        "PolicyLengthExceededException",
                        "The final policy size (20481) is bigger than the limit (20480).",
                    );
                }
                response(
                    201,
                    &[("content-type", "application/json")],
                    &json!({"Statement": statement.to_string()}).to_string(),
                )
            }
            "DELETE" => match self.policies.get_mut(&key).and_then(|s| s.remove(&sid)) {
                Some(_) => response(204, &[], ""),
                None => rest_error(
                    404,
                    "ResourceNotFoundException",
                    "No policy is associated with the given resource.",
                ),
            },
            _ => match self.policies.get(&key).filter(|s| !s.is_empty()) {
                Some(statements) => {
                    let policy = json!({"Version": "2012-10-17", "Id": "default", "Statement": statements.values().collect::<Vec<_>>()});
                    response(
                        200,
                        &[("content-type", "application/json")],
                        &json!({"Policy": policy.to_string(), "RevisionId": "1"}).to_string(),
                    )
                }
                None => rest_error(
                    404,
                    "ResourceNotFoundException",
                    "The resource you requested does not exist.",
                ),
            },
        }
    }
}

/// `(function, statement id)` of `/2015-03-31/functions/{name}/policy[/{sid}]`.
fn policy_path(path: &str) -> Option<(String, String)> {
    match segments(path).as_slice() {
        [_, "functions", name, "policy"] => Some((last_name(name), String::new())),
        [_, "functions", name, "policy", sid] => Some((last_name(name), sid.to_string())),
        _ => None,
    }
}

/// The function of `/2015-03-31/functions/{name}…`.
fn function_segment(path: &str) -> String {
    segments(path)
        .get(2)
        .copied()
        .map(last_name)
        .unwrap_or_default()
}

/// The segments of a request path, without its query string.
fn segments(path: &str) -> Vec<&str> {
    let path = path.split('?').next().unwrap_or_default();
    path.split('/').filter(|s| !s.is_empty()).collect()
}

/// A function name from a name, a partial or a full ARN (percent-encoded colons included).
fn last_name(name: &str) -> String {
    let decoded = name.replace("%3A", ":").replace("%3a", ":");
    let parts: Vec<&str> = decoded.split(':').collect();
    match parts.iter().position(|p| *p == "function") {
        Some(i) => parts.get(i + 1).copied().unwrap_or_default().to_string(),
        None => parts[0].to_string(),
    }
}

/// `(API id, stage)` of `/restapis/{id}/stages/{stage}`.
fn stage_of(path: &str) -> Option<(String, String)> {
    match segments(path).as_slice() {
        ["restapis", id, "stages", stage] => Some((id.to_string(), stage.to_string())),
        _ => None,
    }
}

/// The JSON protocols' error shape (DynamoDB, SQS).
fn json_error(status: u16, code: &str, message: String) -> Response<Full<Bytes>> {
    response(
        status,
        &[("content-type", "application/x-amz-json-1.0")],
        &json!({"__type": code, "message": message}).to_string(),
    )
}

/// The query protocol's error shape (IAM).
fn query_error(status: u16, code: &str, message: &str) -> Response<Full<Bytes>> {
    response(
        status,
        &[("content-type", "text/xml")],
        &format!("<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>strict</RequestId></ErrorResponse>"),
    )
}

/// A form value: `+` is a space, `%XX` a byte.
fn form_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                if let Ok(byte) = u8::from_str_radix(&text[i + 1..i + 3], 16) {
                    out.push(byte);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The REST-JSON protocols' error shape (Lambda, API Gateway).
fn rest_error(status: u16, code: &str, message: &str) -> Response<Full<Bytes>> {
    response(
        status,
        &[
            ("content-type", "application/json"),
            ("x-amzn-errortype", code),
        ],
        &json!({"message": message, "Type": "User"}).to_string(),
    )
}
