//! The tree of authority: an administrator sees and changes only its own node and what
//! lies below it. Anything else answers 404, exactly like something that does not exist.
//!
//! Demo tree: Netaxis Group > Benelux Distribution > Alpha Telecom (Acme Corp: 1, 2;
//! Globex: 3, 4) and Beta Voice (Initech: 5, 6; Umbrella: 7).
//!
//! The lists (groups, distributors, resellers, tenants, subscriptions) show only the
//! caller's tree, page with `page_size` and `next` (or `page`), sort, search, narrow to a
//! `parent`, and answer 404 when they find nothing.

use crate::helpers::{TENANT_ACME, TENANT_GLOBEX, TENANT_INITECH, TENANT_UMBRELLA, TestApp};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use server::seed::{DISTRIBUTOR, GROUP, RESELLER_ALPHA, RESELLER_BETA};
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
            Method::POST,
            path("msteams/admins"),
            Some(
                json!({"msUsername": "admin@contoso.onmicrosoft.com", "msPassword": "S0me-Password"}),
            ),
        ),
        (
            Method::POST,
            path("msteams/admins"),
            Some(json!({"msPassword": "S0me-Password"})),
        ),
        (
            Method::DELETE,
            path("msteams/admins"),
            Some(json!({"id": 1, "msUsername": "admin@acme.onmicrosoft.com"})),
        ),
        (Method::GET, path("msteams/admins"), None),
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
        (
            Method::GET,
            format!("/api/v01/draas/{instance}/tenants/{tenant}/subscriptions/{subscription}"),
            None,
        ),
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
    assert_eq!(names(&tenants, "tenants"), ["Acme Corp"]);
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
    for list in ["groups", "distributors", "resellers", "tenants"] {
        app.get(&format!("/api/v01/draas/other-sp/{list}"), &group)
            .await
            .assert_problem(404, "not_found");
    }
    for tail in ["", "/subscriptions"] {
        app.get(
            &format!("/api/v01/draas/other-sp/tenants/{TENANT_ACME}{tail}"),
            &group,
        )
        .await
        .assert_problem(404, "not_found");
    }
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

// The lists.

const TENANTS: &str = "/api/v01/draas/demo/tenants";

/// The `name` of every item of a list's `items` array.
fn names(page: &Value, items: &str) -> Vec<String> {
    page[items]
        .as_array()
        .unwrap_or_else(|| panic!("no {items} in {page}"))
        .iter()
        .map(|item| item["name"].as_str().unwrap().to_owned())
        .collect()
}

/// `results`, `pages`, `page`, and whether there is a `next`.
type Envelope = (u64, u64, u64, bool);

fn envelope(page: &Value) -> Envelope {
    (
        page["results"].as_u64().expect("results"),
        page["pages"].as_u64().expect("pages"),
        page["page"].as_u64().expect("page"),
        page.get("next").is_some(),
    )
}

fn subscription_ids(page: &Value) -> Vec<i64> {
    page["subscriptions"]
        .as_array()
        .unwrap_or_else(|| panic!("no subscriptions in {page}"))
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect()
}

/// What a list answered: the item names of a 200, or the status and detail of a problem.
type Listed = Result<Vec<String>, (u16, String)>;

async fn listed(app: &TestApp, path: &str, items: &str, token: &str) -> Listed {
    let response = app.get(path, token).await;
    if response.status == StatusCode::OK {
        Ok(names(&response.json(), items))
    } else {
        let code = if response.status == StatusCode::NOT_FOUND {
            "not_found"
        } else {
            "forbidden"
        };
        let problem = response.assert_problem(response.status.as_u16(), code);
        Err((
            response.status.as_u16(),
            problem["detail"].as_str().unwrap().to_owned(),
        ))
    }
}

fn found(names: &[&str]) -> Listed {
    Ok(names.iter().map(|n| (*n).to_owned()).collect())
}

