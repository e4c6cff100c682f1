//! [`KeyMap`]: the persistent hash map behind the registry's entity and handle maps.
//!
//! Why not `imbl::HashMap`: its leaves are fixed arrays of 16 or 32 slots, and with the
//! registry's sizes (100,000 to 600,000 keys) a leaf holds 4 to 12 entries, so a 24-byte
//! entry costs about 80 bytes. A `KeyMap` is a hash trie of 16-way branches whose leaves
//! are sorted slices of exactly their length, up to [`LEAF_LEN_MAX`] entries: an entry
//! costs its own size plus a few bytes, and a write after a clone copies one branch per
//! level and one leaf. Copying a branch touches the reference count of each of its children,
//! each in its own cache line: 16-way branches halve that against 32-way ones for one more
//! level on a lookup, which made a state kept per batch 26 to 31 % faster to build and left
//! lookups and in-place writes where they were (`docs/performance.md`, Domain). A leaf's
//! entries sit in the allocation its `Arc` points to (not behind a `Vec` in it): a lookup
//! then misses the cache once per leaf, not twice, and finds keys as fast as imbl's map does
//! (rosters measured as fast or faster than with imbl, where leaves behind a `Vec` made them
//! 10 to 27 % slower). A write that adds or removes an entry builds a new leaf; if no
//! snapshot shares the old one, it moves the entries instead of cloning them (which would
//! touch the reference counts of the values).
//!
//! Each entry keeps 32 bits of its key's hash, and leaves are sorted by them: a lookup
//! compares integers and reads a key only when they are equal, which for a handle saves a
//! cache miss per comparison (its text is behind a pointer). How an entry holds its key is
//! the map's third parameter (see [`LeafEntry`]): by default beside the value
//! ([`KeyValueEntry`]; the 4 bytes of hash fit in the padding of a handle entry), while an
//! entity map's entry is the hash and the entity's `Arc` alone ([`ValueOnlyEntry`], 16 bytes
//! instead of 32): the entity holds its own id, and a lookup reads it through the `Arc` only
//! when the hash bits are equal, where the caller was about to read the entity anyway.
//!
//! Iteration order is the trie's (hash nibbles, then key order within a leaf): stable for
//! the same keys, unrelated to insertion order.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{BuildHasher, BuildHasherDefault, Hash};
use std::marker::PhantomData;
use std::sync::Arc;

use crate::registry::KeyHasher;

/// Most entries in a leaf before it splits into a branch (unless its keys' hashes are equal
/// down to the last level). Also the most a write copies in a leaf shared with a snapshot.
pub const LEAF_LEN_MAX: usize = 32;
/// [`KeyMap::from_entries`] builds maps of at least this many entries on two threads: such a
/// build takes milliseconds, and starting a thread tens of microseconds.
const BUILD_IN_TWO_MIN: usize = 1 << 14;

/// Hash bits consumed per level: 16-way branches (see the module's comment for why not 32).
const BITS_PER_LEVEL: u32 = 4;
const BRANCH_WIDTH: usize = 1 << BITS_PER_LEVEL;
/// Below this depth the hash has no bits left; leaves there hold every colliding key.
const DEPTH_MAX: u32 = u64::BITS / BITS_PER_LEVEL;

/// A persistent map from ids or handles to values; cloning is O(1). `E` is how a leaf
/// stores an entry (see [`LeafEntry`]); it changes the map's size, not its behaviour.
pub struct KeyMap<K, V, E = KeyValueEntry<K, V>> {
    root: Node<E>,
    len: usize,
    /// The keys and values are the entries' (`fn` keeps `K` and `V` from deciding whether
    /// the map is `Send` or `Sync`: the entries do).
    entries: PhantomData<fn() -> (K, V)>,
}

/// What a leaf stores for one entry: the high half of its key's hash (the trie's levels use
/// the low half first), and its key and value.
pub trait LeafEntry: Clone {
    type Key;
    type Value;

