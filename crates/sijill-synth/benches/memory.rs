//! The whole registry state's memory at full scale, measured with a counting allocator: the
//! bytes still allocated once the registry is built and the commands and events are dropped.
//! Also prints what the synthetic registry contains and one timed decide+apply pass.
//!
//! Run: `cargo bench -p sijill-synth --bench memory`

use std::alloc::{GlobalAlloc, Layout};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use sijill_domain::search::NameIndex;
use sijill_domain::{Command, Registry};
use sijill_synth::{decide_all, decide_in_place, generate, Decided, Scale};

struct Counting;

// The allocator the `sijill` binary uses, so that the decide+apply timing is the binary's; the
// counts are of the sizes asked for, the same whatever the allocator.
static INNER: mimalloc::MiMalloc = mimalloc::MiMalloc;

static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);
static PEAK_BYTES: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let live = LIVE_BYTES.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK_BYTES.fetch_max(live, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to mimalloc unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { INNER.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { INNER.alloc_zeroed(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { INNER.dealloc(ptr, layout) };
        LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { INNER.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const SEED: u64 = 2016;
const MIB: f64 = 1024.0 * 1024.0;

fn live_mib() -> f64 {
    LIVE_BYTES.load(Ordering::Relaxed) as f64 / MIB
}

fn rss_mib() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / MIB
}

fn main() {
    let scale = if std::env::var("SIJILL_SYNTH_SCALE").as_deref() == Ok("small") {
        Scale::small()
    } else {
        Scale::full()
    };
    let baseline = live_mib();
    let started = Instant::now();
    let batches: Vec<Vec<Command>> = generate(scale, SEED).collect();
    let generated_in = started.elapsed();
    let commands: usize = batches.iter().map(Vec::len).sum();
    let with_commands = live_mib();
    let started = Instant::now();
    let decided = decide_all(&batches).unwrap_or_else(|error| panic!("{error}"));
    let decided_in = started.elapsed();
    let events = decided.event_count();
    let with_events = live_mib();
    report_contents(&decided);
    let Decided {
        registry,
        batches: log,
    } = decided;
    // The state measured at the end is the replayed one, on its own: the decided one would
    // keep the names it shares with the log alive.
    drop(registry);
    let before_replay = live_mib();
    let replayed = Registry::replay(log.iter().flat_map(|batch| &batch.events));
    let replayed_mib = live_mib() - before_replay;
    let snapshot = measure_snapshot(&replayed);
    drop(log);
    let before_in_place = live_mib();
    let started = Instant::now();
    let in_place = decide_in_place(&batches);
    let in_place_in = started.elapsed();
    let in_place_mib = live_mib() - before_in_place;
    drop(in_place);
    let before_index = live_mib();
    let index = name_index(&batches);
    let index_mib = live_mib() - before_index;
    drop(index);
    drop(batches);
    let state = live_mib() - baseline;
    println!("scale: {scale:?}, seed {SEED}");
    println!(
        "generated {commands} commands in {generated_in:.2?} ({:.1} MiB of commands)",
        with_commands - baseline
    );
    println!(
        "decided+applied {events} events in {decided_in:.2?} (one pass, keeping every event: {:.0} events/s)",
        events as f64 / decided_in.as_secs_f64()
    );
    println!(
        "decide+apply in place (no per-batch snapshot, events dropped): {in_place_in:.2?} ({:.0} events/s)",
        events as f64 / in_place_in.as_secs_f64()
    );
    println!("a NameIndex of the same names on its own: {index_mib:.1} MiB");
    println!("growth while replaying the log: {replayed_mib:.1} MiB; while deciding in place: {in_place_mib:.1} MiB (neither counts the names the state shares with the events or commands still held)");
    println!(
        "live while holding commands, events and registry: {:.1} MiB",
        with_events - baseline
    );
    println!("registry state alone (built by Registry::replay, log and commands dropped): {state:.1} MiB = {:.1} MB live (target < 300 MB); process RSS now {:.1} MiB, peak live {:.1} MiB", state * MIB / 1e6, rss_mib(), PEAK_BYTES.load(Ordering::Relaxed) as f64 / MIB);
    println!("{snapshot}");
    drop(replayed);
}

/// Writes the state as a snapshot and reads it back (median of 3 each): what an engine's
/// cold start from a snapshot costs before the log's tail.
fn measure_snapshot(registry: &Registry) -> String {
    let mut bytes = Vec::new();
    let mut writes = Vec::new();
    for _ in 0..3 {
        bytes.clear();
        let started = Instant::now();
        sijill_domain::snapshot::write_snapshot(registry, &mut bytes).expect("in memory");
        writes.push(started.elapsed());
    }
    let mut reads = Vec::new();
    // SIJILL_SNAPSHOT_READS=n reads it n times (to profile the read alone).
    let rounds = std::env::var("SIJILL_SNAPSHOT_READS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3usize)
        .max(3);
    for _ in 0..rounds {
        let started = Instant::now();
        let loaded = sijill_domain::snapshot::read_snapshot(&bytes).expect("just written");
        reads.push(started.elapsed());
        if reads.len() == 1 {
            assert!(loaded == *registry, "the snapshot gave another state");
        }
    }
    writes.sort();
    reads.sort();
    format!(
        "snapshot of the replayed state: {:.1} MiB, written in {:.2?}, read back in {:.2?} (medians)",
        bytes.len() as f64 / MIB,
        writes[1],
        reads[reads.len() / 2]
    )
}

/// Every name the registry indexes (people, bodies, areas, post titles), in a NameIndex.
fn name_index(batches: &[Vec<Command>]) -> NameIndex<u64> {
    let mut index = NameIndex::new();
    for (id, command) in batches.iter().flatten().enumerate() {
        let names = match command {
            Command::RegisterPerson(c) => &c.name,
            Command::RegisterArea(c) => &c.name,
            Command::FoundBody(c) => &c.name,
            Command::EstablishPost(c) => &c.title,
            _ => continue,
        };
        let texts: Vec<&str> = names.texts().collect();
        index.insert(id as u64, &texts);
    }
    index
}

fn report_contents(decided: &Decided) {
    let [areas, people, bodies, posts, assemblies, mandates] = decided.registry.counts();
    println!("registry: {areas} areas, {people} people, {bodies} bodies, {posts} posts, {assemblies} assemblies, {mandates} mandates");
    let mut by_type: BTreeMap<&str, usize> = BTreeMap::new();
    for event in decided.events() {
        *by_type.entry(event.type_name()).or_default() += 1;
    }
    println!("events by type: {by_type:?}");
    println!("batches: {}", decided.batches.len());
}
