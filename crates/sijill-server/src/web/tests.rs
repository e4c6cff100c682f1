//! Every page through `app(state).oneshot(..)`: status and key content, given a small
//! Khemisset registry (a coordination, two posts, an assembly, two holders).

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request};
use axum::Router;
use serde_json::json;
use sijill_domain::Command;
use sijill_engine::{Engine, EngineOptions, Submission};
use sijill_store::MemoryStore;
use tower::ServiceExt;

use crate::auth::{Auth, Principal, Role, TokenHash, Tokens};
use crate::{app, AppState};

const REGISTRAR: &str = "sjl_web_registrar";
const READER: &str = "sjl_web_reader";

fn founding() -> Vec<Command> {
    let commands = json!([
        {"command": "register_person", "handle": "@achraf-chahboun",
         "name": {"text": "أشرف شهبون", "lang": "ar", "others": [{"text": "Achraf Chahboun", "lang": "ar-Latn"}]}},
        {"command": "register_person", "handle": "@amina-alaoui", "name": {"text": "Amina <b>Alaoui</b>", "lang": "ar-Latn"}},
        {"command": "found_body", "handle": "@khemisset-coordination", "kind": "provincial-coordination",
         "founded_on": "2016-12-11/2017-01-31",
         "name": {"text": "التنسيقية الإقليمية بالخميسات", "lang": "ar", "others": [{"text": "Khemisset provincial coordination", "lang": "en"}]}},
        {"command": "establish_post", "handle": "@khemisset-coordinator", "body": "@khemisset-coordination", "seats": 1,
         "title": {"text": "المنسق الإقليمي", "lang": "ar", "others": [{"text": "Provincial coordinator", "lang": "en"}]}},
        {"command": "establish_post", "handle": "@khemisset-member", "body": "@khemisset-coordination", "title": "Member"},
        {"command": "convene_assembly", "handle": "@khemisset-founding-assembly", "body": "@khemisset-coordination",
         "kind": "founding_general_assembly", "held_on": "2016-12-11/2017-01-31", "name": "Founding general assembly"},
        {"command": "start_mandate", "handle": "@m-coordinator", "person": "@achraf-chahboun", "post": "@khemisset-coordinator",
         "from": "2016-12-11/2017-01-31", "basis": "elected_unanimously", "assembly": "@khemisset-founding-assembly"},
        {"command": "start_mandate", "handle": "@m-amina", "person": "@amina-alaoui", "post": "@khemisset-member",
         "from": "2016-12-11/2017-01-31", "basis": "chosen_by_consensus", "assembly": "@khemisset-founding-assembly"}
    ]);
    serde_json::from_value(commands).unwrap()
}

struct Site {
    app: Router,
    engine: Engine,
}

async fn site(anonymous_read: bool) -> Site {
    let engine = Engine::open(Arc::new(MemoryStore::new()), EngineOptions::default())
        .await
        .unwrap();
    let submission = Submission {
        commands: founding(),
        command_id: None,
        actor: "amina".into(),
        source: Some("press report".into()),
    };
    engine.submit(submission).await.unwrap();
    let mut tokens = Tokens::default();
    tokens.insert(
        TokenHash::of(REGISTRAR),
        Principal {
            name: "amina".into(),
            role: Role::Registrar,
        },
    );
    tokens.insert(
        TokenHash::of(READER),
        Principal {
            name: "omar".into(),
            role: Role::Reader,
        },
    );
    let state = AppState::new(
        engine.clone(),
        Auth {
            tokens,
            anonymous_read,
        },
    );
    Site {
        app: app(state),
        engine,
    }
}

struct Page {
    status: u16,
    headers: axum::http::HeaderMap,
    text: String,
}

impl Site {
    /// Records commands straight through the engine (the set-up of a test, not its subject).
    async fn record(&self, commands: Vec<Command>) {
        let submission = Submission {
            commands,
            command_id: None,
            actor: "amina".into(),
            source: None,
        };
        self.engine.submit(submission).await.unwrap();
    }

