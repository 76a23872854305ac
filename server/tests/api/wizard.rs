//! The onboarding wizard over HTTP: start, poll, the six steps against the simulated
//! Microsoft, each fault and its resume, concurrent starts, and the lifecycle rules.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    ACME_TEAMS, Failures, GLOBEX_TEAMS, Says, TestApp, UMBRELLA_TEAMS, outcome_of,
};

fn count(journal: &[Value], operation: &str, outcome: &str) -> usize {
    journal
        .iter()
        .filter(|e| e["operation"] == operation && e["outcome"] == outcome)
        .count()
}

fn assert_all_executed(state: &Value) {
    let steps = state["wizardSteps"].as_array().expect("steps");
    let numbers: Vec<i64> = steps.iter().map(|s| s["step"].as_i64().unwrap()).collect();
    assert_eq!(numbers, [0, 1, 2, 3, 4, 5]);
    assert!(steps.iter().all(|s| s["executed"] == true), "{state}");
    assert_eq!(
        steps[2]["text"],
        "Set a domain for the tenant and validate it against Microsoft"
    );
}

#[tokio::test]
async fn the_happy_path_runs_six_steps_once_and_leaves_one_of_everything() {
    let (app, token) = TestApp::signed_in("alpha.admin").await;
    let ms_tenant = app
        .prepare_wizard(&token, GLOBEX_TEAMS, "Wizard Test", &[])
        .await;
    let id = app.start_wizard(&token, GLOBEX_TEAMS).await;
    assert!(
        id > 214_000,
        "transaction ids continue the platform's sequence: {id}"
    );

    let done = app.wizard_ended(&token, GLOBEX_TEAMS).await;
    done.assert_status(StatusCode::OK);
    let state = done.json();
    assert_eq!(state["running"], false);
    assert_all_executed(&state);
    let vrs = &state["wizardSteps"][5]["status"];
    assert_eq!(vrs["pstn"]["DRaaS-PSTN-Usage"]["status"], "created");
    assert_eq!(vrs["vr"]["Draas-VR"]["status"], "created");
    assert_eq!(vrs["vrp"]["World-DRaaS"]["status"], "created");
    for step in &state["wizardSteps"].as_array().unwrap()[..5] {
        assert!(
            step.get("status").is_none(),
            "only step 5 carries a status: {step}"
        );
    }

    // Microsoft's side holds exactly one of each object.
    let sim = app.get_sim_tenant(&token, &ms_tenant).await;
    let sim = sim.assert_status(StatusCode::OK).json();
    let domain = "globex-3.draas.demo";
    assert_eq!(sim["domains"], json!([{"name": domain, "verified": true}]));
    let records: Vec<(String, String)> = sim["dnsRecords"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["recordType"].as_str().unwrap().to_owned(),
                r["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        records,
        [
            ("TXT".to_owned(), domain.to_owned()),
            ("MX".to_owned(), domain.to_owned()),
            ("TXT".to_owned(), domain.to_owned()),
            ("CNAME".to_owned(), format!("autodiscover.{domain}")),
        ],
        "the verification TXT record, then MX, SPF and autodiscover"
    );
    assert!(
        sim["dnsRecords"][2]["value"]
            .as_str()
            .unwrap()
            .starts_with("v=spf1")
    );
    assert_eq!(
        sim["users"],
        json!([{"userPrincipalName": format!("draas-dummy@{domain}"), "licenses": []}])
    );
    assert!(
        sim["licenses"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["consumedUnits"] == 0),
        "the dummy user's license went back: {}",
        sim["licenses"]
    );
    let objects: Vec<&str> = sim["voiceObjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        objects,
        ["pstn_usage", "voice_route", "voice_routing_policy"]
    );

    // The journal shows the license assigned, then removed, and each creation once.
    let journal = app.sim_journal(&token, &ms_tenant).await;
    assert_eq!(count(&journal, "POST /domains", "created"), 1);
    assert_eq!(
        count(&journal, "POST /users/{id}/assignLicense", "assigned"),
        1
    );
    assert_eq!(
        count(
            &journal,
            "POST /users/{id}/assignLicense (remove)",
            "removed"
        ),
        1
    );
    let assigned = journal
        .iter()
        .position(|e| e["outcome"] == "assigned")
        .unwrap();
    let removed = journal
        .iter()
        .position(|e| e["outcome"] == "removed")
        .unwrap();
    assert!(assigned < removed);

    // Fusion's side: onboarded with its domain, the transaction succeeded.
    let status = app.get_status(&token, GLOBEX_TEAMS).await.json();
    assert_eq!(status["status"], "onboarded");
    assert_eq!(status["domain"], json!({"name": domain, "verified": true}));
    let transaction = app.get_transaction(&token, id).await;
    let transaction = transaction.assert_status(StatusCode::OK).json();
    assert_eq!(transaction["status"], "succeeded");
    assert_eq!(transaction["kind"], "msteams.wizard");
    assert_eq!(transaction["subscriptionId"], GLOBEX_TEAMS.1);

    // Onboarded: a new start is refused, update_vrp finds everything in place.
    app.post_wizard(&token, GLOBEX_TEAMS)
        .await
        .assert_problem(400, "already_onboarded");
    let vrp = app.put_update_vrp(&token, GLOBEX_TEAMS).await.json();
    assert_eq!(vrp["status"]["vr"]["Draas-VR"]["status"], "already_exists");
    assert_eq!(
        vrp["status"]["pstn"]["DRaaS-PSTN-Usage"]["status"],
        "already_exists"
    );
    assert_eq!(
        vrp["status"]["vrp"]["World-DRaaS"]["status"],
        "already_exists"
    );
}

/// Runs a wizard into `fault`, checks the failure names `step`, switches the fault off
/// and resumes; the steps before `step` are not redone.
async fn fails_then_resumes(fault: &'static str, step: u8, words: &'static str) {
    let (app, token) = TestApp::signed_in("alpha.admin").await;
    let ms_tenant = app
        .prepare_wizard(&token, GLOBEX_TEAMS, "Wizard Test", &[fault])
        .await;
    let first = app.start_wizard(&token, GLOBEX_TEAMS).await;

    let failed = app.wizard_ended(&token, GLOBEX_TEAMS).await;
    let problem = failed.assert_problem(400, "wizard_failed");
    assert_eq!(problem["failedStep"], step, "{problem}");
    assert_eq!(problem["running"], false);
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.starts_with(&format!("Step {step} (")), "{detail}");
    assert!(detail.contains(words), "{fault}: {detail}");
    let steps = problem["wizardSteps"].as_array().unwrap();
    for s in steps {
        let executed = s["step"].as_u64().unwrap() < u64::from(step);
        assert_eq!(s["executed"], executed, "{fault}: {problem}");
    }
    let transaction = app.get_transaction(&token, first).await.json();
    assert_eq!(transaction["status"], "failed");
    assert_eq!(transaction["detail"], detail);
    let status = app.get_status(&token, GLOBEX_TEAMS).await.json();
    assert_eq!(status["status"], format!("wizard_{step}_error"));

    let before = app.sim_journal(&token, &ms_tenant).await.len();
    let answer = app.put_sim_faults(&token, &ms_tenant, &[]).await;
    answer.assert_status(StatusCode::OK);
    let second = app.start_wizard(&token, GLOBEX_TEAMS).await;
    assert!(second > first);
    let done = app.wizard_ended(&token, GLOBEX_TEAMS).await;
    assert_all_executed(&done.assert_status(StatusCode::OK).json());

    // The resumed run began at the failed step: nothing before it ran again.
    let resumed = &app.sim_journal(&token, &ms_tenant).await[before..];
    let first_operation = resumed[0]["operation"].as_str().unwrap();
    let expected = match step {
        1 => "POST /servicePrincipals",
        2 => "POST /domains",
        4 => "POST /users",
        _ => "Connect-MicrosoftTeams",
    };
    assert_eq!(first_operation, expected, "{fault}: {resumed:?}");
    assert_eq!(
        count(
            &app.sim_journal(&token, &ms_tenant).await,
            "POST /domains",
            "created"
        ),
        1
    );
}

