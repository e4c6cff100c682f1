//! The single writer: one task owns the evolving state and is the only one in this process
//! that appends to the log.
//!
//! A round: take up to `group_submissions_max` queued submissions; look up the command ids
//! their callers gave (a known one is answered with its original receipt); decide each
//! submission against the state the previous ones left (a rejected one fails alone); append
//! every accepted batch with one `append_group` (one durable flush for all of them: group
//! commit); publish the new state; answer each caller. Answering after publishing is what
//! makes a receipt's `position` readable at once.
//!
//! Architecture invariant: the published state only ever holds events that are durably in
//! the log, in log order. The writer applies its own decisions only after the store
//! acknowledged them at exactly the positions decided against; in every other case
//! (a conflict, a deduplication race, a store failure) it re-reads the log instead.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sijill_domain::{
    apply, decide, Command, Context, DomainError, EntityId, Event, Registry, BATCH_COMMANDS_MAX,
};
use sijill_store::validate::validate_batches;
use sijill_store::{
    AppendError, Appended, CommandId, EventStore, NewBatch, StoreError, StoredEvent,
};
use tokio::sync::{mpsc, oneshot, watch};
use uuid::Uuid;

use crate::codec::{decode, encode_batch};
use crate::engine::{EngineOptions, Receipt, Snapshot, Submission};
use crate::error::EngineError;
use crate::limits::{CONFLICT_PAUSE_DOUBLINGS_MAX, CONFLICT_PAUSE_STEP_US};
use crate::replay::{absorb, catch_up};

/// What callers send the writer.
pub(crate) enum Msg {
    Submit(Job),
    /// Finish what is queued before this, then stop.
    Shutdown(oneshot::Sender<()>),
}

pub(crate) struct Job {
    pub submission: Submission,
    pub reply: oneshot::Sender<Result<Receipt, EngineError>>,
}

/// A submission admitted to a round, with the later submissions of the same round that
/// carry the same command id (they get its receipt, marked deduplicated).
struct Pending {
    job: Job,
    command_id: CommandId,
    duplicates: Vec<Job>,
}

impl Pending {
    fn answer(self, result: Result<Receipt, EngineError>) {
        for duplicate in self.duplicates {
            let again = result.clone().map(|receipt| Receipt {
                deduplicated: true,
                ..receipt
            });
            let _ = duplicate.reply.send(again);
        }
        // A caller that stopped waiting is no error: its batch is recorded (or not) all the same.
        let _ = self.job.reply.send(result);
    }
}

/// The batches of one round, and the state they lead to.
struct Round {
    state: Registry,
    batches: Vec<NewBatch>,
    accepted: Vec<(Pending, Vec<EntityId>)>,
    /// The accepted submissions' events, in order.
    applied: Vec<Event>,
}

pub(crate) struct Writer {
    store: Arc<dyn EventStore>,
    state: Registry,
    publish: watch::Sender<Snapshot>,
    reclaim: Reclaimer,
    group_max: usize,
    retries_max: u32,
}

impl Writer {
    pub fn new(
        store: Arc<dyn EventStore>,
        state: Registry,
        publish: watch::Sender<Snapshot>,
        options: &EngineOptions,
    ) -> Writer {
        Writer {
            store,
            state,
            publish,
            reclaim: Reclaimer::start(),
            group_max: options.group_submissions_max,
            retries_max: options.conflict_retries_max,
        }
    }

    /// Serves until shutdown (or until every `Engine` handle is gone), then answers what is
    /// left in the queue with `ShuttingDown`.
    pub async fn run(
        mut self,
        mut inbox: mpsc::Receiver<Msg>,
        mut followed: Option<mpsc::Receiver<Vec<StoredEvent>>>,
        stopped: watch::Sender<bool>,
    ) {
        let done = self.serve(&mut inbox, &mut followed).await;
        inbox.close();
        while let Some(msg) = inbox.recv().await {
            match msg {
                Msg::Submit(job) => {
                    let _ = job.reply.send(Err(EngineError::ShuttingDown));
                }
                Msg::Shutdown(done) => {
                    let _ = done.send(());
                }
            }
        }
        // Release the store before saying "stopped": a caller may reopen its data folder next.
        drop(self);
        if let Some(done) = done {
            let _ = done.send(());
        }
        stopped.send_replace(true);
    }

