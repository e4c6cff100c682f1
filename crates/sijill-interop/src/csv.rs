//! CSV rosters: one row per mandate, for spreadsheets.
//!
//! The file is UTF-8 and starts with a byte order mark (EF BB BF): without it, common
//! spreadsheet programs read a CSV file in a legacy code page and show Arabic names as
//! mojibake. Fields follow RFC 4180: lines end with CRLF, a field holding a comma, a quote,
//! CR or LF is quoted, quotes inside are doubled. Names are printed as recorded (Arabic as
//! printed) with a Latin-script column beside them.
//!
//! As of a date, the rows are [`Registry::roster`]'s (each marked `certain` or `possible`);
//! without a date, every mandate ever recorded, with the `certainty` column empty.

use std::io::{self, Write};

use sijill_domain::query::MandateView;
use sijill_domain::{AsOf, Basis, BodyId, Names, Registry};

use crate::wire::kind_name;

/// The header row, in column order.
pub const COLUMNS: &[&str] = &[
    "body_handle",
    "body",
    "post_handle",
    "post",
    "person_handle",
    "person",
    "person_latin",
    "from",
    "to",
    "end_reason",
    "basis",
    "basis_detail",
    "assembly_handle",
    "constituency_handle",
    "constituency",
    "certainty",
    "mandate_id",
];

/// UTF-8 byte order mark: tells spreadsheet programs the encoding.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Writes the roster of one body (or of every body, by handle) as CSV.
pub fn write_roster_csv<W: Write>(
    registry: &Registry,
    body: Option<BodyId>,
    as_of: Option<&AsOf>,
    out: W,
) -> io::Result<usize> {
    let mut out = io::BufWriter::new(out);
    out.write_all(BOM)?;
    write_row(&mut out, COLUMNS.iter().copied())?;
    let mut bodies: Vec<_> = match body {
        Some(id) => registry.body(id).into_iter().collect(),
        None => registry.bodies().collect(),
    };
    bodies.sort_unstable_by(|a, b| a.handle.cmp(&b.handle));
    let mut rows = 0;
    for body in bodies {
        for (view, certainty) in rows_of(registry, body.id, as_of) {
            write_row(&mut out, row(&view, certainty).iter().map(String::as_str))?;
            rows += 1;
        }
    }
    out.flush()?;
    Ok(rows)
}

/// The body's mandates: as of the date (roster order), or all (by post, then start).
fn rows_of(
    registry: &Registry,
    body: BodyId,
    as_of: Option<&AsOf>,
) -> Vec<(MandateView, &'static str)> {
    if let Some(as_of) = as_of {
        return registry
            .roster(body, as_of)
            .into_iter()
            .map(|e| {
                (
                    e.mandate,
                    if e.certainty.is_certain() {
                        "certain"
                    } else {
                        "possible"
                    },
                )
            })
            .collect();
    }
    let Some(b) = registry.body(body) else {
        return Vec::new();
    };
    let mut mandates: Vec<_> = b
        .mandates
        .iter()
        .filter_map(|m| registry.mandate(*m))
        .collect();
    let rank = |post| {
        b.posts
            .iter()
            .position(|p| *p == post)
            .unwrap_or(usize::MAX)
    };
    mandates.sort_by_key(|m| (rank(m.post), m.from, m.recorded_at()));
    mandates
        .into_iter()
        .map(|m| (registry.mandate_view(m), ""))
        .collect()
}

fn row(view: &MandateView, certainty: &str) -> Vec<String> {
    let handle = |r: &sijill_domain::query::Ref| {
        r.handle.as_ref().map(|h| h.to_string()).unwrap_or_default()
    };
    let name = |r: &sijill_domain::query::Ref| {
        r.name
            .as_ref()
            .map(|n| n.text().to_owned())
            .unwrap_or_default()
    };
    let latin = view
        .person
        .name
        .as_ref()
        .map(Names::latin_or_printed)
        .unwrap_or_default();
    vec![
        handle(&view.body),
        name(&view.body),
        handle(&view.post),
        name(&view.post),
        handle(&view.person),
        name(&view.person),
        latin.to_owned(),
        view.from.to_string(),
        view.to.map(|d| d.to_string()).unwrap_or_default(),
        view.end_reason
            .map(|r| kind_name(&r).to_owned())
            .unwrap_or_default(),
        view.basis.as_str().to_owned(),
        basis_detail(&view.basis),
        view.assembly.as_ref().map(handle).unwrap_or_default(),
        view.constituency.as_ref().map(handle).unwrap_or_default(),
        view.constituency.as_ref().map(name).unwrap_or_default(),
        certainty.to_owned(),
        view.mandate.id.to_string(),
    ]
}

/// The tally of an election by majority, or who appointed.
fn basis_detail(basis: &Basis<sijill_domain::query::Ref>) -> String {
    match basis {
        Basis::ElectedByMajority(t) => format!(
            "for {}, against {}, abstaining {}",
            t.votes_for, t.against, t.abstain
        ),
        Basis::Appointed { by: Some(by) } => by
            .handle
            .as_ref()
            .map(|h| format!("by {h}"))
            .unwrap_or_default(),
        _ => String::new(),
    }
}

fn write_row<'a>(out: &mut impl Write, fields: impl Iterator<Item = &'a str>) -> io::Result<()> {
    for (i, field) in fields.enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write_field(out, field)?;
    }
    out.write_all(b"\r\n")
}

/// RFC 4180: quote a field holding a comma, a quote, CR or LF; double inner quotes.
fn write_field(out: &mut impl Write, field: &str) -> io::Result<()> {
    if !field.contains([',', '"', '\r', '\n']) {
        return out.write_all(field.as_bytes());
    }
    out.write_all(b"\"")?;
    out.write_all(field.replace('"', "\"\"").as_bytes())?;
    out.write_all(b"\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_rfc_4180_requires() {
        let mut out = Vec::new();
        write_row(
            &mut out,
            ["plain", "a,b", "say \"hi\"", "two\nlines", "أشرف شهبون"].into_iter(),
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",أشرف شهبون\r\n"
        );
    }
}
