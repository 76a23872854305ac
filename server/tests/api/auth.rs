//! Signing in as the platform does it, over HTTP against the real router: the token
//! pair, the current user, refresh, logout by POST and GET, the browser's session
//! cookie, and the second factor (e-mailed code or TOTP) from devices not trusted yet.

use axum::http::{Method, StatusCode, header};
use serde_json::json;
use server::{
    auth::totp,
    scenario::{SecondFactorSpec, demo},
};

/// The TOTP secret of the demo's `alpha.totp` (public, as the demo's passwords are).
fn demo_totp_secret() -> &'static str {
    let admin = demo()
        .admins
        .iter()
        .find(|admin| admin.username == "alpha.totp");
    match admin.and_then(|admin| admin.second_factor.as_ref()) {
        Some(SecondFactorSpec::Totp(secret)) => secret,
        _ => panic!("the demo's alpha.totp has a TOTP secret"),
    }
}

use crate::helpers::{
    ACME_TEAMS, LOCAL_USER, LOGIN, OUTBOX, Says, TestApp, TestResponse, code_in, demo_password,
    sub_path,
};

/// A device signing in: the app, and the user agent by which the platform tells devices
/// apart (a trusted one signs in without a second factor).
#[derive(Clone, Copy)]
struct Device<'a>(&'a TestApp, &'a str);

impl Device<'_> {
    /// Signs in through the REST API.
    async fn login(self, username: &str, password: &str) -> TestResponse {
        let Device(app, user_agent) = self;
        app.post_login(username, password, &[("user-agent", user_agent)])
            .await
    }

    /// alpha.mail (who gets codes by e-mail) signs in.
    async fn mail_login(self) -> TestResponse {
        self.login("alpha.mail", "demo-alpha-mail").await
    }

    /// alpha.totp (who has an authenticator) signs in.
    async fn totp_login(self) -> TestResponse {
        self.login("alpha.totp", "demo-alpha-totp").await
    }

    /// alpha.mail signs in and is e-mailed a code: the challenge's payload, and the code.
    async fn mail_challenge(self) -> (String, String) {
        let payload = payload_of(self.mail_login().await);
        (payload, emailed_code(self.0).await)
    }

    /// Answers the challenge `payload` at `endpoint` (`2fa`: an e-mailed code, `2fa_totp`)
    /// with `code`, asking to trust the device or not.
    async fn answer(self, endpoint: &str, payload: &str, code: &str, trust: bool) -> TestResponse {
        let Device(app, user_agent) = self;
        app.post_second_factor(endpoint, payload, code, trust, user_agent)
            .await
    }
}

/// Signs a demo administrator in from a script (a device never asked for a second
/// factor): the token pair.
async fn token_pair(app: &TestApp, username: &str) -> serde_json::Value {
    let script = Device(app, "script");
    let tokens = script.login(username, demo_password(username)).await;
    tokens.assert_status(StatusCode::OK).json()
}

/// A code other than `code`.
fn wrong_code(code: &str) -> &'static str {
    if code == "000000" { "111111" } else { "000000" }
}

/// The code in the newest message of the simulated outbox (to alpha.mail), read as a
/// group admin.
async fn emailed_code(app: &TestApp) -> String {
    let group = app.login("group.admin").await;
    let outbox = app.get(OUTBOX, &group).await;
    let mail = outbox.assert_status(StatusCode::OK).json()[0].clone();
    assert_eq!(mail["to"], "mia@alpha-telecom.example", "{mail}");
    code_in(&mail)
}

fn totp_now(offset_steps: i64) -> String {
    let secret = totp::decode_base32(demo_totp_secret()).unwrap();
    totp::code_at(
        &secret,
        totp::step_of(chrono::Utc::now().timestamp()) + offset_steps,
    )
}

#[tokio::test]
async fn login_returns_an_access_and_a_refresh_token_and_the_current_user_is_read_apart() {
    let app = TestApp::start().await;
    let response = Device(&app, "curl/8")
        .login("alpha.admin", demo_password("alpha.admin"))
        .await;
    response.assert_status(StatusCode::OK);
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
    let me = me.assert_status(StatusCode::OK).json();
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
    let refused = app.get(LOCAL_USER, refresh).await;
    refused.assert_problem(401, "unauthenticated");
}

