//! Popolo JSON export, written record by record to any `io::Write`.
//!
//! The document is one JSON object with six arrays, in dependency order (`areas`, `persons`,
//! `organizations`, `posts`, `events`, `memberships`), so a reader that streams it meets every
//! record before anything that refers to it. Each array is sorted by `id` (byte order), each
//! record is one line, and record keys come in a fixed order: the same registry always gives
//! the same bytes. Memory use is bounded by one record plus a sorted list of references to
//! the registry's entities; the document is never built in memory.
//!
//! Field by field mapping, and what Popolo cannot say: `docs/interop.md`.

use std::borrow::Cow;
use std::io::{self, Write};

use serde::Serialize;
use sijill_domain::{
    Appointer, Area, Assembly, Basis, Body, Certainty, Constituency, EdtfDate, Mandate, Names,
    Person, Post, Registry, Tally,
};
use uuid::Uuid;

use crate::dates::{reduced, split};
use crate::handles::Handles;
use crate::ids::of_handle;
use crate::provenance::Provenance;
use crate::scope::{ExportOptions, Scope};
use crate::wire::kind_name;

/// How many records of each kind an export wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ExportCounts {
    pub areas: usize,
    pub persons: usize,
    pub organizations: usize,
    pub posts: usize,
    pub events: usize,
    pub memberships: usize,
}

/// Writes the registry (or its structure as of a date) as a Popolo JSON document.
///
/// `provenance`, when given, fills each record's `sources` from the log.
pub fn write_popolo<W: Write>(
    registry: &Registry,
    provenance: Option<&Provenance>,
    options: &ExportOptions,
    out: W,
) -> io::Result<ExportCounts> {
    let scope = Scope::new(registry, options);
    let writer = Exporter {
        scope: &scope,
        provenance,
        handles: Handles::for_export(registry, scope.records()),
    };
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    let mut counts = ExportCounts::default();
    out.write_all(b"{")?;
    if let Some(as_of) = &scope.as_of {
        writeln!(
            out,
            "\"sijill:as_of\":{},",
            serde_json::to_string(as_of.as_date())?
        )?;
    }
    counts.areas = writer.section(&mut out, "areas", scope.areas(), Exporter::area)?;
    out.write_all(b",\n")?;
    counts.persons = writer.section(&mut out, "persons", scope.people(), Exporter::person)?;
    out.write_all(b",\n")?;
    counts.organizations = writer.section(
        &mut out,
        "organizations",
        scope.bodies(),
        Exporter::organization,
    )?;
    out.write_all(b",\n")?;
    counts.posts = writer.section(&mut out, "posts", scope.posts(), Exporter::post)?;
    out.write_all(b",\n")?;
    counts.events = writer.section(&mut out, "events", scope.assemblies(), Exporter::event)?;
    out.write_all(b",\n")?;
    counts.memberships = writer.memberships(&mut out)?;
    out.write_all(b"}\n")?;
    out.flush()?;
    Ok(counts)
}

struct Exporter<'s, 'r> {
    scope: &'s Scope<'r>,
    provenance: Option<&'s Provenance>,
    /// Other records' ids, for references.
    handles: Handles<'r>,
}

impl<'s, 'r> Exporter<'s, 'r> {
    /// Writes `"key":[...]`, one record per line (`items` come sorted by id).
    fn section<T, R: Serialize>(
        &self,
        out: &mut impl Write,
        key: &str,
        items: Vec<&'r T>,
        record: impl Fn(&Self, &'r T) -> R,
    ) -> io::Result<usize> {
        write!(out, "\"{key}\":[")?;
        for (i, item) in items.iter().enumerate() {
            out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
            serde_json::to_writer(&mut *out, &record(self, item))?;
        }
        out.write_all(if items.is_empty() { b"]" } else { b"\n]" })?;
        Ok(items.len())
    }

    fn memberships(&self, out: &mut impl Write) -> io::Result<usize> {
        let mandates = self.scope.mandates();
        out.write_all(b"\"memberships\":[")?;
        for (i, (id, mandate)) in mandates.iter().enumerate() {
            out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
            serde_json::to_writer(&mut *out, &self.membership(id, mandate))?;
        }
        out.write_all(if mandates.is_empty() { b"]" } else { b"\n]" })?;
        Ok(mandates.len())
    }

    fn sources(&self, id: Uuid) -> Vec<Link<'s>> {
        self.provenance
            .map_or_else(Vec::new, |p| p.sources(id).map(Link::from_source).collect())
    }

