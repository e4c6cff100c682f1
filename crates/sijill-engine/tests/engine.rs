//! The engine's behaviour, given a log, when callers submit and read, then what they see.
//! Runs on the memory store, and on sled in a temporary folder where durability matters.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use sijill_domain::{Command, EntityRef};
use sijill_engine::query::{Audit, Data, Query};
use sijill_engine::{Engine, EngineError, EngineOptions, Follow, Receipt, Submission};
use sijill_store::{CommandId, EventStore, MemoryStore, SledStore};

const WAIT: Duration = Duration::from_secs(10);

fn commands(json: &str) -> Vec<Command> {
    serde_json::from_str(json).expect("test commands are valid JSON")
}

fn submission(json: &str, command_id: Option<&str>) -> Submission {
    Submission {
        commands: commands(json),
        command_id: command_id.map(|id| CommandId::new(id).expect("valid test command id")),
        actor: "registrar".to_owned(),
        source: Some("minutes of the founding assembly".to_owned()),
    }
}

fn reference(text: &str) -> EntityRef {
    EntityRef::parse(text).expect("valid test reference")
}

const FOUNDING: &str = r#"[
  {"command": "found_body", "handle": "@khemisset", "name": "Khemisset coordination", "kind": "provincial-coordination", "founded_on": "2016-12-11"},
  {"command": "establish_post", "handle": "@coordinator", "body": "@khemisset", "title": "Coordinator", "seats": 1},
  {"command": "register_person", "handle": "@achraf", "name": "Achraf Chahboun"},
  {"command": "start_mandate", "person": "@achraf", "post": "@coordinator", "from": "2016-12-11", "basis": "elected_unanimously"}
]"#;

async fn memory_engine() -> (Engine, Arc<dyn EventStore>) {
    let store: Arc<dyn EventStore> = Arc::new(MemoryStore::new());
    let engine = Engine::open(Arc::clone(&store), EngineOptions::default())
        .await
        .expect("opens");
    (engine, store)
}

fn roster_handles(data: &Data) -> Vec<String> {
    let Data::Roster(roster) = data else {
        panic!("expected a roster, got {data:?}")
    };
    roster
        .entries
        .iter()
        .map(|e| {
            e.mandate
                .person
                .handle
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default()
        })
        .collect()
}

fn roster(body: &str, as_recorded_at: Option<u64>) -> Query {
    Query::Roster {
        body: reference(body),
        as_of: None,
        as_recorded_at,
    }
}

#[tokio::test]
async fn a_submitted_batch_is_readable_at_its_receipt_position() {
    // Given an empty registry, when the founding batch is submitted,
    let (engine, _) = memory_engine().await;
    let receipt = engine
        .submit(submission(FOUNDING, Some("founding")))
        .await
        .expect("recorded");
    // then it lands at positions 1..=4, creating four entities,
    assert_eq!(
        (
            receipt.first,
            receipt.last,
            receipt.position,
            receipt.deduplicated
        ),
        (1, 4, 4, false)
    );
    assert_eq!(receipt.created.len(), 4);
    // and the roster read right after shows the coordinator.
    assert_eq!(engine.snapshot().position, 4);
    let answer = engine
        .query(&roster("@khemisset", None))
        .await
        .expect("answers");
    assert_eq!(answer.position, 4);
    assert_eq!(roster_handles(&answer.data), ["@achraf"]);
}

#[tokio::test]
async fn a_batch_with_one_bad_command_records_nothing() {
    // Given an empty registry, when a batch's third command names an unknown post,
    let (engine, store) = memory_engine().await;
    let bad = r#"[
      {"command": "register_person", "handle": "@a", "name": "A"},
      {"command": "register_person", "handle": "@b", "name": "B"},
      {"command": "start_mandate", "person": "@a", "post": "@nowhere", "from": "2017", "basis": "co_opted"}
    ]"#;
    let error = engine
        .submit(submission(bad, None))
        .await
        .expect_err("refused");
    // then the error names the command by index, and the log and state are unchanged.
    let EngineError::Rejected {
        index,
        command,
        ref error,
    } = error
    else {
        panic!("expected a rejection, got {error:?}")
    };
    assert_eq!(
        (index, command, error.code()),
        (2, "start_mandate", "not_found")
    );
    assert!(error.to_string().contains("@nowhere"), "{error}");
    assert_eq!(store.head().await.expect("head").position, 0);
    assert_eq!(engine.snapshot().position, 0);
}

