//! Registry snapshots: the whole state in a compact binary form, so that an engine can start
//! from a snapshot and the log's tail instead of folding every event again.
//!
//! A snapshot is a cache, never a source of truth: the log stays the record, and a snapshot
//! that cannot be read is ignored and the log replayed. So the format is private to one
//! version of this crate ([`SNAPSHOT_FORMAT`] plus the crate version, checked by
//! [`read_snapshot`]); whoever stores snapshots checks that they belong to the log (the
//! engine compares the hash of the event at the snapshot's position) and that their bytes are
//! intact (a checksum).
//!
//! Layout: a header (`SIJILL-REGISTRY`, the format, the crate version); two sections of
//! about the same decoding time, read on two threads at once: the position, people and
//! assemblies, then the areas, bodies, posts, mandates and the rest of [`Registry`]
//! (tombstones, log, retractions, corrections, search index); a trailer (where the second
//! section starts, as 8 bytes little-endian, and `REGISTRY`). Integers are LEB128 varints,
//! ids their 16 bytes, texts a length and UTF-8; names the state shares are written once per
//! section and referred back to. Values with rules (handles, names, dates) go through their
//! validating constructors on the way back, so a snapshot yields only values `apply` could
//! have produced. The handle map is not stored: it is rebuilt from the entities.
//!
//! Every entity is written by destructuring it completely, so adding a field to a state type
//! fails to compile here until the snapshot carries it.

use std::io;
use std::sync::Arc;

use imbl::{OrdMap, Vector};
use uuid::Uuid;

use crate::date::EdtfDate;
use crate::ids::{AreaId, AssemblyId, BodyId, EntityId, Handle, MandateId, PersonId, PostId};
use crate::keymap::{HasKey, KeyValueEntry, LeafEntry, ValueOnlyEntry};
use crate::list::IdList;
use crate::names::{Code, Names, Note};
use crate::registry::{
    Abolition, Area, Assembly, AssemblyDetails, AttendanceEntry, Body, Dated, Dissolution, Effect,
    EntityMap, KeyMap, Mandate, MandateEnd, Person, Post, Registry, Resolution, Slot,
};
use crate::values::{
    Appointer, AreaKind, AssemblyKind, Basis, BodyKind, Constituency, DateField, EndReason, Gender,
    Seats, Tally, Vote,
};

/// The layout's version. Bump it whenever what [`write_snapshot`] writes changes, even
/// between releases (a checkpoint left by an earlier build of the same version must be
/// refused, not misread); snapshots of another format or another crate version are refused
/// by [`read_snapshot`]. 2: 32-bit history positions, a retraction's effect without a
/// position, chunked search postings. 3: names shared in the state are written once per
/// section and referred back to. 4: the search index without its folded names (the entities'
/// names are indexed again), with the ids it indexes. 5: resolutions without the position
/// that adopted them. 6: entities without `recorded_at` (their history's first position).
/// 7: a post's mandates only in its slots. 8: an entity map's entries without their key (the
/// entity holds its id). 9: the search index without the ids it indexes (it keeps no names of
/// its own: the entities' are its names). 10: areas, bodies and posts in the second section,
/// which made the two take about as long to decode.
pub const SNAPSHOT_FORMAT: u32 = 10;

const MAGIC: &[u8; 15] = b"SIJILL-REGISTRY";
/// Ends the trailer, after the second section's offset: a cut file does not end with it.
const END: &[u8; 8] = b"REGISTRY";
const TRAILER_LEN: usize = 8 + END.len();

/// Why a snapshot could not be read. Any of these means: replay the log instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    #[error("not a registry snapshot (the header is missing)")]
    NotASnapshot,
    #[error("the snapshot was written by format {found} of sijill-domain {version}; this is format {SNAPSHOT_FORMAT} of {}", env!("CARGO_PKG_VERSION"))]
    OtherVersion { found: u32, version: String },
    #[error("the snapshot ends early, at byte {at}")]
    Truncated { at: usize },
    #[error("the snapshot is damaged at byte {at}: {what}")]
    Damaged { at: usize, what: String },
}

/// Writes `registry` as a snapshot. The bytes are buffered and handed to `sink` in large
/// writes; the first error from `sink` is returned.
pub fn write_snapshot(registry: &Registry, sink: &mut dyn io::Write) -> io::Result<()> {
    let mut out = Out::new(sink);
    out.bytes(MAGIC);
    out.u64(u64::from(SNAPSHOT_FORMAT));
    out.str(env!("CARGO_PKG_VERSION"));
    let second = put_registry(registry, &mut out);
    out.bytes(&second.to_le_bytes());
    out.bytes(END);
    out.finish()
}

