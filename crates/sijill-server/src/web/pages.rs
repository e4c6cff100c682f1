//! The reading pages: overview, tree, body, person, assembly, post, area, mandate audit,
//! log and search. Each handler asks the engine, then writes HTML through `html`.

use std::collections::HashSet;
use std::fmt::Write;

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use serde_json::json;
use sijill_domain::query::{MandateView, Ref, TreeNode};
use sijill_domain::{Basis, Certainty, EntityId, EntityRef, PostId};
use sijill_engine::query::{Answer, Audit, Data, MandateAudit};
use sijill_engine::HistoryEntry;

use super::charts::{self, RowLabel};
use super::html::{esc, link, ltr, names, plain, segment, url};
use super::lang::{t, term, Lang};
use super::{entity_ref, Ctx, PageError};
use crate::api::AnswerKey;

type Page = Result<Response, PageError>;

/// Log entries on one page of the log.
/// (Each entry is read from the store and decoded: at a million events, 100 of them took
/// about 7 ms to show; 50 keep the page well under the 10 ms a page may take.)
pub const LOG_PAGE_ENTRIES: usize = 50;
/// Past holders listed on a body page at most (the post pages list every one).
pub const PAST_HOLDERS_MAX: usize = 500;
/// Search hits shown (as you type and on the results page).
pub const SEARCH_HITS_MAX: usize = 20;
/// Recent changes on the overview.
pub const RECENT_CHANGES: u64 = 10;
/// People and root bodies listed on the overview at most.
pub const OVERVIEW_LIST_MAX: usize = 30;

/// The day a page is about: the date asked (its last possible day), or today.
fn day_of(ctx: &Ctx) -> NaiveDate {
    ctx.as_of
        .as_ref()
        .and_then(|d| d.latest())
        .unwrap_or_else(|| Utc::now().date_naive())
}

/// A value's wire name (`"founding_general_assembly"`), for kinds without `Display`.
fn wire<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn unexpected(ctx: &Ctx) -> PageError {
    ctx.error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "the engine answered another question".into(),
    )
}

/// The date control: a GET form that redraws the page as of the date typed (the script
/// submits it on change; without the script the button does).
fn date_form(ctx: &Ctx, answer: &Answer) -> String {
    let value = ctx.as_of.map(|d| d.to_string()).unwrap_or_default();
    let rec = ctx
        .as_recorded_at
        .map(|p| format!("<input type=\"hidden\" name=\"as_recorded_at\" value=\"{p}\">"))
        .unwrap_or_default();
    let l = ctx.lang;
    format!(
        "<form class=\"inline dates noprint\" method=\"get\"><label for=\"as_of\">{label}</label>\
<input id=\"as_of\" name=\"as_of\" value=\"{value}\" placeholder=\"2017-03-01\" size=\"12\" aria-describedby=\"as_of-hint\" data-autosubmit>{rec}\
<button>{go}</button> <span id=\"as_of-hint\" class=\"hint\">{hint} {examples}</span></form>\
<p class=\"asof\">{shown} <strong>{shown_date}</strong></p>",
        label = t(l, "as_of"),
        value = esc(&value),
        go = t(l, "go"),
        hint = t(l, "date_hint"),
        examples = ["2017-03-01", "2017", "2016-12~", "2016-12-11/2017-01-31"]
            .map(ltr)
            .join(" · "),
        shown = t(l, "shown_as_of"),
        shown_date = ltr(&answer.as_of.to_string()),
    )
}

async fn verify_result(ctx: &Ctx) -> String {
    let l = ctx.lang;
    match ctx.ask(json!({"query": "verify"})).await {
        Ok(Answer {
            data: Data::Verify(v),
            ..
        }) => match &v.first_bad {
            None => format!(
                "<p class=\"ok\" role=\"status\" id=\"verify-result\">✓ {} ({} {}, {}–{})</p>",
                t(l, "chain_ok"),
                v.checked,
                t(l, "events"),
                v.from,
                v.to
            ),
            Some(b) => format!(
                "<p class=\"error\" role=\"alert\" id=\"verify-result\">✗ {} {}: {}</p>",
                t(l, "chain_bad"),
                b.position,
                esc(&b.problem)
            ),
        },
        Ok(_) => String::new(),
        Err(e) => format!("<p class=\"error\" role=\"alert\">{}</p>", esc(&e.message)),
    }
}

/// The one-click verification: a GET of the same page with `verify=1` (no script needed).
async fn verify_form(ctx: &Ctx) -> String {
    let hidden = super::html::hidden_inputs(&ctx.params, "verify");
    let mut out = format!(
        "<form method=\"get\" class=\"noprint verify\">{hidden}<input type=\"hidden\" name=\"verify\" value=\"1\"><button id=\"verify\">{}</button></form>",
        t(ctx.lang, "verify")
    );
    if ctx.verify {
        out.push_str(&verify_result(ctx).await);
    }
    out
}

