use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A fault that can be switched on for a simulated MS tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SimFault {
    /// The administrator account has MFA on: scripted PowerShell sign-in fails.
    MfaEnabled,
    /// No free E1 / E3 / E5 license for the dummy user.
    NoFreeLicense,
    /// The domain's TXT record never propagates: verification gives up.
    TxtNeverPropagates,
    /// The application secret has expired.
    SecretExpired,
    /// The application secret is not the one Azure AD holds.
    SecretWrong,
    /// Graph answers 429 with Retry-After for a while.
    GraphThrottling,
    /// A just-created object is not found for a while.
    ReplicationLag,
}

impl SimFault {
    pub const ALL: [SimFault; 7] = [
        SimFault::MfaEnabled,
        SimFault::NoFreeLicense,
        SimFault::TxtNeverPropagates,
        SimFault::SecretExpired,
        SimFault::SecretWrong,
        SimFault::GraphThrottling,
        SimFault::ReplicationLag,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SimFault::MfaEnabled => "mfa_enabled",
            SimFault::NoFreeLicense => "no_free_license",
            SimFault::TxtNeverPropagates => "txt_never_propagates",
            SimFault::SecretExpired => "secret_expired",
            SimFault::SecretWrong => "secret_wrong",
            SimFault::GraphThrottling => "graph_throttling",
            SimFault::ReplicationLag => "replication_lag",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|fault| fault.as_str() == value)
    }
}

/// The license SKUs the onboarding can use for its dummy user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum SkuPart {
    /// Office 365 E1.
    #[serde(rename = "STANDARDPACK")]
    E1,
    /// Office 365 E3.
    #[serde(rename = "ENTERPRISEPACK")]
    E3,
    /// Office 365 E5.
    #[serde(rename = "ENTERPRISEPREMIUM")]
    E5,
}

impl SkuPart {
    pub const ALL: [SkuPart; 3] = [SkuPart::E1, SkuPart::E3, SkuPart::E5];

    pub fn as_str(self) -> &'static str {
        match self {
            SkuPart::E1 => "STANDARDPACK",
            SkuPart::E3 => "ENTERPRISEPACK",
            SkuPart::E5 => "ENTERPRISEPREMIUM",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|sku| sku.as_str() == value)
    }
}

/// The kinds of Teams voice objects a simulated tenant holds (what step 5 and
/// `update_vrp` make).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VoiceObjectKind {
    /// A PSTN usage (`Set-CsOnlinePstnUsages`).
    PstnUsage,
    /// A voice route (`New-CsOnlineVoiceRoute`).
    VoiceRoute,
    /// A voice routing policy (`New-CsOnlineVoiceRoutingPolicy`).
    VoiceRoutingPolicy,
}

impl VoiceObjectKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            VoiceObjectKind::PstnUsage => "pstn_usage",
            VoiceObjectKind::VoiceRoute => "voice_route",
            VoiceObjectKind::VoiceRoutingPolicy => "voice_routing_policy",
        }
    }
}

/// The types of the DNS records a simulated domain publishes: the verification `TXT`,
/// then Exchange Online's `MX`, `TXT` (SPF) and `CNAME` (autodiscover).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "UPPERCASE")]
pub enum DnsRecordType {
    Txt,
    Mx,
    Cname,
}

impl DnsRecordType {
    pub const fn as_str(self) -> &'static str {
        match self {
            DnsRecordType::Txt => "TXT",
            DnsRecordType::Mx => "MX",
            DnsRecordType::Cname => "CNAME",
        }
    }
}

/// `POST /sim/v1/tenants`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({
        "msTenantId": "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
        "name": "Tailwind Traders",
        "licenses": {"ENTERPRISEPACK": 2, "ENTERPRISEPREMIUM": 5},
        "faults": ["graph_throttling"]
    }))
)]
pub struct NewSimTenant {
    /// The tenant id to use; a new GUID when absent.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(format = Uuid))]
    pub ms_tenant_id: Option<String>,
    /// A display name such as `Contoso` (not blank, at most 64 characters); it also makes
    /// the initial domain.
    #[cfg_attr(
        feature = "ssr",
        schema(
            max_length = 64,
            pattern = r"[^\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]",
            example = "Tailwind Traders"
        )
    )]
    pub name: String,
    /// Prepaid units per SKU; absent means 5 E5 licenses.
    #[serde(default, deserialize_with = "super::whole::license_counts")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<LicenseCounts>))]
    pub licenses: Option<BTreeMap<SkuPart, u32>>,
    #[serde(default)]
    pub faults: Vec<SimFault>,
}

