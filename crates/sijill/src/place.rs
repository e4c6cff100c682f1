//! Where a registry lives: a sled data folder (`--data DIR`) or a registry in a PostgreSQL
//! database (`--store postgres://...`), and opening its store.
//!
//! A PostgreSQL URL names its registry with the query parameter `registry` (default
//! `default`), so that one argument says everything: `copy-log` takes two of them, and two
//! registries of one database are two URLs. The parameter is taken out before the URL reaches
//! the driver, which refuses parameters it does not know.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use serde::{Serialize, Serializer};
use sijill_store::{EventStore, SledStore};
use sijill_store_postgres::{PostgresConfig, PostgresStore, DEFAULT_REGISTRY};

use crate::backend::Create;
use crate::exit::Failure;

/// The data folder's subfolder of checkpoints (see `sijill_engine::CheckpointOptions`).
pub const CHECKPOINT_FOLDER: &str = "checkpoints";

/// The schemes `--store` accepts.
const POSTGRES_SCHEMES: [&str; 2] = ["postgres://", "postgresql://"];

/// The URL query parameter that names the registry within the database.
const REGISTRY_PARAMETER: &str = "registry";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A sled data folder.
    Folder(PathBuf),
    /// A registry in a PostgreSQL database.
    Postgres(Postgres),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Postgres {
    /// The URL as the driver gets it: without the `registry` parameter.
    url: String,
    registry: String,
}

impl Place {
    /// The value of `--store` (or `SIJILL_STORE`): only a PostgreSQL URL; a data folder is
    /// `--data`'s business.
    pub fn store_flag(text: &str) -> Result<Place, Failure> {
        if !is_postgres_url(text) {
            return Err(Failure::bad_input(format!(
                "--store (or SIJILL_STORE) takes a PostgreSQL URL, postgres://USER@HOST:PORT/DATABASE or postgresql://USER@HOST:PORT/DATABASE, optionally with ?registry=NAME (default {DEFAULT_REGISTRY:?}); got {:?}. For a data folder, use --data DIR",
                shown_input(text)
            )));
        }
        Postgres::parse(text)
            .map(Place::Postgres)
            .map_err(|e| Failure::bad_input(format!("--store: {e}")))
    }

    /// One side of `copy-log`: a PostgreSQL URL, else a data folder path.
    pub fn either(text: &str, flag: &str) -> Result<Place, Failure> {
        if is_postgres_url(text) {
            return Postgres::parse(text)
                .map(Place::Postgres)
                .map_err(|e| Failure::bad_input(format!("{flag}: {e}")));
        }
        if text.contains("://") {
            return Err(Failure::bad_input(format!(
                "{flag} takes a data folder or a PostgreSQL URL (postgres://USER@HOST:PORT/DATABASE or postgresql://..., optionally with ?registry=NAME); got {:?}",
                shown_input(text)
            )));
        }
        Ok(Place::Folder(PathBuf::from(text)))
    }

    /// Opens the log, creating the data folder or the PostgreSQL registry only when `create`
    /// allows it: a typo must not silently start a new, empty registry.
    pub async fn open_store(&self, create: Create) -> anyhow::Result<Arc<dyn EventStore>> {
        match self {
            Place::Folder(folder) => open_folder(folder, create).await,
            Place::Postgres(pg) => {
                let config = PostgresConfig::new(pg.url.clone())
                    .with_create_registry(create == Create::IfMissing);
                let store = PostgresStore::open_with(config, &pg.registry)
                    .await
                    .map_err(|e| Failure::data_folder(format!("opening {self}: {e}")))?;
                Ok(Arc::new(store))
            }
        }
    }

    /// Where the engine keeps checkpoints of this registry: `<folder>/checkpoints` for a data
    /// folder. None for PostgreSQL: several servers share that log, and a checkpoint folder
    /// per server is left for when a shared log grows that large.
    pub fn checkpoint_folder(&self) -> Option<PathBuf> {
        match self {
            Place::Folder(folder) => Some(folder.join(CHECKPOINT_FOLDER)),
            Place::Postgres(_) => None,
        }
    }

    /// True for PostgreSQL, where other servers may append to the same log.
    pub fn is_shared(&self) -> bool {
        matches!(self, Place::Postgres(_))
    }

    /// The flag that selects this place, for hints printed to the user.
    pub fn flag(&self) -> String {
        match self {
            Place::Folder(folder) => format!("--data {}", folder.display()),
            Place::Postgres(pg) => format!("--store '{}'", pg.shown_url()),
        }
    }
}

