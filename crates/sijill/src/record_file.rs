//! Record files: what an assembly decided, written by hand, recorded as one atomic batch.
//!
//! TOML is the primary format (`[[command]]` tables of the domain's `Command`, the wire
//! contract shared with the HTTP API); JSON is accepted too, chosen by the `.json` extension.
//! A file may also name its `source` (the document it rests on), its `command_id` (the
//! idempotency key: re-recording the file records nothing new) and its `actor`.
//!
//! Errors point at the text: a syntax error gives line and column; an entry that is not a
//! valid command gives its number (from 1, in file order), its line, and the column of the
//! offending value when it can be found. `docs/cli.md` documents the format.

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde_json::value::RawValue;
use sijill_domain::{Command, BATCH_COMMANDS_MAX};
use sijill_store::CommandId;

/// Largest record file read, in bytes: far above any assembly's outcome, small enough to
/// hold in memory without thought.
pub const RECORD_FILE_BYTES_MAX: u64 = 16 * 1024 * 1024;

/// A parsed record file: one batch of commands and where each came from.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordFile {
    /// The path as the user gave it (or the example's name), for messages.
    pub name: String,
    pub source: Option<String>,
    /// The file's own command id, or one derived from its bytes (see [`default_command_id`]).
    pub command_id: CommandId,
    pub actor: Option<String>,
    pub commands: Vec<Command>,
    /// The line each command's entry starts on (same order as `commands`).
    pub lines: Vec<usize>,
}

impl RecordFile {
    /// Where entry `index` (from 0, as the engine counts) starts, for messages.
    pub fn locate(&self, index: usize) -> Location {
        Location {
            file: self.name.clone(),
            line: self.lines.get(index).copied(),
            entry: index + 1,
        }
    }
}

/// An entry in a file: "people.toml:12 (entry 3)".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: Option<usize>,
    /// From 1, in file order.
    pub entry: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: entry {}", self.file, self.entry),
            None => write!(f, "{}: entry {}", self.file, self.entry),
        }
    }
}

/// Why a record file cannot be recorded. Nothing is recorded in any of these cases.
#[derive(Debug, thiserror::Error)]
pub enum RecordFileError {
    #[error("cannot read record file {name}: {source}")]
    Read {
        name: String,
        source: std::io::Error,
    },
    #[error("record file {name} has {bytes} bytes; the limit is {RECORD_FILE_BYTES_MAX}: split it into several files")]
    TooLarge { name: String, bytes: u64 },
    #[error("record file {name} is not UTF-8 text: save it as UTF-8")]
    NotUtf8 { name: String },
    #[error("{name}:{line}:{column}: {message}")]
    Syntax {
        name: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{name}:{line}:{column}: entry {entry} ({command}): {message}")]
    Entry {
        name: String,
        line: usize,
        column: usize,
        entry: usize,
        command: String,
        message: String,
    },
    #[error("{name}: {message}")]
    File { name: String, message: String },
}

/// Reads and parses a record file; `.json` files as JSON, anything else as TOML.
pub fn read(path: &Path) -> Result<RecordFile, RecordFileError> {
    let name = path.display().to_string();
    let read_error = |source| RecordFileError::Read {
        name: name.clone(),
        source,
    };
    let bytes = std::fs::metadata(path).map_err(read_error)?.len();
    if bytes > RECORD_FILE_BYTES_MAX {
        return Err(RecordFileError::TooLarge { name, bytes });
    }
    let data = std::fs::read(path).map_err(read_error)?;
    let text =
        String::from_utf8(data).map_err(|_| RecordFileError::NotUtf8 { name: name.clone() })?;
    let json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if json {
        parse_json(&name, &text)
    } else {
        parse_toml(&name, &text)
    }
}

/// The command id of a file that names none: `file-` and the first 128 bits of the BLAKE3
/// hash of its bytes, so recording the same file twice records it once.
pub fn default_command_id(text: &str) -> CommandId {
    let hash = blake3::hash(text.as_bytes()).to_hex();
    CommandId::new(format!("file-{}", &hash[..32])).expect("a hex digest is a valid command id")
}

/// File-level keys besides the commands.
struct Header {
    source: Option<String>,
    command_id: Option<String>,
    actor: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlFile {
    source: Option<String>,
    command_id: Option<String>,
    actor: Option<String>,
    #[serde(default)]
    command: Vec<toml::Spanned<toml::Table>>,
}

/// Parses TOML text: `[[command]]` tables plus optional file-level keys.
pub fn parse_toml(name: &str, text: &str) -> Result<RecordFile, RecordFileError> {
    let file: TomlFile = toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map_or((1, 1), |s| line_column(text, s.start));
        RecordFileError::Syntax {
            name: name.to_owned(),
            line,
            column,
            message: toml_message(&e),
        }
    })?;
    check_entry_count(name, file.command.len(), "[[command]] table")?;
    let mut commands = Vec::with_capacity(file.command.len());
    let mut lines = Vec::with_capacity(file.command.len());
    for (index, entry) in file.command.into_iter().enumerate() {
        let span = entry.span();
        let table = entry.into_inner();
        let command_name = table
            .get("command")
            .and_then(|v| v.as_str())
            .unwrap_or("?")
            .to_owned();
        let (line, column) = line_column(text, span.start);
        let command = toml::Value::Table(table)
            .try_into::<Command>()
            .map_err(|e| {
                let message = toml_message(&e);
                let (line, column) =
                    pinpoint(text, span.clone(), &message).unwrap_or((line, column));
                RecordFileError::Entry {
                    name: name.to_owned(),
                    line,
                    column,
                    entry: index + 1,
                    command: command_name,
                    message,
                }
            })?;
        commands.push(command);
        lines.push(line);
    }
    let header = Header {
        source: file.source,
        command_id: file.command_id,
        actor: file.actor,
    };
    finish(name, text, header, commands, lines)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonFile<'a> {
    source: Option<String>,
    command_id: Option<String>,
    actor: Option<String>,
    #[serde(borrow)]
    command: Vec<&'a RawValue>,
}

