//! Events: what happened, in the past tense. The log stores them; `apply` folds them into the
//! [`crate::Registry`].
//!
//! Events carry resolved ids, never handles as references (a new entity's handle is data it
//! carries). They are a versioned wire format: the store writes `type` and `v`
//! ([`Event::version`]) beside the JSON payload and upcasts old versions on read, so a
//! change to a payload's shape is a new version, never an edit of this enum alone.
//!
//! Corrections carry the value they replace (`previous`), so the log reads as an audit trail
//! without replaying it.

use serde::{Deserialize, Serialize};

use crate::date::EdtfDate;
use crate::ids::{AreaId, AssemblyId, BodyId, EntityId, Handle, MandateId, PersonId, PostId};
use crate::names::{Code, Names, Note};
use crate::values::{
    Appointer, AreaKind, AssemblyKind, Basis, BodyKind, Constituency, DateField, EndReason, Gender,
    Seats, Vote,
};

/// Everything that can happen in a registry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Event {
    AreaRegistered(AreaRegistered),
    PersonRegistered(PersonRegistered),
    BodyFounded(BodyFounded),
    BodyRenamed(BodyRenamed),
    BodyMoved(BodyMoved),
    BodyDissolved(BodyDissolved),
    PostEstablished(PostEstablished),
    PostAbolished(PostAbolished),
    AssemblyConvened(AssemblyConvened),
    AttendanceRecorded(AttendanceRecorded),
    ResolutionAdopted(ResolutionAdopted),
    MandateStarted(MandateStarted),
    MandateEnded(MandateEnded),
    NameCorrected(NameCorrected),
    DateCorrected(DateCorrected),
    ConstituencyCorrected(ConstituencyCorrected),
    EventRetracted(EventRetracted),
}

impl Event {
    /// The wire version of every event type not listed below. Bump a type's entry in
    /// [`Event::version_of`] (and add an upcaster in the store) when its payload changes.
    pub const CURRENT_VERSION: u16 = 1;

