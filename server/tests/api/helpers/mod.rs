//! What every test module shares: the real router started on a temporary SQLite file
//! with the demo data and spoken to in-process (`TestApp`), the real binary (`binary`,
//! with its raw HTTP client `binary::http`), the demo's names and the bodies the API
//! takes (`fixtures`), the MS Teams journey through the API (`journey`), and the job
//! runner on a database of its own (`jobs`).
//!
//! Every assertion on an answer names the request and shows the body when it fails, and
//! a table of cases is checked case by case before the test fails (`Failures`), so one
//! run shows every failing case. (`in_process.rs` is no module here: only the benches in
//! `server/examples` include it.)

pub mod binary;
pub mod fixtures;
pub mod jobs;
mod journey;

use std::{fmt::Display, future::Future};

use axum::{
    Router,
    body::Body,
    http::{HeaderMap, Method, Request, StatusCode, request},
};
use http_body_util::BodyExt;
use leptos::prelude::LeptosOptions;
use serde_json::Value;
use server::{
    auth::password, config::Config, crypto::SecretBox, state::AppState, store::Db, store::accounts,
};
use tempfile::TempDir;
use tower::ServiceExt;

pub use app::api_types::{AdminLevel, Role};
pub use fixtures::*;
pub use journey::WIZARD_LIMIT;

pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub db: Db,
    pub dir: TempDir,
    /// The key the server seals stored secrets with, to prove what a row holds.
    pub secrets: SecretBox,
}

/// The test configuration on this database.
pub fn config(database_url: String) -> Config {
    let mut config = Config::for_database(database_url);
    // Demo data even when a test gives a public URL (which turns it off by default).
    config.demo = Some(true);
    // Simulated Microsoft at a hundredth of real time: a wizard takes about a second.
    config.time_scale = 0.01;
    config
}

/// The Leptos options the server is built with.
pub fn leptos_options() -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("fusion-teams-onboarding")
        .build()
}

/// The server's log in each test's output (shown when a test fails). The subscriber is
/// global to the process, so every test installs the same one: which test runs first
/// does not change what any test logs.
pub fn logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("warn,server=info")
        .with_test_writer()
        .try_init();
}

impl TestApp {
    pub async fn start() -> Self {
        Self::start_configured(|_| {}).await
    }

    /// `start`, and a demo administrator signed in through the sign-in form: its session
    /// cookie's value.
    pub async fn browser_signed_in(username: &str) -> (Self, String) {
        let app = Self::start().await;
        let cookie = app.browser_login(username).await;
        (app, cookie)
    }

    /// `start`, and a demo administrator signed in through the API: its bearer token.
    pub async fn signed_in(username: &str) -> (Self, String) {
        let app = Self::start().await;
        let token = app.login(username).await;
        (app, token)
    }

