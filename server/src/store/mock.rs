//! The mock controls' statements: the loaded scenario, and emptying every table a
//! scenario fills (profiles, the audit log and the migrations stay).

use sqlx::SqliteConnection;

use super::{Db, msteams::TenantState, now};

/// The tables a scenario fills and the state that grew from them, children before
/// their parents.
const EMPTYING: &[&str] = &[
    "DELETE FROM sessions",
    "DELETE FROM trusted_devices",
    "DELETE FROM two_factor_challenges",
    "DELETE FROM mail_outbox",
    "DELETE FROM msteams_wizard_steps",
    "DELETE FROM msteams_links",
    "DELETE FROM msteams_applications",
    "DELETE FROM msteams_administrators",
    "DELETE FROM jobs",
    "DELETE FROM msteams_tenants",
    "DELETE FROM transactions",
    "DELETE FROM fusion_users",
    "DELETE FROM subscriptions",
    "DELETE FROM admin_users",
    "DELETE FROM sim_journal",
    "DELETE FROM sim_tenants",
    "DELETE FROM group_settings",
    "DELETE FROM nodes",
    "DELETE FROM draas_instances",
];

/// Empties every table a scenario fills (the simulator's children go with their
/// tenants).
pub async fn empty(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    for statement in EMPTYING {
        sqlx::query(*statement).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Records the sealed text of the loaded scenario.
pub async fn save_scenario(conn: &mut SqliteConnection, sealed: &[u8]) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO mock_scenario (id, sealed, loaded_at) VALUES (1, ?, ?)
         ON CONFLICT(id) DO UPDATE SET sealed = excluded.sealed, loaded_at = excluded.loaded_at",
    )
    .bind(sealed)
    .bind(now())
    .execute(conn)
    .await
    .map(drop)
}

/// The loaded scenario's sealed text, if one was loaded.
pub async fn loaded_scenario(
    conn: impl sqlx::SqliteExecutor<'_>,
) -> Result<Option<Vec<u8>>, sqlx::Error> {
    sqlx::query_scalar("SELECT sealed FROM mock_scenario WHERE id = 1")
        .fetch_optional(conn)
        .await
}

/// What an export reads, table by table, in the order a scenario lists it.
#[derive(Debug, Default)]
pub struct Contents {
    /// (slug, name), by id.
    pub instances: Vec<(String, String)>,
    /// (uuid, kind, instance slug, name, billing id, parent uuid, app display name,
    /// secret lifetime months), parents before children.
    pub nodes: Vec<NodeRow>,
    /// (id, tenant uuid, name, license type).
    pub subscriptions: Vec<(i64, String, String, String)>,
    /// (subscription, username, direct routing).
    pub users: Vec<(i64, String, bool)>,
    pub admins: Vec<AdminRow>,
    /// (subscription, MS tenant id, domain, application id, administrator): onboarded
    /// MS Teams tenants.
    pub onboarded: Vec<(i64, String, String, String, String)>,
    /// (subscription, the subscription owning the shared tenant).
    pub links: Vec<(i64, i64)>,
    /// (id, name, owner).
    pub sim_tenants: Vec<(String, String, Option<String>)>,
    /// (tenant, SKU part, free units).
    pub sim_licenses: Vec<(String, String, i64)>,
    /// (tenant, fault).
    pub sim_faults: Vec<(String, String)>,
}

#[derive(Debug, sqlx::FromRow)]
pub struct NodeRow {
    pub id: String,
    pub kind: String,
    pub slug: String,
    pub name: String,
    pub billing_id: String,
    pub parent_id: Option<String>,
    pub app_display_name: Option<String>,
    pub secret_lifetime_months: Option<i64>,
}

#[derive(Debug, sqlx::FromRow)]
pub struct AdminRow {
    pub username: String,
    pub display_name: String,
    pub level: String,
    pub node_id: String,
    pub profile: String,
    pub two_factor: Option<String>,
    pub email: Option<String>,
}

/// Reads everything an export holds, in one read transaction (one consistent view).
pub async fn contents(db: &Db) -> Result<Contents, sqlx::Error> {
    let mut tx = db.read.begin().await?;
    let conn = &mut *tx;
    let contents = Contents {
        instances: sqlx::query_as("SELECT slug, name FROM draas_instances ORDER BY id")
            .fetch_all(&mut *conn)
            .await?,
        // Groups first, then distributors, resellers and tenants: a parent is always
        // listed before its children.
        nodes: sqlx::query_as(
            "SELECT n.id, n.kind, i.slug, n.name, n.billing_id, n.parent_id,
                    g.app_display_name, g.secret_lifetime_months
             FROM nodes n JOIN draas_instances i ON i.id = n.instance_id
             LEFT JOIN group_settings g ON g.group_id = n.id
             ORDER BY CASE n.kind WHEN 'group' THEN 0 WHEN 'distributor' THEN 1
                                  WHEN 'reseller' THEN 2 ELSE 3 END, n.created_at, n.id",
        )
        .fetch_all(&mut *conn)
        .await?,
        subscriptions: sqlx::query_as(
            "SELECT id, tenant_id, name, license_type FROM subscriptions ORDER BY id",
        )
        .fetch_all(&mut *conn)
        .await?,
        users: sqlx::query_as(
            "SELECT subscription_id, username, direct_routing FROM fusion_users ORDER BY id",
        )
        .fetch_all(&mut *conn)
        .await?,
        admins: sqlx::query_as(
            "SELECT username, display_name, level, node_id, profile, two_factor, email
             FROM admin_users ORDER BY id",
        )
        .fetch_all(&mut *conn)
        .await?,
        onboarded: sqlx::query_as(
            "SELECT t.owner_subscription_id, t.ms_tenant_id, t.domain, a.application_id, d.username
             FROM msteams_tenants t
             JOIN msteams_applications a ON a.msteams_tenant_id = t.id
             JOIN msteams_administrators d ON d.msteams_tenant_id = t.id
             WHERE t.status = ? AND t.ms_tenant_id IS NOT NULL AND t.domain IS NOT NULL
             ORDER BY t.owner_subscription_id",
        )
        .bind(TenantState::Onboarded)
        .fetch_all(&mut *conn)
        .await?,
        links: sqlx::query_as(
            "SELECT l.subscription_id, t.owner_subscription_id
             FROM msteams_links l JOIN msteams_tenants t ON t.id = l.msteams_tenant_id
             WHERE t.status = ? ORDER BY l.subscription_id",
        )
        .bind(TenantState::Onboarded)
        .fetch_all(&mut *conn)
        .await?,
        sim_tenants: sqlx::query_as(
            "SELECT id, name, owner_node_id FROM sim_tenants ORDER BY created_at, id",
        )
        .fetch_all(&mut *conn)
        .await?,
        sim_licenses: sqlx::query_as(
            "SELECT tenant_id, sku_part, MAX(prepaid_units - consumed_units, 0) FROM sim_skus",
        )
        .fetch_all(&mut *conn)
        .await?,
        sim_faults: sqlx::query_as("SELECT tenant_id, fault FROM sim_faults")
            .fetch_all(&mut *conn)
            .await?,
    };
    tx.commit().await?;
    Ok(contents)
}
