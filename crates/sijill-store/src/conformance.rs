//! The conformance suite: what every `EventStore` backend must do, checked through the
//! contract alone, so it survives any backend's internals.
//!
//! A backend runs it with a factory: `factory(StoreKey)` opens the store named by the key.
//! A key the suite has not used before must give a new, empty store; the same key again
//! (after the suite dropped the previous handle) must reopen the same data.
//!
//! ```text
//! #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
//! async fn sled_backend_conforms() {
//!     let dir = tempfile::tempdir().unwrap();
//!     let root = dir.path().to_path_buf();
//!     sijill_store::conformance::run_all(move |key| {
//!         let path = root.join(key.to_string());
//!         async move { SledStore::open(path).unwrap() }
//!     })
//!     .await;
//! }
//! ```

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use futures::StreamExt;
use uuid::Uuid;

use crate::batch::{Appended, Head, NewBatch, NewEvent};
use crate::command_id::CommandId;
use crate::error::{AppendError, InvalidBatch, LimitError, StoreError};
use crate::limits::{
    ACTOR_LEN_MAX, BATCH_EVENTS_MAX, EVENT_PAYLOAD_BYTES_MAX, EVENT_TAGS_MAX, PAGE_EVENTS_MAX,
    SOURCE_LEN_MAX,
};
use crate::store::{ChainBreak, ChainProblem, EventStore};
use crate::stored::chain_hash;
use crate::transfer::{export, import, TransferError};

/// Names one store of the suite. Display gives a name usable as a folder or schema name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StoreKey(pub u32);

impl fmt::Display for StoreKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "store-{}", self.0)
    }
}

/// A test-only hook to damage a stored event, so the suite can check that `verify` notices.
#[async_trait]
pub trait Tamper: Send + Sync {
    /// Replaces the stored bytes at `position`, keeping its `prev_hash` and `hash`.
    async fn overwrite_stored_bytes(
        &self,
        position: u64,
        stored: Vec<u8>,
    ) -> Result<(), StoreError>;
}

/// A guard against a hung subscription: long enough never to fire on a healthy backend.
const SUBSCRIPTION_GUARD: Duration = Duration::from_secs(60);

/// Runs every check; panics (as a test does) naming the first one that fails.
pub async fn run_all<F, Fut, S>(factory: F)
where
    F: Fn(StoreKey) -> Fut,
    Fut: Future<Output = S>,
    S: EventStore + Tamper,
{
    ordering_and_gap_freedom(factory(StoreKey(1)).await).await;
    racing_writers(Arc::new(factory(StoreKey(2)).await)).await;
    idempotency(factory(StoreKey(3)).await).await;
    subscriptions_under_concurrent_appends(Arc::new(factory(StoreKey(4)).await)).await;
    tag_reads(factory(StoreKey(5)).await).await;
    verify_finds_tampered_event(factory(StoreKey(6)).await).await;
    reopen_keeps_everything(&factory, StoreKey(7)).await;
    export_import_round_trip(factory(StoreKey(8)).await, factory(StoreKey(9)).await).await;
    limits_refused_and_nothing_changes(factory(StoreKey(10)).await).await;
    invalid_batches_refused(factory(StoreKey(11)).await).await;
    staged_groups_commit_in_order(factory(StoreKey(12)).await).await;
}

