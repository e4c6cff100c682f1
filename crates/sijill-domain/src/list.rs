//! [`IdList`]: the persistent, append-mostly list behind every index of the registry (a
//! body's mandates, a person's mandates, an entity's history).
//!
//! Why not `imbl::Vector`: it is 64 bytes inline and allocates 64-slot chunks, so a registry
//! with hundreds of thousands of short lists spends most of its memory on empty slots, and
//! copying persistent-map nodes full of them dominates the cost of a batch. An `IdList` keeps
//! up to two items inline, then a chain of small chunks, newest first. Pushing is amortised O(1) and copies at most
//! [`CHUNK_LEN_MAX`] items when the list is shared with a snapshot; removal (only done when an
//! event is retracted) rebuilds the list.

use std::fmt;
use std::sync::Arc;

/// Most items in one chunk: the most a push copies when the list is shared.
pub const CHUNK_LEN_MAX: usize = 32;

/// A persistent list, cheap to clone. Iterates oldest first. Up to two items are kept
/// inline (most entities have one or two events, one or two mandates), without allocating.
pub struct IdList<T>(Repr<T>);

enum Repr<T> {
    Empty,
    One([T; 1]),
    Two([T; 2]),
    Chunks(Arc<Chunk<T>>),
}

struct Chunk<T> {
    /// Oldest first within the chunk. A boxed slice, not a `Vec`: chunks grow one item at a
    /// time, so a capacity would always equal the length, and there are hundreds of thousands.
    items: Box<[T]>,
    /// The older chunks.
    older: Option<Arc<Chunk<T>>>,
    /// Items in this chunk and all older ones.
    len: usize,
}

impl<T: Clone> Clone for IdList<T> {
    fn clone(&self) -> Self {
        IdList(match &self.0 {
            Repr::Empty => Repr::Empty,
            Repr::One(items) => Repr::One(items.clone()),
            Repr::Two(items) => Repr::Two(items.clone()),
            Repr::Chunks(chunk) => Repr::Chunks(chunk.clone()),
        })
    }
}

impl<T> Default for IdList<T> {
    fn default() -> Self {
        IdList(Repr::Empty)
    }
}

impl<T: Clone> IdList<T> {
    pub const fn new() -> IdList<T> {
        IdList(Repr::Empty)
    }