    async fn send(&self, request: Request<Body>) -> Page {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        Page {
            status,
            headers,
            text: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    async fn get(&self, uri: &str, cookie: &str) -> Page {
        let request = Request::get(uri)
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .unwrap();
        self.send(request).await
    }

    async fn post(&self, uri: &str, cookie: &str, form: &[(&str, &str)]) -> Page {
        let request = Request::post(uri)
            .header(header::COOKIE, cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(serde_urlencoded::to_string(form).unwrap()))
            .unwrap();
        self.send(request).await
    }

    /// Opens the sign-in form: its cookie (the CSRF value's copy) and the form's CSRF value.
    async fn signin_form(&self, headers: &[(&str, &str)]) -> (String, String) {
        let mut request = Request::get("/signin");
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let page = self.send(request.body(Body::empty()).unwrap()).await;
        assert_eq!(page.status, 200, "{}", page.text);
        let cookie = first_cookie(&page);
        (cookie, hidden(&page.text, "csrf"))
    }

    /// Signs in as the registrar: the session cookie and the recording form's CSRF token.
    async fn sign_in(&self) -> (String, String) {
        let (cookie, csrf) = self.signin_form(&[]).await;
        let page = self
            .post("/signin", &cookie, &[("csrf", &csrf), ("token", REGISTRAR)])
            .await;
        assert_eq!(page.status, 303, "{}", page.text);
        let set = first_cookie_header(&page);
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Strict"),
            "{set}"
        );
        let cookie = set.split(';').next().unwrap().to_owned();
        let form = self.get("/record", &cookie).await;
        assert_eq!(form.status, 200, "{}", form.text);
        (cookie, hidden(&form.text, "csrf"))
    }
}

fn first_cookie_header(page: &Page) -> String {
    page.headers
        .get(header::SET_COOKIE)
        .expect("a Set-Cookie header")
        .to_str()
        .unwrap()
        .to_owned()
}

fn first_cookie(page: &Page) -> String {
    first_cookie_header(page)
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// The value of a hidden input.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    html.split(&marker)
        .nth(1)
        .unwrap_or_else(|| panic!("no {name} input in {html}"))
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

/// The part of a page after a heading's id, up to the end of its section.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let marker = format!("id=\"{id}\"");
    html.split(&marker)
        .nth(1)
        .unwrap_or_else(|| panic!("no section {id}"))
        .split("</section>")
        .next()
        .unwrap()
}

#[tokio::test]
async fn every_page_answers_with_its_key_content() {
    let site = site(true).await;
    let areas = json!([
        {"command": "register_area", "handle": "@khemisset-province", "name": "Khemisset", "kind": "province"},
        {"command": "register_area", "handle": "@maaziz", "name": "Maaziz", "kind": "commune", "parent": "@khemisset-province"}
    ]);
    site.record(serde_json::from_value(areas).unwrap()).await;
    for (uri, expected) in [
        ("/", "Khemisset provincial coordination"),
        ("/", "/person/achraf-chahboun"),
        ("/", "mandate_started"),
        ("/?verify=1", "id=\"verify-result\""),
        ("/tree", "<ul class=\"tree\"><li>"),
        (
            "/tree?as_of=2017-06-01",
            "/body/khemisset-coordination?as_of=2017-06-01",
        ),
        ("/body/khemisset-coordination", "Achraf Chahboun"),
        ("/body/khemisset-coordination", "class=\"chart org\""),
        ("/body/khemisset-coordination", "url(#hatch)"),
        (
            "/body/khemisset-coordination",
            "/assembly/khemisset-founding-assembly",
        ),
        // How he got the post, in the page's language (French by default).
        ("/person/achraf-chahboun", "élu à l&#39;unanimité"),
        ("/body/khemisset-coordination", "coordination provinciale"),
        ("/person/achraf-chahboun", "/body/khemisset-coordination"),
        ("/person/achraf-chahboun", "class=\"chart timeline\""),
        (
            "/assembly/khemisset-founding-assembly",
            "Founding general assembly",
        ),
        (
            "/assembly/khemisset-founding-assembly",
            "/mandate/m-coordinator",
        ),
        ("/post/khemisset-coordinator", "Achraf Chahboun"),
        ("/area/maaziz", "commune"),
        ("/area/maaziz", "/area/khemisset-province"),
        ("/area/khemisset-province", "/area/maaziz"),
        ("/mandate/m-coordinator", "mandate_started"),
        ("/mandate/m-coordinator", "press report"),
        (
            "/mandate/m-coordinator",
            "/assembly/khemisset-founding-assembly",
        ),
        ("/mandate/m-coordinator?verify=1", "class=\"ok\""),
        ("/log", "mandate_started"),
        ("/log?type=person_registered", "person_registered"),
        ("/log?entity=m-amina", "mandate_started"),
        ("/search?q=Chahboun", "/person/achraf-chahboun"),
        ("/signin", "name=\"token\""),
        ("/assets/site.css", "@media print"),
        ("/assets/site.js", "suggest"),
    ] {
        let page = site.get(uri, "").await;
        assert_eq!(page.status, 200, "{uri}: {}", page.text);
        assert!(
            page.text.contains(expected),
            "{uri} lacks {expected}: {}",
            page.text
        );
    }
}

#[tokio::test]
async fn pages_are_html_with_a_strict_content_security_policy() {
    let site = site(true).await;
    let page = site.get("/tree", "").await;
    assert_eq!(
        page.headers[header::CONTENT_TYPE],
        "text/html; charset=utf-8"
    );
    let csp = page.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    // No asset from elsewhere: every reference is local.
    assert!(
        !page.text.contains("http://") && !page.text.contains("https://"),
        "{}",
        page.text
    );
}

#[tokio::test]
async fn the_log_filters_by_type_and_pages_on() {
    let site = site(true).await;
    let page = site.get("/log?type=body_founded", "").await;
    let rows = page.text.split("<tbody>").nth(1).unwrap();
    assert!(
        rows.contains("body_founded") && !rows.contains("mandate_started"),
        "{rows}"
    );
    let page = site.get("/log?from=5", "").await;
    assert!(page.text.contains("id=\"p5\"") && !page.text.contains("id=\"p4\""));
    assert!(page.text.contains("rel=\"prev\""));
    assert!(!site
        .get("/log?day=2000-01-01", "")
        .await
        .text
        .contains("id=\"p1\""));
}

#[tokio::test]
async fn an_unknown_entity_is_a_404_page_and_bad_dates_name_the_parameter() {
    let site = site(true).await;
    let page = site.get("/body/no-such-body", "").await;
    assert_eq!(page.status, 404, "{}", page.text);
    assert!(page.text.contains("role=\"alert\""));
    let page = site.get("/tree?as_of=yesterday", "").await;
    assert_eq!(page.status, 400);
    assert!(page.text.contains("as_of"), "{}", page.text);
    let page = site.get("/log?from=yesterday", "").await;
    assert_eq!(page.status, 400);
    assert!(page.text.contains("from: `yesterday`"), "{}", page.text);
    let page = site.get("/tree?as_recorded_at=x", "").await;
    assert_eq!(page.status, 400);
    assert!(page.text.contains("as_recorded_at"), "{}", page.text);
}

#[tokio::test]
async fn a_cached_tree_keeps_each_reader_in_their_own_session() {
    let site = site(true).await;
    let anonymous = site.get("/tree", "").await;
    assert!(anonymous.text.contains("href=\"/signin\""));
    let (cookie, csrf) = site.sign_in().await;
    let signed_in = site.get("/tree", &cookie).await;
    assert!(
        signed_in.text.contains(&csrf),
        "the sign-out form carries this session's token"
    );
    assert!(!signed_in.text.contains("href=\"/signin\""));
    let arabic = site.get("/tree", "lang=ar").await;
    assert!(arabic.text.contains("dir=\"rtl\"") && arabic.text.contains("شجرة الهيئات"));
}

#[tokio::test]
async fn the_tree_shows_one_bodys_subtree_on_request() {
    let site = site(true).await;
    let page = site.get("/tree?root=khemisset-coordination", "").await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("/body/khemisset-coordination"));
    assert!(
        page.text.contains("href=\"/tree\""),
        "a way back to the whole tree"
    );
    let page = site.get("/tree?root=no-such-body", "").await;
    assert!(page.text.contains("class=\"empty\""));
}

