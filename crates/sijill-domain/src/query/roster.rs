//! Who holds what: a body's roster as of a date, a person's mandates, vacant seats.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::date::{Certainty, EdtfDate};
use crate::event::{appointer_id, constituency_id};
use crate::ids::{BodyId, EntityId, EntityKind, Handle, PersonId};
use crate::names::Names;
use crate::registry::{Mandate, Registry};
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
        Ref {
            kind: id.kind(),
            id: id.as_uuid(),
            handle: self.handle_of(id).cloned(),
            name: self.name_of(id).cloned(),
        }
    }

    /// A mandate as a reader sees it.
    pub fn mandate_view(&self, m: &Mandate) -> MandateView {
        let basis = m
            .basis
            .try_map(|a| Ok::<Ref, std::convert::Infallible>(self.reference(appointer_id(*a))))
            .unwrap_or_else(|never| match never {});
        MandateView {
            mandate: self.reference(m.id.into()),
            person: self.reference(m.person.into()),
            post: self.reference(m.post.into()),
            body: self.reference(m.body.into()),
            from: m.from,
            to: m.to().copied(),
            end_reason: m.end.as_ref().map(|e| e.reason),
            basis,
            assembly: m.assembly.map(|a| self.reference(a.into())),
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
        let mut held: Vec<(usize, i32, &Mandate, Certainty)> = Vec::new();
        // Posts' slots hold each mandate's possible days: only those that may cover the date
        // are looked up.
        for (rank, post) in b.posts.iter().filter_map(|p| self.post(*p)).enumerate() {
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
        held.sort_by_key(|(rank, since, m, _)| (*rank, *since, m.recorded_at));
        held.into_iter()
            .map(|(_, _, m, certainty)| RosterEntry {
                mandate: self.mandate_view(m),
                certainty,
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
        mandates.sort_by_key(|m| (crate::span::since_key(Some(&m.from)), m.recorded_at));
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
