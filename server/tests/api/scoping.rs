//! Who reaches which simulated MS tenant, and who may claim an MS tenant id.
//!
//! The simulator (`/sim/v1` and the UI's `sim_*` server functions) shows a caller the
//! simulated tenants created in its tree, or claimed by a subscription of its tree (the
//! wizard's step 1 proved control with the application's secret); group admins see all;
//! every other tenant answers 404, exactly as an unknown one. Storing an integration
//! claims nothing; the first wizard past step 1 does, and every refusal of a conflicting
//! claim names nothing outside the caller's tree.

use std::collections::BTreeSet;

use crate::helpers::{
    At, TENANT_ACME, TENANT_GLOBEX, TENANT_UMBRELLA, TestApp, TestResponse, sub_path,
};
use axum::{
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use serde_json::{Value, json};
use uuid::Uuid;

/// Alpha Telecom's demo simulated tenants (Contoso … Proseware).
const ALPHA_SIM: [&str; 8] = [
    "a1000000-0000-4000-8000-000000000001",
    "a1000000-0000-4000-8000-000000000002",
    "a1000000-0000-4000-8000-000000000003",
    "a1000000-0000-4000-8000-000000000004",
    "a1000000-0000-4000-8000-000000000005",
    "a1000000-0000-4000-8000-000000000006",
    "a1000000-0000-4000-8000-000000000007",
    "a1000000-0000-4000-8000-000000000008",
];
/// Beta Voice's (Fourth Coffee … Blue Yonder Airlines).
const BETA_SIM: [&str; 8] = [
    "a2000000-0000-4000-8000-000000000001",
    "a2000000-0000-4000-8000-000000000002",
    "a2000000-0000-4000-8000-000000000003",
    "a2000000-0000-4000-8000-000000000004",
    "a2000000-0000-4000-8000-000000000005",
    "a2000000-0000-4000-8000-000000000006",
    "a2000000-0000-4000-8000-000000000007",
    "a2000000-0000-4000-8000-000000000008",
];
/// The MS tenants of the onboarded demo subscriptions: no owner, claimed by Acme's #1
/// and Globex's #4 (Alpha) and Initech's #5 (Beta). Each holds the three voice objects.
const ACME_MS: &str = "27b418d0-b197-483d-a0b8-da90407a92c4";
const GLOBEX_LAB_MS: &str = "5d2c7a1e-3f4b-4c8d-9e6f-0a1b2c3d4e5f";
const INITECH_MS: &str = "8e9f0a1b-2c3d-4e5f-8a7b-6c5d4e3f2a1b";

/// Umbrella Teams (#7): Beta Voice's msteams subscription, not onboarded.
const UMBRELLA_SUB: i64 = 7;
const UMBRELLA: At = (TENANT_UMBRELLA, UMBRELLA_SUB);
/// Globex Teams (#3): Alpha Telecom's msteams subscription, not onboarded.
const GLOBEX_SUB: i64 = 3;
const GLOBEX: At = (TENANT_GLOBEX, GLOBEX_SUB);

const SIM_TABLES: [&str; 10] = [
    "sim_tenants",
    "sim_faults",
    "sim_applications",
    "sim_application_secrets",
    "sim_skus",
    "sim_domains",
    "sim_dns_records",
    "sim_users",
    "sim_voice_objects",
    "sim_journal",
];

/// Every row of every simulator table, to prove that a refused call changed nothing in
/// the simulated Microsoft.
async fn sim_snapshot(app: &TestApp) -> String {
    app.dump_tables(&SIM_TABLES).await
}

/// The ids `GET /sim/v1/tenants` lists for this caller.
async fn listed(app: &TestApp, token: &str) -> BTreeSet<String> {
    let response = app.get("/sim/v1/tenants", token).await;
    response.assert_status(StatusCode::OK);
    response
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["msTenantId"].as_str().unwrap().to_owned())
        .collect()
}

