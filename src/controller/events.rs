//! Drift from AWS's own events: CloudTrail's record of every write call, delivered by EventBridge
//! to an SQS queue the controller long-polls (`events.queue` in its configuration).
//!
//! With a CloudTrail trail recording management events, AWS puts an event on the account's
//! default bus for every write API call (read-only calls only for rules that ask for them).
//! `deploy/events/cloudtrail-events.yaml` adds the rule that sends those of the services slsctl
//! manages to the queue. A message body is the EventBridge event itself:
//!
//! ```json
//! {"version": "0", "id": "…", "detail-type": "AWS API Call via CloudTrail",
//!  "source": "aws.lambda", "account": "123456789012", "time": "…", "region": "us-east-1",
//!  "resources": [],
//!  "detail": {"eventVersion": "1.08", "eventSource": "lambda.amazonaws.com",
//!             "eventName": "UpdateFunctionConfiguration20150331v2", "awsRegion": "us-east-1",
//!             "userIdentity": {"type": "AssumedRole",
//!                              "arn": "arn:aws:sts::123456789012:assumed-role/ops/alice",
//!                              "sessionContext": {"sessionIssuer": {"type": "Role",
//!                                  "arn": "arn:aws:iam::123456789012:role/ops"}}},
//!             "requestParameters": {"functionName": "orders-create-order", "memorySize": 256},
//!             "responseElements": {"functionArn": "arn:aws:lambda:…:function:orders-create-order"},
//!             "eventType": "AwsApiCall"}}
//! ```
//!
//! Each event is matched to the resources it touched, by name or ARN from `requestParameters`
//! and `responseElements` (per service: [`keys_of_call`]), against the resources each stack held
//! at its last reconcile ([`Owned`]); the stacks it touches are queued at once (reason `event`).
//! Dropped, and deleted from the queue: events the controller's own identity caused (its own
//! applies), failed calls (they changed nothing), events for resources no stack owns, and
//! malformed or oversized messages (logged). A message is deleted only after the stacks it names
//! are queued; if queueing fails it comes back after the queue's visibility timeout.
//!
//! Nothing here is fatal: a queue that cannot be read is retried with backoff, and the
//! controller's polls and resyncs go on whatever happens to the events.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use super::schedule::Reason;
use super::Controller;
use crate::aws::{AwsError, ErrorKind};
use crate::kinds::EventKey;
use crate::model::Kind;

/// The `detail-type` of every event CloudTrail delivers to EventBridge.
pub const DETAIL_TYPE: &str = "AWS API Call via CloudTrail";
/// ReceiveMessage's long poll: SQS's longest, so an idle queue costs 3 calls a minute.
pub const WAIT_SECONDS: i32 = 20;
/// ReceiveMessage's most messages at once.
pub const MAX_MESSAGES: i32 = 10;
/// EventBridge events are at most 256 KB; a larger message is not one of them.
pub const MAX_EVENT_BYTES: usize = 256 * 1024;
/// How deep ARNs are looked for in an event's parameters and response.
const MAX_DEPTH: usize = 8;
/// The services whose events can name a stack's resources (`detail.eventSource`): the rule in
/// `deploy/events/` selects exactly these.
pub const EVENT_SOURCES: [&str; 9] = [
    "lambda.amazonaws.com",
    "sqs.amazonaws.com",
    "dynamodb.amazonaws.com",
    "events.amazonaws.com",
    "apigateway.amazonaws.com",
    "iam.amazonaws.com",
    "logs.amazonaws.com",
    "monitoring.amazonaws.com",
    "application-autoscaling.amazonaws.com",
];
/// Calls that move data, not resources: an application publishing to its bus, writing to its
/// table or its logs, a function's runtime creating its log streams — nothing a spec describes
/// changes. The rule leaves them out too; should one arrive (a trail logging data events), it
/// queues nothing. (Left in, a busy function would queue its stack at every cold start.)
pub const DATA_CALLS: [&str; 16] = [
    "PutEvents",
    "PutMetricData",
    "SendMessage",
    "SendMessageBatch",
    "ReceiveMessage",
    "DeleteMessage",
    "DeleteMessageBatch",
    "ChangeMessageVisibility",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "BatchWriteItem",
    "TransactWriteItems",
    "CreateLogStream",
    "PutLogEvents",
    "Invoke",
];

