//! Signed-in registrars: a server-side session map keyed by a random id held in a secure,
//! HTTP-only, SameSite=Strict cookie. The token itself never lives in the browser; each
//! session carries its own CSRF token, checked on every form post.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::RngCore;

use crate::auth::Role;

/// How long a session lives without use.
pub const SESSION_IDLE_MAX: Duration = Duration::from_secs(8 * 3600);
/// Sessions kept at most; the oldest is dropped beyond it, so a flood of sign-ins cannot grow memory.
pub const SESSIONS_MAX: usize = 10_000;

#[derive(Clone, Debug)]
pub struct Session {
    pub actor: String,
    pub role: Role,
    pub csrf: String,
    last_used: Instant,
}

#[derive(Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, Session>>,
}

pub fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares a posted secret with the expected one in time independent of where they
/// differ, so response times do not leak a CSRF token byte by byte.
pub fn same_secret(given: &str, expected: &str) -> bool {
    given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

impl Sessions {
    /// Opens a session and returns its id.
    pub fn open(&self, actor: String, role: Role) -> String {
        let id = random_hex();
        let session = Session {
            actor,
            role,
            csrf: random_hex(),
            last_used: Instant::now(),
        };
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, s| s.last_used.elapsed() < SESSION_IDLE_MAX);
        if map.len() >= SESSIONS_MAX {
            if let Some(oldest) = map
                .iter()
                .min_by_key(|(_, s)| s.last_used)
                .map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
        }
        map.insert(id.clone(), session);
        id
    }

    /// The live session with this id (refreshing its idle clock), if any.
    pub fn get(&self, id: &str) -> Option<Session> {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let alive = map
            .get(id)
            .is_some_and(|s| s.last_used.elapsed() < SESSION_IDLE_MAX);
        if !alive {
            map.remove(id);
            return None;
        }
        let s = map.get_mut(id)?;
        s.last_used = Instant::now();
        Some(s.clone())
    }

    pub fn close(&self, id: &str) {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }
}
