//! The Rule kind's desired props: its bus, trigger, state and one JSON value per target.

use std::collections::BTreeSet;

use crate::kinds::desired::Wanted;
use serde_json::json;

use crate::kinds::desired::{invoke_arn, reference_arn, rule_bus_name};
use crate::kinds::role::policy::{delivers_to_bus, derived_role_id};
use crate::model::{Reference, Rule, RuleTrigger, TargetInput};
use crate::plan::{FieldValue, Props, SetProp};

/// The props the spec wants for one Rule, ownership tags aside.
pub(crate) fn props(w: &Wanted<'_, Rule>, props: &mut Props, _sensitive: &mut BTreeSet<String>) {
    let Wanted {
        stack,
        resource,
        model: r,
        ctx,
    } = *w;
    props.set("bus", rule_bus_name(stack, r));
    match &r.trigger {
        RuleTrigger::Pattern(pattern) => {
            props.set("pattern", pattern.clone());
        }
        RuleTrigger::Schedule(expression) => {
            props.set("schedule", expression.clone());
        }
    }
    props.set("state", if r.enabled { "ENABLED" } else { "DISABLED" });
    props.set("description", r.description.clone());
    for target in &r.targets {
        let field = format!("targets[{}]", target.id);
        let FieldValue::Known(arn) = invoke_arn(stack, ctx, &target.destination) else {
            props.insert(field, FieldValue::unknown());
            continue;
        };
        let mut value = json!({"arn": arn});
        match &target.input {
            TargetInput::Event => {}
            TargetInput::Path(path) => value["inputPath"] = json!(path),
            TargetInput::Transformer { paths, template } => {
                value["inputTransformer"] =
                    json!({"inputPathsMap": paths, "inputTemplate": template});
            }
        }
        if let Some(group) = &target.message_group_id {
            value["messageGroupId"] = json!(group);
        }
        let role = match &target.role {
            Some(role) => Some(reference_arn(stack, ctx, role)),
            // A bus target without a role delivers through the rule's derived one.
            None if delivers_to_bus(target) => Some(reference_arn(
                stack,
                ctx,
                &Reference::Stack(derived_role_id(&resource.id)),
            )),
            None => None,
        };
        match role {
            Some(FieldValue::Known(role)) => value["roleArn"] = role,
            Some(FieldValue::Unknown(_)) => {
                props.insert(field, FieldValue::unknown());
                continue;
            }
            None => {}
        }
        let attempts = target.maximum_retry_attempts.map_or(185, i64::from);
        let age = target
            .maximum_event_age_in_seconds
            .map_or(86_400, i64::from);
        // EventBridge's defaults are the same as no policy.
        if (attempts, age) != (185, 86_400) {
            value["retryPolicy"] =
                json!({"maximumRetryAttempts": attempts, "maximumEventAgeInSeconds": age});
        }
        if let Some(dlq) = &target.dead_letter {
            match reference_arn(stack, ctx, dlq) {
                FieldValue::Known(arn) => value["deadLetter"] = arn,
                FieldValue::Unknown(_) => {
                    props.insert(field, FieldValue::unknown());
                    continue;
                }
            }
        }
        props.set(field, value);
    }
}
