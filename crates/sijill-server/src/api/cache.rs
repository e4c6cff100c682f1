//! Answers already rendered at the current position, reused while the registry stands still.
//!
//! An answer is a function of the query, the state's position and (when `as_of` is left out)
//! today's date, so its JSON can be served again until any of them changes. Popular pages
//! (a roster everyone opens) then cost a lookup instead of a fold and a serialization. The
//! cache holds answers of one position only: the first answer at a newer position empties it.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Bytes;
use chrono::NaiveDate;

use crate::limits::{ANSWER_CACHE_BYTES_MAX, ANSWER_CACHE_ENTRIES_MAX};

/// What an answer depends on.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AnswerKey {
    /// The query, as JSON.
    pub query: String,
    pub position: u64,
    pub today: NaiveDate,
}

#[derive(Default)]
pub struct AnswerCache {
    inner: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    position: u64,
    bytes: usize,
    map: HashMap<AnswerKey, Bytes>,
}

impl AnswerCache {
    pub fn get(&self, key: &AnswerKey) -> Option<Bytes> {
        self.lock().map.get(key).cloned()
    }

    pub fn insert(&self, key: AnswerKey, answer: Bytes) {
        let mut entries = self.lock();
        let full = entries.map.len() >= ANSWER_CACHE_ENTRIES_MAX
            || entries.bytes + answer.len() > ANSWER_CACHE_BYTES_MAX;
        if key.position != entries.position || full {
            *entries = Entries {
                position: key.position,
                ..Entries::default()
            };
        }
        if answer.len() <= ANSWER_CACHE_BYTES_MAX {
            entries.bytes += answer.len();
            entries.map.insert(key, answer);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // The entries stay consistent whatever panicked while holding the lock.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl AnswerKey {
    /// The position an answer to `query` reports: the one asked for, or the current one.
    pub fn position_of_answer(&self, query: &sijill_engine::query::Query) -> u64 {
        query.as_recorded_at().unwrap_or(self.position)
    }
}