    /// Every event type name, in declaration order.
    pub const TYPE_NAMES: &'static [&'static str] = &[
        "area_registered",
        "person_registered",
        "body_founded",
        "body_renamed",
        "body_moved",
        "body_dissolved",
        "post_established",
        "post_abolished",
        "assembly_convened",
        "attendance_recorded",
        "resolution_adopted",
        "mandate_started",
        "mandate_ended",
        "name_corrected",
        "date_corrected",
        "constituency_corrected",
        "event_retracted",
    ];

    /// `person_registered` is at version 2: version 1 carried the printed name as a plain
    /// string plus an optional `name_latin` transliteration (the store's codec upcasts it).
    pub const PERSON_REGISTERED_VERSION: u16 = 2;

    /// The current wire version of an event type, or `None` for an unknown type.
    pub fn version_of(type_name: &str) -> Option<u16> {
        match type_name {
            "person_registered" => Some(Event::PERSON_REGISTERED_VERSION),
            _ => Event::TYPE_NAMES
                .contains(&type_name)
                .then_some(Event::CURRENT_VERSION),
        }
    }

    /// This event's wire version.
    pub fn version(&self) -> u16 {
        Event::version_of(self.type_name()).expect("every variant's type name is known")
    }

    /// The wire type name (`"mandate_started"`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Event::AreaRegistered(_) => "area_registered",
            Event::PersonRegistered(_) => "person_registered",
            Event::BodyFounded(_) => "body_founded",
            Event::BodyRenamed(_) => "body_renamed",
            Event::BodyMoved(_) => "body_moved",
            Event::BodyDissolved(_) => "body_dissolved",
            Event::PostEstablished(_) => "post_established",
            Event::PostAbolished(_) => "post_abolished",
            Event::AssemblyConvened(_) => "assembly_convened",
            Event::AttendanceRecorded(_) => "attendance_recorded",
            Event::ResolutionAdopted(_) => "resolution_adopted",
            Event::MandateStarted(_) => "mandate_started",
            Event::MandateEnded(_) => "mandate_ended",
            Event::NameCorrected(_) => "name_corrected",
            Event::DateCorrected(_) => "date_corrected",
            Event::ConstituencyCorrected(_) => "constituency_corrected",
            Event::EventRetracted(_) => "event_retracted",
        }
    }

    /// The entities this event concerns, without duplicates, the subject first: they become
    /// the store's tags and make up each entity's history.
    pub fn concerns(&self) -> Vec<EntityId> {
        let mut ids: Vec<EntityId> = Vec::with_capacity(6);
        let mut add = |id: EntityId| {
            if !ids.contains(&id) {
                ids.push(id);
            }
        };
        self.for_each_concern(&mut add);
        ids
    }

    /// The entity that the event creates, if it creates one.
    pub fn created(&self) -> Option<EntityId> {
        Some(match self {
            Event::AreaRegistered(e) => e.area.into(),
            Event::PersonRegistered(e) => e.person.into(),
            Event::BodyFounded(e) => e.body.into(),
            Event::PostEstablished(e) => e.post.into(),
            Event::AssemblyConvened(e) => e.assembly.into(),
            Event::MandateStarted(e) => e.mandate.into(),
            _ => return None,
        })
    }

    fn for_each_concern(&self, add: &mut impl FnMut(EntityId)) {
        match self {
            Event::AreaRegistered(e) => {
                add(e.area.into());
                if let Some(p) = e.parent {
                    add(p.into());
                }
            }
            Event::PersonRegistered(e) => add(e.person.into()),
            Event::BodyFounded(e) => {
                add(e.body.into());
                if let Some(p) = e.parent {
                    add(p.into());
                }
                if let Some(a) = e.area {
                    add(a.into());
                }
            }
            Event::BodyRenamed(e) => add(e.body.into()),
            Event::BodyMoved(e) => {
                add(e.body.into());
                if let Some(p) = e.previous_parent {
                    add(p.into());
                }
                if let Some(p) = e.parent {
                    add(p.into());
                }
            }
            Event::BodyDissolved(e) => add(e.body.into()),
            Event::PostEstablished(e) => {
                add(e.post.into());
                add(e.body.into());
            }
            Event::PostAbolished(e) => {
                add(e.post.into());
                add(e.body.into());
            }
            Event::AssemblyConvened(e) => {
                add(e.assembly.into());
                add(e.body.into());
            }
            Event::AttendanceRecorded(e) => {
                add(e.assembly.into());
                e.attendees.iter().for_each(|a| add(a.person.into()));
            }
            Event::ResolutionAdopted(e) => add(e.assembly.into()),
            Event::MandateStarted(e) => e.for_each_concern(add),
            Event::MandateEnded(e) => {
                add(e.mandate.into());
                add(e.person.into());
                add(e.post.into());
                add(e.body.into());
            }
            Event::NameCorrected(e) => add(e.entity),
            Event::DateCorrected(e) => add(e.entity),
            Event::ConstituencyCorrected(e) => {
                add(e.mandate.into());
                if let Some(c) = e.previous {
                    add(constituency_id(c));
                }
                if let Some(c) = e.constituency {
                    add(constituency_id(c));
                }
            }
            Event::EventRetracted(e) => e.entities.iter().copied().for_each(add),
        }
    }
}

pub(crate) fn constituency_id(constituency: Constituency) -> EntityId {
    match constituency {
        Constituency::Area(area) => area.into(),
        Constituency::Body(body) => body.into(),
    }
}

