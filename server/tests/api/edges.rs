//! The edges every request passes, through the real router: the cross-site check on
//! cookie-authenticated writes and on sign-in, the session cookie's flags and HSTS
//! behind an https public URL, the security headers of answers and pages, no caching of
//! tokens and secrets, the audit log of signed-in callers (anonymous refusals only
//! counted, served at /metrics), the retention limit, input caps (search length, body
//! size) and the request deadline.

use std::time::{Duration, Instant};

use axum::http::{HeaderMap, Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    ACME_TEAMS, CONTOSO, Call, Failures, GLOBEX_LAB, GLOBEX_TEAMS, LOCAL_USER, LOGIN, SIM_TENANTS,
    Says, TENANTS, THIS_ORIGIN, TestApp, TestResponse, demo_password, login_body, sim_path,
    sub_path,
};

const PUBLIC_URL: &str = "https://teams.example.com";

/// Headers of a request and why a browser would send them.
type Sender = (&'static str, &'static [(&'static str, &'static str)]);

/// Globex Teams Lab: onboarded, no direct-routing users, so alpha.admin may unlink it —
/// a body-less POST whose effect shows in the snapshot.
fn unlink_path() -> String {
    sub_path(GLOBEX_LAB, "msteams/unlink")
}

/// Acme Teams, onboarded: update_vrp re-applies what exists and changes nothing.
fn update_vrp_path() -> String {
    sub_path(ACME_TEAMS, "msteams/update_vrp")
}

/// A request to this site's host with the cookies `cookie` ("name=value"), as a browser
/// sends it, plus `extra` headers.
fn with_cookie<'a>(
    app: &'a TestApp,
    method: Method,
    path: &str,
    cookie: &str,
    extra: &[(&str, &str)],
) -> Call<'a> {
    let call = app.request(method, path).host().header("cookie", cookie);
    call.headers(extra)
}

/// A sign-in through the REST API to this site's host as `username`, with `extra`
/// headers.
async fn login_response(app: &TestApp, username: &str, extra: &[(&str, &str)]) -> TestResponse {
    let body = login_body(username, demo_password(username));
    let call = app.request(Method::POST, LOGIN).host().headers(extra);
    call.json(&body).send().await
}

/// The sign-in form posted as alpha.admin, as a browser does it from `origin` (or from
/// nowhere it names).
async fn post_sign_in_form(app: &TestApp, origin: Option<&str>) -> TestResponse {
    let call = app.request(Method::POST, "/ui/login").host();
    match origin {
        Some(origin) => call.header("origin", origin),
        None => call,
    }
    .raw(
        Some("application/x-www-form-urlencoded"),
        "username=alpha.admin&password=demo-alpha",
    )
    .send()
    .await
}

/// A page, as a browser asks for it.
async fn get_page(app: &TestApp, path: &str) -> TestResponse {
    app.request(Method::GET, path).host().send().await
}

async fn audit_count(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM audit_log", &[]).await
}

/// Where a cookie-authenticated write may not come from.
#[rustfmt::skip]
static ELSEWHERE: &[Sender] = &[
    ("a foreign origin", &[("origin", "https://evil.example")]),
    ("a sibling origin (same site, another port)", &[("origin", "http://127.0.0.1:3001")]),
    ("a sibling subdomain", &[("origin", "http://evil.127.0.0.1:3000")]),
    ("an origin that only starts like this one", &[("origin", "http://127.0.0.1:3000.evil.example")]),
    ("this host without its port", &[("origin", "http://127.0.0.1")]),
    ("an opaque origin", &[("origin", "null")]),
    ("an empty origin", &[("origin", "")]),
    ("fetch metadata: cross-site", &[("sec-fetch-site", "cross-site")]),
    ("fetch metadata: same-site", &[("sec-fetch-site", "same-site")]),
    ("fetch metadata: cross-site beside this origin", &[("sec-fetch-site", "cross-site"), ("origin", THIS_ORIGIN)]),
    ("fetch metadata 'none' and no origin", &[("sec-fetch-site", "none")]),
    ("neither header", &[]),
];

/// Where it may.
#[rustfmt::skip]
static THIS_SITE: &[Sender] = &[
    ("this origin", &[("origin", THIS_ORIGIN)]),
    ("this origin in capitals", &[("origin", "HTTP://127.0.0.1:3000")]),
    ("fetch metadata: same-origin", &[("sec-fetch-site", "same-origin")]),
    ("fetch metadata: same-origin with this origin", &[("sec-fetch-site", "same-origin"), ("origin", THIS_ORIGIN)]),
];

