//! Why `decide` refuses a command.
//!
//! Every message names the entities by handle (or UUID when an entity has none) and says what
//! would make the command valid. Entities and dates are carried as display strings: an error
//! is for a person to read, and must not borrow the registry it was decided against.

use crate::ids::EntityKind;
use crate::names::TextError;

/// A rule that a command breaks. Lowercase messages, no trailing period.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("no {kind} `{reference}` in the registry: check the handle, or register it first")]
    NotFound { kind: EntityKind, reference: String },

    #[error("`{reference}` is a {found}, but {expected} is needed here")]
    WrongKind {
        reference: String,
        expected: &'static str,
        found: EntityKind,
    },

    #[error("handle `{handle}` is already taken by {taken_by}: choose another handle")]
    HandleTaken {
        handle: String,
        taken_by: &'static str,
    },

    #[error("the id source produced {uuid}, which already names {taken_by}: ids must be unique")]
    IdTaken {
        uuid: String,
        taken_by: &'static str,
    },

    #[error("{0}")]
    Text(#[from] TextError),

    #[error("parent {parent} is not active on {date}: {why}; {fix}")]
    ParentNotActive {
        parent: String,
        date: String,
        why: String,
        fix: String,
    },

    #[error(
        "moving {body} under {parent} would make a cycle ({parent} is inside {body} from {date}): \
         choose a parent outside {body}"
    )]
    Cycle {
        body: String,
        parent: String,
        date: String,
    },

    #[error(
        "post {post} has {seats} seat(s), and on {date} it {would} held by {holders}{uncertain}: \
         end a mandate first, or give more precise dates"
    )]
    SeatsExceeded {
        post: String,
        seats: u32,
        date: String,
        would: &'static str,
        holders: String,
        uncertain: &'static str,
    },

    #[error(
        "{person} already holds {post} ({mandate}, {dates}){uncertain}: \
         a person never holds the same post twice at once; end that mandate first"
    )]
    AlreadyHolds {
        person: String,
        post: String,
        mandate: String,
        dates: String,
        uncertain: &'static str,
    },

    #[error("{what} ({date}) falls outside the life of {body} ({life}): {fix}")]
    OutsideBodyLife {
        what: String,
        date: String,
        body: String,
        life: String,
        fix: String,
    },

    #[error("{body} was dissolved on {on} and takes no new {what}: {fix}")]
    BodyDissolved {
        body: String,
        on: String,
        what: &'static str,
        fix: String,
    },

    #[error("{post} was abolished on {on} and takes no new mandates: record the mandate on another post")]
    PostAbolished { post: String, on: String },

    #[error("{what} ({date}) falls outside the life of post {post} ({life}): {fix}")]
    OutsidePostLife {
        what: String,
        date: String,
        post: String,
        life: String,
        fix: String,
    },

    #[error("{what} ({date}) is before assembly {assembly} ({held_on}) that decided it: {fix}")]
    AssemblyDate {
        what: String,
        date: String,
        assembly: String,
        held_on: String,
        fix: String,
    },

    #[error(
        "{what} ends on {end}, before it starts on {start}: give an end on or after the start"
    )]
    EndBeforeStart {
        what: String,
        start: String,
        end: String,
    },

    #[error(
        "{mandate} already ended on {on}: to change that date use correct_date with field `to`"
    )]
    MandateAlreadyEnded { mandate: String, on: String },

    #[error("{mandate} has not ended, so it has no `to` date to correct: end it with end_mandate")]
    MandateNotEnded { mandate: String },

    #[error("{body} was already dissolved on {on}: to change that date use correct_date with field `dissolved_on`")]
    AlreadyDissolved { body: String, on: String },

    #[error("{body} is not dissolved, so it has no `dissolved_on` date to correct")]
    NotDissolved { body: String },

    #[error("{post} was already abolished on {on}: to change that date use correct_date with field `abolished_on`")]
    AlreadyAbolished { post: String, on: String },

    #[error("{post} is not abolished, so it has no `abolished_on` date to correct")]
    NotAbolished { post: String },

    #[error(
        "{body} has active sub-bodies ({children}): dissolve them first, or set `cascade = true` \
         to dissolve them with it"
    )]
    ActiveSubBodies { body: String, children: String },

    #[error("{post} still has mandates on {on} ({mandates}): end them before abolishing the post")]
    MandatesRunPast {
        post: String,
        on: String,
        mandates: String,
    },

    #[error("field `{field}` does not apply to a {kind}: {fields}")]
    FieldNotApplicable {
        field: &'static str,
        kind: EntityKind,
        fields: &'static str,
    },

    #[error("{what} is already {value}: nothing to correct")]
    NothingToCorrect { what: String, value: String },

    #[error("a majority needs more votes for than against (for {votes_for}, against {against})")]
    NotAMajority { votes_for: u32, against: u32 },

    #[error("a tally counts at most {max} votes per column")]
    TooManyVotes { max: u32 },

    #[error("attendance lists 1 to {max} people; this one lists {count}: split it into several commands")]
    AttendanceSize { count: usize, max: usize },

    #[error("{person} is already recorded as attending {assembly}")]
    AlreadyAttended { person: String, assembly: String },

    #[error("no event at position {position}: the log ends at {head}")]
    NoSuchPosition { position: u64, head: u64 },

    #[error("the event at position {position} was already retracted at position {by}")]
    AlreadyRetracted { position: u64, by: u64 },

    #[error("the event at position {position} is a retraction, which cannot be retracted: record the fact again instead")]
    RetractRetraction { position: u64 },

    #[error("the {type_name} at position {position} cannot be retracted while later events depend on it: {dependants}; retract those first, latest first")]
    HasDependants {
        position: u64,
        type_name: &'static str,
        dependants: String,
    },

    #[error("retracting position {position} would break a rule: {rule}")]
    RetractionBreaksRule {
        position: u64,
        rule: Box<DomainError>,
    },

    #[error("a batch holds at most {max} commands; split it")]
    BatchTooLarge { max: usize },
}

