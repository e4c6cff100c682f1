//! The log as stored: the live stream and the export (pages and verification are queries).
//!
//! Events travel in the export's line format, `{"hash", "prev_hash", "event": <stored
//! bytes>}`, byte for byte: what a client receives is what was hashed, so it can check the
//! chain itself, and the server copies bytes instead of re-encoding them.

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use futures::stream::{self, StreamExt};
use sijill_store::transfer::{export_line, EXPORT_PAGE_EVENTS};
use sijill_store::{StoreError, StoredEvent};

use crate::api::POSITION_HEADER;
use crate::auth::{AsAdmin, AsReader};
use crate::error::{ApiError, ErrorBody};
use crate::extract::Params;
use crate::limits::{SSE_CHUNK_EVENTS, SSE_KEEP_ALIVE};
use crate::state::AppState;

fn raw_headers(response: &mut Response, content_type: &'static str, position: u64) {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(POSITION_HEADER, HeaderValue::from(position));
}

/// One event in the export's line format, without the line feed.
fn push_line(event: &StoredEvent, out: &mut Vec<u8>) {
    export_line(event, out);
    out.pop();
}

/// Every event from a position on, then each new one as it is recorded, as Server-Sent
/// Events (`id` = position, `event` = type, `data` = the export line). Resume after a
/// disconnect with `Last-Event-ID`: the stream starts right after it, with no gap and no
/// duplicate.
#[utoipa::path(
    get,
    path = "/v1/events/stream",
    tag = "log",
    params(
        ("from" = Option<u64>, Query, description = "First position (default 1); `Last-Event-ID` wins over it"),
        ("Last-Event-ID" = Option<u64>, Header, description = "The last position received: the stream resumes after it"),
    ),
    responses(
        (status = 200, description = "A `text/event-stream` that never ends by itself", content_type = "text/event-stream", body = String),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    ),
    security((), ("bearer" = []))
)]
pub async fn get_event_stream(
    State(state): State<AppState>,
    _: AsReader,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, ApiError> {
    let params = params.allow(&["from"])?;
    let from = match last_event_id(&headers)? {
        Some(last) => last.saturating_add(1),
        None => params.get::<u64>("from")?.unwrap_or(1).max(1),
    };
    let events = state
        .engine()
        .store()
        .subscribe(from)
        .ready_chunks(SSE_CHUNK_EVENTS);
    // Ends after telling the client of a store error (it resumes with Last-Event-ID).
    let events = events.scan(false, |failed, chunk| {
        futures::future::ready((!*failed).then(|| sse_chunk(chunk, failed)))
    });
    // Keep-alive comments interleave with whole chunks, never inside an event.
    let ticks = stream::unfold((), |()| async {
        tokio::time::sleep(SSE_KEEP_ALIVE).await;
        Some((Bytes::from_static(b": keep-alive\n\n"), ()))
    });
    let ended = stream::once(futures::future::ready(None));
    let body = stream::select(events.map(Some).chain(ended), ticks.map(Some))
        .take_while(|item| futures::future::ready(item.is_some()))
        .filter_map(|item| futures::future::ready(item.map(Ok::<_, Infallible>)))
        .take_until(state.shutdown().clone().cancelled_owned());
    let mut response = Body::from_stream(body).into_response();
    raw_headers(&mut response, "text/event-stream", from.saturating_sub(1));
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

fn last_event_id(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(value) = headers.get("last-event-id") else {
        return Ok(None);
    };
    let parsed = value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok());
    match parsed {
        Some(position) => Ok(Some(position)),
        None => Err(ApiError::bad_request(
            "Last-Event-ID must be a log position (a number)",
            "Last-Event-ID",
        )),
    }
}

/// The SSE text of the events ready at once, as one body chunk: many events per write,
/// because a stream catching up on a long log is bound by per-write costs, not by bytes.
fn sse_chunk(chunk: Vec<Result<StoredEvent, StoreError>>, failed: &mut bool) -> Bytes {
    let mut text = Vec::with_capacity(chunk.len() * 700);
    for item in chunk {
        match item {
            Ok(event) => push_sse_event(&event, &mut text),
            Err(e) => {
                tracing::error!(error = %e, "event stream failed");
                text.extend_from_slice(
                    b"event: error\ndata: the stream failed: reconnect with Last-Event-ID\n\n",
                );
                *failed = true;
                break;
            }
        }
    }
    Bytes::from(text)
}

/// `id: <position>`, `event: <type>`, `data: <export line>`. Stored bytes are compact JSON
/// (no line feed), so the data fits one `data:` line.
fn push_sse_event(event: &StoredEvent, out: &mut Vec<u8>) {
    out.extend_from_slice(
        format!(
            "id: {}\nevent: {}\ndata: ",
            event.position(),
            event.event_type()
        )
        .as_bytes(),
    );
    push_line(event, out);
    out.extend_from_slice(b"\n\n");
}

/// The whole log, up to its head when the request arrived, as JSON Lines (the format of
/// `sijill export`, which `sijill import` reads). Streamed page by page in constant memory.
#[utoipa::path(
    get,
    path = "/v1/export",
    tag = "log",
    responses(
        (status = 200, description = "JSON Lines, one stored event per line", content_type = "application/jsonl", body = String),
        (status = 401, body = ErrorBody), (status = 403, description = "Needs the admin role", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_export(
    State(state): State<AppState>,
    _: AsAdmin,
    params: Params,
) -> Result<Response, ApiError> {
    params.allow(&[])?;
    let store = std::sync::Arc::clone(state.engine().store());
    let head = store
        .head()
        .await
        .map_err(|e| ApiError::internal("reading the log head", &e))?
        .position;
    let pages = stream::unfold(1u64, move |next| {
        let store = std::sync::Arc::clone(&store);
        async move {
            if next > head {
                return None;
            }
            let want = (head - next + 1).min(EXPORT_PAGE_EVENTS as u64) as usize;
            match store.read(next, want).await {
                Ok(page) if page.first().map(StoredEvent::position) == Some(next) => {
                    let mut bytes = Vec::with_capacity(page.len() * 512);
                    page.iter().for_each(|event| export_line(event, &mut bytes));
                    Some((Ok(Bytes::from(bytes)), next + page.len() as u64))
                }
                Ok(_) => Some((Err(std::io::Error::other("the log ended early")), head + 1)),
                Err(e) => {
                    tracing::error!(error = %e, "export failed");
                    Some((Err(std::io::Error::other("export failed")), head + 1))
                }
            }
        }
    });
    // A broken export is cut short (the client sees a truncated body, never a false end).
    let pages = pages.take_until(state.shutdown().clone().cancelled_owned());
    let mut response = Body::from_stream(pages).into_response();
    raw_headers(&mut response, "application/jsonl", head);
    Ok(response)
}
