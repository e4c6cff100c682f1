//! Multilingual names and free text, validated where they enter.
//!
//! A name is recorded as printed in its source (often Arabic), with other names beside it:
//! Latin transliterations (`ar-Latn`), French or English forms, spellings seen elsewhere.
//! Each carries an optional BCP-47 language tag. Search folds them all (see `search.rs`);
//! the registry keeps them as written.
//!
//! On the wire a [`Names`] is either a bare string or an object, so hand-written TOML stays
//! short:
//!
//! ```toml
//! name = "Chamber of Agriculture"
//! name = { text = "أشرف شهبون", lang = "ar", others = [{ text = "Achraf Chahboun", lang = "ar-Latn" }] }
//! ```

use std::fmt;
use std::sync::Arc;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

/// Longest name, in characters (Unicode scalar values), after trimming.
pub const NAME_LEN_MAX: usize = 200;
/// Most other names (transliterations, variants) besides the printed one.
pub const OTHER_NAMES_MAX: usize = 16;
/// Longest BCP-47 language tag, in characters.
pub const LANG_TAG_LEN_MAX: usize = 35;
/// Longest free text (a reason, a capacity, a resolution's text), in characters.
pub const NOTE_LEN_MAX: usize = 4000;
/// Longest official code (an area's administrative code), in characters.
pub const CODE_LEN_MAX: usize = 32;

/// Why a text is not an acceptable name, tag, note or code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("a name must not be empty or only spaces")]
    EmptyName,
    #[error("name `{shown}` has {chars} characters; the limit is {NAME_LEN_MAX}")]
    NameTooLong { shown: String, chars: usize },
    #[error("name `{0}` contains a control character (tab, newline or similar); remove it")]
    NameControl(String),
    #[error("{0} other names given; the limit is {OTHER_NAMES_MAX}")]
    TooManyOtherNames(usize),
    #[error(
        "`{0}` is not a language tag; write a BCP-47 tag such as `ar`, `fr`, `en` or `ar-Latn`"
    )]
    BadLangTag(String),
    #[error("a note must not be empty or only spaces; leave the field out instead")]
    EmptyNote,
    #[error("note has {0} characters; the limit is {NOTE_LEN_MAX}")]
    NoteTooLong(usize),
    #[error("note contains a control character other than a newline; remove it")]
    NoteControl,
    #[error("code `{0}` is not a code: use 1 to {CODE_LEN_MAX} letters, digits, `.`, `-` or `_`")]
    BadCode(String),
}

/// Keeps messages bounded when the input is not.
fn shown(text: &str) -> String {
    const SHOWN_MAX: usize = 40;
    if text.chars().count() <= SHOWN_MAX {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(SHOWN_MAX).collect();
    out.push('…');
    out
}

/// A BCP-47 language tag, checked for shape only (`ar`, `fr`, `ar-Latn`, `zh-Hant-TW`).
///
/// Compared, hashed and serialized as its text.
#[derive(Clone)]
pub struct LangTag(TagText);

/// A tag's text: inline when it is short, as nearly every tag is (`ar`, `fr`, `ar-Latn`), so
/// that the hundreds of thousands of names in a registry do not each allocate their tag;
/// behind a thin pointer otherwise, so that a tag takes 16 bytes either way.
#[derive(Clone)]
enum TagText {
    Short {
        len: u8,
        bytes: [u8; TAG_INLINE_MAX],
    },
    Long(Box<Box<str>>),
}

/// Longest tag kept inline, in bytes (tags are ASCII).
const TAG_INLINE_MAX: usize = 14;

const _: () = assert!(std::mem::size_of::<Option<LangTag>>() == 16);

impl LangTag {
    pub fn parse(text: &str) -> Result<LangTag, TextError> {
        let bad = || TextError::BadLangTag(shown(text));
        if text.is_empty() || text.len() > LANG_TAG_LEN_MAX {
            return Err(bad());
        }
        let mut subtags = text.split('-');
        let primary = subtags.next().unwrap_or_default();
        let primary_ok =
            (2..=8).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_alphabetic());
        let rest_ok = subtags
            .all(|s| (1..=8).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric()));
        if primary_ok && rest_ok {
            let mut bytes = [0; TAG_INLINE_MAX];
            Ok(LangTag(match bytes.get_mut(..text.len()) {
                Some(inline) => {
                    inline.copy_from_slice(text.as_bytes());
                    TagText::Short {
                        len: text.len() as u8,
                        bytes,
                    }
                }
                None => TagText::Long(Box::new(text.into())),
            }))
        } else {
            Err(bad())
        }
    }

    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Parsed from a `str` and cut at its length: valid UTF-8 (ASCII, in fact).
            TagText::Short { len, bytes } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            TagText::Long(text) => text,
        }
    }

    /// A Latin-script form (`ar-Latn`, `fr`, `en`)? Used to pick a display name for Latin
    /// readers; an untagged name counts as unknown script.
    pub fn is_latin(&self) -> bool {
        let lower = self.as_str().to_ascii_lowercase();
        lower.contains("-latn") || matches!(lower.split('-').next(), Some("fr" | "en" | "es"))
    }
}

