//! The forest of bodies as of a date.

use serde::{Deserialize, Serialize};

use crate::date::Certainty;
use crate::ids::BodyId;
use crate::registry::{Body, Registry};
use crate::span::{since_key, POS};
use crate::values::BodyKind;

use super::roster::Ref;
use super::{body_alive, parent_as_of, AsOf};

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
    /// open-ended date).
    pub fn tree(&self, as_of: &AsOf) -> Vec<TreeNode> {
        let range = as_of.range();
        let day = if range.1 == POS { range.0 } else { range.1 };
        let alive: Vec<(&Body, Certainty)> = self
            .bodies()
            .map(|b| (b, body_alive(b, range)))
            .filter(|(_, c)| c.is_possible())
            .collect();
        let ids: std::collections::HashSet<BodyId> = alive.iter().map(|(b, _)| b.id).collect();
        let present = |id: BodyId| ids.contains(&id);
        let mut children: std::collections::HashMap<Option<BodyId>, Vec<(&Body, Certainty)>> =
            Default::default();
        for (body, certainty) in &alive {
            let parent = parent_as_of(body, day).filter(|p| present(*p) && *p != body.id);
            children.entry(parent).or_default().push((body, *certainty));
        }
        // Each list of siblings sorted on its own: cheaper than sorting every body by handle
        // first, and the order within a list is the same.
        for siblings in children.values_mut() {
            siblings.sort_unstable_by(|a, b| a.0.handle.cmp(&b.0.handle));
        }
        let mut visited = std::collections::HashSet::new();
        self.nodes(None, &children, day, &mut visited)
    }

    fn nodes(
        &self,
        parent: Option<BodyId>,
        children: &std::collections::HashMap<Option<BodyId>, Vec<(&Body, Certainty)>>,
        day: i32,
        visited: &mut std::collections::HashSet<BodyId>,
    ) -> Vec<TreeNode> {
        let Some(list) = children.get(&parent) else {
            return Vec::new();
        };
        let mut nodes = Vec::with_capacity(list.len());
        for (body, certainty) in list {
            if !visited.insert(body.id) {
                continue;
            }
            // Built from the body at hand: `reference` would look the body up again by id
            // and clone its current name only for it to be replaced by the dated one.
            let node_ref = Ref {
                kind: crate::ids::EntityKind::Body,
                id: body.id.as_uuid(),
                handle: Some(body.handle.clone()),
                name: Some(name_as_of(body, day).clone()),
            };
            nodes.push(TreeNode {
                body: node_ref,
                kind: body.kind.clone(),
                certainty: *certainty,
                children: self.nodes(Some(body.id), children, day, visited),
            });
        }
        nodes
    }
}

/// The body's name on `day`: the latest span begun by then, else its first name.
pub fn name_as_of(body: &Body, day: i32) -> &crate::Names {
    body.names
        .iter()
        .rev()
        .find(|s| since_key(s.since.as_ref()) <= day)
        .or_else(|| body.names.front())
        .map(|s| &s.value)
        .unwrap_or_else(|| body.name())
}
