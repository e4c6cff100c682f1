//! Bearer tokens: the token file, hashing, and making new tokens.
//!
//! The file lists who may use the server, as TOML:
//!
//! ```toml
//! [[token]]
//! name = "amina-registrar"   # recorded as the actor of every event the token appends
//! role = "registrar"         # reader | registrar | admin
//! sha256 = "9f86d0…"          # lowercase hex SHA-256 of the token, never the token itself
//! ```
//!
//! Only hashes are stored, so a leaked file grants nothing. Tokens are 256 random bits, so a
//! plain (unsalted, fast) hash is enough: there is no dictionary to try. An administrator can
//! hash a token with standard tools (`printf %s "$TOKEN" | sha256sum`) or have
//! [`new_token`] make one with its file entry.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::limits::{TOKENS_MAX, TOKEN_FILE_BYTES_MAX, TOKEN_NAME_LEN_MAX};

/// What a caller may do. Ordered: each role may do everything the roles before it may.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Queries, the log, the event stream, verification.
    Reader,
    /// A reader who may also record commands.
    Registrar,
    /// A registrar who may also export the whole log.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Registrar => "registrar",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The SHA-256 of a token.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash([u8; 32]);

impl TokenHash {
    pub fn of(token: &str) -> TokenHash {
        TokenHash(Sha256::digest(token.as_bytes()).into())
    }

    pub fn to_hex(&self) -> String {
        sijill_store::hash_to_hex(&self.0)
    }

    fn from_hex(text: &str) -> Option<TokenHash> {
        sijill_store::hash_from_hex(text).map(TokenHash)
    }
}

// Hashes stay out of logs too: they identify a token.
impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenHash(..)")
    }
}

/// Who a valid token belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub name: String,
    pub role: Role,
}