    pub fn unit(item: T) -> IdList<T> {
        IdList(Repr::One([item]))
    }

    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Empty => 0,
            Repr::One(_) => 1,
            Repr::Two(_) => 2,
            Repr::Chunks(chunk) => chunk.len,
        }
    }

    pub fn is_empty(&self) -> bool {
        matches!(self.0, Repr::Empty)
    }

    /// The inline items, or the newest chunk.
    fn parts(&self) -> (&[T], Option<&Chunk<T>>) {
        match &self.0 {
            Repr::Empty => (&[], None),
            Repr::One(items) => (items, None),
            Repr::Two(items) => (items, None),
            Repr::Chunks(chunk) => (&[], Some(chunk)),
        }
    }

    /// Appends an item.
    pub fn push(&mut self, item: T) {
        let repr = std::mem::replace(&mut self.0, Repr::Empty);
        self.0 = match repr {
            Repr::Empty => Repr::One([item]),
            Repr::One([a]) => Repr::Two([a, item]),
            Repr::Two([a, b]) => {
                let items = Box::new([a, b, item]) as Box<[T]>;
                Repr::Chunks(Arc::new(Chunk {
                    items,
                    older: None,
                    len: 3,
                }))
            }
            Repr::Chunks(mut head) if head.items.len() < CHUNK_LEN_MAX => {
                // Copies the head chunk only if a snapshot shares it.
                let chunk = unique(&mut head);
                // One item at a time, not doubling: most lists stop growing after a few
                // items, and hundreds of thousands of half-empty vectors add up.
                let mut items = Vec::from(std::mem::take(&mut chunk.items));
                items.reserve_exact(1);
                items.push(item);
                chunk.items = items.into_boxed_slice();
                chunk.len += 1;
                Repr::Chunks(head)
            }
            Repr::Chunks(head) => {
                let len = head.len + 1;
                Repr::Chunks(Arc::new(Chunk {
                    items: Box::new([item]),
                    older: Some(head),
                    len,
                }))
            }
        };
    }

    /// Items newest first, without allocating.
    pub fn iter_rev(&self) -> impl Iterator<Item = &T> + '_ {
        let (inline, chunk) = self.parts();
        let mut chunk = chunk;
        let mut items: std::iter::Rev<std::slice::Iter<'_, T>> = inline.iter().rev();
        std::iter::from_fn(move || loop {
            if let Some(item) = items.next() {
                return Some(item);
            }
            let c = chunk?;
            items = c.items.iter().rev();
            chunk = c.older.as_deref();
        })
    }

    /// Items oldest first. Allocates only for a list of more than one chunk (more than
    /// [`CHUNK_LEN_MAX`] items), to walk its chain from the oldest end.
    pub fn iter(&self) -> Iter<'_, T> {
        let (inline, chunk) = self.parts();
        let mut older: Vec<&Chunk<T>> = Vec::new();
        let mut current: &[T] = &[];
        match chunk {
            None => {}
            Some(only) if only.older.is_none() => current = &only.items,
            Some(newest) => {
                let mut chunk = Some(newest);
                while let Some(c) = chunk {
                    older.push(c);
                    chunk = c.older.as_deref();
                }
                current = older.pop().map_or(&[], |c| &c.items);
            }
        }
        Iter {
            inline: inline.iter(),
            current: current.iter(),
            older,
        }
    }

    /// The oldest item (walks the chain of chunks to the oldest).
    pub fn first(&self) -> Option<&T> {
        match self.parts() {
            (inline, None) => inline.first(),
            (_, Some(mut chunk)) => {
                while let Some(older) = chunk.older.as_deref() {
                    chunk = older;
                }
                chunk.items.first()
            }
        }
    }

    /// The newest item.
    pub fn last(&self) -> Option<&T> {
        match self.parts() {
            (inline, None) => inline.last(),
            (_, Some(chunk)) => chunk.items.last(),
        }
    }

    pub fn contains(&self, item: &T) -> bool
    where
        T: PartialEq,
    {
        self.iter_rev().any(|i| i == item)
    }

    /// Changes the newest item that `find` accepts; returns whether there was one. Copies
    /// only the chunks from the newest to the one changed, if a snapshot shares them.
    pub fn update(&mut self, find: impl Fn(&T) -> bool, change: impl FnOnce(&mut T)) -> bool {
        let head = match &mut self.0 {
            Repr::Empty => return false,
            Repr::One(items) => return update_slice(items, &find, change),
            Repr::Two(items) => return update_slice(items, &find, change),
            Repr::Chunks(head) => head,
        };
        let mut depth = 0;
        let mut chunk: Option<&Chunk<T>> = Some(head);
        let index = loop {
            let Some(c) = chunk else { return false };
            if let Some(i) = c.items.iter().rposition(&find) {
                break i;
            }
            chunk = c.older.as_deref();
            depth += 1;
        };
        let mut current = head;
        for _ in 0..depth {
            let Some(older) = unique(current).older.as_mut() else {
                return false;
            };
            current = older;
        }
        change(&mut unique(current).items[index]);
        true
    }

    /// Keeps the items `keep` accepts (rebuilds the list: for retractions only).
    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        let kept: Vec<T> = self.iter().filter(|i| keep(i)).cloned().collect();
        if kept.len() != self.len() {
            *self = kept.into_iter().collect();
        }
    }

    /// Removes the newest occurrence of `item` (rebuilds the list: for retractions only).
    pub fn remove_last(&mut self, item: &T)
    where
        T: PartialEq,
    {
        let Some(from_end) = self.iter_rev().position(|i| i == item) else {
            return;
        };
        let index = self.len() - 1 - from_end;
        let kept: Vec<T> = self
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != index)
            .map(|(_, t)| t.clone())
            .collect();
        *self = kept.into_iter().collect();
    }
}

