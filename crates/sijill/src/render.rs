//! Answers as text: tables and short reports, Latin names beside the names as printed.
//!
//! Everything here works on the engine's typed answers, which a remote registry returns too,
//! so local and remote output are the same by construction. `--json` bypasses this module
//! and prints the answer itself.

use std::io::{self, Write};

use sijill_domain::query::{MandateView, Ref, RosterEntry, TreeNode};
use sijill_domain::{Basis, Certainty, Names};
use sijill_engine::query::{
    Answer, Audit, Data, LogAnswer, MandateAudit, PersonDetail, Stats, VerifyAnswer,
};
use sijill_engine::{HistoryEntry, Receipt};

use crate::table::{Style, Table};

/// How many hex digits of a hash a table shows; `audit --json` has them whole.
const HASH_SHOWN_HEX: usize = 16;

pub struct Out<'a> {
    pub out: &'a mut (dyn Write + Send),
    pub style: Style,
}

impl Out<'_> {
    fn line(&mut self, text: impl AsRef<str>) -> io::Result<()> {
        writeln!(self.out, "{}", text.as_ref().trim_end())
    }

    fn table(&mut self, table: &Table, empty: &str) -> io::Result<()> {
        if table.is_empty() {
            return self.line(empty);
        }
        table.write(self.out, self.style)
    }
}

/// Renders any answer.
pub fn answer(out: &mut Out<'_>, answer: &Answer) -> io::Result<()> {
    match &answer.data {
        Data::Tree(nodes) => tree(out, nodes),
        Data::Roster(roster) => {
            out.line(format!("{}, as of {}", title(&roster.body), answer.as_of))?;
            roster_table(out, &roster.entries)
        }
        Data::Person(person) => person_detail(out, person),
        Data::History(history) => {
            out.line(format!("history of {}", title(&history.entity)))?;
            history_table(out, &history.entries)?;
            next_page(out, history.next)
        }
        Data::Audit(audit) => audit_report(out, audit),
        Data::Vacancies(page) => {
            let mut table = Table::new(&[
                "post",
                "as printed",
                "body",
                "seats",
                "held",
                "possibly held",
            ]);
            for v in &page.items {
                let (latin, printed) = names(v.post.name.as_ref());
                let cells = vec![
                    latin,
                    printed,
                    handle(&v.body),
                    v.seats.to_string(),
                    v.held_certainly.to_string(),
                    v.held_possibly.to_string(),
                ];
                table.row(cells);
            }
            out.table(&table, &format!("no vacancies as of {}", answer.as_of))
        }
        Data::Representation(r) => representation(out, r),
        Data::Search(hits) => {
            let mut table = Table::new(&["kind", "handle", "name", "as printed"]);
            for hit in hits {
                let (latin, printed) = names(hit.entity.name.as_ref());
                table.row(vec![
                    hit.entity.kind.to_string(),
                    handle(&hit.entity),
                    latin,
                    printed,
                ]);
            }
            out.table(&table, "nothing found")
        }
        Data::Log(log) => log_page(out, log),
        Data::Stats(stats) => stats_report(out, stats),
        Data::Verify(verify) => verify_report(out, verify),
        other => {
            // Lists the CLI does not ask for yet: print them as JSON rather than nothing.
            serde_json::to_writer_pretty(&mut *out.out, other).map_err(io::Error::other)?;
            out.line("")
        }
    }
}

/// What a write did.
pub fn receipt(out: &mut Out<'_>, receipt: &Receipt) -> io::Result<()> {
    let span = if receipt.first == receipt.last {
        format!("position {}", receipt.first)
    } else {
        format!("positions {}-{}", receipt.first, receipt.last)
    };
    if receipt.deduplicated {
        return out.line(format!(
            "already recorded as {span} (command id {}): nothing new recorded",
            receipt.command_id
        ));
    }
    out.line(format!(
        "recorded {span} (command id {})",
        receipt.command_id
    ))?;
    for id in &receipt.created {
        out.line(format!("  created {} {}", id.kind(), id.as_uuid()))?;
    }
    Ok(())
}

