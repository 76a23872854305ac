//! Who reads the simulated mail server's outbox (`GET /sim/v1/outbox`): a caller sees
//! the mail sent to itself and the mail sent to administrators of nodes strictly below
//! its own. A peer on the same node never reads another's sign-in code (else knowing a
//! password would be enough to pass the second factor), and one DRaaS instance never
//! reads another's mail, group administrators included.

use crate::helpers::{AdminLevel, TestApp};
use axum::{
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use serde_json::{Value, json};
use uuid::Uuid;

const OUTBOX: &str = "/sim/v1/outbox";
const MIA: &str = "mia@alpha-telecom.example";

/// A group of a second DRaaS instance, and its administrator's name.
const OTHER_GROUP: Uuid = uuid::uuid!("50000000-0000-4000-8000-000000000001");
const OTHER_ADMIN: &str = "other.group";

/// Signs `alpha.mail` in through the REST API from an unseen device: the platform
/// answers a `2fa_payload` and e-mails a code. Returns the payload.
async fn start_mail_sign_in(app: &TestApp, user_agent: &str) -> String {
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/v01/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::USER_AGENT, user_agent)
        .body(Body::from(
            json!({"username": "alpha.mail", "password": "demo-alpha-mail"}).to_string(),
        ))
        .unwrap();
    let response = app.send(request).await;
    assert_eq!(response.status, StatusCode::OK);
    let challenge = response.json();
    assert_eq!(challenge["option"], "email", "{challenge}");
    challenge["2fa_payload"].as_str().unwrap().to_owned()
}

/// The messages `token`'s caller reads in the outbox.
async fn outbox(app: &TestApp, token: &str) -> Vec<Value> {
    let response = app.get(OUTBOX, token).await;
    assert_eq!(
        response.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&response.bytes)
    );
    response.json().as_array().cloned().expect("an array")
}

fn recipients(mails: &[Value]) -> Vec<&str> {
    mails.iter().map(|m| m["to"].as_str().unwrap()).collect()
}

/// The six-digit code in a message's body.
fn code_in(mail: &Value) -> String {
    mail["body"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .map(|word| word.trim_end_matches('.'))
        .find(|word| word.len() == 6 && word.bytes().all(|b| b.is_ascii_digit()))
        .expect("a six-digit code")
        .to_owned()
}

/// A second DRaaS instance with a group and a group administrator holding the
/// simulator role; returns its token.
async fn second_instance_admin(app: &TestApp) -> String {
    sqlx::query(
        "INSERT INTO draas_instances (id, slug, name) VALUES (2, 'other-sp', 'Another provider')",
    )
    .execute(&app.db.write)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO nodes (id, instance_id, kind, name, parent_id, created_at)
         VALUES (?, 2, 'group', 'Other Group', NULL, '2024-01-01T00:00:00Z')",
    )
    .bind(OTHER_GROUP.to_string())
    .execute(&app.db.write)
    .await
    .unwrap();
    app.admin_with_roles(
        OTHER_ADMIN,
        AdminLevel::Group,
        OTHER_GROUP,
        &["simulator.manage"],
    )
    .await
}

#[tokio::test]
async fn only_the_nodes_above_a_recipient_read_its_mail() {
    let app = TestApp::start().await;
    start_mail_sign_in(&app, "Outbox/1").await;

    // Alpha Telecom (alpha.mail's node) lies below the distributor and the group.
    for who in ["group.admin", "distributor.admin"] {
        let token = app.login(who).await;
        assert_eq!(recipients(&outbox(&app, &token).await), [MIA], "{who}");
    }
    // A peer on alpha.mail's own node, and another reseller, read nothing.
    for who in ["alpha.admin", "beta.admin"] {
        let token = app.login(who).await;
        assert_eq!(outbox(&app, &token).await, Vec::<Value>::new(), "{who}");
    }
    // Without the simulator role: 403.
    let acme = app.login("acme.admin").await;
    app.get(OUTBOX, &acme)
        .await
        .assert_problem(403, "forbidden");
}

#[tokio::test]
async fn a_recipient_reads_its_own_mail_and_no_peers() {
    let app = TestApp::start().await;
    let payload = start_mail_sign_in(&app, "Outbox/2").await;
    let group = app.login("group.admin").await;
    let code = code_in(&outbox(&app, &group).await[0]);
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/v01/auth/2fa")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::USER_AGENT, "Outbox/2")
        .body(Body::from(
            json!({"code": code, "trust": false, "2fa_payload": payload}).to_string(),
        ))
        .unwrap();
    let tokens = app.send(request).await;
    assert_eq!(tokens.status, StatusCode::OK);
    let mia = tokens.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(recipients(&outbox(&app, &mia).await), [MIA]);

    // Mail to another administrator of the same node stays hidden from alpha.mail.
    sqlx::query(
        "INSERT INTO mail_outbox (user_id, recipient, subject, body, created_at)
         SELECT id, 'ada@alpha-telecom.example', 'Your code', 'Your code is 123456.', '2024-01-01T00:00:00Z'
         FROM admin_users WHERE username = 'alpha.admin'",
    )
    .execute(&app.db.write)
    .await
    .unwrap();
    assert_eq!(recipients(&outbox(&app, &mia).await), [MIA]);
    // alpha.admin reads its own, not alpha.mail's.
    let alpha = app.login("alpha.admin").await;
    assert_eq!(
        recipients(&outbox(&app, &alpha).await),
        ["ada@alpha-telecom.example"]
    );
}

#[tokio::test]
async fn another_draas_instance_reads_none_of_this_ones_mail() {
    let app = TestApp::start().await;
    let other = second_instance_admin(&app).await;
    start_mail_sign_in(&app, "Outbox/3").await;
    assert_eq!(outbox(&app, &other).await, Vec::<Value>::new());

    // Nor does the demo's group administrator read the other instance's mail.
    sqlx::query(
        "INSERT INTO mail_outbox (user_id, recipient, subject, body, created_at)
         SELECT id, 'admin@other.example', 'Your code', 'Your code is 654321.', '2024-01-01T00:00:00Z'
         FROM admin_users WHERE username = ?",
    )
    .bind(OTHER_ADMIN)
    .execute(&app.db.write)
    .await
    .unwrap();
    let group = app.login("group.admin").await;
    assert_eq!(recipients(&outbox(&app, &group).await), [MIA]);
    assert_eq!(
        recipients(&outbox(&app, &other).await),
        ["admin@other.example"]
    );
}
