//! The tree of authority: an administrator sees and changes only its own node and what
//! lies below it. Anything else answers 404, exactly like something that does not exist.
//!
//! Demo tree: Netaxis Group > Benelux Distribution > Alpha Telecom (Acme Corp: 1, 2;
//! Globex: 3, 4) and Beta Voice (Initech: 5, 6; Umbrella: 7).
//!
//! The lists (groups, distributors, resellers, tenants, subscriptions) show only the
//! caller's tree, page with `page_size` and `next` (or `page`), sort, search, narrow to a
//! `parent`, and answer 404 when they find nothing.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{
    ACME_MS_TENANT, ADMIN_PASSWORD, DISTRIBUTOR, Failures, GROUP, JsonBody, RESELLER_ALPHA,
    RESELLER_BETA, TENANT_ACME, TENANT_GLOBEX, TENANT_INITECH, TENANT_UMBRELLA, TENANTS, TestApp,
    application_body, link_body, list_path, reset_secret_body,
};

const UNKNOWN_TENANT: Uuid = uuid::uuid!("40000000-0000-4000-8000-0000000000ff");

/// Every endpoint that addresses a subscription (its tail, "" for the subscription
/// itself), with a body it would accept.
#[rustfmt::skip]
static SUBSCRIPTION_ENDPOINTS: &[(Method, &str, Option<JsonBody>)] = &[
    (Method::POST, "msteams/applications", Some(application_body)),
    (Method::POST, "msteams/admins", Some(|| json!({"msUsername": "admin@contoso.onmicrosoft.com", "msPassword": ADMIN_PASSWORD}))),
    (Method::POST, "msteams/admins", Some(|| json!({"msPassword": ADMIN_PASSWORD}))),
    (Method::DELETE, "msteams/admins", Some(|| json!({"id": 1, "msUsername": "admin@acme.onmicrosoft.com"}))),
    (Method::GET, "msteams/admins", None),
    (Method::POST, "downloads/create_app", None),
    (Method::POST, "msteams/reset_secret", Some(reset_secret_body)),
    (Method::POST, "msteams/unlink", None),
    (Method::GET, "msteams/sources", None),
    (Method::POST, "msteams/link", Some(|| link_body(5))),
    (Method::GET, "msteams/status", None),
    (Method::GET, "", None),
];

