//! The simulator's tables.

use std::collections::BTreeMap;

use app::api_types::{
    SimApplication, SimDnsRecord, SimDomain, SimFault, SimJournalEntry, SimLicense, SimSecret,
    SimTenantSummary, SimUser, SimVoiceObject, SkuPart,
};
use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};
use uuid::Uuid;

use crate::{
    domain::AppError,
    store::{Db, now},
};

pub async fn tenant_exists(conn: &mut SqliteConnection, id: &str) -> Result<bool, AppError> {
    Ok(sqlx::query("SELECT 1 FROM sim_tenants WHERE id = ?")
        .bind(id)
        .fetch_optional(conn)
        .await?
        .is_some())
}

pub async fn initial_domain_taken(
    conn: &mut SqliteConnection,
    domain: &str,
) -> Result<bool, AppError> {
    Ok(
        sqlx::query("SELECT 1 FROM sim_tenants WHERE initial_domain = ?")
            .bind(domain)
            .fetch_optional(conn)
            .await?
            .is_some(),
    )
}

pub async fn insert_tenant(
    conn: &mut SqliteConnection,
    id: &str,
    name: &str,
    initial_domain: &str,
    owner: Option<Uuid>,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO sim_tenants (id, name, initial_domain, created_at, owner_node_id) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(id)
    .bind(name)
    .bind(initial_domain)
    .bind(now())
    .bind(owner.map(|node| node.to_string()))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_license(
    conn: &mut SqliteConnection,
    tenant: &str,
    sku: SkuPart,
    prepaid: u32,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO sim_skus (tenant_id, sku_part, prepaid_units) VALUES (?1, ?2, ?3)
         ON CONFLICT(tenant_id, sku_part) DO UPDATE SET prepaid_units = ?3",
    )
    .bind(tenant)
    .bind(sku.as_str())
    .bind(i64::from(prepaid))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn replace_faults(
    conn: &mut SqliteConnection,
    tenant: &str,
    faults: &[SimFault],
) -> Result<(), AppError> {
    sqlx::query("DELETE FROM sim_faults WHERE tenant_id = ?")
        .bind(tenant)
        .execute(&mut *conn)
        .await?;
    for fault in faults {
        sqlx::query("INSERT OR IGNORE INTO sim_faults (tenant_id, fault) VALUES (?, ?)")
            .bind(tenant)
            .bind(fault.as_str())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Gives a tenant an owner if it has none (demo tenants of a database seeded before
/// simulated tenants had owners).
pub async fn adopt_tenant(db: &Db, id: &str, owner: Uuid) -> Result<(), AppError> {
    sqlx::query("UPDATE sim_tenants SET owner_node_id = ? WHERE id = ? AND owner_node_id IS NULL")
        .bind(owner.to_string())
        .bind(id)
        .execute(&db.write)
        .await?;
    Ok(())
}

/// Which simulated tenants a caller may see.
#[derive(Clone, Copy, Debug)]
pub enum SimScope {
    /// Every one (group admins).
    All,
    /// Those created in this node's tree, or used by a subscription in it: claimed by
    /// it (onboarded, or past the wizard's step 1), or linked to one that is.
    Tree(Uuid),
}

/// The visible tenants (only `only`, if given), by name.
pub async fn summaries(
    db: &Db,
    scope: SimScope,
    only: Option<&str>,
) -> Result<Vec<SimTenantSummary>, AppError> {
    let node = match scope {
        SimScope::All => None,
        SimScope::Tree(node) => Some(node.to_string()),
    };
    let rows = sqlx::query(
        "WITH RECURSIVE down(id) AS (SELECT ?2 UNION ALL SELECT n.id FROM nodes n JOIN down ON n.parent_id = down.id)
         SELECT t.id, t.name, t.initial_domain, t.created_at,
                (SELECT group_concat(fault) FROM sim_faults f WHERE f.tenant_id = t.id) AS faults
         FROM sim_tenants t
         WHERE (?1 IS NULL OR t.id = ?1)
           AND (?2 IS NULL
                OR t.owner_node_id IN (SELECT id FROM down)
                OR EXISTS (SELECT 1 FROM msteams_tenants mt
                           JOIN subscriptions s ON s.id = mt.owner_subscription_id
                           WHERE mt.claimed_ms_tenant_id = t.id AND s.tenant_id IN (SELECT id FROM down))
                OR EXISTS (SELECT 1 FROM msteams_tenants mt
                           JOIN msteams_links l ON l.msteams_tenant_id = mt.id
                           JOIN subscriptions s ON s.id = l.subscription_id
                           WHERE mt.claimed_ms_tenant_id = t.id AND s.tenant_id IN (SELECT id FROM down)))
         ORDER BY t.name COLLATE NOCASE, t.id",
    )
    .bind(only)
    .bind(node)
    .fetch_all(&db.read)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let faults: Option<String> = row.get("faults");
            let mut faults: Vec<SimFault> = faults
                .unwrap_or_default()
                .split(',')
                .filter_map(SimFault::parse)
                .collect();
            faults.sort();
            SimTenantSummary {
                ms_tenant_id: row.get("id"),
                name: row.get("name"),
                initial_domain: row.get("initial_domain"),
                faults,
                created_at: row.get("created_at"),
            }
        })
        .collect())
}

pub async fn applications(db: &Db, tenant: &str) -> Result<Vec<SimApplication>, AppError> {
    let apps = sqlx::query(
        "SELECT app_id, display_name FROM sim_applications WHERE tenant_id = ? ORDER BY created_at",
    )
    .bind(tenant)
    .fetch_all(&db.read)
    .await?;
    let mut result = Vec::with_capacity(apps.len());
    for app in apps {
        let app_id: String = app.get("app_id");
        let secrets = sqlx::query(
            "SELECT expires_at FROM sim_application_secrets WHERE app_id = ? ORDER BY id",
        )
        .bind(&app_id)
        .fetch_all(&db.read)
        .await?
        .into_iter()
        .map(|row| SimSecret {
            expires_at: row.get("expires_at"),
        })
        .collect();
        result.push(SimApplication {
            application_id: app_id,
            display_name: app.get("display_name"),
            secrets,
        });
    }
    Ok(result)
}

pub async fn application_by_name(
    conn: &mut SqliteConnection,
    tenant: &str,
    display_name: &str,
) -> Result<Option<String>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT app_id FROM sim_applications WHERE tenant_id = ? AND display_name = ?",
    )
    .bind(tenant)
    .bind(display_name)
    .fetch_optional(conn)
    .await?)
}

