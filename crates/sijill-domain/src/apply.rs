//! `apply`: fold one event into the state. Holds no rule and cannot fail.
//!
//! Events come from `decide` or from the log, so they are trusted to be consistent; still,
//! an event naming an entity the state does not have is skipped rather than trusted into a
//! panic (a log edited by hand must not crash a replay).

use std::sync::Arc;

use imbl::Vector;

use crate::list::IdList;

use crate::event::*;
use crate::ids::{EntityId, MandateId};
use crate::registry::{
    Abolition, Area, Assembly, AttendanceEntry, Body, Dated, Dissolution, Effect, IndexedName,
    Mandate, MandateEnd, Person, Post, Registry, Resolution, Slot,
};
use crate::retract;
use crate::span::since_key;
use crate::span::Occupancy;
use crate::values::DateField;

/// Applies `event` as the next log position.
pub fn apply(registry: &mut Registry, event: &Event) {
    registry.position += 1;
    let position = registry.position;
    let effect = match event {
        Event::AreaRegistered(e) => area_registered(registry, e),
        Event::PersonRegistered(e) => person_registered(registry, e),
        Event::BodyFounded(e) => body_founded(registry, e, position),
        Event::BodyRenamed(e) => body_renamed(registry, e, position),
        Event::BodyMoved(e) => body_moved(registry, e, position),
        Event::BodyDissolved(e) => body_dissolved(registry, e, position),
        Event::PostEstablished(e) => post_established(registry, e),
        Event::PostAbolished(e) => post_abolished(registry, e, position),
        Event::AssemblyConvened(e) => assembly_convened(registry, e),
        Event::AttendanceRecorded(e) => attendance_recorded(registry, e, position),
        Event::ResolutionAdopted(e) => resolution_adopted(registry, e),
        Event::MandateStarted(e) => mandate_started(registry, e),
        Event::MandateEnded(e) => mandate_ended(registry, e, position),
        Event::NameCorrected(e) => name_corrected(registry, e, position),
        Event::DateCorrected(e) => date_corrected(registry, e, position),
        Event::ConstituencyCorrected(e) => constituency_corrected(registry, e, position),
        Event::EventRetracted(e) => {
            retract::undo(registry, e.position, position);
            Effect::Retraction
        }
    };
    registry.log.push_back(effect);
    record_history(registry, event, position);
}

/// Adds `position` to the history of every entity the event concerns, after the event took
/// effect (so a new entity exists, a retracted one is a tombstone). The end of a mandate goes
/// to the mandate only: `Registry::positions_of` merges it into its person, post and body,
/// so ending a mandate touches one entity.
fn record_history(registry: &mut Registry, event: &Event, position: u64) {
    match event {
        Event::MandateEnded(e) => push_history(registry, e.mandate.into(), position),
        Event::EventRetracted(e) => {
            let end = e.retracted_type == "mandate_ended";
            for id in &e.entities {
                // A retracted end is no longer merged in from the mandate: record it here.
                if end && id.kind() != crate::EntityKind::Mandate {
                    push_history(registry, *id, e.position);
                }
                push_history(registry, *id, position);
            }
        }
        _ => {
            for id in event.concerns() {
                push_history(registry, id, position);
            }
        }
    }
}

fn push_history(registry: &mut Registry, id: EntityId, position: u64) {
    let history = match id {
        EntityId::Area(id) => registry
            .areas
            .get_mut(&id)
            .map(|e| &mut Arc::make_mut(e).history),
        EntityId::Person(id) => registry
            .people
            .get_mut(&id)
            .map(|e| &mut Arc::make_mut(e).history),
        EntityId::Body(id) => registry
            .bodies
            .get_mut(&id)
            .map(|e| &mut Arc::make_mut(e).history),
        EntityId::Post(id) => registry
            .posts
            .get_mut(&id)
            .map(|e| &mut Arc::make_mut(e).history),
        EntityId::Assembly(id) => registry
            .assemblies
            .get_mut(&id)
            .map(|e| &mut Arc::make_mut(e).history),
        EntityId::Mandate(id) => registry
            .mandates
            .get_mut(&id)
            .map(|e| &mut Arc::make_mut(e).history),
    };
    let position = crate::registry::history_position(position);
    match history {
        Some(history) => history.push(position),
        None => {
            if let Some(tombstone) = registry.tombstones.get_mut(&id) {
                tombstone.push(position);
            }
        }
    }
}

