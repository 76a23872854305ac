//! Sign-in, sessions and the cookie, over HTTP against the real router.

mod support;

use axum::{
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use serde_json::json;
use support::TestApp;

#[tokio::test]
async fn login_returns_a_token_that_me_accepts() {
    let app = TestApp::start().await;
    let response = app
        .call(
            Method::POST,
            "/api/v01/auth/login",
            None,
            Some(json!({"username": "alpha.admin", "password": "demo-alpha"})),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK);
    let body = response.json();
    assert_eq!(body["user"]["level"], "reseller");
    assert_eq!(body["user"]["node"]["name"], "Alpha Telecom");
    assert_eq!(body["user"]["draasInstance"], "demo");
    assert!(body["expiresAt"].is_string());
    let cookie = response
        .headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );

    let me = app
        .get("/api/v01/auth/me", body["token"].as_str().unwrap())
        .await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["username"], "alpha.admin");
    assert!(
        me.json()["roles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "tenants.instance.subscriptions.instance.msteams.link")
    );
}

#[tokio::test]
async fn the_session_cookie_authenticates_like_the_bearer_token() {
    let app = TestApp::start().await;
    let token = app.login("acme.admin").await;
    let request = Request::builder()
        .uri("/api/v01/auth/me")
        .header(
            header::COOKIE,
            format!("theme=dark; fusion_session={token}"),
        )
        .body(Body::empty())
        .unwrap();
    let response = app.send(request).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.json()["level"], "tenant");
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_401() {
    let app = TestApp::start().await;
    for (username, password) in [("alpha.admin", "wrong"), ("nobody", "demo-alpha")] {
        let response = app
            .call(
                Method::POST,
                "/api/v01/auth/login",
                None,
                Some(json!({"username": username, "password": password})),
            )
            .await;
        let problem = response.assert_problem(401, "unauthenticated");
        assert_eq!(problem["detail"], "Invalid username or password");
    }
}

#[tokio::test]
async fn empty_credentials_are_a_400() {
    let app = TestApp::start().await;
    let response = app
        .call(
            Method::POST,
            "/api/v01/auth/login",
            None,
            Some(json!({"username": "", "password": ""})),
        )
        .await;
    response.assert_problem(400, "validation_failed");
}

#[tokio::test]
async fn no_token_bad_token_and_logged_out_token_are_401() {
    let app = TestApp::start().await;
    let response = app.call(Method::GET, "/api/v01/auth/me", None, None).await;
    response.assert_problem(401, "unauthenticated");
    assert!(response.headers.contains_key(header::WWW_AUTHENTICATE));
    app.get("/api/v01/auth/me", "not-a-token")
        .await
        .assert_problem(401, "unauthenticated");

    let token = app.login("beta.admin").await;
    let logout = app
        .call(Method::POST, "/api/v01/auth/logout", Some(&token), None)
        .await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT);
    app.get("/api/v01/auth/me", &token)
        .await
        .assert_problem(401, "unauthenticated");
}

#[tokio::test]
async fn sessions_are_stored_hashed() {
    let app = TestApp::start().await;
    let token = app.login("group.admin").await;
    let stored: Vec<Vec<u8>> = sqlx::query_scalar("SELECT token_hash FROM sessions")
        .fetch_all(&app.db.read)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token.as_bytes());
    assert_eq!(stored[0].len(), 32);
}

#[tokio::test]
async fn mutating_calls_are_audited_with_their_outcome() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    let path = support::sub_path(support::TENANT_ACME, 1, "msteams/unlink");
    let refused = app.call(Method::POST, &path, Some(&token), None).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let rows: Vec<(Option<String>, String, String, i64, String)> =
        sqlx::query_as("SELECT username, method, path, status, outcome FROM audit_log ORDER BY id")
            .fetch_all(&app.db.read)
            .await
            .unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(
        rows[0],
        (
            Some("alpha.admin".into()),
            "POST".into(),
            "/api/v01/auth/login".into(),
            200,
            "success".into()
        )
    );
    assert_eq!(
        rows[1],
        (
            Some("alpha.admin".into()),
            "POST".into(),
            path,
            400,
            "refused".into()
        )
    );
}