fn tree(out: &mut Out<'_>, nodes: &[TreeNode]) -> io::Result<()> {
    if nodes.is_empty() {
        return out.line("no bodies");
    }
    let mut table = Table::new(&["body", "name", "as printed", "kind", ""]);
    add_nodes(&mut table, nodes, 0);
    table.write(out.out, out.style)
}

fn add_nodes(table: &mut Table, nodes: &[TreeNode], depth: usize) {
    for node in nodes {
        let (latin, printed) = names(node.body.name.as_ref());
        let indent = "  ".repeat(depth);
        table.row(vec![
            format!("{indent}{}", handle(&node.body)),
            latin,
            printed,
            node.kind.to_string(),
            possibly(node.certainty),
        ]);
        add_nodes(table, &node.children, depth + 1);
    }
}

fn roster_table(out: &mut Out<'_>, entries: &[RosterEntry]) -> io::Result<()> {
    let mut table = Table::new(&[
        "post",
        "holder",
        "as printed",
        "represents",
        "basis",
        "from",
        "",
    ]);
    for entry in entries {
        let m = &entry.mandate;
        let (latin, printed) = names(m.person.name.as_ref());
        let represents = m.constituency.as_ref().map(both_names).unwrap_or_default();
        let post = m
            .post
            .name
            .as_ref()
            .map(Names::latin_or_printed)
            .unwrap_or_default()
            .to_owned();
        table.row(vec![
            post,
            latin,
            printed,
            represents,
            basis(&m.basis),
            m.from.to_string(),
            possibly(entry.certainty),
        ]);
    }
    out.table(&table, "nobody holds a post in this body on that date")
}

fn person_detail(out: &mut Out<'_>, person: &PersonDetail) -> io::Result<()> {
    out.line(title(&person.person))?;
    out.line(format!("id {}", person.person.id))?;
    mandates_table(out, &person.mandates)?;
    if !person.attended.is_empty() {
        let attended: Vec<String> = person.attended.iter().map(handle).collect();
        out.line(format!("attended: {}", attended.join(", ")))?;
    }
    Ok(())
}

fn mandates_table(out: &mut Out<'_>, mandates: &[MandateView]) -> io::Result<()> {
    let mut table = Table::new(&[
        "post",
        "body",
        "represents",
        "basis",
        "from",
        "to",
        "mandate",
    ]);
    for m in mandates {
        let to = match (&m.to, &m.end_reason) {
            (Some(to), Some(reason)) => format!("{to} ({})", snake_words(&format!("{reason:?}"))),
            (Some(to), None) => to.to_string(),
            _ => String::new(),
        };
        let represents = m
            .constituency
            .as_ref()
            .map(|c| {
                c.name
                    .as_ref()
                    .map(Names::latin_or_printed)
                    .unwrap_or_default()
                    .to_owned()
            })
            .unwrap_or_default();
        let post = m
            .post
            .name
            .as_ref()
            .map(Names::latin_or_printed)
            .unwrap_or_default()
            .to_owned();
        let id = m
            .mandate
            .handle
            .as_ref()
            .map_or_else(|| m.mandate.id.to_string(), ToString::to_string);
        table.row(vec![
            post,
            handle(&m.body),
            represents,
            basis(&m.basis),
            m.from.to_string(),
            to,
            id,
        ]);
    }
    out.table(&table, "no mandates")
}

fn history_table(out: &mut Out<'_>, entries: &[HistoryEntry]) -> io::Result<()> {
    let mut table = Table::new(&[
        "position",
        "event",
        "recorded at",
        "actor",
        "command id",
        "note",
    ]);
    for e in entries {
        table.row(vec![
            e.position.to_string(),
            e.event_type.clone(),
            e.recorded_at.format("%Y-%m-%d %H:%M:%S").to_string(),
            e.actor.clone(),
            e.command_id.to_string(),
            note(e),
        ]);
    }
    out.table(&table, "no events")
}

