//! Azure AD, MS Graph and the platform's DNS zone, simulated. Every Graph call signs in
//! with the application's credentials (expired or wrong secrets fail there), may be
//! throttled (429 with Retry-After), and is check-then-create.

use std::time::Duration;

use app::api_types::{SimFault, SkuPart};
use async_trait::async_trait;
use chrono::{DateTime, Months, Utc};
use rand::Rng;
use sqlx::{Row, SqliteConnection};
use uuid::Uuid;

use super::{
    SimulatedMicrosoft,
    cloud::{Call, internal},
    control::{DEFAULT_APP_NAME, SECRET_LIFETIME_MONTHS, secret_hash},
    store,
};
use crate::{
    microsoft::{AppCredentials, Applied, DnsRecord, DnsZone, Graph, MicrosoftError},
    store::now,
};

const GRAPH_LATENCY: Duration = Duration::from_millis(400);
const DNS_LATENCY: Duration = Duration::from_millis(200);
/// What a throttled Graph call asks the caller to wait, before the time scale.
const RETRY_AFTER: Duration = Duration::from_secs(2);
/// Reads of a just-created user that miss it under the replication-lag fault.
const LAGGING_READS: i64 = 2;

impl SimulatedMicrosoft {
    /// Opens a Graph call: latency, sign-in with the application's secret, throttling.
    async fn graph_call(
        &self,
        app: &AppCredentials,
        operation: &'static str,
        target: &str,
    ) -> Result<Call, MicrosoftError> {
        let mut call = self
            .begin(app.ms_tenant_id, operation, target, GRAPH_LATENCY)
            .await?;
        if let Err(refusal) = sign_in(&mut call, app).await {
            return Err(call.refuse("unauthorized", 401, refusal).await);
        }
        if call.has(SimFault::GraphThrottling) {
            let calls: i64 = sqlx::query_scalar(
                "UPDATE sim_tenants SET graph_calls = graph_calls + 1 WHERE id = ? RETURNING graph_calls",
            )
            .bind(&call.tenant)
            .fetch_one(&mut *call.tx)
            .await
            .map_err(internal)?;
            // One call in four is refused, the first one included: a caller that honours
            // Retry-After and makes at most a few calls per try always gets through.
            if calls % 4 == 1 {
                let wait = self.settings.scaled(RETRY_AFTER);
                let wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
                let message = format!(
                    "429 TooManyRequests: application request limit reached. Retry-After: {} s (scaled: {wait_ms} ms)",
                    RETRY_AFTER.as_secs()
                );
                let error = MicrosoftError::Transient {
                    message,
                    retry_after_ms: Some(wait_ms),
                };
                return Err(call.refuse("throttled", 429, error).await);
            }
        }
        Ok(call)
    }
}

