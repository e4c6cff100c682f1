//! The sled backend passes the conformance suite, and its data folder behaves.

use std::path::PathBuf;

use sijill_store::conformance::{self, batch, StoreKey};
use sijill_store::{EventStore, SledStore, StoreError, COMMIT_ON_CALLER_KEYS_MAX};

fn factory(root: PathBuf) -> impl Fn(StoreKey) -> std::future::Ready<SledStore> {
    move |key| {
        std::future::ready(SledStore::open(root.join(key.to_string())).expect("open sled store"))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sled_store_passes_the_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    conformance::run_all(factory(dir.path().to_path_buf())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_in_use_is_refused_clearly() {
    // Given a store open on a folder,
    let dir = tempfile::tempdir().unwrap();
    let _open = SledStore::open(dir.path()).unwrap();
    // when the folder is opened a second time, then the error names the folder and the fix.
    let err = SledStore::open(dir.path())
        .err()
        .expect("second open refused");
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    assert!(
        err.to_string().contains("is in use by another process"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_released_while_opening_is_waited_for() {
    // Given a store open on a folder, closed by another thread a moment later (as sled's I/O
    // threads release a dropped database's files a moment after the drop),
    let dir = tempfile::tempdir().unwrap();
    let open = SledStore::open(dir.path()).unwrap();
    let closer = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        drop(open);
    });
    // when the folder is opened meanwhile, then the open waits for the lock and succeeds.
    let reopened = SledStore::open(dir.path());
    closer.join().unwrap();
    assert!(reopened.is_ok(), "{:?}", reopened.err());
    assert!(sijill_store::limits::SLED_LOCK_WAIT > std::time::Duration::from_millis(300));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn folder_of_a_newer_format_is_refused() {
    // Given a data folder whose marker says a newer format,
    let dir = tempfile::tempdir().unwrap();
    drop(SledStore::open(dir.path()).unwrap());
    std::fs::write(dir.path().join("FORMAT"), "sijill-store sled 99\n").unwrap();
    // when it is opened, then it is refused with the versions and the fix.
    let err = SledStore::open(dir.path())
        .err()
        .expect("newer format refused");
    let message = err
        .to_string()
        .replace(&dir.path().display().to_string(), "<dir>");
    assert_eq!(message, "data folder <dir> has storage format 99, newer than the format 1 this version of sijill reads; upgrade sijill to open it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_with_other_files_is_not_taken_over() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    let err = SledStore::open(dir.path())
        .err()
        .expect("foreign folder refused");
    assert!(matches!(err, StoreError::NotADataFolder { .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_share_flushes() {
    // Given a store, when 16 writers append 8 batches each,
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(SledStore::open(dir.path()).unwrap());
    let writers: Vec<_> = (0..16)
        .map(|w| {
            let store = std::sync::Arc::clone(&store);
            tokio::spawn(async move {
                for i in 0..8 {
                    let mut expected = store.head().await.unwrap().position;
                    loop {
                        match store
                            .append(batch(&format!("w{w}-{i}"), 1, &[]), expected)
                            .await
                        {
                            Ok(_) => break,
                            Err(sijill_store::AppendError::Conflict { actual, .. }) => {
                                expected = actual
                            }
                            Err(e) => panic!("{e}"),
                        }
                    }
                }
            })
        })
        .collect();
    for w in writers {
        w.await.unwrap();
    }
    // then all 128 are in the log, the indexes agree, and there were no more flushes than appends.
    assert_eq!(store.head().await.unwrap().position, 128);
    let report = store.check_indexes().await.unwrap();
    assert_eq!(
        (report.events, report.commands, report.first_problem),
        (128, 128, None)
    );
    assert!(store.flushes() <= 128, "{} flushes", store.flushes());
}

/// Opens the folder's sled database directly, as a disk fault or an intruder could change it.
fn raw_events(folder: &std::path::Path) -> (sled::Db, sled::Tree) {
    let db = sled::open(folder.join("sled")).unwrap();
    let events = db.open_tree("events").unwrap();
    (db, events)
}

async fn folder_with_events(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    store.append(batch("a", n, &[]), 0).await.unwrap();
    drop(store);
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_event_in_the_tail_refuses_to_open_naming_it() {
    // Given a folder whose last event (5 of 5, all in the chunk at key 1) had one byte of its
    // stored bytes changed,
    let dir = folder_with_events(5).await;
    let (db, events) = raw_events(dir.path());
    let mut chunk = events.get(1u64.to_be_bytes()).unwrap().unwrap().to_vec();
    let at = chunk.len() - 3; // the last payload's `"index":4` digit
    chunk[at] = b'9';
    events.insert(1u64.to_be_bytes(), chunk).unwrap();
    db.flush().unwrap();
    drop((events, db));
    // when it is opened, then it is refused, naming position 5 and how to restore.
    let err = SledStore::open(dir.path())
        .err()
        .expect("corrupt folder refused");
    let message = err.to_string();
    assert!(
        message.starts_with("the log is corrupt at position 5: hash mismatch: stored "),
        "{message}"
    );
    assert!(message.ends_with("restore it by importing the last good export into a new, empty registry (`sijill import`)"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_last_batch_refuses_to_open() {
    // Given a folder of two batches (positions 1..=2 and 3) whose last chunk vanished while
    // the head record still names position 3,
    let dir = folder_with_events(2).await;
    let store = SledStore::open(dir.path()).unwrap();
    store.append(batch("b", 1, &[]), 2).await.unwrap();
    drop(store);
    let (db, events) = raw_events(dir.path());
    events
        .remove(3u64.to_be_bytes())
        .unwrap()
        .expect("the second batch's chunk");
    db.flush().unwrap();
    drop((events, db));
    // then opening names the position and what is wrong.
    let err = SledStore::open(dir.path())
        .err()
        .expect("inconsistent folder refused");
    assert!(
        err.to_string().starts_with("the log is corrupt at position 3: the head record says position 3, the last event is at 2;"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_on_demand_covers_the_whole_log_and_indexes() {
    let dir = folder_with_events(1_500).await;
    let store = SledStore::open(dir.path()).unwrap();
    let report = store.verify(1, None).await.unwrap();
    assert_eq!((report.checked, report.first_bad), (1_500, None));
    let indexes = store.check_indexes().await.unwrap();
    assert_eq!(
        (indexes.events, indexes.commands, indexes.first_problem),
        (1_500, 1, None)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staged_groups_commit_alike_on_the_callers_thread_and_on_the_blocking_pool() {
    // Given a group small enough to commit on the caller's thread (a batch of 3 events, no
    // tags: 4 keys) and one too large for it (3 batches of 1,000 events: 3,003 keys),
    let small = vec![batch("small", 3, &[])];
    let large: Vec<_> = (0..3)
        .map(|i| batch(&format!("large-{i}"), 1_000, &[]))
        .collect();
    const { assert!(4 <= COMMIT_ON_CALLER_KEYS_MAX && 3_003 > COMMIT_ON_CALLER_KEYS_MAX) };
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    // when both are staged one after the other and awaited,
    let first = store.append_group_staged(small, 0).await.unwrap();
    let second = store.append_group_staged(large, 3).await.unwrap();
    first.durable.await.unwrap();
    second.durable.await.unwrap();
    // then each landed where it was planned, and the log holds all of them in order.
    let ranges: Vec<_> = (first.results.iter().chain(&second.results))
        .map(|a| (a.command_id.as_str().to_owned(), a.first, a.last))
        .collect();
    let expected = [
        ("small", 1, 3),
        ("large-0", 4, 1_003),
        ("large-1", 1_004, 2_003),
        ("large-2", 2_004, 3_003),
    ]
    .map(|(id, first, last)| (id.to_owned(), first, last));
    assert_eq!(ranges, expected);
    assert_eq!(store.head().await.unwrap().position, 3_003);
    let mut positions = Vec::new();
    let mut from = 1;
    while from <= 3_003 {
        let page = store.read(from, 1_000).await.unwrap();
        positions.extend(page.iter().map(|e| e.position()));
        from += page.len() as u64;
    }
    assert!(positions.iter().copied().eq(1..=3_003));
}
