//! Observing layers: one listing of them all; ownership is in the version description.

use super::aws;
use crate::aws::AwsError;
use crate::kinds::observe::{parse_id, ObserveCtx, Observer};
use crate::plan::ObservedResource;

/// How the observation driver reads layers.
pub(crate) static OBSERVER: Observer = Observer {
    tagged_types: &[],
    observe: |ctx| Box::pin(observe(ctx)),
};

async fn observe(ctx: &ObserveCtx) -> Result<(), AwsError> {
    for layer in aws::list_layers(&ctx.clients, &ctx.stack_name).await? {
        let Some(id) = parse_id(&layer.resource) else {
            continue;
        };
        ctx.record(|observed| {
            observed
                .layer_versions
                .insert(id.clone(), layer.version_arn.clone());
        });
        ctx.add(ObservedResource {
            id,
            physical_name: layer.name,
            arn: layer.version_arn,
            props: layer.props,
            owned: true,
            messages: None,
            referenced_by: Vec::new(),
            deletion_policy: None,
        });
    }
    Ok(())
}