/// A batch of `events` events, each tagged with `tags`, with deterministic ids and payloads.
pub fn batch(command_id: &str, events: usize, tags: &[Uuid]) -> NewBatch {
    NewBatch {
        command_id: CommandId::new(command_id).expect("valid test command id"),
        actor: "registrar".into(),
        source: Some("minutes of the founding assembly".into()),
        recorded_at: Utc.with_ymd_and_hms(2016, 12, 10, 18, 0, 0).unwrap(),
        events: (0..events)
            .map(|i| NewEvent {
                event_id: Uuid::now_v7(),
                event_type: "body_founded".into(),
                version: 1,
                payload: format!(r#"{{"command":"{command_id}","index":{i}}}"#).into_bytes(),
                tags: tags.to_vec(),
            })
            .collect(),
    }
}

fn positions(events: &[crate::StoredEvent]) -> Vec<u64> {
    events.iter().map(|e| e.position()).collect()
}

fn range(appended: &Appended) -> (u64, u64, bool) {
    (appended.first, appended.last, appended.deduplicated)
}

/// Positions are assigned from 1 without gaps, in append order; reads page through them.
pub async fn ordering_and_gap_freedom<S: EventStore>(store: S) {
    // Given an empty log,
    assert_eq!(store.head().await.unwrap(), Head::GENESIS);
    // when three batches of 1, 3 and 2 events are appended,
    let a = store.append(batch("a", 1, &[]), 0).await.unwrap();
    let b = store.append(batch("b", 3, &[]), 1).await.unwrap();
    let c = store.append(batch("c", 2, &[]), 4).await.unwrap();
    // then they occupy 1, 2..=4 and 5..=6,
    assert_eq!(
        [range(&a), range(&b), range(&c)],
        [(1, 1, false), (2, 4, false), (5, 6, false)]
    );
    // reads return exactly those positions, in order, from any start,
    assert_eq!(
        positions(&store.read(1, 100).await.unwrap()),
        [1, 2, 3, 4, 5, 6]
    );
    assert_eq!(positions(&store.read(0, 2).await.unwrap()), [1, 2]);
    assert_eq!(positions(&store.read(3, 2).await.unwrap()), [3, 4]);
    assert_eq!(
        positions(&store.read(7, 10).await.unwrap()),
        Vec::<u64>::new()
    );
    assert!(store.read(1, 0).await.unwrap().is_empty());
    // each event chains to the one before, and the head is the last event.
    let all = store.read(1, 100).await.unwrap();
    let mut prev = [0u8; 32];
    for event in &all {
        assert_eq!(event.prev_hash(), prev, "prev_hash at {}", event.position());
        assert_eq!(event.hash(), chain_hash(&prev, event.stored_bytes()));
        prev = event.hash();
    }
    assert_eq!(
        store.head().await.unwrap(),
        Head {
            position: 6,
            hash: prev
        }
    );
    assert_eq!(all[1].command_id().as_str(), "b");
    assert_eq!(all[1].payload(), br#"{"command":"b","index":0}"#);
}

/// A staged group is committed in log order at once: the next group can be staged on its
/// head before it is durable; each is readable once its `durable` future resolved.
pub async fn staged_groups_commit_in_order<S: EventStore>(store: S) {
    // Given a staged group of two batches on an empty log, not yet awaited,
    let first = store
        .append_group_staged(vec![batch("s1", 2, &[]), batch("s2", 1, &[])], 0)
        .await
        .unwrap();
    let ranges: Vec<_> = first.results.iter().map(range).collect();
    assert_eq!(ranges, [(1, 2, false), (3, 3, false)]);
    // a second group staged on its head is accepted (one of its batches repeats `s2`),
    let second = store
        .append_group_staged(vec![batch("s2", 1, &[]), batch("s3", 2, &[])], 3)
        .await
        .unwrap();
    let ranges: Vec<_> = second.results.iter().map(range).collect();
    assert_eq!(ranges, [(3, 3, true), (4, 5, false)]);
    // and a third staged on a stale head conflicts, naming the committed head.
    match store
        .append_group_staged(vec![batch("s4", 1, &[])], 3)
        .await
    {
        Err(AppendError::Conflict { expected, actual }) => assert_eq!((expected, actual), (3, 5)),
        other => panic!("a stale staged group must conflict, got {other:?}"),
    }
    // Once both are durable, the log holds exactly them, in order.
    first.durable.await.unwrap();
    second.durable.await.unwrap();
    let events = store.read(1, 100).await.unwrap();
    assert_eq!(positions(&events), [1, 2, 3, 4, 5]);
    let ids: Vec<&str> = events.iter().map(|e| e.command_id().as_str()).collect();
    assert_eq!(ids, ["s1", "s1", "s2", "s3", "s3"]);
    assert_eq!(store.head().await.unwrap().position, 5);
}

/// Two writers appending against the same head: exactly one wins, the other learns the head.
pub async fn racing_writers<S: EventStore>(store: Arc<S>) {
    for round in 0..20u64 {
        // Given a log at head `round * 2`,
        let head = store.head().await.unwrap().position;
        assert_eq!(head, round * 2);
        // when two writers append a batch of 2 against that head at the same time,
        let writers = ["x", "y"].map(|name| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .append(batch(&format!("{name}-{round}"), 2, &[]), head)
                    .await
            })
        });
        let [x, y] = writers;
        let results = [x.await.unwrap(), y.await.unwrap()];
        // then exactly one appended, and the other got a conflict naming the new head.
        let wins = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(wins, 1, "round {round}: {results:?}");
        let conflict = results.iter().find_map(|r| r.as_ref().err()).unwrap();
        assert!(
            matches!(conflict, AppendError::Conflict { expected, actual } if *expected == head && *actual == head + 2),
            "round {round}: {conflict:?}"
        );
    }
    assert_eq!(
        positions(&store.read(1, 100).await.unwrap()),
        (1..=40).collect::<Vec<_>>()
    );
}