#[tokio::test]
async fn a_retry_with_the_same_command_id_returns_the_first_receipt() {
    // Given a recorded batch,
    let (engine, store) = memory_engine().await;
    let first = engine
        .submit(submission(FOUNDING, Some("assembly-2016-12-11")))
        .await
        .expect("recorded");
    // when it is sent again with the same command id (to this engine, and to a new one),
    let again = engine
        .submit(submission(FOUNDING, Some("assembly-2016-12-11")))
        .await
        .expect("answered");
    let reopened = Engine::open(Arc::clone(&store), EngineOptions::default())
        .await
        .expect("reopens");
    let later = reopened
        .submit(submission(FOUNDING, Some("assembly-2016-12-11")))
        .await
        .expect("answered");
    // then both answers are the first receipt, marked deduplicated, and nothing is appended.
    let expected = Receipt {
        deduplicated: true,
        ..first.clone()
    };
    assert_eq!(again, expected);
    assert_eq!(later, expected);
    assert_eq!(store.head().await.expect("head").position, 4);
}

#[tokio::test]
async fn a_retry_that_would_be_accepted_again_is_still_answered_with_the_first_receipt() {
    // Given a recorded batch that, decided again, would be accepted again (two corrections
    // that end where they started),
    let (engine, store) = memory_engine().await;
    engine
        .submit(submission(FOUNDING, None))
        .await
        .expect("recorded");
    let there_and_back = r#"[
      {"command": "correct_name", "entity": "@achraf", "name": {"text": "Achraf Chahbun"}},
      {"command": "correct_name", "entity": "@achraf", "name": {"text": "Achraf Chahboun"}}
    ]"#;
    let first = engine
        .submit(submission(there_and_back, Some("typo-round-trip")))
        .await
        .expect("recorded");
    assert_eq!((first.first, first.last), (5, 6));
    // when it is sent again with the same command id,
    let again = engine
        .submit(submission(there_and_back, Some("typo-round-trip")))
        .await
        .expect("answered");
    // then the store deduplicates it: the answer is the first receipt and nothing is appended.
    assert_eq!(
        again,
        Receipt {
            deduplicated: true,
            ..first
        }
    );
    assert_eq!(store.head().await.expect("head").position, 6);
    assert_eq!(engine.snapshot().position, 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_submitters_are_each_acknowledged_once_without_gaps() {
    // Given an empty registry, when 64 tasks submit 8 batches each, concurrently,
    let (engine, store) = memory_engine().await;
    let tasks: Vec<_> = (0..64)
        .map(|task| {
            let engine = engine.clone();
            tokio::spawn(async move {
                let mut receipts = Vec::new();
                for n in 0..8 {
                    let json = format!(r#"[{{"command": "register_person", "handle": "@p-{task}-{n}", "name": "P {task} {n}"}}]"#);
                    receipts.push(engine.submit(submission(&json, Some(&format!("c-{task}-{n}")))).await.expect("recorded"));
                }
                receipts
            })
        })
        .collect();
    let mut positions = BTreeSet::new();
    for task in tasks {
        for receipt in task.await.expect("task ends") {
            assert!(!receipt.deduplicated);
            assert!(
                positions.insert(receipt.first),
                "position {} acknowledged twice",
                receipt.first
            );
        }
    }
    // then the 512 receipts cover positions 1..=512 exactly, and the state holds them all.
    assert_eq!(positions, (1..=512).collect::<BTreeSet<u64>>());
    assert_eq!(store.head().await.expect("head").position, 512);
    assert_eq!(engine.snapshot().registry.counts()[1], 512);
}

#[tokio::test]
async fn as_recorded_before_a_correction_shows_the_old_answer() {
    // Given a person recorded under a misspelt name, then corrected,
    let (engine, _) = memory_engine().await;
    engine
        .submit(submission(FOUNDING, None))
        .await
        .expect("recorded");
    let fix = r#"[{"command": "correct_name", "entity": "@achraf", "name": "Achraf Chahbounne"}]"#;
    let correction = engine
        .submit(submission(fix, None))
        .await
        .expect("recorded");
    // when the person is asked for now and as recorded before the correction,
    let person = |as_recorded_at| Query::Person {
        person: reference("@achraf"),
        as_of: None,
        as_recorded_at,
    };
    let name = |data: &Data| match data {
        Data::Person(p) => p
            .person
            .name
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        other => panic!("expected a person, got {other:?}"),
    };
    let now = engine.query(&person(None)).await.expect("answers");
    let before = engine
        .query(&person(Some(correction.first - 1)))
        .await
        .expect("answers");
    // then today's answer has the corrected name and the earlier one the old name,
    assert_eq!(name(&now.data), "Achraf Chahbounne");
    assert_eq!((before.position, before.as_recorded_at), (4, Some(4)));
    assert_eq!(name(&before.data), "Achraf Chahboun");
    // and the person's history marks the correction.
    let Data::History(history) = engine
        .query(&Query::History {
            entity: reference("@achraf"),
            from: 1,
            limit: None,
            as_of: None,
            as_recorded_at: None,
        })
        .await
        .expect("answers")
        .data
    else {
        panic!("expected a history")
    };
    let marks: Vec<_> = history
        .entries
        .iter()
        .map(|e| (e.position, e.event_type.as_str(), e.corrects.as_deref()))
        .collect();
    assert_eq!(
        marks,
        [
            (3, "person_registered", None),
            (4, "mandate_started", None),
            (5, "name_corrected", Some("name"))
        ]
    );
}

#[tokio::test]
async fn a_retraction_is_marked_in_history_and_undone_in_the_state() {
    // Given the founding batch, when the mandate (position 4) is retracted,
    let (engine, _) = memory_engine().await;
    engine
        .submit(submission(FOUNDING, None))
        .await
        .expect("recorded");
    let retract =
        r#"[{"command": "retract_event", "position": 4, "reason": "recorded on the wrong post"}]"#;
    engine
        .submit(submission(retract, None))
        .await
        .expect("recorded");
    // then the roster is empty now, but not as recorded at 4,
    assert_eq!(
        roster_handles(
            &engine
                .query(&roster("@khemisset", None))
                .await
                .expect("answers")
                .data
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        roster_handles(
            &engine
                .query(&roster("@khemisset", Some(4)))
                .await
                .expect("answers")
                .data
        ),
        ["@achraf"]
    );
    // and the audit trail of the person shows the retraction, linked both ways.
    let snapshot = engine.snapshot();
    let achraf = snapshot
        .registry
        .resolve(&reference("@achraf"))
        .expect("exists");
    let history = engine
        .history(achraf, &snapshot, 1, 100)
        .await
        .expect("reads");
    let links: Vec<_> = history
        .iter()
        .map(|e| (e.position, e.retracted_by, e.retracts))
        .collect();
    assert_eq!(
        links,
        [(3, None, None), (4, Some(5), None), (5, None, Some(4))]
    );
}

#[tokio::test]
async fn audit_of_a_mandate_shows_its_basis_and_provenance() {
    let (engine, _) = memory_engine().await;
    let receipt = engine
        .submit(submission(FOUNDING, Some("founding")))
        .await
        .expect("recorded");
    let mandate = receipt.created[3];
    let query = Query::Audit {
        entity: EntityRef::from(mandate),
        as_of: None,
        as_recorded_at: None,
    };
    let Data::Audit(Audit::Mandate(audit)) = engine.query(&query).await.expect("answers").data
    else {
        panic!("expected a mandate audit")
    };
    assert_eq!(audit.mandate.basis.as_str(), "elected_unanimously");
    let provenance: Vec<_> = audit
        .provenance
        .iter()
        .map(|e| {
            (
                e.position,
                e.actor.as_str(),
                e.command_id.as_str(),
                e.source.as_deref(),
                e.hash.len(),
            )
        })
        .collect();
    assert_eq!(
        provenance,
        [(
            4,
            "registrar",
            "founding",
            Some("minutes of the founding assembly"),
            64
        )]
    );
    assert!(audit.provenance_complete);
}

#[tokio::test]
async fn unknown_handles_and_bad_pages_are_user_errors_that_say_what_to_do() {
    let (engine, _) = memory_engine().await;
    let missing = engine
        .query(&roster("@nobody", None))
        .await
        .expect_err("not found");
    assert!(missing.is_user_error());
    assert_eq!(
        missing.to_string(),
        "no entity `@nobody` in the registry: check the handle or id; find valid handles with `sijill search TEXT`"
    );
    let page = Query::Persons {
        as_of: None,
        as_recorded_at: None,
        offset: 0,
        limit: Some(5_000),
    };
    let too_big = engine.query(&page).await.expect_err("refused");
    assert_eq!(
        too_big.to_string(),
        "a page holds 1 to 1000 items, not 5000: ask for more pages with `offset`"
    );
    let future = engine.as_recorded_at(9).await.expect_err("refused");
    assert_eq!(future.code(), "bad_request");
}

#[tokio::test]
async fn answers_round_trip_through_json() {
    // A remote client deserializes the server's JSON into the same types.
    let (engine, _) = memory_engine().await;
    engine
        .submit(submission(FOUNDING, None))
        .await
        .expect("recorded");
    let queries = [
        roster("@khemisset", None),
        Query::Tree {
            as_of: None,
            as_recorded_at: None,
        },
        Query::Person {
            person: reference("@achraf"),
            as_of: None,
            as_recorded_at: Some(3),
        },
        Query::Log {
            from: 1,
            limit: Some(2),
            as_of: None,
            as_recorded_at: None,
        },
        Query::Stats {
            as_of: None,
            as_recorded_at: None,
        },
        Query::Search {
            text: "chahboun achraf".to_owned(),
            limit: None,
            as_of: None,
            as_recorded_at: None,
        },
    ];
    for query in queries {
        let wire = serde_json::to_string(&query).expect("serializes");
        assert_eq!(
            serde_json::from_str::<Query>(&wire).expect("query deserializes"),
            query
        );
        let answer = engine.query(&query).await.expect("answers");
        let json = serde_json::to_string(&answer).expect("serializes");
        let back: sijill_engine::query::Answer =
            serde_json::from_str(&json).expect("answer deserializes");
        assert_eq!(back, answer, "{json}");
    }
}

#[tokio::test]
async fn a_second_engine_follows_the_first_and_decides_against_the_latest_state() {
    // Given two engines on one log, the second following it and a third not following,
    let store: Arc<dyn EventStore> = Arc::new(MemoryStore::new());
    let first = Engine::open(Arc::clone(&store), EngineOptions::default())
        .await
        .expect("opens");
    let following = EngineOptions {
        follow: Follow::On,
        ..EngineOptions::default()
    };
    let second = Engine::open(Arc::clone(&store), following)
        .await
        .expect("opens");
    let third = Engine::open(Arc::clone(&store), EngineOptions::default())
        .await
        .expect("opens");
    // when the first records the founding batch,
    let receipt = first
        .submit(submission(FOUNDING, None))
        .await
        .expect("recorded");
    // then the second serves it once it has caught up to the receipt's position,
    let seen = second
        .wait_for(receipt.position, WAIT)
        .await
        .expect("follows");
    assert!(seen.registry.resolve(&reference("@achraf")).is_some());
    // and the third, still at position 0, appends after catching up on the conflict,
    assert_eq!(third.snapshot().position, 0);
    let zed = r#"[{"command": "register_person", "handle": "@zed", "name": "Zed"}]"#;
    let after_conflict = third
        .submit(submission(zed, None))
        .await
        .expect("recorded after catching up");
    assert_eq!((after_conflict.first, after_conflict.position), (5, 5));
    // and decides against the latest state: the mandate it ends exists, a taken handle is refused.
    let elect = r#"[
      {"command": "register_person", "handle": "@karim", "name": "Karim Taj"},
      {"command": "end_mandate", "mandate": "MANDATE", "on": "2018-01-01", "reason": "resigned"},
      {"command": "start_mandate", "person": "@karim", "post": "@coordinator", "from": "2018-01-01", "basis": "co_opted"}
    ]"#
    .replace("MANDATE", &receipt.created[3].as_uuid().to_string());
    let elected = third
        .submit(submission(&elect, None))
        .await
        .expect("recorded");
    assert_eq!((elected.first, elected.last), (6, 8));
    let taken = r#"[{"command": "register_person", "handle": "@achraf", "name": "Someone else"}]"#;
    let refused = third
        .submit(submission(taken, None))
        .await
        .expect_err("refused");
    assert_eq!(refused.code(), "handle_taken");
    // and the followers converge on the same state.
    let converged = second.wait_for(8, WAIT).await.expect("follows");
    assert_eq!(
        converged.registry.counts(),
        third.snapshot().registry.counts()
    );
    second.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_under_load_loses_no_acknowledged_submission() {
    // Given an engine on sled with 16 tasks submitting as fast as they can,
    let folder = tempfile::tempdir().expect("temp folder");
    let store: Arc<dyn EventStore> = Arc::new(SledStore::open(folder.path()).expect("opens"));
    let engine = Engine::open(store, EngineOptions::default())
        .await
        .expect("opens");
    let tasks: Vec<_> = (0..16)
        .map(|task| {
            let engine = engine.clone();
            tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                for n in 0.. {
                    let json = format!(r#"[{{"command": "register_person", "handle": "@p-{task}-{n}", "name": "P"}}]"#);
                    match engine.submit(submission(&json, Some(&format!("c-{task}-{n}")))).await {
                        Ok(receipt) => acknowledged.push(receipt),
                        Err(EngineError::ShuttingDown) => break,
                        Err(other) => panic!("unexpected error under load: {other}"),
                    }
                }
                acknowledged
            })
        })
        .collect();
    // when the engine shuts down while they are submitting,
    engine.wait_for(200, WAIT).await.expect("load is running");
    engine.shutdown().await;
    let mut acknowledged = Vec::new();
    for task in tasks {
        acknowledged.extend(task.await.expect("task ends"));
    }
    assert!(matches!(
        engine.submit(submission(FOUNDING, None)).await,
        Err(EngineError::ShuttingDown)
    ));
    drop(engine);
    // then, after reopening the data folder, every acknowledged submission is in the log.
    let store: Arc<dyn EventStore> = Arc::new(SledStore::open(folder.path()).expect("reopens"));
    let reopened = Engine::open(Arc::clone(&store), EngineOptions::default())
        .await
        .expect("opens");
    for receipt in &acknowledged {
        let found = store
            .find_command(&receipt.command_id)
            .await
            .expect("reads");
        assert_eq!(
            found.map(|a| (a.first, a.last)),
            Some((receipt.first, receipt.last))
        );
    }
    assert!(reopened.snapshot().position >= acknowledged.len() as u64);
    assert!(acknowledged.len() >= 200);
}

#[tokio::test]
async fn a_reopened_sled_registry_replays_to_the_same_state() {
    let folder = tempfile::tempdir().expect("temp folder");
    let store: Arc<dyn EventStore> = Arc::new(SledStore::open(folder.path()).expect("opens"));
    let engine = Engine::open(store, EngineOptions::default())
        .await
        .expect("opens");
    engine
        .submit(submission(FOUNDING, None))
        .await
        .expect("recorded");
    let before = engine
        .query(&roster("@khemisset", None))
        .await
        .expect("answers");
    engine.shutdown().await;
    drop(engine);
    let progress = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = Arc::clone(&progress);
    let options = EngineOptions {
        progress: Some(Arc::new(move |done, total| {
            seen.lock().expect("not poisoned").push((done, total))
        })),
        ..EngineOptions::default()
    };
    let store: Arc<dyn EventStore> = Arc::new(SledStore::open(folder.path()).expect("reopens"));
    let reopened = Engine::open(store, options).await.expect("opens");
    let after = reopened
        .query(&roster("@khemisset", None))
        .await
        .expect("answers");
    assert_eq!(after.data, before.data);
    assert_eq!(progress.lock().expect("not poisoned").last(), Some(&(4, 4)));
}

/// A store whose appends are recorded but answered with an error, as when the connection
/// drops after the commit.
struct LostAcknowledgement(MemoryStore);

#[async_trait::async_trait]
impl EventStore for LostAcknowledgement {
    async fn append_group(
        &self,
        batches: Vec<sijill_store::NewBatch>,
        expected_head: u64,
    ) -> Result<Vec<sijill_store::Appended>, sijill_store::AppendError> {
        self.0.append_group(batches, expected_head).await?;
        Err(sijill_store::StoreError::Backend("connection lost after commit".to_owned()).into())
    }
    async fn append_stored(
        &self,
        events: Vec<sijill_store::StoredEvent>,
        expected_head: u64,
    ) -> Result<sijill_store::Head, sijill_store::AppendError> {
        self.0.append_stored(events, expected_head).await
    }
    async fn find_command(
        &self,
        id: &CommandId,
    ) -> Result<Option<sijill_store::Appended>, sijill_store::StoreError> {
        self.0.find_command(id).await
    }
    async fn read(
        &self,
        from: u64,
        limit: usize,
    ) -> Result<Vec<sijill_store::StoredEvent>, sijill_store::StoreError> {
        self.0.read(from, limit).await
    }
    async fn read_tag(
        &self,
        tag: uuid::Uuid,
        from: u64,
        limit: usize,
    ) -> Result<Vec<sijill_store::StoredEvent>, sijill_store::StoreError> {
        self.0.read_tag(tag, from, limit).await
    }
    async fn head(&self) -> Result<sijill_store::Head, sijill_store::StoreError> {
        self.0.head().await
    }
    fn subscribe(
        &self,
        from: u64,
    ) -> futures::stream::BoxStream<
        'static,
        Result<sijill_store::StoredEvent, sijill_store::StoreError>,
    > {
        self.0.subscribe(from)
    }
}

#[tokio::test]
async fn a_store_failure_after_commit_is_resolved_by_command_id() {
    // Given a store that records appends but loses their acknowledgement,
    let store: Arc<dyn EventStore> = Arc::new(LostAcknowledgement(MemoryStore::new()));
    let engine = Engine::open(Arc::clone(&store), EngineOptions::default())
        .await
        .expect("opens");
    // when a batch is submitted,
    let receipt = engine
        .submit(submission(FOUNDING, Some("founding")))
        .await
        .expect("resolved as recorded");
    // then the caller is told it was recorded (not "failed"), and the state includes it.
    assert_eq!(
        (receipt.first, receipt.last, receipt.deduplicated),
        (1, 4, false)
    );
    assert_eq!(engine.snapshot().position, 4);
    assert_eq!(
        roster_handles(
            &engine
                .query(&roster("@khemisset", None))
                .await
                .expect("answers")
                .data
        ),
        ["@achraf"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_submission_leaves_no_trace_among_concurrent_accepted_ones() {
    // Given 32 tasks submitting at once, half of them a batch whose second command fails,
    let (engine, store) = memory_engine().await;
    let tasks: Vec<_> = (0..32)
        .map(|task| {
            let engine = engine.clone();
            tokio::spawn(async move {
                let json = match task % 2 {
                    0 => format!(r#"[{{"command": "register_person", "handle": "@good-{task}", "name": "Good"}}]"#),
                    _ => format!(
                        r#"[{{"command": "register_person", "handle": "@bad-{task}", "name": "Bad"}},
                            {{"command": "retract_event", "position": 999999, "reason": "no such event"}}]"#
                    ),
                };
                engine.submit(submission(&json, None)).await
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(
            task.await
                .expect("task ends")
                .map_err(|e| e.code())
                .map(|r| r.last - r.first + 1),
        );
    }
    // then each good one recorded one event, each bad one was refused, and no bad person exists.
    let expected: Vec<Result<u64, &str>> = (0..32)
        .map(|task| {
            if task % 2 == 0 {
                Ok(1)
            } else {
                Err("no_such_position")
            }
        })
        .collect();
    assert_eq!(outcomes, expected);
    let snapshot = engine.snapshot();
    assert_eq!(
        (
            snapshot.position,
            store.head().await.expect("head").position
        ),
        (16, 16)
    );
    assert_eq!(snapshot.registry.counts()[1], 16);
    assert!((1..32).step_by(2).all(|t| snapshot
        .registry
        .resolve(&reference(&format!("@bad-{t}")))
        .is_none()));
}

#[tokio::test]
async fn the_tree_follows_every_write_and_every_past_position() {
    // The tree is folded from an index kept with each state: it must never answer from an
    // older state's index.
    let (engine, _) = memory_engine().await;
    let tree = |as_recorded_at: Option<u64>| {
        let engine = engine.clone();
        async move {
            let query = Query::Tree {
                as_of: Some("2017".parse().expect("a date")),
                as_recorded_at,
            };
            let Data::Tree(nodes) = engine.query(&query).await.expect("answered").data else {
                panic!("a tree query answers a tree");
            };
            nodes
                .iter()
                .map(|n| {
                    let children: Vec<String> = n
                        .children
                        .iter()
                        .map(|c| c.body.handle.as_ref().expect("a handle").to_string())
                        .collect();
                    format!("{} {children:?}", n.body.handle.as_ref().expect("a handle"))
                })
                .collect::<Vec<_>>()
        }
    };
    assert!(tree(None).await.is_empty());
    engine
        .submit(submission(FOUNDING, None))
        .await
        .expect("recorded");
    assert_eq!(tree(None).await, ["@khemisset []"]);
    let child = r#"[{"command": "found_body", "handle": "@bureau", "name": "Bureau", "kind": "provincial-secretariat", "founded_on": "2016-12-11", "parent": "@khemisset"}]"#;
    engine
        .submit(submission(child, None))
        .await
        .expect("recorded");
    assert_eq!(tree(None).await, ["@khemisset [\"@bureau\"]"]);
    assert_eq!(tree(Some(4)).await, ["@khemisset []"]);
}