/// Retractions and corrections, said in words.
fn note(e: &HistoryEntry) -> String {
    let mut notes = Vec::new();
    if let Some(by) = e.retracted_by {
        notes.push(format!("retracted at {by}"));
    }
    if let Some(position) = e.retracts {
        notes.push(format!("retracts {position}"));
    }
    if let Some(what) = &e.corrects {
        notes.push(format!("corrects {what}"));
    }
    notes.join("; ")
}

fn log_page(out: &mut Out<'_>, log: &LogAnswer) -> io::Result<()> {
    history_table(out, &log.entries)?;
    next_page(out, log.next)
}

fn next_page(out: &mut Out<'_>, next: Option<u64>) -> io::Result<()> {
    match next {
        Some(next) => out.line(format!("more from position {next} (--from {next})")),
        None => Ok(()),
    }
}

fn audit_report(out: &mut Out<'_>, audit: &Audit) -> io::Result<()> {
    match audit {
        Audit::Mandate(m) => mandate_audit(out, m),
        Audit::Person(p) => {
            out.line(title(&p.person))?;
            provenance(out, &p.provenance, p.provenance_complete)?;
            for m in &p.mandates {
                out.line("")?;
                mandate_audit(out, m)?;
            }
            Ok(())
        }
    }
}

fn mandate_audit(out: &mut Out<'_>, audit: &MandateAudit) -> io::Result<()> {
    let m = &audit.mandate;
    let label = m.mandate.handle.as_ref().map_or_else(
        || m.mandate.id.to_string(),
        |h| format!("{h} ({})", m.mandate.id),
    );
    out.line(format!("mandate {label}"))?;
    out.line(format!("  holder        {}", title(&m.person)))?;
    out.line(format!(
        "  post          {} in {}",
        title(&m.post),
        title(&m.body)
    ))?;
    out.line(format!("  from          {}", m.from))?;
    if let Some(to) = &m.to {
        let reason = m
            .end_reason
            .map(|r| format!(" ({})", snake_words(&format!("{r:?}"))))
            .unwrap_or_default();
        out.line(format!("  to            {to}{reason}"))?;
    }
    out.line(format!("  basis         {}", basis(&m.basis)))?;
    if let Some(assembly) = &audit.assembly {
        let s = &assembly.summary;
        out.line(format!(
            "  assembly      {}, held {}",
            title(&s.assembly),
            s.held_on
        ))?;
        if let Some(venue) = &assembly.venue {
            out.line(format!("  venue         {}", names_line(venue)))?;
        }
    }
    if let Some(c) = &m.constituency {
        out.line(format!("  represents    {}", title(c)))?;
    }
    provenance(out, &audit.provenance, audit.provenance_complete)
}

/// Who recorded what, when, on which source, and where it sits in the hash chain.
fn provenance(out: &mut Out<'_>, entries: &[HistoryEntry], complete: bool) -> io::Result<()> {
    out.line("  provenance:")?;
    for e in entries {
        let note = note(e);
        let note = if note.is_empty() {
            String::new()
        } else {
            format!("  [{note}]")
        };
        out.line(format!("    #{} {}{note}", e.position, e.event_type))?;
        out.line(format!(
            "      recorded {} by {}, command id {}",
            e.recorded_at.format("%Y-%m-%d %H:%M:%S UTC"),
            e.actor,
            e.command_id
        ))?;
        if let Some(source) = &e.source {
            out.line(format!("      source   {source}"))?;
        }
        out.line(format!(
            "      hash     {}… (previous {}…)",
            short(&e.hash),
            short(&e.prev_hash)
        ))?;
    }
    if !complete {
        out.line("    (more: see `sijill history`)")?;
    }
    Ok(())
}

