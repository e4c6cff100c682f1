//! Retraction: the event stays in the log, the state becomes the state that never had it;
//! refused while later events depend on it.

use expect_test::{expect, Expect};

use crate::support::World;

/// Given the base (positions 1..=11) and `setup`, retract `position`; show the result.
fn retract(setup: &str, position: u64, expected: Expect) {
    let mut w = World::base();
    w.run(setup);
    let command = format!(
        r#"{{"command":"retract_event","position":{position},"reason":"recorded by mistake"}}"#
    );
    expected.assert_eq(&w.when(&command));
}

const MANDATE: &str = r#"{"command":"start_mandate","handle":"@m","person":"@achraf","post":"@coordinator","from":"2017-01-07","basis":"elected_unanimously","assembly":"@founding","constituency":"@maaziz"}"#;

#[test]
fn retract_a_mandate_carries_what_it_concerned() {
    retract(
        MANDATE,
        12,
        expect![[
            r##"{"type":"event_retracted","position":12,"retracted_type":"mandate_started","entities":[{"mandate":"#12"},{"person":"#8"},{"post":"#6"},{"body":"#5"},{"assembly":"#11"},{"area":"#2"}],"reason":"recorded by mistake"}"##
        ]],
    );
}

#[test]
fn retract_refused_while_later_events_depend_on_it() {
    // The person registered at 8 holds the mandate started at 12.
    retract(MANDATE, 8, expect!["error[has_dependants]: the person_registered at position 8 cannot be retracted while later events depend on it: position 12 (mandate_started of @m); retract those first, latest first"]);
    // The body founded at 5 has posts, an assembly and a mandate.
    retract(MANDATE, 5, expect!["error[has_dependants]: the body_founded at position 5 cannot be retracted while later events depend on it: position 6 (post_established of @coordinator), position 7 (post_established of @member), position 11 (assembly_convened of @founding), position 12 (mandate_started of @m); retract those first, latest first"]);
}

