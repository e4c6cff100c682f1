//! Following other servers' commits: LISTEN on a dedicated connection, plus a poll of the
//! head every `poll_interval`.
//!
//! Both only raise the announced durable head; subscriptions (`sijill_store::follow`) then
//! read from the next position they owe, so a notification that arrives twice, late or never
//! causes neither a duplicate nor a gap. LISTEN is issued before the first poll of each
//! connection, so a commit is either seen by that poll or notified afterwards.

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::Pool;
use futures::StreamExt;
use tokio::sync::{oneshot, watch};
use tokio_postgres::{AsyncMessage, NoTls};

use crate::error::describe;
use crate::schema::HEADS_CHANNEL;
use crate::writer::announce;

/// `application_name` of the LISTEN connection, so an operator can tell it apart.
pub const LISTEN_APPLICATION_NAME: &str = "sijill-listen";

/// Wait before reopening a lost LISTEN connection; the head is polled meanwhile.
pub const LISTEN_RETRY_INTERVAL: Duration = Duration::from_secs(1);

/// Longest wait between attempts when LISTEN keeps failing (a database without it):
/// attempts back off from `LISTEN_RETRY_INTERVAL`, doubling, while polling goes on.
pub const LISTEN_RETRY_INTERVAL_MAX: Duration = Duration::from_secs(60);

pub(crate) struct Watcher {
    pub pg_config: tokio_postgres::Config,
    pub pool: Pool,
    pub registry: i32,
    pub heads: Arc<watch::Sender<u64>>,
    pub poll_interval: Duration,
}

impl Watcher {
    /// Runs until `shutdown` fires or its sender is dropped (the store was dropped).
    pub(crate) async fn run(mut self, mut shutdown: oneshot::Receiver<()>) {
        self.pg_config.application_name(LISTEN_APPLICATION_NAME);
        let mut retry = LISTEN_RETRY_INTERVAL;
        loop {
            let listened = tokio::select! {
                _ = &mut shutdown => return,
                listened = self.session() => listened,
            };
            // A server without LISTEN is not asked again every second; one that had it is.
            retry = if listened {
                LISTEN_RETRY_INTERVAL
            } else {
                (retry * 2).min(LISTEN_RETRY_INTERVAL_MAX)
            };
            tokio::select! {
                _ = &mut shutdown => return,
                () = self.poll_for(retry) => {}
            }
        }
    }

    /// Polls every `poll_interval` (and at once: commits may have gone unnotified while the
    /// connection was failing) for `duration`.
    async fn poll_for(&self, duration: Duration) {
        let until = tokio::time::Instant::now() + duration;
        loop {
            self.poll().await;
            let now = tokio::time::Instant::now();
            if now >= until {
                return;
            }
            tokio::time::sleep(self.poll_interval.min(until - now)).await;
        }
    }

    /// One LISTEN connection's life; returns when it fails or ends, saying whether LISTEN
    /// had succeeded.
    async fn session(&self) -> bool {
        let (client, mut connection) = match self.pg_config.connect(NoTls).await {
            Ok(pair) => pair,
            Err(e) => {
                tracing::warn!(
                    detail = describe(&e),
                    "cannot open the LISTEN connection; polling the head"
                );
                return false;
            }
        };
        let heads = Arc::clone(&self.heads);
        let registry = self.registry;
        let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
        // Drives the connection (LISTEN's reply comes through it) and handles notifications.
        let mut forward = AbortOnDrop(tokio::spawn(async move {
            while let Some(message) = messages.next().await {
                match message {
                    Ok(AsyncMessage::Notification(n)) => {
                        if let Some(head) = parse_notification(n.payload(), registry) {
                            announce(&heads, head);
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(detail = describe(&e), "the LISTEN connection failed");
                        return;
                    }
                }
            }
        }));
        if let Err(e) = client
            .batch_execute(&format!("LISTEN {HEADS_CHANNEL}"))
            .await
        {
            tracing::warn!(detail = describe(&e), "LISTEN failed; polling the head");
            return false;
        }
        let mut ticks = tokio::time::interval(self.poll_interval);
        loop {
            tokio::select! {
                _ = &mut forward.0 => return true,
                _ = ticks.tick() => self.poll().await,
            }
        }
    }

    async fn poll(&self) {
        match crate::read::head(&self.pool, self.registry).await {
            Ok(head) => announce(&self.heads, head.position),
            Err(e) => tracing::warn!(detail = %e, "polling the head failed"),
        }
    }
}

/// Stops the task when the session that started it ends (for instance at shutdown).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// `<registry id>:<head>` for this registry, or `None` for another registry's (or a
/// malformed) payload.
fn parse_notification(payload: &str, registry: i32) -> Option<u64> {
    let (id, head) = payload.split_once(':')?;
    (id.parse::<i32>().ok()? == registry).then_some(())?;
    head.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifications_of_other_registries_are_ignored() {
        let payloads = ["7:42", "8:42", "7:", "7", "7:x", ""];
        let got: Vec<Option<u64>> = payloads.iter().map(|p| parse_notification(p, 7)).collect();
        assert_eq!(got, [Some(42), None, None, None, None, None]);
    }
}
