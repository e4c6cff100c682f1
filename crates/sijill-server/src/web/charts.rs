//! Charts drawn on the server as inline SVG: no script, prints as drawn, and screen readers
//! get a `<title>` and the same facts in the tables beside them.

use std::fmt::Write;

use chrono::{Datelike, NaiveDate};
use sijill_domain::query::{MandateView, Ref, RosterEntry};
use sijill_domain::Certainty;
use sijill_engine::query::BodyDetail;

use super::html::{esc, plain};
use super::lang::{t, Lang};

/// Rows drawn at most: a national body's timeline stays readable and cheap; the tables list all.
pub const TIMELINE_ROWS_MAX: usize = 200;
/// Holders named in one post's box at most; the box says how many more there are.
pub const CHART_HOLDERS_MAX: usize = 8;
/// Post boxes per line of the organisation chart, so that a body with many posts wraps
/// instead of shrinking its text to nothing.
pub const CHART_COLUMNS_MAX: usize = 4;
/// Characters of a label drawn at most (SVG text does not wrap).
const LABEL_CHARS_MAX: usize = 34;

const BOX_W: usize = 220;
const GAP: usize = 20;
const LINE_H: usize = 17;

fn label(r: &Ref, lang: Lang) -> String {
    let text = plain(r, lang);
    let mut short: String = text.chars().take(LABEL_CHARS_MAX).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    esc(&short)
}

/// The body on top, one box per post below it (in lines of [`CHART_COLUMNS_MAX`]) with its
/// current holders; holders whose mandate is only possibly current are drawn in italics.
pub fn org_chart(detail: &BodyDetail, roster: &[RosterEntry], lang: Lang) -> String {
    let posts = &detail.posts;
    let columns = posts.len().clamp(1, CHART_COLUMNS_MAX);
    // At least as wide as the body's own box, which is wider than one post's.
    let width = (columns * (BOX_W + GAP) + GAP).max(BOX_W + 80 + 2 * GAP);
    let holders_of = |post: &Ref| -> Vec<&RosterEntry> {
        roster
            .iter()
            .filter(|e| e.mandate.post.id == post.id)
            .collect()
    };
    let lines_max = posts
        .iter()
        .map(|p| holders_of(&p.post).len().min(CHART_HOLDERS_MAX + 1))
        .max()
        .unwrap_or(0);
    let box_h = 34 + LINE_H * lines_max.max(1);
    let rows = posts.len().div_ceil(columns).max(1);
    let height = 80 + rows * (box_h + GAP);
    let mut out = format!(
        "<svg role=\"img\" aria-labelledby=\"org-title\" class=\"chart org\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" xmlns=\"http://www.w3.org/2000/svg\">\
<title id=\"org-title\">{}: {}</title>",
        t(lang, "org_chart"),
        label(&detail.summary.body, lang)
    );
    let mid = width / 2;
    let _ = write!(
        out,
        "<rect class=\"top\" fill=\"#e8f0fa\" stroke=\"#0b5394\" x=\"{}\" y=\"8\" width=\"{}\" height=\"36\" rx=\"4\"/><text x=\"{mid}\" y=\"31\" text-anchor=\"middle\" font-weight=\"bold\">{}</text>",
        mid - BOX_W / 2 - 40,
        BOX_W + 80,
        label(&detail.summary.body, lang)
    );
    for (i, p) in posts.iter().enumerate() {
        let x = GAP + (i % columns) * (BOX_W + GAP);
        let y = 70 + (i / columns) * (box_h + GAP);
        let cx = x + BOX_W / 2;
        let holders = holders_of(&p.post);
        let _ = write!(
            out,
            "<path class=\"link\" stroke=\"#777777\" d=\"M{mid} 44 V56 H{cx} V{y}\" fill=\"none\"/>\
<rect class=\"post\" fill=\"#ffffff\" stroke=\"#0b5394\" x=\"{x}\" y=\"{y}\" width=\"{BOX_W}\" height=\"{box_h}\" rx=\"4\"/>\
<text x=\"{cx}\" y=\"{}\" text-anchor=\"middle\" font-weight=\"bold\">{}</text>",
            y + 20,
            label(&p.post, lang)
        );
        for (j, h) in holders.iter().take(CHART_HOLDERS_MAX).enumerate() {
            let class = if h.certainty == Certainty::Certain {
                "holder"
            } else {
                "holder possible"
            };
            let _ = write!(
                out,
                "<text class=\"{class}\" x=\"{cx}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                y + 40 + LINE_H * j,
                label(&h.mandate.person, lang)
            );
        }
        if holders.len() > CHART_HOLDERS_MAX {
            let _ = write!(
                out,
                "<text class=\"more\" x=\"{cx}\" y=\"{}\" text-anchor=\"middle\">+{} {}</text>",
                y + 40 + LINE_H * CHART_HOLDERS_MAX,
                holders.len() - CHART_HOLDERS_MAX,
                t(lang, "more")
            );
        }
        if holders.is_empty() {
            let _ = write!(
                out,
                "<text class=\"vacant\" x=\"{cx}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                y + 40,
                t(lang, "vacant")
            );
        }
    }
    out.push_str("</svg>");
    out
}