/// Reads a snapshot [`write_snapshot`] wrote with this crate version.
pub fn read_snapshot(bytes: &[u8]) -> Result<Registry, SnapshotError> {
    let mut input = In::new(bytes, 0);
    if bytes.get(..MAGIC.len()) != Some(MAGIC.as_slice()) {
        return Err(SnapshotError::NotASnapshot);
    }
    input.at = MAGIC.len();
    let format = input.u64()?;
    let version = input.str()?;
    if format != u64::from(SNAPSHOT_FORMAT) || version != env!("CARGO_PKG_VERSION") {
        return Err(SnapshotError::OtherVersion {
            found: u32::try_from(format).unwrap_or(u32::MAX),
            version: version.to_owned(),
        });
    }
    get_registry(bytes, input.at)
}

/// Buffers the encoding and passes it on in large writes, keeping the first error so the
/// encoders themselves stay infallible.
pub(crate) struct Out<'a> {
    buf: Vec<u8>,
    /// Names written in this section, by allocation: the state shares one copy of a
    /// recurring name, and the snapshot writes it once and refers back to it.
    names_written: std::collections::HashMap<usize, u64>,
    /// Bytes handed to `sink` so far.
    spilled: u64,
    sink: &'a mut dyn io::Write,
    failed: Option<io::Error>,
}

const OUT_CHUNK: usize = 1 << 20;

impl<'a> Out<'a> {
    fn new(sink: &'a mut dyn io::Write) -> Out<'a> {
        Out {
            buf: Vec::with_capacity(OUT_CHUNK + 4096),
            names_written: std::collections::HashMap::new(),
            spilled: 0,
            sink,
            failed: None,
        }
    }

    fn spill(&mut self) {
        if self.failed.is_none() {
            if let Err(e) = self.sink.write_all(&self.buf) {
                self.failed = Some(e);
            }
        }
        self.spilled += self.buf.len() as u64;
        self.buf.clear();
    }

    /// Bytes written so far: where the next byte lands.
    fn offset(&self) -> u64 {
        self.spilled + self.buf.len() as u64
    }

    fn finish(mut self) -> io::Result<()> {
        self.spill();
        match self.failed.take() {
            Some(e) => Err(e),
            None => self.sink.flush(),
        }
    }

    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= OUT_CHUNK {
            self.spill();
        }
    }

    pub(crate) fn u8(&mut self, n: u8) {
        self.bytes(&[n]);
    }

    pub(crate) fn u64(&mut self, mut n: u64) {
        let mut encoded = [0u8; 10];
        let mut len = 0;
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                encoded[len] = byte;
                len += 1;
                break;
            }
            encoded[len] = byte | 0x80;
            len += 1;
        }
        self.bytes(&encoded[..len]);
    }

    pub(crate) fn len(&mut self, n: usize) {
        self.u64(n as u64);
    }

    pub(crate) fn str(&mut self, text: &str) {
        self.len(text.len());
        self.bytes(text.as_bytes());
    }
}

pub(crate) struct In<'a> {
    bytes: &'a [u8],
    at: usize,
    /// Names read in this section, in order: what later references point back to.
    names_read: Vec<Names>,
    /// Resolutions read in this section, kept once each (as the state that was written kept
    /// them).
    resolutions_read: crate::registry::Shared<Arc<Resolution>>,
}

impl<'a> In<'a> {
    fn new(bytes: &'a [u8], at: usize) -> In<'a> {
        In {
            bytes,
            at,
            names_read: Vec::new(),
            resolutions_read: Default::default(),
        }
    }
}

impl<'a> In<'a> {
    pub(crate) fn damaged(&self, what: impl Into<String>) -> SnapshotError {
        SnapshotError::Damaged {
            at: self.at,
            what: what.into(),
        }
    }

    fn at_end(&self, what: &str) -> Result<(), SnapshotError> {
        if self.at == self.bytes.len() {
            Ok(())
        } else {
            Err(self.damaged(format!("bytes after the end of {what}")))
        }
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], SnapshotError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len())
            .ok_or(SnapshotError::Truncated { at: self.at })?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, SnapshotError> {
        Ok(self.bytes(1)?[0])
    }

    pub(crate) fn u64(&mut self) -> Result<u64, SnapshotError> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.u8()?;
            n |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err(self.damaged("a number longer than 64 bits"))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, SnapshotError> {
        let n = self.u64()?;
        u32::try_from(n).map_err(|_| self.damaged(format!("{n} does not fit 32 bits")))
    }

    /// A length, which can never exceed the bytes left (every item takes at least one byte):
    /// a damaged length must not make the reader reserve memory it never fills.
    pub(crate) fn len(&mut self) -> Result<usize, SnapshotError> {
        let n = self.u64()?;
        let left = (self.bytes.len() - self.at) as u64;
        if n > left {
            return Err(self.damaged(format!("a length of {n} with {left} bytes left")));
        }
        Ok(n as usize)
    }

