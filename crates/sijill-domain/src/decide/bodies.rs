//! Areas, people, bodies and posts: registering, founding, renaming, moving, dissolving,
//! establishing and abolishing.

use crate::command::{
    AbolishPost, DissolveBody, EstablishPost, FoundBody, MoveBody, RegisterArea, RegisterPerson,
    RenameBody,
};
use crate::date::EdtfDate;
use crate::error::DomainError;
use crate::event::{
    AreaRegistered, BodyDissolved, BodyFounded, BodyMoved, BodyRenamed, Event, MandateEnded,
    PersonRegistered, PostAbolished, PostEstablished,
};
use crate::ids::{AreaId, BodyId, EntityKind, PersonId, PostId};
use crate::query::{find_cycle, parent_as_of};
use crate::registry::{Body, Registry};
use crate::span::{since_key, surely_before};
use crate::values::EndReason;

use super::checks::{
    active_descendants, body_life, end_not_before_start, parent_active, within_body_life,
};
use super::Context;

pub(super) fn register_area(
    registry: &Registry,
    c: &RegisterArea,
    ctx: &mut Context<'_>,
) -> Result<Vec<Event>, DomainError> {
    registry.check_handle_free(&c.handle)?;
    let parent = c
        .parent
        .as_ref()
        .map(|p| registry.area_ref(p).map(|a| a.id))
        .transpose()?;
    let area = AreaId::from_uuid(registry.mint(ctx, EntityKind::Area)?);
    Ok(vec![Event::AreaRegistered(AreaRegistered {
        area,
        handle: c.handle.clone(),
        name: c.name.clone(),
        kind: c.kind,
        parent,
        code: c.code.clone(),
    })])
}

pub(super) fn register_person(
    registry: &Registry,
    c: &RegisterPerson,
    ctx: &mut Context<'_>,
) -> Result<Vec<Event>, DomainError> {
    registry.check_handle_free(&c.handle)?;
    let person = PersonId::from_uuid(registry.mint(ctx, EntityKind::Person)?);
    Ok(vec![Event::PersonRegistered(PersonRegistered {
        person,
        handle: c.handle.clone(),
        name: c.name.clone(),
        gender: c.gender,
    })])
}

pub(super) fn found_body(
    registry: &Registry,
    c: &FoundBody,
    ctx: &mut Context<'_>,
) -> Result<Vec<Event>, DomainError> {
    registry.check_handle_free(&c.handle)?;
    let parent = match &c.parent {
        Some(p) => {
            let parent = registry.body_ref(p)?;
            parent_active(registry, parent, c.founded_on.as_ref())?;
            Some(parent.id)
        }
        None => None,
    };
    let area = c
        .area
        .as_ref()
        .map(|a| registry.area_ref(a).map(|a| a.id))
        .transpose()?;
    let body = BodyId::from_uuid(registry.mint(ctx, EntityKind::Body)?);
    Ok(vec![Event::BodyFounded(BodyFounded {
        body,
        handle: c.handle.clone(),
        name: c.name.clone(),
        kind: c.kind.clone(),
        parent,
        area,
        founded_on: c.founded_on,
    })])
}

pub(super) fn rename_body(registry: &Registry, c: &RenameBody) -> Result<Vec<Event>, DomainError> {
    let body = registry.body_ref(&c.body)?;
    if let Some(on) = &c.on {
        let what = || format!("the renaming of {}", body.handle);
        within_body_life(registry, body, &what, on, None)?;
    }
    if body.name() == &c.name {
        return Err(DomainError::NothingToCorrect {
            what: format!("the name of {}", body.handle),
            value: c.name.to_string(),
        });
    }
    Ok(vec![Event::BodyRenamed(BodyRenamed {
        body: body.id,
        name: c.name.clone(),
        on: c.on,
    })])
}

pub(super) fn move_body(registry: &Registry, c: &MoveBody) -> Result<Vec<Event>, DomainError> {
    let body = registry.body_ref(&c.body)?;
    let what = || format!("the move of {}", body.handle);
    within_body_life(registry, body, &what, &c.on, None)?;
    let parent = match &c.parent {
        Some(p) => {
            let parent = registry.body_ref(p)?;
            parent_active(registry, parent, Some(&c.on))?;
            Some(parent.id)
        }
        None => None,
    };
    let previous_parent = parent_as_of(body, since_key(Some(&c.on)));
    if previous_parent == parent {
        return Err(DomainError::NothingToCorrect {
            what: format!("the parent of {} on {}", body.handle, c.on),
            value: parent.map_or_else(|| "none (a root)".to_owned(), |p| registry.label(p.into())),
        });
    }
    let event = Event::BodyMoved(BodyMoved {
        body: body.id,
        previous_parent,
        parent,
        on: c.on,
    });
    refuse_cycle(registry, &event, body.id)?;
    Ok(vec![event])
}

/// Applies the move to a copy (cheap: persistent state) and looks for a cycle through the
/// moved body on any date.
fn refuse_cycle(registry: &Registry, event: &Event, body: BodyId) -> Result<(), DomainError> {
    let mut moved = registry.clone();
    crate::apply(&mut moved, event);
    match find_cycle(&moved, body) {
        Some((parent, day)) => Err(DomainError::Cycle {
            body: registry.label(body.into()),
            parent: registry.label(parent.into()),
            date: crate::span::show_day(day),
        }),
        None => Ok(()),
    }
}

