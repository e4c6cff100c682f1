//! Reading a Popolo document: streamed record by record, each record checked against its
//! schema, screened for what sijill cannot record, and parsed into a typed record.
//!
//! No JSON tree is built: each record is taken as a slice of the input (`RawValue`), then
//! checked against its schema while it is parsed into a typed record whose strings borrow from
//! the input where they have no escapes (`popolo/checked.rs`). A record that fails is read
//! again the slow way: the schema walker, screening, then the typed parse with its path, which
//! say exactly what is wrong. Memory follows the typed records (what the commands need
//! anyway), and reading runs at parsing speed.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::{self, Write};
use std::sync::{Arc, OnceLock};

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use sijill_domain::{EdtfDate, Names, Note, Seats, Tally, Vote};

use super::ImportError;
use crate::hash::FastSet;
use crate::popolo::checked::parse_checked;
use crate::popolo::schema::{check_record, push_key, RecordKind};

/// Distinct (kind, field) warnings kept; beyond, they are only counted.
pub const WARNING_KINDS_MAX: usize = 100;

/// One record of the file and where it is.
#[derive(Debug)]
pub(crate) struct Rec<T> {
    /// Shared with every command made from the record.
    pub path: Arc<str>,
    pub value: T,
}

/// Every record of the file, by kind, in file order.
#[derive(Debug, Default)]
pub(crate) struct Records<'a> {
    pub areas: Vec<Rec<AreaIn<'a>>>,
    pub persons: Vec<Rec<PersonIn<'a>>>,
    pub organizations: Vec<Rec<OrganizationIn<'a>>>,
    pub posts: Vec<Rec<PostIn<'a>>>,
    pub events: Vec<Rec<EventIn<'a>>>,
    pub memberships: Vec<Rec<MembershipIn<'a>>>,
    pub warnings: Warnings,
}

/// A string of the file, borrowed from it when it has no escapes (most do not), so reading
/// allocates only for what needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Text<'a>(Cow<'a, str>);

impl std::ops::Deref for Text<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<&str> for Text<'_> {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Text<'a>, D::Error> {
        deserializer.deserialize_str(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Borrowed(text)))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Owned(text.to_owned())))
    }
}

/// What the file holds that sijill does not record, aggregated by kind and field.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Warnings {
    /// `persons[].birth_date` -> (records with it, the first one's path).
    fields: BTreeMap<String, (usize, String)>,
    dropped: usize,
}

impl Warnings {
    /// Counts a field not imported; `kind` is a document key, or `$` for the document itself.
    pub(crate) fn add(&mut self, kind: &str, field: &str, path: &str) {
        let key = if kind == "$" {
            format!("$.{field}")
        } else {
            format!("{kind}[].{field}")
        };
        if let Some(entry) = self.fields.get_mut(&key) {
            entry.0 += 1;
        } else if self.fields.len() < WARNING_KINDS_MAX {
            self.fields.insert(key, (1, path.to_owned()));
        } else {
            self.dropped += 1;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.dropped == 0
    }

    /// One line per field: `persons[].birth_date: not imported (3 records, first at $.persons[0].birth_date)`.
    pub fn lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .fields
            .iter()
            .map(|(field, (count, first))| match count {
                _ if field.starts_with('$') => format!("{field}: not imported"),
                1 => format!("{field}: not imported (1 record: {first})"),
                _ => format!("{field}: not imported ({count} records, first at {first})"),
            })
            .collect();
        if self.dropped > 0 {
            lines.push(format!("{} more fields not imported", self.dropped));
        }
        lines
    }
}

