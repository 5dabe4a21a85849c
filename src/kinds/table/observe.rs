//! Observing tables: the table, its TTL and its backups (no call returns all three).

use std::collections::BTreeMap;

use super::aws as dynamodb;
use crate::aws::AwsError;
use crate::kinds::observe::{insert_tags, ObserveCtx, Observer};

/// How the observation driver reads tables.
pub(crate) static OBSERVER: Observer = Observer {
    tagged_types: &["dynamodb:table"],
    observe: |ctx| Box::pin(observe(ctx)),
};

async fn observe(ctx: &ObserveCtx) -> Result<(), AwsError> {
    let tables = ctx
        .read_each(
            |arn| arn.contains(":table/"),
            |clients, tagged| {
                let confirmed = ctx.tags_as_wanted(&tagged);
                async move {
                    let tags = if confirmed {
                        tagged.tags
                    } else {
                        dynamodb::list_tags(&clients, &tagged.arn).await?
                    };
                    let name = tagged
                        .arn
                        .rsplit('/')
                        .next()
                        .unwrap_or_default()
                        .to_string();
                    dynamodb::describe(&clients, &name, tags).await
                }
            },
            |clients, want| async move {
                let Some(mut table) =
                    dynamodb::describe(&clients, &want.physical_name, BTreeMap::new()).await?
                else {
                    return Ok(None);
                };
                let tags = dynamodb::list_tags(&clients, &table.arn).await?;
                insert_tags(&mut table.props, tags);
                Ok(Some(table))
            },
        )
        .await?;
    for (id, t) in tables {
        ctx.add_read(id, t.name, t.arn, t.props, Some(t.items));
    }
    Ok(())
}
