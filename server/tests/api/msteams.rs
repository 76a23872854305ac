//! The MS Teams endpoints of a subscription, over HTTP against the real router and the
//! demo data (see `helpers::fixtures`): each success case and each documented refusal.
//! The refusals are tables, one per endpoint, each case refused on the demo data as it
//! is (a case that needs a state of its own has a test of its own).

use axum::http::{Method, StatusCode};
use base64::{Engine, engine::general_purpose::STANDARD};
use serde_json::{Value, json};
use server::crypto::SecretSlot;

use crate::helpers::{
    ACME_ADMIN, ACME_APPLICATION, ACME_MS_TENANT, ACME_SIP_TRUNK, ACME_TEAMS, At, Failures,
    GLOBEX_LAB, GLOBEX_LAB_ADMIN, GLOBEX_TEAMS, INITECH_APPLICATION, INITECH_EU, INITECH_MS_TENANT,
    INITECH_TEAMS, JsonBody, NEW_APPLICATION, NEW_MS_TENANT, NEW_SECRET, Says,
    Says::{Anything, Contains, StartsWith},
    TENANT_GLOBEX, TestApp, UMBRELLA_TEAMS, WIZARD_LIMIT, admin_body, application,
    application_body, contains_bytes, reset_secret_body, sub_path,
};

// ---- refusals --------------------------------------------------------------------------

/// What a refused request sends.
enum Sent {
    Nothing,
    Json(JsonBody),
    /// `POST msteams/link` to this source.
    Link(i64),
}

use Sent::{Json, Link, Nothing};

/// A request the rules refuse: why, who asks, the request (method, subscription, tail,
/// body), and the refusal (status, code, what its detail says).
type Refusal = (
    &'static str,
    &'static str,
    Method,
    At,
    &'static str,
    Sent,
    u16,
    &'static str,
    Says,
);

const GET: Method = Method::GET;
const POST: Method = Method::POST;
const DELETE: Method = Method::DELETE;

/// Sends every refused request as its caller on one database: each gets its refusal,
/// and nothing changes. Fails naming every case that did not hold.
async fn assert_refused(app: &TestApp, refusals: impl IntoIterator<Item = &Refusal>) {
    let before = app.snapshot().await;
    let mut tokens = std::collections::HashMap::new();
    let mut failures = Failures::default();
    for (why, who, method, at, tail, sent, status, code, says) in refusals {
        if !tokens.contains_key(who) {
            tokens.insert(who, app.login(who).await);
        }
        let body = match sent {
            Nothing => None,
            Json(body) => Some(body()),
            Link(source) => Some(json!({"subscriptionId": source})),
        };
        let response = app
            .call_at(method.clone(), &tokens[who], *at, tail, body)
            .await;
        let refused = response.check_refusal(*status, code, *says);
        failures.check(format!("{why} ({who})"), refused);
    }
    failures.assert_none();
    assert_eq!(
        app.snapshot().await,
        before,
        "a refusal changed the database"
    );
}

const APPLICATIONS: &str = "msteams/applications";

#[rustfmt::skip]
static APPLICATION_REFUSALS: &[Refusal] = &[
    ("a new integration without an MS Teams tenant id", "alpha.admin", POST, GLOBEX_TEAMS, APPLICATIONS,
        Json(|| json!({"applicationId": NEW_APPLICATION, "secret": NEW_SECRET})), 400, "ms_tenant_id_required", Contains("msTeamsTenantId")),
    ("an update with a different MS Teams tenant id", "alpha.admin", POST, ACME_TEAMS, APPLICATIONS,
        Json(application_body), 400, "ms_tenant_id_mismatch", Anything),
    ("an MS Teams tenant another subscription integrated (Alpha's)", "group.admin", POST, UMBRELLA_TEAMS, APPLICATIONS,
        Json(|| application(ACME_MS_TENANT, NEW_APPLICATION, NEW_SECRET)), 400, "ms_tenant_already_integrated", Contains("link")),
    ("an MS Teams tenant another subscription integrated (Beta's)", "group.admin", POST, UMBRELLA_TEAMS, APPLICATIONS,
        Json(|| application(INITECH_MS_TENANT, NEW_APPLICATION, NEW_SECRET)), 400, "ms_tenant_already_integrated", Contains("link")),
    ("a sip-trunks subscription holds no application", "alpha.admin", POST, ACME_SIP_TRUNK, APPLICATIONS,
        Json(application_body), 400, "wrong_license_type", Anything),
    ("a linked subscription manages no application of its own", "beta.admin", POST, INITECH_EU, APPLICATIONS,
        Json(application_body), 400, "subscription_linked", Anything),
];

const ADMINS: &str = "msteams/admins";

