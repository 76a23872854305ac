//! Who reaches which simulated MS tenant, and who may claim an MS tenant id.
//!
//! The simulator (`/sim/v1` and the UI's `sim_*` server functions) shows a caller the
//! simulated tenants created in its tree, or claimed by a subscription of its tree (the
//! wizard's step 1 proved control with the application's secret); group admins see all;
//! every other tenant answers 404, exactly as an unknown one. Storing an integration
//! claims nothing; the first wizard past step 1 does, and every refusal of a conflicting
//! claim names nothing outside the caller's tree.

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{
    ACME_MS_TENANT, At, Failures, GLOBEX_LAB_MS_TENANT, GLOBEX_TEAMS, INITECH_EU,
    INITECH_MS_TENANT, RESELLER_ALPHA, RESELLER_BETA, SIM_TENANTS, TENANT_ACME, TestApp,
    UMBRELLA_TEAMS, application, sim_path, sim_tenants_of,
};

/// A secret a caller made up for an MS tenant it does not control.
const GUESSED_SECRET: &str = "Beta~Guessed~Secret~Value~1234567890";

/// Every row of every simulator table, to prove that a refused call changed nothing in
/// the simulated Microsoft.
async fn sim_snapshot(app: &TestApp) -> String {
    app.dump_tables(&[
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
    ])
    .await
}

/// The ids of a list of simulated tenants.
fn ids_in(tenants: &Value) -> BTreeSet<String> {
    tenants
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["msTenantId"].as_str().unwrap().to_owned())
        .collect()
}

/// The ids `GET /sim/v1/tenants` lists for this caller.
async fn listed(app: &TestApp, token: &str) -> BTreeSet<String> {
    let response = app.get(SIM_TENANTS, token).await;
    ids_in(&response.assert_status(StatusCode::OK).json())
}

/// The ids of these groups of tenants.
fn ids(groups: &[&[&str]]) -> BTreeSet<String> {
    groups
        .iter()
        .flat_map(|group| group.iter().map(|id| (*id).to_owned()))
        .collect()
}

/// `GET /sim/v1/tenants/{id}`'s status for this caller.
async fn sim_status(app: &TestApp, token: &str, id: &str) -> StatusCode {
    app.get_sim_tenant(token, id).await.status
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
    let (application, secret) = app.sim_create_app(group, &shared).await;
    for at in [GLOBEX_TEAMS, UMBRELLA_TEAMS] {
        app.store_integration(group, at, &shared, &application, &secret)
            .await;
    }
    (shared, application, secret)
}

/// Who sees which simulated tenants: each reseller its own (and those its subscriptions
/// claimed), the distributor both resellers', group admins every one; callers without
/// the simulator role none.
#[tokio::test]
async fn each_caller_lists_the_simulated_tenants_of_its_tree() {
    let app = TestApp::start().await;
    let alpha_sim = sim_tenants_of(RESELLER_ALPHA);
    let beta_sim = sim_tenants_of(RESELLER_BETA);
    let alpha_sim: Vec<&str> = alpha_sim.iter().map(String::as_str).collect();
    let beta_sim: Vec<&str> = beta_sim.iter().map(String::as_str).collect();
    let onboarded = [ACME_MS_TENANT, GLOBEX_LAB_MS_TENANT, INITECH_MS_TENANT];
    let every = ids(&[&alpha_sim, &beta_sim, &onboarded]);
    let cases: &[(&str, Option<BTreeSet<String>>)] = &[
        (
            "alpha.admin",
            Some(ids(&[&alpha_sim, &[ACME_MS_TENANT, GLOBEX_LAB_MS_TENANT]])),
        ),
        ("beta.admin", Some(ids(&[&beta_sim, &[INITECH_MS_TENANT]]))),
        ("distributor.admin", Some(every.clone())),
        ("group.admin", Some(every)),
        // No simulator.manage role: refused outright.
        ("acme.admin", None),
        ("readonly", None),
    ];
    for (username, expected) in cases {
        let token = app.login(username).await;
        let response = app.get(SIM_TENANTS, &token).await;
        let Some(expected) = expected else {
            response.assert_problem(403, "forbidden");
            continue;
        };
        let tenants = response.assert_status(StatusCode::OK).json();
        assert_eq!(&ids_in(&tenants), expected, "{username}");
        let cookie = app.browser_login(username).await;
        let ui = app.server_fn("sim_tenants", Some(&cookie), json!({})).await;
        let ui_ids = ids_in(&ui.assert_status(StatusCode::OK).json());
        assert_eq!(&ui_ids, expected, "{username} through /ui/sim_tenants");
    }
}

