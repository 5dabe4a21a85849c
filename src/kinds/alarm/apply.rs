//! Carrying out a planned action on an Alarm: PutMetricAlarm creates or replaces it whole, so
//! any change of its fields is that one call with everything; tags change through the tag calls.

use super::aws;
use crate::aws::AwsError;
use crate::kinds::context::{observed_arn, tags_of, wanted_now, TagChange};
use crate::kinds::ApplyCtx;
use crate::plan::{ActionKind, ResourceAction};

pub(crate) async fn run(shared: &ApplyCtx, action: &ResourceAction) -> Result<(), AwsError> {
    let clients = &shared.clients;
    match action.action {
        ActionKind::Delete => aws::delete(clients, &[action.physical_name.as_str()]).await,
        ActionKind::Release => {
            aws::tag(
                clients,
                &observed_arn(shared, &action.id),
                TagChange::release(),
            )
            .await
        }
        ActionKind::Create | ActionKind::Replace => {
            let want = wanted_now(shared, &action.id)?;
            aws::put(
                clients,
                &want.physical_name,
                &want.props,
                Some(tags_of(&want.props)),
            )
            .await
        }
        ActionKind::Update | ActionKind::Adopt => {
            let want = wanted_now(shared, &action.id)?;
            if action.changes.iter().any(|c| !c.field.starts_with("tags.")) {
                aws::put(clients, &want.physical_name, &want.props, None).await?;
            }
            aws::tag(
                clients,
                &observed_arn(shared, &action.id),
                TagChange::of(action),
            )
            .await
        }
    }
}
