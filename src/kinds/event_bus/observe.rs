//! Observing event buses: the bus and its archive (the reads are shared with rules).

use crate::aws::AwsError;
use crate::kinds::observe::{ObserveCtx, Observer};
use crate::kinds::rule::aws as events;
use crate::kinds::rule::observe::observe_events;

/// How the observation driver reads event buses.
pub(crate) static OBSERVER: Observer = Observer {
    tagged_types: &["events:event-bus"],
    observe: |ctx| Box::pin(observe(ctx)),
};

async fn observe(ctx: &ObserveCtx) -> Result<(), AwsError> {
    observe_events(ctx, |clients, want| async move {
        events::describe_bus(&clients, &want.physical_name).await
    })
    .await
}
