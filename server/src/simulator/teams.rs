//! Teams PowerShell, simulated: sign-in with the MFA fault, and the voice routing
//! objects with Teams' check-then-create answers.

use std::time::Instant;

use async_trait::async_trait;

use super::{
    SimulatorControl,
    store::{self, JournalLine},
};
use crate::{
    domain::{AppError, types::MsTenantId},
    microsoft::{AdminLogin, Applied, MicrosoftError, TeamsVoice},
    store::Db,
};
use app::api_types::SimFault;

/// The simulated Microsoft cloud, as the onboarding sees it.
#[derive(Clone, Debug)]
pub struct SimulatedMicrosoft {
    db: Db,
    control: SimulatorControl,
}

impl SimulatedMicrosoft {
    pub fn new(db: Db, control: SimulatorControl) -> Self {
        SimulatedMicrosoft { db, control }
    }

    /// Creates a voice object unless it exists, and journals the cmdlet.
    async fn ensure_voice_object(
        &self,
        login: &AdminLogin,
        cmdlet: &str,
        kind: &str,
        identity: &str,
        exists_message: String,
        created_message: String,
    ) -> Result<Applied, MicrosoftError> {
        let started = Instant::now();
        let tenant = login.ms_tenant_id.to_string();
        let mut tx = self.db.write.begin().await.map_err(internal)?;
        let created = store::insert_voice_object(&mut tx, &tenant, kind, identity)
            .await
            .map_err(app_internal)?;
        let (outcome, status, message) = if created {
            ("created", 200, created_message.clone())
        } else {
            ("already_exists", 409, exists_message.clone())
        };
        let latency_ms = u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX);
        store::journal(
            &mut tx,
            &tenant,
            JournalLine {
                operation: cmdlet,
                target: identity,
                outcome,
                status,
                latency_ms,
                detail: Some(&message),
            },
        )
        .await
        .map_err(app_internal)?;
        tx.commit().await.map_err(internal)?;
        Ok(if created {
            Applied::Created(created_message)
        } else {
            Applied::AlreadyExists(exists_message)
        })
    }
}

#[async_trait]
impl TeamsVoice for SimulatedMicrosoft {
    async fn connect(&self, login: &AdminLogin) -> Result<(), MicrosoftError> {
        let started = Instant::now();
        let tenant = login.ms_tenant_id.to_string();
        // A tenant the simulator has never seen is a healthy one.
        self.control
            .ensure_tenant(
                MsTenantId(login.ms_tenant_id),
                "tenant",
                &store::default_licenses(),
                &[],
            )
            .await
            .map_err(app_internal)?;
        let mut tx = self.db.write.begin().await.map_err(internal)?;
        let faults = store::faults(&mut tx, &tenant)
            .await
            .map_err(app_internal)?;
        let refusal = faults.contains(&SimFault::MfaEnabled).then(|| {
            format!(
                "AADSTS50076: {} must use multi-factor authentication to access Microsoft Teams. Scripted sign-in \
                 needs an administrator account with multi-factor authentication turned off: turn it off for this \
                 account, or store another administrator's credentials",
                login.username
            )
        });
        let latency_ms = u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX);
        let line = JournalLine {
            operation: "Connect-MicrosoftTeams",
            target: &login.username,
            outcome: if refusal.is_some() {
                "mfa_required"
            } else {
                "ok"
            },
            status: if refusal.is_some() { 401 } else { 200 },
            latency_ms,
            detail: refusal.as_deref(),
        };
        store::journal(&mut tx, &tenant, line)
            .await
            .map_err(app_internal)?;
        tx.commit().await.map_err(internal)?;
        match refusal {
            Some(message) => Err(MicrosoftError::Permanent(message)),
            None => Ok(()),
        }
    }

    async fn ensure_pstn_usage(
        &self,
        login: &AdminLogin,
        usage: &str,
    ) -> Result<Applied, MicrosoftError> {
        self.ensure_voice_object(
            login,
            "Set-CsOnlinePstnUsages",
            "pstn_usage",
            usage,
            format!("Cannot add these items to the collection as they conflict or have duplicate key/identity: Usage: {usage}"),
            format!("PSTN usage {usage} added"),
        )
        .await
    }

    async fn ensure_voice_route(
        &self,
        login: &AdminLogin,
        route: &str,
        usage: &str,
    ) -> Result<Applied, MicrosoftError> {
        self.ensure_voice_object(
            login,
            "New-CsOnlineVoiceRoute",
            "voice_route",
            route,
            format!("Identity {route} already exists"),
            format!("Voice route {route} created with PSTN usage {usage}"),
        )
        .await
    }

    async fn ensure_voice_routing_policy(
        &self,
        login: &AdminLogin,
        policy: &str,
        usage: &str,
    ) -> Result<Applied, MicrosoftError> {
        self.ensure_voice_object(
            login,
            "New-CsOnlineVoiceRoutingPolicy",
            "voice_routing_policy",
            policy,
            format!("Identity {policy} already exists in Tenant scope"),
            format!("Voice routing policy {policy} created with PSTN usage {usage}"),
        )
        .await
    }
}

fn internal(error: sqlx::Error) -> MicrosoftError {
    app_internal(AppError::from(error))
}

fn app_internal(error: AppError) -> MicrosoftError {
    MicrosoftError::Internal(format!("simulator storage: {error}"))
}
