//! Azure AD, MS Graph and the platform's DNS zone, simulated. Every Graph call signs in
//! with the application's credentials (expired or wrong secrets fail there), may be
//! throttled (429 with Retry-After), and is check-then-create.

use std::time::Duration;

use app::api_types::{DnsRecordType, SimFault, SkuPart};
use async_trait::async_trait;
use chrono::Utc;
use rand::Rng;
use uuid::Uuid;

use super::{
    SimulatedMicrosoft,
    cloud::{Call, internal},
    control::{DEFAULT_APP_NAME, add_secret, secret_hash},
    store,
};
use crate::microsoft::{AppCredentials, Applied, DnsRecord, DnsZone, Graph, MicrosoftError};

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
        if call.has(SimFault::GraphThrottling) && throttles(&mut call).await? {
            let error = self.too_many_requests();
            return Err(call.refuse("throttled", 429, error).await);
        }
        Ok(call)
    }

    /// Graph's 429, asking to wait `RETRY_AFTER` (scaled).
    fn too_many_requests(&self) -> MicrosoftError {
        let wait = self.settings.scaled(RETRY_AFTER);
        let wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
        MicrosoftError::Transient {
            message: format!(
                "429 TooManyRequests: application request limit reached. Retry-After: {} s (scaled: {wait_ms} ms)",
                RETRY_AFTER.as_secs()
            ),
            retry_after_ms: Some(wait_ms),
        }
    }

    /// Whether Microsoft sees the domain's verification TXT record at this check: it
    /// must be published, and then takes `propagation_rounds` checks to show (never,
    /// under the fault).
    async fn propagated(
        &self,
        call: &mut Call,
        domain: &str,
        check: &store::VerifyCheck,
    ) -> Result<bool, MicrosoftError> {
        let published = call
            .rows()
            .txt_published(domain, &check.verification_code)
            .await
            .map_err(internal)?;
        Ok(published
            && !call.has(SimFault::TxtNeverPropagates)
            && check.verify_checks > i64::from(self.settings.propagation_rounds))
    }
}

/// Counts the call against the tenant's throttling fault; returns whether it is refused.
async fn throttles(call: &mut Call) -> Result<bool, MicrosoftError> {
    let calls = call.rows().count_graph_call().await.map_err(internal)?;
    // One call in four is refused, the first one included: a caller that honours
    // Retry-After and makes at most a few calls per try always gets through.
    Ok(calls % 4 == 1)
}

/// The client-credentials sign-in: the secret must be one the application holds and
/// not expired. An application a tenant made on the fly has never seen is registered
/// with this secret, as if create_app.ps1 had been run (a healthy tenant); anywhere else
/// an unknown application id fails, as in Azure AD.
async fn sign_in(call: &mut Call, app: &AppCredentials) -> Result<(), MicrosoftError> {
    let app_id = app.application_id.to_string();
    if call.has(SimFault::SecretExpired) {
        return Err(secret_expired(&app_id));
    }
    if call.has(SimFault::SecretWrong) {
        return Err(secret_wrong(&app_id));
    }
    let owner = store::application_tenant(&mut call.tx, &app_id)
        .await
        .map_err(internal)?;
    match owner {
        // Only a tenant made on the fly (no owner) that nobody has registered an
        // application in adopts an unknown application. A tenant created for a tree
        // (seeded, or through the simulator's API) gets its applications from
        // create_app.ps1 only: otherwise an id invented by another tree would pass the
        // sign-in, claim the tenant at step 1 and put it in that tree's reach.
        None if !call
            .rows()
            .adopts_unknown_applications()
            .await
            .map_err(internal)? =>
        {
            Err(unknown_application(&app_id, &call.tenant))
        }
        None => adopt_application(call, &app_id, app.secret.expose()).await,
        Some(owner) if owner != call.tenant => Err(unknown_application(&app_id, &call.tenant)),
        Some(_) => check_secret(call, &app_id, app.secret.expose()).await,
    }
}

