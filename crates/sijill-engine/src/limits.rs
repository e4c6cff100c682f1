//! The engine's named limits. Each bounds memory or waiting somewhere; each is checked where
//! the value enters (`Engine::open` for options, `submit`, `wait_for`, the query layer) and
//! named in the error that refuses it.

use std::time::Duration;

// An attendance record tags the assembly and each attendee; the log must take the largest one
// the domain allows, or a valid command would be decided and then refused by the store.
const _: () = assert!(sijill_domain::command::ATTENDEES_MAX < sijill_store::limits::EVENT_TAGS_MAX);

/// Submissions waiting for the writer, by default. A full queue answers `Busy` at once
/// rather than letting callers pile up behind a slow disk.
pub const QUEUE_LEN_DEFAULT: usize = 4_096;
/// Largest queue a caller may configure.
pub const QUEUE_LEN_MAX: usize = 1 << 20;

/// Submissions the writer decides and appends in one round (one `append_group`, one durable
/// flush), by default.
pub const GROUP_SUBMISSIONS_DEFAULT: usize = 1_024;
/// Largest round a caller may configure. A round is also cut so that its events stay within
/// the store's `GROUP_EVENTS_MAX`.
pub const GROUP_SUBMISSIONS_MAX: usize = 16_384;

/// Rounds appended (committed in log order) but not yet durable, at most. With one in
/// flight the writer decides and commits the next round while the disk makes the previous
/// one durable; with more, rounds would only get smaller (a flush covers every round
/// committed before it starts), so the writer waits instead and the queue builds a larger
/// next round.
pub(crate) const ROUNDS_IN_FLIGHT_MAX: usize = 2;

/// How many times the writer catches up and decides a round again after another process
/// moved the log head, by default, before answering `Conflict`. Two servers saturating one
/// PostgreSQL registry conflict on most attempts (the one that waited for the other's lock
/// decided before the other's commit): with 8, about one round in a hundred gave up under
/// such load; 64 attempts, with the random pause between them, take well under a second.
pub const CONFLICT_RETRIES_DEFAULT: u32 = 64;
/// Largest retry count a caller may configure.
pub const CONFLICT_RETRIES_MAX: u32 = 1_000;
/// After a conflict the writer pauses a random time below `CONFLICT_PAUSE_STEP_US` doubled
/// once per conflict in a row, up to `CONFLICT_PAUSE_DOUBLINGS_MAX` doublings (so at most
/// 16 ms): enough to fall out of step with another busy writer, short against a round trip
/// to a remote database.
pub(crate) const CONFLICT_PAUSE_STEP_US: u64 = 250;
pub(crate) const CONFLICT_PAUSE_DOUBLINGS_MAX: u32 = 6;

/// Past states ("as recorded at position P") kept for reuse, by default. Each shares most of
/// its structure with its neighbours, but a replay costs O(P), so a few are worth keeping.
pub const AS_RECORDED_CACHE_DEFAULT: usize = 8;
/// Largest cache a caller may configure.
pub const AS_RECORDED_CACHE_MAX: usize = 256;

/// Longest a read-your-writes wait (`wait_for`) may last; longer requests are shortened.
pub const WAIT_TIMEOUT_MAX: Duration = Duration::from_secs(30);

/// Events read per page when replaying or catching up.
pub const REPLAY_PAGE_EVENTS: usize = sijill_store::limits::PAGE_EVENTS_MAX;

/// Most history entries returned by one `history` call.
pub const HISTORY_PAGE_MAX: usize = 1_000;

/// Delay before the follower subscribes again after its subscription failed.
pub const FOLLOW_RETRY_DELAY: Duration = Duration::from_millis(500);

/// Chunks of followed events waiting for the writer.
pub(crate) const FOLLOW_QUEUE_LEN: usize = 64;
/// Followed events handed to the writer at once.
pub(crate) const FOLLOW_CHUNK_EVENTS: usize = 1_024;