/// A known command id returns the original positions and appends nothing.
pub async fn idempotency<S: EventStore>(store: S) {
    // Given a batch "a" at 1..=2 and "b" at 3,
    let a = store.append(batch("a", 2, &[]), 0).await.unwrap();
    store.append(batch("b", 1, &[]), 2).await.unwrap();
    let head = store.head().await.unwrap();
    // when "a" is sent again with a stale expected head,
    let again = store.append(batch("a", 2, &[]), 0).await.unwrap();
    // then it returns the original positions, deduplicated, and the log is unchanged.
    assert_eq!(
        again,
        Appended {
            deduplicated: true,
            ..a.clone()
        }
    );
    assert_eq!(store.head().await.unwrap(), head);
    // find_command knows "a" and nothing about "z".
    let found = store
        .find_command(&CommandId::new("a").unwrap())
        .await
        .unwrap();
    assert_eq!(found.map(|f| range(&f)), Some((1, 2, true)));
    assert_eq!(
        store
            .find_command(&CommandId::new("z").unwrap())
            .await
            .unwrap(),
        None
    );
    // In a group, known ids and repeats inside the group are deduplicated, new ones appended.
    let group = vec![
        batch("b", 1, &[]),
        batch("c", 2, &[]),
        batch("c", 2, &[]),
        batch("d", 1, &[]),
    ];
    let results = store.append_group(group, 3).await.unwrap();
    let got: Vec<_> = results.iter().map(range).collect();
    assert_eq!(
        got,
        [(3, 3, true), (4, 5, false), (4, 5, true), (6, 6, false)]
    );
    assert_eq!(store.head().await.unwrap().position, 6);
    // A group whose batches are all known succeeds whatever the expected head.
    let results = store
        .append_group(vec![batch("d", 1, &[]), batch("a", 2, &[])], 99)
        .await
        .unwrap();
    assert_eq!(
        results.iter().map(range).collect::<Vec<_>>(),
        [(6, 6, true), (1, 2, true)]
    );
    // A group with one new batch still checks the head, and then appends nothing.
    let stale = store
        .append_group(vec![batch("a", 2, &[]), batch("e", 1, &[])], 2)
        .await;
    assert!(
        matches!(
            stale,
            Err(AppendError::Conflict {
                expected: 2,
                actual: 6
            })
        ),
        "{stale:?}"
    );
    assert_eq!(store.head().await.unwrap().position, 6);
}

