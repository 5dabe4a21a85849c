//! EventBridge: reading buses (with their archives) and rules (with their targets), changing
//! rules and tagging both (changing a bus is in `kinds::event_bus::aws`).
//!
//! Archives cannot be tagged; a bus's archive carries the bus's name and belongs to it. Targets
//! are compared as one JSON value each (`targets[<id>]`), with EventBridge's default retry policy
//! (185 attempts, 24 hours) read as no policy, as the spec writes it.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_eventbridge::operation::describe_archive::DescribeArchiveOutput;
use aws_sdk_eventbridge::operation::describe_event_bus::DescribeEventBusOutput;
use aws_sdk_eventbridge::operation::describe_rule::DescribeRuleOutput;
use aws_sdk_eventbridge::types::{
    DeadLetterConfig, InputTransformer, RetryPolicy, RuleState, SqsParameters, Target,
};
use serde_json::{json, Value};

use crate::aws::error::{AwsError, Classified, ErrorKind};
use crate::aws::{all_pages, Clients};
use crate::kinds::context::{apply_tags, built, listed_tags, tag_list, TagChange};
use crate::plan::{Props, SetProp};

pub const DEFAULT_RETRY_ATTEMPTS: i64 = 185;
pub const DEFAULT_EVENT_AGE: i64 = 86_400;

/// A JSON document held as a string by AWS, parsed for structural comparison.
fn parse_json(text: Option<&str>) -> Value {
    text.and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or(Value::Null)
}

/// A bus or rule as read from AWS.
#[derive(Clone, Debug)]
pub struct LiveEvents {
    pub name: String,
    pub arn: String,
    pub props: Props,
}

/// A bus and its archive (named like the bus), or `None` when there is no such bus.
pub async fn describe_bus(clients: &Clients, name: &str) -> Result<Option<LiveEvents>, AwsError> {
    let bus = clients.events.describe_event_bus().name(name);
    let Some(bus) = bus.send().await.found()? else {
        return Ok(None);
    };
    let archive = clients.events.describe_archive().archive_name(name);
    let archive = archive.send().await.found()?;
    Ok(Some(LiveEvents {
        name: name.to_string(),
        arn: bus.arn().unwrap_or_default().to_string(),
        props: bus_props(&bus, archive.as_ref()),
    }))
}

/// A bus's props: its description, and its archive's retention and pattern when it has one.
fn bus_props(bus: &DescribeEventBusOutput, archive: Option<&DescribeArchiveOutput>) -> Props {
    let mut props = Props::new();
    props.set("description", bus.description().unwrap_or_default());
    if let Some(archive) = archive {
        props.set(
            "archive.retentionDays",
            archive.retention_days().unwrap_or(0),
        );
        props.set("archive.pattern", parse_json(archive.event_pattern()));
    }
    props
}

pub async fn list_tags(clients: &Clients, arn: &str) -> Result<BTreeMap<String, String>, AwsError> {
    let output = clients
        .events
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .classified()?;
    Ok(listed_tags(output.tags()))
}

/// The JSON value of one target, as `plan::desired` writes it.
pub fn target_value(target: &Target) -> Value {
    let mut value = json!({"arn": target.arn()});
    if let Some(path) = target.input_path() {
        value["inputPath"] = json!(path);
    }
    if let Some(transformer) = target.input_transformer() {
        let paths: BTreeMap<&String, &String> = transformer
            .input_paths_map()
            .map(|m| m.iter().collect())
            .unwrap_or_default();
        value["inputTransformer"] =
            json!({"inputPathsMap": paths, "inputTemplate": transformer.input_template()});
    }
    if let Some(group) = target.sqs_parameters().and_then(|s| s.message_group_id()) {
        value["messageGroupId"] = json!(group);
    }
    if let Some(role) = target.role_arn() {
        value["roleArn"] = json!(role);
    }
    if let Some(retry) = target.retry_policy() {
        let attempts = retry
            .maximum_retry_attempts()
            .map_or(DEFAULT_RETRY_ATTEMPTS, i64::from);
        let age = retry
            .maximum_event_age_in_seconds()
            .map_or(DEFAULT_EVENT_AGE, i64::from);
        if (attempts, age) != (DEFAULT_RETRY_ATTEMPTS, DEFAULT_EVENT_AGE) {
            value["retryPolicy"] =
                json!({"maximumRetryAttempts": attempts, "maximumEventAgeInSeconds": age});
        }
    }
    if let Some(arn) = target.dead_letter_config().and_then(|d| d.arn()) {
        value["deadLetter"] = json!(arn);
    }
    value
}

