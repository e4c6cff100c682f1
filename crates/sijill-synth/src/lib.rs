//! A synthetic national registry, for benchmarks and load tests: the same data every time for
//! the same scale and seed.
//!
//! [`generate`] yields command batches (each one atomic: one region's areas, one member
//! roll, one assembly's outcome) built only from the domain's public [`Command`] type, so
//! everything downstream (decide, the stores, the engine, the server) can be fed the same
//! registry. [`decide_all`] decides and applies every batch into a [`Registry`] and keeps the
//! events, for benchmarks that need a log.
//!
//! At [`Scale::full`] the registry is Morocco-sized: the 12 regions and 75 provinces and
//! prefectures by their real names, about 1,500 communes, 8 fictional parties with their
//! national bodies, regional branches, provincial secretariats, provincial coordinations and
//! local sections, commune councils, chambers and parliament (about 10,000 bodies), 100,000
//! people with Arabic names and their Latin transliterations (with the spelling variants real
//! records have), and 20 years of elections, congresses, sessions, resignations, deaths,
//! dissolutions, renamings and corrections: about 200,000 mandates and a million events.
//!
//! Architecture invariant: the generator emits only commands the domain accepts; it keeps
//! its own model of who holds what (see `world.rs`) in step with the commands, and the tests
//! decide the small scale from scratch without a single refusal.

mod geo;
mod history;
mod people;
mod rng;
mod world;

use chrono::{DateTime, TimeZone, Utc};
use sijill_domain::{decide_batch, BatchError, Command, Context, Event, Registry, SequentialIds};

/// How big a registry to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scale {
    /// Regions, from Morocco's 12 (a partial country starts with Rabat-Salé-Kénitra, the
    /// seed's region, and Khemisset province).
    pub regions: usize,
    /// Provinces and prefectures, taken from the chosen regions' (at most 75).
    pub provinces: usize,
    /// Communes, spread over the provinces.
    pub communes: usize,
    /// Parties (at most 8).
    pub parties: usize,
    /// People.
    pub people: usize,
    /// The first simulated year; the registry starts with the holders elected before it.
    pub first_year: i32,
    /// Simulated years.
    pub years: u32,
}

impl Scale {
    /// Morocco-sized: about a million events.
    pub const fn full() -> Scale {
        Scale {
            regions: 12,
            provinces: 75,
            communes: 1_500,
            parties: 8,
            people: 100_000,
            first_year: 2005,
            years: 20,
        }
    }

    /// A tenth of the people and communes, over the same 20 years.
    pub const fn medium() -> Scale {
        Scale {
            regions: 12,
            provinces: 75,
            communes: 150,
            parties: 4,
            people: 10_000,
            first_year: 2005,
            years: 20,
        }
    }

    /// Small enough to decide in a debug-build test, big enough to exercise every command.
    pub const fn small() -> Scale {
        Scale {
            regions: 2,
            provinces: 5,
            communes: 20,
            parties: 2,
            people: 1_500,
            first_year: 2013,
            years: 10,
        }
    }
}

/// The command batches of a synthetic registry, in the order they are to be recorded.
pub fn generate(scale: Scale, seed: u64) -> Generator {
    Generator {
        world: world::World::new(scale, seed),
        next_year: None,
        queue: Vec::new().into_iter(),
    }
}

/// Yields one atomic batch of commands at a time; generates a year's batches at once.
pub struct Generator {
    world: world::World,
    /// `None` before the setting up of the registry.
    next_year: Option<i32>,
    queue: std::vec::IntoIter<Vec<Command>>,
}

impl Iterator for Generator {
    type Item = Vec<Command>;

    fn next(&mut self) -> Option<Vec<Command>> {
        loop {
            if let Some(batch) = self.queue.next() {
                return Some(batch);
            }
            let batches = match self.next_year {
                None => {
                    self.next_year = Some(self.world.first_year());
                    self.world.setup()
                }
                Some(year) if year <= self.world.last_year() => {
                    self.next_year = Some(year + 1);
                    self.world.year(year)
                }
                Some(_) => return None,
            };
            self.queue = batches.into_iter();
        }
    }
}

/// One decided batch: when it was recorded (synthetic, one second apart) and its events.
#[derive(Clone, Debug)]
pub struct DecidedBatch {
    pub recorded_at: DateTime<Utc>,
    pub events: Vec<Event>,
}

/// A registry built from a generator, with its log.
pub struct Decided {
    pub registry: Registry,
    pub batches: Vec<DecidedBatch>,
}

impl Decided {
    /// Every event, in log order.
    pub fn events(&self) -> impl Iterator<Item = &Event> {
        self.batches.iter().flat_map(|batch| &batch.events)
    }

    pub fn event_count(&self) -> usize {
        self.batches.iter().map(|batch| batch.events.len()).sum()
    }
}

