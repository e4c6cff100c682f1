//! `EngineError`: why a submission, a read or a query failed, in terms a caller can act on.

use std::sync::Arc;

use sijill_domain::DomainError;
use sijill_store::{CommandId, StoreError};

/// Every error names what was wrong and what to do. [`EngineError::is_user_error`] separates
/// what the caller can fix from operating failures; [`EngineError::code`] is a stable name
/// for scripts and the HTTP API.
#[derive(Debug, Clone, thiserror::Error)]
pub enum EngineError {
    /// A command broke a rule; nothing of its submission was recorded.
    #[error("command {index} ({command}) was refused: {error}")]
    Rejected {
        index: usize,
        command: &'static str,
        error: Box<DomainError>,
    },

    #[error("no {what} in the registry: {hint}")]
    NotFound { what: String, hint: String },

    #[error("{message}")]
    BadRequest { message: String },

    #[error(
        "the log kept moving under the writer ({retries} catch-ups in a row, other processes \
         are appending): nothing was recorded; retry with the same command id"
    )]
    Conflict { retries: u32 },

    #[error(
        "the engine is busy ({queue_len} submissions already queued): nothing was recorded; \
         retry shortly with the same command id"
    )]
    Busy { queue_len: usize },

    #[error(
        "the registry reached position {reached}, not {wanted}, within {waited_ms} ms: retry \
         later, and check that the position comes from a receipt of this registry"
    )]
    Timeout {
        wanted: u64,
        reached: u64,
        waited_ms: u64,
    },

    #[error("the engine is shutting down and takes no more submissions: retry against a running registry")]
    ShuttingDown,

    #[error(
        "the store failed while recording command {command_id} and whether it was recorded \
         is unknown ({detail}): retry with the same command id, which records it at most once"
    )]
    OutcomeUnknown {
        command_id: CommandId,
        detail: String,
    },

    #[error(transparent)]
    Store(Arc<StoreError>),

    #[error(
        "the stored event at position {position} cannot be decoded ({detail}): this version of \
         sijill may be older than the log; upgrade, or verify the log with `sijill verify`"
    )]
    Codec { position: u64, detail: String },
}

impl EngineError {
    /// True when the caller's input caused the error (fix the input, do not retry as is).
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            EngineError::Rejected { .. }
                | EngineError::NotFound { .. }
                | EngineError::BadRequest { .. }
        )
    }

    /// A short, stable name for the error.
    pub fn code(&self) -> &'static str {
        match self {
            EngineError::Rejected { error, .. } => error.code(),
            EngineError::NotFound { .. } => "not_found",
            EngineError::BadRequest { .. } => "bad_request",
            EngineError::Conflict { .. } => "conflict",
            EngineError::Busy { .. } => "busy",
            EngineError::Timeout { .. } => "timeout",
            EngineError::ShuttingDown => "shutting_down",
            EngineError::OutcomeUnknown { .. } => "outcome_unknown",
            EngineError::Store(_) => "store",
            EngineError::Codec { .. } => "codec",
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> EngineError {
        EngineError::BadRequest {
            message: message.into(),
        }
    }
}

impl From<StoreError> for EngineError {
    fn from(error: StoreError) -> EngineError {
        EngineError::Store(Arc::new(error))
    }
}
