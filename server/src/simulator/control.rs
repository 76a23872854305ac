//! The simulator's control operations: create and inspect simulated MS tenants, switch
//! faults, and run create_app.ps1 against one. Administrators with the
//! `simulator.manage` role only.

use std::{collections::BTreeMap, time::Instant};

use app::api_types::{
    AdminLevel, MintedCredentials, NewSimTenant, Role, SimFault, SimJournalEntry, SimMail,
    SimTenantDetail, SimTenantSummary, SkuPart,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Months, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::SqliteConnection;
use uuid::Uuid;

use super::{
    cloud::elapsed_ms,
    store::{self, JournalLine, SimScope, TenantRows},
};
use crate::{
    domain::{
        AppError, Caller,
        types::{MsTenantId, clip},
    },
    store::Db,
};

/// The display name create_app.ps1 gives the application unless told otherwise.
pub const DEFAULT_APP_NAME: &str = "Fusion DRaaS";
pub const SECRET_LIFETIME_MONTHS: u32 = 12;

#[derive(Clone, Debug)]
pub struct SimulatorControl {
    db: Db,
}

impl SimulatorControl {
    pub fn new(db: Db) -> Self {
        SimulatorControl { db }
    }

    #[tracing::instrument(skip_all, fields(user = %caller.username))]
    pub async fn create_tenant(
        &self,
        caller: &Caller,
        input: NewSimTenant,
    ) -> Result<SimTenantDetail, AppError> {
        caller.require(Role::SimulatorManage)?;
        // At most 64 characters as sent (as the OpenAPI document says), not blank.
        let name = input.name.trim();
        if name.is_empty() || input.name.chars().count() > 64 {
            return Err(AppError::invalid(
                "validation_failed",
                "name must be 1 to 64 characters",
            ));
        }
        let id = match input.ms_tenant_id.as_deref() {
            Some(raw) => MsTenantId::parse(raw)?.uuid(),
            None => Uuid::new_v4(),
        }
        .to_string();
        let licenses = input.licenses.unwrap_or_else(store::default_licenses);
        let created = self
            .ensure_tenant(
                MsTenantId::parse(&id)?,
                name,
                &licenses,
                &input.faults,
                Some(caller.node_id),
            )
            .await?;
        if !created {
            return Err(AppError::Conflict {
                code: "sim_tenant_exists",
                detail: format!("A simulated tenant {id} exists already"),
            });
        }
        self.detail(self.summary(SimScope::All, &id).await?).await
    }

    /// The simulated tenant with this id, created with `name`, `licenses`, `faults` and
    /// `owner` (the node it was created for) when missing (a scenario; an unknown tenant
    /// met by the wizard, which has no owner). An existing tenant is left as it is.
    /// Returns whether it was created.
    pub async fn ensure_tenant(
        &self,
        id: MsTenantId,
        name: &str,
        licenses: &BTreeMap<SkuPart, u32>,
        faults: &[SimFault],
        owner: Option<Uuid>,
    ) -> Result<bool, AppError> {
        let id = id.to_string();
        // Nearly always it exists: a read spares the single writer.
        if TenantRows::new(&mut *self.db.read.acquire().await?, &id)
            .exists()
            .await?
        {
            return Ok(false);
        }
        let mut tx = self.db.begin_write().await?;
        let created = add_tenant(&mut tx, &id, name, licenses, faults, owner).await?;
        tx.commit().await?;
        Ok(created)
    }

    /// The simulated tenants the caller may see (see `scope`).
    #[tracing::instrument(skip_all, fields(user = %caller.username))]
    pub async fn tenants(&self, caller: &Caller) -> Result<Vec<SimTenantSummary>, AppError> {
        caller.require(Role::SimulatorManage)?;
        Ok(store::summaries(&self.db, scope(caller), None).await?)
    }

    #[tracing::instrument(skip_all, fields(user = %caller.username))]
    pub async fn tenant(
        &self,
        caller: &Caller,
        id: MsTenantId,
    ) -> Result<SimTenantDetail, AppError> {
        let tenant = self.visible(caller, id).await?;
        self.detail(tenant).await
    }

    #[tracing::instrument(skip_all, fields(user = %caller.username))]
    pub async fn set_faults(
        &self,
        caller: &Caller,
        id: MsTenantId,
        faults: &[SimFault],
    ) -> Result<SimTenantSummary, AppError> {
        let id = self.visible(caller, id).await?.ms_tenant_id;
        let mut tx = self.db.begin_write().await?;
        TenantRows::new(&mut tx, &id).replace_faults(faults).await?;
        tx.commit().await?;
        self.summary(scope(caller), &id).await
    }

    /// What create_app.ps1 does in the tenant: register (or reuse) the application, make
    /// its service principal, grant consent, add a secret, and print the three values.
    #[tracing::instrument(skip_all, fields(user = %caller.username))]
    pub async fn run_create_app(
        &self,
        caller: &Caller,
        id: MsTenantId,
    ) -> Result<MintedCredentials, AppError> {
        let tenant = self.visible(caller, id).await?.ms_tenant_id;
        let started = Instant::now();
        let mut tx = self.db.begin_write().await?;
        let app_id = register_application(&mut tx, &tenant, started).await?;
        let secret = mint_secret();
        let expires_at = add_secret(&mut tx, &app_id, &secret).await?;
        journal(
            &mut tx,
            &tenant,
            started,
            "POST /applications/{id}/addPassword",
            &app_id,
            "created",
            200,
        )
        .await?;
        tx.commit().await?;
        Ok(MintedCredentials {
            ms_teams_tenant_id: tenant,
            application_id: app_id,
            secret,
            secret_expires_at: expires_at,
        })
    }

    /// The newest messages of the simulated mail server to the caller itself and to
    /// administrators of nodes strictly below the caller's (group admins included: a
    /// peer on the same node, or another DRaaS instance, never shows — else a peer who
    /// knew a password could read the second factor's code).
    #[tracing::instrument(skip_all, fields(user = %caller.username))]
    pub async fn outbox(&self, caller: &Caller, limit: u32) -> Result<Vec<SimMail>, AppError> {
        caller.require(Role::SimulatorManage)?;
        let mails = crate::store::two_factor::outbox(
            &self.db,
            caller.user_id,
            &caller.node_id.to_string(),
            i64::from(limit.clamp(1, 200)),
        )
        .await?;
        Ok(mails
            .into_iter()
            .map(|mail| SimMail {
                id: mail.id,
                to: mail.recipient,
                subject: mail.subject,
                body: mail.body,
                sent_at: mail.created_at,
            })
            .collect())
    }

    /// Deletes a Teams voice object, as an administrator could by hand in the tenant.
    #[tracing::instrument(skip_all, fields(user = %caller.username))]
    pub async fn delete_voice_object(
        &self,
        caller: &Caller,
        id: MsTenantId,
        kind: &str,
        identity: &str,
    ) -> Result<(), AppError> {
        let tenant = self.visible(caller, id).await?.ms_tenant_id;
        let mut tx = self.db.begin_write().await?;
        let deleted = TenantRows::new(&mut tx, &tenant)
            .delete_voice_object(kind, identity)
            .await?;
        if !deleted {
            return Err(AppError::NotFound(format!(
                "No {} {} in simulated tenant {tenant}",
                clip(kind),
                clip(identity)
            )));
        }
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(user = %caller.username))]
    pub async fn journal(
        &self,
        caller: &Caller,
        id: MsTenantId,
        limit: u32,
    ) -> Result<Vec<SimJournalEntry>, AppError> {
        let tenant = self.visible(caller, id).await?.ms_tenant_id;
        Ok(store::journal_entries(&self.db, &tenant, i64::from(limit.clamp(1, 1000))).await?)
    }

    /// The tenant, if the caller may manage the simulator (else 403) and see the tenant;
    /// else 404, as for a tenant that does not exist (nothing tells the two apart).
    async fn visible(&self, caller: &Caller, id: MsTenantId) -> Result<SimTenantSummary, AppError> {
        caller.require(Role::SimulatorManage)?;
        self.summary(scope(caller), &id.to_string()).await
    }

    async fn summary(&self, scope: SimScope, id: &str) -> Result<SimTenantSummary, AppError> {
        store::summaries(&self.db, scope, Some(id))
            .await?
            .pop()
            .ok_or_else(|| not_found(id))
    }

    async fn detail(&self, tenant: SimTenantSummary) -> Result<SimTenantDetail, AppError> {
        let id = tenant.ms_tenant_id.as_str();
        Ok(SimTenantDetail {
            applications: store::applications(&self.db, id).await?,
            licenses: store::licenses(&self.db, id).await?,
            domains: store::domains(&self.db, id).await?,
            dns_records: store::dns_records(&self.db, id).await?,
            users: store::users(&self.db, id).await?,
            voice_objects: store::voice_objects(&self.db, id).await?,
            tenant,
        })
    }
}