fn none(what: &str) -> Listed {
    Err((404, format!("No {what} found")))
}

/// A node inserted as another process would: without a billing id.
async fn insert_node(app: &TestApp, id: Uuid, kind: &str, name: &str, parent: Uuid) {
    sqlx::query(
        "INSERT INTO nodes (id, instance_id, kind, name, parent_id, created_at)
         VALUES (?, 1, ?, ?, ?, '2024-01-01T00:00:00Z')",
    )
    .bind(id.to_string())
    .bind(kind)
    .bind(name)
    .bind(parent.to_string())
    .execute(&app.db.write)
    .await
    .unwrap();
}

/// The URL of a token's next page: `path` with `next=<token>` added.
fn with_next(path: &str, next: &Value) -> String {
    let separator = if path.contains('?') { '&' } else { '?' };
    format!(
        "{path}{separator}next={}",
        next.as_str().expect("a next token")
    )
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
        (
            "readonly",
            vec!["Acme Corp", "Globex", "Initech", "Umbrella"],
        ),
    ];
    for (username, expected) in cases {
        let token = app.login(username).await;
        let page = ok_json(&app, TENANTS, &token).await;
        assert_eq!(names(&page, "tenants"), expected, "{username}");
        assert_eq!(
            envelope(&page),
            (expected.len() as u64, 1, 1, false),
            "{username}: {page}"
        );
    }
}

#[tokio::test]
async fn a_tenant_carries_its_billing_id_and_its_owner() {
    let app = TestApp::start().await;
    let alpha = app.login("alpha.admin").await;
    let acme = json!({
        "uuid": TENANT_ACME,
        "name": "Acme Corp",
        "billingId": "ACME-001",
        "owner": {"type": "reseller", "uuid": RESELLER_ALPHA, "name": "Alpha Telecom"},
    });
    let page = ok_json(&app, TENANTS, &alpha).await;
    assert_eq!(page["tenants"][0], acme);
    assert_eq!(
        page.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["page", "pages", "results", "tenants"],
        "no next on the only page: {page}"
    );
    // Get one answers the same object.
    assert_eq!(
        ok_json(&app, &format!("{TENANTS}/{TENANT_ACME}"), &alpha).await,
        acme
    );

    // A distributor's direct customer has the distributor as owner; the group's own
    // customer has none. Nodes stored without a billing id get one from their row.
    let direct = uuid::uuid!("40000000-0000-4000-8000-00000000d157");
    let own = uuid::uuid!("40000000-0000-4000-8000-0000000060e1");
    insert_node(&app, direct, "tenant", "Direct Co", DISTRIBUTOR).await;
    insert_node(&app, own, "tenant", "Group Own Co", GROUP).await;
    let group = app.login("group.admin").await;
    let cases = [
        (
            direct,
            json!({"uuid": direct, "name": "Direct Co", "billingId": "TEN-00000000D157",
                   "owner": {"type": "distributor", "uuid": DISTRIBUTOR, "name": "Benelux Distribution"}}),
        ),
        (
            own,
            json!({"uuid": own, "name": "Group Own Co", "billingId": "TEN-0000000060E1"}),
        ),
    ];
    for (uuid, expected) in cases {
        assert_eq!(
            ok_json(&app, &format!("{TENANTS}/{uuid}"), &group).await,
            expected
        );
        let page = ok_json(
            &app,
            &format!(
                "{TENANTS}?search={}",
                expected["billingId"].as_str().unwrap()
            ),
            &group,
        )
        .await;
        assert_eq!(page["tenants"], json!([expected]));
    }
}

