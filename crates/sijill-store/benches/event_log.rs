//! Event log benchmark: durable append throughput (batch sizes, concurrent appenders through
//! group commit), read+decode throughput and single-append latency, each beside raw sled
//! baselines measured in the same run. Prints a Markdown table for `docs/performance.md`.
//!
//! Run: `cargo bench -p sijill-store --bench event_log`. Data goes to a temporary folder on
//! the same file system as `TMPDIR`. For profiling one phase, `SIJILL_BENCH_ONLY=grouped`
//! (or `single`, `concurrent`, `read`) runs just that one, without the baselines. Everything, the raw baselines included, runs with
//! mimalloc, the binaries' allocator.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use sijill_domain::event::PersonRegistered;
use sijill_domain::{Event, Gender, Handle, Names, PersonId};
use sijill_store::{codec, read_decoded, AppendError, CommandId, EventStore, NewBatch, SledStore};
use uuid::Uuid;

/// The allocator the `sijill` binary and the server ship with, so that the figures are the
/// ones a registry sees (with glibc's allocator, allocating and freeing the events of a page
/// on different threads took a third of the read+decode time). The raw baselines run with it
/// too.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Size of a raw baseline value, as the issue specifies.
const RAW_VALUE_BYTES: usize = 300;
/// Groups committed and not yet durable at once in the staged grouped run: the engine
/// writer's `ROUNDS_IN_FLIGHT_MAX`.
const GROUPS_IN_FLIGHT: usize = 2;
/// Single appends / raw inserts timed one at a time.
const SINGLES: usize = 300;
/// Events in the read+decode log.
const READ_EVENTS: u64 = 200_000;
/// Page size of the read benchmark.
const READ_PAGE: usize = 10_000;

fn person(i: u64) -> Event {
    let name = Names::tagged("أشرف شهبون", Some("ar")).unwrap();
    Event::PersonRegistered(PersonRegistered {
        person: PersonId::from_uuid(Uuid::from_u128(u128::from(i) + 1)),
        handle: format!("@person-{i}").parse::<Handle>().unwrap(),
        name: name.with_other("Achraf Chahboun", Some("ar-Latn")).unwrap(),
        gender: Some(Gender::Male),
    })
}

