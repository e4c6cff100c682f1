//! Engine benchmark on the synthetic national registry stored in sled (durable):
//! cold start (open + replay of the whole log, and open from a checkpoint), throughput with 1, 16 and 64 concurrent submitters, and the
//! latency of a single submitter. Prints a Markdown table for `docs/performance.md`.
//!
//! `cargo bench -p sijill-engine` runs it at the full scale (about a million events).
//! `SIJILL_BENCH_SCALE=small|medium|full` picks another scale; `SIJILL_BENCH_SECONDS` sets
//! how long each throughput run lasts (default 5). The log is built once and kept in
//! `$CARGO_TARGET_TMPDIR/engine-bench-<scale>`, never written to again: the write runs use
//! a copy, so every run starts from the same log. Each durable throughput row runs twice:
//! first on its own copy of the log (the registry the targets name), then all rows again one
//! after another in one engine, each on the registry the rows before it left.
//! `SIJILL_BENCH_ONLY=cold|write|memory|breakdown|checkpoint` runs one phase, and
//! `SIJILL_BENCH_ROW=64x10` one durable throughput row of the write phase. One run at a time:
//! a second one started while another is going stops at once, naming the lock it found.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sijill_domain::command::RegisterPerson;
use sijill_domain::{decide_batch, Context, Registry, SequentialIds};
use sijill_domain::{Command, Names};
use sijill_engine::{CheckpointOptions, Engine, EngineOptions, Submission};
use sijill_store::codec::new_event;
use sijill_store::{CommandId, EventStore, NewBatch, SledStore};
use sijill_synth::{first_recorded_at, generate, DecidedBatch, Scale};
use uuid::Uuid;

const SEED: u64 = 2016;
/// Events per `append_group` while loading the log (the store's group limit).
const LOAD_GROUP_EVENTS: usize = sijill_store::limits::GROUP_EVENTS_MAX;
const COLD_STARTS: usize = 3;
const EVENT_TAGS_MAX: usize = sijill_store::limits::EVENT_TAGS_MAX;
const LATENCY_SUBMISSIONS: usize = 2_000;

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

// The allocator the `sijill` binary uses, so that the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> BenchResult<()> {
    // `cargo bench` passes `--bench`; `cargo test --benches` too: only run when benchmarking.
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    // As the `sijill` binary does, so that the figures are the binary's.
    sijill_engine::disable_transparent_huge_pages()?;
    let (scale_name, scale) = scale_from_env()?;
    let seconds = std::env::var("SIJILL_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(scale_name, scale, Duration::from_secs(seconds)))
}

async fn run(scale_name: &str, scale: Scale, duration: Duration) -> BenchResult<()> {
    let folder =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("engine-bench-{scale_name}"));
    let _only_run = lock_bench_folders(&folder)?;
    let events = prepare_log(&folder, scale).await?;
    println!(
        "log: {events} events at scale `{scale_name}` in {}",
        folder.display()
    );

    // For profiling one phase (see the module's comment).
    let only = std::env::var("SIJILL_BENCH_ONLY").unwrap_or_default();
    if only == "breakdown" {
        return breakdown(&folder).await;
    }
    if only == "checkpoint" {
        return checkpoint_breakdown(&folder.with_extension("checkpoints"));
    }
    if only == "memory" {
        return memory_baseline(duration).await;
    }
    if only != "write" {
        cold_starts(&folder, events).await?;
    }
    if only != "cold" {
        // Each row on the registry the targets name: its own copy of the benchmark's log.
        for row in WRITE_ROWS.into_iter().filter(|row| chosen_row(*row)) {
            let (copy, checkpoints) = fresh_copy(&folder)?;
            let store: Arc<dyn EventStore> = Arc::new(SledStore::open(&copy)?);
            let engine = Engine::open(store, as_a_server(&checkpoints)).await?;
            write_row(
                &engine,
                row,
                duration,
                &format!("from the {events}-event log"),
            )
            .await?;
            engine.shutdown().await;
            std::fs::remove_dir_all(&copy)?;
            std::fs::remove_dir_all(&checkpoints)?;
        }
        // Then every row again one after another in one engine, on a registry that grows by
        // what each row wrote (the way earlier runs measured all of them).
        let (copy, checkpoints) = fresh_copy(&folder)?;
        writes(&copy, &checkpoints, duration).await?;
        std::fs::remove_dir_all(&copy)?;
        std::fs::remove_dir_all(&checkpoints)?;
    }
    Ok(())
}