fn representation(out: &mut Out<'_>, r: &sijill_domain::query::Representation) -> io::Result<()> {
    out.line(title(&r.body))?;
    if let Some(area) = &r.area {
        out.line(format!("area: {}", title(area)))?;
    }
    let mut table = Table::new(&["represents", "as printed", "holders", ""]);
    for c in r.covered.iter().chain(&r.others) {
        let (latin, printed) = names(c.constituency.name.as_ref());
        let holders: Vec<String> = c
            .holders
            .iter()
            .map(|h| {
                h.name
                    .as_ref()
                    .map(Names::latin_or_printed)
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect();
        table.row(vec![
            latin,
            printed,
            holders.join(", "),
            possibly(c.certainty),
        ]);
    }
    out.table(&table, "no member represents a constituency")?;
    let missed: Vec<String> = r.missed.iter().map(both_names).collect();
    out.line(if missed.is_empty() {
        "missed: none".to_owned()
    } else {
        format!("missed: {}", missed.join(", "))
    })?;
    let g = &r.gender;
    out.line(format!(
        "gender: {} women, {} men, {} other, {} unknown",
        g.women, g.men, g.other, g.unknown
    ))
}

fn stats_report(out: &mut Out<'_>, s: &Stats) -> io::Result<()> {
    out.line(format!("events      {}", s.events))?;
    out.line(format!(
        "head hash   {}",
        s.head_hash.as_deref().unwrap_or("(empty log)")
    ))?;
    out.line(format!("areas       {}", s.areas))?;
    out.line(format!("persons     {}", s.persons))?;
    out.line(format!("bodies      {}", s.bodies))?;
    out.line(format!("posts       {}", s.posts))?;
    out.line(format!("assemblies  {}", s.assemblies))?;
    out.line(format!("mandates    {}", s.mandates))
}

fn verify_report(out: &mut Out<'_>, v: &VerifyAnswer) -> io::Result<()> {
    match &v.first_bad {
        None if v.checked == 0 => out.line("the log is empty: nothing to verify"),
        None => out.line(format!(
            "ok: positions {}-{} verified ({} events), the hash chain is intact",
            v.from, v.to, v.checked
        )),
        Some(bad) => out.line(format!(
            "broken: the hash chain fails at position {}: {}",
            bad.position, bad.problem
        )),
    }
}

/// "Achraf Chahboun · أشرف شهبون (@achraf-chahboun)".
pub fn title(r: &Ref) -> String {
    let name = r.name.as_ref().map(names_line).unwrap_or_default();
    match (&r.handle, name.is_empty()) {
        (Some(h), false) => format!("{name} ({h})"),
        (Some(h), true) => h.to_string(),
        (None, false) => format!("{name} ({})", r.id),
        (None, true) => format!("{} {}", r.kind, r.id),
    }
}

/// The Latin name, then the name as printed when it differs.
fn names_line(names: &Names) -> String {
    let (latin, printed) = split_names(names);
    if printed.is_empty() {
        latin
    } else {
        format!("{latin} · {printed}")
    }
}

fn both_names(r: &Ref) -> String {
    r.name.as_ref().map(names_line).unwrap_or_else(|| handle(r))
}

/// (Latin name, name as printed when it is not the Latin one).
fn names(names: Option<&Names>) -> (String, String) {
    names.map(split_names).unwrap_or_default()
}

fn split_names(names: &Names) -> (String, String) {
    let latin = names.latin_or_printed();
    let printed = if latin == names.text() {
        String::new()
    } else {
        names.text().to_owned()
    };
    (latin.to_owned(), printed)
}

fn handle(r: &Ref) -> String {
    r.handle
        .as_ref()
        .map_or_else(|| r.id.to_string(), ToString::to_string)
}

fn possibly(certainty: Certainty) -> String {
    match certainty {
        Certainty::Certain => String::new(),
        Certainty::Possible => "possibly".to_owned(),
        Certainty::Impossible => "no".to_owned(),
    }
}

/// "elected unanimously", "elected 12-3-1", "appointed by @x".
pub fn basis(basis: &Basis<Ref>) -> String {
    match basis {
        Basis::ElectedByMajority(t) => format!(
            "elected by majority ({} for, {} against, {} abstaining)",
            t.votes_for, t.against, t.abstain
        ),
        Basis::Appointed { by: Some(by) } => format!("appointed by {}", handle(by)),
        Basis::CoOpted => "co-opted".to_owned(),
        other => other.as_str().replace('_', " "),
    }
}

fn snake_words(debug: &str) -> String {
    let mut out = String::new();
    for (i, c) in debug.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn short(hash: &str) -> &str {
    hash.get(..HASH_SHOWN_HEX).unwrap_or(hash)
}