/// The application create_app.ps1 registers in the tenant: the one it registered
/// before, or a new one with its service principal and consent, each call journaled.
async fn register_application(
    conn: &mut SqliteConnection,
    tenant: &str,
    started: Instant,
) -> Result<String, sqlx::Error> {
    let existing = TenantRows::new(conn, tenant)
        .application_by_name(DEFAULT_APP_NAME)
        .await?;
    if let Some(app_id) = existing {
        journal(
            conn,
            tenant,
            started,
            "GET /applications",
            &app_id,
            "ok",
            200,
        )
        .await?;
        return Ok(app_id);
    }
    let app_id = Uuid::new_v4().to_string();
    TenantRows::new(conn, tenant)
        .insert_application(&app_id, DEFAULT_APP_NAME)
        .await?;
    store::mark_service_principal(conn, &app_id).await?;
    for operation in [
        "POST /applications",
        "POST /servicePrincipals",
        "POST /servicePrincipals/{id}/appRoleAssignments",
    ] {
        journal(conn, tenant, started, operation, &app_id, "created", 201).await?;
    }
    Ok(app_id)
}

/// Gives the application this secret for `SECRET_LIFETIME_MONTHS` (only its hash is
/// kept, as Azure AD keeps no readable secret); returns when it expires.
pub(super) async fn add_secret(
    conn: &mut SqliteConnection,
    app_id: &str,
    secret: &str,
) -> Result<DateTime<Utc>, sqlx::Error> {
    let expires_at = Utc::now() + Months::new(SECRET_LIFETIME_MONTHS);
    store::insert_secret(conn, app_id, &secret_hash(secret), expires_at).await?;
    Ok(expires_at)
}

