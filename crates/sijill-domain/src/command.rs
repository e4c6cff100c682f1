//! Commands: what a registrar asks the registry to record.
//!
//! [`Command`] is the one wire contract shared by the CLI's record files (TOML or JSON), the
//! HTTP API and the web forms. It is written by hand, so it refers to entities the way people
//! do: by handle (`@khemisset-coordination`) or UUID ([`EntityRef`]); a new entity carries its
//! own handle. Unknown fields are refused, so a typo is an error rather than a silent default.
//!
//! ```toml
//! [[command]]
//! command = "start_mandate"
//! person = "@achraf-chahboun"
//! post = "@khemisset-coordinator"
//! from = "2016-12-11/2017-01-31"
//! basis = "elected_unanimously"
//! assembly = "@khemisset-founding-assembly"
//! constituency = "@maaziz"
//! ```
//!
//! `docs/events.md` catalogues every command with its rules and a JSON example.

use serde::{Deserialize, Serialize};

use crate::date::EdtfDate;
use crate::ids::{EntityRef, Handle};
use crate::names::{Code, Names, Note};
use crate::values::{
    AreaKind, AssemblyKind, Basis, BodyKind, DateField, EndReason, Gender, Seats, Vote,
};

/// Most attendees in one `record_attendance` command.
pub const ATTENDEES_MAX: usize = 1_000;

/// Everything a registrar can record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    RegisterArea(RegisterArea),
    RegisterPerson(RegisterPerson),
    FoundBody(FoundBody),
    RenameBody(RenameBody),
    MoveBody(MoveBody),
    DissolveBody(DissolveBody),
    EstablishPost(EstablishPost),
    AbolishPost(AbolishPost),
    ConveneAssembly(ConveneAssembly),
    RecordAttendance(RecordAttendance),
    AdoptResolution(AdoptResolution),
    StartMandate(StartMandate),
    EndMandate(EndMandate),
    CorrectName(CorrectName),
    CorrectDate(CorrectDate),
    CorrectConstituency(CorrectConstituency),
    RetractEvent(RetractEvent),
}

impl Command {
    /// The wire name (`"start_mandate"`), for messages and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Command::RegisterArea(_) => "register_area",
            Command::RegisterPerson(_) => "register_person",
            Command::FoundBody(_) => "found_body",
            Command::RenameBody(_) => "rename_body",
            Command::MoveBody(_) => "move_body",
            Command::DissolveBody(_) => "dissolve_body",
            Command::EstablishPost(_) => "establish_post",
            Command::AbolishPost(_) => "abolish_post",
            Command::ConveneAssembly(_) => "convene_assembly",
            Command::RecordAttendance(_) => "record_attendance",
            Command::AdoptResolution(_) => "adopt_resolution",
            Command::StartMandate(_) => "start_mandate",
            Command::EndMandate(_) => "end_mandate",
            Command::CorrectName(_) => "correct_name",
            Command::CorrectDate(_) => "correct_date",
            Command::CorrectConstituency(_) => "correct_constituency",
            Command::RetractEvent(_) => "retract_event",
        }
    }
}

/// Register an area (region, province, commune), optionally inside a parent area.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterArea {
    pub handle: Handle,
    pub name: Names,
    pub kind: AreaKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<EntityRef>,
    /// The official code, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<Code>,
}

/// Register a person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterPerson {
    pub handle: Handle,
    pub name: Names,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<Gender>,
}

/// Found a body (or record one that exists outside the registry's organisation, such as a
/// chamber or a commune council), optionally under a parent body and tied to an area.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FoundBody {
    pub handle: Handle,
    pub name: Names,
    pub kind: BodyKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<EntityRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<EntityRef>,
    /// Unknown founding dates are left out: the body then counts as existing at any date
    /// before its dissolution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub founded_on: Option<EdtfDate>,
}

/// A body takes a new name from a date (a real change; to fix a misspelling use
/// `correct_name`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenameBody {
    pub body: EntityRef,
    pub name: Names,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on: Option<EdtfDate>,
}

