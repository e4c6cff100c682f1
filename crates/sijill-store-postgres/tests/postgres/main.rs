//! The PostgreSQL backend against a real PostgreSQL: each test creates a database of its own
//! (through the admin URL in `SIJILL_TEST_POSTGRES`) and drops it at the end. Without a
//! reachable PostgreSQL every test fails, saying how to start one.

mod connection_loss;
mod proxy;
mod sharing;
mod support;

use std::time::Duration;

use futures::StreamExt;
use sijill_store::conformance::{self, batch, StoreKey};
use sijill_store::transfer::{export, import};
use sijill_store::{AppendError, EventStore, SledStore};
use sijill_store_postgres::{PostgresConfig, PostgresStore, SCHEMA_VERSION};

use support::{Tamperable, TestDb};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_store_passes_the_conformance_suite() {
    // Every store of the suite is a registry of its own in one database.
    let db = TestDb::create().await;
    let url = db.url();
    let factory = |key: StoreKey| {
        let (db, url) = (&db, url.clone());
        async move {
            Tamperable {
                store: db.open(&key.to_string()).await,
                url,
            }
        }
    };
    conformance::run_all(factory).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_with_a_newer_schema_is_refused() {
    // Given a database migrated by this version, then marked as migrated by a later one,
    let db = TestDb::create().await;
    drop(db.open("default").await);
    let later = SCHEMA_VERSION + 1;
    db.client()
        .await
        .execute(
            "INSERT INTO sijill_schema_migrations (version, description) VALUES ($1, 'later')",
            &[&later],
        )
        .await
        .unwrap();
    // when it is opened, then it is refused, naming both versions and what to do.
    let err = PostgresStore::open(&db.url(), "default").await.unwrap_err();
    let message = err
        .to_string()
        .replace(&format!("{}:{}", db.host(), db.port()), "<server>");
    let message = message
        .split(&format!("/{}", db_name(&db)))
        .collect::<Vec<_>>()
        .join("/<db>");
    assert_eq!(
        message,
        "storage backend failed: database <server>/<db> has sijill schema version 2, newer than version 1 that this version of sijill knows; upgrade sijill on this server (every server sharing the database needs a version that knows schema 2), or open a copy restored from a backup made by this version"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_defaults_to_asynchronous_commit_still_gets_durable_appends() {
    // Given a database whose sessions default to synchronous_commit = off,
    let db = TestDb::create().await;
    let name = db_name(&db);
    db.client()
        .await
        .batch_execute(&format!(
            "ALTER DATABASE {name} SET synchronous_commit = off"
        ))
        .await
        .unwrap();
    // when a store opens it, then it opens (open refuses a session with synchronous_commit
    // off, so its sessions turned it on) and appends.
    let store = db.open("default").await;
    let appended = store.append(batch("a", 1, &[]), 0).await.unwrap();
    assert_eq!((appended.first, appended.deduplicated), (1, false));
}

fn db_name(db: &TestDb) -> String {
    db.url()
        .split_whitespace()
        .find_map(|p| p.strip_prefix("dbname="))
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_is_reported_with_how_to_start_it() {
    // Given nothing listening on port 9 (discard) of the loopback address,
    let config = PostgresConfig::new("postgres://sijill@127.0.0.1:9/registry")
        .with_connect_timeout(Duration::from_secs(2));
    // when a store is opened there, then the error names the server and how to start one.
    let err = PostgresStore::open_with(config, "default")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(
            "storage backend failed: cannot reach PostgreSQL at 127.0.0.1:9/registry: "
        ),
        "{err}"
    );
    assert!(
        err.ends_with(
            "; start PostgreSQL (for example `pg_ctlcluster 15 main start`) or correct the URL"
        ),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_registry_name_is_refused_before_connecting() {
    let err = PostgresStore::open("postgres://sijill@127.0.0.1:9/x", "Main Registry")
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "storage backend failed: registry name \"Main Registry\" is invalid: use 1 to 63 characters a-z, 0-9, '-' or '_', starting with a letter or digit"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_registry_is_refused_when_it_may_not_be_created() {
    // Given a database holding registry "main",
    let db = TestDb::create().await;
    drop(db.open("main").await);
    let existing = db.config().with_create_registry(false);
    // when a registry is opened without permission to create it, then an existing one opens
    assert!(PostgresStore::open_with(existing.clone(), "main")
        .await
        .is_ok());
    // and a misspelt one is refused, naming it, and not created.
    let Err(refused) = PostgresStore::open_with(existing.clone(), "mian").await else {
        panic!("a missing registry was opened");
    };
    let refused = refused.to_string();
    let expected = format!(
        "storage backend failed: database {}:{}/{} holds no registry named \"mian\"; check the name, or create the registry first (`sijill init` with the same URL)",
        db.host(),
        db.port(),
        db_name(&db)
    );
    assert_eq!(refused, expected);
    assert!(PostgresStore::open_with(existing, "mian").await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_exported_from_sled_imports_into_postgres_with_identical_hashes() {
    // Given a sled log of 1 200 events in batches of several sizes, exported,
    let dir = tempfile::tempdir().unwrap();
    let sled = SledStore::open(dir.path().join("log")).unwrap();
    let mut head = 0;
    for (i, size) in [1usize, 2, 500, 7, 690].into_iter().enumerate() {
        let tags = [uuid::Uuid::from_u128(i as u128 % 2)];
        head = sled
            .append(batch(&format!("sled-{i}"), size, &tags), head)
            .await
            .unwrap()
            .last;
    }
    let mut from_sled = Vec::new();
    export(&sled, &mut from_sled).await.unwrap();
    // when it is imported into PostgreSQL and exported again,
    let db = TestDb::create().await;
    let postgres = db.open("moved").await;
    let imported = import(&postgres, from_sled.as_slice()).await.unwrap();
    let mut from_postgres = Vec::new();
    export(&postgres, &mut from_postgres).await.unwrap();
    // then the heads and every hash agree, the chain verifies, and the exports are identical.
    assert_eq!(imported.head, sled.head().await.unwrap());
    assert_eq!(postgres.head().await.unwrap(), sled.head().await.unwrap());
    let report = postgres.verify(1, None).await.unwrap();
    assert_eq!((report.checked, report.first_bad), (1_200, None));
    assert!(
        from_sled == from_postgres,
        "the export from PostgreSQL differs from sled's"
    );
    // and the imported command ids and tags work as if appended there.
    let again = postgres.append(batch("sled-2", 500, &[]), 0).await.unwrap();
    assert_eq!(
        (again.first, again.last, again.deduplicated),
        (4, 503, true)
    );
    assert_eq!(
        postgres
            .read_tag(uuid::Uuid::from_u128(1), 1, 2_000)
            .await
            .unwrap()
            .len(),
        2 + 7
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_appends_commit_in_call_order_and_a_failure_conflicts_the_rest() {
    // Given an empty registry, when a writer queues three appends without waiting, each
    // expecting the head the previous one leaves,
    let db = TestDb::create().await;
    let store = db.open("default").await;
    let first = store.queue_group(vec![batch("q1", 2, &[])], 0);
    let second = store.queue_group(vec![batch("q2", 3, &[])], 2);
    let third = store.queue_group(vec![batch("q3", 1, &[])], 5);
    // then they land one after the other.
    let got: Vec<(u64, u64)> = [first.await, second.await, third.await]
        .into_iter()
        .map(|r| r.unwrap().remove(0))
        .map(|a| (a.first, a.last))
        .collect();
    assert_eq!(got, [(1, 2), (3, 5), (6, 6)]);
    // When the first of two queued appends conflicts, the second conflicts too.
    let stale = store.queue_group(vec![batch("q4", 1, &[])], 3);
    let after = store.queue_group(vec![batch("q5", 1, &[])], 4);
    let (stale, after) = (stale.await, after.await);
    assert!(
        matches!(
            stale,
            Err(AppendError::Conflict {
                expected: 3,
                actual: 6
            })
        ),
        "{stale:?}"
    );
    assert!(
        matches!(
            after,
            Err(AppendError::Conflict {
                expected: 4,
                actual: 6
            })
        ),
        "{after:?}"
    );
    // An invalid batch is refused before it is queued.
    let invalid = store.queue_group(vec![batch("q6", 0, &[])], 6).await;
    assert!(matches!(invalid, Err(AppendError::Limit(_))), "{invalid:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registries_in_one_database_are_independent() {
    // Given two registries in one database,
    let db = TestDb::create().await;
    let (north, south) = (db.open("north").await, db.open("south").await);
    let mut south_events = south.subscribe(1);
    // when each records its own batches, reusing a command id,
    north.append(batch("same-id", 3, &[]), 0).await.unwrap();
    let south_appended = south.append(batch("same-id", 1, &[]), 0).await.unwrap();
    // then each log has only its own events, from position 1,
    assert_eq!(
        (south_appended.first, south_appended.deduplicated),
        (1, false)
    );
    assert_eq!(north.head().await.unwrap().position, 3);
    assert_eq!(south.head().await.unwrap().position, 1);
    // and a subscription to one sees only its own events, though the other's came between.
    north.append(batch("north-only", 1, &[]), 3).await.unwrap();
    south.append(batch("south-2", 1, &[]), 1).await.unwrap();
    let seen: Vec<(u64, String)> = south_events
        .by_ref()
        .take(2)
        .map(|e| e.unwrap())
        .map(|e| (e.position(), e.command_id().to_string()))
        .collect()
        .await;
    assert_eq!(
        seen,
        [(1, "same-id".to_string()), (2, "south-2".to_string())]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_store_ends_its_subscriptions() {
    let db = TestDb::create().await;
    let store = db.open("default").await;
    store.append(batch("a", 1, &[]), 0).await.unwrap();
    let mut events = store.subscribe(1);
    assert_eq!(events.next().await.unwrap().unwrap().position(), 1);
    drop(store);
    let end = tokio::time::timeout(Duration::from_secs(30), events.next()).await;
    assert!(matches!(end, Ok(None)), "{end:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_pages_read_in_two_halves_have_no_gap() {
    // Given 3 000 events (pages of READ_SPLIT_EVENTS_MIN or more are read as two halves),
    let db = TestDb::create().await;
    let store = db.open("default").await;
    store.append(batch("big", 3_000, &[]), 0).await.unwrap();
    let positions = |events: Vec<sijill_store::StoredEvent>| {
        events.iter().map(|e| e.position()).collect::<Vec<_>>()
    };
    // then a page inside the log is whole, a page reaching past the head stops at it,
    let page = sijill_store_postgres::READ_SPLIT_EVENTS_MIN;
    assert_eq!(
        positions(store.read(1, page).await.unwrap()),
        (1..=page as u64).collect::<Vec<_>>()
    );
    assert_eq!(
        positions(store.read(2_500, page).await.unwrap()),
        (2_500..=3_000).collect::<Vec<_>>()
    );
    assert_eq!(
        positions(store.read(1_500, page).await.unwrap()),
        (1_500..=3_000).collect::<Vec<_>>()
    );
}
