//! The MS Teams endpoints of a subscription, over HTTP against the real router and the
//! demo data: each success case and each documented refusal.
//!
//! Demo data used here: Alpha Telecom holds Acme Corp (1 "Acme Teams", onboarded, two
//! users with direct routing; 2 "Acme SIP Trunk", sip-trunks) and Globex (3 "Globex
//! Teams", nothing yet; 4 "Globex Teams Lab", onboarded, no direct routing). Beta Voice
//! holds Initech (5 "Initech Teams", onboarded, one direct-routing user; 6 "Initech Teams
//! EU", linked to 5) and Umbrella (7 "Umbrella Teams", nothing yet). The onboarded
//! subscriptions' MS Teams tenant rows are 1 (subscription 1), 2 (4) and 3 (5), in
//! seeding order: `GET msteams/admins` names an account by that row id.

use crate::helpers::{
    At, TENANT_ACME, TENANT_GLOBEX, TENANT_INITECH, TENANT_UMBRELLA, TestApp, sub_path,
};
use axum::http::{Method, StatusCode};
use base64::{Engine, engine::general_purpose::STANDARD};
use serde_json::{Value, json};
use server::crypto::SecretSlot;
use uuid::Uuid;

const ACME_MS_TENANT: &str = "27b418d0-b197-483d-a0b8-da90407a92c4";
const ACME_APPLICATION: &str = "c035894c-81c3-49aa-8e3e-f245d9b30000";
const INITECH_MS_TENANT: &str = "8e9f0a1b-2c3d-4e5f-8a7b-6c5d4e3f2a1b";
const NEW_MS_TENANT: &str = "6f1d2c3b-4a59-4e68-9d7c-8b9a0f1e2d3c";
const NEW_APPLICATION: &str = "d46e9288-2029-4fd1-ac7b-f20749e61251";
const NEW_SECRET: &str = "L4y8Q~DfIwfxqPdinI5mOWWdq4YA9Pk9xaFMyboC";

const ACME_TEAMS: At = (TENANT_ACME, 1);
const GLOBEX_TEAMS: At = (TENANT_GLOBEX, 3);
const GLOBEX_LAB: At = (TENANT_GLOBEX, 4);
const INITECH_TEAMS: At = (TENANT_INITECH, 5);
const INITECH_EU: At = (TENANT_INITECH, 6);
const UMBRELLA_TEAMS: At = (TENANT_UMBRELLA, 7);

/// `…/subscriptions/{at}/msteams/admins`.
fn admins((tenant, subscription): At) -> String {
    sub_path(tenant, subscription, "msteams/admins")
}

/// `GET …/msteams/admins` (must be 200).
async fn admins_of(app: &TestApp, token: &str, at: At) -> Value {
    let response = app.get(&admins(at), token).await;
    response.assert_status(StatusCode::OK);
    response.json()
}

/// `DELETE …/msteams/admins` with this body: the answer, whatever it is.
async fn delete_admins(
    app: &TestApp,
    token: &str,
    at: At,
    body: Value,
) -> crate::helpers::TestResponse {
    app.call(Method::DELETE, &admins(at), Some(token), Some(body))
        .await
}

/// The id of the MS Teams tenant row the subscription owns.
async fn tenant_row(app: &TestApp, subscription: i64) -> i64 {
    count(
        app,
        "SELECT id FROM msteams_tenants WHERE owner_subscription_id = ?",
        subscription,
    )
    .await
}

/// The administrator password stored for the subscription's own MS Teams tenant, opened
/// with the server's key.
async fn administrator_password(app: &TestApp, subscription: i64) -> String {
    let sealed: Vec<u8> = sqlx::query_scalar(
        "SELECT d.password_ciphertext FROM msteams_administrators d
         JOIN msteams_tenants t ON t.id = d.msteams_tenant_id WHERE t.owner_subscription_id = ?",
    )
    .bind(subscription)
    .fetch_one(&app.db.read)
    .await
    .expect("a sealed password");
    app.secrets
        .open(SecretSlot::AdministratorPassword { subscription }, &sealed)
        .expect("opens with the server's key")
        .expose()
        .to_owned()
}

async fn status_of(app: &TestApp, token: &str, tenant: Uuid, subscription: i64) -> Value {
    let response = app
        .get(&sub_path(tenant, subscription, "msteams/status"), token)
        .await;
    assert_eq!(
        response.status,
        StatusCode::OK,
        "status of {subscription}: {}",
        String::from_utf8_lossy(&response.bytes)
    );
    response.json()
}

async fn source_ids(app: &TestApp, token: &str, tenant: Uuid, subscription: i64) -> Vec<i64> {
    let response = app
        .get(&sub_path(tenant, subscription, "msteams/sources"), token)
        .await;
    assert_eq!(
        response.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&response.bytes)
    );
    response.json()["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .map(|s| s["subscriptionId"].as_i64().unwrap())
        .collect()
}

async fn count(app: &TestApp, sql: &str, subscription: i64) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .bind(subscription)
        .fetch_one(&app.db.read)
        .await
        .expect(sql)
}

/// The rows an onboarded subscription owns: its tenant, application and administrator.
async fn msteams_rows(app: &TestApp, subscription: i64) -> (i64, i64, i64) {
    (
        count(app, "SELECT COUNT(*) FROM msteams_tenants WHERE owner_subscription_id = ?", subscription).await,
        count(
            app,
            "SELECT COUNT(*) FROM msteams_applications a JOIN msteams_tenants t ON t.id = a.msteams_tenant_id WHERE t.owner_subscription_id = ?",
            subscription,
        )
        .await,
        count(
            app,
            "SELECT COUNT(*) FROM msteams_administrators a JOIN msteams_tenants t ON t.id = a.msteams_tenant_id WHERE t.owner_subscription_id = ?",
            subscription,
        )
        .await,
    )
}

fn body_text(response: &crate::helpers::TestResponse) -> String {
    String::from_utf8_lossy(&response.bytes).into_owned()
}

// ---- applications ---------------------------------------------------------------

#[tokio::test]
async fn a_new_integration_is_stored_as_not_initiated_and_shows_nothing_of_its_secret() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    let response = app
        .post(
            &sub_path(TENANT_GLOBEX, 3, "msteams/applications"),
            &token,
            json!({"msTeamsTenantId": NEW_MS_TENANT, "applicationId": NEW_APPLICATION, "secret": NEW_SECRET}),
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::NO_CONTENT,
        "{}",
        body_text(&response)
    );
    assert!(response.bytes.is_empty());

    let status = status_of(&app, &token, TENANT_GLOBEX, 3).await;
    assert_eq!(status["msTenantId"], NEW_MS_TENANT);
    assert_eq!(status["msApplicationId"], NEW_APPLICATION);
    assert_eq!(status["status"], "not_initiated");
    assert_eq!(status["mode"], "direct_routing");
    assert!(
        status.get("domain").is_none(),
        "no domain before the wizard: {status}"
    );
    assert_eq!(status["msGraph"]["msApplicationId"], NEW_APPLICATION);
    assert_eq!(status["msGraph"]["active"], true);
    assert_shows_no_secret(&status["msGraph"]);
    assert_eq!(
        status["powershell"],
        json!({"msUserName": null, "active": false})
    );
    assert!(!status.to_string().contains(NEW_SECRET));
}

