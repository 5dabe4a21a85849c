//! The props a Queue's spec wants, written the way observation reads them back.

use serde_json::json;

use crate::kinds::desired::{queue_statement, reference_arn, rule_sources, Context};
use crate::model::{Queue, QueueEncryption, Reference, Resource, ResourceSpec, Stack};
use crate::plan::{FieldValue, Props};

pub(crate) fn queue_props(
    stack: &Stack,
    resource: &Resource,
    q: &Queue,
    ctx: &Context,
    props: &mut Props,
) {
    let queue_arn = ctx.arn("sqs", &resource.physical_name);
    for (_, source) in rule_sources(stack, ctx, &resource.id) {
        let statement = queue_statement(&queue_arn, &source);
        let sid = statement["Sid"].as_str().unwrap_or_default().to_string();
        props.insert(format!("permissions[{sid}]"), FieldValue::known(statement));
    }
    props.insert("fifo".into(), FieldValue::known(q.fifo));
    props.insert(
        "visibilityTimeout".into(),
        FieldValue::known(q.visibility_timeout),
    );
    props.insert(
        "messageRetentionPeriod".into(),
        FieldValue::known(q.message_retention_period),
    );
    props.insert("delaySeconds".into(), FieldValue::known(q.delay_seconds));
    props.insert(
        "maximumMessageSize".into(),
        FieldValue::known(q.maximum_message_size),
    );
    props.insert(
        "receiveMessageWaitTime".into(),
        FieldValue::known(q.receive_message_wait_time),
    );
    if q.fifo {
        props.insert(
            "contentBasedDeduplication".into(),
            FieldValue::known(q.content_based_deduplication),
        );
        props.insert(
            "deduplicationScope".into(),
            FieldValue::known(
                q.deduplication_scope
                    .clone()
                    .unwrap_or_else(|| "queue".into()),
            ),
        );
        props.insert(
            "fifoThroughputLimit".into(),
            FieldValue::known(
                q.fifo_throughput_limit
                    .clone()
                    .unwrap_or_else(|| "perQueue".into()),
            ),
        );
    }
    match &q.encryption {
        QueueEncryption::None => {
            props.insert("sqsManagedSse".into(), FieldValue::known(false));
        }
        QueueEncryption::SqsManaged => {
            props.insert("sqsManagedSse".into(), FieldValue::known(true));
        }
        QueueEncryption::Kms {
            key_id,
            data_key_reuse_period,
        } => {
            props.insert("sqsManagedSse".into(), FieldValue::known(false));
            props.insert("kmsMasterKeyId".into(), FieldValue::known(key_id.clone()));
            props.insert(
                "kmsDataKeyReusePeriod".into(),
                FieldValue::known(*data_key_reuse_period),
            );
        }
    }
    if let Some(dlq) = &q.dead_letter {
        props.insert(
            "deadLetter.queue".into(),
            reference_arn(stack, ctx, &dlq.queue),
        );
        props.insert(
            "deadLetter.maxReceiveCount".into(),
            FieldValue::known(dlq.max_receive_count),
        );
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
        props.insert(
            "redriveAllow.sourceQueueArns".into(),
            FieldValue::known(json!(sources)),
        );
    }
}
