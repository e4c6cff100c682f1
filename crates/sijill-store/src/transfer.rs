//! Export, import and offline verification of the log as JSON Lines.
//!
//! One line per stored event, in position order:
//! `{"hash":"<64 hex>","prev_hash":"<64 hex>","event":<stored bytes>}` and a line feed. The
//! stored bytes are embedded verbatim (they are one line of JSON), so a line is valid JSON
//! for any tool, and the bytes that were hashed are exactly `line[162..line.len() - 1]`:
//! anyone can check `hash == BLAKE3(hex_decode(prev_hash) || those bytes)` without sijill.
//! Export -> import -> export gives a byte-identical file.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;

use serde::Deserialize;
use serde_json::value::RawValue;
use thiserror::Error;

use crate::batch::Head;
use crate::error::{AppendError, StoreError};
use crate::limits::{BATCH_EVENTS_MAX, EVENT_PAYLOAD_BYTES_MAX};
use crate::store::{check_link, ChainProblem, EventStore};
use crate::stored::{hash_from_hex, hash_to_hex, StoredEvent};

/// Events read from the store per page while exporting.
pub const EXPORT_PAGE_EVENTS: usize = 1_000;
/// Events appended per `append_stored` call while importing (a page never splits a batch, so
/// it can grow to `IMPORT_PAGE_EVENTS + BATCH_EVENTS_MAX - 1`).
pub const IMPORT_PAGE_EVENTS: usize = 1_000;
/// Longest export line accepted: the largest payload plus generous room for the envelope.
pub const EXPORT_LINE_BYTES_MAX: usize = EVENT_PAYLOAD_BYTES_MAX + 64 * 1024;

const _: () = assert!(IMPORT_PAGE_EVENTS + BATCH_EVENTS_MAX <= crate::limits::GROUP_EVENTS_MAX);

/// What is wrong with one line of an export.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LineProblem {
    #[error("bad JSON: {0}")]
    BadJson(String),
    #[error("line is longer than EXPORT_LINE_BYTES_MAX ({EXPORT_LINE_BYTES_MAX} bytes)")]
    TooLong,
    #[error("{field} is not 64 lowercase hex digits")]
    BadHashText { field: &'static str },
    #[error("event is not a stored event: {0}")]
    Unreadable(String),
    #[error("{0}")]
    Chain(ChainProblemText),
}

/// A chain problem as an export names it (`position gap: expected 4, found 5`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainProblemText {
    pub expected_position: u64,
    pub problem: ChainProblem,
}

impl std::fmt::Display for ChainProblemText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.problem {
            ChainProblem::PositionMismatch { found: Some(found) } => write!(
                f,
                "position gap: expected position {}, found {found}",
                self.expected_position
            ),
            other => write!(f, "{other}"),
        }
    }
}

#[derive(Debug, Error)]
pub enum TransferError {
    #[error("line {line}: {problem}; the file is not a faithful sijill export")]
    Line { line: u64, problem: LineProblem },
    #[error("the store is not empty (head at position {head}); import or copy only into a new, empty registry (a new data folder, or a new registry name in PostgreSQL)")]
    NotEmpty { head: u64 },
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("importing failed: {0}")]
    Append(#[from] AppendError),
}

/// How much an export or import moved, and the head it ends at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferReport {
    pub events: u64,
    pub head: Head,
}

/// Writes the log, up to the head at the start, as JSON Lines. Reads in pages, so memory use
/// does not grow with the log. Give it a buffered writer.
pub async fn export<W: Write + Send>(
    store: &dyn EventStore,
    mut out: W,
) -> Result<TransferReport, TransferError> {
    let head = store.head().await?;
    let mut next = 1;
    let mut line = Vec::new();
    while next <= head.position {
        let want = usize::try_from(head.position - next + 1).unwrap_or(usize::MAX);
        let page = store.read(next, want.min(EXPORT_PAGE_EVENTS)).await?;
        if page.first().map(StoredEvent::position) != Some(next) {
            let detail = "missing from the store while exporting".to_string();
            return Err(StoreError::Corrupt {
                position: next,
                detail,
            }
            .into());
        }
        for event in &page {
            line.clear();
            export_line(event, &mut line);
            out.write_all(&line)
                .map_err(|e| io_error("writing the export", e))?;
        }
        next += page.len() as u64;
    }
    out.flush().map_err(|e| io_error("writing the export", e))?;
    Ok(TransferReport {
        events: head.position,
        head,
    })
}

/// Appends one event's export line (with its line feed) to `out`.
pub fn export_line(event: &StoredEvent, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"hash\":\"");
    out.extend_from_slice(hash_to_hex(&event.hash()).as_bytes());
    out.extend_from_slice(b"\",\"prev_hash\":\"");
    out.extend_from_slice(hash_to_hex(&event.prev_hash()).as_bytes());
    out.extend_from_slice(b"\",\"event\":");
    out.extend_from_slice(event.stored_bytes());
    out.extend_from_slice(b"}\n");
}