    fn new(hash: u32, key: Self::Key, value: Self::Value) -> Self;
    fn hash(&self) -> u32;
    fn key(&self) -> &Self::Key;
    fn value(&self) -> &Self::Value;
    fn value_mut(&mut self) -> &mut Self::Value;
    fn into_value(self) -> Self::Value;
    /// Whether `key` may be stored with `value` (a value that holds its own key must hold
    /// this one): for a reader of outside data (a deserialized map) to refuse what
    /// [`LeafEntry::new`] would store wrongly.
    fn fits(key: &Self::Key, value: &Self::Value) -> bool;
}

/// The key beside its value: for keys that are not part of the value.
#[derive(Clone)]
pub struct KeyValueEntry<K, V> {
    hash: u32,
    key: K,
    value: V,
}

impl<K: Clone, V: Clone> LeafEntry for KeyValueEntry<K, V> {
    type Key = K;
    type Value = V;

    fn new(hash: u32, key: K, value: V) -> Self {
        KeyValueEntry { hash, key, value }
    }
    fn hash(&self) -> u32 {
        self.hash
    }
    fn key(&self) -> &K {
        &self.key
    }
    fn value(&self) -> &V {
        &self.value
    }
    fn value_mut(&mut self) -> &mut V {
        &mut self.value
    }
    fn into_value(self) -> V {
        self.value
    }
    fn fits(_: &K, _: &V) -> bool {
        true
    }
}

/// A value that holds its own key (an entity behind an `Arc`, which holds its id).
pub trait HasKey {
    type Key;
    fn key(&self) -> &Self::Key;
}

impl<T: HasKey> HasKey for Arc<T> {
    type Key = T::Key;
    fn key(&self) -> &T::Key {
        (**self).key()
    }
}

/// The value alone, its key read from it: for values that hold their key, which would
/// otherwise be stored twice. [`KeyMap::get_mut`] hands the value out mutably, so whoever
/// changes it must not change its key (an entity's id is fixed when it is created).
#[derive(Clone)]
pub struct ValueOnlyEntry<V> {
    hash: u32,
    value: V,
}

impl<V: HasKey + Clone> LeafEntry for ValueOnlyEntry<V>
where
    V::Key: PartialEq,
{
    type Key = V::Key;
    type Value = V;

    fn new(hash: u32, key: V::Key, value: V) -> Self {
        debug_assert!(
            Self::fits(&key, &value),
            "a value stored under another key than its own"
        );
        ValueOnlyEntry { hash, value }
    }
    fn hash(&self) -> u32 {
        self.hash
    }
    fn key(&self) -> &V::Key {
        self.value.key()
    }
    fn value(&self) -> &V {
        &self.value
    }
    fn value_mut(&mut self) -> &mut V {
        &mut self.value
    }
    fn into_value(self) -> V {
        self.value
    }
    fn fits(key: &V::Key, value: &V) -> bool {
        value.key() == key
    }
}

enum Node<E> {
    Empty,
    /// Sorted by hash, then key; never empty.
    Leaf(Arc<[Held<E>]>),
    Branch(Arc<[Node<E>; BRANCH_WIDTH]>),
}

/// An entry as a leaf holds it: always `Some`, except while a write that owns the leaf moves
/// its entries into a longer or shorter one (an `Arc`'s slice cannot give its items up, but
/// an `Option` in it can). The `Option` costs nothing: keys and values here are ids, handles
/// or `Arc`s, whose niche holds the `None`.
type Held<E> = Option<E>;

// The registry's maps hold ids, handles and `Arc`s: `Held` must cost them nothing.
const _: () = assert!(
    std::mem::size_of::<Held<KeyValueEntry<crate::ids::MandateId, Arc<()>>>>()
        == std::mem::size_of::<KeyValueEntry<crate::ids::MandateId, Arc<()>>>()
);
const _: () = assert!(
    std::mem::size_of::<Held<KeyValueEntry<crate::ids::Handle, crate::ids::EntityId>>>()
        == std::mem::size_of::<KeyValueEntry<crate::ids::Handle, crate::ids::EntityId>>()
);
// An entity map's entry: the hash and the `Arc`, half a key-beside-value entry's 32 bytes.
const _: () = assert!(std::mem::size_of::<Held<ValueOnlyEntry<Arc<()>>>>() == 16);

