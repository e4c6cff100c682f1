//! The stored-event format and the hash chain: the one place that turns a batch's event into
//! the bytes every backend stores and hashes.
//!
//! Stored bytes are one line of compact JSON with the fields in this order:
//! `{"position":N,"event_id":"<uuid>","recorded_at":"YYYY-MM-DDTHH:MM:SS.ffffffZ",
//! "actor":"..","command_id":"..","source":".."|null,"tags":["<uuid>",..],"type":"..",
//! "v":N,"payload":{..}}`.
//! `hash = BLAKE3(prev_hash || stored bytes)`; the first event's `prev_hash` is 32 zero bytes.
//! Bytes are hashed and kept exactly as first written (upcasting happens on read), so a log
//! moved between backends, or exported and imported, still verifies.

use std::io::Write;
use std::ops::Range;

use chrono::{DateTime, Datelike, SubsecRound, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;
use uuid::Uuid;

use crate::batch::{NewBatch, NewEvent};
use crate::command_id::CommandId;
use crate::envelope::Envelope;
use crate::error::FormatError;

/// `prev_hash` of the first event.
pub const GENESIS_HASH: [u8; 32] = [0; 32];

/// `recorded_at` as stored: UTC, always six fractional digits.
const RECORDED_AT_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

/// The chain: `BLAKE3(prev_hash || stored_bytes)`.
pub fn chain_hash(prev_hash: &[u8; 32], stored_bytes: &[u8]) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new();
    hasher.update(prev_hash);
    hasher.update(stored_bytes);
    *hasher.finalize().as_bytes()
}

/// Lowercase hex of a hash, as exports and error messages show it.
pub fn hash_to_hex(hash: &[u8; 32]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(64);
    for byte in hash {
        out.push(DIGITS[usize::from(byte >> 4)] as char);
        out.push(DIGITS[usize::from(byte & 0x0f)] as char);
    }
    out
}

/// Parses 64 lowercase hex digits; `None` for anything else.
pub fn hash_from_hex(text: &str) -> Option<[u8; 32]> {
    fn digit(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    }
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut hash = [0u8; 32];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        hash[i] = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(hash)
}

/// The precision `recorded_at` is stored with (microseconds, as PostgreSQL keeps it).
pub fn stored_recorded_at(recorded_at: DateTime<Utc>) -> DateTime<Utc> {
    recorded_at.trunc_subsecs(6)
}

/// True when `recorded_at` fits the stored format (four-digit years, not before 1970).
pub(crate) fn recorded_at_storable(recorded_at: DateTime<Utc>) -> bool {
    (1970..=9999).contains(&recorded_at.year())
}

/// An event as the log holds it: its envelope, its payload and its place in the hash chain.
///
/// Built only by sealing a validated new event ([`StoredEvent::seal`]) or by parsing stored
/// bytes ([`StoredEvent::from_stored`]), so its fields always agree with its stored bytes.
///
/// The envelope's free-text fields are byte ranges of the stored bytes whenever they are stored
/// without escapes (always, for the names and actors sijill writes): reading a page then
/// allocates a few buffers per event instead of one per field, which was a large share of
/// read time.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    position: u64,
    event_id: Uuid,
    recorded_at: DateTime<Utc>,
    actor: Text,
    command_id: CommandId,
    source: Option<Text>,
    tags: Vec<Uuid>,
    event_type: Text,
    version: u16,
    payload: Range<usize>,
    stored: Vec<u8>,
    prev_hash: [u8; 32],
    hash: [u8; 32],
}

/// Every field is derived from the stored bytes (see the constructors), so the bytes and the
/// hashes decide equality.
impl PartialEq for StoredEvent {
    fn eq(&self, other: &Self) -> bool {
        self.stored == other.stored && self.prev_hash == other.prev_hash && self.hash == other.hash
    }
}

impl Eq for StoredEvent {}

