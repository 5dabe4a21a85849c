//! Observing log groups: the tagging query finds the owned ones (service filter `logs`, which
//! matches both AWS's `logs:log-group` and moto's `logs:loggroup`), with their tags. The
//! functions' own groups share the prefix `/aws/lambda/<stack>-`: one DescribeLogGroups listing
//! of it (50 a page) gives their retention and class, rather than one call per function; any
//! other group is described by its own name.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::aws as logs;
use aws_sdk_cloudwatchlogs::types::LogGroup;

use crate::aws::{AwsError, Clients};
use crate::kinds::observe::{ObserveCtx, Observer};

/// How the observation driver reads log groups.
pub(crate) static OBSERVER: Observer = Observer {
    tagged_types: &["logs"],
    observe: |ctx| Box::pin(observe(ctx)),
};

async fn observe(ctx: &ObserveCtx) -> Result<(), AwsError> {
    let prefix = format!("/aws/lambda/{}-", ctx.stack_name);
    let under_prefix = |name: &str| name.starts_with(&prefix);
    let any_under_prefix = ctx.wanted().any(|d| under_prefix(&d.physical_name))
        || ctx
            .tagged
            .iter()
            .any(|t| logs::name_of_arn(&t.arn).is_some_and(under_prefix));
    let listed: Arc<BTreeMap<String, LogGroup>> = Arc::new(if any_under_prefix {
        logs::list(&ctx.clients, &prefix)
            .await?
            .into_iter()
            .filter_map(|g| Some((g.log_group_name()?.to_string(), g)))
            .collect()
    } else {
        BTreeMap::new()
    });
    // A group under the prefix that the listing did not show does not exist; any other is
    // described by its name.
    let read = move |clients: Clients, name: String, tags: Option<BTreeMap<String, String>>| {
        let listed = listed.clone();
        let covered = any_under_prefix && name.starts_with(&prefix);
        async move {
            match listed.get(&name) {
                Some(group) => logs::live(&clients, group.clone(), tags).await.map(Some),
                None if covered => Ok(None),
                None => logs::describe(&clients, &name, tags).await,
            }
        }
    };
    let groups = ctx
        .read_each(
            |arn| arn.starts_with("arn:") && arn.contains(":log-group:"),
            |clients, tagged| {
                // Tags that look changed are read again from CloudWatch Logs itself (see
                // `tags_as_wanted`).
                let tags = ctx.tags_as_wanted(&tagged).then_some(tagged.tags);
                let name = logs::name_of_arn(&tagged.arn).map(str::to_string);
                let read = name.map(|name| read(clients, name, tags));
                async move {
                    match read {
                        Some(read) => read.await,
                        None => Ok(None),
                    }
                }
            },
            |clients, want| read(clients, want.physical_name, None),
        )
        .await?;
    for (id, g) in groups {
        ctx.add_read(id, g.name, g.arn, g.props, None);
    }
    Ok(())
}