/// Items of an [`IdList`], oldest first.
pub struct Iter<'a, T> {
    inline: std::slice::Iter<'a, T>,
    current: std::slice::Iter<'a, T>,
    /// The chunks after `current`, newest first (so the next one is at the end).
    older: Vec<&'a Chunk<T>>,
}

impl<'a, T> Iterator for Iter<'a, T> {
    type Item = &'a T;

    fn next(&mut self) -> Option<&'a T> {
        if let Some(item) = self.inline.next() {
            return Some(item);
        }
        loop {
            if let Some(item) = self.current.next() {
                return Some(item);
            }
            self.current = self.older.pop()?.items.iter();
        }
    }
}

fn update_slice<T>(
    items: &mut [T],
    find: &impl Fn(&T) -> bool,
    change: impl FnOnce(&mut T),
) -> bool {
    match items.iter().rposition(find) {
        Some(i) => {
            change(&mut items[i]);
            true
        }
        None => false,
    }
}

/// The chunk, copied first if a snapshot shares it (the older chain stays shared).
fn unique<T: Clone>(this: &mut Arc<Chunk<T>>) -> &mut Chunk<T> {
    if Arc::get_mut(this).is_none() {
        *this = Arc::new(Chunk {
            items: this.items.clone(),
            older: this.older.clone(),
            len: this.len,
        });
    }
    Arc::get_mut(this).unwrap_or_else(|| unreachable!("a fresh Arc is unique"))
}

impl<T: Clone> FromIterator<T> for IdList<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> IdList<T> {
        let mut list = IdList::new();
        for item in items {
            list.push(item);
        }
        list
    }
}

impl<T: Clone + PartialEq> PartialEq for IdList<T> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter_rev().eq(other.iter_rev())
    }
}

impl<T: Clone + Eq> Eq for IdList<T> {}

impl<T: Clone + fmt::Debug> fmt::Debug for IdList<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_lists_stay_inline() {
        let mut a: IdList<u64> = IdList::new();
        assert!(a.is_empty());
        a.push(1);
        let one = a.clone();
        a.push(2);
        assert!(a.update(|i| *i == 1, |i| *i = 10));
        assert_eq!(a.iter().copied().collect::<Vec<_>>(), vec![10, 2]);
        assert_eq!(one.iter().copied().collect::<Vec<_>>(), vec![1]);
        a.push(3);
        assert_eq!(a.iter_rev().copied().collect::<Vec<_>>(), vec![3, 2, 10]);
        assert_eq!((a.len(), a.last()), (3, Some(&3)));
        a.retain(|i| *i != 2);
        assert_eq!(a.iter().copied().collect::<Vec<_>>(), vec![10, 3]);
    }

    #[test]
    fn pushes_iterates_and_shares() {
        let mut a: IdList<u32> = (0..70).collect();
        let snapshot = a.clone();
        a.push(70);
        assert_eq!(a.len(), 71);
        assert_eq!(snapshot.len(), 70);
        assert_eq!(
            a.iter().copied().collect::<Vec<_>>(),
            (0..71).collect::<Vec<_>>()
        );
        assert_eq!(
            snapshot.iter_rev().copied().collect::<Vec<_>>(),
            (0..70).rev().collect::<Vec<_>>()
        );
        assert!(a.update(|i| *i == 3, |i| *i = 1003));
        assert!(!a.update(|i| *i == 999, |i| *i = 0));
        assert_eq!(snapshot.iter().nth(3), Some(&3));
        assert_eq!(a.iter().nth(3), Some(&1003));
        a.remove_last(&5);
        a.retain(|i| i % 2 == 0);
        assert_eq!(
            a.iter().copied().take(4).collect::<Vec<_>>(),
            vec![0, 2, 4, 6]
        );
        assert_eq!(a.last(), Some(&70));
        assert!(a.contains(&4) && !a.contains(&5));
    }
}
