//! Small value types shared by commands, events and queries: kinds, seats, how a mandate
//! was obtained, why it ended.

use std::fmt;
use std::num::NonZeroU32;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ids::{AreaId, BodyId, PersonId};

/// Longest body kind, in characters.
pub const KIND_LEN_MAX: usize = 48;
/// Most seats a post can have; beyond this, use `"unlimited"`.
pub const SEATS_MAX: u32 = 100_000;
/// Largest vote count in a tally.
pub const VOTES_MAX: u32 = 10_000_000;

/// What an area is. Morocco: 12 regions › 75 provinces and prefectures › ~1,500 communes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaKind {
    Region,
    Province,
    Prefecture,
    Commune,
    Other,
}

/// What a body is: data, not a closed list, because every organisation names its units its
/// own way. A lowercase slug (`a-z`, `0-9`, `-`), at most [`KIND_LEN_MAX`] characters;
/// [`BodyKind::KNOWN`] lists the usual ones.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct BodyKind(Box<str>);

/// Why a text is not a body kind.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "body kind `{0}` must be 1 to {KIND_LEN_MAX} lowercase letters, digits or `-`, \
     such as `provincial-coordination`"
)]
pub struct BodyKindError(String);

impl BodyKind {
    /// The kinds sijill knows by default (others are accepted as data).
    pub const KNOWN: &'static [&'static str] = &[
        "party",
        "association",
        "national-bureau",
        "political-bureau",
        "central-committee",
        "national-council",
        "regional-branch",
        "provincial-coordination",
        "provincial-secretariat",
        "commune-council",
        "chamber",
        "parliament",
    ];

    pub fn new(text: &str) -> Result<BodyKind, BodyKindError> {
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
        let shape_ok = !text.starts_with('-') && !text.ends_with('-');
        if text.is_empty() || text.len() > KIND_LEN_MAX || !shape_ok || !text.chars().all(allowed) {
            let shown: String = text.chars().take(KIND_LEN_MAX + 8).collect();
            return Err(BodyKindError(shown));
        }
        Ok(BodyKind(text.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_known(&self) -> bool {
        BodyKind::KNOWN.contains(&self.as_str())
    }
}

impl fmt::Display for BodyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for BodyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for BodyKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<BodyKind, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        BodyKind::new(&text).map_err(de::Error::custom)
    }
}

/// A person's gender, when recorded; used only for representation reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Female,
    Male,
    Other,
}

/// How many people can hold a post at once.
///
/// On the wire: a positive number (at most [`SEATS_MAX`]) or the string `"unlimited"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Seats {
    Limited(NonZeroU32),
    #[default]
    Unlimited,
}

impl Seats {
    /// `n` seats; `None` if `n` is 0 or above [`SEATS_MAX`].
    pub fn limited(n: u32) -> Option<Seats> {
        NonZeroU32::new(n)
            .filter(|n| n.get() <= SEATS_MAX)
            .map(Seats::Limited)
    }

    pub fn limit(&self) -> Option<u32> {
        match self {
            Seats::Limited(n) => Some(n.get()),
            Seats::Unlimited => None,
        }
    }
}

impl fmt::Display for Seats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Seats::Limited(n) => n.fmt(f),
            Seats::Unlimited => f.write_str("unlimited"),
        }
    }
}

impl Serialize for Seats {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Seats::Limited(n) => serializer.serialize_u32(n.get()),
            Seats::Unlimited => serializer.serialize_str("unlimited"),
        }
    }
}

impl<'de> Deserialize<'de> for Seats {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Seats, D::Error> {
        deserializer.deserialize_any(SeatsVisitor)
    }
}

struct SeatsVisitor;

impl Visitor<'_> for SeatsVisitor {
    type Value = Seats;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a number of seats from 1 to {SEATS_MAX}, or \"unlimited\""
        )
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Seats, E> {
        u32::try_from(n)
            .ok()
            .and_then(Seats::limited)
            .ok_or_else(|| {
                E::custom(format!(
                    "seats must be from 1 to {SEATS_MAX}, or \"unlimited\""
                ))
            })
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Seats, E> {
        match u64::try_from(n) {
            Ok(n) => self.visit_u64(n),
            Err(_) => Err(E::custom(format!(
                "seats must be from 1 to {SEATS_MAX}, or \"unlimited\""
            ))),
        }
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Seats, E> {
        match text {
            "unlimited" => Ok(Seats::Unlimited),
            _ => Err(E::custom(format!(
                "seats must be a number from 1 to {SEATS_MAX}, or \"unlimited\", not `{text}`"
            ))),
        }
    }
}

/// What kind of meeting an assembly is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssemblyKind {
    FoundingGeneralAssembly,
    GeneralAssembly,
    Congress,
    CouncilSession,
    BureauMeeting,
    Other,
}

