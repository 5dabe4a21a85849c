//! Carrying out a planned action on a MetricFilter.

use super::aws as filters;
use crate::aws::AwsError;
use crate::kinds::context::{observed_of, text, unresolved, wanted_now};
use crate::kinds::ApplyCtx;
use crate::plan::{ActionKind, FieldValue, ResourceAction};

pub(crate) async fn run(shared: &ApplyCtx, action: &ResourceAction) -> Result<(), AwsError> {
    let clients = &shared.clients;
    let live_group = || observed_of(shared, &action.id).and_then(|o| text(&o.props, "logGroup"));
    match action.action {
        // Filters hold no data: a released one would go on counting for nobody, so it goes.
        ActionKind::Delete | ActionKind::Release => match live_group() {
            Some(group) => filters::delete(clients, &group, &action.physical_name).await,
            None => Ok(()),
        },
        ActionKind::Create | ActionKind::Replace | ActionKind::Update | ActionKind::Adopt => {
            if action.action == ActionKind::Replace {
                if let (Some(old), Some(group)) = (observed_of(shared, &action.id), live_group()) {
                    filters::delete(clients, &group, &old.physical_name).await?;
                }
            }
            let want = wanted_now(shared, &action.id)?;
            let group =
                text(&want.props, "logGroup").ok_or_else(|| unresolved(&action.id, "logGroup"))?;
            let pattern = text(&want.props, "filterPattern")
                .ok_or_else(|| unresolved(&action.id, "filterPattern"))?;
            let Some(FieldValue::Known(metric)) = want.props.get("metric") else {
                return Err(unresolved(&action.id, "metric"));
            };
            let field = |key: &str| metric[key].as_str().unwrap_or_default().to_string();
            // PutMetricFilter replaces a filter of the same name: create and update alike.
            filters::put(
                clients,
                &group,
                &want.physical_name,
                &pattern,
                &field("namespace"),
                &field("name"),
                &field("value"),
            )
            .await
        }
    }
}
