//! Partial and uncertain dates: a subset of EDTF level 1 (ISO 8601-2).
//!
//! Registrars rarely know every date to the day: a press report says "at the end of last
//! week", a decree gives a month, a memory gives a year. [`EdtfDate`] records what is known
//! and no more.
//!
//! # Accepted forms
//!
//! | form                    | meaning                                              |
//! |-------------------------|------------------------------------------------------|
//! | `2016`                  | some day in 2016                                     |
//! | `2016-12`               | some day in December 2016                            |
//! | `2016-12-10`            | 10 December 2016                                     |
//! | `2016?`                 | 2016, but the source may be wrong (uncertain)        |
//! | `2016-12~`              | about December 2016 (approximate)                    |
//! | `2016-12-10%`           | about 10 December 2016, and uncertain                |
//! | `2016-12-10/2017-06`    | some day between 10 December 2016 and June 2017      |
//! | `../2017`               | some day no later than 2017, no lower limit          |
//! | `2016-12-10/..`         | some day from 10 December 2016, no upper limit       |
//! | `2016/` and `/2017`     | an interval whose other end exists but is not known  |
//!
//! Years have exactly four digits (`0000` to `9999`), months and days two. A qualifier
//! (`?`, `~`, `%`) comes once, at the end of a date; in an interval each end has its own.
//! Nothing else is accepted: no spaces, no times, no seasons, no unspecified digits
//! (`201X`), no qualified components (`2016?-12`). Every accepted string is already in its
//! canonical form, so `date.to_string()` gives back exactly the text that was parsed.
//!
//! # What a date means in sijill
//!
//! A date says when one thing happened (a body was founded, a mandate began). It names a
//! range of days and says the thing happened on one day in that range:
//!
//! - the **stated range** is the range the text's precision covers: `2016-12` is
//!   2016-12-01 to 2016-12-31; an interval runs from the first day of its start to the last
//!   day of its end. [`EdtfDate::earliest`] and [`EdtfDate::latest`] return it; `None` means
//!   no bound on that side (`..`, or an unknown end, which the registry cannot bound either);
//! - `~` (approximate) says the true day may lie a little outside the stated range. For the
//!   "possible" checks the range is widened by a margin that depends on the precision
//!   written: [`APPROXIMATE_MARGIN_DAY_PRECISION_DAYS`] for a day,
//!   [`APPROXIMATE_MARGIN_MONTH_PRECISION_MONTHS`] for a month and
//!   [`APPROXIMATE_MARGIN_YEAR_PRECISION_MONTHS`] for a year;
//! - `?` (uncertain) says the source may be wrong. It does not widen the range (the registry
//!   reasons within what the source says; record an interval if the doubt is wider), but it
//!   makes every check on the date at best [`Certainty::Possible`];
//! - `%` is both.
//!
//! So a comparison with a day or another date answers [`Certainty::Certain`] only when it
//! holds for every day of the stated range and no qualifier is present,
//! [`Certainty::Possible`] when it holds for some day of the (widened) range, and
//! [`Certainty::Impossible`] otherwise. An unqualified single day ([`EdtfDate::is_exact`])
//! always answers `Certain` or `Impossible`.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Days, Months, NaiveDate};

/// Longest text accepted as a date, in bytes. The longest valid form,
/// `2016-12-10%/2017-06-30%`, has 23.
pub const DATE_LEN_MAX: usize = 32;

/// How far an approximate (`~`) date given to the day may be off, either way.
pub const APPROXIMATE_MARGIN_DAY_PRECISION_DAYS: u64 = 7;
/// How far an approximate (`~`) date given to the month may be off, either way.
pub const APPROXIMATE_MARGIN_MONTH_PRECISION_MONTHS: u32 = 1;
/// How far an approximate (`~`) date given to the year may be off, either way.
pub const APPROXIMATE_MARGIN_YEAR_PRECISION_MONTHS: u32 = 12;

/// A partial, possibly uncertain date or interval of dates; see the [module docs](self).
///
/// Ordered chronologically by the earliest bound (an open start first), then the latest bound
/// (an open end last), then by form; the order is for sorting, not a statement that one date
/// is surely before another: use [`EdtfDate::on_or_before_date`] for that.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EdtfDate(Repr);

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Repr {
    Single(PartialDate),
    Interval { start: End, end: End },
}

/// One end of an interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum End {
    Date(PartialDate),
    /// `..`: no limit on this side.
    Open,
    /// Empty: there is a limit, but it is not known.
    Unknown,
}

/// A year, a month or a day, with its qualifier. Invariant: the fields form a real date
/// (`month` 1..=12 when present, `day` within the month when present, `day` only with a month).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct PartialDate {
    year: u16,
    month: Option<u8>,
    day: Option<u8>,
    qualifier: Option<Qualifier>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Qualifier {
    Uncertain,
    Approximate,
    UncertainAndApproximate,
}

