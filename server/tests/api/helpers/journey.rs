//! The MS Teams journey through the API, as `TestApp` methods named after the endpoints:
//! a simulated MS tenant, credentials minted in it, stored on a subscription, the wizard
//! run to its end; and each endpoint of a subscription. A `get_…`, `post_…` or `put_…`
//! answers whatever the server says; the others assert the success they need.

use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::{
    At, NEW_APPLICATION, NEW_MS_TENANT, NEW_SECRET, SIM_TENANTS, TestApp, TestResponse,
    application, application_body, link_body, sim_path, sub_path, transaction_path,
};

/// The administrator every journey stores; the simulated Teams accepts any.
const TEAMS_ADMIN: &str = "teams.admin@journey.onmicrosoft.com";

/// How long a wizard run may take before a test gives up on it.
pub const WIZARD_LIMIT: Duration = Duration::from_secs(60);

impl TestApp {
    /// `method …/subscriptions/{at}/{tail}`, with a bearer token and an optional body.
    pub async fn call_at(
        &self,
        method: Method,
        token: &str,
        at: At,
        tail: &str,
        body: Option<Value>,
    ) -> TestResponse {
        self.call(method, &sub_path(at, tail), Some(token), body)
            .await
    }

    // ---- the endpoints of a subscription -------------------------------------------

    pub async fn get_status(&self, token: &str, at: At) -> TestResponse {
        self.get(&sub_path(at, "msteams/status"), token).await
    }

    /// `GET msteams/status` (must be 200).
    pub async fn status_of(&self, token: &str, at: At) -> Value {
        self.get_ok(&sub_path(at, "msteams/status"), token).await
    }

    pub async fn get_sources(&self, token: &str, at: At) -> TestResponse {
        self.get(&sub_path(at, "msteams/sources"), token).await
    }

    /// `GET msteams/sources` (must be 200): the subscription ids it lists.
    pub async fn source_ids(&self, token: &str, at: At) -> Vec<i64> {
        let sources = self.get_ok(&sub_path(at, "msteams/sources"), token).await;
        let ids = sources["sources"].as_array().expect("sources").iter();
        ids.map(|s| s["subscriptionId"].as_i64().unwrap()).collect()
    }

    pub async fn post_applications(&self, token: &str, at: At, body: Value) -> TestResponse {
        self.post(&sub_path(at, "msteams/applications"), token, body)
            .await
    }

    /// `POST msteams/applications` of the new integration (must be 204): an integration
    /// the wizard has not proven yet.
    pub async fn store_new_application(&self, token: &str, at: At) {
        let stored = self.post_applications(token, at, application_body()).await;
        stored.assert_status(StatusCode::NO_CONTENT);
    }

    pub async fn get_admins(&self, token: &str, at: At) -> TestResponse {
        self.get(&sub_path(at, "msteams/admins"), token).await
    }

    /// `GET msteams/admins` (must be 200).
    pub async fn admins_of(&self, token: &str, at: At) -> Value {
        self.get_ok(&sub_path(at, "msteams/admins"), token).await
    }

    pub async fn post_admins(&self, token: &str, at: At, body: Value) -> TestResponse {
        self.post(&sub_path(at, "msteams/admins"), token, body)
            .await
    }

    pub async fn delete_admins(&self, token: &str, at: At, body: Value) -> TestResponse {
        self.call_at(Method::DELETE, token, at, "msteams/admins", Some(body))
            .await
    }

    pub async fn post_reset_secret(&self, token: &str, at: At, body: Value) -> TestResponse {
        self.post(&sub_path(at, "msteams/reset_secret"), token, body)
            .await
    }

    /// `POST downloads/create_app`: the script, or the refusal.
    pub async fn download_create_app(&self, token: &str, at: At) -> TestResponse {
        self.call_at(Method::POST, token, at, "downloads/create_app", None)
            .await
    }

    pub async fn post_link(&self, token: &str, at: At, source: i64) -> TestResponse {
        self.post(&sub_path(at, "msteams/link"), token, link_body(source))
            .await
    }

    pub async fn post_unlink(&self, token: &str, at: At) -> TestResponse {
        self.call_at(Method::POST, token, at, "msteams/unlink", None)
            .await
    }

    pub async fn put_update_vrp(&self, token: &str, at: At) -> TestResponse {
        self.call_at(Method::PUT, token, at, "msteams/update_vrp", None)
            .await
    }

    pub async fn get_transaction(&self, token: &str, id: i64) -> TestResponse {
        self.get(&transaction_path(id), token).await
    }

    // ---- the simulator -------------------------------------------------------------