#[rustfmt::skip]
static ADMINISTRATOR_REFUSALS: &[Refusal] = &[
    ("deleting another tenant's id", "group.admin", DELETE, ACME_TEAMS, ADMINS, Json(|| json!({"id": 2, "msUsername": ACME_ADMIN})), 400, "administrator_mismatch", Anything),
    ("deleting another account", "group.admin", DELETE, ACME_TEAMS, ADMINS, Json(|| json!({"id": 1, "msUsername": "other@acme.onmicrosoft.com"})), 400, "administrator_mismatch", Anything),
    ("deleting no such id", "group.admin", DELETE, ACME_TEAMS, ADMINS, Json(|| json!({"id": 0, "msUsername": ACME_ADMIN})), 400, "administrator_mismatch", Anything),
    ("deleting what is not a sign-in name", "group.admin", DELETE, ACME_TEAMS, ADMINS, Json(|| json!({"id": 1, "msUsername": "admin"})), 400, "validation_failed", Anything),
    ("deleting where nothing is stored", "group.admin", DELETE, GLOBEX_TEAMS, ADMINS, Json(|| json!({"id": 1, "msUsername": ACME_ADMIN})), 400, "no_administrator", Anything),
    ("deleting where nothing is stored, naming another's account", "group.admin", DELETE, UMBRELLA_TEAMS, ADMINS, Json(|| json!({"id": 3, "msUsername": "admin@initech.onmicrosoft.com"})), 400, "no_administrator", Anything),
    ("a linked subscription stores no account", "group.admin", POST, INITECH_EU, ADMINS, Json(contoso_admin), 400, "subscription_linked", Anything),
    ("a linked subscription changes no password", "group.admin", POST, INITECH_EU, ADMINS, Json(password_only), 400, "subscription_linked", Anything),
    ("a linked subscription removes no account", "group.admin", DELETE, INITECH_EU, ADMINS, Json(initech_admin), 400, "subscription_linked", Anything),
    ("a sip-trunks subscription stores no account", "group.admin", POST, ACME_SIP_TRUNK, ADMINS, Json(contoso_admin), 400, "wrong_license_type", Anything),
    ("a sip-trunks subscription changes no password", "group.admin", POST, ACME_SIP_TRUNK, ADMINS, Json(password_only), 400, "wrong_license_type", Anything),
    ("a sip-trunks subscription removes no account", "group.admin", DELETE, ACME_SIP_TRUNK, ADMINS, Json(initech_admin), 400, "wrong_license_type", Anything),
    ("a name without a domain", "alpha.admin", POST, ACME_TEAMS, ADMINS, Json(|| admin_body("admin")), 400, "validation_failed", Contains("msUsername")),
    ("a domain without a dot", "alpha.admin", POST, ACME_TEAMS, ADMINS, Json(|| admin_body("admin@contoso")), 400, "validation_failed", Contains("msUsername")),
    ("no name before the @", "alpha.admin", POST, ACME_TEAMS, ADMINS, Json(|| admin_body("@contoso.com")), 400, "validation_failed", Contains("msUsername")),
    ("a space in the name", "alpha.admin", POST, ACME_TEAMS, ADMINS, Json(|| admin_body("ad min@contoso.com")), 400, "validation_failed", Contains("msUsername")),
    ("an empty name", "alpha.admin", POST, ACME_TEAMS, ADMINS, Json(|| admin_body("")), 400, "validation_failed", Contains("msUsername")),
    ("read-only stores no account", "readonly", POST, ACME_TEAMS, ADMINS, Json(|| admin_body(ACME_ADMIN)), 403, "forbidden", Contains("msteams.administrator.update")),
    ("read-only changes no password", "readonly", POST, ACME_TEAMS, ADMINS, Json(password_only), 403, "forbidden", Contains("msteams.administrator.update")),
    ("read-only removes no account", "readonly", DELETE, ACME_TEAMS, ADMINS, Json(acme_admin), 403, "forbidden", Anything),
    ("another reseller's account does not exist to read", "beta.admin", GET, ACME_TEAMS, ADMINS, Nothing, 404, "not_found", Anything),
    ("another reseller's account does not exist to store", "beta.admin", POST, ACME_TEAMS, ADMINS, Json(|| admin_body(ACME_ADMIN)), 404, "not_found", Anything),
    ("another reseller's account does not exist to remove", "beta.admin", DELETE, ACME_TEAMS, ADMINS, Json(acme_admin), 404, "not_found", Anything),
];

fn contoso_admin() -> Value {
    admin_body("admin@contoso.onmicrosoft.com")
}

fn password_only() -> Value {
    json!({"msPassword": crate::helpers::ADMIN_PASSWORD})
}

/// The accounts `GET msteams/admins` names on Acme Teams and on Initech Teams (EU).
fn acme_admin() -> Value {
    json!({"id": 1, "msUsername": ACME_ADMIN})
}

fn initech_admin() -> Value {
    json!({"id": 3, "msUsername": "admin@initech.onmicrosoft.com"})
}

#[rustfmt::skip]
static SECRET_AND_SCRIPT_REFUSALS: &[Refusal] = &[
    ("a reset without an integration", "alpha.admin", POST, GLOBEX_TEAMS, "msteams/reset_secret",
        Json(reset_secret_body), 400, "no_application_integration", Anything),
    ("a reset on a sip-trunks subscription", "alpha.admin", POST, ACME_SIP_TRUNK, "msteams/reset_secret",
        Json(reset_secret_body), 400, "wrong_license_type", Anything),
    ("a reset for another application id", "alpha.admin", POST, ACME_TEAMS, "msteams/reset_secret",
        Json(|| json!({"applicationId": NEW_APPLICATION, "secret": NEW_SECRET})), 400, "application_id_mismatch", Anything),
    ("a reset on a linked subscription", "beta.admin", POST, INITECH_EU, "msteams/reset_secret",
        Json(|| json!({"applicationId": INITECH_APPLICATION, "secret": NEW_SECRET})), 400, "subscription_linked", Anything),
    ("create_app for a sip-trunks subscription", "alpha.admin", POST, ACME_SIP_TRUNK, "downloads/create_app",
        Nothing, 400, "wrong_license_type", Anything),
];

const LINK: &str = "msteams/link";

/// 2: sip-trunks, never onboarded. 5 and 6: onboarded, but Beta's. 7: Beta's and not
/// onboarded. 999: no such subscription. 4 owns an onboarded tenant; 6 is already
/// linked to 5.
#[rustfmt::skip]
static LINK_REFUSALS: &[Refusal] = &[
    ("a source never onboarded", "alpha.admin", POST, GLOBEX_TEAMS, LINK, Link(2), 400, "invalid_link_source", Anything),
    ("an onboarded source of another tree", "alpha.admin", POST, GLOBEX_TEAMS, LINK, Link(5), 400, "invalid_link_source", Anything),
    ("a linked source of another tree", "alpha.admin", POST, GLOBEX_TEAMS, LINK, Link(6), 400, "invalid_link_source", Anything),
    ("a source of another tree not onboarded", "alpha.admin", POST, GLOBEX_TEAMS, LINK, Link(7), 400, "invalid_link_source", Anything),
    ("no such source", "alpha.admin", POST, GLOBEX_TEAMS, LINK, Link(999), 400, "invalid_link_source", Anything),
    ("a subscription owning a tenant", "group.admin", POST, GLOBEX_LAB, LINK, Link(1), 400, "msteams_tenant_exists", Anything),
    ("a subscription linked already", "group.admin", POST, INITECH_EU, LINK, Link(1), 400, "msteams_tenant_exists", Anything),
    ("a subscription to itself", "alpha.admin", POST, GLOBEX_TEAMS, LINK, Link(3), 400, "invalid_link_source", Anything),
    ("an onboarded subscription to itself", "alpha.admin", POST, ACME_TEAMS, LINK, Link(1), 400, "invalid_link_source", Anything),
    ("a sip-trunks subscription", "alpha.admin", POST, ACME_SIP_TRUNK, LINK, Link(1), 400, "wrong_license_type", Anything),
];