/// How sure the registry can be that a statement about a partial date holds.
///
/// Ordered from least to most sure, so `a.min(b)` is "both" ([`Certainty::and`]) and
/// `a.max(b)` "either" ([`Certainty::or`]).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Certainty {
    /// It holds on no day the date may denote.
    Impossible,
    /// It holds on some day the date may denote, or the date is qualified.
    Possible,
    /// It holds on every day the date may denote, and the date has no qualifier.
    Certain,
}

impl Certainty {
    /// Both statements: the less sure of the two.
    pub fn and(self, other: Certainty) -> Certainty {
        self.min(other)
    }

    /// Either statement: the surer of the two.
    pub fn or(self, other: Certainty) -> Certainty {
        self.max(other)
    }

    /// `Certain` or `Possible`.
    pub fn is_possible(self) -> bool {
        self != Certainty::Impossible
    }

    pub fn is_certain(self) -> bool {
        self == Certainty::Certain
    }
}

/// Why a text is not a date sijill accepts.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DateParseError {
    #[error("empty date: write a year, a month or a day, such as 2016, 2016-12 or 2016-12-10")]
    Empty,
    #[error(
        "date is {len} bytes long, more than the limit of {max}: \
         write a date such as 2016-12-10 or an interval such as 2016-12-10/2017-06"
    )]
    TooLong { len: usize, max: usize },
    #[error(
        "date `{input}` contains whitespace: write it without spaces, such as 2016-12-10/2017-06"
    )]
    Whitespace { input: String },
    #[error("{} is not a year: write four digits from 0000 to 9999, such as 2016", quoted(.found))]
    InvalidYear { found: String },
    #[error("{} is not a month: write two digits from 01 to 12, such as 2016-04", quoted(.found))]
    InvalidMonth { found: String },
    #[error("{} is not a day: write two digits, such as 2016-04-09", quoted(.found))]
    InvalidDay { found: String },
    #[error(
        "{year:04}-{month:02} has no day {day}: it has {days_in_month} days{note}, \
         such as {year:04}-{month:02}-{days_in_month:02}",
        note = leap_note(*.year, *.month)
    )]
    DayOutOfRange {
        year: u16,
        month: u8,
        day: u8,
        days_in_month: u8,
    },
    #[error(
        "unexpected `{rest}` after `{date}`: a date may end with one qualifier, \
         `?` (uncertain), `~` (approximate) or `%` (both), such as 2016-12?"
    )]
    TrailingCharacters { date: String, rest: String },
    #[error("`..` stands only for the open end of an interval, such as 2016/.. or ../2017")]
    OpenWithoutInterval,
    #[error(
        "`{input}` has more than one `/`: an interval has exactly one, such as 2016-12-10/2017-06"
    )]
    TooManySlashes { input: String },
    #[error(
        "interval `{input}` has no known end: give at least one date, such as 2016/.. or ../2017"
    )]
    NoKnownEnd { input: String },
    #[error("interval starts at {start}, after its end {end}: write the earlier date first, such as {end}/{start}")]
    StartAfterEnd { start: String, end: String },
}

fn quoted(found: &str) -> String {
    if found.is_empty() {
        "nothing".to_owned()
    } else {
        format!("`{found}`")
    }
}

fn leap_note(year: u16, month: u8) -> String {
    if month == 2 && !is_leap_year(year) {
        format!(" ({year:04} is not a leap year)")
    } else {
        String::new()
    }
}

fn is_leap_year(year: u16) -> bool {
    NaiveDate::from_yo_opt(i32::from(year), 366).is_some()
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => unreachable!("month {month} was validated to lie in 1..=12"),
    }
}

impl EdtfDate {
    /// The single, exact day `date`.
    ///
    /// # Panics
    /// If the year is outside `0000..=9999`, which EDTF's four-digit years cannot write;
    /// use [`EdtfDate::try_from_naive`] for dates that do not come from a calendar in use.
    pub fn from_naive(date: NaiveDate) -> EdtfDate {
        match EdtfDate::try_from_naive(date) {
            Some(edtf) => edtf,
            None => panic!("year {} is outside 0000..=9999", date.year()),
        }
    }

    /// The single, exact day `date`, or `None` if its year is outside `0000..=9999`.
    pub fn try_from_naive(date: NaiveDate) -> Option<EdtfDate> {
        let year = u16::try_from(date.year())
            .ok()
            .filter(|year| *year <= 9999)?;
        Some(EdtfDate(Repr::Single(PartialDate {
            year,
            month: Some(date.month() as u8),
            day: Some(date.day() as u8),
            qualifier: None,
        })))
    }

    /// The first day of the stated range; `None` if the range has no lower bound
    /// (`../2017`, `/2017`). Not widened by `~`: see [`EdtfDate::possible_earliest`].
    pub fn earliest(&self) -> Option<NaiveDate> {
        match self.0 {
            Repr::Single(date) => Some(date.first_day()),
            Repr::Interval {
                start: End::Date(date),
                ..
            } => Some(date.first_day()),
            Repr::Interval { .. } => None,
        }
    }

