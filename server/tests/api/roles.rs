//! The role matrix: every endpoint answers 403 to an administrator missing its role,
//! and 2xx to one holding it, whatever else the profile holds.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    ACME_ADMIN, ACME_SIP_TRUNK, ACME_TEAMS, AdminLevel, Failures, GLOBEX_LAB, GLOBEX_LAB_ADMIN,
    GLOBEX_TEAMS, GROUP, JsonBody, NEW_APPLICATION, NEW_SECRET, RESELLER_ALPHA, Role, SIM_TENANTS,
    Says, TENANT_ACME, TENANTS, TestApp, TestResponse, Url,
    Url::{Path, Sub, Tenant},
    admin_body, application_body, link_body, reset_secret_body,
};

/// One endpoint: the role it needs, whether the read-only profile holds that role, and a
/// request that succeeds on the demo data for an admin at group level (method, where,
/// body, and the success status).
type Endpoint = (Role, bool, Method, Url, Option<JsonBody>, StatusCode);

const OK: StatusCode = StatusCode::OK;
const NO_CONTENT: StatusCode = StatusCode::NO_CONTENT;

/// Every endpoint. The demo's MS Teams tenant rows are numbered in seeding order: 2 is
/// Globex Teams Lab's.
#[rustfmt::skip]
static ENDPOINTS: &[Endpoint] = &[
    (Role::ApplicationsCreate, false, Method::POST, Sub(GLOBEX_TEAMS, "msteams/applications"), Some(application_body), NO_CONTENT),
    (Role::AdministratorUpdate, false, Method::POST, Sub(GLOBEX_TEAMS, "msteams/admins"), Some(globex_admin), NO_CONTENT),
    (Role::AdministratorUpdate, false, Method::DELETE, Sub(GLOBEX_LAB, "msteams/admins"), Some(globex_lab_admin), NO_CONTENT),
    (Role::AdministratorRead, true, Method::GET, Sub(GLOBEX_LAB, "msteams/admins"), None, OK),
    (Role::DownloadCreateApp, false, Method::POST, Sub(ACME_TEAMS, "downloads/create_app"), None, OK),
    (Role::SecretReset, false, Method::POST, Sub(ACME_TEAMS, "msteams/reset_secret"), Some(reset_secret_body), NO_CONTENT),
    (Role::Unlink, false, Method::POST, Sub(GLOBEX_LAB, "msteams/unlink"), None, NO_CONTENT),
    (Role::SourceList, false, Method::GET, Sub(GLOBEX_TEAMS, "msteams/sources"), None, OK),
    (Role::Link, false, Method::POST, Sub(GLOBEX_TEAMS, "msteams/link"), Some(|| link_body(1)), NO_CONTENT),
    (Role::StatusRead, true, Method::GET, Sub(ACME_TEAMS, "msteams/status"), None, OK),
    (Role::TenantsList, true, Method::GET, Path(TENANTS), None, OK),
    (Role::SubscriptionsList, true, Method::GET, Tenant(TENANT_ACME, "/subscriptions"), None, OK),
    (Role::TenantRead, true, Method::GET, Tenant(TENANT_ACME, ""), None, OK),
    (Role::SubscriptionRead, true, Method::GET, Sub(ACME_TEAMS, ""), None, OK),
    (Role::GroupsList, true, Method::GET, Path("/api/v01/draas/demo/groups"), None, OK),
    (Role::DistributorsList, true, Method::GET, Path("/api/v01/draas/demo/distributors"), None, OK),
    (Role::ResellersList, true, Method::GET, Path("/api/v01/draas/demo/resellers"), None, OK),
    (Role::UpdateVrp, false, Method::PUT, Sub(ACME_TEAMS, "msteams/update_vrp"), None, OK),
    (Role::SimulatorManage, false, Method::GET, Path(SIM_TENANTS), None, OK),
];