#[rustfmt::skip]
static UNLINK_AND_STATUS_REFUSALS: &[Refusal] = &[
    ("unlink while direct-routing users remain", "alpha.admin", POST, ACME_TEAMS, "msteams/unlink",
        Nothing, 400, "direct_routing_users_remain", StartsWith("2 user(s)")),
    ("unlink with nothing stored", "group.admin", POST, GLOBEX_TEAMS, "msteams/unlink",
        Nothing, 400, "no_msteams_tenant", Anything),
    ("unlink with nothing stored, in another tree", "group.admin", POST, UMBRELLA_TEAMS, "msteams/unlink",
        Nothing, 400, "no_msteams_tenant", Anything),
    ("unlink of a sip-trunks subscription", "group.admin", POST, ACME_SIP_TRUNK, "msteams/unlink",
        Nothing, 400, "no_msteams_tenant", Anything),
    ("status without an MS Teams tenant", "alpha.admin", GET, GLOBEX_TEAMS, "msteams/status",
        Nothing, 404, "not_found", Anything),
    ("status of a sip-trunks subscription", "alpha.admin", GET, ACME_SIP_TRUNK, "msteams/status",
        Nothing, 404, "not_found", Anything),
];

/// Every refusal of every table, on one database: each refused as it must be, and
/// nothing changed. What was refused is as it was: no tenant for Globex Teams, Acme
/// Teams still onboarded.
#[tokio::test]
async fn what_the_rules_forbid_is_refused_and_changes_nothing() {
    let app = TestApp::start().await;
    let tables = [
        APPLICATION_REFUSALS,
        ADMINISTRATOR_REFUSALS,
        SECRET_AND_SCRIPT_REFUSALS,
        LINK_REFUSALS,
        UNLINK_AND_STATUS_REFUSALS,
    ];
    assert_refused(&app, tables.into_iter().flatten()).await;
    let alpha = app.login("alpha.admin").await;
    let refused = app.get_status(&alpha, GLOBEX_TEAMS).await;
    refused.assert_problem(404, "not_found");
    let status = app.status_of(&alpha, ACME_TEAMS).await;
    assert_eq!(status["status"], "onboarded", "{status}");
}

// ---- what the tests read -------------------------------------------------------------

/// The id of the MS Teams tenant row the subscription owns.
async fn tenant_row(app: &TestApp, subscription: i64) -> i64 {
    let query = "SELECT id FROM msteams_tenants WHERE owner_subscription_id = ?";
    app.count(query, &[subscription]).await
}

/// The administrator password stored for the subscription's own MS Teams tenant, opened
/// with the server's key.
async fn administrator_password(app: &TestApp, subscription: i64) -> String {
    let sealed: Vec<u8> = sqlx::query_scalar(
        "SELECT d.password_ciphertext FROM msteams_administrators d
         JOIN msteams_tenants t ON t.id = d.msteams_tenant_id WHERE t.owner_subscription_id = ?",
    )
    .bind(subscription)
    .fetch_one(&app.db.read)
    .await
    .expect("a sealed password");
    app.secrets
        .open(SecretSlot::AdministratorPassword { subscription }, &sealed)
        .expect("opens with the server's key")
        .expose()
        .to_owned()
}

/// The sealed application secret of the subscription's own MS Teams tenant.
async fn sealed_application_secret(app: &TestApp, subscription: i64) -> Vec<u8> {
    sqlx::query_scalar(
        "SELECT a.secret_ciphertext FROM msteams_applications a
         JOIN msteams_tenants t ON t.id = a.msteams_tenant_id WHERE t.owner_subscription_id = ?",
    )
    .bind(subscription)
    .fetch_one(&app.db.read)
    .await
    .expect("a sealed secret")
}

/// The rows an onboarded subscription owns: its tenant, application and administrator.
async fn msteams_rows(app: &TestApp, subscription: i64) -> (i64, i64, i64) {
    let owned = |table: &str| {
        format!(
            "SELECT COUNT(*) FROM {table} a JOIN msteams_tenants t ON t.id = a.msteams_tenant_id
             WHERE t.owner_subscription_id = ?"
        )
    };
    let tenants = "SELECT COUNT(*) FROM msteams_tenants WHERE owner_subscription_id = ?";
    (
        app.count(tenants, &[subscription]).await,
        app.count(&owned("msteams_applications"), &[subscription])
            .await,
        app.count(&owned("msteams_administrators"), &[subscription])
            .await,
    )
}

/// An integration's status names the account, whether it is active, when it was stored
/// and (for a secret) when it expires: no field carries anything of the credential itself.
#[track_caller]
fn assert_shows_no_secret(integration: &Value) {
    let fields = integration.as_object().expect("an integration object");
    let allowed = [
        "msUserName",
        "msApplicationId",
        "active",
        "updatedAt",
        "secretExpiresAt",
    ];
    for name in fields.keys() {
        assert!(
            allowed.contains(&name.as_str()),
            "unexpected field {name} in {integration}"
        );
    }
}

/// What `GET msteams/admins` answers when no account is stored.
fn no_account() -> Value {
    json!({"id": null, "msUsername": null})
}

// ---- applications ----------------------------------------------------------------------

#[tokio::test]
async fn a_new_integration_is_stored_as_not_initiated_and_shows_nothing_of_its_secret() {
    let (app, token) = TestApp::signed_in("alpha.admin").await;
    let response = app
        .post_applications(&token, GLOBEX_TEAMS, application_body())
        .await;
    response.assert_no_content();

    let status = app.status_of(&token, GLOBEX_TEAMS).await;
    assert_eq!(status["msTenantId"], NEW_MS_TENANT);
    assert_eq!(status["msApplicationId"], NEW_APPLICATION);
    assert_eq!(status["status"], "not_initiated");
    assert_eq!(status["mode"], "direct_routing");
    assert!(
        status.get("domain").is_none(),
        "no domain before the wizard: {status}"
    );
    assert_eq!(status["msGraph"]["msApplicationId"], NEW_APPLICATION);
    assert_eq!(status["msGraph"]["active"], true);
    assert_shows_no_secret(&status["msGraph"]);
    assert_eq!(
        status["powershell"],
        json!({"msUserName": null, "active": false})
    );
    assert!(!status.to_string().contains(NEW_SECRET));
}

