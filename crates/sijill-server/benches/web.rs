//! The web registry's server time per page, on the synthetic national registry (see
//! `docs/performance.md`, "Issue 7"): each page requested through `app(state).oneshot(..)`
//! (routing, the session and query parsing, the engine's answers, HTML rendering, reading the
//! whole body), so no socket or client is measured.
//!
//! ```text
//! cargo bench -p sijill-server --bench web
//! SIJILL_BENCH_SCALE=small|medium|full   (default medium)
//! ```
//!
//! On top of the synthetic log it records one body of [`BIG_BODY_MEMBERS`] members, for the
//! target on a 1,000-member body page. Prints a Markdown table of medians.

use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Request};
use axum::Router;
use criterion::Criterion;
use serde_json::{json, Value};
use sijill_domain::Command;
use sijill_engine::query::{Data, Query, RosterAnswer};
use sijill_engine::{Engine, EngineOptions, Submission};
use sijill_server::auth::{Auth, Principal, Role, TokenHash, Tokens};
use sijill_server::{app, AppState};
use sijill_store::{CommandId, EventStore, MemoryStore};
use sijill_synth::Scale;
use tower::ServiceExt;

#[path = "../bench/synth_log.rs"]
mod synth_log;
use synth_log::load;
/// Members of the large body recorded for the 1,000-member target.
const BIG_BODY_MEMBERS: usize = 1_000;
/// Commands per submission while recording the large body.
const BIG_BODY_BATCH: usize = 200;
const REGISTRAR: &str = "sjl_bench_registrar";
/// The body measured as a typical one (23 holders in the server benchmark), when present.
const TYPICAL_BODY: &str = "@chamber-agriculture-casablanca-settat";
/// Holders a body needs to stand in for a typical one when [`TYPICAL_BODY`] is missing.
const TYPICAL_HOLDERS_MIN: usize = 10;

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> BenchResult<()> {
    // `cargo test --benches` runs this binary without `--bench`: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let (scale_name, scale) = match std::env::var("SIJILL_BENCH_SCALE").as_deref() {
        Ok("small") => ("small", Scale::small()),
        Ok("full") => ("full", Scale::full()),
        Ok("medium") | Err(_) => ("medium", Scale::medium()),
        Ok(other) => {
            return Err(
                format!("SIJILL_BENCH_SCALE must be small, medium or full, not {other}").into(),
            )
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let site = runtime.block_on(Site::build(scale))?;
    println!(
        "registry: scale `{scale_name}`, {} events (with the {BIG_BODY_MEMBERS}-member body)",
        site.engine.snapshot().position
    );
    let pages = runtime.block_on(site.pages())?;
    let mut criterion = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let mut rows = Vec::new();
    for (name, uri, target_ms) in &pages {
        // Every iteration's time, for an exact median beside criterion's own estimates.
        let times = Arc::new(Mutex::new(Vec::new()));
        let mut bytes = 0;
        let mut requests = 0u64;
        criterion.bench_function(&format!("web/{name}"), |b| {
            b.iter_custom(|iterations| {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    // `{day}`: a new date each request, so no cached answer serves it.
                    requests += 1;
                    let uri = uri.replace("{day}", &new_day(requests));
                    let started = Instant::now();
                    let (status, len) = runtime.block_on(site.get(&uri));
                    let elapsed = started.elapsed();
                    assert_eq!(status, 200, "{uri} answered {status}");
                    bytes = len;
                    total += elapsed;
                    times.lock().unwrap().push(elapsed);
                }
                total
            })
        });
        let mut times = times.lock().unwrap().clone();
        times.sort();
        let median = times[times.len() / 2];
        rows.push((name.clone(), uri.clone(), median, bytes, *target_ms));
    }
    println!("\n| page | URI | median | HTML | target |\n| --- | --- | --- | --- | --- |");
    for (name, uri, median, bytes, target) in rows {
        let met = if median.as_secs_f64() * 1000.0 < target {
            "met"
        } else {
            "**not met**"
        };
        println!(
            "| {name} | `{uri}` | {:.2} ms | {:.1} KB | < {target} ms: {met} |",
            median.as_secs_f64() * 1000.0,
            bytes as f64 / 1024.0
        );
    }
    runtime.block_on(site.engine.shutdown());
    Ok(())
}

