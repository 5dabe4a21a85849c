//! `slsctl controller`: the long-running reconciler.
//!
//! sources (git, S3) ─► work queue ─► reconcile(stack) = fetch + validate + observe + plan +
//! policies + apply (in `heal` mode, fenced by the lease) ─► status.
//!
//! Reconcile is level-triggered: a poll, a resync, an event and a manual trigger all queue the
//! same key, and reconcile never asks why it runs (the reason is only counted, see `schedule`).
//! A poll of a source queues its stack only when the source shows something new; AWS is re-read
//! at the resync interval, on an event naming the stack's resources (`events`), after a failure
//! and on request. A source that is unreachable, empty or invalid keeps the last good revision
//! in force and marks the stack Degraded; it never deletes anything.

pub mod error;
pub mod events;
pub mod http;
pub mod lease;
pub(crate) mod memory;
pub mod metrics;
pub mod queue;
mod reconcile;
pub mod schedule;
mod status;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{watch, Semaphore};
use tokio::time::Instant;

use crate::apply::{ActionReport, Progress};
use crate::aws::AwsError;
use crate::aws::Clients;
use crate::plan::{PlanOptions, ResourceAction};
use crate::source::git::GitSource;
use crate::source::s3::S3Source;
use crate::source::{Snapshot, SourceError};
use error::{ReconcileError, RunError};
use lease::Leases;
use queue::{Backoff, Run, WorkQueue};
use schedule::{Reason, Schedule, Seen};
use status::Report;
pub use status::{AlarmStatus, StackStatus};

/// `heal` corrects drift; `report` only plans and exposes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Heal,
    Report,
}

#[derive(Clone, Debug)]
pub enum SourceKind {
    Git(GitSource),
    S3(S3Source),
}

/// One stack the controller keeps converged.
#[derive(Clone, Debug)]
pub struct StackConfig {
    /// The key of the stack in status and metrics.
    pub name: String,
    pub source: SourceKind,
    pub interval: Duration,
    pub mode: Mode,
    pub suspended: bool,
}

#[derive(Clone, Debug)]
pub struct ControllerConfig {
    pub stacks: Vec<StackConfig>,
    /// Snapshots are written below it.
    pub cache_dir: PathBuf,
    /// Every stack is reconciled at least this often, to correct drift (default 5 minutes).
    pub resync: Duration,
    /// Reconciles in flight at once, across stacks.
    pub concurrency: usize,
    pub lease: Option<lease::LeaseConfig>,
    /// Publish reconcile outcomes to this EventBridge bus (`source: slsctl`); none when unset.
    pub events_bus: Option<String>,
    /// Read CloudTrail's API-call events from this queue, to see drift in seconds; polling and
    /// resyncs only when unset.
    pub events: Option<events::EventsConfig>,
}

#[derive(Default)]
struct StackState {
    status: StackStatus,
    last_good: Option<Snapshot>,
}

pub struct Controller {
    config: ControllerConfig,
    pub(crate) clients: Clients,
    s3: aws_sdk_s3::Client,
    queue: WorkQueue<String>,
    states: Mutex<BTreeMap<String, StackState>>,
    lease: Option<Arc<Leases>>,
    /// The stacks being reconciled on this replica: their leases are not given back to
    /// rebalance (the apply would be fenced partway).
    busy: Mutex<std::collections::BTreeSet<String>>,
    /// Set once `run` is past its start-up (the lease table exists, so AWS answered).
    running: std::sync::atomic::AtomicBool,
    /// How long reconciles take, by stack and outcome (the `/metrics` histogram).
    durations: metrics::Durations,
    /// Set at shutdown: renewals go on for the applies in flight, but take no more hand-overs
    /// from other replicas, and triggers received meanwhile are handed over too (they would be
    /// lost with this replica; whoever takes its stacks next queues them anyway).
    draining: std::sync::atomic::AtomicBool,
    /// Why each queued stack runs, what each source last showed, counts by reason.
    schedule: Schedule,
    /// The resources each stack held at its last reconcile, for matching events.
    owned: events::Owned,
    /// Stacks taken off the queue while this replica held their lease but had not renewed it
    /// within the renew deadline, with why they were queued: the next renewal that keeps the
    /// lease queues them again. (A stack this replica does not hold is dropped instead: its
    /// holder reconciles it, and this replica queues it when it takes the lease.)
    late: Mutex<BTreeMap<String, Reason>>,
    /// Event messages handled, by outcome.
    event_counts: events::EventCounts,
    /// One fetch of a stack's source at a time: a poll and a reconcile fetching together would
    /// write the same snapshot directory at once. Per stack (made once, for the configured
    /// stacks), so that a source that hangs holds up only its own stack.
    fetching: BTreeMap<String, tokio::sync::Mutex<()>>,
}