fn ids(groups: &[&[&str]]) -> BTreeSet<String> {
    groups
        .iter()
        .flat_map(|group| group.iter().map(|id| (*id).to_owned()))
        .collect()
}

/// `GET /sim/v1/tenants/{id}`'s status for this caller.
async fn sim_status(app: &TestApp, token: &str, id: &str) -> StatusCode {
    app.get(&format!("/sim/v1/tenants/{id}"), token)
        .await
        .status
}

/// Starts the wizard and polls GET wizard until the run ends; returns that answer.
async fn run_wizard(app: &TestApp, token: &str, at: At) -> Value {
    app.run_wizard_to_end(token, at).await.1.json()
}

/// A simulated MS tenant the group made, with credentials minted there and stored on
/// both Globex Teams (Alpha's) and Umbrella Teams (Beta's): its id, the application
/// and the secret.
async fn named_by_globex_and_umbrella(
    app: &TestApp,
    group: &str,
    name: &str,
) -> (String, String, String) {
    let shared = app.create_sim_tenant(group, name, &[]).await;
    let (application, secret) = app.create_app(group, &shared).await;
    app.store_integration(group, GLOBEX, &shared, &application, &secret)
        .await;
    app.store_integration(group, UMBRELLA, &shared, &application, &secret)
        .await;
    (shared, application, secret)
}

/// A server function called as the site's own page calls it, with the session cookie.
async fn server_fn(app: &TestApp, name: &str, token: &str, args: Value) -> TestResponse {
    let body = args.to_string();
    app.send(
        Request::builder()
            .method(Method::POST)
            .uri(format!("/ui/{name}"))
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json")
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::ORIGIN, "http://127.0.0.1:3000")
            .header(header::COOKIE, format!("fusion_session={token}"))
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

/// Who sees which simulated tenants: each reseller its own (and those its subscriptions
/// claimed), the distributor both resellers', group admins every one; callers without
/// the simulator role none.
#[tokio::test]
async fn each_caller_lists_the_simulated_tenants_of_its_tree() {
    let app = TestApp::start().await;
    let every = ids(&[&ALPHA_SIM, &BETA_SIM, &[ACME_MS, GLOBEX_LAB_MS, INITECH_MS]]);
    let cases: &[(&str, Option<BTreeSet<String>>)] = &[
        (
            "alpha.admin",
            Some(ids(&[&ALPHA_SIM, &[ACME_MS, GLOBEX_LAB_MS]])),
        ),
        ("beta.admin", Some(ids(&[&BETA_SIM, &[INITECH_MS]]))),
        ("distributor.admin", Some(every.clone())),
        ("group.admin", Some(every)),
        // No simulator.manage role: refused outright.
        ("acme.admin", None),
        ("readonly", None),
    ];
    for (username, expected) in cases {
        let token = app.login(username).await;
        let response = app.get("/sim/v1/tenants", &token).await;
        match expected {
            Some(expected) => {
                assert_eq!(response.status, StatusCode::OK, "{username}");
                assert_eq!(&listed(&app, &token).await, expected, "{username}");
                let cookie = app.browser_login(username).await;
                let ui = server_fn(&app, "sim_tenants", &cookie, json!({})).await;
                assert_eq!(ui.status, StatusCode::OK, "{username}: {}", ui.text());
                let ui_ids: BTreeSet<String> = ui
                    .json()
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t["msTenantId"].as_str().unwrap().to_owned())
                    .collect();
                assert_eq!(&ui_ids, expected, "{username} through /ui/sim_tenants");
            }
            None => {
                response.assert_problem(403, "forbidden");
            }
        }
    }
}