/// `events:` in the controller's configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventsConfig {
    /// The queue's URL, or its name (then looked up once with GetQueueUrl).
    pub queue: String,
}

/// Who the controller is, from STS: its own calls come back as events and are ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Principal {
    /// GetCallerIdentity's ARN: `arn:aws:sts::A:assumed-role/ROLE/SESSION` for a role (an ECS
    /// task role), `arn:aws:iam::A:user/NAME` for a user.
    arn: String,
    /// For a role: its account and name, which is all an assumed-role ARN says of it (no path).
    role: Option<(String, String)>,
}

impl Principal {
    pub fn from_caller_arn(arn: &str) -> Principal {
        Principal {
            arn: arn.to_string(),
            role: assumed_role(arn),
        }
    }

    /// Whether the event's `detail.userIdentity` is this principal: the same ARN, or a session
    /// of the same role (the session issuer's ARN, `arn:aws:iam::A:role/PATH/NAME`, names the
    /// role with its path; STS's ARN without it, so account and name are compared).
    pub fn made(&self, identity: &Value) -> bool {
        let arn = identity.get("arn").and_then(Value::as_str).unwrap_or("");
        if !self.arn.is_empty() && arn == self.arn {
            return true;
        }
        let Some(me) = &self.role else {
            return false;
        };
        let issuer = identity
            .pointer("/sessionContext/sessionIssuer/arn")
            .and_then(Value::as_str)
            .and_then(role_of_iam_arn);
        issuer.as_ref() == Some(me) || assumed_role(arn).as_ref() == Some(me)
    }
}

/// `arn:P:sts::A:assumed-role/ROLE/SESSION` → (A, ROLE).
fn assumed_role(arn: &str) -> Option<(String, String)> {
    let (account, resource) = account_and_resource(arn, "sts")?;
    let role = resource.strip_prefix("assumed-role/")?.split('/').next()?;
    (!role.is_empty()).then(|| (account.to_string(), role.to_string()))
}

/// `arn:P:iam::A:role/PATH/NAME` → (A, NAME).
fn role_of_iam_arn(arn: &str) -> Option<(String, String)> {
    let (account, resource) = account_and_resource(arn, "iam")?;
    let name = resource.strip_prefix("role/")?.rsplit('/').next()?;
    (!name.is_empty()).then(|| (account.to_string(), name.to_string()))
}

/// `arn:P:SERVICE:R:A:RESOURCE` → (A, RESOURCE), for an ARN of `service` only.
fn account_and_resource<'a>(arn: &'a str, service: &str) -> Option<(&'a str, &'a str)> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    (parts.len() == 6 && parts[0] == "arn" && parts[2] == service).then(|| (parts[4], parts[5]))
}

/// `service:type:name`, the one spelling of a resource both sides are reduced to.
fn key(kind: &str, name: &str) -> String {
    format!("{kind}:{name}")
}

/// The keys of a resource a stack holds: its name by kind, and its ARN.
pub fn keys_of_resource(kind: Kind, physical_name: &str, arn: &str) -> Vec<String> {
    let mut keys = Vec::new();
    match crate::kinds::of(kind).and_then(|k| k.event_key()) {
        Some(EventKey::Name(kind)) if !physical_name.is_empty() => {
            keys.push(key(kind, physical_name))
        }
        // Observed as its `arn` when AWS names the resource by an id of its own.
        Some(EventKey::Id(kind)) if !arn.is_empty() && !arn.starts_with("arn:") => {
            keys.push(key(kind, arn))
        }
        _ => {}
    }
    keys.extend(key_of_arn(arn));
    keys
}

