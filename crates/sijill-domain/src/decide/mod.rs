//! `decide`: every rule of the registry. Pure: the same state, command and context always
//! give the same events or the same refusal.
//!
//! One submodule per family of commands; `checks` holds the date rules they share (seats,
//! the same post twice, lives of bodies and posts, assembly dates). Rules look entities up
//! through the registry's indexes (by post, by body, by person), never by scanning every
//! mandate, so deciding stays fast on a national registry.

mod bodies;
mod checks;
mod corrections;
mod mandates;
mod meetings;
mod retraction;

use chrono::{DateTime, Utc};

use crate::command::Command;
use crate::error::{BatchError, DomainError};
use crate::event::Event;
use uuid::Uuid;

use crate::ids::{EntityId, EntityKind, EntityRef, Handle, IdSource};
use crate::registry::{Area, Assembly, Body, Mandate, Person, Post, Registry};

/// Most commands in one batch.
pub const BATCH_COMMANDS_MAX: usize = 10_000;

/// What `decide` needs from outside: when the command is recorded, and where new ids come
/// from. The domain has no clock and mints no ids of its own.
pub struct Context<'a> {
    pub recorded_at: DateTime<Utc>,
    pub ids: &'a mut dyn IdSource,
}

impl<'a> Context<'a> {
    pub fn new(recorded_at: DateTime<Utc>, ids: &'a mut dyn IdSource) -> Context<'a> {
        Context { recorded_at, ids }
    }
}

/// Decides one command against `registry`: the events that record it, or the rule it breaks.
pub fn decide(
    registry: &Registry,
    command: &Command,
    ctx: &mut Context<'_>,
) -> Result<Vec<Event>, DomainError> {
    match command {
        Command::RegisterArea(c) => bodies::register_area(registry, c, ctx),
        Command::RegisterPerson(c) => bodies::register_person(registry, c, ctx),
        Command::FoundBody(c) => bodies::found_body(registry, c, ctx),
        Command::RenameBody(c) => bodies::rename_body(registry, c),
        Command::MoveBody(c) => bodies::move_body(registry, c),
        Command::DissolveBody(c) => bodies::dissolve_body(registry, c),
        Command::EstablishPost(c) => bodies::establish_post(registry, c, ctx),
        Command::AbolishPost(c) => bodies::abolish_post(registry, c),
        Command::ConveneAssembly(c) => meetings::convene_assembly(registry, c, ctx),
        Command::RecordAttendance(c) => meetings::record_attendance(registry, c),
        Command::AdoptResolution(c) => meetings::adopt_resolution(registry, c),
        Command::StartMandate(c) => mandates::start_mandate(registry, c, ctx),
        Command::EndMandate(c) => mandates::end_mandate(registry, c),
        Command::CorrectName(c) => corrections::correct_name(registry, c),
        Command::CorrectDate(c) => corrections::correct_date(registry, c),
        Command::CorrectConstituency(c) => corrections::correct_constituency(registry, c),
        Command::RetractEvent(c) => retraction::retract_event(registry, c),
    }
}

/// Decides a batch in order, each command against the state the previous ones left, all or
/// nothing. Returns the events and the evolved state (the input state is untouched).
// A refused batch is the rare path; its error is returned once, so its size does not matter.
#[allow(clippy::result_large_err)]
pub fn decide_batch(
    registry: &Registry,
    commands: &[Command],
    ctx: &mut Context<'_>,
) -> Result<(Vec<Event>, Registry), BatchError> {
    if commands.len() > BATCH_COMMANDS_MAX {
        let error = DomainError::BatchTooLarge {
            max: BATCH_COMMANDS_MAX,
        };
        return Err(BatchError {
            index: BATCH_COMMANDS_MAX,
            command: commands[BATCH_COMMANDS_MAX].name(),
            error,
        });
    }
    let mut state = registry.clone();
    let mut events = Vec::with_capacity(commands.len());
    for (index, command) in commands.iter().enumerate() {
        let decided = decide(&state, command, ctx).map_err(|error| BatchError {
            index,
            command: command.name(),
            error,
        })?;
        for event in &decided {
            crate::apply(&mut state, event);
        }
        events.extend(decided);
    }
    Ok((events, state))
}

/// Looking entities up by what a person typed, with errors that say what was expected.
impl Registry {
    pub(crate) fn resolve_as(
        &self,
        reference: &EntityRef,
        kind: EntityKind,
    ) -> Result<EntityId, DomainError> {
        let found = self
            .resolve(reference)
            .ok_or_else(|| DomainError::NotFound {
                kind,
                reference: reference.to_string(),
            })?;
        if found.kind() != kind {
            return Err(DomainError::WrongKind {
                reference: reference.to_string(),
                expected: article(kind),
                found: found.kind(),
            });
        }
        Ok(found)
    }

