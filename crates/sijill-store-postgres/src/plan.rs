//! What one transaction writes: every queued job planned in queue order, each against the
//! head the jobs before it leave, with the store crate's rules (`plan_group`,
//! `check_stored_run`), so this backend agrees with every other on what an append means.

use std::collections::HashMap;

use sijill_store::validate::{check_stored_run, CommandRun};
use sijill_store::{
    plan_group, AppendError, Appended, CommandId, Head, InvalidBatch, NewBatch, StoredEvent,
};

/// What a caller asked for.
pub(crate) enum Work {
    Group {
        batches: Vec<NewBatch>,
        expected_head: u64,
    },
    Stored {
        events: Vec<StoredEvent>,
        expected_head: u64,
    },
}

/// What a caller gets back.
pub(crate) enum Done {
    Group(Vec<Appended>),
    Stored(Head),
}

impl Work {
    pub(crate) fn events(&self) -> usize {
        match self {
            Work::Group { batches, .. } => batches.iter().map(|b| b.events.len()).sum(),
            Work::Stored { events, .. } => events.len(),
        }
    }
}

/// Everything one transaction writes, and each job's answer if it commits.
pub(crate) struct Plan {
    pub results: Vec<Result<Done, AppendError>>,
    pub sealed: Vec<StoredEvent>,
    pub runs: Vec<CommandRun>,
    /// The head read under the lock.
    pub start: Head,
    /// The head after the transaction.
    pub head: Head,
}

/// Plans every job in queue order, each against the head the ones before it leave.
pub(crate) fn plan_works(
    works: &[Work],
    start: Head,
    mut known: HashMap<CommandId, (u64, u64)>,
) -> Plan {
    let mut plan = Plan {
        results: Vec::new(),
        sealed: Vec::new(),
        runs: Vec::new(),
        start,
        head: start,
    };
    for work in works {
        let result = match work {
            Work::Group {
                batches,
                expected_head,
            } => plan_group(batches, plan.head, *expected_head, |id| {
                Ok(known.get(id).copied())
            })
            .map(|group| {
                plan.absorb(&mut known, group.sealed, group.runs, group.head);
                Done::Group(group.results)
            }),
            Work::Stored {
                events,
                expected_head,
            } => plan_stored(events, plan.head, *expected_head, &known).map(|runs| {
                let head = events.last().map_or(plan.head, |e| Head {
                    position: e.position(),
                    hash: e.hash(),
                });
                plan.absorb(&mut known, events.clone(), runs, head);
                Done::Stored(head)
            }),
        };
        plan.results.push(result);
    }
    plan
}

impl Plan {
    fn absorb(
        &mut self,
        known: &mut HashMap<CommandId, (u64, u64)>,
        sealed: Vec<StoredEvent>,
        runs: Vec<CommandRun>,
        head: Head,
    ) {
        for run in &runs {
            known.insert(run.command_id.clone(), (run.first, run.last));
        }
        self.sealed.extend(sealed);
        self.runs.extend(runs);
        self.head = head;
    }
}

/// `append_stored`'s rules: the head is as expected, the events continue the chain in whole
/// batches, and none of their command ids is in the log yet.
fn plan_stored(
    events: &[StoredEvent],
    head: Head,
    expected_head: u64,
    known: &HashMap<CommandId, (u64, u64)>,
) -> Result<Vec<CommandRun>, AppendError> {
    if head.position != expected_head {
        return Err(AppendError::Conflict {
            expected: expected_head,
            actual: head.position,
        });
    }
    let runs = check_stored_run(head, events)?;
    if let Some(run) = runs.iter().find(|r| known.contains_key(&r.command_id)) {
        let detail = format!("command id {} is already in the log", run.command_id);
        return Err(InvalidBatch::StoredRun {
            position: run.first,
            detail,
        }
        .into());
    }
    Ok(runs)
}

/// Every command id the jobs carry, once.
pub(crate) fn command_ids(works: &[Work]) -> Vec<&str> {
    let mut ids: Vec<&str> = Vec::new();
    for work in works {
        match work {
            Work::Group { batches, .. } => {
                ids.extend(batches.iter().map(|b| b.command_id.as_str()))
            }
            Work::Stored { events, .. } => {
                ids.extend(events.iter().map(|e| e.command_id().as_str()))
            }
        }
    }
    ids.sort_unstable();
    ids.dedup();
    ids
}