/// The durable throughput rows: (submitters, events per submission).
const WRITE_ROWS: [(usize, usize); 6] = [(1, 1), (16, 1), (64, 1), (1, 10), (16, 10), (64, 10)];

/// A copy of the benchmark's log to write to, and of the checkpoint the cold starts left, so
/// that every run starts from the same state.
fn fresh_copy(folder: &Path) -> BenchResult<(PathBuf, PathBuf)> {
    let copy = folder.with_extension("writes");
    copy_folder(folder, &copy)?;
    let checkpoints = copy.with_extension("writes-checkpoints");
    let _ = std::fs::remove_dir_all(&checkpoints);
    let cold = folder.with_extension("checkpoints");
    if cold.exists() {
        copy_folder(&cold, &checkpoints)?;
    }
    Ok((copy, checkpoints))
}

/// As a server runs: with checkpoints on, starting from the one the cold starts left (so no
/// save is due at once), saving again in the background when one falls due.
fn as_a_server(checkpoints: &Path) -> EngineOptions {
    EngineOptions {
        checkpoints: Some(CheckpointOptions::in_folder(checkpoints)),
        ..EngineOptions::default()
    }
}

/// Measures one durable throughput row and prints it.
async fn write_row(
    engine: &Engine,
    (submitters, size): (usize, usize),
    duration: Duration,
    starting: &str,
) -> BenchResult<()> {
    let (commands, elapsed) = throughput(engine, submitters, size, duration).await?;
    let rate = commands as f64 / elapsed.as_secs_f64();
    let target = if submitters == 64 {
        ">= 50,000 events/s"
    } else {
        ""
    };
    println!(
        "| {submitters} submitter(s), {size} command(s) = {size} event(s) per submission, durable, {starting} | {rate:.0} events/s ({:.0} submissions/s) | {target} |",
        rate / size as f64
    );
    Ok(())
}

async fn cold_starts(folder: &Path, events: u64) -> BenchResult<()> {
    let started = Instant::now();
    let full = cold_start(folder, None).await?;
    println!(
        "| cold start, no checkpoint: open + replay of {events} events | {:.2} s | |",
        secs(full)
    );
    // A server that stopped cleanly left a checkpoint at its last position (the first open
    // with checkpoints on replays everything, then saves one; shutdown waits for the save).
    let checkpoints = folder.with_extension("checkpoints");
    let _ = std::fs::remove_dir_all(&checkpoints);
    let saving = Instant::now();
    cold_start(folder, Some(&checkpoints)).await?;
    eprintln!(
        "first open with checkpoints on, and its checkpoint saved: {:.2} s ({:.2} s since the start)",
        secs(saving.elapsed()),
        secs(started.elapsed())
    );
    let size: u64 = std::fs::read_dir(&checkpoints)?
        .map(|e| e.and_then(|e| e.metadata()).map(|m| m.len()))
        .sum::<Result<u64, _>>()?;
    let mut starts = Vec::new();
    for _ in 0..COLD_STARTS {
        starts.push(cold_start(folder, Some(&checkpoints)).await?);
    }
    starts.sort();
    println!(
        "| cold start from a checkpoint at the head ({:.0} MiB): open + load, median of {COLD_STARTS} | {:.2} s | < 1.5 s |",
        size as f64 / (1024.0 * 1024.0),
        secs(starts[COLD_STARTS / 2])
    );
    // The longest tail a running server leaves: it saves once the log grew by an eighth.
    let behind = folder.with_extension("checkpoints-behind");
    let _ = std::fs::remove_dir_all(&behind);
    let position = events - events / sijill_engine::CHECKPOINT_GROWTH_DIVISOR;
    {
        let store: Arc<dyn EventStore> = Arc::new(SledStore::open(folder)?);
        let engine = Engine::open(Arc::clone(&store), EngineOptions::default()).await?;
        let past = engine.as_recorded_at(position).await?;
        let hash = store.read(position, 1).await?[0].hash();
        sijill_engine::save_checkpoint(&behind, &past.registry, hash)?;
        engine.shutdown().await;
    }
    let mut starts = Vec::new();
    for _ in 0..COLD_STARTS {
        starts.push(cold_start(folder, Some(&behind)).await?);
        // Each start saves a new checkpoint at the head (the tail is due): keep the old one.
        for entry in std::fs::read_dir(&behind)? {
            let path = entry?.path();
            if !path.to_string_lossy().contains(&format!("{position:020}")) {
                std::fs::remove_file(path)?;
            }
        }
    }
    starts.sort();
    println!(
        "| cold start from a checkpoint {} events behind the head: open + load + replay of the tail, median of {COLD_STARTS} | {:.2} s | < 1.5 s |",
        events - position,
        secs(starts[COLD_STARTS / 2])
    );
    std::fs::remove_dir_all(&behind)?;
    Ok(())
}