    /// As `start`, with the test configuration changed by `adjust` (e.g. the time scale).
    pub async fn start_configured(adjust: impl FnOnce(&mut Config)) -> Self {
        logs();
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("fusion.db").display());
        let mut config = config(url.clone());
        adjust(&mut config);
        let db = Db::connect(&url).await.expect("database");
        let secrets = SecretBox::random();
        let server = server::start_with(&config, leptos_options(), db.clone(), secrets.clone())
            .await
            .expect("start");
        TestApp::serving(server.state, dir, secrets)
    }

    /// As `start_configured`, loading `text` as the scenario file instead of the demo.
    pub async fn start_with_scenario(text: &str, adjust: impl FnOnce(&mut Config)) -> Self {
        let file = tempfile::NamedTempFile::new().expect("scenario file");
        std::fs::write(file.path(), text).expect("write scenario");
        let path = file.path().to_owned();
        Self::start_configured(|config| {
            config.demo = None;
            config.scenario = Some(path);
            adjust(config);
        })
        .await
    }

    /// The router over `state`, whose database lies in `dir`.
    pub fn serving(state: AppState, dir: TempDir, secrets: SecretBox) -> Self {
        TestApp {
            router: server::web::router(state.clone()),
            db: state.db.clone(),
            state,
            dir,
            secrets,
        }
    }

    // ---- requests ------------------------------------------------------------------

    /// A request to build (`bearer`, `session`, `header`, `json`…) and `send`.
    pub fn request(&self, method: Method, path: &str) -> Call<'_> {
        Call {
            app: self,
            request: Request::builder().method(method).uri(path),
            body: Body::empty(),
        }
    }

    /// A call with an optional bearer token and an optional JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> TestResponse {
        let call = self.request(method, path).token(token);
        match body {
            Some(body) => call.json(&body),
            None => call,
        }
        .send()
        .await
    }

    pub async fn get(&self, path: &str, token: &str) -> TestResponse {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> TestResponse {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    /// A GET that must answer 200: its JSON.
    pub async fn get_ok(&self, path: &str, token: &str) -> Value {
        let response = self.get(path, token).await;
        response.assert_status(StatusCode::OK).json()
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> TestResponse {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }

    /// Sends `request` through the router; the answer, which must not be a 5xx.
    async fn send(&self, request: Request<Body>) -> TestResponse {
        let response = self.send_unchecked(request).await;
        // No test asks for a server error this way: a 5xx is a bug.
        assert!(
            !response.status.is_server_error(),
            "{}: the server answered {}: a request must never produce a 5xx",
            response.asked,
            response.status
        );
        response
    }

    async fn send_unchecked(&self, request: Request<Body>) -> TestResponse {
        let asked = format!("{} {}", request.method(), request.uri());
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        TestResponse {
            asked,
            status,
            headers,
            bytes,
        }
    }

    // ---- signing in ----------------------------------------------------------------

    /// Signs a demo administrator in through the API; its bearer token.
    pub async fn login(&self, username: &str) -> String {
        self.login_with(username, demo_password(username)).await
    }

    /// Signs in through the API with any username and password; panics unless it works.
    pub async fn login_with(&self, username: &str, password: &str) -> String {
        let signed_in = self.post_login(username, password, &[]).await;
        let tokens = signed_in.assert_status(StatusCode::OK).json();
        tokens["access_token"].as_str().expect("a token").to_owned()
    }

    /// `POST /api/v01/auth/login` with `extra` headers: the answer, whatever it is.
    pub async fn post_login(
        &self,
        username: &str,
        password: &str,
        extra: &[(&str, &str)],
    ) -> TestResponse {
        self.request(Method::POST, LOGIN)
            .headers(extra)
            .json(&login_body(username, password))
            .send()
            .await
    }

    /// Answers a second-factor challenge (`POST /api/v01/auth/{endpoint}`, `2fa` or
    /// `2fa_totp`) from the device with this user agent.
    pub async fn post_second_factor(
        &self,
        endpoint: &str,
        payload: &str,
        code: &str,
        trust: bool,
        user_agent: &str,
    ) -> TestResponse {
        let body = serde_json::json!({"code": code, "trust": trust, "2fa_payload": payload});
        self.request(Method::POST, &format!("/api/v01/auth/{endpoint}"))
            .header("user-agent", user_agent)
            .json(&body)
            .send()
            .await
    }

    /// Signs a demo administrator in through the sign-in form, as a browser does; the
    /// session cookie's value.
    pub async fn browser_login(&self, username: &str) -> String {
        let response = self
            .sign_in_form(username, demo_password(username), &[])
            .await;
        assert!(
            response.status.is_success() || response.status.is_redirection(),
            "sign-in form for {username}: {}",
            response.status
        );
        response.session_cookie().expect("a session cookie")
    }

    /// Posts the sign-in form from this site's page, with `extra` headers.
    pub async fn sign_in_form(
        &self,
        username: &str,
        password: &str,
        extra: &[(&str, &str)],
    ) -> TestResponse {
        let body = format!(
            "username={}&password={}",
            app::backend::query_value(username),
            app::backend::query_value(password)
        );
        self.request(Method::POST, "/ui/login")
            .same_origin()
            .headers(extra)
            .form(body)
            .send()
            .await
    }

    /// A server function called from this site's page, with the session cookie `session`
    /// (or none).
    pub async fn server_fn(&self, name: &str, session: Option<&str>, args: Value) -> TestResponse {
        let call = self.request(Method::POST, &format!("/ui/{name}"));
        match session {
            Some(session) => call.session(session),
            None => call,
        }
        .same_origin()
        .header("accept", "application/json")
        .json(&args)
        .send()
        .await
    }

    /// Creates an administrator whose own profile holds exactly `roles`, at `level` on
    /// `node`, and signs it in through the API. Returns its bearer token.
    pub async fn admin_with_roles(
        &self,
        username: &str,
        level: AdminLevel,
        node: uuid::Uuid,
        roles: &[Role],
    ) -> String {
        let profile = format!("test-{username}");
        accounts::upsert_profile(&self.db, &profile, "made by a test", roles)
            .await
            .expect("profile");
        let password = format!("{username}-password");
        let mut conn = self.db.write.acquire().await.expect("connection");
        let created = accounts::insert_admin_if_missing(
            &mut conn,
            accounts::NewAdmin {
                username,
                display_name: username,
                level,
                node_id: node,
                profile: &profile,
                password_hash: password::hash(&password),
            },
        )
        .await
        .expect("admin");
        drop(conn);
        assert!(created.is_some(), "admin {username} already exists");
        self.login_with(username, &password).await
    }

    // ---- the database --------------------------------------------------------------

    /// Every row of every domain table (not the audit log or sessions), to prove that a
    /// refused request wrote nothing.
    pub async fn snapshot(&self) -> String {
        self.dump_tables(&[
            "nodes",
            "subscriptions",
            "fusion_users",
            "msteams_tenants",
            "msteams_applications",
            "msteams_administrators",
            "msteams_links",
            "transactions",
            "admin_users",
            "profile_roles",
        ])
        .await
    }

    /// Every row of these tables, to prove that a refused request changed nothing there.
    pub async fn dump_tables(&self, tables: &[&str]) -> String {
        let mut dump = String::new();
        for table in tables {
            let columns: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info(?)")
                .bind(table)
                .fetch_all(&self.db.read)
                .await
                .expect("columns");
            let row = columns
                .iter()
                .map(|c| format!("quote({c})"))
                .collect::<Vec<_>>()
                .join(" || '|' || ");
            let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT {row} FROM {table} ORDER BY 1"
            )))
            .fetch_all(&self.db.read)
            .await
            .unwrap_or_else(|e| panic!("{table}: {e}"));
            dump.push_str(&format!("{table}: {rows:?}\n"));
        }
        dump
    }

    /// How many rows `query` (a `SELECT COUNT(*) …`, each `?` bound to one of `binds`)
    /// counts.
    pub async fn count(&self, query: &str, binds: &[i64]) -> i64 {
        binds
            .iter()
            .fold(
                sqlx::query_scalar(sqlx::AssertSqlSafe(query.to_owned())),
                |query, bind| query.bind(*bind),
            )
            .fetch_one(&self.db.read)
            .await
            .unwrap_or_else(|e| panic!("{query}: {e}"))
    }

    /// Runs a statement that changes the database behind the API's back.
    pub async fn execute(&self, statement: &str) {
        sqlx::query(sqlx::AssertSqlSafe(statement.to_owned()))
            .execute(&self.db.write)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }

    /// The raw bytes of the SQLite file and its write-ahead log, to prove a plaintext
    /// never reaches the disk.
    pub fn database_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        for name in ["fusion.db", "fusion.db-wal"] {
            if let Ok(file) = std::fs::read(self.dir.path().join(name)) {
                bytes.extend(file);
            }
        }
        bytes
    }
}

