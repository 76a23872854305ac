//! The wizard's rows: transactions, the six steps of an MS Teams tenant, and what a
//! running step needs to know.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, SqliteConnection};

use app::api_types::TransactionStatus;

use super::{Db, msteams::TenantState, now};
use crate::jobs::JobState;

#[derive(Debug, Clone, FromRow)]
pub struct TransactionRow {
    pub id: i64,
    pub kind: String,
    pub subscription_id: Option<i64>,
    pub tenant_id: Option<String>,
    pub status: TransactionStatus,
    pub detail: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, FromRow)]
pub struct StepRow {
    pub step: i64,
    pub executed_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub voice_routing_status: Option<String>,
}

/// What a wizard job works on, found from its transaction.
#[derive(Debug, Clone, FromRow)]
pub struct WizardTarget {
    pub subscription_id: i64,
    pub tenant_row: i64,
    pub ms_tenant_id: Option<String>,
    pub tenant_name: String,
    pub instance_slug: String,
    pub domain: Option<String>,
}

pub async fn insert_transaction(
    conn: &mut SqliteConnection,
    kind: &str,
    subscription: i64,
    created_by: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO transactions (kind, subscription_id, status, created_by, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(kind)
    .bind(subscription)
    .bind(TransactionStatus::Running)
    .bind(created_by)
    .bind(now())
    .bind(now())
    .fetch_one(conn)
    .await
}

pub async fn transaction(db: &Db, id: i64) -> Result<Option<TransactionRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT x.id, x.kind, x.subscription_id, s.tenant_id, x.status, x.detail, x.created_at, x.updated_at
         FROM transactions x LEFT JOIN subscriptions s ON s.id = x.subscription_id WHERE x.id = ?",
    )
    .bind(id)
    .fetch_optional(&db.read)
    .await
}

pub async fn steps(
    conn: &mut SqliteConnection,
    tenant_row: i64,
) -> Result<Vec<StepRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT step, executed_at, started_at, voice_routing_status FROM msteams_wizard_steps
         WHERE msteams_tenant_id = ? ORDER BY step",
    )
    .bind(tenant_row)
    .fetch_all(conn)
    .await
}

/// The base structure of the wizard: its six steps, none executed.
pub async fn create_steps(conn: &mut SqliteConnection, tenant_row: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT OR IGNORE INTO msteams_wizard_steps (msteams_tenant_id, step)
         VALUES (?1, 0), (?1, 1), (?1, 2), (?1, 3), (?1, 4), (?1, 5)",
    )
    .bind(tenant_row)
    .execute(conn)
    .await?;
    Ok(())
}

/// All six steps, executed (a tenant onboarded outside the wizard, e.g. the demo's).
pub async fn create_executed_steps(
    conn: &mut SqliteConnection,
    tenant_row: i64,
) -> Result<(), sqlx::Error> {
    create_steps(&mut *conn, tenant_row).await?;
    sqlx::query("UPDATE msteams_wizard_steps SET executed_at = ?1, started_at = ?1 WHERE msteams_tenant_id = ?2")
        .bind(now())
        .bind(tenant_row)
        .execute(conn)
        .await?;
    Ok(())
}

/// The first step not executed yet; `None` when the steps do not exist or all ran.
pub async fn first_pending_step(
    conn: &mut SqliteConnection,
    tenant_row: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT MIN(step) FROM msteams_wizard_steps WHERE msteams_tenant_id = ? AND executed_at IS NULL",
    )
    .bind(tenant_row)
    .fetch_one(conn)
    .await
}

pub async fn has_steps(conn: &mut SqliteConnection, tenant_row: i64) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM msteams_wizard_steps WHERE msteams_tenant_id = ?",
    )
    .bind(tenant_row)
    .fetch_one(conn)
    .await?
        > 0)
}

pub async fn mark_started(
    conn: &mut SqliteConnection,
    tenant_row: i64,
    step: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE msteams_wizard_steps SET started_at = ? WHERE msteams_tenant_id = ? AND step = ?",
    )
    .bind(now())
    .bind(tenant_row)
    .bind(step)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn mark_executed(
    conn: &mut SqliteConnection,
    tenant_row: i64,
    step: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE msteams_wizard_steps SET executed_at = ? WHERE msteams_tenant_id = ? AND step = ?",
    )
    .bind(now())
    .bind(tenant_row)
    .bind(step)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_voice_routing_status(
    conn: &mut SqliteConnection,
    tenant_row: i64,
    status_json: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE msteams_wizard_steps SET voice_routing_status = ? WHERE msteams_tenant_id = ? AND step = 5")
        .bind(status_json)
        .bind(tenant_row)
        .execute(conn)
        .await?;
    Ok(())
}

