//! The web registry in a real browser: `sijill serve --demo` driven through headless Chromium
//! over WebDriver, as a member and then a registrar would use it. Screenshots of the main
//! pages land in `target/screenshots/` (kept by CI as artifacts, and the source of the
//! pictures in docs/web.md).
//!
//! Needs `SIJILL_TEST_CHROMEDRIVER` and `SIJILL_TEST_CHROMIUM` (set by `scripts/test`, which
//! installs Debian's chromium and chromium-driver). Without them the test fails and says so:
//! a browser test that skips itself would pass in CI while testing nothing.

use std::net::TcpListener;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use futures::FutureExt;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use crate::server::Server;

/// How long to wait for chromedriver to listen, and for a page to show what is expected.
const START_TIMEOUT: Duration = Duration::from_secs(30);
const WAIT_TIMEOUT: Duration = Duration::from_secs(15);

/// A chromedriver on a free port, killed when dropped.
struct Driver {
    child: Child,
    url: String,
    _profile: tempfile::TempDir,
    chromium: String,
}

fn required_program(var: &str) -> String {
    let path = std::env::var(var).unwrap_or_else(|_| {
        panic!(
            "{var} is not set: the browser tests need Debian's chromium and chromium-driver; \
             run `bash scripts/test` (it installs them and sets {var}), or install them with \
             `apt-get install chromium chromium-driver` and set {var} to the program's path"
        )
    });
    assert!(
        Path::new(&path).exists(),
        "{var}={path} does not exist: install chromium and chromium-driver (apt-get install \
         chromium chromium-driver) or point {var} at the program"
    );
    path
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl Driver {
    fn start() -> Driver {
        let chromedriver = required_program("SIJILL_TEST_CHROMEDRIVER");
        let chromium = required_program("SIJILL_TEST_CHROMIUM");
        let port = free_port();
        let child = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {chromedriver}: {e}"));
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < START_TIMEOUT,
                "chromedriver did not listen on port {port} within {START_TIMEOUT:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            _profile: tempfile::tempdir().expect("a profile folder"),
            chromium,
        }
    }

    async fn browser(&self) -> Client {
        let profile = self._profile.path().display().to_string();
        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": self.chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1280,1400",
                    format!("--user-data-dir={profile}"),
                ]
            }
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object")
        };
        // chromedriver listens on this machine: plain HTTP (see the workspace manifest).
        ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("cannot open a Chromium session through chromedriver: {e}"))
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The page as a user sees it: its URL and helpers that fail with what was on screen.
struct Browser {
    client: Client,
    base: String,
    shots: PathBuf,
}

impl Browser {
    async fn open(&self, path: &str) {
        let url = format!("{}{path}", self.base);
        self.client
            .goto(&url)
            .await
            .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    }

    async fn find(&self, css: &str) -> Element {
        let found = self
            .client
            .wait()
            .at_most(WAIT_TIMEOUT)
            .for_element(Locator::Css(css))
            .await;
        match found {
            Ok(element) => element,
            Err(e) => panic!("no `{css}` on {}: {e}", self.path().await),
        }
    }

    async fn text(&self, css: &str) -> String {
        self.find(css)
            .await
            .text()
            .await
            .expect("an element's text")
    }

