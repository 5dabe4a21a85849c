//! Per-stack leases in one DynamoDB table, shared by the replicas of a controller fleet, with each
//! lease's epoch as the fencing token of its stack.
//!
//! The table holds, under keys prefixed by the fleet's name (`LeaseConfig::name`):
//! - one item per stack, `<name>/stack/<stack>`: `holder`, `epoch` (grows with every change of
//!   holder), `expires` (wall-clock milliseconds), `pending` (a count of triggers other
//!   replicas handed to the holder) and `report` (the holder's short status of the stack,
//!   written with each renewal, so that every replica's status page shows it);
//! - one heartbeat per replica, `<name>/replica/<holder>`: `expires`, so that each replica knows
//!   how many are alive.
//!
//! Every tick a replica writes its heartbeat, reads the whole fleet in one consistent Scan (a
//! page per megabyte), renews the leases it holds, gives back those above its fair share
//! (`ceil(stacks / live replicas)`) that are not reconciling, and takes free or expired ones
//! while it holds fewer than that share. Taking is a conditional write on the epoch and expiry
//! that were read, so two replicas cannot both win; renewing is a conditional write on holder and
//! epoch, so a lease taken over is never renewed by its old holder.
//!
//! A replica that receives a trigger for a stack it does not hold adds 1 to the stack's
//! `pending`; the holder subtracts what it read in the same conditional write that renews the
//! lease, so a trigger added meanwhile stays for the next renewal.
//!
//! Guarantees: at most one replica holds a given stack's epoch; a replica stops mutating a stack
//! (`fence` fails) `renew_deadline` after the start of the tick that last renewed it, before the
//! lease (`duration`) can expire and another replica take it. Assumptions: replicas' clocks
//! differ by less than `duration − renew_deadline`. Caveats: a mutation already sent when the
//! deadline passes still completes; each batch re-checks the fence first.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use aws_smithy_types::error::operation::BuildError;
use tokio::time::Instant;

use crate::aws::error::{classify, AwsError, Classified, ErrorKind};
use crate::aws::{all_items, Clients};

#[derive(Clone, Debug)]
pub struct LeaseConfig {
    pub table: String,
    /// The fleet's name: the prefix of its items, so that fleets can share a table.
    pub name: String,
    /// This replica's identity (ECS task id, hostname, …).
    pub holder: String,
    pub duration: Duration,
    /// Less than `duration`: the margin absorbs clock skew and a slow last write.
    pub renew_deadline: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Held {
    epoch: u64,
    valid_until: Instant,
}

/// Wall-clock milliseconds (injectable so tests can move time).
pub type WallClock = Arc<dyn Fn() -> u64 + Send + Sync>;

pub fn system_clock() -> WallClock {
    Arc::new(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    })
}

const CONDITION_FAILED: &str = "ConditionalCheckFailedException";

/// A failed condition means another replica wrote first: not an error, the lease is just not
/// (or no longer) ours.
fn lost_race_is_none<T>(result: Result<T, AwsError>) -> Result<Option<T>, AwsError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.code.as_deref() == Some(CONDITION_FAILED) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Retries of a throttled call within one tick, and the first pause (doubled each time): short,
/// so that a renewal still lands well within the renew deadline.
const THROTTLE_RETRIES: u32 = 3;
const THROTTLE_PAUSE: Duration = Duration::from_millis(100);

/// Run `call` again after a pause while AWS throttles it (classified once, in `src/aws/error`).
async fn with_backoff<T, F, Fut>(mut call: F) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, AwsError>>,
{
    let mut pause = THROTTLE_PAUSE;
    let mut tries = 0;
    loop {
        match call().await {
            Err(e) if e.kind == ErrorKind::Throttled && tries < THROTTLE_RETRIES => {
                tries += 1;
                tokio::time::sleep(pause).await;
                pause *= 2;
            }
            other => return other,
        }
    }
}

/// A stack's lease as the last scan read it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Record {
    holder: Option<String>,
    epoch: Option<u64>,
    expires: Option<u64>,
    pending: u64,
    report: Option<String>,
}

/// The fleet as the last tick read it: who holds what, and which replicas are alive.
#[derive(Clone, Debug, Default)]
struct View {
    stacks: BTreeMap<String, Record>,
    /// Replica → heartbeat expiry (wall-clock milliseconds).
    replicas: BTreeMap<String, u64>,
    /// The wall clock when it was read.
    read_at: u64,
}

