//! The web registry's pages (server-rendered HTML), merged beside the JSON API by
//! [`crate::app`]. Routes here live outside `/v1` and outside the OpenAPI document.
//!
//! Every page is rendered on the server from a few engine answers (or one snapshot) and works
//! without JavaScript; `assets/site.js` only adds search as you type, submits the date
//! control on change and shows each recording row's inputs for its command. Assets are
//! embedded with `include_str!`: the pages never reach the network. See docs/web.md.
//!
//! Architecture invariant: the web holds no rule. It reads through the engine's queries and
//! records through one `Submission` per form, so it can do nothing the API cannot.

mod charts;
mod html;
mod lang;
mod pages;
mod record;
mod session;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use sijill_domain::EdtfDate;
use sijill_engine::query::{Answer, Query};
use sijill_engine::{EngineError, Snapshot};

use crate::state::AppState;
use html::{esc, Frame};
pub use lang::Lang;
use session::{Session, Sessions};

/// The pages' routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::overview))
        .route("/tree", get(pages::tree))
        .route("/body/{seg}", get(pages::body))
        .route("/person/{seg}", get(pages::person))
        .route("/assembly/{seg}", get(pages::assembly))
        .route("/mandate/{seg}", get(pages::audit))
        .route("/post/{seg}", get(pages::post))
        .route("/area/{seg}", get(pages::area))
        .route("/log", get(pages::log))
        .route("/search", get(pages::search))
        .route("/search/suggest", get(pages::suggest))
        .route("/lang/{code}", get(set_lang))
        .route("/signin", get(record::signin_form).post(record::signin))
        .route("/signout", post(record::signout))
        .route("/record", get(record::form).post(record::submit))
        .route("/assets/site.css", get(css))
        .route("/assets/site.js", get(js))
        .layer(Extension(Arc::new(Sessions::default())))
}

/// What every page handler needs to know about the request: language, session, the dates
/// asked for, and where it is.
pub struct Ctx {
    pub lang: Lang,
    pub session: Option<(String, Session)>,
    pub as_of: Option<EdtfDate>,
    pub as_recorded_at: Option<u64>,
    pub path: String,
    /// The query string's pairs, for page-specific filters.
    pub params: Vec<(String, String)>,
    /// The request's headers (cookies beyond the session's, such as the sign-in form's).
    pub headers: HeaderMap,
    /// The request came over https (a proxy says so): session cookies are then `Secure`.
    pub https: bool,
    /// The reader asked for the chain to be verified (the audit page's button).
    pub verify: bool,
    pub state: AppState,
    pub sessions: Arc<Sessions>,
}

/// A page that could not be rendered: the status and a message for the reader.
pub struct PageError {
    status: StatusCode,
    lang: Lang,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let frame = Frame {
            lang: self.lang,
            title: lang::t(self.lang, "error").to_owned(),
            path: "/",
            query: &[],
            csrf: None,
            position: 0,
            as_recorded_at: None,
        };
        let body = format!(
            "<p class=\"error\" role=\"alert\">{}</p>",
            esc(&self.message)
        );
        (self.status, html_headers(), html::page(&frame, &body)).into_response()
    }
}

fn html_headers() -> [(header::HeaderName, &'static str); 3] {
    [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        // The pages need no third party: forbid everything else, including framing.
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ]
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            v.split(';').find_map(|kv| {
                let (k, val) = kv.trim().split_once('=')?;
                (k == name).then(|| val.to_owned())
            })
        })
}

fn query_pairs(parts: &Parts) -> Vec<(String, String)> {
    parts
        .uri
        .query()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default()
}

fn find_param(params: &[(String, String)], name: &str) -> Option<String> {
    params
        .iter()
        .find(|(k, v)| k == name && !v.trim().is_empty())
        .map(|(_, v)| v.trim().to_owned())
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Ctx, Response> {
        let lang = cookie(&parts.headers, "lang")
            .and_then(|c| Lang::parse(&c))
            .unwrap_or(Lang::Fr);
        let sessions = parts
            .extensions
            .get::<Arc<Sessions>>()
            .cloned()
            .unwrap_or_default();
        let session = cookie(&parts.headers, SESSION_COOKIE)
            .and_then(|id| sessions.get(&id).map(|s| (id, s)));
        let bad = |message: String| {
            PageError {
                status: StatusCode::BAD_REQUEST,
                lang,
                message,
            }
            .into_response()
        };
        let params = query_pairs(parts);
        let as_of = match find_param(&params, "as_of") {
            Some(d) => Some(
                d.parse::<EdtfDate>()
                    .map_err(|e| bad(format!("as_of: {e}")))?,
            ),
            None => None,
        };
        let as_recorded_at = match find_param(&params, "as_recorded_at") {
            Some(p) => Some(
                p.parse::<u64>()
                    .map_err(|_| bad("as_recorded_at: give a log position".into()))?,
            ),
            None => None,
        };
        let path = parts.uri.path().to_owned();
        let public =
            path == "/signin" || path.starts_with("/assets/") || path.starts_with("/lang/");
        if !state.auth().anonymous_read && session.is_none() && !public {
            // Back to this very page once signed in.
            let here = match parts.uri.query() {
                Some(q) => format!("{path}?{q}"),
                None => path.clone(),
            };
            let to = format!("/signin?next={}", html::url(&here));
            return Err(Redirect::to(&to).into_response());
        }
        let verify = find_param(&params, "verify").is_some();
        let https = forwarded_https(&parts.headers);
        Ok(Ctx {
            lang,
            session,
            as_of,
            as_recorded_at,
            path,
            params,
            headers: parts.headers.clone(),
            https,
            verify,
            state: state.clone(),
            sessions,
        })
    }
}