    fn registry(&self) -> &'r Registry {
        self.scope.registry
    }

    fn area(&self, area: &'r Area) -> AreaOut<'r, 's> {
        AreaOut {
            id: of_handle(&area.handle),
            name: area.name.text(),
            other_names: other_names(&area.name),
            identifier: area.code.as_ref().map(|c| c.as_str()),
            classification: kind_name(&area.kind),
            parent_id: area.parent.and_then(|p| self.handles.get(p)),
            sources: self.sources(area.id.as_uuid()),
        }
    }

    fn person(&self, person: &'r Person) -> PersonOut<'r, 's> {
        PersonOut {
            id: of_handle(&person.handle),
            name: person.name.text(),
            other_names: other_names(&person.name),
            gender: person.gender.map(|g| kind_name(&g)),
            sources: self.sources(person.id.as_uuid()),
        }
    }

    fn organization(&self, body: &'r Body) -> OrganizationOut<'r, 's>
    where
        's: 'r,
    {
        let name = self.scope.body_name(body);
        let mut names = other_names(name);
        names.extend(former_names(body, name));
        let dissolution = body.dissolution.as_ref();
        let founded = body.founded_on.as_ref().map_or((None, None), split);
        let dissolved = dissolution.map_or((None, None), |d| split(&d.on));
        let parent = self
            .scope
            .body_parent(body)
            .and_then(|p| self.handles.get(p));
        OrganizationOut {
            id: of_handle(&body.handle),
            name: name.text(),
            other_names: names,
            classification: body.kind.as_str(),
            parent_id: parent,
            area_id: body.area.and_then(|a| self.handles.get(a)),
            founding_date: founded.0,
            dissolution_date: dissolved.0,
            sijill_founding_date: founded.1,
            sijill_dissolution_date: dissolved.1,
            sijill_dissolution_note: dissolution
                .and_then(|d| d.note.as_ref())
                .map(|n| n.as_str()),
            sijill_name_history: name_history(body),
            sijill_parent_history: self.parent_history(body),
            sijill_certainty: self.scope.body_certainty(body.id),
            sources: self.sources(body.id.as_uuid()),
        }
    }

    fn parent_history(&self, body: &'r Body) -> Option<Vec<ParentSpan<'r>>> {
        if body.parents.len() < 2 {
            return None;
        }
        let mut spans: Vec<_> = body.parents.iter().collect();
        spans.sort_by_key(|s| s.position);
        let span = |s: &&sijill_domain::Dated<Option<sijill_domain::BodyId>>| ParentSpan {
            since: s.since,
            parent_id: s.value.and_then(|p| self.handles.get(p)),
        };
        Some(spans.iter().map(span).collect())
    }

    fn post(&self, post: &'r Post) -> PostOut<'r, 's> {
        let established = post.established_on.as_ref().map_or((None, None), split);
        let abolished = post
            .abolition
            .as_ref()
            .map_or((None, None), |a| split(&a.on));
        PostOut {
            id: of_handle(&post.handle),
            label: post.title.text(),
            other_label: post.title.others().iter().map(|n| n.text()).collect(),
            organization_id: self.handles.get(post.body),
            start_date: established.0,
            end_date: abolished.0,
            sijill_start_date: established.1,
            sijill_end_date: abolished.1,
            sijill_label: has_lang(&post.title).then_some(&post.title),
            sijill_seats: post.seats.limit(),
            sources: self.sources(post.id.as_uuid()),
        }
    }

    fn event(&self, assembly: &'r Assembly) -> EventOut<'r, 's> {
        let name = assembly.name.as_ref();
        let venue = assembly.venue.as_ref();
        let held = split(&assembly.held_on);
        EventOut {
            id: of_handle(&assembly.handle),
            name: name.map(Names::text),
            classification: kind_name(&assembly.kind),
            organization_id: self.handles.get(assembly.body),
            start_date: held.0,
            location: venue.map(Names::text),
            attendees: self.attendees(assembly),
            sijill_start_date: held.1,
            sijill_name: name.filter(|n| has_lang(n)),
            sijill_location: venue.filter(|n| has_lang(n)),
            sijill_ordinal: assembly.ordinal,
            sijill_resolutions: assembly
                .resolutions
                .iter()
                .map(|r| ResolutionOut {
                    title: &r.title,
                    text: r.text.as_ref().map(|t| t.as_str()),
                    vote: r.vote,
                })
                .collect(),
            sources: self.sources(assembly.id.as_uuid()),
        }
    }

    fn attendees(&self, assembly: &'r Assembly) -> Vec<AttendeeOut<'r>> {
        let attendee = |a: &'r sijill_domain::AttendanceEntry| {
            Some(AttendeeOut {
                id: self.handles.get(a.person)?,
                capacity: a.capacity.as_ref().map(|c| c.as_str()),
            })
        };
        assembly
            .attendance
            .iter()
            .map(|a| &**a)
            .filter_map(attendee)
            .collect()
    }

    fn membership(&self, id: &'r str, mandate: &'r Mandate) -> MembershipOut<'r, 's> {
        let registry = self.registry();
        let handle = |e: Option<&'r sijill_domain::Handle>| e.map(of_handle);
        let end = mandate.end.as_ref();
        let (from, to) = (
            split(&mandate.from),
            end.map_or((None, None), |e| split(&e.on)),
        );
        let (area_id, on_behalf_of_id) = match mandate.constituency {
            Some(Constituency::Area(a)) => (self.handles.get(a), None),
            Some(Constituency::Body(b)) => (None, self.handles.get(b)),
            None => (None, None),
        };
        let post = registry.post(mandate.post);
        MembershipOut {
            id,
            person_id: self.handles.get(mandate.person),
            organization_id: self.handles.get(mandate.body),
            post_id: handle(post.map(|p| &p.handle)),
            role: post.map(|p| p.title.text()),
            start_date: from.0,
            end_date: to.0,
            area_id,
            on_behalf_of_id,
            sijill_start_date: from.1,
            sijill_end_date: to.1,
            sijill_end_reason: end.map(|e| kind_name(&e.reason)),
            sijill_basis: mandate.basis.as_str(),
            sijill_tally: tally(&mandate.basis),
            sijill_appointed_by: self.appointer(&mandate.basis),
            sijill_assembly_id: mandate.assembly.and_then(|a| self.handles.get(a)),
            sijill_certainty: self.scope.mandate_certainty(mandate.id),
            sources: self.sources(mandate.id.as_uuid()),
        }
    }

    fn appointer(&self, basis: &Basis<Appointer>) -> Option<&'r str> {
        match basis {
            Basis::Appointed {
                by: Some(Appointer::Person(p)),
            } => self.handles.get(*p),
            Basis::Appointed {
                by: Some(Appointer::Body(b)),
            } => self.handles.get(*b),
            _ => None,
        }
    }
}

