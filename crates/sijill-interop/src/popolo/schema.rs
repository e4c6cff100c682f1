//! Validation against the Popolo JSON Schemas (draft 3), vendored in `schemas/popolo/`.
//!
//! The schemas use a small part of draft 3: `type` (a name or a list of names), `properties`
//! with `required: true` inside a property, `items`, `pattern` and `$ref` (absolute URLs
//! under `http://www.popoloproject.com/schemas/`, mapped to the vendored files). This module
//! implements exactly that part and refuses to load a schema with any other keyword, so a
//! schema update cannot be silently half-checked. `format` is an annotation here, as in the
//! reference validators' default mode (Python `jsonschema` checks formats only on request).
//!
//! Errors name the exact place in the document as a JSON path (`$.memberships[3].start_date`).

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use regex::Regex;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use crate::hash::FastMap;

/// The URL prefix the schemas' `id` and `$ref` values share.
pub const SCHEMA_URL_PREFIX: &str = "http://www.popoloproject.com/schemas/";

/// The vendored schema files, by file name.
pub const SCHEMA_FILES: &[(&str, &str)] = &[
    ("area.json", include_str!("../../schemas/popolo/area.json")),
    (
        "contact_detail.json",
        include_str!("../../schemas/popolo/contact_detail.json"),
    ),
    (
        "count.json",
        include_str!("../../schemas/popolo/count.json"),
    ),
    (
        "event.json",
        include_str!("../../schemas/popolo/event.json"),
    ),
    (
        "group_result.json",
        include_str!("../../schemas/popolo/group_result.json"),
    ),
    (
        "identifier.json",
        include_str!("../../schemas/popolo/identifier.json"),
    ),
    ("link.json", include_str!("../../schemas/popolo/link.json")),
    (
        "membership.json",
        include_str!("../../schemas/popolo/membership.json"),
    ),
    (
        "motion.json",
        include_str!("../../schemas/popolo/motion.json"),
    ),
    (
        "organization.json",
        include_str!("../../schemas/popolo/organization.json"),
    ),
    (
        "other_name.json",
        include_str!("../../schemas/popolo/other_name.json"),
    ),
    (
        "person.json",
        include_str!("../../schemas/popolo/person.json"),
    ),
    ("post.json", include_str!("../../schemas/popolo/post.json")),
    (
        "speech.json",
        include_str!("../../schemas/popolo/speech.json"),
    ),
    ("vote.json", include_str!("../../schemas/popolo/vote.json")),
    (
        "vote_event.json",
        include_str!("../../schemas/popolo/vote_event.json"),
    ),
];

/// Most required properties one (sub)schema may have: the walk keeps which it has seen in
/// the bits of a `u64`.
const REQUIRED_PER_SCHEMA_MAX: usize = 64;

/// Keywords that only annotate a schema.
const ANNOTATIONS: &[&str] = &["$schema", "id", "title", "description", "format"];

/// Where a document breaks a schema.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct SchemaError {
    /// JSON path of the offending value (`$.persons[2].birth_date`).
    pub path: String,
    pub problem: String,
}

/// The top-level record kinds of a Popolo document and their schema files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecordKind {
    Area,
    Person,
    Organization,
    Post,
    Event,
    Membership,
}

impl RecordKind {
    /// In dependency order: what a record refers to comes in an earlier kind.
    pub const ALL: [RecordKind; 6] = [
        RecordKind::Area,
        RecordKind::Person,
        RecordKind::Organization,
        RecordKind::Post,
        RecordKind::Event,
        RecordKind::Membership,
    ];

    /// The document key of the array of such records.
    pub fn key(self) -> &'static str {
        match self {
            RecordKind::Area => "areas",
            RecordKind::Person => "persons",
            RecordKind::Organization => "organizations",
            RecordKind::Post => "posts",
            RecordKind::Event => "events",
            RecordKind::Membership => "memberships",
        }
    }

    pub fn from_key(key: &str) -> Option<RecordKind> {
        RecordKind::ALL.into_iter().find(|k| k.key() == key)
    }

    fn file(self) -> &'static str {
        match self {
            RecordKind::Area => "area.json",
            RecordKind::Person => "person.json",
            RecordKind::Organization => "organization.json",
            RecordKind::Post => "post.json",
            RecordKind::Event => "event.json",
            RecordKind::Membership => "membership.json",
        }
    }
}