/// A reseller reaches none of another reseller's simulated tenants: reading, faults,
/// create_app, the journal and voice objects all answer the 404 of an unknown tenant,
/// and nothing changes in the simulated Microsoft.
#[tokio::test]
async fn a_reseller_cannot_reach_another_resellers_simulated_tenants() {
    let unknown = "a9000000-0000-4000-8000-000000000009";
    let app = TestApp::start().await;
    let alpha_sim = sim_tenants_of(RESELLER_ALPHA);
    let beta_sim = sim_tenants_of(RESELLER_BETA);
    let cases = [
        (
            "alpha.admin",
            [beta_sim[0].as_str(), &beta_sim[2], INITECH_MS_TENANT],
            &alpha_sim[0],
        ),
        (
            "beta.admin",
            [alpha_sim[0].as_str(), &alpha_sim[6], ACME_MS_TENANT],
            &beta_sim[0],
        ),
    ];
    let attempts: [(&str, Method, &str, Option<Value>); 5] = [
        ("read it", Method::GET, "", None),
        (
            "switch its faults off",
            Method::PUT,
            "/faults",
            Some(json!({"faults": []})),
        ),
        (
            "run create_app.ps1 in it",
            Method::POST,
            "/create_app",
            None,
        ),
        ("read its journal", Method::GET, "/journal", None),
        (
            "delete its voice route",
            Method::DELETE,
            "/voice_objects/voice_route/Draas-VR",
            None,
        ),
    ];
    let mut failures = Failures::default();
    for (username, foreign, own) in cases {
        let token = app.login(username).await;
        for id in foreign.into_iter().chain([unknown]) {
            let before = sim_snapshot(&app).await;
            let domain_before = app.snapshot().await;
            for (what, method, tail, body) in &attempts {
                let path = sim_path(id, tail);
                let response = app
                    .call(method.clone(), &path, Some(&token), body.clone())
                    .await;
                let case = format!("{username} may not {what} of {id}");
                // The same answer as for a tenant that does not exist.
                if let Some(problem) =
                    failures.check(&case, response.check_problem(404, "not_found"))
                {
                    let unknown_detail = format!("No simulated MS tenant {id}");
                    let same = problem["detail"] == unknown_detail.as_str();
                    failures.expect(&case, same, format!("another detail: {problem}"));
                }
            }
            let unchanged =
                sim_snapshot(&app).await == before && app.snapshot().await == domain_before;
            failures.expect(
                format!("{username} on {id}"),
                unchanged,
                "something changed",
            );
        }
        // Its own tenants answer, as a control.
        assert_eq!(
            sim_status(&app, &token, own).await,
            StatusCode::OK,
            "{username}"
        );
    }
    failures.assert_none();
}

/// The UI's server functions apply the same scope as `/sim/v1`.
#[tokio::test]
async fn the_simulator_server_functions_apply_the_same_scope() {
    let app = TestApp::start().await;
    let beta_sim = sim_tenants_of(RESELLER_BETA);
    let alpha = app.browser_login("alpha.admin").await;
    let before = sim_snapshot(&app).await;
    let calls: [(&str, Value); 4] = [
        ("sim_tenant", json!({"id": beta_sim[0]})),
        ("sim_journal", json!({"id": beta_sim[0]})),
        ("sim_create_app", json!({"id": beta_sim[0]})),
        ("sim_set_faults", json!({"id": beta_sim[1], "faults": []})),
    ];
    for (name, args) in &calls {
        let response = app.server_fn(name, Some(&alpha), args.clone()).await;
        response.assert_status(StatusCode::NOT_FOUND);
        assert_eq!(response.json()["code"], "not_found", "/ui/{name}");
    }
    assert_eq!(sim_snapshot(&app).await, before);

    // Beta reaches the same tenants through the same functions.
    let beta = app.browser_login("beta.admin").await;
    let id = json!({"id": beta_sim[0]});
    let read = app.server_fn("sim_tenant", Some(&beta), id.clone()).await;
    let read = read.assert_status(StatusCode::OK).json();
    assert_eq!(read["msTenantId"], beta_sim[0]);
    let minted = app
        .server_fn("sim_create_app", Some(&beta), id.clone())
        .await;
    let minted = minted.assert_status(StatusCode::OK).json();
    assert_eq!(minted["msTeamsTenantId"], beta_sim[0]);
    // And Alpha still does not.
    let hidden = app.server_fn("sim_tenant", Some(&alpha), id).await;
    hidden.assert_status(StatusCode::NOT_FOUND);
}