/// How `licenses` looks in the OpenAPI document: prepaid units per SKU part number.
#[cfg(feature = "ssr")]
#[derive(utoipa::ToSchema, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code, non_snake_case)] // Only describes the body for the OpenAPI document.
#[schema(example = json!({"STANDARDPACK": 2, "ENTERPRISEPACK": 2, "ENTERPRISEPREMIUM": 2}))]
pub struct LicenseCounts {
    /// Office 365 E1.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 4294967295_u64)]
    STANDARDPACK: u32,
    /// Office 365 E3.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 4294967295_u64)]
    ENTERPRISEPACK: u32,
    /// Office 365 E5.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 4294967295_u64)]
    ENTERPRISEPREMIUM: u32,
}

/// `PUT /sim/v1/tenants/{id}/faults`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", schema(example = json!({"faults": ["mfa_enabled"]})))]
pub struct SimFaults {
    pub faults: Vec<SimFault>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({
        "msTenantId": "a1000000-0000-4000-8000-000000000002",
        "name": "Fabrikam",
        "initialDomain": "fabrikam.onmicrosoft.com",
        "faults": ["mfa_enabled"],
        "createdAt": "2025-03-04T08:00:00Z"
    }))
)]
pub struct SimTenantSummary {
    pub ms_tenant_id: String,
    pub name: String,
    pub initial_domain: String,
    pub faults: Vec<SimFault>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Everything a simulated tenant holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({
        "msTenantId": "a1000000-0000-4000-8000-000000000001",
        "name": "Contoso",
        "initialDomain": "contoso.onmicrosoft.com",
        "faults": [],
        "createdAt": "2025-03-04T08:00:00Z",
        "applications": [{
            "applicationId": "3f2b8c1d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
            "displayName": "Fusion DRaaS Netaxis Group",
            "secrets": [{"expiresAt": "2026-03-04T09:15:00Z"}]
        }],
        "licenses": [
            {"skuPartNumber": "STANDARDPACK", "prepaidUnits": 2, "consumedUnits": 0},
            {"skuPartNumber": "ENTERPRISEPACK", "prepaidUnits": 2, "consumedUnits": 0},
            {"skuPartNumber": "ENTERPRISEPREMIUM", "prepaidUnits": 2, "consumedUnits": 0}
        ],
        "domains": [
            {"name": "contoso.onmicrosoft.com", "verified": true},
            {"name": "globex-3.draas.demo", "verified": true}
        ],
        "dnsRecords": [
            {"domain": "globex-3.draas.demo", "recordType": "TXT", "name": "globex-3.draas.demo", "value": "MS=ms52019473"},
            {"domain": "globex-3.draas.demo", "recordType": "MX", "name": "globex-3.draas.demo", "value": "0 globex-3-draas-demo.mail.protection.outlook.com"},
            {"domain": "globex-3.draas.demo", "recordType": "TXT", "name": "globex-3.draas.demo", "value": "v=spf1 include:spf.protection.outlook.com -all"},
            {"domain": "globex-3.draas.demo", "recordType": "CNAME", "name": "autodiscover.globex-3.draas.demo", "value": "autodiscover.outlook.com"}
        ],
        "users": [{"userPrincipalName": "draas-dummy@globex-3.draas.demo", "licenses": []}],
        "voiceObjects": [
            {"kind": "pstn_usage", "identity": "DRaaS-PSTN-Usage"},
            {"kind": "voice_route", "identity": "Draas-VR"},
            {"kind": "voice_routing_policy", "identity": "World-DRaaS"}
        ]
    }))
)]
pub struct SimTenantDetail {
    #[serde(flatten)]
    pub tenant: SimTenantSummary,
    pub applications: Vec<SimApplication>,
    pub licenses: Vec<SimLicense>,
    pub domains: Vec<SimDomain>,
    pub dns_records: Vec<SimDnsRecord>,
    pub users: Vec<SimUser>,
    pub voice_objects: Vec<SimVoiceObject>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({
        "applicationId": "3f2b8c1d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
        "displayName": "Fusion DRaaS Netaxis Group",
        "secrets": [{"expiresAt": "2026-03-04T09:15:00Z"}]
    }))
)]
pub struct SimApplication {
    pub application_id: String,
    pub display_name: String,
    pub secrets: Vec<SimSecret>,
}