/// A write authenticated by the session cookie must come from this site's own pages:
/// from anywhere else (or from nowhere a browser would say) it is refused before it runs.
#[tokio::test]
async fn cookie_authenticated_writes_from_elsewhere_are_refused_and_change_nothing() {
    let app = TestApp::start().await;
    let cookie = format!("fusion_session={}", app.browser_login("alpha.admin").await);
    let before = app.snapshot().await;
    let audit_before = audit_count(&app).await;
    let writes = [
        (Method::POST, unlink_path()),
        (Method::PUT, update_vrp_path()),
        (Method::POST, sub_path(GLOBEX_TEAMS, "downloads/create_app")),
    ];
    let mut failures = Failures::default();
    for (why, extra) in ELSEWHERE {
        for (method, path) in &writes {
            let response = with_cookie(&app, method.clone(), path, &cookie, extra)
                .send()
                .await;
            let says = Says::Contains("Bearer");
            failures.check(why, response.check_refusal(403, "cross_site_request", says));
        }
        let unchanged = app.snapshot().await == before;
        failures.expect(why, unchanged, "the database changed");
    }
    failures.assert_none();
    // Refused before anything ran: nobody was authenticated, nothing was audited.
    assert_eq!(audit_count(&app).await, audit_before);
}

/// From this site's own pages the cookie works; a bearer token works from anywhere
/// (a script sends it on purpose); reads need no origin at all.
#[tokio::test]
async fn same_origin_writes_bearer_tokens_and_reads_pass_the_cross_site_check() {
    let (app, token) = TestApp::signed_in("alpha.admin").await;
    let cookie = format!("fusion_session={}", app.browser_login("alpha.admin").await);
    let mut failures = Failures::default();
    for (why, extra) in THIS_SITE {
        let call = with_cookie(&app, Method::PUT, &update_vrp_path(), &cookie, extra);
        let response = call.send().await;
        // update_vrp ran: the voice route exists already.
        if failures
            .check(why, response.check_status(StatusCode::OK))
            .is_some()
        {
            let ran = response.text().contains("already_exists");
            failures.expect(
                why,
                ran,
                format!("update_vrp did not run: {}", response.text()),
            );
        }
    }
    failures.assert_none();

    // Bearer: unaffected by where the request says it comes from.
    for extra in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let call = app.request(Method::PUT, &update_vrp_path()).host();
        let response = call.bearer(&token).headers(&[extra]).send().await;
        response.assert_status(StatusCode::OK);
    }

    // An Authorization header that is not a valid bearer token does not fall back on
    // the cookie (which would let a cross-site request ride on it).
    let before = app.snapshot().await;
    for authorization in ["Basic YWxwaGE6ZGVtbw==", "Bearer not-a-token", "Bearer "] {
        let extra = [
            ("origin", "https://evil.example"),
            ("authorization", authorization),
        ];
        with_cookie(&app, Method::POST, &unlink_path(), &cookie, &extra)
            .send()
            .await
            .assert_problem(401, "unauthenticated");
    }
    assert_eq!(app.snapshot().await, before);

    // Reads with the cookie from anywhere are answered (they change nothing).
    for extra in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let call = with_cookie(&app, Method::GET, LOCAL_USER, &cookie, &[extra]);
        let me = call.send().await.assert_status(StatusCode::OK).json();
        assert_eq!(me["username"], "alpha.admin");
    }

    // The refused write of the other test, from this origin, goes through.
    let origin = [("origin", THIS_ORIGIN)];
    with_cookie(&app, Method::POST, &unlink_path(), &cookie, &origin)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
}

