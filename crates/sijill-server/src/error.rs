//! `ApiError`: every way a request can fail, and the one place that turns it into a response.
//!
//! Every error body is `{"code": "...", "message": "...", "details": {...}}`: `code` is stable
//! and meant for programs, `message` for people, `details` names the field at fault
//! (`"field"`) or the command of a batch (`"index"`, `"command"`, `"rule"`). Errors a caller
//! can cause are 4xx; 5xx means the server or its store failed, and then the message says
//! only that (the cause goes to the server's log, never to the caller).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

use sijill_engine::EngineError;

use crate::auth::Role;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No credentials where they are needed.
    #[error("this needs a bearer token: send `Authorization: Bearer <token>`")]
    MissingToken,

    /// An `Authorization` header that is not a token the server knows.
    #[error("the bearer token is not valid: {0}")]
    InvalidToken(&'static str),

    #[error("this needs the {needed} role; the token's role is {have}")]
    Forbidden { needed: Role, have: Role },

    /// Malformed input: bad JSON, a wrong type, an unknown parameter, a bad date.
    #[error("{message}")]
    BadRequest {
        code: &'static str,
        message: String,
        field: Option<String>,
    },

    /// Something the request names is not in the registry.
    #[error("{message}")]
    NotFound {
        message: String,
        field: Option<String>,
        /// More about a refused command (`index`, `command`, `rule`, `reason`).
        details: Map<String, Value>,
    },

    /// A well-formed request that a rule refuses (`details` says which).
    #[error("{message}")]
    Unprocessable {
        code: &'static str,
        message: String,
        details: Map<String, Value>,
    },

    #[error(
        "the request body is larger than REQUEST_BODY_BYTES_MAX ({max} bytes): split the batch"
    )]
    PayloadTooLarge { max: usize },

    #[error("send the body as JSON, with `Content-Type: application/json`")]
    UnsupportedMediaType,

    #[error("no route {0}: see GET /v1/openapi.json for the API")]
    NoRoute(String),

    #[error("{0} is not allowed here: see GET /v1/openapi.json for the methods of this path")]
    MethodNotAllowed(String),

    /// The server cannot answer now (busy, lagging, shutting down); retrying later may work.
    #[error("{message}")]
    Unavailable { code: &'static str, message: String },

    /// The server or its store failed. The cause is logged, never sent.
    #[error("internal error")]
    Internal,
}

/// The JSON body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable, machine-readable: `bad_request`, `invalid_json`, `unauthenticated`,
    /// `invalid_token`, `forbidden`, `not_found`, a rule such as `seats_exceeded`, `unavailable`, ...
    pub code: String,
    /// For people: what was wrong and how to fix it.
    pub message: String,
    /// The field at fault (`field`), or the failing command (`index`, `command`, `rule`).
    #[schema(value_type = Object)]
    pub details: Map<String, Value>,
}

/// Seconds a client should wait before retrying a 503.
const RETRY_AFTER_SECONDS: &str = "1";

impl ApiError {
    pub fn bad_request(message: impl Into<String>, field: &str) -> ApiError {
        ApiError::BadRequest {
            code: "bad_request",
            message: message.into(),
            field: Some(field.into()),
        }
    }

    pub fn not_found(message: impl Into<String>, field: Option<&str>) -> ApiError {
        ApiError::NotFound {
            message: message.into(),
            field: field.map(Into::into),
            details: Map::new(),
        }
    }

    /// Logs an operating failure and hides it from the caller.
    pub fn internal(context: &str, error: &dyn std::fmt::Display) -> ApiError {
        tracing::error!(%error, "{context}");
        ApiError::Internal
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::MissingToken | ApiError::InvalidToken(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::NotFound { .. } | ApiError::NoRoute(_) => StatusCode::NOT_FOUND,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::MissingToken => "unauthenticated",
            ApiError::InvalidToken(_) => "invalid_token",
            ApiError::Forbidden { .. } => "forbidden",
            ApiError::BadRequest { code, .. } => code,
            ApiError::NotFound { .. } | ApiError::NoRoute(_) => "not_found",
            ApiError::Unprocessable { code, .. } => code,
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::Unavailable { code, .. } => code,
            ApiError::Internal => "internal",
        }
    }

    fn details(&self) -> Map<String, Value> {
        let field = |f: &Option<String>| match f {
            Some(f) => json!({ "field": f }),
            None => json!({}),
        };
        let value = match self {
            ApiError::BadRequest { field: f, .. } => field(f),
            ApiError::NotFound {
                field: f, details, ..
            } => {
                let mut map = details.clone();
                if let Value::Object(named) = field(f) {
                    map.extend(named);
                }
                return map;
            }
            ApiError::Unprocessable { details, .. } => return details.clone(),
            ApiError::Forbidden { needed, have } => json!({ "needed": needed, "role": have }),
            ApiError::PayloadTooLarge { max } => json!({ "max_bytes": max }),
            _ => json!({}),
        };
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = ErrorBody {
            code: self.code().into(),
            message: self.to_string(),
            details: self.details(),
        };
        let mut response = (status, Json(body)).into_response();
        let headers = response.headers_mut();
        match &self {
            // RFC 6750: name the scheme, and say when a token was refused.
            ApiError::MissingToken => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(r#"Bearer realm="sijill""#),
                );
            }
            ApiError::InvalidToken(_) => {
                let challenge = r#"Bearer realm="sijill", error="invalid_token""#;
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(challenge),
                );
            }
            ApiError::Unavailable { .. } => {
                headers.insert(
                    header::RETRY_AFTER,
                    HeaderValue::from_static(RETRY_AFTER_SECONDS),
                );
            }
            _ => {}
        }
        response
    }
}

impl From<EngineError> for ApiError {
    fn from(error: EngineError) -> ApiError {
        let message = error.to_string();
        match error {
            EngineError::Rejected {
                index,
                command,
                error,
            } => {
                let details: Map<String, Value> = [
                    ("index".to_string(), Value::from(index)),
                    ("command".to_string(), Value::from(command)),
                    ("rule".to_string(), Value::from(error.code())),
                    // The rule's own words, without the batch position around them, so a
                    // client (the CLI) can say where in its own input the command came from.
                    ("reason".to_string(), Value::from(error.to_string())),
                ]
                .into_iter()
                .collect();
                if error.is_not_found() {
                    return ApiError::NotFound {
                        message,
                        field: Some(format!("commands[{index}]")),
                        details,
                    };
                }
                ApiError::Unprocessable {
                    code: error.code(),
                    message,
                    details,
                }
            }
            EngineError::NotFound { .. } => ApiError::not_found(message, None),
            EngineError::BadRequest { .. } => ApiError::BadRequest {
                code: "bad_request",
                message,
                field: None,
            },
            EngineError::Conflict { .. }
            | EngineError::Busy { .. }
            | EngineError::Timeout { .. }
            | EngineError::ShuttingDown => ApiError::Unavailable {
                code: error.code(),
                message,
            },
            EngineError::OutcomeUnknown { command_id, .. } => {
                tracing::error!(cause = %message, "recording failed");
                let message = format!(
                    "the store failed while recording command {command_id}, and whether it was \
                     recorded is unknown: retry with the same command_id, which records it at most once"
                );
                ApiError::Unavailable {
                    code: "outcome_unknown",
                    message,
                }
            }
            EngineError::Store(_) | EngineError::Codec { .. } => {
                ApiError::internal("engine failed", &error)
            }
        }
    }
}