/// A secret of an application: its expiry only, never the value nor any of its
/// characters (Azure AD would show a three-character hint; the simulator keeps none).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sqlx::FromRow))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({"expiresAt": "2026-03-04T09:15:00Z"}))
)]
pub struct SimSecret {
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({
        "skuPartNumber": "ENTERPRISEPREMIUM",
        "prepaidUnits": 5,
        "consumedUnits": 1
    }))
)]
pub struct SimLicense {
    pub sku_part_number: SkuPart,
    pub prepaid_units: u32,
    pub consumed_units: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sqlx::FromRow))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({"name": "globex-3.draas.demo", "verified": true}))
)]
pub struct SimDomain {
    pub name: String,
    pub verified: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sqlx::FromRow))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({
        "domain": "globex-3.draas.demo",
        "recordType": "TXT",
        "name": "globex-3.draas.demo",
        "value": "MS=ms52019473"
    }))
)]
pub struct SimDnsRecord {
    pub domain: String,
    #[cfg_attr(feature = "ssr", schema(value_type = DnsRecordType))]
    pub record_type: String,
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({
        "userPrincipalName": "draas-dummy@globex-3.draas.demo",
        "licenses": ["ENTERPRISEPREMIUM"]
    }))
)]
pub struct SimUser {
    pub user_principal_name: String,
    /// The SKUs of the licenses the user holds.
    #[cfg_attr(feature = "ssr", schema(value_type = Vec<SkuPart>))]
    pub licenses: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sqlx::FromRow))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({"kind": "voice_route", "identity": "Draas-VR"}))
)]
pub struct SimVoiceObject {
    #[cfg_attr(feature = "ssr", schema(value_type = VoiceObjectKind))]
    pub kind: String,
    pub identity: String,
}

/// What running create_app.ps1 against a simulated tenant prints: paste it into
/// `msteams/applications`. The secret is shown this once.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({
        "msTeamsTenantId": "a1000000-0000-4000-8000-000000000001",
        "applicationId": "3f2b8c1d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
        "secret": "Xq78Q~Lk2pV9sDf0Gh3Jw6Ye1Rt5Uo8Ia4Ns7Mb2",
        "secretExpiresAt": "2026-03-04T09:15:00Z"
    }))
)]
pub struct MintedCredentials {
    pub ms_teams_tenant_id: String,
    pub application_id: String,
    pub secret: String,
    pub secret_expires_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sqlx::FromRow))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({
        "id": 42,
        "at": "2025-03-04T09:20:05Z",
        "operation": "New-CsOnlineVoiceRoute",
        "target": "Draas-VR",
        "outcome": "created",
        "status": 201,
        "latencyMs": 180,
        "detail": "Voice route Draas-VR created with PSTN usage DRaaS-PSTN-Usage"
    }))
)]
pub struct SimJournalEntry {
    pub id: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    /// e.g. `POST /applications` or `New-CsOnlinePSTNUsage`.
    pub operation: String,
    pub target: String,
    /// `ok`, `already_exists`, `throttled`, `error`, …
    pub outcome: String,
    pub status: u16,
    pub latency_ms: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A message the platform would have e-mailed (second-factor codes), as the simulated
/// mail server keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({
        "id": 7,
        "to": "mia@alpha-telecom.example",
        "subject": "Your Fusion sign-in code",
        "body": "Your sign-in code is 493027. It is valid for 10 minutes.\nIf you did not just sign in, change your password.",
        "sentAt": "2025-03-04T09:01:12Z"
    }))
)]
pub struct SimMail {
    pub id: i64,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub sent_at: chrono::DateTime<chrono::Utc>,
}