/// The entry a leaf holds (see [`Held`]).
fn held<E>(held: &Held<E>) -> &E {
    held.as_ref()
        .unwrap_or_else(|| unreachable!("a leaf's entries are taken only by a write that owns it"))
}

/// Where `key` is or would be in a leaf.
fn find<E: LeafEntry, Q: Ord + ?Sized>(leaf: &[Held<E>], hash: u64, key: &Q) -> Result<usize, usize>
where
    E::Key: Borrow<Q>,
{
    let high = (hash >> 32) as u32;
    // A forward scan, not a binary search: leaves are short, and reading them in order lets
    // the prefetcher run ahead where a binary search would miss the cache at every probe.
    let start = leaf
        .iter()
        .position(|e| held(e).hash() >= high)
        .unwrap_or(leaf.len());
    for (at, e) in leaf[start..].iter().map(held).enumerate() {
        if e.hash() != high {
            return Err(start + at);
        }
        match e.key().borrow().cmp(key) {
            std::cmp::Ordering::Less => {}
            std::cmp::Ordering::Equal => return Ok(start + at),
            std::cmp::Ordering::Greater => return Err(start + at),
        }
    }
    Err(leaf.len())
}

impl<E> Clone for Node<E> {
    fn clone(&self) -> Self {
        match self {
            Node::Empty => Node::Empty,
            Node::Leaf(leaf) => Node::Leaf(leaf.clone()),
            Node::Branch(branch) => Node::Branch(branch.clone()),
        }
    }
}

impl<K, V, E> Clone for KeyMap<K, V, E> {
    fn clone(&self) -> Self {
        KeyMap {
            root: self.root.clone(),
            len: self.len,
            entries: PhantomData,
        }
    }
}

impl<K, V, E> Default for KeyMap<K, V, E> {
    fn default() -> Self {
        KeyMap {
            root: Node::Empty,
            len: 0,
            entries: PhantomData,
        }
    }
}

fn hash_of<Q: Hash + ?Sized>(key: &Q) -> u64 {
    BuildHasherDefault::<KeyHasher>::default().hash_one(key)
}

/// The branch slot of `hash` at `depth`.
fn slot(hash: u64, depth: u32) -> usize {
    ((hash >> (depth * BITS_PER_LEVEL)) as usize) & (BRANCH_WIDTH - 1)
}

/// The entry of a leaf that a write owns (see [`Held`]).
fn taken<E>(held: &mut Held<E>) -> &mut E {
    held.as_mut()
        .unwrap_or_else(|| unreachable!("a leaf's entries are taken only by a write that owns it"))
}

/// The leaf's entries, with room for `more`: moved out if no snapshot shares the leaf (which
/// leaves it empty, to be replaced), cloned otherwise.
fn entries_of<E: Clone>(leaf: &mut Arc<[Held<E>]>, more: usize) -> Vec<E> {
    let mut entries = Vec::with_capacity(leaf.len() + more);
    match Arc::get_mut(leaf) {
        Some(owned) => entries.extend(owned.iter_mut().filter_map(Option::take)),
        None => entries.extend(leaf.iter().map(|e| held(e).clone())),
    }
    entries
}

/// A leaf of exactly these entries.
fn leaf_of<E>(entries: Vec<E>) -> Node<E> {
    Node::Leaf(entries.into_iter().map(Some).collect())
}

/// The leaf, copied first if a snapshot shares it.
fn unique_leaf<T: Clone>(leaf: &mut Arc<[T]>) -> &mut [T] {
    if Arc::get_mut(leaf).is_none() {
        *leaf = leaf.iter().cloned().collect();
    }
    Arc::get_mut(leaf).unwrap_or_else(|| unreachable!("a fresh Arc is unique"))
}

