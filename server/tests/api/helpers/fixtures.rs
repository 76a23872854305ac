//! What the tests name and send, once: the demo data's subscriptions, MS tenants and
//! accounts, the paths of the API, and the bodies its endpoints accept. The demo
//! scenario (`scenarios/demo.json`, as `server::scenario::demo()` reads it) is the
//! source: what is looked up there is not copied here.
//!
//! The demo tree: Netaxis Group > Benelux Distribution > Alpha Telecom (Acme Corp: 1
//! "Acme Teams", onboarded, two users with direct routing; 2 "Acme SIP Trunk",
//! sip-trunks. Globex: 3 "Globex Teams", nothing yet; 4 "Globex Teams Lab", onboarded,
//! no direct routing) and Beta Voice (Initech: 5 "Initech Teams", onboarded, one
//! direct-routing user; 6 "Initech Teams EU", linked to 5. Umbrella: 7 "Umbrella Teams",
//! nothing yet). The onboarded subscriptions' MS Teams tenant rows are 1 (subscription
//! 1), 2 (4) and 3 (5), in seeding order: `GET msteams/admins` names an account by that
//! row id.

use serde_json::{Value, json};
use server::scenario::demo;
use uuid::{Uuid, uuid};

// ---- the demo's tree -----------------------------------------------------------------

pub const DEMO_INSTANCE: &str = "demo";
pub const GROUP: Uuid = uuid!("10000000-0000-4000-8000-000000000001");
pub const DISTRIBUTOR: Uuid = uuid!("20000000-0000-4000-8000-000000000001");
pub const RESELLER_ALPHA: Uuid = uuid!("30000000-0000-4000-8000-000000000001");
pub const RESELLER_BETA: Uuid = uuid!("30000000-0000-4000-8000-000000000002");
pub const TENANT_ACME: Uuid = uuid!("40000000-0000-4000-8000-000000000001");
pub const TENANT_GLOBEX: Uuid = uuid!("40000000-0000-4000-8000-000000000002");
pub const TENANT_INITECH: Uuid = uuid!("40000000-0000-4000-8000-000000000003");
pub const TENANT_UMBRELLA: Uuid = uuid!("40000000-0000-4000-8000-000000000004");

// ---- the demo's subscriptions --------------------------------------------------------

/// A subscription as its paths name it: its tenant, and its number.
pub type At = (Uuid, i64);

/// Onboarded, two users with direct routing.
pub const ACME_TEAMS: At = (TENANT_ACME, 1);
/// sip-trunks: never an MS Teams tenant.
pub const ACME_SIP_TRUNK: At = (TENANT_ACME, 2);
/// msteams, nothing stored yet.
pub const GLOBEX_TEAMS: At = (TENANT_GLOBEX, 3);
/// Onboarded, no direct routing.
pub const GLOBEX_LAB: At = (TENANT_GLOBEX, 4);
/// Onboarded, one user with direct routing, shared by Initech Teams EU.
pub const INITECH_TEAMS: At = (TENANT_INITECH, 5);
/// Linked to Initech Teams.
pub const INITECH_EU: At = (TENANT_INITECH, 6);
/// msteams, nothing stored yet.
pub const UMBRELLA_TEAMS: At = (TENANT_UMBRELLA, 7);

// ---- the MS side of the demo ---------------------------------------------------------

/// The MS tenants of the onboarded subscriptions (Acme Teams, Globex Teams Lab, Initech
/// Teams): claimed by them, with no owner node.
pub const ACME_MS_TENANT: &str = "27b418d0-b197-483d-a0b8-da90407a92c4";
pub const GLOBEX_LAB_MS_TENANT: &str = "5d2c7a1e-3f4b-4c8d-9e6f-0a1b2c3d4e5f";
pub const INITECH_MS_TENANT: &str = "8e9f0a1b-2c3d-4e5f-8a7b-6c5d4e3f2a1b";
/// Alpha Telecom's healthy simulated MS tenant.
pub const CONTOSO: &str = "a1000000-0000-4000-8000-000000000001";

/// The demo's simulated MS tenants that `owner` made (for each reseller a healthy one,
/// then one per fault), in their order.
pub fn sim_tenants_of(owner: Uuid) -> Vec<String> {
    demo()
        .simulator
        .tenants
        .iter()
        .filter(|tenant| tenant.owner == Some(owner))
        .map(|tenant| tenant.id.to_string())
        .collect()
}

