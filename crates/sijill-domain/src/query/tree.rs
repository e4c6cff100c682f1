//! The forest of bodies as of a date.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::date::Certainty;
use crate::ids::BodyId;
use crate::registry::{Body, Registry};
use crate::span::{since_key, POS};
use crate::values::BodyKind;

use super::roster::Ref;
use super::AsOf;

/// A body in the tree, with its name and parent as of the date asked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeNode {
    pub body: Ref,
    pub kind: BodyKind,
    /// How surely the body exists over the whole date asked.
    pub certainty: Certainty,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<TreeNode>,
}

impl Registry {
    /// Every body that exists (or may exist) as of the date, under the parent it had then;
    /// roots and children sorted by handle. A body whose parent does not exist then is shown
    /// as a root.
    ///
    /// Names and parents are taken on the last day the date may denote (the first, for an
    /// open-ended date). To fold the tree for several dates, build a [`TreeIndex`] once.
    pub fn tree(&self, as_of: &AsOf) -> Vec<TreeNode> {
        TreeIndex::new(self).tree(as_of)
    }
}

/// What the tree needs of every body, gathered once per state into one vector sorted by
/// handle. Folding the tree walks every body; read from the registry's persistent maps, each
/// visit chases pointers scattered over the whole state, so the fold was bound by memory
/// latency. Read from here, it is a scan of memory laid out together, and siblings come out in
/// handle order without a sort.
#[derive(Clone, Debug)]
pub struct TreeIndex {
    bodies: Vec<IndexedBody>,
}

#[derive(Clone, Debug)]
struct IndexedBody {
    id: BodyId,
    handle: crate::Handle,
    kind: BodyKind,
    founded_on: Option<crate::EdtfDate>,
    dissolved_on: Option<crate::EdtfDate>,
    /// Parents over time, each with the first day it applies (`since_key`).
    parents: Vec<(i32, Option<BodyId>)>,
    /// Names over time, likewise, and the name to fall back on.
    names: Vec<(i32, crate::Names)>,
    name: crate::Names,
}

impl IndexedBody {
    fn of(body: &Body) -> IndexedBody {
        IndexedBody {
            id: body.id,
            handle: body.handle.clone(),
            kind: body.kind.clone(),
            founded_on: body.founded_on,
            dissolved_on: body.dissolution.as_ref().map(|d| d.on),
            parents: body
                .parents
                .iter()
                .map(|s| (since_key(s.since.as_ref()), s.value))
                .collect(),
            names: body
                .names
                .iter()
                .map(|s| (since_key(s.since.as_ref()), s.value.clone()))
                .collect(),
            name: body.name().clone(),
        }
    }

    fn alive(&self, range: (i32, i32)) -> Certainty {
        crate::span::Occupancy::new(self.founded_on.as_ref(), self.dissolved_on.as_ref())
            .certainty_over(range)
    }

    /// As `query::parent_as_of`: the latest span begun by `day`, else the first.
    fn parent(&self, day: i32) -> Option<BodyId> {
        self.parents
            .iter()
            .rev()
            .find(|(since, _)| *since <= day)
            .or_else(|| self.parents.first())
            .and_then(|(_, parent)| *parent)
    }

    /// The name on `day`: the latest span begun by then, else the first name.
    fn name(&self, day: i32) -> &crate::Names {
        self.names
            .iter()
            .rev()
            .find(|(since, _)| *since <= day)
            .or_else(|| self.names.first())
            .map_or(&self.name, |(_, name)| name)
    }
}

impl TreeIndex {
    pub fn new(registry: &Registry) -> TreeIndex {
        let mut bodies: Vec<IndexedBody> = registry.bodies().map(IndexedBody::of).collect();
        bodies.sort_unstable_by(|a, b| a.handle.cmp(&b.handle));
        TreeIndex { bodies }
    }

    /// [`Registry::tree`] of the registry this index was built from.
    pub fn tree(&self, as_of: &AsOf) -> Vec<TreeNode> {
        let range = as_of.range();
        let day = if range.1 == POS { range.0 } else { range.1 };
        let alive: Vec<(&IndexedBody, Certainty)> = self
            .bodies
            .iter()
            .map(|b| (b, b.alive(range)))
            .filter(|(_, c)| c.is_possible())
            .collect();
        let ids: HashSet<BodyId> = alive.iter().map(|(b, _)| b.id).collect();
        let mut children: HashMap<Option<BodyId>, Vec<(&IndexedBody, Certainty)>> = HashMap::new();
        // In handle order, so every list of siblings is sorted.
        for (body, certainty) in &alive {
            let parent = body
                .parent(day)
                .filter(|p| ids.contains(p) && *p != body.id);
            children.entry(parent).or_default().push((body, *certainty));
        }
        let mut visited = HashSet::new();
        nodes(None, &children, day, &mut visited)
    }
}

type Children<'a> = HashMap<Option<BodyId>, Vec<(&'a IndexedBody, Certainty)>>;

fn nodes(
    parent: Option<BodyId>,
    children: &Children<'_>,
    day: i32,
    visited: &mut HashSet<BodyId>,
) -> Vec<TreeNode> {
    let Some(list) = children.get(&parent) else {
        return Vec::new();
    };
    let mut nodes_here = Vec::with_capacity(list.len());
    for (body, certainty) in list {
        if !visited.insert(body.id) {
            continue;
        }
        nodes_here.push(TreeNode {
            body: Ref {
                kind: crate::ids::EntityKind::Body,
                id: body.id.as_uuid(),
                handle: Some(body.handle.clone()),
                name: Some(body.name(day).clone()),
            },
            kind: body.kind.clone(),
            certainty: *certainty,
            children: nodes(Some(body.id), children, day, visited),
        });
    }
    nodes_here
}
