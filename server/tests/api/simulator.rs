//! The simulator's control API: simulated tenants, faults, create_app and the journal.

use crate::helpers::{TENANT_GLOBEX, TestApp, sub_path};
use axum::http::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn a_created_tenant_holds_its_licenses_faults_and_initial_domain() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    let created = app
        .post(
            "/sim/v1/tenants",
            &token,
            json!({"name": "Contoso Ltd.", "licenses": {"STANDARDPACK": 2, "ENTERPRISEPACK": 0}, "faults": ["mfa_enabled"]}),
        )
        .await;
    assert_eq!(
        created.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&created.bytes)
    );
    let tenant = created.json();
    assert_eq!(tenant["initialDomain"], "contosoltd.onmicrosoft.com");
    assert_eq!(tenant["faults"], json!(["mfa_enabled"]));
    assert_eq!(
        tenant["licenses"],
        json!([
            {"skuPartNumber": "ENTERPRISEPACK", "prepaidUnits": 0, "consumedUnits": 0},
            {"skuPartNumber": "STANDARDPACK", "prepaidUnits": 2, "consumedUnits": 0}
        ])
    );
    let id = tenant["msTenantId"].as_str().unwrap();
    let read = app.get(&format!("/sim/v1/tenants/{id}"), &token).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.json(), tenant);
    let list = app.get("/sim/v1/tenants", &token).await.json();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|t| t["msTenantId"] == id),
        "{list}"
    );
}

#[tokio::test]
async fn a_tenant_id_can_be_chosen_once() {
    let app = TestApp::start().await;
    let token = app.login("group.admin").await;
    let body = json!({"msTenantId": "0F6E2A4C-1B3D-4E5F-9A8B-7C6D5E4F3A2B", "name": "Fabrikam"});
    let created = app
        .post("/sim/v1/tenants", &token, body.clone())
        .await
        .json();
    assert_eq!(
        created["msTenantId"],
        "0f6e2a4c-1b3d-4e5f-9a8b-7c6d5e4f3a2b"
    );
    assert_eq!(created["licenses"][0]["skuPartNumber"], "ENTERPRISEPREMIUM");
    app.post("/sim/v1/tenants", &token, body)
        .await
        .assert_problem(409, "sim_tenant_exists");
}

#[tokio::test]
async fn bad_tenant_input_is_refused_and_nothing_is_written() {
    let app = TestApp::start().await;
    let token = app.login("group.admin").await;
    let before = app.get("/sim/v1/tenants", &token).await.json();
    app.post("/sim/v1/tenants", &token, json!({"name": "  "}))
        .await
        .assert_problem(400, "validation_failed");
    app.post(
        "/sim/v1/tenants",
        &token,
        json!({"name": "X", "faults": ["meteor_strike"]}),
    )
    .await
    .assert_problem(400, "invalid_body");
    app.post(
        "/sim/v1/tenants",
        &token,
        json!({"name": "X", "licenses": {"E9": 1}}),
    )
    .await
    .assert_problem(400, "invalid_body");
    app.post(
        "/sim/v1/tenants",
        &token,
        json!({"name": "X", "msTenantId": "nope"}),
    )
    .await
    .assert_problem(400, "validation_failed");
    assert_eq!(app.get("/sim/v1/tenants", &token).await.json(), before);
    app.get("/sim/v1/tenants/not-a-guid", &token)
        .await
        .assert_problem(400, "invalid_path_parameter");
    app.get(
        "/sim/v1/tenants/0f6e2a4c-1b3d-4e5f-9a8b-7c6d5e4f3a2b",
        &token,
    )
    .await
    .assert_problem(404, "not_found");
}