pub(super) fn dissolve_body(
    registry: &Registry,
    c: &DissolveBody,
) -> Result<Vec<Event>, DomainError> {
    let body = registry.body_ref(&c.body)?;
    if let Some(d) = &body.dissolution {
        return Err(DomainError::AlreadyDissolved {
            body: body.handle.to_string(),
            on: d.on.to_string(),
        });
    }
    let descendants = active_descendants(registry, body.id);
    if !descendants.is_empty() && !c.cascade {
        let children: Vec<String> = descendants
            .iter()
            .filter(|d| registry.body(**d).and_then(Body::parent) == Some(body.id))
            .map(|d| registry.label((*d).into()))
            .collect();
        return Err(DomainError::ActiveSubBodies {
            body: body.handle.to_string(),
            children: children.join(", "),
        });
    }
    let mut events = Vec::new();
    for id in descendants.into_iter().chain(std::iter::once(body.id)) {
        let Some(b) = registry.body(id) else { continue };
        let note = if id == body.id { c.note.clone() } else { None };
        dissolution_events(registry, b, &c.on, note, &mut events)?;
    }
    Ok(events)
}

/// The dissolution of one body, then the end of each of its open mandates (in that order, so
/// that retracting the dissolution finds the ends it caused among the later events).
fn dissolution_events(
    registry: &Registry,
    body: &Body,
    on: &EdtfDate,
    note: Option<crate::Note>,
    events: &mut Vec<Event>,
) -> Result<(), DomainError> {
    if let Some(founded) = &body.founded_on {
        end_not_before_start(|| format!("the life of {}", body.handle), founded, on)?;
    }
    for a in body.assemblies.iter().filter_map(|a| registry.assembly(*a)) {
        if surely_before(on, &a.held_on) {
            return Err(outside_life(
                registry,
                body,
                format!("assembly {}", a.handle),
                &a.held_on,
                on,
            ));
        }
    }
    events.push(Event::BodyDissolved(BodyDissolved {
        body: body.id,
        on: *on,
        note,
    }));
    for m in body.mandates.iter().filter_map(|m| registry.mandate(*m)) {
        let what = || registry.label(m.id.into());
        match m.to() {
            Some(to) if surely_before(on, to) => {
                return Err(outside_life(
                    registry,
                    body,
                    format!("the end of {}", what()),
                    to,
                    on,
                ))
            }
            Some(_) => {}
            None => {
                end_not_before_start(what, &m.from, on)?;
                events.push(Event::MandateEnded(MandateEnded {
                    mandate: m.id,
                    person: m.person,
                    post: m.post,
                    body: m.body,
                    on: *on,
                    reason: EndReason::BodyDissolved,
                }));
            }
        }
    }
    Ok(())
}

fn outside_life(
    registry: &Registry,
    body: &Body,
    what: String,
    date: &EdtfDate,
    on: &EdtfDate,
) -> DomainError {
    DomainError::OutsideBodyLife {
        what,
        date: date.to_string(),
        body: registry.label(body.id.into()),
        life: format!("{}, to be dissolved {on}", body_life(body)),
        fix: format!("dissolve it on or after {date}, or correct that date first"),
    }
}

pub(super) fn establish_post(
    registry: &Registry,
    c: &EstablishPost,
    ctx: &mut Context<'_>,
) -> Result<Vec<Event>, DomainError> {
    registry.check_handle_free(&c.handle)?;
    let body = registry.body_ref(&c.body)?;
    if let Some(d) = &body.dissolution {
        return Err(DomainError::BodyDissolved {
            body: body.handle.to_string(),
            on: d.on.to_string(),
            what: "posts",
            fix: "establish the post in an active body".to_owned(),
        });
    }
    if let Some(on) = &c.established_on {
        let what = || format!("the establishment of {}", c.handle);
        within_body_life(registry, body, &what, on, None)?;
    }
    let post = PostId::from_uuid(registry.mint(ctx, EntityKind::Post)?);
    Ok(vec![Event::PostEstablished(PostEstablished {
        post,
        handle: c.handle.clone(),
        body: body.id,
        title: c.title.clone(),
        seats: c.seats,
        established_on: c.established_on,
    })])
}

pub(super) fn abolish_post(
    registry: &Registry,
    c: &AbolishPost,
) -> Result<Vec<Event>, DomainError> {
    let post = registry.post_ref(&c.post)?;
    if let Some(a) = &post.abolition {
        return Err(DomainError::AlreadyAbolished {
            post: post.handle.to_string(),
            on: a.on.to_string(),
        });
    }
    if let Some(established) = &post.established_on {
        end_not_before_start(
            || format!("the life of {}", post.handle),
            established,
            &c.on,
        )?;
    }
    let running: Vec<String> = post
        .mandates()
        .filter_map(|m| registry.mandate(m))
        .filter(|m| m.to().is_none_or(|to| surely_before(&c.on, to)))
        .map(|m| registry.label(m.id.into()))
        .collect();
    if !running.is_empty() {
        return Err(DomainError::MandatesRunPast {
            post: post.handle.to_string(),
            on: c.on.to_string(),
            mandates: running.join(", "),
        });
    }
    Ok(vec![Event::PostAbolished(PostAbolished {
        post: post.id,
        body: post.body,
        on: c.on,
    })])
}
