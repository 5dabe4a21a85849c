//! Carrying out a planned action on the Dashboard.

use super::aws as dashboards;
use crate::aws::AwsError;
use crate::kinds::context::{unresolved, wanted_now};
use crate::kinds::ApplyCtx;
use crate::plan::{ActionKind, FieldValue, ResourceAction};

pub(crate) async fn run(shared: &ApplyCtx, action: &ResourceAction) -> Result<(), AwsError> {
    let clients = &shared.clients;
    match action.action {
        ActionKind::Delete | ActionKind::Release => {
            dashboards::delete(clients, &action.physical_name).await
        }
        ActionKind::Create | ActionKind::Replace | ActionKind::Update | ActionKind::Adopt => {
            let want = wanted_now(shared, &action.id)?;
            let Some(FieldValue::Known(body)) = want.props.get("body") else {
                return Err(unresolved(&action.id, "body"));
            };
            dashboards::put(clients, &want.physical_name, body).await
        }
    }
}