fn globex_admin() -> Value {
    admin_body("admin@globex.onmicrosoft.com")
}

fn globex_lab_admin() -> Value {
    json!({"id": 2, "msUsername": GLOBEX_LAB_ADMIN})
}

/// "METHOD path", to name the case.
fn name((_, _, method, url, _, _): &Endpoint) -> String {
    format!("{method} {}", url.path())
}

async fn call(app: &TestApp, endpoint: &Endpoint, token: Option<&str>) -> TestResponse {
    let (_, _, method, url, body, _) = endpoint;
    let body = body.map(|body| body());
    app.call(method.clone(), &url.path(), token, body).await
}

/// The role's name is in the refusal's detail.
fn names_the_role(problem: &Value, role: Role) -> Result<(), String> {
    match problem["detail"].as_str() {
        Some(detail) if detail.contains(role.as_str()) => Ok(()),
        _ => Err(format!("the refusal does not name {role}: {problem}")),
    }
}

/// For each endpoint, on a database of its own (a success changes what the next would
/// find): an admin with every role but the endpoint's gets 403 naming it and changes
/// nothing; an admin with only the endpoint's role gets the success status.
#[tokio::test]
async fn every_endpoint_is_refused_without_its_role_and_answers_with_only_that_role() {
    assert_eq!(ENDPOINTS.len(), 19);
    let mut failures = Failures::default();
    for endpoint in ENDPOINTS {
        let &(role, _, _, _, _, success) = endpoint;
        let case = name(endpoint);
        let app = TestApp::start().await;
        let all_but: Vec<Role> = Role::ALL
            .iter()
            .copied()
            .filter(|other| *other != role)
            .collect();
        assert_eq!(all_but.len(), Role::ALL.len() - 1);
        let level = AdminLevel::Group;
        let without = app
            .admin_with_roles("lacks.one.role", level, GROUP, &all_but)
            .await;
        let only = app
            .admin_with_roles("has.one.role", level, GROUP, &[role])
            .await;

        let before = app.snapshot().await;
        let refused = call(&app, endpoint, Some(&without)).await;
        if let Some(problem) = failures.check(&case, refused.check_problem(403, "forbidden")) {
            failures.check(&case, names_the_role(&problem, role));
        }
        let unchanged = app.snapshot().await == before;
        failures.expect(&case, unchanged, "a refusal wrote to the database");

        let allowed = call(&app, endpoint, Some(&only)).await;
        let with_only = format!("with only {role}");
        failures.check(with_only, allowed.check_status(success));
    }
    failures.assert_none();
}

