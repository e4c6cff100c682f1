//! Throughput of the PostgreSQL backend beside raw PostgreSQL baselines measured in the same
//! run. Prints one line per figure; `docs/performance.md` (PostgreSQL) records them.
//!
//! `cargo bench -p sijill-store-postgres` against the server in `SIJILL_TEST_POSTGRES`
//! (default `postgres://root@127.0.0.1:5432/postgres`), in a fresh database dropped at the
//! end. `SIJILL_BENCH_READ_EVENTS` changes the size of the cold-start read (default 1 000 000).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use sijill_store::limits::PAGE_EVENTS_MAX;
use sijill_store::{CommandId, EventStore, NewBatch, NewEvent};
use sijill_store_postgres::{PostgresConfig, PostgresStore};
use tokio_postgres::{Client, NoTls};
use uuid::Uuid;

const ADMIN_URL_DEFAULT: &str = "postgres://root@127.0.0.1:5432/postgres";
const RAW_COMMITS_PER_CLIENT: usize = 1_000;
const RAW_MULTI_ROW_EVENTS: usize = 100_000;
const APPENDS_PER_SUBMITTER_1: usize = 1_000;
const APPENDS_TOTAL_MANY: usize = 64_000;
const READ_EVENTS_DEFAULT: usize = 1_000_000;
/// Events per batch while loading the log for the cold-start read.
const LOAD_BATCH_EVENTS: usize = 1_000;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run());
}