/// A request being built by `TestApp::request`; `send` sends it.
#[must_use]
pub struct Call<'a> {
    app: &'a TestApp,
    request: request::Builder,
    body: Body,
}

impl Call<'_> {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.request = self.request.header(name, value);
        self
    }

    pub fn headers(self, extra: &[(&str, &str)]) -> Self {
        extra
            .iter()
            .fold(self, |call, (name, value)| call.header(name, value))
    }

    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// The bearer token, if there is one.
    pub fn token(self, token: Option<&str>) -> Self {
        match token {
            Some(token) => self.bearer(token),
            None => self,
        }
    }

    /// The browser's session cookie.
    pub fn session(self, value: &str) -> Self {
        self.header("cookie", &format!("fusion_session={value}"))
    }

    /// This site's host, as a browser names it.
    pub fn host(self) -> Self {
        self.header("host", HOST)
    }

    /// Sent from this site's own page: its host and origin.
    pub fn same_origin(self) -> Self {
        self.host().header("origin", THIS_ORIGIN)
    }

    /// A JSON body.
    pub fn json(self, body: &Value) -> Self {
        self.raw(Some("application/json"), body.to_string())
    }

    /// A form, as the sign-in form posts it, answered in JSON.
    pub fn form(self, body: String) -> Self {
        self.header("accept", "application/json")
            .raw(Some("application/x-www-form-urlencoded"), body)
    }

    /// A body as it is, with this Content-Type (or none), as a careless client sends it.
    pub fn raw(mut self, content_type: Option<&str>, body: impl Into<Body>) -> Self {
        if let Some(content_type) = content_type {
            self = self.header("content-type", content_type);
        }
        self.body = body.into();
        self
    }

    /// The answer, which must not be a 5xx.
    pub async fn send(self) -> TestResponse {
        let request = self.request.body(self.body).expect("request");
        self.app.send(request).await
    }

    /// The answer, a 5xx included: for the one test that asks for a server's 503.
    pub async fn send_unchecked(self) -> TestResponse {
        let request = self.request.body(self.body).expect("request");
        self.app.send_unchecked(request).await
    }
}

/// An answer of the in-process server, and the request it answers ("METHOD path").
pub struct TestResponse {
    pub asked: String,
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
}

