//! The W3C ORG export read back by a real RDF library (Python rdflib): the Turtle and the
//! JSON-LD of the same registry must be the same graph, and hold the statements a linked-data
//! user relies on, asked as SPARQL `ASK` queries.

use std::path::Path;

use sijill_domain::Registry;
use sijill_interop::{write_org_jsonld, write_org_turtle, ExportOptions, Provenance};

use crate::interop_popolo::{founding_example, run_python, synthetic_small};

/// Parses argv[1] as Turtle and argv[2] as JSON-LD and compares them: isomorphic when argv[4]
/// is `isomorphic` (canonicalizing blank nodes is slow on large graphs), else the same number
/// of triples and the same triples without blank nodes. Then runs each SPARQL ASK query of
/// argv[3] (separated by blank lines) on both: prints the number of triples and, per query,
/// `True` when both graphs answer yes.
const CHECK_PY: &str = r#"
import pathlib, sys
import rdflib
from rdflib.compare import isomorphic

turtle = rdflib.Graph().parse(sys.argv[1], format="turtle")
jsonld = rdflib.Graph().parse(sys.argv[2], format="json-ld")
if sys.argv[4] == "isomorphic":
    same = isomorphic(turtle, jsonld)
else:
    ground = lambda g: {t for t in g if not any(isinstance(x, rdflib.BNode) for x in t)}
    same = len(turtle) == len(jsonld) and ground(turtle) == ground(jsonld)
if not same:
    print(f"the Turtle ({len(turtle)} triples) and JSON-LD ({len(jsonld)} triples) graphs differ")
    sys.exit(1)
print(f"{len(turtle)} triples")
prefixes = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in turtle.namespaces())
for query in pathlib.Path(sys.argv[3]).read_text(encoding="utf-8").split("\n\n"):
    if query.strip():
        answers = [bool(g.query(prefixes + query).askAnswer) for g in (turtle, jsonld)]
        print(all(answers))
"#;

/// Exports both serializations and asks the queries; returns what the script printed.
fn check(
    registry: &Registry,
    provenance: Option<&Provenance>,
    queries: &[String],
    compare: &str,
) -> String {
    let dir = tempfile::tempdir().unwrap();
    let (ttl, jsonld, asks) = (
        dir.path().join("org.ttl"),
        dir.path().join("org.jsonld"),
        dir.path().join("ask.rq"),
    );
    let options = ExportOptions::default();
    write_org_turtle(
        registry,
        provenance,
        &options,
        std::fs::File::create(&ttl).unwrap(),
    )
    .unwrap();
    write_org_jsonld(
        registry,
        provenance,
        &options,
        std::fs::File::create(&jsonld).unwrap(),
    )
    .unwrap();
    std::fs::write(&asks, queries.join("\n\n")).unwrap();
    run_python(
        CHECK_PY,
        &[
            ttl.as_path(),
            jsonld.as_path(),
            Path::new(&asks),
            Path::new(compare),
        ],
    )
    .trim()
    .to_owned()
}

fn iri(registry: &Registry, handle: &str) -> String {
    let id = registry
        .by_handle(&handle.parse().unwrap())
        .unwrap_or_else(|| panic!("no {handle}"));
    format!("<{}>", sijill_interop::ids::iri(id))
}

#[test]
fn the_founding_example_parses_as_the_same_graph_with_the_expected_statements() {
    let example = founding_example();
    let r = &example.registry;
    let (mandate, coordination) = (
        iri(r, "@khemisset-coordinator-chahboun"),
        iri(r, "@khemisset-coordination"),
    );
    let queries = [
        format!("ASK {{ {mandate} a org:Membership ; org:member {} ; org:organization {coordination} }}", iri(r, "@achraf-chahboun")),
        format!("ASK {{ {mandate} org:role ?role . {} org:role ?role ; org:heldBy {} }}", iri(r, "@khemisset-coordinator"), iri(r, "@achraf-chahboun")),
        format!("ASK {{ {mandate} org:memberDuring ?i . ?i a time:Interval ; time:hasBeginning ?b . ?b sijill:edtf \"2016-12-11/2017-01-31\" }}"),
        format!("ASK {{ {mandate} sijill:basis \"elected_unanimously\" ; sijill:represents {} ; sijill:assembly {} }}", iri(r, "@maaziz"), iri(r, "@khemisset-founding-assembly")),
        format!("ASK {{ {coordination} a org:OrganizationalUnit ; org:subOrganizationOf {} }}", iri(r, "@elected-progressives")),
        format!("ASK {{ ?founding a org:ChangeEvent ; org:resultingOrganization {coordination} . {coordination} org:resultedFrom ?founding }}"),
        format!("ASK {{ {} a org:Organization ; skos:prefLabel \"حزب التقدم والاشتراكية\"@ar ; skos:altLabel \"Parti du Progrès et du Socialisme\"@fr }}", iri(r, "@pps")),
        format!("ASK {{ {mandate} prov:wasAttributedTo ?actor ; prov:generatedAtTime ?at . ?actor a prov:Agent ; rdfs:label \"registrar@secretariat\" FILTER(?at = \"2026-01-05T09:05:00Z\"^^xsd:dateTime) }}"),
        format!("ASK {{ {} org:memberDuring/time:hasBeginning/time:inXSDDate \"2016-12-10\"^^xsd:date }}", iri(r, "@karim-taj-secretary-general")),
    ];
    let report = check(r, Some(&example.provenance), &queries, "isomorphic");
    let expected =
        std::iter::once("1285 triples".to_owned()).chain(queries.iter().map(|_| "True".to_owned()));
    assert_eq!(report, expected.collect::<Vec<_>>().join("\n"));
}

#[test]
fn dissolutions_in_the_synthetic_registry_are_change_events_with_the_original_organization() {
    let registry = synthetic_small();
    let queries = [
        "ASK { ?event a org:ChangeEvent ; org:originalOrganization ?body . ?body org:changedBy ?event ; a ?class }".to_owned(),
        "ASK { ?m a org:Membership ; sijill:endReason \"body_dissolved\" ; org:memberDuring/time:hasEnd ?end }".to_owned(),
        "ASK { ?m a org:Membership ; sijill:basis \"elected_by_majority\" ; sijill:votesFor ?for . FILTER(?for > 0) }".to_owned(),
    ];
    let report = check(&registry, None, &queries, "ground-triples");
    let lines: Vec<&str> = report.lines().collect();
    assert!(lines[0].ends_with(" triples"), "{report}");
    assert_eq!(lines[1..], ["True", "True", "True"], "{report}");
}
