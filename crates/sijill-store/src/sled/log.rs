//! The synchronous side of the sled backend: transactions, reads and the checks run on open.
//! Everything here blocks; the async `SledStore` calls it on tokio's blocking pool.

use std::sync::{Arc, Mutex, MutexGuard};

use sled::transaction::{TransactionError, Transactional};
use tokio::sync::watch;
use uuid::Uuid;

use crate::batch::{Appended, Head, NewBatch};
use crate::command_id::CommandId;
use crate::error::{AppendError, InvalidBatch, StoreError};
use crate::limits::OPEN_VERIFY_TAIL_EVENTS;
use crate::plan::{plan_group, GroupPlan};
use crate::sled::flusher::{Commits, Durable, Duty};
use crate::sled::keys::{
    chunks, event_from_record, head_from_value, head_value, position_from_key, position_key,
    range_from_value, range_value, records, tag_key, HEAD_KEY,
};
use crate::store::check_link;
use crate::stored::StoredEvent;
use crate::validate::{check_stored_run, CommandRun};

/// The four trees, committed together in one transaction per append.
#[derive(Clone)]
pub struct Trees {
    pub events: sled::Tree,
    pub tags: sled::Tree,
    pub commands: sled::Tree,
    pub meta: sled::Tree,
}

/// What a write does when a command id it would record is already in the log.
#[derive(Clone, Copy, PartialEq, Eq)]
enum IfKnown {
    /// Record the new range over the old (the caller looked every id up first).
    Overwrite,
    /// Abort the whole transaction.
    WriteNothing,
}

/// Why a transaction was aborted.
struct CommandKnown;

enum Written {
    Yes,
    NoCommandKnown,
}

/// The log as the blocking side sees it.
pub struct Log {
    pub trees: Trees,
    /// The committed head. Holding the lock serialises writers, so the head check, the
    /// sealing and the transaction see one consistent log.
    pub writer: Mutex<Head>,
    pub commits: Arc<Commits>,
    pub durable: watch::Receiver<Durable>,
}

pub fn backend(context: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("{context}: {e}"))
}

impl Trees {
    pub fn open(db: &sled::Db) -> Result<Trees, StoreError> {
        let tree = |name: &str| {
            db.open_tree(name)
                .map_err(|e| backend("opening a sled tree", e))
        };
        Ok(Trees {
            events: tree("events")?,
            tags: tree("tags")?,
            commands: tree("commands")?,
            meta: tree("meta")?,
        })
    }

    /// Writes sealed events, their tag and idempotency entries and the new head atomically.
    fn write(
        &self,
        sealed: &[StoredEvent],
        runs: &[CommandRun],
        head: Head,
    ) -> Result<(), StoreError> {
        // An overwriting write never aborts for a known id: it always writes.
        self.write_if(sealed, runs, head, IfKnown::Overwrite)
            .map(drop)
    }

    /// As [`Trees::write`], but writes nothing and says so when `if_known` is
    /// [`IfKnown::WriteNothing`] and one of the command ids is already in the log. sled's
    /// transactional insert reads the key's old value anyway, so this costs no extra lookup.
    fn write_if(
        &self,
        sealed: &[StoredEvent],
        runs: &[CommandRun],
        head: Head,
        if_known: IfKnown,
    ) -> Result<Written, StoreError> {
        let events = chunks(sealed);
        let tags: Vec<[u8; 24]> = sealed
            .iter()
            .flat_map(|e| e.tags().iter().map(move |tag| tag_key(*tag, e.position())))
            .collect();
        let commands: Vec<(&[u8], [u8; 16])> = runs
            .iter()
            .map(|r| {
                (
                    r.command_id.as_str().as_bytes(),
                    range_value(r.first, r.last),
                )
            })
            .collect();
        let head = head_value(head);
        let trees = (&self.events, &self.tags, &self.commands, &self.meta);
        let written = trees.transaction(|(events_tx, tags_tx, commands_tx, meta_tx)| {
            for (key, value) in &commands {
                let known = commands_tx.insert(*key, &value[..])?.is_some();
                if known && if_known == IfKnown::WriteNothing {
                    return sled::transaction::abort(CommandKnown);
                }
            }
            for (key, value) in &events {
                events_tx.insert(&key[..], value.as_slice())?;
            }
            for key in &tags {
                tags_tx.insert(&key[..], &[][..])?;
            }
            meta_tx.insert(HEAD_KEY, &head[..])?;
            Ok(())
        });
        match written {
            Ok(()) => Ok(Written::Yes),
            Err(TransactionError::Abort(CommandKnown)) => Ok(Written::NoCommandKnown),
            Err(TransactionError::Storage(e)) => Err(backend("sled transaction failed", e)),
        }
    }