/// A subscription of a DRaaS instance, as a path names it.
type Target = (&'static str, Uuid, i64);

/// Each endpoint's request for the subscription, and its name.
fn requests((instance, tenant, subscription): Target) -> Vec<(Method, String, Option<Value>)> {
    let base = format!("/api/v01/draas/{instance}/tenants/{tenant}/subscriptions/{subscription}");
    SUBSCRIPTION_ENDPOINTS
        .iter()
        .map(|(method, tail, body)| {
            let path = if tail.is_empty() {
                base.clone()
            } else {
                format!("{base}/{tail}")
            };
            (method.clone(), path, body.map(|body| body()))
        })
        .collect()
}

/// Sends every subscription endpoint's request for `target` as `token`'s caller: each
/// must answer the 404 problem, and nothing may be written; a failure is recorded under
/// `case`. The problems.
async fn not_found_everywhere(
    app: &TestApp,
    token: &str,
    target: Target,
    case: &str,
    failures: &mut Failures,
) -> Vec<Value> {
    let before = app.snapshot().await;
    let mut problems = Vec::new();
    for (method, path, body) in requests(target) {
        let response = app.call(method, &path, Some(token), body).await;
        let problem = failures.check(case, response.check_problem(404, "not_found"));
        // Each request has an id of its own; the rest must not tell the cases apart.
        problems.extend(problem.map(|mut problem| {
            problem
                .as_object_mut()
                .map(|fields| fields.remove("requestId"));
            problem
        }));
    }
    let unchanged = app.snapshot().await == before;
    failures.expect(case, unchanged, "a 404 wrote to the database");
    problems
}

/// Subscriptions outside the caller's tree, or that are no subscription: why, who asks,
/// and the subscriptions as the path names them.
#[rustfmt::skip]
static OUTSIDE: &[(&str, &str, &[Target])] = &[
    ("another reseller's", "beta.admin", &[("demo", TENANT_ACME, 1), ("demo", TENANT_ACME, 2), ("demo", TENANT_GLOBEX, 3), ("demo", TENANT_GLOBEX, 4)]),
    ("another reseller's", "alpha.admin", &[("demo", TENANT_INITECH, 5), ("demo", TENANT_INITECH, 6), ("demo", TENANT_UMBRELLA, 7)]),
    ("an unknown tenant's", "group.admin", &[("demo", UNKNOWN_TENANT, 1)]),
    ("a node's that is no tenant", "group.admin", &[("demo", GROUP, 1), ("demo", RESELLER_ALPHA, 1)]),
    ("an unknown subscription", "group.admin", &[("demo", TENANT_ACME, 8), ("demo", TENANT_ACME, 999), ("demo", TENANT_ACME, i64::MAX)]),
    // In Alpha's tree, but not under the tenant the path names.
    ("another tenant's", "alpha.admin", &[("demo", TENANT_ACME, 3), ("demo", TENANT_ACME, 4), ("demo", TENANT_GLOBEX, 1), ("demo", TENANT_GLOBEX, 2)]),
    ("an unknown DRaaS instance's", "group.admin", &[("other-sp", TENANT_ACME, 1)]),
];

/// Another reseller's subscription, a tenant or subscription that does not exist, a
/// node that is no tenant, a subscription under another tenant than its own, another
/// DRaaS instance: every endpoint answers 404, as do the lists there.
#[tokio::test]
async fn everything_outside_the_callers_tree_is_404_on_every_endpoint() {
    let app = TestApp::start().await;
    let mut failures = Failures::default();
    for (why, who, targets) in OUTSIDE {
        let token = app.login(who).await;
        for target in *targets {
            let case = format!("{why} ({who}, {target:?})");
            not_found_everywhere(&app, &token, *target, &case, &mut failures).await;
        }
    }
    let other_sp = "/api/v01/draas/other-sp";
    let lists = [
        (
            "beta.admin",
            format!("{TENANTS}/{TENANT_ACME}/subscriptions"),
        ),
        (
            "group.admin",
            format!("{TENANTS}/{UNKNOWN_TENANT}/subscriptions"),
        ),
        ("group.admin", format!("{TENANTS}/{GROUP}/subscriptions")),
        (
            "group.admin",
            format!("{TENANTS}/{RESELLER_ALPHA}/subscriptions"),
        ),
        ("group.admin", format!("{other_sp}/groups")),
        ("group.admin", format!("{other_sp}/distributors")),
        ("group.admin", format!("{other_sp}/resellers")),
        ("group.admin", format!("{other_sp}/tenants")),
        ("group.admin", format!("{other_sp}/tenants/{TENANT_ACME}")),
        (
            "group.admin",
            format!("{other_sp}/tenants/{TENANT_ACME}/subscriptions"),
        ),
    ];
    for (who, path) in lists {
        let token = app.login(who).await;
        let response = app.get(&path, &token).await;
        failures.check(who, response.check_problem(404, "not_found"));
    }
    failures.assert_none();
}

#[tokio::test]
async fn someone_elses_subscription_looks_exactly_like_one_that_does_not_exist() {
    let (app, beta) = TestApp::signed_in("beta.admin").await;
    let mut failures = Failures::default();
    let hidden = ("demo", TENANT_ACME, 1);
    let hidden = not_found_everywhere(&app, &beta, hidden, "hidden", &mut failures).await;
    let missing = ("demo", TENANT_ACME, 999);
    let missing = not_found_everywhere(&app, &beta, missing, "missing", &mut failures).await;
    failures.assert_none();
    assert_eq!(hidden, missing);
}

#[tokio::test]
async fn a_tenant_admin_sees_only_its_own_tenant() {
    let (app, acme) = TestApp::signed_in("acme.admin").await;
    let tenants = app.get_ok(TENANTS, &acme).await;
    assert_eq!(names(&tenants, "tenants"), ["Acme Corp"]);
    let before = app.snapshot().await;
    let mut failures = Failures::default();
    for target in [
        ("demo", TENANT_GLOBEX, 3),
        ("demo", TENANT_GLOBEX, 4),
        ("demo", TENANT_INITECH, 5),
    ] {
        // Sources and link are refused by role (403) before the path is looked at.
        for (method, path, body) in requests(target)
            .into_iter()
            .filter(|(_, path, _)| !path.ends_with("/sources") && !path.ends_with("/link"))
        {
            let response = app.call(method, &path, Some(&acme), body).await;
            failures.check("", response.check_problem(404, "not_found"));
        }
    }
    failures.assert_none();
    assert_eq!(app.snapshot().await, before);
    app.get(&format!("{TENANTS}/{TENANT_GLOBEX}/subscriptions"), &acme)
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn another_instance_is_404_even_when_it_exists() {
    let app = TestApp::start().await;
    app.execute(
        "INSERT INTO draas_instances (id, slug, name) VALUES (2, 'other-sp', 'Another provider')",
    )
    .await;
    let group = app.login("group.admin").await;
    let mut failures = Failures::default();
    let target = ("other-sp", TENANT_ACME, 1);
    not_found_everywhere(&app, &group, target, "another instance", &mut failures).await;
    failures.assert_none();
    let refused = app.get("/api/v01/draas/other-sp/tenants", &group).await;
    refused.assert_problem(404, "not_found");
}

// The lists.

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
    let (status, code) = match response.status {
        StatusCode::OK => return Ok(names(&response.json(), items)),
        StatusCode::NOT_FOUND => (404, "not_found"),
        _ => (403, "forbidden"),
    };
    let problem = response.assert_problem(status, code);
    Err((status, problem["detail"].as_str().unwrap().to_owned()))
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
    #[rustfmt::skip]
    let cases = [
        ("group.admin", vec!["Acme Corp", "Globex", "Initech", "Umbrella"]),
        ("distributor.admin", vec!["Acme Corp", "Globex", "Initech", "Umbrella"]),
        ("alpha.admin", vec!["Acme Corp", "Globex"]),
        ("beta.admin", vec!["Initech", "Umbrella"]),
        ("acme.admin", vec!["Acme Corp"]),
        ("readonly", vec!["Acme Corp", "Globex", "Initech", "Umbrella"]),
    ];
    for (username, expected) in cases {
        let token = app.login(username).await;
        let page = app.get_ok(TENANTS, &token).await;
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
    let (app, alpha) = TestApp::signed_in("alpha.admin").await;
    let acme = json!({
        "uuid": TENANT_ACME,
        "name": "Acme Corp",
        "billingId": "ACME-001",
        "owner": {"type": "reseller", "uuid": RESELLER_ALPHA, "name": "Alpha Telecom"},
    });
    let page = app.get_ok(TENANTS, &alpha).await;
    assert_eq!(page["tenants"][0], acme);
    assert_eq!(
        page.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["page", "pages", "results", "tenants"],
        "no next on the only page: {page}"
    );
    // Get one answers the same object.
    assert_eq!(
        app.get_ok(&format!("{TENANTS}/{TENANT_ACME}"), &alpha)
            .await,
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
            json!({"uuid": direct, "name": "Direct Co", "billingId": "TEN-00000000D157", "owner": {"type": "distributor", "uuid": DISTRIBUTOR, "name": "Benelux Distribution"}}),
        ),
        (
            own,
            json!({"uuid": own, "name": "Group Own Co", "billingId": "TEN-0000000060E1"}),
        ),
    ];
    for (uuid, expected) in cases {
        assert_eq!(
            app.get_ok(&format!("{TENANTS}/{uuid}"), &group).await,
            expected
        );
        let page = app
            .get_ok(
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
    let (app, group) = TestApp::signed_in("group.admin").await;
    let all = ["Acme Corp", "Globex", "Initech", "Umbrella"];
    for page_size in [1usize, 2, 3, 4, 10] {
        let first = format!("{TENANTS}?page_size={page_size}");
        let mut path = first.clone();
        let mut seen = Vec::new();
        let expected_pages = all.len().div_ceil(page_size) as u64;
        for page_number in 1..=expected_pages {
            let page = app.get_ok(&path, &group).await;
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
    let (app, group) = TestApp::signed_in("group.admin").await;
    #[rustfmt::skip]
    let cases: &[(&str, Listed, Envelope)] = &[
        ("page=1&page_size=3", found(&["Acme Corp", "Globex", "Initech"]), (4, 2, 1, true)),
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
                envelope(&app.get_ok(&path, &group).await),
                *shape,
                "{query}"
            );
        }
    }
    // The page-1 token of page_size 3 opens page 2 whatever `page` says.
    let first = app.get_ok(&format!("{TENANTS}?page_size=3"), &group).await;
    let second = app
        .get_ok(
            &with_next(&format!("{TENANTS}?page_size=3&page=1"), &first["next"]),
            &group,
        )
        .await;
    assert_eq!(names(&second, "tenants"), ["Umbrella"]);
    assert_eq!(envelope(&second), (4, 2, 2, false));
}

#[tokio::test]
async fn a_next_not_issued_for_this_list_and_query_is_400() {
    let (app, group) = TestApp::signed_in("group.admin").await;
    let issued = app
        .get_ok(&format!("{TENANTS}?page_size=1&search=o"), &group)
        .await["next"]
        .as_str()
        .unwrap()
        .to_owned();
    let flipped = {
        let mut bytes = issued.clone().into_bytes();
        bytes[5] = if bytes[5] == b'A' { b'B' } else { b'A' };
        String::from_utf8(bytes).unwrap()
    };
    let subscriptions = format!("{TENANTS}/{TENANT_INITECH}/subscriptions");
    #[rustfmt::skip]
    let cases = [
        ("garbage", format!("{TENANTS}?page_size=1&search=o&next=garbage")),
        ("32 letters", format!("{TENANTS}?page_size=1&search=o&next={}", "A".repeat(32))),
        ("one character changed", format!("{TENANTS}?page_size=1&search=o&next={flipped}")),
        ("empty", format!("{TENANTS}?page_size=1&search=o&next=")),
        ("another page_size", format!("{TENANTS}?page_size=2&search=o&next={issued}")),
        ("another search", format!("{TENANTS}?page_size=1&search=a&next={issued}")),
        ("no search", format!("{TENANTS}?page_size=1&next={issued}")),
        ("another dir", format!("{TENANTS}?page_size=1&search=o&dir=desc&next={issued}")),
        ("another sort", format!("{TENANTS}?page_size=1&search=o&sort=uuid&next={issued}")),
        ("another parent", format!("{TENANTS}?page_size=1&search=o&parent={DISTRIBUTOR}&next={issued}")),
        ("another list", format!("/api/v01/draas/demo/resellers?page_size=1&search=o&next={issued}")),
        ("the subscriptions", format!("{subscriptions}?page_size=1&search=o&next={issued}")),
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
    let page = app
        .get_ok(
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
    #[rustfmt::skip]
    let cases = [
        ("", ["Acme Corp", "Globex", "Initech", "Umbrella"]),
        ("sort=name", ["Acme Corp", "Globex", "Initech", "Umbrella"]),
        ("dir=desc", ["Umbrella", "Initech", "Globex", "Acme Corp"]),
        ("sort=name&dir=asc", ["Acme Corp", "Globex", "Initech", "Umbrella"]),
        ("sort=billingId", ["Globex", "Umbrella", "Initech", "Acme Corp"]),
        ("sort=billingId&dir=desc", ["Acme Corp", "Initech", "Umbrella", "Globex"]),
        ("sort=uuid", ["Acme Corp", "Globex", "Initech", "Umbrella"]),
        ("sort=uuid&dir=desc", ["Umbrella", "Initech", "Globex", "Acme Corp"]),
    ];
    for (query, expected) in cases {
        let page = app.get_ok(&format!("{TENANTS}?{query}"), &group).await;
        assert_eq!(names(&page, "tenants"), expected, "{query}");
        // Paging by token keeps the order.
        let first = app
            .get_ok(&format!("{TENANTS}?{query}&page_size=3"), &group)
            .await;
        let rest = app
            .get_ok(
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
    #[rustfmt::skip]
    let cases = [
        ("group.admin", "GLO", found(&["Globex"])),
        ("group.admin", "%20corp%20", found(&["Acme Corp"])),
        ("group.admin", "umbrella-0", found(&["Umbrella"])),
        ("group.admin", "-001", found(&["Acme Corp", "Globex", "Initech", "Umbrella"])),
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
    let (app, group) = TestApp::signed_in("group.admin").await;
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
    #[rustfmt::skip]
    let cases = [
        ("group.admin", "tenants", GROUP, found(&["Acme Corp", "Globex", "Initech", "Umbrella"])),
        ("group.admin", "tenants", DISTRIBUTOR, found(&["Acme Corp", "Globex", "Initech", "Umbrella"])),
        ("group.admin", "tenants", RESELLER_ALPHA, found(&["Acme Corp", "Globex"])),
        ("group.admin", "tenants", RESELLER_BETA, found(&["Initech", "Umbrella"])),
        ("group.admin", "tenants", TENANT_ACME, none("tenant")),
        ("group.admin", "tenants", unknown, none("tenant")),
        ("alpha.admin", "tenants", RESELLER_ALPHA, found(&["Acme Corp", "Globex"])),
        ("alpha.admin", "tenants", RESELLER_BETA, none("tenant")),
        ("alpha.admin", "tenants", DISTRIBUTOR, none("tenant")),
        ("group.admin", "resellers", DISTRIBUTOR, found(&["Alpha Telecom", "Beta Voice"])),
        ("group.admin", "resellers", GROUP, found(&["Alpha Telecom", "Beta Voice"])),
        ("group.admin", "resellers", RESELLER_ALPHA, none("reseller")),
        ("distributor.admin", "resellers", DISTRIBUTOR, found(&["Alpha Telecom", "Beta Voice"])),
        ("alpha.admin", "resellers", DISTRIBUTOR, none("reseller")),
        ("group.admin", "distributors", GROUP, found(&["Benelux Distribution"])),
        ("distributor.admin", "distributors", GROUP, none("distributor")),
    ];
    for (username, list, parent, expected) in cases {
        let token = app.login(username).await;
        let path = format!("{}?parent={parent}", list_path(list));
        assert_eq!(
            listed(&app, &path, list, &token).await,
            expected,
            "{username} {list} below {parent}"
        );
    }
}

#[tokio::test]
async fn an_empty_list_is_404_with_no_tenant_found() {
    let (app, acme) = TestApp::signed_in("acme.admin").await;
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
    #[rustfmt::skip]
    let cases = [
        ("group.admin", "groups", found(&["Netaxis Group"])),
        ("group.admin", "distributors", found(&["Benelux Distribution"])),
        ("group.admin", "resellers", found(&["Alpha Telecom", "Beta Voice"])),
        ("distributor.admin", "groups", none("group")),
        ("distributor.admin", "distributors", found(&["Benelux Distribution"])),
        ("distributor.admin", "resellers", found(&["Alpha Telecom", "Beta Voice"])),
        ("alpha.admin", "groups", none("group")),
        ("alpha.admin", "distributors", none("distributor")),
        ("alpha.admin", "resellers", found(&["Alpha Telecom"])),
        ("beta.admin", "resellers", found(&["Beta Voice"])),
        ("readonly", "groups", found(&["Netaxis Group"])),
        ("readonly", "resellers", found(&["Alpha Telecom", "Beta Voice"])),
        ("acme.admin", "groups", forbidden("groups.list")),
        ("acme.admin", "distributors", forbidden("distributors.list")),
        ("acme.admin", "resellers", forbidden("resellers.list")),
    ];
    for (username, list, expected) in cases {
        let token = app.login(username).await;
        let answer = listed(&app, &list_path(list), list, &token).await;
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
    let (app, group) = TestApp::signed_in("group.admin").await;
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
            json!([{"uuid": RESELLER_ALPHA, "name": "Alpha Telecom", "billingId": "ALPHA-RES", "owner": {"type": "distributor", "uuid": DISTRIBUTOR, "name": "Benelux Distribution"}}, {"uuid": RESELLER_BETA, "name": "Beta Voice", "billingId": "BETA-RES", "owner": {"type": "distributor", "uuid": DISTRIBUTOR, "name": "Benelux Distribution"}}]),
        ),
    ];
    for (list, expected) in cases {
        let page = app.get_ok(&list_path(list), &group).await;
        assert_eq!(page[list], expected, "{list}");
        let count = expected.as_array().unwrap().len() as u64;
        assert_eq!(envelope(&page), (count, 1, 1, false), "{list}");
    }
    // The resellers page by token like the tenants.
    let first = app
        .get_ok("/api/v01/draas/demo/resellers?page_size=1&dir=desc", &group)
        .await;
    assert_eq!(
        (names(&first, "resellers"), envelope(&first)),
        (vec!["Beta Voice".to_owned()], (2, 2, 1, true))
    );
    let second = app
        .get_ok(
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
    #[rustfmt::skip]
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
        if status == 200 {
            let one = response.assert_status(StatusCode::OK).json();
            assert_eq!(one["uuid"], json!(tenant), "{username}");
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
    let (app, alpha) = TestApp::signed_in("alpha.admin").await;
    let page = app
        .get_ok(&format!("{TENANTS}/{TENANT_ACME}/subscriptions"), &alpha)
        .await;
    assert_eq!(envelope(&page), (2, 1, 1, false));
    let acme = json!([
        {"id": 1, "name": "Acme Teams", "licenseType": "msteams", "directRoutingUsers": 2,
         "msTeams": {"state": "onboarded", "msTenantId": ACME_MS_TENANT, "domain": "acme.draas.demo"}},
        {"id": 2, "name": "Acme SIP Trunk", "licenseType": "sip-trunks", "directRoutingUsers": 0,
         "msTeams": {"state": "not_onboarded"}},
    ]);
    assert_eq!(page["subscriptions"], acme);
    // Get one answers the item as the list shows it.
    for (index, id) in [1, 2].into_iter().enumerate() {
        let one = app
            .get_ok(
                &format!("{TENANTS}/{TENANT_ACME}/subscriptions/{id}"),
                &alpha,
            )
            .await;
        assert_eq!(one, acme[index]);
    }

    let beta = app.login("beta.admin").await;
    let page = app
        .get_ok(&format!("{TENANTS}/{TENANT_INITECH}/subscriptions"), &beta)
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
    let (app, beta) = TestApp::signed_in("beta.admin").await;
    let path = format!("{TENANTS}/{TENANT_INITECH}/subscriptions");
    let first = app.get_ok(&format!("{path}?page_size=1"), &beta).await;
    assert_eq!(
        (subscription_ids(&first), envelope(&first)),
        (vec![5], (2, 2, 1, true))
    );
    let second = app
        .get_ok(
            &with_next(&format!("{path}?page_size=1"), &first["next"]),
            &beta,
        )
        .await;
    assert_eq!(
        (subscription_ids(&second), envelope(&second)),
        (vec![6], (2, 2, 2, false))
    );
    let by_page = app
        .get_ok(&format!("{path}?page_size=1&page=2"), &beta)
        .await;
    assert_eq!(subscription_ids(&by_page), [6]);

    #[rustfmt::skip]
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
                response.assert_status(StatusCode::OK);
                assert_eq!(&subscription_ids(&response.json()), ids, "{query}");
            }
            Err(status) => assert_eq!(response.status.as_u16(), *status, "{}", response.asked),
        }
    }
    let acme = app.login("alpha.admin").await;
    let page = app
        .get_ok(
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
    let (app, cookie) = TestApp::browser_signed_in("alpha.admin").await;
    let page = |path: &'static str| {
        let call = app.request(Method::GET, path).session(&cookie);
        async move { call.send().await.assert_status(StatusCode::OK).text() }
    };
    #[rustfmt::skip]
    let cases: &[(&str, &[&str], &[&str])] = &[
        ("/", &["data-testid=\"subscription-1\"", "data-testid=\"subscription-3\"", "Alpha Telecom"], &["data-testid=\"empty\""]),
        ("/?q=glob", &["data-testid=\"subscription-3\""], &["data-testid=\"subscription-1\""]),
        ("/?q=nothing-like-this", &["data-testid=\"empty\"", "No tenant matches"], &["subscription-1"]),
        ("/?page=9", &["data-testid=\"empty\"", "No tenants on page 9"], &["subscription-1"]),
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
