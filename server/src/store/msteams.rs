//! MS Teams tenants, their application and administrator credentials, and links. A
//! tenant holds at most one administrator account, keyed by the tenant's row id.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, SqliteConnection};
use uuid::Uuid;

use app::api_types::OnboardingState;

use super::{Db, now};
use crate::crypto::SecretSlot;

/// Where an MS Teams tenant's onboarding stands, as `msteams_tenants.status` stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(rename_all = "lowercase")]
pub enum TenantState {
    /// The integration is stored; the wizard has not run.
    Pending,
    Onboarding,
    Onboarded,
    Failed,
}

impl From<TenantState> for OnboardingState {
    fn from(state: TenantState) -> Self {
        match state {
            TenantState::Pending => OnboardingState::Pending,
            TenantState::Onboarding => OnboardingState::Onboarding,
            TenantState::Onboarded => OnboardingState::Onboarded,
            TenantState::Failed => OnboardingState::Failed,
        }
    }
}

#[derive(Debug, Clone, FromRow)]
pub struct MsTeamsTenantRow {
    pub id: i64,
    pub owner_subscription_id: i64,
    pub ms_tenant_id: Option<String>,
    pub mode: String,
    pub status: TenantState,
    pub domain: Option<String>,
    pub current_step: Option<i64>,
}

#[derive(Debug, Clone, FromRow)]
pub struct ApplicationRow {
    pub application_id: String,
    pub secret_expires_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, FromRow)]
pub struct AdministratorRow {
    pub username: String,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, FromRow)]
pub struct SourceRow {
    pub id: i64,
    pub name: String,
    pub tenant_name: String,
}

const TENANT_COLUMNS: &str =
    "id, owner_subscription_id, ms_tenant_id, mode, status, domain, current_step";

/// The MS Teams tenant a subscription owns.
pub async fn owned_tenant(
    conn: &mut SqliteConnection,
    subscription: i64,
) -> Result<Option<MsTeamsTenantRow>, sqlx::Error> {
    let sql =
        format!("SELECT {TENANT_COLUMNS} FROM msteams_tenants WHERE owner_subscription_id = ?");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(subscription)
        .fetch_optional(conn)
        .await
}

/// The MS Teams tenant a subscription is linked to (owned by another subscription).
pub async fn linked_tenant(
    conn: &mut SqliteConnection,
    subscription: i64,
) -> Result<Option<MsTeamsTenantRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {TENANT_COLUMNS} FROM msteams_tenants WHERE id = (SELECT msteams_tenant_id FROM msteams_links WHERE subscription_id = ?)"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(subscription)
        .fetch_optional(conn)
        .await
}

/// The MS Teams tenant a subscription uses: its own, or else the one it is linked to.
pub async fn effective_tenant(
    conn: &mut SqliteConnection,
    subscription: i64,
) -> Result<Option<MsTeamsTenantRow>, sqlx::Error> {
    match owned_tenant(&mut *conn, subscription).await? {
        Some(tenant) => Ok(Some(tenant)),
        None => linked_tenant(conn, subscription).await,
    }
}

/// The MS Teams tenant that has claimed this MS tenant id (its wizard proved control
/// of it at step 1), if any.
pub async fn tenant_claiming(
    conn: &mut SqliteConnection,
    ms_tenant_id: Uuid,
) -> Result<Option<MsTeamsTenantRow>, sqlx::Error> {
    let sql =
        format!("SELECT {TENANT_COLUMNS} FROM msteams_tenants WHERE claimed_ms_tenant_id = ?");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(ms_tenant_id.to_string())
        .fetch_optional(conn)
        .await
}

pub async fn application(
    conn: &mut SqliteConnection,
    tenant_row: i64,
) -> Result<Option<ApplicationRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT application_id, secret_expires_at, updated_at FROM msteams_applications WHERE msteams_tenant_id = ?",
    )
    .bind(tenant_row)
    .fetch_optional(conn)
    .await
}

pub async fn administrator(
    conn: &mut SqliteConnection,
    tenant_row: i64,
) -> Result<Option<AdministratorRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT username, updated_at FROM msteams_administrators WHERE msteams_tenant_id = ?",
    )
    .bind(tenant_row)
    .fetch_optional(conn)
    .await
}

/// The subscription's own MS Teams tenant row, created (status `pending`) when missing.
pub async fn ensure_owned_tenant(
    conn: &mut SqliteConnection,
    subscription: i64,
) -> Result<MsTeamsTenantRow, sqlx::Error> {
    sqlx::query(
        "INSERT INTO msteams_tenants (owner_subscription_id, created_at, updated_at) VALUES (?, ?, ?)
         ON CONFLICT(owner_subscription_id) DO NOTHING",
    )
    .bind(subscription)
    .bind(now())
    .bind(now())
    .execute(&mut *conn)
    .await?;
    owned_tenant(conn, subscription)
        .await?
        .ok_or(sqlx::Error::RowNotFound)
}