/// The applications stored on Acme Teams and Initech Teams.
pub const ACME_APPLICATION: &str = "c035894c-81c3-49aa-8e3e-f245d9b30000";
pub const INITECH_APPLICATION: &str = "c035894c-81c3-49aa-8e3e-f245d9b30002";
/// The administrator accounts stored on Acme Teams (row 1) and Globex Teams Lab (row 2).
pub const ACME_ADMIN: &str = "admin@acme.onmicrosoft.com";
pub const GLOBEX_LAB_ADMIN: &str = "admin@globex-lab.onmicrosoft.com";

// ---- what a test sends -----------------------------------------------------------------

/// `POST msteams/applications`: the new integration (below).
pub fn application_body() -> Value {
    application(NEW_MS_TENANT, NEW_APPLICATION, NEW_SECRET)
}

/// An MS tenant, an application and its secret no demo subscription uses.
pub const NEW_MS_TENANT: &str = "6f1d2c3b-4a59-4e68-9d7c-8b9a0f1e2d3c";
pub const NEW_APPLICATION: &str = "d46e9288-2029-4fd1-ac7b-f20749e61251";
pub const NEW_SECRET: &str = "L4y8Q~DfIwfxqPdinI5mOWWdq4YA9Pk9xaFMyboC";

/// `POST msteams/applications` with these values.
pub fn application(ms_tenant: &str, application: &str, secret: &str) -> Value {
    json!({"msTeamsTenantId": ms_tenant, "applicationId": application, "secret": secret})
}

/// An administrator password the endpoints accept.
pub const ADMIN_PASSWORD: &str = "S0me-Password";

/// `POST msteams/admins`: this account, with `ADMIN_PASSWORD`.
pub fn admin_body(username: &str) -> Value {
    json!({"msUsername": username, "msPassword": ADMIN_PASSWORD})
}

/// `POST msteams/reset_secret`: Acme Teams' application, with the new secret.
pub fn reset_secret_body() -> Value {
    json!({"applicationId": ACME_APPLICATION, "secret": NEW_SECRET})
}

/// `POST msteams/link` to this source subscription.
pub fn link_body(source: i64) -> Value {
    json!({"subscriptionId": source})
}

/// `POST /api/v01/auth/login`, and the demo administrators' passwords.
pub use super::binary::{demo_password, login_body};

// ---- where -----------------------------------------------------------------------------

pub use super::binary::LOGIN;
/// The signed-in administrator.
pub const LOCAL_USER: &str = "/api/v01/system/users/local";
pub const TENANTS: &str = "/api/v01/draas/demo/tenants";
pub const SIM_TENANTS: &str = "/sim/v1/tenants";
pub const OUTBOX: &str = "/sim/v1/outbox";

/// `…/subscriptions/{at}/{tail}` (the subscription itself when `tail` is empty).
pub fn sub_path((tenant, subscription): At, tail: &str) -> String {
    let path =
        format!("/api/v01/draas/{DEMO_INSTANCE}/tenants/{tenant}/subscriptions/{subscription}");
    if tail.is_empty() {
        path
    } else {
        format!("{path}/{tail}")
    }
}

/// This site, as the tests' browser reaches it.
pub const HOST: &str = "127.0.0.1:3000";
pub const THIS_ORIGIN: &str = "http://127.0.0.1:3000";

/// `/api/v01/draas/demo/{list}`.
pub fn list_path(list: &str) -> String {
    format!("/api/v01/draas/{DEMO_INSTANCE}/{list}")
}

/// `/sim/v1/tenants/{id}{tail}`.
pub fn sim_path(id: &str, tail: &str) -> String {
    format!("{SIM_TENANTS}/{id}{tail}")
}

/// `/api/v01/transactions/{id}`.
pub fn transaction_path(id: i64) -> String {
    format!("/api/v01/transactions/{id}")
}

/// Where a row of a table sends its request: a subscription's endpoint, a tenant's, or a
/// path as it is. Written as data, in `static` tables.
#[derive(Clone, Copy, Debug)]
pub enum Url {
    /// `…/subscriptions/{at}/{tail}`.
    Sub(At, &'static str),
    /// `/api/v01/draas/demo/tenants/{tenant}{tail}`.
    Tenant(Uuid, &'static str),
    /// This path.
    Path(&'static str),
}

impl Url {
    pub fn path(self) -> String {
        match self {
            Url::Sub(at, tail) => sub_path(at, tail),
            Url::Tenant(tenant, tail) => format!("{TENANTS}/{tenant}{tail}"),
            Url::Path(path) => path.to_owned(),
        }
    }
}