pub const SESSION_COOKIE: &str = "sijill_session";

/// Whether a proxy in front says the browser reached it over https (`X-Forwarded-Proto` or
/// `Forwarded: proto=https`). The server itself speaks plain HTTP; the answer only decides
/// whether cookies carry `Secure`, which browsers refuse to send back over plain HTTP.
fn forwarded_https(headers: &HeaderMap) -> bool {
    let value = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default()
    };
    value("x-forwarded-proto").trim() == "https" || value("forwarded").contains("proto=https")
}

impl Ctx {
    /// Asks the engine, with this request's dates filled in.
    pub async fn ask(&self, mut query: serde_json::Value) -> Result<Answer, PageError> {
        if let Some(d) = &self.as_of {
            query["as_of"] = d.to_string().into();
        }
        if let Some(p) = self.as_recorded_at {
            query["as_recorded_at"] = p.into();
        }
        let query: Query = serde_json::from_value(query)
            .map_err(|e| self.error(StatusCode::BAD_REQUEST, e.to_string()))?;
        self.state
            .engine()
            .query(&query)
            .await
            .map_err(|e| self.engine_error(e))
    }

    /// The state this page reads: now, or as recorded at the position asked.
    pub async fn snapshot(&self) -> Result<Snapshot, PageError> {
        match self.as_recorded_at {
            Some(p) => self
                .state
                .engine()
                .as_recorded_at(p)
                .await
                .map_err(|e| self.engine_error(e)),
            None => Ok(self.state.engine().snapshot()),
        }
    }

    pub fn error(&self, status: StatusCode, message: String) -> PageError {
        PageError {
            status,
            lang: self.lang,
            message,
        }
    }

    pub fn engine_error(&self, e: EngineError) -> PageError {
        let status = match &e {
            EngineError::NotFound { .. } => StatusCode::NOT_FOUND,
            EngineError::Rejected { error, .. } if error.is_not_found() => StatusCode::NOT_FOUND,
            EngineError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            e if e.is_user_error() => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::SERVICE_UNAVAILABLE,
        };
        // Internal causes stay in the server's log, as for the API.
        let message = if status == StatusCode::SERVICE_UNAVAILABLE {
            tracing::error!(error = %e, "a page could not be rendered");
            "the registry cannot answer right now; try again".to_owned()
        } else {
            e.to_string()
        };
        self.error(status, message)
    }

    /// A query-string parameter (trimmed; empty counts as absent).
    pub fn param(&self, name: &str) -> Option<String> {
        find_param(&self.params, name)
    }

    /// The query string that keeps this request's dates on links.
    pub fn keep(&self) -> String {
        let mut parts = Vec::new();
        if let Some(d) = &self.as_of {
            parts.push(format!("as_of={}", html::url(&d.to_string())));
        }
        if let Some(p) = self.as_recorded_at {
            parts.push(format!("as_recorded_at={p}"));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }

    /// The attributes every cookie of ours carries: `Secure` only over https, where the
    /// browser will send it back.
    pub fn cookie_attributes(&self) -> &'static str {
        if self.https {
            "; Path=/; HttpOnly; Secure; SameSite=Strict"
        } else {
            "; Path=/; HttpOnly; SameSite=Strict"
        }
    }

    /// Renders a whole page.
    pub fn render(&self, title: String, position: u64, body: &str) -> Response {
        let frame = Frame {
            lang: self.lang,
            title,
            path: &self.path,
            query: &self.params,
            csrf: self.session.as_ref().map(|(_, s)| s.csrf.as_str()),
            position,
            as_recorded_at: self.as_recorded_at,
        };
        (html_headers(), html::page(&frame, body)).into_response()
    }
}

/// An entity reference from a URL segment: a UUID, or a handle without its `@`.
pub fn entity_ref(seg: &str) -> String {
    if uuid::Uuid::parse_str(seg).is_ok() {
        seg.to_owned()
    } else {
        format!("@{seg}")
    }
}

/// A path of this site to go back to (`back`, `next`): local paths only, never an open
/// redirect to another site.
pub fn local_path(path: &str) -> Option<&str> {
    (path.starts_with('/') && !path.starts_with("//") && !path.contains('\\')).then_some(path)
}

/// Remembers the language for a year and goes back where the reader was.
async fn set_lang(Path(code): Path<String>, uri: axum::http::Uri) -> Response {
    let lang = Lang::parse(&code).unwrap_or(Lang::Fr);
    let back = uri
        .query()
        .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .and_then(|v| v.into_iter().find(|(k, _)| k == "back").map(|(_, v)| v))
        // Only local paths: never an open redirect.
        .filter(|b| local_path(b).is_some())
        .unwrap_or_else(|| "/".to_owned());
    let cookie = format!(
        "lang={}; Path=/; Max-Age=31536000; SameSite=Lax",
        lang.code()
    );
    ([(header::SET_COOKIE, cookie)], Redirect::to(&back)).into_response()
}

/// How long browsers may reuse the assets without asking: short, since a new binary may
/// bring new ones under the same names.
const ASSET_CACHE_CONTROL: &str = "public, max-age=3600";

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, ASSET_CACHE_CONTROL),
        ],
        include_str!("assets/site.css"),
    )
        .into_response()
}

async fn js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, ASSET_CACHE_CONTROL),
        ],
        include_str!("assets/site.js"),
    )
        .into_response()
}

/// A redirect answer used after a successful post (post/redirect/get).
pub fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response()
}
