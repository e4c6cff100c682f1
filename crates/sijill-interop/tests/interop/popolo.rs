use insta::assert_snapshot;
use sijill_domain::Registry;
use sijill_interop::{validate_document, write_popolo, ExportCounts, ExportOptions, Provenance};

use crate::support::{day, khemisset, line_with, synthetic};

pub fn popolo(
    registry: &Registry,
    provenance: Option<&Provenance>,
    options: &ExportOptions,
) -> String {
    let mut out = Vec::new();
    write_popolo(registry, provenance, options, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn the_founding_example_exports_every_kind_of_record() {
    let example = khemisset();
    let mut out = Vec::new();
    let counts =
        write_popolo(&example.registry, None, &ExportOptions::default(), &mut out).unwrap();
    let expected = ExportCounts {
        areas: 16,
        persons: 26,
        organizations: 14,
        posts: 10,
        events: 3,
        memberships: 30,
    };
    assert_eq!(counts, expected);
}

#[test]
fn a_membership_says_how_where_and_from_which_source() {
    let example = khemisset();
    let document = popolo(
        &example.registry,
        Some(&example.provenance),
        &ExportOptions::default(),
    );
    assert_snapshot!(line_with(&document, r#"{"id":"khemisset-coordinator-chahboun""#), @r##"{"id":"khemisset-coordinator-chahboun","person_id":"achraf-chahboun","organization_id":"khemisset-coordination","post_id":"khemisset-coordinator","role":"المنسق الإقليمي","area_id":"maaziz","sijill:start_date":"2016-12-11/2017-01-31","sijill:basis":"elected_unanimously","sijill:assembly_id":"khemisset-founding-assembly","sources":[{"url":"urn:sijill:source:b297608116545cad","note":"press report (Arabic, undated): founding general assembly of the Khemisset provincial coordination of the Democratic Association of Progressive Elected Officials; text in examples/khemisset/press-report.ar.txt"}]}"##);
}

#[test]
fn a_member_representing_a_chamber_is_on_behalf_of_it() {
    let example = khemisset();
    let document = popolo(&example.registry, None, &ExportOptions::default());
    assert_snapshot!(line_with(&document, r#""person_id":"mohamed-ajghough""#), @r##"{"id":"mandate-00000000-0000-7000-8000-000000000062","person_id":"mohamed-ajghough","organization_id":"khemisset-coordination","post_id":"khemisset-coordination-member","role":"عضو التنسيقية","on_behalf_of_id":"chamber-traditional-crafts","sijill:start_date":"2016-12-11/2017-01-31","sijill:basis":"chosen_by_consensus","sijill:assembly_id":"khemisset-founding-assembly"}"##);
}

#[test]
fn uncertain_dates_keep_their_edtf_value_beside_the_popolo_date() {
    let example = khemisset();
    let document = popolo(&example.registry, None, &ExportOptions::default());
    assert_snapshot!(line_with(&document, r#"{"id":"khemisset-coordination","#), @r##"{"id":"khemisset-coordination","name":"التنسيقية الإقليمية للجمعية الديمقراطية للمنتخبين التقدميين بإقليم الخميسات","other_names":[{"name":"التنسيقية الإقليمية للجمعية الديمقراطية للمنتخبين التقدميين بإقليم الخميسات","lang":"ar"},{"name":"Khemisset provincial coordination","lang":"en"},{"name":"التنسيقية الإقليمية بالخميسات","lang":"ar"}],"classification":"provincial-coordination","parent_id":"elected-progressives","area_id":"khemisset-province","sijill:founding_date":"2016-12-11/2017-01-31"}"##);
    assert_snapshot!(line_with(&document, r#"{"id":"khemisset-founding-assembly""#), @r##"{"id":"khemisset-founding-assembly","name":"الجمع العام التأسيسي للتنسيقية الإقليمية","classification":"founding_general_assembly","organization_id":"khemisset-coordination","location":"غرفة الصناعة والتجارة والخدمات بمدينة الخميسات","attendees":[{"id":"khalid-lakhbizi","sijill:capacity":"الكاتب الإقليمي للحزب، افتتح الجمع العام (provincial secretary of the party; opened the assembly)"},{"id":"abdeslam-seddiki","sijill:capacity":"عضو الديوان السياسي للحزب (member of the party's Political Bureau)"},{"id":"nadia-touhami","sijill:capacity":"عضوة الديوان السياسي للحزب (member of the party's Political Bureau)"},{"id":"karim-taj","sijill:capacity":"الكاتب الوطني للجمعية وعضو الديوان السياسي (national secretary of the association, member of the Political Bureau)"},{"id":"el-habib-lahssini","sijill:capacity":"النائب البرلماني عن دائرة الخميسات والماس وعضو المجلس الوطني (MP for Khemisset–Oulmès, member of the National Council)"},{"id":"aziz-el-ajouti","sijill:capacity":"رئيس جماعة آيت واحي وعضو المكتب الوطني للجمعية (president of the commune of Ait Ouahi, member of the association's National Bureau)"}],"sijill:start_date":"2016-12-11/2017-01-31","sijill:name":{"text":"الجمع العام التأسيسي للتنسيقية الإقليمية","lang":"ar","others":[{"text":"Founding general assembly of the provincial coordination","lang":"en"}]},"sijill:location":{"text":"غرفة الصناعة والتجارة والخدمات بمدينة الخميسات","lang":"ar","others":[{"text":"Chamber of Industry, Commerce and Services, Khemisset","lang":"en"}]}}"##);
    assert_snapshot!(line_with(&document, r#"{"id":"karim-taj-secretary-general""#), @r##"{"id":"karim-taj-secretary-general","person_id":"karim-taj","organization_id":"elected-progressives","post_id":"elected-progressives-secretary-general","role":"الكاتب العام","start_date":"2016-12-10","sijill:basis":"elected","sijill:assembly_id":"elected-progressives-congress-2016"}"##);
}

#[test]
fn persons_carry_every_script_as_other_names_with_lang() {
    let example = khemisset();
    let document = popolo(&example.registry, None, &ExportOptions::default());
    assert_snapshot!(line_with(&document, r#"{"id":"achraf-chahboun""#), @r##"{"id":"achraf-chahboun","name":"أشرف شهبون","other_names":[{"name":"أشرف شهبون","lang":"ar"},{"name":"Achraf Chahboun","lang":"ar-Latn"}],"gender":"male"}"##);
}

#[test]
fn exports_validate_against_the_popolo_schemas() {
    let example = khemisset();
    let founding = popolo(
        &example.registry,
        Some(&example.provenance),
        &ExportOptions::default(),
    );
    validate_document(&serde_json::from_str(&founding).unwrap()).unwrap();
    let as_of = ExportOptions {
        as_of: Some(day("2016-12-20")),
    };
    let founding_then = popolo(&example.registry, Some(&example.provenance), &as_of);
    validate_document(&serde_json::from_str(&founding_then).unwrap()).unwrap();
    let national = popolo(&synthetic(), None, &ExportOptions::default());
    validate_document(&serde_json::from_str(&national).unwrap()).unwrap();
}

#[test]
fn the_same_registry_always_gives_the_same_bytes() {
    let example = khemisset();
    let options = ExportOptions::default();
    let first = popolo(&example.registry, Some(&example.provenance), &options);
    let second = popolo(&example.registry, Some(&example.provenance), &options);
    assert!(first == second);
    assert!(first.starts_with("{\"areas\":[\n{\"id\":\"ait-ikkou\""));
    assert!(first.ends_with("\n]}\n"));
}

/// Organization ids, and membership ids with their certainty, of an export as of a date.
fn structure_as_of(date: &str) -> String {
    let example = khemisset();
    let document = popolo(
        &example.registry,
        None,
        &ExportOptions {
            as_of: Some(day(date)),
        },
    );
    let value: serde_json::Value = serde_json::from_str(&document).unwrap();
    let ids = |key: &str| -> Vec<String> {
        value[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| match r.get("sijill:certainty") {
                Some(c) => format!("{} ({})", r["id"].as_str().unwrap(), c.as_str().unwrap()),
                None => r["id"].as_str().unwrap().to_owned(),
            })
            .collect()
    };
    let memberships = ids("memberships");
    let unnamed = |certainty: &str| {
        memberships
            .iter()
            .filter(|m| m.starts_with("mandate-") && m.ends_with(certainty))
            .count()
    };
    let named: Vec<&String> = memberships
        .iter()
        .filter(|m| !m.starts_with("mandate-"))
        .collect();
    format!(
        "as of {}\norganizations: {}\nmemberships with a handle: {:?}\nothers: {} certain, {} possible",
        value["sijill:as_of"],
        ids("organizations").join(", "),
        named,
        unnamed("(certain)"),
        unnamed("(possible)"),
    )
}

#[test]
fn an_export_as_of_a_date_holds_the_structure_then() {
    assert_snapshot!(structure_as_of("2016-12-10"), @r##"
        as of "2016-12-10"
        organizations: ait-ouahi-council (certain), ait-yadine-council (certain), chamber-agriculture (certain), chamber-industry-commerce-services (certain), chamber-traditional-crafts (certain), elected-progressives (certain), elected-progressives-national-bureau (certain), house-of-representatives (certain), pps (certain), pps-central-committee (certain), pps-khemisset (certain), pps-national-council (certain), pps-political-bureau (certain)
        memberships with a handle: ["karim-taj-secretary-general (certain)"]
        others: 0 certain, 9 possible
        "##);
    assert_snapshot!(structure_as_of("2016-12-20"), @r##"
        as of "2016-12-20"
        organizations: ait-ouahi-council (certain), ait-yadine-council (certain), chamber-agriculture (certain), chamber-industry-commerce-services (certain), chamber-traditional-crafts (certain), elected-progressives (certain), elected-progressives-national-bureau (certain), house-of-representatives (certain), khemisset-coordination (possible), pps (certain), pps-central-committee (certain), pps-khemisset (certain), pps-national-council (certain), pps-political-bureau (certain)
        memberships with a handle: ["karim-taj-secretary-general (certain)", "khemisset-coordinator-chahboun (possible)"]
        others: 0 certain, 28 possible
        "##);
    assert_snapshot!(structure_as_of("2017-02-01"), @r##"
        as of "2017-02-01"
        organizations: ait-ouahi-council (certain), ait-yadine-council (certain), chamber-agriculture (certain), chamber-industry-commerce-services (certain), chamber-traditional-crafts (certain), elected-progressives (certain), elected-progressives-national-bureau (certain), house-of-representatives (certain), khemisset-coordination (certain), pps (certain), pps-central-committee (certain), pps-khemisset (certain), pps-national-council (certain), pps-political-bureau (certain)
        memberships with a handle: ["karim-taj-secretary-general (certain)", "khemisset-coordinator-chahboun (certain)"]
        others: 28 certain, 0 possible
        "##);
}