impl<K, V, E> KeyMap<K, V, E>
where
    K: Clone + Ord + Hash,
    V: Clone,
    E: LeafEntry<Key = K, Value = V>,
{
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Ord + Hash + ?Sized,
    {
        let hash = hash_of(key);
        let mut node = &self.root;
        let mut depth = 0;
        loop {
            match node {
                Node::Empty => return None,
                Node::Leaf(leaf) => {
                    let at = find(leaf, hash, key).ok()?;
                    return Some(held(&leaf[at]).value());
                }
                Node::Branch(branch) => {
                    node = &branch[slot(hash, depth)];
                    depth += 1;
                }
            }
        }
    }

    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + Hash + ?Sized,
    {
        self.get(key).is_some()
    }

    /// The value, made unique first (with the path to it) if a snapshot shares it. With a
    /// [`ValueOnlyEntry`], the value must keep its key.
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Ord + Hash + ?Sized,
    {
        // An absent key costs a copy of its path if a snapshot shares it: rare enough (apply
        // looks up entities its events name) to be cheaper than looking first.
        let hash = hash_of(key);
        let mut node = &mut self.root;
        let mut depth = 0;
        loop {
            match node {
                Node::Empty => return None,
                Node::Leaf(leaf) => {
                    let at = find(leaf, hash, key).ok()?;
                    return Some(taken(&mut unique_leaf(leaf)[at]).value_mut());
                }
                Node::Branch(branch) => {
                    node = &mut Arc::make_mut(branch)[slot(hash, depth)];
                    depth += 1;
                }
            }
        }
    }

    /// Inserts or replaces; returns the value replaced. With a [`ValueOnlyEntry`], `key`
    /// must be the value's own.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        let hash = hash_of(&key);
        let replaced = insert_into(&mut self.root, hash, 0, key, value);
        if replaced.is_none() {
            self.len += 1;
        }
        replaced
    }

    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + Hash + ?Sized,
    {
        if !self.contains_key(key) {
            return None;
        }
        let hash = hash_of(key);
        let removed = remove_from(&mut self.root, hash, 0, key);
        if removed.is_some() {
            self.len -= 1;
        }
        removed
    }

    /// A map of these entries, built in one pass (for a snapshot's read): each leaf is
    /// allocated once, where inserting one entry at a time would rebuild it at every entry.
    /// A later entry replaces an earlier one with the same key, as an insert would; the
    /// trie has the shape inserts would give it. Large maps (a snapshot's entity and handle
    /// maps) are built on two threads.
    pub fn from_entries(entries: Vec<(K, V)>) -> KeyMap<K, V, E>
    where
        E: Send + Sync,
    {
        KeyMap::build_from(entries, BUILD_IN_TWO_MIN)
    }

    /// [`KeyMap::from_entries`], on two threads from `in_two_min` entries on.
    fn build_from(entries: Vec<(K, V)>, in_two_min: usize) -> KeyMap<K, V, E>
    where
        E: Send + Sync,
    {
        let in_two = entries.len() >= in_two_min;
        let hashed = entries.into_iter().map(|(key, value)| {
            let hash = hash_of(&key);
            (hash, E::new((hash >> 32) as u32, key, value))
        });
        let (root, len) = root_of(hashed, in_two);
        KeyMap {
            root,
            len,
            entries: PhantomData,
        }
    }

    /// Entries in trie order (see the module docs).
    pub fn iter(&self) -> Iter<'_, E> {
        Iter {
            stack: vec![std::slice::from_ref(&self.root).iter()],
            leaf: [].iter(),
        }
    }

    pub fn values(&self) -> impl Iterator<Item = &V> + '_ {
        self.iter().map(|(_, v)| v)
    }
}

