//! The tree of authority: an administrator sees and changes only its own node and what
//! lies below it. Anything else answers 404, exactly like something that does not exist.
//!
//! Demo tree: Netaxis Group > Benelux Distribution > Alpha Telecom (Acme Corp: 1, 2;
//! Globex: 3, 4) and Beta Voice (Initech: 5, 6; Umbrella: 7).

mod support;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use support::{TENANT_ACME, TENANT_GLOBEX, TENANT_INITECH, TENANT_UMBRELLA, TestApp};
use uuid::Uuid;

const UNKNOWN_TENANT: Uuid = uuid::uuid!("40000000-0000-4000-8000-0000000000ff");

/// Every endpoint that addresses a subscription, with a body it would accept.
fn subscription_requests(
    instance: &str,
    tenant: Uuid,
    subscription: i64,
) -> Vec<(Method, String, Option<Value>)> {
    let path = |tail: &str| {
        format!("/api/v01/draas/{instance}/tenants/{tenant}/subscriptions/{subscription}/{tail}")
    };
    vec![
        (
            Method::POST,
            path("msteams/applications"),
            Some(json!({
                "msTeamsTenantId": "6f1d2c3b-4a59-4e68-9d7c-8b9a0f1e2d3c",
                "applicationId": "d46e9288-2029-4fd1-ac7b-f20749e61251",
                "secret": "L4y8Q~DfIwfxqPdinI5mOWWdq4YA9Pk9xaFMyboC",
            })),
        ),
        (
            Method::PUT,
            path("msteams/administrator"),
            Some(json!({"username": "admin@contoso.onmicrosoft.com", "password": "S0me-Password"})),
        ),
        (Method::POST, path("downloads/create_app"), None),
        (
            Method::POST,
            path("msteams/reset_secret"),
            Some(
                json!({"applicationId": "c035894c-81c3-49aa-8e3e-f245d9b30000", "secret": "L4y8Q~DfIwfxqPdinI5mOWWdq4YA9Pk9xaFMyboC"}),
            ),
        ),
        (Method::POST, path("msteams/unlink"), None),
        (Method::GET, path("msteams/sources"), None),
        (
            Method::POST,
            path("msteams/link"),
            Some(json!({"subscriptionId": 5})),
        ),
        (Method::GET, path("msteams/status"), None),
    ]
}

/// Asserts that every subscription endpoint answers this 404 problem for the path, and
/// that nothing was written. Returns the problem bodies.
async fn assert_all_not_found(
    app: &TestApp,
    token: &str,
    instance: &str,
    tenant: Uuid,
    subscription: i64,
) -> Vec<Value> {
    let before = app.snapshot().await;
    let mut problems = Vec::new();
    for (method, path, body) in subscription_requests(instance, tenant, subscription) {
        let response = app.call(method.clone(), &path, Some(token), body).await;
        assert_eq!(
            response.status,
            StatusCode::NOT_FOUND,
            "{method} {path}: {}",
            String::from_utf8_lossy(&response.bytes)
        );
        problems.push(response.assert_problem(404, "not_found"));
    }
    assert_eq!(app.snapshot().await, before, "a 404 wrote to the database");
    problems
}

