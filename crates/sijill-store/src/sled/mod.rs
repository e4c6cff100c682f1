//! `SledStore`: the embedded backend on sled 0.34.
//!
//! One append is one sled transaction over four trees (events, tag index, idempotency
//! index, head), committed under a writer lock, then made durable by the group-commit
//! flusher (`flush` + fsync, see `flusher.rs`) before it is acknowledged. See `docs/storage.md`.

mod check;
mod flusher;
mod folder;
mod keys;
mod log;

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use tokio::sync::watch;
use uuid::Uuid;

use crate::batch::{Appended, Head, NewBatch};
use crate::command_id::CommandId;
use crate::error::{AppendError, StoreError};
use crate::store::{follow, EventStore, PageReader, StagedGroup};
use crate::stored::StoredEvent;
use crate::validate::{validate_batches, validate_page};

pub use check::IndexReport;
pub use folder::SLED_FORMAT_VERSION;

use flusher::Flusher;
use log::{check_on_open, Log, Trees};

/// The log in a data folder on disk, through sled.
pub struct SledStore {
    log: Arc<Log>,
    heads: watch::Receiver<u64>,
    // Declared last so it drops last: it flushes what is committed and stops the thread.
    flusher: Flusher,
}

impl SledStore {
    /// Opens (or creates) the data folder at `folder`: checks its format marker, takes sled's
    /// lock, checks the head record and the chain over the last `OPEN_VERIFY_TAIL_EVENTS`
    /// events. Blocks on disk IO: from async code, call it on a blocking thread.
    pub fn open(folder: impl AsRef<Path>) -> Result<SledStore, StoreError> {
        let folder = folder.as_ref();
        let sled_dir = folder::prepare(folder)?;
        let db = folder::open_sled(folder, &sled_dir)?;
        let trees = Trees::open(&db)?;
        let head = check_on_open(&trees)?;
        let files = folder::SledFiles::open(folder, &sled_dir).map_err(|e| {
            StoreError::io(format!("syncing sled's files in {}", sled_dir.display()), e)
        })?;
        let (flusher, durable, heads) = Flusher::start(db, files, head)?;
        let commits = Arc::clone(flusher.commits());
        let log = Log {
            trees,
            writer: Mutex::new(head),
            commits,
            durable,
        };
        Ok(SledStore {
            log: Arc::new(log),
            heads,
            flusher,
        })
    }

    /// How many durable flushes (flush + fsync) ran since open. Appends per flush shows how
    /// well group commit groups.
    pub fn flushes(&self) -> u64 {
        self.flusher.commits().flushes()
    }

    /// A full consistency check of the indexes against the events (tag index, idempotency
    /// index, nothing past the head). Reads everything once; memory use stays constant.
    pub async fn check_indexes(&self) -> Result<IndexReport, StoreError> {
        let log = Arc::clone(&self.log);
        blocking(move || check::check_indexes(&log)).await?
    }
}

/// Waits until `position` is durable, or fails once the store is poisoned short of it.
async fn wait_durable(
    mut durable: watch::Receiver<flusher::Durable>,
    position: u64,
) -> Result<(), StoreError> {
    let reached = |d: &flusher::Durable| d.head.position >= position || d.poisoned.is_some();
    let state = durable
        .wait_for(reached)
        .await
        .map_err(|_| StoreError::Closed)?;
    match &state.poisoned {
        Some(reason) if state.head.position < position => Err(StoreError::Poisoned {
            reason: reason.to_string(),
        }),
        _ => Ok(()),
    }
}

/// [`EventStore::append_group_staged`] commits a group of at most this many sled keys on the
/// caller's thread instead of tokio's blocking pool. Such a commit is CPU work of about a
/// millisecond or less (sled's transaction; the fsync runs later on the flusher thread), and
/// handing it to another thread and back cost the engine's writer more: its durable
/// throughput rose by 3 to 17 % without the hand-off on a two-core machine (see
/// `docs/performance.md`, Engine). Larger groups, which an import or a large record file
/// makes, still go to the blocking pool. The caller's thread is held for its own small commit,
/// and for the rest of another caller's commit if that one holds the writer lock.
pub const COMMIT_ON_CALLER_KEYS_MAX: usize = 2_048;

/// The keys a group writes in sled, about: each event and each of its tags, and each
/// batch's command id (the chunks and the head are few).
fn sled_keys(batches: &[NewBatch]) -> usize {
    batches
        .iter()
        .map(|batch| 1 + batch.events.iter().map(|e| 1 + e.tags.len()).sum::<usize>())
        .sum()
}

/// Runs sled's blocking work off the async runtime's threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| log::backend("a blocking store task failed", e))
}

