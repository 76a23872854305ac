//! The role matrix: every endpoint answers 403 to an administrator missing its role,
//! and 2xx to one holding it, whatever else the profile holds.

use crate::helpers::{AdminLevel, TENANT_ACME, TENANT_GLOBEX, TestApp, sub_path};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use server::{domain::roles, seed::GROUP};

/// One endpoint, with a request that succeeds on the demo data for an admin at group level.
struct Endpoint {
    role: &'static str,
    method: Method,
    path: String,
    body: Option<Value>,
    success: StatusCode,
}

fn endpoint(
    role: &'static str,
    method: Method,
    path: String,
    body: Option<Value>,
    success: StatusCode,
) -> Endpoint {
    Endpoint {
        role,
        method,
        path,
        body,
        success,
    }
}

fn applications() -> Endpoint {
    endpoint(
        roles::APPLICATIONS_CREATE,
        Method::POST,
        sub_path(TENANT_GLOBEX, 3, "msteams/applications"),
        Some(json!({
            "msTeamsTenantId": "6f1d2c3b-4a59-4e68-9d7c-8b9a0f1e2d3c",
            "applicationId": "d46e9288-2029-4fd1-ac7b-f20749e61251",
            "secret": "L4y8Q~DfIwfxqPdinI5mOWWdq4YA9Pk9xaFMyboC",
        })),
        StatusCode::NO_CONTENT,
    )
}

fn store_admin() -> Endpoint {
    endpoint(
        roles::ADMINISTRATOR_UPDATE,
        Method::POST,
        sub_path(TENANT_GLOBEX, 3, "msteams/admins"),
        Some(json!({"msUsername": "admin@globex.onmicrosoft.com", "msPassword": "S0me-Password"})),
        StatusCode::NO_CONTENT,
    )
}

/// The demo's MS Teams tenant rows are numbered in seeding order: 1 for subscription 1,
/// 2 for subscription 4 (Globex Teams Lab), 3 for subscription 5.
fn remove_admin() -> Endpoint {
    endpoint(
        roles::ADMINISTRATOR_UPDATE,
        Method::DELETE,
        sub_path(TENANT_GLOBEX, 4, "msteams/admins"),
        Some(json!({"id": 2, "msUsername": "admin@globex-lab.onmicrosoft.com"})),
        StatusCode::NO_CONTENT,
    )
}

fn read_admin() -> Endpoint {
    endpoint(
        roles::ADMINISTRATOR_READ,
        Method::GET,
        sub_path(TENANT_GLOBEX, 4, "msteams/admins"),
        None,
        StatusCode::OK,
    )
}

fn create_app() -> Endpoint {
    endpoint(
        roles::DOWNLOAD_CREATE_APP,
        Method::POST,
        sub_path(TENANT_ACME, 1, "downloads/create_app"),
        None,
        StatusCode::OK,
    )
}

fn reset_secret() -> Endpoint {
    endpoint(
        roles::SECRET_RESET,
        Method::POST,
        sub_path(TENANT_ACME, 1, "msteams/reset_secret"),
        Some(
            json!({"applicationId": "c035894c-81c3-49aa-8e3e-f245d9b30000", "secret": "L4y8Q~DfIwfxqPdinI5mOWWdq4YA9Pk9xaFMyboC"}),
        ),
        StatusCode::NO_CONTENT,
    )
}

fn unlink() -> Endpoint {
    endpoint(
        roles::UNLINK,
        Method::POST,
        sub_path(TENANT_GLOBEX, 4, "msteams/unlink"),
        None,
        StatusCode::NO_CONTENT,
    )
}

fn sources() -> Endpoint {
    endpoint(
        roles::SOURCE_LIST,
        Method::GET,
        sub_path(TENANT_GLOBEX, 3, "msteams/sources"),
        None,
        StatusCode::OK,
    )
}

fn link() -> Endpoint {
    endpoint(
        roles::LINK,
        Method::POST,
        sub_path(TENANT_GLOBEX, 3, "msteams/link"),
        Some(json!({"subscriptionId": 1})),
        StatusCode::NO_CONTENT,
    )
}

fn status() -> Endpoint {
    endpoint(
        roles::STATUS_READ,
        Method::GET,
        sub_path(TENANT_ACME, 1, "msteams/status"),
        None,
        StatusCode::OK,
    )
}

