//! PUT msteams/update_vrp: re-applies the Teams voice routing objects through the
//! simulator and reports each one in the vendor's Voice Routing Status shape.

use crate::helpers::{TENANT_ACME, TENANT_GLOBEX, TENANT_INITECH, TestApp, sub_path};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

const ACME_MS_TENANT: &str = "27b418d0-b197-483d-a0b8-da90407a92c4";

async fn update_vrp(
    app: &TestApp,
    token: &str,
    tenant: uuid::Uuid,
    subscription: i64,
) -> crate::helpers::TestResponse {
    app.call(
        Method::PUT,
        &sub_path(tenant, subscription, "msteams/update_vrp"),
        Some(token),
        None,
    )
    .await
}

fn statuses(body: &Value) -> (String, String, String) {
    let status = &body["status"];
    (
        status["pstn"]["DRaaS-PSTN-Usage"]["status"]
            .as_str()
            .unwrap()
            .to_owned(),
        status["vr"]["Draas-VR"]["status"]
            .as_str()
            .unwrap()
            .to_owned(),
        status["vrp"]["World-DRaaS"]["status"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

#[tokio::test]
async fn after_onboarding_every_object_already_exists_with_teams_messages() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    let response = update_vrp(&app, &token, TENANT_ACME, 1).await;
    assert_eq!(
        response.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&response.bytes)
    );
    assert_eq!(
        response.json(),
        json!({"status": {
            "pstn": {"DRaaS-PSTN-Usage": {
                "detail": "Cannot add these items to the collection as they conflict or have duplicate key/identity: Usage: DRaaS-PSTN-Usage",
                "status": "already_exists"}},
            "vr": {"Draas-VR": {"detail": "Identity Draas-VR already exists", "status": "already_exists"}},
            "vrp": {"World-DRaaS": {"detail": "Identity World-DRaaS already exists in Tenant scope", "status": "already_exists"}}
        }})
    );
}

#[tokio::test]
async fn a_deleted_voice_route_is_created_again_and_the_rest_already_exist() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    let deleted = app
        .call(
            Method::DELETE,
            &format!("/sim/v1/tenants/{ACME_MS_TENANT}/voice_objects/voice_route/Draas-VR"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let body = update_vrp(&app, &token, TENANT_ACME, 1).await.json();
    assert_eq!(
        statuses(&body),
        (
            "already_exists".into(),
            "created".into(),
            "already_exists".into()
        )
    );
    let tenant = app
        .get(&format!("/sim/v1/tenants/{ACME_MS_TENANT}"), &token)
        .await
        .json();
    let routes: Vec<&Value> = tenant["voiceObjects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["kind"] == "voice_route")
        .collect();
    assert_eq!(routes.len(), 1, "exactly one voice route: {tenant}");
    let again = update_vrp(&app, &token, TENANT_ACME, 1).await.json();
    assert_eq!(
        statuses(&again),
        (
            "already_exists".into(),
            "already_exists".into(),
            "already_exists".into()
        )
    );
    let journal = app
        .get(
            &format!("/sim/v1/tenants/{ACME_MS_TENANT}/journal?limit=4"),
            &token,
        )
        .await
        .json();
    assert_eq!(journal[3]["operation"], "Connect-MicrosoftTeams");
}

#[tokio::test]
async fn a_linked_subscription_updates_the_shared_tenant() {
    let app = TestApp::start().await;
    let token = app.login("beta.admin").await;
    let body = update_vrp(&app, &token, TENANT_INITECH, 6).await.json();
    assert_eq!(
        statuses(&body),
        (
            "already_exists".into(),
            "already_exists".into(),
            "already_exists".into()
        )
    );
}

#[tokio::test]
async fn mfa_on_the_administrator_account_is_a_400_that_says_what_to_do() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    let faults = app
        .call(
            Method::PUT,
            &format!("/sim/v1/tenants/{ACME_MS_TENANT}/faults"),
            Some(&token),
            Some(json!({"faults": ["mfa_enabled"]})),
        )
        .await;
    assert_eq!(faults.status, StatusCode::OK);
    let problem = update_vrp(&app, &token, TENANT_ACME, 1)
        .await
        .assert_problem(400, "microsoft_refused");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("multi-factor authentication turned off"),
        "{problem}"
    );
}

#[tokio::test]
async fn without_an_administrator_account_it_says_to_store_one() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    let admins = sub_path(TENANT_GLOBEX, 4, "msteams/admins");
    let named = app.get(&admins, &token).await.json();
    app.call(Method::DELETE, &admins, Some(&token), Some(named))
        .await
        .assert_status(StatusCode::NO_CONTENT);
    let problem = update_vrp(&app, &token, TENANT_GLOBEX, 4)
        .await
        .assert_problem(400, "no_administrator");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("POST msteams/admins"),
        "{problem}"
    );
    // Stored again (by the vendor client's call), update_vrp works again.
    app.post(
        &admins,
        &token,
        json!({"msUsername": "admin@globex-lab.onmicrosoft.com", "msPassword": "S0me-Password"}),
    )
    .await
    .assert_status(StatusCode::NO_CONTENT);
    assert_eq!(
        update_vrp(&app, &token, TENANT_GLOBEX, 4).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_subscription_without_an_onboarded_tenant_is_refused() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    update_vrp(&app, &token, TENANT_GLOBEX, 3)
        .await
        .assert_problem(400, "not_onboarded");
}

#[tokio::test]
async fn update_vrp_needs_its_role_and_the_tree_of_authority() {
    let app = TestApp::start().await;
    let readonly = app.login("readonly").await;
    update_vrp(&app, &readonly, TENANT_ACME, 1)
        .await
        .assert_problem(403, "forbidden");
    let beta = app.login("beta.admin").await;
    update_vrp(&app, &beta, TENANT_ACME, 1)
        .await
        .assert_problem(404, "not_found");
    let tenant_admin = app.login("acme.admin").await;
    assert_eq!(
        update_vrp(&app, &tenant_admin, TENANT_ACME, 1).await.status,
        StatusCode::OK
    );
}