    pub(crate) fn str(&mut self) -> Result<&'a str, SnapshotError> {
        let len = self.len()?;
        let bytes = self.bytes(len)?;
        std::str::from_utf8(bytes).map_err(|_| self.damaged("a text that is not UTF-8"))
    }

    fn valid<T, E: std::fmt::Display>(&self, value: Result<T, E>) -> Result<T, SnapshotError> {
        value.map_err(|e| self.damaged(e.to_string()))
    }
}

/// A value a snapshot holds.
pub(crate) trait Persist: Sized {
    fn put(&self, out: &mut Out);
    fn get(input: &mut In) -> Result<Self, SnapshotError>;
}

impl Persist for u64 {
    fn put(&self, out: &mut Out) {
        out.u64(*self);
    }
    fn get(input: &mut In) -> Result<Self, SnapshotError> {
        input.u64()
    }
}

impl Persist for u32 {
    fn put(&self, out: &mut Out) {
        out.u64(u64::from(*self));
    }
    fn get(input: &mut In) -> Result<Self, SnapshotError> {
        input.u32()
    }
}

impl Persist for u8 {
    fn put(&self, out: &mut Out) {
        out.u8(*self);
    }
    fn get(input: &mut In) -> Result<Self, SnapshotError> {
        input.u8()
    }
}

impl Persist for i32 {
    fn put(&self, out: &mut Out) {
        // zigzag, so small negative day numbers stay short
        out.u64(u64::from(((*self << 1) ^ (*self >> 31)) as u32));
    }
    fn get(input: &mut In) -> Result<Self, SnapshotError> {
        let n = input.u32()?;
        Ok(((n >> 1) as i32) ^ -((n & 1) as i32))
    }
}

impl<T: Persist> Persist for Option<T> {
    fn put(&self, out: &mut Out) {
        match self {
            None => out.u8(0),
            Some(value) => {
                out.u8(1);
                value.put(out);
            }
        }
    }
    fn get(input: &mut In) -> Result<Self, SnapshotError> {
        match input.u8()? {
            0 => Ok(None),
            1 => Ok(Some(T::get(input)?)),
            tag => Err(input.damaged(format!("option tag {tag}"))),
        }
    }
}

impl<T: Persist> Persist for Arc<T> {
    fn put(&self, out: &mut Out) {
        (**self).put(out);
    }
    fn get(input: &mut In) -> Result<Self, SnapshotError> {
        T::get(input).map(Arc::new)
    }
}

impl<A: Persist, B: Persist> Persist for (A, B) {
    fn put(&self, out: &mut Out) {
        self.0.put(out);
        self.1.put(out);
    }
    fn get(input: &mut In) -> Result<Self, SnapshotError> {
        Ok((A::get(input)?, B::get(input)?))
    }
}

/// Writes a collection: its length, then each item.
fn put_items<'a, T: Persist + 'a>(out: &mut Out, len: usize, items: impl Iterator<Item = &'a T>) {
    out.len(len);
    items.for_each(|item| item.put(out));
}

/// Writes a map: its length, then each key followed by its value.
fn put_entries<'a, K: Persist + 'a, V: Persist + 'a>(
    out: &mut Out,
    len: usize,
    entries: impl Iterator<Item = (&'a K, &'a V)>,
) {
    out.len(len);
    for (key, value) in entries {
        key.put(out);
        value.put(out);
    }
}

/// Reads what [`put_items`] (or, with `T` a pair, [`put_entries`]) wrote, handing each item
/// to `take` in order.
fn get_items<T: Persist>(input: &mut In, mut take: impl FnMut(T)) -> Result<(), SnapshotError> {
    for _ in 0..input.len()? {
        take(T::get(input)?);
    }
    Ok(())
}

impl<T: Persist + Clone> Persist for IdList<T> {
    fn put(&self, out: &mut Out) {
        put_items(out, self.len(), self.iter());
    }
    fn get(input: &mut In) -> Result<Self, SnapshotError> {
        let mut list = IdList::new();
        get_items(input, |item| list.push(item))?;
        Ok(list)
    }
}

impl<T: Persist + Clone> Persist for Vector<T> {
    fn put(&self, out: &mut Out) {
        put_items(out, self.len(), self.iter());
    }
    fn get(input: &mut In) -> Result<Self, SnapshotError> {
        let mut vector = Vector::new();
        get_items(input, |item| vector.push_back(item))?;
        Ok(vector)
    }
}

impl<K: Persist + Ord + Clone, V: Persist + Clone> Persist for OrdMap<K, V> {
    fn put(&self, out: &mut Out) {
        put_entries(out, self.len(), self.iter());
    }
    fn get(input: &mut In) -> Result<Self, SnapshotError> {
        let mut map = OrdMap::new();
        get_items(input, |(key, value)| {
            map.insert(key, value);
        })?;
        Ok(map)
    }
}

