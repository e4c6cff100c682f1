//! Reads: pages of events, one entity's events, the head, a command's positions. Every read
//! is one statement, so it sees one consistent snapshot, and is safe to retry on a new
//! connection when the old one is lost.

use std::future::Future;
use std::time::Duration;

use deadpool_postgres::Pool;
use sijill_store::{CommandId, Head, StoreError, StoredEvent};
use tokio_postgres::Row;
use uuid::Uuid;

use crate::error::Fail;

/// Attempts of a read before its connection error is reported.
pub const READ_ATTEMPTS_MAX: u32 = 3;

/// Wait before the first retry; doubled for each further one.
pub const RETRY_BACKOFF: Duration = Duration::from_millis(100);

const READ_EVENTS: &str = "
SELECT position, prev_hash, hash, stored FROM sijill_events
WHERE registry = $1 AND position >= $2 ORDER BY position LIMIT $3";

const READ_TAG: &str = "
SELECT e.position, e.prev_hash, e.hash, e.stored
FROM sijill_event_tags t
JOIN sijill_events e ON e.registry = t.registry AND e.position = t.position
WHERE t.registry = $1 AND t.tag = $2 AND t.position >= $3
ORDER BY t.position LIMIT $4";

const READ_HEAD: &str = "SELECT head_position, head_hash FROM sijill_registries WHERE id = $1";

const FIND_COMMAND: &str = "
SELECT first_position, last_position FROM sijill_commands WHERE registry = $1 AND command_id = $2";

/// Runs `attempt` until it succeeds, fails for a reason other than a lost connection, or
/// has failed `READ_ATTEMPTS_MAX` times. Only for statements that change nothing.
pub(crate) async fn retrying<T, F, Fut>(
    context: &'static str,
    mut attempt: F,
) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Fail>>,
{
    let mut backoff = RETRY_BACKOFF;
    for tries in 1.. {
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(fail) if fail.is_connection_loss() && tries < READ_ATTEMPTS_MAX => {
                tracing::warn!(
                    context,
                    detail = fail.detail(),
                    "connection lost; retrying the read"
                );
                tokio::time::sleep(backoff).await;
                backoff *= 2;
            }
            Err(fail) => return Err(fail.into_store(context)),
        }
    }
    unreachable!("the loop returns")
}

/// Pages of at least this many events are read as two halves at once, on two connections and
/// two tasks: PostgreSQL fetches one half while the other is sent and decoded, which roughly
/// halves the time to replay a long log.
pub const READ_SPLIT_EVENTS_MIN: usize = 2_000;

/// Up to `limit` events from `from` on.
pub(crate) async fn events(
    pool: &Pool,
    registry: i32,
    from: u64,
    limit: usize,
) -> Result<Vec<StoredEvent>, StoreError> {
    if limit < READ_SPLIT_EVENTS_MIN {
        return range(pool, registry, from, limit).await;
    }
    let half = limit / 2;
    // The second half runs as a task of its own, so that its rows are decoded on another
    // thread while this one decodes the first half.
    let second = tokio::spawn({
        let pool = pool.clone();
        let second_from = from.saturating_add(half as u64);
        async move { range(&pool, registry, second_from, limit - half).await }
    });
    let mut first = range(pool, registry, from, half).await?;
    let second = second
        .await
        .map_err(|e| StoreError::Backend(format!("reading the log: {e}")))??;
    // Positions are gap-free, so a full first half ends right before the second begins. A
    // short one reached the head of its snapshot, and the second half (another snapshot)
    // could hold later events, after a gap: drop it.
    if first.len() == half {
        first.extend(second);
    }
    Ok(first)
}

async fn range(
    pool: &Pool,
    registry: i32,
    from: u64,
    limit: usize,
) -> Result<Vec<StoredEvent>, StoreError> {
    let rows = retrying("reading the log", || async {
        let client = pool.get().await?;
        let statement = client.prepare_cached(READ_EVENTS).await?;
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 3] =
            [&registry, &to_sql_position(from), &to_sql_limit(limit)];
        Ok(client.query(&statement, &params).await?)
    })
    .await?;
    rows.iter().map(decode).collect()
}

/// Up to `limit` events tagged `tag` from `from` on.
pub(crate) async fn tagged(
    pool: &Pool,
    registry: i32,
    tag: Uuid,
    from: u64,
    limit: usize,
) -> Result<Vec<StoredEvent>, StoreError> {
    let rows = retrying("reading a tag's events", || async {
        let client = pool.get().await?;
        let statement = client.prepare_cached(READ_TAG).await?;
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 4] = [
            &registry,
            &tag,
            &to_sql_position(from),
            &to_sql_limit(limit),
        ];
        Ok(client.query(&statement, &params).await?)
    })
    .await?;
    rows.iter().map(decode).collect()
}

/// The head as of the last commit.
pub(crate) async fn head(pool: &Pool, registry: i32) -> Result<Head, StoreError> {
    let row = retrying("reading the head", || async {
        let client = pool.get().await?;
        let statement = client.prepare_cached(READ_HEAD).await?;
        Ok(client.query_one(&statement, &[&registry]).await?)
    })
    .await?;
    let position = from_sql_position(row.get(0));
    let hash =
        hash32(row.get(1)).ok_or_else(|| corrupt(position, "the head's hash is not 32 bytes"))?;
    Ok(Head { position, hash })
}

/// Where a command's batch landed, if it is in the log.
pub(crate) async fn command(
    pool: &Pool,
    registry: i32,
    id: &CommandId,
) -> Result<Option<(u64, u64)>, StoreError> {
    let row = retrying("looking up a command id", || async {
        let client = pool.get().await?;
        let statement = client.prepare_cached(FIND_COMMAND).await?;
        Ok(client
            .query_opt(&statement, &[&registry, &id.as_str()])
            .await?)
    })
    .await?;
    Ok(row.map(|r| (from_sql_position(r.get(0)), from_sql_position(r.get(1)))))
}

/// A row of `(position, prev_hash, hash, stored)` back into a stored event. Hashes are not
/// checked here (that is `verify`'s job); bytes that are not a stored event are corruption.
fn decode(row: &Row) -> Result<StoredEvent, StoreError> {
    let position = from_sql_position(row.get(0));
    let prev_hash =
        hash32(row.get(1)).ok_or_else(|| corrupt(position, "prev_hash is not 32 bytes"))?;
    let hash = hash32(row.get(2)).ok_or_else(|| corrupt(position, "hash is not 32 bytes"))?;
    let stored: Vec<u8> = row.get(3);
    StoredEvent::from_stored(stored, prev_hash, hash).map_err(|e| corrupt(position, &e.to_string()))
}

fn corrupt(position: u64, detail: &str) -> StoreError {
    StoreError::Corrupt {
        position,
        detail: detail.to_string(),
    }
}

pub(crate) fn hash32(bytes: &[u8]) -> Option<[u8; 32]> {
    bytes.try_into().ok()
}

/// Positions are `bigint` in PostgreSQL. A log never nears 2^63 events; a larger `from` is
/// clamped, which reads nothing, as it should.
pub(crate) fn to_sql_position(position: u64) -> i64 {
    i64::try_from(position).unwrap_or(i64::MAX)
}

pub(crate) fn from_sql_position(position: i64) -> u64 {
    u64::try_from(position).expect("positions are checked >= 0 by the schema")
}

fn to_sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}
