//! The domain's figures on the full synthetic registry (see `docs/performance.md`):
//!
//! - `decide_apply/*`: every batch decided and applied, from an empty registry; throughput in
//!   events. `per_batch_snapshot` goes through `decide_batch` (a cheap clone of the state per
//!   batch, as the engine does); `in_place` decides and applies on one state; `lookups_floor`
//!   only finds each entity every event concerns, the floor of this state's layout
//!   (`lookups_floor_by_handle`: each found through its handle first, as commands name them;
//!   `lookups_floor_flat`: the same by handle in a flat hash map and a dense array).
//! - `roster/*`: a body's roster as of a date.
//! - `search/*`: a name search over every indexed name (100,000 people, the bodies, posts
//!   and areas).
//!
//! Run one group at a time with a filter: `cargo bench -p sijill-synth --bench domain -- roster`.

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::OnceLock;
use std::time::Duration;

use chrono::NaiveDate;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sijill_domain::query::AsOf;
use sijill_domain::{BodyId, Command, EntityId, Handle, Registry};
use sijill_synth::{decide_all, decide_in_place, generate, Decided, Scale};

const SEED: u64 = 2016;

// The allocator the `sijill` binary uses, so that the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Fixture {
    batches: Vec<Vec<Command>>,
    decided: Decided,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let batches: Vec<Vec<Command>> = generate(Scale::full(), SEED).collect();
        let decided = decide_all(&batches).unwrap_or_else(|error| panic!("{error}"));
        Fixture { batches, decided }
    })
}

fn decide_apply(c: &mut Criterion) {
    let fixture = fixture();
    let mut group = c.benchmark_group("decide_apply");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(30));
    group.throughput(Throughput::Elements(fixture.decided.event_count() as u64));
    group.bench_function("per_batch_snapshot", |b| {
        b.iter(|| black_box(decide_all(&fixture.batches).map(|d| d.event_count())))
    });
    group.bench_function("in_place", |b| {
        b.iter(|| black_box(decide_in_place(&fixture.batches).position()))
    });
    // A floor under both: only finding, once per event, each entity the event concerns (in
    // log order, in the full registry), with no deciding, writing, allocating or history.
    // Whatever the rules cost, a state laid out as this one cannot decide+apply faster.
    let concerned: Vec<EntityId> = fixture
        .decided
        .events()
        .flat_map(|event| event.concerns())
        .collect();
    let registry = &fixture.decided.registry;
    group.bench_function("lookups_floor", |b| {
        b.iter(|| concerned.iter().filter(|id| registry.exists(**id)).count())
    });
    // The same, each entity first found by its handle, as commands name them (mandates
    // without a handle are named by UUID, found directly).
    let named: Vec<(Option<Handle>, EntityId)> = concerned
        .iter()
        .map(|id| (registry.handle_of(*id).cloned(), *id))
        .collect();
    println!(
        "lookups floors: {} events concern {} entities, {} of them named by a handle",
        fixture.decided.event_count(),
        named.len(),
        named.iter().filter(|(handle, _)| handle.is_some()).count()
    );
    group.bench_function("lookups_floor_by_handle", |b| {
        b.iter(|| {
            named
                .iter()
                .filter_map(|(handle, id)| match handle {
                    Some(handle) => registry.by_handle(handle),
                    None => Some(*id),
                })
                .filter(|id| registry.exists(*id))
                .count()
        })
    });
    // The same lookups in the flattest layout a registry could have: handles resolved by one
    // std `HashMap` to a dense number, each entity one 64-byte record in one array. What a
    // redesigned state would start from, since commands still name entities by handle.
    let mut numbers: HashMap<Handle, u32> = HashMap::new();
    let flat_named: Vec<Handle> = named
        .iter()
        .filter_map(|(handle, _)| handle.clone())
        .collect();
    for handle in &flat_named {
        let next = numbers.len() as u32;
        numbers.entry(handle.clone()).or_insert(next);
    }
    let arena: Vec<[u64; 8]> = (0..numbers.len() as u64).map(|n| [n; 8]).collect();
    group.bench_function("lookups_floor_flat", |b| {
        b.iter(|| {
            flat_named
                .iter()
                .filter_map(|handle| numbers.get(handle))
                .map(|number| arena[*number as usize][0])
                .sum::<u64>()
        })
    });
    group.finish();
}