async fn run() {
    let db = BenchDb::create().await;
    let payload = payload();
    let sample = sample_stored_len(&payload);
    println!("postgres: {}", server_version(&db.client().await).await);
    println!(
        "event: payload {} bytes, stored {} bytes; synchronous_commit = on",
        payload.len(),
        sample
    );
    println!("load average at start: {}", load_average());
    raw_single_row_commits(&db, 1, &payload).await;
    raw_single_row_commits(&db, 8, &payload).await;
    raw_multi_row_insert(&db, &payload).await;
    for (submitters, batch_events) in [(1, 1), (16, 1), (64, 1), (64, 10)] {
        group_commit(&db, submitters, batch_events, &payload).await;
    }
    let read_events = std::env::var("SIJILL_BENCH_READ_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(READ_EVENTS_DEFAULT);
    cold_start_read(&db, read_events, &payload).await;
    println!("load average at end: {}", load_average());
}

/// The machine is shared: the load average says how much of it the run had.
fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// CPU time this process has used (user + system), from /proc/self/stat in clock ticks.
fn cpu_time() -> Duration {
    const TICKS_PER_SECOND: u64 = 100;
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    // After the name come state, ppid, ...; utime and stime are the 12th and 13th (proc(5)).
    let field = |n: usize| {
        after_name
            .split_whitespace()
            .nth(n)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let ticks = field(11) + field(12);
    Duration::from_millis(ticks * 1_000 / TICKS_PER_SECOND)
}

/// A payload the size of a typical event (a mandate with names in two scripts).
fn payload() -> Vec<u8> {
    br#"{"mandate":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","person":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a60","post":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a61","from":"2016-12-10","basis":{"kind":"elected","vote":"unanimous"},"assembly":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a62"}"#.to_vec()
}

fn sample_stored_len(payload: &[u8]) -> usize {
    let batch = new_batch("sample-command-000000", 1, payload);
    sijill_store::StoredEvent::seal(1, [0; 32], &batch, &batch.events[0])
        .stored_bytes()
        .len()
}

fn new_batch(command_id: &str, events: usize, payload: &[u8]) -> NewBatch {
    NewBatch {
        command_id: CommandId::new(command_id).unwrap(),
        actor: "registrar@khemisset".into(),
        source: Some("Al Massae, 12 December 2016".into()),
        recorded_at: Utc.with_ymd_and_hms(2016, 12, 12, 9, 30, 0).unwrap(),
        events: (0..events)
            .map(|_| NewEvent {
                event_id: Uuid::now_v7(),
                event_type: "mandate_started".into(),
                version: 1,
                payload: payload.to_vec(),
                tags: vec![Uuid::from_u128(0x42), Uuid::from_u128(0x43)],
            })
            .collect(),
    }
}

fn report(name: &str, events: usize, elapsed: Duration) {
    let rate = events as f64 / elapsed.as_secs_f64();
    println!(
        "{name}: {rate:.0} events/s ({events} events in {:.2} s)",
        elapsed.as_secs_f64()
    );
}

async fn server_version(client: &Client) -> String {
    client
        .query_one("SHOW server_version", &[])
        .await
        .unwrap()
        .get(0)
}

const RAW_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS bench_raw (id bigint PRIMARY KEY, stored bytea NOT NULL)";

/// Baseline: one row per autocommitted INSERT, from `clients` connections at once.
async fn raw_single_row_commits(db: &BenchDb, clients: usize, payload: &[u8]) {
    db.client()
        .await
        .batch_execute(&format!("DROP TABLE IF EXISTS bench_raw; {RAW_TABLE}"))
        .await
        .unwrap();
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let (url, payload) = (db.url(), payload.to_vec());
            tokio::spawn(async move {
                let client = connect(&url).await;
                client
                    .batch_execute("SET synchronous_commit = on")
                    .await
                    .unwrap();
                let insert = client
                    .prepare("INSERT INTO bench_raw (id, stored) VALUES ($1, $2)")
                    .await
                    .unwrap();
                for i in 0..RAW_COMMITS_PER_CLIENT {
                    let id = (c * RAW_COMMITS_PER_CLIENT + i) as i64;
                    client.execute(&insert, &[&id, &payload]).await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    report(
        &format!("raw: single-row INSERT commits, {clients} client(s)"),
        clients * RAW_COMMITS_PER_CLIENT,
        started.elapsed(),
    );
}

/// Baseline: 100 000 events' rows (the columns the store writes) in one INSERT, one commit.
async fn raw_multi_row_insert(db: &BenchDb, payload: &[u8]) {
    let client = db.client().await;
    client
        .batch_execute(
            "DROP TABLE IF EXISTS bench_events; CREATE TABLE bench_events (position bigint PRIMARY KEY,
             event_id uuid NOT NULL, recorded_at timestamptz NOT NULL, event_type text NOT NULL,
             prev_hash bytea NOT NULL, hash bytea NOT NULL, stored bytea NOT NULL)",
        )
        .await
        .unwrap();
    let batch = new_batch("raw", 1, payload);
    let stored = sijill_store::StoredEvent::seal(1, [0; 32], &batch, &batch.events[0]);
    let n = RAW_MULTI_ROW_EVENTS;
    let positions: Vec<i64> = (1..=n as i64).collect();
    let ids: Vec<Uuid> = (0..n).map(|_| Uuid::now_v7()).collect();
    let times = vec![stored.recorded_at(); n];
    let types = vec!["mandate_started"; n];
    let hash = stored.hash();
    let hashes = vec![&hash[..]; n];
    let bytes = vec![stored.stored_bytes(); n];
    let started = Instant::now();
    client
        .execute(
            "INSERT INTO bench_events SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::timestamptz[], $4::text[], $5::bytea[], $6::bytea[], $7::bytea[])",
            &[&positions, &ids, &times, &types, &hashes, &hashes, &bytes],
        )
        .await
        .unwrap();
    report(
        "raw: one multi-row INSERT (unnest), one commit",
        n,
        started.elapsed(),
    );
}

/// Durable appends through the store's group commit. Submitters act
/// as the engine's single writer would: each append expects the head the previous queued
/// one leaves, so none conflicts and the writer commits whatever is queued together.
async fn group_commit(db: &BenchDb, submitters: usize, batch_events: usize, payload: &[u8]) {
    let registry = format!("group-{submitters}-{batch_events}");
    let store = Arc::new(db.open(&registry).await);
    let appends = if submitters == 1 {
        APPENDS_PER_SUBMITTER_1
    } else {
        APPENDS_TOTAL_MANY / batch_events
    };
    let per_submitter = appends / submitters;
    let reserved = Arc::new(Mutex::new(0u64));
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(appends)));
    let started = Instant::now();
    let tasks: Vec<_> = (0..submitters)
        .map(|s| {
            let (store, reserved, latencies, payload) = (
                Arc::clone(&store),
                Arc::clone(&reserved),
                Arc::clone(&latencies),
                payload.to_vec(),
            );
            tokio::spawn(async move {
                for i in 0..per_submitter {
                    let batch = new_batch(&format!("s{s}-{i}"), batch_events, &payload);
                    let sent = Instant::now();
                    let pending = {
                        let mut head = reserved.lock().unwrap();
                        let pending = store.queue_group(vec![batch], *head);
                        *head += batch_events as u64;
                        pending
                    };
                    pending.await.unwrap();
                    latencies.lock().unwrap().push(sent.elapsed());
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let elapsed = started.elapsed();
    let events = per_submitter * submitters * batch_events;
    assert_eq!(store.head().await.unwrap().position, events as u64);
    let mut latencies = latencies.lock().unwrap().clone();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e3;
    report(
        &format!("store: durable appends, {submitters} submitter(s), {batch_events}-event batches"),
        events,
        elapsed,
    );
    println!("  latency p50 {:.2} ms, p99 {:.2} ms", at(0.5), at(0.99));
}

/// Loads `events` events, then opens a new store (new pool, new connections) and reads the
/// whole log page by page: every row fetched and parsed back into a `StoredEvent`, and every
/// payload parsed as JSON, as replaying the log into the registry does before applying it.
/// Read once right after the load (PostgreSQL then sets every row's hint bits, writing each
/// page once more), and once after `VACUUM`, as autovacuum leaves a table that was written
/// some time before a server starts.
async fn cold_start_read(db: &BenchDb, events: usize, payload: &[u8]) {
    let loader = db.open("replay").await;
    let started = Instant::now();
    let mut head = 0;
    while (head as usize) < events {
        let mut room = events - head as usize;
        let batches: Vec<NewBatch> = (0..16)
            .map_while(|b| {
                let size = LOAD_BATCH_EVENTS.min(room);
                room -= size;
                (size > 0).then(|| new_batch(&format!("load-{head}-{b}"), size, payload))
            })
            .collect();
        head = loader
            .append_group(batches, head)
            .await
            .unwrap()
            .last()
            .unwrap()
            .last;
    }
    report(
        "load: append_group of 16 batches of 1 000 events",
        events,
        started.elapsed(),
    );
    drop(loader);
    read_whole_log(db, events, "right after the load").await;
    db.client()
        .await
        .batch_execute("VACUUM (ANALYZE) sijill_events, sijill_event_tags, sijill_commands")
        .await
        .unwrap();
    read_whole_log(db, events, "after VACUUM").await;
}

/// Reads the log as the engine's replay does: one task reads pages (the store parses each
/// event's envelope) while another takes them (here: parses each payload as JSON).
async fn read_whole_log(db: &BenchDb, events: usize, when: &str) {
    let (started, cpu_started) = (Instant::now(), cpu_time());
    let store = db.open("replay").await;
    let opened = started.elapsed();
    let (pages, mut received) = tokio::sync::mpsc::channel(2);
    let reader = tokio::spawn(async move {
        let mut next = 1;
        loop {
            let page = store.read(next, PAGE_EVENTS_MAX).await.unwrap();
            let Some(last) = page.last() else { break };
            next = last.position() + 1;
            if pages.send(page).await.is_err() {
                break;
            }
        }
    });
    let (mut count, mut bytes) = (0u64, 0usize);
    while let Some(page) = received.recv().await {
        for event in &page {
            let value: serde_json::Value = serde_json::from_slice(event.payload()).unwrap();
            bytes += event.stored_bytes().len() + usize::from(value.is_object());
            count += 1;
            assert_eq!(event.position(), count, "positions are gap-free from 1");
        }
    }
    reader.await.unwrap();
    assert_eq!(count, events as u64);
    report(
        &format!("store: cold-start read + decode of the whole log, {when}"),
        events,
        started.elapsed(),
    );
    println!(
        "  open (pool, schema check, tail verify) {:.0} ms; {:.0} MB of stored bytes; this process used {:.1} s of CPU",
        opened.as_secs_f64() * 1e3,
        bytes as f64 / 1e6,
        (cpu_time() - cpu_started).as_secs_f64()
    );
}

async fn connect(url: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL is not reachable at {url} ({e}); start it (`bash scripts/test` does) or set SIJILL_TEST_POSTGRES"));
    tokio::spawn(connection);
    client
}

/// A fresh database for the run, dropped at the end.
struct BenchDb {
    admin: String,
    name: String,
    url: String,
}

impl BenchDb {
    async fn create() -> BenchDb {
        let admin =
            std::env::var("SIJILL_TEST_POSTGRES").unwrap_or_else(|_| ADMIN_URL_DEFAULT.to_string());
        let name = format!("sijill_bench_{:016x}", rand::random::<u64>());
        connect(&admin)
            .await
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        let (base, _) = admin
            .rsplit_once('/')
            .expect("SIJILL_TEST_POSTGRES is a postgres:// URL");
        let url = format!("{base}/{name}");
        BenchDb { admin, name, url }
    }

    fn url(&self) -> String {
        self.url.clone()
    }

    async fn client(&self) -> Client {
        connect(&self.url).await
    }

    async fn open(&self, registry: &str) -> PostgresStore {
        PostgresStore::open_with(PostgresConfig::new(self.url()), registry)
            .await
            .unwrap()
    }
}

impl Drop for BenchDb {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                connect(&admin)
                    .await
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                    .unwrap();
            });
        })
        .join()
        .unwrap();
    }
}