#[tokio::test]
async fn an_update_without_ms_teams_tenant_id_replaces_the_application_and_keeps_the_tenant() {
    let (app, token) = TestApp::signed_in("alpha.admin").await;
    let update = json!({"applicationId": NEW_APPLICATION, "secret": NEW_SECRET});
    let answer = app.post_applications(&token, ACME_TEAMS, update).await;
    answer.assert_status(StatusCode::NO_CONTENT);

    let status = app.status_of(&token, ACME_TEAMS).await;
    assert_eq!(status["msTenantId"], ACME_MS_TENANT);
    assert_eq!(status["msApplicationId"], NEW_APPLICATION);
    assert_shows_no_secret(&status["msGraph"]);
    assert_eq!(
        status["status"], "onboarded",
        "an update does not restart onboarding"
    );
}

#[tokio::test]
async fn an_update_may_repeat_the_same_ms_teams_tenant_id_in_any_guid_form() {
    let (app, token) = TestApp::signed_in("alpha.admin").await;
    let braced_upper = format!("{{{}}}", ACME_MS_TENANT.to_uppercase());
    let update = application(&braced_upper, NEW_APPLICATION, NEW_SECRET);
    let answer = app.post_applications(&token, ACME_TEAMS, update).await;
    answer.assert_status(StatusCode::NO_CONTENT);
    let status = app.status_of(&token, ACME_TEAMS).await;
    assert_eq!(status["msTenantId"], ACME_MS_TENANT);
}

#[tokio::test]
async fn a_stored_secret_never_appears_in_any_response_nor_on_disk() {
    let (app, token) = TestApp::signed_in("alpha.admin").await;
    let secret = "Zq9~UniqueApplicationSecretForThisTest_0123";
    let password = "Unique-Administrator-Password-4567";
    let changed_password = "Changed-Administrator-Password-8910";
    let globex_admin = "admin@globex.onmicrosoft.com";
    let with_password = json!({"msUsername": globex_admin, "msPassword": password});
    let mut bodies = Vec::new();
    let stored = app
        .post_applications(
            &token,
            GLOBEX_TEAMS,
            application(NEW_MS_TENANT, NEW_APPLICATION, secret),
        )
        .await;
    stored.assert_status(StatusCode::NO_CONTENT);
    bodies.push(stored);
    let stored = app
        .post_admins(&token, GLOBEX_TEAMS, with_password.clone())
        .await;
    stored.assert_status(StatusCode::NO_CONTENT);
    bodies.push(stored);
    let changed = json!({ "msPassword": changed_password });
    let changed = app.post_admins(&token, GLOBEX_TEAMS, changed).await;
    changed.assert_status(StatusCode::NO_CONTENT);
    bodies.push(changed);
    for path in [
        sub_path(GLOBEX_TEAMS, "msteams/status"),
        sub_path(GLOBEX_TEAMS, ADMINS),
        sub_path(GLOBEX_LAB, "msteams/sources"),
        format!("/api/v01/draas/demo/tenants/{TENANT_GLOBEX}/subscriptions"),
        "/api/v01/draas/demo/tenants".to_owned(),
        "/api/v01/system/users/local".to_owned(),
    ] {
        let response = app.get(&path, &token).await;
        response.assert_status(StatusCode::OK);
        bodies.push(response);
    }
    // Refusals echo nothing of what was sent either.
    let acme_tenant = application(ACME_MS_TENANT, NEW_APPLICATION, secret);
    bodies.push(
        app.post_applications(&token, GLOBEX_TEAMS, acme_tenant)
            .await,
    );
    let reset = json!({"applicationId": ACME_APPLICATION, "secret": secret});
    bodies.push(app.post_reset_secret(&token, GLOBEX_TEAMS, reset).await);
    // Nor do the refusals of the administrator's endpoints.
    let beta = app.login("beta.admin").await;
    bodies.push(app.post_admins(&beta, INITECH_EU, with_password).await);
    let unknown = json!({"id": 999, "msUsername": globex_admin});
    bodies.push(app.delete_admins(&token, GLOBEX_TEAMS, unknown).await);
    let secrets = [secret, password, changed_password];
    for response in &bodies {
        let text = response.text();
        assert!(
            secrets.iter().all(|s| !text.contains(s)),
            "leaked in {text}"
        );
        for value in response.headers.values() {
            let value = String::from_utf8_lossy(value.as_bytes());
            assert!(
                secrets.iter().all(|s| !value.contains(s)),
                "leaked in a header: {value}"
            );
        }
    }
    let status = app.status_of(&token, GLOBEX_TEAMS).await;
    assert_shows_no_secret(&status["msGraph"]);
    assert_shows_no_secret(&status["powershell"]);

    let on_disk = app.database_bytes();
    assert!(!on_disk.is_empty());
    for (what, stored) in [
        ("the secret", secret),
        ("the password", password),
        ("the changed password", changed_password),
    ] {
        assert!(
            !contains_bytes(&on_disk, stored.as_bytes()),
            "{what} is stored in clear"
        );
    }
}

// ---- the administrator (msteams/admins) ------------------------------------------------

#[tokio::test]
async fn admins_answers_nulls_when_no_account_is_stored() {
    let (app, token) = TestApp::signed_in("alpha.admin").await;
    // 3: nothing stored; 2: sip-trunks, never any MS Teams tenant.
    for at in [GLOBEX_TEAMS, ACME_SIP_TRUNK] {
        assert_eq!(app.admins_of(&token, at).await, no_account(), "{at:?}");
    }
}

#[tokio::test]
async fn admins_names_the_stored_account_by_its_ms_teams_tenant_row() {
    let app = TestApp::start().await;
    let cases = [
        ("group.admin", ACME_TEAMS, 1, ACME_ADMIN),
        ("group.admin", GLOBEX_LAB, 4, GLOBEX_LAB_ADMIN),
        (
            "group.admin",
            INITECH_TEAMS,
            5,
            "admin@initech.onmicrosoft.com",
        ),
        // A linked subscription shows the account of the tenant it shares.
        (
            "group.admin",
            INITECH_EU,
            5,
            "admin@initech.onmicrosoft.com",
        ),
        // Read-only may read it.
        ("readonly", ACME_TEAMS, 1, ACME_ADMIN),
    ];
    for (who, at, owner, username) in cases {
        let token = app.login(who).await;
        let id = tenant_row(&app, owner).await;
        assert_eq!(
            app.admins_of(&token, at).await,
            json!({"id": id, "msUsername": username}),
            "{who} {at:?}"
        );
    }
}

