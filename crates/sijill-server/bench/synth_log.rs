//! Loading the synthetic national registry straight into a store, shared by the
//! `bench_server` example and the `web` benchmark (included by both with `#[path]`).

use std::time::Instant;

use sijill_store::codec::new_event;
use sijill_store::{CommandId, EventStore, NewBatch};
use sijill_synth::{decide_all, generate, Scale};
use uuid::Uuid;

/// The seed of every benchmark's synthetic registry.
pub const SEED: u64 = 2016;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Appends the synthetic registry's batches in groups of at most `GROUP_EVENTS_MAX` events.
///
/// An event naming more entities than the store's `EVENT_TAGS_MAX` would be left out (and
/// counted); since the store takes every attendance list the domain allows, none is.
pub async fn load(store: &dyn EventStore, scale: Scale) -> Result<()> {
    let started = Instant::now();
    let decided = decide_all(generate(scale, SEED))?;
    let mut group = Vec::new();
    let mut group_events = 0;
    let mut left_out = 0;
    for (index, batch) in decided.batches.iter().enumerate() {
        let events: Vec<_> = batch
            .events
            .iter()
            .filter(|e| e.concerns().len() <= sijill_store::limits::EVENT_TAGS_MAX)
            .collect();
        left_out += batch.events.len() - events.len();
        if events.is_empty() {
            continue;
        }
        if group_events + events.len() > sijill_store::limits::GROUP_EVENTS_MAX {
            let head = store.head().await?.position;
            store.append_group(std::mem::take(&mut group), head).await?;
            group_events = 0;
        }
        group_events += events.len();
        group.push(NewBatch {
            command_id: CommandId::new(format!("synth-{index}"))?,
            actor: "synth".to_owned(),
            source: None,
            recorded_at: batch.recorded_at,
            events: events
                .iter()
                .map(|e| new_event(e, Uuid::now_v7()))
                .collect(),
        });
    }
    let head = store.head().await?.position;
    store.append_group(group, head).await?;
    eprintln!(
        "stored {} events in {:.1} s ({left_out} left out, over EVENT_TAGS_MAX tags)",
        store.head().await?.position,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