    /// `POST /sim/v1/tenants` (must be 201): a simulated MS tenant with these faults; its id.
    pub async fn create_sim_tenant(&self, token: &str, name: &str, faults: &[&str]) -> String {
        let body = json!({"name": name, "faults": faults});
        self.post(SIM_TENANTS, token, body)
            .await
            .assert_status(StatusCode::CREATED)
            .json()["msTenantId"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn get_sim_tenant(&self, token: &str, ms_tenant: &str) -> TestResponse {
        self.get(&sim_path(ms_tenant, ""), token).await
    }

    pub async fn put_sim_faults(
        &self,
        token: &str,
        ms_tenant: &str,
        faults: &[&str],
    ) -> TestResponse {
        let body = json!({ "faults": faults });
        self.put(&sim_path(ms_tenant, "/faults"), token, body).await
    }

    pub async fn post_sim_create_app(&self, token: &str, ms_tenant: &str) -> TestResponse {
        self.post(&sim_path(ms_tenant, "/create_app"), token, json!({}))
            .await
    }

    /// `POST /sim/v1/tenants/{id}/create_app` (must be 200): the application id and the
    /// secret create_app.ps1 minted there.
    pub async fn sim_create_app(&self, token: &str, ms_tenant: &str) -> (String, String) {
        let minted = self
            .post_sim_create_app(token, ms_tenant)
            .await
            .assert_status(StatusCode::OK)
            .json();
        (
            minted["applicationId"].as_str().unwrap().to_owned(),
            minted["secret"].as_str().unwrap().to_owned(),
        )
    }

    /// `GET /sim/v1/tenants/{id}/journal?limit=1000` (must be 200), oldest first.
    pub async fn sim_journal(&self, token: &str, ms_tenant: &str) -> Vec<Value> {
        let path = sim_path(ms_tenant, "/journal?limit=1000");
        let journal = self.get_ok(&path, token).await;
        let entries = journal.as_array().expect("a list").iter();
        entries.rev().cloned().collect()
    }

    // ---- the wizard ----------------------------------------------------------------

    /// Stores the application integration and an administrator (both must be 204): ready
    /// for the wizard.
    pub async fn store_integration(
        &self,
        token: &str,
        at: At,
        ms_tenant: &str,
        application_id: &str,
        secret: &str,
    ) {
        let body = application(ms_tenant, application_id, secret);
        let stored = self.post_applications(token, at, body).await;
        stored.assert_status(StatusCode::NO_CONTENT);
        let body = json!({"msUsername": TEAMS_ADMIN, "msPassword": "Adm1n-Passw0rd"});
        self.post_admins(token, at, body)
            .await
            .assert_status(StatusCode::NO_CONTENT);
    }

    /// `store_integration` of the new MS tenant, application and secret.
    pub async fn store_new_integration(&self, token: &str, at: At) {
        self.store_integration(token, at, NEW_MS_TENANT, NEW_APPLICATION, NEW_SECRET)
            .await;
    }

    /// A simulated MS tenant with these faults and credentials minted by create_app.ps1,
    /// stored on the subscription: ready for the wizard. The MS tenant id.
    pub async fn prepare_wizard(&self, token: &str, at: At, name: &str, faults: &[&str]) -> String {
        let ms_tenant = self.create_sim_tenant(token, name, faults).await;
        let (application_id, secret) = self.sim_create_app(token, &ms_tenant).await;
        self.store_integration(token, at, &ms_tenant, &application_id, &secret)
            .await;
        ms_tenant
    }

    pub async fn post_wizard(&self, token: &str, at: At) -> TestResponse {
        self.call_at(Method::POST, token, at, "msteams/wizard", None)
            .await
    }

    /// Starts the wizard (must be 200); the run's transaction id.
    pub async fn start_wizard(&self, token: &str, at: At) -> i64 {
        self.post_wizard(token, at)
            .await
            .assert_status(StatusCode::OK)
            .json()["id"]
            .as_i64()
            .expect("transaction id")
    }

    pub async fn get_wizard(&self, token: &str, at: At) -> TestResponse {
        self.get(&sub_path(at, "msteams/wizard"), token).await
    }

    /// Polls GET wizard until `done(answer)`, for at most `limit`; that answer.
    pub async fn poll_wizard(
        &self,
        token: &str,
        at: At,
        limit: Duration,
        done: impl Fn(&TestResponse) -> bool,
    ) -> TestResponse {
        let deadline = Instant::now() + limit;
        loop {
            let response = self.get_wizard(token, at).await;
            if done(&response) {
                return response;
            }
            assert!(
                Instant::now() < deadline,
                "the wizard of subscription {} did not get there: {}",
                at.1,
                response.text()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Polls GET wizard until the run has ended (200 not running, or 400), for at most
    /// `limit`; that answer.
    pub async fn wizard_ended_within(&self, token: &str, at: At, limit: Duration) -> TestResponse {
        self.poll_wizard(token, at, limit, |response| match response.status {
            StatusCode::OK => response.json()["running"] == false,
            StatusCode::BAD_REQUEST => true,
            StatusCode::NOT_FOUND => false,
            other => panic!("GET wizard answered {other}: {}", response.text()),
        })
        .await
    }

    /// Polls GET wizard until the run has ended (200 not running, or 400); that answer.
    pub async fn wizard_ended(&self, token: &str, at: At) -> TestResponse {
        self.wizard_ended_within(token, at, WIZARD_LIMIT).await
    }

    /// Starts the wizard and polls it to the end: the run's id and its last answer.
    pub async fn run_wizard_to_end(&self, token: &str, at: At) -> (i64, TestResponse) {
        let id = self.start_wizard(token, at).await;
        (id, self.wizard_ended(token, at).await)
    }
}