impl fmt::Display for Warnings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.lines().join("\n"))
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct OtherNameIn<'a> {
    #[serde(borrow)]
    pub name: Text<'a>,
    #[serde(default)]
    #[serde(borrow)]
    pub lang: Option<Text<'a>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct AreaIn<'a> {
    #[serde(borrow)]
    pub id: Option<Text<'a>>,
    #[serde(borrow)]
    pub name: Option<Text<'a>>,
    #[serde(default)]
    #[serde(borrow)]
    pub other_names: Vec<OtherNameIn<'a>>,
    #[serde(borrow)]
    pub identifier: Option<Text<'a>>,
    #[serde(borrow)]
    pub classification: Option<Text<'a>>,
    #[serde(borrow)]
    pub parent_id: Option<Text<'a>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PersonIn<'a> {
    #[serde(borrow)]
    pub id: Option<Text<'a>>,
    #[serde(borrow)]
    pub name: Option<Text<'a>>,
    #[serde(default)]
    #[serde(borrow)]
    pub other_names: Vec<OtherNameIn<'a>>,
    #[serde(borrow)]
    pub gender: Option<Text<'a>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct OrganizationIn<'a> {
    #[serde(borrow)]
    pub id: Option<Text<'a>>,
    #[serde(borrow)]
    pub name: Option<Text<'a>>,
    #[serde(default)]
    #[serde(borrow)]
    pub other_names: Vec<OtherNameIn<'a>>,
    #[serde(borrow)]
    pub classification: Option<Text<'a>>,
    #[serde(borrow)]
    pub parent_id: Option<Text<'a>>,
    #[serde(borrow)]
    pub area_id: Option<Text<'a>>,
    #[serde(borrow)]
    pub founding_date: Option<Text<'a>>,
    #[serde(borrow)]
    pub dissolution_date: Option<Text<'a>>,
    #[serde(rename = "sijill:founding_date")]
    #[serde(borrow)]
    pub edtf_founding_date: Option<Text<'a>>,
    #[serde(rename = "sijill:dissolution_date")]
    #[serde(borrow)]
    pub edtf_dissolution_date: Option<Text<'a>>,
    #[serde(rename = "sijill:dissolution_note")]
    pub dissolution_note: Option<Note>,
    #[serde(rename = "sijill:name_history")]
    pub name_history: Option<Vec<NameSpanIn>>,
    #[serde(rename = "sijill:parent_history")]
    #[serde(borrow)]
    pub parent_history: Option<Vec<ParentSpanIn<'a>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NameSpanIn {
    pub since: Option<EdtfDate>,
    pub name: Names,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ParentSpanIn<'a> {
    pub since: Option<EdtfDate>,
    #[serde(borrow)]
    pub parent_id: Option<Text<'a>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PostIn<'a> {
    #[serde(borrow)]
    pub id: Option<Text<'a>>,
    #[serde(borrow)]
    pub label: Option<Text<'a>>,
    #[serde(default)]
    #[serde(borrow)]
    pub other_label: Vec<Text<'a>>,
    #[serde(borrow)]
    pub organization_id: Option<Text<'a>>,
    #[serde(borrow)]
    pub start_date: Option<Text<'a>>,
    #[serde(borrow)]
    pub end_date: Option<Text<'a>>,
    #[serde(rename = "sijill:start_date")]
    #[serde(borrow)]
    pub edtf_start_date: Option<Text<'a>>,
    #[serde(rename = "sijill:end_date")]
    #[serde(borrow)]
    pub edtf_end_date: Option<Text<'a>>,
    #[serde(rename = "sijill:label")]
    pub names: Option<Names>,
    #[serde(rename = "sijill:seats")]
    pub seats: Option<Seats>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct EventIn<'a> {
    #[serde(borrow)]
    pub id: Option<Text<'a>>,
    #[serde(borrow)]
    pub name: Option<Text<'a>>,
    #[serde(borrow)]
    pub classification: Option<Text<'a>>,
    #[serde(borrow)]
    pub organization_id: Option<Text<'a>>,
    #[serde(borrow)]
    pub start_date: Option<Text<'a>>,
    #[serde(borrow)]
    pub location: Option<Text<'a>>,
    #[serde(default)]
    #[serde(borrow)]
    pub attendees: Vec<AttendeeIn<'a>>,
    #[serde(rename = "sijill:start_date")]
    #[serde(borrow)]
    pub edtf_start_date: Option<Text<'a>>,
    #[serde(rename = "sijill:name")]
    pub names: Option<Names>,
    #[serde(rename = "sijill:location")]
    pub venue: Option<Names>,
    #[serde(rename = "sijill:ordinal")]
    pub ordinal: Option<u32>,
    #[serde(rename = "sijill:resolutions", default)]
    pub resolutions: Vec<ResolutionIn>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct AttendeeIn<'a> {
    #[serde(borrow)]
    pub id: Option<Text<'a>>,
    #[serde(rename = "sijill:capacity")]
    pub capacity: Option<Note>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResolutionIn {
    pub title: Names,
    #[serde(default)]
    pub text: Option<Note>,
    pub vote: Vote,
}

#[derive(Debug, Deserialize)]
pub(crate) struct MembershipIn<'a> {
    #[serde(borrow)]
    pub id: Option<Text<'a>>,
    #[serde(borrow)]
    pub person_id: Option<Text<'a>>,
    #[serde(borrow)]
    pub organization_id: Option<Text<'a>>,
    #[serde(borrow)]
    pub post_id: Option<Text<'a>>,
    #[serde(borrow)]
    pub role: Option<Text<'a>>,
    #[serde(borrow)]
    pub start_date: Option<Text<'a>>,
    #[serde(borrow)]
    pub end_date: Option<Text<'a>>,
    #[serde(borrow)]
    pub area_id: Option<Text<'a>>,
    #[serde(borrow)]
    pub on_behalf_of_id: Option<Text<'a>>,
    #[serde(rename = "sijill:start_date")]
    #[serde(borrow)]
    pub edtf_start_date: Option<Text<'a>>,
    #[serde(rename = "sijill:end_date")]
    #[serde(borrow)]
    pub edtf_end_date: Option<Text<'a>>,
    #[serde(rename = "sijill:end_reason")]
    #[serde(borrow)]
    pub end_reason: Option<Text<'a>>,
    #[serde(rename = "sijill:basis")]
    #[serde(borrow)]
    pub basis: Option<Text<'a>>,
    #[serde(rename = "sijill:tally")]
    pub tally: Option<Tally>,
    #[serde(rename = "sijill:appointed_by")]
    #[serde(borrow)]
    pub appointed_by: Option<Text<'a>>,
    #[serde(rename = "sijill:assembly_id")]
    #[serde(borrow)]
    pub assembly_id: Option<Text<'a>>,
}

/// Fields each kind imports (or, for `sijill:certainty`, knows to be derived), sorted.
fn handled(kind: RecordKind) -> &'static [&'static str] {
    match kind {
        RecordKind::Area => &[
            "classification",
            "id",
            "identifier",
            "name",
            "other_names",
            "parent_id",
        ],
        RecordKind::Person => &["gender", "id", "name", "other_names"],
        RecordKind::Organization => &[
            "area_id",
            "classification",
            "dissolution_date",
            "founding_date",
            "id",
            "name",
            "other_names",
            "parent_id",
            "sijill:certainty",
            "sijill:dissolution_date",
            "sijill:dissolution_note",
            "sijill:founding_date",
            "sijill:name_history",
            "sijill:parent_history",
        ],
        RecordKind::Post => &[
            "end_date",
            "id",
            "label",
            "organization_id",
            "other_label",
            "sijill:end_date",
            "sijill:label",
            "sijill:seats",
            "sijill:start_date",
            "start_date",
        ],
        RecordKind::Event => &[
            "attendees",
            "classification",
            "id",
            "location",
            "name",
            "organization_id",
            "sijill:location",
            "sijill:name",
            "sijill:ordinal",
            "sijill:resolutions",
            "sijill:start_date",
            "start_date",
        ],
        RecordKind::Membership => &[
            "area_id",
            "end_date",
            "id",
            "on_behalf_of_id",
            "organization_id",
            "person_id",
            "post_id",
            "role",
            "sijill:appointed_by",
            "sijill:assembly_id",
            "sijill:basis",
            "sijill:certainty",
            "sijill:end_date",
            "sijill:end_reason",
            "sijill:start_date",
            "sijill:tally",
            "start_date",
        ],
    }
}

/// Whether `field` of a record of `kind` is in [`handled`]: asked for every field of every
/// record, so answered from a hash set rather than by comparing names.
fn is_handled(kind: RecordKind, field: &str) -> bool {
    static HANDLED: OnceLock<Vec<FastSet<&'static str>>> = OnceLock::new();
    let sets = HANDLED.get_or_init(|| {
        RecordKind::ALL
            .iter()
            .map(|kind| handled(*kind).iter().copied().collect())
            .collect()
    });
    sets[kind as usize].contains(field)
}

/// Embedded records Popolo allows but sijill imports only as top-level records with ids.
fn embedded(kind: RecordKind) -> &'static [(&'static str, &'static str)] {
    match kind {
        RecordKind::Area => &[("parent", "parent_id"), ("children", "parent_id")],
        RecordKind::Person => &[("memberships", "memberships[].person_id")],
        RecordKind::Organization => &[
            ("parent", "parent_id"),
            ("children", "parent_id"),
            ("area", "area_id"),
            ("memberships", "memberships[].organization_id"),
            ("posts", "posts[].organization_id"),
        ],
        RecordKind::Post => &[
            ("organization", "organization_id"),
            ("memberships", "memberships[].post_id"),
        ],
        RecordKind::Event => &[
            ("organization", "organization_id"),
            ("parent", "parent_id"),
            ("children", "parent_id"),
        ],
        RecordKind::Membership => &[
            ("person", "person_id"),
            ("organization", "organization_id"),
            ("post", "post_id"),
            ("on_behalf_of", "on_behalf_of_id"),
            ("area", "area_id"),
            ("member", "person_id"),
        ],
    }
}

/// Reads the whole document from `bytes`.
pub(crate) fn read(bytes: &[u8]) -> Result<Records<'_>, ImportError> {
    let mut sink = Sink {
        records: Records::default(),
        path_text: String::new(),
        failure: None,
        current: None,
    };
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let outcome = DocumentSeed { sink: &mut sink }
        .deserialize(&mut deserializer)
        .and_then(|()| deserializer.end());
    match outcome {
        Ok(()) => Ok(sink.records),
        Err(e) => Err(sink
            .failure
            .take()
            .unwrap_or_else(|| syntax_error(&e, sink.current))),
    }
}

