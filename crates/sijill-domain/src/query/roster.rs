//! Who holds what: a body's roster as of a date, a person's mandates, vacant seats.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::date::{Certainty, EdtfDate};
use crate::event::{appointer_id, constituency_id};
use crate::ids::{AssemblyId, BodyId, EntityId, EntityKind, Handle, PersonId, PostId};
use crate::names::Names;
use crate::registry::{Mandate, Post, Registry};
use crate::span::Occupancy;
use crate::values::{Basis, EndReason};

use super::{body_alive, AsOf};

/// An entity as queries show it: kind, id, handle and (current or as-of) name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ref {
    pub kind: EntityKind,
    pub id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handle: Option<Handle>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Names>,
}

/// A mandate with everything a reader needs to say who, what, where, since when and how.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MandateView {
    pub mandate: Ref,
    pub person: Ref,
    pub post: Ref,
    pub body: Ref,
    pub from: EdtfDate,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<EdtfDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_reason: Option<EndReason>,
    pub basis: Basis<Ref>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assembly: Option<Ref>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constituency: Option<Ref>,
}

/// One line of a roster: a mandate, and how surely it is held as of the date asked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterEntry {
    #[serde(flatten)]
    pub mandate: MandateView,
    pub certainty: Certainty,
}

/// A post with fewer holders than seats as of a date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vacancy {
    pub post: Ref,
    pub body: Ref,
    pub seats: u32,
    /// Seats surely held (every mandate counted is certain).
    pub held_certainly: u32,
    /// Seats held under some reading of the dates.
    pub held_possibly: u32,
}

impl Registry {
    /// An entity as a [`Ref`], with its current name.
    pub fn reference(&self, id: EntityId) -> Ref {
        let (handle, name) = self.handle_and_name(id);
        Ref {
            kind: id.kind(),
            id: id.as_uuid(),
            handle: handle.cloned(),
            name: name.cloned(),
        }
    }

    /// A mandate as a reader sees it.
    pub fn mandate_view(&self, m: &Mandate) -> MandateView {
        let post = self.reference(m.post.into());
        let body = self.reference(m.body.into());
        let assembly = m.assembly.map(|a| self.reference(a.into()));
        self.mandate_view_of(m, post, body, assembly)
    }

    /// A mandate as a reader sees it, with the references a roster shares between its
    /// entries already made: each costs a lookup, and a roster's entries name the same body,
    /// a few posts and often one assembly.
    fn mandate_view_of(
        &self,
        m: &Mandate,
        post: Ref,
        body: Ref,
        assembly: Option<Ref>,
    ) -> MandateView {
        let basis = m
            .basis
            .try_map(|a| Ok::<Ref, std::convert::Infallible>(self.reference(appointer_id(*a))))
            .unwrap_or_else(|never| match never {});
        MandateView {
            // What `reference` would give, without looking the mandate up again.
            mandate: Ref {
                kind: EntityKind::Mandate,
                id: m.id.as_uuid(),
                handle: m.handle.clone(),
                name: None,
            },
            person: self.reference(m.person.into()),
            post,
            body,
            from: m.from,
            to: m.to().copied(),
            end_reason: m.end.as_ref().map(|e| e.reason),
            basis,
            assembly,
            constituency: m.constituency.map(|c| self.reference(constituency_id(c))),
        }
    }

    /// Who holds (or may hold) each post of `body` as of the date, in the order the posts
    /// were established, then by start date. Empty for an unknown body.
    pub fn roster(&self, body: BodyId, as_of: &AsOf) -> Vec<RosterEntry> {
        let Some(b) = self.body(body) else {
            return Vec::new();
        };
        let (lo, hi) = as_of.range();
        let mut posts: Vec<&Post> = Vec::new();
        let mut held: Vec<(usize, i32, &Mandate, Certainty)> = Vec::new();
        // Posts' slots hold each mandate's possible days: only those that may cover the date
        // are looked up.
        for (rank, post) in b.posts.iter().filter_map(|p| self.post(*p)).enumerate() {
            posts.push(post);
            let candidates = post
                .slots
                .iter()
                .filter(|s| s.lo <= hi && lo < s.hi && s.lo < s.hi);
            for m in candidates.filter_map(|s| self.mandate(s.mandate)) {
                let certainty = Occupancy::new(Some(&m.from), m.to()).certainty_over((lo, hi));
                if certainty.is_possible() {
                    held.push((rank, crate::span::since_key(Some(&m.from)), m, certainty));
                }
            }
        }
        held.sort_by_key(|(rank, since, m, _)| (*rank, *since, m.recorded_at()));
        let body_ref = reference_to(b.id.into(), &b.handle, Some(b.name()));
        let mut shared = SharedRefs::default();
        held.into_iter()
            .map(|(rank, _, m, certainty)| {
                let post = posts[rank];
                let post_ref = shared.post(post, || {
                    reference_to(post.id.into(), &post.handle, Some(&post.title))
                });
                let assembly = m
                    .assembly
                    .map(|a| shared.assembly(a, || self.reference(a.into())));
                RosterEntry {
                    mandate: self.mandate_view_of(m, post_ref, body_ref.clone(), assembly),
                    certainty,
                }
            })
            .collect()
    }