fn tally(basis: &Basis<Appointer>) -> Option<Tally> {
    match basis {
        Basis::ElectedByMajority(tally) => Some(*tally),
        _ => None,
    }
}

/// Whether any of the names carries a language tag (then the plain Popolo fields lose it).
fn has_lang(names: &Names) -> bool {
    names.lang().is_some() || names.others().iter().any(|n| n.lang().is_some())
}

/// The names as Popolo `other_names`: the printed name first when it has a language tag
/// (Popolo's `name` cannot carry one), then the other names.
fn other_names(names: &Names) -> Vec<OtherName<'_>> {
    let printed = names
        .lang()
        .map(|lang| OtherName::new(names.text(), Some(lang.as_str())));
    let others = names
        .others()
        .iter()
        .map(|n| OtherName::new(n.text(), n.lang().map(|l| l.as_str())));
    printed.into_iter().chain(others).collect()
}

/// A renamed body's other names over time, with the dates they were used (Popolo's
/// `start_date`/`end_date` on other names), except the one shown as `name`.
fn former_names<'a>(body: &'a Body, shown: &'a Names) -> Vec<OtherName<'a>> {
    if body.names.len() < 2 {
        return Vec::new();
    }
    let spans: Vec<_> = body.names.iter().collect();
    let shown_at = spans.iter().position(|s| s.value == *shown);
    let mut out = Vec::new();
    for (i, span) in spans
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != shown_at)
    {
        let start = span.since.as_ref().and_then(reduced);
        let end = spans
            .get(i + 1)
            .and_then(|next| next.since.as_ref())
            .and_then(reduced);
        for text in span.value.texts() {
            out.push(OtherName {
                name: text,
                lang: None,
                start_date: start.clone(),
                end_date: end.clone(),
            });
        }
    }
    out
}

