//! The JSON API under `/v1`, and its OpenAPI document.
//!
//! Architecture invariant: every route of the API is registered through
//! [`OpenApiRouter::routes`] with the handler's `#[utoipa::path]`, so the router and the
//! document are built from the same attribute and cannot drift apart (a test checks it
//! from both sides). No handler is added with a bare `Router::route`.

mod cache;
mod commands;
mod interop;
mod log;
mod queries;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use cache::{AnswerCache, AnswerKey};

use crate::error::ErrorBody;
use crate::state::AppState;

/// The header that carries the log position a response reflects (also in the body).
pub const POSITION_HEADER: &str = "sijill-position";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "sijill",
        description = "An event-sourced organisational registry. Every response says the log \
                       position it reflects (`Sijill-Position`); queries take `min_position` \
                       to read their own writes. See docs/api.md.",
        license(name = "Apache-2.0")
    ),
    components(schemas(ErrorBody)),
    modifiers(&BearerScheme),
    tags(
        (name = "commands", description = "Recording"),
        (name = "queries", description = "The registry as of a date, as recorded at a position"),
        (name = "log", description = "The event log: pages, live stream, export, verification"),
        (name = "service", description = "Health and this document"),
    )
)]
struct ApiDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some(
                "A token from the server's token file (or printed by `sijill serve --demo`)",
            ));
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme.build()));
    }
}

/// The API's router and its OpenAPI document, built together.
pub fn router() -> (axum::Router<AppState>, OpenApiDoc) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(commands::post_commands))
        .routes(routes!(log::get_event_stream))
        .routes(routes!(log::get_export))
        .routes(routes!(interop::get_interop_export))
        .routes(routes!(get_health))
        .routes(routes!(get_openapi))
        .merge(queries::router())
        .split_for_parts()
}

/// The OpenAPI document of this API.
pub fn openapi() -> OpenApiDoc {
    router().1
}

/// A JSON response that reflects the log at `position` (header and body agree).
pub fn respond<T: Serialize>(status: StatusCode, position: u64, body: &T) -> Response {
    let mut response = (status, Json(body)).into_response();
    response
        .headers_mut()
        .insert(POSITION_HEADER, HeaderValue::from(position));
    response
}

/// Whether the server is up, and the position its state has reached.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the server answers.
    pub status: &'static str,
    pub position: u64,
    pub version: &'static str,
}

/// Liveness and the current position. Needs no token (for load balancers and monitors).
#[utoipa::path(
    get,
    path = "/v1/health",
    tag = "service",
    responses((status = 200, body = Health, headers(("Sijill-Position" = u64))))
)]
pub async fn get_health(State(state): State<AppState>) -> Response {
    let position = state.engine().snapshot().position;
    let health = Health {
        status: "ok",
        position,
        version: env!("CARGO_PKG_VERSION"),
    };
    respond(StatusCode::OK, position, &health)
}

/// This document. Needs no token: the contract is public, the data is not.
#[utoipa::path(
    get,
    path = "/v1/openapi.json",
    tag = "service",
    responses((status = 200, description = "OpenAPI 3.1 document", body = Object))
)]
pub async fn get_openapi() -> Response {
    static DOCUMENT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let text = DOCUMENT.get_or_init(|| {
        openapi()
            .to_json()
            .expect("the OpenAPI document serializes")
    });
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        text.as_str(),
    )
        .into_response()
}

/// The shape of a receipt (`sijill_engine::Receipt`), for the document.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ReceiptDoc {
    command_id: String,
    /// Positions of the batch's events, `first..=last`.
    first: u64,
    last: u64,
    /// Pass as `min_position` to read this write.
    position: u64,
    /// The entities created, in order, each `{"<kind>": "<uuid>"}`.
    #[schema(value_type = Vec<Object>)]
    created: Vec<serde_json::Value>,
    /// True when the command id was already recorded (nothing appended).
    deduplicated: bool,
}
