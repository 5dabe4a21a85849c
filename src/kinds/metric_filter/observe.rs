//! Observing metric filters: they cannot be tagged and live on log groups, so the filters named
//! with the stack's prefix are listed on each log group the stack owns (the tagging query found
//! them for the LogGroup kind) and on each group a wanted filter names. A filter found that way
//! is the stack's own by its name; anyone else's filters on those groups are never read.

use std::collections::BTreeMap;

use tokio::task::JoinSet;

use super::aws;
use crate::aws::AwsError;
use crate::kinds::context::text;
use crate::kinds::log_group::aws::name_of_arn;
use crate::kinds::observe::{join_error, ObserveCtx, Observer};
use crate::model::{Kind, ResourceId};
use crate::plan::ObservedResource;

/// How the observation driver reads metric filters.
pub(crate) static OBSERVER: Observer = Observer {
    tagged_types: &[],
    observe: |ctx| Box::pin(observe(ctx)),
};

async fn observe(ctx: &ObserveCtx) -> Result<(), AwsError> {
    let prefix = super::name_prefix(&ctx.stack_name);
    // Each group to list, with the filter it would hold: the one of the function whose own
    // group it is (a group is `LogGroup/<function>`, its filter `MetricFilter/<function>`).
    let mut groups: BTreeMap<String, ResourceId> = ctx
        .tagged_of(Kind::LogGroup)
        .iter()
        .filter_map(|t| {
            let name = name_of_arn(&t.arn)?;
            Some((
                name.to_string(),
                ResourceId::new(Kind::MetricFilter, t.id.name.clone()),
            ))
        })
        .collect();
    for want in ctx.wanted() {
        if let Some(group) = text(&want.props, "logGroup") {
            groups.insert(group, want.id.clone());
        }
    }
    let mut reads = JoinSet::new();
    for (group, id) in groups {
        let (clients, prefix) = (ctx.clients.clone(), prefix.clone());
        reads.spawn(async move { (id, aws::describe(&clients, &group, &prefix).await) });
    }
    let mut found: BTreeMap<ResourceId, aws::LiveFilter> = BTreeMap::new();
    while let Some(joined) = reads.join_next().await {
        let (id, listed) = joined.map_err(join_error)?;
        let listed = match listed {
            Ok(listed) => listed,
            // As every kind's reads (`ObserveCtx::read_each`): a group whose listing still
            // fails after its retries leaves its filter out of this plan, never the whole
            // observation, and nothing is created or pruned on a guess.
            Err(error) if error.kind.is_transient() => {
                ctx.record(|observed| {
                    observed.unreadable.insert(id, error.to_string());
                });
                continue;
            }
            Err(error) => return Err(error),
        };
        for filter in listed {
            let Some(name) = filter.name.strip_prefix(&prefix) else {
                continue;
            };
            found.insert(ResourceId::new(Kind::MetricFilter, name), filter);
        }
    }
    for (id, filter) in found {
        ctx.add(ObservedResource {
            id,
            // Metric filters have no ARN: this names it under its log group's, for display.
            arn: ctx.arn(
                "logs",
                &format!(
                    "log-group:{}:metric-filter:{}",
                    filter.log_group, filter.name
                ),
            ),
            physical_name: filter.name,
            props: filter.props,
            owned: true,
            messages: None,
            referenced_by: Vec::new(),
            deletion_policy: None,
        });
    }
    Ok(())
}
