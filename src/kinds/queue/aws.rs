//! SQS: observe queues and change them. SQS speaks in string attributes; they are parsed into
//! typed, canonical props here (numbers as numbers, JSON policies as structures).

use std::collections::{BTreeMap, HashMap};

use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::{json, Value};

use crate::aws::error::{AwsError, Classified};
use crate::aws::Clients;
use crate::kinds::context::{apply_tags, insert_tag_props, tag_map, TagChange};
use crate::plan::{FieldValue, Props, SetProp};

/// A queue as read from GetQueueAttributes and ListQueueTags.
#[derive(Clone, Debug)]
pub struct LiveQueue {
    pub url: String,
    pub arn: String,
    pub props: Props,
    pub messages: u64,
    /// The dead-letter target of this queue, if any (for "who points at whom").
    pub dead_letter_arn: Option<String>,
}

pub async fn get_queue_url(clients: &Clients, name: &str) -> Result<Option<String>, AwsError> {
    Ok(clients
        .sqs
        .get_queue_url()
        .queue_name(name)
        .send()
        .await
        .found()?
        .and_then(|output| output.queue_url().map(str::to_string)))
}

pub async fn get_queue(
    clients: &Clients,
    url: &str,
    tags: Option<BTreeMap<String, String>>,
) -> Result<Option<LiveQueue>, AwsError> {
    let Some(output) = clients
        .sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .found()?
    else {
        return Ok(None);
    };
    let attributes: BTreeMap<String, String> = output
        .attributes()
        .map(|a| {
            a.iter()
                .map(|(k, v)| (k.as_str().to_string(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    let tags = match tags {
        Some(tags) => tags,
        None => list_tags(clients, url).await?,
    };
    Ok(Some(queue_from_attributes(url, &attributes, &tags)))
}

pub async fn list_tags(clients: &Clients, url: &str) -> Result<BTreeMap<String, String>, AwsError> {
    let output = clients
        .sqs
        .list_queue_tags()
        .queue_url(url)
        .send()
        .await
        .classified()?;
    Ok(tag_map(output.tags()))
}

fn number(attributes: &BTreeMap<String, String>, name: &str, default: i64) -> FieldValue {
    FieldValue::known(
        attributes
            .get(name)
            .and_then(|v| v.trim().parse::<i64>().ok())
            .unwrap_or(default),
    )
}

fn flag(attributes: &BTreeMap<String, String>, name: &str) -> bool {
    attributes
        .get(name)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// Normalise SQS's string attributes into props, as `plan::desired` writes them.
pub fn queue_from_attributes(
    url: &str,
    a: &BTreeMap<String, String>,
    tags: &BTreeMap<String, String>,
) -> LiveQueue {
    let mut props = Props::new();
    let fifo = flag(a, "FifoQueue");
    props.set("fifo", fifo);
    // The numeric attributes: prop, SQS attribute, SQS's default.
    for (prop, attribute, default) in [
        ("visibilityTimeout", "VisibilityTimeout", 30),
        ("messageRetentionPeriod", "MessageRetentionPeriod", 345_600),
        ("delaySeconds", "DelaySeconds", 0),
        ("maximumMessageSize", "MaximumMessageSize", 262_144),
        ("receiveMessageWaitTime", "ReceiveMessageWaitTimeSeconds", 0),
    ] {
        props.insert(prop.into(), number(a, attribute, default));
    }
    if fifo {
        props.set(
            "contentBasedDeduplication",
            flag(a, "ContentBasedDeduplication"),
        );
        for (prop, attribute, default) in [
            ("deduplicationScope", "DeduplicationScope", "queue"),
            ("fifoThroughputLimit", "FifoThroughputLimit", "perQueue"),
        ] {
            let value = a.get(attribute).map_or(default, String::as_str);
            props.set(prop, value);
        }
    }
    let kms = a.get("KmsMasterKeyId").filter(|k| !k.is_empty());
    props.set(
        "sqsManagedSse",
        kms.is_none() && flag(a, "SqsManagedSseEnabled"),
    );
    if let Some(key) = kms {
        props.set("kmsMasterKeyId", key.clone());
        props.insert(
            "kmsDataKeyReusePeriod".into(),
            number(a, "KmsDataKeyReusePeriodSeconds", 300),
        );
    }
    let mut dead_letter_arn = None;
    // RedrivePolicy is a JSON string; maxReceiveCount comes back as a number or a string.
    if let Some(policy) = a
        .get("RedrivePolicy")
        .and_then(|p| serde_json::from_str::<Value>(p).ok())
    {
        if let Some(target) = policy.get("deadLetterTargetArn").and_then(Value::as_str) {
            dead_letter_arn = Some(target.to_string());
            props.set("deadLetter.queue", target);
            let count = match policy.get("maxReceiveCount") {
                Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
                Some(Value::String(s)) => s.parse().unwrap_or(0),
                _ => 0,
            };
            props.set("deadLetter.maxReceiveCount", count);
        }
    }
    if let Some(policy) = a
        .get("RedriveAllowPolicy")
        .and_then(|p| serde_json::from_str::<Value>(p).ok())
    {
        // `allowAll` is SQS's default: the same as no policy.
        if policy.get("redrivePermission").and_then(Value::as_str) == Some("byQueue") {
            let mut sources: Vec<String> = policy
                .get("sourceQueueArns")
                .and_then(Value::as_array)
                .map(|v| {
                    v.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            sources.sort();
            props.set("redriveAllow.sourceQueueArns", json!(sources));
        }
    }
    for statement in owned_statements(a.get("Policy").map(String::as_str)) {
        let sid = statement["Sid"].as_str().unwrap_or_default().to_string();
        props.set(format!("permissions[{sid}]"), statement);
    }
    insert_tag_props(&mut props, tags);
    let messages = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    .iter()
    .filter_map(|k| a.get(*k).and_then(|v| v.parse::<u64>().ok()))
    .sum();
    LiveQueue {
        url: url.to_string(),
        arn: a.get("QueueArn").cloned().unwrap_or_default(),
        props,
        messages,
        dead_letter_arn,
    }
}

/// SQS attributes for the desired props; `None` values reset an attribute to SQS's default.
pub fn attributes_from_props(props: &Props) -> HashMap<QueueAttributeName, String> {
    let text = |field: &str| match props.get(field) {
        Some(FieldValue::Known(Value::String(s))) => Some(s.clone()),
        Some(FieldValue::Known(Value::Bool(b))) => Some(b.to_string()),
        Some(FieldValue::Known(Value::Number(n))) => Some(n.to_string()),
        _ => None,
    };
    let mut out = HashMap::new();
    for (field, attribute) in [
        ("visibilityTimeout", "VisibilityTimeout"),
        ("messageRetentionPeriod", "MessageRetentionPeriod"),
        ("delaySeconds", "DelaySeconds"),
        ("maximumMessageSize", "MaximumMessageSize"),
        ("receiveMessageWaitTime", "ReceiveMessageWaitTimeSeconds"),
        ("contentBasedDeduplication", "ContentBasedDeduplication"),
        ("deduplicationScope", "DeduplicationScope"),
        ("fifoThroughputLimit", "FifoThroughputLimit"),
        ("sqsManagedSse", "SqsManagedSseEnabled"),
        ("kmsMasterKeyId", "KmsMasterKeyId"),
        ("kmsDataKeyReusePeriod", "KmsDataKeyReusePeriodSeconds"),
    ] {
        if let Some(value) = text(field) {
            out.insert(QueueAttributeName::from(attribute), value);
        }
    }
    if let (Some(target), Some(count)) =
        (text("deadLetter.queue"), text("deadLetter.maxReceiveCount"))
    {
        out.insert(
            QueueAttributeName::RedrivePolicy,
            json!({"deadLetterTargetArn": target, "maxReceiveCount": count.parse::<i64>().unwrap_or(1)}).to_string(),
        );
    } else {
        // An empty policy removes the redrive.
        out.insert(QueueAttributeName::RedrivePolicy, String::new());
    }
    match props.get("redriveAllow.sourceQueueArns") {
        Some(FieldValue::Known(sources)) => {
            out.insert(
                QueueAttributeName::RedriveAllowPolicy,
                json!({"redrivePermission": "byQueue", "sourceQueueArns": sources}).to_string(),
            );
        }
        _ => {
            out.insert(
                QueueAttributeName::RedriveAllowPolicy,
                json!({"redrivePermission": "allowAll"}).to_string(),
            );
        }
    }
    out
}

/// How long a deleted queue's name stays unusable, with a margin.
const QUEUE_NAME_COOLDOWN: std::time::Duration = std::time::Duration::from_secs(75);

pub async fn create_queue(
    clients: &Clients,
    name: &str,
    fifo: bool,
    mut attributes: HashMap<QueueAttributeName, String>,
    tags: HashMap<String, String>,
) -> Result<String, AwsError> {
    // A new queue has no redrive to remove; SQS rejects the empty reset value at creation.
    if attributes
        .get(&QueueAttributeName::RedrivePolicy)
        .is_some_and(String::is_empty)
    {
        attributes.remove(&QueueAttributeName::RedrivePolicy);
    }
    if fifo {
        attributes.insert(QueueAttributeName::FifoQueue, "true".into());
    }
    // SQS keeps a deleted queue's name for 60 s (`QueueDeletedRecently`): a queue removed and
    // added back, or replaced, waits that out instead of failing.
    let output = crate::aws::wait_out(
        clients,
        QUEUE_NAME_COOLDOWN,
        |e| {
            e.code
                .as_deref()
                .is_some_and(|c| c.ends_with("QueueDeletedRecently"))
                .then(|| format!("the name {name} is in SQS's 60 s cooldown after a deletion"))
        },
        || async {
            clients
                .sqs
                .create_queue()
                .queue_name(name)
                .set_attributes(Some(attributes.clone()))
                .set_tags(Some(tags.clone()))
                .send()
                .await
                .classified()
        },
    )
    .await?;
    Ok(output.queue_url().unwrap_or_default().to_string())
}

pub async fn set_attributes(
    clients: &Clients,
    url: &str,
    attributes: HashMap<QueueAttributeName, String>,
) -> Result<(), AwsError> {
    clients
        .sqs
        .set_queue_attributes()
        .queue_url(url)
        .set_attributes(Some(attributes))
        .send()
        .await
        .done()
}

/// Tag changes (see [`TagChange::apply`]).
pub async fn tag(clients: &Clients, resource: &str, change: TagChange) -> Result<(), AwsError> {
    apply_tags!(
        change,
        clients.sqs,
        tag_queue / untag_queue,
        queue_url(resource)
    )
}

pub async fn delete_queue(clients: &Clients, url: &str) -> Result<(), AwsError> {
    clients
        .sqs
        .delete_queue()
        .queue_url(url)
        .send()
        .await
        .done_or_gone()
}

/// AWS may write a one-element list as the element itself; compare them as the same.
pub fn canonical(value: Value) -> Value {
    match value {
        Value::Array(mut items) if items.len() == 1 => canonical(items.remove(0)),
        Value::Array(items) => Value::Array(items.into_iter().map(canonical).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, canonical(v))).collect())
        }
        other => other,
    }
}

fn statements(policy: Option<&str>) -> Vec<Value> {
    let parsed: Value = policy
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or(Value::Null);
    match parsed.get("Statement") {
        Some(Value::Array(items)) => items.clone(),
        Some(single @ Value::Object(_)) => vec![single.clone()],
        _ => Vec::new(),
    }
}

/// The statements of a queue policy that slsctl manages (their Sid starts with `slsctl`).
pub fn owned_statements(policy: Option<&str>) -> Vec<Value> {
    statements(policy)
        .into_iter()
        .filter(|s| {
            s.get("Sid")
                .and_then(Value::as_str)
                .is_some_and(|sid| sid.starts_with("slsctl"))
        })
        .map(canonical)
        .collect()
}

/// The policy to write: the live statements slsctl does not own, kept as they are, plus the
/// desired `permissions[*]` statements. An empty string removes the policy.
pub fn merged_policy(live: Option<&str>, desired: &Props) -> String {
    let mut all: Vec<Value> = statements(live)
        .into_iter()
        .filter(|s| {
            !s.get("Sid")
                .and_then(Value::as_str)
                .is_some_and(|sid| sid.starts_with("slsctl"))
        })
        .collect();
    all.extend(
        desired
            .iter()
            .filter(|(k, _)| k.starts_with("permissions["))
            .filter_map(|(_, v)| match v {
                FieldValue::Known(statement) => Some(statement.clone()),
                FieldValue::Unknown(_) => None,
            }),
    );
    if all.is_empty() {
        String::new()
    } else {
        json!({"Version": "2012-10-17", "Statement": all}).to_string()
    }
}

pub async fn get_policy(clients: &Clients, url: &str) -> Result<Option<String>, AwsError> {
    let output = clients
        .sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::Policy)
        .send()
        .await
        .classified()?;
    Ok(output
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::Policy))
        .cloned())
}
