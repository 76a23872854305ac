//! The mock controls (extension, in the spirit of WireMock's admin API): go back to the
//! loaded scenario, export the current state as a scenario, or replace it with another.
//! Only on a server that turns them on (`--mock-controls`; on with the demo), and only for
//! group admins holding `mock.manage` (the `mock-admin` profile): each of them rewrites
//! everything every user sees.

use app::api_types::{AdminLevel, Role};
use serde::de::DeserializeOwned;

use super::{AppError, Caller};
use crate::{
    crypto::{SecretBox, SecretSlot},
    jobs::JobGate,
    scenario::{
        self, AdminSpec, FusionUserSpec, Group, Instance, LinkSpec, Node, OnboardedSpec, Scenario,
        SecondFactorSpec, SimTenantSpec, SimulatorSpec, SubscriptionSpec,
    },
    store::{Db, mock},
};

/// What an export writes in place of a stored secret: a scenario needs one, and the
/// export never gives the real one away.
pub const SECRET_PLACEHOLDER: &str = "REPLACE-WITH-THE-APPLICATION-SECRET";
pub const PASSWORD_PLACEHOLDER: &str = "REPLACE-WITH-THE-ADMINISTRATOR-PASSWORD";

/// The built-in profile that holds `mock.manage`.
pub const MOCK_PROFILE: &str = "mock-admin";
/// At most this many admins in a posted scenario.
pub const MAX_POSTED_ADMINS: usize = 100;

#[derive(Clone, Debug)]
pub struct MockControl {
    db: Db,
    secrets: SecretBox,
    /// Held exclusively while the state is rewritten: running wizard steps stop first.
    jobs: JobGate,
    /// Whether the server runs a scenario: without one the controls do not exist (404).
    enabled: bool,
}

impl MockControl {
    pub fn new(db: Db, secrets: SecretBox, jobs: JobGate, enabled: bool) -> Self {
        MockControl {
            db,
            secrets,
            jobs,
            enabled,
        }
    }

    /// Whether the caller may use the controls: 404 while they are off, 403 without
    /// `mock.manage` at group level. Checked before a request's body is looked at.
    pub fn allow(&self, caller: &Caller) -> Result<(), AppError> {
        if !self.enabled {
            return Err(AppError::NotFound(
                "The mock controls are off on this server (--mock-controls)".into(),
            ));
        }
        caller.require(Role::MockManage)?;
        if caller.level != AdminLevel::Group {
            return Err(AppError::Forbidden(
                "Only group admins may use the mock controls".into(),
            ));
        }
        Ok(())
    }

    /// Back to the loaded scenario: every session ends (the caller's too), jobs stop and
    /// go, the simulator starts again.
    #[tracing::instrument(skip_all, fields(user = %caller.username))]
    pub async fn reset(&self, caller: &Caller) -> Result<(), AppError> {
        self.allow(caller)?;
        let sealed = mock::loaded_scenario(&self.db.read)
            .await?
            .ok_or_else(|| AppError::NotFound("No scenario has been loaded".into()))?;
        let text = self.secrets.open_text(SecretSlot::Scenario, &sealed)?;
        let loaded = scenario::parse(&text)
            .map_err(|error| AppError::Internal(format!("the loaded scenario: {error}")))?;
        let _steps_stopped = self.jobs.exclusive().await;
        scenario::replace(&self.db, &self.secrets, &loaded, &text).await
    }

    /// Replaces the state with `text`, a scenario, which a reset then goes back to. A
    /// scenario with mistakes changes nothing (400, each mistake with its line).
    #[tracing::instrument(skip_all, fields(user = %caller.username))]
    pub async fn replace(&self, caller: &Caller, text: &str) -> Result<(), AppError> {
        self.allow(caller)?;
        let posted = scenario::parse(text)
            .map_err(|error| AppError::invalid("invalid_scenario", error.to_string()))?;
        if posted.admins.len() > MAX_POSTED_ADMINS {
            return Err(AppError::invalid(
                "invalid_scenario",
                format!(
                    "A posted scenario holds at most {MAX_POSTED_ADMINS} admins (each password is hashed, slowly on purpose); load larger ones with --scenario"
                ),
            ));
        }
        let keeps_a_way_back = posted.admins.iter().any(|admin| {
            admin.level == AdminLevel::Group
                && admin.password.is_some()
                && admin.profile == MOCK_PROFILE
        });
        if !keeps_a_way_back {
            return Err(AppError::invalid(
                "invalid_scenario",
                format!(
                    "The scenario has no group admin with a password and the {MOCK_PROFILE} profile: nobody could use the mock controls after it"
                ),
            ));
        }
        let _steps_stopped = self.jobs.exclusive().await;
        scenario::replace(&self.db, &self.secrets, &posted, text).await
    }