pub async fn overview(ctx: Ctx) -> Page {
    let answer = ctx.ask(json!({"query": "stats"})).await?;
    let Data::Stats(s) = &answer.data else {
        return Err(unexpected(&ctx));
    };
    let l = ctx.lang;
    let mut body = search_box(&ctx, "");
    let _ = write!(
        body,
        "<section aria-labelledby=\"h-stats\"><h2 id=\"h-stats\">{}</h2><dl class=\"stats\">",
        t(l, "registry")
    );
    for (key, n) in [
        ("events", s.events as usize),
        ("bodies", s.bodies),
        ("posts", s.posts),
        ("persons", s.persons),
        ("mandates", s.mandates),
        ("assemblies", s.assemblies),
    ] {
        let _ = write!(body, "<div><dt>{}</dt><dd>{n}</dd></div>", t(l, key));
    }
    body.push_str("</dl>");
    if let Some(hash) = &s.head_hash {
        let _ = write!(
            body,
            "<p>{} <code class=\"hash\">{}</code></p>",
            t(l, "head_hash"),
            esc(hash)
        );
    }
    body.push_str(&verify_form(&ctx).await);
    body.push_str("</section>");
    body.push_str(&recent_changes(&ctx, answer.position).await?);
    body.push_str(&top_bodies(&ctx).await?);
    body.push_str(&people(&ctx).await?);
    Ok(ctx.render(t(l, "overview").to_owned(), answer.position, &body))
}

/// The bodies without a parent, by handle: read from the state rather than by folding the
/// whole tree (tens of milliseconds for a national registry), as the overview is about now.
async fn top_bodies(ctx: &Ctx) -> Result<String, PageError> {
    let l = ctx.lang;
    let k = ctx.keep();
    let snapshot = ctx.snapshot().await?;
    let reg = &snapshot.registry;
    let mut roots: Vec<_> = reg
        .bodies()
        .filter(|b| b.parent().is_none() && !b.is_dissolved())
        .map(|b| (b.handle.clone(), b.id))
        .collect();
    roots.sort();
    let mut out = format!(
        "<section aria-labelledby=\"h-bodies\"><h2 id=\"h-bodies\">{}</h2><ul class=\"cols\">",
        t(l, "bodies")
    );
    for (_, id) in roots.iter().take(OVERVIEW_LIST_MAX) {
        let _ = write!(
            out,
            "<li>{}</li>",
            link(&reg.reference(EntityId::Body(*id)), l, &k)
        );
    }
    let _ = write!(
        out,
        "</ul><p><a href=\"/tree{}\">{} →</a></p></section>",
        esc(&k),
        t(l, "whole_tree")
    );
    Ok(out)
}

/// Some people (the first in the state's order), and the way to find the others: search.
async fn people(ctx: &Ctx) -> Result<String, PageError> {
    let l = ctx.lang;
    let snapshot = ctx.snapshot().await?;
    let reg = &snapshot.registry;
    let mut out = format!(
        "<section aria-labelledby=\"h-people\"><h2 id=\"h-people\">{}</h2><ul class=\"cols\">",
        t(l, "persons")
    );
    let mut shown = 0;
    for p in reg.people().take(OVERVIEW_LIST_MAX) {
        let _ = write!(
            out,
            "<li>{}</li>",
            link(&reg.reference(EntityId::Person(p.id)), l, &ctx.keep())
        );
        shown += 1;
    }
    out.push_str("</ul>");
    let total = reg.counts()[1];
    if total > shown {
        let _ = write!(
            out,
            "<p>{shown} / {total} · <a href=\"/search\">{}</a></p>",
            t(l, "search")
        );
    }
    out.push_str("</section>");
    Ok(out)
}

async fn recent_changes(ctx: &Ctx, position: u64) -> Result<String, PageError> {
    let l = ctx.lang;
    let from = position.saturating_sub(RECENT_CHANGES - 1).max(1);
    let answer = ctx
        .ask(json!({"query": "log", "from": from, "limit": RECENT_CHANGES}))
        .await?;
    let Data::Log(log) = answer.data else {
        return Err(unexpected(ctx));
    };
    let mut entries = log.entries;
    entries.reverse();
    Ok(format!(
        "<section aria-labelledby=\"h-recent\"><h2 id=\"h-recent\">{}</h2>{}<p><a href=\"/log\">{} →</a></p></section>",
        t(l, "recent_changes"),
        entries_table(l, &entries, false),
        t(l, "log")
    ))
}

/// The tree page. Folding a national registry's tree takes tens of milliseconds, so its HTML
/// (without the frame, which holds the session) is kept in the server's answer cache until
/// the registry moves or the day changes, as the API keeps its answers.
pub async fn tree(ctx: Ctx) -> Page {
    let l = ctx.lang;
    let root = ctx.param("root");
    let key = |position: u64| AnswerKey {
        query: format!(
            "web/tree lang={} as_of={:?} as_recorded_at={:?} root={root:?}",
            l.code(),
            ctx.as_of.map(|d| d.to_string()),
            ctx.as_recorded_at
        ),
        position,
        today: Utc::now().date_naive(),
    };
    let head = ctx.state.engine().snapshot().position;
    if let Some(body) = ctx.state.answers().get(&key(head)) {
        let body = String::from_utf8_lossy(&body);
        let shown = ctx.as_recorded_at.unwrap_or(head);
        return Ok(ctx.render(t(l, "tree").to_owned(), shown, &body));
    }
    let answer = ctx.ask(json!({"query": "tree"})).await?;
    let Data::Tree(all) = &answer.data else {
        return Err(unexpected(&ctx));
    };
    let body = tree_body(&ctx, &answer, all, root.as_deref());
    // Kept under the position it was read at (the registry may have moved since `head`).
    let position = if ctx.as_recorded_at.is_none() {
        answer.position
    } else {
        head
    };
    ctx.state
        .answers()
        .insert(key(position), body.clone().into());
    Ok(ctx.render(t(l, "tree").to_owned(), answer.position, &body))
}

