//! The interop formats through the `sijill` binary, as a registrar uses them: export the
//! founding example as Popolo, import that file into a new registry (once: a second import
//! records nothing), and see a broken file refused with its exact path, nothing recorded.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sijill_tests::{example_files, sijill};

/// A registry holding the founding example, recorded from its files.
fn founding_registry(dir: &Path) -> PathBuf {
    let folder = dir.join("founding");
    sijill(&folder, &["init"]).ok();
    let files: Vec<String> = example_files()
        .iter()
        .map(|f| f.to_str().unwrap().to_owned())
        .collect();
    let mut args = vec!["record"];
    args.extend(files.iter().map(String::as_str));
    sijill(&folder, &args).ok();
    folder
}

fn events(folder: &Path) -> u64 {
    let run = sijill(folder, &["--json", "stats"]).ok();
    let stats: Value = serde_json::from_str(&run.stdout).unwrap();
    stats["data"]["stats"]["events"].as_u64().unwrap()
}

/// The document without `sources` (an import makes the file the source of everything).
fn without_sources(path: &Path) -> Value {
    let mut document: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    for records in document.as_object_mut().unwrap().values_mut() {
        for record in records.as_array_mut().into_iter().flatten() {
            record.as_object_mut().unwrap().remove("sources");
        }
    }
    document
}

/// The founding example recorded in `dir` and exported as Popolo: (its folder, the file).
fn exported_founding(dir: &Path) -> (PathBuf, PathBuf) {
    let founding = founding_registry(dir);
    let exported = dir.join("khemisset.json");
    sijill(
        &founding,
        &["export", "--format", "popolo", exported.to_str().unwrap()],
    )
    .ok();
    (founding, exported)
}

#[test]
fn a_popolo_export_imports_into_a_new_registry_once_and_exports_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let (_, exported) = exported_founding(dir.path());

    let copy = dir.path().join("copy");
    let run = sijill(
        &copy,
        &["import", "--format", "popolo", exported.to_str().unwrap()],
    )
    .ok();
    assert!(run.stdout.contains("khemisset.json: 16 areas, 26 persons, 14 organizations, 10 posts, 3 events, 30 memberships as 101 commands in 1 batch(es), positions 1..101"), "{}", run.stdout);
    assert_eq!(events(&copy), 101);

    let again = sijill(
        &copy,
        &["import", "--format", "popolo", exported.to_str().unwrap()],
    )
    .ok();
    assert!(
        again.stdout.contains("was already imported"),
        "{}",
        again.stdout
    );
    assert_eq!(events(&copy), 101, "a second import records nothing");

    let reexported = dir.path().join("again.json");
    sijill(
        &copy,
        &["export", "--format", "popolo", reexported.to_str().unwrap()],
    )
    .ok();
    assert!(
        without_sources(&exported) == without_sources(&reexported),
        "the round trip changed the document"
    );
}

#[test]
fn a_broken_popolo_file_is_refused_with_its_path_and_nothing_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let (founding, exported) = exported_founding(dir.path());
    let text = std::fs::read_to_string(&exported).unwrap();
    let broken = dir.path().join("broken.json");
    std::fs::write(
        &broken,
        text.replace(
            "\"post_id\":\"khemisset-coordinator\"",
            "\"post_id\":\"khemisset-chair\"",
        ),
    )
    .unwrap();

    let before = events(&founding);
    let run = sijill(
        &founding,
        &["import", "--format", "popolo", broken.to_str().unwrap()],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("$.memberships[1].post_id: refers to `khemisset-chair`, but no `posts[].id` in the file is `khemisset-chair`; nothing was recorded"),
        "{}",
        run.stderr
    );
    assert_eq!(events(&founding), before);
}

#[test]
fn rosters_export_as_csv_and_the_structure_as_rdf_and_graphviz() {
    let dir = tempfile::tempdir().unwrap();
    let founding = founding_registry(dir.path());
    let csv = sijill(
        &founding,
        &[
            "roster",
            "@khemisset-coordination",
            "--format",
            "csv",
            "--as-of",
            "2017-02-01",
        ],
    )
    .ok();
    assert!(
        csv.stdout
            .starts_with("\u{feff}body_handle,body,post_handle,"),
        "{}",
        csv.stdout
    );
    assert_eq!(csv.stdout.matches("\r\n").count(), 21);
    let turtle = sijill(&founding, &["export", "--format", "org-turtle"]).ok();
    assert!(turtle.stdout.contains("a org:Membership"));
    let jsonld = sijill(
        &founding,
        &["export", "--format", "org-jsonld", "--as-of", "2017-02-01"],
    )
    .ok();
    let graph: Value = serde_json::from_str(&jsonld.stdout).unwrap();
    assert!(graph["@graph"].as_array().unwrap().len() > 100);
    let dot = sijill(
        &founding,
        &["export", "--format", "dot", "--as-of", "2017-02-01"],
    )
    .ok();
    assert!(dot.stdout.starts_with("digraph bodies {"), "{}", dot.stdout);
}
