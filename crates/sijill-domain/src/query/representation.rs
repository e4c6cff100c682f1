//! Representation: which constituencies of its area a body covers as of a date, which it
//! misses, and the share of women and men among its members where gender is recorded.

use serde::{Deserialize, Serialize};

use crate::date::Certainty;
use crate::ids::{AreaId, BodyId, PersonId};
use crate::registry::Registry;
use crate::span::Occupancy;
use crate::values::{Constituency, Gender};

use super::roster::Ref;
use super::AsOf;

/// A constituency and who represents it in the body as of the date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Represented {
    pub constituency: Ref,
    pub holders: Vec<Ref>,
    /// `certain` when at least one holder surely holds the mandate over the whole date.
    pub certainty: Certainty,
}

/// Counts of the distinct people holding (or possibly holding) a mandate in the body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GenderShare {
    pub women: u32,
    pub men: u32,
    pub other: u32,
    pub unknown: u32,
    /// Women among those whose gender is recorded, from 0 to 1; `None` if nobody's is.
    pub women_share: Option<f64>,
    pub men_share: Option<f64>,
}

/// The answer of [`Registry::representation`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Representation {
    pub body: Ref,
    /// The body's area, whose constituencies are counted.
    pub area: Option<Ref>,
    /// The area's constituencies (its smallest subdivisions, usually communes) that some
    /// member represents, by handle.
    pub covered: Vec<Represented>,
    /// The area's constituencies nobody represents.
    pub missed: Vec<Ref>,
    /// Other constituencies represented: bodies such as chambers, and areas outside the
    /// body's area or above its smallest subdivisions.
    pub others: Vec<Represented>,
    pub gender: GenderShare,
}

impl Registry {
    /// Representation in `body` as of the date; `None` for an unknown body.
    pub fn representation(&self, body: BodyId, as_of: &AsOf) -> Option<Representation> {
        let b = self.body(body)?;
        let range = as_of.range();
        let leaves = b.area.map(|a| self.leaf_areas(a)).unwrap_or_default();
        let mut by_constituency: Vec<(Constituency, Vec<PersonId>, Certainty)> = Vec::new();
        let mut people: Vec<PersonId> = Vec::new();
        for m in b.mandates.iter().filter_map(|m| self.mandate(*m)) {
            let certainty = Occupancy::new(Some(&m.from), m.to()).certainty_over(range);
            if !certainty.is_possible() {
                continue;
            }
            if !people.contains(&m.person) {
                people.push(m.person);
            }
            let Some(c) = m.constituency else { continue };
            match by_constituency.iter_mut().find(|(k, _, _)| *k == c) {
                Some((_, holders, best)) => {
                    holders.push(m.person);
                    *best = (*best).or(certainty);
                }
                None => by_constituency.push((c, vec![m.person], certainty)),
            }
        }
        let represent =
            |(c, holders, certainty): &(Constituency, Vec<PersonId>, Certainty)| Represented {
                constituency: self.reference(crate::event::constituency_id(*c)),
                holders: holders
                    .iter()
                    .map(|p| self.reference((*p).into()))
                    .collect(),
                certainty: *certainty,
            };
        let is_leaf = |c: &Constituency| matches!(c, Constituency::Area(a) if leaves.contains(a));
        let mut covered: Vec<Represented> = by_constituency
            .iter()
            .filter(|e| is_leaf(&e.0))
            .map(represent)
            .collect();
        let mut others: Vec<Represented> = by_constituency
            .iter()
            .filter(|e| !is_leaf(&e.0))
            .map(represent)
            .collect();
        let mut missed: Vec<Ref> = leaves
            .iter()
            .filter(|a| {
                !by_constituency
                    .iter()
                    .any(|(c, _, _)| *c == Constituency::Area(**a))
            })
            .map(|a| self.reference((*a).into()))
            .collect();
        covered.sort_by(|x, y| x.constituency.handle.cmp(&y.constituency.handle));
        others.sort_by(|x, y| x.constituency.handle.cmp(&y.constituency.handle));
        missed.sort_by(|x, y| x.handle.cmp(&y.handle));
        Some(Representation {
            body: self.reference(body.into()),
            area: b.area.map(|a| self.reference(a.into())),
            covered,
            missed,
            others,
            gender: self.gender_share(&people),
        })
    }

    /// The smallest subdivisions under an area (itself if it has none), bounded by the
    /// number of areas so a malformed hierarchy cannot loop.
    fn leaf_areas(&self, root: AreaId) -> Vec<AreaId> {
        let mut leaves = Vec::new();
        let mut stack = vec![root];
        let mut steps = 0usize;
        while let Some(id) = stack.pop() {
            steps += 1;
            if steps > self.areas.len() + 1 {
                break;
            }
            let Some(area) = self.area(id) else { continue };
            if area.children.is_empty() {
                leaves.push(id);
            } else {
                stack.extend(area.children.iter().copied());
            }
        }
        leaves
    }

    fn gender_share(&self, people: &[PersonId]) -> GenderShare {
        let (mut women, mut men, mut other, mut unknown) = (0u32, 0u32, 0u32, 0u32);
        for p in people {
            match self.person(*p).and_then(|p| p.gender) {
                Some(Gender::Female) => women += 1,
                Some(Gender::Male) => men += 1,
                Some(Gender::Other) => other += 1,
                None => unknown += 1,
            }
        }
        let known = women + men + other;
        let share = |n: u32| (known > 0).then(|| f64::from(n) / f64::from(known));
        GenderShare {
            women,
            men,
            other,
            unknown,
            women_share: share(women),
            men_share: share(men),
        }
    }
}