#[tokio::test]
async fn next_tokens_walk_the_list_page_by_page() {
    let app = TestApp::start().await;
    let group = app.login("group.admin").await;
    let all = ["Acme Corp", "Globex", "Initech", "Umbrella"];
    for page_size in [1usize, 2, 3, 4, 10] {
        let first = format!("{TENANTS}?page_size={page_size}");
        let mut path = first.clone();
        let mut seen = Vec::new();
        let expected_pages = all.len().div_ceil(page_size) as u64;
        for page_number in 1..=expected_pages {
            let page = ok_json(&app, &path, &group).await;
            let last = page_number == expected_pages;
            assert_eq!(
                envelope(&page),
                (4, expected_pages, page_number, !last),
                "page_size {page_size}, page {page_number}: {page}"
            );
            seen.extend(names(&page, "tenants"));
            if !last {
                path = with_next(&first, &page["next"]);
            }
        }
        assert_eq!(seen, all, "page_size {page_size}");
    }
}

#[tokio::test]
async fn page_is_accepted_too_and_next_takes_precedence() {
    let app = TestApp::start().await;
    let group = app.login("group.admin").await;
    let cases: &[(&str, Listed, Envelope)] = &[
        (
            "page=1&page_size=3",
            found(&["Acme Corp", "Globex", "Initech"]),
            (4, 2, 1, true),
        ),
        ("page=2&page_size=3", found(&["Umbrella"]), (4, 2, 2, false)),
        ("page=4&page_size=1", found(&["Umbrella"]), (4, 4, 4, false)),
        ("page=2", none("tenant"), (0, 0, 0, false)),
        ("page=3&page_size=3", none("tenant"), (0, 0, 0, false)),
    ];
    for (query, expected, shape) in cases {
        let path = format!("{TENANTS}?{query}");
        assert_eq!(
            &listed(&app, &path, "tenants", &group).await,
            expected,
            "{query}"
        );
        if expected.is_ok() {
            assert_eq!(
                envelope(&ok_json(&app, &path, &group).await),
                *shape,
                "{query}"
            );
        }
    }
    // The page-1 token of page_size 3 opens page 2 whatever `page` says.
    let first = ok_json(&app, &format!("{TENANTS}?page_size=3"), &group).await;
    let second = ok_json(
        &app,
        &with_next(&format!("{TENANTS}?page_size=3&page=1"), &first["next"]),
        &group,
    )
    .await;
    assert_eq!(names(&second, "tenants"), ["Umbrella"]);
    assert_eq!(envelope(&second), (4, 2, 2, false));
}

#[tokio::test]
async fn a_next_not_issued_for_this_list_and_query_is_400() {
    let app = TestApp::start().await;
    let group = app.login("group.admin").await;
    let issued = ok_json(&app, &format!("{TENANTS}?page_size=1&search=o"), &group).await["next"]
        .as_str()
        .unwrap()
        .to_owned();
    let flipped = {
        let mut bytes = issued.clone().into_bytes();
        bytes[5] = if bytes[5] == b'A' { b'B' } else { b'A' };
        String::from_utf8(bytes).unwrap()
    };
    let subscriptions = format!("{TENANTS}/{TENANT_INITECH}/subscriptions");
    let cases = [
        (
            "garbage",
            format!("{TENANTS}?page_size=1&search=o&next=garbage"),
        ),
        (
            "32 letters",
            format!("{TENANTS}?page_size=1&search=o&next={}", "A".repeat(32)),
        ),
        (
            "one character changed",
            format!("{TENANTS}?page_size=1&search=o&next={flipped}"),
        ),
        ("empty", format!("{TENANTS}?page_size=1&search=o&next=")),
        (
            "another page_size",
            format!("{TENANTS}?page_size=2&search=o&next={issued}"),
        ),
        (
            "another search",
            format!("{TENANTS}?page_size=1&search=a&next={issued}"),
        ),
        ("no search", format!("{TENANTS}?page_size=1&next={issued}")),
        (
            "another dir",
            format!("{TENANTS}?page_size=1&search=o&dir=desc&next={issued}"),
        ),
        (
            "another sort",
            format!("{TENANTS}?page_size=1&search=o&sort=uuid&next={issued}"),
        ),
        (
            "another parent",
            format!("{TENANTS}?page_size=1&search=o&parent={DISTRIBUTOR}&next={issued}"),
        ),
        (
            "another list",
            format!("/api/v01/draas/demo/resellers?page_size=1&search=o&next={issued}"),
        ),
        (
            "the subscriptions",
            format!("{subscriptions}?page_size=1&search=o&next={issued}"),
        ),
    ];
    for (why, path) in cases {
        let problem = app
            .get(&path, &group)
            .await
            .assert_problem(400, "invalid_query_parameter");
        assert!(
            problem["detail"].as_str().unwrap().starts_with("next"),
            "{why}: {problem}"
        );
    }
    // The same token, with its own query, still works.
    let page = ok_json(
        &app,
        &format!("{TENANTS}?page_size=1&search=o&next={issued}"),
        &group,
    )
    .await;
    assert_eq!(names(&page, "tenants"), ["Globex"]);
}

