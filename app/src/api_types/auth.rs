use serde::{Deserialize, Serialize};

/// `POST /api/v01/auth/login`.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({"username": "alpha.admin", "password": "demo-alpha"}))
)]
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

/// `POST /api/v01/auth/login`'s 200: the session's tokens, or (from a device the user
/// has not trusted, for a user with a second factor) the challenge to answer first.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(untagged)]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({"access_token": "kP2m6Lq0T1rNh3yW8xZ4cVb5nM7aS9dF0gH1jK2lQwE", "refresh_token": "Zx9cV8bN7mQ6wE5rT4yU3iO2pA1sD0fG9hJ8kL7zXcV"}))
)]
pub enum LoginResponse {
    Tokens(TokenPair),
    SecondFactor(TwoFactorChallenge),
}

/// A session's tokens. Send the access token as `Authorization: Bearer <access_token>`;
/// when it has expired (401), get a new one from `GET /api/v01/auth/access_token` with
/// the refresh token as the bearer.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({"access_token": "kP2m6Lq0T1rNh3yW8xZ4cVb5nM7aS9dF0gH1jK2lQwE", "refresh_token": "Zx9cV8bN7mQ6wE5rT4yU3iO2pA1sD0fG9hJ8kL7zXcV"}))
)]
pub struct TokenPair {
    #[cfg_attr(
        feature = "ssr",
        schema(example = "kP2m6Lq0T1rNh3yW8xZ4cVb5nM7aS9dF0gH1jK2lQwE")
    )]
    pub access_token: String,
    #[cfg_attr(
        feature = "ssr",
        schema(example = "Zx9cV8bN7mQ6wE5rT4yU3iO2pA1sD0fG9hJ8kL7zXcV")
    )]
    pub refresh_token: String,
}

/// The second step of a sign-in: send the code to `POST /api/v01/auth/2fa` (e-mail) or
/// `POST /api/v01/auth/2fa_totp` (authenticator app), with this payload.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({"2fa_payload": "c2lnbi1pbi1jaGFsbGVuZ2UtdG9rZW4tZXhhbXBsZQ", "option": "email"}))
)]
pub struct TwoFactorChallenge {
    #[serde(rename = "2fa_payload")]
    #[cfg_attr(
        feature = "ssr",
        schema(example = "c2lnbi1pbi1jaGFsbGVuZ2UtdG9rZW4tZXhhbXBsZQ")
    )]
    pub payload: String,
    pub option: TwoFactorOption,
}

/// How the second factor's code comes: by e-mail, or from an authenticator app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum TwoFactorOption {
    Email,
    Totp,
}

impl TwoFactorOption {
    pub fn as_str(self) -> &'static str {
        match self {
            TwoFactorOption::Email => "email",
            TwoFactorOption::Totp => "totp",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "email" => Some(TwoFactorOption::Email),
            "totp" => Some(TwoFactorOption::Totp),
            _ => None,
        }
    }
}

/// `POST /api/v01/auth/2fa` and `/2fa_totp`: the code, and whether to trust this
/// device (user agent and network) from now on. Other members are ignored: the
/// vendor's portal sends its whole form.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({"code": "493027", "trust": true, "2fa_payload": "c2lnbi1pbi1jaGFsbGVuZ2UtdG9rZW4tZXhhbXBsZQ"}))
)]
pub struct TwoFactorRequest {
    /// Six digits.
    #[cfg_attr(feature = "ssr", schema(pattern = r"^[0-9]{6}$", example = "493027"))]
    pub code: String,
    #[serde(default)]
    pub trust: bool,
    #[serde(rename = "2fa_payload")]
    #[cfg_attr(
        feature = "ssr",
        schema(
            min_length = 1,
            max_length = 200,
            example = "c2lnbi1pbi1jaGFsbGVuZ2UtdG9rZW4tZXhhbXBsZQ"
        )
    )]
    pub payload: String,
}

/// `GET /api/v01/auth/access_token`: a new access token; a new refresh token too when
/// the current one is close to its end (it replaces the current one, which ends; keep
/// using the current one otherwise).
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({"access_token": "Qm9vT3dZcXl6R2hKd1p4TmE1c0V1UjdUa2xWYnA0Tmg"}))
)]
pub struct RefreshedTokens {
    pub access_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
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
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({
        "id": "30000000-0000-4000-8000-000000000001",
        "name": "Alpha Telecom",
        "kind": "reseller"
    }))
)]
pub struct NodeRef {
    pub id: uuid::Uuid,
    pub name: String,
    pub kind: AdminLevel,
}

/// `GET /api/v01/system/users/local`: the signed-in administrator, as the vendor's
/// client reads it (`ui_profile`, `profile.api_rules`), with our extensions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({
        "username": "alpha.admin",
        "ui_profile": "reseller",
        "profile": {
            "name": "msteams-admin",
            "api_rules": [
                {"name": "tenants.list", "allowed": true},
                {"name": "tenants.instance.subscriptions.instance.msteams.wizard.start", "allowed": true},
                {"name": "tenants.instance.subscriptions.instance.msteams.status.read", "allowed": true},
                {"name": "mock.manage", "allowed": false}
            ]
        },
        "displayName": "Ada Alpha",
        "draasInstance": "demo",
        "node": {
            "id": "30000000-0000-4000-8000-000000000001",
            "name": "Alpha Telecom",
            "kind": "reseller"
        }
    }))
)]
pub struct CurrentUser {
    pub username: String,
    /// The administrator's level: what the vendor's client shows it.
    #[serde(rename = "ui_profile")]
    pub level: AdminLevel,
    pub profile: ProfileRules,
    /// Extension.
    #[serde(rename = "displayName")]
    pub display_name: String,
    /// Extension: the DRaaS instance the administrator belongs to.
    #[serde(rename = "draasInstance")]
    pub draas_instance: String,
    /// Extension: the top of the administrator's tree of authority.
    pub node: NodeRef,
}

/// A profile and what it allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({
        "name": "msteams-admin",
        "api_rules": [
            {"name": "tenants.list", "allowed": true},
            {"name": "mock.manage", "allowed": false}
        ]
    }))
)]
pub struct ProfileRules {
    pub name: String,
    /// Every role this server knows, with whether the profile grants it.
    pub api_rules: Vec<ApiRule>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "ssr",
    schema(example = json!({
        "name": "tenants.instance.subscriptions.instance.msteams.wizard.start",
        "allowed": true
    }))
)]
pub struct ApiRule {
    /// A role, e.g. `tenants.instance.subscriptions.instance.msteams.wizard.start`.
    #[cfg_attr(feature = "ssr", schema(value_type = crate::api_types::Role))]
    pub name: String,
    pub allowed: bool,
}

impl CurrentUser {
    /// Whether the administrator's profile grants `role`.
    pub fn may(&self, role: crate::api_types::Role) -> bool {
        self.profile
            .api_rules
            .iter()
            .any(|rule| rule.allowed && rule.name == role.as_str())
    }
}