/// How a map's entries are written: an entity map's as the entity alone (it holds its own id,
/// which is its key), any other map's as the key, then the value.
trait PersistEntry: LeafEntry {
    fn put_entry(key: &Self::Key, value: &Self::Value, out: &mut Out);
    fn get_entry(input: &mut In) -> Result<(Self::Key, Self::Value), SnapshotError>;
}

impl<K: Persist + Clone, V: Persist + Clone> PersistEntry for KeyValueEntry<K, V> {
    fn put_entry(key: &K, value: &V, out: &mut Out) {
        key.put(out);
        value.put(out);
    }
    fn get_entry(input: &mut In) -> Result<(K, V), SnapshotError> {
        Ok((K::get(input)?, V::get(input)?))
    }
}

impl<V> PersistEntry for ValueOnlyEntry<V>
where
    V: Persist + HasKey + Clone,
    V::Key: Clone + PartialEq,
{
    fn put_entry(_: &V::Key, value: &V, out: &mut Out) {
        value.put(out);
    }
    fn get_entry(input: &mut In) -> Result<(V::Key, V), SnapshotError> {
        let value = V::get(input)?;
        Ok((value.key().clone(), value))
    }
}

/// The entity, handle and index maps, written in the map's own order and read back into a
/// map built in one pass (see `KeyMap::from_entries`).
macro_rules! persist_hash_map {
    ($map:ident, $($key_bound:path),*) => {
        impl<K, V, E> Persist for $map<K, V, E>
        where
            K: std::hash::Hash + Clone $(+ $key_bound)*,
            V: Clone,
            E: PersistEntry<Key = K, Value = V> + Send + Sync,
        {
            fn put(&self, out: &mut Out) {
                out.len(self.len());
                for (key, value) in self.iter() {
                    E::put_entry(key, value, out);
                }
            }
            fn get(input: &mut In) -> Result<Self, SnapshotError> {
                let len = input.len()?;
                let mut entries = Vec::new();
                for _ in 0..len {
                    entries.push(E::get_entry(input)?);
                }
                Ok($map::from_entries(entries))
            }
        }
    };
}

persist_hash_map!(KeyMap, Ord);

fn put_uuid(out: &mut Out, uuid: Uuid) {
    out.bytes(uuid.as_bytes());
}

fn get_uuid(input: &mut In) -> Result<Uuid, SnapshotError> {
    let bytes = input.bytes(16)?;
    Ok(Uuid::from_slice(bytes).expect("16 bytes"))
}

macro_rules! persist_id {
    ($($id:ident),*) => {$(
        impl Persist for $id {
            fn put(&self, out: &mut Out) {
                put_uuid(out, self.as_uuid());
            }
            fn get(input: &mut In) -> Result<Self, SnapshotError> {
                get_uuid(input).map($id::from_uuid)
            }
        }
    )*};
}

persist_id!(AreaId, BodyId, PostId, PersonId, AssemblyId, MandateId);

impl Persist for EntityId {
    fn put(&self, out: &mut Out) {
        let (tag, uuid) = match self {
            EntityId::Area(id) => (0, id.as_uuid()),
            EntityId::Body(id) => (1, id.as_uuid()),
            EntityId::Post(id) => (2, id.as_uuid()),
            EntityId::Person(id) => (3, id.as_uuid()),
            EntityId::Assembly(id) => (4, id.as_uuid()),
            EntityId::Mandate(id) => (5, id.as_uuid()),
        };
        out.u8(tag);
        put_uuid(out, uuid);
    }
    fn get(input: &mut In) -> Result<Self, SnapshotError> {
        let tag = input.u8()?;
        let uuid = get_uuid(input)?;
        Ok(match tag {
            0 => EntityId::Area(AreaId::from_uuid(uuid)),
            1 => EntityId::Body(BodyId::from_uuid(uuid)),
            2 => EntityId::Post(PostId::from_uuid(uuid)),
            3 => EntityId::Person(PersonId::from_uuid(uuid)),
            4 => EntityId::Assembly(AssemblyId::from_uuid(uuid)),
            5 => EntityId::Mandate(MandateId::from_uuid(uuid)),
            _ => return Err(input.damaged(format!("entity kind {tag}"))),
        })
    }
}

impl Persist for Handle {
    fn put(&self, out: &mut Out) {
        out.str(self.as_str());
    }
    fn get(input: &mut In) -> Result<Self, SnapshotError> {
        let text = input.str()?;
        input.valid(Handle::parse(text))
    }
}

