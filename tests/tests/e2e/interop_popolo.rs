//! Popolo export checked by an independent validator: Python `jsonschema`'s Draft3Validator
//! against the vendored Popolo schemas, for the founding example and the synthetic national
//! registry (small scale). `scripts/test` installs the validator and sets
//! `SIJILL_TEST_PYTHON`; without it these tests fail, saying so.

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{TimeZone, Utc};
use sijill_domain::{decide_batch, Context, Registry, SequentialIds};
use sijill_interop::{write_popolo, Envelope, ExportOptions, Provenance};

/// Who recorded the example.
pub const ACTOR: &str = "registrar@secretariat";

/// Validates every record of a Popolo document with Draft3Validator, `$ref` URLs resolved to
/// the vendored schema files; prints one line per invalid record and exits 1 if any.
const VALIDATE_PY: &str = r#"
import json, pathlib, sys
from jsonschema import Draft3Validator
from referencing import Registry
from referencing.jsonschema import DRAFT3

schemas = {}
for path in pathlib.Path(sys.argv[1]).glob("*.json"):
    schema = json.loads(path.read_text(encoding="utf-8"))
    schemas[path.name] = schema
registry = Registry().with_resources(
    ("http://www.popoloproject.com/schemas/" + name, DRAFT3.create_resource(schema))
    for name, schema in schemas.items()
)
kinds = {"areas": "area.json", "persons": "person.json", "organizations": "organization.json",
         "posts": "post.json", "events": "event.json", "memberships": "membership.json"}
document = json.loads(pathlib.Path(sys.argv[2]).read_text(encoding="utf-8"))
checked, failures = 0, 0
for key, file in kinds.items():
    validator = Draft3Validator(schemas[file], registry=registry, format_checker=Draft3Validator.FORMAT_CHECKER)
    for index, record in enumerate(document.get(key, [])):
        checked += 1
        for error in validator.iter_errors(record):
            failures += 1
            path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
            print(f"$.{key}[{index}]{path}: {error.message}")
print(f"checked {checked} records, {failures} errors")
sys.exit(1 if failures else 0)
"#;

/// The Python with `jsonschema` and `rdflib` that `scripts/test` installs.
pub fn python() -> String {
    let python = std::env::var("SIJILL_TEST_PYTHON").unwrap_or_default();
    assert!(
        !python.is_empty() && Path::new(&python).exists(),
        "SIJILL_TEST_PYTHON is not set or missing ({python:?}): run `bash scripts/test`, which installs \
         Python's jsonschema and rdflib into target/py-tools, or point it at a python with both"
    );
    python
}

/// Runs a Python script with arguments; returns stdout, panicking with both streams on failure.
pub fn run_python(script: &str, args: &[&Path]) -> String {
    let output = Command::new(python())
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the Python check failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    stdout
}

pub struct Example {
    pub registry: Registry,
    pub provenance: Provenance,
}

#[derive(serde::Deserialize)]
struct RecordFile {
    source: Option<String>,
    #[serde(rename = "command")]
    commands: Vec<sijill_domain::Command>,
}

/// The founding example, recorded file by file as one batch each, one minute apart from
/// 2026-01-05T09:00:00Z, with the envelopes' provenance.
pub fn founding_example() -> Example {
    let mut example = Example {
        registry: Registry::new(),
        provenance: Provenance::new(),
    };
    let mut ids = SequentialIds::new();
    for (minute, path) in sijill_tests::example_files().iter().enumerate() {
        let text = std::fs::read_to_string(path).unwrap();
        let file: RecordFile =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let at = Utc
            .with_ymd_and_hms(2026, 1, 5, 9, minute as u32, 0)
            .unwrap();
        let (events, next) = decide_batch(
            &example.registry,
            &file.commands,
            &mut Context::new(at, &mut ids),
        )
        .unwrap_or_else(|e| panic!("{}: command {}: {}", path.display(), e.index, e.error));
        for (offset, event) in events.iter().enumerate() {
            let tags: Vec<uuid::Uuid> = event.concerns().iter().map(|id| id.as_uuid()).collect();
            let position = example.registry.position() + 1 + offset as u64;
            let source = file.source.as_deref();
            example.provenance.record(Envelope {
                position,
                tags: &tags,
                actor: ACTOR,
                recorded_at: at,
                source,
            });
        }
        example.registry = next;
    }
    example
}

pub fn synthetic_small() -> Registry {
    let batches = sijill_synth::generate(sijill_synth::Scale::small(), 7);
    sijill_synth::decide_all(batches)
        .unwrap_or_else(|e| panic!("{e}"))
        .registry
}

/// The vendored schemas (the copy the crate's own validator compiles in).
fn schema_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/sijill-interop/schemas/popolo")
}

fn validate(
    registry: &Registry,
    provenance: Option<&Provenance>,
    options: &ExportOptions,
) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("popolo.json");
    write_popolo(
        registry,
        provenance,
        options,
        std::fs::File::create(&file).unwrap(),
    )
    .unwrap();
    run_python(VALIDATE_PY, &[&schema_dir(), &file])
        .trim()
        .to_owned()
}

#[test]
fn the_founding_example_validates_against_the_popolo_schemas() {
    let example = founding_example();
    let report = validate(
        &example.registry,
        Some(&example.provenance),
        &ExportOptions::default(),
    );
    assert_eq!(report, "checked 99 records, 0 errors");
    let as_of = ExportOptions {
        as_of: Some(sijill_domain::AsOf::date("2016-12-20".parse().unwrap())),
    };
    let report = validate(&example.registry, Some(&example.provenance), &as_of);
    assert_eq!(report, "checked 99 records, 0 errors");
}

#[test]
fn the_synthetic_national_registry_validates_against_the_popolo_schemas() {
    let registry = synthetic_small();
    let records: usize = registry.counts().iter().sum();
    let report = validate(&registry, None, &ExportOptions::default());
    assert_eq!(report, format!("checked {records} records, 0 errors"));
}

#[test]
fn the_vendored_schemas_are_the_shared_ones() {
    // In CI the repository sits beside the shared folder; elsewhere the vendored copy stands
    // alone, and this comparison has nothing to compare with.
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/popolo-schemas");
    let Ok(entries) = std::fs::read_dir(&shared) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        let vendored = schema_dir().join(path.file_name().unwrap());
        let (theirs, ours) = (
            std::fs::read(&path).unwrap(),
            std::fs::read(&vendored).unwrap_or_default(),
        );
        assert!(
            theirs == ours,
            "{} differs from {}: copy it again",
            vendored.display(),
            path.display()
        );
    }
}
