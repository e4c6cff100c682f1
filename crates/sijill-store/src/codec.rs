//! The codec: domain events <-> versioned JSON (`type`, `v`, payload).
//!
//! The payload is the event's own fields (the variant's struct, without the `type` tag,
//! which the envelope carries). Encoding always writes the current version
//! (`Event::version_of`). Decoding reads any version up to the current one: an older payload
//! runs through the upcasters, one version step at a time, before it is deserialized. Stored
//! bytes are never rewritten, so old hashes stay valid.

use serde_json::{json, Map, Value};
use sijill_domain::event::{
    AreaRegistered, AssemblyConvened, AttendanceRecorded, BodyDissolved, BodyFounded, BodyMoved,
    BodyRenamed, ConstituencyCorrected, DateCorrected, EventRetracted, MandateEnded,
    MandateStarted, NameCorrected, PersonRegistered, PostAbolished, PostEstablished,
    ResolutionAdopted,
};
use sijill_domain::Event;
use thiserror::Error;
use uuid::Uuid;

use crate::batch::NewEvent;
use crate::stored::StoredEvent;

/// An event as the log carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    pub event_type: &'static str,
    pub version: u16,
    pub payload: Vec<u8>,
}

/// Why a stored event does not decode.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("event at position {position} ({event_type} v{version}): {problem}")]
pub struct CodecError {
    pub position: u64,
    pub event_type: String,
    pub version: u16,
    pub problem: CodecProblem,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CodecProblem {
    #[error(
        "unknown event type; it was written by a newer sijill: upgrade sijill to read this log"
    )]
    UnknownType,
    #[error("version is newer than the version {supported} this sijill reads; upgrade sijill to read this log")]
    NewerVersion { supported: u16 },
    #[error("no upcaster from version {from}")]
    NoUpcaster { from: u16 },
    #[error("payload does not decode: {0}")]
    Payload(String),
}

/// One upcast step: a payload at version `from` becomes one at `from + 1`.
struct Upcaster {
    event_type: &'static str,
    from: u16,
    upcast: fn(Value) -> Result<Value, String>,
}

const UPCASTERS: &[Upcaster] = &[Upcaster {
    event_type: "person_registered",
    from: 1,
    upcast: person_registered_v1_to_v2,
}];

/// `person_registered` v1 carried the printed name as a plain string and an optional Latin
/// transliteration beside it: `{"name": "أشرف شهبون", "name_latin": "Achraf Chahboun", ..}`.
/// v2 carries multilingual `Names`: `{"name": {"text": "أشرف شهبون", "others": [{"text":
/// "Achraf Chahboun", "lang": "ar-Latn"}]}, ..}`.
fn person_registered_v1_to_v2(payload: Value) -> Result<Value, String> {
    let Value::Object(mut fields) = payload else {
        return Err("payload is not an object".into());
    };
    let name = match fields.remove("name") {
        Some(Value::String(text)) => text,
        other => return Err(format!("v1 name must be a string, found {other:?}")),
    };
    let mut names = Map::new();
    names.insert("text".into(), Value::String(name));
    match fields.remove("name_latin") {
        Some(Value::String(latin)) => {
            names.insert(
                "others".into(),
                json!([{ "text": latin, "lang": "ar-Latn" }]),
            );
        }
        None | Some(Value::Null) => {}
        Some(other) => return Err(format!("v1 name_latin must be a string, found {other}")),
    }
    fields.insert("name".into(), Value::Object(names));
    Ok(Value::Object(fields))
}

/// Lists every event variant with its wire name, for the encode and decode dispatch.
macro_rules! with_variants {
    ($apply:ident) => {
        $apply! {
            AreaRegistered => "area_registered",
            PersonRegistered => "person_registered",
            BodyFounded => "body_founded",
            BodyRenamed => "body_renamed",
            BodyMoved => "body_moved",
            BodyDissolved => "body_dissolved",
            PostEstablished => "post_established",
            PostAbolished => "post_abolished",
            AssemblyConvened => "assembly_convened",
            AttendanceRecorded => "attendance_recorded",
            ResolutionAdopted => "resolution_adopted",
            MandateStarted => "mandate_started",
            MandateEnded => "mandate_ended",
            NameCorrected => "name_corrected",
            DateCorrected => "date_corrected",
            ConstituencyCorrected => "constituency_corrected",
            EventRetracted => "event_retracted",
        }
    };
}

