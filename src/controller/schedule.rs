//! Why each reconcile runs, and what each stack's source last showed.
//!
//! A poll of a source is cheap (one `git ls-remote` or one S3 listing); a reconcile re-reads the
//! whole stack from AWS. So a poll queues its stack only when the source shows something new: a
//! revision, or an error, other than the one it showed before (see [`Schedule::saw`]). AWS is
//! re-read at the resync interval, when an event names one of the stack's resources, after a
//! failed reconcile (backoff), and on request. Each reconcile is counted under its reason, with
//! the AWS calls it made, for `/metrics`.
//!
//! Reconcile itself stays level-triggered: the reason is recorded and counted, never consulted.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

/// Why a stack was reconciled (the `reason` label of the metrics).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    /// A poll found a new revision of the source (or a change in its error).
    Poll,
    /// The periodic full re-read of AWS (`resyncSeconds`).
    Resync,
    /// A CloudTrail event named one of the stack's resources.
    Event,
    /// The previous reconcile failed; this is its backoff requeue.
    Retry,
    /// Asked for: `slsctl reconcile`, `POST /api/stacks/NAME/reconcile`, or a library caller.
    Manual,
    /// A signed GitHub push, once the webhook's handler (`http.rs`) asks with
    /// `request_because(…, Reason::Webhook)`; until then it calls `request` and counts as
    /// `manual`.
    Webhook,
    /// This replica started, became the leader, or took the stack over: it queues what it now
    /// holds.
    Leader,
}

impl Reason {
    pub const ALL: [Reason; 7] = [
        Reason::Poll,
        Reason::Resync,
        Reason::Event,
        Reason::Retry,
        Reason::Manual,
        Reason::Webhook,
        Reason::Leader,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Poll => "poll",
            Reason::Resync => "resync",
            Reason::Event => "event",
            Reason::Retry => "retry",
            Reason::Manual => "manual",
            Reason::Webhook => "webhook",
            Reason::Leader => "leader",
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a stack's source showed when it was last read: a revision, or why it could not be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seen {
    Revision(String),
    Error(String),
}

/// Counts by reason, read by `/metrics`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Reconciles run, by reason.
    pub reconciles: BTreeMap<Reason, u64>,
    /// AWS calls those reconciles made, by reason.
    pub calls: BTreeMap<Reason, u64>,
    /// Source polls made (each one `ls-remote` or one listing).
    pub polls: u64,
}

#[derive(Default)]
struct Inner {
    /// The reason each queued stack will run for: the first recorded since its last run began.
    pending: HashMap<String, Reason>,
    seen: HashMap<String, Seen>,
    counts: Counts,
}

/// Per-stack reasons and source observations; see the module's doc.
#[derive(Default)]
pub struct Schedule(Mutex<Inner>);

impl Schedule {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `stack` was queued for `reason`. The first reason since its last run began is kept:
    /// a stack queued by an event and then by a resync before it runs is one run, counted once.
    pub fn want(&self, stack: &str, reason: Reason) {
        self.lock()
            .pending
            .entry(stack.to_string())
            .or_insert(reason);
    }

    /// The reason `stack` runs for now (cleared: whatever queues it from here on is the next
    /// run's reason). None when nothing recorded one: a backoff requeue, or a queue-all.
    pub fn take(&self, stack: &str) -> Option<Reason> {
        self.lock().pending.remove(stack)
    }

    /// The source of `stack` shows `now`: whether that differs from what it showed before. A
    /// first look does not count as a change: every stack is queued when the controller starts
    /// (and when a replica becomes leader), and that reconcile reads the source itself. Polls
    /// queue a reconcile only on a change; a reconcile that fetched the source records what it
    /// saw too, so the next poll does not queue it again.
    pub fn saw(&self, stack: &str, now: Seen) -> bool {
        let mut inner = self.lock();
        let before = inner.seen.insert(stack.to_string(), now.clone());
        before.is_some_and(|before| before != now)
    }

    pub fn polled(&self) {
        self.lock().counts.polls += 1;
    }

    /// A reconcile for `reason` ended, having made `calls` AWS calls.
    pub fn reconciled(&self, reason: Reason, calls: u64) {
        let mut inner = self.lock();
        *inner.counts.reconciles.entry(reason).or_default() += 1;
        *inner.counts.calls.entry(reason).or_default() += calls;
    }

    pub fn counts(&self) -> Counts {
        self.lock().counts.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poll_queues_only_what_differs_from_the_last_look() {
        let s = Schedule::default();
        assert!(
            !s.saw("a", Seen::Revision("1".into())),
            "a first look: the start queues it anyway"
        );
        assert!(!s.saw("a", Seen::Revision("1".into())));
        assert!(s.saw("a", Seen::Error("unreachable".into())));
        assert!(
            !s.saw("a", Seen::Error("unreachable".into())),
            "the same error"
        );
        assert!(s.saw("a", Seen::Revision("1".into())), "back from an error");
        assert!(s.saw("a", Seen::Revision("2".into())));
        assert!(!s.saw("b", Seen::Revision("2".into())), "per stack");
        assert!(s.saw("b", Seen::Revision("3".into())));
    }

    #[test]
    fn the_first_reason_since_the_run_began_is_the_run_s_reason() {
        let s = Schedule::default();
        s.want("a", Reason::Event);
        s.want("a", Reason::Resync);
        assert_eq!(s.take("a"), Some(Reason::Event));
        assert_eq!(s.take("a"), None);
        s.want("a", Reason::Resync);
        assert_eq!(s.take("a"), Some(Reason::Resync));
        s.reconciled(Reason::Event, 7);
        s.reconciled(Reason::Event, 3);
        s.reconciled(Reason::Resync, 5);
        let counts = s.counts();
        assert_eq!(counts.reconciles[&Reason::Event], 2);
        assert_eq!(counts.calls[&Reason::Event], 10);
        assert_eq!(counts.calls[&Reason::Resync], 5);
    }
}
