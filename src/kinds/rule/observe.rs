//! Observing rules and event buses (one ARN space, the same calls): the rule and its targets, the
//! bus and its archive.

use std::future::Future;

use super::aws as events;
use crate::aws::{AwsError, Clients};
use crate::kinds::observe::{insert_tags, ObserveCtx, Observer, Tagged};
use crate::plan::{DesiredResource, FieldValue};

/// How the observation driver reads rules.
pub(crate) static OBSERVER: Observer = Observer {
    tagged_types: &["events:rule"],
    observe: |ctx| Box::pin(observe(ctx)),
};

async fn observe(ctx: &ObserveCtx) -> Result<(), AwsError> {
    observe_events(ctx, |clients, want| async move {
        let bus = match want.props.get("bus") {
            Some(FieldValue::Known(serde_json::Value::String(b))) => b.clone(),
            _ => "default".to_string(),
        };
        events::describe_rule(&clients, &want.physical_name, &bus).await
    })
    .await
}

/// Read the buses or rules of `ctx`'s kind: those the tagging query found (their ARN says which),
/// then those the spec wants that it did not, with `describe_by_name` and their tags.
pub(crate) async fn observe_events<F>(
    ctx: &ObserveCtx,
    describe_by_name: impl Fn(Clients, DesiredResource) -> F,
) -> Result<(), AwsError>
where
    F: Future<Output = Result<Option<events::LiveEvents>, AwsError>> + Send + 'static,
{
    let found = ctx
        .read_each(
            |arn| arn.contains(":events:"),
            |clients, tagged| read_tagged(ctx, clients, tagged),
            |clients, want| {
                let found = describe_by_name(clients.clone(), want);
                async move {
                    let Some(mut live) = found.await? else {
                        return Ok(None);
                    };
                    let tags = events::list_tags(&clients, &live.arn).await?;
                    insert_tags(&mut live.props, tags);
                    Ok(Some(live))
                }
            },
        )
        .await?;
    for (id, e) in found {
        ctx.add_read(id, e.name, e.arn, e.props, None);
    }
    Ok(())
}

/// Read a bus or a rule the tagging query found; its ARN says which.
fn read_tagged(
    ctx: &ObserveCtx,
    clients: Clients,
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
            insert_tags(&mut live.props, tags);
            live
        }))
    }
}