#[tokio::test]
async fn posting_an_account_stores_it_in_lowercase_and_status_shows_it_active() {
    let (app, token) = TestApp::signed_in("alpha.admin").await;
    let password = "N3w-Adm1n-Passw0rd!";
    let body = json!({"msUsername": "Teams.Admin@Globex.onmicrosoft.com", "msPassword": password});
    let response = app.post_admins(&token, GLOBEX_TEAMS, body).await;
    response.assert_no_content();

    let id = tenant_row(&app, 3).await;
    assert_eq!(
        app.admins_of(&token, GLOBEX_TEAMS).await,
        json!({"id": id, "msUsername": "teams.admin@globex.onmicrosoft.com"})
    );
    assert_eq!(administrator_password(&app, 3).await, password);

    // The account alone makes an MS Teams tenant that is not initiated, without an MS
    // tenant id until the application names one.
    let status = app.status_of(&token, GLOBEX_TEAMS).await;
    assert_eq!(status["status"], "not_initiated");
    assert_eq!(status["msTenantId"], Value::Null, "{status}");
    assert_eq!(
        status["powershell"]["msUserName"],
        "teams.admin@globex.onmicrosoft.com"
    );
    assert_eq!(status["powershell"]["active"], true);
    assert!(status["powershell"]["updatedAt"].is_string(), "{status}");
    assert_shows_no_secret(&status["powershell"]);
    assert_eq!(
        status["msGraph"],
        json!({"msApplicationId": null, "active": false})
    );
    assert!(!status.to_string().contains(password));

    // The application then still needs the MS Teams tenant id.
    let update = json!({"applicationId": NEW_APPLICATION, "secret": NEW_SECRET});
    let refused = app.post_applications(&token, GLOBEX_TEAMS, update).await;
    refused.assert_problem(400, "ms_tenant_id_required");
}

#[tokio::test]
async fn posting_another_account_replaces_the_stored_one_under_the_same_id() {
    let (app, token) = TestApp::signed_in("alpha.admin").await;
    let other = "other.admin@acme.onmicrosoft.com";
    let body = json!({"msUsername": other, "msPassword": "Other-Passw0rd"});
    let answer = app.post_admins(&token, ACME_TEAMS, body).await;
    answer.assert_status(StatusCode::NO_CONTENT);
    assert_eq!(
        app.admins_of(&token, ACME_TEAMS).await,
        json!({"id": 1, "msUsername": other})
    );
    assert_eq!(administrator_password(&app, 1).await, "Other-Passw0rd");
    let status = app.status_of(&token, ACME_TEAMS).await;
    assert_eq!(status["powershell"]["msUserName"], other);
    assert_eq!(
        status["status"], "onboarded",
        "new credentials do not restart onboarding"
    );
}

#[tokio::test]
async fn posting_only_a_password_changes_the_stored_accounts_password() {
    let (app, token) = TestApp::signed_in("acme.admin").await;
    let before = app.admins_of(&token, ACME_TEAMS).await;
    let stored = administrator_password(&app, 1).await;
    assert_eq!(stored, "demo-admin-password-0");
    let body = json!({"msPassword": "Ch4nged-Passw0rd"});
    let response = app.post_admins(&token, ACME_TEAMS, body).await;
    response.assert_no_content();
    let after = app.admins_of(&token, ACME_TEAMS).await;
    assert_eq!(after, before, "the account stays");
    assert_eq!(administrator_password(&app, 1).await, "Ch4nged-Passw0rd");
    // `msUsername: null` says the same as leaving it out.
    let body = json!({"msUsername": null, "msPassword": "Ch4nged-Ag4in"});
    let answer = app.post_admins(&token, ACME_TEAMS, body).await;
    answer.assert_status(StatusCode::NO_CONTENT);
    assert_eq!(administrator_password(&app, 1).await, "Ch4nged-Ag4in");
    assert_eq!(app.admins_of(&token, ACME_TEAMS).await, before);
}

#[tokio::test]
async fn posting_only_a_password_without_a_stored_account_is_refused() {
    let (app, token) = TestApp::signed_in("alpha.admin").await;
    // 3 has nothing; after storing its application it has a tenant but still no account.
    for stored_application in [false, true] {
        if stored_application {
            app.store_new_application(&token, GLOBEX_TEAMS).await;
        }
        let before = app.snapshot().await;
        let refused = app.post_admins(&token, GLOBEX_TEAMS, password_only()).await;
        refused.assert_refusal(400, "no_administrator", Contains("msUsername"));
        assert_eq!(app.snapshot().await, before, "{stored_application}");
        assert_eq!(app.admins_of(&token, GLOBEX_TEAMS).await, no_account());
    }
}

#[tokio::test]
async fn deleting_the_account_get_named_removes_it_and_is_audited() {
    let (app, token) = TestApp::signed_in("alpha.admin").await;
    let named = app.admins_of(&token, GLOBEX_LAB).await;
    assert_eq!(named, json!({"id": 2, "msUsername": GLOBEX_LAB_ADMIN}));
    let response = app.delete_admins(&token, GLOBEX_LAB, named).await;
    response.assert_no_content();

    assert_eq!(app.admins_of(&token, GLOBEX_LAB).await, no_account());
    let status = app.status_of(&token, GLOBEX_LAB).await;
    assert_eq!(
        status["status"], "onboarded",
        "the onboarded tenant stays: {status}"
    );
    assert_eq!(
        status["powershell"],
        json!({"msUserName": null, "active": false})
    );
    assert_eq!(msteams_rows(&app, 4).await, (1, 1, 0));
    let audited: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT method, path, status FROM audit_log WHERE method = 'DELETE' ORDER BY id",
    )
    .fetch_all(&app.db.read)
    .await
    .unwrap();
    let path = sub_path(GLOBEX_LAB, ADMINS);
    assert_eq!(audited, [("DELETE".to_owned(), path, 204)]);
}

#[tokio::test]
async fn the_account_to_delete_is_matched_without_regard_to_case() {
    let (app, token) = TestApp::signed_in("alpha.admin").await;
    let named = json!({"id": 1.0, "msUsername": "Admin@ACME.onmicrosoft.com"});
    let answer = app.delete_admins(&token, ACME_TEAMS, named).await;
    answer.assert_status(StatusCode::NO_CONTENT);
    assert_eq!(msteams_rows(&app, 1).await, (1, 1, 0));
}