    async fn serve(
        &mut self,
        inbox: &mut mpsc::Receiver<Msg>,
        followed: &mut Option<mpsc::Receiver<Vec<StoredEvent>>>,
    ) -> Option<oneshot::Sender<()>> {
        loop {
            // Followed events first: a round decided on a stale state would only conflict.
            let msg = tokio::select! {
                biased;
                events = next_followed(followed) => {
                    self.follow(&events).await;
                    continue;
                }
                msg = inbox.recv() => msg,
            };
            let first = match msg? {
                Msg::Submit(job) => job,
                Msg::Shutdown(done) => return Some(done),
            };
            let (jobs, stop) = gather(first, inbox, self.group_max);
            self.run_round(jobs).await;
            if stop.is_some() {
                return stop;
            }
        }
    }

    async fn follow(&mut self, events: &[StoredEvent]) {
        match absorb(&mut self.state, events) {
            Ok(true) => self.publish_state(),
            Ok(false) => self.catch_up().await,
            Err(e) => {
                tracing::error!(error = %e, "cannot apply a followed event; the registry stays at position {}", self.state.position());
                self.publish_state();
            }
        }
    }

    async fn run_round(&mut self, jobs: Vec<Job>) {
        let mut pending = self.admit(jobs).await;
        let mut retries = 0;
        while !pending.is_empty() {
            let (round, rest, rejected) = self.decide(pending);
            pending = rest;
            if !round.accepted.is_empty() {
                let expected = self.state.position();
                match self.store.append_group(round.batches, expected).await {
                    Ok(results) => self.commit(round.state, round.accepted, results).await,
                    Err(AppendError::Conflict { actual, .. }) => {
                        tracing::debug!(expected, actual, "log head moved; catching up");
                        // The store named the head it found: read up to it without asking.
                        self.catch_up_to(Some(actual)).await;
                        pending.splice(0..0, round.accepted.into_iter().map(|(p, _)| p));
                        retries += 1;
                        conflict_pause(retries).await;
                    }
                    Err(AppendError::Store(e)) => self.resolve_unknown(round.accepted, e).await,
                    Err(AppendError::Limit(e)) => fail_all(round.accepted, StoreError::Limit(e)),
                    Err(AppendError::Invalid(e)) => {
                        // Every batch was validated alone; a refusal here is a bug, not input.
                        let detail = format!("the store refused a valid group: {e}");
                        fail_all(round.accepted, StoreError::Backend(detail))
                    }
                }
            }
            let stale = self.recheck(rejected, retries).await;
            if !stale.is_empty() {
                retries += 1;
            }
            pending.splice(0..0, stale);
            if retries > self.retries_max && !pending.is_empty() {
                let error = EngineError::Conflict { retries };
                pending
                    .into_iter()
                    .for_each(|p| p.answer(Err(error.clone())));
                return;
            }
        }
    }

    /// Answers rejected submissions, unless the log has moved past the state they were
    /// decided against (another process appended): then the writer catches up and returns
    /// them to be decided again, so that no one is refused on a stale state (say, "no such
    /// handle" for an entity another server just recorded).
    async fn recheck(
        &mut self,
        rejected: Vec<(Pending, EngineError)>,
        retries: u32,
    ) -> Vec<Pending> {
        if rejected.is_empty() {
            return Vec::new();
        }
        let moved = match self.store.head().await {
            Ok(head) => head.position > self.state.position(),
            Err(_) => false,
        };
        if moved && retries < self.retries_max {
            self.catch_up().await;
            return rejected.into_iter().map(|(p, _)| p).collect();
        }
        rejected
            .into_iter()
            .for_each(|(p, error)| p.answer(Err(error)));
        Vec::new()
    }

