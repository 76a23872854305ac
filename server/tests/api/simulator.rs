//! The simulator's control API: simulated tenants, faults, create_app and the journal.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    ACME_MS_TENANT, CONTOSO, GLOBEX_TEAMS, SIM_TENANTS, TestApp, application, sim_path,
};

/// `POST /sim/v1/tenants` with this body (must be 201): the tenant.
async fn created(app: &TestApp, token: &str, body: Value) -> Value {
    app.post(SIM_TENANTS, token, body)
        .await
        .assert_status(StatusCode::CREATED)
        .json()
}

#[tokio::test]
async fn a_created_tenant_holds_its_licenses_faults_and_initial_domain() {
    let (app, token) = TestApp::signed_in("alpha.admin").await;
    let licenses = json!({"STANDARDPACK": 2, "ENTERPRISEPACK": 0});
    let body = json!({"name": "Contoso Ltd.", "licenses": licenses, "faults": ["mfa_enabled"]});
    let tenant = created(&app, &token, body).await;
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
    let read = app.get_sim_tenant(&token, id).await;
    assert_eq!(read.assert_status(StatusCode::OK).json(), tenant);
    let list = app.get(SIM_TENANTS, &token).await.json();
    let listed = list
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["msTenantId"] == id);
    assert!(listed, "{list}");
}

#[tokio::test]
async fn a_tenant_id_can_be_chosen_once() {
    let (app, token) = TestApp::signed_in("group.admin").await;
    let body = json!({"msTenantId": "0F6E2A4C-1B3D-4E5F-9A8B-7C6D5E4F3A2B", "name": "Fabrikam"});
    let tenant = app.post(SIM_TENANTS, &token, body.clone()).await.json();
    assert_eq!(tenant["msTenantId"], "0f6e2a4c-1b3d-4e5f-9a8b-7c6d5e4f3a2b");
    assert_eq!(tenant["licenses"][0]["skuPartNumber"], "ENTERPRISEPREMIUM");
    let refused = app.post(SIM_TENANTS, &token, body).await;
    refused.assert_problem(409, "sim_tenant_exists");
}

