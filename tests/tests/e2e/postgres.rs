//! sijill on PostgreSQL as an operator runs it: two `sijill serve --store postgres://...`
//! processes sharing one registry, one of them killed with SIGKILL under load, and the
//! founding example moved from a data folder to PostgreSQL with `copy-log`.
//!
//! Each test creates a database of its own through the admin URL in `SIJILL_TEST_POSTGRES`
//! (`scripts/test` sets it) and drops it at the end. Without that variable, or without a
//! reachable PostgreSQL, every test fails, saying what to do: they are never skipped.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use sijill_tests::{sijill, sijill_with};
use tokio::sync::Mutex;
use tokio_postgres::NoTls;

use crate::server::{
    assert_all_in_log, client, get, person, post, post_until_refused, token_file, whole_log, Server,
};

/// The admin URL, or a failure saying how to get one.
fn admin_url() -> String {
    std::env::var("SIJILL_TEST_POSTGRES").unwrap_or_else(|_| {
        panic!(
            "SIJILL_TEST_POSTGRES is not set: these tests need a real PostgreSQL. Run `bash scripts/test` \
             (it starts one and sets the variable), or set it to an admin URL such as \
             postgres://root@127.0.0.1:5432/postgres"
        )
    })
}

/// A database of its own for one test, dropped (with its connections) when the test ends.
struct TestDb {
    name: String,
    admin: tokio_postgres::Config,
}

impl TestDb {
    async fn create() -> TestDb {
        let url = admin_url();
        let admin: tokio_postgres::Config = url
            .parse()
            .unwrap_or_else(|e| panic!("SIJILL_TEST_POSTGRES={url} is not a PostgreSQL URL: {e}"));
        let (client, connection) = admin.connect(NoTls).await.unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is not reachable at {url} ({e}): start it \
                 (`pg_ctlcluster 15 main start`, or `bash scripts/test`)"
            )
        });
        tokio::spawn(connection);
        let name = format!("sijill_e2e_{:016x}", rand::random::<u64>());
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name} failed: {e}"));
        TestDb { name, admin }
    }

    /// `postgres://USER@HOST:PORT/<this database>?registry=<registry>`.
    fn url(&self, registry: &str) -> String {
        let host = match self.admin.get_hosts().first() {
            Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
            _ => "127.0.0.1".to_string(),
        };
        let port = self.admin.get_ports().first().copied().unwrap_or(5432);
        let user = match (self.admin.get_user(), self.admin.get_password()) {
            (Some(user), Some(password)) => {
                format!("{user}:{}@", String::from_utf8_lossy(password))
            }
            (Some(user), None) => format!("{user}@"),
            _ => String::new(),
        };
        format!(
            "postgres://{user}{host}:{port}/{}?sslmode=disable&registry={registry}",
            self.name
        )
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (name, admin) = (self.name.clone(), self.admin.clone());
        // Drop runs inside the test's runtime, which cannot block on a future.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let (client, connection) = admin.connect(NoTls).await?;
                tokio::spawn(connection);
                client
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
            })
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("could not drop test database {}: {e}", self.name);
        }
    }
}

/// Two servers on registry "default" of a database of their own, sharing a token file.
/// Fields drop in order: the servers stop before their database is dropped.
struct TwoServers {
    a: Server,
    b: Server,
    tokens: PathBuf,
    reader: String,
    registrar: String,
    db: TestDb,
    _dir: tempfile::TempDir,
}

impl TwoServers {
    /// `sijill --store <url> init`, then the two servers.
    async fn start() -> TwoServers {
        let db = TestDb::create().await;
        let dir = tempfile::tempdir().unwrap();
        let (tokens, [reader, registrar, _]) = token_file(dir.path());
        let url = db.url("default");
        sijill_with(&["--store", &url], &["init"]).ok();
        let global = ["--store", url.as_str()];
        let args = ["--tokens", tokens.to_str().unwrap()];
        TwoServers {
            a: Server::start_with(&global, &args),
            b: Server::start_with(&global, &args),
            tokens,
            reader,
            registrar,
            db,
            _dir: dir,
        }
    }
}

/// The log as one server sees it: every position exactly once, gap-free from 1, and every
/// command id once. Returns (position, command id) pairs.
async fn checked_log(url: &str, token: &str) -> BTreeSet<(u64, String)> {
    let log = whole_log(&client(), url, token).await;
    let positions: Vec<u64> = log.iter().map(|(p, _)| *p).collect();
    assert_eq!(
        positions,
        (1..=log.len() as u64).collect::<Vec<_>>(),
        "positions have a gap or a duplicate"
    );
    let ids: BTreeSet<&String> = log.iter().map(|(_, id)| id).collect();
    assert_eq!(ids.len(), log.len(), "a command id was recorded twice");
    log.into_iter().collect()
}

