//! The Rule kind's validation: its spec document → a [`Rule`], and the event-pattern check
//! its archive shares with EventBus.

use super::wire::{RuleSpecWire, RuleStateWire};
use crate::model::{Kind, Reference, Rule, RuleTrigger, Target, TargetInput};
use crate::spec::kind::Check;
use crate::spec::validate::aws_name;
use crate::spec::validate::check_schedule_expression;
use crate::spec::validate::{within, KeyedList};

pub(crate) fn validate(c: Check<'_, '_, RuleSpecWire>) -> Option<Rule> {
    let Check { v, ctx, l } = c;
    let s = &l.document.spec;
    let bus = s
        .bus
        .as_ref()
        .and_then(|b| v.reference(ctx, "spec.bus", b, &[Kind::EventBus]));
    let trigger = match (&s.pattern, &s.schedule) {
        (Some(pattern), None) => {
            if let Err((path, message)) = check_event_pattern(pattern) {
                v.diagnostics.push(
                    ctx.error(&format!("spec.pattern{path}"), message).hint(
                        "leaf values of an event pattern are lists, e.g. source: [orders.api]",
                    ),
                );
            }
            RuleTrigger::Pattern(pattern.clone())
        }
        (None, Some(schedule)) => {
            if let Err(message) = check_schedule_expression(schedule, false) {
                v.diagnostics.push(
                    ctx.error("spec.schedule", message)
                        .hint("e.g. rate(5 minutes) or cron(0 12 * * ? *)"),
                );
            }
            if s.bus.is_some() {
                v.diagnostics.push(
                    ctx.error(
                        "spec.schedule",
                        "scheduled rules run only on the account's default bus",
                    )
                    .hint("remove `bus:` from this rule")
                    .note(ctx.at("spec.bus"), "the rule names a bus here"),
                );
            }
            RuleTrigger::Schedule(schedule.clone())
        }
        _ => {
            v.diagnostics.push(
                ctx.key_error(
                    "spec",
                    "a rule needs exactly one of `pattern` and `schedule`",
                )
                .field("spec.pattern")
                .hint("`pattern` matches events; `schedule` runs on a timer"),
            );
            return None;
        }
    };
    if s.targets.len() > 5 {
        v.diagnostics.push(
            ctx.error(
                "spec.targets[5]",
                format!(
                    "{} targets; EventBridge allows at most 5 per rule",
                    s.targets.len()
                ),
            )
            .hint("fan out through a second rule with the same pattern, or through an SNS topic")
            .note(ctx.at("spec.targets[0]"), "the rule's targets start here"),
        );
    }
    let mut ids = KeyedList::new("spec.targets", "id", "first used here");
    let mut targets = Vec::new();
    for (i, t) in s.targets.iter().enumerate() {
        let base = format!("spec.targets[{i}]");
        ids.check(v, ctx, i, &t.id, format!("duplicate target id `{}`", t.id));
        if !aws_name(&t.id, 1..=64, &['.', '-', '_']) {
            v.diagnostics.push(
                ctx.error(
                    &format!("{base}.id"),
                    format!("`{}` is not a valid target id", t.id),
                )
                .hint("1 to 64 letters, digits, `.`, `-` and `_`"),
            );
        }
        let choices = [
            ("queue", &t.queue, Kind::Queue),
            ("function", &t.function, Kind::Function),
            ("bus", &t.bus, Kind::EventBus),
        ];
        let given = choices.iter().filter(|c| c.1.is_some()).count() + usize::from(t.arn.is_some());
        if given != 1 {
            v.diagnostics.push(ctx.key_error(
                &base,
                "a target names exactly one of `queue`, `function`, `bus` or `arn`",
            ));
            continue;
        }
        let destination = if let Some(arn) = &t.arn {
            if !arn.starts_with("arn:") {
                v.diagnostics
                    .push(ctx.error(&format!("{base}.arn"), format!("`{arn}` is not an ARN")));
                continue;
            }
            Reference::Arn(arn.clone())
        } else {
            let (field, written, kind) = choices
                .iter()
                .find(|c| c.1.is_some())
                .map(|c| (c.0, c.1.as_deref().unwrap_or(""), c.2))
                .unwrap_or(("queue", "", Kind::Queue));
            let Some(r) = v.reference(ctx, &format!("{base}.{field}"), written, &[kind]) else {
                continue;
            };
            r
        };
        if let (Reference::Stack(target), Some(Reference::Stack(own))) = (&destination, &bus) {
            if target == own {
                v.diagnostics.push(
                    ctx.error(
                        &format!("{base}.bus"),
                        "a rule must not send events back to its own bus",
                    )
                    .hint("that loops every matching event forever"),
                );
            }
        }
        if let Reference::Stack(id) = &destination {
            if id.kind == Kind::Queue {
                if let Some(entry) = v.lookup(Kind::Queue, &id.name) {
                    if entry.fifo && t.message_group_id.is_none() {
                        v.diagnostics.push(
                            ctx.key_error(
                                &base,
                                format!(
                                    "queue `{}` is FIFO, so the target needs a messageGroupId",
                                    id.name
                                ),
                            )
                            .field(format!("{base}.messageGroupId"))
                            .note(
                                entry.fifo_at.clone(),
                                format!("Queue `{}` is FIFO here", id.name),
                            ),
                        );
                    }
                }
            }
        }
        let input = match (&t.input_path, &t.input_transformer) {
            (Some(_), Some(_)) => {
                v.diagnostics.push(ctx.key_error(
                    &format!("{base}.inputTransformer"),
                    "choose one of `inputPath` and `inputTransformer`",
                ));
                TargetInput::Event
            }
            (Some(path), None) => {
                if !path.starts_with('$') {
                    v.diagnostics.push(
                        ctx.error(
                            &format!("{base}.inputPath"),
                            format!("`{path}` is not a JSONPath"),
                        )
                        .hint("e.g. $.detail"),
                    );
                }
                TargetInput::Path(path.clone())
            }
            (None, Some(tr)) => {
                if tr.input_paths_map.len() > 100 {
                    v.diagnostics.push(ctx.error(
                        &format!("{base}.inputTransformer.inputPathsMap"),
                        "an input transformer maps at most 100 paths",
                    ));
                }
                TargetInput::Transformer {
                    paths: tr.input_paths_map.clone(),
                    template: tr.input_template.clone(),
                }
            }
            (None, None) => TargetInput::Event,
        };
        let retry = t.retry_policy.as_ref();
        let maximum_retry_attempts = retry
            .and_then(|r| r.maximum_retry_attempts)
            .map(|attempts| {
                v.int(
                    ctx,
                    &format!("{base}.retryPolicy.maximumRetryAttempts"),
                    Some(attempts),
                    within(185, 0, 185, ""),
                )
            });
        let maximum_event_age_in_seconds =
            retry
                .and_then(|r| r.maximum_event_age_in_seconds)
                .map(|age| {
                    v.int(
                        ctx,
                        &format!("{base}.retryPolicy.maximumEventAgeInSeconds"),
                        Some(age),
                        within(86400, 60, 86400, " s"),
                    )
                });
        let dead_letter = t.dead_letter.as_ref().and_then(|d| {
            v.reference(
                ctx,
                &format!("{base}.deadLetter.queue"),
                &d.queue,
                &[Kind::Queue],
            )
        });
        if let Some(Reference::Stack(dlq)) = &dead_letter {
            if let Some(entry) = v.lookup(Kind::Queue, &dlq.name) {
                if entry.fifo {
                    v.diagnostics.push(
                        ctx.error(&format!("{base}.deadLetter.queue"), format!("EventBridge dead-letter queues must be standard queues, but `{}` is FIFO", dlq.name))
                            .note(entry.fifo_at.clone(), format!("Queue `{}` is FIFO here", dlq.name)),
                    );
                }
            }
        }
        let role = t.role.as_ref().and_then(|role| {
            let reference = v.reference(ctx, &format!("{base}.role"), role, &[Kind::Role])?;
            let valid = match &reference {
                Reference::Arn(arn) => arn
                    .split(':')
                    .nth(5)
                    .is_some_and(|rest| rest.starts_with("role/") && rest.len() > 5),
                Reference::Stack(_) => true,
            };
            if !valid {
                v.diagnostics.push(
                    ctx.error(
                        &format!("{base}.role"),
                        format!("`{role}` is not an IAM role ARN"),
                    )
                    .hint("arn:aws:iam::ACCOUNT:role/NAME, or the name of a Role of this stack"),
                );
            }
            Some(reference)
        });
        targets.push(Target {
            id: t.id.clone(),
            destination,
            role,
            input,
            message_group_id: t.message_group_id.clone(),
            maximum_retry_attempts,
            maximum_event_age_in_seconds,
            dead_letter,
        });
    }
    Some(Rule {
        alarms: crate::kinds::alarm::validate::of_resource(v, ctx, s),
        bus,
        trigger,
        enabled: s.state != Some(RuleStateWire::Disabled),
        description: s.description.clone().unwrap_or_default(),
        targets,
    })
}