/// Every name a renamed body has had, in the order they were recorded (the founding name
/// first), so an import can replay the renames.
fn name_history(body: &Body) -> Option<Vec<NameSpan<'_>>> {
    if body.names.len() < 2 {
        return None;
    }
    let mut spans: Vec<_> = body.names.iter().collect();
    spans.sort_by_key(|s| s.position);
    Some(
        spans
            .into_iter()
            .map(|s| NameSpan {
                since: s.since,
                name: &s.value,
            })
            .collect(),
    )
}

#[derive(Serialize)]
struct Link<'a> {
    url: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
}

impl<'a> Link<'a> {
    /// A source as a Popolo link: a URI as is; free text (a citation) as the note, with a
    /// URN naming that text as the URL, because Popolo requires one.
    fn from_source(source: &'a str) -> Link<'a> {
        if looks_like_uri(source) {
            return Link {
                url: Cow::Borrowed(source),
                note: None,
            };
        }
        Link {
            url: Cow::Owned(source_urn(source)),
            note: Some(source),
        }
    }
}

/// `urn:sijill:source:` and 16 hex digits of BLAKE3 of the text: the same citation always
/// gets the same URN.
pub(crate) fn source_urn(text: &str) -> String {
    format!(
        "urn:sijill:source:{}",
        &blake3::hash(text.as_bytes()).to_hex()[..16]
    )
}

/// `scheme:rest` with no whitespace or control characters.
pub(crate) fn looks_like_uri(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    let scheme_ok = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    scheme_ok && !rest.is_empty() && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// RFC 3986 percent-encoding of everything but unreserved characters.
pub(crate) fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[derive(Serialize)]
struct OtherName<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    lang: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_date: Option<String>,
}

impl<'a> OtherName<'a> {
    fn new(name: &'a str, lang: Option<&'a str>) -> OtherName<'a> {
        OtherName {
            name,
            lang,
            start_date: None,
            end_date: None,
        }
    }
}

#[derive(Serialize)]
struct AreaOut<'a, 's> {
    id: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    other_names: Vec<OtherName<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    identifier: Option<&'a str>,
    classification: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sources: Vec<Link<'s>>,
}

#[derive(Serialize)]
struct PersonOut<'a, 's> {
    id: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    other_names: Vec<OtherName<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gender: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sources: Vec<Link<'s>>,
}

#[derive(Serialize)]
struct OrganizationOut<'a, 's> {
    id: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    other_names: Vec<OtherName<'a>>,
    classification: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    area_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    founding_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dissolution_date: Option<String>,
    #[serde(
        rename = "sijill:founding_date",
        skip_serializing_if = "Option::is_none"
    )]
    sijill_founding_date: Option<String>,
    #[serde(
        rename = "sijill:dissolution_date",
        skip_serializing_if = "Option::is_none"
    )]
    sijill_dissolution_date: Option<String>,
    #[serde(
        rename = "sijill:dissolution_note",
        skip_serializing_if = "Option::is_none"
    )]
    sijill_dissolution_note: Option<&'a str>,
    #[serde(
        rename = "sijill:name_history",
        skip_serializing_if = "Option::is_none"
    )]
    sijill_name_history: Option<Vec<NameSpan<'a>>>,
    #[serde(
        rename = "sijill:parent_history",
        skip_serializing_if = "Option::is_none"
    )]
    sijill_parent_history: Option<Vec<ParentSpan<'a>>>,
    #[serde(rename = "sijill:certainty", skip_serializing_if = "Option::is_none")]
    sijill_certainty: Option<Certainty>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sources: Vec<Link<'s>>,
}

