//! The engine's answer types (the domain's own query results are used as they are).

use serde::{Deserialize, Serialize};
use sijill_domain::names::{Code, Note};
use sijill_domain::query::{MandateView, Ref, RosterEntry};
use sijill_domain::{AreaKind, AssemblyKind, BodyKind, EdtfDate, Gender, Names, Seats, Vote};

use crate::HistoryEntry;

/// One page of a list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paged<T> {
    pub offset: usize,
    pub limit: usize,
    /// Items in the whole list.
    pub total: usize,
    pub items: Vec<T>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BodySummary {
    pub body: Ref,
    pub kind: BodyKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<Ref>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub founded_on: Option<EdtfDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dissolved_on: Option<EdtfDate>,
}

/// A name a body took from a date (`None`: from its unknown founding).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatedName {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<EdtfDate>,
    pub name: Names,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostView {
    pub post: Ref,
    pub seats: Seats,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub established_on: Option<EdtfDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abolished_on: Option<EdtfDate>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BodyDetail {
    #[serde(flatten)]
    pub summary: BodySummary,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<Ref>,
    pub names: Vec<DatedName>,
    pub posts: Vec<PostView>,
    pub children: Vec<Ref>,
    pub assemblies: Vec<Ref>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterAnswer {
    pub body: Ref,
    pub entries: Vec<RosterEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonSummary {
    pub person: Ref,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<Gender>,
    /// Mandates held or ever held.
    pub mandates: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonDetail {
    pub person: Ref,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<Gender>,
    pub mandates: Vec<MandateView>,
    pub attended: Vec<Ref>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AreaSummary {
    pub area: Ref,
    pub kind: AreaKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<Ref>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<Code>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssemblySummary {
    pub assembly: Ref,
    pub body: Ref,
    pub kind: AssemblyKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ordinal: Option<u32>,
    pub held_on: EdtfDate,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attendee {
    pub person: Ref,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<Note>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolutionView {
    pub title: Names,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<Note>,
    pub vote: Vote,
    /// Where the log records it.
    pub position: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssemblyDetail {
    #[serde(flatten)]
    pub summary: AssemblySummary,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venue: Option<Names>,
    pub attendance: Vec<Attendee>,
    pub resolutions: Vec<ResolutionView>,
    /// Mandates decided at the assembly.
    pub mandates: Vec<MandateView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryAnswer {
    pub entity: Ref,
    pub entries: Vec<HistoryEntry>,
    /// Where the next page starts, when there is more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<u64>,
}

/// How an entity came to be what the registry says, and on whose record.
// Built once per query and moved a few times: boxing would only make matching noisier.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audit {
    Mandate(MandateAudit),
    Person(PersonAudit),
}

/// A mandate's basis (with the vote), assembly and constituency, and every stored event
/// that shaped it: who recorded it, when, from which source, corrections and retractions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MandateAudit {
    pub mandate: MandateView,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assembly: Option<AssemblyDetail>,
    pub provenance: Vec<HistoryEntry>,
    /// False when the provenance was cut at `HISTORY_PAGE_MAX` entries (use `history`).
    pub provenance_complete: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PersonAudit {
    pub person: Ref,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<Gender>,
    pub mandates: Vec<MandateAudit>,
    /// The events that concern the person directly (registration, name corrections, ...).
    pub provenance: Vec<HistoryEntry>,
    pub provenance_complete: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogAnswer {
    pub entries: Vec<HistoryEntry>,
    /// Where the next page starts, when there is more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Events in the log (as recorded at the position asked).
    pub events: u64,
    /// Hex hash of the last event of the store's log (the chain's head), `None` when empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_hash: Option<String>,
    pub areas: usize,
    pub persons: usize,
    pub bodies: usize,
    pub posts: usize,
    pub assemblies: usize,
    pub mandates: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyAnswer {
    pub from: u64,
    pub to: u64,
    pub checked: u64,
    pub ok: bool,
    /// The first position that does not verify, and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_bad: Option<BadLink>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadLink {
    pub position: u64,
    pub problem: String,
}
