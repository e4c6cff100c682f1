//! Reading request input so that every mistake names its field.
//!
//! axum's own extractors answer with plain-text errors that do not say which field was wrong;
//! these answer with [`ApiError`]s that do. Query parameters are parsed one by one
//! ([`Params`]), unknown ones refused (a typo such as `as-of` must not silently mean "today");
//! JSON bodies are parsed with the path of the failing field (`commands[2].from`).

use std::collections::HashMap;
use std::fmt::Display;
use std::str::FromStr;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::limits::REQUEST_BODY_BYTES_MAX;

/// The query string, parsed into name/value pairs, each name at most once.
#[derive(Debug, Default)]
pub struct Params(HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Params::parse(parts.uri.query().unwrap_or(""))
    }
}

impl Params {
    pub fn parse(query: &str) -> Result<Params, ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).map_err(|e| {
            ApiError::bad_request(format!("the query string is not valid: {e}"), "query")
        })?;
        let mut map = HashMap::with_capacity(pairs.len());
        for (name, value) in pairs {
            if map.contains_key(&name) {
                return Err(ApiError::bad_request(
                    format!("parameter `{name}` is given twice"),
                    &name,
                ));
            }
            map.insert(name, value);
        }
        Ok(Params(map))
    }

    /// Refuses any parameter not in `allowed`, naming it and the ones that are.
    pub fn allow(self, allowed: &[&str]) -> Result<Params, ApiError> {
        let mut names: Vec<&String> = self
            .0
            .keys()
            .filter(|k| !allowed.contains(&k.as_str()))
            .collect();
        names.sort();
        if let Some(name) = names.first() {
            let known = if allowed.is_empty() {
                "none".to_string()
            } else {
                allowed.join(", ")
            };
            let message = format!("unknown parameter `{name}`; this endpoint takes: {known}");
            return Err(ApiError::bad_request(message, name));
        }
        Ok(self)
    }

    /// The parameter `name` parsed as `T`, if given.
    pub fn get<T>(&self, name: &str) -> Result<Option<T>, ApiError>
    where
        T: FromStr,
        T::Err: Display,
    {
        let Some(text) = self.0.get(name) else {
            return Ok(None);
        };
        text.parse().map(Some).map_err(|e| {
            ApiError::bad_request(
                format!("parameter `{name}` = {text:?} is not valid: {e}"),
                name,
            )
        })
    }

    /// The parameter `name`, which the endpoint needs.
    pub fn require<T>(&self, name: &str) -> Result<T, ApiError>
    where
        T: FromStr,
        T::Err: Display,
    {
        self.get(name)?
            .ok_or_else(|| ApiError::bad_request(format!("parameter `{name}` is missing"), name))
    }
}

/// A JSON request body of type `T`. Needs `Content-Type: application/json`.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(';')
                    .next()
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
            });
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge {
                        max: REQUEST_BODY_BYTES_MAX,
                    }
                } else {
                    ApiError::bad_request("the request body could not be read", "body")
                }
            })?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// Parses JSON, naming the path of the field at fault (`commands[1].from`).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let code = if inner.is_syntax() || inner.is_eof() {
            "invalid_json"
        } else {
            "invalid_input"
        };
        let field = if path == "." {
            "body".to_string()
        } else {
            path
        };
        let message = format!("{field}: {inner}");
        ApiError::BadRequest {
            code,
            message,
            field: Some(field),
        }
    })?;
    deserializer.end().map_err(|e| ApiError::BadRequest {
        code: "invalid_json",
        message: format!("body: {e}"),
        field: Some("body".into()),
    })?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Batch {
        commands: Vec<Item>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        n: u32,
    }

    fn error_of(result: Result<impl std::fmt::Debug, ApiError>) -> String {
        let e = result.unwrap_err();
        format!("{} {}", e.status().as_u16(), e)
    }

    #[test]
    fn json_errors_name_the_field() {
        let cases = [
            (
                r#"{"commands":[{"n":1},{"n":"x"}]}"#,
                "400 commands[1].n: invalid type: string \"x\", expected u32 at line 1 column 29",
            ),
            (
                r#"{"commands":[{"m":1}]}"#,
                "400 commands[0].m: unknown field `m`, expected `n` at line 1 column 17",
            ),
            (
                r#"{"commands":"#,
                "400 commands: EOF while parsing a value at line 1 column 12",
            ),
            (
                r#"{"commands":[]} x"#,
                "400 body: trailing characters at line 1 column 17",
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(error_of(parse_json::<Batch>(body.as_bytes())), expected);
        }
    }

    #[test]
    fn parameters_are_named_when_wrong_or_unknown() {
        let params = |q: &str| Params::parse(q).and_then(|p| p.allow(&["limit", "from"]));
        assert_eq!(
            params("limit=5").unwrap().get::<u64>("limit").unwrap(),
            Some(5)
        );
        let cases = [
            (
                error_of(params("limit=5&as-of=2017")),
                "400 unknown parameter `as-of`; this endpoint takes: limit, from",
            ),
            (
                error_of(params("limit=1&limit=2")),
                "400 parameter `limit` is given twice",
            ),
            (
                error_of(params("limit=x").unwrap().get::<u64>("limit")),
                "400 parameter `limit` = \"x\" is not valid: invalid digit found in string",
            ),
            (
                error_of(params("").unwrap().require::<u64>("from")),
                "400 parameter `from` is missing",
            ),
        ];
        for (got, expected) in cases {
            assert_eq!(got, expected);
        }
    }
}
