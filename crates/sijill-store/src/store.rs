//! The `EventStore` contract every backend implements, and what is built on it alone:
//! chain verification and subscriptions.

use std::collections::VecDeque;
use std::fmt;

use async_trait::async_trait;
use futures::future::BoxFuture;
use futures::stream::{self, BoxStream, StreamExt};
use tokio::sync::watch;
use uuid::Uuid;

use crate::batch::{Appended, Head, NewBatch};
use crate::command_id::CommandId;
use crate::error::{AppendError, StoreError};
use crate::stored::{hash_to_hex, StoredEvent, GENESIS_HASH};

/// Events read per page when verifying or following the log.
pub const FOLLOW_PAGE_EVENTS: usize = 1_000;

/// A group committed in log order whose durability may still be pending (see
/// [`EventStore::append_group_staged`]).
pub struct StagedGroup {
    /// One result per batch, in the caller's order, as `append_group` returns them.
    pub results: Vec<Appended>,
    /// Resolves once the whole group is durable; an error means it may never be.
    pub durable: BoxFuture<'static, Result<(), StoreError>>,
}

impl fmt::Debug for StagedGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StagedGroup")
            .field("results", &self.results)
            .finish_non_exhaustive()
    }
}

/// The log of one registry: totally ordered, gap-free from position 1, hash-chained.
///
/// Reads (`read`, `read_tag`, `head`, `find_command`, `subscribe`, `verify`) see only durable
/// events: an event is visible once the append that wrote it could be acknowledged.
#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// Appends one batch at `expected_head + 1..` if the head is still `expected_head`.
    /// Idempotent by command id: a known command id returns the original positions with
    /// `deduplicated = true` and appends nothing, whatever `expected_head` says. Resolves only
    /// once the batch is durable.
    async fn append(&self, batch: NewBatch, expected_head: u64) -> Result<Appended, AppendError> {
        let mut appended = self.append_group(vec![batch], expected_head).await?;
        Ok(appended.pop().expect("one batch in, one result out"))
    }

    /// Appends several batches atomically, in order, with one durable flush. Batches whose
    /// command id is known (in the log, or earlier in `batches`) are deduplicated as in
    /// `append`; the others are appended after `expected_head`, which must be the head unless
    /// every batch is deduplicated. Results are in the order of `batches`.
    async fn append_group(
        &self,
        batches: Vec<NewBatch>,
        expected_head: u64,
    ) -> Result<Vec<Appended>, AppendError>;

    /// [`EventStore::append_group`] in two steps, so that a caller can prepare its next group
    /// while this one is being made durable: resolves once the group is committed in log
    /// order (the next `append_group` or `append_group_staged` comes after it and sees its
    /// head), with a future that resolves once every batch of it is durable, or fails if it
    /// never will be. Nothing of the group may be acknowledged before that future resolved
    /// `Ok`, and reads do not see the group before then either.
    ///
    /// The default waits for durability before returning (right for backends whose commit
    /// is durable, like PostgreSQL's).
    async fn append_group_staged(
        &self,
        batches: Vec<NewBatch>,
        expected_head: u64,
    ) -> Result<StagedGroup, AppendError> {
        let results = self.append_group(batches, expected_head).await?;
        Ok(StagedGroup {
            results,
            durable: Box::pin(async { Ok(()) }),
        })
    }

    /// Appends events that already carry their stored bytes and hashes (import, moving a log
    /// between backends), if the head is still `expected_head`. They must continue the chain
    /// and form whole batches with new command ids (see `validate::check_stored_run`).
    /// Returns the new head once durable.
    async fn append_stored(
        &self,
        events: Vec<StoredEvent>,
        expected_head: u64,
    ) -> Result<Head, AppendError>;

    /// Where the batch with this command id landed, if it is durably in the log.
    async fn find_command(&self, id: &CommandId) -> Result<Option<Appended>, StoreError>;

    /// [`EventStore::find_command`] for several ids, answered in their order. Backends
    /// override it to look them all up in one go.
    async fn find_commands(&self, ids: &[CommandId]) -> Result<Vec<Option<Appended>>, StoreError> {
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            found.push(self.find_command(id).await?);
        }
        Ok(found)
    }

    /// Up to `limit` events from position `from` (1-based) on, in order.
    async fn read(&self, from: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError>;

    /// Up to `limit` events tagged `tag`, from position `from` on, in order.
    async fn read_tag(
        &self,
        tag: Uuid,
        from: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError>;

    /// The last durable event's position and hash.
    async fn head(&self) -> Result<Head, StoreError>;

    /// Every event from `from` on: first those already in the log, then each new one as it
    /// becomes durable. No gap, no duplicate. Ends when the store closes.
    fn subscribe(&self, from: u64) -> BoxStream<'static, Result<StoredEvent, StoreError>>;

    /// Recomputes the hash chain over `from..=to` (`to` defaults to the head) and reports the
    /// first position that does not verify.
    async fn verify(&self, from: u64, to: Option<u64>) -> Result<VerifyReport, StoreError> {
        verify_chain(self, from, to).await
    }
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub from: u64,
    pub to: u64,
    /// Events whose hash was recomputed.
    pub checked: u64,
    /// The first position that does not verify; `None` when the range verifies.
    pub first_bad: Option<ChainBreak>,
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        self.first_bad.is_none()
    }
}

