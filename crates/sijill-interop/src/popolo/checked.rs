//! One pass over a record that both checks it against its Popolo schema and parses it into a
//! typed record: a `serde::Deserializer` around `serde_json`'s that checks each value the
//! typed record asks for, and walks (with [`schema`](super::schema)'s checker) each value it
//! ignores.
//!
//! It answers only "valid, and here is the record" or "no": a record it refuses goes the
//! slow way (check, screen, typed parse), which says exactly what is wrong and where. So it
//! must accept no record the slow way refuses and give the same typed record; it may refuse
//! more (a value of a schema'd field read through a domain type, say), which costs only time.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

use serde::de::value::{BorrowedStrDeserializer, StrDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::schema::{ignored_value_holds_data, JsonType, Key, Node, RecordKind, Schemas};

/// Parses `text`, one record of `kind`, while checking it against the schema; tells `field`
/// each top-level field the typed record ignores and whether it holds data. `None` when the
/// record breaks the schema or does not parse as `T`.
///
/// The fields `T` reads must all be fields the import handles: only ignored ones are told.
pub(crate) fn parse_checked<'de, T: Deserialize<'de>>(
    kind: RecordKind,
    text: &'de str,
    field: &mut dyn FnMut(&str, bool),
) -> Option<T> {
    let schemas = Schemas::get();
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let checked = Checked {
        de: &mut deserializer,
        schemas,
        node: Some(schemas.root_of(kind)),
        ignored: None,
        field: Some(field),
    };
    let value = T::deserialize(checked).ok()?;
    deserializer.end().ok()?;
    Some(value)
}

/// Told each top-level field the typed record ignores, and whether it holds data.
type FieldSink<'c> = &'c mut dyn FnMut(&str, bool);

/// The refusal that sends a record the slow way; its text is never shown.
fn refused<E: de::Error>() -> E {
    E::custom("refused by the one-pass check")
}

/// A value to check against `node` (`None`: no schema applies, so nothing to check) as the
/// typed record reads it.
struct Checked<'c, D> {
    de: D,
    schemas: &'static Schemas,
    node: Option<usize>,
    /// For a top-level field: where to say whether the value, if ignored, holds data.
    ignored: Option<&'c Cell<Option<bool>>>,
    /// For the record itself: told each ignored top-level field.
    field: Option<FieldSink<'c>>,
}

impl<'c, D> Checked<'c, D> {
    /// The node that applies, `$ref`s followed.
    fn schema(&self) -> Option<usize> {
        self.node.map(|n| self.schemas.resolve(n))
    }

    fn visitor<V>(self, visitor: V, node: usize) -> (D, CheckVisitor<'c, V>) {
        let check = CheckVisitor {
            visitor,
            schemas: self.schemas,
            node,
            field: self.field,
        };
        (self.de, check)
    }
}