#[tokio::test]
async fn deleting_the_only_credential_leaves_no_ms_teams_tenant() {
    let (app, token) = TestApp::signed_in("alpha.admin").await;
    let body = admin_body("admin@globex.onmicrosoft.com");
    let answer = app.post_admins(&token, GLOBEX_TEAMS, body).await;
    answer.assert_status(StatusCode::NO_CONTENT);
    assert_eq!(msteams_rows(&app, 3).await, (1, 0, 1));
    let named = app.admins_of(&token, GLOBEX_TEAMS).await;
    let answer = app.delete_admins(&token, GLOBEX_TEAMS, named).await;
    answer.assert_status(StatusCode::NO_CONTENT);
    assert_eq!(msteams_rows(&app, 3).await, (0, 0, 0));
    let refused = app.get_status(&token, GLOBEX_TEAMS).await;
    refused.assert_problem(404, "not_found");
}

// ---- downloads/create_app ----------------------------------------------------------------

#[tokio::test]
async fn create_app_returns_the_group_powershell_script_in_base64() {
    let (app, token) = TestApp::signed_in("acme.admin").await;
    let response = app.download_create_app(&token, ACME_TEAMS).await;
    response.assert_status(StatusCode::OK);
    assert!(response.content_type().starts_with("application/json"));
    let body = response.json();
    assert_eq!(body["fileName"], "create_app.ps1");
    let script = STANDARD
        .decode(body["fileBody"].as_str().expect("fileBody"))
        .expect("Base64");
    let script = String::from_utf8(script).expect("UTF-8 script");
    assert!(script.starts_with("#Requires -Version"), "{script}");
    for line in [
        "Generated by Fusion for the group \"Netaxis Group\"",
        "[string] $AppDisplayName = 'Fusion DRaaS Netaxis Group'",
        "[int] $SecretLifetimeMonths = 12",
    ] {
        assert!(script.contains(line), "{script}");
    }
    assert!(
        !script.contains("{{"),
        "unrendered placeholder left: {script}"
    );
}

#[tokio::test]
async fn create_app_is_the_same_script_for_every_subscription_of_the_group() {
    let (app, token) = TestApp::signed_in("group.admin").await;
    let acme = app.download_create_app(&token, ACME_TEAMS).await;
    let umbrella = app.download_create_app(&token, UMBRELLA_TEAMS).await;
    assert_eq!(acme.assert_status(StatusCode::OK).json(), umbrella.json());
}

// ---- reset_secret ----------------------------------------------------------------------

#[tokio::test]
async fn reset_secret_replaces_the_secret_of_the_current_application() {
    let (app, token) = TestApp::signed_in("alpha.admin").await;
    let sealed_before = sealed_application_secret(&app, 1).await;
    let response = app
        .post_reset_secret(&token, ACME_TEAMS, reset_secret_body())
        .await;
    response.assert_no_content();
    let status = app.status_of(&token, ACME_TEAMS).await;
    assert_shows_no_secret(&status["msGraph"]);
    assert_ne!(sealed_application_secret(&app, 1).await, sealed_before);
    assert_eq!(status["msApplicationId"], ACME_APPLICATION);
    assert_eq!(status["msTenantId"], ACME_MS_TENANT);
}

// ---- status ------------------------------------------------------------------------------

#[tokio::test]
async fn status_of_an_onboarded_subscription_has_the_vendor_clients_sub_objects() {
    let (app, token) = TestApp::signed_in("acme.admin").await;
    let mut status = app.status_of(&token, ACME_TEAMS).await;
    for integration in ["powershell", "msGraph"] {
        let updated = status[integration]
            .as_object_mut()
            .unwrap()
            .remove("updatedAt");
        assert!(
            updated.as_ref().is_some_and(Value::is_string),
            "{integration}: {updated:?}"
        );
    }
    assert_eq!(
        status,
        json!({
            "msTenantId": ACME_MS_TENANT,
            "mode": "direct_routing",
            "status": "onboarded",
            "msApplicationId": ACME_APPLICATION,
            "domain": {"name": "acme.draas.demo", "verified": true},
            "powershell": {"msUserName": ACME_ADMIN, "active": true},
            "msGraph": {"msApplicationId": ACME_APPLICATION, "active": true},
        })
    );
    let text = status.to_string();
    assert!(
        !text.contains("SeededSecretNotReal") && !text.contains("demo-admin-password"),
        "{text}"
    );
}

#[tokio::test]
async fn status_of_a_linked_subscription_is_already_linked_to_the_shared_tenant() {
    let (app, token) = TestApp::signed_in("beta.admin").await;
    let status = app.status_of(&token, INITECH_EU).await;
    assert_eq!(status["status"], "already_linked");
    assert_eq!(status["linkedTo"], 5);
    assert_eq!(status["msTenantId"], INITECH_MS_TENANT);
    assert_eq!(
        status["domain"],
        json!({"name": "initech.draas.demo", "verified": true})
    );
    assert_eq!(
        status["powershell"]["msUserName"],
        "admin@initech.onmicrosoft.com"
    );
    assert_eq!(status["powershell"]["active"], true);
    assert_eq!(status["msGraph"]["active"], true);
    // The owner itself is onboarded, and names no link.
    let owner = app.status_of(&token, INITECH_TEAMS).await;
    assert_eq!(owner["status"], "onboarded");
    assert!(owner.get("linkedTo").is_none(), "{owner}");
}

#[tokio::test]
async fn an_application_whose_secret_has_expired_is_not_active() {
    let (app, token) = TestApp::signed_in("alpha.admin").await;
    // No endpoint learns a secret's expiry yet: set it as Azure AD would report it.
    for (days, active) in [(-1, false), (30, true)] {
        let expires = chrono::Utc::now() + chrono::Duration::days(days);
        sqlx::query(
            "UPDATE msteams_applications SET secret_expires_at = ? WHERE msteams_tenant_id = 1",
        )
        .bind(expires)
        .execute(&app.db.write)
        .await
        .unwrap();
        let status = app.status_of(&token, ACME_TEAMS).await;
        assert_eq!(status["msGraph"]["active"], active, "{status}");
        assert_eq!(status["msGraph"]["msApplicationId"], ACME_APPLICATION);
        assert!(status["msGraph"]["secretExpiresAt"].is_string(), "{status}");
        assert_shows_no_secret(&status["msGraph"]);
    }
}

