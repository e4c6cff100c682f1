//! The sijill event log on PostgreSQL, so that several servers can share one registry.
//!
//! [`PostgresStore`] implements `sijill_store::EventStore` exactly as the sled backend does:
//! the same stored bytes and hash chain (sealed by `sijill_store`), the same limits and the
//! same conformance suite. What PostgreSQL adds is that many processes can append to one
//! registry: positions are assigned under a per-registry transaction-scoped advisory lock,
//! and subscriptions follow other servers' commits through LISTEN/NOTIFY and a poll.
//!
//! ```no_run
//! # async fn demo() -> Result<(), sijill_store::StoreError> {
//! use sijill_store::EventStore;
//! use sijill_store_postgres::PostgresStore;
//!
//! let store = PostgresStore::open("postgres://sijill@127.0.0.1:5432/sijill", "default").await?;
//! let head = store.head().await?;
//! # let _ = head;
//! # Ok(())
//! # }
//! ```
//!
//! See `docs/storage.md` (PostgreSQL) for the schema and what is durable when.

mod config;
mod error;
mod listen;
mod plan;
mod read;
mod schema;
mod store;
mod tx;
mod writer;

pub use config::{
    validate_registry_name, PostgresConfig, CONNECT_TIMEOUT, DEFAULT_REGISTRY,
    IDLE_IN_TRANSACTION_TIMEOUT, POLL_INTERVAL, POOL_SIZE_DEFAULT, REGISTRY_NAME_LEN_MAX,
    STATEMENT_TIMEOUT,
};
pub use error::PostgresError;
pub use listen::{LISTEN_APPLICATION_NAME, LISTEN_RETRY_INTERVAL, LISTEN_RETRY_INTERVAL_MAX};
pub use read::{READ_ATTEMPTS_MAX, READ_SPLIT_EVENTS_MIN, RETRY_BACKOFF};
pub use schema::SCHEMA_VERSION;
pub use store::{PendingAppend, PostgresStore};
pub use writer::{
    GROUP_GATHER_WAIT, GROUP_JOBS_MAX, RESOLVE_ATTEMPTS_MAX, WRITE_ATTEMPTS_MAX,
    WRITE_QUEUE_JOBS_MAX,
};
