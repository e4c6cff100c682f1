//! The schema, its migrations, and what `open` checks before the store serves anything.
//!
//! One set of tables holds every registry of a database; rows carry the registry's numeric id
//! (`sijill_registries.id`). Migrations are SQL embedded here, applied on open in one
//! transaction that holds an advisory lock, so servers starting together neither race nor
//! see a half-migrated schema.

use deadpool_postgres::Object;
use tokio_postgres::GenericClient;

use crate::error::{Fail, PostgresError};

/// The schema version this code reads and writes.
pub const SCHEMA_VERSION: i32 = MIGRATIONS.len() as i32;

/// First key of every advisory lock the store takes ("sjll"); the second key is the
/// registry's id, or 0 for migrations (registry ids start at 1).
pub(crate) const LOCK_CLASS: i32 = 0x736a_6c6c;

/// The advisory lock key (second half) that serialises migrations.
const MIGRATION_LOCK: i32 = 0;

/// The NOTIFY channel; the payload is `<registry id>:<head position>`.
pub(crate) const HEADS_CHANNEL: &str = "sijill_heads";

pub(crate) struct Migration {
    pub version: i32,
    pub description: &'static str,
    pub sql: &'static str,
}

/// Every migration, in order; `version` is the index + 1. Never edit a released one: add a
/// new one, since databases already migrated will not run it again.
pub(crate) const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    description: "registries, events, tag index, command index, append-only guard",
    sql: MIGRATION_1,
}];

const MIGRATION_1: &str = r#"
CREATE TABLE sijill_registries (
    id            integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL UNIQUE,
    head_position bigint NOT NULL DEFAULT 0
                  CONSTRAINT sijill_head_position_valid CHECK (head_position >= 0),
    head_hash     bytea NOT NULL DEFAULT decode(repeat('00', 32), 'hex'),
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sijill_events (
    registry    integer NOT NULL,
    position    bigint NOT NULL CHECK (position > 0),
    event_id    uuid NOT NULL,
    recorded_at timestamptz NOT NULL,
    event_type  text NOT NULL,
    version     integer NOT NULL,
    prev_hash   bytea NOT NULL,
    hash        bytea NOT NULL,
    stored      bytea NOT NULL,
    PRIMARY KEY (registry, position)
);

CREATE TABLE sijill_event_tags (
    registry integer NOT NULL,
    tag      uuid NOT NULL,
    position bigint NOT NULL,
    PRIMARY KEY (registry, tag, position)
);

-- The command id leads the key: lookups by `command_id = ANY(..)` then always use the index
-- on both columns. With `(registry, command_id)`, PostgreSQL 15 can plan `registry = $1`
-- as the index condition and filter the ids, scanning the whole registry, whenever its
-- statistics still say the registry is small.
CREATE TABLE sijill_commands (
    registry       integer NOT NULL,
    command_id     text NOT NULL,
    first_position bigint NOT NULL,
    last_position  bigint NOT NULL,
    PRIMARY KEY (command_id, registry)
);

CREATE FUNCTION sijill_refuse_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the sijill log is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
        USING HINT = 'correct a mistake by recording a correcting event';
END
$$;

CREATE TRIGGER sijill_events_append_only
    BEFORE UPDATE OR DELETE ON sijill_events
    FOR EACH ROW EXECUTE FUNCTION sijill_refuse_rewrite();
CREATE TRIGGER sijill_events_no_truncate
    BEFORE TRUNCATE ON sijill_events
    FOR EACH STATEMENT EXECUTE FUNCTION sijill_refuse_rewrite();
"#;

const CREATE_MIGRATIONS_TABLE: &str = "
CREATE TABLE IF NOT EXISTS sijill_schema_migrations (
    version     integer PRIMARY KEY,
    description text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)";

/// Applies the migrations this database lacks, or refuses a database whose schema is newer
/// than this code. Runs in one transaction under the migration lock.
pub(crate) async fn migrate(client: &mut Object, target: &str) -> Result<(), OpenFail> {
    let tx = client.transaction().await?;
    tx.execute(
        "SELECT pg_advisory_xact_lock($1, $2)",
        &[&LOCK_CLASS, &MIGRATION_LOCK],
    )
    .await?;
    tx.batch_execute(CREATE_MIGRATIONS_TABLE).await?;
    let row = tx
        .query_one(
            "SELECT coalesce(max(version), 0) FROM sijill_schema_migrations",
            &[],
        )
        .await?;
    let found: i32 = row.get(0);
    if found > SCHEMA_VERSION {
        let target = target.to_string();
        return Err(PostgresError::NewerSchema {
            target,
            found,
            supported: SCHEMA_VERSION,
        }
        .into());
    }
    for migration in MIGRATIONS.iter().filter(|m| m.version > found) {
        tracing::info!(version = migration.version, "applying schema migration");
        tx.batch_execute(migration.sql).await?;
        tx.execute(
            "INSERT INTO sijill_schema_migrations (version, description) VALUES ($1, $2)",
            &[&migration.version, &migration.description],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The registry's id, creating its row (with an empty log) on first use when `create`;
/// `None` when it does not exist and may not be created.
pub(crate) async fn registry_id(
    client: &impl GenericClient,
    name: &str,
    create: bool,
) -> Result<Option<i32>, Fail> {
    if create {
        client
            .execute(
                "INSERT INTO sijill_registries (name) VALUES ($1) ON CONFLICT (name) DO NOTHING",
                &[&name],
            )
            .await?;
    }
    let row = client
        .query_opt("SELECT id FROM sijill_registries WHERE name = $1", &[&name])
        .await?;
    Ok(row.map(|row| row.get(0)))
}

/// Refuses a session on which a commit would not be durable, and warns when the server
/// itself does not flush (then a crash of its machine can lose what it acknowledged).
pub(crate) async fn check_durability(
    client: &impl GenericClient,
    target: &str,
) -> Result<(), OpenFail> {
    let setting = |name: &'static str| async move {
        let row = client.query_one(&format!("SHOW {name}"), &[]).await?;
        Ok::<String, Fail>(row.get(0))
    };
    let synchronous_commit = setting("synchronous_commit").await?;
    if synchronous_commit == "off" {
        let target = target.to_string();
        return Err(PostgresError::NotDurable {
            target,
            value: synchronous_commit,
        }
        .into());
    }
    if setting("fsync").await? != "on" {
        tracing::warn!(
            server = target,
            "PostgreSQL runs with fsync = off: a crash of its machine can lose appends it acknowledged"
        );
    }
    Ok(())
}

/// What stops `open`: a message for the operator, or a failed round trip.
#[derive(Debug)]
pub(crate) enum OpenFail {
    Refused(PostgresError),
    Fail(Fail),
}

impl From<PostgresError> for OpenFail {
    fn from(error: PostgresError) -> Self {
        OpenFail::Refused(error)
    }
}

impl From<Fail> for OpenFail {
    fn from(error: Fail) -> Self {
        OpenFail::Fail(error)
    }
}

impl From<tokio_postgres::Error> for OpenFail {
    fn from(error: tokio_postgres::Error) -> Self {
        OpenFail::Fail(Fail::Pg(error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_from_one_without_gaps() {
        let versions: Vec<i32> = MIGRATIONS.iter().map(|m| m.version).collect();
        let expected: Vec<i32> = (1..=SCHEMA_VERSION).collect();
        assert_eq!(versions, expected);
    }
}
