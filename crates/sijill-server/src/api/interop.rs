//! `GET /v1/export/{format}`: the registry in an interchange format (Popolo, ORG as JSON-LD
//! or Turtle, CSV rosters, Graphviz), streamed as it is written.
//!
//! The writers in `sijill-interop` are synchronous and write to an `io::Write`; here one runs
//! on a blocking thread and writes into a bounded channel whose other end is the response
//! body, so the server never holds a whole export in memory and a client that goes away
//! stops the writer (its next write fails).

use std::io::{self, Write};
use std::str::FromStr;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use sijill_domain::{AsOf, EdtfDate, Registry};
use sijill_interop::{BodyRefError, Format, Provenance, Selection};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use crate::api::POSITION_HEADER;
use crate::auth::AsReader;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Params;
use crate::state::AppState;

/// Bytes gathered before a chunk is handed to the response body.
const CHUNK_BYTES: usize = 64 * 1024;
/// Chunks in flight between the writer and a slow client (bounds the memory an export
/// holds: CHUNK_BYTES × CHANNEL_CHUNKS).
const CHANNEL_CHUNKS: usize = 16;

/// The registry in an interchange format: `popolo`, `org-jsonld`, `org-turtle`, `csv` or
/// `dot` (the names of `sijill export --format`). Popolo and ORG carry everything, or the
/// structure as of `as_of`; CSV is one row per mandate (every body's, or `body`'s); DOT
/// draws the tree, or `body`'s posts and holders, as of `as_of` (today by default).
#[utoipa::path(
    get,
    path = "/v1/export/{format}",
    tag = "log",
    params(
        ("format" = String, Path, description = "popolo, org-jsonld, org-turtle, csv or dot"),
        ("as_of" = Option<String>, Query, description = "Export the structure as of this date (EDTF)"),
        ("as_recorded_at" = Option<u64>, Query, description = "Export the registry as it stood after its first N events"),
        ("body" = Option<String>, Query, description = "CSV and DOT only: one body (`@handle` or id)"),
    ),
    responses(
        (status = 200, description = "The export, streamed; `Sijill-Position` is the position it reflects",
         content(
            (String = "application/json"), (String = "application/ld+json"),
            (String = "text/turtle"), (String = "text/csv"), (String = "text/vnd.graphviz"),
         )),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such format, body, or position", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security((), ("bearer" = []))
)]
pub async fn get_interop_export(
    State(state): State<AppState>,
    _: AsReader,
    Path(format): Path<String>,
    params: Params,
) -> Result<Response, ApiError> {
    let format = Format::from_str(&format)
        .map_err(|e| ApiError::not_found(e.to_string(), Some("format")))?;
    let params = params.allow(&["as_of", "as_recorded_at", "body"])?;
    let as_of: Option<EdtfDate> = params.get("as_of")?;
    let as_recorded_at: Option<u64> = params.get("as_recorded_at")?;
    let body: Option<String> = params.get("body")?;
    let engine = state.engine();
    let snapshot = match as_recorded_at {
        Some(position) => engine.as_recorded_at(position).await?,
        None => engine.snapshot(),
    };
    let registry = snapshot.registry;
    let body = match (&body, format) {
        (None, _) => None,
        (Some(text), Format::Csv | Format::Dot) => Some(body_id(&registry, text)?),
        (Some(_), _) => {
            let message = format!("body selects one body in csv and dot only; {format} exports the whole registry: drop body");
            return Err(ApiError::bad_request(message, "body"));
        }
    };
    let provenance = match format.uses_provenance() {
        true => Some(
            Provenance::from_store(engine.store().as_ref(), &registry)
                .await
                .map_err(|e| ApiError::internal("reading the log's provenance", &e))?,
        ),
        false => None,
    };
    // A picture shows one day: today unless asked otherwise (as the CLI does).
    let as_of = match (as_of, format) {
        (Some(date), _) => Some(AsOf::date(date)),
        (None, Format::Dot) => Some(AsOf::today(Utc::now())),
        (None, _) => None,
    };
    let selection = Selection { as_of, body };
    let (sender, receiver) = mpsc::channel(CHANNEL_CHUNKS);
    tokio::task::spawn_blocking(move || {
        let mut writer = ChunkWriter {
            sender,
            buffer: Vec::with_capacity(CHUNK_BYTES),
        };
        let written = sijill_interop::write(
            format,
            &registry,
            provenance.as_ref(),
            &selection,
            &mut writer,
        )
        .and_then(|()| writer.flush());
        if let Err(e) = written {
            if e.kind() != io::ErrorKind::BrokenPipe {
                tracing::error!(error = %e, %format, "export failed");
                // The client sees a truncated body, never a false end.
                let _ = writer.sender.blocking_send(Err(e));
            }
        }
    });
    let mut response = Body::from_stream(ReceiverStream::new(receiver)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.media_type()),
    );
    headers.insert(POSITION_HEADER, HeaderValue::from(snapshot.position));
    Ok(response)
}

fn body_id(registry: &Registry, text: &str) -> Result<sijill_domain::BodyId, ApiError> {
    sijill_interop::body_of(registry, text).map_err(|e| match e {
        BodyRefError::Malformed(e) => ApiError::bad_request(format!("body: {e}"), "body"),
        BodyRefError::NotABody { .. } => ApiError::bad_request(e.to_string(), "body"),
        BodyRefError::Missing(_) => ApiError::not_found(e.to_string(), Some("body")),
    })
}

/// An `io::Write` that hands full chunks to the response body.
struct ChunkWriter {
    sender: mpsc::Sender<Result<Bytes, io::Error>>,
    buffer: Vec<u8>,
}

impl ChunkWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK_BYTES));
        self.sender
            .blocking_send(Ok(Bytes::from(chunk)))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

impl Write for ChunkWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK_BYTES {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}
