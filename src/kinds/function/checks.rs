//! The Function kind's checks beyond its own document: the facts other documents' checks need, its
//! traffic assumptions and the checks that need the rest of the stack.

use super::wire::*;
use crate::model::*;
use crate::spec::kind::Check;
use crate::spec::load::Loaded;
use crate::spec::validate::{Entry, Validator};

pub(crate) fn entry_facts(v: &Validator<'_>, f: &Loaded<FunctionSpecWire>, entry: &mut Entry) {
    entry.timeout = f
        .document
        .spec
        .timeout
        .or(v.defaults.timeout)
        .unwrap_or(3)
        .clamp(0, u32::MAX as i64) as u32;
    entry.timeout_at = f.value("spec.timeout").or_else(|| f.origin());
}

pub(crate) fn traffic(c: Check<'_, '_, FunctionSpecWire>) -> Option<Traffic> {
    let Check { v, ctx, l } = c;
    let mut t = Traffic::default();
    let w = l.document.spec.traffic.as_ref()?;
    t.requests_per_month = w.requests_per_month.unwrap_or(0);
    t.average_duration_ms = v.traffic_number(ctx, "averageDurationMs", w.average_duration_ms, 0.0);
    t.log_bytes_per_invocation = v.traffic_number(
        ctx,
        "logBytesPerInvocation",
        w.log_bytes_per_invocation,
        crate::model::DEFAULT_LOG_BYTES_PER_INVOCATION,
    );
    t.provisioned_requests_per_month = w.provisioned_requests_per_month;
    t.provisioned_duration_ms = w
        .provisioned_duration_ms
        .map(|d| v.traffic_number(ctx, "provisionedDurationMs", Some(d), t.average_duration_ms));
    if w.provisioned_requests_per_month
        .is_some_and(|p| p > t.requests_per_month)
    {
        v.diagnostics.push(
                ctx.error(
                    "spec.traffic.provisionedRequestsPerMonth",
                    "more provisioned requests than requests in total",
                )
                .hint("provisionedRequestsPerMonth is the part of requestsPerMonth served by provisioned concurrency"),
            );
    }
    Some(t)
}

/// The values `sensitiveEnvironment` names (masked in the texts kept for snippets).
pub(crate) fn sensitive_values(l: &Loaded<FunctionSpecWire>) -> Vec<&str> {
    let spec = &l.document.spec;
    spec.sensitive_environment
        .iter()
        .filter_map(|key| match spec.environment.get(key) {
            Some(EnvValueWire::Literal(value)) => Some(value.as_str()),
            _ => None,
        })
        .collect()
}

/// A function against the rest of the stack: its resource policy's size, its triggers' queues.
pub(crate) fn cross_checks(c: Check<'_, '_, FunctionSpecWire>, stack: &Stack, resource: &Resource) {
    let Check { v, ctx, l } = c;
    let ResourceSpec::Function(function) = &resource.spec else {
        return;
    };
    // Each rule that targets the function and each API that routes to it is
    // one statement of its resource policy, which AWS caps at 20 KB.
    let own = Reference::Stack(resource.id.clone());
    let statements = stack
        .resources
        .iter()
        .filter(|r| match &r.spec {
            ResourceSpec::Rule(rule) => rule.targets.iter().any(|t| t.destination == own),
            ResourceSpec::Api(api) => api.routes.iter().any(|r| r.function == own),
            _ => false,
        })
        .count();
    if statements * crate::spec::validate::POLICY_STATEMENT_BYTES
        > crate::spec::validate::POLICY_LIMIT_BYTES
    {
        v.diagnostics.push(
            ctx.error(
                "metadata.name",
                format!(
                    "{statements} rules and APIs invoke this function; their permissions would pass the 20 KB AWS allows a function's resource policy (about {} statements)",
                    crate::spec::validate::POLICY_LIMIT_BYTES / crate::spec::validate::POLICY_STATEMENT_BYTES
                ),
            )
            .hint("route the events through fewer rules (one rule can match several patterns' events), or put a queue or a bus in between"),
        );
    }
    for (i, trigger) in function.triggers.iter().enumerate() {
        let Reference::Stack(queue) = &trigger.queue else {
            continue;
        };
        let Some(entry) = v.lookup(Kind::Queue, &queue.name) else {
            continue;
        };
        let (fifo, fifo_at, visibility_timeout, visibility_at) = (
            entry.fifo,
            entry.fifo_at.clone(),
            entry.visibility_timeout,
            entry.visibility_at.clone(),
        );
        let field = format!(
            "spec.triggers[{}]",
            original_trigger_index(l, &queue.name).unwrap_or(i)
        );
        if fifo && trigger.maximum_batching_window > 0 {
            let at = fifo_at.clone();
            v.diagnostics.push(
                ctx.error(&format!("{field}.maximumBatchingWindow"), format!("queue `{}` is FIFO, and Lambda does not support a batching window on FIFO queues", queue.name))
                    .hint("remove maximumBatchingWindow from this trigger")
                    .note(at, format!("Queue `{}` is FIFO here", queue.name)),
            );
        }
        if fifo && trigger.batch_size > 10 {
            let at = fifo_at.clone();
            v.diagnostics.push(
                ctx.error(&format!("{field}.batchSize"), format!("queue `{}` is FIFO, and Lambda reads at most 10 messages per batch from FIFO queues", queue.name))
                    .note(at, format!("Queue `{}` is FIFO here", queue.name)),
            );
        }
        if visibility_timeout < function.timeout {
            let at = visibility_at.clone();
            v.diagnostics.push(
                ctx.error(&format!("{field}.queue"), format!("queue `{}` has a visibility timeout of {} s, shorter than this function's timeout of {} s", queue.name, visibility_timeout, function.timeout))
                    .hint("Lambda refuses the trigger: messages would reappear while still being processed; AWS recommends 6× the function timeout")
                    .note(at, format!("Queue `{}` sets its visibility timeout here", queue.name)),
            );
        }
    }
}

fn original_trigger_index(l: &Loaded<FunctionSpecWire>, queue: &str) -> Option<usize> {
    l.document
        .spec
        .triggers
        .iter()
        .position(|t| t.queue == queue)
}