pub async fn set_ms_tenant_id(
    conn: &mut SqliteConnection,
    tenant_row: i64,
    ms_tenant_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE msteams_tenants SET ms_tenant_id = ?, updated_at = ? WHERE id = ?")
        .bind(ms_tenant_id.to_string())
        .bind(now())
        .bind(tenant_row)
        .execute(conn)
        .await?;
    Ok(())
}

/// Claims the tenant row's MS tenant id for it, unless another row has claimed it.
/// Returns whether the row holds the claim now.
pub async fn claim_ms_tenant_id(
    conn: &mut SqliteConnection,
    tenant_row: i64,
) -> Result<bool, sqlx::Error> {
    let claimed = sqlx::query(
        "UPDATE msteams_tenants SET claimed_ms_tenant_id = ms_tenant_id, updated_at = ?
         WHERE id = ? AND ms_tenant_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM msteams_tenants other
                           WHERE other.claimed_ms_tenant_id = msteams_tenants.ms_tenant_id AND other.id <> msteams_tenants.id)",
    )
    .bind(now())
    .bind(tenant_row)
    .execute(conn)
    .await?;
    Ok(claimed.rows_affected() == 1)
}

pub async fn set_state(
    conn: &mut SqliteConnection,
    tenant_row: i64,
    status: TenantState,
    domain: Option<&str>,
    current_step: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE msteams_tenants SET status = ?, domain = ?, current_step = ?, updated_at = ? WHERE id = ?")
        .bind(status)
        .bind(domain)
        .bind(current_step)
        .bind(now())
        .bind(tenant_row)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn upsert_application(
    conn: &mut SqliteConnection,
    tenant_row: i64,
    application_id: Uuid,
    secret_ciphertext: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO msteams_applications (msteams_tenant_id, application_id, secret_ciphertext, secret_expires_at, updated_at)
         VALUES (?1, ?2, ?3, NULL, ?4)
         ON CONFLICT(msteams_tenant_id) DO UPDATE SET application_id = ?2, secret_ciphertext = ?3,
             secret_expires_at = NULL, updated_at = ?4",
    )
    .bind(tenant_row)
    .bind(application_id.to_string())
    .bind(secret_ciphertext)
    .bind(now())
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn upsert_administrator(
    conn: &mut SqliteConnection,
    tenant_row: i64,
    username: &str,
    password_ciphertext: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO msteams_administrators (msteams_tenant_id, username, password_ciphertext, updated_at)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(msteams_tenant_id) DO UPDATE SET username = ?2, password_ciphertext = ?3, updated_at = ?4",
    )
    .bind(tenant_row)
    .bind(username)
    .bind(password_ciphertext)
    .bind(now())
    .execute(conn)
    .await?;
    Ok(())
}

/// Replaces the stored administrator's password, keeping its account. Returns whether
/// an administrator was stored.
pub async fn set_administrator_password(
    conn: &mut SqliteConnection,
    tenant_row: i64,
    password_ciphertext: &[u8],
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE msteams_administrators SET password_ciphertext = ?, updated_at = ? WHERE msteams_tenant_id = ?",
    )
    .bind(password_ciphertext)
    .bind(now())
    .bind(tenant_row)
    .execute(conn)
    .await?;
    Ok(updated.rows_affected() == 1)
}

