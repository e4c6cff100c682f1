//! The API driven through `app(state).oneshot(..)`, without a socket: every route, and every
//! kind of error, given a small registry.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use futures::StreamExt;
use serde_json::{json, Value};
use sijill_engine::{Engine, EngineOptions};
use sijill_store::MemoryStore;
use tower::ServiceExt;

use crate::auth::{Auth, Principal, Role, TokenHash, Tokens};
use crate::{app, AppState};

const READER: &str = "sjl_test_reader";
const REGISTRAR: &str = "sjl_test_registrar";
const ADMIN: &str = "sjl_test_admin";

/// Who sends a request.
#[derive(Clone, Copy)]
enum As {
    Nobody,
    Reader,
    Registrar,
    Admin,
    Stranger,
}

impl As {
    fn token(self) -> Option<&'static str> {
        match self {
            As::Nobody => None,
            As::Reader => Some(READER),
            As::Registrar => Some(REGISTRAR),
            As::Admin => Some(ADMIN),
            As::Stranger => Some("sjl_unknown"),
        }
    }
}

struct Server {
    app: Router,
    engine: Engine,
}

/// What a response said, reduced to what tests compare.
#[derive(Debug)]
struct Reply {
    status: u16,
    position: Option<u64>,
    challenge: Option<String>,
    body: Value,
}

impl Reply {
    /// `status code details` of an error, for one-line expectations.
    fn error(&self) -> String {
        format!(
            "{} {} {}",
            self.status,
            self.body["code"].as_str().unwrap_or("?"),
            self.body["details"]
        )
    }
}

async fn server(anonymous_read: bool) -> Server {
    let engine = Engine::open(Arc::new(MemoryStore::new()), EngineOptions::default())
        .await
        .unwrap();
    let mut tokens = Tokens::default();
    for (token, name, role) in [
        (READER, "reader", Role::Reader),
        (REGISTRAR, "amina", Role::Registrar),
        (ADMIN, "root", Role::Admin),
    ] {
        tokens.insert(
            TokenHash::of(token),
            Principal {
                name: name.into(),
                role,
            },
        );
    }
    let state = AppState::new(
        engine.clone(),
        Auth {
            tokens,
            anonymous_read,
        },
    );
    Server {
        app: app(state),
        engine,
    }
}

impl Server {
    async fn call(&self, who: As, method: Method, uri: &str, body: Option<&str>) -> Reply {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(token) = who.token() {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        if body.is_some() {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        let request = request
            .body(Body::from(body.unwrap_or("").to_owned()))
            .unwrap();
        let response = self.app.clone().oneshot(request).await.unwrap();
        let header = |name| {
            response
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
        };
        let position = header("sijill-position").map(|p| p.parse().unwrap());
        let challenge = header("www-authenticate");
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let body = serde_json::from_slice(&bytes)
            .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()));
        Reply {
            status,
            position,
            challenge,
            body,
        }
    }

    async fn get(&self, who: As, uri: &str) -> Reply {
        self.call(who, Method::GET, uri, None).await
    }

    async fn post(&self, who: As, body: &Value) -> Reply {
        self.call(who, Method::POST, "/v1/commands", Some(&body.to_string()))
            .await
    }
}

/// A body, a post in it, a person holding it.
fn founding() -> Value {
    json!({
        "command_id": "founding-1",
        "source": "press report, 2016-12-12",
        "commands": [
            {"command": "found_body", "handle": "@coordination", "name": "Coordination", "kind": "provincial-coordination", "founded_on": "2016-12-11"},
            {"command": "establish_post", "handle": "@coordinator", "body": "@coordination", "title": "Coordinator", "seats": 1},
            {"command": "register_person", "handle": "@achraf", "name": "Achraf Chahboun"},
            {"command": "start_mandate", "person": "@achraf", "post": "@coordinator", "from": "2016-12-11", "basis": "elected_unanimously"},
        ]
    })
}

