//! Every rule: what it accepts and what it refuses, with the message a registrar reads.

use expect_test::{expect, Expect};

use crate::support::World;

/// Given the base world and `setup`, when `command`, then `expected`.
fn check(setup: &str, command: &str, expected: Expect) {
    let mut w = World::base();
    w.run(setup);
    expected.assert_eq(&w.when(command));
}

/// What deserializing `json` as a command says.
fn wire(json: &str, expected: Expect) {
    let out = match serde_json::from_str::<sijill_domain::Command>(json) {
        Ok(c) => serde_json::to_string(&c).unwrap_or_default(),
        Err(e) => format!("error: {e}"),
    };
    expected.assert_eq(&out);
}

const ACHRAF_COORDINATOR: &str = r#"{"command":"start_mandate","handle":"@m","person":"@achraf","post":"@coordinator","from":"2017-01-07","basis":"elected_unanimously","assembly":"@founding"}"#;

#[test]
fn handles_are_unique() {
    check("", r#"{"command":"register_person","handle":"@achraf","name":"Another Achraf"}"#, expect!["error[handle_taken]: handle `@achraf` is already taken by a person: choose another handle"]);
    check("", r#"{"command":"found_body","handle":"@maaziz","name":"Maaziz council","kind":"commune-council"}"#, expect!["error[handle_taken]: handle `@maaziz` is already taken by an area: choose another handle"]);
}

#[test]
fn handles_have_a_shape() {
    wire(
        r#"{"command":"register_person","handle":"achraf","name":"A"}"#,
        expect!["error: handle `achraf` must start with `@`, as in `@khemisset-coordination`"],
    );
    wire(r#"{"command":"register_person","handle":"@Achraf_C","name":"A"}"#, expect!["error: handle `@Achraf_C` may contain only lowercase a-z, digits 0-9 and single `-` between them, as in `@achraf-chahboun`"]);
    wire(r#"{"command":"register_person","handle":"@a--b","name":"A"}"#, expect!["error: handle `@a--b` may contain only lowercase a-z, digits 0-9 and single `-` between them, as in `@achraf-chahboun`"]);
}

#[test]
fn names_are_trimmed_non_empty_bounded_and_without_control_characters() {
    wire(
        r#"{"command":"register_person","handle":"@a","name":"  Achraf Chahboun  "}"#,
        expect![[
            r#"{"command":"register_person","handle":"@a","name":{"text":"Achraf Chahboun"}}"#
        ]],
    );
    wire(
        r#"{"command":"register_person","handle":"@a","name":"   "}"#,
        expect!["error: a name must not be empty or only spaces"],
    );
    wire(r#"{"command":"register_person","handle":"@a","name":"Achraf\tChahboun"}"#, expect!["error: name `Achraf	Chahboun` contains a control character (tab, newline or similar); remove it"]);
    let long = "x".repeat(201);
    wire(&format!(r#"{{"command":"register_person","handle":"@a","name":"{long}"}}"#), expect!["error: name `xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…` has 201 characters; the limit is 200"]);
    wire(r#"{"command":"register_person","handle":"@a","name":{"text":"A","lang":"arabic language"}}"#, expect!["error: `arabic language` is not a language tag; write a BCP-47 tag such as `ar`, `fr`, `en` or `ar-Latn`"]);
    wire(
        r#"{"command":"register_person","handle":"@a","name":{"text":"A","others":["","B"]}}"#,
        expect!["error: a name must not be empty or only spaces"],
    );
}

#[test]
fn unknown_fields_are_refused() {
    wire(
        r#"{"command":"register_person","handle":"@a","name":"A","gendre":"male"}"#,
        expect!["error: unknown field `gendre`, expected one of `handle`, `name`, `gender`"],
    );
    wire(r#"{"command":"elect","handle":"@a"}"#, expect!["error: unknown variant `elect`, expected one of `register_area`, `register_person`, `found_body`, `rename_body`, `move_body`, `dissolve_body`, `establish_post`, `abolish_post`, `convene_assembly`, `record_attendance`, `adopt_resolution`, `start_mandate`, `end_mandate`, `correct_name`, `correct_date`, `correct_constituency`, `retract_event` at line 1 column 18"]);
}

#[test]
fn references_must_exist_and_be_of_the_right_kind() {
    check("", r#"{"command":"start_mandate","person":"@nobody","post":"@coordinator","from":"2017","basis":"co_opted"}"#, expect!["error[not_found]: no person `@nobody` in the registry: check the handle, or register it first"]);
    check(
        "",
        r#"{"command":"start_mandate","person":"@coord","post":"@coordinator","from":"2017","basis":"co_opted"}"#,
        expect!["error[wrong_kind]: `@coord` is a body, but a person is needed here"],
    );
    check(
        "",
        r#"{"command":"start_mandate","person":"@hamid","post":"@member","from":"2017-02","basis":"co_opted","constituency":"@fatima"}"#,
        expect!["error[wrong_kind]: `@fatima` is a person, but an area or a body is needed here"],
    );
    check("", r#"{"command":"start_mandate","person":"@hamid","post":"@member","from":"2017-02","basis":"co_opted","constituency":"00000000-0000-7000-8000-0000000000ff"}"#, expect!["error[not_found]: no area `00000000-0000-7000-8000-0000000000ff` in the registry: check the handle, or register it first"]);
}

#[test]
fn a_parent_is_active_on_the_founding_date() {
    check("", r#"{"command":"found_body","handle":"@cell","name":"Cell","kind":"cell","parent":"@coord","founded_on":"2016-05"}"#, expect!["error[parent_not_active]: parent @coord is not active on 2016-05: it was founded on 2017-01-07; give a date on or after 2017-01-07"]);
    check(
        "",
        r#"{"command":"found_body","handle":"@cell","name":"Cell","kind":"cell","parent":"@coord","founded_on":"2016-12-10/2017-02"}"#,
        expect![[
            r##"{"type":"body_founded","body":"#12","handle":"@cell","name":{"text":"Cell"},"kind":"cell","parent":"#5","area":null,"founded_on":"2016-12-10/2017-02"}"##
        ]],
    );
    check(r#"{"command":"dissolve_body","body":"@coord","on":"2020-01-01"}"#, r#"{"command":"found_body","handle":"@cell","name":"Cell","kind":"cell","parent":"@coord","founded_on":"2020-03"}"#, expect!["error[parent_not_active]: parent @coord is not active on 2020-03: it was dissolved on 2020-01-01; choose an active parent, or give a date before its dissolution"]);
    check(r#"{"command":"dissolve_body","body":"@coord","on":"2020-01-01"}"#, r#"{"command":"found_body","handle":"@cell","name":"Cell","kind":"cell","parent":"@coord"}"#, expect!["error[parent_not_active]: parent @coord is not active on unknown: it was dissolved on 2020-01-01; choose an active parent, or give a date before its dissolution"]);
}

#[test]
fn no_cycles_in_the_body_tree() {
    check("", r#"{"command":"move_body","body":"@adep","parent":"@coord","on":"2018"}"#, expect!["error[cycle]: moving @adep under @coord would make a cycle (@coord is inside @adep from 2018-01-01): choose a parent outside @adep"]);
    check("", r#"{"command":"move_body","body":"@coord","parent":"@coord","on":"2018"}"#, expect!["error[cycle]: moving @coord under @coord would make a cycle (@coord is inside @coord from 2018-01-01): choose a parent outside @coord"]);
    // A body may move under a former child once that child has left it.
    check(
        r#"
        {"command":"found_body","handle":"@other","name":"Other","kind":"association","founded_on":"2000"}
        {"command":"move_body","body":"@coord","parent":"@other","on":"2018"}
        "#,
        r#"{"command":"move_body","body":"@adep","parent":"@coord","on":"2019"}"#,
        expect![[
            r##"{"type":"body_moved","body":"#4","previous_parent":null,"parent":"#5","on":"2019"}"##
        ]],
    );
    // ... but not before it left.
    check(
        r#"
        {"command":"found_body","handle":"@other","name":"Other","kind":"association","founded_on":"2000"}
        {"command":"move_body","body":"@coord","parent":"@other","on":"2018"}
        "#,
        r#"{"command":"move_body","body":"@adep","parent":"@coord","on":"2017-06"}"#,
        expect!["error[cycle]: moving @adep under @coord would make a cycle (@coord is inside @adep from 2017-06-01): choose a parent outside @adep"],
    );
}

#[test]
fn seats_are_never_exceeded() {
    check(ACHRAF_COORDINATOR, r#"{"command":"start_mandate","person":"@hamid","post":"@coordinator","from":"2018-03-01","basis":"co_opted"}"#, expect!["error[seats_exceeded]: post @coordinator has 1 seat(s), and on 2018-03-01 it would be held by @achraf and @hamid: end a mandate first, or give more precise dates"]);
    check(
        r#"
        {"command":"start_mandate","person":"@achraf","post":"@member","from":"2017-01-07","basis":"chosen_by_consensus"}
        {"command":"start_mandate","person":"@fatima","post":"@member","from":"2017-01-07","basis":"chosen_by_consensus"}
        "#,
        r#"{"command":"start_mandate","person":"@hamid","post":"@member","from":"2017-01-07","basis":"chosen_by_consensus"}"#,
        expect!["error[seats_exceeded]: post @member has 2 seat(s), and on 2017-01-07 it would be held by @achraf, @fatima and @hamid: end a mandate first, or give more precise dates"],
    );
}

#[test]
fn seats_are_checked_conservatively_on_uncertain_dates() {
    let setup = r#"
        {"command":"start_mandate","handle":"@m","person":"@achraf","post":"@coordinator","from":"2017-01-07","basis":"elected_unanimously"}
        {"command":"end_mandate","mandate":"@m","on":"2019-05","reason":"resigned"}
    "#;
    // The predecessor may have left as late as 31 May: a successor from 10 May may overlap.
    check(setup, r#"{"command":"start_mandate","person":"@hamid","post":"@coordinator","from":"2019-05-10","basis":"co_opted"}"#, expect!["error[seats_exceeded]: post @coordinator has 1 seat(s), and on 2019-05-10 it may be held by @achraf and @hamid (the dates are uncertain, so they are checked conservatively): end a mandate first, or give more precise dates"]);
    check(
        setup,
        r#"{"command":"start_mandate","person":"@hamid","post":"@coordinator","from":"2019-06-01","basis":"co_opted"}"#,
        expect![[
            r##"{"type":"mandate_started","mandate":"#13","handle":null,"person":"#10","post":"#6","body":"#5","from":"2019-06-01","basis":"co_opted","assembly":null,"constituency":null}"##
        ]],
    );
}

#[test]
fn a_person_never_holds_the_same_post_twice_at_once() {
    check(ACHRAF_COORDINATOR, r#"{"command":"start_mandate","person":"@achraf","post":"@coordinator","from":"2018","basis":"co_opted"}"#, expect!["error[already_holds]: @achraf already holds @coordinator (@m, from 2017-01-07): a person never holds the same post twice at once; end that mandate first"]);
    check(
        r#"
        {"command":"start_mandate","handle":"@first","person":"@achraf","post":"@member","from":"2017-01-07","basis":"chosen_by_consensus"}
        {"command":"end_mandate","mandate":"@first","on":"2018","reason":"resigned"}
        "#,
        r#"{"command":"start_mandate","person":"@achraf","post":"@member","from":"2018-06","basis":"co_opted"}"#,
        expect!["error[already_holds]: @achraf already holds @member (@first, from 2017-01-07 to 2018) and the dates may overlap (uncertain dates are checked conservatively): a person never holds the same post twice at once; end that mandate first"],
    );
    check(
        r#"
        {"command":"start_mandate","handle":"@first","person":"@achraf","post":"@member","from":"2017-01-07","basis":"chosen_by_consensus"}
        {"command":"end_mandate","mandate":"@first","on":"2018","reason":"resigned"}
        "#,
        r#"{"command":"start_mandate","person":"@achraf","post":"@member","from":"2019","basis":"co_opted"}"#,
        expect![[
            r##"{"type":"mandate_started","mandate":"#13","handle":null,"person":"#8","post":"#7","body":"#5","from":"2019","basis":"co_opted","assembly":null,"constituency":null}"##
        ]],
    );
}

#[test]
fn a_mandate_lies_within_its_body_life() {
    check("", r#"{"command":"start_mandate","person":"@achraf","post":"@coordinator","from":"2016-06","basis":"co_opted"}"#, expect!["error[outside_body_life]: the mandate of @achraf as @coordinator (2016-06) falls outside the life of @coord (founded 2017-01-07, still active): give a date on or after 2017-01-07, or correct the founding date"]);
    check(ACHRAF_COORDINATOR, r#"{"command":"end_mandate","mandate":"@m","on":"2016-12-31","reason":"resigned"}"#, expect!["error[end_before_start]: @m ends on 2016-12-31, before it starts on 2017-01-07: give an end on or after the start"]);
}

#[test]
fn a_dissolved_body_takes_no_new_mandates() {
    check(
        r#"{"command":"dissolve_body","body":"@coord","on":"2020-06-30"}"#,
        r#"{"command":"start_mandate","person":"@achraf","post":"@coordinator","from":"2018","basis":"co_opted"}"#,
        expect!["error[body_dissolved]: @coord was dissolved on 2020-06-30 and takes no new mandates: record mandates before dissolving a body, or retract the dissolution first"],
    );
    check(
        r#"{"command":"dissolve_body","body":"@coord","on":"2020-06-30"}"#,
        r#"{"command":"establish_post","handle":"@treasurer","body":"@coord","title":"treasurer"}"#,
        expect!["error[body_dissolved]: @coord was dissolved on 2020-06-30 and takes no new posts: establish the post in an active body"],
    );
    check(
        r#"{"command":"dissolve_body","body":"@coord","on":"2020-06-30"}"#,
        r#"{"command":"convene_assembly","handle":"@late","body":"@coord","kind":"general_assembly","held_on":"2021"}"#,
        expect!["error[body_dissolved]: @coord was dissolved on 2020-06-30 and takes no new assemblies: give a date no later than 2020-06-30, or retract the dissolution"],
    );
}

#[test]
fn dissolving_refuses_active_sub_bodies_without_cascade() {
    check("", r#"{"command":"dissolve_body","body":"@adep","on":"2021"}"#, expect!["error[active_sub_bodies]: @adep has active sub-bodies (@coord): dissolve them first, or set `cascade = true` to dissolve them with it"]);
    check("", r#"{"command":"dissolve_body","body":"@coord","on":"2016"}"#, expect!["error[end_before_start]: the life of @coord ends on 2016, before it starts on 2017-01-07: give an end on or after the start"]);
    check(r#"{"command":"dissolve_body","body":"@coord","on":"2020"}"#, r#"{"command":"dissolve_body","body":"@coord","on":"2021"}"#, expect!["error[already_dissolved]: @coord was already dissolved on 2020: to change that date use correct_date with field `dissolved_on`"]);
}

#[test]
fn an_assembly_date_is_consistent_with_the_mandates_it_produced() {
    let congress = r#"{"command":"convene_assembly","handle":"@congress","body":"@coord","kind":"congress","held_on":"2018-05-05"}"#;
    check(congress, r#"{"command":"start_mandate","person":"@achraf","post":"@coordinator","from":"2018-05-04","basis":"elected_unanimously","assembly":"@congress"}"#, expect!["error[assembly_date]: the mandate of @achraf as @coordinator (2018-05-04) is before assembly @congress (2018-05-05) that decided it: start it on or after 2018-05-05, or correct the assembly's date"]);
    // An uncertain assembly date is consistent with any start it may precede.
    check(
        r#"{"command":"convene_assembly","handle":"@congress","body":"@coord","kind":"congress","held_on":"2018-05~"}"#,
        r#"{"command":"start_mandate","person":"@achraf","post":"@coordinator","from":"2018-05-04","basis":"elected_unanimously","assembly":"@congress"}"#,
        expect![[
            r##"{"type":"mandate_started","mandate":"#13","handle":null,"person":"#8","post":"#6","body":"#5","from":"2018-05-04","basis":"elected_unanimously","assembly":"#12","constituency":null}"##
        ]],
    );
    // A mandate may take effect after the assembly that decided it.
    check(
        "",
        r#"{"command":"start_mandate","person":"@achraf","post":"@coordinator","from":"2017-02","basis":"elected_unanimously","assembly":"@founding"}"#,
        expect![[
            r##"{"type":"mandate_started","mandate":"#12","handle":null,"person":"#8","post":"#6","body":"#5","from":"2017-02","basis":"elected_unanimously","assembly":"#11","constituency":null}"##
        ]],
    );
    check(ACHRAF_COORDINATOR, r#"{"command":"correct_date","entity":"@founding","field":"held_on","date":"2017-02-01"}"#, expect!["error[assembly_date]: @m (2017-01-07) is before assembly @founding (2017-02-01) that decided it: start it on or after 2017-02-01, or correct the assembly's date"]);
}

#[test]
fn an_end_is_not_before_its_start() {
    check(ACHRAF_COORDINATOR, r#"{"command":"end_mandate","mandate":"@m","on":"2017-01-06","reason":"resigned"}"#, expect!["error[end_before_start]: @m ends on 2017-01-06, before it starts on 2017-01-07: give an end on or after the start"]);
    // Same day: a mandate that lasted no day at all is recordable (a refused appointment).
    check(
        ACHRAF_COORDINATOR,
        r#"{"command":"end_mandate","mandate":"@m","on":"2017-01-07","reason":"resigned"}"#,
        expect![[
            r##"{"type":"mandate_ended","mandate":"#12","person":"#8","post":"#6","body":"#5","on":"2017-01-07","reason":"resigned"}"##
        ]],
    );
    check(
        ACHRAF_COORDINATOR,
        r#"{"command":"end_mandate","mandate":"@m","on":"2017","reason":"resigned"}"#,
        expect![[
            r##"{"type":"mandate_ended","mandate":"#12","person":"#8","post":"#6","body":"#5","on":"2017","reason":"resigned"}"##
        ]],
    );
}

#[test]
fn a_mandate_ends_once() {
    check(
        &format!("{ACHRAF_COORDINATOR}\n{}", r#"{"command":"end_mandate","mandate":"@m","on":"2019","reason":"resigned"}"#),
        r#"{"command":"end_mandate","mandate":"@m","on":"2020","reason":"removed"}"#,
        expect!["error[mandate_already_ended]: @m already ended on 2019: to change that date use correct_date with field `to`"],
    );
}

#[test]
fn posts_abolished_take_no_mandates_and_are_abolished_only_once_vacant() {
    check(ACHRAF_COORDINATOR, r#"{"command":"abolish_post","post":"@coordinator","on":"2019"}"#, expect!["error[mandates_run_past]: @coordinator still has mandates on 2019 (@m): end them before abolishing the post"]);
    check(
        r#"{"command":"abolish_post","post":"@member","on":"2019"}"#,
        r#"{"command":"start_mandate","person":"@achraf","post":"@member","from":"2018","basis":"co_opted"}"#,
        expect!["error[post_abolished]: @member was abolished on 2019 and takes no new mandates: record the mandate on another post"],
    );
}

#[test]
fn majorities_have_more_votes_for_than_against() {
    check("", r#"{"command":"start_mandate","person":"@achraf","post":"@coordinator","from":"2017-01-07","basis":{"elected_by_majority":{"for":10,"against":10}}}"#, expect!["error[not_a_majority]: a majority needs more votes for than against (for 10, against 10)"]);
    check(
        "",
        r#"{"command":"adopt_resolution","assembly":"@founding","title":"Budget","vote":{"majority":{"for":1,"against":20000000}}}"#,
        expect!["error[too_many_votes]: a tally counts at most 10000000 votes per column"],
    );
}

#[test]
fn attendance_is_recorded_once_per_person() {
    check(
        r#"{"command":"record_attendance","assembly":"@founding","attendees":[{"person":"@achraf"}]}"#,
        r#"{"command":"record_attendance","assembly":"@founding","attendees":[{"person":"@fatima"},{"person":"@achraf"}]}"#,
        expect!["error[already_attended]: @achraf is already recorded as attending @founding"],
    );
    check("", r#"{"command":"record_attendance","assembly":"@founding","attendees":[]}"#, expect!["error[attendance_size]: attendance lists 1 to 1000 people; this one lists 0: split it into several commands"]);
}
