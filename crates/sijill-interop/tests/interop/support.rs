//! The founding example (`examples/khemisset/*.toml`, the project's demo data set) recorded
//! into an in-memory registry, with the envelopes' provenance, as the engine would.

use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;
use sijill_domain::{decide_batch, Command, Context, Registry, SequentialIds};
use sijill_interop::{Envelope, Provenance};

/// Who recorded the example, in every test.
pub const ACTOR: &str = "registrar@secretariat";

#[derive(Deserialize)]
struct RecordFile {
    source: Option<String>,
    #[serde(rename = "command")]
    commands: Vec<Command>,
}

pub struct Example {
    pub registry: Registry,
    pub provenance: Provenance,
}

/// The example's record files in order: each file's commands and source.
pub fn example_batches() -> Vec<(Vec<Command>, Option<String>)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/khemisset");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("the founding example must be at {dir}: {e}"))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let read = |path: &std::path::PathBuf| {
        let text = std::fs::read_to_string(path).unwrap();
        let file: RecordFile =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        (file.commands, file.source)
    };
    files.iter().map(read).collect()
}

/// When batch `index` of the example is recorded: one minute apart from 2026-01-05T09:00:00Z.
pub fn recorded_at(index: usize) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 9, index as u32, 0)
        .unwrap()
}

/// The example files in order, one batch each.
pub fn khemisset() -> Example {
    let mut ids = SequentialIds::new();
    let mut example = Example {
        registry: Registry::new(),
        provenance: Provenance::new(),
    };
    for (index, (commands, source)) in example_batches().iter().enumerate() {
        record(
            &mut example,
            commands,
            source.as_deref(),
            recorded_at(index),
            &mut ids,
        );
    }
    example
}

/// Decides and applies one batch, indexing its envelopes.
pub fn record(
    example: &mut Example,
    commands: &[Command],
    source: Option<&str>,
    at: DateTime<Utc>,
    ids: &mut SequentialIds,
) {
    let mut ctx = Context::new(at, ids);
    let (events, registry) = decide_batch(&example.registry, commands, &mut ctx)
        .unwrap_or_else(|e| panic!("command {} ({}): {}", e.index, e.command, e.error));
    let first = example.registry.position() + 1;
    for (offset, event) in events.iter().enumerate() {
        let tags: Vec<uuid::Uuid> = event.concerns().iter().map(|id| id.as_uuid()).collect();
        let envelope = Envelope {
            position: first + offset as u64,
            tags: &tags,
            actor: ACTOR,
            recorded_at: at,
            source,
        };
        example.provenance.record(envelope);
    }
    example.registry = registry;
}

/// The synthetic national registry at its small scale (the same every time).
pub fn synthetic() -> Registry {
    let batches = sijill_synth::generate(sijill_synth::Scale::small(), 7);
    sijill_synth::decide_all(batches)
        .unwrap_or_else(|e| panic!("{e}"))
        .registry
}

/// The one line of a line-per-record export that contains `needle`.
pub fn line_with<'a>(document: &'a str, needle: &str) -> &'a str {
    let mut lines = document.lines().filter(|l| l.contains(needle));
    let line = lines
        .next()
        .unwrap_or_else(|| panic!("no line contains {needle}"));
    assert!(lines.next().is_none(), "several lines contain {needle}");
    line.trim_end_matches(',')
}

pub fn day(text: &str) -> sijill_domain::AsOf {
    sijill_domain::AsOf::date(text.parse().unwrap())
}