/// A position where the chain does not verify, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    pub position: u64,
    pub problem: ChainProblem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainProblem {
    /// `hash` is not `BLAKE3(prev_hash || stored bytes)`: the bytes or the hash were changed.
    HashMismatch {
        stored: [u8; 32],
        computed: [u8; 32],
    },
    /// `prev_hash` is not the previous event's hash: an event was removed, inserted or
    /// re-chained.
    PrevHashMismatch {
        stored: [u8; 32],
        expected: [u8; 32],
    },
    /// The event's bytes say another position, or the position is missing.
    PositionMismatch { found: Option<u64> },
    /// The stored bytes are not a stored event.
    Unreadable { detail: String },
}

impl fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "position {}: {}", self.position, self.problem)
    }
}

impl fmt::Display for ChainProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainProblem::HashMismatch { stored, computed } => write!(
                f,
                "hash mismatch: stored {}, computed {}",
                hash_to_hex(stored),
                hash_to_hex(computed)
            ),
            ChainProblem::PrevHashMismatch { stored, expected } => write!(
                f,
                "prev_hash mismatch: stored {}, previous event's hash {}",
                hash_to_hex(stored),
                hash_to_hex(expected)
            ),
            ChainProblem::PositionMismatch { found: Some(found) } => {
                write!(f, "position gap: found position {found}")
            }
            ChainProblem::PositionMismatch { found: None } => write!(f, "event is missing"),
            ChainProblem::Unreadable { detail } => write!(f, "unreadable: {detail}"),
        }
    }
}

/// Checks one event against the chain so far (`prev` = the head before it).
pub fn check_link(prev: Head, event: &StoredEvent) -> Option<ChainProblem> {
    if event.position() != prev.position + 1 {
        return Some(ChainProblem::PositionMismatch {
            found: Some(event.position()),
        });
    }
    if event.prev_hash() != prev.hash {
        return Some(ChainProblem::PrevHashMismatch {
            stored: event.prev_hash(),
            expected: prev.hash,
        });
    }
    let computed = crate::stored::chain_hash(&event.prev_hash(), event.stored_bytes());
    if computed != event.hash() {
        return Some(ChainProblem::HashMismatch {
            stored: event.hash(),
            computed,
        });
    }
    None
}