macro_rules! encode_payload {
    ($($variant:ident => $name:literal,)*) => {
        fn encode_payload(event: &Event) -> Vec<u8> {
            // Serializing domain structs to JSON cannot fail: no maps with non-string keys.
            match event {
                $(Event::$variant(e) => serde_json::to_vec(e).expect("event serializes"),)*
            }
        }
    };
}

macro_rules! decode_current {
    ($($variant:ident => $name:literal,)*) => {
        /// Deserializes a payload at the current version, straight into the variant's struct
        /// (no intermediate `Value`: this is the hot path of every replay).
        fn decode_current(event_type: &str, payload: &[u8]) -> Result<Event, CodecProblem> {
            let problem = |e: serde_json::Error| CodecProblem::Payload(e.to_string());
            match event_type {
                $($name => serde_json::from_slice::<$variant>(payload).map(Event::from).map_err(problem),)*
                _ => Err(CodecProblem::UnknownType),
            }
        }
    };
}

with_variants!(encode_payload);
with_variants!(decode_current);

/// Encodes an event at its current version.
pub fn encode(event: &Event) -> Encoded {
    Encoded {
        event_type: event.type_name(),
        version: event.version(),
        payload: encode_payload(event),
    }
}

/// The `NewEvent` to append for a domain event: encoded, tagged with the ids it concerns.
pub fn new_event(event: &Event, event_id: Uuid) -> NewEvent {
    let Encoded {
        event_type,
        version,
        payload,
    } = encode(event);
    let tags = event.concerns().iter().map(|id| id.as_uuid()).collect();
    NewEvent {
        event_id,
        event_type: event_type.to_string(),
        version,
        payload,
        tags,
    }
}

/// Decodes a stored event into the current domain event, upcasting older versions.
pub fn decode(stored: &StoredEvent) -> Result<Event, CodecError> {
    decode_parts(stored.event_type(), stored.version(), stored.payload()).map_err(|problem| {
        CodecError {
            position: stored.position(),
            event_type: stored.event_type().to_string(),
            version: stored.version(),
            problem,
        }
    })
}

