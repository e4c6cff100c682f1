//! The queries: one endpoint per `sijill_engine::query::Query`, answering its `Answer`.
//!
//! Every endpoint turns its path and query string into a `Query`, waits for `min_position`
//! if asked, runs it on one consistent snapshot, and answers the engine's `Answer` as JSON
//! (`{position, as_of, as_recorded_at, data: {"<query>": ...}}`), so a remote client
//! deserializes exactly what a local one gets. `POST /v1/query` takes a `Query` as JSON
//! for clients that already speak it (the CLI).

use axum::body::Bytes;
use axum::extract::{FromRequestParts, RawPathParams, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sijill_domain::{EdtfDate, EntityRef};
use sijill_engine::query::{Query, PAGE_LIMIT_MAX, SEARCH_LIMIT_MAX};
use utoipa::{IntoParams, IntoResponses, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::cache::AnswerKey;
use crate::api::POSITION_HEADER;
use crate::auth::AsReader;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{JsonBody, Params};
use crate::limits::MIN_POSITION_WAIT_MAX;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(post_query))
        .routes(routes!(get_tree))
        .routes(routes!(get_bodies))
        .routes(routes!(get_body))
        .routes(routes!(get_roster))
        .routes(routes!(get_representation))
        .routes(routes!(get_persons))
        .routes(routes!(get_person))
        .routes(routes!(get_areas))
        .routes(routes!(get_assemblies))
        .routes(routes!(get_assembly))
        .routes(routes!(get_mandates))
        .routes(routes!(get_mandate))
        .routes(routes!(get_history))
        .routes(routes!(get_audit))
        .routes(routes!(get_vacancies))
        .routes(routes!(get_search))
        .routes(routes!(get_stats))
        .routes(routes!(get_events))
        .routes(routes!(get_verify))
}

/// The parameters every query takes (documented here, parsed by [`Times::parse`]).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct TimesDoc {
    /// The date the question is about (EDTF: `2017`, `2017-03-04`, `2016-12/2017-01`,
    /// `2017?`); today (UTC) when absent.
    as_of: Option<String>,
    /// Answer as the registry stood after its first N events (before later corrections).
    as_recorded_at: Option<u64>,
    /// Wait (at most MIN_POSITION_WAIT_MAX, 5 s) until the registry has reached this
    /// position: pass a receipt's `position` to read your own write.
    min_position: Option<u64>,
}

/// The parameters of a list.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct PageDoc {
    /// Items to skip (default 0).
    offset: Option<usize>,
    /// Items per page (default 100, at most PAGE_LIMIT_MAX = 1000).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

/// The shape of `sijill_engine::query::Answer`, for the document.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AnswerDoc {
    /// The log position of the state that answered.
    position: u64,
    /// The date the answer is about.
    as_of: String,
    as_recorded_at: Option<u64>,
    /// One key, the query's name (`"roster"`, `"tree"`, ...), holding its result.
    #[schema(value_type = Object)]
    data: serde_json::Value,
}

/// The shape of `sijill_engine::query::Query`, for the document: `query` names the question
/// (`tree`, `roster`, `person`, `search`, ...); its arguments sit beside it (`body`, `as_of`,
/// `as_recorded_at`, `offset`, `limit`, `text`, ...).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct QueryDoc {
    query: String,
    as_of: Option<String>,
    as_recorded_at: Option<u64>,
}