fn area_registered(registry: &mut Registry, e: &AreaRegistered) -> Effect {
    let area = Area {
        id: e.area,
        handle: e.handle.clone(),
        name: e.name.clone(),
        kind: e.kind,
        parent: e.parent,
        code: e.code.clone(),
        children: IdList::new(),
        history: IdList::new(),
    };
    if let Some(parent) = e.parent.and_then(|p| registry.areas.get_mut(&p)) {
        Arc::make_mut(parent).children.push(e.area);
    }
    registry.handles.insert(e.handle.clone(), e.area.into());
    registry.areas.insert(e.area, Arc::new(area));
    index_new_names(registry, e.area.into());
    Effect::Created(e.area.into())
}

fn person_registered(registry: &mut Registry, e: &PersonRegistered) -> Effect {
    let person = Person {
        id: e.person,
        handle: e.handle.clone(),
        name: e.name.clone(),
        gender: e.gender,
        mandates: IdList::new(),
        attended: IdList::new(),
        history: IdList::new(),
    };
    registry.handles.insert(e.handle.clone(), e.person.into());
    registry.people.insert(e.person, Arc::new(person));
    index_new_names(registry, e.person.into());
    Effect::Created(e.person.into())
}

fn body_founded(registry: &mut Registry, e: &BodyFounded, position: u64) -> Effect {
    let body = Body {
        id: e.body,
        handle: e.handle.clone(),
        kind: e.kind.clone(),
        area: e.area,
        founded_on: e.founded_on,
        dissolution: None,
        names: Vector::unit(Dated {
            since: e.founded_on,
            value: e.name.clone(),
            position,
        }),
        parents: Vector::unit(Dated {
            since: e.founded_on,
            value: e.parent,
            position,
        }),
        children: IdList::new(),
        posts: IdList::new(),
        mandates: IdList::new(),
        assemblies: IdList::new(),
        history: IdList::new(),
    };
    if let Some(parent) = e.parent.and_then(|p| registry.bodies.get_mut(&p)) {
        Arc::make_mut(parent).children.push(e.body);
    }
    registry.handles.insert(e.handle.clone(), e.body.into());
    registry.bodies.insert(e.body, Arc::new(body));
    index_new_names(registry, e.body.into());
    Effect::Created(e.body.into())
}

/// Inserts a span keeping spans sorted by `since`, after any with the same key.
pub(crate) fn insert_span<T: Clone>(spans: &mut Vector<Dated<T>>, span: Dated<T>) {
    let key = since_key(span.since.as_ref());
    let at = spans
        .iter()
        .rposition(|s| since_key(s.since.as_ref()) <= key)
        .map_or(0, |i| i + 1);
    spans.insert(at, span);
}

fn body_renamed(registry: &mut Registry, e: &BodyRenamed, position: u64) -> Effect {
    let indexed = registry.indexed_name(e.body.into());
    if let Some(body) = registry.bodies.get_mut(&e.body) {
        let body = Arc::make_mut(body);
        insert_span(
            &mut body.names,
            Dated {
                since: e.on,
                value: e.name.clone(),
                position,
            },
        );
    }
    reindex_names(registry, e.body.into(), indexed);
    Effect::Renamed(e.body)
}

