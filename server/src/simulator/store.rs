//! The simulator's tables (`sim_*`): every SQL statement of the simulator, one function
//! each. What one simulated tenant holds is read and written through `TenantRows`
//! inside a transaction; the console reads through the read pool.

use std::collections::BTreeMap;

use app::api_types::{
    SimApplication, SimDnsRecord, SimDomain, SimFault, SimJournalEntry, SimLicense, SimSecret,
    SimTenantSummary, SimUser, SimVoiceObject, SkuPart,
};
use chrono::{DateTime, Utc};
use sqlx::{
    FromRow, Sqlite, SqliteConnection,
    query::Query,
    sqlite::{SqliteArguments, SqliteRow},
};
use uuid::Uuid;

use crate::{
    microsoft::DnsRecord,
    store::{Db, now},
};

/// A statement with its arguments bound, not run yet.
type Statement = Query<'static, Sqlite, SqliteArguments>;

/// The SKU part numbers in a `sim_users.licenses` cell (comma-separated; empty when the
/// user holds none).
pub fn held_skus(licenses: &str) -> impl Iterator<Item = &str> {
    licenses.split(',').filter(|sku| !sku.is_empty())
}

/// Default licenses of a new simulated tenant.
pub fn default_licenses() -> BTreeMap<SkuPart, u32> {
    BTreeMap::from([(SkuPart::E5, 5)])
}

/// One simulated tenant's rows, through a connection (a transaction). Every statement
/// here names the tenant as its first parameter.
pub struct TenantRows<'a> {
    conn: &'a mut SqliteConnection,
    tenant: &'a str,
}

/// A domain as a verification check finds it.
#[derive(FromRow)]
pub struct VerifyCheck {
    pub verified: bool,
    /// Checks so far, this one included.
    pub verify_checks: i64,
    pub verification_code: String,
}

/// What Graph knows of a user.
#[derive(FromRow)]
pub struct UserState {
    /// See [`held_skus`].
    pub licenses: String,
    /// Reads that will still miss the user (the replication-lag fault).
    pub lagging_reads: i64,
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

impl<'a> TenantRows<'a> {
    pub fn new(conn: &'a mut SqliteConnection, tenant: &'a str) -> Self {
        TenantRows { conn, tenant }
    }

    /// `sql` with the tenant bound to its first parameter.
    fn statement(&self, sql: &'static str) -> Statement {
        sqlx::query(sql).bind(self.tenant)
    }

    async fn run(&mut self, statement: Statement) -> Result<(), sqlx::Error> {
        statement.execute(&mut *self.conn).await.map(drop)
    }

    /// Runs an insert, update or delete of at most one row; returns whether it changed
    /// one, which is how the check-then-create operations know what they did.
    async fn changed_one(&mut self, statement: Statement) -> Result<bool, sqlx::Error> {
        Ok(statement.execute(&mut *self.conn).await?.rows_affected() == 1)
    }

    /// Runs a `SELECT 1 …`; returns whether it found a row.
    async fn found(&mut self, statement: Statement) -> Result<bool, sqlx::Error> {
        Ok(statement.fetch_optional(&mut *self.conn).await?.is_some())
    }