/// The client-credentials sign-in: the secret must be one the application holds and
/// not expired. An application a tenant made on the fly has never seen is registered
/// with this secret, as if create_app.ps1 had been run (a healthy tenant); anywhere else
/// an unknown application id fails, as in Azure AD.
async fn sign_in(call: &mut Call, app: &AppCredentials) -> Result<(), MicrosoftError> {
    let app_id = app.application_id.to_string();
    let expired = || {
        MicrosoftError::Permanent(format!(
            "AADSTS7000222: The provided client secret keys for app '{app_id}' are expired. Run create_app.ps1 again \
             (or add a secret in the Azure portal), store the new secret with msteams/reset_secret, then start the wizard again"
        ))
    };
    let wrong = || {
        MicrosoftError::Permanent(format!(
            "AADSTS7000215: Invalid client secret provided for app '{app_id}'. Store the secret value (not its id) \
             with msteams/reset_secret, then start the wizard again"
        ))
    };
    if call.has(SimFault::SecretExpired) {
        return Err(expired());
    }
    if call.has(SimFault::SecretWrong) {
        return Err(wrong());
    }
    let owner: Option<String> =
        sqlx::query_scalar("SELECT tenant_id FROM sim_applications WHERE app_id = ?")
            .bind(&app_id)
            .fetch_optional(&mut *call.tx)
            .await
            .map_err(internal)?;
    let hash = secret_hash(app.secret.expose());
    let directory = call.tenant.clone();
    let not_found = || {
        MicrosoftError::Permanent(format!(
            "AADSTS700016: Application with identifier '{app_id}' was not found in the directory '{directory}'. \
             Check the application id and the MS Teams tenant id of the integration"
        ))
    };
    match owner {
        // Only a tenant made on the fly (no owner) that nobody has registered an
        // application in adopts an unknown application. A tenant created for a tree
        // (seeded, or through the simulator's API) gets its applications from
        // create_app.ps1 only: otherwise an id invented by another tree would pass the
        // sign-in, claim the tenant at step 1 and put it in that tree's reach.
        None if !adopts_unknown_applications(call).await? => Err(not_found()),
        None => {
            store::insert_application(&mut call.tx, &call.tenant, &app_id, DEFAULT_APP_NAME)
                .await
                .map_err(super::cloud::app_internal)?;
            let expires_at = Utc::now() + Months::new(SECRET_LIFETIME_MONTHS);
            store::insert_secret(&mut call.tx, &app_id, &hash, expires_at)
                .await
                .map_err(super::cloud::app_internal)?;
            Ok(())
        }
        Some(owner) if owner != call.tenant => Err(not_found()),
        Some(_) => {
            let expiry: Option<DateTime<Utc>> = sqlx::query_scalar(
                "SELECT MAX(expires_at) FROM sim_application_secrets WHERE app_id = ? AND secret_hash = ?",
            )
            .bind(&app_id)
            .bind(&hash)
            .fetch_one(&mut *call.tx)
            .await
            .map_err(internal)?;
            match expiry {
                None => Err(wrong()),
                Some(expiry) if expiry <= Utc::now() => Err(expired()),
                Some(_) => Ok(()),
            }
        }
    }
}

/// Whether the call's tenant was made on the fly (it has no owner) and holds no
/// application yet.
async fn adopts_unknown_applications(call: &mut Call) -> Result<bool, MicrosoftError> {
    let adopts: Option<bool> = sqlx::query_scalar(
        "SELECT t.owner_node_id IS NULL
                AND NOT EXISTS (SELECT 1 FROM sim_applications a WHERE a.tenant_id = t.id)
         FROM sim_tenants t WHERE t.id = ?",
    )
    .bind(&call.tenant)
    .fetch_optional(&mut *call.tx)
    .await
    .map_err(internal)?;
    Ok(adopts.unwrap_or(false))
}

#[async_trait]
impl Graph for SimulatedMicrosoft {
    async fn ensure_service_principal(
        &self,
        app: &AppCredentials,
    ) -> Result<Applied, MicrosoftError> {
        let target = app.application_id.to_string();
        let mut call = self
            .graph_call(app, "POST /servicePrincipals", &target)
            .await?;
        let changed = sqlx::query(
            "UPDATE sim_applications SET service_principal = 1 WHERE app_id = ? AND service_principal = 0",
        )
        .bind(&target)
        .execute(&mut *call.tx)
        .await
        .map_err(internal)?
        .rows_affected();
        call.applied(
            changed == 1,
            format!("Service principal created for application {target}"),
            format!("Service principal of application {target} already exists"),
            409,
        )
        .await
    }