#[tokio::test]
async fn user_text_is_escaped() {
    let site = site(true).await;
    let page = site.get("/person/amina-alaoui", "").await;
    assert!(page.text.contains("Amina &lt;b&gt;Alaoui&lt;/b&gt;"));
    assert!(!page.text.contains("<b>Alaoui"));
}

#[tokio::test]
async fn the_roster_is_empty_before_the_founding() {
    let site = site(true).await;
    let now = site.get("/body/khemisset-coordination", "").await;
    assert!(section(&now.text, "h-holders").contains("Achraf"));
    let before = site
        .get("/body/khemisset-coordination?as_of=2015-01-01", "")
        .await;
    let holders = section(&before.text, "h-holders");
    assert!(!holders.contains("Achraf"), "{holders}");
    let tree = site.get("/tree?as_of=2015-01-01", "").await;
    assert!(!tree.text.contains("/body/khemisset-coordination"));
    let tree = site.get("/tree?as_of=2017-06-01", "").await;
    assert!(tree.text.contains("/body/khemisset-coordination"));
}

#[tokio::test]
async fn as_recorded_at_shows_the_registry_as_it_stood() {
    let site = site(true).await;
    // Position 6 is before both mandates were recorded.
    let page = site
        .get("/body/khemisset-coordination?as_recorded_at=6", "")
        .await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(!section(&page.text, "h-holders").contains("Achraf"));
    assert!(page.text.contains("class=\"notice\""));
    let page = site
        .get("/body/khemisset-coordination?as_recorded_at=8", "")
        .await;
    assert!(section(&page.text, "h-holders").contains("Achraf"));
}

