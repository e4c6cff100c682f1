//! Registry snapshots: the Khemisset record survives a round trip, and a damaged or foreign
//! snapshot is refused with a reason, never loaded and never a panic.

use sijill_domain::snapshot::{read_snapshot, write_snapshot, SnapshotError};

use crate::khemisset::khemisset;

fn snapshot_bytes() -> (sijill_domain::Registry, Vec<u8>) {
    let world = khemisset();
    let mut bytes = Vec::new();
    write_snapshot(&world.registry, &mut bytes).expect("writing to memory");
    (world.registry, bytes)
}

#[test]
fn the_khemisset_record_survives_a_snapshot() {
    let (registry, bytes) = snapshot_bytes();
    let loaded = read_snapshot(&bytes).expect("a snapshot this version wrote");
    assert!(loaded == registry);
    assert_eq!(loaded.position(), registry.position());
    assert_eq!(
        loaded.search("محمد التباع", 5),
        registry.search("محمد التباع", 5)
    );
}

#[test]
fn every_truncated_snapshot_is_refused() {
    let (_, bytes) = snapshot_bytes();
    for len in 0..bytes.len() {
        let refused = read_snapshot(&bytes[..len]);
        assert!(refused.is_err(), "a snapshot cut at byte {len} was loaded");
    }
}

#[test]
fn trailing_bytes_are_refused() {
    let (_, mut bytes) = snapshot_bytes();
    bytes.push(0);
    let error = read_snapshot(&bytes).map(|_| ()).unwrap_err();
    assert!(matches!(error, SnapshotError::Damaged { .. }), "{error}");
    assert!(
        error.to_string().contains("followed by other bytes"),
        "{error}"
    );
}

#[test]
fn a_snapshot_of_another_format_is_refused_by_name() {
    let (_, mut bytes) = snapshot_bytes();
    // The format number follows the 15-byte header.
    bytes[15] = 99;
    let error = read_snapshot(&bytes).map(|_| ()).unwrap_err();
    assert!(
        matches!(error, SnapshotError::OtherVersion { found: 99, .. }),
        "{error}"
    );
    let error = read_snapshot(b"{\"not\": \"a snapshot\"}")
        .map(|_| ())
        .unwrap_err();
    assert_eq!(error, SnapshotError::NotASnapshot);
}

#[test]
fn damaged_bytes_never_panic() {
    let (_, bytes) = snapshot_bytes();
    // Flip bytes in turn: the result may be refused or, when the byte was part of an id or a
    // free text, load as a different state (the engine's checksum catches those); it must
    // never panic. Every fifth byte keeps the test short in debug builds.
    let mut refused = 0;
    let mut tried = 0;
    for at in (0..bytes.len()).step_by(5) {
        tried += 1;
        let mut damaged = bytes.clone();
        damaged[at] ^= 0xff;
        if read_snapshot(&damaged).is_err() {
            refused += 1;
        }
    }
    // Tags, lengths, handles, dates and names are checked: many damaged bytes land on one.
    assert!(
        refused > tried / 4,
        "only {refused} of {tried} damaged snapshots were refused"
    );
}
