//! Carrying out a planned action on a Table.

use std::collections::BTreeSet;

use super::aws as dynamodb;
use crate::aws::AwsError;
use crate::kinds::context::{observed_of, tags_of, unresolved, wanted_now, TagChange};
use crate::kinds::ApplyCtx;
use crate::model::{ResourceId, ResourceSpec};
use crate::plan::{ActionKind, ResourceAction};

pub(crate) async fn run(shared: &ApplyCtx, action: &ResourceAction) -> Result<(), AwsError> {
    let clients = &shared.clients;
    let observed = observed_of(shared, &action.id);
    let arn = observed.map(|o| o.arn.clone()).unwrap_or_default();
    match action.action {
        ActionKind::Delete => dynamodb::delete(clients, &action.physical_name).await,
        ActionKind::Release => dynamodb::tag(clients, &arn, TagChange::release()).await,
        ActionKind::Create | ActionKind::Replace => {
            if action.action == ActionKind::Replace {
                if let Some(old) = observed {
                    dynamodb::delete(clients, &old.physical_name).await?;
                    dynamodb::wait_deleted(clients, &old.physical_name).await?;
                }
            }
            let want = wanted_now(shared, &action.id)?;
            let table = table_model(shared, &action.id)?;
            dynamodb::create(clients, &want.physical_name, table, &tags_of(&want.props)).await
        }
        ActionKind::Update | ActionKind::Adopt => {
            let table = table_model(shared, &action.id)?;
            let changed: BTreeSet<String> = action
                .changes
                .iter()
                .filter(|c| !c.field.starts_with("tags."))
                .map(|c| c.field.clone())
                .collect();
            let live = observed.map(|o| o.props.clone()).unwrap_or_default();
            dynamodb::update(clients, &action.physical_name, table, &changed, &live).await?;
            dynamodb::tag(clients, &arn, TagChange::of(action)).await
        }
    }
}

fn table_model<'a>(
    shared: &'a ApplyCtx,
    id: &ResourceId,
) -> Result<&'a crate::model::Table, AwsError> {
    match shared.prepared.stack.get(id).map(|r| &r.spec) {
        Some(ResourceSpec::Table(table)) => Ok(table),
        _ => Err(unresolved(id, "spec")),
    }
}
