//! The edges every request passes, through the real router: the cross-site check on
//! cookie-authenticated writes and on sign-in, the session cookie's flags and HSTS
//! behind an https public URL, the security headers of answers and pages, no caching of
//! tokens and secrets, the audit log of signed-in callers (anonymous refusals only
//! counted, served at /metrics), the retention limit, input caps (search length, body
//! size) and the request deadline.

use std::time::{Duration, Instant};

use crate::helpers::{TENANT_ACME, TENANT_GLOBEX, TestApp, TestResponse, sub_path};
use axum::{
    body::Body,
    http::{HeaderMap, Method, Request, StatusCode, header},
};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

const HOST: &str = "127.0.0.1:3000";
const THIS_ORIGIN: &str = "http://127.0.0.1:3000";
const PUBLIC_URL: &str = "https://teams.example.com";
/// The signed-in administrator.
const LOCAL_USER: &str = "/api/v01/system/users/local";

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// A request as a browser sends it to `HOST` with the session cookie, plus `extra`.
fn cookie_request(
    method: Method,
    path: &str,
    cookie: &str,
    extra: &[(&str, &str)],
) -> axum::http::request::Builder {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, HOST)
        .header(header::COOKIE, cookie.to_owned());
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    request
}

/// A body-less `cookie_request`'s answer.
async fn send_with_cookie(
    app: &TestApp,
    method: Method,
    path: &str,
    cookie: &str,
    extra: &[(&str, &str)],
) -> TestResponse {
    app.send(
        cookie_request(method, path, cookie, extra)
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

/// The raw answer of a sign-in through the REST API, with `extra` request headers.
async fn login_response(app: &TestApp, username: &str, extra: &[(&str, &str)]) -> TestResponse {
    let password = server::seed::DEMO_LOGINS
        .iter()
        .find(|l| l.username == username)
        .unwrap()
        .password;
    let body = json!({"username": username, "password": password}).to_string();
    let mut request = Request::builder()
        .method(Method::POST)
        .uri("/api/v01/auth/login")
        .header(header::HOST, HOST)
        .header(header::CONTENT_TYPE, "application/json");
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    app.send(request.body(Body::from(body)).unwrap()).await
}

/// A server function called from this site's own page, with the session cookie.
fn server_fn_request(name: &str, cookie: &str, args: serde_json::Value) -> Request<Body> {
    cookie_request(
        Method::POST,
        &format!("/ui/{name}"),
        cookie,
        &[("origin", THIS_ORIGIN)],
    )
    .header(header::CONTENT_TYPE, "application/json")
    .header(header::ACCEPT, "application/json")
    .body(Body::from(args.to_string()))
    .unwrap()
}

/// A page, as a browser asks for it.
async fn get_page(app: &TestApp, path: &str) -> TestResponse {
    app.send(
        Request::builder()
            .uri(path)
            .header(header::HOST, HOST)
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

/// The sign-in form posted as alpha.admin, as a browser does it from `origin` (or from
/// nowhere it names).
async fn post_sign_in_form(app: &TestApp, origin: Option<&str>) -> TestResponse {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri("/ui/login")
        .header(header::HOST, HOST)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(origin) = origin {
        request = request.header(header::ORIGIN, origin);
    }
    app.send(
        request
            .body(Body::from("username=alpha.admin&password=demo-alpha"))
            .unwrap(),
    )
    .await
}

/// The value of the session cookie a `Set-Cookie` header stores.
fn cookie_value(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .and_then(|pair| pair.split_once('='))
        .map(|(_, value)| value.to_owned())
        .unwrap_or_else(|| panic!("not name=value: {set_cookie}"))
}

async fn audit_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
        .fetch_one(&app.db.read)
        .await
        .unwrap()
}

/// Globex Teams Lab (#4): onboarded, no direct-routing users, so alpha.admin may unlink
/// it — a body-less POST whose effect shows in the snapshot.
fn unlink_path() -> String {
    sub_path(TENANT_GLOBEX, 4, "msteams/unlink")
}

/// Acme Teams (#1), onboarded: update_vrp re-applies what exists and changes nothing.
fn update_vrp_path() -> String {
    sub_path(TENANT_ACME, 1, "msteams/update_vrp")
}

/// A write authenticated by the session cookie must come from this site's own pages:
/// from anywhere else (or from nowhere a browser would say) it is refused before it runs.
#[tokio::test]
async fn cookie_authenticated_writes_from_elsewhere_are_refused_and_change_nothing() {
    let app = TestApp::start().await;
    let cookie = format!("fusion_session={}", app.browser_login("alpha.admin").await);
    let before = app.snapshot().await;
    let audit_before = audit_count(&app).await;
    let cases: &[(&str, &[(&str, &str)])] = &[
        ("a foreign origin", &[("origin", "https://evil.example")]),
        (
            "a sibling origin (same site, another port)",
            &[("origin", "http://127.0.0.1:3001")],
        ),
        (
            "a sibling subdomain",
            &[("origin", "http://evil.127.0.0.1:3000")],
        ),
        (
            "an origin that only starts like this one",
            &[("origin", "http://127.0.0.1:3000.evil.example")],
        ),
        (
            "this host without its port",
            &[("origin", "http://127.0.0.1")],
        ),
        ("an opaque origin", &[("origin", "null")]),
        ("an empty origin", &[("origin", "")]),
        (
            "fetch metadata: cross-site",
            &[("sec-fetch-site", "cross-site")],
        ),
        (
            "fetch metadata: same-site",
            &[("sec-fetch-site", "same-site")],
        ),
        (
            "fetch metadata: cross-site beside this origin",
            &[("sec-fetch-site", "cross-site"), ("origin", THIS_ORIGIN)],
        ),
        (
            "fetch metadata 'none' and no origin",
            &[("sec-fetch-site", "none")],
        ),
        ("neither header", &[]),
    ];
    for (why, extra) in cases {
        for (method, path) in [
            (Method::POST, unlink_path()),
            (Method::PUT, update_vrp_path()),
            (
                Method::POST,
                sub_path(TENANT_GLOBEX, 3, "downloads/create_app"),
            ),
        ] {
            let response = send_with_cookie(&app, method.clone(), &path, &cookie, extra).await;
            assert_eq!(
                response.status,
                StatusCode::FORBIDDEN,
                "{why}: {method} {path}: {}",
                response.text()
            );
            let problem = response.assert_problem(403, "cross_site_request");
            assert!(
                problem["detail"].as_str().unwrap().contains("Bearer"),
                "{why}: {problem}"
            );
        }
        assert_eq!(app.snapshot().await, before, "{why}");
    }
    // Refused before anything ran: nobody was authenticated, nothing was audited.
    assert_eq!(audit_count(&app).await, audit_before);
}

/// From this site's own pages the cookie works; a bearer token works from anywhere
/// (a script sends it on purpose); reads need no origin at all.
#[tokio::test]
async fn same_origin_writes_bearer_tokens_and_reads_pass_the_cross_site_check() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    let cookie = format!("fusion_session={}", app.browser_login("alpha.admin").await);
    let cases: &[(&str, &[(&str, &str)])] = &[
        ("this origin", &[("origin", THIS_ORIGIN)]),
        (
            "this origin in capitals",
            &[("origin", "HTTP://127.0.0.1:3000")],
        ),
        (
            "fetch metadata: same-origin",
            &[("sec-fetch-site", "same-origin")],
        ),
        (
            "fetch metadata: same-origin with this origin",
            &[("sec-fetch-site", "same-origin"), ("origin", THIS_ORIGIN)],
        ),
    ];
    for (why, extra) in cases {
        let response =
            send_with_cookie(&app, Method::PUT, &update_vrp_path(), &cookie, extra).await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "{why}: {}",
            response.text()
        );
        // update_vrp ran: the voice route exists already.
        assert!(
            response.text().contains("already_exists"),
            "{why}: {}",
            response.text()
        );
    }

    // Bearer: unaffected by where the request says it comes from.
    let bearer = format!("Bearer {token}");
    for (why, extra) in [
        ("a foreign origin", ("origin", "https://evil.example")),
        (
            "fetch metadata: cross-site",
            ("sec-fetch-site", "cross-site"),
        ),
    ] {
        let response = app
            .send(
                Request::builder()
                    .method(Method::PUT)
                    .uri(update_vrp_path())
                    .header(header::HOST, HOST)
                    .header(header::AUTHORIZATION, bearer.as_str())
                    .header(extra.0, extra.1)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "bearer with {why}: {}",
            response.text()
        );
    }

    // An Authorization header that is not a valid bearer token does not fall back on
    // the cookie (which would let a cross-site request ride on it).
    let before = app.snapshot().await;
    for authorization in ["Basic YWxwaGE6ZGVtbw==", "Bearer not-a-token", "Bearer "] {
        let response = app
            .send(
                cookie_request(
                    Method::POST,
                    &unlink_path(),
                    &cookie,
                    &[("origin", "https://evil.example")],
                )
                .header(header::AUTHORIZATION, authorization)
                .body(Body::empty())
                .unwrap(),
            )
            .await;
        response.assert_problem(401, "unauthenticated");
    }
    assert_eq!(app.snapshot().await, before);

    // Reads with the cookie from anywhere are answered (they change nothing).
    for extra in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let response = send_with_cookie(&app, Method::GET, LOCAL_USER, &cookie, &[extra]).await;
        assert_eq!(response.status, StatusCode::OK, "GET with {extra:?}");
        assert_eq!(response.json()["username"], "alpha.admin");
    }

    // The refused write of the other test, from this origin, goes through.
    let unlinked = send_with_cookie(
        &app,
        Method::POST,
        &unlink_path(),
        &cookie,
        &[("origin", THIS_ORIGIN)],
    )
    .await;
    unlinked.assert_status(StatusCode::NO_CONTENT);
}