/// A sign-in from another site's page (login CSRF) is refused and sets no cookie; from
/// this site, or from a script that names no origin, it works.
#[tokio::test]
async fn a_sign_in_from_another_site_is_refused() {
    let app = TestApp::start().await;
    let sessions = || app.count("SELECT COUNT(*) FROM sessions", &[]);
    let before = sessions().await;
    for extra in [
        ("origin", "https://evil.example"),
        ("origin", "http://127.0.0.1:3001"),
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
    ] {
        let response = login_response(&app, "alpha.admin", &[extra]).await;
        response.assert_problem(403, "cross_site_request");
        assert!(
            response.header("set-cookie").is_none(),
            "{extra:?}: a cookie was set"
        );
    }
    // The sign-in form (a server function, posted without JavaScript too).
    for origin in ["https://evil.example", "null"] {
        let response = post_sign_in_form(&app, Some(origin)).await;
        response.assert_problem(403, "cross_site_request");
        let cookie = response.header("set-cookie");
        assert!(cookie.is_none(), "the form from {origin}: a cookie was set");
    }
    assert_eq!(sessions().await, before, "a refused sign-in made a session");
    let form = post_sign_in_form(&app, Some(THIS_ORIGIN)).await;
    assert!(
        form.header("set-cookie")
            .is_some_and(|c| c.starts_with("fusion_session=")),
        "the form from this origin: {} {:?}",
        form.status,
        form.headers
    );
    for extra in [
        &[("origin", THIS_ORIGIN)][..],
        &[("sec-fetch-site", "same-origin")],
        // A script names no origin.
        &[],
    ] {
        let response = login_response(&app, "alpha.admin", extra).await;
        response.assert_status(StatusCode::OK);
    }
}