#[derive(IntoResponses)]
#[allow(dead_code)]
enum QueryResponses {
    /// The answer; `Sijill-Position` repeats its `position`.
    #[response(status = 200)]
    Ok(#[to_schema] AnswerDoc),
    /// A malformed parameter (named in `details.field`).
    #[response(status = 400)]
    BadRequest(#[to_schema] ErrorBody),
    /// No token, or an unknown one.
    #[response(status = 401)]
    Unauthenticated(ErrorBody),
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// The entity named is not in the registry (at that time).
    #[response(status = 404)]
    NotFound(ErrorBody),
    /// `min_position` is past the end of the log.
    #[response(status = 422)]
    Unprocessable(ErrorBody),
    /// The registry did not reach `min_position` in time; retry.
    #[response(status = 503)]
    Unavailable(ErrorBody),
}

const TIMES: [&str; 3] = ["as_of", "as_recorded_at", "min_position"];

/// The times a query is asked at.
struct Times {
    as_of: Option<EdtfDate>,
    as_recorded_at: Option<u64>,
    min_position: Option<u64>,
}

impl Times {
    fn parse(params: &Params) -> Result<Times, ApiError> {
        Ok(Times {
            as_of: params.get("as_of")?,
            as_recorded_at: params.get("as_recorded_at")?,
            min_position: params.get("min_position")?,
        })
    }
}

/// Checks the parameters, builds the query, waits for `min_position`, and answers.
async fn answer(
    state: &AppState,
    params: Params,
    extra: &[&str],
    build: impl FnOnce(&Params, Times) -> Result<Query, ApiError>,
) -> Result<Response, ApiError> {
    let allowed: Vec<&str> = TIMES.iter().chain(extra).copied().collect();
    let params = params.allow(&allowed)?;
    let times = Times::parse(&params)?;
    let min_position = times.min_position;
    let query = build(&params, times)?;
    run(state, &query, min_position).await
}

async fn run(
    state: &AppState,
    query: &Query,
    min_position: Option<u64>,
) -> Result<Response, ApiError> {
    if let Some(min) = min_position {
        reach(state, min).await?;
    }
    let query_json =
        serde_json::to_string(query).map_err(|e| ApiError::internal("encoding a query", &e))?;
    let key = AnswerKey {
        query: query_json,
        position: state.engine().snapshot().position,
        today: chrono::Utc::now().date_naive(),
    };
    if let Some(json) = state.answers().get(&key) {
        return Ok(json_bytes(key.position_of_answer(query), json));
    }
    let answer = state.engine().query(query).await?;
    let json =
        serde_json::to_vec(&answer).map_err(|e| ApiError::internal("encoding an answer", &e))?;
    let json = Bytes::from(json);
    // Only an answer read at the key's position may stand for it.
    if answer.position == key.position_of_answer(query) {
        state.answers().insert(key, json.clone());
    }
    Ok(json_bytes(answer.position, json))
}

fn json_bytes(position: u64, json: Bytes) -> Response {
    let mut response = (StatusCode::OK, json).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(POSITION_HEADER, HeaderValue::from(position));
    response
}

/// Waits until the published state includes `min`. A position past the end of the log is
/// the caller's mistake (no receipt names it), so it is refused at once instead of waited on.
async fn reach(state: &AppState, min: u64) -> Result<(), ApiError> {
    let engine = state.engine();
    if engine.snapshot().position >= min {
        return Ok(());
    }
    let head = engine
        .store()
        .head()
        .await
        .map_err(|e| ApiError::internal("reading the log head", &e))?;
    if min > head.position {
        let message = format!(
            "min_position {min} is past the end of the log (position {}): pass the position of a receipt",
            head.position
        );
        let details = [("field".to_string(), "min_position".into())]
            .into_iter()
            .collect();
        return Err(ApiError::Unprocessable {
            code: "position_not_reached",
            message,
            details,
        });
    }
    engine.wait_for(min, MIN_POSITION_WAIT_MAX).await?;
    Ok(())
}

/// Parses `offset` and `limit`, within PAGE_LIMIT_MAX.
fn page(params: &Params, max: usize) -> Result<(usize, Option<usize>), ApiError> {
    let offset = params.get::<usize>("offset")?.unwrap_or(0);
    let limit = params.get::<usize>("limit")?;
    if let Some(limit) = limit.filter(|&l| l == 0 || l > max) {
        return Err(ApiError::bad_request(
            format!("limit is {limit}; give 1 to {max}"),
            "limit",
        ));
    }
    Ok((offset, limit))
}

const PAGE: [&str; 2] = ["offset", "limit"];

/// The entity a path names (`@handle` or a UUID), parsed with the path parameter's name.
struct Entity(EntityRef);

impl<S: Send + Sync> FromRequestParts<S> for Entity {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let raw = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::bad_request("the path is not valid UTF-8", "path"))?;
        let (name, value) = raw
            .iter()
            .next()
            .ok_or_else(|| ApiError::bad_request("the path names no entity", "path"))?;
        value
            .parse()
            .map(Entity)
            .map_err(|e| ApiError::bad_request(format!("{name} `{value}` is not valid: {e}"), name))
    }
}

/// Runs any query given as JSON (`{"query": "roster", "body": "@x", ...}`), as the CLI
/// builds them; `min_position` may be given in the query string.
#[utoipa::path(
    post,
    path = "/v1/query",
    tag = "queries",
    params(("min_position" = Option<u64>, Query, description = "Wait until the registry reaches this position")),
    request_body(content = QueryDoc, description = "A `sijill_engine::query::Query`: `query` names it, the other fields are its arguments"),
    responses(QueryResponses, (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)),
    security((), ("bearer" = []))
)]
async fn post_query(
    State(state): State<AppState>,
    _: AsReader,
    params: Params,
    JsonBody(query): JsonBody<Query>,
) -> Result<Response, ApiError> {
    let params = params.allow(&["min_position"])?;
    run(&state, &query, params.get("min_position")?).await
}