/// A rule on `bus` and its targets, or `None` when there is no such rule.
pub async fn describe_rule(
    clients: &Clients,
    name: &str,
    bus: &str,
) -> Result<Option<LiveEvents>, AwsError> {
    let rule = clients
        .events
        .describe_rule()
        .name(name)
        .event_bus_name(bus);
    let Some(rule) = rule.send().await.found()? else {
        return Ok(None);
    };
    let targets = all_pages(|token| async move {
        let page = clients
            .events
            .list_targets_by_rule()
            .rule(name)
            .event_bus_name(bus)
            .set_next_token(token)
            .send()
            .await
            .classified()?;
        Ok((
            page.targets().to_vec(),
            page.next_token().map(str::to_string),
        ))
    })
    .await?;
    Ok(Some(LiveEvents {
        name: name.to_string(),
        arn: rule.arn().unwrap_or_default().to_string(),
        props: rule_props(&rule, bus, &targets),
    }))
}

/// A rule's props: where it listens, what it matches or when it runs, and its targets.
fn rule_props(rule: &DescribeRuleOutput, bus: &str, targets: &[Target]) -> Props {
    let mut props = Props::new();
    props.set("bus", rule.event_bus_name().unwrap_or(bus));
    if let Some(pattern) = rule.event_pattern() {
        props.set("pattern", parse_json(Some(pattern)));
    }
    if let Some(schedule) = rule.schedule_expression() {
        props.set("schedule", schedule);
    }
    props.set("state", rule.state().map_or("ENABLED", |s| s.as_str()));
    props.set("description", rule.description().unwrap_or_default());
    for target in targets {
        props.set(format!("targets[{}]", target.id()), target_value(target));
    }
    props
}

/// Everything PutRule takes.
#[derive(Clone, Debug)]
pub struct RuleInput {
    pub name: String,
    pub bus: String,
    pub pattern: Option<Value>,
    pub schedule: Option<String>,
    pub enabled: bool,
    pub description: String,
    pub tags: HashMap<String, String>,
}

/// Create or update a rule (PutRule does both; tags apply on creation).
pub async fn put_rule(clients: &Clients, rule: &RuleInput) -> Result<String, AwsError> {
    let output = clients
        .events
        .put_rule()
        .name(&rule.name)
        .event_bus_name(&rule.bus)
        .set_event_pattern(rule.pattern.as_ref().map(Value::to_string))
        .set_schedule_expression(rule.schedule.clone())
        .state(if rule.enabled {
            RuleState::Enabled
        } else {
            RuleState::Disabled
        })
        .description(&rule.description)
        .set_tags(Some(tag_list(&rule.tags)?))
        .send()
        .await
        .classified()?;
    Ok(output.rule_arn().unwrap_or_default().to_string())
}

