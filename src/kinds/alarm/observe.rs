//! Observing alarms: one DescribeAlarms by the stack's name prefix (`<stack>-`, 100 per page)
//! lists every alarm that may be the stack's, whatever it watches. Their tags (DescribeAlarms
//! returns none) come from the stack-wide tagging query, which finds alarms as
//! `cloudwatch:alarm`: no call per alarm in the steady state. Only an alarm the query did not
//! report as the spec wants it (one just created or retagged, which the tagging API shows late,
//! or another stack's that shares the prefix, `orders-v2-…` under `orders-`) has its tags read
//! with ListTagsForResource, to tell the stack's own, by exact name, from anyone else's.

use std::collections::BTreeMap;

use tokio::task::JoinSet;

use super::aws;
use crate::aws::AwsError;
use crate::kinds::context::insert_tag_props;
use crate::kinds::desired::{TAG_RESOURCE, TAG_STACK};
use crate::kinds::observe::{join_error, parse_id, ObserveCtx, Observer, Tagged};
use crate::plan::{DesiredResource, FieldValue};

/// How the observation driver reads alarms.
pub(crate) static OBSERVER: Observer = Observer {
    tagged_types: &["cloudwatch:alarm"],
    observe: |ctx| Box::pin(observe(ctx)),
};

/// The prefix every alarm of the stack's name starts with.
pub fn prefix(stack: &str) -> String {
    format!("{stack}-")
}

async fn observe(ctx: &ObserveCtx) -> Result<(), AwsError> {
    let listed = aws::list(&ctx.clients, &prefix(&ctx.stack_name)).await?;
    let wanted: BTreeMap<&str, &DesiredResource> = ctx
        .wanted()
        .map(|d| (d.physical_name.as_str(), d))
        .collect();
    let tagged: BTreeMap<&str, &Tagged> = ctx.tagged.iter().map(|t| (t.arn.as_str(), t)).collect();
    let mut reads = JoinSet::new();
    for mut alarm in listed {
        match tagged.get(alarm.arn.as_str()) {
            Some(found) if ctx.tags_as_wanted(found) => {
                insert_tag_props(&mut alarm.props, &found.tags);
                add(ctx, &wanted, alarm);
            }
            _ => {
                let clients = ctx.clients.clone();
                let name = alarm.name.clone();
                reads.spawn(async move { (name, aws::with_tags(&clients, alarm).await) });
            }
        }
    }
    while let Some(joined) = reads.join_next().await {
        let (name, read) = joined.map_err(join_error)?;
        // Tags that could not be read (after the SDK's retries) leave the alarm the spec wants
        // under that name unreadable for this plan, like any other read; one the spec does not
        // want is looked at again by the next plan.
        let read = match wanted.get(name.as_str()) {
            Some(want) => ctx.unreadable_if_transient(&want.id, read.map(Some))?,
            None => match read {
                Ok(alarm) => Some(alarm),
                Err(error) if error.kind.is_transient() => None,
                Err(error) => return Err(error),
            },
        };
        if let Some(alarm) = read {
            add(ctx, &wanted, alarm);
        }
    }
    Ok(())
}

/// An alarm whose tags are known: the stack's own by its tags, or, under a name the spec wants,
/// someone else's.
fn add(ctx: &ObserveCtx, wanted: &BTreeMap<&str, &DesiredResource>, alarm: aws::LiveAlarm) {
    let tag = |key: &str| match alarm.props.get(&format!("tags.{key}")) {
        Some(FieldValue::Known(serde_json::Value::String(v))) => Some(v.clone()),
        _ => None,
    };
    let id = if tag(TAG_STACK).as_deref() == Some(ctx.stack_name.as_str()) {
        tag(TAG_RESOURCE).and_then(|t| parse_id(&t))
    } else {
        None
    };
    // Someone else's alarm under a name the spec wants: a collision for the plan to report
    // (it is read as unowned), never something to overwrite.
    let id = id.or_else(|| wanted.get(alarm.name.as_str()).map(|d| d.id.clone()));
    let Some(id) = id else {
        return;
    };
    ctx.add_read(id, alarm.name, alarm.arn, alarm.props, None);
}