fn names(page: &Value) -> Vec<String> {
    page["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

fn envelope(page: &Value) -> (u64, u64, u64, u64) {
    (
        page["pages"].as_u64().expect("pages"),
        page["page"].as_u64().expect("page"),
        page["size"].as_u64().expect("size"),
        page["total"].as_u64().expect("total"),
    )
}

async fn ok_json(app: &TestApp, path: &str, token: &str) -> Value {
    let response = app.get(path, token).await;
    assert_eq!(
        response.status,
        StatusCode::OK,
        "{path}: {}",
        String::from_utf8_lossy(&response.bytes)
    );
    response.json()
}

#[tokio::test]
async fn another_resellers_subscriptions_are_404_on_every_endpoint() {
    let app = TestApp::start().await;
    let beta = app.login("beta.admin").await;
    for (tenant, subscription) in [
        (TENANT_ACME, 1),
        (TENANT_ACME, 2),
        (TENANT_GLOBEX, 3),
        (TENANT_GLOBEX, 4),
    ] {
        assert_all_not_found(&app, &beta, "demo", tenant, subscription).await;
    }
    app.get(
        &format!("/api/v01/draas/demo/tenants/{TENANT_ACME}/subscriptions"),
        &beta,
    )
    .await
    .assert_problem(404, "not_found");

    let alpha = app.login("alpha.admin").await;
    for (tenant, subscription) in [
        (TENANT_INITECH, 5),
        (TENANT_INITECH, 6),
        (TENANT_UMBRELLA, 7),
    ] {
        assert_all_not_found(&app, &alpha, "demo", tenant, subscription).await;
    }
}

#[tokio::test]
async fn someone_elses_subscription_looks_exactly_like_one_that_does_not_exist() {
    let app = TestApp::start().await;
    let beta = app.login("beta.admin").await;
    let hidden = assert_all_not_found(&app, &beta, "demo", TENANT_ACME, 1).await;
    let missing = assert_all_not_found(&app, &beta, "demo", TENANT_ACME, 999).await;
    assert_eq!(hidden, missing);
}

#[tokio::test]
async fn a_tenant_admin_sees_only_its_own_tenant() {
    let app = TestApp::start().await;
    let acme = app.login("acme.admin").await;
    let tenants = ok_json(&app, "/api/v01/draas/demo/tenants", &acme).await;
    assert_eq!(names(&tenants), ["Acme Corp"]);
    let before = app.snapshot().await;
    for (tenant, subscription) in [(TENANT_GLOBEX, 3), (TENANT_GLOBEX, 4), (TENANT_INITECH, 5)] {
        // Sources and link are refused by role (403) before the path is looked at.
        for (method, path, body) in subscription_requests("demo", tenant, subscription)
            .into_iter()
            .filter(|(_, path, _)| !path.ends_with("/sources") && !path.ends_with("/link"))
        {
            app.call(method, &path, Some(&acme), body)
                .await
                .assert_problem(404, "not_found");
        }
    }
    assert_eq!(app.snapshot().await, before);
    app.get(
        &format!("/api/v01/draas/demo/tenants/{TENANT_GLOBEX}/subscriptions"),
        &acme,
    )
    .await
    .assert_problem(404, "not_found");
}

#[tokio::test]
async fn an_unknown_tenant_is_404() {
    let app = TestApp::start().await;
    let group = app.login("group.admin").await;
    assert_all_not_found(&app, &group, "demo", UNKNOWN_TENANT, 1).await;
    app.get(
        &format!("/api/v01/draas/demo/tenants/{UNKNOWN_TENANT}/subscriptions"),
        &group,
    )
    .await
    .assert_problem(404, "not_found");
}

#[tokio::test]
async fn a_node_that_is_not_a_tenant_is_404_as_a_tenant() {
    let app = TestApp::start().await;
    let group = app.login("group.admin").await;
    for node in [server::seed::GROUP, server::seed::RESELLER_ALPHA] {
        assert_all_not_found(&app, &group, "demo", node, 1).await;
        app.get(
            &format!("/api/v01/draas/demo/tenants/{node}/subscriptions"),
            &group,
        )
        .await
        .assert_problem(404, "not_found");
    }
}

#[tokio::test]
async fn an_unknown_subscription_is_404() {
    let app = TestApp::start().await;
    let group = app.login("group.admin").await;
    for subscription in [8, 999, i64::MAX] {
        assert_all_not_found(&app, &group, "demo", TENANT_ACME, subscription).await;
    }
}

#[tokio::test]
async fn a_subscription_of_another_tenant_than_the_path_names_is_404() {
    let app = TestApp::start().await;
    let alpha = app.login("alpha.admin").await;
    // 3 and 4 are Globex's, 1 and 2 Acme's: all in Alpha's tree, but not under that path.
    for (tenant, subscription) in [
        (TENANT_ACME, 3),
        (TENANT_ACME, 4),
        (TENANT_GLOBEX, 1),
        (TENANT_GLOBEX, 2),
    ] {
        assert_all_not_found(&app, &alpha, "demo", tenant, subscription).await;
    }
}

#[tokio::test]
async fn an_unknown_draas_instance_is_404_everywhere() {
    let app = TestApp::start().await;
    let group = app.login("group.admin").await;
    assert_all_not_found(&app, &group, "other-sp", TENANT_ACME, 1).await;
    app.get("/api/v01/draas/other-sp/tenants", &group)
        .await
        .assert_problem(404, "not_found");
    app.get(
        &format!("/api/v01/draas/other-sp/tenants/{TENANT_ACME}/subscriptions"),
        &group,
    )
    .await
    .assert_problem(404, "not_found");
}

#[tokio::test]
async fn another_instance_is_404_even_when_it_exists() {
    let app = TestApp::start().await;
    sqlx::query(
        "INSERT INTO draas_instances (id, slug, name) VALUES (2, 'other-sp', 'Another provider')",
    )
    .execute(&app.db.write)
    .await
    .unwrap();
    let group = app.login("group.admin").await;
    assert_all_not_found(&app, &group, "other-sp", TENANT_ACME, 1).await;
    app.get("/api/v01/draas/other-sp/tenants", &group)
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn the_tenant_list_shows_only_the_callers_tree() {
    let app = TestApp::start().await;
    let cases = [
        (
            "group.admin",
            vec!["Acme Corp", "Globex", "Initech", "Umbrella"],
        ),
        (
            "distributor.admin",
            vec!["Acme Corp", "Globex", "Initech", "Umbrella"],
        ),
        ("alpha.admin", vec!["Acme Corp", "Globex"]),
        ("beta.admin", vec!["Initech", "Umbrella"]),
        ("acme.admin", vec!["Acme Corp"]),
    ];
    for (username, expected) in cases {
        let token = app.login(username).await;
        let page = ok_json(&app, "/api/v01/draas/demo/tenants", &token).await;
        assert_eq!(names(&page), expected, "{username}");
        assert_eq!(
            envelope(&page),
            (1, 1, 25, expected.len() as u64),
            "{username}: {page}"
        );
    }
}

#[tokio::test]
async fn a_tenant_in_the_list_names_its_reseller_and_counts_its_subscriptions() {
    let app = TestApp::start().await;
    let alpha = app.login("alpha.admin").await;
    let page = ok_json(&app, "/api/v01/draas/demo/tenants", &alpha).await;
    assert_eq!(
        page["results"][0],
        json!({
            "uuid": TENANT_ACME,
            "name": "Acme Corp",
            "reseller": {"uuid": server::seed::RESELLER_ALPHA, "name": "Alpha Telecom"},
            "subscriptionCount": 2,
        })
    );
}

#[tokio::test]
async fn the_tenant_list_pages() {
    let app = TestApp::start().await;
    let group = app.login("group.admin").await;
    let first = ok_json(&app, "/api/v01/draas/demo/tenants?page=1&size=3", &group).await;
    assert_eq!(names(&first), ["Acme Corp", "Globex", "Initech"]);
    assert_eq!(envelope(&first), (2, 1, 3, 4));
    let second = ok_json(&app, "/api/v01/draas/demo/tenants?page=2&size=3", &group).await;
    assert_eq!(names(&second), ["Umbrella"]);
    assert_eq!(envelope(&second), (2, 2, 3, 4));
    let beyond = ok_json(&app, "/api/v01/draas/demo/tenants?page=3&size=3", &group).await;
    assert!(names(&beyond).is_empty());
    assert_eq!(envelope(&beyond), (2, 3, 3, 4));
    let one_each = ok_json(&app, "/api/v01/draas/demo/tenants?page=4&size=1", &group).await;
    assert_eq!(names(&one_each), ["Umbrella"]);
    assert_eq!(envelope(&one_each), (4, 4, 1, 4));
}

#[tokio::test]
async fn the_tenant_list_searches_within_the_callers_tree() {
    let app = TestApp::start().await;
    let group = app.login("group.admin").await;
    let page = ok_json(&app, "/api/v01/draas/demo/tenants?search=GLO", &group).await;
    assert_eq!(names(&page), ["Globex"], "search ignores case");
    assert_eq!(envelope(&page), (1, 1, 25, 1));
    let page = ok_json(
        &app,
        "/api/v01/draas/demo/tenants?search=%20corp%20",
        &group,
    )
    .await;
    assert_eq!(names(&page), ["Acme Corp"], "search is trimmed");

    let beta = app.login("beta.admin").await;
    let page = ok_json(&app, "/api/v01/draas/demo/tenants?search=Acme", &beta).await;
    assert!(names(&page).is_empty(), "Acme is not Beta's");
    assert_eq!(envelope(&page), (1, 1, 25, 0));
    let page = ok_json(&app, "/api/v01/draas/demo/tenants?search=e", &beta).await;
    assert_eq!(names(&page), ["Initech", "Umbrella"]);
}

#[tokio::test]
async fn search_wildcards_are_taken_literally() {
    let app = TestApp::start().await;
    let group = app.login("group.admin").await;
    for search in ["%25", "_", "%5C", "'"] {
        let page = ok_json(
            &app,
            &format!("/api/v01/draas/demo/tenants?search={search}"),
            &group,
        )
        .await;
        assert!(names(&page).is_empty(), "search {search}: {page}");
        assert_eq!(page["total"], 0);
    }
}

#[tokio::test]
async fn the_subscription_list_shows_each_subscriptions_ms_teams_state() {
    let app = TestApp::start().await;
    let alpha = app.login("alpha.admin").await;
    let page = ok_json(
        &app,
        &format!("/api/v01/draas/demo/tenants/{TENANT_ACME}/subscriptions"),
        &alpha,
    )
    .await;
    assert_eq!(envelope(&page), (1, 1, 25, 2));
    assert_eq!(
        page["results"],
        json!([
            {"id": 1, "name": "Acme Teams", "licenseType": "msteams", "directRoutingUsers": 2,
             "msTeams": {"state": "onboarded", "msTenantId": "27b418d0-b197-483d-a0b8-da90407a92c4", "domain": "acme.draas.demo"}},
            {"id": 2, "name": "Acme SIP Trunk", "licenseType": "sip-trunks", "directRoutingUsers": 0,
             "msTeams": {"state": "not_onboarded"}},
        ])
    );

    let beta = app.login("beta.admin").await;
    let page = ok_json(
        &app,
        &format!("/api/v01/draas/demo/tenants/{TENANT_INITECH}/subscriptions"),
        &beta,
    )
    .await;
    let states: Vec<(i64, String, Option<i64>)> = page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_i64().unwrap(),
                s["msTeams"]["state"].as_str().unwrap().to_owned(),
                s["msTeams"]["linkedTo"].as_i64(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            (5, "onboarded".to_owned(), None),
            (6, "linked".to_owned(), Some(5))
        ]
    );
    assert_eq!(
        page["results"][1]["msTeams"]["domain"],
        "initech.draas.demo"
    );
}

#[tokio::test]
async fn the_subscription_list_pages() {
    let app = TestApp::start().await;
    let beta = app.login("beta.admin").await;
    let path = format!("/api/v01/draas/demo/tenants/{TENANT_INITECH}/subscriptions");
    let first = ok_json(&app, &format!("{path}?size=1"), &beta).await;
    assert_eq!(envelope(&first), (2, 1, 1, 2));
    assert_eq!(first["results"].as_array().unwrap().len(), 1);
    assert_eq!(first["results"][0]["id"], 5);
    let second = ok_json(&app, &format!("{path}?size=1&page=2"), &beta).await;
    assert_eq!(envelope(&second), (2, 2, 1, 2));
    assert_eq!(second["results"][0]["id"], 6);
    let beyond = ok_json(&app, &format!("{path}?size=1&page=3"), &beta).await;
    assert_eq!(beyond["results"], json!([]));
    assert_eq!(envelope(&beyond), (2, 3, 1, 2));
}