/// A reseller reaches none of another reseller's simulated tenants: reading, faults,
/// create_app, the journal and voice objects all answer the 404 of an unknown tenant,
/// and nothing changes in the simulated Microsoft.
#[tokio::test]
async fn a_reseller_cannot_reach_another_resellers_simulated_tenants() {
    let app = TestApp::start().await;
    let unknown = "a9000000-0000-4000-8000-000000000009";
    let cases: &[(&str, &[&str])] = &[
        ("alpha.admin", &[BETA_SIM[0], BETA_SIM[2], INITECH_MS]),
        ("beta.admin", &[ALPHA_SIM[0], ALPHA_SIM[6], ACME_MS]),
    ];
    for (username, foreign) in cases {
        let token = app.login(username).await;
        for id in foreign.iter().copied().chain([unknown]) {
            let before = sim_snapshot(&app).await;
            let domain_before = app.snapshot().await;
            let attempts: [(&str, Method, String, Option<Value>); 5] = [
                (
                    "read it",
                    Method::GET,
                    format!("/sim/v1/tenants/{id}"),
                    None,
                ),
                (
                    "switch its faults off",
                    Method::PUT,
                    format!("/sim/v1/tenants/{id}/faults"),
                    Some(json!({"faults": []})),
                ),
                (
                    "run create_app.ps1 in it",
                    Method::POST,
                    format!("/sim/v1/tenants/{id}/create_app"),
                    None,
                ),
                (
                    "read its journal",
                    Method::GET,
                    format!("/sim/v1/tenants/{id}/journal"),
                    None,
                ),
                (
                    "delete its voice route",
                    Method::DELETE,
                    format!("/sim/v1/tenants/{id}/voice_objects/voice_route/Draas-VR"),
                    None,
                ),
            ];
            for (what, method, path, body) in attempts {
                let response = app.call(method, &path, Some(&token), body).await;
                let case = format!("{username} may not {what} of {id}");
                assert_eq!(
                    response.status,
                    StatusCode::NOT_FOUND,
                    "{case}: {}",
                    response.text()
                );
                let problem = response.assert_problem(404, "not_found");
                // The same answer as for a tenant that does not exist.
                assert_eq!(
                    problem["detail"],
                    format!("No simulated MS tenant {id}"),
                    "{case}"
                );
            }
            assert_eq!(sim_snapshot(&app).await, before, "{username} on {id}");
            assert_eq!(app.snapshot().await, domain_before, "{username} on {id}");
        }
        // Its own tenants answer, as a control.
        let own = if *username == "alpha.admin" {
            ALPHA_SIM[0]
        } else {
            BETA_SIM[0]
        };
        assert_eq!(
            sim_status(&app, &token, own).await,
            StatusCode::OK,
            "{username}"
        );
    }
}

/// The UI's server functions apply the same scope as `/sim/v1`.
#[tokio::test]
async fn the_simulator_server_functions_apply_the_same_scope() {
    let app = TestApp::start().await;
    let alpha = app.browser_login("alpha.admin").await;
    let before = sim_snapshot(&app).await;
    let calls: [(&str, Value); 4] = [
        ("sim_tenant", json!({"id": BETA_SIM[0]})),
        ("sim_journal", json!({"id": BETA_SIM[0]})),
        ("sim_create_app", json!({"id": BETA_SIM[0]})),
        ("sim_set_faults", json!({"id": BETA_SIM[1], "faults": []})),
    ];
    for (name, args) in &calls {
        let response = server_fn(&app, name, &alpha, args.clone()).await;
        assert_eq!(
            response.status,
            StatusCode::NOT_FOUND,
            "alpha.admin /ui/{name}: {}",
            response.text()
        );
        assert_eq!(response.json()["code"], "not_found", "/ui/{name}");
    }
    assert_eq!(sim_snapshot(&app).await, before);

    // Beta reaches the same tenants through the same functions.
    let beta = app.browser_login("beta.admin").await;
    let read = server_fn(&app, "sim_tenant", &beta, json!({"id": BETA_SIM[0]})).await;
    read.assert_status(StatusCode::OK);
    assert_eq!(read.json()["msTenantId"], BETA_SIM[0]);
    let minted = server_fn(&app, "sim_create_app", &beta, json!({"id": BETA_SIM[0]})).await;
    minted.assert_status(StatusCode::OK);
    assert_eq!(minted.json()["msTeamsTenantId"], BETA_SIM[0]);
    // And Alpha still does not.
    let hidden = server_fn(&app, "sim_tenant", &alpha, json!({"id": BETA_SIM[0]})).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
}