/// The key of a resource ARN of a managed service; None for anything else.
pub fn key_of_arn(arn: &str) -> Option<String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" {
        return None;
    }
    let resource = parts[5];
    let (kind, name) = match parts[2] {
        "lambda" => {
            let (kind, rest) = resource.split_once(':')?;
            let name = rest.split(':').next()?;
            match kind {
                "function" => ("lambda:function", name),
                "layer" => ("lambda:layer", name),
                _ => return None,
            }
        }
        "sqs" => ("sqs:queue", resource),
        "dynamodb" => (
            "dynamodb:table",
            resource.strip_prefix("table/")?.split('/').next()?,
        ),
        "events" => match resource.split_once('/')? {
            ("event-bus", name) => ("events:event-bus", name),
            // `rule/NAME` on the default bus, `rule/BUS/NAME` on another.
            ("rule", path) => ("events:rule", path.rsplit('/').next()?),
            _ => return None,
        },
        "iam" => (
            "iam:role",
            resource.strip_prefix("role/")?.rsplit('/').next()?,
        ),
        "logs" => (
            "logs:log-group",
            resource
                .strip_prefix("log-group:")?
                .trim_end_matches(":*")
                .split(':')
                .next()?,
        ),
        "cloudwatch" => match resource.split_once([':', '/'])? {
            ("alarm", name) => ("cloudwatch:alarm", name),
            ("dashboard", name) => ("cloudwatch:dashboard", name),
            _ => return None,
        },
        "apigateway" => (
            "apigateway:restapi",
            resource.strip_prefix("/restapis/")?.split('/').next()?,
        ),
        _ => return None,
    };
    (!name.is_empty()).then(|| key(kind, name))
}

/// A function named as Lambda's API accepts it: `NAME`, `NAME:QUALIFIER`,
/// `ACCOUNT:function:NAME` or the (qualified) ARN.
fn function_key(value: &str) -> Option<String> {
    if value.starts_with("arn:") {
        return key_of_arn(value);
    }
    let name = value
        .split_once(":function:")
        .map_or(value, |(_, name)| name);
    let name = name.split(':').next()?;
    (!name.is_empty()).then(|| key("lambda:function", name))
}

/// The strings under `field` in `values` (a string, or a list of them).
fn strings<'a>(values: &[&'a Value], field: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    for value in values {
        match value.get(field) {
            Some(Value::String(s)) => out.push(s.as_str()),
            Some(Value::Array(list)) => out.extend(list.iter().filter_map(Value::as_str)),
            _ => {}
        }
    }
    out
}

/// Every ARN in `value`, to `MAX_DEPTH` levels.
fn arns<'a>(value: &'a Value, depth: usize, out: &mut Vec<&'a str>) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::String(s) if s.starts_with("arn:") => out.push(s),
        Value::Array(list) => list.iter().for_each(|v| arns(v, depth + 1, out)),
        Value::Object(map) => map.values().for_each(|v| arns(v, depth + 1, out)),
        _ => {}
    }
}

/// The resources an API call touched, from its request parameters and response elements: the
/// fields each service names its resources by, and every ARN either holds.
pub fn keys_of_call(
    event_source: &str,
    event_name: &str,
    request: &Value,
    response: &Value,
) -> BTreeSet<String> {
    let both = [request, response];
    let mut keys = BTreeSet::new();
    let mut named = |kind: &str, fields: &[&str]| {
        for field in fields {
            for name in strings(&both, field) {
                if name.starts_with("arn:") {
                    keys.extend(key_of_arn(name));
                } else if !name.is_empty() {
                    keys.insert(key(kind, name));
                }
            }
        }
    };
    match event_source {
        "lambda.amazonaws.com" => {
            named("lambda:layer", &["layerName"]);
        }
        "sqs.amazonaws.com" => named("sqs:queue", &["queueName"]),
        "dynamodb.amazonaws.com" => named("dynamodb:table", &["tableName"]),
        "events.amazonaws.com" => {
            named("events:rule", &["rule"]);
            named("events:event-bus", &["eventBusName"]);
            // `name` is a bus's for the bus calls, a rule's for the rule calls.
            if event_name.contains("EventBus") {
                named("events:event-bus", &["name"]);
            } else if event_name.contains("Rule") {
                named("events:rule", &["name"]);
            }
        }
        "apigateway.amazonaws.com" => named("apigateway:restapi", &["restApiId"]),
        "iam.amazonaws.com" => named("iam:role", &["roleName"]),
        "logs.amazonaws.com" => {
            named("logs:log-group", &["logGroupName", "logGroupIdentifier"]);
            named("logs:metric-filter", &["filterName"]);
        }
        "monitoring.amazonaws.com" => {
            named("cloudwatch:alarm", &["alarmName", "alarmNames"]);
            named("cloudwatch:dashboard", &["dashboardName", "dashboardNames"]);
        }
        _ => {}
    }
    // Names whose spelling needs more than a field: a function by name, partial or full ARN,
    // qualified or not; a queue by URL; a function's scalable target by resource id.
    match event_source {
        "lambda.amazonaws.com" => {
            for name in strings(&both, "functionName") {
                keys.extend(function_key(name));
            }
        }
        "sqs.amazonaws.com" => {
            for url in strings(&both, "queueUrl") {
                if let Some(name) = url.trim_end_matches('/').rsplit('/').next() {
                    if !name.is_empty() {
                        keys.insert(key("sqs:queue", name));
                    }
                }
            }
        }
        "application-autoscaling.amazonaws.com" => {
            // `function:NAME:ALIAS` for provisioned concurrency.
            for id in strings(&both, "resourceId") {
                if let Some(rest) = id.strip_prefix("function:") {
                    keys.extend(function_key(rest));
                }
            }
        }
        _ => {}
    }
    let mut found = Vec::new();
    arns(request, 0, &mut found);
    arns(response, 0, &mut found);
    keys.extend(found.into_iter().filter_map(key_of_arn));
    keys
}

