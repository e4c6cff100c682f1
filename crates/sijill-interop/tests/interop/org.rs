use insta::assert_snapshot;
use sijill_interop::{write_org_jsonld, write_org_turtle, ExportOptions};

use crate::support::{day, khemisset, line_with};

fn turtle(options: &ExportOptions) -> String {
    let example = khemisset();
    let mut out = Vec::new();
    write_org_turtle(
        &example.registry,
        Some(&example.provenance),
        options,
        &mut out,
    )
    .unwrap();
    String::from_utf8(out).unwrap()
}

fn jsonld(options: &ExportOptions) -> String {
    let example = khemisset();
    let mut out = Vec::new();
    write_org_jsonld(
        &example.registry,
        Some(&example.provenance),
        options,
        &mut out,
    )
    .unwrap();
    String::from_utf8(out).unwrap()
}

/// The Turtle block (a subject and its statements) of `subject`.
fn block<'a>(document: &'a str, subject: &str) -> &'a str {
    let start = document
        .find(&format!("\n<{subject}> "))
        .unwrap_or_else(|| panic!("no block for {subject}"));
    let rest = &document[start + 1..];
    &rest[..rest.find(" .\n").map_or(rest.len(), |end| end + 2)]
}

/// The IRI of the entity a handle names in the example.
fn iri(handle: &str) -> String {
    let registry = khemisset().registry;
    let id = registry.by_handle(&handle.parse().unwrap()).unwrap();
    sijill_interop::ids::iri(id)
}