#[tokio::test]
async fn arabic_pages_are_right_to_left_and_show_arabic_names_first() {
    let site = site(true).await;
    let switch = site.get("/lang/ar?back=/person/achraf-chahboun", "").await;
    assert_eq!(switch.status, 303);
    assert_eq!(switch.headers[header::LOCATION], "/person/achraf-chahboun");
    assert!(first_cookie_header(&switch).starts_with("lang=ar"));
    let page = site.get("/person/achraf-chahboun", "lang=ar").await;
    assert!(page.text.contains("<html lang=\"ar\" dir=\"rtl\">"));
    assert!(
        page.text
            .contains("<p class=\"names\"><bdi lang=\"ar\">أشرف شهبون</bdi>"),
        "{}",
        page.text
    );
    assert!(page.text.contains("المهام"), "Arabic headings");
    // The registry's codes are said in the page's language too.
    assert!(page.text.contains("منتخب بالإجماع"), "{}", page.text);
    // Dates read left to right inside the right-to-left page.
    assert!(
        page.text
            .contains("<bdi dir=\"ltr\">2016-12-11/2017-01-31</bdi>"),
        "{}",
        page.text
    );
    let english = site.get("/person/achraf-chahboun", "lang=en").await;
    assert!(english.text.contains("<html lang=\"en\" dir=\"ltr\">"));
    assert!(english
        .text
        .contains("<p class=\"names\"><bdi lang=\"ar-Latn\">Achraf Chahboun</bdi>"));
    assert!(english.text.contains("Mandates"));
    assert!(
        english.text.contains("elected unanimously"),
        "{}",
        english.text
    );
    let french = site.get("/person/achraf-chahboun", "").await;
    assert!(
        french.text.contains("<html lang=\"fr\" dir=\"ltr\">") && french.text.contains("Mandats")
    );
    // Never an open redirect.
    let away = site.get("/lang/en?back=//evil.example/", "").await;
    assert_eq!(away.headers[header::LOCATION], "/");
}