    /// The row `sql` gives for one of the tenant's objects (`… WHERE tenant_id = ? AND
    /// <key> = ?`), as `T`; none if the tenant has no such object.
    async fn object<T>(&mut self, sql: &'static str, key: &str) -> Result<Option<T>, sqlx::Error>
    where
        T: for<'r> FromRow<'r, SqliteRow> + Send + Unpin,
    {
        sqlx::query_as(sql)
            .bind(self.tenant)
            .bind(key)
            .fetch_optional(&mut *self.conn)
            .await
    }

    /// The one column `sql` selects of one of the tenant's objects (see `object`).
    async fn field<O>(&mut self, sql: &'static str, key: &str) -> Result<Option<O>, sqlx::Error>
    where
        (O,): for<'r> FromRow<'r, SqliteRow>,
        O: Send + Unpin,
    {
        Ok(self.object::<(O,)>(sql, key).await?.map(|(value,)| value))
    }

    /// The one column `sql` selects of every one of the tenant's rows it matches.
    async fn column<O>(&mut self, sql: &'static str) -> Result<Vec<O>, sqlx::Error>
    where
        (O,): for<'r> FromRow<'r, SqliteRow>,
        O: Send + Unpin,
    {
        sqlx::query_scalar(sql)
            .bind(self.tenant)
            .fetch_all(&mut *self.conn)
            .await
    }

    // The tenant and its faults.

    pub async fn exists(&mut self) -> Result<bool, sqlx::Error> {
        self.found(self.statement("SELECT 1 FROM sim_tenants WHERE id = ?"))
            .await
    }

    pub async fn insert(
        &mut self,
        name: &str,
        initial_domain: &str,
        owner: Option<Uuid>,
    ) -> Result<(), sqlx::Error> {
        let statement = self
            .statement(
                "INSERT INTO sim_tenants (id, name, initial_domain, created_at, owner_node_id) VALUES (?, ?, ?, ?, ?)",
            )
            .bind(name)
            .bind(initial_domain)
            .bind(now())
            .bind(owner.map(|node| node.to_string()));
        self.run(statement).await
    }

    /// Counts a Graph call (the throttling fault refuses some of them); returns how many
    /// there have been.
    pub async fn count_graph_call(&mut self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar(
            "UPDATE sim_tenants SET graph_calls = graph_calls + 1 WHERE id = ? RETURNING graph_calls",
        )
        .bind(self.tenant)
        .fetch_one(&mut *self.conn)
        .await
    }

    pub async fn replace_faults(&mut self, faults: &[SimFault]) -> Result<(), sqlx::Error> {
        self.run(self.statement("DELETE FROM sim_faults WHERE tenant_id = ?"))
            .await?;
        for fault in faults {
            let insert = self
                .statement("INSERT OR IGNORE INTO sim_faults (tenant_id, fault) VALUES (?, ?)")
                .bind(fault.as_str());
            self.run(insert).await?;
        }
        Ok(())
    }

    pub async fn faults(&mut self) -> Result<Vec<SimFault>, sqlx::Error> {
        let names: Vec<String> = self
            .column("SELECT fault FROM sim_faults WHERE tenant_id = ?")
            .await?;
        Ok(names
            .iter()
            .filter_map(|name| SimFault::parse(name))
            .collect())
    }

    // Licenses.

    pub async fn set_license(&mut self, sku: SkuPart, prepaid: u32) -> Result<(), sqlx::Error> {
        let statement = self
            .statement(
                "INSERT INTO sim_skus (tenant_id, sku_part, prepaid_units) VALUES (?1, ?2, ?3)
                 ON CONFLICT(tenant_id, sku_part) DO UPDATE SET prepaid_units = ?3",
            )
            .bind(sku.as_str())
            .bind(i64::from(prepaid));
        self.run(statement).await
    }

    /// The SKUs with a unit to spare.
    pub async fn skus_with_free_units(&mut self) -> Result<Vec<SkuPart>, sqlx::Error> {
        let skus: Vec<String> = self
            .column("SELECT sku_part FROM sim_skus WHERE tenant_id = ? AND prepaid_units > consumed_units")
            .await?;
        Ok(skus.iter().filter_map(|sku| SkuPart::parse(sku)).collect())
    }

    /// `delta` more units of the SKU are assigned (a negative one frees them, never
    /// below none in use).
    pub async fn use_units(&mut self, sku: &str, delta: i64) -> Result<(), sqlx::Error> {
        let statement = self
            .statement(
                "UPDATE sim_skus SET consumed_units = MAX(consumed_units + ?3, 0) WHERE tenant_id = ?1 AND sku_part = ?2",
            )
            .bind(sku)
            .bind(delta);
        self.run(statement).await
    }

    // Applications.

    pub async fn application_by_name(
        &mut self,
        display_name: &str,
    ) -> Result<Option<String>, sqlx::Error> {
        let sql = "SELECT app_id FROM sim_applications WHERE tenant_id = ? AND display_name = ?";
        self.field(sql, display_name).await
    }

    /// Whether the tenant was made on the fly (it has no owner) and holds no application
    /// yet (false for an unknown tenant).
    pub async fn adopts_unknown_applications(&mut self) -> Result<bool, sqlx::Error> {
        let adopts: Option<bool> = sqlx::query_scalar(
            "SELECT t.owner_node_id IS NULL
                    AND NOT EXISTS (SELECT 1 FROM sim_applications a WHERE a.tenant_id = t.id)
             FROM sim_tenants t WHERE t.id = ?",
        )
        .bind(self.tenant)
        .fetch_optional(&mut *self.conn)
        .await?;
        Ok(adopts.unwrap_or(false))
    }

    pub async fn insert_application(
        &mut self,
        app_id: &str,
        display_name: &str,
    ) -> Result<(), sqlx::Error> {
        let statement = self
            .statement(
                "INSERT INTO sim_applications (tenant_id, app_id, display_name, created_at) VALUES (?, ?, ?, ?)",
            )
            .bind(app_id)
            .bind(display_name)
            .bind(now());
        self.run(statement).await
    }

    // Domains and the DNS zone.

    /// Adds the domain with this verification code unless the tenant has it; returns
    /// whether it was added.
    pub async fn insert_domain(&mut self, name: &str, code: &str) -> Result<bool, sqlx::Error> {
        let statement = self
            .statement(
                "INSERT INTO sim_domains (tenant_id, name, verification_code, created_at) VALUES (?, ?, ?, ?)
                 ON CONFLICT(tenant_id, name) DO NOTHING",
            )
            .bind(name)
            .bind(code)
            .bind(now());
        self.changed_one(statement).await
    }

    /// The domain's verification code (an error if the tenant has no such domain).
    pub async fn verification_code(&mut self, name: &str) -> Result<String, sqlx::Error> {
        let sql = "SELECT verification_code FROM sim_domains WHERE tenant_id = ? AND name = ?";
        self.field(sql, name).await?.ok_or(sqlx::Error::RowNotFound)
    }

    /// Counts a verification check of the domain; none if the tenant has no such domain.
    pub async fn count_verify_check(
        &mut self,
        name: &str,
    ) -> Result<Option<VerifyCheck>, sqlx::Error> {
        let sql = "UPDATE sim_domains SET verify_checks = verify_checks + 1 WHERE tenant_id = ? AND name = ?
                   RETURNING verified, verify_checks, verification_code";
        self.object(sql, name).await
    }

    pub async fn mark_domain_verified(&mut self, name: &str) -> Result<(), sqlx::Error> {
        let statement = self
            .statement("UPDATE sim_domains SET verified = 1 WHERE tenant_id = ? AND name = ?")
            .bind(name);
        self.run(statement).await
    }

    /// Whether the domain is verified; none if the tenant has no such domain.
    pub async fn domain_verified(&mut self, name: &str) -> Result<Option<bool>, sqlx::Error> {
        let sql = "SELECT verified FROM sim_domains WHERE tenant_id = ? AND name = ?";
        self.field(sql, name).await
    }

    /// Publishes the record in the domain's zone unless it is there; returns whether it
    /// was added.
    pub async fn insert_dns_record(
        &mut self,
        domain: &str,
        record: &DnsRecord,
    ) -> Result<bool, sqlx::Error> {
        let statement = self
            .statement(
                "INSERT INTO sim_dns_records (tenant_id, domain, record_type, name, value, created_at) VALUES (?, ?, ?, ?, ?, ?)
                 ON CONFLICT(tenant_id, record_type, name, value) DO NOTHING",
            )
            .bind(domain)
            .bind(&record.record_type)
            .bind(&record.name)
            .bind(&record.value)
            .bind(now());
        self.changed_one(statement).await
    }

    /// Whether a TXT record `name` with this value is in the zone.
    pub async fn txt_published(&mut self, name: &str, value: &str) -> Result<bool, sqlx::Error> {
        let statement = self
            .statement(
                "SELECT 1 FROM sim_dns_records WHERE tenant_id = ? AND record_type = 'TXT' AND name = ? AND value = ?",
            )
            .bind(name)
            .bind(value);
        self.found(statement).await
    }

    // Users.

    pub async fn user(&mut self, upn: &str) -> Result<Option<UserState>, sqlx::Error> {
        let sql = "SELECT licenses, lagging_reads FROM sim_users WHERE tenant_id = ? AND upn = ?";
        self.object(sql, upn).await
    }

    /// Creates the user unless the tenant has it, missed by its first `lagging_reads`
    /// reads; returns whether it was created.
    pub async fn insert_user(
        &mut self,
        upn: &str,
        lagging_reads: i64,
    ) -> Result<bool, sqlx::Error> {
        let statement = self
            .statement(
                "INSERT INTO sim_users (tenant_id, upn, created_at, lagging_reads) VALUES (?, ?, ?, ?)
                 ON CONFLICT(tenant_id, upn) DO NOTHING",
            )
            .bind(upn)
            .bind(now())
            .bind(lagging_reads);
        self.changed_one(statement).await
    }

    /// One of the reads that miss a just-created user has happened.
    pub async fn count_lagging_read(&mut self, upn: &str) -> Result<(), sqlx::Error> {
        let statement = self
            .statement(
                "UPDATE sim_users SET lagging_reads = lagging_reads - 1 WHERE tenant_id = ? AND upn = ?",
            )
            .bind(upn);
        self.run(statement).await
    }

    /// Replaces the user's licenses (see [`held_skus`]).
    pub async fn set_user_licenses(
        &mut self,
        upn: &str,
        licenses: &str,
    ) -> Result<(), sqlx::Error> {
        let statement = self
            .statement("UPDATE sim_users SET licenses = ?3 WHERE tenant_id = ?1 AND upn = ?2")
            .bind(upn)
            .bind(licenses);
        self.run(statement).await
    }

    // Teams voice objects.

    /// Inserts the voice object unless it exists; returns whether it was created.
    pub async fn insert_voice_object(
        &mut self,
        kind: &str,
        identity: &str,
    ) -> Result<bool, sqlx::Error> {
        let statement = self
            .statement(
                "INSERT INTO sim_voice_objects (tenant_id, kind, identity, created_at) VALUES (?, ?, ?, ?)
                 ON CONFLICT(tenant_id, kind, identity) DO NOTHING",
            )
            .bind(kind)
            .bind(identity)
            .bind(now());
        self.changed_one(statement).await
    }

    /// Deletes the voice object; returns whether there was one.
    pub async fn delete_voice_object(
        &mut self,
        kind: &str,
        identity: &str,
    ) -> Result<bool, sqlx::Error> {
        let statement = self
            .statement(
                "DELETE FROM sim_voice_objects WHERE tenant_id = ? AND kind = ? AND identity = ?",
            )
            .bind(kind)
            .bind(identity);
        self.changed_one(statement).await
    }

    // The journal.

    pub async fn journal(&mut self, line: JournalLine<'_>) -> Result<(), sqlx::Error> {
        let statement = self
            .statement(
                "INSERT INTO sim_journal (tenant_id, at, operation, target, outcome, status, latency_ms, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(now())
            .bind(line.operation)
            .bind(line.target)
            .bind(line.outcome)
            .bind(i64::from(line.status))
            .bind(i64::from(line.latency_ms))
            .bind(line.detail);
        self.run(statement).await
    }
}

// Across tenants.

pub async fn initial_domain_taken(
    conn: &mut SqliteConnection,
    domain: &str,
) -> Result<bool, sqlx::Error> {
    Ok(
        sqlx::query("SELECT 1 FROM sim_tenants WHERE initial_domain = ?")
            .bind(domain)
            .fetch_optional(conn)
            .await?
            .is_some(),
    )
}

/// The tenant that registered the application, if any did (application ids are unique
/// across tenants, as in Azure AD).
pub async fn application_tenant(
    conn: &mut SqliteConnection,
    app_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT tenant_id FROM sim_applications WHERE app_id = ?")
        .bind(app_id)
        .fetch_optional(conn)
        .await
}

/// The application becomes a service principal of its tenant (create_app.ps1 makes it
/// one, the wizard's step 1 makes sure); returns whether it was not one yet.
pub async fn mark_service_principal(
    conn: &mut SqliteConnection,
    app_id: &str,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE sim_applications SET service_principal = 1 WHERE app_id = ? AND service_principal = 0",
    )
    .bind(app_id)
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn insert_secret(
    conn: &mut SqliteConnection,
    app_id: &str,
    secret_hash: &[u8],
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO sim_application_secrets (app_id, secret_hash, hint, expires_at, created_at) VALUES (?, ?, '', ?, ?)")
        .bind(app_id)
        .bind(secret_hash)
        .bind(expires_at)
        .bind(now())
        .execute(conn)
        .await
        .map(drop)
}

/// When the latest of the application's secrets with this hash expires (none: the
/// application holds no such secret).
pub async fn secret_expiry(
    conn: &mut SqliteConnection,
    app_id: &str,
    secret_hash: &[u8],
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT MAX(expires_at) FROM sim_application_secrets WHERE app_id = ? AND secret_hash = ?",
    )
    .bind(app_id)
    .bind(secret_hash)
    .fetch_one(conn)
    .await
}

// What the console shows, through the read pool.

/// Which simulated tenants a caller may see.
#[derive(Clone, Copy, Debug)]
pub enum SimScope {
    /// Every one (group admins).
    All,
    /// Those created in this node's tree, or used by a subscription in it: claimed by
    /// it (onboarded, or past the wizard's step 1), or linked to one that is.
    Tree(Uuid),
}

/// A `sim_tenants` row with its faults as `group_concat` gives them.
#[derive(FromRow)]
struct TenantRow {
    id: String,
    name: String,
    initial_domain: String,
    created_at: DateTime<Utc>,
    faults: Option<String>,
}

impl From<TenantRow> for SimTenantSummary {
    fn from(row: TenantRow) -> Self {
        let mut faults: Vec<SimFault> = row
            .faults
            .unwrap_or_default()
            .split(',')
            .filter_map(SimFault::parse)
            .collect();
        faults.sort();
        SimTenantSummary {
            ms_tenant_id: row.id,
            name: row.name,
            initial_domain: row.initial_domain,
            faults,
            created_at: row.created_at,
        }
    }
}

/// The visible tenants (only `only`, if given), by name.
pub async fn summaries(
    db: &Db,
    scope: SimScope,
    only: Option<&str>,
) -> Result<Vec<SimTenantSummary>, sqlx::Error> {
    let node = match scope {
        SimScope::All => None,
        SimScope::Tree(node) => Some(node.to_string()),
    };
    let rows: Vec<TenantRow> = sqlx::query_as(
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
    Ok(rows.into_iter().map(SimTenantSummary::from).collect())
}

/// The rows `sql` selects for one key (a tenant id, an application id), read as `T`.
async fn listed<T>(db: &Db, sql: &'static str, key: &str) -> Result<Vec<T>, sqlx::Error>
where
    T: for<'r> FromRow<'r, SqliteRow> + Send + Unpin,
{
    sqlx::query_as(sql).bind(key).fetch_all(&db.read).await
}

pub async fn applications(db: &Db, tenant: &str) -> Result<Vec<SimApplication>, sqlx::Error> {
    let apps: Vec<(String, String)> = listed(
        db,
        "SELECT app_id, display_name FROM sim_applications WHERE tenant_id = ? ORDER BY created_at",
        tenant,
    )
    .await?;
    let mut result = Vec::with_capacity(apps.len());
    for (app_id, display_name) in apps {
        let secrets: Vec<SimSecret> = listed(
            db,
            "SELECT expires_at FROM sim_application_secrets WHERE app_id = ? ORDER BY id",
            &app_id,
        )
        .await?;
        result.push(SimApplication {
            application_id: app_id,
            display_name,
            secrets,
        });
    }
    Ok(result)
}

pub async fn licenses(db: &Db, tenant: &str) -> Result<Vec<SimLicense>, sqlx::Error> {
    let rows: Vec<(String, i64, i64)> = listed(
        db,
        "SELECT sku_part, prepaid_units, consumed_units FROM sim_skus WHERE tenant_id = ? ORDER BY sku_part",
        tenant,
    )
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(sku, prepaid, consumed)| {
            Some(SimLicense {
                sku_part_number: SkuPart::parse(&sku)?,
                prepaid_units: u32::try_from(prepaid).ok()?,
                consumed_units: u32::try_from(consumed).ok()?,
            })
        })
        .collect())
}

pub async fn domains(db: &Db, tenant: &str) -> Result<Vec<SimDomain>, sqlx::Error> {
    let sql = "SELECT name, verified FROM sim_domains WHERE tenant_id = ? ORDER BY name";
    listed(db, sql, tenant).await
}

pub async fn dns_records(db: &Db, tenant: &str) -> Result<Vec<SimDnsRecord>, sqlx::Error> {
    let sql = "SELECT domain, record_type, name, value FROM sim_dns_records WHERE tenant_id = ? ORDER BY id";
    listed(db, sql, tenant).await
}

pub async fn users(db: &Db, tenant: &str) -> Result<Vec<SimUser>, sqlx::Error> {
    let sql = "SELECT upn, licenses FROM sim_users WHERE tenant_id = ? ORDER BY upn";
    let rows: Vec<(String, String)> = listed(db, sql, tenant).await?;
    Ok(rows
        .into_iter()
        .map(|(upn, licenses)| SimUser {
            user_principal_name: upn,
            licenses: held_skus(&licenses).map(str::to_owned).collect(),
        })
        .collect())
}

pub async fn voice_objects(db: &Db, tenant: &str) -> Result<Vec<SimVoiceObject>, sqlx::Error> {
    let sql =
        "SELECT kind, identity FROM sim_voice_objects WHERE tenant_id = ? ORDER BY kind, identity";
    listed(db, sql, tenant).await
}

pub async fn journal_entries(
    db: &Db,
    tenant: &str,
    limit: i64,
) -> Result<Vec<SimJournalEntry>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, at, operation, target, outcome, status, latency_ms, detail FROM sim_journal
         WHERE tenant_id = ? ORDER BY id DESC LIMIT ?",
    )
    .bind(tenant)
    .bind(limit)
    .fetch_all(&db.read)
    .await
}
