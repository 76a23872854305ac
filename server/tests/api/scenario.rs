//! Scenarios: a file of one's own loads into an empty database and is what the API
//! serves; a database holding data keeps it; every kind of mistake names its line.

use axum::http::StatusCode;
use serde_json::{Value, json};
use server::scenario;

use crate::helpers::{TestApp, list_path};

/// A small scenario of one's own: a group with one direct tenant and its subscription,
/// and one administrator.
fn own() -> Value {
    json!({
        "instances": [{"slug": "acme-sp", "name": "Acme service provider"}],
        "groups": [{
            "uuid": "11111111-0000-4000-8000-000000000001", "instance": "acme-sp",
            "name": "Acme Group", "billingId": "ACME-GRP"
        }],
        "tenants": [{
            "uuid": "44444444-0000-4000-8000-000000000001", "name": "Road Runner Inc",
            "billingId": "RR-1", "parent": "11111111-0000-4000-8000-000000000001"
        }],
        "subscriptions": [{
            "id": 42, "tenant": "44444444-0000-4000-8000-000000000001",
            "name": "Road Runner Teams", "licenseType": "msteams",
            "users": [{"username": "wile@roadrunner.example", "directRouting": true}]
        }],
        "admins": [{
            "username": "ops.admin", "password": "s3cret-ops", "displayName": "Olga Ops",
            "level": "group", "node": "11111111-0000-4000-8000-000000000001",
            "profile": "msteams-admin"
        }],
        "simulator": {"tenants": [{
            "id": "aaaaaaaa-0000-4000-8000-000000000001", "name": "Coyote",
            "faults": ["mfa_enabled"], "owner": "11111111-0000-4000-8000-000000000001"
        }]}
    })
}