/// Bodies of one kind, in handle order (deterministic), at most `count`.
fn bodies_of_kind(registry: &Registry, kind: &str, count: usize) -> Vec<BodyId> {
    let mut bodies: Vec<_> = registry
        .bodies()
        .filter(|b| b.kind.as_str() == kind)
        .map(|b| (b.handle.clone(), b.id))
        .collect();
    bodies.sort();
    bodies.into_iter().take(count).map(|(_, id)| id).collect()
}

fn roster(c: &mut Criterion) {
    let registry = &fixture().decided.registry;
    let as_of = AsOf::day(NaiveDate::from_ymd_opt(2016, 6, 1).unwrap_or_default());
    let mut group = c.benchmark_group("roster");
    for kind in [
        "commune-council",
        "provincial-coordination",
        "central-committee",
    ] {
        let bodies = bodies_of_kind(registry, kind, 200);
        let entries: usize = bodies
            .iter()
            .map(|b| registry.roster(*b, &as_of).len())
            .sum();
        eprintln!(
            "roster/{kind}: {} bodies, {:.1} entries on average",
            bodies.len(),
            entries as f64 / bodies.len().max(1) as f64
        );
        let mut next = 0;
        group.bench_function(kind, |b| {
            b.iter(|| {
                next = (next + 1) % bodies.len();
                black_box(registry.roster(bodies[next], &as_of))
            })
        });
    }
    group.finish();
}

/// Queries as people type them, from the registry's own people: a full Latin name, the
/// Arabic name in the other word order, a family name with a given-name prefix.
fn queries(registry: &Registry) -> Vec<String> {
    let mut people: Vec<_> = registry
        .people()
        .map(|p| (p.handle.clone(), p.name.clone()))
        .collect();
    people.sort_by(|a, b| a.0.cmp(&b.0));
    let mut queries = Vec::new();
    for (index, (_, names)) in people.iter().step_by(people.len() / 100).enumerate() {
        let latin = names
            .others()
            .first()
            .map_or(names.text(), |n| n.text())
            .to_lowercase();
        let arabic: Vec<&str> = names.text().split(' ').collect();
        let query = match index % 3 {
            0 => latin,
            1 => arabic.iter().rev().copied().collect::<Vec<_>>().join(" "),
            _ => {
                let words: Vec<&str> = latin.split(' ').collect();
                let given: String = words[0].chars().take(3).collect();
                format!("{} {given}", words[1..].join(" "))
            }
        };
        queries.push(query);
    }
    queries
}

fn search(c: &mut Criterion) {
    let registry = &fixture().decided.registry;
    let queries = queries(registry);
    let hits: usize = queries.iter().map(|q| registry.search(q, 20).len()).sum();
    eprintln!(
        "search: {} queries, {:.1} hits on average (limit 20); e.g. {:?}",
        queries.len(),
        hits as f64 / queries.len() as f64,
        &queries[..3]
    );
    let mut group = c.benchmark_group("search");
    let mut next = 0;
    group.bench_function("names", |b| {
        b.iter(|| {
            next = (next + 1) % queries.len();
            black_box(registry.search(&queries[next], 20))
        })
    });
    // The most common given name alone: thousands of matches to rank.
    for query in ["mohamed", "محمد"] {
        group.bench_function(
            format!(
                "common_given_name_{}",
                if query.is_ascii() { "latin" } else { "arabic" }
            ),
            |b| b.iter(|| black_box(registry.search(query, 20))),
        );
    }
    group.finish();
}

criterion_group!(benches, roster, search, decide_apply);
criterion_main!(benches);