pub async fn insert_application(
    conn: &mut SqliteConnection,
    tenant: &str,
    app_id: &str,
    display_name: &str,
) -> Result<(), AppError> {
    sqlx::query("INSERT INTO sim_applications (app_id, tenant_id, display_name, created_at) VALUES (?, ?, ?, ?)")
        .bind(app_id)
        .bind(tenant)
        .bind(display_name)
        .bind(now())
        .execute(conn)
        .await?;
    Ok(())
}

/// The application is a service principal of its tenant (create_app.ps1 makes it one).
pub async fn mark_service_principal(
    conn: &mut SqliteConnection,
    app_id: &str,
) -> Result<(), AppError> {
    sqlx::query("UPDATE sim_applications SET service_principal = 1 WHERE app_id = ?")
        .bind(app_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn insert_secret(
    conn: &mut SqliteConnection,
    app_id: &str,
    secret_hash: &[u8],
    expires_at: DateTime<Utc>,
) -> Result<(), AppError> {
    sqlx::query("INSERT INTO sim_application_secrets (app_id, secret_hash, hint, expires_at, created_at) VALUES (?, ?, '', ?, ?)")
        .bind(app_id)
        .bind(secret_hash)
        .bind(expires_at)
        .bind(now())
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn licenses(db: &Db, tenant: &str) -> Result<Vec<SimLicense>, AppError> {
    let rows = sqlx::query("SELECT sku_part, prepaid_units, consumed_units FROM sim_skus WHERE tenant_id = ? ORDER BY sku_part")
        .bind(tenant)
        .fetch_all(&db.read)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let sku: String = row.get("sku_part");
            Some(SimLicense {
                sku_part_number: SkuPart::parse(&sku)?,
                prepaid_units: u32::try_from(row.get::<i64, _>("prepaid_units")).ok()?,
                consumed_units: u32::try_from(row.get::<i64, _>("consumed_units")).ok()?,
            })
        })
        .collect())
}

pub async fn domains(db: &Db, tenant: &str) -> Result<Vec<SimDomain>, AppError> {
    let rows =
        sqlx::query("SELECT name, verified FROM sim_domains WHERE tenant_id = ? ORDER BY name")
            .bind(tenant)
            .fetch_all(&db.read)
            .await?;
    Ok(rows
        .into_iter()
        .map(|row| SimDomain {
            name: row.get("name"),
            verified: row.get("verified"),
        })
        .collect())
}

