//! Several stores (as several servers would hold) on one database and registry.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use sijill_store::conformance::batch;
use sijill_store::EventStore;
use sijill_store_postgres::{PostgresConfig, PostgresStore, LISTEN_APPLICATION_NAME};

use crate::proxy::Proxy;
use crate::support::{append_retrying, TestDb};

/// Longest wait for an event a subscription is owed; only a broken backend reaches it.
const GUARD: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_on_one_database_record_every_append_once() {
    const WRITERS_PER_STORE: usize = 4;
    const BATCHES_PER_WRITER: usize = 30;
    // Given two stores on one registry, as two servers would open it, each subscribed,
    let db = TestDb::create().await;
    let stores = [
        Arc::new(db.open("shared").await),
        Arc::new(db.open("shared").await),
    ];
    let subscriptions = stores.each_ref().map(|s| s.subscribe(1));
    // when 4 writers on each append 30 batches of 1 to 3 events concurrently, catching up
    // on conflicts,
    let mut writers = Vec::new();
    for (s, store) in stores.iter().enumerate() {
        for w in 0..WRITERS_PER_STORE {
            let store = Arc::clone(store);
            writers.push(tokio::spawn(async move {
                for i in 0..BATCHES_PER_WRITER {
                    append_retrying(&store, batch(&format!("s{s}-w{w}-{i}"), 1 + i % 3, &[])).await;
                }
            }));
        }
    }
    for writer in writers {
        writer.await.unwrap();
    }
    // then every batch is in the log exactly once, whole and contiguous, from position 1,
    let total_events = 2 * WRITERS_PER_STORE * (10 * (1 + 2 + 3));
    let log = stores[0].read(1, 10_000).await.unwrap();
    let positions: Vec<u64> = log.iter().map(|e| e.position()).collect();
    assert_eq!(positions, (1..=total_events as u64).collect::<Vec<_>>());
    let mut runs: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for event in &log {
        runs.entry(event.command_id().to_string())
            .or_default()
            .push(event.position());
    }
    assert_eq!(runs.len(), 2 * WRITERS_PER_STORE * BATCHES_PER_WRITER);
    for (id, run) in &runs {
        let i: usize = id.rsplit('-').next().unwrap().parse().unwrap();
        let contiguous = run.windows(2).all(|w| w[1] == w[0] + 1);
        assert!(run.len() == 1 + i % 3 && contiguous, "{id}: {run:?}");
    }
    // the chain verifies from either store,
    for store in &stores {
        let report = store.verify(1, None).await.unwrap();
        assert_eq!(
            (report.checked, report.first_bad),
            (total_events as u64, None)
        );
    }
    // and each subscription saw every event, its own store's and the other's, once.
    for subscription in subscriptions {
        let seen = tokio::time::timeout(
            GUARD,
            subscription
                .take(total_events)
                .map(|e| e.unwrap().position())
                .collect::<Vec<_>>(),
        )
        .await
        .expect("a subscription stopped delivering");
        assert_eq!(seen, positions);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_follows_another_server_through_notifications() {
    // Given a follower that polls only once an hour, so only NOTIFY can wake it,
    let db = TestDb::create().await;
    let config = PostgresConfig::new(db.url()).with_poll_interval(Duration::from_secs(3_600));
    let follower = PostgresStore::open_with(config, "shared").await.unwrap();
    let writer = db.open("shared").await;
    let mut events = follower.subscribe(1);
    // when another store appends,
    writer
        .append(batch("from-writer", 2, &[]), 0)
        .await
        .unwrap();
    // then the follower's subscription delivers both events.
    let seen: Vec<u64> = tokio::time::timeout(
        GUARD,
        events
            .by_ref()
            .take(2)
            .map(|e| e.unwrap().position())
            .collect(),
    )
    .await
    .expect("no notification reached the follower");
    assert_eq!(seen, [1, 2]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_catches_what_lost_notifications_missed() {
    // Given a follower behind a proxy that swallows every notification,
    let db = TestDb::create().await;
    let proxy = Proxy::start(db.host(), db.port()).await;
    proxy.drop_notifications(true);
    let config = PostgresConfig::new(db.url_via("127.0.0.1", proxy.port))
        .with_poll_interval(Duration::from_millis(200));
    let follower = PostgresStore::open_with(config, "shared").await.unwrap();
    let writer = db.open("shared").await;
    let mut events = follower.subscribe(1);
    // when another store appends three batches,
    for (i, head) in [0, 1, 2].into_iter().enumerate() {
        writer
            .append(batch(&format!("b{i}"), 1, &[]), head)
            .await
            .unwrap();
    }
    // then the follower still delivers every event, once, in order (found by polling).
    let seen: Vec<u64> = tokio::time::timeout(
        GUARD,
        events
            .by_ref()
            .take(3)
            .map(|e| e.unwrap().position())
            .collect(),
    )
    .await
    .expect("polling did not catch up");
    assert_eq!(seen, [1, 2, 3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_survives_its_listen_connection_being_killed() {
    // Given a follower subscribed through its LISTEN connection,
    let db = TestDb::create().await;
    let follower = db.open("shared").await;
    let writer = db.open("shared").await;
    let mut events = follower.subscribe(1);
    writer.append(batch("before", 1, &[]), 0).await.unwrap();
    assert_eq!(next_position(&mut events).await, 1);
    // when every LISTEN connection to the database is terminated by the server,
    let killed = db
        .client()
        .await
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1",
            &[&LISTEN_APPLICATION_NAME],
        )
        .await
        .unwrap();
    assert_eq!(killed.len(), 2, "one LISTEN connection per store");
    // and the writer appends again, then the subscription goes on without a gap.
    writer.append(batch("after", 2, &[]), 1).await.unwrap();
    assert_eq!(
        [
            next_position(&mut events).await,
            next_position(&mut events).await
        ],
        [2, 3]
    );
}

async fn next_position(
    events: &mut futures::stream::BoxStream<
        'static,
        Result<sijill_store::StoredEvent, sijill_store::StoreError>,
    >,
) -> u64 {
    let next = tokio::time::timeout(GUARD, events.next())
        .await
        .expect("no event arrived");
    next.expect("the subscription ended")
        .expect("the subscription failed")
        .position()
}
