//! What can go wrong talking to PostgreSQL, and which failures are worth retrying.
//!
//! The store's public methods return the contract's `StoreError`/`AppendError`; the variants
//! here carry the PostgreSQL-specific wording and are turned into `StoreError::Backend` at the
//! boundary, so every message names what was wrong and what to do.

use deadpool_postgres::{HookError, PoolError};
use sijill_store::StoreError;
use thiserror::Error;
use tokio_postgres::error::SqlState;

use crate::config::REGISTRY_NAME_LEN_MAX;

/// Errors this backend reports, beyond those the contract defines.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PostgresError {
    #[error("invalid PostgreSQL URL: {detail}; write it as postgres://USER@HOST:PORT/DATABASE")]
    Url { detail: String },
    #[error("registry name {name:?} is invalid: use 1 to {REGISTRY_NAME_LEN_MAX} characters a-z, 0-9, '-' or '_', starting with a letter or digit")]
    RegistryName { name: String },
    #[error("database {target} holds no registry named {name:?}; check the name, or create the registry first (`sijill init` with the same URL)")]
    NoRegistry { name: String, target: String },
    #[error("cannot reach PostgreSQL at {target}: {detail}; start PostgreSQL (for example `pg_ctlcluster 15 main start`) or correct the URL")]
    Connect { target: String, detail: String },
    #[error("database {target} has sijill schema version {found}, newer than version {supported} that this version of sijill knows; upgrade sijill on this server (every server sharing the database needs a version that knows schema {found}), or open a copy restored from a backup made by this version")]
    NewerSchema {
        target: String,
        found: i32,
        supported: i32,
    },
    #[error("PostgreSQL at {target} runs sijill's sessions with synchronous_commit = {value}, so a committed append could be lost in a crash; let sessions set synchronous_commit (a connection pooler must pass `SET` through) or connect to PostgreSQL directly")]
    NotDurable { target: String, value: String },
    #[error("{context} failed on PostgreSQL: {detail}")]
    Query {
        context: &'static str,
        detail: String,
    },
    #[error("the connection to PostgreSQL was lost while committing command id {command_id}, and whether it committed could not be checked afterwards ({detail}); send the same command id again once PostgreSQL is reachable: it is appended at most once")]
    OutcomeUnknown { command_id: String, detail: String },
}

impl From<PostgresError> for StoreError {
    fn from(error: PostgresError) -> Self {
        StoreError::Backend(error.to_string())
    }
}

/// A failed round trip to PostgreSQL: from the pool or from the connection.
#[derive(Debug)]
pub(crate) enum Fail {
    Pg(tokio_postgres::Error),
    Pool(PoolError),
}

impl From<tokio_postgres::Error> for Fail {
    fn from(error: tokio_postgres::Error) -> Self {
        Fail::Pg(error)
    }
}

impl From<PoolError> for Fail {
    fn from(error: PoolError) -> Self {
        Fail::Pool(error)
    }
}

impl Fail {
    /// True when the connection was lost or could not be made: the server may be fine and a
    /// new connection may succeed. A statement the server rejected is not retried, since it
    /// would be rejected again.
    pub(crate) fn is_connection_loss(&self) -> bool {
        match self {
            Fail::Pg(e) => pg_connection_loss(e),
            Fail::Pool(PoolError::Backend(e)) => pg_connection_loss(e),
            Fail::Pool(PoolError::PostCreateHook(HookError::Backend(e))) => pg_connection_loss(e),
            Fail::Pool(PoolError::PostCreateHook(HookError::Message(_))) => false,
            Fail::Pool(PoolError::Timeout(_)) => true,
            Fail::Pool(PoolError::Closed | PoolError::NoRuntimeSpecified) => false,
        }
    }

    pub(crate) fn detail(&self) -> String {
        match self {
            Fail::Pg(e) => describe(e),
            Fail::Pool(PoolError::Backend(e)) => describe(e),
            Fail::Pool(other) => other.to_string(),
        }
    }

    pub(crate) fn into_store(self, context: &'static str) -> StoreError {
        PostgresError::Query {
            context,
            detail: self.detail(),
        }
        .into()
    }
}

fn pg_connection_loss(error: &tokio_postgres::Error) -> bool {
    if error.is_closed() {
        return true;
    }
    if let Some(code) = error.code() {
        // Class 08 is "connection exception"; 57P01..57P03 are the server shutting the
        // session down (pg_terminate_backend, a restart, a server still starting up).
        return code.code().starts_with("08")
            || [
                SqlState::ADMIN_SHUTDOWN,
                SqlState::CRASH_SHUTDOWN,
                SqlState::CANNOT_CONNECT_NOW,
            ]
            .contains(code);
    }
    // No SQLSTATE: the error came from the socket (reset, refused, timed out) or the protocol.
    std::error::Error::source(error).is_some_and(|s| s.is::<std::io::Error>())
}

/// A one-line description of a tokio-postgres error. Its `Display` alone says only "db error"
/// for server errors, which would hide the reason from the person reading the message.
pub(crate) fn describe(error: &tokio_postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        return format!("{} ({})", db.message(), db.code().code());
    }
    match std::error::Error::source(error) {
        Some(source) => format!("{error}: {source}"),
        None => error.to_string(),
    }
}
