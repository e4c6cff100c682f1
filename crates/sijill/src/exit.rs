//! Exit codes, and which errors map to which. `docs/cli.md` lists them for users.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | ok (also when the reader of stdout went away: a broken pipe) |
//! | 1 | usage: unknown subcommand or flag, missing argument |
//! | 2 | bad input: a malformed record file or argument, a rule the registry keeps |
//! | 3 | not found: a question about an entity the registry does not hold |
//! | 4 | registry unusable: data folder missing, locked or of a newer format; PostgreSQL registry missing or database unreachable; corrupt log; `--server` unreachable |
//! | 5 | internal or operating error (disk, store) |

use std::io;

use sijill_engine::EngineError;
use sijill_store::transfer::TransferError;
use sijill_store::{AppendError, StoreError};

use crate::commands::ArgumentError;
use crate::record_file::RecordFileError;

pub const OK: u8 = 0;
pub const USAGE: u8 = 1;
pub const BAD_INPUT: u8 = 2;
pub const NOT_FOUND: u8 = 3;
pub const DATA_FOLDER: u8 = 4;
pub const INTERNAL: u8 = 5;

/// A failure the CLI itself diagnoses, with its exit code.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn bad_input(message: impl Into<String>) -> Failure {
        Failure {
            code: BAD_INPUT,
            message: message.into(),
        }
    }

    pub fn data_folder(message: impl Into<String>) -> Failure {
        Failure {
            code: DATA_FOLDER,
            message: message.into(),
        }
    }
}

/// The exit code for an error: the first cause in the chain that says what kind of failure
/// it is decides.
pub fn code_of(error: &anyhow::Error) -> u8 {
    error.chain().find_map(classify).unwrap_or(INTERNAL)
}

/// Whether the error is only stdout's reader going away (`sijill log | head`).
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

fn classify(cause: &(dyn std::error::Error + 'static)) -> Option<u8> {
    if let Some(failure) = cause.downcast_ref::<Failure>() {
        return Some(failure.code);
    }
    if cause.is::<RecordFileError>()
        || cause.is::<ArgumentError>()
        || cause.is::<crate::remote::Refused>()
    {
        return Some(BAD_INPUT);
    }
    if let Some(engine) = cause.downcast_ref::<EngineError>() {
        return Some(engine_code(engine));
    }
    if let Some(store) = cause.downcast_ref::<StoreError>() {
        return Some(store_code(store));
    }
    if let Some(append) = cause.downcast_ref::<AppendError>() {
        return Some(match append {
            AppendError::Store(store) => store_code(store),
            _ => BAD_INPUT,
        });
    }
    cause.downcast_ref::<TransferError>().map(transfer_code)
}

fn engine_code(error: &EngineError) -> u8 {
    match error {
        EngineError::Rejected { .. } | EngineError::BadRequest { .. } => BAD_INPUT,
        EngineError::NotFound { .. } => NOT_FOUND,
        EngineError::Store(store) => store_code(store),
        EngineError::Codec { .. } => DATA_FOLDER,
        _ => INTERNAL,
    }
}

fn store_code(error: &StoreError) -> u8 {
    match error {
        StoreError::Corrupt { .. }
        | StoreError::Locked { .. }
        | StoreError::NewerFormat { .. }
        | StoreError::NotADataFolder { .. } => DATA_FOLDER,
        StoreError::Limit(_) => BAD_INPUT,
        _ => INTERNAL,
    }
}

fn transfer_code(error: &TransferError) -> u8 {
    match error {
        TransferError::Line { .. } => BAD_INPUT,
        TransferError::NotEmpty { .. } => DATA_FOLDER,
        TransferError::Store(store) => store_code(store),
        TransferError::Append(AppendError::Store(store)) => store_code(store),
        TransferError::Append(_) => BAD_INPUT,
        TransferError::Io { .. } => INTERNAL,
    }
}
