//! Corrections: a name, a date or a constituency was recorded wrongly. The correction is an
//! event; the old value stays in the log (and in the event, as `previous`).

use crate::command::{CorrectConstituency, CorrectDate, CorrectName};
use crate::date::EdtfDate;
use crate::error::DomainError;
use crate::event::{ConstituencyCorrected, DateCorrected, Event, NameCorrected};
use crate::ids::{BodyId, EntityId, EntityKind, PostId};
use crate::registry::Registry;
use crate::span::{stated_hi, stated_lo, surely_before};
use crate::values::{DateField, EndReason};

use super::checks::{after_assembly, end_not_before_start, parent_active, within_body_life};
use super::mandates::{recheck_mandate, resolve_constituency};

pub(super) fn correct_name(
    registry: &Registry,
    c: &CorrectName,
) -> Result<Vec<Event>, DomainError> {
    let entity = registry
        .resolve(&c.entity)
        .ok_or_else(|| DomainError::NotFound {
            kind: EntityKind::Person,
            reference: c.entity.to_string(),
        })?;
    if entity.kind() == EntityKind::Mandate {
        return Err(DomainError::WrongKind {
            reference: c.entity.to_string(),
            expected: "an area, a person, a body, a post or an assembly",
            found: EntityKind::Mandate,
        });
    }
    let previous = registry.name_of(entity).cloned();
    if previous.as_ref() == Some(&c.name) {
        return Err(DomainError::NothingToCorrect {
            what: format!("the name of {}", registry.label(entity)),
            value: c.name.to_string(),
        });
    }
    Ok(vec![Event::NameCorrected(NameCorrected {
        entity,
        previous,
        name: c.name.clone(),
    })])
}

pub(super) fn correct_constituency(
    registry: &Registry,
    c: &CorrectConstituency,
) -> Result<Vec<Event>, DomainError> {
    let mandate = registry.mandate_ref(&c.mandate)?;
    let constituency = c
        .constituency
        .as_ref()
        .map(|r| resolve_constituency(registry, r))
        .transpose()?;
    if constituency == mandate.constituency {
        let value = c
            .constituency
            .as_ref()
            .map_or_else(|| "none".to_owned(), ToString::to_string);
        return Err(DomainError::NothingToCorrect {
            what: format!("the constituency of {}", registry.label(mandate.id.into())),
            value,
        });
    }
    Ok(vec![Event::ConstituencyCorrected(ConstituencyCorrected {
        mandate: mandate.id,
        previous: mandate.constituency,
        constituency,
    })])
}

pub(super) fn correct_date(
    registry: &Registry,
    c: &CorrectDate,
) -> Result<Vec<Event>, DomainError> {
    let entity = registry
        .resolve(&c.entity)
        .ok_or_else(|| DomainError::NotFound {
            kind: EntityKind::Body,
            reference: c.entity.to_string(),
        })?;
    let previous = crate::apply::date_of(registry, entity, c.field);
    check_field(registry, entity, c.field)?;
    if previous == Some(c.date) {
        return Err(DomainError::NothingToCorrect {
            what: format!("`{}` of {}", c.field, registry.label(entity)),
            value: c.date.to_string(),
        });
    }
    check_date(registry, entity, c.field, &c.date)?;
    let mut events = vec![Event::DateCorrected(DateCorrected {
        entity,
        field: c.field,
        previous,
        date: c.date,
    })];
    if let (EntityId::Body(b), DateField::DissolvedOn, Some(previous)) = (entity, c.field, previous)
    {
        follow_dissolution(registry, b, &previous, &c.date, &mut events);
    }
    Ok(events)
}

/// Mandates ended by a dissolution keep ending with it when its date is corrected.
fn follow_dissolution(
    registry: &Registry,
    b: BodyId,
    previous: &EdtfDate,
    date: &EdtfDate,
    events: &mut Vec<Event>,
) {
    let Some(body) = registry.body(b) else { return };
    for m in body.mandates.iter().filter_map(|m| registry.mandate(*m)) {
        let Some(end) = &m.end else { continue };
        if end.reason == EndReason::BodyDissolved && end.on == *previous {
            events.push(Event::DateCorrected(DateCorrected {
                entity: m.id.into(),
                field: DateField::To,
                previous: Some(*previous),
                date: *date,
            }));
        }
    }
}

