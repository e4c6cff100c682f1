//! `MemoryStore`: the log in memory, for tests and tools. Every append is "durable" as soon
//! as it is in memory; the data lives as long as a clone of the store does.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use tokio::sync::watch;
use uuid::Uuid;

use crate::batch::{Appended, Head, NewBatch};
use crate::command_id::CommandId;
use crate::error::{AppendError, InvalidBatch, StoreError};
use crate::plan::plan_group;
use crate::store::{follow, EventStore, PageReader};
use crate::stored::StoredEvent;
use crate::validate::{check_stored_run, validate_batches, validate_page, CommandRun};

/// An in-memory log. Clones share the same log.
#[derive(Clone)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

struct Inner {
    log: Mutex<Log>,
    heads: watch::Sender<u64>,
}

#[derive(Default)]
struct Log {
    events: Vec<StoredEvent>,
    commands: HashMap<CommandId, (u64, u64)>,
    tags: HashMap<Uuid, BTreeSet<u64>>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    pub fn new() -> Self {
        let (heads, _) = watch::channel(0);
        MemoryStore {
            inner: Arc::new(Inner {
                log: Mutex::new(Log::default()),
                heads,
            }),
        }
    }

    fn log(&self) -> MutexGuard<'_, Log> {
        lock(&self.inner.log)
    }

    /// Replaces the stored bytes at `position`, keeping its hashes: for tests of `verify`.
    #[cfg(feature = "conformance")]
    pub(crate) fn replace_stored_bytes(
        &self,
        position: u64,
        stored: Vec<u8>,
    ) -> Result<(), StoreError> {
        let mut log = self.log();
        let index = usize::try_from(position.saturating_sub(1)).unwrap_or(usize::MAX);
        let old = log
            .events
            .get(index)
            .ok_or(StoreError::Backend(format!("no event at {position}")))?;
        let replaced = StoredEvent::from_stored(stored, old.prev_hash(), old.hash())
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        log.events[index] = replaced;
        Ok(())
    }
}

fn lock(log: &Mutex<Log>) -> MutexGuard<'_, Log> {
    // A panic while holding the lock cannot leave the log half-written: every mutation is
    // prepared first and applied with infallible pushes.
    log.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Log {
    fn head(&self) -> Head {
        self.events.last().map_or(Head::GENESIS, |e| Head {
            position: e.position(),
            hash: e.hash(),
        })
    }

    fn write(&mut self, sealed: Vec<StoredEvent>, runs: Vec<CommandRun>) {
        for run in runs {
            self.commands.insert(run.command_id, (run.first, run.last));
        }
        for event in sealed {
            for tag in event.tags() {
                self.tags.entry(*tag).or_default().insert(event.position());
            }
            self.events.push(event);
        }
    }

    fn read(&self, from: u64, limit: usize) -> Vec<StoredEvent> {
        let start = usize::try_from(from.max(1) - 1).unwrap_or(usize::MAX);
        self.events
            .iter()
            .skip(start)
            .take(limit)
            .cloned()
            .collect()
    }
}

#[async_trait]
impl EventStore for MemoryStore {
    async fn append_group(
        &self,
        batches: Vec<NewBatch>,
        expected_head: u64,
    ) -> Result<Vec<Appended>, AppendError> {
        validate_batches(&batches)?;
        let mut log = self.log();
        let known = |id: &CommandId| Ok(log.commands.get(id).copied());
        let plan = plan_group(&batches, log.head(), expected_head, known)?;
        if !plan.sealed.is_empty() {
            log.write(plan.sealed, plan.runs);
            self.inner.heads.send_replace(plan.head.position);
        }
        Ok(plan.results)
    }

    async fn append_stored(
        &self,
        events: Vec<StoredEvent>,
        expected_head: u64,
    ) -> Result<Head, AppendError> {
        let mut log = self.log();
        let head = log.head();
        if head.position != expected_head {
            return Err(AppendError::Conflict {
                expected: expected_head,
                actual: head.position,
            });
        }
        let runs = check_stored_run(head, &events)?;
        if let Some(run) = runs
            .iter()
            .find(|r| log.commands.contains_key(&r.command_id))
        {
            let detail = format!("command id {} is already in the log", run.command_id);
            return Err(InvalidBatch::StoredRun {
                position: run.first,
                detail,
            }
            .into());
        }
        log.write(events, runs);
        let head = log.head();
        self.inner.heads.send_replace(head.position);
        Ok(head)
    }

    async fn find_command(&self, id: &CommandId) -> Result<Option<Appended>, StoreError> {
        let log = self.log();
        Ok(log.commands.get(id).map(|&(first, last)| Appended {
            command_id: id.clone(),
            first,
            last,
            deduplicated: true,
        }))
    }

    async fn read(&self, from: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        validate_page(limit)?;
        Ok(self.log().read(from, limit))
    }

    async fn read_tag(
        &self,
        tag: Uuid,
        from: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        validate_page(limit)?;
        let log = self.log();
        let Some(positions) = log.tags.get(&tag) else {
            return Ok(Vec::new());
        };
        let index = |p: u64| usize::try_from(p - 1).expect("position fits in memory");
        Ok(positions
            .range(from..)
            .take(limit)
            .map(|&p| log.events[index(p)].clone())
            .collect())
    }

    async fn head(&self) -> Result<Head, StoreError> {
        Ok(self.log().head())
    }

    fn subscribe(&self, from: u64) -> BoxStream<'static, Result<StoredEvent, StoreError>> {
        follow(
            MemoryReader(Arc::clone(&self.inner)),
            self.inner.heads.subscribe(),
            from,
        )
    }
}

struct MemoryReader(Arc<Inner>);

impl PageReader for MemoryReader {
    fn read_page(
        &self,
        from: u64,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<StoredEvent>, StoreError>> {
        let page = lock(&self.0.log).read(from, limit);
        Box::pin(async move { Ok(page) })
    }
}