#[tokio::test]
async fn a_registrar_records_a_batch_and_a_retry_returns_the_first_receipt() {
    let server = server(false).await;
    let first = server.post(As::Registrar, &founding()).await;
    assert_eq!((first.status, first.position), (201, Some(4)));
    assert_eq!(first.body["first"], 1);
    assert_eq!(first.body["last"], 4);
    assert_eq!(first.body["command_id"], "founding-1");
    assert_eq!(first.body["created"].as_array().map(Vec::len), Some(4));

    let retry = server.post(As::Registrar, &founding()).await;
    assert_eq!(
        (retry.status, retry.body["deduplicated"].clone()),
        (200, json!(true))
    );
    assert_eq!(retry.body["created"], first.body["created"]);

    let events = server.get(As::Reader, "/v1/events").await;
    let entries = events.body["data"]["log"]["entries"].as_array().unwrap();
    let actors: Vec<&str> = entries
        .iter()
        .map(|e| e["actor"].as_str().unwrap())
        .collect();
    assert_eq!(actors, ["amina"; 4]);
    assert_eq!(entries[0]["source"], "press report, 2016-12-12");
}

#[tokio::test]
async fn credentials_are_checked_before_the_body_is_read() {
    let server = server(false).await;
    let cases = [
        (As::Nobody, "401 unauthenticated {}"),
        (As::Stranger, "401 invalid_token {}"),
        (
            As::Reader,
            r#"403 forbidden {"needed":"registrar","role":"reader"}"#,
        ),
    ];
    for (who, expected) in cases {
        let reply = server
            .call(who, Method::POST, "/v1/commands", Some("not json"))
            .await;
        assert_eq!(reply.error(), expected);
    }
    let missing = server.get(As::Nobody, "/v1/tree").await;
    assert_eq!(
        missing.challenge.as_deref(),
        Some(r#"Bearer realm="sijill""#)
    );
    let invalid = server.get(As::Stranger, "/v1/tree").await;
    assert_eq!(
        invalid.challenge.as_deref(),
        Some(r#"Bearer realm="sijill", error="invalid_token""#)
    );
    let registrar_exports = server.get(As::Registrar, "/v1/export").await;
    assert_eq!(
        registrar_exports.error(),
        r#"403 forbidden {"needed":"admin","role":"registrar"}"#
    );
}

#[tokio::test]
async fn interchange_exports_stream_every_format_and_name_what_is_wrong() {
    let server = server(false).await;
    assert_eq!(server.post(As::Registrar, &founding()).await.status, 201);

    let popolo = server.get(As::Reader, "/v1/export/popolo").await;
    assert_eq!((popolo.status, popolo.position), (200, Some(4)));
    assert_eq!(popolo.body["persons"][0]["name"], "Achraf Chahboun");
    assert_eq!(popolo.body["memberships"].as_array().map(Vec::len), Some(1));
    let text = |reply: Reply| reply.body.as_str().unwrap_or_default().to_owned();
    let csv = text(
        server
            .get(As::Reader, "/v1/export/csv?body=@coordination")
            .await,
    );
    assert!(csv.contains("Achraf Chahboun"), "{csv}");
    let dot = text(server.get(As::Reader, "/v1/export/dot?as_of=2017").await);
    assert!(
        dot.starts_with("digraph") && dot.contains("Coordination"),
        "{dot}"
    );
    let before = text(server.get(As::Reader, "/v1/export/dot?as_of=2015").await);
    assert!(!before.contains("Coordination"), "{before}");
    let turtle = text(server.get(As::Reader, "/v1/export/org-turtle").await);
    assert!(turtle.contains("org:Membership"), "{turtle}");
    let jsonld = server.get(As::Reader, "/v1/export/org-jsonld").await;
    assert!(jsonld.body["@context"].is_object(), "{}", jsonld.body);

    for (uri, expected) in [
        ("/v1/export/xml", r#"404 not_found {"field":"format"}"#),
        (
            "/v1/export/popolo?body=@coordination",
            r#"400 bad_request {"field":"body"}"#,
        ),
        (
            "/v1/export/csv?body=@nobody",
            r#"404 not_found {"field":"body"}"#,
        ),
        (
            "/v1/export/csv?body=@achraf",
            r#"400 bad_request {"field":"body"}"#,
        ),
        (
            "/v1/export/dot?as_of=yesterday",
            r#"400 bad_request {"field":"as_of"}"#,
        ),
    ] {
        assert_eq!(server.get(As::Reader, uri).await.error(), expected, "{uri}");
    }
    assert_eq!(
        server.get(As::Nobody, "/v1/export/popolo").await.status,
        401
    );
}

#[tokio::test]
async fn anonymous_reading_reads_but_never_writes() {
    let server = server(true).await;
    assert_eq!(server.get(As::Nobody, "/v1/tree").await.status, 200);
    assert_eq!(
        server.post(As::Nobody, &founding()).await.error(),
        "401 unauthenticated {}"
    );
    assert_eq!(
        server.get(As::Stranger, "/v1/tree").await.error(),
        "401 invalid_token {}"
    );
}

#[tokio::test]
async fn malformed_batches_name_the_field_at_fault() {
    let server = server(false).await;
    let mut unknown_field = founding();
    unknown_field["commands"][1]["titel"] = json!("x");
    let mut bad_date = founding();
    bad_date["commands"][3]["from"] = json!("2016-13-01");
    let cases = [
        (
            json!({"commands": []}),
            r#"400 bad_request {"field":"commands"}"#,
        ),
        (
            json!({"commands": [{"command": "fly"}]}),
            r#"400 invalid_input {"field":"commands[0].command"}"#,
        ),
        (
            json!({"commands": "x"}),
            r#"400 invalid_input {"field":"commands"}"#,
        ),
        (
            json!({"command_id": "has space", "commands": founding()["commands"]}),
            r#"400 invalid_input {"field":"command_id"}"#,
        ),
        (
            json!({"source": "", "commands": founding()["commands"]}),
            r#"400 bad_request {"field":"source"}"#,
        ),
        (
            json!({"comands": []}),
            r#"400 invalid_input {"field":"comands"}"#,
        ),
        (
            unknown_field,
            r#"400 invalid_input {"field":"commands[1]"}"#,
        ),
        (bad_date, r#"400 invalid_input {"field":"commands[3]"}"#),
    ];
    for (body, expected) in cases {
        assert_eq!(
            server.post(As::Registrar, &body).await.error(),
            expected,
            "{body}"
        );
    }
    let syntax = server
        .call(
            As::Registrar,
            Method::POST,
            "/v1/commands",
            Some("{\"commands\": ["),
        )
        .await;
    assert_eq!(syntax.error(), r#"400 invalid_json {"field":"commands"}"#);
    let mut plain =
        Request::post("/v1/commands").header(header::AUTHORIZATION, format!("Bearer {REGISTRAR}"));
    plain = plain.header(header::CONTENT_TYPE, "text/plain");
    let response = server
        .app
        .clone()
        .oneshot(plain.body(Body::from("{}")).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge = format!(
        "{{\"commands\": [\"{}\"]}}",
        "x".repeat(crate::limits::REQUEST_BODY_BYTES_MAX)
    );
    let too_large = server
        .call(As::Registrar, Method::POST, "/v1/commands", Some(&huge))
        .await;
    assert_eq!(
        too_large.error(),
        r#"413 payload_too_large {"max_bytes":4194304}"#
    );
}

#[tokio::test]
async fn rules_refuse_with_422_and_unknown_references_with_404() {
    let server = server(false).await;
    server.post(As::Registrar, &founding()).await;
    let taken = json!({"commands": [{"command": "register_person", "handle": "@achraf", "name": "Another"}]});
    assert_eq!(
        server.post(As::Registrar, &taken).await.error(),
        r#"422 handle_taken {"command":"register_person","index":0,"reason":"handle `@achraf` is already taken by a person: choose another handle","rule":"handle_taken"}"#
    );
    let unknown = json!({"commands": [{"command": "establish_post", "handle": "@x", "body": "@nowhere", "title": "X"}]});
    assert_eq!(
        server.post(As::Registrar, &unknown).await.error(),
        r#"404 not_found {"command":"establish_post","field":"commands[0]","index":0,"reason":"no body `@nowhere` in the registry: check the handle, or register it first","rule":"not_found"}"#
    );
    let head = server.get(As::Reader, "/v1/health").await;
    assert_eq!(head.position, Some(4), "refused batches record nothing");
}

#[tokio::test]
async fn queries_answer_the_engines_answer_at_a_position() {
    let server = server(false).await;
    let receipt = server.post(As::Registrar, &founding()).await;
    let position = receipt.body["position"].as_u64().unwrap();
    let roster = server
        .get(
            As::Reader,
            &format!("/v1/bodies/@coordination/roster?as_of=2017&min_position={position}"),
        )
        .await;
    assert_eq!((roster.status, roster.position), (200, Some(4)));
    assert_eq!(roster.body["position"], 4);
    assert_eq!(roster.body["as_of"], "2017");
    let answer: sijill_engine::query::Answer = serde_json::from_value(roster.body.clone()).unwrap();
    assert_eq!(answer.position, 4);

    let before = server
        .get(
            As::Reader,
            "/v1/bodies/@coordination/roster?as_of=2017&as_recorded_at=3",
        )
        .await;
    assert_eq!(before.body["as_recorded_at"], 3);

    for uri in [
        "/v1/tree",
        "/v1/bodies",
        "/v1/bodies/@coordination",
        "/v1/bodies/@coordination/representation",
        "/v1/persons?limit=1",
        "/v1/persons/@achraf",
        "/v1/areas",
        "/v1/assemblies",
        "/v1/mandates",
        "/v1/history/@achraf",
        "/v1/vacancies",
        "/v1/search?text=chahboun",
        "/v1/stats",
        "/v1/events?from=2&limit=2",
        "/v1/verify",
    ] {
        let reply = server.get(As::Reader, uri).await;
        assert_eq!(
            (reply.status, reply.position),
            (200, Some(4)),
            "{uri}: {}",
            reply.body
        );
    }
    let mandate = server.get(As::Reader, "/v1/mandates").await.body["data"]["mandates"]["items"][0]
        ["mandate"]["id"]
        .clone();
    let audit = server
        .get(
            As::Reader,
            &format!("/v1/audit/{}", mandate.as_str().unwrap_or("?")),
        )
        .await;
    assert_eq!(audit.status, 200, "{}", audit.body);
    let verify = server.get(As::Reader, "/v1/verify").await;
    assert_eq!(verify.body["data"]["verify"]["ok"], true);
}

#[tokio::test]
async fn query_mistakes_are_4xx_naming_the_parameter() {
    let server = server(false).await;
    server.post(As::Registrar, &founding()).await;
    let cases = [
        (
            "/v1/tree?as_of=2016-13",
            r#"400 bad_request {"field":"as_of"}"#,
        ),
        (
            "/v1/tree?as-of=2016",
            r#"400 bad_request {"field":"as-of"}"#,
        ),
        (
            "/v1/tree?as_recorded_at=-1",
            r#"400 bad_request {"field":"as_recorded_at"}"#,
        ),
        ("/v1/tree?as_recorded_at=99", r#"400 bad_request {}"#),
        (
            "/v1/tree?min_position=99",
            r#"422 position_not_reached {"field":"min_position"}"#,
        ),
        (
            "/v1/bodies?limit=1001",
            r#"400 bad_request {"field":"limit"}"#,
        ),
        ("/v1/bodies?limit=0", r#"400 bad_request {"field":"limit"}"#),
        (
            "/v1/bodies/nobody/roster",
            r#"400 bad_request {"field":"body"}"#,
        ),
        ("/v1/bodies/@nobody/roster", r#"404 not_found {}"#),
        ("/v1/bodies/@achraf/roster", r#"400 bad_request {}"#),
        ("/v1/search", r#"400 bad_request {"field":"text"}"#),
        (
            "/v1/events?limit=100000",
            r#"400 bad_request {"field":"limit"}"#,
        ),
        ("/v1/nowhere", r#"404 not_found {}"#),
    ];
    for (uri, expected) in cases {
        assert_eq!(server.get(As::Reader, uri).await.error(), expected, "{uri}");
    }
    let delete = server
        .call(As::Reader, Method::DELETE, "/v1/tree", None)
        .await;
    assert_eq!(delete.error(), "405 method_not_allowed {}");
}

#[tokio::test]
async fn post_query_runs_a_query_given_as_json() {
    let server = server(false).await;
    server.post(As::Registrar, &founding()).await;
    let query = json!({"query": "person", "person": "@achraf"}).to_string();
    let reply = server
        .call(
            As::Reader,
            Method::POST,
            "/v1/query?min_position=4",
            Some(&query),
        )
        .await;
    assert_eq!((reply.status, reply.position), (200, Some(4)));
    let bad = server
        .call(
            As::Reader,
            Method::POST,
            "/v1/query",
            Some(r#"{"query": "nope"}"#),
        )
        .await;
    assert_eq!(bad.error(), r#"400 invalid_input {"field":"query"}"#);
}

#[tokio::test]
async fn the_export_is_the_log_as_json_lines() {
    let server = server(false).await;
    server.post(As::Registrar, &founding()).await;
    let request =
        Request::get("/v1/export").header(header::AUTHORIZATION, format!("Bearer {ADMIN}"));
    let response = server
        .app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "application/jsonl");
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let report = sijill_store::transfer::verify_export(&bytes[..]).unwrap();
    assert_eq!(report.events, 4);
}

/// Reads an event stream's body until `count` events, returning their ids.
async fn stream_ids(server: &Server, last_event_id: Option<u64>, count: usize) -> Vec<u64> {
    let mut request =
        Request::get("/v1/events/stream").header(header::AUTHORIZATION, format!("Bearer {READER}"));
    if let Some(last) = last_event_id {
        request = request.header("last-event-id", last.to_string());
    }
    let response = server
        .app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.into_body().into_data_stream();
    let mut text = String::new();
    let mut ids = Vec::new();
    while ids.len() < count {
        // A guard against hanging on a broken stream, not a timing assertion.
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(60), body.next()).await;
        text.push_str(
            std::str::from_utf8(&chunk.expect("the stream went quiet").unwrap().unwrap()).unwrap(),
        );
        ids = text
            .lines()
            .filter_map(|l| l.strip_prefix("id: "))
            .map(|id| id.parse().unwrap())
            .collect();
    }
    ids
}

#[tokio::test]
async fn the_stream_catches_up_then_follows_and_resumes_after_last_event_id() {
    let server = server(false).await;
    server.post(As::Registrar, &founding()).await;
    assert_eq!(stream_ids(&server, None, 4).await, [1, 2, 3, 4]);
    let engine = server.engine.clone();
    let live = tokio::spawn(async move {
        let person = json!({"command": "register_person", "handle": "@omar", "name": "Omar"});
        let submission = sijill_engine::Submission {
            commands: vec![serde_json::from_value(person).unwrap()],
            command_id: None,
            actor: "amina".into(),
            source: None,
        };
        engine.submit(submission).await.unwrap();
    });
    assert_eq!(stream_ids(&server, Some(2), 3).await, [3, 4, 5]);
    live.await.unwrap();
}

#[tokio::test]
async fn errors_of_the_engine_never_leak_into_responses() {
    let server = server(false).await;
    server.engine.shutdown().await;
    let reply = server.post(As::Registrar, &founding()).await;
    assert_eq!(reply.error(), "503 shutting_down {}");
}

/// The document and the router are built from the same handler attributes; this checks it
/// from both sides: every documented operation is routed, and no other method answers on a
/// documented path.
#[tokio::test]
async fn the_openapi_document_and_the_routes_agree() {
    let server = server(true).await;
    let document = crate::api::openapi();
    let mut operations = Vec::new();
    for (path, item) in &document.paths.paths {
        let uri = path.replace('{', "@").replace('}', "");
        for (method, documented) in [
            (Method::GET, item.get.is_some()),
            (Method::POST, item.post.is_some()),
            (Method::PUT, item.put.is_some()),
            (Method::DELETE, item.delete.is_some()),
            (Method::PATCH, item.patch.is_some()),
        ] {
            if method == Method::GET && uri.ends_with("/stream") {
                operations.push(format!("{method} {path}"));
                continue;
            }
            let reply = server
                .call(As::Admin, method.clone(), &uri, documented.then_some("{}"))
                .await;
            let code = reply.body["code"].as_str().unwrap_or("");
            let routed = !matches!((reply.status, code), (404, "not_found") if reply.body["message"].as_str().unwrap_or("").starts_with("no route"));
            let allowed = reply.status != 405;
            assert_eq!(
                documented,
                routed && allowed,
                "{method} {path}: {}",
                reply.body
            );
            if documented {
                operations.push(format!("{method} {path}"));
            }
        }
    }
    operations.sort();
    assert_eq!(
        operations,
        [
            "GET /v1/areas",
            "GET /v1/assemblies",
            "GET /v1/assemblies/{assembly}",
            "GET /v1/audit/{entity}",
            "GET /v1/bodies",
            "GET /v1/bodies/{body}",
            "GET /v1/bodies/{body}/representation",
            "GET /v1/bodies/{body}/roster",
            "GET /v1/events",
            "GET /v1/events/stream",
            "GET /v1/export",
            "GET /v1/export/{format}",
            "GET /v1/health",
            "GET /v1/history/{entity}",
            "GET /v1/mandates",
            "GET /v1/mandates/{mandate}",
            "GET /v1/openapi.json",
            "GET /v1/persons",
            "GET /v1/persons/{person}",
            "GET /v1/search",
            "GET /v1/stats",
            "GET /v1/tree",
            "GET /v1/vacancies",
            "GET /v1/verify",
            "POST /v1/commands",
            "POST /v1/query",
        ]
    );
}