/// What one tick changed for this replica.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tick {
    /// Stacks this replica took: queue them (whatever the previous holder was doing).
    pub gained: Vec<String>,
    /// Stacks this replica held and no longer does (taken over, given back, or not renewed).
    pub lost: Vec<String>,
    /// Stacks it holds that other replicas handed triggers to since the last renewal.
    pub handed_over: Vec<String>,
    /// Replicas alive (this one included unless it is leaving), and the fair share they give.
    pub live_replicas: usize,
    pub share: usize,
}

/// The per-stack leases of one replica.
pub struct Leases {
    /// With the DynamoDB client bounded in time (`bounded`), for the lease items.
    clients: Clients,
    /// As given, for creating the table at start (patient: nothing is fenced yet).
    setup: Clients,
    config: LeaseConfig,
    clock: WallClock,
    held: Mutex<BTreeMap<String, Held>>,
    view: Mutex<View>,
    /// Set after the first tick. The first only announces the replica: replicas started together
    /// then see each other before any takes a share computed without the others.
    announced: std::sync::atomic::AtomicBool,
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}
fn n(v: u64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// The clients with a DynamoDB client whose calls end in time for the fence: each attempt within
/// half the renew deadline, two attempts with a short backoff (the SDK's default waits up to 20
/// s between six), and throttles retried by `with_backoff` on top. A renewal that cannot land
/// in time is a failed renewal, and the fence closes at the deadline as it should; a take whose
/// answer is lost leaves a lease nobody renews, which expires.
fn bounded(mut clients: Clients, renew_deadline: Duration) -> Clients {
    let config = clients.dynamodb.config().to_builder();
    let attempt = (renew_deadline / 2).max(Duration::from_millis(100));
    clients.dynamodb = aws_sdk_dynamodb::Client::from_conf(
        config
            .retry_config(
                aws_smithy_types::retry::RetryConfig::standard()
                    .with_max_attempts(2)
                    .with_initial_backoff(Duration::from_millis(50))
                    .with_max_backoff(Duration::from_millis(500)),
            )
            .timeout_config(
                aws_smithy_types::timeout::TimeoutConfig::builder()
                    .connect_timeout(attempt)
                    .operation_attempt_timeout(attempt)
                    .build(),
            )
            .build(),
    );
    clients
}

/// `ceil(stacks / replicas)`, at least 1 replica.
pub fn fair_share(stacks: usize, replicas: usize) -> usize {
    stacks.div_ceil(replicas.max(1))
}

/// Where a replica starts looking for free stacks: its own place in the list, so that replicas
/// starting together mostly try different stacks rather than race for the same first ones.
fn rotation(holder: &str, len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    // FNV-1a: stable across processes and versions, unlike the std hasher.
    let hash = holder.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    (hash % len as u64) as usize
}

impl Leases {
    pub fn new(clients: Clients, config: LeaseConfig, clock: WallClock) -> Leases {
        Leases {
            clients: bounded(clients.clone(), config.renew_deadline),
            setup: clients,
            config,
            clock,
            held: Mutex::new(BTreeMap::new()),
            view: Mutex::new(View::default()),
            announced: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// This replica's identity.
    pub fn holder(&self) -> &str {
        &self.config.holder
    }

    fn held(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Held>> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn view(&self) -> std::sync::MutexGuard<'_, View> {
        self.view.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn stack_key(&self, stack: &str) -> String {
        format!("{}/stack/{stack}", self.config.name)
    }

    fn replica_key(&self, holder: &str) -> String {
        format!("{}/replica/{holder}", self.config.name)
    }

    /// Create the lease table if it does not exist (on-demand; keyed by `name`).
    pub async fn ensure_table(&self) -> Result<(), AwsError> {
        // A builder's error: a required field left unset, a bug here.
        let invalid =
            |e: BuildError| AwsError::new("CreateTable", ErrorKind::Validation, e.to_string());
        let result = self
            .setup
            .dynamodb
            .create_table()
            .table_name(&self.config.table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("name")
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .map_err(invalid)?,
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("name")
                    .key_type(KeyType::Hash)
                    .build()
                    .map_err(invalid)?,
            )
            .send()
            .await;
        match result {
            Ok(_) => crate::kinds::table::aws::wait_active(&self.setup, &self.config.table).await,
            Err(e) => {
                let error = classify(e);
                // Another replica created it first.
                if error.code.as_deref() == Some("ResourceInUseException") {
                    Ok(())
                } else {
                    Err(error)
                }
            }
        }
    }

    /// The epoch of `stack`'s lease if this replica may mutate it now (held, and renewed within
    /// the renew deadline).
    pub fn fence(&self, stack: &str) -> Result<u64, FenceError> {
        match self.held().get(stack) {
            Some(held) if Instant::now() < held.valid_until => Ok(held.epoch),
            Some(_) => Err(FenceError::NotRenewed),
            None => Err(FenceError::NotHeld),
        }
    }

    /// The stacks this replica may mutate now.
    pub fn holding(&self) -> Vec<String> {
        let now = Instant::now();
        self.held()
            .iter()
            .filter(|(_, h)| now < h.valid_until)
            .map(|(stack, _)| stack.clone())
            .collect()
    }

    /// Who holds each stack as the last tick read the table (a live lease only), without a call
    /// to AWS: the status page and `/api/stacks` of any replica show it.
    pub fn holders(&self) -> BTreeMap<String, String> {
        self.of_live_leases(|r| r.holder.clone())
    }

    /// The holder's report of each stack held by a live lease, as the last tick read them.
    pub fn reports(&self) -> BTreeMap<String, String> {
        self.of_live_leases(|r| r.report.clone())
    }

    /// One field of each stack's lease record, for the stacks whose lease was live at the last
    /// tick and that have the field.
    fn of_live_leases(
        &self,
        field: impl Fn(&Record) -> Option<String>,
    ) -> BTreeMap<String, String> {
        let view = self.view();
        view.stacks
            .iter()
            .filter(|(_, r)| r.expires.is_some_and(|x| x >= view.read_at))
            .filter_map(|(stack, r)| Some((stack.clone(), field(r)?)))
            .collect()
    }

    /// The replicas alive at the last tick.
    pub fn live_replicas(&self) -> Vec<String> {
        let view = self.view();
        view.replicas
            .iter()
            .filter(|(_, x)| **x >= view.read_at)
            .map(|(r, _)| r.clone())
            .collect()
    }

    /// Hand triggers for `stacks` to their holders: 1 added to each stack's `pending`, which the
    /// holder reads at its next renewal (a stack nobody holds yet is queued by whoever takes it).
    pub async fn hand_over(&self, stacks: &[String]) -> Result<(), AwsError> {
        // Concurrent, a few at a time: a push hands every stack over at once.
        let mut writes = tokio::task::JoinSet::new();
        let mut failure = None;
        for stack in stacks {
            if writes.len() >= 16 {
                if let Some(Ok(Err(e))) = writes.join_next().await {
                    failure = Some(e);
                }
            }
            let (dynamodb, table, key) = (
                self.clients.dynamodb.clone(),
                self.config.table.clone(),
                self.stack_key(stack),
            );
            writes.spawn(async move {
                with_backoff(|| async {
                    dynamodb
                        .update_item()
                        .table_name(&table)
                        .key("name", s(&key))
                        .update_expression("ADD pending :one")
                        .expression_attribute_values(":one", n(1))
                        .send()
                        .await
                        .done()
                })
                .await
            });
        }
        while let Some(done) = writes.join_next().await {
            if let Ok(Err(e)) = done {
                failure = Some(e);
            }
        }
        failure.map_or(Ok(()), Err)
    }

    /// One round: heartbeat, read the fleet, renew what this replica holds (writing `reports`,
    /// this replica's short status of each stack it holds, into the items), give back what is
    /// above its share and not in `busy`, take free or expired stacks up to its share (from the
    /// second tick on: the first one announces the replica to the others). When
    /// `leaving` (shutting down), it only renews: no heartbeat (the others count it out), no hand-
    /// overs taken (they would be lost with it), nothing given back or taken.
    pub async fn tick(
        &self,
        stacks: &[String],
        busy: &Mutex<BTreeSet<String>>,
        reports: &BTreeMap<String, String>,
        leaving: bool,
    ) -> Result<Tick, AwsError> {
        let now = (self.clock)();
        let expires = now + self.config.duration.as_millis() as u64;
        let mut tick = Tick::default();
        if !leaving {
            // A missed heartbeat only makes the others count this replica out for a while (and
            // take a larger share); it must not stop the renewals below.
            if let Err(e) = with_backoff(|| self.heartbeat(expires)).await {
                tracing::warn!(error = %e, "cannot write this replica's heartbeat");
            }
        }
        // Without a fresh view, the leases held are still renewed (without their hand-overs),
        // and nothing is taken on stale information.
        let view = match with_backoff(|| self.scan(now)).await {
            Ok(view) => Some(view),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the lease table; renewing only");
                None
            }
        };
        if let Some(view) = &view {
            *self.view() = view.clone();
        }
        let mut live: BTreeSet<String> = view
            .as_ref()
            .map(|v| {
                v.replicas
                    .iter()
                    .filter(|(_, x)| **x >= now)
                    .map(|(r, _)| r.clone())
                    .collect()
            })
            .unwrap_or_default();
        if leaving {
            live.remove(&self.config.holder);
        } else {
            live.insert(self.config.holder.clone());
        }
        tick.live_replicas = live.len();
        tick.share = fair_share(stacks.len(), live.len());

        // Renewals first: they are what keeps the fence open.
        let mut throttled = false;
        let held: Vec<(String, Held)> = self.held().iter().map(|(k, v)| (k.clone(), *v)).collect();
        let configured: BTreeSet<&String> = stacks.iter().collect();
        for (stack, lease) in held {
            let record = view.as_ref().and_then(|v| v.stacks.get(&stack));
            let still_ours = view.is_none()
                || record.is_some_and(|r| {
                    r.holder.as_deref() == Some(self.config.holder.as_str())
                        && r.epoch == Some(lease.epoch)
                });
            let pending = record.map_or(0, |r| r.pending);
            let take_pending = if leaving { 0 } else { pending };
            let renewed = if still_ours && configured.contains(&stack) {
                let report = reports.get(&stack).map(String::as_str);
                let renewal = || self.renew(&stack, lease.epoch, take_pending, report);
                // Once a renewal stayed throttled through its backoff, the others get one try
                // each: the tick ends in time for the next one rather than pausing per lease.
                let renewed = if throttled {
                    renewal().await
                } else {
                    with_backoff(renewal).await
                };
                match renewed {
                    Ok(renewed) => renewed,
                    Err(e) => {
                        throttled |= e.kind == ErrorKind::Throttled;
                        // Not renewed: the fence closes at the deadline of the last renewal.
                        tracing::warn!(stack = %stack, error = %e, "cannot renew the stack's lease");
                        continue;
                    }
                }
            } else {
                None
            };
            match renewed {
                Some((epoch, sent)) => {
                    self.held().insert(
                        stack.clone(),
                        Held {
                            epoch,
                            valid_until: sent + self.config.renew_deadline,
                        },
                    );
                    if take_pending > 0 {
                        tick.handed_over.push(stack);
                    }
                }
                None => {
                    self.held().remove(&stack);
                    tick.lost.push(stack);
                }
            }
        }
        let announced = self
            .announced
            .swap(true, std::sync::atomic::Ordering::SeqCst);
        let Some(view) = view.filter(|_| !leaving && announced) else {
            return Ok(tick);
        };

        // Above the share (a replica joined): give back the excess not reconciling now, so the
        // newcomer can take it at its next tick.
        let mut count = self.held().len();
        if count > tick.share {
            let candidates: Vec<String> = self.held().keys().rev().cloned().collect();
            let mut excess = count - tick.share;
            for stack in candidates {
                if excess == 0 {
                    break;
                }
                // Whether the stack is being reconciled is read when it is given back, not when
                // the tick began (its renewals take seconds), and its fence closes under the
                // same lock as the controller starts a reconcile with the fence open: a stack
                // is never given back while a reconcile of it runs.
                let released = {
                    let busy = busy.lock().unwrap_or_else(|e| e.into_inner());
                    if busy.contains(&stack) {
                        None
                    } else {
                        self.held().remove(&stack)
                    }
                };
                let Some(held) = released else {
                    continue;
                };
                excess -= 1;
                if self.expire(&stack, held).await.is_ok() {
                    count -= 1;
                    tick.lost.push(stack);
                }
            }
        }

        // Below the share: take free or expired stacks, starting at this replica's own place.
        let start = rotation(&self.config.holder, stacks.len());
        for stack in stacks.iter().cycle().skip(start).take(stacks.len()) {
            if count >= tick.share {
                break;
            }
            if self.held().contains_key(stack) {
                continue;
            }
            let record = view.stacks.get(stack).cloned().unwrap_or_default();
            let free = record.holder.is_none()
                || record.epoch.is_none()
                || record.expires.is_none_or(|x| x < now);
            if !free {
                continue;
            }
            match self.take(stack, &record).await {
                Ok(Some((epoch, sent))) => {
                    self.held().insert(
                        stack.clone(),
                        Held {
                            epoch,
                            valid_until: sent + self.config.renew_deadline,
                        },
                    );
                    count += 1;
                    tick.gained.push(stack.clone());
                }
                Ok(None) => {}
                // Throttled (after the SDK's own retries) or failing: take no more this tick.
                Err(e) => {
                    tracing::warn!(stack = %stack, error = %e, "cannot take the stack's lease");
                    break;
                }
            }
        }
        Ok(tick)
    }

    /// Now, and the expiry of a lease written now. The fence of a lease written at `now` closes
    /// at `now + renew_deadline`, before its expiry (`now + duration` on the wall clock) as other
    /// replicas read it; each write takes its own stamp, so a slow tick does not shorten it.
    fn stamp(&self) -> (Instant, u64) {
        let sent = Instant::now();
        (
            sent,
            (self.clock)() + self.config.duration.as_millis() as u64,
        )
    }

    async fn heartbeat(&self, expires: u64) -> Result<(), AwsError> {
        self.clients
            .dynamodb
            .put_item()
            .table_name(&self.config.table)
            .item("name", s(&self.replica_key(&self.config.holder)))
            .item("holder", s(&self.config.holder))
            .item("expires", n(expires))
            .send()
            .await
            .done()
    }

    /// The fleet's items: one consistent Scan, a page per megabyte.
    async fn scan(&self, now: u64) -> Result<View, AwsError> {
        let stack_prefix = self.stack_key("");
        let replica_prefix = self.replica_key("");
        let mut view = View {
            read_at: now,
            ..View::default()
        };
        let items = all_items!(self
            .clients
            .dynamodb
            .scan()
            .table_name(&self.config.table)
            .consistent_read(true)
            .filter_expression("begins_with(#n, :fleet)")
            .expression_attribute_names("#n", "name")
            .expression_attribute_values(":fleet", s(&format!("{}/", self.config.name))))?;
        for item in &items {
            let text = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned();
            let number = |k: &str| {
                item.get(k)
                    .and_then(|v| v.as_n().ok())
                    .and_then(|v| v.parse::<u64>().ok())
            };
            let Some(name) = text("name") else { continue };
            if let Some(stack) = name.strip_prefix(&stack_prefix) {
                view.stacks.insert(
                    stack.to_string(),
                    Record {
                        holder: text("holder"),
                        epoch: number("epoch"),
                        expires: number("expires"),
                        // A negative count would be a bug elsewhere: read as none pending.
                        pending: number("pending").unwrap_or(0),
                        report: text("report"),
                    },
                );
            } else if let Some(replica) = name.strip_prefix(&replica_prefix) {
                view.replicas
                    .insert(replica.to_string(), number("expires").unwrap_or(0));
            }
        }
        Ok(view)
    }

    /// Move the expiry of `stack`'s lease held at `epoch`, taking `pending` hand-overs out in the
    /// same write; `None` if this replica no longer holds it.
    async fn renew(
        &self,
        stack: &str,
        epoch: u64,
        pending: u64,
        report: Option<&str>,
    ) -> Result<Option<(u64, Instant)>, AwsError> {
        let (sent, expires) = self.stamp();
        let set = if report.is_some() {
            "SET expires = :x, report = :r"
        } else {
            "SET expires = :x"
        };
        let mut update = self
            .clients
            .dynamodb
            .update_item()
            .table_name(&self.config.table)
            .key("name", s(&self.stack_key(stack)))
            .update_expression(set)
            .condition_expression("holder = :me AND epoch = :e")
            .expression_attribute_values(":x", n(expires))
            .expression_attribute_values(":me", s(&self.config.holder))
            .expression_attribute_values(":e", n(epoch));
        if let Some(report) = report {
            update = update.expression_attribute_values(":r", s(report));
        }
        if pending > 0 {
            // Subtract what was read: a trigger added since stays for the next renewal.
            update = update
                .update_expression(format!("{set} ADD pending :taken"))
                .expression_attribute_values(":taken", AttributeValue::N(format!("-{pending}")));
        }
        let result = update.send().await;
        lost_race_is_none(result.map(|_| (epoch, sent)).classified())
    }

    /// Take `stack`'s lease, free or expired as `seen`: a write conditional on the epoch and
    /// expiry that were read, so that of two replicas taking it at once only one wins.
    async fn take(&self, stack: &str, seen: &Record) -> Result<Option<(u64, Instant)>, AwsError> {
        let epoch = seen.epoch.unwrap_or(0) + 1;
        let result = with_backoff(|| async {
            let (sent, expires) = self.stamp();
            let mut update = self
                .clients
                .dynamodb
                .update_item()
                .table_name(&self.config.table)
                .key("name", s(&self.stack_key(stack)))
                // Hand-overs are dropped: a stack taken is queued anyway. The old holder's report
                // stays until this one's first renewal writes its own.
                .update_expression("SET holder = :me, epoch = :new, expires = :x REMOVE pending")
                .expression_attribute_values(":me", s(&self.config.holder))
                .expression_attribute_values(":new", n(epoch))
                .expression_attribute_values(":x", n(expires));
            update = match (seen.epoch, seen.expires) {
                (Some(e), Some(x)) => update
                    .condition_expression("epoch = :e AND expires = :old")
                    .expression_attribute_values(":e", n(e))
                    .expression_attribute_values(":old", n(x)),
                (Some(e), None) => update
                    .condition_expression("epoch = :e AND attribute_not_exists(expires)")
                    .expression_attribute_values(":e", n(e)),
                (None, _) => update.condition_expression("attribute_not_exists(epoch)"),
            };
            update.send().await.map(|_| (epoch, sent)).classified()
        })
        .await;
        lost_race_is_none(result)
    }

    /// Expire `stack`'s lease now, if still ours, so that another replica can take it at once.
    async fn give_back(&self, stack: &str) -> Result<(), AwsError> {
        let Some(held) = self.held().remove(stack) else {
            return Ok(());
        };
        self.expire(stack, held).await
    }

    /// Write the expiry of a lease this replica has stopped holding (its fence already closed).
    async fn expire(&self, stack: &str, held: Held) -> Result<(), AwsError> {
        let result = self
            .clients
            .dynamodb
            .update_item()
            .table_name(&self.config.table)
            .key("name", s(&self.stack_key(stack)))
            .update_expression("SET expires = :zero")
            .condition_expression("holder = :me AND epoch = :e")
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":me", s(&self.config.holder))
            .expression_attribute_values(":e", n(held.epoch))
            .send()
            .await;
        lost_race_is_none(result.classified()).map(|_| ())
    }

    /// Give every lease up (graceful shutdown), and the heartbeat, so that the others count this
    /// replica out and take its stacks at their next tick.
    pub async fn release(&self) -> Result<(), AwsError> {
        let stacks: Vec<String> = self.held().keys().cloned().collect();
        let mut result = self.heartbeat(0).await;
        for stack in stacks {
            if let Err(e) = self.give_back(&stack).await {
                result = Err(e);
            }
        }
        result
    }
}

/// Why this replica may not mutate a stack now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FenceError {
    /// Held, but not renewed within the renew deadline: another replica may take it soon.
    NotRenewed,
    /// Another replica holds it (or nobody does yet).
    NotHeld,
}

impl std::fmt::Display for FenceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FenceError::NotRenewed => "the lease was not renewed in time; mutations stop",
            FenceError::NotHeld => "this replica does not hold the lease",
        })
    }
}

impl std::error::Error for FenceError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_share_is_the_ceiling_of_stacks_over_live_replicas() {
        assert_eq!(fair_share(9, 3), 3);
        assert_eq!(fair_share(10, 3), 4);
        assert_eq!(fair_share(9, 2), 5);
        assert_eq!(fair_share(30, 3), 10);
        assert_eq!(fair_share(3, 0), 3, "no replica seen: this one takes all");
        assert_eq!(fair_share(0, 3), 0);
    }

    #[test]
    fn replicas_start_looking_at_different_places() {
        let starts: BTreeSet<usize> = ["a", "b", "c", "replica-1", "replica-2"]
            .iter()
            .map(|h| rotation(h, 1000))
            .collect();
        assert!(starts.len() >= 4, "{starts:?}");
        assert!(starts.iter().all(|s| *s < 1000));
        assert_eq!(rotation("a", 0), 0);
        assert_eq!(rotation("a", 7), rotation("a", 7), "stable");
    }
}