#[tokio::test]
async fn the_tenant_list_sorts_by_name_billing_id_or_uuid() {
    let app = TestApp::start().await;
    for (tenant, billing) in [
        (TENANT_ACME, "Z-9"),
        (TENANT_GLOBEX, "a-1"),
        (TENANT_INITECH, "M-5"),
        (TENANT_UMBRELLA, "b-2"),
    ] {
        sqlx::query("UPDATE nodes SET billing_id = ? WHERE id = ?")
            .bind(billing)
            .bind(tenant.to_string())
            .execute(&app.db.write)
            .await
            .unwrap();
    }
    let group = app.login("group.admin").await;
    let cases = [
        ("", ["Acme Corp", "Globex", "Initech", "Umbrella"]),
        ("sort=name", ["Acme Corp", "Globex", "Initech", "Umbrella"]),
        ("dir=desc", ["Umbrella", "Initech", "Globex", "Acme Corp"]),
        (
            "sort=name&dir=asc",
            ["Acme Corp", "Globex", "Initech", "Umbrella"],
        ),
        (
            "sort=billingId",
            ["Globex", "Umbrella", "Initech", "Acme Corp"],
        ),
        (
            "sort=billingId&dir=desc",
            ["Acme Corp", "Initech", "Umbrella", "Globex"],
        ),
        ("sort=uuid", ["Acme Corp", "Globex", "Initech", "Umbrella"]),
        (
            "sort=uuid&dir=desc",
            ["Umbrella", "Initech", "Globex", "Acme Corp"],
        ),
    ];
    for (query, expected) in cases {
        let page = ok_json(&app, &format!("{TENANTS}?{query}"), &group).await;
        assert_eq!(names(&page, "tenants"), expected, "{query}");
        // Paging by token keeps the order.
        let first = ok_json(&app, &format!("{TENANTS}?{query}&page_size=3"), &group).await;
        let rest = ok_json(
            &app,
            &with_next(&format!("{TENANTS}?{query}&page_size=3"), &first["next"]),
            &group,
        )
        .await;
        let mut paged = names(&first, "tenants");
        paged.extend(names(&rest, "tenants"));
        assert_eq!(paged, expected, "{query} by pages");
    }
}

#[tokio::test]
async fn the_tenant_list_searches_names_and_billing_ids_within_the_callers_tree() {
    let app = TestApp::start().await;
    let cases = [
        ("group.admin", "GLO", found(&["Globex"])),
        ("group.admin", "%20corp%20", found(&["Acme Corp"])),
        ("group.admin", "umbrella-0", found(&["Umbrella"])),
        (
            "group.admin",
            "-001",
            found(&["Acme Corp", "Globex", "Initech", "Umbrella"]),
        ),
        ("group.admin", "zzz", none("tenant")),
        ("beta.admin", "e", found(&["Initech", "Umbrella"])),
        ("beta.admin", "Acme", none("tenant")),
        ("beta.admin", "ACME-001", none("tenant")),
        ("acme.admin", "Globex", none("tenant")),
        ("acme.admin", "acme", found(&["Acme Corp"])),
    ];
    for (username, search, expected) in cases {
        let token = app.login(username).await;
        let answer = listed(
            &app,
            &format!("{TENANTS}?search={search}"),
            "tenants",
            &token,
        )
        .await;
        assert_eq!(answer, expected, "{username} searching {search}");
    }
}

