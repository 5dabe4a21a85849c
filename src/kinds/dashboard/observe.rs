//! Observing the dashboard: dashboards cannot be tagged, so one ListDashboards by the stack's
//! name finds it (whether the spec still wants it or not) and GetDashboard reads its body.

use super::aws;
use crate::aws::AwsError;
use crate::kinds::observe::{ObserveCtx, Observer};
use crate::model::{Kind, ResourceId};
use crate::plan::ObservedResource;

/// How the observation driver reads the dashboard.
pub(crate) static OBSERVER: Observer = Observer {
    tagged_types: &[],
    observe: |ctx| Box::pin(observe(ctx)),
};

async fn observe(ctx: &ObserveCtx) -> Result<(), AwsError> {
    let name = super::dashboard_name(&ctx.stack_name);
    let id = ResourceId::new(Kind::Dashboard, ctx.stack_name.clone());
    let live = match aws::find(&ctx.clients, &name).await {
        Ok(live) => live,
        // As every kind's reads (`ObserveCtx::read_each`): still failing after its retries,
        // the dashboard is left out of this plan, not the whole observation.
        Err(error) if error.kind.is_transient() => {
            ctx.record(|observed| {
                observed.unreadable.insert(id, error.to_string());
            });
            return Ok(());
        }
        Err(error) => return Err(error),
    };
    if let Some(live) = live {
        ctx.add(ObservedResource {
            id,
            physical_name: live.name,
            arn: live.arn,
            props: live.props,
            // Owned by its name (see the module's doc).
            owned: true,
            messages: None,
            referenced_by: Vec::new(),
            deletion_policy: None,
        });
    }
    Ok(())
}