    pub fn lookup(&self, id: &CommandId) -> Result<Option<(u64, u64)>, StoreError> {
        let Some(value) = self
            .commands
            .get(id.as_str())
            .map_err(|e| backend("reading sled", e))?
        else {
            return Ok(None);
        };
        let detail = || format!("idempotency entry of command {id} is unreadable");
        range_from_value(&value)
            .map(Some)
            .ok_or_else(|| StoreError::Corrupt {
                position: 0,
                detail: detail(),
            })
    }

    /// Events `from..=to`, checking that none is missing.
    pub fn read_range(&self, from: u64, to: u64) -> Result<Vec<StoredEvent>, StoreError> {
        let mut events =
            Vec::with_capacity(usize::try_from(to.saturating_sub(from) + 1).unwrap_or(0));
        let Some((start, _)) = self.chunk_at(from)? else {
            return self.missing(from, to, events);
        };
        for item in self.events.range(position_key(start)..) {
            let (key, chunk) = item.map_err(|e| backend("reading sled", e))?;
            let first = position_from_key(&key).unwrap_or(0);
            if first > to {
                break;
            }
            for (record, position) in records(&chunk).zip(first..) {
                if position < from {
                    continue;
                }
                if position > to || position != from + events.len() as u64 {
                    break;
                }
                events.push(event_from_record(position, record)?);
            }
        }
        self.missing(from, to, events)
    }

    /// `events` if it holds every position `from..=to`, else the first missing position.
    fn missing(
        &self,
        from: u64,
        to: u64,
        events: Vec<StoredEvent>,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        if from > to || events.len() as u64 == to - from + 1 {
            return Ok(events);
        }
        let position = from + events.len() as u64;
        Err(StoreError::Corrupt {
            position,
            detail: "event is missing".into(),
        })
    }

    /// The chunk holding `position`, if any: the last chunk starting at or before it.
    fn chunk_at(&self, position: u64) -> Result<Option<(u64, sled::IVec)>, StoreError> {
        let found = self.events.range(..=position_key(position)).next_back();
        let found = found.transpose().map_err(|e| backend("reading sled", e))?;
        Ok(found.map(|(key, chunk)| (position_from_key(&key).unwrap_or(0), chunk)))
    }

    pub fn event(&self, position: u64) -> Result<StoredEvent, StoreError> {
        let missing = || StoreError::Corrupt {
            position,
            detail: "event is missing".into(),
        };
        let (first, chunk) = self.chunk_at(position)?.ok_or_else(missing)?;
        let index = usize::try_from(position - first).map_err(|_| missing())?;
        let record = records(&chunk).nth(index).ok_or_else(missing)?;
        event_from_record(position, record)
    }

    /// Replaces the stored bytes of one event inside its chunk, keeping its hashes (tests of
    /// `verify`: this is what a disk fault or an intruder could do).
    #[cfg(feature = "conformance")]
    pub fn overwrite_stored_bytes(&self, position: u64, stored: Vec<u8>) -> Result<(), StoreError> {
        let missing = || StoreError::Corrupt {
            position,
            detail: "event is missing".into(),
        };
        let (first, chunk) = self.chunk_at(position)?.ok_or_else(missing)?;
        let mut events = Vec::new();
        for (record, p) in records(&chunk).zip(first..) {
            let event = event_from_record(p, record)?;
            events.push(match p == position {
                true => StoredEvent::from_stored(stored.clone(), event.prev_hash(), event.hash())
                    .map_err(|e| backend("forging an event", e))?,
                false => event,
            });
        }
        let (key, value) = chunks(&events).remove(0);
        self.events
            .insert(key, value)
            .map_err(|e| backend("writing sled", e))?;
        Ok(())
    }