/// A different day for each request number (from 1990 on).
fn new_day(n: u64) -> String {
    let first = chrono::NaiveDate::from_ymd_opt(1990, 1, 1).expect("a date");
    (first + chrono::Days::new(n)).to_string()
}

struct Site {
    app: Router,
    engine: Engine,
    /// A registrar's session cookie, for the recording form.
    session: String,
}

impl Site {
    async fn build(scale: Scale) -> BenchResult<Site> {
        let store: Arc<dyn EventStore> = Arc::new(MemoryStore::new());
        load(store.as_ref(), scale).await?;
        let engine = Engine::open(store, EngineOptions::default()).await?;
        record_big_body(&engine).await?;
        let mut tokens = Tokens::default();
        tokens.insert(
            TokenHash::of(REGISTRAR),
            Principal {
                name: "bench".into(),
                role: Role::Registrar,
            },
        );
        let state = AppState::new(
            engine.clone(),
            Auth {
                tokens,
                anonymous_read: true,
            },
        );
        let mut site = Site {
            app: app(state),
            engine,
            session: String::new(),
        };
        site.session = site.sign_in().await?;
        Ok(site)
    }

    async fn send(&self, request: Request<Body>) -> (u16, Vec<u8>, axum::http::HeaderMap) {
        let response = self
            .app
            .clone()
            .oneshot(request)
            .await
            .expect("the router never fails");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("a body");
        (status, body.to_vec(), headers)
    }

    async fn get(&self, uri: &str) -> (u16, usize) {
        let request = Request::get(uri)
            .header(header::COOKIE, &self.session)
            .body(Body::empty())
            .expect("a request");
        let (status, body, _) = self.send(request).await;
        if status != 200 {
            panic!(
                "{uri} answered {status}: {}",
                String::from_utf8_lossy(&body)
            );
        }
        (status, black_box(body).len())
    }

    async fn sign_in(&self) -> BenchResult<String> {
        let (_, form, headers) = self
            .send(Request::get("/signin").body(Body::empty())?)
            .await;
        let cookie = first_cookie(&headers)?;
        let form = String::from_utf8(form)?;
        let csrf = form
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .ok_or("no CSRF token on the sign-in form")?;
        let body = serde_urlencoded::to_string([("csrf", csrf), ("token", REGISTRAR)])?;
        let request = Request::post("/signin")
            .header(header::COOKIE, cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))?;
        let (status, _, headers) = self.send(request).await;
        if status != 303 {
            return Err(format!("signing in answered {status}").into());
        }
        first_cookie(&headers)
    }

    /// (name, URI, target in ms) for every page, on entities picked from the registry.
    async fn pages(&self) -> BenchResult<Vec<(String, String, f64)>> {
        let snapshot = self.engine.snapshot();
        let roster = self.typical_roster().await?;
        let typical = roster
            .body
            .handle
            .as_ref()
            .map(|h| h.to_string())
            .ok_or("a body without a handle")?;
        let first = roster.entries.first().ok_or("an empty roster")?;
        let m = &first.mandate;
        let seg = |r: &sijill_domain::query::Ref| match &r.handle {
            Some(h) => h.to_string().trim_start_matches('@').to_owned(),
            None => r.id.to_string(),
        };
        let assembly = m.assembly.as_ref().map(seg).unwrap_or_default();
        let body = typical.trim_start_matches('@');
        let position = snapshot.position;
        let mut pages = vec![
            ("overview".to_owned(), "/".to_owned(), 10.0),
            ("tree".into(), "/tree".into(), 10.0),
            (
                "tree as of 2010-01-01".into(),
                "/tree?as_of=2010-01-01".into(),
                10.0,
            ),
            (
                "tree, uncached (a new date each time)".into(),
                "/tree?as_of={day}".into(),
                10.0,
            ),
            (
                format!("body ({} holders)", roster.entries.len()),
                format!("/body/{body}"),
                10.0,
            ),
            (
                "body, 1,000 members".into(),
                "/body/bench-big-body".into(),
                30.0,
            ),
            ("person".into(), format!("/person/{}", seg(&m.person)), 10.0),
            ("post".into(), format!("/post/{}", seg(&m.post)), 10.0),
            (
                "mandate audit".into(),
                format!("/mandate/{}", seg(&m.mandate)),
                10.0,
            ),
            (
                "log (50 entries)".into(),
                format!("/log?from={}", position.saturating_sub(200)),
                10.0,
            ),
            (
                "log filtered by entity".into(),
                format!("/log?entity={body}"),
                10.0,
            ),
            ("search".into(), "/search?q=mohamed%20alaoui".into(), 10.0),
            (
                "search as you type".into(),
                "/search/suggest?q=%D9%85%D8%AD%D9%85%D8%AF".into(),
                10.0,
            ),
            (
                "body as recorded at".into(),
                format!("/body/{body}?as_recorded_at={}", position - 1),
                10.0,
            ),
            ("recording form".into(), "/record".into(), 10.0),
            ("sign-in form".into(), "/signin".into(), 10.0),
        ];
        if !assembly.is_empty() {
            pages.insert(
                6,
                ("assembly".into(), format!("/assembly/{assembly}"), 10.0),
            );
        }
        Ok(pages)
    }
}

