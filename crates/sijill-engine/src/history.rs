//! An entity's history: the stored envelopes of the events that concern it, with their
//! provenance (who recorded what, when, from which source, where in the hash chain) and
//! the decoded event, marked where later events retracted or corrected them.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sijill_domain::{EntityId, Event, Registry};
use sijill_store::{hash_to_hex, CommandId, StoredEvent};
use uuid::Uuid;

use crate::codec::decode;
use crate::engine::{Engine, Snapshot};
use crate::error::EngineError;
use crate::limits::HISTORY_PAGE_MAX;

/// One stored event, as an audit trail shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub position: u64,
    pub event_id: Uuid,
    #[serde(rename = "type")]
    pub event_type: String,
    /// The wire version the event was stored at (the `event` below is upcast to today's).
    pub v: u16,
    pub recorded_at: DateTime<Utc>,
    pub actor: String,
    pub command_id: CommandId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Hex of the previous event's hash, and of this event's: the chain `verify` checks.
    pub prev_hash: String,
    pub hash: String,
    /// The decoded event, with its `type`.
    pub event: serde_json::Value,
    /// The position of the retraction, when a later event retracted this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retracted_by: Option<u64>,
    /// For a retraction: the position it retracts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retracts: Option<u64>,
    /// For a correction: what it corrects (`name`, `constituency`, or a date field such as
    /// `from` or `founded_on`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<String>,
}

impl HistoryEntry {
    /// The entry for a stored event, marked against the state `registry` (retractions it
    /// knows of).
    pub(crate) fn new(
        stored: &StoredEvent,
        registry: &Registry,
    ) -> Result<HistoryEntry, EngineError> {
        let event = decode(stored)?;
        let json = serde_json::to_value(&event).map_err(|e| EngineError::Codec {
            position: stored.position(),
            detail: e.to_string(),
        })?;
        Ok(HistoryEntry {
            position: stored.position(),
            event_id: stored.event_id(),
            event_type: stored.event_type().to_owned(),
            v: stored.version(),
            recorded_at: stored.recorded_at(),
            actor: stored.actor().to_owned(),
            command_id: stored.command_id().clone(),
            source: stored.source().map(str::to_owned),
            prev_hash: hash_to_hex(&stored.prev_hash()),
            hash: hash_to_hex(&stored.hash()),
            event: json,
            retracted_by: registry.retracted_by(stored.position()),
            retracts: match &event {
                Event::EventRetracted(e) => Some(e.position),
                _ => None,
            },
            corrects: corrects(&event),
        })
    }
}

fn corrects(event: &Event) -> Option<String> {
    match event {
        Event::NameCorrected(_) => Some("name".to_owned()),
        Event::DateCorrected(e) => Some(e.field.as_str().to_owned()),
        Event::ConstituencyCorrected(_) => Some("constituency".to_owned()),
        _ => None,
    }
}

impl Engine {
    /// The events concerning `entity` as `snapshot` knows them: positions from `from` up to
    /// the snapshot's, at most `limit` (1 to [`HISTORY_PAGE_MAX`]), in log order. Works for
    /// retracted entities too: the audit trail outlives them.
    pub async fn history(
        &self,
        entity: EntityId,
        snapshot: &Snapshot,
        from: u64,
        limit: usize,
    ) -> Result<Vec<HistoryEntry>, EngineError> {
        if limit == 0 || limit > HISTORY_PAGE_MAX {
            let message =
                format!("a history page holds 1 to {HISTORY_PAGE_MAX} entries, not {limit}");
            return Err(EngineError::bad_request(message));
        }
        let positions: Vec<u64> = snapshot
            .registry
            .positions_of(entity)
            .into_iter()
            .filter(|p| *p >= from)
            .take(limit)
            .collect();
        let Some(&first) = positions.first() else {
            return Ok(Vec::new());
        };
        let mut stored = self
            .store()
            .read_tag(entity.as_uuid(), first, limit)
            .await?;
        stored.retain(|e| e.position() <= snapshot.position);
        if !same_positions(&stored, &positions) {
            // Tags and the state's history disagree (an upcast changed what an event
            // concerns): the state is authoritative, read position by position.
            stored = self.read_positions(&positions).await?;
        }
        stored
            .iter()
            .map(|e| HistoryEntry::new(e, &snapshot.registry))
            .collect()
    }

    async fn read_positions(&self, positions: &[u64]) -> Result<Vec<StoredEvent>, EngineError> {
        let mut events = Vec::with_capacity(positions.len());
        for &position in positions {
            let page = self.store().read(position, 1).await?;
            match page.into_iter().next() {
                Some(event) if event.position() == position => events.push(event),
                _ => {
                    let detail = "the registry's history names it but the store has no event there"
                        .to_owned();
                    return Err(sijill_store::StoreError::Corrupt { position, detail }.into());
                }
            }
        }
        Ok(events)
    }
}

fn same_positions(stored: &[StoredEvent], positions: &[u64]) -> bool {
    let got: BTreeSet<u64> = stored.iter().map(StoredEvent::position).collect();
    stored.len() == positions.len() && positions.iter().all(|p| got.contains(p))
}