/// Progress for controller applies: every action asks the fence of the stack's lease first.
struct Fenced {
    leases: Option<Arc<Leases>>,
    stack: String,
}

impl Progress for Fenced {
    fn started(&self, _: &ResourceAction) {}
    fn finished(&self, _: &ActionReport) {}
    fn proceed(&self) -> Result<(), String> {
        match &self.leases {
            Some(leases) => leases
                .fence(&self.stack)
                .map(|_| ())
                .map_err(|e| e.to_string()),
            None => Ok(()),
        }
    }
    fn waiting(&self, id: &crate::model::ResourceId, what: &str) {
        tracing::info!(resource = %id, "{what}");
    }
}

impl Controller {
    pub fn new(config: ControllerConfig, clients: Clients, s3: aws_sdk_s3::Client) -> Controller {
        let lease = config
            .lease
            .clone()
            .map(|l| Arc::new(Leases::new(clients.clone(), l, lease::system_clock())));
        let states = config
            .stacks
            .iter()
            .map(|s| (s.name.clone(), StackState::default()))
            .collect();
        let fetching = config
            .stacks
            .iter()
            .map(|s| (s.name.clone(), tokio::sync::Mutex::new(())))
            .collect();
        Controller {
            config,
            clients,
            s3,
            queue: WorkQueue::new(Backoff::default()),
            states: Mutex::new(states),
            lease,
            busy: Mutex::new(Default::default()),
            running: std::sync::atomic::AtomicBool::new(false),
            durations: metrics::Durations::default(),
            draining: std::sync::atomic::AtomicBool::new(false),
            schedule: Schedule::default(),
            owned: events::Owned::default(),
            late: Mutex::new(BTreeMap::new()),
            event_counts: events::EventCounts::default(),
            fetching,
        }
    }

