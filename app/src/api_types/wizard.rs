use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `POST …/msteams/wizard` and any other asynchronous start: the transaction id.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
// The vendor page's example.
#[cfg_attr(feature = "ssr", schema(example = json!({"id": 214964})))]
pub struct TransactionRef {
    #[cfg_attr(feature = "ssr", schema(example = 214964))]
    pub id: i64,
}

/// The texts of the six wizard steps, numbered 0–5.
pub const WIZARD_STEP_TEXTS: [&str; 6] = [
    "Create the tenant in the SRE as a reference for enabling voice services",
    "Register the Azure AD application as a service principal and create the MS Graph gateway",
    "Set a domain for the tenant and validate it against Microsoft",
    "Add the e-mail service to the domain and publish its DNS records",
    "Create a dummy account and associate an E1 / E3 / E5 license to it",
    "Create MS Teams routing policies and remove associated license from the dummy user",
];

/// `GET …/msteams/wizard`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
// The vendor page's example.
#[cfg_attr(feature = "ssr", schema(example = examples::wizard_state))]
pub struct WizardState {
    pub running: bool,
    pub wizard_steps: Vec<WizardStep>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({
        "step": 5,
        "text": "Create MS Teams routing policies and remove associated license from the dummy user",
        "executed": true,
        "status": {
            "pstn": {"DRaaS-PSTN-Usage": {"detail": "PSTN usage DRaaS-PSTN-Usage added", "status": "created"}},
            "vr": {"Draas-VR": {"detail": "Voice route Draas-VR created with PSTN usage DRaaS-PSTN-Usage", "status": "created"}},
            "vrp": {"World-DRaaS": {"detail": "Voice routing policy World-DRaaS created with PSTN usage DRaaS-PSTN-Usage", "status": "created"}}
        },
        "startedAt": "2025-03-04T09:20:03Z",
        "executedAt": "2025-03-04T09:20:07Z"
    }))
)]
pub struct WizardStep {
    pub step: u8,
    pub text: String,
    pub executed: bool,
    /// The Voice Routing Status (step 5, once it has run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<VoiceRoutingStatus>,
    /// When the step last started (extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    /// When the step was executed (extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executed_at: Option<DateTime<Utc>>,
}

/// `GET …/msteams/wizard` after a failure (400): a problem+json body that also carries
/// the steps, the failed step and the error.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ssr", schema(example = examples::wizard_failure))]
pub struct WizardFailure {
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    /// The error, naming the step and what to do.
    pub detail: String,
    /// `wizard_failed`.
    pub code: String,
    /// The message again, where the vendor's clients read it.
    pub error: String,
    pub running: bool,
    pub wizard_steps: Vec<WizardStep>,
    /// The step that failed; a new start resumes there.
    pub failed_step: Option<u8>,
    /// Extension: the request's id (its `X-Request-Id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(nullable = false, max_length = 64))]
    pub request_id: Option<String>,
}

/// `GET …/msteams/wizard` in one type, as the domain reports it and the UI shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum WizardView {
    /// No run yet, or one still in its preparation phase (the REST API's 404, with this
    /// detail).
    NotStarted(String),
    /// Running, or done (200).
    Active(WizardState),
    /// Ended with an error (400: a problem that also carries the steps).
    Failed(WizardFailure),
}

/// `GET …/msteams/wizard`'s 400: the run failed (with its steps), or the request itself
/// was malformed (a plain problem).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(untagged)]
#[cfg_attr(feature = "ssr", schema(example = examples::wizard_failure))]
pub enum WizardRefusal {
    Failed(WizardFailure),
    Malformed(crate::api_types::Problem),
}

/// Where an asynchronous task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sqlx::Type))]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ssr", sqlx(rename_all = "lowercase"))]
pub enum TransactionStatus {
    Running,
    Succeeded,
    Failed,
}

/// What an asynchronous task does: only the wizard is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum TransactionKind {
    /// The MS Teams onboarding wizard (`POST …/msteams/wizard`).
    #[serde(rename = "msteams.wizard")]
    MsteamsWizard,
}

impl TransactionKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            TransactionKind::MsteamsWizard => "msteams.wizard",
        }
    }
}

