//! Leader election through a DynamoDB lease, with the epoch as a fencing token.
//!
//! One item per lease (`name`): `holder`, `epoch` (a number that grows with every change of
//! holder) and `expires` (wall-clock milliseconds). Taking an expired lease is a conditional write
//! on the epoch and expiry that were read, so two replicas cannot both win; renewing is a
//! conditional write on holder and epoch.
//!
//! A follower that receives a trigger (a webhook, a manual reconcile) cannot reconcile: it adds
//! the stacks to the item's `pending` string set, and the leader takes them out at its next
//! renewal, in the same conditional write (`DELETE` of exactly the names it read, so a name
//! added meanwhile stays for the renewal after).
//!
//! Guarantees: at most one replica holds a given epoch; a replica stops mutating (`fence` fails)
//! `renew_deadline` after the start of its last successful renewal, before the lease
//! (`duration`) can expire and another replica take it. Assumptions: replicas' clocks differ by
//! less than `duration − renew_deadline`. Caveats: a mutation already sent when the deadline
//! passes still completes; each batch re-checks the fence first.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use aws_smithy_types::error::operation::BuildError;
use tokio::time::Instant;

use crate::aws::error::{classify, AwsError, Classified, ErrorKind};
use crate::aws::Clients;

#[derive(Clone, Debug)]
pub struct LeaseConfig {
    pub table: String,
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

/// A failed condition means another replica wrote first: not an error, just not the leader.
fn lost_race_is_none(result: Result<u64, AwsError>) -> Result<Option<u64>, AwsError> {
    match result {
        Ok(epoch) => Ok(Some(epoch)),
        Err(e) if e.code.as_deref() == Some(CONDITION_FAILED) => Ok(None),
        Err(e) => Err(e),
    }
}

/// What one renewal found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Renewal {
    /// This replica leads until `renew_deadline` from the start of the renewal.
    pub leading: bool,
    /// Stacks followers handed over since the last renewal (taken out of the item); empty
    /// unless `leading`.
    pub handed_over: Vec<String>,
}

