//! What callers hand to the store (`NewEvent`, `NewBatch`) and what it hands back
//! (`Appended`, `Head`).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::command_id::CommandId;

/// One event to append: its wire type and version, its payload (a JSON object) and the ids it
/// concerns (`tags`, indexed for per-entity history).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// A UUIDv7, set by the caller.
    pub event_id: Uuid,
    /// snake_case wire name, e.g. `person_registered`.
    pub event_type: String,
    /// Wire version of the payload shape, from 1.
    pub version: u16,
    /// The payload: the bytes of one JSON object.
    pub payload: Vec<u8>,
    pub tags: Vec<Uuid>,
}

/// The events one command produced, appended atomically and together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBatch {
    pub command_id: CommandId,
    /// Who recorded the batch.
    pub actor: String,
    /// The document the batch is based on (minutes, a press report, a decree).
    pub source: Option<String>,
    /// When the registry learned it. Stored with microsecond precision (finer digits are
    /// dropped), the precision every backend keeps.
    pub recorded_at: DateTime<Utc>,
    pub events: Vec<NewEvent>,
}

/// Where a batch landed in the log: positions `first..=last`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    pub command_id: CommandId,
    pub first: u64,
    pub last: u64,
    /// True when the command id was already in the log: nothing was appended and the
    /// positions are the original ones.
    pub deduplicated: bool,
}

/// The last event of the log: its position (0 for an empty log) and hash (the genesis hash,
/// 32 zero bytes, for an empty log).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Head {
    pub position: u64,
    pub hash: [u8; 32],
}

impl Head {
    /// The head of an empty log.
    pub const GENESIS: Head = Head {
        position: 0,
        hash: crate::stored::GENESIS_HASH,
    };
}