impl Site {
    /// The roster of [`TYPICAL_BODY`], or else of the first body (by handle) with at least
    /// [`TYPICAL_HOLDERS_MIN`] holders; never the large body.
    async fn typical_roster(&self) -> BenchResult<RosterAnswer> {
        let snapshot = self.engine.snapshot();
        let mut handles: Vec<String> = snapshot
            .registry
            .bodies()
            .map(|b| b.handle.to_string())
            .filter(|h| !h.starts_with("@bench-"))
            .collect();
        handles.sort_by_key(|h| h != TYPICAL_BODY);
        for handle in handles {
            let query: Query = serde_json::from_value(json!({"query": "roster", "body": handle}))?;
            if let Data::Roster(roster) = self.engine.query(&query).await?.data {
                if roster.entries.len() >= TYPICAL_HOLDERS_MIN {
                    return Ok(roster);
                }
            }
        }
        Err("no body with enough holders".into())
    }
}

fn first_cookie(headers: &axum::http::HeaderMap) -> BenchResult<String> {
    let set = headers
        .get(header::SET_COOKIE)
        .ok_or("no Set-Cookie")?
        .to_str()?;
    Ok(set.split(';').next().unwrap_or_default().to_owned())
}

/// A body with one unlimited post and [`BIG_BODY_MEMBERS`] members, each a new person.
async fn record_big_body(engine: &Engine) -> BenchResult<()> {
    let mut commands: Vec<Value> = vec![
        json!({"command": "found_body", "handle": "@bench-big-body", "kind": "national-council",
               "founded_on": "2015-01-01", "name": {"text": "المجلس الوطني الكبير", "lang": "ar",
               "others": [{"text": "Large national council", "lang": "en"}]}}),
        json!({"command": "establish_post", "handle": "@bench-big-body-member",
               "body": "@bench-big-body", "title": "Member", "established_on": "2015-01-01"}),
    ];
    for i in 0..BIG_BODY_MEMBERS {
        commands.push(
            json!({"command": "register_person", "handle": format!("@bench-member-{i}"),
            "name": {"text": format!("عضو رقم {i}"), "lang": "ar",
                     "others": [{"text": format!("Member number {i}"), "lang": "ar-Latn"}]}}),
        );
        // A third start on an uncertain date, so the timeline draws hatched starts too.
        let from = if i % 3 == 0 {
            "2015-01-01/2015-03-31"
        } else {
            "2015-02-01"
        };
        commands.push(
            json!({"command": "start_mandate", "person": format!("@bench-member-{i}"),
            "post": "@bench-big-body-member", "from": from, "basis": "elected"}),
        );
    }
    for (n, chunk) in commands.chunks(BIG_BODY_BATCH).enumerate() {
        let commands: Vec<Command> = serde_json::from_value(Value::Array(chunk.to_vec()))?;
        engine
            .submit(Submission {
                commands,
                command_id: Some(CommandId::new(format!("bench-big-body-{n}"))?),
                actor: "bench".into(),
                source: None,
            })
            .await?;
    }
    Ok(())
}