/// The distributor and the group reach both resellers' tenants.
#[tokio::test]
async fn the_distributor_and_the_group_reach_both_resellers_simulated_tenants() {
    let app = TestApp::start().await;
    for username in ["distributor.admin", "group.admin"] {
        let token = app.login(username).await;
        for id in [ALPHA_SIM[1], BETA_SIM[1]] {
            assert_eq!(
                sim_status(&app, &token, id).await,
                StatusCode::OK,
                "{username} {id}"
            );
            let faults = app
                .put(
                    &format!("/sim/v1/tenants/{id}/faults"),
                    &token,
                    json!({"faults": ["mfa_enabled"]}),
                )
                .await;
            assert_eq!(
                faults.status,
                StatusCode::OK,
                "{username} {id}: {}",
                faults.text()
            );
            let journal = app
                .get(&format!("/sim/v1/tenants/{id}/journal"), &token)
                .await;
            assert_eq!(journal.status, StatusCode::OK, "{username} {id}");
        }
    }
}

/// A tenant created through `POST /sim/v1/tenants` belongs to its creator's node: the
/// creator, the nodes above it and the group see it; the other reseller does not.
#[tokio::test]
async fn a_created_simulated_tenant_is_visible_to_its_creators_tree_only() {
    let app = TestApp::start().await;
    let alpha = app.login("alpha.admin").await;
    let id = app.create_sim_tenant(&alpha, "Alpha Made", &[]).await;
    let cases = [
        ("alpha.admin", StatusCode::OK),
        ("distributor.admin", StatusCode::OK),
        ("group.admin", StatusCode::OK),
        ("beta.admin", StatusCode::NOT_FOUND),
    ];
    for (username, expected) in cases {
        let token = app.login(username).await;
        assert_eq!(sim_status(&app, &token, &id).await, expected, "{username}");
        assert_eq!(
            listed(&app, &token).await.contains(&id),
            expected == StatusCode::OK,
            "{username}'s list"
        );
    }
    // Beta cannot create it again under its own name either: it learns nothing new
    // (the id is the one it chose) but gets no access.
    let beta = app.login("beta.admin").await;
    let again = app
        .post(
            "/sim/v1/tenants",
            &beta,
            json!({"msTenantId": id, "name": "Beta Copy"}),
        )
        .await;
    again.assert_status(StatusCode::CONFLICT);
    assert_eq!(sim_status(&app, &beta, &id).await, StatusCode::NOT_FOUND);
}

