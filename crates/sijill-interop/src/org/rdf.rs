//! A minimal RDF model for the ORG export: one subject with its statements at a time, nested
//! blank nodes, and the two serializations (Turtle, JSON-LD) that write it.

use std::io::{self, Write};

/// Prefixes of every compact IRI the export uses.
pub const PREFIXES: &[(&str, &str)] = &[
    ("org", "http://www.w3.org/ns/org#"),
    ("skos", "http://www.w3.org/2004/02/skos/core#"),
    ("foaf", "http://xmlns.com/foaf/0.1/"),
    ("prov", "http://www.w3.org/ns/prov#"),
    ("time", "http://www.w3.org/2006/time#"),
    ("dct", "http://purl.org/dc/terms/"),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
    ("sijill", crate::org::SIJILL_NS),
];

/// The object of a statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Object {
    Iri(String),
    /// A string with a language tag (`"أشرف شهبون"@ar`).
    Lang(String, String),
    /// A literal with a datatype, given as a compact IRI (`xsd:date`).
    Typed(String, &'static str),
    Plain(String),
    Blank(Node),
}

/// A subject (an IRI, or none for a blank node) and its statements, in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Node {
    pub subject: Option<String>,
    pub types: Vec<&'static str>,
    pub statements: Vec<(&'static str, Object)>,
}