fn tenants() -> Endpoint {
    endpoint(
        roles::TENANTS_LIST,
        Method::GET,
        "/api/v01/draas/demo/tenants".into(),
        None,
        StatusCode::OK,
    )
}

fn subscriptions() -> Endpoint {
    endpoint(
        roles::SUBSCRIPTIONS_LIST,
        Method::GET,
        format!("/api/v01/draas/demo/tenants/{TENANT_ACME}/subscriptions"),
        None,
        StatusCode::OK,
    )
}

fn tenant() -> Endpoint {
    endpoint(
        roles::TENANT_READ,
        Method::GET,
        format!("/api/v01/draas/demo/tenants/{TENANT_ACME}"),
        None,
        StatusCode::OK,
    )
}

fn subscription() -> Endpoint {
    endpoint(
        roles::SUBSCRIPTION_READ,
        Method::GET,
        format!("/api/v01/draas/demo/tenants/{TENANT_ACME}/subscriptions/1"),
        None,
        StatusCode::OK,
    )
}

fn partner_list(role: &'static str, list: &str) -> Endpoint {
    endpoint(
        role,
        Method::GET,
        format!("/api/v01/draas/demo/{list}"),
        None,
        StatusCode::OK,
    )
}

fn groups() -> Endpoint {
    partner_list(roles::GROUPS_LIST, "groups")
}

fn distributors() -> Endpoint {
    partner_list(roles::DISTRIBUTORS_LIST, "distributors")
}

fn resellers() -> Endpoint {
    partner_list(roles::RESELLERS_LIST, "resellers")
}

fn update_vrp() -> Endpoint {
    endpoint(
        roles::UPDATE_VRP,
        Method::PUT,
        sub_path(TENANT_ACME, 1, "msteams/update_vrp"),
        None,
        StatusCode::OK,
    )
}

fn simulator_tenants() -> Endpoint {
    endpoint(
        roles::SIMULATOR_MANAGE,
        Method::GET,
        "/sim/v1/tenants".into(),
        None,
        StatusCode::OK,
    )
}

fn every_endpoint() -> Vec<Endpoint> {
    vec![
        applications(),
        store_admin(),
        remove_admin(),
        read_admin(),
        create_app(),
        reset_secret(),
        unlink(),
        sources(),
        link(),
        status(),
        tenants(),
        subscriptions(),
        tenant(),
        subscription(),
        groups(),
        distributors(),
        resellers(),
        update_vrp(),
        simulator_tenants(),
    ]
}

async fn call(app: &TestApp, endpoint: &Endpoint, token: &str) -> crate::helpers::TestResponse {
    app.call(
        endpoint.method.clone(),
        &endpoint.path,
        Some(token),
        endpoint.body.clone(),
    )
    .await
}

/// An admin with every role but the endpoint's gets 403 and changes nothing; an admin
/// with only the endpoint's role gets the success status.
async fn assert_role_gates(endpoint: Endpoint) {
    let app = TestApp::start().await;
    let all_but: Vec<&str> = roles::ALL
        .iter()
        .copied()
        .filter(|role| *role != endpoint.role)
        .collect();
    assert_eq!(all_but.len(), roles::ALL.len() - 1);
    let without = app
        .admin_with_roles("lacks.one.role", AdminLevel::Group, GROUP, &all_but)
        .await;
    let only = app
        .admin_with_roles("has.one.role", AdminLevel::Group, GROUP, &[endpoint.role])
        .await;

    let before = app.snapshot().await;
    let refused = call(&app, &endpoint, &without).await;
    let problem = refused.assert_problem(403, "forbidden");
    assert!(
        problem["detail"].as_str().unwrap().contains(endpoint.role),
        "{problem}"
    );
    assert_eq!(
        app.snapshot().await,
        before,
        "a refused {} {} wrote to the database",
        endpoint.method,
        endpoint.path
    );

    let allowed = call(&app, &endpoint, &only).await;
    assert_eq!(
        allowed.status,
        endpoint.success,
        "{} {} with only {}: {}",
        endpoint.method,
        endpoint.path,
        endpoint.role,
        String::from_utf8_lossy(&allowed.bytes)
    );
}