async fn writes(folder: &Path, checkpoints: &Path, duration: Duration) -> BenchResult<()> {
    let store: Arc<dyn EventStore> = Arc::new(SledStore::open(folder)?);
    let engine = Engine::open(store, as_a_server(checkpoints)).await?;
    for row in WRITE_ROWS.into_iter().filter(|row| chosen_row(*row)) {
        write_row(&engine, row, duration, "after the rows above").await?;
    }
    let latencies = latency(&engine).await?;
    println!(
        "| single submitter latency, median / p99 of {LATENCY_SUBMISSIONS} | {:.3} ms / {:.3} ms | median < 1 ms |",
        millis(latencies[latencies.len() / 2]),
        millis(latencies[latencies.len() * 99 / 100])
    );
    engine.shutdown().await;
    memory_baseline(duration).await
}

/// For profiling one throughput row: `SIJILL_BENCH_ROW=64x10` (submitters x events per
/// submission) runs only that one among the durable rows.
fn chosen_row((submitters, size): (usize, usize)) -> bool {
    match std::env::var("SIJILL_BENCH_ROW") {
        Ok(row) => row == format!("{submitters}x{size}"),
        Err(_) => true,
    }
}

/// The same runs without a disk: the engine and the domain alone, on a memory store.
async fn memory_baseline(duration: Duration) -> BenchResult<()> {
    let store: Arc<dyn EventStore> = Arc::new(sijill_store::MemoryStore::new());
    let engine = Engine::open(store, EngineOptions::default()).await?;
    for (submitters, size) in [(1, 1), (64, 1), (64, 10)] {
        let (commands, elapsed) = throughput(&engine, submitters, size, duration).await?;
        let rate = commands as f64 / elapsed.as_secs_f64();
        println!("| memory store (no disk), {submitters} submitter(s), {size} event(s) per submission | {rate:.0} events/s | |");
    }
    let latencies = latency(&engine).await?;
    println!(
        "| memory store (no disk), single submitter latency, median / p99 | {:.3} ms / {:.3} ms | |",
        millis(latencies[latencies.len() / 2]),
        millis(latencies[latencies.len() * 99 / 100])
    );
    engine.shutdown().await;
    Ok(())
}

fn scale_from_env() -> BenchResult<(&'static str, Scale)> {
    match std::env::var("SIJILL_BENCH_SCALE").as_deref() {
        Ok("small") => Ok(("small", Scale::small())),
        Ok("medium") => Ok(("medium", Scale::medium())),
        Ok("full") | Err(_) => Ok(("full", Scale::full())),
        Ok(other) => {
            Err(format!("SIJILL_BENCH_SCALE must be small, medium or full, not {other}").into())
        }
    }
}

