//! Appends batches to a sled data folder until it is killed, printing each acknowledged
//! batch as `<first> <last> <command id>` on its own line, flushed, only after the append
//! returned. The crash test kills it with SIGKILL and checks every printed batch survived.
//!
//! Usage: `crash_writer <data folder> <seed>`. Several writers run concurrently (retrying on
//! conflicts), so kills also land while group commit has several transactions in flight. One
//! more writer appends as the engine does, with `append_group_staged`: it commits a group while
//! the previous one is still being made durable, and acknowledges each only once its
//! durability future resolved, so kills also land between commit and durability.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use sijill_store::{
    AppendError, Appended, CommandId, EventStore, NewBatch, NewEvent, SledStore, StagedGroup,
};
use uuid::Uuid;

/// Concurrent writers in the process.
const WRITERS: u64 = 3;
/// Staged groups one writer keeps committed but not yet known durable, at most.
const STAGED_IN_FLIGHT: usize = 2;
/// Largest batch written, in events.
const BATCH_EVENTS_MAX: u64 = 8;

/// A small deterministic generator (xorshift64*): enough to vary batch sizes and tags.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn batch(rng: &mut Rng, command_id: String) -> NewBatch {
    let events = 1 + rng.next() % BATCH_EVENTS_MAX;
    let tag = Uuid::from_u128(u128::from(rng.next() % 16));
    NewBatch {
        command_id: CommandId::new(command_id).expect("valid command id"),
        actor: "crash-writer".into(),
        source: None,
        recorded_at: Utc::now(),
        events: (0..events)
            .map(|i| NewEvent {
                event_id: Uuid::now_v7(),
                event_type: "body_founded".into(),
                version: 1,
                payload: format!(r#"{{"index":{i},"filler":"{}"}}"#, "x".repeat(200)).into_bytes(),
                tags: vec![tag],
            })
            .collect(),
    }
}

async fn write_forever(
    store: Arc<SledStore>,
    out: Arc<Mutex<std::io::Stdout>>,
    seed: u64,
    writer: u64,
) {
    let mut rng = Rng(seed.wrapping_mul(31).wrapping_add(writer) | 1);
    for n in 0u64.. {
        let batch = batch(&mut rng, format!("s{seed}-w{writer}-{n}"));
        let mut expected = store.head().await.expect("head").position;
        let appended = loop {
            match store.append(batch.clone(), expected).await {
                Ok(appended) => break appended,
                Err(AppendError::Conflict { actual, .. }) => expected = actual,
                Err(e) => panic!("append failed: {e}"),
            }
        };
        acknowledge(&out, &[appended]);
    }
}

/// Prints acknowledged batches, one line each, flushed.
fn acknowledge(out: &Mutex<std::io::Stdout>, appended: &[Appended]) {
    let mut out = out.lock().expect("stdout lock");
    for a in appended {
        writeln!(out, "{} {} {}", a.first, a.last, a.command_id).expect("stdout");
    }
    out.flush().expect("stdout");
}

/// Appends groups of one to three batches with `append_group_staged`, each on the head the
/// previous one left, keeping up to `STAGED_IN_FLIGHT` committed before the oldest is durable.
async fn write_staged_forever(store: Arc<SledStore>, out: Arc<Mutex<std::io::Stdout>>, seed: u64) {
    let mut rng = Rng(seed.wrapping_mul(37) | 1);
    let mut in_flight: VecDeque<StagedGroup> = VecDeque::new();
    let mut expected = store.head().await.expect("head").position;
    for n in 0u64.. {
        let group: Vec<NewBatch> = (0..1 + rng.next() % 3)
            .map(|b| batch(&mut rng, format!("s{seed}-staged-{n}-{b}")))
            .collect();
        let staged = loop {
            match store.append_group_staged(group.clone(), expected).await {
                Ok(staged) => break staged,
                Err(AppendError::Conflict { actual, .. }) => expected = actual,
                Err(e) => panic!("staged append failed: {e}"),
            }
        };
        expected = staged
            .results
            .iter()
            .map(|a| a.last)
            .max()
            .unwrap_or(expected);
        in_flight.push_back(staged);
        if in_flight.len() >= STAGED_IN_FLIGHT {
            let oldest = in_flight.pop_front().expect("a group in flight");
            oldest.durable.await.expect("made durable");
            acknowledge(&out, &oldest.results);
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let folder = args
        .next()
        .expect("usage: crash_writer <data folder> <seed>");
    let seed: u64 = args
        .next()
        .and_then(|s| s.parse().ok())
        .expect("usage: crash_writer <data folder> <seed>");
    let store =
        Arc::new(SledStore::open(&folder).unwrap_or_else(|e| panic!("opening {folder}: {e}")));
    let out = Arc::new(Mutex::new(std::io::stdout()));
    let mut writers: Vec<_> = (0..WRITERS)
        .map(|w| tokio::spawn(write_forever(Arc::clone(&store), Arc::clone(&out), seed, w)))
        .collect();
    writers.push(tokio::spawn(write_staged_forever(
        Arc::clone(&store),
        Arc::clone(&out),
        seed,
    )));
    for writer in writers {
        writer.await.expect("writer task");
    }
}