fn syntax_error(error: &serde_json::Error, within: Option<RecordKind>) -> ImportError {
    if let (Some(kind), false) = (within, error.is_syntax() || error.is_eof()) {
        let problem = format!(
            "must be an array of {} (line {}, column {})",
            kind.key(),
            error.line(),
            error.column()
        );
        return ImportError::Schema(crate::popolo::schema::SchemaError {
            path: format!("$.{}", kind.key()),
            problem,
        });
    }
    ImportError::Json {
        line: error.line(),
        column: error.column(),
        problem: error.to_string(),
    }
}

struct Sink<'a> {
    records: Records<'a>,
    /// Where each record's path is written before it is shared.
    path_text: String,
    /// The real error behind a serde error raised to stop reading.
    failure: Option<ImportError>,
    /// The array being read.
    current: Option<RecordKind>,
}

impl<'a> Sink<'a> {
    fn accept(
        &mut self,
        kind: RecordKind,
        index: usize,
        raw: &'a RawValue,
    ) -> Result<(), ImportError> {
        // One allocation for the path every command of the record shares.
        self.path_text.clear();
        write!(self.path_text, "$.{}[{index}]", kind.key()).expect("a String takes any text");
        let path: Arc<str> = Arc::from(self.path_text.as_str());
        let text = raw.get();
        match kind {
            RecordKind::Area => self.record(kind, text, path, |r| &mut r.areas)?,
            RecordKind::Person => self.record(kind, text, path, |r| &mut r.persons)?,
            RecordKind::Organization => self.record(kind, text, path, |r| &mut r.organizations)?,
            RecordKind::Post => self.record(kind, text, path, |r| &mut r.posts)?,
            RecordKind::Event => self.record(kind, text, path, |r| &mut r.events)?,
            RecordKind::Membership => self.record(kind, text, path, |r| &mut r.memberships)?,
        }
        Ok(())
    }

