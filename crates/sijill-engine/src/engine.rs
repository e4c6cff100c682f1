//! `Engine`: the handle callers hold. It owns the queue to the single writer, the published
//! state readers take snapshots of, and the follower.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sijill_domain::query::TreeIndex;
use sijill_domain::{Command, EntityId, Registry};
use sijill_store::{CommandId, EventStore};
use tokio::sync::{mpsc, oneshot, watch};

use crate::checkpoint::{self, CheckpointOptions, Checkpointer};
use crate::error::EngineError;
use crate::follow::{self, Follower};
use crate::limits::*;
use crate::recorded::RecordedCache;
use crate::replay::catch_up;
use crate::writer::{Job, Msg, Writer};

/// Replay progress: called with (events applied, events to apply).
pub type Progress = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// Whether the engine follows appends made by other processes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Follow {
    /// Only this engine appends (sled: one process per data folder).
    #[default]
    Off,
    /// A task subscribes to the store and applies what other processes append, so several
    /// servers on one PostgreSQL log serve the same state.
    On,
}

/// How an engine runs. `Default` gives the `*_DEFAULT` limits, no follower, no progress.
#[derive(Clone)]
pub struct EngineOptions {
    /// Submissions that may wait for the writer; beyond this `submit` answers `Busy`.
    pub queue_len: usize,
    /// Most submissions per writer round (one durable flush).
    pub group_submissions_max: usize,
    /// Catch-ups after a conflict before a round answers `Conflict`.
    pub conflict_retries_max: u32,
    /// Past states kept for `as_recorded_at`.
    pub as_recorded_cache_len: usize,
    pub follow: Follow,
    /// Called during the replay in `open`.
    pub progress: Option<Progress>,
    /// Where to save checkpoints of the registry and start from them (see
    /// [`CheckpointOptions`]); `None`: every open replays the whole log.
    pub checkpoints: Option<CheckpointOptions>,
}

impl Default for EngineOptions {
    fn default() -> EngineOptions {
        EngineOptions {
            queue_len: QUEUE_LEN_DEFAULT,
            group_submissions_max: GROUP_SUBMISSIONS_DEFAULT,
            conflict_retries_max: CONFLICT_RETRIES_DEFAULT,
            as_recorded_cache_len: AS_RECORDED_CACHE_DEFAULT,
            follow: Follow::Off,
            progress: None,
            checkpoints: None,
        }
    }
}

impl std::fmt::Debug for EngineOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineOptions")
            .field("queue_len", &self.queue_len)
            .field("group_submissions_max", &self.group_submissions_max)
            .field("conflict_retries_max", &self.conflict_retries_max)
            .field("as_recorded_cache_len", &self.as_recorded_cache_len)
            .field("follow", &self.follow)
            .field("progress", &self.progress.is_some())
            .field("checkpoints", &self.checkpoints)
            .finish()
    }
}

impl EngineOptions {
    fn check(&self) -> Result<(), EngineError> {
        let within = |name: &str, value: usize, max: usize| {
            if value == 0 || value > max {
                Err(EngineError::bad_request(format!(
                    "{name} is {value}; use 1 to {max}"
                )))
            } else {
                Ok(())
            }
        };
        within("queue_len", self.queue_len, QUEUE_LEN_MAX)?;
        if self
            .checkpoints
            .as_ref()
            .is_some_and(|c| c.every_events == 0)
        {
            let message = "checkpoints.every_events is 0; use 1 or more (a checkpoint after \
                           every event would cost a save of the whole state per event)";
            return Err(EngineError::bad_request(message.to_owned()));
        }
        within(
            "group_submissions_max",
            self.group_submissions_max,
            GROUP_SUBMISSIONS_MAX,
        )?;
        within(
            "as_recorded_cache_len",
            self.as_recorded_cache_len,
            AS_RECORDED_CACHE_MAX,
        )?;
        if self.conflict_retries_max > CONFLICT_RETRIES_MAX {
            let message = format!(
                "conflict_retries_max is {}; use 0 to {CONFLICT_RETRIES_MAX}",
                self.conflict_retries_max
            );
            return Err(EngineError::bad_request(message));
        }
        Ok(())
    }
}

