//! What an export covers: the whole registry, or the structure as of a date.
//!
//! As of a date, an export holds the bodies that exist (or may exist) then, with the name and
//! parent they had then; their posts that exist then; the mandates held (or possibly held)
//! then, each marked certain or possible; the assemblies held by then. Every person and area
//! is exported, so nothing refers to a missing record. A body, post or assembly that an
//! exported mandate refers to is exported even when it does not exist on the date (a
//! chamber dissolved since, say), with its current name, so references always resolve.
//!
//! Without a date, an export holds everything the registry knows, with current names and
//! parents; history the format cannot express stays in extension fields.

use std::collections::{HashMap, HashSet};

use sijill_domain::query::TreeNode;
use sijill_domain::{Appointer, Basis};
use sijill_domain::{
    Area, AsOf, Assembly, AssemblyId, Body, BodyId, Certainty, Constituency, EdtfDate, Mandate,
    MandateId, Names, Person, Post, PostId, Registry,
};

use crate::ids::sort_by_id;

/// What to export.
#[derive(Clone, Debug, Default)]
pub struct ExportOptions {
    /// Export the structure as of this date; `None` exports everything.
    pub as_of: Option<AsOf>,
}

/// The records an export writes, each kind sorted by its exported id.
pub(crate) struct Scope<'r> {
    pub registry: &'r Registry,
    pub as_of: Option<AsOf>,
    view: Option<AsOfView>,
}

struct AsOfView {
    bodies: HashMap<BodyId, BodyView>,
    posts: HashSet<PostId>,
    mandates: HashMap<MandateId, Certainty>,
    assemblies: HashSet<AssemblyId>,
}

/// A body as of the date: `certainty` is `None` for a body exported only because something
/// refers to it.
struct BodyView {
    name: Names,
    parent: Option<BodyId>,
    certainty: Option<Certainty>,
}

impl<'r> Scope<'r> {
    /// How many records the export writes, about (for choosing how to look handles up).
    pub fn records(&self) -> usize {
        let [areas, people, bodies, posts, assemblies, mandates] = self.registry.counts();
        match &self.view {
            None => areas + people + bodies + posts + assemblies + mandates,
            Some(view) => {
                areas
                    + people
                    + view.bodies.len()
                    + view.posts.len()
                    + view.assemblies.len()
                    + view.mandates.len()
            }
        }
    }

    pub fn new(registry: &'r Registry, options: &ExportOptions) -> Scope<'r> {
        let view = options
            .as_of
            .as_ref()
            .map(|as_of| AsOfView::new(registry, as_of));
        Scope {
            registry,
            as_of: options.as_of,
            view,
        }
    }

    /// Every area, sorted by id: areas are timeless.
    pub fn areas(&self) -> Vec<&'r Area> {
        sort_by_id(self.registry.areas().collect(), |a| a.handle.as_str())
    }

    /// Every person, sorted by id, whatever the date: people are timeless.
    pub fn people(&self) -> Vec<&'r Person> {
        sort_by_id(self.registry.people().collect(), |p| p.handle.as_str())
    }

    pub fn bodies(&self) -> Vec<&'r Body> {
        let bodies: Vec<&Body> = self
            .registry
            .bodies()
            .filter(|b| self.has_body(b.id))
            .collect();
        sort_by_id(bodies, |b| b.handle.as_str())
    }

    pub fn posts(&self) -> Vec<&'r Post> {
        let posts: Vec<&Post> = match &self.view {
            None => self.registry.posts().collect(),
            Some(view) => view
                .posts
                .iter()
                .filter_map(|p| self.registry.post(*p))
                .collect(),
        };
        sort_by_id(posts, |p| p.handle.as_str())
    }

    /// Mandates with their exported id, sorted by it.
    pub fn mandates(&self) -> Vec<(std::borrow::Cow<'r, str>, &'r Mandate)> {
        let mandates: Vec<_> = match &self.view {
            None => self
                .registry
                .mandates()
                .map(|m| (crate::ids::of_mandate(m), m))
                .collect(),
            Some(view) => view
                .mandates
                .keys()
                .filter_map(|m| self.registry.mandate(*m))
                .map(|m| (crate::ids::of_mandate(m), m))
                .collect(),
        };
        sort_by_id(mandates, |m| &m.0)
    }

    pub fn assemblies(&self) -> Vec<&'r Assembly> {
        let assemblies: Vec<&Assembly> = match &self.view {
            None => self.registry.assemblies().collect(),
            Some(view) => view
                .assemblies
                .iter()
                .filter_map(|a| self.registry.assembly(*a))
                .collect(),
        };
        sort_by_id(assemblies, |a| a.handle.as_str())
    }

    pub fn has_body(&self, id: BodyId) -> bool {
        self.view
            .as_ref()
            .is_none_or(|v| v.bodies.contains_key(&id))
    }

    /// The body's name: as of the date, else its current one.
    pub fn body_name<'a>(&'a self, body: &'a Body) -> &'a Names {
        self.body_view(body.id)
            .map_or_else(|| body.name(), |v| &v.name)
    }

    /// The body's parent: as of the date (when that parent is exported too), else current.
    pub fn body_parent(&self, body: &Body) -> Option<BodyId> {
        match &self.view {
            None => body.parent(),
            Some(_) => self.body_view(body.id).and_then(|v| v.parent),
        }
    }

    /// How surely the body exists on the date; `None` without a date or for a body exported
    /// only because something refers to it.
    pub fn body_certainty(&self, id: BodyId) -> Option<Certainty> {
        self.body_view(id).and_then(|v| v.certainty)
    }

    /// How surely the mandate is held on the date; `None` without a date.
    pub fn mandate_certainty(&self, id: MandateId) -> Option<Certainty> {
        self.view
            .as_ref()
            .and_then(|v| v.mandates.get(&id).copied())
    }

    fn body_view(&self, id: BodyId) -> Option<&BodyView> {
        self.view.as_ref().and_then(|v| v.bodies.get(&id))
    }
}