/// A generated batch that the domain refused: a bug in the generator (or in the domain).
#[derive(Debug, thiserror::Error)]
#[error("batch {batch} was refused at command {} ({}): {}; the command was {command}", .error.index, .error.command, .error.error)]
pub struct SynthError {
    pub batch: usize,
    pub error: Box<BatchError>,
    pub command: String,
}

/// When the first synthetic batch is recorded; each next batch is one second later.
pub fn first_recorded_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_else(|| unreachable!("a valid instant"))
}

/// Decides and applies every batch, in order, into a new registry, with sequential ids.
pub fn decide_all<B: AsRef<[Command]>>(
    batches: impl IntoIterator<Item = B>,
) -> Result<Decided, SynthError> {
    let mut registry = Registry::new();
    let mut ids = SequentialIds::new();
    let mut decided = Vec::new();
    for (index, commands) in batches.into_iter().enumerate() {
        let commands = commands.as_ref();
        let recorded_at = first_recorded_at() + chrono::Duration::seconds(index as i64);
        let mut context = Context::new(recorded_at, &mut ids);
        let (events, next) =
            decide_batch(&registry, commands, &mut context).map_err(|error| SynthError {
                batch: index,
                command: commands.get(error.index).map_or_else(String::new, |c| {
                    serde_json::to_string(c).unwrap_or_default()
                }),
                error: Box::new(error),
            })?;
        registry = next;
        decided.push(DecidedBatch {
            recorded_at,
            events,
        });
    }
    Ok(Decided {
        registry,
        batches: decided,
    })
}

/// Decides and applies every command on one registry, without the per-batch clone that
/// `decide_batch` makes (so without all-or-nothing batches): the domain's own cost, which the
/// benches time. Panics on a refused command: the generator's commands all decide.
pub fn decide_in_place(batches: &[Vec<Command>]) -> Registry {
    let mut registry = Registry::new();
    let mut ids = SequentialIds::new();
    let mut context = Context::new(first_recorded_at(), &mut ids);
    for command in batches.iter().flatten() {
        let events = sijill_domain::decide(&registry, command, &mut context)
            .unwrap_or_else(|error| panic!("{error}"));
        for event in &events {
            sijill_domain::apply(&mut registry, event);
        }
    }
    registry
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn summary(decided: &Decided) -> String {
        let [areas, people, bodies, posts, assemblies, mandates] = decided.registry.counts();
        let mut by_type: BTreeMap<&str, usize> = BTreeMap::new();
        for event in decided.events() {
            *by_type.entry(event.type_name()).or_default() += 1;
        }
        let by_type: Vec<String> = by_type
            .iter()
            .map(|(name, count)| format!("{name} {count}"))
            .collect();
        format!(
            "{areas} areas, {people} people, {bodies} bodies, {posts} posts, {assemblies} assemblies, {mandates} mandates\n{}",
            by_type.join("\n")
        )
    }

    /// Every kind of change but retractions (which need log positions, known only once
    /// decided) is in the small registry, and the domain accepts all of it.
    #[test]
    fn the_small_registry_decides_without_a_refusal() {
        let decided =
            decide_all(generate(Scale::small(), 7)).unwrap_or_else(|error| panic!("{error}"));
        let expected = "\
27 areas, 1500 people, 94 bodies, 196 posts, 1318 assemblies, 2253 mandates
area_registered 27
assembly_convened 1318
attendance_recorded 159
body_dissolved 3
body_founded 94
body_moved 4
body_renamed 1
constituency_corrected 4
date_corrected 35
mandate_ended 1533
mandate_started 2253
name_corrected 28
person_registered 1500
post_abolished 1
post_established 196
resolution_adopted 1280";
        assert_eq!(summary(&decided), expected);
    }

    #[test]
    fn a_seed_always_gives_the_same_registry() {
        let first: Vec<Vec<Command>> = generate(Scale::small(), 11).collect();
        let again: Vec<Vec<Command>> = generate(Scale::small(), 11).collect();
        let other: Vec<Vec<Command>> = generate(Scale::small(), 12).collect();
        assert!(first == again);
        assert!(first != other);
    }

    #[test]
    fn batches_are_one_region_one_roll_or_one_happening() {
        let batches: Vec<Vec<Command>> = generate(Scale::small(), 7).collect();
        let first_names: Vec<&str> = batches
            .iter()
            .take(4)
            .map(|batch| batch[0].name())
            .collect();
        assert_eq!(
            first_names,
            [
                "register_area",
                "register_area",
                "register_person",
                "register_person"
            ]
        );
        assert!(batches
            .iter()
            .all(|batch| !batch.is_empty() && batch.len() <= sijill_domain::BATCH_COMMANDS_MAX));
        // The Khemisset communes of the seed are among the areas.
        let maaziz = batches.iter().flatten().any(|command| match command {
            Command::RegisterArea(area) => area.name.text() == "المعازيز",
            _ => false,
        });
        assert!(maaziz);
    }
}
