//! A registry behind `sijill serve`, reached over HTTP: `--server URL --token T` (or
//! `SIJILL_SERVER` and `SIJILL_TOKEN`). Requests are the same `Submission`s and `Query`s a
//! local registry takes, sent as the JSON the server's `/v1` API reads, and answers come
//! back as the same typed `Receipt`s and `Answer`s, so the output cannot tell the two apart.
//!
//! Two differences are deliberate: the server records its token's name as the actor (a
//! client cannot claim to be someone else), and it is the server that holds the log, so
//! commands that make or move a data folder (`init`, `import --format log`, `serve`,
//! `copy-log`) refuse `--server`.

use std::io::Write;
use std::time::Duration;

use anyhow::Context as _;
use futures::StreamExt;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::Deserialize;
use serde_json::{Map, Value};
use sijill_engine::query::{Answer, Query};
use sijill_engine::{Receipt, Submission};
use sijill_store::transfer::TransferReport;
use sijill_store::Head;

use crate::backend::Backend;
use crate::exit::{self, Failure};

/// How long to wait for a server to accept a connection before saying it is unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A running `sijill serve`.
pub struct Remote {
    client: reqwest::Client,
    /// The server's base URL, without a trailing slash.
    base: String,
    token: Option<String>,
}

/// A command the server refused: where it was in the batch and why, in the rule's words.
#[derive(Debug, thiserror::Error)]
#[error("command {index} ({command}): {reason}")]
pub struct Refused {
    pub index: usize,
    pub command: String,
    pub reason: String,
}

/// The parts of the server's error body the client uses (`code` is for programs that branch
/// on it; the CLI reports the message and places a refused command by `details`).
#[derive(Deserialize)]
struct ErrorBody {
    message: String,
    #[serde(default)]
    details: Map<String, Value>,
}

impl Remote {
    /// Checks the URL and the token's form. Nothing is sent yet: the first request says
    /// clearly when no server answers, so a separate round trip to check would only slow
    /// every command down.
    pub fn connect(url: &str, token: Option<String>) -> anyhow::Result<Remote> {
        let base = url.trim_end_matches('/').to_owned();
        let parsed = reqwest::Url::parse(&base).map_err(|e| {
            Failure::bad_input(format!(
                "--server {url}: {e}: give the server's address, such as http://127.0.0.1:8080"
            ))
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Failure::bad_input(format!(
                "--server {url}: the address must start with http:// or https://"
            ))
            .into());
        }
        if token.as_deref().is_some_and(|t| t.trim().is_empty()) {
            return Err(Failure::bad_input(
                "--token is empty: pass the token `sijill serve` printed",
            )
            .into());
        }
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("sijill/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("starting the HTTP client")?;
        Ok(Remote {
            client,
            base,
            token,
        })
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let builder = self.client.request(method, format!("{}{path}", self.base));
        match &self.token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    async fn send(&self, request: RequestBuilder) -> anyhow::Result<Response> {
        request.send().await.map_err(|e| {
            let message = format!(
                "cannot reach the server at {}: {}; check --server and that `sijill serve` is running",
                self.base,
                root_cause(&e)
            );
            Failure {
                code: exit::DATA_FOLDER,
                message,
            }
            .into()
        })
    }

    /// The response when it succeeded; otherwise the server's error, with the exit code a
    /// local registry would have given for it.
    async fn check(&self, response: Response) -> anyhow::Result<Response> {
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let text = response.text().await.unwrap_or_default();
        let Ok(body) = serde_json::from_str::<ErrorBody>(&text) else {
            let message = format!(
                "the server at {} answered {status} without an error body: is --server a sijill server?",
                self.base
            );
            return Err(failure(status, message));
        };
        if let (Some(index), Some(command), Some(reason)) = (
            body.details.get("index").and_then(Value::as_u64),
            body.details.get("command").and_then(Value::as_str),
            body.details.get("reason").and_then(Value::as_str),
        ) {
            return Err(Refused {
                index: index as usize,
                command: command.to_owned(),
                reason: reason.to_owned(),
            }
            .into());
        }
        let message = match status {
            StatusCode::UNAUTHORIZED => format!(
                "{}: pass a token with --token (or SIJILL_TOKEN)",
                body.message
            ),
            _ => body.message,
        };
        Err(failure(status, message))
    }

    async fn post_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &impl serde::Serialize,
    ) -> anyhow::Result<T> {
        let response = self
            .send(self.request(Method::POST, path).json(body))
            .await?;
        let response = self.check(response).await?;
        let bytes = response
            .bytes()
            .await
            .context("reading the server's answer")?;
        serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "the server at {} answered {path} with JSON this sijill cannot read: are client and server the same version?",
                self.base
            )
        })
    }

    /// Streams `GET path` into `out`; returns the bytes written and the position the
    /// server says the body reflects.
    async fn stream_to(
        &self,
        path: &str,
        query: &[(&str, String)],
        out: &mut (dyn Write + Send),
        mut each: impl FnMut(&[u8]),
    ) -> anyhow::Result<u64> {
        let response = self
            .send(self.request(Method::GET, path).query(query))
            .await?;
        let response = self.check(response).await?;
        let position = response
            .headers()
            .get("sijill-position")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut chunks = response.bytes_stream();
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(|e| {
                anyhow::anyhow!(
                    "the server at {} broke off the export: {}",
                    self.base,
                    root_cause(&e)
                )
            })?;
            each(&chunk);
            out.write_all(&chunk)?;
        }
        Ok(position)
    }

    /// An interchange export (`popolo`, `org-jsonld`, `org-turtle`, `csv`, `dot`), written
    /// to `out` as the server streams it.
    pub async fn export_format(
        &self,
        format: &str,
        query: &[(&str, String)],
        out: &mut (dyn Write + Send),
    ) -> anyhow::Result<()> {
        self.stream_to(&format!("/v1/export/{format}"), query, out, |_| {})
            .await
            .map(drop)
    }
}