fn copy_folder(from: &Path, to: &Path) -> BenchResult<()> {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_folder(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// Holds an exclusive lock beside the benchmark's folders for as long as the returned file
/// lives. Two runs at once would replace each other's copies of the log under a running store
/// (the copies have fixed paths), and their figures would measure each other anyway.
fn lock_bench_folders(folder: &Path) -> BenchResult<std::fs::File> {
    use std::os::fd::AsRawFd;

    let path = folder.with_extension("lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)?;
    // `flock` rather than `File::try_lock`, which is newer than the workspace's Rust version.
    // SAFETY: the descriptor is open for the whole call (`file` owns it).
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
        return Ok(file);
    }
    let error = std::io::Error::last_os_error();
    if error.kind() != std::io::ErrorKind::WouldBlock {
        return Err(error.into());
    }
    Err(format!(
        "another engine benchmark holds {}: run one at a time (its rows write to copies of \
         the log at fixed paths), or wait for it to finish",
        path.display()
    )
    .into())
}

/// Builds the synthetic log in `folder` unless a previous run built it. Returns its length.
async fn prepare_log(folder: &Path, scale: Scale) -> BenchResult<u64> {
    let marker = folder.with_extension("events");
    if let Ok(text) = std::fs::read_to_string(&marker) {
        let expected: u64 = text.trim().parse()?;
        let store = SledStore::open(folder)?;
        let head = store.head().await?.position;
        if head == expected {
            return Ok(expected);
        }
        eprintln!("the benchmark log has {head} events, not {expected}: rebuilding it");
    }
    let _ = std::fs::remove_dir_all(folder);
    let started = Instant::now();
    let batches = decide_skipping_refusals(scale);
    let count: usize = batches.iter().map(|b| b.events.len()).sum();
    eprintln!("decided {count} events in {:.1} s", secs(started.elapsed()));
    let store = SledStore::open(folder)?;
    let mut group = Vec::new();
    let mut group_events = 0;
    for (index, batch) in batches.iter().enumerate() {
        if group_events + batch.events.len() > LOAD_GROUP_EVENTS {
            let head = store.head().await?.position;
            store.append_group(std::mem::take(&mut group), head).await?;
            group_events = 0;
        }
        group_events += batch.events.len();
        group.push(NewBatch {
            command_id: CommandId::new(format!("synth-{index}"))?,
            actor: "synth".to_owned(),
            source: None,
            recorded_at: batch.recorded_at,
            events: batch
                .events
                .iter()
                .map(|e| new_event(e, Uuid::now_v7()))
                .collect(),
        });
    }
    let head = store.head().await?.position;
    store.append_group(group, head).await?;
    let events = store.head().await?.position;
    std::fs::write(&marker, events.to_string())?;
    eprintln!("stored {events} events in {:.1} s", secs(started.elapsed()));
    Ok(events)
}

/// Decides the generator's batches like `sijill_synth::decide_all`, but skips (and counts)
/// a batch the domain refuses instead of stopping: the benchmark needs a large log, and the
/// generator may lag behind a rule change.
fn decide_skipping_refusals(scale: Scale) -> Vec<DecidedBatch> {
    let mut registry = Registry::new();
    let mut ids = SequentialIds::new();
    let mut decided = Vec::new();
    let (mut refused, mut unstorable) = (0, 0);
    for (index, commands) in generate(scale, SEED).enumerate() {
        let recorded_at = first_recorded_at() + chrono::Duration::seconds(index as i64);
        let mut context = Context::new(recorded_at, &mut ids);
        match decide_batch(&registry, &commands, &mut context) {
            Ok((events, _)) if events.iter().any(|e| e.concerns().len() > EVENT_TAGS_MAX) => {
                unstorable += 1
            }
            Ok((events, next)) => {
                registry = next;
                decided.push(DecidedBatch {
                    recorded_at,
                    events,
                });
            }
            Err(_) => refused += 1,
        }
    }
    if refused + unstorable > 0 {
        eprintln!(
            "skipped {refused} batches the domain refused and {unstorable} with an event over \
             EVENT_TAGS_MAX tags (the generator and the limits are out of step)"
        );
    }
    decided
}

async fn cold_start(folder: &Path, checkpoints: Option<&Path>) -> BenchResult<Duration> {
    let started = Instant::now();
    let store: Arc<dyn EventStore> = Arc::new(SledStore::open(folder)?);
    let opened = started.elapsed();
    let options = EngineOptions {
        checkpoints: checkpoints.map(CheckpointOptions::in_folder),
        ..EngineOptions::default()
    };
    let engine = Engine::open(store, options).await?;
    let elapsed = started.elapsed();
    eprintln!(
        "cold start: store open {:.2} s, checkpoint + replay {:.2} s, position {}",
        secs(opened),
        secs(elapsed - opened),
        engine.snapshot().position
    );
    engine.shutdown().await;
    Ok(elapsed)
}

/// Where loading a checkpoint's time goes: reading the file, its checksum, decoding.
fn checkpoint_breakdown(checkpoints: &Path) -> BenchResult<()> {
    let file = std::fs::read_dir(checkpoints)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .max()
        .ok_or("no checkpoint: run the cold starts first")?;
    for _ in 0..3 {
        let started = Instant::now();
        let bytes = std::fs::read(&file)?;
        let read = started.elapsed();
        // The header: magic (18), position (8), event hash (32), length (8), checksum (32).
        let payload = &bytes[98..];
        let hashed = blake3::hash(payload);
        let checked = started.elapsed();
        let registry = sijill_domain::snapshot::read_snapshot(payload)?;
        let decoded = started.elapsed();
        drop(registry);
        eprintln!(
            "checkpoint {}: read {:.3} s, checksum {:.3} s, decode {:.3} s (hash {})",
            file.display(),
            secs(read),
            secs(checked - read),
            secs(decoded - checked),
            &hashed.to_hex()[..8]
        );
    }
    Ok(())
}

/// Where a replay's time goes: reading pages, then reading and decoding, then reading,
/// decoding and applying, one after the other on one task.
async fn breakdown(folder: &Path) -> BenchResult<()> {
    let store = SledStore::open(folder)?;
    let head = store.head().await?.position;
    for phase in ["read", "read+decode", "read+decode+apply"] {
        let started = Instant::now();
        let mut registry = Registry::new();
        let mut next = 1;
        while next <= head {
            let page = store
                .read(next, sijill_store::limits::PAGE_EVENTS_MAX)
                .await?;
            next += page.len() as u64;
            if phase == "read" {
                continue;
            }
            for stored in &page {
                let event = sijill_store::codec::decode(stored)?;
                if phase == "read+decode+apply" {
                    sijill_domain::apply(&mut registry, &event);
                }
            }
        }
        println!(
            "{phase}: {:.2} s for {head} events",
            secs(started.elapsed())
        );
    }
    Ok(())
}

/// Runs `submitters` tasks, each submitting batches of `size` commands back to back for
/// `duration`. Returns the commands (= events) acknowledged and the time taken.
async fn throughput(
    engine: &Engine,
    submitters: usize,
    size: usize,
    duration: Duration,
) -> BenchResult<(u64, Duration)> {
    let run = Uuid::now_v7().simple().to_string();
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..submitters)
        .map(|task| {
            let (engine, stop, done, run) = (
                engine.clone(),
                Arc::clone(&stop),
                Arc::clone(&done),
                run.clone(),
            );
            tokio::spawn(async move {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    engine.submit(people(&run, task, n, size)?).await?;
                    done.fetch_add(size as u64, Ordering::Relaxed);
                    n += 1;
                }
                Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
            })
        })
        .collect();
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await?.map_err(|e| e.to_string())?;
    }
    Ok((done.load(Ordering::Relaxed), started.elapsed()))
}

