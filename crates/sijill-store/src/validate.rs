//! Boundary checks shared by every backend: a backend calls these before it writes, so every
//! backend refuses the same inputs with the same errors.

use std::collections::HashSet;

use serde::de::IgnoredAny;

use crate::batch::{Head, NewBatch, NewEvent};
use crate::command_id::CommandId;
use crate::error::{AppendError, InvalidBatch, LimitError};
use crate::limits::{
    ACTOR_LEN_MAX, BATCH_EVENTS_MAX, EVENT_PAYLOAD_BYTES_MAX, EVENT_TAGS_MAX, EVENT_TYPE_LEN_MAX,
    GROUP_EVENTS_MAX, PAGE_EVENTS_MAX, SOURCE_LEN_MAX,
};
use crate::stored::{compact_payload, recorded_at_storable, StoredEvent};

/// Checks every limit and rule for `append`/`append_group`. Call before writing anything.
pub fn validate_batches(batches: &[NewBatch]) -> Result<(), AppendError> {
    let total: usize = batches.iter().map(|b| b.events.len()).sum();
    if total > GROUP_EVENTS_MAX {
        return Err(LimitError::GroupEvents { count: total }.into());
    }
    for (index, batch) in batches.iter().enumerate() {
        validate_batch(index, batch)?;
    }
    Ok(())
}

fn validate_batch(batch_index: usize, batch: &NewBatch) -> Result<(), AppendError> {
    let b = batch_index;
    let count = batch.events.len();
    if count == 0 || count > BATCH_EVENTS_MAX {
        return Err(LimitError::BatchEvents { batch: b, count }.into());
    }
    if batch.actor.trim().is_empty() {
        return Err(InvalidBatch::EmptyActor { batch: b }.into());
    }
    if batch.actor.len() > ACTOR_LEN_MAX {
        return Err(LimitError::ActorLen {
            batch: b,
            len: batch.actor.len(),
        }
        .into());
    }
    if let Some(len) = batch
        .source
        .as_ref()
        .map(String::len)
        .filter(|&l| l > SOURCE_LEN_MAX)
    {
        return Err(LimitError::SourceLen { batch: b, len }.into());
    }
    if !recorded_at_storable(batch.recorded_at) {
        let recorded_at = batch.recorded_at.to_rfc3339();
        return Err(InvalidBatch::RecordedAt {
            batch: b,
            recorded_at,
        }
        .into());
    }
    for (e, event) in batch.events.iter().enumerate() {
        validate_event(b, e, event)?;
    }
    Ok(())
}

fn validate_event(batch: usize, event: usize, new: &NewEvent) -> Result<(), AppendError> {
    let size = new.payload.len();
    if size > EVENT_PAYLOAD_BYTES_MAX {
        return Err(LimitError::EventPayloadBytes { batch, event, size }.into());
    }
    if new.tags.len() > EVENT_TAGS_MAX {
        return Err(LimitError::EventTags {
            batch,
            event,
            count: new.tags.len(),
        }
        .into());
    }
    if new.event_type.len() > EVENT_TYPE_LEN_MAX {
        return Err(LimitError::EventTypeLen {
            batch,
            event,
            len: new.event_type.len(),
        }
        .into());
    }
    if !is_snake_case(&new.event_type) {
        let event_type = new.event_type.clone();
        return Err(InvalidBatch::EventType {
            batch,
            event,
            event_type,
        }
        .into());
    }
    if new.version == 0 {
        return Err(InvalidBatch::Version { batch, event }.into());
    }
    check_payload(&new.payload).map_err(|detail| InvalidBatch::Payload {
        batch,
        event,
        detail,
    })?;
    Ok(())
}

fn is_snake_case(name: &str) -> bool {
    let mut bytes = name.bytes();
    let first_is_letter = bytes.next().is_some_and(|b| b.is_ascii_lowercase());
    first_is_letter && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn check_payload(payload: &[u8]) -> Result<(), String> {
    let compact = compact_payload(payload);
    if !compact.starts_with(b"{") {
        return Err("it must start with `{`".into());
    }
    serde_json::from_slice::<IgnoredAny>(&compact)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Checks a `read`/`read_tag` page size.
pub fn validate_page(limit: usize) -> Result<(), LimitError> {
    if limit > PAGE_EVENTS_MAX {
        return Err(LimitError::PageEvents { requested: limit });
    }
    Ok(())
}

/// One command's run of positions inside a stored run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandRun {
    pub command_id: CommandId,
    pub first: u64,
    pub last: u64,
}

/// Checks that `events` continue the log at `head` (positions head+1.., each `prev_hash`
/// the previous hash, each hash correct) and form whole batches (each command id one
/// contiguous run). Returns the runs, for the idempotency index. The caller also checks that
/// no run's command id is already in its log.
pub fn check_stored_run(
    head: Head,
    events: &[StoredEvent],
) -> Result<Vec<CommandRun>, AppendError> {
    if events.len() > GROUP_EVENTS_MAX {
        return Err(LimitError::GroupEvents {
            count: events.len(),
        }
        .into());
    }
    let mut prev = head;
    let mut runs: Vec<CommandRun> = Vec::new();
    let mut seen: HashSet<&CommandId> = HashSet::new();
    for event in events {
        let position = event.position();
        let broken = |detail: String| InvalidBatch::StoredRun { position, detail };
        if position != prev.position + 1 {
            return Err(broken(format!("expected position {}", prev.position + 1)).into());
        }
        if event.prev_hash() != prev.hash {
            return Err(broken("prev_hash is not the hash of the event before".into()).into());
        }
        if !event.hash_matches() {
            return Err(broken("hash is not BLAKE3(prev_hash || stored bytes)".into()).into());
        }
        extend_runs(&mut runs, &mut seen, event).map_err(broken)?;
        prev = Head {
            position,
            hash: event.hash(),
        };
    }
    Ok(runs)
}

fn extend_runs<'a>(
    runs: &mut Vec<CommandRun>,
    seen: &mut HashSet<&'a CommandId>,
    event: &'a StoredEvent,
) -> Result<(), String> {
    let id = event.command_id();
    match runs.last_mut() {
        Some(run) if &run.command_id == id => run.last = event.position(),
        _ if !seen.insert(id) => {
            return Err(format!("command id {id} appears in two separate runs"));
        }
        _ => runs.push(CommandRun {
            command_id: id.clone(),
            first: event.position(),
            last: event.position(),
        }),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_names() {
        let names = ["person_registered", "a1", "", "Person", "_x", "1a", "a-b"];
        let got: Vec<bool> = names.iter().map(|n| is_snake_case(n)).collect();
        assert_eq!(got, [true, true, false, false, false, false, false]);
    }

    #[test]
    fn payload_must_be_one_json_object() {
        let payloads = [r#"{"a":1}"#, " {\n\"a\":\t1}\n", "[1]", r#"{"a":"#, ""];
        let got: Vec<bool> = payloads
            .iter()
            .map(|p| check_payload(p.as_bytes()).is_ok())
            .collect();
        assert_eq!(got, [true, true, false, false, false]);
    }
}