fn tree_body(ctx: &Ctx, answer: &Answer, all: &[TreeNode], root: Option<&str>) -> String {
    let l = ctx.lang;
    let k = ctx.keep();
    let mut body = date_form(ctx, answer);
    // `?root=handle`: one body's subtree, where the whole tree was too large to unfold.
    let roots: Vec<&TreeNode> = match root {
        Some(r) => {
            let found = find_node(all, r.trim_start_matches('@'));
            let _ = write!(
                body,
                "<p><a href=\"/tree{}\">← {}</a></p>",
                esc(&k),
                t(l, "whole_tree")
            );
            found.into_iter().collect()
        }
        None => all.iter().collect(),
    };
    if roots.is_empty() {
        let _ = write!(body, "<p class=\"empty\">{}</p>", t(l, "no_bodies"));
    }
    let depth = unfolded_depth(&roots);
    body.push_str("<ul class=\"tree\">");
    for node in roots {
        tree_node(ctx, node, 0, depth, &k, &mut body);
    }
    body.push_str("</ul>");
    body
}

/// Bodies unfolded on one tree page at most: beyond, deeper levels are links to their own
/// subtree page, so a national registry's tree stays a page a person can read (and a page
/// the server renders in a few milliseconds).
pub const TREE_NODES_MAX: usize = 1_500;

fn find_node<'a>(nodes: &'a [TreeNode], segment: &str) -> Option<&'a TreeNode> {
    nodes.iter().find_map(|n| {
        if super::html::segment(&n.body) == segment {
            Some(n)
        } else {
            find_node(&n.children, segment)
        }
    })
}

/// The deepest level down to which every body fits in [`TREE_NODES_MAX`] (at least the roots).
fn unfolded_depth(roots: &[&TreeNode]) -> usize {
    let mut level: Vec<&TreeNode> = roots.to_vec();
    let mut shown = level.len();
    let mut depth = 0;
    loop {
        let next: Vec<&TreeNode> = level.iter().flat_map(|n| n.children.iter()).collect();
        if next.is_empty() || shown + next.len() > TREE_NODES_MAX {
            return depth;
        }
        shown += next.len();
        depth += 1;
        level = next;
    }
}

/// One body of the tree, its sub-bodies in a `<details>` (open by default, operable with the
/// keyboard, no script needed to collapse it); below `depth_max`, a link to its subtree.
fn tree_node(
    ctx: &Ctx,
    node: &TreeNode,
    depth: usize,
    depth_max: usize,
    k: &str,
    out: &mut String,
) {
    let l = ctx.lang;
    let mark = possible_mark(l, node.certainty);
    let kind = format!(
        " <span class=\"kind\">{}</span>",
        esc(term(l, node.kind.as_str()))
    );
    if node.children.is_empty() {
        let _ = write!(out, "<li>{}{kind}{mark}</li>", link(&node.body, l, k));
        return;
    }
    if depth >= depth_max {
        let sep = if k.is_empty() { "?" } else { "&amp;" };
        let _ = write!(
            out,
            "<li>{}{kind}{mark} <a class=\"count\" href=\"/tree{}{sep}root={}\">({} {}) →</a></li>",
            link(&node.body, l, k),
            esc(k),
            esc(&url(&super::html::segment(&node.body))),
            node.children.len(),
            t(l, "sub_bodies_lower")
        );
        return;
    }
    let _ = write!(
        out,
        "<li><details open><summary>{}{kind}{mark} <span class=\"count\">({})</span></summary><ul>",
        link(&node.body, l, k),
        node.children.len()
    );
    for child in &node.children {
        tree_node(ctx, child, depth + 1, depth_max, k, out);
    }
    out.push_str("</ul></details></li>");
}

fn possible_mark(l: Lang, c: Certainty) -> String {
    if c == Certainty::Certain {
        String::new()
    } else {
        format!(" <span class=\"possible\">({})</span>", t(l, "possible"))
    }
}