fn day_number(d: NaiveDate) -> i64 {
    i64::from(d.num_days_from_ce())
}

/// What names a timeline's rows: the holder (a body's or a post's timeline) or the post
/// (a person's, where every row would otherwise bear the same name).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum RowLabel {
    Person,
    Post,
}

/// Who held which post when: one bar per mandate, from the earliest start to `today` (or the
/// date asked). Where a start or an end is uncertain, the span it may fall in is hatched and
/// faded, so a reader never mistakes a guess for a known day.
pub fn timeline(
    mandates: &[MandateView],
    rows_by: RowLabel,
    today: NaiveDate,
    lang: Lang,
) -> String {
    let rows: Vec<&MandateView> = mandates.iter().take(TIMELINE_ROWS_MAX).collect();
    let Some(min) = rows.iter().filter_map(|m| m.from.earliest()).min() else {
        return String::new();
    };
    let max = rows
        .iter()
        .filter_map(|m| m.to.as_ref().and_then(|d| d.latest()))
        .chain([today])
        .max()
        .unwrap_or(today);
    let (lo, hi) = (day_number(min) - 30, day_number(max) + 30);
    let (left, width) = (230i64, 740i64);
    let x = |d: NaiveDate| left + (day_number(d) - lo) * width / (hi - lo).max(1);
    let height = 34 + rows.len() * 22;
    let mut out = format!(
        "<svg role=\"img\" aria-labelledby=\"tl-title\" class=\"chart timeline\" viewBox=\"0 0 1000 {height}\" width=\"1000\" height=\"{height}\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"tl-title\">{}</title>\
<defs><pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"3\" height=\"6\" fill=\"#0b5394\"/></pattern></defs>",
        t(lang, "timeline")
    );
    let years = (max.year() - min.year()).max(1);
    let step = (years / 12 + 1) as usize;
    for year in (min.year() + 1..=max.year()).step_by(step) {
        if let Some(d) = NaiveDate::from_ymd_opt(year, 1, 1) {
            let _ = write!(out, "<line class=\"grid\" stroke=\"#dddddd\" x1=\"{0}\" y1=\"14\" x2=\"{0}\" y2=\"{height}\"/><text x=\"{0}\" y=\"12\" text-anchor=\"middle\">{year}</text>", x(d));
        }
    }
    for (i, m) in rows.iter().enumerate() {
        out.push_str(&bar(m, rows_by, 22 + i as i64 * 22, today, &x, lang));
    }
    if mandates.len() > TIMELINE_ROWS_MAX {
        let _ = write!(
            out,
            "<text x=\"{left}\" y=\"{}\">+{} {}</text>",
            height - 4,
            mandates.len() - TIMELINE_ROWS_MAX,
            t(lang, "more")
        );
    }
    out.push_str("</svg>");
    out
}

fn bar(
    m: &MandateView,
    rows_by: RowLabel,
    y: i64,
    today: NaiveDate,
    x: &dyn Fn(NaiveDate) -> i64,
    lang: Lang,
) -> String {
    let Some(s0) = m.from.earliest() else {
        return String::new();
    };
    let s1 = m.from.latest().unwrap_or(s0);
    let (e0, e1) = match &m.to {
        Some(to) => (to.earliest().unwrap_or(today), to.latest().unwrap_or(today)),
        None => (today.max(s1), today.max(s1)),
    };
    let what = format!(
        "{} · {} · {} – {}",
        plain(&m.person, lang),
        plain(&m.post, lang),
        m.from,
        m.to.as_ref().map(|d| d.to_string()).unwrap_or_default()
    );
    let mut out = format!(
        "<g><title>{}</title><text x=\"225\" y=\"{}\" text-anchor=\"end\">{}</text>",
        esc(&what),
        y + 13,
        match rows_by {
            RowLabel::Person => label(&m.person, lang),
            RowLabel::Post => label(&m.post, lang),
        }
    );
    // Uncertain start: the span it may fall in is hatched; then the surely-held span solid.
    if s1 > s0 {
        let _ = write!(
            out,
            "<rect class=\"uncertain\" fill=\"url(#hatch)\" opacity=\"0.6\" x=\"{}\" y=\"{y}\" width=\"{}\" height=\"16\"/>",
            x(s0),
            (x(s1) - x(s0)).max(1)
        );
    }
    let (class, fill) = if m.to.is_some() {
        ("held ended", "#5b7fa6")
    } else {
        ("held", "#0b5394")
    };
    let _ = write!(
        out,
        "<rect class=\"{class}\" fill=\"{fill}\" x=\"{}\" y=\"{y}\" width=\"{}\" height=\"16\"/>",
        x(s1),
        (x(e0) - x(s1)).max(1)
    );
    if e1 > e0 {
        let _ = write!(
            out,
            "<rect class=\"uncertain\" fill=\"url(#hatch)\" opacity=\"0.6\" x=\"{}\" y=\"{y}\" width=\"{}\" height=\"16\"/>",
            x(e0),
            (x(e1) - x(e0)).max(1)
        );
    }
    out.push_str("</g>");
    out
}
