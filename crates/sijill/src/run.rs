//! From parsed arguments to requests, and from answers to output.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Serialize;
use sijill_domain::EntityRef;
use sijill_engine::query::{Answer, Data, Query};
use sijill_engine::{EngineError, Receipt, Submission};
use sijill_store::CommandId;

use crate::backend::{self, Backend, Create, Location};
use crate::cli::{AtArgs, Cli, Cmd, Global, WriteArgs, DATA_DIR_DEFAULT, SEARCH_LIMIT_MAX};
use crate::exit::Failure;
use crate::interop::{self, ExportFormat, ImportFormat};
use crate::place::Place;
use crate::record_file::{self, RecordFile};
use crate::render::{self, Out};
use crate::table::Style;
use crate::{commands, examples};

/// Where the registry's store is: `--store` (or `SIJILL_STORE`), else the data folder.
pub fn place(global: &Global) -> Result<Place, Failure> {
    match &global.store {
        Some(_) if global.data.is_some() => Err(Failure::bad_input(
            "--data and --store (or SIJILL_STORE) both name where the registry is: give one of them",
        )),
        Some(url) => Place::store_flag(url),
        None => Ok(Place::Folder(data_folder(global))),
    }
}

/// The data folder: `--data`, else `SIJILL_DATA`, else `./sijill-data`.
pub fn data_folder(global: &Global) -> PathBuf {
    if let Some(dir) = &global.data {
        return dir.clone();
    }
    match std::env::var_os("SIJILL_DATA") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(DATA_DIR_DEFAULT),
    }
}

/// Where the registry is: `--server` (a running server), else its store.
pub fn location(global: &Global) -> Result<Location, Failure> {
    match &global.server {
        Some(_) if global.store.is_some() => Err(Failure::bad_input(
            "--server and --store (or SIJILL_STORE) both name where the registry is: give one of them",
        )),
        Some(url) => Ok(Location::Server {
            url: url.clone(),
            token: global.token.clone(),
        }),
        None => place(global).map(Location::Local),
    }
}

struct Ctx<'a> {
    location: Location,
    json: bool,
    out: Out<'a>,
}

pub async fn execute(cli: Cli, out: &mut (dyn Write + Send)) -> anyhow::Result<()> {
    if let Cmd::CopyLog { from, to } = &cli.command {
        if cli.global.server.is_some() {
            let message = "copy-log moves a log between stores, not through --server: run it on the server's machine";
            return Err(Failure {
                code: crate::exit::USAGE,
                message: message.into(),
            }
            .into());
        }
        return copy_log(from, to, cli.global.json, out).await;
    }
    let mut ctx = Ctx {
        location: location(&cli.global)?,
        json: cli.global.json,
        out: Out {
            out,
            style: Style::detect(),
        },
    };
    match &cli.command {
        Cmd::Init => init(&mut ctx).await,
        Cmd::Demo { write } => demo(&mut ctx, write).await,
        Cmd::Record { files, write } => record(&mut ctx, files, write).await,
        Cmd::Import {
            file,
            format: ImportFormat::Log,
            ..
        } => import(&mut ctx, file).await,
        Cmd::Import { file, actor, .. } => import_popolo(&mut ctx, file, actor.as_deref()).await,
        Cmd::Export {
            file,
            format: ExportFormat::Log,
            ..
        } => export(&mut ctx, file.as_deref()).await,
        Cmd::Export {
            file,
            format,
            at,
            body,
        } => {
            let format = format
                .interop()
                .expect("every format but the log is an interop format");
            let request = interop::ExportRequest {
                format,
                as_of: at.as_of,
                as_recorded_at: at.as_recorded_at,
                body: body.as_deref(),
                file: file.as_deref(),
            };
            interop::export(&ctx.location, &request, &mut *ctx.out.out).await
        }
        Cmd::Roster {
            body,
            at,
            format: Some(_),
        } => interop::roster_csv(&ctx.location, body, at, &mut *ctx.out.out).await,
        Cmd::Verify => verify(&mut ctx).await,
        Cmd::Serve(options) => serve(&mut ctx, options).await,
        cmd => {
            if let Some(command) = commands::to_command(cmd) {
                return quick_edit(&mut ctx, command?, write_args(cmd)).await;
            }
            let query = question(cmd).expect("every other subcommand is a question")?;
            ask(&mut ctx, &query).await
        }
    }
}