fn body_moved(registry: &mut Registry, e: &BodyMoved, position: u64) -> Effect {
    if let Some(body) = registry.bodies.get_mut(&e.body) {
        let body = Arc::make_mut(body);
        insert_span(
            &mut body.parents,
            Dated {
                since: Some(e.on),
                value: e.parent,
                position,
            },
        );
    }
    if let Some(parent) = e.parent.and_then(|p| registry.bodies.get_mut(&p)) {
        let parent = Arc::make_mut(parent);
        if !parent.children.contains(&e.body) {
            parent.children.push(e.body);
        }
    }
    Effect::Moved(e.body)
}

fn body_dissolved(registry: &mut Registry, e: &BodyDissolved, position: u64) -> Effect {
    if let Some(body) = registry.bodies.get_mut(&e.body) {
        Arc::make_mut(body).dissolution = Some(Dissolution {
            on: e.on,
            note: e.note.clone(),
            position,
        });
    }
    Effect::Dissolved(e.body)
}

fn post_established(registry: &mut Registry, e: &PostEstablished) -> Effect {
    let post = Post {
        id: e.post,
        handle: e.handle.clone(),
        body: e.body,
        title: registry.shared_names.share(&e.title),
        seats: e.seats,
        established_on: e.established_on,
        abolition: None,
        slots: IdList::new(),
        history: IdList::new(),
    };
    if let Some(body) = registry.bodies.get_mut(&e.body) {
        Arc::make_mut(body).posts.push(e.post);
    }
    registry.handles.insert(e.handle.clone(), e.post.into());
    registry.posts.insert(e.post, Arc::new(post));
    index_new_names(registry, e.post.into());
    Effect::Created(e.post.into())
}

fn post_abolished(registry: &mut Registry, e: &PostAbolished, position: u64) -> Effect {
    if let Some(post) = registry.posts.get_mut(&e.post) {
        Arc::make_mut(post).abolition = Some(Abolition { on: e.on, position });
    }
    Effect::Abolished(e.post)
}

fn assembly_convened(registry: &mut Registry, e: &AssemblyConvened) -> Effect {
    let mut assembly = Assembly {
        id: e.assembly,
        handle: e.handle.clone(),
        body: e.body,
        kind: e.kind,
        ordinal: e.ordinal,
        held_on: e.held_on,
        resolutions: IdList::new(),
        history: IdList::new(),
        details: None,
    };
    let venue = e.venue.as_ref().map(|v| registry.shared_names.share(v));
    let name = e.name.as_ref().map(|n| registry.shared_names.share(n));
    assembly.change_details(|details| {
        details.venue = venue;
        details.name = name;
    });
    if let Some(body) = registry.bodies.get_mut(&e.body) {
        Arc::make_mut(body).assemblies.push(e.assembly);
    }
    registry.handles.insert(e.handle.clone(), e.assembly.into());
    registry.assemblies.insert(e.assembly, Arc::new(assembly));
    Effect::Created(e.assembly.into())
}

fn attendance_recorded(registry: &mut Registry, e: &AttendanceRecorded, position: u64) -> Effect {
    if let Some(assembly) = registry.assemblies.get_mut(&e.assembly) {
        Arc::make_mut(assembly).change_details(|details| {
            for a in &e.attendees {
                details.attendance.push(AttendanceEntry {
                    person: a.person,
                    capacity: a.capacity.clone(),
                    position,
                });
            }
        });
    }
    for a in &e.attendees {
        if let Some(person) = registry.people.get_mut(&a.person) {
            let person = Arc::make_mut(person);
            if !person.attended.contains(&e.assembly) {
                person.attended.push(e.assembly);
            }
        }
    }
    Effect::Attended(e.assembly)
}

fn resolution_adopted(registry: &mut Registry, e: &ResolutionAdopted) -> Effect {
    let title = registry.shared_names.share(&e.title);
    if let Some(assembly) = registry.assemblies.get_mut(&e.assembly) {
        let resolution = registry.shared_resolutions.share(&Arc::new(Resolution {
            title,
            text: e.text.clone(),
            vote: e.vote,
        }));
        Arc::make_mut(assembly).resolutions.push(resolution);
    }
    Effect::Resolved(e.assembly)
}