fn insert_into<E>(
    node: &mut Node<E>,
    hash: u64,
    depth: u32,
    key: E::Key,
    value: E::Value,
) -> Option<E::Value>
where
    E: LeafEntry,
    E::Key: Ord + Hash,
{
    match node {
        Node::Empty => {
            *node = Node::Leaf(Arc::new([Some(E::new((hash >> 32) as u32, key, value))]));
            None
        }
        Node::Branch(branch) => {
            let child = &mut Arc::make_mut(branch)[slot(hash, depth)];
            insert_into(child, hash, depth + 1, key, value)
        }
        Node::Leaf(leaf) => match find(leaf, hash, &key) {
            Ok(at) => {
                debug_assert!(
                    E::fits(&key, &value),
                    "a value stored under another key than its own"
                );
                let entry = taken(&mut unique_leaf(leaf)[at]);
                Some(std::mem::replace(entry.value_mut(), value))
            }
            Err(at) => {
                // A new leaf one entry longer: leaves stay exactly as long as they need to be.
                let mut entries = entries_of(leaf, 1);
                entries.insert(at, E::new((hash >> 32) as u32, key, value));
                *node = if entries.len() > LEAF_LEN_MAX && depth < DEPTH_MAX {
                    split(entries, depth)
                } else {
                    leaf_of(entries)
                };
                None
            }
        },
    }
}

/// The node at `depth` holding `entries` (full hashes beside them, keys distinct): a leaf
/// unless they are more than a leaf holds, as inserts would leave it.
fn build<E>(entries: Vec<(u64, E)>, depth: u32) -> Node<E>
where
    E: LeafEntry,
    E::Key: Ord,
{
    if entries.is_empty() {
        return Node::Empty;
    }
    if entries.len() <= LEAF_LEN_MAX || depth >= DEPTH_MAX {
        let mut entries: Vec<E> = entries.into_iter().map(|(_, e)| e).collect();
        entries.sort_by(|a, b| a.hash().cmp(&b.hash()).then_with(|| a.key().cmp(b.key())));
        return leaf_of(entries);
    }
    let mut parts: [Vec<(u64, E)>; BRANCH_WIDTH] = Default::default();
    for entry in entries {
        parts[slot(entry.0, depth)].push(entry);
    }
    Node::Branch(Arc::new(parts.map(|part| build(part, depth + 1))))
}

/// The root holding these entries (full hashes beside them), and how many distinct keys it
/// holds; built on two threads when `in_two`.
fn root_of<E>(hashed: impl Iterator<Item = (u64, E)>, in_two: bool) -> (Node<E>, usize)
where
    E: LeafEntry + Send + Sync,
    E::Key: Ord,
{
    if !in_two {
        let unique = sorted_unique(hashed.collect());
        let len = unique.len();
        return (build(unique, 0), len);
    }
    // Equal keys have equal hashes, so they land in the same branch of the root: each half
    // of the root's branches is sorted, deduplicated and built on its own.
    let mut parts: [Vec<(u64, E)>; BRANCH_WIDTH] = Default::default();
    for entry in hashed {
        parts[slot(entry.0, 0)].push(entry);
    }
    let parts = in_two_halves(parts, sorted_unique);
    let len = parts.iter().map(Vec::len).sum();
    if len <= LEAF_LEN_MAX {
        // So many duplicates that the root is a leaf after all.
        return (build(parts.into_iter().flatten().collect(), 0), len);
    }
    let children = in_two_halves(parts, |part| build(part, 1));
    (Node::Branch(Arc::new(children)), len)
}

/// Sorted by hash, then key; of equal keys only the last given is kept (the sort is stable).
fn sorted_unique<E>(mut hashed: Vec<(u64, E)>) -> Vec<(u64, E)>
where
    E: LeafEntry,
    E::Key: Ord,
{
    hashed.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.key().cmp(b.1.key())));
    let mut unique: Vec<(u64, E)> = Vec::with_capacity(hashed.len());
    for entry in hashed {
        if unique
            .last()
            .is_some_and(|last| last.0 == entry.0 && last.1.key() == entry.1.key())
        {
            unique.pop();
        }
        unique.push(entry);
    }
    unique
}

/// `work` applied to each part, the upper half of the parts on a second thread.
fn in_two_halves<T: Send, U: Send>(
    parts: [T; BRANCH_WIDTH],
    work: impl Fn(T) -> U + Sync,
) -> [U; BRANCH_WIDTH] {
    let mut parts = Vec::from(parts);
    let upper = parts.split_off(BRANCH_WIDTH / 2);
    let (mut done, upper) = std::thread::scope(|scope| {
        let upper = scope.spawn(|| upper.into_iter().map(&work).collect::<Vec<U>>());
        let lower: Vec<U> = parts.into_iter().map(&work).collect();
        let upper = upper
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (lower, upper)
    });
    done.extend(upper);
    done.try_into()
        .unwrap_or_else(|_| unreachable!("both halves together are BRANCH_WIDTH parts"))
}