#[tokio::test]
async fn status_is_not_initiated_while_the_wizard_prepares_and_its_administrator_stays() {
    // At full time scale the preparation phase lasts 3 s: long enough to look at it.
    let app = TestApp::start_configured(|config| config.time_scale = 1.0).await;
    let token = app.login("alpha.admin").await;
    app.store_new_integration(&token, GLOBEX_TEAMS).await;
    app.start_wizard(&token, GLOBEX_TEAMS).await;
    let refused = app.get_wizard(&token, GLOBEX_TEAMS).await;
    refused.assert_problem(404, "not_found");
    let status = app.status_of(&token, GLOBEX_TEAMS).await;
    assert_eq!(status["status"], "not_initiated", "{status}");
    assert_eq!(status["powershell"]["active"], true);
    assert_eq!(status["msGraph"]["active"], true);

    // The run needs the account: it cannot be removed while the wizard runs.
    let named = app.admins_of(&token, GLOBEX_TEAMS).await;
    let before = app.snapshot().await;
    let refused = app.delete_admins(&token, GLOBEX_TEAMS, named).await;
    refused.assert_problem(400, "wizard_running");
    assert_eq!(app.snapshot().await, before);
}

/// A wizard whose TXT record never propagates, so that step 2 keeps checking and the run
/// stays running after step 1.
async fn wizard_stuck_at_step_2(name: &str) -> (TestApp, String) {
    let app = TestApp::start_configured(|config| config.dns_check_limit = 1_000_000).await;
    let token = app.login("alpha.admin").await;
    let faults = ["txt_never_propagates"];
    app.prepare_wizard(&token, GLOBEX_TEAMS, name, &faults)
        .await;
    app.start_wizard(&token, GLOBEX_TEAMS).await;
    (app, token)
}

#[tokio::test]
async fn the_account_cannot_be_replaced_nor_its_password_changed_while_the_wizard_runs() {
    let (app, token) = wizard_stuck_at_step_2("Admins Test").await;
    let named = app.admins_of(&token, GLOBEX_TEAMS).await;
    let password = administrator_password(&app, 3).await;
    let other = "other.admin@globex.onmicrosoft.com";
    for body in [
        json!({"msUsername": other, "msPassword": "An0ther-Passw0rd"}),
        json!({"msPassword": "Ch4nged-Passw0rd"}),
    ] {
        let refused = app.post_admins(&token, GLOBEX_TEAMS, body).await;
        refused.assert_refusal(400, "wizard_running", Contains("needs the administrator"));
    }
    // The account the run signs in with is as it was.
    assert_eq!(app.admins_of(&token, GLOBEX_TEAMS).await, named);
    assert_eq!(administrator_password(&app, 3).await, password);
}

#[tokio::test]
async fn status_names_the_last_executed_step_while_the_wizard_runs() {
    let (app, token) = wizard_stuck_at_step_2("Status Test").await;
    app.poll_wizard(&token, GLOBEX_TEAMS, WIZARD_LIMIT, |wizard| {
        wizard.status == StatusCode::OK && wizard.json()["wizardSteps"][1]["executed"] == true
    })
    .await;
    let status = app.status_of(&token, GLOBEX_TEAMS).await;
    assert_eq!(status["status"], "wizard_1_ok", "{status}");
    assert!(
        status.get("domain").is_none(),
        "no domain before step 2 verifies it: {status}"
    );
    assert_eq!(status["powershell"]["active"], true);
    assert_eq!(status["msGraph"]["active"], true);
}

#[tokio::test]
async fn status_names_the_failed_step_after_a_fault() {
    let (app, token) = TestApp::signed_in("alpha.admin").await;
    let faults = ["no_free_license"];
    app.prepare_wizard(&token, GLOBEX_TEAMS, "Status Test", &faults)
        .await;
    let (_, ended) = app.run_wizard_to_end(&token, GLOBEX_TEAMS).await;
    assert_eq!(ended.assert_problem(400, "wizard_failed")["failedStep"], 4);
    let status = app.status_of(&token, GLOBEX_TEAMS).await;
    assert_eq!(status["status"], "wizard_4_error", "{status}");
    let domain = &status["domain"];
    assert_eq!(domain["verified"], true, "step 2 executed: {status}");
    assert!(
        domain["name"]
            .as_str()
            .is_some_and(|name| name.ends_with(".draas.demo")),
        "{status}"
    );
}

// ---- sources -----------------------------------------------------------------------------

#[tokio::test]
async fn sources_list_the_onboarded_subscriptions_of_the_callers_tree_except_the_target() {
    let (app, alpha) = TestApp::signed_in("alpha.admin").await;
    let sources = app
        .get_ok(&sub_path(GLOBEX_TEAMS, "msteams/sources"), &alpha)
        .await;
    assert_eq!(
        sources,
        json!({"sources": [
            {"subscriptionId": 1, "subscriptionName": "Acme Teams", "tenantName": "Acme Corp"},
            {"subscriptionId": 4, "subscriptionName": "Globex Teams Lab", "tenantName": "Globex"},
        ]})
    );
    let beta = app.login("beta.admin").await;
    let group = app.login("group.admin").await;
    let cases: [(&str, &str, At, &[i64]); 4] = [
        (
            "the target itself is not a source",
            &alpha,
            ACME_TEAMS,
            &[4],
        ),
        ("Beta's for Umbrella", &beta, UMBRELLA_TEAMS, &[5, 6]),
        ("Beta's for Initech", &beta, INITECH_TEAMS, &[6]),
        ("the group's", &group, UMBRELLA_TEAMS, &[1, 4, 5, 6]),
    ];
    for (why, token, at, expected) in cases {
        assert_eq!(app.source_ids(token, at).await, expected, "{why}");
    }
}

#[tokio::test]
async fn sources_leave_out_subscriptions_that_are_not_onboarded_yet() {
    let (app, token) = TestApp::signed_in("alpha.admin").await;
    app.store_new_application(&token, GLOBEX_TEAMS).await;
    assert_eq!(
        app.source_ids(&token, ACME_SIP_TRUNK).await,
        vec![1, 4],
        "3 is pending, 2 is sip-trunks"
    );
}

// ---- link --------------------------------------------------------------------------------

