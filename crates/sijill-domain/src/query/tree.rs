//! The forest of bodies as of a date.

use std::collections::HashMap;

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
/// visit chased pointers scattered over the whole state and worked out date ranges again, so
/// the fold was bound by memory latency. Here each body's dates are already days, its parents
/// are already positions in the vector, and siblings come out in handle order without a sort.
#[derive(Clone, Debug)]
pub struct TreeIndex {
    bodies: Vec<IndexedBody>,
}

#[derive(Clone, Debug)]
struct IndexedBody {
    id: BodyId,
    handle: crate::Handle,
    kind: BodyKind,
    /// When the body may and surely exists (founding to dissolution).
    alive: crate::span::Occupancy,
    /// Parents over time, each with the first day it applies (`since_key`), as positions in
    /// [`TreeIndex::bodies`].
    parents: Vec<(i32, Option<usize>)>,
    /// Names over time, likewise, and the name to fall back on.
    names: Vec<(i32, crate::Names)>,
    name: crate::Names,
}

impl IndexedBody {
    /// As `query::parent_as_of`: the latest span begun by `day`, else the first.
    fn parent(&self, day: i32) -> Option<usize> {
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
        let mut sorted: Vec<&Body> = registry.bodies().collect();
        sorted.sort_unstable_by(|a, b| a.handle.cmp(&b.handle));
        let at: HashMap<BodyId, usize> =
            sorted.iter().enumerate().map(|(i, b)| (b.id, i)).collect();
        let bodies = sorted
            .iter()
            .map(|body| IndexedBody {
                id: body.id,
                handle: body.handle.clone(),
                kind: body.kind.clone(),
                alive: crate::span::Occupancy::new(
                    body.founded_on.as_ref(),
                    body.dissolution.as_ref().map(|d| &d.on),
                ),
                parents: body
                    .parents
                    .iter()
                    .map(|s| {
                        let parent = s.value.and_then(|p| at.get(&p).copied());
                        (since_key(s.since.as_ref()), parent)
                    })
                    .collect(),
                names: body
                    .names
                    .iter()
                    .map(|s| (since_key(s.since.as_ref()), s.value.clone()))
                    .collect(),
                name: body.name().clone(),
            })
            .collect();
        TreeIndex { bodies }
    }

    /// [`Registry::tree`] of the registry this index was built from.
    pub fn tree(&self, as_of: &AsOf) -> Vec<TreeNode> {
        let range = as_of.range();
        let day = if range.1 == POS { range.0 } else { range.1 };
        let alive: Vec<Certainty> = self
            .bodies
            .iter()
            .map(|b| b.alive.certainty_over(range))
            .collect();
        // Children by the parent's position (the last slot holds the roots), filled in handle
        // order so that every list of siblings is sorted.
        let roots = self.bodies.len();
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); roots + 1];
        for (at, body) in self.bodies.iter().enumerate() {
            if !alive[at].is_possible() {
                continue;
            }
            let parent = body
                .parent(day)
                .filter(|p| alive[*p].is_possible() && *p != at);
            children[parent.unwrap_or(roots)].push(at);
        }
        let mut visited = vec![false; roots];
        let fold = Fold {
            index: self,
            alive: &alive,
            children: &children,
            day,
        };
        fold.nodes(roots, &mut visited)
    }
}

/// One fold of the tree: the index, and what was worked out for the date asked.
struct Fold<'a> {
    index: &'a TreeIndex,
    alive: &'a [Certainty],
    children: &'a [Vec<usize>],
    day: i32,
}

impl Fold<'_> {
    fn nodes(&self, parent: usize, visited: &mut [bool]) -> Vec<TreeNode> {
        let list = &self.children[parent];
        let mut nodes = Vec::with_capacity(list.len());
        for &at in list {
            if std::mem::replace(&mut visited[at], true) {
                continue;
            }
            let body = &self.index.bodies[at];
            nodes.push(TreeNode {
                body: Ref {
                    kind: crate::ids::EntityKind::Body,
                    id: body.id.as_uuid(),
                    handle: Some(body.handle.clone()),
                    name: Some(body.name(self.day).clone()),
                },
                kind: body.kind.clone(),
                certainty: self.alive[at],
                children: self.nodes(at, visited),
            });
        }
        nodes
    }
}