#[tokio::test]
async fn an_admin_without_any_role_is_refused_everywhere() {
    let app = TestApp::start().await;
    let token = app
        .admin_with_roles("no.roles", AdminLevel::Group, GROUP, &[])
        .await;
    let before = app.snapshot().await;
    let mut failures = Failures::default();
    for endpoint in ENDPOINTS {
        let refused = call(&app, endpoint, Some(&token)).await;
        failures.check(name(endpoint), refused.check_problem(403, "forbidden"));
    }
    failures.assert_none();
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn every_endpoint_needs_a_session() {
    let app = TestApp::start().await;
    let before = app.snapshot().await;
    let mut failures = Failures::default();
    for endpoint in ENDPOINTS {
        let refused = call(&app, endpoint, None).await;
        failures.check(
            name(endpoint),
            refused.check_problem(401, "unauthenticated"),
        );
    }
    failures.assert_none();
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn a_tenant_admin_manages_its_own_subscription() {
    let (app, token) = TestApp::signed_in("acme.admin").await;
    let answer = app.get_status(&token, ACME_TEAMS).await;
    answer.assert_status(StatusCode::OK);
    let update = json!({"applicationId": NEW_APPLICATION, "secret": NEW_SECRET});
    let answer = app.post_applications(&token, ACME_TEAMS, update).await;
    answer.assert_status(NO_CONTENT);
    app.post_admins(&token, ACME_TEAMS, admin_body(ACME_ADMIN))
        .await
        .assert_status(NO_CONTENT);
    app.get_admins(&token, ACME_TEAMS).await.assert_status(OK);
    let answer = app.download_create_app(&token, ACME_TEAMS).await;
    answer.assert_status(OK);
    app.get(TENANTS, &token).await.assert_status(OK);
}

#[tokio::test]
async fn a_tenant_admin_may_not_list_sources_or_link() {
    let (app, token) = TestApp::signed_in("acme.admin").await;
    let before = app.snapshot().await;
    let refused = app.get_sources(&token, ACME_TEAMS).await;
    refused.assert_problem(403, "forbidden");
    let refused = app.post_link(&token, ACME_SIP_TRUNK, 1).await;
    refused.assert_problem(403, "forbidden");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn a_tenant_level_admin_is_refused_sources_and_link_even_with_the_roles() {
    let app = TestApp::start().await;
    let token = app
        .admin_with_roles("acme.full", AdminLevel::Tenant, TENANT_ACME, Role::ALL)
        .await;
    let before = app.snapshot().await;
    let sources = app.get_sources(&token, ACME_TEAMS).await;
    sources.assert_refusal(
        403,
        "forbidden",
        Says::Contains("group, distributor or reseller"),
    );
    let refused = app.post_link(&token, ACME_SIP_TRUNK, 1).await;
    refused.assert_problem(403, "forbidden");
    assert_eq!(app.snapshot().await, before);
    // The same profile one level up may.
    let level = AdminLevel::Reseller;
    let reseller = app
        .admin_with_roles("alpha.full", level, RESELLER_ALPHA, Role::ALL)
        .await;
    let answer = app.get_sources(&reseller, ACME_TEAMS).await;
    answer.assert_status(OK);
}

/// The read-only profile may read (status, the administrator, the lists) and nothing
/// else: every other endpoint is refused naming its role, and nothing changes.
#[tokio::test]
async fn read_only_reads_and_is_refused_every_mutation_and_sources() {
    let (app, token) = TestApp::signed_in("readonly").await;
    let before = app.snapshot().await;
    let mut failures = Failures::default();
    for endpoint in ENDPOINTS {
        let response = call(&app, endpoint, Some(&token)).await;
        let &(role, read_only, ..) = endpoint;
        if read_only {
            failures.check(name(endpoint), response.check_status(OK));
        } else if let Some(problem) =
            failures.check(name(endpoint), response.check_problem(403, "forbidden"))
        {
            failures.check(name(endpoint), names_the_role(&problem, role));
        }
    }
    failures.assert_none();
    assert_eq!(app.snapshot().await, before);
    let tenants = app.get(TENANTS, &token).await.json();
    assert_eq!(
        tenants["results"], 4,
        "read-only at group level sees the whole group: {tenants}"
    );
}

#[tokio::test]
async fn group_distributor_and_reseller_admins_reach_every_endpoint() {
    let mut failures = Failures::default();
    for username in ["group.admin", "distributor.admin", "alpha.admin"] {
        // A fresh database per call: applications, link and unlink each change what the
        // others would find.
        for endpoint in ENDPOINTS {
            let app = TestApp::start().await;
            let token = app.login(username).await;
            let response = call(&app, endpoint, Some(&token)).await;
            // Nothing above an admin's own node is in its tree: those lists are empty (404).
            let &(.., ref url, _, success) = endpoint;
            let path = url.path();
            let expected = match (username, path.rsplit('/').next()) {
                ("distributor.admin", Some("groups"))
                | ("alpha.admin", Some("groups" | "distributors")) => StatusCode::NOT_FOUND,
                _ => success,
            };
            let case = format!("{username} {}", name(endpoint));
            failures.check(case, response.check_status(expected));
        }
    }
    failures.assert_none();
}
