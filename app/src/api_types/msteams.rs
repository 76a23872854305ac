use serde::{Deserialize, Serialize};

/// `POST …/msteams/applications`.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
// The vendor page's example.
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({
        "msTeamsTenantId": "27b418d0-b197-483d-a0b8-da90407a92c4",
        "applicationId": "c035894c-81c3-49aa-8e3e-f245d9b3b846",
        "secret": "i6k8Q~e326mrmOiLBicPD_sGU236udICA3iieduo"
    }))
)]
pub struct ApplicationRequest {
    /// MS Teams ID as found in Azure AD. Optional when the integration exists and is updated.
    #[cfg_attr(
        feature = "ssr",
        schema(format = Uuid, example = "27b418d0-b197-483d-a0b8-da90407a92c4")
    )]
    #[serde(default)]
    pub ms_teams_tenant_id: Option<String>,
    #[cfg_attr(
        feature = "ssr",
        schema(format = Uuid, example = "c035894c-81c3-49aa-8e3e-f245d9b3b846")
    )]
    pub application_id: String,
    /// The secret's value (not its id): not blank, at most 256 characters, no control characters.
    #[cfg_attr(
        feature = "ssr",
        schema(
            min_length = 1,
            max_length = 256,
            pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\u0000-\u001f\u007f-\u009f]*$",
            example = "i6k8Q~e326mrmOiLBicPD_sGU236udICA3iieduo"
        )
    )]
    pub secret: String,
}

/// `POST …/msteams/reset_secret`.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
// The vendor page's example.
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({
        "applicationId": "d46e9288-2029-4fd1-ac7b-f20749e61251",
        "secret": "L4y8Q~DfIwfxqPdinI5mOWWdq4YA9Pk9xaFMyboC"
    }))
)]
pub struct ResetSecretRequest {
    #[cfg_attr(
        feature = "ssr",
        schema(format = Uuid, example = "d46e9288-2029-4fd1-ac7b-f20749e61251")
    )]
    pub application_id: String,
    #[cfg_attr(
        feature = "ssr",
        schema(
            min_length = 1,
            max_length = 256,
            pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\u0000-\u001f\u007f-\u009f]*$",
            example = "L4y8Q~DfIwfxqPdinI5mOWWdq4YA9Pk9xaFMyboC"
        )
    )]
    pub secret: String,
}

/// `GET …/msteams/admins` (as the vendor's portal client reads it): the stored MS Teams
/// administrator account, or `id` and `msUsername` both null when none is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({"id": 1, "msUsername": "admin@acme.onmicrosoft.com"}))
)]
pub struct MsTeamsAdmin {
    /// Ours: the id of the MS Teams tenant (Fusion's row) that holds the account, one
    /// account per tenant; it stays the same when the account is replaced. Send it back
    /// to `DELETE …/msteams/admins`.
    #[cfg_attr(feature = "ssr", schema(required = true, minimum = 1, example = 3))]
    pub id: Option<i64>,
    /// The administrator's sign-in name (user principal name), lowercase.
    #[cfg_attr(
        feature = "ssr",
        schema(required = true, example = "admin@contoso.onmicrosoft.com")
    )]
    pub ms_username: Option<String>,
}

/// `POST …/msteams/admins`: `{msUsername, msPassword}` stores the account or replaces
/// the stored one; `{msPassword}` alone changes the password of the stored account.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({
        "msUsername": "admin@contoso.onmicrosoft.com",
        "msPassword": "S3cret-admin"
    }))
)]
pub struct MsTeamsAdminRequest {
    /// The administrator's sign-in name (user principal name), without spaces. Absent
    /// (or null): keep the stored account and change its password.
    #[cfg_attr(
        feature = "ssr",
        schema(
            max_length = 256,
            pattern = r"^[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000@]+@[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000.][^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*\.[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000.]$",
            example = "admin@contoso.onmicrosoft.com"
        )
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ms_username: Option<String>,
    /// The account's password: not blank, at most 256 characters, no control characters.
    /// Stored encrypted, never returned.
    #[cfg_attr(
        feature = "ssr",
        schema(
            min_length = 1,
            max_length = 256,
            pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\u0000-\u001f\u007f-\u009f]*$",
            example = "S3cret-admin"
        )
    )]
    pub ms_password: String,
}