    /// Checks each job, mints missing command ids, answers those already recorded, and
    /// folds same-id jobs of this round together.
    async fn admit(&mut self, jobs: Vec<Job>) -> Vec<Pending> {
        let mut pending: Vec<Pending> = Vec::with_capacity(jobs.len());
        let mut given: HashMap<CommandId, usize> = HashMap::new();
        for job in jobs {
            if let Err(e) = check_submission(&job.submission) {
                let _ = job.reply.send(Err(e));
                continue;
            }
            let Some(id) = job.submission.command_id.clone() else {
                let command_id = mint_command_id();
                pending.push(Pending {
                    job,
                    command_id,
                    duplicates: Vec::new(),
                });
                continue;
            };
            match given.get(&id) {
                Some(&index) => pending[index].duplicates.push(job),
                None => {
                    given.insert(id.clone(), pending.len());
                    pending.push(Pending {
                        job,
                        command_id: id,
                        duplicates: Vec::new(),
                    });
                }
            }
        }
        self.drop_recorded(pending, &given).await
    }

    /// Answers the pending submissions whose command id the log already holds.
    async fn drop_recorded(
        &mut self,
        pending: Vec<Pending>,
        given: &HashMap<CommandId, usize>,
    ) -> Vec<Pending> {
        if given.is_empty() {
            return pending;
        }
        let lookups = pending.iter().map(|p| {
            let store = Arc::clone(&self.store);
            let id = given
                .contains_key(&p.command_id)
                .then(|| p.command_id.clone());
            async move {
                match id {
                    Some(id) => store.find_command(&id).await,
                    None => Ok(None),
                }
            }
        });
        let found = futures::future::join_all(lookups).await;
        let mut kept = Vec::with_capacity(pending.len());
        for (p, found) in pending.into_iter().zip(found) {
            match found {
                Ok(None) => kept.push(p),
                Ok(Some(appended)) => {
                    let receipt =
                        recorded_receipt(&*self.store, &appended, self.state.position()).await;
                    p.answer(receipt);
                }
                Err(e) => p.answer(Err(e.into())),
            }
        }
        kept
    }

    /// Decides pending submissions in order against the evolving state. Returns the round,
    /// those that would push it past the store's group limit (for the next round), and the
    /// rejected ones with their errors.
    ///
    /// Commands are decided with `decide` and applied in place, which is what `decide_batch`
    /// does, minus its clone of the state per submission: with persistent maps, a clone
    /// kept alive makes every later insert copy the nodes it touches, and a round decides
    /// hundreds of submissions. The rare submission that fails after changing the state is
    /// rolled back by rebuilding the round's state from the events accepted before it.
    fn decide(&self, pending: Vec<Pending>) -> (Round, Vec<Pending>, Vec<(Pending, EngineError)>) {
        let recorded_at = Utc::now();
        let mut round = Round {
            state: self.state.clone(),
            batches: Vec::new(),
            accepted: Vec::new(),
            applied: Vec::new(),
        };
        let mut rejected = Vec::new();
        let mut rest = pending.into_iter();
        while let Some(p) = rest.next() {
            let events =
                match decide_in_place(&mut round.state, &p.job.submission.commands, recorded_at) {
                    Ok(events) => events,
                    Err((error, changed)) => {
                        if changed {
                            round.state = self.rebuild(&round.applied);
                        }
                        rejected.push((p, error));
                        continue;
                    }
                };
            let full = round.applied.len() + events.len() > sijill_store::limits::GROUP_EVENTS_MAX;
            if full && !round.accepted.is_empty() {
                round.state = self.rebuild(&round.applied);
                let left: Vec<Pending> = std::iter::once(p).chain(rest).collect();
                return (round, left, rejected);
            }
            let submission = &p.job.submission;
            let batch = encode_batch(
                p.command_id.clone(),
                &submission.actor,
                submission.source.as_deref(),
                recorded_at,
                &events,
            );
            if let Err(e) = check_batch(&batch, &events) {
                round.state = self.rebuild(&round.applied);
                rejected.push((p, e));
                continue;
            }
            round.batches.push(batch);
            round
                .accepted
                .push((p, events.iter().filter_map(Event::created).collect()));
            round.applied.extend(events);
        }
        (round, Vec::new(), rejected)
    }

