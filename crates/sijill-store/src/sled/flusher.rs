//! Group commit: committed transactions are made durable many at a time, by one flush at a
//! time.
//!
//! Writers commit their sled transaction, report the new committed head here and wait until
//! the durable head reaches their last position. A flush takes the committed head, runs
//! `flush` + fsync and publishes that head as durable. Every transaction committed before a
//! flush starts is covered by it, so an append waits at most for the flush in progress and
//! the next one.
//!
//! Who flushes: if no flush is running when a writer commits, that writer flushes at once on
//! its own thread; otherwise the flushing thread runs the next flush as soon as the current
//! one ends. A lone append therefore pays no hand-off to another thread and no extra
//! wake-up (on a busy two-core machine each wake-up cost tens of microseconds of a ~300 µs
//! append), while concurrent appends still share flushes.

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

/// Where writers report commits and flushes happen; shared with the flushing thread.
pub struct Commits {
    state: Mutex<Pending>,
    /// Wakes the flushing thread: a commit arrived during a flush, or shutdown.
    wake: Condvar,
    flushes: AtomicU64,
    /// Used only by the one flush running (see `Pending::flushing`), so never contended.
    disk: Mutex<Disk>,
    durable_tx: watch::Sender<Durable>,
    heads_tx: watch::Sender<u64>,
}

struct Pending {
    committed: Head,
    durable: Head,
    /// A flush is running: nobody else may start one.
    flushing: bool,
    poisoned: bool,
    shutdown: bool,
}

impl Pending {
    fn flush_due(&self) -> bool {
        self.committed.position > self.durable.position && !self.flushing && !self.poisoned
    }
}

struct Disk {
    db: sled::Db,
    files: SledFiles,
}

/// What a writer must do after reporting a commit.
#[must_use = "a writer told to flush must call `Commits::flush` or `Commits::hand_over`"]
pub enum Duty {
    /// Run the flush now, with [`Commits::flush`], after releasing the writer lock.
    Flush(Head),
    /// A flush is running; the flushing thread runs the next one. Just wait.
    Wait,
}

/// The flushing thread. Dropping it flushes what is committed and stops the thread.
pub struct Flusher {
    commits: Arc<Commits>,
    thread: Option<JoinHandle<()>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Both guarded values stay valid after any panic: plain fields, and sled and file handles
    // whose next flush or fsync reports any problem.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Commits {
    /// Reports a committed transaction ending at `head`. Call under the writer lock, so heads
    /// arrive in order; then act on the returned duty outside it.
    pub fn committed(&self, head: Head) -> Duty {
        let mut pending = lock(&self.state);
        debug_assert!(head.position > pending.committed.position);
        pending.committed = head;
        if pending.flush_due() {
            pending.flushing = true;
            return Duty::Flush(head);
        }
        if !pending.poisoned {
            self.wake.notify_one();
        }
        Duty::Wait
    }

    /// Hands a flush this caller was told to run to the flushing thread, for a caller that
    /// must not wait for the disk. The thread flushes up to the head committed when it starts.
    pub fn hand_over(&self, duty: Duty) {
        if let Duty::Flush(_) = duty {
            lock(&self.state).flushing = false;
            self.wake.notify_one();
        }
    }

    /// Flushes up to `target` (what [`Duty::Flush`] named) and publishes it as durable.
    pub fn flush(&self, target: Head) {
        let result = {
            let mut disk = lock(&self.disk);
            // A panic in here must not leave `flushing` set with nobody to clear it (every
            // waiter would hang): it poisons the store as a failed fsync does.
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| disk.make_durable()))
                .unwrap_or_else(|_| Err("a flush panicked".to_string()))
        };
        let mut pending = lock(&self.state);
        pending.flushing = false;
        match result {
            Ok(()) => {
                pending.durable = target;
                self.flushes.fetch_add(1, Ordering::Relaxed);
                // Published before another flush can start, so the durable head only grows.
                self.durable_tx.send_replace(Durable {
                    head: target,
                    poisoned: None,
                });
                self.heads_tx.send_replace(target.position);
            }
            Err(reason) => {
                // After a failed fsync the kernel may have dropped the dirty pages and cleared
                // the error, so a retry could "succeed" without the data: no flush runs again
                // until the store is reopened.
                tracing::error!(%reason, "making the log durable failed; refusing further writes");
                pending.poisoned = true;
                self.durable_tx
                    .send_modify(|d| d.poisoned = Some(reason.into()));
            }
        }
        if pending.flush_due() || pending.shutdown {
            self.wake.notify_one();
        }
    }

    pub fn flushes(&self) -> u64 {
        self.flushes.load(Ordering::Relaxed)
    }
}