/// An API call as an event tells it.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiCall {
    pub event_source: String,
    pub event_name: String,
    /// The call failed (`detail.errorCode`): it changed nothing.
    pub failed: bool,
    /// A read (`detail.readOnly`) or a data-plane call ([`DATA_CALLS`]): no resource changed.
    pub no_change: bool,
    /// `detail.userIdentity`.
    pub identity: Value,
    pub keys: BTreeSet<String>,
}

/// What a message is.
#[derive(Clone, Debug, PartialEq)]
pub enum Message {
    Call(ApiCall),
    /// Another kind of event (its `detail-type`): the rule sends only API calls, so this one came
    /// some other way.
    Other(String),
}

/// Read one message body; Err says why it is not an EventBridge event.
pub fn parse(body: &str) -> Result<Message, String> {
    if body.len() > MAX_EVENT_BYTES {
        return Err(format!(
            "{} bytes, more than an EventBridge event can be ({MAX_EVENT_BYTES})",
            body.len()
        ));
    }
    let event: Value = serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
    let detail_type = event
        .get("detail-type")
        .and_then(Value::as_str)
        .ok_or("no `detail-type`: not an EventBridge event")?;
    if detail_type != DETAIL_TYPE {
        return Ok(Message::Other(detail_type.to_string()));
    }
    let detail = event
        .get("detail")
        .filter(|d| d.is_object())
        .ok_or("no `detail` object")?;
    let text = |field: &str| detail.get(field).and_then(Value::as_str).unwrap_or("");
    let event_source = text("eventSource");
    if event_source.is_empty() {
        return Err("no `detail.eventSource`".into());
    }
    let null = Value::Null;
    let request = detail.get("requestParameters").unwrap_or(&null);
    let response = detail.get("responseElements").unwrap_or(&null);
    Ok(Message::Call(ApiCall {
        event_source: event_source.to_string(),
        event_name: text("eventName").to_string(),
        failed: detail.get("errorCode").is_some_and(|c| !c.is_null()),
        no_change: detail.get("readOnly") == Some(&Value::Bool(true))
            || DATA_CALLS.contains(&text("eventName")),
        identity: detail.get("userIdentity").cloned().unwrap_or(Value::Null),
        keys: keys_of_call(event_source, text("eventName"), request, response),
    }))
}

/// Which stacks hold which resources: the spec's resources by physical name, indexed from each
/// new revision a poll sees (no AWS call, so a replica that does not reconcile the stack can
/// match its events too), and at each reconcile also what AWS holds tagged as the stack's, by
/// name and ARN (a REST API's id is known only from there).
#[derive(Default)]
pub struct Owned(Mutex<OwnedInner>);

#[derive(Default)]
struct OwnedInner {
    /// Each key, with the stacks holding it (nearly always one). One copy of each key and one
    /// shared name per stack: a fleet of a thousand resources has a few thousand keys, held
    /// for the controller's lifetime.
    stacks_of: HashMap<Box<str>, Vec<Arc<str>>>,
    /// The revision each stack's keys were taken from.
    revision_of: HashMap<String, String>,
}