/// One atomic batch of commands, recorded under one command id by one actor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    pub commands: Vec<Command>,
    /// The idempotency key. Without one the engine mints a UUIDv7, and a retry cannot be
    /// recognised as one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_id: Option<CommandId>,
    /// Who records it (a token's name, a user name).
    pub actor: String,
    /// The document it rests on (minutes, a press report, a decree).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// Where a submission landed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub command_id: CommandId,
    /// The positions of its events, `first..=last`.
    pub first: u64,
    pub last: u64,
    /// A position of the published state that includes the batch: pass it as
    /// `min_position` to read this write.
    pub position: u64,
    /// The entities its events created, in order.
    pub created: Vec<EntityId>,
    /// True when the command id was already recorded: nothing was appended, and the
    /// positions and ids are the original ones.
    pub deduplicated: bool,
}

/// A consistent state: the registry after the first `position` events.
#[derive(Clone)]
pub struct Snapshot {
    pub registry: Arc<Registry>,
    pub position: u64,
    /// The tree's index of this state, built by the first tree query and shared by every
    /// clone of the snapshot (a new state gets a new one).
    tree: Arc<std::sync::OnceLock<TreeIndex>>,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("position", &self.position)
            .finish_non_exhaustive()
    }
}

impl Snapshot {
    pub(crate) fn of(registry: Registry) -> Snapshot {
        let position = registry.position();
        Snapshot {
            registry: Arc::new(registry),
            position,
            tree: Arc::default(),
        }
    }

    /// The index the tree of bodies is folded from, for any date, in this state.
    pub fn tree_index(&self) -> &TreeIndex {
        self.tree.get_or_init(|| TreeIndex::new(&self.registry))
    }
}

/// The registry engine. Cheap to clone: clones share one writer and one state.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn EventStore>,
    queue: mpsc::Sender<Msg>,
    queue_len: usize,
    published: watch::Receiver<Snapshot>,
    stopping: AtomicBool,
    /// Tells the writer's and follower's owners that shutdown finished.
    stopped: watch::Receiver<bool>,
    follower: Mutex<Option<Follower>>,
    checkpointer: Mutex<Option<Checkpointer>>,
    recorded: RecordedCache,
}

impl Engine {
    /// Opens a registry: loads its newest usable checkpoint (if checkpoints are on), replays
    /// the log after it (reporting progress), then starts the writer, the checkpointer and,
    /// with [`Follow::On`], the follower. Needs a tokio runtime.
    pub async fn open(
        store: Arc<dyn EventStore>,
        options: EngineOptions,
    ) -> Result<Engine, EngineError> {
        options.check()?;
        let mut registry = Registry::new();
        if let Some(checkpoints) = &options.checkpoints {
            let started = Instant::now();
            if let Some(loaded) = checkpoint::load_newest(&store, &checkpoints.folder).await {
                tracing::info!(
                    file = %loaded.file.display(),
                    position = loaded.registry.position(),
                    seconds = started.elapsed().as_secs_f64(),
                    "started from a checkpoint"
                );
                registry = loaded.registry;
            }
        }
        let covered = registry.position();
        catch_up(&store, &mut registry, None, options.progress.as_ref()).await?;
        let (publish, published) = watch::channel(Snapshot::of(registry.clone()));
        let checkpointer = options.checkpoints.clone().map(|checkpoints| {
            Checkpointer::start(Arc::clone(&store), checkpoints, published.clone(), covered)
        });
        let (queue, inbox) = mpsc::channel(options.queue_len);
        let (follower, followed) = match options.follow {
            Follow::On => {
                let (follower, followed) = follow::start(Arc::clone(&store), published.clone());
                (Some(follower), Some(followed))
            }
            Follow::Off => (None, None),
        };
        let (stop_done, stopped) = watch::channel(false);
        let writer = Writer::new(Arc::clone(&store), registry, publish, &options);
        tokio::spawn(writer.run(inbox, followed, stop_done));
        let inner = Inner {
            store,
            queue,
            queue_len: options.queue_len,
            published,
            stopping: AtomicBool::new(false),
            stopped,
            follower: Mutex::new(follower),
            checkpointer: Mutex::new(checkpointer),
            recorded: RecordedCache::new(options.as_recorded_cache_len),
        };
        Ok(Engine {
            inner: Arc::new(inner),
        })
    }

