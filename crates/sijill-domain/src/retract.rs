//! Undoing a retracted event, and finding what a retraction would break.
//!
//! Every entity field that an event can change records the log position that set it (spans,
//! ends, attendance entries) or keeps the value it replaced (correction stacks), so undoing
//! position `p` removes exactly what `p` added. `decide` refuses a retraction while later
//! live events depend on it, which is what makes the undo exact: nothing built on top of `p`
//! remains when `p` goes.

use std::sync::Arc;

use crate::apply::{reindex_names, remove_value, set_date, set_name, unlink_mandate};
use crate::event::constituency_id;
use crate::ids::EntityId;
use crate::registry::{Effect, Registry};

/// Undoes the event at `position`, retracted by the event at `retraction`.
pub(crate) fn undo(registry: &mut Registry, position: u64, retraction: u64) {
    let Some(effect) = registry.effect_at(position) else {
        return;
    };
    if matches!(effect, Effect::Retraction) || registry.retracted.contains_key(&position) {
        return;
    }
    registry.retracted.insert(position, retraction);
    match effect {
        Effect::Created(id) => remove_entity(registry, id),
        Effect::Renamed(b) => {
            let indexed = registry.indexed_name(b.into());
            if let Some(body) = registry.bodies.get_mut(&b) {
                let body = Arc::make_mut(body);
                if let Some(i) = body.names.iter().position(|s| s.position == position) {
                    body.names.remove(i);
                }
            }
            reindex_names(registry, b.into(), indexed);
        }
        Effect::Moved(b) => undo_move(registry, b, position),
        Effect::Dissolved(b) => {
            if let Some(body) = registry.bodies.get_mut(&b) {
                Arc::make_mut(body).dissolution = None;
            }
        }
        Effect::Abolished(p) => {
            if let Some(post) = registry.posts.get_mut(&p) {
                Arc::make_mut(post).abolition = None;
            }
        }
        Effect::Attended(a) => undo_attendance(registry, a, position),
        Effect::Resolved(a) => {
            // Resolutions are listed in the order of their live adoptions, and `position` is
            // one of them: it is preceded by as many resolutions as live adoptions before it.
            let before = registry
                .resolution_positions(a)
                .iter()
                .filter(|p| **p < position)
                .count();
            if let Some(assembly) = registry.assemblies.get_mut(&a) {
                let mut at = 0;
                Arc::make_mut(assembly).resolutions.retain(|_| {
                    at += 1;
                    at - 1 != before
                });
            }
        }
        Effect::Ended(m) => {
            if let Some(mandate) = registry.mandates.get_mut(&m) {
                Arc::make_mut(mandate).end = None;
            }
            crate::apply::refresh_slot(registry, m);
        }
        Effect::NameCorrected(id) => {
            if let Some(previous) = pop_correction(&mut registry.name_corrections, &id, position) {
                set_name(registry, id, previous);
            }
        }
        Effect::DateCorrected(id, field) => {
            let key = (id, field);
            if let Some(previous) = pop_correction(&mut registry.date_corrections, &key, position) {
                set_date(registry, id, field, previous);
            }
        }
        Effect::ConstituencyCorrected(m) => {
            if let Some(previous) =
                pop_correction(&mut registry.constituency_corrections, &m, position)
            {
                if let Some(mandate) = registry.mandates.get_mut(&m) {
                    Arc::make_mut(mandate).constituency = previous;
                }
            }
        }
        Effect::Retraction => {}
    }
}

/// Takes the correction made at `position` off its stack and returns the value it replaced.
fn pop_correction<K: Ord + Clone, V: Clone>(
    stacks: &mut imbl::OrdMap<K, imbl::Vector<(u64, V)>>,
    key: &K,
    position: u64,
) -> Option<V> {
    let stack = stacks.get_mut(key)?;
    let index = stack.iter().rposition(|(p, _)| *p == position)?;
    let (_, previous) = stack.remove(index);
    if stack.is_empty() {
        stacks.remove(key);
    }
    Some(previous)
}

