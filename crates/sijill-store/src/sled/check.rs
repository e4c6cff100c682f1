//! A deep consistency check of the sled trees: the indexes agree with the events, and
//! nothing lies past the head. sled commits the four trees in one transaction, so this never
//! fails unless the disk or sled lost part of a transaction; the crash test runs it after
//! every kill.

use std::collections::BTreeSet;

use uuid::Uuid;

use crate::error::StoreError;
use crate::sled::keys::{position_from_key, range_from_value};
use crate::sled::log::{backend, Log, Trees};
use crate::stored::StoredEvent;

/// What `check_indexes` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexReport {
    pub head: u64,
    pub events: u64,
    pub tag_entries: u64,
    pub commands: u64,
    /// The first inconsistency, if any.
    pub first_problem: Option<String>,
}

/// Runs the check while holding the writer lock, so the trees do not move under it.
pub fn check_indexes(log: &Log) -> Result<IndexReport, StoreError> {
    let committed = log.writer.lock().map_err(|_| StoreError::Poisoned {
        reason: "a writer panicked".into(),
    })?;
    let head = committed.position;
    let mut report = IndexReport {
        head,
        events: 0,
        tag_entries: 0,
        commands: 0,
        first_problem: None,
    };
    report.first_problem = check_events(&log.trees, &mut report)?
        .or(check_tag_entries(&log.trees, &mut report)?)
        .or(check_command_entries(&log.trees, &mut report)?);
    Ok(report)
}

/// Walks the events in order: each is indexed under each of its tags, each run of one
/// command id has its idempotency entry, nothing is stored past the head.
fn check_events(trees: &Trees, report: &mut IndexReport) -> Result<Option<String>, StoreError> {
    let mut run: Run = None;
    for item in trees.events.iter() {
        let (key, chunk) = item.map_err(|e| backend("reading sled", e))?;
        let first = position_from_key(&key).unwrap_or(0);
        for (record, position) in crate::sled::keys::records(&chunk).zip(first..) {
            if position != report.events + 1 || position > report.head {
                return Ok(Some(format!(
                    "event at position {position} after {} events, head {}",
                    report.events, report.head
                )));
            }
            let event = crate::sled::keys::event_from_record(position, record)?;
            report.events += 1;
            if let Some(problem) = check_event(trees, &event, &mut run)? {
                return Ok(Some(problem));
            }
        }
    }
    if report.events != report.head {
        return Ok(Some(format!(
            "{} events, head at {}",
            report.events, report.head
        )));
    }
    match run {
        Some(done) => check_run(trees, &done),
        None => Ok(None),
    }
}

type Run = Option<(String, u64, u64)>;

/// Checks one event's tags, and closes the previous command's run when this one starts another.
fn check_event(
    trees: &Trees,
    event: &StoredEvent,
    run: &mut Run,
) -> Result<Option<String>, StoreError> {
    if let Some(problem) = check_tags_of(trees, event)? {
        return Ok(Some(problem));
    }
    let (position, id) = (event.position(), event.command_id().as_str());
    *run = match run.take() {
        Some((run_id, first, _)) if run_id == id => Some((run_id, first, position)),
        Some(done) => {
            if let Some(problem) = check_run(trees, &done)? {
                return Ok(Some(problem));
            }
            Some((id.to_string(), position, position))
        }
        None => Some((id.to_string(), position, position)),
    };
    Ok(None)
}

fn check_tags_of(trees: &Trees, event: &StoredEvent) -> Result<Option<String>, StoreError> {
    let tags: BTreeSet<Uuid> = event.tags().iter().copied().collect();
    for tag in tags {
        let key = crate::sled::keys::tag_key(tag, event.position());
        if !trees
            .tags
            .contains_key(key)
            .map_err(|e| backend("reading sled", e))?
        {
            return Ok(Some(format!(
                "event {} is not indexed under tag {tag}",
                event.position()
            )));
        }
    }
    Ok(None)
}

fn check_run(
    trees: &Trees,
    (id, first, last): &(String, u64, u64),
) -> Result<Option<String>, StoreError> {
    let entry = trees
        .commands
        .get(id.as_bytes())
        .map_err(|e| backend("reading sled", e))?;
    let entry = entry.as_deref().and_then(range_from_value);
    Ok((entry != Some((*first, *last)))
        .then(|| format!("command {id} at {first}..={last} has idempotency entry {entry:?}")))
}

/// Every tag entry points at an event at or before the head that carries the tag.
fn check_tag_entries(
    trees: &Trees,
    report: &mut IndexReport,
) -> Result<Option<String>, StoreError> {
    for item in trees.tags.iter() {
        let (key, _) = item.map_err(|e| backend("reading sled", e))?;
        report.tag_entries += 1;
        let tag = Uuid::from_slice(&key[..16]).unwrap_or_default();
        let position = position_from_key(&key[16..]).unwrap_or(0);
        let tagged = position <= report.head && tagged(trees, position, tag)?;
        if !tagged {
            return Ok(Some(format!(
                "tag entry {tag} at position {position} has no such event"
            )));
        }
    }
    Ok(None)
}

fn tagged(trees: &Trees, position: u64, tag: Uuid) -> Result<bool, StoreError> {
    Ok(trees.event(position)?.tags().contains(&tag))
}

/// Every idempotency entry lies within the log and starts a run of its command id.
fn check_command_entries(
    trees: &Trees,
    report: &mut IndexReport,
) -> Result<Option<String>, StoreError> {
    for item in trees.commands.iter() {
        let (key, value) = item.map_err(|e| backend("reading sled", e))?;
        report.commands += 1;
        let id = String::from_utf8_lossy(&key).into_owned();
        let Some((first, last)) = range_from_value(&value) else {
            return Ok(Some(format!("idempotency entry of {id} is unreadable")));
        };
        if first == 0 || last < first || last > report.head {
            return Ok(Some(format!(
                "idempotency entry of {id} ({first}..={last}) is outside the log"
            )));
        }
        if trees.event(first)?.command_id().as_str() != id {
            return Ok(Some(format!(
                "idempotency entry of {id} points at another command's event {first}"
            )));
        }
    }
    Ok(None)
}