    /// The last day of the stated range; `None` if the range has no upper bound
    /// (`2016/..`, `2016/`). Not widened by `~`: see [`EdtfDate::possible_latest`].
    pub fn latest(&self) -> Option<NaiveDate> {
        match self.0 {
            Repr::Single(date) => Some(date.last_day()),
            Repr::Interval {
                end: End::Date(date),
                ..
            } => Some(date.last_day()),
            Repr::Interval { .. } => None,
        }
    }

    /// The earliest day the date may denote, widened by the approximation margin when the
    /// date (or the interval's start) is approximate.
    pub fn possible_earliest(&self) -> Option<NaiveDate> {
        match self.0 {
            Repr::Single(date) => date.widened_first_day(),
            Repr::Interval {
                start: End::Date(date),
                ..
            } => date.widened_first_day(),
            Repr::Interval { .. } => None,
        }
    }

    /// The latest day the date may denote, widened by the approximation margin when the
    /// date (or the interval's end) is approximate.
    pub fn possible_latest(&self) -> Option<NaiveDate> {
        match self.0 {
            Repr::Single(date) => date.widened_last_day(),
            Repr::Interval {
                end: End::Date(date),
                ..
            } => date.widened_last_day(),
            Repr::Interval { .. } => None,
        }
    }

    /// Some part carries `?` or `%`.
    pub fn is_uncertain(&self) -> bool {
        self.qualifiers()
            .any(|q| matches!(q, Qualifier::Uncertain | Qualifier::UncertainAndApproximate))
    }

    /// Some part carries `~` or `%`.
    pub fn is_approximate(&self) -> bool {
        self.qualifiers().any(|q| {
            matches!(
                q,
                Qualifier::Approximate | Qualifier::UncertainAndApproximate
            )
        })
    }

    /// A single, fully known day: no interval, no qualifier, precision to the day.
    pub fn is_exact(&self) -> bool {
        matches!(
            self.0,
            Repr::Single(PartialDate {
                day: Some(_),
                qualifier: None,
                ..
            })
        )
    }

    /// An interval (`a/b`, `../b`, `a/..`, `a/`, `/b`) rather than a single date.
    pub fn is_interval(&self) -> bool {
        matches!(self.0, Repr::Interval { .. })
    }

    /// The thing happened on or before `day`.
    pub fn on_or_before(&self, day: NaiveDate) -> Certainty {
        let certain = !self.is_qualified() && self.latest().is_some_and(|latest| latest <= day);
        let possible = self
            .possible_earliest()
            .is_none_or(|earliest| earliest <= day);
        certainty(certain, possible)
    }

    /// The thing happened on or after `day`.
    pub fn on_or_after(&self, day: NaiveDate) -> Certainty {
        let certain =
            !self.is_qualified() && self.earliest().is_some_and(|earliest| earliest >= day);
        let possible = self.possible_latest().is_none_or(|latest| latest >= day);
        certainty(certain, possible)
    }

    /// The thing happened strictly before `day`.
    pub fn before(&self, day: NaiveDate) -> Certainty {
        match day.pred_opt() {
            Some(previous) => self.on_or_before(previous),
            None => Certainty::Impossible,
        }
    }

    /// The thing happened strictly after `day`.
    pub fn after(&self, day: NaiveDate) -> Certainty {
        match day.succ_opt() {
            Some(next) => self.on_or_after(next),
            None => Certainty::Impossible,
        }
    }

    /// The thing happened on `day` itself.
    pub fn on(&self, day: NaiveDate) -> Certainty {
        let certain = self.is_exact() && self.earliest() == Some(day);
        let possible = self.on_or_before(day).is_possible() && self.on_or_after(day).is_possible();
        certainty(certain, possible)
    }

    /// What `self` dates happened on or before what `other` dates (same day allowed).
    pub fn on_or_before_date(&self, other: &EdtfDate) -> Certainty {
        let qualified = self.is_qualified() || other.is_qualified();
        let certain = !qualified
            && matches!((self.latest(), other.earliest()), (Some(mine), Some(theirs)) if mine <= theirs);
        let possible = match (self.possible_earliest(), other.possible_latest()) {
            (Some(mine), Some(theirs)) => mine <= theirs,
            _ => true,
        };
        certainty(certain, possible)
    }

    /// What `self` dates happened strictly before what `other` dates.
    pub fn before_date(&self, other: &EdtfDate) -> Certainty {
        let qualified = self.is_qualified() || other.is_qualified();
        let certain = !qualified
            && matches!((self.latest(), other.earliest()), (Some(mine), Some(theirs)) if mine < theirs);
        let possible = match (self.possible_earliest(), other.possible_latest()) {
            (Some(mine), Some(theirs)) => mine < theirs,
            _ => true,
        };
        certainty(certain, possible)
    }

    /// `surely`: [`EdtfDate::on_or_before`] is `Certain`.
    pub fn surely_on_or_before(&self, day: NaiveDate) -> bool {
        self.on_or_before(day).is_certain()
    }

    /// [`EdtfDate::on_or_before`] is at least `Possible`.
    pub fn possibly_on_or_before(&self, day: NaiveDate) -> bool {
        self.on_or_before(day).is_possible()
    }