/// A vote count. `for` must exceed `against` for an election or resolution by majority.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tally {
    #[serde(rename = "for")]
    pub votes_for: u32,
    #[serde(default)]
    pub against: u32,
    #[serde(default)]
    pub abstain: u32,
}

/// How a person obtained a mandate. `A` is who appointed them: what was typed
/// ([`crate::EntityRef`]) in a command, the resolved [`Appointer`] in an event.
///
/// On the wire, variants without data are strings (`"chosen_by_consensus"`); the others are
/// one-key objects: `{"elected_by_majority": {"for": 12, "against": 3}}`,
/// `{"appointed": {"by": "@karim-taj"}}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis<A> {
    /// Elected; the source does not say how (unanimously, by majority, by acclamation).
    Elected,
    ElectedUnanimously,
    ElectedByMajority(Tally),
    ElectedByAcclamation,
    ChosenByConsensus,
    Appointed {
        #[serde(default = "none", skip_serializing_if = "Option::is_none")]
        by: Option<A>,
    },
    CoOpted,
    ExOfficio,
    /// The source names the office but not how it was obtained.
    NotStated,
}

fn none<A>() -> Option<A> {
    None
}

impl<A> Basis<A> {
    /// The wire name of the variant, for messages and tables.
    pub fn as_str(&self) -> &'static str {
        match self {
            Basis::Elected => "elected",
            Basis::ElectedUnanimously => "elected_unanimously",
            Basis::ElectedByMajority(_) => "elected_by_majority",
            Basis::ElectedByAcclamation => "elected_by_acclamation",
            Basis::ChosenByConsensus => "chosen_by_consensus",
            Basis::Appointed { .. } => "appointed",
            Basis::CoOpted => "co_opted",
            Basis::ExOfficio => "ex_officio",
            Basis::NotStated => "not_stated",
        }
    }

    /// The same basis with the appointer mapped (resolving a reference, say).
    pub fn try_map<B, E>(&self, f: impl FnOnce(&A) -> Result<B, E>) -> Result<Basis<B>, E> {
        Ok(match self {
            Basis::Elected => Basis::Elected,
            Basis::ElectedUnanimously => Basis::ElectedUnanimously,
            Basis::ElectedByMajority(t) => Basis::ElectedByMajority(*t),
            Basis::ElectedByAcclamation => Basis::ElectedByAcclamation,
            Basis::ChosenByConsensus => Basis::ChosenByConsensus,
            Basis::Appointed { by } => Basis::Appointed {
                by: by.as_ref().map(f).transpose()?,
            },
            Basis::CoOpted => Basis::CoOpted,
            Basis::ExOfficio => Basis::ExOfficio,
            Basis::NotStated => Basis::NotStated,
        })
    }
}

/// Who appointed someone: a person or a body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Appointer {
    Person(PersonId),
    Body(BodyId),
}

/// What a mandate's holder represents: an area (a commune) or a body (a chamber).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Constituency {
    Area(AreaId),
    Body(BodyId),
}

/// How a resolution was adopted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Vote {
    Unanimous,
    Majority(Tally),
    Acclamation,
    Consensus,
    /// The source records the resolution but not the vote.
    NotStated,
}

/// Why a mandate ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    Resigned,
    Removed,
    TermExpired,
    Died,
    BodyDissolved,
    Replaced,
}

/// Which date a `correct_date` command corrects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateField {
    /// A body's founding date.
    FoundedOn,
    /// A dissolved body's dissolution date.
    DissolvedOn,
    /// A post's establishment date.
    EstablishedOn,
    /// An abolished post's abolition date.
    AbolishedOn,
    /// An assembly's date.
    HeldOn,
    /// A mandate's start.
    From,
    /// An ended mandate's end.
    To,
}

impl DateField {
    pub const fn as_str(self) -> &'static str {
        match self {
            DateField::FoundedOn => "founded_on",
            DateField::DissolvedOn => "dissolved_on",
            DateField::EstablishedOn => "established_on",
            DateField::AbolishedOn => "abolished_on",
            DateField::HeldOn => "held_on",
            DateField::From => "from",
            DateField::To => "to",
        }
    }
}

impl fmt::Display for DateField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