    async fn ensure_domain(
        &self,
        app: &AppCredentials,
        domain: &str,
    ) -> Result<DnsRecord, MicrosoftError> {
        let mut call = self.graph_call(app, "POST /domains", domain).await?;
        let code = format!("MS=ms{:08}", rand::thread_rng().gen_range(0..100_000_000));
        let created = sqlx::query(
            "INSERT INTO sim_domains (tenant_id, name, verification_code, created_at) VALUES (?, ?, ?, ?)
             ON CONFLICT(tenant_id, name) DO NOTHING",
        )
        .bind(&call.tenant)
        .bind(domain)
        .bind(&code)
        .bind(now())
        .execute(&mut *call.tx)
        .await
        .map_err(internal)?
        .rows_affected()
            == 1;
        let code: String = sqlx::query_scalar(
            "SELECT verification_code FROM sim_domains WHERE tenant_id = ? AND name = ?",
        )
        .bind(&call.tenant)
        .bind(domain)
        .fetch_one(&mut *call.tx)
        .await
        .map_err(internal)?;
        let outcome = if created { "created" } else { "already_exists" };
        call.finish(outcome, if created { 201 } else { 200 }, None)
            .await?;
        Ok(DnsRecord {
            record_type: "TXT".into(),
            name: domain.to_owned(),
            value: code,
        })
    }

    async fn verify_domain(
        &self,
        app: &AppCredentials,
        domain: &str,
    ) -> Result<bool, MicrosoftError> {
        let mut call = self
            .graph_call(app, "POST /domains/{id}/verify", domain)
            .await?;
        let row = sqlx::query(
            "UPDATE sim_domains SET verify_checks = verify_checks + 1 WHERE tenant_id = ? AND name = ?
             RETURNING verified, verify_checks, verification_code",
        )
        .bind(&call.tenant)
        .bind(domain)
        .fetch_optional(&mut *call.tx)
        .await
        .map_err(internal)?;
        let Some(row) = row else {
            let error = MicrosoftError::Permanent(format!(
                "Domain {domain} is not added to tenant {}",
                call.tenant
            ));
            return Err(call.refuse("not_found", 404, error).await);
        };
        if row.get::<bool, _>("verified") {
            call.finish("verified", 200, None).await?;
            return Ok(true);
        }
        let code: String = row.get("verification_code");
        let checks: i64 = row.get("verify_checks");
        let published = published(&mut call.tx, &call.tenant, domain, &code).await?;
        let propagated = published
            && !call.has(SimFault::TxtNeverPropagates)
            && checks > i64::from(self.settings.propagation_rounds);
        if propagated {
            sqlx::query("UPDATE sim_domains SET verified = 1 WHERE tenant_id = ? AND name = ?")
                .bind(&call.tenant)
                .bind(domain)
                .execute(&mut *call.tx)
                .await
                .map_err(internal)?;
            call.finish("verified", 200, None).await?;
            Ok(true)
        } else {
            let detail = format!("TXT record {code} not found on {domain} yet (check {checks})");
            call.finish("not_propagated", 400, Some(&detail)).await?;
            Ok(false)
        }
    }

    async fn email_records(
        &self,
        app: &AppCredentials,
        domain: &str,
    ) -> Result<Vec<DnsRecord>, MicrosoftError> {
        let mut call = self
            .graph_call(app, "GET /domains/{id}/serviceConfigurationRecords", domain)
            .await?;
        let verified: Option<bool> =
            sqlx::query_scalar("SELECT verified FROM sim_domains WHERE tenant_id = ? AND name = ?")
                .bind(&call.tenant)
                .bind(domain)
                .fetch_optional(&mut *call.tx)
                .await
                .map_err(internal)?;
        if verified != Some(true) {
            let error = MicrosoftError::Permanent(format!(
                "Domain {domain} is not verified in tenant {}; verify it first",
                call.tenant
            ));
            return Err(call.refuse("unverified", 400, error).await);
        }
        call.finish("ok", 200, None).await?;
        let label = domain.replace('.', "-");
        Ok(vec![
            DnsRecord {
                record_type: "MX".into(),
                name: domain.to_owned(),
                value: format!("0 {label}.mail.protection.outlook.com"),
            },
            DnsRecord {
                record_type: "TXT".into(),
                name: domain.to_owned(),
                value: "v=spf1 include:spf.protection.outlook.com -all".into(),
            },
            DnsRecord {
                record_type: "CNAME".into(),
                name: format!("autodiscover.{domain}"),
                value: "autodiscover.outlook.com".into(),
            },
        ])
    }

