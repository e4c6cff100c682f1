//! An entity's history in the log, and name search.

use serde::{Deserialize, Serialize};

use crate::ids::EntityId;
use crate::registry::Registry;
use crate::search::Score;

use super::roster::Ref;

/// One event in an entity's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub position: u64,
    #[serde(rename = "type")]
    pub type_name: String,
    /// The position of the retraction, if this event was retracted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retracted_by: Option<u64>,
}

/// One search result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHit {
    pub entity: Ref,
    pub score: Score,
}

impl Registry {
    /// The events that concern the entity, in log order, including corrections, retracted
    /// events (marked) and retractions. Works for retracted entities too (the audit trail
    /// outlives them). The events themselves are read from the log by position.
    pub fn history(&self, id: EntityId) -> Vec<HistoryEntry> {
        self.positions_of(id)
            .into_iter()
            .map(|position| HistoryEntry {
                position,
                type_name: self.type_at(position).unwrap_or("unknown").to_owned(),
                retracted_by: self.retracted_by(position),
            })
            .collect()
    }

    /// People, bodies, areas and posts whose names match `text`, best first (see
    /// `search.rs`: Arabic and Latin spelling variants and word order are folded away).
    pub fn search(&self, text: &str, limit: usize) -> Vec<SearchHit> {
        self.search
            .search(text, limit, |id| self.indexed_name(id))
            .into_iter()
            .map(|(id, score)| SearchHit {
                entity: self.reference(id),
                score,
            })
            .collect()
    }
}
