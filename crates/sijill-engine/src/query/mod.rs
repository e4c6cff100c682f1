//! The question-and-answer layer shared by the CLI and the server: a [`Query`] (serde, so
//! the same JSON works on the command line, over HTTP and in tests) and its typed
//! [`Answer`] (Serialize and Deserialize, so a remote client renders the server's answer
//! with the same code as a local one).
//!
//! Every query reads one consistent snapshot: the latest state, or the state as recorded at
//! `as_recorded_at` (the log's first P events). `as_of` is the valid-time date the question
//! is about (today, UTC, when absent). Entity arguments are handles or UUIDs, resolved
//! against that snapshot.

mod run;
mod views;

use serde::{Deserialize, Serialize};
use sijill_domain::query::{MandateView, Representation, SearchHit, TreeNode, Vacancy};
use sijill_domain::{EdtfDate, EntityRef};

pub use views::*;

/// Items on a list page when the query names no limit.
pub const PAGE_LIMIT_DEFAULT: usize = 100;
/// Most items on one list page.
pub const PAGE_LIMIT_MAX: usize = 1_000;
/// Most search results.
pub const SEARCH_LIMIT_MAX: usize = 100;
/// Search results when the query names no limit.
pub const SEARCH_LIMIT_DEFAULT: usize = 20;
/// Most log entries on one page.
pub const LOG_LIMIT_MAX: usize = 1_000;
/// Longest search text, in characters.
pub const SEARCH_TEXT_LEN_MAX: usize = 200;

/// A question. Every variant takes `as_of` (valid time) and `as_recorded_at` (record time);
/// lists take `offset` and `limit`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "query", rename_all = "snake_case", deny_unknown_fields)]
pub enum Query {
    /// The forest of bodies.
    Tree {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_of: Option<EdtfDate>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_recorded_at: Option<u64>,
    },
    /// Every body recorded, by handle.
    Bodies {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_of: Option<EdtfDate>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_recorded_at: Option<u64>,
        #[serde(default)]
        offset: usize,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<usize>,
    },
    /// One body: names over time, parent, posts, sub-bodies, assemblies.
    Body {
        body: EntityRef,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_of: Option<EdtfDate>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_recorded_at: Option<u64>,
    },
    /// Who holds each post of a body.
    Roster {
        body: EntityRef,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_of: Option<EdtfDate>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_recorded_at: Option<u64>,
    },
    /// Every person recorded, by handle.
    Persons {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_of: Option<EdtfDate>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_recorded_at: Option<u64>,
        #[serde(default)]
        offset: usize,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<usize>,
    },
    /// One person and every mandate they hold or held.
    Person {
        person: EntityRef,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_of: Option<EdtfDate>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_recorded_at: Option<u64>,
    },
    /// Every area recorded, by handle.
    Areas {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_of: Option<EdtfDate>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_recorded_at: Option<u64>,
        #[serde(default)]
        offset: usize,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<usize>,
    },
    /// Every assembly recorded, by handle.
    Assemblies {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_of: Option<EdtfDate>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_recorded_at: Option<u64>,
        #[serde(default)]
        offset: usize,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<usize>,
    },
    /// One assembly: attendance, resolutions, mandates decided there.
    Assembly {
        assembly: EntityRef,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_of: Option<EdtfDate>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_recorded_at: Option<u64>,
    },
    /// Every mandate recorded, in log order.
    Mandates {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_of: Option<EdtfDate>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_recorded_at: Option<u64>,
        #[serde(default)]
        offset: usize,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<usize>,
    },
    /// One mandate.
    Mandate {
        mandate: EntityRef,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_of: Option<EdtfDate>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_recorded_at: Option<u64>,
    },
    /// The stored events concerning an entity, from position `from` on.
    History {
        entity: EntityRef,
        #[serde(default = "first_position")]
        from: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<usize>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_of: Option<EdtfDate>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_recorded_at: Option<u64>,
    },
    /// How a mandate came to be (basis, assembly, vote, constituency) with its provenance;
    /// for a person, that of each of their mandates.
    Audit {
        entity: EntityRef,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_of: Option<EdtfDate>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_recorded_at: Option<u64>,
    },
    /// Posts with seats not (surely) held, by body handle then post handle.
    Vacancies {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_of: Option<EdtfDate>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_recorded_at: Option<u64>,
        #[serde(default)]
        offset: usize,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<usize>,
    },
    /// Which constituencies a body's members represent, and the gender shares.
    Representation {
        body: EntityRef,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_of: Option<EdtfDate>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_recorded_at: Option<u64>,
    },
    /// People, bodies, areas and posts by name, in any script and word order.
    Search {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<usize>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_of: Option<EdtfDate>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_recorded_at: Option<u64>,
    },
    /// The log itself, from position `from` on.
    Log {
        #[serde(default = "first_position")]
        from: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<usize>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_of: Option<EdtfDate>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_recorded_at: Option<u64>,
    },
    /// How many entities and events the registry holds.
    Stats {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_of: Option<EdtfDate>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_recorded_at: Option<u64>,
    },
    /// Recomputes the hash chain over `from..=to` (the whole log by default).
    Verify {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_of: Option<EdtfDate>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_recorded_at: Option<u64>,
    },
}