/// Build a target from its JSON value (the same shape `target_value` reads).
pub fn target_from_value(id: &str, value: &Value) -> Result<Target, AwsError> {
    let text = |k: &str| value.get(k).and_then(Value::as_str).map(str::to_string);
    let transformer = match value.get("inputTransformer") {
        Some(t) => {
            let paths: HashMap<String, String> = t
                .get("inputPathsMap")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                        .collect()
                })
                .unwrap_or_default();
            Some(built(
                InputTransformer::builder()
                    .set_input_paths_map((!paths.is_empty()).then_some(paths))
                    .input_template(
                        t.get("inputTemplate")
                            .and_then(Value::as_str)
                            .unwrap_or_default(),
                    )
                    .build(),
            )?)
        }
        None => None,
    };
    let retry = value.get("retryPolicy").map(|r| {
        RetryPolicy::builder()
            .set_maximum_retry_attempts(
                r.get("maximumRetryAttempts")
                    .and_then(Value::as_i64)
                    .map(|v| v as i32),
            )
            .set_maximum_event_age_in_seconds(
                r.get("maximumEventAgeInSeconds")
                    .and_then(Value::as_i64)
                    .map(|v| v as i32),
            )
            .build()
    });
    built(
        Target::builder()
            .id(id)
            .arn(text("arn").unwrap_or_default())
            .set_input_path(text("inputPath"))
            .set_role_arn(text("roleArn"))
            .set_input_transformer(transformer)
            .set_sqs_parameters(
                text("messageGroupId")
                    .map(|g| SqsParameters::builder().message_group_id(g).build()),
            )
            .set_retry_policy(retry)
            .set_dead_letter_config(
                text("deadLetter").map(|arn| DeadLetterConfig::builder().arn(arn).build()),
            )
            .build(),
    )
}

pub async fn put_targets(
    clients: &Clients,
    rule: &str,
    bus: &str,
    targets: Vec<Target>,
) -> Result<(), AwsError> {
    if targets.is_empty() {
        return Ok(());
    }
    let output = clients
        .events
        .put_targets()
        .rule(rule)
        .event_bus_name(bus)
        .set_targets(Some(targets))
        .send()
        .await
        .classified()?;
    partial_failure(
        "PutTargets",
        output.failed_entry_count(),
        output
            .failed_entries()
            .iter()
            .map(|f| (f.target_id(), f.error_code(), f.error_message())),
    )
}

/// PutTargets and RemoveTargets answer 200 with `FailedEntryCount > 0` when some entries failed:
/// that is a failure, classified by the first entry's code (a concurrent modification is worth a
/// retry, a bad target is not).
fn partial_failure<'a>(
    operation: &'static str,
    failed: i32,
    entries: impl Iterator<Item = (Option<&'a str>, Option<&'a str>, Option<&'a str>)>,
) -> Result<(), AwsError> {
    if failed == 0 {
        return Ok(());
    }
    let mut code = None;
    let reasons: Vec<String> = entries
        .map(|(id, error_code, message)| {
            if code.is_none() {
                code = error_code.map(str::to_string);
            }
            format!(
                "{}: {}",
                id.unwrap_or("?"),
                message.or(error_code).unwrap_or("failed")
            )
        })
        .collect();
    let kind = match crate::aws::error::classify_code(code.as_deref(), None) {
        ErrorKind::Other if code.is_none() => ErrorKind::Validation,
        kind => kind,
    };
    Err(AwsError {
        operation,
        kind,
        code,
        message: format!("{failed} target(s) failed: {}", reasons.join("; ")),
        cause: None,
        attempts: None,
    })
}

pub async fn remove_targets(
    clients: &Clients,
    rule: &str,
    bus: &str,
    ids: Vec<String>,
) -> Result<(), AwsError> {
    if ids.is_empty() {
        return Ok(());
    }
    let output = match clients
        .events
        .remove_targets()
        .rule(rule)
        .event_bus_name(bus)
        .set_ids(Some(ids))
        .send()
        .await
        .classified()
    {
        Ok(output) => output,
        Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    partial_failure(
        "RemoveTargets",
        output.failed_entry_count(),
        output
            .failed_entries()
            .iter()
            .map(|f| (f.target_id(), f.error_code(), f.error_message())),
    )
}

pub async fn delete_rule(
    clients: &Clients,
    rule: &str,
    bus: &str,
    target_ids: Vec<String>,
) -> Result<(), AwsError> {
    remove_targets(clients, rule, bus, target_ids).await?;
    clients
        .events
        .delete_rule()
        .name(rule)
        .event_bus_name(bus)
        .send()
        .await
        .done_or_gone()
}

/// Tag changes (see [`TagChange::apply`]).
pub async fn tag(clients: &Clients, resource: &str, change: TagChange) -> Result<(), AwsError> {
    apply_tags!(
        change.try_map(tag_list)?,
        clients.events,
        tag_resource / untag_resource,
        resource_arn(resource)
    )
}