    /// The last event, read from the last chunk.
    pub fn last_event(&self) -> Result<Option<StoredEvent>, StoreError> {
        let Some((key, chunk)) = self.events.last().map_err(|e| backend("reading sled", e))? else {
            return Ok(None);
        };
        let first = position_from_key(&key).unwrap_or(0);
        let count = records(&chunk).count() as u64;
        let position = first + count.max(1) - 1;
        event_from_record(
            position,
            records(&chunk).last().unwrap_or(Err("empty chunk".into())),
        )
        .map(Some)
    }

    pub fn read_tag(
        &self,
        tag: Uuid,
        from: u64,
        to: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let mut events = Vec::new();
        for item in self
            .tags
            .range(tag_key(tag, from)..=tag_key(tag, to))
            .take(limit)
        {
            let (key, _) = item.map_err(|e| backend("reading sled", e))?;
            let position = position_from_key(&key[16..]).expect("tag keys are 24 bytes");
            events.push(self.event(position)?);
        }
        Ok(events)
    }
}

impl Log {
    fn lock_writer(&self) -> Result<MutexGuard<'_, Head>, StoreError> {
        // A writer that panicked may have committed without recording the new head: the
        // cached head can no longer be trusted, so refuse writes until the store reopens.
        self.writer.lock().map_err(|_| StoreError::Poisoned {
            reason: "a writer panicked".into(),
        })
    }

    fn refuse_if_poisoned(&self) -> Result<(), StoreError> {
        match &self.durable.borrow().poisoned {
            Some(reason) => Err(StoreError::Poisoned {
                reason: reason.to_string(),
            }),
            None => Ok(()),
        }
    }

    pub fn durable_head(&self) -> Head {
        self.durable.borrow().head
    }

    /// Commits a group; returns the results and the position that must be durable before
    /// they may be acknowledged (a deduplicated batch may still be in flight).
    pub fn commit_group(
        &self,
        batches: &[NewBatch],
        expected: u64,
    ) -> Result<(Vec<Appended>, u64), AppendError> {
        let (results, wait_until, duty) = self.commit_group_leaving_flush(batches, expected)?;
        // Outside the writer lock: the next writers commit while this flush runs.
        self.do_duty(duty);
        Ok((results, wait_until))
    }

    /// [`Log::commit_group`] without running the flush it may fall to this caller to run:
    /// returns that duty too, for the caller to hand to another thread.
    pub fn commit_group_leaving_flush(
        &self,
        batches: &[NewBatch],
        expected: u64,
    ) -> Result<(Vec<Appended>, u64, Duty), AppendError> {
        let (results, duty) = {
            let mut committed = self.lock_writer()?;
            self.refuse_if_poisoned()?;
            let plan = match self.commit_new_commands(batches, *committed, expected)? {
                Some(plan) => plan,
                None => {
                    let plan =
                        plan_group(batches, *committed, expected, |id| self.trees.lookup(id))?;
                    if !plan.sealed.is_empty() {
                        self.trees.write(&plan.sealed, &plan.runs, plan.head)?;
                    }
                    plan
                }
            };
            let duty = match plan.sealed.is_empty() {
                true => Duty::Wait,
                false => {
                    *committed = plan.head;
                    self.commits.committed(plan.head)
                }
            };
            (plan.results, duty)
        };
        let wait_until = results.iter().map(|a| a.last).max().unwrap_or(0);
        Ok((results, wait_until, duty))
    }

    /// The common case, in one pass: plans the group as if none of its command ids were in
    /// the log (a retry is rare) and writes it unless the transaction finds one that is.
    /// `None` when it wrote nothing: a command id is known, or the head moved (a group of
    /// retries alone is answered, not refused); the caller then plans with lookups.
    fn commit_new_commands(
        &self,
        batches: &[NewBatch],
        head: Head,
        expected: u64,
    ) -> Result<Option<GroupPlan>, StoreError> {
        let plan = match plan_group(batches, head, expected, |_| Ok(None)) {
            Ok(plan) => plan,
            Err(AppendError::Store(e)) => return Err(e),
            Err(_) => return Ok(None),
        };
        let written =
            self.trees
                .write_if(&plan.sealed, &plan.runs, plan.head, IfKnown::WriteNothing)?;
        Ok(match written {
            Written::Yes => Some(plan),
            Written::NoCommandKnown => None,
        })
    }

    fn do_duty(&self, duty: Duty) {
        if let Duty::Flush(target) = duty {
            self.commits.flush(target);
        }
    }

    /// Commits events that carry their own bytes and hashes (import).
    pub fn commit_stored(
        &self,
        events: &[StoredEvent],
        expected: u64,
    ) -> Result<Head, AppendError> {
        let (head, duty) = self.commit_stored_locked(events, expected)?;
        self.do_duty(duty);
        Ok(head)
    }

    fn commit_stored_locked(
        &self,
        events: &[StoredEvent],
        expected: u64,
    ) -> Result<(Head, Duty), AppendError> {
        let mut committed = self.lock_writer()?;
        self.refuse_if_poisoned()?;
        if committed.position != expected {
            return Err(AppendError::Conflict {
                expected,
                actual: committed.position,
            });
        }
        let runs = check_stored_run(*committed, events)?;
        for run in &runs {
            if self.trees.lookup(&run.command_id)?.is_some() {
                let detail = format!("command id {} is already in the log", run.command_id);
                return Err(InvalidBatch::StoredRun {
                    position: run.first,
                    detail,
                }
                .into());
            }
        }
        let Some(last) = events.last() else {
            return Ok((*committed, Duty::Wait));
        };
        let head = Head {
            position: last.position(),
            hash: last.hash(),
        };
        self.trees.write(events, &runs, head)?;
        *committed = head;
        Ok((head, self.commits.committed(head)))
    }
}