/// Decodes a payload of `event_type` at `version`.
pub fn decode_parts(event_type: &str, version: u16, payload: &[u8]) -> Result<Event, CodecProblem> {
    let current = Event::version_of(event_type).ok_or(CodecProblem::UnknownType)?;
    if version == current {
        return decode_current(event_type, payload);
    }
    if version > current {
        return Err(CodecProblem::NewerVersion { supported: current });
    }
    let mut value: Value =
        serde_json::from_slice(payload).map_err(|e| CodecProblem::Payload(e.to_string()))?;
    for from in version..current {
        let step = UPCASTERS
            .iter()
            .find(|u| u.event_type == event_type && u.from == from)
            .ok_or(CodecProblem::NoUpcaster { from })?;
        value = (step.upcast)(value).map_err(CodecProblem::Payload)?;
    }
    let upcast = serde_json::to_vec(&value).expect("a JSON value serializes");
    decode_current(event_type, &upcast)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CommandId, EventStore, MemoryStore, NewBatch};
    use chrono::{TimeZone, Utc};
    use sijill_domain::{Gender, Handle, Names, PersonId};

    fn person() -> Event {
        let name = Names::tagged("أشرف شهبون", Some("ar")).unwrap();
        Event::PersonRegistered(PersonRegistered {
            person: PersonId::from_uuid(Uuid::from_u128(0x42)),
            handle: "@achraf-chahboun".parse::<Handle>().unwrap(),
            name: name.with_other("Achraf Chahboun", Some("ar-Latn")).unwrap(),
            gender: Some(Gender::Male),
        })
    }

    #[test]
    fn encodes_the_variant_fields_at_the_current_version() {
        let encoded = encode(&person());
        assert_eq!(
            (encoded.event_type, encoded.version),
            ("person_registered", 2)
        );
        assert_eq!(
            String::from_utf8(encoded.payload).unwrap(),
            r#"{"person":"00000000-0000-0000-0000-000000000042","handle":"@achraf-chahboun","name":{"text":"أشرف شهبون","lang":"ar","others":[{"text":"Achraf Chahboun","lang":"ar-Latn"}]},"gender":"male"}"#
        );
    }

    #[test]
    fn current_payloads_round_trip() {
        let encoded = encode(&person());
        let decoded = decode_parts(encoded.event_type, encoded.version, &encoded.payload).unwrap();
        assert_eq!(decoded, person());
    }

    #[test]
    fn every_domain_event_type_has_a_decoder() {
        for name in Event::TYPE_NAMES {
            let version = Event::version_of(name).unwrap();
            let got = decode_parts(name, version, b"{}").unwrap_err();
            assert!(matches!(got, CodecProblem::Payload(_)), "{name}: {got:?}");
        }
    }

    #[test]
    fn unknown_types_and_newer_versions_are_refused_with_the_fix() {
        let unknown = decode_parts("person_teleported", 1, b"{}").unwrap_err();
        assert_eq!(
            unknown.to_string(),
            "unknown event type; it was written by a newer sijill: upgrade sijill to read this log"
        );
        let newer = decode_parts("person_registered", 3, b"{}").unwrap_err();
        assert_eq!(newer, CodecProblem::NewerVersion { supported: 2 });
    }

    /// A `person_registered` v1 event exactly as a v1 writer stored it.
    const V1_STORED: &str = r#"{"position":1,"event_id":"01900000-0000-7000-8000-000000000001","recorded_at":"2016-12-12T09:30:00.000000Z","actor":"registrar","command_id":"register-chahboun","source":"Al Massae, 12 Dec 2016","tags":["00000000-0000-0000-0000-000000000042"],"type":"person_registered","v":1,"payload":{"person":"00000000-0000-0000-0000-000000000042","handle":"@achraf-chahboun","name":"أشرف شهبون","name_latin":"Achraf Chahboun","gender":"male"}}"#;

    #[tokio::test]
    async fn v1_stored_bytes_still_verify_and_decode_to_the_current_shape() {
        // Given a log whose first event was written at v1 (through the normal append path),
        let store = MemoryStore::new();
        let batch = NewBatch {
            command_id: CommandId::new("register-chahboun").unwrap(),
            actor: "registrar".into(),
            source: Some("Al Massae, 12 Dec 2016".into()),
            recorded_at: Utc.with_ymd_and_hms(2016, 12, 12, 9, 30, 0).unwrap(),
            events: vec![NewEvent {
                event_id: Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001),
                event_type: "person_registered".into(),
                version: 1,
                payload: r#"{"person":"00000000-0000-0000-0000-000000000042","handle":"@achraf-chahboun","name":"أشرف شهبون","name_latin":"Achraf Chahboun","gender":"male"}"#.as_bytes().to_vec(),
                tags: vec![Uuid::from_u128(0x42)],
            }],
        };
        store.append(batch, 0).await.unwrap();
        let stored = store.read(1, 1).await.unwrap().remove(0);
        // then its bytes are the v1 bytes, the chain verifies over them,
        assert_eq!(
            std::str::from_utf8(stored.stored_bytes()).unwrap(),
            V1_STORED
        );
        assert_eq!(
            crate::hash_to_hex(&stored.hash()),
            crate::hash_to_hex(&crate::chain_hash(&[0; 32], V1_STORED.as_bytes()))
        );
        assert!(store.verify(1, None).await.unwrap().is_ok());
        // and it decodes, through the upcaster, to today's event (without a printed-name language).
        let decoded = decode(&stored).unwrap();
        let Event::PersonRegistered(mut expected) = person() else {
            unreachable!()
        };
        expected.name = Names::new("أشرف شهبون")
            .unwrap()
            .with_other("Achraf Chahboun", Some("ar-Latn"))
            .unwrap();
        assert_eq!(decoded, Event::PersonRegistered(expected));
    }

    #[test]
    fn a_malformed_v1_payload_names_the_position_and_problem() {
        let stored = StoredEvent::from_stored(
            V1_STORED
                .replace(r#""name":"أشرف شهبون""#, r#""name":7"#)
                .into_bytes(),
            [0; 32],
            [0; 32],
        )
        .unwrap();
        assert_eq!(
            decode(&stored).unwrap_err().to_string(),
            "event at position 1 (person_registered v1): payload does not decode: v1 name must be a string, found Some(Number(7))"
        );
    }
}
