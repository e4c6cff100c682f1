//! Rounds in flight: the writer decides and commits the next round while the previous one is
//! being made durable, publishes and answers rounds only once durable and in log order, and
//! fails every round built on one that could not be made durable.
//!
//! A gated store (the memory store, whose staged groups become durable only when the test
//! opens their gate) stands in for a disk the test controls.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use futures::stream::BoxStream;
use sijill_domain::Command;
use sijill_engine::{Engine, EngineError, EngineOptions, Receipt, Submission};
use sijill_store::{
    AppendError, Appended, CommandId, EventStore, Head, MemoryStore, NewBatch, StagedGroup,
    StoreError, StoredEvent,
};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const WAIT: Duration = Duration::from_secs(10);

type Gate = oneshot::Sender<Result<(), StoreError>>;

/// The memory store, except that each staged group waits for the test to open its gate
/// before it is durable.
#[derive(Default)]
struct GatedStore {
    inner: MemoryStore,
    gates: Mutex<Vec<Gate>>,
}

impl GatedStore {
    fn staged(&self) -> usize {
        self.gates.lock().expect("not poisoned").len()
    }

    /// Waits until `count` groups have been staged.
    async fn until_staged(&self, count: usize) {
        tokio::time::timeout(WAIT, async {
            while self.staged() < count {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{count} groups were never staged"));
    }

    fn open_gate(&self, index: usize, outcome: Result<(), StoreError>) {
        let gate = std::mem::replace(
            &mut self.gates.lock().expect("not poisoned")[index],
            oneshot::channel().0,
        );
        gate.send(outcome).expect("the writer waits for this gate");
    }
}

#[async_trait]
impl EventStore for GatedStore {
    async fn append_group(
        &self,
        batches: Vec<NewBatch>,
        expected_head: u64,
    ) -> Result<Vec<Appended>, AppendError> {
        self.inner.append_group(batches, expected_head).await
    }

    async fn append_group_staged(
        &self,
        batches: Vec<NewBatch>,
        expected_head: u64,
    ) -> Result<StagedGroup, AppendError> {
        let results = self.inner.append_group(batches, expected_head).await?;
        let (gate, opened) = oneshot::channel();
        self.gates.lock().expect("not poisoned").push(gate);
        Ok(StagedGroup {
            results,
            durable: Box::pin(async move { opened.await.unwrap_or(Err(StoreError::Closed)) }),
        })
    }

    async fn append_stored(
        &self,
        events: Vec<StoredEvent>,
        expected_head: u64,
    ) -> Result<Head, AppendError> {
        self.inner.append_stored(events, expected_head).await
    }

    async fn find_command(&self, id: &CommandId) -> Result<Option<Appended>, StoreError> {
        self.inner.find_command(id).await
    }

    async fn read(&self, from: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        self.inner.read(from, limit).await
    }

    async fn read_tag(
        &self,
        tag: uuid::Uuid,
        from: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.inner.read_tag(tag, from, limit).await
    }

    async fn head(&self) -> Result<Head, StoreError> {
        self.inner.head().await
    }

    fn subscribe(&self, from: u64) -> BoxStream<'static, Result<StoredEvent, StoreError>> {
        self.inner.subscribe(from)
    }
}

fn submission(json: &str) -> Submission {
    let commands: Vec<Command> = serde_json::from_str(json).expect("valid test commands");
    Submission {
        commands,
        command_id: None,
        actor: "registrar".to_owned(),
        source: None,
    }
}

const REGISTER_ACHRAF: &str =
    r#"[{"command": "register_person", "handle": "@achraf", "name": "Achraf Chahbun"}]"#;
/// Only valid once `@achraf` is recorded.
const CORRECT_ACHRAF: &str =
    r#"[{"command": "correct_name", "entity": "@achraf", "name": {"text": "Achraf Chahboun"}}]"#;

async fn gated_engine() -> (Engine, Arc<GatedStore>) {
    let store = Arc::new(GatedStore::default());
    let engine = Engine::open(
        Arc::clone(&store) as Arc<dyn EventStore>,
        EngineOptions::default(),
    )
    .await
    .expect("opens");
    (engine, store)
}

fn submit(engine: &Engine, json: &str) -> Answer {
    let (engine, submission) = (engine.clone(), submission(json));
    tokio::spawn(async move { engine.submit(submission).await })
}

async fn answer(task: Answer) -> Result<Receipt, EngineError> {
    tokio::time::timeout(WAIT, task)
        .await
        .expect("answered in time")
        .expect("the task ends")
}

type Answer = JoinHandle<Result<Receipt, EngineError>>;

/// A registration staged, then a correction of that person staged on top of it.
async fn two_rounds_in_flight() -> (Engine, Arc<GatedStore>, Answer, Answer) {
    let (engine, store) = gated_engine().await;
    let first = submit(&engine, REGISTER_ACHRAF);
    store.until_staged(1).await;
    let second = submit(&engine, CORRECT_ACHRAF);
    store.until_staged(2).await;
    (engine, store, first, second)
}

#[tokio::test]
async fn the_next_round_is_decided_on_one_in_flight_and_rounds_are_answered_once_durable() {
    // Given a registration staged but not durable, when a correction that needs the
    // registered person is submitted, it is decided against the state the first round leads
    // to and staged too, while the first is still in flight;
    let (engine, store, first, second) = two_rounds_in_flight().await;
    // nothing is published or answered before it is durable;
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(engine.snapshot().position, 0);
    assert!(!first.is_finished() && !second.is_finished());
    // once the first is durable, it alone is published and answered,
    store.open_gate(0, Ok(()));
    let receipt = answer(first).await.expect("recorded");
    assert_eq!((receipt.first, receipt.last), (1, 1));
    assert_eq!(
        engine.wait_for(1, WAIT).await.expect("published").position,
        1
    );
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(!second.is_finished());
    assert_eq!(engine.snapshot().position, 1);
    // and then the second.
    store.open_gate(1, Ok(()));
    let receipt = answer(second).await.expect("recorded");
    assert_eq!((receipt.first, receipt.last, receipt.position), (2, 2, 2));
    assert_eq!(engine.snapshot().position, 2);
}

#[tokio::test]
async fn a_round_that_cannot_be_made_durable_fails_with_every_round_built_on_it() {
    // Given two rounds in flight, the second decided on the first,
    let (_engine, store, first, second) = two_rounds_in_flight().await;
    // when the disk fails the first,
    let poisoned = || StoreError::Poisoned {
        reason: "fsync failed".into(),
    };
    store.open_gate(0, Err(poisoned()));
    // both callers are told that the outcome is unknown (it may or may not survive a
    // restart), and why, not "recorded".
    for task in [first, second] {
        match answer(task).await {
            Err(EngineError::OutcomeUnknown { detail, .. }) => {
                assert!(detail.contains("fsync failed"), "{detail}");
                assert_eq!(detail.matches("restart").count(), 1, "{detail}");
            }
            other => panic!("a round that is not durable was answered {other:?}"),
        }
    }
}
