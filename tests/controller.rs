//! The controller's parts against the emulator: the DynamoDB lease and its fence.

mod support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use slsctl::aws::Clients;
use slsctl::controller::lease::{Lease, LeaseConfig};
use support::{unique, Emulator};

async fn clients() -> Clients {
    Clients::new(&Emulator::shared().sdk_config().await)
}

fn config(table: &str, holder: &str, renew_deadline: Duration) -> LeaseConfig {
    LeaseConfig {
        table: table.to_string(),
        name: "stacks".to_string(),
        holder: holder.to_string(),
        duration: Duration::from_secs(15),
        renew_deadline,
    }
}

/// One leader at a time; a leader that stops renewing loses the lease when it expires, the other
/// takes it with a higher epoch, and the old one can no longer mutate.
#[tokio::test]
async fn one_replica_leads_and_the_other_takes_over_with_a_higher_epoch() {
    let clients = clients().await;
    let table = unique("leases");
    let wall = Arc::new(AtomicU64::new(1_000_000));
    let clock = {
        let wall = wall.clone();
        Arc::new(move || wall.load(Ordering::SeqCst)) as slsctl::controller::lease::WallClock
    };
    let a = Lease::new(
        clients.clone(),
        config(&table, "a", Duration::from_secs(10)),
        clock.clone(),
    );
    let b = Lease::new(
        clients.clone(),
        config(&table, "b", Duration::from_secs(10)),
        clock.clone(),
    );
    a.ensure_table().await.unwrap();
    b.ensure_table()
        .await
        .expect("a second create is not an error");

    assert!(a.acquire_or_renew().await.unwrap());
    assert_eq!(a.fence(), Ok(1));
    assert!(!b.acquire_or_renew().await.unwrap(), "the lease is held");
    assert!(b.fence().is_err());
    wall.fetch_add(10_000, Ordering::SeqCst);
    assert!(a.acquire_or_renew().await.unwrap(), "renewed");
    assert!(
        !b.acquire_or_renew().await.unwrap(),
        "renewed, so still held"
    );

    // a stops renewing; 15 s later the lease has expired and b takes it.
    wall.fetch_add(15_001, Ordering::SeqCst);
    assert!(b.acquire_or_renew().await.unwrap());
    assert_eq!(b.fence(), Ok(2), "a new holder, a new epoch");
    assert!(!a.acquire_or_renew().await.unwrap(), "a lost it");
    assert!(a.fence().is_err(), "a must not mutate any more");

    // Graceful shutdown: b releases, and a can lead at once.
    b.release().await.unwrap();
    assert!(b.fence().is_err());
    assert!(a.acquire_or_renew().await.unwrap());
    assert_eq!(a.fence(), Ok(3));
}

/// A leader whose renewals stop getting through stops mutating at its renew deadline, before
/// the lease can expire for the others.
#[tokio::test]
async fn the_fence_closes_at_the_renew_deadline_without_renewals() {
    let clients = clients().await;
    let table = unique("leases");
    let lease = Lease::new(
        clients,
        config(&table, "a", Duration::from_millis(300)),
        slsctl::controller::lease::system_clock(),
    );
    lease.ensure_table().await.unwrap();
    assert!(lease.acquire_or_renew().await.unwrap());
    assert!(lease.fence().is_ok());
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(lease.fence().is_err());
}