/// Checks one record (an element of the `kind` array) against its schema. `path` is the
/// record's own path, used as the prefix of error paths.
pub fn validate_record(kind: RecordKind, record: &Value, path: &str) -> Result<(), SchemaError> {
    check_record(kind, record, path, &mut |_, _| {})
}

/// Checks one record from any JSON deserializer (the import reads records as text, so no
/// tree is built), and reports each top-level field with whether it holds data (not null,
/// not an empty array or object) to `field`.
pub(crate) fn check_record<'de, D: serde::Deserializer<'de>>(
    kind: RecordKind,
    record: D,
    path: &str,
    field: &mut dyn FnMut(&str, bool),
) -> Result<(), SchemaError> {
    let schemas = Schemas::get();
    let mut walk = Walk {
        schemas,
        base: path,
        segments: Vec::new(),
        failure: None,
        field,
        depth: 0,
    };
    let node = Some(schemas.root(kind.file()));
    match (NodeSeed {
        walk: &mut walk,
        node,
    })
    .deserialize(record)
    {
        Ok(_) => Ok(()),
        Err(e) => Err(walk
            .failure
            .take()
            .unwrap_or_else(|| error(path, e.to_string()))),
    }
}

/// Checks a whole document: an object whose known arrays hold valid records. Unknown
/// top-level keys are not checked (Popolo documents may carry more collections).
pub fn validate_document(document: &Value) -> Result<(), SchemaError> {
    let Value::Object(map) = document else {
        return Err(SchemaError {
            path: "$".into(),
            problem: format!("is {}; expected an object", type_of(document)),
        });
    };
    for (key, value) in map {
        let Some(kind) = RecordKind::from_key(key) else {
            continue;
        };
        let Value::Array(records) = value else {
            let problem = format!("is {}; expected an array of {key}", type_of(value));
            return Err(SchemaError {
                path: format!("$.{key}"),
                problem,
            });
        };
        for (i, record) in records.iter().enumerate() {
            validate_record(kind, record, &format!("$.{key}[{i}]"))?;
        }
    }
    Ok(())
}

/// The compiled schemas: one node per (sub)schema, `$ref`s resolved to node indexes.
pub(super) struct Schemas {
    nodes: Vec<Node>,
    roots: HashMap<&'static str, usize>,
}

#[derive(Default)]
pub(super) struct Node {
    /// Allowed types; `None` accepts any.
    types: Option<Vec<JsonType>>,
    /// Property name -> (node, index in `required` if required).
    properties: FastMap<String, (usize, Option<usize>)>,
    required: Vec<String>,
    items: Option<usize>,
    pattern: Option<Regex>,
    reference: Option<String>,
    /// The root node `reference` names, resolved once all files are compiled.
    target: Option<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum JsonType {
    String,
    Number,
    Integer,
    Boolean,
    Object,
    Array,
    Null,
}

impl JsonType {
    fn parse(name: &str) -> Option<Option<JsonType>> {
        Some(Some(match name {
            "string" => JsonType::String,
            "number" => JsonType::Number,
            "integer" => JsonType::Integer,
            "boolean" => JsonType::Boolean,
            "object" => JsonType::Object,
            "array" => JsonType::Array,
            "null" => JsonType::Null,
            "any" => return Some(None),
            _ => return None,
        }))
    }

    fn name(self) -> &'static str {
        match self {
            JsonType::String => "string",
            JsonType::Number => "number",
            JsonType::Integer => "integer",
            JsonType::Boolean => "boolean",
            JsonType::Object => "object",
            JsonType::Array => "array",
            JsonType::Null => "null",
        }
    }
}