async fn init(ctx: &mut Ctx<'_>) -> anyhow::Result<()> {
    let place = ctx.location.place("init")?.clone();
    let store = place.open_store(Create::IfMissing).await?;
    let head = store.head().await?.position;
    let message = match head {
        0 => format!("registry ready in {place} (empty)"),
        n => format!("registry already in {place} ({n} events): nothing changed"),
    };
    print(
        ctx,
        &serde_json::json!({ "data": place, "events": head }),
        |out| out.out.write_all(format!("{message}\n").as_bytes()),
    )
}

/// Records the founding example (idempotently: each file has its own command id) and shows
/// the coordination it founded.
async fn demo(ctx: &mut Ctx<'_>, write: &WriteArgs) -> anyhow::Result<()> {
    let files = examples::khemisset()?;
    let local = ctx.location.open(Create::IfMissing).await?;
    let mut receipts = Vec::with_capacity(files.len());
    for file in &files {
        receipts.push(submit_file(&local, file, write, false).await?);
    }
    let body = EntityRef::parse(examples::DEMO_BODY).expect("the demo body's handle is valid");
    let roster = local
        .ask(&Query::Roster {
            body,
            as_of: None,
            as_recorded_at: None,
        })
        .await?;
    local.close().await?;
    if ctx.json {
        return json(
            ctx,
            &serde_json::json!({ "data": ctx.location.describe(), "recorded": receipts, "roster": roster }),
        );
    }
    demo_text(ctx, &files, &receipts, &roster)
}

fn demo_text(
    ctx: &mut Ctx<'_>,
    files: &[RecordFile],
    receipts: &[Receipt],
    roster: &Answer,
) -> anyhow::Result<()> {
    let new = receipts.iter().filter(|r| !r.deduplicated).count();
    let events = receipts.last().map_or(0, |r| r.last);
    let mut text = format!(
        "sijill demo: the founding example in {}\n",
        ctx.location.describe()
    );
    text += &match new {
        0 => format!("already recorded: {} files, {events} events (nothing new)\n\n", files.len()),
        n => format!("recorded {n} files of examples/khemisset/ ({events} events), one batch per decision\n\n"),
    };
    ctx.out.out.write_all(text.as_bytes())?;
    render::answer(&mut ctx.out, roster)?;
    let data = data_flag(&ctx.location);
    let next = format!(
        "\nTry next:\n  sijill{data} person @achraf-chahboun\n  sijill{data} audit @achraf-chahboun\n  sijill{data} search \"إسماعيل البنوري\"\n  \
         sijill{data} roster @khemisset-coordination --as-of 2016-12-10\n  sijill{data} representation @khemisset-coordination\n  \
         sijill{data} tree\n  sijill{data} verify\n"
    );
    ctx.out.out.write_all(next.as_bytes())?;
    Ok(())
}

/// Serves the registry over HTTP until SIGINT or SIGTERM; with `--demo`, records the founding
/// example first (idempotently, as `demo` does).
async fn serve(ctx: &mut Ctx<'_>, options: &sijill_server::ServeOptions) -> anyhow::Result<()> {
    let place = ctx.location.place("serve")?;
    let local = backend::Local::open(
        place,
        if options.demo {
            Create::IfMissing
        } else {
            Create::No
        },
    )
    .await?;
    if options.demo {
        for file in &examples::khemisset()? {
            submit_file(&local, file, &WriteArgs::default(), false).await?;
        }
    }
    Ok(sijill_server::serve(local.engine(), options.clone()).await?)
}

/// `--data DIR` when the folder is not the one found without it, so the hints work as typed.
fn data_flag(location: &Location) -> String {
    let place = match location {
        Location::Local(place) => place,
        Location::Server { url, .. } => return format!(" --server {url}"),
    };
    let found = self::place(&Global {
        data: None,
        store: std::env::var("SIJILL_STORE").ok().filter(|s| !s.is_empty()),
        json: false,
        server: None,
        token: None,
    });
    match found {
        Ok(found) if found == *place => String::new(),
        _ => format!(" {}", place.flag()),
    }
}

/// Records files in order, each as one batch. All are parsed first, so a malformed file
/// records nothing at all; a file the registry refuses stops the run (earlier files stay
/// recorded, and recording them again is a no-op thanks to their command ids).
async fn record(ctx: &mut Ctx<'_>, paths: &[PathBuf], write: &WriteArgs) -> anyhow::Result<()> {
    if write.command_id.is_some() && paths.len() > 1 {
        return Err(Failure::bad_input("--command-id names one batch, and each file is its own batch: record one file at a time, or put `command_id` in each file").into());
    }
    let files = paths
        .iter()
        .map(|p| record_file::read(p))
        .collect::<Result<Vec<_>, _>>()?;
    let local = ctx.location.open(Create::No).await?;
    let mut receipts = Vec::with_capacity(files.len());
    for file in &files {
        match submit_file(&local, file, write, true).await {
            Ok(receipt) => receipts.push(receipt),
            Err(e) => {
                local.close().await?;
                return Err(e);
            }
        }
    }
    local.close().await?;
    print(ctx, &receipts, |out| {
        for (file, receipt) in files.iter().zip(&receipts) {
            writeln!(out.out, "{}:", file.name)?;
            render::receipt(out, receipt)?;
        }
        Ok(())
    })
}

