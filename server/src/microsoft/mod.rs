//! The boundary to Microsoft: what the onboarding asks of Azure AD, Graph, Office 365
//! DNS and Teams, as traits. The embedded simulator implements them; a real Graph and
//! Teams PowerShell adapter could be dropped in. Every operation is check-then-create,
//! so running it twice creates nothing twice.

use async_trait::async_trait;
use uuid::Uuid;

use crate::domain::types::Secret;

/// A scripted Teams PowerShell sign-in with the MS Teams administrator's account.
pub struct AdminLogin {
    pub ms_tenant_id: Uuid,
    pub username: String,
    pub password: Secret,
}

/// The Azure AD application the onboarding signs in with (client credentials).
pub struct AppCredentials {
    pub ms_tenant_id: Uuid,
    pub application_id: Uuid,
    pub secret: Secret,
}

/// A DNS record Microsoft asks for (domain verification, e-mail service).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsRecord {
    /// `TXT`, `MX` or `CNAME`.
    pub record_type: String,
    pub name: String,
    pub value: String,
}

/// What creating an object did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    Created(String),
    AlreadyExists(String),
}

/// A refusal by Microsoft, with a message that says what a user must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MicrosoftError {
    /// Try again later (throttling, replication lag); `retry_after_ms` when Microsoft says.
    Transient {
        message: String,
        retry_after_ms: Option<u64>,
    },
    /// Will not succeed until someone changes something.
    Permanent(String),
    /// A fault of ours (the simulator's storage), not Microsoft's answer.
    Internal(String),
}

impl MicrosoftError {
    pub fn message(&self) -> &str {
        match self {
            MicrosoftError::Transient { message, .. }
            | MicrosoftError::Permanent(message)
            | MicrosoftError::Internal(message) => message,
        }
    }
}

/// Teams voice routing objects (Teams PowerShell).
#[async_trait]
pub trait TeamsVoice: Send + Sync + std::fmt::Debug {
    /// Signs in; fails when the account has MFA on or the credentials are wrong.
    async fn connect(&self, login: &AdminLogin) -> Result<(), MicrosoftError>;
    async fn ensure_pstn_usage(
        &self,
        login: &AdminLogin,
        usage: &str,
    ) -> Result<Applied, MicrosoftError>;
    async fn ensure_voice_route(
        &self,
        login: &AdminLogin,
        route: &str,
        usage: &str,
    ) -> Result<Applied, MicrosoftError>;
    async fn ensure_voice_routing_policy(
        &self,
        login: &AdminLogin,
        policy: &str,
        usage: &str,
    ) -> Result<Applied, MicrosoftError>;
}

/// Azure AD and MS Graph, as the application integration sees them. Every call signs in
/// with the application's credentials, as a token request would.
#[async_trait]
pub trait Graph: Send + Sync + std::fmt::Debug {
    /// Makes the application a service principal of the tenant (the MS Graph gateway).
    async fn ensure_service_principal(
        &self,
        app: &AppCredentials,
    ) -> Result<Applied, MicrosoftError>;
    /// Adds the domain to the tenant (unverified) and returns its verification TXT record.
    async fn ensure_domain(
        &self,
        app: &AppCredentials,
        domain: &str,
    ) -> Result<DnsRecord, MicrosoftError>;
    /// Asks Microsoft to verify the domain; `false` while the TXT record has not propagated.
    async fn verify_domain(
        &self,
        app: &AppCredentials,
        domain: &str,
    ) -> Result<bool, MicrosoftError>;
    /// The records the e-mail service needs on the domain (MX, SPF TXT, autodiscover CNAME).
    async fn email_records(
        &self,
        app: &AppCredentials,
        domain: &str,
    ) -> Result<Vec<DnsRecord>, MicrosoftError>;
    async fn ensure_user(&self, app: &AppCredentials, upn: &str)
    -> Result<Applied, MicrosoftError>;
    /// Assigns a free E1, E3 or E5 license unless the user holds one; returns the SKU part.
    async fn assign_license(
        &self,
        app: &AppCredentials,
        upn: &str,
    ) -> Result<String, MicrosoftError>;
    /// Removes every license from the user.
    async fn remove_licenses(&self, app: &AppCredentials, upn: &str) -> Result<(), MicrosoftError>;
}

/// The DNS zone of the platform's domains, where the onboarding publishes records.
#[async_trait]
pub trait DnsZone: Send + Sync + std::fmt::Debug {
    async fn publish(
        &self,
        ms_tenant_id: Uuid,
        domain: &str,
        record: &DnsRecord,
    ) -> Result<Applied, MicrosoftError>;
}