impl Disk {
    fn make_durable(&mut self) -> Result<(), String> {
        self.db
            .flush()
            .map_err(|e| format!("sled flush failed: {e}"))?;
        self.files
            .sync()
            .map_err(|e| format!("fsync of the sled files failed: {e}"))
    }
}

impl Flusher {
    /// Starts the thread with `head` already durable. Returns it with the receivers of the
    /// durable state and of the durable head position (for subscriptions).
    pub fn start(
        db: sled::Db,
        files: SledFiles,
        head: Head,
    ) -> Result<(Flusher, watch::Receiver<Durable>, watch::Receiver<u64>), StoreError> {
        let (durable_tx, durable_rx) = watch::channel(Durable {
            head,
            poisoned: None,
        });
        let (heads_tx, heads_rx) = watch::channel(head.position);
        let commits = Arc::new(Commits {
            state: Mutex::new(Pending {
                committed: head,
                durable: head,
                flushing: false,
                poisoned: false,
                shutdown: false,
            }),
            wake: Condvar::new(),
            flushes: AtomicU64::new(0),
            disk: Mutex::new(Disk { db, files }),
            durable_tx,
            heads_tx,
        });
        let worker = Arc::clone(&commits);
        let thread = std::thread::Builder::new()
            .name("sijill-sled-flush".into())
            .spawn(move || run(&worker))
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

/// The flushing thread: runs the flushes that commits during other flushes left due.
fn run(commits: &Commits) {
    while let Some(target) = next_target(commits) {
        commits.flush(target);
    }
}

/// Waits until a flush is due and claims it (returns the head to flush up to), or until
/// shutdown with nothing left to flush (returns `None`).
fn next_target(commits: &Commits) -> Option<Head> {
    let mut pending = lock(&commits.state);
    loop {
        if pending.flush_due() {
            pending.flushing = true;
            return Some(pending.committed);
        }
        let settled = !pending.flushing
            && (pending.poisoned || pending.committed.position == pending.durable.position);
        if pending.shutdown && settled {
            return None;
        }
        pending = commits
            .wake
            .wait(pending)
            .unwrap_or_else(|p| p.into_inner());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(position: u64) -> Head {
        Head {
            position,
            hash: [position as u8; 32],
        }
    }

    fn start(folder: &std::path::Path) -> (Flusher, watch::Receiver<Durable>) {
        let sled_dir = crate::sled::folder::prepare(folder).unwrap();
        let db = crate::sled::folder::open_sled(folder, &sled_dir).unwrap();
        let files = SledFiles::open(folder, &sled_dir).unwrap();
        let (flusher, durable, _heads) = Flusher::start(db, files, Head::GENESIS).unwrap();
        (flusher, durable)
    }

    #[tokio::test]
    async fn a_lone_commit_is_flushed_by_its_writer_and_a_commit_during_a_flush_by_the_thread() {
        let folder = tempfile::tempdir().unwrap();
        let (flusher, mut durable) = start(folder.path());
        let commits = Arc::clone(flusher.commits());
        // Given nothing being flushed, the writer of a commit is told to flush it itself;
        let Duty::Flush(first) = commits.committed(head(1)) else {
            panic!("a lone commit waited for the thread");
        };
        // while that flush runs, a second writer is told to wait, and nothing else flushes.
        assert!(matches!(commits.committed(head(3)), Duty::Wait));
        assert_eq!(commits.flushes(), 0);
        assert_eq!(durable.borrow().head, Head::GENESIS);
        // When the first flush ends, its head is durable and the thread flushes the second.
        commits.flush(first);
        let reached = durable.wait_for(|d| d.head == head(3)).await.unwrap();
        assert!(reached.poisoned.is_none());
        drop(reached);
        assert_eq!(commits.flushes(), 2);
    }

    #[tokio::test]
    async fn dropping_the_flusher_flushes_what_is_committed() {
        let folder = tempfile::tempdir().unwrap();
        let (flusher, durable) = start(folder.path());
        let commits = Arc::clone(flusher.commits());
        let Duty::Flush(first) = commits.committed(head(1)) else {
            panic!("a lone commit waited for the thread");
        };
        assert!(matches!(commits.committed(head(2)), Duty::Wait));
        // The drop waits for the running flush, then runs the one still due.
        let writer = std::thread::spawn({
            let commits = Arc::clone(&commits);
            move || commits.flush(first)
        });
        drop(flusher);
        writer.join().unwrap();
        assert_eq!(durable.borrow().head, head(2));
        assert_eq!(commits.flushes(), 2);
    }
}