#[tokio::test]
async fn faults_are_switched_on_and_off() {
    let app = TestApp::start().await;
    let token = app.login("beta.admin").await;
    let id = app
        .post("/sim/v1/tenants", &token, json!({"name": "Tailspin"}))
        .await
        .json()["msTenantId"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/sim/v1/tenants/{id}/faults");
    let on = app
        .call(
            Method::PUT,
            &path,
            Some(&token),
            Some(json!({"faults": ["no_free_license", "graph_throttling"]})),
        )
        .await;
    assert_eq!(on.status, StatusCode::OK);
    assert_eq!(
        on.json()["faults"],
        json!(["no_free_license", "graph_throttling"])
    );
    let off = app
        .call(
            Method::PUT,
            &path,
            Some(&token),
            Some(json!({"faults": []})),
        )
        .await;
    assert_eq!(off.json()["faults"], json!([]));
}

#[tokio::test]
async fn running_create_app_mints_credentials_that_msteams_applications_accepts() {
    let app = TestApp::start().await;
    let token = app.login("alpha.admin").await;
    let id = app
        .post("/sim/v1/tenants", &token, json!({"name": "Globex MS"}))
        .await
        .json()["msTenantId"]
        .as_str()
        .unwrap()
        .to_owned();
    let first = app
        .call(
            Method::POST,
            &format!("/sim/v1/tenants/{id}/create_app"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(first.status, StatusCode::OK);
    let minted = first.json();
    assert_eq!(minted["msTeamsTenantId"], id.as_str());
    let secret = minted["secret"].as_str().unwrap();
    assert_eq!(secret.len(), 40);

    // Running the script again reuses the application and adds a second secret.
    let second = app
        .call(
            Method::POST,
            &format!("/sim/v1/tenants/{id}/create_app"),
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(second["applicationId"], minted["applicationId"]);
    assert_ne!(second["secret"], minted["secret"]);
    let detail = app.get(&format!("/sim/v1/tenants/{id}"), &token).await;
    let applications = &detail.json()["applications"];
    assert_eq!(applications.as_array().unwrap().len(), 1);
    assert_eq!(applications[0]["secrets"].as_array().unwrap().len(), 2);
    assert!(
        !String::from_utf8_lossy(&detail.bytes).contains(secret),
        "the simulator never shows a secret again"
    );

    let stored = app
        .post(
            &sub_path(TENANT_GLOBEX, 3, "msteams/applications"),
            &token,
            json!({"msTeamsTenantId": minted["msTeamsTenantId"], "applicationId": minted["applicationId"], "secret": secret}),
        )
        .await;
    assert_eq!(stored.status, StatusCode::NO_CONTENT);

    let journal = app
        .get(&format!("/sim/v1/tenants/{id}/journal"), &token)
        .await
        .json();
    let operations: Vec<&str> = journal
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["operation"].as_str().unwrap())
        .collect();
    assert_eq!(
        operations,
        [
            "POST /applications/{id}/addPassword",
            "GET /applications",
            "POST /applications/{id}/addPassword",
            "POST /servicePrincipals/{id}/appRoleAssignments",
            "POST /servicePrincipals",
            "POST /applications",
        ]
    );
    let limited = app
        .get(&format!("/sim/v1/tenants/{id}/journal?limit=2"), &token)
        .await
        .json();
    assert_eq!(limited.as_array().unwrap().len(), 2);
    app.get(&format!("/sim/v1/tenants/{id}/journal?limit=0"), &token)
        .await
        .assert_problem(400, "invalid_query_parameter");
}

#[tokio::test]
async fn only_administrators_with_the_simulator_role_may_use_it() {
    let app = TestApp::start().await;
    for username in ["acme.admin", "readonly"] {
        let token = app.login(username).await;
        app.get("/sim/v1/tenants", &token)
            .await
            .assert_problem(403, "forbidden");
        app.post("/sim/v1/tenants", &token, json!({"name": "Nope"}))
            .await
            .assert_problem(403, "forbidden");
    }
    app.call(Method::GET, "/sim/v1/tenants", None, None)
        .await
        .assert_problem(401, "unauthenticated");
    let token = app.login("distributor.admin").await;
    assert_eq!(
        app.get("/sim/v1/tenants", &token).await.status,
        StatusCode::OK
    );
    app.get("/sim/v1/nothing", &token)
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn the_demo_has_a_healthy_simulated_tenant_and_one_per_fault() {
    let app = TestApp::start().await;
    let token = app.login("group.admin").await;
    let list = app.get("/sim/v1/tenants", &token).await.json();
    let tenants = list.as_array().unwrap();
    assert!(
        tenants
            .iter()
            .any(|t| t["name"] == "Contoso" && t["faults"] == json!([]))
    );
    for fault in [
        "mfa_enabled",
        "no_free_license",
        "txt_never_propagates",
        "secret_expired",
        "secret_wrong",
        "graph_throttling",
        "replication_lag",
    ] {
        assert!(
            tenants.iter().any(|t| t["faults"] == json!([fault])),
            "no tenant with {fault}: {list}"
        );
    }
    // The MS tenants of the onboarded demo subscriptions exist in the simulator too.
    let acme = app
        .get(
            "/sim/v1/tenants/27b418d0-b197-483d-a0b8-da90407a92c4",
            &token,
        )
        .await;
    assert_eq!(acme.status, StatusCode::OK);
}

#[tokio::test]
async fn tenants_with_the_same_name_get_distinct_initial_domains() {
    let app = TestApp::start().await;
    let token = app.login("group.admin").await;
    let mut domains = Vec::new();
    for id in [
        "a1000000-0000-4000-8000-0000000000f1",
        "a1000000-0000-4000-8000-0000000000f2",
    ] {
        let created = app
            .post(
                "/sim/v1/tenants",
                &token,
                json!({"msTenantId": id, "name": "Contoso"}),
            )
            .await;
        assert_eq!(
            created.status,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&created.bytes)
        );
        domains.push(created.json()["initialDomain"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        domains,
        ["contoso2.onmicrosoft.com", "contoso3.onmicrosoft.com"]
    );
}

#[tokio::test]
async fn malformed_simulator_paths_get_problems() {
    let app = TestApp::start().await;
    let token = app.login("group.admin").await;
    app.get("/sim/v1/tenants/%FF", &token)
        .await
        .assert_problem(400, "invalid_path_parameter");
    app.get("/sim/v1/", &token)
        .await
        .assert_problem(404, "not_found");
    app.get(
        "/sim/v1/tenants/a1000000-0000-4000-8000-000000000001/journal?limit=%FF",
        &token,
    )
    .await
    .assert_problem(400, "invalid_query_parameter");
}
