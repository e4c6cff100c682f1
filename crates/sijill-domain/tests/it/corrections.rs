//! Corrections of names, dates and constituencies: events, never edits; every rule is
//! checked again with the corrected value.

use expect_test::{expect, Expect};

use crate::support::World;

fn check(setup: &str, command: &str, expected: Expect) {
    let mut w = World::base();
    w.run(setup);
    expected.assert_eq(&w.when(command));
}

const MANDATE: &str = r#"{"command":"start_mandate","handle":"@m","person":"@achraf","post":"@coordinator","from":"2017-01-07","basis":"elected_unanimously","assembly":"@founding","constituency":"@maaziz"}"#;

#[test]
fn correct_a_person_name_keeps_the_previous_one_in_the_event() {
    check(
        "",
        r#"{"command":"correct_name","entity":"@fatima","name":{"text":"فاطمة قسيوي","lang":"ar","others":["Fatima Qassioui"]}}"#,
        expect![[
            r##"{"type":"name_corrected","entity":{"person":"#9"},"previous":{"text":"Fatima Qassioui"},"name":{"text":"فاطمة قسيوي","lang":"ar","others":[{"text":"Fatima Qassioui"}]}}"##
        ]],
    );
}

#[test]
fn correct_a_body_name_corrects_its_current_name() {
    let mut w = World::base();
    w.run(
        r#"{"command":"rename_body","body":"@coord","name":"Khemisset coordinatoin","on":"2018"}"#,
    );
    let out = w.when(r#"{"command":"correct_name","entity":"@coord","name":"Khemisset coordination (provincial)"}"#);
    let names: Vec<String> = w
        .registry
        .body(match w.id("@coord") {
            sijill_domain::EntityId::Body(b) => b,
            _ => unreachable!(),
        })
        .map(|b| {
            b.names
                .iter()
                .map(|s| format!("{} since {:?}", s.value, s.since.map(|d| d.to_string())))
                .collect()
        })
        .unwrap_or_default();
    expect![[r##"
        {"type":"name_corrected","entity":{"body":"#5"},"previous":{"text":"Khemisset coordinatoin"},"name":{"text":"Khemisset coordination (provincial)"}}
        Khemisset coordination since Some("2017-01-07")
        Khemisset coordination (provincial) since Some("2018")"##]].assert_eq(&format!("{out}\n{}", names.join("\n")));
}

#[test]
fn a_correction_must_change_something() {
    check("", r#"{"command":"correct_name","entity":"@fatima","name":"Fatima Qassioui"}"#, expect!["error[nothing_to_correct]: the name of @fatima is already Fatima Qassioui: nothing to correct"]);
    check(MANDATE, r#"{"command":"correct_constituency","mandate":"@m","constituency":"@maaziz"}"#, expect!["error[nothing_to_correct]: the constituency of @m is already @maaziz: nothing to correct"]);
    check(
        MANDATE,
        r#"{"command":"correct_date","entity":"@m","field":"from","date":"2017-01-07"}"#,
        expect![
            "error[nothing_to_correct]: `from` of @m is already 2017-01-07: nothing to correct"
        ],
    );
}

#[test]
fn mandates_have_no_names() {
    check(MANDATE, r#"{"command":"correct_name","entity":"@m","name":"x"}"#, expect!["error[wrong_kind]: `@m` is a mandate, but an area, a person, a body, a post or an assembly is needed here"]);
}

#[test]
fn correct_a_constituency() {
    check(
        MANDATE,
        r#"{"command":"correct_constituency","mandate":"@m","constituency":"@tiflet"}"#,
        expect![[
            r##"{"type":"constituency_corrected","mandate":"#12","previous":{"area":"#2"},"constituency":{"area":"#3"}}"##
        ]],
    );
    check(
        MANDATE,
        r#"{"command":"correct_constituency","mandate":"@m"}"#,
        expect![[
            r##"{"type":"constituency_corrected","mandate":"#12","previous":{"area":"#2"},"constituency":null}"##
        ]],
    );
}

#[test]
fn correct_dates_of_each_kind() {
    check("", r#"{"command":"correct_date","entity":"@coord","field":"founded_on","date":"2017-01-08"}"#, expect!["error[outside_body_life]: assembly @founding (2017-01-07) falls outside the life of @coord (founded 2017-01-08 after the correction): correct 2017-01-07 first, or give a founding date no later than it"]);
    check(
        "",
        r#"{"command":"correct_date","entity":"@founding","field":"held_on","date":"2017-01-08"}"#,
        expect![[
            r##"{"type":"date_corrected","entity":{"assembly":"#11"},"field":"held_on","previous":"2017-01-07","date":"2017-01-08"}"##
        ]],
    );
    check(
        "",
        r#"{"command":"correct_date","entity":"@member","field":"established_on","date":"2017-01-07"}"#,
        expect![[
            r##"{"type":"date_corrected","entity":{"post":"#7"},"field":"established_on","previous":null,"date":"2017-01-07"}"##
        ]],
    );
    check(
        MANDATE,
        r#"{"command":"correct_date","entity":"@m","field":"from","date":"2017-01-08"}"#,
        expect![[
            r##"{"type":"date_corrected","entity":{"mandate":"#12"},"field":"from","previous":"2017-01-07","date":"2017-01-08"}"##
        ]],
    );
}

#[test]
fn a_date_correction_is_checked_against_every_rule() {
    // The founding cannot move after a mandate of the body.
    check(MANDATE, r#"{"command":"correct_date","entity":"@coord","field":"founded_on","date":"2017-02"}"#, expect!["error[outside_body_life]: @m (2017-01-07) falls outside the life of @coord (founded 2017-02 after the correction): correct 2017-01-07 first, or give a founding date no later than it"]);
    // A mandate's start cannot move before its assembly.
    check(MANDATE, r#"{"command":"correct_date","entity":"@m","field":"from","date":"2017-01-06"}"#, expect!["error[outside_body_life]: @m (2017-01-06) falls outside the life of @coord (founded 2017-01-07, still active): give a date on or after 2017-01-07, or correct the founding date"]);
    // A start cannot move into another holder's mandate.
    check(
        &format!("{MANDATE}\n{}\n{}", r#"{"command":"end_mandate","mandate":"@m","on":"2018","reason":"resigned"}"#,
            r#"{"command":"start_mandate","handle":"@n","person":"@hamid","post":"@coordinator","from":"2019","basis":"co_opted"}"#),
        r#"{"command":"correct_date","entity":"@n","field":"from","date":"2017-06"}"#,
        expect!["error[seats_exceeded]: post @coordinator has 1 seat(s), and on 2017-06-01 it would be held by @achraf and @hamid: end a mandate first, or give more precise dates"],
    );
}

#[test]
fn a_date_field_must_apply_and_exist() {
    check(MANDATE, r#"{"command":"correct_date","entity":"@m","field":"founded_on","date":"2017"}"#, expect!["error[field_not_applicable]: field `founded_on` does not apply to a mandate: a mandate's dates are `from` and `to`"]);
    check(MANDATE, r#"{"command":"correct_date","entity":"@m","field":"to","date":"2019"}"#, expect!["error[mandate_not_ended]: @m has not ended, so it has no `to` date to correct: end it with end_mandate"]);
    check("", r#"{"command":"correct_date","entity":"@coord","field":"dissolved_on","date":"2019"}"#, expect!["error[not_dissolved]: @coord is not dissolved, so it has no `dissolved_on` date to correct"]);
    check("", r#"{"command":"correct_date","entity":"@achraf","field":"from","date":"2019"}"#, expect!["error[field_not_applicable]: field `from` does not apply to a person: a person has no dates to correct"]);
}

#[test]
fn correcting_a_dissolution_date_moves_the_ends_it_caused() {
    check(
        &format!(
            "{MANDATE}\n{}",
            r#"{"command":"dissolve_body","body":"@coord","on":"2020-06-30"}"#
        ),
        r#"{"command":"correct_date","entity":"@coord","field":"dissolved_on","date":"2020-03-31"}"#,
        expect![[r##"
            {"type":"date_corrected","entity":{"body":"#5"},"field":"dissolved_on","previous":"2020-06-30","date":"2020-03-31"}
            {"type":"date_corrected","entity":{"mandate":"#12"},"field":"to","previous":"2020-06-30","date":"2020-03-31"}"##]],
    );
}