/// Parses JSON text: `{"source": .., "command_id": .., "actor": .., "command": [..]}`, or a
/// bare array of commands.
pub fn parse_json(name: &str, text: &str) -> Result<RecordFile, RecordFileError> {
    let syntax = |e: serde_json::Error| RecordFileError::Syntax {
        name: name.to_owned(),
        line: e.line().max(1),
        column: e.column().max(1),
        message: e
            .to_string()
            .split(" at line ")
            .next()
            .unwrap_or_default()
            .to_owned(),
    };
    let (header, entries) = if text.trim_start().starts_with('[') {
        let entries: Vec<&RawValue> = serde_json::from_str(text).map_err(syntax)?;
        (
            Header {
                source: None,
                command_id: None,
                actor: None,
            },
            entries,
        )
    } else {
        let file: JsonFile = serde_json::from_str(text).map_err(syntax)?;
        (
            Header {
                source: file.source,
                command_id: file.command_id,
                actor: file.actor,
            },
            file.command,
        )
    };
    check_entry_count(name, entries.len(), "entry in `command`")?;
    let mut commands = Vec::with_capacity(entries.len());
    let mut lines = Vec::with_capacity(entries.len());
    for (index, raw) in entries.into_iter().enumerate() {
        let offset = raw.get().as_ptr() as usize - text.as_ptr() as usize;
        let (line, column) = line_column(text, offset);
        let command = serde_json::from_str::<Command>(raw.get()).map_err(|e| {
            let command_name = serde_json::from_str::<serde_json::Value>(raw.get())
                .ok()
                .and_then(|v| v.get("command").and_then(|c| c.as_str().map(str::to_owned)))
                .unwrap_or_else(|| "?".to_owned());
            let (at_line, at_column) = if e.line() <= 1 {
                (line, column + e.column().saturating_sub(1))
            } else {
                (line + e.line() - 1, e.column())
            };
            let message = e
                .to_string()
                .split(" at line ")
                .next()
                .unwrap_or_default()
                .to_owned();
            RecordFileError::Entry {
                name: name.to_owned(),
                line: at_line,
                column: at_column,
                entry: index + 1,
                command: command_name,
                message,
            }
        })?;
        commands.push(command);
        lines.push(line);
    }
    finish(name, text, header, commands, lines)
}

fn check_entry_count(name: &str, count: usize, what: &str) -> Result<(), RecordFileError> {
    let message = if count == 0 {
        format!("no commands: add at least one {what} (see docs/cli.md, \"Record files\")")
    } else if count > BATCH_COMMANDS_MAX {
        format!("{count} commands; a batch holds at most {BATCH_COMMANDS_MAX}: split the file")
    } else {
        return Ok(());
    };
    Err(RecordFileError::File {
        name: name.to_owned(),
        message,
    })
}

fn finish(
    name: &str,
    text: &str,
    header: Header,
    commands: Vec<Command>,
    lines: Vec<usize>,
) -> Result<RecordFile, RecordFileError> {
    let file_error = |message: String| RecordFileError::File {
        name: name.to_owned(),
        message,
    };
    let command_id = match header.command_id {
        Some(id) => CommandId::new(id).map_err(|e| file_error(format!("command_id: {e}")))?,
        None => default_command_id(text),
    };
    if header.actor.as_deref().is_some_and(|a| a.trim().is_empty()) {
        return Err(file_error(
            "actor must not be empty: name who records the file, or leave the key out".to_owned(),
        ));
    }
    if header
        .source
        .as_deref()
        .is_some_and(|s| s.trim().is_empty())
    {
        return Err(file_error(
            "source must not be empty: describe the document, or leave the key out".to_owned(),
        ));
    }
    Ok(RecordFile {
        name: name.to_owned(),
        source: header.source,
        command_id,
        actor: header.actor,
        commands,
        lines,
    })
}

