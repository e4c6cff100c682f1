use insta::assert_snapshot;
use serde_json::json;
use sijill_domain::{Command, Context, Registry, SequentialIds};
use sijill_interop::{
    plan_popolo_import, Decided, ExportOptions, ImportError, ImportOptions, ImportPlan,
};

use crate::popolo::popolo;
use crate::support::{khemisset, synthetic};

fn plan(document: &str) -> Result<ImportPlan, ImportError> {
    plan_popolo_import(document.as_bytes(), &ImportOptions::new("file.json"))
}

fn decide(plan: &ImportPlan, registry: &Registry) -> Result<Decided, ImportError> {
    let mut ids = SequentialIds::new();
    let at = chrono::DateTime::parse_from_rfc3339("2026-02-01T10:00:00Z")
        .unwrap()
        .to_utc();
    plan.decide(registry, &mut Context::new(at, &mut ids))
}

/// Export, import into an empty registry, export again.
fn round_trip(registry: &Registry) -> (String, String) {
    let exported = popolo(registry, None, &ExportOptions::default());
    let plan = plan(&exported).unwrap_or_else(|e| panic!("{e}"));
    assert!(plan.warnings().is_empty(), "{}", plan.warnings());
    let imported = decide(&plan, &Registry::new())
        .unwrap_or_else(|e| panic!("{e}"))
        .registry;
    (exported, popolo(&imported, None, &ExportOptions::default()))
}

#[test]
fn the_founding_example_survives_a_round_trip_byte_for_byte() {
    let (exported, again) = round_trip(&khemisset().registry);
    assert!(
        exported == again,
        "the second export differs from the first"
    );
}

#[test]
fn the_synthetic_registry_survives_a_round_trip_byte_for_byte() {
    let (exported, again) = round_trip(&synthetic());
    assert!(
        exported == again,
        "the second export differs from the first"
    );
}

#[test]
fn an_import_is_one_batch_from_the_file_with_a_command_id_from_its_bytes() {
    let exported = popolo(&khemisset().registry, None, &ExportOptions::default());
    let first = plan(&exported).unwrap();
    let again = plan(&exported).unwrap();
    assert_eq!(first.command_id(), again.command_id());
    assert!(first.command_id().starts_with("popolo-") && first.command_id().len() == 71);
    assert!(first
        .source()
        .starts_with("file.json (Popolo import, blake3 "));
    let changed = plan(&exported.replacen("أشرف شهبون", "أشرف  شهبون", 1)).unwrap();
    assert_ne!(first.command_id(), changed.command_id());
    let decided = decide(&first, &Registry::new()).unwrap();
    assert_eq!(decided.batches.len(), 1);
    assert_eq!(decided.batches[0].command_id, first.command_id());
    assert_eq!(decided.batches[0].commands, 0..first.commands().len());
}