/// The tokens the server accepts, by hash.
#[derive(Clone, Debug, Default)]
pub struct Tokens {
    by_hash: HashMap<TokenHash, Principal>,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenFileError {
    #[error("cannot read token file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "token file {path} is larger than TOKEN_FILE_BYTES_MAX ({TOKEN_FILE_BYTES_MAX} bytes)"
    )]
    TooLarge { path: String },
    #[error("token file {path} is not valid: {detail}; see docs/api.md for its format")]
    Syntax { path: String, detail: String },
    #[error("token file {path}, token {index} (`{name}`): {problem}")]
    Entry {
        path: String,
        index: usize,
        name: String,
        problem: String,
    },
    #[error("token file {path} lists more than TOKENS_MAX ({TOKENS_MAX}) tokens")]
    TooMany { path: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenFile {
    #[serde(default)]
    token: Vec<TokenEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenEntry {
    name: String,
    role: Role,
    sha256: String,
}

impl Tokens {
    /// Reads and checks a token file: every entry well-formed, names and hashes unique.
    pub fn load(path: &Path) -> Result<Tokens, TokenFileError> {
        let shown = path.display().to_string();
        let io = |source| TokenFileError::Io {
            path: shown.clone(),
            source,
        };
        let size = std::fs::metadata(path).map_err(io)?.len();
        if size > TOKEN_FILE_BYTES_MAX {
            return Err(TokenFileError::TooLarge { path: shown });
        }
        let text = std::fs::read_to_string(path).map_err(io)?;
        Tokens::parse(&text, &shown)
    }

    /// Parses a token file's text; `path` only names it in errors.
    pub fn parse(text: &str, path: &str) -> Result<Tokens, TokenFileError> {
        let file: TokenFile = toml::from_str(text).map_err(|e| TokenFileError::Syntax {
            path: path.into(),
            detail: e.message().into(),
        })?;
        if file.token.len() > TOKENS_MAX {
            return Err(TokenFileError::TooMany { path: path.into() });
        }
        let mut tokens = Tokens::default();
        for (index, entry) in file.token.into_iter().enumerate() {
            let problem = |problem: &str| TokenFileError::Entry {
                path: path.into(),
                index: index + 1,
                name: entry.name.clone(),
                problem: problem.into(),
            };
            check_name(&entry.name).map_err(|p| problem(&p))?;
            let hash = TokenHash::from_hex(&entry.sha256).ok_or_else(|| {
                problem("sha256 must be 64 lowercase hex digits (the token's SHA-256)")
            })?;
            if tokens.by_hash.values().any(|p| p.name == entry.name) {
                return Err(problem(
                    "the name is used twice: give each token its own name",
                ));
            }
            let principal = Principal {
                name: entry.name.clone(),
                role: entry.role,
            };
            if tokens.by_hash.insert(hash, principal).is_some() {
                return Err(problem("the same token is listed twice"));
            }
        }
        Ok(tokens)
    }

    /// Adds a token (demo mode makes its tokens at start and keeps only their hashes).
    pub fn insert(&mut self, hash: TokenHash, principal: Principal) {
        self.by_hash.insert(hash, principal);
    }

    /// Who the token belongs to, if anybody.
    pub fn find(&self, token: &str) -> Option<&Principal> {
        self.by_hash.get(&TokenHash::of(token))
    }

    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }
}

/// A token name: 1 to [`TOKEN_NAME_LEN_MAX`] characters from `a-z 0-9 - _ . @`, because it
/// becomes the actor of the events the token appends and shows in audits.
pub fn check_name(name: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.@".contains(c);
    if name.is_empty() || name.len() > TOKEN_NAME_LEN_MAX || !name.chars().all(allowed) {
        return Err(format!(
            "a token name is 1 to {TOKEN_NAME_LEN_MAX} characters from a-z, 0-9, `-`, `_`, `.`, `@`"
        ));
    }
    Ok(())
}

/// A freshly made token and the entry that lets the server accept it.
pub struct NewToken {
    /// The secret, shown once to whoever will use it.
    pub token: String,
    pub principal: Principal,
    pub hash: TokenHash,
}

impl NewToken {
    /// The token file entry (TOML) for this token: holds the hash, never the token.
    pub fn file_entry(&self) -> String {
        format!(
            "[[token]]\nname = \"{}\"\nrole = \"{}\"\nsha256 = \"{}\"\n",
            self.principal.name,
            self.principal.role,
            self.hash.to_hex()
        )
    }
}

/// Prefix of every token, so that secret scanners and people recognise one.
pub const TOKEN_PREFIX: &str = "sjl_";

/// Makes a random token (256 bits from the operating system's generator) for `name`.
pub fn new_token(name: &str, role: Role) -> Result<NewToken, String> {
    check_name(name)?;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = format!("{TOKEN_PREFIX}{}", sijill_store::hash_to_hex(&bytes));
    let hash = TokenHash::of(&token);
    Ok(NewToken {
        token,
        principal: Principal {
            name: name.into(),
            role,
        },
        hash,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
[[token]]
name = "amina"
role = "registrar"
sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
"#;

    #[test]
    fn a_listed_token_is_found_by_its_hash() {
        let tokens = Tokens::parse(FILE, "tokens.toml").unwrap();
        // 9f86...: SHA-256 of "test".
        assert_eq!(
            tokens.find("test"),
            Some(&Principal {
                name: "amina".into(),
                role: Role::Registrar
            })
        );
        assert_eq!(tokens.find("tesT"), None);
    }

    #[test]
    fn bad_entries_are_named() {
        let cases = [
            (FILE.replace("amina", "Amina"), "token file t, token 1 (`Amina`): a token name is 1 to 64 characters from a-z, 0-9, `-`, `_`, `.`, `@`"),
            (FILE.replace("9f86", "zz86"), "token file t, token 1 (`amina`): sha256 must be 64 lowercase hex digits (the token's SHA-256)"),
            (format!("{FILE}{}", FILE.replace("amina", "omar")), "token file t, token 2 (`omar`): the same token is listed twice"),
            (FILE.replace("registrar", "owner"), "token file t is not valid: unknown variant `owner`, expected one of `reader`, `registrar`, `admin`; see docs/api.md for its format"),
        ];
        for (text, expected) in cases {
            assert_eq!(Tokens::parse(&text, "t").unwrap_err().to_string(), expected);
        }
    }

    #[test]
    fn a_new_token_round_trips_through_its_file_entry() {
        let new = new_token("omar", Role::Reader).unwrap();
        assert!(new.token.starts_with(TOKEN_PREFIX) && new.token.len() == TOKEN_PREFIX.len() + 64);
        assert!(!new.file_entry().contains(&new.token));
        let tokens = Tokens::parse(&new.file_entry(), "t").unwrap();
        assert_eq!(tokens.find(&new.token).map(|p| p.role), Some(Role::Reader));
    }
}