/// Refuses a field that the entity does not have (or does not have yet).
fn check_field(registry: &Registry, entity: EntityId, field: DateField) -> Result<(), DomainError> {
    let fields = match entity.kind() {
        EntityKind::Body => "a body's dates are `founded_on` and `dissolved_on`",
        EntityKind::Post => "a post's dates are `established_on` and `abolished_on`",
        EntityKind::Assembly => "an assembly's date is `held_on`",
        EntityKind::Mandate => "a mandate's dates are `from` and `to`",
        EntityKind::Area => "an area has no dates to correct",
        EntityKind::Person => "a person has no dates to correct",
    };
    let applies = matches!(
        (entity, field),
        (
            EntityId::Body(_),
            DateField::FoundedOn | DateField::DissolvedOn
        ) | (
            EntityId::Post(_),
            DateField::EstablishedOn | DateField::AbolishedOn
        ) | (EntityId::Assembly(_), DateField::HeldOn)
            | (EntityId::Mandate(_), DateField::From | DateField::To)
    );
    if !applies {
        return Err(DomainError::FieldNotApplicable {
            field: field.as_str(),
            kind: entity.kind(),
            fields,
        });
    }
    let label = || registry.label(entity);
    match (entity, field) {
        (EntityId::Body(b), DateField::DissolvedOn)
            if registry.body(b).is_some_and(|b| !b.is_dissolved()) =>
        {
            Err(DomainError::NotDissolved { body: label() })
        }
        (EntityId::Post(p), DateField::AbolishedOn)
            if registry.post(p).is_some_and(|p| p.abolition.is_none()) =>
        {
            Err(DomainError::NotAbolished { post: label() })
        }
        (EntityId::Mandate(m), DateField::To)
            if registry.mandate(m).is_some_and(|m| m.end.is_none()) =>
        {
            Err(DomainError::MandateNotEnded { mandate: label() })
        }
        _ => Ok(()),
    }
}