/// Methods that read a value through `deserialize_any` when a schema applies (so the check
/// sees what the value is), and as asked otherwise.
macro_rules! checked_methods {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            match self.schema() {
                None => self.de.$method(visitor),
                Some(node) => {
                    let (de, check) = self.visitor(visitor, node);
                    de.deserialize_any(check)
                }
            }
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Checked<'_, D> {
    type Error = D::Error;

    checked_methods!(
        deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32
        deserialize_i64 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_f32 deserialize_f64 deserialize_char deserialize_str deserialize_string
        deserialize_bytes deserialize_byte_buf deserialize_unit deserialize_seq deserialize_map
        deserialize_identifier
    );

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        match self.schema() {
            None => self.de.deserialize_option(visitor),
            Some(node) => {
                let (de, check) = self.visitor(visitor, node);
                de.deserialize_option(check)
            }
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        let holds = ignored_value_holds_data(self.node, self.de)?;
        if let Some(ignored) = self.ignored {
            ignored.set(Some(holds));
        }
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        match self.schema() {
            None => self.de.deserialize_unit_struct(name, visitor),
            Some(_) => Err(refused()),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        match self.schema() {
            None => self.de.deserialize_newtype_struct(name, visitor),
            Some(_) => Err(refused()),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        match self.schema() {
            None => self.de.deserialize_tuple(len, visitor),
            Some(_) => self.deserialize_any(visitor),
        }
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        match self.schema() {
            None => self.de.deserialize_tuple_struct(name, len, visitor),
            Some(_) => self.deserialize_any(visitor),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        match self.schema() {
            None => self.de.deserialize_struct(name, fields, visitor),
            Some(_) => self.deserialize_any(visitor),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        match self.schema() {
            None => self.de.deserialize_enum(name, variants, visitor),
            // No Popolo field is read as an enum: the slow way settles it.
            Some(_) => Err(refused()),
        }
    }
}

/// Checks the value `serde_json` found against `node`, then hands it to the typed record's
/// visitor.
struct CheckVisitor<'c, V> {
    visitor: V,
    schemas: &'static Schemas,
    /// A node with no `$ref`.
    node: usize,
    field: Option<FieldSink<'c>>,
}

impl<V> CheckVisitor<'_, V> {
    fn node(&self) -> &'static Node {
        self.schemas.node(self.node)
    }

    fn check<E: de::Error>(&self, kinds: &[JsonType]) -> Result<(), E> {
        match self.node().allows(kinds) {
            true => Ok(()),
            false => Err(refused()),
        }
    }

    fn check_str<E: de::Error>(&self, text: &str) -> Result<(), E> {
        self.check(&[JsonType::String])?;
        match self.node().matches(text) {
            true => Ok(()),
            false => Err(refused()),
        }
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for CheckVisitor<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<V::Value, E> {
        self.check(&[JsonType::Boolean])?;
        self.visitor.visit_bool(value)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<V::Value, E> {
        self.check(&[JsonType::Integer, JsonType::Number])?;
        self.visitor.visit_i64(value)
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<V::Value, E> {
        self.check(&[JsonType::Integer, JsonType::Number])?;
        self.visitor.visit_u64(value)
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<V::Value, E> {
        if value.fract() == 0.0 {
            self.check(&[JsonType::Integer, JsonType::Number])?;
        } else {
            self.check(&[JsonType::Number])?;
        }
        self.visitor.visit_f64(value)
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<V::Value, E> {
        self.check_str(value)?;
        self.visitor.visit_str(value)
    }

    fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<V::Value, E> {
        self.check_str(value)?;
        self.visitor.visit_borrowed_str(value)
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<V::Value, E> {
        self.check_str(&value)?;
        self.visitor.visit_string(value)
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.check(&[JsonType::Null])?;
        self.visitor.visit_unit()
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.check(&[JsonType::Null])?;
        self.visitor.visit_none()
    }

    fn visit_some<D: Deserializer<'de>>(self, de: D) -> Result<V::Value, D::Error> {
        let checked = Checked {
            de,
            schemas: self.schemas,
            node: Some(self.node),
            ignored: None,
            field: self.field,
        };
        self.visitor.visit_some(checked)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.check(&[JsonType::Array])?;
        let items = self.node().items();
        self.visitor.visit_seq(CheckedSeq {
            seq,
            schemas: self.schemas,
            items,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.check(&[JsonType::Object])?;
        let node = self.node();
        self.visitor.visit_map(CheckedMap {
            map,
            schemas: self.schemas,
            node,
            seen: 0,
            value_node: None,
            key: None,
            field: self.field,
        })
    }
}

struct CheckedSeq<A> {
    seq: A,
    schemas: &'static Schemas,
    items: Option<usize>,
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for CheckedSeq<A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.seq.next_element_seed(CheckedSeed {
            seed,
            schemas: self.schemas,
            node: self.items,
            ignored: None,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.seq.size_hint()
    }
}

struct CheckedMap<'c, 'de, A> {
    map: A,
    schemas: &'static Schemas,
    node: &'static Node,
    /// Bit i: the i-th required property was seen.
    seen: u64,
    /// The schema of the value after the key just read.
    value_node: Option<usize>,
    /// The key just read, for the record's own fields.
    key: Option<Cow<'de, str>>,
    /// For the record itself: told each ignored top-level field.
    field: Option<FieldSink<'c>>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for CheckedMap<'_, 'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let Some(Key(key)) = self.map.next_key::<Key<'de>>()? else {
            return match self.node.lacks_required(self.seen) {
                true => Err(refused()),
                false => Ok(None),
            };
        };
        let (value_node, required) = self.node.property(&key);
        if let Some(required) = required {
            self.seen |= 1 << required;
        }
        self.value_node = value_node;
        let value = match &key {
            Cow::Borrowed(key) => seed.deserialize(BorrowedStrDeserializer::new(key))?,
            Cow::Owned(key) => seed.deserialize(StrDeserializer::new(key))?,
        };
        if self.field.is_some() {
            self.key = Some(key);
        }
        Ok(Some(value))
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        let ignored = Cell::new(None);
        let value = self.map.next_value_seed(CheckedSeed {
            seed,
            schemas: self.schemas,
            node: self.value_node,
            ignored: Some(&ignored),
        })?;
        if let (Some(field), Some(key), Some(holds)) =
            (self.field.as_mut(), self.key.take(), ignored.get())
        {
            field(&key, holds);
        }
        Ok(value)
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

struct CheckedSeed<'c, S> {
    seed: S,
    schemas: &'static Schemas,
    node: Option<usize>,
    ignored: Option<&'c Cell<Option<bool>>>,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for CheckedSeed<'_, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<S::Value, D::Error> {
        self.seed.deserialize(Checked {
            de,
            schemas: self.schemas,
            node: self.node,
            ignored: self.ignored,
            field: None,
        })
    }
}
