//! Signing in as the platform does it, over HTTP against the real router: the token
//! pair, the current user, refresh, logout by POST and GET, the browser's session
//! cookie, and the second factor (e-mailed code or TOTP) from devices not trusted yet.

use crate::helpers::{TestApp, TestResponse};
use axum::{
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use serde_json::json;
use server::{auth::totp, seed::DEMO_TOTP_SECRET};

const LOGIN: &str = "/api/v01/auth/login";
const LOCAL_USER: &str = "/api/v01/system/users/local";

/// A sign-in through the REST API from a browser-like device.
async fn login(app: &TestApp, username: &str, password: &str, user_agent: &str) -> TestResponse {
    let request = Request::builder()
        .method(Method::POST)
        .uri(LOGIN)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::USER_AGENT, user_agent)
        .body(Body::from(
            json!({"username": username, "password": password}).to_string(),
        ))
        .unwrap();
    app.send(request).await
}

/// Answers a second-factor challenge.
async fn second_factor(
    app: &TestApp,
    endpoint: &str,
    payload: &str,
    code: &str,
    trust: bool,
    user_agent: &str,
) -> TestResponse {
    let request = Request::builder()
        .method(Method::POST)
        .uri(format!("/api/v01/auth/{endpoint}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::USER_AGENT, user_agent)
        .body(Body::from(
            json!({"code": code, "trust": trust, "2fa_payload": payload}).to_string(),
        ))
        .unwrap();
    app.send(request).await
}

/// The code in the newest message of the simulated outbox, read as a group admin.
async fn emailed_code(app: &TestApp) -> String {
    let group = app.login("group.admin").await;
    let outbox = app.get("/sim/v1/outbox", &group).await;
    assert_eq!(outbox.status, StatusCode::OK);
    let mail = outbox.json()[0].clone();
    assert_eq!(mail["to"], "mia@alpha-telecom.example", "{mail}");
    mail["body"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .find(|word| {
            word.trim_end_matches('.').len() == 6
                && word
                    .trim_end_matches('.')
                    .bytes()
                    .all(|b| b.is_ascii_digit())
        })
        .map(|word| word.trim_end_matches('.').to_owned())
        .expect("a six-digit code")
}

fn totp_now(offset_steps: i64) -> String {
    let secret = totp::decode_base32(DEMO_TOTP_SECRET).unwrap();
    totp::code_at(
        &secret,
        totp::step_of(chrono::Utc::now().timestamp()) + offset_steps,
    )
}

#[tokio::test]
async fn login_returns_an_access_and_a_refresh_token_and_the_current_user_is_read_apart() {
    let app = TestApp::start().await;
    let response = login(&app, "alpha.admin", "demo-alpha", "curl/8").await;
    assert_eq!(response.status, StatusCode::OK);
    let body = response.json();
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["access_token", "refresh_token"], "{body}");
    assert!(
        response.headers.get(header::SET_COOKIE).is_none(),
        "the API sets no cookie"
    );
    assert_eq!(response.headers["cache-control"], "no-store");

    let access = body["access_token"].as_str().unwrap();
    let me = app.get(LOCAL_USER, access).await;
    assert_eq!(me.status, StatusCode::OK);
    let me = me.json();
    assert_eq!(me["username"], "alpha.admin");
    assert_eq!(me["ui_profile"], "reseller");
    assert_eq!(me["profile"]["name"], "msteams-admin");
    let rules = me["profile"]["api_rules"].as_array().unwrap();
    let allowed = |role: &str| {
        rules
            .iter()
            .find(|rule| rule["name"] == role)
            .map(|rule| rule["allowed"] == true)
    };
    assert_eq!(
        allowed("tenants.instance.subscriptions.instance.msteams.link"),
        Some(true)
    );
    // The refresh token is no access token.
    let refresh = body["refresh_token"].as_str().unwrap();
    app.get(LOCAL_USER, refresh)
        .await
        .assert_problem(401, "unauthenticated");
}

#[tokio::test]
async fn a_read_only_profile_lists_every_role_with_only_the_reads_allowed() {
    let app = TestApp::start().await;
    let token = app.login("readonly").await;
    let me = app.get(LOCAL_USER, &token).await.json();
    let rules = me["profile"]["api_rules"].as_array().unwrap();
    assert!(rules.len() > 5, "{me}");
    for rule in rules {
        let name = rule["name"].as_str().unwrap();
        if rule["allowed"] == true {
            assert!(name.ends_with(".read") || name.ends_with(".list"), "{name}");
        }
    }
    let allowed = |role: &str| {
        rules
            .iter()
            .any(|r| r["name"] == role && r["allowed"] == true)
    };
    assert!(allowed(
        "tenants.instance.subscriptions.instance.msteams.status.read"
    ));
    assert!(!allowed(
        "tenants.instance.subscriptions.instance.msteams.wizard.start"
    ));
}

#[tokio::test]
async fn the_refresh_token_gets_a_new_access_token_and_the_old_one_ends() {
    let app = TestApp::start().await;
    let tokens = login(&app, "beta.admin", "demo-beta", "script")
        .await
        .json();
    let (access, refresh) = (
        tokens["access_token"].as_str().unwrap().to_owned(),
        tokens["refresh_token"].as_str().unwrap().to_owned(),
    );
    let refreshed = app.get("/api/v01/auth/access_token", &refresh).await;
    assert_eq!(refreshed.status, StatusCode::OK);
    let refreshed = refreshed.json();
    let new_access = refreshed["access_token"].as_str().unwrap();
    assert_ne!(new_access, access);
    // Far from its end, the refresh token stays the one to use.
    assert!(refreshed.get("refresh_token").is_none(), "{refreshed}");
    assert_eq!(app.get(LOCAL_USER, new_access).await.status, StatusCode::OK);
    app.get(LOCAL_USER, &access)
        .await
        .assert_problem(401, "unauthenticated");
    // An access token is no refresh token.
    app.get("/api/v01/auth/access_token", new_access)
        .await
        .assert_problem(401, "unauthenticated");
    app.call(Method::GET, "/api/v01/auth/access_token", None, None)
        .await
        .assert_problem(401, "unauthenticated");
}

#[tokio::test]
async fn logout_by_post_or_get_ends_the_session_and_get_without_a_token_only_answers() {
    let app = TestApp::start().await;
    for method in [Method::POST, Method::GET] {
        let token = app.login("beta.admin").await;
        let logout = app
            .call(method.clone(), "/api/v01/auth/logout", Some(&token), None)
            .await;
        assert_eq!(logout.status, StatusCode::NO_CONTENT, "{method}");
        app.get(LOCAL_USER, &token)
            .await
            .assert_problem(401, "unauthenticated");
    }
    // As the vendor's client calls it: no token, nothing to end.
    let token = app.login("beta.admin").await;
    let logout = app
        .call(Method::GET, "/api/v01/auth/logout", None, None)
        .await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(LOCAL_USER, &token).await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_browser_session_cookie_authenticates_and_a_get_logout_cannot_end_it() {
    let app = TestApp::start().await;
    let cookie = app.browser_login("acme.admin").await;
    let me = |cookie: String| {
        let request = Request::builder()
            .uri(LOCAL_USER)
            .header(
                header::COOKIE,
                format!("theme=dark; fusion_session={cookie}"),
            )
            .body(Body::empty())
            .unwrap();
        app.send(request)
    };
    let response = me(cookie.clone()).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.json()["ui_profile"], "tenant");
    // A page of another site can make the browser GET the logout with the cookie.
    let request = Request::builder()
        .uri("/api/v01/auth/logout")
        .header(header::COOKIE, format!("fusion_session={cookie}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.send(request).await.status, StatusCode::NO_CONTENT);
    assert_eq!(me(cookie).await.status, StatusCode::OK);
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_401() {
    let app = TestApp::start().await;
    for (username, password) in [("alpha.admin", "wrong"), ("nobody", "demo-alpha")] {
        let problem = login(&app, username, password, "script")
            .await
            .assert_problem(401, "unauthenticated");
        assert_eq!(problem["detail"], "Invalid username or password");
    }
}

#[tokio::test]
async fn empty_credentials_are_a_400() {
    let app = TestApp::start().await;
    login(&app, "", "", "script")
        .await
        .assert_problem(400, "validation_failed");
}

#[tokio::test]
async fn no_token_bad_token_and_logged_out_token_are_401() {
    let app = TestApp::start().await;
    let response = app.call(Method::GET, LOCAL_USER, None, None).await;
    response.assert_problem(401, "unauthenticated");
    assert!(response.headers.contains_key(header::WWW_AUTHENTICATE));
    app.get(LOCAL_USER, "not-a-token")
        .await
        .assert_problem(401, "unauthenticated");
}

#[tokio::test]
async fn sessions_are_stored_hashed() {
    let app = TestApp::start().await;
    let tokens = login(&app, "group.admin", "demo-group", "script")
        .await
        .json();
    let stored: Vec<(Vec<u8>, Vec<u8>)> =
        sqlx::query_as("SELECT access_hash, refresh_hash FROM sessions")
            .fetch_all(&app.db.read)
            .await
            .unwrap();
    assert_eq!(stored.len(), 1);
    for (hash, token) in [
        (&stored[0].0, &tokens["access_token"]),
        (&stored[0].1, &tokens["refresh_token"]),
    ] {
        assert_eq!(hash.len(), 32);
        assert_ne!(hash.as_slice(), token.as_str().unwrap().as_bytes());
    }
}

#[tokio::test]
async fn mutating_calls_are_audited_with_their_outcome() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    let path = crate::helpers::sub_path(crate::helpers::TENANT_ACME, 1, "msteams/unlink");
    let refused = app.call(Method::POST, &path, Some(&token), None).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let rows: Vec<(Option<String>, String, String, i64, String)> =
        sqlx::query_as("SELECT username, method, path, status, outcome FROM audit_log ORDER BY id")
            .fetch_all(&app.db.read)
            .await
            .unwrap();
    assert_eq!(
        rows,
        [
            (
                Some("alpha.admin".into()),
                "POST".into(),
                LOGIN.into(),
                200,
                "success".into()
            ),
            (
                Some("alpha.admin".into()),
                "POST".into(),
                path,
                400,
                "refused".into()
            )
        ]
    );
}

// ---- the second factor ---------------------------------------------------------------

#[tokio::test]
async fn an_untrusted_device_gets_an_emailed_code_and_trusting_it_skips_the_code_next_time() {
    let app = TestApp::start().await;
    let challenge = login(&app, "alpha.mail", "demo-alpha-mail", "Firefox/150").await;
    assert_eq!(challenge.status, StatusCode::OK);
    let challenge = challenge.json();
    assert_eq!(challenge["option"], "email", "{challenge}");
    assert!(challenge.get("access_token").is_none(), "{challenge}");
    let payload = challenge["2fa_payload"].as_str().unwrap().to_owned();
    let code = emailed_code(&app).await;

    let tokens = second_factor(&app, "2fa", &payload, &code, true, "Firefox/150").await;
    assert_eq!(tokens.status, StatusCode::OK);
    let tokens = tokens.json();
    let me = app
        .get(LOCAL_USER, tokens["access_token"].as_str().unwrap())
        .await;
    assert_eq!(me.json()["username"], "alpha.mail");
    // The code is good once.
    second_factor(&app, "2fa", &payload, &code, true, "Firefox/150")
        .await
        .assert_problem(401, "unauthenticated");
    // The trusted device signs in without a code; another user agent needs one.
    let trusted = login(&app, "alpha.mail", "demo-alpha-mail", "Firefox/150")
        .await
        .json();
    assert!(trusted["access_token"].is_string(), "{trusted}");
    let other = login(&app, "alpha.mail", "demo-alpha-mail", "Chrome/156")
        .await
        .json();
    assert_eq!(other["option"], "email", "{other}");
}

#[tokio::test]
async fn without_trust_the_device_is_asked_again() {
    let app = TestApp::start().await;
    let payload = login(&app, "alpha.mail", "demo-alpha-mail", "Safari")
        .await
        .json()["2fa_payload"]
        .as_str()
        .unwrap()
        .to_owned();
    let code = emailed_code(&app).await;
    let signed = second_factor(&app, "2fa", &payload, &code, false, "Safari").await;
    assert_eq!(signed.status, StatusCode::OK);
    let again = login(&app, "alpha.mail", "demo-alpha-mail", "Safari")
        .await
        .json();
    assert!(again["2fa_payload"].is_string(), "{again}");
}

#[tokio::test]
async fn wrong_codes_are_refused_and_a_challenge_takes_only_a_few() {
    let app = TestApp::start().await;
    let payload = login(&app, "alpha.mail", "demo-alpha-mail", "Edge")
        .await
        .json()["2fa_payload"]
        .as_str()
        .unwrap()
        .to_owned();
    let code = emailed_code(&app).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let cases: &[(&str, u16, &str)] = &[
        ("12345", 400, "validation_failed"),
        ("abcdef", 400, "validation_failed"),
        (wrong, 401, "unauthenticated"),
    ];
    for (attempt, status, problem) in cases {
        second_factor(&app, "2fa", &payload, attempt, false, "Edge")
            .await
            .assert_problem(*status, problem);
    }
    // Five wrong codes end the challenge: even the right one is then refused.
    for _ in 0..4 {
        second_factor(&app, "2fa", &payload, wrong, false, "Edge").await;
    }
    let after = second_factor(&app, "2fa", &payload, &code, false, "Edge").await;
    after.assert_problem(401, "unauthenticated");
    // An e-mail challenge is not answered with a TOTP code, nor an unknown payload at all.
    let fresh = login(&app, "alpha.mail", "demo-alpha-mail", "Edge2")
        .await
        .json()["2fa_payload"]
        .as_str()
        .unwrap()
        .to_owned();
    second_factor(&app, "2fa_totp", &fresh, "123456", false, "Edge2")
        .await
        .assert_problem(400, "wrong_second_factor");
    second_factor(&app, "2fa", "no-such-payload", "123456", false, "Edge2")
        .await
        .assert_problem(401, "unauthenticated");
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let app = TestApp::start().await;
    let payload = login(&app, "alpha.mail", "demo-alpha-mail", "Opera")
        .await
        .json()["2fa_payload"]
        .as_str()
        .unwrap()
        .to_owned();
    let code = emailed_code(&app).await;
    sqlx::query("UPDATE two_factor_challenges SET expires_at = '2000-01-01T00:00:00Z'")
        .execute(&app.db.write)
        .await
        .unwrap();
    let problem = second_factor(&app, "2fa", &payload, &code, false, "Opera")
        .await
        .assert_problem(401, "unauthenticated");
    assert!(
        problem["detail"].as_str().unwrap().contains("expired"),
        "{problem}"
    );
}

#[tokio::test]
async fn a_totp_user_signs_in_with_the_current_code_once() {
    let app = TestApp::start().await;
    let challenge = login(&app, "alpha.totp", "demo-alpha-totp", "Vivaldi")
        .await
        .json();
    assert_eq!(challenge["option"], "totp", "{challenge}");
    let payload = challenge["2fa_payload"].as_str().unwrap().to_owned();
    // Nothing is e-mailed for a TOTP user.
    let group = app.login("group.admin").await;
    assert_eq!(app.get("/sim/v1/outbox", &group).await.json(), json!([]));
    // A code far from now is refused; the current one works, once.
    second_factor(&app, "2fa_totp", &payload, &totp_now(10), false, "Vivaldi")
        .await
        .assert_problem(401, "unauthenticated");
    let code = totp_now(0);
    let tokens = second_factor(&app, "2fa_totp", &payload, &code, true, "Vivaldi").await;
    assert_eq!(tokens.status, StatusCode::OK);
    let again = login(&app, "alpha.totp", "demo-alpha-totp", "Vivaldi-2")
        .await
        .json();
    let payload = again["2fa_payload"].as_str().unwrap();
    second_factor(&app, "2fa_totp", payload, &code, false, "Vivaldi-2")
        .await
        .assert_problem(401, "unauthenticated");
}

#[tokio::test]
async fn the_sign_in_form_asks_for_the_code_then_sets_the_session_cookie() {
    let app = TestApp::start().await;
    let asked = app
        .sign_in_form("alpha.mail", "demo-alpha-mail", &[("user-agent", "Form/1")])
        .await;
    assert!(asked.headers.get(header::SET_COOKIE).is_none());
    let step = asked.json();
    let payload = step["SecondFactor"]["payload"].as_str().unwrap().to_owned();
    let code = emailed_code(&app).await;
    let request = Request::builder()
        .method(Method::POST)
        .uri("/ui/second_factor")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::ORIGIN, "http://127.0.0.1:3000")
        .header(header::USER_AGENT, "Form/1")
        .body(Body::from(format!(
            "payload={}&option=email&code={code}&trust=true",
            app::backend::query_value(&payload)
        )))
        .unwrap();
    let done = app.send(request).await;
    assert!(done.status.is_success(), "{}", done.text());
    let cookie = done.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(
        cookie.starts_with("fusion_session=") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    // Trusted: the form signs in at once next time.
    let again = app
        .sign_in_form("alpha.mail", "demo-alpha-mail", &[("user-agent", "Form/1")])
        .await;
    assert!(again.headers.get(header::SET_COOKIE).is_some());
}

#[tokio::test]
async fn wrong_codes_over_several_sign_ins_are_throttled_like_passwords() {
    let app = TestApp::start().await;
    let mut statuses = Vec::new();
    for attempt in 0..7 {
        let agent = format!("Guesser/{attempt}");
        let payload = login(&app, "alpha.totp", "demo-alpha-totp", &agent)
            .await
            .json()["2fa_payload"]
            .as_str()
            .unwrap()
            .to_owned();
        let wrong = totp_now(100 + attempt);
        let answer = second_factor(&app, "2fa_totp", &payload, &wrong, false, &agent).await;
        statuses.push(answer.status.as_u16());
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            assert!(answer.headers.contains_key(header::RETRY_AFTER));
        }
    }
    assert_eq!(&statuses[..5], [401; 5], "{statuses:?}");
    assert!(statuses[5..].iter().all(|s| *s == 429), "{statuses:?}");
}

// ---- sessions of each kind, their ends and their bounds ------------------------------

/// A request from this site's page with only the session cookie `token`.
fn from_the_page(method: Method, path: &str, token: &str) -> axum::http::request::Builder {
    Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::ORIGIN, "http://127.0.0.1:3000")
        .header(header::COOKIE, format!("fusion_session={token}"))
}

async fn me_by_cookie(app: &TestApp, token: &str) -> TestResponse {
    app.send(
        from_the_page(Method::GET, LOCAL_USER, token)
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

async fn count(app: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(&app.db.read)
        .await
        .unwrap()
}

fn payload_of(response: TestResponse) -> String {
    let body = response.json();
    body["2fa_payload"]
        .as_str()
        .unwrap_or_else(|| panic!("a challenge: {body}"))
        .to_owned()
}

#[tokio::test]
async fn a_rest_session_and_a_browser_session_do_not_stand_in_for_each_other() {
    let app = TestApp::start().await;
    let tokens = login(&app, "beta.admin", "demo-beta", "script")
        .await
        .json();
    // A REST session's tokens in the cookie are no browser session (another tool
    // holding a refresh token cannot make it a cookie that never needs refreshing).
    for name in ["refresh_token", "access_token"] {
        me_by_cookie(&app, tokens[name].as_str().unwrap())
            .await
            .assert_problem(401, "unauthenticated");
    }
    // A browser session's cookie is neither a bearer nor a refresh token.
    let cookie = app.browser_login("beta.admin").await;
    assert_eq!(me_by_cookie(&app, &cookie).await.status, StatusCode::OK);
    app.get(LOCAL_USER, &cookie)
        .await
        .assert_problem(401, "unauthenticated");
    app.get("/api/v01/auth/access_token", &cookie)
        .await
        .assert_problem(401, "unauthenticated");
}

/// Leaves the session's current refresh token a minute of its life.
async fn bring_refresh_near_its_end(app: &TestApp) {
    sqlx::query("UPDATE sessions SET refresh_expires_at = ?")
        .bind(chrono::Utc::now() + chrono::Duration::minutes(1))
        .execute(&app.db.write)
        .await
        .unwrap();
}

#[tokio::test]
async fn near_its_end_the_refresh_token_gets_a_successor_within_the_same_session() {
    let app = TestApp::start().await;
    let tokens = login(&app, "beta.admin", "demo-beta", "script")
        .await
        .json();
    let first = tokens["refresh_token"].as_str().unwrap().to_owned();
    let refresh = |token: String| {
        let app = &app;
        async move {
            let response = app.get("/api/v01/auth/access_token", &token).await;
            (response.status, response.json())
        }
    };
    bring_refresh_near_its_end(&app).await;
    let (status, renewed) = refresh(first.clone()).await;
    assert_eq!(status, StatusCode::OK);
    let second = renewed["refresh_token"]
        .as_str()
        .expect("a new refresh token")
        .to_owned();
    assert_ne!(second, first);
    let access = renewed["access_token"].as_str().unwrap();
    assert_eq!(app.get(LOCAL_USER, access).await.status, StatusCode::OK);
    // The replaced token still gets access tokens until its end, never a successor; the
    // new one has its whole life.
    for token in [&first, &second] {
        let (status, again) = refresh(token.clone()).await;
        assert_eq!(status, StatusCode::OK, "{again}");
        assert!(again.get("refresh_token").is_none(), "{again}");
    }
    assert_eq!(count(&app, "sessions").await, 1, "renewed in place");
    // A second renewal replaces the second token: the first then ends.
    bring_refresh_near_its_end(&app).await;
    let (status, renewed) = refresh(second.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(renewed["refresh_token"].is_string(), "{renewed}");
    app.get("/api/v01/auth/access_token", &first)
        .await
        .assert_problem(401, "unauthenticated");
    assert_eq!(refresh(second).await.0, StatusCode::OK);
}

#[tokio::test]
async fn signing_in_again_and_again_keeps_only_the_newest_sessions() {
    let app = TestApp::start().await;
    let first = app.login("beta.admin").await;
    for _ in 0..server::store::accounts::SESSIONS_PER_USER {
        app.login("beta.admin").await;
    }
    assert_eq!(
        count(&app, "sessions").await,
        server::store::accounts::SESSIONS_PER_USER
    );
    app.get(LOCAL_USER, &first)
        .await
        .assert_problem(401, "unauthenticated");
}

#[tokio::test]
async fn a_post_logout_ends_the_cookies_session_unless_a_token_is_named() {
    let app = TestApp::start().await;
    let cookie = app.browser_login("acme.admin").await;
    let logout = |authorization: Option<&'static str>| {
        let mut request = from_the_page(Method::POST, "/api/v01/auth/logout", &cookie);
        if let Some(value) = authorization {
            request = request.header(header::AUTHORIZATION, value);
        }
        app.send(request.body(Body::empty()).unwrap())
    };
    // An Authorization header names the session to end (here none), never the cookie.
    assert_eq!(
        logout(Some("Basic YWNtZTpwdw==")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(me_by_cookie(&app, &cookie).await.status, StatusCode::OK);
    let ended = logout(None).await;
    assert_eq!(ended.status, StatusCode::NO_CONTENT);
    assert!(
        ended.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    me_by_cookie(&app, &cookie)
        .await
        .assert_problem(401, "unauthenticated");
    let owner: Option<String> = sqlx::query_scalar(
        "SELECT username FROM audit_log WHERE path = '/api/v01/auth/logout' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&app.db.read)
    .await
    .unwrap();
    assert_eq!(owner.as_deref(), Some("acme.admin"), "whose session ended");
}

#[tokio::test]
async fn a_code_answers_only_its_own_challenge_and_only_from_the_device_that_signed_in() {
    let app = TestApp::start().await;
    let first = payload_of(login(&app, "alpha.mail", "demo-alpha-mail", "W3m").await);
    let first_code = emailed_code(&app).await;
    let second = payload_of(login(&app, "alpha.mail", "demo-alpha-mail", "W3m").await);
    let second_code = emailed_code(&app).await;
    if first_code != second_code {
        second_factor(&app, "2fa", &second, &first_code, false, "W3m")
            .await
            .assert_problem(401, "unauthenticated");
    }
    // Another user agent (so another device) cannot answer, even with the right code.
    let problem = second_factor(&app, "2fa", &first, &first_code, false, "Other/1")
        .await
        .assert_problem(401, "unauthenticated");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("another device"),
        "{problem}"
    );
    let signed = second_factor(&app, "2fa", &first, &first_code, false, "W3m").await;
    assert_eq!(signed.status, StatusCode::OK);
    let signed = second_factor(&app, "2fa", &second, &second_code, false, "W3m").await;
    assert_eq!(signed.status, StatusCode::OK);
}

#[tokio::test]
async fn trust_comes_only_with_the_right_code_and_ends_in_time() {
    let app = TestApp::start().await;
    let payload = payload_of(login(&app, "alpha.mail", "demo-alpha-mail", "Lynx").await);
    let code = emailed_code(&app).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    second_factor(&app, "2fa", &payload, wrong, true, "Lynx")
        .await
        .assert_problem(401, "unauthenticated");
    assert_eq!(count(&app, "trusted_devices").await, 0);
    let signed = second_factor(&app, "2fa", &payload, &code, true, "Lynx").await;
    assert_eq!(signed.status, StatusCode::OK);
    let trusted = login(&app, "alpha.mail", "demo-alpha-mail", "Lynx")
        .await
        .json();
    assert!(trusted["access_token"].is_string(), "{trusted}");
    sqlx::query("UPDATE trusted_devices SET trusted_until = '2000-01-01T00:00:00Z'")
        .execute(&app.db.write)
        .await
        .unwrap();
    payload_of(login(&app, "alpha.mail", "demo-alpha-mail", "Lynx").await);
}

#[tokio::test]
async fn a_user_keeps_only_the_newest_open_challenges() {
    let app = TestApp::start().await;
    let first = payload_of(login(&app, "alpha.mail", "demo-alpha-mail", "Cap").await);
    let first_code = emailed_code(&app).await;
    for _ in 0..10 {
        payload_of(login(&app, "alpha.mail", "demo-alpha-mail", "Cap").await);
    }
    assert_eq!(count(&app, "two_factor_challenges").await, 10);
    let problem = second_factor(&app, "2fa", &first, &first_code, false, "Cap")
        .await
        .assert_problem(401, "unauthenticated");
    assert!(
        problem["detail"].as_str().unwrap().contains("expired"),
        "{problem}"
    );
}

#[tokio::test]
async fn ended_sessions_challenges_and_trust_are_forgotten() {
    let app = TestApp::start().await;
    app.login("beta.admin").await;
    let payload = payload_of(login(&app, "alpha.mail", "demo-alpha-mail", "Dillo").await);
    let code = emailed_code(&app).await;
    payload_of(login(&app, "alpha.mail", "demo-alpha-mail", "Dillo").await);
    let signed = second_factor(&app, "2fa", &payload, &code, true, "Dillo").await;
    assert_eq!(signed.status, StatusCode::OK);
    let past = "2000-01-01T00:00:00Z";
    for statement in [
        "UPDATE sessions SET refresh_expires_at = ?",
        "UPDATE two_factor_challenges SET expires_at = ?",
        "UPDATE trusted_devices SET trusted_until = ?",
    ] {
        sqlx::query(statement)
            .bind(past)
            .execute(&app.db.write)
            .await
            .unwrap();
    }
    let removed = server::store::accounts::purge_ended(&app.db).await.unwrap();
    assert!(removed >= 4, "{removed}");
    for table in ["sessions", "two_factor_challenges", "trusted_devices"] {
        assert_eq!(count(&app, table).await, 0, "{table}");
    }
}