#[tokio::test]
async fn a_new_integration_without_ms_teams_tenant_id_is_refused() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    let before = app.snapshot().await;
    let response = app
        .post(
            &sub_path(TENANT_GLOBEX, 3, "msteams/applications"),
            &token,
            json!({"applicationId": NEW_APPLICATION, "secret": NEW_SECRET}),
        )
        .await;
    let problem = response.assert_problem(400, "ms_tenant_id_required");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("msTeamsTenantId"),
        "{problem}"
    );
    assert_eq!(app.snapshot().await, before);
    app.get(&sub_path(TENANT_GLOBEX, 3, "msteams/status"), &token)
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn an_update_with_a_different_ms_teams_tenant_id_is_refused() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    let before = app.snapshot().await;
    let response = app
        .post(
            &sub_path(TENANT_ACME, 1, "msteams/applications"),
            &token,
            json!({"msTeamsTenantId": NEW_MS_TENANT, "applicationId": NEW_APPLICATION, "secret": NEW_SECRET}),
        )
        .await;
    response.assert_problem(400, "ms_tenant_id_mismatch");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn an_update_without_ms_teams_tenant_id_replaces_the_application_and_keeps_the_tenant() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    let response = app
        .post(
            &sub_path(TENANT_ACME, 1, "msteams/applications"),
            &token,
            json!({"applicationId": NEW_APPLICATION, "secret": NEW_SECRET}),
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::NO_CONTENT,
        "{}",
        body_text(&response)
    );

    let status = status_of(&app, &token, TENANT_ACME, 1).await;
    assert_eq!(status["msTenantId"], ACME_MS_TENANT);
    assert_eq!(status["msApplicationId"], NEW_APPLICATION);
    assert_shows_no_secret(&status["msGraph"]);
    assert_eq!(
        status["status"], "onboarded",
        "an update does not restart onboarding"
    );
}

#[tokio::test]
async fn an_update_may_repeat_the_same_ms_teams_tenant_id_in_any_guid_form() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    let braced_upper = format!("{{{}}}", ACME_MS_TENANT.to_uppercase());
    let response = app
        .post(
            &sub_path(TENANT_ACME, 1, "msteams/applications"),
            &token,
            json!({"msTeamsTenantId": braced_upper, "applicationId": NEW_APPLICATION, "secret": NEW_SECRET}),
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::NO_CONTENT,
        "{}",
        body_text(&response)
    );
    assert_eq!(
        status_of(&app, &token, TENANT_ACME, 1).await["msTenantId"],
        ACME_MS_TENANT
    );
}