    /// Adds one record, typed, to its `list`. A valid record is checked and parsed in one
    /// pass; any other is checked against its schema, screened and parsed in turn, which says
    /// exactly what is wrong and where (the one pass only says that something is).
    fn record<T: Deserialize<'a>>(
        &mut self,
        kind: RecordKind,
        text: &'a str,
        path: Arc<str>,
        list: for<'r> fn(&'r mut Records<'a>) -> &'r mut Vec<Rec<T>>,
    ) -> Result<(), ImportError> {
        let record = self.typed_record(kind, text, path)?;
        list(&mut self.records).push(record);
        Ok(())
    }

    fn typed_record<T: Deserialize<'a>>(
        &mut self,
        kind: RecordKind,
        text: &'a str,
        path: Arc<str>,
    ) -> Result<Rec<T>, ImportError> {
        let mut unhandled: Vec<String> = Vec::new();
        let mut note = |field: &str, holds_data: bool| {
            if holds_data && !is_handled(kind, field) {
                unhandled.push(field.to_owned());
            }
        };
        if let Some(value) = parse_checked(kind, text, &mut note) {
            self.screen(kind, &unhandled, &path)?;
            return Ok(Rec { path, value });
        }
        unhandled.clear();
        let mut note = |field: &str, holds_data: bool| {
            if holds_data && !is_handled(kind, field) {
                unhandled.push(field.to_owned());
            }
        };
        let mut deserializer = serde_json::Deserializer::from_str(text);
        check_record(kind, &mut deserializer, &path, &mut note)?;
        self.screen(kind, &unhandled, &path)?;
        typed(text, path)
    }

    /// Refuses embedded records; counts the other fields that will not be imported.
    fn screen(
        &mut self,
        kind: RecordKind,
        unhandled: &[String],
        path: &str,
    ) -> Result<(), ImportError> {
        for field in unhandled {
            let mut field_path = path.to_owned();
            push_key(&mut field_path, field);
            if let Some((_, instead)) = embedded(kind).iter().find(|(name, _)| name == field) {
                let problem = format!(
                    "embedded `{field}` records are not imported: list them at the top level and refer to them with `{instead}`"
                );
                return Err(ImportError::Invalid {
                    path: field_path,
                    problem,
                });
            }
            self.records.warnings.add(kind.key(), field, &field_path);
        }
        Ok(())
    }
}

