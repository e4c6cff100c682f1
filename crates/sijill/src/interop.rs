//! The interop formats on the command line (crate `sijill-interop`, `docs/interop.md`):
//!
//! - `sijill export --format popolo|org-jsonld|org-turtle|csv|dot [--as-of DATE] [--body BODY] [FILE]`
//!   (`--format log`, the default, is the JSON Lines log with its hash chain);
//! - `sijill roster BODY --format csv`;
//! - `sijill import --format popolo FILE`: the file becomes ordinary commands, recorded as one
//!   atomic batch (several, each atomic and idempotent, for a file too big for one) with the
//!   file as their source. Nothing is submitted unless the whole file is valid and decides
//!   against the registry; importing the same file again records nothing.

use std::io::Write;
use std::path::Path;

use anyhow::Context as _;
use chrono::Utc;
use clap::ValueEnum;
use serde::Serialize;
use sijill_domain::{AsOf, BodyId, EdtfDate, Registry, SequentialIds};
use sijill_engine::{EngineError, Receipt, Submission};
use sijill_interop::{
    plan_popolo_import, BodyRefError, Format, ImportBatch, ImportOptions, ImportPlan, Provenance,
    Selection, IMPORT_FILE_BYTES_MAX,
};
use sijill_store::CommandId;

use crate::backend::{Backend, Connection, Create, Local, Location};
use crate::exit::{self, Failure};
use crate::remote::Remote;

/// What `sijill export` writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// The log as JSON Lines, with its hash chain (what `sijill import` reads back)
    #[default]
    Log,
    /// Popolo JSON: persons, organizations, posts, memberships, areas, events
    Popolo,
    /// The W3C Organization Ontology as JSON-LD
    OrgJsonld,
    /// The W3C Organization Ontology as Turtle
    OrgTurtle,
    /// One row per mandate (UTF-8 with a BOM, RFC 4180)
    Csv,
    /// Graphviz: the tree of bodies, or one body's posts and holders with --body
    Dot,
}

impl ExportFormat {
    /// The interop format, or `None` for the log.
    pub fn interop(self) -> Option<Format> {
        match self {
            ExportFormat::Log => None,
            ExportFormat::Popolo => Some(Format::Popolo),
            ExportFormat::OrgJsonld => Some(Format::OrgJsonLd),
            ExportFormat::OrgTurtle => Some(Format::OrgTurtle),
            ExportFormat::Csv => Some(Format::Csv),
            ExportFormat::Dot => Some(Format::Dot),
        }
    }
}

/// What `sijill import` reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ImportFormat {
    /// An exported log (JSON Lines), into an empty registry
    #[default]
    Log,
    /// A Popolo JSON document, recorded as commands into this registry
    Popolo,
}

/// How `sijill roster` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RosterFormat {
    /// One row per mandate (UTF-8 with a BOM, RFC 4180)
    Csv,
}

/// What an interop export covers.
pub struct ExportRequest<'a> {
    pub format: Format,
    pub as_of: Option<EdtfDate>,
    pub as_recorded_at: Option<u64>,
    pub body: Option<&'a str>,
    pub file: Option<&'a Path>,
}

/// `sijill roster BODY --format csv`: like the table, as of today unless asked otherwise.
pub async fn roster_csv(
    location: &Location,
    body: &str,
    at: &crate::cli::AtArgs,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let today = || EdtfDate::from_naive(Utc::now().date_naive());
    let request = ExportRequest {
        format: Format::Csv,
        as_of: Some(at.as_of.unwrap_or_else(today)),
        as_recorded_at: at.as_recorded_at,
        body: Some(body),
        file: None,
    };
    export(location, &request, out).await
}

/// `sijill export --format …`.
pub async fn export(
    location: &Location,
    request: &ExportRequest<'_>,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let connection = location.open(Create::No).await?;
    let result = match &connection {
        Connection::Local(local) => export_from(local, request, out).await,
        Connection::Remote(remote) => export_remote(remote, request, out).await,
    };
    connection.close().await?;
    result
}

/// The same export, written by the server (`GET /v1/export/{format}`) and streamed here.
async fn export_remote(
    remote: &Remote,
    request: &ExportRequest<'_>,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let mut query = Vec::new();
    if let Some(date) = request.as_of {
        query.push(("as_of", date.to_string()));
    }
    if let Some(position) = request.as_recorded_at {
        query.push(("as_recorded_at", position.to_string()));
    }
    if let Some(body) = request.body {
        query.push(("body", body.to_owned()));
    }
    let format = request.format.name();
    let Some(file) = request.file else {
        return remote.export_format(format, &query, out).await;
    };
    let temporary = file.with_extension("export-partial");
    let created = std::fs::File::create(&temporary)
        .with_context(|| format!("creating {}", temporary.display()))?;
    let mut writer = std::io::BufWriter::new(created);
    remote.export_format(format, &query, &mut writer).await?;
    finish_file(writer, &temporary, file)
}

