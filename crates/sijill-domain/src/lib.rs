//! sijill's domain core: what an organisational registry records, the rules it keeps, and
//! the questions it answers.
//!
//! ```text
//! Command ──decide(&Registry)──▶ Vec<Event> ──apply──▶ Registry ──queries──▶ views
//! ```
//!
//! - [`Command`] is the wire contract written by people (CLI record files, HTTP, forms);
//!   it names entities by handle or UUID.
//! - [`decide`] holds every rule and either refuses with a [`DomainError`] or returns the
//!   [`Event`]s that record the change; [`decide_batch`] does that for a batch, all or
//!   nothing.
//! - [`apply`] folds an event into the [`Registry`]; it cannot fail and holds no rule.
//! - Queries on the [`Registry`] answer "as of" a date ([`AsOf`]); "as recorded at position
//!   p" is the registry after the first p events, because the state is a pure fold.
//!
//! Architecture invariant: no IO, no clock, no randomness, no async. Time and ids come in as
//! arguments ([`Context`]), so deciding the same commands against the same state always gives
//! the same events.

pub mod date;
pub mod search;

mod apply;
pub mod command;
mod decide;
pub mod error;
pub mod event;
pub mod ids;
mod keymap;
pub mod list;
pub mod names;
pub mod query;
mod registry;
mod retract;
pub mod snapshot;
mod span;
pub mod values;

pub use apply::apply;
pub use command::Command;
pub use date::{Certainty, EdtfDate};
pub use decide::{decide, decide_batch, Context, BATCH_COMMANDS_MAX};
pub use error::{BatchError, DomainError};
pub use event::Event;
pub use ids::{
    AreaId, AssemblyId, BodyId, EntityId, EntityKind, EntityRef, Handle, IdSource, MandateId,
    PersonId, PostId, SequentialIds,
};
pub use names::{Name, Names, Note};
pub use query::AsOf;
pub use registry::{
    Abolition, Area, Assembly, AttendanceEntry, Body, Dated, Dissolution, History, Mandate,
    MandateEnd, Person, Post, Registry, Resolution, HISTORY_POSITION_MAX,
};
pub use values::{
    Appointer, AreaKind, AssemblyKind, Basis, BodyKind, Constituency, DateField, EndReason, Gender,
    Seats, Tally, Vote,
};
