//! The `sijill` command as a registrar and a reader meet it: record the founding example,
//! ask who holds what (today, before the founding, as recorded before a correction), search
//! across spellings, audit a mandate, verify and move the log.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sijill_tests::{example_files, sijill};

/// A fresh data folder holding the founding example, recorded with `init` + `record`.
fn recorded() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("data");
    sijill(&folder, &["init"]).ok();
    let files: Vec<String> = example_files()
        .iter()
        .map(|f| f.to_str().unwrap().to_owned())
        .collect();
    let mut args = vec!["record"];
    args.extend(files.iter().map(String::as_str));
    sijill(&folder, &args).ok();
    (dir, folder)
}

fn json(folder: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let run = sijill(folder, &all).ok();
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", run.stdout))
}

/// (post handle, person handle, basis, constituency handle) of each roster entry.
fn roster(folder: &Path, extra: &[&str]) -> Vec<(String, String, String, String)> {
    let mut args = vec!["roster", "@khemisset-coordination"];
    args.extend_from_slice(extra);
    let answer = json(folder, &args);
    answer["data"]["roster"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            (
                text(&e["post"]["handle"]),
                text(&e["person"]["handle"]),
                text(&e["basis"]),
                text(&e["constituency"]["handle"]),
            )
        })
        .collect()
}

fn head(folder: &Path) -> u64 {
    json(folder, &["stats"])["data"]["stats"]["events"]
        .as_u64()
        .unwrap()
}

#[test]
fn the_roster_has_the_coordinator_and_nineteen_members_with_their_constituencies() {
    // Given the founding example recorded from its files,
    let (_dir, folder) = recorded();
    // when the coordination's roster is asked for,
    let entries = roster(&folder, &[]);
    // then the coordinator comes first, elected unanimously for Maaziz,
    assert_eq!(entries.len(), 20, "{entries:#?}");
    assert_eq!(
        entries[0],
        (
            "@khemisset-coordinator".into(),
            "@achraf-chahboun".into(),
            "elected_unanimously".into(),
            "@maaziz".into()
        )
    );
    // and the 19 members, chosen by consensus, represent the 13 communes and 2 chambers.
    let members = &entries[1..];
    assert!(
        members
            .iter()
            .all(|m| m.0 == "@khemisset-coordination-member" && m.2 == "chosen_by_consensus"),
        "{members:#?}"
    );
    let mut represented: Vec<&str> = entries.iter().map(|e| e.3.as_str()).collect();
    represented.sort_unstable();
    represented.dedup();
    assert_eq!(
        represented,
        [
            "@ait-ikkou",
            "@ait-ouahi",
            "@ait-yadine",
            "@chamber-agriculture",
            "@chamber-traditional-crafts",
            "@el-ganzra",
            "@houderrane",
            "@khemisset",
            "@maaziz",
            "@majmaa-tolba",
            "@moulay-driss-aghbal",
            "@oulmes",
            "@rommani",
            "@sfassif",
            "@tiflet",
        ]
    );
    let ettabaa = members.iter().find(|m| m.1 == "@mohamed-ettabaa").unwrap();
    assert_eq!(ettabaa.3, "@el-ganzra");
}

#[test]
fn demo_records_the_example_once_and_prints_the_coordination() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("data");
    // Given a fresh folder, when the demo runs,
    let first = sijill(&folder, &["demo"]).ok();
    // then it shows the coordinator and members with their constituencies, then what to try.
    assert!(
        first
            .stdout
            .contains("recorded 6 files of examples/khemisset/"),
        "{}",
        first.stdout
    );
    let chahboun = first
        .stdout
        .lines()
        .find(|l| l.contains("Achraf Chahboun"))
        .unwrap();
    for expected in [
        "Provincial coordinator",
        "أشرف شهبون",
        "Maaziz · المعازيز",
        "elected unanimously",
        "2016-12-11/2017-01-31",
    ] {
        assert!(chahboun.contains(expected), "{chahboun}");
    }
    assert!(first.stdout.contains("Try next:"), "{}", first.stdout);
    // When it runs again, nothing new is recorded.
    let events = head(&folder);
    let again = json(&folder, &["demo"]);
    assert!(again["recorded"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["deduplicated"] == Value::Bool(true)));
    assert_eq!(head(&folder), events);
}

