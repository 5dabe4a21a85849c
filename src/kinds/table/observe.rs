//! Observing tables: the table, its TTL and its backups (no call returns all three).

use std::collections::BTreeMap;

use super::aws as dynamodb;
use crate::aws::AwsError;
use crate::kinds::observe::{owned_by_tags, tag_policy, ObserveCtx};
use crate::plan::{FieldValue, ObservedResource};

pub(crate) async fn observe(ctx: &ObserveCtx) -> Result<(), AwsError> {
    let tagged = ctx
        .tagged
        .iter()
        .filter(|t| t.arn.contains(":table/"))
        .cloned();
    let tables = ctx
        .read_each(
            tagged,
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
                for (key, value) in dynamodb::list_tags(&clients, &table.arn).await? {
                    table
                        .props
                        .insert(format!("tags.{key}"), FieldValue::known(value));
                }
                Ok(Some(table))
            },
        )
        .await?;
    for (id, t) in tables {
        let owned = owned_by_tags(&t.props, &ctx.stack_name, &id);
        let deletion_policy = tag_policy(&t.props);
        ctx.add(ObservedResource {
            id,
            physical_name: t.name,
            arn: t.arn,
            props: t.props,
            owned,
            messages: Some(t.items),
            referenced_by: Vec::new(),
            deletion_policy,
        });
    }
    Ok(())
}