async fn latency(engine: &Engine) -> BenchResult<Vec<Duration>> {
    let run = Uuid::now_v7().simple().to_string();
    let mut latencies = Vec::with_capacity(LATENCY_SUBMISSIONS);
    for n in 0..LATENCY_SUBMISSIONS {
        let submission = people(&run, 0, n as u64, 1).map_err(|e| e.to_string())?;
        let started = Instant::now();
        engine.submit(submission).await?;
        latencies.push(started.elapsed());
    }
    latencies.sort();
    Ok(latencies)
}

/// A submission registering `size` new people, with a fresh command id.
fn people(
    run: &str,
    task: usize,
    n: u64,
    size: usize,
) -> Result<Submission, Box<dyn std::error::Error + Send + Sync>> {
    // Built as types, not parsed from JSON: the figure is the engine's, not a client's parser.
    let name = Names::tagged("Bench Person", None)?;
    let mut commands = Vec::with_capacity(size);
    for i in 0..size {
        let handle = format!("@bench-{}-{task}-{n}-{i}", &run[run.len() - 12..]);
        commands.push(Command::RegisterPerson(RegisterPerson {
            handle: handle.parse()?,
            name: name.clone(),
            gender: None,
        }));
    }
    Ok(Submission {
        commands,
        command_id: Some(CommandId::new(format!("bench-{run}-{task}-{n}"))?),
        actor: "bench".to_owned(),
        source: None,
    })
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}
