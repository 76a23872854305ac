//! The mock controls (`/mock/v1`): reset goes back to the loaded scenario, export gives
//! the state as a scenario without its secrets, a posted scenario replaces the state
//! (and becomes what reset goes back to); only group admins with `mock.manage`, and only
//! on a server that runs a scenario.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use server::{
    domain::mock::{PASSWORD_PLACEHOLDER, SECRET_PLACEHOLDER},
    scenario::{self, SecondFactorSpec},
};

use crate::helpers::{GLOBEX_TEAMS, TestApp, admin_body, sub_path};

const RESET: &str = "/mock/v1/reset";
const EXPORT: &str = "/mock/v1/export";
const SCENARIO: &str = "/mock/v1/scenario";

/// The demo as an export gives it back: no passwords, no TOTP secret, placeholders for
/// the onboarded tenants' secrets.
fn demo_as_exported() -> Value {
    let mut demo = scenario::demo().clone();
    for admin in &mut demo.admins {
        admin.password = None;
        if matches!(admin.second_factor, Some(SecondFactorSpec::Totp(_))) {
            admin.second_factor = None;
        }
    }
    for onboarded in &mut demo.onboarded {
        onboarded.secret = SECRET_PLACEHOLDER.into();
        onboarded.administrator_password = PASSWORD_PLACEHOLDER.into();
    }
    serde_json::to_value(demo).unwrap()
}

/// A scenario of one's own: one group, one direct tenant, one administrator who may use
/// the mock controls.
fn own() -> Value {
    json!({
        "instances": [{"slug": "acme-sp", "name": "Acme service provider"}],
        "groups": [{"uuid": "11111111-0000-4000-8000-000000000001", "instance": "acme-sp",
                    "name": "Acme Group", "billingId": "ACME-GRP"}],
        "tenants": [{"uuid": "44444444-0000-4000-8000-000000000001", "name": "Road Runner Inc",
                     "billingId": "RR-1", "parent": "11111111-0000-4000-8000-000000000001"}],
        "subscriptions": [{"id": 42, "tenant": "44444444-0000-4000-8000-000000000001",
                           "name": "Road Runner Teams", "licenseType": "msteams"}],
        "admins": [{"username": "ops.admin", "password": "s3cret-ops", "displayName": "Olga Ops",
                    "level": "group", "node": "11111111-0000-4000-8000-000000000001",
                    "profile": "mock-admin"}]
    })
}

#[tokio::test]
async fn the_export_of_the_demo_is_the_demo_without_its_secrets() {
    let (app, token) = TestApp::signed_in("group.admin").await;
    let exported = app.get(EXPORT, &token).await;
    exported.assert_status(StatusCode::OK);
    assert!(
        exported
            .header("content-disposition")
            .is_some_and(|value| value.contains("scenario.json")),
        "a download"
    );
    assert_eq!(exported.json(), demo_as_exported());
    // And it is a scenario: it parses again.
    scenario::parse(&exported.text()).expect("the export is a valid scenario");
}

#[tokio::test]
async fn reset_undoes_every_change_and_ends_every_session() {
    let (app, token) = TestApp::signed_in("group.admin").await;
    let before = app.get_ok(EXPORT, &token).await;
    let admins = sub_path(GLOBEX_TEAMS, "msteams/admins");
    app.post(&admins, &token, admin_body("admin@globex.onmicrosoft.com"))
        .await
        .assert_status(StatusCode::NO_CONTENT);
    app.post(
        "/sim/v1/tenants",
        &token,
        json!({"msTenantId": "bbbbbbbb-0000-4000-8000-000000000001", "name": "Extra"}),
    )
    .await
    .assert_status(StatusCode::CREATED);
    assert_ne!(app.get_ok(EXPORT, &token).await, before, "the changes show");

    app.post(RESET, &token, json!({}))
        .await
        .assert_status(StatusCode::NO_CONTENT);
    // Every session ended, the caller's too.
    app.get(EXPORT, &token)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    let token = app.login("group.admin").await;
    assert_eq!(app.get_ok(EXPORT, &token).await, before);
    let stored = app.get_ok(&admins, &token).await;
    assert_eq!(stored["msUsername"], Value::Null, "{stored}");
}

#[tokio::test]
async fn a_posted_scenario_replaces_the_state_and_is_what_reset_returns_to() {
    let (app, token) = TestApp::signed_in("group.admin").await;
    app.request(Method::POST, SCENARIO)
        .bearer(&token)
        .json(&own())
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    app.post_login("group.admin", "demo-group", &[])
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    let token = app.login_with("ops.admin", "s3cret-ops").await;
    let tenants = app.get_ok("/api/v01/draas/acme-sp/tenants", &token).await;
    assert_eq!(tenants["tenants"][0]["name"], "Road Runner Inc");
    app.post(RESET, &token, json!({}))
        .await
        .assert_status(StatusCode::NO_CONTENT);
    // Back to the posted scenario, not to the demo.
    let token = app.login_with("ops.admin", "s3cret-ops").await;
    let exported = app.get_ok(EXPORT, &token).await;
    assert_eq!(exported["instances"][0]["slug"], "acme-sp", "{exported}");
}