    /// [`EdtfDate::on_or_after`] is `Certain`.
    pub fn surely_on_or_after(&self, day: NaiveDate) -> bool {
        self.on_or_after(day).is_certain()
    }

    /// [`EdtfDate::on_or_after`] is at least `Possible`.
    pub fn possibly_on_or_after(&self, day: NaiveDate) -> bool {
        self.on_or_after(day).is_possible()
    }

    fn is_qualified(&self) -> bool {
        self.qualifiers().next().is_some()
    }

    fn qualifiers(&self) -> impl Iterator<Item = Qualifier> {
        let (first, second) = match self.0 {
            Repr::Single(date) => (date.qualifier, None),
            Repr::Interval { start, end } => (start.qualifier(), end.qualifier()),
        };
        first.into_iter().chain(second)
    }
}

fn certainty(certain: bool, possible: bool) -> Certainty {
    if certain {
        Certainty::Certain
    } else if possible {
        Certainty::Possible
    } else {
        Certainty::Impossible
    }
}

impl End {
    fn qualifier(self) -> Option<Qualifier> {
        match self {
            End::Date(date) => date.qualifier,
            End::Open | End::Unknown => None,
        }
    }
}

impl PartialDate {
    fn first_day(self) -> NaiveDate {
        let month = self.month.unwrap_or(1);
        let day = self.day.unwrap_or(1);
        self.naive(month, day)
    }

    fn last_day(self) -> NaiveDate {
        let month = self.month.unwrap_or(12);
        let day = self.day.unwrap_or_else(|| days_in_month(self.year, month));
        self.naive(month, day)
    }

    fn naive(self, month: u8, day: u8) -> NaiveDate {
        match NaiveDate::from_ymd_opt(i32::from(self.year), u32::from(month), u32::from(day)) {
            Some(date) => date,
            None => unreachable!("{self:?} was validated to be a real date"),
        }
    }

    fn is_approximate(self) -> bool {
        matches!(
            self.qualifier,
            Some(Qualifier::Approximate | Qualifier::UncertainAndApproximate)
        )
    }

    /// `None` only if widening leaves chrono's range, which four-digit years never do.
    fn widened_first_day(self) -> Option<NaiveDate> {
        let first = self.first_day();
        if !self.is_approximate() {
            return Some(first);
        }
        match (self.month, self.day) {
            (Some(_), Some(_)) => {
                first.checked_sub_days(Days::new(APPROXIMATE_MARGIN_DAY_PRECISION_DAYS))
            }
            (Some(_), None) => {
                first.checked_sub_months(Months::new(APPROXIMATE_MARGIN_MONTH_PRECISION_MONTHS))
            }
            _ => first.checked_sub_months(Months::new(APPROXIMATE_MARGIN_YEAR_PRECISION_MONTHS)),
        }
    }

    fn widened_last_day(self) -> Option<NaiveDate> {
        let last = self.last_day();
        if !self.is_approximate() {
            return Some(last);
        }
        let widened = match (self.month, self.day) {
            (Some(_), Some(_)) => {
                return last.checked_add_days(Days::new(APPROXIMATE_MARGIN_DAY_PRECISION_DAYS))
            }
            (Some(_), None) => self
                .first_day()
                .checked_add_months(Months::new(APPROXIMATE_MARGIN_MONTH_PRECISION_MONTHS + 1)),
            _ => self
                .first_day()
                .checked_add_months(Months::new(APPROXIMATE_MARGIN_YEAR_PRECISION_MONTHS + 12)),
        };
        // The day before the first day after the widened range.
        widened.and_then(|after| after.pred_opt())
    }
}