impl Owned {
    /// The revision `stack`'s keys were last taken from.
    pub fn revision(&self, stack: &str) -> Option<String> {
        let inner = self.0.lock().unwrap_or_else(|e| e.into_inner());
        inner.revision_of.get(stack).cloned()
    }

    /// `stack` at `revision` holds exactly `keys` (None: the revision could not be read, and
    /// what was known before stands).
    pub fn record(&self, stack: &str, revision: &str, keys: Option<BTreeSet<String>>) {
        let mut inner = self.0.lock().unwrap_or_else(|e| e.into_inner());
        inner
            .revision_of
            .insert(stack.to_string(), revision.to_string());
        drop(inner);
        if let Some(keys) = keys {
            self.replace(stack, keys);
        }
    }

    /// `stack` now holds exactly `keys`.
    pub fn replace(&self, stack: &str, keys: BTreeSet<String>) {
        let mut inner = self.0.lock().unwrap_or_else(|e| e.into_inner());
        // A walk over every key, once a reconcile: cheaper in memory than a second index by
        // stack, and a few thousand string comparisons.
        inner.stacks_of.retain(|_, stacks| {
            stacks.retain(|held_by| &**held_by != stack);
            !stacks.is_empty()
        });
        let name: Arc<str> = Arc::from(stack);
        for key in keys {
            let stacks = inner.stacks_of.entry(key.into_boxed_str()).or_default();
            stacks.push(name.clone());
            stacks.shrink_to_fit();
        }
        inner.stacks_of.shrink_to_fit();
    }

    /// The stacks holding any of `keys`.
    pub fn stacks(&self, keys: &BTreeSet<String>) -> BTreeSet<String> {
        let inner = self.0.lock().unwrap_or_else(|e| e.into_inner());
        keys.iter()
            .filter_map(|k| inner.stacks_of.get(k.as_str()))
            .flatten()
            .map(|stack| stack.to_string())
            .collect()
    }
}

/// What became of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// These stacks are queued.
    Queue(BTreeSet<String>),
    /// The controller's own call.
    Own,
    /// A failed call: nothing changed.
    Failed,
    /// No stack holds what it touched.
    Unowned,
    /// Not a change to a resource: another kind of event, a read or a data-plane call.
    Other,
    /// Not an EventBridge event (why).
    Malformed(String),
}

impl Verdict {
    /// The `outcome` label of `slsctl_events_total`.
    pub fn outcome(&self) -> &'static str {
        match self {
            Verdict::Queue(_) => "queued",
            Verdict::Own => "own",
            Verdict::Failed => "failed_call",
            Verdict::Unowned => "unowned",
            Verdict::Other => "other",
            Verdict::Malformed(_) => "malformed",
        }
    }
}

/// Decide what to do with one message body.
pub fn judge(body: &str, me: &Principal, owned: &Owned) -> Verdict {
    let call = match parse(body) {
        Ok(Message::Call(call)) => call,
        Ok(Message::Other(_)) => return Verdict::Other,
        Err(why) => return Verdict::Malformed(why),
    };
    if me.made(&call.identity) {
        return Verdict::Own;
    }
    if call.failed {
        return Verdict::Failed;
    }
    if call.no_change {
        return Verdict::Other;
    }
    let stacks = owned.stacks(&call.keys);
    if stacks.is_empty() {
        Verdict::Unowned
    } else {
        Verdict::Queue(stacks)
    }
}