#[tokio::test]
async fn search_wildcards_are_taken_literally() {
    let app = TestApp::start().await;
    let group = app.login("group.admin").await;
    for search in ["%25", "_", "%5C", "'", "%25001"] {
        let answer = listed(
            &app,
            &format!("{TENANTS}?search={search}"),
            "tenants",
            &group,
        )
        .await;
        assert_eq!(answer, none("tenant"), "search {search}");
    }
}

#[tokio::test]
async fn parent_narrows_a_list_to_a_node_of_the_callers_tree() {
    let app = TestApp::start().await;
    let unknown = uuid::uuid!("30000000-0000-4000-8000-0000000000ff");
    let cases = [
        (
            "group.admin",
            "tenants",
            GROUP,
            found(&["Acme Corp", "Globex", "Initech", "Umbrella"]),
        ),
        (
            "group.admin",
            "tenants",
            DISTRIBUTOR,
            found(&["Acme Corp", "Globex", "Initech", "Umbrella"]),
        ),
        (
            "group.admin",
            "tenants",
            RESELLER_ALPHA,
            found(&["Acme Corp", "Globex"]),
        ),
        (
            "group.admin",
            "tenants",
            RESELLER_BETA,
            found(&["Initech", "Umbrella"]),
        ),
        ("group.admin", "tenants", TENANT_ACME, none("tenant")),
        ("group.admin", "tenants", unknown, none("tenant")),
        (
            "alpha.admin",
            "tenants",
            RESELLER_ALPHA,
            found(&["Acme Corp", "Globex"]),
        ),
        ("alpha.admin", "tenants", RESELLER_BETA, none("tenant")),
        ("alpha.admin", "tenants", DISTRIBUTOR, none("tenant")),
        (
            "group.admin",
            "resellers",
            DISTRIBUTOR,
            found(&["Alpha Telecom", "Beta Voice"]),
        ),
        (
            "group.admin",
            "resellers",
            GROUP,
            found(&["Alpha Telecom", "Beta Voice"]),
        ),
        ("group.admin", "resellers", RESELLER_ALPHA, none("reseller")),
        (
            "distributor.admin",
            "resellers",
            DISTRIBUTOR,
            found(&["Alpha Telecom", "Beta Voice"]),
        ),
        ("alpha.admin", "resellers", DISTRIBUTOR, none("reseller")),
        (
            "group.admin",
            "distributors",
            GROUP,
            found(&["Benelux Distribution"]),
        ),
        (
            "distributor.admin",
            "distributors",
            GROUP,
            none("distributor"),
        ),
    ];
    for (username, list, parent, expected) in cases {
        let token = app.login(username).await;
        let path = format!("/api/v01/draas/demo/{list}?parent={parent}");
        assert_eq!(
            listed(&app, &path, list, &token).await,
            expected,
            "{username} {list} below {parent}"
        );
    }
}