pub(crate) fn appointer_id(appointer: Appointer) -> EntityId {
    match appointer {
        Appointer::Person(person) => person.into(),
        Appointer::Body(body) => body.into(),
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaRegistered {
    pub area: AreaId,
    pub handle: Handle,
    pub name: Names,
    pub kind: AreaKind,
    pub parent: Option<AreaId>,
    pub code: Option<Code>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonRegistered {
    pub person: PersonId,
    pub handle: Handle,
    pub name: Names,
    pub gender: Option<Gender>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodyFounded {
    pub body: BodyId,
    pub handle: Handle,
    pub name: Names,
    pub kind: BodyKind,
    pub parent: Option<BodyId>,
    pub area: Option<AreaId>,
    pub founded_on: Option<EdtfDate>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodyRenamed {
    pub body: BodyId,
    pub name: Names,
    pub on: Option<EdtfDate>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodyMoved {
    pub body: BodyId,
    /// The parent it had before the move (as of `on`), for the audit trail.
    pub previous_parent: Option<BodyId>,
    pub parent: Option<BodyId>,
    pub on: EdtfDate,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodyDissolved {
    pub body: BodyId,
    pub on: EdtfDate,
    pub note: Option<Note>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostEstablished {
    pub post: PostId,
    pub handle: Handle,
    pub body: BodyId,
    pub title: Names,
    pub seats: Seats,
    pub established_on: Option<EdtfDate>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostAbolished {
    pub post: PostId,
    pub body: BodyId,
    pub on: EdtfDate,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssemblyConvened {
    pub assembly: AssemblyId,
    pub handle: Handle,
    pub body: BodyId,
    pub kind: AssemblyKind,
    pub ordinal: Option<u32>,
    pub held_on: EdtfDate,
    pub venue: Option<Names>,
    pub name: Option<Names>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttendanceRecorded {
    pub assembly: AssemblyId,
    pub attendees: Vec<Attendance>,
}

/// One attendee of an assembly, resolved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attendance {
    pub person: PersonId,
    pub capacity: Option<Note>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolutionAdopted {
    pub assembly: AssemblyId,
    pub title: Names,
    pub text: Option<Note>,
    pub vote: Vote,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MandateStarted {
    pub mandate: MandateId,
    pub handle: Option<Handle>,
    pub person: PersonId,
    pub post: PostId,
    /// The post's body, carried so the event alone says where the mandate is.
    pub body: BodyId,
    pub from: EdtfDate,
    pub basis: Basis<Appointer>,
    pub assembly: Option<AssemblyId>,
    pub constituency: Option<Constituency>,
}

impl MandateStarted {
    fn for_each_concern(&self, add: &mut impl FnMut(EntityId)) {
        add(self.mandate.into());
        add(self.person.into());
        add(self.post.into());
        add(self.body.into());
        if let Some(a) = self.assembly {
            add(a.into());
        }
        if let Some(c) = self.constituency {
            add(constituency_id(c));
        }
        if let Basis::Appointed { by: Some(by) } = self.basis {
            add(appointer_id(by));
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MandateEnded {
    pub mandate: MandateId,
    /// The mandate's person, post and body, carried so each one's history shows the end.
    pub person: PersonId,
    pub post: PostId,
    pub body: BodyId,
    pub on: EdtfDate,
    pub reason: EndReason,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NameCorrected {
    pub entity: EntityId,
    /// `None` only for an assembly that had no name.
    pub previous: Option<Names>,
    pub name: Names,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DateCorrected {
    pub entity: EntityId,
    pub field: DateField,
    pub previous: Option<EdtfDate>,
    pub date: EdtfDate,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConstituencyCorrected {
    pub mandate: MandateId,
    pub previous: Option<Constituency>,
    pub constituency: Option<Constituency>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventRetracted {
    /// The log position of the retracted event.
    pub position: u64,
    /// The retracted event's type, for the audit trail.
    pub retracted_type: String,
    /// The entities the retracted event concerned: the retraction shows in their history.
    pub entities: Vec<EntityId>,
    pub reason: Note,
}

macro_rules! event_from {
    ($($variant:ident),* $(,)?) => {
        $(impl From<$variant> for Event {
            fn from(event: $variant) -> Event {
                Event::$variant(event)
            }
        })*
    };
}

event_from!(
    AreaRegistered,
    PersonRegistered,
    BodyFounded,
    BodyRenamed,
    BodyMoved,
    BodyDissolved,
    PostEstablished,
    PostAbolished,
    AssemblyConvened,
    AttendanceRecorded,
    ResolutionAdopted,
    MandateStarted,
    MandateEnded,
    NameCorrected,
    DateCorrected,
    ConstituencyCorrected,
    EventRetracted,
);
