//! One write transaction, in two round trips plus the commit's flush.
//!
//! First `BEGIN`, the registry's advisory lock, the head and the known command ids go out
//! together; then the rows and `COMMIT`. tokio-postgres sends requests in the order their
//! futures are first polled, and PostgreSQL runs them in that order, each statement with a
//! snapshot taken when it starts, so the head and the command ids are read only once the
//! lock is held. (Were that order ever broken, the head check in the write statement and the
//! `(registry, position)` key would refuse the transaction: no event is lost or duplicated.)

use std::collections::HashMap;
use std::sync::LazyLock;

use deadpool_postgres::{Object, Pool};
use sijill_store::{CommandId, Head};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Row, Statement};

use crate::error::{Fail, PostgresError};
use crate::plan::{command_ids, plan_works, Plan, Work};
use crate::read::{from_sql_position, hash32, to_sql_position};
use crate::schema::{HEADS_CHANNEL, LOCK_CLASS};

const LOCK_REGISTRY: &str = "SELECT pg_advisory_xact_lock($1, $2)";

const HEAD_FOR_WRITE: &str = "SELECT head_position, head_hash FROM sijill_registries WHERE id = $1";

const KNOWN_COMMANDS: &str = "
SELECT command_id, first_position, last_position FROM sijill_commands
WHERE registry = $1 AND command_id = ANY($2::text[])";

const COMMITTED_RUN: &str = "
SELECT c.first_position, c.last_position, e.hash
FROM sijill_commands c
JOIN sijill_events e ON e.registry = c.registry AND e.position = c.last_position
WHERE c.registry = $1 AND c.command_id = $2";

/// Every row of one transaction in one statement: one round trip whatever the group's size.
/// The head moves only from the head read under the lock: if it moved meanwhile (something
/// wrote to the registry without the lock), the update sets -1, which the schema's
/// `sijill_head_position_valid` check refuses, and the whole transaction fails.
static WRITE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH new_events AS (
    INSERT INTO sijill_events
        (registry, position, event_id, recorded_at, event_type, version, prev_hash, hash, stored)
    SELECT $1, e.* FROM unnest($2::bigint[], $3::uuid[], $4::timestamptz[], $5::text[],
        $6::integer[], $7::bytea[], $8::bytea[], $9::bytea[]) AS e
), new_tags AS (
    INSERT INTO sijill_event_tags (registry, tag, position)
    SELECT $1, t.* FROM unnest($10::uuid[], $11::bigint[]) AS t
), new_commands AS (
    INSERT INTO sijill_commands (registry, command_id, first_position, last_position)
    SELECT $1, c.* FROM unnest($12::text[], $13::bigint[], $14::bigint[]) AS c
), new_head AS (
    UPDATE sijill_registries
    SET head_position = CASE WHEN head_position = $17::bigint THEN $15::bigint ELSE -1 END,
        head_hash = $16
    WHERE id = $1
)
SELECT pg_notify('{HEADS_CHANNEL}', $18)::text"
    )
});

/// Why a transaction did not complete.
pub(crate) enum TxFail {
    /// Nothing was committed.
    Before(Fail),
    /// PostgreSQL refused the write for a reason retrying will not fix.
    Refused(PostgresError),
    /// The connection was lost while COMMIT may have been in flight: it may or may not have
    /// committed.
    AtCommit(Fail, Plan),
}

impl From<Fail> for TxFail {
    fn from(fail: Fail) -> Self {
        TxFail::Before(fail)
    }
}