fn type_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Schemas {
    pub(super) fn get() -> &'static Schemas {
        static SCHEMAS: OnceLock<Schemas> = OnceLock::new();
        SCHEMAS.get_or_init(|| {
            Schemas::compile().unwrap_or_else(|e| panic!("vendored Popolo schemas: {e}"))
        })
    }

    /// Compiles every vendored file. A failure is a programming error (the files ship with
    /// the crate), reported by a test.
    fn compile() -> Result<Schemas, String> {
        let mut schemas = Schemas {
            nodes: Vec::new(),
            roots: HashMap::new(),
        };
        for (file, text) in SCHEMA_FILES {
            let value: Value = serde_json::from_str(text).map_err(|e| format!("{file}: {e}"))?;
            let root = schemas.compile_node(&value, file)?;
            schemas.roots.insert(file, root);
        }
        for index in 0..schemas.nodes.len() {
            if let Some(target) = &schemas.nodes[index].reference {
                let Some(&root) = schemas.roots.get(target.as_str()) else {
                    return Err(format!("$ref to `{target}`, which is not vendored"));
                };
                schemas.nodes[index].target = Some(root);
            }
        }
        Ok(schemas)
    }

    fn compile_node(&mut self, schema: &Value, at: &str) -> Result<usize, String> {
        let Value::Object(map) = schema else {
            return Err(format!("{at}: a schema must be an object"));
        };
        let index = self.nodes.len();
        self.nodes.push(Node::default());
        let mut node = Node::default();
        for (key, value) in map {
            let at = format!("{at}/{key}");
            match key.as_str() {
                "type" => {
                    node.types = parse_types(value).ok_or(format!("{at}: unsupported type"))?
                }
                "properties" => {
                    node.properties = self.compile_properties(value, &at)?;
                    node.required = required_names(value);
                    if node.required.len() > REQUIRED_PER_SCHEMA_MAX {
                        return Err(format!(
                            "{at}: more than {REQUIRED_PER_SCHEMA_MAX} required properties"
                        ));
                    }
                    for (i, name) in node.required.iter().enumerate() {
                        if let Some(entry) = node.properties.get_mut(name) {
                            entry.1 = Some(i);
                        }
                    }
                }
                "items" => node.items = Some(self.compile_node(value, &at)?),
                "pattern" => node.pattern = Some(compile_pattern(value, &at)?),
                "$ref" => {
                    node.reference = Some(ref_file(value).ok_or(format!("{at}: unsupported $ref"))?)
                }
                "required" => {} // read by the parent's `properties`
                k if ANNOTATIONS.contains(&k) => {}
                _ => return Err(format!("{at}: keyword not supported by this validator")),
            }
        }
        self.nodes[index] = node;
        Ok(index)
    }

    fn compile_properties(
        &mut self,
        value: &Value,
        at: &str,
    ) -> Result<FastMap<String, (usize, Option<usize>)>, String> {
        let Value::Object(properties) = value else {
            return Err(format!("{at}: must be an object"));
        };
        let mut compiled = FastMap::with_capacity_and_hasher(properties.len(), Default::default());
        for (name, schema) in properties {
            let node = self.compile_node(schema, &format!("{at}/{name}"))?;
            compiled.insert(name.clone(), (node, None));
        }
        Ok(compiled)
    }

    fn root(&self, file: &str) -> usize {
        self.roots[file]
    }

    /// The schema of a record of `kind`.
    pub(super) fn root_of(&self, kind: RecordKind) -> usize {
        self.root(kind.file())
    }

    /// A node with no `$ref` (see [`Schemas::resolve`]).
    pub(super) fn node(&self, resolved: usize) -> &Node {
        &self.nodes[resolved]
    }

    /// The node a `$ref` chain ends at.
    pub(super) fn resolve(&self, mut node: usize) -> usize {
        // Draft 3: a `$ref` replaces the rest of the schema it appears in.
        while let Some(target) = self.nodes[node].target {
            node = target;
        }
        node
    }
}

impl Node {
    /// Whether a value satisfying `kinds` has an allowed type.
    pub(super) fn allows(&self, kinds: &[JsonType]) -> bool {
        self.types
            .as_ref()
            .is_none_or(|types| types.iter().any(|t| kinds.contains(t)))
    }