    async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .map(|u| {
                let query = u.query().map(|q| format!("?{q}")).unwrap_or_default();
                format!("{}{query}", u.path())
            })
            .unwrap_or_default()
    }

    /// Waits until `css`'s text contains `wanted`.
    async fn wait_for_text(&self, css: &str, wanted: &str) -> String {
        let started = Instant::now();
        loop {
            let text = match self.client.find(Locator::Css(css)).await {
                Ok(element) => element.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if text.contains(wanted) {
                return text;
            }
            assert!(
                started.elapsed() < WAIT_TIMEOUT,
                "`{css}` on {} never showed {wanted:?}; it shows {text:?}",
                self.path().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn fill(&self, css: &str, text: &str) {
        let input = self.find(css).await;
        input.clear().await.expect("clear an input");
        input.send_keys(text).await.expect("type into an input");
    }

    async fn click(&self, css: &str) {
        self.find(css).await.click().await.expect("click");
    }

    async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("a screenshot");
        self.save(name, &png);
    }

    fn save(&self, name: &str, png: &[u8]) {
        let path = self.shots.join(format!("{name}.png"));
        std::fs::write(&path, png)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }

    /// A picture of one part of the page (a chart), which a window-sized one may not reach.
    async fn element_screenshot(&self, css: &str, name: &str) {
        let png = self
            .find(css)
            .await
            .screenshot()
            .await
            .expect("a screenshot");
        self.save(name, &png);
    }

    async fn sign_in(&self, token: &str) {
        self.open("/signin").await;
        self.fill("#token", token).await;
        self.click("form.signin button").await;
        self.find("header .session form").await;
    }

    async fn sign_out(&self) {
        self.click("header .session form button").await;
        self.find("header .session a[href='/signin']").await;
    }
}

fn screenshots_folder() -> PathBuf {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&folder).expect("target/screenshots");
    folder
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_browses_and_a_registrar_records_in_a_real_browser() {
    let driver = Driver::start();
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(&data.path().join("data"), &["--demo"]);
    let browser = Browser {
        client: driver.browser().await,
        base: server.url.clone(),
        shots: screenshots_folder(),
    };
    // Close the browser even when the scenario fails, then fail with its message.
    let outcome = AssertUnwindSafe(scenario(&browser, &server))
        .catch_unwind()
        .await;
    browser.client.clone().close().await.ok();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

async fn scenario(b: &Browser, server: &Server) {
    // Reading needs a token: the sign-in page is where the printed URL leads.
    b.open("/").await;
    assert!(
        b.path().await.starts_with("/signin?next="),
        "{}",
        b.path().await
    );
    b.screenshot("signin").await;
    b.sign_in(server.token("reader")).await;
    b.open("/").await;
    b.find("#h-recent").await;
    b.screenshot("overview").await;
    // The keyboard's first stop is the link that skips to the content.
    b.find("body").await.send_keys("\u{E004}").await.unwrap();
    let focused = b.client.active_element().await.unwrap();
    assert_eq!(
        focused.attr("class").await.unwrap().as_deref(),
        Some("skip")
    );

    // The Khemisset coordination's roster.
    b.open("/body/khemisset-coordination").await;
    let roster = b.text("table.roster").await;
    assert!(
        roster.contains("Achraf Chahboun") && roster.contains("Driss Khadji"),
        "{roster}"
    );
    assert_eq!(
        b.unlabelled_controls().await,
        0,
        "every control has a label"
    );
    assert_eq!(
        b.find_all_rows("table.roster tbody tr").await,
        20,
        "the coordinator and 19 members"
    );
    b.find("svg.chart.org").await;
    b.find("svg.chart.timeline rect.uncertain").await;
    b.screenshot("body").await;
    b.element_screenshot("section.chart-section:has(svg.org)", "body-org-chart")
        .await;
    b.element_screenshot("section.chart-section:has(svg.timeline)", "body-timeline")
        .await;

    // Before the founding it is not there: the roster empties, the tree loses it.
    b.fill("#as_of", "2016-06-01").await;
    b.click("form.dates button").await;
    b.wait_for_text("p.asof", "2016-06-01").await;
    assert!(
        b.client.find(Locator::Css("table.roster")).await.is_err(),
        "no roster before the founding"
    );
    b.open("/tree").await;
    assert!(b
        .text("ul.tree")
        .await
        .contains("Khemisset provincial coordination"));
    b.screenshot("tree").await;
    b.fill("#as_of", "2016-06-01").await;
    b.click("form.dates button").await;
    b.wait_for_text("p.asof", "2016-06-01").await;
    let tree = b.text("main").await;
    assert!(
        !tree.contains("Khemisset provincial coordination"),
        "{tree}"
    );

    // Search as you type, without the hamza of إدريس.
    b.open("/search").await;
    b.fill("#q", "ادريس خدجي").await;
    let found = b.wait_for_text("#suggest", "Driss Khadji").await;
    assert!(found.contains("Driss Khadji"), "{found}");
    b.screenshot("search").await;
    b.click("#suggest a[href^='/person/driss-khadji']").await;
    b.find("table.mandates").await;
    b.screenshot("person").await;

    // Arabic: right to left, Arabic names first.
    b.click("nav.langs a[lang='ar']").await;
    b.wait_for_text("main h1", "إدريس").await;
    let dir = b.find("html").await.attr("dir").await.unwrap();
    assert_eq!(dir.as_deref(), Some("rtl"));
    b.open("/body/khemisset-coordination").await;
    b.screenshot("body-ar").await;
    b.click("nav.langs a[lang='en']").await;
    let dir = b.find("html").await.attr("dir").await.unwrap();
    assert_eq!(dir.as_deref(), Some("ltr"));

    // The audit page of Hamid Haddadi's mandate, before anything changes.
    b.open("/body/khemisset-coordination").await;
    let audit = hamid_audit_link(b).await;
    let mandate = audit.trim_start_matches("/mandate/").to_owned();
    b.open(&audit).await;
    let before = b.text("table.log").await;
    assert!(!before.contains("mandate_ended"), "{before}");
    b.click("#verify").await;
    b.wait_for_text("#verify-result", "✓").await;
    b.screenshot("audit").await;
    b.sign_out().await;

    // A registrar records his resignation through the form.
    b.sign_in(server.token("registrar")).await;
    b.open("/record").await;
    b.fill("#source", "letter of resignation").await;
    b.find("#r0-command")
        .await
        .select_by_value("end_mandate")
        .await
        .unwrap();
    b.fill("#r0-mandate", &mandate).await;
    b.fill("#r0-date", "2018-03-15").await;
    b.find("#r0-reason")
        .await
        .select_by_value("resigned")
        .await
        .unwrap();
    assert!(
        !b.find("#r0-person").await.is_displayed().await.unwrap(),
        "inputs the command does not use are hidden"
    );
    b.screenshot("record").await;
    assert_eq!(
        b.unlabelled_controls().await,
        0,
        "every input of the form has a label"
    );
    b.click("form.record button").await;
    b.wait_for_text("#recorded", "").await;
    assert!(b.text("table.log").await.contains("mandate_ended"));

    // The roster and the audit page show it.
    b.open("/body/khemisset-coordination").await;
    let roster = b.text("table.roster").await;
    assert!(!roster.contains("Hamid Haddadi"), "{roster}");
    assert!(b.text("table.past").await.contains("Hamid Haddadi"));
    b.open(&audit).await;
    let after = b.text("table.log").await;
    assert!(
        after.contains("mandate_ended") && after.contains("letter of resignation"),
        "{after}"
    );

    // An invalid form shows the error beside the field and records nothing.
    let head = head_position(b).await;
    b.open("/record").await;
    b.find("#r0-command")
        .await
        .select_by_value("end_mandate")
        .await
        .unwrap();
    b.fill("#r0-mandate", "@khemisset-coordinator-chahboun")
        .await;
    b.fill("#r0-date", "2019-02-30").await;
    b.find("#r0-reason")
        .await
        .select_by_value("resigned")
        .await
        .unwrap();
    b.click("form.record button").await;
    let error = b.text("#r0-date-error").await;
    assert!(!error.is_empty());
    b.find("#form-error").await;
    b.screenshot("record-error").await;
    assert_eq!(head_position(b).await, head, "nothing was recorded");
    b.open("/body/khemisset-coordination").await;
    assert!(b.text("table.roster").await.contains("Achraf Chahboun"));
}

impl Browser {
    /// Form controls on the page that no `<label>` names.
    async fn unlabelled_controls(&self) -> u64 {
        let script = "return Array.from(document.querySelectorAll('input:not([type=hidden]), select')).filter(e => e.labels.length === 0).length;";
        self.client
            .execute(script, Vec::new())
            .await
            .expect("run a script")
            .as_u64()
            .expect("a count")
    }

    async fn find_all_rows(&self, css: &str) -> usize {
        self.client
            .find_all(Locator::Css(css))
            .await
            .map(|v| v.len())
            .unwrap_or(0)
    }
}

/// The audit link on Hamid Haddadi's row of the roster.
async fn hamid_audit_link(b: &Browser) -> String {
    let rows = b
        .client
        .find_all(Locator::Css("table.roster tbody tr"))
        .await
        .unwrap();
    for row in rows {
        if row
            .text()
            .await
            .unwrap_or_default()
            .contains("Hamid Haddadi")
        {
            let link = row
                .find(Locator::Css("a[href^='/mandate/']"))
                .await
                .unwrap();
            return link.attr("href").await.unwrap().expect("an href");
        }
    }
    panic!("no row for Hamid Haddadi on the roster");
}

/// The log position every page's footer states.
async fn head_position(b: &Browser) -> u64 {
    b.open("/log").await;
    let footer = b.text("footer.site").await;
    footer
        .split_whitespace()
        .last()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no position in the footer: {footer}"))
}