#[test]
fn turtle_has_prefixes_then_one_block_per_subject() {
    let document = turtle(&ExportOptions::default());
    assert_snapshot!(document.lines().take(9).collect::<Vec<_>>().join("\n"), @r#"
        @prefix org: <http://www.w3.org/ns/org#> .
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        @prefix foaf: <http://xmlns.com/foaf/0.1/> .
        @prefix prov: <http://www.w3.org/ns/prov#> .
        @prefix time: <http://www.w3.org/2006/time#> .
        @prefix dct: <http://purl.org/dc/terms/> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        @prefix sijill: <urn:sijill:vocab#> .
        "#);
}

#[test]
fn a_mandate_is_an_org_membership_with_its_interval_basis_and_provenance() {
    let document = turtle(&ExportOptions::default());
    assert_snapshot!(block(&document, &iri("@khemisset-coordinator-chahboun")), @r##"
        <urn:uuid:00000000-0000-7000-8000-00000000003d> a org:Membership ;
            org:member <urn:uuid:00000000-0000-7000-8000-00000000003c> ;
            org:organization <urn:uuid:00000000-0000-7000-8000-000000000038> ;
            org:role <urn:uuid:00000000-0000-7000-8000-000000000039#role> ;
            sijill:post <urn:uuid:00000000-0000-7000-8000-000000000039> ;
            org:memberDuring [
                a time:Interval ;
                time:hasBeginning [
                    a time:Instant ;
                    sijill:edtf "2016-12-11/2017-01-31"
                ]
            ] ;
            sijill:basis "elected_unanimously" ;
            sijill:assembly <urn:uuid:00000000-0000-7000-8000-00000000003b> ;
            sijill:represents <urn:uuid:00000000-0000-7000-8000-000000000004> ;
            sijill:handle "@khemisset-coordinator-chahboun" ;
            prov:wasAttributedTo <urn:sijill:actor:registrar%40secretariat> ;
            prov:generatedAtTime "2026-01-05T09:05:00Z"^^xsd:dateTime ;
            dct:source "press report (Arabic, undated): founding general assembly of the Khemisset provincial coordination of the Democratic Association of Progressive Elected Officials; text in examples/khemisset/press-report.ar.txt" .
        "##);
}

#[test]
fn a_body_is_an_organizational_unit_founded_by_a_change_event() {
    let document = turtle(&ExportOptions::default());
    let coordination = iri("@khemisset-coordination");
    assert_snapshot!(block(&document, &coordination), @r##"
        <urn:uuid:00000000-0000-7000-8000-000000000038> a org:OrganizationalUnit ;
            skos:prefLabel "التنسيقية الإقليمية للجمعية الديمقراطية للمنتخبين التقدميين بإقليم الخميسات"@ar ;
            skos:altLabel "Khemisset provincial coordination"@en ;
            skos:altLabel "التنسيقية الإقليمية بالخميسات"@ar ;
            org:subOrganizationOf <urn:uuid:00000000-0000-7000-8000-00000000001a> ;
            org:classification <urn:sijill:body-kind:provincial-coordination> ;
            dct:spatial <urn:uuid:00000000-0000-7000-8000-000000000002> ;
            org:resultedFrom <urn:uuid:00000000-0000-7000-8000-000000000038#founding> ;
            sijill:handle "@khemisset-coordination" ;
            prov:wasAttributedTo <urn:sijill:actor:registrar%40secretariat> ;
            prov:generatedAtTime "2026-01-05T09:05:00Z"^^xsd:dateTime ;
            dct:source "press report (Arabic, undated): founding general assembly of the Khemisset provincial coordination of the Democratic Association of Progressive Elected Officials; text in examples/khemisset/press-report.ar.txt" .
        "##);
    assert_snapshot!(block(&document, &format!("{coordination}#founding")), @r##"
        <urn:uuid:00000000-0000-7000-8000-000000000038#founding> a org:ChangeEvent ;
            org:resultingOrganization <urn:uuid:00000000-0000-7000-8000-000000000038> ;
            sijill:edtf "2016-12-11/2017-01-31" .
        "##);
}

#[test]
fn a_post_is_held_by_its_holders_and_has_a_role() {
    let document = turtle(&ExportOptions::default());
    let coordinator = iri("@khemisset-coordinator");
    assert_snapshot!(block(&document, &coordinator), @r##"
        <urn:uuid:00000000-0000-7000-8000-000000000039> a org:Post ;
            skos:prefLabel "المنسق الإقليمي"@ar ;
            skos:altLabel "Provincial coordinator"@en ;
            org:postIn <urn:uuid:00000000-0000-7000-8000-000000000038> ;
            org:role <urn:uuid:00000000-0000-7000-8000-000000000039#role> ;
            org:heldBy <urn:uuid:00000000-0000-7000-8000-00000000003c> ;
            sijill:seats "1"^^xsd:integer ;
            sijill:establishedOn [
                a time:Instant ;
                sijill:edtf "2016-12-11/2017-01-31"
            ] ;
            sijill:handle "@khemisset-coordinator" ;
            prov:wasAttributedTo <urn:sijill:actor:registrar%40secretariat> ;
            prov:generatedAtTime "2026-01-05T09:05:00Z"^^xsd:dateTime ;
            dct:source "press report (Arabic, undated): founding general assembly of the Khemisset provincial coordination of the Democratic Association of Progressive Elected Officials; text in examples/khemisset/press-report.ar.txt" .
        "##);
    assert_snapshot!(block(&document, &format!("{coordinator}#role")), @r##"
        <urn:uuid:00000000-0000-7000-8000-000000000039#role> a org:Role ;
            skos:prefLabel "المنسق الإقليمي"@ar ;
            skos:altLabel "Provincial coordinator"@en .
        "##);
}

#[test]
fn json_ld_writes_the_same_statements_as_node_objects() {
    let document = jsonld(&ExportOptions::default());
    assert_snapshot!(document.lines().next().unwrap(), @r##"{"@context":{"dct":"http://purl.org/dc/terms/","foaf":"http://xmlns.com/foaf/0.1/","org":"http://www.w3.org/ns/org#","prov":"http://www.w3.org/ns/prov#","rdfs":"http://www.w3.org/2000/01/rdf-schema#","sijill":"urn:sijill:vocab#","skos":"http://www.w3.org/2004/02/skos/core#","time":"http://www.w3.org/2006/time#","xsd":"http://www.w3.org/2001/XMLSchema#"},"##);
    let mandate = iri("@khemisset-coordinator-chahboun");
    assert_snapshot!(line_with(&document, &format!(r#"{{"@id":"{mandate}""#)), @r##"{"@id":"urn:uuid:00000000-0000-7000-8000-00000000003d","@type":["org:Membership"],"dct:source":[{"@value":"press report (Arabic, undated): founding general assembly of the Khemisset provincial coordination of the Democratic Association of Progressive Elected Officials; text in examples/khemisset/press-report.ar.txt"}],"org:member":[{"@id":"urn:uuid:00000000-0000-7000-8000-00000000003c"}],"org:memberDuring":[{"@type":["time:Interval"],"time:hasBeginning":[{"@type":["time:Instant"],"sijill:edtf":[{"@value":"2016-12-11/2017-01-31"}]}]}],"org:organization":[{"@id":"urn:uuid:00000000-0000-7000-8000-000000000038"}],"org:role":[{"@id":"urn:uuid:00000000-0000-7000-8000-000000000039#role"}],"prov:generatedAtTime":[{"@type":"xsd:dateTime","@value":"2026-01-05T09:05:00Z"}],"prov:wasAttributedTo":[{"@id":"urn:sijill:actor:registrar%40secretariat"}],"sijill:assembly":[{"@id":"urn:uuid:00000000-0000-7000-8000-00000000003b"}],"sijill:basis":[{"@value":"elected_unanimously"}],"sijill:handle":[{"@value":"@khemisset-coordinator-chahboun"}],"sijill:post":[{"@id":"urn:uuid:00000000-0000-7000-8000-000000000039"}],"sijill:represents":[{"@id":"urn:uuid:00000000-0000-7000-8000-000000000004"}]}"##);
}

#[test]
fn as_of_a_date_posts_are_held_by_who_held_them_then() {
    let document = turtle(&ExportOptions {
        as_of: Some(day("2016-12-10")),
    });
    assert!(
        !document.contains(&iri("@khemisset-coordination")),
        "the coordination did not exist yet"
    );
    let secretary = block(&document, &iri("@elected-progressives-secretary-general"));
    assert!(
        secretary.contains(&format!("org:heldBy <{}>", iri("@karim-taj"))),
        "{secretary}"
    );
}