#[test]
fn retract_positions_that_do_not_exist_or_were_retracted() {
    retract(
        "",
        0,
        expect!["error[no_such_position]: no event at position 0: the log ends at 11"],
    );
    retract(
        "",
        99,
        expect!["error[no_such_position]: no event at position 99: the log ends at 11"],
    );
    retract(r#"{"command":"retract_event","position":10,"reason":"duplicate"}"#, 10, expect!["error[already_retracted]: the event at position 10 was already retracted at position 12"]);
    retract(r#"{"command":"retract_event","position":10,"reason":"duplicate"}"#, 12, expect!["error[retract_retraction]: the event at position 12 is a retraction, which cannot be retracted: record the fact again instead"]);
}

#[test]
fn retracting_a_creation_frees_the_handle_and_keeps_the_history() {
    let mut w = World::base();
    let hamid = w.id("@hamid");
    w.run(r#"{"command":"retract_event","position":10,"reason":"not a member"}"#);
    let history = w.line(&w.registry.history(hamid));
    let again = w.when(r#"{"command":"register_person","handle":"@hamid","name":"Hamid Haddadi"}"#);
    expect![[r##"
        [{"position":10,"type":"person_registered","retracted_by":12},{"position":12,"type":"event_retracted"}]
        {"type":"person_registered","person":"#12","handle":"@hamid","name":{"text":"Hamid Haddadi"},"gender":null}"##]].assert_eq(&format!("{history}\n{again}"));
}

#[test]
fn retracting_an_end_reopens_the_mandate_unless_a_successor_took_the_seat() {
    let ended = format!(
        "{MANDATE}\n{}",
        r#"{"command":"end_mandate","mandate":"@m","on":"2019","reason":"resigned"}"#
    );
    retract(
        &ended,
        13,
        expect![[
            r##"{"type":"event_retracted","position":13,"retracted_type":"mandate_ended","entities":[{"mandate":"#12"},{"person":"#8"},{"post":"#6"},{"body":"#5"}],"reason":"recorded by mistake"}"##
        ]],
    );
    let succeeded = format!(
        "{ended}\n{}",
        r#"{"command":"start_mandate","person":"@hamid","post":"@coordinator","from":"2020","basis":"co_opted"}"#
    );
    retract(&succeeded, 13, expect!["error[retraction_breaks_rule]: retracting position 13 would break a rule: post @coordinator has 1 seat(s), and on 2020-01-01 it would be held by @hamid and @achraf: end a mandate first, or give more precise dates"]);
}

#[test]
fn retracting_a_dissolution_reopens_the_mandates_it_ended() {
    let mut w = World::base();
    w.run(MANDATE);
    w.run(r#"{"command":"dissolve_body","body":"@coord","on":"2020"}"#);
    let out = w.when(
        r#"{"command":"retract_event","position":13,"reason":"the dissolution was annulled"}"#,
    );
    let m = w.id("@m");
    let open = match m {
        sijill_domain::EntityId::Mandate(m) => w.registry.mandate(m).map(|m| m.end.is_none()),
        _ => None,
    };
    expect![[r##"
        {"type":"event_retracted","position":14,"retracted_type":"mandate_ended","entities":[{"mandate":"#12"},{"person":"#8"},{"post":"#6"},{"body":"#5"}],"reason":"the dissolution was annulled"}
        {"type":"event_retracted","position":13,"retracted_type":"body_dissolved","entities":[{"body":"#5"}],"reason":"the dissolution was annulled"}
        open again: Some(true)"##]].assert_eq(&format!("{out}\nopen again: {open:?}"));
}

#[test]
fn an_end_caused_by_a_dissolution_is_retracted_with_it() {
    retract(&format!("{MANDATE}\n{}", r#"{"command":"dissolve_body","body":"@coord","on":"2020"}"#), 14, expect!["error[retraction_breaks_rule]: retracting position 14 would break a rule: @coord was dissolved on 2020 and takes no new open mandates: retract the dissolution instead, which reopens the mandates it ended"]);
}

#[test]
fn retract_a_rename_and_a_correction() {
    retract(
        r#"{"command":"rename_body","body":"@coord","name":"New name","on":"2018"}"#,
        12,
        expect![[
            r##"{"type":"event_retracted","position":12,"retracted_type":"body_renamed","entities":[{"body":"#5"}],"reason":"recorded by mistake"}"##
        ]],
    );
    retract(
        r#"
        {"command":"rename_body","body":"@coord","name":"New name","on":"2018"}
        {"command":"correct_name","entity":"@coord","name":"Newer name"}
        "#,
        12,
        expect!["error[has_dependants]: the body_renamed at position 12 cannot be retracted while later events depend on it: position 13 (name_corrected of @coord); retract those first, latest first"],
    );
}

#[test]
fn retract_a_move_that_a_later_move_relies_on() {
    let setup = r#"
        {"command":"found_body","handle":"@other","name":"Other","kind":"association","founded_on":"2000"}
        {"command":"move_body","body":"@coord","parent":"@other","on":"2018"}
        {"command":"move_body","body":"@adep","parent":"@coord","on":"2019"}
    "#;
    // Without the move at 13, @adep would sit under its own child from 2019.
    retract(setup, 13, expect!["error[retraction_breaks_rule]: retracting position 13 would break a rule: moving @coord under @adep would make a cycle (@adep is inside @coord from 2019-01-01): choose a parent outside @coord"]);
    retract(
        setup,
        14,
        expect![[
            r##"{"type":"event_retracted","position":14,"retracted_type":"body_moved","entities":[{"body":"#4"},{"body":"#5"}],"reason":"recorded by mistake"}"##
        ]],
    );
}

#[test]
fn a_retraction_cannot_be_retracted() {
    retract(r#"{"command":"retract_event","position":10,"reason":"duplicate"}"#, 12, expect!["error[retract_retraction]: the event at position 12 is a retraction, which cannot be retracted: record the fact again instead"]);
}
