//! How to reach PostgreSQL: the URL, the pool, the per-session settings, and the limits and
//! intervals the store runs with.

use std::str::FromStr;
use std::time::Duration;

use deadpool_postgres::{HookError, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::config::Host;
use tokio_postgres::NoTls;

use crate::error::PostgresError;

/// Longest registry name, in bytes (PostgreSQL's identifier length, so a name can also serve
/// as a schema or role name if an operator wants one per registry).
pub const REGISTRY_NAME_LEN_MAX: usize = 63;

/// The registry a deployment uses when it does not name one.
pub const DEFAULT_REGISTRY: &str = "default";

/// Longest a single statement may run on a store session before PostgreSQL cancels it. Also
/// bounds how long an append waits for another server's transaction to release the registry's
/// lock. The largest transaction (`GROUP_EVENTS_MAX` events) takes well under a second.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a session may sit idle inside a transaction before PostgreSQL ends it: a client
/// that vanished mid-append must not hold the registry's lock for long.
pub const IDLE_IN_TRANSACTION_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections in the pool by default: the writer uses one at a time; readers, subscriptions
/// and the head poll share the rest.
pub const POOL_SIZE_DEFAULT: usize = 16;

/// How long to wait for a new connection (and for a free one in the pool).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How often the head is polled even when notifications arrive, so a notification lost with
/// a connection never leaves a subscriber behind for longer than this.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// How to reach PostgreSQL and how the store uses it. `PostgresConfig::new(url)` gives the
/// defaults; the `with_*` methods adjust them.
#[derive(Debug, Clone)]
pub struct PostgresConfig {
    url: String,
    pool_size: usize,
    statement_timeout: Duration,
    poll_interval: Duration,
    connect_timeout: Duration,
    create_registry: bool,
}

impl PostgresConfig {
    /// A configuration with the defaults above. `url` is a libpq URL or key=value string
    /// (`postgres://user@host:5432/db`, `host=/run/postgresql dbname=db`).
    pub fn new(url: impl Into<String>) -> Self {
        PostgresConfig {
            url: url.into(),
            pool_size: POOL_SIZE_DEFAULT,
            statement_timeout: STATEMENT_TIMEOUT,
            poll_interval: POLL_INTERVAL,
            connect_timeout: CONNECT_TIMEOUT,
            create_registry: true,
        }
    }

    pub fn with_pool_size(mut self, pool_size: usize) -> Self {
        assert!(
            pool_size >= 2,
            "the writer and the readers need two connections at least"
        );
        self.pool_size = pool_size;
        self
    }

    pub fn with_statement_timeout(mut self, timeout: Duration) -> Self {
        self.statement_timeout = timeout;
        self
    }

    pub fn with_poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Whether `open` creates a registry that does not exist yet (the default). Without it,
    /// a misspelt registry name is refused instead of silently starting an empty registry.
    pub fn with_create_registry(mut self, create: bool) -> Self {
        self.create_registry = create;
        self
    }

    pub fn create_registry(&self) -> bool {
        self.create_registry
    }

    pub fn poll_interval(&self) -> Duration {
        self.poll_interval
    }

    /// The parsed URL, with the store's connection settings.
    pub(crate) fn pg_config(&self) -> Result<tokio_postgres::Config, PostgresError> {
        let mut config =
            tokio_postgres::Config::from_str(&self.url).map_err(|e| PostgresError::Url {
                detail: e.to_string(),
            })?;
        if config.get_application_name().is_none() {
            config.application_name("sijill");
        }
        config.connect_timeout(self.connect_timeout);
        Ok(config)
    }

    /// The pool every query but LISTEN goes through. Each new session gets the store's
    /// settings before it is handed out.
    pub(crate) fn pool(&self, pg_config: tokio_postgres::Config) -> Result<Pool, PostgresError> {
        let manager = Manager::from_config(
            pg_config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let settings = session_settings(self.statement_timeout);
        let hook = deadpool_postgres::Hook::async_fn(move |client, _| {
            let settings = settings.clone();
            Box::pin(async move {
                prepare_session(client, &settings)
                    .await
                    .map_err(HookError::Backend)
            })
        });
        Pool::builder(manager)
            .max_size(self.pool_size)
            .runtime(Runtime::Tokio1)
            .create_timeout(Some(self.connect_timeout))
            .wait_timeout(Some(self.connect_timeout))
            .post_create(hook)
            .build()
            .map_err(|e| PostgresError::Url {
                detail: e.to_string(),
            })
    }
}

/// Settings every store session runs with: the timeouts that bound how long a statement, or
/// a client that vanished mid-transaction, can hold the registry's lock.
pub(crate) fn session_settings(statement_timeout: Duration) -> String {
    format!(
        "SET statement_timeout = {}; SET idle_in_transaction_session_timeout = {}",
        statement_timeout.as_millis(),
        IDLE_IN_TRANSACTION_TIMEOUT.as_millis(),
    )
}

/// Applies the session settings, and turns `synchronous_commit` on if the server's or the
/// role's default is `off`: a commit must be durable before an append is acknowledged. Other
/// values (`local`, `remote_write`, `on`, `remote_apply`) all flush the primary's WAL before
/// COMMIT returns, so a stricter choice of the operator's (waiting for a standby) is kept.
async fn prepare_session(
    client: &tokio_postgres::Client,
    settings: &str,
) -> Result<(), tokio_postgres::Error> {
    client.batch_execute(settings).await?;
    let synchronous_commit: String = client
        .query_one("SHOW synchronous_commit", &[])
        .await?
        .get(0);
    if synchronous_commit == "off" {
        client.batch_execute("SET synchronous_commit = on").await?;
    }
    Ok(())
}

/// Where the store connects, for messages: host, port and database, never the password.
pub(crate) fn target(config: &tokio_postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(name)) => name.clone(),
        Some(Host::Unix(path)) => path.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let dbname = config
        .get_dbname()
        .or(config.get_user())
        .unwrap_or("postgres");
    format!("{host}:{port}/{dbname}")
}

/// Checks a registry name: 1 to `REGISTRY_NAME_LEN_MAX` bytes of a-z, 0-9, `-`, `_`,
/// starting with a letter or digit.
pub fn validate_registry_name(name: &str) -> Result<(), PostgresError> {
    let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_';
    let starts_well = name
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric());
    if name.len() > REGISTRY_NAME_LEN_MAX || !starts_well || !name.bytes().all(allowed) {
        return Err(PostgresError::RegistryName {
            name: name.chars().take(80).collect(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_names() {
        let long = "r".repeat(REGISTRY_NAME_LEN_MAX + 1);
        let names = [
            "default",
            "khemisset-2016",
            "a_b",
            "9",
            "",
            "-x",
            "Main",
            "a b",
            &long,
        ];
        let got: Vec<bool> = names
            .iter()
            .map(|n| validate_registry_name(n).is_ok())
            .collect();
        assert_eq!(
            got,
            [true, true, true, true, false, false, false, false, false]
        );
    }

    #[test]
    fn target_hides_the_password() {
        let config = PostgresConfig::new("postgres://root:secret@db.example:6543/registry")
            .pg_config()
            .unwrap();
        assert_eq!(target(&config), "db.example:6543/registry");
    }

    #[test]
    fn a_bad_url_says_how_to_write_one() {
        let err = PostgresConfig::new("postgres://host:notaport/db")
            .pg_config()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid PostgreSQL URL: invalid connection string; write it as postgres://USER@HOST:PORT/DATABASE"
        );
    }
}