/// Registers an application the tenant has never seen, holding this secret.
async fn adopt_application(
    call: &mut Call,
    app_id: &str,
    secret: &str,
) -> Result<(), MicrosoftError> {
    call.rows()
        .insert_application(app_id, DEFAULT_APP_NAME)
        .await
        .map_err(internal)?;
    add_secret(&mut call.tx, app_id, secret)
        .await
        .map_err(internal)?;
    Ok(())
}

/// The secret must be one of the application's, not expired.
async fn check_secret(call: &mut Call, app_id: &str, secret: &str) -> Result<(), MicrosoftError> {
    let expiry = store::secret_expiry(&mut call.tx, app_id, &secret_hash(secret))
        .await
        .map_err(internal)?;
    match expiry {
        None => Err(secret_wrong(app_id)),
        Some(expiry) if expiry <= Utc::now() => Err(secret_expired(app_id)),
        Some(_) => Ok(()),
    }
}

fn secret_expired(app_id: &str) -> MicrosoftError {
    MicrosoftError::Permanent(format!(
        "AADSTS7000222: The provided client secret keys for app '{app_id}' are expired. Run create_app.ps1 again \
         (or add a secret in the Azure portal), store the new secret with msteams/reset_secret, then start the wizard again"
    ))
}

fn secret_wrong(app_id: &str) -> MicrosoftError {
    MicrosoftError::Permanent(format!(
        "AADSTS7000215: Invalid client secret provided for app '{app_id}'. Store the secret value (not its id) \
         with msteams/reset_secret, then start the wizard again"
    ))
}