/// Syncs a finished temporary file and gives it its final name.
fn finish_file(
    writer: std::io::BufWriter<std::fs::File>,
    temporary: &Path,
    file: &Path,
) -> anyhow::Result<()> {
    writer
        .into_inner()
        .map_err(|e| e.into_error())?
        .sync_all()?;
    std::fs::rename(temporary, file)
        .with_context(|| format!("renaming {} to {}", temporary.display(), file.display()))?;
    Ok(())
}

async fn export_from(
    local: &Local,
    request: &ExportRequest<'_>,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let engine = local.engine();
    let snapshot = match request.as_recorded_at {
        Some(position) => engine.as_recorded_at(position).await?,
        None => engine.snapshot(),
    };
    let registry = &snapshot.registry;
    let provenance = match request.format.uses_provenance() {
        true => Some(Provenance::from_store(engine.store().as_ref(), registry).await?),
        false => None,
    };
    // A picture, like a roster, shows one day: today unless asked otherwise.
    let today = || AsOf::today(Utc::now());
    let as_of = match (request.as_of, request.format) {
        (Some(date), _) => Some(AsOf::date(date)),
        (None, Format::Dot) => Some(today()),
        (None, _) => None,
    };
    let body = request.body.map(|b| body_id(registry, b)).transpose()?;
    let selection = Selection { as_of, body };
    let write = |out: &mut dyn Write| {
        sijill_interop::write(
            request.format,
            registry,
            provenance.as_ref(),
            &selection,
            out,
        )
    };
    match request.file {
        None => tokio::task::block_in_place(|| write(out))?,
        Some(file) => write_file(file, write)?,
    }
    Ok(())
}

/// Writes through a temporary file renamed at the end, so a failed export never leaves a
/// truncated file under the final name.
fn write_file(
    file: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let temporary = file.with_extension("export-partial");
    let created = std::fs::File::create(&temporary)
        .with_context(|| format!("creating {}", temporary.display()))?;
    let mut writer = std::io::BufWriter::new(created);
    tokio::task::block_in_place(|| write(&mut writer))?;
    finish_file(writer, &temporary, file)
}

fn body_id(registry: &Registry, text: &str) -> anyhow::Result<BodyId> {
    sijill_interop::body_of(registry, text).map_err(|e| {
        let failure = match e {
            BodyRefError::Malformed(e) => Failure::bad_input(format!("--body {text}: {e}")),
            BodyRefError::NotABody { .. } => Failure::bad_input(e.to_string()),
            BodyRefError::Missing(_) => Failure {
                code: exit::NOT_FOUND,
                message: e.to_string(),
            },
        };
        failure.into()
    })
}

/// Who records an import and what the terminal shows.
pub struct ImportRequest<'a> {
    pub file: &'a Path,
    pub actor: String,
}

/// What an import did, for `--json` and the text summary.
#[derive(Debug, Serialize)]
pub struct ImportSummary {
    pub file: String,
    pub command_id: String,
    pub records: sijill_interop::ExportCounts,
    pub commands: usize,
    pub receipts: Vec<Receipt>,
    /// True when every batch was already recorded: nothing changed.
    pub already_imported: bool,
    pub not_imported: Vec<String>,
}

/// `sijill import --format popolo FILE`.
pub async fn import_popolo(
    location: &Location,
    request: &ImportRequest<'_>,
) -> anyhow::Result<ImportSummary> {
    let plan = read_plan(request.file)?;
    let batches = plan
        .batches(Utc::now())
        .map_err(|e| refused(request.file, &e))?;
    let local = location.open(Create::IfMissing).await?;
    let result = submit_plan(&local, &plan, &batches, request).await;
    local.close().await?;
    let receipts = result?;
    Ok(ImportSummary {
        file: request.file.display().to_string(),
        command_id: plan.command_id().to_owned(),
        records: plan.counts(),
        commands: plan.commands().len(),
        already_imported: receipts.iter().all(|r| r.deduplicated),
        receipts,
        not_imported: plan.warnings().lines(),
    })
}

