//! Who is calling, and what they may do.
//!
//! A request carries `Authorization: Bearer <token>`; the token's hash is looked up in the
//! token file ([`Tokens`]). Handlers state the role they need by their extractor
//! ([`AsReader`], [`AsRegistrar`], [`AsAdmin`]), which runs before the body is read, so a
//! reader's POST is refused (403) whatever its body. Missing credentials are 401, a token
//! the server does not know is 401 with `error="invalid_token"`, a valid token with too
//! small a role is 403. With anonymous reading on, a request without `Authorization` reads
//! as a reader; a bad token is still 401, never silently downgraded.
//!
//! Architecture invariant: the token never leaves this module. It is not logged, not stored
//! and not echoed in errors; only its SHA-256 is compared.

mod tokens;

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::HeaderMap;

use crate::error::ApiError;

pub use tokens::{
    check_name, new_token, NewToken, Principal, Role, TokenFileError, TokenHash, Tokens,
    TOKEN_PREFIX,
};

/// How the server authenticates: its tokens, and whether anonymous callers may read.
#[derive(Clone, Debug, Default)]
pub struct Auth {
    pub tokens: Tokens,
    pub anonymous_read: bool,
}

/// The authenticated caller of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The token's name; `None` for an anonymous reader.
    pub name: Option<String>,
    pub role: Role,
}

impl Auth {
    /// Identifies the caller from the request headers.
    pub fn identify(&self, headers: &HeaderMap) -> Result<Caller, ApiError> {
        let Some(value) = headers.get(AUTHORIZATION) else {
            if self.anonymous_read {
                return Ok(Caller {
                    name: None,
                    role: Role::Reader,
                });
            }
            return Err(ApiError::MissingToken);
        };
        let value = value
            .to_str()
            .map_err(|_| ApiError::InvalidToken("the header is not ASCII"))?;
        let token = bearer(value).ok_or(ApiError::InvalidToken("use the Bearer scheme"))?;
        let principal = self
            .tokens
            .find(token)
            .ok_or(ApiError::InvalidToken("unknown token"))?;
        Ok(Caller {
            name: Some(principal.name.clone()),
            role: principal.role,
        })
    }
}

/// The token of an `Authorization: Bearer <token>` header (the scheme is case-insensitive).
fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

impl Caller {
    fn require(self, needed: Role) -> Result<Caller, ApiError> {
        match (&self.name, self.role >= needed) {
            (_, true) => Ok(self),
            // An anonymous reader asking to write has simply not signed in.
            (None, false) => Err(ApiError::MissingToken),
            (Some(_), false) => Err(ApiError::Forbidden {
                needed,
                have: self.role,
            }),
        }
    }

    /// The actor recorded on events this caller appends.
    pub fn actor(&self) -> &str {
        self.name.as_deref().unwrap_or("anonymous")
    }
}

macro_rules! role_extractor {
    ($(#[$doc:meta])* $name:ident, $role:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name(pub Caller);

        impl<S> FromRequestParts<S> for $name
        where
            S: Send + Sync,
            Arc<Auth>: FromRef<S>,
        {
            type Rejection = ApiError;

            async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
                let auth = Arc::<Auth>::from_ref(state);
                auth.identify(&parts.headers)?.require($role).map($name)
            }
        }
    };
}

role_extractor!(
    /// A caller allowed to read (any role, or anonymous when anonymous reading is on).
    AsReader,
    Role::Reader
);
role_extractor!(
    /// A caller allowed to record commands.
    AsRegistrar,
    Role::Registrar
);
role_extractor!(
    /// A caller allowed to export the whole log.
    AsAdmin,
    Role::Admin
);

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn auth(anonymous_read: bool) -> Auth {
        let mut tokens = Tokens::default();
        let principal = Principal {
            name: "omar".into(),
            role: Role::Reader,
        };
        tokens.insert(TokenHash::of("sjl_reader"), principal);
        Auth {
            tokens,
            anonymous_read,
        }
    }

    fn outcome(auth: &Auth, header: Option<&str>, needed: Role) -> String {
        let mut headers = HeaderMap::new();
        if let Some(h) = header {
            headers.insert(AUTHORIZATION, HeaderValue::from_str(h).unwrap());
        }
        match auth.identify(&headers).and_then(|c| c.require(needed)) {
            Ok(caller) => format!("ok {} {}", caller.actor(), caller.role),
            Err(e) => format!("{} {}", e.status().as_u16(), e),
        }
    }

    #[test]
    fn missing_invalid_and_insufficient_credentials_are_told_apart() {
        let closed = auth(false);
        let open = auth(true);
        let cases = [
            (
                outcome(&closed, None, Role::Reader),
                "401 this needs a bearer token: send `Authorization: Bearer <token>`",
            ),
            (
                outcome(&closed, Some("Bearer sjl_reader"), Role::Reader),
                "ok omar reader",
            ),
            (
                outcome(&closed, Some("bearer  sjl_reader "), Role::Reader),
                "ok omar reader",
            ),
            (
                outcome(&closed, Some("Bearer nope"), Role::Reader),
                "401 the bearer token is not valid: unknown token",
            ),
            (
                outcome(&closed, Some("Basic b21hcg=="), Role::Reader),
                "401 the bearer token is not valid: use the Bearer scheme",
            ),
            (
                outcome(&closed, Some("sjl_reader"), Role::Reader),
                "401 the bearer token is not valid: use the Bearer scheme",
            ),
            (
                outcome(&closed, Some("Bearer sjl_reader"), Role::Registrar),
                "403 this needs the registrar role; the token's role is reader",
            ),
            (outcome(&open, None, Role::Reader), "ok anonymous reader"),
            (
                outcome(&open, None, Role::Registrar),
                "401 this needs a bearer token: send `Authorization: Bearer <token>`",
            ),
            (
                outcome(&open, Some("Bearer nope"), Role::Reader),
                "401 the bearer token is not valid: unknown token",
            ),
        ];
        for (got, expected) in cases {
            assert_eq!(got, expected);
        }
    }
}