fn first_position() -> u64 {
    1
}

impl Query {
    /// The wire name (`"roster"`).
    pub fn name(&self) -> &'static str {
        match self {
            Query::Tree { .. } => "tree",
            Query::Bodies { .. } => "bodies",
            Query::Body { .. } => "body",
            Query::Roster { .. } => "roster",
            Query::Persons { .. } => "persons",
            Query::Person { .. } => "person",
            Query::Areas { .. } => "areas",
            Query::Assemblies { .. } => "assemblies",
            Query::Assembly { .. } => "assembly",
            Query::Mandates { .. } => "mandates",
            Query::Mandate { .. } => "mandate",
            Query::History { .. } => "history",
            Query::Audit { .. } => "audit",
            Query::Vacancies { .. } => "vacancies",
            Query::Representation { .. } => "representation",
            Query::Search { .. } => "search",
            Query::Log { .. } => "log",
            Query::Stats { .. } => "stats",
            Query::Verify { .. } => "verify",
        }
    }

    /// The valid-time date asked about, if given.
    pub fn as_of(&self) -> Option<&EdtfDate> {
        self.times().0.as_ref()
    }

    /// The record-time position asked about, if given.
    pub fn as_recorded_at(&self) -> Option<u64> {
        *self.times().1
    }

    fn times(&self) -> (&Option<EdtfDate>, &Option<u64>) {
        match self {
            Query::Tree {
                as_of,
                as_recorded_at,
            }
            | Query::Bodies {
                as_of,
                as_recorded_at,
                ..
            }
            | Query::Body {
                as_of,
                as_recorded_at,
                ..
            }
            | Query::Roster {
                as_of,
                as_recorded_at,
                ..
            }
            | Query::Persons {
                as_of,
                as_recorded_at,
                ..
            }
            | Query::Person {
                as_of,
                as_recorded_at,
                ..
            }
            | Query::Areas {
                as_of,
                as_recorded_at,
                ..
            }
            | Query::Assemblies {
                as_of,
                as_recorded_at,
                ..
            }
            | Query::Assembly {
                as_of,
                as_recorded_at,
                ..
            }
            | Query::Mandates {
                as_of,
                as_recorded_at,
                ..
            }
            | Query::Mandate {
                as_of,
                as_recorded_at,
                ..
            }
            | Query::History {
                as_of,
                as_recorded_at,
                ..
            }
            | Query::Audit {
                as_of,
                as_recorded_at,
                ..
            }
            | Query::Vacancies {
                as_of,
                as_recorded_at,
                ..
            }
            | Query::Representation {
                as_of,
                as_recorded_at,
                ..
            }
            | Query::Search {
                as_of,
                as_recorded_at,
                ..
            }
            | Query::Log {
                as_of,
                as_recorded_at,
                ..
            }
            | Query::Stats {
                as_of,
                as_recorded_at,
            }
            | Query::Verify {
                as_of,
                as_recorded_at,
                ..
            } => (as_of, as_recorded_at),
        }
    }
}

/// An answer, with the times it is about.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    /// The log position of the state that answered.
    pub position: u64,
    /// The valid-time date the answer is about (today, UTC, unless asked).
    pub as_of: EdtfDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_recorded_at: Option<u64>,
    pub data: Data,
}

/// What a query found: one variant per query, named like it.
// Built once per query and moved a few times: boxing would only make matching noisier.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Data {
    Tree(Vec<TreeNode>),
    Bodies(Paged<BodySummary>),
    Body(BodyDetail),
    Roster(RosterAnswer),
    Persons(Paged<PersonSummary>),
    Person(PersonDetail),
    Areas(Paged<AreaSummary>),
    Assemblies(Paged<AssemblySummary>),
    Assembly(AssemblyDetail),
    Mandates(Paged<MandateView>),
    Mandate(MandateView),
    History(HistoryAnswer),
    Audit(Audit),
    Vacancies(Paged<Vacancy>),
    Representation(Representation),
    Search(Vec<SearchHit>),
    Log(LogAnswer),
    Stats(Stats),
    Verify(VerifyAnswer),
}
