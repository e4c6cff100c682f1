//! Identifiers: UUID newtypes for machines, `@handles` for people.
//!
//! Ids are never minted here: the caller passes an [`IdSource`] in the [`crate::Context`],
//! so deciding stays a pure function of its inputs (the engine uses UUIDv7, tests use
//! [`SequentialIds`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// Longest handle, counted without the leading `@`.
pub const HANDLE_LEN_MAX: usize = 64;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            pub const fn from_uuid(uuid: Uuid) -> $name {
                $name(uuid)
            }

            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl From<$name> for EntityId {
            fn from(id: $name) -> EntityId {
                EntityId::$kind(id)
            }
        }
    };
}

id_type!(
    /// A geographic or electoral area: region, province, prefecture, commune.
    AreaId, Area
);
id_type!(
    /// An organisation or one of its units: a party, a bureau, a coordination, a chamber.
    BodyId, Body
);
id_type!(
    /// A post in a body (coordinator, secretary-general, member).
    PostId, Post
);
id_type!(
    /// A natural person.
    PersonId, Person
);
id_type!(
    /// A meeting of a body: a congress, a general assembly, a council session.
    AssemblyId, Assembly
);
id_type!(
    /// A person holding a post from a date to a date.
    MandateId, Mandate
);

/// The kinds of entity the registry holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Area,
    Body,
    Post,
    Person,
    Assembly,
    Mandate,
}

impl EntityKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            EntityKind::Area => "area",
            EntityKind::Body => "body",
            EntityKind::Post => "post",
            EntityKind::Person => "person",
            EntityKind::Assembly => "assembly",
            EntityKind::Mandate => "mandate",
        }
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Any entity's id, with its kind.
///
/// Serialized as a one-key object naming the kind: `{"person": "0190…"}`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityId {
    Area(AreaId),
    Body(BodyId),
    Post(PostId),
    Person(PersonId),
    Assembly(AssemblyId),
    Mandate(MandateId),
}

impl EntityId {
    pub const fn kind(&self) -> EntityKind {
        match self {
            EntityId::Area(_) => EntityKind::Area,
            EntityId::Body(_) => EntityKind::Body,
            EntityId::Post(_) => EntityKind::Post,
            EntityId::Person(_) => EntityKind::Person,
            EntityId::Assembly(_) => EntityKind::Assembly,
            EntityId::Mandate(_) => EntityKind::Mandate,
        }
    }

    pub const fn as_uuid(&self) -> Uuid {
        match self {
            EntityId::Area(id) => id.as_uuid(),
            EntityId::Body(id) => id.as_uuid(),
            EntityId::Post(id) => id.as_uuid(),
            EntityId::Person(id) => id.as_uuid(),
            EntityId::Assembly(id) => id.as_uuid(),
            EntityId::Mandate(id) => id.as_uuid(),
        }
    }

    /// The id with the given kind, as minted for a new entity.
    pub const fn new(kind: EntityKind, uuid: Uuid) -> EntityId {
        match kind {
            EntityKind::Area => EntityId::Area(AreaId::from_uuid(uuid)),
            EntityKind::Body => EntityId::Body(BodyId::from_uuid(uuid)),
            EntityKind::Post => EntityId::Post(PostId::from_uuid(uuid)),
            EntityKind::Person => EntityId::Person(PersonId::from_uuid(uuid)),
            EntityKind::Assembly => EntityId::Assembly(AssemblyId::from_uuid(uuid)),
            EntityKind::Mandate => EntityId::Mandate(MandateId::from_uuid(uuid)),
        }
    }
}

impl fmt::Display for EntityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind(), self.as_uuid())
    }
}

impl fmt::Debug for EntityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind(), self.as_uuid())
    }
}

/// Why a text is not a handle.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HandleError {
    #[error("handle `{0}` must start with `@`, as in `@khemisset-coordination`")]
    MissingAt(String),
    #[error("handle `{0}` is empty after the `@`")]
    Empty(String),
    #[error("handle `{0}` is longer than {HANDLE_LEN_MAX} characters")]
    TooLong(String),
    #[error(
        "handle `{0}` may contain only lowercase a-z, digits 0-9 and single `-` between them, \
         as in `@achraf-chahboun`"
    )]
    BadCharacter(String),
}

/// A unique, human-typable name for an entity: `@` then a lowercase slug (`a-z`, `0-9`,
/// single `-` between words), at most [`HANDLE_LEN_MAX`] characters after the `@`.
///
/// Stored with its `@`; serialized as that string.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Handle(std::sync::Arc<str>);

