//! The UI's server functions over HTTP, as the browser calls them: the session cookie
//! authenticates, the same domain rules apply as on the REST API, and every mutating
//! call lands in the audit log.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    ACME_ADMIN, ADMIN_PASSWORD, GLOBEX_TEAMS, TENANT_ACME, TENANT_GLOBEX, TestApp,
};

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
    let (app, token) = TestApp::browser_signed_in("alpha.admin").await;
    let at = json!({"tenant": TENANT_ACME, "subscription": 1});
    let response = app
        .server_fn("update_vrp", Some(&token), json!({"at": at}))
        .await;
    let status = response.assert_status(StatusCode::OK).json();
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

    let anonymous = app.server_fn("unlink", None, json!({"at": at})).await;
    anonymous.assert_status(StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.json()["code"], "unauthenticated");

    let readonly = app.browser_login("readonly").await;
    let refused = app
        .server_fn("unlink", Some(&readonly), json!({"at": at}))
        .await;
    let error = refused.assert_status(StatusCode::FORBIDDEN).json();
    assert_eq!(error["code"], "forbidden");
    let detail = error["detail"].as_str().unwrap();
    assert!(detail.contains("msteams.unlink"), "{error}");

    // Beta's admin cannot reach Alpha's subscription: it does not exist for it.
    let beta = app.browser_login("beta.admin").await;
    let hidden = app
        .server_fn("unlink", Some(&beta), json!({"at": at}))
        .await;
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
    let (app, token) = TestApp::browser_signed_in("alpha.admin").await;
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
        let call = app.request(Method::POST, "/ui/unlink").host();
        let call = call.session(&token).headers(headers);
        let response = call.json(&json!({"at": at})).send().await;
        response.assert_problem(403, "cross_site_request");
        assert_eq!(app.snapshot().await, before, "{why}");
    }
    // The same call from the site's own page goes through.
    let allowed = app
        .server_fn("unlink", Some(&token), json!({"at": at}))
        .await;
    allowed.assert_status(StatusCode::OK);
}

#[tokio::test]
async fn the_forms_parse_input_as_the_rest_api_does() {
    let (app, token) = TestApp::browser_signed_in("alpha.admin").await;
    let at = json!({"tenant": TENANT_GLOBEX, "subscription": 3});
    let before = app.snapshot().await;
    let refused = app.server_fn("set_application",
        Some(&token),
        json!({"at": at, "body": {"msTeamsTenantId": "not-a-guid", "applicationId": "also-not", "secret": "s3cret"}}),
    )
    .await;
    let error = refused.assert_status(StatusCode::BAD_REQUEST).json();
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
    let (app, cookie) = TestApp::browser_signed_in("alpha.admin").await;
    let token = app.login("alpha.admin").await;
    let at = json!({"tenant": TENANT_GLOBEX, "subscription": 3});
    let call = |name: &'static str, args: Value| app.server_fn(name, Some(&cookie), args);

    // Nothing stored: a password alone is refused, as on the REST API.
    let refused = call(
        "store_administrator",
        json!({"at": at, "body": {"msPassword": ADMIN_PASSWORD}}),
    )
    .await;
    refused.assert_status(StatusCode::BAD_REQUEST);
    assert_eq!(refused.json()["code"], "no_administrator");

    let stored = call(
        "store_administrator",
        json!({"at": at, "body": {"msUsername": "Admin@Globex.onmicrosoft.com", "msPassword": ADMIN_PASSWORD}}),
    )
    .await;
    stored.assert_status(StatusCode::OK);
    let page = call("subscription", json!({"at": at})).await.json();
    let rest = app.admins_of(&token, GLOBEX_TEAMS).await;
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
    changed.assert_status(StatusCode::OK);

    let mismatch = call(
        "remove_administrator",
        json!({"at": at, "body": {"id": rest["id"], "msUsername": "someone@globex.onmicrosoft.com"}}),
    )
    .await;
    assert_eq!(mismatch.json()["code"], "administrator_mismatch");
    let removed = call("remove_administrator", json!({"at": at, "body": rest})).await;
    removed.assert_status(StatusCode::OK);
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
    let page = app
        .server_fn("subscription", Some(&readonly), json!({"at": acme}))
        .await
        .json();
    assert_eq!(
        page["administrator"],
        json!({"id": 1, "msUsername": ACME_ADMIN})
    );
    let refused = app
        .server_fn(
            "remove_administrator",
            Some(&readonly),
            json!({"at": acme, "body": page["administrator"]}),
        )
        .await;
    refused.assert_status(StatusCode::FORBIDDEN);
}