/// Parses a schema-checked record into its typed form; what the schema does not check (the
/// `sijill:` extension fields, the domain's own limits) is reported with its exact path.
fn typed<'a, T: Deserialize<'a>>(text: &'a str, path: Arc<str>) -> Result<Rec<T>, ImportError> {
    if let Ok(value) = serde_json::from_str(text) {
        return Ok(Rec { path, value });
    }
    // Tracking the path costs on every field, so it is paid only to explain a failure.
    let mut deserializer = serde_json::Deserializer::from_str(text);
    match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Ok(value) => Ok(Rec { path, value }),
        Err(e) => {
            let mut at = path.to_string();
            for segment in e.path().iter() {
                match segment {
                    serde_path_to_error::Segment::Seq { index } => {
                        at.push_str(&format!("[{index}]"))
                    }
                    serde_path_to_error::Segment::Map { key } => push_key(&mut at, key),
                    serde_path_to_error::Segment::Enum { variant } => push_key(&mut at, variant),
                    serde_path_to_error::Segment::Unknown => {}
                }
            }
            // The position is within the record, which the path already locates exactly.
            let inner = e.into_inner();
            let problem = inner.to_string();
            let position = format!(" at line {} column {}", inner.line(), inner.column());
            let problem = problem
                .strip_suffix(&position)
                .unwrap_or(&problem)
                .to_owned();
            Err(ImportError::Invalid { path: at, problem })
        }
    }
}

struct DocumentSeed<'s, 'a> {
    sink: &'s mut Sink<'a>,
}

impl<'a> DeserializeSeed<'a> for DocumentSeed<'_, 'a> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'a>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'a> Visitor<'a> for DocumentSeed<'_, 'a> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Popolo document: an object with arrays such as `persons` and `memberships`")
    }

    fn visit_map<A: MapAccess<'a>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match RecordKind::from_key(&key) {
                Some(kind) => {
                    self.sink.current = Some(kind);
                    map.next_value_seed(ArraySeed {
                        kind,
                        sink: &mut *self.sink,
                    })?;
                    self.sink.current = None;
                }
                None => {
                    let holds_data = map.next_value::<HoldsData>()?.0;
                    if holds_data && key != "sijill:as_of" {
                        self.sink
                            .records
                            .warnings
                            .add("$", &key, &format!("$.{key}"));
                    }
                }
            }
        }
        Ok(())
    }
}

/// Skips a value, noting whether it holds anything (not null, not an empty array or object).
struct HoldsData(bool);

impl<'de> Deserialize<'de> for HoldsData {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<HoldsData, D::Error> {
        deserializer.deserialize_any(HoldsDataVisitor)
    }
}

struct HoldsDataVisitor;