#[tokio::test]
async fn an_empty_list_is_404_with_no_tenant_found() {
    let app = TestApp::start().await;
    let acme = app.login("acme.admin").await;
    let problem = app
        .get(&format!("{TENANTS}?search=nothing-like-this"), &acme)
        .await
        .assert_problem(404, "not_found");
    assert_eq!(problem["detail"], "No tenant found");
    assert_eq!(problem["error"], "No tenant found");

    // A tenant without subscriptions, and a subscription search that matches nothing.
    let empty = uuid::uuid!("40000000-0000-4000-8000-0000000000e0");
    insert_node(&app, empty, "tenant", "Empty Co", RESELLER_ALPHA).await;
    let alpha = app.login("alpha.admin").await;
    for path in [
        format!("{TENANTS}/{empty}/subscriptions"),
        format!("{TENANTS}/{TENANT_ACME}/subscriptions?search=nothing"),
        format!("{TENANTS}/{TENANT_ACME}/subscriptions?page=2"),
    ] {
        let problem = app
            .get(&path, &alpha)
            .await
            .assert_problem(404, "not_found");
        assert_eq!(problem["detail"], "No subscription found", "{path}");
    }
    assert_eq!(
        listed(&app, TENANTS, "tenants", &alpha).await,
        found(&["Acme Corp", "Empty Co", "Globex"])
    );
}

#[tokio::test]
async fn group_distributor_and_reseller_lists_show_each_level_its_own_tree() {
    let app = TestApp::start().await;
    let forbidden = |role: &str| Err((403, role.to_owned()));
    let cases = [
        ("group.admin", "groups", found(&["Netaxis Group"])),
        (
            "group.admin",
            "distributors",
            found(&["Benelux Distribution"]),
        ),
        (
            "group.admin",
            "resellers",
            found(&["Alpha Telecom", "Beta Voice"]),
        ),
        ("distributor.admin", "groups", none("group")),
        (
            "distributor.admin",
            "distributors",
            found(&["Benelux Distribution"]),
        ),
        (
            "distributor.admin",
            "resellers",
            found(&["Alpha Telecom", "Beta Voice"]),
        ),
        ("alpha.admin", "groups", none("group")),
        ("alpha.admin", "distributors", none("distributor")),
        ("alpha.admin", "resellers", found(&["Alpha Telecom"])),
        ("beta.admin", "resellers", found(&["Beta Voice"])),
        ("readonly", "groups", found(&["Netaxis Group"])),
        (
            "readonly",
            "resellers",
            found(&["Alpha Telecom", "Beta Voice"]),
        ),
        ("acme.admin", "groups", forbidden("groups.list")),
        ("acme.admin", "distributors", forbidden("distributors.list")),
        ("acme.admin", "resellers", forbidden("resellers.list")),
    ];
    for (username, list, expected) in cases {
        let token = app.login(username).await;
        let answer = listed(&app, &format!("/api/v01/draas/demo/{list}"), list, &token).await;
        match (&answer, &expected) {
            (Err((403, detail)), Err((403, role))) => {
                assert!(
                    detail.contains(role.as_str()),
                    "{username} {list}: {detail}"
                );
            }
            _ => assert_eq!(answer, expected, "{username} {list}"),
        }
    }
}

#[tokio::test]
async fn groups_distributors_and_resellers_carry_billing_ids_and_owners() {
    let app = TestApp::start().await;
    let group = app.login("group.admin").await;
    let cases = [
        (
            "groups",
            json!([{"uuid": GROUP, "name": "Netaxis Group", "billingId": "NETAXIS-GRP"}]),
        ),
        (
            "distributors",
            json!([{"uuid": DISTRIBUTOR, "name": "Benelux Distribution", "billingId": "BENELUX-DIST"}]),
        ),
        (
            "resellers",
            json!([
                {"uuid": RESELLER_ALPHA, "name": "Alpha Telecom", "billingId": "ALPHA-RES",
                 "owner": {"type": "distributor", "uuid": DISTRIBUTOR, "name": "Benelux Distribution"}},
                {"uuid": RESELLER_BETA, "name": "Beta Voice", "billingId": "BETA-RES",
                 "owner": {"type": "distributor", "uuid": DISTRIBUTOR, "name": "Benelux Distribution"}},
            ]),
        ),
    ];
    for (list, expected) in cases {
        let page = ok_json(&app, &format!("/api/v01/draas/demo/{list}"), &group).await;
        assert_eq!(page[list], expected, "{list}");
        let count = expected.as_array().unwrap().len() as u64;
        assert_eq!(envelope(&page), (count, 1, 1, false), "{list}");
    }
    // The resellers page by token like the tenants.
    let first = ok_json(
        &app,
        "/api/v01/draas/demo/resellers?page_size=1&dir=desc",
        &group,
    )
    .await;
    assert_eq!(
        (names(&first, "resellers"), envelope(&first)),
        (vec!["Beta Voice".to_owned()], (2, 2, 1, true))
    );
    let second = ok_json(
        &app,
        &with_next(
            "/api/v01/draas/demo/resellers?page_size=1&dir=desc",
            &first["next"],
        ),
        &group,
    )
    .await;
    assert_eq!(
        (names(&second, "resellers"), envelope(&second)),
        (vec!["Alpha Telecom".to_owned()], (2, 2, 2, false))
    );
}

