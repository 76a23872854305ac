//! The UI's server functions over HTTP, as the browser calls them: the session cookie
//! authenticates, the same domain rules apply as on the REST API, and every mutating
//! call lands in the audit log.

use crate::helpers::{TENANT_ACME, TENANT_GLOBEX, TestApp, TestResponse};
use axum::{
    body::Body,
    http::{Method, Request, header},
};
use serde_json::{Value, json};

async fn server_fn(app: &TestApp, name: &str, token: Option<&str>, args: Value) -> TestResponse {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(format!("/ui/{name}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/json")
        // What the browser sends from the site's own page.
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::ORIGIN, "http://127.0.0.1:3000");
    if let Some(token) = token {
        request = request.header(header::COOKIE, format!("fusion_session={token}"));
    }
    let body = args.to_string();
    app.send(
        request
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

async fn audit_rows(app: &TestApp) -> Vec<(Option<String>, String, i64)> {
    sqlx::query_as(
        "SELECT username, path, status FROM audit_log
         WHERE path LIKE '/ui/%' AND path <> '/ui/login' ORDER BY id",
    )
    .fetch_all(&app.db.read)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_server_function_acts_for_the_cookie_session_and_is_audited() {
    let app = TestApp::start().await;
    let token = app.browser_login("alpha.admin").await;
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
async fn without_a_session_or_the_role_nothing_changes_and_the_refusal_is_audited_or_counted() {
    let app = TestApp::start().await;
    let before = app.snapshot().await;
    let at = json!({"tenant": TENANT_GLOBEX, "subscription": 4});

    let anonymous = server_fn(&app, "unlink", None, json!({"at": at})).await;
    assert_eq!(anonymous.status.as_u16(), 401);
    assert_eq!(anonymous.json()["code"], "unauthenticated");

    let readonly = app.browser_login("readonly").await;
    let refused = server_fn(&app, "unlink", Some(&readonly), json!({"at": at})).await;
    assert_eq!(refused.status.as_u16(), 403);
    let error = refused.json();
    assert_eq!(error["code"], "forbidden");
    assert!(
        error["detail"].as_str().unwrap().contains("msteams.unlink"),
        "{error}"
    );

    // Beta's admin cannot reach Alpha's subscription: it does not exist for it.
    let beta = app.browser_login("beta.admin").await;
    let hidden = server_fn(&app, "unlink", Some(&beta), json!({"at": at})).await;
    assert_eq!(hidden.json()["code"], "not_found");

    assert_eq!(app.snapshot().await, before);
    // Signed-in callers are audited; the anonymous call is only counted.
    let path = format!("/ui/unlink tenants/{TENANT_GLOBEX}/subscriptions/4");
    assert_eq!(
        audit_rows(&app).await,
        [
            (Some("readonly".to_owned()), path.clone(), 403),
            (Some("beta.admin".to_owned()), path, 404),
        ]
    );
    assert_eq!(app.state.metrics.anonymous_refusals(401), 1);
}

/// A server function called with the session cookie from another origin (or with no
/// origin at all) is refused before it runs, like the REST API's cookie calls.
#[tokio::test]
async fn a_cross_site_server_function_call_is_refused() {
    let app = TestApp::start().await;
    let token = app.browser_login("alpha.admin").await;
    let before = app.snapshot().await;
    let at = json!({"tenant": TENANT_GLOBEX, "subscription": 4});
    let cases: &[(&str, &[(&str, &str)])] = &[
        ("another site", &[("origin", "https://evil.example")]),
        (
            "a sibling origin",
            &[("origin", "http://other.127.0.0.1:3000")],
        ),
        ("an opaque origin", &[("origin", "null")]),
        (
            "fetch metadata of another site",
            &[("sec-fetch-site", "cross-site")],
        ),
        ("no origin at all", &[]),
    ];
    for (why, headers) in cases {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri("/ui/unlink")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::COOKIE, format!("fusion_session={token}"));
        for (name, value) in *headers {
            request = request.header(*name, *value);
        }
        let response = app
            .send(
                request
                    .body(Body::from(json!({"at": at}).to_string()))
                    .unwrap(),
            )
            .await;
        response.assert_problem(403, "cross_site_request");
        assert_eq!(app.snapshot().await, before, "{why}");
    }
    // The same call from the site's own page goes through.
    let allowed = server_fn(&app, "unlink", Some(&token), json!({"at": at})).await;
    assert!(
        allowed.status.is_success(),
        "{}",
        String::from_utf8_lossy(&allowed.bytes)
    );
}

#[tokio::test]
async fn the_forms_parse_input_as_the_rest_api_does() {
    let app = TestApp::start().await;
    let token = app.browser_login("alpha.admin").await;
    let at = json!({"tenant": TENANT_GLOBEX, "subscription": 3});
    let before = app.snapshot().await;
    let refused = server_fn(
        &app,
        "set_application",
        Some(&token),
        json!({"at": at, "body": {"msTeamsTenantId": "not-a-guid", "applicationId": "also-not", "secret": "s3cret"}}),
    )
    .await;
    assert_eq!(refused.status.as_u16(), 400);
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

/// The subscription page's administrator form goes through the same domain methods as
/// `msteams/admins`: the page data names the stored account as `GET` does, storing,
/// changing the password and removing follow the same rules, and each call is audited.
#[tokio::test]
async fn the_administrator_form_follows_the_rules_of_msteams_admins() {
    let app = TestApp::start().await;
    let cookie = app.browser_login("alpha.admin").await;
    let token = app.login("alpha.admin").await;
    let at = json!({"tenant": TENANT_GLOBEX, "subscription": 3});
    let call = |name: &'static str, args: Value| server_fn(&app, name, Some(&cookie), args);

    // Nothing stored: a password alone is refused, as on the REST API.
    let refused = call(
        "store_administrator",
        json!({"at": at, "body": {"msPassword": "S0me-Password"}}),
    )
    .await;
    assert_eq!(refused.status.as_u16(), 400);
    assert_eq!(refused.json()["code"], "no_administrator");

    let stored = call(
        "store_administrator",
        json!({"at": at, "body": {"msUsername": "Admin@Globex.onmicrosoft.com", "msPassword": "S0me-Password"}}),
    )
    .await;
    assert!(stored.status.is_success(), "{}", stored.text());
    let page = call("subscription", json!({"at": at})).await.json();
    let rest = app
        .get(
            &crate::helpers::sub_path(TENANT_GLOBEX, 3, "msteams/admins"),
            &token,
        )
        .await
        .json();
    assert_eq!(rest["msUsername"], "admin@globex.onmicrosoft.com");
    assert_eq!(page["administrator"], rest, "{page}");
    assert_eq!(page["status"]["status"], "not_initiated", "{page}");
    assert_eq!(
        page["status"]["powershell"]["msUserName"],
        "admin@globex.onmicrosoft.com"
    );

    let changed = call(
        "store_administrator",
        json!({"at": at, "body": {"msPassword": "Ch4nged-Password"}}),
    )
    .await;
    assert!(changed.status.is_success(), "{}", changed.text());

    let mismatch = call(
        "remove_administrator",
        json!({"at": at, "body": {"id": rest["id"], "msUsername": "someone@globex.onmicrosoft.com"}}),
    )
    .await;
    assert_eq!(mismatch.json()["code"], "administrator_mismatch");
    let removed = call("remove_administrator", json!({"at": at, "body": rest})).await;
    assert!(removed.status.is_success(), "{}", removed.text());
    let page = call("subscription", json!({"at": at})).await.json();
    assert_eq!(page["status"], Value::Null, "nothing is left: {page}");
    assert_eq!(
        page["administrator"],
        json!({"id": null, "msUsername": null})
    );

    let path = format!("tenants/{TENANT_GLOBEX}/subscriptions/3");
    let audited: Vec<(String, i64)> = audit_rows(&app)
        .await
        .into_iter()
        .filter(|(_, path, _)| path.contains("administrator"))
        .map(|(_, path, status)| (path, status))
        .collect();
    assert_eq!(
        audited,
        [
            (format!("/ui/store_administrator {path}"), 400),
            (format!("/ui/store_administrator {path}"), 200),
            (format!("/ui/store_administrator {path}"), 200),
            (format!("/ui/remove_administrator {path}"), 400),
            (format!("/ui/remove_administrator {path}"), 200),
        ]
    );

    // A read-only user sees the account on the page but may not change it.
    let readonly = app.browser_login("readonly").await;
    let acme = json!({"tenant": TENANT_ACME, "subscription": 1});
    let page = server_fn(&app, "subscription", Some(&readonly), json!({"at": acme}))
        .await
        .json();
    assert_eq!(
        page["administrator"],
        json!({"id": 1, "msUsername": "admin@acme.onmicrosoft.com"})
    );
    let refused = server_fn(
        &app,
        "remove_administrator",
        Some(&readonly),
        json!({"at": acme, "body": page["administrator"]}),
    )
    .await;
    assert_eq!(refused.status.as_u16(), 403);
}

/// Arguments a server function cannot parse are the client's mistake: 400, never 500.
#[tokio::test]
async fn malformed_server_function_arguments_are_a_400() {
    let app = TestApp::start().await;
    let token = app.browser_login("alpha.admin").await;
    for (why, args) in [
        ("no arguments", json!({})),
        (
            "a wrong type",
            json!({"at": {"tenant": 42, "subscription": "x"}}),
        ),
        ("not an object", json!([1, 2, 3])),
    ] {
        let response = server_fn(&app, "unlink", Some(&token), args).await;
        assert_eq!(
            response.status.as_u16(),
            400,
            "{why}: {}",
            String::from_utf8_lossy(&response.bytes)
        );
        assert_eq!(response.json()["code"], "invalid_body", "{why}");
    }
}

/// The server functions take no larger bodies than the REST API (64 KiB).
#[tokio::test]
async fn a_server_function_body_over_64_kib_is_413() {
    let app = TestApp::start().await;
    let token = app.browser_login("alpha.admin").await;
    let at = json!({"tenant": TENANT_GLOBEX, "subscription": 3});
    let padding = "x".repeat(70 * 1024);
    let response = server_fn(
        &app,
        "set_application",
        Some(&token),
        json!({"at": at, "body": {"msTeamsTenantId": padding, "applicationId": "a", "secret": "s"}}),
    )
    .await;
    response.assert_problem(413, "payload_too_large");
}

/// An argument of the wrong shape is refused with a short message: the value sent is
/// neither echoed in full nor able to turn the refusal into a server error.
#[tokio::test]
async fn a_huge_malformed_argument_is_a_short_400() {
    let app = TestApp::start().await;
    let huge = "A".repeat(20_000);
    let response = server_fn(&app, "unlink", None, json!({ "at": huge })).await;
    assert_eq!(response.status.as_u16(), 400);
    let detail = response.json()["detail"].as_str().unwrap().to_owned();
    assert!(detail.chars().count() < 300, "{} characters", detail.len());
}

/// Sign-ins through the form are throttled by client address like the REST API's: past
/// the free failures from one address, the next is refused with 429 whatever the
/// username, while another address still signs in.
#[tokio::test]
async fn the_sign_in_form_is_throttled_per_client_address() {
    let app = TestApp::start_configured(|config| config.trust_forwarded_for = true).await;
    let sign_in = |username: String, password: &'static str, address: &'static str| {
        // The sign-in form posts URL-encoded fields, with or without JavaScript.
        let request = Request::builder()
            .method(Method::POST)
            .uri("/ui/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json")
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::ORIGIN, "http://127.0.0.1:3000")
            .header("x-forwarded-for", address)
            .body(Body::from(format!(
                "username={username}&password={password}"
            )))
            .unwrap();
        app.send(request)
    };
    let mut statuses = Vec::new();
    for n in 0..31 {
        let response = sign_in(format!("nobody{n}"), "wrong", "10.0.0.1").await;
        statuses.push(response.status.as_u16());
    }
    assert!(statuses[..30].iter().all(|s| *s == 401), "{statuses:?}");
    assert_eq!(statuses[30], 429, "{statuses:?}");
    let elsewhere = sign_in("alpha.admin".into(), "demo-alpha", "10.0.0.2").await;
    assert!(elsewhere.status.is_success(), "{}", elsewhere.status);
}