impl Ord for EdtfDate {
    fn cmp(&self, other: &Self) -> Ordering {
        let start = |date: &EdtfDate| date.earliest().unwrap_or(NaiveDate::MIN);
        let end = |date: &EdtfDate| date.latest().unwrap_or(NaiveDate::MAX);
        start(self)
            .cmp(&start(other))
            .then_with(|| end(self).cmp(&end(other)))
            .then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for EdtfDate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing

impl FromStr for EdtfDate {
    type Err = DateParseError;

    fn from_str(input: &str) -> Result<EdtfDate, DateParseError> {
        if input.is_empty() {
            return Err(DateParseError::Empty);
        }
        if input.len() > DATE_LEN_MAX {
            return Err(DateParseError::TooLong {
                len: input.len(),
                max: DATE_LEN_MAX,
            });
        }
        if input.chars().any(char::is_whitespace) {
            return Err(DateParseError::Whitespace {
                input: input.to_owned(),
            });
        }
        let mut parts = input.split('/');
        let first = parts.next().unwrap_or_default();
        match (parts.next(), parts.next()) {
            (None, _) if first == ".." => Err(DateParseError::OpenWithoutInterval),
            (None, _) => Ok(EdtfDate(Repr::Single(parse_partial(first)?))),
            (Some(second), None) => parse_interval(input, first, second),
            (Some(_), Some(_)) => Err(DateParseError::TooManySlashes {
                input: input.to_owned(),
            }),
        }
    }
}

fn parse_interval(input: &str, start: &str, end: &str) -> Result<EdtfDate, DateParseError> {
    let start = parse_end(start)?;
    let end = parse_end(end)?;
    match (start, end) {
        (End::Date(first), End::Date(last)) if first.first_day() > last.last_day() => {
            Err(DateParseError::StartAfterEnd {
                start: first.to_string(),
                end: last.to_string(),
            })
        }
        (End::Date(_), _) | (_, End::Date(_)) => Ok(EdtfDate(Repr::Interval { start, end })),
        _ => Err(DateParseError::NoKnownEnd {
            input: input.to_owned(),
        }),
    }
}

fn parse_end(text: &str) -> Result<End, DateParseError> {
    match text {
        "" => Ok(End::Unknown),
        ".." => Ok(End::Open),
        _ => parse_partial(text).map(End::Date),
    }
}

/// Parses `YYYY[-MM[-DD]][q]` and nothing else.
fn parse_partial(text: &str) -> Result<PartialDate, DateParseError> {
    let mut scanner = Scanner { text, at: 0 };
    let year = scanner
        .digits(4, 0..=9999)
        .ok_or_else(|| DateParseError::InvalidYear {
            found: scanner.component(),
        })?;
    let mut date = PartialDate {
        year,
        month: None,
        day: None,
        qualifier: None,
    };
    if scanner.eat('-') {
        let month = scanner
            .digits(2, 1..=12)
            .ok_or_else(|| DateParseError::InvalidMonth {
                found: scanner.component(),
            })?;
        let month = month as u8;
        date.month = Some(month);
        if scanner.eat('-') {
            let day = scanner
                .digits(2, 1..=99)
                .ok_or_else(|| DateParseError::InvalidDay {
                    found: scanner.component(),
                })?;
            let day = day as u8;
            let days_in_month = days_in_month(year, month);
            if day > days_in_month {
                return Err(DateParseError::DayOutOfRange {
                    year,
                    month,
                    day,
                    days_in_month,
                });
            }
            date.day = Some(day);
        }
    }
    date.qualifier = scanner.qualifier();
    if scanner.at < text.len() {
        let (date, rest) = text.split_at(scanner.at);
        return Err(DateParseError::TrailingCharacters {
            date: date.to_owned(),
            rest: rest.to_owned(),
        });
    }
    Ok(date)
}

struct Scanner<'a> {
    text: &'a str,
    at: usize,
}

impl Scanner<'_> {
    fn rest(&self) -> &str {
        &self.text[self.at..]
    }

    /// Exactly `count` ASCII digits, not followed by another digit, whose value lies in
    /// `range`; the cursor moves only past a valid number.
    fn digits(&mut self, count: usize, range: std::ops::RangeInclusive<u16>) -> Option<u16> {
        let rest = self.rest().as_bytes();
        let run = rest.iter().take_while(|byte| byte.is_ascii_digit()).count();
        if run != count {
            return None;
        }
        let value = rest[..count]
            .iter()
            .fold(0u16, |value, digit| value * 10 + u16::from(digit - b'0'));
        if !range.contains(&value) {
            return None;
        }
        self.at += count;
        Some(value)
    }

    fn eat(&mut self, expected: char) -> bool {
        let found = self.rest().starts_with(expected);
        if found {
            self.at += expected.len_utf8();
        }
        found
    }

    fn qualifier(&mut self) -> Option<Qualifier> {
        let qualifier = match self.rest().chars().next()? {
            '?' => Qualifier::Uncertain,
            '~' => Qualifier::Approximate,
            '%' => Qualifier::UncertainAndApproximate,
            _ => return None,
        };
        self.at += 1;
        Some(qualifier)
    }

    /// The text of the component at the cursor, for error messages: up to the next separator.
    fn component(&self) -> String {
        let rest = self.rest();
        match rest.split(['-', '?', '~', '%']).next() {
            Some("") if !rest.is_empty() => rest.to_owned(),
            component => component.unwrap_or_default().to_owned(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Formatting and serde

impl fmt::Display for EdtfDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Repr::Single(date) => date.fmt(f),
            Repr::Interval { start, end } => write!(f, "{start}/{end}"),
        }
    }
}

impl fmt::Display for End {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            End::Date(date) => date.fmt(f),
            End::Open => f.write_str(".."),
            End::Unknown => Ok(()),
        }
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.year)?;
        if let Some(month) = self.month {
            write!(f, "-{month:02}")?;
        }
        if let Some(day) = self.day {
            write!(f, "-{day:02}")?;
        }
        match self.qualifier {
            None => Ok(()),
            Some(Qualifier::Uncertain) => f.write_str("?"),
            Some(Qualifier::Approximate) => f.write_str("~"),
            Some(Qualifier::UncertainAndApproximate) => f.write_str("%"),
        }
    }
}