/// Journals one of create_app.ps1's calls, timed from the script's start.
async fn journal(
    conn: &mut SqliteConnection,
    tenant: &str,
    started: Instant,
    operation: &str,
    target: &str,
    outcome: &str,
    status: u16,
) -> Result<(), sqlx::Error> {
    let line = JournalLine {
        operation,
        target,
        outcome,
        status,
        latency_ms: elapsed_ms(started),
        detail: None,
    };
    TenantRows::new(conn, tenant).journal(line).await
}

/// Group admins see every simulated tenant; others those of their tree.
fn scope(caller: &Caller) -> SimScope {
    if caller.level == AdminLevel::Group {
        SimScope::All
    } else {
        SimScope::Tree(caller.node_id)
    }
}

fn not_found(id: &str) -> AppError {
    AppError::NotFound(format!("No simulated MS tenant {id}"))
}

/// Creates the simulated tenant with this id unless it exists, on `conn` (a scenario
/// loads in one transaction); returns whether it was created.
pub async fn add_tenant(
    conn: &mut SqliteConnection,
    id: &str,
    name: &str,
    licenses: &BTreeMap<SkuPart, u32>,
    faults: &[SimFault],
    owner: Option<Uuid>,
) -> Result<bool, sqlx::Error> {
    if TenantRows::new(conn, id).exists().await? {
        return Ok(false);
    }
    let label = domain_label(name);
    let mut domain = format!("{label}.onmicrosoft.com");
    let mut suffix = 1;
    while store::initial_domain_taken(conn, &domain).await? {
        suffix += 1;
        domain = format!("{label}{suffix}.onmicrosoft.com");
    }
    let mut rows = TenantRows::new(conn, id);
    rows.insert(name, &domain, owner).await?;
    for (sku, units) in licenses {
        rows.set_license(*sku, *units).await?;
    }
    rows.replace_faults(faults).await?;
    Ok(true)
}

/// Voice objects an onboarded tenant of a scenario already holds (no journal).
pub async fn add_voice_objects(
    conn: &mut SqliteConnection,
    id: &str,
    objects: &[(&str, &str)],
) -> Result<(), sqlx::Error> {
    let mut rows = TenantRows::new(conn, id);
    for (kind, identity) in objects {
        rows.insert_voice_object(kind, identity).await?;
    }
    Ok(())
}

/// `Contoso Ltd.` → `contosoltd`: the label of the tenant's initial domain.
fn domain_label(name: &str) -> String {
    let label: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .take(40)
        .collect();
    if label.is_empty() {
        "tenant".to_owned()
    } else {
        label
    }
}

/// A secret in Azure AD's shape: three characters, `8Q~`, then 34 more.
fn mint_secret() -> String {
    let mut bytes = [0u8; 30];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let body = URL_SAFE_NO_PAD.encode(bytes).replace('-', "~");
    format!("{}8Q~{}", &body[..3], &body[3..37])
}

pub fn secret_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    #[test]
    fn minted_secrets_look_like_azure_ones() {
        let secret = super::mint_secret();
        assert_eq!(secret.len(), 40, "{secret}");
        assert_eq!(&secret[3..6], "8Q~");
        assert_ne!(secret, super::mint_secret());
    }

    #[test]
    fn initial_domains_are_lowercase_alphanumerics() {
        assert_eq!(super::domain_label("Contoso Ltd."), "contosoltd");
        assert_eq!(super::domain_label("!!!"), "tenant");
    }
}
