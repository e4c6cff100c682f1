//! JSON text written by hand, for the exports that write hundreds of thousands of records.
//!
//! Keys are literals, each string is escaped in one pass, and nothing is allocated per
//! record: a record is appended to a reused buffer. Strings are escaped exactly as
//! `serde_json` escapes them (RFC 8259: `"`, `\` and the control characters U+0000 to U+001F;
//! everything else, non-ASCII included, stays UTF-8), so a document whose other parts
//! `serde_json` writes stays byte for byte what it was.

use sijill_domain::{Names, Tally, Vote};

/// The escape of each byte: 0 for none, `u` for `\u00XX`, else the letter after `\`.
const ESCAPES: [u8; 256] = escapes();

const fn escapes() -> [u8; 256] {
    let mut table = [0u8; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = b'u';
        byte += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0A] = b'n';
    table[0x0C] = b'f';
    table[0x0D] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
}

/// Appends `text` as a JSON string, quotes included.
pub(crate) fn write_str(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut run_start = 0;
    for (at, &byte) in bytes.iter().enumerate() {
        let escape = ESCAPES[usize::from(byte)];
        if escape == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[run_start..at]);
        run_start = at + 1;
        if escape == b'u' {
            const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.push(HEX_DIGITS[usize::from(byte >> 4)]);
            out.push(HEX_DIGITS[usize::from(byte & 0xF)]);
        } else {
            out.extend_from_slice(&[b'\\', escape]);
        }
    }
    out.extend_from_slice(&bytes[run_start..]);
    out.push(b'"');
}

/// Appends `n` in decimal.
pub(crate) fn write_u32(out: &mut Vec<u8>, mut n: u32) {
    let mut digits = [0u8; 10];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[start..]);
}

/// A JSON object being appended to a buffer: members in the order written, absent values
/// left out (never written `null`). `end` closes it.
pub(crate) struct Object<'o> {
    out: &'o mut Vec<u8>,
    empty: bool,
}