/// `GET /api/v01/transactions/{id}` (extension): an asynchronous task.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({
        "id": 214001,
        "kind": "msteams.wizard",
        "status": "running",
        "subscriptionId": 3,
        "tenantUuid": "40000000-0000-4000-8000-000000000002",
        "detail": null,
        "createdAt": "2025-03-04T09:18:30Z",
        "updatedAt": "2025-03-04T09:19:02Z"
    }))
)]
pub struct TransactionInfo {
    pub id: i64,
    #[cfg_attr(feature = "ssr", schema(value_type = TransactionKind))]
    pub kind: String,
    pub status: TransactionStatus,
    pub subscription_id: i64,
    pub tenant_uuid: String,
    /// The error of a failed task, or the last transient fault of a running one.
    pub detail: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The status of the voice routing settings, keyed by object name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
// The vendor page's example.
#[cfg_attr(feature = "ssr", schema(example = examples::voice_routing_status))]
pub struct VoiceRoutingStatus {
    pub pstn: BTreeMap<String, VoiceRoutingItem>,
    pub vr: BTreeMap<String, VoiceRoutingItem>,
    pub vrp: BTreeMap<String, VoiceRoutingItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
// The vendor page's example.
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({
        "detail": "Cannot add these items to the collection as they conflict or have duplicate key/identity: Usage: DRaaS-PSTN-Usage",
        "status": "already_exists"
    }))
)]
pub struct VoiceRoutingItem {
    pub detail: String,
    pub status: VoiceRoutingOutcome,
}

/// What applying one voice routing object did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VoiceRoutingOutcome {
    Created,
    AlreadyExists,
    /// Named by the vendor page; never produced here (an existing object is kept).
    Updated,
    Error,
}

impl std::fmt::Display for VoiceRoutingOutcome {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.serialize(formatter)
    }
}

/// `PUT …/msteams/update_vrp`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
// The vendor page's example.
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({"status": examples::voice_routing_status()}))
)]
pub struct UpdateVrpResponse {
    pub status: VoiceRoutingStatus,
}

/// The examples the OpenAPI document shows for more than one schema: the vendor page's
/// where it has them.
#[cfg(feature = "ssr")]
mod examples {
    use serde_json::{Value, json};

    /// The vendor page's Voice Routing Status.
    pub fn voice_routing_status() -> Value {
        json!({
            "pstn": {
                "DRaaS-PSTN-Usage": {
                    "detail": "Cannot add these items to the collection as they conflict or have duplicate key/identity: Usage: DRaaS-PSTN-Usage",
                    "status": "already_exists"
                }
            },
            "vr": {
                "Draas-VR": {
                    "detail": "Identity Draas-VR already exists",
                    "status": "already_exists"
                }
            },
            "vrp": {
                "World-DRaaS": {
                    "detail": "Identity World-DRaaS already exists in Tenant scope",
                    "status": "already_exists"
                }
            }
        })
    }

    /// The vendor page's `GET …/msteams/wizard`.
    pub fn wizard_state() -> Value {
        json!({
            "running": true,
            "wizardSteps": [
                {
                    "step": 1,
                    "text": "Set a domain for the tenant and validate it against Microsoft",
                    "executed": true
                },
                {
                    "step": 2,
                    "text": "Create a dummy account and associate an E1 / E3 / E5 license to it",
                    "executed": false
                },
                {
                    "step": 3,
                    "text": "Create MS Teams routing policies and remove associated license from the dummy user",
                    "executed": false,
                    "status": voice_routing_status()
                }
            ]
        })
    }

    /// A run that failed at step 4 (the simulator's `no_free_license` fault).
    pub fn wizard_failure() -> Value {
        let detail = "Step 4 (Create a dummy account and associate an E1 / E3 / E5 license to it) failed: \
            License assignment failed: no free E1 (STANDARDPACK), E3 (ENTERPRISEPACK) or E5 (ENTERPRISEPREMIUM) \
            license in tenant a1000000-0000-4000-8000-000000000003. Free one up or buy one in the Microsoft 365 \
            admin center, then start the wizard again";
        let steps: Vec<Value> = super::WIZARD_STEP_TEXTS
            .iter()
            .enumerate()
            .map(|(step, text)| json!({"step": step, "text": text, "executed": step < 4}))
            .collect();
        json!({
            "type": "/problems/wizard_failed",
            "title": "Bad Request",
            "status": 400,
            "detail": detail,
            "code": "wizard_failed",
            "error": detail,
            "running": false,
            "wizardSteps": steps,
            "failedStep": 4
        })
    }
}