pub async fn delete_administrator(
    conn: &mut SqliteConnection,
    tenant_row: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM msteams_administrators WHERE msteams_tenant_id = ?")
        .bind(tenant_row)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn linked_subscription_count(
    conn: &mut SqliteConnection,
    tenant_row: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM msteams_links WHERE msteams_tenant_id = ?")
        .bind(tenant_row)
        .fetch_one(conn)
        .await
}

pub async fn insert_link(
    conn: &mut SqliteConnection,
    subscription: i64,
    tenant_row: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO msteams_links (subscription_id, msteams_tenant_id, created_at) VALUES (?, ?, ?)")
        .bind(subscription)
        .bind(tenant_row)
        .bind(now())
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete_link(
    conn: &mut SqliteConnection,
    subscription: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM msteams_links WHERE subscription_id = ?")
        .bind(subscription)
        .execute(conn)
        .await?;
    Ok(())
}

/// Erases an MS Teams tenant with its credentials (they cascade).
pub async fn delete_tenant(
    conn: &mut SqliteConnection,
    tenant_row: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM msteams_tenants WHERE id = ?")
        .bind(tenant_row)
        .execute(conn)
        .await?;
    Ok(())
}

/// Subscriptions below `caller_node` whose MS Teams tenant (own or linked) is onboarded.
pub async fn onboarded_sources(
    db: &Db,
    caller_node: Uuid,
    exclude_subscription: i64,
) -> Result<Vec<SourceRow>, sqlx::Error> {
    sqlx::query_as(
        "WITH RECURSIVE down(id) AS (SELECT ?1 UNION ALL SELECT n.id FROM nodes n JOIN down ON n.parent_id = down.id)
         SELECT s.id, s.name, t.name AS tenant_name
         FROM subscriptions s
         JOIN nodes t ON t.id = s.tenant_id JOIN down ON down.id = t.id
         LEFT JOIN msteams_tenants own ON own.owner_subscription_id = s.id
         LEFT JOIN msteams_links l ON l.subscription_id = s.id
         LEFT JOIN msteams_tenants lt ON lt.id = l.msteams_tenant_id
         WHERE s.id <> ?2 AND COALESCE(own.status, lt.status) = ?3
         ORDER BY s.id",
    )
    .bind(caller_node.to_string())
    .bind(exclude_subscription)
    .bind(TenantState::Onboarded)
    .fetch_all(&db.read)
    .await
}

/// The administrator's username and sealed password, for signing in to Microsoft.
pub async fn administrator_credentials(
    conn: &mut SqliteConnection,
    tenant_row: i64,
) -> Result<Option<(String, Vec<u8>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT username, password_ciphertext FROM msteams_administrators WHERE msteams_tenant_id = ?",
    )
    .bind(tenant_row)
    .fetch_optional(conn)
    .await
}

/// The application id and sealed secret, for signing in to Graph.
pub async fn application_credentials(
    conn: &mut SqliteConnection,
    tenant_row: i64,
) -> Result<Option<(String, Vec<u8>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT application_id, secret_ciphertext FROM msteams_applications WHERE msteams_tenant_id = ?",
    )
    .bind(tenant_row)
    .fetch_optional(conn)
    .await
}

/// Every stored sealed secret with the row it belongs to, for re-sealing under a new key.
pub async fn sealed_secrets(
    conn: &mut SqliteConnection,
) -> Result<Vec<(SecretSlot, Vec<u8>)>, sqlx::Error> {
    let rows: Vec<(String, i64, Vec<u8>)> = sqlx::query_as(
        "SELECT 'application', t.owner_subscription_id, a.secret_ciphertext
         FROM msteams_applications a JOIN msteams_tenants t ON t.id = a.msteams_tenant_id
         UNION ALL
         SELECT 'administrator', t.owner_subscription_id, d.password_ciphertext
         FROM msteams_administrators d JOIN msteams_tenants t ON t.id = d.msteams_tenant_id
         UNION ALL
         SELECT 'totp', id, totp_secret FROM admin_users WHERE totp_secret IS NOT NULL",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(kind, row, sealed)| {
            let slot = match kind.as_str() {
                "application" => SecretSlot::ApplicationSecret { subscription: row },
                "administrator" => SecretSlot::AdministratorPassword { subscription: row },
                _ => SecretSlot::TotpSecret { user: row },
            };
            (slot, sealed)
        })
        .collect())
}

/// Replaces one sealed secret in place.
pub async fn replace_sealed(
    conn: &mut SqliteConnection,
    slot: SecretSlot,
    sealed: &[u8],
) -> Result<(), sqlx::Error> {
    let (sql, row) = match slot {
        SecretSlot::ApplicationSecret { subscription } => (
            "UPDATE msteams_applications SET secret_ciphertext = ?
             WHERE msteams_tenant_id = (SELECT id FROM msteams_tenants WHERE owner_subscription_id = ?)",
            subscription,
        ),
        SecretSlot::AdministratorPassword { subscription } => (
            "UPDATE msteams_administrators SET password_ciphertext = ?
             WHERE msteams_tenant_id = (SELECT id FROM msteams_tenants WHERE owner_subscription_id = ?)",
            subscription,
        ),
        SecretSlot::TotpSecret { user } => (
            "UPDATE admin_users SET totp_secret = ? WHERE id = ?",
            user,
        ),
        SecretSlot::Scenario => ("UPDATE mock_scenario SET sealed = ? WHERE id = ?", 1),
    };
    sqlx::query(sql)
        .bind(sealed)
        .bind(row)
        .execute(conn)
        .await?;
    Ok(())
}
