//! The sijill event log: the [`EventStore`] contract, the stored-event format and its hash
//! chain, the codec from domain events to versioned JSON, the memory and sled backends,
//! export/import/verify of JSON Lines, and the conformance suite every backend runs.
//!
//! See `docs/storage.md` for what is durable when and the exact stored-bytes format.

mod batch;
pub mod codec;
mod command_id;
#[cfg(feature = "conformance")]
pub mod conformance;
mod decoded;
mod envelope;
mod error;
pub mod limits;
mod memory;
mod plan;
mod sled;
mod store;
mod stored;
pub mod transfer;
pub mod validate;

pub use batch::{Appended, Head, NewBatch, NewEvent};
pub use command_id::{CommandId, CommandIdError};
pub use decoded::{decode_page, read_decoded, ReadDecodeError, DECODE_SPLIT_EVENTS_MIN};
pub use error::{AppendError, FormatError, InvalidBatch, LimitError, StoreError};
pub use memory::MemoryStore;
pub use plan::{plan_group, GroupPlan};
pub use sled::{IndexReport, SledStore, COMMIT_ON_CALLER_KEYS_MAX, SLED_FORMAT_VERSION};
pub use store::{
    check_link, follow, verify_chain, ChainBreak, ChainProblem, EventStore, PageReader,
    StagedGroup, VerifyReport, FOLLOW_PAGE_EVENTS,
};
pub use stored::{
    chain_hash, hash_from_hex, hash_to_hex, stored_recorded_at, StoredEvent, GENESIS_HASH,
};
