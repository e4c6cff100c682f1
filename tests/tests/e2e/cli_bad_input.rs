//! Bad input to the `sijill` command: each case gets a clear message naming what was wrong,
//! a documented non-zero exit code, and leaves the log exactly as it was.

use std::path::{Path, PathBuf};

use sijill_tests::{example_files, sijill, Run};

/// Exit codes, as `docs/cli.md` documents them.
const USAGE: i32 = 1;
const BAD_INPUT: i32 = 2;
const NOT_FOUND: i32 = 3;
const DATA_FOLDER: i32 = 4;

/// A data folder holding the founding example.
fn recorded() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("data");
    sijill(&folder, &["init"]).ok();
    for file in example_files() {
        sijill(&folder, &["record", file.to_str().unwrap()]).ok();
    }
    (dir, folder)
}

/// The whole log, as exported.
fn log(folder: &Path) -> String {
    sijill(folder, &["export"]).ok().stdout
}

/// Runs `args`, expecting exit `code`, a message on stderr (and nothing on stdout), and an
/// unchanged log.
fn refused(folder: &Path, args: &[&str], code: i32) -> String {
    let before = log(folder);
    let run: Run = sijill(folder, args);
    assert_eq!(
        run.code, code,
        "exit code of {args:?}\nstdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    assert_eq!(log(folder), before, "the log changed after {args:?}");
    run.stderr.trim_end().to_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn unknown_handle() {
    let (_dir, folder) = recorded();
    let message = refused(
        &folder,
        &[
            "elect",
            "@nobody",
            "@khemisset-coordination-member",
            "--from",
            "2017",
            "--unanimous",
        ],
        BAD_INPUT,
    );
    assert_eq!(
        message,
        "error: start_mandate: no person `@nobody` in the registry: check the handle, or register it first; nothing was recorded"
    );
    let message = refused(&folder, &["roster", "@nowhere"], NOT_FOUND);
    assert!(
        message.starts_with("error: no entity `@nowhere` in the registry"),
        "{message}"
    );
}

#[test]
fn duplicate_handle() {
    let (_dir, folder) = recorded();
    let message = refused(
        &folder,
        &[
            "register-person",
            "@achraf-chahboun",
            "--name",
            "Someone Else",
        ],
        BAD_INPUT,
    );
    assert_eq!(
        message,
        "error: register_person: handle `@achraf-chahboun` is already taken by a person: choose another handle; nothing was recorded"
    );
}

#[test]
fn malformed_record_file_names_line_and_column() {
    let (dir, folder) = recorded();
    let file = write(
        dir.path(),
        "bad.toml",
        "[[command]]\ncommand = \"register_person\"\nhandle = \"@new-person\nname = \"X\"\n",
    );
    let message = refused(&folder, &["record", &file], BAD_INPUT);
    assert_eq!(message, format!("error: {file}:3:22: invalid basic string"));

    let file = write(
        dir.path(),
        "typo.toml",
        "[[command]]\ncommand = \"register_person\"\nhandle = \"@new-person\"\nnmae = \"X\"\n",
    );
    let message = refused(&folder, &["record", &file], BAD_INPUT);
    assert!(
        message.starts_with(&format!(
            "error: {file}:4:1: entry 1 (register_person): unknown field `nmae`"
        )),
        "{message}"
    );

    let file = write(dir.path(), "bad.json", "{\"command\": [\n  {\"command\": \"register_person\", \"handle\": \"@x\", \"name\": \"X\",}\n]}");
    let message = refused(&folder, &["record", &file], BAD_INPUT);
    assert!(
        message.starts_with(&format!("error: {file}:2:")),
        "{message}"
    );
}

#[test]
fn invalid_date() {
    let (dir, folder) = recorded();
    let message = refused(
        &folder,
        &[
            "correct-date",
            "@khemisset-founding-assembly",
            "held-on",
            "2016-02-30",
        ],
        BAD_INPUT,
    );
    assert!(message.starts_with("error: correct_date: "), "{message}");
    assert!(message.contains("has no day 30"), "{message}");
    // In a file, the error points at the date itself.
    let text = "[[command]]\ncommand = \"register_person\"\nhandle = \"@new-person\"\nname = \"X\"\n\n[[command]]\ncommand = \"found_body\"\nhandle = \"@new-body\"\nkind = \"party\"\nname = \"Y\"\nfounded_on = \"2016-13\"\n";
    let file = write(dir.path(), "dates.toml", text);
    let message = refused(&folder, &["record", &file], BAD_INPUT);
    assert!(
        message.starts_with(&format!(
            "error: {file}:11:20: entry 2 (found_body): `13` is not a month"
        )),
        "{message}"
    );
    // Nothing of the file was recorded, not even its valid first entry.
    let search = sijill(&folder, &["--json", "search", "new-person"]).ok();
    assert!(!search.stdout.contains("@new-person"), "{}", search.stdout);
}

#[test]
fn rule_violation() {
    let (dir, folder) = recorded();
    // The coordinator's post has one seat, and Achraf Chahboun holds it.
    let message = refused(
        &folder,
        &[
            "elect",
            "@hamid-haddadi",
            "@khemisset-coordinator",
            "--from",
            "2017-02-01",
            "--unanimous",
        ],
        BAD_INPUT,
    );
    assert!(
        message.starts_with("error: start_mandate: post @khemisset-coordinator has 1 seat(s)"),
        "{message}"
    );
    // In a file, the refusal names the file, the line and the entry; nothing is recorded.
    let text = "command_id = \"second-coordinator\"\n\n[[command]]\ncommand = \"register_person\"\nhandle = \"@second-coordinator\"\nname = \"X\"\n\n[[command]]\ncommand = \"start_mandate\"\nperson = \"@second-coordinator\"\npost = \"@khemisset-coordinator\"\nfrom = \"2017-02-01\"\nbasis = \"elected_unanimously\"\n";
    let file = write(dir.path(), "second.toml", text);
    let message = refused(&folder, &["record", &file], BAD_INPUT);
    assert!(
        message.starts_with(&format!(
            "error: {file}:8: entry 2 (start_mandate): post @khemisset-coordinator has 1 seat(s)"
        )),
        "{message}"
    );
    assert!(
        message.ends_with(&format!("nothing in {file} was recorded")),
        "{message}"
    );
}

#[test]
fn data_folder_locked_by_another_process() {
    let (_dir, folder) = recorded();
    let before = log(&folder);
    // Given the folder held open by another process (this test, through the store),
    let store = sijill_store::SledStore::open(&folder).unwrap();
    // when sijill is asked to write or read it,
    for args in [
        &["register-person", "@locked-out", "--name", "X"][..],
        &["stats"][..],
    ] {
        let run = sijill(&folder, args);
        // then it says who holds it and what to do, and exits 4.
        assert_eq!(run.code, DATA_FOLDER, "{}", run.stderr);
        assert!(
            run.stderr.contains("is in use by another process"),
            "{}",
            run.stderr
        );
    }
    drop(store);
    assert_eq!(log(&folder), before);
}

#[test]
fn data_folder_of_a_newer_format() {
    let (_dir, folder) = recorded();
    let before = log(&folder);
    let marker = folder.join("FORMAT");
    let original = std::fs::read_to_string(&marker).unwrap();
    std::fs::write(&marker, "sijill-store sled 999\n").unwrap();
    let run = sijill(&folder, &["register-person", "@too-new", "--name", "X"]);
    assert_eq!(run.code, DATA_FOLDER, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("has storage format 999, newer than the format"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("upgrade sijill"), "{}", run.stderr);
    std::fs::write(&marker, original).unwrap();
    assert_eq!(log(&folder), before);
}

#[test]
fn missing_data_folder_is_not_created_by_a_question() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("typo");
    let run = sijill(&folder, &["roster", "@khemisset-coordination"]);
    assert_eq!(run.code, DATA_FOLDER);
    assert!(run.stderr.contains("no registry in"), "{}", run.stderr);
    assert!(!folder.exists());
}

#[test]
fn usage_errors_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let run = sijill(dir.path(), &["roster"]);
    assert_eq!(run.code, USAGE, "{}", run.stderr);
    let run = sijill(dir.path(), &["frobnicate"]);
    assert_eq!(run.code, USAGE, "{}", run.stderr);
    assert_eq!(sijill(dir.path(), &["--help"]).code, 0);
}
