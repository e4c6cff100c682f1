//! Hand-written HTML helpers. Names come from users, so every text goes through [`esc`];
//! nothing else in the web module writes user text into markup.

use std::fmt::Write;

use sijill_domain::query::Ref;
use sijill_domain::Names;

use super::lang::{t, Lang};

/// Escapes text for element content and double-quoted attributes.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    // Copies the runs between special characters whole: they are ASCII, so every byte
    // position found is a character boundary, and most names hold none of them.
    let mut start = 0;
    for (at, byte) in text.bytes().enumerate() {
        let escaped = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&text[start..at]);
        out.push_str(escaped);
        start = at + 1;
    }
    out.push_str(&text[start..]);
    out
}

/// Text that reads left to right whatever the page's direction (dates, positions), isolated
/// so that an Arabic page does not show 2016-12-11 as 11-12-2016.
pub fn ltr(text: &str) -> String {
    format!("<bdi dir=\"ltr\">{}</bdi>", esc(text))
}

/// Percent-encodes a query-string value.
pub fn url(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~@".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// How well a form of a name suits the page, lower is better: on an Arabic page, Arabic
/// script; on a French or English page, a name in that very language, then any other name
/// in Latin script (a transliteration such as `ar-Latn`), and Arabic script last.
fn rank(lang_tag: Option<&str>, text: &str, page: Lang) -> u8 {
    let arabic = text.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c));
    let in_page_language = lang_tag.is_some_and(|l| {
        l == page.code()
            || l.strip_prefix(page.code())
                .is_some_and(|r| r.starts_with('-'))
    });
    match page {
        Lang::Ar if arabic => 0,
        Lang::Ar => 1,
        Lang::Fr | Lang::En if arabic || lang_tag == Some("ar") => 2,
        Lang::Fr | Lang::En if in_page_language => 0,
        Lang::Fr | Lang::En => 1,
    }
}

/// The index of the form that suits the page best (the first of equals).
fn best(forms: &[(Option<&str>, &str)], page: Lang) -> usize {
    forms
        .iter()
        .enumerate()
        .min_by_key(|(i, (l, t))| (rank(*l, t, page), *i))
        .map_or(0, |(i, _)| i)
}

/// The form of a name written in the page's script (the printed form when none is).
pub fn pick(n: &Names, page: Lang) -> &str {
    let forms = forms(n);
    forms[best(&forms, page)].1
}

/// Every form of a name with its language tag, the printed form first.
fn forms(n: &Names) -> Vec<(Option<&str>, &str)> {
    std::iter::once((n.lang().map(|l| l.as_str()), n.text()))
        .chain(
            n.others()
                .iter()
                .map(|o| (o.lang().map(|l| l.as_str()), o.text())),
        )
        .collect()
}

/// An entity's name in the page's script, or its handle: for titles and chart labels.
pub fn plain(r: &Ref, page: Lang) -> String {
    match (&r.name, &r.handle) {
        (Some(n), _) => pick(n, page).to_owned(),
        (None, Some(h)) => h.to_string(),
        (None, None) => r.id.to_string(),
    }
}

/// A name in the page's script first, the other forms beside it (smaller, with their language).
pub fn names(n: &Names, page: Lang) -> String {
    let mut all = forms(n);
    let main = all.remove(best(&all, page));
    let mut out = format!("<bdi{}>{}</bdi>", lang_attr(main.0), esc(main.1));
    if !all.is_empty() {
        out.push_str(" <span class=\"other\">(");
        let rest: Vec<String> = all
            .iter()
            .map(|(l, t)| format!("<bdi{}>{}</bdi>", lang_attr(*l), esc(t)))
            .collect();
        out.push_str(&rest.join(" · "));
        out.push_str(")</span>");
    }
    out
}

fn lang_attr(tag: Option<&str>) -> String {
    tag.map(|l| format!(" lang=\"{}\"", esc(l)))
        .unwrap_or_default()
}

/// The URL path segment of an entity: its handle without `@`, or its UUID.
pub fn segment(r: &Ref) -> String {
    match &r.handle {
        Some(h) => h.to_string().trim_start_matches('@').to_owned(),
        None => r.id.to_string(),
    }
}

/// A link to an entity's page, labelled with its name (or handle).
pub fn link(r: &Ref, page: Lang, q: &str) -> String {
    let label = match (&r.name, &r.handle) {
        (Some(n), _) => names(n, page),
        (None, Some(h)) => esc(&h.to_string()),
        (None, None) => esc(&r.id.to_string()),
    };
    format!(
        "<a href=\"/{}/{}{}\">{label}</a>",
        r.kind.as_str(),
        esc(&segment(r)),
        esc(q)
    )
}

/// The chrome around every page: skip link, navigation, languages, the session, and the
/// "as recorded at" switch.
pub struct Frame<'a> {
    pub lang: Lang,
    pub title: String,
    pub path: &'a str,
    /// The query string's pairs kept on the switches (the date asked, page filters).
    pub query: &'a [(String, String)],
    /// The signed-in session's CSRF token: signing out is a form post like any other.
    pub csrf: Option<&'a str>,
    pub position: u64,
    pub as_recorded_at: Option<u64>,
}

