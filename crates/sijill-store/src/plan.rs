//! Turning a group of batches into sealed events: deduplication, the head check and
//! sealing, shared by every backend so they agree on what an append means.

use std::collections::HashMap;

use crate::batch::{Appended, Head, NewBatch};
use crate::command_id::CommandId;
use crate::error::{AppendError, StoreError};
use crate::stored::StoredEvent;
use crate::validate::CommandRun;

/// What a backend writes for one `append_group`, decided against its head.
#[derive(Debug)]
pub struct GroupPlan {
    /// One result per batch, in the caller's order.
    pub results: Vec<Appended>,
    /// The events to write, in position order (empty when every batch was deduplicated).
    pub sealed: Vec<StoredEvent>,
    /// The idempotency entries to write.
    pub runs: Vec<CommandRun>,
    /// The head after the write.
    pub head: Head,
}

/// Plans `append_group` against `head`. `known` looks a command id up in the log
/// (returning its `first..=last`). Batches must have passed `validate_batches`.
pub fn plan_group(
    batches: &[NewBatch],
    head: Head,
    expected_head: u64,
    mut known: impl FnMut(&CommandId) -> Result<Option<(u64, u64)>, StoreError>,
) -> Result<GroupPlan, AppendError> {
    let mut plan = GroupPlan {
        results: Vec::new(),
        sealed: Vec::new(),
        runs: Vec::new(),
        head,
    };
    let mut in_group: HashMap<&CommandId, (u64, u64)> = HashMap::new();
    let mut fresh = Vec::new();
    let mut reserved = 0u64;
    for (index, batch) in batches.iter().enumerate() {
        let id = &batch.command_id;
        let earlier = match in_group.get(id) {
            Some(&range) => Some(range),
            None => known(id)?,
        };
        match earlier {
            Some((first, last)) => plan.results.push(deduplicated(id, first, last)),
            None => {
                // Reserve the positions now so a later duplicate in the group points here.
                let first = head.position + 1 + reserved;
                let last = first + batch.events.len() as u64 - 1;
                reserved += batch.events.len() as u64;
                in_group.insert(id, (first, last));
                fresh.push(index);
                plan.results.push(Appended {
                    command_id: id.clone(),
                    first,
                    last,
                    deduplicated: false,
                });
            }
        }
    }
    if fresh.is_empty() {
        return Ok(plan);
    }
    if head.position != expected_head {
        return Err(AppendError::Conflict {
            expected: expected_head,
            actual: head.position,
        });
    }
    for index in fresh {
        seal_batch(&mut plan, &batches[index]);
    }
    Ok(plan)
}

fn deduplicated(id: &CommandId, first: u64, last: u64) -> Appended {
    Appended {
        command_id: id.clone(),
        first,
        last,
        deduplicated: true,
    }
}

fn seal_batch(plan: &mut GroupPlan, batch: &NewBatch) {
    let first = plan.head.position + 1;
    for event in &batch.events {
        let sealed = StoredEvent::seal(plan.head.position + 1, plan.head.hash, batch, event);
        plan.head = Head {
            position: sealed.position(),
            hash: sealed.hash(),
        };
        plan.sealed.push(sealed);
    }
    let run = CommandRun {
        command_id: batch.command_id.clone(),
        first,
        last: plan.head.position,
    };
    plan.runs.push(run);
}
