//! Observing rules (and, through the same calls, event buses): the rule and its targets.

use std::future::Future;

use super::aws as events;
use crate::aws::AwsError;
use crate::kinds::observe::{owned_by_tags, tag_policy, ObserveCtx, Tagged};
use crate::model::ResourceId;
use crate::plan::{FieldValue, ObservedResource};

pub(crate) async fn observe(ctx: &ObserveCtx) -> Result<(), AwsError> {
    let found = ctx
        .read_each(
            tagged(ctx),
            |clients, tagged| read_tagged(ctx, clients, tagged),
            |clients, want| async move {
                let bus = match want.props.get("bus") {
                    Some(FieldValue::Known(serde_json::Value::String(b))) => b.clone(),
                    _ => "default".to_string(),
                };
                let found = events::describe_rule(&clients, &want.physical_name, &bus).await?;
                with_tags(&clients, found).await
            },
        )
        .await?;
    add(ctx, found);
    Ok(())
}

/// This kind's resources in the tagging query that are EventBridge's.
pub(crate) fn tagged(ctx: &ObserveCtx) -> impl Iterator<Item = Tagged> + '_ {
    ctx.tagged
        .iter()
        .filter(|t| t.arn.contains(":events:"))
        .cloned()
}

/// Read a bus or a rule the tagging query found; its ARN says which.
pub(crate) fn read_tagged(
    ctx: &ObserveCtx,
    clients: crate::aws::Clients,
    tagged: Tagged,
) -> impl Future<Output = Result<Option<events::LiveEvents>, AwsError>> + Send + 'static {
    let confirmed = ctx.tags_as_wanted(&tagged);
    async move {
        let Tagged { arn, tags, .. } = tagged;
        let tags = if confirmed {
            tags
        } else {
            events::list_tags(&clients, &arn).await?
        };
        // event-bus/<name>, rule/<name> (default bus) or rule/<bus>/<name>.
        let path = arn
            .split_once(":event-bus/")
            .map(|(_, n)| ("bus", n.to_string()))
            .or_else(|| {
                arn.split_once(":rule/")
                    .map(|(_, n)| ("rule", n.to_string()))
            });
        let found = match path {
            Some(("bus", name)) => events::describe_bus(&clients, &name).await?,
            Some((_, rest)) => {
                let (bus, name) = rest.rsplit_once('/').unwrap_or(("default", rest.as_str()));
                events::describe_rule(&clients, name, bus).await?
            }
            None => None,
        };
        Ok(found.map(|mut live| {
            for (key, value) in tags {
                live.props
                    .insert(format!("tags.{key}"), FieldValue::known(value));
            }
            live
        }))
    }
}

/// A bus or rule found by name, with its tags (the tagging query did not carry them).
pub(crate) async fn with_tags(
    clients: &crate::aws::Clients,
    found: Option<events::LiveEvents>,
) -> Result<Option<events::LiveEvents>, AwsError> {
    let Some(mut live) = found else {
        return Ok(None);
    };
    for (key, value) in events::list_tags(clients, &live.arn).await? {
        live.props
            .insert(format!("tags.{key}"), FieldValue::known(value));
    }
    Ok(Some(live))
}

/// The buses or rules read, as observed resources.
pub(crate) fn add(ctx: &ObserveCtx, found: Vec<(ResourceId, events::LiveEvents)>) {
    for (id, e) in found {
        let owned = owned_by_tags(&e.props, &ctx.stack_name, &id);
        let deletion_policy = tag_policy(&e.props);
        ctx.add(ObservedResource {
            id,
            physical_name: e.name,
            arn: e.arn,
            props: e.props,
            owned,
            messages: None,
            referenced_by: Vec::new(),
            deletion_policy,
        });
    }
}