/// Posts a command as a client of several servers should: a 503 (the log kept moving under
/// a busy server, or it was busy) is retried with the same command id, which records it at
/// most once. Returns the final status and body.
async fn post_retrying(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    body: &Value,
) -> (u16, Value) {
    for _ in 0..RETRIES_503_MAX {
        let (status, answer) = post(http, url, Some(token), body).await;
        if status != 503 {
            return (status, answer);
        }
        eprintln!("503 from {url}, retrying with the same command id: {answer}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{url} answered 503 {RETRIES_503_MAX} times in a row to {body}");
}

/// Posts `person(n)` for each n, in order, to `servers[n % servers.len()]`, retrying 503s;
/// returns each n with its receipt, failing unless each was recorded (201).
async fn post_people(
    servers: Vec<String>,
    token: String,
    numbers: std::ops::Range<usize>,
) -> Vec<(usize, Value)> {
    let http = client();
    let mut receipts = Vec::new();
    for n in numbers {
        let url = &servers[n % servers.len()];
        let (status, receipt) = post_retrying(&http, url, &token, &person(n)).await;
        assert_eq!(status, 201, "command {n} to {url}: {receipt}");
        receipts.push((n, receipt));
    }
    receipts
}

/// 503s in a row a test client accepts before failing the test.
const RETRIES_503_MAX: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_database_record_every_command_once_and_read_each_others_writes() {
    let shared = TwoServers::start().await;
    let (reader, registrar) = (&shared.reader, &shared.registrar);
    let servers = [shared.a.url.clone(), shared.b.url.clone()];

    // Given 8 clients sending 400 commands, half to each server, all at once,
    const CLIENTS: usize = 8;
    const EACH: usize = 50;
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let numbers = c * EACH..(c + 1) * EACH;
            tokio::spawn(post_people(servers.to_vec(), registrar.clone(), numbers))
        })
        .collect();
    let mut receipts = Vec::new();
    for task in tasks {
        let posted = task.await.unwrap();
        receipts.extend(
            posted
                .into_iter()
                .map(|(n, r)| (n, r["position"].as_u64().unwrap())),
        );
    }

    // when each server is asked for something the other one recorded, at the position of
    // the other's receipt,
    for (n, position) in receipts.iter().filter(|(n, _)| *n < 4) {
        let other = &servers[(n + 1) % 2];
        let path = format!("/v1/persons/@person-{n}?min_position={position}");
        let (status, answer) = get(&client(), other, reader, &path).await;
        // then it has it;
        assert_eq!(status, 200, "person {n} on the other server: {answer}");
        assert!(
            answer["position"].as_u64().unwrap() >= *position,
            "{answer}"
        );
    }
    // and both serve the same log: 400 events, one per command id, each recorded once.
    let expected: BTreeSet<String> = (0..CLIENTS * EACH)
        .map(|n| format!("e2e-person-{n}"))
        .collect();
    let last = receipts.iter().map(|(_, p)| *p).max().unwrap();
    for url in &servers {
        let path = format!("/v1/persons/@person-0?min_position={last}");
        let (status, answer) = get(&client(), url, reader, &path).await;
        assert_eq!(status, 200, "{answer}");
        let log = checked_log(url, reader).await;
        let ids: BTreeSet<String> = log.into_iter().map(|(_, id)| id).collect();
        assert_eq!(ids, expected, "the log {url} serves");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_with_sigkill_under_load_loses_no_acknowledged_command() {
    let TwoServers {
        a: victim,
        b: survivor,
        tokens,
        reader,
        registrar,
        db,
        _dir,
    } = TwoServers::start().await;

    // Given 8 clients posting to one server as fast as they can, and 2 to the other,
    let acked = Arc::new(Mutex::new(Vec::new()));
    let clients: Vec<_> = (0..8)
        .map(|c| {
            let (url, token) = (victim.url.clone(), registrar.clone());
            tokio::spawn(post_until_refused(url, token, c, Arc::clone(&acked)))
        })
        .collect();
    let survivor_clients: Vec<_> = (8..10)
        .map(|c| {
            let numbers = c * 1_000_000..c * 1_000_000 + 150;
            tokio::spawn(post_people(
                vec![survivor.url.clone()],
                registrar.clone(),
                numbers,
            ))
        })
        .collect();
    let started = std::time::Instant::now();
    while acked.lock().await.len() < 200 {
        assert!(
            started.elapsed() < Duration::from_secs(60) && clients.iter().any(|c| !c.is_finished()),
            "the server under load acknowledged only {} commands",
            acked.lock().await.len()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // when the first server is killed with SIGKILL in the middle of it,
    tokio::task::spawn_blocking(move || victim.kill())
        .await
        .unwrap();
    for client in clients {
        client.await.unwrap();
    }
    let mut survivor_acked = Vec::new();
    for client in survivor_clients {
        let posted = client.await.unwrap();
        survivor_acked.extend(posted.into_iter().map(|(n, receipt)| {
            (
                format!("e2e-person-{n}"),
                receipt["first"].as_u64().unwrap(),
            )
        }));
    }

    // then the other server, and a fresh one, hold every acknowledged command at the position
    // its receipt named, each once, and the log verifies.
    let mut acked = acked.lock().await.clone();
    acked.extend(survivor_acked);
    assert!(acked.len() >= 500, "{} commands acknowledged", acked.len());
    let url = db.url("default");
    let fresh = Server::start_with(&["--store", &url], &["--tokens", tokens.to_str().unwrap()]);
    for server in [&survivor, &fresh] {
        let log = checked_log(&server.url, &reader).await;
        assert_all_in_log(&acked, &log, &server.url);
    }
    sijill_with(&["--store", &url], &["verify"]).ok();
}

#[test]
fn the_founding_example_copied_from_sled_to_postgres_exports_the_same_hashes_and_verifies() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let db = runtime.block_on(TestDb::create());
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("data");
    let folder_text = folder.to_str().unwrap();
    let url = db.url("khemisset");
    let store = ["--store", url.as_str()];

    // Given the founding example in a data folder,
    sijill(&folder, &["demo"]).ok();
    let sled_export = dir.path().join("sled.jsonl");
    sijill(&folder, &["export", sled_export.to_str().unwrap()]).ok();

    // when its log is copied to a new PostgreSQL registry,
    let copied = sijill_with(
        &[],
        &["--json", "copy-log", "--from", folder_text, "--to", &url],
    )
    .ok();
    let summary: Value = serde_json::from_str(&copied.stdout).unwrap();

    // then the copy holds the same events with the same hashes: its export is the same file,
    let pg_export = dir.path().join("postgres.jsonl");
    sijill_with(&store, &["export", pg_export.to_str().unwrap()]).ok();
    let (from_sled, from_pg) = (
        std::fs::read(&sled_export).unwrap(),
        std::fs::read(&pg_export).unwrap(),
    );
    let lines = from_sled.iter().filter(|&&b| b == b'\n').count();
    assert!(lines >= 100, "the example has {lines} events");
    assert_eq!(summary["events"].as_u64(), Some(lines as u64), "{summary}");
    assert!(
        from_pg == from_sled,
        "the PostgreSQL export differs from the sled export"
    );
    let last_line = String::from_utf8(from_sled).unwrap();
    let last: Value = serde_json::from_str(last_line.lines().last().unwrap()).unwrap();
    assert_eq!(summary["head_hash"], last["hash"], "{summary}");

    // its chain verifies, and questions get the same answers from both stores,
    let verified = sijill_with(&store, &["verify"]).ok();
    assert!(
        verified
            .stdout
            .starts_with(&format!("ok: positions 1-{lines} verified")),
        "{}",
        verified.stdout
    );
    let roster = |global: &[&str]| {
        let run = sijill_with(
            global,
            &[
                "--json",
                "roster",
                "@khemisset-coordination",
                "--as-of",
                "2017-06",
            ],
        )
        .ok();
        serde_json::from_str::<Value>(&run.stdout).unwrap()
    };
    assert_eq!(roster(&store), roster(&["--data", folder_text]));

    // and copying again onto the now non-empty registry is refused, naming why.
    let again = sijill_with(&[], &["copy-log", "--from", folder_text, "--to", &url]);
    assert_refused(&again, 4, "the store is not empty (head at position");
}

/// Fails unless the run exited with `code` and said `says` on stderr.
fn assert_refused(run: &sijill_tests::Run, code: i32, says: &str) {
    assert_eq!(run.code, code, "{}", run.stderr);
    assert!(run.stderr.contains(says), "{}", run.stderr);
}

#[test]
fn store_refuses_what_is_not_a_postgres_url_and_a_registry_that_does_not_exist() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let db = runtime.block_on(TestDb::create());

    // A data folder or another database's URL given to --store is refused, naming the flag,
    let wrong = sijill_with(&["--store", "mysql://root@127.0.0.1/sijill"], &["stats"]);
    let accepted = "--store (or SIJILL_STORE) takes a PostgreSQL URL, postgres://";
    assert_refused(&wrong, 2, accepted);
    // and a misspelt registry is refused, not silently created empty.
    let missing = sijill_with(&["--store", &db.url("no-such-registry")], &["stats"]);
    assert_refused(&missing, 4, "holds no registry named \"no-such-registry\"");
    // A PostgreSQL registry has no data folder to speak of.
    assert!(
        !missing.stderr.contains("data folder"),
        "{}",
        missing.stderr
    );
}