/// `DELETE …/msteams/admins`: the account to remove, as `GET …/msteams/admins` gave it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({"id": 1, "msUsername": "admin@acme.onmicrosoft.com"}))
)]
pub struct MsTeamsAdminRemoval {
    #[cfg_attr(feature = "ssr", schema(minimum = 1, example = 3))]
    #[serde(deserialize_with = "super::whole::i64")]
    pub id: i64,
    /// The stored account's sign-in name (compared without regard to case).
    #[cfg_attr(
        feature = "ssr",
        schema(
            max_length = 256,
            pattern = r"^[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000@]+@[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000.][^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*\.[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000.]$",
            example = "admin@contoso.onmicrosoft.com"
        )
    )]
    pub ms_username: String,
}

/// `POST …/msteams/link`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
// The vendor page's example.
#[cfg_attr(feature = "ssr", schema(example = json!({"subscriptionId": 2})))]
pub struct LinkRequest {
    /// Subscription linked to the MS Teams tenant you want to link to.
    #[cfg_attr(feature = "ssr", schema(minimum = 1, example = 5))]
    #[serde(deserialize_with = "super::whole::i64")]
    pub subscription_id: i64,
}

/// `POST …/downloads/create_app`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
// The vendor page's example (its body cut short).
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({
        "fileName": "create_app.ps1",
        "fileBody": "UmVhZC1Ib3N0IC1Qcm9tcHQgIlByZXNzIEVudGVyIHRvIGV4aXQi..."
    }))
)]
pub struct FileDownload {
    #[cfg_attr(feature = "ssr", schema(example = "create_app.ps1"))]
    pub file_name: String,
    /// The content of the file encoded in Base64.
    pub file_body: String,
}

/// `GET …/msteams/sources`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
// The vendor page's example.
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({
        "sources": [
            {
                "subscriptionId": 2,
                "subscriptionName": "Operator Connect DEV",
                "tenantName": "Netaxis DEV"
            },
            {
                "subscriptionId": 53,
                "subscriptionName": "CBUR Test SUB",
                "tenantName": "CBUR Test Tenant"
            }
        ]
    }))
)]
pub struct SourcesResponse {
    pub sources: Vec<LinkSource>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({
        "subscriptionId": 5,
        "subscriptionName": "Initech Teams",
        "tenantName": "Initech"
    }))
)]
pub struct LinkSource {
    pub subscription_id: i64,
    pub subscription_name: String,
    pub tenant_name: String,
}

/// `status` of `GET …/msteams/status`: where the MS Teams tenant stands, as Fusion sees
/// it. The vendor's portal client names these values; `waiting_for_confirmation` and
/// `no_consent`, which it also names, belong to Operator Connect and are never produced
/// here (direct routing only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum MsTeamsTenantStatus {
    /// Credentials are stored and no wizard step has executed yet: the wizard has not
    /// run, or a run is still in its preparation phase (before step 0 executes, when
    /// `GET wizard` answers 404) or at step 0.
    #[serde(rename = "not_initiated")]
    NotInitiated,
    /// The wizard is running and step 0 is the last one executed.
    #[serde(rename = "wizard_0_ok")]
    Wizard0Ok,
    /// The wizard is running and step 1 is the last one executed.
    #[serde(rename = "wizard_1_ok")]
    Wizard1Ok,
    /// The wizard is running and step 2 is the last one executed.
    #[serde(rename = "wizard_2_ok")]
    Wizard2Ok,
    /// The wizard is running and step 3 is the last one executed.
    #[serde(rename = "wizard_3_ok")]
    Wizard3Ok,
    /// The wizard is running and step 4 is the last one executed.
    #[serde(rename = "wizard_4_ok")]
    Wizard4Ok,
    /// The wizard is running and step 5 is the last one executed.
    #[serde(rename = "wizard_5_ok")]
    Wizard5Ok,
    /// The wizard ended with an error at step 0; `POST wizard` resumes there.
    #[serde(rename = "wizard_0_error")]
    Wizard0Error,
    /// The wizard ended with an error at step 1; `POST wizard` resumes there.
    #[serde(rename = "wizard_1_error")]
    Wizard1Error,
    /// The wizard ended with an error at step 2; `POST wizard` resumes there.
    #[serde(rename = "wizard_2_error")]
    Wizard2Error,
    /// The wizard ended with an error at step 3; `POST wizard` resumes there.
    #[serde(rename = "wizard_3_error")]
    Wizard3Error,
    /// The wizard ended with an error at step 4; `POST wizard` resumes there.
    #[serde(rename = "wizard_4_error")]
    Wizard4Error,
    /// The wizard ended with an error at step 5; `POST wizard` resumes there.
    #[serde(rename = "wizard_5_error")]
    Wizard5Error,
    /// All six steps have executed: the tenant is onboarded.
    #[serde(rename = "onboarded")]
    Onboarded,
    /// The subscription shares the MS Teams tenant of another subscription
    /// (`msteams/link`); `linkedTo` names it.
    #[serde(rename = "already_linked")]
    AlreadyLinked,
}