impl fmt::Display for LangTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for LangTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq for LangTag {
    fn eq(&self, other: &LangTag) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for LangTag {}

impl PartialOrd for LangTag {
    fn partial_cmp(&self, other: &LangTag) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for LangTag {
    fn cmp(&self, other: &LangTag) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl std::hash::Hash for LangTag {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl Serialize for LangTag {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for LangTag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<LangTag, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        LangTag::parse(&text).map_err(de::Error::custom)
    }
}

/// One name: trimmed, non-empty, no control characters, at most [`NAME_LEN_MAX`]
/// characters, with an optional language tag.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Name {
    text: Box<str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lang: Option<LangTag>,
}

impl Name {
    pub fn new(text: &str, lang: Option<LangTag>) -> Result<Name, TextError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(TextError::EmptyName);
        }
        let chars = text.chars().count();
        if chars > NAME_LEN_MAX {
            return Err(TextError::NameTooLong {
                shown: shown(text),
                chars,
            });
        }
        if text.chars().any(char::is_control) {
            return Err(TextError::NameControl(shown(text)));
        }
        Ok(Name {
            text: text.into(),
            lang,
        })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn lang(&self) -> Option<&LangTag> {
        self.lang.as_ref()
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.lang {
            Some(lang) => write!(f, "{:?}@{}", self.text, lang),
            None => write!(f, "{:?}", self.text),
        }
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A name as printed in the source, plus up to [`OTHER_NAMES_MAX`] other names.
///
/// Cheap to clone (shared), because queries hand names out by value.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Names(Arc<NamesInner>);

#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct NamesInner {
    text: Box<str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lang: Option<LangTag>,
    /// A boxed slice, not a `Vec`: names are built one other name at a time, and a `Vec`
    /// would keep room for four (a hundred thousand people, most with one or two others).
    #[serde(default, skip_serializing_if = "<[Name]>::is_empty")]
    others: Box<[Name]>,
}

impl Names {
    /// A single name without a language tag.
    pub fn new(text: &str) -> Result<Names, TextError> {
        Names::tagged(text, None)
    }

    /// A single name with an optional language tag (`"ar"`, `"ar-Latn"`).
    pub fn tagged(text: &str, lang: Option<&str>) -> Result<Names, TextError> {
        let lang = lang.map(LangTag::parse).transpose()?;
        let printed = Name::new(text, lang)?;
        Ok(Names(Arc::new(NamesInner {
            text: printed.text,
            lang: printed.lang,
            others: Box::default(),
        })))
    }

    /// These names plus another one (a transliteration, a variant spelling).
    pub fn with_other(self, text: &str, lang: Option<&str>) -> Result<Names, TextError> {
        let lang = lang.map(LangTag::parse).transpose()?;
        let other = Name::new(text, lang)?;
        let mut inner = Arc::unwrap_or_clone(self.0);
        if inner.others.len() >= OTHER_NAMES_MAX {
            return Err(TextError::TooManyOtherNames(inner.others.len() + 1));
        }
        let mut others = Vec::from(std::mem::take(&mut inner.others));
        others.reserve_exact(1);
        others.push(other);
        inner.others = others.into_boxed_slice();
        Ok(Names(Arc::new(inner)))
    }

    /// Where these names are allocated: equal for clones of one `Names`, so that a snapshot
    /// can keep names shared that the state shares.
    pub(crate) fn allocation(&self) -> usize {
        Arc::as_ptr(&self.0) as usize
    }

    /// The name as printed in the source.
    pub fn text(&self) -> &str {
        &self.0.text
    }

    pub fn lang(&self) -> Option<&LangTag> {
        self.0.lang.as_ref()
    }

    pub fn others(&self) -> &[Name] {
        &self.0.others
    }

    /// Every name's text, the printed one first: what search indexes.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.text()).chain(self.0.others.iter().map(Name::text))
    }