impl Postgres {
    /// Splits the registry out of the URL; the error says what is wrong with the name.
    fn parse(text: &str) -> Result<Postgres, String> {
        let (base, query) = match text.split_once('?') {
            Some((base, query)) => (base, query),
            None => (text, ""),
        };
        let mut registry = None;
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some((REGISTRY_PARAMETER, name)) => registry = Some(name.to_string()),
                _ => kept.push(pair),
            }
        }
        let registry = registry.unwrap_or_else(|| DEFAULT_REGISTRY.to_string());
        sijill_store_postgres::validate_registry_name(&registry)
            .map_err(|e| format!("?{REGISTRY_PARAMETER}=: {e}"))?;
        let url = match kept.is_empty() {
            true => base.to_string(),
            false => format!("{base}?{}", kept.join("&")),
        };
        Ok(Postgres { url, registry })
    }

    /// The URL with its registry, without a password: what messages and `--json` show.
    fn shown_url(&self) -> String {
        let url = shown_input(&self.url);
        let separator = if url.contains('?') { '&' } else { '?' };
        format!("{url}{separator}{REGISTRY_PARAMETER}={}", self.registry)
    }
}

fn is_postgres_url(text: &str) -> bool {
    POSTGRES_SCHEMES
        .iter()
        .any(|scheme| text.starts_with(scheme))
}

/// `text` with the password of a URL's user (`user:secret@`) and any `password=` parameter
/// blanked out, so that messages never print a secret.
fn shown_input(text: &str) -> String {
    let Some((scheme, rest)) = text.split_once("://") else {
        return text.to_string();
    };
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(end) => rest.split_at(end),
        None => (rest, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((name, _)) => format!("{name}:***@{host}"),
            None => authority.to_string(),
        },
        None => authority.to_string(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some(("password", _)) => "password=***".to_string(),
                    _ => pair.to_string(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => tail.to_string(),
    };
    format!("{scheme}://{authority}{tail}")
}

/// Opens (or, with `Create::IfMissing`, creates) the sled store in `folder`.
async fn open_folder(folder: &Path, create: Create) -> anyhow::Result<Arc<dyn EventStore>> {
    if create == Create::No && !folder.exists() {
        return Err(Failure::data_folder(format!(
            "no registry in {}: create one with `sijill init` (or `sijill demo`), or point --data or SIJILL_DATA at an existing one",
            folder.display()
        ))
        .into());
    }
    let path: PathBuf = folder.to_path_buf();
    // Opening blocks on disk IO (and on sled's recovery), so it runs off the async workers.
    let store = tokio::task::spawn_blocking(move || SledStore::open(path))
        .await
        .context("opening the data folder")??;
    Ok(Arc::new(store))
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Folder(folder) => write!(f, "{}", folder.display()),
            Place::Postgres(pg) => write!(f, "{}", pg.shown_url()),
        }
    }
}

/// `--json` summaries name the place as text: the folder's path, or the URL without its
/// password.
impl Serialize for Place {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_postgres_url_names_its_registry_in_the_query() {
        let place = Place::store_flag(
            "postgres://root:secret@db.example:5432/sijill?sslmode=disable&registry=khemisset",
        )
        .unwrap();
        let Place::Postgres(pg) = &place else {
            panic!("{place:?}")
        };
        assert_eq!(
            (pg.url.as_str(), pg.registry.as_str()),
            (
                "postgres://root:secret@db.example:5432/sijill?sslmode=disable",
                "khemisset"
            )
        );
        assert_eq!(
            place.to_string(),
            "postgres://root:***@db.example:5432/sijill?sslmode=disable&registry=khemisset"
        );
        let default = Place::store_flag("postgresql://root@db.example/sijill").unwrap();
        assert_eq!(
            default.to_string(),
            "postgresql://root@db.example/sijill?registry=default"
        );
    }

    #[test]
    fn store_refuses_anything_but_a_postgres_url_naming_the_accepted_forms() {
        for text in ["./sijill-data", "sled:///tmp/x", "mysql://u:pw@h/db"] {
            let message = Place::store_flag(text).unwrap_err().message;
            assert!(
                message.starts_with("--store (or SIJILL_STORE) takes a PostgreSQL URL, postgres://USER@HOST:PORT/DATABASE"),
                "{message}"
            );
            assert!(!message.contains("pw@"), "{message}");
        }
        let message = Place::store_flag("postgres://h/db?registry=Bad Name")
            .unwrap_err()
            .message;
        assert!(message.contains("\"Bad Name\" is invalid"), "{message}");
    }

    #[test]
    fn copy_log_sides_are_folders_or_postgres_urls() {
        assert_eq!(
            Place::either("data/sled", "--from").unwrap(),
            Place::Folder(PathBuf::from("data/sled"))
        );
        assert!(Place::either("postgres://h/db", "--to")
            .unwrap()
            .is_shared());
        let message = Place::either("http://h/db", "--to").unwrap_err().message;
        assert!(message.starts_with("--to takes a data folder or a PostgreSQL URL"));
    }

    #[test]
    fn passwords_are_never_shown() {
        assert_eq!(
            shown_input("postgres://u:p@ss@h:1/db?password=x&sslmode=disable"),
            "postgres://u:***@h:1/db?password=***&sslmode=disable"
        );
    }
}