#[test]
fn importing_the_same_records_again_is_refused_by_handle_not_duplicated() {
    // The engine answers a known command id without deciding; deciding the same file again
    // anyway (a copy with another name, say) cannot duplicate anything: every handle is taken.
    let exported = popolo(&khemisset().registry, None, &ExportOptions::default());
    let plan = plan(&exported).unwrap();
    let once = decide(&plan, &Registry::new()).unwrap().registry;
    let error = decide(&plan, &once).unwrap_err();
    assert_snapshot!(error.to_string(), @r#"$.areas[12]: the registry refuses it (register_area): handle `@rabat-sale-kenitra` is already taken by an area: choose another handle"#);
}

fn refusal(document: serde_json::Value) -> String {
    match plan(&document.to_string()) {
        Ok(plan) => match decide(&plan, &Registry::new()) {
            Ok(_) => "accepted".to_owned(),
            Err(error) => error.to_string(),
        },
        Err(error) => error.to_string(),
    }
}

/// A minimal valid file: one person holding one post in one organization.
fn minimal() -> serde_json::Value {
    json!({
        "persons": [{"id": "amina-azzouzi", "name": "امينة عزوزي"}],
        "organizations": [{"id": "bureau", "name": "Bureau", "classification": "national-bureau"}],
        "posts": [{"id": "bureau-chair", "label": "Chair", "organization_id": "bureau", "sijill:seats": 1}],
        "memberships": [{
            "id": "amina-chair", "person_id": "amina-azzouzi", "organization_id": "bureau",
            "post_id": "bureau-chair", "start_date": "2017-03", "sijill:basis": "elected_unanimously"
        }]
    })
}

#[test]
fn a_minimal_file_is_accepted() {
    assert_eq!(refusal(minimal()), "accepted");
}

#[test]
fn a_schema_break_is_refused_at_its_exact_path() {
    let mut document = minimal();
    document["memberships"][0]["start_date"] = json!("11/03/2017");
    assert_snapshot!(refusal(document), @r#"$.memberships[0].start_date: `11/03/2017` does not match the pattern ^[0-9]{4}((-[0-9]{2}){0,2}|(-[0-9]{2}){2}T[0-9]{2}(:[0-9]{2}){0,2}(Z|[+-][0-9]{2}(:[0-9]{2})?))$ (Popolo schema)"#);
    let mut document = minimal();
    document["persons"][0]["other_names"] =
        json!([{"name": "Amina Azzouzi", "lang": "ar-Latn"}, {"name": 3}]);
    assert_snapshot!(refusal(document), @r#"$.persons[0].other_names[1].name: is a number; expected string (Popolo schema)"#);
    let mut document = minimal();
    document["posts"] = json!({"id": "not-an-array"});
    assert_snapshot!(refusal(document), @r#"$.posts: must be an array of posts (line 1, column 337) (Popolo schema)"#);
}

#[test]
fn a_reference_to_a_missing_record_is_refused_at_its_exact_path() {
    let mut document = minimal();
    document["memberships"][0]["post_id"] = json!("bureau-secretary");
    assert_snapshot!(refusal(document), @r#"$.memberships[0].post_id: refers to `bureau-secretary`, but no `posts[].id` in the file is `bureau-secretary`"#);
    let mut document = minimal();
    document["organizations"][0]["parent_id"] = json!("party");
    assert_snapshot!(refusal(document), @r#"$.organizations[0].parent_id: refers to `party`, but no `organizations[].id` in the file is `party`"#);
    let mut document = minimal();
    document["memberships"][0]["sijill:assembly_id"] = json!("congress");
    assert_snapshot!(refusal(document), @r##"$.memberships[0]["sijill:assembly_id"]: refers to `congress`, but no `events[].id` in the file is `congress`"##);
}

#[test]
fn what_sijill_cannot_record_consistently_is_refused_with_its_path() {
    let mut document = minimal();
    document["memberships"][0]["sijill:start_date"] = json!("2017-04~");
    assert_snapshot!(refusal(document), @r##"$.memberships[0].start_date: `2017-03` disagrees with "sijill:start_date" `2017-04~`: correct one of them"##);
    let mut document = minimal();
    document["persons"][0]["other_names"] = json!([{"note": "a name without its text"}]);
    assert_snapshot!(refusal(document), @r#"$.persons[0].other_names[0]: missing field `name`"#);
    let mut document = minimal();
    document["memberships"][0]["sijill:basis"] = json!("drawn_by_lot");
    assert_snapshot!(refusal(document), @r##"$.memberships[0]["sijill:basis"]: `drawn_by_lot` is not a basis: unknown variant `drawn_by_lot`, expected one of `elected`, `elected_unanimously`, `elected_by_majority`, `elected_by_acclamation`, `chosen_by_consensus`, `appointed`, `co_opted`, `ex_officio`, `not_stated`"##);
    let mut document = minimal();
    document["organizations"][0]["memberships"] = json!([{"person_id": "amina-azzouzi"}]);
    assert_snapshot!(refusal(document), @r#"$.organizations[0].memberships: embedded `memberships` records are not imported: list them at the top level and refer to them with `memberships[].organization_id`"#);
    let mut document = minimal();
    document["persons"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": "amina-azzouzi", "name": "أمينة عزوزي"}));
    assert_snapshot!(refusal(document), @r#"$.persons[1].id: `amina-azzouzi` is already the id of $.persons[0]; ids must be unique"#);
    let mut document = minimal();
    document["organizations"][0]["parent_id"] = json!("bureau");
    assert_snapshot!(refusal(document), @r#"$.organizations[0].parent_id: makes a loop: a record cannot be its own ancestor"#);
}

#[test]
fn a_rule_of_the_registry_is_refused_at_the_record_that_breaks_it() {
    let mut document = minimal();
    document["persons"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": "sara-boutahiri", "name": "سارة بوطاهري"}));
    document["memberships"].as_array_mut().unwrap().push(json!({
        "person_id": "sara-boutahiri", "post_id": "bureau-chair", "start_date": "2017-06-01",
        "sijill:basis": "appointed", "sijill:appointed_by": "amina-azzouzi"
    }));
    assert_snapshot!(refusal(document), @r#"$.memberships[1]: the registry refuses it (start_mandate): post @bureau-chair has 1 seat(s), and on 2017-06-01 it would be held by @amina-azzouzi and @sara-boutahiri: end a mandate first, or give more precise dates"#);
}

#[test]
fn a_file_that_is_not_json_is_refused_at_its_line_and_column() {
    let error = plan("{\"persons\": [\n  {\"id\": \"a\",}\n]}").unwrap_err();
    assert_snapshot!(error.to_string(), @r#"line 2, column 14: not JSON: key must be a string at line 2 column 14"#);
}

#[test]
fn a_popolo_file_from_elsewhere_is_imported_with_what_sijill_can_record() {
    let document = json!({
        "persons": [
            {"id": "Q1", "name": "Fatima Chouari", "gender": "Female", "birth_date": "1980",
             "email": "f@example.org", "identifiers": [{"scheme": "wikidata", "identifier": "Q1"}]},
            {"id": "ocd-person/2", "name": "Omar El Bouch", "birth_date": "1975-04"}
        ],
        "organizations": [
            {"id": "1", "name": "Conseil communal", "classification": "Commune Council"},
            {"id": "party/pps", "name": "PPS", "classification": "party"}
        ],
        "memberships": [
            {"person_id": "Q1", "organization_id": "1", "role": "councillor", "start_date": "2015-09-04",
             "on_behalf_of_id": "party/pps", "end_date": "2021-09-08", "sijill:end_reason": "term_expired"},
            {"person_id": "ocd-person/2", "organization_id": "1", "start_date": "2015"}
        ],
        "motions": []
    });
    let plan = plan(&document.to_string()).unwrap();
    let handles: Vec<String> = plan
        .handles()
        .iter()
        .map(|(_, id, h)| format!("{id} -> {h}"))
        .collect();
    assert_snapshot!(handles.join("\n"), @r#"
        Q1 -> @person-q1
        ocd-person/2 -> @person-ocd-person-2
        1 -> @1
        party/pps -> @organization-party-pps
        "#);
    assert_snapshot!(plan.warnings().to_string(), @r#"
        persons[].birth_date: not imported (2 records, first at $.persons[0].birth_date)
        persons[].email: not imported (1 record: $.persons[0].email)
        persons[].identifiers: not imported (1 record: $.persons[0].identifiers)
        "#);
    let commands: Vec<String> = plan
        .commands()
        .iter()
        .enumerate()
        .map(|(i, c)| {
            format!(
                "{} {}",
                plan.path(i).unwrap(),
                serde_json::to_string(c).unwrap()
            )
        })
        .collect();
    assert_snapshot!(commands.join("\n"), @r##"
        $.persons[0] {"command":"register_person","handle":"@person-q1","name":{"text":"Fatima Chouari"},"gender":"female"}
        $.persons[1] {"command":"register_person","handle":"@person-ocd-person-2","name":{"text":"Omar El Bouch"}}
        $.organizations[0] {"command":"found_body","handle":"@1","name":{"text":"Conseil communal"},"kind":"commune-council"}
        $.organizations[1] {"command":"found_body","handle":"@organization-party-pps","name":{"text":"PPS"},"kind":"party"}
        $.memberships[0] {"command":"establish_post","handle":"@1-councillor","body":"@1","title":{"text":"councillor"},"seats":"unlimited"}
        $.memberships[1] {"command":"establish_post","handle":"@1-member","body":"@1","title":{"text":"member"},"seats":"unlimited"}
        $.memberships[1] {"command":"start_mandate","handle":"@membership-85cd0dcc-1","person":"@person-ocd-person-2","post":"@1-member","from":"2015","basis":"not_stated"}
        $.memberships[0] {"command":"start_mandate","handle":"@membership-85cd0dcc-0","person":"@person-q1","post":"@1-councillor","from":"2015-09-04","basis":"not_stated","constituency":"@organization-party-pps"}
        $.memberships[0] {"command":"end_mandate","mandate":"@membership-85cd0dcc-0","on":"2021-09-08","reason":"term_expired"}
        "##);
    let registry = decide(&plan, &Registry::new()).unwrap().registry;
    assert_eq!(registry.counts(), [0, 2, 2, 2, 0, 2]);
}

#[test]
fn a_file_too_big_for_one_batch_is_cut_into_idempotent_batches() {
    let persons: Vec<serde_json::Value> = (0..5_000)
        .map(|i| json!({"id": format!("person-{i}"), "name": format!("Person {i}")}))
        .collect();
    let plan = plan(&json!({ "persons": persons }).to_string()).unwrap();
    let decided = decide(&plan, &Registry::new()).unwrap();
    let batches: Vec<String> = decided
        .batches
        .iter()
        .map(|b| {
            format!(
                "{}…{} {:?}",
                &b.command_id[..11],
                &b.command_id[b.command_id.len() - 2..],
                b.commands
            )
        })
        .collect();
    assert_snapshot!(batches.join("\n"), @r#"
        popolo-4b81…-1 0..4096
        popolo-4b81…-2 4096..5000
        "#);
    assert!(matches!(plan.commands()[0], Command::RegisterPerson(_)));
}