fn mandate_started(registry: &mut Registry, e: &MandateStarted) -> Effect {
    let mandate = Mandate {
        id: e.mandate,
        handle: e.handle.clone(),
        person: e.person,
        post: e.post,
        body: e.body,
        from: e.from,
        end: None,
        basis: e.basis.clone(),
        assembly: e.assembly,
        constituency: e.constituency,
        history: IdList::new(),
    };
    link_mandate(registry, &mandate);
    if let Some(handle) = &e.handle {
        registry.handles.insert(handle.clone(), e.mandate.into());
    }
    registry.mandates.insert(e.mandate, Arc::new(mandate));
    Effect::Created(e.mandate.into())
}

/// Where a mandate may sit in time, for its post's slots.
fn slot(m: &Mandate) -> Slot {
    let (lo, hi) = Occupancy::new(Some(&m.from), m.to()).possible;
    Slot {
        mandate: m.id,
        lo,
        hi,
    }
}

/// Brings a mandate's slot in its post up to date with its dates.
pub(crate) fn refresh_slot(registry: &mut Registry, id: MandateId) {
    let Some(mandate) = registry.mandates.get(&id) else {
        return;
    };
    let fresh = slot(mandate);
    let Some(post) = registry.posts.get_mut(&mandate.post) else {
        return;
    };
    let post = Arc::make_mut(post);
    post.slots.update(|s| s.mandate == id, |s| *s = fresh);
}

/// Adds the mandate to the person's, post's, body's and assembly's indexes.
fn link_mandate(registry: &mut Registry, m: &Mandate) {
    if let Some(person) = registry.people.get_mut(&m.person) {
        Arc::make_mut(person).mandates.push(m.id);
    }
    if let Some(post) = registry.posts.get_mut(&m.post) {
        Arc::make_mut(post).slots.push(slot(m));
    }
    if let Some(body) = registry.bodies.get_mut(&m.body) {
        Arc::make_mut(body).mandates.push(m.id);
    }
    if let Some(assembly) = m.assembly.and_then(|a| registry.assemblies.get_mut(&a)) {
        Arc::make_mut(assembly).change_details(|details| details.mandates.push(m.id));
    }
}

fn mandate_ended(registry: &mut Registry, e: &MandateEnded, position: u64) -> Effect {
    if let Some(mandate) = registry.mandates.get_mut(&e.mandate) {
        Arc::make_mut(mandate).end = Some(MandateEnd {
            on: e.on,
            reason: e.reason,
            position: crate::registry::history_position(position),
        });
    }
    refresh_slot(registry, e.mandate);
    Effect::Ended(e.mandate)
}

fn name_corrected(registry: &mut Registry, e: &NameCorrected, position: u64) -> Effect {
    let previous = registry.name_of(e.entity).cloned();
    registry
        .name_corrections
        .entry(e.entity)
        .or_default()
        .push_back((position, previous));
    set_name(registry, e.entity, Some(e.name.clone()));
    Effect::NameCorrected(e.entity)
}

/// Sets an entity's current name (for a body, its latest span's) and reindexes it.
pub(crate) fn set_name(registry: &mut Registry, id: EntityId, name: Option<crate::Names>) {
    let indexed = registry.indexed_name(id);
    match (id, name) {
        (EntityId::Area(id), Some(name)) => {
            if let Some(area) = registry.areas.get_mut(&id) {
                Arc::make_mut(area).name = name;
            }
        }
        (EntityId::Person(id), Some(name)) => {
            if let Some(person) = registry.people.get_mut(&id) {
                Arc::make_mut(person).name = name;
            }
        }
        (EntityId::Body(id), Some(name)) => {
            if let Some(body) = registry.bodies.get_mut(&id) {
                let body = Arc::make_mut(body);
                if let Some(last) = body.names.back_mut() {
                    last.value = name;
                }
            }
        }
        (EntityId::Post(id), Some(name)) => {
            if let Some(post) = registry.posts.get_mut(&id) {
                Arc::make_mut(post).title = name;
            }
        }
        (EntityId::Assembly(id), name) => {
            if let Some(assembly) = registry.assemblies.get_mut(&id) {
                Arc::make_mut(assembly).change_details(|details| details.name = name);
            }
        }
        _ => {}
    }
    reindex_names(registry, id, indexed);
}

