//! Popolo JSON export, written record by record to any `io::Write`.
//!
//! The document is one JSON object with six arrays, in dependency order (`areas`, `persons`,
//! `organizations`, `posts`, `events`, `memberships`), so a reader that streams it meets every
//! record before anything that refers to it. Each array is sorted by `id` (byte order), each
//! record is one line, and record keys come in a fixed order: the same registry always gives
//! the same bytes. Memory use is bounded by a 64 KiB output buffer plus a sorted list of
//! references to the registry's entities; the document is never built in memory. Records are
//! written by hand (`crate::json`), with the memory each reads asked for ahead of writing it.
//!
//! Field by field mapping, and what Popolo cannot say: `docs/interop.md`.

use std::borrow::Cow;
use std::io::{self, Write};

use serde::Serialize;
use sijill_domain::{
    Appointer, Area, Assembly, Basis, Body, Constituency, Dated, Mandate, Names, Person, Post,
    Registry,
};
use uuid::Uuid;

use crate::dates::SplitDate;
use crate::handles::{prefetch, prefetch_whole, Handles};
use crate::ids::of_handle;
use crate::json::{self, Object};
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

/// Records whose memory is requested at once, before they are written.
const PREFETCH_RECORDS: usize = 16;
/// How deep a record's pointers are followed ahead of writing it: one level per pass.
const TOUCH_LEVELS: usize = 3;

/// Bytes of output gathered before each write to `out`.
const WRITE_BYTES: usize = 1 << 16;

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
    let mut out = Output {
        out,
        buffer: Vec::with_capacity(WRITE_BYTES * 2),
    };
    let mut counts = ExportCounts::default();
    out.buffer.push(b'{');
    if let Some(as_of) = &scope.as_of {
        out.buffer.extend_from_slice(b"\"sijill:as_of\":");
        json::write_str(&mut out.buffer, SplitDate::new(as_of.as_date()).text());
        out.buffer.extend_from_slice(b",\n");
    }
    // Areas, organizations and posts are few (34,000 at national scale): nothing to win by
    // asking for their memory ahead.
    counts.areas = writer.section(
        &mut out,
        "areas",
        &scope.areas(),
        |_, _, _| {},
        Exporter::area,
    )?;
    out.buffer.extend_from_slice(b",\n");
    counts.persons = writer.section(
        &mut out,
        "persons",
        &scope.people(),
        Exporter::touch_person,
        Exporter::person,
    )?;
    out.buffer.extend_from_slice(b",\n");
    counts.organizations = writer.section(
        &mut out,
        "organizations",
        &scope.bodies(),
        |_, _, _| {},
        Exporter::organization,
    )?;
    out.buffer.extend_from_slice(b",\n");
    counts.posts = writer.section(
        &mut out,
        "posts",
        &scope.posts(),
        |_, _, _| {},
        Exporter::post,
    )?;
    out.buffer.extend_from_slice(b",\n");
    counts.events = writer.section(
        &mut out,
        "events",
        &scope.assemblies(),
        Exporter::touch_event,
        Exporter::event,
    )?;
    out.buffer.extend_from_slice(b",\n");
    counts.memberships = writer.section(
        &mut out,
        "memberships",
        &scope.mandates(),
        |exporter, (id, mandate), level| exporter.touch_membership(id, mandate, level),
        |exporter, buffer, (id, mandate)| exporter.membership(buffer, id, mandate),
    )?;
    out.buffer.extend_from_slice(b"}\n");
    out.finish()?;
    Ok(counts)
}

/// The document on its way out: records are appended to `buffer`, which goes to `out` in
/// writes of about [`WRITE_BYTES`].
struct Output<W> {
    out: W,
    buffer: Vec<u8>,
}

impl<W: Write> Output<W> {
    fn write_if_full(&mut self) -> io::Result<()> {
        if self.buffer.len() >= WRITE_BYTES {
            self.out.write_all(&self.buffer)?;
            self.buffer.clear();
        }
        Ok(())
    }