impl<'o> Object<'o> {
    pub fn begin(out: &'o mut Vec<u8>) -> Object<'o> {
        out.push(b'{');
        Object { out, empty: true }
    }

    /// Starts member `key` and returns the buffer for its value. `key` is a literal of the
    /// format, written as is, so it must need no escape.
    pub fn member(&mut self, key: &'static str) -> &mut Vec<u8> {
        debug_assert!(key.bytes().all(|b| ESCAPES[usize::from(b)] == 0), "{key}");
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }

    pub fn str(&mut self, key: &'static str, value: &str) -> &mut Self {
        write_str(self.member(key), value);
        self
    }

    pub fn opt_str(&mut self, key: &'static str, value: Option<&str>) -> &mut Self {
        if let Some(value) = value {
            self.str(key, value);
        }
        self
    }

    /// `"key":"value"`, or `"key":null` without a value.
    pub fn str_or_null(&mut self, key: &'static str, value: Option<&str>) -> &mut Self {
        match value {
            Some(value) => self.str(key, value),
            None => {
                self.member(key).extend_from_slice(b"null");
                self
            }
        }
    }

    pub fn opt_u32(&mut self, key: &'static str, value: Option<u32>) -> &mut Self {
        if let Some(value) = value {
            write_u32(self.member(key), value);
        }
        self
    }

    /// `"key":{...}`, written by `members`.
    pub fn object(
        &mut self,
        key: &'static str,
        members: impl FnOnce(&mut Object<'_>),
    ) -> &mut Self {
        let mut inner = Object::begin(self.member(key));
        members(&mut inner);
        inner.end();
        self
    }

    /// `"key":[...]`, each item written by `item`; left out when there are no items.
    pub fn array<I: IntoIterator>(
        &mut self,
        key: &'static str,
        items: I,
        mut item: impl FnMut(&mut Vec<u8>, I::Item),
    ) -> &mut Self {
        let mut items = items.into_iter().peekable();
        if items.peek().is_none() {
            return self;
        }
        let out = self.member(key);
        out.push(b'[');
        for (i, value) in items.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            item(out, value);
        }
        out.push(b']');
        self
    }

    pub fn names(&mut self, key: &'static str, names: &Names) -> &mut Self {
        write_names(self.member(key), names);
        self
    }

    pub fn end(&mut self) {
        self.out.push(b'}');
    }
}

/// Names as the domain writes them: `{"text", "lang"?, "others"?: [{"text", "lang"?}]}`.
pub(crate) fn write_names(out: &mut Vec<u8>, names: &Names) {
    Object::begin(out)
        .str("text", names.text())
        .opt_str("lang", names.lang().map(|l| l.as_str()))
        .array("others", names.others(), |out, name| {
            Object::begin(out)
                .str("text", name.text())
                .opt_str("lang", name.lang().map(|l| l.as_str()))
                .end();
        })
        .end();
}

/// A tally as the domain writes it: every count, even 0.
pub(crate) fn write_tally(object: &mut Object<'_>, tally: &Tally) {
    for (key, count) in [
        ("for", tally.votes_for),
        ("against", tally.against),
        ("abstain", tally.abstain),
    ] {
        write_u32(object.member(key), count);
    }
}

/// A vote as the domain writes it: a name, or `{"majority": {tally}}`.
pub(crate) fn write_vote(out: &mut Vec<u8>, vote: &Vote) {
    let name = match vote {
        Vote::Majority(tally) => {
            Object::begin(out)
                .object("majority", |o| write_tally(o, tally))
                .end();
            return;
        }
        Vote::Unanimous => "unanimous",
        Vote::Acclamation => "acclamation",
        Vote::Consensus => "consensus",
        Vote::NotStated => "not_stated",
    };
    write_str(out, name);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_hand(text: &str) -> String {
        let mut out = Vec::new();
        write_str(&mut out, text);
        String::from_utf8(out).expect("escaping keeps UTF-8")
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let every_control: String = (0u8..0x20).map(char::from).collect();
        let texts = [
            "",
            "plain",
            r#"a "quoted" word"#,
            r"back\slash\\",
            "tab\there, line\nbreak, return\r, feed\u{0C}, bell\u{07}, backspace\u{08}",
            &every_control,
            "\u{7F} delete is not escaped",
            "عبد العزيز أشرف التازي",
            "مجلس \"النواب\"\n",
            "emoji 🇲🇦 👩🏽‍⚖️ at the end 🎉",
            "\\\"\u{0}\u{1F}",
        ];
        for text in texts {
            let expected = serde_json::to_string(text).expect("a string serializes");
            assert_eq!(by_hand(text), expected, "{text:?}");
        }
    }

    #[test]
    fn numbers_are_decimal() {
        for n in [0, 7, 10, 99, 12_910, u32::MAX] {
            let mut out = Vec::new();
            write_u32(&mut out, n);
            assert_eq!(out, n.to_string().as_bytes());
        }
    }

    #[test]
    fn names_tallies_and_votes_are_the_domains_wire_form() {
        let names = [
            Names::new("Khemisset").unwrap(),
            Names::tagged("البيان الختامي", Some("ar"))
                .unwrap()
                .with_other("déclaration \"finale\"", Some("fr"))
                .unwrap()
                .with_other("final statement", None)
                .unwrap(),
        ];
        for names in &names {
            let mut out = Vec::new();
            write_names(&mut out, names);
            assert_eq!(out, serde_json::to_vec(names).unwrap());
        }
        let tally = Tally {
            votes_for: 12,
            against: 0,
            abstain: 3,
        };
        let votes = [
            Vote::Unanimous,
            Vote::Majority(tally),
            Vote::Acclamation,
            Vote::Consensus,
            Vote::NotStated,
        ];
        for vote in &votes {
            let mut out = Vec::new();
            write_vote(&mut out, vote);
            assert_eq!(out, serde_json::to_vec(vote).unwrap(), "{vote:?}");
        }
    }

    #[test]
    fn objects_leave_absent_members_out() {
        let mut out = Vec::new();
        let mut object = Object::begin(&mut out);
        object
            .str("id", "a")
            .opt_str("name", None)
            .opt_u32("seats", Some(3))
            .array("empty", Vec::<u32>::new(), write_u32)
            .array("list", [1, 2], write_u32)
            .object("tally", |o| {
                write_tally(
                    o,
                    &Tally {
                        votes_for: 2,
                        against: 1,
                        abstain: 0,
                    },
                )
            });
        object.end();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"id":"a","seats":3,"list":[1,2],"tally":{"for":2,"against":1,"abstain":0}}"#
        );
    }
}