/// Where the tenant's wizard stands: status, current step, latest run and its error.
pub async fn set_progress(
    conn: &mut SqliteConnection,
    tenant_row: i64,
    status: TenantState,
    current_step: Option<i64>,
    error: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE msteams_tenants SET status = ?, current_step = ?, wizard_error = ?, updated_at = ? WHERE id = ?",
    )
    .bind(status)
    .bind(current_step)
    .bind(error)
    .bind(now())
    .bind(tenant_row)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_run(
    conn: &mut SqliteConnection,
    tenant_row: i64,
    transaction: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE msteams_tenants SET wizard_transaction_id = ? WHERE id = ?")
        .bind(transaction)
        .bind(tenant_row)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_domain(
    conn: &mut SqliteConnection,
    tenant_row: i64,
    domain: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE msteams_tenants SET domain = ?, updated_at = ? WHERE id = ?")
        .bind(domain)
        .bind(now())
        .bind(tenant_row)
        .execute(conn)
        .await?;
    Ok(())
}

/// The wizard's latest error and run id for a tenant.
pub async fn run_of(
    conn: &mut SqliteConnection,
    tenant_row: i64,
) -> Result<(Option<i64>, Option<String>), sqlx::Error> {
    sqlx::query_as("SELECT wizard_transaction_id, wizard_error FROM msteams_tenants WHERE id = ?")
        .bind(tenant_row)
        .fetch_one(conn)
        .await
}

pub async fn target(
    conn: &mut SqliteConnection,
    transaction: i64,
) -> Result<Option<WizardTarget>, sqlx::Error> {
    sqlx::query_as(
        "SELECT s.id AS subscription_id, m.id AS tenant_row, m.ms_tenant_id, t.name AS tenant_name,
                i.slug AS instance_slug, m.domain
         FROM transactions x
         JOIN subscriptions s ON s.id = x.subscription_id
         JOIN nodes t ON t.id = s.tenant_id
         JOIN draas_instances i ON i.id = t.instance_id
         JOIN msteams_tenants m ON m.owner_subscription_id = s.id
         WHERE x.id = ?",
    )
    .bind(transaction)
    .fetch_optional(conn)
    .await
}

/// Where a wizard run's transaction stands: its status, and the error of a failed run
/// or the last transient fault of a running one.
pub async fn set_transaction(
    conn: &mut SqliteConnection,
    id: i64,
    status: TransactionStatus,
    detail: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE transactions SET status = ?, detail = ?, updated_at = ? WHERE id = ?")
        .bind(status)
        .bind(detail)
        .bind(now())
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Ends, as failed with `message`, every tenant left `onboarding` without a live job
/// (its job ended without recording an outcome, or vanished): without this, POST wizard
/// would answer 409 and unlink would be refused forever. Returns how many were fixed.
pub async fn fail_orphaned_runs(db: &Db, message: &str) -> Result<u64, sqlx::Error> {
    // ?1 onboarding, ?2 a live job's state; each statement numbers its own from ?3.
    const ORPHANED: &str = "status = ?1 AND NOT EXISTS
        (SELECT 1 FROM jobs j WHERE j.id = msteams_tenants.wizard_transaction_id AND j.state = ?2)";
    let mut tx = db.begin_write().await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT OR IGNORE INTO msteams_wizard_steps (msteams_tenant_id, step)
         SELECT msteams_tenants.id, s.value FROM msteams_tenants, json_each('[0, 1, 2, 3, 4, 5]') s
         WHERE msteams_tenants.{ORPHANED}"
    )))
    .bind(TenantState::Onboarding)
    .bind(JobState::Ready)
    .execute(&mut *tx)
    .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE transactions SET status = ?3, detail = ?4, updated_at = ?5
         WHERE status = ?6 AND id IN (SELECT wizard_transaction_id FROM msteams_tenants WHERE {ORPHANED})"
    )))
    .bind(TenantState::Onboarding)
    .bind(JobState::Ready)
    .bind(TransactionStatus::Failed)
    .bind(message)
    .bind(now())
    .bind(TransactionStatus::Running)
    .execute(&mut *tx)
    .await?;
    let fixed = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE msteams_tenants SET status = ?3, wizard_error = ?4, updated_at = ?5 WHERE {ORPHANED}"
    )))
    .bind(TenantState::Onboarding)
    .bind(JobState::Ready)
    .bind(TenantState::Failed)
    .bind(message)
    .bind(now())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(fixed)
}