/// Arguments a server function cannot parse are the client's mistake: 400, never 500.
#[tokio::test]
async fn malformed_server_function_arguments_are_a_400() {
    let (app, token) = TestApp::browser_signed_in("alpha.admin").await;
    for (why, args) in [
        ("no arguments", json!({})),
        (
            "a wrong type",
            json!({"at": {"tenant": 42, "subscription": "x"}}),
        ),
        ("not an object", json!([1, 2, 3])),
    ] {
        let response = app.server_fn("unlink", Some(&token), args).await;
        response.assert_status(StatusCode::BAD_REQUEST);
        assert_eq!(response.json()["code"], "invalid_body", "{why}");
    }
}

/// The server functions take no larger bodies than the REST API (64 KiB).
#[tokio::test]
async fn a_server_function_body_over_64_kib_is_413() {
    let (app, token) = TestApp::browser_signed_in("alpha.admin").await;
    let at = json!({"tenant": TENANT_GLOBEX, "subscription": 3});
    let padding = "x".repeat(70 * 1024);
    let response = app.server_fn("set_application",
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
    let response = app.server_fn("unlink", None, json!({ "at": huge })).await;
    let refused = response.assert_status(StatusCode::BAD_REQUEST).json();
    let detail = refused["detail"].as_str().unwrap().to_owned();
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
        let call = app.request(Method::POST, "/ui/login").same_origin();
        let call = call.header("x-forwarded-for", address);
        call.form(format!("username={username}&password={password}"))
            .send()
    };
    let mut statuses = Vec::new();
    for n in 0..31 {
        let response = sign_in(format!("nobody{n}"), "wrong", "10.0.0.1").await;
        statuses.push(response.status.as_u16());
    }
    assert!(statuses[..30].iter().all(|s| *s == 401), "{statuses:?}");
    assert_eq!(statuses[30], 429, "{statuses:?}");
    let elsewhere = sign_in("alpha.admin".into(), "demo-alpha", "10.0.0.2").await;
    elsewhere.assert_status(StatusCode::OK);
}

/// A fault of ours (here a table the server cannot read) is a 500 with the generic
/// detail, for a server function as for the REST API: its cause stays on the server
/// (the edge logs it once), in neither the body nor a header.
#[tokio::test]
async fn a_fault_of_ours_is_a_plain_500_and_its_cause_stays_on_the_server() {
    let (app, cookie) = TestApp::browser_signed_in("alpha.admin").await;
    let token = app.login("alpha.admin").await;
    sqlx::query("ALTER TABLE fusion_users RENAME TO fusion_users_gone")
        .execute(&app.db.write)
        .await
        .unwrap();
    let at = json!({"tenant": TENANT_ACME, "subscription": 1});
    let from_the_ui = app
        .request(Method::POST, "/ui/subscription")
        .session(&cookie)
        .same_origin()
        .header("accept", "application/json")
        .json(&json!({"at": at}))
        .send_unchecked()
        .await;
    let from_the_api = app
        .request(
            Method::GET,
            &format!("/api/v01/draas/demo/tenants/{TENANT_ACME}/subscriptions/1"),
        )
        .bearer(&token)
        .send_unchecked()
        .await;
    for answer in [from_the_ui, from_the_api] {
        assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
        let body = answer.text();
        assert!(body.contains("Uncatched error on server side"), "{body}");
        assert!(!body.contains("fusion_users"), "{body}");
        assert_eq!(answer.header("x-fusion-fault"), None);
    }
}