/// Names are written as `0` and the names, the first time in a section, and as `n` for the
/// `n`th names written in the section after that: a reader gets back one shared copy where
/// the state had one.
impl Persist for Names {
    fn put(&self, out: &mut Out) {
        let written = out.names_written.len() as u64;
        match out.names_written.entry(self.allocation()) {
            std::collections::hash_map::Entry::Occupied(earlier) => {
                let earlier = *earlier.get();
                out.u64(earlier + 1);
                return;
            }
            std::collections::hash_map::Entry::Vacant(first) => {
                first.insert(written);
            }
        }
        out.u8(0);
        out.str(self.text());
        out.len(self.others().len());
        self.lang().map(|l| l.as_str()).put_text(out);
        for other in self.others() {
            out.str(other.text());
            other.lang().map(|l| l.as_str()).put_text(out);
        }
    }
    fn get(input: &mut In) -> Result<Self, SnapshotError> {
        let earlier = input.u64()?;
        if earlier > 0 {
            let index = usize::try_from(earlier - 1).unwrap_or(usize::MAX);
            return match input.names_read.get(index) {
                Some(names) => Ok(names.clone()),
                None => Err(input.damaged(format!(
                    "a reference to names {earlier} of {}",
                    input.names_read.len()
                ))),
            };
        }
        let text = input.str()?;
        let others = input.len()?;
        let lang = get_opt_text(input)?;
        let mut names = input.valid(Names::tagged(text, lang))?;
        for _ in 0..others {
            let text = input.str()?;
            let lang = get_opt_text(input)?;
            names = input.valid(names.with_other(text, lang))?;
        }
        input.names_read.push(names.clone());
        Ok(names)
    }
}

trait PutText {
    fn put_text(self, out: &mut Out);
}

impl PutText for Option<&str> {
    fn put_text(self, out: &mut Out) {
        match self {
            None => out.u8(0),
            Some(text) => {
                out.u8(1);
                out.str(text);
            }
        }
    }
}

fn get_opt_text<'a>(input: &mut In<'a>) -> Result<Option<&'a str>, SnapshotError> {
    match input.u8()? {
        0 => Ok(None),
        1 => input.str().map(Some),
        tag => Err(input.damaged(format!("option tag {tag}"))),
    }
}

macro_rules! persist_text {
    ($($ty:ident),*) => {$(
        impl Persist for $ty {
            fn put(&self, out: &mut Out) {
                out.str(self.as_str());
            }
            fn get(input: &mut In) -> Result<Self, SnapshotError> {
                let text = input.str()?;
                input.valid($ty::new(text))
            }
        }
    )*};
}

persist_text!(Note, Code, BodyKind);

impl Persist for EdtfDate {
    fn put(&self, out: &mut Out) {
        out.str(&self.to_string());
    }
    fn get(input: &mut In) -> Result<Self, SnapshotError> {
        let text = input.str()?;
        input.valid(text.parse::<EdtfDate>())
    }
}

/// Fieldless enums as their variant's index.
macro_rules! persist_unit_enum {
    ($ty:ident { $($variant:ident),* $(,)? }) => {
        impl Persist for $ty {
            fn put(&self, out: &mut Out) {
                const ALL: &[$ty] = &[$($ty::$variant),*];
                let index = ALL.iter().position(|v| v == self).expect("every variant is listed");
                out.u8(index as u8);
            }
            fn get(input: &mut In) -> Result<Self, SnapshotError> {
                const ALL: &[$ty] = &[$($ty::$variant),*];
                let index = input.u8()?;
                ALL.get(usize::from(index)).copied().ok_or_else(|| {
                    input.damaged(format!(concat!(stringify!($ty), " variant {}"), index))
                })
            }
        }
    };
}

persist_unit_enum!(AreaKind {
    Region,
    Province,
    Prefecture,
    Commune,
    Other
});
persist_unit_enum!(Gender {
    Female,
    Male,
    Other
});
persist_unit_enum!(AssemblyKind {
    FoundingGeneralAssembly,
    GeneralAssembly,
    Congress,
    CouncilSession,
    BureauMeeting,
    Other,
});
persist_unit_enum!(EndReason {
    Resigned,
    Removed,
    TermExpired,
    Died,
    BodyDissolved,
    Replaced,
});
persist_unit_enum!(DateField {
    FoundedOn,
    DissolvedOn,
    EstablishedOn,
    AbolishedOn,
    HeldOn,
    From,
    To,
});

impl Persist for Seats {
    fn put(&self, out: &mut Out) {
        // 0 is unlimited: a limited post has at least one seat.
        out.u64(u64::from(self.limit().unwrap_or(0)));
    }
    fn get(input: &mut In) -> Result<Self, SnapshotError> {
        match input.u32()? {
            0 => Ok(Seats::Unlimited),
            n => Seats::limited(n).ok_or_else(|| input.damaged(format!("{n} seats"))),
        }
    }
}

/// Structs field by field, in declaration order. `put` destructures the struct without `..`,
/// so a field added to a state type fails to compile here until the snapshot carries it.
macro_rules! persist_struct {
    ($ty:ident $(<$generic:ident>)? { $($field:ident),* $(,)? }) => {
        impl$(<$generic: Persist>)? Persist for $ty$(<$generic>)? {
            fn put(&self, out: &mut Out) {
                let $ty { $($field),* } = self;
                $($field.put(out);)*
            }
            fn get(input: &mut In) -> Result<Self, SnapshotError> {
                // Fields are read in the order they are listed, the order `put` wrote them.
                Ok($ty { $($field: Persist::get(input)?),* })
            }
        }
    };
}

