//! Entities' Popolo ids by UUID, for an export's cross-references.
//!
//! A membership names its person, organization, post, area and event; an event its
//! organization and attendees. Each name is a handle reached through the registry's
//! persistent maps: a walk of several dependent cache misses per reference once the registry
//! outgrows the caches. For a large export, one flat table of every handle by id, built once,
//! answers each reference with a single probe; for a small one (a body's subtree), building
//! that table would cost more than it saves, so the registry answers directly.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use sijill_domain::{EntityId, Registry};
use uuid::Uuid;

use crate::ids::of_handle;

/// Records an export must write before a flat table pays for itself: building it visits every
/// area, person, body, post and assembly of the registry once (about 40 ms at 380,000).
pub(crate) const FLAT_TABLE_RECORDS_MIN: usize = 20_000;

pub(crate) enum Handles<'r> {
    Flat(HashMap<u128, &'r str, BuildHasherDefault<IdHasher>>),
    Registry(&'r Registry),
}

impl<'r> Handles<'r> {
    /// A flat table when the export writes at least [`FLAT_TABLE_RECORDS_MIN`] records.
    pub fn for_export(registry: &'r Registry, records: usize) -> Handles<'r> {
        if records < FLAT_TABLE_RECORDS_MIN {
            return Handles::Registry(registry);
        }
        let [areas, people, bodies, posts, assemblies, _] = registry.counts();
        let mut table = HashMap::with_capacity_and_hasher(
            areas + people + bodies + posts + assemblies,
            BuildHasherDefault::default(),
        );
        let mut add = |id: Uuid, handle| {
            table.insert(id.as_u128(), of_handle(handle));
        };
        registry
            .areas()
            .for_each(|e| add(e.id.as_uuid(), &e.handle));
        registry
            .people()
            .for_each(|e| add(e.id.as_uuid(), &e.handle));
        registry
            .bodies()
            .for_each(|e| add(e.id.as_uuid(), &e.handle));
        registry
            .posts()
            .for_each(|e| add(e.id.as_uuid(), &e.handle));
        registry
            .assemblies()
            .for_each(|e| add(e.id.as_uuid(), &e.handle));
        Handles::Flat(table)
    }

    /// The Popolo id of an area, person, body, post or assembly.
    pub fn get(&self, id: impl Into<EntityId>) -> Option<&'r str> {
        let id = id.into();
        match self {
            Handles::Flat(table) => table.get(&id.as_uuid().as_u128()).copied(),
            Handles::Registry(registry) => registry.handle_of(id).map(of_handle),
        }
    }
}

/// Asks the processor to start loading the memory `value` starts in, without waiting for
/// it: an export touching records scattered over hundreds of megabytes asks for the next
/// records' memory before it writes them, so the misses overlap instead of queueing.
pub(crate) fn prefetch<T: ?Sized>(value: &T) {
    prefetch_address((value as *const T).cast());
}

/// Asks for every cache line of `value`.
pub(crate) fn prefetch_whole<T>(value: &T) {
    const LINE_BYTES: usize = 64;
    let start = (value as *const T).cast::<u8>();
    for offset in (0..std::mem::size_of::<T>()).step_by(LINE_BYTES) {
        prefetch_address(start.wrapping_add(offset));
    }
}

fn prefetch_address(address: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint that never faults and changes nothing the program sees,
    // so any address is sound; SSE, which has it, is part of the x86-64 baseline.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>(address.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = address;
}

/// Hashes a UUID's two halves with a multiply-rotate step and a final fold, so both the
/// low bits (the bucket) and the high bits (the table's tag) vary. Ids are minted by the
/// registry, not chosen by an attacker, and the table lives for one export.
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(26) ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn write_u128(&mut self, n: u128) {
        self.write_u64(n as u64);
        self.write_u64((n >> 64) as u64);
    }

    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flat_table_and_the_registry_give_the_same_handles() {
        use sijill_domain::{Command, Context, PersonId, SequentialIds};
        let commands: Vec<Command> = serde_json::from_str(
            r#"[
              {"command": "register_area", "handle": "@khemisset", "name": "Khemisset", "kind": "province"},
              {"command": "register_person", "handle": "@achraf", "name": "Achraf"},
              {"command": "found_body", "handle": "@coordination", "name": "Coordination", "kind": "provincial-coordination", "area": "@khemisset"},
              {"command": "convene_assembly", "handle": "@founding", "body": "@coordination", "kind": "founding_general_assembly", "held_on": "2016-12-11"}
            ]"#,
        )
        .expect("valid commands");
        let mut ids = SequentialIds::new();
        let mut context = Context::new(chrono::Utc::now(), &mut ids);
        let (_, registry) =
            sijill_domain::decide_batch(&Registry::new(), &commands, &mut context).expect("valid");
        let flat = Handles::for_export(&registry, FLAT_TABLE_RECORDS_MIN);
        let direct = Handles::for_export(&registry, 0);
        assert!(matches!(flat, Handles::Flat(_)) && matches!(direct, Handles::Registry(_)));
        let area = registry.areas().next().expect("an area").id;
        let person = registry.people().next().expect("a person").id;
        let body = registry.bodies().next().expect("a body").id;
        let assembly = registry.assemblies().next().expect("an assembly").id;
        for handles in [&flat, &direct] {
            assert_eq!(handles.get(area), Some("khemisset"));
            assert_eq!(handles.get(person), Some("achraf"));
            assert_eq!(handles.get(body), Some("coordination"));
            assert_eq!(handles.get(assembly), Some("founding"));
            // A person's id is not a body's: the kinds are checked by the types, and an
            // unknown id has no handle.
            assert_eq!(handles.get(PersonId::from_uuid(Uuid::nil())), None);
        }
    }
}
