//! The UI's server functions over HTTP, as the browser calls them: the session cookie
//! authenticates, the same domain rules apply as on the REST API, and every mutating
//! call lands in the audit log.

mod support;

use axum::{
    body::Body,
    http::{Method, Request, header},
};
use serde_json::{Value, json};
use support::{TENANT_ACME, TENANT_GLOBEX, TestApp, TestResponse};

async fn server_fn(app: &TestApp, name: &str, token: Option<&str>, args: Value) -> TestResponse {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(format!("/ui/{name}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/json");
    if let Some(token) = token {
        request = request.header(header::COOKIE, format!("fusion_session={token}"));
    }
    app.send(request.body(Body::from(args.to_string())).unwrap())
        .await
}

async fn audit_rows(app: &TestApp) -> Vec<(Option<String>, String, i64)> {
    sqlx::query_as(
        "SELECT username, path, status FROM audit_log WHERE path LIKE '/ui/%' ORDER BY id",
    )
    .fetch_all(&app.db.read)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_server_function_acts_for_the_cookie_session_and_is_audited() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    let at = json!({"tenant": TENANT_ACME, "subscription": 1});
    let response = server_fn(&app, "update_vrp", Some(&token), json!({"at": at})).await;
    assert!(
        response.status.is_success(),
        "{}",
        String::from_utf8_lossy(&response.bytes)
    );
    let status = response.json();
    assert_eq!(status["vr"]["Draas-VR"]["status"], "already_exists");
    assert_eq!(
        audit_rows(&app).await,
        [(
            Some("alpha.admin".to_owned()),
            format!("/ui/update_vrp tenants/{TENANT_ACME}/subscriptions/1"),
            200
        )]
    );
}

#[tokio::test]
async fn without_a_session_or_the_role_nothing_changes_and_the_refusal_is_audited() {
    let app = TestApp::start().await;
    let before = app.snapshot().await;
    let at = json!({"tenant": TENANT_GLOBEX, "subscription": 4});

    let anonymous = server_fn(&app, "unlink", None, json!({"at": at})).await;
    assert!(!anonymous.status.is_success());
    assert_eq!(anonymous.json()["code"], "unauthenticated");

    let readonly = app.login("readonly").await;
    let refused = server_fn(&app, "unlink", Some(&readonly), json!({"at": at})).await;
    assert!(!refused.status.is_success());
    let error = refused.json();
    assert_eq!(error["code"], "forbidden");
    assert!(
        error["detail"].as_str().unwrap().contains("msteams.unlink"),
        "{error}"
    );

    // Beta's admin cannot reach Alpha's subscription: it does not exist for it.
    let beta = app.login("beta.admin").await;
    let hidden = server_fn(&app, "unlink", Some(&beta), json!({"at": at})).await;
    assert_eq!(hidden.json()["code"], "not_found");

    assert_eq!(app.snapshot().await, before);
    let path = format!("/ui/unlink tenants/{TENANT_GLOBEX}/subscriptions/4");
    assert_eq!(
        audit_rows(&app).await,
        [
            (None, path.clone(), 401),
            (Some("readonly".to_owned()), path.clone(), 403),
            (Some("beta.admin".to_owned()), path, 404),
        ]
    );
}

#[tokio::test]
async fn the_forms_parse_input_as_the_rest_api_does() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    let at = json!({"tenant": TENANT_GLOBEX, "subscription": 3});
    let before = app.snapshot().await;
    let refused = server_fn(
        &app,
        "set_application",
        Some(&token),
        json!({"at": at, "body": {"msTeamsTenantId": "not-a-guid", "applicationId": "also-not", "secret": "s3cret"}}),
    )
    .await;
    let error = refused.json();
    assert_eq!(error["status"], 400, "{error}");
    assert_eq!(error["code"], "validation_failed", "{error}");
    assert!(
        error["detail"]
            .as_str()
            .unwrap()
            .contains("msTeamsTenantId must be a GUID"),
        "{error}"
    );
    assert_eq!(app.snapshot().await, before);
}