#[tokio::test]
async fn a_scenario_with_mistakes_changes_nothing_and_names_their_lines() {
    let (app, token) = TestApp::signed_in("group.admin").await;
    let before = app.get_ok(EXPORT, &token).await;
    let mut spoiled = own();
    spoiled["admins"][0]["profile"] = json!("root");
    let text = serde_json::to_string_pretty(&spoiled).unwrap();
    let refused = app
        .request(Method::POST, SCENARIO)
        .bearer(&token)
        .raw(Some("application/json"), text)
        .send()
        .await;
    let problem = refused.assert_problem(400, "invalid_scenario");
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("line ") && detail.contains("no profile 'root'"),
        "{detail}"
    );
    // Not JSON at all, and not sent as JSON.
    app.request(Method::POST, SCENARIO)
        .bearer(&token)
        .raw(Some("application/json"), "{\"instances\": [")
        .send()
        .await
        .assert_problem(400, "invalid_scenario");
    app.request(Method::POST, SCENARIO)
        .bearer(&token)
        .raw(Some("text/plain"), own().to_string())
        .send()
        .await
        .assert_problem(415, "unsupported_media_type");
    // A scenario after which nobody could use the controls again.
    let mut locked_out = own();
    locked_out["admins"][0]["profile"] = json!("msteams-admin");
    let refused = app
        .request(Method::POST, SCENARIO)
        .bearer(&token)
        .json(&locked_out)
        .send()
        .await;
    let problem = refused.assert_problem(400, "invalid_scenario");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("mock-admin"),
        "{problem}"
    );
    assert_eq!(app.get_ok(EXPORT, &token).await, before);
}

#[tokio::test]
async fn only_group_admins_with_the_role_use_the_controls() {
    let app = TestApp::start().await;
    for username in ["alpha.admin", "distributor.admin", "acme.admin", "readonly"] {
        let token = app.login(username).await;
        for (method, path) in [(Method::POST, RESET), (Method::GET, EXPORT)] {
            app.request(method, path)
                .bearer(&token)
                .send()
                .await
                .assert_problem(403, "forbidden");
        }
    }
    // Who may is answered before the body is looked at.
    let token = app.login("alpha.admin").await;
    app.request(Method::POST, SCENARIO)
        .bearer(&token)
        .raw(Some("text/plain"), "not even JSON")
        .send()
        .await
        .assert_problem(403, "forbidden");
    // A group admin with every MS Teams role but not the mock-admin profile.
    let token = app
        .admin_with_roles(
            "teams.only",
            app::api_types::AdminLevel::Group,
            crate::helpers::GROUP,
            &app::api_types::Role::ALL
                .iter()
                .copied()
                .filter(|role| *role != app::api_types::Role::MockManage)
                .collect::<Vec<_>>(),
        )
        .await;
    app.get(EXPORT, &token)
        .await
        .assert_problem(403, "forbidden");
    app.request(Method::POST, RESET)
        .send()
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_reset_stops_a_running_wizard_and_nothing_it_did_lands_after() {
    // Real-time latencies: the wizard's first steps are still running at the reset.
    let app = TestApp::start_configured(|config| config.time_scale = 1.0).await;
    let token = app.login("group.admin").await;
    let before = app.get_ok(EXPORT, &token).await;
    app.prepare_wizard(&token, GLOBEX_TEAMS, "Slowpoke", &[])
        .await;
    app.start_wizard(&token, GLOBEX_TEAMS).await;
    app.post(RESET, &token, json!({}))
        .await
        .assert_status(StatusCode::NO_CONTENT);
    let token = app.login("group.admin").await;
    assert_eq!(app.get_ok(EXPORT, &token).await, before);
    // Given the time a step takes, nothing of the stopped run shows up later either.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(app.get_ok(EXPORT, &token).await, before);
    assert_eq!(app.count("SELECT COUNT(*) FROM jobs", &[]).await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM sim_journal", &[]).await, 0);
}

#[tokio::test]
async fn a_server_without_the_controls_turned_on_has_none() {
    // The demo's database, started again without the demo (as a deployment runs).
    let mut app = TestApp::start().await;
    let url = format!("sqlite://{}", app.dir.path().join("fusion.db").display());
    let mut config = crate::helpers::config(url.clone());
    config.demo = Some(false);
    let db = server::store::Db::connect(&url).await.expect("database");
    let again = server::start_with(
        &config,
        crate::helpers::leptos_options(),
        db,
        app.secrets.clone(),
    )
    .await
    .expect("start again");
    app.router = server::web::router(again.state.clone());
    app.state = again.state;
    let token = app.login("group.admin").await;
    for (method, path) in [
        (Method::POST, RESET),
        (Method::GET, EXPORT),
        (Method::POST, SCENARIO),
    ] {
        app.request(method, path)
            .bearer(&token)
            .json(&own())
            .send()
            .await
            .assert_problem(404, "not_found");
    }
}

#[tokio::test]
async fn a_scenario_file_turns_the_controls_on_only_when_asked() {
    for (asked, status) in [(None, 404), (Some(true), 200)] {
        let app = TestApp::start_with_scenario(&own().to_string(), |config| {
            config.mock_controls = asked;
        })
        .await;
        let token = app.login_with("ops.admin", "s3cret-ops").await;
        let answer = app.get(EXPORT, &token).await;
        assert_eq!(
            answer.status.as_u16(),
            status,
            "--mock-controls {asked:?}: {}",
            answer.text()
        );
    }
}