impl DomainError {
    /// A short, stable name for the rule (used by the HTTP API and tests).
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::NotFound { .. } => "not_found",
            DomainError::WrongKind { .. } => "wrong_kind",
            DomainError::HandleTaken { .. } => "handle_taken",
            DomainError::IdTaken { .. } => "id_taken",
            DomainError::Text(_) => "invalid_text",
            DomainError::ParentNotActive { .. } => "parent_not_active",
            DomainError::Cycle { .. } => "cycle",
            DomainError::SeatsExceeded { .. } => "seats_exceeded",
            DomainError::AlreadyHolds { .. } => "already_holds",
            DomainError::OutsideBodyLife { .. } => "outside_body_life",
            DomainError::BodyDissolved { .. } => "body_dissolved",
            DomainError::PostAbolished { .. } => "post_abolished",
            DomainError::OutsidePostLife { .. } => "outside_post_life",
            DomainError::AssemblyDate { .. } => "assembly_date",
            DomainError::EndBeforeStart { .. } => "end_before_start",
            DomainError::MandateAlreadyEnded { .. } => "mandate_already_ended",
            DomainError::MandateNotEnded { .. } => "mandate_not_ended",
            DomainError::AlreadyDissolved { .. } => "already_dissolved",
            DomainError::NotDissolved { .. } => "not_dissolved",
            DomainError::AlreadyAbolished { .. } => "already_abolished",
            DomainError::NotAbolished { .. } => "not_abolished",
            DomainError::ActiveSubBodies { .. } => "active_sub_bodies",
            DomainError::MandatesRunPast { .. } => "mandates_run_past",
            DomainError::FieldNotApplicable { .. } => "field_not_applicable",
            DomainError::NothingToCorrect { .. } => "nothing_to_correct",
            DomainError::NotAMajority { .. } => "not_a_majority",
            DomainError::TooManyVotes { .. } => "too_many_votes",
            DomainError::AttendanceSize { .. } => "attendance_size",
            DomainError::AlreadyAttended { .. } => "already_attended",
            DomainError::NoSuchPosition { .. } => "no_such_position",
            DomainError::AlreadyRetracted { .. } => "already_retracted",
            DomainError::RetractRetraction { .. } => "retract_retraction",
            DomainError::HasDependants { .. } => "has_dependants",
            DomainError::RetractionBreaksRule { .. } => "retraction_breaks_rule",
            DomainError::BatchTooLarge { .. } => "batch_too_large",
        }
    }

    /// Whether the command named something that does not exist (HTTP 404 rather than 422).
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            DomainError::NotFound { .. } | DomainError::NoSuchPosition { .. }
        )
    }
}

/// A batch failed: the command at `index` (from 0) broke a rule; nothing was decided.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("command {index} ({command}): {error}")]
pub struct BatchError {
    pub index: usize,
    /// The failing command's wire name (`"start_mandate"`).
    pub command: &'static str,
    pub error: DomainError,
}
