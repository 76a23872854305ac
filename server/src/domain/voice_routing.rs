//! The Teams voice routing objects the platform needs (PSTN usage, voice route, voice
//! routing policy), applied check-then-create. The wizard's step 5 and update_vrp share it.

use app::api_types::{VoiceRoutingItem, VoiceRoutingOutcome, VoiceRoutingStatus};

use crate::microsoft::{AdminLogin, Applied, MicrosoftError, TeamsVoice};

/// The Teams voice routing objects the onboarding creates (the platform's defaults).
pub const PSTN_USAGE: &str = "DRaaS-PSTN-Usage";
pub const VOICE_ROUTE: &str = "Draas-VR";
pub const VOICE_ROUTING_POLICY: &str = "World-DRaaS";

/// Signs in and ensures the three objects. A refused sign-in is an error; an object
/// Microsoft refuses is an `error` line of the status. Only our own faults
/// (`MicrosoftError::Internal`) stop half-way.
pub async fn apply(
    teams: &dyn TeamsVoice,
    login: &AdminLogin,
) -> Result<VoiceRoutingStatus, MicrosoftError> {
    teams.connect(login).await?;
    let pstn = item(teams.ensure_pstn_usage(login, PSTN_USAGE).await)?;
    let vr = item(
        teams
            .ensure_voice_route(login, VOICE_ROUTE, PSTN_USAGE)
            .await,
    )?;
    let vrp = item(
        teams
            .ensure_voice_routing_policy(login, VOICE_ROUTING_POLICY, PSTN_USAGE)
            .await,
    )?;
    let mut status = VoiceRoutingStatus::default();
    status.pstn.insert(PSTN_USAGE.into(), pstn);
    status.vr.insert(VOICE_ROUTE.into(), vr);
    status.vrp.insert(VOICE_ROUTING_POLICY.into(), vrp);
    Ok(status)
}

/// The lines whose status is `error`, as "name: detail".
pub fn errors(status: &VoiceRoutingStatus) -> Vec<String> {
    [&status.pstn, &status.vr, &status.vrp]
        .into_iter()
        .flatten()
        .filter(|(_, item)| item.status == VoiceRoutingOutcome::Error)
        .map(|(name, item)| format!("{name}: {}", item.detail))
        .collect()
}

/// One line of the Voice Routing Status.
fn item(result: Result<Applied, MicrosoftError>) -> Result<VoiceRoutingItem, MicrosoftError> {
    let (status, detail) = match result {
        Ok(Applied::Created(detail)) => (VoiceRoutingOutcome::Created, detail),
        Ok(Applied::AlreadyExists(detail)) => (VoiceRoutingOutcome::AlreadyExists, detail),
        Err(error @ MicrosoftError::Internal(_)) => return Err(error),
        Err(error) => (VoiceRoutingOutcome::Error, error.message().to_owned()),
    };
    Ok(VoiceRoutingItem { detail, status })
}