pub async fn body(ctx: Ctx, Path(seg): Path<String>) -> Page {
    let r = entity_ref(&seg);
    let answer = ctx.ask(json!({"query": "body", "body": r})).await?;
    let Data::Body(detail) = &answer.data else {
        return Err(unexpected(&ctx));
    };
    let roster = ctx.ask(json!({"query": "roster", "body": r})).await?;
    let Data::Roster(roster) = roster.data else {
        return Err(unexpected(&ctx));
    };
    let snapshot = ctx.snapshot().await?;
    let reg = &snapshot.registry;
    let all: Vec<MandateView> = detail
        .posts
        .iter()
        .filter_map(|p| reg.post(PostId::from_uuid(p.post.id)))
        .flat_map(|p| p.mandates())
        .filter_map(|m| reg.mandate(m).map(|m| reg.mandate_view(m)))
        .collect();
    let l = ctx.lang;
    let k = ctx.keep();
    let mut body = date_form(&ctx, &answer);
    body.push_str("<dl class=\"facts\">");
    let _ = write!(
        body,
        "<div><dt>{}</dt><dd>{}</dd></div>",
        t(l, "kind"),
        esc(term(l, detail.summary.kind.as_str()))
    );
    if let Some(parent) = &detail.summary.parent {
        let _ = write!(
            body,
            "<div><dt>{}</dt><dd>{}</dd></div>",
            t(l, "parent"),
            link(parent, l, &k)
        );
    }
    if let Some(d) = &detail.summary.founded_on {
        let _ = write!(
            body,
            "<div><dt>{}</dt><dd>{}</dd></div>",
            t(l, "founded_on"),
            ltr(&d.to_string())
        );
    }
    if let Some(d) = &detail.summary.dissolved_on {
        let _ = write!(
            body,
            "<div><dt>{}</dt><dd>{}</dd></div>",
            t(l, "dissolved_on"),
            ltr(&d.to_string())
        );
    }
    if let Some(a) = &detail.area {
        let _ = write!(
            body,
            "<div><dt>{}</dt><dd>{}</dd></div>",
            t(l, "area"),
            link(a, l, &k)
        );
    }
    body.push_str("</dl>");
    if let Some(n) = detail.summary.body.name.as_ref() {
        let _ = write!(body, "<p class=\"names\">{}</p>", names(n, l));
    }
    let _ = write!(
        body,
        "<section aria-labelledby=\"h-holders\"><h2 id=\"h-holders\">{} <span class=\"count\">({})</span></h2>",
        t(l, "holders"),
        roster.entries.len()
    );
    let current: Vec<(&MandateView, Certainty)> = roster
        .entries
        .iter()
        .map(|e| (&e.mandate, e.certainty))
        .collect();
    body.push_str(&mandate_table(&ctx, &current, "roster"));
    body.push_str("</section>");
    let current_ids: HashSet<_> = roster
        .entries
        .iter()
        .map(|e| e.mandate.mandate.id)
        .collect();
    let day = day_of(&ctx);
    let past: Vec<(&MandateView, Certainty)> = all
        .iter()
        .filter(|m| !current_ids.contains(&m.mandate.id))
        .filter(|m| m.to.as_ref().is_some_and(|to| to.surely_on_or_before(day)))
        .take(PAST_HOLDERS_MAX)
        .map(|m| (m, Certainty::Certain))
        .collect();
    let _ = write!(
        body,
        "<section aria-labelledby=\"h-past\" class=\"noprint-if-empty\"><h2 id=\"h-past\">{}</h2>",
        t(l, "past_holders")
    );
    body.push_str(&mandate_table(&ctx, &past, "past"));
    body.push_str("</section>");
    let _ = write!(
        body,
        "<section aria-labelledby=\"h-posts\"><h2 id=\"h-posts\">{}</h2><ul>",
        t(l, "posts")
    );
    for p in &detail.posts {
        let _ = write!(
            body,
            "<li>{} <span class=\"other\">({} {})</span></li>",
            link(&p.post, l, &k),
            esc(&p.seats.to_string()),
            t(l, "seats")
        );
    }
    body.push_str("</ul></section>");
    let _ = write!(
        body,
        "<section aria-labelledby=\"h-org\" class=\"chart-section\"><h2 id=\"h-org\">{}</h2><div class=\"scroll\">{}</div></section>",
        t(l, "org_chart"),
        charts::org_chart(detail, &roster.entries, l)
    );
    let _ = write!(
        body,
        "<section aria-labelledby=\"h-timeline\" class=\"chart-section\"><h2 id=\"h-timeline\">{}</h2><p class=\"hint\">{}</p><div class=\"scroll\">{}</div></section>",
        t(l, "timeline"),
        t(l, "timeline_hint"),
        charts::timeline(&all, RowLabel::Person, day, l)
    );
    body.push_str(&ref_list(
        l,
        "h-sub",
        t(l, "sub_bodies"),
        &detail.children,
        &k,
    ));
    body.push_str(&ref_list(
        l,
        "h-assemblies",
        t(l, "assemblies"),
        &detail.assemblies,
        &k,
    ));
    Ok(ctx.render(plain(&detail.summary.body, l), answer.position, &body))
}

fn ref_list(l: Lang, id: &str, title: &str, refs: &[Ref], keep: &str) -> String {
    let mut out = format!("<section aria-labelledby=\"{id}\"><h2 id=\"{id}\">{title}</h2>");
    if refs.is_empty() {
        let _ = write!(out, "<p class=\"empty\">{}</p>", t(l, "none"));
    } else {
        out.push_str("<ul>");
        for r in refs {
            let _ = write!(out, "<li>{}</li>", link(r, l, keep));
        }
        out.push_str("</ul>");
    }
    out.push_str("</section>");
    out
}

/// Mandates as a table: person, post, from, to, basis, constituency, audit link.
fn mandate_table(ctx: &Ctx, rows: &[(&MandateView, Certainty)], class: &str) -> String {
    let l = ctx.lang;
    if rows.is_empty() {
        return format!("<p class=\"empty\">{}</p>", t(l, "none"));
    }
    let k = ctx.keep();
    let mut out = format!(
        "<table class=\"mandates {class}\"><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\" class=\"noprint\">{}</th></tr></thead><tbody>",
        t(l, "person"), t(l, "post"), t(l, "from"), t(l, "to"), t(l, "basis"), t(l, "constituency"), t(l, "audit")
    );
    // Outside a body's own page, a post's title ("Member") needs its body beside it.
    let post_cell = |m: &MandateView| {
        if class == "roster" || class == "past" || class == "post" {
            link(&m.post, l, &k)
        } else {
            format!(
                "{}<br><span class=\"other\">{}</span>",
                link(&m.post, l, &k),
                link(&m.body, l, &k)
            )
        }
    };
    for (m, c) in rows {
        let to = match (&m.to, &m.end_reason) {
            (Some(d), Some(r)) => format!("{} ({})", ltr(&d.to_string()), esc(term(l, &wire(r)))),
            (Some(d), None) => ltr(&d.to_string()),
            _ => String::new(),
        };
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{}{}</th><td>{}</td><td class=\"date\">{}</td><td class=\"date\">{to}</td><td>{}</td><td>{}</td><td class=\"noprint\"><a href=\"/mandate/{}{}\">{}</a></td></tr>",
            link(&m.person, l, &k),
            possible_mark(l, *c),
            post_cell(m),
            ltr(&m.from.to_string()),
            esc(term(l, m.basis.as_str())),
            m.constituency.as_ref().map(|c| link(c, l, &k)).unwrap_or_default(),
            esc(&segment(&m.mandate)),
            esc(&k),
            t(l, "audit"),
        );
    }
    out.push_str("</tbody></table>");
    out
}

