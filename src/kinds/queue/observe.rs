//! Observing queues: one GetQueueAttributes each, and the redrive each points at a dead-letter
//! queue with.

use super::aws as sqs;
use crate::aws::AwsError;
use crate::kinds::desired::{arn_name, queue_url_from_arn};
use crate::kinds::observe::{ObserveCtx, Observer};
use crate::plan::Referrer;

/// How the observation driver reads queues.
pub(crate) static OBSERVER: Observer = Observer {
    tagged_types: &["sqs"],
    observe: |ctx| Box::pin(observe(ctx)),
};

async fn observe(ctx: &ObserveCtx) -> Result<(), AwsError> {
    let queues = ctx
        .read_each(
            |arn| arn.starts_with("arn:") && arn.contains(":sqs:"),
            |clients, tagged| {
                // Tags that look changed are read again from SQS itself (see `tags_as_wanted`).
                let tags = ctx.tags_as_wanted(&tagged).then_some(tagged.tags);
                async move {
                    let Some(url) = queue_url_from_arn(&tagged.arn) else {
                        return Ok(None);
                    };
                    sqs::get_queue(&clients, &url, tags).await
                }
            },
            |clients, want| async move {
                let Some(url) = sqs::get_queue_url(&clients, &want.physical_name).await? else {
                    return Ok(None);
                };
                sqs::get_queue(&clients, &url, None).await
            },
        )
        .await?;
    for (_, q) in &queues {
        if let Some(target) = &q.dead_letter_arn {
            ctx.refer(
                target.clone(),
                Referrer {
                    what: format!("the redrive of {}", arn_name(&q.arn)),
                    arn: q.arn.clone(),
                },
            );
        }
    }
    for (id, q) in queues {
        ctx.record(|observed| {
            observed.queue_urls.insert(id.clone(), q.url.clone());
        });
        let name = arn_name(&q.arn).to_string();
        ctx.add_read(id, name, q.arn, q.props, Some(q.messages));
    }
    Ok(())
}
