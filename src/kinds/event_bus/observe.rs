//! Observing event buses: the bus and its archive (the reads are shared with rules).

use crate::aws::AwsError;
use crate::kinds::observe::ObserveCtx;
use crate::kinds::rule::aws as events;
use crate::kinds::rule::observe::observe_events;

pub(crate) async fn observe(ctx: &ObserveCtx) -> Result<(), AwsError> {
    observe_events(ctx, |clients, want| async move {
        events::describe_bus(&clients, &want.physical_name).await
    })
    .await
}