impl serde::Serialize for EdtfDate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for EdtfDate {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<EdtfDate, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = EdtfDate;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an EDTF date such as 2016-12-10, 2016-12~ or 2016-12-10/2017-06")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<EdtfDate, E> {
                text.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn bounds(date: &EdtfDate) -> String {
        let show = |d: Option<NaiveDate>| d.map_or("open".to_owned(), |d| d.to_string());
        format!(
            "{}..{} possible {}..{}",
            show(date.earliest()),
            show(date.latest()),
            show(date.possible_earliest()),
            show(date.possible_latest())
        )
    }

    fn flags(date: &EdtfDate) -> String {
        let mut flags = Vec::new();
        if date.is_exact() {
            flags.push("exact");
        }
        if date.is_uncertain() {
            flags.push("uncertain");
        }
        if date.is_approximate() {
            flags.push("approximate");
        }
        if date.is_interval() {
            flags.push("interval");
        }
        flags.join(",")
    }

    #[test]
    fn parses_formats_and_bounds_every_form() {
        // input, stated and widened bounds, flags
        let cases = [
            (
                "2016",
                "2016-01-01..2016-12-31 possible 2016-01-01..2016-12-31",
                "",
            ),
            (
                "2016-12",
                "2016-12-01..2016-12-31 possible 2016-12-01..2016-12-31",
                "",
            ),
            (
                "2016-12-10",
                "2016-12-10..2016-12-10 possible 2016-12-10..2016-12-10",
                "exact",
            ),
            (
                "2016-02",
                "2016-02-01..2016-02-29 possible 2016-02-01..2016-02-29",
                "",
            ),
            (
                "2017-02",
                "2017-02-01..2017-02-28 possible 2017-02-01..2017-02-28",
                "",
            ),
            (
                "2016?",
                "2016-01-01..2016-12-31 possible 2016-01-01..2016-12-31",
                "uncertain",
            ),
            (
                "2016~",
                "2016-01-01..2016-12-31 possible 2015-01-01..2017-12-31",
                "approximate",
            ),
            (
                "2016-12~",
                "2016-12-01..2016-12-31 possible 2016-11-01..2017-01-31",
                "approximate",
            ),
            (
                "2016-12-10~",
                "2016-12-10..2016-12-10 possible 2016-12-03..2016-12-17",
                "approximate",
            ),
            (
                "2016-12-10%",
                "2016-12-10..2016-12-10 possible 2016-12-03..2016-12-17",
                "uncertain,approximate",
            ),
            (
                "2016-12-10?",
                "2016-12-10..2016-12-10 possible 2016-12-10..2016-12-10",
                "uncertain",
            ),
            (
                "2016-12-10/2017-06",
                "2016-12-10..2017-06-30 possible 2016-12-10..2017-06-30",
                "interval",
            ),
            (
                "2016-12-10?/2017-06~",
                "2016-12-10..2017-06-30 possible 2016-12-10..2017-07-31",
                "uncertain,approximate,interval",
            ),
            (
                "../2017",
                "open..2017-12-31 possible open..2017-12-31",
                "interval",
            ),
            (
                "2016-12-10/..",
                "2016-12-10..open possible 2016-12-10..open",
                "interval",
            ),
            (
                "2016/",
                "2016-01-01..open possible 2016-01-01..open",
                "interval",
            ),
            (
                "/2017",
                "open..2017-12-31 possible open..2017-12-31",
                "interval",
            ),
            (
                "2016-12/2016",
                "2016-12-01..2016-12-31 possible 2016-12-01..2016-12-31",
                "interval",
            ),
            (
                "0000",
                "0000-01-01..0000-12-31 possible 0000-01-01..0000-12-31",
                "",
            ),
            (
                "9999-12-31~",
                "9999-12-31..9999-12-31 possible 9999-12-24..+10000-01-07",
                "approximate",
            ),
        ];
        for (input, expected_bounds, expected_flags) in cases {
            let date: EdtfDate = input.parse().unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(date.to_string(), input);
            assert_eq!(bounds(&date), expected_bounds, "{input}");
            assert_eq!(flags(&date), expected_flags, "{input}");
        }
    }

