//! Where requests are executed: a local engine over the registry's store (a sled data folder
//! or PostgreSQL, see `place.rs`), or a running server (`--server URL --token T`, see
//! [`crate::remote`]). Both implement [`Backend`]: they
//! take the same `Submission`s and `Query`s and return the same typed answers, so rendering
//! cannot tell the two apart.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use sijill_engine::query::{Answer, Query};
use sijill_engine::{
    CheckpointOptions, Engine, EngineOptions, Follow, Progress, Receipt, Submission,
};
use sijill_store::transfer::{self, TransferReport};

use crate::exit::Failure;
use crate::place::Place;
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

/// Whether opening may create the data folder (or the registry in PostgreSQL).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Create {
    /// `init`, `demo`, `import`, `copy-log`'s destination: a new one is made when missing.
    IfMissing,
    /// Everything else: a missing one is an error (a typo in `--data` must not silently
    /// start a new, empty registry).
    No,
}

/// Where the registry is, as the global flags say.
#[derive(Clone, Debug)]
pub enum Location {
    /// A data folder or a PostgreSQL registry, opened by an engine in this process.
    Local(Place),
    /// A running `sijill serve`.
    Server { url: String, token: Option<String> },
}

impl Location {
    /// Opens the registry: replays a local log, or checks that the server answers.
    pub async fn open(&self, create: Create) -> anyhow::Result<Connection> {
        match self {
            Location::Local(place) => Ok(Connection::Local(Local::open(place, create).await?)),
            Location::Server { url, token } => {
                Ok(Connection::Remote(Remote::connect(url, token.clone())?))
            }
        }
    }

    /// The store this process opens, or a refusal naming the operation that needs one.
    pub fn place(&self, operation: &str) -> anyhow::Result<&Place> {
        match self {
            Location::Local(place) => Ok(place),
            Location::Server { .. } => Err(Failure {
                code: crate::exit::USAGE,
                message: format!(
                    "{operation} works on the registry's store, not through --server: run it on the server's machine with --data or --store"
                ),
            }
            .into()),
        }
    }

    /// How to name it to a person: the folder, the database (without a password), or the
    /// server's URL.
    pub fn describe(&self) -> String {
        match self {
            Location::Local(place) => place.to_string(),
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

/// A registry in a local data folder or in PostgreSQL, served by an engine in this process.
pub struct Local {
    engine: Engine,
}

impl Local {
    /// Opens the registry's store and replays its log (with a progress bar on a terminal).
    pub async fn open(place: &Place, create: Create) -> anyhow::Result<Local> {
        let store = place.open_store(create).await?;
        let bar = progress::Bar::new("replaying the log", "events");
        let options = EngineOptions {
            progress: Some(replay_progress(&bar)),
            // Other servers may append to a PostgreSQL registry: follow them, so reads see
            // their writes and this writer decides against the latest state.
            follow: if place.is_shared() {
                Follow::On
            } else {
                Follow::Off
            },
            checkpoints: place.checkpoint_folder().map(CheckpointOptions::in_folder),
            ..EngineOptions::default()
        };
        let engine = Engine::open(store, options)
            .await
            .with_context(|| format!("opening the registry in {place}"))?;
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

/// Imports an export file into a new, empty registry, checking the whole chain before
/// storing anything.
pub async fn import(place: &Place, file: &Path) -> anyhow::Result<TransferReport> {
    if !file.is_file() {
        return Err(Failure::bad_input(format!(
            "cannot read export file {}: no such file",
            file.display()
        ))
        .into());
    }
    let store = place.open_store(Create::IfMissing).await?;
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