fn batch(id: &str, events: u64) -> NewBatch {
    NewBatch {
        command_id: CommandId::new(id).unwrap(),
        actor: "registrar".into(),
        source: Some("minutes of the founding assembly".into()),
        recorded_at: Utc::now(),
        events: (0..events)
            .map(|i| codec::new_event(&person(i), Uuid::now_v7()))
            .collect(),
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn per_second(count: u64, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}

/// What the store's flush adds to sled's for durability on the log file (see
/// `SledFiles::sync`): an `fdatasync` of `db`.
fn sync_log_file(dir: &std::path::Path) {
    std::fs::File::open(dir.join("db"))
        .unwrap()
        .sync_data()
        .unwrap();
}

/// A raw sled database in a fresh temporary folder, flushed only when asked, as the store
/// configures it.
fn raw_sled() -> (tempfile::TempDir, sled::Db) {
    let dir = tempfile::tempdir().unwrap();
    let db = sled::Config::new()
        .path(dir.path())
        .flush_every_ms(None)
        .open()
        .unwrap();
    (dir, db)
}

/// Raw sled: insert + flush, one value at a time (optionally + fdatasync, what durability
/// costs).
fn raw_single(durable: bool) -> (f64, Duration) {
    let (dir, db) = raw_sled();
    let value = vec![7u8; RAW_VALUE_BYTES];
    let mut samples = Vec::with_capacity(SINGLES);
    let start = Instant::now();
    for i in 0..SINGLES as u64 {
        let t = Instant::now();
        db.insert(i.to_be_bytes(), value.as_slice()).unwrap();
        db.flush().unwrap();
        if durable {
            sync_log_file(dir.path());
        }
        samples.push(t.elapsed());
    }
    (per_second(SINGLES as u64, start.elapsed()), median(samples))
}

/// Raw sled: apply_batch of 1,000 300-byte values + flush.
fn raw_batched() -> f64 {
    const BATCHES: u64 = 30;
    let (_dir, db) = raw_sled();
    let value = vec![7u8; RAW_VALUE_BYTES];
    let start = Instant::now();
    for b in 0..BATCHES {
        let mut batch = sled::Batch::default();
        for i in 0..1_000u64 {
            batch.insert(&(b * 1_000 + i).to_be_bytes()[..], value.as_slice());
        }
        db.apply_batch(batch).unwrap();
        db.flush().unwrap();
    }
    per_second(BATCHES * 1_000, start.elapsed())
}

/// Raw sled writing exactly the keys the store writes for groups of `callers` one-event
/// batches, with none of the store's work around them: one four-tree transaction per group
/// (the events in chunks of 32, one tag key per event, one command-id key per batch, the
/// head), then `flush` and an fdatasync of `db`, one group at a time. `stored_bytes` is the size
/// of one stored event. The floor the layout puts under group commit: events/s.
fn raw_store_keys(callers: u64, stored_bytes: usize) -> f64 {
    use sled::Transactional;
    let (dir, db) = raw_sled();
    let tree = |name: &str| db.open_tree(name).unwrap();
    let (events, tags, commands, meta) =
        (tree("events"), tree("tags"), tree("commands"), tree("meta"));
    let record = vec![7u8; 4 + 32 + 32 + stored_bytes];
    let start = Instant::now();
    for g in 0..GROUPED_EVENTS / callers {
        let first = g * callers + 1;
        let chunks: Vec<(u64, Vec<u8>)> = (0..callers)
            .step_by(32)
            .map(|c| (first + c, record.repeat(32.min(callers - c) as usize)))
            .collect();
        (&events, &tags, &commands, &meta)
            .transaction(|(events, tags, commands, meta)| {
                for (position, chunk) in &chunks {
                    events.insert(&position.to_be_bytes()[..], chunk.as_slice())?;
                }
                for c in 0..callers {
                    let position = first + c;
                    let mut tag = [0u8; 24];
                    tag[..16].copy_from_slice(Uuid::from_u128(u128::from(position)).as_bytes());
                    tag[16..].copy_from_slice(&position.to_be_bytes());
                    tags.insert(&tag[..], &[][..])?;
                    commands.insert(format!("g{g}-{c}").as_bytes(), &[0u8; 16][..])?;
                }
                meta.insert(&b"head"[..], &[0u8; 40][..])?;
                Ok::<(), sled::transaction::ConflictableTransactionError<()>>(())
            })
            .unwrap();
        db.flush().unwrap();
        sync_log_file(dir.path());
    }
    per_second(GROUPED_EVENTS / callers * callers, start.elapsed())
}

/// The size of one of the benchmark's events as stored.
async fn stored_event_bytes() -> usize {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    store.append(batch("size", 1), 0).await.unwrap();
    let page = store.read(1, 1).await.unwrap();
    page[0].stored_bytes().len()
}

/// One appender, batches of `size` events: events/s, and the median latency per append.
async fn appends(size: u64) -> (f64, Duration) {
    let appends = (2_000 / size).clamp(20, SINGLES as u64);
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let batches: Vec<NewBatch> = (0..appends)
        .map(|a| batch(&format!("b{a}"), size))
        .collect();
    let mut samples = Vec::new();
    let start = Instant::now();
    for (a, batch) in batches.into_iter().enumerate() {
        let t = Instant::now();
        store.append(batch, a as u64 * size).await.unwrap();
        samples.push(t.elapsed());
    }
    (per_second(appends * size, start.elapsed()), median(samples))
}

/// `writers` concurrent appenders of one-event batches, retrying on conflicts: events/s and
/// appends per flush.
async fn concurrent(writers: u64) -> (f64, f64) {
    const APPENDS: u64 = 3_072;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SledStore::open(dir.path()).unwrap());
    let per_writer = APPENDS / writers;
    let start = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let store = Arc::clone(&store);
            let batches: Vec<NewBatch> = (0..per_writer)
                .map(|i| batch(&format!("w{w}-{i}"), 1))
                .collect();
            tokio::spawn(async move {
                for batch in batches {
                    let mut expected = store.head().await.unwrap().position;
                    while let Err(e) = store.append(batch.clone(), expected).await {
                        let AppendError::Conflict { actual, .. } = e else {
                            panic!("{e}")
                        };
                        expected = actual;
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let total = per_writer * writers;
    (
        per_second(total, start.elapsed()),
        total as f64 / store.flushes().max(1) as f64,
    )
}

/// One-event batches per timed grouped run: 480 groups of 64 (a shorter run mostly measures
/// the first flushes and sled's warm-up).
const GROUPED_EVENTS: u64 = 30_720;

/// The engine's way of grouping callers: one writer hands `callers` one-event batches to a
/// single group (one transaction, one flush) and waits until it is durable before the next:
/// events/s.
async fn grouped(callers: u64) -> f64 {
    let (store, groups, _dir) = grouped_setup(callers);
    let start = Instant::now();
    for (g, group) in groups.into_iter().enumerate() {
        store.append_group(group, g as u64 * callers).await.unwrap();
    }
    per_second(GROUPED_EVENTS / callers * callers, start.elapsed())
}

/// As the engine's writer runs: the next group is committed while the flush of the ones
/// before it runs, with at most `in_flight` groups committed and not yet durable; every
/// group is awaited until durable before the clock stops: events/s.
async fn grouped_staged(callers: u64, in_flight: usize) -> f64 {
    let (store, groups, _dir) = grouped_setup(callers);
    let mut pending = std::collections::VecDeque::with_capacity(in_flight);
    let start = Instant::now();
    for (g, group) in groups.into_iter().enumerate() {
        if pending.len() == in_flight {
            let oldest: sijill_store::StagedGroup = pending.pop_front().unwrap();
            oldest.durable.await.unwrap();
        }
        let staged = store
            .append_group_staged(group, g as u64 * callers)
            .await
            .unwrap();
        pending.push_back(staged);
    }
    for staged in pending {
        staged.durable.await.unwrap();
    }
    per_second(GROUPED_EVENTS / callers * callers, start.elapsed())
}

fn grouped_setup(callers: u64) -> (SledStore, Vec<Vec<NewBatch>>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let groups: Vec<Vec<NewBatch>> = (0..GROUPED_EVENTS / callers)
        .map(|g| {
            (0..callers)
                .map(|c| batch(&format!("g{g}-{c}"), 1))
                .collect()
        })
        .collect();
    (store, groups, dir)
}

/// Reads the whole log in pages and decodes every event: events/s without decoding, with
/// decoding after each read, and with `read_decoded` (the next page read while one is
/// decoded).
async fn read_decode() -> (f64, f64, f64) {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    for b in 0..READ_EVENTS / 1_000 {
        store
            .append(batch(&format!("r{b}"), 1_000), b * 1_000)
            .await
            .unwrap();
    }
    let read_only = timed_read(&store, false).await;
    let with_decode = timed_read(&store, true).await;
    let overlapped = timed_read_decoded(&store).await;
    (read_only, with_decode, overlapped)
}

async fn timed_read_decoded(store: &SledStore) -> f64 {
    let start = Instant::now();
    let mut decoded = 0u64;
    read_decoded(store, 1, READ_EVENTS, READ_PAGE, |_, _| decoded += 1)
        .await
        .unwrap();
    assert_eq!(decoded, READ_EVENTS);
    per_second(READ_EVENTS, start.elapsed())
}

async fn timed_read(store: &SledStore, decode: bool) -> f64 {
    let start = Instant::now();
    let mut next = 1;
    let mut decoded = 0u64;
    while next <= READ_EVENTS {
        let page = store.read(next, READ_PAGE).await.unwrap();
        next += page.len() as u64;
        if decode {
            for event in &page {
                codec::decode(event).unwrap();
                decoded += 1;
            }
        }
    }
    assert!(!decode || decoded == READ_EVENTS);
    per_second(READ_EVENTS, start.elapsed())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` lists benchmarks; there is nothing to list.
    }
    let only = std::env::var("SIJILL_BENCH_ONLY").unwrap_or_default();
    let runs = |phase: &str| only.is_empty() || only == phase;
    println!("| measurement | result |");
    println!("| --- | --- |");
    if only.is_empty() {
        let (raw_single_rate, raw_single_median) = raw_single(false);
        let (raw_durable_rate, raw_durable_median) = raw_single(true);
        let raw_batched_rate = raw_batched();
        println!("| raw sled insert+flush, one at a time | {raw_single_rate:.0} values/s, median {raw_single_median:?} |");
        println!("| raw sled insert+flush+fdatasync, one at a time | {raw_durable_rate:.0} values/s, median {raw_durable_median:?} |");
        println!("| raw sled apply_batch(1,000 x 300 B)+flush | {raw_batched_rate:.0} values/s |");
    }
    for size in [1, 10, 100, 1_000].into_iter().filter(|_| runs("single")) {
        let (rate, latency) = appends(size).await;
        println!("| durable append, 1 appender, batch of {size} | {rate:.0} events/s (median append {latency:?}) |");
    }
    for writers in [1, 16, 64].into_iter().filter(|_| runs("concurrent")) {
        let (rate, per_flush) = concurrent(writers).await;
        println!("| durable append, {writers} concurrent appenders, batch of 1 | {rate:.0} events/s ({per_flush:.1} appends per flush) |");
    }
    if runs("grouped") {
        let stored_bytes = stored_event_bytes().await;
        for callers in [16, 64] {
            let rate = raw_store_keys(callers, stored_bytes);
            println!("| raw sled: the store's keys for groups of {callers} one-event batches ({stored_bytes} B events; 4-tree transaction + flush + fdatasync), one group at a time | {rate:.0} events/s |");
        }
    }
    for callers in [16, 64].into_iter().filter(|_| runs("grouped")) {
        let rate = grouped(callers).await;
        println!("| durable append_group of {callers} one-event batches, one group at a time | {rate:.0} events/s |");
    }
    for callers in [16, 64].into_iter().filter(|_| runs("grouped")) {
        let rate = grouped_staged(callers, GROUPS_IN_FLIGHT).await;
        println!("| durable append_group_staged of {callers} one-event batches, up to {GROUPS_IN_FLIGHT} groups in flight (the engine's group commit) | {rate:.0} events/s |");
    }
    if !runs("read") {
        return;
    }
    let (read_only, with_decode, overlapped) = read_decode().await;
    println!("| read {READ_EVENTS} events in pages of {READ_PAGE} | {read_only:.0} events/s |");
    println!(
        "| read + decode to domain events, one page after the other | {with_decode:.0} events/s |"
    );
    println!("| read + decode with `read_decoded` (next page read while one is decoded) | {overlapped:.0} events/s |");
}
