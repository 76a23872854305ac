//! The probes: `GET /livez` answers whenever the process serves, to anyone, however
//! plainly asked; `GET /readyz` is 200 with every check `ok` on a working server, and a
//! 503 problem naming the failing check, with every check's result, when the database
//! does not answer, a migration is missing, or the job runner is stopped or stalled.

use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use server::{crypto::SecretBox, jobs::RunnerHandle, store::Db};

use crate::helpers::{
    TestApp, TestResponse,
    binary::{Server, http},
    config, leptos_options, logs,
};

const LIVEZ: &str = "/livez";
const READYZ: &str = "/readyz";

/// A GET with no credentials and no browser headers, as a probe (or curl) sends it:
/// the answer, a 503 included.
async fn probe(app: &TestApp, path: &str) -> TestResponse {
    app.request(Method::GET, path).send_unchecked().await
}

/// `/readyz`'s 503: a `not_ready` problem whose detail names the failing `checks`; the
/// checks it carries.
#[track_caller]
fn not_ready(response: &TestResponse, failing: &str) -> Value {
    let problem = response.assert_problem(503, "not_ready");
    assert_eq!(
        problem["detail"],
        format!("Not ready: {failing}"),
        "{problem}"
    );
    problem["checks"].clone()
}

/// Asks `/readyz` every 50 ms until `done` holds of the answer: that answer, or a panic
/// after `within`.
async fn readyz_until(
    app: &TestApp,
    within: Duration,
    what: &str,
    done: impl Fn(&TestResponse) -> bool,
) -> TestResponse {
    let deadline = Instant::now() + within;
    loop {
        let response = probe(app, READYZ).await;
        if done(&response) {
            return response;
        }
        assert!(
            Instant::now() < deadline,
            "{what} within {within:?}; last answer {}: {}",
            response.status,
            response.text()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn all_ok() -> Value {
    json!({"database": "ok", "migrations": "ok", "jobRunner": "ok"})
}

#[tokio::test]
async fn livez_answers_ok_to_anyone() {
    // A site with a public URL, asked under another host name (a probe uses the pod's
    // address) and without any header a browser adds.
    let app = TestApp::start_configured(|config| {
        config.public_url = Some("https://teams.example.com/".into());
    })
    .await;
    for host in [None, Some("10.1.2.3:3000")] {
        let call = app.request(Method::GET, LIVEZ);
        let call = match host {
            Some(host) => call.header("host", host),
            None => call,
        };
        let response = call.send().await;
        response.assert_status(StatusCode::OK);
        assert_eq!(response.content_type(), "application/json");
        assert_eq!(response.json(), json!({"status": "ok"}));
        assert_eq!(response.header("cache-control"), Some("no-store"));
    }
}

#[tokio::test]
async fn readyz_is_ready_with_every_check_ok_on_a_fresh_server() {
    let app = TestApp::start().await;
    let response = probe(&app, READYZ).await;
    response.assert_status(StatusCode::OK);
    assert_eq!(response.content_type(), "application/json");
    assert_eq!(
        response.json(),
        json!({"status": "ready", "checks": all_ok()})
    );
}

#[tokio::test]
async fn readyz_is_not_ready_when_a_migration_is_missing() {
    let app = TestApp::start().await;
    // As if the file had been rolled back behind the server's back.
    app.execute(
        "DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)",
    )
    .await;
    let response = probe(&app, READYZ).await;
    let checks = not_ready(&response, "migrations");
    assert_eq!(
        checks,
        json!({"database": "ok", "migrations": "missing", "jobRunner": "ok"})
    );
    // Liveness does not depend on it.
    probe(&app, LIVEZ).await.assert_status(StatusCode::OK);
}

#[tokio::test]
async fn readyz_is_not_ready_when_the_database_does_not_answer() {
    let app = TestApp::start().await;
    app.db.read.close().await;
    let response = probe(&app, READYZ).await;
    let checks = not_ready(&response, "database, migrations");
    assert_eq!(
        checks,
        json!({"database": "error", "migrations": "unknown", "jobRunner": "ok"})
    );
    probe(&app, LIVEZ).await.assert_status(StatusCode::OK);
}

/// `TestApp::start_configured`, keeping the job runner's handle to stop it.
async fn start_with_runner(
    adjust: impl FnOnce(&mut server::config::Config),
) -> (TestApp, RunnerHandle) {
    logs();
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("fusion.db").display());
    let mut config = config(url.clone());
    adjust(&mut config);
    let db = Db::connect(&url).await.expect("database");
    let secrets = SecretBox::random();
    let server = server::start_with(&config, leptos_options(), db, secrets.clone())
        .await
        .expect("start");
    let runner = server.runner;
    (TestApp::serving(server.state, dir, secrets), runner)
}

#[tokio::test]
async fn readyz_is_not_ready_once_the_job_runner_stops() {
    let (app, runner) = start_with_runner(|_| {}).await;
    probe(&app, READYZ).await.assert_status(StatusCode::OK);
    runner.shutdown(Duration::ZERO).await;
    let response = probe(&app, READYZ).await;
    let checks = not_ready(&response, "jobRunner");
    assert_eq!(
        checks,
        json!({"database": "ok", "migrations": "ok", "jobRunner": "stopped"})
    );
}

/// The runner's loop waits on the single write connection, which the test holds: past
/// its bound (a lease of 300 ms gives two polls, 2 s) the runner is stale; once the
/// connection is free again the loop turns and the server is ready again.
#[tokio::test]
async fn readyz_is_not_ready_while_the_job_runner_is_stuck() {
    let app = TestApp::start_configured(|config| config.job_lease_ms = 300).await;
    probe(&app, READYZ).await.assert_status(StatusCode::OK);
    let held = app.db.write.acquire().await.expect("the write connection");
    let stuck = readyz_until(&app, Duration::from_secs(8), "stale", |response| {
        response.status == StatusCode::SERVICE_UNAVAILABLE
    })
    .await;
    let checks = not_ready(&stuck, "jobRunner");
    assert_eq!(
        checks,
        json!({"database": "ok", "migrations": "ok", "jobRunner": "stale"})
    );
    drop(held);
    let ready = readyz_until(&app, Duration::from_secs(8), "ready again", |response| {
        response.status == StatusCode::OK
    })
    .await;
    assert_eq!(ready.json()["checks"], all_ok());
}

/// Over the wire, through the connection limits and every edge, as `curl` asks:
/// answered, and nothing logged as a server error.
#[tokio::test]
async fn the_real_server_answers_a_plain_get_of_either_probe() {
    let server = Server::start(&[]).await;
    for (path, body) in [
        (LIVEZ, json!({"status": "ok"})),
        (READYZ, json!({"status": "ready", "checks": all_ok()})),
    ] {
        let answer = http::send(server.address(), http::LOCALHOST, "GET", path, &[], None)
            .await
            .unwrap_or_else(|error| panic!("GET {path}: {error}"));
        answer.assert_status(200);
        assert_eq!(answer.json(), body, "GET {path}");
    }
    server.assert_log_clean(&[]);
}

/// Both are in the OpenAPI document, without security, with their answers and examples.
#[tokio::test]
async fn the_probes_are_documented_without_security() {
    let app = TestApp::start().await;
    let document = app
        .call(Method::GET, crate::helpers::binary::OPENAPI, None, None)
        .await
        .assert_status(StatusCode::OK)
        .json();
    for (path, answers) in [
        (LIVEZ, &[("200", "application/json")][..]),
        (
            READYZ,
            &[
                ("200", "application/json"),
                ("503", "application/problem+json"),
            ][..],
        ),
    ] {
        let operation = &document["paths"][path]["get"];
        assert_eq!(operation["tags"], json!(["system"]), "{path}: {operation}");
        assert!(
            operation["security"]
                .as_array()
                .is_none_or(|requirements| requirements.is_empty()),
            "{path}: {operation}"
        );
        for (status, media) in answers {
            let content = &operation["responses"][status]["content"][media];
            assert!(
                content["example"].is_object(),
                "{path} {status}: {operation}"
            );
        }
    }
    let checks = &document["components"]["schemas"]["ReadinessChecks"]["properties"];
    for check in ["database", "migrations", "jobRunner"] {
        assert!(checks[check].is_object(), "{check}: {checks}");
    }
}