    /// Every mandate the person holds or held, by start date.
    pub fn person_mandates(&self, person: PersonId) -> Vec<MandateView> {
        let Some(p) = self.person(person) else {
            return Vec::new();
        };
        let mut mandates: Vec<&Mandate> =
            p.mandates.iter().filter_map(|m| self.mandate(*m)).collect();
        mandates.sort_by_key(|m| (crate::span::since_key(Some(&m.from)), m.recorded_at()));
        mandates.into_iter().map(|m| self.mandate_view(m)).collect()
    }

    /// Posts with a limited number of seats that are (or may be) not all held as of the
    /// date, in live bodies, by body handle then post handle.
    pub fn vacancies(&self, as_of: &AsOf) -> Vec<Vacancy> {
        let range = as_of.range();
        let mut found = Vec::new();
        for post in self.posts() {
            let Some(seats) = post.seats.limit() else {
                continue;
            };
            let Some(body) = self.body(post.body) else {
                continue;
            };
            let abolished = post.abolition.as_ref().map(|a| &a.on);
            let post_alive =
                Occupancy::new(post.established_on.as_ref(), abolished).certainty_over(range);
            if !post_alive.is_possible() || !body_alive(body, range).is_possible() {
                continue;
            }
            let (mut certain, mut possible) = (0u32, 0u32);
            let candidates = post
                .slots
                .iter()
                .filter(|s| s.lo <= range.1 && range.0 < s.hi && s.lo < s.hi);
            for m in candidates.filter_map(|s| self.mandate(s.mandate)) {
                match Occupancy::new(Some(&m.from), m.to()).certainty_over(range) {
                    Certainty::Certain => (certain, possible) = (certain + 1, possible + 1),
                    Certainty::Possible => possible += 1,
                    Certainty::Impossible => {}
                }
            }
            if certain < seats {
                found.push((
                    body.handle.clone(),
                    post.handle.clone(),
                    Vacancy {
                        post: self.reference(post.id.into()),
                        body: self.reference(body.id.into()),
                        seats,
                        held_certainly: certain,
                        held_possibly: possible,
                    },
                ));
            }
        }
        found.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        found.into_iter().map(|(_, _, v)| v).collect()
    }
}

/// A [`Ref`] of an entity already at hand.
fn reference_to(id: EntityId, handle: &Handle, name: Option<&Names>) -> Ref {
    Ref {
        kind: id.kind(),
        id: id.as_uuid(),
        handle: Some(handle.clone()),
        name: name.cloned(),
    }
}

/// The references a roster's entries share, made once each: the post of the entries in a
/// row, and the assemblies seen so far (a council's members are mostly elected at one).
#[derive(Default)]
struct SharedRefs {
    post: Option<(PostId, Ref)>,
    assemblies: Vec<(AssemblyId, Ref)>,
}

impl SharedRefs {
    fn post(&mut self, post: &Post, make: impl FnOnce() -> Ref) -> Ref {
        match &self.post {
            Some((id, made)) if *id == post.id => made.clone(),
            _ => {
                let made = make();
                self.post = Some((post.id, made.clone()));
                made
            }
        }
    }

    fn assembly(&mut self, id: AssemblyId, make: impl FnOnce() -> Ref) -> Ref {
        if let Some((_, made)) = self.assemblies.iter().find(|(a, _)| *a == id) {
            return made.clone();
        }
        let made = make();
        self.assemblies.push((id, made.clone()));
        made
    }
}