#[tokio::test]
async fn a_read_only_profile_lists_every_role_with_only_the_reads_allowed() {
    let (app, token) = TestApp::signed_in("readonly").await;
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
    let tokens = token_pair(&app, "beta.admin").await;
    let (access, refresh) = (
        tokens["access_token"].as_str().unwrap().to_owned(),
        tokens["refresh_token"].as_str().unwrap().to_owned(),
    );
    let refreshed = app.get("/api/v01/auth/access_token", &refresh).await;
    let refreshed = refreshed.assert_status(StatusCode::OK).json();
    let new_access = refreshed["access_token"].as_str().unwrap();
    assert_ne!(new_access, access);
    // Far from its end, the refresh token stays the one to use.
    assert!(refreshed.get("refresh_token").is_none(), "{refreshed}");
    let answer = app.get(LOCAL_USER, new_access).await;
    answer.assert_status(StatusCode::OK);
    let refused = app.get(LOCAL_USER, &access).await;
    refused.assert_problem(401, "unauthenticated");
    // An access token is no refresh token.
    let refused = app.get("/api/v01/auth/access_token", new_access).await;
    refused.assert_problem(401, "unauthenticated");
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
        logout.assert_status(StatusCode::NO_CONTENT);
        let refused = app.get(LOCAL_USER, &token).await;
        refused.assert_problem(401, "unauthenticated");
    }
    // As the vendor's client calls it: no token, nothing to end.
    let token = app.login("beta.admin").await;
    let logout = app
        .call(Method::GET, "/api/v01/auth/logout", None, None)
        .await;
    logout.assert_status(StatusCode::NO_CONTENT);
    let answer = app.get(LOCAL_USER, &token).await;
    answer.assert_status(StatusCode::OK);
}