    fn states(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, StackState>> {
        self.states.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every stack's status as this replica knows it (what its own reconciles found: the
    /// metrics count these), with the replica holding it (from the lease table as the last tick
    /// read it: no AWS call per request).
    pub fn status(&self) -> BTreeMap<String, StackStatus> {
        let mut holders = self.lease.as_ref().map(|l| l.holders()).unwrap_or_default();
        self.states()
            .iter()
            .map(|(k, v)| {
                let mut status = v.status.clone();
                status.holder = holders.remove(k);
                (k.clone(), status)
            })
            .collect()
    }

    /// Every stack's status across the fleet, for `/api/stacks` and the status page: `status`,
    /// where a stack another replica holds shows that replica's report of it (conditions,
    /// revision, counts, last plan and error, as of its last renewal); its diagram, diff and
    /// alarms are on the holder's page.
    pub fn fleet_status(&self) -> BTreeMap<String, StackStatus> {
        let mut status = self.status();
        let Some(lease) = &self.lease else {
            return status;
        };
        for (stack, report) in lease.reports() {
            let Some(status) = status.get_mut(&stack) else {
                continue;
            };
            if status.holder.as_deref() == Some(lease.holder()) {
                continue;
            }
            if let Ok(report) = serde_json::from_str::<Report>(&report) {
                report.overlay(status);
            }
        }
        status
    }

    /// This replica's reports of the stacks it holds, for the lease items.
    fn reports(&self) -> BTreeMap<String, String> {
        let Some(lease) = &self.lease else {
            return BTreeMap::new();
        };
        let held = lease.holding();
        let states = self.states();
        held.into_iter()
            .filter_map(|stack| {
                let report = Report::of(&states.get(&stack)?.status);
                Some((stack, serde_json::to_string(&report).ok()?))
            })
            .collect()
    }

    /// This replica's identity in the leases, and the live replicas it knows of; `None` without
    /// a lease.
    pub fn replicas(&self) -> Option<(String, Vec<String>)> {
        self.lease
            .as_ref()
            .map(|l| (l.holder().to_string(), l.live_replicas()))
    }

    /// One stack's status (default when unknown), without copying the others'.
    fn stack_status(&self, name: &str) -> StackStatus {
        self.states()
            .get(name)
            .map(|s| s.status.clone())
            .unwrap_or_default()
    }

    /// Queue a stack now, on this replica.
    pub fn trigger(&self, stack: &str) -> bool {
        if self.knows(stack) {
            self.queue_because(stack, Reason::Manual)
        } else {
            false
        }
    }

    /// Queue `stack` on this replica for `reason`; whether it was queued. Polls, resyncs and
    /// events leave a stack waiting out a transient failure's backoff alone (its retry re-reads
    /// everything anyway); a request always queues.
    fn queue_because(&self, stack: &str, reason: Reason) -> bool {
        let queued = match reason {
            Reason::Poll | Reason::Resync | Reason::Event => self.queue.poll(stack.to_string()),
            _ => {
                self.queue.add(stack.to_string());
                true
            }
        };
        if queued {
            self.schedule.want(stack, reason);
        }
        queued
    }

    /// Whether `stack` is one of the configured stacks.
    pub fn knows(&self, stack: &str) -> bool {
        self.states().contains_key(stack)
    }

    /// Reconcile `stacks` as soon as possible, whichever replica this is (the webhook, the
    /// manual trigger and the events consumer use this): the stacks this replica holds are
    /// queued here; the others are handed to their holders through their lease items, which
    /// each holder reads at its next renewal. Unknown names are ignored.
    pub async fn request(&self, stacks: &[String]) -> Result<(), AwsError> {
        self.request_because(stacks, Reason::Manual).await
    }

    /// [`Controller::request`], counted under `reason`.
    pub async fn request_because(&self, stacks: &[String], reason: Reason) -> Result<(), AwsError> {
        let known: Vec<String> = stacks.iter().filter(|s| self.knows(s)).cloned().collect();
        // A replica that is shutting down hands over even its own: its queue is no longer read.
        let draining = self.draining.load(std::sync::atomic::Ordering::SeqCst);
        let mut elsewhere = Vec::new();
        for stack in known {
            if draining || !self.queue_if_held(&stack, reason) {
                elsewhere.push(stack);
            }
        }
        if let Some(lease) = &self.lease {
            if !elsewhere.is_empty() {
                lease.hand_over(&elsewhere).await?;
                tracing::info!(stacks = %elsewhere.join(", "), "handed the trigger to the stacks' holders");
            }
        }
        Ok(())
    }

    /// Keep the leases: a tick every `every` renews those held, rebalances, takes free ones up to
    /// this replica's share. A stack taken is queued at once (whatever its previous holder was
    /// doing, and the keys this replica dropped while it did not hold it, are picked up);
    /// triggers handed over by other replicas are queued as each renewal takes them.
    async fn keep_lease(&self, lease: &Leases, every: Duration) {
        let stacks: Vec<String> = self.config.stacks.iter().map(|s| s.name.clone()).collect();
        let mut ticker = tokio::time::interval(every);
        loop {
            ticker.tick().await;
            let draining = self.draining.load(std::sync::atomic::Ordering::SeqCst);
            let reports = self.reports();
            match lease.tick(&stacks, &self.busy, &reports, draining).await {
                Ok(tick) => {
                    if !tick.gained.is_empty() || !tick.lost.is_empty() {
                        tracing::info!(
                            gained = %tick.gained.join(", "),
                            lost = %tick.lost.join(", "),
                            replicas = tick.live_replicas,
                            share = tick.share,
                            "stack leases changed"
                        );
                    }
                    for stack in tick.gained {
                        self.queue_because(&stack, Reason::Leader);
                    }
                    self.requeue_late();
                    for stack in tick.handed_over {
                        tracing::info!(stack = %stack, "another replica handed over a trigger");
                        self.trigger(&stack);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot keep the stack leases"),
            }
        }
    }

    /// Queue `stack` on this replica if it may reconcile it now, or set it aside if it holds
    /// the lease but its renewal is late (kept for the renewal that lands, with no lease write
    /// while DynamoDB is what is late; if the lease is lost instead, its next holder queues the
    /// stack when it takes it). False when another replica holds it.
    fn queue_if_held(&self, stack: &str, reason: Reason) -> bool {
        match self.lease.as_ref().map(|l| l.fence(stack)) {
            None | Some(Ok(_)) => {
                self.queue_because(stack, reason);
                true
            }
            Some(Err(lease::FenceError::NotRenewed)) => {
                self.set_aside(stack.to_string(), reason);
                true
            }
            Some(Err(lease::FenceError::NotHeld)) => false,
        }
    }

    /// Queue again the stacks set aside while their renewal was late, now that it landed; keep
    /// those still late; drop those lost (whoever holds them now reconciles them).
    fn requeue_late(&self) {
        let late = std::mem::take(&mut *self.late.lock().unwrap_or_else(|e| e.into_inner()));
        for (stack, reason) in late {
            self.queue_if_held(&stack, reason);
        }
    }

    fn set_aside(&self, stack: String, reason: Reason) {
        self.late
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(stack)
            .or_insert(reason);
    }

    fn busy(&self) -> std::sync::MutexGuard<'_, std::collections::BTreeSet<String>> {
        self.busy.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether this replica may reconcile `stack` now: it holds the stack's lease (always,
    /// without a lease).
    pub fn holds(&self, stack: &str) -> bool {
        self.lease.as_ref().is_none_or(|l| l.fence(stack).is_ok())
    }

    /// Ready: started, with AWS reachable. A follower is ready too (it stands by).
    pub fn is_ready(&self) -> bool {
        self.running.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn queue_depth(&self) -> usize {
        self.queue.depth()
    }

    /// Whether this replica reconciles anything: it holds at least one stack's lease (always,
    /// without a lease).
    pub fn is_leader(&self) -> bool {
        self.lease.as_ref().is_none_or(|l| !l.holding().is_empty())
    }

    async fn fetch(&self, stack: &StackConfig) -> Result<Snapshot, SourceError> {
        // The configuration loader refuses such names; a library caller is held to the same
        // rule, so that the cache path stays inside the cache directory.
        if !crate::spec::validate::valid_stack_name(&stack.name) {
            return Err(SourceError::Unreachable(format!(
                "`{}` is not a valid stack name",
                stack.name
            )));
        }
        let cache = self.config.cache_dir.join(&stack.name);
        let _one_at_a_time = match self.fetching.get(&stack.name) {
            Some(lock) => Some(lock.lock().await),
            None => None,
        };
        std::fs::create_dir_all(&cache).map_err(|e| SourceError::Unreachable(e.to_string()))?;
        match &stack.source {
            SourceKind::Git(git) => git.fetch(&cache).await,
            SourceKind::S3(s3) => s3.fetch(&self.s3, &cache).await,
        }
    }

    /// One poll of `name`'s source: it queues the stack (reason `poll`) only when the source
    /// shows a revision, or an error, other than the one it showed last (a first look is not a
    /// change: `run` queues every stack at start); whether it did. It makes no AWS call but an
    /// S3 source's listing: AWS is re-read by the reconcile it queues.
    pub async fn poll(&self, name: &str) -> bool {
        let Some(config) = self.config.stacks.iter().find(|s| s.name == name) else {
            return false;
        };
        if config.suspended {
            return false;
        }
        self.schedule.polled();
        let seen = match self.fetch(config).await {
            Ok(snapshot) => {
                self.index_spec(name, &snapshot);
                Seen::Revision(snapshot.revision)
            }
            Err(error) => Seen::Error(error.to_string()),
        };
        self.schedule.saw(name, seen) && self.queue_because(name, Reason::Poll)
    }

    /// Index the resources of the spec at `snapshot` for matching events, once per revision:
    /// the spec alone (no AWS call), so that a replica that does not reconcile this stack still
    /// knows what it holds. A revision that does not load leaves the index as it was.
    fn index_spec(&self, name: &str, snapshot: &Snapshot) {
        if self.owned.revision(name).as_deref() == Some(snapshot.revision.as_str()) {
            return;
        }
        let keys = crate::kinds::load_stack(&snapshot.dir)
            .ok()
            .map(|(stack, _)| spec_keys(&stack).collect());
        self.owned.record(name, &snapshot.revision, keys);
    }

    /// Run until `shutdown` turns true: polls and resyncs queue stacks, the stack leases are
    /// kept (and shared with the other replicas), and a stack is reconciled only by the replica
    /// holding its lease. On shutdown the in-flight reconciles finish and the leases are released.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) -> Result<(), RunError> {
        if let Some(lease) = &self.lease {
            lease.ensure_table().await.map_err(RunError::Lease)?;
        }
        self.running
            .store(true, std::sync::atomic::Ordering::SeqCst);
        // Every stack once at start, whatever its source shows (a replica drops those it does
        // not hold; it queues each stack again when it takes the stack's lease).
        for stack in &self.config.stacks {
            self.queue_because(&stack.name, Reason::Leader);
        }
        let mut tasks = tokio::task::JoinSet::new();
        self.spawn_polls_and_resyncs(&mut tasks);
        if let Some(events) = self.config.events.clone() {
            let this = self.clone();
            tasks.spawn(async move { events::listen(&this, &events).await });
        }
        // The leases: renewed at a third of their duration and twice within the renew deadline
        // (one failed renewal does not close the fence), and at least every 5 s so that a
        // trigger handed over by another replica waits seconds, not a long lease's third.
        let lease_task = self.lease.clone().map(|lease| {
            let every = self
                .config
                .lease
                .as_ref()
                .map_or(Duration::from_secs(5), |l| {
                    (l.duration / 3).min(l.renew_deadline / 2)
                })
                .min(Duration::from_secs(5))
                .max(Duration::from_millis(100));
            let this = self.clone();
            tokio::spawn(async move { this.keep_lease(&lease, every).await })
        });
        // Aborted when `run` ends or is dropped (a replica killed mid-flight stops renewing).
        let _abort_lease = lease_task
            .as_ref()
            .map(|t| t.abort_handle())
            .map(AbortOnDrop);
        let permits = Arc::new(Semaphore::new(self.config.concurrency.max(1)));
        let mut reconciles = tokio::task::JoinSet::new();
        loop {
            let permit = tokio::select! {
                _ = shutdown.changed() => break,
                permit = permits.clone().acquire_owned() => permit.map_err(RunError::Permits)?,
            };
            let key = tokio::select! {
                _ = shutdown.changed() => break,
                key = self.queue.next() => key,
            };
            // Nothing recorded a reason for a backoff requeue, nor for a stack queued when this
            // replica took its lease (counted as `leader`).
            let reason = self
                .schedule
                .take(&key)
                .unwrap_or(if self.queue.failures(&key) > 0 {
                    Reason::Retry
                } else {
                    Reason::Leader
                });
            // The fence is read and the stack marked busy under one lock, the one under which a
            // lease tick gives a stack back (`Leases::tick`): a stack given back is not started,
            // and one started is not given back.
            let fenced = {
                let mut busy = self.busy();
                match self.lease.as_ref().map(|l| l.fence(&key)) {
                    Some(Err(fenced)) => Some(fenced),
                    _ => {
                        busy.insert(key.clone());
                        None
                    }
                }
            };
            if let Some(fenced) = fenced {
                // Another replica holds the stack: the key comes back at once when this replica
                // takes the stack's lease. This replica holds it but its renewal is late: the
                // key comes back when the renewal lands (a lease that is still this replica's
                // is not "taken", so nothing else would bring it back). No pause either way:
                // the next key may be one this replica may reconcile.
                if fenced == lease::FenceError::NotRenewed {
                    self.set_aside(key.clone(), reason);
                }
                self.queue.done(&key, Run::Succeeded);
                drop(permit);
                continue;
            }
            let busy = Busy {
                controller: self.clone(),
                stack: key.clone(),
            };
            let this = self.clone();
            let span = tracing::info_span!(
                "reconcile",
                stack = %key,
                reason = %reason,
                revision = tracing::field::Empty
            );
            reconciles.spawn(tracing::Instrument::instrument(
                async move {
                    let started = Instant::now();
                    tracing::info!("reconcile started");
                    let before = this.stack_status(&key);
                    let result = this.reconcile_because(&key, reason).await;
                    let after = this.stack_status(&key);
                    match &result {
                        Ok(()) => tracing::info!(
                            revision = after.revision.as_deref().unwrap_or(""),
                            changes = after.last_plan.as_ref().map_or(0, |p| p.changes()),
                            degraded = after.degraded,
                            seconds = started.elapsed().as_secs_f64(),
                            "reconciled"
                        ),
                        Err(why) => tracing::warn!(
                            revision = after.revision.as_deref().unwrap_or(""),
                            error = %why,
                            retry = %why.retry(),
                            "reconcile failed; requeued with backoff"
                        ),
                    }
                    this.notify(&key, &before, &after, &result).await;
                    let elapsed = started.elapsed();
                    if let Some(state) = this.states().get_mut(&key) {
                        state.status.last_duration_seconds = elapsed.as_secs_f64();
                    }
                    this.durations.observe(
                        &key,
                        result
                            .as_ref()
                            .err()
                            .map_or("success", ReconcileError::outcome),
                        elapsed,
                    );
                    this.queue.done(
                        &key,
                        match &result {
                            Ok(()) => Run::Succeeded,
                            Err(why) => Run::Failed(why.retry()),
                        },
                    );
                    drop(permit);
                    drop(busy);
                    // What the reconcile allocated is freed now: give the pages back.
                    memory::release_free_heap();
                    (key, result, started.elapsed())
                },
                span,
            ));
            while let Some(done) = reconciles.try_join_next() {
                let _ = done;
            }
        }
        tasks.abort_all();
        // Graceful: finish what is in flight while the lease is still renewed (an apply longer
        // than the renew deadline would otherwise be fenced partway), then stop renewing and
        // give the lease up.
        self.draining
            .store(true, std::sync::atomic::Ordering::SeqCst);
        while reconciles.join_next().await.is_some() {}
        if let Some(task) = lease_task {
            task.abort();
            let _ = task.await;
        }
        if let Some(lease) = &self.lease {
            let _ = lease.release().await;
        }
        Ok(())
    }
}

/// Marks a stack as reconciling on this replica while it lives (the run loop inserts the stack
/// when it starts the reconcile; dropping this removes it).
struct Busy {
    controller: Arc<Controller>,
    stack: String,
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.controller.busy().remove(&self.stack);
    }
}

impl Controller {
    /// Per stack, a poll of its source at its interval and a full resync at `resync`. The
    /// first poll is at once (it queues nothing unless the source changes under the start's
    /// reconcile); resyncs start one interval in, spread over it by stack, so that a thousand
    /// stacks do not re-read AWS in the same second.
    fn spawn_polls_and_resyncs(self: &Arc<Self>, tasks: &mut tokio::task::JoinSet<()>) {
        let count = self.config.stacks.len().max(1) as u32;
        let resync = self.config.resync.max(Duration::from_millis(100));
        for (index, stack) in self.config.stacks.iter().enumerate() {
            let this = self.clone();
            let name = stack.name.clone();
            let every = stack.interval.max(Duration::from_millis(100));
            tasks.spawn(async move {
                let mut ticker = tokio::time::interval(every);
                ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    ticker.tick().await;
                    this.poll(&name).await;
                }
            });
            let this = self.clone();
            let name = stack.name.clone();
            let first = Instant::now() + resync + resync / count * index as u32;
            tasks.spawn(async move {
                let mut ticker = tokio::time::interval_at(first, resync);
                ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    ticker.tick().await;
                    this.queue_because(&name, Reason::Resync);
                }
            });
        }
    }

    /// Counts by reason and event outcomes, for `/metrics`.
    pub fn schedule_counts(&self) -> schedule::Counts {
        self.schedule.counts()
    }

    /// Event messages handled, by outcome, for `/metrics`.
    pub fn event_counts(&self) -> BTreeMap<&'static str, u64> {
        self.event_counts.snapshot()
    }
}

