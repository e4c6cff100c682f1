//! `POST /v1/commands`: record one command or an atomic batch.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use sijill_domain::Command;
use sijill_engine::Submission;
use sijill_store::CommandId;
use utoipa::ToSchema;

use crate::api::{respond, ReceiptDoc};
use crate::auth::AsRegistrar;
use crate::error::{ApiError, ErrorBody};
use crate::extract::JsonBody;
use crate::limits::{BATCH_COMMANDS_MAX, SOURCE_LEN_MAX};
use crate::state::AppState;

/// A batch of commands, recorded all or nothing under one command id.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandsRequest {
    /// 1 to `BATCH_COMMANDS_MAX` commands, each an object whose `command` names it
    /// (`register_person`, `found_body`, `start_mandate`, ...; see docs/events.md).
    #[schema(value_type = Vec<Object>, min_items = 1)]
    pub commands: Vec<Command>,
    /// The idempotency key (1 to 128 printable ASCII characters): re-sending a batch with a
    /// known command id returns the first receipt and records nothing. Without one, a
    /// retry records the batch again.
    #[serde(default)]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 128, pattern = "^[!-~]+$")]
    pub command_id: Option<CommandId>,
    /// The document the batch rests on (minutes, a press report, a decree).
    #[serde(default)]
    #[schema(max_length = 2048)]
    pub source: Option<String>,
}

/// Records a batch of commands. The caller's token name is the actor of every event.
#[utoipa::path(
    post,
    path = "/v1/commands",
    tag = "commands",
    request_body = CommandsRequest,
    responses(
        (status = 201, description = "Recorded", body = ReceiptDoc, headers(("Sijill-Position" = u64))),
        (status = 200, description = "Already recorded under this command id: the first receipt", body = ReceiptDoc),
        (status = 400, description = "Malformed batch (the field is named)", body = ErrorBody),
        (status = 401, description = "No token, or an unknown one", body = ErrorBody),
        (status = 403, description = "The token's role cannot record", body = ErrorBody),
        (status = 404, description = "A command names an entity or position that does not exist", body = ErrorBody),
        (status = 413, description = "Body larger than REQUEST_BODY_BYTES_MAX", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        (status = 422, description = "A command breaks a rule; nothing was recorded", body = ErrorBody),
        (status = 503, description = "Busy or shutting down; retry with the same command id", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn post_commands(
    State(state): State<AppState>,
    AsRegistrar(caller): AsRegistrar,
    JsonBody(request): JsonBody<CommandsRequest>,
) -> Result<Response, ApiError> {
    check(&request)?;
    let submission = Submission {
        commands: request.commands,
        command_id: request.command_id,
        actor: caller.actor().to_owned(),
        source: request.source,
    };
    let receipt = state.engine().submit(submission).await?;
    let status = if receipt.deduplicated {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok(respond(status, receipt.position, &receipt))
}

/// The limits the engine would otherwise refuse deeper down, named here by field.
fn check(request: &CommandsRequest) -> Result<(), ApiError> {
    let count = request.commands.len();
    if count == 0 || count > BATCH_COMMANDS_MAX {
        let message = format!(
            "commands holds {count} commands; a batch holds 1 to BATCH_COMMANDS_MAX \
             ({BATCH_COMMANDS_MAX}): split larger batches"
        );
        return Err(ApiError::bad_request(message, "commands"));
    }
    if let Some(source) = &request.source {
        if source.len() > SOURCE_LEN_MAX || source.trim().is_empty() {
            let message = format!("source must be 1 to SOURCE_LEN_MAX ({SOURCE_LEN_MAX}) bytes: cite the document briefly");
            return Err(ApiError::bad_request(message, "source"));
        }
    }
    Ok(())
}