/// A string field of the envelope: where it is in the stored bytes when it is stored as is,
/// else its text (it held characters that JSON escapes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Text {
    Stored(Range<usize>),
    Unescaped(Box<str>),
}

impl Text {
    /// The text of a JSON string at `json` in `stored`: its range if it has no escapes.
    fn of_json(stored: &[u8], json: Range<usize>, text: &str) -> Text {
        match json.len() == text.len() + 2 {
            true => Text::Stored(json.start + 1..json.end - 1),
            false => Text::Unescaped(text.into()),
        }
        .checked(stored, text)
    }

    /// A borrowed string that serde_json read from `stored` (so it had no escapes), or an
    /// owned one it unescaped.
    fn of_parsed(stored: &[u8], text: std::borrow::Cow<'_, str>) -> Text {
        match text {
            std::borrow::Cow::Borrowed(borrowed) => {
                let start = borrowed.as_ptr() as usize - stored.as_ptr() as usize;
                Text::Stored(start..start + borrowed.len())
            }
            std::borrow::Cow::Owned(owned) => Text::Unescaped(owned.into()),
        }
    }

    fn checked(self, stored: &[u8], text: &str) -> Text {
        debug_assert_eq!(self.as_str(stored), text);
        self
    }

    pub(crate) fn as_str<'a>(&'a self, stored: &'a [u8]) -> &'a str {
        match self {
            // The range was cut at a JSON string's quotes in bytes that were valid UTF-8.
            Text::Stored(range) => {
                std::str::from_utf8(&stored[range.clone()]).expect("a stored text field is UTF-8")
            }
            Text::Unescaped(text) => text,
        }
    }
}

/// The envelope as parsed from stored bytes; the payload stays a borrowed slice.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvelopeIn<'a> {
    position: u64,
    event_id: Uuid,
    #[serde(deserialize_with = "recorded_at_from_str")]
    recorded_at: DateTime<Utc>,
    #[serde(borrow)]
    actor: std::borrow::Cow<'a, str>,
    command_id: String,
    #[serde(borrow)]
    source: Option<BorrowedText<'a>>,
    tags: Vec<Uuid>,
    #[serde(rename = "type", borrow)]
    event_type: std::borrow::Cow<'a, str>,
    v: u16,
    #[serde(borrow)]
    payload: &'a RawValue,
}

/// A string borrowed from the stored bytes when it has no escapes. (serde borrows a
/// `Cow<str>` field only when it is not wrapped, as in `Option`.)
#[derive(Deserialize)]
struct BorrowedText<'a>(#[serde(borrow)] std::borrow::Cow<'a, str>);

