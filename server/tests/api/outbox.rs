//! Who reads the simulated mail server's outbox (`GET /sim/v1/outbox`): a caller sees
//! the mail sent to itself and the mail sent to administrators of nodes strictly below
//! its own. A peer on the same node never reads another's sign-in code (else knowing a
//! password would be enough to pass the second factor), and one DRaaS instance never
//! reads another's mail, group administrators included.

use axum::http::StatusCode;
use serde_json::Value;
use uuid::Uuid;

use crate::helpers::{AdminLevel, OUTBOX, Role, TestApp, code_in};

const MIA: &str = "mia@alpha-telecom.example";

/// A group of a second DRaaS instance, and its administrator's name.
const OTHER_GROUP: Uuid = uuid::uuid!("50000000-0000-4000-8000-000000000001");
const OTHER_ADMIN: &str = "other.group";

/// Signs `alpha.mail` in through the REST API from an unseen device: the platform
/// answers a `2fa_payload` and e-mails a code. Returns the payload.
async fn start_mail_sign_in(app: &TestApp, user_agent: &str) -> String {
    let response = app
        .post_login(
            "alpha.mail",
            "demo-alpha-mail",
            &[("user-agent", user_agent)],
        )
        .await;
    let challenge = response.assert_status(StatusCode::OK).json();
    assert_eq!(challenge["option"], "email", "{challenge}");
    challenge["2fa_payload"].as_str().unwrap().to_owned()
}

/// The messages `token`'s caller reads in the outbox.
async fn outbox(app: &TestApp, token: &str) -> Vec<Value> {
    let response = app.get(OUTBOX, token).await;
    let mails = response.assert_status(StatusCode::OK).json();
    mails.as_array().cloned().expect("an array")
}

/// Who the messages `token`'s caller reads are for.
async fn recipients(app: &TestApp, token: &str) -> Vec<String> {
    let mails = outbox(app, token).await;
    mails
        .iter()
        .map(|m| m["to"].as_str().unwrap().to_owned())
        .collect()
}

/// A message in the outbox for `recipient`, sent to the administrator `username`.
async fn mail_to(app: &TestApp, username: &str, recipient: &str) {
    sqlx::query(
        "INSERT INTO mail_outbox (user_id, recipient, subject, body, created_at)
         SELECT id, ?, 'Your code', 'Your code is 123456.', '2024-01-01T00:00:00Z'
         FROM admin_users WHERE username = ?",
    )
    .bind(recipient)
    .bind(username)
    .execute(&app.db.write)
    .await
    .unwrap();
}

/// A second DRaaS instance with a group and a group administrator holding the
/// simulator role; returns its token.
async fn second_instance_admin(app: &TestApp) -> String {
    app.execute(
        "INSERT INTO draas_instances (id, slug, name) VALUES (2, 'other-sp', 'Another provider')",
    )
    .await;
    app.execute(&format!(
        "INSERT INTO nodes (id, instance_id, kind, name, parent_id, created_at)
         VALUES ('{OTHER_GROUP}', 2, 'group', 'Other Group', NULL, '2024-01-01T00:00:00Z')"
    ))
    .await;
    let roles = [Role::SimulatorManage];
    app.admin_with_roles(OTHER_ADMIN, AdminLevel::Group, OTHER_GROUP, &roles)
        .await
}

#[tokio::test]
async fn only_the_nodes_above_a_recipient_read_its_mail() {
    let app = TestApp::start().await;
    start_mail_sign_in(&app, "Outbox/1").await;

    // Alpha Telecom (alpha.mail's node) lies below the distributor and the group; a peer
    // on alpha.mail's own node, and another reseller, read nothing.
    let cases: [(&str, &[&str]); 4] = [
        ("group.admin", &[MIA]),
        ("distributor.admin", &[MIA]),
        ("alpha.admin", &[]),
        ("beta.admin", &[]),
    ];
    for (who, expected) in cases {
        let token = app.login(who).await;
        assert_eq!(recipients(&app, &token).await, expected, "{who}");
    }
    // Without the simulator role: 403.
    let acme = app.login("acme.admin").await;
    let refused = app.get(OUTBOX, &acme).await;
    refused.assert_problem(403, "forbidden");
}

#[tokio::test]
async fn a_recipient_reads_its_own_mail_and_no_peers() {
    let app = TestApp::start().await;
    let payload = start_mail_sign_in(&app, "Outbox/2").await;
    let group = app.login("group.admin").await;
    let code = code_in(&outbox(&app, &group).await[0]);
    let tokens = app
        .post_second_factor("2fa", &payload, &code, false, "Outbox/2")
        .await;
    let tokens = tokens.assert_status(StatusCode::OK).json();
    let mia = tokens["access_token"].as_str().unwrap().to_owned();
    assert_eq!(recipients(&app, &mia).await, [MIA]);

    // Mail to another administrator of the same node stays hidden from alpha.mail.
    mail_to(&app, "alpha.admin", "ada@alpha-telecom.example").await;
    assert_eq!(recipients(&app, &mia).await, [MIA]);
    // alpha.admin reads its own, not alpha.mail's.
    let alpha = app.login("alpha.admin").await;
    assert_eq!(
        recipients(&app, &alpha).await,
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
    mail_to(&app, OTHER_ADMIN, "admin@other.example").await;
    let group = app.login("group.admin").await;
    assert_eq!(recipients(&app, &group).await, [MIA]);
    assert_eq!(recipients(&app, &other).await, ["admin@other.example"]);
}