/// Messages handled, by outcome (`slsctl_events_total`).
#[derive(Default)]
pub struct EventCounts(Mutex<BTreeMap<&'static str, u64>>);

impl EventCounts {
    fn add(&self, outcome: &'static str) {
        *self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(outcome)
            .or_default() += 1;
    }

    pub fn snapshot(&self) -> BTreeMap<&'static str, u64> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// The queue's URL and who the controller is.
async fn setup(
    controller: &Controller,
    config: &EventsConfig,
) -> Result<(String, Principal), AwsError> {
    let url = if config.queue.starts_with("https://") || config.queue.starts_with("http://") {
        config.queue.clone()
    } else {
        crate::kinds::queue::aws::get_queue_url(&controller.clients, &config.queue)
            .await?
            .ok_or_else(|| {
                AwsError::new(
                    "GetQueueUrl",
                    ErrorKind::NotFound,
                    format!("no queue named `{}` (events.queue)", config.queue),
                )
            })?
    };
    let identity = controller
        .clients
        .sts
        .get_caller_identity()
        .send()
        .await
        .map_err(crate::aws::error::classify)?;
    Ok((
        url,
        Principal::from_caller_arn(identity.arn().unwrap_or("")),
    ))
}

/// Long-poll the queue for good (the controller aborts it at shutdown).
pub(super) async fn listen(controller: &Controller, config: &EventsConfig) {
    let mut delay = Duration::from_secs(1);
    let (url, me) = loop {
        match setup(controller, config).await {
            Ok(found) => break found,
            Err(error) => {
                tracing::warn!(%error, retry_seconds = delay.as_secs(), "cannot start reading CloudTrail events; polling goes on");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(60));
            }
        }
    };
    tracing::info!(queue = %url, "reading CloudTrail events");
    let mut delay = Duration::from_secs(1);
    loop {
        let received = controller
            .clients
            .sqs
            .receive_message()
            .queue_url(&url)
            .wait_time_seconds(WAIT_SECONDS)
            .max_number_of_messages(MAX_MESSAGES)
            .send()
            .await;
        let messages = match received {
            Ok(out) => {
                delay = Duration::from_secs(1);
                out.messages.unwrap_or_default()
            }
            Err(error) => {
                let error = crate::aws::error::classify(error);
                tracing::warn!(%error, retry_seconds = delay.as_secs(), "cannot read the event queue");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(60));
                continue;
            }
        };
        if !messages.is_empty() {
            handle(controller, &url, &me, messages).await;
        }
    }
}

/// Judge a batch, queue the stacks it names, then delete what is done with.
async fn handle(
    controller: &Controller,
    url: &str,
    me: &Principal,
    messages: Vec<aws_sdk_sqs::types::Message>,
) {
    let mut stacks = BTreeSet::new();
    let mut judged = Vec::with_capacity(messages.len());
    for message in &messages {
        let verdict = judge(message.body().unwrap_or(""), me, &controller.owned);
        let id = message.message_id().unwrap_or("");
        match &verdict {
            Verdict::Queue(names) => {
                stacks.extend(names.iter().cloned());
                tracing::info!(message = id, stacks = %names.iter().cloned().collect::<Vec<_>>().join(", "), "an event touched owned resources");
            }
            // Never the body: an event's parameters may hold what the spec marks sensitive.
            Verdict::Malformed(why) => {
                tracing::warn!(message = id, reason = %why, "a malformed event was deleted")
            }
            other => tracing::debug!(message = id, outcome = other.outcome(), "event dropped"),
        }
        judged.push(verdict);
    }
    let queued = stacks.is_empty()
        || {
            let stacks: Vec<String> = stacks.into_iter().collect();
            match controller.request_because(&stacks, Reason::Event).await {
                Ok(()) => true,
                Err(error) => {
                    tracing::warn!(%error, "cannot queue the stacks events named; their messages come back later");
                    false
                }
            }
        };
    let mut entries = Vec::new();
    for (index, (message, verdict)) in messages.iter().zip(&judged).enumerate() {
        if matches!(verdict, Verdict::Queue(_)) && !queued {
            continue;
        }
        controller.event_counts.add(verdict.outcome());
        let Some(receipt) = message.receipt_handle() else {
            continue;
        };
        // Ids are the batch's own: unique within it, as SQS asks.
        if let Ok(entry) = aws_sdk_sqs::types::DeleteMessageBatchRequestEntry::builder()
            .id(index.to_string())
            .receipt_handle(receipt)
            .build()
        {
            entries.push(entry);
        }
    }
    if entries.is_empty() {
        return;
    }
    let deleted = controller
        .clients
        .sqs
        .delete_message_batch()
        .queue_url(url)
        .set_entries(Some(entries))
        .send()
        .await;
    match deleted {
        Ok(out) if out.failed().is_empty() => {}
        Ok(out) => tracing::warn!(
            failed = out.failed().len(),
            "some handled events could not be deleted; they come back and are handled again"
        ),
        Err(error) => tracing::warn!(
            error = %crate::aws::error::classify(error),
            "cannot delete handled events; they come back and are handled again"
        ),
    }
}

#[cfg(test)]
mod tests;