/// Runs one transaction for `works`. Returns the plan it committed (with nothing sealed when
/// no job had anything to write: then nothing was committed, and nothing needed to be).
pub(crate) async fn run(pool: &Pool, registry: i32, works: &[Work]) -> Result<Plan, TxFail> {
    let client = pool.get().await.map_err(Fail::from)?;
    let statements = Statements::prepare(&client).await?;
    let ids = command_ids(works);
    let lock_key: [&(dyn ToSql + Sync); 2] = [&LOCK_CLASS, &registry];
    let known_params: [&(dyn ToSql + Sync); 2] = [&registry, &ids];
    let begun = tokio::try_join!(
        client.batch_execute("BEGIN"),
        client.execute(&statements.lock, &lock_key),
        client.query_one(&statements.head, &lock_key[1..]),
        client.query(&statements.known, &known_params),
    );
    let (_, _, head, known) = match begun {
        Ok(replies) => replies,
        Err(error) => {
            abandon(client).await;
            return Err(TxFail::Before(Fail::Pg(error)));
        }
    };
    let plan = plan_works(works, decode_head(&head), decode_known(&known));
    if plan.sealed.is_empty() {
        // Only conflicts, invalid imports or duplicates: nothing to write.
        abandon(client).await;
        return Ok(plan);
    }
    write_and_commit(client, &statements, registry, plan).await
}

/// Sends the rows and COMMIT together. If the rows are refused, the transaction is aborted
/// and PostgreSQL answers the COMMIT with a rollback; if the connection is lost, the COMMIT
/// may or may not have run.
async fn write_and_commit(
    client: Object,
    statements: &Statements,
    registry: i32,
    plan: Plan,
) -> Result<Plan, TxFail> {
    let rows = Rows::of(&plan);
    let prev_hashes: Vec<&[u8]> = rows.prev_hashes.iter().map(|h| &h[..]).collect();
    let hashes: Vec<&[u8]> = rows.hashes.iter().map(|h| &h[..]).collect();
    let notification = format!("{registry}:{}", plan.head.position);
    let params: [&(dyn ToSql + Sync); 18] = [
        &registry,
        &rows.positions,
        &rows.event_ids,
        &rows.recorded_at,
        &rows.types,
        &rows.versions,
        &prev_hashes,
        &hashes,
        &rows.stored,
        &rows.tags,
        &rows.tag_positions,
        &rows.command_ids,
        &rows.firsts,
        &rows.lasts,
        &to_sql_position(plan.head.position),
        &plan.head.hash.as_slice(),
        &to_sql_position(plan.start.position),
        &notification,
    ];
    let (written, committed) = tokio::join!(
        client.query_one(&statements.write, &params),
        client.batch_execute("COMMIT")
    );
    drop(rows);
    match (written.map_err(Fail::Pg), committed.map_err(Fail::Pg)) {
        (Ok(_), Ok(())) => Ok(plan),
        (Err(fail), _) | (_, Err(fail)) if fail.is_connection_loss() => {
            drop(Object::take(client));
            Err(TxFail::AtCommit(fail, plan))
        }
        (Err(fail), _) if refused_head_move(&fail) => Err(TxFail::Refused(PostgresError::Query {
            context: "appending to the log",
            detail: "the head moved while this server held the registry's lock: another program writes to \
                     this registry without taking it; stop that program"
                .to_string(),
        })),
        (Err(fail), _) | (_, Err(fail)) => Err(TxFail::Before(fail)),
    }
}

/// Where the batch with command id `id` landed and the hash of its last event, looked up
/// under the registry's lock: a transaction that was committing when its connection was lost
/// has finished, one way or the other, once the lock is ours.
pub(crate) async fn committed_run(
    pool: &Pool,
    registry: i32,
    id: &CommandId,
) -> Result<Option<(u64, u64, [u8; 32])>, Fail> {
    let client = pool.get().await?;
    let statements = Statements::prepare(&client).await?;
    let lock_key: [&(dyn ToSql + Sync); 2] = [&LOCK_CLASS, &registry];
    let id = id.as_str();
    let run_params: [&(dyn ToSql + Sync); 2] = [&registry, &id];
    let looked_up = tokio::try_join!(
        client.batch_execute("BEGIN"),
        client.execute(&statements.lock, &lock_key),
        client.query_opt(&statements.committed_run, &run_params),
        client.batch_execute("ROLLBACK"),
    );
    let (_, _, row, _) = match looked_up {
        Ok(replies) => replies,
        Err(error) => {
            abandon(client).await;
            return Err(Fail::Pg(error));
        }
    };
    Ok(row.map(|r| {
        let hash = hash32(r.get(2)).unwrap_or([0; 32]);
        (
            from_sql_position(r.get(0)),
            from_sql_position(r.get(1)),
            hash,
        )
    }))
}