/// One file as one submission. Command-line flags win over the file's own keys (only when
/// `flags_win`: `demo` keeps the example's command ids so that it stays idempotent).
async fn submit_file(
    local: &impl Backend,
    file: &RecordFile,
    write: &WriteArgs,
    flags_win: bool,
) -> anyhow::Result<Receipt> {
    let command_id = match (&write.command_id, flags_win) {
        (Some(id), true) => parse_command_id(id)?,
        _ => file.command_id.clone(),
    };
    let actor = match (&write.actor, &file.actor) {
        // A server records its token's name as the actor.
        (None, _) if local.is_remote() => String::new(),
        (Some(_), _) if local.is_remote() => return Err(actor_with_server()),
        (Some(actor), _) => actor.clone(),
        (None, Some(actor)) => actor.clone(),
        (None, None) if flags_win => default_actor()?,
        // The demo must run anywhere, even where no user name is set (a bare container).
        (None, None) => default_actor().unwrap_or_else(|_| "demo".to_owned()),
    };
    let source = write.source.clone().or_else(|| file.source.clone());
    let submission = Submission {
        commands: file.commands.clone(),
        command_id: Some(command_id),
        actor,
        source,
    };
    local.submit(submission).await.map_err(|e| located(e, file))
}

/// A refusal names the file, line and entry it comes from.
fn located(error: anyhow::Error, file: &RecordFile) -> anyhow::Error {
    match refusal(&error) {
        Some((index, command, reason)) => Failure::bad_input(format!(
            "{} ({command}): {reason}; nothing in {} was recorded",
            file.locate(index),
            file.name
        ))
        .into(),
        None => error,
    }
}

/// A command the registry refused, local or remote: its index in the batch, its name and
/// the rule's words.
pub fn refusal(error: &anyhow::Error) -> Option<(usize, String, String)> {
    if let Some(EngineError::Rejected {
        index,
        command,
        error,
    }) = error.downcast_ref::<EngineError>()
    {
        return Some((*index, (*command).to_owned(), error.to_string()));
    }
    error
        .downcast_ref::<crate::remote::Refused>()
        .map(|r| (r.index, r.command.clone(), r.reason.clone()))
}

fn actor_with_server() -> anyhow::Error {
    Failure::bad_input(
        "--actor cannot be used with --server: the server records its token's name as the actor",
    )
    .into()
}

async fn quick_edit(
    ctx: &mut Ctx<'_>,
    command: sijill_domain::Command,
    write: WriteArgs,
) -> anyhow::Result<()> {
    let command_id = write
        .command_id
        .as_deref()
        .map(parse_command_id)
        .transpose()?;
    let local = ctx.location.open(Create::No).await?;
    let actor = match (&write.actor, local.is_remote()) {
        (Some(_), true) => return Err(actor_with_server()),
        (None, true) => String::new(),
        (actor, false) => actor.clone().map_or_else(default_actor, Ok)?,
    };
    let name = command.name();
    let submission = Submission {
        commands: vec![command],
        command_id,
        actor,
        source: write.source.clone(),
    };
    let result = local.submit(submission).await;
    local.close().await?;
    let receipt = result.map_err(|e| match refusal(&e) {
        Some((_, _, reason)) => {
            Failure::bad_input(format!("{name}: {reason}; nothing was recorded")).into()
        }
        None => e,
    })?;
    print(ctx, &receipt, |out| render::receipt(out, &receipt))
}

