//! Folding the log into a registry: the cold start, catching up after another process
//! appended, and rebuilding the state "as recorded at position P".
//!
//! Reading and decoding run in a task of their own while this one applies, so on two cores
//! the cost is roughly max(read + decode, apply) rather than their sum.

use std::sync::Arc;

use sijill_domain::{apply, Event, Registry};
use sijill_store::{EventStore, StoredEvent};
use tokio::sync::mpsc;

use crate::codec::decode;
use crate::error::EngineError;
use crate::limits::REPLAY_PAGE_EVENTS;
use crate::Progress;

/// Pages decoded ahead of the applier: enough to keep both sides busy, little memory.
const PAGES_AHEAD: usize = 2;

/// How often the progress callback is called over a whole replay.
const PROGRESS_STEPS: u64 = 100;

/// Applies to `registry` every stored event after its position, up to `to` (the head as read
/// now when `None`). Reports progress as (events applied, events to apply).
pub(crate) async fn catch_up(
    store: &Arc<dyn EventStore>,
    registry: &mut Registry,
    to: Option<u64>,
    progress: Option<&Progress>,
) -> Result<(), EngineError> {
    let to = match to {
        Some(to) => to,
        None => store.head().await?.position,
    };
    let start = registry.position();
    if to <= start {
        return Ok(());
    }
    let (pages, mut decoded) = mpsc::channel(PAGES_AHEAD);
    let reader = tokio::spawn(read_and_decode(Arc::clone(store), start + 1, to, pages));
    let mut reporter = Reporter::new(progress, to - start);
    while let Some(page) = decoded.recv().await {
        for event in &page? {
            apply(registry, event);
        }
        reporter.report(registry.position() - start);
    }
    // The reader ends after sending its last page or an error; a panic there is a bug.
    reader
        .await
        .map_err(|e| EngineError::Store(Arc::new(join_failed(e))))?;
    if registry.position() < to {
        return Err(missing(registry.position() + 1));
    }
    Ok(())
}

/// Applies stored events that the caller already has (the follower's), in order, skipping
/// those the registry already holds. Returns false on a gap: the caller must catch up from
/// the store instead.
pub(crate) fn absorb(registry: &mut Registry, events: &[StoredEvent]) -> Result<bool, EngineError> {
    for stored in events {
        let next = registry.position() + 1;
        if stored.position() < next {
            continue;
        }
        if stored.position() > next {
            return Ok(false);
        }
        apply(registry, &decode(stored)?);
    }
    Ok(true)
}

async fn read_and_decode(
    store: Arc<dyn EventStore>,
    from: u64,
    to: u64,
    pages: mpsc::Sender<Result<Vec<Event>, EngineError>>,
) {
    let mut next = from;
    while next <= to {
        let want = usize::try_from(to - next + 1)
            .unwrap_or(usize::MAX)
            .min(REPLAY_PAGE_EVENTS);
        let page = read_page(&*store, next, want).await;
        let page = page.and_then(|stored| decode_page(next, &stored));
        let failed = page.is_err();
        if let Ok(events) = &page {
            next += events.len() as u64;
        }
        if pages.send(page).await.is_err() || failed {
            return;
        }
    }
}

async fn read_page(
    store: &dyn EventStore,
    from: u64,
    want: usize,
) -> Result<Vec<StoredEvent>, EngineError> {
    let page = store.read(from, want).await?;
    if page.is_empty() {
        return Err(missing(from));
    }
    Ok(page)
}

/// Decodes a page, checking that it continues the log where expected (a store bug or a
/// corrupt log must not shift every later position).
fn decode_page(from: u64, stored: &[StoredEvent]) -> Result<Vec<Event>, EngineError> {
    let mut events = Vec::with_capacity(stored.len());
    for (expected, event) in (from..).zip(stored) {
        if event.position() != expected {
            return Err(missing(expected));
        }
        events.push(decode(event)?);
    }
    Ok(events)
}

fn missing(position: u64) -> EngineError {
    let detail = "the store did not return this event although its head is past it".to_owned();
    EngineError::Store(Arc::new(sijill_store::StoreError::Corrupt {
        position,
        detail,
    }))
}

fn join_failed(e: tokio::task::JoinError) -> sijill_store::StoreError {
    sijill_store::StoreError::Backend(format!("the replay reader stopped: {e}"))
}

/// Calls the progress callback about every 1% of the work, and once at the end.
struct Reporter<'a> {
    progress: Option<&'a Progress>,
    total: u64,
    step: u64,
    next: u64,
}

impl<'a> Reporter<'a> {
    fn new(progress: Option<&'a Progress>, total: u64) -> Reporter<'a> {
        let step = (total / PROGRESS_STEPS).max(1);
        Reporter {
            progress,
            total,
            step,
            next: 0,
        }
    }

    fn report(&mut self, done: u64) {
        let Some(progress) = self.progress else {
            return;
        };
        if done >= self.next || done == self.total {
            progress(done, self.total);
            self.next = done + self.step;
        }
    }
}
