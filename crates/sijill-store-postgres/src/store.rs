//! `PostgresStore`: the `EventStore` contract over PostgreSQL.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use async_trait::async_trait;
use deadpool_postgres::Pool;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::FutureExt;
use sijill_store::limits::OPEN_VERIFY_TAIL_EVENTS;
use sijill_store::validate::{validate_batches, validate_page};
use sijill_store::{
    follow, hash_to_hex, verify_chain, AppendError, Appended, CommandId, EventStore, Head,
    NewBatch, PageReader, StoreError, StoredEvent,
};
use tokio::sync::{mpsc, oneshot, watch};
use uuid::Uuid;

use crate::config::{target, validate_registry_name, PostgresConfig};
use crate::error::{Fail, PostgresError};
use crate::listen::Watcher;
use crate::plan::{Done, Work};
use crate::schema::{self, OpenFail};
use crate::writer::{self, Job, Writer, WRITE_QUEUE_JOBS_MAX};

/// The log of one registry in a PostgreSQL database. Clones share the pool, the writer and
/// the subscriptions; the background tasks stop when the last clone is dropped.
#[derive(Clone)]
pub struct PostgresStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    registry: i32,
    name: String,
    target: String,
    queue: mpsc::Sender<Job>,
    heads: Arc<watch::Sender<u64>>,
    /// Dropped with the store, which stops the LISTEN task.
    _shutdown: oneshot::Sender<()>,
}

impl PostgresStore {
    /// Opens registry `registry` in the database at `url` (`postgres://user@host:port/db`),
    /// with the defaults of [`PostgresConfig`]. Creates the schema and the registry on first
    /// use; refuses a database whose schema is newer than this code.
    pub async fn open(url: &str, registry: &str) -> Result<PostgresStore, StoreError> {
        Self::open_with(PostgresConfig::new(url), registry).await
    }

    /// [`PostgresStore::open`] with explicit pool size, timeouts and poll interval.
    pub async fn open_with(
        config: PostgresConfig,
        registry: &str,
    ) -> Result<PostgresStore, StoreError> {
        validate_registry_name(registry)?;
        let pg_config = config.pg_config()?;
        let target = target(&pg_config);
        let pool = config.pool(pg_config.clone())?;
        let registry_id = prepare(&pool, &target, registry, config.create_registry()).await?;
        let head = crate::read::head(&pool, registry_id).await?;
        let heads = Arc::new(watch::channel(head.position).0);
        let queue = writer::spawn(Writer {
            pool: pool.clone(),
            registry: registry_id,
            heads: Arc::clone(&heads),
        });
        let (shutdown, stopped) = oneshot::channel();
        let watcher = Watcher {
            pg_config,
            pool: pool.clone(),
            registry: registry_id,
            heads: Arc::clone(&heads),
            poll_interval: config.poll_interval(),
        };
        tokio::spawn(watcher.run(stopped));
        let inner = Inner {
            pool,
            registry: registry_id,
            name: registry.to_string(),
            target,
            queue,
            heads,
            _shutdown: shutdown,
        };
        let store = PostgresStore {
            inner: Arc::new(inner),
        };
        store.check_tail(head).await?;
        Ok(store)
    }

    /// The registry's name.
    pub fn registry(&self) -> &str {
        &self.inner.name
    }

    /// Queues an append for the group-commit writer and returns its result as a future.
    ///
    /// Unlike `append_group`, the job is queued when this returns, so calls are committed in
    /// call order: a single writer can keep several appends in flight, passing as
    /// `expected_head` the head the previous one will leave (if that one fails, the later
    /// ones get a conflict). Refuses at once when `WRITE_QUEUE_JOBS_MAX` jobs are waiting.
    pub fn queue_group(&self, batches: Vec<NewBatch>, expected_head: u64) -> PendingAppend {
        if let Err(e) = validate_batches(&batches) {
            return PendingAppend(futures::future::ready(Err(e)).boxed());
        }
        let (reply, answer) = oneshot::channel();
        let job = Job {
            work: Work::Group {
                batches,
                expected_head,
            },
            reply,
        };
        if let Err(e) = self.inner.queue.try_send(job) {
            let error = match e {
                mpsc::error::TrySendError::Full(_) => StoreError::Backend(format!(
                    "{WRITE_QUEUE_JOBS_MAX} appends are already waiting (WRITE_QUEUE_JOBS_MAX); wait for some to finish"
                )),
                mpsc::error::TrySendError::Closed(_) => StoreError::Closed,
            };
            return PendingAppend(futures::future::ready(Err(error.into())).boxed());
        }
        PendingAppend(async move { group_result(answer.await) }.boxed())
    }