fn write_args(cmd: &Cmd) -> WriteArgs {
    match cmd {
        Cmd::RegisterArea { write, .. }
        | Cmd::RegisterPerson { write, .. }
        | Cmd::FoundBody { write, .. }
        | Cmd::RenameBody { write, .. }
        | Cmd::MoveBody { write, .. }
        | Cmd::DissolveBody { write, .. }
        | Cmd::EstablishPost { write, .. }
        | Cmd::AbolishPost { write, .. }
        | Cmd::ConveneAssembly { write, .. }
        | Cmd::RecordAttendance { write, .. }
        | Cmd::AdoptResolution { write, .. }
        | Cmd::Elect { write, .. }
        | Cmd::Choose { write, .. }
        | Cmd::Appoint { write, .. }
        | Cmd::CoOpt { write, .. }
        | Cmd::EndMandate { write, .. }
        | Cmd::CorrectName { write, .. }
        | Cmd::CorrectDate { write, .. }
        | Cmd::CorrectConstituency { write, .. }
        | Cmd::Retract { write, .. } => write.clone(),
        _ => WriteArgs::default(),
    }
}

fn parse_command_id(id: &str) -> anyhow::Result<CommandId> {
    CommandId::new(id).map_err(|e| Failure::bad_input(format!("--command-id: {e}")).into())
}

/// `$USER`, else `$LOGNAME`: who is at the keyboard.
fn default_actor() -> anyhow::Result<String> {
    ["USER", "LOGNAME"]
        .iter()
        .filter_map(std::env::var_os)
        .map(|v| v.to_string_lossy().trim().to_owned())
        .find(|v| !v.is_empty())
        .ok_or_else(|| {
            Failure::bad_input("no actor: pass --actor NAME (or set USER) to say who records this")
                .into()
        })
}

/// The query a question subcommand asks; `None` for other subcommands.
fn question(cmd: &Cmd) -> Option<anyhow::Result<Query>> {
    let reference = |text: &str| -> anyhow::Result<EntityRef> {
        EntityRef::parse(text).map_err(|e| Failure::bad_input(e.to_string()).into())
    };
    let at = |at: &AtArgs| (at.as_of, at.as_recorded_at);
    let query = match cmd {
        Cmd::Tree { at: a } => Ok(Query::Tree {
            as_of: at(a).0,
            as_recorded_at: at(a).1,
        }),
        Cmd::Roster { body, at: a, .. } => reference(body).map(|body| Query::Roster {
            body,
            as_of: at(a).0,
            as_recorded_at: at(a).1,
        }),
        Cmd::Person { person, at: a } => reference(person).map(|person| Query::Person {
            person,
            as_of: at(a).0,
            as_recorded_at: at(a).1,
        }),
        Cmd::History { entity, at: a } => reference(entity).map(|entity| Query::History {
            entity,
            from: 1,
            limit: None,
            as_of: at(a).0,
            as_recorded_at: at(a).1,
        }),
        Cmd::Audit { entity, at: a } => reference(entity).map(|entity| Query::Audit {
            entity,
            as_of: at(a).0,
            as_recorded_at: at(a).1,
        }),
        Cmd::Vacancies { at: a } => Ok(Query::Vacancies {
            as_of: at(a).0,
            as_recorded_at: at(a).1,
            offset: 0,
            limit: None,
        }),
        Cmd::Representation { body, at: a } => reference(body).map(|body| Query::Representation {
            body,
            as_of: at(a).0,
            as_recorded_at: at(a).1,
        }),
        Cmd::Search { text, limit, at: a } => {
            search(text, *limit).map(|(text, limit)| Query::Search {
                text,
                limit,
                as_of: at(a).0,
                as_recorded_at: at(a).1,
            })
        }
        Cmd::Log { from, limit } => Ok(Query::Log {
            from: *from,
            limit: Some(*limit),
            as_of: None,
            as_recorded_at: None,
        }),
        Cmd::Stats => Ok(Query::Stats {
            as_of: None,
            as_recorded_at: None,
        }),
        _ => return None,
    };
    Some(query)
}

fn search(text: &str, limit: usize) -> anyhow::Result<(String, Option<usize>)> {
    if limit == 0 || limit > SEARCH_LIMIT_MAX {
        return Err(Failure::bad_input(format!("--limit must be 1 to {SEARCH_LIMIT_MAX}")).into());
    }
    Ok((text.to_owned(), Some(limit)))
}

async fn ask(ctx: &mut Ctx<'_>, query: &Query) -> anyhow::Result<()> {
    let local = ctx.location.open(Create::No).await?;
    let answer = local.ask(query).await;
    local.close().await?;
    let answer = answer?;
    print(ctx, &answer, |out| render::answer(out, &answer))
}

async fn verify(ctx: &mut Ctx<'_>) -> anyhow::Result<()> {
    let local = ctx.location.open(Create::No).await?;
    let answer = local
        .ask(&Query::Verify {
            from: None,
            to: None,
            as_of: None,
            as_recorded_at: None,
        })
        .await;
    local.close().await?;
    let answer = answer?;
    print(ctx, &answer, |out| render::answer(out, &answer))?;
    match &answer.data {
        Data::Verify(v) if !v.ok => Err(Failure::data_folder("the log does not verify: restore the last good export into a new, empty registry (`sijill import`)").into()),
        _ => Ok(()),
    }
}

