//! Popolo export and import of the synthetic national registry: memberships per second each
//! way, and how much memory each direction adds.
//!
//! ```sh
//! cargo bench -p sijill-interop --bench popolo            # full scale (Morocco-sized)
//! SIJILL_BENCH_SCALE=medium cargo bench -p sijill-interop --bench popolo
//! SIJILL_BENCH_DOCUMENT=/tmp/national.json cargo bench ...   # also keep the document
//! ```
//!
//! The kept document lets two builds of the writer be compared byte for byte (`cmp`).
//!
//! Target (docs/performance.md): at least 200,000 memberships per second each way. Export
//! streams to a sink, so its added memory is the sorted references, not the document; import
//! reads the file from memory (as the CLI does) and holds the typed records and commands.
//! Peak memory is read from `/proc/self/status` (VmHWM), reset between phases through
//! `/proc/self/clear_refs`, so each figure is what that phase added to the registry already
//! built.

use std::io;
use std::time::{Duration, Instant};

use sijill_domain::{Context, Registry, SequentialIds};
use sijill_interop::{plan_popolo_import, write_popolo, ExportOptions, ImportOptions};

/// Runs of each measurement; the fastest is reported (the others absorb cache warm-up and
/// neighbours on the shared cores).
const RUNS: usize = 3;

// The allocator the `sijill` binary uses (its `export` and `import` commands), so that the
// figures, time and memory, are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let (name, scale) = match std::env::var("SIJILL_BENCH_SCALE").as_deref() {
        Ok("small") => ("small", sijill_synth::Scale::small()),
        Ok("medium") => ("medium", sijill_synth::Scale::medium()),
        _ => ("full", sijill_synth::Scale::full()),
    };
    let started = Instant::now();
    let registry = sijill_synth::decide_all(sijill_synth::generate(scale, 7))
        .expect("the generator's batches decide")
        .registry;
    let [areas, people, bodies, posts, assemblies, mandates] = registry.counts();
    println!("synthetic registry ({name}): {areas} areas, {people} people, {bodies} bodies, {posts} posts, {assemblies} assemblies, {mandates} mandates (built in {:.1?})", started.elapsed());
    println!("registry in memory: peak {} MiB", peak_mib());

    // SIJILL_BENCH_ONLY=export (or import) runs one direction, for profiling.
    let only = std::env::var("SIJILL_BENCH_ONLY").unwrap_or_default();
    reset_peak();
    let baseline = rss_mib();
    let export = best(|| {
        write_popolo(&registry, None, &ExportOptions::default(), io::sink())
            .expect("a sink never fails");
    });
    report(
        "export to a sink",
        mandates,
        export,
        peak_mib().saturating_sub(baseline),
    );

    let kept = std::env::var_os("SIJILL_BENCH_DOCUMENT");
    if only == "export" && kept.is_none() {
        return;
    }
    let mut document = Vec::new();
    write_popolo(&registry, None, &ExportOptions::default(), &mut document)
        .expect("a Vec never fails");
    println!("document: {} MiB", document.len() >> 20);
    if let Some(path) = kept {
        std::fs::write(&path, &document).expect("the document can be kept");
        println!("document kept in {}", path.to_string_lossy());
    }
    if only == "export" {
        return;
    }
    if only == "import-plan" {
        let plan = best(|| {
            plan_popolo_import(&document, &ImportOptions::new("national.json"))
                .expect("the export imports");
        });
        return report("import: read, check, plan", mandates, plan, 0);
    }

    reset_peak();
    let baseline = rss_mib();
    let plan = best(|| {
        plan_popolo_import(&document, &ImportOptions::new("national.json"))
            .expect("the export imports");
    });
    report(
        "import: read, check, plan",
        mandates,
        plan,
        peak_mib().saturating_sub(baseline),
    );

    reset_peak();
    let baseline = rss_mib();
    // One run: deciding dominates and does not vary much.
    let full = best_of(1, || {
        let plan = plan_popolo_import(&document, &ImportOptions::new("national.json"))
            .expect("the export imports");
        let mut ids = SequentialIds::new();
        let mut ctx = Context::new(sijill_synth::first_recorded_at(), &mut ids);
        plan.decide(&Registry::new(), &mut ctx)
            .expect("the plan decides");
    });
    report(
        "import: plan + decide into a new registry",
        mandates,
        full,
        peak_mib().saturating_sub(baseline),
    );
}

/// The fastest run: its wall time and the CPU time this thread spent (the machine's cores
/// are shared, so wall time alone measures the neighbours too).
fn best(run: impl FnMut()) -> (Duration, Duration) {
    best_of(RUNS, run)
}

fn best_of(runs: usize, mut run: impl FnMut()) -> (Duration, Duration) {
    (0..runs)
        .map(|_| {
            let (start, cpu) = (Instant::now(), thread_cpu());
            run();
            (start.elapsed(), thread_cpu().saturating_sub(cpu))
        })
        .min_by_key(|(_, cpu)| *cpu)
        .expect("at least one run")
}

fn report(what: &str, memberships: usize, (wall, cpu): (Duration, Duration), added_mib: u64) {
    let per_second = memberships as f64 / cpu.as_secs_f64();
    println!("{what:<43} cpu {cpu:>9.1?} wall {wall:>9.1?} {per_second:>10.0} memberships/s (cpu)  +{added_mib} MiB peak");
}

/// CPU time of the calling thread (`/proc/thread-self/schedstat`, nanoseconds on CPU).
fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let nanos = stat
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    Duration::from_nanos(nanos)
}

/// A field of `/proc/self/status`, in MiB (0 where unavailable).
fn status_mib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0);
    kib >> 10
}

fn peak_mib() -> u64 {
    status_mib("VmHWM:")
}

fn rss_mib() -> u64 {
    status_mib("VmRSS:")
}

/// Resets the peak resident set size to the current one (Linux: `echo 5 > clear_refs`).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}