#[tokio::test]
async fn get_one_tenant_answers_only_inside_the_tree() {
    let app = TestApp::start().await;
    let cases = [
        ("group.admin", TENANT_UMBRELLA, 200),
        ("alpha.admin", TENANT_ACME, 200),
        ("alpha.admin", TENANT_GLOBEX, 200),
        ("acme.admin", TENANT_ACME, 200),
        ("beta.admin", TENANT_ACME, 404),
        ("acme.admin", TENANT_GLOBEX, 404),
        ("group.admin", UNKNOWN_TENANT, 404),
        ("group.admin", RESELLER_ALPHA, 404),
        ("group.admin", GROUP, 404),
    ];
    let mut refusals = Vec::new();
    for (username, tenant, status) in cases {
        let token = app.login(username).await;
        let response = app.get(&format!("{TENANTS}/{tenant}"), &token).await;
        assert_eq!(response.status.as_u16(), status, "{username} {tenant}");
        if status == 200 {
            assert_eq!(response.json()["uuid"], json!(tenant));
        } else {
            let problem = response.assert_problem(404, "not_found");
            refusals.push(
                problem["detail"]
                    .as_str()
                    .unwrap()
                    .replace(&tenant.to_string(), "…"),
            );
        }
    }
    // Someone else's tenant reads exactly like one that does not exist.
    refusals.dedup();
    assert_eq!(refusals.len(), 1, "{refusals:?}");
}

#[tokio::test]
async fn the_subscription_list_shows_each_subscriptions_ms_teams_state() {
    let app = TestApp::start().await;
    let alpha = app.login("alpha.admin").await;
    let page = ok_json(
        &app,
        &format!("{TENANTS}/{TENANT_ACME}/subscriptions"),
        &alpha,
    )
    .await;
    assert_eq!(envelope(&page), (2, 1, 1, false));
    let acme = json!([
        {"id": 1, "name": "Acme Teams", "licenseType": "msteams", "directRoutingUsers": 2,
         "msTeams": {"state": "onboarded", "msTenantId": "27b418d0-b197-483d-a0b8-da90407a92c4", "domain": "acme.draas.demo"}},
        {"id": 2, "name": "Acme SIP Trunk", "licenseType": "sip-trunks", "directRoutingUsers": 0,
         "msTeams": {"state": "not_onboarded"}},
    ]);
    assert_eq!(page["subscriptions"], acme);
    // Get one answers the item as the list shows it.
    for (index, id) in [1, 2].into_iter().enumerate() {
        let one = ok_json(
            &app,
            &format!("{TENANTS}/{TENANT_ACME}/subscriptions/{id}"),
            &alpha,
        )
        .await;
        assert_eq!(one, acme[index]);
    }

    let beta = app.login("beta.admin").await;
    let page = ok_json(
        &app,
        &format!("{TENANTS}/{TENANT_INITECH}/subscriptions"),
        &beta,
    )
    .await;
    let states: Vec<(i64, String, Option<i64>)> = page["subscriptions"]
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
        page["subscriptions"][1]["msTeams"]["domain"],
        "initech.draas.demo"
    );
}

