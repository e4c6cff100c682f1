//! Day arithmetic on partial dates, for rules and queries.
//!
//! Days are counted from the common era as `i32`, with [`NEG`] and [`POS`] standing for "no
//! bound". Mandates, lives of bodies and posts are half-open ranges of days: a mandate that
//! ends on a day is no longer held that day, so a successor may start on it.
//!
//! Two readings of a date: the *possible* range (what the date may denote, widened for `~`),
//! used to refuse conservatively ("may overlap"); and the *stated* range, used where a
//! command should be refused only when it is surely wrong ("ends before it starts").

use chrono::{Datelike, NaiveDate};

use crate::date::{Certainty, EdtfDate};

/// Minus infinity: no lower bound.
pub(crate) const NEG: i32 = i32::MIN;
/// Plus infinity: no upper bound.
pub(crate) const POS: i32 = i32::MAX;

pub(crate) fn day(date: NaiveDate) -> i32 {
    date.num_days_from_ce()
}

pub(crate) fn to_naive(day: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(day)
}

/// Shows a day number for messages.
pub(crate) fn show_day(day: i32) -> String {
    match day {
        NEG => "the beginning".to_owned(),
        POS => "the end of time".to_owned(),
        _ => to_naive(day).map_or_else(|| day.to_string(), |d| d.to_string()),
    }
}

/// First day the date may denote (widened for `~`); [`NEG`] if unbounded.
pub(crate) fn possible_lo(date: &EdtfDate) -> i32 {
    date.possible_earliest().map_or(NEG, day)
}

/// Last day the date may denote (widened for `~`); [`POS`] if unbounded.
pub(crate) fn possible_hi(date: &EdtfDate) -> i32 {
    date.possible_latest().map_or(POS, day)
}

/// First day of the stated range; [`NEG`] if unbounded.
pub(crate) fn stated_lo(date: &EdtfDate) -> i32 {
    date.earliest().map_or(NEG, day)
}

/// Last day of the stated range; [`POS`] if unbounded.
pub(crate) fn stated_hi(date: &EdtfDate) -> i32 {
    date.latest().map_or(POS, day)
}

/// Sort key of an optional "since" date: its first stated day, unknown first.
pub(crate) fn since_key(date: Option<&EdtfDate>) -> i32 {
    date.map_or(NEG, stated_lo)
}

/// `a` is surely before `b`: every day `a` may denote is before every day `b` may denote.
pub(crate) fn surely_before(a: &EdtfDate, b: &EdtfDate) -> bool {
    stated_hi(a) < stated_lo(b)
}

/// A half-open range of days `[start, end)` that something may occupy, and the range it
/// surely occupies (empty when uncertain).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Occupancy {
    pub possible: (i32, i32),
    pub certain: (i32, i32),
}

impl Occupancy {
    /// From a start date to an optional end date (open when `None`).
    pub fn new(from: Option<&EdtfDate>, to: Option<&EdtfDate>) -> Occupancy {
        let possible_start = from.map_or(NEG, possible_lo);
        // The end day is exclusive: a mandate ending on a day is not held that day.
        let possible_end = to.map_or(POS, possible_hi);
        let certain_start = match from {
            None => NEG,
            Some(f) if f.is_uncertain() => POS,
            Some(f) => stated_hi(f),
        };
        let certain_end = match to {
            None => POS,
            Some(t) if t.is_uncertain() => NEG,
            Some(t) => stated_lo(t),
        };
        Occupancy {
            possible: (possible_start, possible_end),
            certain: (certain_start, certain_end),
        }
    }

    pub fn surely_overlaps(&self, other: &Occupancy) -> bool {
        overlaps(self.certain, other.certain)
    }

    /// How surely this occupies the whole of `range` (inclusive days), or any of it.
    pub fn certainty_over(&self, range: (i32, i32)) -> Certainty {
        let (lo, hi) = range;
        let whole = self.certain.0 <= lo && hi < self.certain.1 && self.certain.0 < self.certain.1;
        if whole {
            return Certainty::Certain;
        }
        let some = self.possible.0 <= hi && lo < self.possible.1;
        if some {
            Certainty::Possible
        } else {
            Certainty::Impossible
        }
    }
}

/// Whether two half-open ranges of days share a day.
pub(crate) fn overlaps(a: (i32, i32), b: (i32, i32)) -> bool {
    a.0 < a.1 && b.0 < b.1 && a.0 < b.1 && b.0 < a.1
}

/// The inclusive day range an as-of date covers: its possible range.
pub(crate) fn as_of_range(date: &EdtfDate) -> (i32, i32) {
    (possible_lo(date), possible_hi(date))
}