    /// The current state as a scenario. Secrets are not exported: administrators have
    /// no `password` (and TOTP no secret, so none is set), an onboarded tenant's secret
    /// and password are placeholders. A tenant part-way through onboarding, stored
    /// credentials without a finished onboarding and simulated users are not part of a
    /// scenario and are left out.
    #[tracing::instrument(skip_all, fields(user = %caller.username))]
    pub async fn export(&self, caller: &Caller) -> Result<Scenario, AppError> {
        self.allow(caller)?;
        let contents = mock::contents(&self.db).await?;
        assemble(contents)
    }
}

/// A stored value of a closed set, read back through its serde name.
fn closed<T: DeserializeOwned>(value: &str) -> Result<T, AppError> {
    serde_json::from_value(serde_json::Value::String(value.to_owned()))
        .map_err(|error| AppError::Internal(format!("stored value '{value}': {error}")))
}

fn uuid(value: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(value)
        .map_err(|error| AppError::Internal(format!("stored uuid '{value}': {error}")))
}

fn assemble(contents: mock::Contents) -> Result<Scenario, AppError> {
    let mut scenario = Scenario {
        instances: contents
            .instances
            .into_iter()
            .map(|(slug, name)| Instance { slug, name })
            .collect(),
        groups: Vec::new(),
        distributors: Vec::new(),
        resellers: Vec::new(),
        tenants: Vec::new(),
        subscriptions: Vec::new(),
        admins: Vec::new(),
        onboarded: Vec::new(),
        links: Vec::new(),
        simulator: SimulatorSpec::default(),
    };
    for row in contents.nodes {
        let Some(parent) = row.parent_id.as_deref() else {
            scenario.groups.push(Group {
                uuid: uuid(&row.id)?,
                instance: row.slug,
                name: row.name,
                billing_id: row.billing_id,
                app_display_name: row.app_display_name,
                secret_lifetime_months: u32::try_from(row.secret_lifetime_months.unwrap_or(12))
                    .unwrap_or(12),
            });
            continue;
        };
        let node = Node {
            uuid: uuid(&row.id)?,
            name: row.name,
            billing_id: row.billing_id,
            parent: uuid(parent)?,
        };
        match row.kind.as_str() {
            "distributor" => scenario.distributors.push(node),
            "reseller" => scenario.resellers.push(node),
            _ => scenario.tenants.push(node),
        }
    }
    for (id, tenant, name, license) in contents.subscriptions {
        let users = contents
            .users
            .iter()
            .filter(|(subscription, _, _)| *subscription == id)
            .map(|(_, username, direct_routing)| FusionUserSpec {
                username: username.clone(),
                direct_routing: *direct_routing,
            })
            .collect();
        scenario.subscriptions.push(SubscriptionSpec {
            id,
            tenant: uuid(&tenant)?,
            name,
            license_type: closed(&license)?,
            users,
        });
    }
    for admin in contents.admins {
        let second_factor = match (admin.two_factor.as_deref(), admin.email) {
            (Some("email"), Some(address)) => Some(SecondFactorSpec::Email(address)),
            _ => None,
        };
        scenario.admins.push(AdminSpec {
            username: admin.username,
            password: None,
            display_name: admin.display_name,
            level: AdminLevel::parse(&admin.level)
                .ok_or_else(|| AppError::Internal(format!("stored level '{}'", admin.level)))?,
            node: uuid(&admin.node_id)?,
            profile: admin.profile,
            second_factor,
        });
    }
    for (subscription, ms_tenant_id, domain, application_id, administrator) in contents.onboarded {
        scenario.onboarded.push(OnboardedSpec {
            subscription,
            ms_tenant_id: uuid(&ms_tenant_id)?,
            domain,
            application_id: uuid(&application_id)?,
            secret: SECRET_PLACEHOLDER.into(),
            administrator,
            administrator_password: PASSWORD_PLACEHOLDER.into(),
        });
    }
    scenario.links = contents
        .links
        .into_iter()
        .map(|(subscription, to)| LinkSpec { subscription, to })
        .collect();
    // An onboarded tenant's simulated MS tenant comes with it.
    let onboarded: Vec<String> = scenario
        .onboarded
        .iter()
        .map(|onboarded| onboarded.ms_tenant_id.to_string())
        .collect();
    for (id, name, owner) in contents.sim_tenants {
        if onboarded.contains(&id) {
            continue;
        }
        let mut licenses = std::collections::BTreeMap::new();
        for (_, sku, units) in contents.sim_licenses.iter().filter(|(t, _, _)| *t == id) {
            licenses.insert(closed(sku)?, u32::try_from(*units).unwrap_or(0));
        }
        let mut faults = Vec::new();
        for (_, fault) in contents.sim_faults.iter().filter(|(t, _)| *t == id) {
            faults.push(closed(fault)?);
        }
        faults.sort();
        scenario.simulator.tenants.push(SimTenantSpec {
            id: uuid(&id)?,
            name,
            licenses,
            faults,
            owner: owner.as_deref().map(uuid).transpose()?,
        });
    }
    Ok(scenario)
}