/// A branch holding `entries` (sorted) by their hash nibble at `depth`.
fn split<E>(entries: Vec<E>, depth: u32) -> Node<E>
where
    E: LeafEntry,
    E::Key: Hash,
{
    let mut parts: [Vec<E>; BRANCH_WIDTH] = Default::default();
    for entry in entries {
        parts[slot(hash_of(entry.key()), depth)].push(entry);
    }
    let children = parts.map(|part| match part.len() {
        0 => Node::Empty,
        n if n > LEAF_LEN_MAX && depth + 1 < DEPTH_MAX => split(part, depth + 1),
        _ => leaf_of(part),
    });
    Node::Branch(Arc::new(children))
}

fn remove_from<E, Q>(node: &mut Node<E>, hash: u64, depth: u32, key: &Q) -> Option<E::Value>
where
    E: LeafEntry,
    E::Key: Borrow<Q>,
    Q: Ord + ?Sized,
{
    match node {
        Node::Empty => None,
        Node::Branch(branch) => {
            let child = &mut Arc::make_mut(branch)[slot(hash, depth)];
            remove_from(child, hash, depth + 1, key)
        }
        Node::Leaf(leaf) => {
            let at = find(leaf, hash, key).ok()?;
            let mut entries = entries_of(leaf, 0);
            let removed = entries.remove(at).into_value();
            // Branches are not merged back: removals come only from retractions.
            *node = if entries.is_empty() {
                Node::Empty
            } else {
                leaf_of(entries)
            };
            Some(removed)
        }
    }
}

/// Entries of a [`KeyMap`], in trie order.
pub struct Iter<'a, E> {
    /// The nodes still to visit, one slice per level.
    stack: Vec<std::slice::Iter<'a, Node<E>>>,
    leaf: std::slice::Iter<'a, Held<E>>,
}

impl<'a, E: LeafEntry> Iterator for Iter<'a, E> {
    type Item = (&'a E::Key, &'a E::Value);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(entry) = self.leaf.next().map(held) {
                return Some((entry.key(), entry.value()));
            }
            let level = self.stack.last_mut()?;
            match level.next() {
                None => {
                    self.stack.pop();
                }
                Some(Node::Empty) => {}
                Some(Node::Leaf(leaf)) => self.leaf = leaf.iter(),
                Some(Node::Branch(branch)) => self.stack.push(branch.iter()),
            }
        }
    }
}

impl<K, V, E> fmt::Debug for KeyMap<K, V, E>
where
    K: Clone + Ord + Hash + fmt::Debug,
    V: Clone + fmt::Debug,
    E: LeafEntry<Key = K, Value = V>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K, V, E> PartialEq for KeyMap<K, V, E>