persist_struct!(Tally {
    votes_for,
    against,
    abstain,
});

impl Persist for Appointer {
    fn put(&self, out: &mut Out) {
        match self {
            Appointer::Person(id) => put_tagged(out, 0, id),
            Appointer::Body(id) => put_tagged(out, 1, id),
        }
    }
    fn get(input: &mut In) -> Result<Self, SnapshotError> {
        match input.u8()? {
            0 => PersonId::get(input).map(Appointer::Person),
            1 => BodyId::get(input).map(Appointer::Body),
            tag => Err(input.damaged(format!("appointer tag {tag}"))),
        }
    }
}

impl Persist for Constituency {
    fn put(&self, out: &mut Out) {
        match self {
            Constituency::Area(id) => put_tagged(out, 0, id),
            Constituency::Body(id) => put_tagged(out, 1, id),
        }
    }
    fn get(input: &mut In) -> Result<Self, SnapshotError> {
        match input.u8()? {
            0 => AreaId::get(input).map(Constituency::Area),
            1 => BodyId::get(input).map(Constituency::Body),
            tag => Err(input.damaged(format!("constituency tag {tag}"))),
        }
    }
}

impl Persist for Basis<Appointer> {
    fn put(&self, out: &mut Out) {
        match self {
            Basis::Elected => out.u8(0),
            Basis::ElectedUnanimously => out.u8(1),
            Basis::ElectedByMajority(tally) => {
                out.u8(2);
                tally.put(out);
            }
            Basis::ElectedByAcclamation => out.u8(3),
            Basis::ChosenByConsensus => out.u8(4),
            Basis::Appointed { by } => {
                out.u8(5);
                by.put(out);
            }
            Basis::CoOpted => out.u8(6),
            Basis::ExOfficio => out.u8(7),
            Basis::NotStated => out.u8(8),
        }
    }
    fn get(input: &mut In) -> Result<Self, SnapshotError> {
        Ok(match input.u8()? {
            0 => Basis::Elected,
            1 => Basis::ElectedUnanimously,
            2 => Basis::ElectedByMajority(Tally::get(input)?),
            3 => Basis::ElectedByAcclamation,
            4 => Basis::ChosenByConsensus,
            5 => Basis::Appointed {
                by: Option::get(input)?,
            },
            6 => Basis::CoOpted,
            7 => Basis::ExOfficio,
            8 => Basis::NotStated,
            tag => return Err(input.damaged(format!("basis tag {tag}"))),
        })
    }
}

impl Persist for Vote {
    fn put(&self, out: &mut Out) {
        match self {
            Vote::Unanimous => out.u8(0),
            Vote::Majority(tally) => {
                out.u8(1);
                tally.put(out);
            }
            Vote::Acclamation => out.u8(2),
            Vote::Consensus => out.u8(3),
            Vote::NotStated => out.u8(4),
        }
    }
    fn get(input: &mut In) -> Result<Self, SnapshotError> {
        Ok(match input.u8()? {
            0 => Vote::Unanimous,
            1 => Vote::Majority(Tally::get(input)?),
            2 => Vote::Acclamation,
            3 => Vote::Consensus,
            4 => Vote::NotStated,
            tag => return Err(input.damaged(format!("vote tag {tag}"))),
        })
    }
}

persist_struct!(Dated<T> {
    since,
    value,
    position,
});

persist_struct!(Dissolution { on, note, position });

persist_struct!(Abolition { on, position });

persist_struct!(MandateEnd {
    on,
    reason,
    position,
});

persist_struct!(AttendanceEntry {
    person,
    capacity,
    position,
});

persist_struct!(Resolution { title, text, vote });

persist_struct!(Slot { mandate, lo, hi });

persist_struct!(Area {
    id,
    handle,
    name,
    kind,
    parent,
    code,
    children,
    history,
});

persist_struct!(Person {
    id,
    handle,
    name,
    gender,
    mandates,
    attended,
    history,
});

persist_struct!(Body {
    id,
    handle,
    kind,
    area,
    founded_on,
    dissolution,
    names,
    parents,
    children,
    posts,
    mandates,
    assemblies,
    history,
});

persist_struct!(Post {
    id,
    handle,
    body,
    title,
    seats,
    established_on,
    abolition,
    slots,
    history,
});

/// Field by field as `persist_struct!` would, the details among them in their old places;
/// destructured without `..`, like the others.
impl Persist for Assembly {
    fn put(&self, out: &mut Out) {
        let Assembly {
            id,
            handle,
            body,
            kind,
            ordinal,
            held_on,
            resolutions,
            history,
            details: _put_through_the_accessors,
        } = self;
        id.put(out);
        handle.put(out);
        body.put(out);
        kind.put(out);
        ordinal.put(out);
        held_on.put(out);
        self.venue().cloned().put(out);
        self.name().cloned().put(out);
        self.attendance().put(out);
        resolutions.put(out);
        self.mandates().put(out);
        history.put(out);
    }

