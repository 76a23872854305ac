//! Starts the real router on a temporary SQLite file with the demo data, and speaks
//! HTTP to it in-process. Shared by every integration test module.

pub mod binary;

use std::time::{Duration, Instant};

use axum::{
    Router,
    body::Body,
    http::{HeaderMap, Method, Request, StatusCode, header},
};
use http_body_util::BodyExt;
use leptos::prelude::LeptosOptions;
use serde_json::Value;
use server::{
    auth::password,
    config::Config,
    crypto::SecretBox,
    seed::{self, DEMO_LOGINS},
    state::AppState,
    store::{Db, accounts},
};
use tempfile::TempDir;
use tower::ServiceExt;

#[allow(unused_imports)]
pub use app::api_types::AdminLevel;
#[allow(unused_imports)]
pub use server::seed::{TENANT_ACME, TENANT_GLOBEX, TENANT_INITECH, TENANT_UMBRELLA};

pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub db: Db,
    pub dir: TempDir,
    /// The key the server seals stored secrets with, to prove what a row holds.
    pub secrets: SecretBox,
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
}

impl TestResponse {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.bytes)))
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts a problem+json body with this status and code, and returns it.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "body: {}",
            String::from_utf8_lossy(&self.bytes)
        );
        assert_eq!(self.content_type(), "application/problem+json");
        let problem = self.json();
        assert_eq!(problem["status"], status);
        assert_eq!(problem["code"], code, "problem: {problem}");
        assert!(
            problem["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "problem: {problem}"
        );
        assert!(
            problem["title"].is_string() && problem["type"].is_string(),
            "problem: {problem}"
        );
        // Vendor-style clients read the message from `error`.
        assert_eq!(problem["error"], problem["detail"], "problem: {problem}");
        problem
    }
}

