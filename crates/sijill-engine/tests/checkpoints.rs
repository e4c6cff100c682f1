//! Checkpoints: an engine saves the registry to a file and the next open starts from it,
//! replaying only the events after it; a checkpoint that is damaged, of another log, or past
//! the log's end is skipped and the log replayed, so the state is always the log's.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use sijill_domain::{Command, Registry};
use sijill_engine::{CheckpointOptions, Engine, EngineOptions, Submission};
use sijill_store::{EventStore, SledStore};

fn people(first: usize, count: usize) -> Submission {
    let commands: Vec<Command> = (first..first + count)
        .map(|n| {
            serde_json::from_str(&format!(
                r#"{{"command": "register_person", "handle": "@person-{n}", "name": "Person {n}"}}"#
            ))
            .expect("a valid command")
        })
        .collect();
    Submission {
        commands,
        command_id: None,
        actor: "registrar".to_owned(),
        source: None,
    }
}

type Replayed = Arc<Mutex<Vec<(u64, u64)>>>;

fn options(checkpoints: &Path, replayed: &Replayed) -> EngineOptions {
    let seen = Arc::clone(replayed);
    EngineOptions {
        checkpoints: Some(CheckpointOptions {
            folder: checkpoints.to_path_buf(),
            every_events: 5,
        }),
        progress: Some(Arc::new(move |done, total| {
            seen.lock().expect("not poisoned").push((done, total))
        })),
        ..EngineOptions::default()
    }
}

/// Opens the registry in `data` with checkpoints in `data/checkpoints`; returns the engine
/// and the (done, total) progress of its replay.
async fn open(data: &Path) -> (Engine, Replayed) {
    let replayed = Replayed::default();
    let store: Arc<dyn EventStore> = Arc::new(SledStore::open(data.join("log")).expect("opens"));
    let engine = Engine::open(store, options(&data.join("checkpoints"), &replayed))
        .await
        .expect("opens");
    (engine, replayed)
}

fn checkpoint_files(data: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data.join("checkpoints"))
        .map(|entries| entries.map(|e| e.expect("an entry").path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

async fn record_and_stop(engine: Engine, first: usize, count: usize) -> Registry {
    engine.submit(people(first, count)).await.expect("recorded");
    let state = (*engine.snapshot().registry).clone();
    engine.shutdown().await;
    state
}

fn last_replay(replayed: &Replayed) -> Option<(u64, u64)> {
    replayed.lock().expect("not poisoned").last().copied()
}

/// Opens `data` again, checks that it holds `recorded` and that the open replayed what
/// `replay` says ((done, total) of the last progress call; `None`: nothing), then stops.
async fn reopens_to(data: &Path, recorded: &Registry, replay: Option<(u64, u64)>, why: &str) {
    let (engine, replayed) = open(data).await;
    assert!(
        *engine.snapshot().registry == *recorded,
        "{why}: another state"
    );
    assert_eq!(last_replay(&replayed), replay, "{why}");
    engine.shutdown().await;
}

#[tokio::test]
async fn the_next_open_starts_from_the_checkpoint_and_replays_only_the_tail() {
    let data = tempfile::tempdir().expect("a temporary folder");
    let (engine, _) = open(data.path()).await;
    let recorded = record_and_stop(engine, 0, 12).await;
    let files = checkpoint_files(data.path());
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].ends_with("registry-00000000000000000012.checkpoint"));

    let (engine, replayed) = open(data.path()).await;
    assert!(*engine.snapshot().registry == recorded);
    assert_eq!(
        last_replay(&replayed),
        None,
        "nothing past the checkpoint to replay"
    );
    // Three events more: fewer than `every_events`, so no new checkpoint at shutdown.
    let recorded = record_and_stop(engine, 12, 3).await;
    assert_eq!(checkpoint_files(data.path()).len(), 1);

    reopens_to(
        data.path(),
        &recorded,
        Some((3, 3)),
        "only the tail is replayed",
    )
    .await;
}

#[tokio::test]
async fn only_the_newest_checkpoints_are_kept() {
    let data = tempfile::tempdir().expect("a temporary folder");
    for round in 0..4 {
        let (engine, _) = open(data.path()).await;
        record_and_stop(engine, round * 10, 10).await;
    }
    let names: Vec<String> = checkpoint_files(data.path())
        .iter()
        .map(|f| {
            f.file_name()
                .expect("a name")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(
        names,
        [
            "registry-00000000000000000030.checkpoint",
            "registry-00000000000000000040.checkpoint"
        ]
    );
}

#[tokio::test]
async fn a_damaged_checkpoint_is_skipped_for_the_one_before_it() {
    let data = tempfile::tempdir().expect("a temporary folder");
    let (engine, _) = open(data.path()).await;
    record_and_stop(engine, 0, 10).await;
    let (engine, _) = open(data.path()).await;
    let recorded = record_and_stop(engine, 10, 10).await;
    let files = checkpoint_files(data.path());
    assert_eq!(files.len(), 2);

    // Damage one byte of the newest one's payload.
    let mut bytes = std::fs::read(&files[1]).expect("reads");
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(&files[1], &bytes).expect("writes");
    reopens_to(
        data.path(),
        &recorded,
        Some((10, 10)),
        "replayed from the older one",
    )
    .await;

    // Cut both short, as a crash during a copy might: the whole log is replayed.
    for file in checkpoint_files(data.path()) {
        let bytes = std::fs::read(&file).expect("reads");
        std::fs::write(&file, &bytes[..bytes.len() / 2]).expect("writes");
    }
    reopens_to(
        data.path(),
        &recorded,
        Some((20, 20)),
        "replayed from the start",
    )
    .await;
}

#[tokio::test]
async fn a_checkpoint_of_another_log_is_never_used() {
    let ours = tempfile::tempdir().expect("a temporary folder");
    let theirs = tempfile::tempdir().expect("a temporary folder");
    let (engine, _) = open(ours.path()).await;
    let recorded = record_and_stop(engine, 0, 20).await;
    // Their log has other people at the same positions, and is longer.
    let (engine, _) = open(theirs.path()).await;
    record_and_stop(engine, 100, 20).await;
    let (engine, _) = open(theirs.path()).await;
    record_and_stop(engine, 200, 20).await;
    for file in checkpoint_files(ours.path()) {
        std::fs::remove_file(file).expect("removes");
    }
    for file in checkpoint_files(theirs.path()) {
        let name = file.file_name().expect("a name");
        std::fs::copy(&file, ours.path().join("checkpoints").join(name)).expect("copies");
    }
    // Theirs at 20 has the wrong event hash; theirs at 40 is past our log's end.
    reopens_to(
        ours.path(),
        &recorded,
        Some((20, 20)),
        "replayed from the start",
    )
    .await;
}
