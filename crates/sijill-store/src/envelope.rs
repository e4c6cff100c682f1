//! Reading the envelope of stored bytes. Every replay reads every event, so this is hot: a
//! direct reader handles the exact layout `StoredEvent::seal` writes, and anything else
//! (escaped strings, another field order, damage) goes through serde_json, which also gives
//! the error message.

use std::ops::Range;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::stored::Text;

/// The envelope fields of stored bytes; the payload stays a byte range of them.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Envelope {
    pub position: u64,
    pub event_id: Uuid,
    pub recorded_at: DateTime<Utc>,
    pub actor: Text,
    pub command_id: String,
    pub source: Option<Text>,
    pub tags: Vec<Uuid>,
    pub event_type: Text,
    pub version: u16,
    pub payload: Range<usize>,
}

/// Reads stored bytes in exactly the layout the encoder writes, with no escaped strings.
/// `None` means "not that layout": the caller falls back to the general parser. The payload
/// is only checked to be the bytes between `"payload":{` and the closing `}`; it was checked
/// to be a JSON object when it was appended, and the codec parses it fully when decoding.
pub(crate) fn read_direct(bytes: &[u8]) -> Option<Envelope> {
    let mut c = Cursor { bytes, at: 0 };
    c.literal(b"{\"position\":")?;
    let position = c.number()?;
    c.literal(b",\"event_id\":")?;
    let event_id = c.uuid()?;
    c.literal(b",\"recorded_at\":\"")?;
    let recorded_at = crate::stored::parse_stored_recorded_at(c.take(27)?)?;
    c.literal(b"\",\"actor\":")?;
    let actor = Text::Stored(c.string()?);
    c.literal(b",\"command_id\":")?;
    let command_id = c.string()?;
    let command_id = c.text(command_id)?.to_owned();
    c.literal(b",\"source\":")?;
    let source = if c.literal(b"null").is_some() {
        None
    } else {
        Some(Text::Stored(c.string()?))
    };
    c.literal(b",\"tags\":[")?;
    let tags = c.uuids()?;
    c.literal(b",\"type\":")?;
    let event_type = Text::Stored(c.string()?);
    c.literal(b",\"v\":")?;
    let version = u16::try_from(c.number()?).ok()?;
    c.literal(b",\"payload\":")?;
    let payload = c.at..bytes.len() - 1;
    let object = bytes.get(payload.start) == Some(&b'{') && bytes.ends_with(b"}}");
    object.then_some(Envelope {
        position,
        event_id,
        recorded_at,
        actor,
        command_id,
        source,
        tags,
        event_type,
        version,
        payload,
    })
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let taken = self.bytes.get(self.at..self.at + n)?;
        self.at += n;
        Some(taken)
    }

    fn literal(&mut self, expected: &[u8]) -> Option<()> {
        let start = self.at;
        (self.take(expected.len())? == expected)
            .then_some(())
            .or_else(|| {
                self.at = start;
                None
            })
    }

    fn number(&mut self) -> Option<u64> {
        let digits = self.bytes[self.at..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits == 0 || digits > 20 || (digits > 1 && self.bytes[self.at] == b'0') {
            return None;
        }
        std::str::from_utf8(self.take(digits)?).ok()?.parse().ok()
    }

    /// A JSON string without escapes or control characters: the range of its text, checked
    /// to be UTF-8.
    fn string(&mut self) -> Option<Range<usize>> {
        self.literal(b"\"")?;
        let len = self.bytes[self.at..]
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
        let range = self.at..self.at + len;
        std::str::from_utf8(self.take(len)?).ok()?;
        self.literal(b"\"")?;
        Some(range)
    }

    fn text(&self, range: Range<usize>) -> Option<&'a str> {
        std::str::from_utf8(&self.bytes[range]).ok()
    }

    fn uuid(&mut self) -> Option<Uuid> {
        self.literal(b"\"")?;
        let uuid = Uuid::try_parse_ascii(self.take(36)?).ok()?;
        self.literal(b"\"")?;
        Some(uuid)
    }

    /// The rest of a tag array, after its `[`, through its `]`.
    fn uuids(&mut self) -> Option<Vec<Uuid>> {
        let mut uuids = Vec::new();
        if self.literal(b"]").is_some() {
            return Some(uuids);
        }
        loop {
            uuids.push(self.uuid()?);
            if self.literal(b"]").is_some() {
                return Some(uuids);
            }
            self.literal(b",")?;
        }
    }
}