pub async fn person(ctx: Ctx, Path(seg): Path<String>) -> Page {
    let answer = ctx
        .ask(json!({"query": "person", "person": entity_ref(&seg)}))
        .await?;
    let Data::Person(p) = &answer.data else {
        return Err(unexpected(&ctx));
    };
    let l = ctx.lang;
    let mut body = date_form(&ctx, &answer);
    if let Some(n) = &p.person.name {
        let _ = write!(body, "<p class=\"names\">{}</p>", names(n, l));
    }
    let _ = write!(body, "<h2>{}</h2>", t(l, "mandates"));
    let rows: Vec<(&MandateView, Certainty)> =
        p.mandates.iter().map(|m| (m, Certainty::Certain)).collect();
    body.push_str(&mandate_table(&ctx, &rows, "person"));
    let _ = write!(
        body,
        "<h2>{}</h2><div class=\"scroll\">{}</div>",
        t(l, "timeline"),
        charts::timeline(&p.mandates, RowLabel::Post, day_of(&ctx), l)
    );
    body.push_str(&ref_list(
        l,
        "h-attended",
        t(l, "attended"),
        &p.attended,
        &ctx.keep(),
    ));
    Ok(ctx.render(plain(&p.person, l), answer.position, &body))
}

pub async fn assembly(ctx: Ctx, Path(seg): Path<String>) -> Page {
    let answer = ctx
        .ask(json!({"query": "assembly", "assembly": entity_ref(&seg)}))
        .await?;
    let Data::Assembly(a) = &answer.data else {
        return Err(unexpected(&ctx));
    };
    let l = ctx.lang;
    let k = ctx.keep();
    let mut body = format!(
        "<dl class=\"facts\"><div><dt>{}</dt><dd>{}</dd></div><div><dt>{}</dt><dd>{}</dd></div><div><dt>{}</dt><dd>{}</dd></div>",
        t(l, "held_on"),
        ltr(&a.summary.held_on.to_string()),
        t(l, "body"),
        link(&a.summary.body, l, &k),
        t(l, "kind"),
        esc(term(l, &wire(&a.summary.kind))),
    );
    if let Some(v) = &a.venue {
        let _ = write!(
            body,
            "<div><dt>{}</dt><dd>{}</dd></div>",
            t(l, "venue"),
            names(v, l)
        );
    }
    body.push_str("</dl>");
    let _ = write!(
        body,
        "<h2>{} <span class=\"count\">({})</span></h2>",
        t(l, "attendance"),
        a.attendance.len()
    );
    if a.attendance.is_empty() {
        let _ = write!(body, "<p class=\"empty\">{}</p>", t(l, "none"));
    } else {
        body.push_str("<ul class=\"cols\">");
        for p in &a.attendance {
            let capacity = p
                .capacity
                .as_ref()
                .map(|c| format!(" <span class=\"other\">({})</span>", esc(c.as_str())))
                .unwrap_or_default();
            let _ = write!(body, "<li>{}{capacity}</li>", link(&p.person, l, &k));
        }
        body.push_str("</ul>");
    }
    let _ = write!(body, "<h2>{}</h2>", t(l, "resolutions"));
    if a.resolutions.is_empty() {
        let _ = write!(body, "<p class=\"empty\">{}</p>", t(l, "none"));
    } else {
        body.push_str("<ul>");
        for r in &a.resolutions {
            let text = r
                .text
                .as_ref()
                .map(|n| format!("<br><span class=\"other\">{}</span>", esc(n.as_str())))
                .unwrap_or_default();
            let vote = wire(&r.vote);
            let _ = write!(
                body,
                "<li>{} <span class=\"other\">({})</span>{text}</li>",
                names(&r.title, l),
                esc(&vote)
            );
        }
        body.push_str("</ul>");
    }
    let _ = write!(body, "<h2>{}</h2>", t(l, "mandates_produced"));
    let rows: Vec<(&MandateView, Certainty)> =
        a.mandates.iter().map(|m| (m, Certainty::Certain)).collect();
    body.push_str(&mandate_table(&ctx, &rows, "assembly"));
    Ok(ctx.render(plain(&a.summary.assembly, l), answer.position, &body))
}

/// Resolves a URL segment in the snapshot the page reads.
fn resolve(ctx: &Ctx, reg: &sijill_domain::Registry, seg: &str) -> Result<EntityId, PageError> {
    let r: EntityRef = entity_ref(seg).parse().map_err(|_| {
        ctx.error(
            StatusCode::NOT_FOUND,
            format!("{}: {seg}", t(ctx.lang, "not_found")),
        )
    })?;
    reg.resolve(&r).ok_or_else(|| {
        ctx.error(
            StatusCode::NOT_FOUND,
            format!("{}: @{seg}", t(ctx.lang, "not_found")),
        )
    })
}