impl<'de> Visitor<'de> for HoldsDataVisitor {
    type Value = HoldsData;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<HoldsData, E> {
        Ok(HoldsData(false))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<HoldsData, E> {
        Ok(HoldsData(true))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<HoldsData, E> {
        Ok(HoldsData(true))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<HoldsData, E> {
        Ok(HoldsData(true))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<HoldsData, E> {
        Ok(HoldsData(true))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<HoldsData, E> {
        Ok(HoldsData(true))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<HoldsData, A::Error> {
        let mut any = false;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            any = true;
        }
        Ok(HoldsData(any))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<HoldsData, A::Error> {
        let mut any = false;
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {
            any = true;
        }
        Ok(HoldsData(any))
    }
}

struct ArraySeed<'s, 'a> {
    kind: RecordKind,
    sink: &'s mut Sink<'a>,
}

impl<'a> DeserializeSeed<'a> for ArraySeed<'_, 'a> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'a>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'a> Visitor<'a> for ArraySeed<'_, 'a> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an array of {} records", self.kind.key())
    }

    fn visit_seq<A: SeqAccess<'a>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        while let Some(raw) = seq.next_element::<&'a RawValue>()? {
            if let Err(failure) = self.sink.accept(self.kind, index, raw) {
                self.sink.failure = Some(failure);
                return Err(de::Error::custom("stopped at the first invalid record"));
            }
            index += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record read in one pass: its typed form and the fields not imported.
    type Read = Option<(String, Vec<(String, bool)>)>;

    fn one_pass<'a, T: Deserialize<'a> + fmt::Debug>(kind: RecordKind, text: &'a str) -> Read {
        let mut fields = Vec::new();
        let mut note = |field: &str, holds: bool| {
            if !is_handled(kind, field) {
                fields.push((field.to_owned(), holds));
            }
        };
        let value: T = parse_checked(kind, text, &mut note)?;
        Some((format!("{value:?}"), fields))
    }

    fn slow_way<'a, T: Deserialize<'a> + fmt::Debug>(kind: RecordKind, text: &'a str) -> Read {
        let mut fields = Vec::new();
        let mut note = |field: &str, holds: bool| {
            if !is_handled(kind, field) {
                fields.push((field.to_owned(), holds));
            }
        };
        let mut deserializer = serde_json::Deserializer::from_str(text);
        check_record(kind, &mut deserializer, "$", &mut note).ok()?;
        let value: T = serde_json::from_str(text).ok()?;
        Some((format!("{value:?}"), fields))
    }

    /// Whether the one pass takes `text`; it must agree with the slow way either way.
    fn check<'a, T: Deserialize<'a> + fmt::Debug>(kind: RecordKind, text: &'a str) -> bool {
        let fast = one_pass::<T>(kind, text);
        assert_eq!(fast, slow_way::<T>(kind, text), "{text}");
        fast.is_some()
    }

    #[test]
    fn one_pass_reads_what_checking_then_parsing_reads_and_refuses_the_rest() {
        let person = |text| check::<PersonIn>(RecordKind::Person, text);
        let membership = |text| check::<MembershipIn>(RecordKind::Membership, text);
        let event = |text| check::<EventIn>(RecordKind::Event, text);
        assert!(person(
            r#"{"id":"a","name":"أمينة","other_names":[{"name":"Amina \"A\"","lang":"ar-Latn"}],"gender":"female","birth_date":"1970","sijill:x":{"deep":[]},"links":[]}"#
        ));
        assert!(membership(
            r#"{"id":"m","person_id":"a","post_id":"p","start_date":"2016-12-11","end_date":null,"sijill:start_date":"2016-12-11~","sijill:basis":"elected_by_majority","sijill:tally":{"for":3,"against":1,"abstain":0},"sijill:certainty":"certain"}"#
        ));
        assert!(event(
            r#"{"id":"e","organization_id":"o","start_date":"2016","attendees":[{"id":"a","sijill:capacity":"guest","name":"A"}],"sijill:resolutions":[{"title":{"text":"t","lang":"fr"},"vote":{"majority":{"for":2,"against":1,"abstain":0}}}]}"#
        ));
        // Schema breaks: a pattern, a type, a required property, in a field no record reads.
        assert!(!membership(r#"{"id":"m","start_date":"11/03/2017"}"#));
        assert!(!person(
            r#"{"id":"a","name":"A","other_names":[{"name":3}]}"#
        ));
        assert!(!person(
            r#"{"id":"a","name":"A","other_names":[{"lang":"fr"}]}"#
        ));
        assert!(!person(
            r#"{"id":"a","name":"A","sources":[{"note":"minutes"}]}"#
        ));
        assert!(!person(r#"{"id":"a","name":null,"gender":7}"#));
        // Valid Popolo that the typed record refuses.
        assert!(!membership(r#"{"id":"m","sijill:tally":{"for":-1}}"#));
        assert!(!person(r#"{"id":"a","name":"A"} trailing"#));
    }

    #[test]
    fn handled_fields_are_sorted_and_found_by_their_kind() {
        for kind in RecordKind::ALL {
            assert!(handled(kind).windows(2).all(|w| w[0] < w[1]), "{kind:?}");
            for field in handled(kind) {
                assert!(is_handled(kind, field), "{kind:?} {field}");
            }
            assert!(!is_handled(kind, "birth_date"), "{kind:?}");
        }
        assert!(!is_handled(RecordKind::Person, "classification"));
    }
}