fn date_corrected(registry: &mut Registry, e: &DateCorrected, position: u64) -> Effect {
    let previous = date_of(registry, e.entity, e.field);
    registry
        .date_corrections
        .entry((e.entity, e.field))
        .or_default()
        .push_back((position, previous));
    set_date(registry, e.entity, e.field, Some(e.date));
    Effect::DateCorrected(e.entity, e.field)
}

/// The current value of a correctable date.
pub(crate) fn date_of(
    registry: &Registry,
    id: EntityId,
    field: DateField,
) -> Option<crate::EdtfDate> {
    match (id, field) {
        (EntityId::Body(b), DateField::FoundedOn) => registry.body(b)?.founded_on,
        (EntityId::Body(b), DateField::DissolvedOn) => {
            Some(registry.body(b)?.dissolution.as_ref()?.on)
        }
        (EntityId::Post(p), DateField::EstablishedOn) => registry.post(p)?.established_on,
        (EntityId::Post(p), DateField::AbolishedOn) => {
            Some(registry.post(p)?.abolition.as_ref()?.on)
        }
        (EntityId::Assembly(a), DateField::HeldOn) => Some(registry.assembly(a)?.held_on),
        (EntityId::Mandate(m), DateField::From) => Some(registry.mandate(m)?.from),
        (EntityId::Mandate(m), DateField::To) => registry.mandate(m)?.to().copied(),
        _ => None,
    }
}

/// Sets a correctable date. `None` is only meaningful for optional dates (founded_on,
/// established_on) and is what undoing a correction of an unknown date restores.
pub(crate) fn set_date(
    registry: &mut Registry,
    id: EntityId,
    field: DateField,
    date: Option<crate::EdtfDate>,
) {
    match (id, field) {
        (EntityId::Body(b), DateField::FoundedOn) => set_founded_on(registry, b, date),
        (EntityId::Body(b), DateField::DissolvedOn) => {
            if let (Some(body), Some(date)) = (registry.bodies.get_mut(&b), date) {
                if let Some(dissolution) = &mut Arc::make_mut(body).dissolution {
                    dissolution.on = date;
                }
            }
        }
        (EntityId::Post(p), DateField::EstablishedOn) => {
            if let Some(post) = registry.posts.get_mut(&p) {
                Arc::make_mut(post).established_on = date;
            }
        }
        (EntityId::Post(p), DateField::AbolishedOn) => {
            if let (Some(post), Some(date)) = (registry.posts.get_mut(&p), date) {
                if let Some(abolition) = &mut Arc::make_mut(post).abolition {
                    abolition.on = date;
                }
            }
        }
        (EntityId::Assembly(a), DateField::HeldOn) => {
            if let (Some(assembly), Some(date)) = (registry.assemblies.get_mut(&a), date) {
                Arc::make_mut(assembly).held_on = date;
            }
        }
        (EntityId::Mandate(m), DateField::From) => {
            if let (Some(mandate), Some(date)) = (registry.mandates.get_mut(&m), date) {
                Arc::make_mut(mandate).from = date;
            }
            refresh_slot(registry, m);
        }
        (EntityId::Mandate(m), DateField::To) => {
            if let (Some(mandate), Some(date)) = (registry.mandates.get_mut(&m), date) {
                if let Some(end) = &mut Arc::make_mut(mandate).end {
                    end.on = date;
                }
            }
            refresh_slot(registry, m);
        }
        _ => {}
    }
}

