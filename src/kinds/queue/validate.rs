//! Validation of a Queue document: its wire spec to the domain type.

use super::wire::{DeduplicationScopeWire, FifoThroughputLimitWire, QueueSpecWire};
use crate::model::{Kind, Queue, QueueDeadLetter, QueueEncryption, Reference};
use crate::spec::kind::Check;
use crate::spec::validate::within;

/// Check a Queue document's spec and build its domain type; problems go to `v`'s diagnostics.
pub(crate) fn validate(c: Check<'_, '_, QueueSpecWire>) -> Option<Queue> {
    let Check { v, ctx, l } = c;
    let s = &l.document.spec;
    let fifo = s.fifo.unwrap_or(false);
    if !fifo {
        for (field, present) in [
            (
                "spec.contentBasedDeduplication",
                s.content_based_deduplication.is_some(),
            ),
            ("spec.deduplicationScope", s.deduplication_scope.is_some()),
            (
                "spec.fifoThroughputLimit",
                s.fifo_throughput_limit.is_some(),
            ),
        ] {
            if present {
                v.diagnostics.push(
                    ctx.key_error(
                        field,
                        format!(
                            "`{}` applies to FIFO queues only",
                            field.trim_start_matches("spec.")
                        ),
                    )
                    .hint("set `fifo: true`, or remove the field"),
                );
            }
        }
    }
    if s.fifo_throughput_limit == Some(FifoThroughputLimitWire::PerMessageGroupId)
        && s.deduplication_scope == Some(DeduplicationScopeWire::Queue)
    {
        v.diagnostics.push(
            ctx.error(
                "spec.fifoThroughputLimit",
                "high-throughput FIFO (perMessageGroupId) needs deduplicationScope: messageGroup",
            )
            .note(
                ctx.at("spec.deduplicationScope"),
                "deduplicationScope is set here",
            ),
        );
    }
    let encryption = match (s.sqs_managed_sse, &s.kms_master_key_id) {
        (Some(true), Some(_)) => {
            v.diagnostics.push(
                ctx.error(
                    "spec.sqsManagedSse",
                    "choose one encryption: sqsManagedSse or kmsMasterKeyId",
                )
                .note(ctx.at("spec.kmsMasterKeyId"), "kmsMasterKeyId is set here"),
            );
            QueueEncryption::SqsManaged
        }
        (_, Some(key)) => QueueEncryption::Kms {
            key_id: key.clone(),
            data_key_reuse_period: v.int(
                ctx,
                "spec.kmsDataKeyReusePeriod",
                s.kms_data_key_reuse_period,
                within(300, 60, 86400, " s"),
            ),
        },
        (Some(false), None) => QueueEncryption::None,
        (None | Some(true), None) => QueueEncryption::SqsManaged,
    };
    let dead_letter = s.dead_letter.as_ref().and_then(|d| {
        let queue = v.reference(ctx, "spec.deadLetter.queue", &d.queue, &[Kind::Queue])?;
        let max_receive_count = v.int(
            ctx,
            "spec.deadLetter.maxReceiveCount",
            Some(d.max_receive_count),
            within(5, 1, 1000, ""),
        );
        Some(QueueDeadLetter {
            queue,
            max_receive_count,
        })
    });
    if let Some(QueueDeadLetter {
        queue: Reference::Stack(target),
        ..
    }) = &dead_letter
    {
        let own = &l.document.metadata.name;
        if &target.name == own {
            v.diagnostics.push(ctx.error(
                "spec.deadLetter.queue",
                "a queue cannot be its own dead-letter queue",
            ));
        } else if let Some(entry) = v.lookup(Kind::Queue, &target.name) {
            if entry.fifo != fifo {
                let (this, that) = if fifo {
                    ("FIFO", "standard")
                } else {
                    ("standard", "FIFO")
                };
                v.diagnostics.push(
                    ctx.error("spec.deadLetter.queue", format!("the dead-letter queue of a {this} queue must also be {this}, but `{}` is {that}", target.name))
                        .note(entry.fifo_at.clone(), format!("Queue `{}` is defined here", target.name)),
                );
            }
        }
    }
    let alarms = crate::kinds::alarm::validate::of_resource(v, ctx, s);
    // SQS's defaults and ranges for the integer attributes (SetQueueAttributes): a table,
    // aligned by hand.
    #[rustfmt::skip]
    let [visibility_timeout, message_retention_period, delay_seconds, maximum_message_size, receive_message_wait_time] = [
        ("spec.visibilityTimeout",      s.visibility_timeout,        within(30, 0, 43_200, " s")),
        ("spec.messageRetentionPeriod", s.message_retention_period,  within(345_600, 60, 1_209_600, " s")),
        ("spec.delaySeconds",           s.delay_seconds,             within(0, 0, 900, " s")),
        ("spec.maximumMessageSize",     s.maximum_message_size,      within(262_144, 1024, 1_048_576, " bytes")),
        ("spec.receiveMessageWaitTime", s.receive_message_wait_time, within(0, 0, 20, " s")),
    ]
    .map(|(field, value, range)| v.int(ctx, field, value, range));
    Some(Queue {
        alarms,
        fifo,
        content_based_deduplication: s.content_based_deduplication.unwrap_or(false),
        deduplication_scope: s.deduplication_scope.map(|d| d.as_str().to_string()),
        fifo_throughput_limit: s.fifo_throughput_limit.map(|l| l.as_str().to_string()),
        visibility_timeout,
        message_retention_period,
        delay_seconds,
        maximum_message_size,
        receive_message_wait_time,
        encryption,
        dead_letter,
        restrict_redrive_sources: s.restrict_redrive_sources.unwrap_or(false),
    })
}

/// What a queue refers to: its dead-letter queue.
pub(crate) fn references(q: &Queue) -> Vec<&Reference> {
    q.dead_letter.iter().map(|d| &d.queue).collect()
}
