//! The follower: subscribes to the store and hands the writer what other processes append,
//! so several engines on one log (PostgreSQL) serve the same state.
//!
//! It forwards stored events undecoded: the writer skips those it already holds (its own
//! appends come back through the subscription too) and decodes only the others.

use std::sync::Arc;

use futures::StreamExt;
use sijill_store::{EventStore, StoredEvent};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::engine::Snapshot;
use crate::limits::{FOLLOW_CHUNK_EVENTS, FOLLOW_QUEUE_LEN, FOLLOW_RETRY_DELAY};

pub(crate) struct Follower {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Follower {
    pub async fn stop(self) {
        self.stop.send_replace(true);
        // A panic in the follower has been logged by the runtime; stopping goes on.
        let _ = self.task.await;
    }
}

/// Starts following from the published position; returns the handle and the writer's end.
pub(crate) fn start(
    store: Arc<dyn EventStore>,
    published: watch::Receiver<Snapshot>,
) -> (Follower, mpsc::Receiver<Vec<StoredEvent>>) {
    let (events, followed) = mpsc::channel(FOLLOW_QUEUE_LEN);
    let (stop, stopping) = watch::channel(false);
    let task = tokio::spawn(run(store, published, events, stopping));
    (Follower { stop, task }, followed)
}

async fn run(
    store: Arc<dyn EventStore>,
    published: watch::Receiver<Snapshot>,
    events: mpsc::Sender<Vec<StoredEvent>>,
    mut stopping: watch::Receiver<bool>,
) {
    loop {
        let from = published.borrow().position + 1;
        let mut stream = store.subscribe(from).ready_chunks(FOLLOW_CHUNK_EVENTS);
        loop {
            let chunk = tokio::select! {
                // Changed to true, or the engine is gone: either way, stop.
                _ = stopping.changed() => return,
                chunk = stream.next() => chunk,
            };
            let Some(chunk) = chunk else { break };
            let (good, failed) = split(chunk);
            if !good.is_empty() && events.send(good).await.is_err() {
                return;
            }
            if let Some(e) = failed {
                tracing::warn!(error = %e, "following the log failed; subscribing again");
                break;
            }
        }
        tokio::select! {
            _ = stopping.changed() => return,
            _ = tokio::time::sleep(FOLLOW_RETRY_DELAY) => {}
        }
    }
}

/// The events before the first error, and that error.
fn split(
    chunk: Vec<Result<StoredEvent, sijill_store::StoreError>>,
) -> (Vec<StoredEvent>, Option<sijill_store::StoreError>) {
    let mut good = Vec::with_capacity(chunk.len());
    for item in chunk {
        match item {
            Ok(event) => good.push(event),
            Err(e) => return (good, Some(e)),
        }
    }
    (good, None)
}