/// Parses `recorded_at` in the stored format directly (the general RFC 3339 parser is a
/// noticeable share of read time), falling back to RFC 3339 for anything else.
fn recorded_at_from_str<'de, D: serde::Deserializer<'de>>(
    de: D,
) -> Result<DateTime<Utc>, D::Error> {
    let text = <&str>::deserialize(de)?;
    if let Some(parsed) = parse_stored_recorded_at(text.as_bytes()) {
        return Ok(parsed);
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(serde::de::Error::custom)
}

/// Writes `recorded_at` as stored (`RECORDED_AT_FORMAT`). Digit by digit: chrono's
/// formatter reads its pattern anew for every call, a noticeable share of sealing, which runs
/// under the writer lock. `recorded_at` is validated (years 1970 to 9999).
fn write_stored_recorded_at(out: &mut Vec<u8>, recorded_at: DateTime<Utc>) {
    use chrono::Timelike;
    let nanos = recorded_at.nanosecond();
    if nanos >= 1_000_000_000 {
        // A leap second: rare enough for the general formatter.
        write!(out, "{}", recorded_at.format(RECORDED_AT_FORMAT)).expect("write to Vec");
        return;
    }
    let digits = |out: &mut Vec<u8>, value: u32, width: u32| {
        for place in (0..width).rev() {
            out.push(b'0' + (value / 10u32.pow(place) % 10) as u8);
        }
    };
    let year = u32::try_from(recorded_at.year()).expect("validated: 1970 to 9999");
    digits(out, year, 4);
    out.push(b'-');
    digits(out, recorded_at.month(), 2);
    out.push(b'-');
    digits(out, recorded_at.day(), 2);
    out.push(b'T');
    digits(out, recorded_at.hour(), 2);
    out.push(b':');
    digits(out, recorded_at.minute(), 2);
    out.push(b':');
    digits(out, recorded_at.second(), 2);
    out.push(b'.');
    digits(out, nanos / 1_000, 6);
    out.push(b'Z');
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ` exactly, or `None`.
pub(crate) fn parse_stored_recorded_at(b: &[u8]) -> Option<DateTime<Utc>> {
    if b.len() != 27
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'.'
        || b[26] != b'Z'
    {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let date = chrono::NaiveDate::from_ymd_opt(
        i32::try_from(number(0..4)?).ok()?,
        number(5..7)?,
        number(8..10)?,
    )?;
    let time = chrono::NaiveTime::from_hms_micro_opt(
        number(11..13)?,
        number(14..16)?,
        number(17..19)?,
        number(20..26)?,
    )?;
    Some(date.and_time(time).and_utc())
}

impl StoredEvent {
    /// Seals one new event at `position` after `prev_hash`: encodes its stored bytes and
    /// hashes them. The batch must have passed validation (`validate_batch`): the payload is
    /// a JSON object.
    pub fn seal(position: u64, prev_hash: [u8; 32], batch: &NewBatch, event: &NewEvent) -> Self {
        let recorded_at = stored_recorded_at(batch.recorded_at);
        let (stored, at) = encode_stored(position, recorded_at, batch, event);
        let hash = chain_hash(&prev_hash, &stored);
        let source = batch.source.as_deref();
        StoredEvent {
            position,
            event_id: event.event_id,
            recorded_at,
            actor: Text::of_json(&stored, at.actor, &batch.actor),
            command_id: batch.command_id.clone(),
            source: at
                .source
                .zip(source)
                .map(|(j, t)| Text::of_json(&stored, j, t)),
            tags: event.tags.clone(),
            event_type: Text::of_json(&stored, at.event_type, &event.event_type),
            version: event.version,
            payload: at.payload,
            stored,
            prev_hash,
            hash,
        }
    }

    /// Parses stored bytes read back from a backend or an export. Does not check the hash
    /// (that is `verify`'s job); checks that the bytes are a well-formed stored event.
    pub fn from_stored(
        stored: Vec<u8>,
        prev_hash: [u8; 32],
        hash: [u8; 32],
    ) -> Result<Self, FormatError> {
        let envelope = match crate::envelope::read_direct(&stored) {
            Some(envelope) => envelope,
            None => read_general(&stored)?,
        };
        let command_id = CommandId::new(envelope.command_id).map_err(|e| FormatError {
            detail: e.to_string(),
        })?;
        Ok(StoredEvent {
            position: envelope.position,
            event_id: envelope.event_id,
            recorded_at: envelope.recorded_at,
            actor: envelope.actor,
            command_id,
            source: envelope.source,
            tags: envelope.tags,
            event_type: envelope.event_type,
            version: envelope.version,
            payload: envelope.payload,
            stored,
            prev_hash,
            hash,
        })
    }

    pub fn position(&self) -> u64 {
        self.position
    }
    pub fn event_id(&self) -> Uuid {
        self.event_id
    }
    pub fn recorded_at(&self) -> DateTime<Utc> {
        self.recorded_at
    }
    pub fn actor(&self) -> &str {
        self.actor.as_str(&self.stored)
    }
    pub fn command_id(&self) -> &CommandId {
        &self.command_id
    }
    pub fn source(&self) -> Option<&str> {
        self.source.as_ref().map(|text| text.as_str(&self.stored))
    }
    pub fn tags(&self) -> &[Uuid] {
        &self.tags
    }
    pub fn event_type(&self) -> &str {
        self.event_type.as_str(&self.stored)
    }
    pub fn version(&self) -> u16 {
        self.version
    }
    /// The payload JSON object, as stored (before any upcast).
    pub fn payload(&self) -> &[u8] {
        &self.stored[self.payload.clone()]
    }
    /// The exact bytes that were hashed.
    pub fn stored_bytes(&self) -> &[u8] {
        &self.stored
    }
    pub fn into_stored_bytes(self) -> Vec<u8> {
        self.stored
    }
    pub fn prev_hash(&self) -> [u8; 32] {
        self.prev_hash
    }
    pub fn hash(&self) -> [u8; 32] {
        self.hash
    }
    /// True when `hash` is `BLAKE3(prev_hash || stored bytes)`.
    pub fn hash_matches(&self) -> bool {
        chain_hash(&self.prev_hash, &self.stored) == self.hash
    }
}

/// Reads any well-formed stored bytes (field order free, escapes allowed) through serde_json.
fn read_general(stored: &[u8]) -> Result<Envelope, FormatError> {
    let parsed: EnvelopeIn<'_> = serde_json::from_slice(stored).map_err(|e| FormatError {
        detail: e.to_string(),
    })?;
    let raw = parsed.payload.get();
    if !raw.starts_with('{') {
        return Err(FormatError {
            detail: "payload is not a JSON object".into(),
        });
    }
    let start = raw.as_ptr() as usize - stored.as_ptr() as usize;
    Ok(Envelope {
        position: parsed.position,
        event_id: parsed.event_id,
        recorded_at: parsed.recorded_at,
        actor: Text::of_parsed(stored, parsed.actor),
        command_id: parsed.command_id,
        source: parsed
            .source
            .map(|source| Text::of_parsed(stored, source.0)),
        tags: parsed.tags,
        event_type: Text::of_parsed(stored, parsed.event_type),
        version: parsed.v,
        payload: start..start + raw.len(),
    })
}

/// Where the encoder put the variable fields: each JSON string with its quotes, the payload.
struct Layout {
    actor: Range<usize>,
    source: Option<Range<usize>>,
    event_type: Range<usize>,
    payload: Range<usize>,
}

/// Encodes the stored bytes of one event; returns them with where its fields are.
/// Every backend's bytes come from here, so logs move between backends and still verify.
fn encode_stored(
    position: u64,
    recorded_at: DateTime<Utc>,
    batch: &NewBatch,
    event: &NewEvent,
) -> (Vec<u8>, Layout) {
    let payload = compact_payload(&event.payload);
    let mut out = Vec::with_capacity(320 + batch.actor.len() + payload.len());
    // Writing to a Vec cannot fail; string escaping is serde_json's (only `"`, `\` and
    // control characters are escaped, other characters stay as UTF-8).
    let text = |out: &mut Vec<u8>, s: &str| {
        let start = out.len();
        serde_json::to_writer(&mut *out, s).expect("write to Vec");
        start..out.len()
    };
    write!(
        out,
        "{{\"position\":{position},\"event_id\":\"{}\"",
        event.event_id.hyphenated()
    )
    .expect("write to Vec");
    out.extend_from_slice(b",\"recorded_at\":\"");
    write_stored_recorded_at(&mut out, recorded_at);
    out.push(b'"');
    out.extend_from_slice(b",\"actor\":");
    let actor = text(&mut out, &batch.actor);
    out.extend_from_slice(b",\"command_id\":");
    text(&mut out, batch.command_id.as_str());
    out.extend_from_slice(b",\"source\":");
    let source = match &batch.source {
        Some(source) => Some(text(&mut out, source)),
        None => {
            out.extend_from_slice(b"null");
            None
        }
    };
    out.extend_from_slice(b",\"tags\":[");
    for (i, tag) in event.tags.iter().enumerate() {
        let comma = if i == 0 { "" } else { "," };
        write!(out, "{comma}\"{}\"", tag.hyphenated()).expect("write to Vec");
    }
    out.extend_from_slice(b"],\"type\":");
    let event_type = text(&mut out, &event.event_type);
    write!(out, ",\"v\":{},\"payload\":", event.version).expect("write to Vec");
    let start = out.len();
    out.extend_from_slice(&payload);
    let payload = start..out.len();
    out.push(b'}');
    let layout = Layout {
        actor,
        source,
        event_type,
        payload,
    };
    (out, layout)
}

/// The payload without line breaks, tabs and surrounding spaces. In a valid JSON text these
/// bytes can only be insignificant whitespace (inside strings they must be escaped), so
/// removing them keeps the meaning and makes every stored event, and every export line, one
/// line.
pub(crate) fn compact_payload(payload: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let trimmed = payload.trim_ascii();
    if trimmed.iter().any(|b| matches!(b, b'\n' | b'\r' | b'\t')) {
        let kept = trimmed
            .iter()
            .copied()
            .filter(|b| !matches!(b, b'\n' | b'\r' | b'\t'));
        std::borrow::Cow::Owned(kept.collect())
    } else {
        std::borrow::Cow::Borrowed(trimmed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn batch(payload: &str) -> NewBatch {
        NewBatch {
            command_id: CommandId::new("cmd-1").unwrap(),
            actor: "registrar \"A\"".into(),
            source: Some("Al Massae, 12 Dec 2016".into()),
            recorded_at: Utc.with_ymd_and_hms(2016, 12, 12, 9, 30, 0).unwrap()
                + chrono::Duration::nanoseconds(123_456_789),
            events: vec![NewEvent {
                event_id: Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001),
                event_type: "body_founded".into(),
                version: 1,
                payload: payload.as_bytes().to_vec(),
                tags: vec![Uuid::from_u128(7)],
            }],
        }
    }

    #[test]
    fn seal_encodes_the_documented_bytes_and_hashes_them() {
        // Given a batch with a formatted payload, when its event is sealed at position 1,
        let b = batch("{\n\t\"name\": \"تنسيقية الخميسات\"\n}");
        let sealed = StoredEvent::seal(1, GENESIS_HASH, &b, &b.events[0]);
        // then the stored bytes are the documented compact line, microseconds kept,
        assert_eq!(
            String::from_utf8(sealed.stored_bytes().to_vec()).unwrap(),
            r#"{"position":1,"event_id":"01900000-0000-7000-8000-000000000001","recorded_at":"2016-12-12T09:30:00.123456Z","actor":"registrar \"A\"","command_id":"cmd-1","source":"Al Massae, 12 Dec 2016","tags":["00000000-0000-0000-0000-000000000007"],"type":"body_founded","v":1,"payload":{"name": "تنسيقية الخميسات"}}"#
        );
        // and the hash is BLAKE3(zero hash || bytes).
        assert_eq!(sealed.hash(), chain_hash(&[0; 32], sealed.stored_bytes()));
        assert!(sealed.hash_matches());
    }

    #[test]
    fn parsing_the_stored_bytes_gives_back_the_sealed_event() {
        let b = batch(r#"{"name":"x"}"#);
        let sealed = StoredEvent::seal(1, GENESIS_HASH, &b, &b.events[0]);
        let parsed = StoredEvent::from_stored(
            sealed.stored_bytes().to_vec(),
            sealed.prev_hash(),
            sealed.hash(),
        )
        .unwrap();
        assert_eq!(parsed, sealed);
        assert_eq!(parsed.payload(), br#"{"name":"x"}"#);
    }

    #[test]
    fn recorded_at_is_written_as_chrono_formats_it() {
        let times = [
            Utc.with_ymd_and_hms(1970, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2016, 12, 12, 9, 30, 7).unwrap()
                + chrono::Duration::microseconds(123_456),
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap()
                + chrono::Duration::microseconds(999_999),
            // A leap second.
            chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
                .unwrap()
                .and_hms_micro_opt(23, 59, 59, 1_000_042)
                .unwrap()
                .and_utc(),
        ];
        for time in times {
            let mut written = Vec::new();
            write_stored_recorded_at(&mut written, time);
            let expected = time.format(RECORDED_AT_FORMAT).to_string();
            assert_eq!(String::from_utf8(written).unwrap(), expected);
        }
    }

    #[test]
    fn recorded_at_parses_the_stored_format_exactly() {
        let parsed = parse_stored_recorded_at(b"2016-12-12T09:30:00.123456Z").unwrap();
        assert_eq!(parsed.to_rfc3339(), "2016-12-12T09:30:00.123456+00:00");
        assert_eq!(parse_stored_recorded_at(b"2016-12-12T09:30:00Z"), None);
        assert_eq!(
            parse_stored_recorded_at(b"2016-13-12T09:30:00.123456Z"),
            None
        );
    }

    #[test]
    fn the_direct_reader_agrees_with_serde_json_and_leaves_escapes_to_it() {
        // Given sealed events with and without escapes, sources and tags,
        let mut plain = batch(r#"{"name":"x"}"#);
        plain.actor = "registrar".into();
        let mut bare = plain.clone();
        (bare.source, bare.events[0].tags) = (None, vec![]);
        let mut two_tags = plain.clone();
        two_tags.events[0].tags = vec![Uuid::from_u128(1), Uuid::from_u128(2)];
        let escaped = batch(r#"{"name":"تنسيقية"}"#); // its actor holds quotes
        for (b, direct) in [
            (&plain, true),
            (&bare, true),
            (&two_tags, true),
            (&escaped, false),
        ] {
            let sealed = StoredEvent::seal(9, GENESIS_HASH, b, &b.events[0]);
            let bytes = sealed.stored_bytes();
            // then the direct reader reads the plain layouts exactly as serde_json does,
            let general = read_general(bytes).unwrap();
            assert_eq!(
                crate::envelope::read_direct(bytes).is_some(),
                direct,
                "{b:?}"
            );
            if let Some(envelope) = crate::envelope::read_direct(bytes) {
                assert_eq!(envelope, general);
            }
            // and either way the event reads back as sealed, with the batch's texts.
            let read = StoredEvent::from_stored(bytes.to_vec(), GENESIS_HASH, sealed.hash());
            let read = read.unwrap();
            assert_eq!(read, sealed);
            for event in [&read, &sealed] {
                let texts = (event.actor(), event.source(), event.event_type());
                let given = (b.actor.as_str(), b.source.as_deref(), "body_founded");
                assert_eq!(texts, given);
            }
        }
    }

    #[test]
    fn damaged_bytes_fall_back_to_the_general_reader_and_its_error() {
        let b = batch(r#"{"name":"x"}"#);
        let sealed = StoredEvent::seal(1, GENESIS_HASH, &b, &b.events[0]);
        let cut = &sealed.stored_bytes()[..sealed.stored_bytes().len() - 1];
        let err = StoredEvent::from_stored(cut.to_vec(), GENESIS_HASH, GENESIS_HASH).unwrap_err();
        assert!(
            err.detail.starts_with("EOF while parsing an object"),
            "{err}"
        );
    }

    #[test]
    fn hex_round_trips_and_refuses_bad_digits() {
        let hash = chain_hash(&GENESIS_HASH, b"x");
        assert_eq!(hash_from_hex(&hash_to_hex(&hash)), Some(hash));
        assert_eq!(hash_from_hex(&"A".repeat(64)), None);
        assert_eq!(hash_from_hex("00"), None);
    }
}