/// The distributor and the group reach both resellers' tenants.
#[tokio::test]
async fn the_distributor_and_the_group_reach_both_resellers_simulated_tenants() {
    let app = TestApp::start().await;
    let ids = [
        sim_tenants_of(RESELLER_ALPHA)[1].clone(),
        sim_tenants_of(RESELLER_BETA)[1].clone(),
    ];
    for username in ["distributor.admin", "group.admin"] {
        let token = app.login(username).await;
        for id in &ids {
            assert_eq!(
                sim_status(&app, &token, id).await,
                StatusCode::OK,
                "{username} {id}"
            );
            let answer = app.put_sim_faults(&token, id, &["mfa_enabled"]).await;
            answer.assert_status(StatusCode::OK);
            let answer = app.get(&sim_path(id, "/journal"), &token).await;
            answer.assert_status(StatusCode::OK);
        }
    }
}

/// A tenant created through `POST /sim/v1/tenants` belongs to its creator's node: the
/// creator, the nodes above it and the group see it; the other reseller does not.
#[tokio::test]
async fn a_created_simulated_tenant_is_visible_to_its_creators_tree_only() {
    let (app, alpha) = TestApp::signed_in("alpha.admin").await;
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
    let copy = json!({"msTenantId": id, "name": "Beta Copy"});
    let answer = app.post(SIM_TENANTS, &beta, copy).await;
    answer.assert_status(StatusCode::CONFLICT);
    assert_eq!(sim_status(&app, &beta, &id).await, StatusCode::NOT_FOUND);
}

