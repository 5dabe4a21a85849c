//! The Rule kind's apply: the rule, its targets and its tags.

use std::collections::BTreeSet;

use super::aws as events;
use crate::aws::AwsError;
use crate::kinds::context::{
    entry_key, observed_arn, observed_of, tags_of, text, unresolved, wanted_now, TagChange,
};
use crate::kinds::ApplyCtx;
use crate::plan::{ActionKind, FieldValue, ResourceAction};

pub(crate) async fn run(shared: &ApplyCtx, action: &ResourceAction) -> Result<(), AwsError> {
    let clients = &shared.clients;
    let observed = observed_of(shared, &action.id);
    let live_targets: Vec<String> = observed
        .map(|o| {
            o.props
                .keys()
                .filter_map(|k| Some(entry_key(k, "targets")?.to_string()))
                .collect()
        })
        .unwrap_or_default();
    let live_bus = observed
        .and_then(|o| text(&o.props, "bus"))
        .unwrap_or_else(|| "default".into());
    match action.action {
        ActionKind::Delete => {
            events::delete_rule(clients, &action.physical_name, &live_bus, live_targets).await
        }
        ActionKind::Release => {
            let arn = observed_arn(shared, &action.id);
            events::tag(clients, &arn, TagChange::release()).await
        }
        _ => {
            if action.action == ActionKind::Replace {
                events::delete_rule(
                    clients,
                    &action.physical_name,
                    &live_bus,
                    live_targets.clone(),
                )
                .await?;
            }
            let want = wanted_now(shared, &action.id)?;
            let bus = text(&want.props, "bus").unwrap_or_else(|| "default".into());
            let rule = events::RuleInput {
                name: want.physical_name.clone(),
                bus: bus.clone(),
                pattern: match want.props.get("pattern") {
                    Some(FieldValue::Known(p)) => Some(p.clone()),
                    _ => None,
                },
                schedule: text(&want.props, "schedule"),
                enabled: text(&want.props, "state").as_deref() != Some("DISABLED"),
                description: text(&want.props, "description").unwrap_or_default(),
                tags: tags_of(&want.props),
            };
            let arn = events::put_rule(clients, &rule).await?;
            let mut targets = Vec::new();
            let mut wanted_ids = BTreeSet::new();
            for (field, value) in &want.props {
                let Some(id) = entry_key(field, "targets") else {
                    continue;
                };
                let FieldValue::Known(value) = value else {
                    return Err(unresolved(&action.id, field));
                };
                wanted_ids.insert(id.to_string());
                targets.push(events::target_from_value(id, value)?);
            }
            let stale: Vec<String> = if action.action == ActionKind::Replace {
                Vec::new()
            } else {
                live_targets
                    .into_iter()
                    .filter(|t| !wanted_ids.contains(t))
                    .collect()
            };
            events::remove_targets(clients, &want.physical_name, &bus, stale).await?;
            events::put_targets(clients, &want.physical_name, &bus, targets).await?;
            // PutRule sets tags only when it creates the rule.
            if matches!(action.action, ActionKind::Update | ActionKind::Adopt) {
                events::tag(clients, &arn, TagChange::of(action)).await?;
            }
            Ok(())
        }
    }
}