/// `path?query` with the pairs, without `as_recorded_at` (the switch sets it again).
fn here(f: &Frame) -> String {
    let kept: Vec<String> = f
        .query
        .iter()
        .filter(|(k, _)| k != "as_recorded_at")
        .map(|(k, v)| format!("{}={}", url(k), url(v)))
        .collect();
    if kept.is_empty() {
        f.path.to_owned()
    } else {
        format!("{}?{}", f.path, kept.join("&"))
    }
}

fn languages(f: &Frame) -> String {
    let back = url(&here(f));
    [Lang::Ar, Lang::Fr, Lang::En]
        .iter()
        .map(|x| {
            let current = if *x == f.lang {
                " aria-current=\"true\""
            } else {
                ""
            };
            format!(
                "<a href=\"/lang/{c}?back={back}\" lang=\"{c}\" hreflang=\"{c}\"{current}>{n}</a>",
                c = x.code(),
                n = x.native(),
            )
        })
        .collect()
}

fn session_links(f: &Frame) -> String {
    let l = f.lang;
    match f.csrf {
        Some(csrf) => format!(
            "<a href=\"/record\">{}</a><form class=\"inline\" method=\"post\" action=\"/signout\">\
<input type=\"hidden\" name=\"csrf\" value=\"{}\"><button class=\"link\">{}</button></form>",
            t(l, "record"),
            esc(csrf),
            t(l, "sign_out")
        ),
        None => format!("<a href=\"/signin\">{}</a>", t(l, "sign_in")),
    }
}

/// The query's pairs as hidden inputs, but `except`: a GET form then changes one parameter
/// and keeps the others.
pub fn hidden_inputs(query: &[(String, String)], except: &str) -> String {
    query
        .iter()
        .filter(|(k, _)| k != except)
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                esc(k),
                esc(v)
            )
        })
        .collect()
}

/// The "as recorded at" switch: a plain GET form that keeps the page's other parameters.
fn recorded_switch(f: &Frame) -> String {
    let l = f.lang;
    let hidden = hidden_inputs(f.query, "as_recorded_at");
    let rec = f.as_recorded_at.map(|p| p.to_string()).unwrap_or_default();
    let notice = match f.as_recorded_at {
        Some(p) => format!(
            "<p class=\"notice\" role=\"status\">{} {p}. <a href=\"{}\">{}</a></p>",
            t(l, "recorded_notice"),
            esc(&here(f)),
            t(l, "back_to_now")
        ),
        None => String::new(),
    };
    format!(
        "<form class=\"inline recorded noprint\" method=\"get\" action=\"{path}\">{hidden}\
<label for=\"rec\">{recl}</label>\
<input id=\"rec\" name=\"as_recorded_at\" type=\"number\" min=\"1\" max=\"{pos}\" value=\"{rec}\" placeholder=\"{pos}\" inputmode=\"numeric\">\
<button>{go}</button></form>{notice}",
        path = esc(f.path),
        recl = t(l, "as_recorded_at"),
        pos = f.position,
        go = t(l, "go"),
    )
}

pub fn page(f: &Frame, body: &str) -> String {
    let l = f.lang;
    let dir = if l == Lang::Ar { "rtl" } else { "ltr" };
    format!(
        "<!doctype html><html lang=\"{code}\" dir=\"{dir}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>{title} · sijill</title><link rel=\"stylesheet\" href=\"/assets/site.css\"></head><body>\
<a class=\"skip\" href=\"#main\">{skip}</a>\
<header class=\"site noprint\"><a class=\"brand\" href=\"/\">sijill <span lang=\"ar\">سجل</span></a>\
<nav class=\"main\" aria-label=\"{navl}\"><a href=\"/\">{overview}</a><a href=\"/tree\">{tree}</a>\
<a href=\"/search\">{search}</a><a href=\"/log\">{log}</a></nav>\
<nav class=\"langs\" aria-label=\"{langl}\">{langs}</nav><div class=\"session\">{session}</div>\
{switch}</header>\
<main id=\"main\" tabindex=\"-1\"><h1>{title}</h1>{body}</main>\
<footer class=\"site\"><p>{posl} {pos}</p></footer>\
<script src=\"/assets/site.js\" defer></script></body></html>",
        code = l.code(),
        title = esc(&f.title),
        skip = t(l, "skip"),
        navl = t(l, "navigation"),
        overview = t(l, "overview"),
        tree = t(l, "tree"),
        search = t(l, "search"),
        log = t(l, "log"),
        langl = t(l, "language"),
        langs = languages(f),
        session = session_links(f),
        switch = recorded_switch(f),
        posl = t(l, "position"),
        pos = f.position,
    )
}

#[cfg(test)]
mod escape_tests {
    use super::esc;

    #[test]
    fn every_special_character_is_escaped_and_the_rest_kept_whole() {
        assert_eq!(
            esc(r#"<a href="x">Tom & Jerry's</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;"
        );
        assert_eq!(esc("إسماعيل <البنوري>"), "إسماعيل &lt;البنوري&gt;");
        assert_eq!(esc("&"), "&amp;");
        assert_eq!(esc(""), "");
        assert_eq!(esc("محمد"), "محمد");
    }
}
