//! Connection loss: reads are retried; an append whose COMMIT lost its connection is
//! resolved through its command id, never duplicated and never reported failed if it
//! committed.

use sijill_store::conformance::batch;
use sijill_store::{Appended, EventStore, StoredEvent};
use sijill_store_postgres::{PostgresConfig, PostgresStore};

use crate::proxy::{Cut, Proxy};
use crate::support::TestDb;

async fn store_behind_proxy(db: &TestDb) -> (PostgresStore, Proxy) {
    let proxy = Proxy::start(db.host(), db.port()).await;
    let store = PostgresStore::open_with(
        PostgresConfig::new(db.url_via("127.0.0.1", proxy.port)),
        "default",
    )
    .await
    .unwrap();
    (store, proxy)
}

fn summary(appended: &Appended) -> (u64, u64, bool) {
    (appended.first, appended.last, appended.deduplicated)
}

fn command_ids(log: &[StoredEvent]) -> Vec<String> {
    log.iter().map(|e| e.command_id().to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_append_that_committed_as_its_connection_broke_is_acknowledged_once() {
    // Given a store whose connection will break right after the server commits,
    let db = TestDb::create().await;
    let (store, proxy) = store_behind_proxy(&db).await;
    store.append(batch("a", 1, &[]), 0).await.unwrap();
    proxy.arm(Cut::AfterCommit);
    // when a batch is appended,
    let appended = store.append(batch("b", 2, &[]), 1).await.unwrap();
    // then the connection did break, the append is acknowledged as appended (not as a
    // duplicate), and the log holds it once.
    assert_eq!(proxy.cuts(), 1);
    assert_eq!(summary(&appended), (2, 3, false));
    let log = store.read(1, 100).await.unwrap();
    assert_eq!(command_ids(&log), ["a", "b", "b"]);
    assert!(store.verify(1, None).await.unwrap().is_ok());
    // Sending it again is recognised as a duplicate.
    let again = store.append(batch("b", 2, &[]), 1).await.unwrap();
    assert_eq!(summary(&again), (2, 3, true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_append_whose_commit_never_arrived_is_retried_and_recorded_once() {
    // Given a store whose connection will break instead of delivering a COMMIT,
    let db = TestDb::create().await;
    let (store, proxy) = store_behind_proxy(&db).await;
    store.append(batch("a", 1, &[]), 0).await.unwrap();
    proxy.arm(Cut::BeforeCommit);
    // when a group of two batches is appended,
    let appended = store
        .append_group(vec![batch("b", 1, &[]), batch("c", 2, &[])], 1)
        .await
        .unwrap();
    // then the transaction was retried on a new connection and committed once.
    assert_eq!(proxy.cuts(), 1);
    assert_eq!(
        appended.iter().map(summary).collect::<Vec<_>>(),
        [(2, 2, false), (3, 4, false)]
    );
    let log = store.read(1, 100).await.unwrap();
    assert_eq!(command_ids(&log), ["a", "b", "c", "c"]);
    assert!(store.verify(1, None).await.unwrap().is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_and_appends_go_on_after_the_server_kills_every_connection() {
    // Given a store that has read and written (so its pool holds open connections),
    let db = TestDb::create().await;
    let store = db.open("default").await;
    store.append(batch("a", 2, &[]), 0).await.unwrap();
    assert_eq!(store.read(1, 10).await.unwrap().len(), 2);
    // when the server terminates every connection to the database,
    db.client()
        .await
        .batch_execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        .await
        .unwrap();
    // then reads, the head and appends succeed on new connections.
    assert_eq!(store.read(1, 10).await.unwrap().len(), 2);
    assert_eq!(store.head().await.unwrap().position, 2);
    let appended = store.append(batch("b", 1, &[]), 2).await.unwrap();
    assert_eq!(summary(&appended), (3, 3, false));
}