pub async fn dns_records(db: &Db, tenant: &str) -> Result<Vec<SimDnsRecord>, AppError> {
    let rows = sqlx::query("SELECT domain, record_type, name, value FROM sim_dns_records WHERE tenant_id = ? ORDER BY id")
        .bind(tenant)
        .fetch_all(&db.read)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| SimDnsRecord {
            domain: row.get("domain"),
            record_type: row.get("record_type"),
            name: row.get("name"),
            value: row.get("value"),
        })
        .collect())
}

pub async fn users(db: &Db, tenant: &str) -> Result<Vec<SimUser>, AppError> {
    let rows = sqlx::query("SELECT upn, licenses FROM sim_users WHERE tenant_id = ? ORDER BY upn")
        .bind(tenant)
        .fetch_all(&db.read)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let licenses: String = row.get("licenses");
            SimUser {
                user_principal_name: row.get("upn"),
                licenses: licenses
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
            }
        })
        .collect())
}

pub async fn voice_objects(db: &Db, tenant: &str) -> Result<Vec<SimVoiceObject>, AppError> {
    let rows = sqlx::query(
        "SELECT kind, identity FROM sim_voice_objects WHERE tenant_id = ? ORDER BY kind, identity",
    )
    .bind(tenant)
    .fetch_all(&db.read)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| SimVoiceObject {
            kind: row.get("kind"),
            identity: row.get("identity"),
        })
        .collect())
}

/// One journal line: a simulated call, its outcome and how long it took.
pub struct JournalLine<'a> {
    pub operation: &'a str,
    pub target: &'a str,
    pub outcome: &'a str,
    pub status: u16,
    pub latency_ms: u32,
    pub detail: Option<&'a str>,
}

pub async fn journal(
    conn: &mut SqliteConnection,
    tenant: &str,
    line: JournalLine<'_>,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO sim_journal (tenant_id, at, operation, target, outcome, status, latency_ms, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(tenant)
    .bind(now())
    .bind(line.operation)
    .bind(line.target)
    .bind(line.outcome)
    .bind(i64::from(line.status))
    .bind(i64::from(line.latency_ms))
    .bind(line.detail)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn journal_entries(
    db: &Db,
    tenant: &str,
    limit: i64,
) -> Result<Vec<SimJournalEntry>, AppError> {
    let rows = sqlx::query(
        "SELECT id, at, operation, target, outcome, status, latency_ms, detail FROM sim_journal
         WHERE tenant_id = ? ORDER BY id DESC LIMIT ?",
    )
    .bind(tenant)
    .bind(limit)
    .fetch_all(&db.read)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| SimJournalEntry {
            id: row.get("id"),
            at: row.get("at"),
            operation: row.get("operation"),
            target: row.get("target"),
            outcome: row.get("outcome"),
            status: u16::try_from(row.get::<i64, _>("status")).unwrap_or(0),
            latency_ms: u32::try_from(row.get::<i64, _>("latency_ms")).unwrap_or(0),
            detail: row.get("detail"),
        })
        .collect())
}

/// Default licenses of a new simulated tenant.
pub fn default_licenses() -> BTreeMap<SkuPart, u32> {
    BTreeMap::from([(SkuPart::E5, 5)])
}

pub async fn faults(conn: &mut SqliteConnection, tenant: &str) -> Result<Vec<SimFault>, AppError> {
    let names: Vec<String> = sqlx::query_scalar("SELECT fault FROM sim_faults WHERE tenant_id = ?")
        .bind(tenant)
        .fetch_all(conn)
        .await?;
    Ok(names
        .iter()
        .filter_map(|name| SimFault::parse(name))
        .collect())
}

/// Inserts the voice object unless it exists; returns whether it was created.
pub async fn insert_voice_object(
    conn: &mut SqliteConnection,
    tenant: &str,
    kind: &str,
    identity: &str,
) -> Result<bool, AppError> {
    let result = sqlx::query(
        "INSERT INTO sim_voice_objects (tenant_id, kind, identity, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(tenant_id, kind, identity) DO NOTHING",
    )
    .bind(tenant)
    .bind(kind)
    .bind(identity)
    .bind(now())
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn delete_voice_object(
    conn: &mut SqliteConnection,
    tenant: &str,
    kind: &str,
    identity: &str,
) -> Result<bool, AppError> {
    let result = sqlx::query(
        "DELETE FROM sim_voice_objects WHERE tenant_id = ? AND kind = ? AND identity = ?",
    )
    .bind(tenant)
    .bind(kind)
    .bind(identity)
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}
