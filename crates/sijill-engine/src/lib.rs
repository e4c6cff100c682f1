//! The sijill engine: opens a store, rebuilds the registry by replaying its log, runs the
//! single writer with group commit, serves consistent reads, and answers queries.
//!
//! ```text
//! submit ──▶ queue ──▶ writer round: decide ─ encode ─ append_group_staged ─ (next round)
//!                                                                     │ durable (one flush)
//! snapshot / wait_for / query ◀── published Snapshot (Arc<Registry>, position) ◀┘
//! follower (Follow::On): store.subscribe ──▶ writer applies other processes' events
//! ```
//!
//! - [`Engine::open`] replays the log (pages read and decoded in one task, applied in
//!   another) and starts the writer.
//! - [`Engine::submit`] queues a [`Submission`] (one atomic batch, one command id) and
//!   resolves with its [`Receipt`] once it is durable and published.
//! - Reads never wait for the writer: [`Engine::snapshot`] is the latest published state;
//!   [`Engine::wait_for`] waits (bounded) for a position; [`Engine::as_recorded_at`]
//!   replays the log's first P events.
//! - [`query`] is the one question-and-answer layer shared by the CLI and the server.
//!
//! Architecture invariant: the engine holds no rule. Every decision is
//! `sijill_domain::decide` (with `decide_batch`'s semantics); every state is a fold of the
//! log with `sijill_domain::apply`. The engine only orders, persists, publishes and reads.

mod checkpoint;
mod codec;
mod engine;
mod error;
mod follow;
mod history;
pub mod limits;
mod pages;
pub mod query;
mod recorded;
mod replay;
mod writer;

pub use checkpoint::{
    save_checkpoint, CheckpointOptions, CHECKPOINTS_KEPT, CHECKPOINT_EVERY_EVENTS_DEFAULT,
    CHECKPOINT_GROWTH_DIVISOR, SHUTDOWN_TAIL_MIN,
};
pub use engine::{Engine, EngineOptions, Follow, Progress, Receipt, Snapshot, Submission};
pub use error::EngineError;
pub use history::HistoryEntry;
pub use pages::disable_transparent_huge_pages;
