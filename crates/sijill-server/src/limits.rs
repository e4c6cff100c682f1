//! The server's named limits, checked at the HTTP boundary and listed in `docs/api.md`.
//!
//! Each bounds memory or time that one request can take from everybody else: a body is
//! buffered whole before it is parsed, a page is materialised as one JSON document, and a
//! waiting query holds a connection.

use std::time::Duration;

/// Largest request body accepted, in bytes (413 beyond). Room for a large assembly's batch
/// (thousands of commands with multilingual names), not for a whole registry: import a log
/// with `sijill import` instead.
pub const REQUEST_BODY_BYTES_MAX: usize = 4 * 1024 * 1024;

/// Most commands in one `POST /v1/commands` batch. Matches the domain's own limit, so a
/// batch the server accepts is never refused for its size further down.
pub const BATCH_COMMANDS_MAX: usize = sijill_domain::BATCH_COMMANDS_MAX;

/// Largest page of a list query (`limit` above it is refused with 400).
pub const PAGE_ITEMS_MAX: usize = 1_000;

/// Page size of a list query that does not say.
pub const PAGE_ITEMS_DEFAULT: usize = 100;

/// Most events one `GET /v1/events` page returns.
pub const EVENTS_PAGE_MAX: usize = 1_000;

/// Page size of `GET /v1/events` when `limit` is not given.
pub const EVENTS_PAGE_DEFAULT: usize = 100;

/// Longest a query waits for the registry to reach its `min_position` before answering 503
/// (read-your-writes across servers that follow one log).
pub const MIN_POSITION_WAIT_MAX: Duration = Duration::from_secs(5);

/// Longest a request may take, the streams (`/v1/events/stream`, `/v1/export`) excepted.
/// A command that times out may still be recorded: retry it with the same `command_id`.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Interval of the comment lines that keep an idle event stream (and its proxies) alive.
pub const SSE_KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Most answers kept for reuse at the current position (see `api/cache.rs`).
pub const ANSWER_CACHE_ENTRIES_MAX: usize = 4_096;

/// Most bytes of answers kept for reuse at the current position.
pub const ANSWER_CACHE_BYTES_MAX: usize = 64 * 1024 * 1024;

/// Most events written to an event stream in one body chunk (bounds the chunk's memory to
/// about this many stored events).
pub const SSE_CHUNK_EVENTS: usize = 1_000;

/// Longest graceful shutdown waits for in-flight requests before the process exits anyway.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Most tokens in one token file: the whole file is held in memory and checked at start.
pub const TOKENS_MAX: usize = 10_000;

/// Longest token name (it becomes the actor of every event the token appends).
pub const TOKEN_NAME_LEN_MAX: usize = 64;

/// Largest token file read, in bytes.
pub const TOKEN_FILE_BYTES_MAX: u64 = 4 * 1024 * 1024;

/// Longest `source` accepted with a command batch (the store's own limit).
pub const SOURCE_LEN_MAX: usize = sijill_store::limits::SOURCE_LEN_MAX;
