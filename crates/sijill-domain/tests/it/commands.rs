//! Every command accepted: given a backdrop, when the command, then these events.

use expect_test::expect;

use crate::support::World;

#[test]
fn register_area_under_a_parent() {
    let mut w = World::base();
    let out = w.when(r#"{"command":"register_area","handle":"@rommani","name":{"text":"الرماني","lang":"ar","others":[{"text":"Rommani","lang":"fr"}]},"kind":"commune","parent":"@khemisset","code":"341.07"}"#);
    expect![[r##"{"type":"area_registered","area":"#12","handle":"@rommani","name":{"text":"الرماني","lang":"ar","others":[{"text":"Rommani","lang":"fr"}]},"kind":"commune","parent":"#1","code":"341.07"}"##]].assert_eq(&out);
}

#[test]
fn register_person_with_names_in_two_scripts() {
    let mut w = World::base();
    let out = w.when(r#"{"command":"register_person","handle":"@amina-azzouzi","name":{"text":"امينة عزوزي","lang":"ar","others":[{"text":"Amina Azzouzi","lang":"ar-Latn"}]},"gender":"female"}"#);
    expect![[r##"{"type":"person_registered","person":"#12","handle":"@amina-azzouzi","name":{"text":"امينة عزوزي","lang":"ar","others":[{"text":"Amina Azzouzi","lang":"ar-Latn"}]},"gender":"female"}"##]].assert_eq(&out);
}

#[test]
fn found_body_under_an_active_parent() {
    let mut w = World::base();
    let out = w.when(r#"{"command":"found_body","handle":"@bureau","name":"National bureau","kind":"national-bureau","parent":"@adep","founded_on":"2016-12-10"}"#);
    expect![[r##"{"type":"body_founded","body":"#12","handle":"@bureau","name":{"text":"National bureau"},"kind":"national-bureau","parent":"#4","area":null,"founded_on":"2016-12-10"}"##]].assert_eq(&out);
}

#[test]
fn rename_body_from_a_date() {
    let mut w = World::base();
    let out = w.when(r#"{"command":"rename_body","body":"@coord","name":"Khemisset provincial coordination","on":"2018"}"#);
    expect![[r##"{"type":"body_renamed","body":"#5","name":{"text":"Khemisset provincial coordination"},"on":"2018"}"##]].assert_eq(&out);
}

#[test]
fn move_body_records_the_previous_parent() {
    let mut w = World::base();
    w.run(r#"{"command":"found_body","handle":"@region","name":"Rabat-Sale-Kenitra branch","kind":"regional-branch","parent":"@adep","founded_on":"2010"}"#);
    let out =
        w.when(r#"{"command":"move_body","body":"@coord","parent":"@region","on":"2019-03-01"}"#);
    expect![[r##"{"type":"body_moved","body":"#5","previous_parent":"#4","parent":"#12","on":"2019-03-01"}"##]].assert_eq(&out);
}

#[test]
fn dissolve_body_ends_its_open_mandates() {
    let mut w = World::base();
    w.run(r#"
        {"command":"start_mandate","person":"@achraf","post":"@coordinator","from":"2017-01-07","basis":"elected_unanimously","assembly":"@founding"}
        {"command":"start_mandate","person":"@fatima","post":"@member","from":"2017-01-07","basis":"chosen_by_consensus"}
    "#);
    let out = w.when(r#"{"command":"dissolve_body","body":"@coord","on":"2020-06-30","note":"merged into the regional branch"}"#);
    expect![[r##"
        {"type":"body_dissolved","body":"#5","on":"2020-06-30","note":"merged into the regional branch"}
        {"type":"mandate_ended","mandate":"#12","person":"#8","post":"#6","body":"#5","on":"2020-06-30","reason":"body_dissolved"}
        {"type":"mandate_ended","mandate":"#13","person":"#9","post":"#7","body":"#5","on":"2020-06-30","reason":"body_dissolved"}"##]].assert_eq(&out);
}

#[test]
fn dissolve_body_with_cascade_dissolves_sub_bodies_first() {
    let mut w = World::base();
    let out = w.when(r#"{"command":"dissolve_body","body":"@adep","on":"2021","cascade":true}"#);
    expect![[r##"
        {"type":"body_dissolved","body":"#5","on":"2021","note":null}
        {"type":"body_dissolved","body":"#4","on":"2021","note":null}"##]]
    .assert_eq(&out);
}

#[test]
fn establish_and_abolish_post() {
    let mut w = World::base();
    let established = w.when(r#"{"command":"establish_post","handle":"@treasurer","body":"@coord","title":"treasurer","established_on":"2017-01-07"}"#);
    let abolished = w.when(r#"{"command":"abolish_post","post":"@treasurer","on":"2019"}"#);
    expect![[r##"
        {"type":"post_established","post":"#12","handle":"@treasurer","body":"#5","title":{"text":"treasurer"},"seats":"unlimited","established_on":"2017-01-07"}
        {"type":"post_abolished","post":"#12","body":"#5","on":"2019"}"##]].assert_eq(&format!("{established}\n{abolished}"));
}

#[test]
fn convene_assembly_attendance_and_resolution() {
    let mut w = World::base();
    let convened = w.when(r#"{"command":"convene_assembly","handle":"@cc-7","body":"@adep","kind":"council_session","ordinal":7,"held_on":"2016-11","venue":"Rabat"}"#);
    let attended = w.when(r#"{"command":"record_attendance","assembly":"@founding","attendees":[{"person":"@achraf","capacity":"councillor in Maaziz"},{"person":"@fatima"}]}"#);
    let adopted = w.when(r#"{"command":"adopt_resolution","assembly":"@cc-7","title":"Structuring the parallel organisations","vote":{"majority":{"for":40,"against":2,"abstain":1}}}"#);
    expect![[r##"
        {"type":"assembly_convened","assembly":"#12","handle":"@cc-7","body":"#4","kind":"council_session","ordinal":7,"held_on":"2016-11","venue":{"text":"Rabat"},"name":null}
        {"type":"attendance_recorded","assembly":"#11","attendees":[{"person":"#8","capacity":"councillor in Maaziz"},{"person":"#9","capacity":null}]}
        {"type":"resolution_adopted","assembly":"#12","title":{"text":"Structuring the parallel organisations"},"text":null,"vote":{"majority":{"for":40,"against":2,"abstain":1}}}"##]].assert_eq(&format!("{convened}\n{attended}\n{adopted}"));
}

#[test]
fn start_mandate_with_every_reference() {
    let mut w = World::base();
    let out = w.when(r#"{"command":"start_mandate","handle":"@achraf-coordinator","person":"@achraf","post":"@coordinator","from":"2017-01-07","basis":"elected_unanimously","assembly":"@founding","constituency":"@maaziz"}"#);
    expect![[r##"{"type":"mandate_started","mandate":"#12","handle":"@achraf-coordinator","person":"#8","post":"#6","body":"#5","from":"2017-01-07","basis":"elected_unanimously","assembly":"#11","constituency":{"area":"#2"}}"##]].assert_eq(&out);
}

#[test]
fn start_mandate_appointed_by_a_person() {
    let mut w = World::base();
    let out = w.when(r#"{"command":"start_mandate","person":"@fatima","post":"@member","from":"2017-02","basis":{"appointed":{"by":"@achraf"}}}"#);
    expect![[r##"{"type":"mandate_started","mandate":"#12","handle":null,"person":"#9","post":"#7","body":"#5","from":"2017-02","basis":{"appointed":{"by":{"person":"#8"}}},"assembly":null,"constituency":null}"##]].assert_eq(&out);
}

#[test]
fn end_mandate() {
    let mut w = World::base();
    w.run(r#"{"command":"start_mandate","handle":"@m","person":"@achraf","post":"@coordinator","from":"2017-01-07","basis":"elected_unanimously"}"#);
    let out =
        w.when(r#"{"command":"end_mandate","mandate":"@m","on":"2019-05-01","reason":"resigned"}"#);
    expect![[r##"{"type":"mandate_ended","mandate":"#12","person":"#8","post":"#6","body":"#5","on":"2019-05-01","reason":"resigned"}"##]].assert_eq(&out);
}

#[test]
fn a_successor_may_start_on_the_day_the_predecessor_leaves() {
    let mut w = World::base();
    w.run(r#"
        {"command":"start_mandate","handle":"@m","person":"@achraf","post":"@coordinator","from":"2017-01-07","basis":"elected_unanimously"}
        {"command":"end_mandate","mandate":"@m","on":"2019-05-01","reason":"resigned"}
    "#);
    let out = w.when(r#"{"command":"start_mandate","person":"@hamid","post":"@coordinator","from":"2019-05-01","basis":"co_opted"}"#);
    expect![[r##"{"type":"mandate_started","mandate":"#13","handle":null,"person":"#10","post":"#6","body":"#5","from":"2019-05-01","basis":"co_opted","assembly":null,"constituency":null}"##]].assert_eq(&out);
}

#[test]
fn a_batch_is_decided_against_the_evolving_state() {
    let mut w = World::base();
    let out = w.when_batch(r#"
        {"command":"register_person","handle":"@sara","name":"Sara Boutahiri","gender":"female"}
        {"command":"start_mandate","person":"@sara","post":"@member","from":"2017-01-07","basis":"chosen_by_consensus"}
    "#);
    expect![[r##"
        {"type":"person_registered","person":"#12","handle":"@sara","name":{"text":"Sara Boutahiri"},"gender":"female"}
        {"type":"mandate_started","mandate":"#13","handle":null,"person":"#12","post":"#7","body":"#5","from":"2017-01-07","basis":"chosen_by_consensus","assembly":null,"constituency":null}"##]].assert_eq(&out);
}

#[test]
fn a_batch_fails_as_a_whole_naming_the_command() {
    let mut w = World::base();
    let before = w.registry.position();
    let out = w.when_batch(r#"
        {"command":"register_person","handle":"@sara","name":"Sara Boutahiri"}
        {"command":"start_mandate","person":"@nobody","post":"@member","from":"2017-01-07","basis":"chosen_by_consensus"}
    "#);
    assert_eq!(w.registry.position(), before);
    expect!["error[not_found]: command 1 (start_mandate): no person `@nobody` in the registry: check the handle, or register it first"].assert_eq(&out);
}
