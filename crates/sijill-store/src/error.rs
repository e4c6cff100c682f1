//! The store's errors: one enum per kind of caller mistake or operating failure.

use std::path::PathBuf;

use thiserror::Error;

use crate::limits::{
    ACTOR_LEN_MAX, BATCH_EVENTS_MAX, EVENT_PAYLOAD_BYTES_MAX, EVENT_TAGS_MAX, EVENT_TYPE_LEN_MAX,
    GROUP_EVENTS_MAX, PAGE_EVENTS_MAX, SOURCE_LEN_MAX,
};

/// A named limit was exceeded. Nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LimitError {
    #[error("batch {batch} event {event}: payload is {size} bytes, more than EVENT_PAYLOAD_BYTES_MAX ({EVENT_PAYLOAD_BYTES_MAX}); split the event or store large documents elsewhere and reference them")]
    EventPayloadBytes {
        batch: usize,
        event: usize,
        size: usize,
    },
    #[error("batch {batch} has {count} events; a batch holds 1 to BATCH_EVENTS_MAX ({BATCH_EVENTS_MAX}) events")]
    BatchEvents { batch: usize, count: usize },
    #[error("{count} events in one call, more than GROUP_EVENTS_MAX ({GROUP_EVENTS_MAX}); append them in several calls")]
    GroupEvents { count: usize },
    #[error(
        "batch {batch} event {event} has {count} tags, more than EVENT_TAGS_MAX ({EVENT_TAGS_MAX})"
    )]
    EventTags {
        batch: usize,
        event: usize,
        count: usize,
    },
    #[error("batch {batch}: actor is {len} bytes, more than ACTOR_LEN_MAX ({ACTOR_LEN_MAX})")]
    ActorLen { batch: usize, len: usize },
    #[error("batch {batch}: source is {len} bytes, more than SOURCE_LEN_MAX ({SOURCE_LEN_MAX}); cite the document briefly")]
    SourceLen { batch: usize, len: usize },
    #[error("batch {batch} event {event}: type is {len} bytes, more than EVENT_TYPE_LEN_MAX ({EVENT_TYPE_LEN_MAX})")]
    EventTypeLen {
        batch: usize,
        event: usize,
        len: usize,
    },
    #[error("page of {requested} events requested, more than PAGE_EVENTS_MAX ({PAGE_EVENTS_MAX}); read in pages")]
    PageEvents { requested: usize },
}

/// A batch that breaks a rule of the log other than a size limit. Nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InvalidBatch {
    #[error("batch {batch}: actor is empty; name who records the batch")]
    EmptyActor { batch: usize },
    #[error("batch {batch}: recorded_at {recorded_at} is outside the years 1970 to 9999")]
    RecordedAt { batch: usize, recorded_at: String },
    #[error("batch {batch} event {event}: type {event_type:?} is not a snake_case name (a-z, 0-9, _, starting with a letter)")]
    EventType {
        batch: usize,
        event: usize,
        event_type: String,
    },
    #[error("batch {batch} event {event}: version 0 is invalid; versions start at 1")]
    Version { batch: usize, event: usize },
    #[error("batch {batch} event {event}: payload is not a JSON object: {detail}")]
    Payload {
        batch: usize,
        event: usize,
        detail: String,
    },
    #[error("stored event at position {position} does not continue the log: {detail}")]
    StoredRun { position: u64, detail: String },
}

/// The stored bytes of an event could not be read back as an event.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("stored bytes are not a valid stored event: {detail}")]
pub struct FormatError {
    pub detail: String,
}

/// An operating failure of a backend, or a data folder that cannot be used.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("the log is corrupt at position {position}: {detail}; restore it by importing the last good export into a new, empty registry (`sijill import`)")]
    Corrupt { position: u64, detail: String },
    #[error("data folder {path} is in use by another process; stop that process (for example a running `sijill serve`) or choose another folder")]
    Locked { path: PathBuf },
    #[error("data folder {path} has storage format {found}, newer than the format {supported} this version of sijill reads; upgrade sijill to open it")]
    NewerFormat {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("folder {path} is not a sijill data folder ({detail}); choose a new or empty folder")]
    NotADataFolder { path: PathBuf, detail: String },
    #[error("the store refuses writes because making them durable failed ({reason}); restart the process so the store reopens and re-verifies what reached the disk")]
    Poisoned { reason: String },
    #[error("the store is closed")]
    Closed,
    #[error(transparent)]
    Limit(#[from] LimitError),
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
    #[error("storage backend failed: {0}")]
    Backend(String),
}

/// Why an append did not happen. Nothing was written, except for [`AppendError::Store`]
/// after the transaction committed (then the store is poisoned and refuses further writes).
#[derive(Debug, Error)]
pub enum AppendError {
    #[error("the log head moved: expected position {expected}, found {actual}; catch up and decide again")]
    Conflict { expected: u64, actual: u64 },
    #[error(transparent)]
    Limit(#[from] LimitError),
    #[error(transparent)]
    Invalid(#[from] InvalidBatch),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl StoreError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        StoreError::Io {
            context: context.into(),
            source,
        }
    }
}