    #[test]
    fn every_error_names_the_problem_and_a_valid_form() {
        let cases = [
            ("", "empty date: write a year, a month or a day, such as 2016, 2016-12 or 2016-12-10"),
            (
                "2016-12-10/2017-06-30/2018-01-01~",
                "date is 33 bytes long, more than the limit of 32: \
                 write a date such as 2016-12-10 or an interval such as 2016-12-10/2017-06",
            ),
            (" 2016", "date ` 2016` contains whitespace: write it without spaces, such as 2016-12-10/2017-06"),
            ("16", "`16` is not a year: write four digits from 0000 to 9999, such as 2016"),
            ("20161", "`20161` is not a year: write four digits from 0000 to 9999, such as 2016"),
            ("-2016", "`-2016` is not a year: write four digits from 0000 to 9999, such as 2016"),
            ("abcd", "`abcd` is not a year: write four digits from 0000 to 9999, such as 2016"),
            ("٢٠١٦", "`٢٠١٦` is not a year: write four digits from 0000 to 9999, such as 2016"),
            ("2016-13", "`13` is not a month: write two digits from 01 to 12, such as 2016-04"),
            ("2016-00", "`00` is not a month: write two digits from 01 to 12, such as 2016-04"),
            ("2016-1", "`1` is not a month: write two digits from 01 to 12, such as 2016-04"),
            ("2016-", "nothing is not a month: write two digits from 01 to 12, such as 2016-04"),
            ("2016-21", "`21` is not a month: write two digits from 01 to 12, such as 2016-04"),
            ("2016-04-7", "`7` is not a day: write two digits, such as 2016-04-09"),
            ("2016-04-00", "`00` is not a day: write two digits, such as 2016-04-09"),
            ("2016-04-31", "2016-04 has no day 31: it has 30 days, such as 2016-04-30"),
            ("2017-02-29", "2017-02 has no day 29: it has 28 days (2017 is not a leap year), such as 2017-02-28"),
            ("1900-02-29", "1900-02 has no day 29: it has 28 days (1900 is not a leap year), such as 1900-02-28"),
            ("2016-02-30", "2016-02 has no day 30: it has 29 days, such as 2016-02-29"),
            (
                "2016-12-10T10:00",
                "unexpected `T10:00` after `2016-12-10`: a date may end with one qualifier, \
                 `?` (uncertain), `~` (approximate) or `%` (both), such as 2016-12?",
            ),
            (
                "2016?~",
                "unexpected `~` after `2016?`: a date may end with one qualifier, \
                 `?` (uncertain), `~` (approximate) or `%` (both), such as 2016-12?",
            ),
            (
                "2016?-12",
                "unexpected `-12` after `2016?`: a date may end with one qualifier, \
                 `?` (uncertain), `~` (approximate) or `%` (both), such as 2016-12?",
            ),
            ("..", "`..` stands only for the open end of an interval, such as 2016/.. or ../2017"),
            (
                "2016/2017/2018",
                "`2016/2017/2018` has more than one `/`: an interval has exactly one, such as 2016-12-10/2017-06",
            ),
            ("/", "interval `/` has no known end: give at least one date, such as 2016/.. or ../2017"),
            ("../..", "interval `../..` has no known end: give at least one date, such as 2016/.. or ../2017"),
            (
                "2017-06/2016-12-10",
                "interval starts at 2017-06, after its end 2016-12-10: \
                 write the earlier date first, such as 2016-12-10/2017-06",
            ),
        ];
        for (input, expected) in cases {
            let error = input.parse::<EdtfDate>().expect_err(input);
            assert_eq!(error.to_string(), expected, "{input}");
        }
    }

    #[test]
    fn comparisons_with_a_day_say_how_sure_they_are() {
        use Certainty::*;
        // date, day, on_or_before, on_or_after, on
        let cases = [
            ("2016-12-10", "2016-12-10", Certain, Certain, Certain),
            ("2016-12-10", "2016-12-09", Impossible, Certain, Impossible),
            ("2016-12-10", "2016-12-11", Certain, Impossible, Impossible),
            ("2016-12", "2016-12-15", Possible, Possible, Possible),
            ("2016-12", "2017-01-01", Certain, Impossible, Impossible),
            ("2016-12", "2016-12-01", Possible, Certain, Possible),
            (
                "2016-12-10?",
                "2016-12-11",
                Possible,
                Impossible,
                Impossible,
            ),
            ("2016-12-10~", "2016-12-16", Possible, Possible, Possible),
            (
                "2016-12-10~",
                "2016-12-18",
                Possible,
                Impossible,
                Impossible,
            ),
            ("2016~", "2015-06-01", Possible, Possible, Possible),
            ("2016?", "2015-06-01", Impossible, Possible, Impossible),
            ("../2017", "2018-01-01", Certain, Impossible, Impossible),
            ("../2017", "1000-01-01", Possible, Possible, Possible),
            ("2016/", "2030-01-01", Possible, Possible, Possible),
            ("2016/..", "2015-12-31", Impossible, Certain, Impossible),
        ];
        for (date, on, before, after, same) in cases {
            let date: EdtfDate = date.parse().unwrap();
            let on = day(on);
            let got = (date.on_or_before(on), date.on_or_after(on), date.on(on));
            assert_eq!(got, (before, after, same), "{date} vs {on}");
        }
        let date: EdtfDate = "2016-12-10".parse().unwrap();
        assert_eq!(date.before(day("2016-12-10")), Impossible);
        assert_eq!(date.after(day("2016-12-09")), Certain);
        assert!(date.surely_on_or_before(day("2016-12-10")));
        assert!(!date.possibly_on_or_after(day("2016-12-11")));
    }

