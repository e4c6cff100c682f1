//! The single writer: one task owns the evolving state and is the only one in this process
//! that appends to the log.
//!
//! A round: take up to `group_submissions_max` queued submissions; look up the command ids
//! their callers gave (a known one is answered with its original receipt); decide each
//! submission against the state the previous ones left (a rejected one fails alone); append
//! every accepted batch with one `append_group_staged` (one durable flush for all of them:
//! group commit); once the store says the round is durable, publish its state and answer
//! each caller. Answering after publishing is what makes a receipt's `position` readable at
//! once.
//!
//! Rounds overlap: as soon as a round is committed in log order (before it is durable) the
//! writer decides and commits the next one against the state the first one leads to, so the
//! processor works while the disk flushes. At most `ROUNDS_IN_FLIGHT_MAX` rounds wait for
//! the disk; they become durable, are published and are answered in log order. Anything out
//! of the ordinary (a rejected submission, a conflict, a store error, followed events, a
//! command id that is in flight, shutdown) first waits for every round in flight.
//!
//! Architecture invariant: the published state only ever holds events that are durably in
//! the log, in log order. The writer publishes its own decisions only after the store made
//! them durable at exactly the positions decided against; in every other case (a conflict,
//! a deduplication race, a store failure) it re-reads the log instead.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
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
use crate::limits::{CONFLICT_PAUSE_DOUBLINGS_MAX, CONFLICT_PAUSE_STEP_US, ROUNDS_IN_FLIGHT_MAX};
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

/// A round committed in log order, waiting for the disk before it is published and answered.
struct InFlight {
    /// The state after this round (and every round before it).
    state: Registry,
    accepted: Vec<(Pending, Vec<EntityId>)>,
    /// The store's results, exactly as decided (no deduplication).
    results: Vec<Appended>,
    durable: BoxFuture<'static, Result<(), StoreError>>,
}

