use serde::{Deserialize, Serialize};

/// `POST /api/v01/auth/login`.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Not blank.
    #[cfg_attr(
        feature = "ssr",
        schema(
            pattern = r"[^\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]",
            example = "alpha.admin"
        )
    )]
    pub username: String,
    #[cfg_attr(feature = "ssr", schema(min_length = 1, example = "demo-alpha"))]
    pub password: String,
}

#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LoginResponse {
    /// Opaque bearer token: send it as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub user: CurrentUser,
}

/// The level of an administrator in the hierarchy, top first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum AdminLevel {
    Group,
    Distributor,
    Reseller,
    Tenant,
}

impl AdminLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            AdminLevel::Group => "group",
            AdminLevel::Distributor => "distributor",
            AdminLevel::Reseller => "reseller",
            AdminLevel::Tenant => "tenant",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "group" => Some(AdminLevel::Group),
            "distributor" => Some(AdminLevel::Distributor),
            "reseller" => Some(AdminLevel::Reseller),
            "tenant" => Some(AdminLevel::Tenant),
            _ => None,
        }
    }
}

/// A node of the hierarchy (group, distributor, reseller or tenant).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NodeRef {
    pub id: uuid::Uuid,
    pub name: String,
    pub kind: AdminLevel,
}

/// `GET /api/v01/auth/me`: who is signed in, where, and with which roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CurrentUser {
    pub username: String,
    pub display_name: String,
    pub level: AdminLevel,
    /// The DRaaS instance the administrator belongs to.
    pub draas_instance: String,
    /// The top of the administrator's tree of authority.
    pub node: NodeRef,
    pub profile: String,
    pub roles: Vec<String>,
}