impl TestResponse {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// The body as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        match serde_json::from_slice(&self.bytes) {
            Ok(json) => json,
            Err(e) => panic!("{}: not JSON ({e}): {}", self.asked, self.text()),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("")
    }

    /// The value of the session cookie a `Set-Cookie` header of this answer stores.
    pub fn session_cookie(&self) -> Option<String> {
        let cookie = self.header("set-cookie")?;
        let (_, value) = cookie.split(';').next()?.split_once('=')?;
        Some(value.to_owned())
    }

    /// Whether this is the status: the answer, or what was asked and answered.
    pub fn check_status(&self, status: StatusCode) -> Result<&Self, String> {
        binary::http::check_status(
            &self.asked,
            self.status.as_u16(),
            &self.text(),
            status.as_u16(),
        )
        .map(|()| self)
    }

    /// Whether this is a problem+json answer with this status and code: the problem, or
    /// what is wrong with the answer.
    pub fn check_problem(&self, status: u16, code: &str) -> Result<Value, String> {
        binary::http::check_problem(
            &self.asked,
            self.status.as_u16(),
            self.header("content-type"),
            &self.text(),
            status,
            code,
        )
    }

    /// Asserts a 204 with no body at all.
    #[track_caller]
    pub fn assert_no_content(&self) {
        self.assert_status(StatusCode::NO_CONTENT);
        assert!(self.bytes.is_empty(), "{}: a body with a 204", self.asked);
    }

    /// As `check_problem`, with a detail that `says` what it must.
    pub fn check_refusal(&self, status: u16, code: &str, says: Says) -> Result<Value, String> {
        let problem = self.check_problem(status, code)?;
        let detail = problem["detail"].as_str().unwrap_or_default();
        let said = match says {
            Says::Anything => true,
            Says::Contains(words) => detail.contains(words),
            Says::StartsWith(words) => detail.starts_with(words),
        };
        if said {
            Ok(problem)
        } else {
            Err(format!(
                "{}: the detail does not say {says:?}: {problem}",
                self.asked
            ))
        }
    }

    /// Asserts this status, naming the request and showing the body otherwise.
    #[track_caller]
    pub fn assert_status(&self, status: StatusCode) -> &Self {
        match self.check_status(status) {
            Ok(response) => response,
            Err(failure) => panic!("{failure}"),
        }
    }

    /// Asserts a problem+json body with this status and code whose detail `says` what it
    /// must, and returns it.
    #[track_caller]
    pub fn assert_refusal(&self, status: u16, code: &str, says: Says) -> Value {
        match self.check_refusal(status, code, says) {
            Ok(problem) => problem,
            Err(failure) => panic!("{failure}"),
        }
    }

    /// Asserts a problem+json body with this status and code, and returns it.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) -> Value {
        match self.check_problem(status, code) {
            Ok(problem) => problem,
            Err(failure) => panic!("{failure}"),
        }
    }
}

/// A JSON body in a table of cases, made when its row is sent.
pub type JsonBody = fn() -> Value;

/// What a refusal's detail must say.
#[derive(Clone, Copy, Debug)]
pub enum Says {
    Anything,
    Contains(&'static str),
    StartsWith(&'static str),
}

/// The failed cases of a table. Each case is checked and a failure recorded under the
/// case's name (a failed answer names its request too); `assert_none` then fails the
/// test listing every one, so that one run shows all that fail.
#[derive(Default)]
pub struct Failures(Vec<String>);

impl Failures {
    /// Records `outcome` of `case`; the value when it passed.
    pub fn check<T>(&mut self, case: impl Display, outcome: Result<T, String>) -> Option<T> {
        outcome.map_err(|failure| self.record(case, failure)).ok()
    }

    /// Records a failure of `case` unless `holds`, saying what was wrong.
    pub fn expect(&mut self, case: impl Display, holds: bool, wrong: impl Display) {
        if !holds {
            self.record(case, wrong);
        }
    }

    fn record(&mut self, case: impl Display, failure: impl Display) {
        let case = case.to_string();
        let failure = failure.to_string();
        self.0
            .push(if case.is_empty() || failure.starts_with(&case) {
                failure
            } else {
                format!("{case}: {failure}")
            });
    }

    #[track_caller]
    pub fn assert_none(self) {
        assert!(
            self.0.is_empty(),
            "{} case(s) failed:\n{}",
            self.0.len(),
            self.0.join("\n")
        );
    }
}

/// Runs a case that asserts by panicking on a task of its own: its panic's message as a
/// failure, so that a table's later cases still run.
pub async fn outcome_of(case: impl Future<Output = ()> + Send + 'static) -> Result<(), String> {
    tokio::spawn(case).await.map_err(|failed| {
        let panic = failed.into_panic();
        let message = panic.downcast_ref::<String>().cloned();
        let message = message.or_else(|| panic.downcast_ref::<&str>().map(|m| m.to_string()));
        message.unwrap_or_else(|| "panicked".to_owned())
    })
}

/// The six-digit code in a message of the simulated outbox.
pub fn code_in(mail: &Value) -> String {
    mail["body"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .map(|word| word.trim_end_matches('.'))
        .find(|word| word.len() == 6 && word.bytes().all(|b| b.is_ascii_digit()))
        .expect("a six-digit code")
        .to_owned()
}

pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}