/// alpha.admin runs Globex Teams' wizard to its end on a simulated MS tenant with this
/// fault: the app, the token, the MS tenant, and the run's last answer.
async fn run_with_fault(fault: &str) -> (TestApp, String, String, crate::helpers::TestResponse) {
    let (app, token) = TestApp::signed_in("alpha.admin").await;
    let faults = [fault];
    let ms_tenant = app
        .prepare_wizard(&token, GLOBEX_TEAMS, "Wizard Test", &faults)
        .await;
    let (_, done) = app.run_wizard_to_end(&token, GLOBEX_TEAMS).await;
    (app, token, ms_tenant, done)
}

/// Each fault the wizard meets, the step it fails, and words of its message.
#[rustfmt::skip]
static FAULTS: &[(&str, u8, &str)] = &[
    ("secret_expired", 1, "AADSTS7000222"),
    ("secret_wrong", 1, "AADSTS7000215"),
    ("txt_never_propagates", 2, "has not propagated after 6 checks"),
    ("no_free_license", 4, "no free E1 (STANDARDPACK)"),
    ("mfa_enabled", 5, "multi-factor authentication"),
];

/// An expired or wrong secret fails step 1, a TXT record that never propagates step 2,
/// no free license step 4, MFA on the administrator account step 5; each run resumes
/// at its failed step once the fault is gone. Each on a database of its own.
#[tokio::test]
async fn each_fault_fails_its_step_and_the_run_resumes_there() {
    let mut failures = Failures::default();
    for &(fault, step, words) in FAULTS {
        failures.check(
            fault,
            outcome_of(fails_then_resumes(fault, step, words)).await,
        );
    }
    failures.assert_none();
}

