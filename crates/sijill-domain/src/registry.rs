//! The registry state: every entity, the indexes that keep rules and queries off full scans,
//! and what each log position did (so a retraction can be undone exactly).
//!
//! Architecture invariant: `Registry` is built only by [`crate::apply`]; nothing outside this
//! crate can mutate it. Cloning is O(1): every collection is a persistent map or vector
//! (`KeyMap`, `imbl`'s ordered map and vector) and entities sit behind `Arc`, so the engine can snapshot per batch and hand
//! readers an immutable copy while the writer moves on.

use std::hash::Hasher;
use std::sync::Arc;

use imbl::{OrdMap, Vector};

use crate::date::EdtfDate;
use crate::ids::{
    AreaId, AssemblyId, BodyId, EntityId, EntityKind, EntityRef, Handle, MandateId, PersonId,
    PostId,
};
use crate::list::IdList;
use crate::names::{Code, Names, Note};
use crate::search::{IndexedNames, TokenIndex};
use crate::values::{
    Appointer, AreaKind, AssemblyKind, Basis, BodyKind, Constituency, DateField, EndReason, Gender,
    Seats, Vote,
};

/// A fast, deterministic hasher for keys the registry mints or validates (UUIDs, handles):
/// FxHash's mixing step with a final avalanche, so low bits are usable by the hash trie.
#[derive(Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
            self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn write_isize(&mut self, n: isize) {
        self.write_u64(n as u64);
    }

    fn finish(&self) -> u64 {
        // murmur3's fmix64
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

pub(crate) use crate::keymap::KeyMap;
use crate::keymap::{HasKey, ValueOnlyEntry};

/// A map of entities by id: each entity holds its own id, so an entry stores the `Arc` alone
/// (see `ValueOnlyEntry`).
pub(crate) type EntityMap<Id, T> = KeyMap<Id, Arc<T>, ValueOnlyEntry<Arc<T>>>;

macro_rules! keyed_by_id {
    ($($entity:ident: $id:ident),*) => {$(
        impl HasKey for $entity {
            type Key = $id;
            fn key(&self) -> &$id {
                &self.id
            }
        }
    )*};
}

keyed_by_id!(
    Area: AreaId,
    Person: PersonId,
    Body: BodyId,
    Post: PostId,
    Assembly: AssemblyId,
    Mandate: MandateId
);

/// Log positions in an entity's history, stored in 32 bits: four bytes a position instead of
/// eight, across millions of them. A log never reaches [`HISTORY_POSITION_MAX`] events (it
/// would take terabytes of store); `apply` asserts it in debug builds.
pub type History = IdList<u32>;

/// The highest log position an entity's [`History`] (or a [`MandateEnd`]) can hold.
pub const HISTORY_POSITION_MAX: u64 = u32::MAX as u64;

/// `position` as a [`History`] stores it.
pub(crate) fn history_position(position: u64) -> u32 {
    debug_assert!(position <= HISTORY_POSITION_MAX, "log position {position}");
    u32::try_from(position).unwrap_or(u32::MAX)
}

/// The position of the event that created an entity: the first of its history (an entity's
/// history starts with its creation and only grows), so it is not stored twice.
fn created_at(history: &History) -> u64 {
    history.first().map_or(0, |p| u64::from(*p))
}

macro_rules! recorded_at {
    ($($entity:ident),*) => {$(
        impl $entity {
            /// The log position of the event that created it.
            pub fn recorded_at(&self) -> u64 {
                created_at(&self.history)
            }
        }
    )*};
}

recorded_at!(Area, Person, Body, Post, Assembly, Mandate);

/// A value that took effect from a date, recorded at a log position. Spans of one entity are
/// kept sorted by `since` (unknown first), ties in log order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dated<T> {
    pub since: Option<EdtfDate>,
    pub value: T,
    pub position: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Area {
    pub id: AreaId,
    pub handle: Handle,
    pub name: Names,
    pub kind: AreaKind,
    pub parent: Option<AreaId>,
    pub code: Option<Code>,
    pub children: IdList<AreaId>,
    /// Positions of the events that concern it (see [`Registry::positions_of`]); the first
    /// is the event that created it (see `recorded_at`).
    pub history: History,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    pub id: PersonId,
    pub handle: Handle,
    pub name: Names,
    pub gender: Option<Gender>,
    /// Every mandate the person holds or held, in log order.
    pub mandates: IdList<MandateId>,
    pub attended: IdList<AssemblyId>,
    /// Positions of the events that concern it (see [`Registry::positions_of`]); the first
    /// is the event that created it (see `recorded_at`).
    pub history: History,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dissolution {
    pub on: EdtfDate,
    pub note: Option<Note>,
    pub position: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Body {
    pub id: BodyId,
    pub handle: Handle,
    pub kind: BodyKind,
    pub area: Option<AreaId>,
    pub founded_on: Option<EdtfDate>,
    pub dissolution: Option<Dissolution>,
    /// Names over time; the founding name's `since` is `founded_on`.
    pub names: Vector<Dated<Names>>,
    /// Parents over time (`None`: a root); the founding parent's `since` is `founded_on`.
    pub parents: Vector<Dated<Option<BodyId>>>,
    /// Every body that has or had this one as a parent.
    pub children: IdList<BodyId>,
    pub posts: IdList<PostId>,
    pub mandates: IdList<MandateId>,
    pub assemblies: IdList<AssemblyId>,
    /// Positions of the events that concern it (see [`Registry::positions_of`]); the first
    /// is the event that created it (see `recorded_at`).
    pub history: History,
}

impl Body {
    /// The current name: the latest span's.
    pub fn name(&self) -> &Names {
        &self
            .names
            .back()
            .expect("a body is founded with a name")
            .value
    }

    /// The current parent: the latest span's.
    pub fn parent(&self) -> Option<BodyId> {
        self.parents.back().and_then(|span| span.value)
    }

    pub fn is_dissolved(&self) -> bool {
        self.dissolution.is_some()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Abolition {
    pub on: EdtfDate,
    pub position: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Post {
    pub id: PostId,
    pub handle: Handle,
    pub body: BodyId,
    pub title: Names,
    pub seats: Seats,
    pub established_on: Option<EdtfDate>,
    pub abolition: Option<Abolition>,
    /// Every mandate on the post, in log order, with where it may sit in time: the seats
    /// rule and rosters scan this one short list instead of looking every mandate up. The
    /// ids are read through [`Post::mandates`] (a list of the ids alone would repeat them).
    pub(crate) slots: IdList<Slot>,
    /// Positions of the events that concern it (see [`Registry::positions_of`]); the first
    /// is the event that created it (see `recorded_at`).
    pub history: History,
}

impl Post {
    /// Every mandate on the post, in log order.
    pub fn mandates(&self) -> impl Iterator<Item = MandateId> + '_ {
        self.slots.iter().map(|slot| slot.mandate)
    }

    /// How many mandates [`Post::mandates`] lists.
    pub fn mandate_count(&self) -> usize {
        self.slots.len()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttendanceEntry {
    pub person: PersonId,
    pub capacity: Option<Note>,
    pub position: u64,
}

/// A resolution as adopted. It does not carry the position of the event that adopted it,
/// so that equal resolutions are kept once (see [`Shared`]): the positions are the
/// assembly's (see [`Registry::resolution_positions`]).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Resolution {
    pub title: Names,
    pub text: Option<Note>,
    pub vote: Vote,
}

/// Equal assemblies have equal representations: `details` is `None` whenever it would be
/// empty (see [`Assembly::change_details`]), so the derived equality compares what they record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assembly {
    pub id: AssemblyId,
    pub handle: Handle,
    pub body: BodyId,
    pub kind: AssemblyKind,
    pub ordinal: Option<u32>,
    pub held_on: EdtfDate,
    /// A shared resolution keeps the assembly small: nearly every assembly adopts one.
    pub resolutions: IdList<Arc<Resolution>>,
    /// Positions of the events that concern it (see [`Registry::positions_of`]); the first
    /// is the event that created it (see `recorded_at`).
    pub history: History,
    /// What most assemblies do not record (see [`AssemblyDetails`]); `None` when all of it
    /// is empty.
    pub(crate) details: Option<Box<AssemblyDetails>>,
}

/// An assembly's venue, name, attendance and the mandates decided at it, in one allocation
/// that only the assemblies recording one of them have: three in four of a national
/// registry's assemblies record none, and the fields would take 80 bytes in each.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct AssemblyDetails {
    pub venue: Option<Names>,
    pub name: Option<Names>,
    pub attendance: IdList<AttendanceEntry>,
    pub mandates: IdList<MandateId>,
}

impl AssemblyDetails {
    fn is_empty(&self) -> bool {
        self.venue.is_none()
            && self.name.is_none()
            && self.attendance.is_empty()
            && self.mandates.is_empty()
    }
}

static NO_ATTENDANCE: IdList<AttendanceEntry> = IdList::new();
static NO_MANDATES: IdList<MandateId> = IdList::new();

impl Assembly {
    pub fn venue(&self) -> Option<&Names> {
        self.details.as_ref().and_then(|d| d.venue.as_ref())
    }

    pub fn name(&self) -> Option<&Names> {
        self.details.as_ref().and_then(|d| d.name.as_ref())
    }

    /// Who attended, in the order recorded.
    pub fn attendance(&self) -> &IdList<AttendanceEntry> {
        self.details
            .as_ref()
            .map_or(&NO_ATTENDANCE, |d| &d.attendance)
    }

    /// Mandates decided at this assembly.
    pub fn mandates(&self) -> &IdList<MandateId> {
        self.details.as_ref().map_or(&NO_MANDATES, |d| &d.mandates)
    }

    /// Changes the details, then drops them if they are left empty (so that equal assemblies
    /// have equal representations).
    pub(crate) fn change_details<R>(
        &mut self,
        change: impl FnOnce(&mut AssemblyDetails) -> R,
    ) -> R {
        let mut details = self.details.take().unwrap_or_default();
        let result = change(&mut details);
        if !details.is_empty() {
            self.details = Some(details);
        }
        result
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MandateEnd {
    pub on: EdtfDate,
    pub reason: EndReason,
    /// In 32 bits as in a [`History`]: 8 bytes less in every mandate (see
    /// [`MandateEnd::position`]).
    pub(crate) position: u32,
}

impl MandateEnd {
    /// The log position of the event that ended the mandate.
    pub fn position(&self) -> u64 {
        u64::from(self.position)
    }
}

// Most mandates end (182,946 of 235,992 in the synthetic registry): a 64-bit position would
// make the struct 32 bytes, and `Mandate` 8 bytes longer.
const _: () = assert!(std::mem::size_of::<MandateEnd>() == 24);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mandate {
    pub id: MandateId,
    pub handle: Option<Handle>,
    pub person: PersonId,
    pub post: PostId,
    pub body: BodyId,
    pub from: EdtfDate,
    pub end: Option<MandateEnd>,
    pub basis: Basis<Appointer>,
    pub assembly: Option<AssemblyId>,
    pub constituency: Option<Constituency>,
    /// Positions of the events that concern it (see [`Registry::positions_of`]); the first
    /// is the event that created it (see `recorded_at`).
    pub history: History,
}

impl Mandate {
    pub fn to(&self) -> Option<&EdtfDate> {
        self.end.as_ref().map(|end| &end.on)
    }
}

/// A mandate's possible days on its post: `[lo, hi)` in day numbers (see `span.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Slot {
    pub mandate: MandateId,
    pub lo: i32,
    pub hi: i32,
}

/// What the event at a log position did: enough to name its type, list what it concerned
/// and undo it, without keeping the event itself in memory.
///
/// Every field has alignment 1, so an effect takes 18 bytes, not 24: there is one per event.
/// A retraction does not repeat the position it retracted: `Registry::retracted` has it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Effect {
    Created(EntityId),
    Renamed(BodyId),
    Moved(BodyId),
    Dissolved(BodyId),
    Abolished(PostId),
    Attended(AssemblyId),
    Resolved(AssemblyId),
    Ended(MandateId),
    NameCorrected(EntityId),
    DateCorrected(EntityId, DateField),
    ConstituencyCorrected(MandateId),
    Retraction,
}

// Keeps the log at 18 bytes an event; a field with alignment above 1 would make it 24.
const _: () = assert!(std::mem::size_of::<Effect>() == 18);

impl Effect {
    pub fn type_name(&self) -> &'static str {
        match self {
            Effect::Created(id) => match id.kind() {
                EntityKind::Area => "area_registered",
                EntityKind::Person => "person_registered",
                EntityKind::Body => "body_founded",
                EntityKind::Post => "post_established",
                EntityKind::Assembly => "assembly_convened",
                EntityKind::Mandate => "mandate_started",
            },
            Effect::Renamed(_) => "body_renamed",
            Effect::Moved(_) => "body_moved",
            Effect::Dissolved(_) => "body_dissolved",
            Effect::Abolished(_) => "post_abolished",
            Effect::Attended(_) => "attendance_recorded",
            Effect::Resolved(_) => "resolution_adopted",
            Effect::Ended(_) => "mandate_ended",
            Effect::NameCorrected(_) => "name_corrected",
            Effect::DateCorrected(..) => "date_corrected",
            Effect::ConstituencyCorrected(_) => "constituency_corrected",
            Effect::Retraction => "event_retracted",
        }
    }
}

/// Values replaced by corrections of one field, oldest first: (position of the correction,
/// the value it replaced).
pub(crate) type CorrectionStack<T> = Vector<(u64, T)>;

/// Values that recur across entities, kept once: names (post titles, resolution titles,
/// venues) and whole resolutions. A national registry adopts hundreds of thousands of
/// resolutions under a handful of titles and votes, and each arrives in its own event with
/// its own copy.
///
/// A cache, not part of what a state means: two states that differ only here are equal, a
/// snapshot does not store it (it keeps the sharing instead), and it only ever grows (by the
/// distinct values seen, which retractions do not take back). A value is its own key, so an
/// entry holds it once (see `ValueOnlyEntry`).
pub(crate) struct Shared<T: HasKey>(KeyMap<T::Key, T, ValueOnlyEntry<T>>);

/// Names shared across entities (see [`Shared`]).
pub(crate) type SharedNames = Shared<Names>;

impl HasKey for Names {
    type Key = Names;
    fn key(&self) -> &Names {
        self
    }
}

impl HasKey for Resolution {
    type Key = Resolution;
    fn key(&self) -> &Resolution {
        self
    }
}

impl<T: HasKey> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<T: HasKey> Default for Shared<T> {
    fn default() -> Self {
        Shared(KeyMap::default())
    }
}

impl<T> Shared<T>
where
    T: HasKey + Clone,
    T::Key: Clone + Ord + std::hash::Hash,
{
    /// The copy of `value` already kept, or `value` itself, now kept.
    pub(crate) fn share(&mut self, value: &T) -> T {
        if let Some(kept) = self.0.get(value.key()) {
            return kept.clone();
        }
        self.0.insert(value.key().clone(), value.clone());
        value.clone()
    }
}

impl<T: HasKey> PartialEq for Shared<T> {
    fn eq(&self, _: &Shared<T>) -> bool {
        true
    }
}

/// The names an entity is indexed under for search, as the entity holds them (shared, not
/// copied; the index keeps only their tokens). A body is indexed under every name it has had,
/// so that searching a former name still finds it; everything else under its current name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum IndexedName {
    One(Names),
    /// A box behind a thin pointer (not an `Arc<[Names]>`, whose length would make every
    /// entry of the index's map 8 bytes longer): few bodies are ever renamed.
    Several(Arc<Vec<Names>>),
}

const _: () = assert!(std::mem::size_of::<IndexedName>() == 16);

impl IndexedNames for IndexedName {
    fn texts(&self) -> impl Iterator<Item = &str> {
        let names: &[Names] = match self {
            IndexedName::One(names) => std::slice::from_ref(names),
            IndexedName::Several(names) => names,
        };
        names.iter().flat_map(Names::texts)
    }
}

/// The state of one registry: a pure fold of its log. See the module docs.
///
/// Two states are equal when every entity, index and log entry is: what a snapshot's round
/// trip must preserve.
#[derive(Clone, Default, PartialEq)]
pub struct Registry {
    pub(crate) position: u64,
    pub(crate) handles: KeyMap<Handle, EntityId>,
    pub(crate) areas: EntityMap<AreaId, Area>,
    pub(crate) people: EntityMap<PersonId, Person>,
    pub(crate) bodies: EntityMap<BodyId, Body>,
    pub(crate) posts: EntityMap<PostId, Post>,
    pub(crate) assemblies: EntityMap<AssemblyId, Assembly>,
    pub(crate) mandates: EntityMap<MandateId, Mandate>,
    /// The histories of retracted entities, which outlive them for the audit trail.
    pub(crate) tombstones: KeyMap<EntityId, History>,
    /// `log[p - 1]` is what position `p` did.
    pub(crate) log: Vector<Effect>,
    /// Retracted position -> the position of its retraction.
    pub(crate) retracted: OrdMap<u64, u64>,
    /// Values replaced by corrections, oldest first: (position of the correction, previous).
    pub(crate) name_corrections: OrdMap<EntityId, CorrectionStack<Option<Names>>>,
    pub(crate) date_corrections: OrdMap<(EntityId, DateField), CorrectionStack<Option<EdtfDate>>>,
    pub(crate) constituency_corrections: OrdMap<MandateId, CorrectionStack<Option<Constituency>>>,
    /// Names of people, bodies, areas and posts, folded for search: always the postings of
    /// [`Registry::indexed_name`] of every entity that has one (see `apply::index_new_names`
    /// and `apply::reindex_names`).
    pub(crate) search: TokenIndex<EntityId>,
    pub(crate) shared_names: SharedNames,
    pub(crate) shared_resolutions: Shared<Arc<Resolution>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("position", &self.position)
            .field("areas", &self.areas.len())
            .field("people", &self.people.len())
            .field("bodies", &self.bodies.len())
            .field("posts", &self.posts.len())
            .field("assemblies", &self.assemblies.len())
            .field("mandates", &self.mandates.len())
            .finish()
    }
}

impl Registry {
    /// An empty registry, at position 0.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Builds the state from a log, in order.
    pub fn replay<'a>(events: impl IntoIterator<Item = &'a crate::Event>) -> Registry {
        let mut registry = Registry::new();
        for event in events {
            crate::apply(&mut registry, event);
        }
        registry
    }

    /// The number of events applied: the log position this state reflects.
    pub fn position(&self) -> u64 {
        self.position
    }

    pub fn area(&self, id: AreaId) -> Option<&Area> {
        self.areas.get(&id).map(|a| &**a)
    }

    pub fn person(&self, id: PersonId) -> Option<&Person> {
        self.people.get(&id).map(|p| &**p)
    }

    pub fn body(&self, id: BodyId) -> Option<&Body> {
        self.bodies.get(&id).map(|b| &**b)
    }

    pub fn post(&self, id: PostId) -> Option<&Post> {
        self.posts.get(&id).map(|p| &**p)
    }

    pub fn assembly(&self, id: AssemblyId) -> Option<&Assembly> {
        self.assemblies.get(&id).map(|a| &**a)
    }

    pub fn mandate(&self, id: MandateId) -> Option<&Mandate> {
        self.mandates.get(&id).map(|m| &**m)
    }

    pub fn areas(&self) -> impl Iterator<Item = &Area> {
        self.areas.values().map(|a| &**a)
    }

    pub fn people(&self) -> impl Iterator<Item = &Person> {
        self.people.values().map(|p| &**p)
    }

    pub fn bodies(&self) -> impl Iterator<Item = &Body> {
        self.bodies.values().map(|b| &**b)
    }

    pub fn posts(&self) -> impl Iterator<Item = &Post> {
        self.posts.values().map(|p| &**p)
    }

    pub fn assemblies(&self) -> impl Iterator<Item = &Assembly> {
        self.assemblies.values().map(|a| &**a)
    }

    pub fn mandates(&self) -> impl Iterator<Item = &Mandate> {
        self.mandates.values().map(|m| &**m)
    }

    /// How many entities of each kind: (areas, people, bodies, posts, assemblies, mandates).
    pub fn counts(&self) -> [usize; 6] {
        [
            self.areas.len(),
            self.people.len(),
            self.bodies.len(),
            self.posts.len(),
            self.assemblies.len(),
            self.mandates.len(),
        ]
    }

    /// The entity a handle names.
    pub fn by_handle(&self, handle: &Handle) -> Option<EntityId> {
        self.handles.get(handle).copied()
    }

    /// The entity a handle or UUID names, if it exists (retracted entities do not).
    pub fn resolve(&self, reference: &EntityRef) -> Option<EntityId> {
        match reference {
            EntityRef::Handle(handle) => self.by_handle(handle),
            EntityRef::Id(uuid) => self.find_uuid(*uuid),
        }
    }

    /// The entity with this UUID, whatever its kind.
    pub fn find_uuid(&self, uuid: uuid::Uuid) -> Option<EntityId> {
        // Mandates first: they are the most numerous and the ones most often named by UUID
        // (they rarely have handles).
        let candidates = [
            EntityId::new(EntityKind::Mandate, uuid),
            EntityId::new(EntityKind::Person, uuid),
            EntityId::new(EntityKind::Body, uuid),
            EntityId::new(EntityKind::Post, uuid),
            EntityId::new(EntityKind::Assembly, uuid),
            EntityId::new(EntityKind::Area, uuid),
        ];
        candidates.into_iter().find(|id| self.exists(*id))
    }

    /// Whether the entity exists (was created and not retracted).
    pub fn exists(&self, id: EntityId) -> bool {
        match id {
            EntityId::Area(id) => self.areas.contains_key(&id),
            EntityId::Body(id) => self.bodies.contains_key(&id),
            EntityId::Post(id) => self.posts.contains_key(&id),
            EntityId::Person(id) => self.people.contains_key(&id),
            EntityId::Assembly(id) => self.assemblies.contains_key(&id),
            EntityId::Mandate(id) => self.mandates.contains_key(&id),
        }
    }

    /// The entity's handle, if it exists and has one.
    pub fn handle_of(&self, id: EntityId) -> Option<&Handle> {
        match id {
            EntityId::Area(id) => self.area(id).map(|a| &a.handle),
            EntityId::Body(id) => self.body(id).map(|b| &b.handle),
            EntityId::Post(id) => self.post(id).map(|p| &p.handle),
            EntityId::Person(id) => self.person(id).map(|p| &p.handle),
            EntityId::Assembly(id) => self.assembly(id).map(|a| &a.handle),
            EntityId::Mandate(id) => self.mandate(id).and_then(|m| m.handle.as_ref()),
        }
    }

    /// The entity's handle and current name, found with one lookup (see [`Registry::handle_of`]
    /// and [`Registry::name_of`]).
    pub(crate) fn handle_and_name(&self, id: EntityId) -> (Option<&Handle>, Option<&Names>) {
        match id {
            EntityId::Area(id) => self
                .area(id)
                .map_or((None, None), |a| (Some(&a.handle), Some(&a.name))),
            EntityId::Body(id) => self
                .body(id)
                .map_or((None, None), |b| (Some(&b.handle), Some(b.name()))),
            EntityId::Post(id) => self
                .post(id)
                .map_or((None, None), |p| (Some(&p.handle), Some(&p.title))),
            EntityId::Person(id) => self
                .person(id)
                .map_or((None, None), |p| (Some(&p.handle), Some(&p.name))),
            EntityId::Assembly(id) => self
                .assembly(id)
                .map_or((None, None), |a| (Some(&a.handle), a.name())),
            EntityId::Mandate(id) => (self.mandate(id).and_then(|m| m.handle.as_ref()), None),
        }
    }

    /// The entity's current name (a post's title; an assembly's name if it has one).
    pub fn name_of(&self, id: EntityId) -> Option<&Names> {
        match id {
            EntityId::Area(id) => self.area(id).map(|a| &a.name),
            EntityId::Body(id) => self.body(id).map(Body::name),
            EntityId::Post(id) => self.post(id).map(|p| &p.title),
            EntityId::Person(id) => self.person(id).map(|p| &p.name),
            EntityId::Assembly(id) => self.assembly(id).and_then(Assembly::name),
            EntityId::Mandate(_) => None,
        }
    }

    /// How messages name an entity: its handle; a mandate without one as "the mandate of
    /// @person as @post"; an unknown id by kind and UUID.
    pub fn label(&self, id: EntityId) -> String {
        if let Some(handle) = self.handle_of(id) {
            return handle.to_string();
        }
        if let EntityId::Mandate(m) = id {
            if let Some(mandate) = self.mandate(m) {
                let person = self.label(mandate.person.into());
                let post = self.label(mandate.post.into());
                return format!("the mandate of {person} as {post} ({})", m.as_uuid());
            }
        }
        format!("{} {}", id.kind(), id.as_uuid())
    }

    /// Whether the event at `position` was retracted, and by which position.
    pub fn retracted_by(&self, position: u64) -> Option<u64> {
        self.retracted.get(&position).copied()
    }

    /// The type name of the event at `position` (1-based), if within the log.
    pub fn type_at(&self, position: u64) -> Option<&'static str> {
        self.effect_at(position).map(|e| e.type_name())
    }

    pub(crate) fn effect_at(&self, position: u64) -> Option<Effect> {
        let index = usize::try_from(position.checked_sub(1)?).ok()?;
        self.log.get(index).copied()
    }

    /// Positions of the events that concern `id` (including retracted ones and the
    /// retractions themselves), in log order. The end of a mandate is kept in the mandate's
    /// history only (so that ending one touches one entity) and merged in here for its
    /// person, post and body.
    pub fn positions_of(&self, id: EntityId) -> Vec<u64> {
        let mut positions: Vec<u64> = match self.own_history(id) {
            Some(history) => history.iter().map(|p| u64::from(*p)).collect(),
            None => {
                return self
                    .tombstones
                    .get(&id)
                    .map(|h| h.iter().map(|p| u64::from(*p)).collect())
                    .unwrap_or_default()
            }
        };
        let mandates: Vec<MandateId> = match id {
            EntityId::Person(p) => self
                .person(p)
                .map(|p| p.mandates.iter().copied().collect())
                .unwrap_or_default(),
            EntityId::Post(p) => self
                .post(p)
                .map(|p| p.mandates().collect())
                .unwrap_or_default(),
            EntityId::Body(b) => self
                .body(b)
                .map(|b| b.mandates.iter().copied().collect())
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        for m in mandates.into_iter().filter_map(|m| self.mandate(m)) {
            let ends = m
                .history
                .iter()
                .map(|p| u64::from(*p))
                .filter(|p| self.effect_at(*p) == Some(Effect::Ended(m.id)));
            positions.extend(ends);
        }
        positions.sort_unstable();
        positions.dedup();
        positions
    }

    fn own_history(&self, id: EntityId) -> Option<&History> {
        match id {
            EntityId::Area(id) => self.area(id).map(|e| &e.history),
            EntityId::Body(id) => self.body(id).map(|e| &e.history),
            EntityId::Post(id) => self.post(id).map(|e| &e.history),
            EntityId::Person(id) => self.person(id).map(|e| &e.history),
            EntityId::Assembly(id) => self.assembly(id).map(|e| &e.history),
            EntityId::Mandate(id) => self.mandate(id).map(|e| &e.history),
        }
    }

    /// The positions of the events that adopted the assembly's resolutions, in the order of
    /// [`Assembly::resolutions`]: its live `resolution_adopted` events.
    pub fn resolution_positions(&self, id: AssemblyId) -> Vec<u64> {
        let Some(assembly) = self.assembly(id) else {
            return Vec::new();
        };
        assembly
            .history
            .iter()
            .map(|p| u64::from(*p))
            .filter(|p| {
                self.effect_at(*p) == Some(Effect::Resolved(id)) && !self.retracted.contains_key(p)
            })
            .collect()
    }

    /// The names `id` is indexed under for search, if it is an entity that has them (see
    /// [`IndexedName`]).
    pub(crate) fn indexed_name(&self, id: EntityId) -> Option<IndexedName> {
        match id {
            EntityId::Body(b) => {
                let body = self.body(b)?;
                Some(match body.names.len() {
                    1 => IndexedName::One(body.name().clone()),
                    _ => IndexedName::Several(Arc::new(
                        body.names.iter().map(|s| s.value.clone()).collect(),
                    )),
                })
            }
            EntityId::Area(_) | EntityId::Person(_) | EntityId::Post(_) => {
                self.name_of(id).cloned().map(IndexedName::One)
            }
            EntityId::Assembly(_) | EntityId::Mandate(_) => None,
        }
    }

    /// Whether the event at `position` still shapes the state: neither retracted nor a
    /// retraction.
    pub(crate) fn is_live(&self, position: u64) -> bool {
        !self.retracted.contains_key(&position)
            && !matches!(self.effect_at(position), Some(Effect::Retraction))
    }
}

