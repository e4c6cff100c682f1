//! Retracting an event: allowed only when no later live event depends on it, and when the
//! state without it still keeps every rule.
//!
//! What "depends" means, by what the retracted event did:
//! - it created an entity: any later event that concerns that entity;
//! - it renamed a body or corrected a name: later name changes of the same entity;
//! - it moved a body: later moves of the same body, and a later dissolution of the parent it
//!   would return to; the restored parent must not make a cycle;
//! - it dissolved a body: later corrections of its date, and a later dissolution of a body
//!   above it (which relied on it being dissolved); the mandate ends the dissolution caused
//!   are not dependants but consequences, retracted with it (the mandates reopen);
//! - it abolished a post: later corrections of the abolition date;
//! - it ended a mandate: later corrections of that end, a later dissolution of its body or
//!   abolition of its post; the reopened mandate must still fit the post's seats;
//! - it corrected a date or a constituency: later corrections of the same field; the
//!   restored date must still keep every rule (a corrected dissolution date takes back the
//!   end dates that followed it).
//!
//! Retractions themselves cannot be retracted: record the fact again instead.

use crate::command::RetractEvent;
use crate::error::DomainError;
use crate::event::{Event, EventRetracted};
use crate::ids::{BodyId, EntityId, MandateId};
use crate::query::find_cycle;
use crate::registry::{Effect, Registry};
use crate::values::{DateField, EndReason};

use super::corrections::check_date;
use super::mandates::recheck_mandate;

pub(super) fn retract_event(
    registry: &Registry,
    c: &RetractEvent,
) -> Result<Vec<Event>, DomainError> {
    let position = c.position;
    let Some(effect) = registry.effect_at(position) else {
        return Err(DomainError::NoSuchPosition {
            position,
            head: registry.position(),
        });
    };
    if let Some(by) = registry.retracted_by(position) {
        return Err(DomainError::AlreadyRetracted { position, by });
    }
    if matches!(effect, Effect::Retraction) {
        return Err(DomainError::RetractRetraction { position });
    }
    let consequences = consequences(registry, position, effect);
    let dependants: Vec<u64> = dependants(registry, position, effect)
        .into_iter()
        .filter(|p| !consequences.contains(p))
        .collect();
    if !dependants.is_empty() {
        let shown: Vec<String> = dependants.iter().map(|p| describe(registry, *p)).collect();
        return Err(DomainError::HasDependants {
            position,
            type_name: effect.type_name(),
            dependants: shown.join(", "),
        });
    }
    still_valid_without(registry, position, effect, &consequences).map_err(|rule| {
        DomainError::RetractionBreaksRule {
            position,
            rule: Box::new(rule),
        }
    })?;
    let retraction = |p: u64| {
        let type_name = registry.type_at(p).unwrap_or("unknown");
        Event::EventRetracted(EventRetracted {
            position: p,
            retracted_type: type_name.to_owned(),
            entities: crate::retract::concerns_at(registry, p),
            reason: c.reason.clone(),
        })
    };
    let mut events: Vec<Event> = consequences.iter().rev().map(|p| retraction(*p)).collect();
    events.push(retraction(position));
    Ok(events)
}

/// Later events that the retracted one caused in the same decision, retracted with it:
/// the mandate ends a dissolution caused, and the end dates that followed a corrected
/// dissolution date. Ascending positions.
fn consequences(registry: &Registry, position: u64, effect: Effect) -> Vec<u64> {
    match effect {
        Effect::Dissolved(b) => {
            let ends = later(registry, b.into(), position, |e| {
                matches!(e, Effect::Ended(_))
            });
            ends.into_iter()
                .filter(|p| ended_by_dissolution(registry, *p, b))
                .collect()
        }
        Effect::DateCorrected(EntityId::Body(b), DateField::DissolvedOn) => {
            let Some(body) = registry.body(b) else {
                return Vec::new();
            };
            let Some(dissolved_on) = body.dissolution.as_ref().map(|d| d.on) else {
                return Vec::new();
            };
            let follows = |m: MandateId| {
                registry
                    .mandate(m)
                    .and_then(|m| m.end.as_ref())
                    .is_some_and(|e| e.reason == EndReason::BodyDissolved && e.on == dissolved_on)
            };
            let mut found: Vec<u64> = body
                .mandates
                .iter()
                .filter(|m| follows(**m))
                .flat_map(|m| {
                    later(registry, (*m).into(), position, |e| {
                        e == Effect::DateCorrected((*m).into(), DateField::To)
                    })
                })
                .collect();
            found.sort_unstable();
            found
        }
        _ => Vec::new(),
    }
}

/// "position 17 (mandate_started of @achraf-chahboun)".
fn describe(registry: &Registry, position: u64) -> String {
    let Some(effect) = registry.effect_at(position) else {
        return format!("position {position}");
    };
    let subject = crate::retract::concerns_at(registry, position)
        .first()
        .map(|id| registry.label(*id));
    match subject {
        Some(subject) => format!("position {position} ({} of {subject})", effect.type_name()),
        None => format!("position {position} ({})", effect.type_name()),
    }
}

/// Live positions after `position` that concern `id` and match `pick`.
fn later(
    registry: &Registry,
    id: EntityId,
    position: u64,
    pick: impl Fn(Effect) -> bool,
) -> Vec<u64> {
    registry
        .positions_of(id)
        .into_iter()
        .filter(|p| *p > position && registry.is_live(*p))
        .filter(|p| registry.effect_at(*p).is_some_and(&pick))
        .collect()
}