#[tokio::test]
async fn the_subscription_list_pages_sorts_and_searches() {
    let app = TestApp::start().await;
    let beta = app.login("beta.admin").await;
    let path = format!("{TENANTS}/{TENANT_INITECH}/subscriptions");
    let first = ok_json(&app, &format!("{path}?page_size=1"), &beta).await;
    assert_eq!(
        (subscription_ids(&first), envelope(&first)),
        (vec![5], (2, 2, 1, true))
    );
    let second = ok_json(
        &app,
        &with_next(&format!("{path}?page_size=1"), &first["next"]),
        &beta,
    )
    .await;
    assert_eq!(
        (subscription_ids(&second), envelope(&second)),
        (vec![6], (2, 2, 2, false))
    );
    let by_page = ok_json(&app, &format!("{path}?page_size=1&page=2"), &beta).await;
    assert_eq!(subscription_ids(&by_page), [6]);

    let cases: &[(&str, Result<Vec<i64>, u16>)] = &[
        ("", Ok(vec![5, 6])),
        ("dir=desc", Ok(vec![6, 5])),
        ("sort=name&dir=desc", Ok(vec![6, 5])),
        ("sort=id", Ok(vec![5, 6])),
        ("search=eu", Ok(vec![6])),
        ("search=TEAMS", Ok(vec![5, 6])),
        ("search=nothing", Err(404)),
        ("sort=billingId", Err(400)),
        ("sort=uuid", Err(400)),
    ];
    for (query, expected) in cases {
        let response = app.get(&format!("{path}?{query}"), &beta).await;
        match expected {
            Ok(ids) => {
                assert_eq!(response.status, StatusCode::OK, "{query}");
                assert_eq!(&subscription_ids(&response.json()), ids, "{query}");
            }
            Err(status) => assert_eq!(response.status.as_u16(), *status, "{query}"),
        }
    }
    let acme = app.login("alpha.admin").await;
    let page = ok_json(
        &app,
        &format!("{TENANTS}/{TENANT_ACME}/subscriptions?sort=licenseType&dir=desc"),
        &acme,
    )
    .await;
    assert_eq!(
        subscription_ids(&page),
        [2, 1],
        "sip-trunks after msteams, reversed"
    );
}

#[tokio::test]
async fn the_home_page_lists_the_same_tenants_and_says_when_there_are_none() {
    let app = TestApp::start().await;
    let cookie = format!("fusion_session={}", app.browser_login("alpha.admin").await);
    let page = |path: &'static str| {
        let cookie = cookie.clone();
        let app = &app;
        async move {
            let response = app
                .send(
                    axum::http::Request::builder()
                        .uri(path)
                        .header(axum::http::header::COOKIE, cookie)
                        .body(axum::body::Body::empty())
                        .unwrap(),
                )
                .await;
            assert_eq!(response.status, StatusCode::OK, "{path}");
            response.text()
        }
    };
    let cases: &[(&str, &[&str], &[&str])] = &[
        (
            "/",
            &[
                "data-testid=\"subscription-1\"",
                "data-testid=\"subscription-3\"",
                "Alpha Telecom",
            ],
            &["data-testid=\"empty\""],
        ),
        (
            "/?q=glob",
            &["data-testid=\"subscription-3\""],
            &["data-testid=\"subscription-1\""],
        ),
        (
            "/?q=nothing-like-this",
            &["data-testid=\"empty\"", "No tenant matches"],
            &["subscription-1"],
        ),
        (
            "/?page=9",
            &["data-testid=\"empty\"", "No tenants on page 9"],
            &["subscription-1"],
        ),
    ];
    for (path, present, absent) in cases {
        let html = page(path).await;
        for text in *present {
            assert!(html.contains(text), "{path} lacks {text}");
        }
        for text in *absent {
            assert!(!html.contains(text), "{path} shows {text}");
        }
    }
}