/// Checks an export without any store: every line well-formed, positions gap-free from 1,
/// the chain intact. Names the first bad line.
pub fn verify_export<R: BufRead>(input: R) -> Result<TransferReport, TransferError> {
    let mut lines = ExportLines::new(input);
    while lines.next_event()?.is_some() {}
    Ok(lines.report())
}

/// Imports an export into an empty store, checking every line first: nothing is written
/// when the file is bad. Reads the file twice.
pub async fn import_file(
    store: &dyn EventStore,
    path: &Path,
) -> Result<TransferReport, TransferError> {
    let open = || {
        std::fs::File::open(path)
            .map(BufReader::new)
            .map_err(|e| io_error(format!("opening {}", path.display()), e))
    };
    let head = store.head().await?;
    if head.position != 0 {
        return Err(TransferError::NotEmpty {
            head: head.position,
        });
    }
    verify_export(open()?)?;
    import(store, open()?).await
}

/// Imports an export into an empty store in one pass, checking each line before it is
/// appended. On a bad line the events of earlier pages are already in the store: import
/// into a new folder and discard it on error, or use [`import_file`], which checks first.
pub async fn import<R: BufRead + Send>(
    store: &dyn EventStore,
    input: R,
) -> Result<TransferReport, TransferError> {
    let head = store.head().await?;
    if head.position != 0 {
        return Err(TransferError::NotEmpty {
            head: head.position,
        });
    }
    let mut lines = ExportLines::new(input);
    let mut pages = StoredPages::default();
    while let Some(event) = lines.next_event()? {
        pages.push(store, event).await?;
    }
    pages.finish(store).await?;
    Ok(lines.report())
}

/// Copies the log of `from`, up to its head at the start, into the empty store `to`, for
/// moving a registry between backends. The whole source chain is verified first, so a
/// damaged source leaves the destination untouched; then every event is checked again
/// against the chain as it is copied (the source may be shared and read by others), and
/// appended verbatim, in whole batches, so the copy holds the same bytes and hashes.
pub async fn copy(
    from: &dyn EventStore,
    to: &dyn EventStore,
) -> Result<TransferReport, TransferError> {
    let existing = to.head().await?;
    if existing.position != 0 {
        return Err(TransferError::NotEmpty {
            head: existing.position,
        });
    }
    let head = from.head().await?;
    let verified = from.verify(1, Some(head.position)).await?;
    if let Some(broken) = verified.first_bad {
        return Err(StoreError::Corrupt {
            position: broken.position,
            detail: format!(
                "the source does not verify ({}); nothing was copied",
                broken.problem
            ),
        }
        .into());
    }
    let mut chain = Head::GENESIS;
    let mut pages = StoredPages::default();
    while chain.position < head.position {
        let next = chain.position + 1;
        let want = usize::try_from(head.position - chain.position).unwrap_or(usize::MAX);
        let page = from.read(next, want.min(EXPORT_PAGE_EVENTS)).await?;
        if page.is_empty() {
            let detail = "missing from the source while copying".to_string();
            return Err(StoreError::Corrupt {
                position: next,
                detail,
            }
            .into());
        }
        for event in page {
            if let Some(problem) = check_link(chain, &event) {
                let detail = format!("{problem}; the destination holds a partial copy: discard it");
                return Err(StoreError::Corrupt {
                    position: chain.position + 1,
                    detail,
                }
                .into());
            }
            chain = Head {
                position: event.position(),
                hash: event.hash(),
            };
            pages.push(to, event).await?;
        }
    }
    pages.finish(to).await?;
    Ok(TransferReport {
        events: chain.position,
        head: chain,
    })
}

/// Collects stored events into pages of whole batches and appends each page with one
/// `append_stored`, for import and copy alike.
#[derive(Default)]
struct StoredPages {
    page: Vec<StoredEvent>,
    stored_head: u64,
}

impl StoredPages {
    async fn push(
        &mut self,
        store: &dyn EventStore,
        event: StoredEvent,
    ) -> Result<(), TransferError> {
        // A page ends only between batches, so each append_stored holds whole batches.
        let batch_ends = self
            .page
            .last()
            .is_some_and(|last| last.command_id() != event.command_id());
        if self.page.len() >= IMPORT_PAGE_EVENTS && batch_ends {
            self.flush(store).await?;
        }
        self.page.push(event);
        Ok(())
    }

    async fn flush(&mut self, store: &dyn EventStore) -> Result<(), TransferError> {
        let page = std::mem::take(&mut self.page);
        self.stored_head = store.append_stored(page, self.stored_head).await?.position;
        Ok(())
    }

