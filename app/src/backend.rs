//! What the UI needs from the server, declared here so that `app` never depends on
//! `server`: the error the server functions return, the views they exchange, and (on
//! the server) the `Backend` trait the server implements over its domain services and
//! provides through Leptos context.

use std::fmt;

use leptos::{prelude::*, server_fn::codec::JsonEncoding};
use serde::{Deserialize, Serialize};

use crate::api_types::{
    MsTeamsStatus, Paged, SubscriptionSummary, TenantSummary, WizardFailure, WizardState,
};

/// A refusal as the UI shows it: the problem's status, code and detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UiError {
    pub status: u16,
    pub code: String,
    pub detail: String,
}

impl UiError {
    pub fn unauthenticated(&self) -> bool {
        self.status == 401
    }
}

impl fmt::Display for UiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

impl std::error::Error for UiError {}

impl FromServerFnError for UiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(error: ServerFnErrorErr) -> Self {
        match error {
            // On the server: the call's arguments do not parse. serde's message may quote
            // the value sent, so only its start is kept.
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::MissingArg(_)
            | ServerFnErrorErr::Deserialization(_) => UiError {
                status: 400,
                code: "invalid_body".into(),
                detail: format!(
                    "The request does not match what this action expects: {}",
                    clipped(&error.to_string(), 120)
                ),
            },
            // In the browser: the server was not reached, or its answer not understood.
            _ => UiError {
                status: 0,
                code: "unreachable".into(),
                detail: format!(
                    "The server could not be reached or answered oddly: {}",
                    clipped(&error.to_string(), 200)
                ),
            },
        }
    }
}

/// At most `max` characters of `text`, with an ellipsis when it was longer.
fn clipped(text: &str, max: usize) -> String {
    let mut clipped: String = text.chars().take(max).collect();
    if text.chars().count() > max {
        clipped.push('…');
    }
    clipped
}

/// Where to go after signing in: a path on this site, never another site (`//host`,
/// `/\host` and control characters are refused), else the home page.
pub fn safe_next(next: Option<String>) -> String {
    next.filter(|n| {
        n.starts_with('/')
            && !n.starts_with("//")
            && !n.contains('\\')
            && !n.chars().any(char::is_control)
    })
    .unwrap_or_else(|| "/".into())
}

/// A subscription, as the pages address it (the instance is the caller's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubRef {
    pub tenant: uuid::Uuid,
    pub subscription: i64,
}

/// A tenant with its subscriptions, for the home page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TenantWithSubscriptions {
    pub tenant: TenantSummary,
    pub subscriptions: Vec<SubscriptionSummary>,
}

/// A page of tenants with their subscriptions.
pub type Overview = Paged<TenantWithSubscriptions>;

/// What the subscription page shows about the subscription itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubscriptionPage {
    pub tenant_name: String,
    pub subscription: SubscriptionSummary,
    /// `None` until the subscription has an MS Teams tenant.
    pub status: Option<MsTeamsStatus>,
}

/// `GET wizard` in one type: not started (404), active or done (200), failed (400).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum WizardView {
    NotStarted(String),
    Active(WizardState),
    Failed(WizardFailure),
}

#[cfg(feature = "ssr")]
pub use server_side::*;

#[cfg(feature = "ssr")]
mod server_side {
    use std::sync::Arc;

    use async_trait::async_trait;

    use super::{Overview, SubRef, SubscriptionPage, UiError, WizardView};
    use crate::api_types::{
        AdministratorRequest, ApplicationRequest, CurrentUser, FileDownload, LinkSource,
        LoginResponse, MintedCredentials, ResetSecretRequest, SimFault, SimJournalEntry,
        SimTenantDetail, SimTenantSummary, VoiceRoutingStatus,
    };

    /// The session token from the `fusion_session` cookie, if any.
    pub type Session = Option<String>;

    /// The session cookie, shared by the REST API and the pages. On an https site it is
    /// `Secure` and `__Host-` prefixed (only this host, over TLS, for the whole site).
    #[derive(Clone, Copy, Debug, Default)]
    pub struct SessionCookie {
        pub secure: bool,
    }

