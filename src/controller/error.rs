//! Why a reconcile failed, typed so that the work queue can tell a failure that passes by itself
//! (AWS throttling, a source out of reach, a lost lease) from one that only a change can fix (an
//! invalid spec, a policy that denies the plan). The texts are the ones status, logs and
//! `ReconcileFailed` events have always shown.

use std::fmt;

use crate::apply::{ActionReport, Outcome};
use crate::aws::error::AwsError;
use crate::engine::EngineError;
use crate::source::SourceError;

use super::lease::FenceError;
use super::queue::Retry;

/// A failed reconcile of one stack.
#[derive(Debug)]
pub enum ReconcileError {
    /// The source could not be read or holds nothing usable, and no earlier revision was good.
    Source(SourceError),
    /// The revision's specs do not validate, and no earlier revision was good to fall back on.
    InvalidSpec {
        revision: String,
        /// The diagnostics as `slsctl validate` renders them (file:line:column, hints).
        diagnostics: String,
    },
    /// Observing AWS or building the plan failed.
    Prepare(EngineError),
    /// The stack's policies could not be loaded or evaluated.
    Policy(String),
    /// The plan has refusals (a policy denial, a change the safety options do not allow).
    Refused(Vec<String>),
    /// This replica may not mutate: it lost the lease, or did not renew it in time.
    Fenced(FenceError),
    /// Part of the plan was not applied: actions failed, or AWS did not answer for resources.
    Incomplete(Vec<String>),
}

impl fmt::Display for ReconcileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReconcileError::Source(e) => write!(f, "{e}"),
            ReconcileError::InvalidSpec {
                revision,
                diagnostics,
            } => write!(
                f,
                "revision {revision} is invalid; nothing of it is applied:\n{diagnostics}"
            ),
            ReconcileError::Prepare(e) => write!(f, "{e}"),
            ReconcileError::Policy(why) => f.write_str(why),
            ReconcileError::Refused(why) => write!(f, "plan refused: {}", why.join("; ")),
            ReconcileError::Fenced(e) => write!(f, "{e}"),
            ReconcileError::Incomplete(failed) => write!(f, "apply failed: {}", failed.join("; ")),
        }
    }
}

impl std::error::Error for ReconcileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReconcileError::Prepare(EngineError::Aws(e)) => Some(e),
            ReconcileError::Fenced(e) => Some(e),
            _ => None,
        }
    }
}

impl ReconcileError {
    /// When the stack is worth trying again. Throttling, network trouble, a conflicting change
    /// in progress, a source out of reach: soon, with exponential backoff. A spec that does not
    /// validate, a policy that denies, credentials for the wrong account, a request AWS refuses
    /// as invalid: the same revision would fail the same way, so only after the longest backoff
    /// (a new revision is still picked up at the next poll or push).
    pub fn retry(&self) -> Retry {
        match self {
            ReconcileError::Source(SourceError::Unreachable(_)) => Retry::Backoff,
            ReconcileError::Source(SourceError::Empty(_) | SourceError::Invalid(_)) => {
                Retry::AfterChange
            }
            ReconcileError::InvalidSpec { .. } => Retry::AfterChange,
            ReconcileError::Prepare(EngineError::Aws(e)) => aws_retry(e),
            // Credentials for another account, packaging (a handler file missing), a cycle.
            ReconcileError::Prepare(EngineError::WrongAccount { .. } | EngineError::Other(_)) => {
                Retry::AfterChange
            }
            ReconcileError::Policy(_) | ReconcileError::Refused(_) => Retry::AfterChange,
            // Another replica leads now, or this one renews again shortly.
            ReconcileError::Fenced(_) => Retry::Backoff,
            // Each failed action has been retried by the SDK already; what is left (AWS not
            // answering, a resource in transition) is worth another try soon.
            ReconcileError::Incomplete(_) => Retry::Backoff,
        }
    }

    /// The `outcome` label of the reconcile duration histogram: a few fixed words, so that the
    /// label's values stay bounded whatever the message.
    pub fn outcome(&self) -> &'static str {
        match self {
            ReconcileError::Source(_) => "source_error",
            ReconcileError::InvalidSpec { .. } => "invalid_spec",
            ReconcileError::Prepare(EngineError::Aws(e)) if e.kind.is_transient() => {
                "aws_transient"
            }
            ReconcileError::Prepare(EngineError::Aws(_)) => "aws_error",
            ReconcileError::Prepare(_) => "prepare_error",
            ReconcileError::Policy(_) | ReconcileError::Refused(_) => "refused",
            ReconcileError::Fenced(_) => "fenced",
            ReconcileError::Incomplete(_) => "incomplete",
        }
    }
}

/// Transient AWS errors (throttling, conflicts, network, 5xx) back off; the others (access
/// denied, a request AWS refuses as invalid, a missing resource) need someone to change
/// something first.
fn aws_retry(error: &AwsError) -> Retry {
    if error.kind.is_transient() {
        Retry::Backoff
    } else {
        Retry::AfterChange
    }
}

/// The actions of an apply that did not complete, one line each for `Incomplete`: the resource
/// and why, as the apply report words it (a failure's message already carries its hint).
pub fn unapplied(actions: &[ActionReport]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match &a.outcome {
            Outcome::Done => None,
            Outcome::Failed(why) => Some(format!("{}: failed: {why}", a.id)),
            Outcome::Skipped(why) => Some(format!("{}: skipped: {why}", a.id)),
        })
        .collect()
}