    async fn finish(mut self, store: &dyn EventStore) -> Result<(), TransferError> {
        if !self.page.is_empty() {
            self.flush(store).await?;
        }
        Ok(())
    }
}

/// Reads export lines one at a time, checking each against the chain so far.
struct ExportLines<R> {
    input: R,
    buffer: Vec<u8>,
    line: u64,
    head: Head,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line<'a> {
    hash: &'a str,
    prev_hash: &'a str,
    #[serde(borrow)]
    event: &'a RawValue,
}

impl<R: BufRead> ExportLines<R> {
    fn new(input: R) -> Self {
        ExportLines {
            input,
            buffer: Vec::new(),
            line: 0,
            head: Head::GENESIS,
        }
    }

    fn report(&self) -> TransferReport {
        TransferReport {
            events: self.head.position,
            head: self.head,
        }
    }

    fn next_event(&mut self) -> Result<Option<StoredEvent>, TransferError> {
        self.buffer.clear();
        let limit = (EXPORT_LINE_BYTES_MAX + 2) as u64;
        let read = (&mut self.input)
            .take(limit)
            .read_until(b'\n', &mut self.buffer)
            .map_err(|e| io_error("reading the export", e))?;
        if read == 0 {
            return Ok(None);
        }
        self.line += 1;
        let line = self.line;
        let bad = |problem| TransferError::Line { line, problem };
        let event = parse_line(&self.buffer).map_err(bad)?;
        let expected_position = self.head.position + 1;
        if let Some(problem) = check_link(self.head, &event) {
            return Err(bad(LineProblem::Chain(ChainProblemText {
                expected_position,
                problem,
            })));
        }
        self.head = Head {
            position: event.position(),
            hash: event.hash(),
        };
        Ok(Some(event))
    }
}

fn parse_line(raw: &[u8]) -> Result<StoredEvent, LineProblem> {
    let text = raw.strip_suffix(b"\n").unwrap_or(raw);
    if text.len() > EXPORT_LINE_BYTES_MAX {
        return Err(LineProblem::TooLong);
    }
    let line: Line<'_> =
        serde_json::from_slice(text).map_err(|e| LineProblem::BadJson(e.to_string()))?;
    let hash = hash_from_hex(line.hash).ok_or(LineProblem::BadHashText { field: "hash" })?;
    let prev_hash =
        hash_from_hex(line.prev_hash).ok_or(LineProblem::BadHashText { field: "prev_hash" })?;
    let stored = line.event.get().as_bytes().to_vec();
    StoredEvent::from_stored(stored, prev_hash, hash).map_err(|e| LineProblem::Unreadable(e.detail))
}