/// A body moves under another parent (or becomes a root, with no `parent`) from a date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveBody {
    pub body: EntityRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<EntityRef>,
    pub on: EdtfDate,
}

/// Dissolve a body. Its open mandates end on the same date with reason `body_dissolved`.
/// Refused while it has active sub-bodies, unless `cascade` is true, which dissolves them
/// too (deepest first).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DissolveBody {
    pub body: EntityRef,
    pub on: EdtfDate,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cascade: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Note>,
}

/// Establish a post in a body. It exists even while vacant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EstablishPost {
    pub handle: Handle,
    pub body: EntityRef,
    pub title: Names,
    /// A number, or `"unlimited"` (the default).
    #[serde(default)]
    pub seats: Seats,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub established_on: Option<EdtfDate>,
}

/// Abolish a post from a date. Refused while mandates on it run past that date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AbolishPost {
    pub post: EntityRef,
    pub on: EdtfDate,
}

/// Record an assembly of a body: a congress, a founding general assembly, a council session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConveneAssembly {
    pub handle: Handle,
    pub body: EntityRef,
    pub kind: AssemblyKind,
    /// The session's number, as in "the 7th session of the Central Committee".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ordinal: Option<u32>,
    pub held_on: EdtfDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venue: Option<Names>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Names>,
}

/// Record who attended an assembly, and in what capacity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordAttendance {
    pub assembly: EntityRef,
    pub attendees: Vec<Attendee>,
}

/// One attendee: the person, and the capacity they attended in ("member of the Political
/// Bureau", "opened the assembly as provincial secretary").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attendee {
    pub person: EntityRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<Note>,
}

/// Record a resolution an assembly adopted, with its vote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdoptResolution {
    pub assembly: EntityRef,
    pub title: Names,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<Note>,
    pub vote: Vote,
}

/// A person starts holding a post: elected, chosen by consensus, appointed, co-opted or ex
/// officio. The body is the post's body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartMandate {
    /// Optional: mandates are usually reached through their person or post.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle: Option<Handle>,
    pub person: EntityRef,
    pub post: EntityRef,
    pub from: EdtfDate,
    pub basis: Basis<EntityRef>,
    /// The assembly where it was decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assembly: Option<EntityRef>,
    /// The area (commune) or body (chamber) the holder represents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constituency: Option<EntityRef>,
}

/// A mandate ends on a date, for a reason. The end is exclusive: a successor may start on
/// the same day without exceeding the post's seats.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndMandate {
    pub mandate: EntityRef,
    pub on: EdtfDate,
    pub reason: EndReason,
}

/// Fix a mistake in an entity's name (its current name, for a renamed body). The old name
/// stays in the log and the audit trail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrectName {
    pub entity: EntityRef,
    pub name: Names,
}

/// Fix a mistaken date: a body's `founded_on` / `dissolved_on`, a post's `established_on` /
/// `abolished_on`, an assembly's `held_on`, a mandate's `from` / `to`. Every rule is checked
/// again with the new date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrectDate {
    pub entity: EntityRef,
    pub field: DateField,
    pub date: EdtfDate,
}

/// Fix the constituency a mandate's holder represents (leave it out to clear it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrectConstituency {
    pub mandate: EntityRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constituency: Option<EntityRef>,
}

/// Retract the event at a log position: it stays in the log, but no longer shapes the state.
/// Refused while later events depend on it (they are named; retract them first, latest
/// first, possibly in the same batch).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetractEvent {
    pub position: u64,
    pub reason: Note,
}

macro_rules! command_from {
    ($($variant:ident),* $(,)?) => {
        $(impl From<$variant> for Command {
            fn from(command: $variant) -> Command {
                Command::$variant(command)
            }
        })*
    };
}

command_from!(
    RegisterArea,
    RegisterPerson,
    FoundBody,
    RenameBody,
    MoveBody,
    DissolveBody,
    EstablishPost,
    AbolishPost,
    ConveneAssembly,
    RecordAttendance,
    AdoptResolution,
    StartMandate,
    EndMandate,
    CorrectName,
    CorrectDate,
    CorrectConstituency,
    RetractEvent,
);