/// The write transaction's statements, prepared once per connection (the pool caches them),
/// so that the pipelined requests below go out as soon as they are issued, in order.
struct Statements {
    lock: Statement,
    head: Statement,
    known: Statement,
    write: Statement,
    committed_run: Statement,
}

impl Statements {
    async fn prepare(client: &Object) -> Result<Statements, Fail> {
        Ok(Statements {
            lock: client.prepare_cached(LOCK_REGISTRY).await?,
            head: client.prepare_cached(HEAD_FOR_WRITE).await?,
            known: client.prepare_cached(KNOWN_COMMANDS).await?,
            write: client.prepare_cached(&WRITE).await?,
            committed_run: client.prepare_cached(COMMITTED_RUN).await?,
        })
    }
}

/// Ends a transaction that will not commit and hands the connection back; a connection
/// that cannot even roll back is dropped from the pool instead.
async fn abandon(client: Object) {
    if client.batch_execute("ROLLBACK").await.is_err() {
        drop(Object::take(client));
    }
}

fn decode_head(row: &Row) -> Head {
    let hash = hash32(row.get(1)).expect("head_hash is written as 32 bytes");
    Head {
        position: from_sql_position(row.get(0)),
        hash,
    }
}

fn decode_known(rows: &[Row]) -> HashMap<CommandId, (u64, u64)> {
    let decode = |row: &Row| {
        let id = CommandId::new(row.get::<_, String>(0))
            .expect("command ids are validated before they are written");
        (
            id,
            (from_sql_position(row.get(1)), from_sql_position(row.get(2))),
        )
    };
    rows.iter().map(decode).collect()
}

/// True when PostgreSQL refused the head update because the head was not the one read
/// under the lock.
fn refused_head_move(fail: &Fail) -> bool {
    let Fail::Pg(error) = fail else { return false };
    error.as_db_error().and_then(|db| db.constraint()) == Some("sijill_head_position_valid")
}

/// The columns of one transaction's rows, as the arrays the write statement unnests.
struct Rows<'a> {
    positions: Vec<i64>,
    event_ids: Vec<uuid::Uuid>,
    recorded_at: Vec<chrono::DateTime<chrono::Utc>>,
    types: Vec<&'a str>,
    versions: Vec<i32>,
    prev_hashes: Vec<[u8; 32]>,
    hashes: Vec<[u8; 32]>,
    stored: Vec<&'a [u8]>,
    tags: Vec<uuid::Uuid>,
    tag_positions: Vec<i64>,
    command_ids: Vec<&'a str>,
    firsts: Vec<i64>,
    lasts: Vec<i64>,
}

impl<'a> Rows<'a> {
    fn of(plan: &'a Plan) -> Self {
        let n = plan.sealed.len();
        let mut rows = Rows {
            positions: Vec::with_capacity(n),
            event_ids: Vec::with_capacity(n),
            recorded_at: Vec::with_capacity(n),
            types: Vec::with_capacity(n),
            versions: Vec::with_capacity(n),
            prev_hashes: Vec::with_capacity(n),
            hashes: Vec::with_capacity(n),
            stored: Vec::with_capacity(n),
            tags: Vec::new(),
            tag_positions: Vec::new(),
            command_ids: plan.runs.iter().map(|r| r.command_id.as_str()).collect(),
            firsts: plan.runs.iter().map(|r| to_sql_position(r.first)).collect(),
            lasts: plan.runs.iter().map(|r| to_sql_position(r.last)).collect(),
        };
        for event in &plan.sealed {
            let position = to_sql_position(event.position());
            rows.positions.push(position);
            rows.event_ids.push(event.event_id());
            rows.recorded_at.push(event.recorded_at());
            rows.types.push(event.event_type());
            rows.versions.push(i32::from(event.version()));
            rows.prev_hashes.push(event.prev_hash());
            rows.hashes.push(event.hash());
            rows.stored.push(event.stored_bytes());
            rows.tags.extend_from_slice(event.tags());
            rows.tag_positions
                .extend(std::iter::repeat_n(position, event.tags().len()));
        }
        rows
    }
}