/// Declares a GET query endpoint: its path, documentation, extra parameters and the
/// `Query` it builds.
macro_rules! query_endpoint {
    ($(#[$doc:meta])* $name:ident, $path:literal, params($($param:tt)*), extra = $extra:expr,
     |$params:ident, $times:ident $(, $entity:ident)?| $build:expr) => {
        $(#[$doc])*
        #[utoipa::path(get, path = $path, tag = "queries", params($($param)* TimesDoc),
            responses(QueryResponses), security((), ("bearer" = [])))]
        async fn $name(
            State(state): State<AppState>,
            _: AsReader,
            $(Entity($entity): Entity,)?
            params: Params,
        ) -> Result<Response, ApiError> {
            answer(&state, params, &$extra, |$params: &Params, $times: Times| Ok($build)).await
        }
    };
}

const NO_EXTRA: [&str; 0] = [];

query_endpoint!(
    /// The forest of bodies as of a date.
    get_tree, "/v1/tree", params(), extra = NO_EXTRA,
    |_p, t| Query::Tree { as_of: t.as_of, as_recorded_at: t.as_recorded_at }
);
query_endpoint!(
    /// Every body, by handle, paged.
    get_bodies, "/v1/bodies", params(PageDoc,), extra = PAGE,
    |p, t| {
        let (offset, limit) = page(p, PAGE_LIMIT_MAX)?;
        Query::Bodies { as_of: t.as_of, as_recorded_at: t.as_recorded_at, offset, limit }
    }
);
query_endpoint!(
    /// One body: names over time, parent, posts, sub-bodies, assemblies.
    get_body, "/v1/bodies/{body}", params(("body" = String, Path, description = "`@handle` or UUID"),), extra = NO_EXTRA,
    |_p, t, body| Query::Body { body, as_of: t.as_of, as_recorded_at: t.as_recorded_at }
);
query_endpoint!(
    /// Who holds each post of a body, each entry `certain` or `possible`.
    get_roster, "/v1/bodies/{body}/roster", params(("body" = String, Path, description = "`@handle` or UUID"),), extra = NO_EXTRA,
    |_p, t, body| Query::Roster { body, as_of: t.as_of, as_recorded_at: t.as_recorded_at }
);
query_endpoint!(
    /// Which constituencies a body's members represent, and the gender shares.
    get_representation, "/v1/bodies/{body}/representation", params(("body" = String, Path, description = "`@handle` or UUID"),), extra = NO_EXTRA,
    |_p, t, body| Query::Representation { body, as_of: t.as_of, as_recorded_at: t.as_recorded_at }
);
query_endpoint!(
    /// Every person, by handle, paged.
    get_persons, "/v1/persons", params(PageDoc,), extra = PAGE,
    |p, t| {
        let (offset, limit) = page(p, PAGE_LIMIT_MAX)?;
        Query::Persons { as_of: t.as_of, as_recorded_at: t.as_recorded_at, offset, limit }
    }
);
query_endpoint!(
    /// One person and every mandate they hold or held.
    get_person, "/v1/persons/{person}", params(("person" = String, Path, description = "`@handle` or UUID"),), extra = NO_EXTRA,
    |_p, t, person| Query::Person { person, as_of: t.as_of, as_recorded_at: t.as_recorded_at }
);
query_endpoint!(
    /// Every area, by handle, paged.
    get_areas, "/v1/areas", params(PageDoc,), extra = PAGE,
    |p, t| {
        let (offset, limit) = page(p, PAGE_LIMIT_MAX)?;
        Query::Areas { as_of: t.as_of, as_recorded_at: t.as_recorded_at, offset, limit }
    }
);
query_endpoint!(
    /// Every assembly, by handle, paged.
    get_assemblies, "/v1/assemblies", params(PageDoc,), extra = PAGE,
    |p, t| {
        let (offset, limit) = page(p, PAGE_LIMIT_MAX)?;
        Query::Assemblies { as_of: t.as_of, as_recorded_at: t.as_recorded_at, offset, limit }
    }
);
query_endpoint!(
    /// One assembly: attendance, resolutions, the mandates decided there.
    get_assembly, "/v1/assemblies/{assembly}", params(("assembly" = String, Path, description = "`@handle` or UUID"),), extra = NO_EXTRA,
    |_p, t, assembly| Query::Assembly { assembly, as_of: t.as_of, as_recorded_at: t.as_recorded_at }
);
query_endpoint!(
    /// Every mandate, in log order, paged.
    get_mandates, "/v1/mandates", params(PageDoc,), extra = PAGE,
    |p, t| {
        let (offset, limit) = page(p, PAGE_LIMIT_MAX)?;
        Query::Mandates { as_of: t.as_of, as_recorded_at: t.as_recorded_at, offset, limit }
    }
);
query_endpoint!(
    /// One mandate.
    get_mandate, "/v1/mandates/{mandate}", params(("mandate" = String, Path, description = "`@handle` or UUID"),), extra = NO_EXTRA,
    |_p, t, mandate| Query::Mandate { mandate, as_of: t.as_of, as_recorded_at: t.as_recorded_at }
);
query_endpoint!(
    /// The stored events concerning an entity, from position `from` on, paged.
    get_history, "/v1/history/{entity}",
    params(("entity" = String, Path, description = "`@handle` or UUID"),
           ("from" = Option<u64>, Query, description = "First position (default 1)"),
           ("limit" = Option<usize>, Query, description = "Entries per page (at most 1000)", minimum = 1, maximum = 1000),),
    extra = ["from", "limit"],
    |p, t, entity| {
        let (_, limit) = page(p, PAGE_LIMIT_MAX)?;
        let from = p.get::<u64>("from")?.unwrap_or(1);
        Query::History { entity, from, limit, as_of: t.as_of, as_recorded_at: t.as_recorded_at }
    }
);
query_endpoint!(
    /// How a mandate came to be (basis, assembly, vote, constituency) and on whose record;
    /// for a person, that of each of their mandates.
    get_audit, "/v1/audit/{entity}", params(("entity" = String, Path, description = "A mandate or a person: `@handle` or UUID"),), extra = NO_EXTRA,
    |_p, t, entity| Query::Audit { entity, as_of: t.as_of, as_recorded_at: t.as_recorded_at }
);
query_endpoint!(
    /// Posts with seats not (surely) held, paged.
    get_vacancies, "/v1/vacancies", params(PageDoc,), extra = PAGE,
    |p, t| {
        let (offset, limit) = page(p, PAGE_LIMIT_MAX)?;
        Query::Vacancies { as_of: t.as_of, as_recorded_at: t.as_recorded_at, offset, limit }
    }
);
query_endpoint!(
    /// People, bodies, areas and posts by name, in any script and word order (Arabic
    /// spelling variants folded).
    get_search, "/v1/search",
    params(("text" = String, Query, description = "What to look for"),
           ("limit" = Option<usize>, Query, description = "Results (default 20, at most 100)", minimum = 1, maximum = 100),),
    extra = ["text", "limit"],
    |p, t| {
        let (_, limit) = page(p, SEARCH_LIMIT_MAX)?;
        Query::Search { text: p.require("text")?, limit, as_of: t.as_of, as_recorded_at: t.as_recorded_at }
    }
);
query_endpoint!(
    /// How many entities and events the registry holds.
    get_stats, "/v1/stats", params(), extra = NO_EXTRA,
    |_p, t| Query::Stats { as_of: t.as_of, as_recorded_at: t.as_recorded_at }
);
query_endpoint!(
    /// The log, decoded, from position `from` on, paged (`data.log.next` is the next page's
    /// `from`). For the stored bytes, use the stream or the export.
    get_events, "/v1/events",
    params(("from" = Option<u64>, Query, description = "First position (default 1)"),
           ("limit" = Option<usize>, Query, description = "Events per page (default 100, at most 1000)", minimum = 1, maximum = 1000),),
    extra = ["from", "limit"],
    |p, t| {
        let (_, limit) = page(p, sijill_engine::query::LOG_LIMIT_MAX)?;
        let from = p.get::<u64>("from")?.unwrap_or(1);
        Query::Log { from, limit, as_of: t.as_of, as_recorded_at: t.as_recorded_at }
    }
);
query_endpoint!(
    /// Recomputes the hash chain over `from..=to` (default: the whole log); `ok` false names
    /// the first position that does not verify.
    get_verify, "/v1/verify",
    params(("from" = Option<u64>, Query, description = "First position (default 1)"),
           ("to" = Option<u64>, Query, description = "Last position (default: the head)"),),
    extra = ["from", "to"],
    |p, t| Query::Verify { from: p.get("from")?, to: p.get("to")?, as_of: t.as_of, as_recorded_at: t.as_recorded_at }
);
