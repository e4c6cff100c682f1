//! The W3C Organization Ontology (<https://www.w3.org/TR/vocab-org/>) export, as Turtle or
//! JSON-LD, with PROV for who recorded what and when.
//!
//! Bodies are `org:Organization` (roots) or `org:OrganizationalUnit` (with a parent, linked
//! by `org:subOrganizationOf`); posts are `org:Post` (`org:postIn`, `org:heldBy` its current
//! or as-of holders, `org:role`); mandates are `org:Membership` (`org:member`,
//! `org:organization`, `org:role`, `org:memberDuring` a `time:Interval`); a body's founding
//! and dissolution are `org:ChangeEvent`s (`org:resultingOrganization`,
//! `org:originalOrganization`). Each entity carries `prov:wasAttributedTo` (the actor who
//! recorded its creation) and `prov:generatedAtTime` (when), and `dct:source`.
//! Terms ORG lacks (how a mandate was obtained, EDTF dates, handles) use the `sijill:`
//! vocabulary ([`SIJILL_NS`]). Entities are `urn:uuid:` IRIs. Field-by-field mapping:
//! `docs/interop.md`.
//!
//! Subjects are written one at a time (streaming); the only state kept across records is
//! the set of body kinds and actors, written last as `skos:Concept`s and `prov:Agent`s.

mod rdf;

use std::collections::BTreeSet;
use std::io::{self, Write};

use sijill_domain::{
    Appointer, Area, Assembly, Basis, Body, Constituency, EdtfDate, EntityId, Mandate, Names,
    Person, Post, Registry,
};
use uuid::Uuid;

pub use rdf::{GraphWriter, JsonLd, Node, Object, Turtle, PREFIXES};

use crate::dates::{reduced, xsd_type};
use crate::ids::iri;
use crate::provenance::Provenance;
use crate::scope::{ExportOptions, Scope};
use crate::wire::kind_name;

/// The namespace of sijill's own terms (`sijill:basis`, `sijill:edtf`, ...), for what ORG,
/// PROV and OWL-Time have no term for. A URN, so it claims no web domain.
pub const SIJILL_NS: &str = "urn:sijill:vocab#";

/// Writes the registry (or its structure as of a date) as Turtle.
pub fn write_org_turtle<W: Write>(
    registry: &Registry,
    provenance: Option<&Provenance>,
    options: &ExportOptions,
    out: W,
) -> io::Result<()> {
    let out = io::BufWriter::with_capacity(1 << 16, out);
    write_graph(registry, provenance, options, &mut Turtle::new(out)?)
}

/// Writes the registry (or its structure as of a date) as JSON-LD (a `@context` of prefixes
/// and a flat `@graph`).
pub fn write_org_jsonld<W: Write>(
    registry: &Registry,
    provenance: Option<&Provenance>,
    options: &ExportOptions,
    out: W,
) -> io::Result<()> {
    let out = io::BufWriter::with_capacity(1 << 16, out);
    write_graph(registry, provenance, options, &mut JsonLd::new(out)?)
}

fn write_graph(
    registry: &Registry,
    provenance: Option<&Provenance>,
    options: &ExportOptions,
    graph: &mut dyn GraphWriter,
) -> io::Result<()> {
    let scope = Scope::new(registry, options);
    let mut builder = Builder {
        scope: &scope,
        provenance,
        kinds: BTreeSet::new(),
        actors: BTreeSet::new(),
    };
    for area in scope.areas() {
        graph.node(&builder.area(area))?;
    }
    for person in scope.people() {
        graph.node(&builder.person(person))?;
    }
    for body in scope.bodies() {
        for node in builder.body(body) {
            graph.node(&node)?;
        }
    }
    for post in scope.posts() {
        for node in builder.post(post) {
            graph.node(&node)?;
        }
    }
    for assembly in scope.assemblies() {
        graph.node(&builder.assembly(assembly))?;
    }
    for (_, mandate) in scope.mandates() {
        graph.node(&builder.mandate(mandate))?;
    }
    for node in builder.vocabulary() {
        graph.node(&node)?;
    }
    graph.finish()
}

struct Builder<'s, 'r> {
    scope: &'s Scope<'r>,
    provenance: Option<&'s Provenance>,
    kinds: BTreeSet<String>,
    actors: BTreeSet<String>,
}

fn kind_iri(kind: &str) -> String {
    format!("urn:sijill:body-kind:{kind}")
}

fn actor_iri(actor: &str) -> String {
    format!(
        "urn:sijill:actor:{}",
        crate::popolo::export::percent_encode(actor)
    )
}

