use serde::{Deserialize, Serialize};

/// The platform's paged list envelope.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Paged<T> {
    pub results: Vec<T>,
    /// Number of pages for this `size` (at least 1).
    pub pages: u32,
    /// The page returned, starting at 1.
    pub page: u32,
    /// The page size used.
    pub size: u32,
    /// Number of items over all pages.
    pub total: u64,
}

/// A tenant in the caller's tree of authority.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TenantSummary {
    pub uuid: uuid::Uuid,
    pub name: String,
    pub reseller: NodeName,
    pub subscription_count: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NodeName {
    pub uuid: uuid::Uuid,
    pub name: String,
}

/// A subscription of a tenant with its MS Teams state.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionSummary {
    pub id: i64,
    pub name: String,
    /// `msteams` or `sip-trunks`.
    pub license_type: String,
    pub direct_routing_users: u32,
    pub ms_teams: MsTeamsState,
}

/// Where a subscription stands in MS Teams onboarding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MsTeamsState {
    /// `not_onboarded`, `pending` (integration stored, wizard not run), `onboarding`,
    /// `onboarded`, `failed` or `linked`.
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ms_tenant_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// For `onboarding` and `failed`: the step (0-5) running or failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<u8>,
    /// For `linked`: the subscription that owns the MS Teams tenant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linked_to: Option<i64>,
}