pub struct Lease {
    clients: Clients,
    config: LeaseConfig,
    clock: WallClock,
    held: Mutex<Option<Held>>,
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}
fn n(v: u64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

impl Lease {
    pub fn new(clients: Clients, config: LeaseConfig, clock: WallClock) -> Lease {
        Lease {
            clients,
            config,
            clock,
            held: Mutex::new(None),
        }
    }

    fn set_held(&self, held: Option<Held>) {
        *self.held.lock().unwrap_or_else(|e| e.into_inner()) = held;
    }

    fn held(&self) -> Option<Held> {
        *self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Create the lease table if it does not exist (on-demand; one item per lease).
    pub async fn ensure_table(&self) -> Result<(), AwsError> {
        // A builder's error: a required field left unset, a bug here.
        let invalid =
            |e: BuildError| AwsError::new("CreateTable", ErrorKind::Validation, e.to_string());
        let result = self
            .clients
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
            Ok(_) => crate::kinds::table::aws::wait_active(&self.clients, &self.config.table).await,
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

    /// Take the lease if it is free or expired, or renew it if held. `Ok(true)`: this replica
    /// leads until `renew_deadline` from now. Hand-overs stay in the item for the next renewal.
    pub async fn acquire_or_renew(&self) -> Result<bool, AwsError> {
        self.renew(false).await.map(|r| r.leading)
    }

    /// Hand `stacks` to whichever replica leads: added to the item's `pending` set, which the
    /// leader reads at its next renewal.
    pub async fn hand_over(&self, stacks: &[String]) -> Result<(), AwsError> {
        if stacks.is_empty() {
            return Ok(());
        }
        self.clients
            .dynamodb
            .update_item()
            .table_name(&self.config.table)
            .key("name", s(&self.config.name))
            .update_expression("ADD pending :p")
            .expression_attribute_values(":p", AttributeValue::Ss(stacks.to_vec()))
            .send()
            .await
            .done()
    }

    /// `acquire_or_renew`, and when this replica leads and `take_hand_overs` is set, the stacks
    /// followers handed over, taken out of the item by the renewal itself.
    pub async fn renew(&self, take_hand_overs: bool) -> Result<Renewal, AwsError> {
        let started = Instant::now();
        let now = (self.clock)();
        let expires = now + self.config.duration.as_millis() as u64;
        let current = self
            .clients
            .dynamodb
            .get_item()
            .table_name(&self.config.table)
            .key("name", s(&self.config.name))
            .consistent_read(true)
            .send()
            .await
            .classified()?;
        let item = current.item();
        let field = |k: &str| item.and_then(|i| i.get(k));
        let holder = field("holder").and_then(|v| v.as_s().ok()).cloned();
        let number = |k: &str| {
            field(k)
                .and_then(|v| v.as_n().ok())
                .and_then(|v| v.parse::<u64>().ok())
        };
        let (epoch, their_expiry) = (number("epoch"), number("expires"));
        let pending: Vec<String> = field("pending")
            .and_then(|v| v.as_ss().ok())
            .cloned()
            .unwrap_or_default();
        let take = if take_hand_overs { pending } else { Vec::new() };
        let me = &self.config.holder;
        let ours = holder.as_deref() == Some(me.as_str())
            && epoch.is_some()
            && self.held().is_some_and(|h| Some(h.epoch) == epoch);
        let won: Result<Option<u64>, AwsError> = if item.is_none() {
            let result = self
                .put(expires, 1)
                .condition_expression("attribute_not_exists(#n)")
                .expression_attribute_names("#n", "name")
                .send()
                .await;
            lost_race_is_none(result.map(|_| 1).classified())
        } else if ours {
            self.set_expiry_taking(epoch.unwrap_or(0), expires, &take)
                .await
        } else if their_expiry.is_none_or(|x| x < now) {
            let e = epoch.unwrap_or(0);
            let result = self
                .put(expires, e + 1)
                .condition_expression(
                    "attribute_not_exists(epoch) OR (epoch = :e AND expires = :x)",
                )
                .expression_attribute_values(":e", n(e))
                .expression_attribute_values(":x", n(their_expiry.unwrap_or(0)))
                .send()
                .await;
            lost_race_is_none(result.map(|_| e + 1).classified())
        } else {
            Ok(None)
        };
        match won? {
            Some(epoch) => {
                self.set_held(Some(Held {
                    epoch,
                    valid_until: started + self.config.renew_deadline,
                }));
                // Taken only by a renewal of ours; a take-over rewrote the item without them
                // (and a new leader queues every stack anyway).
                Ok(Renewal {
                    leading: true,
                    handed_over: if ours { take } else { Vec::new() },
                })
            }
            None => {
                self.set_held(None);
                Ok(Renewal::default())
            }
        }
    }

    fn put(
        &self,
        expires: u64,
        epoch: u64,
    ) -> aws_sdk_dynamodb::operation::put_item::builders::PutItemFluentBuilder {
        self.clients
            .dynamodb
            .put_item()
            .table_name(&self.config.table)
            .item("name", s(&self.config.name))
            .item("holder", s(&self.config.holder))
            .item("expires", n(expires))
            .item("epoch", n(epoch))
    }

    /// The epoch if this replica may mutate now (held, and within the renew deadline).
    pub fn fence(&self) -> Result<u64, FenceError> {
        match self.held() {
            Some(held) if Instant::now() < held.valid_until => Ok(held.epoch),
            Some(_) => Err(FenceError::NotRenewed),
            None => Err(FenceError::NotHeld),
        }
    }

    /// Move the expiry of the lease this replica holds at `epoch`; `None` if it no longer does.
    async fn set_expiry(&self, epoch: u64, expires: u64) -> Result<Option<u64>, AwsError> {
        self.set_expiry_taking(epoch, expires, &[]).await
    }

    /// `set_expiry`, also deleting `taken` from the hand-over set in the same write.
    async fn set_expiry_taking(
        &self,
        epoch: u64,
        expires: u64,
        taken: &[String],
    ) -> Result<Option<u64>, AwsError> {
        let mut update = self
            .clients
            .dynamodb
            .update_item()
            .table_name(&self.config.table)
            .key("name", s(&self.config.name))
            .update_expression("SET expires = :x")
            .condition_expression("holder = :me AND epoch = :e")
            .expression_attribute_values(":x", n(expires))
            .expression_attribute_values(":me", s(&self.config.holder))
            .expression_attribute_values(":e", n(epoch));
        if !taken.is_empty() {
            update = update
                .update_expression("SET expires = :x DELETE pending :taken")
                .expression_attribute_values(":taken", AttributeValue::Ss(taken.to_vec()));
        }
        let result = update.send().await;
        lost_race_is_none(result.map(|_| epoch).classified())
    }

    /// Give the lease up (graceful shutdown): expire it now, if still ours.
    pub async fn release(&self) -> Result<(), AwsError> {
        let Some(held) = self.held() else {
            return Ok(());
        };
        self.set_held(None);
        self.set_expiry(held.epoch, 0).await.map(|_| ())
    }
}

/// Why this replica may not mutate now.
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