impl Node {
    pub fn iri(subject: String, types: &[&'static str]) -> Node {
        Node {
            subject: Some(subject),
            types: types.to_vec(),
            statements: Vec::new(),
        }
    }

    pub fn blank(types: &[&'static str]) -> Node {
        Node {
            subject: None,
            types: types.to_vec(),
            statements: Vec::new(),
        }
    }

    pub fn add(&mut self, predicate: &'static str, object: Object) -> &mut Node {
        self.statements.push((predicate, object));
        self
    }

    pub fn add_opt(&mut self, predicate: &'static str, object: Option<Object>) -> &mut Node {
        if let Some(object) = object {
            self.statements.push((predicate, object));
        }
        self
    }
}

/// Where nodes go: a Turtle or a JSON-LD document.
pub trait GraphWriter {
    fn node(&mut self, node: &Node) -> io::Result<()>;
    fn finish(&mut self) -> io::Result<()>;
}

/// An IRI with the characters Turtle's IRIREF forbids percent-encoded.
pub fn safe_iri(iri: &str) -> std::borrow::Cow<'_, str> {
    let forbidden =
        |c: char| c <= ' ' || matches!(c, '<' | '>' | '"' | '{' | '}' | '|' | '^' | '`' | '\\');
    if !iri.chars().any(forbidden) {
        return std::borrow::Cow::Borrowed(iri);
    }
    let mut out = String::with_capacity(iri.len() + 8);
    for c in iri.chars() {
        if forbidden(c) {
            let mut buf = [0u8; 4];
            for byte in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{byte:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Turtle, one subject block per node.
pub struct Turtle<W: Write> {
    out: W,
}

impl<W: Write> Turtle<W> {
    pub fn new(mut out: W) -> io::Result<Turtle<W>> {
        for (prefix, iri) in PREFIXES {
            writeln!(out, "@prefix {prefix}: <{iri}> .")?;
        }
        Ok(Turtle { out })
    }

    fn predicate_objects(&mut self, node: &Node, indent: &str) -> io::Result<()> {
        let mut first = true;
        if !node.types.is_empty() {
            write!(self.out, "a {}", node.types.join(", "))?;
            first = false;
        }
        for (predicate, object) in &node.statements {
            if !first {
                write!(self.out, " ;\n{indent}")?;
            }
            first = false;
            write!(self.out, "{predicate} ")?;
            self.object(object, indent)?;
        }
        Ok(())
    }

    fn object(&mut self, object: &Object, indent: &str) -> io::Result<()> {
        match object {
            Object::Iri(iri) => write!(self.out, "<{}>", safe_iri(iri)),
            Object::Lang(text, lang) => write!(self.out, "\"{}\"@{lang}", escape_turtle(text)),
            Object::Typed(text, datatype) => {
                write!(self.out, "\"{}\"^^{datatype}", escape_turtle(text))
            }
            Object::Plain(text) => write!(self.out, "\"{}\"", escape_turtle(text)),
            Object::Blank(node) => {
                let inner = format!("{indent}    ");
                write!(self.out, "[\n{inner}")?;
                self.predicate_objects(node, &inner)?;
                write!(self.out, "\n{indent}]")
            }
        }
    }
}

impl<W: Write> GraphWriter for Turtle<W> {
    fn node(&mut self, node: &Node) -> io::Result<()> {
        let subject = node
            .subject
            .as_deref()
            .expect("top-level nodes have an IRI");
        write!(self.out, "\n<{}> ", safe_iri(subject))?;
        self.predicate_objects(node, "    ")?;
        self.out.write_all(b" .\n")
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Turtle's string escapes (ECHAR and UCHAR for other control characters).
fn escape_turtle(text: &str) -> std::borrow::Cow<'_, str> {
    if !text
        .chars()
        .any(|c| c.is_control() || c == '"' || c == '\\')
    {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// JSON-LD: a `@context` with the prefixes, then `@graph`, one node object per line.
pub struct JsonLd<W: Write> {
    out: W,
    first: bool,
}

impl<W: Write> JsonLd<W> {
    pub fn new(mut out: W) -> io::Result<JsonLd<W>> {
        let context: serde_json::Map<String, serde_json::Value> = PREFIXES
            .iter()
            .map(|(p, iri)| ((*p).to_owned(), serde_json::Value::from(*iri)))
            .collect();
        write!(
            out,
            "{{\"@context\":{},\n\"@graph\":[",
            serde_json::Value::Object(context)
        )?;
        Ok(JsonLd { out, first: true })
    }
}

impl<W: Write> GraphWriter for JsonLd<W> {
    fn node(&mut self, node: &Node) -> io::Result<()> {
        self.out
            .write_all(if self.first { b"\n" } else { b",\n" })?;
        self.first = false;
        serde_json::to_writer(&mut self.out, &node_object(node))?;
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out
            .write_all(if self.first { b"]}\n" } else { b"\n]}\n" })?;
        self.out.flush()
    }
}

/// A node object: statements with the same predicate grouped into one array, in the order
/// the predicates first appear.
fn node_object(node: &Node) -> serde_json::Value {
    use serde_json::{json, Map, Value};
    let mut object = Map::new();
    if let Some(subject) = &node.subject {
        object.insert("@id".into(), Value::from(safe_iri(subject).into_owned()));
    }
    if !node.types.is_empty() {
        object.insert("@type".into(), Value::from(node.types.clone()));
    }
    for (predicate, value) in &node.statements {
        let value = match value {
            Object::Iri(iri) => json!({"@id": safe_iri(iri)}),
            Object::Lang(text, lang) => json!({"@value": text, "@language": lang}),
            Object::Typed(text, datatype) => json!({"@value": text, "@type": datatype}),
            Object::Plain(text) => json!({"@value": text}),
            Object::Blank(inner) => node_object(inner),
        };
        let slot = object
            .entry(*predicate)
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(values) = slot {
            values.push(value);
        }
    }
    Value::Object(object)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turtle_escapes_strings_and_iris() {
        let mut node = Node::iri("urn:x:a b".into(), &["org:Post"]);
        node.add(
            "skos:prefLabel",
            Object::Lang("say \"hi\"\n".into(), "en".into()),
        );
        node.add("dct:source", Object::Iri("http://e.org/{x}".into()));
        let mut out = Vec::new();
        Turtle { out: &mut out }.node(&node).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\n<urn:x:a%20b> a org:Post ;\n    skos:prefLabel \"say \\\"hi\\\"\\n\"@en ;\n    dct:source <http://e.org/%7Bx%7D> .\n"
        );
    }
}
