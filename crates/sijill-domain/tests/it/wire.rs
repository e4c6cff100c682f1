//! The wire contracts: commands written by hand in TOML, events in the log's JSON, versions.

use expect_test::expect;
use sijill_domain::{Command, Event};

#[derive(serde::Deserialize)]
struct RecordFile {
    command: Vec<Command>,
}

#[test]
fn commands_are_easy_to_write_in_toml() {
    let file: RecordFile = toml::from_str(r#"
        [[command]]
        command = "register_person"
        handle = "@achraf-chahboun"
        name = { text = "أشرف شهبون", lang = "ar", others = [{ text = "Achraf Chahboun", lang = "ar-Latn" }] }
        gender = "male"

        [[command]]
        command = "establish_post"
        handle = "@khemisset-coordinator"
        body = "@khemisset-coordination"
        title = "provincial coordinator"
        seats = 1

        [[command]]
        command = "start_mandate"
        person = "@achraf-chahboun"
        post = "@khemisset-coordinator"
        from = "2016-12-11/2017-01-31"
        basis = { elected_by_majority = { for = 30, against = 2 } }
        constituency = "@maaziz"

        [[command]]
        command = "retract_event"
        position = 17
        reason = "entered twice"
    "#).expect("valid TOML commands");
    let json: Vec<String> = file
        .command
        .iter()
        .map(|c| serde_json::to_string(c).unwrap_or_default())
        .collect();
    expect![[r#"
        {"command":"register_person","handle":"@achraf-chahboun","name":{"text":"أشرف شهبون","lang":"ar","others":[{"text":"Achraf Chahboun","lang":"ar-Latn"}]},"gender":"male"}
        {"command":"establish_post","handle":"@khemisset-coordinator","body":"@khemisset-coordination","title":{"text":"provincial coordinator"},"seats":1}
        {"command":"start_mandate","person":"@achraf-chahboun","post":"@khemisset-coordinator","from":"2016-12-11/2017-01-31","basis":{"elected_by_majority":{"for":30,"against":2,"abstain":0}},"constituency":"@maaziz"}
        {"command":"retract_event","position":17,"reason":"entered twice"}"#]].assert_eq(&json.join("\n"));
}

#[test]
fn every_command_round_trips_through_json() {
    for line in crate::support::parse_commands(crate::support::BASE) {
        let json = serde_json::to_string(&line).expect("serializes");
        let back: Command = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, line);
    }
}

#[test]
fn events_round_trip_and_carry_versions() {
    let w = crate::support::World::base();
    for event in &w.events {
        let json = serde_json::to_string(event).expect("serializes");
        let back: Event = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(&back, event);
        assert_eq!(Event::version_of(event.type_name()), Some(event.version()));
    }
    assert_eq!(Event::version_of("mandate_elected"), None);
    expect!["area_registered person_registered body_founded body_renamed body_moved body_dissolved post_established post_abolished assembly_convened attendance_recorded resolution_adopted mandate_started mandate_ended name_corrected date_corrected constituency_corrected event_retracted"].assert_eq(&Event::TYPE_NAMES.join(" "));
}

#[test]
fn events_say_what_they_concern() {
    let w = crate::support::World::base();
    let concerns: Vec<String> = w
        .events
        .iter()
        .map(|e| format!("{}: {}", e.type_name(), w.line(&e.concerns())))
        .collect();
    expect![[r##"
        area_registered: [{"area":"#1"}]
        area_registered: [{"area":"#2"},{"area":"#1"}]
        area_registered: [{"area":"#3"},{"area":"#1"}]
        body_founded: [{"body":"#4"}]
        body_founded: [{"body":"#5"},{"body":"#4"},{"area":"#1"}]
        post_established: [{"post":"#6"},{"body":"#5"}]
        post_established: [{"post":"#7"},{"body":"#5"}]
        person_registered: [{"person":"#8"}]
        person_registered: [{"person":"#9"}]
        person_registered: [{"person":"#10"}]
        assembly_convened: [{"assembly":"#11"},{"body":"#5"}]"##]]
    .assert_eq(&concerns.join("\n"));
}
