//! Observing event buses: the bus and its archive (the reads are shared with rules).

use crate::aws::AwsError;
use crate::kinds::observe::ObserveCtx;
use crate::kinds::rule::aws as events;
use crate::kinds::rule::observe::{add, read_tagged, tagged, with_tags};

pub(crate) async fn observe(ctx: &ObserveCtx) -> Result<(), AwsError> {
    let found = ctx
        .read_each(
            tagged(ctx),
            |clients, tagged| read_tagged(ctx, clients, tagged),
            |clients, want| async move {
                let found = events::describe_bus(&clients, &want.physical_name).await?;
                with_tags(&clients, found).await
            },
        )
        .await?;
    add(ctx, found);
    Ok(())
}