/// A date as an OWL-Time instant: its reduced ISO form typed `xsd:date`, `xsd:gYearMonth` or
/// `xsd:gYear`, plus the EDTF text when the reduced form loses something.
fn instant(date: &EdtfDate) -> Node {
    let mut node = Node::blank(&["time:Instant"]);
    if let Some(day) = reduced(date) {
        let predicate = match xsd_type(&day) {
            "xsd:gYear" => "time:inXSDgYear",
            "xsd:gYearMonth" => "time:inXSDgYearMonth",
            _ => "time:inXSDDate",
        };
        let datatype = xsd_type(&day);
        node.add(predicate, Object::Typed(day, datatype));
    }
    node.add_opt(
        "sijill:edtf",
        crate::dates::edtf_if_lossy(date).map(Object::Plain),
    );
    node
}

/// `dct:date` (reduced, typed) and `sijill:edtf` (when lossy) of a dated thing.
fn dated(node: &mut Node, date: &EdtfDate) {
    node.add_opt(
        "dct:date",
        reduced(date).map(|d| {
            let datatype = xsd_type(&d);
            Object::Typed(d, datatype)
        }),
    );
    node.add_opt(
        "sijill:edtf",
        crate::dates::edtf_if_lossy(date).map(Object::Plain),
    );
}

fn literal(text: &str, lang: Option<&sijill_domain::names::LangTag>) -> Object {
    match lang {
        Some(lang) => Object::Lang(text.to_owned(), lang.as_str().to_owned()),
        None => Object::Plain(text.to_owned()),
    }
}

/// `skos:prefLabel` for the printed name, `skos:altLabel` for the others.
fn labels(node: &mut Node, names: &Names) {
    node.add("skos:prefLabel", literal(names.text(), names.lang()));
    for other in names.others() {
        node.add("skos:altLabel", literal(other.text(), other.lang()));
    }
}