fn remove_entity(registry: &mut Registry, id: EntityId) {
    if let Some(handle) = registry.handle_of(id).cloned() {
        registry.handles.remove(&handle);
    }
    let history = registry
        .positions_of(id)
        .into_iter()
        .map(crate::registry::history_position)
        .collect();
    registry.tombstones.insert(id, history);
    if let Some(indexed) = registry.indexed_name(id) {
        registry.search.remove(id, &indexed);
    }
    match id {
        EntityId::Area(a) => {
            if let Some(area) = registry.areas.remove(&a) {
                if let Some(parent) = area.parent.and_then(|p| registry.areas.get_mut(&p)) {
                    remove_value(&mut Arc::make_mut(parent).children, &a);
                }
            }
        }
        EntityId::Person(p) => {
            registry.people.remove(&p);
        }
        EntityId::Body(b) => {
            if let Some(body) = registry.bodies.remove(&b) {
                for parent in body.parents.iter().filter_map(|s| s.value) {
                    if let Some(parent) = registry.bodies.get_mut(&parent) {
                        remove_value(&mut Arc::make_mut(parent).children, &b);
                    }
                }
            }
        }
        EntityId::Post(p) => {
            if let Some(post) = registry.posts.remove(&p) {
                if let Some(body) = registry.bodies.get_mut(&post.body) {
                    remove_value(&mut Arc::make_mut(body).posts, &p);
                }
            }
        }
        EntityId::Assembly(a) => {
            if let Some(assembly) = registry.assemblies.remove(&a) {
                if let Some(body) = registry.bodies.get_mut(&assembly.body) {
                    remove_value(&mut Arc::make_mut(body).assemblies, &a);
                }
            }
        }
        EntityId::Mandate(m) => {
            if let Some(mandate) = registry.mandates.remove(&m) {
                unlink_mandate(registry, &mandate);
            }
        }
    }
}

fn undo_move(registry: &mut Registry, b: crate::BodyId, position: u64) {
    let Some(body) = registry.bodies.get_mut(&b) else {
        return;
    };
    let body = Arc::make_mut(body);
    let Some(index) = body.parents.iter().position(|s| s.position == position) else {
        return;
    };
    let removed = body.parents.remove(index);
    let still_linked = body.parents.iter().any(|s| s.value == removed.value);
    if let (Some(parent), false) = (removed.value, still_linked) {
        if let Some(parent) = registry.bodies.get_mut(&parent) {
            remove_value(&mut Arc::make_mut(parent).children, &b);
        }
    }
}

fn undo_attendance(registry: &mut Registry, a: crate::AssemblyId, position: u64) {
    let Some(assembly) = registry.assemblies.get_mut(&a) else {
        return;
    };
    let (removed, remaining) = Arc::make_mut(assembly).change_details(|details| {
        let removed: Vec<_> = details
            .attendance
            .iter()
            .filter(|e| e.position == position)
            .map(|e| e.person)
            .collect();
        details.attendance.retain(|e| e.position != position);
        let remaining: Vec<_> = details.attendance.iter().map(|e| e.person).collect();
        (removed, remaining)
    });
    for person in removed.into_iter().filter(|p| !remaining.contains(p)) {
        if let Some(person) = registry.people.get_mut(&person) {
            remove_value(&mut Arc::make_mut(person).attended, &a);
        }
    }
}

