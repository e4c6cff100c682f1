//! sijill over HTTP: the JSON API under `/v1`, bearer-token roles, the live event stream,
//! and the OpenAPI document.
//!
//! ```text
//! request ─▶ trace ─▶ body limit ─▶ timeout (streams excepted) ─▶ route
//!    route: role extractor (401/403) ─▶ input extractors (400, naming the field)
//!           ─▶ Engine (submit | query | store stream) ─▶ JSON + Sijill-Position
//! ```
//!
//! - [`app`] builds the whole router from an [`AppState`] (an opened `Engine` plus the
//!   [`auth::Auth`]), so tests drive it without a socket.
//! - [`serve`] binds, prints the URL (and the demo tokens), serves until SIGINT or SIGTERM,
//!   then shuts down gracefully: stop accepting, end the streams, finish in-flight
//!   requests, then `Engine::shutdown` (every acknowledged command is already durable).
//!
//! Architecture invariant: the server holds no rule and no state of its own. It
//! authenticates, parses, asks the engine, and renders; every answer says the log position it
//! reflects. Errors are one [`ApiError`] enum with one `IntoResponse`, which never sends an
//! internal cause to the caller.

pub mod api;
pub mod auth;
mod error;
mod extract;
pub mod limits;
mod options;
mod state;
pub mod web;

#[cfg(test)]
mod tests;

use std::net::SocketAddr;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{Method, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use sijill_engine::Engine;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

pub use error::{ApiError, ErrorBody};
pub use options::ServeOptions;
pub use state::AppState;

use auth::{new_token, Auth, NewToken, Role, TokenFileError, Tokens};
use limits::{REQUEST_BODY_BYTES_MAX, REQUEST_TIMEOUT, SHUTDOWN_GRACE};

/// The whole HTTP application: the API under `/v1`, the web registry's pages beside it, and
/// the shared layers.
pub fn app(state: AppState) -> Router {
    let (api, _) = api::router();
    Router::new()
        .merge(api)
        .merge(web::router())
        .fallback(|uri: Uri| async move { ApiError::NoRoute(uri.path().to_owned()) })
        .method_not_allowed_fallback(|method: Method| async move {
            ApiError::MethodNotAllowed(method.to_string())
        })
        .layer(middleware::from_fn(bounded))
        .layer(DefaultBodyLimit::max(REQUEST_BODY_BYTES_MAX))
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("a request handler panicked");
            ApiError::Internal.into_response()
        }))
        // The default spans hold the method and the path, never headers (tokens stay out).
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Paths whose responses stream for as long as the client wants: no request timeout.
const STREAMING_PATHS: [&str; 2] = ["/v1/events/stream", "/v1/export"];

/// Bounds every request but the streams by [`REQUEST_TIMEOUT`].
async fn bounded(request: Request, next: Next) -> Response {
    if STREAMING_PATHS.contains(&request.uri().path()) {
        return next.run(request).await;
    }
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Unavailable {
            code: "timeout",
            message: format!(
                "the request took longer than REQUEST_TIMEOUT ({} s); a command may still be \
                 recorded: retry it with the same command_id",
                REQUEST_TIMEOUT.as_secs()
            ),
        }
        .into_response(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Tokens(#[from] TokenFileError),
    #[error("cannot listen on {address}: {source}; choose another address with --listen")]
    Bind {
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error("serving failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("nobody could use this server: give --tokens FILE (see docs/api.md), --anonymous-read, or --demo")]
    NoAccess,
}

/// The tokens a demo server makes at start: one per role, printed once.
pub fn demo_tokens() -> Vec<NewToken> {
    [
        ("demo-reader", Role::Reader),
        ("demo-registrar", Role::Registrar),
        ("demo-admin", Role::Admin),
    ]
    .into_iter()
    .map(|(name, role)| new_token(name, role).expect("demo token names are valid"))
    .collect()
}

/// Serves `engine` until SIGINT or SIGTERM, then shuts down gracefully (see the crate docs).
/// The caller opens the engine (and, for `--demo`, records the founding example first).
pub async fn serve(engine: Engine, options: ServeOptions) -> Result<(), ServeError> {
    let mut tokens = match &options.tokens {
        Some(path) => Tokens::load(path)?,
        None => Tokens::default(),
    };
    let demo = if options.demo {
        demo_tokens()
    } else {
        Vec::new()
    };
    for new in &demo {
        tokens.insert(new.hash, new.principal.clone());
    }
    if tokens.is_empty() && !options.anonymous_read {
        return Err(ServeError::NoAccess);
    }
    let listener = TcpListener::bind(options.listen)
        .await
        .map_err(|source| ServeError::Bind {
            address: options.listen,
            source,
        })?;
    announce(listener.local_addr()?, &demo);
    let state = AppState::new(
        engine.clone(),
        Auth {
            tokens,
            anonymous_read: options.anonymous_read,
        },
    );
    let stop = state.shutdown().clone();
    tokio::spawn(cancel_on_signal(stop.clone()));
    let result = run(listener, state, stop).await;
    engine.shutdown().await;
    tracing::info!("stopped");
    result
}

/// Serves until `stop` is cancelled, then waits at most [`SHUTDOWN_GRACE`] for in-flight
/// requests.
async fn run(
    listener: TcpListener,
    state: AppState,
    stop: CancellationToken,
) -> Result<(), ServeError> {
    let server =
        axum::serve(listener, app(state)).with_graceful_shutdown(stop.clone().cancelled_owned());
    let grace = async {
        stop.cancelled().await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        result = server => Ok(result?),
        () = grace => {
            tracing::warn!("requests still running {} s after shutdown began: exiting anyway", SHUTDOWN_GRACE.as_secs());
            Ok(())
        }
    }
}

async fn cancel_on_signal(stop: CancellationToken) {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
    stop.cancel();
}

/// Prints where the server listens and, in demo mode, its tokens: the only time they are
/// shown (only their hashes are kept).
fn announce(address: SocketAddr, demo: &[NewToken]) {
    println!("sijill is serving http://{address} (API under /v1, OpenAPI at /v1/openapi.json)");
    println!("web registry: open http://{address}/ in a browser and sign in with a token");
    if demo.is_empty() {
        return;
    }
    println!("demo tokens (shown once; the server keeps only their hashes):");
    for new in demo {
        println!("  {:<10} {}", new.principal.role.as_str(), new.token);
    }
    if let Some(reader) = demo.first() {
        println!(
            "try: curl -H 'Authorization: Bearer {}' http://{address}/v1/tree",
            reader.token
        );
    }
}
