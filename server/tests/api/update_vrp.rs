//! PUT msteams/update_vrp: re-applies the Teams voice routing objects through the
//! simulator and reports each one in the vendor's Voice Routing Status shape.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    ACME_MS_TENANT, ACME_TEAMS, GLOBEX_LAB, GLOBEX_LAB_ADMIN, GLOBEX_TEAMS, INITECH_EU,
    Says::Contains, TestApp, admin_body, sim_path,
};

/// The status of each object, PSTN usage, voice route and voice routing policy.
fn statuses(body: &Value) -> [&str; 3] {
    let status = &body["status"];
    [
        &status["pstn"]["DRaaS-PSTN-Usage"],
        &status["vr"]["Draas-VR"],
        &status["vrp"]["World-DRaaS"],
    ]
    .map(|object| object["status"].as_str().unwrap())
}

const ALL_EXIST: [&str; 3] = ["already_exists"; 3];

#[tokio::test]
async fn after_onboarding_every_object_already_exists_with_teams_messages() {
    let (app, token) = TestApp::signed_in("alpha.admin").await;
    let response = app.put_update_vrp(&token, ACME_TEAMS).await;
    assert_eq!(
        response.assert_status(StatusCode::OK).json(),
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
    let (app, token) = TestApp::signed_in("alpha.admin").await;
    let route = sim_path(ACME_MS_TENANT, "/voice_objects/voice_route/Draas-VR");
    let answer = app.call(Method::DELETE, &route, Some(&token), None).await;
    answer.assert_status(StatusCode::NO_CONTENT);
    let body = app.put_update_vrp(&token, ACME_TEAMS).await.json();
    assert_eq!(
        statuses(&body),
        ["already_exists", "created", "already_exists"]
    );
    let tenant = app.get_sim_tenant(&token, ACME_MS_TENANT).await.json();
    let routes: Vec<&Value> = tenant["voiceObjects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["kind"] == "voice_route")
        .collect();
    assert_eq!(routes.len(), 1, "exactly one voice route: {tenant}");
    let again = app.put_update_vrp(&token, ACME_TEAMS).await.json();
    assert_eq!(statuses(&again), ALL_EXIST);
    let journal = sim_path(ACME_MS_TENANT, "/journal?limit=4");
    let journal = app.get(&journal, &token).await.json();
    assert_eq!(journal[3]["operation"], "Connect-MicrosoftTeams");
}

#[tokio::test]
async fn a_linked_subscription_updates_the_shared_tenant() {
    let (app, token) = TestApp::signed_in("beta.admin").await;
    let body = app.put_update_vrp(&token, INITECH_EU).await.json();
    assert_eq!(statuses(&body), ALL_EXIST);
}

#[tokio::test]
async fn mfa_on_the_administrator_account_is_a_400_that_says_what_to_do() {
    let (app, token) = TestApp::signed_in("alpha.admin").await;
    app.put_sim_faults(&token, ACME_MS_TENANT, &["mfa_enabled"])
        .await
        .assert_status(StatusCode::OK);
    let says = Contains("multi-factor authentication turned off");
    let refused = app.put_update_vrp(&token, ACME_TEAMS).await;
    refused.assert_refusal(400, "microsoft_refused", says);
}

#[tokio::test]
async fn without_an_administrator_account_it_says_to_store_one() {
    let (app, token) = TestApp::signed_in("alpha.admin").await;
    let named = app.admins_of(&token, GLOBEX_LAB).await;
    let answer = app.delete_admins(&token, GLOBEX_LAB, named).await;
    answer.assert_status(StatusCode::NO_CONTENT);
    let says = Contains("POST msteams/admins");
    let refused = app.put_update_vrp(&token, GLOBEX_LAB).await;
    refused.assert_refusal(400, "no_administrator", says);
    // Stored again (by the vendor client's call), update_vrp works again.
    app.post_admins(&token, GLOBEX_LAB, admin_body(GLOBEX_LAB_ADMIN))
        .await
        .assert_status(StatusCode::NO_CONTENT);
    let answer = app.put_update_vrp(&token, GLOBEX_LAB).await;
    answer.assert_status(StatusCode::OK);
}

#[tokio::test]
async fn a_subscription_without_an_onboarded_tenant_is_refused() {
    let (app, token) = TestApp::signed_in("alpha.admin").await;
    let refused = app.put_update_vrp(&token, GLOBEX_TEAMS).await;
    refused.assert_problem(400, "not_onboarded");
}

#[tokio::test]
async fn update_vrp_needs_its_role_and_the_tree_of_authority() {
    let app = TestApp::start().await;
    for (who, status, code) in [
        ("readonly", 403, "forbidden"),
        ("beta.admin", 404, "not_found"),
    ] {
        let token = app.login(who).await;
        let refused = app.put_update_vrp(&token, ACME_TEAMS).await;
        refused.assert_problem(status, code);
    }
    let tenant_admin = app.login("acme.admin").await;
    let answer = app.put_update_vrp(&tenant_admin, ACME_TEAMS).await;
    answer.assert_status(StatusCode::OK);
}