    /// Whether a string matches the node's pattern (when it has one).
    pub(super) fn matches(&self, text: &str) -> bool {
        self.pattern.as_ref().is_none_or(|p| p.is_match(text))
    }

    /// The schema of an array's items.
    pub(super) fn items(&self) -> Option<usize> {
        self.items
    }

    /// A property's schema, and its place among the required ones if it is required.
    pub(super) fn property(&self, name: &str) -> (Option<usize>, Option<usize>) {
        self.properties
            .get(name)
            .map_or((None, None), |&(node, required)| (Some(node), required))
    }

    /// Whether a required property is missing from an object whose seen required
    /// properties are the bits of `seen`.
    pub(super) fn lacks_required(&self, seen: u64) -> bool {
        (0..self.required.len()).any(|i| seen & (1 << i) == 0)
    }
}

/// Checks a value no typed record reads against `node`; says whether it holds data.
pub(super) fn ignored_value_holds_data<'de, D: serde::Deserializer<'de>>(
    node: Option<usize>,
    value: D,
) -> Result<bool, D::Error> {
    let mut walk = Walk {
        schemas: Schemas::get(),
        base: "",
        segments: Vec::new(),
        failure: None,
        field: &mut |_, _| {},
        // Below the record: no field to report.
        depth: 1,
    };
    NodeSeed {
        walk: &mut walk,
        node,
    }
    .deserialize(value)
}

/// The state of one check: where in the document it is, and the first problem found.
struct Walk<'w, 'de> {
    schemas: &'static Schemas,
    /// The record's path; `segments` lead from it to the value being checked. The whole
    /// path is written out only when something is wrong.
    base: &'w str,
    segments: Vec<Segment<'de>>,
    failure: Option<SchemaError>,
    /// Told each top-level field of the record and whether it holds data.
    field: &'w mut dyn FnMut(&str, bool),
    depth: usize,
}

enum Segment<'de> {
    Key(Cow<'de, str>),
    Index(usize),
}

impl Walk<'_, '_> {
    /// Records the problem at the current path; the error returned only stops the parser.
    fn fail<E: de::Error>(&mut self, problem: String) -> E {
        let mut path = self.base.to_owned();
        for segment in &self.segments {
            match segment {
                Segment::Key(key) => push_key(&mut path, key),
                Segment::Index(i) => path.push_str(&format!("[{i}]")),
            }
        }
        self.failure = Some(error(&path, problem));
        E::custom("schema check failed")
    }
}

/// Checks one value against a node (`None`: no schema, only whether it holds data). The
/// value it produces says whether the value holds data.
struct NodeSeed<'a, 'w, 'de> {
    walk: &'a mut Walk<'w, 'de>,
    node: Option<usize>,
}

impl<'de> DeserializeSeed<'de> for NodeSeed<'_, '_, 'de> {
    type Value = bool;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl NodeSeed<'_, '_, '_> {
    fn node(&self) -> Option<&'static Node> {
        let schemas = self.walk.schemas;
        self.node.map(|n| &schemas.nodes[schemas.resolve(n)])
    }

    /// Checks the value's type (`kinds`: the JSON types it satisfies, most specific first).
    fn check_type<E: de::Error>(&mut self, kinds: &[JsonType], shown: &str) -> Result<(), E> {
        let Some(types) = self.node().and_then(|n| n.types.as_ref()) else {
            return Ok(());
        };
        if types.iter().any(|t| kinds.contains(t)) {
            return Ok(());
        }
        let expected: Vec<&str> = types.iter().map(|t| t.name()).collect();
        Err(self
            .walk
            .fail(format!("is {shown}; expected {}", expected.join(" or "))))
    }
}

