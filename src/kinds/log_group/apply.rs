//! Carrying out a planned action on a LogGroup.

use super::aws as logs;
use crate::aws::AwsError;
use crate::kinds::context::{observed_arn, observed_of, tags_of, text, wanted_now, TagChange};
use crate::kinds::ApplyCtx;
use crate::plan::{ActionKind, FieldValue, Props, ResourceAction};

/// The retention the props want: days, or none for `never` (`props::NEVER`).
fn retention(props: &Props) -> Option<i32> {
    match props.get("retentionDays") {
        Some(FieldValue::Known(serde_json::Value::Number(days))) => {
            days.as_i64().and_then(|d| i32::try_from(d).ok())
        }
        _ => None,
    }
}

pub(crate) async fn run(shared: &ApplyCtx, action: &ResourceAction) -> Result<(), AwsError> {
    let clients = &shared.clients;
    match action.action {
        ActionKind::Delete => logs::delete(clients, &action.physical_name).await,
        ActionKind::Release => {
            logs::tag(
                clients,
                &observed_arn(shared, &action.id),
                TagChange::release(),
            )
            .await
        }
        ActionKind::Create | ActionKind::Replace => {
            if action.action == ActionKind::Replace {
                if let Some(old) = observed_of(shared, &action.id) {
                    logs::delete(clients, &old.physical_name).await?;
                }
            }
            let want = wanted_now(shared, &action.id)?;
            let class = text(&want.props, "class").unwrap_or_else(|| "STANDARD".into());
            logs::create(
                clients,
                &want.physical_name,
                &class,
                tags_of(&want.props),
                want.adopt,
            )
            .await?;
            // A new group never expires until it has a policy.
            match retention(&want.props) {
                Some(days) => logs::set_retention(clients, &want.physical_name, Some(days)).await,
                None => Ok(()),
            }
        }
        ActionKind::Update | ActionKind::Adopt => {
            let want = wanted_now(shared, &action.id)?;
            if action.changes.iter().any(|c| c.field == "retentionDays") {
                let days = retention(&want.props);
                logs::set_retention(clients, &want.physical_name, days).await?;
            }
            logs::tag(
                clients,
                &observed_arn(shared, &action.id),
                TagChange::of(action),
            )
            .await
        }
    }
}