impl MsTeamsTenantStatus {
    pub const ALL: [MsTeamsTenantStatus; 15] = [
        MsTeamsTenantStatus::NotInitiated,
        MsTeamsTenantStatus::Wizard0Ok,
        MsTeamsTenantStatus::Wizard1Ok,
        MsTeamsTenantStatus::Wizard2Ok,
        MsTeamsTenantStatus::Wizard3Ok,
        MsTeamsTenantStatus::Wizard4Ok,
        MsTeamsTenantStatus::Wizard5Ok,
        MsTeamsTenantStatus::Wizard0Error,
        MsTeamsTenantStatus::Wizard1Error,
        MsTeamsTenantStatus::Wizard2Error,
        MsTeamsTenantStatus::Wizard3Error,
        MsTeamsTenantStatus::Wizard4Error,
        MsTeamsTenantStatus::Wizard5Error,
        MsTeamsTenantStatus::Onboarded,
        MsTeamsTenantStatus::AlreadyLinked,
    ];

    const OK: [MsTeamsTenantStatus; 6] = [
        MsTeamsTenantStatus::Wizard0Ok,
        MsTeamsTenantStatus::Wizard1Ok,
        MsTeamsTenantStatus::Wizard2Ok,
        MsTeamsTenantStatus::Wizard3Ok,
        MsTeamsTenantStatus::Wizard4Ok,
        MsTeamsTenantStatus::Wizard5Ok,
    ];
    const ERROR: [MsTeamsTenantStatus; 6] = [
        MsTeamsTenantStatus::Wizard0Error,
        MsTeamsTenantStatus::Wizard1Error,
        MsTeamsTenantStatus::Wizard2Error,
        MsTeamsTenantStatus::Wizard3Error,
        MsTeamsTenantStatus::Wizard4Error,
        MsTeamsTenantStatus::Wizard5Error,
    ];

    /// `wizard_<step>_ok`: the wizard is running and `step` (0–5) is the last executed.
    pub fn wizard_ok(step: u8) -> Option<Self> {
        Self::OK.get(usize::from(step)).copied()
    }

    /// `wizard_<step>_error`: the wizard ended with an error at `step` (0–5).
    pub fn wizard_error(step: u8) -> Option<Self> {
        Self::ERROR.get(usize::from(step)).copied()
    }

    /// The step a `wizard_<step>_…` value names.
    pub fn wizard_step(self) -> Option<u8> {
        match self {
            MsTeamsTenantStatus::Wizard0Ok | MsTeamsTenantStatus::Wizard0Error => Some(0),
            MsTeamsTenantStatus::Wizard1Ok | MsTeamsTenantStatus::Wizard1Error => Some(1),
            MsTeamsTenantStatus::Wizard2Ok | MsTeamsTenantStatus::Wizard2Error => Some(2),
            MsTeamsTenantStatus::Wizard3Ok | MsTeamsTenantStatus::Wizard3Error => Some(3),
            MsTeamsTenantStatus::Wizard4Ok | MsTeamsTenantStatus::Wizard4Error => Some(4),
            MsTeamsTenantStatus::Wizard5Ok | MsTeamsTenantStatus::Wizard5Error => Some(5),
            MsTeamsTenantStatus::NotInitiated
            | MsTeamsTenantStatus::Onboarded
            | MsTeamsTenantStatus::AlreadyLinked => None,
        }
    }

    /// Whether the wizard ended with an error (`wizard_<step>_error`).
    pub fn is_error(self) -> bool {
        Self::ERROR.contains(&self)
    }
}

impl std::fmt::Display for MsTeamsTenantStatus {
    /// Its wire name (the serde rename above, written once).
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.serialize(formatter)
    }
}

/// `mode` of `GET …/msteams/status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MsTeamsMode {
    DirectRouting,
    /// Never produced here: Operator Connect is not simulated.
    OperatorConnect,
}