/// `verify` over any store, through paged reads.
pub async fn verify_chain<S: EventStore + ?Sized>(
    store: &S,
    from: u64,
    to: Option<u64>,
) -> Result<VerifyReport, StoreError> {
    let from = from.max(1);
    let to = match to {
        Some(to) => to,
        None => store.head().await?.position,
    };
    let mut report = VerifyReport {
        from,
        to,
        checked: 0,
        first_bad: None,
    };
    let Some(mut prev) = anchor(store, from).await? else {
        report.first_bad = Some(ChainBreak {
            position: from - 1,
            problem: ChainProblem::PositionMismatch { found: None },
        });
        return Ok(report);
    };
    while prev.position < to {
        let want = usize::try_from(to - prev.position)
            .unwrap_or(usize::MAX)
            .min(FOLLOW_PAGE_EVENTS);
        let page = match store.read(prev.position + 1, want).await {
            Ok(page) => page,
            Err(StoreError::Corrupt { position, detail }) => {
                let problem = ChainProblem::Unreadable { detail };
                report.first_bad = Some(ChainBreak { position, problem });
                return Ok(report);
            }
            Err(e) => return Err(e),
        };
        if page.is_empty() {
            let problem = ChainProblem::PositionMismatch { found: None };
            report.first_bad = Some(ChainBreak {
                position: prev.position + 1,
                problem,
            });
            return Ok(report);
        }
        for event in &page {
            if let Some(problem) = check_link(prev, event) {
                report.first_bad = Some(ChainBreak {
                    position: prev.position + 1,
                    problem,
                });
                return Ok(report);
            }
            report.checked += 1;
            prev = Head {
                position: event.position(),
                hash: event.hash(),
            };
        }
    }
    Ok(report)
}

/// The head just before `from`: genesis for position 1, else the stored event at `from - 1`.
async fn anchor<S: EventStore + ?Sized>(store: &S, from: u64) -> Result<Option<Head>, StoreError> {
    if from <= 1 {
        return Ok(Some(Head {
            position: 0,
            hash: GENESIS_HASH,
        }));
    }
    let before = store.read(from - 1, 1).await?;
    Ok(before
        .first()
        .filter(|e| e.position() == from - 1)
        .map(|e| Head {
            position: e.position(),
            hash: e.hash(),
        }))
}

/// How a subscription reads a page of durable events.
pub trait PageReader: Send + Sync + 'static {
    fn read_page(
        &self,
        from: u64,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<StoredEvent>, StoreError>>;
}

/// A subscription over any backend: pages through `reader` from `from` up to the durable head
/// announced on `durable_heads`, then waits for the next announcement. Because positions are
/// gap-free and the stream tracks the next position it owes, it neither skips nor repeats an
/// event however announcements and appends interleave; a watch channel keeps only the latest
/// head, so a slow subscriber re-reads instead of lagging. Ends when the sender is dropped.
pub fn follow<R: PageReader>(
    reader: R,
    durable_heads: watch::Receiver<u64>,
    from: u64,
) -> BoxStream<'static, Result<StoredEvent, StoreError>> {
    struct State<R> {
        reader: R,
        heads: watch::Receiver<u64>,
        next: u64,
        buffer: VecDeque<StoredEvent>,
        failed: bool,
    }
    let state = State {
        reader,
        heads: durable_heads,
        next: from.max(1),
        buffer: VecDeque::new(),
        failed: false,
    };
    stream::unfold(state, |mut s| async move {
        loop {
            if s.failed {
                return None;
            }
            if let Some(event) = s.buffer.pop_front() {
                return Some((Ok(event), s));
            }
            let head = *s.heads.borrow_and_update();
            if s.next <= head {
                let want = usize::try_from(head - s.next + 1)
                    .unwrap_or(usize::MAX)
                    .min(FOLLOW_PAGE_EVENTS);
                match s.reader.read_page(s.next, want).await {
                    Ok(page) if page.first().is_some_and(|e| e.position() != s.next) => {
                        s.failed = true;
                        let detail = "read returned a page that does not start there".to_string();
                        return Some((
                            Err(StoreError::Corrupt {
                                position: s.next,
                                detail,
                            }),
                            s,
                        ));
                    }
                    Ok(page) => {
                        s.next += page.len() as u64;
                        s.buffer.extend(page);
                        if s.buffer.is_empty() {
                            s.failed = true;
                            let detail = "announced as durable but not readable".to_string();
                            return Some((
                                Err(StoreError::Corrupt {
                                    position: s.next,
                                    detail,
                                }),
                                s,
                            ));
                        }
                    }
                    Err(e) => {
                        s.failed = true;
                        return Some((Err(e), s));
                    }
                }
                continue;
            }
            if s.heads.changed().await.is_err() {
                return None;
            }
        }
    })
    .boxed()
}
