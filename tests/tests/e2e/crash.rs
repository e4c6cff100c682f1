//! Crash safety of the sled log: a writer process is killed with SIGKILL at random moments;
//! after each kill, every batch it acknowledged must be in the log, nothing may lie past the
//! head half-written, and the whole chain must verify.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rand::Rng;
use sijill_store::{EventStore, SledStore};

/// Kills per run (the issue asks for at least 20).
const KILLS: u32 = 24;
/// The writer runs this long, at most, before it is killed: it covers the process start,
/// sled's recovery on open, and a few hundred acknowledged batches.
const RUN_MS_MAX: u64 = 400;

/// One acknowledged batch, as the writer printed it.
#[derive(Debug)]
struct Acked {
    first: u64,
    last: u64,
    command_id: String,
}

#[test]
fn acknowledged_batches_survive_sigkill() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("data");
    let mut rng = rand::thread_rng();
    let mut acked_total = 0;
    for round in 0..KILLS {
        // Given a writer appending to the folder, when it is killed at a random moment,
        let run_ms = rng.gen_range(10..RUN_MS_MAX);
        let acked = run_and_kill(&folder, round, Duration::from_millis(run_ms));
        acked_total += acked.len();
        // then the reopened log holds every acknowledged batch and verifies.
        runtime.block_on(check_after_crash(&folder, &acked, round, run_ms));
    }
    assert!(
        acked_total > 0,
        "the writer never acknowledged a batch in {KILLS} runs"
    );
}

fn run_and_kill(folder: &Path, seed: u32, run_for: Duration) -> Vec<Acked> {
    let mut child: Child = Command::new(env!("CARGO_BIN_EXE_crash_writer"))
        .arg(folder)
        .arg(seed.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start crash_writer");
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || read_acks(stdout));
    std::thread::sleep(run_for);
    let exited_by_itself = child.try_wait().unwrap();
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    if let Some(status) = exited_by_itself {
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
        panic!("crash_writer exited by itself ({status}) in round {seed}: {stderr}");
    }
    assert!(!status.success());
    reader.join().unwrap()
}

/// Parses complete lines only: a kill can cut the last line short.
fn read_acks(stdout: std::process::ChildStdout) -> Vec<Acked> {
    let mut acks = Vec::new();
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    while reader.read_line(&mut line).unwrap_or(0) > 0 {
        if let Some(complete) = line.strip_suffix('\n') {
            let parts: Vec<&str> = complete.split(' ').collect();
            if let [first, last, command_id] = parts[..] {
                acks.push(Acked {
                    first: first.parse().unwrap(),
                    last: last.parse().unwrap(),
                    command_id: command_id.to_string(),
                });
            }
        }
        line.clear();
    }
    acks
}

async fn check_after_crash(folder: &Path, acked: &[Acked], round: u32, run_ms: u64) {
    let context = format!(
        "round {round} (killed after {run_ms} ms, {} batches acknowledged)",
        acked.len()
    );
    let store = SledStore::open(folder).unwrap_or_else(|e| panic!("{context}: reopen failed: {e}"));
    let head = store.head().await.unwrap().position;
    for batch in acked {
        assert!(
            batch.last <= head,
            "{context}: acknowledged {batch:?} is past the head {head}"
        );
        let events = store
            .read(batch.first, (batch.last - batch.first + 1) as usize)
            .await
            .unwrap();
        let ids: Vec<&str> = events.iter().map(|e| e.command_id().as_str()).collect();
        assert!(
            ids.iter().all(|id| *id == batch.command_id),
            "{context}: {batch:?} holds {ids:?}"
        );
    }
    let report = store.verify(1, None).await.unwrap();
    assert!(
        report.is_ok(),
        "{context}: chain does not verify: {:?}",
        report.first_bad
    );
    assert_eq!(report.checked, head, "{context}");
    let indexes = store.check_indexes().await.unwrap();
    assert_eq!(indexes.first_problem, None, "{context}: {indexes:?}");
    eprintln!("{context}: head {head}, verified");
}
