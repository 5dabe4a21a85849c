//! The props a Queue's spec wants, written the way observation reads them back.

use std::collections::BTreeSet;

use crate::kinds::desired::Wanted;
use serde_json::json;

use crate::kinds::desired::{queue_statement, reference_arn, rule_sources};
use crate::model::{Queue, QueueEncryption, Reference, ResourceSpec};
use crate::plan::{Props, SetProp};

/// The props the spec wants for one Queue, ownership tags aside.
pub(crate) fn props(w: &Wanted<'_, Queue>, props: &mut Props, _sensitive: &mut BTreeSet<String>) {
    let Wanted {
        stack,
        resource,
        model: q,
        ctx,
    } = *w;
    let queue_arn = ctx.arn("sqs", &resource.physical_name);
    for (_, source) in rule_sources(stack, ctx, &resource.id) {
        let statement = queue_statement(&queue_arn, &source);
        let sid = statement["Sid"].as_str().unwrap_or_default().to_string();
        props.set(format!("permissions[{sid}]"), statement);
    }
    // The attributes every queue has, and those only a FIFO queue has, as they are read back.
    let mut attributes = vec![
        ("fifo", json!(q.fifo)),
        ("visibilityTimeout", json!(q.visibility_timeout)),
        ("messageRetentionPeriod", json!(q.message_retention_period)),
        ("delaySeconds", json!(q.delay_seconds)),
        ("maximumMessageSize", json!(q.maximum_message_size)),
        ("receiveMessageWaitTime", json!(q.receive_message_wait_time)),
    ];
    if q.fifo {
        let scope = q.deduplication_scope.as_deref().unwrap_or("queue");
        let throughput = q.fifo_throughput_limit.as_deref().unwrap_or("perQueue");
        attributes.extend([
            (
                "contentBasedDeduplication",
                json!(q.content_based_deduplication),
            ),
            ("deduplicationScope", json!(scope)),
            ("fifoThroughputLimit", json!(throughput)),
        ]);
    }
    for (field, value) in attributes {
        props.set(field, value);
    }
    match &q.encryption {
        QueueEncryption::None => {
            props.set("sqsManagedSse", false);
        }
        QueueEncryption::SqsManaged => {
            props.set("sqsManagedSse", true);
        }
        QueueEncryption::Kms {
            key_id,
            data_key_reuse_period,
        } => {
            props.set("sqsManagedSse", false);
            props.set("kmsMasterKeyId", key_id.clone());
            props.set("kmsDataKeyReusePeriod", *data_key_reuse_period);
        }
    }
    if let Some(dlq) = &q.dead_letter {
        props.insert(
            "deadLetter.queue".into(),
            reference_arn(stack, ctx, &dlq.queue),
        );
        props.set("deadLetter.maxReceiveCount", dlq.max_receive_count);
    }
    // The redrive-allow policy of a dead-letter queue names exactly the stack's queues that use it.
    if !q.restrict_redrive_sources {
        return;
    }
    let own = Reference::Stack(resource.id.clone());
    let mut sources: Vec<String> = stack
        .resources
        .iter()
        .filter_map(|r| match &r.spec {
            ResourceSpec::Queue(other)
                if other.dead_letter.as_ref().is_some_and(|d| d.queue == own) =>
            {
                Some(ctx.arn("sqs", &r.physical_name))
            }
            _ => None,
        })
        .collect();
    if !sources.is_empty() {
        sources.sort();
        props.set("redriveAllow.sourceQueueArns", json!(sources));
    }
}