/// Subscribers get the log up to now, then every new event live: no gap, no duplicate,
/// whatever the writers do meanwhile.
pub async fn subscriptions_under_concurrent_appends<S: EventStore>(store: Arc<S>) {
    const WRITERS: u64 = 4;
    const BATCHES_PER_WRITER: u64 = 25;
    // Given a log of 5 events and two subscriptions, from the start and from position 3,
    store.append(batch("seed", 5, &[]), 0).await.unwrap();
    let from_start = store.subscribe(1);
    let from_three = store.subscribe(3);
    // when 4 writers each append 25 batches of 2, retrying on conflicts,
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                for i in 0..BATCHES_PER_WRITER {
                    append_retrying(&*store, batch(&format!("w{w}-{i}"), 2, &[])).await;
                }
            })
        })
        .collect();
    let total = 5 + WRITERS * BATCHES_PER_WRITER * 2;
    // then each subscription sees every position once, in order, up to the last append.
    let collect = |stream: futures::stream::BoxStream<'static, _>, n: u64| async move {
        let events: Vec<Result<crate::StoredEvent, StoreError>> =
            stream.take(n as usize).collect().await;
        events
            .into_iter()
            .map(|e| e.unwrap().position())
            .collect::<Vec<_>>()
    };
    let (seen_all, seen_three) = tokio::time::timeout(
        SUBSCRIPTION_GUARD,
        futures::future::join(collect(from_start, total), collect(from_three, total - 2)),
    )
    .await
    .expect("subscriptions stopped delivering events");
    for writer in writers {
        writer.await.unwrap();
    }
    assert_eq!(seen_all, (1..=total).collect::<Vec<_>>());
    assert_eq!(seen_three, (3..=total).collect::<Vec<_>>());
    // And a subscription started now catches up and then stays live.
    let mut late = store.subscribe(total);
    assert_eq!(next_live(&mut late).await.position(), total);
    store.append(batch("late", 1, &[]), total).await.unwrap();
    assert_eq!(next_live(&mut late).await.position(), total + 1);
}

async fn next_live(
    stream: &mut futures::stream::BoxStream<'static, Result<crate::StoredEvent, StoreError>>,
) -> crate::StoredEvent {
    let next = tokio::time::timeout(SUBSCRIPTION_GUARD, stream.next()).await;
    next.expect("no live event")
        .expect("stream ended")
        .expect("subscription failed")
}

async fn append_retrying<S: EventStore + ?Sized>(store: &S, batch: NewBatch) -> Appended {
    let mut expected = store.head().await.unwrap().position;
    loop {
        match store.append(batch.clone(), expected).await {
            Ok(appended) => return appended,
            Err(AppendError::Conflict { actual, .. }) => expected = actual,
            Err(other) => panic!("append failed: {other}"),
        }
    }
}

/// `read_tag` returns the events that concern one id, in order, paged.
pub async fn tag_reads<S: EventStore>(store: S) {
    let (body, person, other) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
    // Given events tagged body (1), body+person (2..=3), person (4), none (5), body (6),
    store.append(batch("a", 1, &[body]), 0).await.unwrap();
    store
        .append(batch("b", 2, &[body, person]), 1)
        .await
        .unwrap();
    store.append(batch("c", 1, &[person]), 3).await.unwrap();
    store.append(batch("d", 1, &[]), 4).await.unwrap();
    store.append(batch("e", 1, &[body]), 5).await.unwrap();
    // then each tag reads back its positions, from any start, with a limit.
    assert_eq!(
        positions(&store.read_tag(body, 1, 100).await.unwrap()),
        [1, 2, 3, 6]
    );
    assert_eq!(
        positions(&store.read_tag(person, 1, 100).await.unwrap()),
        [2, 3, 4]
    );
    assert_eq!(
        positions(&store.read_tag(body, 3, 100).await.unwrap()),
        [3, 6]
    );
    assert_eq!(
        positions(&store.read_tag(body, 1, 2).await.unwrap()),
        [1, 2]
    );
    assert!(store.read_tag(other, 1, 100).await.unwrap().is_empty());
    assert_eq!(
        store.read_tag(body, 2, 1).await.unwrap()[0].tags(),
        [body, person]
    );
}

