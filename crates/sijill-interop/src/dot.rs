//! Graphviz DOT pictures: the tree of bodies, or one body's posts and who holds them, as of a
//! date. Render with `dot -Tsvg`.
//!
//! Nodes are named by UUID (stable, no escaping); labels show the name as printed and the
//! handle. What only possibly holds on the date (an uncertain date involved) is dashed.
//! Graphviz lays out Arabic labels right-to-left when its text engine (Pango) is available.

use std::io::{self, Write};

use sijill_domain::query::{Ref, TreeNode};
use sijill_domain::{AsOf, BodyId, Certainty, Registry};

/// Writes the tree of bodies that exist (or may exist) as of the date.
pub fn write_tree_dot<W: Write>(registry: &Registry, as_of: &AsOf, out: W) -> io::Result<()> {
    let mut out = io::BufWriter::new(out);
    writeln!(out, "digraph bodies {{")?;
    writeln!(
        out,
        "  graph [rankdir=TB, charset=\"UTF-8\", label={}];",
        quote(&format!("as of {}", as_of.as_date()))
    )?;
    writeln!(out, "  node [shape=box, style=rounded];")?;
    tree_nodes(&mut out, &registry.tree(as_of), None)?;
    writeln!(out, "}}")?;
    out.flush()
}

fn tree_nodes(out: &mut impl Write, nodes: &[TreeNode], parent: Option<&Ref>) -> io::Result<()> {
    for node in nodes {
        let style = if node.certainty == Certainty::Certain {
            "rounded"
        } else {
            "rounded,dashed"
        };
        let label = format!("{}\n{}", printed(&node.body), handle(&node.body));
        writeln!(
            out,
            "  \"{}\" [label={}, style={}];",
            node.body.id,
            quote(&label),
            quote(style)
        )?;
        if let Some(parent) = parent {
            writeln!(out, "  \"{}\" -> \"{}\";", parent.id, node.body.id)?;
        }
        tree_nodes(out, &node.children, Some(&node.body))?;
    }
    Ok(())
}

/// Writes one body's posts (vacant ones too) and the people who hold them as of the date;
/// each edge says since when and how.
pub fn write_body_dot<W: Write>(
    registry: &Registry,
    body: BodyId,
    as_of: &AsOf,
    out: W,
) -> io::Result<()> {
    let mut out = io::BufWriter::new(out);
    let Some(b) = registry.body(body) else {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("no body {body} in the registry"),
        ));
    };
    let title = format!(
        "{}\n{}\nas of {}",
        b.name().text(),
        b.handle,
        as_of.as_date()
    );
    writeln!(out, "digraph body {{")?;
    writeln!(
        out,
        "  graph [rankdir=LR, charset=\"UTF-8\", label={}];",
        quote(&title)
    )?;
    for post in b.posts.iter().filter_map(|p| registry.post(*p)) {
        let label = format!("{}\n{}", post.title.text(), post.handle);
        writeln!(
            out,
            "  \"{}\" [shape=ellipse, label={}];",
            post.id,
            quote(&label)
        )?;
    }
    let mut people = Vec::new();
    for entry in registry.roster(body, as_of) {
        let m = &entry.mandate;
        if !people.contains(&m.person.id) {
            people.push(m.person.id);
            let label = format!("{}\n{}", printed(&m.person), handle(&m.person));
            writeln!(
                out,
                "  \"{}\" [shape=box, label={}];",
                m.person.id,
                quote(&label)
            )?;
        }
        let style = if entry.certainty == Certainty::Certain {
            "solid"
        } else {
            "dashed"
        };
        let label = format!("from {}\n{}", m.from, m.basis.as_str().replace('_', " "));
        writeln!(
            out,
            "  \"{}\" -> \"{}\" [label={}, style={}];",
            m.post.id,
            m.person.id,
            quote(&label),
            style
        )?;
    }
    writeln!(out, "}}")?;
    out.flush()
}

fn printed(r: &Ref) -> &str {
    r.name.as_ref().map_or("", |n| n.text())
}

fn handle(r: &Ref) -> String {
    r.handle.as_ref().map(|h| h.to_string()).unwrap_or_default()
}

/// A DOT quoted string: `"` and `\` escaped, newlines as `\n` (centred lines).
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
