//! Observing log groups: the tagging query finds the owned ones (service filter `logs`, which
//! matches both AWS's `logs:log-group` and moto's `logs:loggroup`), then one DescribeLogGroups
//! each for the retention and class; the tags come with the tagging query.

use super::aws as logs;
use crate::aws::AwsError;
use crate::kinds::observe::{ObserveCtx, Observer};

/// How the observation driver reads log groups.
pub(crate) static OBSERVER: Observer = Observer {
    tagged_types: &["logs"],
    observe: |ctx| Box::pin(observe(ctx)),
};

async fn observe(ctx: &ObserveCtx) -> Result<(), AwsError> {
    let groups = ctx
        .read_each(
            |arn| arn.starts_with("arn:") && arn.contains(":log-group:"),
            |clients, tagged| {
                // Tags that look changed are read again from CloudWatch Logs itself (see
                // `tags_as_wanted`).
                let tags = ctx.tags_as_wanted(&tagged).then_some(tagged.tags);
                async move {
                    let Some(name) = logs::name_of_arn(&tagged.arn) else {
                        return Ok(None);
                    };
                    logs::describe(&clients, name, tags).await
                }
            },
            |clients, want| async move {
                logs::describe(&clients, &want.physical_name, None).await
            },
        )
        .await?;
    for (id, g) in groups {
        ctx.add_read(id, g.name, g.arn, g.props, None);
    }
    Ok(())
}
