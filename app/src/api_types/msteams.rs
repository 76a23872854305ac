use serde::{Deserialize, Serialize};

/// `POST …/msteams/applications`.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
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

/// `PUT …/msteams/administrator` (extension).
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AdministratorRequest {
    /// The administrator's sign-in name (user principal name), without spaces.
    #[cfg_attr(
        feature = "ssr",
        schema(
            max_length = 256,
            pattern = r"^[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000@]+@[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000.][^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*\.[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000.]$",
            example = "admin@contoso.onmicrosoft.com"
        )
    )]
    pub username: String,
    #[cfg_attr(
        feature = "ssr",
        schema(
            min_length = 1,
            max_length = 256,
            pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\u0000-\u001f\u007f-\u009f]*$",
            example = "S3cret-admin"
        )
    )]
    pub password: String,
}

/// `POST …/msteams/link`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
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
pub struct FileDownload {
    #[cfg_attr(feature = "ssr", schema(example = "create_app.ps1"))]
    pub file_name: String,
    /// The content of the file encoded in Base64.
    pub file_body: String,
}

/// `GET …/msteams/sources`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SourcesResponse {
    pub sources: Vec<LinkSource>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LinkSource {
    pub subscription_id: i64,
    pub subscription_name: String,
    pub tenant_name: String,
}

/// `GET …/msteams/status`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MsTeamsStatus {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ms_tenant_id: Option<String>,
    /// `direct_routing` or `operator_connect`.
    pub mode: String,
    /// `pending`, `onboarding`, `onboarded` or `failed`.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ms_application_id: Option<String>,
    /// Absent until a domain exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// The PowerShell (administrator credentials) integration.
    pub powershell: IntegrationStatus,
    /// The MS Graph (Azure AD application) integration.
    pub ms_graph: IntegrationStatus,
    /// For a linked subscription: the subscription owning the MS Teams tenant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linked_to: Option<i64>,
}

/// Whether an integration is configured: the account, when its credential was stored and
/// (application secrets) when it expires. Nothing of the credential itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct IntegrationStatus {
    pub configured: bool,
    /// PowerShell: the administrator's username. MS Graph: the application id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Secret-bearing bodies print with the secret masked: the UI's server functions need
/// `Debug`, and a secret must never reach a log line.
mod redacted {
    use std::fmt;

    use super::{AdministratorRequest, ApplicationRequest, ResetSecretRequest};

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

    impl fmt::Debug for AdministratorRequest {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("AdministratorRequest")
                .field("username", &self.username)
                .field("password", &MASK)
                .finish()
        }
    }
}
