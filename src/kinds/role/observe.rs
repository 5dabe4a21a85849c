//! Observing roles: IAM is not in the tagging API, so one `ListRoles` by the stack's path finds
//! the roles slsctl made for it, and each is read with its tags (which say which resource of the
//! stack it is). A role the spec wants that is not under the path is looked up by name, so
//! that someone else's role of that name is a collision, never something to overwrite.

use std::collections::BTreeSet;

use tokio::task::JoinSet;

use super::{aws, policy};
use crate::aws::AwsError;
use crate::kinds::desired::{TAG_RESOURCE, TAG_STACK};
use crate::kinds::observe::{join_error, parse_id, ObserveCtx, Observer};
use crate::plan::FieldValue;

/// How the observation driver reads roles.
pub(crate) static OBSERVER: Observer = Observer {
    tagged_types: &[],
    observe: |ctx| Box::pin(observe(ctx)),
};

async fn observe(ctx: &ObserveCtx) -> Result<(), AwsError> {
    let path = policy::role_path(&ctx.stack_name);
    let listed = aws::list_roles(&ctx.clients, &path).await?;
    let wanted = ctx
        .read_each(
            |_| false,
            |_, _| async { Ok(None) },
            |clients, want| async move {
                Ok(aws::read_role(&clients, &want.physical_name)
                    .await?
                    .map(|live| (want.physical_name, live)))
            },
        )
        .await?;
    let read: BTreeSet<String> = wanted.iter().map(|(_, (name, _))| name.clone()).collect();
    for (id, (name, live)) in wanted {
        ctx.add_read(id, name, live.arn, live.props, None);
    }
    // The stack's roles the spec no longer wants: read to learn which resource each was.
    let mut reads = JoinSet::new();
    for role in listed.into_iter().filter(|r| !read.contains(&r.name)) {
        let clients = ctx.clients.clone();
        reads.spawn(async move {
            let live = aws::read_role(&clients, &role.name).await?;
            Ok::<_, AwsError>(live.map(|live| (role.name, live)))
        });
    }
    while let Some(joined) = reads.join_next().await {
        let Some((name, live)) = joined.map_err(join_error)?? else {
            continue;
        };
        let tag = |key: &str| match live.props.get(&format!("tags.{key}")) {
            Some(FieldValue::Known(serde_json::Value::String(v))) => Some(v.clone()),
            _ => None,
        };
        if tag(TAG_STACK).as_deref() != Some(ctx.stack_name.as_str()) {
            continue;
        }
        let Some(id) = tag(TAG_RESOURCE).and_then(|t| parse_id(&t)) else {
            continue;
        };
        ctx.add_read(id, name, live.arn, live.props, None);
    }
    Ok(())
}
