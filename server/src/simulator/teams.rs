//! Teams PowerShell, simulated: sign-in with the MFA fault, and the voice routing
//! objects with Teams' check-then-create answers.

use std::time::Duration;

use app::api_types::{SimFault, VoiceObjectKind};
use async_trait::async_trait;

use super::{SimulatedMicrosoft, cloud::internal};
use crate::microsoft::{AdminLogin, Applied, MicrosoftError, TeamsVoice};

/// Nominal latencies: a PowerShell sign-in is slow, a cmdlet less so.
const CONNECT_LATENCY: Duration = Duration::from_millis(3000);
const CMDLET_LATENCY: Duration = Duration::from_millis(1000);

impl SimulatedMicrosoft {
    /// Creates a voice object unless it exists, and journals the cmdlet.
    async fn ensure_voice_object(
        &self,
        login: &AdminLogin,
        cmdlet: &'static str,
        kind: &str,
        identity: &str,
        exists_message: String,
        created_message: String,
    ) -> Result<Applied, MicrosoftError> {
        let mut call = self
            .begin(login.ms_tenant_id, cmdlet, identity, CMDLET_LATENCY)
            .await?;
        let created = call
            .rows()
            .insert_voice_object(kind, identity)
            .await
            .map_err(internal)?;
        call.applied(created, created_message, exists_message, 409)
            .await
    }
}

#[async_trait]
impl TeamsVoice for SimulatedMicrosoft {
    async fn connect(&self, login: &AdminLogin) -> Result<(), MicrosoftError> {
        let call = self
            .begin(
                login.ms_tenant_id,
                "Connect-MicrosoftTeams",
                &login.username,
                CONNECT_LATENCY,
            )
            .await?;
        if call.has(SimFault::MfaEnabled) {
            let message = format!(
                "AADSTS50076: {} must use multi-factor authentication to access Microsoft Teams. Scripted sign-in \
                 needs an administrator account with multi-factor authentication turned off: turn it off for this \
                 account, or store another administrator's credentials",
                login.username
            );
            return Err(call
                .refuse("mfa_required", 401, MicrosoftError::Permanent(message))
                .await);
        }
        call.finish("ok", 200, None).await
    }

    async fn ensure_pstn_usage(
        &self,
        login: &AdminLogin,
        usage: &str,
    ) -> Result<Applied, MicrosoftError> {
        self.ensure_voice_object(
            login,
            "Set-CsOnlinePstnUsages",
            VoiceObjectKind::PstnUsage.as_str(),
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
            VoiceObjectKind::VoiceRoute.as_str(),
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
            VoiceObjectKind::VoiceRoutingPolicy.as_str(),
            policy,
            format!("Identity {policy} already exists in Tenant scope"),
            format!("Voice routing policy {policy} created with PSTN usage {usage}"),
        )
        .await
    }
}
