//! Group commit: one thread makes committed transactions durable, many at a time.
//!
//! Writers commit their sled transaction, report the new committed head here and wait until
//! the durable head reaches their last position. The thread loops: take the committed head,
//! `flush` + fsync, publish it as durable. Every transaction committed before a flush starts
//! is covered by it, so an append waits at most for the flush in progress and the next one.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use tokio::sync::watch;

use crate::batch::Head;
use crate::error::StoreError;
use crate::sled::folder::SledFiles;

/// What has reached the disk.
#[derive(Debug, Clone)]
pub struct Durable {
    pub head: Head,
    /// Set when making data durable failed; from then on the store refuses writes.
    pub poisoned: Option<Arc<str>>,
}

/// Where writers report commits; shared with the flushing thread.
pub struct Commits {
    state: Mutex<Pending>,
    wake: Condvar,
    flushes: AtomicU64,
}

struct Pending {
    committed: Head,
    shutdown: bool,
}

/// The flushing thread. Dropping it flushes what is committed and stops the thread.
pub struct Flusher {
    commits: Arc<Commits>,
    thread: Option<JoinHandle<()>>,
}

impl Commits {
    /// Reports a committed transaction ending at `head` (heads only move forward).
    pub fn committed(&self, head: Head) {
        let mut pending = lock(&self.state);
        debug_assert!(head.position > pending.committed.position);
        pending.committed = head;
        self.wake.notify_one();
    }

    pub fn flushes(&self) -> u64 {
        self.flushes.load(Ordering::Relaxed)
    }
}

fn lock(state: &Mutex<Pending>) -> MutexGuard<'_, Pending> {
    // The guarded state is two plain fields, valid after any panic.
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Flusher {
    /// Starts the thread with `head` already durable. Returns it with the receivers of the
    /// durable state and of the durable head position (for subscriptions).
    pub fn start(
        db: sled::Db,
        files: SledFiles,
        head: Head,
    ) -> Result<(Flusher, watch::Receiver<Durable>, watch::Receiver<u64>), StoreError> {
        let commits = Arc::new(Commits {
            state: Mutex::new(Pending {
                committed: head,
                shutdown: false,
            }),
            wake: Condvar::new(),
            flushes: AtomicU64::new(0),
        });
        let (durable_tx, durable_rx) = watch::channel(Durable {
            head,
            poisoned: None,
        });
        let (heads_tx, heads_rx) = watch::channel(head.position);
        let worker = Worker {
            db,
            files,
            commits: Arc::clone(&commits),
            durable_tx,
            heads_tx,
        };
        let thread = std::thread::Builder::new()
            .name("sijill-sled-flush".into())
            .spawn(move || worker.run(head))
            .map_err(|e| StoreError::io("starting the flush thread", e))?;
        Ok((
            Flusher {
                commits,
                thread: Some(thread),
            },
            durable_rx,
            heads_rx,
        ))
    }

    pub fn commits(&self) -> &Arc<Commits> {
        &self.commits
    }
}

impl Drop for Flusher {
    fn drop(&mut self) {
        lock(&self.commits.state).shutdown = true;
        self.commits.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            // A panic in the thread has already been reported; nothing more to do here.
            let _ = thread.join();
        }
    }
}

struct Worker {
    db: sled::Db,
    files: SledFiles,
    commits: Arc<Commits>,
    durable_tx: watch::Sender<Durable>,
    heads_tx: watch::Sender<u64>,
}

impl Worker {
    fn run(mut self, mut durable: Head) {
        while let Some(target) = self.next_target(durable.position) {
            match self.make_durable() {
                Ok(()) => {
                    durable = target;
                    self.commits.flushes.fetch_add(1, Ordering::Relaxed);
                    self.durable_tx.send_replace(Durable {
                        head: target,
                        poisoned: None,
                    });
                    self.heads_tx.send_replace(target.position);
                }
                Err(reason) => {
                    tracing::error!(%reason, "making the log durable failed; refusing further writes");
                    self.durable_tx
                        .send_modify(|d| d.poisoned = Some(reason.into()));
                    self.wait_for_shutdown();
                    return;
                }
            }
        }
    }

    /// Waits until something is committed past `durable` (returns the committed head), or
    /// shutdown with nothing pending (returns `None`).
    fn next_target(&self, durable: u64) -> Option<Head> {
        let mut pending = lock(&self.commits.state);
        loop {
            if pending.committed.position > durable {
                return Some(pending.committed);
            }
            if pending.shutdown {
                return None;
            }
            pending = self
                .commits
                .wake
                .wait(pending)
                .unwrap_or_else(|p| p.into_inner());
        }
    }

    fn make_durable(&mut self) -> Result<(), String> {
        self.db
            .flush()
            .map_err(|e| format!("sled flush failed: {e}"))?;
        self.files
            .sync()
            .map_err(|e| format!("fsync of the sled files failed: {e}"))
    }

    /// After a failed fsync the kernel may have dropped the dirty pages and cleared the error,
    /// so a retry could "succeed" without the data: stay poisoned until the store is dropped.
    fn wait_for_shutdown(&self) {
        let mut pending = lock(&self.commits.state);
        while !pending.shutdown {
            pending = self
                .commits
                .wake
                .wait(pending)
                .unwrap_or_else(|p| p.into_inner());
        }
    }
}