/// toml's own message without its "TOML parse error at line..." frame and snippet, since
/// the location is given separately.
fn toml_message(error: &toml::de::Error) -> String {
    error.message().trim().to_owned()
}

/// The line and column (from 1, columns in characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// The position of the value an entry's error names (the first `quoted` text in the
/// message), searched inside the entry, so "invalid date `2016-13-01`" points at the date.
fn pinpoint(text: &str, entry: std::ops::Range<usize>, message: &str) -> Option<(usize, usize)> {
    let quoted = message.split('`').nth(1).filter(|q| !q.is_empty())?;
    let body = text.get(entry.clone())?;
    let at = body.find(quoted)?;
    Some(line_column(text, entry.start + at))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_err(name: &str, text: &str, expected: &str) {
        let parsed = if name.ends_with(".json") {
            parse_json(name, text)
        } else {
            parse_toml(name, text)
        };
        match parsed {
            Ok(file) => panic!("expected an error, parsed {} commands", file.commands.len()),
            Err(e) => assert_eq!(e.to_string(), expected),
        }
    }

    #[test]
    fn toml_file_with_header() {
        let text = "source = \"minutes\"\ncommand_id = \"a-1\"\n\n[[command]]\ncommand = \"register_person\"\nhandle = \"@a\"\nname = \"A\"\n";
        let file = parse_toml("a.toml", text).unwrap();
        assert_eq!(file.source.as_deref(), Some("minutes"));
        assert_eq!(file.command_id.to_string(), "a-1");
        assert_eq!(file.lines, vec![4]);
        assert_eq!(file.commands[0].name(), "register_person");
    }

    #[test]
    fn toml_syntax_error_has_line_and_column() {
        check_err(
            "a.toml",
            "[[command]]\ncommand = \"register_person\nhandle = \"@a\"\n",
            "a.toml:2:27: invalid basic string",
        );
    }

    #[test]
    fn toml_entry_error_names_entry_and_value() {
        let text = "[[command]]\ncommand = \"register_person\"\nhandle = \"@a\"\nname = \"A\"\n\n[[command]]\ncommand = \"found_body\"\nhandle = \"@b\"\nname = \"B\"\nkind = \"party\"\nfounded_on = \"2016-13-01\"\n";
        let err = parse_toml("a.toml", text).unwrap_err().to_string();
        // The message names the month, and the position points at it.
        assert_eq!(err, "a.toml:11:20: entry 2 (found_body): `13` is not a month: write two digits from 01 to 12, such as 2016-04");
    }

    #[test]
    fn toml_unknown_field() {
        let text = "[[command]]\ncommand = \"register_person\"\nhandle = \"@a\"\nname = \"A\"\nnick = \"x\"\n";
        let err = parse_toml("a.toml", text).unwrap_err().to_string();
        assert!(
            err.starts_with("a.toml:5:1: entry 1 (register_person): unknown field `nick`"),
            "{err}"
        );
    }

    #[test]
    fn empty_file_is_refused() {
        check_err("a.toml", "source = \"x\"\n", "a.toml: no commands: add at least one [[command]] table (see docs/cli.md, \"Record files\")");
    }

    #[test]
    fn json_file_and_bare_array() {
        let text = r#"{"command_id": "j-1", "command": [{"command": "register_person", "handle": "@a", "name": "A"}]}"#;
        assert_eq!(
            parse_json("a.json", text).unwrap().command_id.to_string(),
            "j-1"
        );
        let bare =
            "[\n  {\"command\": \"register_person\", \"handle\": \"@a\", \"name\": \"A\"}\n]";
        let file = parse_json("b.json", bare).unwrap();
        assert_eq!(file.lines, vec![2]);
        assert_eq!(file.command_id, default_command_id(bare));
    }

    #[test]
    fn json_entry_error_has_absolute_position() {
        let text = "[\n  {\"command\": \"register_person\", \"handle\": \"a\", \"name\": \"A\"}\n]";
        let err = parse_json("b.json", text).unwrap_err().to_string();
        assert!(err.starts_with("b.json:2:"), "{err}");
        assert!(
            err.contains("entry 1 (register_person): handle `a` must start with `@`"),
            "{err}"
        );
    }

    #[test]
    fn json_syntax_error() {
        check_err("b.json", "{\"command\": [}", "b.json:1:14: expected value");
    }
}
