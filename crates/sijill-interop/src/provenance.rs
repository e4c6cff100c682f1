//! Who recorded each entity, when, and from which sources: what the exports say about
//! provenance (Popolo `sources`, PROV in the ORG export).
//!
//! The registry state does not keep envelopes (actor, `recorded_at`, source live in the log),
//! so provenance is gathered from the stored events, once, into a compact index: actors and
//! sources are interned (a registry has few of each), so the index costs a few dozen bytes
//! per entity.
//!
//! Rules: an entity's *creation* is the first live event that concerns it (nothing can refer
//! to an entity before it exists); its *sources* are those of the live events whose subject
//! (first tag) it is, in log order, without repeats, at most [`SOURCES_PER_ENTITY_MAX`].
//! Retracted events and retractions are skipped: they no longer shape the state.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sijill_domain::Registry;
use sijill_store::{EventStore, StoreError, StoredEvent};
use uuid::Uuid;

/// Most sources listed for one entity; later ones are dropped (the log keeps them all).
pub const SOURCES_PER_ENTITY_MAX: usize = 16;

/// Events read per page while gathering provenance from a store.
const READ_PAGE_EVENTS: usize = 5_000;

/// Provenance of every entity of a registry; see the module docs.
#[derive(Clone, Debug, Default)]
pub struct Provenance {
    entities: HashMap<Uuid, Entry>,
    actors: Interner,
    sources: Interner,
}

#[derive(Clone, Debug)]
struct Entry {
    position: u64,
    actor: u32,
    recorded_at: DateTime<Utc>,
    sources: Vec<u32>,
}

/// Who recorded an entity's creation, and when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recorded<'a> {
    pub actor: &'a str,
    pub recorded_at: DateTime<Utc>,
    pub position: u64,
}

/// One event's envelope, as far as provenance needs it.
#[derive(Clone, Copy, Debug)]
pub struct Envelope<'a> {
    pub position: u64,
    /// The ids the event concerns, its subject first.
    pub tags: &'a [Uuid],
    pub actor: &'a str,
    pub recorded_at: DateTime<Utc>,
    pub source: Option<&'a str>,
}

impl<'a> From<&'a StoredEvent> for Envelope<'a> {
    fn from(event: &'a StoredEvent) -> Envelope<'a> {
        Envelope {
            position: event.position(),
            tags: event.tags(),
            actor: event.actor(),
            recorded_at: event.recorded_at(),
            source: event.source(),
        }
    }
}

impl Provenance {
    pub fn new() -> Provenance {
        Provenance::default()
    }

    /// Reads the store's log up to the registry's position and indexes it, skipping what the
    /// registry says was retracted.
    pub async fn from_store(
        store: &dyn EventStore,
        registry: &Registry,
    ) -> Result<Provenance, StoreError> {
        let mut provenance = Provenance::new();
        let mut from = 1;
        while from <= registry.position() {
            let page = store.read(from, READ_PAGE_EVENTS).await?;
            let Some(last) = page.last().map(StoredEvent::position) else {
                break;
            };
            for event in page
                .iter()
                .take_while(|e| e.position() <= registry.position())
            {
                if is_live(registry, event.position()) {
                    provenance.record(Envelope::from(event));
                }
            }
            from = last + 1;
        }
        Ok(provenance)
    }

    /// Indexes one live event. Call in log order.
    pub fn record(&mut self, event: Envelope<'_>) {
        let actor = self.actors.intern(event.actor);
        let source = event.source.map(|s| self.sources.intern(s));
        for (i, tag) in event.tags.iter().enumerate() {
            let entry = self.entities.entry(*tag).or_insert_with(|| Entry {
                position: event.position,
                actor,
                recorded_at: event.recorded_at,
                sources: Vec::new(),
            });
            let is_subject = i == 0;
            if let (true, Some(source)) = (is_subject, source) {
                if !entry.sources.contains(&source) && entry.sources.len() < SOURCES_PER_ENTITY_MAX
                {
                    entry.sources.push(source);
                }
            }
        }
    }

    /// Who recorded the entity's creation, and when.
    pub fn created(&self, id: Uuid) -> Option<Recorded<'_>> {
        self.entities.get(&id).map(|e| Recorded {
            actor: self.actors.get(e.actor),
            recorded_at: e.recorded_at,
            position: e.position,
        })
    }

    /// The entity's sources, in the order they were first cited.
    pub fn sources(&self, id: Uuid) -> impl Iterator<Item = &str> + '_ {
        let ids = self.entities.get(&id).map_or(&[][..], |e| &e.sources[..]);
        ids.iter().map(|s| self.sources.get(*s))
    }
}

/// Whether the event at `position` still shapes the state.
fn is_live(registry: &Registry, position: u64) -> bool {
    registry.retracted_by(position).is_none()
        && registry.type_at(position) != Some("event_retracted")
}

/// Strings stored once, named by index.
#[derive(Clone, Debug, Default)]
struct Interner {
    index: HashMap<Box<str>, u32>,
    strings: Vec<Box<str>>,
}

impl Interner {
    fn intern(&mut self, text: &str) -> u32 {
        if let Some(id) = self.index.get(text) {
            return *id;
        }
        let id =
            u32::try_from(self.strings.len()).expect("fewer than 2^32 distinct actors or sources");
        self.strings.push(text.into());
        self.index.insert(text.into(), id);
        id
    }

    fn get(&self, id: u32) -> &str {
        &self.strings[id as usize]
    }
}