#[tokio::test]
async fn an_ms_teams_tenant_integrated_by_another_subscription_is_refused() {
    let app = TestApp::start().await;
    let token = app.login("group.admin").await;
    let before = app.snapshot().await;
    for ms_tenant in [ACME_MS_TENANT, INITECH_MS_TENANT] {
        let response = app
            .post(
                &sub_path(TENANT_UMBRELLA, 7, "msteams/applications"),
                &token,
                json!({"msTeamsTenantId": ms_tenant, "applicationId": NEW_APPLICATION, "secret": NEW_SECRET}),
            )
            .await;
        let problem = response.assert_problem(400, "ms_tenant_already_integrated");
        assert!(
            problem["detail"].as_str().unwrap().contains("link"),
            "{problem}"
        );
    }
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn a_sip_trunks_subscription_cannot_hold_an_application() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    let before = app.snapshot().await;
    let response = app
        .post(
            &sub_path(TENANT_ACME, 2, "msteams/applications"),
            &token,
            json!({"msTeamsTenantId": NEW_MS_TENANT, "applicationId": NEW_APPLICATION, "secret": NEW_SECRET}),
        )
        .await;
    response.assert_problem(400, "wrong_license_type");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn a_linked_subscription_manages_no_application_of_its_own() {
    let app = TestApp::start().await;
    let token = app.login("beta.admin").await;
    let before = app.snapshot().await;
    let response = app
        .post(
            &sub_path(TENANT_INITECH, 6, "msteams/applications"),
            &token,
            json!({"msTeamsTenantId": NEW_MS_TENANT, "applicationId": NEW_APPLICATION, "secret": NEW_SECRET}),
        )
        .await;
    response.assert_problem(400, "subscription_linked");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn a_stored_secret_never_appears_in_any_response_nor_on_disk() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    let secret = "Zq9~UniqueApplicationSecretForThisTest_0123";
    let password = "Unique-Administrator-Password-4567";
    let changed_password = "Changed-Administrator-Password-8910";
    let mut bodies = Vec::new();
    let stored = app
        .post(
            &sub_path(TENANT_GLOBEX, 3, "msteams/applications"),
            &token,
            json!({"msTeamsTenantId": NEW_MS_TENANT, "applicationId": NEW_APPLICATION, "secret": secret}),
        )
        .await;
    assert_eq!(stored.status, StatusCode::NO_CONTENT);
    bodies.push(stored);
    let stored = app
        .post(
            &admins(GLOBEX_TEAMS),
            &token,
            json!({"msUsername": "admin@globex.onmicrosoft.com", "msPassword": password}),
        )
        .await;
    assert_eq!(stored.status, StatusCode::NO_CONTENT);
    bodies.push(stored);
    let changed = app
        .post(
            &admins(GLOBEX_TEAMS),
            &token,
            json!({"msPassword": changed_password}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT);
    bodies.push(changed);
    for path in [
        sub_path(TENANT_GLOBEX, 3, "msteams/status"),
        admins(GLOBEX_TEAMS),
        sub_path(TENANT_GLOBEX, 4, "msteams/sources"),
        format!("/api/v01/draas/demo/tenants/{TENANT_GLOBEX}/subscriptions"),
        "/api/v01/draas/demo/tenants".to_owned(),
        "/api/v01/system/users/local".to_owned(),
    ] {
        let response = app.get(&path, &token).await;
        assert_eq!(response.status, StatusCode::OK, "{path}");
        bodies.push(response);
    }
    // Refusals echo nothing of what was sent either.
    bodies.push(
        app.post(
            &sub_path(TENANT_GLOBEX, 3, "msteams/applications"),
            &token,
            json!({"msTeamsTenantId": ACME_MS_TENANT, "applicationId": NEW_APPLICATION, "secret": secret}),
        )
        .await,
    );
    bodies.push(
        app.post(
            &sub_path(TENANT_GLOBEX, 3, "msteams/reset_secret"),
            &token,
            json!({"applicationId": ACME_APPLICATION, "secret": secret}),
        )
        .await,
    );
    // Nor do the refusals of the administrator's endpoints.
    let beta = app.login("beta.admin").await;
    bodies.push(
        app.post(
            &admins(INITECH_EU),
            &beta,
            json!({"msUsername": "admin@globex.onmicrosoft.com", "msPassword": password}),
        )
        .await,
    );
    bodies.push(
        delete_admins(
            &app,
            &token,
            GLOBEX_TEAMS,
            json!({"id": 999, "msUsername": "admin@globex.onmicrosoft.com"}),
        )
        .await,
    );
    let secrets = [secret, password, changed_password];
    for response in &bodies {
        let text = body_text(response);
        assert!(
            secrets.iter().all(|s| !text.contains(s)),
            "leaked in {text}"
        );
        for value in response.headers.values() {
            let value = String::from_utf8_lossy(value.as_bytes());
            assert!(
                secrets.iter().all(|s| !value.contains(s)),
                "leaked in a header: {value}"
            );
        }
    }
    let status = status_of(&app, &token, TENANT_GLOBEX, 3).await;
    assert_shows_no_secret(&status["msGraph"]);
    assert_shows_no_secret(&status["powershell"]);

    let on_disk = crate::helpers::database_bytes(&app);
    assert!(!on_disk.is_empty());
    assert!(
        !crate::helpers::contains_bytes(&on_disk, secret.as_bytes()),
        "the secret is stored in clear"
    );
    for password in [password, changed_password] {
        assert!(
            !crate::helpers::contains_bytes(&on_disk, password.as_bytes()),
            "the password is stored in clear"
        );
    }
}

// ---- administrator (msteams/admins) --------------------------------------------------

#[tokio::test]
async fn admins_answers_nulls_when_no_account_is_stored() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    // 3: nothing stored; 2: sip-trunks, never any MS Teams tenant.
    for at in [GLOBEX_TEAMS, (TENANT_ACME, 2)] {
        assert_eq!(
            admins_of(&app, &token, at).await,
            json!({"id": null, "msUsername": null}),
            "{at:?}"
        );
    }
}

#[tokio::test]
async fn admins_names_the_stored_account_by_its_ms_teams_tenant_row() {
    let app = TestApp::start().await;
    let token = app.login("group.admin").await;
    for (at, owner, username) in [
        (ACME_TEAMS, 1, "admin@acme.onmicrosoft.com"),
        (GLOBEX_LAB, 4, "admin@globex-lab.onmicrosoft.com"),
        (INITECH_TEAMS, 5, "admin@initech.onmicrosoft.com"),
        // A linked subscription shows the account of the tenant it shares.
        (INITECH_EU, 5, "admin@initech.onmicrosoft.com"),
    ] {
        let id = tenant_row(&app, owner).await;
        assert_eq!(
            admins_of(&app, &token, at).await,
            json!({"id": id, "msUsername": username}),
            "{at:?}"
        );
    }
}

#[tokio::test]
async fn posting_an_account_stores_it_in_lowercase_and_status_shows_it_active() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    let password = "N3w-Adm1n-Passw0rd!";
    let response = app
        .post(
            &admins(GLOBEX_TEAMS),
            &token,
            json!({"msUsername": "Teams.Admin@Globex.onmicrosoft.com", "msPassword": password}),
        )
        .await;
    response.assert_status(StatusCode::NO_CONTENT);
    assert!(response.bytes.is_empty());

    let id = tenant_row(&app, 3).await;
    assert_eq!(
        admins_of(&app, &token, GLOBEX_TEAMS).await,
        json!({"id": id, "msUsername": "teams.admin@globex.onmicrosoft.com"})
    );
    assert_eq!(administrator_password(&app, 3).await, password);

    // The account alone makes an MS Teams tenant that is not initiated, without an MS
    // tenant id until the application names one.
    let status = status_of(&app, &token, TENANT_GLOBEX, 3).await;
    assert_eq!(status["status"], "not_initiated");
    assert_eq!(status["msTenantId"], Value::Null, "{status}");
    assert_eq!(
        status["powershell"]["msUserName"],
        "teams.admin@globex.onmicrosoft.com"
    );
    assert_eq!(status["powershell"]["active"], true);
    assert!(status["powershell"]["updatedAt"].is_string(), "{status}");
    assert_shows_no_secret(&status["powershell"]);
    assert_eq!(
        status["msGraph"],
        json!({"msApplicationId": null, "active": false})
    );
    assert!(!status.to_string().contains(password));

    // The application then still needs the MS Teams tenant id.
    app.post(
        &sub_path(TENANT_GLOBEX, 3, "msteams/applications"),
        &token,
        json!({"applicationId": NEW_APPLICATION, "secret": NEW_SECRET}),
    )
    .await
    .assert_problem(400, "ms_tenant_id_required");
}

#[tokio::test]
async fn posting_another_account_replaces_the_stored_one_under_the_same_id() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    app.post(
        &admins(ACME_TEAMS),
        &token,
        json!({"msUsername": "other.admin@acme.onmicrosoft.com", "msPassword": "Other-Passw0rd"}),
    )
    .await
    .assert_status(StatusCode::NO_CONTENT);
    assert_eq!(
        admins_of(&app, &token, ACME_TEAMS).await,
        json!({"id": 1, "msUsername": "other.admin@acme.onmicrosoft.com"})
    );
    assert_eq!(administrator_password(&app, 1).await, "Other-Passw0rd");
    let status = status_of(&app, &token, TENANT_ACME, 1).await;
    assert_eq!(
        status["powershell"]["msUserName"],
        "other.admin@acme.onmicrosoft.com"
    );
    assert_eq!(
        status["status"], "onboarded",
        "new credentials do not restart onboarding"
    );
}

#[tokio::test]
async fn posting_only_a_password_changes_the_stored_accounts_password() {
    let app = TestApp::start().await;
    let token = app.login("acme.admin").await;
    let before = admins_of(&app, &token, ACME_TEAMS).await;
    assert_eq!(
        administrator_password(&app, 1).await,
        "demo-admin-password-0"
    );
    let response = app
        .post(
            &admins(ACME_TEAMS),
            &token,
            json!({"msPassword": "Ch4nged-Passw0rd"}),
        )
        .await;
    response.assert_status(StatusCode::NO_CONTENT);
    assert!(response.bytes.is_empty());
    assert_eq!(
        admins_of(&app, &token, ACME_TEAMS).await,
        before,
        "the account stays"
    );
    assert_eq!(administrator_password(&app, 1).await, "Ch4nged-Passw0rd");
    // `msUsername: null` says the same as leaving it out.
    app.post(
        &admins(ACME_TEAMS),
        &token,
        json!({"msUsername": null, "msPassword": "Ch4nged-Ag4in"}),
    )
    .await
    .assert_status(StatusCode::NO_CONTENT);
    assert_eq!(administrator_password(&app, 1).await, "Ch4nged-Ag4in");
    assert_eq!(admins_of(&app, &token, ACME_TEAMS).await, before);
}