/// A sign-in from another site's page (login CSRF) is refused and sets no cookie; from
/// this site, or from a script that names no origin, it works.
#[tokio::test]
async fn a_sign_in_from_another_site_is_refused() {
    let app = TestApp::start().await;
    let sessions = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM sessions")
            .fetch_one(&app.db.read)
            .await
            .unwrap()
    };
    let before = sessions().await;
    for (why, extra) in [
        ("a foreign origin", ("origin", "https://evil.example")),
        ("a sibling origin", ("origin", "http://127.0.0.1:3001")),
        (
            "fetch metadata: cross-site",
            ("sec-fetch-site", "cross-site"),
        ),
        ("fetch metadata: same-site", ("sec-fetch-site", "same-site")),
    ] {
        let response = login_response(&app, "alpha.admin", &[extra]).await;
        response.assert_problem(403, "cross_site_request");
        assert!(
            response.headers.get(header::SET_COOKIE).is_none(),
            "{why}: a cookie was set"
        );
    }
    // The sign-in form (a server function, posted without JavaScript too).
    for (why, origin, expected) in [
        (
            "a foreign origin",
            Some("https://evil.example"),
            StatusCode::FORBIDDEN,
        ),
        ("an opaque origin", Some("null"), StatusCode::FORBIDDEN),
    ] {
        let response = post_sign_in_form(&app, origin).await;
        assert_eq!(
            response.status,
            expected,
            "the form from {why}: {}",
            response.text()
        );
        response.assert_problem(403, "cross_site_request");
        assert!(
            response.headers.get(header::SET_COOKIE).is_none(),
            "the form from {why}: a cookie was set"
        );
    }
    assert_eq!(sessions().await, before, "a refused sign-in made a session");
    let form = post_sign_in_form(&app, Some(THIS_ORIGIN)).await;
    assert!(
        header_text(&form.headers, "set-cookie").is_some_and(|c| c.starts_with("fusion_session=")),
        "the form from this origin: {} {:?}",
        form.status,
        form.headers
    );
    for (why, extra) in [
        ("this origin", &[("origin", THIS_ORIGIN)][..]),
        (
            "fetch metadata: same-origin",
            &[("sec-fetch-site", "same-origin")],
        ),
        ("a script (no origin)", &[]),
    ] {
        let response = login_response(&app, "alpha.admin", extra).await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "{why}: {}",
            response.text()
        );
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
    assert!(rest.headers.get(header::SET_COOKIE).is_none());
    let login = post_sign_in_form(&app, Some(PUBLIC_URL)).await;
    let cookie = header_text(&login.headers, "set-cookie")
        .unwrap_or_else(|| panic!("no cookie: {} {}", login.status, login.text()))
        .to_owned();
    let token = cookie_value(&cookie);
    assert!(
        !token.is_empty() && cookie.starts_with(&format!("__Host-fusion_session={token};")),
        "{cookie}"
    );
    // It is the browser's session, under the prefixed name only.
    for (name, status) in [
        ("__Host-fusion_session", StatusCode::OK),
        ("fusion_session", StatusCode::UNAUTHORIZED),
    ] {
        let request = Request::builder()
            .uri("/api/v01/system/users/local")
            .header(header::COOKIE, format!("{name}={token}"))
            .body(Body::empty())
            .unwrap();
        app.send(request).await.assert_status(status);
    }
    for attribute in ["Path=/", "HttpOnly", "SameSite=Strict", "Secure"] {
        assert!(
            cookie.split("; ").any(|part| part == attribute),
            "{attribute} missing: {cookie}"
        );
    }
    assert!(!cookie.contains("Domain="), "{cookie}");
    assert_eq!(
        header_text(&login.headers, "strict-transport-security"),
        Some("max-age=31536000"),
    );

    // Sign-out clears the same cookie, with the same flags (a browser ignores a
    // `__Host-` cookie set without `Secure`).
    let second = post_sign_in_form(&app, Some(PUBLIC_URL)).await;
    let second = cookie_value(header_text(&second.headers, "set-cookie").unwrap());
    let logout = send_with_cookie(
        &app,
        Method::POST,
        "/api/v01/auth/logout",
        &format!("__Host-fusion_session={second}"),
        &[("origin", PUBLIC_URL)],
    )
    .await;
    logout.assert_status(StatusCode::NO_CONTENT);
    let cleared = header_text(&logout.headers, "set-cookie").unwrap();
    assert!(
        cleared.starts_with("__Host-fusion_session=;") && cleared.contains("; Secure"),
        "{cleared}"
    );
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    for attribute in ["Path=/", "HttpOnly", "SameSite=Strict"] {
        assert!(
            cleared.split("; ").any(|part| part == attribute),
            "{attribute} missing: {cleared}"
        );
    }

    // The prefixed cookie authenticates; the plain name is not read any more.
    let me = |cookie: String| {
        let app = &app;
        async move {
            send_with_cookie(app, Method::GET, LOCAL_USER, &cookie, &[])
                .await
                .status
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
    // The signed-out session is over; the other one goes on.
    assert_eq!(
        me(format!("__Host-fusion_session={second}")).await,
        StatusCode::UNAUTHORIZED
    );

    // Only the public origin is this site, whatever Host the proxy forwards.
    let cookie = format!("__Host-fusion_session={token}");
    let cases: &[(&str, &str, StatusCode)] = &[
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
    for (why, origin, expected) in cases {
        let response = send_with_cookie(
            &app,
            Method::PUT,
            &update_vrp_path(),
            &cookie,
            &[("origin", origin)],
        )
        .await;
        assert_eq!(response.status, *expected, "{why}: {}", response.text());
        assert_eq!(
            header_text(&response.headers, "strict-transport-security"),
            Some("max-age=31536000"),
            "{why}: HSTS on every answer"
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
        let cookie = header_text(&login.headers, "set-cookie")
            .unwrap_or_else(|| panic!("{why}: no cookie: {} {}", login.status, login.text()));
        assert!(cookie.starts_with("fusion_session="), "{why}: {cookie}");
        assert!(!cookie.contains("Secure"), "{why}: {cookie}");
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
        assert!(
            login.headers.get("strict-transport-security").is_none(),
            "{why}"
        );
    }
    // Forced on (TLS terminated elsewhere without a public URL): Secure and prefixed,
    // but still no HSTS, which only an https public URL justifies.
    let forced = TestApp::start_configured(|config| config.secure_cookie = Some(true)).await;
    let login = post_sign_in_form(&forced, Some(THIS_ORIGIN)).await;
    let cookie = header_text(&login.headers, "set-cookie")
        .unwrap_or_else(|| panic!("no cookie: {} {}", login.status, login.text()));
    assert!(
        cookie.starts_with("__Host-fusion_session=") && cookie.ends_with("; Secure"),
        "{cookie}"
    );
    assert!(login.headers.get("strict-transport-security").is_none());
}

fn assert_common_security_headers(what: &str, headers: &HeaderMap) {
    let expected = [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-resource-policy", "same-origin"),
        ("cache-control", "no-store"),
    ];
    for (name, value) in expected {
        assert_eq!(header_text(headers, name), Some(value), "{what}: {name}");
    }
    let policy = header_text(headers, "content-security-policy").unwrap_or_default();
    assert!(
        policy.contains("frame-ancestors 'none'"),
        "{what}: CSP {policy:?}"
    );
}

/// Every kind of answer carries the security headers; JSON and problems a policy that
/// lets nothing run; pages a policy whose nonce is on each of their inline scripts.
#[tokio::test]
async fn answers_and_pages_carry_the_security_headers() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    let json = app.get(LOCAL_USER, &token).await;
    assert_eq!(json.status, StatusCode::OK);
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
            header_text(&response.headers, "content-security-policy"),
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
        let policy = header_text(&page.headers, "content-security-policy")
            .unwrap()
            .to_owned();
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
            header_text(&again.headers, "content-security-policy"),
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
    assert_eq!(login.status, StatusCode::OK);
    assert_eq!(
        header_text(&login.headers, "cache-control"),
        Some("no-store"),
        "login"
    );
    let token = login.json()["access_token"].as_str().unwrap().to_owned();
    let minted = app
        .post(
            "/sim/v1/tenants/a1000000-0000-4000-8000-000000000001/create_app",
            &token,
            json!({}),
        )
        .await;
    minted.assert_status(StatusCode::OK);
    assert!(minted.json()["secret"].is_string());
    assert_eq!(
        header_text(&minted.headers, "cache-control"),
        Some("no-store"),
        "create_app"
    );
    // The same through the UI: the sign-in form, whose answer carries the session cookie,
    // and a server function.
    let form = app.sign_in_form("alpha.admin", "demo-alpha", &[]).await;
    let session = cookie_value(header_text(&form.headers, "set-cookie").unwrap());
    assert_eq!(
        header_text(&form.headers, "cache-control"),
        Some("no-store"),
        "/ui/login"
    );
    let ui = app
        .send(server_fn_request(
            "sim_create_app",
            &format!("fusion_session={session}"),
            json!({"id": "a1000000-0000-4000-8000-000000000001"}),
        ))
        .await;
    ui.assert_status(StatusCode::OK);
    assert_eq!(
        header_text(&ui.headers, "cache-control"),
        Some("no-store"),
        "/ui/sim_create_app"
    );
}

/// Anonymous refusals of writes are counted, not stored: nobody without credentials
/// can grow the audit log or keep its single writer busy.
#[tokio::test]
async fn anonymous_refused_writes_are_counted_not_audited() {
    let app = TestApp::start().await;
    let audit_before = audit_count(&app).await;
    let counted_before = app.state.metrics.anonymous_refusals(401);
    let attempts: [(&str, Method, String, Option<serde_json::Value>); 5] = [
        ("unlink", Method::POST, unlink_path(), None),
        (
            "administrator",
            Method::POST,
            sub_path(TENANT_GLOBEX, 3, "msteams/admins"),
            Some(json!({"msUsername": "a@b.onmicrosoft.com", "msPassword": "x"})),
        ),
        (
            "wizard",
            Method::POST,
            sub_path(TENANT_GLOBEX, 3, "msteams/wizard"),
            None,
        ),
        (
            "a simulated tenant",
            Method::POST,
            "/sim/v1/tenants".to_owned(),
            Some(json!({"name": "Anon"})),
        ),
        (
            "a wrong password",
            Method::POST,
            "/api/v01/auth/login".to_owned(),
            Some(json!({"username": "alpha.admin", "password": "wrong-password"})),
        ),
    ];
    let before = app.snapshot().await;
    for (what, method, path, body) in attempts {
        let response = app.call(method, &path, None, body).await;
        assert_eq!(
            response.status,
            StatusCode::UNAUTHORIZED,
            "{what}: {}",
            response.text()
        );
        assert_eq!(audit_count(&app).await, audit_before, "{what} was audited");
    }
    assert_eq!(app.snapshot().await, before);
    assert_eq!(
        app.state.metrics.anonymous_refusals(401),
        counted_before + 5
    );

    // The counter is served to group admins only.
    let alpha = app.login("alpha.admin").await;
    app.get("/metrics", &alpha)
        .await
        .assert_problem(403, "forbidden");
    app.call(Method::GET, "/metrics", None, None)
        .await
        .assert_problem(401, "unauthenticated");
    let group = app.login("group.admin").await;
    let metrics = app.get("/metrics", &group).await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(
        metrics.content_type().starts_with("text/plain"),
        "{}",
        metrics.content_type()
    );
    let body = metrics.text();
    assert!(
        body.contains(&format!(
            "fusion_anonymous_refusals_total{{status=\"401\"}} {}",
            counted_before + 5
        )),
        "{body}"
    );
    assert!(
        body.contains("# TYPE fusion_anonymous_refusals_total counter"),
        "{body}"
    );
    assert_eq!(
        header_text(&metrics.headers, "cache-control"),
        Some("no-store")
    );
}

/// A signed-in caller's writes are audited, with at most 200 characters of the path.
#[tokio::test]
async fn signed_in_writes_are_audited_with_a_clipped_path() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    let identity = "x".repeat(1000);
    let path = format!(
        "/sim/v1/tenants/a1000000-0000-4000-8000-000000000001/voice_objects/voice_route/{identity}"
    );
    let response = app.call(Method::DELETE, &path, Some(&token), None).await;
    response.assert_problem(404, "not_found");
    let (username, method, stored, status): (Option<String>, String, String, i64) = sqlx::query_as(
        "SELECT username, method, path, status FROM audit_log ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&app.db.read)
    .await
    .unwrap();
    assert_eq!(username.as_deref(), Some("alpha.admin"));
    assert_eq!(method, "DELETE");
    assert_eq!(status, 404);
    assert_eq!(stored.chars().count(), 201, "{stored}");
    assert_eq!(stored, format!("{}…", &path[..200]));

    // A path of exactly 200 characters is kept whole.
    let exact = format!(
        "/sim/v1/tenants/a1000000-0000-4000-8000-000000000001/voice_objects/voice_route/{}",
        "y".repeat(200 + identity.len() - path.len())
    );
    assert_eq!(exact.len(), 200);
    app.call(Method::DELETE, &exact, Some(&token), None)
        .await
        .assert_problem(404, "not_found");
    let stored: String = sqlx::query_scalar("SELECT path FROM audit_log ORDER BY id DESC LIMIT 1")
        .fetch_one(&app.db.read)
        .await
        .unwrap();
    assert_eq!(stored, exact);
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
    assert_eq!(left, ["/api/v01/auth/login", "/recent-enough"]);
    // Trimming again removes nothing more.
    assert_eq!(server::store::audit::trim(&app.db, 90).await.unwrap(), 0);
}

/// The tenant search takes at most 100 characters (not bytes); wildcards are literal. A
/// search that matches nothing is the list's 404 "No tenant found".
#[tokio::test]
async fn the_search_is_capped_at_100_characters() {
    let app = TestApp::start().await;
    let token = app.login("group.admin").await;
    let encode = |raw: &str| raw.bytes().map(|b| format!("%{b:02X}")).collect::<String>();
    let cases: &[(&str, String, u16)] = &[
        ("100 letters", "a".repeat(100), 404),
        ("101 letters", "a".repeat(101), 400),
        ("100 two-byte characters", "é".repeat(100), 404),
        ("101 two-byte characters", "é".repeat(101), 400),
        ("100 wildcards", "%_".repeat(50), 404),
        ("10,000 letters", "a".repeat(10_000), 400),
    ];
    for (why, search, expected) in cases {
        let response = app
            .get(
                &format!("/api/v01/draas/demo/tenants?search={}", encode(search)),
                &token,
            )
            .await;
        assert_eq!(
            response.status.as_u16(),
            *expected,
            "{why}: {}",
            response.text()
        );
        if *expected == 400 {
            let problem = response.assert_problem(400, "invalid_query_parameter");
            // The value is not echoed back.
            assert!(
                !problem["detail"].as_str().unwrap().contains("aaaa")
                    && !problem["detail"].as_str().unwrap().contains("éé"),
                "{why}: {problem}"
            );
        } else {
            let problem = response.assert_problem(404, "not_found");
            assert_eq!(problem["detail"], "No tenant found", "{why}");
        }
    }
    // The home page's search form is held to the same cap without failing.
    let cookie = format!("fusion_session={}", app.browser_login("group.admin").await);
    let page = send_with_cookie(
        &app,
        Method::GET,
        &format!("/?search={}", "a".repeat(101)),
        &cookie,
        &[],
    )
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
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    let before = app.snapshot().await;
    let padding = "x".repeat(70 * 1024);
    let cases: [(&str, String, Option<&str>); 3] = [
        (
            "msteams/applications",
            sub_path(TENANT_GLOBEX, 3, "msteams/applications"),
            Some(token.as_str()),
        ),
        (
            "/sim/v1/tenants",
            "/sim/v1/tenants".to_owned(),
            Some(token.as_str()),
        ),
        ("a sign-in", "/api/v01/auth/login".to_owned(), None),
    ];
    for (what, path, token) in cases {
        let body =
            json!({"msTeamsTenantId": padding, "name": padding, "username": padding}).to_string();
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(&path)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_LENGTH, body.len());
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let response = app.send(request.body(Body::from(body)).unwrap()).await;
        response.assert_problem(413, "payload_too_large");
        assert_eq!(
            header_text(&response.headers, "x-content-type-options"),
            Some("nosniff"),
            "{what}"
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
    let cookie = format!("fusion_session={}", app.browser_login("alpha.admin").await);
    let requests = [
        (
            "REST update_vrp",
            Request::builder()
                .method(Method::PUT)
                .uri(update_vrp_path())
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        ),
        (
            "the update_vrp server function",
            server_fn_request(
                "update_vrp",
                &cookie,
                json!({"at": {"tenant": TENANT_ACME, "subscription": 1}}),
            ),
        ),
    ];
    for (what, request) in requests {
        let started = Instant::now();
        // Not `TestApp::send`: this 503 is what the test asks for.
        let response = app.router.clone().oneshot(request).await.unwrap();
        let elapsed = started.elapsed();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(
            status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{what}: {}",
            String::from_utf8_lossy(&bytes)
        );
        assert!(
            elapsed < Duration::from_secs(10),
            "{what}: answered after {elapsed:?}"
        );
        assert_eq!(
            header_text(&headers, "content-type"),
            Some("application/problem+json"),
            "{what}"
        );
        let problem: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(problem["code"], "timeout", "{what}: {problem}");
        assert_eq!(problem["status"], 503, "{what}: {problem}");
        assert_eq!(
            header_text(&headers, "x-content-type-options"),
            Some("nosniff"),
            "{what}"
        );
        // The server answers the next request at once.
        let me = app.get(LOCAL_USER, &token).await;
        assert_eq!(me.status, StatusCode::OK, "after {what}");
    }
}