    #[test]
    fn comparisons_between_dates_say_how_sure_they_are() {
        use Certainty::*;
        // a, b, a.on_or_before_date(b), a.before_date(b)
        let cases = [
            ("2016-12-10", "2016-12-10", Certain, Impossible),
            ("2016-12-10", "2016-12-11", Certain, Certain),
            ("2016-12", "2016-12-10", Possible, Possible),
            ("2016-12", "2017", Certain, Certain),
            ("2017", "2016-12", Impossible, Impossible),
            ("2017~", "2016-12", Possible, Possible),
            ("2016?", "2017", Possible, Possible),
            ("2016/..", "2015", Impossible, Impossible),
            ("../2016", "2017", Certain, Certain),
        ];
        for (a, b, on_or_before, before) in cases {
            let (a, b): (EdtfDate, EdtfDate) = (a.parse().unwrap(), b.parse().unwrap());
            assert_eq!(
                (a.on_or_before_date(&b), a.before_date(&b)),
                (on_or_before, before),
                "{a} vs {b}"
            );
        }
    }

    #[test]
    fn certainty_combines_as_the_less_or_more_sure() {
        use Certainty::*;
        assert_eq!(Certain.and(Possible), Possible);
        assert_eq!(Possible.and(Impossible), Impossible);
        assert_eq!(Impossible.or(Possible), Possible);
        assert_eq!(serde_json::to_string(&Possible).unwrap(), r#""possible""#);
    }

    #[test]
    fn from_naive_is_an_exact_day() {
        let date = EdtfDate::from_naive(day("2016-12-10"));
        assert_eq!(date.to_string(), "2016-12-10");
        assert!(date.is_exact());
        assert_eq!(
            EdtfDate::try_from_naive(NaiveDate::from_ymd_opt(10000, 1, 1).unwrap()),
            None
        );
        assert_eq!(
            EdtfDate::try_from_naive(NaiveDate::from_ymd_opt(-1, 1, 1).unwrap()),
            None
        );
    }

    #[test]
    fn serde_uses_the_text_form() {
        let date: EdtfDate = "2016-12-10?/..".parse().unwrap();
        assert_eq!(serde_json::to_string(&date).unwrap(), r#""2016-12-10?/..""#);
        assert_eq!(
            serde_json::from_str::<EdtfDate>(r#""2016-12-10?/..""#).unwrap(),
            date
        );
        let error = serde_json::from_str::<EdtfDate>(r#""2016-13""#).unwrap_err();
        assert_eq!(
            error.to_string(),
            "`13` is not a month: write two digits from 01 to 12, such as 2016-04 at line 1 column 9"
        );
        assert!(serde_json::from_str::<EdtfDate>("2016").is_err());
    }

    #[test]
    fn sorts_chronologically() {
        let mut dates: Vec<EdtfDate> = [
            "2017",
            "2016-12-10",
            "../2016",
            "2016",
            "2016-12",
            "2016/..",
            "2016?",
        ]
        .map(|d| d.parse().unwrap())
        .into();
        dates.sort();
        let sorted: Vec<String> = dates.iter().map(ToString::to_string).collect();
        assert_eq!(
            sorted,
            [
                "../2016",
                "2016",
                "2016?",
                "2016/..",
                "2016-12",
                "2016-12-10",
                "2017"
            ]
        );
    }

    fn partial_date() -> impl Strategy<Value = String> {
        let qualifier = prop_oneof![Just(""), Just("?"), Just("~"), Just("%")];
        (0u16..=9999, 0u8..=12, 1u8..=31, qualifier).prop_map(|(year, month, day, qualifier)| {
            match month {
                0 => format!("{year:04}{qualifier}"),
                _ if day > 28 && day > days_in_month(year, month) => {
                    format!("{year:04}-{month:02}{qualifier}")
                }
                _ if day % 2 == 0 => format!("{year:04}-{month:02}{qualifier}"),
                _ => format!("{year:04}-{month:02}-{day:02}{qualifier}"),
            }
        })
    }

    fn valid_date() -> impl Strategy<Value = String> {
        let end = prop_oneof![Just("..".to_owned()), Just(String::new())];
        prop_oneof![
            partial_date(),
            (partial_date(), end.clone()).prop_map(|(a, b)| format!("{a}/{b}")),
            (end, partial_date()).prop_map(|(a, b)| format!("{a}/{b}")),
            (partial_date(), partial_date()).prop_map(|(a, b)| {
                let (da, db): (EdtfDate, EdtfDate) = (a.parse().unwrap(), b.parse().unwrap());
                if da.earliest() <= db.latest() {
                    format!("{a}/{b}")
                } else {
                    format!("{b}/{a}")
                }
            }),
        ]
    }

    proptest! {
        #[test]
        fn display_after_parse_is_identity(text in valid_date()) {
            let date: EdtfDate = text.parse().map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
            prop_assert_eq!(date.to_string(), text);
            let json = serde_json::to_string(&date).unwrap();
            prop_assert_eq!(serde_json::from_str::<EdtfDate>(&json).unwrap(), date);
            prop_assert!(date.earliest() <= date.latest() || date.latest().is_none());
        }

        #[test]
        fn parse_never_panics_and_accepts_only_canonical_text(text in "[0-9./?~%-]{0,24}|\\PC{0,40}") {
            if let Ok(date) = text.parse::<EdtfDate>() {
                prop_assert_eq!(date.to_string(), text);
            }
        }
    }
}
