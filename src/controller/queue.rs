//! The controller's work queue, after kube-runtime's scheduler and runner.
//!
//! Guarantees: a key is queued at most once (adding it again keeps the earliest due time); a key
//! is handed out to one worker at a time (a key added while it runs is queued again for after);
//! failures come back as a requeue with exponential backoff and jitter, never a retry loop; a
//! failure that only a change can fix waits the longest backoff, and a poll does not cut a
//! backoff short (a trigger does).
//! Assumptions: keys are cheap to clone; callers bound global concurrency themselves (a
//! semaphore around `next`). Caveat: time is tokio's, so tests can pause it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::Hash;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// Backoff after consecutive failures: `base × 2^(n-1)`, at most `max`, times a jitter in
/// [0.5, 1.5) so that stacks failing together do not retry together.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_secs(5),
            max: Duration::from_secs(300),
        }
    }
}

impl Backoff {
    pub fn delay(&self, failures: u32, jitter: f64) -> Duration {
        let exponent = failures.saturating_sub(1).min(20);
        let raw = self.base.saturating_mul(1u32 << exponent).min(self.max);
        raw.mul_f64(0.5 + jitter.clamp(0.0, 1.0))
    }

    /// The wait after a failure that retrying cannot fix: `max`, with the same jitter.
    pub fn longest(&self, jitter: f64) -> Duration {
        self.max.mul_f64(0.5 + jitter.clamp(0.0, 1.0))
    }
}

/// When a failed key is worth running again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// The failure may pass by itself (throttling, a network error): after an exponential
    /// backoff, which polls do not cut short.
    Backoff,
    /// The same input fails the same way (an invalid spec, a denied plan): after the longest
    /// backoff, or sooner when anything queues the key again (a poll that may bring a new
    /// revision, a push, a manual trigger).
    AfterChange,
}

impl std::fmt::Display for Retry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Retry::Backoff => "exponential backoff",
            Retry::AfterChange => "after a change, or the longest backoff",
        })
    }
}

/// How the run of a key ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Run {
    Succeeded,
    Failed(Retry),
}

struct State<K> {
    due: HashMap<K, Instant>,
    running: HashSet<K>,
    /// Added while running: queued again when the run ends.
    again: HashMap<K, Instant>,
    failures: HashMap<K, u32>,
    /// Keys waiting out an exponential backoff, until when: polls leave them alone.
    backing_off: HashMap<K, Instant>,
    seed: u64,
}

pub struct WorkQueue<K> {
    state: Mutex<State<K>>,
    changed: Notify,
    backoff: Backoff,
}

impl<K: Clone + Eq + Hash + Ord> WorkQueue<K> {
    pub fn new(backoff: Backoff) -> Self {
        WorkQueue {
            state: Mutex::new(State {
                due: HashMap::new(),
                running: HashSet::new(),
                again: HashMap::new(),
                failures: HashMap::new(),
                backing_off: HashMap::new(),
                seed: 0x9E37_79B9_7F4A_7C15,
            }),
            changed: Notify::new(),
            backoff,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State<K>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queue `key` to run at `at` (or earlier, if it is already queued for earlier).
    pub fn add_at(&self, key: K, at: Instant) {
        let mut state = self.lock();
        let slot = if state.running.contains(&key) {
            state.again.entry(key).or_insert(at)
        } else {
            state.due.entry(key).or_insert(at)
        };
        if at < *slot {
            *slot = at;
        }
        drop(state);
        self.changed.notify_waiters();
        self.changed.notify_one();
    }

    pub fn add(&self, key: K) {
        self.add_at(key, Instant::now());
    }

    /// Queue `key` now, as a periodic poll does; unless it is waiting out a backoff after a
    /// transient failure, which a poll every interval would otherwise cut short (a throttled
    /// stack would be retried at every poll). `add` (a push, a manual trigger) always queues.
    /// Whether it was queued.
    pub fn poll(&self, key: K) -> bool {
        let now = Instant::now();
        let backing_off = self
            .lock()
            .backing_off
            .get(&key)
            .is_some_and(|until| *until > now);
        if !backing_off {
            self.add_at(key, now);
        }
        !backing_off
    }

    /// Keys waiting (not running), for the queue-depth metric.
    pub fn depth(&self) -> usize {
        self.lock().due.len()
    }

    /// The next due key that is not running; waits until there is one.
    pub async fn next(&self) -> K {
        loop {
            let notified = self.changed.notified();
            let wait_until = {
                let mut state = self.lock();
                let now = Instant::now();
                // Earliest due first; ties by key so that the order is deterministic.
                let earliest: BTreeMap<(Instant, K), ()> = state
                    .due
                    .iter()
                    .map(|(k, t)| ((*t, k.clone()), ()))
                    .collect();
                match earliest.keys().next() {
                    Some((at, key)) if *at <= now => {
                        let key = key.clone();
                        state.due.remove(&key);
                        state.running.insert(key.clone());
                        return key;
                    }
                    Some((at, _)) => Some(*at),
                    None => None,
                }
            };
            match wait_until {
                Some(at) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(at) => {}
                        _ = notified => {}
                    }
                }
                None => notified.await,
            }
        }
    }