#[test]
fn before_the_founding_there_is_no_coordination() {
    let (_dir, folder) = recorded();
    let bodies = |as_of: Option<&str>| -> Vec<String> {
        let mut args = vec!["tree"];
        if let Some(date) = as_of {
            args.extend(["--as-of", date]);
        }
        let mut handles = Vec::new();
        collect_handles(&json(&folder, &args)["data"]["tree"], &mut handles);
        handles
    };
    // Today the coordination exists under the association;
    assert!(bodies(None).contains(&"@khemisset-coordination".to_owned()));
    // on the day of the congress, before the founding assembly, it does not,
    let before = bodies(Some("2016-12-10"));
    assert!(
        !before.contains(&"@khemisset-coordination".to_owned()),
        "{before:?}"
    );
    assert!(
        before.contains(&"@elected-progressives".to_owned()),
        "{before:?}"
    );
    // and its roster is empty.
    assert_eq!(roster(&folder, &["--as-of", "2016-12-10"]), vec![]);
    // On a day inside the uncertain founding range, the coordinator is possibly in office.
    let during = json(
        &folder,
        &["roster", "@khemisset-coordination", "--as-of", "2016-12-20"],
    );
    assert_eq!(
        during["data"]["roster"]["entries"][0]["certainty"],
        "possible"
    );
}

