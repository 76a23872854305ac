use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `POST …/msteams/wizard` and any other asynchronous start: the transaction id.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TransactionRef {
    #[cfg_attr(feature = "ssr", schema(example = 214964))]
    pub id: i64,
}

/// `GET …/msteams/wizard`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WizardState {
    pub running: bool,
    pub wizard_steps: Vec<WizardStep>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WizardStep {
    pub step: u8,
    pub text: String,
    pub executed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<VoiceRoutingStatus>,
}

/// The status of the voice routing settings, keyed by object name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VoiceRoutingStatus {
    pub pstn: BTreeMap<String, VoiceRoutingItem>,
    pub vr: BTreeMap<String, VoiceRoutingItem>,
    pub vrp: BTreeMap<String, VoiceRoutingItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VoiceRoutingItem {
    pub detail: String,
    /// `created`, `already_exists`, `updated` or `error`.
    pub status: String,
}

/// `PUT …/msteams/update_vrp`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UpdateVrpResponse {
    pub status: VoiceRoutingStatus,
}