/// The checks run on open: the head record matches the last event, and the chain over the
/// last `OPEN_VERIFY_TAIL_EVENTS` events verifies. Returns the head.
pub fn check_on_open(trees: &Trees) -> Result<Head, StoreError> {
    let record = trees
        .meta
        .get(HEAD_KEY)
        .map_err(|e| backend("reading sled", e))?;
    let record = match record {
        Some(value) => Some(head_from_value(&value).ok_or(StoreError::Corrupt {
            position: 0,
            detail: "the head record is unreadable".into(),
        })?),
        None => None,
    };
    let last = trees.last_event()?;
    let corrupt = |position, detail: String| Err(StoreError::Corrupt { position, detail });
    let head = match (record, last) {
        (None, None) => return Ok(Head::GENESIS),
        (None, Some(e)) => {
            return corrupt(
                e.position(),
                format!("events up to position {} but no head record", e.position()),
            );
        }
        (Some(h), None) => {
            return corrupt(
                h.position,
                format!(
                    "the head record says position {} but there are no events",
                    h.position
                ),
            );
        }
        (Some(h), Some(e)) if e.position() != h.position => {
            let detail = format!(
                "the head record says position {}, the last event is at {}",
                h.position,
                e.position()
            );
            return corrupt(e.position().min(h.position) + 1, detail);
        }
        (Some(h), Some(e)) if e.hash() != h.hash => {
            return corrupt(
                h.position,
                "the head record's hash is not the last event's hash".into(),
            );
        }
        (Some(h), Some(_)) => h,
    };
    verify_tail(trees, head)?;
    Ok(head)
}

fn verify_tail(trees: &Trees, head: Head) -> Result<(), StoreError> {
    let from = head
        .position
        .saturating_sub(OPEN_VERIFY_TAIL_EVENTS - 1)
        .max(1);
    let mut prev = match from {
        1 => Head::GENESIS,
        _ => {
            let before = trees.event(from - 1)?;
            Head {
                position: before.position(),
                hash: before.hash(),
            }
        }
    };
    for event in trees.read_range(from, head.position)? {
        if let Some(problem) = check_link(prev, &event) {
            return Err(StoreError::Corrupt {
                position: prev.position + 1,
                detail: problem.to_string(),
            });
        }
        prev = Head {
            position: event.position(),
            hash: event.hash(),
        };
    }
    Ok(())
}