#[tokio::test]
async fn the_browser_session_cookie_authenticates_and_a_get_logout_cannot_end_it() {
    let (app, cookie) = TestApp::browser_signed_in("acme.admin").await;
    let me = |cookie: String| {
        let cookies = format!("theme=dark; fusion_session={cookie}");
        app.request(Method::GET, LOCAL_USER)
            .header("cookie", &cookies)
            .send()
    };
    let response = me(cookie.clone()).await;
    response.assert_status(StatusCode::OK);
    assert_eq!(response.json()["ui_profile"], "tenant");
    // A page of another site can make the browser GET the logout with the cookie.
    app.request(Method::GET, "/api/v01/auth/logout")
        .session(&cookie)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    me(cookie).await.assert_status(StatusCode::OK);
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_401() {
    let app = TestApp::start().await;
    for (username, password) in [("alpha.admin", "wrong"), ("nobody", "demo-alpha")] {
        let problem = Device(&app, "script")
            .login(username, password)
            .await
            .assert_problem(401, "unauthenticated");
        assert_eq!(problem["detail"], "Invalid username or password");
    }
}

#[tokio::test]
async fn empty_credentials_are_a_400() {
    let app = TestApp::start().await;
    Device(&app, "script")
        .login("", "")
        .await
        .assert_problem(400, "validation_failed");
}

#[tokio::test]
async fn no_token_bad_token_and_logged_out_token_are_401() {
    let app = TestApp::start().await;
    let response = app.call(Method::GET, LOCAL_USER, None, None).await;
    response.assert_problem(401, "unauthenticated");
    assert!(response.headers.contains_key(header::WWW_AUTHENTICATE));
    let refused = app.get(LOCAL_USER, "not-a-token").await;
    refused.assert_problem(401, "unauthenticated");
}

#[tokio::test]
async fn sessions_are_stored_hashed() {
    let app = TestApp::start().await;
    let tokens = token_pair(&app, "group.admin").await;
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
    let (app, token) = TestApp::signed_in("alpha.admin").await;
    let answer = app.post_unlink(&token, ACME_TEAMS).await;
    answer.assert_status(StatusCode::BAD_REQUEST);
    let path = sub_path(ACME_TEAMS, "msteams/unlink");
    let rows: Vec<(Option<String>, String, String, i64, String)> =
        sqlx::query_as("SELECT username, method, path, status, outcome FROM audit_log ORDER BY id")
            .fetch_all(&app.db.read)
            .await
            .unwrap();
    let row = |path: &str, status, outcome: &str| {
        let alpha = Some("alpha.admin".to_owned());
        (
            alpha,
            "POST".to_owned(),
            path.to_owned(),
            status,
            outcome.to_owned(),
        )
    };
    let expected = [row(LOGIN, 200, "success"), row(&path, 400, "refused")];
    assert_eq!(rows, expected);
}

// ---- the second factor ---------------------------------------------------------------

#[tokio::test]
async fn an_untrusted_device_gets_an_emailed_code_and_trusting_it_skips_the_code_next_time() {
    let app = TestApp::start().await;
    let firefox = Device(&app, "Firefox/150");
    let chrome = Device(&app, "Chrome/156");
    let challenge = firefox.mail_login().await;
    let challenge = challenge.assert_status(StatusCode::OK).json();
    assert_eq!(challenge["option"], "email", "{challenge}");
    assert!(challenge.get("access_token").is_none(), "{challenge}");
    let payload = challenge["2fa_payload"].as_str().unwrap().to_owned();
    let code = emailed_code(&app).await;

    let tokens = firefox.answer("2fa", &payload, &code, true).await;
    let tokens = tokens.assert_status(StatusCode::OK).json();
    let me = app
        .get(LOCAL_USER, tokens["access_token"].as_str().unwrap())
        .await;
    assert_eq!(me.json()["username"], "alpha.mail");
    // The code is good once.
    let refused = firefox.answer("2fa", &payload, &code, true).await;
    refused.assert_problem(401, "unauthenticated");
    // The trusted device signs in without a code; another user agent needs one.
    let trusted = firefox.mail_login().await.json();
    assert!(trusted["access_token"].is_string(), "{trusted}");
    let other = chrome.mail_login().await.json();
    assert_eq!(other["option"], "email", "{other}");
}

#[tokio::test]
async fn without_trust_the_device_is_asked_again() {
    let app = TestApp::start().await;
    let safari = Device(&app, "Safari");
    let (payload, code) = safari.mail_challenge().await;
    let signed = safari.answer("2fa", &payload, &code, false).await;
    signed.assert_status(StatusCode::OK);
    let again = safari.mail_login().await.json();
    assert!(again["2fa_payload"].is_string(), "{again}");
}

#[tokio::test]
async fn wrong_codes_are_refused_and_a_challenge_takes_only_a_few() {
    let app = TestApp::start().await;
    let edge = Device(&app, "Edge");
    let (payload, code) = edge.mail_challenge().await;
    let wrong = wrong_code(&code);
    let cases: &[(&str, u16, &str)] = &[
        ("12345", 400, "validation_failed"),
        ("abcdef", 400, "validation_failed"),
        (wrong, 401, "unauthenticated"),
    ];
    for (attempt, status, problem) in cases {
        edge.answer("2fa", &payload, attempt, false)
            .await
            .assert_problem(*status, problem);
    }
    // Five wrong codes end the challenge: even the right one is then refused.
    for _ in 0..4 {
        edge.answer("2fa", &payload, wrong, false).await;
    }
    let after = edge.answer("2fa", &payload, &code, false).await;
    after.assert_problem(401, "unauthenticated");
    // An e-mail challenge is not answered with a TOTP code, nor an unknown payload at all.
    let edge2 = Device(&app, "Edge2");
    let fresh = payload_of(edge2.mail_login().await);
    edge2
        .answer("2fa_totp", &fresh, "123456", false)
        .await
        .assert_problem(400, "wrong_second_factor");
    edge2
        .answer("2fa", "no-such-payload", "123456", false)
        .await
        .assert_problem(401, "unauthenticated");
}

#[tokio::test]
async fn a_totp_user_signs_in_with_the_current_code_once() {
    let app = TestApp::start().await;
    let vivaldi = Device(&app, "Vivaldi");
    let vivaldi2 = Device(&app, "Vivaldi-2");
    let challenge = vivaldi.totp_login().await.json();
    assert_eq!(challenge["option"], "totp", "{challenge}");
    let payload = challenge["2fa_payload"].as_str().unwrap().to_owned();
    // Nothing is e-mailed for a TOTP user.
    let group = app.login("group.admin").await;
    assert_eq!(app.get("/sim/v1/outbox", &group).await.json(), json!([]));
    // A code far from now is refused; the current one works, once.
    vivaldi
        .answer("2fa_totp", &payload, &totp_now(10), false)
        .await
        .assert_problem(401, "unauthenticated");
    let code = totp_now(0);
    let tokens = vivaldi.answer("2fa_totp", &payload, &code, true).await;
    tokens.assert_status(StatusCode::OK);
    let again = vivaldi2.totp_login().await.json();
    let payload = again["2fa_payload"].as_str().unwrap();
    vivaldi2
        .answer("2fa_totp", payload, &code, false)
        .await
        .assert_problem(401, "unauthenticated");
}

#[tokio::test]
async fn the_sign_in_form_asks_for_the_code_then_sets_the_session_cookie() {
    let app = TestApp::start().await;
    let asked = app
        .sign_in_form("alpha.mail", "demo-alpha-mail", &[("user-agent", "Form/1")])
        .await;
    assert!(asked.header("set-cookie").is_none());
    let step = asked.json();
    let payload = step["SecondFactor"]["payload"].as_str().unwrap().to_owned();
    let code = emailed_code(&app).await;
    let payload = app::backend::query_value(&payload);
    let done = app
        .request(Method::POST, "/ui/second_factor")
        .same_origin()
        .header("user-agent", "Form/1")
        .form(format!(
            "payload={payload}&option=email&code={code}&trust=true"
        ))
        .send()
        .await;
    assert!(done.status.is_success(), "{}", done.text());
    let cookie = done.header("set-cookie").unwrap();
    assert!(
        cookie.starts_with("fusion_session=") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    // Trusted: the form signs in at once next time.
    let again = app
        .sign_in_form("alpha.mail", "demo-alpha-mail", &[("user-agent", "Form/1")])
        .await;
    assert!(again.header("set-cookie").is_some());
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let app = TestApp::start().await;
    let opera = Device(&app, "Opera");
    let (payload, code) = opera.mail_challenge().await;
    sqlx::query("UPDATE two_factor_challenges SET expires_at = '2000-01-01T00:00:00Z'")
        .execute(&app.db.write)
        .await
        .unwrap();
    let refused = opera.answer("2fa", &payload, &code, false).await;
    refused.assert_refusal(401, "unauthenticated", Says::Contains("expired"));
}

#[tokio::test]
async fn wrong_codes_over_several_sign_ins_are_throttled_like_passwords() {
    let app = TestApp::start().await;
    let mut statuses = Vec::new();
    for attempt in 0..7 {
        let agent = format!("Guesser/{attempt}");
        let guesser = Device(&app, &agent);
        let payload = payload_of(guesser.totp_login().await);
        let wrong = totp_now(100 + attempt);
        let answer = guesser.answer("2fa_totp", &payload, &wrong, false).await;
        statuses.push(answer.status.as_u16());
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            assert!(answer.headers.contains_key(header::RETRY_AFTER));
        }
    }
    assert_eq!(&statuses[..5], [401; 5], "{statuses:?}");
    assert!(statuses[5..].iter().all(|s| *s == 429), "{statuses:?}");
}

// ---- sessions of each kind, their ends and their bounds ------------------------------

/// The current user, asked from this site's page with only the session cookie `token`.
async fn me_by_cookie(app: &TestApp, token: &str) -> TestResponse {
    let call = app.request(Method::GET, LOCAL_USER);
    call.same_origin().session(token).send().await
}

async fn count(app: &TestApp, table: &str) -> i64 {
    app.count(&format!("SELECT COUNT(*) FROM {table}"), &[])
        .await
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
    let tokens = token_pair(&app, "beta.admin").await;
    // A REST session's tokens in the cookie are no browser session (another tool
    // holding a refresh token cannot make it a cookie that never needs refreshing).
    for name in ["refresh_token", "access_token"] {
        me_by_cookie(&app, tokens[name].as_str().unwrap())
            .await
            .assert_problem(401, "unauthenticated");
    }
    // A browser session's cookie is neither a bearer nor a refresh token.
    let cookie = app.browser_login("beta.admin").await;
    me_by_cookie(&app, &cookie)
        .await
        .assert_status(StatusCode::OK);
    let refused = app.get(LOCAL_USER, &cookie).await;
    refused.assert_problem(401, "unauthenticated");
    let refused = app.get("/api/v01/auth/access_token", &cookie).await;
    refused.assert_problem(401, "unauthenticated");
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
    let tokens = token_pair(&app, "beta.admin").await;
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
    let answer = app.get(LOCAL_USER, access).await;
    answer.assert_status(StatusCode::OK);
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
    let refused = app.get("/api/v01/auth/access_token", &first).await;
    refused.assert_problem(401, "unauthenticated");
    assert_eq!(refresh(second).await.0, StatusCode::OK);
}

#[tokio::test]
async fn signing_in_again_and_again_keeps_only_the_newest_sessions() {
    let (app, first) = TestApp::signed_in("beta.admin").await;
    for _ in 0..server::store::accounts::SESSIONS_PER_USER {
        app.login("beta.admin").await;
    }
    assert_eq!(
        count(&app, "sessions").await,
        server::store::accounts::SESSIONS_PER_USER
    );
    let refused = app.get(LOCAL_USER, &first).await;
    refused.assert_problem(401, "unauthenticated");
}

#[tokio::test]
async fn a_post_logout_ends_the_cookies_session_unless_a_token_is_named() {
    let (app, cookie) = TestApp::browser_signed_in("acme.admin").await;
    let logout = |authorization: &'static [(&'static str, &'static str)]| {
        let call = app.request(Method::POST, "/api/v01/auth/logout");
        call.same_origin()
            .session(&cookie)
            .headers(authorization)
            .send()
    };
    // An Authorization header names the session to end (here none), never the cookie.
    logout(&[("authorization", "Basic YWNtZTpwdw==")])
        .await
        .assert_status(StatusCode::NO_CONTENT);
    me_by_cookie(&app, &cookie)
        .await
        .assert_status(StatusCode::OK);
    let ended = logout(&[]).await;
    ended.assert_status(StatusCode::NO_CONTENT);
    assert!(ended.header("set-cookie").unwrap().contains("Max-Age=0"));
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
    let w3m = Device(&app, "W3m");
    let other = Device(&app, "Other/1");
    let (first, first_code) = w3m.mail_challenge().await;
    let (second, second_code) = w3m.mail_challenge().await;
    if first_code != second_code {
        let refused = w3m.answer("2fa", &second, &first_code, false).await;
        refused.assert_problem(401, "unauthenticated");
    }
    // Another user agent (so another device) cannot answer, even with the right code.
    let refused = other.answer("2fa", &first, &first_code, false).await;
    refused.assert_refusal(401, "unauthenticated", Says::Contains("another device"));
    let signed = w3m.answer("2fa", &first, &first_code, false).await;
    signed.assert_status(StatusCode::OK);
    let signed = w3m.answer("2fa", &second, &second_code, false).await;
    signed.assert_status(StatusCode::OK);
}