#[tokio::test]
async fn search_folds_a_name_typed_without_hamza_and_in_another_order() {
    let site = site(true).await;
    let page = site
        .get("/search/suggest?q=%D8%A7%D8%B4%D8%B1%D9%81", "")
        .await; // اشرف
    assert!(
        page.text.contains("/person/achraf-chahboun"),
        "{}",
        page.text
    );
    let page = site.get("/search?q=Chahboun%20Achraf", "").await;
    assert!(
        page.text.contains("/person/achraf-chahboun"),
        "{}",
        page.text
    );
    let page = site.get("/search/suggest?q=zzzz", "").await;
    assert!(page.text.contains("class=\"empty\""));
}

#[tokio::test]
async fn a_registrar_records_a_resignation_and_the_roster_changes() {
    let site = site(true).await;
    let (cookie, csrf) = site.sign_in().await;
    let form = [
        ("csrf", csrf.as_str()),
        ("command_id", "web-test-1"),
        ("source", "letter of resignation"),
        ("r0.command", "end_mandate"),
        ("r0.mandate", "m-amina"),
        ("r0.date", "2018-05-01"),
        ("r0.reason", "resigned"),
    ];
    let done = site.post("/record", &cookie, &form).await;
    assert_eq!(done.status, 303, "{}", done.text);
    assert!(done.headers[header::LOCATION]
        .to_str()
        .unwrap()
        .starts_with("/log?from=9"));
    let body = site
        .get("/body/khemisset-coordination?as_of=2019-01-01", "")
        .await;
    assert!(!section(&body.text, "h-holders").contains("Amina"));
    assert!(section(&body.text, "h-past").contains("Amina"));
    // Why it ended, in the page's language (French by default).
    assert!(section(&body.text, "h-past").contains("(démission)"));
    let audit = site.get("/mandate/m-amina", "").await;
    assert!(audit.text.contains("mandate_ended") && audit.text.contains("letter of resignation"));
    // The same form again (a double submit) records nothing more.
    let head = site.engine.snapshot().position;
    assert_eq!(site.post("/record", &cookie, &form).await.status, 303);
    assert_eq!(site.engine.snapshot().position, head);
}

#[tokio::test]
async fn a_batch_founds_a_body_and_elects_into_it_at_once() {
    let site = site(true).await;
    // The tree is cached: reading it first checks that a write makes it read again.
    assert!(!site
        .get("/tree", "")
        .await
        .text
        .contains("/body/khemisset-bureau"));
    let (cookie, csrf) = site.sign_in().await;
    let form = [
        ("csrf", csrf.as_str()),
        ("r0.command", "found_body"),
        ("r0.handle", "khemisset-bureau"),
        ("r0.name", "Bureau"),
        ("r0.kind", "bureau"),
        ("r0.parent", "khemisset-coordination"),
        ("r0.date", "2018-01-01"),
        ("r1.command", "correct_name"),
        ("r1.entity", "amina-alaoui"),
        ("r1.name", "Amina Alaoui"),
    ];
    let done = site.post("/record", &cookie, &form).await;
    assert_eq!(done.status, 303, "{}", done.text);
    assert!(site
        .get("/tree", "")
        .await
        .text
        .contains("/body/khemisset-bureau"));
    let person = site.get("/person/amina-alaoui", "").await;
    assert!(
        person.text.contains(">Amina Alaoui</bdi>") && !person.text.contains("&lt;b&gt;"),
        "{}",
        person.text
    );
}

/// A recording form: its CSRF token, then one `end_mandate` row per (mandate, date).
fn ending(csrf: &str, rows: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut form = vec![("csrf".to_owned(), csrf.to_owned())];
    for (row, (mandate, date)) in rows.iter().enumerate() {
        for (input, value) in [
            ("command", "end_mandate"),
            ("mandate", mandate),
            ("date", date),
            ("reason", "resigned"),
        ] {
            if !value.is_empty() {
                form.push((format!("r{row}.{input}"), (*value).to_owned()));
            }
        }
    }
    form
}