    fn get(input: &mut In) -> Result<Self, SnapshotError> {
        let id = Persist::get(input)?;
        let handle = Persist::get(input)?;
        let body = Persist::get(input)?;
        let kind = Persist::get(input)?;
        let ordinal = Persist::get(input)?;
        let held_on = Persist::get(input)?;
        let venue = Persist::get(input)?;
        let name = Persist::get(input)?;
        let attendance = Persist::get(input)?;
        let resolutions: IdList<Arc<Resolution>> = Persist::get(input)?;
        let resolutions = resolutions
            .iter()
            .map(|r| input.resolutions_read.share(r))
            .collect();
        let mandates = Persist::get(input)?;
        let mut assembly = Assembly {
            id,
            handle,
            body,
            kind,
            ordinal,
            held_on,
            resolutions,
            history: Persist::get(input)?,
            details: None,
        };
        assembly.change_details(|details| {
            *details = AssemblyDetails {
                venue,
                name,
                attendance,
                mandates,
            }
        });
        Ok(assembly)
    }
}

persist_struct!(Mandate {
    id,
    handle,
    person,
    post,
    body,
    from,
    end,
    basis,
    assembly,
    constituency,
    history,
});

/// A variant's tag, then its value.
fn put_tagged<T: Persist>(out: &mut Out, tag: u8, value: &T) {
    out.u8(tag);
    value.put(out);
}

impl Persist for Effect {
    fn put(&self, out: &mut Out) {
        match self {
            Effect::Created(id) => put_tagged(out, 0, id),
            Effect::Renamed(id) => put_tagged(out, 1, id),
            Effect::Moved(id) => put_tagged(out, 2, id),
            Effect::Dissolved(id) => put_tagged(out, 3, id),
            Effect::Abolished(id) => put_tagged(out, 4, id),
            Effect::Attended(id) => put_tagged(out, 5, id),
            Effect::Resolved(id) => put_tagged(out, 6, id),
            Effect::Ended(id) => put_tagged(out, 7, id),
            Effect::NameCorrected(id) => put_tagged(out, 8, id),
            Effect::DateCorrected(id, field) => put_tagged(out, 9, &(*id, *field)),
            Effect::ConstituencyCorrected(id) => put_tagged(out, 10, id),
            Effect::Retraction => out.u8(11),
        }
    }
    fn get(input: &mut In) -> Result<Self, SnapshotError> {
        Ok(match input.u8()? {
            0 => Effect::Created(Persist::get(input)?),
            1 => Effect::Renamed(Persist::get(input)?),
            2 => Effect::Moved(Persist::get(input)?),
            3 => Effect::Dissolved(Persist::get(input)?),
            4 => Effect::Abolished(Persist::get(input)?),
            5 => Effect::Attended(Persist::get(input)?),
            6 => Effect::Resolved(Persist::get(input)?),
            7 => Effect::Ended(Persist::get(input)?),
            8 => Effect::NameCorrected(Persist::get(input)?),
            9 => Effect::DateCorrected(Persist::get(input)?, Persist::get(input)?),
            10 => Effect::ConstituencyCorrected(Persist::get(input)?),
            11 => Effect::Retraction,
            tag => return Err(input.damaged(format!("effect tag {tag}"))),
        })
    }
}

/// Writes the two sections; returns where the second starts.
fn put_registry(registry: &Registry, out: &mut Out) -> u64 {
    let Registry {
        position,
        handles: _rebuilt_from_the_entities,
        areas,
        people,
        bodies,
        posts,
        assemblies,
        mandates,
        tombstones,
        log,
        retracted,
        name_corrections,
        date_corrections,
        constituency_corrections,
        search,
        shared_names: _a_cache_the_next_writes_rebuild,
        shared_resolutions: _another_such_cache,
    } = registry;
    position.put(out);
    people.put(out);
    assemblies.put(out);
    let second = out.offset();
    // Each section is read on its own: names are referred back to within one only.
    out.names_written.clear();
    areas.put(out);
    bodies.put(out);
    posts.put(out);
    mandates.put(out);
    tombstones.put(out);
    log.put(out);
    retracted.put(out);
    name_corrections.put(out);
    date_corrections.put(out);
    constituency_corrections.put(out);
    search.put(out);
    second
}