    /// The first Latin-script name if there is one, else the printed name.
    pub fn latin_or_printed(&self) -> &str {
        let printed_latin = self.lang().is_some_and(LangTag::is_latin);
        if printed_latin {
            return self.text();
        }
        self.0
            .others
            .iter()
            .find(|n| n.lang().is_some_and(LangTag::is_latin))
            .map_or(self.text(), Name::text)
    }

    fn validate(inner: NamesInner) -> Result<Names, TextError> {
        let printed = Name::new(&inner.text, inner.lang)?;
        if inner.others.len() > OTHER_NAMES_MAX {
            return Err(TextError::TooManyOtherNames(inner.others.len()));
        }
        // `Name`'s own deserializer already validated each other name.
        Ok(Names(Arc::new(NamesInner {
            text: printed.text,
            lang: printed.lang,
            others: inner.others,
        })))
    }
}

impl fmt::Debug for Names {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        list.entry(&Name {
            text: self.0.text.clone(),
            lang: self.0.lang.clone(),
        });
        list.entries(self.0.others.iter());
        list.finish()
    }
}

impl fmt::Display for Names {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}

impl Serialize for Names {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Names {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Names, D::Error> {
        deserializer.deserialize_any(NamesVisitor)
    }
}

struct NamesVisitor;

impl<'de> Visitor<'de> for NamesVisitor {
    type Value = Names;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a name: a string, or {text, lang, others}")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Names, E> {
        Names::new(text).map_err(E::custom)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Names, A::Error> {
        let inner = NamesInner::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Names::validate(inner).map_err(de::Error::custom)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NameWire {
    text: String,
    #[serde(default)]
    lang: Option<LangTag>,
}

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Name, D::Error> {
        deserializer.deserialize_any(NameVisitor)
    }
}

struct NameVisitor;

impl<'de> Visitor<'de> for NameVisitor {
    type Value = Name;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a name: a string, or {text, lang}")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Name, E> {
        Name::new(text, None).map_err(E::custom)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Name, A::Error> {
        let wire = NameWire::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Name::new(&wire.text, wire.lang).map_err(de::Error::custom)
    }
}

/// Free text: a reason, a capacity, a resolution's text. Trimmed, non-empty, newlines
/// allowed, no other control characters, at most [`NOTE_LEN_MAX`] characters.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Note(Arc<str>);

impl Note {
    pub fn new(text: &str) -> Result<Note, TextError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(TextError::EmptyNote);
        }
        let chars = text.chars().count();
        if chars > NOTE_LEN_MAX {
            return Err(TextError::NoteTooLong(chars));
        }
        if text.chars().any(|c| c.is_control() && c != '\n') {
            return Err(TextError::NoteControl);
        }
        Ok(Note(text.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl<'de> Deserialize<'de> for Note {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Note, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Note::new(&text).map_err(de::Error::custom)
    }
}

/// An official code (an area's administrative code): 1 to [`CODE_LEN_MAX`] ASCII letters,
/// digits, `.`, `-` or `_`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Code(Box<str>);

impl Code {
    pub fn new(text: &str) -> Result<Code, TextError> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_');
        if text.is_empty() || text.len() > CODE_LEN_MAX || !text.chars().all(allowed) {
            return Err(TextError::BadCode(shown(text)));
        }
        Ok(Code(text.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Code, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Code::new(&text).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_inline_or_boxed_read_compare_and_serialize_as_their_text() {
        let texts = [
            "ar",
            "ar-Latn",
            "zh-Hant-TW",
            "abcdefgh-ijklm",
            "abcdefgh-ijklmn-op",
        ];
        let tags: Vec<LangTag> = texts
            .iter()
            .map(|t| LangTag::parse(t).expect("a tag"))
            .collect();
        for (tag, text) in tags.iter().zip(texts) {
            assert_eq!(tag.as_str(), text);
            assert_eq!(tag.to_string(), text);
            assert_eq!(
                serde_json::to_string(tag).expect("serializable"),
                format!("\"{text}\"")
            );
            assert_eq!(*tag, LangTag::parse(text).expect("a tag"));
        }
        let mut sorted = tags.clone();
        sorted.sort();
        let mut by_text = texts.to_vec();
        by_text.sort();
        assert_eq!(
            sorted.iter().map(LangTag::as_str).collect::<Vec<_>>(),
            by_text
        );
        assert!(tags[1].is_latin() && !tags[0].is_latin());
    }
}
