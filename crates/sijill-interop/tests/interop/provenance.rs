use sijill_domain::{decide_batch, Context, Registry, SequentialIds};
use sijill_interop::Provenance;
use sijill_store::{CommandId, EventStore, MemoryStore, NewBatch, NewEvent};

use crate::support::{example_batches, khemisset, recorded_at, ACTOR};

/// The example recorded into a store as the engine would (one batch per file), and the
/// registry it gives.
async fn example_store() -> (MemoryStore, Registry) {
    let store = MemoryStore::new();
    let mut registry = Registry::new();
    let mut ids = SequentialIds::new();
    for (index, (commands, source)) in example_batches().into_iter().enumerate() {
        let mut ctx = Context::new(recorded_at(index), &mut ids);
        let (events, next) = decide_batch(&registry, &commands, &mut ctx).unwrap();
        let events = events
            .iter()
            .enumerate()
            .map(|(i, event)| NewEvent {
                event_id: uuid::Uuid::from_u128((index as u128) << 32 | i as u128),
                event_type: event.type_name().to_owned(),
                version: event.version(),
                payload: serde_json::to_vec(event).unwrap(),
                tags: event.concerns().iter().map(|id| id.as_uuid()).collect(),
            })
            .collect();
        let batch = NewBatch {
            command_id: CommandId::new(format!("example-{index}")).unwrap(),
            actor: ACTOR.to_owned(),
            source,
            recorded_at: recorded_at(index),
            events,
        };
        store.append(batch, registry.position()).await.unwrap();
        registry = next;
    }
    (store, registry)
}

#[test]
fn provenance_read_from_the_log_is_the_envelopes() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let (store, registry) = runtime.block_on(example_store());
    let read = runtime
        .block_on(Provenance::from_store(&store, &registry))
        .unwrap();
    let expected = khemisset().provenance;
    let ids = registry
        .people()
        .map(|p| p.id.as_uuid())
        .chain(registry.mandates().map(|m| m.id.as_uuid()));
    for id in ids.chain(registry.bodies().map(|b| b.id.as_uuid())) {
        assert_eq!(read.created(id), expected.created(id));
        assert_eq!(
            read.sources(id).collect::<Vec<_>>(),
            expected.sources(id).collect::<Vec<_>>()
        );
    }
    let coordinator = registry
        .by_handle(&"@khemisset-coordinator-chahboun".parse().unwrap())
        .unwrap();
    let created = read.created(coordinator.as_uuid()).unwrap();
    assert_eq!(
        (created.actor, created.recorded_at, created.position),
        (ACTOR, recorded_at(5), 63)
    );
}