fn dependants(registry: &Registry, position: u64, effect: Effect) -> Vec<u64> {
    let mut found = match effect {
        Effect::Created(id) => later(registry, id, position, |_| true),
        Effect::Renamed(b) => name_changes(registry, b.into(), position),
        Effect::NameCorrected(id) => name_changes(registry, id, position),
        Effect::Moved(b) => move_dependants(registry, b, position),
        Effect::Dissolved(b) => dissolution_dependants(registry, b, position),
        Effect::Abolished(p) => {
            later_date_fixes(registry, p.into(), DateField::AbolishedOn, position)
        }
        Effect::Ended(m) => end_dependants(registry, m, position),
        Effect::DateCorrected(id, field) => later_date_fixes(registry, id, field, position),
        Effect::ConstituencyCorrected(m) => later(registry, m.into(), position, |e| {
            matches!(e, Effect::ConstituencyCorrected(_))
        }),
        Effect::Attended(_) | Effect::Resolved(_) | Effect::Retraction => Vec::new(),
    };
    found.sort_unstable();
    found.dedup();
    found
}

fn name_changes(registry: &Registry, id: EntityId, position: u64) -> Vec<u64> {
    later(registry, id, position, |e| {
        matches!(e, Effect::Renamed(_) | Effect::NameCorrected(_))
    })
}

fn later_date_fixes(
    registry: &Registry,
    id: EntityId,
    field: DateField,
    position: u64,
) -> Vec<u64> {
    later(registry, id, position, |e| {
        e == Effect::DateCorrected(id, field)
    })
}

fn move_dependants(registry: &Registry, b: BodyId, position: u64) -> Vec<u64> {
    let mut found = later(registry, b.into(), position, |e| e == Effect::Moved(b));
    if let Some(restored) =
        crate::retract::moved_from(registry, b, position).and_then(|p| registry.body(p))
    {
        let body_active = registry.body(b).is_some_and(|body| !body.is_dissolved());
        if let (Some(d), true) = (&restored.dissolution, body_active) {
            if d.position > position {
                found.push(d.position);
            }
        }
    }
    found
}

fn dissolution_dependants(registry: &Registry, b: BodyId, position: u64) -> Vec<u64> {
    let mut found = later_date_fixes(registry, b.into(), DateField::DissolvedOn, position);
    let mut ancestor = registry.body(b).and_then(|body| body.parent());
    let mut steps = 0;
    while let Some(a) = ancestor.and_then(|a| registry.body(a)) {
        if let Some(d) = a.dissolution.as_ref().filter(|d| d.position > position) {
            found.push(d.position);
        }
        ancestor = a.parent();
        steps += 1;
        if steps > registry.bodies.len() {
            break;
        }
    }
    found
}

fn ended_by_dissolution(registry: &Registry, position: u64, b: BodyId) -> bool {
    let Some(Effect::Ended(m)) = registry.effect_at(position) else {
        return false;
    };
    registry
        .mandate(m)
        .and_then(|m| m.end.as_ref().map(|e| (m.body, e.reason, e.position())))
        == Some((b, EndReason::BodyDissolved, position))
}

fn end_dependants(registry: &Registry, m: MandateId, position: u64) -> Vec<u64> {
    let mut found = later_date_fixes(registry, m.into(), DateField::To, position);
    let Some(mandate) = registry.mandate(m) else {
        return found;
    };
    if let Some(d) = registry
        .body(mandate.body)
        .and_then(|b| b.dissolution.as_ref())
    {
        if d.position > position {
            found.push(d.position);
        }
    }
    if let Some(a) = registry
        .post(mandate.post)
        .and_then(|p| p.abolition.as_ref())
    {
        if a.position > position {
            found.push(a.position);
        }
    }
    found
}

/// Undoes the event on a copy (cheap: persistent state) and rechecks the rules it could
/// have been holding up.
fn still_valid_without(
    registry: &Registry,
    position: u64,
    effect: Effect,
    consequences: &[u64],
) -> Result<(), DomainError> {
    let mut without = registry.clone();
    let mut next = registry.position();
    for p in consequences.iter().rev().chain(std::iter::once(&position)) {
        next += 1;
        crate::retract::undo(&mut without, *p, next);
    }
    match effect {
        Effect::Moved(b) => match find_cycle(&without, b) {
            Some((parent, day)) => Err(DomainError::Cycle {
                body: registry.label(b.into()),
                parent: registry.label(parent.into()),
                date: crate::span::show_day(day),
            }),
            None => Ok(()),
        },
        Effect::Ended(m) => reopen(&without, m),
        Effect::DateCorrected(id, field) => match crate::apply::date_of(&without, id, field) {
            Some(date) => check_date(&without, id, field, &date),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

/// A mandate whose end is retracted is open again: its body must not be dissolved, and it
/// must still fit the post's seats.
fn reopen(without: &Registry, m: MandateId) -> Result<(), DomainError> {
    let Some(mandate) = without.mandate(m) else {
        return Ok(());
    };
    if let Some(body) = without.body(mandate.body) {
        if let Some(d) = &body.dissolution {
            return Err(DomainError::BodyDissolved {
                body: body.handle.to_string(),
                on: d.on.to_string(),
                what: "open mandates",
                fix: "retract the dissolution instead, which reopens the mandates it ended"
                    .to_owned(),
            });
        }
    }
    recheck_mandate(without, m, &mandate.from, None)
}