/// EventBridge patterns are objects whose leaves are lists (`source: [orders.api]`).
pub(crate) fn check_event_pattern(pattern: &serde_json::Value) -> Result<(), (String, String)> {
    fn walk(value: &serde_json::Value, path: String) -> Result<(), (String, String)> {
        match value {
            serde_json::Value::Object(map) => {
                if map.is_empty() {
                    return Err((
                        path,
                        "an event pattern object must not be empty".to_string(),
                    ));
                }
                for (key, child) in map {
                    let child_path = format!("{path}.{key}");
                    match child {
                        serde_json::Value::Object(_) => walk(child, child_path)?,
                        serde_json::Value::Array(_) => {}
                        _ => {
                            return Err((
                                child_path,
                                format!("`{key}` must be a list of values to match"),
                            ))
                        }
                    }
                }
                Ok(())
            }
            _ => Err((path, "an event pattern is a mapping".to_string())),
        }
    }
    walk(pattern, String::new())
}

/// What a rule refers to: its bus, and its targets and their dead-letter queues.
pub(crate) fn references(r: &Rule) -> Vec<&Reference> {
    let targets = r.targets.iter().flat_map(|t| {
        std::iter::once(&t.destination)
            .chain(t.dead_letter.iter())
            .chain(t.role.iter())
    });
    r.bus.iter().chain(targets).collect()
}
