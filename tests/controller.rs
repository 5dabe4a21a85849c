//! The controller's parts against the emulator: the DynamoDB lease and its fence.

mod support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use slsctl::aws::Clients;
use slsctl::controller::lease::{LeaseConfig, Leases};
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

/// `ticks` rounds of `replicas` each ticking once over `stacks`, in turn.
async fn rounds(replicas: &[&Leases], stacks: &[String], ticks: usize) {
    for _ in 0..ticks {
        for replica in replicas {
            replica
                .tick(stacks, &Default::default(), &Default::default(), false)
                .await
                .unwrap();
        }
    }
}

/// One holder per stack; a holder that stops renewing loses the stack's lease when it expires,
/// the other takes it with a higher epoch, and the old one can no longer mutate it.
#[tokio::test]
async fn one_replica_holds_a_stack_and_the_other_takes_over_with_a_higher_epoch() {
    let clients = clients().await;
    let table = unique("leases");
    let wall = Arc::new(AtomicU64::new(1_000_000));
    let clock = {
        let wall = wall.clone();
        Arc::new(move || wall.load(Ordering::SeqCst)) as slsctl::controller::lease::WallClock
    };
    let a = Leases::new(
        clients.clone(),
        config(&table, "a", Duration::from_secs(10)),
        clock.clone(),
    );
    let b = Leases::new(
        clients.clone(),
        config(&table, "b", Duration::from_secs(10)),
        clock.clone(),
    );
    a.ensure_table().await.unwrap();
    b.ensure_table()
        .await
        .expect("a second create is not an error");
    let stacks = vec!["s".to_string()];
    let (none, none_reported) = (Default::default(), Default::default());

    // The first tick only announces the replica.
    assert!(a
        .tick(&stacks, &none, &none_reported, false)
        .await
        .unwrap()
        .gained
        .is_empty());
    assert!(b
        .tick(&stacks, &none, &none_reported, false)
        .await
        .unwrap()
        .gained
        .is_empty());
    assert_eq!(
        a.tick(&stacks, &none, &none_reported, false)
            .await
            .unwrap()
            .gained,
        stacks
    );
    assert_eq!(a.fence("s"), Ok(1));
    let tick = b.tick(&stacks, &none, &none_reported, false).await.unwrap();
    assert!(tick.gained.is_empty(), "the lease is held");
    assert_eq!((tick.live_replicas, tick.share), (2, 1));
    assert!(b.fence("s").is_err());
    assert_eq!(b.holders().get("s").map(String::as_str), Some("a"));
    wall.fetch_add(10_000, Ordering::SeqCst);
    rounds(&[&a, &b], &stacks, 1).await;
    assert_eq!(a.fence("s"), Ok(1), "renewed");
    assert!(b.fence("s").is_err(), "renewed, so still held");

    // a stops renewing; 15 s later the lease has expired and b takes it.
    wall.fetch_add(15_001, Ordering::SeqCst);
    assert_eq!(
        b.tick(&stacks, &none, &none_reported, false)
            .await
            .unwrap()
            .gained,
        stacks
    );
    assert_eq!(b.fence("s"), Ok(2), "a new holder, a new epoch");
    let tick = a.tick(&stacks, &none, &none_reported, false).await.unwrap();
    assert_eq!(tick.lost, stacks, "a lost it");
    assert!(a.fence("s").is_err(), "a must not mutate it any more");

    // Graceful shutdown: b releases, and a takes it at its next tick.
    b.release().await.unwrap();
    assert!(b.fence("s").is_err());
    assert_eq!(
        a.tick(&stacks, &none, &none_reported, false)
            .await
            .unwrap()
            .gained,
        stacks
    );
    assert_eq!(a.fence("s"), Ok(3));
}

/// A holder whose renewals stop getting through stops mutating at its renew deadline, before
/// the lease can expire for the others.
#[tokio::test]
async fn the_fence_closes_at_the_renew_deadline_without_renewals() {
    let clients = clients().await;
    let table = unique("leases");
    let lease = Leases::new(
        clients,
        config(&table, "a", Duration::from_millis(300)),
        slsctl::controller::lease::system_clock(),
    );
    lease.ensure_table().await.unwrap();
    let stacks = vec!["s".to_string()];
    rounds(&[&lease], &stacks, 2).await;
    assert!(lease.fence("s").is_ok());
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(lease.fence("s").is_err());
}

/// Replica "a" on a new lease table, its calls through a fault proxy of its own (`seed`) with
/// `timeout` per attempt; the proxy, the replica and the table.
async fn proxied_lease(
    seed: u64,
    label: &str,
    timeout: Duration,
    renew_deadline: Duration,
) -> (support::faults::FaultProxy, Leases, String) {
    let emulator = Emulator::shared();
    let sdk = emulator.sdk_config().await;
    let proxy = support::faults::FaultProxy::start(&emulator.endpoint, seed).await;
    let proxied = support::faults::isolated(
        Clients::new(&support::faults::through(&sdk, &proxy, timeout)),
        label,
    );
    let table = unique("leases");
    let lease = Leases::new(
        proxied,
        config(&table, "a", renew_deadline),
        slsctl::controller::lease::system_clock(),
    );
    (proxy, lease, table)
}

/// A replica above its share gives back only stacks it is not reconciling, as they stand when
/// it gives them back: a reconcile that starts during the tick (whose renewals take seconds)
/// keeps its stack. Before, the tick read which stacks were busy when it began, and could give a
/// stack back under a reconcile that had just started, which another replica then reconciled
/// at the same time.
#[tokio::test]
async fn a_stack_whose_reconcile_starts_during_a_tick_is_not_given_back() {
    use support::faults::{Fault, Rule};
    let (proxy, a, table) = proxied_lease(
        0xb05e,
        "busy-during-tick",
        Duration::from_secs(10),
        Duration::from_secs(10),
    )
    .await;
    let b = Leases::new(
        clients().await,
        config(&table, "b", Duration::from_secs(10)),
        slsctl::controller::lease::system_clock(),
    );
    a.ensure_table().await.unwrap();
    let stacks: Vec<String> = vec!["s0".into(), "s1".into()];
    rounds(&[&a], &stacks, 2).await;
    assert_eq!(a.holding(), stacks);
    // b joins: a's share is now one of the two, and its next tick gives one back.
    rounds(&[&b], &stacks, 2).await;

    // Each of a's lease writes takes 700 ms; both stacks start reconciling while its tick is
    // on its first.
    proxy.set_rules(vec![Rule {
        service: Some("dynamodb".into()),
        operation: Some("UpdateItem".into()),
        fault: Fault::Latency(Duration::from_millis(700)),
        rate: 1.0,
    }]);
    let busy = std::sync::Mutex::new(std::collections::BTreeSet::new());
    let none_reported = Default::default();
    let tick = a.tick(&stacks, &busy, &none_reported, false);
    let start_reconciles = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        busy.lock().unwrap().extend(stacks.iter().cloned());
    };
    let (tick, ()) = tokio::join!(tick, start_reconciles);
    let tick = tick.unwrap();
    assert_eq!(tick.share, 1, "{tick:?}");
    assert!(
        tick.lost.is_empty(),
        "given back while reconciling: {tick:?}"
    );
    assert_eq!(a.holding(), stacks);

    // Once they are done, the excess goes back.
    proxy.set_rules(Vec::new());
    busy.lock().unwrap().clear();
    let tick = a.tick(&stacks, &busy, &none_reported, false).await.unwrap();
    assert_eq!(tick.lost.len(), 1, "{tick:?}");
}

