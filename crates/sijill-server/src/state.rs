//! What every handler shares: the engine, the authentication, and the shutdown signal.

use std::sync::Arc;

use axum::extract::FromRef;
use sijill_engine::Engine;
use tokio_util::sync::CancellationToken;

use crate::api::AnswerCache;
use crate::auth::Auth;

/// The server's shared state. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    engine: Engine,
    auth: Arc<Auth>,
    shutdown: CancellationToken,
    answers: Arc<AnswerCache>,
}

impl AppState {
    pub fn new(engine: Engine, auth: Auth) -> AppState {
        AppState {
            engine,
            auth: Arc::new(auth),
            shutdown: CancellationToken::new(),
            answers: Arc::default(),
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    /// Rendered answers at the current position.
    pub fn answers(&self) -> &AnswerCache {
        &self.answers
    }

    /// Cancelled when the server starts shutting down: long-lived responses (the event
    /// stream, exports) end on it, so that graceful shutdown does not wait for them forever.
    pub fn shutdown(&self) -> &CancellationToken {
        &self.shutdown
    }
}

impl FromRef<AppState> for Arc<Auth> {
    fn from_ref(state: &AppState) -> Arc<Auth> {
        Arc::clone(&state.auth)
    }
}