/// `verify` passes on an intact log and names the first position whose bytes were changed.
pub async fn verify_finds_tampered_event<S: EventStore + Tamper>(store: S) {
    // Given 5 events that verify,
    store.append(batch("a", 5, &[]), 0).await.unwrap();
    let report = store.verify(1, None).await.unwrap();
    assert_eq!((report.checked, report.first_bad), (5, None));
    // when the stored bytes of event 3 are rewritten (still a well-formed event),
    let original = store.read(3, 1).await.unwrap().remove(0);
    let forged = String::from_utf8(original.stored_bytes().to_vec())
        .unwrap()
        .replace("\"actor\":\"registrar\"", "\"actor\":\"someone else\"");
    store
        .overwrite_stored_bytes(3, forged.into_bytes())
        .await
        .unwrap();
    // then verify stops at position 3 with a hash mismatch,
    let report = store.verify(1, None).await.unwrap();
    assert_eq!(report.checked, 2);
    let ChainBreak { position, problem } = report.first_bad.expect("tampering found");
    assert_eq!(position, 3);
    assert!(
        matches!(problem, ChainProblem::HashMismatch { stored, .. } if stored == original.hash())
    );
    // and a range after it still verifies (its anchor is the stored hash of event 3).
    let report = store.verify(4, Some(5)).await.unwrap();
    assert_eq!((report.checked, report.first_bad), (2, None));
}

/// Everything acknowledged is there after closing and reopening.
pub async fn reopen_keeps_everything<F, Fut, S>(factory: &F, key: StoreKey)
where
    F: Fn(StoreKey) -> Fut,
    Fut: Future<Output = S>,
    S: EventStore,
{
    // Given a store with two batches, closed,
    let store = factory(key).await;
    store
        .append(batch("a", 2, &[Uuid::from_u128(9)]), 0)
        .await
        .unwrap();
    store.append(batch("b", 1, &[]), 2).await.unwrap();
    let before = store.read(1, 10).await.unwrap();
    let head = store.head().await.unwrap();
    drop(store);
    // when it is reopened,
    let store = factory(key).await;
    // then the events, head, tags and command ids are all there,
    assert_eq!(store.read(1, 10).await.unwrap(), before);
    assert_eq!(store.head().await.unwrap(), head);
    assert_eq!(
        positions(&store.read_tag(Uuid::from_u128(9), 1, 10).await.unwrap()),
        [1, 2]
    );
    let again = store.append(batch("a", 2, &[]), 0).await.unwrap();
    assert_eq!(range(&again), (1, 2, true));
    // and the log continues where it was.
    let c = store.append(batch("c", 1, &[]), 3).await.unwrap();
    assert_eq!(range(&c), (4, 4, false));
    assert!(store.verify(1, None).await.unwrap().is_ok());
}

/// Export -> import -> export is byte-identical; import refuses a non-empty store and a
/// tampered file.
pub async fn export_import_round_trip<S: EventStore>(source: S, target: S) {
    // Given a log of 2 500 events over several pages, in batches of various sizes,
    let mut head = 0;
    for (i, size) in [1usize, 7, 1_000, 3, 1_489].into_iter().enumerate() {
        head = store_append(
            &source,
            batch(&format!("b{i}"), size, &[Uuid::from_u128(i as u128)]),
            head,
        )
        .await;
    }
    // when it is exported and imported into an empty store,
    let mut first = Vec::new();
    let exported = export(&source, &mut first).await.unwrap();
    assert_eq!(exported.events, 2_500);
    let imported = import(&target, first.as_slice()).await.unwrap();
    // then the target has the same head, verifies, and exports the same bytes,
    assert_eq!(imported.head, source.head().await.unwrap());
    assert_eq!(target.head().await.unwrap(), imported.head);
    assert!(target.verify(1, None).await.unwrap().is_ok());
    let mut second = Vec::new();
    export(&target, &mut second).await.unwrap();
    assert!(first == second, "export -> import -> export differs");
    // with idempotency entries and tags rebuilt.
    let dedup = target.append(batch("b2", 1_000, &[]), 0).await.unwrap();
    assert_eq!(range(&dedup), (9, 1_008, true));
    assert_eq!(
        target
            .read_tag(Uuid::from_u128(3), 1, 10)
            .await
            .unwrap()
            .len(),
        3
    );
    // Import refuses a store that is not empty.
    let refused = import(&target, first.as_slice()).await.unwrap_err();
    assert!(
        matches!(refused, TransferError::NotEmpty { head: 2_500 }),
        "{refused}"
    );
    assert_eq!(target.head().await.unwrap(), imported.head);
}

async fn store_append<S: EventStore>(store: &S, batch: NewBatch, head: u64) -> u64 {
    store.append(batch, head).await.unwrap().last
}

