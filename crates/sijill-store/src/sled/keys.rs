//! Keys and values of the sled trees (format version 1).
//!
//! - `events`: first position of a chunk (u64 big-endian) -> a chunk: consecutive events of
//!   one append, each `len` (u32 BE, of the stored bytes) ++ hash (32) ++ prev_hash (32) ++
//!   stored bytes. Chunks hold up to `CHUNK_EVENTS_MAX` events and about `CHUNK_BYTES_MAX`
//!   bytes; they are written once and never changed.
//! - `tags`: tag uuid (16) ++ position (u64 big-endian) -> empty
//! - `commands`: command id bytes -> first (u64 BE) ++ last (u64 BE)
//! - `meta`: `head` -> position (u64 BE) ++ hash (32)
//!
//! Big-endian positions make sled's byte order the log order.

use uuid::Uuid;

use crate::batch::Head;
use crate::error::{FormatError, StoreError};
use crate::stored::StoredEvent;

pub const HEAD_KEY: &[u8] = b"head";

pub fn position_key(position: u64) -> [u8; 8] {
    position.to_be_bytes()
}

pub fn position_from_key(key: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(key.try_into().ok()?))
}

pub fn tag_key(tag: Uuid, position: u64) -> [u8; 24] {
    let mut key = [0u8; 24];
    key[..16].copy_from_slice(tag.as_bytes());
    key[16..].copy_from_slice(&position.to_be_bytes());
    key
}

/// Events per chunk at most: one sled key holds this many events, which divides sled's
/// per-key cost (the bulk of append and read time) by up to this much.
pub const CHUNK_EVENTS_MAX: usize = 32;
/// A chunk is closed once it holds this many bytes; small enough to stay far below sled's
/// blob threshold (values near 128 KiB go to separate files).
pub const CHUNK_BYTES_MAX: usize = 16 * 1024;

const RECORD_HEADER_BYTES: usize = 4 + 32 + 32;

/// Splits the events of one append (consecutive positions) into chunks, keyed by their first
/// position.
pub fn chunks(events: &[StoredEvent]) -> Vec<([u8; 8], Vec<u8>)> {
    let mut chunks: Vec<([u8; 8], Vec<u8>)> = Vec::new();
    let mut in_chunk = 0;
    for event in events {
        let full = chunks
            .last()
            .is_none_or(|(_, value)| value.len() >= CHUNK_BYTES_MAX)
            || in_chunk == CHUNK_EVENTS_MAX;
        if full {
            chunks.push((
                position_key(event.position()),
                Vec::with_capacity(CHUNK_BYTES_MAX + 1024),
            ));
            in_chunk = 0;
        }
        let value = &mut chunks.last_mut().expect("a chunk was just opened").1;
        let stored = event.stored_bytes();
        let len = u32::try_from(stored.len()).expect("stored events are far below 4 GiB");
        value.extend_from_slice(&len.to_be_bytes());
        value.extend_from_slice(&event.hash());
        value.extend_from_slice(&event.prev_hash());
        value.extend_from_slice(stored);
        in_chunk += 1;
    }
    chunks
}

/// One event inside a chunk, not yet parsed.
pub struct Record<'a> {
    pub hash: [u8; 32],
    pub prev_hash: [u8; 32],
    pub stored: &'a [u8],
}

/// The records of a chunk, in order; `Err` names what is malformed.
pub fn records(chunk: &[u8]) -> impl Iterator<Item = Result<Record<'_>, String>> + '_ {
    let mut rest = chunk;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        if rest.len() < RECORD_HEADER_BYTES {
            rest = &[];
            return Some(Err("chunk ends inside a record header".to_string()));
        }
        let len = u32::from_be_bytes(rest[..4].try_into().expect("4 bytes")) as usize;
        let Some(stored) = rest.get(RECORD_HEADER_BYTES..RECORD_HEADER_BYTES + len) else {
            rest = &[];
            return Some(Err("chunk ends inside a record".to_string()));
        };
        let record = Record {
            hash: rest[4..36].try_into().expect("32 bytes"),
            prev_hash: rest[36..68].try_into().expect("32 bytes"),
            stored,
        };
        rest = &rest[RECORD_HEADER_BYTES + len..];
        Some(Ok(record))
    })
}

/// Parses the record stored at `position`, checking that its bytes say the same position.
pub fn event_from_record(
    position: u64,
    record: Result<Record<'_>, String>,
) -> Result<StoredEvent, StoreError> {
    let corrupt = |detail: String| StoreError::Corrupt { position, detail };
    let record = record.map_err(corrupt)?;
    let event = StoredEvent::from_stored(record.stored.to_vec(), record.prev_hash, record.hash)
        .map_err(|FormatError { detail }| corrupt(detail))?;
    if event.position() != position {
        return Err(corrupt(format!(
            "stored bytes say position {}",
            event.position()
        )));
    }
    Ok(event)
}

pub fn range_value(first: u64, last: u64) -> [u8; 16] {
    let mut value = [0u8; 16];
    value[..8].copy_from_slice(&first.to_be_bytes());
    value[8..].copy_from_slice(&last.to_be_bytes());
    value
}

pub fn range_from_value(value: &[u8]) -> Option<(u64, u64)> {
    let first = u64::from_be_bytes(value.get(..8)?.try_into().ok()?);
    let last = u64::from_be_bytes(value.get(8..16)?.try_into().ok()?);
    Some((first, last))
}

pub fn head_value(head: Head) -> [u8; 40] {
    let mut value = [0u8; 40];
    value[..8].copy_from_slice(&head.position.to_be_bytes());
    value[8..].copy_from_slice(&head.hash);
    value
}

pub fn head_from_value(value: &[u8]) -> Option<Head> {
    if value.len() != 40 {
        return None;
    }
    let position = u64::from_be_bytes(value[..8].try_into().ok()?);
    Some(Head {
        position,
        hash: value[8..].try_into().ok()?,
    })
}