fn read_plan(file: &Path) -> anyhow::Result<ImportPlan> {
    let size = std::fs::metadata(file)
        .map_err(|e| Failure::bad_input(format!("cannot read {}: {e}", file.display())))?
        .len();
    if size > IMPORT_FILE_BYTES_MAX as u64 {
        let message = format!(
            "{} is {size} bytes; an import reads at most {IMPORT_FILE_BYTES_MAX}: split it",
            file.display()
        );
        return Err(Failure::bad_input(message).into());
    }
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let name = file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    plan_popolo_import(&bytes, &ImportOptions::new(name)).map_err(|e| refused(file, &e))
}

fn refused(file: &Path, error: &sijill_interop::ImportError) -> anyhow::Error {
    Failure::bad_input(format!("{}: {error}; nothing was recorded", file.display())).into()
}

/// Checks the whole plan against the registry (unless the file was recorded before), then
/// submits its batches in order. A batch already in the log is answered as deduplicated.
async fn submit_plan(
    connection: &Connection,
    plan: &ImportPlan,
    batches: &[ImportBatch],
    request: &ImportRequest<'_>,
) -> anyhow::Result<Vec<Receipt>> {
    // Through a server, each batch is still atomic and idempotent, and the server decides
    // it; the whole-file check before the first batch needs the state, so it runs locally.
    if let Connection::Local(local) = connection {
        precheck(local, plan, batches, request).await?;
    }
    let mut receipts = Vec::with_capacity(batches.len());
    for batch in batches {
        let submission = Submission {
            commands: plan.commands()[batch.commands.clone()].to_vec(),
            command_id: Some(CommandId::new(batch.command_id.clone())?),
            actor: request.actor.clone(),
            source: Some(plan.source().to_owned()),
        };
        match connection.submit(submission).await {
            Ok(receipt) => receipts.push(receipt),
            Err(e) => return Err(located(e, plan, batch, request.file, receipts.len())),
        }
    }
    Ok(receipts)
}

/// Decides the whole plan against the registry (unless the file was recorded before), so
/// that a file refused anywhere records nothing, even when it spans several batches.
async fn precheck(
    local: &Local,
    plan: &ImportPlan,
    batches: &[ImportBatch],
    request: &ImportRequest<'_>,
) -> anyhow::Result<()> {
    let engine = local.engine();
    let first = CommandId::new(batches[0].command_id.clone())?;
    if engine.store().find_command(&first).await?.is_none() {
        let snapshot = engine.snapshot();
        let mut ids = SequentialIds::new();
        let mut ctx = sijill_domain::Context::new(Utc::now(), &mut ids);
        plan.decide(&snapshot.registry, &mut ctx)
            .map_err(|e| refused(request.file, &e))?;
    }
    Ok(())
}

/// A refusal names the record of the file it comes from.
fn located(
    error: anyhow::Error,
    plan: &ImportPlan,
    batch: &ImportBatch,
    file: &Path,
    done: usize,
) -> anyhow::Error {
    let explained = match error.downcast_ref::<EngineError>() {
        Some(EngineError::Rejected {
            index,
            command,
            error,
        }) => plan
            .rejected(batch.commands.start + index, command, (**error).clone())
            .to_string(),
        _ => match error.downcast_ref::<crate::remote::Refused>() {
            // The server's words, placed in the file as a local refusal would be.
            Some(refused) => {
                let index = batch.commands.start + refused.index;
                let path = plan.path(index).unwrap_or("$");
                format!(
                    "{path}: the registry refuses it ({}): {}",
                    refused.command, refused.reason
                )
            }
            None => return error,
        },
    };
    let recorded = match done {
        0 => "nothing was recorded".to_owned(),
        n => format!("the first {n} batches were recorded; run the import again once fixed to record the rest"),
    };
    Failure::bad_input(format!("{}: {explained}; {recorded}", file.display())).into()
}

/// The text summary of an import.
pub fn render_import(out: &mut dyn Write, summary: &ImportSummary) -> std::io::Result<()> {
    let r = &summary.records;
    if summary.already_imported {
        writeln!(
            out,
            "{} was already imported ({}): nothing changed",
            summary.file, summary.command_id
        )?;
        return Ok(());
    }
    let positions = match (summary.receipts.first(), summary.receipts.last()) {
        (Some(first), Some(last)) => format!("positions {}..{}", first.first, last.last),
        _ => String::new(),
    };
    writeln!(
        out,
        "imported {}: {} areas, {} persons, {} organizations, {} posts, {} events, {} memberships \
         as {} commands in {} batch(es), {positions}",
        summary.file,
        r.areas,
        r.persons,
        r.organizations,
        r.posts,
        r.events,
        r.memberships,
        summary.commands,
        summary.receipts.len()
    )?;
    for line in &summary.not_imported {
        writeln!(out, "  {line}")?;
    }
    Ok(())
}