    fn finish(mut self) -> io::Result<()> {
        self.out.write_all(&self.buffer)?;
        self.out.flush()
    }
}

struct Exporter<'s, 'r> {
    scope: &'s Scope<'r>,
    provenance: Option<&'s Provenance>,
    /// Other records' ids, for references.
    handles: Handles<'r>,
}

impl<'s, 'r> Exporter<'s, 'r> {
    /// Writes `"key":[...]`, one record per line (`items` come sorted by id).
    ///
    /// A national registry's records are scattered over hundreds of megabytes, and following
    /// a record's pointers one miss at a time is most of an export's time. So records go in
    /// chunks: for each level of pointers, `touch` asks for the memory every record of the
    /// chunk reads at that level (the misses overlap), then the chunk is written from cache.
    fn section<T, W: Write>(
        &self,
        out: &mut Output<W>,
        key: &str,
        items: &[T],
        touch: impl Fn(&Self, &T, usize),
        record: impl Fn(&Self, &mut Vec<u8>, &T),
    ) -> io::Result<usize> {
        json::write_str(&mut out.buffer, key);
        out.buffer.extend_from_slice(b":[");
        for (c, chunk) in items.chunks(PREFETCH_RECORDS).enumerate() {
            for level in 0..TOUCH_LEVELS {
                for item in chunk {
                    touch(self, item, level);
                }
            }
            for (i, item) in chunk.iter().enumerate() {
                let first = c == 0 && i == 0;
                out.buffer
                    .extend_from_slice(if first { b"\n" } else { b",\n" });
                record(self, &mut out.buffer, item);
            }
            out.write_if_full()?;
        }
        out.buffer
            .extend_from_slice(if items.is_empty() { b"]" } else { b"\n]" });
        Ok(items.len())
    }

    /// `"sources":[{"url", "note"?}]`, left out without provenance or sources.
    fn sources(&self, record: &mut Object<'_>, id: Uuid) {
        let Some(provenance) = self.provenance else {
            return;
        };
        record.array("sources", provenance.sources(id), |out, source| {
            let link = Link::from_source(source);
            Object::begin(out)
                .str("url", &link.url)
                .opt_str("note", link.note)
                .end();
        });
    }