/// The founding date is also the `since` of the founding name and parent spans.
fn set_founded_on(registry: &mut Registry, id: crate::BodyId, date: Option<crate::EdtfDate>) {
    let indexed = registry.indexed_name(id.into());
    let Some(body) = registry.bodies.get_mut(&id) else {
        return;
    };
    let body = Arc::make_mut(body);
    body.founded_on = date;
    let founding = body.recorded_at();
    resort_founding_span(&mut body.names, founding, date);
    resort_founding_span(&mut body.parents, founding, date);
    // The search index numbers the body's names in span order, which this may have changed.
    reindex_names(registry, id.into(), indexed);
}

fn resort_founding_span<T: Clone>(
    spans: &mut Vector<Dated<T>>,
    founding: u64,
    date: Option<crate::EdtfDate>,
) {
    if let Some(index) = spans.iter().position(|s| s.position == founding) {
        let mut span = spans.remove(index);
        span.since = date;
        insert_founding_span(spans, span);
    }
}

/// The founding span goes before any span with the same key: it came first.
fn insert_founding_span<T: Clone>(spans: &mut Vector<Dated<T>>, span: Dated<T>) {
    let key = since_key(span.since.as_ref());
    let at = spans
        .iter()
        .position(|s| since_key(s.since.as_ref()) >= key)
        .unwrap_or(spans.len());
    spans.insert(at, span);
}

fn constituency_corrected(
    registry: &mut Registry,
    e: &ConstituencyCorrected,
    position: u64,
) -> Effect {
    if let Some(mandate) = registry.mandates.get_mut(&e.mandate) {
        let mandate = Arc::make_mut(mandate);
        let previous = mandate.constituency;
        mandate.constituency = e.constituency;
        registry
            .constituency_corrections
            .entry(e.mandate)
            .or_default()
            .push_back((position, previous));
    }
    Effect::ConstituencyCorrected(e.mandate)
}

/// Indexes a new entity's names for search, as the entity holds them (see
/// [`crate::registry::IndexedName`]): called once the entity is in the state.
pub(crate) fn index_new_names(registry: &mut Registry, id: EntityId) {
    if let Some(names) = registry.indexed_name(id) {
        registry.search.add(id, &names);
    }
}

/// Reindexes an entity whose names changed: `indexed` is what [`Registry::indexed_name`] gave
/// before the change, which is what the index holds (the index keeps no names of its own, so
/// every change of a name goes through here with the names from before it).
pub(crate) fn reindex_names(registry: &mut Registry, id: EntityId, indexed: Option<IndexedName>) {
    let now = registry.indexed_name(id);
    if now == indexed {
        return;
    }
    if let Some(indexed) = indexed {
        registry.search.remove(id, &indexed);
    }
    if let Some(now) = now {
        registry.search.add(id, &now);
    }
}

/// Removes a mandate from the indexes it was linked into.
pub(crate) fn unlink_mandate(registry: &mut Registry, m: &Mandate) {
    let id: MandateId = m.id;
    if let Some(person) = registry.people.get_mut(&m.person) {
        remove_value(&mut Arc::make_mut(person).mandates, &id);
    }
    if let Some(post) = registry.posts.get_mut(&m.post) {
        Arc::make_mut(post).slots.retain(|s| s.mandate != id);
    }
    if let Some(body) = registry.bodies.get_mut(&m.body) {
        remove_value(&mut Arc::make_mut(body).mandates, &id);
    }
    if let Some(assembly) = m.assembly.and_then(|a| registry.assemblies.get_mut(&a)) {
        Arc::make_mut(assembly).change_details(|details| remove_value(&mut details.mandates, &id));
    }
}

/// Removes the most recent occurrence of `value`.
pub(crate) fn remove_value<T: Clone + PartialEq>(list: &mut IdList<T>, value: &T) {
    list.remove_last(value);
}