fn read_sync(log: &Log, from: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
    let durable = log.durable_head().position;
    let from = from.max(1);
    if limit == 0 || from > durable {
        return Ok(Vec::new());
    }
    let to = durable.min(from.saturating_add(limit as u64 - 1));
    log.trees.read_range(from, to)
}

#[async_trait]
impl EventStore for SledStore {
    async fn append_group(
        &self,
        batches: Vec<NewBatch>,
        expected_head: u64,
    ) -> Result<Vec<Appended>, AppendError> {
        validate_batches(&batches)?;
        let log = Arc::clone(&self.log);
        let (results, wait_until) =
            blocking(move || log.commit_group(&batches, expected_head)).await??;
        wait_durable(self.log.durable.clone(), wait_until).await?;
        Ok(results)
    }

    async fn append_group_staged(
        &self,
        batches: Vec<NewBatch>,
        expected_head: u64,
    ) -> Result<StagedGroup, AppendError> {
        validate_batches(&batches)?;
        let log = Arc::clone(&self.log);
        let (results, wait_until, duty) = if sled_keys(&batches) <= COMMIT_ON_CALLER_KEYS_MAX {
            log.commit_group_leaving_flush(&batches, expected_head)?
        } else {
            blocking(move || log.commit_group_leaving_flush(&batches, expected_head)).await??
        };
        // The caller goes on while the flushing thread makes the group durable.
        self.log.commits.hand_over(duty);
        Ok(StagedGroup {
            results,
            durable: Box::pin(wait_durable(self.log.durable.clone(), wait_until)),
        })
    }

    async fn append_stored(
        &self,
        events: Vec<StoredEvent>,
        expected_head: u64,
    ) -> Result<Head, AppendError> {
        let log = Arc::clone(&self.log);
        let head = blocking(move || log.commit_stored(&events, expected_head)).await??;
        wait_durable(self.log.durable.clone(), head.position).await?;
        Ok(head)
    }

    async fn find_command(&self, id: &CommandId) -> Result<Option<Appended>, StoreError> {
        let mut found = self.find_commands(std::slice::from_ref(id)).await?;
        Ok(found.pop().flatten())
    }

    async fn find_commands(&self, ids: &[CommandId]) -> Result<Vec<Option<Appended>>, StoreError> {
        let (log, keys) = (Arc::clone(&self.log), ids.to_vec());
        let found = blocking(move || {
            let ranges: Result<Vec<_>, StoreError> =
                keys.iter().map(|key| log.trees.lookup(key)).collect();
            ranges.map(|ranges| (keys, ranges))
        })
        .await??;
        // Read after the lookups: an entry committed but not yet durable is left out.
        let durable = self.log.durable_head().position;
        let (keys, ranges) = found;
        Ok(keys
            .into_iter()
            .zip(ranges)
            .map(|(command_id, range)| {
                range
                    .filter(|&(_, last)| last <= durable)
                    .map(|(first, last)| Appended {
                        command_id,
                        first,
                        last,
                        deduplicated: true,
                    })
            })
            .collect())
    }

    async fn read(&self, from: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        validate_page(limit)?;
        let log = Arc::clone(&self.log);
        blocking(move || read_sync(&log, from, limit)).await?
    }

    async fn read_tag(
        &self,
        tag: Uuid,
        from: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        validate_page(limit)?;
        let log = Arc::clone(&self.log);
        blocking(move || {
            let durable = log.durable_head().position;
            log.trees.read_tag(tag, from.max(1), durable, limit)
        })
        .await?
    }

    async fn head(&self) -> Result<Head, StoreError> {
        Ok(self.log.durable_head())
    }

    fn subscribe(&self, from: u64) -> BoxStream<'static, Result<StoredEvent, StoreError>> {
        follow(SledReader(Arc::clone(&self.log)), self.heads.clone(), from)
    }
}

struct SledReader(Arc<Log>);

impl PageReader for SledReader {
    fn read_page(
        &self,
        from: u64,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<StoredEvent>, StoreError>> {
        let log = Arc::clone(&self.0);
        Box::pin(async move { blocking(move || read_sync(&log, from, limit)).await? })
    }
}

#[cfg(feature = "conformance")]
#[async_trait]
impl crate::conformance::Tamper for SledStore {
    async fn overwrite_stored_bytes(
        &self,
        position: u64,
        stored: Vec<u8>,
    ) -> Result<(), StoreError> {
        let log = Arc::clone(&self.log);
        blocking(move || {
            log.trees.overwrite_stored_bytes(position, stored)?;
            log.trees
                .events
                .flush()
                .map_err(|e| log::backend("flushing sled", e))?;
            Ok(())
        })
        .await?
    }
}