    /// The writer's state with `events` applied: a round's state without the submission
    /// being rolled back.
    fn rebuild(&self, events: &[Event]) -> Registry {
        let mut state = self.state.clone();
        events.iter().for_each(|event| apply(&mut state, event));
        state
    }

    /// After `append_group` succeeded: publish and answer.
    async fn commit(
        &mut self,
        decided: Registry,
        accepted: Vec<(Pending, Vec<EntityId>)>,
        results: Vec<Appended>,
    ) {
        let expected = self.state.position();
        if as_decided(expected, decided.position(), &results) {
            let replaced = std::mem::replace(&mut self.state, decided);
            self.publish_state();
            // The replaced state may hold the last references to the nodes the new one copied.
            self.reclaim.drop_later(Snapshot::of(replaced));
        } else {
            // Another process recorded one of these command ids after the lookup: the store
            // deduplicated it, so positions differ from the decision. Re-read the log.
            self.catch_up().await;
        }
        let position = self.state.position();
        for ((p, created), appended) in accepted.into_iter().zip(results) {
            let receipt = if appended.deduplicated {
                recorded_receipt(&*self.store, &appended, position).await
            } else {
                Ok(receipt(appended, created, position))
            };
            p.answer(receipt);
        }
    }

    /// The store failed after the group was sent: it may or may not be recorded. Each batch
    /// is resolved through its command id before its caller is answered, so nobody is told
    /// "failed" for something the log holds.
    async fn resolve_unknown(
        &mut self,
        accepted: Vec<(Pending, Vec<EntityId>)>,
        error: StoreError,
    ) {
        tracing::error!(%error, "append failed; resolving each batch by its command id");
        // A store that failed to make writes durable cannot say what will survive a restart.
        let poisoned = matches!(error, StoreError::Poisoned { .. });
        let error = Arc::new(error);
        self.catch_up().await;
        let position = self.state.position();
        for (p, created) in accepted {
            let found = match poisoned {
                true => Err(StoreError::Poisoned {
                    reason: error.to_string(),
                }),
                false => self.store.find_command(&p.command_id).await,
            };
            let answer = match found {
                Ok(Some(appended)) => Ok(receipt(appended, created, position)),
                Ok(None) => Err(EngineError::Store(Arc::clone(&error))),
                Err(e) => Err(EngineError::OutcomeUnknown {
                    command_id: p.command_id.clone(),
                    detail: e.to_string(),
                }),
            };
            p.answer(answer);
        }
    }

    /// Reads what the log holds past the state and publishes it. A failure leaves the state
    /// at a consistent prefix of the log; the next append conflicts and tries again.
    async fn catch_up(&mut self) {
        self.catch_up_to(None).await;
    }

    /// [`Writer::catch_up`] up to `head` (the store's head when `None`).
    async fn catch_up_to(&mut self, head: Option<u64>) {
        if let Err(e) = catch_up(&self.store, &mut self.state, head, None).await {
            tracing::error!(error = %e, "catching up with the log failed at position {}", self.state.position());
        }
        self.publish_state();
    }

    fn publish_state(&self) {
        if self.publish.borrow().position != self.state.position() {
            let replaced = self.publish.send_replace(Snapshot::of(self.state.clone()));
            self.reclaim.drop_later(replaced);
        }
    }
}