/// Every rule the entity's dates must keep, with `date` in place of the field's value.
/// Also run when a retraction would restore an old date.
pub(super) fn check_date(
    registry: &Registry,
    entity: EntityId,
    field: DateField,
    date: &EdtfDate,
) -> Result<(), DomainError> {
    match (entity, field) {
        (EntityId::Body(b), DateField::FoundedOn) => check_founded_on(registry, b, date),
        (EntityId::Body(b), DateField::DissolvedOn) => check_dissolved_on(registry, b, date),
        (EntityId::Post(p), DateField::EstablishedOn) => check_established_on(registry, p, date),
        (EntityId::Post(p), DateField::AbolishedOn) => check_abolished_on(registry, p, date),
        (EntityId::Assembly(a), DateField::HeldOn) => check_held_on(registry, a, date),
        (EntityId::Mandate(m), DateField::From) => match registry.mandate(m) {
            Some(mandate) => recheck_mandate(registry, m, date, mandate.to()),
            None => Ok(()),
        },
        (EntityId::Mandate(m), DateField::To) => match registry.mandate(m) {
            Some(mandate) => recheck_mandate(registry, m, &mandate.from, Some(date)),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

fn check_founded_on(registry: &Registry, b: BodyId, date: &EdtfDate) -> Result<(), DomainError> {
    let Some(body) = registry.body(b) else {
        return Ok(());
    };
    let founding_parent = body
        .parents
        .iter()
        .find(|s| s.position == body.recorded_at())
        .and_then(|s| s.value);
    if let Some(parent) = founding_parent.and_then(|p| registry.body(p)) {
        parent_active(registry, parent, Some(date))?;
    }
    if let Some(d) = &body.dissolution {
        end_not_before_start(|| format!("the life of {}", body.handle), date, &d.on)?;
    }
    let refuse = |what: String, when: &EdtfDate| DomainError::OutsideBodyLife {
        what,
        date: when.to_string(),
        body: body.handle.to_string(),
        life: format!("founded {date} after the correction"),
        fix: format!("correct {when} first, or give a founding date no later than it"),
    };
    for m in body.mandates.iter().filter_map(|m| registry.mandate(*m)) {
        if surely_before(&m.from, date) {
            return Err(refuse(registry.label(m.id.into()), &m.from));
        }
    }
    for a in body.assemblies.iter().filter_map(|a| registry.assembly(*a)) {
        if surely_before(&a.held_on, date) {
            return Err(refuse(format!("assembly {}", a.handle), &a.held_on));
        }
    }
    for p in body.posts.iter().filter_map(|p| registry.post(*p)) {
        if let Some(established) = p.established_on.as_ref().filter(|e| surely_before(e, date)) {
            return Err(refuse(format!("post {}", p.handle), established));
        }
    }
    Ok(())
}

fn check_dissolved_on(registry: &Registry, b: BodyId, date: &EdtfDate) -> Result<(), DomainError> {
    let Some(body) = registry.body(b) else {
        return Ok(());
    };
    if let Some(founded) = &body.founded_on {
        end_not_before_start(|| format!("the life of {}", body.handle), founded, date)?;
    }
    let previous = body.dissolution.as_ref().map(|d| d.on);
    let refuse = |what: String, when: &EdtfDate| DomainError::OutsideBodyLife {
        what,
        date: when.to_string(),
        body: body.handle.to_string(),
        life: format!("dissolved {date} after the correction"),
        fix: format!("correct {when} first, or give a dissolution date no earlier than it"),
    };
    for m in body.mandates.iter().filter_map(|m| registry.mandate(*m)) {
        // Ends caused by the dissolution follow it (see `follow_dissolution`).
        let follows = m
            .end
            .as_ref()
            .is_some_and(|e| e.reason == EndReason::BodyDissolved && Some(e.on) == previous);
        if stated_lo(&m.from) >= stated_hi(date) && stated_hi(date) != crate::span::POS {
            return Err(refuse(registry.label(m.id.into()), &m.from));
        }
        if follows {
            end_not_before_start(|| registry.label(m.id.into()), &m.from, date)?;
        } else if let Some(to) = m.to().filter(|to| surely_before(date, to)) {
            return Err(refuse(
                format!("the end of {}", registry.label(m.id.into())),
                to,
            ));
        }
    }
    for a in body.assemblies.iter().filter_map(|a| registry.assembly(*a)) {
        if stated_lo(&a.held_on) > stated_hi(date) {
            return Err(refuse(format!("assembly {}", a.handle), &a.held_on));
        }
    }
    Ok(())
}

fn check_established_on(
    registry: &Registry,
    p: PostId,
    date: &EdtfDate,
) -> Result<(), DomainError> {
    let Some(post) = registry.post(p) else {
        return Ok(());
    };
    if let Some(body) = registry.body(post.body) {
        let what = || format!("the establishment of {}", post.handle);
        within_body_life(registry, body, &what, date, None)?;
    }
    if let Some(a) = &post.abolition {
        end_not_before_start(|| format!("the life of {}", post.handle), date, &a.on)?;
    }
    for m in post.mandates().filter_map(|m| registry.mandate(m)) {
        if surely_before(&m.from, date) {
            return Err(DomainError::OutsidePostLife {
                what: registry.label(m.id.into()),
                date: m.from.to_string(),
                post: post.handle.to_string(),
                life: format!("established {date} after the correction"),
                fix: format!(
                    "correct the mandate's start first, or give a date no later than {}",
                    m.from
                ),
            });
        }
    }
    Ok(())
}

fn check_abolished_on(registry: &Registry, p: PostId, date: &EdtfDate) -> Result<(), DomainError> {
    let Some(post) = registry.post(p) else {
        return Ok(());
    };
    if let Some(established) = &post.established_on {
        end_not_before_start(|| format!("the life of {}", post.handle), established, date)?;
    }
    let running: Vec<String> = post
        .mandates()
        .filter_map(|m| registry.mandate(m))
        .filter(|m| m.to().is_none_or(|to| surely_before(date, to)))
        .map(|m| registry.label(m.id.into()))
        .collect();
    if !running.is_empty() {
        return Err(DomainError::MandatesRunPast {
            post: post.handle.to_string(),
            on: date.to_string(),
            mandates: running.join(", "),
        });
    }
    Ok(())
}

fn check_held_on(
    registry: &Registry,
    a: crate::AssemblyId,
    date: &EdtfDate,
) -> Result<(), DomainError> {
    let Some(assembly) = registry.assembly(a) else {
        return Ok(());
    };
    if let Some(body) = registry.body(assembly.body) {
        if let Some(founded) = body.founded_on.as_ref().filter(|f| surely_before(date, f)) {
            return Err(DomainError::OutsideBodyLife {
                what: format!("assembly {}", assembly.handle),
                date: date.to_string(),
                body: body.handle.to_string(),
                life: super::checks::body_life(body),
                fix: format!("give a date on or after {founded}"),
            });
        }
    }
    let moved = crate::registry::Assembly {
        held_on: *date,
        ..assembly.clone()
    };
    for m in assembly
        .mandates()
        .iter()
        .filter_map(|m| registry.mandate(*m))
    {
        let what = || registry.label(m.id.into());
        after_assembly(registry, &moved, &what, &m.from)?;
    }
    Ok(())
}
