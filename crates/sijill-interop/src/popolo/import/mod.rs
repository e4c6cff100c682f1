//! Popolo import: a Popolo document becomes ordinary commands, recorded like any others.
//!
//! ```text
//! bytes ──read (stream, schema per record)──▶ typed records ──plan──▶ Vec<Command> (+ the path of each)
//!                                                                      │
//!                      decide against a registry (dry run, or the engine) ◀┘
//! ```
//!
//! - Nothing is recorded unless the whole file is valid: the schema, the references between
//!   records, sijill's own limits, and (when decided) every rule of the registry. The first
//!   problem is reported with the exact JSON path of the record or field that causes it.
//! - The plan is a pure function of the file's bytes (and the options), so its command id,
//!   `popolo-<BLAKE3 of the file>`, makes a second import of the same file a no-op.
//! - Ids become handles (`@` + id when the id is a valid, unused handle: see [`crate::ids`]),
//!   so an export of the imported registry has the file's ids again.
//! - What sijill cannot record (birth dates, contact details, ...) is not imported; the plan
//!   lists it ([`ImportPlan::warnings`]) so the caller can show it.
//!
//! Commands come in dependency order: areas (parents first), persons, bodies (parents
//! first), renames and moves, posts, assemblies with attendance and resolutions, mandates by
//! start date (each followed by its end), post abolitions, dissolutions (deepest first).

mod plan;
mod read;

use std::ops::Range;
use std::sync::Arc;

use sijill_domain::{
    apply, decide, Basis, BatchError, Command, Context, DomainError, EndReason, EntityRef, Event,
    Handle, Registry, BATCH_COMMANDS_MAX,
};
use sijill_store::limits::BATCH_EVENTS_MAX;

pub use read::{Warnings, WARNING_KINDS_MAX};

use crate::popolo::export::ExportCounts;
use crate::popolo::schema::{RecordKind, SchemaError};

/// Largest file an import reads, in bytes.
pub const IMPORT_FILE_BYTES_MAX: usize = 1 << 30;
/// Longest file name kept in the source of the imported events, in characters.
pub const FILE_NAME_CHARS_MAX: usize = 512;

/// Why a file cannot be imported. Nothing has been recorded when this is returned.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file is {size} bytes; an import reads at most {max}: split the file")]
    TooLarge { size: usize, max: usize },
    #[error("line {line}, column {column}: not JSON: {problem}")]
    Json {
        line: usize,
        column: usize,
        problem: String,
    },
    #[error("{0} (Popolo schema)")]
    Schema(#[from] SchemaError),
    #[error("{path}: {problem}")]
    Invalid { path: String, problem: String },
    #[error(
        "the file holds no persons, organizations, posts, memberships, areas or events to import"
    )]
    Empty,
    #[error("{path}: the registry refuses it ({command}): {error}")]
    Rejected {
        path: String,
        command: &'static str,
        error: Box<DomainError>,
    },
}

impl ImportError {
    /// The JSON path of what is wrong, when the problem is in one place of the file.
    pub fn path(&self) -> Option<&str> {
        match self {
            ImportError::Schema(e) => Some(&e.path),
            ImportError::Invalid { path, .. } | ImportError::Rejected { path, .. } => Some(path),
            _ => None,
        }
    }
}

/// How to import.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// The file's name, kept in the source of every imported event.
    pub file_name: String,
    /// How mandates were obtained when a membership does not say (no `sijill:basis`):
    /// Popolo has no such field, so a file from elsewhere needs this or is refused.
    pub default_basis: Option<Basis<EntityRef>>,
    /// Why mandates ended when a membership with an end date does not say (no
    /// `sijill:end_reason`).
    pub default_end_reason: Option<EndReason>,
}

impl ImportOptions {
    pub fn new(file_name: impl Into<String>) -> ImportOptions {
        ImportOptions {
            file_name: file_name.into(),
            ..ImportOptions::default()
        }
    }
}

/// The commands a file becomes, and what is needed to record them and explain refusals.
#[derive(Debug)]
pub struct ImportPlan {
    command_id: String,
    source: String,
    commands: Vec<Command>,
    /// The JSON path of the record each command comes from.
    paths: Vec<Arc<str>>,
    handles: Vec<(RecordKind, Arc<str>, Handle)>,
    warnings: Warnings,
    counts: ExportCounts,
}

/// A plan decided against a registry: the events, the state after them, and how to cut the
/// commands into batches the log accepts.
#[derive(Debug)]
pub struct Decided {
    pub events: Vec<Event>,
    pub registry: Registry,
    pub batches: Vec<ImportBatch>,
}

/// Consecutive commands recorded as one atomic batch, under their own command id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportBatch {
    pub command_id: String,
    pub commands: Range<usize>,
}