#[derive(Serialize)]
struct NameSpan<'a> {
    since: Option<EdtfDate>,
    name: &'a Names,
}

#[derive(Serialize)]
struct ParentSpan<'a> {
    since: Option<EdtfDate>,
    parent_id: Option<&'a str>,
}

#[derive(Serialize)]
struct PostOut<'a, 's> {
    id: &'a str,
    label: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    other_label: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    organization_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_date: Option<String>,
    #[serde(rename = "sijill:start_date", skip_serializing_if = "Option::is_none")]
    sijill_start_date: Option<String>,
    #[serde(rename = "sijill:end_date", skip_serializing_if = "Option::is_none")]
    sijill_end_date: Option<String>,
    #[serde(rename = "sijill:label", skip_serializing_if = "Option::is_none")]
    sijill_label: Option<&'a Names>,
    #[serde(rename = "sijill:seats", skip_serializing_if = "Option::is_none")]
    sijill_seats: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sources: Vec<Link<'s>>,
}

#[derive(Serialize)]
struct EventOut<'a, 's> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    classification: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    organization_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attendees: Vec<AttendeeOut<'a>>,
    #[serde(rename = "sijill:start_date", skip_serializing_if = "Option::is_none")]
    sijill_start_date: Option<String>,
    #[serde(rename = "sijill:name", skip_serializing_if = "Option::is_none")]
    sijill_name: Option<&'a Names>,
    #[serde(rename = "sijill:location", skip_serializing_if = "Option::is_none")]
    sijill_location: Option<&'a Names>,
    #[serde(rename = "sijill:ordinal", skip_serializing_if = "Option::is_none")]
    sijill_ordinal: Option<u32>,
    #[serde(rename = "sijill:resolutions", skip_serializing_if = "Vec::is_empty")]
    sijill_resolutions: Vec<ResolutionOut<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sources: Vec<Link<'s>>,
}

#[derive(Serialize)]
struct AttendeeOut<'a> {
    id: &'a str,
    #[serde(rename = "sijill:capacity", skip_serializing_if = "Option::is_none")]
    capacity: Option<&'a str>,
}

#[derive(Serialize)]
struct ResolutionOut<'a> {
    title: &'a Names,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
    vote: sijill_domain::Vote,
}

#[derive(Serialize)]
struct MembershipOut<'a, 's> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    person_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    organization_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    post_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    area_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    on_behalf_of_id: Option<&'a str>,
    #[serde(rename = "sijill:start_date", skip_serializing_if = "Option::is_none")]
    sijill_start_date: Option<String>,
    #[serde(rename = "sijill:end_date", skip_serializing_if = "Option::is_none")]
    sijill_end_date: Option<String>,
    #[serde(rename = "sijill:end_reason", skip_serializing_if = "Option::is_none")]
    sijill_end_reason: Option<&'static str>,
    #[serde(rename = "sijill:basis")]
    sijill_basis: &'static str,
    #[serde(rename = "sijill:tally", skip_serializing_if = "Option::is_none")]
    sijill_tally: Option<Tally>,
    #[serde(
        rename = "sijill:appointed_by",
        skip_serializing_if = "Option::is_none"
    )]
    sijill_appointed_by: Option<&'a str>,
    #[serde(rename = "sijill:assembly_id", skip_serializing_if = "Option::is_none")]
    sijill_assembly_id: Option<&'a str>,
    #[serde(rename = "sijill:certainty", skip_serializing_if = "Option::is_none")]
    sijill_certainty: Option<Certainty>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sources: Vec<Link<'s>>,
}
