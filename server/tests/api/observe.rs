//! What an operator watches: every answer carries a request id (also in an error's
//! problem body, and in the log), `/metrics` counts and times answers by route template
//! and shows sign-in failures and the jobs, and `--log-format json` writes JSON lines.

use axum::http::{Method, StatusCode};

use crate::helpers::{TestApp, binary::Launch, list_path};

#[tokio::test]
async fn every_answer_carries_a_request_id_and_an_error_body_too() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    let listed = app.get(&list_path("tenants"), &token).await;
    let id = listed
        .header("x-request-id")
        .expect("a request id")
        .to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    // A client's own sane id is kept, and goes into the problem body of a refusal.
    let refused = app
        .request(Method::GET, "/api/v01/draas/demo/tenants/not-a-uuid")
        .bearer(&token)
        .header("x-request-id", "trace-42.a_b")
        .send_unchecked()
        .await;
    assert_eq!(refused.header("x-request-id"), Some("trace-42.a_b"));
    let problem = refused.assert_problem(400, "invalid_path_parameter");
    assert_eq!(problem["requestId"], "trace-42.a_b", "{problem}");
    // Anything else a client sends is replaced.
    let replaced = app
        .request(Method::GET, &list_path("tenants"))
        .bearer(&token)
        .header("x-request-id", "spaces are not ids")
        .send()
        .await;
    assert_ne!(replaced.header("x-request-id"), Some("spaces are not ids"));
}

#[tokio::test]
async fn metrics_count_answers_by_route_sign_in_failures_and_jobs() {
    let app = TestApp::start().await;
    app.post_login("alpha.admin", "not-the-password", &[])
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    let token = app.login("group.admin").await;
    app.get(&list_path("tenants"), &token)
        .await
        .assert_status(StatusCode::OK);
    app.get("/api/v01/no/such/endpoint", &token)
        .await
        .assert_status(StatusCode::NOT_FOUND);
    let text = app.get("/metrics", &token).await;
    let text = text.assert_status(StatusCode::OK).text();
    for line in [
        "fusion_http_requests_total{method=\"GET\",route=\"/api/v01/draas/demo/tenants\",status=\"200\"} 1",
        "fusion_http_requests_total{method=\"POST\",route=\"/api/v01/auth/login\",status=\"401\"} 1",
        "fusion_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1",
        "fusion_http_request_duration_seconds_count{route=\"/api/v01/draas/demo/tenants\"} 1",
        "fusion_login_failures_total 1",
        "fusion_job_queue_depth 0",
        "# TYPE fusion_jobs gauge",
    ] {
        assert!(text.contains(line), "no {line:?} in\n{text}");
    }
    // The buckets are cumulative and end with +Inf.
    assert!(text.contains(
        "fusion_http_request_duration_seconds_bucket{route=\"/api/v01/draas/demo/tenants\",le=\"+Inf\"} 1"
    ));
}

#[tokio::test]
async fn json_logs_are_one_object_a_line_with_the_request_id() {
    let server = Launch::fresh()
        .args(&["--log-format", "json"])
        .env("RUST_LOG", "info,sqlx=warn")
        .start()
        .await;
    let token = server.login("alpha.admin").await;
    let answer = server
        .get("/api/v01/draas/demo/tenants/not-a-uuid", &token)
        .await;
    assert_eq!(answer.status, 400);
    let log = server.log();
    let lines: Vec<&str> = log.lines().filter(|line| line.starts_with('{')).collect();
    assert!(!lines.is_empty(), "no JSON line in\n{log}");
    for line in &lines {
        let parsed: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|error| panic!("{error}: {line}"));
        assert!(
            parsed["level"].is_string() && parsed["fields"].is_object(),
            "{line}"
        );
    }
}