/// Once a wizard of a Beta subscription is past step 1, the MS tenant it proved control
/// of is Beta's to see, whether the group made it or the wizard met it first.
#[tokio::test]
async fn a_tenant_claimed_by_a_wizard_becomes_visible_to_the_subscriptions_tree() {
    let (app, group) = TestApp::signed_in("group.admin").await;
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
    let (application, secret) = app.sim_create_app(&group, &group_made).await;
    app.store_integration(&group, UMBRELLA_TEAMS, &group_made, &application, &secret)
        .await;
    // Stored, not yet proven: still invisible.
    assert_eq!(
        sim_status(&app, &beta, &group_made).await,
        StatusCode::NOT_FOUND,
        "stored but not claimed"
    );
    let done = run_wizard(&app, &group, UMBRELLA_TEAMS).await;
    assert_eq!(done["running"], false, "{done}");
    assert!(done.get("failedStep").is_none(), "{done}");

    // The other case on Initech Teams EU (#6, Beta's, linked to #5: unlink it first).
    let answer = app.post_unlink(&group, INITECH_EU).await;
    answer.assert_status(StatusCode::NO_CONTENT);
    let invented = Uuid::new_v4().to_string();
    let secret = "Invented~Secret~For~A~Fresh~Tenant";
    app.store_integration(&group, INITECH_EU, &on_the_fly, &invented, secret)
        .await;
    let done = run_wizard(&app, &group, INITECH_EU).await;
    assert!(done.get("failedStep").is_none(), "{done}");

    for (what, id) in &cases {
        assert_eq!(
            sim_status(&app, &beta, id).await,
            StatusCode::OK,
            "{what}: claimed by a Beta subscription"
        );
        let seen = listed(&app, &beta).await.contains(id);
        assert!(seen, "{what}: Beta's list");
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
    let contoso = &sim_tenants_of(RESELLER_ALPHA)[0];
    let beta = app.login("beta.admin").await;
    let listed_before = listed(&app, &beta).await;
    let before = sim_snapshot(&app).await;
    let invented = Uuid::new_v4().to_string();
    app.store_integration(&beta, UMBRELLA_TEAMS, contoso, &invented, GUESSED_SECRET)
        .await;
    assert_eq!(
        sim_status(&app, &beta, contoso).await,
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
    let alpha_sim = sim_tenants_of(RESELLER_ALPHA);
    let alpha = app.login("alpha.admin").await;
    let beta = app.login("beta.admin").await;
    // Contoso: Alpha ran create_app.ps1 there. Fabrikam's MFA fault only matters at
    // step 5; take Tailspin instead, which nobody has touched (no application at all).
    app.sim_create_app(&alpha, &alpha_sim[0]).await;
    let cases = [
        ("a tenant with an application", &alpha_sim[0]),
        ("a tenant without any application", &alpha_sim[3]),
    ];
    for (what, target) in cases {
        let applications = || async {
            let tenant = app.get_sim_tenant(&alpha, target).await.json();
            tenant["applications"].clone()
        };
        let apps_before = applications().await;
        let invented = Uuid::new_v4().to_string();
        // Start each case from a subscription without an integration.
        let _ = app.post_unlink(&beta, UMBRELLA_TEAMS).await;
        app.store_integration(&beta, UMBRELLA_TEAMS, target, &invented, GUESSED_SECRET)
            .await;
        let failed = run_wizard(&app, &beta, UMBRELLA_TEAMS).await;
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
        .bind(UMBRELLA_TEAMS.1)
        .fetch_one(&app.db.read)
        .await
        .unwrap();
        assert_eq!(claimed, None, "{what}");
        // The invented application was not registered in the tenant.
        assert_eq!(applications().await, apps_before, "{what}");
    }
}

/// Two subscriptions (of different trees) may both name an unclaimed MS tenant; the
/// first wizard past step 1 claims it, the other fails at step 1 saying why without
/// naming the other subscription, and a later store of the claimed id is refused just
/// as namelessly.
#[tokio::test]
async fn the_first_wizard_past_step_1_claims_the_tenant_and_the_other_fails_namelessly() {
    let (app, group) = TestApp::signed_in("group.admin").await;
    let alpha = app.login("alpha.admin").await;
    let beta = app.login("beta.admin").await;
    let (shared, app_id, secret) = named_by_globex_and_umbrella(&app, &group, "Shared Prize").await;

    let first = run_wizard(&app, &group, GLOBEX_TEAMS).await;
    assert!(first.get("failedStep").is_none(), "{first}");
    assert_eq!(sim_status(&app, &alpha, &shared).await, StatusCode::OK);

    let (second_id, second) = app.run_wizard_to_end(&group, UMBRELLA_TEAMS).await;
    let second = second.json();
    assert_eq!(second["failedStep"], 1, "{second}");
    assert_eq!(second["code"], "wizard_failed", "{second}");
    let detail = second["detail"].as_str().unwrap().to_owned();
    assert!(
        detail.contains("already onboarded through another subscription"),
        "{detail}"
    );
    let status = app.get_status(&beta, UMBRELLA_TEAMS).await.json();
    assert_eq!(status["status"], "wizard_1_error", "{status}");
    assert_eq!(
        sim_status(&app, &beta, &shared).await,
        StatusCode::NOT_FOUND,
        "the failed run claimed nothing"
    );

    // Storing the claimed id again (Beta, on its subscription) and, once that
    // integration is gone, another tree's onboarded MS tenant: the same generic 400.
    let again = app
        .post_applications(
            &beta,
            UMBRELLA_TEAMS,
            application(&shared, &app_id, &secret),
        )
        .await;
    let answer = app.post_unlink(&beta, UMBRELLA_TEAMS).await;
    answer.assert_status(StatusCode::NO_CONTENT);
    let before = app.snapshot().await;
    let invented = Uuid::new_v4().to_string();
    let guessed = application(ACME_MS_TENANT, &invented, GUESSED_SECRET);
    let acme = app.post_applications(&beta, UMBRELLA_TEAMS, guessed).await;
    assert_eq!(
        app.snapshot().await,
        before,
        "a refused store writes nothing"
    );
    let refusals = [
        ("the shared tenant again", again),
        ("Acme's onboarded tenant", acme),
    ];
    let transaction = app.get_transaction(&beta, second_id).await;
    let transaction = transaction.assert_status(StatusCode::OK).json();
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
        let detail = problem["detail"].as_str().unwrap().to_owned();
        texts.push(((*what).to_owned(), detail));
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
    let (app, group) = TestApp::signed_in("group.admin").await;
    let (shared, _, _) = named_by_globex_and_umbrella(&app, &group, "Raced For").await;
    let (first, second) = tokio::join!(
        run_wizard(&app, &group, GLOBEX_TEAMS),
        run_wizard(&app, &group, UMBRELLA_TEAMS)
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
    let (app, group) = TestApp::signed_in("group.admin").await;
    let beta = app.login("beta.admin").await;
    // Acme's onboarded MS tenant is Alpha's; Beta does not see it.
    let acme = ACME_MS_TENANT;
    assert_eq!(sim_status(&app, &beta, acme).await, StatusCode::NOT_FOUND);
    // A group admin links Beta's Umbrella Teams (#7) to Acme Teams (#1).
    let answer = app.post_link(&group, UMBRELLA_TEAMS, 1).await;
    answer.assert_status(StatusCode::NO_CONTENT);
    assert_eq!(sim_status(&app, &beta, acme).await, StatusCode::OK);
}