/// Reads, checks and translates a Popolo document. Records nothing.
pub fn plan_popolo_import(
    bytes: &[u8],
    options: &ImportOptions,
) -> Result<ImportPlan, ImportError> {
    if bytes.len() > IMPORT_FILE_BYTES_MAX {
        return Err(ImportError::TooLarge {
            size: bytes.len(),
            max: IMPORT_FILE_BYTES_MAX,
        });
    }
    let hash = blake3::hash(bytes).to_hex().to_string();
    let records = read::read(bytes)?;
    let counts = ExportCounts {
        areas: records.areas.len(),
        persons: records.persons.len(),
        organizations: records.organizations.len(),
        posts: records.posts.len(),
        events: records.events.len(),
        memberships: records.memberships.len(),
    };
    let planned = plan::plan(records, options, &hash)?;
    if planned.commands.is_empty() {
        return Err(ImportError::Empty);
    }
    let name: String = options
        .file_name
        .chars()
        .take(FILE_NAME_CHARS_MAX)
        .collect();
    Ok(ImportPlan {
        command_id: format!("popolo-{hash}"),
        source: format!("{name} (Popolo import, blake3 {hash})"),
        commands: planned.commands,
        paths: planned.paths,
        handles: planned.handles,
        warnings: planned.warnings,
        counts,
    })
}

impl ImportPlan {
    /// The idempotency key of the whole file: `popolo-<BLAKE3 hex of the bytes>`.
    pub fn command_id(&self) -> &str {
        &self.command_id
    }

    /// The source recorded with every imported event: the file's name and hash.
    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn commands(&self) -> &[Command] {
        &self.commands
    }

    /// The JSON path of the record command `index` comes from.
    pub fn path(&self, index: usize) -> Option<&str> {
        self.paths.get(index).map(|p| &**p)
    }

    /// What the file holds that is not imported.
    pub fn warnings(&self) -> &Warnings {
        &self.warnings
    }

    /// How many records of each kind the file holds.
    pub fn counts(&self) -> ExportCounts {
        self.counts
    }

    /// The handle a record of the file gets, by its Popolo id.
    pub fn handle(&self, kind: RecordKind, id: &str) -> Option<&Handle> {
        self.handles
            .iter()
            .find(|(k, i, _)| *k == kind && &**i == id)
            .map(|(_, _, h)| h)
    }

    /// Every (kind, Popolo id, handle) of the file, in file order.
    pub fn handles(&self) -> &[(RecordKind, Arc<str>, Handle)] {
        &self.handles
    }

    /// An engine's refusal of command `index` (of this plan, or of a batch starting at
    /// `offset`), explained by the path of the record it comes from.
    pub fn rejected(&self, index: usize, command: &'static str, error: DomainError) -> ImportError {
        let path = self.path(index).unwrap_or("$").to_owned();
        ImportError::Rejected {
            path,
            command,
            error: Box::new(error),
        }
    }

    /// Decides every command against `registry` in order, as the engine will, without
    /// recording anything: the events and resulting state, or the first refusal.
    pub fn decide(
        &self,
        registry: &Registry,
        ctx: &mut Context<'_>,
    ) -> Result<Decided, ImportError> {
        let mut state = registry.clone();
        let mut events = Vec::with_capacity(self.commands.len());
        let mut per_command = Vec::with_capacity(self.commands.len());
        for (index, command) in self.commands.iter().enumerate() {
            let decided = decide(&state, command, ctx)
                .map_err(|error| self.rejected(index, command.name(), error))?;
            for event in &decided {
                apply(&mut state, event);
            }
            per_command.push(decided.len());
            events.extend(decided);
        }
        let batches = self.cut(&per_command);
        Ok(Decided {
            events,
            registry: state,
            batches,
        })
    }

    /// The batches the file is recorded in, from a dry run into an empty registry. Every
    /// command of a plan concerns only the file's own (new) entities, so how many events each
    /// gives, and so where the batches are cut, does not depend on the registry it goes into:
    /// a second run cuts the same batches and resumes an interrupted import by command id.
    pub fn batches(
        &self,
        recorded_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<ImportBatch>, ImportError> {
        let mut ids = sijill_domain::SequentialIds::new();
        let decided = self.decide(&Registry::new(), &mut Context::new(recorded_at, &mut ids))?;
        Ok(decided.batches)
    }

    /// Maps a batch refusal (from `decide_batch` or the engine) to the record's path.
    pub fn batch_rejected(&self, batch: &ImportBatch, error: BatchError) -> ImportError {
        self.rejected(
            batch.commands.start + error.index,
            error.command,
            error.error,
        )
    }

    /// Cuts the commands into batches within the log's limits. One batch (the usual case)
    /// keeps the file's command id; several get `-1`, `-2`, ... so each is idempotent.
    fn cut(&self, events_per_command: &[usize]) -> Vec<ImportBatch> {
        let mut ranges: Vec<Range<usize>> = Vec::new();
        let (mut start, mut events) = (0, 0);
        for (index, count) in events_per_command.iter().enumerate() {
            let full = index - start >= BATCH_COMMANDS_MAX || events + count > BATCH_EVENTS_MAX;
            if full && index > start {
                ranges.push(start..index);
                (start, events) = (index, 0);
            }
            events += count;
        }
        ranges.push(start..events_per_command.len());
        let single = ranges.len() == 1;
        ranges
            .into_iter()
            .enumerate()
            .map(|(i, commands)| {
                let command_id = if single {
                    self.command_id.clone()
                } else {
                    format!("{}-{}", self.command_id, i + 1)
                };
                ImportBatch {
                    command_id,
                    commands,
                }
            })
            .collect()
    }
}