impl<'de> Visitor<'de> for NodeSeed<'_, '_, 'de> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(mut self, _: bool) -> Result<bool, E> {
        self.check_type(&[JsonType::Boolean], "a boolean")
            .map(|()| true)
    }

    fn visit_i64<E: de::Error>(mut self, _: i64) -> Result<bool, E> {
        self.check_type(&[JsonType::Integer, JsonType::Number], "a number")
            .map(|()| true)
    }

    fn visit_u64<E: de::Error>(mut self, _: u64) -> Result<bool, E> {
        self.check_type(&[JsonType::Integer, JsonType::Number], "a number")
            .map(|()| true)
    }

    fn visit_f64<E: de::Error>(mut self, n: f64) -> Result<bool, E> {
        let kinds: &[JsonType] = if n.fract() == 0.0 {
            &[JsonType::Integer, JsonType::Number]
        } else {
            &[JsonType::Number]
        };
        self.check_type(kinds, "a number").map(|()| true)
    }

    fn visit_str<E: de::Error>(mut self, text: &str) -> Result<bool, E> {
        self.check_type(&[JsonType::String], "a string")?;
        match self.node().and_then(|n| n.pattern.as_ref()) {
            Some(pattern) if !pattern.is_match(text) => {
                let problem = format!(
                    "`{}` does not match the pattern {}",
                    shown(text),
                    pattern.as_str()
                );
                Err(self.walk.fail(problem))
            }
            _ => Ok(true),
        }
    }

    fn visit_unit<E: de::Error>(mut self) -> Result<bool, E> {
        self.check_type(&[JsonType::Null], "null").map(|()| false)
    }

    fn visit_none<E: de::Error>(self) -> Result<bool, E> {
        self.visit_unit()
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<bool, A::Error> {
        self.check_type(&[JsonType::Array], "an array")?;
        let items = self.node().and_then(|n| n.items);
        let (walk, mut index) = (self.walk, 0usize);
        walk.depth += 1;
        loop {
            walk.segments.push(Segment::Index(index));
            let item = seq.next_element_seed(NodeSeed {
                walk: &mut *walk,
                node: items,
            })?;
            walk.segments.pop();
            if item.is_none() {
                break;
            }
            index += 1;
        }
        walk.depth -= 1;
        Ok(index > 0)
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<bool, A::Error> {
        self.check_type(&[JsonType::Object], "an object")?;
        let node = self.node();
        // Bit i: the i-th required property was seen (no schema requires more than 64).
        let mut seen: u64 = 0;
        let (walk, mut any) = (self.walk, false);
        let top = walk.depth == 0;
        walk.depth += 1;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let property = node.and_then(|n| n.properties.get(key.as_ref()));
            if let Some((_, Some(required))) = property {
                seen |= 1 << required;
            }
            walk.segments.push(Segment::Key(key));
            let holds = map.next_value_seed(NodeSeed {
                walk: &mut *walk,
                node: property.map(|p| p.0),
            })?;
            let Some(Segment::Key(key)) = walk.segments.pop() else {
                unreachable!("the key pushed above")
            };
            if top {
                (walk.field)(&key, holds);
            }
            any = true;
        }
        walk.depth -= 1;
        let missing = node.and_then(|n| {
            let mut required = n.required.iter().enumerate();
            required.find(|(i, _)| seen & (1 << i) == 0)
        });
        if let Some((_, name)) = missing {
            return Err(walk.fail(format!("lacks `{name}`, which is required")));
        }
        Ok(any)
    }
}

/// An object key, borrowed from the input when it has no escapes.
pub(super) struct Key<'de>(pub(super) Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Key<'de>, D::Error> {
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E: de::Error>(self, key: &'de str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Borrowed(key)))
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(key.to_owned())))
    }
}

/// Names of the properties a `properties` object marks `required: true` (draft 3).
fn required_names(properties: &Value) -> Vec<String> {
    let Value::Object(map) = properties else {
        return Vec::new();
    };
    map.iter()
        .filter(|(_, schema)| schema.get("required").and_then(Value::as_bool) == Some(true))
        .map(|(name, _)| name.clone())
        .collect()
}

fn error(path: &str, problem: String) -> SchemaError {
    SchemaError {
        path: path.to_owned(),
        problem,
    }
}

