//! Where requests are executed: a local engine over the sled data folder, or a running
//! server (`--server URL --token T`, see [`crate::remote`]). Both implement [`Backend`]: they
//! take the same `Submission`s and `Query`s and return the same typed answers, so rendering
//! cannot tell the two apart.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use sijill_engine::query::{Answer, Query};
use sijill_engine::{Engine, EngineOptions, Progress, Receipt, Submission};
use sijill_store::transfer::{self, TransferReport};
use sijill_store::{EventStore, SledStore};

use crate::exit::Failure;
use crate::progress;
use crate::remote::Remote;

/// Executes requests against one registry.
pub trait Backend {
    async fn submit(&self, submission: Submission) -> anyhow::Result<Receipt>;
    async fn ask(&self, query: &Query) -> anyhow::Result<Answer>;
    /// Writes the log as JSON Lines with its hash chain.
    async fn export(&self, out: &mut (dyn Write + Send)) -> anyhow::Result<TransferReport>;
    /// Stops accepting, finishes what is queued, flushes.
    async fn close(self) -> anyhow::Result<()>;
    /// Whether a server decides who the actor is (its token's name).
    fn is_remote(&self) -> bool {
        false
    }
}

/// Whether opening may create the data folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Create {
    /// `init`, `demo`, `import`: a new folder is made when missing.
    IfMissing,
    /// Everything else: a missing folder is an error (a typo in `--data` must not silently
    /// start a new, empty registry).
    No,
}

/// Where the registry is, as the global flags say.
#[derive(Clone, Debug)]
pub enum Location {
    /// A data folder, opened by an engine in this process.
    Folder(PathBuf),
    /// A running `sijill serve`.
    Server { url: String, token: Option<String> },
}

impl Location {
    /// Opens the registry: replays a local log, or checks that the server answers.
    pub async fn open(&self, create: Create) -> anyhow::Result<Connection> {
        match self {
            Location::Folder(folder) => Ok(Connection::Local(Local::open(folder, create).await?)),
            Location::Server { url, token } => Ok(Connection::Remote(
                Remote::connect(url, token.clone()).await?,
            )),
        }
    }

    /// The data folder, or a refusal naming the operation that needs one.
    pub fn folder(&self, operation: &str) -> anyhow::Result<&Path> {
        match self {
            Location::Folder(folder) => Ok(folder),
            Location::Server { .. } => Err(Failure {
                code: crate::exit::USAGE,
                message: format!(
                    "{operation} works on a data folder, not through --server: run it on the server's machine with --data"
                ),
            }
            .into()),
        }
    }

    /// How to name it to a person: the folder, or the server's URL.
    pub fn describe(&self) -> String {
        match self {
            Location::Folder(folder) => folder.display().to_string(),
            Location::Server { url, .. } => url.clone(),
        }
    }
}

/// An open registry, local or remote.
pub enum Connection {
    Local(Local),
    Remote(Remote),
}

impl Backend for Connection {
    async fn submit(&self, submission: Submission) -> anyhow::Result<Receipt> {
        match self {
            Connection::Local(local) => local.submit(submission).await,
            Connection::Remote(remote) => remote.submit(submission).await,
        }
    }

    async fn ask(&self, query: &Query) -> anyhow::Result<Answer> {
        match self {
            Connection::Local(local) => local.ask(query).await,
            Connection::Remote(remote) => remote.ask(query).await,
        }
    }

    async fn export(&self, out: &mut (dyn Write + Send)) -> anyhow::Result<TransferReport> {
        match self {
            Connection::Local(local) => local.export(out).await,
            Connection::Remote(remote) => remote.export(out).await,
        }
    }

    async fn close(self) -> anyhow::Result<()> {
        match self {
            Connection::Local(local) => local.close().await,
            Connection::Remote(remote) => remote.close().await,
        }
    }

    fn is_remote(&self) -> bool {
        matches!(self, Connection::Remote(_))
    }
}

/// A registry in a local data folder, served by an engine in this process.
pub struct Local {
    engine: Engine,
}

impl Local {
    /// Opens the sled store in `folder` and replays its log (with a progress bar on a
    /// terminal).
    pub async fn open(folder: &Path, create: Create) -> anyhow::Result<Local> {
        let store = open_store(folder, create).await?;
        let bar = progress::Bar::new("replaying the log", "events");
        let options = EngineOptions {
            progress: Some(replay_progress(&bar)),
            ..EngineOptions::default()
        };
        let engine = Engine::open(store, options)
            .await
            .with_context(|| format!("opening the registry in {}", folder.display()))?;
        bar.finish();
        Ok(Local { engine })
    }
}

impl Local {
    /// The engine, for serving it over HTTP.
    pub fn engine(&self) -> Engine {
        self.engine.clone()
    }
}

fn replay_progress(bar: &progress::Bar) -> Progress {
    let bar = bar.clone();
    Arc::new(move |done, total| bar.set(done, total))
}

/// Opens (or, with `Create::IfMissing`, creates) the sled store in `folder`.
pub async fn open_store(folder: &Path, create: Create) -> anyhow::Result<Arc<dyn EventStore>> {
    if create == Create::No && !folder.exists() {
        return Err(Failure::data_folder(format!(
            "no registry in {}: create one with `sijill init` (or `sijill demo`), or point --data or SIJILL_DATA at an existing one",
            folder.display()
        ))
        .into());
    }
    let path: PathBuf = folder.to_path_buf();
    // Opening blocks on disk IO (and on sled's recovery), so it runs off the async workers.
    let store = tokio::task::spawn_blocking(move || SledStore::open(path))
        .await
        .context("opening the data folder")??;
    Ok(Arc::new(store))
}

impl Backend for Local {
    async fn submit(&self, submission: Submission) -> anyhow::Result<Receipt> {
        Ok(self.engine.submit(submission).await?)
    }

    async fn ask(&self, query: &Query) -> anyhow::Result<Answer> {
        Ok(self.engine.query(query).await?)
    }

    async fn export(&self, out: &mut (dyn Write + Send)) -> anyhow::Result<TransferReport> {
        let total = self.engine.snapshot().position;
        let bar = progress::Bar::new("exporting", "events");
        let counted = progress::CountLines::new(out, bar.clone(), total);
        let report = transfer::export(self.engine.store().as_ref(), counted).await?;
        bar.finish();
        Ok(report)
    }

    async fn close(self) -> anyhow::Result<()> {
        self.engine.shutdown().await;
        Ok(())
    }
}

/// Imports an export file into a new, empty data folder, checking the whole chain before
/// storing anything.
pub async fn import(folder: &Path, file: &Path) -> anyhow::Result<TransferReport> {
    if !file.is_file() {
        return Err(Failure::bad_input(format!(
            "cannot read export file {}: no such file",
            file.display()
        ))
        .into());
    }
    let store = open_store(folder, Create::IfMissing).await?;
    let head = store.head().await?.position;
    if head != 0 {
        return Err(transfer::TransferError::NotEmpty { head }.into());
    }
    let bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    let bar = progress::Bar::new("importing", "bytes");
    let verified = {
        let input = progress::CountBytes::open(file, bar.clone(), bytes)?;
        transfer::verify_export(input)?
    };
    let input = progress::CountBytes::open(file, bar.clone(), bytes)?;
    let report = transfer::import(store.as_ref(), input).await?;
    bar.finish();
    debug_assert_eq!(verified.events, report.events);
    Ok(report)
}