/// Behind an https public URL the session cookie is `Secure` and `__Host-` prefixed,
/// HSTS is sent, and only that exact origin counts as this site; without one, neither
/// flag nor HSTS.
#[tokio::test]
async fn an_https_public_url_makes_the_cookie_secure_and_adds_hsts() {
    let app = TestApp::start_configured(|config| {
        config.public_url = Some(format!("{PUBLIC_URL}/"));
    })
    .await;
    // The REST sign-in sets no cookie; the sign-in form (from the public origin) does.
    let rest = login_response(&app, "alpha.admin", &[]).await;
    rest.assert_status(StatusCode::OK);
    assert!(rest.header("set-cookie").is_none());
    let login = post_sign_in_form(&app, Some(PUBLIC_URL)).await;
    let cookie = login
        .header("set-cookie")
        .unwrap_or_else(|| panic!("no cookie: {} {}", login.status, login.text()))
        .to_owned();
    let token = login.session_cookie().unwrap();
    assert!(
        !token.is_empty() && cookie.starts_with(&format!("__Host-fusion_session={token};")),
        "{cookie}"
    );
    // It is the browser's session, under the prefixed name only.
    let me = |cookie: String| {
        let app = &app;
        async move {
            let call = with_cookie(app, Method::GET, LOCAL_USER, &cookie, &[]);
            call.send().await.status
        }
    };
    assert_eq!(
        me(format!("__Host-fusion_session={token}")).await,
        StatusCode::OK
    );
    assert_eq!(
        me(format!("fusion_session={token}")).await,
        StatusCode::UNAUTHORIZED
    );
    assert_has_attributes(
        &cookie,
        &["Path=/", "HttpOnly", "SameSite=Strict", "Secure"],
    );
    assert!(!cookie.contains("Domain="), "{cookie}");
    assert_eq!(
        login.header("strict-transport-security"),
        Some("max-age=31536000"),
    );

    // Sign-out clears the same cookie, with the same flags (a browser ignores a
    // `__Host-` cookie set without `Secure`).
    let second = post_sign_in_form(&app, Some(PUBLIC_URL)).await;
    let second = second.session_cookie().unwrap();
    let origin = [("origin", PUBLIC_URL)];
    let second_cookie = format!("__Host-fusion_session={second}");
    let logout = with_cookie(
        &app,
        Method::POST,
        "/api/v01/auth/logout",
        &second_cookie,
        &origin,
    )
    .send()
    .await;
    logout.assert_status(StatusCode::NO_CONTENT);
    let cleared = logout.header("set-cookie").unwrap();
    assert!(
        cleared.starts_with("__Host-fusion_session=;") && cleared.contains("; Secure"),
        "{cleared}"
    );
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert_has_attributes(cleared, &["Path=/", "HttpOnly", "SameSite=Strict"]);

    // The prefixed cookie authenticates; the plain name is not read any more. The
    // signed-out session is over; the other one goes on.
    assert_eq!(
        me(format!("fusion_session={token}")).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(me(second_cookie).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        me(format!("__Host-fusion_session={token}")).await,
        StatusCode::OK
    );

    // Only the public origin is this site, whatever Host the proxy forwards.
    let cookie = format!("__Host-fusion_session={token}");
    let cases = [
        ("the public origin", PUBLIC_URL, StatusCode::OK),
        (
            "the public origin in capitals",
            "HTTPS://Teams.Example.COM",
            StatusCode::OK,
        ),
        (
            "the public host over http",
            "http://teams.example.com",
            StatusCode::FORBIDDEN,
        ),
        (
            "a sibling subdomain",
            "https://evil.teams.example.com",
            StatusCode::FORBIDDEN,
        ),
        (
            "the Host the request was sent to",
            THIS_ORIGIN,
            StatusCode::FORBIDDEN,
        ),
        (
            "the public origin with a port",
            "https://teams.example.com:8443",
            StatusCode::FORBIDDEN,
        ),
    ];
    let mut failures = Failures::default();
    for (why, origin, expected) in cases {
        let origin = [("origin", origin)];
        let call = with_cookie(&app, Method::PUT, &update_vrp_path(), &cookie, &origin);
        let response = call.send().await;
        failures.check(why, response.check_status(expected));
        let hsts = response.header("strict-transport-security") == Some("max-age=31536000");
        failures.expect(why, hsts, "no HSTS");
    }
    failures.assert_none();
}

#[track_caller]
fn assert_has_attributes(cookie: &str, attributes: &[&str]) {
    for attribute in attributes {
        assert!(
            cookie.split("; ").any(|part| part == *attribute),
            "{attribute} missing: {cookie}"
        );
    }
}

#[tokio::test]
async fn without_an_https_public_url_the_cookie_is_not_secure_and_there_is_no_hsts() {
    let plain = TestApp::start().await;
    let http_public = TestApp::start_configured(|config| {
        config.public_url = Some("http://teams.example.com".into());
    })
    .await;
    for (why, app, origin) in [
        ("no public URL", &plain, THIS_ORIGIN),
        (
            "an http public URL",
            &http_public,
            "http://teams.example.com",
        ),
    ] {
        let login = post_sign_in_form(app, Some(origin)).await;
        let cookie = login
            .header("set-cookie")
            .unwrap_or_else(|| panic!("{why}: no cookie: {} {}", login.status, login.text()));
        assert!(cookie.starts_with("fusion_session="), "{why}: {cookie}");
        assert!(!cookie.contains("Secure"), "{why}: {cookie}");
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
        let hsts = login.header("strict-transport-security");
        assert!(hsts.is_none(), "{why}");
    }
    // Forced on (TLS terminated elsewhere without a public URL): Secure and prefixed,
    // but still no HSTS, which only an https public URL justifies.
    let forced = TestApp::start_configured(|config| config.secure_cookie = Some(true)).await;
    let login = post_sign_in_form(&forced, Some(THIS_ORIGIN)).await;
    let cookie = login
        .header("set-cookie")
        .unwrap_or_else(|| panic!("no cookie: {} {}", login.status, login.text()));
    assert!(
        cookie.starts_with("__Host-fusion_session=") && cookie.ends_with("; Secure"),
        "{cookie}"
    );
    assert!(login.header("strict-transport-security").is_none());
}

fn assert_common_security_headers(what: &str, headers: &HeaderMap) {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let expected = [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-resource-policy", "same-origin"),
        ("cache-control", "no-store"),
    ];
    for (name, value) in expected {
        assert_eq!(header(name), Some(value), "{what}: {name}");
    }
    let policy = header("content-security-policy").unwrap_or_default();
    assert!(
        policy.contains("frame-ancestors 'none'"),
        "{what}: CSP {policy:?}"
    );
}

/// Every kind of answer carries the security headers; JSON and problems a policy that
/// lets nothing run; pages a policy whose nonce is on each of their inline scripts.
#[tokio::test]
async fn answers_and_pages_carry_the_security_headers() {
    let (app, token) = TestApp::signed_in("alpha.admin").await;
    let json = app.get(LOCAL_USER, &token).await;
    json.assert_status(StatusCode::OK);
    let problem = app.get("/api/v01/no-such-thing", &token).await;
    problem.assert_problem(404, "not_found");
    let refused = app.call(Method::POST, &unlink_path(), None, None).await;
    refused.assert_problem(401, "unauthenticated");
    for (what, response) in [
        ("a JSON answer", &json),
        ("a 404 problem", &problem),
        ("a 401 problem", &refused),
    ] {
        assert_common_security_headers(what, &response.headers);
        assert_eq!(
            response.header("content-security-policy"),
            Some("default-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
            "{what}"
        );
    }

    for (what, path) in [
        ("the home page", "/"),
        ("the sign-in page", "/login"),
        ("a missing page", "/no/such/page"),
    ] {
        let page = get_page(&app, path).await;
        assert!(
            page.content_type().starts_with("text/html"),
            "{what}: {} {}",
            page.status,
            page.content_type()
        );
        assert_common_security_headers(what, &page.headers);
        let policy = page.header("content-security-policy").unwrap().to_owned();
        let nonce = policy
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .unwrap_or_else(|| panic!("{what}: no nonce in {policy}"));
        assert!(nonce.len() >= 16, "{what}: nonce {nonce:?}");
        assert!(policy.contains("'wasm-unsafe-eval'"), "{what}: {policy}");
        assert!(!policy.contains("'unsafe-inline'"), "{what}: {policy}");
        let html = page.text();
        let scripts: Vec<&str> = html
            .split("<script")
            .skip(1)
            .map(|tag| tag.split('>').next().unwrap_or_default())
            .collect();
        assert!(!scripts.is_empty(), "{what}: no script at all");
        for tag in &scripts {
            assert!(
                tag.contains(&format!("nonce=\"{nonce}\"")),
                "{what}: a script without the response's nonce: <script{tag}>"
            );
        }
        // A fresh nonce per response.
        let again = get_page(&app, path).await;
        assert_ne!(
            again.header("content-security-policy"),
            Some(policy.as_str()),
            "{what}: the nonce was reused"
        );
    }
}

/// Tokens and minted secrets are never cached.
#[tokio::test]
async fn answers_carrying_a_token_or_a_secret_are_not_cached() {
    let app = TestApp::start().await;
    let login = login_response(&app, "alpha.admin", &[]).await;
    let token = login.assert_status(StatusCode::OK).json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let minted = app.post_sim_create_app(&token, CONTOSO).await;
    assert!(minted.assert_status(StatusCode::OK).json()["secret"].is_string());
    // The same through the UI: the sign-in form, whose answer carries the session cookie,
    // and a server function.
    let form = app.sign_in_form("alpha.admin", "demo-alpha", &[]).await;
    let session = form.session_cookie().unwrap();
    let ui = app
        .server_fn("sim_create_app", Some(&session), json!({"id": CONTOSO}))
        .await;
    ui.assert_status(StatusCode::OK);
    for (what, response) in [
        ("login", &login),
        ("create_app", &minted),
        ("/ui/login", &form),
        ("/ui/sim_create_app", &ui),
    ] {
        assert_eq!(response.header("cache-control"), Some("no-store"), "{what}");
    }
}

/// Anonymous refusals of writes are counted, not stored: nobody without credentials
/// can grow the audit log or keep its single writer busy.
#[tokio::test]
async fn anonymous_refused_writes_are_counted_not_audited() {
    let app = TestApp::start().await;
    let audit_before = audit_count(&app).await;
    let counted_before = app.state.metrics.anonymous_refusals(401);
    let attempts: [(&str, Method, String, Option<Value>); 5] = [
        ("unlink", Method::POST, unlink_path(), None),
        (
            "administrator",
            Method::POST,
            sub_path(GLOBEX_TEAMS, "msteams/admins"),
            Some(json!({"msUsername": "a@b.onmicrosoft.com", "msPassword": "x"})),
        ),
        (
            "wizard",
            Method::POST,
            sub_path(GLOBEX_TEAMS, "msteams/wizard"),
            None,
        ),
        (
            "a simulated tenant",
            Method::POST,
            SIM_TENANTS.to_owned(),
            Some(json!({"name": "Anon"})),
        ),
        (
            "a wrong password",
            Method::POST,
            LOGIN.to_owned(),
            Some(login_body("alpha.admin", "wrong-password")),
        ),
    ];
    let before = app.snapshot().await;
    for (what, method, path, body) in attempts {
        let response = app.call(method, &path, None, body).await;
        response.assert_status(StatusCode::UNAUTHORIZED);
        assert_eq!(audit_count(&app).await, audit_before, "{what} was audited");
    }
    assert_eq!(app.snapshot().await, before);
    let counted = counted_before + 5;
    assert_eq!(app.state.metrics.anonymous_refusals(401), counted);

    // The counter is served to group admins only.
    let alpha = app.login("alpha.admin").await;
    let refused = app.get("/metrics", &alpha).await;
    refused.assert_problem(403, "forbidden");
    let refused = app.call(Method::GET, "/metrics", None, None).await;
    refused.assert_problem(401, "unauthenticated");
    let group = app.login("group.admin").await;
    let metrics = app.get("/metrics", &group).await;
    metrics.assert_status(StatusCode::OK);
    assert!(
        metrics.content_type().starts_with("text/plain"),
        "{}",
        metrics.content_type()
    );
    let body = metrics.text();
    for line in [
        format!("fusion_anonymous_refusals_total{{status=\"401\"}} {counted}"),
        "# TYPE fusion_anonymous_refusals_total counter".to_owned(),
    ] {
        assert!(body.contains(&line), "{body}");
    }
    assert_eq!(metrics.header("cache-control"), Some("no-store"));
}

/// A signed-in caller's writes are audited, with at most 200 characters of the path.
#[tokio::test]
async fn signed_in_writes_are_audited_with_a_clipped_path() {
    let (app, token) = TestApp::signed_in("alpha.admin").await;
    let identity = "x".repeat(1000);
    let path = sim_path(CONTOSO, &format!("/voice_objects/voice_route/{identity}"));
    let response = app.call(Method::DELETE, &path, Some(&token), None).await;
    response.assert_problem(404, "not_found");
    let (username, method, status): (Option<String>, String, i64) =
        sqlx::query_as("SELECT username, method, status FROM audit_log ORDER BY id DESC LIMIT 1")
            .fetch_one(&app.db.read)
            .await
            .unwrap();
    assert_eq!(username.as_deref(), Some("alpha.admin"));
    assert_eq!(method, "DELETE");
    assert_eq!(status, 404);
    let stored = last_audited_path(&app).await;
    assert_eq!(stored.chars().count(), 201, "{stored}");
    assert_eq!(stored, format!("{}…", &path[..200]));

    // A path of exactly 200 characters is kept whole.
    let short = "y".repeat(200 + identity.len() - path.len());
    let exact = sim_path(CONTOSO, &format!("/voice_objects/voice_route/{short}"));
    assert_eq!(exact.len(), 200);
    let refused = app.call(Method::DELETE, &exact, Some(&token), None).await;
    refused.assert_problem(404, "not_found");
    assert_eq!(last_audited_path(&app).await, exact);
}

/// The retention limit deletes the rows older than it and keeps the others.
#[tokio::test]
async fn the_audit_log_is_trimmed_to_its_retention() {
    let app = TestApp::start().await;
    app.login("alpha.admin").await;
    let now = chrono::Utc::now();
    for (days, path) in [(120, "/old"), (91, "/just-too-old"), (89, "/recent-enough")] {
        sqlx::query(
            "INSERT INTO audit_log (at, username, method, path, status, outcome) VALUES (?, 'alpha.admin', 'POST', ?, 200, 'success')",
        )
        .bind(now - chrono::Duration::days(days))
        .bind(path)
        .execute(&app.db.write)
        .await
        .unwrap();
    }
    let removed = server::store::audit::trim(&app.db, 90).await.unwrap();
    assert_eq!(removed, 2);
    let left: Vec<String> = sqlx::query_scalar("SELECT path FROM audit_log ORDER BY id")
        .fetch_all(&app.db.read)
        .await
        .unwrap();
    assert_eq!(left, [LOGIN, "/recent-enough"]);
    // Trimming again removes nothing more.
    assert_eq!(server::store::audit::trim(&app.db, 90).await.unwrap(), 0);
}

/// The tenant search takes at most 100 characters (not bytes); wildcards are literal. A
/// search that matches nothing is the list's 404 "No tenant found".
#[tokio::test]
async fn the_search_is_capped_at_100_characters() {
    let (app, token) = TestApp::signed_in("group.admin").await;
    let encode = |raw: &str| raw.bytes().map(|b| format!("%{b:02X}")).collect::<String>();
    let cases: &[(&str, String, u16)] = &[
        ("100 letters", "a".repeat(100), 404),
        ("101 letters", "a".repeat(101), 400),
        ("100 two-byte characters", "é".repeat(100), 404),
        ("101 two-byte characters", "é".repeat(101), 400),
        ("100 wildcards", "%_".repeat(50), 404),
        ("10,000 letters", "a".repeat(10_000), 400),
    ];
    let mut failures = Failures::default();
    for (why, search, expected) in cases {
        let path = format!("{TENANTS}?search={}", encode(search));
        let response = app.get(&path, &token).await;
        if *expected == 400 {
            let problem = response.check_problem(400, "invalid_query_parameter");
            if let Some(problem) = failures.check(why, problem) {
                // The value is not echoed back.
                let detail = problem["detail"].as_str().unwrap();
                let echoed = detail.contains("aaaa") || detail.contains("éé");
                failures.expect(why, !echoed, format!("the value is echoed: {problem}"));
            }
        } else {
            let says = Says::StartsWith("No tenant found");
            let problem = response.check_refusal(404, "not_found", says);
            if let Some(problem) = failures.check(why, problem) {
                let exactly = problem["detail"] == "No tenant found";
                failures.expect(why, exactly, format!("another detail: {problem}"));
            }
        }
    }
    failures.assert_none();
    // The home page's search form is held to the same cap without failing.
    let cookie = app.browser_login("group.admin").await;
    let path = format!("/?search={}", "a".repeat(101));
    let page = app
        .request(Method::GET, &path)
        .host()
        .session(&cookie)
        .send()
        .await;
    assert!(
        page.content_type().starts_with("text/html"),
        "{}",
        page.status
    );
}

/// A body over 64 KiB is refused with a problem before anything is parsed or stored.
#[tokio::test]
async fn a_body_over_64_kib_is_a_413_problem() {
    let (app, token) = TestApp::signed_in("alpha.admin").await;
    let before = app.snapshot().await;
    let padding = "x".repeat(70 * 1024);
    let body = json!({"msTeamsTenantId": padding, "name": padding, "username": padding});
    let body = body.to_string();
    let cases: [(String, Option<&str>); 3] = [
        (sub_path(GLOBEX_TEAMS, "msteams/applications"), Some(&token)),
        (SIM_TENANTS.to_owned(), Some(&token)),
        // A sign-in.
        (LOGIN.to_owned(), None),
    ];
    for (path, token) in cases {
        let length = body.len().to_string();
        let response = app
            .request(Method::POST, &path)
            .token(token)
            .header("content-length", &length)
            .raw(Some("application/json"), body.clone())
            .send()
            .await;
        response.assert_problem(413, "payload_too_large");
        assert_eq!(
            response.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
    }
    assert_eq!(app.snapshot().await, before);
}

/// A request that outlives the deadline is answered 503 `timeout` (a problem), and the
/// server goes on answering. Simulated Microsoft at 50× real time makes update_vrp's
/// Teams sign-in take minutes.
#[tokio::test]
async fn a_request_past_the_deadline_is_a_503_problem_and_the_server_goes_on() {
    let app = TestApp::start_configured(|config| {
        config.request_timeout_secs = 1;
        config.time_scale = 50.0;
    })
    .await;
    let token = app.login("alpha.admin").await;
    let cookie = app.browser_login("alpha.admin").await;
    let at = json!({"at": {"tenant": ACME_TEAMS.0, "subscription": ACME_TEAMS.1}});
    let requests = [
        app.request(Method::PUT, &update_vrp_path()).bearer(&token),
        app.request(Method::POST, "/ui/update_vrp")
            .session(&cookie)
            .same_origin()
            .header("accept", "application/json")
            .json(&at),
    ];
    for request in requests {
        let started = Instant::now();
        // Not `send`: this 503 is what the test asks for.
        let response = request.send_unchecked().await;
        let elapsed = started.elapsed();
        response.assert_problem(503, "timeout");
        let what = &response.asked;
        assert!(
            elapsed < Duration::from_secs(10),
            "{what}: answered after {elapsed:?}"
        );
        assert_eq!(
            response.header("x-content-type-options"),
            Some("nosniff"),
            "{what}"
        );
        // The server answers the next request at once.
        let answer = app.get(LOCAL_USER, &token).await;
        answer.assert_status(StatusCode::OK);
    }
}

/// The newest audit row's path.
async fn last_audited_path(app: &TestApp) -> String {
    let query = "SELECT path FROM audit_log ORDER BY id DESC LIMIT 1";
    sqlx::query_scalar(query)
        .fetch_one(&app.db.read)
        .await
        .unwrap()
}