pub fn config(database_url: String) -> Config {
    let mut config = Config::for_database(database_url);
    // Demo data even when a test gives a public URL (which turns it off by default).
    config.demo = Some(true);
    // Simulated Microsoft at a hundredth of real time: a wizard takes about a second.
    config.time_scale = 0.01;
    config
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

    /// As `start`, with the test configuration changed by `adjust` (e.g. the time scale).
    pub async fn start_configured(adjust: impl FnOnce(&mut Config)) -> Self {
        logs();
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("fusion.db").display());
        let mut config = config(url.clone());
        adjust(&mut config);
        let db = Db::connect(&url).await.expect("database");
        let options = LeptosOptions::builder()
            .output_name("fusion-teams-onboarding")
            .build();
        let secrets = SecretBox::random();
        let state = server::start_with(&config, options, db.clone(), secrets.clone())
            .await
            .expect("start")
            .state;
        TestApp {
            router: server::web::router(state.clone()),
            state,
            db,
            dir,
            secrets,
        }
    }

    pub async fn login(&self, username: &str) -> String {
        let password = DEMO_LOGINS
            .iter()
            .find(|l| l.username == username)
            .expect("demo login")
            .password;
        self.login_with(username, password).await
    }

    /// Signs in through the API with any username and password; panics unless it works.
    pub async fn login_with(&self, username: &str, password: &str) -> String {
        let response = self
            .call(
                Method::POST,
                "/api/v01/auth/login",
                None,
                Some(serde_json::json!({"username": username, "password": password})),
            )
            .await;
        assert_eq!(response.status, StatusCode::OK, "login {username}");
        response.json()["access_token"]
            .as_str()
            .expect("an access token")
            .to_owned()
    }

    /// Signs in through the sign-in form, as a browser does; the session cookie's value.
    pub async fn browser_login(&self, username: &str) -> String {
        let password = DEMO_LOGINS
            .iter()
            .find(|l| l.username == username)
            .expect("demo login")
            .password;
        let response = self.sign_in_form(username, password, &[]).await;
        assert!(
            response.status.is_success() || response.status.is_redirection(),
            "sign-in form for {username}: {}",
            response.status
        );
        let cookie = response
            .headers
            .get(header::SET_COOKIE)
            .and_then(|value| value.to_str().ok())
            .expect("a session cookie");
        cookie
            .split(';')
            .next()
            .and_then(|pair| pair.split_once('='))
            .map(|(_, value)| value.to_owned())
            .expect("name=value")
    }

    /// Posts the sign-in form from this site's page, with `extra` headers.
    pub async fn sign_in_form(
        &self,
        username: &str,
        password: &str,
        extra: &[(&str, &str)],
    ) -> TestResponse {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri("/ui/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json")
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::ORIGIN, "http://127.0.0.1:3000");
        for (name, value) in extra {
            request = request.header(*name, *value);
        }
        let body = format!(
            "username={}&password={}",
            app::backend::query_value(username),
            app::backend::query_value(password)
        );
        self.send(request.body(Body::from(body)).expect("request"))
            .await
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> TestResponse {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = match body {
            Some(body) => request
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string())),
            None => request.body(Body::empty()),
        };
        self.send(request.expect("request")).await
    }

    pub async fn get(&self, path: &str, token: &str) -> TestResponse {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> TestResponse {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> TestResponse {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }

    /// A request with a raw body and an optional Content-Type, as a careless client sends it.
    pub async fn call_raw(
        &self,
        method: Method,
        path: &str,
        token: &str,
        content_type: Option<&str>,
        body: impl Into<Body>,
    ) -> TestResponse {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        self.send(request.body(body.into()).expect("request")).await
    }

    /// Creates an administrator whose own profile holds exactly `roles`, at `level` on
    /// `node`, and signs it in through the API. Returns its bearer token.
    pub async fn admin_with_roles(
        &self,
        username: &str,
        level: AdminLevel,
        node: uuid::Uuid,
        roles: &[&str],
    ) -> String {
        let profile = format!("test-{username}");
        accounts::upsert_profile(&self.db, &profile, "made by a test", roles)
            .await
            .expect("profile");
        let password = format!("{username}-password");
        let created = accounts::insert_admin_if_missing(
            &self.db,
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
        assert!(created, "admin {username} already exists");
        self.login_with(username, &password).await
    }

    pub async fn send(&self, request: Request<Body>) -> TestResponse {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router answers");
        let status = response.status();
        // No test asks for a server error: a 5xx is always a bug.
        assert!(
            !status.is_server_error(),
            "the server answered {status}: a request must never produce a 5xx"
        );
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        TestResponse {
            status,
            headers,
            bytes,
        }
    }

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
}

/// The raw bytes of the SQLite file and its write-ahead log, to prove a plaintext
/// never reaches the disk.
pub fn database_bytes(app: &TestApp) -> Vec<u8> {
    let mut bytes = Vec::new();
    for name in ["fusion.db", "fusion.db-wal"] {
        if let Ok(file) = std::fs::read(app.dir.path().join(name)) {
            bytes.extend(file);
        }
    }
    bytes
}

pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// `/api/v01/draas/demo/tenants/{tenant}/subscriptions/{subscription}/{tail}`.
pub fn sub_path(tenant: uuid::Uuid, subscription: i64, tail: &str) -> String {
    format!(
        "/api/v01/draas/{}/tenants/{tenant}/subscriptions/{subscription}/{tail}",
        seed::DEMO_INSTANCE
    )
}

impl TestResponse {
    /// The body as text, for failure messages.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// Asserts this status, showing the body otherwise.
    #[track_caller]
    pub fn assert_status(&self, status: StatusCode) -> &Self {
        assert_eq!(self.status, status, "{}", self.text());
        self
    }
}

// ---------------------------------------------------------------------------------------
// The MS Teams journey through the API: a simulated MS tenant, credentials minted in it,
// stored on a subscription, and the wizard run to its end.

/// A subscription as its paths name it: its tenant, and its number.
pub type At = (uuid::Uuid, i64);

/// The administrator every journey stores; the simulated Teams accepts any.
pub const TEAMS_ADMIN: &str = "teams.admin@journey.onmicrosoft.com";

/// How long a wizard run may take before a test gives up on it.
pub const WIZARD_LIMIT: Duration = Duration::from_secs(60);

impl TestApp {
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

    /// `POST /sim/v1/tenants` (must be 201): a simulated MS tenant with these faults; its id.
    pub async fn create_sim_tenant(&self, token: &str, name: &str, faults: &[&str]) -> String {
        let created = self
            .post(
                "/sim/v1/tenants",
                token,
                serde_json::json!({"name": name, "faults": faults}),
            )
            .await;
        created.assert_status(StatusCode::CREATED);
        created.json()["msTenantId"].as_str().unwrap().to_owned()
    }

    /// `POST /sim/v1/tenants/{id}/create_app` (must be 200): the application id and the
    /// secret create_app.ps1 minted there.
    pub async fn create_app(&self, token: &str, ms_tenant: &str) -> (String, String) {
        let minted = self
            .post(
                &format!("/sim/v1/tenants/{ms_tenant}/create_app"),
                token,
                serde_json::json!({}),
            )
            .await;
        minted.assert_status(StatusCode::OK);
        let minted = minted.json();
        (
            minted["applicationId"].as_str().unwrap().to_owned(),
            minted["secret"].as_str().unwrap().to_owned(),
        )
    }

    /// `GET /sim/v1/tenants/{id}/journal?limit=1000` (must be 200), oldest first.
    pub async fn sim_journal(&self, token: &str, ms_tenant: &str) -> Vec<Value> {
        let response = self
            .get(
                &format!("/sim/v1/tenants/{ms_tenant}/journal?limit=1000"),
                token,
            )
            .await;
        response.assert_status(StatusCode::OK);
        let mut entries = response.json().as_array().cloned().expect("a list");
        entries.reverse();
        entries
    }

    /// `POST …/msteams/applications`: the answer, whatever it is.
    pub async fn post_application(
        &self,
        token: &str,
        (tenant, subscription): At,
        ms_tenant: &str,
        application: &str,
        secret: &str,
    ) -> TestResponse {
        self.post(
            &sub_path(tenant, subscription, "msteams/applications"),
            token,
            serde_json::json!({"msTeamsTenantId": ms_tenant, "applicationId": application, "secret": secret}),
        )
        .await
    }

    /// Stores the application integration and `TEAMS_ADMIN` (both must be 204): ready
    /// for the wizard.
    pub async fn store_integration(
        &self,
        token: &str,
        at: At,
        ms_tenant: &str,
        application: &str,
        secret: &str,
    ) {
        self.post_application(token, at, ms_tenant, application, secret)
            .await
            .assert_status(StatusCode::NO_CONTENT);
        self.post(
            &sub_path(at.0, at.1, "msteams/admins"),
            token,
            serde_json::json!({"msUsername": TEAMS_ADMIN, "msPassword": "Adm1n-Passw0rd"}),
        )
        .await
        .assert_status(StatusCode::NO_CONTENT);
    }

    /// A simulated MS tenant with these faults and credentials minted by create_app.ps1,
    /// stored on the subscription: ready for the wizard. The MS tenant id.
    pub async fn prepare_wizard(&self, token: &str, at: At, name: &str, faults: &[&str]) -> String {
        let ms_tenant = self.create_sim_tenant(token, name, faults).await;
        let (application, secret) = self.create_app(token, &ms_tenant).await;
        self.store_integration(token, at, &ms_tenant, &application, &secret)
            .await;
        ms_tenant
    }

    /// A body-less POST to `…/subscriptions/{at}/{tail}`: the answer, whatever it is.
    pub async fn post_to(
        &self,
        token: &str,
        (tenant, subscription): At,
        tail: &str,
    ) -> TestResponse {
        self.call(
            Method::POST,
            &sub_path(tenant, subscription, tail),
            Some(token),
            None,
        )
        .await
    }

    /// `POST …/msteams/wizard`: the answer, whatever it is.
    pub async fn post_wizard(&self, token: &str, at: At) -> TestResponse {
        self.post_to(token, at, "msteams/wizard").await
    }

    /// Starts the wizard (must be 200); the run's transaction id.
    pub async fn start_wizard(&self, token: &str, at: At) -> i64 {
        let response = self.post_wizard(token, at).await;
        response.assert_status(StatusCode::OK);
        response.json()["id"].as_i64().expect("transaction id")
    }

    /// `GET …/msteams/wizard`.
    pub async fn get_wizard(&self, token: &str, (tenant, subscription): At) -> TestResponse {
        self.get(&sub_path(tenant, subscription, "msteams/wizard"), token)
            .await
    }

    /// Polls GET wizard until the run has ended (200 not running, or 400), for at most
    /// `limit`; that answer.
    pub async fn wizard_ended_within(&self, token: &str, at: At, limit: Duration) -> TestResponse {
        let deadline = Instant::now() + limit;
        loop {
            let response = self.get_wizard(token, at).await;
            let done = match response.status {
                StatusCode::OK => response.json()["running"] == false,
                StatusCode::BAD_REQUEST => true,
                StatusCode::NOT_FOUND => false,
                other => panic!("GET wizard answered {other}: {}", response.text()),
            };
            if done {
                return response;
            }
            assert!(
                Instant::now() < deadline,
                "the wizard of subscription {} did not end: {}",
                at.1,
                response.text()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Polls GET wizard until the run has ended (200 not running, or 400); that answer.
    pub async fn wizard_ended(&self, token: &str, at: At) -> TestResponse {
        self.wizard_ended_within(token, at, WIZARD_LIMIT).await
    }

    /// Starts the wizard and polls it to the end: the run's id and its last answer.
    pub async fn run_wizard_to_end(&self, token: &str, at: At) -> (i64, TestResponse) {
        let id = self.start_wizard(token, at).await;
        (id, self.wizard_ended(token, at).await)
    }

    /// `POST …/msteams/unlink`: the answer, whatever it is.
    pub async fn post_unlink(&self, token: &str, at: At) -> TestResponse {
        self.post_to(token, at, "msteams/unlink").await
    }
}

// ---------------------------------------------------------------------------------------
// The job runner on its own.

/// A database on a temporary file with nothing seeded, for the runner's own tests.
pub async fn job_database() -> (Db, TempDir) {
    logs();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("jobs.db").display());
    (Db::connect(&url).await.unwrap(), dir)
}

/// A job of `kind` due now, with its running transaction; its id.
pub async fn enqueue_job(db: &Db, kind: &str) -> i64 {
    let mut tx = db.begin_write().await.unwrap();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO transactions (kind, status, created_at, updated_at) VALUES (?, 'running', datetime(), datetime()) RETURNING id",
    )
    .bind(kind)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    server::jobs::store::enqueue(&mut tx, id, kind, 0, Duration::ZERO)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}
