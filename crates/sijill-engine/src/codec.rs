//! Between domain events and the store's envelope: encoding a decided batch into a
//! `NewBatch`, decoding stored events back into domain events (the store's codec, which
//! upcasts old versions).

use chrono::{DateTime, Utc};
use sijill_domain::Event;
use sijill_store::codec::new_event;
use sijill_store::{CommandId, NewBatch, StoredEvent};
use uuid::Uuid;

use crate::error::EngineError;

/// The batch the store appends for one accepted submission: a UUIDv7 per event, tagged with
/// the ids the event concerns (which makes per-entity history a tag read).
pub(crate) fn encode_batch(
    command_id: CommandId,
    actor: &str,
    source: Option<&str>,
    recorded_at: DateTime<Utc>,
    events: &[Event],
) -> NewBatch {
    NewBatch {
        command_id,
        actor: actor.to_owned(),
        source: source.map(str::to_owned),
        recorded_at,
        events: events
            .iter()
            .map(|event| new_event(event, Uuid::now_v7()))
            .collect(),
    }
}

/// The domain event a stored event records, upcast to the current version.
pub(crate) fn decode(stored: &StoredEvent) -> Result<Event, EngineError> {
    sijill_store::codec::decode(stored).map_err(|e| EngineError::Codec {
        position: e.position,
        detail: e.problem.to_string(),
    })
}
