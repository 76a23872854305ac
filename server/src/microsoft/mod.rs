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