    /// The run of `key` ended. A failure requeues it after a backoff (exponential, or the
    /// longest for one that needs a change); a success clears its failure count. A key added
    /// while it ran is queued again either way.
    pub fn done(&self, key: &K, run: Run) {
        let mut state = self.lock();
        state.running.remove(key);
        state.backing_off.remove(key);
        let mut next = state.again.remove(key);
        if let Run::Failed(retry) = run {
            let failures = {
                let n = state.failures.entry(key.clone()).or_insert(0);
                *n += 1;
                *n
            };
            // xorshift: jitter needs spread, not secrecy.
            state.seed ^= state.seed << 13;
            state.seed ^= state.seed >> 7;
            state.seed ^= state.seed << 17;
            let jitter = (state.seed >> 11) as f64 / (1u64 << 53) as f64;
            let at = match retry {
                Retry::Backoff => {
                    let at = Instant::now() + self.backoff.delay(failures, jitter);
                    state.backing_off.insert(key.clone(), at);
                    at
                }
                Retry::AfterChange => Instant::now() + self.backoff.longest(jitter),
            };
            next = Some(next.map_or(at, |t| t.max(at)));
        } else {
            state.failures.remove(key);
        }
        if let Some(at) = next {
            let slot = state.due.entry(key.clone()).or_insert(at);
            if at < *slot {
                *slot = at;
            }
        }
        drop(state);
        self.changed.notify_waiters();
        self.changed.notify_one();
    }

    /// Consecutive failures of `key` (for status).
    pub fn failures(&self, key: &K) -> u32 {
        self.lock().failures.get(key).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue() -> WorkQueue<String> {
        WorkQueue::new(Backoff {
            base: Duration::from_secs(1),
            max: Duration::from_secs(60),
        })
    }

    /// A queue whose one key, `a`, has just run and failed with `retry`; and when it failed.
    async fn failed_once(retry: Retry) -> (WorkQueue<String>, Instant) {
        let q = queue();
        q.add("a".into());
        let key = q.next().await;
        let failed_at = Instant::now();
        q.done(&key, Run::Failed(retry));
        (q, failed_at)
    }

    #[tokio::test(start_paused = true)]
    async fn a_key_is_queued_once_with_its_earliest_time() {
        let q = queue();
        let now = Instant::now();
        q.add_at("a".into(), now + Duration::from_secs(10));
        q.add_at("a".into(), now + Duration::from_secs(2));
        q.add_at("a".into(), now + Duration::from_secs(5));
        assert_eq!(q.depth(), 1);
        let key = q.next().await;
        assert_eq!(key, "a");
        assert_eq!(Instant::now() - now, Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn a_running_key_is_not_handed_out_twice_and_runs_again_after() {
        let q = queue();
        q.add("a".into());
        let first = q.next().await;
        q.add("a".into());
        assert_eq!(q.depth(), 0, "queued for after the run, not beside it");
        let second = tokio::time::timeout(Duration::from_secs(30), q.next()).await;
        assert!(second.is_err(), "the same key never runs twice at once");
        q.done(&first, Run::Succeeded);
        assert_eq!(q.next().await, "a");
    }

    #[tokio::test(start_paused = true)]
    async fn failures_back_off_exponentially_and_success_resets() {
        let q = queue();
        q.add("a".into());
        let mut key = q.next().await;
        // Base 1 s: the n-th failure waits 2^(n-1) s times a jitter in [0.5, 1.5).
        for n in 0..4u32 {
            let failed_at = Instant::now();
            q.done(&key, Run::Failed(Retry::Backoff));
            key = q.next().await;
            let waited = (Instant::now() - failed_at).as_secs_f64();
            let nominal = f64::from(1u32 << n);
            assert!(
                waited >= nominal * 0.5 && waited < nominal * 1.5,
                "failure {}: waited {waited} s",
                n + 1
            );
        }
        assert_eq!(q.failures(&key), 4);
        q.done(&key, Run::Succeeded);
        assert_eq!(q.failures(&key), 0);
        assert_eq!(q.depth(), 0, "a success does not requeue");
    }

    #[tokio::test(start_paused = true)]
    async fn a_poll_does_not_cut_a_transient_backoff_short_but_a_trigger_does() {
        let (q, failed_at) = failed_once(Retry::Backoff).await;
        q.poll("a".into());
        let key = q.next().await;
        // Base 1 s, jitter in [0.5, 1.5): had the poll queued it, it would have run at once.
        assert!(
            Instant::now() - failed_at >= Duration::from_millis(500),
            "the poll left the backoff alone"
        );
        q.done(&key, Run::Failed(Retry::Backoff));
        let failed_at = Instant::now();
        q.add("a".into());
        q.next().await;
        assert_eq!(Instant::now(), failed_at, "a trigger runs it at once");
    }

    #[tokio::test(start_paused = true)]
    async fn a_failure_that_needs_a_change_waits_the_longest_backoff_unless_queued_again() {
        let (q, failed_at) = failed_once(Retry::AfterChange).await;
        let key = q.next().await;
        let waited = Instant::now() - failed_at;
        assert!(
            waited >= Duration::from_secs(30),
            "no fast retry of the same input: waited {waited:?}, the cap is 60 s"
        );
        // A poll (which may bring a new revision) runs it at once.
        q.done(&key, Run::Failed(Retry::AfterChange));
        let failed_at = Instant::now();
        q.poll("a".into());
        q.next().await;
        assert_eq!(Instant::now(), failed_at);
        assert_eq!(q.failures(&"a".to_string()), 2);
    }

    #[test]
    fn backoff_doubles_up_to_its_cap_within_the_jitter() {
        let b = Backoff {
            base: Duration::from_secs(2),
            max: Duration::from_secs(30),
        };
        assert_eq!(b.delay(1, 0.5), Duration::from_secs(2));
        assert_eq!(b.delay(2, 0.5), Duration::from_secs(4));
        assert_eq!(b.delay(4, 0.5), Duration::from_secs(16));
        assert_eq!(b.delay(9, 0.5), Duration::from_secs(30));
        assert_eq!(b.delay(1, 0.0), Duration::from_secs(1));
        assert!(b.delay(1, 0.999) < Duration::from_secs(3));
    }
}