/// Once a wizard of a Beta subscription is past step 1, the MS tenant it proved control
/// of is Beta's to see, whether the group made it or the wizard met it first.
#[tokio::test]
async fn a_tenant_claimed_by_a_wizard_becomes_visible_to_the_subscriptions_tree() {
    let app = TestApp::start().await;
    let group = app.login("group.admin").await;
    let beta = app.login("beta.admin").await;
    let alpha = app.login("alpha.admin").await;

    // Made by the group: its node is above both resellers, so neither sees it yet.
    let group_made = app.create_sim_tenant(&group, "Group Made", &[]).await;
    // Unknown to the simulator: the wizard makes it on the fly and it adopts the
    // application (a tenant nobody registered an application in).
    let on_the_fly = Uuid::new_v4().to_string();
    let cases = [
        ("a tenant the group created", group_made.clone()),
        ("a tenant made on the fly", on_the_fly.clone()),
    ];
    for (what, id) in &cases {
        assert_eq!(
            sim_status(&app, &beta, id).await,
            StatusCode::NOT_FOUND,
            "{what}: before the wizard"
        );
    }
    let (application, secret) = app.create_app(&group, &group_made).await;
    app.store_integration(&group, UMBRELLA, &group_made, &application, &secret)
        .await;
    // Stored, not yet proven: still invisible.
    assert_eq!(
        sim_status(&app, &beta, &group_made).await,
        StatusCode::NOT_FOUND,
        "stored but not claimed"
    );
    let done = run_wizard(&app, &group, UMBRELLA).await;
    assert_eq!(done["running"], false, "{done}");
    assert!(done.get("failedStep").is_none(), "{done}");

    // The other case on Initech Teams EU (#6, Beta's, linked to #5: unlink it first).
    let initech_eu = (crate::helpers::TENANT_INITECH, 6);
    app.post_unlink(&group, initech_eu)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    app.store_integration(
        &group,
        initech_eu,
        &on_the_fly,
        &Uuid::new_v4().to_string(),
        "Invented~Secret~For~A~Fresh~Tenant",
    )
    .await;
    let done = run_wizard(&app, &group, initech_eu).await;
    assert!(done.get("failedStep").is_none(), "{done}");

    for (what, id) in &cases {
        assert_eq!(
            sim_status(&app, &beta, id).await,
            StatusCode::OK,
            "{what}: claimed by a Beta subscription"
        );
        assert!(
            listed(&app, &beta).await.contains(id),
            "{what}: Beta's list"
        );
        assert_eq!(
            sim_status(&app, &alpha, id).await,
            StatusCode::NOT_FOUND,
            "{what}: still not Alpha's"
        );
    }
}