    pub(crate) fn area_ref(&self, r: &EntityRef) -> Result<&Area, DomainError> {
        match self.resolve_as(r, EntityKind::Area)? {
            EntityId::Area(id) => self.area(id).ok_or_else(|| not_found(r, EntityKind::Area)),
            _ => Err(not_found(r, EntityKind::Area)),
        }
    }

    pub(crate) fn person_ref(&self, r: &EntityRef) -> Result<&Person, DomainError> {
        match self.resolve_as(r, EntityKind::Person)? {
            EntityId::Person(id) => self
                .person(id)
                .ok_or_else(|| not_found(r, EntityKind::Person)),
            _ => Err(not_found(r, EntityKind::Person)),
        }
    }

    pub(crate) fn body_ref(&self, r: &EntityRef) -> Result<&Body, DomainError> {
        match self.resolve_as(r, EntityKind::Body)? {
            EntityId::Body(id) => self.body(id).ok_or_else(|| not_found(r, EntityKind::Body)),
            _ => Err(not_found(r, EntityKind::Body)),
        }
    }

    pub(crate) fn post_ref(&self, r: &EntityRef) -> Result<&Post, DomainError> {
        match self.resolve_as(r, EntityKind::Post)? {
            EntityId::Post(id) => self.post(id).ok_or_else(|| not_found(r, EntityKind::Post)),
            _ => Err(not_found(r, EntityKind::Post)),
        }
    }

    pub(crate) fn assembly_ref(&self, r: &EntityRef) -> Result<&Assembly, DomainError> {
        match self.resolve_as(r, EntityKind::Assembly)? {
            EntityId::Assembly(id) => self
                .assembly(id)
                .ok_or_else(|| not_found(r, EntityKind::Assembly)),
            _ => Err(not_found(r, EntityKind::Assembly)),
        }
    }

    pub(crate) fn mandate_ref(&self, r: &EntityRef) -> Result<&Mandate, DomainError> {
        match self.resolve_as(r, EntityKind::Mandate)? {
            EntityId::Mandate(id) => self
                .mandate(id)
                .ok_or_else(|| not_found(r, EntityKind::Mandate)),
            _ => Err(not_found(r, EntityKind::Mandate)),
        }
    }

    /// Refuses a handle already in use.
    pub(crate) fn check_handle_free(&self, handle: &Handle) -> Result<(), DomainError> {
        match self.by_handle(handle) {
            Some(taken) => Err(DomainError::HandleTaken {
                handle: handle.to_string(),
                taken_by: article(taken.kind()),
            }),
            None => Ok(()),
        }
    }

    /// A fresh id of `kind` from the context, refused if it already names anything (even
    /// a retracted entity, whose history it would otherwise inherit).
    pub(crate) fn mint(
        &self,
        ctx: &mut Context<'_>,
        kind: EntityKind,
    ) -> Result<Uuid, DomainError> {
        let uuid = ctx.ids.next_uuid();
        let id = EntityId::new(kind, uuid);
        // Only the same kind is checked: the id source mints UUIDv7, and ruling out a clash
        // across kinds would cost five more lookups per new entity.
        let used = (self.exists(id) || self.tombstones.contains_key(&id)).then_some(id);
        match used {
            Some(taken) => Err(DomainError::IdTaken {
                uuid: uuid.to_string(),
                taken_by: article(taken.kind()),
            }),
            None => Ok(uuid),
        }
    }
}

fn not_found(reference: &EntityRef, kind: EntityKind) -> DomainError {
    DomainError::NotFound {
        kind,
        reference: reference.to_string(),
    }
}

/// "a person", "an area": how errors name the kind that was expected.
pub(crate) fn article(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::Area => "an area",
        EntityKind::Body => "a body",
        EntityKind::Post => "a post",
        EntityKind::Person => "a person",
        EntityKind::Assembly => "an assembly",
        EntityKind::Mandate => "a mandate",
    }
}