pub(crate) struct Writer {
    store: Arc<dyn EventStore>,
    /// The state every decision is made against: the published state plus the rounds in
    /// flight.
    state: Registry,
    /// Oldest first.
    in_flight: VecDeque<InFlight>,
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
            in_flight: VecDeque::new(),
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
        let stop = loop {
            // Rounds made durable first (their callers wait), then followed events (a round
            // decided on a stale state would only conflict), then new submissions while
            // there is room in flight.
            let room = self.in_flight.len() < ROUNDS_IN_FLIGHT_MAX;
            let msg = tokio::select! {
                biased;
                durable = front_durable(&mut self.in_flight) => {
                    self.settle_front(durable).await;
                    continue;
                }
                events = next_followed(followed) => {
                    self.settle_all().await;
                    self.follow(&events).await;
                    continue;
                }
                msg = inbox.recv(), if room => msg,
            };
            let first = match msg {
                Some(Msg::Submit(job)) => job,
                Some(Msg::Shutdown(done)) => break Some(done),
                None => break None,
            };
            let (jobs, stop) = gather(first, inbox, self.group_max);
            self.run_round(jobs).await;
            if stop.is_some() {
                break stop;
            }
        };
        self.settle_all().await;
        stop
    }

    /// Publishes and answers the oldest round in flight, now that the store reported on its
    /// durability.
    async fn settle_front(&mut self, durable: Result<(), StoreError>) {
        let Some(round) = self.in_flight.pop_front() else {
            return;
        };
        if let Err(error) = durable {
            return self.durability_failed(round, error).await;
        }
        let position = round.state.position();
        self.publish(round.state);
        for ((p, created), appended) in round.accepted.into_iter().zip(round.results) {
            p.answer(Ok(receipt(appended, created, position)));
        }
    }

    /// Waits for every round in flight and settles each.
    async fn settle_all(&mut self) {
        while let Some(front) = self.in_flight.front_mut() {
            let durable = (&mut front.durable).await;
            self.settle_front(durable).await;
        }
    }

    /// A round could not be made durable: neither can the rounds decided on top of it. The
    /// writer goes back to the published state, re-reads the log and resolves each batch
    /// through its command id.
    async fn durability_failed(&mut self, failed: InFlight, error: StoreError) {
        let later: Vec<InFlight> = self.in_flight.drain(..).collect();
        let published = Registry::clone(&self.publish.borrow().registry);
        let replaced = std::mem::replace(&mut self.state, published);
        self.reclaim.drop_later(Snapshot::of(replaced));
        let error = Arc::new(error);
        for round in std::iter::once(failed).chain(later) {
            self.resolve_unknown(round.accepted, Arc::clone(&error))
                .await;
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
        let mut pending = self.admit(jobs);
        let mut retries = 0;
        while !pending.is_empty() {
            let (round, rest, rejected) = self.decide(pending);
            pending = rest;
            if !round.accepted.is_empty() {
                let expected = self.state.position();
                let staged = self
                    .store
                    .append_group_staged(round.batches, expected)
                    .await;
                if staged.is_err() {
                    self.settle_all().await;
                }
                match staged {
                    Ok(staged) if as_decided(expected, round.state.position(), &staged.results) => {
                        let replaced = std::mem::replace(&mut self.state, round.state);
                        // The replaced state may hold the last references to the nodes the new
                        // one copied.
                        self.reclaim.drop_later(Snapshot::of(replaced));
                        self.in_flight.push_back(InFlight {
                            state: self.state.clone(),
                            accepted: round.accepted,
                            results: staged.results,
                            durable: staged.durable,
                        });
                    }
                    Ok(staged) => self.commit_raced(round.accepted, staged).await,
                    Err(AppendError::Conflict { actual, .. }) => {
                        tracing::debug!(expected, actual, "log head moved; catching up");
                        // The store named the head it found: read up to it without asking.
                        self.catch_up_to(Some(actual)).await;
                        pending.splice(0..0, round.accepted.into_iter().map(|(p, _)| p));
                        retries += 1;
                        conflict_pause(retries).await;
                    }
                    Err(AppendError::Store(e)) => {
                        self.resolve_unknown(round.accepted, Arc::new(e)).await
                    }
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
        // A refusal stands only against a state that is durable.
        self.settle_all().await;
        let rejected = self.answer_recorded(rejected).await;
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

    /// Checks each job, mints missing command ids and folds same-id jobs of this round
    /// together.
    ///
    /// Command ids are not looked up before deciding: a retry of a recorded batch is either
    /// refused when decided again (then [`Writer::answer_recorded`] finds its id) or
    /// deduplicated by the store when appended (then the round is answered from the log, as
    /// in [`Writer::commit_raced`]). Either way its caller gets the original receipt, and
    /// the common case, a new batch, costs no lookup of its own.
    fn admit(&mut self, jobs: Vec<Job>) -> Vec<Pending> {
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
        pending
    }

    /// Answers the refused submissions whose caller-given command id the log already holds
    /// with their original receipts: a retry of a recorded batch is usually refused when
    /// decided again (its handles exist by now), and must get what the first attempt got.
    async fn answer_recorded(
        &mut self,
        rejected: Vec<(Pending, EngineError)>,
    ) -> Vec<(Pending, EngineError)> {
        let given = |p: &Pending| p.job.submission.command_id.is_some();
        let ids: Vec<CommandId> = (rejected.iter())
            .filter(|(p, _)| given(p))
            .map(|(p, _)| p.command_id.clone())
            .collect();
        if ids.is_empty() {
            return rejected;
        }
        let mut found = match self.store.find_commands(&ids).await {
            Ok(found) => found.into_iter(),
            Err(e) => {
                // Whether the first attempt was recorded is unknown: say so, not "refused".
                let error = EngineError::from(e);
                let unresolved = rejected
                    .into_iter()
                    .filter_map(|(p, refusal)| match given(&p) {
                        true => {
                            p.answer(Err(error.clone()));
                            None
                        }
                        false => Some((p, refusal)),
                    });
                return unresolved.collect();
            }
        };
        let position = self.publish.borrow().position;
        let mut refused = Vec::with_capacity(rejected.len());
        for (p, error) in rejected {
            let recorded = match given(&p) {
                true => found.next().flatten(),
                false => None,
            };
            match recorded {
                None => refused.push((p, error)),
                Some(appended) => {
                    let receipt = recorded_receipt(&*self.store, &appended, position).await;
                    p.answer(receipt);
                }
            }
        }
        refused
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

    /// The store appended the round, but not as decided: another process recorded one of
    /// its command ids after the lookup, so the store deduplicated it and positions differ
    /// from the decision. Once it is durable, re-read the log and answer.
    async fn commit_raced(
        &mut self,
        accepted: Vec<(Pending, Vec<EntityId>)>,
        staged: sijill_store::StagedGroup,
    ) {
        self.settle_all().await;
        if let Err(error) = staged.durable.await {
            return self.resolve_unknown(accepted, Arc::new(error)).await;
        }
        self.catch_up().await;
        let position = self.state.position();
        for ((p, created), appended) in accepted.into_iter().zip(staged.results) {
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
        error: Arc<StoreError>,
    ) {
        tracing::error!(%error, "append failed; resolving each batch by its command id");
        // A store that failed to make writes durable cannot say what will survive a restart.
        let poisoned = matches!(*error, StoreError::Poisoned { .. });
        self.catch_up().await;
        let position = self.state.position();
        for (p, created) in accepted {
            let found = match poisoned {
                true => Err(error.to_string()),
                false => (self.store.find_command(&p.command_id).await).map_err(|e| e.to_string()),
            };
            let answer = match found {
                Ok(Some(appended)) => Ok(receipt(appended, created, position)),
                Ok(None) => Err(EngineError::Store(Arc::clone(&error))),
                Err(detail) => Err(EngineError::OutcomeUnknown {
                    command_id: p.command_id.clone(),
                    detail,
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

    /// Publishes the decision state; only when no round is in flight (it would hold events
    /// that are not durable yet).
    fn publish_state(&self) {
        debug_assert!(
            self.in_flight.is_empty(),
            "publishing rounds still in flight"
        );
        self.publish(self.state.clone());
    }

    fn publish(&self, state: Registry) {
        if self.publish.borrow().position != state.position() {
            let replaced = self.publish.send_replace(Snapshot::of(state));
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

/// The durability of the oldest round in flight; never resolves when none is.
async fn front_durable(in_flight: &mut VecDeque<InFlight>) -> Result<(), StoreError> {
    match in_flight.front_mut() {
        Some(round) => (&mut round.durable).await,
        None => std::future::pending().await,
    }
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