fn pairs(form: &[(String, String)]) -> Vec<(&str, &str)> {
    form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

#[tokio::test]
async fn an_invalid_form_shows_the_error_beside_the_field_and_records_nothing() {
    let site = site(true).await;
    let (cookie, csrf) = site.sign_in().await;
    let head = site.engine.snapshot().position;
    let form = ending(
        &csrf,
        &[("m-amina", "2018-05-01"), ("m-coordinator", "not a date")],
    );
    let page = site.post("/record", &cookie, &pairs(&form)).await;
    assert_eq!(page.status, 422);
    assert!(page.text.contains("id=\"r1-date-error\""), "{}", page.text);
    assert!(
        page.text
            .contains("id=\"r1-date\" name=\"r1.date\" value=\"not a date\""),
        "the form keeps what was typed"
    );
    assert_eq!(site.engine.snapshot().position, head);
    // A missing field is named.
    let form = ending(&csrf, &[("m-amina", "")]);
    let page = site.post("/record", &cookie, &pairs(&form)).await;
    assert_eq!(page.status, 422);
    assert!(page.text.contains("id=\"r0-date-error\""), "{}", page.text);
    // A rule broken by the second row (ending before it started) is shown on that row.
    let form = ending(
        &csrf,
        &[("m-amina", "2018-05-01"), ("m-coordinator", "2001-01-01")],
    );
    let page = site.post("/record", &cookie, &pairs(&form)).await;
    assert_eq!(page.status, 422);
    assert!(
        page.text.contains("id=\"r1-command-error\""),
        "{}",
        page.text
    );
    assert!(!page.text.contains("id=\"r0-command-error\""));
    assert_eq!(site.engine.snapshot().position, head);
    // An empty form is refused too.
    let page = site
        .post("/record", &cookie, &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(page.status, 422);
    assert_eq!(site.engine.snapshot().position, head);
}

#[tokio::test]
async fn forms_without_their_csrf_token_are_refused() {
    let site = site(true).await;
    let head = site.engine.snapshot().position;
    let (cookie, _) = site.sign_in().await;
    let resign = [
        ("r0.command", "end_mandate"),
        ("r0.mandate", "m-amina"),
        ("r0.date", "2018-05-01"),
        ("r0.reason", "resigned"),
    ];
    let mut forged = vec![("csrf", "forged")];
    forged.extend(resign);
    assert_eq!(site.post("/record", &cookie, &forged).await.status, 403);
    assert_eq!(site.post("/record", &cookie, &resign).await.status, 403);
    assert_eq!(site.engine.snapshot().position, head);
    // Signing out is a form too.
    assert_eq!(
        site.post("/signout", &cookie, &[("csrf", "forged")])
            .await
            .status,
        403
    );
    assert_eq!(
        site.get("/record", &cookie).await.status,
        200,
        "still signed in"
    );
    // The sign-in form needs its own token (its cookie and the form must agree).
    let (signin_cookie, csrf) = site.signin_form(&[]).await;
    let page = site
        .post(
            "/signin",
            &signin_cookie,
            &[("csrf", "forged"), ("token", REGISTRAR)],
        )
        .await;
    assert_eq!(page.status, 403);
    let page = site
        .post(
            "/signin",
            "",
            &[("csrf", csrf.as_str()), ("token", REGISTRAR)],
        )
        .await;
    assert_eq!(page.status, 403);
}

#[tokio::test]
async fn sessions_end_on_sign_out_and_unknown_tokens_are_refused() {
    let site = site(true).await;
    let (signin_cookie, csrf) = site.signin_form(&[]).await;
    let page = site
        .post(
            "/signin",
            &signin_cookie,
            &[("csrf", csrf.as_str()), ("token", "sjl_wrong")],
        )
        .await;
    assert_eq!(page.status, 401);
    assert!(page.text.contains("id=\"token-error\""));
    let (cookie, csrf) = site.sign_in().await;
    let out = site
        .post("/signout", &cookie, &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(out.status, 303);
    assert!(first_cookie_header(&out).contains("Max-Age=0"));
    assert_eq!(site.get("/record", &cookie).await.status, 401);
}

#[tokio::test]
async fn cookies_are_secure_when_served_over_https() {
    let site = site(true).await;
    let https = [("x-forwarded-proto", "https")];
    let (cookie, csrf) = site.signin_form(&https).await;
    let request = Request::post("/signin")
        .header(header::COOKIE, cookie)
        .header("x-forwarded-proto", "https")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(
            serde_urlencoded::to_string([("csrf", csrf.as_str()), ("token", REGISTRAR)]).unwrap(),
        ))
        .unwrap();
    let page = site.send(request).await;
    assert_eq!(page.status, 303);
    let set = first_cookie_header(&page);
    assert!(
        set.contains("HttpOnly") && set.contains("Secure") && set.contains("SameSite=Strict"),
        "{set}"
    );
    // Over plain HTTP a browser would never send a Secure cookie back: none is marked so.
    let (cookie, csrf) = site.signin_form(&[]).await;
    let page = site
        .post(
            "/signin",
            &cookie,
            &[("csrf", csrf.as_str()), ("token", REGISTRAR)],
        )
        .await;
    assert!(!first_cookie_header(&page).contains("Secure"));
}

#[tokio::test]
async fn a_reader_can_browse_but_not_record() {
    let site = site(false).await;
    let (cookie, csrf) = site.signin_form(&[]).await;
    let page = site
        .post(
            "/signin",
            &cookie,
            &[("csrf", csrf.as_str()), ("token", READER)],
        )
        .await;
    assert_eq!(page.status, 303);
    let session = first_cookie(&page);
    assert_eq!(site.get("/tree", &session).await.status, 200);
    assert_eq!(site.get("/record", &session).await.status, 403);
}

#[tokio::test]
async fn without_anonymous_reading_pages_ask_to_sign_in() {
    let site = site(false).await;
    let page = site.get("/tree?as_of=2017", "").await;
    assert_eq!(page.status, 303);
    assert_eq!(
        page.headers[header::LOCATION],
        "/signin?next=%2Ftree%3Fas_of%3D2017"
    );
    // Signing in leads back to the page asked for, and only ever to a page of this site.
    let form = site.get("/signin?next=%2Ftree%3Fas_of%3D2017", "").await;
    let cookie = first_cookie(&form);
    assert_eq!(hidden(&form.text, "next"), "/tree?as_of=2017");
    let csrf = hidden(&form.text, "csrf");
    for (next, to) in [
        ("/tree?as_of=2017", "/tree?as_of=2017"),
        ("//evil.example/", "/"),
    ] {
        let form = [("csrf", csrf.as_str()), ("token", READER), ("next", next)];
        let page = site.post("/signin", &cookie, &form).await;
        assert_eq!(page.headers[header::LOCATION], to);
    }
    assert_eq!(site.get("/signin", "").await.status, 200);
    assert_eq!(site.get("/assets/site.css", "").await.status, 200);
    assert_eq!(site.get("/record", "").await.status, 303);
}

#[tokio::test]
async fn a_body_with_one_post_and_many_members_draws_both_charts() {
    let site = site(true).await;
    let mut commands = vec![
        json!({"command": "found_body", "handle": "@council", "kind": "national-council", "founded_on": "2015", "name": "Council"}),
        json!({"command": "establish_post", "handle": "@council-member", "body": "@council", "title": "Member"}),
    ];
    for i in 0..30 {
        commands.push(json!({"command": "register_person", "handle": format!("@member-{i}"), "name": format!("Member {i}")}));
        let from = if i % 2 == 0 {
            "2015-01-01/2015-03-31"
        } else {
            "2015-02-01"
        };
        commands.push(json!({"command": "start_mandate", "person": format!("@member-{i}"), "post": "@council-member", "from": from, "basis": "elected"}));
    }
    let commands: Vec<Command> = serde_json::from_value(json!(commands)).unwrap();
    site.record(commands).await;
    let page = site.get("/body/council", "").await;
    assert_eq!(page.status, 200, "{}", page.text);
    let chart = section(&page.text, "h-org");
    assert!(
        chart.contains("+22"),
        "8 holders named, the 22 others counted: {chart}"
    );
    let timeline = section(&page.text, "h-timeline");
    assert_eq!(
        timeline.matches("class=\"uncertain\"").count(),
        15,
        "every uncertain start hatched"
    );
    assert_eq!(
        section(&page.text, "h-holders").matches("<tr>").count(),
        30 + 1
    );
}

#[tokio::test]
async fn a_name_in_the_pages_language_comes_first() {
    let site = site(true).await;
    let chamber = json!([{"command": "found_body", "handle": "@chamber", "kind": "chamber", "name": {
        "text": "Chamber of Agriculture", "lang": "en",
        "others": [{"text": "Chambre d'agriculture", "lang": "fr"}, {"text": "غرفة الفلاحة", "lang": "ar"}]}}]);
    let commands: Vec<Command> = serde_json::from_value(chamber).unwrap();
    site.record(commands).await;
    for (cookie, title) in [
        ("lang=fr", "Chambre d&#39;agriculture"),
        ("lang=en", "Chamber of Agriculture"),
        ("lang=ar", "غرفة الفلاحة"),
    ] {
        let page = site.get("/body/chamber", cookie).await;
        assert!(
            page.text
                .contains(&format!("<title>{title} · sijill</title>")),
            "{cookie}: {}",
            page.text
        );
    }
}

#[tokio::test]
async fn the_next_assembly_is_recorded_with_new_people_in_one_batch() {
    let site = site(true).await;
    let (cookie, csrf) = site.sign_in().await;
    assert!(site
        .get("/record?rows=20", &cookie)
        .await
        .text
        .contains("id=\"r19-command\""));
    let form = [
        ("csrf", csrf.as_str()),
        ("source", "minutes of the 2019 general assembly"),
        ("r0.command", "convene_assembly"),
        ("r0.handle", "khemisset-ga-2019"),
        ("r0.body", "khemisset-coordination"),
        ("r0.assembly_kind", "general_assembly"),
        ("r0.date", "2019-06-15"),
        ("r0.name", "General assembly 2019"),
        ("r0.venue", "Khemisset"),
        ("r1.command", "register_person"),
        ("r1.handle", "salma-bennani"),
        ("r1.name", "Salma Bennani"),
        // Rows beyond the form's first eight are read too.
        ("r11.command", "start_mandate"),
        ("r11.person", "salma-bennani"),
        ("r11.post", "khemisset-member"),
        ("r11.date", "2019-06-15"),
        ("r11.basis", "chosen_by_consensus"),
        ("r11.assembly", "khemisset-ga-2019"),
    ];
    let done = site.post("/record", &cookie, &form).await;
    assert_eq!(done.status, 303, "{}", done.text);
    let assembly = site.get("/assembly/khemisset-ga-2019", "").await;
    assert!(
        assembly.text.contains("General assembly 2019") && assembly.text.contains("Salma Bennani"),
        "{}",
        assembly.text
    );
    // A wrong assembly kind is named beside its list.
    let wrong = [
        ("csrf", csrf.as_str()),
        ("r0.command", "convene_assembly"),
        ("r0.handle", "x"),
        ("r0.body", "khemisset-coordination"),
        ("r0.assembly_kind", "picnic"),
        ("r0.date", "2019-06-15"),
    ];
    let page = site.post("/record", &cookie, &wrong).await;
    assert_eq!(page.status, 422);
    assert!(
        page.text.contains("id=\"r0-assembly_kind-error\""),
        "{}",
        page.text
    );
}