    async fn ensure_user(
        &self,
        app: &AppCredentials,
        upn: &str,
    ) -> Result<Applied, MicrosoftError> {
        let mut call = self.graph_call(app, "POST /users", upn).await?;
        let lagging = if call.has(SimFault::ReplicationLag) {
            LAGGING_READS
        } else {
            0
        };
        let created = sqlx::query(
            "INSERT INTO sim_users (tenant_id, upn, created_at, lagging_reads) VALUES (?, ?, ?, ?)
             ON CONFLICT(tenant_id, upn) DO NOTHING",
        )
        .bind(&call.tenant)
        .bind(upn)
        .bind(now())
        .bind(lagging)
        .execute(&mut *call.tx)
        .await
        .map_err(internal)?
        .rows_affected()
            == 1;
        call.applied(
            created,
            format!("User {upn} created"),
            format!(
                "Another object with the same value for property userPrincipalName already exists: {upn}"
            ),
            400,
        )
        .await
    }

    async fn assign_license(
        &self,
        app: &AppCredentials,
        upn: &str,
    ) -> Result<String, MicrosoftError> {
        let mut call = self
            .graph_call(app, "POST /users/{id}/assignLicense", upn)
            .await?;
        let user = sqlx::query(
            "SELECT licenses, lagging_reads FROM sim_users WHERE tenant_id = ? AND upn = ?",
        )
        .bind(&call.tenant)
        .bind(upn)
        .fetch_optional(&mut *call.tx)
        .await
        .map_err(internal)?;
        let lagging = user
            .as_ref()
            .is_none_or(|row| row.get::<i64, _>("lagging_reads") > 0);
        if user.is_some() && lagging {
            sqlx::query("UPDATE sim_users SET lagging_reads = lagging_reads - 1 WHERE tenant_id = ? AND upn = ?")
                .bind(&call.tenant)
                .bind(upn)
                .execute(&mut *call.tx)
                .await
                .map_err(internal)?;
        }
        if lagging {
            let error = MicrosoftError::Transient {
                message: format!(
                    "Request_ResourceNotFound: Resource '{upn}' does not exist or one of its queried reference-property \
                     objects are not present (a just-created object has not replicated yet)"
                ),
                retry_after_ms: None,
            };
            return Err(call.refuse("not_found", 404, error).await);
        }
        let held: String = user.map(|row| row.get("licenses")).unwrap_or_default();
        if let Some(sku) = held.split(',').find(|s| !s.is_empty()) {
            let sku = sku.to_owned();
            call.finish("already_assigned", 200, Some(&sku)).await?;
            return Ok(sku);
        }
        let free = if call.has(SimFault::NoFreeLicense) {
            None
        } else {
            free_sku(&mut call.tx, &call.tenant).await?
        };
        let Some(sku) = free else {
            let error = MicrosoftError::Permanent(format!(
                "License assignment failed: no free E1 ({}), E3 ({}) or E5 ({}) license in tenant {}. \
                 Free one up or buy one in the Microsoft 365 admin center, then start the wizard again",
                SkuPart::E1.as_str(),
                SkuPart::E3.as_str(),
                SkuPart::E5.as_str(),
                call.tenant
            ));
            return Err(call.refuse("no_free_license", 400, error).await);
        };
        sqlx::query("UPDATE sim_skus SET consumed_units = consumed_units + 1 WHERE tenant_id = ? AND sku_part = ?")
            .bind(&call.tenant)
            .bind(sku.as_str())
            .execute(&mut *call.tx)
            .await
            .map_err(internal)?;
        sqlx::query("UPDATE sim_users SET licenses = ? WHERE tenant_id = ? AND upn = ?")
            .bind(sku.as_str())
            .bind(&call.tenant)
            .bind(upn)
            .execute(&mut *call.tx)
            .await
            .map_err(internal)?;
        call.finish("assigned", 200, Some(sku.as_str())).await?;
        Ok(sku.as_str().to_owned())
    }