/// Throttled lease writes: one throttle in two is absorbed by the backoff and every lease is
/// renewed, and so they are when the heartbeat cannot be written; when every write is throttled, the renewals fail, the tick still ends within
/// seconds (one lease backs off, the others get one try each) and the fence closes; once DynamoDB answers again, the leases (still this
/// replica's) are renewed at the same epoch.
#[tokio::test]
async fn throttled_renewals_back_off_and_the_fence_closes_until_they_land() {
    use support::faults::{Fault, Rule};
    let (proxy, lease, _) = proxied_lease(
        0x1ea5e,
        "lease-throttle",
        Duration::from_secs(5),
        Duration::from_millis(800),
    )
    .await;
    lease.ensure_table().await.unwrap();
    let stacks: Vec<String> = (0..4).map(|i| format!("s{i}")).collect();
    rounds(&[&lease], &stacks, 2).await;
    assert_eq!(lease.holding(), stacks);
    let epochs: Vec<u64> = stacks.iter().map(|s| lease.fence(s).unwrap()).collect();

    let throttle = |rate: f64| {
        proxy.set_rules(vec![Rule {
            service: Some("dynamodb".into()),
            operation: Some("UpdateItem".into()),
            fault: Fault::Throttle,
            rate,
        }])
    };
    throttle(0.5);
    for _ in 0..3 {
        let started = std::time::Instant::now();
        let tick = lease
            .tick(&stacks, &Default::default(), &Default::default(), false)
            .await
            .unwrap();
        assert!(tick.lost.is_empty(), "{tick:?}");
        assert_eq!(
            lease.holding(),
            stacks,
            "renewed within {:?}",
            started.elapsed()
        );
    }
    assert!(proxy
        .stats()
        .injected
        .get("throttle")
        .is_some_and(|n| *n > 0));
    // A heartbeat that cannot be written does not stop the renewals.
    proxy.set_rules(vec![Rule {
        service: Some("dynamodb".into()),
        operation: Some("PutItem".into()),
        fault: Fault::Throttle,
        rate: 1.0,
    }]);
    let tick = lease
        .tick(&stacks, &Default::default(), &Default::default(), false)
        .await
        .unwrap();
    assert!(tick.lost.is_empty(), "{tick:?}");
    assert_eq!(lease.holding(), stacks);

    throttle(1.0);
    let started = std::time::Instant::now();
    let tick = lease
        .tick(&stacks, &Default::default(), &Default::default(), false)
        .await
        .unwrap();
    let took = started.elapsed();
    eprintln!("a tick with every renewal throttled took {took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert!(tick.lost.is_empty(), "not lost, only not renewed: {tick:?}");
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(
        stacks.iter().all(|s| lease.fence(s).is_err()),
        "the fence closed at the renew deadline"
    );

    proxy.set_rules(vec![]);
    rounds(&[&lease], &stacks, 1).await;
    let renewed: Vec<u64> = stacks.iter().map(|s| lease.fence(s).unwrap()).collect();
    assert_eq!(renewed, epochs, "still this replica's, at the same epoch");
}

/// How many replicas may mutate each stack right now: never more than one.
fn assert_fenced(replicas: &[&Leases], stacks: &[String]) {
    for stack in stacks {
        let open: Vec<&str> = replicas
            .iter()
            .filter(|r| r.fence(stack).is_ok())
            .map(|r| r.holder())
            .collect();
        assert!(open.len() <= 1, "{stack} is held by {open:?}");
    }
}

/// Three replicas over nine stacks hold three each; a replica that dies (stops ticking) loses
/// its stacks to the two others within a lease duration, and at no point can two replicas
/// mutate the same stack. Every replica's view names the holder of every stack.
#[tokio::test]
async fn three_replicas_share_nine_stacks_and_a_dead_ones_move_within_a_lease_duration() {
    let clients = clients().await;
    let table = unique("leases");
    let duration = Duration::from_millis(1500);
    let replica = |holder: &str| {
        Leases::new(
            clients.clone(),
            LeaseConfig {
                table: table.clone(),
                name: "fleet".into(),
                holder: holder.into(),
                duration,
                renew_deadline: Duration::from_millis(1000),
            },
            slsctl::controller::lease::system_clock(),
        )
    };
    let (a, b, c) = (replica("a"), replica("b"), replica("c"));
    a.ensure_table().await.unwrap();
    let stacks: Vec<String> = (0..9).map(|i| format!("stack-{i}")).collect();
    let all = [&a, &b, &c];
    rounds(&all, &stacks, 3).await;
    assert_fenced(&all, &stacks);
    for r in all {
        assert_eq!(r.holding().len(), 3, "{}: {:?}", r.holder(), r.holding());
        let holders = r.holders();
        assert_eq!(
            holders.len(),
            9,
            "{}'s view names every holder: {holders:?}",
            r.holder()
        );
        for stack in r.holding() {
            assert_eq!(holders[&stack], r.holder());
        }
    }
    let c_held = c.holding();

    // c dies: a and b go on ticking (every 250 ms, as a controller with this lease would).
    let died = std::time::Instant::now();
    let survivors = [&a, &b];
    loop {
        rounds(&survivors, &stacks, 1).await;
        assert_fenced(&all, &stacks);
        if a.holding().len() + b.holding().len() == 9 {
            break;
        }
        assert!(
            died.elapsed() < duration * 3,
            "c's stacks did not move: {:?} {:?}",
            a.holding(),
            b.holding()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let moved = died.elapsed();
    eprintln!("a dead replica's stacks moved in {moved:?} (lease {duration:?})");
    assert!(
        moved < duration + Duration::from_secs(1),
        "within a lease duration and a tick: {moved:?}"
    );
    assert!(
        c.holding().is_empty(),
        "c's fence closed: {:?}",
        c.holding()
    );
    for stack in &c_held {
        assert!(a.fence(stack).is_ok() || b.fence(stack).is_ok(), "{stack}");
    }
    // The fair share of two: five each at most.
    assert!(a.holding().len() <= 5 && b.holding().len() <= 5);
    // c comes back (a restart): the others give back their excess, and it takes its share.
    let c = replica("c");
    let all = [&a, &b, &c];
    rounds(&all, &stacks, 3).await;
    assert_fenced(&all, &stacks);
    let shares: Vec<usize> = all.iter().map(|r| r.holding().len()).collect();
    assert_eq!(shares, [3, 3, 3], "rebalanced");
}

use slsctl::controller::{
    Controller, ControllerConfig, Mode, SourceKind, StackConfig, StackStatus,
};
use slsctl::source::s3::S3Source;

const QUEUE: &str = "apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {name: jobs}\nspec: {delaySeconds: DELAY}\n";

async fn put(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, body: &str) {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(body.as_bytes().to_vec().into())
        .send()
        .await
        .unwrap();
}

/// A new bucket holding stack `s` under `stacks/s/`: a stack named `prefix…` with one queue of
/// `delay` seconds. Returns the bucket and the stack's name.
async fn seeded_bucket(s3: &aws_sdk_s3::Client, prefix: &str, delay: u32) -> (String, String) {
    let bucket = unique("specs");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let name = unique(prefix);
    put(s3, &bucket, "stacks/s/stack.yaml", &stack_doc(&name)).await;
    put(
        s3,
        &bucket,
        "stacks/s/queue.yaml",
        &QUEUE.replace("DELAY", &delay.to_string()),
    )
    .await;
    (bucket, name)
}

fn stack_doc(name: &str) -> String {
    format!("apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {{name: {name}}}\nspec: {{region: us-east-1}}\n")
}

/// Wait (up to `limit`) until the stack's status satisfies `ready`; returns the last status.
async fn wait_for(
    controller: &Controller,
    limit: Duration,
    ready: impl Fn(&StackStatus) -> bool,
) -> StackStatus {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let status = controller.status().get("s").cloned().unwrap_or_default();
        if ready(&status) || tokio::time::Instant::now() > deadline {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Publish a new delay for each of `stacks` (key, queue name) and wait until AWS holds it on
/// every one of them: a replica that does not hold them, or is dead, cannot have applied it.
async fn publish_delay_and_wait(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    clients: &Clients,
    stacks: &[&(String, String)],
    delay: &str,
    since: std::time::Instant,
) {
    for (key, _) in stacks {
        put(
            s3,
            bucket,
            &format!("stacks/{key}/queue.yaml"),
            &QUEUE.replace("DELAY", delay),
        )
        .await;
    }
    for (_, name) in stacks {
        while queue_delay(clients, name).await.as_deref() != Some(delay) {
            assert!(
                since.elapsed() < Duration::from_secs(30),
                "{name} was not taken over"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

async fn queue_delay(clients: &Clients, name: &str) -> Option<String> {
    let url = slsctl::kinds::queue::aws::get_queue_url(clients, &format!("{name}-jobs"))
        .await
        .unwrap()?;
    let out = clients
        .sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::DelaySeconds)
        .send()
        .await
        .unwrap();
    out.attributes()
        .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::DelaySeconds))
        .cloned()
}

/// A controller of one stack `s` read from `s3://bucket/stacks/s/`, polled every 500 ms.
fn s3_controller(
    clients: &Clients,
    s3: aws_sdk_s3::Client,
    bucket: &str,
    cache: &std::path::Path,
    lease: Option<LeaseConfig>,
) -> Arc<Controller> {
    Arc::new(Controller::new(
        s3_config(bucket, cache, Duration::from_millis(500), lease),
        clients.clone(),
        s3,
    ))
}

fn s3_config(
    bucket: &str,
    cache: &std::path::Path,
    interval: Duration,
    lease: Option<LeaseConfig>,
) -> ControllerConfig {
    ControllerConfig {
        stacks: vec![StackConfig {
            name: "s".into(),
            source: SourceKind::S3(S3Source {
                bucket: bucket.into(),
                prefix: "stacks/s/".into(),
            }),
            interval,
            mode: Mode::Heal,
            suspended: false,
        }],
        cache_dir: cache.to_path_buf(),
        resync: interval.max(Duration::from_secs(300)),
        concurrency: 2,
        lease,
        events_bus: None,
        events: None,
    }
}

/// An S3 source: a new revision is reconciled within a poll; an emptied, then invalid source
/// keeps the last good revision in force and deletes nothing.
#[tokio::test]
async fn an_s3_source_is_reconciled_and_a_broken_one_deletes_nothing() {
    let sdk = Emulator::shared().sdk_config().await;
    let clients = Clients::new(&sdk);
    let s3 = slsctl::source::s3::client(&sdk);
    let (bucket, name) = seeded_bucket(&s3, "ctl", 5).await;
    let cache = tempfile::tempdir().unwrap();
    let controller = s3_controller(&clients, s3.clone(), &bucket, cache.path(), None);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(controller.clone().run(stopped));

    let status = wait_for(&controller, Duration::from_secs(30), |s| s.synced).await;
    assert!(
        status.synced && status.ready && !status.degraded,
        "{status:?}"
    );
    let first = status.revision.clone().unwrap();
    assert_eq!(queue_delay(&clients, &name).await.as_deref(), Some("5"));

    // A new revision: applied within a poll or two.
    put(
        &s3,
        &bucket,
        "stacks/s/queue.yaml",
        &QUEUE.replace("DELAY", "7"),
    )
    .await;
    let status = wait_for(&controller, Duration::from_secs(30), |s| {
        s.revision.as_deref().is_some_and(|r| r != first)
    })
    .await;
    assert!(status.synced, "{status:?}");
    assert_eq!(queue_delay(&clients, &name).await.as_deref(), Some("7"));
    let good = status.revision.clone().unwrap();

    // Emptied: degraded, nothing deleted, the last good revision stays in force.
    for key in ["stacks/s/stack.yaml", "stacks/s/queue.yaml"] {
        s3.delete_object()
            .bucket(&bucket)
            .key(key)
            .send()
            .await
            .unwrap();
    }
    // A poll between the two deletions lists an object that is gone by the time it is read:
    // degraded as unreachable for that poll. The state to check is the one after both.
    let status = wait_for(&controller, Duration::from_secs(30), |s| {
        s.last_error
            .as_deref()
            .is_some_and(|e| e.contains("source empty"))
    })
    .await;
    assert!(status.degraded, "{status:?}");
    assert!(
        status
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("source empty"),
        "{status:?}"
    );
    assert_eq!(status.revision.as_deref(), Some(good.as_str()));
    assert_eq!(
        queue_delay(&clients, &name).await.as_deref(),
        Some("7"),
        "not deleted"
    );

    // Invalid: degraded with the diagnostics, nothing applied from it, nothing deleted.
    put(&s3, &bucket, "stacks/s/stack.yaml", &stack_doc(&name)).await;
    put(&s3, &bucket, "stacks/s/queue.yaml", "apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {name: jobs}\nspec: {delaySecond: 1}\n").await;
    let status = wait_for(&controller, Duration::from_secs(30), |s| {
        s.last_error
            .as_deref()
            .is_some_and(|e| e.contains("is invalid"))
    })
    .await;
    assert!(status.degraded, "{status:?}");
    assert!(
        status
            .last_error
            .as_deref()
            .unwrap()
            .contains("unknown field `delaySecond`"),
        "{status:?}"
    );
    assert_eq!(
        queue_delay(&clients, &name).await.as_deref(),
        Some("7"),
        "not deleted"
    );

    let _ = stop.send(true);
    running.await.unwrap().unwrap();
}

/// Health from alarms: after a reconcile, a stack with an alarm in ALARM is Degraded with the
/// alarm's name (`/api/stacks` and the status page show the states); back to OK, it is not.
#[tokio::test]
async fn an_alarm_in_alarm_after_a_reconcile_marks_the_stack_degraded_with_its_name() {
    let sdk = Emulator::shared().sdk_config().await;
    let clients = Clients::new(&sdk);
    let s3 = slsctl::source::s3::client(&sdk);
    let (bucket, name) = seeded_bucket(&s3, "ctlalarm", 5).await;
    let cache = tempfile::tempdir().unwrap();
    // Polled rarely: the test reconciles by hand.
    let controller = Arc::new(Controller::new(
        s3_config(&bucket, cache.path(), Duration::from_secs(600), None),
        clients.clone(),
        s3.clone(),
    ));
    controller.reconcile("s").await.unwrap();
    let status = controller.status()["s"].clone();
    assert!(status.synced && !status.degraded, "{status:?}");
    // The queue's one alarm (its age), read back with its state: not firing.
    let alarm = format!("{name}-queue-jobs-age");
    assert_eq!(
        status
            .alarms
            .iter()
            .map(|a| (a.name.as_str(), a.resource.as_str()))
            .collect::<Vec<_>>(),
        [(alarm.as_str(), "Alarm/Queue/jobs/age")]
    );
    assert!(status.alarms_firing().is_empty(), "{status:?}");

    let set = |state: aws_sdk_cloudwatch::types::StateValue| {
        clients
            .cloudwatch
            .set_alarm_state()
            .alarm_name(&alarm)
            .state_value(state)
            .state_reason("test")
            .send()
    };
    set(aws_sdk_cloudwatch::types::StateValue::Alarm)
        .await
        .unwrap();
    controller.reconcile("s").await.unwrap();
    let status = controller.status()["s"].clone();
    assert!(status.degraded && status.synced, "{status:?}");
    assert_eq!(status.alarms_firing(), [alarm.as_str()]);
    let json = serde_json::to_value(&status).unwrap();
    assert_eq!(json["alarms"][0]["state"], "ALARM", "{json}");
    let page = slsctl::controller::http::page(&controller);
    assert!(page.contains(&format!("in ALARM: {alarm}")), "{page}");

    set(aws_sdk_cloudwatch::types::StateValue::Ok)
        .await
        .unwrap();
    controller.reconcile("s").await.unwrap();
    let status = controller.status()["s"].clone();
    assert!(!status.degraded, "{status:?}");
    assert_eq!(status.alarms[0].state, "OK");
}

fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn commit(repo: &std::path::Path, file: &str, content: &str) -> String {
    std::fs::write(repo.join(file), content).unwrap();
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "--quiet", "-m", "change"]);
    git(repo, &["rev-parse", "HEAD"])
}

/// A revision that does not validate, with no good one before it to keep in force: the failure
/// is recorded and not retried every few seconds (the same revision would fail the same way), but
/// a trigger after the fix runs it at once.
#[tokio::test]
async fn an_invalid_spec_is_not_retried_until_something_changes() {
    let clients = clients().await;
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("repo");
    std::fs::create_dir_all(repo.join("stacks/s")).unwrap();
    git(&repo, &["init", "--quiet", "-b", "main"]);
    git(&repo, &["config", "user.name", "Test"]);
    git(&repo, &["config", "user.email", "test@example.com"]);
    git(&repo, &["config", "commit.gpgsign", "false"]);
    let name = unique("bad");
    std::fs::write(repo.join("stacks/s/stack.yaml"), stack_doc(&name)).unwrap();
    commit(&repo, "stacks/s/queue.yaml", "apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {name: jobs}\nspec: {delaySecond: 1}\n");
    // A long poll interval: only the first poll, backoff requeues and triggers run it.
    let mut config = s3_config(
        "unused",
        &work.path().join("cache"),
        Duration::from_secs(3600),
        None,
    );
    config.stacks[0].source = SourceKind::Git(slsctl::source::git::GitSource {
        url: format!("file://{}", repo.display()),
        reference: "main".into(),
        path: "stacks/s".into(),
        ..Default::default()
    });
    let s3 = slsctl::source::s3::client(&Emulator::shared().sdk_config().await);
    let controller = Arc::new(Controller::new(config, clients.clone(), s3));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(controller.clone().run(stopped));

    let status = wait_for(&controller, Duration::from_secs(30), |s| s.failures >= 1).await;
    assert!(
        status.degraded
            && status.last_error.as_deref().is_some_and(
                |e| e.contains("is invalid") && e.contains("unknown field `delaySecond`")
            ),
        "{status:?}"
    );
    // A transient failure comes back after 5 s × a jitter in [0.5, 1.5): by 8 s it would have
    // run again.
    tokio::time::sleep(Duration::from_secs(8)).await;
    let status = controller.status()["s"].clone();
    assert_eq!(status.failures, 1, "not retried: {status:?}");

    // Fixed, and pushed: the trigger runs it at once, whatever the backoff.
    commit(&repo, "stacks/s/queue.yaml", &QUEUE.replace("DELAY", "4"));
    assert!(controller.trigger("s"));
    let status = wait_for(&controller, Duration::from_secs(30), |s| s.synced).await;
    assert!(status.synced && !status.degraded, "{status:?}");
    assert_eq!(queue_delay(&clients, &name).await.as_deref(), Some("4"));

    let _ = stop.send(true);
    running.await.unwrap().unwrap();
}

/// AWS throttling every call: the reconcile fails as transient and comes back with backoff (not
/// after the long wait of a bad spec), and applies once AWS answers again.
#[tokio::test]
async fn a_throttled_reconcile_is_retried_with_backoff() {
    use support::faults::{isolated, through, Fault, FaultProxy, Rule};
    let emulator = Emulator::shared();
    let sdk = emulator.sdk_config().await;
    let proxy = FaultProxy::start(&emulator.endpoint, 0x7407_7e11).await;
    proxy.set_rules(vec![Rule::everywhere(Fault::Throttle, 1.0)]);
    let throttled = isolated(
        Clients::new(&through(&sdk, &proxy, Duration::from_secs(5))),
        "throttled",
    );
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("repo");
    std::fs::create_dir_all(repo.join("stacks/s")).unwrap();
    git(&repo, &["init", "--quiet", "-b", "main"]);
    git(&repo, &["config", "user.name", "Test"]);
    git(&repo, &["config", "user.email", "test@example.com"]);
    git(&repo, &["config", "commit.gpgsign", "false"]);
    let name = unique("slow");
    std::fs::write(repo.join("stacks/s/stack.yaml"), stack_doc(&name)).unwrap();
    commit(&repo, "stacks/s/queue.yaml", &QUEUE.replace("DELAY", "3"));
    // A long poll interval: only the first poll and the backoff requeue run it.
    let mut config = s3_config(
        "unused",
        &work.path().join("cache"),
        Duration::from_secs(3600),
        None,
    );
    config.stacks[0].source = SourceKind::Git(slsctl::source::git::GitSource {
        url: format!("file://{}", repo.display()),
        reference: "main".into(),
        path: "stacks/s".into(),
        ..Default::default()
    });
    let s3 = slsctl::source::s3::client(&sdk);
    let controller = Arc::new(Controller::new(config, throttled, s3));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(controller.clone().run(stopped));

    let status = wait_for(&controller, Duration::from_secs(30), |s| s.failures >= 1).await;
    assert!(status.degraded && !status.synced, "{status:?}");
    assert_eq!(status.failures, 1, "{status:?}");
    assert!(
        status
            .last_error
            .as_deref()
            .is_some_and(|e| e.to_lowercase().contains("throttl")),
        "{status:?}"
    );
    let failed = std::time::Instant::now();
    // AWS answers again: the backoff (5 s × a jitter in [0.5, 1.5)) brings the stack back.
    proxy.set_rules(Vec::new());
    let status = wait_for(&controller, Duration::from_secs(30), |s| s.synced).await;
    assert!(status.synced && !status.degraded, "{status:?}");
    let took = failed.elapsed();
    assert!(
        took < Duration::from_secs(20),
        "retried with backoff, not after the long wait: {took:?}"
    );
    assert_eq!(
        queue_delay(&clients().await, &name).await.as_deref(),
        Some("3")
    );

    let _ = stop.send(true);
    running.await.unwrap().unwrap();
}

/// A git source (a `file://` URL): each commit is reconciled within one poll, under its SHA; a
/// commit that empties the stack directory deletes nothing.
#[tokio::test]
async fn a_git_commit_is_reconciled_within_one_poll() {
    let clients = clients().await;
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("repo");
    std::fs::create_dir_all(repo.join("stacks/s")).unwrap();
    git(&repo, &["init", "--quiet", "-b", "main"]);
    git(&repo, &["config", "user.name", "Test"]);
    git(&repo, &["config", "user.email", "test@example.com"]);
    git(&repo, &["config", "commit.gpgsign", "false"]);
    let name = unique("git");
    std::fs::write(repo.join("stacks/s/stack.yaml"), stack_doc(&name)).unwrap();
    let first = commit(&repo, "stacks/s/queue.yaml", &QUEUE.replace("DELAY", "2"));
    let poll = Duration::from_secs(1);
    let mut config = s3_config("unused", &work.path().join("cache"), poll, None);
    config.stacks[0].source = SourceKind::Git(slsctl::source::git::GitSource {
        url: format!("file://{}", repo.display()),
        reference: "main".into(),
        path: "stacks/s".into(),
        ..Default::default()
    });
    let s3 = slsctl::source::s3::client(&Emulator::shared().sdk_config().await);
    let controller = Arc::new(Controller::new(config, clients.clone(), s3));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(controller.clone().run(stopped));

    let status = wait_for(&controller, Duration::from_secs(30), |s| s.synced).await;
    assert_eq!(
        status.revision.as_deref(),
        Some(first.as_str()),
        "{status:?}"
    );
    assert_eq!(queue_delay(&clients, &name).await.as_deref(), Some("2"));

    // The next commit: picked up by the next poll (one interval, plus the reconcile itself).
    let second = commit(&repo, "stacks/s/queue.yaml", &QUEUE.replace("DELAY", "6"));
    let committed = std::time::Instant::now();
    let status = wait_for(&controller, Duration::from_secs(30), |s| {
        s.revision.as_deref() == Some(second.as_str())
    })
    .await;
    assert_eq!(
        status.revision.as_deref(),
        Some(second.as_str()),
        "{status:?}"
    );
    let took = committed.elapsed();
    assert!(
        took < poll + Duration::from_secs(10),
        "a commit waits at most one poll (then the reconcile's own time): {took:?}"
    );
    assert_eq!(queue_delay(&clients, &name).await.as_deref(), Some("6"));

    // A commit that removes the stack directory: degraded, nothing deleted.
    git(&repo, &["rm", "--quiet", "-r", "stacks/s"]);
    git(&repo, &["commit", "--quiet", "-m", "oops"]);
    let status = wait_for(&controller, Duration::from_secs(30), |s| s.degraded).await;
    assert!(
        status
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("source empty"),
        "{status:?}"
    );
    assert_eq!(status.revision.as_deref(), Some(second.as_str()));
    assert_eq!(
        queue_delay(&clients, &name).await.as_deref(),
        Some("6"),
        "not deleted"
    );

    let _ = stop.send(true);
    running.await.unwrap().unwrap();
}

/// Two controllers on one lease table, polling only every 5 minutes: the replica that takes the
/// lease reconciles at once; a push that reaches the follower is handed to the leader through the
/// lease item and applied within seconds; when the leader dies without releasing, the other
/// takes over within the lease time and reconciles every stack at once.
#[tokio::test]
async fn two_controllers_share_a_lease_hand_pushes_over_and_the_survivor_takes_over() {
    let sdk = Emulator::shared().sdk_config().await;
    let clients = Clients::new(&sdk);
    let s3 = slsctl::source::s3::client(&sdk);
    let (bucket, name) = seeded_bucket(&s3, "ha", 1).await;
    let table = unique("leases");
    let lease = |holder: &str| LeaseConfig {
        table: table.clone(),
        name: "controller".into(),
        holder: holder.into(),
        duration: Duration::from_secs(3),
        renew_deadline: Duration::from_secs(2),
    };
    let (cache_a, cache_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // Polls this rare never fire during the test: every reconcile below comes from taking the
    // lease or from the push.
    let poll = Duration::from_secs(300);
    let controller = |cache: &std::path::Path, holder: &str| {
        Arc::new(Controller::new(
            s3_config(&bucket, cache, poll, Some(lease(holder))),
            clients.clone(),
            s3.clone(),
        ))
    };
    let (a, b) = (
        controller(cache_a.path(), "a"),
        controller(cache_b.path(), "b"),
    );
    let (_stop_a, stopped_a) = tokio::sync::watch::channel(false);
    let (stop_b, stopped_b) = tokio::sync::watch::channel(false);
    let started = std::time::Instant::now();
    let run_a = tokio::spawn(a.clone().run(stopped_a));
    // Let a take the lease first.
    let status = wait_for(&a, Duration::from_secs(30), |s| s.synced).await;
    assert!(status.synced, "the leader reconciles at start: {status:?}");
    eprintln!("first reconcile after start: {:?}", started.elapsed());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr_b = listener.local_addr().unwrap();
    let secret = b"handover".to_vec();
    tokio::spawn(slsctl::controller::http::serve(
        b.clone(),
        listener,
        Some(secret.clone()),
        stopped_b.clone(),
    ));
    let run_b = tokio::spawn(b.clone().run(stopped_b));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(a.is_leader() && !b.is_leader());
    assert_eq!(
        b.status()["s"].reconciles,
        0,
        "the follower does not reconcile"
    );

    // A push to the follower: handed over, applied by the leader at its next renewal (1 s).
    put(
        &s3,
        &bucket,
        "stacks/s/queue.yaml",
        &QUEUE.replace("DELAY", "5"),
    )
    .await;
    let pushed = std::time::Instant::now();
    signed_push(addr_b, &secret).await;
    let status = wait_for(&a, Duration::from_secs(30), |s| s.reconciles >= 2).await;
    assert!(status.synced, "{status:?}");
    let took = pushed.elapsed();
    eprintln!("push to the follower applied by the leader in {took:?}");
    assert!(took < Duration::from_secs(10), "within seconds: {took:?}");
    assert_eq!(queue_delay(&clients, &name).await.as_deref(), Some("5"));
    assert_eq!(b.status()["s"].reconciles, 0, "the follower still does not");
    // The renewal took the hand-over out of the item: later renewals do not queue it again.
    let reconciled = a.status()["s"].reconciles;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        a.status()["s"].reconciles,
        reconciled,
        "a hand-over is taken once"
    );

    // a dies (no graceful release); b takes over after the lease expires and applies a change.
    run_a.abort();
    put(
        &s3,
        &bucket,
        "stacks/s/queue.yaml",
        &QUEUE.replace("DELAY", "9"),
    )
    .await;
    let status = wait_for(&b, Duration::from_secs(30), |s| {
        s.reconciles > 0 && s.synced
    })
    .await;
    assert!(status.synced, "{status:?}");
    assert!(b.is_leader());
    assert_eq!(queue_delay(&clients, &name).await.as_deref(), Some("9"));
    let _ = stop_b.send(true);
    run_b.await.unwrap().unwrap();
}

/// A bucket holding `count` stacks under `stacks/s<i>/`, each a stack named `prefix…` with one
/// queue of `delay` seconds. Returns the bucket and each stack's key and name.
async fn seeded_stacks(
    s3: &aws_sdk_s3::Client,
    prefix: &str,
    count: usize,
    delay: u32,
) -> (String, Vec<(String, String)>) {
    let bucket = unique("specs");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let mut stacks = Vec::new();
    for i in 0..count {
        let (key, name) = (format!("s{i}"), unique(prefix));
        put(
            s3,
            &bucket,
            &format!("stacks/{key}/stack.yaml"),
            &stack_doc(&name),
        )
        .await;
        put(
            s3,
            &bucket,
            &format!("stacks/{key}/queue.yaml"),
            &QUEUE.replace("DELAY", &delay.to_string()),
        )
        .await;
        stacks.push((key, name));
    }
    (bucket, stacks)
}

/// Wait (up to 10 s) until stack `key`'s status satisfies `ready`; returns the last status.
async fn wait_for_key(
    controller: &Controller,
    key: &str,
    ready: impl Fn(&StackStatus) -> bool,
) -> StackStatus {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let status = controller.status()[key].clone();
        if ready(&status) || tokio::time::Instant::now() > deadline {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Three controllers on one lease table over six stacks, polling only every 5 minutes: each
/// takes two stacks and reconciles only those; every replica's status names every stack's
/// holder; a push to any replica is applied by each stack's holder within seconds; when a
/// replica dies without releasing, its stacks are reconciled by the others after its leases
/// expire.
#[tokio::test]
async fn three_controllers_share_six_stacks_a_push_reaches_the_holders_and_a_dead_ones_move() {
    let sdk = Emulator::shared().sdk_config().await;
    let clients = Clients::new(&sdk);
    let s3 = slsctl::source::s3::client(&sdk);
    let (bucket, stacks) = seeded_stacks(&s3, "fleet", 6, 1).await;
    let table = unique("leases");
    let duration = Duration::from_secs(3);
    let poll = Duration::from_secs(300);
    let caches: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let replicas: Vec<Arc<Controller>> = ["a", "b", "c"]
        .iter()
        .zip(&caches)
        .map(|(holder, cache)| {
            let mut config = s3_config(
                &bucket,
                cache.path(),
                poll,
                Some(LeaseConfig {
                    table: table.clone(),
                    name: "fleet".into(),
                    holder: holder.to_string(),
                    duration,
                    renew_deadline: Duration::from_secs(2),
                }),
            );
            let template = config.stacks[0].clone();
            config.stacks = stacks
                .iter()
                .map(|(key, _)| StackConfig {
                    name: key.clone(),
                    source: SourceKind::S3(S3Source {
                        bucket: bucket.clone(),
                        prefix: format!("stacks/{key}/"),
                    }),
                    ..template.clone()
                })
                .collect();
            Arc::new(Controller::new(config, clients.clone(), s3.clone()))
        })
        .collect();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr_a = listener.local_addr().unwrap();
    let secret = b"fleet".to_vec();
    tokio::spawn(slsctl::controller::http::serve(
        replicas[0].clone(),
        listener,
        Some(secret.clone()),
        stopped.clone(),
    ));
    let mut runs: Vec<_> = replicas
        .iter()
        .map(|r| tokio::spawn(r.clone().run(stopped.clone())))
        .collect();

    // Wait until every stack is synced on one replica, and every replica's view of the table
    // names a holder for each stack.
    let settled = |replicas: &[Arc<Controller>]| {
        stacks.iter().all(|(key, _)| {
            replicas.iter().any(|r| r.status()[key].synced)
                && replicas.iter().all(|r| r.status()[key].holder.is_some())
        })
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !settled(&replicas) {
        assert!(std::time::Instant::now() < deadline, "not settled");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // One tick more, so that every view is the same.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let holders: Vec<(String, String)> = stacks
        .iter()
        .map(|(key, _)| {
            (
                key.clone(),
                replicas[0].status()[key].holder.clone().unwrap(),
            )
        })
        .collect();
    for (i, replica) in replicas.iter().enumerate() {
        let name = ["a", "b", "c"][i];
        let status = replica.status();
        let mine: Vec<&String> = holders
            .iter()
            .filter(|(_, h)| h == name)
            .map(|(k, _)| k)
            .collect();
        assert_eq!(mine.len(), 2, "{name} holds its share: {holders:?}");
        for (key, holder) in &holders {
            assert_eq!(
                status[key].holder.as_ref(),
                Some(holder),
                "{name}'s view of {key}"
            );
            // The holder has reconciled its stacks. (Another replica may have too, if it held
            // the stack before the shares settled; never at the same time: the lease tests and
            // the processes' logs check that.)
            if holder == name {
                assert!(
                    status[key].reconciles > 0,
                    "{name}, {key}: {:?}",
                    status[key]
                );
            }
        }
    }
    // Every replica's fleet status shows each stack as its holder reported it (at the holder's
    // next renewal, read at the others' next tick).
    let reported = |r: &Controller| {
        r.fleet_status()
            .values()
            .all(|s| s.synced && s.reconciles > 0 && s.revision.is_some())
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !replicas.iter().all(|r| reported(r)) {
        assert!(
            std::time::Instant::now() < deadline,
            "{:?}",
            replicas[0].fleet_status()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The HTTP API of any replica lists every stack with its holder and the holder's report.
    let body = support::http(addr_a, &get("/api/stacks")).await.1;
    let api: serde_json::Value = serde_json::from_str(&body).unwrap();
    for (key, holder) in &holders {
        assert_eq!(api[key]["holder"], holder.as_str(), "{body}");
        assert_eq!(api[key]["synced"], true, "{body}");
    }
    // The page too: one row per stack with its holder.
    let page = support::http(addr_a, &get("/")).await.1;
    for (key, holder) in &holders {
        assert!(
            page.contains(&format!(
                "<td class=\"name\">{key}</td><td class=\"holder\">{holder}</td>"
            )),
            "{page}"
        );
    }
    assert!(
        page.contains(
            "<p id=\"replica\">replica <code>a</code>, one of 3 live: holds 2 of 6 stacks</p>"
        ),
        "{page}"
    );

    // A push to a, for a stack b holds: applied by b within seconds, never by a.
    let (pushed_key, pushed_name) = stacks
        .iter()
        .find(|(key, _)| holders.iter().any(|(k, h)| k == key && h == "b"))
        .unwrap();
    let before = replicas[1].status()[pushed_key].reconciles;
    put(
        &s3,
        &bucket,
        &format!("stacks/{pushed_key}/queue.yaml"),
        &QUEUE.replace("DELAY", "5"),
    )
    .await;
    let pushed = std::time::Instant::now();
    signed_push(addr_a, &secret).await;
    while queue_delay(&clients, pushed_name).await.as_deref() != Some("5") {
        assert!(
            pushed.elapsed() < Duration::from_secs(15),
            "the push was not applied"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "push to a non-holder applied by the holder in {:?}",
        pushed.elapsed()
    );
    // The holder's status is written once the reconcile ends (after the apply).
    let status = wait_for_key(&replicas[1], pushed_key, |s| s.reconciles > before).await;
    assert!(status.reconciles > before && status.synced, "{status:?}");
    assert_eq!(replicas[0].status()[pushed_key].reconciles, 0);

    // c dies without releasing: its stacks go to a and b once its leases expire.
    let died = std::time::Instant::now();
    runs.pop().unwrap().abort();
    let c_stacks: Vec<&(String, String)> = stacks
        .iter()
        .filter(|(key, _)| holders.iter().any(|(k, h)| k == key && h == "c"))
        .collect();
    publish_delay_and_wait(&s3, &bucket, &clients, &c_stacks, "9", died).await;
    let moved = died.elapsed();
    eprintln!("a dead replica's stacks reconciled by the others {moved:?} after it died (lease {duration:?})");
    assert!(moved < duration * 3, "{moved:?}");
    // A tick later, every view names the new holders.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    for (key, _) in &c_stacks {
        let holder = replicas[0].status()[key].holder.clone();
        assert!(
            matches!(holder.as_deref(), Some("a" | "b")),
            "{key}: {holder:?}"
        );
    }
    let _ = stop.send(true);
    for run in runs {
        run.await.unwrap().unwrap();
    }
}

/// Replica "a" of one stack (`s` in `bucket`) holding its lease (`duration`, renew deadline
/// 2 s), every AWS call of it through `proxy`, its sources polled every `interval`; with its
/// lease configuration and its cache directory (kept alive by the caller).
async fn controller_through(
    proxy: &support::faults::FaultProxy,
    label: &str,
    bucket: &str,
    interval: Duration,
    duration: Duration,
) -> (Arc<Controller>, LeaseConfig, tempfile::TempDir) {
    let sdk = Emulator::shared().sdk_config().await;
    let proxied = support::faults::isolated(
        Clients::new(&support::faults::through(
            &sdk,
            proxy,
            Duration::from_secs(20),
        )),
        label,
    );
    let lease = LeaseConfig {
        table: unique("leases"),
        name: "controller".into(),
        holder: "a".into(),
        duration,
        renew_deadline: Duration::from_secs(2),
    };
    let cache = tempfile::tempdir().unwrap();
    let controller = Arc::new(Controller::new(
        s3_config(bucket, cache.path(), interval, Some(lease.clone())),
        proxied,
        slsctl::source::s3::client(&sdk),
    ));
    (controller, lease, cache)
}

/// A stack queued or requested while this replica holds its lease but has not renewed it in time
/// (DynamoDB slow or throttled) is not reconciled then, since the fence is closed, but is not
/// lost either: the renewal that lands queues it again. (The lease stays this replica's, so no "taken" lease
/// would ever bring it back; before this, it waited for its next resync.)
#[tokio::test]
async fn a_stack_queued_while_its_renewal_is_late_runs_once_the_renewal_lands() {
    use support::faults::{Fault, FaultProxy, Rule};
    let emulator = Emulator::shared();
    let sdk = emulator.sdk_config().await;
    let s3 = slsctl::source::s3::client(&sdk);
    let (bucket, name) = seeded_bucket(&s3, "late", 1).await;
    let proxy = FaultProxy::start(&emulator.endpoint, 0x1a7e).await;
    // No poll or resync within the test: only the trigger can bring the stack back.
    let (controller, _, _cache) = controller_through(
        &proxy,
        "late-renewal",
        &bucket,
        Duration::from_secs(3600),
        Duration::from_secs(30),
    )
    .await;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(controller.clone().run(stopped));
    let first = wait_for(&controller, Duration::from_secs(30), |s| s.synced).await;
    assert!(first.synced, "{first:?}");

    // Every lease write fails: the renewals stop landing and the fence closes, while the
    // lease (30 s) is still this replica's.
    proxy.set_rules(vec![Rule {
        service: Some("dynamodb".into()),
        operation: Some("UpdateItem".into()),
        fault: Fault::Throttle,
        rate: 1.0,
    }]);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while controller.holds("s") {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the fence never closed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    put(
        &s3,
        &bucket,
        "stacks/s/queue.yaml",
        &QUEUE.replace("DELAY", "7"),
    )
    .await;
    assert!(controller.trigger("s"));
    // A request (a webhook, an event) is kept here too, rather than handed over through a lease
    // write that DynamoDB would refuse.
    controller
        .request(&["s".to_string()])
        .await
        .expect("a request for a stack whose renewal is late needs no lease write");
    // The loop takes the key off the queue and, fenced, does not reconcile it.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(controller.status()["s"].reconciles, first.reconciles);

    proxy.set_rules(Vec::new());
    let status = wait_for(&controller, Duration::from_secs(20), |s| {
        s.reconciles > first.reconciles
    })
    .await;
    assert!(
        status.reconciles > first.reconciles && status.synced,
        "the stack set aside while the renewal was late was not queued again: {status:?}"
    );
    assert_eq!(
        queue_delay(&clients().await, &name).await.as_deref(),
        Some("7")
    );
    let _ = stop.send(true);
    running.await.unwrap().unwrap();
}

/// Shutdown while an apply is in flight: the lease is still renewed until the apply ends, so an
/// apply longer than the renew deadline is not fenced partway; then the lease is released.
#[tokio::test]
async fn shutdown_keeps_the_lease_until_the_apply_in_flight_ends() {
    use support::faults::{Fault, FaultProxy, Rule};
    let emulator = Emulator::shared();
    let sdk = emulator.sdk_config().await;
    let s3 = slsctl::source::s3::client(&sdk);
    let (bucket, name) = seeded_bucket(&s3, "drain", 1).await;
    // A queue with a dead-letter queue: two creates, one after the other, each slowed to 3 s,
    // so the second starts 3 s after shutdown, past the 2 s renew deadline.
    put(
        &s3,
        &bucket,
        "stacks/s/queue.yaml",
        "apiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {name: jobs}\nspec: {deadLetter: {queue: dead, maxReceiveCount: 3}}\n---\napiVersion: slsctl.dev/v1alpha1\nkind: Queue\nmetadata: {name: dead}\nspec: {}\n",
    )
    .await;
    let proxy = FaultProxy::start(&emulator.endpoint, 0x5eed_0d12).await;
    proxy.set_rules(vec![Rule {
        service: Some("sqs".into()),
        operation: Some("CreateQueue".into()),
        fault: Fault::Latency(Duration::from_secs(3)),
        rate: 1.0,
    }]);
    let (controller, lease, _cache) = controller_through(
        &proxy,
        "drain",
        &bucket,
        Duration::from_secs(300),
        Duration::from_secs(3),
    )
    .await;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(controller.clone().run(stopped));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !proxy.stats().requests.contains_key("sqs:CreateQueue") {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no apply started: {:?} {:?}",
            controller.status(),
            proxy.stats().requests
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop.send(true);
    let stopping = std::time::Instant::now();
    running.await.unwrap().unwrap();
    eprintln!("shutdown waited {:?} for the apply", stopping.elapsed());
    let status = controller.status()["s"].clone();
    assert!(
        status.synced && status.last_error.is_none(),
        "the apply finished: {status:?}"
    );
    let clients = clients().await;
    assert!(
        queue_delay(&clients, &name).await.is_some(),
        "the second queue was created"
    );
    // Released: another replica takes it at once, without waiting for the lease to expire.
    let other = Leases::new(
        clients,
        LeaseConfig {
            holder: "b".into(),
            ..lease
        },
        slsctl::controller::lease::system_clock(),
    );
    let stacks = vec!["s".to_string()];
    rounds(&[&other], &stacks, 2).await;
    assert!(other.fence("s").is_ok(), "released");
}

/// The API token guards `/` and `/api/*` (and `slsctl reconcile` sends it); health, readiness
/// and metrics stay open. Unknown paths and methods are 404 and 405, never a dropped connection.
#[tokio::test]
async fn the_api_token_guards_status_and_triggers_and_unknown_routes_are_404_or_405() {
    let sdk = Emulator::shared().sdk_config().await;
    let clients = Clients::new(&sdk);
    let s3 = slsctl::source::s3::client(&sdk);
    let cache = tempfile::tempdir().unwrap();
    // Never run: the HTTP side answers from the configuration and queues into the work queue.
    let controller = Arc::new(Controller::new(
        s3_config("unused", cache.path(), Duration::from_secs(300), None),
        clients,
        s3,
    ));
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let token = "correct-horse-battery";
    tokio::spawn(slsctl::controller::http::serve_with(
        controller.clone(),
        listener,
        slsctl::controller::http::Access {
            webhook_secret: None,
            api_token: Some(token.as_bytes().to_vec()),
        },
        stopped,
    ));
    let request = |method: &str, path: &str, authorization: Option<&str>| {
        let header = authorization.map_or(String::new(), |a| format!("Authorization: {a}\r\n"));
        format!("{method} {path} HTTP/1.1\r\nHost: x\r\n{header}Content-Length: 0\r\nConnection: close\r\n\r\n").into_bytes()
    };
    let bearer = format!("Bearer {token}");
    for path in ["/healthz", "/metrics"] {
        assert_eq!(support::http(addr, &get(path)).await.0, 200, "{path} open");
    }
    for path in ["/", "/api/stacks"] {
        assert_eq!(support::http(addr, &get(path)).await.0, 401, "{path}");
        let wrong = request("GET", path, Some("Bearer correct-horse-batter"));
        assert_eq!(support::http(addr, &wrong).await.0, 401, "{path}");
        let right = request("GET", path, Some(&bearer));
        assert_eq!(support::http(addr, &right).await.0, 200, "{path}");
    }
    let trigger = request("POST", "/api/stacks/s/reconcile", None);
    assert_eq!(support::http(addr, &trigger).await.0, 401);
    assert_eq!(
        controller.queue_depth(),
        0,
        "nothing queued without the token"
    );

    // Paths and methods the server does not know: answered, not a panic (status 0).
    for (method, path, expected) in [
        ("POST", "/api/stacks/reconcile", 404),
        ("POST", "/api/stacks//reconcile", 404),
        ("POST", "/api/stacks/a/b/reconcile", 404),
        ("POST", "/api/stacks/nope/reconcile", 404),
        ("GET", "/api/stacks/s/reconcile", 405),
        ("DELETE", "/api/stacks", 405),
        ("PUT", "/healthz", 405),
        ("GET", "/hooks/github", 405),
        ("BREW", "/", 405),
        ("GET", "/nowhere", 404),
    ] {
        let answer = support::http(addr, &request(method, path, Some(&bearer))).await;
        assert_eq!(answer.0, expected, "{method} {path}: {answer:?}");
    }

    // `slsctl reconcile` with the token from the environment or a file, and without it (run
    // off the runtime's thread, which serves the requests).
    let url = format!("http://{addr}");
    let file = cache.path().join("token");
    std::fs::write(&file, format!("{token}\n")).unwrap();
    let out = tokio::task::spawn_blocking(move || {
        let reconcile = |token_env: Option<&str>, extra: &[&str]| {
            let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_slsctl"));
            command
                .args(["reconcile", "s", "--controller", &url])
                .args(extra)
                .env_remove("SLSCTL_API_TOKEN");
            if let Some(token) = token_env {
                command.env("SLSCTL_API_TOKEN", token);
            }
            command.output().unwrap()
        };
        [
            reconcile(None, &[]),
            reconcile(Some("wrong"), &[]),
            reconcile(Some(token), &[]),
            reconcile(None, &["--token-file", file.to_str().unwrap()]),
        ]
    })
    .await
    .unwrap();
    let stderr = |o: &std::process::Output| String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!out[0].status.success());
    assert!(
        stderr(&out[0]).contains("requires an API token")
            && stderr(&out[0]).contains("hint: set SLSCTL_API_TOKEN"),
        "{}",
        stderr(&out[0])
    );
    assert!(!out[1].status.success());
    assert!(
        stderr(&out[1]).contains("refused the API token"),
        "{}",
        stderr(&out[1])
    );
    assert!(out[2].status.success(), "{}", stderr(&out[2]));
    assert!(out[3].status.success(), "{}", stderr(&out[3]));
    assert_eq!(
        controller.queue_depth(),
        1,
        "queued (once: a key is queued once)"
    );
}

/// `slsctl health` and `reconcile` give up at their timeout, with a message saying why, on a
/// controller that does not accept connections (SYNs dropped) and on one that never answers.
#[tokio::test]
async fn the_controller_client_times_out_connecting_and_waiting() {
    // A listener with a backlog of 0 that never accepts: once its queue is full, the kernel
    // drops further SYNs and a connect hangs, as behind a firewall that drops packets.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let full = socket.listen(0).unwrap();
    let full_addr = full.local_addr().unwrap();
    let mut held = Vec::new();
    for _ in 0..8 {
        match std::net::TcpStream::connect_timeout(&full_addr, Duration::from_millis(300)) {
            Ok(stream) => held.push(stream),
            Err(_) => break,
        }
    }
    // A listener that accepts and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_addr = silent.local_addr().unwrap();
    let keep = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            open.push(stream);
        }
    });
    let run = |args: Vec<String>| {
        tokio::task::spawn_blocking(move || {
            let started = std::time::Instant::now();
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_slsctl"))
                .args(&args)
                .output()
                .unwrap();
            (out, started.elapsed())
        })
    };
    let cases = [
        (
            vec![
                "health".to_string(),
                "--controller".into(),
                format!("http://{full_addr}"),
                "--timeout".into(),
                "1".into(),
            ],
            "did not accept a connection within 1 s",
        ),
        (
            vec![
                "reconcile".to_string(),
                "s".into(),
                "--controller".into(),
                format!("http://{silent_addr}"),
                "--timeout".into(),
                "1".into(),
            ],
            "did not answer within 1 s",
        ),
    ];
    for (args, expected) in cases {
        let (out, took) = run(args.clone()).await.unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert!(
            stderr.contains(expected) && stderr.contains("hint:"),
            "{args:?}: {stderr}"
        );
        assert!(took < Duration::from_secs(5), "{args:?} took {took:?}");
    }
    keep.abort();
    drop(held);
}

/// The apply executor asks the fence before every action: a closed fence skips them all.
#[tokio::test]
async fn a_closed_fence_skips_every_action() {
    struct Closed;
    impl slsctl::apply::Progress for Closed {
        fn started(&self, _: &slsctl::plan::ResourceAction) {
            panic!("no action may start behind a closed fence");
        }
        fn finished(&self, _: &slsctl::apply::ActionReport) {}
        fn proceed(&self) -> Result<(), String> {
            Err("this replica does not hold the lease".into())
        }
    }
    let clients = clients().await;
    let name = unique("fence");
    let dir = support::spec_dir(&[
        ("stack.yaml", &stack_doc(&name)),
        ("q.yaml", &QUEUE.replace("DELAY", "0")),
    ]);
    let (stack, _) = slsctl::kinds::load_stack(dir.path()).unwrap_or_else(|_| panic!("valid"));
    let prepared = slsctl::engine::prepare(stack, &clients, &Default::default())
        .await
        .unwrap();
    // The queue, its age alarm and the stack's dashboard.
    assert_eq!(prepared.plan.summary.create, 3);
    let report = slsctl::apply::apply(Arc::new(prepared), &clients, Arc::new(Closed)).await;
    assert_eq!(report.actions.len(), 3);
    assert_eq!(
        report.actions[0].outcome,
        slsctl::apply::Outcome::Skipped("this replica does not hold the lease".into())
    );
    assert!(
        report
            .actions
            .iter()
            .all(|a| matches!(a.outcome, slsctl::apply::Outcome::Skipped(_))),
        "{report:?}"
    );
    assert_eq!(
        queue_delay(&clients, &name).await,
        None,
        "nothing was created"
    );
}

fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").into_bytes()
}

/// A GitHub push signed with `secret`, sent to the controller at `addr`, which accepts it.
async fn signed_push(addr: std::net::SocketAddr, secret: &[u8]) {
    let body = br#"{"ref":"refs/heads/main"}"#;
    let request = hook(
        "push",
        body,
        Some(support::github_signature(secret, body)),
        None,
    );
    assert_eq!(support::http(addr, &request).await.0, 202);
}

fn hook(event: &str, body: &[u8], signature: Option<String>, length: Option<usize>) -> Vec<u8> {
    let mut head = format!(
        "POST /hooks/github HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-GitHub-Event: {event}\r\nContent-Length: {}\r\n",
        length.unwrap_or(body.len())
    );
    if let Some(signature) = signature {
        head.push_str(&format!("X-Hub-Signature-256: {signature}\r\n"));
    }
    head.push_str("\r\n");
    let mut request = head.into_bytes();
    request.extend_from_slice(body);
    request
}

/// Debian's Chromium, which `scripts/test.sh` installs. Set `SLSCTL_SKIP_BROWSER=1` to skip the
/// browser test on a machine without it (CI never sets it).
fn chromium() -> Option<std::path::PathBuf> {
    if std::env::var("SLSCTL_SKIP_BROWSER").is_ok_and(|v| v == "1") {
        return None;
    }
    let path = std::env::var_os("SLSCTL_CHROMIUM")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "/usr/bin/chromium".into());
    assert!(
        path.exists(),
        "{} is missing: run scripts/test.sh (it installs Debian's chromium), or set SLSCTL_SKIP_BROWSER=1",
        path.display()
    );
    Some(path)
}

/// Run headless Chromium on `url` with extra flags; returns its stdout.
fn headless(chromium: &std::path::Path, url: &str, flags: &[String]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(flags)
        .arg(url)
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The status page, rendered by a real browser: the stack, its revision, its conditions and the
/// plan diff waiting in report mode are in the DOM Chromium built, and a screenshot is drawn.
#[tokio::test]
async fn the_status_page_renders_in_chromium() {
    let Some(chromium) = chromium() else {
        eprintln!("SLSCTL_SKIP_BROWSER=1: the browser test is skipped");
        return;
    };
    let sdk = Emulator::shared().sdk_config().await;
    let clients = Clients::new(&sdk);
    let s3 = slsctl::source::s3::client(&sdk);
    let (bucket, name) = seeded_bucket(&s3, "page", 3).await;
    let cache = tempfile::tempdir().unwrap();
    let mut config = s3_config(&bucket, cache.path(), Duration::from_secs(3600), None);
    config.stacks[0].mode = Mode::Report;
    let controller = Arc::new(Controller::new(config, clients.clone(), s3.clone()));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(slsctl::controller::http::serve(
        controller.clone(),
        listener,
        None,
        stopped.clone(),
    ));
    let running = tokio::spawn(controller.clone().run(stopped));
    let status = wait_for(&controller, Duration::from_secs(30), |s| s.ready).await;
    assert!(status.drifted, "report mode: the create waits: {status:?}");
    let revision = status.revision.clone().unwrap();

    let url = format!("http://{addr}/");
    let dom = {
        let (chromium, url) = (chromium.clone(), url.clone());
        tokio::task::spawn_blocking(move || headless(&chromium, &url, &["--dump-dom".into()]))
            .await
            .unwrap()
    };
    // The browser's DOM, not our bytes: Chromium adds the <tbody> the page does not write.
    assert!(dom.contains("<tbody>"), "{dom}");
    assert!(dom.contains("<td class=\"name\">s</td>"), "{dom}");
    assert!(dom.contains(&format!("<code>{revision}</code>")), "{dom}");
    assert!(dom.contains("Ready, Drifted"), "{dom}");
    // The queue, its alarm and the stack's dashboard wait (report mode): no alarm state to show.
    assert!(dom.contains("3 create"), "{dom}");
    assert!(
        dom.contains("<td class=\"alarms\">0 alarms, none in ALARM</td>"),
        "{dom}"
    );
    // The stack's console links: its dashboard and the X-Ray service map of its region.
    assert!(
        dom.contains(&format!("href=\"https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards/dashboard/slsctl-{name}\"")),
        "{dom}"
    );
    assert!(
        dom.contains("href=\"https://us-east-1.console.aws.amazon.com/xray/home?region=us-east-1#/service-map\""),
        "{dom}"
    );
    assert!(
        dom.contains(&format!("{name}-jobs")) && dom.contains("delaySeconds"),
        "the diff is shown: {dom}"
    );
    assert!(
        dom.contains(
            "<p id=\"replica\">a single replica (no lease): it reconciles every stack</p>"
        ),
        "{dom}"
    );
    assert!(
        dom.contains("<td class=\"holder\">this replica</td>"),
        "{dom}"
    );
    // The stack's diagram, with each resource's state: in report mode the queue waits to be
    // created, so it is drawn missing.
    assert!(dom.contains("<svg"), "{dom}");
    assert!(dom.contains("summary>diagram: s</summary>"), "{dom}");
    assert!(dom.contains("state: missing"), "{dom}");

    let shot = tempfile::tempdir().unwrap();
    let png = shot.path().join("status.png");
    {
        let flags = vec![
            format!("--screenshot={}", png.display()),
            "--window-size=1200,800".to_string(),
        ];
        tokio::task::spawn_blocking(move || headless(&chromium, &url, &flags))
            .await
            .unwrap();
    }
    let image = std::fs::read(&png).expect("a screenshot was written");
    assert!(image.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    assert!(
        image.len() > 5_000,
        "more than a blank page: {} bytes",
        image.len()
    );
    if let Ok(keep) = std::env::var("SLSCTL_KEEP_SCREENSHOT") {
        std::fs::copy(&png, keep).unwrap();
    }

    let _ = stop.send(true);
    running.await.unwrap().unwrap();
}

/// Health, metrics, status and the webhook: a valid push queues a reconcile; invalid or missing
/// signatures, oversized bodies and other events do not.
#[tokio::test]
async fn the_http_side_serves_status_and_only_a_signed_push_triggers() {
    let sdk = Emulator::shared().sdk_config().await;
    let clients = Clients::new(&sdk);
    let s3 = slsctl::source::s3::client(&sdk);
    let (bucket, name) = seeded_bucket(&s3, "web", 2).await;
    let cache = tempfile::tempdir().unwrap();
    // A long poll interval: only the first poll and explicit triggers queue reconciles.
    let controller = Arc::new(Controller::new(
        ControllerConfig {
            events_bus: None,
            events: None,
            ..s3_config(&bucket, cache.path(), Duration::from_secs(3600), None)
        },
        clients.clone(),
        s3.clone(),
    ));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let secret = b"s3cr3t".to_vec();
    tokio::spawn(slsctl::controller::http::serve(
        controller.clone(),
        listener,
        Some(secret.clone()),
        stopped.clone(),
    ));
    assert_eq!(
        support::http(addr, &get("/readyz")).await,
        (503, "starting\n".into()),
        "not ready before the controller runs"
    );
    let running = tokio::spawn(controller.clone().run(stopped));
    let status = wait_for(&controller, Duration::from_secs(30), |s| s.synced).await;
    assert_eq!(status.reconciles, 1, "{status:?}");

    assert_eq!(
        support::http(addr, &get("/healthz")).await,
        (200, "ok\n".into())
    );
    assert_eq!(support::http(addr, &get("/readyz")).await.0, 200);
    let (code, metrics) = support::http(addr, &get("/metrics")).await;
    assert_eq!(code, 200);
    for line in [
        "slsctl_reconciles_total{stack=\"s\"} 1",
        "slsctl_leader 1",
        "slsctl_queue_depth 0",
        "slsctl_aws_calls_total{service=\"sqs\"",
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
    let (code, json) = support::http(addr, &get("/api/stacks")).await;
    assert_eq!(code, 200);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["s"]["synced"], true);
    let (code, page) = support::http(addr, &get("/")).await;
    assert_eq!(code, 200);
    assert!(
        page.contains("<table id=\"stacks\">") && page.contains("Ready, Synced"),
        "{page}"
    );

    put(
        &s3,
        &bucket,
        "stacks/s/queue.yaml",
        &QUEUE.replace("DELAY", "4"),
    )
    .await;
    let body = br#"{"ref":"refs/heads/main"}"#;
    let rejected = [
        hook(
            "push",
            body,
            Some(support::github_signature(b"wrong", body)),
            None,
        ),
        hook("push", body, None, None),
        hook("push", body, Some("sha256=00".into()), None),
    ];
    for request in rejected {
        assert_eq!(support::http(addr, &request).await.0, 401);
    }
    let huge = vec![b'x'; slsctl::controller::http::MAX_WEBHOOK_BYTES + 1];
    assert_eq!(
        support::http(
            addr,
            &hook(
                "push",
                &huge,
                Some(support::github_signature(&secret, &huge)),
                None
            )
        )
        .await
        .0,
        413
    );
    assert_eq!(
        support::http(
            addr,
            &hook(
                "issues",
                body,
                Some(support::github_signature(&secret, body)),
                None
            )
        )
        .await
        .0,
        204
    );
    let malformed = br#"{"ref":"refs/heads/ma"#;
    assert_eq!(
        support::http(
            addr,
            &hook(
                "push",
                malformed,
                Some(support::github_signature(&secret, malformed)),
                None
            )
        )
        .await
        .0,
        400,
        "signed but not JSON"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        controller.status()["s"].reconciles,
        1,
        "nothing above triggered a reconcile"
    );
    assert_eq!(queue_delay(&clients, &name).await.as_deref(), Some("2"));

    assert_eq!(
        support::http(
            addr,
            &hook(
                "push",
                body,
                Some(support::github_signature(&secret, body)),
                None
            )
        )
        .await
        .0,
        202
    );
    let status = wait_for(&controller, Duration::from_secs(30), |s| s.reconciles >= 2).await;
    assert!(status.synced, "{status:?}");
    assert_eq!(queue_delay(&clients, &name).await.as_deref(), Some("4"));
    // The push's reconcile is counted as the webhook's.
    assert_eq!(
        controller
            .schedule_counts()
            .reconciles
            .get(&slsctl::controller::schedule::Reason::Webhook),
        Some(&1)
    );

    // The manual trigger.
    let manual = b"POST /api/stacks/s/reconcile HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec();
    assert_eq!(support::http(addr, &manual).await.0, 202);
    let unknown = b"POST /api/stacks/nope/reconcile HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec();
    assert_eq!(support::http(addr, &unknown).await.0, 404);
    let status = wait_for(&controller, Duration::from_secs(30), |s| s.reconciles >= 3).await;
    assert_eq!(status.reconciles, 3);

    let _ = stop.send(true);
    running.await.unwrap().unwrap();
}

/// Outcomes reach EventBridge as `source: slsctl` events: a new revision, drift healed, and a
/// source gone bad.
#[tokio::test]
async fn reconcile_outcomes_are_published_to_eventbridge() {
    let sdk = Emulator::shared().sdk_config().await;
    let clients = Clients::new(&sdk);
    let s3 = slsctl::source::s3::client(&sdk);
    let (bucket, name) = seeded_bucket(&s3, "note", 3).await;
    // Route the controller's events to a queue, as a user would with a rule.
    let bus = unique("ops");
    clients
        .events
        .create_event_bus()
        .name(&bus)
        .send()
        .await
        .unwrap();
    let inbox = clients
        .sqs
        .create_queue()
        .queue_name(unique("inbox"))
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    let inbox_arn = format!(
        "arn:aws:sqs:us-east-1:123456789012:{}",
        inbox.rsplit('/').next().unwrap()
    );
    clients
        .events
        .put_rule()
        .name("slsctl-outcomes")
        .event_bus_name(&bus)
        .event_pattern(r#"{"source":["slsctl"]}"#)
        .send()
        .await
        .unwrap();
    clients
        .events
        .put_targets()
        .rule("slsctl-outcomes")
        .event_bus_name(&bus)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("inbox")
                .arn(&inbox_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let cache = tempfile::tempdir().unwrap();
    // A long poll interval: only the first poll and explicit triggers queue reconciles.
    let controller = Arc::new(Controller::new(
        ControllerConfig {
            events_bus: Some(bus.clone()),
            ..s3_config(&bucket, cache.path(), Duration::from_secs(3600), None)
        },
        clients.clone(),
        s3.clone(),
    ));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(controller.clone().run(stopped));
    wait_for(&controller, Duration::from_secs(30), |s| s.reconciles >= 1).await;

    // Drift: changed by hand, corrected by the next reconcile.
    let url = slsctl::kinds::queue::aws::get_queue_url(&clients, &format!("{name}-jobs"))
        .await
        .unwrap()
        .unwrap();
    clients
        .sqs
        .set_queue_attributes()
        .queue_url(url)
        .attributes(aws_sdk_sqs::types::QueueAttributeName::DelaySeconds, "0")
        .send()
        .await
        .unwrap();
    assert!(controller.trigger("s"));
    wait_for(&controller, Duration::from_secs(30), |s| s.reconciles >= 2).await;
    assert_eq!(
        queue_delay(&clients, &name).await.as_deref(),
        Some("3"),
        "healed"
    );

    // The source gone bad.
    s3.delete_object()
        .bucket(&bucket)
        .key("stacks/s/queue.yaml")
        .send()
        .await
        .unwrap();
    s3.delete_object()
        .bucket(&bucket)
        .key("stacks/s/stack.yaml")
        .send()
        .await
        .unwrap();
    assert!(controller.trigger("s"));
    wait_for(&controller, Duration::from_secs(30), |s| s.degraded).await;
    let _ = stop.send(true);
    running.await.unwrap().unwrap();

    let mut seen = Vec::new();
    for _ in 0..5 {
        let out = clients
            .sqs
            .receive_message()
            .queue_url(&inbox)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        for message in out.messages() {
            let event: serde_json::Value = serde_json::from_str(message.body().unwrap()).unwrap();
            assert_eq!(event["source"], "slsctl");
            seen.push((
                event["detail-type"].as_str().unwrap().to_string(),
                event["detail"].clone(),
            ));
        }
        if seen.len() >= 3 {
            break;
        }
    }
    let types: Vec<&str> = seen.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        types,
        ["StackReconciled", "DriftDetected", "ReconcileFailed"],
        "{seen:?}"
    );
    assert_eq!(seen[1].1["healed"], true);
    assert!(
        seen[2].1["error"]
            .as_str()
            .unwrap()
            .contains("source empty"),
        "{seen:?}"
    );
}

/// The binary end to end: `slsctl controller` reconciles, logs JSON lines with the stack's span,
/// and on SIGTERM finishes and exits 0.
#[tokio::test]
async fn the_controller_binary_logs_json_and_stops_gracefully_on_sigterm() {
    let emulator = Emulator::shared();
    let sdk = emulator.sdk_config().await;
    let s3 = slsctl::source::s3::client(&sdk);
    let (bucket, name) = seeded_bucket(&s3, "bin", 6).await;
    let dir = tempfile::tempdir().unwrap();
    let (mut command, _) = support::controller(
        dir.path(),
        &format!(
            "stacks:\n  - {{name: s, s3: {{bucket: {bucket}, prefix: stacks/s/}}, intervalSeconds: 1}}\nlease: {{table: {}, durationSeconds: 6, renewDeadlineSeconds: 4}}\n",
            unique("leases")
        ),
    );
    let child = command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let clients = clients().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while queue_delay(&clients, &name).await.as_deref() != Some("6") {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the controller never created the queue"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "graceful exit");
    let logs = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    assert!(
        lines.iter().any(|l| l["fields"]["message"] == "reconciled"
            && l["span"]["stack"] == "s"
            && l["span"]["revision"]
                .as_str()
                .is_some_and(|r| r.len() == 16)),
        "{logs}"
    );
    assert!(
        lines.iter().any(|l| l["fields"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("shutting down"))),
        "{logs}"
    );
}

/// The bar from the issue: the binary, a git source, a lease and a 5-minute poll interval; the
/// first apply comes within seconds of start, not at the first interval.
#[tokio::test]
async fn the_controller_binary_applies_a_git_source_at_start_despite_a_long_interval() {
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("repo");
    std::fs::create_dir_all(repo.join("stacks/s")).unwrap();
    git(&repo, &["init", "--quiet", "-b", "main"]);
    git(&repo, &["config", "user.name", "Test"]);
    git(&repo, &["config", "user.email", "test@example.com"]);
    git(&repo, &["config", "commit.gpgsign", "false"]);
    let name = unique("start");
    std::fs::write(repo.join("stacks/s/stack.yaml"), stack_doc(&name)).unwrap();
    commit(&repo, "stacks/s/queue.yaml", &QUEUE.replace("DELAY", "3"));
    let (mut command, _) = support::controller(
        work.path(),
        &format!(
            "stacks:\n  - {{name: s, git: {{url: 'file://{}', path: stacks/s}}, intervalSeconds: 300}}\nresyncSeconds: 300\nlease: {{table: {}}}\n",
            repo.display(),
            unique("leases")
        ),
    );
    let started = std::time::Instant::now();
    let child = command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let _children = Children(vec![child]);
    let clients = clients().await;
    while queue_delay(&clients, &name).await.as_deref() != Some("3") {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no apply within 20 s of start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("first apply {:?} after start", started.elapsed());
}

/// A metric's value from a controller's /metrics (None when it does not answer).
async fn metric(port: u16, line_prefix: &str) -> Option<String> {
    support::http_get(port, "/metrics")
        .await?
        .lines()
        .find_map(|l| l.strip_prefix(line_prefix))
        .map(|v| v.trim().to_string())
}

fn slsctl_health(port: u16) -> bool {
    std::process::Command::new(env!("CARGO_BIN_EXE_slsctl"))
        .args([
            "health",
            "--controller",
            &format!("http://127.0.0.1:{port}"),
        ])
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap()
        .success()
}

/// Two controller processes on one lease table: one leads and reconciles, the other stands by.
/// SIGKILL the leader (no lease release): the survivor takes the lease once it expires and
/// applies the next revision.
#[tokio::test]
async fn two_controller_processes_and_a_sigkilled_leader() {
    let emulator = Emulator::shared();
    let sdk = emulator.sdk_config().await;
    let s3 = slsctl::source::s3::client(&sdk);
    let clients = clients().await;
    let (bucket, name) = seeded_bucket(&s3, "kill", 4).await;
    let dir = tempfile::tempdir().unwrap();
    let table = unique("leases");
    let start = |replica: &str| {
        let (mut command, port) = support::controller(
            dir.path(),
            &format!("stacks:\n  - {{name: s, s3: {{bucket: {bucket}, prefix: stacks/s/}}, intervalSeconds: 1}}\nlease: {{table: {table}, durationSeconds: 3, renewDeadlineSeconds: 2}}\n"),
        );
        let child = command
            .env("SLSCTL_REPLICA_ID", replica)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        (child, port)
    };
    let ((a, port_a), (b, port_b)) = (start("a"), start("b"));
    let ports = [port_a, port_b];
    let mut children = Children(vec![a, b]);

    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while queue_delay(&clients, &name).await.as_deref() != Some("4") {
        assert!(tokio::time::Instant::now() < deadline, "nobody reconciled");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Exactly one leader, and only it has reconciled.
    let mut leader = None;
    for _ in 0..10 {
        let a = metric(ports[0], "slsctl_leader ").await;
        let b = metric(ports[1], "slsctl_leader ").await;
        assert_ne!(
            (a.as_deref(), b.as_deref()),
            (Some("1"), Some("1")),
            "two leaders"
        );
        leader = match (a.as_deref(), b.as_deref()) {
            (Some("1"), _) => Some(0),
            (_, Some("1")) => Some(1),
            _ => leader,
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let leader = leader.expect("one replica leads");
    let follower = 1 - leader;
    assert_eq!(
        metric(ports[follower], "slsctl_reconciles_total{stack=\"s\"} ")
            .await
            .as_deref(),
        Some("0"),
        "the follower does not reconcile"
    );
    assert!(slsctl_health(ports[follower]));

    // SIGKILL: no graceful release; the survivor waits out the 3 s lease, then leads.
    children.0[leader].kill().unwrap();
    children.0[leader].wait().unwrap();
    let killed = std::time::Instant::now();
    assert!(!slsctl_health(ports[leader]), "the killed replica is gone");
    put(
        &s3,
        &bucket,
        "stacks/s/queue.yaml",
        &QUEUE.replace("DELAY", "8"),
    )
    .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while queue_delay(&clients, &name).await.as_deref() != Some("8") {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the survivor never took over"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let took = killed.elapsed();
    assert_eq!(
        metric(ports[follower], "slsctl_leader ").await.as_deref(),
        Some("1")
    );
    eprintln!("takeover after SIGKILL applied the next revision in {took:?}");
    assert!(
        took < Duration::from_secs(15),
        "within lease + poll + apply: {took:?}"
    );
}

/// Each stack's holder in a controller's `/api/stacks` (None when it does not answer).
async fn api_holders(port: u16) -> Option<BTreeMap<String, Option<String>>> {
    let body = support::http_get(port, "/api/stacks").await?;
    let api: BTreeMap<String, serde_json::Value> = serde_json::from_str(&body).ok()?;
    Some(
        api.into_iter()
            .map(|(k, v)| (k, v["holder"].as_str().map(str::to_string)))
            .collect(),
    )
}

/// Each stack's reconciles on one replica: (start, end) timestamps.
type Intervals = BTreeMap<String, Vec<(String, String)>>;

/// Each replica's reconciles of each stack, as (start, end) timestamps from its JSON log (RFC
/// 3339 in UTC with a fixed number of digits, so they compare as text). A reconcile the replica
/// did not finish (it was killed) is left out.
fn reconcile_intervals(log: &str) -> Intervals {
    let mut open: BTreeMap<String, String> = BTreeMap::new();
    let mut done = Intervals::new();
    for line in log.lines() {
        let Ok(line) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let (Some(stack), Some(at)) = (line["span"]["stack"].as_str(), line["timestamp"].as_str())
        else {
            continue;
        };
        match line["fields"]["message"].as_str() {
            Some("reconcile started") => {
                open.insert(stack.to_string(), at.to_string());
            }
            Some("reconciled" | "reconcile failed; requeued with backoff") => {
                if let Some(start) = open.remove(stack) {
                    done.entry(stack.to_string())
                        .or_default()
                        .push((start, at.to_string()));
                }
            }
            _ => {}
        }
    }
    done
}

/// Three controller processes on one lease table over thirty stacks: each holds ten, every
/// replica's `/api/stacks` names every holder, and no stack is ever reconciled by two replicas
/// at once (from their logs). SIGKILL one (no release): the others reconcile its stacks once
/// its leases expire.
#[tokio::test]
async fn three_controller_processes_share_the_stacks_and_survive_a_sigkill() {
    let emulator = Emulator::shared();
    let sdk = emulator.sdk_config().await;
    let s3 = slsctl::source::s3::client(&sdk);
    let clients = clients().await;
    const STACKS: usize = 30;
    let (bucket, stacks) = seeded_stacks(&s3, "procs", STACKS, 4).await;
    let dir = tempfile::tempdir().unwrap();
    let table = unique("leases");
    let listed: String = stacks
        .iter()
        .map(|(key, _)| {
            format!("  - {{name: {key}, s3: {{bucket: {bucket}, prefix: stacks/{key}/}}, intervalSeconds: 300}}\n")
        })
        .collect();
    let log = |replica: &str| dir.path().join(format!("{replica}.log"));
    let start = |replica: &str| {
        let (mut command, port) = support::controller(
            dir.path(),
            &format!("stacks:\n{listed}lease: {{table: {table}, durationSeconds: 6, renewDeadlineSeconds: 4}}\n"),
        );
        let child = command
            .env("SLSCTL_REPLICA_ID", replica)
            .env("SLSCTL_LOG", "info")
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(log(replica)).unwrap())
            .spawn()
            .unwrap();
        (child, port)
    };
    let names = ["a", "b", "c"];
    let started: Vec<_> = names.iter().map(|r| start(r)).collect();
    let ports: Vec<u16> = started.iter().map(|(_, p)| *p).collect();
    let mut children = Children(started.into_iter().map(|(c, _)| c).collect());

    let deadline = tokio::time::Instant::now() + Duration::from_secs(150);
    for (_, name) in &stacks {
        while queue_delay(&clients, name).await.as_deref() != Some("4") {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{name} was not reconciled"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    // Every replica's view names the same holder for every stack, ten stacks each.
    let mut views = Vec::new();
    while views.len() < 3 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "views differ: {views:?}"
        );
        views.clear();
        for port in &ports {
            views.extend(api_holders(*port).await);
        }
        if views
            .iter()
            .any(|v| v != &views[0] || v.values().any(Option::is_none))
        {
            views.clear();
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let holders: BTreeMap<String, String> = views[0]
        .iter()
        .map(|(k, h)| (k.clone(), h.clone().unwrap()))
        .collect();
    assert_eq!(holders.len(), STACKS);
    // Each replica's API shows every stack synced, as its holder reported it.
    for port in &ports {
        loop {
            let body = support::http_get(*port, "/api/stacks")
                .await
                .unwrap_or_default();
            let api: BTreeMap<String, serde_json::Value> =
                serde_json::from_str(&body).unwrap_or_default();
            if api.len() == STACKS && api.values().all(|s| s["synced"] == true) {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "{body}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    // A replica's id is SLSCTL_REPLICA_ID and its pid.
    let is = |holder: &str, replica: &str| holder.starts_with(&format!("{replica}-"));
    for (i, name) in names.iter().enumerate() {
        assert_eq!(
            holders.values().filter(|h| is(h, name)).count(),
            STACKS / 3,
            "{holders:?}"
        );
        // Each stack's holder has reconciled it (another replica may have too, before the
        // shares settled: never at the same time, checked from the logs below).
        for (key, holder) in holders.iter().filter(|(_, h)| is(h, name)) {
            let count = metric(
                ports[i],
                &format!("slsctl_reconciles_total{{stack=\"{key}\"}} "),
            )
            .await
            .unwrap_or_default();
            assert!(
                count != "0",
                "{name} holds {key} ({holder}): {count} reconciles"
            );
        }
    }

    // SIGKILL c: its stacks wait out their 6 s leases, then the others take and apply them.
    children.0[2].kill().unwrap();
    children.0[2].wait().unwrap();
    let killed = std::time::Instant::now();
    let orphans: Vec<&(String, String)> = stacks
        .iter()
        .filter(|(key, _)| is(&holders[key], "c"))
        .collect();
    publish_delay_and_wait(&s3, &bucket, &clients, &orphans, "8", killed).await;
    let took = killed.elapsed();
    eprintln!(
        "a SIGKILLed replica's stacks applied by the others {took:?} after the kill (6 s lease)"
    );

    // No stack was ever reconciled by two replicas at once, before or after the kill. A
    // reconcile's span is logged when it closes, a moment after its apply shows in AWS: the logs
    // are read until they hold the orphans' reconciles too.
    let read_logs = || -> Vec<(&str, Intervals)> {
        names
            .iter()
            .map(|r| {
                (
                    *r,
                    reconcile_intervals(&std::fs::read_to_string(log(r)).unwrap()),
                )
            })
            .collect()
    };
    let logged = |logs: &[(&str, Intervals)]| -> usize {
        logs.iter()
            .flat_map(|(_, by_stack)| by_stack.values())
            .map(Vec::len)
            .sum()
    };
    let mut logs = read_logs();
    let closing = std::time::Instant::now();
    while logged(&logs) < STACKS + orphans.len() && closing.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        logs = read_logs();
    }
    let mut reconciles = 0;
    for (key, _) in &stacks {
        let mut intervals: Vec<(&str, &(String, String))> = logs
            .iter()
            .flat_map(|(r, by_stack)| {
                by_stack
                    .get(key)
                    .into_iter()
                    .flatten()
                    .map(move |i| (*r, i))
            })
            .collect();
        intervals.sort_by(|a, b| a.1.cmp(b.1));
        reconciles += intervals.len();
        for pair in intervals.windows(2) {
            let ((r1, (_, end1)), (r2, (start2, _))) = (pair[0], pair[1]);
            assert!(
                r1 == r2 || end1 <= start2,
                "{key} reconciled by {r1} and {r2} at once: {intervals:?}"
            );
        }
    }
    assert!(reconciles >= STACKS + orphans.len(), "{logs:?}");
    assert!(
        took < Duration::from_secs(25),
        "within lease + apply: {took:?}"
    );
}

/// Child processes killed when the test ends, passed or failed.
struct Children(Vec<std::process::Child>);

impl Drop for Children {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Send one raw request and read whatever comes back (the server may cut us off early).
async fn blast(port: u16, head: String, body: Vec<u8>) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else {
        return 0;
    };
    let _ = stream.write_all(head.as_bytes()).await;
    for chunk in body.chunks(64 * 1024) {
        if stream.write_all(chunk).await.is_err() {
            break;
        }
    }
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(15), stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer)
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// A webhook flood against the controller binary: bad signatures, declared and streamed
/// oversized bodies, malformed JSON (unsigned and signed), 64 at a time. No reconcile happens,
/// the server stays healthy, and its peak memory stays bounded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_flood_triggers_nothing_and_memory_stays_bounded() {
    let emulator = Emulator::shared();
    let sdk = emulator.sdk_config().await;
    let s3 = slsctl::source::s3::client(&sdk);
    let (bucket, _) = seeded_bucket(&s3, "flood", 1).await;
    let dir = tempfile::tempdir().unwrap();
    let (mut command, port) = support::controller(
        dir.path(),
        &format!("stacks:\n  - {{name: s, s3: {{bucket: {bucket}, prefix: stacks/s/}}, intervalSeconds: 3600}}\nresyncSeconds: 3600\n"),
    );
    let child = command
        .env("SLSCTL_WEBHOOK_SECRET", "flood-secret")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let _children = Children(vec![child]);
    let reconciles = || metric(port, "slsctl_reconciles_total{stack=\"s\"} ");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while reconciles().await.as_deref() != Some("1") {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the first poll never reconciled"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let before = peak_rss_kib(pid);

    let head = |event: &str, length: usize, signature: &str, chunked: bool| {
        let framing = if chunked {
            "Transfer-Encoding: chunked\r\n".to_string()
        } else {
            format!("Content-Length: {length}\r\n")
        };
        format!("POST /hooks/github HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-GitHub-Event: {event}\r\nX-Hub-Signature-256: {signature}\r\n{framing}\r\n")
    };
    let chunked = |total: usize| {
        let mut body = Vec::new();
        let chunk = vec![b'x'; 64 * 1024];
        for _ in 0..total / chunk.len() {
            body.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            body.extend_from_slice(&chunk);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(b"0\r\n\r\n");
        body
    };
    let bad = "sha256=".to_string() + &"0".repeat(64);
    let near_cap = vec![b'{'; slsctl::controller::http::MAX_WEBHOOK_BYTES - 10];
    let malformed = br#"{"ref": "refs/heads/main", "#.to_vec();
    let signed_malformed = support::github_signature(b"flood-secret", &malformed);
    let mut requests: Vec<(String, Vec<u8>)> = vec![];
    for i in 0..400 {
        requests.push(match i % 5 {
            // A bad signature on a body just under the cap: read, checked, refused.
            0 => (head("push", near_cap.len(), &bad, false), near_cap.clone()),
            // 100 MB declared: refused before a byte of it is read.
            1 => (head("push", 100 << 20, &bad, false), vec![]),
            // 4 MiB streamed without a length: cut off at the cap.
            2 => (head("push", 0, &bad, true), chunked(4 << 20)),
            // Malformed JSON, unsigned and signed.
            3 => (
                head("push", malformed.len(), &bad, false),
                malformed.clone(),
            ),
            _ => (
                head("push", malformed.len(), &signed_malformed, false),
                malformed.clone(),
            ),
        });
    }
    let mut answers: std::collections::BTreeMap<u16, u32> = Default::default();
    let mut flood = tokio::task::JoinSet::new();
    let mut pending = requests.into_iter();
    loop {
        while flood.len() < 64 {
            let Some((head, body)) = pending.next() else {
                break;
            };
            flood.spawn(blast(port, head, body));
        }
        match flood.join_next().await {
            Some(code) => *answers.entry(code.unwrap()).or_default() += 1,
            None => break,
        }
    }
    let after = peak_rss_kib(pid);
    eprintln!(
        "webhook flood: answers {answers:?}; peak RSS {before} KiB before, {after} KiB after"
    );
    assert!(
        !answers.contains_key(&202),
        "nothing was queued: {answers:?}"
    );
    assert!(answers.get(&401).copied().unwrap_or(0) > 0, "{answers:?}");
    assert!(answers.get(&413).copied().unwrap_or(0) > 0, "{answers:?}");
    assert!(answers.get(&400).copied().unwrap_or(0) > 0, "{answers:?}");
    assert!(slsctl_health(port), "still healthy");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        reconciles().await.as_deref(),
        Some("1"),
        "no reconcile from the flood"
    );
    // 8 bodies of at most 1 MiB are read at once; allow the allocator its slack.
    assert!(
        after - before < 48 * 1024,
        "peak RSS grew by {} KiB during the flood",
        after - before
    );
}

/// A git repository (a `file://` URL) holding stack `s` under `stacks/s`, and a controller of
/// it configured by `tune` (polls and resyncs an hour apart unless `tune` says otherwise).
fn git_controller(
    work: &std::path::Path,
    files: &[(&str, &str)],
    clients: &Clients,
    s3: aws_sdk_s3::Client,
    tune: impl FnOnce(&mut ControllerConfig),
) -> (std::path::PathBuf, Arc<Controller>) {
    let repo = work.join("repo");
    std::fs::create_dir_all(repo.join("stacks/s")).unwrap();
    git(&repo, &["init", "--quiet", "-b", "main"]);
    git(&repo, &["config", "user.name", "Test"]);
    git(&repo, &["config", "user.email", "test@example.com"]);
    git(&repo, &["config", "commit.gpgsign", "false"]);
    for (file, content) in files {
        let path = repo.join("stacks/s").join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "--quiet", "-m", "first"]);
    let mut config = s3_config(
        "unused",
        &work.join("cache"),
        Duration::from_secs(3600),
        None,
    );
    config.resync = Duration::from_secs(3600);
    config.stacks[0].source = SourceKind::Git(slsctl::source::git::GitSource {
        url: format!("file://{}", repo.display()),
        reference: "main".into(),
        path: "stacks/s".into(),
        ..Default::default()
    });
    tune(&mut config);
    (repo, Arc::new(Controller::new(config, clients.clone(), s3)))
}

/// Source polls are not AWS resyncs: polls of an unchanged revision make no AWS call and queue
/// nothing; a new revision is queued and re-planned (reason `poll`); the resync re-reads AWS
/// and heals drift (reason `resync`), and `/metrics` counts each reason's reconciles and calls.
#[tokio::test]
async fn polls_of_an_unchanged_revision_make_no_aws_call_and_the_resync_re_reads_aws() {
    use slsctl::controller::schedule::Reason;
    let clients = clients().await;
    let s3 = slsctl::source::s3::client(&Emulator::shared().sdk_config().await);
    let work = tempfile::tempdir().unwrap();
    let name = unique("polls");
    let (repo, controller) = git_controller(
        work.path(),
        &[
            ("stack.yaml", &stack_doc(&name)),
            ("queue.yaml", &QUEUE.replace("DELAY", "2")),
        ],
        &clients,
        s3,
        // Polled by hand below; resynced every 2 s once it runs.
        |config| config.resync = Duration::from_secs(2),
    );
    assert!(
        !controller.poll("s").await,
        "a first look queues nothing (the start queues every stack)"
    );
    controller.reconcile("s").await.unwrap();
    assert_eq!(queue_delay(&clients, &name).await.as_deref(), Some("2"));

    let before = clients.calls.total();
    for n in 0..20 {
        assert!(
            !controller.poll("s").await,
            "poll {n} queued an unchanged revision"
        );
    }
    assert_eq!(
        clients.calls.total(),
        before,
        "20 polls of an unchanged git revision made AWS calls: {:?}",
        clients.calls.snapshot()
    );
    assert_eq!(controller.queue_depth(), 0);
    assert_eq!(controller.schedule_counts().polls, 21);

    // A new revision: this poll queues it.
    let second = commit(&repo, "stacks/s/queue.yaml", &QUEUE.replace("DELAY", "4"));
    assert!(controller.poll("s").await, "a new revision is queued");
    assert_eq!(controller.queue_depth(), 1);
    assert!(!controller.poll("s").await, "once");

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(controller.clone().run(stopped));
    let status = wait_for(&controller, Duration::from_secs(30), |s| {
        s.revision.as_deref() == Some(second.as_str())
    })
    .await;
    assert_eq!(
        status.revision.as_deref(),
        Some(second.as_str()),
        "{status:?}"
    );
    assert_eq!(queue_delay(&clients, &name).await.as_deref(), Some("4"));
    let counts = controller.schedule_counts();
    assert_eq!(counts.reconciles.get(&Reason::Poll), Some(&1), "{counts:?}");
    assert!(counts.calls[&Reason::Poll] > 0, "{counts:?}");
    assert_eq!(counts.reconciles.get(&Reason::Resync), None, "{counts:?}");

    // Drift behind slsctl's back: no poll sees it (the revision is the same); the resync does.
    let url = slsctl::kinds::queue::aws::get_queue_url(&clients, &format!("{name}-jobs"))
        .await
        .unwrap()
        .unwrap();
    clients
        .sqs
        .set_queue_attributes()
        .queue_url(&url)
        .attributes(aws_sdk_sqs::types::QueueAttributeName::DelaySeconds, "9")
        .send()
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while queue_delay(&clients, &name).await.as_deref() != Some("4")
        && tokio::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        queue_delay(&clients, &name).await.as_deref(),
        Some("4"),
        "the resync healed it"
    );
    let counts = controller.schedule_counts();
    assert!(counts.reconciles[&Reason::Resync] >= 1, "{counts:?}");
    assert!(counts.calls[&Reason::Resync] > 0, "{counts:?}");
    assert_eq!(
        counts.reconciles[&Reason::Poll],
        1,
        "no poll re-planned it: {counts:?}"
    );
    let text = slsctl::controller::metrics::metrics(&controller);
    let line = text
        .lines()
        .find(|l| l.starts_with("slsctl_aws_calls_by_reason_total{reason=\"resync\"}"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.split(' ').nth(1).unwrap().parse::<u64>().unwrap() > 0,
        "{line}"
    );
    assert!(
        text.contains("slsctl_reconciles_by_reason_total{reason=\"poll\"} 1"),
        "{text}"
    );

    let _ = stop.send(true);
    running.await.unwrap().unwrap();
}

const EVENT_ROLE: &str = "slsctl-controller-events-role";

/// An EventBridge event as CloudTrail delivers it for a Lambda write call, by `identity`.
fn lambda_event(identity: serde_json::Value, function: &str) -> String {
    support::cloudtrail_lambda_event(identity, function, 512)
}

async fn memory_of(clients: &Clients, function: &str) -> i32 {
    clients
        .lambda
        .get_function_configuration()
        .function_name(function)
        .send()
        .await
        .unwrap()
        .memory_size()
        .unwrap_or_default()
}

/// Event-driven drift: a CloudTrail event naming a function changed behind slsctl's back
/// queues its stack at once, and the change is healed within 2 s of the event, with no poll
/// (polls and resyncs an hour apart). Events by the controller's own identity are ignored,
/// events for resources no stack owns dropped, malformed messages deleted; each is deleted
/// from the queue once handled.
#[tokio::test]
async fn a_cloudtrail_event_heals_a_changed_function_within_two_seconds_without_a_poll() {
    use slsctl::controller::schedule::Reason;
    let emulator = Emulator::shared();
    support::create_role(&emulator.endpoint, EVENT_ROLE);
    let clients = clients().await;
    let s3 = slsctl::source::s3::client(&emulator.sdk_config().await);
    let queue = unique("ctl-events");
    let url = clients
        .sqs
        .create_queue()
        .queue_name(&queue)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let work = tempfile::tempdir().unwrap();
    let name = unique("evt");
    let function = format!(
        "apiVersion: slsctl.dev/v1alpha1\nkind: Function\nmetadata: {{name: worker}}\nspec:\n  handler: app.handler\n  runtime: python3.12\n  memorySize: 256\n  code: {{path: src}}\n  role: arn:aws:iam::123456789012:role/{EVENT_ROLE}\n"
    );
    let (_repo, controller) = git_controller(
        work.path(),
        &[
            ("stack.yaml", &format!("apiVersion: slsctl.dev/v1alpha1\nkind: Stack\nmetadata: {{name: {name}}}\nspec: {{region: us-east-1, observability: {{dashboard: false}}}}\n")),
            ("function.yaml", &function),
            ("src/app.py", "def handler(event, context):\n    return event\n"),
        ],
        &clients,
        s3,
        // By name, as the configuration usually gives it.
        |config| {
            config.events = Some(slsctl::controller::events::EventsConfig {
                queue: queue.clone(),
            })
        },
    );
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(controller.clone().run(stopped));
    let status = wait_for(&controller, Duration::from_secs(60), |s| s.synced).await;
    assert!(status.synced, "{status:?}");
    let physical = format!("{name}-worker");
    assert_eq!(memory_of(&clients, &physical).await, 256);
    let polls = controller.schedule_counts().polls;
    let reconciles = controller.status()["s"].reconciles;

    let send = |body: String| {
        clients
            .sqs
            .send_message()
            .queue_url(&url)
            .message_body(body)
            .send()
    };
    // Someone changes the function behind slsctl's back.
    clients
        .lambda
        .update_function_configuration()
        .function_name(&physical)
        .memory_size(512)
        .send()
        .await
        .unwrap();
    // First, what must not heal it: the controller's own call, a call to a function no stack
    // owns, a message that is not an event.
    let me = clients
        .sts
        .get_caller_identity()
        .send()
        .await
        .unwrap()
        .arn
        .unwrap();
    send(lambda_event(
        serde_json::json!({"type": "IAMUser", "arn": me}),
        &physical,
    ))
    .await
    .unwrap();
    let someone = support::someone_elses_identity();
    send(lambda_event(someone.clone(), "nobody-owns-this"))
        .await
        .unwrap();
    send("{\"this is\": not json".to_string()).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let counts = loop {
        let counts = controller.event_counts();
        let handled: u64 = counts.values().sum();
        if handled >= 3 || tokio::time::Instant::now() > deadline {
            break counts;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        counts,
        [("malformed", 1), ("own", 1), ("unowned", 1)].into(),
        "{counts:?}"
    );
    // None of them queued anything: the drift is still there.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(controller.status()["s"].reconciles, reconciles);
    assert_eq!(memory_of(&clients, &physical).await, 512);

    // The event of the change itself, naming the function by its qualified ARN.
    let sent = std::time::Instant::now();
    send(lambda_event(
        someone,
        &format!("arn:aws:lambda:us-east-1:123456789012:function:{physical}:$LATEST"),
    ))
    .await
    .unwrap();
    while memory_of(&clients, &physical).await != 256 && sent.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let healed = sent.elapsed();
    assert_eq!(memory_of(&clients, &physical).await, 256, "healed");
    assert!(
        healed < Duration::from_secs(2),
        "healed {healed:?} after the event"
    );
    eprintln!("event to heal: {} ms", healed.as_millis());
    // Counted when the reconcile ends (after the apply, the alarms are read).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !controller
        .schedule_counts()
        .reconciles
        .contains_key(&Reason::Event)
        && tokio::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let counts = controller.schedule_counts();
    assert_eq!(counts.polls, polls, "no poll ran: {counts:?}");
    assert_eq!(
        counts.reconciles.get(&Reason::Event),
        Some(&1),
        "{counts:?}"
    );
    assert_eq!(controller.event_counts().get("queued"), Some(&1));

    // Every handled message was deleted.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let attributes = clients
            .sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(
                aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
            )
            .send()
            .await
            .unwrap();
        let left: u64 = attributes
            .attributes()
            .into_iter()
            .flatten()
            .map(|(_, v)| v.parse::<u64>().unwrap_or(0))
            .sum();
        if left == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{left} messages left on the queue"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let _ = stop.send(true);
    running.await.unwrap().unwrap();
}