/// A short random pause after the `retries`-th conflict in a row. Two busy writers on one
/// log otherwise retry in lockstep: the one that waited for the other's lock always decided
/// before the other's commit, conflicts, catches up, and finds the other's next append
/// already queued ahead of it. A random pause lets it land in a gap between those appends.
async fn conflict_pause(retries: u32) {
    let ceiling_us = CONFLICT_PAUSE_STEP_US << retries.min(CONFLICT_PAUSE_DOUBLINGS_MAX);
    // The random bits of a UUIDv7 (its low 62 bits) are random enough to spread retries.
    let random = Uuid::now_v7().as_u128() as u64;
    let pause = std::time::Duration::from_micros(random % ceiling_us);
    tokio::time::sleep(pause).await;
}

async fn next_followed(
    followed: &mut Option<mpsc::Receiver<Vec<StoredEvent>>>,
) -> Vec<StoredEvent> {
    if let Some(events) = followed.as_mut() {
        if let Some(events) = events.recv().await {
            return events;
        }
    }
    std::future::pending().await
}

/// The first job and whatever else is queued, up to `max`; stops at a shutdown request.
fn gather(
    first: Job,
    inbox: &mut mpsc::Receiver<Msg>,
    max: usize,
) -> (Vec<Job>, Option<oneshot::Sender<()>>) {
    let mut jobs = vec![first];
    while jobs.len() < max {
        match inbox.try_recv() {
            Ok(Msg::Submit(job)) => jobs.push(job),
            Ok(Msg::Shutdown(done)) => return (jobs, Some(done)),
            Err(_) => break,
        }
    }
    (jobs, None)
}

/// True when the store appended every batch, in order, right after `expected`, ending at
/// `decided_head`: then the decided state is the log's state.
fn as_decided(expected: u64, decided_head: u64, results: &[Appended]) -> bool {
    let mut next = expected + 1;
    for appended in results {
        if appended.deduplicated || appended.first != next {
            return false;
        }
        next = appended.last + 1;
    }
    next == decided_head + 1
}

fn receipt(appended: Appended, created: Vec<EntityId>, position: u64) -> Receipt {
    Receipt {
        command_id: appended.command_id,
        first: appended.first,
        last: appended.last,
        position: position.max(appended.last),
        created,
        deduplicated: false,
    }
}

/// The receipt of a batch recorded earlier: its created ids come from its stored events.
async fn recorded_receipt(
    store: &dyn EventStore,
    appended: &Appended,
    position: u64,
) -> Result<Receipt, EngineError> {
    let count = usize::try_from(appended.last + 1 - appended.first).unwrap_or(usize::MAX);
    let mut created = Vec::new();
    let mut next = appended.first;
    while next <= appended.last {
        let want = count.min(sijill_store::limits::PAGE_EVENTS_MAX);
        let page = store.read(next, want).await?;
        if page.is_empty() {
            break;
        }
        for stored in page.iter().take_while(|e| e.position() <= appended.last) {
            created.extend(decode(stored)?.created());
        }
        next += page.len() as u64;
    }
    Ok(Receipt {
        command_id: appended.command_id.clone(),
        first: appended.first,
        last: appended.last,
        position: position.max(appended.last),
        created,
        deduplicated: true,
    })
}

fn fail_all(accepted: Vec<(Pending, Vec<EntityId>)>, error: StoreError) {
    let error = EngineError::Store(Arc::new(error));
    accepted
        .into_iter()
        .for_each(|(p, _)| p.answer(Err(error.clone())));
}

