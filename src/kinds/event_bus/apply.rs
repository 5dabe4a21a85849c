//! The EventBus kind's apply: the bus, its archive and its tags.

use serde_json::Value;

use super::aws as events;
use crate::aws::AwsError;
use crate::kinds::context::{int, observed_arn, observed_of, tags_of, text, wanted_now, TagChange};
use crate::kinds::rule::aws::tag;
use crate::kinds::ApplyCtx;
use crate::plan::{ActionKind, FieldValue, ResourceAction};

fn archive_of(props: &crate::plan::Props) -> Option<(Value, i32)> {
    let days = int(props, "archive.retentionDays")?;
    let pattern = match props.get("archive.pattern") {
        Some(FieldValue::Known(pattern)) => pattern.clone(),
        _ => Value::Null,
    };
    Some((pattern, days))
}

pub(crate) async fn run(shared: &ApplyCtx, action: &ResourceAction) -> Result<(), AwsError> {
    let clients = &shared.clients;
    let observed = observed_of(shared, &action.id);
    match action.action {
        ActionKind::Delete => events::delete_bus(clients, &action.physical_name).await,
        ActionKind::Release => {
            let arn = observed_arn(shared, &action.id);
            tag(clients, &arn, TagChange::release()).await
        }
        ActionKind::Create | ActionKind::Replace => {
            let want = wanted_now(shared, &action.id)?;
            let description = text(&want.props, "description").unwrap_or_default();
            let arn = events::create_bus(
                clients,
                &want.physical_name,
                &description,
                &tags_of(&want.props),
            )
            .await?;
            let archive = archive_of(&want.props);
            events::put_archive(clients, &want.physical_name, &arn, archive.as_ref(), false).await
        }
        ActionKind::Update | ActionKind::Adopt => {
            let want = wanted_now(shared, &action.id)?;
            let arn = observed_arn(shared, &action.id);
            let changed = |prefix: &str| action.changes.iter().any(|c| c.field.starts_with(prefix));
            if changed("description") {
                events::update_bus(
                    clients,
                    &action.physical_name,
                    &text(&want.props, "description").unwrap_or_default(),
                )
                .await?;
            }
            if changed("archive.") {
                let exists =
                    observed.is_some_and(|o| o.props.contains_key("archive.retentionDays"));
                let archive = archive_of(&want.props);
                events::put_archive(
                    clients,
                    &action.physical_name,
                    &arn,
                    archive.as_ref(),
                    exists,
                )
                .await?;
            }
            tag(clients, &arn, TagChange::of(action)).await
        }
    }
}