impl Handle {
    pub fn parse(text: &str) -> Result<Handle, HandleError> {
        let Some(slug) = text.strip_prefix('@') else {
            return Err(HandleError::MissingAt(shorten(text)));
        };
        if slug.is_empty() {
            return Err(HandleError::Empty(text.to_owned()));
        }
        if slug.chars().count() > HANDLE_LEN_MAX {
            return Err(HandleError::TooLong(shorten(text)));
        }
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
        let well_placed_dashes =
            !slug.starts_with('-') && !slug.ends_with('-') && !slug.contains("--");
        if !slug.chars().all(allowed) || !well_placed_dashes {
            return Err(HandleError::BadCharacter(shorten(text)));
        }
        Ok(Handle(text.into()))
    }

    /// The handle with its `@`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Keeps error messages bounded when the input is not.
fn shorten(text: &str) -> String {
    const SHOWN_MAX: usize = HANDLE_LEN_MAX + 8;
    if text.chars().count() <= SHOWN_MAX {
        text.to_owned()
    } else {
        let mut shown: String = text.chars().take(SHOWN_MAX).collect();
        shown.push('…');
        shown
    }
}

impl FromStr for Handle {
    type Err = HandleError;
    fn from_str(text: &str) -> Result<Handle, HandleError> {
        Handle::parse(text)
    }
}

impl fmt::Display for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Handle {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Handle {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Handle, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Handle::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Why a text refers to no entity.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EntityRefError {
    #[error(transparent)]
    Handle(#[from] HandleError),
    #[error("`{0}` is neither a handle (`@name`) nor a UUID")]
    Neither(String),
}

/// What a person types to name an entity: a handle (`@x`) or a UUID.
///
/// Serialized as the string itself.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntityRef {
    Handle(Handle),
    Id(Uuid),
}

impl EntityRef {
    pub fn parse(text: &str) -> Result<EntityRef, EntityRefError> {
        if text.starts_with('@') {
            return Ok(EntityRef::Handle(Handle::parse(text)?));
        }
        Uuid::try_parse(text)
            .map(EntityRef::Id)
            .map_err(|_| EntityRefError::Neither(shorten(text)))
    }
}

impl From<Handle> for EntityRef {
    fn from(handle: Handle) -> EntityRef {
        EntityRef::Handle(handle)
    }
}

impl From<Uuid> for EntityRef {
    fn from(uuid: Uuid) -> EntityRef {
        EntityRef::Id(uuid)
    }
}

impl From<EntityId> for EntityRef {
    fn from(id: EntityId) -> EntityRef {
        EntityRef::Id(id.as_uuid())
    }
}

impl FromStr for EntityRef {
    type Err = EntityRefError;
    fn from_str(text: &str) -> Result<EntityRef, EntityRefError> {
        EntityRef::parse(text)
    }
}

impl fmt::Display for EntityRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntityRef::Handle(handle) => handle.fmt(f),
            EntityRef::Id(uuid) => uuid.fmt(f),
        }
    }
}

impl fmt::Debug for EntityRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for EntityRef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for EntityRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<EntityRef, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        EntityRef::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Where new entities get their UUIDs. The engine mints UUIDv7; tests use
/// [`SequentialIds`] so expected output can be written down.
pub trait IdSource {
    fn next_uuid(&mut self) -> Uuid;
}

/// Deterministic ids for tests and examples: `00000000-0000-7000-8000-000000000001`,
/// then `…002`, and so on (version and variant bits set, so they parse as UUIDv7).
#[derive(Clone, Debug, Default)]
pub struct SequentialIds {
    issued: u64,
}

impl SequentialIds {
    pub fn new() -> SequentialIds {
        SequentialIds::default()
    }

    /// The uuid that the `n`th call to `next_uuid` returns (from 1).
    pub const fn nth(n: u64) -> Uuid {
        const V7_AND_VARIANT: u128 = 0x0000_0000_0000_7000_8000_0000_0000_0000;
        Uuid::from_u128(V7_AND_VARIANT | n as u128)
    }
}

impl IdSource for SequentialIds {
    fn next_uuid(&mut self) -> Uuid {
        self.issued += 1;
        SequentialIds::nth(self.issued)
    }
}

impl<F: FnMut() -> Uuid> IdSource for F {
    fn next_uuid(&mut self) -> Uuid {
        self()
    }
}
