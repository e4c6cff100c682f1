//! Questions asked of a registry, as of a date.
//!
//! Every query takes an [`AsOf`]: the date (possibly partial or uncertain) the question is
//! about. An entry that holds on every day the date may denote, with no uncertain date
//! involved, is marked [`Certainty::Certain`]; one that holds on some of those days, or only
//! under some reading of an uncertain date, is marked [`Certainty::Possible`]; what cannot
//! hold is left out. "As recorded at position p" is the registry after its first p events
//! (replay), so these queries need no second time axis.
//!
//! Results derive `Serialize`: they are the output DTOs of the CLI's `--json` and the HTTP
//! API.

mod history;
mod representation;
mod roster;
mod tree;

pub use history::{HistoryEntry, SearchHit};
pub use representation::{GenderShare, Representation, Represented};
pub use roster::{MandateView, Ref, RosterEntry, Vacancy};
pub use tree::{TreeIndex, TreeNode};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::date::{Certainty, EdtfDate};
use crate::ids::BodyId;
use crate::registry::{Body, Registry};
use crate::span::{as_of_range, since_key, NEG};

/// The date a question is about: a day, or a partial date (`2017`, `2016-12/2017-03`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AsOf(EdtfDate);

impl AsOf {
    /// As of one day.
    pub fn day(day: NaiveDate) -> AsOf {
        AsOf(EdtfDate::from_naive(day))
    }

    /// As of a partial date: "certain" then means "on every day it may denote".
    pub fn date(date: EdtfDate) -> AsOf {
        AsOf(date)
    }

    /// As of the day of `now` (UTC); the caller supplies the clock.
    pub fn today(now: DateTime<Utc>) -> AsOf {
        AsOf::day(now.date_naive())
    }

    pub fn as_date(&self) -> &EdtfDate {
        &self.0
    }

    /// The inclusive range of day numbers the date may denote.
    pub(crate) fn range(&self) -> (i32, i32) {
        as_of_range(&self.0)
    }
}

impl From<EdtfDate> for AsOf {
    fn from(date: EdtfDate) -> AsOf {
        AsOf(date)
    }
}

/// The parent a body has on day `day` (by the first stated day of each span); before its
/// first span (a founding date that is uncertain or unknown), its founding parent.
pub(crate) fn parent_as_of(body: &Body, day: i32) -> Option<BodyId> {
    body.parents
        .iter()
        .rev()
        .find(|s| since_key(s.since.as_ref()) <= day)
        .or_else(|| body.parents.front())
        .and_then(|s| s.value)
}

/// The parent a body had on `on` counting only spans recorded before `position`: what the
/// move at `position` moved it from.
pub(crate) fn parent_before(body: &Body, on: &EdtfDate, position: u64) -> Option<BodyId> {
    let day = since_key(Some(on));
    body.parents
        .iter()
        .rev()
        .filter(|s| s.position < position)
        .find(|s| since_key(s.since.as_ref()) <= day)
        .or_else(|| body.parents.iter().find(|s| s.position < position))
        .and_then(|s| s.value)
}

/// Whether following parents upward from `start` comes back to it on some day: returns the
/// parent that closes the loop and the day. The days tried are those where any parent link
/// in reach changes, which is where a loop could begin.
pub(crate) fn find_cycle(registry: &Registry, start: BodyId) -> Option<(BodyId, i32)> {
    let mut days: Vec<i32> = vec![NEG];
    let mut seen: Vec<BodyId> = vec![start];
    let mut frontier = vec![start];
    while let Some(id) = frontier.pop() {
        let Some(body) = registry.body(id) else {
            continue;
        };
        for span in body.parents.iter() {
            days.push(since_key(span.since.as_ref()));
            if let Some(parent) = span.value.filter(|p| !seen.contains(p)) {
                seen.push(parent);
                frontier.push(parent);
            }
        }
    }
    days.sort_unstable();
    days.dedup();
    let start_parent = |day| registry.body(start).and_then(|b| parent_as_of(b, day));
    days.into_iter().find_map(|day| {
        let first = start_parent(day)?;
        let mut current = first;
        for _ in 0..=seen.len() {
            if current == start {
                return Some((first, day));
            }
            current = registry.body(current).and_then(|b| parent_as_of(b, day))?;
        }
        None
    })
}

/// How surely a body exists over the as-of range: founded by its start and not dissolved
/// by its end.
pub(crate) fn body_alive(body: &Body, range: (i32, i32)) -> Certainty {
    let end = body.dissolution.as_ref().map(|d| &d.on);
    crate::span::Occupancy::new(body.founded_on.as_ref(), end).certainty_over(range)
}