impl<'s, 'r> Builder<'s, 'r> {
    fn registry(&self) -> &'r Registry {
        self.scope.registry
    }

    /// Handle, PROV and sources of an entity.
    fn common(&mut self, node: &mut Node, id: Uuid, handle: Option<&sijill_domain::Handle>) {
        node.add_opt(
            "sijill:handle",
            handle.map(|h| Object::Plain(h.to_string())),
        );
        let Some(provenance) = self.provenance else {
            return;
        };
        if let Some(created) = provenance.created(id) {
            self.actors.insert(created.actor.to_owned());
            node.add(
                "prov:wasAttributedTo",
                Object::Iri(actor_iri(created.actor)),
            );
            let at = created
                .recorded_at
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
            node.add("prov:generatedAtTime", Object::Typed(at, "xsd:dateTime"));
        }
        for source in provenance.sources(id) {
            let object = if crate::popolo::export::looks_like_uri(source) {
                Object::Iri(source.to_owned())
            } else {
                Object::Plain(source.to_owned())
            };
            node.add("dct:source", object);
        }
    }

    fn area(&mut self, area: &Area) -> Node {
        let mut node = Node::iri(iri(area.id.into()), &["dct:Location", "skos:Concept"]);
        labels(&mut node, &area.name);
        node.add(
            "sijill:areaKind",
            Object::Plain(kind_name(&area.kind).to_owned()),
        );
        node.add_opt(
            "skos:notation",
            area.code
                .as_ref()
                .map(|c| Object::Plain(c.as_str().to_owned())),
        );
        node.add_opt(
            "skos:broader",
            area.parent.map(|p| Object::Iri(iri(p.into()))),
        );
        self.common(&mut node, area.id.as_uuid(), Some(&area.handle));
        node
    }

    fn person(&mut self, person: &Person) -> Node {
        let mut node = Node::iri(iri(person.id.into()), &["foaf:Person"]);
        node.add("foaf:name", literal(person.name.text(), person.name.lang()));
        labels(&mut node, &person.name);
        node.add_opt(
            "foaf:gender",
            person
                .gender
                .map(|g| Object::Plain(kind_name(&g).to_owned())),
        );
        self.common(&mut node, person.id.as_uuid(), Some(&person.handle));
        node
    }

    /// The body, then its founding and dissolution change events.
    fn body(&mut self, body: &Body) -> Vec<Node> {
        let subject = iri(body.id.into());
        let parent = self.scope.body_parent(body);
        let class = if parent.is_some() {
            "org:OrganizationalUnit"
        } else {
            "org:Organization"
        };
        let mut node = Node::iri(subject.clone(), &[class]);
        labels(&mut node, self.scope.body_name(body));
        node.add_opt(
            "org:subOrganizationOf",
            parent.map(|p| Object::Iri(iri(p.into()))),
        );
        node.add(
            "org:classification",
            Object::Iri(kind_iri(body.kind.as_str())),
        );
        self.kinds.insert(body.kind.as_str().to_owned());
        node.add_opt("dct:spatial", body.area.map(|a| Object::Iri(iri(a.into()))));
        node.add(
            "org:resultedFrom",
            Object::Iri(format!("{subject}#founding")),
        );
        let mut founding = Node::iri(format!("{subject}#founding"), &["org:ChangeEvent"]);
        founding.add("org:resultingOrganization", Object::Iri(subject.clone()));
        if let Some(on) = &body.founded_on {
            dated(&mut founding, on);
        }
        let mut nodes = vec![founding];
        if let Some(dissolution) = &body.dissolution {
            node.add(
                "org:changedBy",
                Object::Iri(format!("{subject}#dissolution")),
            );
            let mut event = Node::iri(format!("{subject}#dissolution"), &["org:ChangeEvent"]);
            event.add("org:originalOrganization", Object::Iri(subject.clone()));
            dated(&mut event, &dissolution.on);
            event.add_opt(
                "dct:description",
                dissolution
                    .note
                    .as_ref()
                    .map(|n| Object::Plain(n.to_string())),
            );
            nodes.push(event);
        }
        if let Some(certainty) = self.scope.body_certainty(body.id) {
            node.add(
                "sijill:certainty",
                Object::Plain(certainty_name(certainty).to_owned()),
            );
        }
        self.common(&mut node, body.id.as_uuid(), Some(&body.handle));
        nodes.insert(0, node);
        nodes
    }

    /// The post and its role.
    fn post(&mut self, post: &Post) -> Vec<Node> {
        let subject = iri(post.id.into());
        let mut node = Node::iri(subject.clone(), &["org:Post"]);
        labels(&mut node, &post.title);
        node.add("org:postIn", Object::Iri(iri(post.body.into())));
        node.add("org:role", Object::Iri(format!("{subject}#role")));
        for holder in self.holders(post) {
            node.add("org:heldBy", Object::Iri(iri(holder)));
        }
        node.add_opt(
            "sijill:seats",
            post.seats
                .limit()
                .map(|n| Object::Typed(n.to_string(), "xsd:integer")),
        );
        if let Some(on) = &post.established_on {
            node.add("sijill:establishedOn", Object::Blank(instant(on)));
        }
        if let Some(abolition) = &post.abolition {
            node.add("sijill:abolishedOn", Object::Blank(instant(&abolition.on)));
        }
        self.common(&mut node, post.id.as_uuid(), Some(&post.handle));
        let mut role = Node::iri(format!("{subject}#role"), &["org:Role"]);
        labels(&mut role, &post.title);
        vec![node, role]
    }

    /// Who holds the post: as of the date when there is one, else whoever holds it with no
    /// end recorded.
    fn holders(&self, post: &Post) -> Vec<EntityId> {
        let registry = self.registry();
        let mut people: Vec<EntityId> = post
            .mandates()
            .filter_map(|m| registry.mandate(m))
            .filter(|m| match self.scope.as_of {
                Some(_) => self.scope.mandate_certainty(m.id).is_some(),
                None => m.end.is_none(),
            })
            .map(|m| m.person.into())
            .collect();
        people.sort_unstable();
        people.dedup();
        people
    }

    fn assembly(&mut self, assembly: &Assembly) -> Node {
        let mut node = Node::iri(
            iri(assembly.id.into()),
            &["sijill:Assembly", "prov:Activity"],
        );
        if let Some(name) = assembly.name() {
            labels(&mut node, name);
        }
        node.add(
            "sijill:assemblyKind",
            Object::Plain(kind_name(&assembly.kind).to_owned()),
        );
        node.add_opt(
            "sijill:ordinal",
            assembly
                .ordinal
                .map(|n| Object::Typed(n.to_string(), "xsd:integer")),
        );
        node.add(
            "prov:wasAssociatedWith",
            Object::Iri(iri(assembly.body.into())),
        );
        dated(&mut node, &assembly.held_on);
        if let Some(venue) = assembly.venue() {
            node.add("sijill:venue", literal(venue.text(), venue.lang()));
        }
        for entry in assembly.attendance().iter() {
            let mut attendance = Node::blank(&[]);
            attendance.add("sijill:attendee", Object::Iri(iri(entry.person.into())));
            attendance.add_opt(
                "sijill:capacity",
                entry
                    .capacity
                    .as_ref()
                    .map(|c| Object::Plain(c.to_string())),
            );
            node.add("sijill:attendance", Object::Blank(attendance));
        }
        for resolution in assembly.resolutions.iter() {
            let mut adopted = Node::blank(&["sijill:Resolution"]);
            labels(&mut adopted, &resolution.title);
            adopted.add_opt(
                "dct:description",
                resolution
                    .text
                    .as_ref()
                    .map(|t| Object::Plain(t.to_string())),
            );
            adopted.add(
                "sijill:vote",
                Object::Plain(vote_name(&resolution.vote).to_owned()),
            );
            node.add("sijill:resolution", Object::Blank(adopted));
        }
        self.common(&mut node, assembly.id.as_uuid(), Some(&assembly.handle));
        node
    }

    fn mandate(&mut self, mandate: &Mandate) -> Node {
        let mut node = Node::iri(iri(mandate.id.into()), &["org:Membership"]);
        node.add("org:member", Object::Iri(iri(mandate.person.into())));
        node.add("org:organization", Object::Iri(iri(mandate.body.into())));
        node.add(
            "org:role",
            Object::Iri(format!("{}#role", iri(mandate.post.into()))),
        );
        node.add("sijill:post", Object::Iri(iri(mandate.post.into())));
        let mut interval = Node::blank(&["time:Interval"]);
        interval.add("time:hasBeginning", Object::Blank(instant(&mandate.from)));
        if let Some(end) = &mandate.end {
            interval.add("time:hasEnd", Object::Blank(instant(&end.on)));
        }
        node.add("org:memberDuring", Object::Blank(interval));
        node.add_opt(
            "sijill:endReason",
            mandate
                .end
                .as_ref()
                .map(|e| Object::Plain(kind_name(&e.reason).to_owned())),
        );
        basis(&mut node, &mandate.basis);
        node.add_opt(
            "sijill:assembly",
            mandate.assembly.map(|a| Object::Iri(iri(a.into()))),
        );
        let represents = mandate.constituency.map(|c| match c {
            Constituency::Area(a) => iri(a.into()),
            Constituency::Body(b) => iri(b.into()),
        });
        node.add_opt("sijill:represents", represents.map(Object::Iri));
        if let Some(certainty) = self.scope.mandate_certainty(mandate.id) {
            node.add(
                "sijill:certainty",
                Object::Plain(certainty_name(certainty).to_owned()),
            );
        }
        self.common(&mut node, mandate.id.as_uuid(), mandate.handle.as_ref());
        node
    }

    /// The body kinds and actors met along the way.
    fn vocabulary(&self) -> Vec<Node> {
        let mut nodes = Vec::new();
        for kind in &self.kinds {
            let mut node = Node::iri(kind_iri(kind), &["skos:Concept"]);
            node.add("skos:prefLabel", Object::Plain(kind.clone()));
            nodes.push(node);
        }
        for actor in &self.actors {
            let mut node = Node::iri(actor_iri(actor), &["prov:Agent"]);
            node.add("rdfs:label", Object::Plain(actor.clone()));
            nodes.push(node);
        }
        nodes
    }
}

