//! A server over the synthetic national registry, for the benchmarks in
//! `docs/performance.md`:
//!
//! ```text
//! cargo run --release -p sijill-server --example bench_server -- DIR [small|medium|full] [ADDR:PORT]
//! ```
//!
//! Builds the synthetic log in the sled folder DIR unless it already holds one (appending it
//! straight to the store, as the engine's benchmark does), then serves it like
//! `sijill serve --demo`: a token per role is printed once.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use sijill_engine::{Engine, EngineOptions};
use sijill_server::{serve, ServeOptions};
use sijill_store::{EventStore, SledStore};
use sijill_synth::Scale;

#[path = "../bench/synth_log.rs"]
mod synth_log;
use synth_log::load;

/// The same allocator as the `sijill` binary, so the figures are those of `sijill serve`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let folder = PathBuf::from(
        args.first()
            .ok_or("usage: bench_server DIR [small|medium|full] [ADDR:PORT]")?,
    );
    let scale = match args.get(1).map(String::as_str) {
        Some("small") => Scale::small(),
        Some("medium") => Scale::medium(),
        Some("full") | None => Scale::full(),
        Some(other) => {
            return Err(format!("scale must be small, medium or full, not {other}").into())
        }
    };
    let listen = args
        .get(2)
        .map_or("127.0.0.1:8080", String::as_str)
        .parse()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let store: Arc<dyn EventStore> = Arc::new(SledStore::open(&folder)?);
        if store.head().await?.position == 0 {
            load(store.as_ref(), scale).await?;
        }
        let started = Instant::now();
        let engine = Engine::open(store, EngineOptions::default()).await?;
        eprintln!(
            "replayed {} events in {:.1} s",
            engine.snapshot().position,
            started.elapsed().as_secs_f64()
        );
        serve(
            engine,
            ServeOptions {
                listen,
                demo: true,
                ..ServeOptions::default()
            },
        )
        .await?;
        Ok(())
    })
}