fn collect_handles(nodes: &Value, out: &mut Vec<String>) {
    for node in nodes.as_array().into_iter().flatten() {
        out.push(
            node["body"]["handle"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
        collect_handles(&node["children"], out);
    }
}

#[test]
fn a_correction_and_a_retraction_change_today_but_not_the_past_record() {
    let (_dir, folder) = recorded();
    let before = head(&folder);
    let name = |extra: &[&str]| -> String {
        let mut args = vec!["person", "@mohamed-ettabaa"];
        args.extend_from_slice(extra);
        json(&folder, &args)["data"]["person"]["person"]["name"]["text"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    // Given the name as printed (family name first),
    assert_eq!(name(&[]), "التباع محمد");
    // when a registrar corrects it,
    let recorded = sijill(
        &folder,
        &[
            "correct-name",
            "@mohamed-ettabaa",
            "--name",
            "محمد التباع",
            "--lang",
            "ar",
            "--other",
            "ar-Latn=Mohamed Ettabaa",
            "--source",
            "phone call with the coordinator",
        ],
    )
    .ok();
    assert!(
        recorded
            .stdout
            .starts_with(&format!("recorded position {}", before + 1)),
        "{}",
        recorded.stdout
    );
    // then today's answer has the correction, and the answer as recorded before it does not.
    assert_eq!(name(&[]), "محمد التباع");
    let at = before.to_string();
    assert_eq!(name(&["--as-recorded-at", &at]), "التباع محمد");

    // Given Fatima Chouari's mandate, when the event that started it is retracted,
    let history = json(&folder, &["history", "@fatima-chouari"]);
    let started = history["data"]["history"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "mandate_started")
        .unwrap()["position"]
        .as_u64()
        .unwrap();
    let position = started.to_string();
    sijill(
        &folder,
        &[
            "retract",
            &position,
            "--reason",
            "recorded in error: not a member",
        ],
    )
    .ok();
    // then today's roster has 19 entries, the roster as recorded before has 20,
    let today = roster(&folder, &[]);
    assert_eq!(today.len(), 19);
    assert!(!today.iter().any(|e| e.1 == "@fatima-chouari"));
    assert_eq!(roster(&folder, &["--as-recorded-at", &at]).len(), 20);
    // and the retracted event stays in her history, marked.
    let history = json(&folder, &["history", "@fatima-chouari"]);
    let entry = history["data"]["history"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["position"] == started)
        .unwrap()
        .clone();
    assert_eq!(entry["retracted_by"], before + 2);
}

#[test]
fn search_finds_people_across_arabic_spellings_and_word_order() {
    let (_dir, folder) = recorded();
    let first_hit = |text: &str| -> String {
        let hits = json(&folder, &["search", text]);
        hits["data"]["search"][0]["entity"]["handle"]
            .as_str()
            .unwrap_or("(nothing)")
            .to_owned()
    };
    // Printed اسماعيل (no hamza), searched with hamza:
    assert_eq!(first_hit("إسماعيل البنوري"), "@ismail-el-bennouri");
    // printed امينة, searched أمينة:
    assert_eq!(first_hit("أمينة عزوزي"), "@amina-azzouzi");
    // printed family name first (التباع محمد), searched given name first:
    assert_eq!(first_hit("محمد التباع"), "@mohamed-ettabaa");
    // printed السعداوي إدريس, searched without hamza and in the other order:
    assert_eq!(first_hit("ادريس السعداوي"), "@driss-saadaoui");
    // Latin, in any case and order:
    assert_eq!(first_hit("chahboun achraf"), "@achraf-chahboun");
    // and the table shows the Arabic beside the Latin name.
    let table = sijill(&folder, &["search", "اسماعيل"]).ok();
    assert!(
        table
            .stdout
            .contains("@ismail-el-bennouri  Ismail El Bennouri  اسماعيل البنوري"),
        "{}",
        table.stdout
    );
}

#[test]
fn audit_of_the_coordinators_mandate_shows_the_unanimous_election_and_its_source() {
    let (_dir, folder) = recorded();
    let audit = json(&folder, &["audit", "@khemisset-coordinator-chahboun"]);
    let mandate = &audit["data"]["audit"]["mandate"];
    assert_eq!(mandate["mandate"]["basis"], "elected_unanimously");
    assert_eq!(mandate["mandate"]["constituency"]["handle"], "@maaziz");
    assert_eq!(
        mandate["assembly"]["assembly"]["handle"],
        "@khemisset-founding-assembly"
    );
    assert_eq!(mandate["assembly"]["held_on"], "2016-12-11/2017-01-31");
    let started = &mandate["provenance"][0];
    assert_eq!(started["type"], "mandate_started");
    assert_eq!(started["actor"], "registrar");
    assert_eq!(
        started["command_id"],
        "khemisset-example/06-founding-assembly"
    );
    assert!(started["source"]
        .as_str()
        .unwrap()
        .starts_with("press report (Arabic, undated): founding general assembly"));
    assert_eq!(started["hash"].as_str().unwrap().len(), 64);
    // The text report says the same in words.
    let text = sijill(&folder, &["audit", "@achraf-chahboun"]).ok().stdout;
    for expected in [
        "basis         elected unanimously",
        "assembly      Founding general assembly",
        "represents    Maaziz · المعازيز (@maaziz)",
        "source   press report",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

#[test]
fn verify_passes_and_export_import_export_is_byte_identical() {
    let (dir, folder) = recorded();
    let verified = sijill(&folder, &["verify"]).ok();
    assert!(
        verified.stdout.starts_with("ok: positions 1-"),
        "{}",
        verified.stdout
    );
    // Given an export to a file and one to stdout,
    let exported = dir.path().join("log.jsonl");
    sijill(&folder, &["export", exported.to_str().unwrap()]).ok();
    let first = std::fs::read(&exported).unwrap();
    assert_eq!(
        sijill(&folder, &["export"]).ok().stdout.as_bytes(),
        first.as_slice()
    );
    // when it is imported into a new folder and exported again,
    let copy = dir.path().join("copy");
    let imported = sijill(&copy, &["import", exported.to_str().unwrap()]).ok();
    assert!(
        imported
            .stdout
            .starts_with(&format!("imported {} events", head(&folder))),
        "{}",
        imported.stdout
    );
    let second = sijill(&copy, &["export"]).ok().stdout;
    // then the two exports are the same bytes, and the copy answers the same questions.
    assert!(second.as_bytes() == first.as_slice(), "exports differ");
    sijill(&copy, &["verify"]).ok();
    assert_eq!(roster(&copy, &[]), roster(&folder, &[]));
}

#[test]
fn the_log_shows_who_recorded_each_event_from_which_source() {
    let (_dir, folder) = recorded();
    let log = json(&folder, &["log", "--limit", "2"]);
    let entries = log["data"]["log"]["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["position"], 1);
    assert_eq!(entries[0]["type"], "area_registered");
    assert_eq!(entries[0]["command_id"], "khemisset-example/01-areas");
    assert_eq!(log["data"]["log"]["next"], 3);
    let text = sijill(&folder, &["log", "--limit", "1"]).ok().stdout;
    assert!(text.contains("more from position 2 (--from 2)"), "{text}");
}

#[test]
fn representation_covers_every_commune_of_the_province() {
    let (_dir, folder) = recorded();
    let answer = json(&folder, &["representation", "@khemisset-coordination"]);
    let r = &answer["data"]["representation"];
    assert_eq!(r["covered"].as_array().unwrap().len(), 13);
    assert_eq!(r["missed"].as_array().unwrap().len(), 0);
    assert_eq!(r["gender"]["women"], 8);
    assert_eq!(r["gender"]["men"], 12);
}