    async fn submit(&self, work: Work) -> Result<Done, AppendError> {
        let (reply, answer) = oneshot::channel();
        self.inner
            .queue
            .send(Job { work, reply })
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Re-verifies the chain over the last `OPEN_VERIFY_TAIL_EVENTS` events and checks that
    /// the head row names the last event, so a damaged log is refused before it is served.
    async fn check_tail(&self, head: Head) -> Result<(), StoreError> {
        if head.position == 0 {
            return Ok(());
        }
        let from = head.position.saturating_sub(OPEN_VERIFY_TAIL_EVENTS) + 1;
        let report = verify_chain(self, from, Some(head.position)).await?;
        if let Some(bad) = report.first_bad {
            return Err(StoreError::Corrupt {
                position: bad.position,
                detail: bad.problem.to_string(),
            });
        }
        let after = self.read(head.position, 2).await?;
        let consistent = after.len() == 1 && after[0].hash() == head.hash;
        if !consistent {
            let detail = format!(
                "the head of registry {} says position {} with hash {}, which is not the last event of its log",
                self.inner.name,
                head.position,
                hash_to_hex(&head.hash)
            );
            return Err(StoreError::Corrupt {
                position: head.position,
                detail,
            });
        }
        Ok(())
    }
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("target", &self.inner.target)
            .field("registry", &self.inner.name)
            .finish_non_exhaustive()
    }
}

/// Connects, checks durability, migrates, and finds (or creates) the registry.
async fn prepare(
    pool: &Pool,
    target: &str,
    registry: &str,
    create: bool,
) -> Result<i32, StoreError> {
    let connect = |fail: Fail| PostgresError::Connect {
        target: target.to_string(),
        detail: fail.detail(),
    };
    let mut client = pool.get().await.map_err(|e| connect(e.into()))?;
    let result = async {
        schema::check_durability(&**client, target).await?;
        schema::migrate(&mut client, target).await?;
        match schema::registry_id(&**client, registry, create).await? {
            Some(id) => Ok(id),
            None => Err(OpenFail::Refused(PostgresError::NoRegistry {
                name: registry.to_string(),
                target: target.to_string(),
            })),
        }
    }
    .await;
    result.map_err(|e| match e {
        OpenFail::Refused(refused) => refused.into(),
        OpenFail::Fail(fail) => fail.into_store("preparing the schema"),
    })
}

fn group_result(
    answer: Result<Result<Done, AppendError>, oneshot::error::RecvError>,
) -> Result<Vec<Appended>, AppendError> {
    match answer.map_err(|_| StoreError::Closed)?? {
        Done::Group(results) => Ok(results),
        Done::Stored(_) => unreachable!("a group job is answered with group results"),
    }
}

/// The result of [`PostgresStore::queue_group`]: resolves once the append is durable (or
/// refused).
pub struct PendingAppend(BoxFuture<'static, Result<Vec<Appended>, AppendError>>);

impl Future for PendingAppend {
    type Output = Result<Vec<Appended>, AppendError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.as_mut().poll(cx)
    }
}

#[async_trait]
impl EventStore for PostgresStore {
    async fn append_group(
        &self,
        batches: Vec<NewBatch>,
        expected_head: u64,
    ) -> Result<Vec<Appended>, AppendError> {
        validate_batches(&batches)?;
        match self
            .submit(Work::Group {
                batches,
                expected_head,
            })
            .await?
        {
            Done::Group(results) => Ok(results),
            Done::Stored(_) => unreachable!("a group job is answered with group results"),
        }
    }

    async fn append_stored(
        &self,
        events: Vec<StoredEvent>,
        expected_head: u64,
    ) -> Result<Head, AppendError> {
        match self
            .submit(Work::Stored {
                events,
                expected_head,
            })
            .await?
        {
            Done::Stored(head) => Ok(head),
            Done::Group(_) => unreachable!("a stored job is answered with a head"),
        }
    }

    async fn find_command(&self, id: &CommandId) -> Result<Option<Appended>, StoreError> {
        let found = crate::read::command(&self.inner.pool, self.inner.registry, id).await?;
        Ok(found.map(|(first, last)| Appended {
            command_id: id.clone(),
            first,
            last,
            deduplicated: true,
        }))
    }

    async fn read(&self, from: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        validate_page(limit)?;
        crate::read::events(&self.inner.pool, self.inner.registry, from, limit).await
    }

    async fn read_tag(
        &self,
        tag: Uuid,
        from: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        validate_page(limit)?;
        crate::read::tagged(&self.inner.pool, self.inner.registry, tag, from, limit).await
    }

    async fn head(&self) -> Result<Head, StoreError> {
        crate::read::head(&self.inner.pool, self.inner.registry).await
    }

    fn subscribe(&self, from: u64) -> BoxStream<'static, Result<StoredEvent, StoreError>> {
        let reader = Reader {
            pool: self.inner.pool.clone(),
            registry: self.inner.registry,
        };
        follow(reader, self.inner.heads.subscribe(), from)
    }
}

/// What a subscription reads pages through. Holds the pool, not the store, so that dropping
/// the store ends its subscriptions.
struct Reader {
    pool: Pool,
    registry: i32,
}

impl PageReader for Reader {
    fn read_page(
        &self,
        from: u64,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<StoredEvent>, StoreError>> {
        crate::read::events(&self.pool, self.registry, from, limit).boxed()
    }
}