#[tokio::test]
async fn linking_shares_the_onboarded_tenant_and_status_shows_the_link() {
    let (app, token) = TestApp::signed_in("alpha.admin").await;
    let response = app.post_link(&token, GLOBEX_TEAMS, 1).await;
    response.assert_no_content();

    let status = app.status_of(&token, GLOBEX_TEAMS).await;
    assert_eq!(status["linkedTo"], 1);
    assert_eq!(status["msTenantId"], ACME_MS_TENANT);
    assert_eq!(
        status["domain"],
        json!({"name": "acme.draas.demo", "verified": true})
    );
    assert_eq!(status["status"], "already_linked");

    let list = format!("/api/v01/draas/demo/tenants/{TENANT_GLOBEX}/subscriptions");
    let list = app.get(&list, &token).await.json();
    let three = list["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == 3)
        .expect("subscription 3")
        .clone();
    assert_eq!(three["msTeams"]["state"], "linked");
    assert_eq!(three["msTeams"]["linkedTo"], 1);
}

#[tokio::test]
async fn linking_through_a_linked_subscription_reaches_the_owning_tenant() {
    let (app, token) = TestApp::signed_in("beta.admin").await;
    let answer = app.post_link(&token, UMBRELLA_TEAMS, 6).await;
    answer.assert_status(StatusCode::NO_CONTENT);
    let status = app.status_of(&token, UMBRELLA_TEAMS).await;
    assert_eq!(status["linkedTo"], 5);
    assert_eq!(status["msTenantId"], INITECH_MS_TENANT);
    assert_eq!(status["status"], "already_linked");
}

#[tokio::test]
async fn linking_to_a_pending_integration_is_refused() {
    let (app, token) = TestApp::signed_in("group.admin").await;
    app.store_new_application(&token, GLOBEX_TEAMS).await;
    let before = app.snapshot().await;
    let refused = app.post_link(&token, UMBRELLA_TEAMS, 3).await;
    refused.assert_problem(400, "invalid_link_source");
    assert_eq!(app.snapshot().await, before);
}

// ---- unlink ------------------------------------------------------------------------------

#[tokio::test]
async fn unlink_is_refused_while_other_subscriptions_share_the_tenant_then_erases_it() {
    let (app, token) = TestApp::signed_in("beta.admin").await;

    // 5 still has a user with direct routing.
    let refused = app.post_unlink(&token, INITECH_TEAMS).await;
    refused.assert_problem(400, "direct_routing_users_remain");
    let cleared = server::store::directory::set_direct_routing(&app.db, 5, false).await;
    assert_eq!(cleared.unwrap(), 1);

    // 6 is linked to 5's tenant.
    let before = app.snapshot().await;
    let refused = app.post_unlink(&token, INITECH_TEAMS).await;
    refused.assert_problem(400, "linked_subscriptions_remain");
    assert_eq!(app.snapshot().await, before);

    // Unlinking 6 removes only the link.
    let answer = app.post_unlink(&token, INITECH_EU).await;
    answer.assert_status(StatusCode::NO_CONTENT);
    let links = "SELECT COUNT(*) FROM msteams_links WHERE subscription_id = ?";
    assert_eq!(app.count(links, &[6]).await, 0);
    let refused = app.get_status(&token, INITECH_EU).await;
    refused.assert_problem(404, "not_found");
    let owner = app.status_of(&token, INITECH_TEAMS).await;
    assert_eq!(owner["status"], "onboarded");
    assert_eq!(msteams_rows(&app, 5).await, (1, 1, 1));

    // Now 5 unlinks, and its tenant, application and administrator are gone.
    let answer = app.post_unlink(&token, INITECH_TEAMS).await;
    answer.assert_status(StatusCode::NO_CONTENT);
    assert_eq!(msteams_rows(&app, 5).await, (0, 0, 0));
    let ms_tenant_rows: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM msteams_tenants WHERE ms_tenant_id = ?")
            .bind(INITECH_MS_TENANT)
            .fetch_one(&app.db.read)
            .await
            .unwrap();
    assert_eq!(ms_tenant_rows, 0);
    let refused = app.get_status(&token, INITECH_TEAMS).await;
    refused.assert_problem(404, "not_found");
    let sources = app.source_ids(&token, UMBRELLA_TEAMS).await;
    assert_eq!(sources, Vec::<i64>::new());

    // The same MS Teams tenant may then be integrated afresh.
    let afresh = application(INITECH_MS_TENANT, NEW_APPLICATION, NEW_SECRET);
    let answer = app.post_applications(&token, UMBRELLA_TEAMS, afresh).await;
    answer.assert_status(StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_subscription_without_direct_routing_users_unlinks_directly() {
    let (app, token) = TestApp::signed_in("alpha.admin").await;
    assert_eq!(msteams_rows(&app, 4).await, (1, 1, 1));
    let response = app.post_unlink(&token, GLOBEX_LAB).await;
    response.assert_no_content();
    assert_eq!(msteams_rows(&app, 4).await, (0, 0, 0));
    let refused = app.get_status(&token, GLOBEX_LAB).await;
    refused.assert_problem(404, "not_found");
    assert_eq!(app.source_ids(&token, GLOBEX_TEAMS).await, vec![1]);
    // Its Fusion user is still there: only the MS Teams data is erased.
    let users = "SELECT COUNT(*) FROM fusion_users WHERE subscription_id = ?";
    assert_eq!(app.count(users, &[4]).await, 1);
}

#[tokio::test]
async fn unlinking_twice_is_refused_the_second_time() {
    let (app, token) = TestApp::signed_in("alpha.admin").await;
    let answer = app.post_unlink(&token, GLOBEX_LAB).await;
    answer.assert_status(StatusCode::NO_CONTENT);
    let refused = app.post_unlink(&token, GLOBEX_LAB).await;
    refused.assert_problem(400, "no_msteams_tenant");
}

#[tokio::test]
async fn no_credential_shows_any_of_its_characters_even_to_a_read_only_user() {
    let (app, token) = TestApp::signed_in("alpha.admin").await;
    let reader = app.login("readonly").await;
    for password in ["x", "abc", "hunter2", "Long-Passw0rd-With-Many-Characters"] {
        let body = json!({"msUsername": ACME_ADMIN, "msPassword": password});
        let answer = app.post_admins(&token, ACME_TEAMS, body).await;
        answer.assert_status(StatusCode::NO_CONTENT);
        for who in [&token, &reader] {
            let status = app.status_of(who, ACME_TEAMS).await;
            assert_shows_no_secret(&status["powershell"]);
            assert_shows_no_secret(&status["msGraph"]);
            assert_eq!(app.admins_of(who, ACME_TEAMS).await, acme_admin());
        }
    }
}
