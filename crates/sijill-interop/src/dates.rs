//! sijill's partial dates (EDTF) in formats that know only reduced ISO 8601 dates.
//!
//! Popolo and XML Schema accept `YYYY`, `YYYY-MM` and `YYYY-MM-DD`. An EDTF date is reduced
//! to the most precise of those that contains its whole stated range: `2016-12-10` stays,
//! `2016-12~` becomes `2016-12` (the qualifier is dropped), the interval
//! `2016-12-11/2016-12-25` becomes `2016-12`, and `2016-12-11/2017-01-31` (no common year)
//! has no reduced form. Whenever the reduced form is not the whole EDTF value, the exports
//! also carry the EDTF text in an extension field, so nothing is lost.

use std::fmt;

use sijill_domain::EdtfDate;

/// The reduced ISO form of `date`, or `None` when no year contains its stated range (or it is
/// open on one side).
pub fn reduced(date: &EdtfDate) -> Option<String> {
    split(date).0
}

/// The EDTF text when the reduced form does not say everything, for the extension field.
pub fn edtf_if_lossy(date: &EdtfDate) -> Option<String> {
    split(date).1
}

/// Both at once, formatting the date once: (reduced form, EDTF text if lossy).
pub fn split(date: &EdtfDate) -> (Option<String>, Option<String>) {
    let split = SplitDate::new(date);
    (
        split.reduced().map(str::to_owned),
        split.lossy().map(str::to_owned),
    )
}

/// Longest EDTF text: two qualified days and a slash (`2016-12-11?/2017-01-31~`).
const EDTF_TEXT_LEN_MAX: usize = 23;

/// A date's EDTF text, formatted once on the stack, and its reduced form (a prefix of it):
/// what an export writes per date without allocating.
pub(crate) struct SplitDate {
    text: [u8; EDTF_TEXT_LEN_MAX],
    len: usize,
    reduced_len: Option<usize>,
}

impl SplitDate {
    pub fn new(date: &EdtfDate) -> SplitDate {
        let mut split = SplitDate {
            text: [0; EDTF_TEXT_LEN_MAX],
            len: 0,
            reduced_len: None,
        };
        fmt::write(&mut split, format_args!("{date}"))
            .expect("an EDTF date is at most EDTF_TEXT_LEN_MAX bytes");
        split.reduced_len = reduced_len(split.text());
        split
    }

    /// The whole EDTF text.
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.text[..self.len]).expect("dates are written in ASCII")
    }

    /// The reduced ISO form, or `None` when no year contains the stated range.
    pub fn reduced(&self) -> Option<&str> {
        self.reduced_len.map(|len| &self.text()[..len])
    }

    /// The EDTF text when the reduced form does not say everything.
    pub fn lossy(&self) -> Option<&str> {
        (self.reduced_len != Some(self.len)).then(|| self.text())
    }
}

impl fmt::Write for SplitDate {
    fn write_str(&mut self, part: &str) -> fmt::Result {
        let end = self.len + part.len();
        self.text
            .get_mut(self.len..end)
            .ok_or(fmt::Error)?
            .copy_from_slice(part.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// How long the reduced form of an EDTF text is: the whole unqualified date, or the
/// components both ends of an interval share (a prefix of its start).
fn reduced_len(text: &str) -> Option<usize> {
    let Some((start, end)) = text.split_once('/') else {
        return Some(unqualified(text).len());
    };
    common_prefix_len(unqualified(start), unqualified(end))
}

/// A Popolo date (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`, or a date-time whose date is kept) as an
/// EDTF date. `None` if it is neither.
pub fn from_popolo(text: &str) -> Option<EdtfDate> {
    let day = text.split_once('T').map_or(text, |(day, _)| day);
    let shape_ok =
        matches!(day.len(), 4 | 7 | 10) && day.bytes().all(|b| b.is_ascii_digit() || b == b'-');
    if !shape_ok {
        return None;
    }
    day.parse().ok()
}

/// The XML Schema datatype (compact IRI) of a reduced date.
pub fn xsd_type(reduced: &str) -> &'static str {
    match reduced.len() {
        4 => "xsd:gYear",
        7 => "xsd:gYearMonth",
        _ => "xsd:date",
    }
}

fn unqualified(end: &str) -> &str {
    end.trim_end_matches(['?', '~', '%'])
}

/// The length of the longest run of whole components (year, month, day) two bounds share.
fn common_prefix_len(start: &str, end: &str) -> Option<usize> {
    let is_bound = |s: &str| !s.is_empty() && s != "..";
    if !is_bound(start) || !is_bound(end) {
        return None;
    }
    let (count, bytes) = start
        .split('-')
        .zip(end.split('-'))
        .take_while(|(a, b)| a == b)
        .fold((0, 0), |(count, bytes), (a, _)| {
            (count + 1, bytes + a.len())
        });
    // The shared components and the `-` between them.
    (count > 0).then(|| bytes + count - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(edtf: &str, expected_reduced: Option<&str>, expected_lossy: bool) {
        let date: EdtfDate = edtf.parse().unwrap();
        assert_eq!(
            reduced(&date).as_deref(),
            expected_reduced,
            "reduced({edtf})"
        );
        assert_eq!(
            edtf_if_lossy(&date).is_some(),
            expected_lossy,
            "lossy({edtf})"
        );
    }

    #[test]
    fn reduces_to_the_coarsest_containing_date() {
        check("2016", Some("2016"), false);
        check("2016-12", Some("2016-12"), false);
        check("2016-12-10", Some("2016-12-10"), false);
        check("2016-12~", Some("2016-12"), true);
        check("2016?", Some("2016"), true);
        check("2016-12-11/2016-12-25", Some("2016-12"), true);
        check("2016-12-11/2016-12-11", Some("2016-12-11"), true);
        check("2016-12-11/2017-01-31", None, true);
        check("2016-03/2016-11?", Some("2016"), true);
        check("../2017", None, true);
        check("2016-12-10/..", None, true);
        // The longest texts an EDTF date has.
        check("2016-12-11?/2017-01-31~", None, true);
        check("2016-12-11%/2016-12-31%", Some("2016-12"), true);
    }

    #[test]
    fn reads_popolo_dates_and_date_times() {
        let read = |t: &str| from_popolo(t).map(|d| d.to_string());
        assert_eq!(read("2016-12-10").as_deref(), Some("2016-12-10"));
        assert_eq!(read("2016-12-10T09:30:00Z").as_deref(), Some("2016-12-10"));
        assert_eq!(read("2016").as_deref(), Some("2016"));
        assert_eq!(read("2016-12~"), None);
        assert_eq!(read("10/12/2016"), None);
    }
}
