//! Carrying out a planned action on a Queue.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::aws as sqs;
use crate::aws::{AwsError, ErrorKind};
use crate::kinds::context::{observed_of, tags_of, unresolved, wanted_now, TagChange};
use crate::kinds::ApplyCtx;
use crate::model::DeletionPolicy;
use crate::plan::{ActionKind, FieldValue, ResourceAction};

pub(crate) async fn run(shared: &ApplyCtx, action: &ResourceAction) -> Result<(), AwsError> {
    let clients = &shared.clients;
    let observed = &shared.prepared.observed;
    let live_url = observed.queue_urls.get(&action.id).cloned();
    match action.action {
        ActionKind::Delete => {
            let url = live_url.ok_or_else(|| {
                AwsError::new("DeleteQueue", ErrorKind::NotFound, "queue URL unknown")
            })?;
            // Re-check at the last moment: messages may have arrived since the plan.
            // The same policy the plan used: the spec's, else the one the queue carries.
            let policy = shared
                .prepared
                .stack
                .get(&action.id)
                .map(|r| r.deletion_policy)
                .or_else(|| observed_of(shared, &action.id).and_then(|o| o.deletion_policy))
                .unwrap_or(DeletionPolicy::DeleteIfEmpty);
            if policy == DeletionPolicy::DeleteIfEmpty {
                if let Some(live) = sqs::get_queue(clients, &url, Some(BTreeMap::new())).await? {
                    if live.messages > 0 {
                        return Err(AwsError::new(
                            "DeleteQueue",
                            ErrorKind::Conflict,
                            format!("refused: the queue now holds {} messages", live.messages),
                        ));
                    }
                }
            }
            sqs::delete_queue(clients, &url).await
        }
        ActionKind::Release => {
            let url = live_url.ok_or_else(|| {
                AwsError::new("UntagQueue", ErrorKind::NotFound, "queue URL unknown")
            })?;
            sqs::tag(clients, &url, TagChange::release()).await
        }
        ActionKind::Create | ActionKind::Replace => {
            if action.action == ActionKind::Replace {
                if let Some(url) = &live_url {
                    sqs::delete_queue(clients, url).await?;
                }
            }
            let want = wanted_now(shared, &action.id)?;
            let fifo = matches!(
                want.props.get("fifo"),
                Some(FieldValue::Known(Value::Bool(true)))
            );
            if want.props.values().any(FieldValue::is_unknown) {
                return Err(unresolved(&action.id, "deadLetter.queue"));
            }
            let mut attributes = sqs::attributes_from_props(&want.props);
            let policy = sqs::merged_policy(None, &want.props);
            if !policy.is_empty() {
                attributes.insert(aws_sdk_sqs::types::QueueAttributeName::Policy, policy);
            }
            sqs::create_queue(
                clients,
                &want.physical_name,
                fifo,
                attributes,
                tags_of(&want.props),
            )
            .await
            .map(|_| ())
        }
        ActionKind::Update | ActionKind::Adopt => {
            let url = live_url.ok_or_else(|| {
                AwsError::new(
                    "SetQueueAttributes",
                    ErrorKind::NotFound,
                    "queue URL unknown",
                )
            })?;
            let want = wanted_now(shared, &action.id)?;
            let attributes_changed = action
                .changes
                .iter()
                .any(|c| !c.field.starts_with("tags.") && !c.field.starts_with("permissions["));
            let permissions_changed = action
                .changes
                .iter()
                .any(|c| c.field.starts_with("permissions["));
            let has_permissions = want.props.keys().any(|k| k.starts_with("permissions["));
            let mut attributes = if attributes_changed {
                sqs::attributes_from_props(&want.props)
            } else {
                HashMap::new()
            };
            // The policy goes in the same write as the other attributes: one call, and moto
            // (unlike SQS) forgets a policy that a SetQueueAttributes call leaves out.
            if permissions_changed || (attributes_changed && has_permissions) {
                // Merge: statements slsctl does not own stay as they are.
                let live = sqs::get_policy(clients, &url).await?;
                let policy = sqs::merged_policy(live.as_deref(), &want.props);
                attributes.insert(aws_sdk_sqs::types::QueueAttributeName::Policy, policy);
            }
            if !attributes.is_empty() {
                sqs::set_attributes(clients, &url, attributes).await?;
            }
            sqs::tag(clients, &url, TagChange::of(action)).await
        }
    }
}