#[tokio::test]
async fn posting_only_a_password_without_a_stored_account_is_refused() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    // 3 has nothing; after storing its application it has a tenant but still no account.
    for stored_application in [false, true] {
        if stored_application {
            app.post_application(
                &token,
                GLOBEX_TEAMS,
                NEW_MS_TENANT,
                NEW_APPLICATION,
                NEW_SECRET,
            )
            .await
            .assert_status(StatusCode::NO_CONTENT);
        }
        let before = app.snapshot().await;
        let problem = app
            .post(
                &admins(GLOBEX_TEAMS),
                &token,
                json!({"msPassword": "S0me-Password"}),
            )
            .await
            .assert_problem(400, "no_administrator");
        assert!(
            problem["detail"].as_str().unwrap().contains("msUsername"),
            "{problem}"
        );
        assert_eq!(app.snapshot().await, before, "{stored_application}");
        assert_eq!(
            admins_of(&app, &token, GLOBEX_TEAMS).await,
            json!({"id": null, "msUsername": null})
        );
    }
}

#[tokio::test]
async fn deleting_the_account_get_named_removes_it_and_is_audited() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    let named = admins_of(&app, &token, GLOBEX_LAB).await;
    assert_eq!(
        named,
        json!({"id": 2, "msUsername": "admin@globex-lab.onmicrosoft.com"})
    );
    let response = delete_admins(&app, &token, GLOBEX_LAB, named).await;
    response.assert_status(StatusCode::NO_CONTENT);
    assert!(response.bytes.is_empty());

    assert_eq!(
        admins_of(&app, &token, GLOBEX_LAB).await,
        json!({"id": null, "msUsername": null})
    );
    let status = status_of(&app, &token, TENANT_GLOBEX, 4).await;
    assert_eq!(
        status["status"], "onboarded",
        "the onboarded tenant stays: {status}"
    );
    assert_eq!(
        status["powershell"],
        json!({"msUserName": null, "active": false})
    );
    assert_eq!(msteams_rows(&app, 4).await, (1, 1, 0));
    let audited: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT method, path, status FROM audit_log WHERE method = 'DELETE' ORDER BY id",
    )
    .fetch_all(&app.db.read)
    .await
    .unwrap();
    assert_eq!(audited, [("DELETE".to_owned(), admins(GLOBEX_LAB), 204)]);
}

#[tokio::test]
async fn the_account_to_delete_is_matched_without_regard_to_case() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    delete_admins(
        &app,
        &token,
        ACME_TEAMS,
        json!({"id": 1.0, "msUsername": "Admin@ACME.onmicrosoft.com"}),
    )
    .await
    .assert_status(StatusCode::NO_CONTENT);
    assert_eq!(msteams_rows(&app, 1).await, (1, 1, 0));
}