#[tokio::test]
async fn throttled_graph_calls_are_retried_after_retry_after() {
    let (app, token, ms_tenant, done) = run_with_fault("graph_throttling").await;
    done.assert_status(StatusCode::OK);
    assert_all_executed(&done.json());

    let journal = app.sim_journal(&token, &ms_tenant).await;
    let throttled: Vec<usize> = journal
        .iter()
        .enumerate()
        .filter(|(_, e)| e["status"] == 429)
        .map(|(i, _)| i)
        .collect();
    assert!(
        throttled.len() >= 2,
        "one Graph call in four is throttled: {journal:?}"
    );
    for index in throttled {
        let refused = &journal[index];
        assert!(
            refused["detail"]
                .as_str()
                .unwrap()
                .contains("Retry-After: 2 s")
        );
        // The same call comes back, and no sooner than Retry-After (2 s × 0.01).
        let retry = journal[index + 1..]
            .iter()
            .find(|e| e["operation"] == refused["operation"])
            .expect("the throttled call is retried");
        assert_ne!(retry["status"], 429);
        let at =
            |e: &Value| chrono::DateTime::parse_from_rfc3339(e["at"].as_str().unwrap()).unwrap();
        let waited = at(retry) - at(refused);
        assert!(
            waited >= chrono::Duration::milliseconds(20),
            "retried after {waited} only: {refused} then {retry}"
        );
    }
}

#[tokio::test]
async fn replication_lag_is_retried_until_the_user_is_found() {
    let (app, token, ms_tenant, done) = run_with_fault("replication_lag").await;
    done.assert_status(StatusCode::OK);
    let journal = app.sim_journal(&token, &ms_tenant).await;
    assert_eq!(
        count(&journal, "POST /users/{id}/assignLicense", "not_found"),
        2
    );
    assert_eq!(
        count(&journal, "POST /users/{id}/assignLicense", "assigned"),
        1
    );
    assert_eq!(count(&journal, "POST /users", "created"), 1);
}

#[tokio::test]
async fn two_concurrent_starts_make_one_run_and_one_409() {
    let (app, token) = TestApp::signed_in("alpha.admin").await;
    app.prepare_wizard(&token, GLOBEX_TEAMS, "Wizard Test", &[])
        .await;
    let (a, b) = tokio::join!(
        app.post_wizard(&token, GLOBEX_TEAMS),
        app.post_wizard(&token, GLOBEX_TEAMS)
    );
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409]);
    let conflict = if a.status == StatusCode::CONFLICT {
        a
    } else {
        b
    };
    conflict.assert_problem(409, "wizard_running");
    let runs: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM transactions WHERE kind = 'msteams.wizard'")
            .fetch_one(&app.db.read)
            .await
            .unwrap();
    assert_eq!(runs, 1);
    let answer = app.wizard_ended(&token, GLOBEX_TEAMS).await;
    answer.assert_status(StatusCode::OK);
}

