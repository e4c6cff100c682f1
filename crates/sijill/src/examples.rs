//! The founding example, `examples/khemisset/`, built into the binary so that `sijill demo`
//! works from any folder. The files on disk are the documentation; these are the same bytes.

use crate::record_file::{self, RecordFile, RecordFileError};

/// The example's record files, in the order they must be recorded (each is one batch).
pub const KHEMISSET: &[(&str, &str)] = &[
    (
        "01-areas.toml",
        include_str!("../../../examples/khemisset/01-areas.toml"),
    ),
    (
        "02-party.toml",
        include_str!("../../../examples/khemisset/02-party.toml"),
    ),
    (
        "03-association.toml",
        include_str!("../../../examples/khemisset/03-association.toml"),
    ),
    (
        "04-congress-2016-12-10.toml",
        include_str!("../../../examples/khemisset/04-congress-2016-12-10.toml"),
    ),
    (
        "05-outside-offices.toml",
        include_str!("../../../examples/khemisset/05-outside-offices.toml"),
    ),
    (
        "06-founding-assembly.toml",
        include_str!("../../../examples/khemisset/06-founding-assembly.toml"),
    ),
];

/// The body whose roster `sijill demo` prints.
pub const DEMO_BODY: &str = "@khemisset-coordination";

/// The example's files, parsed.
pub fn khemisset() -> Result<Vec<RecordFile>, RecordFileError> {
    KHEMISSET
        .iter()
        .map(|(name, text)| record_file::parse_toml(&format!("examples/khemisset/{name}"), text))
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use sijill_domain::{
        decide_batch, AsOf, Context, EntityId, EntityRef, Registry, SequentialIds,
    };

    use super::*;

    /// Decides every example file against the state the previous ones left, as `demo` does,
    /// without a store: the example must satisfy every rule of the domain.
    fn registry() -> Registry {
        let mut ids = SequentialIds::new();
        let mut registry = Registry::new();
        for file in khemisset().unwrap() {
            let recorded_at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
            let mut ctx = Context::new(recorded_at, &mut ids);
            let (_, next) = decide_batch(&registry, &file.commands, &mut ctx)
                .unwrap_or_else(|e| panic!("{}: {e}", file.locate(e.index)));
            registry = next;
        }
        registry
    }

    #[test]
    fn every_file_has_a_stable_command_id_and_the_report_as_source() {
        for file in khemisset().unwrap() {
            assert!(
                file.command_id
                    .to_string()
                    .starts_with("khemisset-example/"),
                "{}",
                file.name
            );
            assert!(
                file.source
                    .as_deref()
                    .unwrap()
                    .starts_with("press report (Arabic, undated)"),
                "{}",
                file.name
            );
        }
    }

    #[test]
    fn coordination_has_the_coordinator_and_nineteen_members_in_thirteen_communes() {
        let registry = registry();
        let coordination = EntityRef::parse(DEMO_BODY).unwrap();
        let Some(EntityId::Body(body)) = registry.resolve(&coordination) else {
            panic!("no coordination")
        };
        let today = AsOf::day(chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
        let roster = registry.roster(body, &today);
        assert_eq!(roster.len(), 20);
        let coordinator = &roster[0].mandate;
        assert_eq!(
            coordinator.person.handle.as_ref().unwrap().as_str(),
            "@achraf-chahboun"
        );
        assert_eq!(coordinator.basis.as_str(), "elected_unanimously");
        let representation = registry.representation(body, &today).unwrap();
        assert_eq!(representation.covered.len(), 13);
        assert!(representation.missed.is_empty());
        assert_eq!(representation.others.len(), 2);
    }
}