impl Backend for Remote {
    async fn submit(&self, submission: Submission) -> anyhow::Result<Receipt> {
        let body = serde_json::json!({
            "commands": submission.commands,
            "command_id": submission.command_id,
            "source": submission.source,
        });
        self.post_json("/v1/commands", &body).await
    }

    async fn ask(&self, query: &Query) -> anyhow::Result<Answer> {
        self.post_json("/v1/query", query).await
    }

    /// The log as JSON Lines (`GET /v1/export`, which needs an admin token). The head is
    /// read off the lines as they pass: each starts with its own hash.
    async fn export(&self, out: &mut (dyn Write + Send)) -> anyhow::Result<TransferReport> {
        let mut lines = LineTail::default();
        let position = self
            .stream_to("/v1/export", &[], out, |chunk| lines.feed(chunk))
            .await?;
        if lines.count != position {
            anyhow::bail!(
                "the server at {} sent {} events of {position}: the export is incomplete",
                self.base,
                lines.count
            );
        }
        let hash = match lines.last_hash() {
            Some(hash) => hash,
            None if position == 0 => Head::GENESIS.hash,
            None => anyhow::bail!("the export's last line carries no hash"),
        };
        Ok(TransferReport {
            events: lines.count,
            head: Head { position, hash },
        })
    }

    async fn close(self) -> anyhow::Result<()> {
        Ok(())
    }

    fn is_remote(&self) -> bool {
        true
    }
}

/// Counts export lines and keeps the start of the last one, across chunk boundaries.
#[derive(Default)]
struct LineTail {
    count: u64,
    /// The bytes of the current (last started) line seen so far, at most its first 80.
    current: Vec<u8>,
    last: Vec<u8>,
}

impl LineTail {
    fn feed(&mut self, chunk: &[u8]) {
        for piece in chunk.split_inclusive(|b| *b == b'\n') {
            let room = 80usize.saturating_sub(self.current.len());
            self.current
                .extend_from_slice(&piece[..piece.len().min(room)]);
            if piece.ends_with(b"\n") {
                self.count += 1;
                self.last = std::mem::take(&mut self.current);
            }
        }
    }

    /// Every line begins `{"hash":"<64 hex digits>"`.
    fn last_hash(&self) -> Option<[u8; 32]> {
        let text = std::str::from_utf8(self.last.get(9..73)?).ok()?;
        sijill_store::hash_from_hex(text)
    }
}

/// The exit code of an HTTP error status, as the same failure would have had locally.
fn failure(status: StatusCode, message: String) -> anyhow::Error {
    let code = match status.as_u16() {
        404 => exit::NOT_FOUND,
        400..=499 => exit::BAD_INPUT,
        _ => exit::INTERNAL,
    };
    Failure { code, message }.into()
}

fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_lines_hash_is_found_across_chunk_boundaries() {
        let hash = "ab".repeat(32);
        let line = |h: &str| format!("{{\"hash\":\"{h}\",\"prev_hash\":\"00\",\"event\":{{}}}}\n");
        let text = format!("{}{}", line(&"cd".repeat(32)), line(&hash));
        let mut tail = LineTail::default();
        for piece in text.as_bytes().chunks(7) {
            tail.feed(piece);
        }
        assert_eq!(tail.count, 2);
        assert_eq!(tail.last_hash(), sijill_store::hash_from_hex(&hash));
    }

    #[test]
    fn a_cut_line_is_not_counted() {
        let mut tail = LineTail::default();
        tail.feed(b"{\"hash\":\"ab");
        assert_eq!(tail.count, 0);
        assert_eq!(tail.last_hash(), None);
    }

    #[test]
    fn http_statuses_map_to_the_local_exit_codes() {
        let code = |status| crate::exit::code_of(&failure(status, String::new()));
        assert_eq!(code(StatusCode::NOT_FOUND), exit::NOT_FOUND);
        assert_eq!(code(StatusCode::UNPROCESSABLE_ENTITY), exit::BAD_INPUT);
        assert_eq!(code(StatusCode::FORBIDDEN), exit::BAD_INPUT);
        assert_eq!(code(StatusCode::SERVICE_UNAVAILABLE), exit::INTERNAL);
    }
}