#[tokio::test]
async fn deleting_the_only_credential_leaves_no_ms_teams_tenant() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    app.post(
        &admins(GLOBEX_TEAMS),
        &token,
        json!({"msUsername": "admin@globex.onmicrosoft.com", "msPassword": "S0me-Password"}),
    )
    .await
    .assert_status(StatusCode::NO_CONTENT);
    assert_eq!(msteams_rows(&app, 3).await, (1, 0, 1));
    let named = admins_of(&app, &token, GLOBEX_TEAMS).await;
    delete_admins(&app, &token, GLOBEX_TEAMS, named)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    assert_eq!(msteams_rows(&app, 3).await, (0, 0, 0));
    app.get(&sub_path(TENANT_GLOBEX, 3, "msteams/status"), &token)
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn deleting_an_account_the_body_does_not_name_is_refused() {
    let app = TestApp::start().await;
    let token = app.login("group.admin").await;
    let before = app.snapshot().await;
    let cases = [
        (
            ACME_TEAMS,
            json!({"id": 2, "msUsername": "admin@acme.onmicrosoft.com"}),
            "administrator_mismatch",
            "another tenant's id",
        ),
        (
            ACME_TEAMS,
            json!({"id": 1, "msUsername": "other@acme.onmicrosoft.com"}),
            "administrator_mismatch",
            "another account",
        ),
        (
            ACME_TEAMS,
            json!({"id": 0, "msUsername": "admin@acme.onmicrosoft.com"}),
            "administrator_mismatch",
            "no such id",
        ),
        (
            ACME_TEAMS,
            json!({"id": 1, "msUsername": "admin"}),
            "validation_failed",
            "not a sign-in name",
        ),
        (
            GLOBEX_TEAMS,
            json!({"id": 1, "msUsername": "admin@acme.onmicrosoft.com"}),
            "no_administrator",
            "nothing stored",
        ),
        (
            UMBRELLA_TEAMS,
            json!({"id": 3, "msUsername": "admin@initech.onmicrosoft.com"}),
            "no_administrator",
            "nothing stored, another's account named",
        ),
    ];
    for (at, body, code, why) in cases {
        let response = delete_admins(&app, &token, at, body).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{why}");
        response.assert_problem(400, code);
    }
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn a_linked_or_sip_trunks_subscription_manages_no_account_of_its_own() {
    let app = TestApp::start().await;
    let token = app.login("group.admin").await;
    let before = app.snapshot().await;
    let store =
        json!({"msUsername": "admin@contoso.onmicrosoft.com", "msPassword": "S0me-Password"});
    let password = json!({"msPassword": "S0me-Password"});
    let named = admins_of(&app, &token, INITECH_EU).await;
    for (at, code) in [
        (INITECH_EU, "subscription_linked"),
        ((TENANT_ACME, 2), "wrong_license_type"),
    ] {
        for body in [&store, &password] {
            app.post(&admins(at), &token, body.clone())
                .await
                .assert_problem(400, code);
        }
        delete_admins(&app, &token, at, named.clone())
            .await
            .assert_problem(400, code);
    }
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn an_administrator_name_that_is_not_a_upn_is_refused() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    let before = app.snapshot().await;
    for username in [
        "admin",
        "admin@contoso",
        "@contoso.com",
        "ad min@contoso.com",
        "",
    ] {
        let problem = app
            .post(
                &admins(ACME_TEAMS),
                &token,
                json!({"msUsername": username, "msPassword": "S0me-Password"}),
            )
            .await
            .assert_problem(400, "validation_failed");
        assert!(
            problem["detail"].as_str().unwrap().contains("msUsername"),
            "{problem}"
        );
    }
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn read_only_may_read_the_administrator_but_not_change_it() {
    let app = TestApp::start().await;
    let token = app.login("readonly").await;
    let before = app.snapshot().await;
    let named = admins_of(&app, &token, ACME_TEAMS).await;
    assert_eq!(
        named,
        json!({"id": 1, "msUsername": "admin@acme.onmicrosoft.com"})
    );
    for body in [
        json!({"msUsername": "admin@acme.onmicrosoft.com", "msPassword": "S0me-Password"}),
        json!({"msPassword": "S0me-Password"}),
    ] {
        let problem = app
            .post(&admins(ACME_TEAMS), &token, body)
            .await
            .assert_problem(403, "forbidden");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("msteams.administrator.update"),
            "{problem}"
        );
    }
    delete_admins(&app, &token, ACME_TEAMS, named)
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn another_resellers_administrator_does_not_exist_for_the_caller() {
    let app = TestApp::start().await;
    let beta = app.login("beta.admin").await;
    let before = app.snapshot().await;
    app.get(&admins(ACME_TEAMS), &beta)
        .await
        .assert_problem(404, "not_found");
    app.post(
        &admins(ACME_TEAMS),
        &beta,
        json!({"msUsername": "admin@acme.onmicrosoft.com", "msPassword": "S0me-Password"}),
    )
    .await
    .assert_problem(404, "not_found");
    delete_admins(
        &app,
        &beta,
        ACME_TEAMS,
        json!({"id": 1, "msUsername": "admin@acme.onmicrosoft.com"}),
    )
    .await
    .assert_problem(404, "not_found");
    assert_eq!(app.snapshot().await, before);
}

// ---- downloads/create_app ------------------------------------------------------------

#[tokio::test]
async fn create_app_returns_the_group_powershell_script_in_base64() {
    let app = TestApp::start().await;
    let token = app.login("acme.admin").await;
    let response = app
        .call(
            Method::POST,
            &sub_path(TENANT_ACME, 1, "downloads/create_app"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", body_text(&response));
    assert!(response.content_type().starts_with("application/json"));
    let body = response.json();
    assert_eq!(body["fileName"], "create_app.ps1");
    let script = STANDARD
        .decode(body["fileBody"].as_str().expect("fileBody"))
        .expect("Base64");
    let script = String::from_utf8(script).expect("UTF-8 script");
    assert!(script.starts_with("#Requires -Version"), "{script}");
    assert!(
        script.contains("Generated by Fusion for the group \"Netaxis Group\""),
        "{script}"
    );
    assert!(
        script.contains("[string] $AppDisplayName = 'Fusion DRaaS Netaxis Group'"),
        "{script}"
    );
    assert!(
        script.contains("[int] $SecretLifetimeMonths = 12"),
        "{script}"
    );
    assert!(
        !script.contains("{{"),
        "unrendered placeholder left: {script}"
    );
}

#[tokio::test]
async fn create_app_is_the_same_script_for_every_subscription_of_the_group() {
    let app = TestApp::start().await;
    let token = app.login("group.admin").await;
    let acme = app
        .call(
            Method::POST,
            &sub_path(TENANT_ACME, 1, "downloads/create_app"),
            Some(&token),
            None,
        )
        .await;
    let umbrella = app
        .call(
            Method::POST,
            &sub_path(TENANT_UMBRELLA, 7, "downloads/create_app"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(acme.status, StatusCode::OK);
    assert_eq!(acme.json(), umbrella.json());
}

// ---- reset_secret ------------------------------------------------------------------

#[tokio::test]
async fn reset_secret_replaces_the_secret_of_the_current_application() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    let sealed_before = sealed_application_secret(&app, 1).await;
    let response = app
        .post(
            &sub_path(TENANT_ACME, 1, "msteams/reset_secret"),
            &token,
            json!({"applicationId": ACME_APPLICATION, "secret": NEW_SECRET}),
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::NO_CONTENT,
        "{}",
        body_text(&response)
    );
    assert!(response.bytes.is_empty());
    let status = status_of(&app, &token, TENANT_ACME, 1).await;
    assert_shows_no_secret(&status["msGraph"]);
    assert_ne!(sealed_application_secret(&app, 1).await, sealed_before);
    assert_eq!(status["msApplicationId"], ACME_APPLICATION);
    assert_eq!(status["msTenantId"], ACME_MS_TENANT);
}

#[tokio::test]
async fn reset_secret_without_an_integration_is_refused() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    let before = app.snapshot().await;
    let body = json!({"applicationId": ACME_APPLICATION, "secret": NEW_SECRET});
    app.post(
        &sub_path(TENANT_GLOBEX, 3, "msteams/reset_secret"),
        &token,
        body.clone(),
    )
    .await
    .assert_problem(400, "no_application_integration");
    app.post(
        &sub_path(TENANT_ACME, 2, "msteams/reset_secret"),
        &token,
        body,
    )
    .await
    .assert_problem(400, "wrong_license_type");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn create_app_is_refused_for_a_sip_trunk_subscription() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    app.call(
        axum::http::Method::POST,
        &sub_path(TENANT_ACME, 2, "downloads/create_app"),
        Some(&token),
        None,
    )
    .await
    .assert_problem(400, "wrong_license_type");
}

#[tokio::test]
async fn reset_secret_for_another_application_id_is_refused() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    let before = app.snapshot().await;
    app.post(
        &sub_path(TENANT_ACME, 1, "msteams/reset_secret"),
        &token,
        json!({"applicationId": NEW_APPLICATION, "secret": NEW_SECRET}),
    )
    .await
    .assert_problem(400, "application_id_mismatch");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn reset_secret_on_a_linked_subscription_is_refused() {
    let app = TestApp::start().await;
    let token = app.login("beta.admin").await;
    let before = app.snapshot().await;
    app.post(
        &sub_path(TENANT_INITECH, 6, "msteams/reset_secret"),
        &token,
        json!({"applicationId": "c035894c-81c3-49aa-8e3e-f245d9b30002", "secret": NEW_SECRET}),
    )
    .await
    .assert_problem(400, "subscription_linked");
    assert_eq!(app.snapshot().await, before);
}

// ---- status ------------------------------------------------------------------------

#[tokio::test]
async fn status_of_an_onboarded_subscription_has_the_vendor_clients_sub_objects() {
    let app = TestApp::start().await;
    let token = app.login("acme.admin").await;
    let mut status = status_of(&app, &token, TENANT_ACME, 1).await;
    for integration in ["powershell", "msGraph"] {
        let updated = status[integration]
            .as_object_mut()
            .unwrap()
            .remove("updatedAt");
        assert!(
            updated.as_ref().is_some_and(Value::is_string),
            "{integration}: {updated:?}"
        );
    }
    assert_eq!(
        status,
        json!({
            "msTenantId": ACME_MS_TENANT,
            "mode": "direct_routing",
            "status": "onboarded",
            "msApplicationId": ACME_APPLICATION,
            "domain": {"name": "acme.draas.demo", "verified": true},
            "powershell": {"msUserName": "admin@acme.onmicrosoft.com", "active": true},
            "msGraph": {"msApplicationId": ACME_APPLICATION, "active": true},
        })
    );
    let text = status.to_string();
    assert!(
        !text.contains("SeededSecretNotReal") && !text.contains("demo-admin-password"),
        "{text}"
    );
}

#[tokio::test]
async fn status_of_a_linked_subscription_is_already_linked_to_the_shared_tenant() {
    let app = TestApp::start().await;
    let token = app.login("beta.admin").await;
    let status = status_of(&app, &token, TENANT_INITECH, 6).await;
    assert_eq!(status["status"], "already_linked");
    assert_eq!(status["linkedTo"], 5);
    assert_eq!(status["msTenantId"], INITECH_MS_TENANT);
    assert_eq!(
        status["domain"],
        json!({"name": "initech.draas.demo", "verified": true})
    );
    assert_eq!(
        status["powershell"]["msUserName"],
        "admin@initech.onmicrosoft.com"
    );
    assert_eq!(status["powershell"]["active"], true);
    assert_eq!(status["msGraph"]["active"], true);
    // The owner itself is onboarded, and names no link.
    let owner = status_of(&app, &token, TENANT_INITECH, 5).await;
    assert_eq!(owner["status"], "onboarded");
    assert!(owner.get("linkedTo").is_none(), "{owner}");
}

#[tokio::test]
async fn status_without_an_ms_teams_tenant_is_404() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    app.get(&sub_path(TENANT_GLOBEX, 3, "msteams/status"), &token)
        .await
        .assert_problem(404, "not_found");
    app.get(&sub_path(TENANT_ACME, 2, "msteams/status"), &token)
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn an_application_whose_secret_has_expired_is_not_active() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    // No endpoint learns a secret's expiry yet: set it as Azure AD would report it.
    for (days, active) in [(-1, false), (30, true)] {
        let expires = chrono::Utc::now() + chrono::Duration::days(days);
        sqlx::query(
            "UPDATE msteams_applications SET secret_expires_at = ? WHERE msteams_tenant_id = 1",
        )
        .bind(expires)
        .execute(&app.db.write)
        .await
        .unwrap();
        let status = status_of(&app, &token, TENANT_ACME, 1).await;
        assert_eq!(status["msGraph"]["active"], active, "{status}");
        assert_eq!(status["msGraph"]["msApplicationId"], ACME_APPLICATION);
        assert!(status["msGraph"]["secretExpiresAt"].is_string(), "{status}");
        assert_shows_no_secret(&status["msGraph"]);
    }
}

#[tokio::test]
async fn status_is_not_initiated_while_the_wizard_prepares_and_its_administrator_stays() {
    // At full time scale the preparation phase lasts 3 s: long enough to look at it.
    let app = TestApp::start_configured(|config| config.time_scale = 1.0).await;
    let token = app.login("alpha.admin").await;
    app.store_integration(
        &token,
        GLOBEX_TEAMS,
        NEW_MS_TENANT,
        NEW_APPLICATION,
        NEW_SECRET,
    )
    .await;
    app.start_wizard(&token, GLOBEX_TEAMS).await;
    app.get_wizard(&token, GLOBEX_TEAMS)
        .await
        .assert_problem(404, "not_found");
    let status = status_of(&app, &token, TENANT_GLOBEX, 3).await;
    assert_eq!(status["status"], "not_initiated", "{status}");
    assert_eq!(status["powershell"]["active"], true);
    assert_eq!(status["msGraph"]["active"], true);

    // The run needs the account: it cannot be removed while the wizard runs.
    let named = admins_of(&app, &token, GLOBEX_TEAMS).await;
    let before = app.snapshot().await;
    delete_admins(&app, &token, GLOBEX_TEAMS, named)
        .await
        .assert_problem(400, "wizard_running");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn the_account_cannot_be_replaced_nor_its_password_changed_while_the_wizard_runs() {
    // The TXT record never propagates and step 2 keeps checking: the run stays running.
    let app = TestApp::start_configured(|config| config.dns_check_limit = 1_000_000).await;
    let token = app.login("alpha.admin").await;
    app.prepare_wizard(
        &token,
        GLOBEX_TEAMS,
        "Admins Test",
        &["txt_never_propagates"],
    )
    .await;
    app.start_wizard(&token, GLOBEX_TEAMS).await;
    let named = admins_of(&app, &token, GLOBEX_TEAMS).await;
    let password = administrator_password(&app, 3).await;
    for body in [
        json!({"msUsername": "other.admin@globex.onmicrosoft.com", "msPassword": "An0ther-Passw0rd"}),
        json!({"msPassword": "Ch4nged-Passw0rd"}),
    ] {
        let problem = app
            .post(&admins(GLOBEX_TEAMS), &token, body.clone())
            .await
            .assert_problem(400, "wizard_running");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("needs the administrator"),
            "{body}: {problem}"
        );
    }
    // The account the run signs in with is as it was.
    assert_eq!(admins_of(&app, &token, GLOBEX_TEAMS).await, named);
    assert_eq!(administrator_password(&app, 3).await, password);
}

#[tokio::test]
async fn status_names_the_last_executed_step_while_the_wizard_runs() {
    // The TXT record never propagates and step 2 keeps checking: the run stays after step 1.
    let app = TestApp::start_configured(|config| config.dns_check_limit = 1_000_000).await;
    let token = app.login("alpha.admin").await;
    app.prepare_wizard(
        &token,
        GLOBEX_TEAMS,
        "Status Test",
        &["txt_never_propagates"],
    )
    .await;
    app.start_wizard(&token, GLOBEX_TEAMS).await;
    let deadline = std::time::Instant::now() + crate::helpers::WIZARD_LIMIT;
    loop {
        let wizard = app.get_wizard(&token, GLOBEX_TEAMS).await;
        if wizard.status == StatusCode::OK && wizard.json()["wizardSteps"][1]["executed"] == true {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "step 1 did not execute: {}",
            wizard.text()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let status = status_of(&app, &token, TENANT_GLOBEX, 3).await;
    assert_eq!(status["status"], "wizard_1_ok", "{status}");
    assert!(
        status.get("domain").is_none(),
        "no domain before step 2 verifies it: {status}"
    );
    assert_eq!(status["powershell"]["active"], true);
    assert_eq!(status["msGraph"]["active"], true);
}

#[tokio::test]
async fn status_names_the_failed_step_after_a_fault() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    app.prepare_wizard(&token, GLOBEX_TEAMS, "Status Test", &["no_free_license"])
        .await;
    let (_, ended) = app.run_wizard_to_end(&token, GLOBEX_TEAMS).await;
    assert_eq!(ended.assert_problem(400, "wizard_failed")["failedStep"], 4);
    let status = status_of(&app, &token, TENANT_GLOBEX, 3).await;
    assert_eq!(status["status"], "wizard_4_error", "{status}");
    let domain = &status["domain"];
    assert_eq!(domain["verified"], true, "step 2 executed: {status}");
    assert!(
        domain["name"]
            .as_str()
            .is_some_and(|name| name.ends_with(".draas.demo")),
        "{status}"
    );
}

// ---- sources -----------------------------------------------------------------------

#[tokio::test]
async fn sources_list_the_onboarded_subscriptions_of_the_callers_tree_except_the_target() {
    let app = TestApp::start().await;
    let alpha = app.login("alpha.admin").await;
    let response = app
        .get(&sub_path(TENANT_GLOBEX, 3, "msteams/sources"), &alpha)
        .await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(
        response.json(),
        json!({"sources": [
            {"subscriptionId": 1, "subscriptionName": "Acme Teams", "tenantName": "Acme Corp"},
            {"subscriptionId": 4, "subscriptionName": "Globex Teams Lab", "tenantName": "Globex"},
        ]})
    );
    assert_eq!(
        source_ids(&app, &alpha, TENANT_ACME, 1).await,
        vec![4],
        "the target itself is not a source"
    );

    let beta = app.login("beta.admin").await;
    assert_eq!(
        source_ids(&app, &beta, TENANT_UMBRELLA, 7).await,
        vec![5, 6]
    );
    assert_eq!(source_ids(&app, &beta, TENANT_INITECH, 5).await, vec![6]);

    let group = app.login("group.admin").await;
    assert_eq!(
        source_ids(&app, &group, TENANT_UMBRELLA, 7).await,
        vec![1, 4, 5, 6]
    );
}

#[tokio::test]
async fn sources_leave_out_subscriptions_that_are_not_onboarded_yet() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    let stored = app
        .post(
            &sub_path(TENANT_GLOBEX, 3, "msteams/applications"),
            &token,
            json!({"msTeamsTenantId": NEW_MS_TENANT, "applicationId": NEW_APPLICATION, "secret": NEW_SECRET}),
        )
        .await;
    assert_eq!(stored.status, StatusCode::NO_CONTENT);
    assert_eq!(
        source_ids(&app, &token, TENANT_ACME, 2).await,
        vec![1, 4],
        "3 is pending, 2 is sip-trunks"
    );
}

// ---- link --------------------------------------------------------------------------

#[tokio::test]
async fn linking_shares_the_onboarded_tenant_and_status_shows_the_link() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    let response = app
        .post(
            &sub_path(TENANT_GLOBEX, 3, "msteams/link"),
            &token,
            json!({"subscriptionId": 1}),
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::NO_CONTENT,
        "{}",
        body_text(&response)
    );
    assert!(response.bytes.is_empty());

    let status = status_of(&app, &token, TENANT_GLOBEX, 3).await;
    assert_eq!(status["linkedTo"], 1);
    assert_eq!(status["msTenantId"], ACME_MS_TENANT);
    assert_eq!(
        status["domain"],
        json!({"name": "acme.draas.demo", "verified": true})
    );
    assert_eq!(status["status"], "already_linked");

    let list = app
        .get(
            &format!("/api/v01/draas/demo/tenants/{TENANT_GLOBEX}/subscriptions"),
            &token,
        )
        .await
        .json();
    let three = list["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == 3)
        .expect("subscription 3")
        .clone();
    assert_eq!(three["msTeams"]["state"], "linked");
    assert_eq!(three["msTeams"]["linkedTo"], 1);
}

#[tokio::test]
async fn linking_through_a_linked_subscription_reaches_the_owning_tenant() {
    let app = TestApp::start().await;
    let token = app.login("beta.admin").await;
    let response = app
        .post(
            &sub_path(TENANT_UMBRELLA, 7, "msteams/link"),
            &token,
            json!({"subscriptionId": 6}),
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::NO_CONTENT,
        "{}",
        body_text(&response)
    );
    let status = status_of(&app, &token, TENANT_UMBRELLA, 7).await;
    assert_eq!(status["linkedTo"], 5);
    assert_eq!(status["msTenantId"], INITECH_MS_TENANT);
    assert_eq!(status["status"], "already_linked");
}

#[tokio::test]
async fn linking_to_a_source_that_is_not_onboarded_or_outside_the_tree_is_refused() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    let before = app.snapshot().await;
    // 2: sip-trunks, never onboarded. 5 and 6: onboarded, but Beta's. 7: Beta's and not
    // onboarded. 999: no such subscription.
    for source in [2, 5, 6, 7, 999] {
        let response = app
            .post(
                &sub_path(TENANT_GLOBEX, 3, "msteams/link"),
                &token,
                json!({"subscriptionId": source}),
            )
            .await;
        response.assert_problem(400, "invalid_link_source");
    }
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn linking_to_a_pending_integration_is_refused() {
    let app = TestApp::start().await;
    let token = app.login("group.admin").await;
    let stored = app
        .post(
            &sub_path(TENANT_GLOBEX, 3, "msteams/applications"),
            &token,
            json!({"msTeamsTenantId": NEW_MS_TENANT, "applicationId": NEW_APPLICATION, "secret": NEW_SECRET}),
        )
        .await;
    assert_eq!(stored.status, StatusCode::NO_CONTENT);
    let before = app.snapshot().await;
    app.post(
        &sub_path(TENANT_UMBRELLA, 7, "msteams/link"),
        &token,
        json!({"subscriptionId": 3}),
    )
    .await
    .assert_problem(400, "invalid_link_source");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn a_subscription_that_already_has_an_ms_teams_tenant_cannot_be_linked() {
    let app = TestApp::start().await;
    let token = app.login("group.admin").await;
    let before = app.snapshot().await;
    // 4 owns an onboarded tenant; 6 is already linked to 5.
    app.post(
        &sub_path(TENANT_GLOBEX, 4, "msteams/link"),
        &token,
        json!({"subscriptionId": 1}),
    )
    .await
    .assert_problem(400, "msteams_tenant_exists");
    app.post(
        &sub_path(TENANT_INITECH, 6, "msteams/link"),
        &token,
        json!({"subscriptionId": 1}),
    )
    .await
    .assert_problem(400, "msteams_tenant_exists");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn a_subscription_cannot_be_linked_to_itself() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    let before = app.snapshot().await;
    for (tenant, subscription) in [(TENANT_GLOBEX, 3), (TENANT_ACME, 1)] {
        app.post(
            &sub_path(tenant, subscription, "msteams/link"),
            &token,
            json!({"subscriptionId": subscription}),
        )
        .await
        .assert_problem(400, "invalid_link_source");
    }
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn a_sip_trunks_subscription_cannot_be_linked() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    let before = app.snapshot().await;
    app.post(
        &sub_path(TENANT_ACME, 2, "msteams/link"),
        &token,
        json!({"subscriptionId": 1}),
    )
    .await
    .assert_problem(400, "wrong_license_type");
    assert_eq!(app.snapshot().await, before);
}

// ---- unlink ------------------------------------------------------------------------

#[tokio::test]
async fn unlink_is_refused_while_direct_routing_users_remain() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    let before = app.snapshot().await;
    let response = app
        .call(
            Method::POST,
            &sub_path(TENANT_ACME, 1, "msteams/unlink"),
            Some(&token),
            None,
        )
        .await;
    let problem = response.assert_problem(400, "direct_routing_users_remain");
    assert!(
        problem["detail"].as_str().unwrap().starts_with("2 user(s)"),
        "{problem}"
    );
    assert_eq!(app.snapshot().await, before);
    assert_eq!(
        status_of(&app, &token, TENANT_ACME, 1).await["status"],
        "onboarded"
    );
}

#[tokio::test]
async fn unlink_is_refused_while_other_subscriptions_share_the_tenant_then_erases_it() {
    let app = TestApp::start().await;
    let token = app.login("beta.admin").await;
    let unlink = |subscription: i64| app.post_unlink(&token, (TENANT_INITECH, subscription));

    // 5 still has a user with direct routing.
    unlink(5)
        .await
        .assert_problem(400, "direct_routing_users_remain");
    assert_eq!(
        server::store::directory::set_direct_routing(&app.db, 5, false)
            .await
            .unwrap(),
        1
    );

    // 6 is linked to 5's tenant.
    let before = app.snapshot().await;
    unlink(5)
        .await
        .assert_problem(400, "linked_subscriptions_remain");
    assert_eq!(app.snapshot().await, before);

    // Unlinking 6 removes only the link.
    let response = unlink(6).await;
    assert_eq!(
        response.status,
        StatusCode::NO_CONTENT,
        "{}",
        body_text(&response)
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM msteams_links WHERE subscription_id = ?",
            6
        )
        .await,
        0
    );
    app.get(&sub_path(TENANT_INITECH, 6, "msteams/status"), &token)
        .await
        .assert_problem(404, "not_found");
    assert_eq!(
        status_of(&app, &token, TENANT_INITECH, 5).await["status"],
        "onboarded"
    );
    assert_eq!(msteams_rows(&app, 5).await, (1, 1, 1));

    // Now 5 unlinks, and its tenant, application and administrator are gone.
    let response = unlink(5).await;
    assert_eq!(
        response.status,
        StatusCode::NO_CONTENT,
        "{}",
        body_text(&response)
    );
    assert_eq!(msteams_rows(&app, 5).await, (0, 0, 0));
    let ms_tenant_rows: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM msteams_tenants WHERE ms_tenant_id = ?")
            .bind(INITECH_MS_TENANT)
            .fetch_one(&app.db.read)
            .await
            .unwrap();
    assert_eq!(ms_tenant_rows, 0);
    app.get(&sub_path(TENANT_INITECH, 5, "msteams/status"), &token)
        .await
        .assert_problem(404, "not_found");
    assert_eq!(
        source_ids(&app, &token, TENANT_UMBRELLA, 7).await,
        Vec::<i64>::new()
    );

    // The same MS Teams tenant may then be integrated afresh.
    let response = app
        .post(
            &sub_path(TENANT_UMBRELLA, 7, "msteams/applications"),
            &token,
            json!({"msTeamsTenantId": INITECH_MS_TENANT, "applicationId": NEW_APPLICATION, "secret": NEW_SECRET}),
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::NO_CONTENT,
        "{}",
        body_text(&response)
    );
}

#[tokio::test]
async fn a_subscription_without_direct_routing_users_unlinks_directly() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    assert_eq!(msteams_rows(&app, 4).await, (1, 1, 1));
    let response = app
        .call(
            Method::POST,
            &sub_path(TENANT_GLOBEX, 4, "msteams/unlink"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::NO_CONTENT,
        "{}",
        body_text(&response)
    );
    assert!(response.bytes.is_empty());
    assert_eq!(msteams_rows(&app, 4).await, (0, 0, 0));
    app.get(&sub_path(TENANT_GLOBEX, 4, "msteams/status"), &token)
        .await
        .assert_problem(404, "not_found");
    assert_eq!(source_ids(&app, &token, TENANT_GLOBEX, 3).await, vec![1]);
    // Its Fusion user is still there: only the MS Teams data is erased.
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM fusion_users WHERE subscription_id = ?",
            4
        )
        .await,
        1
    );
}