#[tokio::test]
async fn applications_need_the_applications_create_role() {
    assert_role_gates(applications()).await;
}

#[tokio::test]
async fn storing_the_administrator_needs_the_administrator_update_role() {
    assert_role_gates(store_admin()).await;
}

#[tokio::test]
async fn removing_the_administrator_needs_the_administrator_update_role() {
    assert_role_gates(remove_admin()).await;
}

#[tokio::test]
async fn reading_the_administrator_needs_the_administrator_read_role() {
    assert_role_gates(read_admin()).await;
}

#[tokio::test]
async fn create_app_needs_the_downloads_create_app_role() {
    assert_role_gates(create_app()).await;
}

#[tokio::test]
async fn reset_secret_needs_the_secret_reset_role() {
    assert_role_gates(reset_secret()).await;
}

#[tokio::test]
async fn unlink_needs_the_unlink_role() {
    assert_role_gates(unlink()).await;
}

#[tokio::test]
async fn sources_need_the_source_list_role() {
    assert_role_gates(sources()).await;
}

#[tokio::test]
async fn link_needs_the_link_role() {
    assert_role_gates(link()).await;
}

#[tokio::test]
async fn status_needs_the_status_read_role() {
    assert_role_gates(status()).await;
}

#[tokio::test]
async fn the_tenant_list_needs_the_tenants_list_role() {
    assert_role_gates(tenants()).await;
}

#[tokio::test]
async fn the_subscription_list_needs_the_subscriptions_list_role() {
    assert_role_gates(subscriptions()).await;
}

#[tokio::test]
async fn get_one_tenant_and_subscription_need_their_read_roles() {
    assert_role_gates(tenant()).await;
    assert_role_gates(subscription()).await;
}

#[tokio::test]
async fn the_group_distributor_and_reseller_lists_need_their_list_roles() {
    for endpoint in [groups(), distributors(), resellers()] {
        assert_role_gates(endpoint).await;
    }
}

#[tokio::test]
async fn update_vrp_needs_the_update_vrp_role() {
    assert_role_gates(update_vrp()).await;
}

#[tokio::test]
async fn the_simulator_needs_the_simulator_manage_role() {
    assert_role_gates(simulator_tenants()).await;
}