#[tokio::test]
async fn a_scenario_of_ones_own_is_what_the_api_serves() {
    let app =
        TestApp::start_with_scenario(&serde_json::to_string_pretty(&own()).unwrap(), |_| {}).await;
    let token = app.login_with("ops.admin", "s3cret-ops").await;
    let tenants = app.get_ok("/api/v01/draas/acme-sp/tenants", &token).await;
    assert_eq!(tenants["results"], 1, "{tenants}");
    assert_eq!(tenants["tenants"][0]["name"], "Road Runner Inc");
    let subscriptions = app
        .get_ok(
            "/api/v01/draas/acme-sp/tenants/44444444-0000-4000-8000-000000000001/subscriptions",
            &token,
        )
        .await;
    assert_eq!(
        subscriptions["subscriptions"][0]["id"], 42,
        "{subscriptions}"
    );
    let simulated = app.get_ok("/sim/v1/tenants", &token).await;
    assert_eq!(simulated.as_array().map(Vec::len), Some(1), "{simulated}");
    assert_eq!(simulated[0]["name"], "Coyote");
    // Nothing of the demo: its administrators and its instance do not exist.
    app.post_login("group.admin", "demo-group", &[])
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    app.get(&list_path("tenants"), &token)
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_database_that_holds_data_keeps_it() {
    // The demo's database, started again with another scenario: nothing is loaded over it.
    let app = TestApp::start().await;
    let url = format!("sqlite://{}", app.dir.path().join("fusion.db").display());
    let before = app.snapshot().await;
    let file = tempfile::NamedTempFile::new().expect("scenario file");
    std::fs::write(file.path(), own().to_string()).expect("write scenario");
    let mut config = crate::helpers::config(url.clone());
    config.demo = None;
    config.scenario = Some(file.path().to_owned());
    let db = server::store::Db::connect(&url).await.expect("database");
    server::start_with(
        &config,
        crate::helpers::leptos_options(),
        db,
        app.secrets.clone(),
    )
    .await
    .expect("start again");
    assert_eq!(app.snapshot().await, before);
}

#[test]
fn the_demo_is_a_scenario_that_exports_as_it_reads() {
    let demo = scenario::demo();
    let text = serde_json::to_string_pretty(demo).unwrap();
    assert_eq!(&scenario::parse(&text).expect("the demo again"), demo);
    assert_eq!(demo.admins.len(), 8);
}

#[test]
fn the_demo_and_a_scenario_file_cannot_both_be_asked_for() {
    let mut config = server::config::Config::for_database("sqlite::memory:");
    config.demo = Some(true);
    config.scenario = Some("scenarios/demo.json".into());
    let refused = config.scenario_to_load().unwrap_err();
    assert!(refused.contains("give one"), "{refused}");
    config.demo = None;
    config.scenario = Some("/nonexistent/scenario.json".into());
    let refused = config.scenario_to_load().unwrap_err();
    assert!(refused.contains("/nonexistent/scenario.json"), "{refused}");
}

/// Each kind of mistake: how `own()` is spoiled, where the report must point (in the
/// pretty-printed file), and words of its message. What the types refuse is reported
/// at the refused value (`Value`); what only the checks see, at the first line of the
/// item that holds it (`Item`, its section's first item here).
#[test]
fn every_kind_of_mistake_names_its_line() {
    enum At {
        Value(&'static str),
        Item(&'static str),
    }
    use At::{Item, Value as At_};
    type Spoil = fn(&mut Value);
    let cases: &[(&str, Spoil, At, &str)] = &[
        (
            "unknown field",
            |s| s["tenants"][0]["colour"] = json!("red"),
            At_("colour"),
            "unknown field `colour`",
        ),
        (
            "wrong type",
            |s| s["subscriptions"][0]["id"] = json!("42"),
            At_("\"42\""),
            "invalid type",
        ),
        (
            "unknown license",
            |s| s["subscriptions"][0]["licenseType"] = json!("pots"),
            At_("pots"),
            "unknown variant `pots`",
        ),
        (
            "no such parent",
            |s| s["tenants"][0]["parent"] = json!("99999999-0000-4000-8000-000000000009"),
            Item("\"tenants\""),
            "no node 99999999",
        ),
        (
            "no such tenant",
            |s| s["subscriptions"][0]["tenant"] = json!("11111111-0000-4000-8000-000000000001"),
            Item("\"subscriptions\""),
            "no tenant 11111111",
        ),
        (
            "level and node differ",
            |s| s["admins"][0]["level"] = json!("tenant"),
            Item("\"admins\""),
            "is a group, not a tenant",
        ),
        (
            "no such profile",
            |s| s["admins"][0]["profile"] = json!("root"),
            Item("\"admins\""),
            "no profile 'root'",
        ),
        (
            "no such instance",
            |s| s["groups"][0]["instance"] = json!("other"),
            Item("\"groups\""),
            "no instance 'other'",
        ),
        (
            "bad slug",
            |s| s["instances"][0]["slug"] = json!("Acme SP"),
            Item("\"instances\""),
            "not a valid instance name",
        ),
        (
            "blank name",
            |s| s["tenants"][0]["name"] = json!("  "),
            Item("\"tenants\""),
            "name must not be blank",
        ),
        (
            "uuid taken",
            |s| s["tenants"][0]["uuid"] = json!("11111111-0000-4000-8000-000000000001"),
            Item("\"tenants\""),
            "taken by another node",
        ),
        (
            "bad TOTP secret",
            |s| s["admins"][0]["secondFactor"] = json!({"totp": "not base32!"}),
            Item("\"admins\""),
            "TOTP secret",
        ),
        (
            "link to nothing",
            |s| s["links"] = json!([{"subscription": 42, "to": 7}]),
            Item("\"links\""),
            "subscription 7 is not onboarded",
        ),
        (
            "owner unknown",
            |s| {
                s["simulator"]["tenants"][0]["owner"] =
                    json!("99999999-0000-4000-8000-000000000009")
            },
            Item("\"simulator\""),
            "no node 99999999",
        ),
    ];
    let mut failures = Vec::new();
    for (name, spoil, at, words) in cases {
        let mut spoiled = own();
        spoil(&mut spoiled);
        let text = serde_json::to_string_pretty(&spoiled).unwrap();
        let line = match at {
            At_(value) => line_of(&text, value),
            // The top-level key, then its first item's `{` on the next line; the
            // simulator's tenants lie one level deeper.
            Item(section) if *section == "\"simulator\"" => key_line(&text, section) + 2,
            Item(section) => key_line(&text, section) + 1,
        };
        match scenario::parse(&text) {
            Ok(_) => failures.push(format!("{name}: accepted")),
            Err(error) => {
                let named = error
                    .mistakes
                    .iter()
                    .any(|mistake| mistake.line == line && mistake.to_string().contains(words));
                if !named {
                    failures.push(format!(
                        "{name}: wanted line {line}: … {words}, got {error}"
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The line of a top-level key (indented by two spaces in the pretty-printed file).
fn key_line(text: &str, key: &str) -> usize {
    let opening = format!("  {key}: ");
    text.lines()
        .position(|line| line.starts_with(&opening))
        .map_or(0, |index| index + 1)
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|line| line.contains(needle))
        .map_or(0, |index| index + 1)
}

#[test]
fn a_semantic_mistake_names_the_line_where_its_item_starts() {
    let mut spoiled = own();
    spoiled["tenants"][0]["parent"] = json!("99999999-0000-4000-8000-000000000009");
    let text = serde_json::to_string_pretty(&spoiled).unwrap();
    let error = scenario::parse(&text).unwrap_err();
    // The tenant is the object that opens after `"tenants": [`.
    let tenants = key_line(&text, "\"tenants\"");
    assert_eq!(error.mistakes.len(), 1, "{error}");
    assert_eq!(error.mistakes[0].line, tenants + 1, "{error}\n{text}");
    assert_eq!(error.mistakes[0].item, "tenants[0]");
}

#[test]
fn every_mistake_is_reported_not_only_the_first() {
    let mut spoiled = own();
    spoiled["tenants"][0]["parent"] = json!("99999999-0000-4000-8000-000000000009");
    spoiled["admins"][0]["profile"] = json!("root");
    let error = scenario::parse(&spoiled.to_string()).unwrap_err();
    assert_eq!(error.mistakes.len(), 2, "{error}");
}