/// Writes the log to `file` (through a temporary file renamed at the end, so a failed
/// export never leaves a truncated file under the final name), or to stdout.
async fn export(ctx: &mut Ctx<'_>, file: Option<&Path>) -> anyhow::Result<()> {
    let local = ctx.location.open(Create::No).await?;
    let Some(file) = file else {
        let report = local.export(&mut *ctx.out.out).await;
        local.close().await?;
        report?;
        return Ok(());
    };
    let temporary = file.with_extension("export-partial");
    let mut writer = std::io::BufWriter::new(
        std::fs::File::create(&temporary)
            .with_context(|| format!("creating {}", temporary.display()))?,
    );
    let report = local.export(&mut writer).await;
    local.close().await?;
    let report = report?;
    writer
        .into_inner()
        .map_err(|e| e.into_error())?
        .sync_all()?;
    std::fs::rename(&temporary, file)
        .with_context(|| format!("renaming {} to {}", temporary.display(), file.display()))?;
    let head = sijill_store::hash_to_hex(&report.head.hash);
    let summary = serde_json::json!({ "file": file, "events": report.events, "head_position": report.head.position, "head_hash": head });
    print(ctx, &summary, |out| {
        writeln!(
            out.out,
            "exported {} events to {} (head hash {head})",
            report.events,
            file.display()
        )
    })
}

async fn import(ctx: &mut Ctx<'_>, file: &Path) -> anyhow::Result<()> {
    let place = ctx.location.place("import --format log")?.clone();
    let report = backend::import(&place, file).await?;
    let head = sijill_store::hash_to_hex(&report.head.hash);
    let summary = serde_json::json!({ "data": place, "events": report.events, "head_position": report.head.position, "head_hash": head });
    let message = format!(
        "imported {} events into {place} (head hash {head}); the chain verified before anything was stored\n",
        report.events
    );
    print(ctx, &summary, |out| out.out.write_all(message.as_bytes()))
}

async fn import_popolo(ctx: &mut Ctx<'_>, file: &Path, actor: Option<&str>) -> anyhow::Result<()> {
    let actor = match (actor, &ctx.location) {
        (Some(_), Location::Server { .. }) => return Err(actor_with_server()),
        // A server records its token's name as the actor.
        (None, Location::Server { .. }) => String::new(),
        (actor, Location::Local(_)) => actor.map_or_else(default_actor, |a| Ok(a.to_owned()))?,
    };
    let summary =
        interop::import_popolo(&ctx.location, &interop::ImportRequest { file, actor }).await?;
    print(ctx, &summary, |out| {
        interop::render_import(&mut *out.out, &summary)
    })
}

/// Copies the whole log from one store to another, empty one, checking the chain; prints
/// what was copied and the head hash, which `sijill stats` and `export` show on both sides.
async fn copy_log(
    from: &str,
    to: &str,
    json: bool,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let source = Place::either(from, "--from")?;
    let destination = Place::either(to, "--to")?;
    if source == destination {
        return Err(Failure::bad_input(format!(
            "--from and --to both name {source}: copy the log to another data folder or registry"
        ))
        .into());
    }
    let reading = source.open_store(Create::No).await?;
    let writing = destination.open_store(Create::IfMissing).await?;
    let report = sijill_store::transfer::copy(reading.as_ref(), writing.as_ref())
        .await
        .with_context(|| format!("copying the log from {source} to {destination}"))?;
    let head = sijill_store::hash_to_hex(&report.head.hash);
    if json {
        let summary = serde_json::json!({ "from": source, "to": destination, "events": report.events, "head_position": report.head.position, "head_hash": head });
        serde_json::to_writer_pretty(&mut *out, &summary)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "copied {} events from {source} to {destination} (head hash {head}); the chain verified",
        report.events
    )?;
    Ok(())
}

/// JSON with `--json`, text otherwise.
fn print<T: Serialize>(
    ctx: &mut Ctx<'_>,
    value: &T,
    text: impl FnOnce(&mut Out<'_>) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    if ctx.json {
        return json(ctx, value);
    }
    Ok(text(&mut ctx.out)?)
}

fn json<T: Serialize>(ctx: &mut Ctx<'_>, value: &T) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *ctx.out.out, value)?;
    writeln!(ctx.out.out)?;
    Ok(())
}