fn io_error(context: impl Into<String>, source: std::io::Error) -> TransferError {
    TransferError::Io {
        context: context.into(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CommandId, MemoryStore, NewBatch, NewEvent};
    use chrono::{TimeZone, Utc};
    use uuid::Uuid;

    /// A log of 4 events in batches of 1, 2 and 1, exported.
    async fn exported() -> (MemoryStore, Vec<u8>) {
        let store = MemoryStore::new();
        for (i, size) in [1u128, 2, 1].into_iter().enumerate() {
            let batch = NewBatch {
                command_id: CommandId::new(format!("cmd-{i}")).unwrap(),
                actor: "registrar".into(),
                source: None,
                recorded_at: Utc.with_ymd_and_hms(2017, 3, 4, 10, 0, 0).unwrap(),
                events: (0..size)
                    .map(|e| NewEvent {
                        event_id: Uuid::from_u128(i as u128 * 10 + e),
                        event_type: "body_founded".into(),
                        version: 1,
                        payload: format!(r#"{{"index":{e}}}"#).into_bytes(),
                        tags: vec![],
                    })
                    .collect(),
            };
            let head = store.head().await.unwrap().position;
            store.append(batch, head).await.unwrap();
        }
        let mut out = Vec::new();
        export(&store, &mut out).await.unwrap();
        (store, out)
    }

    fn lines(export: &[u8]) -> Vec<String> {
        String::from_utf8(export.to_vec())
            .unwrap()
            .lines()
            .map(|l| format!("{l}\n"))
            .collect()
    }

    fn refusal(lines: &[String]) -> String {
        verify_export(lines.concat().as_bytes())
            .unwrap_err()
            .to_string()
    }

    #[tokio::test]
    async fn an_export_line_carries_the_hashes_and_the_stored_bytes_verbatim() {
        let (store, export) = exported().await;
        let first_line = &lines(&export)[0];
        let event = store.read(1, 1).await.unwrap().remove(0);
        // The stored bytes sit at a fixed offset, so the line verifies without sijill.
        let stored = &first_line.as_bytes()[162..first_line.len() - 2];
        assert_eq!(stored, event.stored_bytes());
        assert_eq!(crate::chain_hash(&[0; 32], stored), event.hash());
        assert_eq!(
            first_line.replace(&hash_to_hex(&event.hash()), "<hash>"),
            "{\"hash\":\"<hash>\",\"prev_hash\":\"0000000000000000000000000000000000000000000000000000000000000000\",\"event\":{\"position\":1,\"event_id\":\"00000000-0000-0000-0000-000000000000\",\"recorded_at\":\"2017-03-04T10:00:00.000000Z\",\"actor\":\"registrar\",\"command_id\":\"cmd-0\",\"source\":null,\"tags\":[],\"type\":\"body_founded\",\"v\":1,\"payload\":{\"index\":0}}}\n"
        );
        assert_eq!(verify_export(export.as_slice()).unwrap().events, 4);
    }

    #[tokio::test]
    async fn a_changed_payload_is_a_hash_mismatch_on_its_line() {
        let (_, export) = exported().await;
        let mut damaged = lines(&export);
        damaged[2] = damaged[2].replace(r#""index":1"#, r#""index":9"#);
        let message = refusal(&damaged);
        assert!(
            message.starts_with("line 3: hash mismatch: stored "),
            "{message}"
        );
        assert!(
            message.ends_with("; the file is not a faithful sijill export"),
            "{message}"
        );
    }

    #[tokio::test]
    async fn a_copy_holds_the_same_bytes_and_only_goes_into_an_empty_store() {
        let (source, export_before) = exported().await;
        let copy_of = MemoryStore::new();
        let report = copy(&source, &copy_of).await.unwrap();
        assert_eq!(report.head, source.head().await.unwrap());
        let mut export_after = Vec::new();
        export(&copy_of, &mut export_after).await.unwrap();
        assert_eq!(export_after, export_before);
        // The batches stay whole: the copy knows every command id, at its positions.
        let second = copy_of
            .find_command(&CommandId::new("cmd-1").unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!((second.first, second.last), (2, 3));
        let again = copy(&source, &copy_of).await.unwrap_err().to_string();
        assert!(
            again.starts_with("the store is not empty (head at position 4)"),
            "{again}"
        );
    }

    #[tokio::test]
    async fn a_removed_line_is_a_position_gap() {
        let (_, export) = exported().await;
        let mut damaged = lines(&export);
        damaged.remove(1);
        assert_eq!(
            refusal(&damaged),
            "line 2: position gap: expected position 2, found 3; the file is not a faithful sijill export"
        );
    }

    #[tokio::test]
    async fn a_rechained_line_is_a_prev_hash_mismatch() {
        let (_, export) = exported().await;
        let mut damaged = lines(&export);
        let prev = &damaged[3][88..152].to_string();
        damaged[3] = damaged[3].replace(prev.as_str(), &"0".repeat(64));
        assert!(
            refusal(&damaged).starts_with("line 4: prev_hash mismatch: stored 0000"),
            "{}",
            refusal(&damaged)
        );
    }

    #[tokio::test]
    async fn bad_json_and_bad_hash_text_are_named() {
        let (_, export) = exported().await;
        let mut bad_json = lines(&export);
        bad_json[1] = "{\"hash\":\n".into();
        assert!(
            refusal(&bad_json).starts_with("line 2: bad JSON: "),
            "{}",
            refusal(&bad_json)
        );
        let mut bad_hex = lines(&export);
        let hash = bad_hex[0][9..73].to_string();
        bad_hex[0] = bad_hex[0].replace(&hash, &hash.to_uppercase());
        assert_eq!(
            refusal(&bad_hex),
            "line 1: hash is not 64 lowercase hex digits; the file is not a faithful sijill export"
        );
    }

    #[tokio::test]
    async fn import_file_writes_nothing_from_a_damaged_file() {
        // Given an export whose last line was changed,
        let (_, export) = exported().await;
        let mut damaged = lines(&export);
        damaged[3] = damaged[3].replace("registrar", "intruder");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        std::fs::write(&path, damaged.concat()).unwrap();
        // when it is imported from the file,
        let target = MemoryStore::new();
        let err = import_file(&target, &path).await.unwrap_err();
        // then the error names line 4 and the store is still empty.
        assert!(
            err.to_string().starts_with("line 4: hash mismatch"),
            "{err}"
        );
        assert_eq!(target.head().await.unwrap().position, 0);
    }

    #[tokio::test]
    async fn an_empty_export_imports_as_an_empty_log() {
        let report = import(&MemoryStore::new(), &b""[..]).await.unwrap();
        assert_eq!((report.events, report.head), (0, Head::GENESIS));
    }
}