/// The keys events name the resources of a spec by: each one (derived ones too) by its
/// physical name.
fn spec_keys(stack: &crate::model::Stack) -> impl Iterator<Item = String> + '_ {
    stack
        .resources
        .iter()
        .flat_map(|r| events::keys_of_resource(r.id.kind, &r.physical_name, ""))
}

/// The keys of a reconciled stack: its spec's, and everything AWS holds tagged as the stack's,
/// by name and ARN.
fn owned_keys(prepared: &crate::engine::Prepared) -> std::collections::BTreeSet<String> {
    let desired = spec_keys(&prepared.stack);
    let observed = prepared
        .observed
        .resources
        .iter()
        .filter(|r| r.owned)
        .flat_map(|r| events::keys_of_resource(r.id.kind, &r.physical_name, &r.arn));
    desired.chain(observed).collect()
}

/// Aborts a task when dropped.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A replica that never reconciled a stack (a follower) matches its events from the spec
    /// alone: every resource an event can name, derived ones included, is indexed by the name
    /// the event carries.
    #[test]
    fn the_spec_alone_indexes_every_resource_an_event_can_name() {
        let stack = crate::kinds::test_stack(
            "apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {name: shop}\nspec: {region: us-east-1}\n---\napiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {name: worker}\nspec: {handler: app.handler, runtime: python3.12, code: {path: src}}\n---\napiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {name: jobs}\nspec: {}\n",
        );
        let keys: std::collections::BTreeSet<String> = spec_keys(&stack).collect();
        let kinds: std::collections::BTreeSet<crate::model::Kind> =
            stack.resources.iter().map(|r| r.id.kind).collect();
        use crate::model::Kind;
        for kind in [
            Kind::Function,
            Kind::Queue,
            Kind::Role,
            Kind::LogGroup,
            Kind::Alarm,
        ] {
            assert!(
                kinds.contains(&kind),
                "the stack derives a {kind}: {kinds:?}"
            );
        }
        for resource in stack.resources.iter().filter(|r| r.id.kind != Kind::Stack) {
            assert!(
                keys.iter()
                    .any(|k| k.ends_with(&format!(":{}", resource.physical_name))),
                "{} ({}) is not indexed: {keys:?}",
                resource.id,
                resource.physical_name
            );
        }
        let owned = events::Owned::default();
        owned.record("shop", "rev", Some(keys));
        let worker = stack
            .resources
            .iter()
            .find(|r| r.id.kind == Kind::Function)
            .unwrap();
        let event = serde_json::json!({
            "detail-type": events::DETAIL_TYPE,
            "detail": {
                "eventSource": "lambda.amazonaws.com",
                "eventName": "UpdateFunctionConfiguration20150331v2",
                "userIdentity": {"arn": "arn:aws:sts::1:assumed-role/ops/alice"},
                "requestParameters": {"functionName": worker.physical_name},
            }
        });
        assert_eq!(
            events::judge(&event.to_string(), &events::Principal::default(), &owned),
            events::Verdict::Queue(["shop".to_string()].into())
        );
    }
}