#[tokio::test]
async fn an_admin_without_any_role_is_refused_everywhere() {
    let app = TestApp::start().await;
    let token = app
        .admin_with_roles("no.roles", AdminLevel::Group, GROUP, &[])
        .await;
    let before = app.snapshot().await;
    for endpoint in every_endpoint() {
        call(&app, &endpoint, &token)
            .await
            .assert_problem(403, "forbidden");
    }
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn every_endpoint_needs_a_session() {
    let app = TestApp::start().await;
    let before = app.snapshot().await;
    for endpoint in every_endpoint() {
        let response = app
            .call(
                endpoint.method.clone(),
                &endpoint.path,
                None,
                endpoint.body.clone(),
            )
            .await;
        response.assert_problem(401, "unauthenticated");
    }
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn a_tenant_admin_may_not_list_sources_or_link() {
    let app = TestApp::start().await;
    let token = app.login("acme.admin").await;
    let before = app.snapshot().await;
    app.get(&sub_path(TENANT_ACME, 1, "msteams/sources"), &token)
        .await
        .assert_problem(403, "forbidden");
    app.post(
        &sub_path(TENANT_ACME, 2, "msteams/link"),
        &token,
        json!({"subscriptionId": 1}),
    )
    .await
    .assert_problem(403, "forbidden");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn a_tenant_admin_manages_its_own_subscription() {
    let app = TestApp::start().await;
    let token = app.login("acme.admin").await;
    assert_eq!(
        app.get(&sub_path(TENANT_ACME, 1, "msteams/status"), &token)
            .await
            .status,
        StatusCode::OK
    );
    let update = app
        .post(
            &sub_path(TENANT_ACME, 1, "msteams/applications"),
            &token,
            json!({"applicationId": "d46e9288-2029-4fd1-ac7b-f20749e61251", "secret": "L4y8Q~DfIwfxqPdinI5mOWWdq4YA9Pk9xaFMyboC"}),
        )
        .await;
    assert_eq!(update.status, StatusCode::NO_CONTENT);
    let credentials = app
        .post(
            &sub_path(TENANT_ACME, 1, "msteams/admins"),
            &token,
            json!({"msUsername": "admin@acme.onmicrosoft.com", "msPassword": "S0me-Password"}),
        )
        .await;
    assert_eq!(credentials.status, StatusCode::NO_CONTENT);
    let administrator = app
        .get(&sub_path(TENANT_ACME, 1, "msteams/admins"), &token)
        .await;
    assert_eq!(administrator.status, StatusCode::OK);
    let script = app
        .call(
            Method::POST,
            &sub_path(TENANT_ACME, 1, "downloads/create_app"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(script.status, StatusCode::OK);
    let list = app.get("/api/v01/draas/demo/tenants", &token).await;
    assert_eq!(list.status, StatusCode::OK);
}

#[tokio::test]
async fn a_tenant_level_admin_is_refused_sources_and_link_even_with_the_roles() {
    let app = TestApp::start().await;
    let token = app
        .admin_with_roles("acme.full", AdminLevel::Tenant, TENANT_ACME, roles::ALL)
        .await;
    let before = app.snapshot().await;
    let sources = app
        .get(&sub_path(TENANT_ACME, 1, "msteams/sources"), &token)
        .await;
    let problem = sources.assert_problem(403, "forbidden");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("group, distributor or reseller"),
        "{problem}"
    );
    app.post(
        &sub_path(TENANT_ACME, 2, "msteams/link"),
        &token,
        json!({"subscriptionId": 1}),
    )
    .await
    .assert_problem(403, "forbidden");
    assert_eq!(app.snapshot().await, before);
    // The same profile one level up may.
    let reseller = app
        .admin_with_roles(
            "alpha.full",
            AdminLevel::Reseller,
            server::seed::RESELLER_ALPHA,
            roles::ALL,
        )
        .await;
    assert_eq!(
        app.get(&sub_path(TENANT_ACME, 1, "msteams/sources"), &reseller)
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn read_only_is_refused_every_mutation_and_sources() {
    let app = TestApp::start().await;
    let token = app.login("readonly").await;
    let before = app.snapshot().await;
    for endpoint in [
        applications(),
        store_admin(),
        remove_admin(),
        create_app(),
        reset_secret(),
        unlink(),
        link(),
        sources(),
        update_vrp(),
        simulator_tenants(),
    ] {
        let response = call(&app, &endpoint, &token).await;
        let problem = response.assert_problem(403, "forbidden");
        assert!(
            problem["detail"].as_str().unwrap().contains(endpoint.role),
            "{problem}"
        );
    }
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn read_only_sees_status_the_administrator_and_the_lists() {
    let app = TestApp::start().await;
    let token = app.login("readonly").await;
    for endpoint in [
        status(),
        read_admin(),
        tenants(),
        subscriptions(),
        tenant(),
        subscription(),
        groups(),
        distributors(),
        resellers(),
    ] {
        let response = call(&app, &endpoint, &token).await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "{}: {}",
            endpoint.path,
            String::from_utf8_lossy(&response.bytes)
        );
    }
    let tenants = app.get("/api/v01/draas/demo/tenants", &token).await.json();
    assert_eq!(
        tenants["results"], 4,
        "read-only at group level sees the whole group: {tenants}"
    );
}

#[tokio::test]
async fn group_distributor_and_reseller_admins_reach_every_endpoint() {
    for username in ["group.admin", "distributor.admin", "alpha.admin"] {
        // A fresh database per call: applications, link and unlink each change what the
        // others would find.
        for endpoint in every_endpoint() {
            let app = TestApp::start().await;
            let token = app.login(username).await;
            let response = call(&app, &endpoint, &token).await;
            // Nothing above an admin's own node is in its tree: those lists are empty (404).
            let expected = match (username, endpoint.path.rsplit('/').next()) {
                ("distributor.admin", Some("groups"))
                | ("alpha.admin", Some("groups" | "distributors")) => StatusCode::NOT_FOUND,
                _ => endpoint.success,
            };
            assert_eq!(
                response.status,
                expected,
                "{username} {} {}: {}",
                endpoint.method,
                endpoint.path,
                String::from_utf8_lossy(&response.bytes)
            );
        }
    }
}