#[tokio::test]
async fn unlinking_a_subscription_with_nothing_to_unlink_is_refused() {
    let app = TestApp::start().await;
    let token = app.login("group.admin").await;
    let before = app.snapshot().await;
    for (tenant, subscription) in [(TENANT_GLOBEX, 3), (TENANT_UMBRELLA, 7), (TENANT_ACME, 2)] {
        app.call(
            Method::POST,
            &sub_path(tenant, subscription, "msteams/unlink"),
            Some(&token),
            None,
        )
        .await
        .assert_problem(400, "no_msteams_tenant");
    }
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn unlinking_twice_is_refused_the_second_time() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    let path = sub_path(TENANT_GLOBEX, 4, "msteams/unlink");
    assert_eq!(
        app.call(Method::POST, &path, Some(&token), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    app.call(Method::POST, &path, Some(&token), None)
        .await
        .assert_problem(400, "no_msteams_tenant");
}

#[tokio::test]
async fn no_credential_shows_any_of_its_characters_even_to_a_read_only_user() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    let reader = app.login("readonly").await;
    for password in ["x", "abc", "hunter2", "Long-Passw0rd-With-Many-Characters"] {
        let response = app
            .post(
                &admins(ACME_TEAMS),
                &token,
                json!({"msUsername": "admin@acme.onmicrosoft.com", "msPassword": password}),
            )
            .await;
        assert_eq!(response.status, StatusCode::NO_CONTENT);
        for who in [&token, &reader] {
            let status = status_of(&app, who, TENANT_ACME, 1).await;
            assert_shows_no_secret(&status["powershell"]);
            assert_shows_no_secret(&status["msGraph"]);
            assert_eq!(
                admins_of(&app, who, ACME_TEAMS).await,
                json!({"id": 1, "msUsername": "admin@acme.onmicrosoft.com"})
            );
        }
    }
}

/// An integration's status names the account, whether it is active, when it was stored
/// and (for a secret) when it expires: no field carries anything of the credential itself.
#[track_caller]
fn assert_shows_no_secret(integration: &serde_json::Value) {
    let fields = integration.as_object().expect("an integration object");
    for name in fields.keys() {
        assert!(
            [
                "msUserName",
                "msApplicationId",
                "active",
                "updatedAt",
                "secretExpiresAt"
            ]
            .contains(&name.as_str()),
            "unexpected field {name} in {integration}"
        );
    }
}

/// The sealed application secret of the subscription's own MS Teams tenant.
async fn sealed_application_secret(app: &TestApp, subscription: i64) -> Vec<u8> {
    sqlx::query_scalar(
        "SELECT a.secret_ciphertext FROM msteams_applications a
         JOIN msteams_tenants t ON t.id = a.msteams_tenant_id WHERE t.owner_subscription_id = ?",
    )
    .bind(subscription)
    .fetch_one(&app.db.read)
    .await
    .expect("a sealed secret")
}