    fn registry(&self) -> &'r Registry {
        self.scope.registry
    }

    fn area(&self, out: &mut Vec<u8>, area: &&'r Area) {
        let mut record = Object::begin(out);
        record
            .str("id", of_handle(&area.handle))
            .str("name", area.name.text());
        other_names(&mut record, &area.name, &[]);
        record
            .opt_str("identifier", area.code.as_ref().map(|c| c.as_str()))
            .str("classification", kind_name(&area.kind))
            .opt_str("parent_id", area.parent.and_then(|p| self.handles.get(p)));
        self.sources(&mut record, area.id.as_uuid());
        record.end();
    }

    fn person(&self, out: &mut Vec<u8>, person: &&'r Person) {
        let mut record = Object::begin(out);
        record
            .str("id", of_handle(&person.handle))
            .str("name", person.name.text());
        other_names(&mut record, &person.name, &[]);
        record.opt_str("gender", person.gender.map(|g| kind_name(&g)));
        self.sources(&mut record, person.id.as_uuid());
        record.end();
    }

    fn organization(&self, out: &mut Vec<u8>, body: &&'r Body) {
        let name = self.scope.body_name(body);
        let dissolution = body.dissolution.as_ref();
        let founded = body.founded_on.as_ref().map(SplitDate::new);
        let dissolved = dissolution.map(|d| SplitDate::new(&d.on));
        let parent = self
            .scope
            .body_parent(body)
            .and_then(|p| self.handles.get(p));
        let mut record = Object::begin(out);
        record
            .str("id", of_handle(&body.handle))
            .str("name", name.text());
        other_names(&mut record, name, &former_names(body, name));
        record
            .str("classification", body.kind.as_str())
            .opt_str("parent_id", parent)
            .opt_str("area_id", body.area.and_then(|a| self.handles.get(a)))
            .opt_str(
                "founding_date",
                founded.as_ref().and_then(SplitDate::reduced),
            )
            .opt_str(
                "dissolution_date",
                dissolved.as_ref().and_then(SplitDate::reduced),
            )
            .opt_str(
                "sijill:founding_date",
                founded.as_ref().and_then(SplitDate::lossy),
            )
            .opt_str(
                "sijill:dissolution_date",
                dissolved.as_ref().and_then(SplitDate::lossy),
            )
            .opt_str(
                "sijill:dissolution_note",
                dissolution
                    .and_then(|d| d.note.as_ref())
                    .map(|n| n.as_str()),
            );
        self.histories(&mut record, body);
        record.opt_str(
            "sijill:certainty",
            self.scope.body_certainty(body.id).map(|c| kind_name(&c)),
        );
        self.sources(&mut record, body.id.as_uuid());
        record.end();
    }

    /// A renamed body's every name and a moved body's every parent, in the order recorded
    /// (the founding one first), so an import can replay the renames and moves.
    fn histories(&self, record: &mut Object<'_>, body: &'r Body) {
        if body.names.len() >= 2 {
            let mut spans: Vec<_> = body.names.iter().collect();
            spans.sort_by_key(|s| s.position);
            record.array("sijill:name_history", spans, |out, span| {
                let since = span.since.as_ref().map(SplitDate::new);
                Object::begin(out)
                    .str_or_null("since", since.as_ref().map(SplitDate::text))
                    .names("name", &span.value)
                    .end();
            });
        }
        if body.parents.len() >= 2 {
            let mut spans: Vec<_> = body.parents.iter().collect();
            spans.sort_by_key(|s| s.position);
            record.array("sijill:parent_history", spans, |out, span| {
                let since = span.since.as_ref().map(SplitDate::new);
                Object::begin(out)
                    .str_or_null("since", since.as_ref().map(SplitDate::text))
                    .str_or_null("parent_id", span.value.and_then(|p| self.handles.get(p)))
                    .end();
            });
        }
    }

    fn post(&self, out: &mut Vec<u8>, post: &&'r Post) {
        let established = post.established_on.as_ref().map(SplitDate::new);
        let abolished = post.abolition.as_ref().map(|a| SplitDate::new(&a.on));
        let mut record = Object::begin(out);
        record
            .str("id", of_handle(&post.handle))
            .str("label", post.title.text())
            .array("other_label", post.title.others(), |out, name| {
                json::write_str(out, name.text())
            })
            .opt_str("organization_id", self.handles.get(post.body))
            .opt_str(
                "start_date",
                established.as_ref().and_then(SplitDate::reduced),
            )
            .opt_str("end_date", abolished.as_ref().and_then(SplitDate::reduced))
            .opt_str(
                "sijill:start_date",
                established.as_ref().and_then(SplitDate::lossy),
            )
            .opt_str(
                "sijill:end_date",
                abolished.as_ref().and_then(SplitDate::lossy),
            );
        if has_lang(&post.title) {
            record.names("sijill:label", &post.title);
        }
        record.opt_u32("sijill:seats", post.seats.limit());
        self.sources(&mut record, post.id.as_uuid());
        record.end();
    }

    fn event(&self, out: &mut Vec<u8>, assembly: &&'r Assembly) {
        let name = assembly.name();
        let venue = assembly.venue();
        let held = SplitDate::new(&assembly.held_on);
        let attendees = assembly
            .attendance()
            .iter()
            .filter_map(|a| Some((self.handles.get(a.person)?, a.capacity.as_ref())));
        let mut record = Object::begin(out);
        record
            .str("id", of_handle(&assembly.handle))
            .opt_str("name", name.map(Names::text))
            .str("classification", kind_name(&assembly.kind))
            .opt_str("organization_id", self.handles.get(assembly.body))
            .opt_str("start_date", held.reduced())
            .opt_str("location", venue.map(Names::text))
            .array("attendees", attendees, |out, (id, capacity)| {
                Object::begin(out)
                    .str("id", id)
                    .opt_str("sijill:capacity", capacity.map(|c| c.as_str()))
                    .end();
            })
            .opt_str("sijill:start_date", held.lossy());
        if let Some(name) = name.filter(|n| has_lang(n)) {
            record.names("sijill:name", name);
        }
        if let Some(venue) = venue.filter(|n| has_lang(n)) {
            record.names("sijill:location", venue);
        }
        record.opt_u32("sijill:ordinal", assembly.ordinal).array(
            "sijill:resolutions",
            assembly.resolutions.iter(),
            |out, r| {
                let mut resolution = Object::begin(out);
                resolution
                    .names("title", &r.title)
                    .opt_str("text", r.text.as_ref().map(|t| t.as_str()));
                json::write_vote(resolution.member("vote"), &r.vote);
                resolution.end();
            },
        );
        self.sources(&mut record, assembly.id.as_uuid());
        record.end();
    }

    /// Asks for the memory a membership's record reads, `level` pointers deep.
    fn touch_membership(&self, id: &str, mandate: &Mandate, level: usize) {
        match level {
            0 => {
                prefetch_whole(mandate);
                prefetch(id);
            }
            1 => {
                let constituency = match mandate.constituency {
                    Some(Constituency::Area(a)) => self.handles.get(a),
                    Some(Constituency::Body(b)) => self.handles.get(b),
                    None => None,
                };
                let references = [
                    self.handles.get(mandate.person),
                    self.handles.get(mandate.body),
                    mandate.assembly.and_then(|a| self.handles.get(a)),
                    constituency,
                ];
                for reference in references.into_iter().flatten() {
                    prefetch(reference);
                }
                if let Some(post) = self.registry().post(mandate.post) {
                    prefetch_whole(post);
                }
            }
            _ => {
                if let Some(post) = self.registry().post(mandate.post) {
                    prefetch(post.handle.as_str());
                    prefetch(post.title.text());
                }
            }
        }
    }

    /// Asks for the memory an event's record reads, `level` pointers deep.
    fn touch_event(&self, assembly: &&'r Assembly, level: usize) {
        match level {
            0 => prefetch_whole(*assembly),
            1 => {
                prefetch(assembly.handle.as_str());
                if let Some(body) = self.handles.get(assembly.body) {
                    prefetch(body);
                }
                assembly.resolutions.iter().for_each(|r| prefetch(&**r));
                assembly.attendance().iter().for_each(prefetch);
            }
            _ => {
                for resolution in assembly.resolutions.iter() {
                    touch_names(&resolution.title);
                }
                for attendee in assembly.attendance().iter() {
                    if let Some(person) = self.handles.get(attendee.person) {
                        prefetch(person);
                    }
                }
            }
        }
    }

    /// Asks for the memory a person's record reads, `level` pointers deep.
    fn touch_person(&self, person: &&'r Person, level: usize) {
        match level {
            0 => prefetch_whole(*person),
            1 => {
                prefetch(person.handle.as_str());
                touch_names(&person.name);
            }
            _ => {}
        }
    }

    fn membership(&self, out: &mut Vec<u8>, id: &str, mandate: &Mandate) {
        let end = mandate.end.as_ref();
        let from = SplitDate::new(&mandate.from);
        let to = end.map(|e| SplitDate::new(&e.on));
        let (area_id, on_behalf_of_id) = match mandate.constituency {
            Some(Constituency::Area(a)) => (self.handles.get(a), None),
            Some(Constituency::Body(b)) => (None, self.handles.get(b)),
            None => (None, None),
        };
        let post = self.registry().post(mandate.post);
        let mut record = Object::begin(out);
        record
            .str("id", id)
            .opt_str("person_id", self.handles.get(mandate.person))
            .opt_str("organization_id", self.handles.get(mandate.body))
            .opt_str("post_id", post.map(|p| of_handle(&p.handle)))
            .opt_str("role", post.map(|p| p.title.text()))
            .opt_str("start_date", from.reduced())
            .opt_str("end_date", to.as_ref().and_then(SplitDate::reduced))
            .opt_str("area_id", area_id)
            .opt_str("on_behalf_of_id", on_behalf_of_id)
            .opt_str("sijill:start_date", from.lossy())
            .opt_str("sijill:end_date", to.as_ref().and_then(SplitDate::lossy))
            .opt_str("sijill:end_reason", end.map(|e| kind_name(&e.reason)))
            .str("sijill:basis", mandate.basis.as_str());
        if let Basis::ElectedByMajority(tally) = &mandate.basis {
            record.object("sijill:tally", |o| json::write_tally(o, tally));
        }
        record
            .opt_str("sijill:appointed_by", self.appointer(&mandate.basis))
            .opt_str(
                "sijill:assembly_id",
                mandate.assembly.and_then(|a| self.handles.get(a)),
            )
            .opt_str(
                "sijill:certainty",
                self.scope
                    .mandate_certainty(mandate.id)
                    .map(|c| kind_name(&c)),
            );
        self.sources(&mut record, mandate.id.as_uuid());
        record.end();
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

/// Asks for the texts of `names` (reading where they are, which costs one wait).
fn touch_names(names: &Names) {
    prefetch(names.text());
    for other in names.others() {
        prefetch(other.text());
        if let Some(lang) = other.lang() {
            prefetch(lang.as_str());
        }
    }
}

/// Whether any of the names carries a language tag (then the plain Popolo fields lose it).
fn has_lang(names: &Names) -> bool {
    names.lang().is_some() || names.others().iter().any(|n| n.lang().is_some())
}

/// The names as Popolo `other_names`: the printed name first when it has a language tag
/// (Popolo's `name` cannot carry one), then the other names, then `former` ones.
fn other_names(record: &mut Object<'_>, names: &Names, former: &[FormerName<'_>]) {
    let printed = names.lang().map(|lang| (names.text(), Some(lang)));
    let others = names.others().iter().map(|n| (n.text(), n.lang()));
    let current = printed
        .into_iter()
        .chain(others)
        .map(|(name, lang)| (name, lang.map(|l| l.as_str()), None, None));
    let former = former.iter().map(|f| {
        (
            f.name,
            None,
            f.start.as_ref().and_then(SplitDate::reduced),
            f.end.as_ref().and_then(SplitDate::reduced),
        )
    });
    record.array(
        "other_names",
        current.chain(former),
        |out, (name, lang, start_date, end_date)| {
            Object::begin(out)
                .str("name", name)
                .opt_str("lang", lang)
                .opt_str("start_date", start_date)
                .opt_str("end_date", end_date)
                .end();
        },
    );
}

/// A name a renamed body used, with the dates it was used (reduced).
struct FormerName<'a> {
    name: &'a str,
    start: Option<SplitDate>,
    end: Option<SplitDate>,
}

/// A renamed body's other names over time, with the dates they were used (Popolo's
/// `start_date`/`end_date` on other names), except the one shown as `name`.
fn former_names<'a>(body: &'a Body, shown: &'a Names) -> Vec<FormerName<'a>> {
    if body.names.len() < 2 {
        return Vec::new();
    }
    let spans: Vec<_> = body.names.iter().collect();
    let shown_at = spans.iter().position(|s| s.value == *shown);
    let since = |s: &Dated<Names>| s.since.as_ref().map(SplitDate::new);
    let mut out = Vec::new();
    for (i, span) in spans
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != shown_at)
    {
        for text in span.value.texts() {
            out.push(FormerName {
                name: text,
                start: since(span),
                end: spans.get(i + 1).and_then(|next| since(next)),
            });
        }
    }
    out
}

struct Link<'a> {
    url: Cow<'a, str>,
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
