//! The group-commit writer: one task per store that drains the append queue into one
//! transaction at a time.
//!
//! A transaction takes the registry's transaction-scoped advisory lock, reads the head and
//! the known command ids, plans every queued job in queue order against the head the jobs
//! before it leave (a job that conflicts or is invalid gets its own error and the others go
//! on), writes all planned events with one statement, and commits. Because every writer of a
//! registry, on every server, holds the lock from reading the head to committing, positions
//! are assigned head+1.. with no gap and commit order is position order.
//!
//! A lost connection before COMMIT leaves nothing behind, so the transaction is retried. A
//! lost connection during COMMIT leaves the outcome unknown: the writer then looks the last
//! command id up (under the lock, so the old transaction has finished either way) and
//! compares its positions and hash with what it wrote. Committed means acknowledged as
//! written; not committed means retried; never both.

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::Pool;
use sijill_store::limits::GROUP_EVENTS_MAX;
use sijill_store::AppendError;
use tokio::sync::{mpsc, oneshot, watch};

use crate::error::PostgresError;
use crate::plan::{Done, Plan, Work};
use crate::read::RETRY_BACKOFF;
use crate::tx::{self, TxFail};

/// Jobs waiting for the writer before `append` waits for room (and `queue_group` refuses).
pub const WRITE_QUEUE_JOBS_MAX: usize = 4_096;

/// Jobs committed in one transaction at most (events are bounded by `GROUP_EVENTS_MAX`).
pub const GROUP_JOBS_MAX: usize = 1_024;

/// After a transaction of several jobs, how long the writer waits for as many jobs to be
/// queued again before it starts the next one. The callers just answered usually send their
/// next append within this time; without the wait, commits alternate between one job (the
/// one queued while the others were being answered) and all the rest. A lone caller never
/// waits: its previous transaction held one job.
pub const GROUP_GATHER_WAIT: Duration = Duration::from_millis(1);

/// Attempts of one transaction whose connection was lost before it could commit.
pub const WRITE_ATTEMPTS_MAX: u32 = 3;

/// Attempts to learn whether a transaction whose COMMIT lost its connection committed.
/// With the backoff (from `RETRY_BACKOFF`, doubling, at most `CONNECT_TIMEOUT`) this waits at
/// least half a minute for PostgreSQL to come back.
pub const RESOLVE_ATTEMPTS_MAX: u32 = 10;

pub(crate) struct Job {
    pub work: Work,
    pub reply: oneshot::Sender<Result<Done, AppendError>>,
}

/// The writer's view of the store.
pub(crate) struct Writer {
    pub pool: Pool,
    pub registry: i32,
    /// The durable head, announced to subscriptions after each commit.
    pub heads: Arc<watch::Sender<u64>>,
}

/// Starts the writer; it stops once every sender of the queue is dropped and the queue is
/// drained.
pub(crate) fn spawn(writer: Writer) -> mpsc::Sender<Job> {
    let (queue, jobs) = mpsc::channel(WRITE_QUEUE_JOBS_MAX);
    tokio::spawn(writer.run(jobs));
    queue
}

/// Raises the announced head; never lowers it (a poll may read an older head than a commit
/// already announced).
pub(crate) fn announce(heads: &watch::Sender<u64>, position: u64) {
    heads.send_if_modified(|head| {
        let raised = position > *head;
        *head = (*head).max(position);
        raised
    });
}

/// The jobs of one transaction, within `GROUP_JOBS_MAX` and `GROUP_EVENTS_MAX`.
struct Group {
    jobs: Vec<Job>,
    events: usize,
}

/// Takes jobs off the queue, a group at a time.
struct Gathering<'a> {
    queue: &'a mut mpsc::Receiver<Job>,
    /// A job that did not fit in the previous group.
    carried: Option<Job>,
}