/// `Controller::run` could not start or go on.
#[derive(Debug)]
pub enum RunError {
    /// The lease table could not be made sure of (AWS unreachable, no permission).
    Lease(AwsError),
    /// The pool of reconcile permits closed under the loop (never expected).
    Permits(tokio::sync::AcquireError),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Lease(e) => write!(f, "{e}"),
            RunError::Permits(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for RunError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RunError::Lease(e) => Some(e),
            RunError::Permits(e) => Some(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::error::ErrorKind;

    fn aws(kind: ErrorKind, code: &str) -> ReconcileError {
        ReconcileError::Prepare(EngineError::Aws(AwsError {
            operation: "ListTagsForResource",
            kind,
            code: Some(code.into()),
            message: "Rate exceeded".into(),
            cause: None,
            attempts: None,
        }))
    }

    #[test]
    fn throttling_and_other_transient_aws_errors_back_off() {
        for (kind, code) in [
            (ErrorKind::Throttled, "ThrottlingException"),
            (ErrorKind::Conflict, "ResourceConflictException"),
            (ErrorKind::Other, "ServiceUnavailable"),
        ] {
            let error = aws(kind, code);
            assert_eq!(error.retry(), Retry::Backoff, "{code}");
            assert_eq!(error.outcome(), "aws_transient", "{code}");
        }
        let unreachable = ReconcileError::Source(SourceError::Unreachable("timeout".into()));
        assert_eq!(unreachable.retry(), Retry::Backoff);
        assert_eq!(
            ReconcileError::Incomplete(vec!["queue/jobs: failed".into()]).retry(),
            Retry::Backoff
        );
        assert_eq!(
            ReconcileError::Fenced(FenceError::NotHeld).retry(),
            Retry::Backoff
        );
    }

    #[test]
    fn a_bad_spec_or_a_refusal_waits_for_a_change() {
        let invalid = ReconcileError::InvalidSpec {
            revision: "abc123".into(),
            diagnostics: "queue.yaml:4:7: unknown field `delaySecond`".into(),
        };
        assert_eq!(invalid.retry(), Retry::AfterChange);
        assert_eq!(invalid.outcome(), "invalid_spec");
        for error in [
            ReconcileError::Source(SourceError::Empty("no spec".into())),
            ReconcileError::Source(SourceError::Invalid("key escapes".into())),
            ReconcileError::Policy("policy.rego:3: parse error".into()),
            ReconcileError::Refused(vec!["policy: denied".into()]),
            ReconcileError::Prepare(EngineError::WrongAccount {
                stack: "s".into(),
                pinned: "111111111111".into(),
                actual: "222222222222".into(),
            }),
            ReconcileError::Prepare(EngineError::Other("function/api: no such file".into())),
            aws(ErrorKind::AccessDenied, "AccessDeniedException"),
            aws(ErrorKind::Validation, "InvalidParameterValueException"),
        ] {
            assert_eq!(error.retry(), Retry::AfterChange, "{error}");
        }
    }

    #[test]
    fn an_incomplete_apply_names_each_action_and_why_in_plain_words() {
        use crate::model::{Kind, ResourceId};
        use crate::plan::ActionKind;
        let action = |name: &str, outcome: Outcome| ActionReport {
            id: ResourceId::new(Kind::Queue, name),
            action: ActionKind::Create,
            outcome,
            seconds: 0.1,
        };
        let lines = unapplied(&[
            action("done", Outcome::Done),
            action("jobs", Outcome::Failed("AWS said \"no\"\nhint: ask".into())),
            action(
                "dlq",
                Outcome::Skipped("depends on Queue/jobs, which failed".into()),
            ),
        ]);
        assert_eq!(
            lines,
            [
                "Queue/jobs: failed: AWS said \"no\"\nhint: ask",
                "Queue/dlq: skipped: depends on Queue/jobs, which failed"
            ]
        );
        assert_eq!(
            ReconcileError::Incomplete(lines).to_string(),
            "apply failed: Queue/jobs: failed: AWS said \"no\"\nhint: ask; Queue/dlq: skipped: depends on Queue/jobs, which failed"
        );
    }

    #[test]
    fn messages_are_the_texts_status_has_always_shown() {
        let invalid = ReconcileError::InvalidSpec {
            revision: "abc123".into(),
            diagnostics: "error: unknown field".into(),
        };
        assert_eq!(
            invalid.to_string(),
            "revision abc123 is invalid; nothing of it is applied:\nerror: unknown field"
        );
        assert_eq!(
            ReconcileError::Source(SourceError::Empty("no spec under stacks/s/".into()))
                .to_string(),
            "source empty: no spec under stacks/s/"
        );
        assert_eq!(
            ReconcileError::Refused(vec!["a".into(), "b".into()]).to_string(),
            "plan refused: a; b"
        );
        assert_eq!(
            ReconcileError::Incomplete(vec!["queue/jobs: failed".into()]).to_string(),
            "apply failed: queue/jobs: failed"
        );
        assert_eq!(
            ReconcileError::Fenced(FenceError::NotHeld).to_string(),
            "this replica does not hold the lease"
        );
    }
}