#[tokio::test]
async fn the_preparation_phase_answers_404_and_a_running_wizard_blocks_unlink() {
    // At real time the preparation phase lasts seconds: long enough to look at it.
    let app = TestApp::start_configured(|config| config.time_scale = 1.0).await;
    let token = app.login("alpha.admin").await;
    app.prepare_wizard(&token, GLOBEX_TEAMS, "Wizard Test", &[])
        .await;
    let id = app.start_wizard(&token, GLOBEX_TEAMS).await;
    let preparing = app.get_wizard(&token, GLOBEX_TEAMS).await;
    preparing.assert_refusal(404, "not_found", Says::Contains("preparation phase"));
    let transaction = app.get_transaction(&token, id).await.json();
    assert_eq!(transaction["status"], "running");
    let refused = app.post_wizard(&token, GLOBEX_TEAMS).await;
    refused.assert_problem(409, "wizard_running");
    let before = app.snapshot().await;
    let refused = app.post_unlink(&token, GLOBEX_TEAMS).await;
    refused.assert_problem(400, "wizard_running");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn a_start_needs_the_application_and_the_administrator() {
    let (app, token) = TestApp::signed_in("beta.admin").await;
    let before = app.snapshot().await;
    let refused = app.post_wizard(&token, UMBRELLA_TEAMS).await;
    let problem = refused.assert_problem(400, "wizard_needs_credentials");
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("msteams/applications") && detail.contains("msteams/admins"));
    assert_eq!(app.snapshot().await, before);
    app.get_wizard(&token, UMBRELLA_TEAMS)
        .await
        .assert_problem(404, "not_found");

    // With only the administrator stored, the message names what is still missing.
    let admin = json!({"msUsername": "admin@umbrella.example", "msPassword": "x-Passw0rd"});
    let answer = app.post_admins(&token, UMBRELLA_TEAMS, admin).await;
    answer.assert_status(StatusCode::NO_CONTENT);
    let refused = app.post_wizard(&token, UMBRELLA_TEAMS).await;
    let detail = refused.assert_problem(400, "wizard_needs_credentials")["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(detail.contains("msteams/applications") && !detail.contains("msteams/admins"));
}

#[tokio::test]
async fn roles_and_the_tree_of_authority_guard_the_wizard_and_its_transaction() {
    let (app, token) = TestApp::signed_in("alpha.admin").await;
    app.prepare_wizard(&token, GLOBEX_TEAMS, "Wizard Test", &[])
        .await;
    let readonly = app.login("readonly").await;
    let refused = app.post_wizard(&readonly, GLOBEX_TEAMS).await;
    refused.assert_problem(403, "forbidden");
    let (id, _) = app.run_wizard_to_end(&token, GLOBEX_TEAMS).await;
    // Read-only may watch it; another reseller's admin cannot see it at all.
    let answer = app.get_wizard(&readonly, GLOBEX_TEAMS).await;
    answer.assert_status(StatusCode::OK);
    let beta = app.login("beta.admin").await;
    let refused = app.get_wizard(&beta, GLOBEX_TEAMS).await;
    refused.assert_problem(404, "not_found");
    let refused = app.get_transaction(&beta, id).await;
    refused.assert_problem(404, "not_found");
    let refused = app.get_transaction(&token, 999_999_999).await;
    refused.assert_problem(404, "not_found");
    let refused = app.get("/api/v01/transactions/abc", &token).await;
    refused.assert_problem(400, "invalid_path_parameter");
}

#[tokio::test]
async fn a_tenant_onboarded_before_the_wizard_shows_six_executed_steps() {
    let (app, token) = TestApp::signed_in("alpha.admin").await;
    let response = app.get_wizard(&token, ACME_TEAMS).await;
    let state = response.assert_status(StatusCode::OK).json();
    assert_eq!(state["running"], false);
    assert_all_executed(&state);
    let refused = app.post_wizard(&token, ACME_TEAMS).await;
    refused.assert_problem(400, "already_onboarded");
}