impl Gathering<'_> {
    /// The next group: everything queued, and, when fewer jobs are queued than the last
    /// group held, whatever arrives within `GROUP_GATHER_WAIT` up to that many. `None` once
    /// the queue is closed and empty.
    async fn next_group(&mut self, last_group: usize) -> Option<Group> {
        let first = match self.carried.take() {
            Some(job) => job,
            None => self.queue.recv().await?,
        };
        let mut group = Group {
            events: first.work.events(),
            jobs: vec![first],
        };
        while let Ok(job) = self.queue.try_recv() {
            if !self.add(&mut group, job) {
                return Some(group);
            }
        }
        let deadline = tokio::time::Instant::now() + GROUP_GATHER_WAIT;
        while group.jobs.len() < last_group {
            let Ok(Some(job)) = tokio::time::timeout_at(deadline, self.queue.recv()).await else {
                break;
            };
            if !self.add(&mut group, job) {
                break;
            }
        }
        Some(group)
    }

    /// Adds `job` to `group`, or carries it to the next group (returning false) when the
    /// group is full.
    fn add(&mut self, group: &mut Group, job: Job) -> bool {
        let events = job.work.events();
        if group.jobs.len() >= GROUP_JOBS_MAX || group.events + events > GROUP_EVENTS_MAX {
            self.carried = Some(job);
            return false;
        }
        group.events += events;
        group.jobs.push(job);
        true
    }
}

impl Writer {
    async fn run(self, mut queue: mpsc::Receiver<Job>) {
        let mut gathering = Gathering {
            queue: &mut queue,
            carried: None,
        };
        let mut last_group = 1;
        while let Some(group) = gathering.next_group(last_group).await {
            last_group = group.jobs.len();
            self.commit(group.jobs).await;
        }
    }

    /// Commits one group of jobs and answers each.
    async fn commit(&self, jobs: Vec<Job>) {
        let (works, replies): (Vec<Work>, Vec<_>) =
            jobs.into_iter().map(|j| (j.work, j.reply)).unzip();
        match self.commit_with_retries(&works).await {
            Ok(results) => {
                for (reply, result) in replies.into_iter().zip(results) {
                    // A caller that stopped waiting has gone; its append stands.
                    let _ = reply.send(result);
                }
            }
            Err(error) => {
                for reply in replies {
                    let _ = reply.send(Err(AppendError::Store(error.clone().into())));
                }
            }
        }
    }

    async fn commit_with_retries(
        &self,
        works: &[Work],
    ) -> Result<Vec<Result<Done, AppendError>>, PostgresError> {
        let mut backoff = RETRY_BACKOFF;
        for attempt in 1..=WRITE_ATTEMPTS_MAX {
            let fail = match tx::run(&self.pool, self.registry, works).await {
                Ok(plan) => {
                    announce(&self.heads, plan.head.position);
                    return Ok(plan.results);
                }
                Err(TxFail::Refused(error)) => return Err(error),
                Err(TxFail::Before(fail)) => fail,
                Err(TxFail::AtCommit(fail, plan)) => match self.resolve(&plan).await? {
                    true => {
                        tracing::warn!(
                            detail = fail.detail(),
                            "connection lost during COMMIT; the transaction had committed"
                        );
                        announce(&self.heads, plan.head.position);
                        return Ok(plan.results);
                    }
                    false => fail,
                },
            };
            if !fail.is_connection_loss() || attempt == WRITE_ATTEMPTS_MAX {
                return Err(PostgresError::Query {
                    context: "appending to the log",
                    detail: fail.detail(),
                });
            }
            tracing::warn!(
                attempt,
                detail = fail.detail(),
                "connection lost before COMMIT; retrying the transaction"
            );
            tokio::time::sleep(backoff).await;
            backoff *= 2;
        }
        unreachable!("the loop returns")
    }

    /// Whether the transaction planned as `plan`, whose COMMIT lost its connection,
    /// committed. Looked up under the registry's lock, so the old transaction has ended.
    async fn resolve(&self, plan: &Plan) -> Result<bool, PostgresError> {
        let run = plan
            .runs
            .last()
            .expect("a transaction that commits writes at least one run");
        let mut backoff = RETRY_BACKOFF;
        for attempt in 1..=RESOLVE_ATTEMPTS_MAX {
            match tx::committed_run(&self.pool, self.registry, &run.command_id).await {
                Ok(found) => return Ok(found == Some((run.first, run.last, plan.head.hash))),
                Err(fail) if fail.is_connection_loss() && attempt < RESOLVE_ATTEMPTS_MAX => {
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(crate::config::CONNECT_TIMEOUT);
                }
                Err(fail) => {
                    let command_id = run.command_id.to_string();
                    return Err(PostgresError::OutcomeUnknown {
                        command_id,
                        detail: fail.detail(),
                    });
                }
            }
        }
        unreachable!("the loop returns")
    }
}