    impl SessionCookie {
        pub fn name(&self) -> &'static str {
            if self.secure {
                "__Host-fusion_session"
            } else {
                "fusion_session"
            }
        }

        /// The `Set-Cookie` value that stores the session (or, with `max_age` 0, ends it).
        pub fn set(&self, token: &str, max_age: i64) -> String {
            let secure = if self.secure { "; Secure" } else { "" };
            format!(
                "{}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}",
                self.name()
            )
        }

        /// The session token a request's `Cookie` headers carry.
        pub fn read(&self, headers: &http::HeaderMap) -> Session {
            let name = self.name();
            headers
                .get_all(http::header::COOKIE)
                .iter()
                .filter_map(|value| value.to_str().ok())
                .flat_map(|value| value.split(';'))
                .filter_map(|pair| pair.trim().split_once('='))
                .find(|(cookie, _)| *cookie == name)
                .map(|(_, token)| token.to_owned())
                .filter(|token| !token.is_empty())
        }
    }

    /// The client's IP address, as the server's edge determined it (login throttling).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct ClientAddress(pub std::net::IpAddr);

    /// The server's side of every server function. Each method authenticates the
    /// session, then calls the same domain service as the REST route.
    #[async_trait]
    pub trait Backend: Send + Sync + 'static {
        async fn login(
            &self,
            username: String,
            password: String,
            client: Option<ClientAddress>,
        ) -> Result<LoginResponse, UiError>;
        async fn logout(&self, session: Session) -> Result<(), UiError>;
        async fn me(&self, session: Session) -> Result<CurrentUser, UiError>;
        async fn overview(
            &self,
            session: Session,
            page: u32,
            search: String,
        ) -> Result<Overview, UiError>;
        async fn subscription(
            &self,
            session: Session,
            at: SubRef,
        ) -> Result<SubscriptionPage, UiError>;
        async fn wizard(&self, session: Session, at: SubRef) -> Result<WizardView, UiError>;
        async fn start_wizard(&self, session: Session, at: SubRef) -> Result<i64, UiError>;
        async fn create_app(&self, session: Session, at: SubRef) -> Result<FileDownload, UiError>;
        async fn set_application(
            &self,
            session: Session,
            at: SubRef,
            body: ApplicationRequest,
        ) -> Result<(), UiError>;
        async fn set_administrator(
            &self,
            session: Session,
            at: SubRef,
            body: AdministratorRequest,
        ) -> Result<(), UiError>;
        async fn reset_secret(
            &self,
            session: Session,
            at: SubRef,
            body: ResetSecretRequest,
        ) -> Result<(), UiError>;
        async fn update_vrp(
            &self,
            session: Session,
            at: SubRef,
        ) -> Result<VoiceRoutingStatus, UiError>;
        async fn sources(&self, session: Session, at: SubRef) -> Result<Vec<LinkSource>, UiError>;
        async fn link(&self, session: Session, at: SubRef, source: i64) -> Result<(), UiError>;
        async fn unlink(&self, session: Session, at: SubRef) -> Result<(), UiError>;
        async fn sim_tenants(&self, session: Session) -> Result<Vec<SimTenantSummary>, UiError>;
        async fn sim_tenant(
            &self,
            session: Session,
            id: String,
        ) -> Result<SimTenantDetail, UiError>;
        async fn sim_set_faults(
            &self,
            session: Session,
            id: String,
            faults: Vec<SimFault>,
        ) -> Result<(), UiError>;
        async fn sim_create_app(
            &self,
            session: Session,
            id: String,
        ) -> Result<MintedCredentials, UiError>;
        async fn sim_journal(
            &self,
            session: Session,
            id: String,
        ) -> Result<Vec<SimJournalEntry>, UiError>;
    }

    /// How the backend travels in Leptos context.
    pub type SharedBackend = Arc<dyn Backend>;
}