/// How the mandate was obtained: `sijill:basis`, the tally, who appointed.
fn basis(node: &mut Node, basis: &Basis<Appointer>) {
    node.add("sijill:basis", Object::Plain(basis.as_str().to_owned()));
    match basis {
        Basis::ElectedByMajority(tally) => {
            node.add(
                "sijill:votesFor",
                Object::Typed(tally.votes_for.to_string(), "xsd:integer"),
            );
            node.add(
                "sijill:votesAgainst",
                Object::Typed(tally.against.to_string(), "xsd:integer"),
            );
            node.add(
                "sijill:votesAbstaining",
                Object::Typed(tally.abstain.to_string(), "xsd:integer"),
            );
        }
        Basis::Appointed { by: Some(by) } => {
            let by = match by {
                Appointer::Person(p) => iri((*p).into()),
                Appointer::Body(b) => iri((*b).into()),
            };
            node.add("sijill:appointedBy", Object::Iri(by));
        }
        _ => {}
    }
}

fn certainty_name(certainty: sijill_domain::Certainty) -> &'static str {
    match certainty {
        sijill_domain::Certainty::Certain => "certain",
        sijill_domain::Certainty::Possible => "possible",
        sijill_domain::Certainty::Impossible => "impossible",
    }
}

fn vote_name(vote: &sijill_domain::Vote) -> &'static str {
    match vote {
        sijill_domain::Vote::Unanimous => "unanimous",
        sijill_domain::Vote::Majority(_) => "majority",
        sijill_domain::Vote::Acclamation => "acclamation",
        sijill_domain::Vote::Consensus => "consensus",
        sijill_domain::Vote::NotStated => "not_stated",
    }
}