/// The entities the (still live) event at `position` concerned, rebuilt from the state:
/// what a retraction of it is tagged with. Equals that event's `concerns()` as a set.
pub(crate) fn concerns_at(registry: &Registry, position: u64) -> Vec<EntityId> {
    let mut ids = Vec::new();
    let mut add = |id: EntityId| {
        if !ids.contains(&id) {
            ids.push(id);
        }
    };
    let Some(effect) = registry.effect_at(position) else {
        return ids;
    };
    match effect {
        Effect::Created(id) => created_concerns(registry, id, &mut add),
        Effect::Renamed(b) | Effect::Dissolved(b) => add(b.into()),
        Effect::Moved(b) => {
            add(b.into());
            if let Some(body) = registry.body(b) {
                let spans: Vec<_> = body.parents.iter().collect();
                if let Some(i) = spans.iter().position(|s| s.position == position) {
                    if let Some(previous) = moved_from(registry, b, position) {
                        add(previous.into());
                    }
                    if let Some(parent) = spans[i].value {
                        add(parent.into());
                    }
                }
            }
        }
        Effect::Abolished(p) => {
            add(p.into());
            if let Some(post) = registry.post(p) {
                add(post.body.into());
            }
        }
        Effect::Attended(a) => {
            add(a.into());
            if let Some(assembly) = registry.assembly(a) {
                assembly
                    .attendance()
                    .iter()
                    .filter(|e| e.position == position)
                    .for_each(|e| add(e.person.into()));
            }
        }
        Effect::Resolved(a) => add(a.into()),
        Effect::Ended(m) => {
            add(m.into());
            if let Some(mandate) = registry.mandate(m) {
                add(mandate.person.into());
                add(mandate.post.into());
                add(mandate.body.into());
            }
        }
        Effect::NameCorrected(id) | Effect::DateCorrected(id, _) => add(id),
        Effect::ConstituencyCorrected(m) => {
            add(m.into());
            let (previous, new) = constituency_change(registry, m, position);
            if let Some(c) = previous {
                add(constituency_id(c));
            }
            if let Some(c) = new {
                add(constituency_id(c));
            }
        }
        Effect::Retraction => {}
    }
    ids
}

fn created_concerns(registry: &Registry, id: EntityId, add: &mut impl FnMut(EntityId)) {
    add(id);
    match id {
        EntityId::Area(a) => {
            if let Some(parent) = registry.area(a).and_then(|a| a.parent) {
                add(parent.into());
            }
        }
        EntityId::Person(_) => {}
        EntityId::Body(b) => {
            if let Some(body) = registry.body(b) {
                let founding = body
                    .parents
                    .iter()
                    .find(|s| s.position == body.recorded_at());
                if let Some(parent) = founding.and_then(|s| s.value) {
                    add(parent.into());
                }
                if let Some(area) = body.area {
                    add(area.into());
                }
            }
        }
        EntityId::Post(p) => {
            if let Some(post) = registry.post(p) {
                add(post.body.into());
            }
        }
        EntityId::Assembly(a) => {
            if let Some(assembly) = registry.assembly(a) {
                add(assembly.body.into());
            }
        }
        EntityId::Mandate(m) => mandate_concerns(registry, m, add),
    }
}

fn mandate_concerns(registry: &Registry, m: crate::MandateId, add: &mut impl FnMut(EntityId)) {
    let Some(mandate) = registry.mandate(m) else {
        return;
    };
    add(mandate.person.into());
    add(mandate.post.into());
    add(mandate.body.into());
    if let Some(assembly) = mandate.assembly {
        add(assembly.into());
    }
    let original = match registry
        .constituency_corrections
        .get(&m)
        .and_then(|s| s.front())
    {
        Some((_, previous)) => *previous,
        None => mandate.constituency,
    };
    if let Some(c) = original {
        add(constituency_id(c));
    }
    if let crate::Basis::Appointed { by: Some(by) } = mandate.basis {
        add(crate::event::appointer_id(by));
    }
}

/// The parent a body had just before the move at `position`, as the move event recorded it.
pub(crate) fn moved_from(
    registry: &Registry,
    b: crate::BodyId,
    position: u64,
) -> Option<crate::BodyId> {
    let body = registry.body(b)?;
    let span = body.parents.iter().find(|s| s.position == position)?;
    let on = span.since.as_ref()?;
    crate::query::parent_before(body, on, position)
}

/// The constituency before and after the correction at `position`.
fn constituency_change(
    registry: &Registry,
    m: crate::MandateId,
    position: u64,
) -> (Option<crate::Constituency>, Option<crate::Constituency>) {
    let current = registry.mandate(m).and_then(|m| m.constituency);
    let Some(stack) = registry.constituency_corrections.get(&m) else {
        return (None, current);
    };
    let entries: Vec<_> = stack.iter().collect();
    let Some(i) = entries.iter().position(|(p, _)| *p == position) else {
        return (None, current);
    };
    let new = entries
        .get(i + 1)
        .map_or(current, |(_, previous)| *previous);
    (entries[i].1, new)
}