/// Every named limit refuses with an error naming it, and nothing is written.
pub async fn limits_refused_and_nothing_changes<S: EventStore>(store: S) {
    store.append(batch("seed", 1, &[]), 0).await.unwrap();
    let head = store.head().await.unwrap();
    let mut big_payload = batch("big", 1, &[]);
    big_payload.events[0].payload =
        format!(r#"{{"x":"{}"}}"#, "a".repeat(EVENT_PAYLOAD_BYTES_MAX)).into_bytes();
    let mut long_actor = batch("actor", 1, &[]);
    long_actor.actor = "a".repeat(ACTOR_LEN_MAX + 1);
    let mut long_source = batch("source", 1, &[]);
    long_source.source = Some("s".repeat(SOURCE_LEN_MAX + 1));
    let tags: Vec<Uuid> = (0..=EVENT_TAGS_MAX as u128).map(Uuid::from_u128).collect();
    let cases = [
        (big_payload, "EVENT_PAYLOAD_BYTES_MAX"),
        (batch("many", BATCH_EVENTS_MAX + 1, &[]), "BATCH_EVENTS_MAX"),
        (batch("none", 0, &[]), "BATCH_EVENTS_MAX"),
        (batch("tags", 1, &tags), "EVENT_TAGS_MAX"),
        (long_actor, "ACTOR_LEN_MAX"),
        (long_source, "SOURCE_LEN_MAX"),
    ];
    for (batch, limit) in cases {
        // When a batch breaks a limit, then the error names the limit,
        let err = store.append(batch, head.position).await.unwrap_err();
        assert!(matches!(err, AppendError::Limit(_)), "{limit}: {err:?}");
        assert!(err.to_string().contains(limit), "{limit}: {err}");
        // and the log is unchanged.
        assert_eq!(store.head().await.unwrap(), head, "{limit}");
    }
    let page = store.read(1, PAGE_EVENTS_MAX + 1).await.unwrap_err();
    assert!(
        matches!(page, StoreError::Limit(LimitError::PageEvents { .. })),
        "{page:?}"
    );
    assert!(page.to_string().contains("PAGE_EVENTS_MAX"));
    let tag_page = store
        .read_tag(Uuid::nil(), 1, PAGE_EVENTS_MAX + 1)
        .await
        .unwrap_err();
    assert!(matches!(
        tag_page,
        StoreError::Limit(LimitError::PageEvents { .. })
    ));
}

/// Batches that break a rule of the log are refused, naming the rule, and nothing is written.
pub async fn invalid_batches_refused<S: EventStore>(store: S) {
    let with = |change: fn(&mut NewBatch)| {
        let mut b = batch("bad", 1, &[]);
        change(&mut b);
        b
    };
    let cases = [
        with(|b| b.events[0].payload = b"[1,2]".to_vec()),
        with(|b| b.events[0].payload = b"{\"a\":".to_vec()),
        with(|b| b.events[0].event_type = "BodyFounded".into()),
        with(|b| b.events[0].version = 0),
        with(|b| b.actor = " ".into()),
        with(|b| b.recorded_at = Utc.with_ymd_and_hms(1969, 12, 31, 0, 0, 0).unwrap()),
    ];
    for batch in cases {
        let err = store.append(batch.clone(), 0).await.unwrap_err();
        assert!(matches!(err, AppendError::Invalid(_)), "{batch:?}: {err:?}");
    }
    assert_eq!(store.head().await.unwrap(), Head::GENESIS);
    let err = store
        .append(with(|b| b.events[0].version = 0), 0)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        AppendError::Invalid(InvalidBatch::Version { batch: 0, event: 0 })
    ));
    assert_eq!(
        err.to_string(),
        "batch 0 event 0: version 0 is invalid; versions start at 1"
    );
}

#[async_trait]
impl Tamper for crate::MemoryStore {
    async fn overwrite_stored_bytes(
        &self,
        position: u64,
        stored: Vec<u8>,
    ) -> Result<(), StoreError> {
        self.replace_stored_bytes(position, stored)
    }
}