fn unknown_application(app_id: &str, directory: &str) -> MicrosoftError {
    MicrosoftError::Permanent(format!(
        "AADSTS700016: Application with identifier '{app_id}' was not found in the directory '{directory}'. \
         Check the application id and the MS Teams tenant id of the integration"
    ))
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
        let created = store::mark_service_principal(&mut call.tx, &target)
            .await
            .map_err(internal)?;
        call.applied(
            created,
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
        let created = call
            .rows()
            .insert_domain(domain, &code)
            .await
            .map_err(internal)?;
        // An existing domain keeps the code it was given first.
        let code = call
            .rows()
            .verification_code(domain)
            .await
            .map_err(internal)?;
        let outcome = if created { "created" } else { "already_exists" };
        call.finish(outcome, if created { 201 } else { 200 }, None)
            .await?;
        Ok(DnsRecord {
            record_type: DnsRecordType::Txt.as_str().into(),
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
        let check = call
            .rows()
            .count_verify_check(domain)
            .await
            .map_err(internal)?;
        let Some(check) = check else {
            let error = MicrosoftError::Permanent(format!(
                "Domain {domain} is not added to tenant {}",
                call.tenant
            ));
            return Err(call.refuse("not_found", 404, error).await);
        };
        if !check.verified {
            if !self.propagated(&mut call, domain, &check).await? {
                let detail = format!(
                    "TXT record {} not found on {domain} yet (check {})",
                    check.verification_code, check.verify_checks
                );
                call.finish("not_propagated", 400, Some(&detail)).await?;
                return Ok(false);
            }
            call.rows()
                .mark_domain_verified(domain)
                .await
                .map_err(internal)?;
        }
        call.finish("verified", 200, None).await?;
        Ok(true)
    }

    async fn email_records(
        &self,
        app: &AppCredentials,
        domain: &str,
    ) -> Result<Vec<DnsRecord>, MicrosoftError> {
        let mut call = self
            .graph_call(app, "GET /domains/{id}/serviceConfigurationRecords", domain)
            .await?;
        let verified = call
            .rows()
            .domain_verified(domain)
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
        Ok(exchange_records(domain))
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
        let created = call
            .rows()
            .insert_user(upn, lagging)
            .await
            .map_err(internal)?;
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
        let Some(user) = replicated_user(&mut call, upn).await? else {
            return Err(call.refuse("not_found", 404, not_replicated(upn)).await);
        };
        if let Some(sku) = store::held_skus(&user.licenses).next() {
            call.finish("already_assigned", 200, Some(sku)).await?;
            return Ok(sku.to_owned());
        }
        let Some(sku) = free_sku(&mut call).await? else {
            let error = no_free_license(&call.tenant);
            return Err(call.refuse("no_free_license", 400, error).await);
        };
        let sku = sku.as_str();
        call.rows().use_units(sku, 1).await.map_err(internal)?;
        call.rows()
            .set_user_licenses(upn, sku)
            .await
            .map_err(internal)?;
        call.finish("assigned", 200, Some(sku)).await?;
        Ok(sku.to_owned())
    }

    async fn remove_licenses(&self, app: &AppCredentials, upn: &str) -> Result<(), MicrosoftError> {
        let mut call = self
            .graph_call(app, "POST /users/{id}/assignLicense (remove)", upn)
            .await?;
        let user = call.rows().user(upn).await.map_err(internal)?;
        let held = user.map(|user| user.licenses).unwrap_or_default();
        for sku in store::held_skus(&held) {
            call.rows().use_units(sku, -1).await.map_err(internal)?;
        }
        call.rows()
            .set_user_licenses(upn, "")
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
        let created = call
            .rows()
            .insert_dns_record(domain, record)
            .await
            .map_err(internal)?;
        let message = format!("{} {} {}", record.record_type, record.name, record.value);
        call.applied(created, message.clone(), message, 200).await
    }
}

/// Mail records Exchange Online asks a verified domain to publish.
fn exchange_records(domain: &str) -> Vec<DnsRecord> {
    let label = domain.replace('.', "-");
    vec![
        DnsRecord {
            record_type: DnsRecordType::Mx.as_str().into(),
            name: domain.to_owned(),
            value: format!("0 {label}.mail.protection.outlook.com"),
        },
        DnsRecord {
            record_type: DnsRecordType::Txt.as_str().into(),
            name: domain.to_owned(),
            value: "v=spf1 include:spf.protection.outlook.com -all".into(),
        },
        DnsRecord {
            record_type: DnsRecordType::Cname.as_str().into(),
            name: format!("autodiscover.{domain}"),
            value: "autodiscover.outlook.com".into(),
        },
    ]
}

/// The user, as a read after its creation finds it: none while it has not replicated
/// (the replication-lag fault, each miss counted) or if it does not exist.
async fn replicated_user(
    call: &mut Call,
    upn: &str,
) -> Result<Option<store::UserState>, MicrosoftError> {
    let user = call.rows().user(upn).await.map_err(internal)?;
    match user {
        Some(user) if user.lagging_reads > 0 => {
            call.rows()
                .count_lagging_read(upn)
                .await
                .map_err(internal)?;
            Ok(None)
        }
        user => Ok(user),
    }
}

fn not_replicated(upn: &str) -> MicrosoftError {
    MicrosoftError::Transient {
        message: format!(
            "Request_ResourceNotFound: Resource '{upn}' does not exist or one of its queried reference-property \
             objects are not present (a just-created object has not replicated yet)"
        ),
        retry_after_ms: None,
    }
}

/// The first of E1, E3, E5 with a unit to spare (none under the fault).
async fn free_sku(call: &mut Call) -> Result<Option<SkuPart>, MicrosoftError> {
    if call.has(SimFault::NoFreeLicense) {
        return Ok(None);
    }
    let free = call.rows().skus_with_free_units().await.map_err(internal)?;
    Ok(SkuPart::ALL.into_iter().find(|sku| free.contains(sku)))
}

fn no_free_license(tenant: &str) -> MicrosoftError {
    MicrosoftError::Permanent(format!(
        "License assignment failed: no free E1 ({}), E3 ({}) or E5 ({}) license in tenant {tenant}. \
         Free one up or buy one in the Microsoft 365 admin center, then start the wizard again",
        SkuPart::E1.as_str(),
        SkuPart::E3.as_str(),
        SkuPart::E5.as_str(),
    ))
}
