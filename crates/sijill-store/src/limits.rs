//! Named limits of the log, checked at the store boundary (`append`, `append_group`,
//! `append_stored`, `read`, `read_tag`).
//!
//! Every limit is a constant so that errors, docs and tests name the same number. Each one
//! bounds memory or time somewhere: a batch is committed in one transaction held in memory,
//! a page is materialised as one `Vec`, a tag list is indexed once per tag.

/// Maximum size of one event's payload (its JSON object), in bytes.
pub const EVENT_PAYLOAD_BYTES_MAX: usize = 64 * 1024;

/// Maximum number of events in one batch (the events one command produced). A batch holds at
/// least one event.
pub const BATCH_EVENTS_MAX: usize = 4_096;

/// Maximum number of events committed in one call (`append_group`, `append_stored`): bounds
/// the size of one transaction.
pub const GROUP_EVENTS_MAX: usize = 16_384;

/// Maximum number of tags (ids an event concerns) on one event. The largest events the domain
/// makes are attendance records: up to `ATTENDEES_MAX` (1,000) people plus the assembly, each
/// a tag so that every attendee's history finds the event. The engine checks at compile time
/// that the two limits agree.
pub const EVENT_TAGS_MAX: usize = 1_024;

/// Maximum number of events one `read`/`read_tag` call returns.
pub const PAGE_EVENTS_MAX: usize = 10_000;

/// Maximum length of the actor (who recorded a batch), in bytes.
pub const ACTOR_LEN_MAX: usize = 256;

/// Maximum length of the source (the document a batch is based on), in bytes.
pub const SOURCE_LEN_MAX: usize = 2_048;

/// Maximum length of an event type name, in bytes.
pub const EVENT_TYPE_LEN_MAX: usize = 64;

/// Maximum length of a command id, in characters (printable ASCII, so also bytes).
pub const COMMAND_ID_LEN_MAX: usize = 128;

/// Number of events at the end of the log whose hash chain is re-verified when a store opens.
/// Bounds start-up time; `verify` checks the whole log on demand.
pub const OPEN_VERIFY_TAIL_EVENTS: u64 = 1_000;

/// How long opening a sled data folder waits for sled's lock on its files before reporting
/// the folder in use. sled's I/O threads keep the files (and the lock) until they finish, so
/// a store or sled database dropped moments ago in this process can still hold it briefly
/// (sled's own tests block on the lock for the same reason). Another process that keeps the
/// folder open is reported once this has passed.
pub const SLED_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);