/// Naming another tree's MS tenant in a stored integration is allowed (nothing is
/// proven yet) and shows nothing of it.
#[tokio::test]
async fn storing_another_trees_tenant_id_does_not_make_it_visible() {
    let app = TestApp::start().await;
    let beta = app.login("beta.admin").await;
    let listed_before = listed(&app, &beta).await;
    let before = sim_snapshot(&app).await;
    app.store_integration(
        &beta,
        UMBRELLA,
        ALPHA_SIM[0],
        &Uuid::new_v4().to_string(),
        "Beta~Guessed~Secret~Value~1234567890",
    )
    .await;
    assert_eq!(
        sim_status(&app, &beta, ALPHA_SIM[0]).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(listed(&app, &beta).await, listed_before);
    assert_eq!(sim_snapshot(&app).await, before);
}

/// An application id made up for another tree's MS tenant proves nothing: step 1 fails
/// with AADSTS700016 and the tenant stays out of reach — whether or not anybody has
/// registered an application there yet.
#[tokio::test]
async fn an_invented_application_id_fails_step_1_and_claims_nothing() {
    let app = TestApp::start().await;
    let alpha = app.login("alpha.admin").await;
    let beta = app.login("beta.admin").await;
    // Contoso: Alpha ran create_app.ps1 there. Fabrikam's MFA fault only matters at
    // step 5; take Tailspin instead, which nobody has touched (no application at all).
    app.create_app(&alpha, ALPHA_SIM[0]).await;
    let cases = [
        ("a tenant with an application", ALPHA_SIM[0]),
        ("a tenant without any application", ALPHA_SIM[3]),
    ];
    for (what, target) in cases {
        let apps_before = app
            .get(&format!("/sim/v1/tenants/{target}"), &alpha)
            .await
            .json()["applications"]
            .clone();
        let invented = Uuid::new_v4().to_string();
        // Start each case from a subscription without an integration.
        let _ = app.post_unlink(&beta, UMBRELLA).await;
        app.store_integration(
            &beta,
            UMBRELLA,
            target,
            &invented,
            "Beta~Guessed~Secret~Value~1234567890",
        )
        .await;
        let failed = run_wizard(&app, &beta, UMBRELLA).await;
        assert_eq!(failed["failedStep"], 1, "{what}: {failed}");
        let detail = failed["detail"].as_str().unwrap();
        assert!(detail.contains("AADSTS700016"), "{what}: {detail}");
        assert!(detail.contains(&invented), "{what}: {detail}");
        assert_eq!(
            sim_status(&app, &beta, target).await,
            StatusCode::NOT_FOUND,
            "{what}: still not Beta's"
        );
        let claimed: Option<String> = sqlx::query_scalar(
            "SELECT claimed_ms_tenant_id FROM msteams_tenants WHERE owner_subscription_id = ?",
        )
        .bind(UMBRELLA_SUB)
        .fetch_one(&app.db.read)
        .await
        .unwrap();
        assert_eq!(claimed, None, "{what}");
        // The invented application was not registered in the tenant.
        assert_eq!(
            app.get(&format!("/sim/v1/tenants/{target}"), &alpha)
                .await
                .json()["applications"],
            apps_before,
            "{what}"
        );
    }
}

/// Two subscriptions (of different trees) may both name an unclaimed MS tenant; the
/// first wizard past step 1 claims it, the other fails at step 1 saying why without
/// naming the other subscription, and a later store of the claimed id is refused just
/// as namelessly.
#[tokio::test]
async fn the_first_wizard_past_step_1_claims_the_tenant_and_the_other_fails_namelessly() {
    let app = TestApp::start().await;
    let group = app.login("group.admin").await;
    let alpha = app.login("alpha.admin").await;
    let beta = app.login("beta.admin").await;
    let (shared, application, secret) =
        named_by_globex_and_umbrella(&app, &group, "Shared Prize").await;

    let first = run_wizard(&app, &group, GLOBEX).await;
    assert!(first.get("failedStep").is_none(), "{first}");
    assert_eq!(sim_status(&app, &alpha, &shared).await, StatusCode::OK);

    let (second_id, second) = app.run_wizard_to_end(&group, UMBRELLA).await;
    let second = second.json();
    assert_eq!(second["failedStep"], 1, "{second}");
    assert_eq!(second["code"], "wizard_failed", "{second}");
    let detail = second["detail"].as_str().unwrap().to_owned();
    assert!(
        detail.contains("already onboarded through another subscription"),
        "{detail}"
    );
    let status = app
        .get(&sub_path(UMBRELLA.0, UMBRELLA.1, "msteams/status"), &beta)
        .await
        .json();
    assert_eq!(status["status"], "wizard_1_error", "{status}");
    assert_eq!(
        sim_status(&app, &beta, &shared).await,
        StatusCode::NOT_FOUND,
        "the failed run claimed nothing"
    );

    // Storing the claimed id again (Beta, on its subscription) and, once that
    // integration is gone, another tree's onboarded MS tenant: the same generic 400.
    let again = app
        .post_application(&beta, UMBRELLA, &shared, &application, &secret)
        .await;
    app.post_unlink(&beta, UMBRELLA)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    let before = app.snapshot().await;
    let acme = app
        .post_application(
            &beta,
            UMBRELLA,
            ACME_MS,
            &Uuid::new_v4().to_string(),
            "Beta~Guessed~Secret~Value~1234567890",
        )
        .await;
    assert_eq!(
        app.snapshot().await,
        before,
        "a refused store writes nothing"
    );
    let refusals = [
        ("the shared tenant again", again),
        ("Acme's onboarded tenant", acme),
    ];
    let transaction = app
        .get(&format!("/api/v01/transactions/{second_id}"), &beta)
        .await;
    transaction.assert_status(StatusCode::OK);
    let transaction = transaction.json();
    assert_eq!(transaction["status"], "failed", "{transaction}");
    let mut texts = vec![
        ("the wizard's failure".to_owned(), detail),
        (
            "its transaction".to_owned(),
            transaction["detail"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        ),
    ];
    for (what, response) in &refusals {
        let problem = response.assert_problem(400, "ms_tenant_already_integrated");
        texts.push((
            (*what).to_owned(),
            problem["detail"].as_str().unwrap().to_owned(),
        ));
    }
    for (what, text) in &texts {
        for secret_of_another_tree in [
            "subscription 1",
            "subscription 3",
            "subscription #",
            "Globex",
            "Acme",
            "Alpha",
        ] {
            assert!(
                !text.contains(secret_of_another_tree),
                "{what} names {secret_of_another_tree:?}: {text}"
            );
        }
        assert!(!text.contains(&TENANT_ACME.to_string()), "{what}: {text}");
    }
}

/// Two wizards racing for the same MS tenant: exactly one claims it; the other fails at
/// step 1 with the same nameless reason, and nothing is left running.
#[tokio::test]
async fn two_wizards_racing_for_one_tenant_make_one_claim() {
    let app = TestApp::start().await;
    let group = app.login("group.admin").await;
    let (shared, _, _) = named_by_globex_and_umbrella(&app, &group, "Raced For").await;
    let (first, second) = tokio::join!(
        run_wizard(&app, &group, GLOBEX),
        run_wizard(&app, &group, UMBRELLA)
    );
    let outcomes = [("Globex", first), ("Umbrella", second)];
    let winners: Vec<&str> = outcomes
        .iter()
        .filter(|(_, done)| done.get("failedStep").is_none())
        .map(|(name, _)| *name)
        .collect();
    assert_eq!(winners.len(), 1, "{outcomes:?}");
    for (name, done) in &outcomes {
        if done.get("failedStep").is_some() {
            assert_eq!(done["failedStep"], 1, "{name}: {done}");
            let detail = done["detail"].as_str().unwrap();
            assert!(
                detail.contains("already onboarded through another subscription"),
                "{name}: {detail}"
            );
            assert!(!detail.contains("subscription 3") && !detail.contains("subscription 7"));
        }
    }
    let claims: Vec<(i64, Option<String>, String)> = sqlx::query_as(
        "SELECT owner_subscription_id, claimed_ms_tenant_id, status FROM msteams_tenants
         WHERE owner_subscription_id IN (3, 7) ORDER BY owner_subscription_id",
    )
    .fetch_all(&app.db.read)
    .await
    .unwrap();
    let claimed: Vec<_> = claims.iter().filter(|(_, c, _)| c.is_some()).collect();
    assert_eq!(claimed.len(), 1, "{claims:?}");
    assert_eq!(claimed[0].1.as_deref(), Some(shared.as_str()));
    assert_eq!(claimed[0].2, "onboarded", "{claims:?}");
    assert!(
        claims.iter().all(|(_, _, status)| status != "onboarding"),
        "{claims:?}"
    );
}

/// A subscription linked to an onboarded MS Teams tenant uses that tenant: its tree sees
/// the simulated tenant behind it, as it sees the ones its own subscriptions claimed.
#[tokio::test]
async fn a_link_makes_the_linked_tenant_visible_to_the_linking_tree() {
    let app = TestApp::start().await;
    let group = app.login("group.admin").await;
    let beta = app.login("beta.admin").await;
    // Acme's onboarded MS tenant is Alpha's; Beta does not see it.
    let acme_tenant = "27b418d0-b197-483d-a0b8-da90407a92c4";
    let path = format!("/sim/v1/tenants/{acme_tenant}");
    assert_eq!(app.get(&path, &beta).await.status.as_u16(), 404);
    // A group admin links Beta's Umbrella Teams (#7) to Acme Teams (#1).
    let linked = app
        .post(
            &crate::helpers::sub_path(TENANT_UMBRELLA, 7, "msteams/link"),
            &group,
            serde_json::json!({"subscriptionId": 1}),
        )
        .await;
    linked.assert_status(StatusCode::NO_CONTENT);
    assert_eq!(app.get(&path, &beta).await.status.as_u16(), 200);
}