pub async fn post(ctx: Ctx, Path(seg): Path<String>) -> Page {
    let snapshot = ctx.snapshot().await?;
    let reg = &snapshot.registry;
    let EntityId::Post(id) = resolve(&ctx, reg, &seg)? else {
        return Err(ctx.error(
            StatusCode::NOT_FOUND,
            format!("{}: @{seg}", t(ctx.lang, "not_found")),
        ));
    };
    let p = reg
        .post(id)
        .ok_or_else(|| ctx.error(StatusCode::NOT_FOUND, seg.clone()))?;
    let l = ctx.lang;
    let views: Vec<MandateView> = p
        .mandates()
        .filter_map(|m| reg.mandate(m))
        .map(|m| reg.mandate_view(m))
        .collect();
    let rows: Vec<(&MandateView, Certainty)> =
        views.iter().map(|m| (m, Certainty::Certain)).collect();
    let body_ref = reg.reference(EntityId::Body(p.body));
    let mut body = format!(
        "<dl class=\"facts\"><div><dt>{}</dt><dd>{}</dd></div><div><dt>{}</dt><dd>{}</dd></div></dl><p class=\"names\">{}</p>",
        t(l, "body"),
        link(&body_ref, l, &ctx.keep()),
        t(l, "seats"),
        esc(&p.seats.to_string()),
        names(&p.title, l)
    );
    body.push_str(&mandate_table(&ctx, &rows, "post"));
    let _ = write!(
        body,
        "<h2>{}</h2><div class=\"scroll\">{}</div>",
        t(l, "timeline"),
        charts::timeline(&views, RowLabel::Person, day_of(&ctx), l)
    );
    let title = super::html::pick(&p.title, l).to_owned();
    Ok(ctx.render(title, snapshot.position, &body))
}

/// Areas at most listed under an area (a region's communes).
pub const AREA_CHILDREN_MAX: usize = 500;

pub async fn area(ctx: Ctx, Path(seg): Path<String>) -> Page {
    let snapshot = ctx.snapshot().await?;
    let reg = &snapshot.registry;
    let l = ctx.lang;
    let k = ctx.keep();
    let EntityId::Area(id) = resolve(&ctx, reg, &seg)? else {
        return Err(ctx.error(
            StatusCode::NOT_FOUND,
            format!("{}: @{seg}", t(l, "not_found")),
        ));
    };
    let area = reg
        .area(id)
        .ok_or_else(|| ctx.error(StatusCode::NOT_FOUND, seg.clone()))?;
    let mut body = format!(
        "<p class=\"names\">{}</p><dl class=\"facts\"><div><dt>{}</dt><dd>{}</dd></div>",
        names(&area.name, l),
        t(l, "kind"),
        esc(term(l, &wire(&area.kind)))
    );
    if let Some(parent) = area.parent {
        let _ = write!(
            body,
            "<div><dt>{}</dt><dd>{}</dd></div>",
            t(l, "area"),
            link(&reg.reference(EntityId::Area(parent)), l, &k)
        );
    }
    if let Some(code) = &area.code {
        let _ = write!(
            body,
            "<div><dt>{}</dt><dd>{}</dd></div>",
            t(l, "code"),
            ltr(code.as_str())
        );
    }
    body.push_str("</dl>");
    let children: Vec<Ref> = area
        .children
        .iter()
        .take(AREA_CHILDREN_MAX)
        .map(|c| reg.reference(EntityId::Area(*c)))
        .collect();
    body.push_str(&ref_list(l, "h-areas", t(l, "sub_areas"), &children, &k));
    let title = super::html::pick(&area.name, l).to_owned();
    Ok(ctx.render(title, snapshot.position, &body))
}

/// The audit page of a mandate: how it came to be, its provenance chain, and a one-click
/// verification of the whole hash chain.
pub async fn audit(ctx: Ctx, Path(seg): Path<String>) -> Page {
    let answer = ctx
        .ask(json!({"query": "audit", "entity": entity_ref(&seg)}))
        .await?;
    let Data::Audit(Audit::Mandate(a)) = &answer.data else {
        return Err(ctx.error(
            StatusCode::NOT_FOUND,
            format!("@{seg}: {}", t(ctx.lang, "not_a_mandate")),
        ));
    };
    let l = ctx.lang;
    let m = &a.mandate;
    let mut body = how(&ctx, a);
    body.push_str(&mandate_table(&ctx, &[(m, Certainty::Certain)], "audit"));
    let _ = write!(
        body,
        "<h2>{}</h2><p class=\"hint\">{}</p>",
        t(l, "provenance"),
        t(l, "provenance_hint")
    );
    body.push_str(&entries_table(l, &a.provenance, true));
    if !a.provenance_complete {
        let _ = write!(
            body,
            "<p class=\"notice\"><a href=\"/log?entity={}\">{} →</a></p>",
            esc(&url(&segment(&m.mandate))),
            t(l, "whole_history")
        );
    }
    let _ = write!(
        body,
        "<h2>{}</h2><p class=\"hint\">{}</p>",
        t(l, "chain"),
        t(l, "chain_hint")
    );
    body.push_str(&verify_form(&ctx).await);
    let title = format!(
        "{} — {} · {}",
        t(l, "audit"),
        plain(&m.person, l),
        plain(&m.post, l)
    );
    Ok(ctx.render(title, answer.position, &body))
}