    async fn remove_licenses(&self, app: &AppCredentials, upn: &str) -> Result<(), MicrosoftError> {
        let mut call = self
            .graph_call(app, "POST /users/{id}/assignLicense (remove)", upn)
            .await?;
        let held: Option<String> =
            sqlx::query_scalar("SELECT licenses FROM sim_users WHERE tenant_id = ? AND upn = ?")
                .bind(&call.tenant)
                .bind(upn)
                .fetch_optional(&mut *call.tx)
                .await
                .map_err(internal)?;
        let held = held.unwrap_or_default();
        for sku in held.split(',').filter(|s| !s.is_empty()) {
            sqlx::query(
                "UPDATE sim_skus SET consumed_units = MAX(consumed_units - 1, 0) WHERE tenant_id = ? AND sku_part = ?",
            )
            .bind(&call.tenant)
            .bind(sku)
            .execute(&mut *call.tx)
            .await
            .map_err(internal)?;
        }
        sqlx::query("UPDATE sim_users SET licenses = '' WHERE tenant_id = ? AND upn = ?")
            .bind(&call.tenant)
            .bind(upn)
            .execute(&mut *call.tx)
            .await
            .map_err(internal)?;
        let outcome = if held.is_empty() {
            "nothing_to_remove"
        } else {
            "removed"
        };
        call.finish(outcome, 200, (!held.is_empty()).then_some(held.as_str()))
            .await
    }
}

#[async_trait]
impl DnsZone for SimulatedMicrosoft {
    async fn publish(
        &self,
        ms_tenant_id: Uuid,
        domain: &str,
        record: &DnsRecord,
    ) -> Result<Applied, MicrosoftError> {
        let operation = match record.record_type.as_str() {
            "MX" => "DNS UPSERT MX",
            "CNAME" => "DNS UPSERT CNAME",
            _ => "DNS UPSERT TXT",
        };
        let mut call = self
            .begin(ms_tenant_id, operation, &record.name, DNS_LATENCY)
            .await?;
        let created = sqlx::query(
            "INSERT INTO sim_dns_records (tenant_id, domain, record_type, name, value, created_at) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT(tenant_id, record_type, name, value) DO NOTHING",
        )
        .bind(&call.tenant)
        .bind(domain)
        .bind(&record.record_type)
        .bind(&record.name)
        .bind(&record.value)
        .bind(now())
        .execute(&mut *call.tx)
        .await
        .map_err(internal)?
        .rows_affected()
            == 1;
        let message = format!("{} {} {}", record.record_type, record.name, record.value);
        call.applied(created, message.clone(), message, 200).await
    }
}

/// Whether the verification TXT record is in the zone.
async fn published(
    conn: &mut SqliteConnection,
    tenant: &str,
    domain: &str,
    code: &str,
) -> Result<bool, MicrosoftError> {
    Ok(sqlx::query(
        "SELECT 1 FROM sim_dns_records WHERE tenant_id = ? AND record_type = 'TXT' AND name = ? AND value = ?",
    )
    .bind(tenant)
    .bind(domain)
    .bind(code)
    .fetch_optional(conn)
    .await
    .map_err(internal)?
    .is_some())
}

/// The first of E1, E3, E5 with a unit to spare.
async fn free_sku(
    conn: &mut SqliteConnection,
    tenant: &str,
) -> Result<Option<SkuPart>, MicrosoftError> {
    let rows = sqlx::query(
        "SELECT sku_part FROM sim_skus WHERE tenant_id = ? AND prepaid_units > consumed_units",
    )
    .bind(tenant)
    .fetch_all(conn)
    .await
    .map_err(internal)?;
    let free: Vec<SkuPart> = rows
        .iter()
        .filter_map(|row| SkuPart::parse(row.get::<&str, _>("sku_part")))
        .collect();
    Ok(SkuPart::ALL.into_iter().find(|sku| free.contains(sku)))
}
