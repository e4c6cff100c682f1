//! sijill's partial dates (EDTF) in formats that know only reduced ISO 8601 dates.
//!
//! Popolo and XML Schema accept `YYYY`, `YYYY-MM` and `YYYY-MM-DD`. An EDTF date is reduced
//! to the most precise of those that contains its whole stated range: `2016-12-10` stays,
//! `2016-12~` becomes `2016-12` (the qualifier is dropped), the interval
//! `2016-12-11/2016-12-25` becomes `2016-12`, and `2016-12-11/2017-01-31` (no common year)
//! has no reduced form. Whenever the reduced form is not the whole EDTF value, the exports
//! also carry the EDTF text in an extension field, so nothing is lost.

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
    let text = date.to_string();
    let reduced = match text.split_once('/') {
        None => Some(unqualified(&text).to_owned()),
        Some((start, end)) => common_prefix(unqualified(start), unqualified(end)),
    };
    if reduced.as_deref() == Some(text.as_str()) {
        (reduced, None)
    } else {
        (reduced, Some(text))
    }
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

/// The longest run of whole components (year, month, day) two bounds share.
fn common_prefix(start: &str, end: &str) -> Option<String> {
    let is_bound = |s: &str| !s.is_empty() && s != "..";
    if !is_bound(start) || !is_bound(end) {
        return None;
    }
    let shared: Vec<&str> = start
        .split('-')
        .zip(end.split('-'))
        .take_while(|(a, b)| a == b)
        .map(|(a, _)| a)
        .collect();
    (!shared.is_empty()).then(|| shared.join("-"))
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
