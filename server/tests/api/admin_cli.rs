//! `server admin …` against the database of a running (in-process) server: the binary
//! adds, re-passwords, disables and lists administrators; the server sees each change.

use std::{
    io::Write,
    process::{Command, Stdio},
};

use axum::http::StatusCode;

use crate::helpers::{GROUP, RESELLER_ALPHA, TestApp, list_path};

/// What one run of `server --database-url … admin ARGS` printed, and whether it
/// succeeded; `stdin` is what it reads (a password).
fn admin(app: &TestApp, args: &[&str], stdin: &str) -> (bool, String) {
    let url = format!("sqlite://{}", app.dir.path().join("fusion.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["--database-url", &url, "admin"])
        .args(args)
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the server binary");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let output = child.wait_with_output().expect("run");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[tokio::test]
async fn an_administrator_added_by_the_cli_signs_in() {
    let app = TestApp::start().await;
    let group = GROUP.to_string();
    let mut args = add("ops.admin", "group", &group, "msteams-admin");
    args.extend(["--display-name".to_owned(), "Olga Ops".to_owned()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (ok, out) = admin(&app, &args, "s3cret-ops\n");
    assert!(ok, "{out}");
    let token = app.login_with("ops.admin", "s3cret-ops").await;
    app.get(&list_path("tenants"), &token)
        .await
        .assert_status(StatusCode::OK);
    let (ok, out) = admin(&app, &["list"], "");
    assert!(ok, "{out}");
    let line = out
        .lines()
        .find(|line| line.starts_with("ops.admin"))
        .unwrap_or_default();
    assert!(
        line.contains("Netaxis Group") && line.contains("active"),
        "{out}"
    );
}

/// `admin add USERNAME --level LEVEL --node NODE --profile PROFILE`.
fn add(username: &str, level: &str, node: &str, profile: &str) -> Vec<String> {
    [
        "add",
        username,
        "--level",
        level,
        "--node",
        node,
        "--profile",
        profile,
    ]
    .map(str::to_owned)
    .to_vec()
}

#[tokio::test]
async fn the_cli_refuses_what_a_scenario_would() {
    let app = TestApp::start().await;
    let (group, alpha) = (GROUP.to_string(), RESELLER_ALPHA.to_string());
    let unknown = "99999999-0000-4000-8000-000000000009";
    let admin_of = |username: &str| add(username, "group", &group, "msteams-admin");
    let words = |args: &[&str]| args.iter().map(|arg| (*arg).to_owned()).collect::<Vec<_>>();
    let cases: Vec<(Vec<String>, &str, &str)> = vec![
        (
            add("x.admin", "group", &alpha, "msteams-admin"),
            "pw-123456\n",
            "is a reseller, not a group",
        ),
        (
            add("x.admin", "group", unknown, "msteams-admin"),
            "pw-123456\n",
            "no node 99999999",
        ),
        (
            add("x.admin", "group", &group, "root"),
            "pw-123456\n",
            "no profile 'root'",
        ),
        (
            admin_of("x admin"),
            "pw-123456\n",
            "must not contain spaces",
        ),
        (admin_of("x.admin"), "", "no password on standard input"),
        (admin_of("group.admin"), "pw-123456\n", "exists already"),
        (
            admin_of("GROUP.ADMIN"),
            "pw-123456\n",
            "'group.admin' exists already",
        ),
        (
            add("x.admin", "king", &group, "msteams-admin"),
            "pw-123456\n",
            "one of: group, distributor, reseller, tenant",
        ),
        (
            words(&["passwd", "nobody"]),
            "pw-123456\n",
            "no administrator 'nobody'",
        ),
        (words(&["passwd", "alpha.admin"]), "\t\n", "password"),
        (
            words(&["disable", "nobody"]),
            "",
            "no administrator 'nobody'",
        ),
    ];
    let before = app.snapshot().await;
    let mut failures = Vec::new();
    for (args, stdin, expected) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (ok, out) = admin(&app, &args, stdin);
        if ok || !out.contains(expected) {
            failures.push(format!(
                "{args:?}: wanted a refusal saying {expected:?}, got ok={ok}: {out}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(app.snapshot().await, before, "nothing changed");
}

#[tokio::test]
async fn a_new_password_ends_the_old_one_and_its_sessions() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    let (ok, out) = admin(&app, &["passwd", "alpha.admin"], "a-new-password\n");
    assert!(ok, "{out}");
    app.get(&list_path("tenants"), &token)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    app.post_login("alpha.admin", "demo-alpha", &[])
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    app.login_with("alpha.admin", "a-new-password").await;
}

#[tokio::test]
async fn a_disabled_administrator_is_signed_out_and_cannot_sign_in() {
    let app = TestApp::start().await;
    let signed_in = app.post_login("beta.admin", "demo-beta", &[]).await;
    let tokens = signed_in.assert_status(StatusCode::OK).json();
    let token = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let cookie = app.browser_login("beta.admin").await;
    let (ok, out) = admin(&app, &["disable", "beta.admin"], "");
    assert!(ok, "{out}");
    app.get(&list_path("tenants"), &token)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    app.get("/api/v01/auth/access_token", &refresh)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    app.request(axum::http::Method::GET, &list_path("tenants"))
        .session(&cookie)
        .send_unchecked()
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    // Refused as a wrong password is: the answer does not tell that the account exists.
    let refused = app.post_login("beta.admin", "demo-beta", &[]).await;
    let wrong = app.post_login("beta.admin", "not-the-password", &[]).await;
    refused.assert_status(StatusCode::UNAUTHORIZED);
    assert_eq!(refused.json()["detail"], wrong.json()["detail"]);
    let (_, listed) = admin(&app, &["list"], "");
    let line = listed
        .lines()
        .find(|line| line.starts_with("beta.admin"))
        .unwrap_or_default();
    assert!(line.ends_with("disabled"), "{listed}");
}