where
    K: Clone + Ord + Hash,
    V: Clone + PartialEq,
    E: LeafEntry<Key = K, Value = V>,
{
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl<K, V, E> Eq for KeyMap<K, V, E>
where
    K: Clone + Ord + Hash,
    V: Clone + Eq,
    E: LeafEntry<Key = K, Value = V>,
{
}

impl<K, V, E> FromIterator<(K, V)> for KeyMap<K, V, E>
where
    K: Clone + Ord + Hash,
    V: Clone,
    E: LeafEntry<Key = K, Value = V>,
{
    fn from_iter<I: IntoIterator<Item = (K, V)>>(entries: I) -> Self {
        let mut map = KeyMap::default();
        for (key, value) in entries {
            map.insert(key, value);
        }
        map
    }
}

impl<K, V, E> serde::Serialize for KeyMap<K, V, E>
where
    K: Clone + Ord + Hash + serde::Serialize,
    V: Clone + serde::Serialize,
    E: LeafEntry<Key = K, Value = V>,
{
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de, K, V, E> serde::Deserialize<'de> for KeyMap<K, V, E>
where
    K: Clone + Ord + Hash + serde::Deserialize<'de>,
    V: Clone + serde::Deserialize<'de>,
    E: LeafEntry<Key = K, Value = V>,
{
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let entries = std::collections::BTreeMap::<K, V>::deserialize(deserializer)?;
        if entries.iter().any(|(key, value)| !E::fits(key, value)) {
            return Err(serde::de::Error::custom(
                "a value under another key than its own",
            ));
        }
        Ok(entries.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Keys that collide in every hash nibble cannot be told apart by the trie: they share a
    /// leaf at the last level, however many there are.
    #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Debug)]
    struct Colliding(u32);

    impl Hash for Colliding {
        fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
            state.write_u64(7);
        }
    }

    #[test]
    fn colliding_keys_share_the_deepest_leaf() {
        let map: KeyMap<Colliding, u32> = (0..100).map(|i| (Colliding(i), i)).collect();
        assert_eq!(map.len(), 100);
        assert!((0..100).all(|i| map.get(&Colliding(i)) == Some(&i)));
        assert_eq!(map.get(&Colliding(100)), None);
    }

    #[test]
    fn snapshots_are_unaffected_by_later_writes() {
        let mut map: KeyMap<u64, u64> = (0..1_000).map(|i| (i, i)).collect();
        let snapshot = map.clone();
        *map.get_mut(&5).expect("present") = 50;
        map.insert(1_000, 1);
        assert_eq!(map.remove(&6), Some(6));
        assert_eq!(map.remove(&6), None);
        assert_eq!(
            (map.get(&5), map.get(&6), map.len()),
            (Some(&50), None, 1_000)
        );
        assert_eq!((snapshot.get(&5), snapshot.get(&6)), (Some(&5), Some(&6)));
        assert_eq!((snapshot.len(), snapshot.get(&1_000)), (1_000, None));
    }

    /// A value that holds its own key, as entities do.
    #[derive(Clone, PartialEq, Eq, Debug)]
    struct Thing<K> {
        id: K,
        count: u32,
    }

    impl<K> HasKey for Thing<K> {
        type Key = K;
        fn key(&self) -> &K {
            &self.id
        }
    }

    type Things<K> = KeyMap<K, Arc<Thing<K>>, ValueOnlyEntry<Arc<Thing<K>>>>;

    fn thing<K>(id: K, count: u32) -> Arc<Thing<K>> {
        Arc::new(Thing { id, count })
    }

    /// A map storing values alone behaves as one storing keys beside them: with keys of
    /// distinct hashes, and with keys whose hashes are all equal (so that every lookup
    /// reads keys through the values).
    #[test]
    fn values_holding_their_keys() {
        fn check<K: Clone + Ord + Hash + fmt::Debug + Send + Sync>(key: impl Fn(u32) -> K) {
            let mut map: Things<K> = (0..1_000).map(|i| (key(i), thing(key(i), i))).collect();
            assert_eq!(map.len(), 1_000);
            let snapshot = map.clone();

            let replaced = map.insert(key(7), thing(key(7), 70));
            assert_eq!(replaced.map(|t| t.count), Some(7));
            assert_eq!(map.insert(key(1_000), thing(key(1_000), 1)), None);
            Arc::make_mut(map.get_mut(&key(8)).expect("present")).count = 80;
            assert_eq!(map.get_mut(&key(2_000)), None);
            assert_eq!(map.remove(&key(9)).map(|t| t.count), Some(9));
            assert_eq!(map.remove(&key(9)), None);

            assert_eq!(map.len(), 1_000);
            assert_eq!(map.get(&key(7)).map(|t| t.count), Some(70));
            assert_eq!(map.get(&key(8)).map(|t| t.count), Some(80));
            assert_eq!(map.get(&key(9)), None);
            assert_eq!(map.get(&key(1_000)).map(|t| t.count), Some(1));
            assert_eq!(map.get(&key(3_000)), None);
            let mut expected: Vec<(K, u32)> = (0..=1_000)
                .filter(|i| *i != 9)
                .map(|i| {
                    (
                        key(i),
                        [(7, 70), (8, 80), (1_000, 1)]
                            .into_iter()
                            .find(|(at, _)| *at == i)
                            .map_or(i, |(_, c)| c),
                    )
                })
                .collect();
            expected.sort();
            let mut entries: Vec<(K, u32)> = map
                .iter()
                .map(|(k, t)| {
                    assert_eq!(*k, t.id, "a key is its value's");
                    (k.clone(), t.count)
                })
                .collect();
            entries.sort();
            assert_eq!(entries, expected);

            // The clone taken before the writes still has what it had.
            assert_eq!(snapshot.len(), 1_000);
            assert!((0..1_000).all(|i| snapshot.get(&key(i)).map(|t| t.count) == Some(i)));
            assert_eq!(snapshot.get(&key(1_000)), None);

            // Built in one pass: the same entries, in the same order, a later one winning.
            let given: Vec<(K, Arc<Thing<K>>)> = map
                .iter()
                .map(|(k, t)| (k.clone(), t.clone()))
                .chain([(key(7), thing(key(7), 700))])
                .collect();
            let order = |map: &Things<K>| {
                map.iter()
                    .map(|(k, t)| (k.clone(), t.count))
                    .collect::<Vec<_>>()
            };
            map.insert(key(7), thing(key(7), 700));
            // On one thread, and on two as maps past BUILD_IN_TWO_MIN are.
            for in_two_min in [usize::MAX, 0] {
                let built = Things::build_from(given.clone(), in_two_min);
                assert_eq!(order(&built), order(&map));
                assert!(built == map);
            }
        }
        check(u64::from);
        check(Colliding);
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "another key")]
    fn a_value_under_another_key_is_refused() {
        let mut map: Things<u64> = KeyMap::default();
        map.insert(1, thing(2, 0));
    }

    proptest::proptest! {
        /// A map built in one pass from entries is the map inserting them one by one gives,
        /// down to its iteration order (a later entry with the same key winning).
        #[test]
        fn built_in_one_pass_as_inserted(
            entries in proptest::collection::vec((0u16..3_000, 0u32..9), 0..2_000),
        ) {
            let inserted: KeyMap<u16, u32> = entries.iter().copied().collect();
            let order = |map: &KeyMap<u16, u32>| map.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>();
            // On one thread, and on two whatever the size (as maps past BUILD_IN_TWO_MIN are).
            for in_two_min in [usize::MAX, 0] {
                let built = KeyMap::build_from(entries.clone(), in_two_min);
                proptest::prop_assert_eq!(built.len(), inserted.len());
                proptest::prop_assert_eq!(order(&built), order(&inserted));
                proptest::prop_assert!(built == inserted);
            }
        }

        /// Any sequence of inserts and removals leaves the same entries as a `BTreeMap`, and
        /// a clone taken halfway keeps the entries it had.
        #[test]
        fn behaves_as_a_map(
            writes in proptest::collection::vec((0u16..600, proptest::option::of(0u32..9)), 0..2_000),
        ) {
            let mut map: KeyMap<u16, u32> = KeyMap::default();
            let mut model: BTreeMap<u16, u32> = BTreeMap::new();
            let mut halfway = None;
            for (i, (key, write)) in writes.iter().enumerate() {
                if i == writes.len() / 2 {
                    halfway = Some((map.clone(), model.clone()));
                }
                match write {
                    Some(value) => proptest::prop_assert_eq!(map.insert(*key, *value), model.insert(*key, *value)),
                    None => proptest::prop_assert_eq!(map.remove(key), model.remove(key)),
                }
            }
            for (map, model) in [(map, model)].into_iter().chain(halfway) {
                let mut entries: Vec<(u16, u32)> = map.iter().map(|(k, v)| (*k, *v)).collect();
                entries.sort_unstable();
                let expected: Vec<(u16, u32)> = model.into_iter().collect();
                proptest::prop_assert_eq!(map.len(), expected.len());
                proptest::prop_assert_eq!(entries, expected);
            }
        }
    }
}