#[tokio::test]
async fn bad_tenant_input_is_refused_and_nothing_is_written() {
    let (app, token) = TestApp::signed_in("group.admin").await;
    let before = app.get(SIM_TENANTS, &token).await.json();
    let refused = [
        (json!({"name": "  "}), "validation_failed"),
        (
            json!({"name": "X", "faults": ["meteor_strike"]}),
            "invalid_body",
        ),
        (json!({"name": "X", "licenses": {"E9": 1}}), "invalid_body"),
        (
            json!({"name": "X", "msTenantId": "nope"}),
            "validation_failed",
        ),
    ];
    for (body, code) in refused {
        let response = app.post(SIM_TENANTS, &token, body).await;
        response.assert_problem(400, code);
    }
    assert_eq!(app.get(SIM_TENANTS, &token).await.json(), before);
    app.get_sim_tenant(&token, "not-a-guid")
        .await
        .assert_problem(400, "invalid_path_parameter");
    app.get_sim_tenant(&token, "0f6e2a4c-1b3d-4e5f-9a8b-7c6d5e4f3a2b")
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn faults_are_switched_on_and_off() {
    let (app, token) = TestApp::signed_in("beta.admin").await;
    let id = created(&app, &token, json!({"name": "Tailspin"})).await;
    let id = id["msTenantId"].as_str().unwrap();
    let faults = ["no_free_license", "graph_throttling"];
    let on = app.put_sim_faults(&token, id, &faults).await;
    assert_eq!(
        on.assert_status(StatusCode::OK).json()["faults"],
        json!(faults)
    );
    let off = app.put_sim_faults(&token, id, &[]).await;
    assert_eq!(off.json()["faults"], json!([]));
}

#[tokio::test]
async fn running_create_app_mints_credentials_that_msteams_applications_accepts() {
    let (app, token) = TestApp::signed_in("alpha.admin").await;
    let id = created(&app, &token, json!({"name": "Globex MS"})).await;
    let id = id["msTenantId"].as_str().unwrap().to_owned();
    let first = app.post_sim_create_app(&token, &id).await;
    let minted = first.assert_status(StatusCode::OK).json();
    assert_eq!(minted["msTeamsTenantId"], id.as_str());
    let secret = minted["secret"].as_str().unwrap();
    assert_eq!(secret.len(), 40);

    // Running the script again reuses the application and adds a second secret.
    let second = app.post_sim_create_app(&token, &id).await.json();
    assert_eq!(second["applicationId"], minted["applicationId"]);
    assert_ne!(second["secret"], minted["secret"]);
    let detail = app.get_sim_tenant(&token, &id).await;
    let applications = &detail.json()["applications"];
    assert_eq!(applications.as_array().unwrap().len(), 1);
    assert_eq!(applications[0]["secrets"].as_array().unwrap().len(), 2);
    assert!(
        !detail.text().contains(secret),
        "the simulator never shows a secret again"
    );

    let application_id = minted["applicationId"].as_str().unwrap();
    let body = application(&id, application_id, secret);
    let answer = app.post_applications(&token, GLOBEX_TEAMS, body).await;
    answer.assert_status(StatusCode::NO_CONTENT);

    let journal = app.get(&sim_path(&id, "/journal"), &token).await.json();
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
    let limited = app.get(&sim_path(&id, "/journal?limit=2"), &token).await;
    assert_eq!(limited.json().as_array().unwrap().len(), 2);
    let refused = app.get(&sim_path(&id, "/journal?limit=0"), &token).await;
    refused.assert_problem(400, "invalid_query_parameter");
}

#[tokio::test]
async fn only_administrators_with_the_simulator_role_may_use_it() {
    let app = TestApp::start().await;
    for username in ["acme.admin", "readonly"] {
        let token = app.login(username).await;
        let refused = app.get(SIM_TENANTS, &token).await;
        refused.assert_problem(403, "forbidden");
        let refused = app.post(SIM_TENANTS, &token, json!({"name": "Nope"})).await;
        refused.assert_problem(403, "forbidden");
    }
    let refused = app.call(Method::GET, SIM_TENANTS, None, None).await;
    refused.assert_problem(401, "unauthenticated");
    let token = app.login("distributor.admin").await;
    let answer = app.get(SIM_TENANTS, &token).await;
    answer.assert_status(StatusCode::OK);
    let refused = app.get("/sim/v1/nothing", &token).await;
    refused.assert_problem(404, "not_found");
}

#[tokio::test]
async fn the_demo_has_a_healthy_simulated_tenant_and_one_per_fault() {
    let (app, token) = TestApp::signed_in("group.admin").await;
    let list = app.get(SIM_TENANTS, &token).await.json();
    let tenants = list.as_array().unwrap();
    let healthy = |t: &&Value| t["name"] == "Contoso" && t["faults"] == json!([]);
    assert!(tenants.iter().any(|t| healthy(&t)));
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
    let answer = app.get_sim_tenant(&token, ACME_MS_TENANT).await;
    answer.assert_status(StatusCode::OK);
}

#[tokio::test]
async fn tenants_with_the_same_name_get_distinct_initial_domains() {
    let (app, token) = TestApp::signed_in("group.admin").await;
    let mut domains = Vec::new();
    for id in [
        "a1000000-0000-4000-8000-0000000000f1",
        "a1000000-0000-4000-8000-0000000000f2",
    ] {
        let tenant = created(&app, &token, json!({"msTenantId": id, "name": "Contoso"})).await;
        domains.push(tenant["initialDomain"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        domains,
        ["contoso2.onmicrosoft.com", "contoso3.onmicrosoft.com"]
    );
}

#[tokio::test]
async fn malformed_simulator_paths_get_problems() {
    let (app, token) = TestApp::signed_in("group.admin").await;
    let cases = [
        (sim_path("%FF", ""), 400, "invalid_path_parameter"),
        ("/sim/v1/".to_owned(), 404, "not_found"),
        (
            sim_path(CONTOSO, "/journal?limit=%FF"),
            400,
            "invalid_query_parameter",
        ),
    ];
    for (path, status, code) in cases {
        app.get(&path, &token).await.assert_problem(status, code);
    }
}
