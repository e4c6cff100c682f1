//! A database of its own for each test, created through the admin URL in
//! `SIJILL_TEST_POSTGRES` and dropped when the test ends (also when it panics).

use std::time::Duration;

use async_trait::async_trait;
use futures::stream::BoxStream;
use sijill_store::conformance::Tamper;
use sijill_store::{
    AppendError, Appended, CommandId, EventStore, Head, NewBatch, StoreError, StoredEvent,
    VerifyReport,
};
use sijill_store_postgres::{PostgresConfig, PostgresStore};
use tokio_postgres::{Client, NoTls};
use uuid::Uuid;

/// Where the tests find PostgreSQL when `SIJILL_TEST_POSTGRES` is not set.
const ADMIN_URL_DEFAULT: &str = "postgres://root@127.0.0.1:5432/postgres";

pub fn admin_url() -> String {
    std::env::var("SIJILL_TEST_POSTGRES").unwrap_or_else(|_| ADMIN_URL_DEFAULT.to_string())
}

/// Connects, or fails the test saying how to get a PostgreSQL to test against.
pub async fn connect(url: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is not reachable at {url} ({e}). These tests need a real PostgreSQL: \
             run `bash scripts/test` (it installs and starts one), or start one yourself \
             (`pg_ctlcluster 15 main start`) and set SIJILL_TEST_POSTGRES to an admin URL \
             (default {ADMIN_URL_DEFAULT})"
            )
        });
    tokio::spawn(connection);
    client
}

/// A fresh database with a random name, dropped on drop.
pub struct TestDb {
    name: String,
    admin: tokio_postgres::Config,
}

impl TestDb {
    pub async fn create() -> TestDb {
        let admin_url = admin_url();
        let admin: tokio_postgres::Config = admin_url
            .parse()
            .expect("SIJILL_TEST_POSTGRES is a valid URL");
        let name = format!("sijill_test_{:016x}", rand::random::<u64>());
        connect(&admin_url)
            .await
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        TestDb { name, admin }
    }

    /// A key=value connection string for this database.
    pub fn url(&self) -> String {
        self.url_via(self.host(), self.port())
    }

    /// The same, through another host and port (a proxy in front of PostgreSQL).
    pub fn url_via(&self, host: &str, port: u16) -> String {
        let mut parts = vec![
            format!("host={host}"),
            format!("port={port}"),
            format!("dbname={}", self.name),
        ];
        if let Some(user) = self.admin.get_user() {
            parts.push(format!("user='{}'", user.replace('\'', "\\'")));
        }
        if let Some(password) = self.admin.get_password() {
            parts.push(format!(
                "password='{}'",
                String::from_utf8_lossy(password).replace('\'', "\\'")
            ));
        }
        parts.push("sslmode=disable".into());
        parts.join(" ")
    }

    pub fn host(&self) -> &str {
        match self.admin.get_hosts().first() {
            Some(tokio_postgres::config::Host::Tcp(host)) => host,
            _ => "127.0.0.1",
        }
    }

    pub fn port(&self) -> u16 {
        self.admin.get_ports().first().copied().unwrap_or(5432)
    }

    pub async fn client(&self) -> Client {
        connect(&self.url()).await
    }

    /// A store on this database, with a short poll interval so tests of the polling fallback
    /// do not wait long.
    pub async fn open(&self, registry: &str) -> PostgresStore {
        PostgresStore::open_with(self.config(), registry)
            .await
            .expect("open the PostgreSQL store")
    }

    pub fn config(&self) -> PostgresConfig {
        PostgresConfig::new(self.url()).with_poll_interval(Duration::from_millis(200))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        let admin = self.admin.clone();
        // Drop runs inside the test's runtime, which cannot block on a future: drop the
        // database from a thread with a runtime of its own.
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

/// A store with the test-only tamper hook the conformance suite needs. The hook rewrites a
/// row behind the store's back, as someone with access to the database could.
pub struct Tamperable {
    pub store: PostgresStore,
    pub url: String,
}

#[async_trait]
impl Tamper for Tamperable {
    async fn overwrite_stored_bytes(
        &self,
        position: u64,
        stored: Vec<u8>,
    ) -> Result<(), StoreError> {
        let client = connect(&self.url).await;
        let position = i64::try_from(position).unwrap();
        // The append-only trigger refuses UPDATE; a table owner can switch it off.
        let sql = "BEGIN;
            ALTER TABLE sijill_events DISABLE TRIGGER sijill_events_append_only;";
        client.batch_execute(sql).await.unwrap();
        let updated = client
            .execute(
                "UPDATE sijill_events SET stored = $1
                 WHERE registry = (SELECT id FROM sijill_registries WHERE name = $2) AND position = $3",
                &[&stored, &self.store.registry(), &position],
            )
            .await
            .unwrap();
        assert_eq!(updated, 1);
        client
            .batch_execute(
                "ALTER TABLE sijill_events ENABLE TRIGGER sijill_events_append_only; COMMIT",
            )
            .await
            .unwrap();
        Ok(())
    }
}

#[async_trait]
impl EventStore for Tamperable {
    async fn append_group(
        &self,
        batches: Vec<NewBatch>,
        expected_head: u64,
    ) -> Result<Vec<Appended>, AppendError> {
        self.store.append_group(batches, expected_head).await
    }
    async fn append_stored(
        &self,
        events: Vec<StoredEvent>,
        expected_head: u64,
    ) -> Result<Head, AppendError> {
        self.store.append_stored(events, expected_head).await
    }
    async fn find_command(&self, id: &CommandId) -> Result<Option<Appended>, StoreError> {
        self.store.find_command(id).await
    }
    async fn read(&self, from: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        self.store.read(from, limit).await
    }
    async fn read_tag(
        &self,
        tag: Uuid,
        from: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.store.read_tag(tag, from, limit).await
    }
    async fn head(&self) -> Result<Head, StoreError> {
        self.store.head().await
    }
    fn subscribe(&self, from: u64) -> BoxStream<'static, Result<StoredEvent, StoreError>> {
        self.store.subscribe(from)
    }
    async fn verify(&self, from: u64, to: Option<u64>) -> Result<VerifyReport, StoreError> {
        self.store.verify(from, to).await
    }
}

/// Appends `batch`, catching up on conflicts, as a writer sharing the registry would.
pub async fn append_retrying(store: &PostgresStore, batch: NewBatch) -> Appended {
    let mut expected = store.head().await.unwrap().position;
    loop {
        match store.append(batch.clone(), expected).await {
            Ok(appended) => return appended,
            Err(AppendError::Conflict { actual, .. }) => expected = actual,
            Err(other) => panic!("append failed: {other}"),
        }
    }
}