/// The second section: the areas, bodies, posts, mandates and everything after them.
struct Rest {
    areas: EntityMap<AreaId, Area>,
    bodies: EntityMap<BodyId, Body>,
    posts: EntityMap<PostId, Post>,
    mandates: EntityMap<MandateId, Mandate>,
    tombstones: KeyMap<EntityId, IdList<u32>>,
    log: Vector<Effect>,
    retracted: OrdMap<u64, u64>,
    name_corrections: OrdMap<EntityId, crate::registry::CorrectionStack<Option<Names>>>,
    date_corrections:
        OrdMap<(EntityId, DateField), crate::registry::CorrectionStack<Option<EdtfDate>>>,
    constituency_corrections:
        OrdMap<MandateId, crate::registry::CorrectionStack<Option<Constituency>>>,
    search: crate::search::TokenIndex<EntityId>,
}

impl Rest {
    /// The handles of its areas, bodies, posts and mandates.
    fn handles(&self) -> Vec<(Handle, EntityId)> {
        let areas = self.areas.values().map(|e| handle_entry(&e.handle, e.id));
        let bodies = self.bodies.values().map(|e| handle_entry(&e.handle, e.id));
        let posts = self.posts.values().map(|e| handle_entry(&e.handle, e.id));
        let mandates =
            (self.mandates.values()).filter_map(|m| Some(handle_entry(m.handle.as_ref()?, m.id)));
        areas.chain(bodies).chain(posts).chain(mandates).collect()
    }
}

/// An entity's entry in the handle map.
fn handle_entry(handle: &Handle, id: impl Into<EntityId>) -> (Handle, EntityId) {
    (handle.clone(), id.into())
}

fn get_rest(input: &mut In) -> Result<Rest, SnapshotError> {
    Ok(Rest {
        areas: Persist::get(input)?,
        bodies: Persist::get(input)?,
        posts: Persist::get(input)?,
        mandates: Persist::get(input)?,
        tombstones: Persist::get(input)?,
        log: Persist::get(input)?,
        retracted: Persist::get(input)?,
        name_corrections: Persist::get(input)?,
        date_corrections: Persist::get(input)?,
        constituency_corrections: Persist::get(input)?,
        search: Persist::get(input)?,
    })
}

/// Reads the two sections on two threads (decoding is allocation- and cache-miss-bound, so
/// a second core nearly halves it), then joins them.
fn get_registry(bytes: &[u8], start: usize) -> Result<Registry, SnapshotError> {
    let Some(trailer_at) = bytes.len().checked_sub(TRAILER_LEN).filter(|t| *t >= start) else {
        return Err(SnapshotError::Truncated { at: bytes.len() });
    };
    let trailer = &bytes[trailer_at..];
    if &trailer[8..] != END {
        return Err(SnapshotError::Damaged {
            at: trailer_at,
            what: "it does not end with its trailer (cut short, or followed by other bytes)"
                .to_owned(),
        });
    }
    let second = u64::from_le_bytes(trailer[..8].try_into().expect("8 bytes"));
    let second = usize::try_from(second)
        .ok()
        .filter(|second| (start..=trailer_at).contains(second))
        .ok_or(SnapshotError::Damaged {
            at: trailer_at,
            what: format!("the second section starts at {second}, outside the snapshot"),
        })?;
    let (first, rest) = std::thread::scope(|scope| {
        let rest = scope.spawn(|| {
            let mut input = In::new(&bytes[..trailer_at], second);
            let rest = get_rest(&mut input)?;
            input.at_end("the second section")?;
            let handles = rest.handles();
            Ok::<_, SnapshotError>((rest, handles))
        });
        let first = get_first(&bytes[..second], start);
        let rest = rest
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (first, rest)
    });
    let (mut registry, mut handles) = first?;
    let (rest, rest_handles) = rest?;
    handles.extend(rest_handles);
    // In one pass: inserting half a million handles one by one rebuilds a leaf at each.
    registry.handles = KeyMap::from_entries(handles);
    registry.areas = rest.areas;
    registry.bodies = rest.bodies;
    registry.posts = rest.posts;
    registry.mandates = rest.mandates;
    registry.tombstones = rest.tombstones;
    registry.log = rest.log;
    registry.retracted = rest.retracted;
    registry.name_corrections = rest.name_corrections;
    registry.date_corrections = rest.date_corrections;
    registry.constituency_corrections = rest.constituency_corrections;
    registry.search = rest.search;
    Ok(registry)
}

/// The first section, and the handles of its people and assemblies (the second section's
/// entities add theirs after).
fn get_first(
    bytes: &[u8],
    start: usize,
) -> Result<(Registry, Vec<(Handle, EntityId)>), SnapshotError> {
    let mut input = In::new(bytes, start);
    let registry = Registry {
        position: Persist::get(&mut input)?,
        people: Persist::get(&mut input)?,
        assemblies: Persist::get(&mut input)?,
        ..Registry::default()
    };
    input.at_end("the first section")?;
    let people = registry.people().map(|e| handle_entry(&e.handle, e.id));
    let assemblies = registry.assemblies().map(|e| handle_entry(&e.handle, e.id));
    let handles = people.chain(assemblies).collect();
    Ok((registry, handles))
}
