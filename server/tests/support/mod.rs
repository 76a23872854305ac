//! Starts the real router on a temporary SQLite file with the demo data, and speaks
//! HTTP to it in-process. Shared by every integration test file.
#![allow(dead_code)]

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

impl TestApp {
    pub async fn start() -> Self {
        Self::start_configured(|_| {}).await
    }

    /// As `start`, with the test configuration changed by `adjust` (e.g. the time scale).
    pub async fn start_configured(adjust: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("fusion.db").display());
        let mut config = config(url.clone());
        adjust(&mut config);
        let db = Db::connect(&url).await.expect("database");
        let options = LeptosOptions::builder()
            .output_name("fusion-teams-onboarding")
            .build();
        let state = server::start_with(&config, options, db.clone(), SecretBox::random())
            .await
            .expect("start")
            .state;
        TestApp {
            router: server::web::router(state.clone()),
            state,
            db,
            dir,
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
        response.json()["token"].as_str().expect("token").to_owned()
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
        let mut dump = String::new();
        for table in [
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
        ] {
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