#[tokio::test]
async fn trust_comes_only_with_the_right_code_and_ends_in_time() {
    let app = TestApp::start().await;
    let lynx = Device(&app, "Lynx");
    let (payload, code) = lynx.mail_challenge().await;
    // A wrong code asking for trust gets neither a session nor trust.
    let refused = lynx.answer("2fa", &payload, wrong_code(&code), true).await;
    refused.assert_problem(401, "unauthenticated");
    assert_eq!(count(&app, "trusted_devices").await, 0);
    let signed = lynx.answer("2fa", &payload, &code, true).await;
    signed.assert_status(StatusCode::OK);
    let trusted = lynx.mail_login().await.json();
    assert!(trusted["access_token"].is_string(), "{trusted}");
    sqlx::query("UPDATE trusted_devices SET trusted_until = '2000-01-01T00:00:00Z'")
        .execute(&app.db.write)
        .await
        .unwrap();
    payload_of(lynx.mail_login().await);
}

#[tokio::test]
async fn a_user_keeps_only_the_newest_open_challenges() {
    let app = TestApp::start().await;
    let cap = Device(&app, "Cap");
    let (first, first_code) = cap.mail_challenge().await;
    for _ in 0..10 {
        payload_of(cap.mail_login().await);
    }
    assert_eq!(count(&app, "two_factor_challenges").await, 10);
    let refused = cap.answer("2fa", &first, &first_code, false).await;
    refused.assert_refusal(401, "unauthenticated", Says::Contains("expired"));
}

#[tokio::test]
async fn ended_sessions_challenges_and_trust_are_forgotten() {
    let app = TestApp::start().await;
    let dillo = Device(&app, "Dillo");
    app.login("beta.admin").await;
    let (payload, code) = dillo.mail_challenge().await;
    payload_of(dillo.mail_login().await);
    let signed = dillo.answer("2fa", &payload, &code, true).await;
    signed.assert_status(StatusCode::OK);
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