/// How the mandate was obtained: basis (with the vote), assembly and constituency.
fn how(ctx: &Ctx, a: &MandateAudit) -> String {
    let l = ctx.lang;
    let k = ctx.keep();
    let m = &a.mandate;
    let named = term(l, m.basis.as_str());
    let basis = match &m.basis {
        Basis::ElectedByMajority(tally) => format!("{named} ({})", wire(tally)),
        Basis::Appointed { by: Some(by) } => format!("{named} ({})", plain(by, l)),
        _ => named.to_owned(),
    };
    let mut out = format!(
        "<dl class=\"facts\"><div><dt>{}</dt><dd>{}</dd></div><div><dt>{}</dt><dd>{}</dd></div><div><dt>{}</dt><dd>{}</dd></div><div><dt>{}</dt><dd>{}</dd></div>",
        t(l, "person"),
        link(&m.person, l, &k),
        t(l, "post"),
        link(&m.post, l, &k),
        t(l, "body"),
        link(&m.body, l, &k),
        t(l, "basis"),
        esc(&basis),
    );
    if let Some(assembly) = &a.assembly {
        let _ = write!(
            out,
            "<div><dt>{}</dt><dd>{} ({})</dd></div>",
            t(l, "assembly"),
            link(&assembly.summary.assembly, l, &k),
            ltr(&assembly.summary.held_on.to_string())
        );
    }
    if let Some(c) = &m.constituency {
        let _ = write!(
            out,
            "<div><dt>{}</dt><dd>{}</dd></div>",
            t(l, "constituency"),
            link(c, l, &k)
        );
    }
    out.push_str("</dl>");
    out
}

/// Log entries: position, type (with retractions and corrections), actor, recorded_at,
/// source, hashes; `full` adds each event's recorded content.
fn entries_table(l: Lang, entries: &[HistoryEntry], full: bool) -> String {
    if entries.is_empty() {
        return format!("<p class=\"empty\">{}</p>", t(l, "none"));
    }
    let mut out = format!(
        "<table class=\"log\"><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
        t(l, "position"), t(l, "type"), t(l, "actor"), t(l, "recorded_at"), t(l, "source"), t(l, "hash")
    );
    for e in entries {
        let mut kind = format!("<code>{}</code>", esc(&e.event_type));
        if let Some(by) = e.retracted_by {
            let _ = write!(
                kind,
                " <span class=\"retracted\">{} <a href=\"/log?from={by}#p{by}\">{by}</a></span>",
                t(l, "retracted_by")
            );
        }
        if let Some(p) = e.retracts {
            let _ = write!(
                kind,
                " <span class=\"other\">{} <a href=\"/log?from={p}#p{p}\">{p}</a></span>",
                t(l, "retracts")
            );
        }
        if let Some(c) = &e.corrects {
            let _ = write!(
                kind,
                " <span class=\"other\">{} {}</span>",
                t(l, "corrects"),
                esc(c)
            );
        }
        if full {
            let json = serde_json::to_string_pretty(&e.event).unwrap_or_default();
            let _ = write!(
                kind,
                "<details><summary>{}</summary><pre>{}</pre></details>",
                t(l, "content"),
                esc(&json)
            );
        }
        let _ = write!(
            out,
            "<tr id=\"p{pos}\"{class}><td>{pos}</td><td>{kind}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"hash\"><span title=\"{}\">{}</span><br><span class=\"other\" title=\"{}\">← {}</span></td></tr>",
            esc(&e.actor),
            ltr(&e.recorded_at.format("%Y-%m-%d %H:%M:%S UTC").to_string()),
            source_cell(e.source.as_deref().unwrap_or(""), full),
            esc(&e.hash),
            esc(&e.hash[..e.hash.len().min(16)]),
            esc(&e.prev_hash),
            esc(&e.prev_hash[..e.prev_hash.len().min(16)]),
            pos = e.position,
            class = if e.retracted_by.is_some() { " class=\"retracted-row\"" } else { "" },
        );
    }
    out.push_str("</tbody></table>");
    out
}

/// Characters of a source shown in log tables; the audit page shows it whole.
const SOURCE_CHARS_SHOWN: usize = 90;

/// A source, cut in lists (the whole text on hover) so one long citation does not fill the
/// page, whole on the audit page.
fn source_cell(source: &str, full: bool) -> String {
    if full || source.chars().count() <= SOURCE_CHARS_SHOWN {
        return esc(source);
    }
    let short: String = source.chars().take(SOURCE_CHARS_SHOWN).collect();
    format!("<span title=\"{}\">{}…</span>", esc(source), esc(&short))
}