impl AsOfView {
    fn new(registry: &Registry, as_of: &AsOf) -> AsOfView {
        let mut view = AsOfView {
            bodies: HashMap::new(),
            posts: HashSet::new(),
            mandates: HashMap::new(),
            assemblies: HashSet::new(),
        };
        view.add_tree(&registry.tree(as_of), None);
        let alive: Vec<BodyId> = view.bodies.keys().copied().collect();
        for body in alive.iter().filter_map(|b| registry.body(*b)) {
            view.add_live_parts(registry, body, as_of.as_date());
        }
        for body in &alive {
            for entry in registry.roster(*body, as_of) {
                let id = MandateId::from_uuid(entry.mandate.mandate.id);
                view.mandates.insert(id, entry.certainty);
            }
        }
        view.add_referenced(registry);
        view
    }

    fn add_tree(&mut self, nodes: &[TreeNode], parent: Option<BodyId>) {
        for node in nodes {
            let id = BodyId::from_uuid(node.body.id);
            let name = node.body.name.clone().expect("the tree names every body");
            self.bodies.insert(
                id,
                BodyView {
                    name,
                    parent,
                    certainty: Some(node.certainty),
                },
            );
            self.add_tree(&node.children, Some(id));
        }
    }

    /// The body's posts and assemblies that exist by the date.
    fn add_live_parts(&mut self, registry: &Registry, body: &Body, date: &EdtfDate) {
        for post in body.posts.iter().filter_map(|p| registry.post(*p)) {
            let established = post
                .established_on
                .is_none_or(|e| e.on_or_before_date(date).is_possible());
            let abolished = post
                .abolition
                .as_ref()
                .is_some_and(|a| !date.before_date(&a.on).is_possible());
            if established && !abolished {
                self.posts.insert(post.id);
            }
        }
        for assembly in body.assemblies.iter().filter_map(|a| registry.assembly(*a)) {
            if assembly.held_on.on_or_before_date(date).is_possible() {
                self.assemblies.insert(assembly.id);
            }
        }
    }

    /// Whatever the exported mandates and assemblies refer to.
    fn add_referenced(&mut self, registry: &Registry) {
        let mut bodies = Vec::new();
        for mandate in self.mandates.keys().filter_map(|m| registry.mandate(*m)) {
            self.posts.insert(mandate.post);
            bodies.push(mandate.body);
            if let Some(assembly) = mandate.assembly {
                self.assemblies.insert(assembly);
            }
            if let Some(Constituency::Body(body)) = mandate.constituency {
                bodies.push(body);
            }
            if let Basis::Appointed {
                by: Some(Appointer::Body(body)),
            } = mandate.basis
            {
                bodies.push(body);
            }
        }
        bodies.extend(
            self.assemblies
                .iter()
                .filter_map(|a| registry.assembly(*a))
                .map(|a| a.body),
        );
        bodies.extend(
            self.posts
                .iter()
                .filter_map(|p| registry.post(*p))
                .map(|p| p.body),
        );
        for id in bodies {
            if let (false, Some(body)) = (self.bodies.contains_key(&id), registry.body(id)) {
                self.bodies.insert(
                    id,
                    BodyView {
                        name: body.name().clone(),
                        parent: None,
                        certainty: None,
                    },
                );
            }
        }
    }
}