impl Registry {
    /// Checks that the indexes agree with the entities (each mandate listed by its person,
    /// post, body and assembly, each post's slots matching its mandates' dates, every handle
    /// naming its entity, the search index holding the entities' names). For tests: the state is only ever built by `apply`, which keeps
    /// them in step; this is the assertion that it does.
    #[doc(hidden)]
    pub fn check_indexes(&self) -> Result<(), String> {
        for m in self.mandates() {
            let listed = |list: Option<&IdList<MandateId>>| list.is_some_and(|l| l.contains(&m.id));
            let label = self.label(m.id.into());
            if !listed(self.person(m.person).map(|p| &p.mandates)) {
                return Err(format!("{label} is missing from its person's mandates"));
            }
            if !listed(self.body(m.body).map(|b| &b.mandates)) {
                return Err(format!("{label} is missing from its body's mandates"));
            }
            if m.assembly
                .is_some_and(|a| !listed(self.assembly(a).map(Assembly::mandates)))
            {
                return Err(format!("{label} is missing from its assembly's mandates"));
            }
            let Some(post) = self.post(m.post) else {
                return Err(format!("{label} has no post"));
            };
            let (lo, hi) = crate::span::Occupancy::new(Some(&m.from), m.to()).possible;
            let slot = post.slots.iter().find(|s| s.mandate == m.id);
            if slot
                != Some(&Slot {
                    mandate: m.id,
                    lo,
                    hi,
                })
            {
                return Err(format!(
                    "{label} is missing from its post's index, or its slot is stale: {slot:?}"
                ));
            }
        }
        for post in self.posts() {
            if post.mandates().any(|m| self.mandate(m).is_none()) {
                return Err(format!(
                    "post {} lists mandates that do not exist",
                    post.handle
                ));
            }
        }
        let mut named = 0;
        for (handle, id) in self.handles.iter() {
            named += 1;
            if self.handle_of(*id) != Some(handle) {
                return Err(format!(
                    "handle {handle} names {id:?}, which does not have it"
                ));
            }
        }
        let with_handles = self.areas.len()
            + self.people.len()
            + self.bodies.len()
            + self.posts.len()
            + self.assemblies.len()
            + self.mandates().filter(|m| m.handle.is_some()).count();
        if named != with_handles {
            return Err(format!(
                "{named} handles for {with_handles} entities with handles"
            ));
        }
        // The search index keeps no names: it must hold exactly the postings of the names
        // the entities hold now, as if built from them afresh.
        let mut afresh = TokenIndex::new();
        let with_names = (self.areas().map(|a| EntityId::from(a.id)))
            .chain(self.people().map(|p| p.id.into()))
            .chain(self.bodies().map(|b| b.id.into()))
            .chain(self.posts().map(|p| p.id.into()));
        for id in with_names {
            if let Some(names) = self.indexed_name(id) {
                afresh.add(id, &names);
            }
        }
        if afresh != self.search {
            return Err(format!(
                "the search index ({} tokens) is not the one the entities' names give ({} tokens)",
                self.search.tokens(),
                afresh.tokens()
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{apply, decide, Command, Context, SequentialIds};

    fn given(lines: &str) -> Registry {
        let mut registry = Registry::new();
        let mut ids = SequentialIds::new();
        let mut context = Context::new(chrono::DateTime::UNIX_EPOCH, &mut ids);
        for line in lines.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let command: Command = serde_json::from_str(line).expect("a command");
            let events = decide(&registry, &command, &mut context).expect("accepted");
            for event in &events {
                apply(&mut registry, event);
            }
        }
        registry
    }

    /// How many distinct allocations hold the resolutions' titles and the posts' titles.
    fn title_copies(registry: &Registry) -> (usize, usize) {
        let mut resolutions: Vec<usize> = registry
            .assemblies()
            .flat_map(|a| a.resolutions.iter().map(|r| r.title.allocation()))
            .collect();
        let mut posts: Vec<usize> = registry.posts().map(|p| p.title.allocation()).collect();
        for allocations in [&mut resolutions, &mut posts] {
            allocations.sort_unstable();
            allocations.dedup();
        }
        (resolutions.len(), posts.len())
    }

    #[test]
    fn recurring_titles_are_kept_once_and_a_snapshot_keeps_them_shared() {
        let registry = given(
            r#"
            {"command":"found_body","handle":"@council","name":"Council","kind":"commune-council"}
            {"command":"establish_post","handle":"@member-1","body":"@council","title":"member"}
            {"command":"establish_post","handle":"@member-2","body":"@council","title":"member"}
            {"command":"establish_post","handle":"@president","body":"@council","title":"president"}
            {"command":"convene_assembly","handle":"@session-1","body":"@council","kind":"general_assembly","held_on":"2020"}
            {"command":"convene_assembly","handle":"@session-2","body":"@council","kind":"general_assembly","held_on":"2021"}
            {"command":"adopt_resolution","assembly":"@session-1","title":"adoption du budget","vote":"consensus"}
            {"command":"adopt_resolution","assembly":"@session-2","title":"adoption du budget","vote":"consensus"}
            {"command":"adopt_resolution","assembly":"@session-2","title":"déclaration finale","vote":"consensus"}
            "#,
        );
        assert_eq!(title_copies(&registry), (2, 2));
        let mut bytes = Vec::new();
        crate::snapshot::write_snapshot(&registry, &mut bytes).expect("in memory");
        let read = crate::snapshot::read_snapshot(&bytes).expect("just written");
        assert!(read == registry);
        assert_eq!(title_copies(&read), (2, 2));
    }
}
