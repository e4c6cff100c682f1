//! The states "as recorded at position P", replayed on demand and kept in a small LRU.
//!
//! A replay can start from any cached state at or before P (the fold only goes forward),
//! so stepping through the past position by position costs one replay, not one per step.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use sijill_domain::Registry;
use sijill_store::EventStore;

use crate::engine::Snapshot;
use crate::error::EngineError;
use crate::replay::catch_up;

pub(crate) struct RecordedCache {
    /// Most recently used first.
    slots: Mutex<VecDeque<Snapshot>>,
    capacity: usize,
}

impl RecordedCache {
    pub fn new(capacity: usize) -> RecordedCache {
        RecordedCache {
            slots: Mutex::new(VecDeque::with_capacity(capacity)),
            capacity,
        }
    }

    pub async fn get_or_replay(
        &self,
        store: &Arc<dyn EventStore>,
        position: u64,
    ) -> Result<Snapshot, EngineError> {
        let base = match self.lookup(position) {
            Ok(exact) => return Ok(exact),
            Err(base) => base,
        };
        let mut registry = base.map_or_else(Registry::new, |s| (*s.registry).clone());
        catch_up(store, &mut registry, Some(position), None).await?;
        let snapshot = Snapshot::of(registry);
        self.insert(snapshot.clone());
        Ok(snapshot)
    }

    /// The cached state at `position`, or else the latest cached state before it.
    fn lookup(&self, position: u64) -> Result<Snapshot, Option<Snapshot>> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(index) = slots.iter().position(|s| s.position == position) {
            let hit = slots.remove(index).expect("index found above");
            slots.push_front(hit.clone());
            return Ok(hit);
        }
        Err(slots
            .iter()
            .filter(|s| s.position < position)
            .max_by_key(|s| s.position)
            .cloned())
    }

    fn insert(&self, snapshot: Snapshot) {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if slots.iter().any(|s| s.position == snapshot.position) {
            return;
        }
        slots.push_front(snapshot);
        slots.truncate(self.capacity);
    }
}