/// Decides a submission's commands in order, each against the state the previous ones
/// left, applying their events to `state`: `decide_batch` without its clone. On a refusal,
/// returns the error and whether `state` was changed (by the commands before it).
fn decide_in_place(
    state: &mut Registry,
    commands: &[Command],
    recorded_at: DateTime<Utc>,
) -> Result<Vec<Event>, (EngineError, bool)> {
    let refuse = |index: usize, error: DomainError| {
        let command = commands.get(index).map_or("", Command::name);
        (
            EngineError::Rejected {
                index,
                command,
                error: Box::new(error),
            },
            index > 0,
        )
    };
    if commands.len() > BATCH_COMMANDS_MAX {
        return Err(refuse(
            BATCH_COMMANDS_MAX,
            DomainError::BatchTooLarge {
                max: BATCH_COMMANDS_MAX,
            },
        ));
    }
    let mut ids = Uuid::now_v7;
    let mut events = Vec::with_capacity(commands.len());
    for (index, command) in commands.iter().enumerate() {
        let mut ctx = Context::new(recorded_at, &mut ids);
        let decided = decide(state, command, &mut ctx).map_err(|error| refuse(index, error))?;
        decided.iter().for_each(|event| apply(state, event));
        events.extend(decided);
    }
    Ok(events)
}

/// A command id for a submission that came without one: unique, never a retry.
fn mint_command_id() -> CommandId {
    CommandId::new(Uuid::now_v7().to_string()).expect("a UUID is a valid command id")
}

/// Refuses a submission the store would refuse, before deciding it.
fn check_submission(submission: &Submission) -> Result<(), EngineError> {
    use sijill_store::limits::{ACTOR_LEN_MAX, SOURCE_LEN_MAX};
    if submission.commands.is_empty() {
        return Err(EngineError::bad_request(
            "the submission holds no command: give at least one",
        ));
    }
    let actor = submission.actor.trim();
    if actor.is_empty() || submission.actor.len() > ACTOR_LEN_MAX {
        let message =
            format!("the actor must name who records this, in 1 to {ACTOR_LEN_MAX} bytes");
        return Err(EngineError::bad_request(message));
    }
    if submission
        .source
        .as_ref()
        .is_some_and(|s| s.len() > SOURCE_LEN_MAX)
    {
        let message =
            format!("the source is longer than {SOURCE_LEN_MAX} bytes: cite the document briefly");
        return Err(EngineError::bad_request(message));
    }
    Ok(())
}

/// Refuses a batch that breaks a store limit (too many events, a payload too large), so
/// that it fails alone instead of failing the whole group.
fn check_batch(batch: &NewBatch, events: &[Event]) -> Result<(), EngineError> {
    if events.is_empty() {
        return Err(EngineError::bad_request("the commands recorded nothing"));
    }
    validate_batches(std::slice::from_ref(batch)).map_err(|e| {
        let message =
            format!("the submission cannot be stored: {e}; split it into smaller submissions");
        EngineError::bad_request(message)
    })
}

/// Drops replaced snapshots on a thread of its own. Dropping the last reference to a
/// registry version frees every node the next version copied on write; that is a large part
/// of a round's work, and the writer is the one thread everything else waits for.
struct Reclaimer {
    snapshots: Option<std::sync::mpsc::SyncSender<Snapshot>>,
}

/// Replaced snapshots waiting to be dropped; beyond this the writer drops them itself.
const RECLAIM_QUEUE_LEN: usize = 64;

impl Reclaimer {
    fn start() -> Reclaimer {
        let (snapshots, dropped) = std::sync::mpsc::sync_channel::<Snapshot>(RECLAIM_QUEUE_LEN);
        let thread = std::thread::Builder::new()
            .name("sijill-engine-reclaim".into())
            .spawn(move || dropped.into_iter().for_each(drop));
        // Without the thread, snapshots are dropped inline: slower, never wrong.
        Reclaimer {
            snapshots: thread.ok().map(|_| snapshots),
        }
    }

    fn drop_later(&self, snapshot: Snapshot) {
        if let Some(snapshots) = &self.snapshots {
            // A full queue or a gone thread hands the snapshot back: drop it here.
            let _ = snapshots.try_send(snapshot);
        }
    }
}