/// The log, paged from a position, filterable by event type, entity and recording day.
/// Filters apply to the page read, so a filtered page may hold fewer entries; the next link
/// goes on from where the page ended.
pub async fn log(ctx: Ctx) -> Page {
    let l = ctx.lang;
    let from = match ctx.param("from") {
        None => 1,
        Some(f) => f.parse::<u64>().map_err(|_| {
            ctx.error(
                StatusCode::BAD_REQUEST,
                format!("from: `{f}` is not a log position; give a number such as 1"),
            )
        })?,
    }
    .max(1);
    let type_filter = ctx.param("type").unwrap_or_default();
    let day_filter = ctx.param("day").unwrap_or_default();
    let entity = ctx.param("entity").unwrap_or_default();
    let answer = if entity.is_empty() {
        ctx.ask(json!({"query": "log", "from": from, "limit": LOG_PAGE_ENTRIES}))
            .await?
    } else {
        let r = if entity.starts_with('@') || uuid::Uuid::parse_str(&entity).is_ok() {
            entity.clone()
        } else {
            format!("@{entity}")
        };
        ctx.ask(json!({"query": "history", "entity": r, "from": from, "limit": LOG_PAGE_ENTRIES}))
            .await?
    };
    let position = answer.position;
    let (entries, next) = match answer.data {
        Data::Log(log) => (log.entries, log.next),
        Data::History(h) => (h.entries, h.next),
        _ => return Err(unexpected(&ctx)),
    };
    let shown: Vec<HistoryEntry> = entries
        .into_iter()
        .filter(|e| type_filter.is_empty() || e.event_type == type_filter)
        .filter(|e| {
            day_filter.is_empty()
                || e.recorded_at
                    .format("%Y-%m-%d")
                    .to_string()
                    .starts_with(&day_filter)
        })
        .collect();
    let mut body = String::new();
    if let Some(recorded) = ctx.param("recorded") {
        let _ = write!(
            body,
            "<p class=\"ok\" role=\"status\" id=\"recorded\">{} {from}–{}</p>",
            t(l, "recorded_ok"),
            esc(&recorded)
        );
    }
    let _ = write!(
        body,
        "<form method=\"get\" class=\"filters noprint\" role=\"search\">\
<label for=\"type\">{}</label><input id=\"type\" name=\"type\" value=\"{}\" placeholder=\"mandate_ended\">\
<label for=\"entity\">{}</label><input id=\"entity\" name=\"entity\" value=\"{}\" placeholder=\"@khemisset-coordination\">\
<label for=\"day\">{}</label><input id=\"day\" name=\"day\" value=\"{}\" placeholder=\"2026-11-30\">\
<label for=\"from\">{}</label><input id=\"from\" name=\"from\" value=\"{from}\" type=\"number\" min=\"1\" inputmode=\"numeric\">\
<button>{}</button></form>",
        t(l, "type"), esc(&type_filter), t(l, "entity"), esc(&entity), t(l, "recorded_on"), esc(&day_filter), t(l, "from_position"), t(l, "go")
    );
    body.push_str(&entries_table(l, &shown, false));
    let link_to = |start: u64| {
        format!(
            "/log?from={start}&amp;type={}&amp;entity={}&amp;day={}",
            esc(&url(&type_filter)),
            esc(&url(&entity)),
            esc(&url(&day_filter))
        )
    };
    body.push_str("<nav class=\"pager noprint\" aria-label=\"pages\">");
    if from > 1 && entity.is_empty() {
        let previous = from.saturating_sub(LOG_PAGE_ENTRIES as u64).max(1);
        let _ = write!(
            body,
            "<a rel=\"prev\" href=\"{}\">← {}</a> ",
            link_to(previous),
            t(l, "previous")
        );
    }
    if let Some(n) = next {
        let _ = write!(
            body,
            "<a rel=\"next\" href=\"{}\">{} →</a>",
            link_to(n),
            t(l, "next")
        );
    }
    body.push_str("</nav>");
    Ok(ctx.render(t(l, "log").to_owned(), position, &body))
}

fn search_box(ctx: &Ctx, text: &str) -> String {
    format!(
        "<form role=\"search\" method=\"get\" action=\"/search\" class=\"search noprint\"><label for=\"q\">{}</label> \
<input id=\"q\" name=\"q\" type=\"search\" value=\"{}\" autocomplete=\"off\" size=\"40\" aria-controls=\"suggest\" aria-describedby=\"q-hint\"> <button>{}</button>\
<p id=\"q-hint\" class=\"hint\">{}</p></form>\
<ul id=\"suggest\" class=\"results\" aria-live=\"polite\"></ul>",
        t(ctx.lang, "search"),
        esc(text),
        t(ctx.lang, "go"),
        t(ctx.lang, "search_hint"),
    )
}

async fn hits(ctx: &Ctx, text: &str) -> Result<(String, u64), PageError> {
    if text.trim().is_empty() {
        return Ok((String::new(), ctx.state.engine().snapshot().position));
    }
    let answer = ctx
        .ask(json!({"query": "search", "text": text, "limit": SEARCH_HITS_MAX}))
        .await?;
    let Data::Search(found) = answer.data else {
        return Err(unexpected(ctx));
    };
    if found.is_empty() {
        return Ok((
            format!("<li class=\"empty\">{}</li>", t(ctx.lang, "no_results")),
            answer.position,
        ));
    }
    let items = found
        .iter()
        .map(|h| {
            format!(
                "<li>{} <span class=\"kind\">{}</span></li>",
                link(&h.entity, ctx.lang, &ctx.keep()),
                t(ctx.lang, h.entity.kind.as_str())
            )
        })
        .collect();
    Ok((items, answer.position))
}

pub async fn search(ctx: Ctx) -> Page {
    let text = ctx.param("q").unwrap_or_default();
    let (items, position) = hits(&ctx, &text).await?;
    let body = format!(
        "{}<ul class=\"results\" id=\"results\">{items}</ul>",
        search_box(&ctx, &text)
    );
    Ok(ctx.render(t(ctx.lang, "search").to_owned(), position, &body))
}

/// The list items only, for search as you type.
pub async fn suggest(ctx: Ctx) -> Page {
    let text = ctx.param("q").unwrap_or_default();
    let (items, _) = hits(&ctx, &text).await?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
        items,
    )
        .into_response())
}