    /// Records a submission as one atomic batch (see the crate docs for the writer's round).
    /// Resolves once the batch is durable and the published state includes it.
    pub async fn submit(&self, submission: Submission) -> Result<Receipt, EngineError> {
        if self.inner.stopping.load(Ordering::Acquire) {
            return Err(EngineError::ShuttingDown);
        }
        let (reply, answer) = oneshot::channel();
        let job = Job { submission, reply };
        match self.inner.queue.try_send(Msg::Submit(job)) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                return Err(EngineError::Busy {
                    queue_len: self.inner.queue_len,
                });
            }
            Err(mpsc::error::TrySendError::Closed(_)) => return Err(EngineError::ShuttingDown),
        }
        // The writer answers every job it takes, even when stopping; a dropped reply means it
        // is gone.
        answer.await.unwrap_or(Err(EngineError::ShuttingDown))
    }

    /// The latest published state. Never waits for the writer.
    pub fn snapshot(&self) -> Snapshot {
        self.inner.published.borrow().clone()
    }

    /// The published state once it includes `min_position` (read-your-writes), waiting at
    /// most `timeout` (capped at [`WAIT_TIMEOUT_MAX`]).
    pub async fn wait_for(
        &self,
        min_position: u64,
        timeout: Duration,
    ) -> Result<Snapshot, EngineError> {
        let timeout = timeout.min(WAIT_TIMEOUT_MAX);
        let mut published = self.inner.published.clone();
        let started = Instant::now();
        let reached =
            tokio::time::timeout(timeout, published.wait_for(|s| s.position >= min_position)).await;
        match reached {
            Ok(Ok(snapshot)) => Ok(snapshot.clone()),
            _ => Err(EngineError::Timeout {
                wanted: min_position,
                reached: self.snapshot().position,
                waited_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            }),
        }
    }

    /// The state as recorded at `position`: the registry after the log's first `position`
    /// events, as it answered then (before any later correction or retraction).
    pub async fn as_recorded_at(&self, position: u64) -> Result<Snapshot, EngineError> {
        let current = self.snapshot();
        if position == current.position {
            return Ok(current);
        }
        if position > current.position {
            let message = format!(
                "as_recorded_at {position} is past the end of the log (position {}): give a \
                 position from 0 to {}",
                current.position, current.position
            );
            return Err(EngineError::bad_request(message));
        }
        self.inner
            .recorded
            .get_or_replay(&self.inner.store, position)
            .await
    }

    pub fn store(&self) -> &Arc<dyn EventStore> {
        &self.inner.store
    }

    /// Stops taking submissions, finishes those already queued (each is answered), and
    /// stops the follower. Every acknowledged submission is durable, so nothing is left to
    /// flush. Idempotent; returns once the writer has stopped.
    pub async fn shutdown(&self) {
        if !self.inner.stopping.swap(true, Ordering::AcqRel) {
            let (done, finished) = oneshot::channel();
            // Waits for room rather than failing: the queue drains as the writer works.
            if self.inner.queue.send(Msg::Shutdown(done)).await.is_ok() {
                let _ = finished.await;
            }
            let follower = self
                .inner
                .follower
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take();
            if let Some(follower) = follower {
                follower.stop().await;
            }
            // After the writer: the last checkpoint covers everything it recorded.
            let checkpointer = self
                .inner
                .checkpointer
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take();
            if let Some(checkpointer) = checkpointer {
                checkpointer.stop().await;
            }
        }
        let mut stopped = self.inner.stopped.clone();
        // An error means the writer is gone, which is stopped too.
        let _ = stopped.wait_for(|done| *done).await;
    }
}