/// Keeps messages bounded when a value is not.
fn shown(text: &str) -> String {
    const SHOWN_CHARS_MAX: usize = 60;
    let mut out: String = text.chars().take(SHOWN_CHARS_MAX).collect();
    if text.chars().count() > SHOWN_CHARS_MAX {
        out.push('…');
    }
    out
}

/// Appends `.name`, or `["name"]` when the name is not a plain identifier.
pub(crate) fn push_key(path: &mut String, name: &str) {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        path.push('.');
        path.push_str(name);
    } else {
        path.push('[');
        path.push_str(&serde_json::to_string(name).unwrap_or_default());
        path.push(']');
    }
}

fn parse_types(value: &Value) -> Option<Option<Vec<JsonType>>> {
    let names: Vec<&str> = match value {
        Value::String(name) => vec![name.as_str()],
        Value::Array(names) => names.iter().map(Value::as_str).collect::<Option<_>>()?,
        _ => return None,
    };
    let mut types = Vec::with_capacity(names.len());
    for name in names {
        match JsonType::parse(name)? {
            Some(t) => types.push(t),
            None => return Some(None),
        }
    }
    Some(Some(types))
}

fn compile_pattern(value: &Value, at: &str) -> Result<Regex, String> {
    let text = value
        .as_str()
        .ok_or(format!("{at}: a pattern must be a string"))?;
    Regex::new(text).map_err(|e| format!("{at}: {e}"))
}

/// The vendored file a `$ref` URL names.
fn ref_file(value: &Value) -> Option<String> {
    let url = value.as_str()?;
    let file = url.strip_prefix(SCHEMA_URL_PREFIX)?.trim_end_matches('#');
    SCHEMA_FILES
        .iter()
        .any(|(name, _)| *name == file)
        .then(|| file.to_owned())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_vendored_schema_compiles_with_the_supported_keywords() {
        let schemas = Schemas::compile().unwrap();
        assert_eq!(schemas.roots.len(), SCHEMA_FILES.len());
    }

    fn check(kind: RecordKind, record: serde_json::Value) -> String {
        match validate_record(kind, &record, "$.records[0]") {
            Ok(()) => "ok".into(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn reports_the_exact_path_of_what_is_wrong() {
        assert_eq!(
            check(
                RecordKind::Person,
                json!({"id": "a", "name": "A", "sijill:x": 1})
            ),
            "ok"
        );
        assert_eq!(
            check(RecordKind::Person, json!({"id": "a", "birth_date": "10/12/2016"})),
            "$.records[0].birth_date: `10/12/2016` does not match the pattern ^[0-9]{4}(-[0-9]{2}){0,2}$"
        );
        assert_eq!(
            check(
                RecordKind::Person,
                json!({"other_names": [{"name": "x"}, {"name": 3}]})
            ),
            "$.records[0].other_names[1].name: is a number; expected string"
        );
        assert_eq!(
            check(
                RecordKind::Membership,
                json!({"sources": [{"note": "minutes"}]})
            ),
            "$.records[0].sources[0]: lacks `url`, which is required"
        );
        assert_eq!(
            check(RecordKind::Organization, json!({"parent": {"founding_date": "2016-1"}})),
            "$.records[0].parent.founding_date: `2016-1` does not match the pattern ^[0-9]{4}(-[0-9]{2}){0,2}$"
        );
        assert_eq!(
            check(
                RecordKind::Membership,
                json!({"start_date": "2016-12-10T09:30Z"})
            ),
            "ok"
        );
        assert_eq!(
            check(RecordKind::Post, json!([])),
            "$.records[0]: is an array; expected object"
        );
    }

    #[test]
    fn record_kinds_index_tables_in_the_order_of_all() {
        for (index, kind) in RecordKind::ALL.into_iter().enumerate() {
            assert_eq!(kind as usize, index, "{kind:?}");
        }
    }

    #[test]
    fn paths_quote_keys_that_are_not_identifiers() {
        let mut path = "$".to_owned();
        push_key(&mut path, "sijill:basis");
        push_key(&mut path, "name");
        assert_eq!(path, r#"$["sijill:basis"].name"#);
    }
}