/// `GET …/msteams/status`: the subscription's MS Teams tenant. The fields are the vendor
/// page's, with the sub-objects as the vendor's portal client reads them; `linkedTo`,
/// and `updatedAt` and `secretExpiresAt` in the integrations, are ours (extensions).
/// Nothing of any secret is ever part of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({
        "msTenantId": "27b418d0-b197-483d-a0b8-da90407a92c4",
        "mode": "direct_routing",
        "status": "onboarded",
        "msApplicationId": "c035894c-81c3-49aa-8e3e-f245d9b30000",
        "domain": {"name": "acme.draas.demo", "verified": true},
        "powershell": {
            "msUserName": "admin@acme.onmicrosoft.com",
            "active": true,
            "updatedAt": "2025-03-04T09:12:45Z"
        },
        "msGraph": {
            "msApplicationId": "c035894c-81c3-49aa-8e3e-f245d9b30000",
            "active": true,
            "updatedAt": "2025-03-04T09:12:45Z",
            "secretExpiresAt": "2026-03-04T09:12:45Z"
        }
    }))
)]
pub struct MsTeamsStatus {
    /// The MS tenant id; null until the application integration names it (the
    /// administrator account may be stored first).
    #[cfg_attr(
        feature = "ssr",
        schema(required = true, example = "27b418d0-b197-483d-a0b8-da90407a92c4")
    )]
    pub ms_tenant_id: Option<String>,
    pub mode: MsTeamsMode,
    pub status: MsTeamsTenantStatus,
    /// The integrated Azure AD application; absent until one is stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ms_application_id: Option<String>,
    /// Absent until a domain is configured (step 2 of the wizard).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<DomainStatus>,
    /// The PowerShell integration: the MS Teams administrator account.
    pub powershell: PowershellIntegration,
    /// The MS Graph integration: the Azure AD application.
    pub ms_graph: GraphIntegration,
    /// Extension (ours), with `already_linked`: the subscription that owns the shared
    /// MS Teams tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linked_to: Option<i64>,
}

/// `domain` of `GET …/msteams/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({"name": "acme.draas.demo", "verified": true}))
)]
pub struct DomainStatus {
    #[cfg_attr(feature = "ssr", schema(example = "acme-1.draas.demo"))]
    pub name: String,
    /// Whether Microsoft has verified the domain (step 2 of the wizard has executed).
    pub verified: bool,
}

/// `powershell` of `GET …/msteams/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({
        "msUserName": "admin@acme.onmicrosoft.com",
        "active": true,
        "updatedAt": "2025-03-04T09:12:45Z"
    }))
)]
pub struct PowershellIntegration {
    /// The administrator's sign-in name; null when none is stored.
    #[serde(rename = "msUserName")]
    #[cfg_attr(
        feature = "ssr",
        schema(required = true, example = "admin@contoso.onmicrosoft.com")
    )]
    pub ms_user_name: Option<String>,
    /// Whether administrator credentials are stored.
    pub active: bool,
    /// Extension (ours): when the credentials were last stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// `msGraph` of `GET …/msteams/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({
        "msApplicationId": "c035894c-81c3-49aa-8e3e-f245d9b30000",
        "active": true,
        "updatedAt": "2025-03-04T09:12:45Z",
        "secretExpiresAt": "2026-03-04T09:12:45Z"
    }))
)]
pub struct GraphIntegration {
    /// The application id; null when none is stored.
    #[cfg_attr(
        feature = "ssr",
        schema(required = true, example = "c035894c-81c3-49aa-8e3e-f245d9b3b846")
    )]
    pub ms_application_id: Option<String>,
    /// Whether an application is stored and its secret is not known to have expired.
    pub active: bool,
    /// Extension (ours): when the application and its secret were last stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Extension (ours): when the secret expires, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Secret-bearing bodies print with the secret masked: the UI's server functions need
/// `Debug`, and a secret must never reach a log line.
mod redacted {
    use std::fmt;

    use super::{ApplicationRequest, MsTeamsAdminRequest, ResetSecretRequest};

    const MASK: &str = "<redacted>";

    impl fmt::Debug for ApplicationRequest {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("ApplicationRequest")
                .field("ms_teams_tenant_id", &self.ms_teams_tenant_id)
                .field("application_id", &self.application_id)
                .field("secret", &MASK)
                .finish()
        }
    }

    impl fmt::Debug for ResetSecretRequest {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("ResetSecretRequest")
                .field("application_id", &self.application_id)
                .field("secret", &MASK)
                .finish()
        }
    }

    impl fmt::Debug for MsTeamsAdminRequest {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("MsTeamsAdminRequest")
                .field("ms_username", &self.ms_username)
                .field("ms_password", &MASK)
                .finish()
        }
    }
}
